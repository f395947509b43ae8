//! Shamir tests. GF(2^8) and share values are checked against an independent
//! Python implementation (tests/ref/shamir_ref.py, log/antilog tables) and
//! against FIPS-197's published field examples.

use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../tests/ref/shamir_ref.json")).expect("reference JSON")
}

fn key(seed: u64) -> RecoveryKey {
    RecoveryKey::generate(&mut StdRng::seed_from_u64(seed))
}

#[test]
fn gf256_fips197_examples() {
    // FIPS-197 §4.2: {57} • {83} = {c1}; §4.2.1: {57} • {13} = {fe}.
    assert_eq!(gf_mul(0x57, 0x83), 0xc1);
    assert_eq!(gf_mul(0x57, 0x13), 0xfe);
    // FIPS-197 §5.1.1 S-box derivation: inverse of {53} is {ca}.
    assert_eq!(gf_inv(0x53), 0xca);
}

#[test]
fn gf256_matches_independent_python_tables() {
    let r = reference();
    let mut table = Vec::with_capacity(65536);
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            table.push(gf_mul(a, b));
        }
    }
    assert_eq!(
        hex::encode(Sha256::digest(&table)),
        r["mul_table_sha256"].as_str().expect("sha")
    );
    for (a, want) in r["inverses"].as_array().expect("inv").iter().enumerate() {
        assert_eq!(
            u64::from(gf_inv(a as u8)),
            want.as_u64().expect("u8"),
            "inverse of {a}"
        );
        if a != 0 {
            assert_eq!(gf_mul(a as u8, gf_inv(a as u8)), 1);
        }
    }
    for p in r["products"].as_array().expect("products") {
        let v: Vec<u8> = p
            .as_array()
            .expect("triple")
            .iter()
            .map(|x| x.as_u64().expect("u8") as u8)
            .collect();
        assert_eq!(gf_mul(v[0], v[1]), v[2]);
    }
}

#[test]
fn shares_match_and_combine_the_python_reference() {
    for case in reference()["cases"].as_array().expect("cases") {
        let k = case["k"].as_u64().expect("k") as usize;
        let n = case["n"].as_u64().expect("n") as usize;
        let key_bytes: [u8; 32] = hex::decode(case["key_hex"].as_str().expect("key"))
            .expect("hex")
            .try_into()
            .expect("32");
        let coeffs: Vec<Vec<u8>> = case["coefficients_hex"]
            .as_array()
            .expect("coeffs")
            .iter()
            .map(|c| hex::decode(c.as_str().expect("str")).expect("hex"))
            .collect();
        let set_id: [u8; 8] = hex::decode(case["set_id_hex"].as_str().expect("set"))
            .expect("hex")
            .try_into()
            .expect("8");
        let texts: Vec<&str> = case["shares"]
            .as_array()
            .expect("shares")
            .iter()
            .map(|s| s.as_str().expect("s"))
            .collect();
        let key = RecoveryKey(key_bytes);
        // Our evaluation and text format reproduce Python's shares exactly.
        let ours = shares_from_coefficients(&coeffs, n, k as u8, set_id, key.check_value());
        for (s, t) in ours.iter().zip(&texts) {
            assert_eq!(s.to_text().as_str(), *t);
        }
        // Python's shares parse and reconstruct the key: first k, last k.
        let parsed: Vec<Share> = texts
            .iter()
            .map(|t| Share::parse(t).expect("parse"))
            .collect();
        assert_eq!(combine(&parsed[..k]).expect("first k"), key);
        assert_eq!(combine(&parsed[n - k..]).expect("last k"), key);
    }
}

#[test]
fn any_k_of_n_reconstruct() {
    let mut rng = StdRng::seed_from_u64(3);
    let secret = key(1);
    let shares = split(&secret, 5, 3, &mut rng).expect("split");
    assert_eq!(shares.len(), 5);
    for a in 0..5 {
        for b in a + 1..5 {
            for c in b + 1..5 {
                let subset = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                assert_eq!(combine(&subset).expect("combine"), secret, "{a},{b},{c}");
                let reversed = [shares[c].clone(), shares[a].clone(), shares[b].clone()];
                assert_eq!(combine(&reversed).expect("order"), secret);
            }
        }
    }
    assert_eq!(combine(&shares).expect("all five"), secret);
}

#[test]
fn extremes_k_2_and_n_255() {
    let mut rng = StdRng::seed_from_u64(4);
    let secret = key(2);
    let shares = split(&secret, 255, 255, &mut rng).expect("split");
    assert_eq!(combine(&shares).expect("all"), secret);
    let shares = split(&secret, 255, 2, &mut rng).expect("split");
    assert_eq!(
        combine(&[shares[254].clone(), shares[0].clone()]).expect("two"),
        secret
    );
    for (k, n) in [(1, 3), (0, 0), (4, 3), (2, 256)] {
        assert_eq!(
            split(&secret, n, k, &mut rng).err(),
            Some(ShamirError::BadParameters { k, n })
        );
    }
}

#[test]
fn k_minus_1_shares_are_consistent_with_every_secret() {
    // For k−1 real shares and ANY candidate key, there is a share at a fresh
    // index that, together with them, reconstructs exactly that candidate:
    // k−1 shares rule no key out.
    let mut rng = StdRng::seed_from_u64(5);
    let secret = key(3);
    let (k, n) = (4usize, 6usize);
    let shares = split(&secret, n, k, &mut rng).expect("split");
    let known = &shares[..k - 1];
    for candidate_byte in 0..=255u8 {
        let candidate = [candidate_byte; KEY_LEN];
        let fresh_x = n as u8 + 1;
        let mut value = [0u8; KEY_LEN];
        for b in 0..KEY_LEN {
            let mut pts: Vec<(u8, u8)> = known.iter().map(|s| (s.index, s.value[b])).collect();
            pts.push((0, candidate[b]));
            value[b] = interpolate_at(&pts, fresh_x);
        }
        let mut pts_all: Vec<Share> = known.to_vec();
        pts_all.push(Share {
            index: fresh_x,
            value,
            ..shares[0].clone()
        });
        let refs: Vec<&Share> = pts_all.iter().collect();
        for (b, want) in candidate.iter().enumerate() {
            assert_eq!(interpolate_at(&points(&refs, b), 0), *want);
        }
    }
}

#[test]
fn k_minus_1_shares_are_refused() {
    let mut rng = StdRng::seed_from_u64(6);
    let shares = split(&key(4), 5, 3, &mut rng).expect("split");
    assert_eq!(
        combine(&shares[..2]).err(),
        Some(ShamirError::TooFew { need: 3, got: 2 })
    );
    assert_eq!(
        combine(&[]).err(),
        Some(ShamirError::TooFew { need: 2, got: 0 })
    );
}

#[test]
fn text_round_trip_and_typing_tolerance() {
    let mut rng = StdRng::seed_from_u64(7);
    let shares = split(&key(5), 3, 2, &mut rng).expect("split");
    for s in &shares {
        let t = s.to_text();
        assert_eq!(&Share::parse(&t).expect("parse"), s);
        // Upper case, split over lines in groups of 8 as printed on paper.
        let spaced: String = t
            .to_uppercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(8)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" \n");
        assert_eq!(&Share::parse(&spaced).expect("spaced"), s);
    }
    assert!(
        !format!("{:?}", shares[0]).contains(&hex::encode(shares[0].value)),
        "Debug hides the value"
    );
}

#[test]
fn corrupt_share_is_detected_by_its_checksum() {
    let mut rng = StdRng::seed_from_u64(8);
    let shares = split(&key(6), 3, 2, &mut rng).expect("split");
    let text = shares[0].to_text().to_string();
    // Change one hex digit of the value (position 26 is inside the value).
    let mut bytes = text.clone().into_bytes();
    bytes[30] = if bytes[30] == b'0' { b'1' } else { b'0' };
    let typo = String::from_utf8(bytes).expect("utf8");
    assert!(matches!(
        Share::parse(&typo),
        Err(ShamirError::Checksum { .. })
    ));
    for bad in [
        "",
        "TSS1",
        "TSS2-00",
        &text[..text.len() - 1],
        &text.replace("TSS1", "XSS1"),
    ] {
        assert!(Share::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn wrong_but_well_formed_share_is_detected_not_reconstructed_as_garbage() {
    let mut rng = StdRng::seed_from_u64(9);
    let secret = key(7);
    let shares = split(&secret, 4, 3, &mut rng).expect("split");
    // A forged share with a valid checksum but a wrong value.
    let mut forged = shares[1].clone();
    forged.value[0] ^= 1;
    let forged = Share::parse(&forged.to_text()).expect("well-formed");
    assert_eq!(
        combine(&[shares[0].clone(), forged.clone(), shares[2].clone()]).err(),
        Some(ShamirError::WrongKey)
    );
    // With one extra share, a bad extra is named.
    assert_eq!(
        combine(&[
            shares[0].clone(),
            shares[2].clone(),
            shares[3].clone(),
            forged
        ])
        .err(),
        Some(ShamirError::Inconsistent { index: 2 })
    );
    // A share of another split of the same key.
    let other = split(&secret, 4, 3, &mut rng).expect("split");
    assert_eq!(
        combine(&[shares[0].clone(), shares[1].clone(), other[2].clone()]).err(),
        Some(ShamirError::MixedSets { index: 3 })
    );
    assert_eq!(
        combine(&[shares[0].clone(), shares[1].clone(), shares[1].clone()]).err(),
        Some(ShamirError::Duplicate { index: 2 })
    );
}
