//! Comparison levels per field. Each field kind has an ordered list of levels,
//! strongest agreement first; level 0 always means "missing on one side" and
//! carries no weight. Work that depends on one value only (normalising,
//! parsing dates, name keys, word tokens) is done once per distinct value, so
//! comparing a pair is a few integer tests and, at most, one string metric.
//!
//! Person names go through a [`NameComparator`]: the generic one (Jaro–Winkler
//! on normalised spellings, word order tolerant) and, when the `tumen-names`
//! library exposes its API, a cross-script one. The comparator is a trait so
//! the rest of the crate does not care which one runs.

use crate::data::{Column, FieldKind, FieldSpec};
use crate::date::{self, DATE_LEVELS, PartialDate};
use crate::strsim::{hash_str, jaro_winkler, normalize, osa_distance_bounded, token_jaccard};
use std::collections::HashMap;

/// Longest prefix (in characters) used by string metrics; longer free text is
/// compared on its first part only, so a pathological value cannot make one
/// comparison quadratic in megabytes.
const MAX_CHARS: usize = 200;

/// Compares person names. Implementations precompute what they need per
/// distinct value (`prepare`) and then score pairs of prepared values.
pub trait NameComparator: Send + Sync {
    /// Short name shown in explanations and summaries.
    fn name(&self) -> &'static str;
    /// Prepares each distinct value of a column (called once per column).
    fn prepare(&self, values: &[Box<str>]) -> Box<dyn PreparedNames>;
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
    sigs: Vec<u64>,
}

impl NameComparator for GenericNames {
    fn name(&self) -> &'static str {
        "jaro-winkler"
    }
    fn prepare(&self, values: &[Box<str>]) -> Box<dyn PreparedNames> {
        let mut chars = Vec::with_capacity(values.len());
        let mut sorted = Vec::with_capacity(values.len());
        let mut sigs = Vec::with_capacity(values.len());
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
            sigs.push(signature(&c));
            chars.push(c);
            sorted.push(s);
        }
        Box::new(GenericPrepared {
            chars,
            sorted,
            sigs,
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
        let (sa, sb) = (
            self.sigs.get(i).copied().unwrap_or(!0),
            self.sigs.get(j).copied().unwrap_or(!0),
        );
        // Word order does not change the character bag, so one bound serves
        // both the written and the sorted order.
        if jw_upper_bound(a, sb, b.len()).min(jw_upper_bound(b, sa, a.len())) < floor {
            return (false, 0.0);
        }
        let mut s = jaro_winkler(a, b);
        if let (Some(Some(x)), Some(Some(y))) = (self.sorted.get(i), self.sorted.get(j)) {
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
    fn prepare(&self, values: &[Box<str>]) -> Box<dyn PreparedNames> {
        let keys = values.iter().map(|v| tumen_names::key(v)).collect();
        Box::new(CrossPrepared {
            keys,
            generic: GenericNames.prepare(values),
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
            (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => tumen_names::score(a, b),
            _ => 0.0,
        };
        (g_same || n >= tumen_names::SAME_THRESHOLD, g.max(n))
    }
}

/// 64-bit set of the characters of a string (by code point mod 64).
pub(crate) fn signature(c: &[char]) -> u64 {
    c.iter()
        .fold(0u64, |acc, ch| acc | 1u64 << (*ch as u32 % 64))
}

/// An upper bound of the Jaro–Winkler similarity of `a` with any string of
/// length `lb` whose character set is within `sig_b`: the matches cannot
/// exceed the characters of `a` found in `sig_b`.
pub(crate) fn jw_upper_bound(a: &[char], sig_b: u64, lb: usize) -> f64 {
    if a.is_empty() || lb == 0 {
        return 0.0;
    }
    let m = a
        .iter()
        .filter(|c| sig_b & (1u64 << (**c as u32 % 64)) != 0)
        .count()
        .min(lb);
    if m == 0 {
        return 0.0;
    }
    let j = (m as f64 / a.len() as f64 + m as f64 / lb as f64 + 1.0) / 3.0;
    j + 0.4 * (1.0 - j)
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
    sigs: Vec<u64>,
    dates: Vec<Option<PartialDate>>,
    tokens: Vec<Vec<u64>>,
    names: Option<Box<dyn PreparedNames>>,
}

impl FieldComparator {
    pub(crate) fn new(
        spec: &FieldSpec,
        col: &Column,
        names: &dyn NameComparator,
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
        let sigs = chars.iter().map(|c: &Vec<char>| signature(c)).collect();
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
        let names = if kind.is_name() {
            Some(names.prepare(&col.dict))
        } else {
            None
        };
        FieldComparator {
            kind,
            nlevels,
            norm_id,
            freq_group,
            freq,
            chars,
            dates,
            sigs,
            tokens,
            names,
        }
    }

    /// Whether the value with this code is usable (dates that do not parse
    /// count as missing).
    #[inline]
    fn present(&self, code: u32) -> bool {
        if code == 0 {
            return false;
        }
        if !self.dates.is_empty() {
            return matches!(self.dates.get(code as usize - 1), Some(Some(_)));
        }
        true
    }

    /// The comparison level of two value codes (0 = missing).
    #[inline]
    pub(crate) fn level(&self, ca: u32, cb: u32) -> u8 {
        if !self.present(ca) || !self.present(cb) {
            return 0;
        }
        let (i, j) = (ca as usize - 1, cb as usize - 1);
        let exact = ca == cb || self.norm_id.get(i) == self.norm_id.get(j);
        match self.kind {
            FieldKind::BirthDate | FieldKind::Date => {
                match (self.dates.get(i), self.dates.get(j)) {
                    (Some(Some(a)), Some(Some(b))) => date::date_level(a, b),
                    _ => 0,
                }
            }
            _ if exact => 1,
            FieldKind::PersonName | FieldKind::Surname | FieldKind::GivenName => {
                let Some(p) = &self.names else {
                    return self.nlevels;
                };
                let (same, s) = p.compare(i, j, 0.70);
                if same {
                    return 2;
                }
                if s >= 0.88 {
                    3
                } else if s >= 0.70 {
                    4
                } else {
                    5
                }
            }
            FieldKind::Sex | FieldKind::Category => 2,
            FieldKind::Identifier | FieldKind::Postcode => {
                match osa_distance_bounded(&self.chars[i], &self.chars[j], 2) {
                    0 | 1 => 2,
                    2 => 3,
                    _ => 4,
                }
            }
            FieldKind::Number => {
                if osa_distance_bounded(&self.chars[i], &self.chars[j], 1) <= 1 {
                    2
                } else {
                    3
                }
            }
            FieldKind::Place => {
                if self.jw_at_least(i, j, 0.9) {
                    2
                } else {
                    3
                }
            }
            FieldKind::Address | FieldKind::Text => {
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

    fn jw_at_least(&self, i: usize, j: usize, t: f64) -> bool {
        let (a, b) = (&self.chars[i], &self.chars[j]);
        if jw_upper_bound(a, self.sigs[j], b.len()) < t
            || jw_upper_bound(b, self.sigs[i], a.len()) < t
        {
            return false;
        }
        jaro_winkler(a, b) >= t
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
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &GenericNames);
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
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &CrossScriptNames);
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
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &CrossScriptNames);
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

    /// The bound used to skip hopeless pairs never cuts a pair that the full
    /// metric would keep.
    #[test]
    fn jw_bound_is_an_upper_bound() {
        let words = [
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
        ];
        for a in words {
            for b in words {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let jw = jaro_winkler(&ca, &cb);
                assert!(
                    jw_upper_bound(&ca, signature(&cb), cb.len()) >= jw - 1e-12,
                    "{a} {b}"
                );
                assert!(
                    jw_upper_bound(&cb, signature(&ca), ca.len()) >= jw - 1e-12,
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn missing_is_level_zero_and_frequencies() {
        let mut d = Dataset::new(vec![FieldSpec::new("s", FieldKind::Surname)]).unwrap();
        let s = d.add_source("s").unwrap();
        for (i, v) in ["Kim", "KIM", "kim", "Hyon", ""].iter().enumerate() {
            d.push(&i.to_string(), s, &[Some(v)]).unwrap();
        }
        let fc = FieldComparator::new(&d.fields()[0], &d.columns[0], &GenericNames);
        let c = &d.columns[0].codes;
        assert_eq!(fc.level(c[0], c[4]), 0);
        assert_eq!(fc.level(c[0], c[1]), 1);
        assert_eq!(fc.value_frequency(c[0]), Some(0.75));
        assert_eq!(fc.value_frequency(c[3]), Some(0.25));
    }
}
