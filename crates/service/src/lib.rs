//! tumen-service: the one access-check point shared by the command line and
//! (later) the web application.
//!
//! An [`Archive`] wraps a [`Store`]; [`Archive::session`] binds it to an
//! [`Actor`]. Every [`Session`] method calls [`tumen_protect::check`] before
//! it reads or writes, redacts what the actor may not see
//! ([`Record::redact`](tumen_model::Record::redact)), validates records
//! against the vocabularies (built-in plus the user's, kept in the store)
//! before writing, and turns the store's errors into ones that reveal
//! nothing the actor may not know:
//!
//! * a record the actor may not read is reported exactly like a missing one;
//! * queries run with the actor's clearance and case groups pushed into the
//!   database filter, so counts and pages never include what they may not
//!   read; when a record has fields above the actor's clearance, the filter
//!   is re-applied to the *redacted* record's index terms, so a search cannot
//!   reveal a hidden field's value either;
//! * a reference to a record the actor may not read is refused with the same
//!   words as a reference to a record that does not exist.
//!
//! Accounts (issue 6): [`Archive::login`] checks a user's password (and
//! second factor, with lock-out) and returns their [`Actor`]; the web keeps
//! it in a session ([`Archive::start_session`], [`Archive::resume_session`]).
//! Whoever unlocked the archive with its passphrase holds the data key and
//! can read everything anyway, so the command line without `--user` acts as
//! the local administrator ([`local_administrator`]).
//!
//! Every read of a confidential record by any session appends an access
//! entry to the ledger ([`tumen_store::leaf::AccessLeaf`]).

mod accounts;
mod audit;
pub mod backup;
mod error;
mod estimate;
mod evidence;
mod import;
mod linkage;
pub mod rekey;
mod report;
mod session;

pub use accounts::{AccountState, TotpEnrolled, UserSummary, compare_accounts};
pub use audit::LedgerAccess;
pub use error::{RowProblem, ServiceError};
pub use estimate::{ArchiveEstimate, CAPTURE_STRATA, counts_csv};
pub use evidence::{Evidence, EvidenceCheck, EvidenceView};
pub use import::{ImportItem, ImportMode, ImportOptions, ImportSummary};
pub use linkage::{CaptureUnit, LinkPerson, ResolvedPersonView};
pub use rekey::RekeySummary;
pub use report::{PeopleCount, Stats, Tally, TimelineEntry};
pub use session::{RecordView, RevisionView, Session};
pub use tumen_protect::{Actor, Operation, Role};
pub use tumen_store::{
    Cipher, Filter, InitOptions, KdfParams, LinkDecision, LinkRunSaved, Op, Order, PageCipher,
    PageHmac, SqliteStore, Store, StoreError, Written,
};

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// An open archive: one store, shared by every session.
pub struct Archive {
    store: Mutex<Box<dyn Store>>,
}

impl Archive {
    /// Create a new encrypted archive in `dir` (refuses to overwrite one).
    /// `InitOptions::default()` for real use;
    /// `InitOptions::insecure_fast_for_tests()` in test suites.
    pub fn init(dir: &Path, passphrase: &str, opts: InitOptions) -> Result<Archive, ServiceError> {
        Ok(Archive::from_store(Box::new(SqliteStore::init_with(
            dir, passphrase, opts,
        )?)))
    }

    /// Open an existing archive; a wrong passphrase is
    /// `ServiceError::Store(StoreError::Keyring(KeyringError::WrongPassphrase))`
    /// (see [`ServiceError::is_wrong_passphrase`]).
    pub fn open(dir: &Path, passphrase: &str) -> Result<Archive, ServiceError> {
        Ok(Archive::from_store(Box::new(SqliteStore::open(
            dir, passphrase,
        )?)))
    }

    /// Wrap any backend.
    pub fn from_store(store: Box<dyn Store>) -> Archive {
        Archive {
            store: Mutex::new(store),
        }
    }

    /// Act as `actor`.
    pub fn session(&self, actor: Actor) -> Session<'_> {
        Session::new(self, actor)
    }

    pub(crate) fn store(&self) -> Result<MutexGuard<'_, Box<dyn Store>>, ServiceError> {
        self.store.lock().map_err(|_| ServiceError::Poisoned)
    }
}

/// The actor the command line uses until user accounts exist.
pub fn local_administrator(user: &str) -> Actor {
    Actor {
        user: user.to_string(),
        role: Role::Administrator,
        groups: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
