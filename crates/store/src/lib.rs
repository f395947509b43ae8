//! tumen-store: the encrypted embedded store.
//!
//! Records are kept as opaque JSON bodies beside the [`tumen_model::Envelope`]
//! (what access control needs) and the [`tumen_model::IndexTerms`] (what
//! filters need), so no backend holds model logic. Every change is an
//! immutable revision with a sequence number, an origin (replica id), an
//! actor and a time, written in the same transaction as the change together
//! with a ledger entry for the tamper-evident log (for a revision, the hash
//! of its leaf; the leaf bytes are re-encoded from the revision when read).
//!
//! * [`api`] — the object-safe [`Store`] trait and the values crossing it;
//! * [`sqlite`] — the SQLite/SQLCipher backend ([`SqliteStore`]);
//! * [`keyring`] — passphrase → Argon2id → key-encryption key → data key;
//! * `page_cipher` — AES-256-CTR + GMAC pages inside SQLCipher's codec;
//! * [`migrations`] — numbered SQL files applied by `user_version`;
//! * [`leaf`] — canonical bytes of ledger leaves;
//! * [`linkage`] — reviewer decisions and resolved persons (record linkage);
//! * [`accounts`] — users, sessions, access and custody ledger entries;
//! * [`error`] — [`StoreError`].

pub mod accounts;
pub mod api;
pub mod error;
pub mod keyring;
pub mod leaf;
pub mod linkage;
pub mod migrations;
mod page_cipher;
mod raw_insert;
pub mod rotate;
pub mod sqlite;
mod write_behind;

pub use accounts::{EvidenceLink, SecurityStore, SessionRow, UserRow};
pub use api::{
    Batch, BatchOp, BatchSummary, Expect, Filter, LedgerLeaf, Op, Order, Prepared, Preparer, Put,
    Revision, RowError, Store, StoredRecord, VocabEntry, Written,
};
pub use error::StoreError;
pub use keyring::{
    Cipher, KdfParams, KeyringError, PageCipher, PageFormat, PageHmac, RecoverySplit, SlotInfo,
};
pub use linkage::{LinkDecision, LinkRunSaved, LinkRunWrite, ResolvedMember};
pub use rotate::{Rotation, RotationOutcome};
pub use sqlite::{DB_FILE, InitOptions, SqliteStore};

#[cfg(test)]
mod tests;
