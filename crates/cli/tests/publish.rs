//! `tumen publish` through the binary, on an encrypted archive holding the
//! demo dataset with a canary planted in every confidential field and every
//! confidential or case-limited record: no canary may reach any file of the
//! published directory; a refusal (class smaller than k) writes nothing.

use std::path::Path;
use std::process::{Command, Output};
use tumen_model::Record;
use tumen_service::{Archive, InitOptions, local_administrator};

const PW: &str = "correct horse battery staple";
const CANARY: &str = "CANARY7Q";

fn tumen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tumen"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("TUMEN_PASSPHRASE", PW)
        .output()
        .expect("run tumen")
}

/// The demo records, with canaries planted.
fn planted() -> Vec<Record> {
    let text = include_str!("../../../data/demo/records.jsonl");
    let mut out = Vec::new();
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("demo line");
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        let confidential = v["sensitivity"] == "confidential";
        let limited = v["access_groups"].as_array().is_some_and(|g| !g.is_empty());
        // Every record (all kinds have a description) gets a canary there:
        // labelled confidential on its own, or inside a confidential or
        // case-limited record.
        v["description"] = serde_json::json!(format!("{CANARY}-description-{n}-{kind}"));
        if !confidential && !limited {
            v["field_sensitivity"]["description"] = serde_json::json!("confidential");
        }
        if confidential || limited {
            if let Some(names) = v.get_mut("names").and_then(|n| n.as_array_mut()) {
                names.push(serde_json::json!({"text": format!("{CANARY}-name-{n}"), "script": "latin", "kind": "alias"}));
            }
        }
        out.push(serde_json::from_value(v).expect("record"));
    }
    out
}

fn archive(dir: &Path) {
    let archive = Archive::init(dir, PW, InitOptions::insecure_fast_for_tests()).expect("init");
    let session = archive.session(local_administrator("kim"));
    // Create in dependency order: retry what refers to records not yet there.
    let mut pending = planted();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|r| session.create(r).is_err());
        assert!(
            pending.len() < before,
            "cannot create {:?}",
            pending
                .iter()
                .map(|r| r.id().to_string())
                .collect::<Vec<_>>()
        );
    }
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
