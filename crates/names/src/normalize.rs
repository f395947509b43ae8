//! Text clean-up before a name is read: Unicode compatibility forms
//! (full-width letters, compatibility ideographs), diacritics of
//! romanizations (ŏ ŭ é), apostrophes, case, separators. Kept apart from the
//! reading rules so that every entry point sees the same text.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// What a character is, for error messages that must not repeat the
/// character itself (names are confidential).
pub fn char_kind(c: char) -> &'static str {
    if c.is_ascii_alphabetic() {
        "Latin letter"
    } else if c.is_ascii_digit() || c.is_numeric() {
        "digit"
    } else if c.is_control() {
        "control character"
    } else if crate::tables::is_han(c) {
        "Chinese character"
    } else if c.is_alphabetic() {
        "letter of another script"
    } else if (c as u32) >= 0x1F000 {
        "emoji or pictograph"
    } else {
        "symbol or punctuation"
    }
}

/// One classified character of a normalized name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Precomposed Hangul syllable.
    Hangul(char),
    /// CJK ideograph.
    Han(char),
    /// Lower-case ASCII letter (diacritics removed).
    Latin(u8),
    /// Hyphen or middle dot: syllable separator inside a word.
    Hyphen,
    /// Space or other word separator.
    Space,
    /// Comma: "Surname, Given".
    Comma,
    /// Anything else (digits, emoji, controls, other scripts): ignored.
    Other,
}

/// Normalize and classify `name`. Characters after `max_chars` are dropped
/// (the caller reports it).
pub fn pieces(name: &str, max_chars: usize, out: &mut Vec<Piece>) -> bool {
    out.clear();
    let mut truncated = false;
    let push = |p: Piece, out: &mut Vec<Piece>, truncated: &mut bool| {
        if out.len() >= max_chars {
            *truncated = true;
        } else {
            out.push(p);
        }
    };
    if name.is_ascii() {
        // ASCII is its own normal form: one table look-up per byte.
        let b = name.as_bytes();
        let n = b.len().min(max_chars);
        out.extend(b[..n].iter().map(|&x| ASCII[usize::from(x & 0x7F)]));
        return b.len() > n;
    }
    // Every character one that normalization leaves alone and that combines
    // with no neighbour (Hangul syllables, unified ideographs, ŏ ŭ é, ’):
    // classified one by one, as the general path below would.
    let mut fast = true;
    for c in name.chars() {
        match fast_piece(c) {
            Some(p) => push(p, out, &mut truncated),
            None => {
                fast = false;
                break;
            }
        }
    }
    if fast {
        return truncated;
    }
    out.clear();
    truncated = false;
    // NFKC maps full-width and compatibility forms; NFD then splits
    // accents off Latin letters so they can be dropped.
    for c in name.nfkc() {
        if crate::hangul::is_syllable(c) || crate::tables::is_han(c) {
            push(classify(c), out, &mut truncated);
            continue;
        }
        for d in std::iter::once(c).nfd() {
            if is_combining_mark(d) {
                continue;
            }
            push(classify(d), out, &mut truncated);
        }
    }
    truncated
}

/// The general path of [`pieces`] for one character alone: NFKC, then NFD
/// without combining marks, classified.
fn general(c: char) -> Vec<Piece> {
    let mut v = Vec::new();
    for c in std::iter::once(c).nfkc() {
        if crate::hangul::is_syllable(c) || crate::tables::is_han(c) {
            v.push(classify(c));
            continue;
        }
        for d in std::iter::once(c).nfd() {
            if !is_combining_mark(d) {
                v.push(classify(d));
            }
        }
    }
    v
}

/// Ranges of characters outside ASCII looked up in [`FastTable`]: Latin-1,
/// Latin Extended-A/B, IPA and spacing modifiers (ŏ ŭ é ʼ), and general
/// punctuation (’ ‐ –).
const FAST_RANGES: [(u32, u32); 2] = [(0x80, 0x300), (0x2000, 0x2070)];

/// For the characters of [`FAST_RANGES`]: their piece when NFKC leaves the
/// character unchanged, it is no combining mark (so it combines with no
/// neighbour) and the general path gives exactly one piece for it.
struct FastTable(Vec<Option<Piece>>);

fn fast_table() -> &'static FastTable {
    static T: std::sync::OnceLock<FastTable> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut v = Vec::new();
        for (lo, hi) in FAST_RANGES {
            for u in lo..hi {
                let piece = char::from_u32(u).and_then(|c| {
                    let stable = std::iter::once(c).nfkc().eq(std::iter::once(c));
                    match general(c).as_slice() {
                        [p] if stable && !is_combining_mark(c) => Some(*p),
                        _ => None,
                    }
                });
                v.push(piece);
            }
        }
        FastTable(v)
    })
}

/// The piece of `c` when it can be classified without normalizing the
/// name (see [`pieces`]); `None` sends the name the general way.
#[inline]
fn fast_piece(c: char) -> Option<Piece> {
    let u = c as u32;
    if u < 0x80 {
        return Some(ASCII[u as usize]);
    }
    // Unchanged by NFKC, and composing with nothing that is fast.
    if crate::hangul::is_syllable(c) {
        return Some(Piece::Hangul(c));
    }
    if matches!(u, 0x3400..=0x4DBF | 0x4E00..=0x9FFF) {
        return Some(Piece::Han(c));
    }
    let mut base = 0;
    for (lo, hi) in FAST_RANGES {
        if (lo..hi).contains(&u) {
            return fast_table()
                .0
                .get(base + (u - lo) as usize)
                .copied()
                .flatten();
        }
        base += (hi - lo) as usize;
    }
    None
}

/// `classify` of every ASCII character, computed at compile time.
static ASCII: [Piece; 128] = {
    let mut t = [Piece::Other; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = match b {
            b'a'..=b'z' => Piece::Latin(b),
            b'A'..=b'Z' => Piece::Latin(b + 32),
            b'-' => Piece::Hyphen,
            b',' => Piece::Comma,
            b'\'' | b'`' => Piece::Other,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | b'.' | b'_' | b'/' => Piece::Space,
            _ => Piece::Other,
        };
        i += 1;
    }
    t
};

fn classify(c: char) -> Piece {
    match c {
        'a'..='z' => Piece::Latin(c as u8),
        'A'..='Z' => Piece::Latin(c.to_ascii_lowercase() as u8),
        '-' | '\u{00B7}' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{30FB}' => {
            Piece::Hyphen
        }
        ',' | '\u{3001}' | '\u{FF0C}' => Piece::Comma,
        // Apostrophes of MR (ch'ŏl) and O'Neil-style spellings: dropped.
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '`' | '\u{00B4}' => Piece::Other,
        c if c.is_whitespace() || c == '.' || c == '_' || c == '/' => Piece::Space,
        c if crate::hangul::is_syllable(c) => Piece::Hangul(c),
        c if crate::tables::is_han(c) => Piece::Han(c),
        _ => Piece::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latin(s: &str) -> String {
        let mut v = Vec::new();
        pieces(s, 100, &mut v);
        v.iter()
            .map(|p| match p {
                Piece::Latin(b) => *b as char,
                Piece::Hyphen => '-',
                Piece::Space => ' ',
                Piece::Comma => ',',
                Piece::Hangul(c) | Piece::Han(c) => *c,
                Piece::Other => '?',
            })
            .collect()
    }

    #[test]
    fn full_width_diacritics_case() {
        assert_eq!(latin("ＫＩＭ　Ｃｈｏｌ"), "kim chol");
        assert_eq!(latin("Ch'ŏl-chin"), "ch?ol-chin");
        assert_eq!(latin("Kim Chŏng-ŭn"), "kim chong-un");
        assert_eq!(latin("金哲鎭"), "金哲鎭");
        assert_eq!(latin("김정은"), "김정은");
    }

    #[test]
    fn ascii_table_agrees_with_classify() {
        for b in 0u8..128 {
            assert_eq!(ASCII[usize::from(b)], classify(b as char), "byte {b}");
        }
    }

    #[test]
    fn fast_path_agrees_with_normalization() {
        // Names whose characters all have a fast piece, and the same
        // characters after combining marks or compatibility forms (which
        // take the general path): both must classify as NFKC + NFD would.
        let general_of = |s: &str| -> Vec<Piece> {
            let mut v = Vec::new();
            for c in s.nfkc() {
                if crate::hangul::is_syllable(c) || crate::tables::is_han(c) {
                    v.push(classify(c));
                    continue;
                }
                for d in std::iter::once(c).nfd() {
                    if !is_combining_mark(d) {
                        v.push(classify(d));
                    }
                }
            }
            v
        };
        // Every fast character, in order and reversed (neighbours that
        // would compose under NFKC would show here).
        let mut all = String::new();
        for (lo, hi) in FAST_RANGES {
            all.extend(
                (lo..hi)
                    .filter_map(char::from_u32)
                    .filter(|&c| fast_piece(c).is_some()),
            );
        }
        all.extend(['김', '金', '㐀', '가']);
        let rev: String = all.chars().rev().collect();
        for s in [
            "Kim Ch\u{14f}l-chin",
            "Ch\u{2019}\u{14f}l \u{16d}n",
            "\u{c2}\u{e9}\u{fc} \u{df}",
            "김 철진 金哲鎭 Kim",
            "Kim o\u{306}n",
            "\u{ff2b}im \u{b4}x \u{aa}",
            all.as_str(),
            rev.as_str(),
        ] {
            let mut v = Vec::new();
            pieces(s, 10_000, &mut v);
            assert_eq!(v, general_of(s), "{s:?}");
        }
        assert_eq!(fast_piece('\u{14f}'), Some(Piece::Latin(b'o')));
        assert_eq!(fast_piece('\u{306}'), None);
        assert_eq!(fast_piece('\u{b4}'), None);
    }

    #[test]
    fn truncation_reported() {
        let mut v = Vec::new();
        assert!(pieces(&"a".repeat(50), 10, &mut v));
        assert_eq!(v.len(), 10);
    }
}
