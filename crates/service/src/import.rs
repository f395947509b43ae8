//! All-or-nothing imports.
//!
//! The caller (the CLI) parses its file into [`ImportItem`]s, numbered by
//! line. This thread checks access, validates each record and prepares its
//! rows with the batch's [`Preparer`] (body hash, index keys, and the
//! numbers of its ids and keys in the batch's interner), then hands it to a
//! writer thread that owns the store's transaction — so parsing, validation
//! and preparation run on one core while SQLite (and SQLCipher) write on
//! the other. The writer sends each chunk back once written, so that its memory
//! is freed by the thread that allocated it (glibc's allocator makes a
//! thread that frees another thread's memory pay for that thread's arena).
//! Every row is checked even after the first problem, so the user gets
//! every row's errors at once; if there is any, the transaction is rolled
//! back and nothing is written.

use crate::error::{RowProblem, ServiceError};
use crate::session::{Session, field_problems, load_vocabularies};
use std::collections::HashMap;
use std::sync::mpsc;
use tumen_model::{FieldError, Record, RecordId};
use tumen_protect::{Operation, Role, check};
use tumen_store::{BatchSummary, Expect, Prepared, Preparer, Put, Store};

/// One input row: its line number (for messages) and the parsed record, or
/// why it could not be parsed.
pub struct ImportItem {
    pub line: u64,
    pub record: Result<Record, Vec<FieldError>>,
    /// The row's id when the record could not be parsed but its id could
    /// (a valid record id, read from the row): messages name it, as they
    /// do for a parsed record. Ignored when `record` is `Ok`.
    pub id: Option<String>,
}

/// Whether existing ids are an error or are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    /// Every id must be new.
    #[default]
    CreateOnly,
    /// Existing records with the same id are replaced (a new revision).
    Upsert,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub mode: ImportMode,
    /// Number of rows, if known, for the progress callback.
    pub total: Option<u64>,
}

/// What a committed import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The store's timing of the import's end (see
    /// [`BatchSummary::finish_steps`]), for benchmarks.
    pub finish_steps: Vec<(&'static str, std::time::Duration)>,
}

/// Problems kept in full; beyond this only counted.
const MAX_PROBLEMS: usize = 10_000;
const CHUNK: usize = 512;

enum Msg {
    Rows(Vec<(u64, Prepared)>),
    End { commit: bool },
}

struct Problems {
    list: Vec<RowProblem>,
    more: u64,
}

impl Problems {
    fn push(&mut self, p: RowProblem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(p);
        } else {
            self.more += 1;
        }
    }
}

/// The writer thread: one transaction, every row, then commit or roll back.
fn write_all(
    store: &mut dyn Store,
    actor: &tumen_protect::Actor,
    rx: mpsc::Receiver<Msg>,
    spent: mpsc::Sender<Vec<(u64, Prepared)>>,
    ready: mpsc::SyncSender<Preparer>,
) -> Result<(Option<BatchSummary>, Problems), ServiceError> {
    let mut problems = Problems {
        list: Vec::new(),
        more: 0,
    };
    let mut batch = store.begin_import(&actor.user)?;
    // The parsing thread prepares the rows for this batch (it numbers their
    // ids and keys, work that would otherwise fall to this thread).
    let _ = ready.send(batch.preparer());
    drop(ready);
    let mut lines: Vec<u64> = Vec::new(); // store row -> input line
    // For non-administrators: may the actor read each referenced record?
    let mut readable: HashMap<RecordId, bool> = HashMap::new();
    let mut commit = false;
    for msg in rx {
        match msg {
            Msg::Rows(rows) => {
                for (line, prepared) in &rows {
                    let (line, put) = (*line, prepared.put());
                    if actor.role != Role::Administrator {
                        let mut bad = None;
                        for t in put.index.refs.iter().filter(|t| **t != put.envelope.id) {
                            let ok = match readable.get(t) {
                                Some(ok) => *ok,
                                None => {
                                    let ok = match batch.get(t)? {
                                        Some(s) => {
                                            check(actor, Operation::Read, &s.envelope).is_ok()
                                        }
                                        None => true, // unknown yet: the store's reference check decides
                                    };
                                    readable.insert(t.clone(), ok);
                                    ok
                                }
                            };
                            if !ok {
                                bad = Some(t.clone());
                                break;
                            }
                        }
                        if let Some(t) = bad {
                            problems.push(RowProblem {
                                line,
                                id: Some(put.envelope.id.to_string()),
                                field: String::new(),
                                reason: format!(
                                    "refers to {t}, which does not exist or which you may not read"
                                ),
                            });
                            continue;
                        }
                    }
                    if actor.role != Role::Administrator && put.expect == Expect::Any {
                        // An upsert must not overwrite a record the actor may
                        // not read or update.
                        if let Some(cur) = batch.get(&put.envelope.id)? {
                            let allowed = check(actor, Operation::Read, &cur.envelope)
                                .and_then(|_| check(actor, Operation::Update, &cur.envelope))
                                .is_ok();
                            if !allowed {
                                problems.push(RowProblem {
                                    line,
                                    id: Some(put.envelope.id.to_string()),
                                    field: String::new(),
                                    reason: "the id is already used by a record you may not update"
                                        .into(),
                                });
                                continue;
                            }
                        }
                    }
                    lines.push(line);
                    // Row errors are collected by the batch and reported by check().
                    let _ = batch.put_prepared(prepared);
                }
                // Freed over there; if the producer is gone, here.
                let _ = spent.send(rows);
            }
            Msg::End { commit: c } => {
                commit = c;
                break;
            }
        }
    }
    for e in batch.check()? {
        let reason = if e.reason.starts_with("refers to ") {
            // Same words whether the target is missing or unreadable.
            match e.reason.split_whitespace().nth(2) {
                Some(t) => format!(
                    "refers to {}, which does not exist or which you may not read",
                    t.trim_end_matches(',')
                ),
                None => e.reason.clone(),
            }
        } else {
            e.reason.clone()
        };
        problems.push(RowProblem {
            line: lines.get(e.row).copied().unwrap_or(0),
            id: Some(e.id.clone()),
            field: String::new(),
            reason,
        });
    }
    if commit && problems.list.is_empty() && problems.more == 0 {
        Ok((Some(batch.commit()?), problems))
    } else {
        batch.rollback()?;
        Ok((None, problems))
    }
}

impl Session<'_> {
    /// Import every item in one transaction: all rows land, or none does
    /// and [`ServiceError::ImportRejected`] lists every row's problems (in
    /// line order; the first 10,000 in full).
    pub fn import_batch(
        &self,
        items: &mut dyn Iterator<Item = ImportItem>,
        opts: ImportOptions,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<ImportSummary, ServiceError> {
        let actor = self.actor().clone();
        let mut guard = self.archive().store()?;
        let vocabs = load_vocabularies(guard.as_ref())?;
        let store: &mut dyn Store = guard.as_mut();
        let expect = match opts.mode {
            ImportMode::CreateOnly => Expect::Absent,
            ImportMode::Upsert => Expect::Any,
        };
        let mut problems = Problems {
            list: Vec::new(),
            more: 0,
        };
        let mut rows = 0u64;
        let result = std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<Msg>(8);
            let (spent_tx, spent) = mpsc::channel::<Vec<(u64, Prepared)>>();
            let (ready_tx, ready) = mpsc::sync_channel::<Preparer>(1);
            let writer_actor = actor.clone();
            let writer =
                scope.spawn(move || write_all(store, &writer_actor, rx, spent_tx, ready_tx));
            // If the batch could not begin, the writer is gone: the first
            // send below finds out, and its error is the import's.
            let preparer = ready.recv().unwrap_or_default();
            let mut chunk: Vec<(u64, Prepared)> = Vec::with_capacity(CHUNK);
            let mut writer_gone = false;
            for item in &mut *items {
                rows += 1;
                match item.record {
                    Err(errs) => {
                        for (field, reason) in field_problems(errs) {
                            problems.push(RowProblem {
                                line: item.line,
                                id: item.id.clone(),
                                field,
                                reason,
                            });
                        }
                    }
                    Ok(rec) => {
                        let id = rec.id().to_string();
                        let env = rec.envelope();
                        let op = if expect == Expect::Absent {
                            Operation::Create
                        } else {
                            Operation::Update
                        };
                        if let Err(e) = check(&actor, Operation::Create, &env)
                            .and_then(|_| check(&actor, op, &env))
                        {
                            problems.push(RowProblem {
                                line: item.line,
                                id: Some(id),
                                field: String::new(),
                                reason: e.to_string(),
                            });
                        } else if let Err(errs) = rec.validate(&vocabs) {
                            for (field, reason) in field_problems(errs) {
                                problems.push(RowProblem {
                                    line: item.line,
                                    id: Some(id.clone()),
                                    field,
                                    reason,
                                });
                            }
                        } else {
                            let put = Put {
                                envelope: env,
                                index: rec.index_terms(),
                                body: rec.to_json(),
                                expect,
                            };
                            chunk.push((item.line, preparer.prepare(put)));
                            if chunk.len() >= CHUNK {
                                // Reuse a written chunk's buffer (dropping
                                // its rows here) rather than allocate one.
                                let next = match spent.try_recv() {
                                    Ok(mut v) => {
                                        v.clear();
                                        v
                                    }
                                    Err(_) => Vec::with_capacity(CHUNK),
                                };
                                let full = std::mem::replace(&mut chunk, next);
                                if tx.send(Msg::Rows(full)).is_err() {
                                    writer_gone = true;
                                    break;
                                }
                            }
                        }
                    }
                }
                if rows % 1024 == 0 {
                    progress(rows, opts.total);
                }
            }
            if !writer_gone {
                if !chunk.is_empty() {
                    let _ = tx.send(Msg::Rows(chunk));
                }
                let commit = problems.list.is_empty() && problems.more == 0;
                let _ = tx.send(Msg::End { commit });
            }
            drop(tx);
            writer
                .join()
                .map_err(|_| ServiceError::Writer("it panicked".into()))?
        });
        progress(rows, opts.total);
        let (summary, writer_problems) = result?;
        if summary.is_some() && rows >= 10_000 {
            // The data is committed; fresher planner statistics only help
            // later queries, so a failure here must not fail the import.
            let _ = guard.optimize();
        }
        match summary {
            Some(s) if problems.list.is_empty() && problems.more == 0 => Ok(ImportSummary {
                rows,
                created: s.created,
                updated: s.updated,
                first_seq: s.first_seq,
                last_seq: s.last_seq,
                finish_steps: s.finish_steps,
            }),
            _ => {
                let mut all = problems.list;
                all.extend(writer_problems.list);
                all.sort_by_key(|p| p.line);
                let mut more = problems.more + writer_problems.more;
                if all.len() > MAX_PROBLEMS {
                    more += (all.len() - MAX_PROBLEMS) as u64;
                    all.truncate(MAX_PROBLEMS);
                }
                Err(ServiceError::ImportRejected {
                    rows,
                    problems: all,
                    more,
                })
            }
        }
    }
}
