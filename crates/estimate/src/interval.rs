//! Confidence intervals for N.
//!
//! * Profile likelihood (Rcapture's `closedpCI.t`): for a candidate N, the
//!   unseen cell gets the pseudo-count n₀ = N − n and the model is refitted
//!   on all 2^k cells (the unseen cell's row has only the intercept). The
//!   Poisson deviance of that fit, with Cormack's (1992) correction term
//!   turning the Poisson into the multinomial profile likelihood, gives
//!   ℓ(N) = −(D(N) − 2c(N))/2. The point estimate is the maximiser and the
//!   interval is where ℓ stays within χ²₁(level)/2 of the maximum, searched
//!   on (n, N̂max) below and (N̂max, 3·N̂) above, as Rcapture does. When no
//!   upper root lies there, the interval is open above and says so.
//! * Log-normal (Chao 1987): n + f₀/C … n + f₀·C with
//!   C = exp(z·sqrt(log(1 + se²/f₀²))), never below the count observed.

use crate::glm::Design;
use crate::model::{Heterogeneity, ModelSpec, fit_with_chao_rule_idx};
use crate::special::{chisq1_quantile, ln_gamma, norm_quantile};
use crate::table::CaptureTable;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    /// "profile", "lognormal", "chapman-lognormal", "wald"…
    pub method: String,
    pub level: f64,
    /// The point estimate the interval belongs to (for the profile
    /// interval, the maximiser of the profile likelihood).
    pub estimate: f64,
    pub low: f64,
    /// `None` when the upper limit lies beyond the search range (open).
    pub high: Option<f64>,
    /// When `high` is `None`: the interval extends beyond this value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_exceeds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntervalError {
    #[error("confidence level {0} must lie strictly between 0 and 1")]
    BadLevel(f64),
    #[error("the profile likelihood could not be computed: {0}")]
    Fit(String),
}

/// Chao's log-normal interval from N̂ and its standard error.
pub fn lognormal_interval(
    n: f64,
    estimate: f64,
    se: f64,
    level: f64,
) -> Result<Interval, IntervalError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(IntervalError::BadLevel(level));
    }
    let f0 = estimate - n;
    let z = norm_quantile(0.5 + level / 2.0);
    let (low, high) = if f0 > 0.0 && se > 0.0 {
        let c = (z * (1.0 + se * se / (f0 * f0)).ln().sqrt()).exp();
        (n + f0 / c, n + f0 * c)
    } else {
        (estimate, estimate)
    };
    Ok(Interval {
        method: "lognormal".into(),
        level,
        estimate,
        low,
        high: Some(high),
        high_exceeds: None,
    })
}

/// Cormack's correction term c(N) (as in Rcapture).
fn cormack(n0: f64, total: f64) -> f64 {
    if total > 100.0 {
        if n0 == 0.0 || n0 == 1.0 {
            -total + 0.5 * (2.0 * std::f64::consts::PI * total).ln()
        } else {
            n0 - total - 0.5 * (n0 / total).ln()
        }
    } else {
        let a = if n0 > 0.0 { n0 * n0.ln() } else { 0.0 };
        let b = if total > 0.0 { total * total.ln() } else { 0.0 };
        a + ln_gamma(total + 1.0) - b - ln_gamma(n0 + 1.0)
    }
}

struct Profile<'a> {
    design: Design,
    y: Vec<f64>,
    n: f64,
    chao_from: Option<usize>,
    /// Coefficients of the last fit, full length (zeros for η set to zero).
    warm: Option<Vec<f64>>,
    _t: &'a CaptureTable,
}

impl Profile<'_> {
    fn loglik(&mut self, big_n: f64) -> Result<f64, IntervalError> {
        let n0 = (big_n - self.n).max(0.0);
        let last = self.y.len() - 1;
        self.y[last] = n0;
        let start = self.warm.clone();
        let (_, fit, _, idx) = fit_with_chao_rule_idx(
            self.design.clone(),
            &self.y,
            self.chao_from,
            start.as_deref(),
        )
        .map_err(|e| IntervalError::Fit(e.to_string()))?;
        let ct = cormack(n0, big_n);
        let ll = -(fit.deviance - 2.0 * ct) / 2.0;
        let mut full = vec![0.0; self.design.cols];
        for (b, &i) in fit.beta.iter().zip(&idx) {
            full[i] = *b;
        }
        self.warm = Some(full);
        Ok(ll)
    }
}

/// Golden-section search for the maximum of f on [a, b].
fn maximise(
    mut f: impl FnMut(f64) -> Result<f64, IntervalError>,
    mut a: f64,
    mut b: f64,
    tol: f64,
) -> Result<(f64, f64), IntervalError> {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let mut fc = f(c)?;
    let mut fd = f(d)?;
    for _ in 0..200 {
        if (b - a).abs() < tol {
            break;
        }
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d)?;
        }
    }
    let x = (a + b) / 2.0;
    let fx = f(x)?;
    Ok((x, fx))
}

/// Root of f on [a, b] where f(a), f(b) have opposite signs: regula falsi
/// with the Illinois modification (superlinear, never leaves the bracket).
fn bisect(
    mut f: impl FnMut(f64) -> Result<f64, IntervalError>,
    mut a: f64,
    mut b: f64,
    tol: f64,
) -> Result<Option<f64>, IntervalError> {
    let mut fa = f(a)?;
    let mut fb = f(b)?;
    if fa == 0.0 {
        return Ok(Some(a));
    }
    if fb == 0.0 {
        return Ok(Some(b));
    }
    if fa.signum() == fb.signum() {
        return Ok(None);
    }
    let mut side = 0i8;
    for _ in 0..200 {
        let mut c = (a * fb - b * fa) / (fb - fa);
        if !c.is_finite() || c <= a.min(b) || c >= a.max(b) {
            c = 0.5 * (a + b);
        }
        let fc = f(c)?;
        if fc == 0.0 {
            return Ok(Some(c));
        }
        if fc.signum() == fb.signum() {
            b = c;
            fb = fc;
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb /= 2.0;
            }
            side = 1;
        }
        if (b - a).abs() < tol {
            break;
        }
        // Close enough in function value and a tiny step: converged.
        if fc.abs() < 1e-10 {
            return Ok(Some(c));
        }
    }
    Ok(Some(0.5 * (a + b)))
}

/// The profile-likelihood interval with Cormack's correction for `spec`,
/// given the model's Poisson estimate `estimate` (sets the search range).
pub fn profile_interval(
    table: &CaptureTable,
    spec: &ModelSpec,
    estimate: f64,
    level: f64,
) -> Result<Interval, IntervalError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(IntervalError::BadLevel(level));
    }
    let lists = table.lists();
    let k = lists.len();
    let d = spec.design(lists);
    let zero_row = {
        let mut r = vec![0.0; d.cols];
        r[0] = 1.0;
        r
    };
    let design = d.with_row(&zero_row);
    let mut y: Vec<f64> = table.counts()[1..].iter().map(|&c| c as f64).collect();
    y.push(0.0);
    let n = table.observed() as f64;
    let chao_from = matches!(spec.heterogeneity, Some(Heterogeneity::Chao)).then(|| {
        1 + match spec.base {
            crate::model::Base::M0 => 1,
            crate::model::Base::Mt => k,
        } + spec.interactions.len()
    });
    let mut p = Profile {
        design,
        y,
        n,
        chao_from,
        warm: None,
        _t: table,
    };
    let tol = 1e-4;
    let (nmax, lmax) = maximise(|x| p.loglik(x), n, 3.0 * estimate, tol)?;
    let target = lmax - chisq1_quantile(level) / 2.0;
    let low = bisect(|x| Ok(p.loglik(x)? - target), n, nmax, tol)?.unwrap_or(n);
    let upper_end = 3.0 * estimate;
    let high = bisect(|x| Ok(p.loglik(x)? - target), nmax, upper_end, tol)?;
    Ok(Interval {
        method: "profile".into(),
        level,
        estimate: nmax,
        low,
        high,
        high_exceeds: if high.is_none() {
            Some(upper_end)
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelSpec, fit_model, table_from_rcapture_order};

    /// Rcapture closedpCI.t(HIV, mX = ~ . + c1:c2): abundance 12308,
    /// 95 % interval 10266–14992.3 (published in the issue).
    #[test]
    fn hiv_profile_interval_matches_rcapture() {
        let lists: Vec<String> = ["c1", "c2", "c3", "c4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = table_from_rcapture_order(
            lists,
            &[0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205],
        )
        .unwrap();
        let spec = ModelSpec::parse("Mt+c1:c2", t.lists()).unwrap();
        let fit = fit_model(&t, &spec).unwrap();
        let ci = profile_interval(&t, &spec, fit.estimate, 0.95).unwrap();
        assert!((ci.estimate - 12308.0).abs() < 0.5, "{ci:?}");
        assert!((ci.low - 10266.0).abs() < 0.5, "{ci:?}");
        assert!((ci.high.unwrap() - 14992.3).abs() < 0.05, "{ci:?}");
    }

    #[test]
    fn lognormal_never_below_observed() {
        let ci = lognormal_interval(100.0, 150.0, 40.0, 0.95).unwrap();
        assert!(ci.low > 100.0 && ci.high.unwrap() > 150.0);
        // Chao (1987): C = exp(1.96 sqrt(log(1 + 40²/50²)))
        let c = (1.959963984540054 * (1.0f64 + 0.64).ln().sqrt()).exp();
        assert!((ci.low - (100.0 + 50.0 / c)).abs() < 1e-6);
        assert!(lognormal_interval(100.0, 150.0, 40.0, 1.5).is_err());
    }
}
