//! What every record shares, and what a store needs to index it.
//!
//! A store never interprets a record's body: it keeps the body as an opaque
//! JSON document and indexes the [`IndexTerms`] the model derives from it.
//! That keeps SQLite and (later) PostgreSQL backends free of model logic.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable record identifier, e.g. `act-2023-10-09-0001` or a generated
/// `prs-01HF…`. Ids are ASCII `[A-Za-z0-9._:-]`, 1–128 characters, so they can
/// travel in URLs, CSV cells and file names without escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(String);

/// Why a string is not a valid [`RecordId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIdError {
    #[error("record id is empty")]
    Empty,
    #[error("record id is longer than 128 characters")]
    TooLong,
    #[error("record id contains {0:?}; only letters, digits and . _ : - are allowed")]
    BadChar(char),
}

impl RecordId {
    pub fn new(s: impl Into<String>) -> Result<Self, RecordIdError> {
        let s = s.into();
        if s.is_empty() {
            return Err(RecordIdError::Empty);
        }
        if s.len() > 128 {
            return Err(RecordIdError::TooLong);
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
        {
            return Err(RecordIdError::BadChar(c));
        }
        Ok(RecordId(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RecordId {
    type Error = RecordIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RecordId::new(s)
    }
}
impl From<RecordId> for String {
    fn from(id: RecordId) -> String {
        id.0
    }
}
impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kinds of record. The string form is what stores and files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Person,
    Organization,
    Place,
    Event,
    Act,
    Source,
    Intervention,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Person,
        RecordKind::Organization,
        RecordKind::Place,
        RecordKind::Event,
        RecordKind::Act,
        RecordKind::Source,
        RecordKind::Intervention,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::Organization => "organization",
            RecordKind::Place => "place",
            RecordKind::Event => "event",
            RecordKind::Act => "act",
            RecordKind::Source => "source",
            RecordKind::Intervention => "intervention",
        }
    }
    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may see a record (or a field). Ordered: `Public < Restricted < Confidential`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Public,
    #[default]
    Restricted,
    Confidential,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Restricted => "restricted",
            Sensitivity::Confidential => "confidential",
        }
    }
    pub fn parse(s: &str) -> Option<Sensitivity> {
        match s {
            "public" => Some(Sensitivity::Public),
            "restricted" => Some(Sensitivity::Restricted),
            "confidential" => Some(Sensitivity::Confidential),
            _ => None,
        }
    }
}

impl fmt::Display for Sensitivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a store indexes so that `list`/`query` filters run in the database
/// rather than by decoding every record.
///
/// Dates are stored as the inclusive day-number bounds of the record's
/// (possibly partial) date: day numbers count days since 0000-03-01 in the
/// proleptic Gregorian calendar (see `date::day_number`), so a filter
/// "2023-Q3" matches a record dated "2023-08" because their intervals overlap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexTerms {
    /// Earliest possible day of the record's date, if it has one.
    pub date_lo: Option<i64>,
    /// Latest possible day of the record's date, if it has one.
    pub date_hi: Option<i64>,
    /// The parent of a place or organization (for "place including
    /// sub-places" and organization hierarchies).
    pub parent: Option<RecordId>,
    /// Places the record happened at (not their ancestors: the store expands
    /// "place including sub-places" through the place hierarchy).
    pub places: Vec<RecordId>,
    /// Vocabulary terms: act types, categories, facility types, event types…
    /// written `vocab:term`, e.g. `act_type:torture`, `category:it_worker`.
    pub terms: Vec<String>,
    /// Every record this one refers to (victims, perpetrators, sources,
    /// parent place, linked events…), for reverse look-ups and for refusing
    /// to delete a record something still points at.
    pub refs: Vec<RecordId>,
    /// Names and labels for text search. Only filled from fields whose
    /// sensitivity allows it: the store encrypts them all the same.
    pub text: Vec<String>,
}

/// What access control needs to know about a record without decoding it:
/// stored beside the (encrypted) body by every backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: RecordId,
    pub kind: RecordKind,
    pub sensitivity: Sensitivity,
    /// Per-case access groups ("only the team working this case"): when not
    /// empty, a reader must belong to one of them, whatever their role.
    pub access_groups: Vec<String>,
}
