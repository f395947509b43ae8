//! Record commands: init, demo, show, list (adding, importing and exporting
//! are in `transfer`, reports in `report`). Wiring only: validation, access checks and
//! redaction happen in `tumen_service`.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::io::Write;
use tumen_model::{Record, RecordId, RecordKind};
use tumen_service::{Archive, Filter, ImportItem, ImportOptions, InitOptions};

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
            id: None,
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

/// The demo's summary: the timeline of events and interventions, then the
/// statistics (acts by type, place and year; victims; people affected).
fn print_summary(session: &tumen_service::Session<'_>, out: &mut dyn Write) -> Result<()> {
    let f = Filter {
        kinds: vec![RecordKind::Event, RecordKind::Intervention],
        ..Filter::default()
    };
    writeln!(out, "\nTimeline (events and interventions)")?;
    crate::cmd::report::print_timeline(out, &session.timeline(&f)?)?;
    crate::cmd::report::print_stats(out, &session.stats(&Filter::default())?)?;
    writeln!(
        out,
        "\nNext: `tumen timeline`, `tumen stats --act-type forced_repatriation`, `tumen list --date 2023-Q4`, `tumen show ID`"
    )?;
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
    #[command(flatten)]
    pub filter: crate::cmd::filter::FilterArgs,
    /// Print one JSON record per line.
    #[arg(long)]
    pub json: bool,
}

pub fn list(g: &Globals, a: ListArgs) -> Result<()> {
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let f = a.filter.to_filter(&session.vocabularies()?)?;
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
