//! The records: who did what to whom, when, where — according to whom.
//!
//! Seven kinds, after the HURIDOCS Events Standard Formats, adapted to forced
//! repatriation: [`Person`] (or a group of people), [`Organization`],
//! [`Place`], [`Event`], [`Act`], [`Source`] and [`Intervention`]. One
//! [`Record`] enum carries them, serialised as JSON tagged by `"kind"`; every
//! struct denies unknown fields so a typo in a file is an error, not a field
//! silently dropped.
//!
//! **Sources and claims.** Facts carry [`Claim`]s: which source says so, how
//! credible that is (1–6) and how the source knows (saw it, heard from the
//! victim…). *Nothing enters without a source*: persons, events, acts,
//! interventions and every status transition need at least one claim.
//! Sources do not (they are the evidence); places and organizations do not
//! either (they are reference entities, like a gazetteer).
//!
//! **Sensitivity of fields.** A record has one sensitivity label; single
//! fields can be labelled higher with `field_sensitivity` (top-level field
//! name → label), and single names carry their own `sensitivity`. We chose a
//! per-field map over a flat list of "confidential fields" because
//! publication needs a third level: a public record can hold a *restricted*
//! field (the village of origin) and a *confidential* one (the legal name).
//! List elements other than names are not labelled one by one: element
//! paths like `names[1]` would point at another element after an edit and
//! expose it; a name's label travels with the name instead.
//! [`Record::redact`] removes everything above a reader's clearance.
//!
//! **Validation** ([`Record::validate`]) returns every problem at once as
//! [`FieldError`]s with a path (`involvements[1].degree`) and a reason; it
//! never repeats field values, which may be confidential. Dangling
//! references are the store's to check ([`Record::refs`] lists them).

use crate::count::Count;
use crate::date::PartialDate;
use crate::envelope::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
use crate::vocab::{Vocab, Vocabularies};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Longest free text (descriptions, notes): 64 KiB of UTF-8.
pub const MAX_TEXT: usize = 64 * 1024;
/// Longest short text (a name, a title, a locator): 1 KiB.
pub const MAX_SHORT: usize = 1024;
/// Most names on one record.
pub const MAX_NAMES: usize = 1000;
/// Most elements of any other list (victims, claims, places…).
pub const MAX_LIST: usize = 10_000;
/// Most access groups on one record.
pub const MAX_GROUPS: usize = 100;

/// One problem found by validation or import: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the field, e.g. `involvements[1].degree` (or a CSV column name).
    pub path: String,
    /// Why the value is refused. Never contains the value itself.
    pub reason: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A source's statement of a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The [`Source`] record.
    pub source: RecordId,
    /// Credibility of this claim, 1 (confirmed) to 6 (cannot be judged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credibility: Option<u8>,
    /// How the source knows: a `basis` vocabulary code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Where in the source: page, paragraph, minute of a recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Claim {
    /// A claim with only its source.
    pub fn from_source(source: RecordId) -> Claim {
        Claim {
            source,
            credibility: None,
            basis: None,
            locator: None,
            note: None,
        }
    }
}

/// A name of a person, organization or place, in one script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub text: String,
    /// `name_script` code: hangul, hanja, latin, other.
    pub script: String,
    /// `name_kind` code: legal, alias, romanization_as_given…
    pub kind: String,
    /// Language tag (`ko`, `zh`, `en`), if it matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// A label for this name alone, when higher than the record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
}

/// One dated step in what happened to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusTransition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    /// `person_status` code.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<RecordId>,
    /// The organization holding or acting on the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A person, or a group of people treated as one victim ("about 500 people
/// returned on 9 October 2023") when `group_size` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    pub names: Vec<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<PartialDate>,
    /// Place of origin (home town or county).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Set for a group: how many people it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_size: Option<Count>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_history: Vec<StatusTransition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

impl Person {
    /// Is this record a group of people (it has a head count)?
    pub fn is_group(&self) -> bool {
        self.group_size.is_some()
    }
}

/// An institution: perpetrator, state, UN body, NGO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    pub names: Vec<Name>,
    /// `org_type` code.
    pub org_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// Latitude and longitude in decimal degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

/// A place: country, province, city, border crossing, facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    pub names: Vec<Name>,
    /// `place_type` code.
    pub place_type: String,
    /// `facility_type` code, for detention facilities and camps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// A happening, e.g. a mass repatriation, that acts belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    /// `event_type` code.
    pub event_type: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_affected: Option<Count>,
    /// `transport` codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transport: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Events that led to this one (chain of events).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<RecordId>,
    /// Events that followed from this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub later: Vec<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// A perpetrator's part in an act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Involvement {
    /// A person or organization record.
    pub perpetrator: RecordId,
    /// `involvement` code.
    pub degree: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One typed act against one or more victims (persons or groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Act {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    /// `act_type` code.
    pub act_type: String,
    pub victims: Vec<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub involvements: Vec<Involvement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// Where information comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    /// `source_type` code.
    pub source_type: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Admiralty reliability grade `A`–`F`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<String>,
    /// Language tag of the source (`en`, `ko`, `zh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An action taken on a case: a UN letter, a state's reply, a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intervention {
    pub id: RecordId,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub fictional: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sensitivity: BTreeMap<String, Sensitivity>,
    /// `intervention_type` code.
    pub intervention_type: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    /// Who sent it (first) and to whom: organizations or persons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<RecordId>,
    /// `intervention_status` code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The intervention this one answers (a state reply answers a letter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responds_to: Option<RecordId>,
    /// Reference number, e.g. of a UN communication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persons: Vec<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// Any record, tagged by `"kind"` in its JSON form.
///
/// Deserialising reads `kind` and then streams the other fields straight into
/// the kind's struct when `kind` comes first (as tumen writes it); otherwise
/// it buffers the object first. Both paths accept the same documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Person(Person),
    Organization(Organization),
    Place(Place),
    Event(Event),
    Act(Act),
    Source(Source),
    Intervention(Intervention),
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

fn record_of<'de, D: serde::Deserializer<'de>>(kind: RecordKind, d: D) -> Result<Record, D::Error> {
    Ok(match kind {
        RecordKind::Person => Record::Person(Person::deserialize(d)?),
        RecordKind::Organization => Record::Organization(Organization::deserialize(d)?),
        RecordKind::Place => Record::Place(Place::deserialize(d)?),
        RecordKind::Event => Record::Event(Event::deserialize(d)?),
        RecordKind::Act => Record::Act(Act::deserialize(d)?),
        RecordKind::Source => Record::Source(Source::deserialize(d)?),
        RecordKind::Intervention => Record::Intervention(Intervention::deserialize(d)?),
    })
}

impl<'de> serde::de::Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record: a JSON object with a \"kind\" field")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        use serde::de::Error;
        let Some(first) = map.next_key::<String>()? else {
            return Err(A::Error::missing_field("kind"));
        };
        if first == "kind" {
            let kind: RecordKind = map.next_value()?;
            return record_of(kind, serde::de::value::MapAccessDeserializer::new(map));
        }
        // Slow path: `kind` is not first; buffer the object.
        let mut obj = serde_json::Map::new();
        obj.insert(first, map.next_value::<serde_json::Value>()?);
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            obj.insert(k, v);
        }
        let kind = obj
            .remove("kind")
            .ok_or_else(|| A::Error::missing_field("kind"))?;
        let kind = RecordKind::deserialize(kind).map_err(A::Error::custom)?;
        record_of(kind, serde_json::Value::Object(obj)).map_err(A::Error::custom)
    }
}

/// Apply `$body` to the inner struct of any record variant.
macro_rules! each {
    ($rec:expr, $r:ident => $body:expr) => {
        match $rec {
            Record::Person($r) => $body,
            Record::Organization($r) => $body,
            Record::Place($r) => $body,
            Record::Event($r) => $body,
            Record::Act($r) => $body,
            Record::Source($r) => $body,
            Record::Intervention($r) => $body,
        }
    };
}

/// Why a JSON text is not a record. The message names the field and the
/// rule but never a value: serde's "invalid type: string \"…\"" wording is
/// scrubbed, because the value may be a confidential name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    message: String,
    line: usize,
    column: usize,
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> JsonError {
        JsonError {
            message: scrub_serde_message(&e.to_string()),
            line: e.line(),
            column: e.column(),
        }
    }
}

impl JsonError {
    /// Line of the problem in the parsed text (1-based).
    pub fn line(&self) -> usize {
        self.line
    }
    /// Column of the problem (1-based).
    pub fn column(&self) -> usize {
        self.column
    }
}

/// Remove the values serde quotes in "invalid type/value/length" messages
/// (`string "Kim"`, `` integer `5` ``, `` floating point `41.2` ``), keeping
/// their type and the rest of the message.
pub(crate) fn scrub_serde_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(pos) = ["invalid type: ", "invalid value: "]
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
        .min()
    {
        let (i, plen) = pos;
        out.push_str(&rest[..i + plen]);
        rest = &rest[i + plen..];
        let end = rest.find(", expected").unwrap_or(rest.len());
        let unexpected = &rest[..end];
        match unexpected.find(['"', '`']) {
            Some(q) => {
                out.push_str(unexpected[..q].trim_end());
                out.push_str(" (value withheld)");
            }
            None => out.push_str(unexpected),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

impl Record {
    /// Parse one record from its JSON form (one line of a JSON Lines file).
    /// Serde errors name the field and the line/column, e.g. "unknown field
    /// `nmes`, expected one of …".
    pub fn from_json(text: &str) -> Result<Record, JsonError> {
        Ok(serde_json::from_str(text)?)
    }

    /// The JSON form, on one line.
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: all map keys are strings.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn id(&self) -> &RecordId {
        each!(self, r => &r.id)
    }
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Person(_) => RecordKind::Person,
            Record::Organization(_) => RecordKind::Organization,
            Record::Place(_) => RecordKind::Place,
            Record::Event(_) => RecordKind::Event,
            Record::Act(_) => RecordKind::Act,
            Record::Source(_) => RecordKind::Source,
            Record::Intervention(_) => RecordKind::Intervention,
        }
    }
    pub fn sensitivity(&self) -> Sensitivity {
        each!(self, r => r.sensitivity)
    }
    pub fn access_groups(&self) -> &[String] {
        each!(self, r => &r.access_groups)
    }
    pub fn is_fictional(&self) -> bool {
        each!(self, r => r.fictional)
    }
    pub fn field_sensitivity(&self) -> &BTreeMap<String, Sensitivity> {
        each!(self, r => &r.field_sensitivity)
    }
    /// The record-level claims (empty for sources).
    pub fn claims(&self) -> &[Claim] {
        match self {
            Record::Source(_) => &[],
            Record::Person(r) => &r.claims,
            Record::Organization(r) => &r.claims,
            Record::Place(r) => &r.claims,
            Record::Event(r) => &r.claims,
            Record::Act(r) => &r.claims,
            Record::Intervention(r) => &r.claims,
        }
    }

    /// What access control needs.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            id: self.id().clone(),
            kind: self.kind(),
            sensitivity: self.sensitivity(),
            access_groups: self.access_groups().to_vec(),
        }
    }

    /// The fields of this kind that `field_sensitivity` may label.
    pub fn labelable_fields(kind: RecordKind) -> &'static [&'static str] {
        match kind {
            RecordKind::Person => &[
                "names",
                "sex",
                "birth_date",
                "origin",
                "categories",
                "group_size",
                "status_history",
                "description",
                "claims",
            ],
            RecordKind::Organization => &["names", "org_type", "parent", "description", "claims"],
            RecordKind::Place => &[
                "names",
                "place_type",
                "facility_type",
                "coordinates",
                "parent",
                "description",
                "claims",
            ],
            RecordKind::Event => &[
                "event_type",
                "title",
                "date",
                "places",
                "people_affected",
                "transport",
                "description",
                "earlier",
                "later",
                "claims",
            ],
            RecordKind::Act => &[
                "act_type",
                "victims",
                "date",
                "place",
                "involvements",
                "event",
                "description",
                "claims",
            ],
            RecordKind::Source => &[
                "source_type",
                "title",
                "author",
                "publisher",
                "date",
                "url",
                "reliability",
                "language",
                "description",
            ],
            RecordKind::Intervention => &[
                "intervention_type",
                "title",
                "date",
                "parties",
                "status",
                "responds_to",
                "reference",
                "acts",
                "persons",
                "events",
                "description",
                "claims",
            ],
        }
    }

    /// The label that applies to a top-level field: the record's, or the
    /// field's own if higher.
    pub fn field_level(&self, field: &str) -> Sensitivity {
        let own = self.field_sensitivity().get(field).copied();
        self.sensitivity().max(own.unwrap_or(Sensitivity::Public))
    }

    /// Is this field labelled confidential on its own (a field-level label,
    /// not just the record's)?
    fn field_marked_confidential(&self, field: &str) -> bool {
        self.field_sensitivity().get(field) == Some(&Sensitivity::Confidential)
    }

    /// Empty one top-level field (to its default). Returns false for a name
    /// that is not a labelable field of this kind.
    fn clear_field(&mut self, field: &str) -> bool {
        macro_rules! clear {
            ($r:expr, $($f:ident),*) => {
                match field {
                    $(stringify!($f) => { $r.$f = Default::default(); true })*
                    _ => false,
                }
            };
        }
        match self {
            Record::Person(r) => clear!(
                r,
                names,
                sex,
                birth_date,
                origin,
                categories,
                group_size,
                status_history,
                description,
                claims
            ),
            Record::Organization(r) => clear!(r, names, org_type, parent, description, claims),
            Record::Place(r) => clear!(
                r,
                names,
                place_type,
                facility_type,
                coordinates,
                parent,
                description,
                claims
            ),
            Record::Event(r) => clear!(
                r,
                event_type,
                title,
                date,
                places,
                people_affected,
                transport,
                description,
                earlier,
                later,
                claims
            ),
            Record::Act(r) => clear!(
                r,
                act_type,
                victims,
                date,
                place,
                involvements,
                event,
                description,
                claims
            ),
            Record::Source(r) => clear!(
                r,
                source_type,
                title,
                author,
                publisher,
                date,
                url,
                reliability,
                language,
                description
            ),
            Record::Intervention(r) => clear!(
                r,
                intervention_type,
                title,
                date,
                parties,
                status,
                responds_to,
                reference,
                acts,
                persons,
                events,
                description,
                claims
            ),
        }
    }

    fn names_mut(&mut self) -> Option<&mut Vec<Name>> {
        match self {
            Record::Person(r) => Some(&mut r.names),
            Record::Organization(r) => Some(&mut r.names),
            Record::Place(r) => Some(&mut r.names),
            _ => None,
        }
    }

    /// The names of a person, organization or place (empty for other kinds).
    pub fn names(&self) -> &[Name] {
        match self {
            Record::Person(r) => &r.names,
            Record::Organization(r) => &r.names,
            Record::Place(r) => &r.names,
            _ => &[],
        }
    }

    /// A short label for lists and timelines: the first name (or title)
    /// that is not confidential, else the id. Acts are labelled by type.
    /// Never shows a confidential name — call it on a redacted record to
    /// respect a reader's clearance as well.
    pub fn label(&self) -> String {
        let names_level = self.field_level("names");
        let name = self.names().iter().find(|n| {
            names_level.max(n.sensitivity.unwrap_or(Sensitivity::Public))
                < Sensitivity::Confidential
        });
        let title = |t: &str| {
            (self.field_level("title") < Sensitivity::Confidential && !t.trim().is_empty())
                .then(|| t.to_string())
        };
        let label = match self {
            Record::Person(_) | Record::Organization(_) | Record::Place(_) => {
                name.map(|n| n.text.clone())
            }
            Record::Event(r) => title(&r.title),
            Record::Source(r) => title(&r.title),
            Record::Intervention(r) => title(&r.title),
            Record::Act(r) => (!r.act_type.is_empty()).then(|| r.act_type.replace('_', " ")),
        };
        label.unwrap_or_else(|| self.id().to_string())
    }

    /// The record as a reader with `clearance` may see it: every field and
    /// name labelled above the clearance is removed (emptied). If the whole
    /// record is above the clearance — the caller should not have shown it —
    /// only id, kind, label and the fictional mark remain.
    pub fn redact(&self, clearance: Sensitivity) -> Record {
        let mut out = self.clone();
        let kind = self.kind();
        if self.sensitivity() > clearance {
            for f in Record::labelable_fields(kind) {
                out.clear_field(f);
            }
            each!(&mut out, r => {
                r.access_groups.clear();
            });
            return out;
        }
        let to_clear: Vec<String> = self
            .field_sensitivity()
            .iter()
            .filter(|(_, s)| **s > clearance)
            .map(|(f, _)| f.clone())
            .collect();
        for f in &to_clear {
            out.clear_field(f);
        }
        if let Some(names) = out.names_mut() {
            names.retain(|n| n.sensitivity.is_none_or(|s| s <= clearance));
        }
        out
    }

    /// Every record this one refers to, sorted, without repeats.
    pub fn refs(&self) -> Vec<RecordId> {
        let mut set: BTreeSet<&RecordId> = BTreeSet::new();
        for c in self.claims() {
            set.insert(&c.source);
        }
        match self {
            Record::Person(r) => {
                set.extend(&r.origin);
                for t in &r.status_history {
                    set.extend(&t.place);
                    set.extend(&t.organization);
                    set.extend(t.claims.iter().map(|c| &c.source));
                }
            }
            Record::Organization(r) => set.extend(&r.parent),
            Record::Place(r) => set.extend(&r.parent),
            Record::Event(r) => {
                set.extend(&r.places);
                set.extend(&r.earlier);
                set.extend(&r.later);
            }
            Record::Act(r) => {
                set.extend(&r.victims);
                set.extend(&r.place);
                set.extend(r.involvements.iter().map(|i| &i.perpetrator));
                set.extend(&r.event);
            }
            Record::Source(_) => {}
            Record::Intervention(r) => {
                set.extend(&r.parties);
                set.extend(&r.responds_to);
                set.extend(&r.acts);
                set.extend(&r.persons);
                set.extend(&r.events);
            }
        }
        set.into_iter().cloned().collect()
    }

    /// The date a record is filed under: the act's, event's or
    /// intervention's date, a source's publication date, the span of a
    /// person's status history. Places and organizations have none.
    pub fn date_bounds(&self) -> Option<(i64, i64)> {
        let d = |d: &Option<PartialDate>| d.as_ref().and_then(PartialDate::bounds);
        match self {
            Record::Act(r) => d(&r.date),
            Record::Event(r) => d(&r.date),
            Record::Intervention(r) => d(&r.date),
            Record::Source(r) => d(&r.date),
            Record::Person(r) => r
                .status_history
                .iter()
                .filter_map(|t| d(&t.date))
                .reduce(|(a, b), (c, e)| (a.min(c), b.max(e))),
            Record::Organization(_) | Record::Place(_) => None,
        }
    }

    /// What a store indexes. Vocabulary terms are written `vocab:code`
    /// (plus `fictional:true` for fictional records). Fields labelled
    /// confidential on their own contribute nothing but references; text
    /// (names, titles) comes only from fields and names whose effective
    /// label is below confidential — so a confidential record adds no text.
    pub fn index_terms(&self) -> IndexTerms {
        let mut t = IndexTerms::default();
        let hide = |f: &str| self.field_marked_confidential(f);
        let date_field = match self {
            Record::Person(_) => "status_history",
            _ => "date",
        };
        if !hide(date_field) {
            if let Some((lo, hi)) = self.date_bounds() {
                t.date_lo = Some(lo);
                t.date_hi = Some(hi);
            }
        }
        let mut terms: BTreeSet<String> = BTreeSet::new();
        let mut term = |field: &str, v: Vocab, code: &Option<String>| {
            if let Some(c) = code {
                if !self.field_marked_confidential(field) {
                    // Built by hand: `format!` costs several times more,
                    // on every term of every imported record.
                    let v = v.as_str();
                    let mut k = String::with_capacity(v.len() + 1 + c.len());
                    k.push_str(v);
                    k.push(':');
                    k.push_str(c);
                    terms.insert(k);
                }
            }
        };
        let mut places: Vec<RecordId> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let text_ok = |f: &str| self.field_level(f) < Sensitivity::Confidential;
        match self {
            Record::Person(r) => {
                term("sex", Vocab::Sex, &r.sex);
                for c in &r.categories {
                    term("categories", Vocab::Category, &Some(c.clone()));
                }
                for s in &r.status_history {
                    term(
                        "status_history",
                        Vocab::PersonStatus,
                        &Some(s.status.clone()),
                    );
                }
                if !hide("origin") {
                    places.extend(r.origin.iter().cloned());
                }
                if !hide("status_history") {
                    places.extend(r.status_history.iter().filter_map(|s| s.place.clone()));
                }
            }
            Record::Organization(r) => {
                term("org_type", Vocab::OrgType, &Some(r.org_type.clone()));
                if !hide("parent") {
                    t.parent = r.parent.clone();
                }
            }
            Record::Place(r) => {
                term("place_type", Vocab::PlaceType, &Some(r.place_type.clone()));
                term("facility_type", Vocab::FacilityType, &r.facility_type);
                if !hide("parent") {
                    t.parent = r.parent.clone();
                }
            }
            Record::Event(r) => {
                term("event_type", Vocab::EventType, &Some(r.event_type.clone()));
                for c in &r.transport {
                    term("transport", Vocab::Transport, &Some(c.clone()));
                }
                if !hide("places") {
                    places.extend(r.places.iter().cloned());
                }
                if text_ok("title") {
                    texts.push(r.title.clone());
                }
            }
            Record::Act(r) => {
                term("act_type", Vocab::ActType, &Some(r.act_type.clone()));
                for i in &r.involvements {
                    term("involvements", Vocab::Involvement, &Some(i.degree.clone()));
                }
                if !hide("place") {
                    places.extend(r.place.iter().cloned());
                }
            }
            Record::Source(r) => {
                term(
                    "source_type",
                    Vocab::SourceType,
                    &Some(r.source_type.clone()),
                );
                term("reliability", Vocab::Reliability, &r.reliability);
                if text_ok("title") {
                    texts.push(r.title.clone());
                }
            }
            Record::Intervention(r) => {
                term(
                    "intervention_type",
                    Vocab::InterventionType,
                    &Some(r.intervention_type.clone()),
                );
                term("status", Vocab::InterventionStatus, &r.status);
                if text_ok("title") {
                    texts.push(r.title.clone());
                }
            }
        }
        if self.is_fictional() {
            terms.insert("fictional:true".to_string());
        }
        let names_level = self.field_level("names");
        for n in self.names() {
            let level = names_level.max(n.sensitivity.unwrap_or(Sensitivity::Public));
            if level < Sensitivity::Confidential {
                texts.push(n.text.clone());
            }
        }
        places.sort();
        places.dedup();
        texts.dedup();
        t.places = places;
        t.terms = terms.into_iter().collect();
        t.refs = self.refs();
        t.text = texts;
        t
    }

    /// Check everything that can be checked without the store: vocabulary
    /// codes, sources present, sizes, dates and counts. Returns every problem.
    pub fn validate(&self, vocabs: &Vocabularies) -> Result<(), Vec<FieldError>> {
        let mut v = Validator {
            vocabs,
            errors: Vec::new(),
        };
        v.common(self);
        match self {
            Record::Person(r) => v.person(r),
            Record::Organization(r) => {
                v.names("names", &r.names, true);
                v.code("org_type", Vocab::OrgType, &r.org_type);
                v.not_self("parent", &r.id, r.parent.as_ref());
                v.opt_text("description", &r.description, MAX_TEXT);
                v.claims("claims", &r.claims, false);
            }
            Record::Place(r) => {
                v.names("names", &r.names, true);
                v.code("place_type", Vocab::PlaceType, &r.place_type);
                v.opt_code("facility_type", Vocab::FacilityType, &r.facility_type);
                if let Some(c) = &r.coordinates {
                    if !(c.lat.is_finite() && (-90.0..=90.0).contains(&c.lat)) {
                        v.err(
                            "coordinates.lat",
                            "latitude must be between -90 and 90 degrees",
                        );
                    }
                    if !(c.lon.is_finite() && (-180.0..=180.0).contains(&c.lon)) {
                        v.err(
                            "coordinates.lon",
                            "longitude must be between -180 and 180 degrees",
                        );
                    }
                }
                v.not_self("parent", &r.id, r.parent.as_ref());
                v.opt_text("description", &r.description, MAX_TEXT);
                v.claims("claims", &r.claims, false);
            }
            Record::Event(r) => {
                v.code("event_type", Vocab::EventType, &r.event_type);
                v.text("title", &r.title, MAX_SHORT, true);
                v.ids("places", &r.places);
                v.count("people_affected", r.people_affected.as_ref());
                v.codes("transport", Vocab::Transport, &r.transport);
                v.opt_text("description", &r.description, MAX_TEXT);
                v.ids("earlier", &r.earlier);
                v.ids("later", &r.later);
                for (name, list) in [("earlier", &r.earlier), ("later", &r.later)] {
                    if list.contains(&r.id) {
                        v.err(name, "an event cannot precede or follow itself");
                    }
                }
                if r.earlier.iter().any(|e| r.later.contains(e)) {
                    v.err("later", "an event is listed both as earlier and as later");
                }
                v.claims("claims", &r.claims, true);
            }
            Record::Act(r) => {
                v.code("act_type", Vocab::ActType, &r.act_type);
                if r.victims.is_empty() {
                    v.err(
                        "victims",
                        "an act needs at least one victim (a person or a group)",
                    );
                }
                v.ids("victims", &r.victims);
                if r.victims.contains(&r.id) {
                    v.err("victims", "an act cannot be its own victim");
                }
                if r.involvements.len() > MAX_LIST {
                    v.err("involvements", format!("more than {MAX_LIST} involvements"));
                }
                let list = At::Field("involvements");
                for (i, inv) in r.involvements.iter().enumerate() {
                    v.code(
                        At::Item(&list, i, "degree"),
                        Vocab::Involvement,
                        &inv.degree,
                    );
                    v.opt_text(At::Item(&list, i, "note"), &inv.note, MAX_TEXT);
                    if inv.perpetrator == r.id {
                        v.err(
                            At::Item(&list, i, "perpetrator").path(),
                            "an act cannot be its own perpetrator",
                        );
                    }
                }
                v.not_self("place", &r.id, r.place.as_ref());
                v.not_self("event", &r.id, r.event.as_ref());
                v.opt_text("description", &r.description, MAX_TEXT);
                v.claims("claims", &r.claims, true);
            }
            Record::Source(r) => {
                v.code("source_type", Vocab::SourceType, &r.source_type);
                v.text("title", &r.title, MAX_SHORT, true);
                v.opt_text("author", &r.author, MAX_SHORT);
                v.opt_text("publisher", &r.publisher, MAX_SHORT);
                if let Some(u) = &r.url {
                    let scheme_ok = u.starts_with("https://") || u.starts_with("http://");
                    if !scheme_ok
                        || u.len() > 2048
                        || u.chars().any(|c| c.is_whitespace() || c.is_control())
                    {
                        v.err(
                            "url",
                            "must be an http(s) URL of at most 2048 characters without spaces",
                        );
                    }
                }
                v.opt_code("reliability", Vocab::Reliability, &r.reliability);
                v.lang("language", r.language.as_deref());
                v.opt_text("description", &r.description, MAX_TEXT);
            }
            Record::Intervention(r) => {
                v.code(
                    "intervention_type",
                    Vocab::InterventionType,
                    &r.intervention_type,
                );
                v.text("title", &r.title, MAX_SHORT, true);
                v.ids("parties", &r.parties);
                v.opt_code("status", Vocab::InterventionStatus, &r.status);
                v.not_self("responds_to", &r.id, r.responds_to.as_ref());
                v.opt_text("reference", &r.reference, MAX_SHORT);
                v.ids("acts", &r.acts);
                v.ids("persons", &r.persons);
                v.ids("events", &r.events);
                v.opt_text("description", &r.description, MAX_TEXT);
                v.claims("claims", &r.claims, true);
            }
        }
        if v.errors.is_empty() {
            Ok(())
        } else {
            Err(v.errors)
        }
    }
}

struct Validator<'a> {
    vocabs: &'a Vocabularies,
    errors: Vec<FieldError>,
}

/// Where a checked value sits: a field, or an item (or a field of an item)
/// of a list. Spelled out only when a message names it: formatting the
/// path of every value checked, valid or not, was a tenth of an import's
/// parsing thread.
#[derive(Clone, Copy)]
enum At<'a> {
    Field(&'a str),
    /// `{list}[{index}]`, then `.{field}` unless `field` is empty.
    Item(&'a At<'a>, usize, &'static str),
}

impl<'a> From<&'a str> for At<'a> {
    fn from(f: &'a str) -> Self {
        At::Field(f)
    }
}

impl At<'_> {
    fn path(&self) -> String {
        match self {
            At::Field(f) => f.to_string(),
            At::Item(list, i, field) => {
                let mut p = format!("{}[{i}]", list.path());
                if !field.is_empty() {
                    p.push('.');
                    p.push_str(field);
                }
                p
            }
        }
    }
}

impl Validator<'_> {
    fn err(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FieldError::new(path, reason));
    }

    fn common(&mut self, rec: &Record) {
        let groups = rec.access_groups();
        if groups.len() > MAX_GROUPS {
            self.err(
                "access_groups",
                format!("more than {MAX_GROUPS} access groups"),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, g) in groups.iter().enumerate() {
            let ok = !g.is_empty()
                && g.len() <= 64
                && g.bytes().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-'
                });
            if !ok {
                self.err(
                    format!("access_groups[{i}]"),
                    "group names are 1–64 characters of a–z, 0–9, _ and -",
                );
            }
            if !seen.insert(g) {
                self.err(format!("access_groups[{i}]"), "group listed twice");
            }
        }
        let allowed = Record::labelable_fields(rec.kind());
        for field in rec.field_sensitivity().keys() {
            if !allowed.contains(&field.as_str()) {
                self.err(
                    format!("field_sensitivity.{}", safe_key(field)),
                    format!(
                        "a {} record has no labelable field of that name (allowed: {})",
                        rec.kind(),
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn person(&mut self, r: &Person) {
        self.names("names", &r.names, true);
        self.opt_code("sex", Vocab::Sex, &r.sex);
        if let Some((lo, _)) = r.birth_date.as_ref().and_then(PartialDate::bounds) {
            if lo != crate::date::OPEN_START && lo < crate::date::day_number(1850, 1, 1) {
                self.err(
                    "birth_date",
                    "birth date before 1850 is not plausible for a living case",
                );
            }
        }
        self.not_self("origin", &r.id, r.origin.as_ref());
        self.codes("categories", Vocab::Category, &r.categories);
        if let Some(c) = &r.group_size {
            self.count("group_size", Some(c));
            if c.bounds().is_some_and(|(_, hi)| hi == Some(0)) {
                self.err("group_size", "a group has at least one person");
            }
        }
        if r.status_history.len() > MAX_LIST {
            self.err(
                "status_history",
                format!("more than {MAX_LIST} transitions"),
            );
        }
        let mut prev: Option<(usize, i64)> = None;
        let list = At::Field("status_history");
        for (i, t) in r.status_history.iter().enumerate() {
            self.code(At::Item(&list, i, "status"), Vocab::PersonStatus, &t.status);
            self.opt_text(At::Item(&list, i, "note"), &t.note, MAX_TEXT);
            self.claims(At::Item(&list, i, "claims"), &t.claims, true);
            if let Some((lo, hi)) = t.date.as_ref().and_then(PartialDate::bounds) {
                if let Some((j, prev_lo)) = prev {
                    if hi < prev_lo {
                        self.err(At::Item(&list, i, "date").path(), format!("is before the date of status_history[{j}]; list transitions in time order"));
                    }
                }
                prev = Some((i, lo));
            }
        }
        self.opt_text("description", &r.description, MAX_TEXT);
        self.claims("claims", &r.claims, true);
    }

    fn code<'p>(&mut self, path: impl Into<At<'p>>, vocab: Vocab, code: &str) {
        if !self.vocabs.contains(vocab, code) {
            let reason = if code.is_empty() {
                format!("a {} code is required", vocab.as_str())
            } else {
                format!(
                    "not a term of the {} vocabulary (see `tumen vocab list {}`)",
                    vocab.as_str(),
                    vocab.as_str()
                )
            };
            self.err(path.into().path(), reason);
        }
    }

    fn opt_code<'p>(&mut self, path: impl Into<At<'p>>, vocab: Vocab, code: &Option<String>) {
        if let Some(c) = code {
            self.code(path, vocab, c);
        }
    }

    fn codes(&mut self, path: &str, vocab: Vocab, codes: &[String]) {
        if codes.len() > MAX_LIST {
            self.err(path, format!("more than {MAX_LIST} entries"));
            return;
        }
        let list = At::Field(path);
        let mut seen = BTreeSet::new();
        for (i, c) in codes.iter().enumerate() {
            self.code(At::Item(&list, i, ""), vocab, c);
            if !seen.insert(c) {
                self.err(At::Item(&list, i, "").path(), "listed twice");
            }
        }
    }

    fn ids(&mut self, path: &str, ids: &[RecordId]) {
        if ids.len() > MAX_LIST {
            self.err(path, format!("more than {MAX_LIST} entries"));
        }
        let mut seen = BTreeSet::new();
        for (i, id) in ids.iter().enumerate() {
            if !seen.insert(id) {
                self.err(format!("{path}[{i}]"), "listed twice");
            }
        }
    }

    fn not_self(&mut self, path: &str, own: &RecordId, other: Option<&RecordId>) {
        if other == Some(own) {
            self.err(path, "a record cannot refer to itself here");
        }
    }

    fn text<'p>(&mut self, path: impl Into<At<'p>>, s: &str, max: usize, required: bool) {
        let path = path.into();
        if required && s.trim().is_empty() {
            self.err(path.path(), "is required and must not be blank");
        }
        if s.len() > max {
            self.err(path.path(), format!("longer than {max} bytes"));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            self.err(path.path(), "contains control characters");
        }
    }

    fn opt_text<'p>(&mut self, path: impl Into<At<'p>>, s: &Option<String>, max: usize) {
        if let Some(s) = s {
            self.text(path, s, max, false);
        }
    }

    fn lang<'p>(&mut self, path: impl Into<At<'p>>, tag: Option<&str>) {
        if let Some(tag) = tag {
            let mut parts = tag.split('-');
            let primary_ok = parts.next().is_some_and(|p| {
                (2..=3).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_lowercase())
            });
            let rest_ok = parts.all(|p| {
                (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric())
            });
            if !(primary_ok && rest_ok) {
                self.err(
                    path.into().path(),
                    "must be a BCP 47 language tag such as ko, zh, en or zh-Hans",
                );
            }
        }
    }

    fn count(&mut self, _path: &str, _c: Option<&Count>) {
        // Counts are checked when parsed (negative, inverted, too large); an
        // `unknown` count is allowed. Kept as a hook for kind-specific limits.
    }

    fn names<'p>(&mut self, path: impl Into<At<'p>>, names: &[Name], required: bool) {
        let path = path.into();
        if required && names.is_empty() {
            self.err(
                path.path(),
                "at least one name is needed (for an unnamed person or group, a descriptive_label)",
            );
        }
        if names.len() > MAX_NAMES {
            self.err(path.path(), format!("more than {MAX_NAMES} names"));
            return;
        }
        for (i, n) in names.iter().enumerate() {
            self.text(At::Item(&path, i, "text"), &n.text, MAX_SHORT, true);
            self.code(At::Item(&path, i, "script"), Vocab::NameScript, &n.script);
            self.code(At::Item(&path, i, "kind"), Vocab::NameKind, &n.kind);
            self.lang(At::Item(&path, i, "lang"), n.lang.as_deref());
        }
    }

    fn claims<'p>(&mut self, path: impl Into<At<'p>>, claims: &[Claim], required: bool) {
        let path = path.into();
        if required && claims.is_empty() {
            self.err(
                path.path(),
                "at least one claim is needed: nothing enters without a source",
            );
        }
        if claims.len() > MAX_LIST {
            self.err(path.path(), format!("more than {MAX_LIST} claims"));
            return;
        }
        for (i, c) in claims.iter().enumerate() {
            if let Some(cr) = c.credibility {
                if !(1..=6).contains(&cr) {
                    self.err(
                        At::Item(&path, i, "credibility").path(),
                        "credibility must be 1 (confirmed) to 6 (cannot be judged)",
                    );
                }
            }
            self.opt_code(At::Item(&path, i, "basis"), Vocab::Basis, &c.basis);
            self.opt_text(At::Item(&path, i, "locator"), &c.locator, MAX_SHORT);
            self.opt_text(At::Item(&path, i, "note"), &c.note, MAX_TEXT);
        }
    }
}

/// A map key echoed in a path: only if it looks like a field name, so a
/// mistyped value pasted as a key is not repeated in an error.
fn safe_key(k: &str) -> String {
    if k.len() <= 40 && k.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
        k.to_string()
    } else {
        "<key>".to_string()
    }
}

#[cfg(test)]
mod tests;
