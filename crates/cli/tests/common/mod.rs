//! Helpers shared by the end-to-end tests: scanning a data directory for
//! plaintext that must never reach the disk; running the binary as the
//! local administrator or as a user; an encrypted archive holding the demo
//! dataset with canaries planted in every confidential place.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tumen_model::{Record, RecordId, Sensitivity};
use tumen_service::{Archive, InitOptions, local_administrator};

/// The archive passphrase of the test archives.
pub const PW: &str = "correct horse battery staple";
/// Password of the test users (passes the policy: 12+ characters, not common).
pub const USER_PW: &str = "blue-lantern-quietly-47";

/// One run of the binary on a data directory, as the local administrator
/// (the passphrase holder) or as a user; no account variable of the
/// surrounding environment leaks in.
pub struct Run<'a> {
    data: &'a Path,
    pass: &'a str,
    user: Option<(&'a str, &'a str)>,
    env: Vec<(&'a str, String)>,
}

impl<'a> Run<'a> {
    pub fn admin(data: &'a Path) -> Self {
        Run {
            data,
            pass: PW,
            user: None,
            env: vec![],
        }
    }
    pub fn as_user(data: &'a Path, name: &'a str, pw: &'a str) -> Self {
        Run {
            user: Some((name, pw)),
            ..Run::admin(data)
        }
    }
    /// Use another archive passphrase.
    pub fn passphrase(mut self, pass: &'a str) -> Self {
        self.pass = pass;
        self
    }
    pub fn env(mut self, k: &'a str, v: impl Into<String>) -> Self {
        self.env.push((k, v.into()));
        self
    }
    pub fn go(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tumen"));
        c.arg("--data")
            .arg(self.data)
            .args(args)
            .env("TUMEN_PASSPHRASE", self.pass)
            .env_remove("TUMEN_USER")
            .env_remove("TUMEN_USER_PASSWORD")
            .env_remove("TUMEN_TOTP_CODE")
            .env_remove("TUMEN_NEW_PASSWORD")
            .env_remove("TUMEN_NEW_PASSPHRASE");
        if let Some((u, p)) = self.user {
            c.env("TUMEN_USER", u).env("TUMEN_USER_PASSWORD", p);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.output().expect("run tumen")
    }
}

/// Standard output and error of a run, for assertions and messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The demo records with `canary` in every confidential place: a
/// description on every record (`{canary}-description-{n}-{kind}`),
/// labelled confidential where the record itself is not confidential or
/// case-limited, and an alias name (`{canary}-name-{n}`) on every
/// confidential or case-limited record.
pub fn planted(canary: &str) -> Vec<Record> {
    let text = include_str!("../../../../data/demo/records.jsonl");
    let mut out = Vec::new();
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("demo line");
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        let confidential = v["sensitivity"] == "confidential";
        let limited = v["access_groups"].as_array().is_some_and(|g| !g.is_empty());
        v["description"] = serde_json::json!(format!("{canary}-description-{n}-{kind}"));
        if !confidential && !limited {
            v["field_sensitivity"]["description"] = serde_json::json!("confidential");
        }
        if confidential || limited {
            if let Some(names) = v.get_mut("names").and_then(|n| n.as_array_mut()) {
                names.push(serde_json::json!({"text": format!("{canary}-name-{n}"), "script": "latin", "kind": "alias"}));
            }
        }
        out.push(serde_json::from_value(v).expect("record"));
    }
    out
}

/// A new archive in `dir` (passphrase [`PW`]) holding the demo records
/// planted with `canary`; returns the ids of its confidential records.
pub fn planted_archive(dir: &Path, canary: &str) -> Vec<RecordId> {
    let archive = Archive::init(dir, PW, InitOptions::insecure_fast_for_tests()).expect("init");
    let session = archive.session(local_administrator("kim"));
    let mut pending = planted(canary);
    let confidential: Vec<RecordId> = pending
        .iter()
        .filter(|r| r.envelope().sensitivity == Sensitivity::Confidential)
        .map(|r| r.id().clone())
        .collect();
    assert!(
        !confidential.is_empty(),
        "the demo has confidential records"
    );
    // Create in dependency order: retry what refers to records not yet there.
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
    confidential
}

/// Add a user (password [`USER_PW`]) through the binary, as the administrator.
pub fn add_user(data: &Path, name: &str, role: &str, groups: &[&str]) {
    let mut args = vec!["user", "add", name, "--role", role];
    for g in groups {
        args.push("--group");
        args.push(g);
    }
    let o = Run::admin(data)
        .env("TUMEN_NEW_PASSWORD", USER_PW)
        .go(&args);
    assert!(o.status.success(), "{}", text(&o));
}

/// The JSON of a record as the administrator reads it with `pass`.
pub fn read_record(data: &Path, pass: &str, id: &RecordId) -> String {
    let a = Archive::open(data, pass).expect("open");
    let v = a
        .session(local_administrator("kim"))
        .get(id)
        .expect("get")
        .expect("exists");
    v.record.to_json()
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Does `hay` contain `needle` as a byte run?
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Does any file below `dir` contain `needle`?
pub fn found_on_disk(dir: &Path, needle: &[u8]) -> bool {
    files_below(dir)
        .iter()
        .any(|p| contains(&std::fs::read(p).unwrap_or_default(), needle))
}

/// The raw SQLCipher key (hex) of the archive's current data key, as an
/// intruder who copied an unlocked machine's memory would hold it.
pub fn sqlcipher_key(data: &Path, pass: &str) -> String {
    let kr = tumen_store::keyring::Keyring::load(data).expect("keyring");
    let key = kr.unlock(pass, &data.join("keyring.json")).expect("unlock");
    let k = key.derive_subkey("sqlcipher-database");
    k.iter().map(|b| format!("{b:02x}")).collect()
}

/// Open the SQLCipher database file `db` with the raw key `raw` (hex), as
/// an intruder with the key and SQL would — told the page HMAC by the
/// keyring beside the file, as anyone who reads the keyring can be.
pub fn raw_connection(db: &Path, raw: &str) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).expect("open db");
    let dir = db.parent().expect("the database is in a directory");
    // The page format the keyring beside the file records (SQLCipher 4's
    // default when there is none).
    let format = tumen_store::keyring::Keyring::load(dir)
        .map(|kr| kr.page_format())
        .unwrap_or_default();
    tumen_store::sqlite::key_connection(&c, raw, format).expect("key");
    c
}

/// The TOTP secret `tumen user totp enable` printed (once).
pub fn printed_totp_secret(o: &Output) -> tumen_protect::accounts::TotpSecret {
    let t = text(o);
    let b32 = t
        .lines()
        .find_map(|l| l.strip_prefix("secret: "))
        .expect("secret printed once")
        .trim()
        .to_string();
    tumen_protect::accounts::TotpSecret::from_base32(&b32).expect("base32")
}

/// The one-time code of `secret` now.
pub fn totp_now(secret: &tumen_protect::accounts::TotpSecret) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let cfg = tumen_protect::accounts::TotpConfig::default();
    tumen_protect::accounts::totp_code(secret, now, &cfg).expect("code")
}
