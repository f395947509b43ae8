//! `tumen publish` through the binary, on an encrypted archive holding the
//! demo dataset with a canary planted in every confidential field and every
//! confidential or case-limited record: no canary may reach any file of the
//! published directory; a refusal (class smaller than k) writes nothing.

mod common;
use common::{Run, planted_archive};

use std::path::Path;
use std::process::Output;

const CANARY: &str = "CANARY7Q";

fn tumen(dir: &Path, args: &[&str]) -> Output {
    Run::admin(dir).go(args)
}

fn archive(dir: &Path) {
    planted_archive(dir, CANARY);
}

fn all_files_text(dir: &Path) -> String {
    let mut s = String::new();
    for e in std::fs::read_dir(dir).expect("out dir") {
        let p = e.expect("entry").path();
        s.push_str(&String::from_utf8_lossy(&std::fs::read(&p).expect("read")));
    }
    s
}

fn policy(k: usize, on_small: &str) -> serde_json::Value {
    // Every field of every kind but person names: the labels must do the work.
    serde_json::json!({
        "k": k,
        "include_fictional": true,
        "on_small_class": on_small,
        "kinds": {
            "person": {"fields": ["sex", "birth_date", "origin", "categories", "group_size", "status_history", "description", "claims"],
                        "dates": {"birth_date": "year", "status_history.date": "month"},
                        "quasi_identifiers": ["sex", "birth_date"]},
            "organization": {"fields": ["names", "org_type", "parent", "description", "claims"]},
            "place": {"fields": ["names", "place_type", "facility_type", "coordinates", "parent", "description", "claims"]},
            "event": {"fields": ["event_type", "title", "date", "places", "people_affected", "transport", "description", "earlier", "later", "claims"]},
            "act": {"fields": ["act_type", "victims", "date", "place", "involvements", "event", "description", "claims"]},
            "source": {"fields": ["source_type", "title", "author", "publisher", "date", "url", "reliability", "language", "description"]},
            "intervention": {"fields": ["intervention_type", "title", "date", "parties", "status", "responds_to", "reference", "acts", "persons", "events", "description", "claims"]}
        }
    })
}

#[test]
fn published_files_hold_no_canary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    let key = tmp.path().join("pseudonym.key");
    std::fs::write(
        &key,
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    )
    .expect("key");
    let pol = tmp.path().join("policy.json");
    std::fs::write(&pol, policy(2, "suppress").to_string()).expect("policy");
    let out = tmp.path().join("public");
    let report = tmp.path().join("report.json");
    let o = tumen(
        &data,
        &[
            "publish",
            "--policy",
            pol.to_str().expect("p"),
            "--out",
            out.to_str().expect("o"),
            "--pseudonym-key-file",
            key.to_str().expect("k"),
            "--report",
            report.to_str().expect("r"),
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    let published = all_files_text(&out);
    assert!(
        published.lines().count() > 40,
        "something was published: {stdout}"
    );
    assert!(
        !published.contains(CANARY),
        "canary leaked into the public directory"
    );
    assert!(!stdout.contains(CANARY) && !stderr.contains(CANARY));
    // The report (kept by the operator) names ids but no field value.
    assert!(
        !std::fs::read_to_string(&report)
            .expect("report")
            .contains(CANARY)
    );
    // Only the dataset is in the public directory.
    assert_eq!(std::fs::read_dir(&out).expect("out").count(), 1);
    // Published persons carry pseudonyms, never archive ids.
    for line in published.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        if v["kind"] == "person" {
            assert!(v["id"].as_str().expect("id").starts_with("P-"), "{line}");
        }
    }
}

#[test]
fn a_small_class_refuses_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    let key = tmp.path().join("pseudonym.key");
    std::fs::write(&key, "00".repeat(32)).expect("key");
    let pol = tmp.path().join("policy.json");
    std::fs::write(&pol, policy(50, "refuse").to_string()).expect("policy");
    let out = tmp.path().join("public");
    let o = tumen(
        &data,
        &[
            "publish",
            "--policy",
            pol.to_str().expect("p"),
            "--out",
            out.to_str().expect("o"),
            "--pseudonym-key-file",
            key.to_str().expect("k"),
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("smaller than k = 50") && stderr.contains("sex+birth_date"),
        "{stderr}"
    );
    assert!(!stderr.contains(CANARY));
    assert!(!out.exists(), "nothing is written on a refusal");
}
