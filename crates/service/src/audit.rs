//! The ledger beyond record revisions: access entries for confidential
//! reads, and read access to the ledger for `tumen verify`.
//!
//! Issue 6 asks that every access to a confidential record be in the
//! tamper-evident ledger. Sessions call [`log_access`] after a read that
//! returned a confidential record (one entry per record; a query that
//! returns many writes them in one transaction). The entry names the actor,
//! the record id, how it was read and when — nothing the record holds.
//!
//! [`LedgerAccess`] is how `tumen verify` reads the two tables it compares
//! (ledger and revisions) through the service rather than the store: it
//! recomputes hashes over every revision, confidential ones included, so it
//! is granted only to roles that may read the history of a confidential,
//! group-less record (administrators and investigators).

use crate::error::ServiceError;
use crate::session::Session;
use std::sync::MutexGuard;
use tumen_model::{Envelope, RecordId, RecordKind, Sensitivity};
use tumen_protect::{Operation, check};
use tumen_store::leaf::AccessLeaf;
use tumen_store::{LedgerLeaf, Revision, Store};
use zeroize::Zeroizing;

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Append one access entry per id, in one transaction.
pub(crate) fn log_access(
    store: &mut dyn Store,
    actor: &str,
    ids: &[RecordId],
    how: &str,
) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Ok(());
    }
    let origin = store.origin().to_string();
    let at = now_rfc3339();
    let mut it = ids.iter();
    store.append_ledger(&mut |seq| {
        it.next().map(|id| {
            AccessLeaf {
                seq,
                origin: origin.clone(),
                actor: actor.to_string(),
                at: at.clone(),
                id: id.as_str().to_string(),
                how: how.to_string(),
            }
            .encode()
        })
    })?;
    Ok(())
}

/// Read access to the ledger and the revision history, for verification.
pub struct LedgerAccess<'a> {
    store: MutexGuard<'a, Box<dyn Store>>,
}

impl LedgerAccess<'_> {
    /// Ledger rows with `seq >= from_seq` (1-based), in order.
    pub fn leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>, ServiceError> {
        Ok(self.store.ledger_leaves(from_seq, limit)?)
    }
    /// Revisions with `seq > after_seq`, in order.
    pub fn revisions(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>, ServiceError> {
        Ok(self.store.revisions_since(after_seq, limit)?)
    }
    /// The seed of the ledger's Ed25519 signing key (derived from the data
    /// key; it exists only while the archive is unlocked).
    pub fn signing_seed(&self) -> Result<Zeroizing<[u8; 32]>, ServiceError> {
        Ok(self.store.derive_subkey("ledger-signing")?)
    }
    /// Every account's administrative state as the accounts table holds it
    /// (no hash, no secret), to compare with the account entries.
    pub fn account_states(&self) -> Result<Vec<crate::accounts::AccountState>, ServiceError> {
        crate::accounts::account_states(self.store.as_ref())
    }
    /// A ledger setting (e.g. the kept signed heads).
    pub fn setting(&self, key: &str) -> Result<Option<String>, ServiceError> {
        Ok(self.store.setting(key)?)
    }
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), ServiceError> {
        Ok(self.store.set_setting(key, value)?)
    }
}

impl<'a> Session<'a> {
    /// The ledger for verification; see the module doc for who may.
    pub fn ledger(&self) -> Result<LedgerAccess<'a>, ServiceError> {
        let env = Envelope {
            id: RecordId::new("ledger").unwrap_or_else(|_| unreachable!("a constant, valid id")),
            kind: RecordKind::Source,
            sensitivity: Sensitivity::Confidential,
            access_groups: Vec::new(),
        };
        check(self.actor(), Operation::ReadHistory, &env)?;
        Ok(LedgerAccess {
            store: self.archive().store()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::*;
    use tumen_model::{Record, RecordId};
    use tumen_store::leaf::AccessLeaf;

    fn person(id: &str, sens: &str) -> Record {
        Record::from_json(&format!(
            r#"{{"kind":"person","id":"{id}","sensitivity":"{sens}","names":[{{"text":"Name {id}","script":"latin","kind":"romanization_as_given"}}],"claims":[{{"source":"src-1"}}]}}"#
        ))
        .unwrap()
    }

    fn accesses(a: &Archive) -> Vec<AccessLeaf> {
        let s = a.store().unwrap();
        s.ledger_leaves(1, 10_000)
            .unwrap()
            .iter()
            .filter_map(|l| AccessLeaf::decode(&l.bytes))
            .collect()
    }

    #[test]
    fn every_confidential_read_is_logged_once_and_refused_reads_are_not() {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::init(d.path(), "pw", InitOptions::insecure_fast_for_tests()).unwrap();
        let admin = a.session(local_administrator("admin"));
        admin
            .create(
                &Record::from_json(
                    r#"{"kind":"source","id":"src-1","sensitivity":"public","source_type":"news_report","title":"R","date":"2023-10-13","reliability":"B"}"#,
                )
                .unwrap(),
            )
            .unwrap();
        for (id, s) in [
            ("p-1", "confidential"),
            ("p-2", "restricted"),
            ("p-3", "confidential"),
        ] {
            admin.create(&person(id, s)).unwrap();
        }
        assert!(
            accesses(&a).is_empty(),
            "writes are revisions, not accesses"
        );
        let analyst = a.session(Actor {
            user: "ana".into(),
            role: Role::Analyst,
            groups: vec![],
        });
        assert_eq!(analyst.query(&Filter::default()).unwrap().len(), 2);
        assert!(
            analyst
                .get(&RecordId::new("p-1").unwrap())
                .unwrap()
                .is_none()
        );
        assert!(accesses(&a).is_empty(), "nothing confidential was read");

        let ivy = a.session(Actor {
            user: "ivy".into(),
            role: Role::Investigator,
            groups: vec![],
        });
        assert_eq!(ivy.query(&Filter::default()).unwrap().len(), 4);
        let got = accesses(&a);
        let ids: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|l| (l.actor.as_str(), l.id.as_str(), l.how.as_str()))
            .collect();
        assert_eq!(ids, vec![("ivy", "p-1", "query"), ("ivy", "p-3", "query")]);
        // The entries are ledger rows in sequence: their own seq is their row.
        let s = a.store().unwrap();
        let rows = s.ledger_leaves(1, 100).unwrap();
        for r in rows {
            if let Some(l) = AccessLeaf::decode(&r.bytes) {
                assert_eq!(l.seq, r.seq);
            }
        }
        drop(s);
        // A limited query logs only what it returned.
        ivy.query(&Filter {
            limit: Some(1),
            ..Filter::default()
        })
        .unwrap();
        assert_eq!(accesses(&a).len(), 3);
    }
}
