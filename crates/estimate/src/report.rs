//! One entry point for every caller (the command line now; the web pages and
//! the database mode later): [`estimate`] takes a capture table and an
//! [`EstimateRequest`] and returns an [`EstimateReport`] that serialises to
//! the JSON the issue fixes:
//! `{"n", "lists", "models": [{"model", "estimate", "se", "deviance", "df",
//! "aic", "bic", "interval": {"method", "level", "estimate", "low", "high"}}],
//! "lcmcr": {…}}` plus two-list estimators, search and stepwise results and
//! plain-language caveats. A model without an estimate keeps its row, with
//! `estimate: null` and the reason in `problem`, so no reader mistakes a
//! missing number for a small one.

use crate::input::StratifiedCounts;
use crate::interval::{Interval, lognormal_interval, profile_interval};
use crate::lcmcr::{LcmcrConfig, LcmcrResult};
use crate::model::{Base, ModelError, ModelFit, ModelSpec, SpecError, fit_model, term_name};
use crate::search::{
    Criterion, HETEROGENEITY_MODELS, SearchError, SearchRow, Step, search_models, stepwise,
};
use crate::special::chisq_sf;
use crate::table::{CaptureTable, TableError};
use crate::twolist::{TwoListReport, two_list};
use serde::Serialize;

/// What to estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateRequest {
    /// Model specifications (`M0`, `Mt`, `Mh-chao`, `Mt+A:B`…). Empty and
    /// no search: Rcapture's `closedp` set for the number of lists.
    pub models: Vec<String>,
    /// Fit every hierarchical model up to an order and rank them.
    pub search: Option<SearchRequest>,
    /// Stepwise selection from the independence model.
    pub stepwise: Option<SearchRequest>,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Compute profile-likelihood intervals (one refit per evaluation).
    pub profile: bool,
    /// Run the Bayesian latent class model.
    pub lcmcr: Option<LcmcrConfig>,
}

impl Default for EstimateRequest {
    fn default() -> Self {
        EstimateRequest {
            models: Vec::new(),
            search: None,
            stepwise: None,
            level: 0.95,
            profile: true,
            lcmcr: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRequest {
    pub max_order: usize,
    pub rank: Criterion,
    /// How many of the best models to list.
    pub top: usize,
    /// Refuse searches over more models than this.
    pub limit: usize,
    /// Fit the heterogeneity models (M0, Mh-…, Mth-…) alongside and rank
    /// them in the same table, as Rcapture's `closedp` lists them.
    pub heterogeneity: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            max_order: 2,
            rank: Criterion::Aic,
            top: 10,
            limit: 1 << 20,
            heterogeneity: true,
        }
    }
}

/// One model's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRow {
    pub model: String,
    /// Why this row is here ("requested", "best by AIC in search", "stepwise").
    pub source: String,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub deviance: Option<f64>,
    pub df: Option<usize>,
    pub aic: Option<f64>,
    pub bic: Option<f64>,
    /// Profile-likelihood interval with Cormack's correction.
    pub interval: Option<Interval>,
    /// Chao's log-normal interval.
    pub lognormal_interval: Option<Interval>,
    /// When there is no estimate: why, in words.
    pub problem: Option<String>,
    pub caveats: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    pub max_order: usize,
    pub rank: Criterion,
    /// Models fitted and ranked: `hierarchical` + `heterogeneity`.
    pub fitted: usize,
    /// Hierarchical log-linear models (all main effects, interactions up
    /// to `max_order`).
    pub hierarchical: usize,
    /// Heterogeneity models (M0, Mh-…, Mth-…) ranked with them.
    pub heterogeneity: usize,
    pub without_estimate: usize,
    /// The best `top` models, best first.
    pub best: Vec<SearchRow>,
    /// Range of the estimates among models within 2 of the best criterion
    /// (model uncertainty the single best model hides).
    pub close_models: usize,
    pub close_estimate_range: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepwiseReport {
    pub rank: Criterion,
    pub path: Vec<Step>,
    pub model: String,
}

/// The parts of an LCMCR run a report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LcmcrSummary {
    pub median: f64,
    pub mean: f64,
    pub q025: f64,
    pub q975: f64,
    pub ess: f64,
    pub rhat: f64,
    pub k: usize,
    pub seed: u64,
    pub chains: usize,
    pub caveats: Vec<String>,
    /// The draws of N, one vector per chain (for plots); not serialised.
    #[serde(skip)]
    pub draws: Vec<Vec<u64>>,
}

impl LcmcrSummary {
    fn from(r: LcmcrResult, cfg: &LcmcrConfig) -> Self {
        LcmcrSummary {
            median: r.median,
            mean: r.mean,
            q025: r.q025,
            q975: r.q975,
            ess: r.ess,
            rhat: r.rhat,
            k: cfg.k,
            seed: cfg.seed,
            chains: cfg.chains,
            caveats: r.caveats,
            draws: r.n_samples,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateReport {
    /// People observed on at least one list.
    pub n: u64,
    pub lists: Vec<String>,
    pub list_totals: Vec<u64>,
    pub models: Vec<ModelRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_list: Option<TwoListReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_list_problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stepwise: Option<StepwiseReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lcmcr: Option<LcmcrSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lcmcr_problem: Option<String>,
    /// Warnings about the data that apply to every estimate.
    pub caveats: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    #[error("{0}")]
    Table(#[from] TableError),
    #[error("{0}")]
    Spec(#[from] SpecError),
    #[error("{0}")]
    Search(#[from] SearchError),
    #[error("confidence level {0} must lie strictly between 0 and 1 (e.g. 0.95)")]
    BadLevel(f64),
    /// The counts text itself (only from [`estimate_counts`]).
    #[error("{0}")]
    Input(#[from] crate::input::InputError),
}

/// The models Rcapture's `closedp.t` fits (without the behavioural ones,
/// which do not apply to lists): M0, Mt, then the heterogeneity models of
/// [`HETEROGENEITY_MODELS`] (three lists or more).
pub fn default_models(k: usize) -> Vec<&'static str> {
    let mut v = vec!["M0", "Mt"];
    if k >= 3 {
        v.extend(HETEROGENEITY_MODELS.iter().filter(|m| **m != "M0"));
    }
    v
}

/// Warnings about the table itself.
pub fn table_caveats(t: &CaptureTable) -> Vec<String> {
    let mut c = Vec::new();
    let n = t.observed();
    let lists = t.lists();
    if n < 50 {
        c.push(format!("Only {n} people are on any list: every estimate from so few records is fragile; read the intervals, not the point estimates."));
    }
    let r = t.recaptured();
    if r == 0 {
        c.push("No one appears on more than one list: the lists say nothing about how many were missed, and no model can estimate it.".into());
    } else if r < 20 {
        c.push(format!("Only {r} people appear on more than one list: the estimate of those missed rests on very few overlaps."));
    }
    for i in 0..lists.len() {
        for j in i + 1..lists.len() {
            let m = t.overlap((1 << i) | (1 << j));
            if m == 0 {
                c.push(format!(
                    "Lists {} and {} never overlap (no one is on both): a model with the {} interaction has no estimate, and if they truly exclude each other every model here misjudges the total.",
                    lists[i], lists[j], term_name(lists, (1 << i) | (1 << j))
                ));
            } else if m < 5 {
                c.push(format!("Lists {} and {} share only {m} people: estimates that lean on their overlap are unstable.", lists[i], lists[j]));
            }
        }
    }
    c.push("These models assume the population did not change while the lists were made and that records were linked correctly across lists: a missed link inflates the estimate, a false link deflates it.".into());
    c
}

fn model_caveats(t: &CaptureTable, f: &ModelFit, profile: Option<&Interval>) -> Vec<String> {
    let mut c = Vec::new();
    let n = t.observed() as f64;
    if f.df == 0 {
        c.push("This model has as many parameters as cells: it reproduces the data exactly, so the data cannot check it (deviance 0 on 0 df).".into());
    } else {
        let p = chisq_sf(f.deviance, f.df as f64);
        if p < 0.05 {
            c.push(format!("The model fits the data poorly (deviance {:.2} on {} df, p = {:.3}): its estimate is doubtful.", f.deviance, f.df, p));
        }
    }
    if f.estimate > 10.0 * n {
        c.push(format!("The estimate is {:.0} times the number observed: it rests on extrapolation far beyond the data.", f.estimate / n));
    }
    if f.unseen < 0.5 {
        c.push("The model says almost no one was missed; check that the lists are not copies of each other.".into());
    }
    if f.se > 0.5 * (f.estimate - n).max(1.0) && f.estimate > n {
        c.push("The standard error is more than half the estimated number missed: the total is very uncertain.".into());
    }
    if !f.zeroed.is_empty() {
        c.push(format!("Heterogeneity parameter(s) {} came out negative and were set to zero, as Rcapture does for Chao's model.", f.zeroed.join(", ")));
    }
    if let Some(iv) = profile {
        if iv.high.is_none() {
            c.push(format!(
                "The upper end of the profile-likelihood interval lies beyond {:.0}: the data do not bound the total from above.",
                iv.high_exceeds.unwrap_or(f64::NAN)
            ));
        }
    }
    c
}

fn model_row(t: &CaptureTable, spec: &ModelSpec, source: &str, req: &EstimateRequest) -> ModelRow {
    let name = spec.name(t.lists());
    let empty = |problem: String| ModelRow {
        model: name.clone(),
        source: source.to_string(),
        estimate: None,
        se: None,
        deviance: None,
        df: None,
        aic: None,
        bic: None,
        interval: None,
        lognormal_interval: None,
        problem: Some(problem),
        caveats: Vec::new(),
    };
    match fit_model(t, spec) {
        Err(ModelError::NoMle { reason, .. }) => empty(format!(
            "no estimate: the maximum-likelihood estimate does not exist — {reason}"
        )),
        Err(e) => empty(e.to_string()),
        Ok(f) => {
            let n = t.observed() as f64;
            let lognormal = lognormal_interval(n, f.estimate, f.se, req.level).ok();
            let (profile, profile_problem) = if req.profile {
                match profile_interval(t, spec, f.estimate, req.level) {
                    Ok(iv) => (Some(iv), None),
                    Err(e) => (None, Some(e.to_string())),
                }
            } else {
                (None, None)
            };
            let mut caveats = model_caveats(t, &f, profile.as_ref());
            if let Some(p) = profile_problem {
                caveats.push(format!("No profile interval: {p}"));
            }
            ModelRow {
                model: f.model.clone(),
                source: source.to_string(),
                estimate: Some(f.estimate),
                se: Some(f.se),
                deviance: Some(f.deviance),
                df: Some(f.df),
                aic: Some(f.aic),
                bic: Some(f.bic),
                interval: profile,
                lognormal_interval: lognormal,
                problem: None,
                caveats,
            }
        }
    }
}

/// Estimate from one table.
pub fn estimate(t: &CaptureTable, req: &EstimateRequest) -> Result<EstimateReport, EstimateError> {
    if !(req.level > 0.0 && req.level < 1.0) {
        return Err(EstimateError::BadLevel(req.level));
    }
    t.check_estimable()?;
    let lists = t.lists().to_vec();
    let k = lists.len();
    let mut specs: Vec<(ModelSpec, String)> = Vec::new();
    let names: Vec<String> =
        if req.models.is_empty() && req.search.is_none() && req.stepwise.is_none() {
            default_models(k).into_iter().map(String::from).collect()
        } else {
            req.models.clone()
        };
    for m in &names {
        specs.push((ModelSpec::parse(m, &lists)?, "requested".into()));
    }
    let mut search_report = None;
    if let Some(s) = &req.search {
        let rows = search_models(t, s.max_order, s.rank, s.limit, s.heterogeneity)?;
        let heterogeneity = rows
            .iter()
            .filter(|r| r.base == Base::M0 || r.heterogeneity.is_some())
            .count();
        let without = rows.iter().filter(|r| r.estimate.is_none()).count();
        let best_score = rows
            .first()
            .map(|r| r.score(s.rank))
            .unwrap_or(f64::INFINITY);
        let close: Vec<f64> = rows
            .iter()
            .filter(|r| r.score(s.rank) <= best_score + 2.0)
            .filter_map(|r| r.estimate)
            .collect();
        let range = if close.is_empty() {
            None
        } else {
            Some((
                close.iter().cloned().fold(f64::INFINITY, f64::min),
                close.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            ))
        };
        if let Some(best) = rows.first().filter(|r| r.estimate.is_some()) {
            let label = match s.rank {
                Criterion::Aic => "best by AIC in search",
                Criterion::Bic => "best by BIC in search",
            };
            specs.push((best.spec(), label.into()));
        }
        search_report = Some(SearchReport {
            max_order: s.max_order,
            rank: s.rank,
            fitted: rows.len(),
            hierarchical: rows.len() - heterogeneity,
            heterogeneity,
            without_estimate: without,
            close_models: close.len(),
            close_estimate_range: range,
            best: rows.into_iter().take(s.top).collect(),
        });
    }
    let mut stepwise_report = None;
    if let Some(s) = &req.stepwise {
        let (path, row) = stepwise(t, s.max_order, s.rank)?;
        specs.push((row.spec(), "stepwise".into()));
        stepwise_report = Some(StepwiseReport {
            rank: s.rank,
            path,
            model: row.model,
        });
    }
    let mut models: Vec<ModelRow> = Vec::new();
    for (spec, source) in &specs {
        let name = spec.name(&lists);
        if let Some(existing) = models.iter_mut().find(|r| r.model == name) {
            existing.source = format!("{}; {}", existing.source, source);
            continue;
        }
        models.push(model_row(t, spec, source, req));
    }
    let (two, two_problem) = if k == 2 {
        match two_list(t, req.level) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_string())),
        }
    } else {
        (None, None)
    };
    let (lcmcr, lcmcr_problem) = match &req.lcmcr {
        Some(cfg) => match crate::lcmcr::fit(t, cfg) {
            Ok(r) => (Some(LcmcrSummary::from(r, cfg)), None),
            Err(e) => (None, Some(e.to_string())),
        },
        None => (None, None),
    };
    Ok(EstimateReport {
        n: t.observed(),
        lists: lists.clone(),
        list_totals: (0..k).map(|i| t.list_total(i)).collect(),
        models,
        two_list: two,
        two_list_problem: two_problem,
        search: search_report,
        stepwise: stepwise_report,
        lcmcr,
        lcmcr_problem,
        caveats: table_caveats(t),
    })
}

/// One stratum's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumReport {
    pub stratum: String,
    pub n: u64,
    pub report: Option<EstimateReport>,
    pub problem: Option<String>,
}

/// Per model: the sum of the stratum estimates (strata independent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrataSum {
    pub model: String,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub lognormal_interval: Option<Interval>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratifiedReport {
    pub stratum_columns: Vec<String>,
    /// The pooled table, estimated as one.
    pub combined: EstimateReport,
    pub strata: Vec<StratumReport>,
    /// Sums over strata of each requested model.
    pub sum_of_strata: Vec<StrataSum>,
    pub caveats: Vec<String>,
}

/// Estimate per stratum and for the pooled table. Strata that cannot be
/// estimated keep a row with the reason; the sum over strata of a model
/// exists only when every stratum has that model's estimate.
pub fn estimate_stratified(
    s: &StratifiedCounts,
    req: &EstimateRequest,
) -> Result<StratifiedReport, EstimateError> {
    let combined = estimate(&s.combined, req)?;
    let mut strata = Vec::new();
    let mut caveats = Vec::new();
    // Strata get the requested models only (a search per stratum would
    // pick a different model in each and make the sum meaningless).
    let mut sreq = req.clone();
    sreq.search = None;
    sreq.stepwise = None;
    if sreq.models.is_empty() {
        sreq.models = combined
            .models
            .iter()
            .filter(|r| r.problem.is_none())
            .map(|r| r.model.clone())
            .collect();
        if sreq.models.is_empty() {
            sreq.models = default_models(s.combined.num_lists())
                .into_iter()
                .map(String::from)
                .collect();
        }
    }
    for (name, t) in &s.strata {
        let n = t.observed();
        if n < 50 {
            caveats.push(format!(
                "Stratum {name:?} has only {n} records: too few for a reliable estimate of its own."
            ));
        }
        match estimate(t, &sreq) {
            Ok(r) => strata.push(StratumReport {
                stratum: name.clone(),
                n,
                report: Some(r),
                problem: None,
            }),
            Err(e) => strata.push(StratumReport {
                stratum: name.clone(),
                n,
                report: None,
                problem: Some(e.to_string()),
            }),
        }
    }
    let mut sums = Vec::new();
    let model_names: Vec<String> = strata
        .iter()
        .filter_map(|s| s.report.as_ref())
        .flat_map(|r| r.models.iter().map(|m| m.model.clone()))
        .fold(Vec::new(), |mut acc, m| {
            if !acc.contains(&m) {
                acc.push(m);
            }
            acc
        });
    for m in model_names {
        let mut est = 0.0;
        let mut var = 0.0;
        let mut missing = Vec::new();
        for st in &strata {
            let row = st
                .report
                .as_ref()
                .and_then(|r| r.models.iter().find(|x| x.model == m));
            match row.and_then(|r| r.estimate.zip(r.se)) {
                Some((e, se)) => {
                    est += e;
                    var += se * se;
                }
                None => missing.push(st.stratum.clone()),
            }
        }
        if missing.is_empty() {
            let se = var.sqrt();
            sums.push(StrataSum {
                model: m,
                estimate: Some(est),
                se: Some(se),
                lognormal_interval: lognormal_interval(
                    s.combined.observed() as f64,
                    est,
                    se,
                    req.level,
                )
                .ok(),
                problem: None,
            });
        } else {
            sums.push(StrataSum {
                model: m,
                estimate: None,
                se: None,
                lognormal_interval: None,
                problem: Some(format!(
                    "no estimate in stratum/strata {}: a sum over strata would leave them out",
                    missing.join(", ")
                )),
            });
        }
    }
    Ok(StratifiedReport {
        stratum_columns: s.stratum_columns.clone(),
        combined,
        strata,
        sum_of_strata: sums,
        caveats,
    })
}

/// The outcome of one estimation request: one report for the whole table,
/// or reports per stratum and combined when strata were asked for. This is
/// what the command line prints and what the web pages will receive (as
/// JSON: the report itself, without a wrapper).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Estimates {
    Combined(EstimateReport),
    Stratified(StratifiedReport),
}

impl Estimates {
    /// The report for the whole (pooled) table.
    pub fn combined(&self) -> &EstimateReport {
        match self {
            Estimates::Combined(r) => r,
            Estimates::Stratified(s) => &s.combined,
        }
    }
}

/// From counts CSV text (see [`crate::input`]) to estimates, stratified by
/// the named columns when any are given: the one call behind
/// `tumen estimate --counts` and estimation from the archive.
pub fn estimate_counts(
    text: &str,
    stratify: &[String],
    req: &EstimateRequest,
) -> Result<Estimates, EstimateError> {
    if stratify.is_empty() {
        let table = crate::input::parse_counts_csv(text)?;
        Ok(Estimates::Combined(estimate(&table, req)?))
    } else {
        let strata = crate::input::parse_counts_csv_stratified(text, stratify)?;
        Ok(Estimates::Stratified(estimate_stratified(&strata, req)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_counts_csv_stratified;
    use crate::model::table_from_rcapture_order;

    #[test]
    fn report_json_has_the_issue_shape() {
        let lists: Vec<String> = ["c1", "c2", "c3", "c4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = table_from_rcapture_order(
            lists,
            &[0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205],
        )
        .unwrap();
        let req = EstimateRequest {
            models: vec!["Mt+c1:c2".into()],
            ..Default::default()
        };
        let r = estimate(&t, &req).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["n"], 1896);
        assert_eq!(v["lists"][0], "c1");
        let m = &v["models"][0];
        assert_eq!(m["model"], "Mt+c1:c2");
        assert!((m["estimate"].as_f64().unwrap() - 12318.5).abs() < 0.05);
        assert_eq!(m["df"], 9);
        assert_eq!(m["interval"]["method"], "profile");
        assert_eq!(m["interval"]["level"], 0.95);
        assert!((m["interval"]["high"].as_f64().unwrap() - 14992.3).abs() < 0.05);
        for key in ["se", "deviance", "aic", "bic"] {
            assert!(m[key].is_number(), "{key}");
        }
    }

    #[test]
    fn missing_estimates_are_words_not_numbers() {
        // A and B never overlap.
        let t = CaptureTable::new(
            vec!["A".into(), "B".into(), "C".into()],
            vec![0, 30, 20, 0, 25, 5, 4, 0],
        )
        .unwrap();
        let req = EstimateRequest {
            models: vec!["Mt".into(), "Mt+A:B".into()],
            ..Default::default()
        };
        let r = estimate(&t, &req).unwrap();
        assert!(r.models[0].estimate.is_some());
        assert!(r.models[1].estimate.is_none());
        assert!(
            r.models[1]
                .problem
                .as_ref()
                .unwrap()
                .contains("does not exist")
        );
        assert!(r.caveats.iter().any(|c| c.contains("never overlap")));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"estimate\":null") && !json.contains("NaN"));
    }

    #[test]
    fn strata_sum_and_small_stratum_caveat() {
        let text = "year,A,B,C,count\n\
            2022,1,0,0,40\n2022,0,1,0,30\n2022,0,0,1,35\n2022,1,1,0,12\n2022,1,0,1,10\n2022,0,1,1,9\n2022,1,1,1,4\n\
            2023,1,0,0,8\n2023,0,1,0,6\n2023,0,0,1,7\n2023,1,1,0,3\n2023,1,0,1,2\n2023,0,1,1,2\n2023,1,1,1,1\n";
        let s = parse_counts_csv_stratified(text, &["year".to_string()]).unwrap();
        let req = EstimateRequest {
            models: vec!["Mt".into()],
            profile: false,
            ..Default::default()
        };
        let r = estimate_stratified(&s, &req).unwrap();
        assert_eq!(r.strata.len(), 2);
        let a = r.strata[0].report.as_ref().unwrap().models[0]
            .estimate
            .unwrap();
        let b = r.strata[1].report.as_ref().unwrap().models[0]
            .estimate
            .unwrap();
        assert!((r.sum_of_strata[0].estimate.unwrap() - (a + b)).abs() < 1e-9);
        assert!(r.caveats.iter().any(|c| c.contains("2023")));
    }

    #[test]
    fn unusable_tables_are_refused_clearly() {
        let t = CaptureTable::new(vec!["A".into(), "B".into()], vec![0, 30, 0, 0]).unwrap();
        let e = estimate(&t, &EstimateRequest::default()).unwrap_err();
        assert!(e.to_string().contains("alone"), "{e}");
        let t = CaptureTable::new(vec!["A".into(), "B".into()], vec![0, 30, 20, 5]).unwrap();
        let e = estimate(
            &t,
            &EstimateRequest {
                level: 1.2,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, EstimateError::BadLevel(_)));
        let e = estimate(
            &t,
            &EstimateRequest {
                models: vec!["Mt+A:B".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("all 2 lists"), "{e}");
    }
}
