//! `tumen evidence add|list|export|verify`: evidence files with a chain of
//! custody. Wiring only: the rules are in `tumen_service::Evidence` and
//! `tumen_evidence`.
//!
//! `add` reads the file once (hashing while it encrypts); `export` writes
//! to a temporary file beside the target and renames it into place only
//! when the export and its custody entry succeeded, so a refused or failed
//! export leaves nothing behind.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::PathBuf;
use tumen_model::RecordId;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: EvidenceCommand,
}

#[derive(clap::Subcommand)]
enum EvidenceCommand {
    /// Acquire FILE as evidence for a record: SHA-256 at acquisition,
    /// encrypted, content-addressed; Exif/GPS extracted; custody entry.
    Add {
        file: PathBuf,
        #[arg(long, value_name = "ID")]
        record: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The files attached to a record.
    List { record: String },
    /// Write a copy of an original (by its SHA-256) for sharing.
    Export {
        hash: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Remove Exif/XMP/IPTC/comments (JPEG only; other types are refused).
        #[arg(long)]
        strip: bool,
        /// Why it is exported (goes into the custody entry).
        #[arg(long, default_value = "shared")]
        purpose: String,
    },
    /// Decrypt and re-hash every original; each check is a custody entry.
    Verify,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn record_id(s: &str) -> Result<RecordId> {
    RecordId::new(s.to_string()).map_err(|e| anyhow::anyhow!("record id {s:?}: {e}"))
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    let dir = g.data_dir()?;
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let session = archive.session(actor);
    let ev = session
        .evidence(&dir)
        .context("opening the evidence files")?;
    match a.command {
        EvidenceCommand::Add { file, record, note } => {
            let rid = record_id(&record)?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .with_context(|| format!("{}: no usable file name", file.display()))?
                .to_string();
            let mut f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let (hash, info) = ev
                .add(&rid, &mut f, &name, &note, now_ms())
                .with_context(|| format!("adding evidence to record {record}"))?;
            println!("{hash}");
            println!(
                "acquired {} bytes ({}), {} metadata tag(s) extracted; attached to {record}",
                info.size,
                info.media_type,
                info.metadata.len()
            );
        }
        EvidenceCommand::List { record } => {
            let rid = record_id(&record)?;
            let list = ev
                .list(&rid)
                .with_context(|| format!("listing evidence of {record}"))?;
            for v in list {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    v.sha256,
                    v.size,
                    v.media_type,
                    v.added_at,
                    v.name.as_deref().unwrap_or("(name withheld)"),
                    v.note
                );
                if let Some(m) = v.metadata {
                    if m != "{}" {
                        println!("\tmetadata: {m}");
                    }
                }
            }
        }
        EvidenceCommand::Export {
            hash,
            out,
            strip,
            purpose,
        } => {
            if out.exists() {
                bail!("{} exists; refusing to overwrite it", out.display());
            }
            let parent = out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile_in(parent)?;
            let r = ev.export(&hash, &mut tmp.1, strip, &purpose, now_ms());
            let r = r.map_err(anyhow::Error::from).and_then(|e| {
                tmp.1.flush()?;
                tmp.1.sync_all()?;
                Ok(e)
            });
            match r {
                Ok(e) => {
                    std::fs::rename(&tmp.0, &out)
                        .with_context(|| format!("writing {}", out.display()))?;
                    println!(
                        "exported evidence {hash} to {} ({}), sha256 of the copy {}",
                        out.display(),
                        e.detail,
                        e.result_sha256
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    );
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp.0);
                    return Err(e).with_context(|| format!("exporting evidence {hash}"));
                }
            }
        }
        EvidenceCommand::Verify => {
            let checks = ev.verify_all(now_ms()).context("verifying evidence")?;
            let bad: Vec<_> = checks.iter().filter(|c| c.problem.is_some()).collect();
            for c in &bad {
                println!("BAD {}: {}", c.sha256, c.problem.as_deref().unwrap_or(""));
            }
            println!(
                "{} evidence file(s) checked, {} intact, {} bad",
                checks.len(),
                checks.len() - bad.len(),
                bad.len()
            );
            if !bad.is_empty() {
                bail!("{} evidence file(s) do not match their hash", bad.len());
            }
        }
    }
    Ok(())
}

/// A new file with a random name in `dir`, created exclusively.
fn tempfile_in(dir: &std::path::Path) -> Result<(PathBuf, std::fs::File)> {
    for _ in 0..16 {
        let n: u64 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64 ^ d.as_secs())
            .unwrap_or(0)
            ^ (std::process::id() as u64) << 32;
        let p = dir.join(format!(".tumen-export-{n:016x}.part"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("creating a file in {}", dir.display()));
            }
        }
    }
    bail!("cannot create a temporary file in {}", dir.display())
}
