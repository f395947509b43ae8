//! Property tests (proptest): jamo round trips, romanization stability, and
//! "a name compared with itself in any of its spellings is a match", over
//! names built from the syllables that occur in names (the Korean readings
//! of the name/education Hanja of Unihan), plus no-panic and range checks on
//! arbitrary text.

use proptest::prelude::*;
use tumen_names::*;

fn name_syllables() -> Vec<char> {
    let t = tables::tables();
    let mut v: Vec<char> = t
        .hanja
        .values()
        .filter(|e| e.common)
        .flat_map(|e| e.readings.iter().map(|s| compose(*s)))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn surnames() -> Vec<&'static str> {
    let mut v: Vec<&str> = tables::tables().surnames.iter().map(|s| s.hangul).collect();
    v.dedup();
    v
}

prop_compose! {
    fn hangul_name()(sur in prop::sample::select(surnames()),
                     given in prop::collection::vec(prop::sample::select(name_syllables()), 1..=3))
                     -> String {
        let mut s = sur.to_string();
        s.extend(given);
        s
    }
}

#[test]
fn name_syllable_inventory_is_large() {
    // Every Hangul syllable that is a reading of a name Hanja is exercised.
    assert!(name_syllables().len() > 400);
}

proptest! {
    #[test]
    fn compose_decompose_round_trip(code in 0xAC00u32..=0xD7A3) {
        let c = char::from_u32(code).unwrap();
        let s = decompose(c).unwrap();
        prop_assert_eq!(compose(s), c);
    }

    #[test]
    fn romanize_is_stable_through_jamo(name in hangul_name()) {
        let via = from_jamo(&to_jamo(&name));
        prop_assert_eq!(&via, &name);
        for sys in [System::Rr, System::Mr, System::MrPlain, System::Dprk] {
            prop_assert_eq!(romanize(&via, sys).unwrap(), romanize(&name, sys).unwrap());
        }
    }

    #[test]
    fn every_spelling_matches_its_hangul(name in hangul_name()) {
        let k = key(&name);
        prop_assert_eq!(score(&k, &k), 1.0);
        let mut spellings = vec![name.clone()];
        for sys in [System::Rr, System::Mr, System::MrPlain, System::Dprk] {
            spellings.push(romanize(&name, sys).unwrap());
        }
        // Order and form variants of the DPRK spelling.
        let dprk = romanize(&name, System::MrPlain).unwrap();
        spellings.push(dprk.to_uppercase());
        spellings.push(dprk.replace('-', " "));
        for s in &spellings {
            let c = compare(&name, s);
            prop_assert!(c.same, "{} vs {}: {}", name, s, c.explanation);
            let shared = blocking_keys(&name).iter().any(|b| blocking_keys(s).contains(b));
            prop_assert!(shared, "no shared blocking key: {} / {}", name, s);
        }
    }

    #[test]
    fn any_text_is_safe_and_in_range(a in ".{0,40}", b in "\\PC{0,40}") {
        let ka = key(&a);
        let kb = key(&b);
        let s = score(&ka, &kb);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert_eq!(s, score(&kb, &ka));
        if !ka.is_empty() {
            prop_assert!(score(&ka, &ka) >= SAME_THRESHOLD);
        }
        let c = compare(&a, &b);
        prop_assert!((c.score - s).abs() < 1e-12);
        let _ = blocking_keys(&a);
        let _ = surname_reading(&a);
        let _ = romanize(&a, System::Mr);
        let _ = hangul_readings(&a);
    }

    #[test]
    fn latin_words_with_typos_are_safe(a in "[a-z]{1,9} [a-z]{1,9}( [a-z]{1,9})?",
                                       b in "[A-Za-z]{1,9} [a-z-]{1,9} [a-z]{1,9}") {
        // Random letters are mostly unreadable words, the case where typing
        // errors are corrected: the fast and explained paths still agree.
        let (ka, kb) = (key(&a), key(&b));
        let s = score(&ka, &kb);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert_eq!(s, score(&kb, &ka));
        prop_assert!((compare(&a, &b).score - s).abs() < 1e-12);
        prop_assert!(score(&ka, &ka) >= SAME_THRESHOLD);
        for cut in hangul_readings(&b) {
            prop_assert!(cut.iter().all(|syl| !syl.is_empty()));
        }
    }
}
