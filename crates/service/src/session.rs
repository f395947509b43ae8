//! A session: one actor's access-checked view of the archive.
//!
//! Every method starts with [`tumen_protect::check`]; reads are redacted to
//! the actor's clearance; writes are validated before they reach the store.

use crate::Archive;
use crate::error::ServiceError;
use std::collections::{HashMap, HashSet};
use tumen_model::{
    Envelope, FieldError, IndexTerms, Record, RecordId, RecordKind, Sensitivity, UserTerm,
    Vocabularies,
};
use tumen_protect::{Actor, Operation, Role, check};
use tumen_store::{Expect, Filter, Op, Put, Store, StoreError, StoredRecord, Written};

/// A record as the actor may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordView {
    /// Redacted to the actor's clearance.
    pub record: Record,
    /// Whether redaction removed anything.
    pub redacted: bool,
    pub rev: u64,
    pub seq: u64,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// One revision as the actor may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionView {
    pub seq: u64,
    pub rev: u64,
    pub op: Op,
    pub actor: String,
    pub at: String,
    pub origin: String,
    /// The record after the change, redacted (`None` for a delete or when
    /// withheld).
    pub after: Option<Record>,
    /// The record before the change, redacted (`None` for a create or when
    /// withheld).
    pub before: Option<Record>,
    /// The revision's contents are above the actor's clearance or outside
    /// their case groups (the record was labelled differently then).
    pub withheld: bool,
}

/// One actor's access-checked operations.
pub struct Session<'a> {
    archive: &'a Archive,
    actor: Actor,
}

/// Decode a stored body without ever echoing its contents in an error.
pub(crate) fn decode(id: &str, body: &str) -> Result<Record, ServiceError> {
    Record::from_json(body).map_err(|e| ServiceError::CorruptBody {
        id: id.to_string(),
        line: e.line(),
        column: e.column(),
    })
}

/// The envelope used to check operations on the archive as a whole
/// (vocabulary, settings): public, no case groups, so only the role decides.
pub(crate) fn archive_envelope(what: &str) -> Envelope {
    Envelope {
        id: RecordId::new(what).unwrap_or_else(|_| unreachable!("a constant, valid id")),
        kind: RecordKind::Source,
        sensitivity: Sensitivity::Public,
        access_groups: Vec::new(),
    }
}

pub(crate) fn load_vocabularies(store: &dyn Store) -> Result<Vocabularies, ServiceError> {
    let mut user = Vec::new();
    for (index, e) in store.vocab_terms()?.into_iter().enumerate() {
        let t: UserTerm =
            serde_json::from_str(&e.definition).map_err(|_| ServiceError::CorruptVocab {
                index,
                why: "not a user term".into(),
            })?;
        user.push(t);
    }
    Vocabularies::with_user_terms(user).map_err(|(index, e)| ServiceError::CorruptVocab {
        index,
        why: e.to_string(),
    })
}

/// Does a (redacted) record's index still satisfy the filter? Used to make
/// sure a filter never matches on something the actor cannot see.
pub(crate) fn visible_match(
    f: &Filter,
    kind: RecordKind,
    ix: &IndexTerms,
    sub_places: &HashSet<RecordId>,
) -> bool {
    if !f.kinds.is_empty() && !f.kinds.contains(&kind) {
        return false;
    }
    if f.date_from.is_some() || f.date_to.is_some() {
        if ix.date_lo.is_none() && ix.date_hi.is_none() {
            return false;
        }
        if let Some(from) = f.date_from {
            if ix.date_hi.is_some_and(|hi| hi < from) {
                return false;
            }
        }
        if let Some(to) = f.date_to {
            if ix.date_lo.is_some_and(|lo| lo > to) {
                return false;
            }
        }
    }
    if !f.places.is_empty() && !ix.places.iter().any(|p| sub_places.contains(p)) {
        return false;
    }
    if !f.terms.iter().all(|t| ix.terms.contains(t)) {
        return false;
    }
    if !f.refs.iter().all(|r| ix.refs.contains(r)) {
        return false;
    }
    if let Some(text) = &f.text {
        let needle = text.to_ascii_lowercase();
        if !ix
            .text
            .iter()
            .any(|t| t.to_ascii_lowercase().contains(&needle))
        {
            return false;
        }
    }
    true
}

impl<'a> Session<'a> {
    pub(crate) fn new(archive: &'a Archive, actor: Actor) -> Session<'a> {
        Session { archive, actor }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub(crate) fn archive(&self) -> &'a Archive {
        self.archive
    }

    fn clearance(&self) -> Sensitivity {
        self.actor.role.clearance()
    }

    fn can_read(&self, env: &Envelope) -> bool {
        check(&self.actor, Operation::Read, env).is_ok()
    }

    fn view(&self, s: StoredRecord) -> Result<RecordView, ServiceError> {
        let full = decode(s.envelope.id.as_str(), &s.body)?;
        let record = full.redact(self.clearance());
        Ok(RecordView {
            redacted: record != full,
            record,
            rev: s.rev,
            seq: s.seq,
            created_at: s.created_at,
            created_by: s.created_by,
            updated_at: s.updated_at,
            updated_by: s.updated_by,
        })
    }

    /// The record `id` as the actor may see it; `None` when it does not
    /// exist *or* the actor may not read it (indistinguishable on purpose).
    pub fn get(&self, id: &RecordId) -> Result<Option<RecordView>, ServiceError> {
        let mut store = self.archive.store()?;
        let Some(s) = store.get(id)? else {
            return Ok(None);
        };
        if check(&self.actor, Operation::Read, &s.envelope).is_err() {
            return Ok(None);
        }
        if s.envelope.sensitivity == Sensitivity::Confidential {
            // Logged before the record leaves the service: no entry, no read.
            crate::audit::log_access(
                &mut **store,
                &self.actor.user,
                std::slice::from_ref(id),
                "read",
            )?;
        }
        self.view(s).map(Some)
    }

    /// The vocabularies: built-in plus the user's terms from the store.
    pub fn vocabularies(&self) -> Result<Vocabularies, ServiceError> {
        let store = self.archive.store()?;
        load_vocabularies(store.as_ref())
    }

    /// Add a user vocabulary term (role permission `ExtendVocabulary`).
    pub fn extend_vocabulary(&self, term: UserTerm) -> Result<(), ServiceError> {
        check(
            &self.actor,
            Operation::ExtendVocabulary,
            &archive_envelope("vocabulary"),
        )?;
        let mut store = self.archive.store()?;
        let mut v = load_vocabularies(store.as_ref())?;
        v.extend(
            term.vocab,
            tumen_model::Term {
                code: term.code.clone(),
                en: term.en.clone(),
                ko: term.ko.clone(),
                note: term.note.clone(),
            },
        )?;
        let json = serde_json::to_string(&term).map_err(|e| StoreError::Invalid(e.to_string()))?;
        store.add_vocab_term(&self.actor.user, term.vocab.as_str(), &term.code, &json)?;
        Ok(())
    }

    /// Change the archive's passphrase (role permission `ManageKeys`). The
    /// data key is rewrapped; nothing is re-encrypted.
    pub fn change_passphrase(&self, old: &str, new: &str) -> Result<(), ServiceError> {
        check(
            &self.actor,
            Operation::ManageKeys,
            &archive_envelope("keyring"),
        )?;
        let mut store = self.archive.store()?;
        Ok(store.change_passphrase(old, new)?)
    }

    /// Refuse references to records the actor may not read, with the same
    /// error as a reference to nothing.
    fn check_refs(&self, store: &dyn Store, rec: &Record) -> Result<(), ServiceError> {
        if self.actor.role == Role::Administrator {
            return Ok(()); // reads everything; the store checks existence
        }
        for target in rec.refs() {
            if target == *rec.id() {
                continue;
            }
            if let Some(s) = store.get(&target)? {
                if !self.can_read(&s.envelope) {
                    return Err(ServiceError::BadReference {
                        id: rec.id().clone(),
                        target,
                    });
                }
            }
        }
        Ok(())
    }

    fn validated_put(
        &self,
        store: &dyn Store,
        rec: &Record,
        expect: Expect,
    ) -> Result<Put, ServiceError> {
        let vocabs = load_vocabularies(store)?;
        rec.validate(&vocabs)
            .map_err(|errors| ServiceError::Invalid {
                id: rec.id().clone(),
                errors,
            })?;
        self.check_refs(store, rec)?;
        Ok(Put {
            envelope: rec.envelope(),
            index: rec.index_terms(),
            body: rec.to_json(),
            expect,
        })
    }

    fn map_write_error(e: StoreError) -> ServiceError {
        match e {
            StoreError::Dangling { id, target } => ServiceError::BadReference { id, target },
            e => ServiceError::Store(e),
        }
    }

    /// Create a new record (fails if the id exists).
    pub fn create(&self, rec: &Record) -> Result<Written, ServiceError> {
        check(&self.actor, Operation::Create, &rec.envelope())?;
        let mut store = self.archive.store()?;
        let put = self.validated_put(store.as_ref(), rec, Expect::Absent)?;
        store
            .put(&self.actor.user, put)
            .map_err(Self::map_write_error)
    }

    /// Replace the record `rec.id()`, which the caller read at
    /// `expected_rev` (optimistic concurrency: someone else's change in
    /// between is a `Conflict`).
    pub fn update(&self, rec: &Record, expected_rev: u64) -> Result<Written, ServiceError> {
        let mut store = self.archive.store()?;
        let Some(cur) = store.get(rec.id())? else {
            return Err(ServiceError::NotFound(rec.id().clone()));
        };
        if !self.can_read(&cur.envelope) {
            return Err(ServiceError::NotFound(rec.id().clone()));
        }
        check(&self.actor, Operation::Update, &cur.envelope)?;
        check(&self.actor, Operation::Update, &rec.envelope())?;
        let full = decode(cur.envelope.id.as_str(), &cur.body)?;
        if full.redact(self.clearance()) != full {
            return Err(ServiceError::HiddenFields {
                id: rec.id().clone(),
            });
        }
        let put = self.validated_put(store.as_ref(), rec, Expect::Rev(expected_rev))?;
        store
            .put(&self.actor.user, put)
            .map_err(Self::map_write_error)
    }

    /// Delete a record; refused while other records refer to it (only the
    /// referring records the actor may read are named).
    pub fn delete(
        &self,
        id: &RecordId,
        expected_rev: Option<u64>,
    ) -> Result<Written, ServiceError> {
        let mut store = self.archive.store()?;
        let Some(cur) = store.get(id)? else {
            return Err(ServiceError::NotFound(id.clone()));
        };
        if !self.can_read(&cur.envelope) {
            return Err(ServiceError::NotFound(id.clone()));
        }
        check(&self.actor, Operation::Delete, &cur.envelope)?;
        match store.delete(&self.actor.user, id, expected_rev) {
            Ok(w) => Ok(w),
            Err(StoreError::Referenced { id, by }) => {
                let visible_by = store
                    .get_many(&by)?
                    .into_iter()
                    .filter(|r| self.can_read(&r.envelope))
                    .map(|r| r.envelope.id)
                    .collect();
                Err(ServiceError::Referenced { id, visible_by })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The store filter with the actor's limits pushed into it.
    fn restricted(&self, f: &Filter) -> Filter {
        let mut g = f.clone();
        let c = self.clearance();
        g.max_sensitivity = Some(g.max_sensitivity.map_or(c, |m| m.min(c)));
        if self.actor.role != Role::Administrator {
            g.access_groups = Some(self.actor.groups.clone());
        }
        g.limit = None;
        g.offset = 0;
        g
    }

    /// Walk the matches the actor may read, redacted, in the filter's order,
    /// honouring its offset and limit. Stops early when `each` returns false.
    fn walk(
        &self,
        f: &Filter,
        each: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<(), ServiceError> {
        let mut store = self.archive.store()?;
        let g = self.restricted(f);
        let sub_places: HashSet<RecordId> = if f.places.is_empty() {
            HashSet::new()
        } else {
            store.descendants(&f.places)?.into_iter().collect()
        };
        let mut skipped = 0u64;
        let mut taken = 0u64;
        let mut failure: Option<ServiceError> = None;
        let mut confidential: Vec<RecordId> = Vec::new();
        store.query_each(&g, &mut |s| {
            if !self.can_read(&s.envelope) {
                return Ok(true); // the database filter already excludes these
            }
            let is_confidential = s.envelope.sensitivity == Sensitivity::Confidential;
            let id = s.envelope.id.clone();
            let v = match self.view(s) {
                Ok(v) => v,
                Err(e) => {
                    failure = Some(e);
                    return Ok(false);
                }
            };
            if v.redacted
                && !visible_match(f, v.record.kind(), &v.record.index_terms(), &sub_places)
            {
                return Ok(true);
            }
            if skipped < f.offset {
                skipped += 1;
                return Ok(true);
            }
            if f.limit.is_some_and(|l| taken >= l) {
                return Ok(false);
            }
            taken += 1;
            if is_confidential {
                confidential.push(id);
            }
            Ok(each(v) && f.limit.is_none_or(|l| taken < l))
        })?;
        // One transaction for the whole result; the query itself held no
        // write lock, so the entries follow the read.
        crate::audit::log_access(&mut **store, &self.actor.user, &confidential, "query")?;
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The records matching `f` that the actor may read, redacted.
    pub fn query(&self, f: &Filter) -> Result<Vec<RecordView>, ServiceError> {
        let mut out = Vec::new();
        self.walk(f, &mut |v| {
            out.push(v);
            true
        })?;
        Ok(out)
    }

    /// Stream the matches (exports); return false from `each` to stop.
    pub fn query_each(
        &self,
        f: &Filter,
        each: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<(), ServiceError> {
        self.walk(f, each)
    }

    /// How many records matching `f` the actor may read (ignores limit and
    /// offset). Never counts what the actor may not see.
    pub fn count(&self, f: &Filter) -> Result<u64, ServiceError> {
        let privileged = self.actor.role.clearance() == Sensitivity::Confidential;
        if privileged {
            // Nothing is redacted for this clearance: the database count is exact.
            let store = self.archive.store()?;
            return Ok(store.count(&self.restricted(f))?);
        }
        let mut unlimited = f.clone();
        unlimited.limit = None;
        unlimited.offset = 0;
        let mut n = 0u64;
        self.walk(&unlimited, &mut |_| {
            n += 1;
            true
        })?;
        Ok(n)
    }

    /// The revision history of `id` (permission `ReadHistory`), oldest first.
    pub fn history(&self, id: &RecordId) -> Result<Vec<RevisionView>, ServiceError> {
        let mut store = self.archive.store()?;
        let revs = store.history(id)?;
        let Some(last) = revs.last() else {
            return Err(ServiceError::NotFound(id.clone()));
        };
        let env = last.envelope();
        if !self.can_read(&env) {
            return Err(ServiceError::NotFound(id.clone()));
        }
        check(&self.actor, Operation::ReadHistory, &env)?;
        if revs
            .iter()
            .any(|r| r.sensitivity == Sensitivity::Confidential && self.can_read(&r.envelope()))
        {
            crate::audit::log_access(
                &mut **store,
                &self.actor.user,
                std::slice::from_ref(id),
                "history",
            )?;
        }
        let c = self.clearance();
        let mut out = Vec::with_capacity(revs.len());
        let mut prev_readable = false;
        for r in revs {
            let readable = self.can_read(&r.envelope());
            let show = |body: &Option<String>| -> Result<Option<Record>, ServiceError> {
                body.as_deref()
                    .map(|b| decode(r.id.as_str(), b).map(|rec| rec.redact(c)))
                    .transpose()
            };
            out.push(RevisionView {
                seq: r.seq,
                rev: r.rev,
                op: r.op,
                actor: r.actor.clone(),
                at: r.at.clone(),
                origin: r.origin.clone(),
                after: if readable { show(&r.body)? } else { None },
                before: if readable && prev_readable {
                    show(&r.body_before)?
                } else {
                    None
                },
                withheld: !readable,
            });
            prev_readable = readable;
        }
        Ok(out)
    }

    /// Records referring to `id` that the actor may read.
    pub fn referrers(&self, id: &RecordId, limit: usize) -> Result<Vec<RecordId>, ServiceError> {
        let store = self.archive.store()?;
        let Some(cur) = store.get(id)? else {
            return Err(ServiceError::NotFound(id.clone()));
        };
        if !self.can_read(&cur.envelope) {
            return Err(ServiceError::NotFound(id.clone()));
        }
        let by = store.referrers(id, usize::MAX)?;
        let mut seen: HashMap<RecordId, ()> = HashMap::new();
        let mut out = Vec::new();
        for r in store.get_many(&by)? {
            if out.len() >= limit {
                break;
            }
            if self.can_read(&r.envelope) && seen.insert(r.envelope.id.clone(), ()).is_none() {
                out.push(r.envelope.id);
            }
        }
        Ok(out)
    }
}

/// Field errors of a record's own validation, for imports.
pub(crate) fn field_problems(errors: Vec<FieldError>) -> Vec<(String, String)> {
    errors.into_iter().map(|e| (e.path, e.reason)).collect()
}
