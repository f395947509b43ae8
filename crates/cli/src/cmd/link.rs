//! `tumen link`: record linkage on CSV files. Reads the files (the library
//! does no I/O), maps columns to fields by flags or from the headers, runs
//! `tumen_linkage::link`, and writes the scored pairs with their weight
//! explanation, the clusters, and a summary. Progress bars go to stderr, and
//! only when stderr is a terminal.
//!
//! Without `--input` (or with a subcommand) it works on the archive instead:
//! see [`db`] (linking the person records, the review queue, decisions,
//! resolved persons and unlink).

pub mod db;

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tumen_linkage::{BlockingRule, Dataset, Decision, FieldKind, FieldSpec, LinkMode, LinkRequest};

#[derive(clap::Args)]
pub struct Args {
    /// A CSV file of records (repeat to link several sources). Each needs an
    /// id column and person fields; headers may have leading spaces.
    /// Without --input, the person records of the archive (--data) are
    /// linked and the resolved persons saved there.
    #[arg(long = "input", value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Where to write the scored pairs (id_a,id_b,probability, then the
    /// weight explanation). Required with --input.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where to write the clusters (one row per record).
    #[arg(long, value_name = "FILE")]
    pub clusters: Option<PathBuf>,
    /// Match probability at or above which a pair is linked (more likely
    /// the same person than not).
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub threshold: f64,
    /// Pairs from this probability up to the threshold go to review.
    #[arg(long, default_value_t = 0.2, value_name = "P")]
    pub review_lower: f64,
    /// Write pairs from this probability up [default: the review lower bound].
    #[arg(long, value_name = "P")]
    pub min_probability: Option<f64>,
    /// Seed for random sampling (same seed, same input → same output).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The id column [default: detected: id, rec_id, record_id, unique_id…].
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// Compare COLUMN as KIND (name, surname, given_name, birth_date, date,
    /// sex, place, category, identifier, address, postcode, number, text);
    /// append `:notf` to turn off term-frequency adjustment. When given, only
    /// these columns are compared.
    #[arg(long = "field", value_name = "COLUMN=KIND")]
    pub fields: Vec<String>,
    /// A column not to compare even if its header is recognised.
    #[arg(long = "ignore", value_name = "COLUMN")]
    pub ignore: Vec<String>,
    /// A blocking rule, e.g. `surname+birth_date:year`, `name:keys`,
    /// `any-order:given_name+surname`, `postcode:prefix3` (repeat; the union
    /// is used) [default: rules chosen from the fields].
    #[arg(long = "block", value_name = "RULE")]
    pub block: Vec<String>,
    /// Refuse blocking rules that would generate more candidate pairs.
    #[arg(long, default_value_t = 50_000_000)]
    pub max_pairs: u64,
    /// dedupe, link (across inputs only) or link-and-dedupe [default: dedupe
    /// for one input, link for several].
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Reviewer decisions: CSV with id_a,id_b,decision (same|different).
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
    /// Random pairs sampled to estimate u.
    #[arg(long, default_value_t = 300_000)]
    pub u_sample: usize,
    /// Worker threads [default: the machine's cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Archive mode: score and report, but do not save resolved persons.
    #[arg(long)]
    pub no_save: bool,
    #[command(subcommand)]
    pub action: Option<db::Action>,
}

/// Header → field kind, for the names found in the wild (FEBRL, Splink
/// examples, NGO spreadsheets in English and Korean). Truth columns such as
/// `cluster` are never compared.
fn detect_kind(header: &str) -> Option<FieldKind> {
    let h = header.trim().to_lowercase().replace([' ', '-'], "_");
    Some(match h.as_str() {
        "given_name" | "first_name" | "forename" | "given" | "firstname" | "이름_名" => {
            FieldKind::GivenName
        }
        "surname" | "last_name" | "family_name" | "lastname" | "성" => FieldKind::Surname,
        "name" | "full_name" | "person_name" | "이름" | "성명" | "姓名" | "name_hangul"
        | "name_hanja" | "name_latin" => FieldKind::PersonName,
        "date_of_birth" | "dob" | "birth_date" | "birthdate" | "born" | "birth" | "생년월일"
        | "출생" => FieldKind::BirthDate,
        "sex" | "gender" | "성별" => FieldKind::Sex,
        "soc_sec_id" | "ssn" | "national_id" | "id_number" | "passport" | "passport_number"
        | "document_number" | "identity_number" | "citizen_id" | "resident_number" => {
            FieldKind::Identifier
        }
        "street_number" | "house_number" => FieldKind::Number,
        "address" | "address_1" | "address_2" | "street" | "street_address" | "주소" => {
            FieldKind::Address
        }
        "suburb" | "city" | "town" | "place" | "birth_place" | "place_of_birth" | "hometown"
        | "county" | "village" | "출생지" | "고향" => FieldKind::Place,
        "postcode" | "zip" | "zipcode" | "postal_code" | "post_code" => FieldKind::Postcode,
        "state" | "province" | "region" | "도" => FieldKind::Category,
        "arrest_date"
        | "repatriation_date"
        | "date_of_arrest"
        | "date_of_repatriation"
        | "event_date" => FieldKind::Date,
        "arrest_place" | "repatriation_place" | "detention_place" | "facility" => FieldKind::Place,
        "occupation" | "category" => FieldKind::Category,
        "notes" | "description" => FieldKind::Text,
        _ => return None,
    })
}

const ID_HEADERS: &[&str] = &[
    "id",
    "rec_id",
    "record_id",
    "unique_id",
    "uid",
    "person_id",
    "row_id",
    "식별자",
];

struct Input {
    path: PathBuf,
    headers: Vec<String>,
}

fn read_headers(path: &Path) -> Result<Input> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let headers = rdr
        .headers()
        .with_context(|| format!("reading the header line of {}", path.display()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    Ok(Input {
        path: path.to_path_buf(),
        headers,
    })
}

pub(crate) fn parse_mode(s: &str) -> Result<LinkMode> {
    Ok(match s {
        "dedupe" => LinkMode::Dedupe,
        "link" => LinkMode::Link,
        "link-and-dedupe" => LinkMode::LinkAndDedupe,
        _ => bail!("--mode {s}: use dedupe, link or link-and-dedupe"),
    })
}

fn read_decisions(path: &Path) -> Result<Vec<Decision>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening decisions file {}", path.display()))?;
    let h: Vec<String> = rdr.headers()?.iter().map(|s| s.to_lowercase()).collect();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (Some(a), Some(b), Some(d)) = (col("id_a"), col("id_b"), col("decision")) else {
        bail!(
            "decisions file {}: needs columns id_a,id_b,decision",
            path.display()
        );
    };
    let mut out = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: line {}", path.display(), line + 2))?;
        let same = match rec.get(d).unwrap_or("").to_lowercase().as_str() {
            "same" | "match" | "yes" | "1" | "true" => true,
            "different" | "distinct" | "no" | "0" | "false" => false,
            _ => bail!(
                "{}: line {}: decision must be `same` or `different`",
                path.display(),
                line + 2
            ),
        };
        out.push(Decision {
            id_a: rec.get(a).unwrap_or("").into(),
            id_b: rec.get(b).unwrap_or("").into(),
            same,
        });
    }
    Ok(out)
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    if a.action.is_some() || a.inputs.is_empty() {
        if a.decisions.is_some() || !a.fields.is_empty() || a.id.is_some() {
            bail!(
                "--decisions, --field and --id belong to CSV input (--input); the archive keeps its own decisions (`tumen link decide`)"
            );
        }
        return db::run(g, a);
    }
    let Some(output) = a.output.clone() else {
        bail!("--input needs --output FILE for the scored pairs");
    };
    let started = Instant::now();
    let inputs: Vec<Input> = a
        .inputs
        .iter()
        .map(|p| read_headers(p))
        .collect::<Result<_>>()?;

    // Field mapping: explicit flags, else detection from all inputs' headers.
    let mut specs: Vec<FieldSpec> = Vec::new();
    if !a.fields.is_empty() {
        for f in &a.fields {
            let Some((col, kind)) = f.split_once('=') else {
                bail!("--field {f}: expected COLUMN=KIND");
            };
            let (kind, notf) = match kind.strip_suffix(":notf") {
                Some(k) => (k, true),
                None => (kind, false),
            };
            let Some(k) = FieldKind::parse(kind) else {
                bail!("--field {f}: unknown kind `{kind}`");
            };
            let mut s = FieldSpec::new(col.trim(), k);
            if notf {
                s.term_frequency = false;
            }
            specs.push(s);
        }
    } else {
        for inp in &inputs {
            for h in &inp.headers {
                if a.ignore.iter().any(|i| i.trim() == h) || specs.iter().any(|s| &s.name == h) {
                    continue;
                }
                if let Some(k) = detect_kind(h) {
                    specs.push(FieldSpec::new(h.clone(), k));
                }
            }
        }
        if specs.is_empty() {
            bail!(
                "no column of {} is a recognised person field; map columns with --field COLUMN=KIND",
                inputs
                    .iter()
                    .map(|i| i.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let mode = match &a.mode {
        Some(m) => parse_mode(m)?,
        None if inputs.len() > 1 => LinkMode::Link,
        None => LinkMode::Dedupe,
    };

    let mut data = Dataset::new(specs.clone()).context("setting up the fields")?;
    let progress_on = std::io::stderr().is_terminal();
    for inp in &inputs {
        let id_col = match &a.id {
            Some(id) => inp
                .headers
                .iter()
                .position(|h| h == id.trim())
                .with_context(|| {
                    format!(
                        "{}: no id column `{}` (columns: {})",
                        inp.path.display(),
                        id,
                        inp.headers.join(", ")
                    )
                })?,
            None => inp
                .headers
                .iter()
                .position(|h| ID_HEADERS.contains(&h.to_lowercase().as_str()))
                .with_context(|| {
                    format!(
                        "{}: no id column found (looked for {}); name it with --id",
                        inp.path.display(),
                        ID_HEADERS.join(", ")
                    )
                })?,
        };
        let cols: Vec<Option<usize>> = specs
            .iter()
            .map(|s| inp.headers.iter().position(|h| *h == s.name))
            .collect();
        if !a.fields.is_empty() {
            for (s, c) in specs.iter().zip(&cols) {
                if c.is_none() {
                    bail!(
                        "{}: column `{}` given with --field is missing",
                        inp.path.display(),
                        s.name
                    );
                }
            }
        }
        let source = data.add_source(inp.path.display().to_string())?;
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_path(&inp.path)
            .with_context(|| format!("opening {}", inp.path.display()))?;
        let bar = progress_bar(progress_on, &format!("reading {}", inp.path.display()));
        let mut rec = csv::StringRecord::new();
        let mut line = 1u64;
        loop {
            line += 1;
            let more = rdr
                .read_record(&mut rec)
                .with_context(|| format!("{}: line {}", inp.path.display(), line))?;
            if !more {
                break;
            }
            let id = rec.get(id_col).unwrap_or("");
            let values: Vec<Option<&str>> =
                cols.iter().map(|c| c.and_then(|c| rec.get(c))).collect();
            data.push(id, source, &values)
                .with_context(|| format!("{}: line {}", inp.path.display(), line))?;
            if line % 65536 == 0 {
                bar.set_position(line);
            }
        }
        bar.finish_and_clear();
    }

    let blocking = a
        .block
        .iter()
        .map(|r| BlockingRule::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let decisions = match &a.decisions {
        Some(p) => read_decisions(p)?,
        None => Vec::new(),
    };
    let result = run_linkage(&a, &data, mode, blocking, decisions, progress_on)?;
    write_pairs(&output, &data, &result)?;
    if let Some(path) = &a.clusters {
        write_clusters(path, &data, &result)?;
    }
    print_summary(&a, &data, mode, &result, started, Some(&output), None)
}

/// Wall time of the library's stages in this process: (stage, seconds from
/// its first report to its last, items of its last report). The library
/// reads no clock; the command line times the stage reports it receives.
static STAGES: std::sync::Mutex<Vec<(&'static str, f64, f64, u64)>> =
    std::sync::Mutex::new(Vec::new());

fn stage_clock(p: &tumen_linkage::Progress, t0: Instant) {
    let now = t0.elapsed().as_secs_f64();
    if let Ok(mut v) = STAGES.lock() {
        match v.iter_mut().find(|s| s.0 == p.stage) {
            Some(s) => {
                s.2 = now;
                s.3 = p.done;
            }
            None => v.push((p.stage, now, now, p.done)),
        }
    }
}

/// Per-stage seconds, and comparisons per second where a stage compares
/// pairs (candidates, random pairs for u), for `--json`.
fn stage_report() -> serde_json::Value {
    let v = STAGES.lock().map(|v| v.clone()).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for (k, (stage, start, end, done)) in v.iter().enumerate() {
        // A stage's end is the next stage's start when it reports no end.
        let end = if end > start {
            *end
        } else {
            v.get(k + 1).map_or(*end, |n| n.1)
        };
        let secs = (end - start).max(0.0);
        let mut e = serde_json::json!({ "seconds": secs });
        if matches!(*stage, "comparing" | "sampling u" | "scoring") && secs > 0.0 {
            e["pairs"] = (*done).into();
            e["pairs_per_second"] = (*done as f64 / secs).into();
        }
        out.insert((*stage).to_string(), e);
    }
    serde_json::Value::Object(out)
}

/// Run the library with the options of the command line.
pub(crate) fn run_linkage(
    a: &Args,
    data: &Dataset,
    mode: LinkMode,
    blocking: Vec<BlockingRule>,
    decisions: Vec<Decision>,
    progress_on: bool,
) -> Result<tumen_linkage::LinkResult> {
    let bar = progress_bar(progress_on, "linking");
    let t0 = Instant::now();
    let progress = |p: tumen_linkage::Progress| {
        stage_clock(&p, t0);
        if progress_on {
            bar.set_message(p.stage);
            bar.set_length(p.total.max(1));
            bar.set_position(p.done);
        }
    };
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let req = LinkRequest {
        mode,
        blocking,
        max_pairs: a.max_pairs,
        threshold: a.threshold,
        review_lower: a.review_lower,
        output_min_probability: a.min_probability.unwrap_or(a.review_lower.min(a.threshold)),
        seed: a.seed,
        u_sample_pairs: a.u_sample,
        decisions,
        threads,
        progress: Some(&progress),
        ..LinkRequest::default()
    };
    let result = tumen_linkage::link(data, &req).context("linking")?;
    bar.finish_and_clear();
    Ok(result)
}

/// pairs.csv: id_a, id_b, probability, then the weight explanation.
pub(crate) fn write_pairs(
    path: &Path,
    data: &Dataset,
    result: &tumen_linkage::LinkResult,
) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let mut header = vec![
        "id_a".to_string(),
        "id_b".into(),
        "probability".into(),
        "match_weight".into(),
        "status".into(),
        "prior".into(),
    ];
    for s in data.fields() {
        header.push(format!("w_{}", s.name));
    }
    header.push("explanation".into());
    w.write_record(&header)?;
    // One row of reused buffers; `fixed` prints what `{:.N}` would, without
    // the standard formatter's slow exact path (it dominated this loop).
    use tumen_linkage::fixed::fixed;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for p in &result.pairs {
        let e = result.explain(data, p.a, p.b);
        row.clear();
        row.extend([
            data.id(p.a).to_string(),
            data.id(p.b).to_string(),
            fixed(p.probability, 6),
            fixed(p.weight, 4),
            p.status.as_str().to_string(),
            fixed(e.prior, 4),
        ]);
        for c in &e.fields {
            row.push(fixed(c.weight + c.tf_adjustment, 4));
        }
        row.push(e.to_string());
        w.write_record(&row)?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// clusters.csv: one row per record.
pub(crate) fn write_clusters(
    path: &Path,
    data: &Dataset,
    result: &tumen_linkage::LinkResult,
) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(["cluster_id", "id", "source", "cluster_size", "suspicious"])?;
    let c = &result.clustering;
    let mut size: HashMap<u32, usize> = HashMap::new();
    for k in &c.cluster_of {
        *size.entry(*k).or_default() += 1;
    }
    let suspicious: std::collections::HashSet<u32> =
        c.suspicious.iter().map(|s| s.cluster).collect();
    for (r, k) in c.cluster_of.iter().enumerate() {
        let r = r as u32;
        w.write_record([
            k.to_string(),
            data.id(r).to_string(),
            data.source_names()
                .get(data.source(r) as usize)
                .cloned()
                .unwrap_or_default(),
            size.get(k).copied().unwrap_or(1).to_string(),
            suspicious.contains(k).to_string(),
        ])?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The run's summary, as text or (with --json) one JSON object; `saved`
/// is what archive mode stored.
pub(crate) fn print_summary(
    a: &Args,
    data: &Dataset,
    mode: LinkMode,
    result: &tumen_linkage::LinkResult,
    started: Instant,
    output: Option<&Path>,
    saved: Option<serde_json::Value>,
) -> Result<()> {
    let specs = data.fields();
    let elapsed = started.elapsed().as_secs_f64();
    let s = &result.summary;
    if a.json {
        let mut out = serde_json::json!({
            "summary": s,
            "fields": specs,
            "model": result.model,
            "suspicious_clusters": result.clustering.suspicious,
            "cluster_sizes": result.clustering.size_histogram,
            "joins_refused_by_decisions": result.clustering.joins_refused,
            "seconds": elapsed,
            "stages": stage_report(),
            "output": output,
        });
        if let (Some(obj), Some(saved)) = (out.as_object_mut(), saved) {
            obj.insert("saved".into(), saved);
        }
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "records: {} from {} source(s); mode {:?}",
        s.records, s.sources, mode
    )?;
    writeln!(
        o,
        "fields: {}",
        specs
            .iter()
            .map(|f| format!("{} ({:?})", f.name, f.kind))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    for r in &s.rules {
        writeln!(
            o,
            "blocking rule `{}`: {} pairs in blocks, {} new, largest block {}",
            r.rule, r.pairs_in_blocks, r.new_pairs, r.largest_block
        )?;
    }
    writeln!(
        o,
        "candidate pairs: {}; u from {} random pairs; EM {} iterations{}; prior {:.3e}",
        s.candidate_pairs,
        s.u_sample_pairs,
        s.em_iterations,
        if s.em_converged {
            ""
        } else {
            " (not converged)"
        },
        s.lambda
    )?;
    writeln!(
        o,
        "pairs: {} linked (p >= {}), {} for review, {} decided same, {} decided different{}",
        s.accepted,
        a.threshold,
        s.review,
        s.decided_same,
        s.decided_different,
        match output {
            Some(p) => format!("; {} written to {}", s.pairs_returned, p.display()),
            None => String::new(),
        }
    )?;
    writeln!(
        o,
        "persons: {} clusters, largest {}, {} suspicious; sizes {}",
        s.clusters,
        s.largest_cluster,
        s.suspicious_clusters,
        result
            .clustering
            .size_histogram
            .iter()
            .map(|(size, n)| format!("{size}:{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    )?;
    for w in &s.warnings {
        writeln!(o, "warning: {w}")?;
    }
    if let Some(saved) = saved {
        writeln!(o, "saved: {saved}")?;
    }
    writeln!(o, "time: {elapsed:.2} s")?;
    Ok(())
}

pub(crate) fn progress_bar(on: bool, msg: &str) -> indicatif::ProgressBar {
    if !on {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos}/{len} [{elapsed}]")
    {
        b.set_style(style);
    }
    b.set_message(msg.to_string());
    b
}
