//! Evidence files through the service: acquiring a file for a record,
//! listing a record's files, exporting a copy (stripped of Exif/GPS when it
//! is to be shared) and re-hashing every original — each access-checked
//! against the records the file documents, each a custody event in the
//! ledger (leaf type 0x02, bytes fixed by `tumen_evidence::custody`).
//!
//! Rules (a file carries the sensitivity of the records it documents):
//! * attaching a file is a change to the record: `Update` on it;
//! * listing needs `Read` on the record; the original file name and the
//!   extracted metadata (GPS can locate a witness's family) are shown only
//!   to roles cleared for confidential records;
//! * exporting needs `Export` on every record the file is attached to;
//!   an export that keeps the metadata needs confidential clearance;
//! * re-hashing everything needs what `tumen verify` needs.

use crate::error::ServiceError;
use crate::session::Session;
use std::io::{Read, Write};
use std::path::Path;
use tumen_evidence::{CustodyEvent, EvidenceId, EvidenceStore, Info, Limits};
use tumen_model::{RecordId, Sensitivity};
use tumen_protect::{Operation, check};
use tumen_store::{EvidenceLink, Store};

/// Key purpose of the evidence files' key.
const EVIDENCE_KEY_PURPOSE: &str = "evidence";

/// One file attached to a record, as the actor may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceView {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub note: String,
    pub added_by: String,
    pub added_at: String,
    /// The name the file was supplied under (`None` when withheld).
    pub name: Option<String>,
    /// Extracted tags as JSON (`None` when withheld).
    pub metadata: Option<String>,
}

/// The outcome of re-hashing one original.
#[derive(Debug)]
pub struct EvidenceCheck {
    pub sha256: String,
    /// `None` when the file decrypts and hashes to its id.
    pub problem: Option<String>,
}

/// An actor's access-checked view of the evidence files.
pub struct Evidence<'s, 'a> {
    session: &'s Session<'a>,
    files: EvidenceStore,
}

fn ev(e: tumen_evidence::EvidenceError) -> ServiceError {
    ServiceError::Evidence(e.to_string())
}

fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

pub(crate) fn log_custody(
    store: &mut dyn Store,
    events: &[CustodyEvent],
) -> Result<(), ServiceError> {
    let mut it = events.iter();
    store.append_ledger(&mut |seq| it.next().map(|e| e.leaf_bytes(seq)))?;
    Ok(())
}

impl<'a> Session<'a> {
    /// The evidence files under `data_dir` (created if missing), in the
    /// directory the keyring names (`evidence`, or `evidence-<generation>`
    /// after a data-key rotation).
    pub fn evidence(&self, data_dir: &Path) -> Result<Evidence<'_, 'a>, ServiceError> {
        let (key, name) = {
            let store = self.archive().store()?;
            (
                store.derive_subkey(EVIDENCE_KEY_PURPOSE)?,
                store.evidence_dir(),
            )
        };
        let files =
            EvidenceStore::open_dir(&data_dir.join(name), &key, Limits::default()).map_err(ev)?;
        Ok(Evidence {
            session: self,
            files,
        })
    }
}

impl Evidence<'_, '_> {
    fn cleared(&self) -> bool {
        self.session.actor().role.clearance() == Sensitivity::Confidential
    }

    /// The record's envelope, if the actor may read it at all (a record
    /// they may not read is "not found", as everywhere).
    fn readable(
        &self,
        store: &dyn Store,
        id: &RecordId,
    ) -> Result<tumen_model::Envelope, ServiceError> {
        match store.get(id)? {
            Some(s) if check(self.session.actor(), Operation::Read, &s.envelope).is_ok() => {
                Ok(s.envelope)
            }
            _ => Err(ServiceError::NotFound(id.clone())),
        }
    }

    /// Acquire `src` as evidence for `record`: hashed while read, encrypted,
    /// stored under its address, metadata extracted; the `acquire` custody
    /// event is appended to the ledger. A file already in the archive is
    /// attached again without being stored twice.
    pub fn add(
        &self,
        record: &RecordId,
        src: &mut dyn Read,
        name: &str,
        note: &str,
        now_ms: i64,
    ) -> Result<(String, Info), ServiceError> {
        let mut store = self.session.archive().store()?;
        let env = self.readable(store.as_ref(), record)?;
        check(self.session.actor(), Operation::Update, &env)?;
        let actor = &self.session.actor().user;
        let (id, info, event) = match self.files.acquire(src, name, actor, now_ms) {
            Ok(t) => t,
            Err(tumen_evidence::EvidenceError::AlreadyAcquired { id }) => {
                let eid = EvidenceId::parse(&id).map_err(ev)?;
                let info = self.files.info(&eid).map_err(ev)?;
                let event = CustodyEvent {
                    action: tumen_evidence::CustodyAction::Acquire,
                    evidence_sha256: eid.0,
                    actor: actor.clone(),
                    time_ms: now_ms,
                    result_sha256: eid.0,
                    detail: format!("attached_again_to={record}"),
                };
                (eid, info, event)
            }
            Err(e) => return Err(ev(e)),
        };
        store.link_evidence(&EvidenceLink {
            sha256: id.to_hex(),
            record_id: record.as_str().to_string(),
            note: note.to_string(),
            media_type: info.media_type.clone(),
            size: info.size,
            metadata: serde_json::to_string(&info.metadata).unwrap_or_else(|_| "{}".into()),
            added_by: actor.clone(),
            added_at: rfc3339_ms(now_ms),
        })?;
        log_custody(&mut **store, &[event])?;
        Ok((id.to_hex(), info))
    }

    /// The files attached to `record`.
    pub fn list(&self, record: &RecordId) -> Result<Vec<EvidenceView>, ServiceError> {
        let store = self.session.archive().store()?;
        self.readable(store.as_ref(), record)?;
        let cleared = self.cleared();
        let mut out = Vec::new();
        for l in store.evidence_of(record.as_str())? {
            let name = if cleared {
                let id = EvidenceId::parse(&l.sha256).map_err(ev)?;
                self.files.info(&id).ok().map(|i| i.name)
            } else {
                None
            };
            out.push(EvidenceView {
                sha256: l.sha256,
                size: l.size,
                media_type: l.media_type,
                note: l.note,
                added_by: l.added_by,
                added_at: l.added_at,
                name,
                metadata: cleared.then_some(l.metadata),
            });
        }
        Ok(out)
    }

    /// Write a copy of the original `sha256` to `out` (stripped of Exif/GPS
    /// with `strip`); the `export` custody event is appended to the ledger.
    /// On an error the caller must discard what was written.
    pub fn export(
        &self,
        sha256: &str,
        out: &mut dyn Write,
        strip: bool,
        purpose: &str,
        now_ms: i64,
    ) -> Result<CustodyEvent, ServiceError> {
        let id = EvidenceId::parse(sha256).map_err(ev)?;
        let mut store = self.session.archive().store()?;
        let links = store.evidence_links(&id.to_hex())?;
        let not_found =
            || ServiceError::Evidence(format!("no evidence {} that you may read", id.to_hex()));
        if links.is_empty() {
            return Err(not_found());
        }
        for l in &links {
            let rid = RecordId::new(l.record_id.clone()).map_err(|_| not_found())?;
            let env = self
                .readable(store.as_ref(), &rid)
                .map_err(|_| not_found())?;
            check(self.session.actor(), Operation::Export, &env)?;
        }
        if !strip && !self.cleared() {
            return Err(ServiceError::Evidence(format!(
                "evidence {}: only roles cleared for confidential records may export it with its metadata; use --strip",
                id.to_hex()
            )));
        }
        let event = self
            .files
            .export(&id, out, strip, &self.session.actor().user, now_ms, purpose)
            .map_err(ev)?;
        log_custody(&mut **store, std::slice::from_ref(&event))?;
        Ok(event)
    }

    /// Decrypt and re-hash every original; each check is a custody event.
    pub fn verify_all(&self, now_ms: i64) -> Result<Vec<EvidenceCheck>, ServiceError> {
        drop(self.session.ledger()?); // the same permission as `tumen verify`
        let mut store = self.session.archive().store()?;
        let actor = &self.session.actor().user;
        let mut checks = Vec::new();
        let mut events = Vec::new();
        // Every original in the evidence directory, whether a record cites
        // it or not.
        let ids: Vec<String> = self
            .files
            .list()
            .map_err(ev)?
            .into_iter()
            .map(|i| i.sha256)
            .collect();
        for sha in ids {
            let id = EvidenceId::parse(&sha).map_err(ev)?;
            match self.files.verify(&id, actor, now_ms) {
                Ok(event) => {
                    events.push(event);
                    checks.push(EvidenceCheck {
                        sha256: sha,
                        problem: None,
                    });
                }
                Err(e) => checks.push(EvidenceCheck {
                    sha256: sha,
                    problem: Some(e.to_string()),
                }),
            }
        }
        log_custody(&mut **store, &events)?;
        Ok(checks)
    }
}
