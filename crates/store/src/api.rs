//! The storage interface every backend implements (SQLite now, PostgreSQL
//! later), and the values that cross it.
//!
//! Shaped so that callers never change when a backend is added:
//! * bodies are opaque JSON text; filters run on the [`IndexTerms`] the model
//!   derives, never on the body;
//! * every change is an immutable [`Revision`] with a store-wide, monotonically
//!   increasing `seq` and the `origin` (replica id) that made it, which is what
//!   laptop–server sync will exchange;
//! * writes carry the revision the writer last saw ([`Expect`]) for
//!   optimistic concurrency;
//! * a [`Batch`] is one transaction: an import lands whole or not at all.
//!
//! The trait is object-safe (`Box<dyn Store>`) and `Send`.

use crate::error::StoreError;
use crate::linkage::{LinkDecision, LinkRunSaved, LinkRunWrite, ResolvedMember};
use serde::{Deserialize, Serialize};
use tumen_model::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
use zeroize::Zeroizing;

/// What the writer believes about the record's current revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    /// The record must not exist (create).
    Absent,
    /// The record must exist at exactly this revision (update).
    Rev(u64),
    /// Create or overwrite whatever is there (imports that upsert).
    Any,
}

/// A record to write.
#[derive(Debug, Clone)]
pub struct Put {
    pub envelope: Envelope,
    /// What filters and reference checks use. Every id in `refs`, `places`
    /// and `parent` must name a record that exists (in the database or in the
    /// same batch) when the write commits.
    pub index: IndexTerms,
    /// The record as JSON text (the model's serialization). Opaque here.
    pub body: String,
    pub expect: Expect,
}

/// A [`Put`] with everything the store derives from the put alone already
/// derived: the body's SHA-256, the access groups as JSON, the search text,
/// the date bounds and the keys of its index rows. Built with
/// [`Prepared::new`], or by a batch's [`Preparer`] (which also numbers the
/// ids and keys it names for that batch), on any thread — an import builds
/// it on the thread that parses and validates, so that the single writer
/// thread spends its time writing — and written with
/// [`Batch::put_prepared`]. A put the store would refuse as invalid is still
/// a `Prepared`; writing it fails the row exactly as [`Batch::put`] would.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) put: Put,
    /// `Err` holds the reason the put is invalid ([`StoreError::Invalid`]).
    pub(crate) derived: Result<crate::sqlite::Derived, String>,
    /// The put's interned keys, if a [`Preparer`] made it; a batch uses
    /// them only if they are its own.
    pub(crate) keys: Option<crate::sqlite::PreparedKeys>,
}

/// Prepares puts for one batch, on another thread than the batch's (see
/// [`Batch::preparer`]). Cheap to clone; `Send`.
#[derive(Debug, Clone, Default)]
pub struct Preparer {
    pub(crate) interner: Option<std::sync::Arc<std::sync::Mutex<crate::sqlite::Interner>>>,
}

impl Preparer {
    /// [`Prepared::new`], plus whatever the batch this preparer belongs to
    /// can use to write the put with less work on its own thread.
    pub fn prepare(&self, put: Put) -> Prepared {
        crate::sqlite::prepare(put, self.interner.as_ref())
    }
}

impl Prepared {
    pub fn new(put: Put) -> Prepared {
        crate::sqlite::prepare(put, None)
    }

    pub fn put(&self) -> &Put {
        &self.put
    }

    pub fn into_put(self) -> Put {
        self.put
    }
}

/// What a successful write did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub id: RecordId,
    pub rev: u64,
    pub seq: u64,
    pub op: Op,
}

/// The kind of change a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "create" => Some(Op::Create),
            "update" => Some(Op::Update),
            "delete" => Some(Op::Delete),
            _ => None,
        }
    }
    /// The byte used for the op in ledger leaves.
    pub fn code(self) -> u8 {
        match self {
            Op::Create => 1,
            Op::Update => 2,
            Op::Delete => 3,
        }
    }
}

/// The current state of a live record. Its index terms are not kept apart
/// from the index rows (migration 0006): the model derives them from `body`
/// (`Record::index_terms`) when a caller needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub envelope: Envelope,
    pub rev: u64,
    /// The `seq` of the revision that produced this state.
    pub seq: u64,
    pub body: String,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// One immutable change of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub seq: u64,
    pub origin: String,
    pub id: RecordId,
    pub rev: u64,
    pub op: Op,
    pub actor: String,
    /// RFC 3339 UTC, millisecond precision.
    pub at: String,
    /// The record's envelope as of this revision (for access checks on
    /// history: a record may have been more or less sensitive before).
    pub kind: RecordKind,
    pub sensitivity: Sensitivity,
    pub access_groups: Vec<String>,
    /// The body after the change (`None` for a delete).
    pub body: Option<String>,
    /// The body before the change (`None` for a create). Filled by
    /// [`Store::history`]; `None` in [`Store::revisions_since`].
    pub body_before: Option<String>,
    pub body_sha256: [u8; 32],
}

impl Revision {
    pub fn envelope(&self) -> Envelope {
        Envelope {
            id: self.id.clone(),
            kind: self.kind,
            sensitivity: self.sensitivity,
            access_groups: self.access_groups.clone(),
        }
    }
}

/// Result order of [`Store::query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// By record id.
    #[default]
    Id,
    /// By earliest possible date, undated records last, then id.
    DateAsc,
    /// By earliest possible date descending, undated records last, then id.
    DateDesc,
}

/// A query. Empty / `None` fields do not filter. Combination: kinds is "any
/// of"; places is "any of, each including its sub-places"; terms and refs are
/// "all of"; everything is AND-ed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kinds: Vec<RecordKind>,
    /// Day-number bounds (inclusive); a record matches when its own date
    /// interval overlaps `[date_from, date_to]`. Undated records never match
    /// a date filter.
    pub date_from: Option<i64>,
    pub date_to: Option<i64>,
    pub places: Vec<RecordId>,
    /// `vocab:term`, e.g. `act_type:torture`.
    pub terms: Vec<String>,
    /// Records that refer to every one of these (organization, source, person…).
    pub refs: Vec<RecordId>,
    /// Case-insensitive (ASCII) substring of one of the record's text labels.
    pub text: Option<String>,
    /// Only records at or below this sensitivity.
    pub max_sensitivity: Option<Sensitivity>,
    /// `None`: no group restriction. `Some(groups)`: only records without
    /// access groups or sharing one of `groups`.
    pub access_groups: Option<Vec<String>>,
    pub limit: Option<u64>,
    pub offset: u64,
    pub order: Order,
}

/// A user-defined vocabulary term. `definition` is the model's JSON (labels
/// in Korean and English, …); the store keeps it opaque.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VocabEntry {
    pub vocab: String,
    pub term: String,
    pub definition: String,
    pub added_by: String,
    pub added_at: String,
}

/// One row of a batch that the store refused, by position (0-based order of
/// the calls on the batch) and record id. The reason names ids only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub row: usize,
    pub id: String,
    pub reason: String,
}

/// A leaf of the ledger: 1-based `seq` (RFC 6962 leaf index = seq − 1) and the
/// canonical leaf bytes (see [`crate::leaf`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLeaf {
    pub seq: u64,
    pub bytes: Vec<u8>,
    /// The RFC 6962 leaf hash (SHA-256 of `0x00 || bytes`) stored when the
    /// entry was written, for a revision entry whose `bytes` are re-encoded
    /// from its revision row when read (schema version 7 on). The Merkle
    /// tree is built from this hash, so a revision row changed afterwards
    /// shows as bytes that no longer hash to it. `None` when `bytes` are the
    /// stored entry itself (every other entry, and revision entries written
    /// before): then the leaf hash is that of `bytes`.
    pub hash: Option<[u8; 32]>,
}

impl LedgerLeaf {
    /// The hash this entry contributes to the Merkle tree: the stored one if
    /// there is one, else that of the bytes.
    pub fn leaf_hash(&self) -> [u8; 32] {
        self.hash
            .unwrap_or_else(|| crate::leaf::rfc6962_leaf_hash(&self.bytes))
    }
}

/// An open transaction. Dropping it without [`Batch::commit`] rolls back.
///
/// A failed `put`/`delete` returns its error and *poisons* the batch: later
/// rows are still checked (so an import reports every row's problem), but
/// `commit` refuses. References to ids that appear later in the same batch
/// are allowed; [`Batch::check`] reports those that never appeared.
pub trait Batch {
    fn put(&mut self, put: Put) -> Result<Written, StoreError>;
    /// [`Batch::put`] of a put prepared beforehand (see [`Prepared`]). Takes
    /// it by reference, so that the caller frees it on its own thread.
    fn put_prepared(&mut self, put: &Prepared) -> Result<Written, StoreError> {
        self.put(put.put.clone())
    }
    /// A [`Preparer`] for this batch's [`Batch::put_prepared`], to use on
    /// another thread while the batch is open. The default prepares as
    /// [`Prepared::new`] does.
    fn preparer(&self) -> Preparer {
        Preparer::default()
    }
    fn delete(&mut self, id: &RecordId, expected_rev: Option<u64>) -> Result<Written, StoreError>;
    /// Read inside the transaction (sees this batch's earlier writes).
    fn get(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError>;
    /// Every row error so far plus every reference that does not resolve
    /// against the database and this batch.
    fn check(&mut self) -> Result<Vec<RowError>, StoreError>;
    /// Number of puts/deletes so far.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Commit if no row failed and every reference resolves; otherwise roll
    /// back and return [`StoreError::BatchRejected`] with every row error.
    fn commit(self: Box<Self>) -> Result<BatchSummary, StoreError>;
    /// Roll back explicitly (dropping does the same).
    fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

/// What a committed batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    /// The seq range of the batch's revisions (`None` for an empty batch).
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// How long each step of the batch's end took (for a first import: the
    /// date index, the sorted facet rows, ANALYZE, COMMIT), for benchmarks.
    #[serde(skip)]
    pub finish_steps: Vec<(&'static str, std::time::Duration)>,
}

/// One operation for [`Store::apply_batch`].
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // built once per row, moved, never stored in bulk
pub enum BatchOp {
    Put(Put),
    Delete {
        id: RecordId,
        expected_rev: Option<u64>,
    },
}

/// The storage backend. Accounts, sessions and non-revision ledger entries
/// are in the supertrait [`crate::accounts::SecurityStore`].
pub trait Store: crate::accounts::SecurityStore + Send {
    /// `"sqlite"`, later `"postgres"`.
    fn backend(&self) -> &'static str;
    /// This replica's id (random, fixed at init).
    fn origin(&self) -> &str;

    fn get(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError>;
    /// The records that exist among `ids`, in the order of `ids`.
    fn get_many(&self, ids: &[RecordId]) -> Result<Vec<StoredRecord>, StoreError>;

    /// Create or update one record (a batch of one).
    fn put(&mut self, actor: &str, put: Put) -> Result<Written, StoreError>;
    /// Delete one record; refused with [`StoreError::Referenced`] while
    /// another record refers to it.
    fn delete(
        &mut self,
        actor: &str,
        id: &RecordId,
        expected_rev: Option<u64>,
    ) -> Result<Written, StoreError>;

    fn query(&self, filter: &Filter) -> Result<Vec<StoredRecord>, StoreError>;
    /// Stream the matches (for exports); stop early by returning `Ok(false)`.
    fn query_each(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(StoredRecord) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;
    /// How many records match (ignores limit/offset).
    fn count(&self, filter: &Filter) -> Result<u64, StoreError>;
    /// `roots` and every record below them through `IndexTerms.parent`
    /// (the sub-places a place filter includes).
    fn descendants(&self, roots: &[RecordId]) -> Result<Vec<RecordId>, StoreError>;
    /// Records that refer to `id` (at most `limit`).
    fn referrers(&self, id: &RecordId, limit: usize) -> Result<Vec<RecordId>, StoreError>;

    /// Every revision of `id`, oldest first, with `body_before` filled.
    fn history(&self, id: &RecordId) -> Result<Vec<Revision>, StoreError>;
    /// Revisions with `seq > after_seq`, in seq order (sync, verification).
    fn revisions_since(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>, StoreError>;

    /// Open a transaction whose revisions are attributed to `actor`.
    fn begin_batch<'a>(&'a mut self, actor: &str) -> Result<Box<dyn Batch + 'a>, StoreError>;

    /// [`Store::begin_batch`] for a large import: the same guarantees (one
    /// transaction, all or nothing, also across a crash), but a backend may
    /// write differently when that is cheaper — the SQLite backend, into an
    /// archive that holds no record yet, writes through a rollback journal
    /// instead of the WAL, so that the imported pages reach the file once
    /// rather than twice. Other processes cannot open the archive meanwhile.
    fn begin_import<'a>(&'a mut self, actor: &str) -> Result<Box<dyn Batch + 'a>, StoreError> {
        self.begin_batch(actor)
    }

    /// All-or-nothing application of `ops`.
    fn apply_batch(&mut self, actor: &str, ops: Vec<BatchOp>) -> Result<BatchSummary, StoreError> {
        let mut b = self.begin_batch(actor)?;
        for op in ops {
            // Row errors are collected by the batch; commit reports them all.
            let _ = match op {
                BatchOp::Put(p) => b.put(p),
                BatchOp::Delete { id, expected_rev } => b.delete(&id, expected_rev),
            };
        }
        b.commit()
    }

    fn ledger_len(&self) -> Result<u64, StoreError>;
    /// Leaves with `seq >= from_seq`, at most `limit`, in order.
    fn ledger_leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>, StoreError>;

    fn vocab_terms(&self) -> Result<Vec<VocabEntry>, StoreError>;
    /// Add a user vocabulary term; refuses to redefine an existing one.
    fn add_vocab_term(
        &mut self,
        actor: &str,
        vocab: &str,
        term: &str,
        definition: &str,
    ) -> Result<(), StoreError>;

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Rewrap the data key under a new passphrase (the data is not
    /// re-encrypted, so readers see no downtime). `old` must unlock it.
    fn change_passphrase(&mut self, old: &str, new: &str) -> Result<(), StoreError>;

    /// Refresh the query planner's statistics (after large imports).
    fn optimize(&mut self) -> Result<(), StoreError>;

    /// A 32-byte key for another encrypted artefact (evidence files,
    /// backups, pseudonym keys), derived from the archive's data key.
    fn derive_subkey(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>, StoreError>;

    // Record linkage (see `crate::linkage`): decisions and resolved persons
    // live beside the records and never change them.

    /// The current decision of every decided pair (the latest per pair).
    fn link_decisions(&self) -> Result<Vec<LinkDecision>, StoreError>;
    /// Append a decision; it supersedes earlier ones on the same pair.
    fn add_link_decision(
        &mut self,
        actor: &str,
        a: &RecordId,
        b: &RecordId,
        same: bool,
        note: Option<&str>,
    ) -> Result<LinkDecision, StoreError>;
    /// Every current membership of a record in a resolved person.
    fn resolved_members(&self) -> Result<Vec<ResolvedMember>, StoreError>;
    /// Replace the memberships of the run's scope by its clusters (one
    /// transaction, logged).
    fn save_link_run(
        &mut self,
        actor: &str,
        run: &LinkRunWrite,
    ) -> Result<LinkRunSaved, StoreError>;
    /// Take one record (or all) out of a resolved person; returns the
    /// records now on their own. Records "different" decisions so later runs
    /// keep them apart.
    fn unlink(
        &mut self,
        actor: &str,
        resolved_id: &str,
        record: Option<&RecordId>,
    ) -> Result<Vec<RecordId>, StoreError>;
}
