//! Log-linear capture–recapture models as Rcapture defines them
//! (Rivest & Lévesque 2001; Baillargeon & Rivest 2007), written the way a
//! documenter names them:
//!
//! * `M0` — one capture effect shared by all lists (column: number of lists
//!   a person is on);
//! * `Mt` — one effect per list (independence);
//! * `Mh-chao`, `Mh-poisson2`, `Mh-darroch`, `Mh-gamma3.5` — M0 plus
//!   heterogeneity columns h(number of captures): Chao's lower bound
//!   (columns max(0, c − j + 1), j = 3…t, negative η set to zero and the
//!   model refitted, as Rcapture does by default), Poisson θ^c − 1,
//!   Darroch c²/2, Gamma −log(θ + c) + log θ;
//! * `Mth-…` — the same heterogeneity on top of `Mt`;
//! * `Mt+A:B+A:C+A:B:C` — hierarchical interactions between named lists
//!   (names from the CSV header, or `c1`, `c2`… by position). Lower-order
//!   terms a higher one needs are added, as hierarchy requires.
//!
//! The model is a Poisson regression over the 2^k − 1 observable cells; the
//! intercept is the log of the expected number of people on no list, so
//! N̂ = n + exp(β₀) and its standard error is Rcapture's delta-method
//! sqrt(exp(β₀) + exp(2β₀)·Var β₀).

use crate::glm::{Design, FitError, PoissonFit, fit_poisson};
use crate::table::CaptureTable;
use serde::Serialize;

/// Heterogeneity of capture probabilities between people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Heterogeneity {
    /// Chao's lower bound.
    Chao,
    /// Poisson, h(c) = θ^c − 1 (θ = 2: "Poisson2").
    Poisson(f64),
    /// Darroch, h(c) = c²/2.
    Darroch,
    /// Gamma, h(c) = −log(θ + c) + log θ (θ = 3.5: "Gamma3.5").
    Gamma(f64),
}

/// Which capture effects the model has before interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Base {
    /// One shared capture effect.
    M0,
    /// One effect per list.
    Mt,
}

/// A model: base effects, interactions (bit masks of two or more lists,
/// hierarchically closed), optional heterogeneity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    pub base: Base,
    pub interactions: Vec<usize>,
    pub heterogeneity: Option<Heterogeneity>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    #[error("empty model specification: give e.g. M0, Mt, Mh-chao, Mth-darroch or Mt+A:B")]
    Empty,
    #[error(
        "model {spec:?}: unknown base {base:?}; use M0, Mt, Mh-chao, Mh-poisson2, Mh-darroch, Mh-gamma3.5 or Mth-… (the same heterogeneity with one effect per list)"
    )]
    UnknownBase { spec: String, base: String },
    #[error("model {spec:?}: unknown list {name:?} in term {term:?}; the lists are {lists}")]
    UnknownList {
        spec: String,
        term: String,
        name: String,
        lists: String,
    },
    #[error("model {spec:?}: term {term:?} names the same list twice")]
    RepeatedList { spec: String, term: String },
    #[error(
        "model {spec:?}: term {term:?} is a main effect; main effects come from the base (Mt), list interactions as A:B"
    )]
    MainEffectTerm { spec: String, term: String },
    #[error(
        "model {spec:?}: the interaction of all {k} lists ({term}) cannot be estimated, because the people on no list are not observed; drop it"
    )]
    AllListsInteraction {
        spec: String,
        term: String,
        k: usize,
    },
    #[error(
        "model {spec:?}: bad heterogeneity parameter {value:?}; it must be a positive number (e.g. poisson2, gamma3.5)"
    )]
    BadTheta { spec: String, value: String },
}

/// Why a model gives no estimate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("{model}: no estimate — the maximum-likelihood estimate does not exist: {reason}")]
    NoMle { model: String, reason: String },
    #[error("{model}: {source}")]
    Fit { model: String, source: FitError },
}

fn list_name(lists: &[String], i: usize) -> String {
    lists
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("c{}", i + 1))
}

/// `A:B` for a bit mask.
pub fn term_name(lists: &[String], mask: usize) -> String {
    (0..lists.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| list_name(lists, i))
        .collect::<Vec<_>>()
        .join(":")
}

fn het_name(h: &Heterogeneity) -> String {
    match h {
        Heterogeneity::Chao => "chao".into(),
        Heterogeneity::Poisson(t) => format!("poisson{t}"),
        Heterogeneity::Darroch => "darroch".into(),
        Heterogeneity::Gamma(t) => format!("gamma{t}"),
    }
}

/// Order terms by order, then by mask; close under hierarchy.
pub fn hierarchical_closure(terms: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut stack: Vec<usize> = terms.to_vec();
    while let Some(t) = stack.pop() {
        if t.count_ones() < 2 || out.contains(&t) {
            continue;
        }
        out.push(t);
        for i in 0..usize::BITS as usize {
            if t & (1 << i) != 0 {
                stack.push(t & !(1 << i));
            }
        }
    }
    out.sort_by_key(|&t| (t.count_ones(), t));
    out
}

impl ModelSpec {
    pub fn independence() -> Self {
        ModelSpec {
            base: Base::Mt,
            interactions: Vec::new(),
            heterogeneity: None,
        }
    }

    /// Parse `M0`, `Mt`, `Mh-chao`, `Mth-gamma3.5`, `Mt+A:B+A:B:C`…
    pub fn parse(spec: &str, lists: &[String]) -> Result<Self, SpecError> {
        let s = spec.trim();
        if s.is_empty() {
            return Err(SpecError::Empty);
        }
        let mut parts = s.split('+').map(str::trim);
        let base_s = parts.next().unwrap_or("");
        let lower = base_s.to_ascii_lowercase().replace([' ', '_'], "-");
        let (base, het_s) = if lower == "m0" {
            (Base::M0, None)
        } else if lower == "mt" {
            (Base::Mt, None)
        } else if let Some(h) = lower.strip_prefix("mth-") {
            (Base::Mt, Some(h.to_string()))
        } else if let Some(h) = lower.strip_prefix("mh-") {
            (Base::M0, Some(h.to_string()))
        } else {
            return Err(SpecError::UnknownBase {
                spec: s.into(),
                base: base_s.into(),
            });
        };
        let parse_theta = |v: &str| -> Result<f64, SpecError> {
            match v.parse::<f64>() {
                Ok(t) if t.is_finite() && t > 0.0 => Ok(t),
                _ => Err(SpecError::BadTheta {
                    spec: s.into(),
                    value: v.into(),
                }),
            }
        };
        let heterogeneity = match het_s.as_deref() {
            None => None,
            Some("chao") | Some("chao-lb") | Some("lb") => Some(Heterogeneity::Chao),
            Some("darroch") => Some(Heterogeneity::Darroch),
            Some(h) if h.starts_with("poisson") => {
                Some(Heterogeneity::Poisson(parse_theta(&h[7..])?))
            }
            Some(h) if h.starts_with("gamma") => Some(Heterogeneity::Gamma(parse_theta(&h[5..])?)),
            Some(_) => {
                return Err(SpecError::UnknownBase {
                    spec: s.into(),
                    base: base_s.into(),
                });
            }
        };
        let k = lists.len();
        let mut terms = Vec::new();
        for term in parts {
            let mut mask = 0usize;
            let names: Vec<&str> = term.split(':').map(str::trim).collect();
            for name in &names {
                let idx = lists
                    .iter()
                    .position(|l| l == name)
                    .or_else(|| lists.iter().position(|l| l.eq_ignore_ascii_case(name)))
                    .or_else(|| {
                        name.strip_prefix('c')
                            .and_then(|d| d.parse::<usize>().ok())
                            .filter(|&d| d >= 1 && d <= k)
                            .map(|d| d - 1)
                    })
                    .ok_or_else(|| SpecError::UnknownList {
                        spec: s.into(),
                        term: term.into(),
                        name: (*name).into(),
                        lists: lists.join(", "),
                    })?;
                if mask & (1 << idx) != 0 {
                    return Err(SpecError::RepeatedList {
                        spec: s.into(),
                        term: term.into(),
                    });
                }
                mask |= 1 << idx;
            }
            if names.len() < 2 {
                return Err(SpecError::MainEffectTerm {
                    spec: s.into(),
                    term: term.into(),
                });
            }
            if mask.count_ones() as usize == k {
                return Err(SpecError::AllListsInteraction {
                    spec: s.into(),
                    term: term.into(),
                    k,
                });
            }
            terms.push(mask);
        }
        Ok(ModelSpec {
            base,
            interactions: hierarchical_closure(&terms),
            heterogeneity,
        })
    }

    /// Canonical name, e.g. `Mt+A:B`, `Mth-poisson2`.
    pub fn name(&self, lists: &[String]) -> String {
        let mut s = match (&self.base, &self.heterogeneity) {
            (Base::M0, None) => "M0".to_string(),
            (Base::Mt, None) => "Mt".to_string(),
            (Base::M0, Some(h)) => format!("Mh-{}", het_name(h)),
            (Base::Mt, Some(h)) => format!("Mth-{}", het_name(h)),
        };
        for &t in &self.interactions {
            s.push('+');
            s.push_str(&term_name(lists, t));
        }
        s
    }

    /// Number of columns before the heterogeneity columns (with intercept).
    fn non_het_columns(&self, k: usize) -> usize {
        1 + match self.base {
            Base::M0 => 1,
            Base::Mt => k,
        } + self.interactions.len()
    }

    /// The design over the observable cells, row r = pattern mask r + 1.
    pub fn design(&self, lists: &[String]) -> Design {
        let k = lists.len();
        let mut names = vec!["(Intercept)".to_string()];
        match self.base {
            Base::M0 => names.push("captures".into()),
            Base::Mt => names.extend(lists.iter().cloned()),
        }
        names.extend(self.interactions.iter().map(|&t| term_name(lists, t)));
        match &self.heterogeneity {
            Some(Heterogeneity::Chao) => names.extend((3..=k).map(|j| format!("eta{j}"))),
            Some(_) => names.push("tau".into()),
            None => {}
        }
        let rows = (1usize << k) - 1;
        let mut d = Design::new(rows, names);
        for r in 0..rows {
            let m = r + 1;
            let c = m.count_ones() as f64;
            let mut j = 0;
            d.set(r, j, 1.0);
            j += 1;
            match self.base {
                Base::M0 => {
                    d.set(r, j, c);
                    j += 1;
                }
                Base::Mt => {
                    for i in 0..k {
                        d.set(r, j, if m & (1 << i) != 0 { 1.0 } else { 0.0 });
                        j += 1;
                    }
                }
            }
            for &t in &self.interactions {
                d.set(r, j, if m & t == t { 1.0 } else { 0.0 });
                j += 1;
            }
            match &self.heterogeneity {
                Some(Heterogeneity::Chao) => {
                    for jj in 3..=k {
                        d.set(r, j, (c - jj as f64 + 1.0).max(0.0));
                        j += 1;
                    }
                }
                Some(Heterogeneity::Poisson(th)) => d.set(r, j, th.powf(c) - 1.0),
                Some(Heterogeneity::Darroch) => d.set(r, j, c * c / 2.0),
                Some(Heterogeneity::Gamma(th)) => d.set(r, j, -(th + c).ln() + th.ln()),
                None => {}
            }
        }
        d
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFit {
    pub model: String,
    /// N̂ = n + exp(β₀).
    pub estimate: f64,
    pub se: f64,
    /// exp(β₀): the estimated number of people on no list.
    pub unseen: f64,
    pub deviance: f64,
    pub df: usize,
    pub aic: f64,
    pub bic: f64,
    pub loglik: f64,
    pub parameters: usize,
    pub converged: bool,
    /// Chao heterogeneity parameters that came out negative and were set
    /// to zero (Rcapture's default).
    pub zeroed: Vec<String>,
    pub coefficients: Vec<Coefficient>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    pub term: String,
    pub estimate: f64,
    pub se: f64,
}

/// Fit a design with Rcapture's rule for Chao models: while some η
/// (columns from `first_het` on) is negative, drop the first negative one
/// and refit.
pub(crate) fn fit_with_chao_rule(
    d: Design,
    y: &[f64],
    chao_from: Option<usize>,
    start: Option<&[f64]>,
) -> Result<(Design, PoissonFit, Vec<String>), FitError> {
    let (d, fit, zeroed, _) = fit_with_chao_rule_idx(d, y, chao_from, start)?;
    Ok((d, fit, zeroed))
}

/// As [`fit_with_chao_rule`], also returning for each remaining column its
/// index in the design given.
pub(crate) fn fit_with_chao_rule_idx(
    mut d: Design,
    y: &[f64],
    chao_from: Option<usize>,
    start: Option<&[f64]>,
) -> Result<(Design, PoissonFit, Vec<String>, Vec<usize>), FitError> {
    let mut idx: Vec<usize> = (0..d.cols).collect();
    let mut zeroed = Vec::new();
    let mut start: Option<Vec<f64>> = start.map(|s| s.to_vec());
    if let Some(first) = chao_from {
        // An η whose column is zero on every cell with people (nobody seen
        // that many times) runs to −∞: negative, so Rcapture's rule sets
        // it to zero. Drop it before fitting rather than chase infinity.
        let mut j = first;
        while j < d.cols {
            let stat: f64 = (0..d.rows).map(|r| y[r] * d.row(r)[j]).sum();
            if stat <= 0.0 {
                zeroed.push(d.names[j].clone());
                d = d.without_column(j);
                idx.remove(j);
                if let Some(s) = start.as_mut().filter(|s| s.len() > j) {
                    s.remove(j);
                }
            } else {
                j += 1;
            }
        }
    }
    let mut fit = fit_poisson(&d, y, start.as_deref())?;
    if let Some(first) = chao_from {
        while let Some(pos) = (first..d.cols).find(|&j| fit.beta[j] < 0.0) {
            zeroed.push(d.names[pos].clone());
            d = d.without_column(pos);
            idx.remove(pos);
            let mut st = fit.beta.clone();
            st.remove(pos);
            fit = fit_poisson(&d, y, Some(&st))?;
        }
    }
    Ok((d, fit, zeroed, idx))
}

/// Look for terms whose sufficient statistic is zero: their parameter runs
/// to −∞ and the maximum-likelihood estimate does not exist.
pub fn zero_margin_terms(table: &CaptureTable, spec: &ModelSpec) -> Vec<usize> {
    spec.interactions
        .iter()
        .copied()
        .filter(|&t| table.overlap(t) == 0)
        .collect()
}

/// Fit one model to a table.
pub fn fit_model(table: &CaptureTable, spec: &ModelSpec) -> Result<ModelFit, ModelError> {
    let lists = table.lists();
    let k = lists.len();
    let name = spec.name(lists);
    let zero = zero_margin_terms(table, spec);
    if let Some(&t) = zero.first() {
        let tn = term_name(lists, t);
        return Err(ModelError::NoMle {
            model: name,
            reason: format!(
                "no one was recorded on all of {} together, so the {} interaction runs to minus infinity; drop {} from the model",
                tn.replace(':', ", "),
                tn,
                tn
            ),
        });
    }
    let y: Vec<f64> = table.counts()[1..].iter().map(|&c| c as f64).collect();
    let d = spec.design(lists);
    let chao_from =
        matches!(spec.heterogeneity, Some(Heterogeneity::Chao)).then(|| spec.non_het_columns(k));
    let (d, fit, zeroed) = fit_with_chao_rule(d, &y, chao_from, None).map_err(|source| match source {
        FitError::NonFinite | FitError::Diverged => ModelError::NoMle {
            model: name.clone(),
            reason: "the fit runs off to infinity (some fitted cells collapse to zero); the data do not bound this model — drop an interaction".into(),
        },
        source => ModelError::Fit { model: name.clone(), source },
    })?;
    finish_fit(table, &name, &d, &fit, zeroed)
}

pub(crate) fn finish_fit(
    table: &CaptureTable,
    name: &str,
    d: &Design,
    fit: &PoissonFit,
    zeroed: Vec<String>,
) -> Result<ModelFit, ModelError> {
    let n = table.observed() as f64;
    let p = d.cols;
    // Divergence: a parameter whose standard error explodes sits at ±∞.
    let y: Vec<f64> = table.counts()[1..].iter().map(|&c| c as f64).collect();
    for j in 1..p {
        // Judge each parameter on the cells that hold people: far beyond
        // the data (e.g. θ^c for c = 15) a large uncertainty is expected.
        let scale = (0..d.rows.min(y.len()))
            .filter(|&r| y[r] > 0.0)
            .map(|r| d.row(r)[j].abs())
            .fold(0.0, f64::max);
        let sd = fit.cov[j * p + j].sqrt() * scale;
        if !sd.is_finite() || sd > 1e3 {
            return Err(ModelError::NoMle {
                model: name.to_string(),
                reason: format!(
                    "the parameter of {} runs off to infinity (some combination of lists has no records), so the model cannot be fitted to these data; drop that term",
                    d.names[j]
                ),
            });
        }
    }
    let b0 = fit.beta[0];
    let unseen = b0.exp();
    let var0 = fit.cov[0];
    if !unseen.is_finite() || unseen > 1e4 * n.max(1.0) || var0.sqrt() > 10.0 || !fit.converged {
        return Err(ModelError::NoMle {
            model: name.to_string(),
            reason: "the estimated number of people on no list diverges: the overlaps between lists are too small for this model to bound it".into(),
        });
    }
    let se = (unseen + unseen * unseen * var0).sqrt();
    let df = d.rows - p;
    let aic = -2.0 * fit.loglik + 2.0 * p as f64;
    let bic = -2.0 * fit.loglik + (n.max(1.0)).ln() * p as f64;
    let coefficients = (0..p)
        .map(|j| Coefficient {
            term: d.names[j].clone(),
            estimate: fit.beta[j],
            se: fit.cov[j * p + j].sqrt(),
        })
        .collect();
    Ok(ModelFit {
        model: name.to_string(),
        estimate: n + unseen,
        se,
        unseen,
        deviance: fit.deviance,
        df,
        aic,
        bic,
        loglik: fit.loglik,
        parameters: p,
        converged: fit.converged,
        zeroed,
        coefficients,
    })
}

/// Rcapture's pattern order for t lists (histpos.t): 11…1 first, 00…01
/// last, the first list varying slowest. Returns the mask of each row.
pub fn rcapture_pattern_order(k: usize) -> Vec<usize> {
    // Row i (0-based) of histpos.t reads as binary (first list = most
    // significant digit) the number 2^k − 1 − i.
    (0..(1usize << k) - 1)
        .map(|i| {
            let v = (1usize << k) - 1 - i;
            let mut mask = 0;
            for j in 0..k {
                if v & (1 << (k - 1 - j)) != 0 {
                    mask |= 1 << j;
                }
            }
            mask
        })
        .collect()
}

/// Build a table from counts listed in Rcapture's histpos.t order.
pub fn table_from_rcapture_order(
    lists: Vec<String>,
    counts: &[u64],
) -> Result<CaptureTable, crate::table::TableError> {
    let k = lists.len();
    let mut dense = vec![0u64; 1 << k];
    for (m, &c) in rcapture_pattern_order(k).iter().zip(counts) {
        dense[*m] = c;
    }
    CaptureTable::new(lists, dense)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// HIV data, Rome (Abeni et al. 1994), as printed in Rcapture's HIV
    /// help page and in the issue, in histpos.t order 1111, 1110, …, 0001.
    pub(crate) fn hiv() -> CaptureTable {
        table_from_rcapture_order(
            names(&["c1", "c2", "c3", "c4"]),
            &[0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205],
        )
        .unwrap()
    }

    #[test]
    fn histpos_order() {
        let o = rcapture_pattern_order(4);
        assert_eq!(o[0], 0b1111);
        assert_eq!(o[1], 0b0111); // 1110: lists 1,2,3
        assert_eq!(o[2], 0b1011); // 1101
        assert_eq!(o[14], 0b1000); // 0001: list 4 only
        assert_eq!(hiv().observed(), 1896);
    }

    #[test]
    fn spec_parsing() {
        let l = names(&["A", "B", "C"]);
        let s = ModelSpec::parse("Mt+A:B+b:c", &l).unwrap();
        assert_eq!(s.interactions, vec![0b011, 0b110]);
        assert_eq!(s.name(&l), "Mt+A:B+B:C");
        let s = ModelSpec::parse("Mth-gamma3.5", &l).unwrap();
        assert_eq!(s.heterogeneity, Some(Heterogeneity::Gamma(3.5)));
        assert_eq!(s.name(&l), "Mth-gamma3.5");
        let l4 = names(&["A", "B", "C", "D"]);
        let s = ModelSpec::parse("Mt+A:B:C", &l4).unwrap();
        assert_eq!(s.interactions, vec![0b011, 0b101, 0b110, 0b111]);
        assert!(matches!(
            ModelSpec::parse("Mt+A:B:C", &l),
            Err(SpecError::AllListsInteraction { .. })
        ));
        assert!(matches!(
            ModelSpec::parse("Mt+A:Z", &l),
            Err(SpecError::UnknownList { .. })
        ));
        assert!(matches!(
            ModelSpec::parse("Mt+A:A", &l),
            Err(SpecError::RepeatedList { .. })
        ));
        assert!(matches!(
            ModelSpec::parse("Mt+A", &l),
            Err(SpecError::MainEffectTerm { .. })
        ));
        assert!(matches!(
            ModelSpec::parse("Mq", &l),
            Err(SpecError::UnknownBase { .. })
        ));
        assert!(matches!(
            ModelSpec::parse("Mh-gamma-1", &l),
            Err(SpecError::BadTheta { .. })
        ));
    }

    /// Rcapture closedp.t / closedpCI.t on the HIV data, published in the
    /// issue (Rcapture output): Mt + c1:c2 and all two-way interactions.
    #[test]
    fn hiv_published_rcapture_values() {
        let t = hiv();
        let m = fit_model(&t, &ModelSpec::parse("Mt+c1:c2", t.lists()).unwrap()).unwrap();
        assert!((m.estimate - 12318.5).abs() < 0.05, "{}", m.estimate);
        assert!((m.se - 1188.7).abs() < 0.05, "{}", m.se);
        assert!((m.deviance - 7.614).abs() < 0.0005, "{}", m.deviance);
        assert_eq!(m.df, 9);
        assert!((m.aic - 86.65).abs() < 0.005, "{}", m.aic);
        let all2 = "Mt+c1:c2+c1:c3+c1:c4+c2:c3+c2:c4+c3:c4";
        let m = fit_model(&t, &ModelSpec::parse(all2, t.lists()).unwrap()).unwrap();
        assert!((m.estimate - 23443.5).abs() < 0.05, "{}", m.estimate);
        assert!((m.se - 9594.9).abs() < 0.05, "{}", m.se);
        assert!((m.deviance - 3.037).abs() < 0.0005, "{}", m.deviance);
        assert_eq!(m.df, 4);
        assert!((m.aic - 92.073).abs() < 0.0005, "{}", m.aic);
    }

    #[test]
    fn boundary_without_zero_margin_has_no_mle() {
        // Palembang (HRDAG): no one on c and d without b. Every margin is
        // positive, but under Mt+b:c+b:d the lists c, d among people not on
        // b are fitted exactly, so the cell 011 is fitted by 0 and the
        // parameters diverge.
        let t =
            table_from_rcapture_order(names(&["b", "c", "d"]), &[12, 54, 6, 5, 0, 5, 41]).unwrap();
        assert_eq!(t.count(0b110), 0);
        let e = fit_model(&t, &ModelSpec::parse("Mt+b:c+b:d", t.lists()).unwrap()).unwrap_err();
        assert!(matches!(e, ModelError::NoMle { .. }), "{e}");
        assert!(fit_model(&t, &ModelSpec::parse("Mt+b:c+c:d", t.lists()).unwrap()).is_ok());
    }

    #[test]
    fn zero_overlap_interaction_has_no_mle() {
        // A and B never overlap.
        let t =
            CaptureTable::new(names(&["A", "B", "C"]), vec![0, 30, 20, 0, 25, 5, 4, 0]).unwrap();
        let e = fit_model(&t, &ModelSpec::parse("Mt+A:B", t.lists()).unwrap()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("does not exist") && msg.contains("A:B"),
            "{msg}"
        );
    }
}
