//! Multiple systems estimation (capture–recapture over several incomplete
//! lists) with honest uncertainty. Pure computation: no I/O.
//!
//! * [`table`] — the capture table every method consumes.
//! * [`input`] — counts per capture pattern from CSV text, with strata.
//! * [`glm`] — Poisson regression (IRLS) as R's `glm` fits it.
//! * [`model`] — M0, Mt, heterogeneity and hierarchical log-linear models.
//! * [`special`] — log-gamma and normal quantiles.
//! * [`interval`] — profile-likelihood (Cormack) and log-normal intervals.
//! * [`twolist`] — Lincoln–Petersen and Chapman.
//! * [`search`] — all hierarchical models, with the heterogeneity models
//!   beside them, ranked by AIC/BIC; stepwise selection.
//! * [`report`] — [`estimate`]: one call from table and request to report.

pub mod glm;
pub mod input;
pub mod interval;
pub mod lcmcr;
pub mod model;
pub mod plot;
pub mod report;
pub mod search;
pub mod special;
pub mod table;
pub mod twolist;

pub use input::{InputError, StratifiedCounts, parse_counts_csv, parse_counts_csv_stratified};
pub use report::{
    EstimateError, EstimateReport, EstimateRequest, Estimates, StratifiedReport, estimate,
    estimate_counts, estimate_stratified,
};
pub use table::{CaptureTable, TableError};
