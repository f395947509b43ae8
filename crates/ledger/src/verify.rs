//! Checking a whole ledger against the records it vouches for, in one pass.
//!
//! `tumen verify` reads the ledger table in order and, for each entry, the
//! revision row it names; it decodes the entry and recomputes it from the
//! revision (the entry format belongs to the store, so the caller does
//! this), then hands the outcome to a [`LedgerCheck`], which
//!
//! 1. checks that row positions run 0, 1, 2… without gaps or going back
//!    (a gap is a *removed* entry, going back a *reordered* one);
//! 2. checks the position written inside the entry against its row (an
//!    entry moved to another row is *reordered*);
//! 3. records the caller's comparison of the stored entry with the one
//!    recomputed from the revision row (a difference is an *altered* entry
//!    or record; a missing row a *removed* revision);
//! 4. folds the stored leaves into a [`Frontier`] and, whenever the tree
//!    reaches the size of a signed tree head, compares roots. A mismatch
//!    there means entries were rewritten together with their records: it is
//!    localised to the stretch since the previous head that still matched;
//! 5. at the end, reports a *truncated* ledger if a signed head covers more
//!    entries than remain.
//!
//! Memory is O(log n) plus the list of heads, so a million entries stream
//! through in about a second. Everything is pure: the caller does the reads.

use crate::hash::{Hash, leaf_hash};
use crate::head::{PublicKey, SignedTreeHead};
use crate::tree::Frontier;

/// Cap on the number of problems kept in a report (the first ones matter).
pub const MAX_PROBLEMS: usize = 1000;

/// One thing wrong with a ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// Entries `index..next_seq` are missing: the next stored entry has
    /// position `next_seq`.
    Removed { index: u64, next_seq: u64 },
    /// The entry at `index` claims position `found_seq`.
    Reordered { index: u64, found_seq: u64 },
    /// The entry at `index` no longer matches the revision it names.
    Altered {
        index: u64,
        record_id: String,
        rev: u64,
    },
    /// The revision the entry at `index` names is gone.
    RevisionMissing {
        index: u64,
        record_id: String,
        rev: u64,
    },
    /// The stored entry at `index` cannot be decoded.
    Unreadable { index: u64, why: String },
    /// A revision exists that no ledger entry records.
    NotLogged { record_id: String, rev: u64 },
    /// A signed head covers `head_size` entries, but only `ledger_size` remain.
    Truncated { ledger_size: u64, head_size: u64 },
    /// The recomputed root at `head_size` differs from the signed one: some
    /// entry in `from_index..head_size` was rewritten (with its record).
    RootMismatch { from_index: u64, head_size: u64 },
    /// A stored tree head whose signature does not verify with the trusted
    /// key (forged, or signed with another key).
    ForgedHead { head_size: u64, why: String },
}

impl Problem {
    /// The first ledger position this problem implicates, if any.
    pub fn first_index(&self) -> Option<u64> {
        match self {
            Problem::Removed { index, .. }
            | Problem::Reordered { index, .. }
            | Problem::Altered { index, .. }
            | Problem::RevisionMissing { index, .. }
            | Problem::Unreadable { index, .. } => Some(*index),
            Problem::Truncated { ledger_size, .. } => Some(*ledger_size),
            Problem::RootMismatch { from_index, .. } => Some(*from_index),
            Problem::NotLogged { .. } | Problem::ForgedHead { .. } => None,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Removed { index, next_seq } => write!(
                f,
                "entry {index} removed: the ledger jumps from {index} to {next_seq}"
            ),
            Problem::Reordered { index, found_seq } => write!(
                f,
                "entry {index} reordered: the entry at position {index} is entry {found_seq}"
            ),
            Problem::Altered {
                index,
                record_id,
                rev,
            } => write!(
                f,
                "entry {index} altered: record {record_id} revision {rev} does not match its ledger entry"
            ),
            Problem::RevisionMissing {
                index,
                record_id,
                rev,
            } => write!(
                f,
                "entry {index}: record {record_id} revision {rev} is missing from the database"
            ),
            Problem::Unreadable { index, why } => write!(f, "entry {index} unreadable: {why}"),
            Problem::NotLogged { record_id, rev } => {
                write!(f, "record {record_id} revision {rev} has no ledger entry")
            }
            Problem::Truncated {
                ledger_size,
                head_size,
            } => write!(
                f,
                "ledger truncated: a signed tree head covers {head_size} entries but only {ledger_size} remain; entry {ledger_size} is the first missing"
            ),
            Problem::RootMismatch {
                from_index,
                head_size,
            } => write!(
                f,
                "ledger rewritten: the tree of {head_size} entries does not match its signed head; the change lies in entries {from_index}..{head_size}"
            ),
            Problem::ForgedHead { head_size, why } => write!(
                f,
                "stored tree head for size {head_size} is not genuine: {why}"
            ),
        }
    }
}

/// How a stored entry compares with the row it vouches for (worked out by
/// the caller, who knows the entry format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recheck {
    /// Recomputing the entry from its row gives the stored bytes exactly.
    Matches,
    /// The row exists but recomputes to different bytes.
    Altered { record_id: String, rev: u64 },
    /// The row the entry names does not exist.
    RevisionMissing { record_id: String, rev: u64 },
    /// The stored bytes cannot be decoded.
    Unreadable(String),
    /// The entry names a change (`found`, e.g. a revision seq) that should
    /// come before the previous entry's (`after`): entries were reordered.
    OutOfOrder { found: u64, after: u64 },
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Entries read.
    pub size: u64,
    /// Root recomputed over the stored entries.
    #[serde(serialize_with = "ser_hex")]
    pub root: Hash,
    /// Signed heads whose root matched.
    pub heads_matched: usize,
    /// The largest head size that matched (0 if none).
    pub last_good_head: u64,
    /// Problems, in the order found (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub problems_dropped: u64,
}

fn ser_hex<S: serde::Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.problems_dropped == 0
    }
    /// The first bad ledger position.
    ///
    /// Exact findings (removed, reordered, altered, unreadable, truncated)
    /// name their position. A root mismatch that no exact finding explains
    /// (an entry rewritten together with its record) only bounds the change
    /// to a stretch; then the start of that stretch is returned and
    /// [`Report::first_bad_is_exact`] is false.
    pub fn first_bad_index(&self) -> Option<u64> {
        self.first_bad().map(|(i, _)| i)
    }

    /// Whether [`Report::first_bad_index`] names the exact entry (true) or
    /// only the start of the stretch that contains it (false).
    pub fn first_bad_is_exact(&self) -> bool {
        self.first_bad().is_some_and(|(_, exact)| exact)
    }

    fn first_bad(&self) -> Option<(u64, bool)> {
        let exact = self
            .problems
            .iter()
            .filter(|p| !matches!(p, Problem::RootMismatch { .. }))
            .filter_map(Problem::first_index)
            .min();
        let unexplained = self
            .problems
            .iter()
            .filter_map(|p| match p {
                Problem::RootMismatch {
                    from_index,
                    head_size,
                } if exact.is_none_or(|e| e >= *head_size) => Some(*from_index),
                _ => None,
            })
            .min();
        match (exact, unexplained) {
            (Some(e), Some(u)) if u < e => Some((u, false)),
            (Some(e), _) => Some((e, true)),
            (None, Some(u)) => Some((u, false)),
            (None, None) => None,
        }
    }
}

/// A streaming ledger check; see the module doc.
#[derive(Debug)]
pub struct LedgerCheck {
    frontier: Frontier,
    /// The row position expected next.
    expected_row: u64,
    /// Heads with good signatures, ascending by size.
    heads: Vec<SignedTreeHead>,
    next_head: usize,
    last_good_head: u64,
    heads_matched: usize,
    problems: Vec<Problem>,
    dropped: u64,
}

impl LedgerCheck {
    /// Start a check. `heads` are the stored signed tree heads (any order);
    /// each is verified against `trusted` first, and a forged one is itself a
    /// problem and is not used.
    pub fn new(trusted: &PublicKey, heads: impl IntoIterator<Item = SignedTreeHead>) -> Self {
        let mut c = LedgerCheck {
            frontier: Frontier::new(),
            expected_row: 0,
            heads: Vec::new(),
            next_head: 0,
            last_good_head: 0,
            heads_matched: 0,
            problems: Vec::new(),
            dropped: 0,
        };
        for h in heads {
            match h.verify(trusted) {
                Ok(()) => c.heads.push(h),
                Err(e) => c.problem(Problem::ForgedHead {
                    head_size: h.head.size,
                    why: e.to_string(),
                }),
            }
        }
        c.heads.sort_by_key(|h| h.head.size);
        // Heads of size 0 say nothing beyond the empty root.
        c.check_heads_at_current_size();
        c
    }

    fn problem(&mut self, p: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.dropped += 1;
        }
    }

    /// Number of entries taken so far (the next expected position).
    pub fn position(&self) -> u64 {
        self.frontier.size()
    }

    /// Take the next stored entry in ledger order.
    ///
    /// * `row_index`: the 0-based position the ledger table stores for the
    ///   row (RFC 6962 leaf index);
    /// * `stored`: the entry bytes stored in the ledger table, exactly;
    /// * `claimed_index`: the 0-based position written inside the entry, if
    ///   the caller could decode it;
    /// * `recheck`: how the stored entry compares with the one recomputed
    ///   from the revision (or custody) row it names.
    pub fn push(
        &mut self,
        row_index: u64,
        stored: &[u8],
        claimed_index: Option<u64>,
        recheck: Recheck,
    ) {
        let index = self.position();
        // After a gap or a step back, expectations resynchronise on the row
        // just read, so one removed entry is reported once, not once for
        // every entry after it.
        if row_index > self.expected_row {
            self.problem(Problem::Removed {
                index: self.expected_row,
                next_seq: row_index,
            });
        } else if row_index < self.expected_row {
            self.problem(Problem::Reordered {
                index,
                found_seq: row_index,
            });
        } else if let Some(c) = claimed_index {
            if c != row_index {
                self.problem(Problem::Reordered {
                    index,
                    found_seq: c,
                });
            }
        }
        self.expected_row = row_index.saturating_add(1);
        match recheck {
            Recheck::Matches => {}
            Recheck::Altered { record_id, rev } => self.problem(Problem::Altered {
                index,
                record_id,
                rev,
            }),
            Recheck::RevisionMissing { record_id, rev } => self.problem(Problem::RevisionMissing {
                index,
                record_id,
                rev,
            }),
            Recheck::Unreadable(why) => self.problem(Problem::Unreadable { index, why }),
            Recheck::OutOfOrder { found, .. } => self.problem(Problem::Reordered {
                index,
                found_seq: found,
            }),
        }
        self.frontier.push_leaf_hash(leaf_hash(stored));
        self.check_heads_at_current_size();
    }

    fn check_heads_at_current_size(&mut self) {
        let size = self.frontier.size();
        while let Some(h) = self.heads.get(self.next_head) {
            if h.head.size != size {
                break;
            }
            let h = *h;
            self.next_head += 1;
            if h.head.root == self.frontier.root() {
                self.heads_matched += 1;
                self.last_good_head = size;
            } else {
                self.problem(Problem::RootMismatch {
                    from_index: self.last_good_head,
                    head_size: size,
                });
            }
        }
    }

    /// Record a revision that has no ledger entry (found by the caller).
    pub fn not_logged(&mut self, record_id: &str, rev: u64) {
        self.problem(Problem::NotLogged {
            record_id: record_id.to_string(),
            rev,
        });
    }

    /// Finish: report heads that cover more entries than were read.
    pub fn finish(mut self) -> Report {
        let size = self.frontier.size();
        if let Some(h) = self.heads.last() {
            if h.head.size > size {
                let head_size = h.head.size;
                self.problem(Problem::Truncated {
                    ledger_size: size,
                    head_size,
                });
            }
        }
        Report {
            size,
            root: self.frontier.root(),
            heads_matched: self.heads_matched,
            last_good_head: self.last_good_head,
            problems: self.problems,
            problems_dropped: self.dropped,
        }
    }
}
