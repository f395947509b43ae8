//! The RFC 6962 reference test data used by Certificate Transparency
//! implementations (Go: transparency-dev/merkle `proof/verify_test.go`,
//! C++: certificate-transparency `merkle_tree_test.cc`): eight leaves, the
//! roots for sizes 1..8, and their published inclusion and consistency
//! proofs. Every value below is copied from that data, none from our output.

use tumen_ledger::{Hash, MerkleTree, leaf_hash, verify_consistency, verify_inclusion};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf, 1-based as in the Go data; tree size; proof).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        3,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        2,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn tree() -> MerkleTree {
    MerkleTree::from_leaf_hashes(LEAVES.iter().map(|l| leaf_hash(&hex::decode(l).unwrap())))
}

fn root(size: u64) -> Hash {
    h(ROOTS[size as usize - 1])
}

#[test]
fn roots_for_sizes_1_to_8() {
    let t = tree();
    assert_eq!(
        hex::encode(t.root_at(0).unwrap()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for size in 1..=8u64 {
        assert_eq!(t.root_at(size).unwrap(), root(size), "size {size}");
    }
}

#[test]
fn inclusion_proofs_are_generated_as_published_and_verify() {
    let t = tree();
    for (leaf, size, proof) in INCLUSION {
        let index = leaf - 1;
        let want: Vec<Hash> = proof.iter().map(|p| h(p)).collect();
        assert_eq!(
            t.inclusion_proof(index, size).unwrap(),
            want,
            "leaf {index} size {size}"
        );
        let lh = t.leaf(index).unwrap();
        verify_inclusion(index, size, &lh, &want, &root(size)).unwrap();
    }
}

#[test]
fn consistency_proofs_are_generated_as_published_and_verify() {
    let t = tree();
    for (old, new, proof) in CONSISTENCY {
        let want: Vec<Hash> = proof.iter().map(|p| h(p)).collect();
        assert_eq!(
            t.consistency_proof(old, new).unwrap(),
            want,
            "{old} -> {new}"
        );
        verify_consistency(old, new, &root(old), &root(new), &want).unwrap();
    }
}

/// The corruptions of the Go test suite (`corruptInclusionProof`): each must
/// be refused.
#[test]
fn corrupted_inclusion_proofs_are_refused() {
    let t = tree();
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    for (leaf, size, proof) in INCLUSION.iter().skip(1) {
        let (i, n) = (leaf - 1, *size);
        let p: Vec<Hash> = proof.iter().map(|x| h(x)).collect();
        let lh = t.leaf(i).unwrap();
        let r = root(n);
        let mut bad: Vec<(String, u64, u64, Hash, Vec<Hash>, Hash)> = vec![
            ("index+1".into(), i + 1, n, lh, p.clone(), r),
            ("index^2".into(), i ^ 2, n, lh, p.clone(), r),
            ("size*2".into(), i, n * 2, lh, p.clone(), r),
            ("size/2".into(), i, n / 2, lh, p.clone(), r),
            (
                "wrong leaf".into(),
                i,
                n,
                leaf_hash(b"WrongLeaf"),
                p.clone(),
                r,
            ),
            (
                "empty root".into(),
                i,
                n,
                lh,
                p.clone(),
                tumen_ledger::empty_root(),
            ),
            ("random root".into(), i, n, lh, p.clone(), some),
            (
                "trailing root".into(),
                i,
                n,
                lh,
                [p.clone(), vec![r]].concat(),
                r,
            ),
            (
                "preceding root".into(),
                i,
                n,
                lh,
                [vec![r], p.clone()].concat(),
                r,
            ),
        ];
        if i > 0 {
            bad.push(("index-1".into(), i - 1, n, lh, p.clone(), r));
        }
        for k in 0..p.len() {
            let mut q = p.clone();
            q[k][0] ^= 8;
            bad.push((format!("bit flip in proof[{k}]"), i, n, lh, q, r));
        }
        bad.push((
            "removed component".into(),
            i,
            n,
            lh,
            p[..p.len() - 1].to_vec(),
            r,
        ));
        if p.len() > 1 {
            let q = [vec![p[0], some], p[1..].to_vec()].concat();
            bad.push(("inserted component".into(), i, n, lh, q, r));
        }
        for (what, i2, n2, l2, p2, r2) in bad {
            assert!(
                verify_inclusion(i2, n2, &l2, &p2, &r2).is_err(),
                "leaf {i} size {n}: {what} was accepted"
            );
        }
    }
}

/// The corruptions of the Go test suite (`corruptConsistencyProof`).
#[test]
fn corrupted_consistency_proofs_are_refused() {
    for (old, new, proof) in CONSISTENCY.iter().skip(1) {
        let (m, n) = (*old, *new);
        let p: Vec<Hash> = proof.iter().map(|x| h(x)).collect();
        let (r1, r2) = (root(m), root(n));
        let wrong = leaf_hash(b"WrongRoot");
        let mut bad: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            ("size1+1".into(), m + 1, n, r1, r2, p.clone()),
            ("size1^2".into(), m ^ 2, n, r1, r2, p.clone()),
            ("size2*2".into(), m, n * 2, r1, r2, p.clone()),
            ("size2/2".into(), m, n / 2, r1, r2, p.clone()),
            ("wrong root1".into(), m, n, wrong, r2, p.clone()),
            ("wrong root2".into(), m, n, r1, wrong, p.clone()),
            ("swapped roots".into(), m, n, r2, r1, p.clone()),
            ("empty proof".into(), m, n, r1, r2, vec![]),
            (
                "trailing root1".into(),
                m,
                n,
                r1,
                r2,
                [p.clone(), vec![r1]].concat(),
            ),
            (
                "trailing root2".into(),
                m,
                n,
                r1,
                r2,
                [p.clone(), vec![r2]].concat(),
            ),
            (
                "preceding root1".into(),
                m,
                n,
                r1,
                r2,
                [vec![r1], p.clone()].concat(),
            ),
            (
                "preceding root2".into(),
                m,
                n,
                r1,
                r2,
                [vec![r2], p.clone()].concat(),
            ),
            (
                "preceding proof[0]".into(),
                m,
                n,
                r1,
                r2,
                [vec![p[0]], p.clone()].concat(),
            ),
            ("truncated".into(), m, n, r1, r2, p[..p.len() - 1].to_vec()),
        ];
        if m > 1 {
            bad.push(("size1-1".into(), m - 1, n, r1, r2, p.clone()));
        }
        for k in 0..p.len() {
            let mut q = p.clone();
            q[k][0] ^= 16;
            bad.push((format!("bit flip in proof[{k}]"), m, n, r1, r2, q));
        }
        for (what, m2, n2, a, b, q) in bad {
            assert!(
                verify_consistency(m2, n2, &a, &b, &q).is_err(),
                "{m}->{n}: {what} was accepted"
            );
        }
    }
}

/// Edge cases of `TestVerifyConsistency` in the Go suite.
#[test]
fn consistency_edge_cases() {
    let r1 = leaf_hash(b"don't care 1");
    let r2 = leaf_hash(b"don't care 2");
    let e = tumen_ledger::empty_root();
    let cases: [(u64, u64, Hash, Hash, Vec<Hash>, bool); 13] = [
        (0, 0, r1, r2, vec![], false),
        (1, 1, r1, r2, vec![], false),
        (0, 0, r1, r1, vec![], true),
        (0, 1, r1, r2, vec![], true),
        (1, 1, r2, r2, vec![], true),
        (1, 0, r1, r2, vec![], false),
        (2, 1, r1, r2, vec![], false),
        (1, 2, r1, r2, vec![], false),
        (0, 0, e, r2, vec![], false),
        (1, 1, e, r2, vec![], false),
        (0, 0, e, e, vec![e], false),
        (0, 1, e, e, vec![e], false),
        (1, 1, e, e, vec![e], false),
    ];
    for (i, (m, n, a, b, p, ok)) in cases.into_iter().enumerate() {
        assert_eq!(
            verify_consistency(m, n, &a, &b, &p).is_ok(),
            ok,
            "case {i}: {m}->{n}"
        );
    }
}

/// `TestVerifyInclusion` probes with sizes that cannot hold the index.
#[test]
fn inclusion_edge_cases() {
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    for (i, n) in [(0u64, 0u64), (1, 0), (2, 1)] {
        assert!(
            verify_inclusion(i, n, &some, &[], &tumen_ledger::empty_root()).is_err(),
            "{i} in {n}"
        );
    }
    // A single-entry tree: the root is the leaf hash and the proof is empty.
    let l = leaf_hash(b"data");
    assert!(verify_inclusion(0, 1, &l, &[], &l).is_ok());
    assert!(verify_inclusion(0, 1, &l, &[], &some).is_err());
}
