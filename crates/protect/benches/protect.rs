//! Protection benchmarks (not timed tests): Argon2id at the recommended
//! parameters (login latency, compared with OpenSSL's Argon2id through
//! Python `cryptography`, benches/argon2_openssl.py), Shamir split and
//! combine, and publication of a synthetic archive.
//!
//! Run: `CARGO_TARGET_DIR=/work/targets/protect cargo bench -p tumen-protect --bench protect`

use std::time::Instant;
use tumen_model::Record;
use tumen_protect::accounts::{HashParams, hash_password, verify_password};
use tumen_protect::publish::{self, PseudonymKey, PublicationPolicy};
use tumen_protect::shamir::{self, RecoveryKey};

fn time<T>(label: &str, reps: u32, mut f: impl FnMut() -> T) {
    let _ = f();
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f());
    }
    let per = t.elapsed().as_secs_f64() / f64::from(reps);
    println!("{label:<55} {:>10.3} ms", per * 1e3);
}

fn main() {
    let phc =
        hash_password("ice on the tumen river", &[7; 16], HashParams::RECOMMENDED).expect("hash");
    time("argon2id hash, m=64 MiB t=3 p=4 (RECOMMENDED)", 5, || {
        hash_password("ice on the tumen river", &[7; 16], HashParams::RECOMMENDED)
    });
    time("argon2id verify, m=64 MiB t=3 p=4", 5, || {
        verify_password("ice on the tumen river", &phc)
    });
    time("argon2id hash, m=19 MiB t=2 p=1 (MINIMUM)", 5, || {
        hash_password("ice on the tumen river", &[7; 16], HashParams::MINIMUM)
    });

    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let key = RecoveryKey::generate(&mut rng);
    let shares = shamir::split(&key, 255, 255, &mut rng).expect("split");
    time("shamir split 32-byte key, k=5 n=10", 1000, || {
        shamir::split(&key, 10, 5, &mut rng)
    });
    time("shamir combine, k=255 of 255", 10, || {
        shamir::combine(&shares)
    });

    // 100,000 persons with sex, birth date and home city; 60 counties.
    let n = 100_000;
    let mut records: Vec<Record> = Vec::with_capacity(n + 200);
    for c in 0..60 {
        records.push(
            serde_json::from_value(serde_json::json!({"kind": "place", "id": format!("plc-county-{c}"), "sensitivity": "public",
                "names": [{"text": format!("County {c}"), "script": "latin", "kind": "official"}], "place_type": "county"}))
            .expect("place"),
        );
        for t in 0..2 {
            records.push(
                serde_json::from_value(serde_json::json!({"kind": "place", "id": format!("plc-city-{c}-{t}"), "sensitivity": "public",
                    "names": [{"text": "City", "script": "latin", "kind": "official"}], "place_type": "city", "parent": format!("plc-county-{c}")}))
                .expect("place"),
            );
        }
    }
    for i in 0..n {
        let (sex, year, month, city) = (
            ["female", "male"][i % 2],
            1960 + (i * 7) % 45,
            1 + (i * 5) % 12,
            format!("plc-city-{}-{}", (i * 13) % 60, i % 2),
        );
        records.push(
            serde_json::from_value(serde_json::json!({"kind": "person", "id": format!("prs-{i:06}"), "sensitivity": "public",
                "names": [{"text": "x", "script": "latin", "kind": "legal"}], "sex": sex,
                "birth_date": format!("{year}-{month:02}-01"), "origin": city, "claims": [{"source": "src-1"}]}))
            .expect("person"),
        );
    }
    let policy = PublicationPolicy::from_json(
        &serde_json::json!({"k": 5, "on_small_class": "suppress", "kinds": {
            "person": {"fields": ["sex", "birth_date", "origin"], "dates": {"birth_date": "year"},
                        "places": {"origin": ["county"]}, "quasi_identifiers": ["sex", "birth_date", "origin"]},
            "place": {"fields": ["names", "place_type", "parent"]}}})
        .to_string(),
    )
    .expect("policy");
    let places = publish::place_index(&records);
    let pkey = PseudonymKey([3; 32]);
    let t = Instant::now();
    let p =
        publish::publish(&records, &policy, &pkey, &|id| places.get(id).cloned()).expect("publish");
    println!(
        "{:<55} {:>10.3} s  ({} published, smallest class {:?})",
        "publish 100,000 persons (k=5, year, county, suppress)",
        t.elapsed().as_secs_f64(),
        p.records.len(),
        p.report.smallest_class.values().next()
    );
}
