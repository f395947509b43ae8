//! `tumen publish --policy FILE --out DIR --pseudonym-key-file FILE`: write
//! a public dataset. Wiring only: the rules are in `tumen_protect::publish`.
//!
//! Writes `DIR/records.jsonl` (one published record per line) and nothing
//! else into DIR; the operator's report — which names archive ids — goes to
//! `--report FILE` if given, never into the public directory. On a refusal
//! (an equivalence class smaller than k) nothing is written.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::PathBuf;
use tumen_model::Sensitivity;
use tumen_protect::publish::{self, PseudonymKey, PublicationPolicy};
use tumen_service::Filter;

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Publication policy (JSON): kinds, fields, date coarsening, place
    /// generalization, quasi-identifiers and k.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Directory to write the public dataset into (created; must be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// File holding the secret pseudonym key as 64 hex digits. Keep it with
    /// the archive, not with the dataset: with it, pseudonyms can be
    /// recomputed from ids.
    #[arg(long, value_name = "FILE")]
    pub pseudonym_key_file: PathBuf,
    /// Write the operator's report (names archive ids) to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

fn read_key(path: &PathBuf) -> Result<PseudonymKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading pseudonym key file {}", path.display()))?;
    let digits: Vec<u32> = text.trim().chars().filter_map(|c| c.to_digit(16)).collect();
    if digits.len() != 64 || text.trim().chars().count() != 64 {
        bail!(
            "pseudonym key file {} must hold exactly 64 hex digits",
            path.display()
        );
    }
    let mut key = [0u8; 32];
    for (k, pair) in key.iter_mut().zip(digits.chunks(2)) {
        *k = pair.iter().fold(0u8, |acc, d| (acc << 4) | *d as u8);
    }
    Ok(PseudonymKey(key))
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    let meta = std::fs::metadata(&a.policy)
        .with_context(|| format!("reading policy {}", a.policy.display()))?;
    if meta.len() > MAX_POLICY_BYTES {
        bail!("policy {} is larger than 1 MiB", a.policy.display());
    }
    let text = std::fs::read_to_string(&a.policy)
        .with_context(|| format!("reading policy {}", a.policy.display()))?;
    let policy = PublicationPolicy::from_json(&text)
        .with_context(|| format!("policy {}", a.policy.display()))?;
    let key = read_key(&a.pseudonym_key_file)?;
    if a.out.exists()
        && std::fs::read_dir(&a.out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "output directory {} exists and is not empty",
            a.out.display()
        );
    }

    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    tumen_protect::check(
        &actor,
        tumen_protect::Operation::Publish,
        &tumen_model::Envelope {
            id: tumen_model::RecordId::new("publication").context("constant id")?,
            kind: tumen_model::RecordKind::Source,
            sensitivity: Sensitivity::Public,
            access_groups: Vec::new(),
        },
    )
    .context("publishing")?;
    let session = archive.session(actor);
    // Confidential records are never published, so they are not read at
    // all (no access entries in the ledger, nothing in memory); references
    // to them are removed by the publisher like references to any record it
    // was not given. The reader's clearance and groups narrow this further.
    let records: Vec<_> = session
        .query(&Filter {
            max_sensitivity: Some(Sensitivity::Restricted),
            ..Filter::default()
        })
        .context("reading the archive")?
        .into_iter()
        .map(|v| v.record)
        .collect();
    let places = publish::place_index(&records);
    let publication = publish::publish(&records, &policy, &key, &|id| places.get(id).cloned())
        .context("publication refused")?;

    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let path = a.out.join("records.jsonl");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create_new(&path).with_context(|| format!("creating {}", path.display()))?,
    );
    for r in &publication.records {
        serde_json::to_writer(&mut f, r).context("writing records.jsonl")?;
        f.write_all(b"\n").context("writing records.jsonl")?;
    }
    f.flush().context("writing records.jsonl")?;
    if let Some(rp) = &a.report {
        let text = serde_json::to_string_pretty(&publication.report).context("report")?;
        std::fs::write(rp, text).with_context(|| format!("writing report {}", rp.display()))?;
    }
    let r = &publication.report;
    let published: Vec<String> = r
        .published
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!(
        "published {} records ({}) to {}",
        publication.records.len(),
        published.join(", "),
        path.display()
    );
    println!(
        "left out {} records; {} small classes suppressed; {} references to unpublished records removed",
        r.excluded.len(),
        r.suppressed_classes.len(),
        r.removed_references
    );
    for (kind, min) in &r.smallest_class {
        println!("smallest class of {kind}: {min} (k = {})", r.k);
    }
    Ok(())
}
