//! Two lists: the Lincoln–Petersen estimator and Chapman's nearly unbiased
//! version, with standard errors and intervals.
//!
//! With n₁, n₂ people on each list and m on both:
//! * Lincoln–Petersen N̂ = n₁n₂/m, Var = n₁n₂(n₁−m)(n₂−m)/m³;
//! * Chapman N̂ = (n₁+1)(n₂+1)/(m+1) − 1,
//!   Var = (n₁+1)(n₂+1)(n₁−m)(n₂−m)/((m+1)²(m+2)) (Seber 1970).
//!
//! Intervals are Chao's log-normal ones (never below the number observed)
//! plus the plain Wald interval for comparison with textbooks. When the two
//! lists share no one, neither estimator exists, and the result says so.

use crate::interval::{Interval, lognormal_interval};
use crate::special::norm_quantile;
use crate::table::CaptureTable;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoListEstimate {
    pub method: String,
    pub estimate: f64,
    pub se: f64,
    pub intervals: Vec<Interval>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoListReport {
    pub list_a: String,
    pub list_b: String,
    pub n_a: u64,
    pub n_b: u64,
    pub both: u64,
    pub lincoln_petersen: TwoListEstimate,
    pub chapman: TwoListEstimate,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TwoListError {
    #[error("Lincoln–Petersen and Chapman need exactly two lists; this table has {0}")]
    NotTwoLists(usize),
    #[error(
        "lists {0:?} and {1:?} share no one: with no overlap the number missed cannot be estimated (any number is consistent with the data); link the records again or add a list"
    )]
    NoOverlap(String, String),
    #[error("a list has no records")]
    EmptyList,
    #[error("confidence level {0} must lie strictly between 0 and 1")]
    BadLevel(f64),
}

fn wald(estimate: f64, se: f64, level: f64, observed: f64) -> Interval {
    let z = norm_quantile(0.5 + level / 2.0);
    Interval {
        method: "wald".into(),
        level,
        estimate,
        low: (estimate - z * se).max(observed),
        high: Some(estimate + z * se),
        high_exceeds: None,
    }
}

/// Both two-list estimators for a two-list table.
pub fn two_list(table: &CaptureTable, level: f64) -> Result<TwoListReport, TwoListError> {
    if table.num_lists() != 2 {
        return Err(TwoListError::NotTwoLists(table.num_lists()));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(TwoListError::BadLevel(level));
    }
    let (n1, n2, m) = (table.list_total(0), table.list_total(1), table.count(0b11));
    if n1 == 0 || n2 == 0 {
        return Err(TwoListError::EmptyList);
    }
    let lists = table.lists();
    if m == 0 {
        return Err(TwoListError::NoOverlap(lists[0].clone(), lists[1].clone()));
    }
    let (a, b, mm) = (n1 as f64, n2 as f64, m as f64);
    let observed = a + b - mm;
    let lp = a * b / mm;
    let lp_se = (a * b * (a - mm) * (b - mm) / (mm * mm * mm)).sqrt();
    let ch = (a + 1.0) * (b + 1.0) / (mm + 1.0) - 1.0;
    let ch_se = ((a + 1.0) * (b + 1.0) * (a - mm) * (b - mm)
        / ((mm + 1.0) * (mm + 1.0) * (mm + 2.0)))
        .sqrt();
    let ivs = |est: f64, se: f64| -> Result<Vec<Interval>, TwoListError> {
        let ln = lognormal_interval(observed, est, se, level)
            .map_err(|_| TwoListError::BadLevel(level))?;
        Ok(vec![ln, wald(est, se, level, observed)])
    };
    Ok(TwoListReport {
        list_a: lists[0].clone(),
        list_b: lists[1].clone(),
        n_a: n1,
        n_b: n2,
        both: m,
        lincoln_petersen: TwoListEstimate {
            method: "Lincoln–Petersen".into(),
            estimate: lp,
            se: lp_se,
            intervals: ivs(lp, lp_se)?,
        },
        chapman: TwoListEstimate {
            method: "Chapman".into(),
            estimate: ch,
            se: ch_se,
            intervals: ivs(ch, ch_se)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelSpec, fit_model};

    fn t(a_only: u64, b_only: u64, both: u64) -> CaptureTable {
        CaptureTable::new(vec!["A".into(), "B".into()], vec![0, a_only, b_only, both]).unwrap()
    }

    #[test]
    fn textbook_values() {
        // n1 = 60, n2 = 50, m = 20: LP = 150; Chapman = 61·51/21 − 1.
        let r = two_list(&t(40, 30, 20), 0.95).unwrap();
        assert!((r.lincoln_petersen.estimate - 150.0).abs() < 1e-9);
        assert!((r.chapman.estimate - (61.0 * 51.0 / 21.0 - 1.0)).abs() < 1e-9);
        let v = 60.0 * 50.0 * 40.0 * 30.0 / 8000.0;
        assert!((r.lincoln_petersen.se - f64::sqrt(v)).abs() < 1e-9);
    }

    #[test]
    fn independence_model_equals_lincoln_petersen() {
        let tab = t(40, 30, 20);
        let r = two_list(&tab, 0.95).unwrap();
        let m = fit_model(&tab, &ModelSpec::parse("Mt", tab.lists()).unwrap()).unwrap();
        assert!((m.estimate - r.lincoln_petersen.estimate).abs() < 1e-6);
    }

    #[test]
    fn no_overlap_is_refused_in_words() {
        let e = two_list(&t(40, 30, 0), 0.95).unwrap_err();
        assert!(e.to_string().contains("share no one"));
    }
}
