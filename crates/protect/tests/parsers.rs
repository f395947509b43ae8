//! The fuzz target's checks (fuzz/fuzz_targets/protect_parsers.rs) run as a
//! property test on every `cargo test`, with random strings and random
//! one-character damage to valid inputs: no parser may panic, a share that
//! parses prints back to itself, a coarsened date parses.

use proptest::prelude::*;
use rand::SeedableRng;
use tumen_model::PartialDate;
use tumen_protect::accounts::{self, TotpConfig, TotpSecret};
use tumen_protect::backup::{self, BackupManifest};
use tumen_protect::publish::{self, DatePrecision, PublicationPolicy};
use tumen_protect::shamir::{self, RecoveryKey, Share};

fn exercise(s: &str) {
    if let Ok(p) = PublicationPolicy::from_json(s) {
        let _ = publish::publish(&[], &p, &publish::PseudonymKey([7; 32]), &|_| None);
    }
    if let Ok(share) = Share::parse(s) {
        assert_eq!(Share::parse(&share.to_text()).ok(), Some(share.clone()));
        let _ = shamir::combine(&[share]);
    }
    if let Ok(m) = BackupManifest::from_json(s) {
        let _ = m.verify(&[0; 32], &[]);
    }
    let _ = backup::check_path(s);
    if let Ok(bytes) = accounts::base32_decode(s) {
        assert_eq!(
            accounts::base32_decode(&accounts::base32_encode(&bytes, true)).ok(),
            Some(bytes)
        );
    }
    let secret = TotpSecret::new(b"12345678901234567890".to_vec()).expect("secret");
    let _ = accounts::verify_totp(&secret, s, 1_700_000_000, None, &TotpConfig::default());
    let _ = accounts::check_password_policy("fuzz", s);
    for p in [
        DatePrecision::Month,
        DatePrecision::Quarter,
        DatePrecision::Year,
    ] {
        if let Some(c) = publish::coarsen_date(s, p) {
            assert!(
                PartialDate::parse(&c).is_ok(),
                "{s:?} coarsened to {c:?}, which does not parse"
            );
        }
    }
}

fn valid_inputs() -> Vec<String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let key = RecoveryKey::generate(&mut rng);
    let share = shamir::split(&key, 3, 2, &mut rng).expect("split")[0]
        .to_text()
        .to_string();
    vec![
        share,
        r#"{"k":3,"kinds":{"person":{"fields":["sex","birth_date","origin"],"dates":{"birth_date":"year"},"places":{"origin":["county"]},"quasi_identifiers":["sex","birth_date"]}}}"#.into(),
        "2023-10-09/2024-Q1~".into(),
        "201X".into(),
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(s in ".{0,200}") {
        exercise(&s);
    }

    #[test]
    fn damaged_valid_inputs_never_panic(which in 0usize..5, at in 0usize..400, c in any::<char>()) {
        let inputs = valid_inputs();
        let base = &inputs[which % inputs.len()];
        let mut chars: Vec<char> = base.chars().collect();
        let i = at % chars.len().max(1);
        if chars.is_empty() { chars.push(c) } else { chars[i] = c }
        exercise(&chars.into_iter().collect::<String>());
    }
}

#[test]
fn every_single_character_change_of_a_share_is_caught() {
    // Detection, not just absence of panics: change each character of a
    // share to each other hex digit; none may parse.
    let share = valid_inputs().remove(0);
    let chars: Vec<char> = share.chars().collect();
    for i in 0..chars.len() {
        if chars[i] == '-' {
            continue;
        }
        for d in "0123456789abcdef"
            .chars()
            .filter(|d| *d != chars[i].to_ascii_lowercase())
        {
            let mut c = chars.clone();
            c[i] = d;
            let s: String = c.into_iter().collect();
            if s.eq_ignore_ascii_case(&share) {
                continue;
            }
            assert!(
                Share::parse(&s).is_err(),
                "change at {i} to {d} was accepted"
            );
        }
    }
}
