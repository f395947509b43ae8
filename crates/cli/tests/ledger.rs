//! `tumen verify` through the binary, on an archive written by the real
//! store: a clean check, publishing a head, checking a published head (and
//! refusing forged or altered ones), and an inclusion proof that an outside
//! party re-verifies with nothing but the printed numbers.

use std::path::Path;
use std::process::{Command, Output};
use tumen_ledger::{PublicKey, SignedTreeHead, leaf_hash, verify_consistency, verify_inclusion};
use tumen_model::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
use tumen_store::{Expect, InitOptions, Put, SqliteStore, Store};

const PW: &str = "correct horse battery staple";

fn tumen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tumen"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("TUMEN_PASSPHRASE", PW)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn archive(dir: &Path, records: usize) {
    let mut s = SqliteStore::init_with(dir, PW, InitOptions::insecure_fast_for_tests()).unwrap();
    add(&mut s, 0, records);
}

fn add(s: &mut SqliteStore, from: usize, to: usize) {
    for i in from..to {
        let id = RecordId::new(format!("src-{i}")).unwrap();
        let env = Envelope {
            id,
            kind: RecordKind::Source,
            sensitivity: Sensitivity::Public,
            access_groups: vec![],
        };
        let put = Put {
            envelope: env,
            index: IndexTerms::default(),
            body: format!("{{\"n\":{i}}}"),
            expect: Expect::Absent,
        };
        s.put("kim", put).unwrap();
    }
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn tohex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex32(s: &str) -> [u8; 32] {
    unhex(s).try_into().unwrap()
}

#[test]
fn verify_head_check_head_and_prove() {
    let d = tempfile::tempdir().unwrap();
    archive(d.path(), 5);

    let o = tumen(d.path(), &["verify"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("ledger: 5 entries"), "{out}");
    assert!(out.contains("intact"), "{out}");

    // The public key, published once.
    let o = tumen(d.path(), &["verify", "--public-key", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pk = PublicKey::from_hex(v["public_key"].as_str().unwrap()).unwrap();

    // A head for publication: a text block anyone can check with the key.
    let o = tumen(d.path(), &["verify", "--head"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let published = stdout(&o);
    let sth = SignedTreeHead::from_text(&published).unwrap();
    sth.verify(&pk).unwrap();
    assert_eq!(sth.head.size, 5);
    let head_file = d.path().join("head-in-report.txt");
    std::fs::write(
        &head_file,
        format!("Annex 3 of the report.\n\n{published}\n"),
    )
    .unwrap();

    // The archive grows; the published head is still consistent.
    {
        let mut s = SqliteStore::open(d.path(), PW).unwrap();
        add(&mut s, 5, 12);
    }
    let o = tumen(
        d.path(),
        &[
            "verify",
            "--check-head",
            head_file.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["consistent"], true);
    assert_eq!(v["old_size"], 5);
    assert_eq!(v["new_size"], 12);
    // Check the proof independently of the binary.
    let proof: Vec<[u8; 32]> = v["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex32(h.as_str().unwrap()))
        .collect();
    let new = SignedTreeHead::from_text(v["new_head"].as_str().unwrap()).unwrap();
    new.verify(&pk).unwrap();
    verify_consistency(5, 12, &sth.head.root, &new.head.root, &proof).unwrap();

    // Forged heads are refused: altered root, altered size, another key.
    let forged = published.replace(&tohex(&sth.head.root), &tohex(&[7u8; 32]));
    std::fs::write(&head_file, &forged).unwrap();
    let o = tumen(
        d.path(),
        &["verify", "--check-head", head_file.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not signed by this archive's ledger key"));
    std::fs::write(&head_file, published.replace("size: 5", "size: 4")).unwrap();
    assert!(
        !tumen(
            d.path(),
            &["verify", "--check-head", head_file.to_str().unwrap()]
        )
        .status
        .success()
    );
    let other = tumen_ledger::LedgerKey::from_seed(&[3; 32]);
    std::fs::write(&head_file, sth.head.sign(&other).to_text()).unwrap();
    let o = tumen(
        d.path(),
        &["verify", "--check-head", head_file.to_str().unwrap()],
    );
    assert!(!o.status.success());
    // A genuine head that claims more entries than the ledger has: truncation.
    let mut long = sth;
    long.head.size = 40;
    // (re-signing needs the key; a forged size is refused before that.)
    std::fs::write(&head_file, long.to_text()).unwrap();
    assert!(
        !tumen(
            d.path(),
            &["verify", "--check-head", head_file.to_str().unwrap()]
        )
        .status
        .success()
    );

    // An inclusion proof for one revision, re-verified here from its numbers.
    let o = tumen(d.path(), &["verify", "--prove", "src-7@1", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let index = v["leaf_index"].as_u64().unwrap();
    let size = v["tree_size"].as_u64().unwrap();
    assert_eq!((index, size), (7, 12));
    let entry = unhex(v["entry"].as_str().unwrap());
    let proof: Vec<[u8; 32]> = v["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex32(h.as_str().unwrap()))
        .collect();
    let head = SignedTreeHead::from_text(v["head"].as_str().unwrap()).unwrap();
    head.verify(&pk).unwrap();
    verify_inclusion(index, size, &leaf_hash(&entry), &proof, &head.head.root).unwrap();
    // The entry names the record and revision.
    assert!(entry.windows(5).any(|w| w == b"src-7"));

    let o = tumen(d.path(), &["verify", "--prove", "src-99@1"]);
    assert!(!o.status.success());
    let o = tumen(d.path(), &["verify", "--prove", "no-at-sign"]);
    assert!(!o.status.success());
}

#[test]
fn wrong_passphrase_is_refused() {
    let d = tempfile::tempdir().unwrap();
    archive(d.path(), 1);
    let o = Command::new(env!("CARGO_BIN_EXE_tumen"))
        .arg("--data")
        .arg(d.path())
        .args(["verify"])
        .env("TUMEN_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(!o.status.success());
}
