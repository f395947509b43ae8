//! Poisson regression with a log link, fitted by iteratively reweighted least
//! squares (Fisher scoring = Newton for the canonical link), the way R's
//! `glm(family = poisson)` fits it, so that deviance and AIC agree with
//! Rcapture to the printed digits.
//!
//! Shaped for capture tables: small dense designs (at most 2^15 − 1 rows,
//! a few hundred columns), solved by Cholesky on the normal equations. A
//! column that is a linear combination of others is reported by name rather
//! than silently dropped, and a fit whose parameters run away (the maximum
//! likelihood estimate does not exist) is reported as such by the caller,
//! which looks at `beta` and `mu`.

use crate::special::ln_gamma;

/// A dense design matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub rows: usize,
    pub cols: usize,
    pub x: Vec<f64>,
    pub names: Vec<String>,
}

impl Design {
    pub fn new(rows: usize, names: Vec<String>) -> Self {
        let cols = names.len();
        Design {
            rows,
            cols,
            x: vec![0.0; rows * cols],
            names,
        }
    }
    pub fn set(&mut self, r: usize, c: usize, v: f64) {
        self.x[r * self.cols + c] = v;
    }
    pub fn row(&self, r: usize) -> &[f64] {
        &self.x[r * self.cols..(r + 1) * self.cols]
    }
    /// The same design without column `c`.
    pub fn without_column(&self, c: usize) -> Design {
        let mut names = self.names.clone();
        names.remove(c);
        let mut d = Design::new(self.rows, names);
        for r in 0..self.rows {
            let mut j = 0;
            for (i, v) in self.row(r).iter().enumerate() {
                if i != c {
                    d.x[r * d.cols + j] = *v;
                    j += 1;
                }
            }
        }
        d
    }
    /// The same design with one more row appended.
    pub fn with_row(&self, row: &[f64]) -> Design {
        let mut d = self.clone();
        d.x.extend_from_slice(row);
        d.rows += 1;
        d
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PoissonFit {
    pub beta: Vec<f64>,
    /// Inverse Fisher information (R's `cov.unscaled`), p × p row-major.
    pub cov: Vec<f64>,
    pub mu: Vec<f64>,
    pub deviance: f64,
    /// Full Poisson log-likelihood, log y! kept (as R's `logLik`).
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("the term {0} cannot be estimated: it is a combination of the model's other terms")]
    Collinear(String),
    #[error("the model has {params} parameters but only {cells} cells to fit them")]
    TooManyParameters { params: usize, cells: usize },
    #[error("the fit produced non-finite values")]
    NonFinite,
    #[error(
        "the parameters run off to infinity while fitting: the maximum-likelihood estimate does not exist for these data"
    )]
    Diverged,
}

/// Cholesky factorisation in place (lower triangle). Returns the index of
/// the first column found to be (numerically) dependent on earlier ones.
pub(crate) fn cholesky(a: &mut [f64], p: usize) -> Result<(), usize> {
    for j in 0..p {
        let mut d = a[j * p + j];
        let orig = d;
        for k in 0..j {
            d -= a[j * p + k] * a[j * p + k];
        }
        // A pivot that is not positive (or is NaN) means a singular matrix.
        if d.is_nan() || d <= 1e-13 * orig.abs().max(1e-300) || !d.is_finite() {
            return Err(j);
        }
        let d = d.sqrt();
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / d;
        }
    }
    Ok(())
}

/// Solve L Lᵀ x = b in place given the Cholesky factor.
pub(crate) fn chol_solve(l: &[f64], p: usize, b: &mut [f64]) {
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
    for i in (0..p).rev() {
        let mut s = b[i];
        for k in i + 1..p {
            s -= l[k * p + i] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
}

/// Poisson deviance 2 Σ [y log(y/μ) − (y − μ)].
pub fn deviance(y: &[f64], mu: &[f64]) -> f64 {
    2.0 * y
        .iter()
        .zip(mu)
        .map(|(&y, &m)| {
            if y > 0.0 {
                y * (y / m).ln() - (y - m)
            } else {
                m
            }
        })
        .sum::<f64>()
}

/// Poisson log-likelihood Σ [y log μ − μ − log y!].
pub fn loglik(y: &[f64], mu: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            if y > 0.0 {
                y * m.ln() - m - ln_gamma(y + 1.0)
            } else {
                -m
            }
        })
        .sum()
}

fn weighted_normal_equations(d: &Design, w: &[f64], z: &[f64], a: &mut [f64], b: &mut [f64]) {
    let p = d.cols;
    a.iter_mut().for_each(|v| *v = 0.0);
    b.iter_mut().for_each(|v| *v = 0.0);
    for r in 0..d.rows {
        let x = d.row(r);
        let wr = w[r];
        if wr == 0.0 {
            continue;
        }
        for i in 0..p {
            let xi = x[i] * wr;
            if xi == 0.0 {
                continue;
            }
            b[i] += xi * z[r];
            for j in 0..=i {
                a[i * p + j] += xi * x[j];
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            a[j * p + i] = a[i * p + j];
        }
    }
}

/// Fit y ~ Poisson(exp(Xβ)). `start` warm-starts from given coefficients.
///
/// Columns are scaled to a largest absolute value of 1 for the solve (a
/// Poisson2 heterogeneity column reaches 2^15 − 1 with 15 lists) and the
/// coefficients and covariance scaled back.
pub fn fit_poisson(d: &Design, y: &[f64], start: Option<&[f64]>) -> Result<PoissonFit, FitError> {
    let p = d.cols;
    let scale: Vec<f64> = (0..p)
        .map(|j| {
            (0..d.rows)
                .map(|r| d.x[r * p + j].abs())
                .fold(0.0, f64::max)
        })
        .collect();
    if let Some(j) = scale
        .iter()
        .position(|s| s.is_nan() || *s <= 0.0 || !s.is_finite())
    {
        return Err(FitError::Collinear(
            d.names.get(j).cloned().unwrap_or_default(),
        ));
    }
    let mut ds = d.clone();
    for row in ds.x.chunks_mut(p.max(1)) {
        for (v, s) in row.iter_mut().zip(&scale) {
            *v /= s;
        }
    }
    let st: Option<Vec<f64>> = start.map(|s| s.iter().zip(&scale).map(|(b, c)| b * c).collect());
    let mut f = fit_poisson_scaled(&ds, y, st.as_deref())?;
    for j in 0..p {
        f.beta[j] /= scale[j];
        for i in 0..p {
            f.cov[i * p + j] /= scale[i] * scale[j];
        }
    }
    Ok(f)
}

fn fit_poisson_scaled(
    d: &Design,
    y: &[f64],
    start: Option<&[f64]>,
) -> Result<PoissonFit, FitError> {
    let (n, p) = (d.rows, d.cols);
    if p > n {
        return Err(FitError::TooManyParameters {
            params: p,
            cells: n,
        });
    }
    let mut a = vec![0.0; p * p];
    let mut b = vec![0.0; p];
    let mut z = vec![0.0; n];
    // Structural rank: a column that depends on others whatever the data.
    weighted_normal_equations(d, &vec![1.0; n], &z, &mut a, &mut b);
    if let Err(j) = cholesky(&mut a, p) {
        return Err(FitError::Collinear(
            d.names.get(j).cloned().unwrap_or_default(),
        ));
    }
    let mut eta = vec![0.0; n];
    let mut mu = vec![0.0; n];
    let mut beta = vec![0.0; p];
    let mut have_beta = false;
    match start {
        Some(s) if s.len() == p && s.iter().all(|v| v.is_finite()) => {
            beta.copy_from_slice(s);
            have_beta = true;
            for r in 0..n {
                eta[r] = d.row(r).iter().zip(&beta).map(|(x, b)| x * b).sum();
                mu[r] = eta[r].exp();
            }
        }
        _ => {
            for r in 0..n {
                mu[r] = y[r] + 0.1;
                eta[r] = mu[r].ln();
            }
        }
    }
    let mut dev = deviance(y, &mu);
    let mut converged = false;
    let mut iterations = 0;
    for it in 0..200 {
        iterations = it + 1;
        for r in 0..n {
            z[r] = eta[r] + (y[r] - mu[r]) / mu[r];
        }
        weighted_normal_equations(d, &mu, &z, &mut a, &mut b);
        if cholesky(&mut a, p).is_err() {
            // Full rank by construction, singular at these fitted values:
            // some fitted cells have collapsed to zero.
            return Err(FitError::Diverged);
        }
        chol_solve(&a, p, &mut b);
        let mut new_beta = b.clone();
        let mut new_dev;
        let mut halvings = 0;
        loop {
            for r in 0..n {
                eta[r] = d.row(r).iter().zip(&new_beta).map(|(x, b)| x * b).sum();
                mu[r] = eta[r].exp();
            }
            new_dev = deviance(y, &mu);
            let bad =
                !new_dev.is_finite() || (have_beta && new_dev > dev + 1e-9 * (dev.abs() + 1.0));
            if !bad || halvings >= 40 {
                break;
            }
            if !have_beta {
                // The first step from μ = y + 0.1 overflowed (a column such
                // as θ^c − 1 over many lists): fall back to the intercept-
                // only coefficients as the point to halve towards.
                let mean = y.iter().sum::<f64>() / n as f64;
                beta.iter_mut().for_each(|v| *v = 0.0);
                beta[0] = (mean + 0.1).ln();
                for (r, m) in mu.iter_mut().enumerate().take(n) {
                    let e: f64 = d.row(r).iter().zip(&beta).map(|(x, b)| x * b).sum();
                    *m = e.exp();
                }
                dev = deviance(y, &mu);
                have_beta = true;
            }
            halvings += 1;
            for (nb, ob) in new_beta.iter_mut().zip(&beta) {
                *nb = 0.5 * (*nb + ob);
            }
        }
        if !new_dev.is_finite() {
            return Err(FitError::NonFinite);
        }
        let change = (new_dev - dev).abs() / (new_dev.abs() + 0.1);
        beta = new_beta;
        have_beta = true;
        dev = new_dev;
        if change < 1e-12 && it > 0 {
            converged = true;
            break;
        }
    }
    // Covariance at the final fitted values.
    weighted_normal_equations(d, &mu, &z, &mut a, &mut b);
    if cholesky(&mut a, p).is_err() {
        return Err(FitError::Diverged);
    }
    let mut cov = vec![0.0; p * p];
    let mut e = vec![0.0; p];
    for j in 0..p {
        e.iter_mut().for_each(|v| *v = 0.0);
        e[j] = 1.0;
        chol_solve(&a, p, &mut e);
        for i in 0..p {
            cov[i * p + j] = e[i];
        }
    }
    if beta.iter().any(|v| !v.is_finite()) || cov.iter().any(|v| !v.is_finite()) {
        return Err(FitError::NonFinite);
    }
    let ll = loglik(y, &mu);
    Ok(PoissonFit {
        beta,
        cov,
        mu,
        deviance: dev,
        loglik: ll,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intercept_only_fits_the_mean() {
        let mut d = Design::new(4, vec!["(Intercept)".into()]);
        for r in 0..4 {
            d.set(r, 0, 1.0);
        }
        let y = [1.0, 2.0, 3.0, 6.0];
        let f = fit_poisson(&d, &y, None).unwrap();
        assert!((f.beta[0] - 3.0f64.ln()).abs() < 1e-10);
        // Var(log mean) = 1 / (sum y)
        assert!((f.cov[0] - 1.0 / 12.0).abs() < 1e-10);
    }

    #[test]
    fn collinear_column_is_named() {
        let mut d = Design::new(3, vec!["a".into(), "b".into()]);
        for r in 0..3 {
            d.set(r, 0, 1.0);
            d.set(r, 1, 2.0);
        }
        let e = fit_poisson(&d, &[1.0, 2.0, 3.0], None).unwrap_err();
        assert_eq!(e, FitError::Collinear("b".into()));
    }
}
