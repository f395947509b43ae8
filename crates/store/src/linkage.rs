//! Record-linkage state: reviewer decisions on pairs of person records and
//! the resolved persons (clusters) a linkage run saved.
//!
//! Kept outside the records on purpose: linking never rewrites or deletes a
//! source record. A resolved person is a set of memberships (record id →
//! resolved id), so every member keeps its own names, dates and claims, and
//! an unlink only deletes memberships. Decisions and membership changes are
//! appended to append-only tables (`link_decisions`, `linkage_log`; see
//! migration 0003) with actor, time and origin, so the history of who
//! decided what survives every later run. Every row of those two tables is
//! also committed to the tamper-evident ledger in the same transaction, as a
//! leaf of type 0x05 ([`LinkageLeaf`]), so `tumen verify` covers reviewer
//! decisions, resolved-person joins and leaves, and unlinks. Each entry
//! commits to its row byte for byte (the tests recompute every row's entry
//! and name any row altered, added or removed behind the ledger's back).
//!
//! The values here cross the [`crate::Store`] trait; the SQLite functions at
//! the bottom are what [`crate::SqliteStore`] calls, each in one transaction.

use crate::error::{Ctx, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use tumen_model::RecordId;

/// Leaf type of a linkage change (0x01 revision, 0x02 custody, 0x03
/// confidential access, 0x04 account change).
pub const LEAF_LINKAGE_V1: u8 = 0x05;

/// Canonical bytes of a ledger entry for one row of `link_decisions` or
/// `linkage_log`. Integers big-endian, strings UTF-8 with a u32 length:
///
/// ```text
/// u8   0x05          leaf type: linkage change, format v1
/// u64  seq           this entry's ledger seq (1-based)
/// str  origin        replica id
/// str  actor
/// str  at            RFC 3339 UTC time of the change
/// str  table         link_decisions | linkage_log
/// u64  row           the row's seq in that table
/// str  action        same | different (a decision); run | join | leave (log)
/// str  a             id_a of a decision; record_id of a log row, or ""
/// str  b             id_b of a decision; resolved_id of a log row, or ""
/// str  run           "" for a decision; the log row's run
/// [32] text_sha256   SHA-256 of the decision's note / the log row's detail
///                    (of "" when there is none)
/// ```
///
/// Record ids and resolved ids are in the entry (they say which records a
/// reviewer joined); a note or a run's detail only as a hash, so no free
/// text a reviewer wrote is copied out of the encrypted tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkageLeaf {
    pub seq: u64,
    pub origin: String,
    pub actor: String,
    pub at: String,
    pub table: String,
    pub row: u64,
    pub action: String,
    pub a: String,
    pub b: String,
    pub run: String,
    pub text_sha256: [u8; 32],
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn sha256(text: Option<&str>) -> [u8; 32] {
    Sha256::digest(text.unwrap_or("").as_bytes()).into()
}

impl LinkageLeaf {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            96 + self.origin.len() + self.actor.len() + self.a.len() + self.b.len(),
        );
        out.push(LEAF_LINKAGE_V1);
        out.extend_from_slice(&self.seq.to_be_bytes());
        put_str(&mut out, &self.origin);
        put_str(&mut out, &self.actor);
        put_str(&mut out, &self.at);
        put_str(&mut out, &self.table);
        out.extend_from_slice(&self.row.to_be_bytes());
        put_str(&mut out, &self.action);
        put_str(&mut out, &self.a);
        put_str(&mut out, &self.b);
        put_str(&mut out, &self.run);
        out.extend_from_slice(&self.text_sha256);
        out
    }

    /// Parse leaf bytes; `None` if they are not a well-formed v1 linkage entry.
    pub fn decode(bytes: &[u8]) -> Option<LinkageLeaf> {
        let mut r = crate::leaf::Reader { b: bytes };
        if r.take(1)? != [LEAF_LINKAGE_V1] {
            return None;
        }
        let leaf = LinkageLeaf {
            seq: r.u64()?,
            origin: r.str()?,
            actor: r.str()?,
            at: r.str()?,
            table: r.str()?,
            row: r.u64()?,
            action: r.str()?,
            a: r.str()?,
            b: r.str()?,
            run: r.str()?,
            text_sha256: r.take(32)?.try_into().ok()?,
        };
        r.b.is_empty().then_some(leaf)
    }
}

/// Appends one linkage leaf to the ledger on `conn` (inside the caller's
/// transaction or savepoint), numbered after the last entry.
#[allow(clippy::too_many_arguments)]
fn ledger_append(
    conn: &Connection,
    origin: &str,
    actor: &str,
    at: &str,
    table: &str,
    row: i64,
    action: &str,
    a: Option<&str>,
    b: Option<&str>,
    run: &str,
    text: Option<&str>,
) -> Result<(), StoreError> {
    let seq: i64 = conn
        .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger", [], |r| {
            r.get(0)
        })
        .ctx("reading the ledger length")?;
    let leaf = LinkageLeaf {
        seq: seq as u64,
        origin: origin.to_string(),
        actor: actor.to_string(),
        at: at.to_string(),
        table: table.to_string(),
        row: row as u64,
        action: action.to_string(),
        a: a.unwrap_or("").to_string(),
        b: b.unwrap_or("").to_string(),
        run: run.to_string(),
        text_sha256: sha256(text),
    };
    conn.execute(
        "INSERT INTO ledger (seq, leaf) VALUES (?1, ?2)",
        params![seq, leaf.encode()],
    )
    .ctx("appending a linkage entry to the ledger")?;
    Ok(())
}

/// What [`check_ledger`] found.
#[cfg(test)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkageLedgerCheck {
    /// Linkage entries in the ledger.
    pub entries: u64,
    /// Rows whose entry matches them byte for byte.
    pub matching: u64,
    /// Problems, naming the table and row (never a note's text).
    pub problems: Vec<String>,
}

/// Recomputes the ledger entry of every row of `link_decisions` and
/// `linkage_log` and compares it with the ledger: a row altered after it was
/// written, a row with no entry (inserted behind the ledger's back) and an
/// entry with no row (a row deleted) are each named.
#[cfg(test)]
pub(crate) fn check_ledger(conn: &Connection) -> Result<LinkageLedgerCheck, StoreError> {
    let mut out = LinkageLedgerCheck::default();
    // (table, row) → the entry's bytes with its ledger seq zeroed.
    let mut logged: BTreeMap<(String, u64), Vec<u8>> = BTreeMap::new();
    {
        let mut st = conn
            .prepare("SELECT seq, leaf FROM ledger ORDER BY seq")
            .ctx("reading the ledger")?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .ctx("reading the ledger")?;
        for row in rows {
            let (seq, bytes) = row.ctx("reading the ledger")?;
            if bytes.first() != Some(&LEAF_LINKAGE_V1) {
                continue;
            }
            out.entries += 1;
            match LinkageLeaf::decode(&bytes) {
                Some(mut l) if l.seq == seq as u64 => {
                    l.seq = 0;
                    logged.insert((l.table.clone(), l.row), l.encode());
                }
                _ => out.problems.push(format!(
                    "ledger entry {seq}: not a well-formed linkage entry"
                )),
            }
        }
    }
    let mut expect = |table: &str, row: i64, leaf: LinkageLeaf| match logged
        .remove(&(table.to_string(), row as u64))
    {
        Some(bytes) if bytes == leaf.encode() => out.matching += 1,
        Some(_) => out
            .problems
            .push(format!("{table} row {row} differs from its ledger entry")),
        None => out
            .problems
            .push(format!("{table} row {row} has no ledger entry")),
    };
    {
        let mut st = conn
            .prepare(
                "SELECT seq, id_a, id_b, decision, note, actor, at, origin FROM link_decisions ORDER BY seq",
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
                    r.get::<_, String>(7)?,
                ))
            })
            .ctx("reading link decisions")?;
        for row in rows {
            let (seq, a, b, decision, note, actor, at, origin) =
                row.ctx("reading link decisions")?;
            let leaf = LinkageLeaf {
                seq: 0,
                origin,
                actor,
                at,
                table: "link_decisions".into(),
                row: seq as u64,
                action: decision,
                a,
                b,
                run: String::new(),
                text_sha256: sha256(note.as_deref()),
            };
            expect("link_decisions", seq, leaf);
        }
    }
    {
        let mut st = conn
            .prepare(
                "SELECT seq, at, actor, origin, action, run, resolved_id, record_id, detail FROM linkage_log ORDER BY seq",
            )
            .ctx("reading the linkage log")?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            })
            .ctx("reading the linkage log")?;
        for row in rows {
            let (seq, at, actor, origin, action, run, resolved, record, detail) =
                row.ctx("reading the linkage log")?;
            let leaf = LinkageLeaf {
                seq: 0,
                origin,
                actor,
                at,
                table: "linkage_log".into(),
                row: seq as u64,
                action,
                a: record.unwrap_or_default(),
                b: resolved.unwrap_or_default(),
                run,
                text_sha256: sha256(detail.as_deref()),
            };
            expect("linkage_log", seq, leaf);
        }
    }
    for (table, row) in logged.into_keys() {
        out.problems.push(format!(
            "{table} row {row} is in the ledger but missing from the table"
        ));
    }
    Ok(out)
}

/// Runs `f` inside a savepoint: all of it is kept, or none.
fn atomically<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("SAVEPOINT linkage_change")
        .ctx("starting a linkage change")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE linkage_change")
                .ctx("committing a linkage change")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO linkage_change; RELEASE linkage_change");
            Err(e)
        }
    }
}

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
    let decision = if same { "same" } else { "different" };
    let seq = atomically(conn, |conn| {
        conn.execute(
            "INSERT INTO link_decisions (id_a, id_b, decision, note, actor, at, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![a.as_str(), b.as_str(), decision, note, actor, at, origin],
        )
        .ctx("recording a link decision")?;
        let seq = conn.last_insert_rowid();
        ledger_append(
            conn,
            origin,
            actor,
            &at,
            "link_decisions",
            seq,
            decision,
            Some(a.as_str()),
            Some(b.as_str()),
            "",
            note,
        )?;
        Ok(seq)
    })?;
    Ok(LinkDecision {
        seq: seq as u64,
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
        let seq = self.conn.last_insert_rowid();
        ledger_append(
            self.conn,
            self.origin,
            self.actor,
            &self.at,
            "linkage_log",
            seq,
            action,
            record,
            resolved,
            run,
            detail,
        )?;
        Ok(seq)
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
    fn linkage_leaf_exact_layout_and_round_trip() {
        let l = LinkageLeaf {
            seq: 9,
            origin: "o".into(),
            actor: "ann".into(),
            at: "t".into(),
            table: "link_decisions".into(),
            row: 2,
            action: "same".into(),
            a: "p-1".into(),
            b: "p-2".into(),
            run: String::new(),
            text_sha256: [0xcd; 32],
        };
        let b = l.encode();
        // Hand-assembled from the documented layout.
        let mut want = vec![0x05u8, 0, 0, 0, 0, 0, 0, 0, 9];
        for s in ["o", "ann", "t", "link_decisions"] {
            want.extend_from_slice(&(s.len() as u32).to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2]);
        for s in ["same", "p-1", "p-2", ""] {
            want.extend_from_slice(&(s.len() as u32).to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        want.extend_from_slice(&[0xcd; 32]);
        assert_eq!(b, want);
        assert_eq!(LinkageLeaf::decode(&b), Some(l));
        assert_eq!(LinkageLeaf::decode(&b[..b.len() - 1]), None);
        let mut extra = b.clone();
        extra.push(0);
        assert_eq!(LinkageLeaf::decode(&extra), None);
        // SHA-256("") (FIPS 180-4 test vector), the hash of an absent note.
        assert_eq!(
            hex::encode(sha256(None)),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_decision_join_leave_and_unlink_is_in_the_ledger() {
        let mut c = db();
        let ledger_len = |c: &Connection| -> i64 {
            c.query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0))
                .unwrap()
        };
        add_decision(
            &c,
            "o",
            "ann",
            &id("a"),
            &id("b"),
            true,
            Some("same mother"),
        )
        .unwrap();
        assert_eq!(ledger_len(&c), 1);
        let run = LinkRunWrite {
            scope: vec![id("a"), id("b"), id("c")],
            clusters: vec![vec![id("a"), id("b"), id("c")]],
            detail: "{\"records\":3}".into(),
        };
        save_run(&mut c, "o", "ann", &run).unwrap();
        // run row + three joins.
        assert_eq!(ledger_len(&c), 5);
        unlink(&mut c, "o", "bob", "P-a", Some(&id("c"))).unwrap();
        // unlink row + one leave + two "different" decisions.
        assert_eq!(ledger_len(&c), 9);
        let leaves: Vec<LinkageLeaf> = {
            let mut st = c.prepare("SELECT leaf FROM ledger ORDER BY seq").unwrap();
            st.query_map([], |r| r.get::<_, Vec<u8>>(0))
                .unwrap()
                .map(|b| LinkageLeaf::decode(&b.unwrap()).unwrap())
                .collect()
        };
        assert_eq!(
            leaves.iter().map(|l| l.seq).collect::<Vec<_>>(),
            (1..=9).collect::<Vec<u64>>()
        );
        assert_eq!(
            (
                leaves[0].action.as_str(),
                leaves[0].a.as_str(),
                leaves[0].b.as_str()
            ),
            ("same", "a", "b")
        );
        assert_eq!(leaves[0].text_sha256, sha256(Some("same mother")));
        let joins: Vec<(&str, &str)> = leaves
            .iter()
            .filter(|l| l.action == "join")
            .map(|l| (l.a.as_str(), l.b.as_str()))
            .collect();
        assert_eq!(joins, [("a", "P-a"), ("b", "P-a"), ("c", "P-a")]);
        assert!(
            leaves
                .iter()
                .any(|l| l.action == "leave" && l.a == "c" && l.actor == "bob")
        );
        let check = check_ledger(&c).unwrap();
        assert_eq!((check.entries, check.matching), (9, 9), "{check:?}");
        assert!(check.problems.is_empty());

        // Someone with the key drops the guards and rewrites history: the
        // ledger names every row touched.
        c.execute_batch(
            "DROP TRIGGER link_decisions_no_update; DROP TRIGGER linkage_log_no_delete;",
        )
        .unwrap();
        c.execute(
            "UPDATE link_decisions SET decision = 'different' WHERE seq = 1",
            [],
        )
        .unwrap();
        c.execute("DELETE FROM linkage_log WHERE action = 'leave'", [])
            .unwrap();
        c.execute(
            "INSERT INTO link_decisions (id_a, id_b, decision, actor, at, origin) VALUES ('x', 'y', 'same', 'eve', 't', 'o')",
            [],
        )
        .unwrap();
        let check = check_ledger(&c).unwrap();
        assert_eq!(check.problems.len(), 3, "{:?}", check.problems);
        assert!(check.problems[0].contains("link_decisions row 1 differs"));
        assert!(
            check
                .problems
                .iter()
                .any(|p| p.contains("has no ledger entry"))
        );
        assert!(
            check
                .problems
                .iter()
                .any(|p| p.contains("missing from the table"))
        );
    }

    #[test]
    fn a_failed_decision_leaves_neither_row_nor_entry() {
        let c = db();
        c.execute_batch(
            "CREATE TRIGGER no_ledger BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, 'full'); END;",
        )
        .unwrap();
        assert!(add_decision(&c, "o", "ann", &id("a"), &id("b"), true, None).is_err());
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM link_decisions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "the decision row rolls back with its ledger entry");
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
