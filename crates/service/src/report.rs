//! Reports over what an actor may read: the timeline and the statistics.
//!
//! Both are computed here rather than in the command line so that the web
//! application (`tumen serve`) and later report writers (UN submissions) show
//! the same figures as `tumen timeline` and `tumen stats`. They run on
//! [`Session::query_each`], so every record is access-checked and redacted
//! like any other read, and a record the actor may not read neither appears
//! nor counts.
//!
//! Counts of people keep their uncertainty: a group victim ("about 500
//! people") contributes its range, not one, and an open bound stays open.

use crate::error::ServiceError;
use crate::session::Session;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tumen_model::date::{OPEN_END, OPEN_START};
use tumen_model::{Record, RecordId, RecordKind, Vocab, Vocabularies, year_of_day};
use tumen_store::{Filter, Order};

/// One line of a timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// The record's date as written (`2023-10-09`, `2023-08~`), if any.
    pub date: Option<String>,
    pub kind: RecordKind,
    pub id: RecordId,
    /// Events and interventions: the title; acts: the act type and victims.
    pub label: String,
    /// Labels of the places involved.
    pub places: Vec<String>,
    /// Events: the number of people affected as written ("about 500").
    pub people_affected: Option<String>,
    pub fictional: bool,
}

/// One row of a tally: a key (term code, place id, year), a label a reader
/// understands, and how many records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub key: String,
    pub label: String,
    pub count: u64,
}

/// How many people a set of victims stands for, with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeopleCount {
    /// Individual persons.
    pub individuals: u64,
    /// Group records ("about 500 people").
    pub groups: u64,
    /// At least this many people.
    pub low: u64,
    /// At most this many; `None` when some group has no upper bound.
    pub high: Option<u64>,
}

/// Statistics over the records matching a filter.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Stats {
    pub records_by_kind: Vec<Tally>,
    pub acts: u64,
    pub acts_by_type: Vec<Tally>,
    pub acts_by_place: Vec<Tally>,
    pub acts_by_year: Vec<Tally>,
    /// Distinct victims of the matching acts, by category (a victim with
    /// two categories counts in both).
    pub victims_by_category: Vec<Tally>,
    /// Distinct victims of the matching acts.
    pub victims: PeopleCount,
    /// Events: how many, and the people they affected, summed with bounds.
    pub events: u64,
    pub people_affected: PeopleCount,
}

/// Key for records without a date, and for dates spanning several years.
const UNDATED: &str = "undated";

/// The year a date falls in; "2022–2023" when it may fall in either,
/// "2023 or later" for an open end (EDTF `2023-10-09/..`).
fn year_key(bounds: Option<(i64, i64)>) -> String {
    match bounds {
        None => UNDATED.into(),
        Some((lo, hi)) => {
            let (open_lo, open_hi) = (lo <= OPEN_START, hi >= OPEN_END);
            let (a, b) = (year_of_day(lo), year_of_day(hi));
            match (open_lo, open_hi) {
                (true, true) => UNDATED.into(),
                (false, true) => format!("{a} or later"),
                (true, false) => format!("{b} or earlier"),
                (false, false) if a == b => a.to_string(),
                (false, false) => format!("{a}–{b}"),
            }
        }
    }
}

fn term_label(vocabs: &Vocabularies, vocab: Vocab, code: &str) -> String {
    match vocabs.lookup(vocab, code) {
        Some(t) => format!("{} ({})", t.en, t.ko),
        None => code.replace('_', " "),
    }
}

fn sorted(map: BTreeMap<String, (String, u64)>) -> Vec<Tally> {
    let mut v: Vec<Tally> = map
        .into_iter()
        .map(|(key, (label, count))| Tally { key, label, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

impl Default for PeopleCount {
    /// Nobody: zero, with a closed upper bound of zero.
    fn default() -> Self {
        PeopleCount {
            individuals: 0,
            groups: 0,
            low: 0,
            high: Some(0),
        }
    }
}

impl PeopleCount {
    fn add_individual(&mut self) {
        self.individuals += 1;
        self.low += 1;
        self.high = self.high.map(|h| h + 1);
    }

    fn add_group(&mut self, bounds: Option<(u64, Option<u64>)>) {
        self.groups += 1;
        // A group of unknown size is at least one person, with no upper bound.
        let (lo, hi) = bounds.unwrap_or((1, None));
        self.low = self.low.saturating_add(lo);
        self.high = match (self.high, hi) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
    }

    fn add_count(&mut self, bounds: Option<(u64, Option<u64>)>) {
        let (lo, hi) = bounds.unwrap_or((0, None));
        self.low = self.low.saturating_add(lo);
        self.high = match (self.high, hi) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
    }

    /// "512–612 people" / "at least 600 people" / "7 people".
    pub fn describe(&self) -> String {
        match self.high {
            Some(h) if h == self.low => format!("{h} people"),
            Some(h) => format!("{}–{h} people", self.low),
            None => format!("at least {} people", self.low),
        }
    }
}

impl Session<'_> {
    /// Labels of records by id, as the actor may see them (ids of records
    /// they may not read stay ids).
    fn labels(&self, ids: &BTreeSet<RecordId>) -> Result<HashMap<RecordId, Record>, ServiceError> {
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = self.get(id)? {
                out.insert(id.clone(), v.record);
            }
        }
        Ok(out)
    }

    /// Events, acts and interventions matching `f` (all three kinds when
    /// `f.kinds` is empty) in date order, undated last.
    pub fn timeline(&self, f: &Filter) -> Result<Vec<TimelineEntry>, ServiceError> {
        let mut f = f.clone();
        if f.kinds.is_empty() {
            f.kinds = vec![RecordKind::Event, RecordKind::Act, RecordKind::Intervention];
        }
        f.order = Order::DateAsc;
        let mut records = Vec::new();
        self.query_each(&f, &mut |v| {
            records.push(v.record);
            true
        })?;
        let vocabs = self.vocabularies()?;
        let mut wanted: BTreeSet<RecordId> = BTreeSet::new();
        for r in &records {
            match r {
                Record::Act(a) => {
                    wanted.extend(a.place.iter().cloned());
                    wanted.extend(a.victims.iter().take(3).cloned());
                }
                Record::Event(e) => wanted.extend(e.places.iter().cloned()),
                _ => {}
            }
        }
        let known = self.labels(&wanted)?;
        let label_of = |id: &RecordId| {
            known
                .get(id)
                .map(Record::label)
                .unwrap_or_else(|| id.to_string())
        };
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let (date, label, places, people) = match &r {
                Record::Act(a) => {
                    let mut label = term_label(&vocabs, Vocab::ActType, &a.act_type);
                    if !a.victims.is_empty() {
                        let mut who: Vec<String> = a.victims.iter().take(3).map(label_of).collect();
                        if a.victims.len() > 3 {
                            who.push(format!("and {} more", a.victims.len() - 3));
                        }
                        label = format!("{label} — {}", who.join(", "));
                    }
                    (
                        a.date.as_ref(),
                        label,
                        a.place.iter().map(label_of).collect(),
                        None,
                    )
                }
                Record::Event(e) => (
                    e.date.as_ref(),
                    r.label(),
                    e.places.iter().map(label_of).collect(),
                    e.people_affected.map(|c| c.to_string()),
                ),
                Record::Intervention(i) => (i.date.as_ref(), r.label(), Vec::new(), None),
                other => (None, other.label(), Vec::new(), None),
            };
            out.push(TimelineEntry {
                date: date.map(|d| d.to_string()),
                kind: r.kind(),
                id: r.id().clone(),
                label,
                places,
                people_affected: people,
                fictional: r.is_fictional(),
            });
        }
        Ok(out)
    }

    /// Counts over the records matching `f`: records by kind; acts by type,
    /// place and year; the acts' distinct victims by category and as a
    /// number of people; events and the people they affected.
    pub fn stats(&self, f: &Filter) -> Result<Stats, ServiceError> {
        let mut f = f.clone();
        f.limit = None;
        f.offset = 0;
        let vocabs = self.vocabularies()?;
        let mut by_kind: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let mut by_type: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let mut by_place_id: BTreeMap<RecordId, u64> = BTreeMap::new();
        let mut unknown_place = 0u64;
        let mut by_year: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let mut victims: BTreeSet<RecordId> = BTreeSet::new();
        let mut s = Stats::default();
        self.query_each(&f, &mut |v| {
            let r = &v.record;
            let k = r.kind().as_str().to_string();
            by_kind.entry(k.clone()).or_insert((k, 0)).1 += 1;
            match r {
                Record::Act(a) => {
                    s.acts += 1;
                    by_type
                        .entry(a.act_type.clone())
                        .or_insert_with(|| (term_label(&vocabs, Vocab::ActType, &a.act_type), 0))
                        .1 += 1;
                    match &a.place {
                        Some(p) => *by_place_id.entry(p.clone()).or_default() += 1,
                        None => unknown_place += 1,
                    }
                    let y = year_key(r.date_bounds());
                    by_year.entry(y.clone()).or_insert((y, 0)).1 += 1;
                    victims.extend(a.victims.iter().cloned());
                }
                Record::Event(e) => {
                    s.events += 1;
                    s.people_affected
                        .add_count(e.people_affected.as_ref().and_then(|c| c.bounds()));
                }
                _ => {}
            }
            true
        })?;
        let places: BTreeSet<RecordId> = by_place_id.keys().cloned().collect();
        let known = self.labels(&places)?;
        let mut by_place: BTreeMap<String, (String, u64)> = by_place_id
            .into_iter()
            .map(|(id, n)| {
                let label = known
                    .get(&id)
                    .map(Record::label)
                    .unwrap_or_else(|| id.to_string());
                (id.to_string(), (label, n))
            })
            .collect();
        if unknown_place > 0 {
            by_place.insert("".into(), ("(place unknown)".into(), unknown_place));
        }
        let mut by_category: BTreeMap<String, (String, u64)> = BTreeMap::new();
        let persons = self.labels(&victims)?;
        for id in &victims {
            match persons.get(id) {
                Some(Record::Person(p)) => {
                    if p.is_group() {
                        s.victims
                            .add_group(p.group_size.as_ref().and_then(|c| c.bounds()));
                    } else {
                        s.victims.add_individual();
                    }
                    for c in &p.categories {
                        by_category
                            .entry(c.clone())
                            .or_insert_with(|| (term_label(&vocabs, Vocab::Category, c), 0))
                            .1 += 1;
                    }
                }
                // A victim the actor may not read still is a victim; who
                // it is stays hidden.
                _ => s.victims.add_individual(),
            }
        }
        s.records_by_kind = sorted(by_kind);
        s.acts_by_type = sorted(by_type);
        s.acts_by_place = sorted(by_place);
        s.acts_by_year = {
            // Years read best in date order, undated last.
            let mut v = sorted(by_year);
            v.sort_by(|a, b| (a.key == UNDATED, &a.key).cmp(&(b.key == UNDATED, &b.key)));
            v
        };
        s.victims_by_category = sorted(by_category);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tumen_model::day_number;

    #[test]
    fn years_of_partial_dates() {
        assert_eq!(year_key(None), "undated");
        let d = |y, m, dd| day_number(y, m, dd);
        assert_eq!(year_key(Some((d(2023, 8, 1), d(2023, 8, 31)))), "2023");
        assert_eq!(
            year_key(Some((d(2022, 12, 1), d(2023, 1, 31)))),
            "2022–2023"
        );
        assert_eq!(year_key(Some((d(2023, 8, 1), OPEN_END))), "2023 or later");
        assert_eq!(
            year_key(Some((OPEN_START, d(2023, 8, 1)))),
            "2023 or earlier"
        );
        assert_eq!(year_key(Some((OPEN_START, OPEN_END))), "undated");
    }

    #[test]
    fn people_counts_keep_their_bounds() {
        let mut p = PeopleCount::default();
        p.add_individual();
        p.add_group(Some((500, Some(600))));
        assert_eq!(p.describe(), "501–601 people");
        p.add_group(Some((406, None)));
        assert_eq!(p.describe(), "at least 907 people");
        assert_eq!((p.individuals, p.groups), (1, 2));
        let mut q = PeopleCount::default();
        assert_eq!(q.describe(), "0 people");
        q.add_individual();
        q.add_individual();
        assert_eq!(q.describe(), "2 people");
        // An event whose count is not given leaves the total open.
        q.add_count(None);
        assert_eq!(q.describe(), "at least 2 people");
    }
}
