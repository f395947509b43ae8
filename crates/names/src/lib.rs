//! tumen-names: one North Korean person's name across scripts.
//!
//! The same person reaches documenters as 김철진, 金哲鎭 / 金哲镇, "Kim Chol
//! Jin", "Kim Ch'ŏl-chin", "Gim Cheol-jin" or pinyin "Jin Zhezhen". This crate
//! reads a name in any of these into Korean syllables ([`parse`]), keys and
//! scores pairs of names cheaply for linkage ([`key`], [`score`],
//! [`blocking_keys`]), explains a decision for a reviewer ([`compare`]),
//! romanizes Hangul in the South Korean, McCune–Reischauer and North Korean
//! systems ([`romanize()`]) and lists the Hangul a Latin spelling can stand
//! for ([`hangul_readings`]). One typing error in a Latin word is tolerated
//! when the rest of the name is strong evidence ([`TYPO_SCORE`]). Pure
//! library: no I/O; the Hanja and surname tables are compiled in (see
//! `data/README.md` for their provenance).

pub mod hangul;
pub mod normalize;
pub mod parse;
pub mod romanize;
pub mod tables;

use parse::{Cand, EXACT, Kind, PINYIN, TYPO, syl_match};

/// A romanization system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    /// Revised Romanization of Korean (South Korea, 2000).
    Rr,
    /// McCune–Reischauer with breves and apostrophes (ALA-LC practice).
    Mr,
    /// McCune–Reischauer without breves and apostrophes.
    MrPlain,
    /// The DPRK's official system (1992/2002).
    Dprk,
}

impl std::str::FromStr for System {
    type Err = NameError;
    fn from_str(s: &str) -> Result<System, NameError> {
        match s.to_ascii_lowercase().as_str() {
            "rr" => Ok(System::Rr),
            "mr" => Ok(System::Mr),
            "mr-plain" | "mrplain" | "mr_plain" => Ok(System::MrPlain),
            "dprk" | "nk" => Ok(System::Dprk),
            _ => Err(NameError::UnknownSystem),
        }
    }
}

/// Why a name could not be romanized. Messages name positions and kinds of
/// characters, never the name itself (names are confidential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("character {position} of the name is a {kind}, not a Hangul syllable")]
    NotHangul { position: usize, kind: &'static str },
    #[error("the name is longer than {max} syllables")]
    TooLong { max: usize },
    #[error("unknown romanization system (expected rr, mr, mr-plain or dprk)")]
    UnknownSystem,
}

pub use hangul::{Syllable, compose, decompose, from_jamo, to_jamo};
pub use romanize::romanize;

/// Empty the calling thread's memo of Latin word readings and free it, as
/// in a new thread. Keys do not depend on it; benchmarks use it to measure
/// keying from cold.
#[doc(hidden)]
pub fn clear_word_memo() {
    parse::clear_word_memo();
}

/// Score at or above which two names are taken to be the same name.
/// A full syllable-by-syllable agreement scores ≥ 0.95 (1.0 when both sides
/// are Hangul/Hanja); any disagreement scores < 0.9.
pub const SAME_THRESHOLD: f64 = 0.93;

/// Score of a full agreement that needed the correction of one typing
/// error in a Latin word ("Kim Chol Jni" for 김철진): still the same name,
/// but below every agreement without a correction.
pub const TYPO_SCORE: f64 = 0.94;

const HEADER: u64 = 1 << 63;

/// Normalized comparison key of a name: its candidate readings packed in a
/// small boxed slice of words (header word per candidate, then one word per
/// syllable). Built once per name; [`score`] compares two keys without
/// allocating.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NameKey {
    data: Box<[u64]>,
}

impl NameKey {
    /// Whether nothing readable was found in the name.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of candidate readings.
    pub fn candidates(&self) -> usize {
        self.iter().count()
    }

    fn iter(&self) -> KeyIter<'_> {
        KeyIter { d: &self.data }
    }
}

struct KeyIter<'a> {
    d: &'a [u64],
}

struct KCand<'a> {
    syl: &'a [u64],
    n_sur: usize,
}

impl<'a> Iterator for KeyIter<'a> {
    type Item = KCand<'a>;
    fn next(&mut self) -> Option<KCand<'a>> {
        let (&h, rest) = self.d.split_first()?;
        let n = (h & 0xFF) as usize;
        let n_sur = ((h >> 8) & 0xFF) as usize;
        let n = n.min(rest.len());
        let (syl, rest) = rest.split_at(n);
        self.d = rest;
        Some(KCand { syl, n_sur })
    }
}

/// Header word of a candidate in a key.
fn header(len: usize, n_sur: usize, kind: Kind) -> u64 {
    HEADER | len as u64 | ((n_sur as u64) << 8) | ((kind as u64) << 16)
}

/// The key of candidates read with explanations (tests compare it with
/// [`key`]).
#[cfg(test)]
fn encode(cands: &[Cand]) -> NameKey {
    let mut v = Vec::with_capacity(cands.iter().map(|c| c.syl.len() + 1).sum());
    for c in cands {
        v.push(header(c.syl.len(), c.n_sur, c.kind));
        v.extend_from_slice(&c.syl);
    }
    NameKey {
        data: v.into_boxed_slice(),
    }
}

/// The normalized comparison key of a name in any script.
pub fn key(name: &str) -> NameKey {
    parse::with_cands(name, |cands| {
        let mut v = Vec::with_capacity(cands.iter().map(|(syl, _, _)| syl.len() + 1).sum());
        for (syl, n_sur, kind) in cands.iter() {
            v.push(header(syl.len(), n_sur, kind));
            v.extend_from_slice(syl);
        }
        NameKey {
            data: v.into_boxed_slice(),
        }
    })
}

const W_INI: f64 = 0.30;
const W_VOW: f64 = 0.45;
const W_FIN: f64 = 0.25;

#[inline]
fn part(a: u64, b: u64) -> (f64, bool) {
    let (i, v, f) = syl_match(a, b);
    let s = if i { W_INI } else { 0.0 } + if v { W_VOW } else { 0.0 } + if f { W_FIN } else { 0.0 };
    (s, i && v && f)
}

/// Slack for the pruning bounds below, so that rounding in a bound's sum
/// (added in another order than the score's) can never cut a pair whose
/// score is exactly at the floor.
const BOUND_SLACK: f64 = 1e-9;

/// Score of two candidate syllable sequences. Pairs that provably score
/// below `floor` may stop early and return 0.0; any score at or above
/// `floor` is exact (pass `f64::NEG_INFINITY` for the exact score always).
#[inline]
fn pair_score(a: &[u64], b: &[u64], floor: f64) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a.len() == b.len() {
        let n = a.len() as f64;
        let mut all = true;
        let mut exact = true;
        let mut pinyin = false;
        let mut typo = false;
        let mut sum = 0.0;
        for (k, (&x, &y)) in a.iter().zip(b).enumerate() {
            let (s, full) = part(x, y);
            sum += s;
            all &= full;
            exact &= x & y & EXACT != 0;
            pinyin |= (x | y) & PINYIN != 0;
            typo |= (x | y) & TYPO != 0;
            // Once one syllable falls short the score is 0.9 × the mean
            // part, and each syllable left adds at most 1.
            if !all && 0.9 * (sum + (a.len() - k - 1) as f64) / n < floor - BOUND_SLACK {
                return 0.0;
            }
        }
        if all {
            return if typo {
                TYPO_SCORE
            } else if exact {
                1.0
            } else if pinyin {
                0.95
            } else {
                0.97
            };
        }
        return 0.9 * sum / n;
    }
    let (s, l) = if a.len() < b.len() { (a, b) } else { (b, a) };
    // At best every syllable of the shorter one agrees fully.
    if 0.85 * (s.len() as f64) / (l.len() as f64) < floor - BOUND_SLACK {
        return 0.0;
    }
    let mut best = 0.0f64;
    for off in 0..=(l.len() - s.len()) {
        let sum: f64 = s.iter().zip(&l[off..]).map(|(&x, &y)| part(x, y).0).sum();
        best = best.max(sum);
    }
    0.85 * best / l.len() as f64
}

/// Fast similarity of two keys in 0..=1 (≥ [`SAME_THRESHOLD`] means the same
/// name). No allocation.
pub fn score(a: &NameKey, b: &NameKey) -> f64 {
    score_at_least(a, b, f64::NEG_INFINITY)
}

/// [`score`] for callers that only need scores at or above `floor` (record
/// linkage grades pairs at 0.70 and up): the same value whenever it is at
/// least `floor`, and some value below `floor` otherwise. Candidate
/// readings that cannot reach `floor` (different syllable counts, or a
/// shortfall the remaining syllables cannot make up) are cut short, which
/// makes most pairs of unrelated names much cheaper.
pub fn score_at_least(a: &NameKey, b: &NameKey, floor: f64) -> f64 {
    let mut best = 0.0f64;
    for ca in a.iter() {
        for cb in b.iter() {
            // A reading pair only matters if it beats the best so far.
            let s = pair_score(ca.syl, cb.syl, floor.max(best));
            if s > best {
                best = s;
                if best >= 1.0 {
                    return 1.0;
                }
            }
        }
    }
    best
}

/// Coarse class of an initial-consonant set: ㄱㄲㅋ, ㄷㄸㅌ, ㅂㅃㅍ, ㅈㅉㅊ,
/// ㅅㅆ, ㅁ, ㅎ, and ㄴㄹㅇ together (the initial-sound rule moves between them).
fn coarse_classes(m: u64) -> u16 {
    use hangul::ini::*;
    if m & parse::OPAQUE != 0 {
        return 1 << 9;
    }
    let groups: [(u64, u16); 8] = [
        ((1 << G) | (1 << GG) | (1 << K), 0),
        ((1 << D) | (1 << DD) | (1 << T), 1),
        ((1 << B) | (1 << BB) | (1 << P), 2),
        ((1 << J) | (1 << JJ) | (1 << CH), 3),
        ((1 << S) | (1 << SS), 4),
        (1 << M, 5),
        (1 << H, 6),
        ((1 << N) | (1 << R) | (1 << NG), 7),
    ];
    groups
        .iter()
        .filter(|(g, _)| m & g != 0)
        .fold(0, |acc, (_, c)| acc | (1 << c))
}

/// A few small blocking keys such that two spellings of one name share at
/// least one: (surname initial class × given-name initial class) for every
/// candidate reading. Empty for an empty name.
pub fn blocking_keys(name: &str) -> Vec<u64> {
    let k = key(name);
    let mut out = Vec::new();
    for c in k.iter() {
        let Some(&s0) = c.syl.first() else { continue };
        let sc = coarse_classes(s0);
        let gc = c.syl.get(c.n_sur).map_or(1 << 10, |&g| coarse_classes(g));
        for s in 0..16u64 {
            if sc & (1 << s) == 0 {
                continue;
            }
            for g in 0..16u64 {
                if gc & (1 << g) != 0 {
                    out.push(0x4E4B_0000 | (s << 4) | g);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The canonical (South Korean) Hangul reading of a name's surname, from
/// the surname table: "Ri Sol Ju" → "이", "玄" → "현", "Park" → "박". For an
/// ambiguous Latin spelling the most common surname is given ("Jung" → "정").
/// `None` when the surname is not in the table or the name is empty.
pub fn surname_reading(name: &str) -> Option<&'static str> {
    let t = tables::tables();
    let mut pieces = Vec::new();
    normalize::pieces(name, parse::MAX_CHARS, &mut pieces);
    // Words as text, split on spaces/commas and script changes.
    let mut words: Vec<(String, bool)> = Vec::new(); // (text, latin)
    let mut comma = None;
    let mut cur = String::new();
    let mut cur_latin = false;
    let flush = |cur: &mut String, latin: bool, words: &mut Vec<(String, bool)>| {
        if !cur.is_empty() {
            words.push((std::mem::take(cur), latin));
        }
    };
    for p in &pieces {
        match *p {
            normalize::Piece::Latin(b) => {
                if !cur_latin {
                    flush(&mut cur, cur_latin, &mut words);
                }
                cur_latin = true;
                cur.push(b as char);
            }
            normalize::Piece::Hangul(c) | normalize::Piece::Han(c) => {
                if cur_latin {
                    flush(&mut cur, cur_latin, &mut words);
                }
                cur_latin = false;
                cur.push(c);
            }
            normalize::Piece::Hyphen | normalize::Piece::Other => {}
            normalize::Piece::Space => flush(&mut cur, cur_latin, &mut words),
            normalize::Piece::Comma => {
                flush(&mut cur, cur_latin, &mut words);
                if comma.is_none() {
                    comma = Some(words.len());
                }
            }
        }
    }
    flush(&mut cur, cur_latin, &mut words);
    let lookup = |w: &str, latin: bool| -> Option<usize> {
        let ids = if latin {
            t.surname_by_latin
                .get(w)
                .or_else(|| t.surname_by_pinyin.get(w))
        } else {
            t.surname_by_hangul
                .get(w)
                .or_else(|| t.surname_by_hanja.get(w))
        };
        ids.and_then(|v| v.first().copied())
    };
    let first = words.first()?;
    let found = if words.len() == 1 && !first.1 {
        // One Hangul/Hanja word: two-syllable surname, else the first char.
        let chars: Vec<char> = first.0.chars().collect();
        let two: String = chars.iter().take(2).collect();
        let one: String = chars.iter().take(1).collect();
        (if chars.len() >= 3 {
            lookup(&two, false)
        } else {
            None
        })
        .or_else(|| lookup(&one, false))
    } else if comma.is_some() || words.len() == 1 {
        lookup(&first.0, first.1)
    } else {
        let last = words.last()?;
        lookup(&first.0, first.1).or_else(|| lookup(&last.0, last.1))
    };
    found.and_then(|i| t.surnames.get(i)).map(|s| s.hangul)
}

/// The reverse of romanization: the Hangul syllables a Latin spelling can
/// stand for. A Latin spelling is ambiguous ("Jong" is 정 or 종, "Song" 송
/// or 성, "Chol" 철 or 촐), so the answer is, for each way of cutting the
/// spelling into syllables ("Jongun" = Jong-un or Jon-gun), for each
/// syllable, its candidate syllables: those that are the Korean reading of
/// some Chinese character (the usual syllables of names) first, then the
/// others, each group in Unicode order. The first syllable follows the
/// initial-sound rule of a name's start ("Ri" gives 리 and 이). Letters
/// other than Latin ones are ignored; a spelling that reads as no Korean
/// syllables gives an empty list.
pub fn hangul_readings(latin: &str) -> Vec<Vec<Vec<char>>> {
    use std::sync::OnceLock;
    static SINO: OnceLock<std::collections::HashSet<char>> = OnceLock::new();
    let sino = SINO.get_or_init(|| {
        tables::tables()
            .hanja
            .values()
            .flat_map(|e| e.readings.iter().map(|&s| hangul::compose(s)))
            .collect()
    });
    let mut pieces = Vec::new();
    normalize::pieces(latin, parse::MAX_CHARS, &mut pieces);
    let letters: Vec<u8> = pieces
        .iter()
        .filter_map(|p| match p {
            normalize::Piece::Latin(b) => Some(*b),
            normalize::Piece::Hyphen | normalize::Piece::Space => Some(b'-'),
            _ => None,
        })
        .collect();
    parse::latin_cuts(&letters)
        .into_iter()
        .map(|cut| {
            cut.iter()
                .enumerate()
                .map(|(k, &m)| {
                    let m = if k == 0 { parse::word_start(m) } else { m };
                    let mut cs: Vec<char> = parse::mask_syllables(m)
                        .into_iter()
                        .map(hangul::compose)
                        .collect();
                    cs.sort_by_key(|c| (!sino.contains(c), *c));
                    cs
                })
                .collect()
        })
        .collect()
}

/// The outcome of comparing two names, for people.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Comparison {
    pub same: bool,
    pub score: f64,
    pub explanation: String,
}

fn describe_side(label: &str, input: &str, r: &parse::Reading) -> String {
    use parse::Script;
    let mut s = String::new();
    let scripts: Vec<&str> = {
        let mut v: Vec<&str> = r
            .scripts
            .iter()
            .map(|x| match x {
                Script::Hangul => "Hangul",
                Script::Han => "Chinese characters",
                Script::Latin => "Latin",
            })
            .collect();
        v.dedup();
        v
    };
    s.push_str(&format!(
        "{label} '{}' ({})",
        input.trim(),
        if scripts.is_empty() {
            "nothing readable".to_string()
        } else {
            scripts.join(" + ")
        }
    ));
    if let Some(h) = &r.hanja_reading {
        s.push_str(&format!(" read as {h}"));
    }
    if r.ignored > 0 {
        s.push_str(&format!(", {} character(s) ignored", r.ignored));
    }
    if r.truncated {
        s.push_str(&format!(", cut to {} characters", parse::MAX_CHARS));
    }
    s
}

fn syl_text(c: &Cand, k: usize) -> String {
    c.text.get(k).cloned().unwrap_or_default()
}

fn hangul_of(c: &Cand) -> Option<String> {
    // A candidate is Hangul-exact when every syllable is exact: rebuild it.
    if c.syl.iter().any(|&m| m & EXACT == 0) {
        return None;
    }
    if c.text
        .iter()
        .all(|t| t.chars().count() == 1 && t.chars().all(hangul::is_syllable))
    {
        return Some(c.text.concat());
    }
    None
}

/// Compare two names in any scripts, with an explanation for a reviewer.
pub fn compare(a: &str, b: &str) -> Comparison {
    let ra = parse::read(a, true);
    let rb = parse::read(b, true);
    let mut best: Option<(f64, &Cand, &Cand)> = None;
    for ca in &ra.cands {
        for cb in &rb.cands {
            let s = pair_score(&ca.syl, &cb.syl, f64::NEG_INFINITY);
            if best.is_none_or(|(bs, _, _)| s > bs) {
                best = Some((s, ca, cb));
            }
        }
    }
    let mut ex = format!(
        "{}; {}. ",
        describe_side("A", a, &ra),
        describe_side("B", b, &rb)
    );
    let Some((score, ca, cb)) = best else {
        ex.push_str("Nothing to compare: a name with no readable letters matches nothing.");
        return Comparison {
            same: false,
            score: 0.0,
            explanation: ex,
        };
    };
    let same = score >= SAME_THRESHOLD;
    let order = |c: &Cand| {
        if c.kind == Kind::Pinyin {
            " as Mandarin pinyin"
        } else if c.surname_last {
            " with the surname last"
        } else {
            ""
        }
    };
    let seg = |c: &Cand| -> String {
        c.text
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("|")
    };
    let typo = ca.typo.as_ref().or(cb.typo.as_ref());
    if same {
        ex.push_str(&format!("Same name (score {score:.2}): "));
        if let Some(t) = typo {
            ex.push_str(&format!("one typo: {t}; read so, "));
        }
        let ha = hangul_of(ca);
        let hb = hangul_of(cb);
        match (
            ha.as_ref().or(ra.hanja_reading.as_ref()),
            hb.as_ref().or(rb.hanja_reading.as_ref()),
        ) {
            (Some(x), Some(y)) if score >= 1.0 => {
                ex.push_str(&format!("same Hangul reading {x}"));
                if x != y {
                    ex.push_str(&format!(
                        " / {y} (North/South spelling of the initial sound)"
                    ));
                }
            }
            (Some(h), None) | (None, Some(h)) => {
                let (lat, latc) = if ha.is_some() || (ra.hanja_reading.is_some() && hb.is_none()) {
                    (b, cb)
                } else {
                    (a, ca)
                };
                let roms: Vec<String> = [System::Mr, System::Rr, System::Dprk]
                    .iter()
                    .filter_map(|&s| {
                        romanize(h, s).ok().map(|r| {
                            format!(
                                "{} '{r}'",
                                match s {
                                    System::Mr => "MR",
                                    System::Rr => "RR",
                                    System::Dprk => "DPRK",
                                    System::MrPlain => "MR",
                                }
                            )
                        })
                    })
                    .collect();
                ex.push_str(&format!(
                    "'{}' read{} as {} fits {h} syllable by syllable ({} ~ '{}')",
                    lat.trim(),
                    order(latc),
                    seg(latc),
                    roms.join(", "),
                    lat.trim()
                ));
            }
            _ => {
                ex.push_str(&format!(
                    "both spellings fit one Korean reading syllable by syllable: {}{} ~ {}{}",
                    seg(ca),
                    order(ca),
                    seg(cb),
                    order(cb)
                ));
            }
        }
        ex.push('.');
    } else {
        ex.push_str(&format!("Different names (score {score:.2}): "));
        if let Some(t) = typo {
            ex.push_str(&format!("even with one typo corrected ({t}), "));
        }
        if ca.syl.len() != cb.syl.len() {
            ex.push_str(&format!("{} syllable(s) vs {}", ca.syl.len(), cb.syl.len()));
        } else {
            let mut diffs = Vec::new();
            for k in 0..ca.syl.len() {
                let (i, v, f) = syl_match(ca.syl[k], cb.syl[k]);
                if !(i && v && f) {
                    let mut what = Vec::new();
                    if !i {
                        what.push("initial consonant");
                    }
                    if !v {
                        what.push("vowel");
                    }
                    if !f {
                        what.push("final consonant");
                    }
                    diffs.push(format!(
                        "syllable {} '{}' vs '{}' differ in {}",
                        k + 1,
                        syl_text(ca, k),
                        syl_text(cb, k),
                        what.join(" and ")
                    ));
                }
            }
            ex.push_str(&diffs.join("; "));
        }
        ex.push('.');
    }
    Comparison {
        same,
        score,
        explanation: ex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_examples_are_one_name() {
        let forms = [
            "김철진",
            "金哲镇",
            "金哲鎭",
            "Kim Chol Jin",
            "Kim Chol-jin",
            "Gim Cheol-jin",
            "Jin Zhezhen",
            "Chol Jin Kim",
            "KIM  chol-JIN",
            "Kim, Chol Jin",
        ];
        for a in forms {
            for b in forms {
                let c = compare(a, b);
                assert!(c.same, "{a} vs {b}: {}", c.explanation);
                let s = score(&key(a), &key(b));
                assert!((s - c.score).abs() < 1e-12, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn hard_negatives() {
        for (a, b) in [
            ("김정은", "김정운"),
            ("Kim Jong Un", "Kim Jong Il"),
            ("김정은", "Kim Jong Il"),
            ("박철", "최철"),
            // Typos: one that forms another valid syllable is not corrected.
            ("김정은", "Kim Jong Nu"),
            // The corrected word must still agree with the other name.
            ("김정일", "Kim Jnog Un"),
            ("김철진", "Kim Chol Jni Ho"),
            ("박철수", "Pak Cholj Ho"),
            // Too little evidence beside the typo: two syllables.
            ("김진", "Kim Jni"),
            ("김니", "Kim Jni"),
            // Two unreadable words: nothing is corrected.
            ("김철진", "Kim Cholj Jni"),
        ] {
            let c = compare(a, b);
            assert!(!c.same, "{a} vs {b}: {}", c.explanation);
            assert!(c.score < SAME_THRESHOLD);
            assert!(score(&key(a), &key(b)) < SAME_THRESHOLD, "{a} vs {b}");
        }
    }

    #[test]
    fn hangul_identity_scores_one() {
        assert_eq!(score(&key("김정은"), &key("김 정은")), 1.0);
        assert_eq!(score(&key("리설주"), &key("이설주")), 1.0);
        assert_eq!(score(&key("金哲鎭"), &key("김철진")), 1.0);
        let c = compare("金哲鎭", "김철진");
        assert!(c.explanation.contains("김철진"), "{}", c.explanation);
    }

    #[test]
    fn reverse_readings_of_the_issue_examples() {
        let first = |latin: &str| -> Vec<char> {
            let r = hangul_readings(latin);
            assert_eq!(r.len(), 1, "{latin}: one cut");
            r[0][0].clone()
        };
        // Issue 3: "Jong" can be 정, 종; "Song" 송, 성; "Chol" 철, 촐.
        for (latin, expect) in [
            ("Jong", &['정', '종'][..]),
            ("Song", &['송', '성']),
            ("Chol", &['철', '촐']),
            ("Ri", &['리', '이']),
            ("Kim", &['김']),
        ] {
            let got = first(latin);
            for c in expect {
                assert!(got.contains(c), "{latin}: {c} not in {got:?}");
            }
        }
        // Sino-Korean readings come first: 철 (哲, 鐵) before 촐, 쫄.
        let chol = first("Chol");
        let pos = |c| chol.iter().position(|&x| x == c).unwrap();
        assert!(pos('철') < pos('촐') && pos('철') < pos('쫄'), "{chol:?}");
        assert!(!first("Jong").contains(&'중'));
        // "Jongun" cuts two ways; nonsense reads as nothing.
        let cuts = hangul_readings("Jongun");
        assert!(
            cuts.iter()
                .any(|c| c.len() == 2 && c[0].contains(&'정') && c[1].contains(&'운'))
        );
        assert!(
            cuts.iter()
                .any(|c| c.len() == 2 && c[0].contains(&'전') && c[1].contains(&'건'))
        );
        assert!(hangul_readings("xqz").is_empty());
        assert!(hangul_readings("").is_empty());
        assert!(hangul_readings("김정은").is_empty());
    }

    #[test]
    fn surnames() {
        assert_eq!(surname_reading("Ri Sol Ju"), Some("이"));
        assert_eq!(surname_reading("玄松月"), Some("현"));
        assert_eq!(surname_reading("Park Ji-sung"), Some("박"));
        assert_eq!(surname_reading("Chol Jin Kim"), Some("김"));
        assert_eq!(surname_reading("남궁민"), Some("남궁"));
        assert_eq!(surname_reading("Piao Zhezhen"), Some("박"));
        assert_eq!(surname_reading(""), None);
        assert_eq!(surname_reading("Xzqy Abc"), None);
    }

    #[test]
    fn blocking_shared() {
        let forms = [
            "김철진",
            "金哲镇",
            "Kim Chol Jin",
            "Gim Cheol-jin",
            "Jin Zhezhen",
            "Chol Jin Kim",
        ];
        let keys: Vec<Vec<u64>> = forms.iter().map(|f| blocking_keys(f)).collect();
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert!(
                    a.iter().any(|x| b.contains(x)),
                    "{} / {}",
                    forms[i],
                    forms[j]
                );
            }
        }
        assert!(blocking_keys("").is_empty());
    }

    #[test]
    fn key_path_agrees_with_explained_reading_on_the_corpus() {
        // `key()` takes fast paths (memo, packed surname look-ups, reused
        // buffers) that the explained reading does not; both must give the
        // same candidates for every spelling of the variant groups and for
        // variants of them (joined words, a doubled letter, long words,
        // given name first), cold and warm.
        let data = include_str!("../data/variant_groups.tsv");
        let mut names: Vec<String> = Vec::new();
        for line in data.lines() {
            if let Some(rest) = line.strip_prefix("G\t") {
                names.extend(rest.split(" | ").map(|x| x.trim().to_string()));
            } else if let Some(rest) = line.strip_prefix("N\t") {
                names.extend(rest.split('\t').map(|x| x.trim().to_string()));
            }
        }
        let mut more = Vec::new();
        for n in &names {
            more.push(n.replace(' ', ""));
            more.push(n.replace(' ', "-"));
            more.push(format!("{n}{n}"));
            more.push(n.chars().rev().collect::<String>());
            if let Some(c) = n.chars().last() {
                more.push(format!("{n}{c}"));
            }
        }
        names.extend(more);
        for pass in 0..2 {
            if pass == 0 {
                clear_word_memo();
            }
            for n in &names {
                let reference = encode(&parse::read(n, true).cands);
                assert_eq!(key(n), reference, "{n:?} (pass {pass})");
            }
        }
    }

    /// The pruned score equals the unpruned maximum over reading pairs, and
    /// `score_at_least` is exact at or above its floor, on pairs of the
    /// corpus's spellings (within groups, where scores are high, and across
    /// them, where most are cut).
    #[test]
    fn pruned_scores_are_exact_above_the_floor() {
        let data = include_str!("../data/variant_groups.tsv");
        let mut names: Vec<&str> = Vec::new();
        for line in data.lines() {
            if let Some(rest) = line.strip_prefix("G\t") {
                names.extend(rest.split(" | ").map(str::trim));
            }
        }
        let keys: Vec<NameKey> = names.iter().step_by(3).map(|n| key(n)).collect();
        let unpruned = |a: &NameKey, b: &NameKey| {
            let mut best = 0.0f64;
            for ca in a.iter() {
                for cb in b.iter() {
                    best = best.max(pair_score(ca.syl, cb.syl, f64::NEG_INFINITY));
                }
            }
            best
        };
        let mut cut = 0;
        for a in &keys {
            for b in &keys {
                let want = unpruned(a, b);
                assert_eq!(score(a, b), want.min(1.0), "{a:?} {b:?}");
                for floor in [0.7, 0.88, SAME_THRESHOLD] {
                    let got = score_at_least(a, b, floor);
                    if want >= floor {
                        assert_eq!(got, want.min(1.0), "{a:?} {b:?} {floor}");
                    } else {
                        assert!(got < floor, "{a:?} {b:?} {floor}: {got} {want}");
                        cut += usize::from(got != want);
                    }
                }
            }
        }
        assert!(cut > 0, "some pairs were cut short");
    }

    #[test]
    fn word_memo_does_not_change_keys() {
        // The explained path never uses the memo; keys must agree, warm or cold.
        for n in [
            "Kim Chol Jin",
            "Chol Jin Kim",
            "Kim Jongun",
            "Ri Sol Ju",
            "Jin Zhezhen",
            "Kim Mung Na",
            "Paik Nam-june",
        ] {
            let reference = encode(&parse::read(n, true).cands);
            assert_eq!(key(n), reference, "{n} cold");
            assert_eq!(key(n), reference, "{n} warm");
        }
    }

    #[test]
    fn form_tolerance_and_typos() {
        for v in [
            "ｋｉｍ　ｃｈｏｌ　ｊｉｎ",
            "kim   chol jin",
            "Kim Choljin",
            "Kim Ch'ŏl-chin",
            "Kim, Chol-Jin",
            "Kim Chol Jin 1975 😀",
        ] {
            assert!(compare("김철진", v).same, "{v}");
        }
    }

    #[test]
    fn one_typo_is_tolerated_with_a_lower_score() {
        // Swapped letters, a stray or doubled letter: the word reads as
        // nothing, one correction reads, the rest of the name agrees.
        for (typed, fix) in [
            ("Kim Chol Jni", "'jni' ~ 'jin' (two letters swapped)"),
            ("Kim Cholj Jin", "'cholj' ~ 'chol' (one letter too many)"),
            ("Kim Chol Jinn", "'jinn' ~ 'jin' (one letter too many)"),
            ("Kmi Chol Jin", "'kmi' ~ 'kim' (two letters swapped)"),
        ] {
            for other in ["김철진", "Kim Chol Jin", "金哲鎭"] {
                let c = compare(other, typed);
                assert!(c.same, "{typed} vs {other}: {}", c.explanation);
                assert_eq!(c.score, TYPO_SCORE, "{typed}");
                assert!(
                    c.explanation.contains(&format!("one typo: {fix}")),
                    "{}",
                    c.explanation
                );
                assert_eq!(score(&key(other), &key(typed)), TYPO_SCORE, "{typed}");
            }
        }
        // A substituted letter that gives another spelling of the same
        // syllable ("Chul" for 철) is no typo at all.
        let c = compare("김철진", "Kim Chul Jin");
        assert!(c.same && c.score > TYPO_SCORE, "{}", c.explanation);
        // The same spelling with its typo is still a full match with itself.
        assert!(compare("Kim Chol Jni", "Kim Chol Jni").score > TYPO_SCORE);
    }

    #[test]
    fn empty_and_junk() {
        assert!(key("").is_empty());
        assert_eq!(score(&key(""), &key("")), 0.0);
        assert!(!compare("", "").same);
        assert!(!compare("😀", "😀").same);
        let long = "김".repeat(10_000);
        let _ = compare(&long, &long);
        let _ = blocking_keys(&"a\u{0}b\u{7}".repeat(3000));
    }
}
