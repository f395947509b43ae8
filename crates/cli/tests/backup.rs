//! Backup (one encrypted file), restore, passphrase change, data-key
//! rotation and recovery through the binary.

mod common;
use common::{
    PW, Run, add_user, contains, files_below, planted_archive, printed_totp_secret, raw_connection,
    read_record, sqlcipher_key, text, totp_now,
};

use std::path::{Path, PathBuf};
use std::process::Output;
use tumen_model::{RecordId, Sensitivity};
use tumen_service::Archive;

const CANARY: &str = "CANARY3B";

fn tumen(data: &Path, args: &[&str]) -> Output {
    Run::admin(data).go(args)
}

/// The demo archive with canaries planted; returns a confidential record's id.
fn archive(dir: &Path) -> RecordId {
    let ids = planted_archive(dir, CANARY);
    let a = Archive::open(dir, PW).expect("open");
    let s = a.session(tumen_service::local_administrator("kim"));
    let id = ids.first().expect("confidential").clone();
    let v = s.get(&id).expect("get").expect("exists");
    assert_eq!(v.record.envelope().sensitivity, Sensitivity::Confidential);
    id
}

/// Attach a statement holding the canary to `id`.
fn add_evidence(tmp: &Path, data: &Path, id: &RecordId) {
    let ev = tmp.join("statement-of-the-witness.txt");
    std::fs::write(&ev, format!("{CANARY} statement of the witness")).expect("w");
    let o = tumen(
        data,
        &[
            "evidence",
            "add",
            ev.to_str().expect("e"),
            "--record",
            id.as_str(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

fn backup(data: &Path, out: &Path) {
    let o = tumen(data, &["backup", "--out", out.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Names in `dir` that a failed restore may have left behind.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("partial") || n.contains("snapshot"))
        .collect()
}

#[test]
fn backup_and_restore_round_trip_without_a_clear_canary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    add_evidence(tmp.path(), &data, &id);
    let o = tumen(&data, &["verify"]);
    assert!(o.status.success(), "{}", text(&o));

    let bk = tmp.path().join("archive.tumenbak");
    backup(&data, &bk);
    // One file, nothing else left beside it.
    assert!(bk.is_file());
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
    let b = std::fs::read(&bk).expect("read");
    assert!(b.starts_with(b"TUMENBK1"));
    // No clear record, evidence, database page, file name or manifest: the
    // only clear part is the keyring with its wrapped key.
    for needle in [
        CANARY.as_bytes(),
        b"SQLite format 3",
        b"statement-of-the-witness",
        b"manifest",
        b"tumen.db",
        b"originals",
        b".tev",
        b"-description-",
    ] {
        assert!(
            !contains(&b, needle),
            "{} found in the backup",
            String::from_utf8_lossy(needle)
        );
    }
    // The evidence and the database are in it: the file is larger than the
    // keyring by at least the evidence file.
    assert!(b.len() > 4096, "{}", b.len());

    let restored = tmp.path().join("restored");
    let o = tumen(&restored, &["restore", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("backup checked, then restored"),
        "{}",
        text(&o)
    );
    assert_eq!(read_record(&restored, PW, &id), read_record(&data, PW, &id));
    assert!(read_record(&restored, PW, &id).contains(CANARY));
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

    // An existing directory as --out: a file named after the time inside it.
    let dir = tmp.path().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    backup(&data, &dir);
    let inside = files_below(&dir);
    assert_eq!(inside.len(), 1, "{inside:?}");
    assert!(
        inside[0]
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("tumen-") && n.ends_with(".tumenbak")),
        "{inside:?}"
    );
}

/// A copy of the backup with `f` applied to its bytes.
fn altered(bk: &Path, name: &str, f: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut b = std::fs::read(bk).expect("read");
    f(&mut b);
    let p = bk.with_file_name(name);
    std::fs::write(&p, &b).expect("write");
    p
}

#[test]
fn restore_with_a_wrong_passphrase_or_a_tampered_backup_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    add_evidence(tmp.path(), &data, &id);
    let bk = tmp.path().join("bk.tumenbak");
    backup(&data, &bk);
    let len = std::fs::metadata(&bk).expect("meta").len() as usize;
    let target = tmp.path().join("target");
    let refused = |file: &Path, pass: &str, why: &str| {
        let o = Run::admin(&target)
            .passphrase(pass)
            .go(&["restore", file.to_str().expect("b")]);
        let t = text(&o);
        assert!(!o.status.success(), "{}: {t}", file.display());
        assert!(t.contains(why), "{}: {t}", file.display());
        assert!(!target.exists(), "a refused restore writes nothing");
        assert!(
            leftovers(tmp.path()).is_empty(),
            "{:?}",
            leftovers(tmp.path())
        );
    };

    refused(&bk, "not the passphrase", "wrong passphrase");
    // One byte changed: in the database near the start of the stream, in
    // the middle, near the end (the manifest).
    for (name, at) in [
        ("early.tumenbak", len / 8),
        ("middle.tumenbak", len / 2),
        ("late.tumenbak", len - 20),
    ] {
        let p = altered(&bk, name, |b| b[at] ^= 0x40);
        refused(&p, PW, "is damaged, truncated or altered");
    }
    // The clear keyring edited: the passphrase no longer opens it, or the
    // manifest no longer matches it.
    let p = altered(&bk, "keyring.tumenbak", |b| {
        let at = b.windows(7).position(|w| w == b"\"salt\":").expect("salt") + 10;
        b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    });
    refused(&p, PW, "wrong passphrase");
    // Truncated: in the middle, by one byte, to the clear prefix only.
    for (name, keep) in [("half.tumenbak", len / 2), ("short.tumenbak", len - 1)] {
        let p = altered(&bk, name, |b| b.truncate(keep));
        refused(&p, PW, "truncated");
    }
    let p = altered(&bk, "prefix.tumenbak", |b| {
        let n = u32::from_be_bytes([b[8], b[9], b[10], b[11]]) as usize;
        b.truncate(12 + n);
    });
    refused(&p, PW, "damaged");
    // Bytes appended.
    let p = altered(&bk, "longer.tumenbak", |b| b.extend_from_slice(&[0u8; 100]));
    refused(&p, PW, "is damaged, truncated or altered");
    // Not a backup at all, or a directory.
    let p = altered(&bk, "other.tumenbak", |b| b[0] = b'X');
    refused(&p, PW, "not a tumen backup file");
    refused(tmp.path(), PW, "is a directory");
    // Untouched, it restores.
    let o = tumen(&target, &["restore", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn rekey_changes_the_passphrase_and_keeps_the_data() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    let before = read_record(&data, PW, &id);
    let o = Run::admin(&data)
        .env("TUMEN_NEW_PASSPHRASE", "a new and long passphrase")
        .go(&["rekey"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = tumen(&data, &["verify"]);
    assert!(text(&o).contains("wrong passphrase"), "{}", text(&o));
    assert_eq!(read_record(&data, "a new and long passphrase", &id), before);
    let o = Run::admin(&data)
        .passphrase("a new and long passphrase")
        .go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Does `raw` (hex) open the SQLCipher database `db`?
fn opens(db: &Path, raw: &str) -> bool {
    raw_connection(db, raw)
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok()
}

#[test]
fn a_new_data_key_reencrypts_everything_and_the_old_key_opens_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    add_evidence(tmp.path(), &data, &id);
    add_user(&data, "ivy", "investigator", &[]);
    let o = tumen(&data, &["user", "totp", "enable", "ivy"]);
    assert!(o.status.success(), "{}", text(&o));
    let secret = printed_totp_secret(&o);
    let head = tmp.path().join("head.txt");
    let o = tumen(&data, &["verify", "--head"]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(&head, &o.stdout).expect("head");
    let before = read_record(&data, PW, &id);
    let old_raw = sqlcipher_key(&data, PW);
    let old_db = data.join(tumen_store::DB_FILE);
    assert!(
        opens(&old_db, &old_raw),
        "control: the old key opens the old file"
    );
    let old_files: Vec<(PathBuf, Vec<u8>)> = files_below(&data)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).expect("read");
            (p, b)
        })
        .collect();
    let old_evidence_key = {
        let kr = tumen_store::keyring::Keyring::load(&data).expect("keyring");
        kr.unlock(PW, &data.join("keyring.json"))
            .expect("unlock")
            .derive_subkey("evidence")
    };

    let o = tumen(&data, &["rekey", "--new-data-key"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("1 evidence file(s) and 1 second factor(s)"),
        "{t}"
    );

    // No file of the old generation is left, and no file is an old one.
    assert!(!old_db.exists());
    for (p, b) in &old_files {
        if p.ends_with("keyring.json") {
            continue;
        }
        assert!(!p.exists(), "{} survived the rotation", p.display());
        for q in files_below(&data) {
            assert_ne!(&std::fs::read(&q).expect("read"), b, "{}", q.display());
        }
    }
    // The old data key decrypts neither the new database nor the evidence.
    let kr = tumen_store::keyring::Keyring::load(&data).expect("keyring");
    let new_db = data.join(kr.db_file());
    assert!(new_db.is_file());
    assert!(
        !opens(&new_db, &old_raw),
        "the old key opens the new database"
    );
    assert!(opens(&new_db, &sqlcipher_key(&data, PW)));
    let with_old_key = tumen_evidence::EvidenceStore::open_dir(
        &data.join(kr.evidence_dir()),
        &old_evidence_key,
        tumen_evidence::Limits::default(),
    )
    .expect("open evidence");
    assert!(
        with_old_key.list().is_err(),
        "the old key reads the evidence"
    );
    // With the same passphrase everything reads, verifies and logs in.
    assert_eq!(read_record(&data, PW, &id), before);
    let o = tumen(&data, &["verify"]);
    assert!(
        o.status.success() && text(&o).contains("intact"),
        "{}",
        text(&o)
    );
    let o = tumen(&data, &["evidence", "verify"]);
    assert!(text(&o).contains("1 intact"), "{}", text(&o));
    let code = totp_now(&secret);
    let o = Run::as_user(&data, "ivy", common::USER_PW)
        .env("TUMEN_TOTP_CODE", code)
        .go(&["verify", "--no-checkpoint"]);
    assert!(o.status.success(), "{}", text(&o));
    // A head published before the rotation still checks, by the retired key.
    let o = tumen(
        &data,
        &["verify", "--check-head", head.to_str().expect("h")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("retired by a data-key rotation"),
        "{}",
        text(&o)
    );
    // Still no canary on disk.
    for f in files_below(&data) {
        let b = std::fs::read(&f).expect("read");
        assert!(!contains(&b, CANARY.as_bytes()), "{}", f.display());
    }
    // A backup of the new generation restores it whole.
    let bk = tmp.path().join("after.tumenbak");
    backup(&data, &bk);
    let restored = tmp.path().join("restored");
    let o = tumen(&restored, &["restore", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(read_record(&restored, PW, &id), before);
    let o = tumen(&restored, &["evidence", "verify"]);
    assert!(text(&o).contains("1 intact"), "{}", text(&o));
}

#[test]
fn k_recovery_shares_set_a_new_passphrase_and_k_minus_1_do_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let id = archive(&data);
    let before = read_record(&data, PW, &id);
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
        Run::admin(&data)
            .passphrase(lost)
            .env("TUMEN_NEW_PASSPHRASE", new)
            .go(&args)
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
    assert_eq!(read_record(&data, new, &id), before);
    assert!(
        Archive::open(&data, PW).is_err(),
        "the old passphrase was replaced"
    );
    // The backup's sealed manifest records the split (no secret), and the
    // restore says so.
    let bk = tmp.path().join("bk.tumenbak");
    let o = Run::admin(&data)
        .passphrase(new)
        .go(&["backup", "--out", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
    let o = Run::admin(&tmp.path().join("restored"))
        .passphrase(new)
        .go(&["restore", bk.to_str().expect("b")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("recovery shares also open it: 3 of 5"),
        "{}",
        text(&o)
    );
    // A new data key cannot be wrapped under the trustees' key: the
    // rotation says the split must be made again.
    let o = Run::admin(&data)
        .passphrase(new)
        .go(&["rekey", "--new-data-key"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("run `tumen recovery split` again"),
        "{}",
        text(&o)
    );
    let o = unlock(&[&shares[4], &shares[1], &shares[2]]);
    assert!(!o.status.success(), "{}", text(&o));
}

#[test]
fn only_administrators_back_up_or_split_the_recovery_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    add_user(&data, "ivy", "investigator", &[]);
    let as_ivy = Run::as_user(&data, "ivy", common::USER_PW);
    let bk = tmp.path().join("bk.tumenbak");
    let o = as_ivy.go(&["backup", "--out", bk.to_str().expect("b")]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the role does not permit this operation"),
        "{}",
        text(&o)
    );
    assert!(!bk.exists());
    let o = as_ivy.go(&["recovery", "split", "--trustees", "3", "--threshold", "2"]);
    assert!(!o.status.success());
    assert!(!text(&o).contains("share 1"), "{}", text(&o));
    let o = as_ivy.go(&["rekey", "--new-data-key"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the role does not permit this operation"),
        "{}",
        text(&o)
    );
}
