//! Tampering with a ledger and the records it vouches for: every kind of
//! change must be detected and the first bad position named.
//!
//! The "database" here is two vectors, standing in for the store's
//! `revisions` and `ledger` tables; the entry format is a simple one made up
//! for the test (the real one belongs to `tumen-store`). The caller's side of
//! the check (decode the entry, find the row it names, recompute) is
//! [`check`] below; the crate's side is [`LedgerCheck`].

use tumen_ledger::{
    LedgerCheck, LedgerKey, MerkleTree, Problem, Recheck, Report, SignedTreeHead, TreeHead,
    leaf_hash, sha256,
};

#[derive(Clone)]
struct Revision {
    record: String,
    rev: u64,
    body: String,
}

#[derive(Clone)]
struct Row {
    index: u64,
    leaf: Vec<u8>,
}

fn entry(index: u64, r: &Revision) -> Vec<u8> {
    format!(
        "{index}|{}|{}|{}",
        r.record,
        r.rev,
        hex::encode(sha256(r.body.as_bytes()))
    )
    .into_bytes()
}

fn parse(leaf: &[u8]) -> Option<(u64, String, u64)> {
    let s = std::str::from_utf8(leaf).ok()?;
    let mut it = s.split('|');
    Some((
        it.next()?.parse().ok()?,
        it.next()?.to_string(),
        it.next()?.parse().ok()?,
    ))
}

struct Db {
    revisions: Vec<Revision>,
    ledger: Vec<Row>,
    heads: Vec<SignedTreeHead>,
}

fn key() -> LedgerKey {
    LedgerKey::from_seed(&[7; 32])
}

/// 40 revisions of 8 records, each logged, with a signed head every 10
/// entries (sizes 10, 20, 30, 40).
fn db() -> Db {
    let mut revisions = Vec::new();
    let mut ledger = Vec::new();
    let mut tree = MerkleTree::new();
    let mut heads = Vec::new();
    for i in 0..40u64 {
        let r = Revision {
            record: format!("act-{:04}", i % 8),
            rev: i / 8 + 1,
            body: format!("{{\"n\":{i}}}"),
        };
        let leaf = entry(i, &r);
        tree.push_entry(&leaf);
        ledger.push(Row { index: i, leaf });
        revisions.push(r);
        if (i + 1) % 10 == 0 {
            heads.push(
                TreeHead {
                    size: i + 1,
                    root: tree.root(),
                    timestamp_ms: 1_700_000_000_000 + i as i64,
                }
                .sign(&key()),
            );
        }
    }
    Db {
        revisions,
        ledger,
        heads,
    }
}

fn check(db: &Db) -> Report {
    let mut c = LedgerCheck::new(&key().public(), db.heads.clone());
    let mut logged = std::collections::HashSet::new();
    for row in &db.ledger {
        match parse(&row.leaf) {
            None => c.push(
                row.index,
                &row.leaf,
                None,
                Recheck::Unreadable("not an entry".into()),
            ),
            Some((claimed, record, rev)) => {
                logged.insert((record.clone(), rev));
                let recheck = match db
                    .revisions
                    .iter()
                    .find(|r| r.record == record && r.rev == rev)
                {
                    None => Recheck::RevisionMissing {
                        record_id: record,
                        rev,
                    },
                    Some(r) if entry(claimed, r) == row.leaf => Recheck::Matches,
                    Some(_) => Recheck::Altered {
                        record_id: record,
                        rev,
                    },
                };
                c.push(row.index, &row.leaf, Some(claimed), recheck);
            }
        }
    }
    for r in &db.revisions {
        if !logged.contains(&(r.record.clone(), r.rev)) {
            c.not_logged(&r.record, r.rev);
        }
    }
    c.finish()
}

#[test]
fn an_untouched_ledger_is_intact() {
    let d = db();
    let r = check(&d);
    assert!(r.is_intact(), "{:?}", r.problems);
    assert_eq!(r.size, 40);
    assert_eq!(r.heads_matched, 4);
    assert_eq!(r.last_good_head, 40);
    assert_eq!(r.root, d.heads[3].head.root);
    assert_eq!(r.first_bad_index(), None);
}

#[test]
fn an_altered_record_body_is_named() {
    let mut d = db();
    d.revisions[13].body = "{\"n\":\"changed\"}".into();
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(13));
    assert!(r.first_bad_is_exact());
    assert_eq!(
        r.problems,
        vec![Problem::Altered {
            index: 13,
            record_id: "act-0005".into(),
            rev: 2
        }]
    );
}

#[test]
fn an_altered_entry_is_named() {
    let mut d = db();
    d.ledger[21].leaf = entry(
        21,
        &Revision {
            body: "forged".into(),
            ..d.revisions[21].clone()
        },
    );
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(21));
    assert!(r.problems.contains(&Problem::Altered {
        index: 21,
        record_id: "act-0005".into(),
        rev: 3
    }));
    // The tree no longer matches the heads at 30 and 40.
    assert!(r.problems.contains(&Problem::RootMismatch {
        from_index: 20,
        head_size: 30
    }));
    assert_eq!(r.last_good_head, 20);
}

#[test]
fn an_entry_rewritten_together_with_its_record_is_caught_by_the_signed_heads() {
    // The insider rewrites the body and recomputes its entry: the rows agree
    // with each other, only the signed heads can tell.
    let mut d = db();
    d.revisions[25].body = "{\"n\":\"rewritten\"}".into();
    d.ledger[25].leaf = entry(25, &d.revisions[25]);
    let r = check(&d);
    assert!(!r.is_intact());
    assert_eq!(
        r.problems[0],
        Problem::RootMismatch {
            from_index: 20,
            head_size: 30
        }
    );
    assert_eq!(r.first_bad_index(), Some(20));
    assert!(!r.first_bad_is_exact());
    assert_eq!(r.last_good_head, 20);
}

#[test]
fn with_a_head_after_every_entry_a_rewrite_is_pinned_to_its_entry() {
    let mut d = db();
    let mut t = MerkleTree::new();
    d.heads = d
        .ledger
        .iter()
        .map(|row| {
            t.push_entry(&row.leaf);
            TreeHead {
                size: t.size(),
                root: t.root(),
                timestamp_ms: 0,
            }
            .sign(&key())
        })
        .collect();
    d.revisions[25].body = "{\"n\":\"rewritten\"}".into();
    d.ledger[25].leaf = entry(25, &d.revisions[25]);
    let r = check(&d);
    assert_eq!(
        r.problems[0],
        Problem::RootMismatch {
            from_index: 25,
            head_size: 26
        }
    );
    assert_eq!(r.first_bad_index(), Some(25));
    assert!(!r.first_bad_is_exact());
    assert_eq!(r.last_good_head, 25);
}

#[test]
fn a_removed_entry_is_named() {
    let mut d = db();
    d.ledger.remove(17);
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(17));
    assert_eq!(
        r.problems[0],
        Problem::Removed {
            index: 17,
            next_seq: 18
        }
    );
    // Reported once, not once per later entry.
    assert_eq!(
        r.problems
            .iter()
            .filter(|p| matches!(p, Problem::Removed { .. }))
            .count(),
        1
    );
    assert!(r.problems.contains(&Problem::NotLogged {
        record_id: "act-0001".into(),
        rev: 3
    }));
}

#[test]
fn a_removed_revision_is_named() {
    let mut d = db();
    d.revisions.remove(8);
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(8));
    assert_eq!(
        r.problems,
        vec![Problem::RevisionMissing {
            index: 8,
            record_id: "act-0000".into(),
            rev: 2
        }]
    );
}

#[test]
fn reordered_entries_are_named() {
    // Swap the contents of rows 11 and 12, keeping the row positions.
    let mut d = db();
    let a = d.ledger[11].leaf.clone();
    d.ledger[11].leaf = d.ledger[12].leaf.clone();
    d.ledger[12].leaf = a;
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(11));
    assert_eq!(
        r.problems[0],
        Problem::Reordered {
            index: 11,
            found_seq: 12
        }
    );

    // Swap whole rows (positions too).
    let mut d = db();
    d.ledger.swap(30, 31);
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(30));
    assert_eq!(
        r.problems[0],
        Problem::Removed {
            index: 30,
            next_seq: 31
        }
    );
    assert!(r.problems.contains(&Problem::Reordered {
        index: 31,
        found_seq: 30
    }));
}

#[test]
fn a_truncated_ledger_is_named() {
    let mut d = db();
    d.ledger.truncate(33);
    d.revisions.truncate(33); // the insider removed the records too
    let r = check(&d);
    assert_eq!(
        r.problems,
        vec![Problem::Truncated {
            ledger_size: 33,
            head_size: 40
        }]
    );
    assert_eq!(r.first_bad_index(), Some(33));
}

#[test]
fn an_unreadable_entry_is_named() {
    let mut d = db();
    d.ledger[3].leaf = vec![0xff, 0xfe];
    let r = check(&d);
    assert_eq!(r.first_bad_index(), Some(3));
    assert!(matches!(
        r.problems[0],
        Problem::Unreadable { index: 3, .. }
    ));
}

#[test]
fn forged_heads_are_refused_and_not_used() {
    // Signed by another key.
    let mut d = db();
    let evil = LedgerKey::from_seed(&[9; 32]);
    d.heads[3] = d.heads[3].head.sign(&evil);
    let r = check(&d);
    assert!(matches!(
        &r.problems[0],
        Problem::ForgedHead { head_size: 40, .. }
    ));
    assert_eq!(r.heads_matched, 3);

    // Root altered after signing.
    let mut d = db();
    d.heads[1].head.root[0] ^= 1;
    let r = check(&d);
    assert!(matches!(
        &r.problems[0],
        Problem::ForgedHead { head_size: 20, .. }
    ));

    // Size altered after signing.
    let mut d = db();
    d.heads[0].head.size = 9;
    let r = check(&d);
    assert!(matches!(
        &r.problems[0],
        Problem::ForgedHead { head_size: 9, .. }
    ));

    // A forged head that claims the ledger was longer does not make an
    // honest ledger look truncated.
    let mut d = db();
    let mut f = d.heads[3];
    f.head.size = 50;
    d.heads.push(f);
    let r = check(&d);
    assert_eq!(r.problems.len(), 1);
    assert!(matches!(
        &r.problems[0],
        Problem::ForgedHead { head_size: 50, .. }
    ));
}

#[test]
fn a_head_from_the_printed_form_checks_against_a_rebuilt_tree() {
    let d = db();
    let published = d.heads[1].to_text();
    let parsed = SignedTreeHead::from_text(&published).unwrap();
    parsed.verify(&key().public()).unwrap();
    // Anyone with the entries can rebuild the tree and compare.
    let t = MerkleTree::from_leaf_hashes(d.ledger.iter().map(|r| leaf_hash(&r.leaf)));
    assert_eq!(t.root_at(parsed.head.size).unwrap(), parsed.head.root);
    let proof = t.consistency_proof(parsed.head.size, t.size()).unwrap();
    tumen_ledger::verify_consistency(
        parsed.head.size,
        t.size(),
        &parsed.head.root,
        &t.root(),
        &proof,
    )
    .unwrap();
}
