//! Issue 6 through the binary: users, roles and need-to-know, lock-out, the
//! second factor, confidential reads in the ledger, tampering found by
//! `tumen verify`, and canaries that must never reach a file or an output.
//!
//! Archives are created in the test process with cheap key derivation
//! (`InitOptions::insecure_fast_for_tests`); the binary then runs with
//! `--data DIR` and `TUMEN_PASSPHRASE`, acting as a user with `--user NAME`
//! and `TUMEN_USER_PASSWORD`.

mod common;
use common::{
    PW, Run, USER_PW, add_user, contains, files_below, planted_archive, printed_totp_secret,
    raw_connection, sqlcipher_key, text, totp_now,
};

use std::path::{Path, PathBuf};
use tumen_model::RecordId;
use tumen_service::{Actor, Archive, Role, local_administrator};

const CANARY: &str = "CANARY9Z";

/// An archive with the planted demo data; returns the ids of its
/// confidential records.
fn archive(dir: &Path) -> Vec<RecordId> {
    planted_archive(dir, CANARY)
}

fn write_policy(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("pseudonym.key");
    std::fs::write(&key, "11".repeat(32)).expect("key");
    let pol = dir.join("policy.json");
    let policy = serde_json::json!({
        "k": 2,
        "include_fictional": true,
        "on_small_class": "suppress",
        "kinds": {
            "person": {"fields": ["sex", "birth_date", "origin", "categories", "group_size", "status_history", "description", "claims"],
                        "dates": {"birth_date": "year"},
                        "quasi_identifiers": ["sex", "birth_date"]},
            "event": {"fields": ["event_type", "title", "date", "places", "people_affected", "description", "claims"]},
            "act": {"fields": ["act_type", "victims", "date", "place", "event", "description", "claims"]},
            "source": {"fields": ["source_type", "title", "publisher", "date", "url", "description"]}
        }
    });
    std::fs::write(&pol, policy.to_string()).expect("policy");
    (pol, key)
}

#[test]
fn role_matrix_through_the_binary() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    add_user(&data, "ana", "analyst", &[]);
    add_user(&data, "rey", "reviewer", &[]);
    add_user(&data, "ivy", "investigator", &["case-7"]);

    // The administrator lists users: names, roles, groups; no hash.
    let o = Run::admin(&data).go(&["user", "list"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("ana\tanalyst") && t.contains("ivy\tinvestigator\tcase-7"),
        "{t}"
    );
    assert!(!t.contains("$argon2id$"), "{t}");

    // Only administrators manage users.
    for (who, args) in [
        ("ana", vec!["user", "list"]),
        ("ana", vec!["user", "unlock", "rey"]),
        ("ivy", vec!["user", "add", "eve", "--role", "administrator"]),
        ("rey", vec!["user", "passwd", "ana"]),
    ] {
        let o = Run::as_user(&data, who, USER_PW)
            .env("TUMEN_NEW_PASSWORD", "another-long-password-9")
            .go(&args);
        let t = text(&o);
        assert!(!o.status.success(), "{who} {args:?} was allowed: {t}");
        assert!(t.contains("the role does not permit this operation"), "{t}");
    }
    // No escalation happened.
    let t = text(&Run::admin(&data).go(&["user", "list"]));
    assert!(!t.contains("eve"), "{t}");

    // Verification reads every revision: investigators yes, analysts no.
    let o = Run::as_user(&data, "ivy", USER_PW).go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = Run::as_user(&data, "ana", USER_PW).go(&["verify"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the record's sensitivity is above the role's clearance"),
        "{}",
        text(&o)
    );

    // Publishing: a reviewer may, an analyst may not.
    let (pol, key) = write_policy(tmp.path());
    let publish = |who: &str, out: &Path| {
        Run::as_user(&data, who, USER_PW).go(&[
            "publish",
            "--policy",
            pol.to_str().expect("p"),
            "--out",
            out.to_str().expect("o"),
            "--pseudonym-key-file",
            key.to_str().expect("k"),
        ])
    };
    let o = publish("ana", &tmp.path().join("pub-ana"));
    assert!(!o.status.success(), "{}", text(&o));
    assert!(!tmp.path().join("pub-ana").exists());
    let out = tmp.path().join("pub-rey");
    let o = publish("rey", &out);
    assert!(o.status.success(), "{}", text(&o));
    let published = std::fs::read_to_string(out.join("records.jsonl")).expect("published");
    assert!(published.lines().count() > 10, "{published}");
    assert!(
        !published.contains(CANARY),
        "canary in a reviewer's publication"
    );
}

#[test]
fn wrong_password_is_refused_and_repeated_failures_lock_the_account() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    add_user(&data, "ana", "analyst", &[]);

    let wrong = Run::as_user(&data, "ana", "not-her-password-at-all").go(&["verify"]);
    let t = text(&wrong);
    assert!(!wrong.status.success());
    assert!(
        t.contains("login refused for user ana: wrong user name or password"),
        "{t}"
    );
    // An unknown user gets the same words.
    let o = Run::as_user(&data, "nobody", USER_PW).go(&["verify"]);
    assert!(text(&o).contains("login refused for user nobody: wrong user name or password"));

    // Four more failures (five in all) lock the account…
    for _ in 0..4 {
        let o = Run::as_user(&data, "ana", "still-not-her-password").go(&["user", "list"]);
        assert!(!o.status.success());
    }
    // …so that even the right password is refused, without being checked.
    let o = Run::as_user(&data, "ana", USER_PW).go(&["publish", "--help"]);
    assert!(o.status.success(), "help needs no login");
    let o = Run::as_user(&data, "ana", USER_PW).go(&["user", "list"]);
    let t = text(&o);
    assert!(!o.status.success());
    assert!(
        t.contains("the account is locked after repeated failures"),
        "{t}"
    );
    let t = text(&Run::admin(&data).go(&["user", "list"]));
    assert!(t.contains("ana\tanalyst\t\tno\tlocked until"), "{t}");

    // The administrator unlocks; the right password works again (the
    // analyst is then refused for the operation, not the login).
    let o = Run::admin(&data).go(&["user", "unlock", "ana"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = Run::as_user(&data, "ana", USER_PW).go(&["user", "list"]);
    let t = text(&o);
    assert!(t.contains("the role does not permit this operation"), "{t}");

    // Lock and disable by hand.
    assert!(
        Run::admin(&data)
            .go(&["user", "lock", "ana"])
            .status
            .success()
    );
    let t = text(&Run::as_user(&data, "ana", USER_PW).go(&["user", "list"]));
    assert!(t.contains("the account is disabled"), "{t}");
}

#[test]
fn a_weak_password_is_refused_and_passwd_changes_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    let o = Run::admin(&data)
        .env("TUMEN_NEW_PASSWORD", "short")
        .go(&["user", "add", "bo", "--role", "analyst"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("password refused"), "{}", text(&o));
    assert!(!text(&o).contains("short\n"));
    add_user(&data, "bo", "investigator", &[]);
    let o = Run::admin(&data)
        .env("TUMEN_NEW_PASSWORD", "a-brand-new-long-password")
        .go(&["user", "passwd", "bo"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !Run::as_user(&data, "bo", USER_PW)
            .go(&["verify"])
            .status
            .success()
    );
    let o = Run::as_user(&data, "bo", "a-brand-new-long-password").go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn second_factor_is_required_once_enrolled_and_a_code_is_not_reused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    add_user(&data, "ivy", "investigator", &[]);
    let o = Run::admin(&data).go(&["user", "totp", "enable", "ivy"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let secret = printed_totp_secret(&o);
    assert!(t.contains("otpauth://totp/tumen:ivy?secret="), "{t}");

    // Without a code (and no terminal to ask) the login is refused.
    let o = Run::as_user(&data, "ivy", USER_PW).go(&["verify"]);
    assert!(!o.status.success());
    let code = totp_now(&secret);
    let wrong = format!(
        "{:06}",
        (code.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let o = Run::as_user(&data, "ivy", USER_PW)
        .env("TUMEN_TOTP_CODE", wrong)
        .go(&["verify"]);
    assert!(
        text(&o).contains("wrong or reused one-time code"),
        "{}",
        text(&o)
    );
    let o = Run::as_user(&data, "ivy", USER_PW)
        .env("TUMEN_TOTP_CODE", code.clone())
        .go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // The same code again (seen over a shoulder) is refused.
    let o = Run::as_user(&data, "ivy", USER_PW)
        .env("TUMEN_TOTP_CODE", code)
        .go(&["verify"]);
    assert!(
        text(&o).contains("wrong or reused one-time code"),
        "{}",
        text(&o)
    );
    // The secret is not in any file of the data directory.
    for f in files_below(&data) {
        let b = std::fs::read(&f).expect("read");
        assert!(
            !contains(&b, secret.to_base32().as_bytes()),
            "{}",
            f.display()
        );
    }
}

#[test]
fn confidential_reads_are_in_the_ledger_and_verify_reports_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let confidential = archive(&data);
    let id = confidential.first().expect("one").clone();
    {
        let archive = Archive::open(&data, PW).expect("open");
        let investigator = Actor {
            user: "ivy".into(),
            role: Role::Investigator,
            groups: vec![],
        };
        let analyst = Actor {
            user: "ana".into(),
            role: Role::Analyst,
            groups: vec![],
        };
        // Refused reads are not accesses; granted ones are.
        assert!(archive.session(analyst).get(&id).expect("get").is_none());
        let v = archive.session(investigator.clone()).get(&id).expect("get");
        assert!(v.is_some());
        archive.session(investigator).history(&id).expect("history");
    }
    let o = Run::admin(&data).go(&["verify"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("intact"), "{t}");
    assert!(
        t.contains("of which 2 record confidential reads and 0 evidence custody events"),
        "{t}"
    );
    let o = Run::admin(&data).go(&["verify", "--reads", "--no-checkpoint"]);
    let t = text(&o);
    let reads: Vec<&str> = t.lines().filter(|l| l.starts_with("read\t")).collect();
    assert_eq!(reads.len(), 2, "{t}");
    assert!(reads[0].ends_with(&format!("\tivy\t{id}\tread")), "{t}");
    assert!(reads[1].ends_with(&format!("\tivy\t{id}\thistory")), "{t}");
    // The entries name the reader and the record, not its content.
    let s = tumen_store::SqliteStore::open(&data, PW).expect("open");
    use tumen_store::Store;
    let leaves = s.ledger_leaves(1, 100_000).expect("leaves");
    let access: Vec<_> = leaves
        .iter()
        .filter_map(|l| tumen_store::leaf::AccessLeaf::decode(&l.bytes))
        .collect();
    assert_eq!(access.len(), 2);
    assert_eq!(access[0].actor, "ivy");
    assert_eq!(access[0].id, id.as_str());
    assert_eq!(
        (access[0].how.as_str(), access[1].how.as_str()),
        ("read", "history")
    );
    assert!(
        leaves
            .iter()
            .all(|l| !contains(&l.bytes, CANARY.as_bytes()))
    );
}

/// Open the encrypted database directly, as an intruder who has the
/// passphrase and SQL would, to tamper with it.
fn raw_db(data: &Path) -> rusqlite::Connection {
    raw_connection(&data.join(tumen_store::DB_FILE), &sqlcipher_key(data, PW))
}

#[test]
fn tampered_rows_are_named_by_verify() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let confidential = archive(&data);
    {
        let archive = Archive::open(&data, PW).expect("open");
        archive
            .session(local_administrator("kim"))
            .get(&confidential[0])
            .expect("get");
    }
    // A clean check keeps a signed head as a checkpoint.
    let o = Run::admin(&data).go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("checkpoint"), "{}", text(&o));

    // 1. A revision's body changed behind the store's back.
    let c = raw_db(&data);
    c.execute_batch("DROP TRIGGER revisions_no_update; DROP TRIGGER ledger_no_update;")
        .expect("drop triggers");
    c.execute(
        "UPDATE revisions SET body = replace(body, 'defector', 'smuggler') WHERE seq = 3",
        [],
    )
    .expect("tamper");
    drop(c);
    let o = Run::admin(&data).go(&["verify"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("first bad entry at leaf index 2"), "{t}");
    assert!(!t.contains(CANARY), "{t}");
}

#[test]
fn a_tampered_access_entry_breaks_the_signed_head() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let confidential = archive(&data);
    {
        let archive = Archive::open(&data, PW).expect("open");
        archive
            .session(local_administrator("kim"))
            .get(&confidential[0])
            .expect("get");
    }
    let o = Run::admin(&data).go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // Rewrite who read the record: the entry stays well formed, so only the
    // signed head kept by the previous check can tell.
    let c = raw_db(&data);
    c.execute_batch("DROP TRIGGER ledger_no_update;")
        .expect("drop");
    let (seq, bytes): (i64, Vec<u8>) = c
        .query_row(
            "SELECT seq, leaf FROM ledger WHERE substr(leaf, 1, 1) = x'03'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("access entry");
    let mut l = tumen_store::leaf::AccessLeaf::decode(&bytes).expect("decode");
    assert_eq!(l.actor, "kim");
    l.actor = "lee".into();
    c.execute(
        "UPDATE ledger SET leaf = ?1 WHERE seq = ?2",
        rusqlite::params![l.encode(), seq],
    )
    .expect("tamper");
    drop(c);
    let o = Run::admin(&data).go(&["verify"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("NOT INTACT"), "{t}");
}

#[test]
fn canary_never_on_disk_nor_in_an_analysts_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let confidential = archive(&data);
    add_user(&data, "ana", "analyst", &[]);
    add_user(&data, "rey", "reviewer", &[]);
    {
        // Confidential reads happened (access entries are in the ledger).
        let archive = Archive::open(&data, PW).expect("open");
        let s = archive.session(local_administrator("kim"));
        for id in &confidential {
            assert!(s.get(id).expect("get").is_some());
        }
    }
    let (pol, key) = write_policy(tmp.path());
    let out = tmp.path().join("public");
    let mut outputs = Vec::new();
    for (who, args) in [
        ("ana", vec!["verify"]),
        ("ana", vec!["verify", "--json"]),
        ("ana", vec!["user", "list"]),
        (
            "ana",
            vec![
                "publish",
                "--policy",
                pol.to_str().expect("p"),
                "--out",
                out.to_str().expect("o"),
                "--pseudonym-key-file",
                key.to_str().expect("k"),
            ],
        ),
        (
            "rey",
            vec![
                "publish",
                "--policy",
                pol.to_str().expect("p"),
                "--out",
                out.to_str().expect("o"),
                "--pseudonym-key-file",
                key.to_str().expect("k"),
            ],
        ),
    ] {
        let o = Run::as_user(&data, who, USER_PW).go(&args);
        outputs.push(text(&o));
    }
    for t in &outputs {
        assert!(!t.contains(CANARY), "canary in an analyst's output: {t}");
    }
    // The control: the administrator's archive really holds the canary.
    {
        let archive = Archive::open(&data, PW).expect("open");
        let v = archive
            .session(local_administrator("kim"))
            .get(&confidential[0])
            .expect("get")
            .expect("exists");
        assert!(v.record.to_json().contains(CANARY));
    }
    let mut n = 0;
    for f in files_below(&data).into_iter().chain(files_below(&out)) {
        let b = std::fs::read(&f).expect("read");
        assert!(
            !contains(&b, CANARY.as_bytes()),
            "canary in {}",
            f.display()
        );
        n += 1;
    }
    assert!(
        n >= 3,
        "the data directory and the publication were scanned"
    );
}

#[test]
fn account_changes_are_in_the_ledger_and_a_changed_accounts_table_is_found() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    add_user(&data, "ana", "analyst", &[]);
    let steps: [&[&str]; 4] = [
        &[
            "user",
            "role",
            "ana",
            "--role",
            "investigator",
            "--group",
            "case-1",
        ],
        &["user", "lock", "ana", "--minutes", "5"],
        &["user", "unlock", "ana"],
        &["user", "totp", "enable", "ana"],
    ];
    for args in steps {
        let o = Run::admin(&data).go(args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let new_pw = "a-second-long-password-31";
    let o = Run::admin(&data)
        .env("TUMEN_NEW_PASSWORD", new_pw)
        .go(&["user", "passwd", "ana"]);
    assert!(o.status.success(), "{}", text(&o));
    // Each change is an entry: who, which account, what, the state after.
    let s = tumen_store::SqliteStore::open(&data, PW).expect("open");
    use tumen_store::{SecurityStore, Store};
    let leaves = s.ledger_leaves(1, 100_000).expect("leaves");
    let entries: Vec<_> = leaves
        .iter()
        .filter_map(|l| tumen_store::leaf::AccountLeaf::decode(&l.bytes))
        .collect();
    let whats: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.user.as_str(), e.what.as_str()))
        .collect();
    assert_eq!(
        whats,
        [
            ("cli", "ana", "add"),
            ("cli", "ana", "role"),
            ("cli", "ana", "lock"),
            ("cli", "ana", "unlock"),
            ("cli", "ana", "totp"),
            ("cli", "ana", "passwd"),
        ]
    );
    let last = entries.last().expect("entries");
    assert_eq!(
        (
            last.role.as_str(),
            last.groups.as_str(),
            last.disabled,
            last.totp
        ),
        ("investigator", "case-1", false, true)
    );
    // No password, hash or TOTP secret in any entry.
    let row = s.user("ana").expect("user").expect("ana");
    let sealed = row.totp.clone().expect("totp");
    for l in &leaves {
        for needle in [
            USER_PW.as_bytes(),
            new_pw.as_bytes(),
            row.password_hash.as_bytes(),
            b"$argon2id",
            sealed.as_bytes(),
        ] {
            assert!(!contains(&l.bytes, needle));
        }
    }
    drop(s);
    let o = Run::admin(&data).go(&["verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("6 account changes"), "{}", text(&o));

    // A role raised in the table behind tumen's back is found.
    let c = raw_db(&data);
    c.execute(
        "UPDATE users SET role = 'administrator' WHERE name = 'ana'",
        [],
    )
    .expect("tamper");
    drop(c);
    let o = Run::admin(&data).go(&["verify", "--no-checkpoint"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("account ana differs from its last ledger entry: role administrator (ledger: investigator)"),
        "{t}"
    );
    // So is an account slipped into the table.
    let c = raw_db(&data);
    c.execute(
        "UPDATE users SET role = 'investigator' WHERE name = 'ana'",
        [],
    )
    .expect("untamper");
    c.execute(
        "INSERT INTO users (name, role, groups, password_hash, totp, failures, locked_until, disabled, created_at, updated_at) \
         SELECT 'mallory', 'administrator', '[]', password_hash, NULL, '[]', NULL, 0, created_at, updated_at FROM users WHERE name = 'ana'",
        [],
    )
    .expect("insert");
    drop(c);
    let o = Run::admin(&data).go(&["verify", "--no-checkpoint"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("account mallory is in the accounts table but no ledger entry created it"),
        "{t}"
    );
    assert!(!t.contains("account ana"), "{t}");
}

/// The record commands of issue 2 — export, timeline, stats, history,
/// list by text — go through the same access layer: an analyst (restricted
/// clearance, no case group) and a public reader see no canary in any of
/// them, whatever `--include` asks for; the administrator does (control).
#[test]
fn export_timeline_stats_and_history_hide_confidential_canaries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let confidential = archive(&data);
    add_user(&data, "ana", "analyst", &[]);
    add_user(&data, "pia", "public_reader", &[]);
    let admin = Run::admin(&data).go(&["export", "--include", "confidential"]);
    assert!(admin.status.success(), "{}", text(&admin));
    assert!(
        text(&admin).contains(CANARY),
        "control: the canaries are there"
    );
    let target = confidential[0].to_string();
    for user in ["ana", "pia"] {
        let run = Run::as_user(&data, user, USER_PW);
        for args in [
            &["export", "--include", "confidential"][..],
            &[
                "export",
                "--format",
                "csv",
                "--kind",
                "person",
                "--include",
                "confidential",
            ],
            &["timeline", "--json"],
            &["stats", "--json"],
            &["list", "--text", CANARY],
            &["history", &target, "--json"],
            &["show", &target],
        ] {
            let o = run.go(args);
            assert!(
                !text(&o).contains(CANARY),
                "{user} {args:?} shows a canary: {}",
                text(&o)
            );
        }
        // The confidential record is "not found", as if it did not exist.
        let o = run.go(&["history", &target]);
        assert!(!o.status.success());
        assert!(text(&o).contains("does not exist"), "{}", text(&o));
    }
}
