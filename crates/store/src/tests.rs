//! Tests of the SQLite store through the public trait: round trip,
//! transactions, migrations, filters, history, concurrency, references,
//! ledger, and encryption at rest (canary scans, header, wrong passphrase).

use crate::*;
use std::path::Path;
use tumen_model::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};

const PW: &str = "correct horse battery staple";

fn rid(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}

fn new_store(dir: &Path) -> SqliteStore {
    SqliteStore::init_with(dir, PW, InitOptions::insecure_fast_for_tests()).unwrap()
}

fn env(id: &str, kind: RecordKind, s: Sensitivity) -> Envelope {
    Envelope {
        id: rid(id),
        kind,
        sensitivity: s,
        access_groups: vec![],
    }
}

fn put(id: &str, kind: RecordKind, index: IndexTerms, body: &str) -> Put {
    Put {
        envelope: env(id, kind, Sensitivity::Restricted),
        index,
        body: body.to_string(),
        expect: Expect::Absent,
    }
}

fn place(id: &str, parent: Option<&str>) -> Put {
    let ix = IndexTerms {
        parent: parent.map(rid),
        refs: parent.map(rid).into_iter().collect(),
        text: vec![id.to_string()],
        ..Default::default()
    };
    put(
        id,
        RecordKind::Place,
        ix,
        &format!(r#"{{"kind":"place","id":"{id}"}}"#),
    )
}

fn act(id: &str, lo: i64, hi: i64, at: &str, term: &str, victim: &str) -> Put {
    let ix = IndexTerms {
        date_lo: Some(lo),
        date_hi: Some(hi),
        places: vec![rid(at)],
        terms: vec![term.to_string()],
        refs: vec![rid(victim), rid(at)],
        ..Default::default()
    };
    put(
        id,
        RecordKind::Act,
        ix,
        &format!(r#"{{"kind":"act","id":"{id}"}}"#),
    )
}

fn person(id: &str, name: &str) -> Put {
    let ix = IndexTerms {
        text: vec![name.to_string()],
        ..Default::default()
    };
    put(
        id,
        RecordKind::Person,
        ix,
        &format!(r#"{{"kind":"person","id":"{id}","name":"{name}"}}"#),
    )
}

fn ids(rs: &[StoredRecord]) -> Vec<&str> {
    rs.iter().map(|r| r.envelope.id.as_str()).collect()
}

fn count_rows(s: &SqliteStore, table: &str) -> i64 {
    s.conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn round_trip_survives_close_and_reopen() {
    let d = tempfile::tempdir().unwrap();
    let body = r#"{"kind":"person","names":["김철수"]}"#;
    {
        let mut s = new_store(d.path());
        let w = s.put("admin", person("prs-1", "김철수")).unwrap();
        assert_eq!((w.rev, w.op), (1, Op::Create));
        let _ = body;
    }
    let s = SqliteStore::open(d.path(), PW).unwrap();
    let r = s
        .get(&rid("prs-1"))
        .unwrap()
        .expect("record is there after reopen");
    assert_eq!(r.envelope.kind, RecordKind::Person);
    assert_eq!(r.envelope.sensitivity, Sensitivity::Restricted);
    assert_eq!(r.body, r#"{"kind":"person","id":"prs-1","name":"김철수"}"#);
    let by_text = s
        .query(&Filter {
            text: Some("김철수".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_text), vec!["prs-1"], "its text was indexed");
    assert_eq!(r.rev, 1);
    assert_eq!(r.created_by, "admin");
    assert!(s.get(&rid("prs-2")).unwrap().is_none());
    let many = s.get_many(&[rid("prs-2"), rid("prs-1")]).unwrap();
    assert_eq!(ids(&many), vec!["prs-1"]);
}

#[test]
fn init_refuses_to_overwrite_and_open_refuses_to_create() {
    let d = tempfile::tempdir().unwrap();
    drop(new_store(d.path()));
    assert!(matches!(
        SqliteStore::init_with(d.path(), PW, InitOptions::insecure_fast_for_tests()),
        Err(StoreError::AlreadyInitialized(_))
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        SqliteStore::open(empty.path(), PW),
        Err(StoreError::Keyring(KeyringError::Missing(_)))
    ));
    assert!(
        !empty.path().join(DB_FILE).exists(),
        "open must not create a database"
    );
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    drop(new_store(d.path()));
    let e = SqliteStore::open(d.path(), "wrong")
        .err()
        .expect("must fail");
    assert!(
        matches!(e, StoreError::Keyring(KeyringError::WrongPassphrase(_))),
        "{e}"
    );
    assert!(e.to_string().contains("wrong passphrase"));
}

#[test]
fn missing_truncated_or_foreign_database_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    drop(new_store(d.path()));
    // A database from another archive under this keyring.
    let other = tempfile::tempdir().unwrap();
    {
        let mut s = new_store(other.path());
        s.put("admin", person("prs-1", "x")).unwrap();
    }
    std::fs::copy(other.path().join(DB_FILE), d.path().join(DB_FILE)).unwrap();
    assert!(matches!(
        SqliteStore::open(d.path(), PW),
        Err(StoreError::KeyMismatch(_))
    ));
    // Truncated to nothing.
    std::fs::write(d.path().join(DB_FILE), b"").unwrap();
    assert!(matches!(
        SqliteStore::open(d.path(), PW),
        Err(StoreError::KeyMismatch(_))
    ));
    // Missing.
    std::fs::remove_file(d.path().join(DB_FILE)).unwrap();
    assert!(matches!(
        SqliteStore::open(d.path(), PW),
        Err(StoreError::DatabaseMissing(_))
    ));
    // Corrupt keyring.
    std::fs::write(d.path().join("keyring.json"), b"{").unwrap();
    assert!(matches!(
        SqliteStore::open(d.path(), PW),
        Err(StoreError::Keyring(KeyringError::Corrupt { .. }))
    ));
}

#[test]
fn migrations_run_from_empty_and_reopen_is_idempotent() {
    let d = tempfile::tempdir().unwrap();
    let s = new_store(d.path());
    let v: u32 = s
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, migrations::latest());
    let tables: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('records','revisions','ledger','vocab_terms','settings')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 5);
    let origin = s.origin().to_string();
    drop(s);
    for _ in 0..2 {
        let s = SqliteStore::open(d.path(), PW).unwrap();
        let v: u32 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, migrations::latest());
        assert_eq!(s.origin(), origin);
    }
}

#[test]
fn a_database_from_a_newer_program_is_refused() {
    let d = tempfile::tempdir().unwrap();
    {
        let s = new_store(d.path());
        s.conn()
            .execute_batch(&format!(
                "PRAGMA user_version = {}",
                migrations::latest() + 1
            ))
            .unwrap();
    }
    assert!(matches!(
        SqliteStore::open(d.path(), PW),
        Err(StoreError::TooNew { .. })
    ));
}

#[test]
fn optimistic_concurrency_conflict() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", person("prs-1", "one")).unwrap();
    let mut p = person("prs-1", "two");
    p.expect = Expect::Rev(1);
    assert_eq!(s.put("b", p.clone()).unwrap().rev, 2);
    // A second writer who also read revision 1 loses.
    let e = s.put("c", p).unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            }
        ),
        "{e}"
    );
    // Creating what exists, updating what does not.
    assert!(matches!(
        s.put("a", person("prs-1", "x")),
        Err(StoreError::Exists(_))
    ));
    let mut q = person("prs-9", "x");
    q.expect = Expect::Rev(1);
    assert!(matches!(s.put("a", q), Err(StoreError::NotFound(_))));
    // A kind cannot change.
    let mut k = place("prs-1", None);
    k.expect = Expect::Any;
    assert!(matches!(s.put("a", k), Err(StoreError::KindChange { .. })));
    assert_eq!(s.get(&rid("prs-1")).unwrap().unwrap().rev, 2);
}

#[test]
fn history_keeps_who_when_and_what() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("alice", person("prs-1", "one")).unwrap();
    let mut p = person("prs-1", "two");
    p.expect = Expect::Rev(1);
    s.put("bob", p).unwrap();
    s.delete("carol", &rid("prs-1"), Some(2)).unwrap();
    let mut again = person("prs-1", "three");
    again.expect = Expect::Absent;
    let w = s.put("dave", again).unwrap();
    assert_eq!((w.rev, w.op), (4, Op::Create));
    let h = s.history(&rid("prs-1")).unwrap();
    let summary: Vec<(u64, Op, &str)> = h.iter().map(|r| (r.rev, r.op, r.actor.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (1, Op::Create, "alice"),
            (2, Op::Update, "bob"),
            (3, Op::Delete, "carol"),
            (4, Op::Create, "dave")
        ]
    );
    assert!(h[1].body.as_deref().unwrap().contains("two"));
    assert!(h[1].body_before.as_deref().unwrap().contains("one"));
    assert_eq!(h[2].body, None);
    assert!(h[2].body_before.as_deref().unwrap().contains("two"));
    assert_eq!(h[3].body_before, None);
    assert!(h.windows(2).all(|w| w[0].seq < w[1].seq), "seq increases");
    assert!(h.iter().all(|r| r.origin == s.origin()));
    assert!(chrono::DateTime::parse_from_rfc3339(&h[0].at).is_ok());
    // Revisions and ledger are append-only even to raw SQL.
    assert!(
        s.conn()
            .execute("UPDATE revisions SET actor = 'mallory'", [])
            .is_err()
    );
    assert!(s.conn().execute("DELETE FROM ledger", []).is_err());
}

#[test]
fn every_revision_has_a_ledger_leaf_matching_it() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("alice", person("prs-1", "one")).unwrap();
    s.put("alice", person("prs-2", "two")).unwrap();
    s.delete("bob", &rid("prs-2"), None).unwrap();
    assert_eq!(s.ledger_len().unwrap(), 3);
    let leaves = s.ledger_leaves(1, 100).unwrap();
    let revs = s.revisions_since(0, 100).unwrap();
    assert_eq!(leaves.len(), revs.len());
    for (l, r) in leaves.iter().zip(&revs) {
        let decoded = leaf::RevisionLeaf::decode(&l.bytes).expect("well-formed leaf");
        assert_eq!(decoded.seq, r.seq);
        assert_eq!(decoded.id, r.id.as_str());
        assert_eq!((decoded.rev, decoded.op), (r.rev, r.op));
        assert_eq!(decoded.actor, r.actor);
        assert_eq!(decoded.at, r.at);
        let body_hash: [u8; 32] =
            <sha2::Sha256 as sha2::Digest>::digest(r.body.as_deref().unwrap_or("").as_bytes())
                .into();
        assert_eq!(decoded.body_sha256, body_hash);
        assert_eq!(r.body_sha256, body_hash);
    }
}

#[test]
fn delete_is_refused_while_referenced() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", place("plc-kp", None)).unwrap();
    s.put("a", person("prs-1", "v")).unwrap();
    s.put(
        "a",
        act("act-1", 10, 10, "plc-kp", "act_type:torture", "prs-1"),
    )
    .unwrap();
    let e = s.delete("a", &rid("prs-1"), None).unwrap_err();
    match &e {
        StoreError::Referenced { by, .. } => assert_eq!(by, &vec![rid("act-1")]),
        other => panic!("wrong error {other}"),
    }
    assert!(s.get(&rid("prs-1")).unwrap().is_some());
    assert_eq!(s.referrers(&rid("plc-kp"), 10).unwrap(), vec![rid("act-1")]);
    s.delete("a", &rid("act-1"), Some(1)).unwrap();
    s.delete("a", &rid("prs-1"), None).unwrap();
    assert!(s.get(&rid("prs-1")).unwrap().is_none());
    assert!(matches!(
        s.delete("a", &rid("prs-1"), None),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn a_dangling_reference_is_refused_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", place("plc-kp", None)).unwrap();
    let before = (
        count_rows(&s, "revisions"),
        count_rows(&s, "ledger"),
        count_rows(&s, "records"),
    );
    let e = s
        .put(
            "a",
            act("act-1", 1, 1, "plc-kp", "act_type:arrest", "prs-missing"),
        )
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Dangling { target, .. } if target.as_str() == "prs-missing"),
        "{e}"
    );
    assert_eq!(
        before,
        (
            count_rows(&s, "revisions"),
            count_rows(&s, "ledger"),
            count_rows(&s, "records")
        )
    );
}

#[test]
fn batch_is_all_or_nothing_and_reports_every_row_error() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", place("plc-kp", None)).unwrap();
    s.put("a", person("prs-0", "existing")).unwrap();
    let before = (
        count_rows(&s, "revisions"),
        count_rows(&s, "ledger"),
        count_rows(&s, "records"),
        count_rows(&s, "record_refs"),
    );
    let ops = vec![
        // forward reference to a person later in the batch: fine
        BatchOp::Put(act("act-1", 1, 1, "plc-kp", "act_type:arrest", "prs-1")),
        BatchOp::Put(person("prs-1", "new")),
        // row 2: already exists
        BatchOp::Put(person("prs-0", "dup")),
        // row 3: dangling
        BatchOp::Put(act(
            "act-2",
            1,
            1,
            "plc-kp",
            "act_type:arrest",
            "prs-nobody",
        )),
        // row 4: fine
        BatchOp::Put(person("prs-2", "fine")),
    ];
    let e = s.apply_batch("importer", ops).unwrap_err();
    let StoreError::BatchRejected { errors } = e else {
        panic!("wrong error")
    };
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.id.as_str())).collect();
    assert_eq!(got, vec![(2, "prs-0"), (3, "act-2")]);
    assert!(errors[1].reason.contains("prs-nobody"));
    let after = (
        count_rows(&s, "revisions"),
        count_rows(&s, "ledger"),
        count_rows(&s, "records"),
        count_rows(&s, "record_refs"),
    );
    assert_eq!(before, after, "nothing half-written");
    assert!(s.get(&rid("prs-1")).unwrap().is_none());
    // The same batch without the bad rows lands whole.
    let ops = vec![
        BatchOp::Put(act("act-1", 1, 1, "plc-kp", "act_type:arrest", "prs-1")),
        BatchOp::Put(person("prs-1", "new")),
        BatchOp::Put(person("prs-2", "fine")),
    ];
    let sum = s.apply_batch("importer", ops).unwrap();
    assert_eq!((sum.created, sum.updated, sum.deleted), (3, 0, 0));
    assert_eq!(
        s.get(&rid("act-1")).unwrap().unwrap().created_by,
        "importer"
    );
}

#[test]
fn a_batch_dropped_without_commit_rolls_back() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    {
        let mut b = s.begin_batch("a").unwrap();
        b.put(person("prs-1", "x")).unwrap();
        assert!(
            b.get(&rid("prs-1")).unwrap().is_some(),
            "visible inside the transaction"
        );
    }
    assert!(s.get(&rid("prs-1")).unwrap().is_none());
    assert_eq!(count_rows(&s, "revisions"), 0);
    // and the store is usable afterwards
    s.put("a", person("prs-1", "x")).unwrap();
}

#[test]
fn a_delete_inside_a_batch_cannot_leave_references_dangling() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", place("plc-kp", None)).unwrap();
    s.put("a", person("prs-1", "v")).unwrap();
    let ops = vec![
        BatchOp::Put(act("act-1", 1, 1, "plc-kp", "act_type:arrest", "prs-1")),
        BatchOp::Delete {
            id: rid("prs-1"),
            expected_rev: None,
        },
    ];
    let e = s.apply_batch("a", ops).unwrap_err();
    let StoreError::BatchRejected { errors } = e else {
        panic!()
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].row, 1);
    assert!(s.get(&rid("act-1")).unwrap().is_none());
}

/// A place tree: kp > north_hamgyong > (hoeryong, onsong); kp > ryanggang > hyesan.
fn place_tree(s: &mut SqliteStore) {
    for (id, parent) in [
        ("plc-kp", None),
        ("plc-nh", Some("plc-kp")),
        ("plc-hoeryong", Some("plc-nh")),
        ("plc-onsong", Some("plc-nh")),
        ("plc-ry", Some("plc-kp")),
        ("plc-hyesan", Some("plc-ry")),
        ("plc-cn", None),
    ] {
        s.put("a", place(id, parent)).unwrap();
    }
    s.put("a", person("prs-1", "v")).unwrap();
}

#[test]
fn query_by_place_includes_sub_places() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    s.put(
        "a",
        act("act-1", 1, 1, "plc-hoeryong", "act_type:torture", "prs-1"),
    )
    .unwrap();
    s.put(
        "a",
        act("act-2", 1, 1, "plc-onsong", "act_type:torture", "prs-1"),
    )
    .unwrap();
    s.put(
        "a",
        act("act-3", 1, 1, "plc-hyesan", "act_type:torture", "prs-1"),
    )
    .unwrap();
    s.put(
        "a",
        act("act-4", 1, 1, "plc-cn", "act_type:torture", "prs-1"),
    )
    .unwrap();
    s.put(
        "a",
        act("act-5", 1, 1, "plc-nh", "act_type:torture", "prs-1"),
    )
    .unwrap();
    let q = |places: &[&str]| {
        let f = Filter {
            kinds: vec![RecordKind::Act],
            places: places.iter().map(|p| rid(p)).collect(),
            ..Default::default()
        };
        ids(&s.query(&f).unwrap())
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(q(&["plc-nh"]), vec!["act-1", "act-2", "act-5"]);
    assert_eq!(q(&["plc-kp"]), vec!["act-1", "act-2", "act-3", "act-5"]);
    assert_eq!(q(&["plc-onsong"]), vec!["act-2"]);
    assert_eq!(q(&["plc-onsong", "plc-cn"]), vec!["act-2", "act-4"]);
    assert_eq!(q(&["plc-nowhere"]), Vec::<String>::new());
    let d: Vec<String> = s
        .descendants(&[rid("plc-nh")])
        .unwrap()
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(d, vec!["plc-hoeryong", "plc-nh", "plc-onsong"]);
}

#[test]
fn query_by_date_overlap_with_partial_date_bounds() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    // Day numbers (days since 0000-03-01), computed independently with
    // Python's `date(y, m, d).toordinal() + 305`: 2023-01-01 = 738826,
    // 2023-07-01 = 739007, 2023-08-01 = 739038, 2023-08-31 = 739068,
    // 2023-09-30 = 739098, 2023-10-09 = 739107, 2023-12-31 = 739190.
    s.put(
        "a",
        act(
            "act-aug",
            739038,
            739068,
            "plc-kp",
            "act_type:arrest",
            "prs-1",
        ),
    )
    .unwrap(); // "2023-08"
    s.put(
        "a",
        act(
            "act-oct9",
            739107,
            739107,
            "plc-kp",
            "act_type:forced_repatriation",
            "prs-1",
        ),
    )
    .unwrap();
    s.put(
        "a",
        act(
            "act-2023",
            738826,
            739190,
            "plc-kp",
            "act_type:detention",
            "prs-1",
        ),
    )
    .unwrap(); // "2023"
    // "after 2023-08": open upper bound
    let mut open = act(
        "act-after",
        739038,
        0,
        "plc-kp",
        "act_type:detention",
        "prs-1",
    );
    open.index.date_hi = None;
    s.put("a", open).unwrap();
    // undated
    let mut undated = act("act-undated", 0, 0, "plc-kp", "act_type:detention", "prs-1");
    undated.index.date_lo = None;
    undated.index.date_hi = None;
    s.put("a", undated).unwrap();
    let q = |from: Option<i64>, to: Option<i64>| {
        let f = Filter {
            kinds: vec![RecordKind::Act],
            date_from: from,
            date_to: to,
            order: Order::DateAsc,
            ..Default::default()
        };
        ids(&s.query(&f).unwrap())
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // 2023-Q3 = 2023-07-01 ..= 2023-09-30 overlaps "2023-08", "2023" and
    // "after 2023-08" (the last two start on the same day: then by id).
    assert_eq!(
        q(Some(739007), Some(739098)),
        vec!["act-2023", "act-after", "act-aug"]
    );
    // Just 2023-10-09.
    assert_eq!(
        q(Some(739107), Some(739107)),
        vec!["act-2023", "act-after", "act-oct9"]
    );
    // 2024 onwards: only the open range.
    assert_eq!(q(Some(739191), None), vec!["act-after"]);
    // Before 2023-08-01.
    assert_eq!(q(None, Some(739037)), vec!["act-2023"]);
    // No date filter: everything, undated last in date order.
    assert_eq!(
        q(None, None).last().map(String::as_str),
        Some("act-undated")
    );
    // A record whose date bounds are reversed is refused.
    let bad = act("act-bad", 10, 5, "plc-kp", "act_type:arrest", "prs-1");
    assert!(matches!(s.put("a", bad), Err(StoreError::Invalid(_))));
}

#[test]
fn date_range_combined_with_term_and_place_uses_both_date_buckets() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    // 2023-Q3 = 739007 ..= 739098 (see the test above).
    let cases = [
        (
            "act-in",
            739038,
            Some(739068),
            "plc-onsong",
            "act_type:torture",
        ), // 2023-08: matches
        (
            "act-year",
            738826,
            Some(739190),
            "plc-onsong",
            "act_type:torture",
        ), // 2023, starts 181 days before
        (
            "act-decade",
            737000,
            Some(740000),
            "plc-nh",
            "act_type:torture",
        ), // wide bucket
        ("act-open", 738000, None, "plc-hoeryong", "act_type:torture"), // open end: wide bucket
        (
            "act-before",
            738700,
            Some(738710),
            "plc-onsong",
            "act_type:torture",
        ), // ends before Q3
        (
            "act-other-type",
            739038,
            Some(739068),
            "plc-onsong",
            "act_type:arrest",
        ),
        (
            "act-other-place",
            739038,
            Some(739068),
            "plc-hyesan",
            "act_type:torture",
        ),
    ];
    for (id, lo, hi, at, term) in cases {
        let mut a = act(id, lo, 0, at, term, "prs-1");
        a.index.date_hi = hi;
        s.put("a", a).unwrap();
    }
    let mut undated = act(
        "act-undated",
        0,
        0,
        "plc-onsong",
        "act_type:torture",
        "prs-1",
    );
    undated.index.date_lo = None;
    undated.index.date_hi = None;
    s.put("a", undated).unwrap();
    let f = Filter {
        kinds: vec![RecordKind::Act],
        date_from: Some(739007),
        date_to: Some(739098),
        places: vec![rid("plc-nh")],
        terms: vec!["act_type:torture".into()],
        ..Default::default()
    };
    let got: Vec<String> = ids(&s.query(&f).unwrap())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(got, vec!["act-decade", "act-in", "act-open", "act-year"]);
    assert_eq!(s.count(&f).unwrap(), 4);
    // Only a lower bound, only an upper bound.
    let from_only = Filter {
        date_to: None,
        ..f.clone()
    };
    let got: Vec<String> = ids(&s.query(&from_only).unwrap())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(got, vec!["act-decade", "act-in", "act-open", "act-year"]);
    let to_only = Filter {
        date_from: None,
        date_to: Some(738705),
        ..f.clone()
    };
    let got: Vec<String> = ids(&s.query(&to_only).unwrap())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(got, vec!["act-before", "act-decade", "act-open"]);
    // Moving a record's date moves its facet rows.
    let mut moved = act(
        "act-in",
        730000,
        730001,
        "plc-onsong",
        "act_type:torture",
        "prs-1",
    );
    moved.expect = Expect::Rev(1);
    s.put("a", moved).unwrap();
    let got: Vec<String> = ids(&s.query(&f).unwrap())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(got, vec!["act-decade", "act-open", "act-year"]);
}

#[test]
fn migration_2_carries_version_1_index_rows_over() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("plain.db");
    let mut c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(migrations::MIGRATIONS[0].sql).unwrap();
    c.execute_batch("PRAGMA user_version = 1").unwrap();
    c.execute_batch(
        "INSERT INTO records (rid, id, kind, sensitivity, access_groups, has_groups, rev, head_seq, created_seq, \
         date_lo, date_hi, parent, text, index_json) VALUES \
         (1, 'act-1', 'act', 1, '[]', 0, 1, 1, 1, 100, 110, NULL, '', '{}'), \
         (2, 'act-2', 'act', 1, '[]', 0, 1, 2, 2, 100, 9223372036854775807, NULL, '', '{}'); \
         INSERT INTO record_terms (term, rid) VALUES ('act_type:torture', 1), ('act_type:torture', 2); \
         INSERT INTO record_places (place, rid) VALUES ('plc-x', 1);",
    )
    .unwrap();
    assert_eq!(
        migrations::migrate(&mut c, &path).unwrap(),
        migrations::MIGRATIONS.len() - 1
    );
    let rows: Vec<(String, i64, i64, i64)> = c
        .prepare("SELECT term, wide, date_lo, rid FROM record_terms ORDER BY rid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("act_type:torture".into(), 0, 100, 1),
            ("act_type:torture".into(), 1, 100, 2)
        ]
    );
    let places: i64 = c
        .query_row(
            "SELECT count(*) FROM record_places WHERE wide = 0 AND date_hi = 110",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(places, 1);
    // Reapplying is a no-op.
    assert_eq!(migrations::migrate(&mut c, &path).unwrap(), 0);
}

#[test]
fn query_by_terms_refs_text_sensitivity_groups_and_paging() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    s.put("a", person("prs-2", "Park Ji-hyun")).unwrap();
    let mut a1 = act("act-1", 1, 1, "plc-kp", "act_type:torture", "prs-1");
    a1.index.terms.push("category:it_worker".into());
    s.put("a", a1).unwrap();
    s.put(
        "a",
        act("act-2", 2, 2, "plc-kp", "act_type:torture", "prs-2"),
    )
    .unwrap();
    let mut a3 = act("act-3", 3, 3, "plc-kp", "act_type:arrest", "prs-2");
    a3.envelope.sensitivity = Sensitivity::Confidential;
    s.put("a", a3).unwrap();
    let mut a4 = act("act-4", 4, 4, "plc-kp", "act_type:arrest", "prs-2");
    a4.envelope.access_groups = vec!["case-7".into()];
    s.put("a", a4).unwrap();

    fn run(s: &SqliteStore, f: Filter) -> Vec<String> {
        ids(&s.query(&f).unwrap())
            .into_iter()
            .map(String::from)
            .collect()
    }
    let q = |f: Filter| run(&s, f);
    let acts = || Filter {
        kinds: vec![RecordKind::Act],
        ..Default::default()
    };
    assert_eq!(
        q(Filter {
            terms: vec!["act_type:torture".into()],
            ..acts()
        }),
        vec!["act-1", "act-2"]
    );
    assert_eq!(
        q(Filter {
            terms: vec!["act_type:torture".into(), "category:it_worker".into()],
            ..acts()
        }),
        vec!["act-1"]
    );
    assert_eq!(
        q(Filter {
            refs: vec![rid("prs-2")],
            ..acts()
        }),
        vec!["act-2", "act-3", "act-4"]
    );
    assert_eq!(
        q(Filter {
            text: Some("park".into()),
            ..Default::default()
        }),
        vec!["prs-2"]
    );
    assert_eq!(
        q(Filter {
            max_sensitivity: Some(Sensitivity::Restricted),
            ..acts()
        }),
        vec!["act-1", "act-2", "act-4"]
    );
    assert_eq!(
        q(Filter {
            access_groups: Some(vec![]),
            ..acts()
        }),
        vec!["act-1", "act-2", "act-3"]
    );
    assert_eq!(
        q(Filter {
            access_groups: Some(vec!["case-7".into()]),
            ..acts()
        }),
        vec!["act-1", "act-2", "act-3", "act-4"]
    );
    assert_eq!(
        q(Filter {
            limit: Some(2),
            offset: 1,
            ..acts()
        }),
        vec!["act-2", "act-3"]
    );
    assert_eq!(
        q(Filter {
            order: Order::DateDesc,
            limit: Some(2),
            ..acts()
        }),
        vec!["act-4", "act-3"]
    );
    let f = Filter {
        max_sensitivity: Some(Sensitivity::Restricted),
        access_groups: Some(vec![]),
        ..acts()
    };
    assert_eq!(s.count(&f).unwrap(), 2);
    // Updating a record re-indexes it.
    let mut a2 = act("act-2", 2, 2, "plc-kp", "act_type:arrest", "prs-2");
    a2.expect = Expect::Rev(1);
    s.put("a", a2).unwrap();
    assert_eq!(
        run(
            &s,
            Filter {
                terms: vec!["act_type:torture".into()],
                ..acts()
            }
        ),
        vec!["act-1"]
    );
}

#[test]
fn vocabulary_terms_and_settings() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.add_vocab_term(
        "admin",
        "act_type",
        "sleep_deprivation",
        r#"{"en":"sleep deprivation","ko":"잠 안 재우기"}"#,
    )
    .unwrap();
    assert!(matches!(
        s.add_vocab_term("admin", "act_type", "sleep_deprivation", "{}"),
        Err(StoreError::VocabExists { .. })
    ));
    assert!(matches!(
        s.add_vocab_term("admin", "Act Type", "x", "{}"),
        Err(StoreError::Invalid(_))
    ));
    let v = s.vocab_terms().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (
            v[0].vocab.as_str(),
            v[0].term.as_str(),
            v[0].added_by.as_str()
        ),
        ("act_type", "sleep_deprivation", "admin")
    );
    s.set_setting("publish.k", "5").unwrap();
    s.set_setting("publish.k", "7").unwrap();
    assert_eq!(s.setting("publish.k").unwrap().as_deref(), Some("7"));
    assert_eq!(s.setting("nothing").unwrap(), None);
    assert!(s.set_setting("store.origin", "x").is_err());
}

#[test]
fn subkeys_are_stable_across_reopen_and_reserved_purposes_refused() {
    let d = tempfile::tempdir().unwrap();
    let k1 = {
        let s = new_store(d.path());
        assert!(s.derive_subkey("sqlcipher-database").is_err());
        *s.derive_subkey("evidence-files").unwrap()
    };
    let s = SqliteStore::open(d.path(), PW).unwrap();
    assert_eq!(k1, *s.derive_subkey("evidence-files").unwrap());
    assert_ne!(k1, *s.derive_subkey("backup").unwrap());
}

#[test]
fn changing_the_passphrase_keeps_the_data() {
    let d = tempfile::tempdir().unwrap();
    {
        let mut s = new_store(d.path());
        s.put("a", person("prs-1", "x")).unwrap();
        assert!(
            s.change_passphrase(
                "not it",
                "new one",
                Some(KdfParams::insecure_fast_for_tests())
            )
            .is_err()
        );
        s.change_passphrase(PW, "new one", Some(KdfParams::insecure_fast_for_tests()))
            .unwrap();
    }
    assert!(matches!(
        SqliteStore::open(d.path(), PW),
        Err(StoreError::Keyring(KeyringError::WrongPassphrase(_)))
    ));
    let s = SqliteStore::open(d.path(), "new one").unwrap();
    assert!(s.get(&rid("prs-1")).unwrap().is_some());
}

// ---- encryption at rest ----

const CANARY: &str = "Canary-Ri Sol-ju 7f3a9c";

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir` (recursively), with its bytes.
fn all_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn assert_no_canary(dir: &Path, needles: &[Vec<u8>]) -> usize {
    let files = all_files(dir);
    for (p, bytes) in &files {
        for n in needles {
            assert!(!contains(bytes, n), "canary found in {}", p.display());
        }
    }
    files.len()
}

fn confidential_canary_record(s: &mut SqliteStore) {
    let mut p = person("prs-canary", CANARY);
    p.envelope.sensitivity = Sensitivity::Confidential;
    p.body = format!(r#"{{"kind":"person","names":[{{"text":"{CANARY}"}}],"note":"{CANARY}"}}"#);
    s.put("investigator", p).unwrap();
    s.add_vocab_term(
        "investigator",
        "category",
        "canary_term",
        &format!(r#"{{"en":"{CANARY}"}}"#),
    )
    .unwrap();
}

#[test]
fn canary_is_absent_from_every_file_while_open_and_after_close() {
    let d = tempfile::tempdir().unwrap();
    let needles = vec![
        CANARY.as_bytes().to_vec(),
        utf16le(CANARY),
        b"Canary-Ri".to_vec(),
    ];
    {
        let mut s = new_store(d.path());
        confidential_canary_record(&mut s);
        // Open, WAL present and holding the write.
        let wal = d.path().join("tumen.db-wal");
        assert!(
            wal.exists() && std::fs::metadata(&wal).unwrap().len() > 0,
            "the WAL holds the write"
        );
        let n = assert_no_canary(d.path(), &needles);
        assert!(n >= 3, "db, wal, shm and keyring were scanned ({n} files)");
        // The scan can fail: the record really is readable through the store.
        assert!(
            s.get(&rid("prs-canary"))
                .unwrap()
                .unwrap()
                .body
                .contains(CANARY)
        );
    }
    assert_no_canary(d.path(), &needles);
    // A control: the same write into an unencrypted (benchmark-only) archive
    // does show the canary, so the scan is able to find it.
    let plain = tempfile::tempdir().unwrap();
    {
        let opts = InitOptions {
            kdf: KdfParams::insecure_fast_for_tests(),
            cipher: Cipher::NoneBenchmarkOnly,
            ..InitOptions::default()
        };
        let mut s = SqliteStore::init_with(plain.path(), PW, opts).unwrap();
        confidential_canary_record(&mut s);
    }
    let found = all_files(plain.path())
        .iter()
        .any(|(_, b)| contains(b, CANARY.as_bytes()));
    assert!(
        found,
        "control: the scan finds the canary in an unencrypted archive"
    );
}

#[test]
fn the_database_file_has_no_plaintext_sqlite_header() {
    let d = tempfile::tempdir().unwrap();
    {
        let mut s = new_store(d.path());
        s.put("a", person("prs-1", "x")).unwrap();
        s.checkpoint().unwrap();
    }
    let bytes = std::fs::read(d.path().join(DB_FILE)).unwrap();
    assert!(bytes.len() >= 4096);
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
    // and a plain SQLite connection cannot read it
    let c = rusqlite::Connection::open(d.path().join(DB_FILE)).unwrap();
    assert!(
        c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r
            .get::<_, i64>(0))
            .is_err()
    );
}

#[test]
fn one_batch_creating_updating_and_deleting_keeps_the_index_consistent() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    let mut upd = act("act-1", 5, 5, "plc-onsong", "act_type:arrest", "prs-1");
    upd.expect = Expect::Rev(1);
    let ops = vec![
        BatchOp::Put(act(
            "act-1",
            1,
            1,
            "plc-hoeryong",
            "act_type:torture",
            "prs-1",
        )),
        BatchOp::Put(act(
            "act-2",
            2,
            2,
            "plc-hoeryong",
            "act_type:torture",
            "prs-1",
        )),
        BatchOp::Put(upd),
        BatchOp::Delete {
            id: rid("act-2"),
            expected_rev: Some(1),
        },
    ];
    let sum = s.apply_batch("a", ops).unwrap();
    assert_eq!((sum.created, sum.updated, sum.deleted), (2, 1, 1));
    let q = |f: Filter| -> Vec<String> {
        ids(&s.query(&f).unwrap())
            .into_iter()
            .map(String::from)
            .collect()
    };
    let acts = || Filter {
        kinds: vec![RecordKind::Act],
        ..Default::default()
    };
    assert_eq!(
        q(Filter {
            terms: vec!["act_type:torture".into()],
            ..acts()
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        q(Filter {
            terms: vec!["act_type:arrest".into()],
            ..acts()
        }),
        vec!["act-1"]
    );
    assert_eq!(
        q(Filter {
            places: vec![rid("plc-hoeryong")],
            ..acts()
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        q(Filter {
            places: vec![rid("plc-onsong")],
            date_from: Some(5),
            date_to: Some(5),
            ..acts()
        }),
        vec!["act-1"]
    );
    assert_eq!(
        s.referrers(&rid("plc-hoeryong"), 10).unwrap(),
        Vec::<RecordId>::new()
    );
    assert_eq!(
        count_rows(
            &s,
            "record_terms WHERE rid IN (SELECT rid FROM records WHERE kind = 'act')"
        ),
        1
    );
}

/// A batch stages its facet rows in memory, sorts them and flushes them
/// (every few rows in tests) and skips the look-ups on create: the result
/// must be the same as row by row, and a rejected batch must leave the
/// schema and the data as they were.
#[test]
fn a_large_batch_keeps_indexes_facets_and_revision_numbers_right() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    let schema = |s: &SqliteStore| -> Vec<(String, String)> {
        let mut st = s
            .conn()
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let indexes = schema(&s);
    assert!(indexes.iter().any(|(n, _)| n == "records_kind_date"));
    // A deleted id, re-created in the large batch, continues its revisions.
    s.put("a", person("prs-gone", "x")).unwrap();
    s.delete("a", &rid("prs-gone"), None).unwrap();
    let n = 300; // well past the test thresholds for flushing and deferring
    let batch = |bad: bool| {
        let mut ops = Vec::new();
        for i in 0..n {
            let (place, term) = if i % 2 == 0 {
                ("plc-onsong", "act_type:arrest")
            } else {
                ("plc-hoeryong", "act_type:torture")
            };
            ops.push(BatchOp::Put(act(
                &format!("act-{i:04}"),
                i,
                i,
                place,
                term,
                "prs-1",
            )));
        }
        ops.push(BatchOp::Put(person("prs-gone", "back")));
        if bad {
            ops.push(BatchOp::Put(act(
                "act-bad",
                1,
                1,
                "plc-onsong",
                "act_type:arrest",
                "prs-nobody",
            )));
        }
        ops
    };
    let before = (
        count_rows(&s, "records"),
        count_rows(&s, "record_terms"),
        count_rows(&s, "revisions"),
    );
    assert!(matches!(
        s.apply_batch("importer", batch(true)),
        Err(StoreError::BatchRejected { .. })
    ));
    assert_eq!(schema(&s), indexes, "a rejected batch restores the indexes");
    assert_eq!(
        (
            count_rows(&s, "records"),
            count_rows(&s, "record_terms"),
            count_rows(&s, "revisions")
        ),
        before
    );
    let sum = s.apply_batch("importer", batch(false)).unwrap();
    assert_eq!(sum.created, n as u64 + 1);
    assert_eq!(
        schema(&s),
        indexes,
        "a committed batch rebuilds the same indexes"
    );
    let hist = s.history(&rid("prs-gone")).unwrap();
    assert_eq!(
        hist.iter().map(|r| r.rev).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let f = |place: &str, term: &str, from: i64, to: i64| Filter {
        kinds: vec![RecordKind::Act],
        places: vec![rid(place)],
        terms: vec![term.to_string()],
        date_from: Some(from),
        date_to: Some(to),
        ..Default::default()
    };
    let got = s
        .query(&f("plc-onsong", "act_type:arrest", 10, 19))
        .unwrap();
    let mut got = ids(&got);
    got.sort();
    assert_eq!(
        got,
        vec!["act-0010", "act-0012", "act-0014", "act-0016", "act-0018"]
    );
    assert_eq!(
        s.count(&f("plc-hoeryong", "act_type:torture", 0, n))
            .unwrap(),
        n as u64 / 2
    );
    assert_eq!(
        s.count(&f("plc-hoeryong", "act_type:arrest", 0, n))
            .unwrap(),
        0
    );
    assert_eq!(s.referrers(&rid("prs-1"), 1000).unwrap().len(), n as usize);
    // Every facet row is there exactly once, and the planner has its index.
    assert_eq!(
        count_rows(&s, "record_terms WHERE term LIKE 'act_type:%'"),
        n
    );
    let plan: String = s
        .conn()
        .query_row(
            "EXPLAIN QUERY PLAN SELECT rid FROM records WHERE kind = 'act' AND date_lo > 5",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("records_kind_date"), "{plan}");
}

/// Every facet row of an archive, with its record's id instead of its rowid.
fn all_facet_rows(s: &SqliteStore) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT 'place', f.place, f.wide, f.date_lo, f.date_hi, r.id FROM record_places f JOIN records r USING (rid)",
        "SELECT 'term', f.term, f.wide, f.date_lo, f.date_hi, r.id FROM record_terms f JOIN records r USING (rid)",
        "SELECT 'ref', f.target, 0, 0, 0, r.id FROM record_refs f JOIN records r USING (rid)",
    ] {
        let mut st = s.conn().prepare(sql).unwrap();
        let rows = st
            .query_map([], |r| {
                Ok(format!(
                    "{} {} {} {} {} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?
                ))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out.sort();
    out
}

#[test]
fn a_first_import_writes_the_facet_rows_that_single_writes_do() {
    // A first import stages facet rows compactly and writes them at its
    // end, sorted on another thread while the date index is built (and in
    // the middle when the (test-sized) stage limit is reached, or before
    // the check of a reference left open). Single puts write each record's
    // rows at once. Both must leave the same rows.
    let puts = |forward: bool| {
        let mut v = Vec::new();
        for (id, parent) in [
            ("plc-kp", None),
            ("plc-nh", Some("plc-kp")),
            ("plc-onsong", Some("plc-nh")),
            ("plc-hoeryong", Some("plc-nh")),
        ] {
            v.push(place(id, parent));
        }
        if !forward {
            for i in 0..20 {
                v.push(person(&format!("prs-{i:02}"), "v"));
            }
        }
        for i in 0..150i64 {
            let (at, term) = match i % 3 {
                0 => ("plc-onsong", "act_type:arrest"),
                1 => ("plc-hoeryong", "act_type:torture"),
                _ => ("plc-kp", "act_type:torture"),
            };
            // Wide, open and narrow date bounds all occur.
            let (lo, hi) = match i % 4 {
                0 => (i, i),
                1 => (i, i + 1000),
                2 => (i64::MIN, i),
                _ => (i, i + 30),
            };
            v.push(act(
                &format!("act-{i:03}"),
                lo,
                hi,
                at,
                term,
                &format!("prs-{:02}", i % 20),
            ));
        }
        if forward {
            // The victims come after their acts: references left open
            // until the check.
            for i in 0..20 {
                v.push(person(&format!("prs-{i:02}"), "v"));
            }
        }
        v
    };
    // A put prepared by another batch's preparer carries keys of another
    // interner: the batch must not use them.
    let dc = tempfile::tempdir().unwrap();
    let mut c = new_store(dc.path());
    let foreign = c.begin_import("importer").unwrap().preparer();
    for forward in [false, true] {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (mut a, mut b) = (new_store(da.path()), new_store(db.path()));
        let mut batch = a.begin_import("importer").unwrap();
        let own = batch.preparer();
        // Plain puts, puts prepared for this batch (keys numbered on this
        // thread as an import's parsing thread does) and foreign ones, mixed.
        for (i, p) in puts(forward).into_iter().enumerate() {
            match i % 3 {
                0 => batch.put(p).map(|_| ()),
                1 => batch.put_prepared(&own.prepare(p)).map(|_| ()),
                _ => batch.put_prepared(&foreign.prepare(p)).map(|_| ()),
            }
            .unwrap();
        }
        assert!(batch.check().unwrap().is_empty());
        batch.commit().unwrap();
        let mut ordered = puts(forward);
        if forward {
            // Single puts refuse a dangling reference: persons first.
            ordered.rotate_right(20);
        }
        for p in ordered {
            b.put("importer", p).unwrap();
        }
        let rows = all_facet_rows(&a);
        // 150 acts: a place, a term and a victim each; 3 places with a parent.
        assert_eq!(rows.len(), 150 * 3 + 3, "forward = {forward}");
        assert_eq!(rows, all_facet_rows(&b), "forward = {forward}");
        let q = Filter {
            kinds: vec![RecordKind::Act],
            places: vec![rid("plc-nh")],
            terms: vec!["act_type:torture".to_string()],
            date_from: Some(0),
            date_to: Some(40),
            ..Default::default()
        };
        assert_eq!(
            ids(&a.query(&q).unwrap()),
            ids(&b.query(&q).unwrap()),
            "forward = {forward}"
        );
        assert!(!a.query(&q).unwrap().is_empty());
    }
}

/// An archive as schema version 5 left it: every migration up to 5 applied
/// to a plain (benchmark-only cipher) file with a keyring, and two places, a
/// person and an act written with their `index_json` and index rows.
fn version_5_archive(dir: &Path) {
    let key = crate::keyring::DataKey::generate().unwrap();
    crate::keyring::Keyring::create(
        &key,
        PW,
        KdfParams::insecure_fast_for_tests(),
        Cipher::NoneBenchmarkOnly,
    )
    .unwrap()
    .save(dir)
    .unwrap();
    let c = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    for m in migrations::MIGRATIONS.iter().filter(|m| m.version <= 5) {
        c.execute_batch(m.sql).unwrap();
    }
    c.execute_batch("PRAGMA user_version = 5").unwrap();
    let act_ix = IndexTerms {
        date_lo: Some(100),
        date_hi: Some(110),
        places: vec![rid("plc-b")],
        terms: vec!["act_type:torture".into()],
        refs: vec![rid("prs-1"), rid("plc-b")],
        ..Default::default()
    };
    let b_ix = IndexTerms {
        parent: Some(rid("plc-a")),
        refs: vec![rid("plc-a")],
        ..Default::default()
    };
    type Row<'a> = (i64, &'a str, &'a str, Option<&'a str>, i64, i64, IndexTerms);
    let rows: [Row; 4] = [
        (
            1,
            "plc-a",
            "place",
            None,
            i64::MAX,
            i64::MIN,
            IndexTerms::default(),
        ),
        (2, "plc-b", "place", Some("plc-a"), i64::MAX, i64::MIN, b_ix),
        (
            3,
            "prs-1",
            "person",
            None,
            i64::MAX,
            i64::MIN,
            IndexTerms::default(),
        ),
        (4, "act-1", "act", None, 100, 110, act_ix),
    ];
    for (n, id, kind, parent, lo, hi, ix) in rows {
        c.execute(
            "INSERT INTO revisions (seq, origin, id, rev, op, actor, at, kind, sensitivity, access_groups, body, body_sha256) \
             VALUES (?1, 'o', ?2, 1, 'create', 'a', '2026-01-01T00:00:00.000Z', ?3, 1, '[]', ?4, zeroblob(32))",
            rusqlite::params![n, id, kind, format!(r#"{{"id":"{id}"}}"#)],
        )
        .unwrap();
        c.execute(
            "INSERT INTO records (rid, id, kind, sensitivity, access_groups, has_groups, rev, head_seq, created_seq, \
             date_lo, date_hi, parent, text, index_json) VALUES (?1, ?2, ?3, 1, '[]', 0, 1, ?1, ?1, ?4, ?5, ?6, '', ?7)",
            rusqlite::params![n, id, kind, lo, hi, parent, serde_json::to_string(&ix).unwrap()],
        )
        .unwrap();
    }
    c.execute_batch(
        "INSERT INTO settings (key, value) VALUES ('store.origin', 'o');
         INSERT INTO record_places (place, wide, date_lo, date_hi, rid) VALUES ('plc-b', 0, 100, 110, 4);
         INSERT INTO record_terms (term, wide, date_lo, date_hi, rid) VALUES ('act_type:torture', 0, 100, 110, 4);
         INSERT INTO record_refs (target, rid) VALUES ('prs-1', 4), ('plc-b', 4), ('plc-a', 2);",
    )
    .unwrap();
}

fn facet_rows_of(s: &SqliteStore, rid: i64) -> Vec<String> {
    let mut out: Vec<String> = s
        .conn()
        .prepare(
            "SELECT 'place ' || place FROM record_places WHERE rid = ?1 \
             UNION ALL SELECT 'term ' || term FROM record_terms WHERE rid = ?1 \
             UNION ALL SELECT 'ref ' || target FROM record_refs WHERE rid = ?1",
        )
        .unwrap()
        .query_map([rid], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    out.sort();
    out
}

#[test]
fn migration_6_lets_updates_and_deletes_find_the_index_rows_of_older_records() {
    let d = tempfile::tempdir().unwrap();
    version_5_archive(d.path());
    let mut s = SqliteStore::open(d.path(), PW).unwrap();
    // The JSON copy is gone; its keys are kept.
    let cols: Vec<String> = s
        .conn()
        .prepare("SELECT name FROM pragma_table_info('records')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!cols.iter().any(|c| c == "index_json"), "{cols:?}");
    let keys: String = s
        .conn()
        .query_row("SELECT facet_keys FROM records WHERE rid = 4", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(keys, "plc-b\u{1e}act_type:torture\u{1e}prs-1\u{1f}plc-b");

    // Moving the act to another place and term removes its old rows.
    let mut moved = act("act-1", 200, 210, "plc-a", "act_type:arrest", "plc-a");
    moved.expect = Expect::Rev(1);
    s.put("a", moved).unwrap();
    // The place it is at is a place row only (not a reference row too); it
    // still refers to it.
    assert_eq!(
        facet_rows_of(&s, 4),
        vec!["place plc-a", "term act_type:arrest"]
    );
    assert!(s.referrers(&rid("prs-1"), 10).unwrap().is_empty());
    assert!(
        s.referrers(&rid("plc-a"), 10)
            .unwrap()
            .contains(&rid("act-1"))
    );
    // So the person it no longer names can go, and the place's parent link
    // (an older row too) is removed with the place.
    s.delete("a", &rid("prs-1"), None).unwrap();
    s.delete("a", &rid("act-1"), None).unwrap();
    assert!(facet_rows_of(&s, 4).is_empty());
    s.delete("a", &rid("plc-b"), None).unwrap();
    assert!(facet_rows_of(&s, 2).is_empty());
    assert_eq!(count_rows(&s, "record_refs"), 0);
}

#[test]
fn facet_keys_hold_places_terms_and_other_targets_once() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    let mut a = act("act-1", 1, 2, "plc-kp", "act_type:torture", "prs-1");
    a.index.terms.push("act_type:torture".into());
    a.index.refs.push(rid("act-1")); // itself: never a target
    s.put("a", a).unwrap();
    let keys: String = s
        .conn()
        .query_row(
            "SELECT facet_keys FROM records WHERE id = 'act-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, "plc-kp\u{1e}act_type:torture\u{1e}prs-1");
    // A term holding a separator is refused, naming the record.
    let mut bad = act("act-2", 1, 2, "plc-kp", "act_type:x\u{1f}y", "prs-1");
    bad.index.terms.push("act_type:torture".into());
    let e = s.put("a", bad).unwrap_err().to_string();
    assert!(e.contains("act-2") && !e.contains("x\u{1f}y"), "{e}");
    assert!(s.get(&rid("act-2")).unwrap().is_none());
}

/// The keyring of the archive in `dir`, as JSON.
fn keyring_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("keyring.json")).unwrap()).unwrap()
}

/// Replace the keyring of the archive in `dir` (to tamper with it).
fn write_keyring(dir: &Path, kr: &serde_json::Value) {
    std::fs::write(dir.join("keyring.json"), kr.to_string()).unwrap()
}

#[test]
fn the_page_size_is_kept_in_the_keyring_and_older_keyrings_open_as_before() {
    // SQLCipher answers `PRAGMA page_size` on an encrypted file with its
    // cipher page size, as text.
    let page_size = |s: &SqliteStore| -> i64 {
        let v: rusqlite::types::Value = s
            .conn()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        match v {
            rusqlite::types::Value::Integer(n) => n,
            rusqlite::types::Value::Text(t) => t.parse().unwrap(),
            other => panic!("page size {other:?}"),
        }
    };
    // An archive with larger pages: recorded in the keyring.
    let large = crate::sqlite::LARGE_PAGE_SIZE;
    let d = tempfile::tempdir().unwrap();
    {
        let opts = InitOptions {
            page_size: Some(large),
            ..InitOptions::insecure_fast_for_tests()
        };
        let mut s = SqliteStore::init_with(d.path(), PW, opts).unwrap();
        assert_eq!(page_size(&s), i64::from(large));
        s.put("a", person("prs-1", "x")).unwrap();
        s.checkpoint().unwrap();
    }
    let mut kr = keyring_json(d.path());
    assert_eq!(kr["page_size"], serde_json::json!(large));
    {
        let s = SqliteStore::open(d.path(), PW).unwrap();
        assert_eq!(page_size(&s), i64::from(large));
        assert!(s.get(&rid("prs-1")).unwrap().is_some());
    }
    // The record is what makes it open: without it, SQLCipher reads the
    // file with 4096-byte pages and the key does not fit. A page size SQLite
    // cannot have is a corrupt keyring, not a crash.
    assert_keyring_field_is_needed(d.path(), &mut kr, "page_size", serde_json::json!(1000));

    // The default, as every archive made before the keyring recorded a page
    // size: 4096-byte pages, no field; it still opens, reads and writes.
    let old = tempfile::tempdir().unwrap();
    {
        let mut s = new_store(old.path());
        assert_eq!(page_size(&s), 4096);
        s.put("a", person("prs-1", "x")).unwrap();
    }
    assert!(keyring_json(old.path()).get("page_size").is_none());
    let mut s = SqliteStore::open(old.path(), PW).unwrap();
    assert_eq!(page_size(&s), 4096);
    assert!(s.get(&rid("prs-1")).unwrap().is_some());
    s.put("a", person("prs-2", "y")).unwrap();
}

#[test]
fn the_page_hmac_is_kept_in_the_keyring_and_older_archives_keep_theirs() {
    use crate::keyring::{PageCipher, PageHmac};
    let hmac = |s: &SqliteStore| -> String {
        s.conn()
            .query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0))
            .unwrap()
    };
    // An archive with AES-CBC pages made from 2026-11-29 authenticates them
    // with HMAC-SHA256 and says so in a keyring of the second format.
    let cbc = InitOptions {
        page_cipher: PageCipher::AesCbc,
        ..InitOptions::insecure_fast_for_tests()
    };
    let d = tempfile::tempdir().unwrap();
    {
        let mut s = SqliteStore::init_with(d.path(), PW, cbc).unwrap();
        assert_eq!(hmac(&s), "HMAC_SHA256");
        s.put("a", person("prs-1", "x")).unwrap();
        s.checkpoint().unwrap();
    }
    let mut kr = keyring_json(d.path());
    assert_eq!(kr["page_hmac"], "sha256");
    assert_eq!(kr["format"], "tumen-keyring-v2");
    {
        let mut s = SqliteStore::open(d.path(), PW).unwrap();
        assert_eq!(hmac(&s), "HMAC_SHA256");
        assert!(s.get(&rid("prs-1")).unwrap().is_some());
        s.put("a", person("prs-2", "y")).unwrap();
    }
    // The record is what makes it open: without it SQLCipher checks the
    // pages with HMAC-SHA512 and the key does not fit. A MAC tumen does not
    // know is a corrupt keyring, named as such.
    let saved = kr.clone();
    assert_keyring_field_is_needed(d.path(), &mut kr, "page_hmac", serde_json::json!("sha1"));
    write_keyring(d.path(), &saved);
    // A data-key rotation re-encrypts every page anyway: the new
    // generation is written in the current format (AES-CTR + GMAC).
    {
        let mut s = SqliteStore::open(d.path(), PW).unwrap();
        s.rotate_data_key(PW, &mut |_| Ok(())).unwrap();
        assert_eq!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
    }
    let rotated = keyring_json(d.path());
    assert_eq!(rotated["page_cipher"], "aes_ctr_gmac");
    assert!(rotated.get("page_hmac").is_none(), "{rotated}");
    let s = SqliteStore::open(d.path(), PW).unwrap();
    assert_eq!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
    assert!(s.get(&rid("prs-2")).unwrap().is_some());
    drop(s);

    // An archive as tumen made them before 2026-11-29 (SQLCipher 4's
    // default, HMAC-SHA512): the keyring has no field and the first format;
    // it opens, reads and writes as before, and a rotation moves it to the
    // current format.
    let old = tempfile::tempdir().unwrap();
    {
        let opts = InitOptions {
            page_hmac: PageHmac::Sha512,
            ..cbc
        };
        let mut s = SqliteStore::init_with(old.path(), PW, opts).unwrap();
        assert_eq!(hmac(&s), "HMAC_SHA512");
        s.put("a", person("prs-1", "x")).unwrap();
    }
    let kr = keyring_json(old.path());
    assert!(kr.get("page_hmac").is_none(), "{kr}");
    assert!(kr.get("page_cipher").is_none(), "{kr}");
    assert_eq!(kr["format"], "tumen-keyring-v1");
    let mut s = SqliteStore::open(old.path(), PW).unwrap();
    assert_eq!(hmac(&s), "HMAC_SHA512");
    assert_ne!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
    s.put("a", person("prs-2", "y")).unwrap();
    s.rotate_data_key(PW, &mut |_| Ok(())).unwrap();
    drop(s);
    assert_eq!(keyring_json(old.path())["page_cipher"], "aes_ctr_gmac");
    let s = SqliteStore::open(old.path(), PW).unwrap();
    assert_eq!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
    assert!(s.get(&rid("prs-1")).unwrap().is_some());
    assert!(s.get(&rid("prs-2")).unwrap().is_some());
}

/// The raw `ledger` columns of entry `seq`: (leaf, rev_seq, leaf_hash).
fn ledger_row(s: &SqliteStore, seq: i64) -> (Vec<u8>, Option<i64>, Option<Vec<u8>>) {
    s.conn()
        .query_row(
            "SELECT leaf, rev_seq, leaf_hash FROM ledger WHERE seq = ?1",
            [seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn revision_entries_are_kept_as_a_hash_and_re_encoded_from_their_row() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("alice", person("prs-1", "one")).unwrap();
    s.put("alice", person("prs-2", "two")).unwrap();
    let leaves = s.ledger_leaves(1, 10).unwrap();
    let revs = s.revisions_since(0, 10).unwrap();
    assert_eq!(leaves.len(), 2);
    for (l, r) in leaves.iter().zip(&revs) {
        // Stored: no bytes, the revision's seq and the leaf hash.
        let (leaf, rev_seq, hash) = ledger_row(&s, l.seq as i64);
        assert!(leaf.is_empty());
        assert_eq!(rev_seq, Some(r.seq as i64));
        let want = leaf::RevisionLeaf::of(r, r.body_sha256).encode();
        assert_eq!(l.bytes, want);
        assert_eq!(hash.as_deref(), Some(&leaf::rfc6962_leaf_hash(&want)[..]));
        assert_eq!(l.hash, Some(leaf::rfc6962_leaf_hash(&want)));
        assert_eq!(l.leaf_hash(), leaf::rfc6962_leaf_hash(&want));
    }
    // A revision changed behind the store's back: its entry's bytes follow
    // the row, but no longer hash to the stored hash.
    s.conn()
        .execute_batch(
            "DROP TRIGGER revisions_no_update; DROP TRIGGER revisions_no_delete;
             UPDATE revisions SET actor = 'mallory' WHERE seq = 1;
             DELETE FROM revisions WHERE seq = 2;",
        )
        .unwrap();
    let after = s.ledger_leaves(1, 10).unwrap();
    let l0 = leaf::RevisionLeaf::decode(&after[0].bytes).unwrap();
    assert_eq!(l0.actor, "mallory");
    assert_eq!(after[0].hash, leaves[0].hash);
    assert_ne!(
        leaf::rfc6962_leaf_hash(&after[0].bytes),
        after[0].leaf_hash()
    );
    // A removed revision leaves an entry naming only its seq.
    let l1 = leaf::RevisionLeaf::decode(&after[1].bytes).unwrap();
    assert_eq!((l1.seq, l1.id.as_str()), (revs[1].seq, ""));
    assert_eq!(after[1].leaf_hash(), leaves[1].leaf_hash());
}

#[test]
fn ledger_entries_written_before_version_7_keep_their_bytes() {
    let d = tempfile::tempdir().unwrap();
    version_5_archive(d.path());
    let old = leaf::encode_v1(
        1,
        "o",
        "plc-a",
        1,
        Op::Create,
        "a",
        "2026-01-01T00:00:00.000Z",
        &[0; 32],
    );
    {
        let c = rusqlite::Connection::open(d.path().join(DB_FILE)).unwrap();
        c.execute("INSERT INTO ledger (seq, leaf) VALUES (1, ?1)", [&old])
            .unwrap();
    }
    let mut s = SqliteStore::open(d.path(), PW).unwrap();
    s.put("b", person("prs-2", "new")).unwrap();
    let leaves = s.ledger_leaves(1, 10).unwrap();
    assert_eq!(leaves.len(), 2);
    assert_eq!(
        (leaves[0].bytes.clone(), leaves[0].hash),
        (old.clone(), None)
    );
    assert_eq!(leaves[0].leaf_hash(), leaf::rfc6962_leaf_hash(&old));
    let new = leaf::RevisionLeaf::decode(&leaves[1].bytes).unwrap();
    assert_eq!((new.id.as_str(), new.seq), ("prs-2", 5));
    assert_eq!(ledger_row(&s, 2).1, Some(5));
}

#[test]
fn a_prepared_put_writes_and_fails_exactly_as_a_put() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", place("plc-kp", None)).unwrap();
    s.put("a", person("prs-0", "existing")).unwrap();
    let mut bad_date = act("act-9", 1, 1, "plc-kp", "act_type:arrest", "prs-0");
    (bad_date.index.date_lo, bad_date.index.date_hi) = (Some(10), Some(5));
    let mut bad_term = person("prs-8", "x");
    bad_term.index.terms = vec!["sex:\u{1F}female".into()];
    let rows = || {
        vec![
            act("act-1", 1, 1, "plc-kp", "act_type:arrest", "prs-1"),
            person("prs-1", "new"),
            person("prs-0", "dup"),
            bad_date.clone(),
            bad_term.clone(),
        ]
    };
    // The same rows, once with put and once prepared beforehand: the same
    // row errors, in the same words.
    let mut reasons = Vec::new();
    for prepared in [false, true] {
        let mut b = s.begin_batch("importer").unwrap();
        for p in rows() {
            let _ = if prepared {
                b.put_prepared(&Prepared::new(p))
            } else {
                b.put(p)
            };
        }
        let errs = b.check().unwrap();
        reasons.push(
            errs.iter()
                .map(|e| (e.row, e.id.clone(), e.reason.clone()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(reasons[0], reasons[1]);
    let rows_in_error: Vec<usize> = reasons[1].iter().map(|e| e.0).collect();
    assert_eq!(rows_in_error, vec![2, 3, 4]);
    // A prepared put commits the same rows and history as a put.
    let mut b = s.begin_batch("importer").unwrap();
    for p in rows().into_iter().take(2) {
        b.put_prepared(&Prepared::new(p)).unwrap();
    }
    b.commit().unwrap();
    let h = s.history(&rid("act-1")).unwrap();
    let body = s.get(&rid("act-1")).unwrap().unwrap().body;
    use sha2::Digest;
    let want: [u8; 32] = sha2::Sha256::digest(body.as_bytes()).into();
    assert_eq!(h[0].body_sha256, want);
    let f = Filter {
        refs: vec![rid("prs-1")],
        ..Default::default()
    };
    assert_eq!(ids(&s.query(&f).unwrap()), vec!["act-1"]);
    assert_eq!(s.referrers(&rid("plc-kp"), 10).unwrap(), vec![rid("act-1")]);
}

#[test]
fn a_large_import_into_an_empty_archive_analyses_before_its_commit() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    let stats = |s: &SqliteStore| -> i64 {
        s.conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(stats(&s), 0);
    // A rolled-back import leaves no statistics behind.
    let mut b = s.begin_import("importer").unwrap();
    for i in 0..40 {
        b.put(person(&format!("prs-{i:03}"), "x")).unwrap();
    }
    b.put(act("act-1", 1, 1, "plc-none", "act_type:arrest", "prs-001"))
        .unwrap();
    assert!(b.commit().is_err());
    assert_eq!((stats(&s), s.stats_fresh.get()), (0, false));
    let mut b = s.begin_import("importer").unwrap();
    for i in 0..40 {
        b.put(person(&format!("prs-{i:03}"), "x")).unwrap();
    }
    b.commit().unwrap();
    // Analysed inside the import's transaction: the optimize that follows
    // has nothing to do (once); the archive is back in WAL mode.
    assert_eq!((stats(&s), s.stats_fresh.get()), (1, true));
    let rows: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM sqlite_stat1", [], |r| r.get(0))
        .unwrap();
    assert!(rows > 0);
    s.optimize().unwrap();
    assert!(!s.stats_fresh.get());
    s.optimize().unwrap();
    let mode: String = s
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(count_rows(&s, "records"), 40);
}

#[test]
fn migration_8_keeps_every_revision_and_the_append_only_triggers() {
    let d = tempfile::tempdir().unwrap();
    version_5_archive(d.path());
    let s = SqliteStore::open(d.path(), PW).unwrap();
    let c = s.conn();
    // Every row, with its seq, carried over.
    let rows: Vec<(i64, String, String, Vec<u8>)> = c
        .prepare("SELECT seq, id, op, body_sha256 FROM revisions ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let ids: Vec<(i64, &str)> = rows.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(
        ids,
        vec![(1, "plc-a"), (2, "plc-b"), (3, "prs-1"), (4, "act-1")]
    );
    assert!(rows.iter().all(|r| r.2 == "create" && r.3 == vec![0; 32]));
    assert_eq!(s.history(&rid("act-1")).unwrap().len(), 1);
    // The check accepts the same values as before (and no other), without
    // an IN list, and the table is still append-only and unique on (id, rev).
    let sql: String = c
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'revisions'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        !sql.contains(" IN ") && sql.contains("op = 'delete'"),
        "{sql}"
    );
    let insert = |seq: i64, id: &str, rev: i64, op: &str| {
        c.execute(
            "INSERT INTO revisions (seq, origin, id, rev, op, actor, at, kind, sensitivity, access_groups, body, body_sha256) \
             VALUES (?1, 'o', ?2, ?3, ?4, 'a', 't', 'person', 1, '[]', NULL, zeroblob(32))",
            rusqlite::params![seq, id, rev, op],
        )
    };
    assert!(insert(10, "prs-9", 1, "merge").is_err());
    assert!(insert(10, "prs-1", 1, "update").is_err());
    for (seq, op) in [(10, "create"), (11, "update"), (12, "delete")] {
        insert(seq, "prs-9", seq - 9, op).unwrap();
    }
    assert!(
        c.execute("UPDATE revisions SET actor = 'x' WHERE seq = 1", [])
            .is_err()
    );
    assert!(
        c.execute("DELETE FROM revisions WHERE seq = 1", [])
            .is_err()
    );
    let v: u32 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, migrations::latest());
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// A batch of `n` persons with bodies of about 1 KB each.
fn big_persons(b: &mut dyn Batch, n: usize) {
    for i in 0..n {
        let mut p = person(&format!("prs-{i:05}"), "x");
        p.body = format!(r#"{{"kind":"person","pad":"{}"}}"#, "p".repeat(1000));
        b.put(p).unwrap();
    }
}

#[test]
fn an_import_into_an_empty_archive_writes_through_a_small_cache_and_gives_it_back() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    let cache = |s: &SqliteStore| -> i64 {
        s.conn()
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .unwrap()
    };
    let reader_cache = cache(&s);
    assert!(
        reader_cache < -crate::sqlite::BULK_CACHE_KIB,
        "{reader_cache}"
    );
    // Rolled back: the cache is the readers' again.
    {
        let mut b = s.begin_import_batch("importer").unwrap();
        assert_eq!(b.cache_size(), -crate::sqlite::BULK_CACHE_KIB);
        big_persons(&mut b, 50);
        Box::new(b).rollback().unwrap();
    }
    assert_eq!(cache(&s), reader_cache);
    // Committed: the same, and the rows are all there.
    {
        let mut b = s.begin_import_batch("importer").unwrap();
        assert_eq!(b.cache_size(), -crate::sqlite::BULK_CACHE_KIB);
        big_persons(&mut b, 50);
        Box::new(b).commit().unwrap();
    }
    assert_eq!(cache(&s), reader_cache);
    assert_eq!(count_rows(&s, "records"), 50);
    // An import into an archive with records is an ordinary batch: the
    // readers' cache stays.
    let b = s.begin_import_batch("importer").unwrap();
    assert_eq!(b.cache_size(), reader_cache);
    drop(b);
    // A cache already smaller than the import's is left alone.
    let e = tempfile::tempdir().unwrap();
    let mut s = new_store(e.path());
    s.conn().execute_batch("PRAGMA cache_size = 16").unwrap();
    let b = s.begin_import_batch("importer").unwrap();
    assert_eq!(b.cache_size(), 16);
    drop(b);
    assert_eq!(cache(&s), 16);
}

/// A first import writes pages to the file before it commits (its cache is
/// small, see `BULK_CACHE_KIB`; smaller still here, so that a few rows
/// suffice): those pages, the journal and the file after COMMIT hold the
/// confidential canary only encrypted.
#[test]
fn canary_is_absent_from_the_files_of_a_first_import_that_spills_pages() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.checkpoint().unwrap();
    let db = d.path().join(DB_FILE);
    let len0 = file_len(&db);
    let needles = vec![CANARY.as_bytes().to_vec(), utf16le(CANARY)];
    s.conn().execute_batch("PRAGMA cache_size = 16").unwrap();
    {
        let mut b = s.begin_import_batch("importer").unwrap();
        let mut p = person("prs-canary", CANARY);
        p.envelope.sensitivity = Sensitivity::Confidential;
        p.body = format!(r#"{{"kind":"person","names":[{{"text":"{CANARY}"}}]}}"#);
        b.put(p).unwrap();
        big_persons(&mut b, 2000);
        // Pages spilled (their writes may still wait on the write-behind
        // worker, which makes them shortly).
        let t0 = std::time::Instant::now();
        while file_len(&db) <= len0 + 1_000_000 && t0.elapsed().as_secs() < 20 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(file_len(&db) > len0 + 1_000_000, "pages spilled");
        assert!(
            d.path().join(format!("{DB_FILE}-journal")).exists(),
            "a first import, through a journal that is there to scan"
        );
        assert_no_canary(d.path(), &needles);
        Box::new(b).commit().unwrap();
    }
    assert_no_canary(d.path(), &needles);
    // The scan can fail: the record is there, readable through the store.
    assert!(
        s.get(&rid("prs-canary"))
            .unwrap()
            .unwrap()
            .body
            .contains(CANARY)
    );
}

#[test]
fn an_import_into_an_empty_archive_uses_a_journal_that_a_crash_rolls_back() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.checkpoint().unwrap();
    let db = d.path().join(DB_FILE);
    let journal = d.path().join(format!("{DB_FILE}-journal"));
    let len0 = file_len(&db);
    let ledger0 = s.ledger_len().unwrap();
    // A small cache, so that pages reach the file before COMMIT.
    s.conn().execute_batch("PRAGMA cache_size = 16").unwrap();
    let crashed = tempfile::tempdir().unwrap();
    {
        let mut b = s.begin_import("importer").unwrap();
        big_persons(b.as_mut(), 2000);
        // The import writes into the database file itself, through a
        // rollback journal (in WAL mode neither would be so).
        assert!(journal.exists(), "a rollback journal during the import");
        // Pages spilled (their writes may still wait on the write-behind
        // worker, which makes them shortly).
        let t0 = std::time::Instant::now();
        while file_len(&db) <= len0 + 1_000_000 && t0.elapsed().as_secs() < 20 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(file_len(&db) > len0 + 1_000_000, "pages spilled");
        // A crash now: the files as they are on disk.
        for f in [DB_FILE, &format!("{DB_FILE}-journal"), "keyring.json"] {
            std::fs::copy(d.path().join(f), crashed.path().join(f)).unwrap();
        }
        // The journal holds the schema page's old content, encrypted (in
        // clear it would read "CREATE TABLE").
        let j = std::fs::read(&journal).unwrap();
        assert!(j.len() > 4096);
        assert!(!j.windows(12).any(|w| w == b"CREATE TABLE"));
        b.rollback().unwrap();
    }
    // Rolled back: as before, and back in WAL mode.
    assert!(!journal.exists());
    assert_eq!(file_len(&db), len0);
    assert_eq!(count_rows(&s, "records"), 0);
    assert_eq!(s.ledger_len().unwrap(), ledger0);
    let mode: String = s
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // The crashed copy opens as the archive was before the import.
    let c = SqliteStore::open(crashed.path(), PW).unwrap();
    assert_eq!(count_rows(&c, "records"), 0);
    assert_eq!(c.ledger_len().unwrap(), ledger0);
    assert!(!crashed.path().join(format!("{DB_FILE}-journal")).exists());
    assert_eq!(file_len(&crashed.path().join(DB_FILE)), len0);
    let ok: String = c
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(c);
    // A committed import lands whole and is readable from another connection.
    let other = SqliteStore::open(d.path(), PW).unwrap();
    let mut b = s.begin_import("importer").unwrap();
    big_persons(b.as_mut(), 300);
    b.commit().unwrap();
    assert!(!journal.exists());
    assert_eq!(count_rows(&s, "records"), 300);
    assert_eq!(count_rows(&other, "records"), 300);
    assert_eq!(s.ledger_len().unwrap(), ledger0 + 300);
    assert!(s.get(&rid("prs-00299")).unwrap().is_some());
}

#[test]
fn an_import_into_an_archive_with_records_stays_in_wal() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.put("a", person("prs-first", "x")).unwrap();
    s.conn().execute_batch("PRAGMA cache_size = 16").unwrap();
    let journal = d.path().join(format!("{DB_FILE}-journal"));
    let mut b = s.begin_import("importer").unwrap();
    big_persons(b.as_mut(), 500);
    assert!(!journal.exists());
    assert!(d.path().join(format!("{DB_FILE}-wal")).exists());
    b.commit().unwrap();
    assert_eq!(count_rows(&s, "records"), 501);
}

/// A bulk import sets the records' date index aside and builds it again
/// before it commits: committed or rejected, the schema is the one the
/// migrations made, and the rebuilt index answers kind-and-date filters.
#[test]
fn a_bulk_import_leaves_the_schema_as_it_found_it() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    let schema = |s: &SqliteStore| -> Vec<(String, String, Option<String>)> {
        let mut st = s
            .conn()
            .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let before = schema(&s);
    let date_index = before
        .iter()
        .find(|(_, n, _)| n == "records_kind_date")
        .and_then(|(_, _, sql)| sql.clone());
    assert_eq!(
        date_index.as_deref(),
        Some(crate::sqlite::RECORDS_KIND_DATE),
        "the rebuilt index is the migration's"
    );
    let import = |s: &mut SqliteStore, bad: bool| {
        let mut b = s.begin_import("importer").unwrap();
        b.put(person("prs-1", "x")).unwrap();
        for i in 0..50 {
            // Dates in no order, as an import brings them.
            let day = (i * 37) % 50;
            b.put(act(
                &format!("act-{i:03}"),
                day,
                day,
                "plc-kp",
                "act_type:arrest",
                "prs-1",
            ))
            .unwrap();
        }
        b.put(place("plc-kp", None)).unwrap();
        if bad {
            b.put(act(
                "act-bad",
                1,
                1,
                "plc-kp",
                "act_type:arrest",
                "prs-nobody",
            ))
            .unwrap();
        }
        b.commit()
    };
    assert!(import(&mut s, true).is_err());
    assert_eq!(schema(&s), before, "a rejected bulk import keeps the index");
    assert_eq!(count_rows(&s, "records"), 0);
    let sum = import(&mut s, false).unwrap();
    assert_eq!(sum.created, 52);
    assert_eq!(schema(&s), before, "a committed bulk import rebuilds it");
    let plan: String = s
        .conn()
        .query_row(
            "EXPLAIN QUERY PLAN SELECT rid FROM records WHERE kind = 'act' AND date_lo BETWEEN 10 AND 19",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("records_kind_date"), "{plan}");
    let f = Filter {
        kinds: vec![RecordKind::Act],
        date_from: Some(10),
        date_to: Some(19),
        ..Default::default()
    };
    assert_eq!(s.count(&f).unwrap(), 10);
    let integrity: String = s
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

/// A record's place is written once, as a place row; every reader of
/// references still finds it: `referrers`, `Filter::refs` and the batch's
/// check for references that never resolve.
#[test]
fn a_place_is_a_reference_kept_as_a_place_row_only() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    place_tree(&mut s);
    s.put(
        "a",
        act("act-1", 1, 1, "plc-kp", "act_type:arrest", "prs-1"),
    )
    .unwrap();
    let act_rid: i64 = s
        .conn()
        .query_row("SELECT rid FROM records WHERE id = 'act-1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        facet_rows_of(&s, act_rid),
        vec!["place plc-kp", "ref prs-1", "term act_type:arrest"]
    );
    // The act, and the two provinces through their parent link.
    assert_eq!(
        s.referrers(&rid("plc-kp"), 10).unwrap(),
        vec![rid("act-1"), rid("plc-nh"), rid("plc-ry")]
    );
    for target in ["plc-kp", "prs-1"] {
        let f = Filter {
            kinds: vec![RecordKind::Act],
            refs: vec![rid(target)],
            ..Default::default()
        };
        assert_eq!(ids(&s.query(&f).unwrap()), vec!["act-1"], "{target}");
        assert_eq!(s.count(&f).unwrap(), 1, "{target}");
    }
    // A place that never arrives is a dangling reference, found through
    // the place row.
    let mut b = s.begin_batch("importer").unwrap();
    b.put(act(
        "act-2",
        1,
        1,
        "plc-nowhere",
        "act_type:arrest",
        "prs-1",
    ))
    .unwrap();
    let errors = b.check().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].reason.contains("plc-nowhere"), "{errors:?}");
}

#[test]
fn an_archive_with_ctr_gmac_pages_opens_reads_rotates_and_needs_its_keyring_field() {
    use crate::keyring::PageCipher;
    let d = tempfile::tempdir().unwrap();
    let opts = InitOptions {
        page_cipher: PageCipher::AesCtrGmac,
        ..InitOptions::insecure_fast_for_tests()
    };
    {
        let mut s = SqliteStore::init_with(d.path(), PW, opts).unwrap();
        assert_eq!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
        for i in 0..200 {
            s.put("a", person(&format!("prs-{i}"), "x")).unwrap();
        }
        s.checkpoint().unwrap();
    }
    let mut kr = keyring_json(d.path());
    assert_eq!(kr["page_cipher"], "aes_ctr_gmac");
    assert_eq!(kr["format"], "tumen-keyring-v3");
    {
        let mut s = SqliteStore::open(d.path(), PW).unwrap();
        assert_eq!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
        assert!(s.get(&rid("prs-199")).unwrap().is_some());
        s.rotate_data_key(PW, &mut |_| Ok(())).unwrap();
        assert_eq!(cipher_provider(&s), "tumen-openssl-ctr-gmac");
        s.put("a", person("prs-new", "y")).unwrap();
    }
    let rotated = keyring_json(d.path());
    assert_eq!(rotated["page_cipher"], "aes_ctr_gmac");
    {
        let s = SqliteStore::open(d.path(), PW).unwrap();
        assert!(s.get(&rid("prs-new")).unwrap().is_some());
        assert!(s.get(&rid("prs-0")).unwrap().is_some());
    }
    // Without the field, SQLCipher reads the pages as AES-CBC + HMAC and the
    // key does not fit; a cipher tumen does not know is a corrupt keyring.
    kr = rotated;
    assert_keyring_field_is_needed(d.path(), &mut kr, "page_cipher", serde_json::json!("rot13"));
}

/// `PRAGMA cipher_provider`: the crypto provider the pages of the store's
/// database go through (`tumen-openssl-ctr-gmac` for AES-CTR + GMAC).
fn cipher_provider(s: &SqliteStore) -> String {
    s.conn()
        .query_row("PRAGMA cipher_provider", [], |r| r.get(0))
        .unwrap()
}

/// The keyring field `field` is what makes the archive in `dir` open:
/// without it the key does not fit the pages, and with `unknown` in it the
/// keyring is corrupt. Leaves the keyring written with `unknown`.
fn assert_keyring_field_is_needed(
    dir: &Path,
    kr: &mut serde_json::Value,
    field: &str,
    unknown: serde_json::Value,
) {
    kr.as_object_mut().unwrap().remove(field);
    write_keyring(dir, kr);
    assert!(
        matches!(SqliteStore::open(dir, PW), Err(StoreError::KeyMismatch(_))),
        "without {field}"
    );
    kr[field] = unknown;
    write_keyring(dir, kr);
    let e = SqliteStore::open(dir, PW).err().unwrap();
    assert!(
        matches!(e, StoreError::Keyring(KeyringError::Corrupt { .. })),
        "{field}: {e}"
    );
}

/// `PRAGMA quick_check` of the store's database.
fn quick_check(s: &SqliteStore) -> String {
    s.conn()
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap()
}

/// SQLCipher's MAC key for a database file with raw key `key`: PBKDF2-
/// HMAC-SHA512 of the key, salted with the file's first 16 bytes XOR 0x3a,
/// 2 iterations (an independent implementation, for the page-format tests).
fn sqlcipher_mac_key(key: &[u8], file: &[u8]) -> [u8; 32] {
    let salt: Vec<u8> = file[..16].iter().map(|b| b ^ 0x3a).collect();
    let mut mac_key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(key, &salt, 2, &mut mac_key);
    mac_key
}

/// The pages of an AES-CTR + GMAC archive, read back with an independent
/// implementation (RustCrypto's AES, CTR, GCM and PBKDF2, not OpenSSL) from
/// nothing but the raw key and the construction `crate::page_cipher`
/// documents: the MAC key is SQLCipher's (PBKDF2-HMAC-SHA512 of the key,
/// salt = the file's first 16 bytes XOR 0x3a, 2 iterations); each page's
/// reserved 32 bytes are the IV and the GMAC tag over ciphertext ‖ IV ‖
/// page number (little-endian), nonce = the IV's first 12 bytes; the
/// ciphertext is AES-256-CTR from the IV. Page 1 keeps the salt in its first
/// 16 bytes and encrypts the rest.
#[test]
fn ctr_gmac_pages_decrypt_with_an_independent_implementation_of_the_documented_construction() {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    use ctr::cipher::{KeyIvInit, StreamCipher};
    const P: usize = 4096;
    const RESERVE: usize = 32;
    let d = tempfile::tempdir().unwrap();
    let key: Vec<u8>;
    {
        let mut s = new_store(d.path());
        assert_eq!(
            crate::keyring::Keyring::load(d.path())
                .unwrap()
                .page_format()
                .cipher,
            crate::keyring::PageCipher::AesCtrGmac,
            "new archives use AES-CTR + GMAC pages"
        );
        confidential_canary_record(&mut s);
        s.checkpoint().unwrap();
        key = hex::decode(s.key.sqlcipher_key_hex().as_str()).unwrap();
    }
    let file = std::fs::read(d.path().join(DB_FILE)).unwrap();
    assert!(file.len() >= 2 * P && file.len() % P == 0, "{}", file.len());
    let mac_key = sqlcipher_mac_key(&key, &file);
    let gmac = aes_gcm::Aes256Gcm::new_from_slice(&mac_key).unwrap();
    let mut plain = Vec::new();
    for (i, page) in file.chunks(P).enumerate() {
        let pgno = i as u32 + 1;
        let region = if pgno == 1 { &page[16..] } else { page };
        let size = region.len() - RESERVE;
        let (ct, rest) = region.split_at(size);
        let (iv, tag) = rest.split_at(16);
        let mut aad = Vec::with_capacity(size + 20);
        aad.extend_from_slice(ct);
        aad.extend_from_slice(iv);
        aad.extend_from_slice(&pgno.to_le_bytes());
        let mut empty: Vec<u8> = Vec::new();
        let expected = gmac
            .encrypt_in_place_detached(aes_gcm::Nonce::from_slice(&iv[..12]), &aad, &mut empty)
            .unwrap();
        assert_eq!(&expected[..], tag, "GMAC of page {pgno}");
        let mut pt = ct.to_vec();
        ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&key, iv)
            .unwrap()
            .apply_keystream(&mut pt);
        if pgno == 1 {
            // The SQLite header from its byte 16: page size (big-endian),
            // write/read versions, then the reserved bytes per page.
            assert_eq!(&pt[..2], &[0x10, 0x00], "page size 4096");
            assert_eq!(pt[4] as usize, RESERVE, "reserved bytes per page");
        }
        plain.extend_from_slice(&pt);
    }
    assert!(
        plain.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
        "the decrypted pages hold the canary record"
    );
    assert!(
        !file.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
        "the file does not"
    );
}

/// A changed bit anywhere in a page (ciphertext, IV, tag) or a page moved
/// to another place makes reading fail; it never yields other data.
#[test]
fn a_changed_or_moved_page_is_an_error_not_other_data() {
    const P: u64 = 4096;
    let d = tempfile::tempdir().unwrap();
    {
        let mut s = new_store(d.path());
        for i in 0..300 {
            s.put("a", person(&format!("prs-{i:04}"), &"name ".repeat(20)))
                .unwrap();
        }
        s.checkpoint().unwrap();
    }
    let db = d.path().join(DB_FILE);
    let original = std::fs::read(&db).unwrap();
    let pages = original.len() as u64 / P;
    assert!(pages > 8, "{pages} pages");
    let read_all = || -> Result<String, String> {
        let s = SqliteStore::open(d.path(), PW).map_err(|e| e.to_string())?;
        s.conn()
            .query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())
    };
    assert_eq!(read_all().unwrap(), "ok");
    let third = (2 * P) as usize;
    type Change = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "a ciphertext bit",
            Box::new(move |f: &mut Vec<u8>| f[third + 100] ^= 0x01),
        ),
        (
            "an IV bit",
            Box::new(move |f: &mut Vec<u8>| f[third + 4096 - 32] ^= 0x80),
        ),
        (
            "a tag bit",
            Box::new(move |f: &mut Vec<u8>| f[third + 4095] ^= 0x01),
        ),
        (
            "pages 3 and 4 swapped",
            Box::new(move |f: &mut Vec<u8>| {
                let (a, b) = f[third..third + 2 * 4096].split_at_mut(4096);
                a.swap_with_slice(b);
            }),
        ),
        ("page 1's salt", Box::new(|f: &mut Vec<u8>| f[3] ^= 0x01)),
    ];
    for (what, change) in cases {
        let mut f = original.clone();
        change(&mut f);
        std::fs::write(&db, &f).unwrap();
        // An error, or SQLite's own check finding the damage; never a
        // clean read.
        if let Ok(r) = read_all() {
            assert_ne!(r, "ok", "{what}: read as if nothing had changed");
        }
    }
    std::fs::write(&db, &original).unwrap();
    assert_eq!(read_all().unwrap(), "ok");
}

/// VACUUM rebuilds the file through a temporary database that SQLCipher
/// keys itself; the pages it writes back must still be AES-CTR + GMAC.
#[test]
fn vacuum_keeps_a_ctr_gmac_archive_readable() {
    let d = tempfile::tempdir().unwrap();
    {
        let mut s = new_store(d.path());
        for i in 0..100 {
            s.put("a", person(&format!("prs-{i:04}"), "x")).unwrap();
        }
        s.conn().execute_batch("VACUUM").unwrap();
        assert!(s.get(&rid("prs-0042")).unwrap().is_some());
        s.checkpoint().unwrap();
    }
    let s = SqliteStore::open(d.path(), PW).unwrap();
    assert!(s.get(&rid("prs-0099")).unwrap().is_some());
    let ok = quick_check(&s);
    assert_eq!(ok, "ok");
}

/// An archive with AES-CBC pages written after the AES-CTR provider was
/// installed in this process is still SQLCipher 4's format, page for page:
/// decrypted here with RustCrypto's AES-CBC and HMAC-SHA256 (SQLCipher's
/// layout: IV, then the HMAC over ciphertext ‖ IV ‖ page number, in 48
/// reserved bytes). What the wrapping provider promises the archives made
/// before it: their pages go through SQLCipher's own functions.
#[test]
fn aes_cbc_pages_written_beside_the_ctr_provider_are_sqlciphers_format() {
    use aes::cipher::{BlockDecryptMut, KeyIvInit};
    use hmac::Mac;
    const P: usize = 4096;
    const RESERVE: usize = 48;
    // Make sure the provider is installed before the archive is written.
    let d0 = tempfile::tempdir().unwrap();
    drop(new_store(d0.path()));
    let d = tempfile::tempdir().unwrap();
    let key: Vec<u8>;
    {
        let opts = InitOptions {
            page_cipher: crate::keyring::PageCipher::AesCbc,
            ..InitOptions::insecure_fast_for_tests()
        };
        let mut s = SqliteStore::init_with(d.path(), PW, opts).unwrap();
        confidential_canary_record(&mut s);
        s.checkpoint().unwrap();
        key = hex::decode(s.key.sqlcipher_key_hex().as_str()).unwrap();
    }
    let file = std::fs::read(d.path().join(DB_FILE)).unwrap();
    assert!(file.len() >= 2 * P && file.len() % P == 0, "{}", file.len());
    let mac_key = sqlcipher_mac_key(&key, &file);
    let mut plain = Vec::new();
    for (i, page) in file.chunks(P).enumerate() {
        let pgno = i as u32 + 1;
        let region = if pgno == 1 { &page[16..] } else { page };
        let size = region.len() - RESERVE;
        let (ct, rest) = region.split_at(size);
        let iv = &rest[..16];
        let tag = &rest[16..48];
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&mac_key).unwrap();
        mac.update(ct);
        mac.update(iv);
        mac.update(&pgno.to_le_bytes());
        assert_eq!(&mac.finalize().into_bytes()[..], tag, "HMAC of page {pgno}");
        let mut pt = ct.to_vec();
        cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, iv)
            .unwrap()
            .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut pt)
            .unwrap();
        if pgno == 1 {
            assert_eq!(&pt[..2], &[0x10, 0x00], "page size 4096");
            // SQLite's header reserves 80 bytes: room for an HMAC-SHA512,
            // SQLCipher's default when the key is set, before the pragma
            // chooses SHA-256; IV and HMAC then use the last 48 (SQLCipher
            // 4 itself does the same with the same two statements).
            assert_eq!(pt[4], 80, "reserved bytes per page");
        }
        plain.extend_from_slice(&pt);
    }
    assert!(plain.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
}

/// The page cipher is chosen per codec context by the thread that keys it:
/// archives of both ciphers created, written and reopened on many threads
/// at once each get their own, and each reopens with it (a context keyed
/// with the wrong one could not read its pages).
#[test]
fn archives_of_both_page_ciphers_on_many_threads_each_keep_their_own() {
    use crate::keyring::PageCipher;
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for round in 0..4 {
                    let cipher = if (t + round) % 2 == 0 {
                        PageCipher::AesCtrGmac
                    } else {
                        PageCipher::AesCbc
                    };
                    let d = tempfile::tempdir().unwrap();
                    let opts = InitOptions {
                        page_cipher: cipher,
                        ..InitOptions::insecure_fast_for_tests()
                    };
                    {
                        let mut s = SqliteStore::init_with(d.path(), PW, opts).unwrap();
                        for i in 0..20 {
                            s.put("a", person(&format!("prs-{t}-{round}-{i}"), "x"))
                                .unwrap();
                        }
                        s.checkpoint().unwrap();
                    }
                    let s = SqliteStore::open(d.path(), PW).unwrap();
                    let provider = cipher_provider(&s);
                    assert_eq!(
                        provider == "tumen-openssl-ctr-gmac",
                        cipher == PageCipher::AesCtrGmac,
                        "thread {t} round {round}: {provider}"
                    );
                    assert!(
                        s.get(&rid(&format!("prs-{t}-{round}-19")))
                            .unwrap()
                            .is_some()
                    );
                    let ok = quick_check(&s);
                    assert_eq!(ok, "ok");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// The same statements on two plain files in rollback-journal mode with a
/// tiny cache (so that pages are written, read back and rewritten inside
/// the transaction): one through SQLite's own VFS, one through the
/// write-behind VFS with write-behind on. SQLite's file is the reference.
#[test]
fn deferred_page_writes_leave_the_file_sqlite_itself_writes() {
    use rusqlite::OpenFlags;
    let d = tempfile::tempdir().unwrap();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let direct = rusqlite::Connection::open_with_flags(d.path().join("direct.db"), flags).unwrap();
    let deferred = rusqlite::Connection::open_with_flags_and_vfs(
        d.path().join("deferred.db"),
        flags,
        crate::write_behind::vfs_name().unwrap(),
    )
    .unwrap();
    assert!(
        !crate::write_behind::set(&direct, true).unwrap(),
        "not our VFS"
    );
    let mut seen = Vec::new();
    for c in [&direct, &deferred] {
        c.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA cache_size = 8;
             CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
             CREATE INDEX t_v ON t (v);
             BEGIN IMMEDIATE;",
        )
        .unwrap();
        if std::ptr::eq(c, &deferred) {
            // Write-out hints every 64 KiB, to make many inside the
            // transaction (a real import gives one per 64 MiB).
            crate::write_behind::WRITE_OUT_AFTER.set(Some(64 << 10));
            assert!(crate::write_behind::set(c, true).unwrap());
            crate::write_behind::WRITE_OUT_AFTER.set(None);
        }
        let mut sums = Vec::new();
        for round in 0..4i64 {
            for k in 0..3000i64 {
                c.execute(
                    "INSERT INTO t (k, v) VALUES (?1, ?2)",
                    rusqlite::params![round * 10_000 + k, format!("{:x}-{k}", k * 7919 % 3001)],
                )
                .unwrap();
            }
            // Reads of pages that left the cache, and rewrites of them.
            c.execute("UPDATE t SET v = v || 'u' WHERE k % 97 = 0", [])
                .unwrap();
            c.execute("DELETE FROM t WHERE k % 89 = 0", []).unwrap();
            sums.push(
                c.query_row("SELECT count(*), sum(length(v)), max(v) FROM t", [], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .unwrap(),
            );
        }
        c.execute_batch("COMMIT").unwrap();
        assert!(
            crate::write_behind::set(c, false).unwrap() == std::ptr::eq(c, &deferred),
            "switched off"
        );
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        seen.push(sums);
    }
    assert_eq!(seen[0], seen[1], "what the transaction read");
    if cfg!(target_os = "linux") {
        // The hints reached the file's own descriptor (checked against
        // its path when found); other hints from tests running beside
        // this one only add to the count.
        assert!(crate::write_behind::descriptor(&deferred).is_some());
        assert!(crate::write_behind::WRITE_OUTS.load(std::sync::atomic::Ordering::Relaxed) >= 4);
    }
    drop((direct, deferred));
    let (a, b) = (
        std::fs::read(d.path().join("direct.db")).unwrap(),
        std::fs::read(d.path().join("deferred.db")).unwrap(),
    );
    assert!(a.len() > 300_000, "{}", a.len());
    assert!(a == b, "the two files differ");
}

#[test]
fn a_failed_deferred_write_fails_only_its_own_archive() {
    // Two archives in one process (tests, and later a server): a write
    // that failed behind the first must not fail the second's commit,
    // which deletes its journal while the first still has its failure.
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut s1 = new_store(d1.path());
    s1.checkpoint().unwrap();
    s1.conn().execute_batch("PRAGMA cache_size = 16").unwrap();
    crate::write_behind::FAIL_AFTER.set(Some(0));
    let mut b1 = s1.begin_import("importer").unwrap();
    crate::write_behind::FAIL_AFTER.set(None);
    // Until a put sees the failure, pages are being written behind.
    let mut seen = false;
    for i in 0..5000 {
        if b1
            .put(person(&format!("prs-{i:05}"), &"x".repeat(200)))
            .is_err()
        {
            seen = true;
            break;
        }
    }
    assert!(seen, "the injected failure never reached the batch");
    let mut s2 = new_store(d2.path());
    let mut b2 = s2.begin_import("importer").unwrap();
    for i in 0..50 {
        b2.put(person(&format!("prs-{i:05}"), "y")).unwrap();
    }
    b2.commit().unwrap();
    assert_eq!(count_rows(&s2, "records"), 50);
    assert!(b1.commit().is_err());
    assert_eq!(count_rows(&s1, "records"), 0);
}

#[test]
fn a_deferred_write_that_fails_fails_the_import_and_leaves_the_archive_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let mut s = new_store(d.path());
    s.checkpoint().unwrap();
    let len0 = file_len(&d.path().join(DB_FILE));
    s.conn().execute_batch("PRAGMA cache_size = 16").unwrap();
    crate::write_behind::FAIL_AFTER.set(Some(40));
    let mut b = s.begin_import("importer").unwrap();
    crate::write_behind::FAIL_AFTER.set(None);
    // Row errors may come first (a write reported failed while a row was
    // written); either way nothing commits.
    for i in 0..2000 {
        let _ = b.put(person(&format!("prs-{i:05}"), &"x".repeat(200)));
    }
    let failed = b.commit();
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(count_rows(&s, "records"), 0);
    drop(s);
    let s = SqliteStore::open(d.path(), PW).unwrap();
    assert_eq!(count_rows(&s, "records"), 0);
    let ok: String = s
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    assert!(!d.path().join(format!("{DB_FILE}-journal")).exists());
    assert_eq!(file_len(&d.path().join(DB_FILE)), len0);
}
