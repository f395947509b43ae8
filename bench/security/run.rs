//! Security benchmark (issue 6): what the protections cost.
//!
//! * a query returning N confidential person records (one ledger access
//!   entry each, one transaction) against the same query over N restricted
//!   ones (no entries), as an investigator;
//! * one login (Argon2id, RFC 9106 parameters: 64 MiB, t = 3, p = 4);
//! * a backup of the archive into one encrypted file and a checked restore
//!   (decrypt and hash everything, check the sealed manifest, then write,
//!   open);
//! * acquiring a 64 MiB evidence file (hash + encrypt) and re-hashing it.
//!
//! Not a timed test. Run: `bench/security/run.sh` (or
//! `cargo test --release -p tumen-service --bench security`).
//! Environment: `TUMEN_BENCH_RECORDS` (default 20,000).

use std::time::Instant;
use tumen_model::Record;
use tumen_service::{Actor, Archive, Filter, InitOptions, Role, local_administrator};

fn person(i: usize, sens: &str) -> Record {
    Record::from_json(&format!(
        r#"{{"kind":"person","id":"p-{sens}-{i}","sensitivity":"{sens}","names":[{{"text":"Name {i}","script":"latin","kind":"romanization_as_given"}}],"claims":[{{"source":"src-1"}}]}}"#
    ))
    .expect("person")
}

fn best_of<F: FnMut()>(n: usize, mut f: F) -> f64 {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let n: usize = std::env::var("TUMEN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let a = Archive::init(
        &data,
        "bench passphrase",
        InitOptions::insecure_fast_for_tests(),
    )
    .expect("init");
    let admin = a.session(local_administrator("admin"));
    admin
        .create(
            &Record::from_json(
                r#"{"kind":"source","id":"src-1","sensitivity":"public","source_type":"news_report","title":"R","date":"2023-10-13","reliability":"B"}"#,
            )
            .expect("source"),
        )
        .expect("source");
    for sens in ["confidential", "restricted"] {
        for i in 0..n {
            admin.create(&person(i, sens)).expect("create");
        }
    }
    let ivy = a.session(Actor {
        user: "ivy".into(),
        role: Role::Investigator,
        groups: vec![],
    });
    // Warm up, then best of 5.
    let _ = ivy.query(&Filter::default());
    let logged = best_of(5, || {
        let r = ivy
            .query(&Filter {
                max_sensitivity: None,
                ..Filter::default()
            })
            .expect("q");
        assert_eq!(r.len(), 2 * n + 1);
    });
    let plain = best_of(5, || {
        let r = ivy
            .query(&Filter {
                max_sensitivity: Some(tumen_model::Sensitivity::Restricted),
                ..Filter::default()
            })
            .expect("q");
        assert_eq!(r.len(), n + 1);
    });
    println!(
        "query as investigator: {} records incl. {n} confidential (logged): {:.3} s; {} records, none confidential: {:.3} s",
        2 * n + 1,
        logged,
        n + 1,
        plain
    );
    println!(
        "  extra cost per confidential record returned (its access entry): {:.1} µs = ({:.3} − 2 × {:.3}) s / {n}",
        (logged - 2.0 * plain) / n as f64 * 1e6,
        logged,
        plain
    );

    let gets = 500;
    let get_time = |sens: &str| {
        best_of(3, || {
            for i in 0..gets {
                let id = tumen_model::RecordId::new(format!("p-{sens}-{i}")).expect("id");
                assert!(ivy.get(&id).expect("get").is_some());
            }
        }) / gets as f64
    };
    let (gc, gr) = (get_time("confidential"), get_time("restricted"));
    println!(
        "one get: confidential (with its access entry, one committed transaction) {:.1} µs; restricted {:.1} µs",
        gc * 1e6,
        gr * 1e6
    );

    admin
        .add_user("ana", Role::Analyst, vec![], "river-stone-lantern-82")
        .expect("user");
    let login = best_of(3, || {
        a.login("ana", "river-stone-lantern-82", None, 1_800_000_000)
            .expect("login");
    });
    println!("login (Argon2id 64 MiB, t=3, p=4): {:.3} s", login);

    let bk = tmp.path().join("bk");
    let t = Instant::now();
    let s = admin.backup(&data, &bk, 0).expect("backup");
    let b = t.elapsed().as_secs_f64();
    let t = Instant::now();
    tumen_service::backup::restore(&bk, "bench passphrase", &tmp.path().join("restored"))
        .expect("restore");
    let r = t.elapsed().as_secs_f64();
    println!(
        "backup of {} files, {:.1} MB: {:.3} s; checked restore: {:.3} s",
        s.files,
        s.bytes as f64 / 1e6,
        b,
        r
    );

    let big = tmp.path().join("recording.bin");
    let bytes: Vec<u8> = (0..64u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&big, &bytes).expect("write");
    drop(bytes);
    let ev = admin.evidence(&data).expect("evidence");
    let rid = tumen_model::RecordId::new("p-confidential-0").expect("id");
    let t = Instant::now();
    ev.add(
        &rid,
        &mut std::fs::File::open(&big).expect("open"),
        "recording.bin",
        "",
        0,
    )
    .expect("add");
    let add = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let checks = ev.verify_all(0).expect("verify");
    let ver = t.elapsed().as_secs_f64();
    assert!(checks.iter().all(|c| c.problem.is_none()));
    println!(
        "evidence, 64 MiB: acquire (SHA-256 + XChaCha20-Poly1305 + custody entry) {:.3} s = {:.0} MB/s; re-hash {:.3} s = {:.0} MB/s",
        add,
        67.108864 / add,
        ver,
        67.108864 / ver
    );
}
