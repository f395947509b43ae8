//! Accounts tests. Reference values: RFC 9106 §5.3 (Argon2id), RFC 6238
//! Appendix B (TOTP), RFC 4226 Appendix D (HOTP), RFC 4648 §10 (base32), and
//! PHC strings made by Python `cryptography` (tests/ref/argon2_ref.py).

use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const FAST: HashParams = HashParams {
    m_kib: 1024,
    t: 1,
    p: 1,
};

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../tests/ref/argon2_ref.json")).expect("reference JSON")
}

#[test]
fn argon2id_rfc9106_test_vector() {
    // RFC 9106 §5.3: password 32×0x01, salt 16×0x02, secret 8×0x03,
    // associated data 12×0x04, m = 32 KiB, t = 3, p = 4, tag 32 bytes.
    let params = argon2::ParamsBuilder::new()
        .m_cost(32)
        .t_cost(3)
        .p_cost(4)
        .output_len(32)
        .data(argon2::AssociatedData::new(&[4u8; 12]).expect("ad"))
        .build()
        .expect("params");
    let a = Argon2::new_with_secret(&[3u8; 8], Algorithm::Argon2id, Version::V0x13, params)
        .expect("argon2");
    let mut out = [0u8; 32];
    a.hash_password_into(&[1u8; 32], &[2u8; 16], &mut out)
        .expect("hash");
    let published = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";
    assert_eq!(hex::encode(out), published);
    // The same value recomputed by OpenSSL through Python `cryptography`.
    assert_eq!(reference()["rfc9106_argon2id_tag_hex"], published);
}

#[test]
fn our_phc_strings_equal_those_of_an_independent_implementation() {
    for case in reference()["phc_cases"].as_array().expect("cases") {
        let pw = case["password"].as_str().expect("pw");
        let salt: [u8; 16] = hex::decode(case["salt_hex"].as_str().expect("salt"))
            .expect("hex")
            .try_into()
            .expect("16");
        let params = HashParams {
            m_kib: case["m_kib"].as_u64().expect("m") as u32,
            t: case["t"].as_u64().expect("t") as u32,
            p: case["p"].as_u64().expect("p") as u32,
        };
        let phc = case["phc"].as_str().expect("phc");
        assert_eq!(hash_password(pw, &salt, params).expect("hash"), phc);
        assert_eq!(verify_password(pw, phc), Ok(true));
        assert_eq!(verify_password(&format!("{pw}x"), phc), Ok(false));
    }
}

#[test]
fn recommended_parameters_are_stated_in_the_hash() {
    let phc = hash_password(
        "a long enough passphrase",
        &[7u8; 16],
        HashParams::RECOMMENDED,
    )
    .expect("hash");
    assert!(phc.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"), "{phc}");
    assert_eq!(verify_password("a long enough passphrase", &phc), Ok(true));
    assert!(!needs_rehash(&phc, HashParams::RECOMMENDED));
    let weak = hash_password("a long enough passphrase", &[7u8; 16], FAST).expect("hash");
    assert!(needs_rehash(&weak, HashParams::RECOMMENDED));
}

#[test]
fn wrong_password_is_refused_and_salts_differ() {
    let mut rng = StdRng::seed_from_u64(1);
    let a = hash_password("river crossing at night", &random_salt(&mut rng), FAST).expect("hash");
    let b = hash_password("river crossing at night", &random_salt(&mut rng), FAST).expect("hash");
    assert_ne!(a, b, "same password, different salts, different hashes");
    assert_eq!(verify_password("river crossing at night", &a), Ok(true));
    assert_eq!(verify_password("river crossing at nigh", &a), Ok(false));
    assert_eq!(verify_password("", &a), Ok(false));
}

#[test]
fn composed_and_decomposed_hangul_passwords_are_the_same_password() {
    let composed = "탈북자보호비밀번호입니다";
    let decomposed: String = composed.nfd().collect();
    assert_ne!(composed, decomposed);
    let phc = hash_password(composed, &[1u8; 16], FAST).expect("hash");
    assert_eq!(verify_password(&decomposed, &phc), Ok(true));
}

#[test]
fn downgraded_or_costly_stored_hashes_are_refused() {
    let phc = hash_password("a long enough passphrase", &[7u8; 16], FAST).expect("hash");
    let argon2i = phc.replacen("$argon2id$", "$argon2i$", 1);
    assert!(matches!(
        verify_password("a long enough passphrase", &argon2i),
        Err(AccountError::BadHash(_))
    ));
    let costly = phc.replacen("m=1024", "m=4194304", 1);
    assert_eq!(
        verify_password("a long enough passphrase", &costly),
        Err(AccountError::HashTooCostly)
    );
    assert!(verify_password("x", "not a hash").is_err());
}

#[test]
fn unknown_user_dummy_hash_is_well_formed_so_it_costs_a_full_verification() {
    // If the dummy hash did not parse, verify_unknown_user would return at
    // once and reveal which user names exist.
    assert_eq!(verify_password("anything at all", DUMMY_PHC), Ok(false));
    assert!(!verify_unknown_user("anything at all"));
}

#[test]
fn password_policy() {
    assert_eq!(
        check_password_policy("minji", "ice on the tumen river"),
        Ok(())
    );
    let short = check_password_policy("minji", "short1!").expect_err("short");
    assert!(short.contains(&PasswordProblem::TooShort { min: 12, got: 7 }));
    // Twelve Hangul syllables are twelve characters, not 36 bytes' worth.
    assert_eq!(
        check_password_policy("minji", "두만강을건너는밤의추운"),
        Err(vec![PasswordProblem::TooShort { min: 12, got: 11 }])
    );
    assert_eq!(
        check_password_policy("minji", "두만강을건너는밤의추운바람"),
        Ok(())
    );
    let with_name = check_password_policy("Minji.Kim", "xx-minji.kim-2023-yy").expect_err("name");
    assert!(with_name.contains(&PasswordProblem::ContainsUserName));
    assert!(
        check_password_policy("minji", "minji")
            .expect_err("both")
            .len()
            >= 2
    );
    assert!(
        check_password_policy("minji", "abababababababab")
            .expect_err("few")
            .contains(&PasswordProblem::TooFewDistinct)
    );
    assert!(
        check_password_policy("minji", "Password1234")
            .expect_err("common")
            .contains(&PasswordProblem::Common)
    );
    assert!(
        check_password_policy("minji", "tab\there-is-long")
            .expect_err("ctl")
            .contains(&PasswordProblem::ControlCharacter)
    );
    assert_eq!(
        check_password_policy("minji", &"x".repeat(2000)),
        Err(vec![PasswordProblem::TooLong])
    );
    // Messages never repeat the password.
    for p in check_password_policy("minji", "minjiminji").expect_err("bad") {
        assert!(!p.to_string().contains("minjiminji"));
    }
}

#[test]
fn base32_rfc4648_vectors() {
    let v = [
        ("", ""),
        ("f", "MY======"),
        ("fo", "MZXQ===="),
        ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ];
    for (plain, enc) in v {
        assert_eq!(base32_encode(plain.as_bytes(), true), enc);
        assert_eq!(base32_decode(enc).expect("decode"), plain.as_bytes());
        let unpadded = enc.trim_end_matches('=');
        assert_eq!(base32_encode(plain.as_bytes(), false), unpadded);
        assert_eq!(
            base32_decode(&unpadded.to_lowercase()).expect("lower"),
            plain.as_bytes()
        );
    }
    assert_eq!(base32_decode("MZXW 6YTB-OI").expect("grouped"), b"foobar");
    assert!(base32_decode("MZXW1").is_err(), "1 is not base32");
    assert!(base32_decode("M").is_err(), "impossible length");
    assert!(base32_decode("MY=A").is_err(), "data after padding");
}

/// RFC 6238 Appendix B, SHA-1 rows: seed "12345678901234567890", 8 digits.
const RFC6238_SHA1: [(i64, &str); 6] = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
];

fn rfc_secret() -> TotpSecret {
    TotpSecret::new(b"12345678901234567890".to_vec()).expect("secret")
}

#[test]
fn totp_rfc6238_appendix_b() {
    let eight = TotpConfig {
        digits: 8,
        ..TotpConfig::default()
    };
    for (t, code) in RFC6238_SHA1 {
        assert_eq!(
            totp_code(&rfc_secret(), t, &eight).as_deref(),
            Some(code),
            "T={t}"
        );
        // Six digits are the last six of the same truncation (RFC 4226 §5.3).
        let six = &code[2..];
        assert_eq!(
            totp_code(&rfc_secret(), t, &TotpConfig::default()).as_deref(),
            Some(six),
            "T={t}"
        );
        assert!(verify_totp(&rfc_secret(), code, t, None, &eight).is_ok());
    }
}

#[test]
fn hotp_rfc4226_appendix_d() {
    let want = [
        755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
    ];
    for (counter, code) in want.into_iter().enumerate() {
        assert_eq!(hotp(b"12345678901234567890", counter as u64, 6), code);
    }
}

#[test]
fn totp_window_and_replay() {
    let s = rfc_secret();
    let cfg = TotpConfig::default();
    let t = 1_700_000_000;
    let code = totp_code(&s, t, &cfg).expect("code");
    let step = verify_totp(&s, &code, t, None, &cfg).expect("now");
    // One step of skew either way is accepted, two are not.
    assert!(verify_totp(&s, &code, t + 30, None, &cfg).is_ok());
    assert!(verify_totp(&s, &code, t - 30, None, &cfg).is_ok());
    assert_eq!(
        verify_totp(&s, &code, t + 90, None, &cfg),
        Err(TotpError::Wrong)
    );
    assert_eq!(
        verify_totp(&s, &code, t - 90, None, &cfg),
        Err(TotpError::Wrong)
    );
    // Replay of the same code, even within its window, is refused.
    assert_eq!(
        verify_totp(&s, &code, t + 5, Some(step), &cfg),
        Err(TotpError::Replayed)
    );
    // An older step than the last used is refused too.
    let older = totp_code(&s, t - 30, &cfg).expect("older");
    assert_eq!(
        verify_totp(&s, &older, t, Some(step), &cfg),
        Err(TotpError::Replayed)
    );
    // The next step's code is fine.
    let next = totp_code(&s, t + 30, &cfg).expect("next");
    assert_eq!(
        verify_totp(&s, &next, t + 30, Some(step), &cfg),
        Ok(step + 1)
    );
    assert_eq!(
        verify_totp(&s, "12345", t, None, &cfg),
        Err(TotpError::Malformed)
    );
    assert_eq!(
        verify_totp(&s, "12a456", t, None, &cfg),
        Err(TotpError::Malformed)
    );
    assert_eq!(
        verify_totp(&s, &code, -5, None, &cfg),
        Err(TotpError::Clock)
    );
}

#[test]
fn otpauth_uri_for_enrolment() {
    let s = TotpSecret::new(b"12345678901234567890".to_vec()).expect("secret");
    let uri = otpauth_uri("tumen NGO", "minji@example.org", &s, &TotpConfig::default());
    assert_eq!(
        uri.as_str(),
        "otpauth://totp/tumen%20NGO:minji%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=tumen%20NGO&algorithm=SHA1&digits=6&period=30"
    );
    assert_eq!(
        TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").expect("b32"),
        s
    );
    assert!(
        TotpSecret::new(vec![1; 10]).is_err(),
        "80-bit secrets are refused"
    );
    assert_eq!(
        format!("{s:?}"),
        "TotpSecret(…)",
        "Debug never prints the secret"
    );
}

fn user(totp: bool) -> User {
    let mut u = User::new(
        "minji",
        Role::Investigator,
        vec!["case-17".into()],
        "ice on the tumen river",
        &[9; 16],
        FAST,
    )
    .expect("user");
    if totp {
        u.totp = Some(TotpEnrolment {
            sealed_secret: SealedSecret("sealed-by-store".into()),
            config: TotpConfig::default(),
            last_used_step: None,
        });
    }
    u
}

#[test]
fn new_user_enforces_the_password_policy() {
    assert!(matches!(
        User::new("minji", Role::Analyst, vec![], "minji123", &[9; 16], FAST),
        Err(NewUserError::Policy(_))
    ));
}

#[test]
fn lockout_after_repeated_failures_then_unlock_after_the_lock() {
    let policy = LockoutPolicy {
        max_failures: 3,
        window_secs: 600,
        lock_secs: 900,
    };
    let mut u = user(false);
    let t0 = 1_700_000_000;
    for i in 0..2 {
        assert_eq!(
            authenticate(&mut u, "wrong password!!", None, None, t0 + i, &policy),
            Err(LoginError::BadPassword)
        );
    }
    assert_eq!(u.failures.len(), 2);
    assert_eq!(
        authenticate(&mut u, "wrong password!!", None, None, t0 + 2, &policy),
        Err(LoginError::BadPassword)
    );
    let until = t0 + 2 + 900;
    assert_eq!(u.locked_until, Some(until));
    // While locked, even the right password is refused (no oracle).
    assert_eq!(
        authenticate(
            &mut u,
            "ice on the tumen river",
            None,
            None,
            t0 + 100,
            &policy
        ),
        Err(LoginError::Locked { until })
    );
    assert_eq!(
        authenticate(
            &mut u,
            "ice on the tumen river",
            None,
            None,
            until - 1,
            &policy
        ),
        Err(LoginError::Locked { until })
    );
    assert_eq!(
        authenticate(&mut u, "ice on the tumen river", None, None, until, &policy),
        Ok(())
    );
    assert_eq!(u.locked_until, None);
    assert!(u.failures.is_empty());
}

#[test]
fn failures_outside_the_window_do_not_lock() {
    let policy = LockoutPolicy {
        max_failures: 3,
        window_secs: 600,
        lock_secs: 900,
    };
    let mut u = user(false);
    let t0 = 1_700_000_000;
    for i in 0..6 {
        let _ = authenticate(
            &mut u,
            "wrong password!!",
            None,
            None,
            t0 + i * 400,
            &policy,
        );
        assert_eq!(u.locked_until, None, "failure {i}");
    }
}

#[test]
fn login_with_second_factor() {
    let policy = LockoutPolicy::default();
    let secret = rfc_secret();
    let mut u = user(true);
    let t = 1_700_000_000;
    let code = totp_code(&secret, t, &TotpConfig::default()).expect("code");
    let pw = "ice on the tumen river";
    assert_eq!(
        authenticate(&mut u, pw, None, Some(&secret), t, &policy),
        Err(LoginError::SecondFactorRequired)
    );
    assert!(u.failures.is_empty(), "a missing code is not a failure");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        authenticate(&mut u, pw, Some(wrong), Some(&secret), t, &policy),
        Err(LoginError::BadCode(TotpError::Wrong))
    );
    assert_eq!(u.failures.len(), 1);
    assert_eq!(
        authenticate(&mut u, pw, Some(&code), Some(&secret), t, &policy),
        Ok(())
    );
    assert_eq!(
        u.totp.as_ref().and_then(|e| e.last_used_step),
        Some(t as u64 / 30)
    );
    // Replay of the same code, e.g. by someone watching over a shoulder.
    assert_eq!(
        authenticate(&mut u, pw, Some(&code), Some(&secret), t + 10, &policy),
        Err(LoginError::BadCode(TotpError::Replayed))
    );
    // Wrong password with a right code is still a wrong password.
    assert_eq!(
        authenticate(
            &mut u,
            "not the password",
            Some(&code),
            Some(&secret),
            t,
            &policy
        ),
        Err(LoginError::BadPassword)
    );
}

#[test]
fn disabled_user_is_refused() {
    let mut u = user(false);
    u.disabled = true;
    assert_eq!(
        authenticate(
            &mut u,
            "ice on the tumen river",
            None,
            None,
            0,
            &LockoutPolicy::default()
        ),
        Err(LoginError::Disabled)
    );
}

#[test]
fn user_round_trips_through_json_without_clear_secrets() {
    let mut u = user(true);
    u.failures = vec![5, 6];
    u.locked_until = Some(99);
    let json = serde_json::to_string(&u).expect("json");
    assert!(json.contains("\"sealed_secret\":\"sealed-by-store\""));
    assert!(!json.contains("ice on the tumen river"));
    let back: User = serde_json::from_str(&json).expect("back");
    assert_eq!(back, u);
    assert_eq!(u.actor().groups, vec!["case-17".to_string()]);
}

#[test]
fn sessions_store_only_a_hash_and_expire() {
    let mut rng = StdRng::seed_from_u64(7);
    let policy = SessionPolicy {
        lifetime_secs: 3600,
        idle_secs: 600,
    };
    let t = 1_700_000_000;
    let (token, mut rec) = new_session(&mut rng, "minji", t, &policy);
    assert!(token.as_str().starts_with("tms_") && token.as_str().len() == 4 + 64);
    let stored = serde_json::to_string(&rec).expect("json");
    assert!(
        !stored.contains(&token.as_str()[4..]),
        "the token itself is never stored"
    );
    assert_eq!(rec.token_hash, session_token_hash(token.as_str()));
    assert_eq!(rec.validate(token.as_str(), t + 10), Ok(()));
    rec.touch(t + 500);
    assert_eq!(rec.validate(token.as_str(), t + 1000), Ok(()));
    // Idle too long.
    assert_eq!(
        rec.validate(token.as_str(), t + 1100),
        Err(SessionError::Idle)
    );
    // Absolute expiry, even when in use.
    for now in (t + 500..t + 3600).step_by(300) {
        rec.touch(now);
    }
    assert_eq!(
        rec.validate(token.as_str(), t + 3600),
        Err(SessionError::Expired)
    );
    // Someone else's token.
    let (other, _) = new_session(&mut rng, "minji", t, &policy);
    assert_ne!(other, token);
    assert_eq!(
        rec.validate(other.as_str(), t + 10),
        Err(SessionError::Mismatch)
    );
    assert_eq!(
        rec.validate(token.as_str(), t - 10),
        Err(SessionError::NotYetValid)
    );
}
