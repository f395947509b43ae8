//! Hangul syllable blocks and their jamo.
//!
//! Every precomposed Hangul syllable (U+AC00..U+D7A3) is an arithmetic
//! combination of an initial consonant (19), a vowel (21) and an optional
//! final consonant (27 + none), per the Unicode Standard §3.12. Everything
//! else in this crate (romanization, keys) works on these three indices, so
//! they are the one shared vocabulary.

/// First precomposed syllable 가.
const S_BASE: u32 = 0xAC00;
/// First conjoining initial jamo ᄀ (U+1100).
const L_BASE: u32 = 0x1100;
/// First conjoining vowel jamo ᅡ (U+1161).
const V_BASE: u32 = 0x1161;
/// One before the first conjoining final jamo ᆨ (U+11A8).
const T_BASE: u32 = 0x11A7;
const L_COUNT: u32 = 19;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = V_COUNT * T_COUNT;
const S_COUNT: u32 = L_COUNT * N_COUNT;

/// Initial consonant indices (Unicode order).
pub mod ini {
    pub const G: u8 = 0; // ㄱ
    pub const GG: u8 = 1; // ㄲ
    pub const N: u8 = 2; // ㄴ
    pub const D: u8 = 3; // ㄷ
    pub const DD: u8 = 4; // ㄸ
    pub const R: u8 = 5; // ㄹ
    pub const M: u8 = 6; // ㅁ
    pub const B: u8 = 7; // ㅂ
    pub const BB: u8 = 8; // ㅃ
    pub const S: u8 = 9; // ㅅ
    pub const SS: u8 = 10; // ㅆ
    pub const NG: u8 = 11; // ㅇ (silent as an initial)
    pub const J: u8 = 12; // ㅈ
    pub const JJ: u8 = 13; // ㅉ
    pub const CH: u8 = 14; // ㅊ
    pub const K: u8 = 15; // ㅋ
    pub const T: u8 = 16; // ㅌ
    pub const P: u8 = 17; // ㅍ
    pub const H: u8 = 18; // ㅎ
}

/// Vowel indices (Unicode order).
pub mod vow {
    pub const A: u8 = 0; // ㅏ
    pub const AE: u8 = 1; // ㅐ
    pub const YA: u8 = 2; // ㅑ
    pub const YAE: u8 = 3; // ㅒ
    pub const EO: u8 = 4; // ㅓ
    pub const E: u8 = 5; // ㅔ
    pub const YEO: u8 = 6; // ㅕ
    pub const YE: u8 = 7; // ㅖ
    pub const O: u8 = 8; // ㅗ
    pub const WA: u8 = 9; // ㅘ
    pub const WAE: u8 = 10; // ㅙ
    pub const OE: u8 = 11; // ㅚ
    pub const YO: u8 = 12; // ㅛ
    pub const U: u8 = 13; // ㅜ
    pub const WO: u8 = 14; // ㅝ
    pub const WE: u8 = 15; // ㅞ
    pub const WI: u8 = 16; // ㅟ
    pub const YU: u8 = 17; // ㅠ
    pub const EU: u8 = 18; // ㅡ
    pub const UI: u8 = 19; // ㅢ
    pub const I: u8 = 20; // ㅣ
}

/// Final consonant indices (0 = none), Unicode order.
pub mod fin {
    pub const NONE: u8 = 0;
    pub const G: u8 = 1; // ㄱ
    pub const GG: u8 = 2; // ㄲ
    pub const GS: u8 = 3; // ㄳ
    pub const N: u8 = 4; // ㄴ
    pub const NJ: u8 = 5; // ㄵ
    pub const NH: u8 = 6; // ㄶ
    pub const D: u8 = 7; // ㄷ
    pub const L: u8 = 8; // ㄹ
    pub const LG: u8 = 9; // ㄺ
    pub const LM: u8 = 10; // ㄻ
    pub const LB: u8 = 11; // ㄼ
    pub const LS: u8 = 12; // ㄽ
    pub const LT: u8 = 13; // ㄾ
    pub const LP: u8 = 14; // ㄿ
    pub const LH: u8 = 15; // ㅀ
    pub const M: u8 = 16; // ㅁ
    pub const B: u8 = 17; // ㅂ
    pub const BS: u8 = 18; // ㅄ
    pub const S: u8 = 19; // ㅅ
    pub const SS: u8 = 20; // ㅆ
    pub const NG: u8 = 21; // ㅇ
    pub const J: u8 = 22; // ㅈ
    pub const CH: u8 = 23; // ㅊ
    pub const K: u8 = 24; // ㅋ
    pub const T: u8 = 25; // ㅌ
    pub const P: u8 = 26; // ㅍ
    pub const H: u8 = 27; // ㅎ
}

/// One Hangul syllable block as its three jamo indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Syllable {
    /// Initial consonant, 0..19.
    pub initial: u8,
    /// Vowel, 0..21.
    pub vowel: u8,
    /// Final consonant, 0..28 (0 = none).
    pub fin: u8,
}

impl Syllable {
    /// A syllable from indices, if they are in range.
    pub fn new(initial: u8, vowel: u8, fin: u8) -> Option<Syllable> {
        if u32::from(initial) < L_COUNT && u32::from(vowel) < V_COUNT && u32::from(fin) < T_COUNT {
            Some(Syllable {
                initial,
                vowel,
                fin,
            })
        } else {
            None
        }
    }
}

/// Whether `c` is a precomposed Hangul syllable.
pub fn is_syllable(c: char) -> bool {
    (S_BASE..S_BASE + S_COUNT).contains(&(c as u32))
}

/// Split a precomposed syllable into its jamo indices; `None` for any other
/// character.
pub fn decompose(c: char) -> Option<Syllable> {
    let s = (c as u32).checked_sub(S_BASE)?;
    if s >= S_COUNT {
        return None;
    }
    Some(Syllable {
        initial: (s / N_COUNT) as u8,
        vowel: ((s % N_COUNT) / T_COUNT) as u8,
        fin: (s % T_COUNT) as u8,
    })
}

/// Compose jamo indices into the precomposed syllable.
pub fn compose(s: Syllable) -> char {
    // Syllable fields are range-checked at construction, so this is always a
    // valid scalar value in U+AC00..U+D7A3; fall back to U+FFFD defensively.
    let code =
        S_BASE + (u32::from(s.initial) * V_COUNT + u32::from(s.vowel)) * T_COUNT + u32::from(s.fin);
    char::from_u32(code).unwrap_or('\u{FFFD}')
}

/// Rewrite every precomposed syllable of `text` as conjoining jamo
/// (U+1100 block); other characters pass through.
pub fn to_jamo(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for c in text.chars() {
        match decompose(c) {
            Some(s) => {
                out.extend(char::from_u32(L_BASE + u32::from(s.initial)));
                out.extend(char::from_u32(V_BASE + u32::from(s.vowel)));
                if s.fin != 0 {
                    out.extend(char::from_u32(T_BASE + u32::from(s.fin)));
                }
            }
            None => out.push(c),
        }
    }
    out
}

/// Compose runs of conjoining jamo (initial + vowel [+ final]) back into
/// precomposed syllables; anything that does not form a syllable passes
/// through unchanged.
pub fn from_jamo(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let l = (chars[i] as u32).wrapping_sub(L_BASE);
        let v = chars.get(i + 1).map(|&c| (c as u32).wrapping_sub(V_BASE));
        if let (true, Some(v)) = (l < L_COUNT, v.filter(|&v| v < V_COUNT)) {
            let t = chars
                .get(i + 2)
                .map(|&c| (c as u32).wrapping_sub(T_BASE))
                .filter(|&t| (1..T_COUNT).contains(&t));
            let syl = Syllable {
                initial: l as u8,
                vowel: v as u8,
                fin: t.unwrap_or(0) as u8,
            };
            out.push(compose(syl));
            i += if t.is_some() { 3 } else { 2 };
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Vowels before which the South drops an initial ㄹ/ㄴ to ㅇ (ㅣ and the
/// y-diphthongs): 리→이, 녀→여, 류→유 (Standard Korean orthography, art. 10–11).
pub fn is_iotized(vowel: u8) -> bool {
    matches!(
        vowel,
        vow::I | vow::YA | vow::YAE | vow::YEO | vow::YE | vow::YO | vow::YU
    )
}

/// The South Korean (두음법칙) spelling of a word-initial syllable: 리→이,
/// 류→유, 녀→여, 로→노, 라→나. Other syllables are returned unchanged.
pub fn south_initial(s: Syllable) -> Syllable {
    match s.initial {
        ini::R | ini::N if is_iotized(s.vowel) => Syllable {
            initial: ini::NG,
            ..s
        },
        ini::R => Syllable {
            initial: ini::N,
            ..s
        },
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompose_known_blocks() {
        // Unicode Standard §3.12 worked example: 각 = ᄀ + ᅡ + ᆨ.
        assert_eq!(
            decompose('각'),
            Some(Syllable {
                initial: ini::G,
                vowel: vow::A,
                fin: fin::G
            })
        );
        assert_eq!(
            decompose('힣'),
            Some(Syllable {
                initial: ini::H,
                vowel: vow::I,
                fin: fin::H
            })
        );
        assert_eq!(decompose('a'), None);
        assert_eq!(
            compose(Syllable {
                initial: ini::G,
                vowel: vow::I,
                fin: fin::M
            }),
            '김'
        );
    }

    #[test]
    fn jamo_round_trip() {
        let j = to_jamo("김정은 x");
        assert_eq!(j.chars().count(), 3 + 3 + 3 + 1 + 1);
        assert_eq!(from_jamo(&j), "김정은 x");
        // Same as Unicode's own canonical composition.
        use unicode_normalization::UnicodeNormalization;
        assert_eq!(j.nfc().collect::<String>(), "김정은 x");
    }

    #[test]
    fn initial_sound_rule() {
        let f = |c| compose(south_initial(decompose(c).unwrap()));
        assert_eq!(f('리'), '이');
        assert_eq!(f('류'), '유');
        assert_eq!(f('로'), '노');
        assert_eq!(f('녀'), '여');
        assert_eq!(f('김'), '김');
    }
}
