//! Merkle trees over the ledger: a compact frontier and a full tree.
//!
//! Two shapes, for two jobs:
//!
//! * [`Frontier`] keeps only the roots of the perfect subtrees that make up
//!   the tree so far (at most 64 hashes). Appending costs O(1) amortised
//!   hashes, the root O(log n). It is what `verify` streams a million entries
//!   through without holding them.
//! * [`MerkleTree`] keeps every complete subtree hash (about 2n hashes, 64 MB
//!   for a million entries), so that any historical root, inclusion proof
//!   or consistency proof costs O(log² n) hash operations: well under a
//!   millisecond. It is rebuilt from the ordered leaf hashes in one pass.
//!
//! Both follow the Merkle Tree Hash (MTH) of RFC 6962 §2.1 exactly, including
//! its definition for sizes that are not a power of two: the left subtree
//! holds the largest power of two strictly smaller than n leaves.

use crate::LedgerError;
use crate::hash::{Hash, empty_root, leaf_hash, node_hash};

/// The largest power of two strictly smaller than `n` (n ≥ 2).
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The roots of the perfect subtrees of an append-only tree, largest first.
///
/// Entry `i` of `nodes` covers 2^h leaves where h is the position of the
/// i-th highest set bit of `size`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Append one leaf, given its leaf hash.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut s = self.size;
        // Each trailing 1 bit of the old size is a perfect subtree of the same
        // height as the one being carried: merge, like binary addition.
        while s & 1 == 1 {
            let left = self.nodes.pop().unwrap_or(h);
            h = node_hash(&left, &h);
            s >>= 1;
        }
        self.nodes.push(h);
        self.size += 1;
    }

    /// Append one entry (hashes it as a leaf first).
    pub fn push_entry(&mut self, entry: &[u8]) {
        self.push_leaf_hash(leaf_hash(entry));
    }

    /// The Merkle Tree Hash of everything appended so far.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(last) => it.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// The RFC 6962 root of a list of leaf hashes, by a single streaming pass.
pub fn root_from_leaf_hashes<I: IntoIterator<Item = Hash>>(leaves: I) -> Hash {
    let mut f = Frontier::new();
    for l in leaves {
        f.push_leaf_hash(l);
    }
    f.root()
}

/// A full append-only Merkle tree: every complete subtree hash is kept.
///
/// `levels[k][i]` is the hash of the perfect subtree over leaves
/// `[i·2^k, (i+1)·2^k)`. Only complete subtrees are stored, so the tree is
/// valid at every size and past roots remain computable.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuild a tree from its ordered leaf hashes.
    pub fn from_leaf_hashes<I: IntoIterator<Item = Hash>>(leaves: I) -> Self {
        let mut t = Self::new();
        for l in leaves {
            t.push_leaf_hash(l);
        }
        t
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hash at `index`, if there is one.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let i = usize::try_from(index).ok()?;
        self.levels.first()?.get(i).copied()
    }

    /// Append an entry; returns its index.
    pub fn push_entry(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Append a leaf hash; returns its index. Amortised O(1) hashes.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(h);
            if row.len() % 2 == 1 {
                break;
            }
            let n = row.len();
            h = node_hash(&row[n - 2], &row[n - 1]);
            level += 1;
        }
        index
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        // The size is always valid for itself.
        self.subtree(0, self.size())
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        self.check_size(size)?;
        Ok(self.subtree(0, size))
    }

    fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        if size > self.size() {
            return Err(LedgerError::SizeBeyondTree {
                size,
                tree_size: self.size(),
            });
        }
        Ok(())
    }

    /// MTH of leaves `[start, end)`. Callers pass only ranges that occur in
    /// the RFC recursion: `start` is a multiple of the largest power of two
    /// not exceeding `end - start` whenever that range is a whole subtree.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n == 0 {
            return empty_root();
        }
        if n.is_power_of_two() && start % n == 0 {
            let k = n.trailing_zeros() as usize;
            return self.levels[k][(start >> k) as usize];
        }
        let k = split_point(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// The audit path for leaf `index` in the tree of `size` leaves
    /// (RFC 6962 §2.1.1 PATH(m, D[n])), leaf-side first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(size)?;
        if index >= size {
            return Err(LedgerError::IndexBeyondTree {
                index,
                tree_size: size,
            });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m - start < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The consistency proof between the tree of `old_size` leaves and that of
    /// `new_size` leaves (RFC 6962 §2.1.2 PROOF(m, D[n])). Empty when
    /// `old_size` is 0 or equal to `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(LedgerError::SizesOutOfOrder { old_size, new_size });
        }
        let mut proof = Vec::new();
        if old_size > 0 && old_size < new_size {
            self.subproof(old_size, 0, new_size, true, &mut proof);
        }
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The MTH written exactly as RFC 6962 §2.1 states it, recursively over
    /// the leaf list. Independent of both tree shapes above.
    pub(crate) fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn frontier_and_full_tree_agree_with_recursive_mth_for_every_size() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        let mut t = MerkleTree::new();
        assert_eq!(f.root(), empty_root());
        for (i, l) in leaves.iter().enumerate() {
            f.push_leaf_hash(*l);
            t.push_leaf_hash(*l);
            let want = mth(&leaves[..=i]);
            assert_eq!(f.root(), want, "frontier size {}", i + 1);
            assert_eq!(t.root(), want, "tree size {}", i + 1);
        }
        for s in 0..=70u64 {
            assert_eq!(
                t.root_at(s).unwrap(),
                mth(&leaves[..s as usize]),
                "root_at({s})"
            );
        }
        assert!(t.root_at(71).is_err());
    }

    #[test]
    fn proofs_refuse_out_of_range_arguments() {
        let t = MerkleTree::from_leaf_hashes((0u8..5).map(|i| leaf_hash(&[i])));
        assert!(matches!(
            t.inclusion_proof(5, 5),
            Err(LedgerError::IndexBeyondTree { .. })
        ));
        assert!(matches!(
            t.inclusion_proof(0, 6),
            Err(LedgerError::SizeBeyondTree { .. })
        ));
        assert!(matches!(
            t.consistency_proof(4, 3),
            Err(LedgerError::SizesOutOfOrder { .. })
        ));
        assert!(t.consistency_proof(0, 5).unwrap().is_empty());
        assert!(t.consistency_proof(5, 5).unwrap().is_empty());
    }
}
