//! Property tests: for random trees, every generated proof verifies, and a
//! proof checked against any other position, size or root is refused.

use proptest::prelude::*;
use tumen_ledger::{MerkleTree, leaf_hash, verify_consistency, verify_inclusion};

fn tree(n: u64) -> MerkleTree {
    MerkleTree::from_leaf_hashes((0..n).map(|i| leaf_hash(&i.to_le_bytes())))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn inclusion_round_trip(n in 1u64..300, i_frac in 0.0f64..1.0, j_frac in 0.0f64..1.0) {
        let t = tree(n);
        let i = ((n as f64) * i_frac) as u64 % n;
        let size = i + 1 + (((n - i - 1) as f64) * j_frac) as u64;
        let p = t.inclusion_proof(i, size).unwrap();
        let root = t.root_at(size).unwrap();
        prop_assert!(verify_inclusion(i, size, &t.leaf(i).unwrap(), &p, &root).is_ok());
        // The same proof does not prove another leaf at the same place.
        let other = leaf_hash(b"other");
        prop_assert!(verify_inclusion(i, size, &other, &p, &root).is_err());
        if size > 1 {
            let j = (i + 1) % size;
            prop_assert!(verify_inclusion(j, size, &t.leaf(i).unwrap(), &p, &root).is_err());
        }
    }

    #[test]
    fn consistency_round_trip(n in 1u64..300, m_frac in 0.0f64..1.0) {
        let t = tree(n);
        let m = 1 + (((n - 1) as f64) * m_frac) as u64;
        let p = t.consistency_proof(m, n).unwrap();
        let (r1, r2) = (t.root_at(m).unwrap(), t.root());
        prop_assert!(verify_consistency(m, n, &r1, &r2, &p).is_ok());
        if m < n {
            // A tree that differs in its first m entries is not consistent.
            let forged = MerkleTree::from_leaf_hashes((0..m).map(|i| leaf_hash(&(i + 1_000_000).to_le_bytes())));
            prop_assert!(verify_consistency(m, n, &forged.root(), &r2, &p).is_err());
        }
    }
}
