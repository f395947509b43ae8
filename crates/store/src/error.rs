//! The store's errors. They name paths, record ids and fields — never a
//! record's content, a passphrase or key material.

use crate::api::RowError;
use crate::keyring::KeyringError;
use std::path::PathBuf;
use tumen_model::{RecordId, RecordKind};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(
        "{0} is already a tumen data directory (it holds a keyring or a database); refusing to overwrite it"
    )]
    AlreadyInitialized(PathBuf),
    #[error("no tumen database at {0} (run `tumen init` first)")]
    DatabaseMissing(PathBuf),
    #[error(
        "the database {0} does not open with the keyring's key: it is corrupt, not a tumen database, or belongs to another keyring"
    )]
    KeyMismatch(PathBuf),
    #[error(
        "the database {path} has schema version {found}, newer than this program knows ({known}); upgrade tumen"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error(
        "this build's SQLite has no encryption (SQLCipher missing); refusing to create an unencrypted archive"
    )]
    NoEncryption,
    #[error("the page cipher could not be set up: {0}")]
    PageCipher(String),
    #[error("database error while {context}: {source}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("file error at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database holds an invalid value in {table}.{column} (row {row}): {why}")]
    CorruptRow {
        table: &'static str,
        column: &'static str,
        row: String,
        why: String,
    },
    #[error("record {0} does not exist")]
    NotFound(RecordId),
    #[error("record {0} already exists")]
    Exists(RecordId),
    #[error(
        "record {id} was changed by someone else: expected revision {expected}, it is at revision {actual}"
    )]
    Conflict {
        id: RecordId,
        expected: u64,
        actual: u64,
    },
    #[error("record {id} is a {from} and cannot become a {to}")]
    KindChange {
        id: RecordId,
        from: RecordKind,
        to: RecordKind,
    },
    #[error("record {id} cannot be deleted: it is still referenced by {}", list(.by))]
    Referenced { id: RecordId, by: Vec<RecordId> },
    #[error("record {id} refers to {target}, which does not exist")]
    Dangling { id: RecordId, target: RecordId },
    #[error("the batch was rolled back, nothing was written: {} row error(s), first: {}", .errors.len(), first(.errors))]
    BatchRejected { errors: Vec<RowError> },
    #[error("vocabulary term {vocab}:{term} already exists")]
    VocabExists { vocab: String, term: String },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("no user {0}")]
    UserMissing(String),
}

fn list(ids: &[RecordId]) -> String {
    ids.iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn first(errors: &[RowError]) -> String {
    errors
        .first()
        .map(|e| format!("row {} ({}): {}", e.row + 1, e.id, e.reason))
        .unwrap_or_default()
}

/// Attach a context to rusqlite errors.
pub(crate) trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Ctx<T> for Result<T, rusqlite::Error> {
    fn ctx(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { context, source })
    }
}
