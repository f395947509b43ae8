//! The record filter flags shared by `list`, `export`, `timeline` and
//! `stats`, turned into one [`Filter`]. Codes are checked against the
//! archive's vocabularies here so that a misspelt act type is an error that
//! lists the known ones, not an empty result.

use anyhow::{Context, Result, bail};
use tumen_model::{PartialDate, RecordId, RecordKind, Vocab, Vocabularies};
use tumen_service::{Filter, Order};

#[derive(clap::Args, Debug, Default, Clone)]
pub struct FilterArgs {
    /// Only records of this kind (person, organization, place, event, act,
    /// source, intervention); repeat for several.
    #[arg(long)]
    pub kind: Vec<String>,
    /// Only records whose date overlaps this partial date (2023, 2023-Q3,
    /// 2023-08, 2023-10-09).
    #[arg(long)]
    pub date: Option<String>,
    /// Only records whose date may fall on or after this partial date.
    #[arg(long)]
    pub from: Option<String>,
    /// Only records whose date may fall on or before this partial date.
    #[arg(long)]
    pub to: Option<String>,
    /// Only records at this place or any place inside it (place id); repeat
    /// for any of several.
    #[arg(long)]
    pub place: Vec<String>,
    /// Only acts of this type (a code of the act_type vocabulary).
    #[arg(long = "act-type")]
    pub act_type: Option<String>,
    /// Only records with this category (persons), e.g. it_worker.
    #[arg(long)]
    pub category: Option<String>,
    /// Only records with this vocabulary term, written vocab:code, e.g.
    /// facility_type:jipkyulso; repeat to require all.
    #[arg(long)]
    pub term: Vec<String>,
    /// Only records that refer to this organization (e.g. as perpetrator).
    #[arg(long = "org")]
    pub organization: Vec<String>,
    /// Only records that cite this source.
    #[arg(long)]
    pub source: Vec<String>,
    /// Only records whose name or title contains this text.
    #[arg(long)]
    pub text: Option<String>,
}

fn id(flag: &str, s: &str) -> Result<RecordId> {
    RecordId::new(s.to_string()).with_context(|| format!("{flag} {s:?} is not a record id"))
}

fn date_bounds(flag: &str, s: &str) -> Result<(i64, i64)> {
    let d = PartialDate::parse(s).with_context(|| format!("{flag} {s:?}"))?;
    d.bounds()
        .with_context(|| format!("{flag} {s:?} is an unknown date and bounds nothing"))
}

fn known_term(vocabs: &Vocabularies, flag: &str, vocab: Vocab, code: &str) -> Result<String> {
    if !vocabs.contains(vocab, code) {
        let known: Vec<&str> = vocabs.terms(vocab).map(|t| t.code.as_str()).collect();
        bail!(
            "{flag} {code:?} is not a term of the {} vocabulary (known: {})",
            vocab.as_str(),
            known.join(", ")
        );
    }
    Ok(format!("{}:{code}", vocab.as_str()))
}

impl FilterArgs {
    /// The filter these flags ask for, ordered by date.
    pub fn to_filter(&self, vocabs: &Vocabularies) -> Result<Filter> {
        let mut f = Filter {
            order: Order::DateAsc,
            ..Filter::default()
        };
        for k in &self.kind {
            f.kinds.push(RecordKind::parse(k).with_context(|| {
                format!(
                    "--kind {k:?} is not a record kind (person, organization, place, event, act, source, intervention)"
                )
            })?);
        }
        if let Some(d) = &self.date {
            let (lo, hi) = date_bounds("--date", d)?;
            f.date_from = Some(lo);
            f.date_to = Some(hi);
        }
        if let Some(d) = &self.from {
            let (lo, _) = date_bounds("--from", d)?;
            f.date_from = Some(f.date_from.map_or(lo, |x| x.max(lo)));
        }
        if let Some(d) = &self.to {
            let (_, hi) = date_bounds("--to", d)?;
            f.date_to = Some(f.date_to.map_or(hi, |x| x.min(hi)));
        }
        if let (Some(lo), Some(hi)) = (f.date_from, f.date_to) {
            if lo > hi {
                bail!("the date filters leave no day: the start is after the end");
            }
        }
        for p in &self.place {
            f.places.push(id("--place", p)?);
        }
        if let Some(t) = &self.act_type {
            f.terms
                .push(known_term(vocabs, "--act-type", Vocab::ActType, t)?);
        }
        if let Some(c) = &self.category {
            f.terms
                .push(known_term(vocabs, "--category", Vocab::Category, c)?);
        }
        for t in &self.term {
            let Some((v, code)) = t.split_once(':') else {
                bail!("--term {t:?} must be written vocab:code, e.g. act_type:torture");
            };
            let vocab = Vocab::parse(v).with_context(|| {
                let all: Vec<&str> = Vocab::ALL.iter().map(|v| v.as_str()).collect();
                format!(
                    "--term {t:?}: {v:?} is not a vocabulary (known: {})",
                    all.join(", ")
                )
            })?;
            f.terms.push(known_term(vocabs, "--term", vocab, code)?);
        }
        for o in &self.organization {
            f.refs.push(id("--org", o)?);
        }
        for s in &self.source {
            f.refs.push(id("--source", s)?);
        }
        f.text = self.text.clone().filter(|t| !t.trim().is_empty());
        Ok(f)
    }
}
