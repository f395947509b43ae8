//! The Bayesian non-parametric latent class model of Manrique-Vallier (2016),
//! "Bayesian population size estimation using Dirichlet process mixtures"
//! (Biometrics 72:1246–1254), known by its R package name LCMCR.
//!
//! # The model
//! Every person in the population (observed or not) belongs to one of `K`
//! latent classes; within class `k` they appear on list `j` independently with
//! probability `λ_jk`. Class weights follow a truncated stick-breaking prior
//! `π ~ SB_K(α)`, `α ~ Gamma(a_alpha, b_alpha)` (shape, rate), each
//! `λ_jk ~ Beta(1, 1)`, and the population size has the prior `p(N) ∝ 1/N`.
//! Heterogeneity of capture (some people are simply easier to document) is
//! what the classes absorb; lists stay independent *within* a class.
//!
//! # The Gibbs sampler
//! One sweep, all steps exact full conditionals as in the paper:
//! 1. `λ_jk ~ Beta(1 + s_jk, 1 + n_k − s_jk)` where `n_k` people are in class
//!    `k` and `s_jk` of them are on list `j` (the unobserved people are in
//!    `n_k` and never in `s_jk`);
//! 2. `V_k ~ Beta(1 + n_k, α + Σ_{h>k} n_h)` for `k < K`, `V_K = 1`,
//!    `π_k = V_k Π_{h<k}(1 − V_h)`;
//! 3. `α ~ Gamma(a_alpha + K − 1, b_alpha − log π_K)`;
//! 4. the number never seen, `n0 = N − n ~ NegBin(n, 1 − π0)` with
//!    `π0 = Σ_k π_k Π_j (1 − λ_jk)` the probability of being on no list
//!    (a Gamma–Poisson mixture);
//! 5. class labels of everyone, observed and unobserved, given the above.
//!
//! # Why it is shaped so
//! The data are counts of at most `2^J − 1` capture patterns, and everyone
//! sharing a pattern has the same conditional class distribution, so step 5
//! draws one multinomial per *distinct pattern* (a chain of binomials) instead
//! of one categorical per person: the work per sweep depends on the number of
//! distinct patterns and classes, not on the number of people. The sampler
//! never allocates inside the loop; all buffers live in [`Chain`].
//! Stick weights are handled in log space so that a tiny `α` (long empty tail
//! of the stick) cannot underflow into `log 0`.
//!
//! Random numbers come from ChaCha8 seeded per chain from the user's seed, so
//! a run is reproducible bit for bit on every platform. The binomial, gamma
//! and beta generators are written here (inversion / BTRS of Hörmann 1993,
//! Marsaglia–Tsang 2000) because the sampler draws hundreds of them per sweep
//! with parameters that change every time, and constructing a distribution
//! object per draw was the bottleneck.
//!
//! # Diagnostics
//! Both follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021),
//! "Rank-normalization, folding, and localization: an improved R-hat"
//! (Bayesian Analysis 16:667–718): every chain is split in halves, draws are
//! rank-normalised, `rhat` is the larger of the bulk and the folded split
//! R-hat, and `ess` is the bulk effective sample size computed from the
//! multi-chain autocorrelations truncated by Geyer's initial monotone
//! sequence (the estimator Stan uses).

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};
use serde::Serialize;

use crate::table::CaptureTable;

/// Settings of one LCMCR run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LcmcrConfig {
    /// Number of latent classes in the truncated stick-breaking prior.
    pub k: usize,
    /// Shape of the Gamma prior on the stick-breaking concentration α.
    pub a_alpha: f64,
    /// Rate of the Gamma prior on α.
    pub b_alpha: f64,
    /// Sweeps discarded at the start of each chain.
    pub burnin: usize,
    /// Draws kept per chain (after thinning).
    pub samples: usize,
    /// Keep one sweep in `thinning`.
    pub thinning: usize,
    /// Seed of the random number generator; chain `c` uses a stream derived
    /// from it.
    pub seed: u64,
    /// Independent chains, started from different random states (≥ 2 for a
    /// meaningful R-hat).
    pub chains: usize,
}

impl Default for LcmcrConfig {
    /// The published priors (K = 10, a_alpha = b_alpha = 0.25, as in the LCMCR
    /// package and Manrique-Vallier 2016); 4 chains of 10,000 burn-in sweeps
    /// and 2,500 kept draws thinned by 10, i.e. 10,000 draws in all.
    fn default() -> Self {
        LcmcrConfig {
            k: 10,
            a_alpha: 0.25,
            b_alpha: 0.25,
            burnin: 10_000,
            samples: 2_500,
            thinning: 10,
            seed: 20_161_246,
            chains: 4,
        }
    }
}

/// Posterior summary of the population size `N` (observed plus unobserved).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LcmcrResult {
    /// Posterior median of N over all chains.
    pub median: f64,
    /// Posterior mean of N.
    pub mean: f64,
    /// 2.5 % posterior quantile (type 7, as R's `quantile`).
    pub q025: f64,
    /// 97.5 % posterior quantile.
    pub q975: f64,
    /// Bulk effective sample size (rank-normalised split chains, Geyer's
    /// initial monotone sequence; Vehtari et al. 2021).
    pub ess: f64,
    /// Larger of bulk and folded rank-normalised split R-hat
    /// (Vehtari et al. 2021); below 1.01 is the usual bar.
    pub rhat: f64,
    /// The kept draws of N, one vector per chain, in sampling order.
    pub n_samples: Vec<Vec<u64>>,
    /// Plain-language warnings that apply to this estimate.
    pub caveats: Vec<String>,
    /// People observed on at least one list.
    pub observed: u64,
    /// Posterior mean number of latent classes holding anyone.
    pub mean_occupied_classes: f64,
    /// Share of kept draws in which every one of the `k` classes held
    /// someone; well above zero means the truncation may bind.
    pub share_all_classes_used: f64,
}

/// Why an LCMCR run could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LcmcrError {
    #[error("LCMCR setting `{field}` is invalid: {why}")]
    BadConfig { field: &'static str, why: String },
    #[error("the capture table has no records: there is nothing to estimate from")]
    EmptyTable,
    #[error(
        "all {observed} records are on the single list {list:?}: capture–recapture needs \
         records on at least two lists"
    )]
    SingleList { list: String, observed: u64 },
    #[error(
        "no person appears on more than one list, so the lists say nothing about how many \
         were missed; link records across lists first, or report the observed count only"
    )]
    NoOverlap,
    #[error(
        "chain {chain}, sweep {sweep}: the sampled number of unobserved people exceeded \
         10^12; the lists overlap too little to bound the total"
    )]
    Diverged { chain: usize, sweep: usize },
}

/// Most kept draws in one run (all chains), to keep memory bounded.
pub const MAX_KEPT_DRAWS: usize = 50_000_000;
/// Largest supported number of latent classes.
pub const MAX_CLASSES: usize = 1_000;
/// Above this many sampled unobserved people the run stops with
/// [`LcmcrError::Diverged`].
const MAX_UNOBSERVED_MEAN: f64 = 1e12;
/// Floor on α; keeps `Beta(1, α)` well defined. Far below any value the
/// posterior visits for real data.
const MIN_ALPHA: f64 = 1e-200;

fn bad(field: &'static str, why: impl Into<String>) -> LcmcrError {
    LcmcrError::BadConfig {
        field,
        why: why.into(),
    }
}

fn check_config(cfg: &LcmcrConfig) -> Result<usize, LcmcrError> {
    if cfg.k == 0 {
        return Err(bad(
            "k",
            "the number of latent classes must be at least 1 (10 is usual)",
        ));
    }
    if cfg.k > MAX_CLASSES {
        return Err(bad(
            "k",
            format!(
                "{} classes given, at most {MAX_CLASSES} are supported",
                cfg.k
            ),
        ));
    }
    if !(cfg.a_alpha.is_finite() && cfg.a_alpha > 0.0) {
        return Err(bad(
            "a_alpha",
            "the Gamma shape must be a positive finite number (0.25 is usual)",
        ));
    }
    if !(cfg.b_alpha.is_finite() && cfg.b_alpha > 0.0) {
        return Err(bad(
            "b_alpha",
            "the Gamma rate must be a positive finite number (0.25 is usual)",
        ));
    }
    if cfg.samples < 4 {
        return Err(bad(
            "samples",
            format!(
                "{} kept draws per chain; at least 4 are needed (thousands are usual)",
                cfg.samples
            ),
        ));
    }
    if cfg.thinning == 0 {
        return Err(bad("thinning", "must be at least 1 (1 keeps every sweep)"));
    }
    if cfg.chains == 0 {
        return Err(bad(
            "chains",
            "at least one chain is needed (2 or more to compute R-hat across chains)",
        ));
    }
    let kept = cfg
        .samples
        .checked_mul(cfg.chains)
        .filter(|&t| t <= MAX_KEPT_DRAWS)
        .ok_or_else(|| {
            bad(
                "samples",
                format!("samples × chains exceeds {MAX_KEPT_DRAWS} kept draws"),
            )
        })?;
    let sweeps = cfg
        .samples
        .checked_mul(cfg.thinning)
        .and_then(|s| s.checked_add(cfg.burnin))
        .ok_or_else(|| bad("thinning", "burnin + samples × thinning overflows"))?;
    let _ = kept;
    Ok(sweeps)
}

/// The observed capture patterns, as the sampler needs them.
struct Data {
    lists: usize,
    /// Distinct observed patterns with a positive count.
    masks: Vec<u32>,
    counts: Vec<u64>,
    observed: u64,
}

fn prepare(table: &CaptureTable) -> Result<Data, LcmcrError> {
    let lists = table.num_lists();
    let observed = table.observed();
    if observed == 0 {
        return Err(LcmcrError::EmptyTable);
    }
    let nonempty: Vec<usize> = (0..lists).filter(|&j| table.list_total(j) > 0).collect();
    if nonempty.len() == 1 {
        let list = table.lists().get(nonempty[0]).cloned().unwrap_or_default();
        return Err(LcmcrError::SingleList { list, observed });
    }
    let mut masks = Vec::new();
    let mut counts = Vec::new();
    for (mask, &c) in table.counts().iter().enumerate().skip(1) {
        if c > 0 {
            masks.push(mask as u32);
            counts.push(c);
        }
    }
    if masks.iter().all(|m| m.count_ones() < 2) {
        return Err(LcmcrError::NoOverlap);
    }
    Ok(Data {
        lists,
        masks,
        counts,
        observed,
    })
}

/// Fit LCMCR to a capture table: run `cfg.chains` chains and summarise the
/// posterior of N.
pub fn fit(table: &CaptureTable, cfg: &LcmcrConfig) -> Result<LcmcrResult, LcmcrError> {
    let sweeps = check_config(cfg)?;
    let data = prepare(table)?;
    let mut traces = Vec::with_capacity(cfg.chains);
    // Occupied classes summed over kept draws, and draws with all k in use.
    let mut occupied_sum = 0usize;
    let mut all_used = 0usize;
    for c in 0..cfg.chains {
        let mut chain = Chain::new(&data, cfg, c);
        let mut trace = Vec::with_capacity(cfg.samples);
        for sweep in 0..sweeps {
            chain
                .sweep(&data)
                .map_err(|()| LcmcrError::Diverged { chain: c, sweep })?;
            if sweep >= cfg.burnin && (sweep - cfg.burnin + 1) % cfg.thinning == 0 {
                trace.push(data.observed + chain.n0);
                let occ = chain.occupied();
                occupied_sum += occ;
                all_used += usize::from(occ >= cfg.k);
            }
        }
        traces.push(trace);
    }
    let kept = (cfg.samples * cfg.chains) as f64;
    Ok(summarise(
        &data,
        cfg,
        traces,
        occupied_sum as f64 / kept,
        all_used as f64 / kept,
    ))
}

fn summarise(
    data: &Data,
    cfg: &LcmcrConfig,
    traces: Vec<Vec<u64>>,
    mean_occupied: f64,
    share_all_used: f64,
) -> LcmcrResult {
    let mut pooled: Vec<f64> = traces.iter().flatten().map(|&v| v as f64).collect();
    pooled.sort_by(f64::total_cmp);
    let mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
    let median = quantile_sorted(&pooled, 0.5);
    let q025 = quantile_sorted(&pooled, 0.025);
    let q975 = quantile_sorted(&pooled, 0.975);
    let chains: Vec<Vec<f64>> = traces
        .iter()
        .map(|t| t.iter().map(|&v| v as f64).collect())
        .collect();
    let diag = diagnostics(&chains);
    let mut caveats = Vec::new();
    let n = data.observed;
    let overlap: u64 = data
        .masks
        .iter()
        .zip(&data.counts)
        .filter(|(m, _)| m.count_ones() >= 2)
        .map(|(_, c)| c)
        .sum();
    if overlap < 20 {
        caveats.push(format!(
            "only {overlap} people appear on more than one list; estimates of the unobserved rest on very few overlaps"
        ));
    }
    for j in 0..data.lists {
        let on_j: u64 = data
            .masks
            .iter()
            .zip(&data.counts)
            .filter(|(m, _)| *m & (1 << j) != 0)
            .map(|(_, c)| c)
            .sum();
        if on_j == 0 {
            caveats.push(format!(
                "list {} has no records; it adds nothing to the estimate",
                j + 1
            ));
        }
    }
    if n < 50 {
        caveats.push(format!(
            "only {n} people observed; the latent class model needs more data to separate classes"
        ));
    }
    if diag.constant {
        caveats.push(
            "every kept draw of N is identical; convergence diagnostics are not meaningful"
                .to_string(),
        );
    } else {
        if diag.rhat > 1.01 {
            caveats.push(format!(
                "R-hat is {:.3} (above 1.01): the chains disagree; run more burn-in and samples before reporting",
                diag.rhat
            ));
        }
        if cfg.chains < 2 {
            caveats.push("a single chain was run; R-hat compares only its two halves".to_string());
        }
        if diag.ess < 400.0 {
            caveats.push(format!(
                "effective sample size is {:.0} (below 400): the interval ends are imprecise; run more samples",
                diag.ess
            ));
        }
    }
    if q975 > 3.0 * n as f64 {
        caveats.push(format!(
            "the upper end of the 95% interval ({q975:.0}) is more than three times the {n} people observed: the lists constrain the total only weakly"
        ));
    }
    if share_all_used > 0.1 && cfg.k > 1 {
        caveats.push(format!(
            "all {} latent classes were in use in {:.0}% of draws; the truncation may bind, so rerun with a larger k",
            cfg.k,
            100.0 * share_all_used
        ));
    }
    LcmcrResult {
        median,
        mean,
        q025,
        q975,
        ess: diag.ess,
        rhat: diag.rhat,
        n_samples: traces,
        caveats,
        observed: n,
        mean_occupied_classes: mean_occupied,
        share_all_classes_used: share_all_used,
    }
}

/// Quantile of sorted data, R's type 7 (linear interpolation between order
/// statistics). `sorted` must not be empty.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

// ---------------------------------------------------------------------------
// The sampler state of one chain.

struct Chain {
    rng: ChaCha8Rng,
    k: usize,
    a_alpha: f64,
    b_alpha: f64,
    alpha: f64,
    /// `λ_jk` at `k * lists + j`.
    lambda: Vec<f64>,
    /// `π_k`.
    pi: Vec<f64>,
    /// `log π_K` (= Σ_{h<K} log(1 − V_h)), kept in log space for α.
    log_pi_last: f64,
    n0: u64,
    /// People per class (observed and unobserved).
    class_n: Vec<u64>,
    /// People in class `k` on list `j`, at `k * lists + j`.
    class_s: Vec<u64>,
    /// Scratch: unnormalised class weights for one pattern, and their
    /// suffix sums.
    w: Vec<f64>,
    suffix: Vec<f64>,
    /// Classes by decreasing π, the visiting order of the multinomial.
    order: Vec<usize>,
    /// Scratch: `Π_j (1 − λ_jk)` per class.
    miss: Vec<f64>,
}

impl Chain {
    fn new(data: &Data, cfg: &LcmcrConfig, chain: usize) -> Chain {
        // Seed stream per chain: the same user seed gives the same chains.
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(chain as u64 + 1);
        let k = cfg.k;
        let j = data.lists;
        let mut c = Chain {
            rng,
            k,
            a_alpha: cfg.a_alpha,
            b_alpha: cfg.b_alpha,
            alpha: 1.0,
            lambda: vec![0.5; k * j],
            pi: vec![1.0 / k as f64; k],
            log_pi_last: 0.0,
            n0: data.observed,
            class_n: vec![0; k],
            class_s: vec![0; k * j],
            w: vec![0.0; k],
            suffix: vec![0.0; k + 1],
            order: (0..k).collect(),
            miss: vec![0.0; k],
        };
        // Start from a random allocation of everyone (observed, plus a guess
        // of as many unobserved) to classes with equal weights; different
        // chains get different allocations.
        c.w.iter_mut().for_each(|w| *w = 1.0);
        for (&m, &cnt) in data.masks.iter().zip(&data.counts) {
            c.allocate(m, cnt, data.lists);
        }
        c.allocate(0, c.n0, data.lists);
        c
    }

    fn occupied(&self) -> usize {
        self.class_n.iter().filter(|&&n| n > 0).count()
    }

    /// Split `count` people of pattern `mask` among classes with the weights
    /// in `self.w` (multinomial as a chain of binomials) and add them to the
    /// class totals.
    fn allocate(&mut self, mask: u32, count: u64, lists: usize) {
        let k = self.k;
        // Classes are visited in `order` (largest π first), so the chain of
        // binomials usually ends after the few classes that matter: any
        // order gives the same multinomial.
        let mut acc = 0.0;
        for i in (0..k).rev() {
            acc += self.w[self.order[i]];
            self.suffix[i] = acc;
        }
        self.suffix[k] = 0.0;
        let mut left = count;
        for i in 0..k {
            if left == 0 {
                break;
            }
            let h = self.order[i];
            let m = if i + 1 == k || self.suffix[i + 1] <= 0.0 {
                left
            } else {
                let p = self.w[h] / self.suffix[i];
                binomial(&mut self.rng, left, p)
            };
            if m > 0 {
                left -= m;
                self.class_n[h] += m;
                let mut bits = mask;
                while bits != 0 {
                    let j = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if j < lists {
                        self.class_s[h * lists + j] += m;
                    }
                }
            }
        }
    }

    /// One Gibbs sweep. `Err(())` if the number of unobserved diverges.
    fn sweep(&mut self, data: &Data) -> Result<(), ()> {
        let k = self.k;
        let lists = data.lists;
        // 1. λ_jk | allocation.
        for h in 0..k {
            let nh = self.class_n[h] as f64;
            for j in 0..lists {
                let s = self.class_s[h * lists + j] as f64;
                self.lambda[h * lists + j] = beta(&mut self.rng, 1.0 + s, 1.0 + nh - s);
            }
        }
        // 2. Stick-breaking weights | class sizes, in log space.
        let mut rest: u64 = self.class_n.iter().sum();
        let mut log_left: f64 = 0.0; // Σ_{h<k} log(1 − V_h)
        for h in 0..k {
            rest -= self.class_n[h];
            if h + 1 == k {
                self.pi[h] = log_left.exp();
                self.log_pi_last = log_left;
            } else {
                let (log_v, log_1mv) = log_beta(
                    &mut self.rng,
                    1.0 + self.class_n[h] as f64,
                    self.alpha + rest as f64,
                );
                self.pi[h] = (log_left + log_v).exp();
                log_left += log_1mv;
            }
        }
        let pi = &self.pi;
        self.order
            .sort_unstable_by(|&a, &b| pi[b].total_cmp(&pi[a]));
        // 3. α | V.
        if k > 1 {
            let shape = self.a_alpha + (k - 1) as f64;
            let rate = self.b_alpha - self.log_pi_last;
            self.alpha = (gamma(&mut self.rng, shape) / rate).max(MIN_ALPHA);
        }
        // 4. Unobserved count | λ, π. Probability of being seen, 1 − π0,
        // computed without cancellation.
        let mut pi0 = 0.0;
        let mut seen = 0.0;
        for h in 0..k {
            let lam = &self.lambda[h * lists..(h + 1) * lists];
            let mut miss: f64 = lam.iter().map(|l| 1.0 - l).product();
            // 1 − miss loses digits only when miss is near 1; redo that rare
            // case in log space.
            let seen_h = if miss < 0.5 {
                1.0 - miss
            } else {
                let log_miss: f64 = lam.iter().map(|l| (-l).ln_1p()).sum();
                miss = log_miss.exp();
                -log_miss.exp_m1()
            };
            self.miss[h] = miss;
            pi0 += self.pi[h] * miss;
            seen += self.pi[h] * seen_h;
        }
        let odds = pi0 / seen;
        let g = gamma(&mut self.rng, data.observed as f64) * odds;
        if !(g.is_finite()) || g > MAX_UNOBSERVED_MEAN {
            return Err(());
        }
        self.n0 = if g <= 0.0 {
            0
        } else {
            match Poisson::new(g) {
                Ok(p) => {
                    let x: f64 = p.sample(&mut self.rng);
                    x as u64
                }
                Err(_) => return Err(()),
            }
        };
        // 5. Class allocation of everyone | λ, π, n0.
        self.class_n.iter_mut().for_each(|v| *v = 0);
        self.class_s.iter_mut().for_each(|v| *v = 0);
        for (&mask, &cnt) in data.masks.iter().zip(&data.counts) {
            let mut total = 0.0;
            for h in 0..k {
                let lam = &self.lambda[h * lists..(h + 1) * lists];
                let mut w = self.pi[h];
                for (j, &l) in lam.iter().enumerate() {
                    w *= if mask & (1 << j) != 0 { l } else { 1.0 - l };
                }
                self.w[h] = w;
                total += w;
            }
            if !(total > 1e-280 && total.is_finite()) {
                self.log_weights(mask, lists);
            }
            self.allocate(mask, cnt, lists);
        }
        if self.n0 > 0 {
            let mut total = 0.0;
            for h in 0..k {
                self.w[h] = self.pi[h] * self.miss[h];
                total += self.w[h];
            }
            if !(total > 1e-280 && total.is_finite()) {
                self.log_weights(0, lists);
            }
            self.allocate(0, self.n0, lists);
        }
        Ok(())
    }

    /// Class weights of a pattern computed in log space and rescaled, for
    /// the rare case where the direct product underflows.
    fn log_weights(&mut self, mask: u32, lists: usize) {
        let mut best = f64::NEG_INFINITY;
        for h in 0..self.k {
            let mut lw = self.pi[h].ln();
            for j in 0..lists {
                let l = self.lambda[h * lists + j];
                lw += if mask & (1 << j) != 0 {
                    l.ln()
                } else {
                    (-l).ln_1p()
                };
            }
            self.w[h] = lw;
            if lw > best {
                best = lw;
            }
        }
        if best.is_finite() {
            for w in self.w.iter_mut() {
                *w = (*w - best).exp();
            }
        } else {
            // Every class impossible in floating point: spread evenly.
            self.w.iter_mut().for_each(|w| *w = 1.0);
        }
    }
}

// ---------------------------------------------------------------------------
// Random variate generators.

/// Uniform on the open interval (0, 1), 53 random bits.
#[inline]
fn open01<R: RngCore>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Gamma(shape, 1) by Marsaglia & Tsang (2000), returning `log` of the draw
/// so that tiny shapes cannot underflow to zero.
fn log_gamma_draw<R: RngCore>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        // G(a) = G(a + 1) · U^{1/a}
        let u = open01(rng);
        return log_gamma_draw(rng, shape + 1.0) + u.ln() / shape;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x: f64 = StandardNormal.sample(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = open01(rng);
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return (d * v).ln();
        }
    }
}

/// Gamma(shape, 1) draw (Marsaglia & Tsang 2000).
fn gamma<R: RngCore>(rng: &mut R, shape: f64) -> f64 {
    if shape >= 1.0 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x: f64 = StandardNormal.sample(rng);
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = open01(rng);
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    } else {
        log_gamma_draw(rng, shape).exp()
    }
}

/// Beta(a, b) draw for `a, b ≥ 1` (both gamma shapes at least one here).
fn beta<R: RngCore>(rng: &mut R, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// `(log V, log(1 − V))` for `V ~ Beta(a, b)`, accurate when either is tiny.
fn log_beta<R: RngCore>(rng: &mut R, a: f64, b: f64) -> (f64, f64) {
    let lx = log_gamma_draw(rng, a);
    let ly = log_gamma_draw(rng, b);
    let m = lx.max(ly);
    let lsum = m + ((lx - m).exp() + (ly - m).exp()).ln();
    (lx - lsum, ly - lsum)
}

/// `log k! − [(k + ½) log(k + 1) − (k + 1) + ½ log 2π]` for k = 0..9.
const STIRLING_TAIL: [f64; 10] = [
    0.081_061_466_795_327_2,
    0.041_340_695_955_409_2,
    0.027_677_925_684_998_3,
    0.020_790_672_103_765_09,
    0.016_644_691_189_821_1,
    0.013_876_128_823_070_7,
    0.011_896_709_945_891_7,
    0.010_411_265_261_972_0,
    0.009_255_462_182_712_73,
    0.008_330_563_433_362_87,
];

fn stirling_tail(k: f64) -> f64 {
    if k <= 9.0 {
        STIRLING_TAIL[k as usize]
    } else {
        let kp1sq = (k + 1.0) * (k + 1.0);
        (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)
    }
}

/// Binomial(n, p) draw: inversion when `n·min(p, 1−p) < 10`, otherwise
/// Hörmann's (1993) BTRS transformed rejection with squeeze.
pub(crate) fn binomial<R: RngCore>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        return n - binomial(rng, n, 1.0 - p);
    }
    let nf = n as f64;
    if nf * p < 10.0 {
        binomial_inversion(rng, n, p)
    } else {
        binomial_btrs(rng, nf, p)
    }
}

fn binomial_inversion<R: RngCore>(rng: &mut R, n: u64, p: f64) -> u64 {
    // Shortcut for the common case of a class with almost no weight:
    // P(X = 0) = (1 − p)^n ≥ 1 − np, so u ≤ 1 − np means X = 0 exactly,
    // decided without evaluating (1 − p)^n.
    let first = open01(rng);
    if first <= 1.0 - n as f64 * p {
        return 0;
    }
    let q = 1.0 - p;
    let s = p / q;
    let a = (n as f64 + 1.0) * s;
    let r0 = (n as f64 * (-p).ln_1p()).exp();
    let bound = n.min((n as f64 * p + 10.0 * (n as f64 * p * q + 1.0).sqrt()) as u64 + 1);
    let mut u = first;
    loop {
        let mut r = r0;
        let mut x = 0u64;
        loop {
            if u <= r {
                return x;
            }
            u -= r;
            x += 1;
            if x > bound {
                break;
            }
            r *= a / x as f64 - s;
        }
        u = open01(rng);
    }
}

fn binomial_btrs<R: RngCore>(rng: &mut R, n: f64, p: f64) -> u64 {
    let spq = (n * p * (1.0 - p)).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = n * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let r = p / (1.0 - p);
    let alpha = (2.83 + 5.1 / b) * spq;
    let m = ((n + 1.0) * p).floor();
    loop {
        let u = open01(rng) - 0.5;
        let mut v = open01(rng);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + c).floor();
        if k < 0.0 || k > n {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        v = (v * alpha / (a / (us * us) + b)).ln();
        let upper = (m + 0.5) * ((m + 1.0) / (r * (n - m + 1.0))).ln()
            + (n + 1.0) * ((n - m + 1.0) / (n - k + 1.0)).ln()
            + (k + 0.5) * (r * (n - k + 1.0) / (k + 1.0)).ln()
            + stirling_tail(m)
            + stirling_tail(n - m)
            - stirling_tail(k)
            - stirling_tail(n - k);
        if v <= upper {
            return k as u64;
        }
    }
}

// ---------------------------------------------------------------------------
// Convergence diagnostics (Vehtari et al. 2021).

/// Convergence diagnostics of a set of chains of one scalar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Bulk effective sample size.
    pub ess: f64,
    /// max(bulk, folded) rank-normalised split R-hat.
    pub rhat: f64,
    /// All draws identical: the diagnostics carry no information (`ess` is
    /// then the number of draws and `rhat` 1).
    pub constant: bool,
}

/// Diagnostics over chains of equal length (draws beyond the shortest chain
/// are ignored). Needs at least 4 draws per chain; otherwise reports
/// `ess = 0`, `rhat` a large sentinel.
pub fn diagnostics(chains: &[Vec<f64>]) -> Diagnostics {
    let len = chains.iter().map(Vec::len).min().unwrap_or(0);
    let half = len / 2;
    if chains.is_empty() || half < 2 {
        return Diagnostics {
            ess: 0.0,
            rhat: RHAT_UNDEFINED,
            constant: false,
        };
    }
    // Split chains: first and last `half` draws (the middle one dropped when
    // the length is odd).
    let mut split: Vec<&[f64]> = Vec::with_capacity(2 * chains.len());
    for c in chains {
        split.push(&c[..half]);
        split.push(&c[len - half..len]);
    }
    let first = split[0][0];
    if split.iter().all(|c| c.iter().all(|&x| x == first)) {
        let total = (split.len() * half) as f64;
        return Diagnostics {
            ess: total,
            rhat: 1.0,
            constant: true,
        };
    }
    let z = rank_normalise(&split);
    let bulk_rhat = rhat_of(&z, half);
    let ess = ess_of(&z, half);
    // Folded: |x − median|.
    let mut all: Vec<f64> = split.iter().flat_map(|c| c.iter().copied()).collect();
    all.sort_by(f64::total_cmp);
    let med = quantile_sorted(&all, 0.5);
    let folded: Vec<Vec<f64>> = split
        .iter()
        .map(|c| c.iter().map(|&x| (x - med).abs()).collect())
        .collect();
    let folded_refs: Vec<&[f64]> = folded.iter().map(Vec::as_slice).collect();
    let zf = rank_normalise(&folded_refs);
    let tail_rhat = rhat_of(&zf, half);
    Diagnostics {
        ess,
        rhat: bulk_rhat.max(tail_rhat),
        constant: false,
    }
}

/// R-hat reported when it cannot be computed (a value that fails every
/// convergence check, without being NaN or infinite).
pub const RHAT_UNDEFINED: f64 = 1e9;

/// Rank-normalise pooled draws: average ranks for ties, then
/// `Φ^{-1}((r − 3/8)/(S + 1/4))` (Blom). Returns one flat vector,
/// chain-major, every chain of the same length.
fn rank_normalise(chains: &[&[f64]]) -> Vec<f64> {
    let total: usize = chains.iter().map(|c| c.len()).sum();
    let flat: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    let mut idx: Vec<usize> = (0..total).collect();
    idx.sort_by(|&a, &b| flat[a].total_cmp(&flat[b]));
    let mut out = vec![0.0; total];
    let mut i = 0;
    while i < total {
        let mut j = i;
        while j + 1 < total && flat[idx[j + 1]] == flat[idx[i]] {
            j += 1;
        }
        // ranks i+1 ..= j+1, average
        let r = (i + j) as f64 / 2.0 + 1.0;
        let z = inverse_normal_cdf((r - 0.375) / (total as f64 + 0.25));
        for &t in &idx[i..=j] {
            out[t] = z;
        }
        i = j + 1;
    }
    out
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Split R-hat of `flat` (chains of length `n`, chain-major).
fn rhat_of(flat: &[f64], n: usize) -> f64 {
    let m = flat.len() / n;
    let means: Vec<f64> = flat.chunks(n).map(mean).collect();
    let vars: Vec<f64> = flat
        .chunks(n)
        .zip(&means)
        .map(|(c, &mu)| c.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / (n as f64 - 1.0))
        .collect();
    let grand = mean(&means);
    let b = n as f64
        * means
            .iter()
            .map(|mu| (mu - grand) * (mu - grand))
            .sum::<f64>()
        / (m as f64 - 1.0);
    let w = mean(&vars);
    if w.is_nan() || w <= 0.0 {
        return if b > 0.0 { RHAT_UNDEFINED } else { 1.0 };
    }
    let var_plus = (n as f64 - 1.0) / n as f64 * w + b / n as f64;
    (var_plus / w).sqrt()
}

/// Multi-chain effective sample size of `flat` (chains of length `n`,
/// chain-major) with Geyer's initial monotone sequence, as in Stan.
fn ess_of(flat: &[f64], n: usize) -> f64 {
    let m = flat.len() / n;
    let means: Vec<f64> = flat.chunks(n).map(mean).collect();
    // Autocovariance with 1/n normalisation of every chain, by FFT.
    let acovs: Vec<Vec<f64>> = flat
        .chunks(n)
        .zip(&means)
        .map(|(c, &mu)| autocovariance(c, mu))
        .collect();
    let acov = |chain: usize, lag: usize| -> f64 { acovs[chain][lag] };
    let mean_acov = |lag: usize| -> f64 { (0..m).map(|c| acov(c, lag)).sum::<f64>() / m as f64 };
    let chain_var_mean = mean_acov(0) * n as f64 / (n as f64 - 1.0);
    let mut var_plus = chain_var_mean * (n as f64 - 1.0) / n as f64;
    if m > 1 {
        let grand = mean(&means);
        var_plus += means
            .iter()
            .map(|mu| (mu - grand) * (mu - grand))
            .sum::<f64>()
            / (m as f64 - 1.0);
    }
    if var_plus.is_nan() || var_plus <= 0.0 {
        return (m * n) as f64;
    }
    let rho = |lag: usize| 1.0 - (chain_var_mean - mean_acov(lag)) / var_plus;
    let mut rho_hat = vec![0.0; n + 2];
    rho_hat[0] = 1.0;
    let mut even;
    let mut odd = rho(1);
    rho_hat[1] = odd;
    even = 1.0;
    let mut s = 1;
    while s + 4 < n && even + odd > 0.0 {
        even = rho(s + 1);
        odd = rho(s + 2);
        if even + odd >= 0.0 {
            rho_hat[s + 1] = even;
            rho_hat[s + 2] = odd;
        }
        s += 2;
    }
    let max_s = s;
    if even > 0.0 && max_s + 1 < rho_hat.len() {
        rho_hat[max_s + 1] = even;
    }
    // Initial monotone sequence.
    let mut t = 1;
    while t + 3 <= max_s {
        if rho_hat[t + 1] + rho_hat[t + 2] > rho_hat[t - 1] + rho_hat[t] {
            rho_hat[t + 1] = (rho_hat[t - 1] + rho_hat[t]) / 2.0;
            rho_hat[t + 2] = rho_hat[t + 1];
        }
        t += 2;
    }
    let total = (m * n) as f64;
    let tau = -1.0 + 2.0 * rho_hat[..max_s].iter().sum::<f64>() + rho_hat[max_s + 1];
    let ess = total / tau;
    if ess.is_finite() && ess > 0.0 {
        ess.min(total * total.log10())
    } else {
        0.0
    }
}

/// Autocovariances `γ(t) = (1/n) Σ_i (x_i − μ)(x_{i+t} − μ)`, t = 0..n−1,
/// by zero-padded radix-2 FFT (O(n log n); the direct sum is O(n²) and
/// dominated a run with long chains).
fn autocovariance(x: &[f64], mu: f64) -> Vec<f64> {
    let n = x.len();
    let size = (2 * n).next_power_of_two();
    let mut re = vec![0.0; size];
    let mut im = vec![0.0; size];
    for (r, v) in re.iter_mut().zip(x) {
        *r = v - mu;
    }
    fft(&mut re, &mut im, false);
    for (r, i) in re.iter_mut().zip(im.iter_mut()) {
        *r = *r * *r + *i * *i;
        *i = 0.0;
    }
    fft(&mut re, &mut im, true);
    re.truncate(n);
    for v in re.iter_mut() {
        *v /= n as f64;
    }
    re
}

/// In-place iterative radix-2 FFT; `inverse` includes the 1/size factor.
/// `re.len()` must be a power of two.
fn fft(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let size = re.len();
    let mut j = 0;
    for i in 1..size {
        let mut bit = size >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= size {
        let ang = sign * 2.0 * std::f64::consts::PI / len as f64;
        let (wr, wi) = (ang.cos(), ang.sin());
        for start in (0..size).step_by(len) {
            let (mut cr, mut ci) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * cr - im[b] * ci;
                let ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                let ncr = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = ncr;
            }
        }
        len <<= 1;
    }
    if inverse {
        let f = 1.0 / size as f64;
        re.iter_mut().for_each(|v| *v *= f);
        im.iter_mut().for_each(|v| *v *= f);
    }
}

/// Inverse of the standard normal CDF (Acklam's rational approximation,
/// relative error below 1.2e-9, [`crate::special::norm_quantile`]). `p`
/// outside (0, 1) is clamped, so the result is always finite.
pub fn inverse_normal_cdf(p: f64) -> f64 {
    crate::special::norm_quantile(p.clamp(1e-300, 1.0 - 1e-16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(lists: &[&str], cells: &[(usize, u64)]) -> CaptureTable {
        let mut counts = vec![0u64; 1 << lists.len()];
        for &(m, c) in cells {
            counts[m] = c;
        }
        CaptureTable::new(lists.iter().map(|s| s.to_string()).collect(), counts).unwrap()
    }

    /// HRDAG's Palembang lists b, c, d (bit 0 = b, bit 1 = c, bit 2 = d).
    fn palembang() -> CaptureTable {
        // 100:5, 010:5, 001:41, 110:54, 101:6, 011:0, 111:12
        table(
            &["b", "c", "d"],
            &[
                (0b001, 5),
                (0b010, 5),
                (0b100, 41),
                (0b011, 54),
                (0b101, 6),
                (0b110, 0),
                (0b111, 12),
            ],
        )
    }

    #[test]
    fn palembang_matches_hrdag() {
        // Published by HRDAG / TJWG (2018): posterior median about 137,
        // 95 % interval 124–198, LCMCR with the default priors.
        let t = palembang();
        assert_eq!(t.observed(), 123);
        let r = fit(&t, &LcmcrConfig::default()).unwrap();
        eprintln!(
            "palembang: {:?}",
            (
                r.median,
                r.mean,
                r.q025,
                r.q975,
                r.ess,
                r.rhat,
                r.mean_occupied_classes,
                r.share_all_classes_used,
                &r.caveats
            )
        );
        assert!(r.rhat < 1.01, "rhat {}", r.rhat);
        assert!(r.ess > 1000.0, "ess {}", r.ess);
        // Tolerances: Monte Carlo error of the median here is about ±1,
        // of the 97.5 % quantile (a long right tail) about ±5; the published
        // figures carry their own Monte Carlo error and rounding.
        assert!((133.0..=141.0).contains(&r.median), "median {}", r.median);
        assert!((121.0..=127.0).contains(&r.q025), "q025 {}", r.q025);
        assert!((183.0..=215.0).contains(&r.q975), "q975 {}", r.q975);
        assert_eq!(r.n_samples.len(), 4);
        assert!(
            r.n_samples
                .iter()
                .all(|c| c.len() == 2_500 && c.iter().all(|&n| n >= 123))
        );
    }

    fn ln_fact_table(max: usize) -> Vec<f64> {
        let mut t = vec![0.0; max + 1];
        for i in 1..=max {
            t[i] = t[i - 1] + (i as f64).ln();
        }
        t
    }

    /// With one class the model is the independence model with uniform
    /// priors on each list's capture probability and p(N) ∝ 1/N, whose
    /// posterior is known exactly:
    /// p(N | x) ∝ N!/(N(N−n)!) Π_j B(n_j + 1, N − n_j + 1).
    #[test]
    fn one_class_matches_exact_posterior() {
        // Three lists, a moderately informative table.
        let t = table(
            &["a", "b", "c"],
            &[(1, 60), (2, 45), (4, 30), (3, 20), (5, 14), (6, 11), (7, 5)],
        );
        let n = t.observed() as usize;
        let nj: Vec<usize> = (0..3).map(|j| t.list_total(j) as usize).collect();
        let max = n * 40;
        let lf = ln_fact_table(max + 2);
        let logp: Vec<f64> = (n..=max)
            .map(|big| {
                let mut l = -(big as f64).ln() + lf[big] - lf[big - n];
                for &m in &nj {
                    l += lf[m] + lf[big - m] - lf[big + 1];
                }
                l
            })
            .collect();
        let top = logp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = logp.iter().map(|l| (l - top).exp()).collect();
        let z: f64 = w.iter().sum();
        let exact_mean: f64 = w
            .iter()
            .enumerate()
            .map(|(i, p)| (n + i) as f64 * p)
            .sum::<f64>()
            / z;
        let exact_var: f64 = w
            .iter()
            .enumerate()
            .map(|(i, p)| ((n + i) as f64 - exact_mean).powi(2) * p)
            .sum::<f64>()
            / z;
        let cdf_at = |q: f64| -> f64 {
            let mut acc = 0.0;
            let mut out = n as f64;
            for (i, p) in w.iter().enumerate() {
                acc += p / z;
                if acc >= q {
                    out = (n + i) as f64;
                    break;
                }
            }
            out
        };
        let (e025, e50, e975) = (cdf_at(0.025), cdf_at(0.5), cdf_at(0.975));
        let cfg = LcmcrConfig {
            k: 1,
            burnin: 2_000,
            samples: 5_000,
            thinning: 2,
            seed: 7,
            chains: 4,
            ..Default::default()
        };
        let r = fit(&t, &cfg).unwrap();
        eprintln!(
            "exact {exact_mean} {e025} {e50} {e975}; got {:?}",
            (r.mean, r.q025, r.median, r.q975, r.ess, r.rhat)
        );
        let mcse = (exact_var / r.ess).sqrt();
        assert!(
            (r.mean - exact_mean).abs() < 4.0 * mcse,
            "mean {} vs exact {exact_mean} (mcse {mcse})",
            r.mean
        );
        // Share of draws at or below each exact quantile.
        let draws: Vec<u64> = r.n_samples.iter().flatten().copied().collect();
        for (q, e) in [(0.025, e025), (0.5, e50), (0.975, e975)] {
            let share =
                draws.iter().filter(|&&d| (d as f64) < e).count() as f64 / draws.len() as f64;
            let share_le =
                draws.iter().filter(|&&d| (d as f64) <= e).count() as f64 / draws.len() as f64;
            let tol = 4.0 * (q * (1.0 - q) / r.ess).sqrt();
            assert!(
                share - tol <= q && q <= share_le + tol,
                "quantile {q}: exact {e}, share below {share}..{share_le}"
            );
        }
    }

    #[test]
    fn same_seed_same_draws_other_seed_other_draws() {
        let t = palembang();
        let cfg = LcmcrConfig {
            burnin: 500,
            samples: 200,
            thinning: 2,
            chains: 2,
            seed: 42,
            ..Default::default()
        };
        let a = fit(&t, &cfg).unwrap();
        let b = fit(&t, &cfg).unwrap();
        assert_eq!(a, b);
        let c = fit(
            &t,
            &LcmcrConfig {
                seed: 43,
                ..cfg.clone()
            },
        )
        .unwrap();
        assert_ne!(a.n_samples, c.n_samples);
        // Chains of one run differ from each other.
        assert_ne!(a.n_samples[0], a.n_samples[1]);
    }

    #[test]
    fn bad_configs_are_refused() {
        let t = palembang();
        let d = LcmcrConfig::default();
        let cases: Vec<(LcmcrConfig, &str)> = vec![
            (LcmcrConfig { k: 0, ..d.clone() }, "k"),
            (
                LcmcrConfig {
                    k: MAX_CLASSES + 1,
                    ..d.clone()
                },
                "k",
            ),
            (
                LcmcrConfig {
                    samples: 0,
                    ..d.clone()
                },
                "samples",
            ),
            (
                LcmcrConfig {
                    thinning: 0,
                    ..d.clone()
                },
                "thinning",
            ),
            (
                LcmcrConfig {
                    chains: 0,
                    ..d.clone()
                },
                "chains",
            ),
            (
                LcmcrConfig {
                    a_alpha: 0.0,
                    ..d.clone()
                },
                "a_alpha",
            ),
            (
                LcmcrConfig {
                    a_alpha: f64::NAN,
                    ..d.clone()
                },
                "a_alpha",
            ),
            (
                LcmcrConfig {
                    b_alpha: -1.0,
                    ..d.clone()
                },
                "b_alpha",
            ),
            (
                LcmcrConfig {
                    b_alpha: f64::INFINITY,
                    ..d.clone()
                },
                "b_alpha",
            ),
            (
                LcmcrConfig {
                    samples: usize::MAX,
                    ..d.clone()
                },
                "samples",
            ),
            (
                LcmcrConfig {
                    samples: 10,
                    thinning: usize::MAX,
                    ..d.clone()
                },
                "thinning",
            ),
        ];
        for (cfg, field) in cases {
            match fit(&t, &cfg) {
                Err(LcmcrError::BadConfig { field: f, why }) => {
                    assert_eq!(f, field);
                    assert!(!why.is_empty());
                }
                other => panic!("{field}: expected BadConfig, got {other:?}"),
            }
        }
    }

    #[test]
    fn unusable_tables_are_refused() {
        let cfg = LcmcrConfig {
            burnin: 10,
            samples: 10,
            thinning: 1,
            ..Default::default()
        };
        let empty = table(&["a", "b"], &[]);
        assert_eq!(fit(&empty, &cfg), Err(LcmcrError::EmptyTable));
        let single = table(&["a", "b", "c"], &[(2, 17)]);
        assert_eq!(
            fit(&single, &cfg),
            Err(LcmcrError::SingleList {
                list: "b".into(),
                observed: 17
            })
        );
        let disjoint = table(&["a", "b", "c"], &[(1, 5), (2, 7), (4, 9)]);
        assert_eq!(fit(&disjoint, &cfg), Err(LcmcrError::NoOverlap));
        let msg = LcmcrError::NoOverlap.to_string();
        assert!(msg.contains("more than one list"));
    }

    #[test]
    fn caveats_speak_for_small_and_short_runs() {
        let t = table(&["a", "b", "c"], &[(1, 10), (2, 8), (3, 2), (4, 6)]);
        let cfg = LcmcrConfig {
            burnin: 100,
            samples: 50,
            thinning: 1,
            chains: 2,
            seed: 3,
            ..Default::default()
        };
        let r = fit(&t, &cfg).unwrap();
        let all = r.caveats.join("\n");
        assert!(
            all.contains("only 2 people appear on more than one list"),
            "{all}"
        );
        assert!(all.contains("only 26 people observed"), "{all}");
        assert!(all.contains("effective sample size"), "{all}");
        assert!(
            r.median.is_finite() && r.q975.is_finite() && r.rhat.is_finite() && r.ess.is_finite()
        );
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("null") && !json.contains("NaN"));
    }

    #[test]
    fn fifteen_lists_run_and_bound_the_total_below() {
        // Sparse table over the maximum number of lists: a few dozen
        // patterns out of 32,767, including list 15 (bit 14).
        let names: Vec<String> = (0..15).map(|j| format!("L{j}")).collect();
        let mut counts = vec![0u64; 1 << 15];
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..60 {
            let m = (rng.next_u64() as usize) & 0x7fff;
            if m != 0 {
                counts[m] += 1 + (rng.next_u64() % 5);
            }
        }
        counts[1 << 14] += 3;
        counts[(1 << 14) | 1] += 4;
        let t = CaptureTable::new(names, counts).unwrap();
        let cfg = LcmcrConfig {
            burnin: 300,
            samples: 200,
            thinning: 1,
            chains: 2,
            seed: 8,
            ..Default::default()
        };
        let r = fit(&t, &cfg).unwrap();
        assert!(r.n_samples.iter().flatten().all(|&n| n >= t.observed()));
        assert!(r.q025 >= t.observed() as f64 && r.q025 <= r.median && r.median <= r.q975);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Whatever the table, a fit either refuses it with an error or
        /// returns finite, ordered summaries no smaller than the observed
        /// count: never NaN, never a panic.
        #[test]
        fn any_table_gives_an_error_or_finite_ordered_summaries(
            lists in 2usize..6,
            cells in proptest::collection::vec(0u64..40, 63),
            seed in 0u64..1000,
        ) {
            let mut counts = vec![0u64; 1 << lists];
            for (m, c) in counts.iter_mut().enumerate().skip(1) {
                *c = cells[m - 1];
            }
            let names = (0..lists).map(|j| format!("L{j}")).collect();
            let t = CaptureTable::new(names, counts).unwrap();
            let cfg = LcmcrConfig { burnin: 200, samples: 100, thinning: 1, chains: 2, seed, ..Default::default() };
            match fit(&t, &cfg) {
                Ok(r) => {
                    let n = t.observed() as f64;
                    for v in [r.median, r.mean, r.q025, r.q975, r.ess, r.rhat] {
                        proptest::prop_assert!(v.is_finite());
                    }
                    proptest::prop_assert!(n <= r.q025 && r.q025 <= r.median && r.median <= r.q975);
                    proptest::prop_assert!(r.ess >= 0.0 && r.rhat > 0.0);
                }
                Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    /// Chi-square goodness of fit of the binomial generator against the exact
    /// probability mass function, in the inversion and BTRS regimes and for
    /// p above one half.
    #[test]
    fn binomial_generator_follows_exact_pmf() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for &(n, p) in &[
            (20u64, 0.1f64),
            (7, 0.5),
            (300, 0.3),
            (1000, 0.02),
            (5000, 0.5),
            (60, 0.93),
            (4400, 0.71),
        ] {
            let draws = 200_000;
            let lf = ln_fact_table(n as usize);
            let pmf = |k: u64| {
                (lf[n as usize] - lf[k as usize] - lf[(n - k) as usize]
                    + k as f64 * p.ln()
                    + (n - k) as f64 * (1.0 - p).ln())
                .exp()
            };
            let mut hist = vec![0u64; n as usize + 1];
            for _ in 0..draws {
                let x = binomial(&mut rng, n, p);
                assert!(x <= n);
                hist[x as usize] += 1;
            }
            // Pool cells with expected count below 20.
            let (mut chi2, mut df, mut obs_acc, mut exp_acc) = (0.0, 0i64, 0.0, 0.0);
            for k in 0..=n {
                obs_acc += hist[k as usize] as f64;
                exp_acc += pmf(k) * draws as f64;
                if exp_acc >= 20.0 {
                    chi2 += (obs_acc - exp_acc).powi(2) / exp_acc;
                    df += 1;
                    obs_acc = 0.0;
                    exp_acc = 0.0;
                }
            }
            if exp_acc > 0.0 {
                chi2 += (obs_acc - exp_acc).powi(2) / exp_acc.max(1e-9);
            }
            df -= 1;
            // Mean + 5 sd of chi-square(df): fails only for a real bias.
            let limit = df as f64 + 5.0 * (2.0 * df as f64).sqrt();
            assert!(chi2 < limit, "n={n} p={p}: chi2 {chi2} df {df}");
        }
    }

    #[test]
    fn gamma_and_beta_generators_have_the_right_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for &shape in &[0.05, 0.3, 1.0, 2.5, 123.0] {
            let m = 200_000;
            let xs: Vec<f64> = (0..m).map(|_| gamma(&mut rng, shape)).collect();
            let mu = xs.iter().sum::<f64>() / m as f64;
            let var = xs.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (m as f64 - 1.0);
            // Gamma(a, 1): mean a, variance a.
            assert!(
                (mu - shape).abs() < 5.0 * (shape / m as f64).sqrt(),
                "shape {shape}: mean {mu}"
            );
            assert!(
                (var / shape - 1.0).abs() < 0.05 + 2.0 / shape.sqrt() / 100.0,
                "shape {shape}: var {var}"
            );
            let lx: Vec<f64> = (0..1000).map(|_| log_gamma_draw(&mut rng, shape)).collect();
            assert!(lx.iter().all(|v| v.is_finite()));
        }
        let (a, b) = (3.0, 7.0);
        let m = 200_000;
        let xs: Vec<f64> = (0..m).map(|_| beta(&mut rng, a, b)).collect();
        let mu = xs.iter().sum::<f64>() / m as f64;
        assert!((mu - 0.3).abs() < 0.002, "beta mean {mu}");
        let (lv, l1v) = log_beta(&mut rng, 1.0, 1e-3);
        assert!(lv.is_finite() && l1v.is_finite() && l1v < 0.0);
    }

    #[test]
    fn fft_autocovariance_equals_the_direct_sum() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let x = ar1(&mut rng, 777, 0.6, 2.0);
        let mu = x.iter().sum::<f64>() / x.len() as f64;
        let fast = autocovariance(&x, mu);
        for lag in [0usize, 1, 2, 10, 400, 776] {
            let direct: f64 = (0..x.len() - lag)
                .map(|i| (x[i] - mu) * (x[i + lag] - mu))
                .sum::<f64>()
                / x.len() as f64;
            assert!(
                (fast[lag] - direct).abs() < 1e-9,
                "lag {lag}: {} vs {direct}",
                fast[lag]
            );
        }
    }

    #[test]
    fn inverse_normal_matches_tables() {
        // Standard normal quantiles (Abramowitz & Stegun table 26.5).
        for &(p, z) in &[
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.001, -3.090_232_306_167_813),
            (0.9, 1.281_551_565_544_601),
        ] {
            assert!((inverse_normal_cdf(p) - z).abs() < 1e-8, "p {p}");
        }
    }

    fn ar1(rng: &mut ChaCha8Rng, n: usize, rho: f64, shift: f64) -> Vec<f64> {
        let mut x = 0.0;
        let sd = (1.0 - rho * rho).sqrt();
        (0..n)
            .map(|_| {
                let e: f64 = StandardNormal.sample(rng);
                x = rho * x + sd * e;
                x + shift
            })
            .collect()
    }

    #[test]
    fn ess_matches_ar1_theory_and_rhat_flags_disagreeing_chains() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        // Independent draws: ESS ≈ number of draws.
        let iid: Vec<Vec<f64>> = (0..4).map(|_| ar1(&mut rng, 5_000, 0.0, 0.0)).collect();
        let d = diagnostics(&iid);
        assert!((d.ess / 20_000.0 - 1.0).abs() < 0.1, "iid ess {}", d.ess);
        assert!(d.rhat < 1.01, "iid rhat {}", d.rhat);
        // AR(1) with ρ = 0.8: ESS = S (1 − ρ)/(1 + ρ) = S/9.
        let ar: Vec<Vec<f64>> = (0..4).map(|_| ar1(&mut rng, 20_000, 0.8, 0.0)).collect();
        let d = diagnostics(&ar);
        let want = 80_000.0 / 9.0;
        assert!(
            (d.ess / want - 1.0).abs() < 0.15,
            "ar1 ess {} want {want}",
            d.ess
        );
        // One chain shifted by one standard deviation.
        let mut shifted: Vec<Vec<f64>> = (0..3).map(|_| ar1(&mut rng, 2_000, 0.0, 0.0)).collect();
        shifted.push(ar1(&mut rng, 2_000, 0.0, 1.0));
        assert!(diagnostics(&shifted).rhat > 1.1);
        // Same location, one chain four times as wide: only the folded R-hat sees it.
        let mut wide: Vec<Vec<f64>> = (0..3).map(|_| ar1(&mut rng, 2_000, 0.0, 0.0)).collect();
        wide.push(
            ar1(&mut rng, 2_000, 0.0, 0.0)
                .into_iter()
                .map(|x| 4.0 * x)
                .collect(),
        );
        assert!(diagnostics(&wide).rhat > 1.05);
        // Degenerate inputs stay finite.
        let flat = vec![vec![3.0; 10]; 2];
        let d = diagnostics(&flat);
        assert!(d.constant && d.rhat == 1.0 && d.ess == 20.0);
        let tiny = diagnostics(&[vec![1.0, 2.0]]);
        assert!(tiny.rhat.is_finite() && tiny.ess == 0.0);
    }
}
