//! Generic string comparators (Jaro–Winkler, optimal-string-alignment
//! Damerau–Levenshtein, normalisation) written here so that linkage does not
//! depend on any one names implementation. Person names go through
//! `tumen-names` on top of these (see `compare.rs`); identifiers, postcodes,
//! addresses and free text use these directly.

/// Lower-cases, trims, folds runs of whitespace/punctuation to one space and
/// maps full-width ASCII to ASCII. Keeps letters of every script.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let c = fold_fullwidth(c);
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for l in c.to_lowercase() {
                out.push(l);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

fn fold_fullwidth(c: char) -> char {
    let u = c as u32;
    if (0xFF01..=0xFF5E).contains(&u) {
        char::from_u32(u - 0xFEE0).unwrap_or(c)
    } else if u == 0x3000 {
        ' '
    } else {
        c
    }
}

/// Jaro similarity of two character sequences, 0..=1. Without allocation
/// when the second string has at most 64 characters.
pub fn jaro(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if b.len() <= 64 && a.len() <= 64 {
        return jaro_small(a, b);
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = vec![false; b.len()];
    let mut a_match = Vec::with_capacity(a.len());
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == *ca {
                b_used[j] = true;
                a_match.push(*ca);
                break;
            }
        }
    }
    let m = a_match.len();
    if m == 0 {
        return 0.0;
    }
    let b_match = b
        .iter()
        .zip(b_used.iter())
        .filter(|(_, u)| **u)
        .map(|(c, _)| *c);
    let transpositions = a_match.iter().zip(b_match).filter(|(x, y)| *x != y).count() / 2;
    finish(m, transpositions, a.len(), b.len())
}

fn finish(m: usize, t: usize, la: usize, lb: usize) -> f64 {
    let m = m as f64;
    (m / la as f64 + m / lb as f64 + (m - t as f64) / m) / 3.0
}

fn jaro_small(a: &[char], b: &[char]) -> f64 {
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used: u64 = 0;
    let mut a_used: u64 = 0;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for (j, cb) in b.iter().enumerate().take(hi).skip(lo) {
            if b_used & (1 << j) == 0 && cb == ca {
                b_used |= 1 << j;
                a_used |= 1 << i;
                break;
            }
        }
    }
    let m = a_used.count_ones() as usize;
    if m == 0 {
        return 0.0;
    }
    let (mut t, mut j) = (0usize, 0usize);
    for (i, ca) in a.iter().enumerate() {
        if a_used & (1 << i) != 0 {
            while b_used & (1 << j) == 0 {
                j += 1;
            }
            if b[j] != *ca {
                t += 1;
            }
            j += 1;
        }
    }
    finish(m, t / 2, a.len(), b.len())
}

/// Jaro–Winkler similarity (prefix scale 0.1, prefix up to 4), 0..=1.
pub fn jaro_winkler(a: &[char], b: &[char]) -> f64 {
    let j = jaro(a, b);
    let prefix = a
        .iter()
        .zip(b.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count();
    j + prefix as f64 * 0.1 * (1.0 - j)
}

/// Optimal-string-alignment distance (Damerau–Levenshtein restricted to
/// adjacent transpositions), stopping early once it exceeds `max`; returns
/// `max + 1` in that case.
pub fn osa_distance_bounded(a: &[char], b: &[char], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    if a.len() <= 16 && b.len() <= 16 {
        let d = osa_bit_parallel(a, b);
        return if d <= max { d } else { max + 1 };
    }
    if a.len() <= 32 && b.len() <= 32 && max < 32 {
        return osa_banded(a, b, max);
    }
    let n = b.len();
    let mut prev2 = vec![0usize; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur = vec![0usize; n + 1];
    osa_core(a, b, max, &mut prev2, &mut prev, &mut cur)
}

/// The optimal-string-alignment distance of two short strings (`a` at most
/// 64 characters) by Hyyrö's bit-parallel algorithm (2003), see
/// [`osa_hyyro`]. Identifiers, postcodes and street numbers (up to 16
/// characters) take this path: for them it is several times cheaper than
/// filling cells.
fn osa_bit_parallel(a: &[char], b: &[char]) -> usize {
    debug_assert!(a.len() <= 64);
    // Per character of `b`, the positions where it occurs in `a`.
    osa_hyyro(
        a.len(),
        b.iter().map(|&ch| {
            a.iter()
                .enumerate()
                .fold(0u64, |acc, (k, &x)| acc | (u64::from(x == ch) << k))
        }),
    )
}

/// Hyyrö's bit-parallel optimal-string-alignment distance (2003) between a
/// pattern of `m` ≤ 64 characters and a text given as, per character, its
/// pattern-match mask (bit k set where the pattern's k-th character equals
/// it). One column of the dynamic programme is held as vertical +1/−1
/// deltas in two words and advanced by a dozen word operations per text
/// character, with the transposition term carried from the previous mask.
#[inline]
fn osa_hyyro(m: usize, masks: impl Iterator<Item = u64>) -> usize {
    if m == 0 {
        return masks.count();
    }
    let last = 1u64 << (m - 1);
    // All bits at or above `m` stay set in VP and never reach `last`.
    let (mut vp, mut vn, mut d0, mut pm_prev) = (!0u64, 0u64, 0u64, 0u64);
    let mut dist = m;
    for pm in masks {
        let tr = ((!d0 & pm) << 1) & pm_prev;
        d0 = (((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn | tr;
        let hp = vn | !(d0 | vp);
        let hn = d0 & vp;
        if hp & last != 0 {
            dist += 1;
        } else if hn & last != 0 {
            dist -= 1;
        }
        let hp = (hp << 1) | 1;
        let hn = hn << 1;
        vp = hn | !(d0 | hp);
        vn = hp & d0;
        pm_prev = pm;
    }
    dist
}

/// A value of at most 16 ASCII digits prepared for [`osa_digits`]: for each
/// digit, the positions where it occurs (the bit-parallel algorithm's
/// pattern-match masks, read by one look-up instead of comparing every
/// character), and the digits themselves, 4 bits each. Identifiers,
/// postcodes and street numbers are mostly such values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digits {
    peq: [u16; 10],
    packed: u64,
    len: u8,
}

impl Digits {
    /// The digits of `c`, if it is 0 to 16 ASCII digits.
    pub fn of(c: &[char]) -> Option<Digits> {
        if c.len() > 16 {
            return None;
        }
        let mut d = Digits {
            peq: [0; 10],
            packed: 0,
            len: c.len() as u8,
        };
        for (k, ch) in c.iter().enumerate() {
            // `to_digit` reads ASCII digits only (not full-width ones).
            let v = ch.to_digit(10)? as usize;
            d.peq[v] |= 1 << k;
            d.packed |= (v as u64) << (4 * k);
        }
        Some(d)
    }
}

/// The optimal-string-alignment distance of two digit strings: the same
/// bit-parallel algorithm as [`osa_distance_bounded`]'s short-string path,
/// with the pattern-match masks looked up.
pub fn osa_digits(a: &Digits, b: &Digits) -> usize {
    osa_hyyro(
        usize::from(a.len),
        (0..usize::from(b.len)).map(|j| {
            let digit = ((b.packed >> (4 * j)) & 0xF) as usize;
            u64::from(a.peq.get(digit).copied().unwrap_or(0))
        }),
    )
}

/// [`osa_distance_bounded`] for short strings: only the diagonal band of
/// width `2 max + 1` is filled (a cell farther from the diagonal costs more
/// than `max` on any path through it), in byte-sized cells on the stack,
/// stopping once a whole row exceeds `max`. Identifiers, postcodes and
/// street numbers are compared this way for every candidate and every
/// random pair, so it allocates and clears nothing per call beyond 3 × 34
/// bytes.
fn osa_banded(a: &[char], b: &[char], max: usize) -> usize {
    let n = b.len();
    let big = (max + 1) as u8;
    let mut prev2 = [big; 34];
    let mut prev = [big; 34];
    let mut cur = [big; 34];
    for (j, x) in prev.iter_mut().enumerate().take(n.min(max) + 1) {
        *x = j as u8;
    }
    for i in 1..=a.len() {
        cur.fill(big);
        cur[0] = if i <= max { i as u8 } else { big };
        let mut row_min = cur[0];
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(n);
        let ca = a[i - 1];
        for j in lo..=hi {
            let cost = u8::from(ca != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && ca == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            let v = v.min(big);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if usize::from(row_min) > max {
            return max + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    usize::from(prev[n].min(big))
}

fn osa_core(
    a: &[char],
    b: &[char],
    max: usize,
    prev2: &mut [usize],
    prev: &mut [usize],
    cur: &mut [usize],
) -> usize {
    let n = b.len();
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        let t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    prev[n].min(max + 1)
}

/// Plain Levenshtein distance (insert, delete, substitute), unbounded.
pub fn levenshtein(a: &[char], b: &[char]) -> usize {
    let n = b.len();
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur = vec![0usize; n + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n]
}

/// Share of distinct word tokens in common (Jaccard), 0..=1.
pub fn token_jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.iter().filter(|t| b.contains(t)).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// A fast, deterministic 64-bit hash (FNV-1a followed by a murmur finaliser)
/// for blocking keys and tokens; stable across runs and platforms.
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes(), 0)
}

pub fn hash_bytes(bytes: &[u8], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

pub fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    // Reference values: Winkler (1990) / the table in Cohen, Ravikumar &
    // Fienberg (2003) and the Wikipedia Jaro–Winkler article:
    // MARTHA/MARHTA jaro 0.944, jw 0.961; DWAYNE/DUANE jaro 0.822, jw 0.840;
    // DIXON/DICKSONX jaro 0.767, jw 0.813.
    #[test]
    fn jaro_winkler_published_values() {
        let cases = [
            ("MARTHA", "MARHTA", 0.944, 0.961),
            ("DWAYNE", "DUANE", 0.822, 0.840),
            ("DIXON", "DICKSONX", 0.767, 0.813),
        ];
        for (a, b, j, jw) in cases {
            assert!((jaro(&c(a), &c(b)) - j).abs() < 0.001, "{a} {b}");
            assert!((jaro_winkler(&c(a), &c(b)) - jw).abs() < 0.001, "{a} {b}");
        }
        assert_eq!(jaro_winkler(&c(""), &c("abc")), 0.0);
        // The allocation-free path and the general one agree.
        let long: String = "abcdefghij".repeat(7);
        let long2: String = "abdcefghij".repeat(7);
        assert!(
            (jaro(&c(&long), &c(&long2)) - jaro(&c(&long[..60]), &c(&long2[..60]))).abs() < 0.01
        );
        assert_eq!(jaro_winkler(&c("abc"), &c("abc")), 1.0);
    }

    #[test]
    fn edit_distances_known_values() {
        // kitten/sitting = 3 (textbook); OSA: ca/ac = 1, abc/ca = 3 (OSA, not
        // unrestricted DL which gives 2).
        assert_eq!(levenshtein(&c("kitten"), &c("sitting")), 3);
        assert_eq!(osa_distance_bounded(&c("kitten"), &c("sitting"), 5), 3);
        assert_eq!(osa_distance_bounded(&c("ca"), &c("ac"), 5), 1);
        assert_eq!(osa_distance_bounded(&c("abc"), &c("ca"), 5), 3);
        assert_eq!(osa_distance_bounded(&c("1234567"), &c("1243567"), 2), 1);
        assert_eq!(osa_distance_bounded(&c("1234567"), &c("9999999"), 2), 3);
        assert_eq!(osa_distance_bounded(&c(""), &c("ab"), 2), 2);
        // Long strings take the heap path; same answers.
        let x = "abcdefghij".repeat(5);
        let y = x.replacen("cd", "dc", 1);
        assert_eq!(osa_distance_bounded(&c(&x), &c(&y), 3), 1);
        assert_eq!(osa_distance_bounded(&c(&x[..31]), &c(&y[..31]), 3), 1);
    }

    #[test]
    fn normalize_folds_case_space_punctuation_fullwidth() {
        assert_eq!(normalize("  Kim  Chol-Jin "), "kim chol jin");
        assert_eq!(normalize("ＫＩＭ"), "kim");
        assert_eq!(normalize("김 철진"), "김 철진");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("---"), "");
    }

    /// The banded short-string path agrees with the full dynamic programme
    /// (the heap path, checked above against textbook values) on every pair
    /// of a set of short strings with typos, swaps, insertions and deletions.
    #[test]
    fn banded_osa_matches_full_table() {
        let words = [
            "", "1", "12", "21", "123", "132", "1234", "1243", "2134", "12345", "13245", "5304218",
            "5302418", "5304299", "530421", "53042188", "1111111", "ab", "ba", "abc", "acb", "bca",
            "kitten", "sitting", "4223", "4232", "2423", "42233",
        ];
        for x in words {
            for y in words {
                let (a, b) = (c(x), c(y));
                for max in 0..4 {
                    let n = b.len();
                    let mut prev2 = vec![0usize; n + 1];
                    let mut prev: Vec<usize> = (0..=n).collect();
                    let mut cur = vec![0usize; n + 1];
                    let full = if a.len().abs_diff(b.len()) > max {
                        max + 1
                    } else {
                        osa_core(&a, &b, max, &mut prev2, &mut prev, &mut cur)
                    };
                    assert_eq!(osa_distance_bounded(&a, &b, max), full, "{x} {y} {max}");
                }
            }
        }
    }

    /// The OSA distance by the full dynamic programme (the reference).
    fn full(a: &[char], b: &[char]) -> usize {
        let n = b.len();
        let mut prev2 = vec![0usize; n + 1];
        let mut prev: Vec<usize> = (0..=n).collect();
        let mut cur = vec![0usize; n + 1];
        osa_core(a, b, usize::MAX - 1, &mut prev2, &mut prev, &mut cur)
    }

    /// Every string over `alphabet` of length 0 to `max_len`.
    fn all_words(alphabet: &[char], max_len: usize) -> Vec<Vec<char>> {
        let mut words: Vec<Vec<char>> = vec![vec![]];
        let mut frontier = words.clone();
        for _ in 0..max_len {
            let next: Vec<Vec<char>> = frontier
                .iter()
                .flat_map(|w| {
                    alphabet.iter().map(move |&ch| {
                        let mut v = w.clone();
                        v.push(ch);
                        v
                    })
                })
                .collect();
            words.extend(next.iter().cloned());
            frontier = next;
        }
        words
    }

    /// A small deterministic generator for random test strings.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// The bit-parallel distance equals the full dynamic programme on every
    /// pair of all strings up to length 6 over a 3-letter alphabet (where
    /// repeats and adjacent swaps are everywhere), and on random pairs of
    /// longer strings up to the 64-character limit.
    #[test]
    fn bit_parallel_osa_matches_full_table() {
        let words = all_words(&['a', 'b', 'c'], 6);
        // 1,093 words: every ordered pair of the short ones, a sample of
        // the rest.
        for (i, a) in words.iter().enumerate() {
            for (j, b) in words.iter().enumerate() {
                if a.len() <= 4 || b.len() <= 4 || (i * 31 + j * 17) % 13 == 0 {
                    assert_eq!(osa_bit_parallel(a, b), full(a, b), "{a:?} {b:?}");
                }
            }
        }
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3_000 {
            let la = (next() % 65) as usize;
            let lb = (next() % 70) as usize;
            let alpha = 2 + next() % 5;
            let a: Vec<char> = (0..la)
                .map(|_| char::from(b'0' + (next() % alpha) as u8))
                .collect();
            let mut b: Vec<char> = a.iter().copied().take(lb).collect();
            // Edit a copy (swaps, substitutions, deletions) or draw afresh.
            if next() % 3 == 0 {
                b = (0..lb)
                    .map(|_| char::from(b'0' + (next() % alpha) as u8))
                    .collect();
            } else {
                for _ in 0..next() % 4 {
                    if b.len() > 1 {
                        let k = (next() as usize) % (b.len() - 1);
                        match next() % 3 {
                            0 => b.swap(k, k + 1),
                            1 => b[k] = 'x',
                            _ => {
                                b.remove(k);
                            }
                        }
                    }
                }
            }
            assert_eq!(osa_bit_parallel(&a, &b), full(&a, &b), "{a:?} {b:?}");
        }
    }

    /// The digit path equals the full dynamic programme on every pair of
    /// digit strings up to length 4 over three digits, and on random pairs
    /// up to 16 digits; other values have no digit form.
    #[test]
    fn digit_osa_matches_full_table() {
        let words = all_words(&['0', '1', '9'], 4);
        for a in &words {
            for b in &words {
                let (x, y) = (Digits::of(a).unwrap(), Digits::of(b).unwrap());
                assert_eq!(osa_digits(&x, &y), full(a, b), "{a:?} {b:?}");
            }
        }
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..5_000 {
            let la = (next() % 17) as usize;
            let a: Vec<char> = (0..la)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let mut b = a.clone();
            for _ in 0..next() % 4 {
                if b.len() > 1 {
                    let k = (next() as usize) % (b.len() - 1);
                    match next() % 4 {
                        0 => b.swap(k, k + 1),
                        1 => b[k] = char::from(b'0' + (next() % 10) as u8),
                        2 => {
                            b.remove(k);
                        }
                        _ => b.insert(k, char::from(b'0' + (next() % 10) as u8)),
                    }
                }
            }
            b.truncate(16);
            let (x, y) = (Digits::of(&a).unwrap(), Digits::of(&b).unwrap());
            assert_eq!(osa_digits(&x, &y), full(&a, &b), "{a:?} {b:?}");
        }
        assert!(Digits::of(&c("12a4")).is_none());
        assert!(
            Digits::of(&c("１２")).is_none(),
            "full-width digits are not ASCII"
        );
        assert!(Digits::of(&c("12345678901234567")).is_none(), "17 digits");
        assert!(Digits::of(&c("")).is_some());
    }

    #[test]
    fn jaccard() {
        assert_eq!(token_jaccard(&[1, 2], &[2, 3]), 1.0 / 3.0);
        assert_eq!(token_jaccard(&[], &[]), 1.0);
    }
}
