//! Fuzz every tumen-names entry point with arbitrary text: keys, scores,
//! blocking keys, surname readings, comparisons with explanations and
//! romanization must return a defined result and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tumen_names::{System, blocking_keys, compare, key, romanize, score, surname_reading};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // A 0xFF byte (never in UTF-8) splits the input into two names.
    let (a, b) = match data.iter().position(|&x| x == 0xFF) {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]),
            String::from_utf8_lossy(&data[i + 1..]),
        ),
        None => (text.clone(), text.clone()),
    };
    let ka = key(&a);
    let kb = key(&b);
    let s = score(&ka, &kb);
    assert!((0.0..=1.0).contains(&s));
    let c = compare(&a, &b);
    assert!((c.score - s).abs() < 1e-12);
    let _ = blocking_keys(&text);
    let _ = surname_reading(&text);
    for sys in [System::Rr, System::Mr, System::MrPlain, System::Dprk] {
        let _ = romanize(&text, sys);
    }
});
