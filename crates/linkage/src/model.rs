//! The Fellegi–Sunter model: for each field and comparison level, `m` (the
//! chance of that level among true matches) and `u` (among non-matches), and
//! the prior share of matches `lambda`. A pair's match weight is
//! `log2(lambda/(1-lambda)) + Σ log2(m/u)`, plus a term-frequency adjustment
//! for exact agreement on a rare or common value. `u` is estimated by
//! sampling random pairs (almost all non-matches); `m` by
//! expectation–maximisation without labels on the pairs each blocking rule
//! found, leaving out that rule's own fields (they agree by construction
//! there); `lambda` as the share of expected matches among all possible
//! pairs. Reviewer decisions, when given, enter the E-step as fixed labels.
//!
//! EM runs on distinct comparison patterns with their counts, so a run over
//! millions of pairs iterates over a few thousand patterns.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Parameters of one comparison level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelParams {
    pub label: String,
    pub m: f64,
    pub u: f64,
    /// `u` as measured on random pairs (basis of term-frequency adjustment).
    pub u_random: f64,
}

impl LevelParams {
    /// Bayes factor in bits.
    pub fn weight(&self) -> f64 {
        (self.m / self.u).log2()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldModel {
    pub field: String,
    pub term_frequency: bool,
    /// Levels 1..; level 0 ("missing") has weight 0 and is not listed.
    pub levels: Vec<LevelParams>,
}

/// A trained model: what the service layer can store and show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Prior probability that a candidate pair is a match.
    pub lambda: f64,
    pub fields: Vec<FieldModel>,
    pub em_iterations: u32,
    pub em_converged: bool,
}

impl Model {
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }
}

/// Options of the EM step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmOptions {
    pub max_iterations: u32,
    /// Stop when no parameter moves by more than this.
    pub tolerance: f64,
}

impl Default for EmOptions {
    fn default() -> Self {
        EmOptions {
            max_iterations: 1000,
            tolerance: 1e-6,
        }
    }
}

const FLOOR: f64 = 1e-7;

/// Distinct comparison patterns with their counts; `label` 0 = unknown,
/// 1 = decided same, 2 = decided different. A pattern is packed four bits per
/// field into 256 bits (at most 64 fields, levels below 16), so counting a
/// pair allocates nothing.
#[derive(Default)]
pub(crate) struct Patterns {
    nf: usize,
    pub map: HashMap<([u64; 4], u8), f64, BuildPatternHasher>,
}

/// A multiply-rotate hash for packed patterns: every compared pair adds one
/// pattern, and SipHash (the default, built against hash flooding) cost more
/// than comparing the pair. Keys here are level codes, not user input, and
/// iteration order never matters ([`Patterns::sorted`]).
#[derive(Default, Clone, Copy)]
pub(crate) struct BuildPatternHasher;

pub(crate) struct PatternHasher(u64);

impl std::hash::BuildHasher for BuildPatternHasher {
    type Hasher = PatternHasher;
    fn build_hasher(&self) -> PatternHasher {
        PatternHasher(0)
    }
}

impl std::hash::Hasher for PatternHasher {
    fn finish(&self) -> u64 {
        crate::strsim::mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

fn pack(g: &[u8]) -> [u64; 4] {
    let mut k = [0u64; 4];
    for (f, l) in g.iter().enumerate().take(64) {
        k[f / 16] |= u64::from(*l & 0xF) << ((f % 16) * 4);
    }
    k
}

impl Patterns {
    pub fn add(&mut self, gamma: &[u8], label: u8, n: f64) {
        self.nf = self.nf.max(gamma.len());
        *self.map.entry((pack(gamma), label)).or_insert(0.0) += n;
    }
    /// Adds all of `other`'s counts (counts are whole numbers of pairs,
    /// so the order of merging does not change a sum).
    pub fn merge(&mut self, other: Patterns) {
        self.nf = self.nf.max(other.nf);
        for (k, c) in other.map {
            *self.map.entry(k).or_insert(0.0) += c;
        }
    }
    pub fn total(&self) -> f64 {
        self.map.values().sum()
    }
    /// Patterns unpacked, in a fixed order (sums do not depend on hashing).
    pub(crate) fn sorted(&self) -> Vec<(Vec<u8>, u8, f64)> {
        let mut v: Vec<(Vec<u8>, u8, f64)> = self
            .map
            .iter()
            .map(|((k, l), c)| {
                (
                    (0..self.nf)
                        .map(|f| ((k[f / 16] >> ((f % 16) * 4)) & 0xF) as u8)
                        .collect(),
                    *l,
                    *c,
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        v
    }
}

/// Level shares of each field among `gamma` rows (ignoring missing), with a
/// small pseudo-count so that no level has probability zero.
#[cfg(test)]
pub(crate) fn level_shares(nlevels: &[u8], patterns: &Patterns) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = nlevels.iter().map(|n| vec![0.0; *n as usize]).collect();
    for (g, _, c) in patterns.sorted() {
        for (f, l) in g.iter().enumerate() {
            if *l > 0 {
                if let Some(x) = counts.get_mut(f).and_then(|v| v.get_mut(*l as usize - 1)) {
                    *x += c;
                }
            }
        }
    }
    shares(counts)
}

/// [`level_shares`] from counts per field and level, where index 0 counts
/// the pairs missing the field (left out, as in `level_shares`).
pub(crate) fn shares_of_counts(counts: &[Vec<u64>]) -> Vec<Vec<f64>> {
    shares(
        counts
            .iter()
            .map(|c| c.iter().skip(1).map(|x| *x as f64).collect())
            .collect(),
    )
}

fn shares(counts: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    counts
        .into_iter()
        .map(|v| {
            let total: f64 = v.iter().sum::<f64>() + 0.5 * v.len() as f64;
            v.iter().map(|c| ((c + 0.5) / total).max(FLOOR)).collect()
        })
        .collect()
}

/// Starting `m`: most mass on agreement, decreasing with each weaker level.
pub(crate) fn initial_m(nlevels: u8) -> Vec<f64> {
    let n = nlevels as usize;
    let mut v: Vec<f64> = (0..n).map(|k| 0.5f64.powi(k as i32 * 2)).collect();
    if let Some(last) = v.last_mut() {
        *last = 0.02;
    }
    let s: f64 = v.iter().sum();
    v.iter().map(|x| x / s).collect()
}

pub(crate) struct EmOutcome {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    pub lambda: f64,
    pub iterations: u32,
    pub converged: bool,
}

/// Expectation–maximisation over patterns.
pub(crate) fn em(
    patterns: &Patterns,
    mut m: Vec<Vec<f64>>,
    mut u: Vec<Vec<f64>>,
    mut lambda: f64,
    opts: &EmOptions,
    fix_u: bool,
) -> EmOutcome {
    let pats = patterns.sorted();
    let mut iterations = 0;
    let mut converged = false;
    if pats.is_empty() {
        return EmOutcome {
            m,
            u,
            lambda,
            iterations,
            converged: true,
        };
    }
    while iterations < opts.max_iterations {
        iterations += 1;
        let mut m_acc: Vec<Vec<f64>> = m.iter().map(|v| vec![0.0; v.len()]).collect();
        let mut u_acc: Vec<Vec<f64>> = u.iter().map(|v| vec![0.0; v.len()]).collect();
        let (mut match_total, mut total) = (0.0, 0.0);
        for (g, label, count) in &pats {
            let p = match label {
                1 => 1.0,
                2 => 0.0,
                _ => {
                    // Work in logs to survive many fields.
                    let mut lm = lambda.ln();
                    let mut lu = (1.0 - lambda).ln();
                    for (f, l) in g.iter().enumerate() {
                        if *l > 0 {
                            let k = *l as usize - 1;
                            lm += m[f][k].ln();
                            lu += u[f][k].ln();
                        }
                    }
                    1.0 / (1.0 + (lu - lm).exp())
                }
            };
            match_total += p * count;
            total += count;
            for (f, l) in g.iter().enumerate() {
                if *l > 0 {
                    let k = *l as usize - 1;
                    m_acc[f][k] += p * count;
                    u_acc[f][k] += (1.0 - p) * count;
                }
            }
        }
        let normalise = |acc: &Vec<Vec<f64>>| -> Vec<Vec<f64>> {
            acc.iter()
                .map(|v| {
                    let s: f64 = v.iter().sum();
                    if s <= 0.0 {
                        vec![1.0 / v.len() as f64; v.len()]
                    } else {
                        v.iter().map(|x| (x / s).max(FLOOR)).collect()
                    }
                })
                .collect()
        };
        let new_m = normalise(&m_acc);
        let new_u = if fix_u { u.clone() } else { normalise(&u_acc) };
        let new_lambda = (match_total / total).clamp(1e-9, 1.0 - 1e-9);
        let mut delta = (new_lambda - lambda).abs();
        for (a, b) in new_m.iter().flatten().zip(m.iter().flatten()) {
            delta = delta.max((a - b).abs());
        }
        for (a, b) in new_u.iter().flatten().zip(u.iter().flatten()) {
            delta = delta.max((a - b).abs());
        }
        m = new_m;
        u = new_u;
        lambda = new_lambda;
        if delta < opts.tolerance {
            converged = true;
            break;
        }
    }
    EmOutcome {
        m,
        u,
        lambda,
        iterations,
        converged,
    }
}

/// Log of the Bayes factor of a pattern.
fn log_bf(g: &[u8], m: &[Vec<f64>], u: &[Vec<f64>]) -> f64 {
    let mut s = 0.0;
    for (f, l) in g.iter().enumerate() {
        if *l > 0 {
            let k = *l as usize - 1;
            s += m[f][k].ln() - u[f][k].ln();
        }
    }
    s
}

/// The prior share of matches among all `all_pairs` possible pairs, given
/// that matches outside the candidates are negligible: the fixed point of
/// `lambda = Σ_candidates P(match | γ, lambda) / all_pairs` (decided pairs
/// count as 1 or 0).
pub(crate) fn population_lambda(
    cands: &Patterns,
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    all_pairs: f64,
) -> f64 {
    let pats = cands.sorted();
    let bfs: Vec<f64> = pats.iter().map(|(g, _, _)| log_bf(g, m, u)).collect();
    let mut lambda = (cands.total() / all_pairs).clamp(1e-12, 0.5) * 0.1;
    for _ in 0..500 {
        let odds = (lambda / (1.0 - lambda)).ln();
        let mut expected = 0.0;
        for ((_, label, c), bf) in pats.iter().zip(&bfs) {
            let p = match label {
                1 => 1.0,
                2 => 0.0,
                _ => 1.0 / (1.0 + (-(odds + bf)).exp()),
            };
            expected += p * c;
        }
        let next = (expected / all_pairs).clamp(1e-12, 1.0 - 1e-9);
        let done = (next - lambda).abs() <= 1e-9 * lambda.max(1e-12);
        lambda = next;
        if done {
            break;
        }
    }
    lambda
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn draw(rng: &mut ChaCha8Rng, p: &[f64]) -> u8 {
        let x: f64 = rng.random();
        let mut acc = 0.0;
        for (k, pk) in p.iter().enumerate() {
            acc += pk;
            if x < acc {
                return k as u8 + 1;
            }
        }
        p.len() as u8
    }

    /// Data drawn from a known model; EM from a neutral start must recover
    /// the generating m, u and lambda.
    #[test]
    fn em_recovers_known_parameters() {
        let true_m = vec![
            vec![0.9, 0.07, 0.03],
            vec![0.85, 0.15],
            vec![0.7, 0.2, 0.1],
            vec![0.95, 0.05],
        ];
        let true_u = vec![
            vec![0.01, 0.04, 0.95],
            vec![0.1, 0.9],
            vec![0.05, 0.15, 0.8],
            vec![0.5, 0.5],
        ];
        let true_lambda = 0.08;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut pats = Patterns::default();
        let n = 200_000;
        for _ in 0..n {
            let is_match = rng.random::<f64>() < true_lambda;
            let params = if is_match { &true_m } else { &true_u };
            let g: Vec<u8> = params.iter().map(|p| draw(&mut rng, p)).collect();
            pats.add(&g, 0, 1.0);
        }
        let nlevels: Vec<u8> = true_m.iter().map(|v| v.len() as u8).collect();
        let m0: Vec<Vec<f64>> = nlevels.iter().map(|n| initial_m(*n)).collect();
        let u0: Vec<Vec<f64>> = nlevels
            .iter()
            .map(|n| vec![1.0 / *n as f64; *n as usize])
            .collect();
        let out = em(
            &pats,
            m0,
            u0,
            0.3,
            &EmOptions {
                max_iterations: 1000,
                tolerance: 1e-8,
            },
            false,
        );
        assert!(out.converged);
        assert!(
            (out.lambda - true_lambda).abs() < 0.005,
            "lambda {}",
            out.lambda
        );
        for f in 0..true_m.len() {
            for k in 0..true_m[f].len() {
                assert!(
                    (out.m[f][k] - true_m[f][k]).abs() < 0.02,
                    "m[{f}][{k}] {} vs {}",
                    out.m[f][k],
                    true_m[f][k]
                );
                assert!(
                    (out.u[f][k] - true_u[f][k]).abs() < 0.01,
                    "u[{f}][{k}] {} vs {}",
                    out.u[f][k],
                    true_u[f][k]
                );
            }
        }
    }

    #[test]
    fn labels_are_respected_in_e_step() {
        // Every pair labelled: m and u are the empirical shares exactly.
        let mut pats = Patterns::default();
        pats.add(&[1], 1, 3.0);
        pats.add(&[2], 1, 1.0);
        pats.add(&[1], 2, 1.0);
        pats.add(&[2], 2, 4.0);
        let out = em(
            &pats,
            vec![vec![0.5, 0.5]],
            vec![vec![0.5, 0.5]],
            0.5,
            &EmOptions::default(),
            false,
        );
        assert!((out.m[0][0] - 0.75).abs() < 1e-9);
        assert!((out.u[0][0] - 0.2).abs() < 1e-9);
        assert!((out.lambda - 4.0 / 9.0).abs() < 1e-9);
    }

    /// Fixed-u EM over data where the candidate non-matches follow u: m is
    /// recovered; and the population prior from a known mixture.
    #[test]
    fn fixed_u_em_and_population_lambda() {
        let true_m = [vec![0.9, 0.1], vec![0.8, 0.2]];
        let u = vec![vec![0.05, 0.95], vec![0.2, 0.8]];
        let mut pats = Patterns::default();
        // 1000 matches, 9000 non-matches, counts at their expectations.
        for (a, b) in [(1u8, 1u8), (1, 2), (2, 1), (2, 2)] {
            let pm = true_m[0][a as usize - 1] * true_m[1][b as usize - 1];
            let pu = u[0][a as usize - 1] * u[1][b as usize - 1];
            pats.add(&[a, b], 0, 1000.0 * pm + 9000.0 * pu);
        }
        let out = em(
            &pats,
            vec![initial_m(2), initial_m(2)],
            u.clone(),
            0.3,
            &EmOptions {
                max_iterations: 5000,
                tolerance: 1e-10,
            },
            true,
        );
        assert!((out.lambda - 0.1).abs() < 1e-3, "{}", out.lambda);
        assert!((out.m[0][0] - 0.9).abs() < 1e-3 && (out.m[1][0] - 0.8).abs() < 1e-3);
        // If these 10,000 are the candidates among 1,000,000 pairs, the
        // population prior is 1000/1e6 only when the candidates' own mixture
        // is evaluated at that prior; check the fixed point is a fixed point.
        let l = population_lambda(&pats, &out.m, &u, 1_000_000.0);
        let odds = (l / (1.0 - l)).ln();
        let expected: f64 = pats
            .sorted()
            .iter()
            .map(|(g, _, c)| c / (1.0 + (-(odds + log_bf(g, &out.m, &u))).exp()))
            .sum();
        assert!((expected / 1_000_000.0 - l).abs() < 1e-9);
        assert!(l > 0.0 && l < 0.01);
    }

    #[test]
    fn shares_never_zero() {
        let mut pats = Patterns::default();
        pats.add(&[1, 0], 0, 10.0);
        let s = level_shares(&[2, 3], &pats);
        assert!(s.iter().flatten().all(|x| *x > 0.0));
        assert!((s[0].iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // Counting per field gives the same shares: field 0 at level 1 ten
        // times; field 1 missing ten times (index 0 is not a level).
        assert_eq!(shares_of_counts(&[vec![0, 10, 0], vec![10, 0, 0, 0]]), s);
        let mut pats = Patterns::default();
        pats.add(&[1, 3], 0, 4.0);
        pats.add(&[2, 3], 0, 1.0);
        pats.add(&[0, 1], 0, 2.0);
        assert_eq!(
            shares_of_counts(&[vec![2, 4, 1], vec![0, 2, 0, 5]]),
            level_shares(&[2, 3], &pats)
        );
    }
}
