//! The service's errors. Like the store's, they name record ids, fields and
//! line numbers — never values — and never reveal a record the actor may not
//! read (such a record is "not found").

use serde::{Deserialize, Serialize};
use tumen_model::{FieldError, RecordId, VocabError};
use tumen_protect::AccessDenied;
use tumen_store::{KeyringError, StoreError};

/// One problem of an import: the input line (as numbered by the caller),
/// the record id if known, the field path (empty for the whole row) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub line: u64,
    pub id: Option<String>,
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        if !self.field.is_empty() {
            write!(f, ", field {}", self.field)?;
        }
        write!(f, ": {}", self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error("record {0} does not exist")]
    NotFound(RecordId),
    #[error("record {id} is invalid: {}", list(.errors))]
    Invalid {
        id: RecordId,
        errors: Vec<FieldError>,
    },
    #[error("record {id} refers to {target}, which does not exist or which you may not read")]
    BadReference { id: RecordId, target: RecordId },
    #[error("record {id} cannot be deleted: it is still referenced{}", by_list(.visible_by))]
    Referenced {
        id: RecordId,
        visible_by: Vec<RecordId>,
    },
    #[error(
        "record {id} holds fields above your clearance; updating it would overwrite what you cannot see"
    )]
    HiddenFields { id: RecordId },
    #[error(
        "the stored record {id} cannot be decoded (line {line}, column {column}): the database may be damaged"
    )]
    CorruptBody {
        id: String,
        line: usize,
        column: usize,
    },
    // Not `#[from]`: that would make the term error a source as well, and
    // `{:#}` would print its words twice.
    #[error("vocabulary term refused: {0}")]
    Vocab(VocabError),
    #[error("the stored user vocabulary is damaged (term {index}): {why}")]
    CorruptVocab { index: usize, why: String },
    #[error("the import was rolled back, nothing was written: {} problem(s) in {rows} row(s){}; first: {}",
        .problems.len() as u64 + .more, more_note(*.more), first(.problems))]
    ImportRejected {
        rows: u64,
        problems: Vec<RowProblem>,
        more: u64,
    },
    #[error("the archive's lock was poisoned by a crash in another thread")]
    Poisoned,
    #[error("the import's writer thread failed: {0}")]
    Writer(String),
    /// A refused login. `why` is for the audit trail and the operator; the
    /// web must show one message for every variant.
    #[error("login refused for user {user}: {}", login_words(.why))]
    LoginRefused {
        user: String,
        why: tumen_protect::accounts::LoginError,
    },
    #[error("session refused: {0}")]
    SessionRefused(tumen_protect::accounts::SessionError),
    #[error("{0}")]
    Account(String),
    #[error("{0}")]
    Evidence(String),
    #[error("backup: {0}")]
    Backup(String),
    #[error("recovery: {0}")]
    Recovery(String),
    /// Estimation from the archive: strata, list names, or the estimate.
    #[error("{0}")]
    Estimate(String),
}

impl From<VocabError> for ServiceError {
    fn from(e: VocabError) -> Self {
        ServiceError::Vocab(e)
    }
}

fn login_words(why: &tumen_protect::accounts::LoginError) -> String {
    use tumen_protect::accounts::LoginError as L;
    match why {
        // One wording for an unknown user and a wrong password.
        L::BadPassword => "wrong user name or password".into(),
        L::Locked { until } => {
            format!("the account is locked after repeated failures (until Unix time {until})")
        }
        L::Disabled => "the account is disabled".into(),
        L::SecondFactorRequired => "a one-time code is required (TUMEN_TOTP_CODE)".into(),
        L::BadCode(_) => "wrong or reused one-time code".into(),
        L::Damaged(_) => "the stored credentials are damaged".into(),
    }
}

impl ServiceError {
    /// Was the archive opened with the wrong passphrase?
    pub fn is_wrong_passphrase(&self) -> bool {
        matches!(
            self,
            ServiceError::Store(StoreError::Keyring(KeyringError::WrongPassphrase(_)))
        )
    }
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn by_list(ids: &[RecordId]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(
            " by {}",
            ids.iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn more_note(more: u64) -> String {
    if more == 0 {
        String::new()
    } else {
        format!(" ({more} not listed)")
    }
}

fn first(p: &[RowProblem]) -> String {
    p.first().map(|p| p.to_string()).unwrap_or_default()
}
