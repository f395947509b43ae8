//! Record linkage and capture histories through a session.
//!
//! What linkage needs from the archive, access-checked like everything else:
//!
//! * [`Session::linkage_input`] — the person records (not groups) the actor
//!   may read, redacted to their clearance, with what linkage compares taken
//!   from other records: the origin place's ancestors (so a county can meet
//!   its province) and the dates of arrest and forced repatriation from the
//!   acts naming the person as a victim;
//! * reviewer decisions ([`Session::decide`], [`Session::link_decisions`])
//!   and resolved persons ([`Session::save_link_run`],
//!   [`Session::resolved_persons`], [`Session::unlink`]), which need the
//!   `Link` permission on every record they touch. Linking never changes a
//!   person record: resolved persons are memberships kept beside them;
//! * [`Session::capture_histories`] — for multiple systems estimation: which
//!   of the chosen sources cite each resolved person (or lone record).
//!
//! The statistics (Fellegi–Sunter, estimation) stay in the pure libraries;
//! this module only gathers and checks.

use crate::error::ServiceError;
use crate::session::{RecordView, Session, decode};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tumen_model::{Envelope, PartialDate, Person, Record, RecordId, RecordKind};
use tumen_protect::{Operation, check};
use tumen_store::{Filter, LinkDecision, LinkRunSaved, LinkRunWrite, Store, StoreError};

/// Act types whose date is compared as the date of arrest.
pub const ARREST_ACTS: &[&str] = &["arrest"];
/// Act types whose date is compared as the date of forced repatriation.
pub const REPATRIATION_ACTS: &[&str] = &["forced_repatriation"];

/// One person record prepared for linkage.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPerson {
    /// The record, redacted to the actor's clearance.
    pub person: Person,
    /// The origin place and its ancestors the actor may read, nearest first.
    pub origin_path: Vec<RecordId>,
    /// Earliest dated arrest act naming the person as a victim.
    pub arrest_date: Option<PartialDate>,
    /// Earliest dated forced-repatriation act naming the person.
    pub repatriation_date: Option<PartialDate>,
}

/// A resolved person as the actor may see it: only readable members.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPersonView {
    pub id: String,
    pub run: String,
    pub added_by: String,
    pub added_at: String,
    pub members: Vec<RecordView>,
    /// Members the actor may not read (counted, never named).
    pub hidden_members: usize,
}

/// One unit of a capture history: a resolved person or a lone record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureUnit {
    /// The resolved person id, or the record id of a lone record.
    pub id: String,
    pub members: Vec<RecordId>,
    /// One flag per requested list, in the order asked.
    pub captured: Vec<bool>,
    /// First recorded sex among the members.
    pub sex: Option<String>,
    /// Categories of all members, sorted, without repeats.
    pub categories: Vec<String>,
    /// Year of the earliest forced repatriation of a member, else of the
    /// earliest dated act naming a member.
    pub year: Option<i32>,
}

/// The year of a partial date, when its year is known.
fn year_of(d: &PartialDate) -> Option<i32> {
    let s = d.to_string();
    s.get(..4).and_then(|y| y.parse().ok())
}

fn earliest(a: &mut Option<PartialDate>, d: &PartialDate) {
    let key = |x: &PartialDate| x.bounds().map(|b| b.0).unwrap_or(i64::MAX);
    if a.as_ref().is_none_or(|cur| key(d) < key(cur)) {
        *a = Some(d.clone());
    }
}

impl Session<'_> {
    fn readable(&self, env: &Envelope) -> bool {
        check(self.actor(), Operation::Read, env).is_ok()
    }

    /// Every readable record of `kind`, redacted.
    fn all_of(&self, kind: RecordKind) -> Result<Vec<RecordView>, ServiceError> {
        self.query(&Filter {
            kinds: vec![kind],
            ..Filter::default()
        })
    }

    /// The person records (not groups) the actor may read, with origin
    /// ancestry and act dates, in id order.
    pub fn linkage_input(&self) -> Result<Vec<LinkPerson>, ServiceError> {
        let parents: HashMap<RecordId, Option<RecordId>> = self
            .all_of(RecordKind::Place)?
            .into_iter()
            .filter_map(|v| match v.record {
                Record::Place(p) => Some((p.id, p.parent)),
                _ => None,
            })
            .collect();
        let mut arrest: HashMap<RecordId, PartialDate> = HashMap::new();
        let mut repat: HashMap<RecordId, PartialDate> = HashMap::new();
        for v in self.all_of(RecordKind::Act)? {
            let Record::Act(a) = v.record else { continue };
            let Some(date) = &a.date else { continue };
            let target = if ARREST_ACTS.contains(&a.act_type.as_str()) {
                &mut arrest
            } else if REPATRIATION_ACTS.contains(&a.act_type.as_str()) {
                &mut repat
            } else {
                continue;
            };
            for victim in &a.victims {
                let mut cur = target.get(victim).cloned();
                earliest(&mut cur, date);
                if let Some(d) = cur {
                    target.insert(victim.clone(), d);
                }
            }
        }
        let mut out = Vec::new();
        for v in self.all_of(RecordKind::Person)? {
            let Record::Person(p) = v.record else { continue };
            if p.is_group() {
                continue;
            }
            let mut origin_path = Vec::new();
            let mut at = p.origin.clone();
            // Bounded walk: a cycle in place parents must not hang linkage.
            while let Some(place) = at {
                if origin_path.contains(&place) || origin_path.len() > 16 {
                    break;
                }
                at = parents.get(&place).cloned().flatten();
                if parents.contains_key(&place) {
                    origin_path.push(place);
                }
            }
            out.push(LinkPerson {
                arrest_date: arrest.get(&p.id).cloned(),
                repatriation_date: repat.get(&p.id).cloned(),
                origin_path,
                person: p,
            });
        }
        Ok(out)
    }

    /// Load a person the actor may link, or say it is not there.
    fn linkable_person(
        &self,
        store: &dyn Store,
        id: &RecordId,
    ) -> Result<(), ServiceError> {
        let Some(s) = store.get(id)? else {
            return Err(ServiceError::NotFound(id.clone()));
        };
        if !self.readable(&s.envelope) {
            return Err(ServiceError::NotFound(id.clone()));
        }
        check(self.actor(), Operation::Link, &s.envelope)?;
        if s.envelope.kind != RecordKind::Person {
            return Err(ServiceError::Store(StoreError::Invalid(format!(
                "record {id} is a {}, not a person; only persons are linked",
                s.envelope.kind
            ))));
        }
        Ok(())
    }

    /// Record a reviewer decision on two person records (permission `Link`
    /// on both). Supersedes earlier decisions on the pair.
    pub fn decide(
        &self,
        a: &RecordId,
        b: &RecordId,
        same: bool,
        note: Option<&str>,
    ) -> Result<LinkDecision, ServiceError> {
        let mut store = self.archive().store()?;
        self.linkable_person(store.as_ref(), a)?;
        self.linkable_person(store.as_ref(), b)?;
        Ok(store.add_link_decision(&self.actor().user, a, b, same, note)?)
    }

    /// The current decisions on pairs whose both records the actor may read.
    pub fn link_decisions(&self) -> Result<Vec<LinkDecision>, ServiceError> {
        let store = self.archive().store()?;
        let all = store.link_decisions()?;
        let ids: Vec<RecordId> = all
            .iter()
            .flat_map(|d| [d.id_a.clone(), d.id_b.clone()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let readable: BTreeSet<RecordId> = store
            .get_many(&ids)?
            .into_iter()
            .filter(|s| self.readable(&s.envelope))
            .map(|s| s.envelope.id)
            .collect();
        Ok(all
            .into_iter()
            .filter(|d| readable.contains(&d.id_a) && readable.contains(&d.id_b))
            .collect())
    }

    /// Save the clusters of a linkage run over `scope` (permission `Link` on
    /// every record in scope): memberships of those records are replaced.
    pub fn save_link_run(
        &self,
        scope: Vec<RecordId>,
        clusters: Vec<Vec<RecordId>>,
        detail: String,
    ) -> Result<LinkRunSaved, ServiceError> {
        let mut store = self.archive().store()?;
        let found = store.get_many(&scope)?;
        let present: BTreeSet<&RecordId> = found.iter().map(|s| &s.envelope.id).collect();
        if let Some(missing) = scope.iter().find(|r| !present.contains(r)) {
            return Err(ServiceError::NotFound(missing.clone()));
        }
        for s in &found {
            if !self.readable(&s.envelope) {
                return Err(ServiceError::NotFound(s.envelope.id.clone()));
            }
            check(self.actor(), Operation::Link, &s.envelope)?;
        }
        let w = LinkRunWrite {
            scope,
            clusters,
            detail,
        };
        Ok(store.save_link_run(&self.actor().user, &w)?)
    }

    /// Resolved persons with their readable members (full records, so every
    /// spelling is there), by resolved id. Persons none of whose members the
    /// actor may read are left out.
    pub fn resolved_persons(&self) -> Result<Vec<ResolvedPersonView>, ServiceError> {
        let store = self.archive().store()?;
        let members = store.resolved_members()?;
        let ids: Vec<RecordId> = members.iter().map(|m| m.record_id.clone()).collect();
        let mut records: HashMap<RecordId, tumen_store::StoredRecord> = store
            .get_many(&ids)?
            .into_iter()
            .map(|s| (s.envelope.id.clone(), s))
            .collect();
        drop(store);
        let mut by: BTreeMap<String, ResolvedPersonView> = BTreeMap::new();
        for m in members {
            let e = by
                .entry(m.resolved_id.clone())
                .or_insert_with(|| ResolvedPersonView {
                    id: m.resolved_id.clone(),
                    run: m.run.clone(),
                    added_by: m.added_by.clone(),
                    added_at: m.added_at.clone(),
                    members: Vec::new(),
                    hidden_members: 0,
                });
            match records.remove(&m.record_id) {
                Some(s) if self.readable(&s.envelope) => {
                    let full = decode(s.envelope.id.as_str(), &s.body)?;
                    let record = full.redact(self.actor().role.clearance());
                    e.members.push(RecordView {
                        redacted: record != full,
                        record,
                        rev: s.rev,
                        seq: s.seq,
                        created_at: s.created_at,
                        created_by: s.created_by,
                        updated_at: s.updated_at,
                        updated_by: s.updated_by,
                    });
                }
                // Deleted records drop out silently; unreadable ones are counted.
                Some(_) => e.hidden_members += 1,
                None => {}
            }
        }
        Ok(by.into_values().filter(|p| !p.members.is_empty()).collect())
    }

    /// Take `record` (or every member) out of resolved person `resolved_id`
    /// (permission `Link` on every member). The records are untouched; the
    /// removed ones are kept apart from the rest by "different" decisions.
    pub fn unlink(
        &self,
        resolved_id: &str,
        record: Option<&RecordId>,
    ) -> Result<Vec<RecordId>, ServiceError> {
        let mut store = self.archive().store()?;
        let ids: Vec<RecordId> = store
            .resolved_members()?
            .into_iter()
            .filter(|m| m.resolved_id == resolved_id)
            .map(|m| m.record_id)
            .collect();
        for s in store.get_many(&ids)? {
            if !self.readable(&s.envelope) {
                return Err(ServiceError::Store(StoreError::Invalid(format!(
                    "resolved person {resolved_id} has members you may not read; ask an administrator"
                ))));
            }
            check(self.actor(), Operation::Link, &s.envelope)?;
        }
        Ok(store.unlink(&self.actor().user, resolved_id, record)?)
    }

    /// Capture histories over `lists` (source ids): one unit per resolved
    /// person with a readable member, and per readable lone person record
    /// (groups excluded: a head count is not a person); a unit is captured
    /// by a list when a claim of a member, of a member's status history, or
    /// of an act naming a member as victim cites that source. Units no list
    /// captured are left out (they were not observed by these lists).
    pub fn capture_histories(&self, lists: &[RecordId]) -> Result<Vec<CaptureUnit>, ServiceError> {
        for l in lists {
            match self.get(l)? {
                Some(v) if v.record.kind() == RecordKind::Source => {}
                Some(_) => {
                    return Err(ServiceError::Store(StoreError::Invalid(format!(
                        "list {l} is not a source record"
                    ))));
                }
                None => return Err(ServiceError::NotFound(l.clone())),
            }
        }
        let index: HashMap<&RecordId, usize> = lists.iter().zip(0..).collect();
        let mut cites: HashMap<RecordId, Vec<bool>> = HashMap::new();
        let mut year_any: HashMap<RecordId, PartialDate> = HashMap::new();
        let mut year_repat: HashMap<RecordId, PartialDate> = HashMap::new();
        let mark = |cites: &mut HashMap<RecordId, Vec<bool>>, who: &RecordId, src: &RecordId| {
            if let Some(&i) = index.get(src) {
                let v = cites
                    .entry(who.clone())
                    .or_insert_with(|| vec![false; lists.len()]);
                if let Some(f) = v.get_mut(i) {
                    *f = true;
                }
            }
        };
        for v in self.all_of(RecordKind::Act)? {
            let Record::Act(a) = v.record else { continue };
            for victim in &a.victims {
                for c in &a.claims {
                    mark(&mut cites, victim, &c.source);
                }
                if let Some(d) = &a.date {
                    let mut cur = year_any.get(victim).cloned();
                    earliest(&mut cur, d);
                    year_any.extend(cur.map(|d| (victim.clone(), d)));
                    if REPATRIATION_ACTS.contains(&a.act_type.as_str()) {
                        let mut cur = year_repat.get(victim).cloned();
                        earliest(&mut cur, d);
                        year_repat.extend(cur.map(|d| (victim.clone(), d)));
                    }
                }
            }
        }
        let mut persons: BTreeMap<RecordId, Person> = BTreeMap::new();
        for v in self.all_of(RecordKind::Person)? {
            let Record::Person(p) = v.record else { continue };
            if p.is_group() {
                continue;
            }
            for c in p
                .claims
                .iter()
                .chain(p.status_history.iter().flat_map(|s| s.claims.iter()))
            {
                mark(&mut cites, &p.id, &c.source);
            }
            persons.insert(p.id.clone(), p);
        }
        let store = self.archive().store()?;
        let mut units: BTreeMap<String, Vec<RecordId>> = BTreeMap::new();
        let mut clustered: BTreeSet<RecordId> = BTreeSet::new();
        for m in store.resolved_members()? {
            if persons.contains_key(&m.record_id) {
                clustered.insert(m.record_id.clone());
                units.entry(m.resolved_id).or_default().push(m.record_id);
            }
        }
        drop(store);
        for id in persons.keys() {
            if !clustered.contains(id) {
                units.insert(id.to_string(), vec![id.clone()]);
            }
        }
        let mut out = Vec::new();
        for (id, members) in units {
            let mut captured = vec![false; lists.len()];
            let mut sex = None;
            let mut categories = BTreeSet::new();
            let (mut repat, mut any) = (None, None);
            for m in &members {
                if let Some(c) = cites.get(m) {
                    for (x, y) in captured.iter_mut().zip(c) {
                        *x |= *y;
                    }
                }
                if let Some(p) = persons.get(m) {
                    if sex.is_none() {
                        sex = p.sex.clone();
                    }
                    categories.extend(p.categories.iter().cloned());
                }
                if let Some(d) = year_repat.get(m) {
                    earliest(&mut repat, d);
                }
                if let Some(d) = year_any.get(m) {
                    earliest(&mut any, d);
                }
            }
            if !captured.iter().any(|c| *c) {
                continue;
            }
            out.push(CaptureUnit {
                id,
                members,
                captured,
                sex,
                categories: categories.into_iter().collect(),
                year: repat.or(any).as_ref().and_then(year_of),
            });
        }
        Ok(out)
    }
}
