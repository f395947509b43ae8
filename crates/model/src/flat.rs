//! Records as flat rows, for CSV import and export.
//!
//! Spreadsheets are how most documentation arrives, so every kind has a
//! documented column convention. Column names are the JSON field names
//! (so `tumen import --map "Victim name=name"` maps onto them), except
//! `sources` for the claims, `perpetrators` for the involvements and
//! `lat`/`lon` for the coordinates. An empty cell means "not given".
//! This module only turns cells into records and back; reading and writing
//! the CSV text is the CLI's job.
//!
//! Inside a cell, lists and structures use separators, and a separator
//! character that belongs to a value is escaped with a backslash (`\;`,
//! `\|`, `\,`, `\:`, `\=`, `\\`):
//!
//! | column              | cell format                                               | example |
//! |---------------------|-----------------------------------------------------------|---------|
//! | `id`                | record id (required)                                      | `act-0001` |
//! | `sensitivity`       | public / restricted / confidential (default restricted)   | `public` |
//! | `access_groups`     | `;`-separated                                             | `case-a;case-b` |
//! | `fictional`         | true / false                                              | `true` |
//! | `field_sensitivity` | `field=level;…`                                           | `birth_date=confidential` |
//! | `names`             | `text\|script\|kind[\|lang[\|sensitivity]];…`             | `김가명\|hangul\|legal;Kim\|latin\|romanization_as_given` |
//! | `name`              | one name, input only: script guessed from the letters (hangul, hanja, latin); kind `romanization_as_given` for Latin text, else `legal` (persons) / `official` (organizations, places) | `Hyesan` |
//! | `sources`           | claims: `source[:credibility[:basis[:locator[:note]]]];…` | `src-1:3:saw_it:p. 4;src-2` |
//! | `perpetrators`      | involvements: `perpetrator:degree[:note];…`               | `org-mss:direct_perpetrator;org-prc-mps:transferred_custody` |
//! | `status_history`    | `date\|status\|place\|organization\|claims\|note;…`, claims `,`-separated as in `sources` | `2023-10-09\|repatriated\|plc-namyang\|\|src-1:2:saw_it` |
//! | `lat`, `lon`        | decimal degrees                                           | `41.40` |
//! | lists of ids/codes  | `;`-separated: `victims`, `places`, `categories`, `transport`, `earlier`, `later`, `parties`, `acts`, `persons`, `events` | `prs-1;prs-2` |
//! | dates, counts       | their written form                                        | `2023-Q3`, `about 500` |
//! | other               | the text as is                                            | |
//!
//! Columns per kind (all kinds start with `id, sensitivity, access_groups,
//! fictional, field_sensitivity`):
//!
//! * person: `names, sex, birth_date, origin, categories, group_size, status_history, description, sources`
//! * organization: `names, org_type, parent, description, sources`
//! * place: `names, place_type, facility_type, lat, lon, parent, description, sources`
//! * event: `event_type, title, date, places, people_affected, transport, description, earlier, later, sources`
//! * act: `act_type, victims, date, place, perpetrators, event, description, sources`
//! * source: `source_type, title, author, publisher, date, url, reliability, language, description`
//! * intervention: `intervention_type, title, date, parties, status, responds_to, reference, acts, persons, events, description, sources`
//!
//! Errors name the column (and entry: `sources[1].credibility`) and the
//! reason, never the cell's content.

use crate::count::Count;
use crate::date::PartialDate;
use crate::envelope::{RecordId, RecordKind, Sensitivity};
use crate::record::{Claim, FieldError, Name, Record};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// How a column's cell becomes JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    /// Free text, kept as is.
    Text,
    /// A code, id or label: trimmed.
    Atom,
    Id,
    Bool,
    Date,
    Count,
    /// `;`-separated codes.
    Codes,
    /// `;`-separated ids.
    Ids,
    Names,
    Claims,
    Involvements,
    Status,
    FieldSens,
    Sens,
    /// `lat` / `lon`: a number placed into `coordinates`.
    Coord,
}

const COMMON: &[(&str, Col)] = &[
    ("id", Col::Id),
    ("sensitivity", Col::Sens),
    ("access_groups", Col::Codes),
    ("fictional", Col::Bool),
    ("field_sensitivity", Col::FieldSens),
];

fn kind_columns(kind: RecordKind) -> &'static [(&'static str, Col)] {
    use Col::*;
    match kind {
        RecordKind::Person => &[
            ("names", Names),
            ("sex", Atom),
            ("birth_date", Date),
            ("origin", Id),
            ("categories", Codes),
            ("group_size", Count),
            ("status_history", Status),
            ("description", Text),
            ("sources", Claims),
        ],
        RecordKind::Organization => &[
            ("names", Names),
            ("org_type", Atom),
            ("parent", Id),
            ("description", Text),
            ("sources", Claims),
        ],
        RecordKind::Place => &[
            ("names", Names),
            ("place_type", Atom),
            ("facility_type", Atom),
            ("lat", Coord),
            ("lon", Coord),
            ("parent", Id),
            ("description", Text),
            ("sources", Claims),
        ],
        RecordKind::Event => &[
            ("event_type", Atom),
            ("title", Text),
            ("date", Date),
            ("places", Ids),
            ("people_affected", Count),
            ("transport", Codes),
            ("description", Text),
            ("earlier", Ids),
            ("later", Ids),
            ("sources", Claims),
        ],
        RecordKind::Act => &[
            ("act_type", Atom),
            ("victims", Ids),
            ("date", Date),
            ("place", Id),
            ("perpetrators", Involvements),
            ("event", Id),
            ("description", Text),
            ("sources", Claims),
        ],
        RecordKind::Source => &[
            ("source_type", Atom),
            ("title", Text),
            ("author", Text),
            ("publisher", Text),
            ("date", Date),
            ("url", Atom),
            ("reliability", Atom),
            ("language", Atom),
            ("description", Text),
        ],
        RecordKind::Intervention => &[
            ("intervention_type", Atom),
            ("title", Text),
            ("date", Date),
            ("parties", Ids),
            ("status", Atom),
            ("responds_to", Id),
            ("reference", Text),
            ("acts", Ids),
            ("persons", Ids),
            ("events", Ids),
            ("description", Text),
            ("sources", Claims),
        ],
    }
}

/// The columns of a kind, in export order.
pub fn columns(kind: RecordKind) -> Vec<&'static str> {
    COMMON
        .iter()
        .chain(kind_columns(kind))
        .map(|(c, _)| *c)
        .collect()
}

/// The JSON field a column fills.
fn field_of(column: &str) -> &str {
    match column {
        "sources" => "claims",
        "perpetrators" => "involvements",
        other => other,
    }
}

/// Split `s` at unescaped `sep`, keeping escapes for the next level.
fn split_esc(s: &str, sep: char, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == sep && out.len() + 1 < max {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Remove one level of backslash escapes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Escape every separator character.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ';' | '|' | ',' | ':' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Non-empty list items of a cell.
fn items(cell: &str, sep: char) -> Vec<String> {
    split_esc(cell, sep, usize::MAX)
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect()
}

fn leaf(s: &str) -> String {
    unescape(s.trim())
}

struct Row<'a> {
    errors: Vec<FieldError>,
    kind: RecordKind,
    _p: std::marker::PhantomData<&'a ()>,
}

impl Row<'_> {
    fn err(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FieldError::new(path, reason));
    }

    fn id(&mut self, path: &str, s: &str) -> Option<Value> {
        match RecordId::new(leaf(s)) {
            Ok(id) => Some(Value::String(id.to_string())),
            Err(e) => {
                self.err(path, e.to_string());
                None
            }
        }
    }

    fn claim(&mut self, path: &str, s: &str) -> Option<Value> {
        let parts = split_esc(s.trim(), ':', 5);
        let mut m = Map::new();
        m.insert(
            "source".into(),
            self.id(&format!("{path}.source"), parts.first().map_or("", |p| p))?,
        );
        if let Some(c) = parts.get(1).map(|c| leaf(c)).filter(|c| !c.is_empty()) {
            match c.parse::<u8>() {
                Ok(n) => {
                    m.insert("credibility".into(), json!(n));
                }
                Err(_) => self.err(
                    format!("{path}.credibility"),
                    "credibility must be a number 1–6",
                ),
            }
        }
        for (i, key) in [(2, "basis"), (3, "locator"), (4, "note")] {
            if let Some(v) = parts.get(i).map(|c| leaf(c)).filter(|c| !c.is_empty()) {
                m.insert(key.into(), Value::String(v));
            }
        }
        Some(Value::Object(m))
    }

    fn claims(&mut self, path: &str, cell: &str, sep: char) -> Value {
        let v: Vec<Value> = items(cell, sep)
            .iter()
            .enumerate()
            .filter_map(|(i, s)| self.claim(&format!("{path}[{i}]"), s))
            .collect();
        Value::Array(v)
    }

    fn names(&mut self, path: &str, cell: &str) -> Value {
        let mut out = Vec::new();
        for (i, item) in items(cell, ';').iter().enumerate() {
            let p = split_esc(item, '|', 5);
            if p.len() < 3 {
                self.err(
                    format!("{path}[{i}]"),
                    "a name is text|script|kind[|lang[|sensitivity]]",
                );
                continue;
            }
            let mut m = Map::new();
            m.insert("text".into(), Value::String(unescape(&p[0])));
            m.insert("script".into(), Value::String(leaf(&p[1])));
            m.insert("kind".into(), Value::String(leaf(&p[2])));
            if let Some(l) = p.get(3).map(|s| leaf(s)).filter(|s| !s.is_empty()) {
                m.insert("lang".into(), Value::String(l));
            }
            if let Some(s) = p.get(4).map(|s| leaf(s)).filter(|s| !s.is_empty()) {
                match Sensitivity::parse(&s) {
                    Some(x) => {
                        m.insert("sensitivity".into(), json!(x));
                    }
                    None => self.err(
                        format!("{path}[{i}].sensitivity"),
                        "must be public, restricted or confidential",
                    ),
                }
            }
            out.push(Value::Object(m));
        }
        Value::Array(out)
    }

    fn single_name(&mut self, cell: &str) -> Value {
        let text = cell.to_string();
        let script = guess_script(&text);
        let kind = match (self.kind, script) {
            (_, "latin") => "romanization_as_given",
            (RecordKind::Person, _) => "legal",
            _ => "official",
        };
        json!([{ "text": text, "script": script, "kind": kind }])
    }

    fn status(&mut self, path: &str, cell: &str) -> Value {
        let mut out = Vec::new();
        for (i, item) in items(cell, ';').iter().enumerate() {
            let p = split_esc(item, '|', 6);
            let ip = format!("{path}[{i}]");
            let get = |k: usize| p.get(k).map(|s| leaf(s)).filter(|s| !s.is_empty());
            let mut m = Map::new();
            if let Some(d) = get(0) {
                match PartialDate::parse(&d) {
                    Ok(_) => {
                        m.insert("date".into(), Value::String(d));
                    }
                    Err(e) => self.err(format!("{ip}.date"), e.to_string()),
                }
            }
            match get(1) {
                Some(s) => {
                    m.insert("status".into(), Value::String(s));
                }
                None => self.err(format!("{ip}.status"), "a status transition is date|status|place|organization|claims|note and needs a status"),
            }
            for (k, key) in [(2, "place"), (3, "organization")] {
                if p.get(k).is_some_and(|s| !s.trim().is_empty()) {
                    if let Some(v) = self.id(&format!("{ip}.{key}"), &p[k]) {
                        m.insert(key.into(), v);
                    }
                }
            }
            if let Some(c) = p.get(4) {
                let claims = self.claims(&format!("{ip}.claims"), c, ',');
                m.insert("claims".into(), claims);
            }
            if let Some(n) = get(5) {
                m.insert("note".into(), Value::String(n));
            }
            out.push(Value::Object(m));
        }
        Value::Array(out)
    }

    fn involvements(&mut self, path: &str, cell: &str) -> Value {
        let mut out = Vec::new();
        for (i, item) in items(cell, ';').iter().enumerate() {
            let p = split_esc(item.trim(), ':', 3);
            let ip = format!("{path}[{i}]");
            let Some(perp) = self.id(&format!("{ip}.perpetrator"), &p[0]) else {
                continue;
            };
            let degree = p.get(1).map(|s| leaf(s)).unwrap_or_default();
            if degree.is_empty() {
                self.err(
                    format!("{ip}.degree"),
                    "an involvement is perpetrator:degree[:note] and needs a degree",
                );
                continue;
            }
            let mut m = Map::new();
            m.insert("perpetrator".into(), perp);
            m.insert("degree".into(), Value::String(degree));
            if let Some(n) = p.get(2).map(|s| leaf(s)).filter(|s| !s.is_empty()) {
                m.insert("note".into(), Value::String(n));
            }
            out.push(Value::Object(m));
        }
        Value::Array(out)
    }
}

/// Which script most letters of `text` are in.
fn guess_script(text: &str) -> &'static str {
    let (mut hangul, mut han, mut latin) = (0, 0, 0);
    for c in text.chars() {
        match c as u32 {
            0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F => hangul += 1,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF => han += 1,
            _ if c.is_ascii_alphabetic() => latin += 1,
            _ => {}
        }
    }
    if hangul == 0 && han == 0 && latin == 0 {
        "other"
    } else if hangul >= han && hangul >= latin {
        "hangul"
    } else if han >= latin {
        "hanja"
    } else {
        "latin"
    }
}

/// Build a record of `kind` from one row. `headers` are field-convention
/// column names (after the CLI's renaming); empty cells are "not given".
/// Returns every problem found, each naming its column. The record is not
/// yet validated against the vocabularies: call [`Record::validate`].
pub fn from_row(
    kind: RecordKind,
    headers: &[&str],
    values: &[&str],
) -> Result<Record, Vec<FieldError>> {
    let mut row = Row {
        errors: Vec::new(),
        kind,
        _p: std::marker::PhantomData,
    };
    if headers.len() != values.len() {
        row.err(
            "row",
            format!(
                "has {} cells but the header has {} columns",
                values.len(),
                headers.len()
            ),
        );
        return Err(row.errors);
    }
    let known: BTreeMap<&str, Col> = COMMON.iter().chain(kind_columns(kind)).copied().collect();
    let mut cells: BTreeMap<&str, &str> = BTreeMap::new();
    for (h, v) in headers.iter().zip(values) {
        let h = h.trim();
        if !known.contains_key(h) && h != "name" {
            let reason = format!(
                "unknown column for a {kind} row (known: {}, name)",
                columns(kind).join(", ")
            );
            row.err(safe_column(h), reason);
            continue;
        }
        if cells.insert(h, v).is_some() {
            row.err(safe_column(h), "column appears twice");
        }
    }
    let mut obj = Map::new();
    obj.insert("kind".into(), Value::String(kind.as_str().into()));
    if cells.get("id").is_none_or(|v| v.trim().is_empty()) {
        row.err("id", "every row needs an id");
    }
    if cells.get("name").is_some_and(|v| !v.is_empty()) {
        if cells.get("names").is_some_and(|v| !v.trim().is_empty()) {
            row.err("name", "give either `name` or `names`, not both");
        } else if matches!(
            kind,
            RecordKind::Person | RecordKind::Organization | RecordKind::Place
        ) {
            let v = row.single_name(cells["name"]);
            obj.insert("names".into(), v);
        } else {
            row.err("name", format!("a {kind} row has no names"));
        }
    }
    let mut coords = Map::new();
    for (col, ty) in COMMON.iter().chain(kind_columns(kind)) {
        let Some(cell) = cells.get(col).copied() else {
            continue;
        };
        if cell.trim().is_empty() {
            continue;
        }
        let value = match ty {
            Col::Text => Value::String(cell.to_string()),
            Col::Atom => Value::String(cell.trim().to_string()),
            Col::Id => match row.id(col, cell) {
                Some(v) => v,
                None => continue,
            },
            Col::Bool => match cell.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                _ => {
                    row.err(*col, "must be true or false");
                    continue;
                }
            },
            Col::Sens => match Sensitivity::parse(cell.trim()) {
                Some(s) => json!(s),
                None => {
                    row.err(*col, "must be public, restricted or confidential");
                    continue;
                }
            },
            Col::Date => match PartialDate::parse(cell.trim()) {
                Ok(_) => Value::String(cell.trim().to_string()),
                Err(e) => {
                    row.err(*col, e.to_string());
                    continue;
                }
            },
            Col::Count => match Count::parse(cell.trim()) {
                Ok(_) => Value::String(cell.trim().to_string()),
                Err(e) => {
                    row.err(*col, e.to_string());
                    continue;
                }
            },
            Col::Codes => Value::Array(
                items(cell, ';')
                    .iter()
                    .map(|s| Value::String(leaf(s)))
                    .collect(),
            ),
            Col::Ids => Value::Array(
                items(cell, ';')
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| row.id(&format!("{col}[{i}]"), s))
                    .collect(),
            ),
            Col::Names => row.names(col, cell),
            Col::Claims => row.claims(col, cell, ';'),
            Col::Involvements => row.involvements(col, cell),
            Col::Status => row.status(col, cell),
            Col::FieldSens => {
                let mut m = Map::new();
                for (i, item) in items(cell, ';').iter().enumerate() {
                    let p = split_esc(item, '=', 2);
                    match (
                        p.first().map(|s| leaf(s)),
                        p.get(1).and_then(|s| Sensitivity::parse(&leaf(s))),
                    ) {
                        (Some(f), Some(s)) if !f.is_empty() => {
                            m.insert(f, json!(s));
                        }
                        _ => row.err(
                            format!("{col}[{i}]"),
                            "each entry is field=public|restricted|confidential",
                        ),
                    }
                }
                Value::Object(m)
            }
            Col::Coord => {
                match cell.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => {
                        coords.insert(col.to_string(), json!(x));
                    }
                    _ => row.err(*col, "must be a decimal number of degrees"),
                }
                continue;
            }
        };
        obj.insert(field_of(col).to_string(), value);
    }
    match (coords.contains_key("lat"), coords.contains_key("lon")) {
        (true, true) => {
            obj.insert("coordinates".into(), Value::Object(coords));
        }
        (false, false) => {}
        (true, false) => row.err("lon", "give both lat and lon"),
        (false, true) => row.err("lat", "give both lat and lon"),
    }
    // Required fields, reported by column before serde sees them.
    let required: &[&str] = match kind {
        RecordKind::Person | RecordKind::Organization | RecordKind::Place => &["names"],
        RecordKind::Act => &["act_type", "victims"],
        RecordKind::Event => &["event_type", "title"],
        RecordKind::Source => &["source_type", "title"],
        RecordKind::Intervention => &["intervention_type", "title"],
    };
    for f in required {
        if !obj.contains_key(*f) && !row.errors.iter().any(|e| e.path.starts_with(f)) {
            row.err(*f, "is required");
        }
    }
    match kind {
        RecordKind::Organization if !obj.contains_key("org_type") => {
            row.err("org_type", "is required")
        }
        RecordKind::Place if !obj.contains_key("place_type") => {
            row.err("place_type", "is required")
        }
        _ => {}
    }
    if !row.errors.is_empty() {
        return Err(row.errors);
    }
    serde_json::from_value::<Record>(Value::Object(obj)).map_err(|e| {
        vec![FieldError::new(
            "row",
            crate::record::scrub_serde_message(&e.to_string()),
        )]
    })
}

/// A header echoed in an error: only if it looks like a column name.
fn safe_column(h: &str) -> String {
    if h.len() <= 40
        && h.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b' ' || c == b'-')
    {
        h.to_string()
    } else {
        "<column>".to_string()
    }
}

fn claim_cell(c: &Claim) -> String {
    let parts = [
        esc(c.source.as_str()),
        c.credibility.map(|n| n.to_string()).unwrap_or_default(),
        c.basis.as_deref().map(esc).unwrap_or_default(),
        c.locator.as_deref().map(esc).unwrap_or_default(),
        c.note.as_deref().map(esc).unwrap_or_default(),
    ];
    let keep = parts.iter().rposition(|p| !p.is_empty()).unwrap_or(0) + 1;
    parts[..keep].join(":")
}

fn name_cell(n: &Name) -> String {
    let parts = [
        esc(&n.text),
        esc(&n.script),
        esc(&n.kind),
        n.lang.as_deref().map(esc).unwrap_or_default(),
        n.sensitivity
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    ];
    let keep = parts
        .iter()
        .rposition(|p| !p.is_empty())
        .unwrap_or(0)
        .max(2)
        + 1;
    parts[..keep].join("|")
}

/// One row for `record`: the kind's [`columns`] and their cells.
pub fn to_row(record: &Record) -> (Vec<&'static str>, Vec<String>) {
    let kind = record.kind();
    let headers = columns(kind);
    let json = serde_json::to_value(record).unwrap_or(Value::Null);
    let list = |v: Option<&Value>| -> String {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(esc)
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .unwrap_or_default()
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let mut values = Vec::with_capacity(headers.len());
    for (col, ty) in COMMON.iter().chain(kind_columns(kind)) {
        let field = json.get(field_of(col));
        let cell = match ty {
            Col::Text | Col::Atom | Col::Id | Col::Date | Col::Count | Col::Sens => text(field),
            Col::Bool => {
                if record.is_fictional() {
                    "true".into()
                } else {
                    String::new()
                }
            }
            Col::Codes | Col::Ids => list(field),
            Col::Names => record
                .names()
                .iter()
                .map(name_cell)
                .collect::<Vec<_>>()
                .join(";"),
            Col::Claims => record
                .claims()
                .iter()
                .map(claim_cell)
                .collect::<Vec<_>>()
                .join(";"),
            Col::Involvements => match record {
                Record::Act(a) => a
                    .involvements
                    .iter()
                    .map(|i| {
                        let mut s = format!("{}:{}", esc(i.perpetrator.as_str()), esc(&i.degree));
                        if let Some(n) = &i.note {
                            s.push(':');
                            s.push_str(&esc(n));
                        }
                        s
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                _ => String::new(),
            },
            Col::Status => match record {
                Record::Person(p) => p
                    .status_history
                    .iter()
                    .map(|t| {
                        let parts = [
                            t.date.map(|d| d.to_string()).unwrap_or_default(),
                            esc(&t.status),
                            t.place
                                .as_ref()
                                .map(|x| esc(x.as_str()))
                                .unwrap_or_default(),
                            t.organization
                                .as_ref()
                                .map(|x| esc(x.as_str()))
                                .unwrap_or_default(),
                            t.claims
                                .iter()
                                .map(claim_cell)
                                .collect::<Vec<_>>()
                                .join(","),
                            t.note.as_deref().map(esc).unwrap_or_default(),
                        ];
                        let keep = parts
                            .iter()
                            .rposition(|p| !p.is_empty())
                            .unwrap_or(0)
                            .max(1)
                            + 1;
                        parts[..keep].join("|")
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                _ => String::new(),
            },
            Col::FieldSens => record
                .field_sensitivity()
                .iter()
                .map(|(f, s)| format!("{}={}", esc(f), s.as_str()))
                .collect::<Vec<_>>()
                .join(";"),
            Col::Coord => match record {
                Record::Place(p) => p
                    .coordinates
                    .map(|c| if *col == "lat" { c.lat } else { c.lon })
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            },
        };
        values.push(cell);
    }
    (headers, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Vocabularies;

    const LINES: &[&str] = &[
        r#"{"kind":"person","id":"prs-1","sensitivity":"restricted","access_groups":["case-a"],"fictional":true,"field_sensitivity":{"birth_date":"confidential"},"names":[{"text":"Kim; \"Ex|ample\", Jr: \\ ","script":"latin","kind":"romanization_as_given","lang":"ko"},{"text":"김가명","script":"hangul","kind":"legal","sensitivity":"confidential"}],"sex":"female","birth_date":"1985~","origin":"plc-hyesan","categories":["woman","defector"],"group_size":"1","status_history":[{"date":"2023-04","status":"detained_in_china","place":"plc-tumen","claims":[{"source":"src-t1","credibility":2,"basis":"experienced","locator":"p. 3: para, 2"}]},{"status":"unknown","organization":"org-mss","claims":[{"source":"src-t1"},{"source":"src-t2","note":"a; b"}],"note":"last heard | spring"}],"description":"Line one,\nline two; three","claims":[{"source":"src-t1","credibility":3}]}"#,
        r#"{"kind":"organization","id":"org-mss","sensitivity":"public","names":[{"text":"국가보위성","script":"hangul","kind":"official"}],"org_type":"state_security","parent":"org-dprk"}"#,
        r#"{"kind":"place","id":"plc-hyesan","sensitivity":"public","names":[{"text":"Hyesan","script":"latin","kind":"standard_romanization"}],"place_type":"city","coordinates":{"lat":41.4,"lon":128.18},"parent":"plc-ryanggang"}"#,
        r#"{"kind":"event","id":"evt-1","sensitivity":"public","event_type":"mass_repatriation","title":"9 October","date":"2023-10-09","places":["plc-a","plc-b"],"people_affected":"500–600","transport":["bus","truck"],"earlier":["evt-0"],"later":["evt-2"],"claims":[{"source":"src-hrw","credibility":2,"basis":"public_report"}]}"#,
        r#"{"kind":"act","id":"act-1","act_type":"torture","victims":["prs-1","grp-1"],"date":"2023-10~","place":"plc-hyesan","involvements":[{"perpetrator":"org-mss","degree":"direct_perpetrator","note":"guards: two"},{"perpetrator":"org-mps","degree":"complicit"}],"event":"evt-1","description":"x","claims":[{"source":"src-t1","credibility":3,"basis":"heard_from_victim"}]}"#,
        r#"{"kind":"source","id":"src-hrw","sensitivity":"public","source_type":"ngo_report","title":"China Forcibly Returns More than 500 to North Korea","publisher":"Human Rights Watch","date":"2023-10-13","url":"https://www.hrw.org/news/a,b;c","reliability":"B","language":"en"}"#,
        r#"{"kind":"intervention","id":"int-1","sensitivity":"public","intervention_type":"state_reply","title":"Reply","date":"2023-09","parties":["org-prc","org-ohchr"],"status":"replied","responds_to":"int-0","reference":"AL CHN 1/2023","acts":["act-1"],"persons":["grp-1"],"events":["evt-1"],"claims":[{"source":"src-news"}]}"#,
    ];

    #[test]
    fn every_kind_round_trips_through_a_row() {
        for line in LINES {
            let rec = Record::from_json(line).unwrap();
            let (h, v) = to_row(&rec);
            assert_eq!(h, columns(rec.kind()));
            let vr: Vec<&str> = v.iter().map(String::as_str).collect();
            let back = from_row(rec.kind(), &h, &vr).unwrap_or_else(|e| panic!("{e:?}\n{v:?}"));
            assert_eq!(back, rec, "{v:?}");
        }
    }

    #[test]
    fn documented_examples_parse() {
        let h = [
            "id",
            "act_type",
            "victims",
            "date",
            "place",
            "perpetrators",
            "sources",
            "description",
        ];
        let v = [
            "act-0001",
            "forced_repatriation",
            "grp-2023-10-09",
            "2023-10-09",
            "plc-tumen-namyang",
            "org-prc-mps:transferred_custody;org-mss:direct_perpetrator",
            "src-hrw-2023-10:2:public_report;src-tjwg:2",
            "Returned by bus",
        ];
        let rec = from_row(RecordKind::Act, &h, &v).unwrap();
        let Record::Act(a) = &rec else { panic!() };
        assert_eq!(a.involvements.len(), 2);
        assert_eq!(a.involvements[0].degree, "transferred_custody");
        assert_eq!(a.claims[0].credibility, Some(2));
        assert_eq!(a.claims[0].basis.as_deref(), Some("public_report"));
        assert_eq!(a.claims[1].basis, None);
        assert_eq!(a.sensitivity, Sensitivity::Restricted); // the default
        rec.validate(&Vocabularies::builtin()).unwrap();

        // Single-name shortcut with script detection.
        let h = ["id", "name", "place_type"];
        let rec = from_row(RecordKind::Place, &h, &["plc-1", "혜산시", "city"]).unwrap();
        assert_eq!(rec.names()[0].script, "hangul");
        assert_eq!(rec.names()[0].kind, "official");
        let rec = from_row(RecordKind::Place, &h, &["plc-1", "丹东", "city"]).unwrap();
        assert_eq!(rec.names()[0].script, "hanja");
        let rec = from_row(
            RecordKind::Person,
            &["id", "name", "sources"],
            &["p", "Kim Cheol-ok", "s"],
        )
        .unwrap();
        assert_eq!(rec.names()[0].kind, "romanization_as_given");
        assert_eq!(rec.names()[0].script, "latin");
    }

    #[test]
    fn errors_name_the_column() {
        let h = [
            "id",
            "act_type",
            "victims",
            "date",
            "perpetrators",
            "sources",
            "colour",
            "fictional",
        ];
        let v = [
            "act 1",
            "torture",
            "prs-1;bad id",
            "2023-02-30",
            "org-mss",
            "src-1:x;:2",
            "red",
            "maybe",
        ];
        let errs = from_row(RecordKind::Act, &h, &v).unwrap_err();
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "colour",
                "id",
                "fictional",
                "victims[1]",
                "date",
                "perpetrators[0].degree",
                "sources[0].credibility",
                "sources[1].source"
            ]
        );
        assert!(errs[4].reason.contains("past the end of the month"));
        assert!(errs.iter().all(|e| !e.reason.contains("2023-02-30")));

        let errs = from_row(RecordKind::Event, &["id"], &["e", "extra"]).unwrap_err();
        assert_eq!(errs[0].path, "row");
        let errs =
            from_row(RecordKind::Event, &["id", "people_affected"], &["e", "-5"]).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["people_affected", "event_type", "title"]
        );
        assert!(errs[0].reason.contains("negative"));
        let errs = from_row(
            RecordKind::Place,
            &["id", "name", "place_type", "lat"],
            &["p", "X", "city", "north"],
        )
        .unwrap_err();
        assert_eq!(errs[0].path, "lat");
        let errs = from_row(
            RecordKind::Place,
            &["id", "name", "place_type", "lat"],
            &["p", "X", "city", "41"],
        )
        .unwrap_err();
        assert_eq!(errs[0].path, "lon");
        let errs = from_row(RecordKind::Person, &["id", "names"], &["p", "Kim|latin"]).unwrap_err();
        assert_eq!(errs[0].path, "names[0]");
        let errs = from_row(
            RecordKind::Person,
            &["id", "names", "status_history"],
            &["p", "K|latin|alias", "2023|"],
        )
        .unwrap_err();
        assert_eq!(errs[0].path, "status_history[0].status");
        let errs = from_row(RecordKind::Person, &["id", "id"], &["p", "q"]).unwrap_err();
        assert_eq!(errs[0].path, "id");
    }
}
