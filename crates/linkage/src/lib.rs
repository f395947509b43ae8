//! tumen-linkage (placeholder; see ARCHITECTURE.md)
