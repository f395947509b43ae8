//! tumen-linkage: find the records that describe the same person across
//! testimonies and lists, and keep apart the ones that only look alike.
//!
//! A pure library (no files, no clock, no printing): the caller hands over a
//! [`Dataset`] and a [`LinkRequest`]; [`link`] returns a [`LinkResult`] with
//! scored candidate pairs, the trained Fellegi–Sunter [`Model`], clusters
//! (persons), the review queue and a per-pair explanation. The CLI fills the
//! dataset from CSV files; the service layer will fill it from the store and
//! keep reviewer [`Decision`]s, which every run respects.
//!
//! Steps: blocking (union of rules, refused above a pair cap) → comparison
//! levels per field → `u` from random pairs → `m` by EM, one session per
//! blocking rule without that rule's fields (decisions as labels) → the prior
//! over all pairs → match weights with term-frequency
//! adjustment → thresholds (accept / review / reject) → clustering with
//! decisions as must-link and cannot-link constraints.

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod data;
pub mod date;
pub mod error;
pub mod fixed;
pub mod model;
pub mod strsim;

pub use blocking::{BlockingRule, KeyPart, KeyTransform, RuleReport, default_rules};
pub use cluster::{Clustering, SuspiciousCluster};
pub use compare::{CrossScriptNames, GenericNames, NameComparator, PreparedNames, levels_of};
pub use data::{Dataset, FieldKind, FieldSpec};
pub use error::LinkError;
pub use model::{EmOptions, FieldModel, LevelParams, Model};

use compare::FieldComparator;
use model::Patterns;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which pairs may be linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkMode {
    /// Find duplicates among all records.
    Dedupe,
    /// Link records of different sources only.
    Link,
    /// Both.
    LinkAndDedupe,
}

impl LinkMode {
    #[inline]
    pub fn allows(self, sa: u16, sb: u16) -> bool {
        match self {
            LinkMode::Link => sa != sb,
            _ => true,
        }
    }
}

/// A reviewer's decision on a pair, by record id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id_a: String,
    pub id_b: String,
    /// true: the same person; false: different people.
    pub same: bool,
}

/// Progress of a long run, reported through [`LinkRequest::progress`].
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

/// Everything a run needs besides the records.
pub struct LinkRequest<'a> {
    pub mode: LinkMode,
    /// Blocking rules; empty means [`default_rules`] for the fields.
    pub blocking: Vec<BlockingRule>,
    /// Refuse any rule, or the union, that would generate more pairs.
    pub max_pairs: u64,
    /// Pairs at or above this probability are accepted (linked).
    pub threshold: f64,
    /// Pairs in `[review_lower, threshold)` go to the review queue.
    pub review_lower: f64,
    /// Pairs below this are not returned (decided pairs always are).
    pub output_min_probability: f64,
    pub seed: u64,
    /// Random pairs drawn to estimate `u`.
    pub u_sample_pairs: usize,
    /// At most this many pairs per blocking rule train `m` (evenly thinned).
    pub max_training_pairs: usize,
    pub em: EmOptions,
    /// Use reviewer decisions as labels when training.
    pub train_on_decisions: bool,
    pub decisions: Vec<Decision>,
    /// Clusters this large are reported as suspicious.
    pub large_cluster: usize,
    pub threads: usize,
    /// How person names are compared; `None` = the best available.
    pub names: Option<&'a dyn NameComparator>,
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

impl Default for LinkRequest<'_> {
    fn default() -> Self {
        LinkRequest {
            mode: LinkMode::Dedupe,
            blocking: Vec::new(),
            max_pairs: 50_000_000,
            threshold: 0.5,
            review_lower: 0.2,
            output_min_probability: 0.2,
            seed: 42,
            u_sample_pairs: 1_000_000,
            max_training_pairs: 2_000_000,
            em: EmOptions::default(),
            train_on_decisions: true,
            decisions: Vec::new(),
            large_cluster: 20,
            threads: 1,
            names: None,
            progress: None,
        }
    }
}

/// What happened to a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairStatus {
    Accepted,
    Review,
    Rejected,
    DecidedSame,
    DecidedDifferent,
}

impl PairStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PairStatus::Accepted => "accepted",
            PairStatus::Review => "review",
            PairStatus::Rejected => "rejected",
            PairStatus::DecidedSame => "decided_same",
            PairStatus::DecidedDifferent => "decided_different",
        }
    }
}

/// A scored candidate pair (record numbers in the dataset, `a < b`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub weight: f64,
    pub probability: f64,
    pub status: PairStatus,
}

/// One field's part in a pair's match weight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contribution {
    pub field: String,
    /// 0 = missing on one side.
    pub level: u8,
    pub label: String,
    /// log2(m/u) of the level (0 when missing).
    pub weight: f64,
    /// Term-frequency adjustment added to `weight` (exact agreement only).
    pub tf_adjustment: f64,
    /// When a record holds several values of the field (spellings of a
    /// name), the pair of values that gave this level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<(String, String)>,
}

/// Why a pair got its weight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub prior: f64,
    pub fields: Vec<Contribution>,
    pub total: f64,
    pub probability: f64,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `write_fixed` prints what `{:+.2}` would, faster (see `fixed`).
        f.write_str("prior ")?;
        fixed::write_fixed(f, self.prior, 2, true)?;
        for c in &self.fields {
            write!(f, "; {}", c.field)?;
            if let Some((a, b)) = &c.values {
                write!(f, " ({a} ~ {b})")?;
            }
            write!(f, " {} ", c.label)?;
            fixed::write_fixed(f, c.weight + c.tf_adjustment, 2, true)?;
            if c.tf_adjustment != 0.0 {
                f.write_str(" (term frequency ")?;
                fixed::write_fixed(f, c.tf_adjustment, 2, true)?;
                f.write_str(")")?;
            }
        }
        f.write_str(" = ")?;
        fixed::write_fixed(f, self.total, 2, true)?;
        f.write_str(" bits")
    }
}

/// Summary of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub records: usize,
    pub sources: usize,
    pub mode: Option<LinkMode>,
    pub rules: Vec<RuleReport>,
    pub candidate_pairs: u64,
    pub comparisons_scored: u64,
    pub u_sample_pairs: u64,
    pub name_comparator: String,
    pub em_iterations: u32,
    pub em_converged: bool,
    pub lambda: f64,
    pub accepted: u64,
    pub review: u64,
    pub decided_same: u64,
    pub decided_different: u64,
    pub decisions_ignored: u64,
    pub pairs_returned: u64,
    pub clusters: usize,
    pub largest_cluster: usize,
    pub suspicious_clusters: usize,
    /// Things the caller should know (fields that cannot separate records,
    /// no candidates, EM not converged). Never contains field values.
    pub warnings: Vec<String>,
}

/// The outcome of [`link`].
pub struct LinkResult {
    /// Returned pairs (probability ≥ the output minimum, or decided), strongest first.
    pub pairs: Vec<ScoredPair>,
    pub model: Model,
    pub clustering: Clustering,
    pub summary: Summary,
    comparators: Vec<FieldComparator>,
    weights: Vec<Vec<f64>>,
}

impl LinkResult {
    /// The review queue: undecided pairs between the two thresholds, most
    /// probable first.
    pub fn review_queue(&self) -> impl Iterator<Item = &ScoredPair> {
        self.pairs.iter().filter(|p| p.status == PairStatus::Review)
    }

    /// Accepted pairs (including those decided the same).
    pub fn accepted(&self) -> impl Iterator<Item = &ScoredPair> {
        self.pairs
            .iter()
            .filter(|p| matches!(p.status, PairStatus::Accepted | PairStatus::DecidedSame))
    }

    /// Which fields added or subtracted how much for a pair of records of
    /// `data` (the dataset given to [`link`]). For a field holding several
    /// values per record (a person's spellings), the contribution is that of
    /// the best-agreeing pair of values, and `values` names that pair.
    pub fn explain(&self, data: &Dataset, a: u32, b: u32) -> Explanation {
        let prior = self.model.prior_weight();
        let mut total = prior;
        let mut fields = Vec::with_capacity(self.comparators.len());
        for (f, fc) in self.comparators.iter().enumerate() {
            let col = &data.columns[f];
            let (level, ca, cb) = field_level(fc, col, a, b);
            let fm = &self.model.fields[f];
            let (label, weight) = if level == 0 {
                ("missing".to_string(), 0.0)
            } else {
                (
                    fm.levels[level as usize - 1].label.clone(),
                    self.weights[f][level as usize - 1],
                )
            };
            let tf = tf_adjust(fc, fm, level, ca, cb);
            total += weight + tf;
            let several = !col.alternates(a).is_empty() || !col.alternates(b).is_empty();
            let values = match (several && level > 0, col.value(ca), col.value(cb)) {
                (true, Some(x), Some(y)) => Some((x.to_string(), y.to_string())),
                _ => None,
            };
            fields.push(Contribution {
                field: fm.field.clone(),
                level,
                label,
                weight,
                tf_adjustment: tf,
                values,
            });
        }
        Explanation {
            prior,
            fields,
            total,
            probability: probability(total),
        }
    }
}

/// The level of one field for records `a` and `b`, with the value codes
/// that gave it. A field holding several values per record (a person's
/// spellings) is compared on every pair of values and the strongest
/// agreement (lowest non-missing level) counts.
#[inline]
fn field_level(fc: &FieldComparator, col: &data::Column, a: u32, b: u32) -> (u8, u32, u32) {
    field_level_with(col, a, b, |x, y| fc.level(x, y))
}

/// [`field_level`] with the level function given (a per-class instance).
#[inline(always)]
fn field_level_with(
    col: &data::Column,
    a: u32,
    b: u32,
    level: impl Fn(u32, u32) -> u8,
) -> (u8, u32, u32) {
    let (ca, cb) = (col.codes[a as usize], col.codes[b as usize]);
    let l = level(ca, cb);
    if l == 1 || !col.has_alternates() {
        return (l, ca, cb);
    }
    let (xa, xb) = (col.alternates(a), col.alternates(b));
    if xa.is_empty() && xb.is_empty() {
        return (l, ca, cb);
    }
    let mut best = (l, ca, cb);
    for &x in std::iter::once(&ca).chain(xa) {
        for &y in std::iter::once(&cb).chain(xb) {
            let l = level(x, y);
            if l != 0 && (best.0 == 0 || l < best.0) {
                best = (l, x, y);
                if l == 1 {
                    return best;
                }
            }
        }
    }
    best
}

/// Calls `sink(k, level)` for each of `pairs` on one field, with the loop
/// instantiated for the field's class (see [`FieldComparator::level_in`]).
#[inline]
fn for_each_level(
    fc: &FieldComparator,
    col: &data::Column,
    pairs: &[(u32, u32)],
    mut sink: impl FnMut(usize, u8),
) {
    #[inline(always)]
    fn run<const C: u8>(
        fc: &FieldComparator,
        col: &data::Column,
        pairs: &[(u32, u32)],
        sink: &mut impl FnMut(usize, u8),
    ) {
        for (k, &(a, b)) in pairs.iter().enumerate() {
            sink(
                k,
                field_level_with(col, a, b, |x, y| fc.level_in::<C>(x, y)).0,
            );
        }
    }
    use compare::class;
    match compare::class_of(fc.kind) {
        class::NAME => run::<{ class::NAME }>(fc, col, pairs, &mut sink),
        class::DATE => run::<{ class::DATE }>(fc, col, pairs, &mut sink),
        class::FLAG => run::<{ class::FLAG }>(fc, col, pairs, &mut sink),
        class::EDIT2 => run::<{ class::EDIT2 }>(fc, col, pairs, &mut sink),
        class::EDIT1 => run::<{ class::EDIT1 }>(fc, col, pairs, &mut sink),
        class::PLACE => run::<{ class::PLACE }>(fc, col, pairs, &mut sink),
        _ => run::<{ class::TEXT }>(fc, col, pairs, &mut sink),
    }
}

#[inline]
fn probability(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

/// Term-frequency adjustment: exact agreement on a value shared by a share
/// `p` of records is worth `log2(u_random_exact / p)` more than an average
/// exact agreement (Kim counts for less, Hyon for more). Clamped to ±10 bits.
#[inline]
fn tf_adjust(fc: &FieldComparator, fm: &FieldModel, level: u8, ca: u32, cb: u32) -> f64 {
    if level != 1 || !fm.term_frequency {
        return 0.0;
    }
    let Some(base) = fm.levels.first().map(|l| l.u_random) else {
        return 0.0;
    };
    let p = fc
        .value_frequency(ca)
        .unwrap_or(0.0)
        .max(fc.value_frequency(cb).unwrap_or(0.0));
    if p <= 0.0 || base <= 0.0 {
        return 0.0;
    }
    (base / p).log2().clamp(-10.0, 10.0)
}

/// Pairs compared together, one field at a time: while one field's levels
/// are computed for a block, only that field's per-value data (bags,
/// characters, name memo) is read, so it stays in the core's cache instead
/// of competing with every other field's, as it does pair by pair.
const FIELD_BLOCK: usize = 8192;

/// The comparison vectors of `pairs` into `out` (`pairs.len() × nf` levels,
/// pair by pair), computed block by block and field by field.
fn gamma_fields(
    comparators: &[FieldComparator],
    data: &Dataset,
    pairs: &[(u32, u32)],
    out: &mut [u8],
) {
    let nf = comparators.len();
    if nf == 0 {
        return;
    }
    for (block, g) in pairs
        .chunks(FIELD_BLOCK)
        .zip(out.chunks_mut(FIELD_BLOCK * nf))
    {
        for (f, (fc, col)) in comparators.iter().zip(&data.columns).enumerate() {
            for_each_level(fc, col, block, |k, l| g[k * nf + f] = l);
        }
    }
}

/// Adds to `counts[f][level]` how many of `pairs` fall in each level of
/// each field (level 0, missing, is counted too), field by field as in
/// [`gamma_fields`]: `u` needs only these marginal counts, not whole
/// comparison vectors.
fn add_level_counts(
    comparators: &[FieldComparator],
    data: &Dataset,
    pairs: &[(u32, u32)],
    counts: &mut [Vec<u64>],
) {
    for ((fc, col), c) in comparators.iter().zip(&data.columns).zip(counts) {
        for_each_level(fc, col, pairs, |_, l| {
            if let Some(x) = c.get_mut(usize::from(l)) {
                *x += 1;
            }
        });
    }
}

/// Runs `f` over `items` split in `threads` ordered chunks; results keep order.
pub(crate) fn par_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    par_chunks_min(items, threads, 10_000, f)
}

/// [`par_chunks`] for work items that are expensive each: threads are used
/// from `min` items on.
pub(crate) fn par_chunks_min<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    min: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    par_ranges_min(items.len(), threads, min, |r| f(&items[r]))
}

/// Fills `out` (`width` bytes per item of `items`) by `f(items chunk, out
/// chunk)` on `threads` threads that take chunks of 32,768 items in turn
/// (uneven chunks then even out), writing in place (no per-thread copies).
fn par_fill<T: Sync>(
    items: &[T],
    out: &mut [u8],
    width: usize,
    threads: usize,
    f: impl Fn(&[T], &mut [u8]) + Sync,
) {
    const CHUNK: usize = 4 * FIELD_BLOCK;
    let threads = threads.max(1);
    if threads == 1 || items.len() < 10_000 || width == 0 {
        f(items, out);
        return;
    }
    let work = std::sync::Mutex::new(items.chunks(CHUNK).zip(out.chunks_mut(CHUNK * width)));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    // The lock is held only to take the next chunk.
                    let next = work.lock().map(|mut w| w.next());
                    match next {
                        Ok(Some((chunk, o))) => f(chunk, o),
                        _ => break,
                    }
                }
            });
        }
    });
}

/// Runs `f` over `0..n` split in `threads` consecutive ranges (one range
/// below 10,000 items); results keep order.
fn par_ranges<R: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    par_ranges_min(n, threads, 10_000, f)
}

/// [`par_ranges`] with threads used from `min` items on: where
/// [`par_chunks`], [`par_chunks_min`] and [`par_ranges`] split work and
/// join threads.
fn par_ranges_min<R: Send>(
    n: usize,
    threads: usize,
    min: usize,
    f: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1);
    if threads == 1 || n < min.max(2) {
        return vec![f(0..n)];
    }
    let size = n.div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = (0..n)
            .step_by(size)
            .map(|lo| s.spawn(move || f(lo..(lo + size).min(n))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// How many pairs the mode allows in all (the prior's denominator).
fn possible_pairs(data: &Dataset, mode: LinkMode) -> u128 {
    let n = data.len() as u128;
    let all = n * n.saturating_sub(1) / 2;
    if mode != LinkMode::Link {
        return all;
    }
    let mut per: HashMap<u16, u128> = HashMap::new();
    for r in 0..data.len() as u32 {
        *per.entry(data.source(r)).or_default() += 1;
    }
    all - per
        .values()
        .map(|k| k * k.saturating_sub(1) / 2)
        .sum::<u128>()
}

fn check_options(req: &LinkRequest) -> Result<(), LinkError> {
    let prob = |name: &'static str, v: f64| -> Result<(), LinkError> {
        if !(0.0..=1.0).contains(&v) || v.is_nan() {
            return Err(LinkError::InvalidOption {
                name,
                why: format!("{v} is not a probability between 0 and 1"),
            });
        }
        Ok(())
    };
    prob("threshold", req.threshold)?;
    prob("review_lower", req.review_lower)?;
    prob("output_min_probability", req.output_min_probability)?;
    if req.review_lower > req.threshold {
        return Err(LinkError::InvalidOption {
            name: "review_lower",
            why: format!(
                "{} is above the threshold {}",
                req.review_lower, req.threshold
            ),
        });
    }
    if req.max_pairs == 0 {
        return Err(LinkError::InvalidOption {
            name: "max_pairs",
            why: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// Links the records of `data` as `req` asks.
pub fn link(data: &Dataset, req: &LinkRequest) -> Result<LinkResult, LinkError> {
    check_options(req)?;
    let names: &dyn NameComparator = req.names.unwrap_or(&CrossScriptNames);
    let report = |stage: &'static str, done: u64, total: u64| {
        if let Some(p) = req.progress {
            p(Progress { stage, done, total });
        }
    };
    let n = data.len();
    let nf = data.fields().len();
    let threads = req.threads.max(1);
    if req.mode == LinkMode::Link && n > 1 {
        let first = data.source(0);
        if (0..n as u32).all(|r| data.source(r) == first) {
            return Err(LinkError::NeedTwoSources);
        }
    }
    report("preparing fields", 0, nf as u64);
    let comparators: Vec<FieldComparator> = data
        .fields()
        .iter()
        .zip(&data.columns)
        .map(|(s, c)| FieldComparator::new(s, c, names, threads))
        .collect();
    let nlevels: Vec<u8> = comparators.iter().map(|c| c.nlevels).collect();
    let rules = if req.blocking.is_empty() {
        default_rules(data.fields())
    } else {
        req.blocking.clone()
    };

    report("blocking", 0, rules.len() as u64);
    let mut blocks = blocking::plan(data, names, &rules, req.mode, req.max_pairs)?;
    let mut pairs = blocks.union_pairs(data, req.mode, threads);
    let blocked = pairs.len() as u64;

    // Decisions → record numbers.
    let mut decided: HashMap<(u32, u32), bool> = HashMap::new();
    let mut ignored = 0u64;
    if !req.decisions.is_empty() {
        let index = data.id_index();
        for d in &req.decisions {
            match (index.get(d.id_a.as_str()), index.get(d.id_b.as_str())) {
                (Some(&a), Some(&b)) if a != b => {
                    decided.insert((a.min(b), a.max(b)), d.same);
                }
                _ => ignored += 1,
            }
        }
        let mut have: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
        for p in &pairs {
            if decided.contains_key(p) {
                have.insert(*p);
            }
        }
        let mut extra: Vec<(u32, u32)> = decided
            .keys()
            .filter(|k| !have.contains(k))
            .copied()
            .collect();
        extra.sort_unstable();
        pairs.extend(extra);
    }

    // Comparison vectors of the candidates.
    report("comparing", 0, pairs.len() as u64);
    let mut gamma = vec![0u8; pairs.len() * nf];
    par_fill(&pairs, &mut gamma, nf, threads, |chunk, g| {
        gamma_fields(&comparators, data, chunk, g)
    });
    report("comparing", pairs.len() as u64, pairs.len() as u64);

    // u from random pairs.
    report("sampling u", 0, req.u_sample_pairs as u64);
    // Per field and level (index 0 = missing), how many random pairs.
    let no_counts = || -> Vec<Vec<u64>> {
        nlevels
            .iter()
            .map(|l| vec![0; usize::from(*l) + 1])
            .collect()
    };
    let mut sample = no_counts();
    let mut sampled = 0u64;
    if n >= 2 {
        let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
        let possible = (n as u128) * (n as u128 - 1) / 2;
        let want = (req.u_sample_pairs as u128).min(possible) as usize;
        let mut draws: Vec<(u32, u32)> = Vec::with_capacity(want);
        let mut attempts = 0usize;
        while draws.len() < want && attempts < want.saturating_mul(20) {
            attempts += 1;
            let a = rng.random_range(0..n as u32);
            let b = rng.random_range(0..n as u32);
            if a != b && req.mode.allows(data.source(a), data.source(b)) {
                draws.push((a, b));
            }
        }
        // Each thread compares its draws block by block, field by field,
        // while that field's data is in cache.
        let parts = par_chunks(&draws, threads, |chunk| {
            let mut counts = no_counts();
            for block in chunk.chunks(FIELD_BLOCK) {
                add_level_counts(&comparators, data, block, &mut counts);
            }
            counts
        });
        for p in parts {
            for (acc, c) in sample.iter_mut().zip(p) {
                for (x, y) in acc.iter_mut().zip(c) {
                    *x += y;
                }
            }
        }
        sampled = draws.len() as u64;
    }
    report("sampling u", sampled, sampled);
    let u_random = model::shares_of_counts(&sample);

    // m by EM, one training session per blocking rule (Splink's approach):
    // within the pairs a rule found, the rule's own fields are biased towards
    // agreement, so they are left out and `u` stays at the random-pair
    // estimate; each other field's `m` is averaged over the sessions that
    // could see it, weighted by the session's expected matches.
    report("training (EM)", 0, rules.len() as u64);
    let label_of = |p: &(u32, u32)| -> u8 {
        if !req.train_on_decisions {
            return 0;
        }
        match decided.get(p) {
            Some(true) => 1,
            Some(false) => 2,
            None => 0,
        }
    };
    let m0: Vec<Vec<f64>> = nlevels.iter().map(|l| model::initial_m(*l)).collect();
    let mut m_sum: Vec<Vec<f64>> = nlevels.iter().map(|l| vec![0.0; *l as usize]).collect();
    let mut m_weight: Vec<f64> = vec![0.0; nf];
    let mut iterations = 0u32;
    let mut converged = true;
    let labelled: Vec<(u32, u32)> = decided.keys().copied().collect();
    // Every session also trains on the decided pairs: compared once here.
    let mut labelled_gamma = vec![0u8; labelled.len() * nf];
    gamma_fields(&comparators, data, &labelled, &mut labelled_gamma);
    for ri in 0..rules.len() {
        let used: Vec<bool> = data
            .fields()
            .iter()
            .map(|f| {
                rules
                    .get(ri)
                    .is_some_and(|r| r.parts.iter().any(|p| p.field == f.name))
            })
            .collect();
        if used.iter().all(|u| *u) {
            continue;
        }
        // All the rule's pairs (not only those new to the union), thinned
        // evenly to at most `max_training_pairs`. They are all candidates,
        // whose comparison vectors are known: taken from there, not
        // compared again.
        let mut session: Vec<usize> = par_ranges(blocked as usize, threads, |range| {
            range
                .filter(|&k| blocks.in_rule(ri, pairs[k].0, pairs[k].1))
                .collect::<Vec<usize>>()
        })
        .concat();
        if session.len() > req.max_training_pairs.max(1) {
            let step = session.len().div_ceil(req.max_training_pairs.max(1));
            session = session.into_iter().step_by(step).collect();
        }
        let count = |rows: &mut dyn Iterator<Item = (&[u8], &(u32, u32))>| {
            let mut p = Patterns::default();
            let mut row = vec![0u8; nf];
            for (g, pr) in rows {
                row.copy_from_slice(g);
                for (f, u) in used.iter().enumerate() {
                    if *u {
                        row[f] = 0;
                    }
                }
                p.add(&row, label_of(pr), 1.0);
            }
            p
        };
        let mut pats = Patterns::default();
        for p in par_chunks(&session, threads, |ks| {
            count(
                &mut ks
                    .iter()
                    .map(|&k| (&gamma[k * nf..(k + 1) * nf], &pairs[k])),
            )
        }) {
            pats.merge(p);
        }
        pats.merge(count(&mut labelled_gamma.chunks_exact(nf).zip(&labelled)));
        if pats.total() == 0.0 {
            continue;
        }
        let out = model::em(&pats, m0.clone(), u_random.clone(), 0.1, &req.em, true);
        iterations += out.iterations;
        converged &= out.converged;
        let expected = out.lambda * pats.total();
        for f in 0..nf {
            if !used[f] && expected > 0.0 {
                for (acc, v) in m_sum[f].iter_mut().zip(&out.m[f]) {
                    *acc += v * expected;
                }
                m_weight[f] += expected;
            }
        }
    }
    let all_pairs = possible_pairs(data, req.mode).max(1) as f64;
    let cand_pats = {
        let mut all = Patterns::default();
        for p in par_ranges(pairs.len(), threads, |range| {
            let mut p = Patterns::default();
            for k in range {
                p.add(&gamma[k * nf..(k + 1) * nf], label_of(&pairs[k]), 1.0);
            }
            p
        }) {
            all.merge(p);
        }
        all
    };
    // A field named in every blocking rule has no session that can see it:
    // estimate its m on the whole candidate set instead (with the other
    // fields' m fixed from the sessions guiding which pairs are matches).
    let unseen: Vec<usize> = (0..nf).filter(|f| m_weight[*f] <= 0.0).collect();
    let mut m: Vec<Vec<f64>> = (0..nf)
        .map(|f| {
            if m_weight[f] > 0.0 {
                m_sum[f].iter().map(|x| x / m_weight[f]).collect()
            } else {
                m0[f].clone()
            }
        })
        .collect();
    if !unseen.is_empty() && !pairs.is_empty() {
        let out = model::em(&cand_pats, m.clone(), u_random.clone(), 0.1, &req.em, true);
        iterations += out.iterations;
        for f in &unseen {
            m[*f] = out.m[*f].clone();
        }
    }
    // The prior over all possible pairs: pairs never blocked are taken as
    // non-matches, so lambda = expected matches among candidates / all pairs.
    let lambda = model::population_lambda(&cand_pats, &m, &u_random, all_pairs);
    let out = model::EmOutcome {
        m,
        u: u_random.clone(),
        lambda,
        iterations,
        converged,
    };
    let mut fields = Vec::with_capacity(nf);
    for (f, spec) in data.fields().iter().enumerate() {
        let labels = levels_of(spec.kind);
        let levels = (0..nlevels[f] as usize)
            .map(|k| LevelParams {
                label: labels.get(k).copied().unwrap_or("level").to_string(),
                m: out.m[f][k],
                u: out.u[f][k],
                u_random: u_random[f][k],
            })
            .collect();
        fields.push(FieldModel {
            field: spec.name.clone(),
            term_frequency: spec.term_frequency,
            levels,
        });
    }
    let model = Model {
        lambda: out.lambda,
        fields,
        em_iterations: out.iterations,
        em_converged: out.converged,
    };
    let weights: Vec<Vec<f64>> = model
        .fields
        .iter()
        .map(|f| f.levels.iter().map(LevelParams::weight).collect())
        .collect();

    // Score.
    report("scoring", 0, pairs.len() as u64);
    let prior = model.prior_weight();
    let idx: Vec<usize> = (0..pairs.len()).collect();
    let scored: Vec<ScoredPair> = par_chunks(&idx, threads, |chunk| {
        let mut v = Vec::new();
        for &k in chunk {
            let (a, b) = pairs[k];
            let g = &gamma[k * nf..(k + 1) * nf];
            let mut w = prior;
            for (f, l) in g.iter().enumerate() {
                if *l > 0 {
                    w += weights[f][*l as usize - 1];
                    if *l == 1 && model.fields[f].term_frequency {
                        let (_, ca, cb) = field_level(&comparators[f], &data.columns[f], a, b);
                        w += tf_adjust(&comparators[f], &model.fields[f], 1, ca, cb);
                    }
                }
            }
            let p = probability(w);
            let status = match decided.get(&(a, b)) {
                Some(true) => PairStatus::DecidedSame,
                Some(false) => PairStatus::DecidedDifferent,
                None if p >= req.threshold => PairStatus::Accepted,
                None if p >= req.review_lower => PairStatus::Review,
                None => PairStatus::Rejected,
            };
            if p >= req.output_min_probability
                || matches!(
                    status,
                    PairStatus::DecidedSame | PairStatus::DecidedDifferent
                )
            {
                v.push(ScoredPair {
                    a,
                    b,
                    weight: w,
                    probability: p,
                    status,
                });
            }
        }
        v
    })
    .concat();
    drop(gamma);
    let mut scored = scored;
    scored.sort_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    report("scoring", pairs.len() as u64, pairs.len() as u64);

    // Cluster.
    report("clustering", 0, n as u64);
    let forced: Vec<(u32, u32)> = scored
        .iter()
        .filter(|p| p.status == PairStatus::DecidedSame)
        .map(|p| (p.a, p.b))
        .collect();
    let apart: Vec<(u32, u32)> = scored
        .iter()
        .filter(|p| p.status == PairStatus::DecidedDifferent)
        .map(|p| (p.a, p.b))
        .collect();
    let accepted: Vec<(u32, u32)> = scored
        .iter()
        .filter(|p| p.status == PairStatus::Accepted)
        .map(|p| (p.a, p.b))
        .collect();
    let clustering = cluster::cluster(n, &forced, &accepted, &apart, req.large_cluster.max(2));

    let mut warnings = Vec::new();
    if n >= 2 {
        for (f, spec) in data.fields().iter().enumerate() {
            let present: u64 = data.columns[f].counts.iter().skip(1).sum();
            if present >= 2 && comparators[f].freq.iter().any(|p| *p >= 1.0) {
                warnings.push(format!(
                    "field `{}` has the same value in every record that has it; it cannot tell records apart",
                    spec.name
                ));
            } else if present == 0 {
                warnings.push(format!("field `{}` is empty in every record", spec.name));
            }
        }
        if blocked == 0 {
            warnings.push("the blocking rules found no candidate pairs".to_string());
        }
    }
    for f in &unseen {
        warnings.push(format!(
            "field `{}` is part of every blocking rule; its m was estimated on all candidate pairs",
            data.fields()[*f].name
        ));
    }
    if !model.em_converged {
        warnings.push(format!(
            "EM did not converge within {} iterations per session",
            req.em.max_iterations
        ));
    }
    let count = |s: PairStatus| scored.iter().filter(|p| p.status == s).count() as u64;
    let summary = Summary {
        records: n,
        sources: data.source_names().len(),
        mode: Some(req.mode),
        rules: blocks.reports.clone(),
        candidate_pairs: blocked,
        comparisons_scored: pairs.len() as u64,
        u_sample_pairs: sampled,
        name_comparator: names.name().to_string(),
        em_iterations: model.em_iterations,
        em_converged: model.em_converged,
        lambda: model.lambda,
        accepted: count(PairStatus::Accepted),
        review: count(PairStatus::Review),
        decided_same: count(PairStatus::DecidedSame),
        decided_different: count(PairStatus::DecidedDifferent),
        decisions_ignored: ignored,
        pairs_returned: scored.len() as u64,
        clusters: clustering.clusters,
        largest_cluster: clustering.largest,
        suspicious_clusters: clustering.suspicious.len(),
        warnings,
    };
    Ok(LinkResult {
        pairs: scored,
        model,
        clustering,
        summary,
        comparators,
        weights,
    })
}

#[cfg(test)]
mod tests;
