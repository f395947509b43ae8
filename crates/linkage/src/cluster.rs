//! From accepted pairs to persons: connected components over pairs at or
//! above the threshold, with reviewer decisions as constraints. A "same"
//! decision joins two records whatever the model says; a "different" decision
//! is a cannot-link: no chain of accepted pairs may put the two records in one
//! person. Pairs are joined strongest first and a join that would break a
//! cannot-link is skipped (and counted), so one weak link cannot merge two
//! people a reviewer has separated.
//!
//! Large clusters are reported as suspicious: a person rarely appears in more
//! records than there are sources many times over, and long chains of
//! just-above-threshold links are the classic failure of transitive closure.

use serde::Serialize;
use std::collections::HashMap;

pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Cannot-link partners per root (record numbers, resolved lazily).
    apart: HashMap<u32, Vec<u32>>,
}

impl UnionFind {
    pub fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
            apart: HashMap::new(),
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub fn keep_apart(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.apart.entry(ra).or_default().push(b);
        self.apart.entry(rb).or_default().push(a);
    }

    fn forbidden(&mut self, ra: u32, rb: u32) -> bool {
        let list = self.apart.get(&ra).cloned().unwrap_or_default();
        for x in list {
            if self.find(x) == rb {
                return true;
            }
        }
        false
    }

    /// Joins the components of `a` and `b` unless a cannot-link forbids it.
    /// Returns false when refused.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        // Check from the side with fewer constraints.
        let la = self.apart.get(&ra).map_or(0, Vec::len);
        let lb = self.apart.get(&rb).map_or(0, Vec::len);
        let refused = if la <= lb {
            self.forbidden(ra, rb)
        } else {
            self.forbidden(rb, ra)
        };
        if refused {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        if let Some(moved) = self.apart.remove(&rb) {
            self.apart.entry(ra).or_default().extend(moved);
        }
        true
    }
}

/// One suspicious cluster.
#[derive(Clone, Debug, Serialize)]
pub struct SuspiciousCluster {
    pub cluster: u32,
    pub size: usize,
    pub reason: String,
}

/// Clusters (persons) and their report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Clustering {
    /// Cluster number of each record (dense, 0-based, ordered by first record).
    pub cluster_of: Vec<u32>,
    pub clusters: usize,
    /// (size, how many clusters have that size), ascending by size.
    pub size_histogram: Vec<(usize, usize)>,
    pub largest: usize,
    pub suspicious: Vec<SuspiciousCluster>,
    /// Accepted pairs not joined because a "different" decision forbade it.
    pub joins_refused: u64,
}

/// Clusters `n` records from forced pairs (decided same), accepted pairs
/// (sorted strongest first by the caller) and cannot-links.
pub(crate) fn cluster(
    n: usize,
    forced: &[(u32, u32)],
    accepted: &[(u32, u32)],
    apart: &[(u32, u32)],
    large: usize,
) -> Clustering {
    let mut uf = UnionFind::new(n);
    for (a, b) in apart {
        uf.keep_apart(*a, *b);
    }
    let mut refused = 0u64;
    for (a, b) in forced.iter().chain(accepted) {
        if !uf.union(*a, *b) {
            refused += 1;
        }
    }
    let mut dense: HashMap<u32, u32> = HashMap::new();
    let mut cluster_of = Vec::with_capacity(n);
    for r in 0..n as u32 {
        let root = uf.find(r);
        let next = dense.len() as u32;
        cluster_of.push(*dense.entry(root).or_insert(next));
    }
    let mut sizes = vec![0usize; dense.len()];
    for c in &cluster_of {
        sizes[*c as usize] += 1;
    }
    let mut hist: HashMap<usize, usize> = HashMap::new();
    for s in &sizes {
        *hist.entry(*s).or_default() += 1;
    }
    let mut size_histogram: Vec<(usize, usize)> = hist.into_iter().collect();
    size_histogram.sort_unstable();
    let mut suspicious = Vec::new();
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for (c, s) in sizes.iter().enumerate() {
        if *s >= 3 {
            members.insert(c as u32, Vec::new());
        }
    }
    if !members.is_empty() {
        for (r, c) in cluster_of.iter().enumerate() {
            if let Some(v) = members.get_mut(c) {
                v.push(r as u32);
            }
        }
    }
    let mut edges_in: HashMap<u32, u64> = HashMap::new();
    for (a, b) in accepted {
        let (ca, cb) = (cluster_of[*a as usize], cluster_of[*b as usize]);
        if ca == cb && members.contains_key(&ca) {
            *edges_in.entry(ca).or_default() += 1;
        }
    }
    let mut ids: Vec<u32> = members.keys().copied().collect();
    ids.sort_unstable();
    for c in ids {
        let size = sizes[c as usize];
        if size >= large {
            suspicious.push(SuspiciousCluster {
                cluster: c,
                size,
                reason: format!(
                    "{size} records in one person (at or above {large}); check for chained links"
                ),
            });
            continue;
        }
        // A chain: few of the possible pairs inside were accepted directly.
        let edges = edges_in.get(&c).copied().unwrap_or(0);
        let possible = (size * (size - 1) / 2) as u64;
        if size >= 4 && edges * 2 < possible {
            suspicious.push(SuspiciousCluster {
                cluster: c,
                size,
                reason: format!("held together by {edges} of {possible} possible links (chain)"),
            });
        }
    }
    Clustering {
        largest: sizes.iter().copied().max().unwrap_or(0),
        clusters: sizes.len(),
        cluster_of,
        size_histogram,
        suspicious,
        joins_refused: refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_cannot_link() {
        // 0-1-2 chain, 3-4, 5 alone; 2 and 0 decided different → the weaker
        // edge (1,2), coming second, is refused.
        let c = cluster(6, &[], &[(0, 1), (1, 2), (3, 4)], &[(0, 2)], 10);
        assert_eq!(c.cluster_of, vec![0, 0, 1, 2, 2, 3]);
        assert_eq!(c.joins_refused, 1);
        assert_eq!(c.clusters, 4);
        assert_eq!(c.size_histogram, vec![(1, 2), (2, 2)]);
    }

    #[test]
    fn forced_join_and_large_cluster_flagged() {
        let accepted: Vec<(u32, u32)> = (0..11).map(|i| (i, i + 1)).collect();
        let c = cluster(13, &[(12, 0)], &accepted, &[], 10);
        assert_eq!(c.clusters, 1);
        assert_eq!(c.largest, 13);
        assert_eq!(c.suspicious.len(), 1);
        // A chain of 5 below the size limit is flagged by density.
        let c = cluster(5, &[], &[(0, 1), (1, 2), (2, 3), (3, 4)], &[], 10);
        assert!(c.suspicious[0].reason.contains("chain"));
    }
}
