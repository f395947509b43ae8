//! Tests of the access-checked service over a real encrypted store.

use crate::*;
use tumen_model::{Record, RecordId, RecordKind, Sensitivity, UserTerm, Vocab};

const PW: &str = "passphrase for tests";

fn rid(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}

fn rec(json: &str) -> Record {
    Record::from_json(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn actor(role: Role, groups: &[&str]) -> Actor {
    Actor {
        user: format!("{}-user", role.as_str()),
        role,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

fn admin() -> Actor {
    local_administrator("admin")
}

fn place(id: &str, parent: Option<&str>, ptype: &str) -> Record {
    let parent = parent
        .map(|p| format!(r#","parent":"{p}""#))
        .unwrap_or_default();
    rec(&format!(
        r#"{{"kind":"place","id":"{id}","sensitivity":"public","names":[{{"text":"{id}","script":"latin","kind":"official"}}],"place_type":"{ptype}"{parent}}}"#
    ))
}

fn source(id: &str) -> Record {
    rec(&format!(
        r#"{{"kind":"source","id":"{id}","sensitivity":"public","source_type":"news_report","title":"Report {id}","date":"2023-10-13","reliability":"B"}}"#
    ))
}

fn person(id: &str, name: &str, sens: &str, extra: &str) -> Record {
    rec(&format!(
        r#"{{"kind":"person","id":"{id}","sensitivity":"{sens}","names":[{{"text":"{name}","script":"latin","kind":"romanization_as_given"}}],"claims":[{{"source":"src-1"}}]{extra}}}"#
    ))
}

fn act(
    id: &str,
    act_type: &str,
    date: &str,
    place: &str,
    victim: &str,
    sens: &str,
    extra: &str,
) -> Record {
    rec(&format!(
        r#"{{"kind":"act","id":"{id}","sensitivity":"{sens}","act_type":"{act_type}","victims":["{victim}"],"date":"{date}","place":"{place}","claims":[{{"source":"src-1"}}]{extra}}}"#
    ))
}

/// kp > nh > onsong; cn. One public source. Persons and acts at three labels.
fn archive() -> (tempfile::TempDir, Archive) {
    let d = tempfile::tempdir().unwrap();
    let a = Archive::init(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
    {
        let s = a.session(admin());
        for r in [
            place("plc-kp", None, "country"),
            place("plc-nh", Some("plc-kp"), "province"),
            place("plc-onsong", Some("plc-nh"), "county"),
            place("plc-cn", None, "country"),
            source("src-1"),
            person("prs-pub", "Public Person", "public", ""),
            person("prs-res", "Restricted Person", "restricted", ""),
            person("prs-conf", "Secret Witness", "confidential", ""),
            person(
                "prs-case",
                "Case Person",
                "restricted",
                r#","access_groups":["case-7"]"#,
            ),
            act(
                "act-1",
                "torture",
                "2023-10-09",
                "plc-onsong",
                "prs-pub",
                "public",
                "",
            ),
            act(
                "act-2",
                "arrest",
                "2023-08",
                "plc-cn",
                "prs-res",
                "restricted",
                "",
            ),
            act(
                "act-3",
                "torture",
                "2023-10",
                "plc-nh",
                "prs-conf",
                "confidential",
                "",
            ),
            act(
                "act-4",
                "torture",
                "2023-09",
                "plc-onsong",
                "prs-case",
                "restricted",
                r#","access_groups":["case-7"]"#,
            ),
        ] {
            s.create(&r).unwrap_or_else(|e| panic!("{}: {e}", r.id()));
        }
    }
    (d, a)
}

fn ids(v: &[RecordView]) -> Vec<String> {
    v.iter().map(|r| r.record.id().to_string()).collect()
}

fn acts() -> Filter {
    Filter {
        kinds: vec![RecordKind::Act],
        ..Default::default()
    }
}

#[test]
fn create_get_update_history_round_trip() {
    let (_d, a) = archive();
    let s = a.session(admin());
    let v = s.get(&rid("act-1")).unwrap().unwrap();
    assert_eq!(v.rev, 1);
    assert!(!v.redacted);
    let changed = act(
        "act-1",
        "torture",
        "2023-10-10",
        "plc-onsong",
        "prs-pub",
        "public",
        "",
    );
    let w = s.update(&changed, 1).unwrap();
    assert_eq!(w.rev, 2);
    // A stale writer loses.
    assert!(matches!(
        s.update(&changed, 1),
        Err(ServiceError::Store(StoreError::Conflict { .. }))
    ));
    let h = s.history(&rid("act-1")).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!((h[1].op, h[1].actor.as_str()), (Op::Update, "admin"));
    assert_eq!(h[1].before.as_ref(), Some(&v.record));
    assert_eq!(h[1].after.as_ref(), Some(&changed));
}

#[test]
fn invalid_records_and_dangling_references_are_refused_before_writing() {
    let (_d, a) = archive();
    let s = a.session(admin());
    let bad = act(
        "act-9",
        "not_a_term",
        "2023-10",
        "plc-kp",
        "prs-pub",
        "public",
        "",
    );
    match s.create(&bad) {
        Err(ServiceError::Invalid { errors, .. }) => {
            assert!(errors.iter().any(|e| e.path == "act_type"))
        }
        other => panic!("{other:?}"),
    }
    let dangling = act(
        "act-9",
        "torture",
        "2023-10",
        "plc-kp",
        "prs-nobody",
        "public",
        "",
    );
    assert!(
        matches!(s.create(&dangling), Err(ServiceError::BadReference { target, .. }) if target.as_str() == "prs-nobody")
    );
    assert!(s.get(&rid("act-9")).unwrap().is_none());
}

#[test]
fn readers_see_only_what_their_clearance_and_groups_allow() {
    let (_d, a) = archive();
    let q = |who: Actor| ids(&a.session(who).query(&acts()).unwrap());
    assert_eq!(q(admin()), vec!["act-1", "act-2", "act-3", "act-4"]);
    assert_eq!(
        q(actor(Role::Investigator, &[])),
        vec!["act-1", "act-2", "act-3"]
    );
    assert_eq!(
        q(actor(Role::Investigator, &["case-7"])),
        vec!["act-1", "act-2", "act-3", "act-4"]
    );
    assert_eq!(q(actor(Role::Analyst, &[])), vec!["act-1", "act-2"]);
    assert_eq!(q(actor(Role::PublicReader, &[])), vec!["act-1"]);
    // Counts never include what the reader may not see.
    assert_eq!(
        a.session(actor(Role::Analyst, &[])).count(&acts()).unwrap(),
        2
    );
    assert_eq!(
        a.session(actor(Role::Investigator, &[]))
            .count(&acts())
            .unwrap(),
        3
    );
    assert_eq!(
        a.session(actor(Role::PublicReader, &[]))
            .count(&acts())
            .unwrap(),
        1
    );
    // A record one may not read is "not found", like a missing one.
    let an = a.session(actor(Role::Analyst, &[]));
    assert_eq!(an.get(&rid("act-3")).unwrap(), None);
    assert!(matches!(
        an.history(&rid("act-3")),
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        an.history(&rid("act-404")),
        Err(ServiceError::NotFound(_))
    ));
    // Text search does not find a confidential person's name.
    let f = Filter {
        text: Some("secret".into()),
        ..Default::default()
    };
    assert!(an.query(&f).unwrap().is_empty());
    assert_eq!(
        ids(&a.session(admin()).query(&f).unwrap()),
        Vec::<String>::new(),
        "confidential names are not indexed as text at all"
    );
}

#[test]
fn filters_and_paging_combine_with_access() {
    let (_d, a) = archive();
    let s = a.session(admin());
    let f = Filter {
        terms: vec!["act_type:torture".into()],
        places: vec![rid("plc-nh")],
        date_from: Some(tumen_model::day_number(2023, 10, 1)),
        date_to: Some(tumen_model::day_number(2023, 12, 31)),
        ..acts()
    };
    assert_eq!(ids(&s.query(&f).unwrap()), vec!["act-1", "act-3"]);
    let inv = a.session(actor(Role::Investigator, &["case-7"]));
    let all_torture = Filter {
        terms: vec!["act_type:torture".into()],
        order: Order::DateAsc,
        ..acts()
    };
    assert_eq!(
        ids(&inv.query(&all_torture).unwrap()),
        vec!["act-4", "act-3", "act-1"]
    );
    let page = Filter {
        limit: Some(1),
        offset: 1,
        ..all_torture.clone()
    };
    assert_eq!(ids(&inv.query(&page).unwrap()), vec!["act-3"]);
    let pub_page = Filter {
        limit: Some(1),
        offset: 0,
        ..all_torture
    };
    assert_eq!(
        ids(&a
            .session(actor(Role::PublicReader, &[]))
            .query(&pub_page)
            .unwrap()),
        vec!["act-1"]
    );
}

#[test]
fn fields_above_clearance_are_redacted_and_cannot_be_searched() {
    let (_d, a) = archive();
    let s = a.session(admin());
    // A public person whose legal name is confidential and origin restricted.
    let p = rec(
        r#"{"kind":"person","id":"prs-mixed","sensitivity":"public","field_sensitivity":{"origin":"restricted"},"names":[{"text":"Open Alias","script":"latin","kind":"alias"},{"text":"Hidden Legalname","script":"latin","kind":"legal","sensitivity":"confidential"}],"origin":"plc-onsong","claims":[{"source":"src-1"}]}"#,
    );
    s.create(&p).unwrap();
    let public = a.session(actor(Role::PublicReader, &[]));
    let v = public.get(&rid("prs-mixed")).unwrap().unwrap();
    assert!(v.redacted);
    let json = v.record.to_json();
    assert!(!json.contains("Hidden Legalname"));
    assert!(
        !json.contains("plc-onsong"),
        "restricted origin removed for a public reader"
    );
    // The restricted origin cannot be probed through a place filter.
    let by_place = Filter {
        kinds: vec![RecordKind::Person],
        places: vec![rid("plc-onsong")],
        ..Default::default()
    };
    assert!(ids(&public.query(&by_place).unwrap()).is_empty());
    assert_eq!(public.count(&by_place).unwrap(), 0);
    let analyst = a.session(actor(Role::Analyst, &[]));
    assert_eq!(ids(&analyst.query(&by_place).unwrap()), vec!["prs-mixed"]);
    // History is redacted the same way.
    // A public reader may not read history at all; an analyst gets it redacted.
    assert!(matches!(
        public.history(&rid("prs-mixed")),
        Err(ServiceError::Denied(_))
    ));
    let h = analyst.history(&rid("prs-mixed")).unwrap();
    assert!(
        !h[0]
            .after
            .as_ref()
            .unwrap()
            .to_json()
            .contains("Hidden Legalname")
    );
}

#[test]
fn roles_without_write_permission_cannot_write() {
    let (_d, a) = archive();
    let analyst = a.session(actor(Role::Analyst, &[]));
    let r = act(
        "act-9", "torture", "2023-10", "plc-kp", "prs-pub", "public", "",
    );
    assert!(matches!(analyst.create(&r), Err(ServiceError::Denied(_))));
    assert!(matches!(
        analyst.delete(&rid("act-1"), None),
        Err(ServiceError::Denied(_))
    ));
    let term = UserTerm {
        vocab: Vocab::ActType,
        code: "sleep_deprivation".into(),
        en: "Sleep deprivation".into(),
        ko: "잠 안 재우기".into(),
        note: None,
    };
    assert!(matches!(
        analyst.extend_vocabulary(term),
        Err(ServiceError::Denied(_))
    ));
    assert!(a.session(admin()).get(&rid("act-9")).unwrap().is_none());
}

#[test]
fn an_investigator_cannot_reference_or_touch_records_outside_their_groups() {
    let (_d, a) = archive();
    let inv = a.session(actor(Role::Investigator, &[]));
    // prs-case exists but is in case-7: same answer as a missing id.
    let r = act(
        "act-9",
        "torture",
        "2023-10",
        "plc-kp",
        "prs-case",
        "restricted",
        "",
    );
    let e1 = inv.create(&r).unwrap_err().to_string();
    let r2 = act(
        "act-9",
        "torture",
        "2023-10",
        "plc-kp",
        "prs-nobody",
        "restricted",
        "",
    );
    let e2 = inv.create(&r2).unwrap_err().to_string();
    assert_eq!(e1.replace("prs-case", "X"), e2.replace("prs-nobody", "X"));
    assert!(matches!(
        inv.delete(&rid("act-4"), None),
        Err(ServiceError::NotFound(_))
    ));
    let upd = act(
        "act-4",
        "arrest",
        "2023-09",
        "plc-onsong",
        "prs-case",
        "restricted",
        "",
    );
    assert!(matches!(
        inv.update(&upd, 1),
        Err(ServiceError::NotFound(_))
    ));
}

#[test]
fn delete_refused_while_referenced_names_only_visible_referrers() {
    let (_d, a) = archive();
    let inv = a.session(actor(Role::Investigator, &[]));
    match inv.delete(&rid("plc-onsong"), None) {
        Err(ServiceError::Referenced { visible_by, .. }) => {
            assert_eq!(visible_by, vec![rid("act-1")])
        }
        other => panic!("{other:?}"),
    }
    let s = a.session(admin());
    s.delete(&rid("act-1"), Some(1)).unwrap();
    assert!(s.get(&rid("act-1")).unwrap().is_none());
}

#[test]
fn user_vocabulary_terms_are_stored_and_used_for_validation() {
    let d = tempfile::tempdir().unwrap();
    {
        let a = Archive::init(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
        let s = a.session(admin());
        s.create(&source("src-1")).unwrap();
        s.create(&place("plc-kp", None, "country")).unwrap();
        s.create(&person("prs-pub", "P", "public", "")).unwrap();
        let r = act(
            "act-1",
            "sleep_deprivation",
            "2023-10",
            "plc-kp",
            "prs-pub",
            "public",
            "",
        );
        assert!(matches!(s.create(&r), Err(ServiceError::Invalid { .. })));
        let term = UserTerm {
            vocab: Vocab::ActType,
            code: "sleep_deprivation".into(),
            en: "Sleep deprivation".into(),
            ko: "잠 안 재우기".into(),
            note: None,
        };
        s.extend_vocabulary(term.clone()).unwrap();
        assert!(matches!(
            s.extend_vocabulary(term),
            Err(ServiceError::Vocab(_))
        ));
    }
    let a = Archive::open(d.path(), PW).unwrap();
    let s = a.session(admin());
    assert!(
        s.vocabularies()
            .unwrap()
            .is_user_term(Vocab::ActType, "sleep_deprivation")
    );
    let r = act(
        "act-1",
        "sleep_deprivation",
        "2023-10",
        "plc-kp",
        "prs-pub",
        "public",
        "",
    );
    s.create(&r).unwrap();
}

#[test]
fn wrong_passphrase_is_reported_as_such() {
    let (d, a) = archive();
    drop(a);
    let e = Archive::open(d.path(), "not the passphrase").err().unwrap();
    assert!(e.is_wrong_passphrase(), "{e}");
}

fn items(rows: Vec<Result<Record, Vec<tumen_model::FieldError>>>) -> Vec<ImportItem> {
    rows.into_iter()
        .enumerate()
        .map(|(i, record)| ImportItem {
            line: i as u64 + 1,
            record,
            id: None,
        })
        .collect()
}

#[test]
fn import_is_all_or_nothing_and_collects_every_row_problem() {
    let (_d, a) = archive();
    let s = a.session(admin());
    let before = s.count(&Filter::default()).unwrap();
    let rows = items(vec![
        Ok(act(
            "act-10", "torture", "2023-10", "plc-kp", "prs-new", "public", "",
        )), // forward ref: fine
        Ok(person("prs-new", "New", "public", "")),
        Ok(act(
            "act-11",
            "no_such_type",
            "2023-10",
            "plc-kp",
            "prs-new",
            "public",
            "",
        )), // line 3: vocab
        Err(vec![tumen_model::FieldError::new(
            "date",
            "2023-02-30 is not a date",
        )]), // line 4: parse
        Ok(act(
            "act-12",
            "torture",
            "2023-10",
            "plc-kp",
            "prs-ghost",
            "public",
            "",
        )), // line 5: dangling
        Ok(person("prs-pub", "dup", "public", "")), // line 6: exists
    ]);
    let mut seen = Vec::new();
    let e = s
        .import_batch(
            &mut rows.into_iter(),
            ImportOptions {
                total: Some(6),
                ..Default::default()
            },
            &mut |d, t| seen.push((d, t)),
        )
        .unwrap_err();
    let ServiceError::ImportRejected {
        rows,
        problems,
        more,
    } = e
    else {
        panic!("wrong error")
    };
    assert_eq!((rows, more), (6, 0));
    let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6], "{problems:?}");
    assert_eq!(problems[0].field, "act_type");
    assert!(problems[2].reason.contains("prs-ghost"));
    assert_eq!(seen.last(), Some(&(6, Some(6))));
    assert_eq!(
        s.count(&Filter::default()).unwrap(),
        before,
        "nothing written"
    );
    assert!(s.get(&rid("prs-new")).unwrap().is_none());

    let good = items(vec![
        Ok(act(
            "act-10", "torture", "2023-10", "plc-kp", "prs-new", "public", "",
        )),
        Ok(person("prs-new", "New", "public", "")),
    ]);
    let sum = s
        .import_batch(
            &mut good.into_iter(),
            ImportOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!((sum.rows, sum.created, sum.updated), (2, 2, 0));
    assert_eq!(s.count(&Filter::default()).unwrap(), before + 2);
    // Upsert replaces, create-only refuses.
    let again = || items(vec![Ok(person("prs-new", "Newer", "public", ""))]);
    assert!(
        s.import_batch(
            &mut again().into_iter(),
            ImportOptions::default(),
            &mut |_, _| {}
        )
        .is_err()
    );
    let opts = ImportOptions {
        mode: ImportMode::Upsert,
        total: None,
    };
    let sum = s
        .import_batch(&mut again().into_iter(), opts, &mut |_, _| {})
        .unwrap();
    assert_eq!(sum.updated, 1);
    assert_eq!(s.get(&rid("prs-new")).unwrap().unwrap().rev, 2);
}

#[test]
fn import_by_a_non_administrator_cannot_probe_unreadable_records() {
    let (_d, a) = archive();
    let inv = a.session(actor(Role::Investigator, &[]));
    let rows = items(vec![
        Ok(act(
            "act-20",
            "torture",
            "2023-10",
            "plc-kp",
            "prs-case",
            "restricted",
            "",
        )),
        Ok(act(
            "act-21",
            "torture",
            "2023-10",
            "plc-kp",
            "prs-ghost",
            "restricted",
            "",
        )),
    ]);
    let e = inv
        .import_batch(
            &mut rows.into_iter(),
            ImportOptions::default(),
            &mut |_, _| {},
        )
        .unwrap_err();
    let ServiceError::ImportRejected { problems, .. } = e else {
        panic!()
    };
    assert_eq!(problems.len(), 2);
    assert_eq!(
        problems[0].reason.replace("prs-case", "X"),
        problems[1].reason.replace("prs-ghost", "X")
    );
    assert_eq!(a.session(admin()).get(&rid("act-20")).unwrap(), None);
}

#[test]
fn sensitivity_of_results_never_exceeds_the_filter_or_clearance() {
    let (_d, a) = archive();
    let s = a.session(admin());
    let f = Filter {
        max_sensitivity: Some(Sensitivity::Public),
        ..acts()
    };
    assert_eq!(ids(&s.query(&f).unwrap()), vec!["act-1"]);
}

#[test]
fn only_key_managers_change_the_passphrase_and_the_data_survives() {
    let (d, a) = archive();
    let inv = a.session(actor(Role::Investigator, &[]));
    assert!(matches!(
        inv.change_passphrase(PW, "new passphrase"),
        Err(ServiceError::Denied(_))
    ));
    let s = a.session(admin());
    assert!(
        s.change_passphrase("wrong", "new passphrase")
            .unwrap_err()
            .is_wrong_passphrase()
    );
    s.change_passphrase(PW, "new passphrase").unwrap();
    drop(s);
    drop(inv);
    drop(a);
    assert!(
        Archive::open(d.path(), PW)
            .err()
            .unwrap()
            .is_wrong_passphrase()
    );
    let a = Archive::open(d.path(), "new passphrase").unwrap();
    assert!(a.session(admin()).get(&rid("act-1")).unwrap().is_some());
}

#[test]
fn an_upsert_import_cannot_overwrite_a_record_outside_the_importers_groups() {
    let (_d, a) = archive();
    let inv = a.session(actor(Role::Investigator, &[]));
    let rows = items(vec![Ok(act(
        "act-4",
        "arrest",
        "2023-09",
        "plc-onsong",
        "prs-pub",
        "restricted",
        "",
    ))]);
    let opts = ImportOptions {
        mode: ImportMode::Upsert,
        total: None,
    };
    let e = inv
        .import_batch(&mut rows.into_iter(), opts, &mut |_, _| {})
        .unwrap_err();
    assert!(matches!(e, ServiceError::ImportRejected { .. }), "{e}");
    let v = a.session(admin()).get(&rid("act-4")).unwrap().unwrap();
    assert_eq!(v.rev, 1, "untouched");
    // The same upsert on a record the investigator may update works.
    let rows = items(vec![Ok(act(
        "act-2",
        "detention",
        "2023-08",
        "plc-cn",
        "prs-res",
        "restricted",
        "",
    ))]);
    let sum = inv
        .import_batch(&mut rows.into_iter(), opts, &mut |_, _| {})
        .unwrap();
    assert_eq!(sum.updated, 1);
}

/// Every file under `dir`, recursively.
fn all_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

#[test]
fn a_canary_imported_through_the_service_reaches_no_file() {
    const CANARY: &str = "Canary Hwang Ok-sun 4b1d";
    let (d, a) = archive();
    let s = a.session(admin());
    let witness = rec(&format!(
        r#"{{"kind":"person","id":"prs-witness","sensitivity":"confidential","names":[{{"text":"{CANARY}","script":"latin","kind":"legal"}}],"description":"{CANARY}","claims":[{{"source":"src-1"}}]}}"#
    ));
    let a1 = act(
        "act-w",
        "interrogation",
        "2023-10-12",
        "plc-onsong",
        "prs-witness",
        "confidential",
        "",
    );
    let rows = items(vec![Ok(witness), Ok(a1)]);
    s.import_batch(
        &mut rows.into_iter(),
        ImportOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    // The canary is really stored (the scan below could find it if written plainly) …
    assert!(
        s.get(&rid("prs-witness"))
            .unwrap()
            .unwrap()
            .record
            .to_json()
            .contains(CANARY)
    );
    let needles: Vec<Vec<u8>> = vec![
        CANARY.as_bytes().to_vec(),
        CANARY
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect(),
    ];
    let scan = || {
        for (path, bytes) in all_files(d.path()) {
            for n in &needles {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == &n[..]),
                    "canary in {}",
                    path.display()
                );
            }
        }
    };
    scan(); // open, WAL present
    drop(s);
    drop(a);
    scan(); // closed
}

#[test]
fn an_import_into_a_new_archive_is_all_or_nothing_and_its_ledger_hashes_are_rfc_6962() {
    let d = tempfile::tempdir().unwrap();
    let a = Archive::init(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
    let s = a.session(admin());
    let rows = |ghost: bool| {
        let mut v = vec![
            Ok(place("plc-kp", None, "country")),
            Ok(source("src-1")),
            Ok(person("prs-1", "One", "public", "")),
        ];
        for i in 0..50 {
            v.push(Ok(act(
                &format!("act-{i}"),
                "torture",
                "2023-10",
                "plc-kp",
                if ghost && i == 49 {
                    "prs-ghost"
                } else {
                    "prs-1"
                },
                "public",
                "",
            )));
        }
        items(v)
    };
    let e = s
        .import_batch(
            &mut rows(true).into_iter(),
            ImportOptions::default(),
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(matches!(e, ServiceError::ImportRejected { .. }));
    assert_eq!(s.count(&Filter::default()).unwrap(), 0);
    let sum = s
        .import_batch(
            &mut rows(false).into_iter(),
            ImportOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(sum.created, 53);
    assert_eq!(s.count(&Filter::default()).unwrap(), 53);
    drop(s);
    drop(a);
    let names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with("-journal")), "{names:?}");
    let store = tumen_store::SqliteStore::open(d.path(), PW).unwrap();
    let leaves = tumen_store::Store::ledger_leaves(&store, 1, 1000).unwrap();
    assert_eq!(leaves.len(), 53);
    for l in &leaves {
        // The hash the store keeps is the ledger crate's leaf hash.
        assert_eq!(l.hash, Some(tumen_ledger::leaf_hash(&l.bytes)));
    }
}
