//! The tumen record model: "who did what to whom, when, where, according to whom".
//!
//! Pure data and validation, no I/O. Modelled on the HURIDOCS Events Standard
//! Formats, adapted to forced repatriation from China to North Korea.
//!
//! * [`envelope`] — what every record shares (id, kind, sensitivity) and the
//!   [`envelope::IndexTerms`] a store indexes for filtering. This is the
//!   contract between the model and any storage backend.
//! * [`date`] — partial dates (EDTF levels 0/1): `2023-10`, `2023-Q3`,
//!   `2023-08/..`, with day bounds for filtering and sorting.
//! * [`count`] — approximate counts: `about 500`, `500–600`, `at least 406`.
//! * [`vocab`] — controlled vocabularies with English and Korean labels.
//! * [`record`] — the seven record kinds, claims, validation, redaction.
//! * [`flat`] — CSV rows ↔ records, for import and export.

pub mod count;
pub mod date;
pub mod envelope;
pub mod flat;
pub mod record;
pub mod vocab;

pub use count::{Count, CountError};
pub use date::{DateError, PartialDate, day_number, year_of_day};
pub use envelope::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
pub use record::{
    Act, Claim, Coordinates, Event, FieldError, Intervention, Involvement, JsonError, Name,
    Organization, Person, Place, Record, Source, StatusTransition,
};
pub use vocab::{Term, UserTerm, Vocab, VocabError, Vocabularies};
