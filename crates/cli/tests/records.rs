//! End-to-end tests of the record commands through the `tumen` binary.

mod common;
use common::found_on_disk;
use std::path::Path;
use std::process::{Command, Output};

fn tumen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tumen"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("TUMEN_PASSPHRASE", "demo-passphrase")
        .env_remove("TUMEN_USER")
        .output()
        .expect("run tumen")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn demo_builds_summarizes_and_is_rerunnable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let o = tumen(&dir, &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = text(&o);
    assert!(
        out.contains("Mass forced repatriation of 9 October 2023"),
        "{out}"
    );
    assert!(out.contains("500–600"), "{out}");
    assert!(out.contains("Acts by type") && out.contains("forced repatriation"));
    assert!(out.contains("[fictional]"));
    // A second run opens the same archive and does not import twice.
    let o = tumen(&dir, &["demo"]);
    assert!(o.status.success());
    assert!(text(&o).contains("already built"));
    // The confidential Hangul name of the fictional witness is on no file.
    assert!(!found_on_disk(&dir, "김예시".as_bytes()));
    assert!(!found_on_disk(&dir, "金藝示".as_bytes()));
    // The public source title is not on disk in plaintext either.
    assert!(!found_on_disk(&dir, b"forcibly repatriates"));
}

#[test]
fn list_filters_by_quarter_and_act_type() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    assert!(tumen(&dir, &["demo"]).status.success());
    let o = tumen(
        &dir,
        &[
            "list",
            "--term",
            "act_type:forced_repatriation",
            "--date",
            "2023-Q4",
        ],
    );
    assert!(o.status.success());
    let out = text(&o);
    // Five crossings on 9 October 2023.
    for c in [
        "dandong-sinuiju",
        "changbai-hyesan",
        "helong-musan",
        "tumen-namyang",
        "hunchun-kyongwon",
    ] {
        assert!(
            out.contains(&format!("act-2023-10-09-{c}")),
            "{c} missing: {out}"
        );
    }
    // The August return is in Q3, not Q4.
    assert!(!out.contains("2023-08-29"), "{out}");
    let o = tumen(&dir, &["list", "--kind", "nonsense"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a record kind"));
}

#[test]
fn show_and_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    assert!(tumen(&dir, &["demo"]).status.success());
    let o = tumen(&dir, &["show", "src-yonhap-2023-10-11"]);
    assert!(o.status.success());
    assert!(text(&o).contains("Yonhap"));
    let o = tumen(&dir, &["show", "no-such-record"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
    let o = Command::new(env!("CARGO_BIN_EXE_tumen"))
        .arg("--data")
        .arg(&dir)
        .args(["list"])
        .env("TUMEN_PASSPHRASE", "wrong-passphrase")
        .env_remove("TUMEN_USER")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
}
