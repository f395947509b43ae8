//! Ledger benchmarks (issue 6): figures for BENCHMARKS.md.
//!
//! 1. Ledger append cost per entry (leaf hash + tree append, and signing a
//!    head per write transaction) beside the cost of one store write of the
//!    same change through `tumen-store` (SQLCipher, one transaction per
//!    record, as `tumen add` does), measured in the same run.
//! 2. A full verification over N entries (default 1,000,000): the stored
//!    entries are recomputed and compared, the tree rebuilt and checked
//!    against a signed head, streaming (what `tumen verify` does after reading).
//! 3. Inclusion proof generation on the N-entry tree (mean and max over
//!    10,000 random positions), and verification.
//! 4. Evidence: encrypt+store and decrypt+verify throughput of a 64 MiB file.
//!
//! Usage: tumen-ledger-bench [N] [STORE_WRITES]

use std::time::Instant;
use tumen_ledger::{
    LedgerCheck, LedgerKey, MerkleTree, Recheck, TreeHead, leaf_hash, sha256, verify_inclusion,
};

fn entry(i: u64) -> Vec<u8> {
    // Same shape and size as a store revision leaf (~110 bytes).
    let mut e = vec![1u8];
    e.extend_from_slice(&i.to_be_bytes());
    for s in [
        "0f3c9a2b7e114d5c",
        &format!("act-2023-10-09-{i:07}"),
        "investigator.kim",
        "2026-11-28T15:00:00.000Z",
    ] {
        e.extend_from_slice(&(s.len() as u32).to_be_bytes());
        e.extend_from_slice(s.as_bytes());
    }
    e.extend_from_slice(&sha256(&i.to_le_bytes()));
    e
}

/// CPU seconds (user + system) used by this process so far, from
/// /proc/self/stat (Linux; 0 elsewhere). The machine is shared, so wall
/// time alone overstates the cost.
fn cpu_s() -> f64 {
    let Ok(st) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let Some(after) = st.rsplit_once(')').map(|x| x.1) else { return 0.0 };
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the ")".
    (ticks(11) + ticks(12)) / 100.0
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let writes: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
    let key = LedgerKey::from_seed(&[7; 32]);
    println!("N = {n} entries, {writes} store writes");

    // 1a. Append cost.
    let entries: Vec<Vec<u8>> = (0..n).map(entry).collect();
    let t = Instant::now();
    let mut tree = MerkleTree::new();
    for e in &entries {
        tree.push_entry(e);
    }
    let root = tree.root();
    let append_ns = t.elapsed().as_nanos() as f64 / n as f64;
    println!("append (leaf hash + tree append): {append_ns:.0} ns/entry");
    let t = Instant::now();
    let reps = 2_000;
    let mut sth = None;
    for i in 0..reps {
        sth = Some(
            TreeHead {
                size: tree.size(),
                root,
                timestamp_ms: i,
            }
            .sign(&key),
        );
    }
    let sign_us = t.elapsed().as_secs_f64() * 1e6 / reps as f64;
    println!("sign a tree head (root O(log n) + Ed25519): {sign_us:.1} us");
    let sth = sth.unwrap();

    // 1b. Store write cost, same run.
    let dir = tempfile::tempdir().unwrap();
    let mut store = tumen_store::SqliteStore::init_with(
        dir.path(),
        "bench",
        tumen_store::InitOptions::insecure_fast_for_tests(),
    )
    .unwrap();
    use tumen_store::Store;
    let t = Instant::now();
    for i in 0..writes {
        let id = tumen_model::RecordId::new(format!("act-{i:08}")).unwrap();
        let env = tumen_model::Envelope {
            id,
            kind: tumen_model::RecordKind::Source,
            sensitivity: tumen_model::Sensitivity::Restricted,
            access_groups: vec![],
        };
        let body = format!(
            "{{\"kind\":\"source\",\"id\":\"act-{i:08}\",\"title\":\"Testimony {i}\",\"notes\":\"{}\"}}",
            "x".repeat(300)
        );
        store
            .put(
                "kim",
                tumen_store::Put {
                    envelope: env,
                    index: Default::default(),
                    body,
                    expect: tumen_store::Expect::Absent,
                },
            )
            .unwrap();
    }
    let write_us = t.elapsed().as_secs_f64() * 1e6 / writes as f64;
    println!("store write (one record, one transaction, incl. its ledger row): {write_us:.0} us");
    let ledger_us = append_ns / 1000.0 + sign_us;
    println!(
        "ledger share of a write: append {:.2}% ; append + a signed head per write {:.2}%",
        100.0 * append_ns / 1000.0 / write_us,
        100.0 * ledger_us / write_us
    );

    // 2. Verification over N entries: recompute each entry's hash from its
    // source (here: regenerate and hash), compare with the stored entry,
    // stream into the check with one signed head at N.
    let t = Instant::now();
    let mut c = LedgerCheck::new(&key.public(), vec![sth]);
    for (i, stored) in entries.iter().enumerate() {
        let recomputed = leaf_hash(&entry(i as u64));
        let r = if recomputed == leaf_hash(stored) {
            Recheck::Matches
        } else {
            Recheck::Altered {
                record_id: String::new(),
                rev: 0,
            }
        };
        c.push(i as u64, stored, None, r);
    }
    let rep = c.finish();
    let verify_s = t.elapsed().as_secs_f64();
    assert!(rep.is_intact() && rep.heads_matched == 1);
    println!("verify {n} entries (recompute + compare + tree + head): {verify_s:.2} s");
    let t = Instant::now();
    let rebuilt = MerkleTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
    println!(
        "rebuild full proof tree from {n} entries: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(rebuilt.root(), root);

    // 2b. The real store: read its ledger and revisions back and check.
    let t = Instant::now();
    let leaves = store.ledger_leaves(1, usize::MAX).unwrap();
    let revs = store.revisions_since(0, usize::MAX).unwrap();
    let read_s = t.elapsed().as_secs_f64();
    println!(
        "read {} ledger rows + {} revisions from SQLCipher: {:.3} s ({:.1} us/row pair)",
        leaves.len(),
        revs.len(),
        read_s,
        read_s * 1e6 / leaves.len() as f64
    );

    // 2c. Verification through the store at scale: fill an archive with
    // `store_n` records in 10,000-record transactions, then do what
    // `tumen verify` does (crates/cli/src/cmd/ledger.rs `check`): read the
    // revisions in batches and recompute each entry (body hash from the
    // body), read the ledger in batches, compare, build the proof tree,
    // check the signed head.
    let store_n: u64 = std::env::var("STORE_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n);
    if store_n > 0 {
        let dir2 = tempfile::tempdir().unwrap();
        let mut st = tumen_store::SqliteStore::init_with(
            dir2.path(),
            "bench",
            tumen_store::InitOptions::insecure_fast_for_tests(),
        )
        .unwrap();
        let t = Instant::now();
        let mut i = 0u64;
        while i < store_n {
            let ops: Vec<tumen_store::BatchOp> = (i..(i + 10_000).min(store_n))
                .map(|k| {
                    let id = tumen_model::RecordId::new(format!("act-{k:08}")).unwrap();
                    let env = tumen_model::Envelope {
                        id,
                        kind: tumen_model::RecordKind::Source,
                        sensitivity: tumen_model::Sensitivity::Restricted,
                        access_groups: vec![],
                    };
                    tumen_store::BatchOp::Put(tumen_store::Put {
                        envelope: env,
                        index: Default::default(),
                        body: format!("{{\"kind\":\"source\",\"n\":{k}}}"),
                        expect: tumen_store::Expect::Absent,
                    })
                })
                .collect();
            st.apply_batch("kim", ops).unwrap();
            i = (i + 10_000).min(store_n);
        }
        println!(
            "filled an archive with {store_n} records in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let cpu0 = cpu_s();
        let mut expected: Vec<(u64, tumen_ledger::Hash)> = Vec::new();
        let mut after = 0;
        loop {
            let b = st.revisions_since(after, 10_000).unwrap();
            let Some(l) = b.last() else { break };
            after = l.seq;
            for r in &b {
                let leaf = tumen_store::leaf::RevisionLeaf::of(
                    r,
                    sha256(r.body.as_deref().unwrap_or("").as_bytes()),
                )
                .encode();
                expected.push((r.seq, leaf_hash(&leaf)));
            }
        }
        let revs_s = t.elapsed().as_secs_f64();
        let mut tree2 = MerkleTree::new();
        let mut from = 1;
        let mut rows = Vec::new();
        loop {
            let b = st.ledger_leaves(from, 10_000).unwrap();
            let Some(l) = b.last() else { break };
            from = l.seq + 1;
            rows.extend(b);
        }
        let read_s = t.elapsed().as_secs_f64();
        let read_cpu = cpu_s() - cpu0;
        println!("  of which revisions (read + decode + recompute): {revs_s:.2} s, ledger rows: {:.2} s", read_s - revs_s);
        let head = {
            let t = MerkleTree::from_leaf_hashes(rows.iter().map(|r| leaf_hash(&r.bytes)));
            TreeHead {
                size: t.size(),
                root: t.root(),
                timestamp_ms: 0,
            }
            .sign(&key)
        };
        let t2 = Instant::now();
        let cpu1 = cpu_s();
        let mut c = LedgerCheck::new(&key.public(), vec![head]);
        for row in &rows {
            let h = leaf_hash(&row.bytes);
            let l = tumen_store::leaf::RevisionLeaf::decode(&row.bytes).unwrap();
            let k = expected.binary_search_by_key(&l.seq, |e| e.0).unwrap();
            c.push(
                row.seq - 1,
                &row.bytes,
                None,
                if expected[k].1 == h {
                    Recheck::Matches
                } else {
                    Recheck::Altered {
                        record_id: l.id,
                        rev: l.rev,
                    }
                },
            );
            tree2.push_leaf_hash(h);
        }
        let rep = c.finish();
        assert!(
            rep.is_intact(),
            "{:?}",
            &rep.problems[..rep.problems.len().min(3)]
        );
        let check_s = t2.elapsed().as_secs_f64();
        let check_cpu = cpu_s() - cpu1;
        println!(
            "verify {store_n} entries from the store: {:.2} s wall (reading + recomputing {:.2} s, checking + proof tree {:.2} s); CPU {:.2} s ({:.2} + {:.2})",
            read_s + check_s,
            read_s,
            check_s,
            read_cpu + check_cpu,
            read_cpu,
            check_cpu
        );
    }

    // 3. Inclusion proofs.
    let mut s = 0x9E3779B97F4A7C15u64;
    let k = 10_000;
    let mut times = Vec::with_capacity(k);
    let mut proofs = Vec::with_capacity(k);
    for _ in 0..k {
        let i = xorshift(&mut s) % n;
        let t1 = Instant::now();
        let p = tree.inclusion_proof(i, n).unwrap();
        times.push(t1.elapsed().as_secs_f64() * 1e6);
        proofs.push((i, p));
    }
    let mean_us = times.iter().sum::<f64>() / k as f64;
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "inclusion proof in a {n}-entry tree: mean {mean_us:.1} us, median {:.1} us, p99 {:.1} us, max {:.1} us",
        times[k / 2],
        times[k * 99 / 100],
        times[k - 1]
    );
    let t = Instant::now();
    for (i, p) in &proofs {
        verify_inclusion(*i, n, &tree.leaf(*i).unwrap(), p, &root).unwrap();
    }
    println!(
        "inclusion proof verification: mean {:.1} us",
        t.elapsed().as_secs_f64() * 1e6 / k as f64
    );
    let t = Instant::now();
    let p = tree.consistency_proof(n / 3, n).unwrap();
    println!(
        "consistency proof {} -> {n}: {:.1} us ({} hashes)",
        n / 3,
        t.elapsed().as_secs_f64() * 1e6,
        p.len()
    );

    // 4. Evidence throughput.
    let ev = tumen_evidence::EvidenceStore::open(
        dir.path(),
        &[9; 32],
        tumen_evidence::Limits::default(),
    )
    .unwrap();
    let size = 64 << 20;
    let data: Vec<u8> = (0..size)
        .map(|i: usize| (i.wrapping_mul(2654435761) >> 11) as u8)
        .collect();
    let t = Instant::now();
    let (id, _, _) = ev.acquire(&mut &data[..], "audio.wav", "kim", 0).unwrap();
    let acq = t.elapsed().as_secs_f64();
    let t = Instant::now();
    ev.verify(&id, "kim", 0).unwrap();
    let ver = t.elapsed().as_secs_f64();
    println!(
        "evidence 64 MiB: acquire (hash+encrypt+fsync) {:.0} MiB/s, verify (decrypt+hash) {:.0} MiB/s",
        64.0 / acq,
        64.0 / ver
    );
}
