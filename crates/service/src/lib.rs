//! tumen-service (placeholder; see ARCHITECTURE.md)
