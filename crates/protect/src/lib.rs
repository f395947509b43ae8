//! tumen-protect (placeholder; see ARCHITECTURE.md)
