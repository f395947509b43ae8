//! Model search over hierarchical log-linear models: every model with all
//! main effects and any hierarchical set of interactions up to a chosen
//! order, fitted and ranked by AIC or BIC; the heterogeneity models
//! Rcapture's `closedp` fits (M0, Mh and Mth with Chao's lower bound,
//! Poisson2, Darroch, Gamma3.5) fitted alongside and ranked in the same
//! table ([`search_models`]); and stepwise selection.
//!
//! Thousands of fits must take well under a second, so this module does not
//! build design matrices. Every column of a hierarchical model is the
//! indicator "pattern contains term T" for a set of lists T, which makes
//! the normal equations sums over supersets:
//! (XᵀWX)_{TU} = Σ_{c ⊇ T∪U} w_c and (Xᵀy)_T = Σ_{c ⊇ T} y_c. One superset
//! (zeta) transform of the fitted values — k·2^(k−1) additions — yields the
//! whole information matrix, and one subset transform of the coefficients
//! yields every linear predictor. Newton's method with step halving on the
//! (concave) log-likelihood, warm-started from the parent model in a
//! depth-first walk over the models (each child adds one term), converges in
//! a few steps. Buffers are allocated once per search.

use crate::model::{Base, Heterogeneity, ModelSpec, fit_model, term_name};
use crate::special::ln_gamma;
use crate::table::CaptureTable;
use serde::{Deserialize, Serialize};

/// How to rank models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    Aic,
    Bic,
}

/// One fitted model of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRow {
    /// Interaction terms (bit masks), hierarchical, sorted.
    #[serde(skip)]
    pub terms: Vec<usize>,
    /// M0 (one shared capture effect) or Mt (one per list).
    #[serde(skip)]
    pub base: Base,
    /// Heterogeneity columns, for the Mh / Mth rows.
    #[serde(skip)]
    pub heterogeneity: Option<Heterogeneity>,
    pub model: String,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub deviance: Option<f64>,
    pub df: usize,
    pub aic: Option<f64>,
    pub bic: Option<f64>,
    /// Why there is no estimate, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl SearchRow {
    pub fn score(&self, c: Criterion) -> f64 {
        match c {
            Criterion::Aic => self.aic,
            Criterion::Bic => self.bic,
        }
        .unwrap_or(f64::INFINITY)
    }
    pub fn spec(&self) -> ModelSpec {
        ModelSpec {
            base: self.base,
            interactions: self.terms.clone(),
            heterogeneity: self.heterogeneity.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    #[error("maximum order {order} is not possible with {k} lists: choose between 1 and {}", .k - 1)]
    BadOrder { order: usize, k: usize },
    #[error(
        "more than {limit} models up to order {order} for {k} lists; lower --max-order or use stepwise selection"
    )]
    TooMany {
        limit: usize,
        order: usize,
        k: usize,
    },
}

/// Result of one fast fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FastFit {
    /// Σ y log μ − μ (without log y!).
    pub kernel_loglik: f64,
    pub unseen: f64,
    pub var_intercept: f64,
    pub iterations: usize,
}

/// Fits hierarchical log-linear models to one table, reusing its buffers.
pub struct FastFitter {
    k: usize,
    y: Vec<f64>,
    sy: Vec<f64>,
    n: f64,
    ylogy: f64,
    lgam: f64,
    eta: Vec<f64>,
    smu: Vec<f64>,
    info: Vec<f64>,
    score: Vec<f64>,
    step: Vec<f64>,
    trial: Vec<f64>,
}

fn subset_zeta(v: &mut [f64], k: usize) {
    for i in 0..k {
        let bit = 1 << i;
        for m in 0..v.len() {
            if m & bit != 0 {
                v[m] += v[m ^ bit];
            }
        }
    }
}

fn superset_zeta(v: &mut [f64], k: usize) {
    for i in 0..k {
        let bit = 1 << i;
        for m in 0..v.len() {
            if m & bit == 0 {
                v[m] += v[m | bit];
            }
        }
    }
}

impl FastFitter {
    pub fn new(table: &CaptureTable) -> Self {
        let k = table.num_lists();
        let cells = 1usize << k;
        let y: Vec<f64> = table.counts().iter().map(|&c| c as f64).collect();
        let mut sy = y.clone();
        superset_zeta(&mut sy, k);
        let ylogy = y.iter().filter(|&&v| v > 0.0).map(|&v| v * v.ln()).sum();
        let lgam = y.iter().map(|&v| ln_gamma(v + 1.0)).sum();
        FastFitter {
            k,
            n: table.observed() as f64,
            y,
            sy,
            ylogy,
            lgam,
            eta: vec![0.0; cells],
            smu: vec![0.0; cells],
            info: Vec::new(),
            score: Vec::new(),
            step: Vec::new(),
            trial: Vec::new(),
        }
    }

    /// Number of people observed.
    pub fn observed(&self) -> f64 {
        self.n
    }
    /// Σ log y! over the cells (for the full log-likelihood).
    pub fn log_factorials(&self) -> f64 {
        self.lgam
    }
    /// Deviance from the kernel log-likelihood.
    pub fn deviance(&self, kernel: f64) -> f64 {
        2.0 * (self.ylogy - self.n - kernel)
    }
    /// Sufficient statistic of a term: people on all its lists.
    pub fn margin(&self, term: usize) -> f64 {
        self.sy[term]
    }

    /// Kernel log-likelihood at `beta`; leaves η and the superset sums of μ
    /// in the buffers.
    fn evaluate(&mut self, terms: &[usize], beta: &[f64]) -> f64 {
        self.eta.iter_mut().for_each(|v| *v = 0.0);
        for (&t, &b) in terms.iter().zip(beta) {
            self.eta[t] += b;
        }
        subset_zeta(&mut self.eta, self.k);
        let mut ll = 0.0;
        self.smu[0] = 0.0;
        for c in 1..self.eta.len() {
            let mu = self.eta[c].exp();
            self.smu[c] = mu;
            ll += self.y[c] * self.eta[c] - mu;
        }
        ll
    }

    /// Fit the model whose columns are `terms` (must include 0, the
    /// intercept). `beta` holds the start on entry and the estimate on exit.
    pub fn fit(&mut self, terms: &[usize], beta: &mut [f64]) -> Option<FastFit> {
        let p = terms.len();
        self.info.resize(p * p, 0.0);
        self.score.resize(p, 0.0);
        self.step.resize(p, 0.0);
        self.trial.resize(p, 0.0);
        let mut ll = self.evaluate(terms, beta);
        if !ll.is_finite() {
            return None;
        }
        let mut iterations = 0;
        let mut converged = false;
        for it in 0..100 {
            iterations = it + 1;
            superset_zeta(&mut self.smu, self.k);
            for i in 0..p {
                self.score[i] = self.sy[terms[i]] - self.smu[terms[i]];
                for j in 0..=i {
                    let v = self.smu[terms[i] | terms[j]];
                    self.info[i * p + j] = v;
                    self.info[j * p + i] = v;
                }
            }
            if crate::glm::cholesky(&mut self.info, p).is_err() {
                return None;
            }
            self.step.copy_from_slice(&self.score);
            crate::glm::chol_solve(&self.info, p, &mut self.step);
            let decrement: f64 = self.step.iter().zip(&self.score).map(|(a, b)| a * b).sum();
            if decrement < 1e-20 * (1.0 + ll.abs()) {
                converged = true;
                // Buffers hold μ's superset sums at the optimum; info is
                // factorised there.
                break;
            }
            let mut s = 1.0;
            let mut accepted = false;
            for _ in 0..50 {
                for ((t, b), d) in self.trial.iter_mut().zip(beta.iter()).zip(&self.step) {
                    *t = b + s * d;
                }
                let trial = std::mem::take(&mut self.trial);
                let new_ll = self.evaluate(terms, &trial);
                self.trial = trial;
                if new_ll.is_finite() && new_ll >= ll - 1e-12 * ll.abs() {
                    beta.copy_from_slice(&self.trial);
                    ll = new_ll;
                    accepted = true;
                    break;
                }
                s *= 0.5;
            }
            if !accepted {
                // Restore buffers at the current beta and stop.
                ll = self.evaluate(terms, beta);
                let _ = ll;
                return None;
            }
            if decrement < 1e-14 * (1.0 + ll.abs()) {
                // One more Newton step was tiny; recompute info for variance.
                superset_zeta(&mut self.smu, self.k);
                for i in 0..p {
                    for j in 0..=i {
                        let v = self.smu[terms[i] | terms[j]];
                        self.info[i * p + j] = v;
                        self.info[j * p + i] = v;
                    }
                }
                if crate::glm::cholesky(&mut self.info, p).is_err() {
                    return None;
                }
                converged = true;
                break;
            }
        }
        if !converged {
            return None;
        }
        // Var(β₀) = (info⁻¹)₀₀; terms[0] is the intercept.
        self.step.iter_mut().for_each(|v| *v = 0.0);
        self.step[0] = 1.0;
        crate::glm::chol_solve(&self.info, p, &mut self.step);
        let var0 = self.step[0];
        Some(FastFit {
            kernel_loglik: ll,
            unseen: beta[0].exp(),
            var_intercept: var0,
            iterations,
        })
    }

    fn row(
        &self,
        lists: &[String],
        interactions: &[usize],
        fit: Option<FastFit>,
        beta: &[f64],
        zero_margin: Option<usize>,
    ) -> SearchRow {
        let p = 1 + self.k + interactions.len();
        let df = (1usize << self.k) - 1 - p;
        let model = ModelSpec {
            base: Base::Mt,
            interactions: interactions.to_vec(),
            heterogeneity: None,
        }
        .name(lists);
        let mut row = SearchRow {
            terms: interactions.to_vec(),
            base: Base::Mt,
            heterogeneity: None,
            model,
            estimate: None,
            se: None,
            deviance: None,
            df,
            aic: None,
            bic: None,
            problem: None,
        };
        if let Some(t) = zero_margin {
            row.problem = Some(format!(
                "no one is on all of {} together: the maximum-likelihood estimate does not exist",
                term_name(lists, t)
            ));
            return row;
        }
        let Some(f) = fit else {
            row.problem = Some("the fit runs off to infinity (some fitted cells collapse to zero): the maximum-likelihood estimate does not exist for these data".into());
            return row;
        };
        let diverged = beta.iter().skip(1).any(|b| b.abs() > 30.0)
            || !(f.unseen.is_finite())
            || f.unseen > 1e4 * self.n.max(1.0)
            || f.var_intercept.sqrt() > 10.0;
        if diverged {
            row.problem =
                Some("the estimate diverges: the overlaps are too small for this model".into());
            return row;
        }
        let ll = f.kernel_loglik - self.lgam;
        let pp = p as f64;
        row.estimate = Some(self.n + f.unseen);
        row.se = Some((f.unseen + f.unseen * f.unseen * f.var_intercept).sqrt());
        row.deviance = Some(self.deviance(f.kernel_loglik));
        row.aic = Some(-2.0 * ll + 2.0 * pp);
        row.bic = Some(-2.0 * ll + self.n.max(1.0).ln() * pp);
        row
    }
}

/// All interaction terms of order 2..=max_order over k lists, by order then mask.
fn candidate_terms(k: usize, max_order: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (1..(1usize << k))
        .filter(|m| {
            let o = m.count_ones() as usize;
            o >= 2 && o <= max_order
        })
        .collect();
    v.sort_by_key(|&t| (t.count_ones(), t));
    v
}

fn faces_present(term: usize, present: &[usize]) -> bool {
    if term.count_ones() <= 2 {
        return true;
    }
    (0..usize::BITS as usize)
        .filter(|i| term & (1 << i) != 0)
        .all(|i| present.contains(&(term & !(1 << i))))
}

/// Count hierarchical models (stops at `limit + 1`).
fn count_models(cands: &[usize], limit: usize) -> usize {
    fn rec(
        cands: &[usize],
        from: usize,
        present: &mut Vec<usize>,
        count: &mut usize,
        limit: usize,
    ) {
        for i in from..cands.len() {
            if *count > limit {
                return;
            }
            if faces_present(cands[i], present) {
                *count += 1;
                present.push(cands[i]);
                rec(cands, i + 1, present, count, limit);
                present.pop();
            }
        }
    }
    let mut count = 1;
    rec(cands, 0, &mut Vec::new(), &mut count, limit);
    count
}

/// Fit every hierarchical model with all main effects and interactions up
/// to `max_order`, returned ranked by `rank` (models without an estimate
/// last).
pub fn search_all(
    table: &CaptureTable,
    max_order: usize,
    rank: Criterion,
    limit: usize,
) -> Result<Vec<SearchRow>, SearchError> {
    let k = table.num_lists();
    if max_order < 1 || max_order >= k {
        return Err(SearchError::BadOrder {
            order: max_order,
            k,
        });
    }
    let cands = candidate_terms(k, max_order);
    // Every subset of the two-way terms is a hierarchical model, so there
    // are at least 2^(pairs) models: refuse before walking (this also keeps
    // the depth of the walk small).
    let pairs = cands.iter().filter(|t| t.count_ones() == 2).count();
    let too_many_pairs = pairs >= usize::BITS as usize - 1 || (1usize << pairs) > limit;
    if too_many_pairs || count_models(&cands, limit) > limit {
        return Err(SearchError::TooMany {
            limit,
            order: max_order,
            k,
        });
    }
    let lists = table.lists().to_vec();
    let mut f = FastFitter::new(table);
    let mut rows = Vec::new();
    let mut terms: Vec<usize> = std::iter::once(0).chain((0..k).map(|i| 1 << i)).collect();
    let mut beta = vec![0.0; terms.len()];
    beta[0] = (f.observed() / ((1usize << k) - 1) as f64).max(0.1).ln();
    let fit = f.fit(&terms, &mut beta);
    rows.push(f.row(&lists, &[], fit, &beta, None));
    let start = if fit.is_some() {
        beta.clone()
    } else {
        vec![0.0; terms.len()]
    };

    struct Walk<'a> {
        f: &'a mut FastFitter,
        cands: &'a [usize],
        lists: &'a [String],
        rows: &'a mut Vec<SearchRow>,
        k: usize,
    }
    fn rec(w: &mut Walk, from: usize, terms: &mut Vec<usize>, beta: &[f64], zero: Option<usize>) {
        for i in from..w.cands.len() {
            let t = w.cands[i];
            let present = &terms[1 + w.k..];
            if !faces_present(t, present) {
                continue;
            }
            terms.push(t);
            let mut b = beta.to_vec();
            b.push(0.0);
            let zero_here = zero.or(if w.f.margin(t) == 0.0 { Some(t) } else { None });
            let fit = if zero_here.is_none() {
                w.f.fit(terms, &mut b)
            } else {
                None
            };
            let interactions = terms[1 + w.k..].to_vec();
            let row = w.f.row(w.lists, &interactions, fit, &b, zero_here);
            w.rows.push(row);
            let next: &[f64] = if fit.is_some() { &b } else { beta };
            let mut nb = next.to_vec();
            if fit.is_none() {
                nb.push(0.0);
            }
            rec(w, i + 1, terms, &nb, zero_here);
            terms.pop();
        }
    }
    let mut w = Walk {
        f: &mut f,
        cands: &cands,
        lists: &lists,
        rows: &mut rows,
        k,
    };
    rec(&mut w, 0, &mut terms, &start, None);
    rank_rows(&mut rows, rank);
    Ok(rows)
}

/// Sort rows by criterion, models without an estimate last.
pub fn rank_rows(rows: &mut [SearchRow], rank: Criterion) {
    rows.sort_by(|a, b| {
        a.score(rank)
            .partial_cmp(&b.score(rank))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// The models of Rcapture's `closedp` other than `Mt` (which every
/// hierarchical search already holds): M0 and the heterogeneity models Mh
/// and Mth with Chao's lower bound, Poisson2, Darroch and Gamma3.5. They
/// need three lists or more (with two, the heterogeneity column leaves no
/// degree of freedom).
pub const HETEROGENEITY_MODELS: [&str; 9] = [
    "M0",
    "Mh-chao",
    "Mh-poisson2",
    "Mh-darroch",
    "Mh-gamma3.5",
    "Mth-chao",
    "Mth-poisson2",
    "Mth-darroch",
    "Mth-gamma3.5",
];

/// Fit [`HETEROGENEITY_MODELS`] (with the dense IRLS of [`fit_model`]) and
/// return them as search rows; a model without an estimate keeps its row
/// with the reason. Empty for fewer than three lists.
pub fn heterogeneity_rows(table: &CaptureTable) -> Vec<SearchRow> {
    let lists = table.lists();
    let k = lists.len();
    if k < 3 {
        return Vec::new();
    }
    let cells = (1usize << k) - 1;
    HETEROGENEITY_MODELS
        .iter()
        .filter_map(|name| ModelSpec::parse(name, lists).ok())
        .map(|spec| {
            let columns = spec.design(lists).cols;
            let mut row = SearchRow {
                terms: spec.interactions.clone(),
                base: spec.base,
                heterogeneity: spec.heterogeneity.clone(),
                model: spec.name(lists),
                estimate: None,
                se: None,
                deviance: None,
                df: cells.saturating_sub(columns),
                aic: None,
                bic: None,
                problem: None,
            };
            match fit_model(table, &spec) {
                Ok(f) => {
                    row.estimate = Some(f.estimate);
                    row.se = Some(f.se);
                    row.deviance = Some(f.deviance);
                    row.df = f.df;
                    row.aic = Some(f.aic);
                    row.bic = Some(f.bic);
                }
                Err(e) => row.problem = Some(e.to_string()),
            }
            row
        })
        .collect()
}

/// The search Rcapture users expect: every hierarchical model up to
/// `max_order` ([`search_all`]) and, when `heterogeneity` is set, the
/// heterogeneity models ([`heterogeneity_rows`]), all in one table ranked
/// by `rank` (models without an estimate last).
pub fn search_models(
    table: &CaptureTable,
    max_order: usize,
    rank: Criterion,
    limit: usize,
    heterogeneity: bool,
) -> Result<Vec<SearchRow>, SearchError> {
    let mut rows = search_all(table, max_order, rank, limit)?;
    if heterogeneity {
        rows.extend(heterogeneity_rows(table));
        rank_rows(&mut rows, rank);
    }
    Ok(rows)
}

/// One step of a stepwise selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// "start", "add A:B" or "drop A:B".
    pub action: String,
    pub model: String,
    pub score: f64,
}

/// A neighbour of the current model in a stepwise selection: its row, its
/// coefficients by term (a warm start for the next step) and the action
/// that leads to it.
type Candidate = (SearchRow, Vec<(usize, f64)>, String);

/// Stepwise selection (adding or dropping one interaction at a time, the
/// one that lowers the criterion most, keeping the model hierarchical),
/// starting from the independence model. Returns the path and the final
/// model's row.
pub fn stepwise(
    table: &CaptureTable,
    max_order: usize,
    rank: Criterion,
) -> Result<(Vec<Step>, SearchRow), SearchError> {
    let k = table.num_lists();
    if max_order < 1 || max_order >= k {
        return Err(SearchError::BadOrder {
            order: max_order,
            k,
        });
    }
    let lists = table.lists().to_vec();
    let cands = candidate_terms(k, max_order);
    let mut f = FastFitter::new(table);
    let base: Vec<usize> = std::iter::once(0).chain((0..k).map(|i| 1 << i)).collect();
    let fit_terms = |f: &mut FastFitter,
                     inter: &[usize],
                     start: &[(usize, f64)]|
     -> (SearchRow, Vec<(usize, f64)>) {
        let terms: Vec<usize> = base.iter().copied().chain(inter.iter().copied()).collect();
        let mut beta: Vec<f64> = terms
            .iter()
            .map(|t| {
                start
                    .iter()
                    .find(|(s, _)| s == t)
                    .map(|(_, b)| *b)
                    .unwrap_or(0.0)
            })
            .collect();
        if start.is_empty() {
            beta[0] = (f.observed() / ((1usize << k) - 1) as f64).max(0.1).ln();
        }
        let zero = inter.iter().copied().find(|&t| f.margin(t) == 0.0);
        let fit = if zero.is_none() {
            f.fit(&terms, &mut beta)
        } else {
            None
        };
        let row = f.row(&lists, inter, fit, &beta, zero);
        (row, terms.into_iter().zip(beta).collect())
    };
    let (mut cur, mut cur_beta) = fit_terms(&mut f, &[], &[]);
    let mut path = vec![Step {
        action: "start".into(),
        model: cur.model.clone(),
        score: cur.score(rank),
    }];
    loop {
        let mut best: Option<Candidate> = None;
        // Additions.
        for &t in &cands {
            if cur.terms.contains(&t) || !faces_present(t, &cur.terms) {
                continue;
            }
            let mut inter = cur.terms.clone();
            inter.push(t);
            inter.sort_by_key(|&x| (x.count_ones(), x));
            let (row, b) = fit_terms(&mut f, &inter, &cur_beta);
            if row.score(rank)
                < best
                    .as_ref()
                    .map(|b| b.0.score(rank))
                    .unwrap_or(f64::INFINITY)
            {
                best = Some((row, b, format!("add {}", term_name(&lists, t))));
            }
        }
        // Removals (no higher term may contain it).
        for &t in &cur.terms {
            if cur.terms.iter().any(|&u| u != t && u & t == t) {
                continue;
            }
            let inter: Vec<usize> = cur.terms.iter().copied().filter(|&u| u != t).collect();
            let (row, b) = fit_terms(&mut f, &inter, &cur_beta);
            if row.score(rank)
                < best
                    .as_ref()
                    .map(|b| b.0.score(rank))
                    .unwrap_or(f64::INFINITY)
            {
                best = Some((row, b, format!("drop {}", term_name(&lists, t))));
            }
        }
        match best {
            Some((row, b, action)) if row.score(rank) < cur.score(rank) - 1e-9 => {
                path.push(Step {
                    action,
                    model: row.model.clone(),
                    score: row.score(rank),
                });
                cur = row;
                cur_beta = b;
            }
            _ => break,
        }
        if path.len() > 10_000 {
            break;
        }
    }
    Ok((path, cur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{fit_model, hierarchical_closure, table_from_rcapture_order};

    fn hiv() -> CaptureTable {
        let lists: Vec<String> = ["c1", "c2", "c3", "c4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        table_from_rcapture_order(
            lists,
            &[0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205],
        )
        .unwrap()
    }

    #[test]
    fn fast_path_agrees_with_dense_glm() {
        let t = hiv();
        let rows = search_all(&t, 2, Criterion::Aic, 1 << 20).unwrap();
        assert_eq!(rows.len(), 64);
        for r in &rows {
            let dense = fit_model(&t, &r.spec());
            match (dense, r.estimate) {
                (Ok(d), Some(e)) => {
                    assert!(
                        (d.estimate - e).abs() < 1e-6 * e,
                        "{} {} {}",
                        r.model,
                        d.estimate,
                        e
                    );
                    assert!((d.se - r.se.unwrap()).abs() < 1e-5 * d.se, "{}", r.model);
                    assert!((d.aic - r.aic.unwrap()).abs() < 1e-6, "{}", r.model);
                    assert!(
                        (d.deviance - r.deviance.unwrap()).abs() < 1e-6,
                        "{}",
                        r.model
                    );
                    assert_eq!(d.df, r.df);
                }
                (Err(_), None) => {}
                (d, e) => panic!("{}: dense {d:?} fast {e:?}", r.model),
            }
        }
        // Published: Mt+c1:c2 has AIC 86.65, all two-way 92.073.
        let m = rows.iter().find(|r| r.model == "Mt+c1:c2").unwrap();
        assert!((m.aic.unwrap() - 86.65).abs() < 0.005);
    }

    #[test]
    fn counts_of_hierarchical_models() {
        // 3 lists up to order 2: 2^3 = 8 models.
        assert_eq!(count_models(&candidate_terms(3, 2), 1000), 8);
        // 4 lists up to order 3: brute force over all 2^10 subsets of the
        // six 2-way and four 3-way terms, keeping the hierarchical ones.
        let c = candidate_terms(4, 3);
        let brute = (0..1usize << c.len())
            .filter(|s| {
                let set: Vec<usize> = (0..c.len())
                    .filter(|i| s & (1 << i) != 0)
                    .map(|i| c[i])
                    .collect();
                set.iter()
                    .all(|&t| hierarchical_closure(&[t]).iter().all(|u| set.contains(u)))
            })
            .count();
        assert_eq!(count_models(&c, 100000), brute);
        assert!(brute > 64);
    }

    #[test]
    fn impossible_searches_are_refused() {
        let k = 15;
        let mut counts = vec![0u64; 1 << k];
        for i in 0..k {
            counts[1 << i] = 10;
            counts[(1 << i) | (1 << ((i + 1) % k))] = 3;
        }
        let lists: Vec<String> = (0..k).map(|i| format!("L{i}")).collect();
        let t = CaptureTable::new(lists, counts).unwrap();
        let e = search_all(&t, 2, Criterion::Aic, 1 << 20).unwrap_err();
        assert!(matches!(e, SearchError::TooMany { .. }), "{e}");
        assert!(e.to_string().contains("stepwise"));
        assert!(matches!(
            search_all(&t, 15, Criterion::Aic, 1 << 20),
            Err(SearchError::BadOrder { .. })
        ));
        assert!(matches!(
            stepwise(&t, 0, Criterion::Bic),
            Err(SearchError::BadOrder { .. })
        ));
    }

    #[test]
    fn stepwise_ends_at_a_local_optimum() {
        let t = hiv();
        let (path, row) = stepwise(&t, 2, Criterion::Aic).unwrap();
        assert!(path.len() >= 2);
        let all = search_all(&t, 2, Criterion::Aic, 1 << 20).unwrap();
        // No single addition or removal improves the end model.
        for r in &all {
            let diff = r.terms.iter().filter(|x| !row.terms.contains(x)).count()
                + row.terms.iter().filter(|x| !r.terms.contains(x)).count();
            if diff == 1 {
                assert!(r.score(Criterion::Aic) >= row.score(Criterion::Aic) - 1e-9);
            }
        }
    }
}
