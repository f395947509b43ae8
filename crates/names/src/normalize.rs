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
    let simple = name.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        || name
            .chars()
            .all(|c| crate::hangul::is_syllable(c) || c == ' ');
    let mut truncated = false;
    let mut push = |p: Piece, out: &mut Vec<Piece>| {
        if out.len() >= max_chars {
            truncated = true;
        } else {
            out.push(p);
        }
    };
    if simple && name.is_ascii() {
        // ASCII fast path: one table look-up per byte.
        for &b in name.as_bytes() {
            push(ASCII[usize::from(b & 0x7F)], out);
        }
    } else if simple {
        for c in name.chars() {
            push(classify(c), out);
        }
    } else {
        // NFKC maps full-width and compatibility forms; NFD then splits
        // accents off Latin letters so they can be dropped.
        for c in name.nfkc() {
            if crate::hangul::is_syllable(c) || crate::tables::is_han(c) {
                push(classify(c), out);
                continue;
            }
            for d in std::iter::once(c).nfd() {
                if is_combining_mark(d) {
                    continue;
                }
                push(classify(d), out);
            }
        }
    }
    truncated
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
    fn truncation_reported() {
        let mut v = Vec::new();
        assert!(pieces(&"a".repeat(50), 10, &mut v));
        assert_eq!(v.len(), 10);
    }
}
