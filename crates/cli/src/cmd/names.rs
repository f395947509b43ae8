//! `tumen names`: romanize Hangul names and compare names across scripts.
//! Only wiring: argument parsing, reading the pairs CSV, printing. The rules
//! are in `tumen-names`.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use tumen_names::{Comparison, System};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Romanize Hangul names (surname first).
    Romanize {
        /// Hangul names, e.g. 김정은.
        #[arg(required = true)]
        names: Vec<String>,
        /// rr (South Korea 2000), mr (McCune–Reischauer), mr-plain (without
        /// breves and apostrophes) or dprk (North Korea's system).
        #[arg(long, default_value = "rr", value_parser = ["rr", "mr", "mr-plain", "dprk"])]
        system: String,
    },
    /// Are two names the same name? Prints the decision, the score and why.
    Compare {
        /// First name (any script).
        #[arg(required_unless_present = "pairs", conflicts_with = "pairs")]
        a: Option<String>,
        /// Second name (any script).
        #[arg(required_unless_present = "pairs", conflicts_with = "pairs")]
        b: Option<String>,
        /// CSV file with a header row `a,b` and one pair per row.
        #[arg(long, value_name = "FILE.csv")]
        pairs: Option<PathBuf>,
        /// One JSON object per pair: {"same": …, "score": …, "explanation": …}.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(_g: &Globals, a: Args) -> Result<()> {
    match a.cmd {
        Cmd::Romanize { names, system } => {
            let sys: System = system.parse().context("--system")?;
            let mut out = std::io::stdout().lock();
            for (i, n) in names.iter().enumerate() {
                let r = tumen_names::romanize(n, sys).with_context(|| format!("name {}", i + 1))?;
                writeln!(out, "{r}")?;
            }
            Ok(())
        }
        Cmd::Compare { a, b, pairs, json } => {
            let mut out = std::io::stdout().lock();
            if let Some(path) = pairs {
                return compare_file(&path, json, &mut out);
            }
            let (Some(a), Some(b)) = (a, b) else {
                bail!("compare needs two names or --pairs FILE.csv")
            };
            let c = tumen_names::compare(&a, &b);
            print_one(&mut out, &c, json, None)
        }
    }
}

fn print_one(out: &mut impl Write, c: &Comparison, json: bool, line: Option<u64>) -> Result<()> {
    if json {
        let v = serde_json::json!({
            "same": c.same,
            "score": (c.score * 10_000.0).round() / 10_000.0,
            "explanation": c.explanation,
        });
        writeln!(out, "{v}")?;
    } else {
        let verdict = if c.same { "same" } else { "different" };
        match line {
            Some(l) => writeln!(out, "line {l}: {verdict} {:.2}: {}", c.score, c.explanation)?,
            None => writeln!(out, "{verdict} (score {:.2})\n{}", c.score, c.explanation)?,
        }
    }
    Ok(())
}

fn compare_file(path: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let shown = path.display();
    let file = std::fs::File::open(path).with_context(|| format!("{shown}: cannot open"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut header_seen = false;
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let why = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                    csv::ErrorKind::Io(_) => "cannot be read".to_string(),
                    _ => "malformed CSV".to_string(),
                };
                bail!("{shown}: line {line}: {why}");
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if !header_seen {
            header_seen = true;
            let h: Vec<String> = rec
                .iter()
                .map(|f| f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
                .collect();
            if h != ["a", "b"] {
                bail!(
                    "{shown}: line {line}: the header must be `a,b` (found {} column(s) with other names)",
                    h.len()
                );
            }
            continue;
        }
        if rec.len() != 2 {
            // The values are names (confidential): say how many, not what.
            bail!(
                "{shown}: line {line}: expected 2 fields (a,b), found {}",
                rec.len()
            );
        }
        let c = tumen_names::compare(&rec[0], &rec[1]);
        print_one(out, &c, json, Some(line))?;
    }
    if !header_seen {
        bail!("{shown}: line 1: empty file, expected a header `a,b`");
    }
    Ok(())
}
