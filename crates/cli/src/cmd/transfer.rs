//! Getting records in and out: `tumen add`, `tumen import`, `tumen export`.
//!
//! This module only reads and writes files. Turning a CSV row into a record
//! is `tumen_model::flat`'s job, validating it and writing it all-or-nothing
//! is `tumen_service`'s. What is done here: every input problem becomes a
//! row problem with its line and column (malformed CSV, invalid UTF-8,
//! oversized lines) so that the user sees all of them at once, prefixed
//! with the file name; and nothing is written unless every row is good.
//!
//! Error messages name the file, line, column and reason — never a cell's
//! value, which may be a witness's name.

use crate::cmd::filter::FilterArgs;
use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use tumen_model::{FieldError, Record, RecordId, RecordKind, Sensitivity, flat};
use tumen_service::{ImportItem, ImportMode, ImportOptions, ServiceError};

/// The longest JSON Lines line read; longer lines are a row problem. The
/// model's own limits (64 KiB per text field) are far below this.
const MAX_LINE: usize = 8 << 20;

/// How many problems are printed in full; all are in `--problems FILE`.
const SHOWN_PROBLEMS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

fn format_of(path: &Path, given: Option<Format>) -> Result<Format> {
    if let Some(f) = given {
        return Ok(f);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
        _ => bail!(
            "cannot tell the format of {} from its name; give --format csv or --format jsonl",
            path.display()
        ),
    }
}

fn kind_of(s: &str) -> Result<RecordKind> {
    RecordKind::parse(s).with_context(|| {
        format!(
            "{s:?} is not a record kind (person, organization, place, event, act, source, intervention)"
        )
    })
}

// ---------------------------------------------------------------- add

#[derive(clap::Args)]
pub struct AddArgs {
    /// A record as JSON (one object, as in JSON Lines) or TOML; `-` reads
    /// JSON from standard input.
    #[arg(long, conflicts_with_all = ["kind", "set"])]
    pub file: Option<PathBuf>,
    /// The kind of record built from --set (person, organization, place,
    /// event, act, source, intervention).
    #[arg(long)]
    pub kind: Option<String>,
    /// A field as COLUMN=VALUE, in the CSV column convention (see
    /// `tumen import --help`), e.g. --set "names=김가명|hangul|legal"
    /// --set sources=src-1:2:saw_it. Repeat for each field.
    #[arg(long, value_name = "COLUMN=VALUE")]
    pub set: Vec<String>,
    /// Replace the existing record with this id (a new revision).
    #[arg(long)]
    pub update: bool,
    /// Print the stored record as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A new id for a record built from flags: kind prefix, date, random part.
fn new_id(kind: RecordKind) -> Result<RecordId> {
    let prefix = match kind {
        RecordKind::Person => "prs",
        RecordKind::Organization => "org",
        RecordKind::Place => "plc",
        RecordKind::Event => "evt",
        RecordKind::Act => "act",
        RecordKind::Source => "src",
        RecordKind::Intervention => "int",
    };
    let day = chrono::Utc::now().format("%Y%m%d");
    let tail: u32 = rand::random();
    Ok(RecordId::new(format!("{prefix}-{day}-{tail:08x}"))?)
}

/// TOML to JSON, with TOML's own dates written as the strings tumen parses.
fn toml_to_json(v: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            J::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

fn record_from_file(path: &Path) -> Result<Record> {
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("reading standard input")?;
        b
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid UTF-8 (at byte {})",
            path.display(),
            e.valid_up_to()
        )
    })?;
    let is_toml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let json = if is_toml {
        let v: toml::Table = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            anyhow::anyhow!("{}{at}: not valid TOML: {}", path.display(), e.message())
        })?;
        toml_to_json(toml::Value::Table(v)).to_string()
    } else {
        text.trim().to_string()
    };
    Record::from_json(&json).map_err(|e| {
        let (field, reason) = explain_json_error(&json, &e);
        if field.is_empty() {
            anyhow::anyhow!("{}: {reason}", path.display())
        } else {
            anyhow::anyhow!("{}: field {field}: {reason}", path.display())
        }
    })
}

/// Which top-level field of a JSON record is wrong, and why.
///
/// Records are an internally tagged enum, so serde reads the whole object
/// before it looks at any field, and its error position is the object's end.
/// To name the field, each one is left out in turn: the field whose absence
/// makes the error go away (or become a different one) is the culprit.
/// This runs only on the error path.
fn explain_json_error(text: &str, e: &tumen_model::JsonError) -> (String, String) {
    let message = e.to_string();
    // serde's " at line L column C" is about the object, not the file.
    let reason = match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.clone(),
    };
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(text) else {
        // Not even JSON: keep serde's position, which is then meaningful
        // (a record is one line, so only its column).
        let message = message.replace(" at line 1 column ", " at column ");
        return (String::new(), format!("not valid JSON: {message}"));
    };
    if let Some(field) = reason
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
    {
        return (field.to_string(), reason);
    }
    for key in obj.keys() {
        if key == "kind" {
            continue;
        }
        let mut without = obj.clone();
        without.remove(key);
        let text = serde_json::Value::Object(without).to_string();
        // Gone: the error vanished, or became another one (a required
        // field now missing) — unless that other one is about this very
        // field's absence, which says nothing.
        let culprit = match Record::from_json(&text) {
            Ok(_) => true,
            Err(e2) => {
                let m = e2.to_string();
                !m.starts_with(&reason) && !m.contains(&format!("missing field `{key}`"))
            }
        };
        if culprit {
            return (key.clone(), reason);
        }
    }
    (String::new(), reason)
}

fn field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn add(g: &Globals, a: AddArgs) -> Result<()> {
    let record = match (&a.file, &a.kind) {
        (Some(path), _) => record_from_file(path)?,
        (None, Some(kind)) => {
            let kind = kind_of(kind).context("--kind")?;
            let mut headers: Vec<String> = Vec::new();
            let mut values: Vec<String> = Vec::new();
            for s in &a.set {
                let Some((col, val)) = s.split_once('=') else {
                    bail!(
                        "--set must be COLUMN=VALUE; got one without '=' for column {:?}",
                        s.chars().take(40).collect::<String>()
                    );
                };
                if headers.iter().any(|h| h == col.trim()) {
                    bail!("--set {:?} is given twice", col.trim());
                }
                headers.push(col.trim().to_string());
                values.push(val.to_string());
            }
            if !headers.iter().any(|h| h == "id") {
                headers.push("id".into());
                values.push(new_id(kind)?.to_string());
            }
            let h: Vec<&str> = headers.iter().map(String::as_str).collect();
            let v: Vec<&str> = values.iter().map(String::as_str).collect();
            flat::from_row(kind, &h, &v)
                .map_err(|e| anyhow::anyhow!("--set: {}", field_errors(&e)))?
        }
        (None, None) => bail!("give --kind with --set COLUMN=VALUE flags, or --file FILE"),
    };
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let id = record.id().clone();
    let written = if a.update {
        let Some(cur) = session.get(&id)? else {
            bail!("record {id} does not exist; leave out --update to add it");
        };
        session
            .update(&record, cur.rev)
            .with_context(|| format!("updating {id}"))?
    } else {
        session
            .create(&record)
            .with_context(|| format!("adding {id}"))?
    };
    if a.json {
        if let Some(v) = session.get(&id)? {
            println!("{}", v.record.to_json());
        }
    } else {
        println!(
            "{} {} {id} (revision {})",
            if a.update { "updated" } else { "added" },
            record.kind(),
            written.rev
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- import

#[derive(clap::Args)]
#[command(after_long_help = IMPORT_HELP)]
pub struct ImportArgs {
    /// The file: CSV (one kind per file, or a `kind` column) or JSON Lines
    /// (one record per line, as `tumen export` writes).
    pub file: PathBuf,
    /// The file's format; by default taken from its extension
    /// (.csv; .jsonl, .ndjson, .json).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// CSV: the kind of every row (unless the file has a `kind` column).
    #[arg(long)]
    pub kind: Option<String>,
    /// CSV: rename a column, as "FILE COLUMN=FIELD COLUMN", e.g.
    /// --map "Victim name=name"; "COLUMN=" ignores a column. Repeatable.
    #[arg(long = "map", value_name = "FROM=TO")]
    pub map: Vec<String>,
    /// Replace records whose id already exists (new revisions) instead of
    /// refusing them.
    #[arg(long)]
    pub upsert: bool,
    /// Write every problem (not only the first 200) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub problems: Option<PathBuf>,
    /// Print the summary (or the problems) as JSON.
    #[arg(long)]
    pub json: bool,
}

const IMPORT_HELP: &str = "\
CSV columns are the JSON field names of the kind, plus `sources` (claims:
source[:credibility[:basis[:locator[:note]]]];…), `perpetrators`
(perpetrator:degree[:note];…), `names` (text|script|kind;…) or `name` (one
name, script guessed), `lat`/`lon`, and `;`-separated lists of ids or codes.
Per kind:
  person:       names, sex, birth_date, origin, categories, group_size, status_history, description, sources
  organization: names, org_type, parent, description, sources
  place:        names, place_type, facility_type, lat, lon, parent, description, sources
  event:        event_type, title, date, places, people_affected, transport, description, earlier, later, sources
  act:          act_type, victims, date, place, perpetrators, event, description, sources
  source:       source_type, title, author, publisher, date, url, reliability, language, description
  intervention: intervention_type, title, date, parties, status, responds_to, reference, acts, persons, events, description, sources
and every kind: id, sensitivity, access_groups, fictional, field_sensitivity.

The import lands whole or not at all: any problem in any row rolls it back,
and every row's problems are listed (file, line, field, reason).";

/// Lines of an open file, each at most [`MAX_LINE`] bytes; longer lines are
/// skipped to their end and reported.
///
/// A line is handed to a closure rather than returned, so that one that lies
/// whole in the reader's buffer — almost every line, with a 1 MiB buffer —
/// is used where it lies, and only a line cut by the buffer's end is copied
/// (into one buffer kept for the file). On a million-record import the
/// reading is done on the parsing thread, which is the import's bottleneck.
struct Lines<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
}

enum Line<'a> {
    Text(&'a [u8]),
    TooLong,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines {
            reader,
            line: 0,
            buf: Vec::new(),
        }
    }

    /// Calls `f` with the next line's number and bytes (its `\n` included,
    /// if it has one); `None` at the end of the file.
    fn next_line<T>(&mut self, f: impl FnOnce(u64, Line<'_>) -> T) -> std::io::Result<Option<T>> {
        // The common case: the line is whole in the buffer.
        let chunk = self.reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b'\n', chunk) {
            self.line += 1;
            let out = if i + 1 > MAX_LINE + 1 {
                f(self.line, Line::TooLong)
            } else {
                f(self.line, Line::Text(&chunk[..=i]))
            };
            self.reader.consume(i + 1);
            return Ok(Some(out));
        }
        // The line goes on past the buffer: gather it.
        self.buf.clear();
        let mut too_long = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if self.buf.len() + take > MAX_LINE + 1 {
                    too_long = true;
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.reader.consume(take);
            if done {
                break;
            }
        }
        self.line += 1;
        Ok(Some(if too_long {
            f(self.line, Line::TooLong)
        } else {
            f(self.line, Line::Text(&self.buf))
        }))
    }
}

fn problem_item(line: u64, field: &str, reason: impl Into<String>) -> ImportItem {
    ImportItem {
        line,
        record: Err(vec![FieldError::new(field, reason)]),
        id: None,
    }
}

/// `raw` as an id for messages, if it is a valid record id: a cell mapped
/// to `id` by mistake (a name, say) is not repeated in a message.
fn message_id(raw: &str) -> Option<String> {
    tumen_model::RecordId::new(raw.trim())
        .ok()
        .map(|id| id.to_string())
}

/// The `id` of a JSON object whose record did not parse, for messages.
fn json_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(text)
        .ok()
        .and_then(|o| o.id)
        .and_then(|id| message_id(&id))
}

/// One line of JSON Lines to an import item; `None` for a blank line.
fn jsonl_item(n: u64, line: Line<'_>) -> Option<ImportItem> {
    let bytes = match line {
        Line::TooLong => {
            return Some(problem_item(
                n,
                "",
                format!("the line is longer than {} MiB", MAX_LINE >> 20),
            ));
        }
        Line::Text(b) => b,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Some(problem_item(
                n,
                "",
                format!(
                    "not valid UTF-8 (at byte {} of the line)",
                    e.valid_up_to() + 1
                ),
            ));
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let record = Record::from_json(text);
    let id = if record.is_err() { json_id(text) } else { None };
    Some(ImportItem {
        line: n,
        record: record.map_err(|e| {
            let (field, reason) = explain_json_error(text, &e);
            vec![FieldError::new(field, reason)]
        }),
        id,
    })
}

/// JSON Lines to import items. Blank lines are skipped.
fn jsonl_items<R: BufRead>(reader: R) -> impl Iterator<Item = ImportItem> {
    let mut lines = Lines::new(reader);
    let mut failed = false;
    std::iter::from_fn(move || {
        while !failed {
            match lines.next_line(jsonl_item) {
                Ok(None) => return None,
                Ok(Some(None)) => continue,
                Ok(Some(item)) => return item,
                Err(e) => {
                    // A read error mid-file must not let the rows read so far
                    // land: it becomes a problem, which rolls the import back.
                    failed = true;
                    return Some(problem_item(
                        lines.line + 1,
                        "",
                        format!("the file could not be read from here on: {e}"),
                    ));
                }
            }
        }
        None
    })
}

/// How CSV columns become fields: per column, its field name, or `None` to
/// ignore it; and which column holds the kind, if any.
struct CsvLayout {
    fields: Vec<Option<String>>,
    kind_col: Option<usize>,
}

fn csv_layout(file: &Path, header: &csv::ByteRecord, map: &[String]) -> Result<CsvLayout> {
    let mut names = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let h = std::str::from_utf8(h).map_err(|_| {
            anyhow::anyhow!(
                "{}: line 1, column {}: the header is not valid UTF-8",
                file.display(),
                i + 1
            )
        })?;
        // A byte-order mark before the first header is common in files
        // saved by spreadsheet programs.
        names.push(h.trim_start_matches('\u{feff}').trim().to_string());
    }
    let mut renames: HashMap<String, String> = HashMap::new();
    for m in map {
        let Some((from, to)) = m.split_once('=') else {
            bail!("--map {m:?} must be FROM=TO (or FROM= to ignore a column)");
        };
        let from = from.trim();
        if !names.iter().any(|n| n == from) {
            bail!(
                "--map {m:?}: {} has no column {from:?} (its columns: {})",
                file.display(),
                names.join(", ")
            );
        }
        renames.insert(from.to_string(), to.trim().to_string());
    }
    let mut fields = Vec::with_capacity(names.len());
    let mut kind_col = None;
    for (i, n) in names.iter().enumerate() {
        let f = renames.get(n).cloned().unwrap_or_else(|| n.clone());
        if f == "kind" {
            kind_col = Some(i);
            fields.push(None);
        } else if f.is_empty() {
            fields.push(None);
        } else {
            fields.push(Some(f));
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for f in fields.iter().flatten() {
        *seen.entry(f.as_str()).or_default() += 1;
    }
    if let Some((f, _)) = seen.iter().find(|(_, n)| **n > 1) {
        bail!(
            "{}: more than one column maps to the field {f:?}",
            file.display()
        );
    }
    Ok(CsvLayout { fields, kind_col })
}

/// One CSV row to an import item.
fn csv_item(
    layout: &CsvLayout,
    kind: Option<RecordKind>,
    line: u64,
    row: &csv::ByteRecord,
) -> ImportItem {
    let mut cells: Vec<&str> = Vec::with_capacity(row.len());
    let mut errors = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(s) => cells.push(s),
            Err(e) => {
                let col = layout
                    .fields
                    .get(i)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| format!("column {}", i + 1));
                errors.push(FieldError::new(
                    col,
                    format!(
                        "not valid UTF-8 (at byte {} of the cell)",
                        e.valid_up_to() + 1
                    ),
                ));
                cells.push("");
            }
        }
    }
    if !errors.is_empty() {
        return ImportItem {
            line,
            record: Err(errors),
            id: None,
        };
    }
    if cells.len() != layout.fields.len() {
        return problem_item(
            line,
            "row",
            format!(
                "has {} cells but the header has {} columns",
                cells.len(),
                layout.fields.len()
            ),
        );
    }
    let kind = match (layout.kind_col, kind) {
        (Some(c), _) => match cells.get(c).map(|k| RecordKind::parse(k.trim())) {
            Some(Some(k)) => k,
            _ => {
                return problem_item(
                    line,
                    "kind",
                    "is not a record kind (person, organization, place, event, act, source, intervention)",
                );
            }
        },
        (None, Some(k)) => k,
        (None, None) => {
            return problem_item(line, "kind", "no --kind given and no `kind` column");
        }
    };
    // With a `kind` column, a row leaves the other kinds' columns empty.
    let known = flat::columns(kind);
    let mut headers = Vec::with_capacity(cells.len());
    let mut values = Vec::with_capacity(cells.len());
    for (f, v) in layout.fields.iter().zip(&cells) {
        let Some(f) = f else { continue };
        if layout.kind_col.is_some()
            && v.trim().is_empty()
            && !known.contains(&f.as_str())
            && f != "name"
        {
            continue;
        }
        headers.push(f.as_str());
        values.push(*v);
    }
    let record = flat::from_row(kind, &headers, &values);
    let id = match record {
        Ok(_) => None,
        Err(_) => headers
            .iter()
            .position(|h| *h == "id")
            .and_then(|i| values.get(i))
            .and_then(|v| message_id(v)),
    };
    ImportItem { line, record, id }
}

fn open_input(path: &Path) -> Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
}

/// Lines in the file, for the progress bar (a CSV cell may span lines; the
/// bar is only a guide).
fn count_lines(path: &Path) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    let mut f = BufReader::with_capacity(1 << 20, std::fs::File::open(path).ok()?);
    let mut n = 0u64;
    loop {
        let buf = f.fill_buf().ok()?;
        if buf.is_empty() {
            break;
        }
        n += memchr::memchr_iter(b'\n', buf).count() as u64;
        let len = buf.len();
        f.consume(len);
    }
    Some(n)
}

fn progress_bar(total: Option<u64>, what: &str) -> indicatif::ProgressBar {
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let style = if total.is_some() {
        "{msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)"
    } else {
        "{msg} {spinner} {pos} rows ({per_sec})"
    };
    if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
        bar.set_style(s.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn write_problems_csv(
    path: &Path,
    file: &Path,
    problems: &[tumen_service::RowProblem],
) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record(["file", "line", "id", "field", "reason"])?;
    for p in problems {
        w.write_record([
            file.display().to_string(),
            p.line.to_string(),
            p.id.clone().unwrap_or_default(),
            p.field.clone(),
            p.reason.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn import(g: &Globals, a: ImportArgs) -> Result<()> {
    let file = a.file.clone();
    let format = format_of(&file, a.format)?;
    let kind = a
        .kind
        .as_deref()
        .map(kind_of)
        .transpose()
        .context("--kind")?;
    if format == Format::Jsonl && (kind.is_some() || !a.map.is_empty()) {
        bail!("--kind and --map apply to CSV; JSON Lines records carry their own kind");
    }
    // Open the input before the archive, so a missing file costs no KDF.
    let input = open_input(&file)?;
    // Lines are counted (for the progress bar) while the key is derived:
    // on a large file each takes a good part of a second.
    let counting = {
        let file = file.clone();
        std::thread::spawn(move || count_lines(&file))
    };
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let total = counting.join().ok().flatten().map(|n| match format {
        Format::Csv => n.saturating_sub(1),
        Format::Jsonl => n,
    });
    let bar = progress_bar(total, &format!("importing {}", file.display()));
    let opts = ImportOptions {
        mode: if a.upsert {
            ImportMode::Upsert
        } else {
            ImportMode::CreateOnly
        },
        total,
    };
    let mut progress = |n: u64, _: Option<u64>| bar.set_position(n);
    // Once every row is read, a large import still builds its indexes and
    // commits (seconds, for a million records): say so rather than leave a
    // full bar standing still.
    let finishing = || {
        bar.set_message(format!("finishing {} (indexes, commit)", file.display()));
        None
    };
    let result = match format {
        Format::Jsonl => {
            let mut items = jsonl_items(input).chain(std::iter::from_fn(finishing));
            session.import_batch(&mut items, opts, &mut progress)
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(input);
            let mut header = csv::ByteRecord::new();
            match reader.read_byte_record(&mut header) {
                Ok(true) => {}
                Ok(false) => bail!(
                    "{} is empty: a CSV import needs a header row",
                    file.display()
                ),
                Err(e) => bail!(
                    "{}: line 1: the header cannot be read as CSV: {e}",
                    file.display()
                ),
            }
            let layout = csv_layout(&file, &header, &a.map)?;
            if layout.kind_col.is_none() && kind.is_none() {
                bail!(
                    "{}: give --kind (person, organization, place, event, act, source, intervention) or a `kind` column",
                    file.display()
                );
            }
            let mut row = csv::ByteRecord::new();
            let mut failed = false;
            let mut items = std::iter::from_fn(|| {
                loop {
                    if failed {
                        return None;
                    }
                    match reader.read_byte_record(&mut row) {
                        Ok(false) => return None,
                        Ok(true) => {
                            let line = row.position().map_or(0, |p| p.line());
                            if row.len() == 1 && row.get(0).is_some_and(|c| c.is_empty()) {
                                continue; // a blank line
                            }
                            return Some(csv_item(&layout, kind, line, &row));
                        }
                        Err(e) => {
                            let line = e.position().map_or(0, |p| p.line());
                            if let csv::ErrorKind::Io(_) = e.kind() {
                                // Rolls the import back, like any problem.
                                failed = true;
                                return Some(problem_item(
                                    line,
                                    "",
                                    format!("the file could not be read from here on: {e}"),
                                ));
                            }
                            return Some(problem_item(line, "", format!("not valid CSV: {e}")));
                        }
                    }
                }
            })
            .chain(std::iter::from_fn(finishing));
            session.import_batch(&mut items, opts, &mut progress)
        }
    };
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            if a.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "file": file.display().to_string(),
                        "rows": s.rows, "created": s.created, "updated": s.updated
                    })
                );
            } else {
                println!(
                    "imported {} rows from {}: {} created, {} updated",
                    s.rows,
                    file.display(),
                    s.created,
                    s.updated
                );
            }
            Ok(())
        }
        Err(ServiceError::ImportRejected {
            rows,
            problems,
            more,
        }) => {
            let total = problems.len() as u64 + more;
            if let Some(p) = &a.problems {
                write_problems_csv(p, &file, &problems)?;
            }
            if a.json {
                let list: Vec<_> = problems
                    .iter()
                    .map(|p| {
                        serde_json::json!({"file": file.display().to_string(), "line": p.line,
                            "id": p.id, "field": p.field, "reason": p.reason})
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"file": file.display().to_string(), "rows": rows,
                        "written": 0, "problems": list, "not_listed": more})
                );
            } else {
                let stderr = &mut std::io::stderr().lock();
                for p in problems.iter().take(SHOWN_PROBLEMS) {
                    writeln!(stderr, "{}:{p}", file.display())?;
                }
                if total > SHOWN_PROBLEMS as u64 {
                    writeln!(
                        stderr,
                        "… and {} more problem(s){}",
                        total - SHOWN_PROBLEMS as u64,
                        if a.problems.is_some() {
                            ""
                        } else {
                            " (write them all with --problems FILE)"
                        }
                    )?;
                }
            }
            bail!(
                "{}: {total} problem(s) in {rows} row(s); nothing was imported",
                file.display()
            )
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("importing {}", file.display()))),
    }
}

// ---------------------------------------------------------------- export

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write here instead of standard output. For CSV of several kinds,
    /// a directory that receives one file per kind (person.csv, act.csv…).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// The most sensitive label written in plain text: public (default),
    /// restricted or confidential. Records and fields above it are left
    /// out. The exported file is not encrypted: raise this only for a
    /// destination as safe as the archive.
    #[arg(long, value_name = "LEVEL", default_value = "public")]
    pub include: String,
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn export(g: &Globals, a: ExportArgs) -> Result<()> {
    let level = Sensitivity::parse(&a.include).with_context(|| {
        format!(
            "--include {:?} must be public, restricted or confidential",
            a.include
        )
    })?;
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let mut f = a.filter.to_filter(&session.vocabularies()?)?;
    f.order = tumen_service::Order::Id;
    let total_visible = session.count(&f)?;
    f.max_sensitivity = Some(level);
    let total = session.count(&f)?;
    let withheld = total_visible.saturating_sub(total);

    let kinds: Vec<RecordKind> = if f.kinds.is_empty() {
        RecordKind::ALL.to_vec()
    } else {
        f.kinds.clone()
    };
    let bar = progress_bar(Some(total), "exporting");
    let mut written = 0u64;
    match (a.format, &a.out) {
        (Format::Jsonl, out) => {
            let mut w = writer_for(out.as_deref())?;
            write_each(&session, &f, &bar, &mut written, &mut |rec| {
                writeln!(w, "{}", rec.redact(level).to_json()).map_err(anyhow::Error::new)
            })?;
            w.flush().context("writing the export")?;
        }
        (Format::Csv, out) => {
            let dir = out.as_deref().filter(|p| p.is_dir());
            if kinds.len() > 1 && dir.is_none() {
                bail!(
                    "a CSV export holds one kind of record: give --kind, or --out DIR (an existing directory) for one file per kind"
                );
            }
            for kind in kinds {
                let mut fk = f.clone();
                fk.kinds = vec![kind];
                let target = dir.map(|d| d.join(format!("{}.csv", kind.as_str())));
                if dir.is_some() && session.count(&fk)? == 0 {
                    continue;
                }
                let w = writer_for(target.as_deref().or(out.as_deref()))?;
                let mut csv = csv::Writer::from_writer(w);
                csv.write_record(flat::columns(kind))?;
                write_each(&session, &fk, &bar, &mut written, &mut |rec| {
                    let (_, cells) = flat::to_row(&rec.redact(level));
                    csv.write_record(&cells).map_err(anyhow::Error::new)
                })?;
                csv.flush().context("writing the export")?;
            }
        }
    }
    bar.finish_and_clear();
    if a.out.is_some() {
        eprintln!(
            "exported {written} record(s){}",
            a.out
                .as_ref()
                .map(|p| format!(" to {}", p.display()))
                .unwrap_or_default()
        );
    }
    if withheld > 0 {
        eprintln!("{withheld} record(s) labelled above {level} were left out (see --include)");
    }
    Ok(())
}

/// Stream the records matching `f` through `write`, counting them on the
/// progress bar; the first write error stops the query and is returned.
fn write_each(
    session: &tumen_service::Session<'_>,
    f: &tumen_service::Filter,
    bar: &indicatif::ProgressBar,
    written: &mut u64,
    write: &mut dyn FnMut(&Record) -> Result<()>,
) -> Result<()> {
    let mut failed = None;
    session.query_each(f, &mut |v| {
        if let Err(e) = write(&v.record) {
            failed = Some(e);
            return false;
        }
        *written += 1;
        if *written % 1024 == 0 {
            bar.set_position(*written);
        }
        true
    })?;
    match failed {
        Some(e) => Err(e.context("writing the export")),
        None => Ok(()),
    }
}

fn writer_for(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `input`, read through a buffer of `cap` bytes.
    fn read_all(input: &[u8], cap: usize) -> Vec<(u64, Option<Vec<u8>>)> {
        let mut lines = Lines::new(BufReader::with_capacity(cap, input));
        let mut out = Vec::new();
        while let Some(x) = lines
            .next_line(|n, l| match l {
                Line::Text(b) => (n, Some(b.to_vec())),
                Line::TooLong => (n, None),
            })
            .unwrap()
        {
            out.push(x);
        }
        out
    }

    #[test]
    fn lines_are_the_same_whatever_the_buffer_cuts() {
        let input = "{\"a\":1}\n\nzwei Zeilen, 둘\r\n\u{1F600}\nlast without newline";
        // What the standard library's own splitting gives.
        let expected: Vec<(u64, Option<Vec<u8>>)> = input
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, Some(l.as_bytes().to_vec())))
            .collect();
        assert_eq!(expected.len(), 5);
        for cap in [1, 2, 3, 5, 8, 13, 64, 1 << 20] {
            assert_eq!(read_all(input.as_bytes(), cap), expected, "buffer of {cap}");
        }
        assert!(read_all(b"", 4).is_empty());
    }

    #[test]
    fn only_a_valid_record_id_is_repeated_in_a_message() {
        assert_eq!(message_id(" prs-1 ").as_deref(), Some("prs-1"));
        // A name put in the id column by mistake is not echoed.
        assert_eq!(message_id("김철진"), None);
        assert_eq!(message_id("Kim Chol Jin"), None);
        assert_eq!(
            json_id(r#"{"id":"act-7","kind":"act","oops":1}"#).as_deref(),
            Some("act-7")
        );
        assert_eq!(json_id(r#"{"id":"Kim Chol Jin"}"#), None);
        assert_eq!(json_id(r#"{"id":7}"#), None);
        assert_eq!(json_id("not json"), None);
    }

    #[test]
    fn a_line_over_the_limit_is_reported_and_the_next_one_read() {
        let mut input = vec![b'x'; MAX_LINE + 1];
        input.extend_from_slice(b"\nok\n");
        for cap in [1 << 16, MAX_LINE + 8] {
            let got = read_all(&input, cap);
            assert_eq!(
                got,
                [(1, None), (2, Some(b"ok\n".to_vec()))],
                "buffer of {cap}"
            );
        }
        // A line of exactly the limit (its newline not counted) is read.
        let mut input = vec![b'y'; MAX_LINE];
        input.push(b'\n');
        let got = read_all(&input, 1 << 16);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.as_ref().map(Vec::len), Some(MAX_LINE + 1));
    }
}
