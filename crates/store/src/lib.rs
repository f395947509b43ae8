//! tumen-store (placeholder; see ARCHITECTURE.md)
