//! tumen-ledger (placeholder; see ARCHITECTURE.md)
