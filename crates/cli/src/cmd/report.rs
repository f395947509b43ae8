//! Reading the archive as a whole: `tumen timeline`, `tumen stats`,
//! `tumen history` and `tumen vocab`. The figures come from
//! `tumen_service` (the same functions the web pages will call); this
//! module prints them as text or JSON.

use crate::cmd::filter::FilterArgs;
use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::io::Write;
use tumen_model::{RecordId, UserTerm, Vocab, flat};
use tumen_service::{RevisionView, Stats, Tally, TimelineEntry};

fn session_parts(g: &Globals) -> Result<tumen_service::Archive> {
    crate::cmd::user::open(g)
}

// ---------------------------------------------------------------- timeline

#[derive(clap::Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

pub fn timeline(g: &Globals, a: TimelineArgs) -> Result<()> {
    let archive = session_parts(g)?;
    let session = archive.session(crate::cmd::user::actor(g, &archive)?);
    let f = a.filter.to_filter(&session.vocabularies()?)?;
    let entries = session.timeline(&f)?;
    let out = &mut std::io::stdout().lock();
    if a.json {
        for e in &entries {
            writeln!(out, "{}", serde_json::to_string(e)?)?;
        }
        return Ok(());
    }
    print_timeline(out, &entries)?;
    Ok(())
}

/// One line per entry: date, kind, label, places, people affected, id.
pub fn print_timeline(out: &mut dyn Write, entries: &[TimelineEntry]) -> std::io::Result<()> {
    for e in entries {
        let mut line = format!(
            "  {:<16} {:<13} {}",
            e.date.as_deref().unwrap_or("undated"),
            e.kind.as_str(),
            e.label
        );
        if !e.places.is_empty() {
            line.push_str(&format!(" — at {}", e.places.join(", ")));
        }
        if let Some(p) = &e.people_affected {
            line.push_str(&format!(" — people affected: {p}"));
        }
        if e.fictional {
            line.push_str(" [fictional]");
        }
        writeln!(out, "{line}  ({})", e.id)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- stats

/// Terminal columns of `s`: Hangul, CJK ideographs and full-width forms
/// take two columns, so Korean labels line up with English ones.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA960..=0xA97F
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces to `cols` terminal columns.
pub fn pad(s: &str, cols: usize) -> String {
    format!("{s}{}", " ".repeat(cols.saturating_sub(width(s))))
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print the statistics as one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn table(out: &mut dyn Write, title: &str, rows: &[Tally]) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title}")?;
    for r in rows {
        writeln!(out, "  {} {:>7}", pad(&r.label, 52), r.count)?;
    }
    Ok(())
}

pub fn stats(g: &Globals, a: StatsArgs) -> Result<()> {
    let archive = session_parts(g)?;
    let session = archive.session(crate::cmd::user::actor(g, &archive)?);
    let f = a.filter.to_filter(&session.vocabularies()?)?;
    let s = session.stats(&f)?;
    let out = &mut std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string(&s)?)?;
        return Ok(());
    }
    print_stats(out, &s)?;
    Ok(())
}

/// The statistics as text tables.
pub fn print_stats(out: &mut dyn Write, s: &Stats) -> std::io::Result<()> {
    table(out, "Records by kind", &s.records_by_kind)?;
    if s.acts > 0 {
        writeln!(out, "\nActs: {}", s.acts)?;
    }
    table(out, "Acts by type", &s.acts_by_type)?;
    table(out, "Acts by place", &s.acts_by_place)?;
    table(out, "Acts by year", &s.acts_by_year)?;
    if s.victims.individuals + s.victims.groups > 0 {
        writeln!(
            out,
            "\nVictims of these acts: {} individual(s) and {} group(s), {}",
            s.victims.individuals,
            s.victims.groups,
            s.victims.describe()
        )?;
    }
    table(out, "Victims by category", &s.victims_by_category)?;
    if s.events > 0 {
        writeln!(
            out,
            "\nEvents: {}, affecting {} as reported",
            s.events,
            s.people_affected.describe()
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- history

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The record id.
    pub id: String,
    /// Print one JSON object per revision.
    #[arg(long)]
    pub json: bool,
}

/// Field-by-field changes of one revision, in the CSV column convention:
/// (column, before, after), cells empty when not given.
fn changes(r: &RevisionView) -> Vec<(String, String, String)> {
    let cells = |rec: &Option<tumen_model::Record>| {
        rec.as_ref().map(|r| {
            let (cols, cells) = flat::to_row(r);
            cols.into_iter()
                .map(str::to_string)
                .zip(cells)
                .collect::<Vec<_>>()
        })
    };
    let before = cells(&r.before);
    let after = cells(&r.after);
    match (before, after) {
        (None, None) => Vec::new(),
        (None, Some(a)) => a
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (c, String::new(), v))
            .collect(),
        (Some(b), None) => b
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| (c, v, String::new()))
            .collect(),
        (Some(b), Some(a)) => b
            .into_iter()
            .zip(a)
            .filter(|((_, x), (_, y))| x != y)
            .map(|((c, x), (_, y))| (c, x, y))
            .collect(),
    }
}

pub fn history(g: &Globals, a: HistoryArgs) -> Result<()> {
    let archive = session_parts(g)?;
    let session = archive.session(crate::cmd::user::actor(g, &archive)?);
    let id = RecordId::new(a.id.clone()).with_context(|| format!("record id {:?}", a.id))?;
    let revs = session.history(&id).map_err(|e| match e {
        tumen_service::ServiceError::NotFound(_) => anyhow::anyhow!("record {id} does not exist"),
        other => anyhow::Error::new(other).context(format!("history of {id}")),
    })?;
    let out = &mut std::io::stdout().lock();
    for r in &revs {
        let ch = changes(r);
        if a.json {
            let list: Vec<_> = ch
                .iter()
                .map(|(f, b, x)| serde_json::json!({"field": f, "before": b, "after": x}))
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::json!({
                    "id": id.as_str(), "rev": r.rev, "seq": r.seq, "op": r.op.as_str(),
                    "actor": r.actor, "at": r.at, "origin": r.origin,
                    "withheld": r.withheld, "changes": list,
                })
            )?;
            continue;
        }
        writeln!(
            out,
            "revision {} ({}) {} by {}{}",
            r.rev,
            r.op.as_str(),
            r.at,
            r.actor,
            if r.origin.is_empty() {
                String::new()
            } else {
                format!(" via {}", r.origin)
            }
        )?;
        if r.withheld {
            writeln!(
                out,
                "  (the contents of this revision are above your clearance)"
            )?;
            continue;
        }
        for (f, b, x) in &ch {
            match (b.is_empty(), x.is_empty()) {
                (true, _) => writeln!(out, "  + {f}: {x}")?,
                (false, true) => writeln!(out, "  - {f}: {b}")?,
                (false, false) => writeln!(out, "  ~ {f}: {b} → {x}")?,
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- vocab

#[derive(clap::Args)]
pub struct VocabArgs {
    #[command(subcommand)]
    pub command: Option<VocabCommand>,
}

#[derive(clap::Subcommand)]
pub enum VocabCommand {
    /// The terms of one vocabulary (or the list of vocabularies).
    List {
        /// A vocabulary, e.g. act_type, category, facility_type.
        vocab: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a term to an open vocabulary (no code change needed).
    Add {
        /// The vocabulary, e.g. act_type.
        vocab: String,
        /// The new term's code: a–z, 0–9 and _, starting with a letter.
        code: String,
        /// The English label.
        #[arg(long)]
        en: String,
        /// The Korean label.
        #[arg(long)]
        ko: String,
        /// A note on when to use the term.
        #[arg(long)]
        note: Option<String>,
    },
}

fn vocab_of(v: &str) -> Result<Vocab> {
    Vocab::parse(v).with_context(|| {
        let all: Vec<&str> = Vocab::ALL.iter().map(|v| v.as_str()).collect();
        format!("{v:?} is not a vocabulary (known: {})", all.join(", "))
    })
}

pub fn vocab(g: &Globals, a: VocabArgs) -> Result<()> {
    let archive = session_parts(g)?;
    let session = archive.session(crate::cmd::user::actor(g, &archive)?);
    let command = a.command.unwrap_or(VocabCommand::List {
        vocab: None,
        json: false,
    });
    match command {
        VocabCommand::List { vocab, json } => {
            let vocabs = session.vocabularies()?;
            let out = &mut std::io::stdout().lock();
            match vocab {
                None => {
                    for v in Vocab::ALL {
                        let n = vocabs.terms(v).count();
                        if json {
                            writeln!(
                                out,
                                "{}",
                                serde_json::json!({"vocab": v.as_str(), "terms": n,
                                    "closed": v.is_closed(), "description": v.description()})
                            )?;
                        } else {
                            writeln!(
                                out,
                                "{:<20} {:>3} terms{}  {}",
                                v.as_str(),
                                n,
                                if v.is_closed() { " (closed)" } else { "" },
                                v.description()
                            )?;
                        }
                    }
                }
                Some(name) => {
                    let v = vocab_of(&name)?;
                    for t in vocabs.terms(v) {
                        let user = vocabs.is_user_term(v, &t.code);
                        if json {
                            writeln!(
                                out,
                                "{}",
                                serde_json::json!({"vocab": v.as_str(), "code": t.code,
                                    "en": t.en, "ko": t.ko, "note": t.note, "user": user})
                            )?;
                        } else {
                            writeln!(
                                out,
                                "{:<28} {:<40} {}{}",
                                t.code,
                                t.en,
                                t.ko,
                                if user { "  (added by a user)" } else { "" }
                            )?;
                        }
                    }
                }
            }
        }
        VocabCommand::Add {
            vocab,
            code,
            en,
            ko,
            note,
        } => {
            let v = vocab_of(&vocab)?;
            if v.is_closed() {
                bail!("{} is a published scale and cannot be extended", v.as_str());
            }
            session
                .extend_vocabulary(UserTerm {
                    vocab: v,
                    code: code.clone(),
                    en,
                    ko,
                    note,
                })
                .with_context(|| format!("adding {code:?} to {}", v.as_str()))?;
            println!("added {code} to {}", v.as_str());
        }
    }
    Ok(())
}
