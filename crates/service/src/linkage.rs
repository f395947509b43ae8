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
    /// Place of the earliest forced repatriation of a member that names
    /// one (the crossing), else the first recorded place of origin.
    pub place: Option<RecordId>,
}

/// The year of a partial date, when its year is known.
fn year_of(d: &PartialDate) -> Option<i32> {
    let s = d.to_string();
    s.get(..4).and_then(|y| y.parse().ok())
}

fn earliest(a: &mut Option<PartialDate>, d: &PartialDate) {
    let key = |x: &PartialDate| x.bounds().map(|b| b.0).unwrap_or(i64::MAX);
    if a.as_ref().is_none_or(|cur| key(d) < key(cur)) {
        *a = Some(*d);
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
            let Record::Person(p) = v.record else {
                continue;
            };
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
    fn linkable_person(&self, store: &dyn Store, id: &RecordId) -> Result<(), ServiceError> {
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
        // Earliest dated repatriation with a place, per victim: (day, place).
        let mut place_repat: HashMap<RecordId, (i64, RecordId)> = HashMap::new();
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
                        if let Some(p) = &a.place {
                            let key = d.bounds().map_or(i64::MAX, |b| b.0);
                            let e = place_repat
                                .entry(victim.clone())
                                .or_insert((i64::MAX, p.clone()));
                            if key < e.0 {
                                *e = (key, p.clone());
                            }
                        }
                    }
                }
            }
        }
        let mut persons: BTreeMap<RecordId, Person> = BTreeMap::new();
        for v in self.all_of(RecordKind::Person)? {
            let Record::Person(p) = v.record else {
                continue;
            };
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
            let (mut crossing, mut origin): (Option<(i64, RecordId)>, Option<RecordId>) =
                (None, None);
            for m in &members {
                if let Some((day, p)) = place_repat.get(m) {
                    if crossing.as_ref().is_none_or(|(d, _)| day < d) {
                        crossing = Some((*day, p.clone()));
                    }
                }
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
                    if origin.is_none() {
                        origin = p.origin.clone();
                    }
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
                place: crossing.map(|(_, p)| p).or(origin),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::*;
    use tumen_model::{Record, RecordId};

    fn rid(s: &str) -> RecordId {
        RecordId::new(s).unwrap()
    }

    fn rec(json: &str) -> Record {
        Record::from_json(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    fn person(id: &str, name: &str, sens: &str, src: &str) -> Record {
        rec(&format!(
            r#"{{"kind":"person","id":"{id}","sensitivity":"{sens}","names":[{{"text":"{name}","script":"hangul","kind":"legal"}}],"sex":"male","origin":"plc-onsong","claims":[{{"source":"{src}"}}]}}"#
        ))
    }

    fn actor(role: Role) -> Actor {
        Actor {
            user: format!("{}-user", role.as_str()),
            role,
            groups: Vec::new(),
        }
    }

    fn archive() -> (tempfile::TempDir, Archive) {
        let d = tempfile::tempdir().unwrap();
        let a = Archive::init(
            d.path(),
            "pw for tests",
            InitOptions::insecure_fast_for_tests(),
        )
        .unwrap();
        let s = a.session(local_administrator("admin"));
        for r in [
            r#"{"kind":"place","id":"plc-kp","names":[{"text":"DPRK","script":"latin","kind":"official"}],"place_type":"country"}"#,
            r#"{"kind":"place","id":"plc-nh","parent":"plc-kp","names":[{"text":"North Hamgyong","script":"latin","kind":"official"}],"place_type":"province"}"#,
            r#"{"kind":"place","id":"plc-onsong","parent":"plc-nh","names":[{"text":"Onsong","script":"latin","kind":"official"}],"place_type":"county"}"#,
            r#"{"kind":"source","id":"src-1","source_type":"news_report","title":"One"}"#,
            r#"{"kind":"source","id":"src-2","source_type":"news_report","title":"Two"}"#,
        ] {
            s.create(&rec(r)).unwrap();
        }
        for r in [
            person("prs-a", "김철진", "public", "src-1"),
            person("prs-b", "김철진", "public", "src-2"),
            person("prs-c", "리영호", "confidential", "src-1"),
            rec(
                r#"{"kind":"person","id":"grp-1","names":[{"text":"group","script":"latin","kind":"alias"}],"group_size":"500","claims":[{"source":"src-1"}]}"#,
            ),
            rec(
                r#"{"kind":"act","id":"act-1","act_type":"forced_repatriation","victims":["prs-c"],"date":"2023-10-09","place":"plc-nh","claims":[{"source":"src-2"}]}"#,
            ),
        ] {
            s.create(&r).unwrap();
        }
        (d, a)
    }

    #[test]
    fn linkage_input_has_persons_not_groups_with_places_and_acts() {
        let (_d, a) = archive();
        let admin = a.session(local_administrator("admin"));
        let people = admin.linkage_input().unwrap();
        let ids: Vec<&str> = people.iter().map(|p| p.person.id.as_str()).collect();
        assert_eq!(ids, ["prs-a", "prs-b", "prs-c"]);
        assert_eq!(
            people[0].origin_path,
            [rid("plc-onsong"), rid("plc-nh"), rid("plc-kp")]
        );
        assert_eq!(
            people[2].repatriation_date.as_ref().map(|d| d.to_string()),
            Some("2023-10-09".into())
        );
        // An analyst (restricted clearance) never sees the confidential one.
        let analyst = a.session(actor(Role::Analyst));
        assert_eq!(analyst.linkage_input().unwrap().len(), 2);
    }

    #[test]
    fn decisions_need_link_permission_and_hide_unreadable_pairs() {
        let (_d, a) = archive();
        let admin = a.session(local_administrator("admin"));
        admin
            .decide(
                &rid("prs-a"),
                &rid("prs-c"),
                false,
                Some("different fathers"),
            )
            .unwrap();
        let analyst = a.session(actor(Role::Analyst));
        analyst
            .decide(&rid("prs-b"), &rid("prs-a"), true, None)
            .unwrap();
        // The confidential record is "not found" for the analyst.
        assert!(matches!(
            analyst.decide(&rid("prs-a"), &rid("prs-c"), true, None),
            Err(ServiceError::NotFound(_))
        ));
        let reader = a.session(actor(Role::PublicReader));
        assert!(matches!(
            reader.decide(&rid("prs-a"), &rid("prs-b"), true, None),
            Err(ServiceError::Denied(_))
        ));
        assert!(
            admin
                .decide(&rid("prs-a"), &rid("src-1"), true, None)
                .is_err()
        );
        assert_eq!(admin.link_decisions().unwrap().len(), 2);
        let seen = analyst.link_decisions().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].actor, "analyst-user");
    }

    #[test]
    fn capture_histories_count_a_resolved_person_once() {
        let (_d, a) = archive();
        let admin = a.session(local_administrator("admin"));
        let lists = [rid("src-1"), rid("src-2")];
        let before = admin.capture_histories(&lists).unwrap();
        // a (src-1), b (src-2), c (src-1 by claim, src-2 through its act).
        let pats: Vec<(&str, Vec<bool>)> = before
            .iter()
            .map(|u| (u.id.as_str(), u.captured.clone()))
            .collect();
        assert_eq!(
            pats,
            [
                ("prs-a", vec![true, false]),
                ("prs-b", vec![false, true]),
                ("prs-c", vec![true, true])
            ]
        );
        assert_eq!(before[2].year, Some(2023));
        // The place of the repatriation wins over the place of origin.
        assert_eq!(before[2].place, Some(rid("plc-nh")));
        assert_eq!(before[0].place, Some(rid("plc-onsong")));
        admin
            .save_link_run(
                vec![rid("prs-a"), rid("prs-b"), rid("prs-c")],
                vec![vec![rid("prs-a"), rid("prs-b")]],
                "{}".into(),
            )
            .unwrap();
        let after = admin.capture_histories(&lists).unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[0].id, "P-prs-a");
        assert_eq!(after[0].captured, vec![true, true]);
        let persons = admin.resolved_persons().unwrap();
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].members.len(), 2);
        admin.unlink("P-prs-a", None).unwrap();
        assert_eq!(admin.capture_histories(&lists).unwrap().len(), 3);
        assert!(
            admin
                .capture_histories(&[rid("prs-a"), rid("src-2")])
                .is_err()
        );
        assert!(matches!(
            admin.capture_histories(&[rid("src-9"), rid("src-2")]),
            Err(ServiceError::NotFound(_))
        ));
    }
}
