//! Record-linkage state: reviewer decisions on pairs of person records and
//! the resolved persons (clusters) a linkage run saved.
//!
//! Kept outside the records on purpose: linking never rewrites or deletes a
//! source record. A resolved person is a set of memberships (record id →
//! resolved id), so every member keeps its own names, dates and claims, and
//! an unlink only deletes memberships. Decisions and membership changes are
//! appended to append-only tables (`link_decisions`, `linkage_log`; see
//! migration 0003) with actor, time and origin, so the history of who
//! decided what survives every later run. They are not leaves of the record
//! ledger: the ledger's sequence numbers are record revisions, which sync
//! and verification rely on; a later issue may give linkage its own leaves.
//!
//! The values here cross the [`crate::Store`] trait; the SQLite functions at
//! the bottom are what [`crate::SqliteStore`] calls, each in one transaction.

use crate::error::{Ctx, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tumen_model::RecordId;

/// A reviewer's decision that two person records are (or are not) the same
/// person. The pair is unordered; `id_a < id_b` always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDecision {
    pub seq: u64,
    pub id_a: RecordId,
    pub id_b: RecordId,
    pub same: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub actor: String,
    /// RFC 3339 UTC.
    pub at: String,
}

/// One membership of a record in a resolved person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedMember {
    pub resolved_id: String,
    pub record_id: RecordId,
    /// The run that put the record there.
    pub run: String,
    pub added_by: String,
    pub added_at: String,
}

/// What a linkage run saves: the clusters it found among `scope` (the
/// records it looked at). Memberships of records in scope are replaced;
/// records outside it (e.g. ones the actor could not read) keep theirs.
#[derive(Debug, Clone, Default)]
pub struct LinkRunWrite {
    pub scope: Vec<RecordId>,
    /// Clusters of two or more records; each record in at most one.
    pub clusters: Vec<Vec<RecordId>>,
    /// A JSON summary of the run for the log (counts and settings; no names).
    pub detail: String,
}

/// What saving a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRunSaved {
    pub run: String,
    pub resolved_persons: u64,
    pub memberships: u64,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn record_id(table: &'static str, column: &'static str, v: String) -> Result<RecordId, StoreError> {
    RecordId::new(&v).map_err(|e| StoreError::CorruptRow {
        table,
        column,
        row: v.chars().take(80).collect(),
        why: e.to_string(),
    })
}

/// The unordered pair in stored order.
pub fn ordered<'x>(a: &'x RecordId, b: &'x RecordId) -> (&'x RecordId, &'x RecordId) {
    if a.as_str() <= b.as_str() {
        (a, b)
    } else {
        (b, a)
    }
}

/// The current decision of every pair (its latest row).
pub(crate) fn decisions(conn: &Connection) -> Result<Vec<LinkDecision>, StoreError> {
    let mut st = conn
        .prepare(
            "SELECT d.seq, d.id_a, d.id_b, d.decision, d.note, d.actor, d.at FROM link_decisions d
             WHERE d.seq = (SELECT MAX(e.seq) FROM link_decisions e WHERE e.id_a = d.id_a AND e.id_b = d.id_b)
             ORDER BY d.id_a, d.id_b",
        )
        .ctx("reading link decisions")?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .ctx("reading link decisions")?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, a, b, d, note, actor, at) = row.ctx("reading link decisions")?;
        out.push(LinkDecision {
            seq: seq as u64,
            id_a: record_id("link_decisions", "id_a", a)?,
            id_b: record_id("link_decisions", "id_b", b)?,
            same: d == "same",
            note,
            actor,
            at,
        });
    }
    Ok(out)
}

/// Append a decision (it supersedes earlier ones on the same pair).
pub(crate) fn add_decision(
    conn: &Connection,
    origin: &str,
    actor: &str,
    a: &RecordId,
    b: &RecordId,
    same: bool,
    note: Option<&str>,
) -> Result<LinkDecision, StoreError> {
    if a == b {
        return Err(StoreError::Invalid(format!(
            "a link decision needs two different records (got {a} twice)"
        )));
    }
    let (a, b) = ordered(a, b);
    let at = now();
    conn.execute(
        "INSERT INTO link_decisions (id_a, id_b, decision, note, actor, at, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![a.as_str(), b.as_str(), if same { "same" } else { "different" }, note, actor, at, origin],
    )
    .ctx("recording a link decision")?;
    Ok(LinkDecision {
        seq: conn.last_insert_rowid() as u64,
        id_a: a.clone(),
        id_b: b.clone(),
        same,
        note: note.map(str::to_string),
        actor: actor.to_string(),
        at,
    })
}

/// Every membership, by resolved id then record id.
pub(crate) fn members(conn: &Connection) -> Result<Vec<ResolvedMember>, StoreError> {
    let mut st = conn
        .prepare(
            "SELECT resolved_id, record_id, run, added_by, added_at FROM resolved_members
             ORDER BY resolved_id, record_id",
        )
        .ctx("reading resolved persons")?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .ctx("reading resolved persons")?;
    let mut out = Vec::new();
    for row in rows {
        let (resolved_id, rec, run, added_by, added_at) = row.ctx("reading resolved persons")?;
        out.push(ResolvedMember {
            resolved_id,
            record_id: record_id("resolved_members", "record_id", rec)?,
            run,
            added_by,
            added_at,
        });
    }
    Ok(out)
}

struct Log<'c> {
    conn: &'c Connection,
    at: String,
    actor: &'c str,
    origin: &'c str,
}

impl Log<'_> {
    fn write(
        &self,
        action: &str,
        run: &str,
        resolved: Option<&str>,
        record: Option<&str>,
        detail: Option<&str>,
    ) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO linkage_log (at, actor, origin, action, run, resolved_id, record_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![self.at, self.actor, self.origin, action, run, resolved, record, detail],
            )
            .ctx("writing the linkage log")?;
        Ok(self.conn.last_insert_rowid())
    }
}

/// Remove one membership, logging it.
fn leave(log: &Log, run: &str, resolved: &str, record: &str) -> Result<(), StoreError> {
    log.conn
        .execute(
            "DELETE FROM resolved_members WHERE record_id = ?1",
            [record],
        )
        .ctx("removing a membership")?;
    log.write("leave", run, Some(resolved), Some(record), None)?;
    Ok(())
}

/// A resolved person of one member is no resolved person: dissolve those.
fn drop_singletons(log: &Log, run: &str) -> Result<(), StoreError> {
    let lone: Vec<(String, String)> = {
        let mut st = log
            .conn
            .prepare(
                "SELECT resolved_id, MIN(record_id) FROM resolved_members
                 GROUP BY resolved_id HAVING COUNT(*) < 2",
            )
            .ctx("finding one-member persons")?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("finding one-member persons")?;
        rows.collect::<Result<_, _>>()
            .ctx("finding one-member persons")?
    };
    for (resolved, record) in lone {
        leave(log, run, &resolved, &record)?;
    }
    Ok(())
}

/// Replace the memberships of the records in `w.scope` by `w.clusters`.
/// Resolved ids are `P-` + the smallest member id (readable, and stable while
/// that member stays), made unique with a suffix when taken.
pub(crate) fn save_run(
    conn: &mut Connection,
    origin: &str,
    actor: &str,
    w: &LinkRunWrite,
) -> Result<LinkRunSaved, StoreError> {
    let mut seen = BTreeSet::new();
    let scope: BTreeSet<&str> = w.scope.iter().map(|r| r.as_str()).collect();
    for c in &w.clusters {
        if c.len() < 2 {
            return Err(StoreError::Invalid(
                "a resolved person needs at least two member records".into(),
            ));
        }
        for r in c {
            if !seen.insert(r.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "record {r} is in two clusters of one run"
                )));
            }
            if !scope.contains(r.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "record {r} is in a cluster but not in the run's scope"
                )));
            }
        }
    }
    let tx = conn.transaction().ctx("starting a linkage save")?;
    let log = Log {
        conn: &tx,
        at: now(),
        actor,
        origin,
    };
    let seq = log.write("run", "", None, None, Some(&w.detail))?;
    let run = format!("run-{seq}");
    // The run row is written first to number the run; its own `run` column
    // stays empty because the log is append-only (the number is its seq).
    let current = members(&tx)?;
    let mut by_resolved: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in &current {
        by_resolved
            .entry(m.resolved_id.as_str())
            .or_default()
            .insert(m.record_id.as_str());
    }
    // A cluster found again exactly keeps its id, run and time (and writes
    // nothing), so the log shows what changed, not every re-run.
    let mut unchanged: BTreeSet<&str> = BTreeSet::new();
    let mut fresh: Vec<Vec<&str>> = Vec::new();
    for c in &w.clusters {
        let set: BTreeSet<&str> = c.iter().map(|r| r.as_str()).collect();
        match by_resolved.iter().find(|(_, m)| **m == set) {
            Some((_, m)) => unchanged.extend(m.iter().copied()),
            None => fresh.push(set.into_iter().collect()),
        }
    }
    for m in &current {
        let r = m.record_id.as_str();
        if scope.contains(r) && !unchanged.contains(r) {
            leave(&log, &run, &m.resolved_id, r)?;
        }
    }
    drop_singletons(&log, &run)?;
    let mut memberships = unchanged.len() as u64;
    for ids in fresh {
        let base = format!("P-{}", ids.first().copied().unwrap_or_default());
        let mut resolved = base.clone();
        let mut n = 1;
        while tx
            .query_row(
                "SELECT 1 FROM resolved_members WHERE resolved_id = ?1 LIMIT 1",
                [&resolved],
                |_| Ok(()),
            )
            .optional()
            .ctx("choosing a resolved id")?
            .is_some()
        {
            n += 1;
            resolved = format!("{base}-{n}");
        }
        for r in ids {
            tx.execute(
                "INSERT INTO resolved_members (record_id, resolved_id, run, added_by, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r, resolved, run, actor, log.at],
            )
            .ctx("adding a membership")?;
            log.write("join", &run, Some(&resolved), Some(r), None)?;
            memberships += 1;
        }
    }
    drop(log);
    tx.commit().ctx("committing a linkage save")?;
    Ok(LinkRunSaved {
        run,
        resolved_persons: w.clusters.len() as u64,
        memberships,
    })
}

/// Take `record` (or every member) out of `resolved`, and record a
/// "different" decision between each removed record and the members it
/// leaves (or between all former members), so later runs do not join them
/// again. Returns the records that became persons on their own.
pub(crate) fn unlink(
    conn: &mut Connection,
    origin: &str,
    actor: &str,
    resolved: &str,
    record: Option<&RecordId>,
) -> Result<Vec<RecordId>, StoreError> {
    let tx = conn.transaction().ctx("starting an unlink")?;
    let all: Vec<RecordId> = members(&tx)?
        .into_iter()
        .filter(|m| m.resolved_id == resolved)
        .map(|m| m.record_id)
        .collect();
    if all.is_empty() {
        return Err(StoreError::Invalid(format!(
            "there is no resolved person {resolved}"
        )));
    }
    let removed: Vec<RecordId> = match record {
        Some(r) if all.contains(r) => vec![r.clone()],
        Some(r) => {
            return Err(StoreError::Invalid(format!(
                "record {r} is not a member of {resolved}"
            )));
        }
        None => all.clone(),
    };
    let log = Log {
        conn: &tx,
        at: now(),
        actor,
        origin,
    };
    let seq = log.write("run", "", Some(resolved), None, Some("{\"unlink\":true}"))?;
    let run = format!("unlink-{seq}");
    let note = format!("unlink of {resolved}");
    for (i, r) in removed.iter().enumerate() {
        leave(&log, &run, resolved, r.as_str())?;
        for other in &all {
            let earlier_removed = removed[..i].contains(other);
            if other == r || earlier_removed {
                continue;
            }
            add_decision(&tx, origin, actor, r, other, false, Some(&note))?;
        }
    }
    drop_singletons(&log, &run)?;
    let now_alone: Vec<RecordId> = {
        let still: BTreeSet<String> = members(&tx)?
            .into_iter()
            .map(|m| m.record_id.to_string())
            .collect();
        all.into_iter()
            .filter(|r| !still.contains(r.as_str()))
            .collect()
    };
    drop(log);
    tx.commit().ctx("committing an unlink")?;
    Ok(now_alone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::migrations::migrate(&mut c, std::path::Path::new(":memory:")).unwrap();
        c
    }

    fn id(s: &str) -> RecordId {
        RecordId::new(s).unwrap()
    }

    #[test]
    fn latest_decision_wins_and_pairs_are_unordered() {
        let c = db();
        add_decision(&c, "o", "ann", &id("p-2"), &id("p-1"), true, None).unwrap();
        add_decision(&c, "o", "bob", &id("p-1"), &id("p-2"), false, Some("twins")).unwrap();
        add_decision(&c, "o", "bob", &id("p-1"), &id("p-3"), true, None).unwrap();
        let d = decisions(&c).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].id_a.as_str(), d[0].id_b.as_str()), ("p-1", "p-2"));
        assert!(!d[0].same);
        assert_eq!(d[0].actor, "bob");
        assert_eq!(d[0].note.as_deref(), Some("twins"));
        assert!(d[1].same);
        assert!(add_decision(&c, "o", "a", &id("p-1"), &id("p-1"), true, None).is_err());
    }

    #[test]
    fn history_tables_refuse_rewrites() {
        let c = db();
        add_decision(&c, "o", "ann", &id("p-1"), &id("p-2"), true, None).unwrap();
        assert!(c.execute("DELETE FROM link_decisions", []).is_err());
        assert!(
            c.execute("UPDATE link_decisions SET decision = 'different'", [])
                .is_err()
        );
    }

    #[test]
    fn runs_replace_scope_and_unlink_restores_with_decisions() {
        let mut c = db();
        let run = LinkRunWrite {
            scope: vec![id("a"), id("b"), id("c"), id("d")],
            clusters: vec![vec![id("c"), id("a"), id("b")]],
            detail: "{}".into(),
        };
        let saved = save_run(&mut c, "o", "ann", &run).unwrap();
        assert_eq!(saved.memberships, 3);
        let m = members(&c).unwrap();
        assert!(m.iter().all(|m| m.resolved_id == "P-a"));
        // A second run finding the same cluster leaves it as it was.
        let first_run = members(&c).unwrap()[0].run.clone();
        let log_len = |c: &Connection| -> i64 {
            c.query_row("SELECT COUNT(*) FROM linkage_log", [], |r| r.get(0))
                .unwrap()
        };
        let before = log_len(&c);
        save_run(&mut c, "o", "ann", &run).unwrap();
        assert_eq!(log_len(&c), before + 1, "only the run itself is logged");
        let m = members(&c).unwrap();
        assert_eq!(m.len(), 3);
        assert!(m.iter().all(|m| m.run == first_run));
        // A changed cluster replaces the old one, never duplicates.
        let mut run2 = run.clone();
        run2.clusters = vec![vec![id("a"), id("b")], vec![id("c"), id("d")]];
        save_run(&mut c, "o", "ann", &run2).unwrap();
        let m = members(&c).unwrap();
        assert_eq!(m.len(), 4);
        assert!(m.iter().all(|m| m.run != first_run));
        assert_eq!(
            m.iter().filter(|m| m.resolved_id == "P-c").count(),
            2,
            "{m:?}"
        );
        save_run(&mut c, "o", "ann", &run).unwrap();

        let alone = unlink(&mut c, "o", "bob", "P-a", Some(&id("b"))).unwrap();
        assert_eq!(alone, vec![id("b")]);
        let d = decisions(&c).unwrap();
        assert_eq!(d.len(), 2, "b kept apart from a and c");
        assert!(d.iter().all(|d| !d.same && d.actor == "bob"));
        let alone = unlink(&mut c, "o", "bob", "P-a", None).unwrap();
        assert_eq!(alone, vec![id("a"), id("c")]);
        assert!(members(&c).unwrap().is_empty());
        assert!(unlink(&mut c, "o", "bob", "P-a", None).is_err());
        let logged: i64 = c
            .query_row("SELECT COUNT(*) FROM linkage_log", [], |r| r.get(0))
            .unwrap();
        assert!(logged >= 10);
    }

    #[test]
    fn bad_runs_are_refused_whole() {
        let mut c = db();
        let run = LinkRunWrite {
            scope: vec![id("a"), id("b")],
            clusters: vec![vec![id("a"), id("b")], vec![id("b"), id("a")]],
            detail: String::new(),
        };
        assert!(save_run(&mut c, "o", "ann", &run).is_err());
        let run = LinkRunWrite {
            scope: vec![id("a")],
            clusters: vec![vec![id("a"), id("z")]],
            detail: String::new(),
        };
        assert!(save_run(&mut c, "o", "ann", &run).is_err());
        assert!(members(&c).unwrap().is_empty());
    }
}
