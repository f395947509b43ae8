//! Fuzz tumen-protect's parsers of outside input: publication policies,
//! Shamir share texts, backup manifests, base32 TOTP secrets, one-time codes
//! and the dates the publisher coarsens. Nothing may panic or hang; whatever
//! parses must behave (a share prints back to itself, a coarsened date parses).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tumen_model::PartialDate;
use tumen_protect::accounts::{self, TotpConfig, TotpSecret};
use tumen_protect::backup::{self, BackupManifest};
use tumen_protect::publish::{self, DatePrecision, PublicationPolicy};
use tumen_protect::shamir::Share;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = PublicationPolicy::from_json(s) {
        // A policy that validated publishes an empty archive without panicking.
        let key = publish::PseudonymKey([7; 32]);
        let _ = publish::publish(&[], &p, &key, &|_| None);
    }
    if let Ok(share) = Share::parse(s) {
        assert_eq!(Share::parse(&share.to_text()).ok(), Some(share.clone()));
        let _ = tumen_protect::shamir::combine(&[share.clone(), share]);
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
    let secret = TotpSecret::new(b"12345678901234567890".to_vec()).ok();
    if let Some(secret) = secret {
        let _ = accounts::verify_totp(&secret, s, 1_700_000_000, None, &TotpConfig::default());
    }
    let _ = accounts::check_password_policy("fuzz", s);
    for p in [
        DatePrecision::Month,
        DatePrecision::Quarter,
        DatePrecision::Year,
    ] {
        if let Some(c) = publish::coarsen_date(s, p) {
            assert!(PartialDate::parse(&c).is_ok(), "coarsened date must parse");
        }
    }
});
