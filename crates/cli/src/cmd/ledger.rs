//! `tumen verify`: check the tamper-evident ledger against the database,
//! print signed tree heads for publication, check a published head, and
//! print inclusion proofs.
//!
//! The work is split so that each rule lives in one place: the store fixes
//! the bytes of a revision's ledger entry (`tumen_store::leaf`), the ledger
//! crate does the Merkle tree, the proofs, the signatures and the bookkeeping
//! of what is wrong (`tumen_ledger::LedgerCheck`); this module only reads the
//! two tables, recomputes each entry from its revision row, and prints.
//!
//! The signing key is never stored: it is derived from the archive's data
//! key (`derive_subkey("ledger-signing")`), so it exists only while the
//! archive is unlocked; a data-key rotation replaces it and keeps the old
//! public key, so heads published before can still be checked. Account
//! entries (who changed which account, and its resulting role, groups and
//! flags) are compared with the accounts table: an account changed behind
//! tumen's back fails the check. Signed heads are kept as checkpoints in the store's
//! settings (`ledger.heads`); they only help to locate a change, since the
//! heads that matter are those published outside the archive.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use tumen_evidence::CustodyEvent;
use tumen_ledger::head::all_from_text;
use tumen_ledger::{
    Hash, LedgerCheck, LedgerKey, MerkleTree, PublicKey, Recheck, Report, SignedTreeHead, TreeHead,
    leaf_hash, sha256,
};
use tumen_service::AccountState;
use tumen_service::LedgerAccess;
use tumen_store::leaf::{AccessLeaf, AccountLeaf, RevisionLeaf};
use tumen_store::{LedgerLeaf, Revision};
#[cfg(test)]
use tumen_store::{SqliteStore, Store};

/// Settings key under which signed heads (checkpoints) are kept.
const HEADS_SETTING: &str = "ledger.heads";
/// Rows read per database round trip.
const BATCH: usize = 10_000;

#[derive(clap::Args)]
pub struct Args {
    /// Print a new signed tree head of today's ledger, for publication (it is
    /// also kept as a checkpoint). Refused if the ledger does not verify.
    #[arg(long, conflicts_with_all = ["check_head", "prove", "public_key"])]
    head: bool,
    /// Check that the signed tree head in FILE (e.g. copied from a published
    /// report) is genuine and that today's ledger still contains the ledger
    /// it describes; prints the consistency proof.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prove", "public_key"])]
    check_head: Option<PathBuf>,
    /// Print an inclusion proof for a record revision, given as ID@REV (e.g.
    /// act-2023-0001@2), together with a signed tree head it leads to.
    #[arg(long, value_name = "REVISION", conflicts_with = "public_key")]
    prove: Option<String>,
    /// Print the ledger's public key (publish it once, apart from the heads).
    #[arg(long)]
    public_key: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// After a clean check, do not keep a new signed head as a checkpoint.
    #[arg(long)]
    no_checkpoint: bool,
    /// Also list every recorded read of a confidential record (who, which
    /// record, how, when), oldest first.
    #[arg(long)]
    reads: bool,
}

/// Where the check reads the two tables from (the store, or in tests a
/// tampered copy).
pub(crate) trait LedgerSource {
    /// Ledger rows with `seq >= from_seq` (1-based), in order.
    fn leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>>;
    /// Revisions with `seq > after_seq`, in order.
    fn revisions(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>>;
}

impl LedgerSource for LedgerAccess<'_> {
    fn leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>> {
        Ok(LedgerAccess::leaves(self, from_seq, limit)?)
    }
    fn revisions(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>> {
        Ok(LedgerAccess::revisions(self, after_seq, limit)?)
    }
}

#[cfg(test)]
impl LedgerSource for SqliteStore {
    fn leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>> {
        Ok(self.ledger_leaves(from_seq, limit)?)
    }
    fn revisions(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>> {
        Ok(self.revisions_since(after_seq, limit)?)
    }
}

/// The entry a revision row should have in the ledger. The body hash is
/// recomputed from the body itself, never taken from the row's hash column.
fn expected_leaf(r: &Revision) -> Vec<u8> {
    RevisionLeaf::of(r, sha256(r.body.as_deref().unwrap_or("").as_bytes())).encode()
}

/// The outcome of reading the whole ledger.
pub(crate) struct Checked {
    pub report: Report,
    pub tree: MerkleTree,
    /// (record id, rev) → 0-based leaf index, for the revision asked about.
    pub wanted: Option<u64>,
    /// Entries that record an access to a confidential record.
    pub accesses: u64,
    /// Entries that record an evidence custody event.
    pub custody: u64,
    /// The access entries, when asked for (`--reads`).
    pub reads: Vec<AccessLeaf>,
    /// Entries that record an account change.
    pub account_changes: u64,
    /// The state each account's last entry left it in.
    pub accounts: Vec<AccountState>,
}

/// Read both tables once and check everything. `want` is an (id, rev) whose
/// leaf index is wanted (for `--prove`).
#[cfg(test)]
pub(crate) fn check(
    src: &dyn LedgerSource,
    trusted: &PublicKey,
    heads: Vec<SignedTreeHead>,
    want: Option<(&str, u64)>,
) -> Result<Checked> {
    check_with(src, trusted, heads, want, false)
}

/// [`check`], optionally collecting the confidential-read entries.
pub(crate) fn check_with(
    src: &dyn LedgerSource,
    trusted: &PublicKey,
    heads: Vec<SignedTreeHead>,
    want: Option<(&str, u64)>,
    collect_reads: bool,
) -> Result<Checked> {
    let mut reads: Option<Vec<AccessLeaf>> = collect_reads.then(Vec::new);
    // Pass 1: the expected leaf hash of every revision, in seq order.
    let mut expected: Vec<(u64, Hash)> = Vec::new();
    let mut after = 0u64;
    loop {
        let batch = src
            .revisions(after, BATCH)
            .context("reading the revision history")?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for r in &batch {
            expected.push((r.seq, leaf_hash(&expected_leaf(r))));
        }
    }
    let mut logged = vec![false; expected.len()];

    // Pass 2: the ledger, in order.
    let mut c = LedgerCheck::new(trusted, heads);
    let mut tree = MerkleTree::new();
    let mut wanted = None;
    let (mut accesses, mut custody, mut account_changes) = (0u64, 0u64, 0u64);
    let mut accounts: std::collections::BTreeMap<String, AccountState> = Default::default();
    let mut last_rev_seq: Option<u64> = None;
    let mut prev_row_seq = 0u64;
    let mut from = 1u64;
    loop {
        let batch = src.leaves(from, BATCH).context("reading the ledger")?;
        let Some(last) = batch.last() else { break };
        from = last.seq.saturating_add(1);
        for row in &batch {
            let row_index = row.seq.saturating_sub(1);
            // Revision entries are kept as a hash and their bytes
            // re-encoded from the revision row (store migration 0007): the
            // stored hash is the entry, the bytes say what it claims.
            let stored_hash = row.leaf_hash();
            // Access and custody entries have no row to recompute them
            // from: the tree and the signed heads vouch for them; here they
            // must be well formed and carry their own position.
            let mut claimed = None;
            let recheck = match RevisionLeaf::decode(&row.bytes) {
                None => {
                    if let Some((seq, _)) = CustodyEvent::from_leaf_bytes(&row.bytes) {
                        custody += 1;
                        claimed = Some(seq.saturating_sub(1));
                        Recheck::Matches
                    } else if let Some(l) = AccessLeaf::decode(&row.bytes) {
                        accesses += 1;
                        claimed = Some(l.seq.saturating_sub(1));
                        if let Some(out) = reads.as_mut() {
                            out.push(l);
                        }
                        Recheck::Matches
                    } else if let Some(l) = AccountLeaf::decode(&row.bytes) {
                        account_changes += 1;
                        claimed = Some(l.seq.saturating_sub(1));
                        accounts.insert(l.user.clone(), AccountState::of_leaf(&l));
                        Recheck::Matches
                    } else if let Some(l) = tumen_store::linkage::LinkageLeaf::decode(&row.bytes) {
                        // Linkage decisions, runs, joins, leaves (leaf type 0x05).
                        claimed = Some(l.seq.saturating_sub(1));
                        Recheck::Matches
                    } else {
                        Recheck::Unreadable("not an entry the store could have written".into())
                    }
                }
                Some(l) => {
                    if let Some((id, rev)) = want {
                        if l.id == id && l.rev == rev {
                            wanted = Some(tree.size());
                        }
                    }
                    // Revision seqs are contiguous and logged in order: an
                    // entry whose seq is not above the previous one, or that
                    // skips a revision which exists while no ledger row is
                    // missing, is out of place.
                    let prev = last_rev_seq.unwrap_or(0);
                    let skipped = l.seq > prev + 1
                        && row.seq == prev_row_seq + 1
                        && expected.binary_search_by_key(&(prev + 1), |e| e.0).is_ok();
                    let out_of_order = (l.seq <= prev && last_rev_seq.is_some()) || skipped;
                    last_rev_seq = Some(l.seq);
                    match expected.binary_search_by_key(&l.seq, |e| e.0) {
                        Err(_) => Recheck::RevisionMissing {
                            record_id: l.id,
                            rev: l.rev,
                        },
                        Ok(k) => {
                            logged[k] = true;
                            if out_of_order {
                                Recheck::OutOfOrder {
                                    found: l.seq,
                                    after: prev,
                                }
                            } else if expected[k].1 == stored_hash {
                                Recheck::Matches
                            } else {
                                Recheck::Altered {
                                    record_id: l.id,
                                    rev: l.rev,
                                }
                            }
                        }
                    }
                }
            };
            prev_row_seq = row.seq;
            c.push(row_index, &row.bytes, claimed, recheck);
            tree.push_leaf_hash(stored_hash);
        }
    }
    // Revisions that no entry vouches for.
    for (k, seen) in logged.iter().enumerate() {
        if !seen {
            let seq = expected[k].0;
            let r = src.revisions(seq - 1, 1)?;
            match r.first() {
                Some(r) if r.seq == seq => c.not_logged(r.id.as_str(), r.rev),
                _ => c.not_logged(&format!("(revision seq {seq})"), 0),
            }
        }
    }
    Ok(Checked {
        report: c.finish(),
        tree,
        wanted,
        accesses,
        custody,
        reads: reads.unwrap_or_default(),
        account_changes,
        accounts: accounts.into_values().collect(),
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn parse_revision(s: &str) -> Result<(String, u64)> {
    let (id, rev) = s
        .rsplit_once('@')
        .with_context(|| format!("--prove {s:?}: expected RECORD_ID@REV, e.g. act-2023-0001@2"))?;
    let rev: u64 = rev
        .parse()
        .with_context(|| format!("--prove {s:?}: revision {rev:?} is not a number"))?;
    if id.is_empty() {
        bail!("--prove {s:?}: the record id is empty");
    }
    Ok((id.to_string(), rev))
}

fn print_report(r: &Report) {
    println!("ledger: {} entries, root {}", r.size, hex(&r.root));
    println!(
        "signed heads matched: {} (latest good at {} entries)",
        r.heads_matched, r.last_good_head
    );
    if r.is_intact() {
        println!("intact: every entry matches its revision and every signed head");
        return;
    }
    println!(
        "NOT INTACT: {} problem(s) (leaf indices are 0-based; ledger seq = index + 1)",
        r.problems.len()
    );
    for p in r.problems.iter().take(50) {
        println!("  {p}");
    }
    if r.problems.len() > 50 || r.problems_dropped > 0 {
        println!(
            "  … and {} more",
            r.problems.len().saturating_sub(50) as u64 + r.problems_dropped
        );
    }
}

fn hex(h: &[u8]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let mut store = session
        .ledger()
        .context("verification reads every revision, confidential ones included")?;
    let seed = store
        .signing_seed()
        .context("deriving the ledger signing key")?;
    let key = LedgerKey::from_seed(&seed);
    let trusted = key.public();

    if a.public_key {
        if a.json {
            println!(
                "{}",
                serde_json::json!({ "public_key": trusted.to_hex(), "fingerprint": trusted.fingerprint() })
            );
        } else {
            println!("ledger public key: {}", trusted.to_hex());
            println!("fingerprint:       {}", trusted.fingerprint());
        }
        return Ok(());
    }

    let stored_heads_text = store.setting(HEADS_SETTING)?.unwrap_or_default();
    let heads = all_from_text(&stored_heads_text)
        .context("the stored tree heads (setting ledger.heads) are malformed")?;
    let want = a.prove.as_deref().map(parse_revision).transpose()?;
    let checked = check_with(
        &store,
        &trusted,
        heads.clone(),
        want.as_ref().map(|(i, r)| (i.as_str(), *r)),
        a.reads,
    )?;
    let report = &checked.report;
    let tree = &checked.tree;

    if !report.is_intact() {
        if a.json {
            println!("{}", serde_json::to_string_pretty(report)?);
        } else {
            print_report(report);
        }
        let first = report
            .first_bad_index()
            .map_or("unknown".to_string(), |i| i.to_string());
        let how = if report.first_bad_is_exact() {
            "first bad entry"
        } else {
            "first entry of the stretch that changed"
        };
        bail!("the ledger does not verify: {how} at leaf index {first}");
    }
    // Account entries are not recomputable from a row (the table keeps only
    // the present state): the table must agree with each account's last one.
    let account_problems = tumen_service::compare_accounts(
        &checked.accounts,
        &store
            .account_states()
            .context("reading the accounts table")?,
    );
    if !account_problems.is_empty() {
        for p in &account_problems {
            eprintln!("{p}");
        }
        bail!(
            "the accounts table does not match the ledger: {} account(s) changed outside tumen",
            account_problems.len()
        );
    }

    // A clean ledger: sign its current head unless one exists for this size.
    let sign_now = |store: &mut LedgerAccess<'_>| -> Result<SignedTreeHead> {
        let sth = TreeHead {
            size: tree.size(),
            root: tree.root(),
            timestamp_ms: now_ms(),
        }
        .sign(&key);
        let mut text = stored_heads_text.clone();
        text.push_str(&sth.to_text());
        store
            .set_setting(HEADS_SETTING, &text)
            .context("keeping the signed tree head")?;
        Ok(sth)
    };

    if a.head {
        let sth = sign_now(&mut store)?;
        if a.json {
            println!(
                "{}",
                serde_json::json!({ "size": sth.head.size, "root": hex(&sth.head.root), "timestamp_ms": sth.head.timestamp_ms, "public_key": trusted.to_hex(), "signature": hex(&sth.signature), "text": sth.to_text() })
            );
        } else {
            print!("{}", sth.to_text());
        }
        return Ok(());
    }

    if let Some(file) = &a.check_head {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let published =
            SignedTreeHead::from_text(&text).with_context(|| format!("{}", file.display()))?;
        // Heads published before a data-key rotation are signed with a
        // retired key, which the rotation kept (`tumen_service::rekey`).
        let retired: Vec<PublicKey> = store
            .setting(tumen_service::rekey::RETIRED_KEYS_SETTING)?
            .unwrap_or_default()
            .lines()
            .filter_map(|l| PublicKey::from_hex(l.trim()).ok())
            .collect();
        if let Err(e) = published.verify(&trusted) {
            let by = retired.iter().find(|k| published.verify(k).is_ok());
            let Some(k) = by else {
                return Err(e).with_context(|| {
                    format!(
                        "{}: the head is not signed by this archive's ledger key",
                        file.display()
                    )
                });
            };
            println!(
                "signed by the ledger key {} retired by a data-key rotation",
                k.fingerprint()
            );
        }
        let (m, n) = (published.head.size, tree.size());
        if m > n {
            bail!(
                "{}: the published head covers {m} entries but the ledger now has only {n}: the ledger was truncated (entry {n} onwards is missing)",
                file.display()
            );
        }
        let then = tree.root_at(m)?;
        if then != published.head.root {
            bail!(
                "{}: the ledger's first {m} entries no longer hash to the published root: history was rewritten after {}",
                file.display(),
                tumen_ledger::time::format_utc_ms(published.head.timestamp_ms)
            );
        }
        let proof = tree.consistency_proof(m, n)?;
        let now = sign_now(&mut store)?;
        tumen_ledger::verify_consistency(m, n, &published.head.root, &now.head.root, &proof)?;
        if a.json {
            println!(
                "{}",
                serde_json::json!({ "consistent": true, "old_size": m, "old_root": hex(&published.head.root), "new_size": n, "new_root": hex(&now.head.root), "proof": proof.iter().map(|h| hex(h)).collect::<Vec<_>>(), "new_head": now.to_text() })
            );
        } else {
            println!(
                "consistent: the ledger of {} ({m} entries) is a prefix of today's ledger ({n} entries)",
                tumen_ledger::time::format_utc_ms(published.head.timestamp_ms)
            );
            println!(
                "consistency proof ({} hashes, RFC 9162 §2.1.4):",
                proof.len()
            );
            for h in &proof {
                println!("  {}", hex(h));
            }
            println!("today's signed head:");
            print!("{}", now.to_text());
        }
        return Ok(());
    }

    if let Some((id, rev)) = &want {
        let Some(index) = checked.wanted else {
            bail!("no ledger entry for record {id} revision {rev}");
        };
        let now = sign_now(&mut store)?;
        let n = now.head.size;
        let proof = tree.inclusion_proof(index, n)?;
        let leaf = tree.leaf(index).context("leaf vanished")?;
        tumen_ledger::verify_inclusion(index, n, &leaf, &proof, &now.head.root)?;
        let bytes = store
            .leaves(index + 1, 1)?
            .into_iter()
            .next()
            .map(|l| l.bytes)
            .unwrap_or_default();
        if a.json {
            println!(
                "{}",
                serde_json::json!({ "record_id": id, "rev": rev, "leaf_index": index, "tree_size": n, "entry": hex(&bytes), "leaf_hash": hex(&leaf), "proof": proof.iter().map(|h| hex(h)).collect::<Vec<_>>(), "root": hex(&now.head.root), "head": now.to_text() })
            );
        } else {
            println!("record {id} revision {rev} is entry {index} (0-based) of {n}");
            println!("entry bytes: {}", hex(&bytes));
            println!("leaf hash:   {}", hex(&leaf));
            println!("inclusion proof ({} hashes, RFC 9162 §2.1.3):", proof.len());
            for h in &proof {
                println!("  {}", hex(h));
            }
            println!("signed head it leads to:");
            print!("{}", now.to_text());
        }
        return Ok(());
    }

    if a.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print_report(report);
        println!(
            "of which {} record confidential reads and {} evidence custody events",
            checked.accesses, checked.custody
        );
        println!(
            "{} account changes; the accounts table agrees with the ledger",
            checked.account_changes
        );
    }
    if a.reads {
        for r in &checked.reads {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({ "ledger_seq": r.seq, "at": r.at, "actor": r.actor, "record_id": r.id, "how": r.how })
                );
            } else {
                println!("read\t{}\t{}\t{}\t{}", r.at, r.actor, r.id, r.how);
            }
        }
    }
    let have_head = heads.iter().any(|h| h.head.size == tree.size());
    if !a.no_checkpoint && !have_head && tree.size() > 0 {
        let sth = sign_now(&mut store)?;
        if !a.json {
            println!(
                "checkpoint: signed a tree head at {} entries",
                sth.head.size
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Tampering with the two tables, through a copy of what a real store
    //! returned: every change must be reported with its first bad index.
    use super::*;
    use tumen_model::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
    use tumen_store::{Expect, InitOptions, Put};

    struct Copy {
        leaves: Vec<LedgerLeaf>,
        revisions: Vec<Revision>,
    }

    impl LedgerSource for Copy {
        fn leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>> {
            Ok(self
                .leaves
                .iter()
                .filter(|l| l.seq >= from_seq)
                .take(limit)
                .cloned()
                .collect())
        }
        fn revisions(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>> {
            Ok(self
                .revisions
                .iter()
                .filter(|r| r.seq > after_seq)
                .take(limit)
                .cloned()
                .collect())
        }
    }

    fn archive() -> (tempfile::TempDir, SqliteStore) {
        let d = tempfile::tempdir().unwrap();
        let mut s =
            SqliteStore::init_with(d.path(), "pw", InitOptions::insecure_fast_for_tests()).unwrap();
        for i in 0..6 {
            let id = RecordId::new(format!("src-{i}")).unwrap();
            let env = Envelope {
                id,
                kind: RecordKind::Source,
                sensitivity: Sensitivity::Public,
                access_groups: vec![],
            };
            let put = Put {
                envelope: env.clone(),
                index: IndexTerms::default(),
                body: format!("{{\"n\":{i}}}"),
                expect: Expect::Absent,
            };
            s.put("kim", put).unwrap();
            if i % 2 == 0 {
                let put = Put {
                    envelope: env,
                    index: IndexTerms::default(),
                    body: format!("{{\"n\":{i},\"v\":2}}"),
                    expect: Expect::Rev(1),
                };
                s.put("lee", put).unwrap();
            }
        }
        (d, s)
    }

    fn copy(s: &SqliteStore) -> Copy {
        Copy {
            leaves: s.ledger_leaves(1, 1000).unwrap(),
            revisions: s.revisions_since(0, 1000).unwrap(),
        }
    }

    fn key() -> LedgerKey {
        LedgerKey::from_seed(&[1; 32])
    }

    fn head_of(c: &Copy) -> SignedTreeHead {
        let t = MerkleTree::from_leaf_hashes(c.leaves.iter().map(|l| l.leaf_hash()));
        TreeHead {
            size: t.size(),
            root: t.root(),
            timestamp_ms: 0,
        }
        .sign(&key())
    }

    fn run_check(c: &Copy, heads: Vec<SignedTreeHead>) -> Report {
        check(c, &key().public(), heads, None).unwrap().report
    }

    #[test]
    fn the_real_store_verifies_and_proves() {
        let (_d, s) = archive();
        let c = copy(&s);
        assert_eq!(c.leaves.len(), 9);
        let r = run_check(&c, vec![head_of(&c)]);
        assert!(r.is_intact(), "{:?}", r.problems);
        let got = check(&s, &key().public(), vec![head_of(&c)], Some(("src-2", 2))).unwrap();
        assert!(got.report.is_intact());
        let i = got.wanted.unwrap();
        let p = got.tree.inclusion_proof(i, got.tree.size()).unwrap();
        tumen_ledger::verify_inclusion(
            i,
            got.tree.size(),
            &c.leaves[i as usize].leaf_hash(),
            &p,
            &got.tree.root(),
        )
        .unwrap();
    }

    #[test]
    fn access_and_custody_entries_must_be_well_formed_and_in_place() {
        let (_d, s) = archive();
        let mut c = copy(&s);
        let n = c.leaves.len() as u64;
        let access = |seq: u64| tumen_store::leaf::AccessLeaf {
            seq,
            origin: "o".into(),
            actor: "ivy".into(),
            at: "2026-11-29T00:00:00.000Z".into(),
            id: "src-1".into(),
            how: "read".into(),
        };
        let custody = tumen_evidence::CustodyEvent {
            action: tumen_evidence::CustodyAction::Export,
            evidence_sha256: [1; 32],
            actor: "ivy".into(),
            time_ms: 5,
            result_sha256: [2; 32],
            detail: String::new(),
        };
        c.leaves.push(LedgerLeaf {
            seq: n + 1,
            bytes: access(n + 1).encode(),
            hash: None,
        });
        c.leaves.push(LedgerLeaf {
            seq: n + 2,
            bytes: custody.leaf_bytes(n + 2),
            hash: None,
        });
        let got = check_with(&c, &key().public(), vec![], None, true).unwrap();
        assert!(got.report.is_intact(), "{:?}", got.report.problems);
        assert_eq!((got.accesses, got.custody, got.reads.len()), (1, 1, 1));

        // A custody-typed entry that does not decode is unreadable.
        let mut bad = c.leaves.clone();
        bad[n as usize + 1].bytes.truncate(20);
        let r = run_check(
            &Copy {
                leaves: bad,
                revisions: c.revisions.clone(),
            },
            vec![],
        );
        assert!(
            matches!(r.problems[0], tumen_ledger::Problem::Unreadable { index, .. } if index == n + 1),
            "{:?}",
            r.problems
        );
        // An access entry that claims another position is out of place.
        let mut moved = c.leaves.clone();
        moved[n as usize].bytes = access(n + 7).encode();
        let r = run_check(
            &Copy {
                leaves: moved,
                revisions: c.revisions.clone(),
            },
            vec![],
        );
        assert!(
            matches!(r.problems[0], tumen_ledger::Problem::Reordered { index, .. } if index == n),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn an_altered_body_is_named() {
        let (_d, s) = archive();
        let mut c = copy(&s);
        c.revisions[4].body = Some("{\"n\":\"changed\"}".into());
        let r = run_check(&c, vec![]);
        assert_eq!(r.first_bad_index(), Some(4));
        assert!(matches!(
            &r.problems[0],
            tumen_ledger::Problem::Altered { index: 4, .. }
        ));
    }

    #[test]
    fn an_altered_actor_or_time_is_named() {
        let (_d, s) = archive();
        let mut c = copy(&s);
        c.revisions[2].actor = "someone-else".into();
        let r = run_check(&c, vec![]);
        assert_eq!(r.first_bad_index(), Some(2));
        let mut c = copy(&s);
        c.revisions[7].at = "2001-01-01T00:00:00.000Z".into();
        assert_eq!(run_check(&c, vec![]).first_bad_index(), Some(7));
    }

    #[test]
    fn removed_reordered_truncated_and_rewritten_ledgers_are_named() {
        let (_d, s) = archive();
        let honest = copy(&s);
        let head = head_of(&honest);

        let mut c = copy(&s);
        c.leaves.remove(3);
        let r = run_check(&c, vec![head]);
        assert_eq!(r.first_bad_index(), Some(3));
        assert!(matches!(
            r.problems[0],
            tumen_ledger::Problem::Removed { index: 3, .. }
        ));

        let mut c = copy(&s);
        // Two rows' contents swapped (entry and stored hash).
        let b = c.leaves[5].clone();
        (c.leaves[5].bytes, c.leaves[5].hash) = (c.leaves[6].bytes.clone(), c.leaves[6].hash);
        (c.leaves[6].bytes, c.leaves[6].hash) = (b.bytes, b.hash);
        let r = run_check(&c, vec![head]);
        assert_eq!(r.first_bad_index(), Some(5));
        assert!(matches!(
            r.problems[0],
            tumen_ledger::Problem::Reordered { index: 5, .. }
        ));
        assert!(
            r.problems
                .iter()
                .any(|p| matches!(p, tumen_ledger::Problem::RootMismatch { .. }))
        );

        let mut c = copy(&s);
        c.leaves.truncate(7);
        c.revisions.truncate(7);
        let r = run_check(&c, vec![head]);
        assert_eq!(
            r.problems,
            vec![tumen_ledger::Problem::Truncated {
                ledger_size: 7,
                head_size: 9
            }]
        );

        // Body and entry rewritten together: only the signed head tells.
        let mut c = copy(&s);
        c.revisions[8].body = Some("{\"n\":\"rewritten\"}".into());
        c.leaves[8].bytes = expected_leaf(&c.revisions[8]);
        c.leaves[8].hash = Some(leaf_hash(&c.leaves[8].bytes));
        assert!(
            run_check(&c, vec![]).is_intact(),
            "without a head the rewrite is invisible"
        );
        let r = run_check(&c, vec![head]);
        assert_eq!(
            r.problems,
            vec![tumen_ledger::Problem::RootMismatch {
                from_index: 0,
                head_size: 9
            }]
        );

        // A revision with no entry.
        let mut c = copy(&s);
        c.leaves.pop();
        let r = run_check(&c, vec![]);
        assert!(r.problems.iter().any(|p| *p
            == tumen_ledger::Problem::NotLogged {
                record_id: "src-5".into(),
                rev: 1
            }));
    }
}
