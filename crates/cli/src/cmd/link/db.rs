//! `tumen link` on the archive: link the person records the actor may read,
//! keep the review queue, store reviewer decisions, list and unlink resolved
//! persons. All checks happen in the service session; this file maps
//! records to the linkage library's columns and prints.
//!
//! The review queue is not stored: `tumen link review` scores again with the
//! same seed and settings (deterministic) and lists the pairs between the
//! two thresholds that no decision settles yet, so the queue always matches
//! the records and decisions as they are now.

use super::{
    Args, parse_mode, print_summary, progress_bar, run_linkage, write_clusters, write_pairs,
};
use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::time::Instant;
use tumen_linkage::{BlockingRule, Dataset, Decision, FieldKind, FieldSpec, LinkMode, PairStatus};
use tumen_model::{Name, RecordId};
use tumen_service::{Archive, LinkPerson, Session, local_administrator};

#[derive(clap::Subcommand)]
pub enum Action {
    /// List the pairs waiting for a person's decision, with the explanation.
    Review {
        #[arg(long)]
        json: bool,
    },
    /// Record that two person records are the same person or different
    /// people; every later run respects it.
    Decide {
        /// A person record id.
        id_a: String,
        /// Another person record id.
        id_b: String,
        /// same or different
        decision: String,
        /// Why (kept with the decision).
        #[arg(long)]
        note: Option<String>,
    },
    /// Take a record (or every member) out of a resolved person; the records
    /// become persons on their own again and later runs keep them apart.
    Unlink {
        /// A resolved person id (`P-…`, see `tumen link persons`).
        resolved_id: String,
        /// Only this member record [default: every member].
        record_id: Option<String>,
    },
    /// List resolved persons with their member records and every spelling.
    Persons {
        #[arg(long)]
        json: bool,
    },
}

/// A record's spellings in the order they are listed to linkage: Hangul
/// first, then Hanja, then romanizations (legal names before aliases within
/// a script). Every spelling is compared and blocked on; the order only
/// decides which one is the record's main value (term frequencies, CSV).
fn ordered_names(names: &[Name]) -> Vec<&str> {
    let rank = |n: &Name| match n.script.as_str() {
        "hangul" => 0,
        "hanja" => 1,
        "latin" => 2,
        _ => 3,
    };
    let mut v: Vec<&Name> = names.iter().filter(|n| !n.text.trim().is_empty()).collect();
    v.sort_by_key(|n| (rank(n), n.kind != "legal"));
    let mut out: Vec<&str> = Vec::with_capacity(v.len());
    for n in v {
        let t = n.text.trim();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

const FIELDS: &[(&str, FieldKind)] = &[
    ("name", FieldKind::PersonName),
    ("sex", FieldKind::Sex),
    ("birth_date", FieldKind::BirthDate),
    // The origin place by record id: aliases are one place record, so ids
    // already compare every spelling of a place.
    ("origin", FieldKind::Category),
    // The origin's ancestor just below the top of the hierarchy (province):
    // a county agrees with its province here while disagreeing on `origin`,
    // which gives the lower level of agreement the hierarchy deserves.
    ("origin_area", FieldKind::Category),
    ("category", FieldKind::Category),
    ("arrest_date", FieldKind::Date),
    ("repatriation_date", FieldKind::Date),
];

/// The values of one person in the order of [`FIELDS`]: every spelling of
/// the name, one value for each other field.
fn values(p: &LinkPerson) -> Vec<Vec<String>> {
    let area = match p.origin_path.len() {
        0 => None,
        1 => p.origin_path.first(),
        n => p.origin_path.get(n - 2),
    };
    let mut cats = p.person.categories.clone();
    cats.sort();
    let one = |v: Option<String>| v.into_iter().collect::<Vec<String>>();
    vec![
        ordered_names(&p.person.names)
            .into_iter()
            .map(str::to_string)
            .collect(),
        one(p.person.sex.clone()),
        one(p.person.birth_date.as_ref().map(|d| d.to_string())),
        one(p.person.origin.as_ref().map(|o| o.to_string())),
        one(area.map(|a| a.to_string())),
        one((!cats.is_empty()).then(|| cats.join(" "))),
        one(p.arrest_date.as_ref().map(|d| d.to_string())),
        one(p.repatriation_date.as_ref().map(|d| d.to_string())),
    ]
}

/// The linkage dataset of the archive's persons. Fields with fewer than two
/// values are left out: they cannot agree on any pair, and EM learns nothing
/// from them.
pub(crate) fn dataset(people: &[LinkPerson]) -> Result<Dataset> {
    let rows: Vec<Vec<Vec<String>>> = people.iter().map(values).collect();
    let keep: Vec<usize> = (0..FIELDS.len())
        .filter(|&f| {
            rows.iter()
                .filter(|r| r.get(f).is_some_and(|v| !v.is_empty()))
                .count()
                >= 2
        })
        .collect();
    if keep.is_empty() {
        bail!(
            "the archive's person records have no field to compare (fewer than two records, or no names, dates or places)"
        );
    }
    let specs: Vec<FieldSpec> = keep
        .iter()
        .filter_map(|&f| FIELDS.get(f))
        .map(|(n, k)| FieldSpec::new(*n, *k))
        .collect();
    let mut data = Dataset::new(specs).context("setting up the fields")?;
    let source = data.add_source("archive")?;
    for (p, r) in people.iter().zip(&rows) {
        let vals: Vec<Vec<&str>> = keep
            .iter()
            .map(|&f| {
                r.get(f)
                    .map(|v| v.iter().map(String::as_str).collect())
                    .unwrap_or_default()
            })
            .collect();
        let slices: Vec<&[&str]> = vals.iter().map(Vec::as_slice).collect();
        data.push_many(p.person.id.as_str(), source, &slices)
            .with_context(|| format!("person record {}", p.person.id))?;
    }
    Ok(data)
}

fn open(g: &Globals) -> Result<Archive> {
    let dir = g.data_dir()?;
    Archive::open(&dir, &g.passphrase()?)
        .with_context(|| format!("opening the archive in {}", dir.display()))
}

fn rid(s: &str) -> Result<RecordId> {
    RecordId::new(s.trim()).with_context(|| format!("`{s}` is not a record id"))
}

/// Score the archive: people, dataset, run (decisions from the store).
struct Scored {
    people: Vec<LinkPerson>,
    data: Dataset,
    result: tumen_linkage::LinkResult,
    mode: LinkMode,
}

fn score(session: &Session, a: &Args) -> Result<Scored> {
    let people = session
        .linkage_input()
        .context("reading the person records")?;
    let data = dataset(&people)?;
    let decisions: Vec<Decision> = session
        .link_decisions()
        .context("reading link decisions")?
        .into_iter()
        .map(|d| Decision {
            id_a: d.id_a.to_string(),
            id_b: d.id_b.to_string(),
            same: d.same,
        })
        .collect();
    let mode = match &a.mode {
        Some(m) => parse_mode(m)?,
        None => LinkMode::Dedupe,
    };
    if mode != LinkMode::Dedupe {
        bail!("the archive is one collection: use --mode dedupe (the default) or link CSV files");
    }
    let blocking = a
        .block
        .iter()
        .map(|r| BlockingRule::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let result = run_linkage(
        a,
        &data,
        mode,
        blocking,
        decisions,
        std::io::stderr().is_terminal(),
    )?;
    Ok(Scored {
        people,
        data,
        result,
        mode,
    })
}

pub fn run(g: &Globals, mut a: Args) -> Result<()> {
    let started = Instant::now();
    let archive = open(g)?;
    // Until accounts exist the command line acts as the local administrator.
    let session = archive.session(local_administrator("cli"));
    match a.action.take() {
        None => link_archive(&session, &a, started),
        Some(Action::Review { json }) => review(&session, &a, json),
        Some(Action::Decide {
            id_a,
            id_b,
            decision,
            note,
        }) => {
            let same = match decision.trim().to_lowercase().as_str() {
                "same" => true,
                "different" => false,
                other => bail!("decision `{other}`: use `same` or `different`"),
            };
            let (x, y) = (rid(&id_a)?, rid(&id_b)?);
            let d = session
                .decide(&x, &y, same, note.as_deref())
                .with_context(|| format!("recording the decision on {x} and {y}"))?;
            println!(
                "recorded: {} and {} are {} (decision {} by {} at {}); the next `tumen link` applies it",
                d.id_a,
                d.id_b,
                if d.same {
                    "the same person"
                } else {
                    "different people"
                },
                d.seq,
                d.actor,
                d.at
            );
            Ok(())
        }
        Some(Action::Unlink {
            resolved_id,
            record_id,
        }) => {
            let record = record_id.as_deref().map(rid).transpose()?;
            let alone = session
                .unlink(resolved_id.trim(), record.as_ref())
                .with_context(|| format!("unlinking {resolved_id}"))?;
            println!(
                "unlinked from {}: {} now on their own ({}); kept apart from the others in later runs",
                resolved_id.trim(),
                alone.len(),
                alone
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Some(Action::Persons { json }) => persons(&session, json),
    }
}

fn link_archive(session: &Session, a: &Args, started: Instant) -> Result<()> {
    let progress = std::io::stderr().is_terminal();
    let s = score(session, a)?;
    let (data, result) = (&s.data, &s.result);
    if let Some(p) = &a.output {
        write_pairs(p, data, result)?;
    }
    if let Some(p) = &a.clusters {
        write_clusters(p, data, result)?;
    }
    let mut groups: BTreeMap<u32, Vec<RecordId>> = BTreeMap::new();
    for (r, k) in result.clustering.cluster_of.iter().enumerate() {
        if let Some(p) = s.people.get(r) {
            groups.entry(*k).or_default().push(p.person.id.clone());
        }
    }
    let clusters: Vec<Vec<RecordId>> = groups.into_values().filter(|g| g.len() > 1).collect();
    let saved = if a.no_save {
        serde_json::json!({"saved": false})
    } else {
        let bar = progress_bar(progress, "saving resolved persons");
        let detail = serde_json::json!({
            "records": result.summary.records,
            "accepted": result.summary.accepted,
            "review": result.summary.review,
            "threshold": a.threshold,
            "review_lower": a.review_lower,
            "seed": a.seed,
        })
        .to_string();
        let scope = s.people.iter().map(|p| p.person.id.clone()).collect();
        let r = session
            .save_link_run(scope, clusters, detail)
            .context("saving the resolved persons")?;
        bar.finish_and_clear();
        serde_json::json!({
            "run": r.run,
            "resolved_persons": r.resolved_persons,
            "memberships": r.memberships,
            "review_pending": result.summary.review,
        })
    };
    print_summary(
        a,
        data,
        s.mode,
        result,
        started,
        a.output.as_deref(),
        Some(saved),
    )
}

/// All spellings of a record's names, in record order.
fn spellings(names: &[Name]) -> Vec<String> {
    names.iter().map(|n| n.text.clone()).collect()
}

fn review(session: &Session, a: &Args, json: bool) -> Result<()> {
    let s = score(session, a)?;
    let names: BTreeMap<&str, Vec<String>> = s
        .people
        .iter()
        .map(|p| (p.person.id.as_str(), spellings(&p.person.names)))
        .collect();
    let mut queue: Vec<_> = s
        .result
        .pairs
        .iter()
        .filter(|p| p.status == PairStatus::Review)
        .collect();
    queue.sort_by(|x, y| y.probability.total_cmp(&x.probability));
    let mut out = Vec::new();
    for p in queue {
        let (ia, ib) = (s.data.id(p.a), s.data.id(p.b));
        let e = s.result.explain(&s.data, p.a, p.b);
        out.push(serde_json::json!({
            "id_a": ia,
            "id_b": ib,
            "probability": p.probability,
            "match_weight": p.weight,
            "names_a": names.get(ia),
            "names_b": names.get(ib),
            "explanation": e,
            "explanation_text": e.to_string(),
        }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if out.is_empty() {
        println!(
            "no pair waits for review (probabilities from {} to {})",
            a.review_lower, a.threshold
        );
        return Ok(());
    }
    println!(
        "{} pair(s) wait for review; decide with `tumen link decide ID_A ID_B same|different`",
        out.len()
    );
    for o in &out {
        let list = |v: &serde_json::Value| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(" / ")
                })
                .unwrap_or_default()
        };
        println!(
            "{}  {}  p = {:.3}  [{}] ~ [{}]\n    {}",
            o["id_a"].as_str().unwrap_or(""),
            o["id_b"].as_str().unwrap_or(""),
            o["probability"].as_f64().unwrap_or(f64::NAN),
            list(&o["names_a"]),
            list(&o["names_b"]),
            o["explanation_text"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

fn persons(session: &Session, json: bool) -> Result<()> {
    let all = session
        .resolved_persons()
        .context("reading resolved persons")?;
    let mut out = Vec::new();
    for p in &all {
        let mut every = BTreeSet::new();
        let members: Vec<_> = p
            .members
            .iter()
            .map(|m| {
                let names: &[Name] = m.record.names();
                every.extend(names.iter().map(|n| n.text.clone()));
                let (sex, born) = match &m.record {
                    tumen_model::Record::Person(x) => {
                        (x.sex.clone(), x.birth_date.as_ref().map(|d| d.to_string()))
                    }
                    _ => (None, None),
                };
                serde_json::json!({
                    "id": m.record.id(),
                    "names": names,
                    "sex": sex,
                    "birth_date": born,
                })
            })
            .collect();
        out.push(serde_json::json!({
            "id": p.id,
            "run": p.run,
            "added_by": p.added_by,
            "added_at": p.added_at,
            "members": members,
            "hidden_members": p.hidden_members,
            "spellings": every.into_iter().collect::<Vec<_>>(),
        }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if out.is_empty() {
        println!("no resolved persons (run `tumen link`)");
        return Ok(());
    }
    for o in &out {
        let members = o["members"].as_array().map_or(&[][..], |v| v.as_slice());
        println!(
            "{}  {} record(s)  (run {} by {} at {})",
            o["id"].as_str().unwrap_or(""),
            members.len(),
            o["run"].as_str().unwrap_or(""),
            o["added_by"].as_str().unwrap_or(""),
            o["added_at"].as_str().unwrap_or("")
        );
        for m in members {
            let names = m["names"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|n| n["text"].as_str())
                        .collect::<Vec<_>>()
                        .join(" / ")
                })
                .unwrap_or_default();
            println!(
                "  {}  {}  {}  {}",
                m["id"].as_str().unwrap_or(""),
                names,
                m["sex"].as_str().unwrap_or("-"),
                m["birth_date"].as_str().unwrap_or("-")
            );
        }
        if let Some(h) = o["hidden_members"].as_u64().filter(|h| *h > 0) {
            println!("  (+{h} record(s) you may not read)");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str, script: &str, kind: &str) -> Name {
        Name {
            text: text.into(),
            script: script.into(),
            kind: kind.into(),
            lang: None,
            sensitivity: None,
        }
    }

    #[test]
    fn every_spelling_listed_hangul_first_then_hanja_then_latin() {
        let n = vec![
            name("Kim Chol Jin", "latin", "romanization_as_given"),
            name("金哲鎭", "hanja", "legal"),
        ];
        assert_eq!(ordered_names(&n), vec!["金哲鎭", "Kim Chol Jin"]);
        let mut m = n.clone();
        m.push(name("김철진", "hangul", "alias"));
        m.push(name("김철민", "hangul", "legal"));
        m.push(name(" 김철민 ", "hangul", "alias"));
        m.push(name("  ", "latin", "alias"));
        assert_eq!(
            ordered_names(&m),
            vec!["김철민", "김철진", "金哲鎭", "Kim Chol Jin"]
        );
        assert!(ordered_names(&[]).is_empty());
    }
}
