//! Romanization of Hangul personal names in the systems documenters meet.
//!
//! * [`System::Rr`]: Revised Romanization of Korean (Ministry of Culture and
//!   Tourism notice 2000-8, National Institute of Korean Language). Names:
//!   surname, space, given name with a hyphen between syllables (allowed by
//!   art. 3(4)); sound changes inside the given name are not written.
//!   Surnames are transcribed by the same letter rules (김 → Gim); the
//!   customary spellings (Kim, Lee, Park) live in the surname table.
//! * [`System::Mr`]: McCune–Reischauer as applied to personal names by the
//!   Library of Congress (ALA-LC 2009): given name hyphenated, its first
//!   syllable voiceless, sound changes across the hyphen written
//!   (An Ŭng-nyŏl, Pak Mog-wŏl); surname 이 → Yi.
//! * [`System::MrPlain`]: the same without breves and apostrophes, as typed
//!   in most NGO and UN documents (Kim Chong-un).
//! * [`System::Dprk`]: the DPRK's own system (1992, revised 2002): each
//!   syllable of the given name written separately and capitalized, the
//!   first voiceless, ㄱ ㄷ ㅂ voiced (g d b) after a vowel or resonant;
//!   ㅈ = j, aspirates kh th ph ch (Pak Tong Gu, An Pok Chŏl).

use crate::hangul::{self, Syllable, fin, ini, vow};
use crate::{NameError, System};

const RR_INI: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const RR_VOW: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
/// Final consonant as written at the end of a syllable (RR and MR agree).
const FIN_PLAIN: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];
const MR_INI: [&str; 19] = [
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch'", "k'", "t'",
    "p'", "h",
];
const MR_VOW: [&str; 21] = [
    "a", "ae", "ya", "yae", "ŏ", "e", "yŏ", "ye", "o", "wa", "wae", "oe", "yo", "u", "wŏ", "we",
    "wi", "yu", "ŭ", "ŭi", "i",
];
const DP_INI: [&str; 19] = [
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th",
    "ph", "h",
];

/// Final consonant classes used for sound-change rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Coda {
    None,
    K,
    N,
    T,
    L,
    M,
    P,
    Ng,
}

fn coda(f: u8) -> Coda {
    match f {
        fin::NONE => Coda::None,
        fin::G | fin::GG | fin::GS | fin::K | fin::LG => Coda::K,
        fin::N | fin::NJ | fin::NH => Coda::N,
        fin::L | fin::LB | fin::LS | fin::LT | fin::LH => Coda::L,
        fin::M | fin::LM => Coda::M,
        fin::B | fin::BS | fin::P | fin::LP => Coda::P,
        fin::NG => Coda::Ng,
        _ => Coda::T,
    }
}

/// A Hangul name split into surname and given-name syllables.
pub(crate) struct HangulName {
    pub surname: Vec<Syllable>,
    pub given: Vec<Syllable>,
}

/// Longest name accepted by [`romanize`], in syllables.
pub const MAX_SYLLABLES: usize = 64;

/// Parse a Hangul-only name; spaces and hyphens separate parts.
pub(crate) fn parse_hangul_name(name: &str) -> Result<HangulName, NameError> {
    use unicode_normalization::UnicodeNormalization;
    let text: String = name.nfc().collect();
    let mut words: Vec<Vec<Syllable>> = Vec::new();
    let mut current = Vec::new();
    let mut count = 0usize;
    for (i, c) in text.chars().enumerate() {
        if let Some(s) = hangul::decompose(c) {
            count += 1;
            if count > MAX_SYLLABLES {
                return Err(NameError::TooLong { max: MAX_SYLLABLES });
            }
            current.push(s);
        } else if c.is_whitespace() || c == '-' || c == '\u{00B7}' || c == ',' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        } else {
            return Err(NameError::NotHangul {
                position: i + 1,
                kind: crate::normalize::char_kind(c),
            });
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    let mut words = words.into_iter();
    let Some(first) = words.next() else {
        return Err(NameError::Empty);
    };
    let rest: Vec<Syllable> = words.flatten().collect();
    if !rest.is_empty() {
        return Ok(HangulName {
            surname: first,
            given: rest,
        });
    }
    // One word: the surname is its first syllable, or its first two when they
    // form a two-syllable surname (남궁, 황보, 제갈, 선우 …) and a given name follows.
    let n = if first.len() >= 3 && crate::parse::is_compound_surname(&first[..2]) {
        2
    } else {
        1
    };
    let (s, g) = first.split_at(n.min(first.len()));
    Ok(HangulName {
        surname: s.to_vec(),
        given: g.to_vec(),
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn rr_syllable(s: Syllable) -> String {
    let mut out = String::new();
    out.push_str(RR_INI[usize::from(s.initial)]);
    out.push_str(RR_VOW[usize::from(s.vowel)]);
    out.push_str(FIN_PLAIN[usize::from(s.fin)]);
    out
}

fn rr(n: &HangulName) -> String {
    let sur: String = n.surname.iter().map(|&s| rr_syllable(s)).collect();
    let given: Vec<String> = n.given.iter().map(|&s| rr_syllable(s)).collect();
    join_name(&capitalize(&sur), &capitalize(&given.join("-")))
}

fn join_name(sur: &str, given: &str) -> String {
    if given.is_empty() {
        sur.to_string()
    } else {
        format!("{sur} {given}")
    }
}

/// MR spelling of the final of `prev` and the initial of `next` inside one
/// word (ALA-LC sound-change rules, the subset that occurs in names).
fn mr_junction(prev: Syllable, next: Syllable) -> (String, &'static str) {
    let f = FIN_PLAIN[usize::from(prev.fin)].to_string();
    let i = next.initial;
    let base = MR_INI[usize::from(i)];
    let voiced = |i: u8| match i {
        ini::G => Some("g"),
        ini::D => Some("d"),
        ini::B => Some("b"),
        ini::J => Some("j"),
        _ => None,
    };
    match coda(prev.fin) {
        Coda::None => match (voiced(i), i) {
            (Some(v), _) => (f, v),
            (None, _) => (f, base),
        },
        Coda::N | Coda::M | Coda::Ng => {
            if let Some(v) = voiced(i) {
                (f, v)
            } else if i == ini::R {
                if coda(prev.fin) == Coda::N {
                    ("l".into(), "l")
                } else {
                    (f, "n")
                }
            } else {
                (f, base)
            }
        }
        Coda::L => match i {
            ini::G => (f, "g"),
            ini::B => (f, "b"),
            ini::R | ini::N => (f, "l"),
            _ => (f, base),
        },
        Coda::K | Coda::P | Coda::T => {
            let nasal = match coda(prev.fin) {
                Coda::K => "ng",
                Coda::P => "m",
                _ => "n",
            };
            match i {
                ini::NG => {
                    // Liaison: the final is pronounced as the next initial.
                    let moved = match prev.fin {
                        fin::G => "g",
                        fin::B => "b",
                        fin::D => "d",
                        fin::S => "s",
                        fin::SS => "ss",
                        fin::J => "j",
                        fin::CH => "ch'",
                        fin::T => "t'",
                        fin::K => "k'",
                        fin::P => "p'",
                        fin::H => "",
                        _ => FIN_PLAIN[usize::from(prev.fin)],
                    };
                    (moved.to_string(), "")
                }
                ini::N | ini::M => (nasal.to_string(), base),
                ini::R => (nasal.to_string(), "n"),
                _ => (f, base),
            }
        }
    }
}

/// MR of one word (surname or given name): syllables joined by `sep`, with
/// sound changes between them.
fn mr_word(syls: &[Syllable], sep: &str) -> String {
    let mut out = String::new();
    for (k, s) in syls.iter().enumerate() {
        let ini_str = if k == 0 {
            MR_INI[usize::from(s.initial)].to_string()
        } else {
            // The previous final was left out; write it now with the junction.
            let (f, i) = mr_junction(syls[k - 1], *s);
            out.push_str(&f);
            out.push_str(sep);
            i.to_string()
        };
        out.push_str(&ini_str);
        out.push_str(MR_VOW[usize::from(s.vowel)]);
        if k + 1 == syls.len() {
            out.push_str(FIN_PLAIN[usize::from(s.fin)]);
        }
    }
    out
}

fn mr(n: &HangulName) -> String {
    let sur = if n.surname.len() == 1
        && n.surname[0]
            == (Syllable {
                initial: ini::NG,
                vowel: vow::I,
                fin: fin::NONE,
            }) {
        "yi".to_string()
    } else {
        mr_word(&n.surname, "")
    };
    join_name(&capitalize(&sur), &capitalize(&mr_word(&n.given, "-")))
}

fn mr_plain(n: &HangulName) -> String {
    strip_marks(&mr(n))
}

/// Remove MR's breves and apostrophes: ŏ → o, ŭ → u, ch' → ch.
pub(crate) fn strip_marks(s: &str) -> String {
    s.chars()
        .filter(|&c| c != '\'')
        .map(|c| match c {
            'ŏ' => 'o',
            'ŭ' => 'u',
            'Ŏ' => 'O',
            'Ŭ' => 'U',
            c => c,
        })
        .collect()
}

fn dprk_syllable(prev: Option<Syllable>, s: Syllable) -> String {
    let voicing = prev.is_some_and(|p| {
        matches!(
            coda(p.fin),
            Coda::None | Coda::N | Coda::M | Coda::Ng | Coda::L
        )
    });
    let i = match (voicing, s.initial) {
        (true, ini::G) => "g",
        (true, ini::D) => "d",
        (true, ini::B) => "b",
        (_, i) => DP_INI[usize::from(i)],
    };
    let mut out = String::from(i);
    out.push_str(MR_VOW[usize::from(s.vowel)]);
    out.push_str(FIN_PLAIN[usize::from(s.fin)]);
    out
}

fn dprk(n: &HangulName) -> String {
    let mut sur = String::new();
    for (k, s) in n.surname.iter().enumerate() {
        sur.push_str(&dprk_syllable(
            if k == 0 { None } else { Some(n.surname[k - 1]) },
            *s,
        ));
    }
    let given: Vec<String> = n
        .given
        .iter()
        .enumerate()
        .map(|(k, s)| {
            capitalize(&dprk_syllable(
                if k == 0 { None } else { Some(n.given[k - 1]) },
                *s,
            ))
        })
        .collect();
    join_name(&capitalize(&sur), &given.join(" "))
}

/// Romanize a Hangul name (surname first) in `system`.
pub fn romanize(hangul_name: &str, system: System) -> Result<String, NameError> {
    let n = parse_hangul_name(hangul_name)?;
    Ok(romanize_parsed(&n, system))
}

pub(crate) fn romanize_parsed(n: &HangulName, system: System) -> String {
    match system {
        System::Rr => rr(n),
        System::Mr => mr(n),
        System::MrPlain => mr_plain(n),
        System::Dprk => dprk(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::System::*;

    fn r(name: &str, s: System) -> String {
        romanize(name, s).unwrap()
    }

    #[test]
    fn rr_letter_tables_match_the_2000_rules() {
        // RR 2000, art. 2: vowel table ㅏ a ... ㅢ ui, in Unicode order.
        let vowels = "아애야얘어에여예오와왜외요우워웨위유으의이";
        let expect = [
            "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u",
            "wo", "we", "wi", "yu", "eu", "ui", "i",
        ];
        for (c, e) in vowels.chars().zip(expect) {
            assert_eq!(rr_syllable(hangul::decompose(c).unwrap()), e, "{c}");
        }
        // Consonants before a vowel: g kk k d tt t b pp p j jj ch s ss h n m r.
        let cons = "가까카다따타바빠파자짜차사싸하나마라";
        let expect = [
            "ga", "kka", "ka", "da", "tta", "ta", "ba", "ppa", "pa", "ja", "jja", "cha", "sa",
            "ssa", "ha", "na", "ma", "ra",
        ];
        for (c, e) in cons.chars().zip(expect) {
            assert_eq!(rr_syllable(hangul::decompose(c).unwrap()), e, "{c}");
        }
        // Finals: ㄱ k, ㄷ t, ㅂ p, ㄹ l, ㅇ ng (e.g. 벚꽃 beotkkot, 한밭 Hanbat).
        let f = |c| rr_syllable(hangul::decompose(c).unwrap());
        assert_eq!(format!("{}{}", f('벚'), f('꽃')), "beotkkot");
        assert_eq!(format!("{}{}", f('한'), f('밭')), "hanbat");
        assert_eq!(format!("{}{}", f('구'), f('미')), "gumi");
        assert_eq!(format!("{}{}", f('영'), f('동')), "yeongdong");
        assert_eq!(format!("{}{}", f('임'), f('실')), "imsil");
    }

    #[test]
    fn rr_personal_name_examples() {
        // RR 2000, art. 3(4) examples (hyphen form, which the rule allows).
        assert_eq!(r("민용하", Rr), "Min Yong-ha");
        assert_eq!(r("송나리", Rr), "Song Na-ri");
        // Sound changes in given names are not written (art. 3(4) 1).
        assert_eq!(r("한복남", Rr), "Han Bok-nam");
        assert_eq!(r("홍빛나", Rr), "Hong Bit-na");
        assert_eq!(r("김정은", Rr), "Gim Jeong-eun");
    }

    #[test]
    fn mr_alalc_personal_name_examples() {
        // ALA-LC Korean romanization (Library of Congress 2009), names section.
        assert_eq!(r("최란", Mr), "Ch'oe Ran");
        assert_eq!(r("하리수", Mr), "Ha Ri-su");
        assert_eq!(r("이류환", Mr), "Yi Ryu-hwan");
        assert_eq!(r("안응렬", Mr), "An Ŭng-nyŏl");
        assert_eq!(r("박목월", Mr), "Pak Mog-wŏl");
        assert_eq!(r("이퇴계", Mr), "Yi T'oe-gye");
        // Given name treated as a new utterance: Kim Tae-jung (Kim Dae-jung).
        assert_eq!(r("김대중", Mr), "Kim Tae-jung");
        assert_eq!(r("김정은", Mr), "Kim Chŏng-ŭn");
        assert_eq!(r("김정은", MrPlain), "Kim Chong-un");
        assert_eq!(r("최란", MrPlain), "Choe Ran");
    }

    #[test]
    fn dprk_system_examples() {
        // DPRK system (1992/2002), guide to personal names.
        assert_eq!(r("박동구", Dprk), "Pak Tong Gu");
        assert_eq!(r("안복철", Dprk), "An Pok Chŏl");
        // Names of officials as published by KCNA (which drops the breves).
        let kcna = [
            ("김정은", "Kim Jong Un"),
            ("리설주", "Ri Sol Ju"),
            ("최룡해", "Choe Ryong Hae"),
            ("장성택", "Jang Song Thaek"),
            ("박봉주", "Pak Pong Ju"),
            ("김덕훈", "Kim Tok Hun"),
            ("리선권", "Ri Son Gwon"),
            ("김정각", "Kim Jong Gak"),
            ("김여정", "Kim Yo Jong"),
            ("현송월", "Hyon Song Wol"),
        ];
        for (h, e) in kcna {
            assert_eq!(strip_marks(&r(h, Dprk)), e, "{h}");
        }
    }

    #[test]
    fn compound_surnames_and_spaces() {
        assert_eq!(r("남궁민", Rr), "Namgung Min");
        assert_eq!(r("김 정은", Rr), "Gim Jeong-eun");
        assert_eq!(r("김", Rr), "Gim");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(romanize("", Rr), Err(NameError::Empty)));
        assert!(matches!(romanize("   ", Mr), Err(NameError::Empty)));
        assert!(matches!(
            romanize("김a", Mr),
            Err(NameError::NotHangul { position: 2, .. })
        ));
        assert!(matches!(
            romanize("김😀", Dprk),
            Err(NameError::NotHangul { .. })
        ));
        assert!(matches!(
            romanize(&"김".repeat(10_000), Rr),
            Err(NameError::TooLong { .. })
        ));
    }
}
