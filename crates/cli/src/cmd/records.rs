//! Record commands: init, demo, add, import, export, show, list, timeline,
//! stats, history, vocab. Wiring only: validation, access checks and
//! redaction happen in `tumen_service`.
//! (`add`, `import`, `export`, `timeline`, `stats`, `history` and `vocab`
//! are still being built; see issue 2.)

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::Write;
use tumen_model::{Record, RecordId, RecordKind};
use tumen_service::{Archive, Filter, ImportItem, ImportOptions, InitOptions, Order};

/// The bundled demo dataset: real, cited 2023 events plus fictional persons.
const DEMO_RECORDS: &str = include_str!("../../../../data/demo/records.jsonl");
/// A record that only the demo dataset holds: marks an archive as a demo.
const DEMO_MARKER: &str = "src-yonhap-2023-10-11";

#[derive(clap::Args)]
pub struct InitArgs {}

pub fn init(g: &Globals, _a: InitArgs) -> Result<()> {
    let dir = g.data_dir()?;
    let pass = g.passphrase()?;
    Archive::init(&dir, &pass, InitOptions::default())
        .with_context(|| format!("creating an archive in {}", dir.display()))?;
    println!("created an encrypted archive in {}", dir.display());
    Ok(())
}

#[derive(clap::Args)]
pub struct DemoArgs {}

/// Parse the bundled JSON Lines into import items, numbered by line.
fn demo_items() -> Vec<ImportItem> {
    DEMO_RECORDS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| ImportItem {
            line: i as u64 + 1,
            record: Record::from_json(l)
                .map_err(|e| vec![tumen_model::FieldError::new("", e.to_string())]),
        })
        .collect()
}

pub fn demo(g: &Globals, _a: DemoArgs) -> Result<()> {
    let dir = g.data_dir()?;
    let pass = g.passphrase()?;
    let exists = dir.join(tumen_store::DB_FILE).exists();
    let archive = if exists {
        Archive::open(&dir, &pass).with_context(|| format!("opening {}", dir.display()))?
    } else {
        Archive::init(&dir, &pass, InitOptions::default())
            .with_context(|| format!("creating a demo archive in {}", dir.display()))?
    };
    let session = archive.session(tumen_service::local_administrator("demo"));
    let marker = RecordId::new(DEMO_MARKER).context("demo marker id")?;
    if session.get(&marker)?.is_none() {
        if session.count(&Filter::default())? > 0 {
            bail!(
                "{} holds an archive that is not the demo; give the demo an empty --data directory",
                dir.display()
            );
        }
        let items = demo_items();
        let n = items.len() as u64;
        session
            .import_batch(
                &mut items.into_iter(),
                ImportOptions {
                    total: Some(n),
                    ..Default::default()
                },
                &mut |_, _| {},
            )
            .context("importing the bundled demo dataset")?;
        println!("built the demo archive in {} ({n} records)", dir.display());
    } else {
        println!("the demo archive in {} is already built", dir.display());
    }
    let out = &mut std::io::stdout().lock();
    print_summary(&session, out)?;
    Ok(())
}

/// Timeline of events, acts and interventions, then acts by type and place.
fn print_summary(session: &tumen_service::Session<'_>, out: &mut dyn Write) -> Result<()> {
    let all = session.query(&Filter::default())?;
    let labels: BTreeMap<RecordId, String> = all
        .iter()
        .map(|v| (v.record.id().clone(), v.record.label()))
        .collect();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &all {
        *kinds.entry(v.record.kind().as_str()).or_default() += 1;
    }
    writeln!(out, "\nRecords by kind")?;
    for (k, n) in &kinds {
        writeln!(out, "  {k:<14} {n:>5}")?;
    }
    let f = Filter {
        kinds: vec![RecordKind::Event, RecordKind::Intervention],
        order: Order::DateAsc,
        ..Filter::default()
    };
    writeln!(out, "\nTimeline (events and interventions)")?;
    for v in session.query(&f)? {
        let (date, extra) = match &v.record {
            Record::Event(e) => (
                e.date.as_ref().map(|d| d.to_string()),
                e.people_affected
                    .map(|c| format!(" — people affected: {c}")),
            ),
            Record::Intervention(i) => (i.date.as_ref().map(|d| d.to_string()), None),
            _ => (None, None),
        };
        let fict = if v.record.is_fictional() {
            " [fictional]"
        } else {
            ""
        };
        writeln!(
            out,
            "  {:<12} {:<13} {}{}{}",
            date.unwrap_or_else(|| "undated".into()),
            v.record.kind().as_str(),
            v.record.label(),
            extra.unwrap_or_default(),
            fict
        )?;
    }
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_place: BTreeMap<String, usize> = BTreeMap::new();
    for v in all.iter().filter(|v| v.record.kind() == RecordKind::Act) {
        if let Record::Act(a) = &v.record {
            *by_type.entry(a.act_type.replace('_', " ")).or_default() += 1;
            let place = a
                .place
                .as_ref()
                .map(|p| labels.get(p).cloned().unwrap_or_else(|| p.to_string()))
                .unwrap_or_else(|| "(place unknown)".into());
            *by_place.entry(place).or_default() += 1;
        }
    }
    writeln!(out, "\nActs by type")?;
    for (t, n) in &by_type {
        writeln!(out, "  {t:<32} {n:>5}")?;
    }
    writeln!(out, "\nActs by place")?;
    for (p, n) in &by_place {
        writeln!(out, "  {p:<32} {n:>5}")?;
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// The record id.
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn show(g: &Globals, a: ShowArgs) -> Result<()> {
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let id = RecordId::new(a.id.clone()).with_context(|| format!("record id {:?}", a.id))?;
    let Some(v) = session.get(&id)? else {
        bail!("record {id} does not exist");
    };
    if a.json {
        println!("{}", v.record.to_json());
    } else {
        println!(
            "{} {} (revision {}, {})",
            v.record.kind(),
            id,
            v.rev,
            v.record.sensitivity()
        );
        println!(
            "created {} by {}; updated {} by {}",
            v.created_at, v.created_by, v.updated_at, v.updated_by
        );
        let (cols, cells) = tumen_model::flat::to_row(&v.record);
        for (c, cell) in cols.iter().zip(cells) {
            if !cell.is_empty() {
                println!("  {c:<18} {cell}");
            }
        }
        if v.redacted {
            println!("  (some fields are above your clearance and are not shown)");
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Only records of this kind (person, organization, place, event, act, source, intervention).
    #[arg(long)]
    pub kind: Vec<String>,
    /// Only records whose date overlaps this partial date (2023, 2023-Q3, 2023-08).
    #[arg(long)]
    pub date: Option<String>,
    /// Only records at this place or its sub-places (place id).
    #[arg(long)]
    pub place: Vec<String>,
    /// Only records with this vocabulary term, e.g. act_type:torture.
    #[arg(long)]
    pub term: Vec<String>,
    /// Print one JSON record per line.
    #[arg(long)]
    pub json: bool,
}

pub fn list(g: &Globals, a: ListArgs) -> Result<()> {
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let mut f = Filter {
        order: Order::DateAsc,
        ..Filter::default()
    };
    for k in &a.kind {
        f.kinds.push(
            RecordKind::parse(k).with_context(|| format!("--kind {k:?} is not a record kind"))?,
        );
    }
    if let Some(d) = &a.date {
        let pd = tumen_model::PartialDate::parse(d).with_context(|| format!("--date {d:?}"))?;
        let (lo, hi) = pd
            .bounds()
            .with_context(|| format!("--date {d:?} has no bounds"))?;
        f.date_from = Some(lo);
        f.date_to = Some(hi);
    }
    for p in &a.place {
        f.places
            .push(RecordId::new(p.clone()).with_context(|| format!("--place {p:?}"))?);
    }
    f.terms = a.term.clone();
    let out = &mut std::io::stdout().lock();
    for v in session.query(&f)? {
        if a.json {
            writeln!(out, "{}", v.record.to_json())?;
        } else {
            writeln!(
                out,
                "{:<28} {:<13} {}",
                v.record.id().as_str(),
                v.record.kind().as_str(),
                v.record.label()
            )?;
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct AddArgs {}

pub fn add(_g: &Globals, _a: AddArgs) -> Result<()> {
    bail!("`tumen add` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct ImportArgs {}

pub fn import(_g: &Globals, _a: ImportArgs) -> Result<()> {
    bail!("`tumen import` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct ExportArgs {}

pub fn export(_g: &Globals, _a: ExportArgs) -> Result<()> {
    bail!("`tumen export` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct TimelineArgs {}

pub fn timeline(_g: &Globals, _a: TimelineArgs) -> Result<()> {
    bail!("`tumen timeline` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct StatsArgs {}

pub fn stats(_g: &Globals, _a: StatsArgs) -> Result<()> {
    bail!("`tumen stats` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct HistoryArgs {}

pub fn history(_g: &Globals, _a: HistoryArgs) -> Result<()> {
    bail!("`tumen history` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct VocabArgs {}

pub fn vocab(_g: &Globals, _a: VocabArgs) -> Result<()> {
    bail!("`tumen vocab` is not available in this build yet")
}
