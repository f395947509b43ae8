//! Multiple systems estimation (capture–recapture over several incomplete
//! lists) with honest uncertainty. Pure computation: no I/O.
//!
//! * [`table`] — the capture table every method consumes.

pub mod lcmcr;
pub mod table;

pub use table::{CaptureTable, TableError};
