//! Comparison levels per field. Each field kind has an ordered list of levels,
//! strongest agreement first; level 0 always means "missing on one side" and
//! carries no weight. Work that depends on one value only (normalising,
//! parsing dates, name keys, word tokens) is done once per distinct value, so
//! comparing a pair is a few integer tests and, at most, one string metric.
//!
//! Every string compared by a metric also gets a [`Bag`]: its length and the
//! count of its characters in 64 buckets, a fixed-size integer feature. Two
//! bags bound both metrics from one side without touching the characters:
//! an edit-distance lower bound (half the bags' L1 distance) settles most
//! identifier, postcode and number pairs, and a Jaro–Winkler upper bound
//! (shared characters ≤ the bags' overlap) most place and address pairs.
//! Person names, whose cross-script score is opaque to this crate, are
//! memoised per pair of distinct values in a small shared matrix
//! ([`LevelMemo`]) when the field has at most a few thousand distinct
//! values: such lists repeat the same names, and random pairs for `u` meet
//! the same pairs of common names again and again.
//!
//! Person names go through a [`NameComparator`]: the generic one (Jaro–Winkler
//! on normalised spellings, word order tolerant) and, when the `tumen-names`
//! library exposes its API, a cross-script one. The comparator is a trait so
//! the rest of the crate does not care which one runs.

use crate::data::{Column, FieldKind, FieldSpec};
use crate::date::{self, DATE_LEVELS, PartialDate};
use crate::strsim::{
    Digits, hash_str, jaro_winkler, normalize, osa_digits, osa_distance_bounded, token_jaccard,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};

/// Longest prefix (in characters) used by string metrics; longer free text is
/// compared on its first part only, so a pathological value cannot make one
/// comparison quadratic in megabytes.
const MAX_CHARS: usize = 200;

/// Compares person names. Implementations precompute what they need per
/// distinct value (`prepare`) and then score pairs of prepared values.
pub trait NameComparator: Send + Sync {
    /// Short name shown in explanations and summaries.
    fn name(&self) -> &'static str;
    /// Prepares each distinct value of a column (called once per column),
    /// using up to `threads` threads.
    fn prepare(&self, values: &[Box<str>], threads: usize) -> Box<dyn PreparedNames>;
    /// Blocking keys of a name: two spellings of one name share at least one.
    fn blocking_keys(&self, value: &str) -> Vec<u64>;
    /// The value used for term-frequency counting (e.g. the canonical surname
    /// reading, so that 金, 김, Kim and Gim count as one common surname).
    fn frequency_key(&self, value: &str, kind: FieldKind) -> String;
}

/// Prepared distinct values of one name column.
pub trait PreparedNames: Send + Sync {
    /// Compares distinct values `i` and `j` (0-based dictionary indices):
    /// whether the comparator judges them the same name in another spelling
    /// or script, and a similarity 0..=1. Only similarities at or above
    /// `floor` need be exact; below it any value below `floor` may be
    /// returned (lets implementations skip hopeless pairs).
    fn compare(&self, i: usize, j: usize, floor: f64) -> (bool, f64);
}

/// Jaro–Winkler on normalised spellings, also trying the words sorted (so
/// "Chol Jin Kim" meets "Kim Chol Jin").
pub struct GenericNames;

struct GenericPrepared {
    chars: Vec<Vec<char>>,
    sorted: Vec<Option<Vec<char>>>,
    bags: Vec<Bag>,
}

impl NameComparator for GenericNames {
    fn name(&self) -> &'static str {
        "jaro-winkler"
    }
    fn prepare(&self, values: &[Box<str>], _threads: usize) -> Box<dyn PreparedNames> {
        let mut chars = Vec::with_capacity(values.len());
        let mut sorted = Vec::with_capacity(values.len());
        let mut bags = Vec::with_capacity(values.len());
        for v in values {
            let n = normalize(v);
            let mut words: Vec<&str> = n.split(' ').collect();
            let s = if words.len() > 1 {
                words.sort_unstable();
                Some(words.join(" ").chars().take(MAX_CHARS).collect())
            } else {
                None
            };
            let c: Vec<char> = n.chars().take(MAX_CHARS).collect();
            bags.push(Bag::of(&c));
            chars.push(c);
            sorted.push(s);
        }
        Box::new(GenericPrepared {
            chars,
            sorted,
            bags,
        })
    }
    fn blocking_keys(&self, value: &str) -> Vec<u64> {
        let n = normalize(value);
        let mut words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return Vec::new();
        }
        words.sort_unstable();
        vec![hash_str(&words.join(" "))]
    }
    fn frequency_key(&self, value: &str, _kind: FieldKind) -> String {
        normalize(value)
    }
}

impl PreparedNames for GenericPrepared {
    fn compare(&self, i: usize, j: usize, floor: f64) -> (bool, f64) {
        let (Some(a), Some(b)) = (self.chars.get(i), self.chars.get(j)) else {
            return (false, 0.0);
        };
        // Word order does not change the character bag, so one bound serves
        // both the written and the sorted order, with the longer of their
        // common prefixes.
        let sorted = match (self.sorted.get(i), self.sorted.get(j)) {
            (Some(Some(x)), Some(Some(y))) => Some((x, y)),
            _ => None,
        };
        if let (Some(x), Some(y)) = (self.bags.get(i), self.bags.get(j)) {
            let prefix = sorted.map_or(0, |(p, q)| common_prefix(p, q));
            if x.jw_surely_below(y, prefix.max(x.common_prefix(y)), floor) {
                return (false, 0.0);
            }
        }
        let mut s = jaro_winkler(a, b);
        if let Some((x, y)) = sorted {
            s = s.max(jaro_winkler(x, y));
        }
        (s >= 0.92, s)
    }
}

/// Cross-script person names through `tumen-names`: Hangul, Hanja (either
/// form), and every romanization meet on one key; the generic Jaro–Winkler
/// score is kept alongside for plain typos. Surname frequencies are counted
/// by canonical Hangul reading, so 金, 김, Kim and Gim are one common surname.
pub struct CrossScriptNames;

struct CrossPrepared {
    keys: Vec<tumen_names::NameKey>,
    generic: Box<dyn PreparedNames>,
}

impl NameComparator for CrossScriptNames {
    fn name(&self) -> &'static str {
        "tumen-names cross-script + jaro-winkler"
    }
    fn prepare(&self, values: &[Box<str>], threads: usize) -> Box<dyn PreparedNames> {
        // Keying a name costs far more than anything else done per value
        // (a misspelt Latin name tries its corrections), so the values are
        // keyed on all threads.
        let keys = crate::par_chunks_min(values, threads, 256, |chunk| {
            chunk
                .iter()
                .map(|v| tumen_names::key(v))
                .collect::<Vec<_>>()
        })
        .concat();
        Box::new(CrossPrepared {
            keys,
            generic: GenericNames.prepare(values, threads),
        })
    }
    fn blocking_keys(&self, value: &str) -> Vec<u64> {
        let mut k = tumen_names::blocking_keys(value);
        k.extend(GenericNames.blocking_keys(value));
        k
    }
    fn frequency_key(&self, value: &str, kind: FieldKind) -> String {
        match kind {
            FieldKind::Surname => {
                tumen_names::surname_reading(value).map_or_else(|| normalize(value), str::to_string)
            }
            _ => normalize(value),
        }
    }
}

impl PreparedNames for CrossPrepared {
    fn compare(&self, i: usize, j: usize, floor: f64) -> (bool, f64) {
        let (g_same, g) = self.generic.compare(i, j, floor);
        if g_same {
            // Already "the same name"; the cross-script score cannot add.
            return (true, g);
        }
        let n = match (self.keys.get(i), self.keys.get(j)) {
            // Below `floor` any value below it will do (but "the same name"
            // must be decided exactly): unrelated names are cut short
            // inside tumen-names.
            (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => {
                tumen_names::score_at_least(a, b, floor.min(tumen_names::SAME_THRESHOLD))
            }
            _ => 0.0,
        };
        (g_same || n >= tumen_names::SAME_THRESHOLD, g.max(n))
    }
}

/// Buckets of a [`Bag`]: characters are counted by code point mod 32, which
/// keeps the ten digits apart from one another and the 26 Latin letters
/// apart from one another (digits share buckets with `p`–`y`).
const BUCKETS: usize = 32;

/// A string's fixed-size summary: its length in characters, its first four
/// characters, and how many of its characters fall in each of 32 buckets
/// (code point mod 32; counts saturate at 255, lengths at `u16::MAX`).
/// Built once per distinct value and one cache line in size, so that a pair
/// of values that the bounds below settle costs two memory reads, not the
/// four or more of reaching the characters themselves. The bounds:
///
/// * edit distance ≥ ⌈L1(bags) / 2⌉: a substitution moves the L1 distance of
///   the bags by at most 2, an insertion or deletion by 1, an adjacent
///   transposition by 0; merging characters into buckets and saturating
///   counts can only shrink the distance;
/// * Jaro matches ≤ Σ min(bags), since matched characters are equal and
///   used once each, which bounds Jaro–Winkler (see [`Bag::jw_upper_bound`]),
///   with the common prefix read from the first characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub(crate) struct Bag {
    counts: [u8; BUCKETS],
    /// The first (up to) four characters; meaningful up to `len`.
    head: [u32; 4],
    len: u16,
    /// Some count or the length saturated: the overlap is then not a bound
    /// and the shorter length stands in for it.
    saturated: bool,
}

impl Bag {
    pub(crate) fn of(c: &[char]) -> Bag {
        let mut counts = [0u8; BUCKETS];
        for ch in c {
            let k = *ch as usize % BUCKETS;
            counts[k] = counts[k].saturating_add(1);
        }
        let mut head = [0u32; 4];
        for (h, ch) in head.iter_mut().zip(c) {
            *h = u32::from(*ch);
        }
        Bag {
            counts,
            head,
            len: u16::try_from(c.len()).unwrap_or(u16::MAX),
            saturated: c.len() >= usize::from(u8::MAX),
        }
    }

    /// Length of the common prefix of the two strings, up to the 4
    /// characters Jaro–Winkler rewards (as [`common_prefix`]).
    #[inline]
    pub(crate) fn common_prefix(&self, other: &Bag) -> usize {
        let n = usize::from(self.len.min(other.len)).min(4);
        self.head[..n]
            .iter()
            .zip(&other.head[..n])
            .take_while(|(x, y)| x == y)
            .count()
    }

    /// A lower bound of the optimal-string-alignment (and Levenshtein)
    /// distance of the two strings.
    #[inline]
    pub(crate) fn edit_lower_bound(&self, other: &Bag) -> u32 {
        let l1: u32 = self
            .counts
            .iter()
            .zip(&other.counts)
            .map(|(x, y)| u32::from(x.abs_diff(*y)))
            .sum();
        l1.div_ceil(2)
    }

    /// Whether the strings' Jaro–Winkler similarity is surely below `t`
    /// (their [`Bag::jw_upper_bound`] is): the same test multiplied out, so
    /// that it takes no division (two divisions were most of its cost), and
    /// with a margin of 1e-9 so that rounding can only make it say "not
    /// surely", never cut a pair the bound would keep.
    #[inline]
    pub(crate) fn jw_surely_below(&self, other: &Bag, prefix: usize, t: f64) -> bool {
        let m = self.jaro_matches_bound(other);
        if m == 0 {
            return 0.0 < t;
        }
        // B = j + p(1 − j) with j = (m/la + m/lb + 1) / 3; B < t ⟺
        // m (la + lb)(1 − p) < (3 (t − p) − (1 − p)) la lb.
        let (la, lb, m) = (f64::from(self.len), f64::from(other.len), f64::from(m));
        let p = prefix.min(4) as f64 * 0.1;
        let lhs = m * (la + lb) * (1.0 - p);
        let rhs = (3.0 * (t - p) - (1.0 - p)) * la * lb;
        lhs < rhs - 1e-9 * rhs.abs()
    }

    /// At most how many characters Jaro can match (0 when either is empty).
    #[inline]
    fn jaro_matches_bound(&self, other: &Bag) -> u32 {
        if self.len == 0 || other.len == 0 {
            return 0;
        }
        let shorter = u32::from(self.len.min(other.len));
        if self.saturated || other.saturated {
            return shorter;
        }
        let mut shared = 0u32;
        for (x, y) in self.counts.iter().zip(&other.counts) {
            shared += u32::from(*x.min(y));
        }
        shared.min(shorter)
    }

    /// An upper bound of the Jaro–Winkler similarity of the two strings
    /// (prefix scale 0.1, as [`crate::strsim::jaro_winkler`]) when their
    /// common prefix is at most `prefix` characters (pass 4 when unknown):
    /// with at most `m` matches and no transpositions, Jaro ≤ (m/|a| +
    /// m/|b| + 1) / 3, and the prefix adds `min(prefix, 4)` tenths of what
    /// is left. The comparisons use [`Bag::jw_surely_below`]; this is its
    /// reference.
    #[cfg(test)]
    pub(crate) fn jw_upper_bound(&self, other: &Bag, prefix: usize) -> f64 {
        let m = self.jaro_matches_bound(other);
        if m == 0 {
            return 0.0;
        }
        let m = f64::from(m);
        let j = (m / f64::from(self.len) + m / f64::from(other.len) + 1.0) / 3.0;
        j + prefix.min(4) as f64 * 0.1 * (1.0 - j)
    }
}

/// A memo of one field's comparison level per ordered pair of distinct
/// values, shared by the threads of a run: a dense matrix of 4-bit cells
/// (two per byte), zero meaning "not yet known". Dense and small (at most
/// 8 MiB for 4,096 values, 1.5 MiB for FEBRL4's 1,768 given names), so no
/// pair ever evicts another and more of it stays in cache than a hash table
/// of 64-bit entries would. A level is a pure function of the two values,
/// so threads that race on a cell write the same bits (`fetch_or` keeps the
/// neighbouring cell intact), and which pairs happen to be known changes
/// the speed only, never a result.
pub(crate) struct LevelMemo {
    cells: Box<[AtomicU8]>,
    n: usize,
}

impl LevelMemo {
    /// A memo for `n` distinct values.
    pub(crate) fn new(n: usize) -> LevelMemo {
        let len = n.saturating_mul(n).div_ceil(2);
        LevelMemo {
            cells: (0..len).map(|_| AtomicU8::new(0)).collect(),
            n,
        }
    }

    /// The known level of `(i, j)`, or `compute()`'s (then remembered).
    /// Levels 1..=15 are remembered; others are computed every time.
    #[inline]
    pub(crate) fn get_or(&self, i: usize, j: usize, compute: impl FnOnce() -> u8) -> u8 {
        if i >= self.n || j >= self.n {
            return compute();
        }
        let at = i * self.n + j;
        let (cell, shift) = (&self.cells[at / 2], (at & 1) * 4);
        let known = (cell.load(Ordering::Relaxed) >> shift) & 0x0F;
        if known != 0 {
            return known;
        }
        let l = compute();
        if (1..=0x0F).contains(&l) {
            cell.fetch_or(l << shift, Ordering::Relaxed);
        }
        l
    }
}

/// Most distinct values of a name field for which its levels are memoised
/// (the memo then takes 8 MiB). Beyond that, pairs of values rarely come
/// back (the million-record test set has 139,977 spellings), and a memo
/// miss costs a random read on top of the comparison: at 1,050,076 records a
/// memo made the run take ~15 % more CPU time (87 s against 75 s).
const MEMO_MAX_DISTINCT: usize = 4096;

/// The memo of a name field with `distinct` values, if one pays.
fn name_memo(distinct: usize) -> Option<LevelMemo> {
    (distinct <= MEMO_MAX_DISTINCT).then(|| LevelMemo::new(distinct))
}

/// Length of the common prefix of two strings, up to the 4 characters
/// Jaro–Winkler rewards.
#[inline]
fn common_prefix(a: &[char], b: &[char]) -> usize {
    a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count()
}

/// Labels of the levels of a kind (1-based levels; index 0 of the returned
/// slice is level 1).
pub fn levels_of(kind: FieldKind) -> &'static [&'static str] {
    match kind {
        FieldKind::PersonName | FieldKind::Surname | FieldKind::GivenName => &[
            "exact",
            "same name in another spelling or script",
            "similar (>= 0.88)",
            "somewhat similar (>= 0.70)",
            "different",
        ],
        FieldKind::BirthDate | FieldKind::Date => DATE_LEVELS,
        FieldKind::Sex | FieldKind::Category => &["same", "different"],
        FieldKind::Identifier | FieldKind::Postcode => {
            &["exact", "one edit", "two edits", "different"]
        }
        FieldKind::Number => &["exact", "one edit", "different"],
        FieldKind::Place => &["exact", "similar (>= 0.90)", "different"],
        FieldKind::Address | FieldKind::Text => &[
            "exact",
            "similar (>= 0.90)",
            "most words shared (>= 0.5)",
            "different",
        ],
    }
}

/// Canonical form of a recorded sex, so that "M", "male", "남" and "男" agree.
fn canonical_sex(v: &str) -> String {
    let n = normalize(v);
    match n.as_str() {
        "m" | "male" | "man" | "boy" | "남" | "남자" | "남성" | "男" | "男性" => "m".into(),
        "f" | "female" | "woman" | "girl" | "여" | "여자" | "여성" | "女" | "女性" => {
            "f".into()
        }
        _ => n,
    }
}

/// Field kinds that compare alike, as constants for the per-class
/// instantiations of [`FieldComparator::level_in`].
pub(crate) mod class {
    pub const NAME: u8 = 0;
    pub const DATE: u8 = 1;
    /// Sex, category: same or different.
    pub const FLAG: u8 = 2;
    /// Identifier, postcode: up to two edits.
    pub const EDIT2: u8 = 3;
    /// Number: one edit.
    pub const EDIT1: u8 = 4;
    pub const PLACE: u8 = 5;
    /// Address, free text.
    pub const TEXT: u8 = 6;
}

/// The [`class`] of a field kind.
pub(crate) fn class_of(kind: FieldKind) -> u8 {
    match kind {
        FieldKind::PersonName | FieldKind::Surname | FieldKind::GivenName => class::NAME,
        FieldKind::BirthDate | FieldKind::Date => class::DATE,
        FieldKind::Sex | FieldKind::Category => class::FLAG,
        FieldKind::Identifier | FieldKind::Postcode => class::EDIT2,
        FieldKind::Number => class::EDIT1,
        FieldKind::Place => class::PLACE,
        FieldKind::Address | FieldKind::Text => class::TEXT,
    }
}

/// Everything precomputed for one field.
pub(crate) struct FieldComparator {
    pub kind: FieldKind,
    pub nlevels: u8,
    /// Per dictionary entry, the id of its normalised value (equal ids =
    /// exact agreement).
    norm_id: Vec<u32>,
    /// Per dictionary entry, its frequency group for term-frequency adjustment.
    pub freq_group: Vec<u32>,
    /// Share of non-missing records in each frequency group.
    pub freq: Vec<f64>,
    chars: Vec<Vec<char>>,
    bags: Vec<Bag>,
    /// Edit-distance fields: each value's digit form, if it is all digits.
    digits: Vec<Option<Digits>>,
    dates: Vec<Option<PartialDate>>,
    tokens: Vec<Vec<u64>>,
    names: Option<Box<dyn PreparedNames>>,
    /// Name fields: levels of pairs of distinct values already compared.
    name_cache: Option<LevelMemo>,
}

impl FieldComparator {
    pub(crate) fn new(
        spec: &FieldSpec,
        col: &Column,
        names: &dyn NameComparator,
        threads: usize,
    ) -> FieldComparator {
        let kind = spec.kind;
        let nlevels = levels_of(kind).len() as u8;
        let normalized: Vec<String> = col
            .dict
            .iter()
            .map(|v| match kind {
                FieldKind::Sex => canonical_sex(v),
                FieldKind::Identifier | FieldKind::Postcode | FieldKind::Number => {
                    normalize(v).replace(' ', "")
                }
                _ => normalize(v),
            })
            .collect();
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let norm_id: Vec<u32> = normalized
            .iter()
            .map(|n| {
                let next = ids.len() as u32;
                *ids.entry(n.as_str()).or_insert(next)
            })
            .collect();
        // Term-frequency groups.
        let mut groups: HashMap<String, u32> = HashMap::new();
        let mut group_counts: Vec<u64> = Vec::new();
        let mut freq_group = Vec::with_capacity(col.dict.len());
        for (k, v) in col.dict.iter().enumerate() {
            let key = if kind.is_name() {
                names.frequency_key(v, kind)
            } else {
                normalized[k].clone()
            };
            let next = groups.len() as u32;
            let g = *groups.entry(key).or_insert(next);
            if g as usize == group_counts.len() {
                group_counts.push(0);
            }
            group_counts[g as usize] += col.counts.get(k + 1).copied().unwrap_or(0);
            freq_group.push(g);
        }
        let total: u64 = group_counts.iter().sum();
        let freq = group_counts
            .iter()
            .map(|c| {
                if total == 0 {
                    0.0
                } else {
                    *c as f64 / total as f64
                }
            })
            .collect();

        let needs_chars = matches!(
            kind,
            FieldKind::Identifier
                | FieldKind::Postcode
                | FieldKind::Number
                | FieldKind::Place
                | FieldKind::Address
                | FieldKind::Text
        );
        let chars = if needs_chars {
            normalized
                .iter()
                .map(|n| n.chars().take(MAX_CHARS).collect())
                .collect()
        } else {
            Vec::new()
        };
        let bags = chars.iter().map(|c: &Vec<char>| Bag::of(c)).collect();
        let digits = if matches!(
            kind,
            FieldKind::Identifier | FieldKind::Postcode | FieldKind::Number
        ) {
            chars.iter().map(|c| Digits::of(c)).collect()
        } else {
            Vec::new()
        };
        let dates = if matches!(kind, FieldKind::BirthDate | FieldKind::Date) {
            col.dict.iter().map(|v| date::parse(v)).collect()
        } else {
            Vec::new()
        };
        let tokens = if matches!(kind, FieldKind::Address | FieldKind::Text) {
            normalized
                .iter()
                .map(|n| {
                    let mut t: Vec<u64> = n
                        .split(' ')
                        .filter(|w| !w.is_empty())
                        .map(hash_str)
                        .collect();
                    t.sort_unstable();
                    t.dedup();
                    t
                })
                .collect()
        } else {
            Vec::new()
        };
        let (names, name_cache) = if kind.is_name() {
            (
                Some(names.prepare(&col.dict, threads)),
                name_memo(col.dict.len()),
            )
        } else {
            (None, None)
        };
        FieldComparator {
            kind,
            nlevels,
            norm_id,
            freq_group,
            freq,
            chars,
            dates,
            bags,
            digits,
            tokens,
            names,
            name_cache,
        }
    }

    /// The comparison level of two value codes (0 = missing; dates that do
    /// not parse count as missing).
    #[inline]
    pub(crate) fn level(&self, ca: u32, cb: u32) -> u8 {
        match class_of(self.kind) {
            class::NAME => self.level_in::<{ class::NAME }>(ca, cb),
            class::DATE => self.level_in::<{ class::DATE }>(ca, cb),
            class::FLAG => self.level_in::<{ class::FLAG }>(ca, cb),
            class::EDIT2 => self.level_in::<{ class::EDIT2 }>(ca, cb),
            class::EDIT1 => self.level_in::<{ class::EDIT1 }>(ca, cb),
            class::PLACE => self.level_in::<{ class::PLACE }>(ca, cb),
            _ => self.level_in::<{ class::TEXT }>(ca, cb),
        }
    }

    /// [`FieldComparator::level`] for a field of class `C` (which must be
    /// `class_of(self.kind)`): the loops over many pairs are instantiated
    /// per class, so the kind is not dispatched again for every pair.
    #[inline(always)]
    pub(crate) fn level_in<const C: u8>(&self, ca: u32, cb: u32) -> u8 {
        if ca == 0 || cb == 0 {
            return 0;
        }
        let (i, j) = (ca as usize - 1, cb as usize - 1);
        if C == class::DATE {
            return match (self.dates.get(i), self.dates.get(j)) {
                (Some(Some(a)), Some(Some(b))) => date::date_level(a, b),
                _ => 0,
            };
        }
        if ca == cb || self.norm_id.get(i) == self.norm_id.get(j) {
            return 1;
        }
        match C {
            class::NAME => match &self.name_cache {
                Some(c) => c.get_or(i, j, || self.name_level(i, j)),
                None => self.name_level(i, j),
            },
            class::FLAG => 2,
            class::EDIT2 => {
                if self.bags[i].edit_lower_bound(&self.bags[j]) > 2 {
                    return 4;
                }
                match self.edit_distance(i, j, 2) {
                    0 | 1 => 2,
                    2 => 3,
                    _ => 4,
                }
            }
            class::EDIT1 => {
                if self.bags[i].edit_lower_bound(&self.bags[j]) <= 1
                    && self.edit_distance(i, j, 1) <= 1
                {
                    2
                } else {
                    3
                }
            }
            class::PLACE => {
                if self.jw_at_least(i, j, 0.9) {
                    2
                } else {
                    3
                }
            }
            _ => {
                if self.jw_at_least(i, j, 0.9) {
                    2
                } else if token_jaccard(&self.tokens[i], &self.tokens[j]) >= 0.5 {
                    3
                } else {
                    4
                }
            }
        }
    }

    /// Level of two different (not exactly equal) person names.
    fn name_level(&self, i: usize, j: usize) -> u8 {
        let Some(p) = &self.names else {
            return self.nlevels;
        };
        let (same, s) = p.compare(i, j, 0.70);
        if same {
            2
        } else if s >= 0.88 {
            3
        } else if s >= 0.70 {
            4
        } else {
            5
        }
    }

    /// The OSA distance of values `i` and `j` (or any value above `max`
    /// once it exceeds `max`), from their digit forms when both have one.
    #[inline]
    fn edit_distance(&self, i: usize, j: usize, max: usize) -> usize {
        match (self.digits.get(i), self.digits.get(j)) {
            (Some(Some(a)), Some(Some(b))) => osa_digits(a, b),
            _ => osa_distance_bounded(&self.chars[i], &self.chars[j], max),
        }
    }

    fn jw_at_least(&self, i: usize, j: usize, t: f64) -> bool {
        let (x, y) = (&self.bags[i], &self.bags[j]);
        if x.jw_surely_below(y, x.common_prefix(y), t) {
            return false;
        }
        jaro_winkler(&self.chars[i], &self.chars[j]) >= t
    }

    /// Share of records whose value is in the same frequency group as `code`.
    pub(crate) fn value_frequency(&self, code: u32) -> Option<f64> {
        if code == 0 {
            return None;
        }
        let g = *self.freq_group.get(code as usize - 1)?;
        self.freq.get(g as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    fn levels_for(kind: FieldKind, pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut d = Dataset::new(vec![FieldSpec::new("f", kind)]).unwrap();
        let s = d.add_source("s").unwrap();
        for (k, (a, b)) in pairs.iter().enumerate() {
            d.push(&format!("a{k}"), s, &[Some(a)]).unwrap();
            d.push(&format!("b{k}"), s, &[Some(b)]).unwrap();
        }
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &GenericNames, 1);
        let codes = &d.columns[0].codes;
        (0..pairs.len())
            .map(|k| fc.level(codes[2 * k], codes[2 * k + 1]))
            .collect()
    }

    #[test]
    fn name_levels() {
        let l = levels_for(
            FieldKind::PersonName,
            &[
                ("Kim Chol Jin", "kim  chol-jin"),
                ("Kim Chol Jin", "Chol Jin Kim"),
                ("michaela", "micheala"),
                ("martha", "marhta"),
                ("dixon", "dicksonx"),
                ("kim", "park"),
            ],
        );
        // normalised exact; word order; JW(michaela, micheala)=0.967 → same;
        // JW(martha, marhta)=0.961 → same; JW(dixon,dicksonx)=0.813 → 0.70 level.
        assert_eq!(l, vec![1, 2, 2, 2, 4, 5]);
    }

    #[test]
    fn cross_script_name_levels() {
        let mut d = Dataset::new(vec![FieldSpec::new("f", FieldKind::PersonName)]).unwrap();
        let s = d.add_source("s").unwrap();
        let pairs = [
            ("김철진", "Kim Chol Jin"),
            ("金哲鎭", "김철진"),
            ("리영호", "Lee Young-ho"),
            ("김정은", "박명수"),
        ];
        for (k, (a, b)) in pairs.iter().enumerate() {
            d.push(&format!("a{k}"), s, &[Some(a)]).unwrap();
            d.push(&format!("b{k}"), s, &[Some(b)]).unwrap();
        }
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &CrossScriptNames, 1);
        let c = &d.columns[0].codes;
        let l: Vec<u8> = (0..pairs.len())
            .map(|k| fc.level(c[2 * k], c[2 * k + 1]))
            .collect();
        assert_eq!(l, vec![2, 2, 2, 5]);
        // Kim in Hanja, Hangul and Latin is one frequency group.
        let mut d = Dataset::new(vec![FieldSpec::new("s", FieldKind::Surname)]).unwrap();
        let s = d.add_source("s").unwrap();
        for (i, v) in ["金", "김", "Kim", "玄"].iter().enumerate() {
            d.push(&i.to_string(), s, &[Some(v)]).unwrap();
        }
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &CrossScriptNames, 1);
        assert_eq!(fc.value_frequency(d.columns[0].codes[0]), Some(0.75));
        assert_eq!(fc.value_frequency(d.columns[0].codes[3]), Some(0.25));
    }

    #[test]
    fn identifier_and_postcode_levels() {
        let l = levels_for(
            FieldKind::Identifier,
            &[
                ("5304218", "5304218"),
                ("5304218", "5302418"),
                ("5304218", "5304299"),
                ("5304218", "1111111"),
                ("AB 12", "ab12"),
            ],
        );
        assert_eq!(l, vec![1, 2, 3, 4, 1]);
        let n = levels_for(
            FieldKind::Number,
            &[("12", "12"), ("12", "13"), ("12", "45")],
        );
        assert_eq!(n, vec![1, 2, 3]);
    }

    #[test]
    fn sex_category_text_date_levels() {
        assert_eq!(
            levels_for(
                FieldKind::Sex,
                &[("M", "남"), ("F", "male"), ("여성", "female")]
            ),
            vec![1, 2, 1]
        );
        assert_eq!(
            levels_for(FieldKind::Category, &[("nsw", "NSW"), ("nsw", "vic")]),
            vec![1, 2]
        );
        assert_eq!(
            levels_for(
                FieldKind::Address,
                &[
                    ("stanley street", "stanley setreet"),
                    ("12 long road west", "west long road"),
                    ("a b", "c d")
                ]
            ),
            vec![2, 3, 4]
        );
        assert_eq!(
            levels_for(
                FieldKind::BirthDate,
                &[("1975", "1975-03-02"), ("garbage", "1975")]
            ),
            vec![4, 0]
        );
    }

    /// Short strings with typos, swaps, insertions, shared letters in other
    /// orders, repeats, other scripts, and characters 64 code points apart
    /// (same bag bucket).
    const BOUND_WORDS: &[&str] = &[
        "",
        "\u{0}",
        "\u{0}a",
        "kim",
        "chol",
        "jin",
        "michaela",
        "micheala",
        "stanley street",
        "winston hills",
        "ri",
        "o",
        "zzz",
        "abcabc",
        "cab",
        "5304218",
        "5302418",
        "5304299",
        "530421",
        "1111111",
        "4223",
        "4232",
        "2423",
        "42233",
        "a",
        "\u{41}",
        "\u{81}",
        "aaaa",
        "김철진",
        "金哲鎭",
        "martha",
        "marhta",
        "dixon",
        "dicksonx",
    ];

    /// The Jaro–Winkler bound never cuts a pair that the full metric would
    /// keep, and it is tight on equal strings.
    #[test]
    fn jw_bound_is_an_upper_bound() {
        for a in BOUND_WORDS {
            for b in BOUND_WORDS {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let jw = if ca.is_empty() || cb.is_empty() {
                    0.0
                } else {
                    jaro_winkler(&ca, &cb)
                };
                let p = common_prefix(&ca, &cb);
                let ub = Bag::of(&ca).jw_upper_bound(&Bag::of(&cb), p);
                assert!(ub >= jw - 1e-12, "{a} {b}: {ub} < {jw}");
                assert_eq!(ub, Bag::of(&cb).jw_upper_bound(&Bag::of(&ca), p), "{a} {b}");
                assert!(
                    Bag::of(&ca).jw_upper_bound(&Bag::of(&cb), 4) >= ub,
                    "{a} {b}"
                );
            }
        }
        // The division-free test agrees with the bound away from the
        // margin, and never says "below" when the bound is not.
        for a in BOUND_WORDS {
            for b in BOUND_WORDS {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let (x, y) = (Bag::of(&ca), Bag::of(&cb));
                for p in 0..=4 {
                    let ub = x.jw_upper_bound(&y, p);
                    for t in [
                        0.0,
                        0.3,
                        0.5,
                        0.7,
                        0.88,
                        0.9,
                        0.92,
                        1.0,
                        ub,
                        ub + 1e-6,
                        ub - 1e-6,
                    ] {
                        let fast = x.jw_surely_below(&y, p, t);
                        assert!(!fast || ub < t, "{a} {b} p{p} t{t}: {ub}");
                        if (ub - t).abs() > 1e-6 {
                            assert_eq!(fast, ub < t, "{a} {b} p{p} t{t}: {ub}");
                        }
                    }
                }
            }
        }
        let k: Vec<char> = "kim".chars().collect();
        assert_eq!(Bag::of(&k).jw_upper_bound(&Bag::of(&k), 3), 1.0);
        // Disjoint characters: no match is possible.
        let z: Vec<char> = "zzz".chars().collect();
        assert_eq!(Bag::of(&k).jw_upper_bound(&Bag::of(&z), 0), 0.0);
        // Different first letters: no prefix bonus, so "abcd"/"xbcd" (Jaro
        // bound 0.833) is cut at 0.9, which a prefix of 4 would not allow.
        let (x, y): (Vec<char>, Vec<char>) = ("abcd".chars().collect(), "xbcd".chars().collect());
        assert!(Bag::of(&x).jw_upper_bound(&Bag::of(&y), common_prefix(&x, &y)) < 0.84);
        assert!(Bag::of(&x).jw_upper_bound(&Bag::of(&y), 4) > 0.89);
    }

    /// Half the bags' L1 distance never exceeds the edit distance, and it is
    /// large for unrelated identifiers (that is what makes it useful).
    #[test]
    fn edit_bound_is_a_lower_bound() {
        for a in BOUND_WORDS {
            for b in BOUND_WORDS {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let d = osa_distance_bounded(&ca, &cb, 64) as u32;
                let lb = Bag::of(&ca).edit_lower_bound(&Bag::of(&cb));
                assert!(lb <= d, "{a} {b}: {lb} > {d}");
            }
        }
        let (x, y): (Vec<char>, Vec<char>) =
            ("5304218".chars().collect(), "1111111".chars().collect());
        assert_eq!(Bag::of(&x).edit_lower_bound(&Bag::of(&y)), 6);
        let (x, y): (Vec<char>, Vec<char>) = ("ab".chars().collect(), "ba".chars().collect());
        assert_eq!(Bag::of(&x).edit_lower_bound(&Bag::of(&y)), 0);
    }

    /// Levels with the bounds and the name memo equal the levels computed
    /// straight from the metrics, for every ordered pair of a set of values,
    /// asked twice (the second time from the memo).
    #[test]
    fn fast_levels_equal_plain_metrics() {
        let ids = [
            "5304218", "5302418", "5304299", "530421", "53042188", "1111111", "4223", "4232",
            "2423", "42233", "12", "13", "21", "ab12", "x",
        ];
        for kind in [FieldKind::Identifier, FieldKind::Number, FieldKind::Place] {
            let mut d = Dataset::new(vec![FieldSpec::new("f", kind)]).unwrap();
            let s = d.add_source("s").unwrap();
            for (k, v) in ids.iter().chain(BOUND_WORDS).enumerate() {
                d.push(&k.to_string(), s, &[Some(v)]).unwrap();
            }
            let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &GenericNames, 1);
            let col = &d.columns[0];
            for &ca in &col.codes {
                for &cb in &col.codes {
                    if ca == 0 || cb == 0 {
                        continue;
                    }
                    let (a, b) = (
                        normalize(&col.dict[ca as usize - 1]).replace(' ', ""),
                        normalize(&col.dict[cb as usize - 1]).replace(' ', ""),
                    );
                    let (va, vb): (Vec<char>, Vec<char>) =
                        (a.chars().collect(), b.chars().collect());
                    let want = if kind == FieldKind::Place {
                        let (pa, pb) = (
                            normalize(&col.dict[ca as usize - 1]),
                            normalize(&col.dict[cb as usize - 1]),
                        );
                        let (va, vb): (Vec<char>, Vec<char>) =
                            (pa.chars().collect(), pb.chars().collect());
                        if pa == pb {
                            1
                        } else if jaro_winkler(&va, &vb) >= 0.9 {
                            2
                        } else {
                            3
                        }
                    } else if a == b {
                        1
                    } else {
                        let dist = osa_distance_bounded(&va, &vb, 2);
                        match (kind, dist) {
                            (FieldKind::Number, 0 | 1) => 2,
                            (FieldKind::Number, _) => 3,
                            (_, 0 | 1) => 2,
                            (_, 2) => 3,
                            _ => 4,
                        }
                    };
                    assert_eq!(fc.level(ca, cb), want, "{kind:?} {a} {b}");
                }
            }
        }
        let names = [
            "Kim Chol Jin",
            "김철진",
            "Chol Jin Kim",
            "kim chol-jin",
            "Kim Cheol-jin",
            "Pak Myong Su",
            "박명수",
            "michaela",
            "micheala",
            "dixon",
            "dicksonx",
            "kim",
            "park",
        ];
        for comparator in [&GenericNames as &dyn NameComparator, &CrossScriptNames] {
            let mut d = Dataset::new(vec![FieldSpec::new("f", FieldKind::PersonName)]).unwrap();
            let s = d.add_source("s").unwrap();
            for (k, v) in names.iter().enumerate() {
                d.push(&k.to_string(), s, &[Some(v)]).unwrap();
            }
            let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], comparator, 1);
            let p = comparator.prepare(&d.columns[0].dict, 1);
            let norm: Vec<String> = names.iter().map(|v| normalize(v)).collect();
            for round in 0..2 {
                for (i, x) in norm.iter().enumerate() {
                    for (j, y) in norm.iter().enumerate() {
                        let want = if x == y {
                            1
                        } else {
                            let (same, sim) = p.compare(i, j, 0.0);
                            if same {
                                2
                            } else if sim >= 0.88 {
                                3
                            } else if sim >= 0.70 {
                                4
                            } else {
                                5
                            }
                        };
                        let got = fc.level(i as u32 + 1, j as u32 + 1);
                        assert_eq!(got, want, "round {round}: {x} / {y}");
                    }
                }
            }
        }
    }

    #[test]
    fn level_memo_answers_only_its_own_pair() {
        let c = LevelMemo::new(60);
        let mut calls = 0;
        let mut ask = |i, j, l| {
            c.get_or(i, j, || {
                calls += 1;
                l
            })
        };
        assert_eq!(ask(3, 4, 5), 5);
        assert_eq!(ask(3, 4, 9), 5, "remembered");
        // The neighbouring cells of one byte are independent, and (4, 3)
        // is another ordered pair.
        assert_eq!(ask(3, 5, 2), 2);
        assert_eq!(ask(3, 4, 9), 5);
        assert_eq!(ask(4, 3, 1), 1);
        assert_eq!(calls, 3);
        for i in 10..59usize {
            let want = (i % 15 + 1) as u8;
            assert_eq!(c.get_or(i, i + 1, || want), want, "{i}");
            assert_eq!(c.get_or(i, i + 1, || 0xEE), want, "{i}");
        }
        // Outside the matrix, and levels a cell cannot hold, are computed
        // every time.
        assert_eq!(c.get_or(60, 1, || 3), 3);
        assert_eq!(c.get_or(60, 1, || 4), 4);
        assert_eq!(c.get_or(7, 8, || 0), 0);
        assert_eq!(c.get_or(7, 8, || 16), 16);
        assert_eq!(c.get_or(7, 8, || 6), 6);
        assert!(name_memo(MEMO_MAX_DISTINCT).is_some());
        assert!(name_memo(MEMO_MAX_DISTINCT + 1).is_none());
        assert_eq!(LevelMemo::new(1768).cells.len(), 1768 * 1768 / 2);
    }

    /// The first characters kept in a bag give the same common prefix as
    /// the characters themselves, and a bag is one cache line.
    #[test]
    fn bag_prefix_and_size() {
        for a in BOUND_WORDS {
            for b in BOUND_WORDS {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                assert_eq!(
                    Bag::of(&ca).common_prefix(&Bag::of(&cb)),
                    common_prefix(&ca, &cb),
                    "{a} {b}"
                );
            }
        }
        assert_eq!(std::mem::size_of::<Bag>(), 64);
    }

    #[test]
    fn missing_is_level_zero_and_frequencies() {
        let mut d = Dataset::new(vec![FieldSpec::new("s", FieldKind::Surname)]).unwrap();
        let s = d.add_source("s").unwrap();
        for (i, v) in ["Kim", "KIM", "kim", "Hyon", ""].iter().enumerate() {
            d.push(&i.to_string(), s, &[Some(v)]).unwrap();
        }
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &GenericNames, 1);
        let c = &d.columns[0].codes;
        assert_eq!(fc.level(c[0], c[4]), 0);
        assert_eq!(fc.level(c[0], c[1]), 1);
        assert_eq!(fc.value_frequency(c[0]), Some(0.75));
        assert_eq!(fc.value_frequency(c[3]), Some(0.25));
    }
}
