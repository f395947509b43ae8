//! Backup, restore, passphrase change and recovery through the binary.

mod common;
use common::{contains, files_below};

use std::path::Path;
use std::process::{Command, Output};
use tumen_model::{Record, RecordId, Sensitivity};
use tumen_service::{Archive, InitOptions, local_administrator};

const PW: &str = "correct horse battery staple";
const CANARY: &str = "CANARY3B";

fn tumen_env(data: &Path, pass: &str, extra: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tumen"));
    c.arg("--data")
        .arg(data)
        .args(args)
        .env("TUMEN_PASSPHRASE", pass)
        .env_remove("TUMEN_USER")
        .env_remove("TUMEN_NEW_PASSPHRASE");
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().expect("run tumen")
}

fn tumen(data: &Path, args: &[&str]) -> Output {
    tumen_env(data, PW, &[], args)
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The demo archive with a canary in every confidential record's
/// description; returns a confidential record's id.
fn archive(dir: &Path) -> RecordId {
    let archive = Archive::init(dir, PW, InitOptions::insecure_fast_for_tests()).expect("init");
    let session = archive.session(local_administrator("kim"));
    let mut pending: Vec<Record> = include_str!("../../../data/demo/records.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json");
            if v["sensitivity"] == "confidential" {
                v["description"] = serde_json::json!(format!("{CANARY} seen at the border"));
            }
            serde_json::from_value(v).expect("record")
        })
        .collect();
    let id = pending
        .iter()
        .find(|r| r.envelope().sensitivity == Sensitivity::Confidential)
        .map(|r| r.id().clone())
        .expect("confidential");
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|r| session.create(r).is_err());
        assert!(pending.len() < before, "cannot create the demo records");
    }
    id
}

fn read_description(data: &Path, pass: &str, id: &RecordId) -> String {
    let a = Archive::open(data, pass).expect("open");
    let v = a
        .session(local_administrator("kim"))
        .get(id)
        .expect("get")
        .expect("exists");
    v.record.to_json()
}

#[test]
fn backup_and_restore_round_trip_without_a_clear_canary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    let ev = tmp.path().join("statement.txt");
    std::fs::write(&ev, format!("{CANARY} statement of the witness")).expect("w");
    let o = tumen(
        &data,
        &[
            "evidence",
            "add",
            ev.to_str().expect("e"),
            "--record",
            id.as_str(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = tumen(&data, &["verify"]);
    assert!(o.status.success(), "{}", text(&o));

    let bk = tmp.path().join("backup-1");
    let o = tumen(&data, &["backup", "--out", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
    let files = files_below(&bk);
    assert!(files.iter().any(|f| f.ends_with("manifest.json")));
    assert!(files.iter().any(|f| f.ends_with("keyring.json")));
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "tev"))
    );
    for f in &files {
        let b = std::fs::read(f).expect("read");
        assert!(
            !contains(&b, CANARY.as_bytes()),
            "canary in backup file {}",
            f.display()
        );
        assert!(
            !contains(&b, b"SQLite format 3"),
            "clear database in {}",
            f.display()
        );
    }

    let restored = tmp.path().join("restored");
    let o = tumen(&restored, &["restore", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        read_description(&restored, PW, &id),
        read_description(&data, PW, &id)
    );
    assert!(read_description(&restored, PW, &id).contains(CANARY));
    let o = tumen(&restored, &["verify"]);
    assert!(
        o.status.success() && text(&o).contains("intact"),
        "{}",
        text(&o)
    );
    let o = tumen(&restored, &["evidence", "verify"]);
    assert!(
        text(&o).contains("1 evidence file(s) checked, 1 intact"),
        "{}",
        text(&o)
    );
    // Restoring over a non-empty directory is refused.
    let o = tumen(&restored, &["restore", bk.to_str().expect("b")]);
    assert!(!o.status.success());
    assert!(text(&o).contains("is not empty"), "{}", text(&o));
}

#[test]
fn restore_with_a_wrong_passphrase_or_a_tampered_backup_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    let bk = tmp.path().join("bk");
    assert!(
        tumen(&data, &["backup", "--out", bk.to_str().expect("b")])
            .status
            .success()
    );

    let target = tmp.path().join("target");
    let o = tumen_env(
        &target,
        "not the passphrase",
        &[],
        &["restore", bk.to_str().expect("b")],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("wrong passphrase"), "{}", text(&o));
    assert!(!target.exists(), "a refused restore writes nothing");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // One byte of the database changed.
    let db = bk.join("tumen.db");
    let mut b = std::fs::read(&db).expect("db");
    let last = b.len() - 100;
    b[last] ^= 0x40;
    std::fs::write(&db, &b).expect("tamper");
    let o = tumen(&target, &["restore", bk.to_str().expect("b")]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("content differs for tumen.db"),
        "{}",
        text(&o)
    );
    assert!(!target.exists());
    b[last] ^= 0x40;
    std::fs::write(&db, &b).expect("untamper");
    // A file slipped in.
    std::fs::write(bk.join("extra.sh"), "#!/bin/sh").expect("extra");
    let o = tumen(&target, &["restore", bk.to_str().expect("b")]);
    assert!(
        text(&o).contains("file not in the manifest: extra.sh"),
        "{}",
        text(&o)
    );
    assert!(!target.exists());
    std::fs::remove_file(bk.join("extra.sh")).expect("rm");
    // Untouched again, it restores.
    let o = tumen(&target, &["restore", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn rekey_changes_the_passphrase_and_keeps_the_data() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    let before = read_description(&data, PW, &id);
    let o = tumen_env(
        &data,
        PW,
        &[("TUMEN_NEW_PASSPHRASE", "a new and long passphrase")],
        &["rekey"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = tumen(&data, &["verify"]);
    assert!(text(&o).contains("wrong passphrase"), "{}", text(&o));
    assert_eq!(
        read_description(&data, "a new and long passphrase", &id),
        before
    );
    let o = tumen_env(&data, "a new and long passphrase", &[], &["verify"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn k_recovery_shares_set_a_new_passphrase_and_k_minus_1_do_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    let before = read_description(&data, PW, &id);
    let o = tumen(
        &data,
        &["recovery", "split", "--trustees", "5", "--threshold", "3"],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let shares: Vec<String> = t
        .lines()
        .filter_map(|l| {
            l.split_once(": ")
                .filter(|(h, _)| h.starts_with("share "))
                .map(|(_, s)| s.to_string())
        })
        .collect();
    assert_eq!(shares.len(), 5, "{t}");
    // Shares are not kept anywhere in the data directory.
    for f in files_below(&data) {
        let b = std::fs::read(&f).expect("read");
        for s in &shares {
            assert!(!contains(&b, s.as_bytes()), "{}", f.display());
        }
    }
    let lost = "the passphrase nobody remembers";
    let new = "recovered by three trustees";
    let unlock = |picked: &[&String]| {
        let mut args = vec!["recovery", "unlock"];
        for s in picked {
            args.push("--share");
            args.push(s.as_str());
        }
        tumen_env(&data, lost, &[("TUMEN_NEW_PASSPHRASE", new)], &args)
    };
    // Two of three needed shares: refused, nothing changed.
    let o = unlock(&[&shares[0], &shares[3]]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("recovery"), "{}", text(&o));
    assert!(
        tumen(&data, &["verify"]).status.success(),
        "the old passphrase still works"
    );
    // A mistyped share is caught by its checksum.
    let mut typo = shares[1].clone();
    let c = if typo.ends_with('0') { '1' } else { '0' };
    typo.pop();
    typo.push(c);
    let o = unlock(&[&shares[0], &typo, &shares[2]]);
    assert!(!o.status.success(), "{}", text(&o));
    // Any three work.
    let o = unlock(&[&shares[4], &shares[1], &shares[2]]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(read_description(&data, new, &id), before);
    assert!(
        Archive::open(&data, PW).is_err(),
        "the old passphrase was replaced"
    );
    // The backup manifest records the split (no secret).
    let bk = tmp.path().join("bk");
    let o = tumen_env(
        &data,
        new,
        &[],
        &["backup", "--out", bk.to_str().expect("b")],
    );
    assert!(o.status.success(), "{}", text(&o));
    let m = std::fs::read_to_string(bk.join("manifest.json")).expect("manifest");
    assert!(
        m.contains("\"threshold\": 3") && m.contains("\"recovery\""),
        "{m}"
    );
}

#[test]
fn only_administrators_back_up_or_split_the_recovery_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    let pw = "blue-lantern-quietly-47";
    let o = tumen_env(
        &data,
        PW,
        &[("TUMEN_NEW_PASSWORD", pw)],
        &["user", "add", "ivy", "--role", "investigator"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let as_ivy = [("TUMEN_USER", "ivy"), ("TUMEN_USER_PASSWORD", pw)];
    let bk = tmp.path().join("bk");
    let o = tumen_env(
        &data,
        PW,
        &as_ivy,
        &["backup", "--out", bk.to_str().expect("b")],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the role does not permit this operation"),
        "{}",
        text(&o)
    );
    assert!(!bk.exists());
    let o = tumen_env(
        &data,
        PW,
        &as_ivy,
        &["recovery", "split", "--trustees", "3", "--threshold", "2"],
    );
    assert!(!o.status.success());
    assert!(!text(&o).contains("share 1"), "{}", text(&o));
}
