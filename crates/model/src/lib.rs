//! The tumen record model: "who did what to whom, when, where, according to whom".
//!
//! Pure data and validation, no I/O. Modelled on the HURIDOCS Events Standard
//! Formats, adapted to forced repatriation from China to North Korea.
//!
//! * [`envelope`] — what every record shares (id, kind, sensitivity) and the
//!   [`envelope::IndexTerms`] a store indexes for filtering. This is the
//!   contract between the model and any storage backend.

pub mod envelope;

pub use envelope::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
