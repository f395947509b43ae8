//! Safe publication: from the archive's records to a public dataset that
//! contains only what the sensitivity labels and a [`PublicationPolicy`]
//! allow, and that passes a k-anonymity check over quasi-identifiers.
//!
//! The pipeline, for every record (see [`publish`]):
//!
//! 1. **Select.** A record is left out when its kind is not in the policy,
//!    its label is above the policy's `max_sensitivity` (which can never be
//!    confidential), it is limited to case access groups, or it is fictional
//!    (unless the policy includes fictional records, e.g. for a demo).
//! 2. **Redact** with the model's [`Record::redact`] at `max_sensitivity`:
//!    fields and names labelled above it are removed.
//! 3. **Allow-list.** Only the top-level fields the policy names for the kind
//!    are copied — a field added to the model later is not published until a
//!    policy names it. Names of persons can never be listed: persons are
//!    published under pseudonyms only. Then `drop` removes nested fields.
//! 4. **Generalize** places (to the first of self and ancestors whose place
//!    type the policy accepts, through a caller-supplied place lookup) and
//!    **coarsen** dates (to month, quarter or year).
//! 5. **Pseudonymize.** Ids of persons — and of acts, events and
//!    interventions unless the policy says otherwise, since an id such as
//!    `act-2023-10-09-0001` repeats an exact date — become stable pseudonyms
//!    `P-7K3Q9X2M4A`: HMAC-SHA256 under a secret key the caller supplies, so
//!    the same person has the same pseudonym in every release and no one
//!    without the key can reverse or recompute it. Every reference is then
//!    rewritten: to a pseudonym, kept (a published record), or removed (a
//!    record that is not published, so its id cannot leak).
//! 6. **k-anonymity.** For every kind with quasi-identifiers, published
//!    records are grouped by the values of those fields *as published*;
//!    a group smaller than `k` either refuses the whole publication (default)
//!    or, if the policy says `suppress`, removes that group's records. The
//!    error and the report name record ids and the quasi-identifier fields
//!    and their published values — never a value that is not published.
//!
//! Output records are sorted by kind and published id, so that the order of
//! the archive (often the order of intake) does not leak either.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tumen_model::date::{OPEN_END, OPEN_START};
use tumen_model::{PartialDate, Record, RecordId, RecordKind, Sensitivity};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Most path segments in a policy path (`status_history.place` has two).
const MAX_PATH_SEGMENTS: usize = 8;
/// Most ancestors followed when generalizing a place (guards against cycles).
const MAX_PLACE_DEPTH: usize = 32;

/// How coarse a published date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    Month,
    Quarter,
    Year,
}

/// What to do with an equivalence class smaller than `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallClass {
    /// Publish nothing and say which records blocked it.
    #[default]
    Refuse,
    /// Leave the records of small classes out, and report them.
    Suppress,
}

/// The rules for one record kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPolicy {
    /// Top-level fields to publish (an allow-list); `id` and `kind` always are.
    pub fields: Vec<String>,
    /// Nested fields to remove, as dotted paths through objects and lists,
    /// e.g. `status_history.note`.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Dates to coarsen: path → precision, e.g. `birth_date = "year"`.
    #[serde(default)]
    pub dates: BTreeMap<String, DatePrecision>,
    /// Places to generalize: path → accepted place types, e.g.
    /// `origin = ["county", "province", "country"]`: the first of the place
    /// and its ancestors whose type is listed is published instead.
    #[serde(default)]
    pub places: BTreeMap<String, Vec<String>>,
    /// Fields whose combination could single someone out, e.g. `sex`,
    /// `birth_date`, `origin`, `status_history.date`.
    #[serde(default)]
    pub quasi_identifiers: Vec<String>,
    /// Publish the ids of this kind as pseudonyms. Default: yes for persons
    /// (and persons cannot say no), acts, events and interventions; no for
    /// places, organizations and sources (reference data).
    #[serde(default)]
    pub pseudonymize: Option<bool>,
}

/// A publication policy, loaded by the command line from TOML or JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicationPolicy {
    /// Smallest equivalence class over the quasi-identifiers (at least 2).
    pub k: usize,
    /// Highest label published: `public` (default) or `restricted`. Never
    /// `confidential`.
    #[serde(default = "default_max")]
    pub max_sensitivity: Sensitivity,
    #[serde(default)]
    pub include_fictional: bool,
    #[serde(default)]
    pub on_small_class: SmallClass,
    /// Kinds published, with their rules. Kinds not listed are not published.
    pub kinds: BTreeMap<RecordKind, KindPolicy>,
}

fn default_max() -> Sensitivity {
    Sensitivity::Public
}

/// Why a policy is refused. Names the kind and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid JSON for a publication policy: {0}")]
    Syntax(String),
    #[error("k must be at least 2, got {0}")]
    K(usize),
    #[error(
        "max_sensitivity may be public or restricted; confidential records and fields are never published"
    )]
    Confidential,
    #[error("{kind}: `{field}` is not a field of this kind")]
    UnknownField { kind: RecordKind, field: String },
    #[error("{kind}: `names` cannot be published; persons are published under pseudonyms only")]
    PersonNames { kind: RecordKind },
    #[error("person: pseudonymize cannot be false")]
    PersonIds,
    #[error(
        "person: name the quasi-identifiers (e.g. sex, birth_date, origin); persons are never published without a k-anonymity check"
    )]
    PersonWithoutQuasiIdentifiers,
    #[error("{kind}: path `{path}` is malformed")]
    BadPath { kind: RecordKind, path: String },
    #[error("{kind}: path `{path}` does not start with a published field")]
    PathOutsideFields { kind: RecordKind, path: String },
}

impl PublicationPolicy {
    /// Parse and validate a policy from JSON (the command line converts TOML
    /// to the same structure).
    pub fn from_json(text: &str) -> Result<PublicationPolicy, PolicyError> {
        let p: PublicationPolicy =
            serde_json::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// Check the policy's own consistency (every field exists, no person
    /// names, k ≥ 2, never confidential).
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.k < 2 {
            return Err(PolicyError::K(self.k));
        }
        if self.max_sensitivity == Sensitivity::Confidential {
            return Err(PolicyError::Confidential);
        }
        for (&kind, kp) in &self.kinds {
            let known = Record::labelable_fields(kind);
            for f in &kp.fields {
                if !known.contains(&f.as_str()) {
                    return Err(PolicyError::UnknownField {
                        kind,
                        field: f.clone(),
                    });
                }
                if kind == RecordKind::Person && f == "names" {
                    return Err(PolicyError::PersonNames { kind });
                }
            }
            if kind == RecordKind::Person && kp.pseudonymize == Some(false) {
                return Err(PolicyError::PersonIds);
            }
            if kind == RecordKind::Person && kp.quasi_identifiers.is_empty() {
                return Err(PolicyError::PersonWithoutQuasiIdentifiers);
            }
            let paths = kp
                .drop
                .iter()
                .chain(kp.dates.keys())
                .chain(kp.places.keys())
                .chain(&kp.quasi_identifiers);
            for path in paths {
                let segs: Vec<&str> = path.split('.').collect();
                if segs.len() > MAX_PATH_SEGMENTS || segs.iter().any(|s| s.is_empty()) {
                    return Err(PolicyError::BadPath {
                        kind,
                        path: path.clone(),
                    });
                }
                if !segs
                    .first()
                    .is_some_and(|s| kp.fields.iter().any(|f| f == s))
                {
                    return Err(PolicyError::PathOutsideFields {
                        kind,
                        path: path.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn pseudonymized(&self, kind: RecordKind) -> bool {
        let default = matches!(
            kind,
            RecordKind::Person | RecordKind::Act | RecordKind::Event | RecordKind::Intervention
        );
        kind == RecordKind::Person
            || self
                .kinds
                .get(&kind)
                .and_then(|k| k.pseudonymize)
                .unwrap_or(default)
    }
}

/// The secret key of pseudonyms (32 bytes, kept in the archive's keyring).
/// Anyone holding it can recompute which pseudonym belongs to which id.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PseudonymKey(pub [u8; 32]);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The stable pseudonym of a record id: a kind letter, `-`, and 10 Crockford
/// base32 characters (50 bits) of HMAC-SHA256(key, "tumen-pseudonym-v1" ‖ id).
pub fn pseudonym(key: &PseudonymKey, kind: RecordKind, id: &RecordId) -> String {
    let letter = match kind {
        RecordKind::Person => 'P',
        RecordKind::Organization => 'O',
        RecordKind::Place => 'L',
        RecordKind::Event => 'E',
        RecordKind::Act => 'A',
        RecordKind::Source => 'S',
        RecordKind::Intervention => 'I',
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key.0) else {
        return String::new();
    };
    mac.update(b"tumen-pseudonym-v1\0");
    mac.update(id.as_str().as_bytes());
    let d = mac.finalize().into_bytes();
    let n = u64::from_be_bytes([0, d[0], d[1], d[2], d[3], d[4], d[5], d[6]]) >> 6; // 56 − 6 = 50 bits
    let mut s = String::with_capacity(12);
    s.push(letter);
    s.push('-');
    for i in (0..10).rev() {
        s.push(char::from(CROCKFORD[((n >> (5 * i)) & 31) as usize]));
    }
    s
}

/// What the place generalization needs to know of a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceInfo {
    pub place_type: String,
    pub parent: Option<RecordId>,
}

/// A place lookup built from records (for callers that hold all places).
pub fn place_index(records: &[Record]) -> HashMap<RecordId, PlaceInfo> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Place(p) => Some((
                p.id.clone(),
                PlaceInfo {
                    place_type: p.place_type.clone(),
                    parent: p.parent.clone(),
                },
            )),
            _ => None,
        })
        .collect()
}

/// Why a record was not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    KindNotInPolicy,
    AboveMaxSensitivity,
    AccessGroups,
    Fictional,
    SmallClass,
}

/// An equivalence class smaller than k: the records in it, and the
/// quasi-identifier fields with the values they would have been published with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmallClassReport {
    pub kind: RecordKind,
    pub quasi_identifiers: Vec<String>,
    /// Published values of the quasi-identifiers (canonical JSON).
    pub values: Vec<String>,
    /// Archive ids of the records in the class (for the operator only).
    pub ids: Vec<RecordId>,
}

/// What the operator is told about a publication. Contains archive ids —
/// keep it with the archive, do not publish it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationReport {
    pub k: usize,
    /// Records published, per kind.
    pub published: BTreeMap<RecordKind, usize>,
    /// Records left out, with why.
    pub excluded: Vec<(RecordId, Exclusion)>,
    /// Classes smaller than k that were suppressed (`on_small_class = suppress`).
    pub suppressed_classes: Vec<SmallClassReport>,
    /// Smallest equivalence class per kind with quasi-identifiers.
    pub smallest_class: BTreeMap<RecordKind, usize>,
    /// Dates that could not be read and were therefore left out.
    pub unreadable_dates: usize,
    /// Places with no ancestor of an accepted type, left out.
    pub ungeneralizable_places: usize,
    /// References to unpublished records that were removed.
    pub removed_references: usize,
}

/// The public dataset and the operator's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub records: Vec<Value>,
    pub report: PublicationReport,
}

/// Why nothing was published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("refused: {} equivalence class(es) smaller than k = {k}; first: {} {} records ({}) with {}", .classes.len(),
        .classes.first().map(|c| c.ids.len()).unwrap_or(0),
        .classes.first().map(|c| c.kind.as_str()).unwrap_or(""),
        .classes.first().map(|c| c.ids.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default(),
        .classes.first().map(|c| c.quasi_identifiers.join("+")).unwrap_or_default())]
    KAnonymity {
        k: usize,
        classes: Vec<SmallClassReport>,
    },
    #[error("two published ids have the same pseudonym; rotate the pseudonym key")]
    PseudonymCollision,
}

// ───────────────────────────── JSON paths ─────────────────────────────

/// Apply `f` to every leaf at `path` (lists are walked through, a list at
/// the leaf is applied element by element).
fn map_path(v: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut Value)) {
    match (path.split_first(), v) {
        (_, Value::Array(items)) => items.iter_mut().for_each(|i| map_path(i, path, f)),
        (None, v) => f(v),
        (Some((head, rest)), Value::Object(m)) => {
            if let Some(child) = m.get_mut(*head) {
                map_path(child, rest, f);
            }
        }
        _ => {}
    }
}

fn drop_path(v: &mut Value, path: &[&str]) {
    match (path, v) {
        (_, Value::Array(items)) => items.iter_mut().for_each(|i| drop_path(i, path)),
        ([last], Value::Object(m)) => {
            m.remove(*last);
        }
        ([head, rest @ ..], Value::Object(m)) => {
            if let Some(child) = m.get_mut(*head) {
                drop_path(child, rest);
            }
        }
        _ => {}
    }
}

fn collect_path(v: &Value, path: &[&str]) -> Value {
    match (path.split_first(), v) {
        (_, Value::Array(items)) => {
            Value::Array(items.iter().map(|i| collect_path(i, path)).collect())
        }
        (None, v) => v.clone(),
        (Some((head, rest)), Value::Object(m)) => {
            m.get(*head).map_or(Value::Null, |c| collect_path(c, rest))
        }
        _ => Value::Null,
    }
}

// ───────────────────────────── dates ─────────────────────────────

/// Civil date (year, month, day) of a day number (days since 0000-03-01),
/// the inverse of `tumen_model::day_number` (H. Hinnant's algorithm).
pub(crate) fn civil_from_day(n: i64) -> (i64, u32, u32) {
    let era = n.div_euclid(146_097);
    let doe = n.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn fmt_point(day: i64, p: DatePrecision) -> String {
    let (y, m, _) = civil_from_day(day);
    match p {
        DatePrecision::Year => format!("{y:04}"),
        DatePrecision::Month => format!("{y:04}-{m:02}"),
        DatePrecision::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
    }
}

/// Coarsen an EDTF date text to `p`: the result is the smallest date (or
/// interval) of that precision containing the original's bounds, so it is
/// never more precise than what was said. A qualifier (`~`, `?`, `%`) is
/// kept. Returns None for a text that is not a date.
pub fn coarsen_date(text: &str, p: DatePrecision) -> Option<String> {
    let d = PartialDate::parse(text).ok()?;
    let Some((lo, hi)) = d.bounds() else {
        return Some("unknown".into());
    };
    if matches!(d, PartialDate::Unknown) {
        return Some("unknown".into());
    }
    let q = if !d.is_qualified() {
        ""
    } else if !text.contains('?') && !text.contains('%') {
        "~"
    } else if !text.contains('~') && !text.contains('%') {
        "?"
    } else {
        "%"
    };
    let end = |day: i64, open: i64| {
        if day == open {
            "..".to_string()
        } else {
            format!("{}{q}", fmt_point(day, p))
        }
    };
    let a = end(lo, OPEN_START);
    let b = end(hi, OPEN_END);
    Some(if a == b { a } else { format!("{a}/{b}") })
}

// ───────────────────────────── publication ─────────────────────────────

struct Ctx<'a> {
    policy: &'a PublicationPolicy,
    key: &'a PseudonymKey,
    /// Kind of every record in the input; None for ids only referenced.
    kinds: HashMap<RecordId, Option<RecordKind>>,
}

fn exclusion(policy: &PublicationPolicy, r: &Record) -> Option<Exclusion> {
    if !policy.kinds.contains_key(&r.kind()) {
        Some(Exclusion::KindNotInPolicy)
    } else if r.sensitivity() > policy.max_sensitivity
        || r.sensitivity() == Sensitivity::Confidential
    {
        Some(Exclusion::AboveMaxSensitivity)
    } else if !r.access_groups().is_empty() {
        Some(Exclusion::AccessGroups)
    } else if r.is_fictional() && !policy.include_fictional {
        Some(Exclusion::Fictional)
    } else {
        None
    }
}

/// The published form of one selected record, given the set of ids that
/// will be published.
fn transform(
    ctx: &Ctx<'_>,
    r: &Record,
    published: &BTreeSet<&RecordId>,
    places: &dyn Fn(&RecordId) -> Option<PlaceInfo>,
    report: &mut PublicationReport,
) -> Value {
    let kind = r.kind();
    let max = ctx.policy.max_sensitivity.min(Sensitivity::Restricted);
    let Some(kp) = ctx.policy.kinds.get(&kind) else {
        return Value::Null;
    };
    let red = r.redact(max);
    let full = serde_json::to_value(&red).unwrap_or(Value::Null);
    let mut out = Map::new();
    for f in &kp.fields {
        // The model's redaction removed these already; checking the label
        // again here costs nothing and survives a bug in either place.
        if r.field_level(f) > max {
            continue;
        }
        if let Some(v) = full.get(f.as_str()) {
            out.insert(f.clone(), v.clone());
        }
    }
    // A name labelled higher than max survives neither redact nor this.
    if let Some(Value::Array(names)) = out.get_mut("names") {
        names.retain(|n| {
            n.get("sensitivity")
                .and_then(Value::as_str)
                .and_then(Sensitivity::parse)
                .is_none_or(|s| s <= max)
        });
        for n in names.iter_mut() {
            if let Value::Object(m) = n {
                m.remove("sensitivity");
            }
        }
    }
    let mut v = Value::Object(out);
    for path in &kp.drop {
        drop_path(&mut v, &path.split('.').collect::<Vec<_>>());
    }
    for (path, accepted) in &kp.places {
        let segs: Vec<&str> = path.split('.').collect();
        map_path(&mut v, &segs, &mut |leaf| {
            let Some(id) = leaf.as_str().and_then(|s| RecordId::new(s).ok()) else {
                return;
            };
            let mut cur = Some(id);
            let mut found = None;
            for _ in 0..MAX_PLACE_DEPTH {
                let Some(c) = cur.take() else { break };
                let Some(info) = places(&c) else { break };
                if accepted.contains(&info.place_type) {
                    found = Some(c);
                    break;
                }
                cur = info.parent;
            }
            match found {
                Some(p) => *leaf = Value::String(p.to_string()),
                None => {
                    report.ungeneralizable_places += 1;
                    *leaf = Value::Null;
                }
            }
        });
    }
    for (path, precision) in &kp.dates {
        let segs: Vec<&str> = path.split('.').collect();
        map_path(&mut v, &segs, &mut |leaf| {
            if let Some(s) = leaf.as_str() {
                match coarsen_date(s, *precision) {
                    Some(c) => *leaf = Value::String(c),
                    None => {
                        report.unreadable_dates += 1;
                        *leaf = Value::Null;
                    }
                }
            }
        });
    }
    rewrite_refs(ctx, &mut v, published, report);
    if let Value::Object(m) = &mut v {
        let id = if ctx.policy.pseudonymized(kind) {
            pseudonym(ctx.key, kind, r.id())
        } else {
            r.id().to_string()
        };
        m.insert("id".into(), Value::String(id));
        m.insert("kind".into(), Value::String(kind.as_str().into()));
    }
    v
}

/// Rewrite every string that is a known record id: pseudonym, kept, or removed.
fn rewrite_refs(
    ctx: &Ctx<'_>,
    v: &mut Value,
    published: &BTreeSet<&RecordId>,
    report: &mut PublicationReport,
) {
    enum Fate {
        Keep,
        Replace(String),
        Remove,
    }
    let fate = |s: &str| -> Fate {
        let Ok(id) = RecordId::new(s) else {
            return Fate::Keep;
        };
        let kind = match ctx.kinds.get(&id) {
            None => return Fate::Keep,
            Some(None) => return Fate::Remove,
            Some(Some(k)) => *k,
        };
        if kind == RecordKind::Person {
            Fate::Replace(pseudonym(ctx.key, kind, &id))
        } else if !published.contains(&id) {
            Fate::Remove
        } else if ctx.policy.pseudonymized(kind) {
            Fate::Replace(pseudonym(ctx.key, kind, &id))
        } else {
            Fate::Keep
        }
    };
    match v {
        Value::String(s) => match fate(s) {
            Fate::Keep => {}
            Fate::Replace(p) => *s = p,
            Fate::Remove => {
                report.removed_references += 1;
                *v = Value::Null;
            }
        },
        Value::Array(items) => {
            items.retain(|i| match i {
                Value::String(s) => {
                    !matches!(fate(s), Fate::Remove) || {
                        report.removed_references += 1;
                        false
                    }
                }
                _ => true,
            });
            items
                .iter_mut()
                .for_each(|i| rewrite_refs(ctx, i, published, report));
        }
        Value::Object(m) => m
            .values_mut()
            .for_each(|i| rewrite_refs(ctx, i, published, report)),
        _ => {}
    }
}

fn small_classes(
    policy: &PublicationPolicy,
    out: &[(&Record, Value)],
    report: &mut PublicationReport,
) -> Vec<SmallClassReport> {
    let mut small = Vec::new();
    report.smallest_class.clear();
    for (&kind, kp) in &policy.kinds {
        if kp.quasi_identifiers.is_empty() {
            continue;
        }
        let mut classes: BTreeMap<Vec<String>, Vec<RecordId>> = BTreeMap::new();
        for (r, v) in out.iter().filter(|(r, _)| r.kind() == kind) {
            let key = kp
                .quasi_identifiers
                .iter()
                .map(|q| collect_path(v, &q.split('.').collect::<Vec<_>>()).to_string())
                .collect();
            classes.entry(key).or_default().push(r.id().clone());
        }
        if let Some(min) = classes.values().map(Vec::len).min() {
            report.smallest_class.insert(kind, min);
        }
        for (values, ids) in classes {
            if ids.len() < policy.k {
                small.push(SmallClassReport {
                    kind,
                    quasi_identifiers: kp.quasi_identifiers.clone(),
                    values,
                    ids,
                });
            }
        }
    }
    small
}

/// Publish `records` under `policy`. `places` looks up a place's type and
/// parent (see [`place_index`]); `key` is the pseudonym key. Returns the
/// public records and the operator's report, or refuses.
pub fn publish(
    records: &[Record],
    policy: &PublicationPolicy,
    key: &PseudonymKey,
    places: &dyn Fn(&RecordId) -> Option<PlaceInfo>,
) -> Result<Publication, PublishError> {
    policy.validate()?;
    let mut report = PublicationReport {
        k: policy.k,
        ..Default::default()
    };
    // Ids referenced but absent from the input (kind None) are removed like
    // unpublished records: a caller that passes only part of the archive
    // must not leak the ids of the rest.
    let mut kinds: HashMap<RecordId, Option<RecordKind>> = HashMap::new();
    for r in records {
        for id in r.refs() {
            kinds.entry(id).or_insert(None);
        }
    }
    for r in records {
        kinds.insert(r.id().clone(), Some(r.kind()));
    }
    let ctx = Ctx { policy, key, kinds };
    let mut selected: Vec<&Record> = Vec::new();
    for r in records {
        match exclusion(policy, r) {
            Some(why) => report.excluded.push((r.id().clone(), why)),
            None => selected.push(r),
        }
    }
    let mut suppressed: BTreeSet<RecordId> = BTreeSet::new();
    let mut rounds = 0;
    let out = loop {
        rounds += 1;
        let published: BTreeSet<&RecordId> = selected
            .iter()
            .map(|r| r.id())
            .filter(|id| !suppressed.contains(*id))
            .collect();
        let mut round_report = report.clone();
        let out: Vec<(&Record, Value)> = selected
            .iter()
            .filter(|r| published.contains(r.id()))
            .map(|r| {
                (
                    *r,
                    transform(&ctx, r, &published, places, &mut round_report),
                )
            })
            .collect();
        let small = small_classes(policy, &out, &mut round_report);
        if small.is_empty() {
            report = round_report;
            break out;
        }
        if policy.on_small_class == SmallClass::Refuse || rounds > 3 {
            return Err(PublishError::KAnonymity {
                k: policy.k,
                classes: small,
            });
        }
        for c in small {
            suppressed.extend(c.ids.iter().cloned());
            report.suppressed_classes.push(c);
        }
    };
    for id in &suppressed {
        report.excluded.push((id.clone(), Exclusion::SmallClass));
    }
    let mut seen = BTreeSet::new();
    let mut records_out: Vec<Value> = Vec::with_capacity(out.len());
    for (r, v) in out {
        *report.published.entry(r.kind()).or_default() += 1;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !seen.insert(id) {
            return Err(PublishError::PseudonymCollision);
        }
        records_out.push(v);
    }
    records_out.sort_by(|a, b| {
        let k = |v: &Value| {
            (
                v["kind"].as_str().unwrap_or("").to_string(),
                v["id"].as_str().unwrap_or("").to_string(),
            )
        };
        k(a).cmp(&k(b))
    });
    Ok(Publication {
        records: records_out,
        report,
    })
}

#[cfg(test)]
mod tests;
