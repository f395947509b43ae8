//! tumen-names (placeholder; see ARCHITECTURE.md)
