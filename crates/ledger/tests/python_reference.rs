//! Cross-check against an independent implementation: Python's hashlib
//! following RFC 6962 §2.1 (`tests/data/gen_reference.py`, whose output
//! `reference.json` is committed beside it). 47 tree sizes up to 600, with
//! inclusion and consistency proofs for several positions each.

use serde_json::Value;
use tumen_ledger::{Frontier, Hash, MerkleTree, leaf_hash, verify_consistency, verify_inclusion};

fn h(v: &Value) -> Hash {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn hs(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(h).collect()
}

#[test]
fn matches_python_hashlib_reference() {
    let text = include_str!("data/reference.json");
    let data: Value = serde_json::from_str(text).unwrap();
    let entries: Vec<Vec<u8>> = data["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| hex::decode(e.as_str().unwrap()).unwrap())
        .collect();
    let full = MerkleTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut checked = 0;
    for case in cases {
        let n = case["size"].as_u64().unwrap();
        let root = h(&case["root"]);
        // Three independent paths to the root: streaming frontier, a tree of
        // exactly n, and the historical root of the full tree.
        let mut f = Frontier::new();
        for e in &entries[..n as usize] {
            f.push_entry(e);
        }
        assert_eq!(f.root(), root, "frontier root, size {n}");
        let t = MerkleTree::from_leaf_hashes(entries[..n as usize].iter().map(|e| leaf_hash(e)));
        assert_eq!(t.root(), root, "tree root, size {n}");
        assert_eq!(full.root_at(n).unwrap(), root, "historical root, size {n}");
        for inc in case["inclusion"].as_array().unwrap() {
            let i = inc["index"].as_u64().unwrap();
            let proof = hs(&inc["proof"]);
            assert_eq!(
                full.inclusion_proof(i, n).unwrap(),
                proof,
                "inclusion {i} in {n}"
            );
            verify_inclusion(i, n, &leaf_hash(&entries[i as usize]), &proof, &root).unwrap();
            checked += 1;
        }
        for c in case["consistency"].as_array().unwrap() {
            let m = c["old_size"].as_u64().unwrap();
            let proof = hs(&c["proof"]);
            assert_eq!(
                full.consistency_proof(m, n).unwrap(),
                proof,
                "consistency {m} -> {n}"
            );
            verify_consistency(m, n, &h(&c["old_root"]), &root, &proof).unwrap();
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} proofs checked");
}
