//! Publication tests: the canary test, k-anonymity against an independent
//! Python computation (tests/ref/publish_ref.py), pseudonyms against Python's
//! hmac, date coarsening and place generalization.

use super::*;

fn rec(json: serde_json::Value) -> Record {
    serde_json::from_value(json).expect("record")
}

fn key() -> PseudonymKey {
    PseudonymKey(core::array::from_fn(|i| i as u8))
}

/// A policy that lists every labelable field of every kind (but person
/// names): the only protections left are the labels, the selection and the
/// reference rewriting — which is what the canary test must prove.
fn permissive(max: Sensitivity) -> PublicationPolicy {
    let kinds = RecordKind::ALL
        .into_iter()
        .map(|k| {
            let fields = Record::labelable_fields(k)
                .iter()
                .filter(|f| !(k == RecordKind::Person && **f == "names"))
                .map(|f| f.to_string())
                .collect();
            (
                k,
                KindPolicy {
                    fields,
                    drop: vec![],
                    dates: BTreeMap::new(),
                    places: BTreeMap::new(),
                    // Persons need quasi-identifiers; "sex" keeps the three
                    // public persons of the canary archive in one class.
                    quasi_identifiers: if k == RecordKind::Person {
                        vec!["sex".into()]
                    } else {
                        vec![]
                    },
                    pseudonymize: None,
                },
            )
        })
        .collect();
    PublicationPolicy {
        k: 2,
        max_sensitivity: max,
        include_fictional: false,
        on_small_class: SmallClass::Refuse,
        kinds,
    }
}

const C: &str = "CANARYFIELD";
const CID: &str = "CANARYID";

/// An archive with a canary in every confidential field, in every field of
/// every confidential record, and in the ids of confidential records.
fn canary_archive(with_labels: bool) -> Vec<Record> {
    let conf = |fields: &[&str]| -> serde_json::Value {
        if with_labels {
            fields
                .iter()
                .map(|f| (f.to_string(), serde_json::json!("confidential")))
                .collect::<Map<_, _>>()
                .into()
        } else {
            serde_json::json!({})
        }
    };
    let name = |text: &str, sens: Option<&str>| {
        let mut n = serde_json::json!({"text": text, "script": "latin", "kind": "legal"});
        if let (Some(s), true) = (sens, with_labels) {
            n["sensitivity"] = serde_json::json!(s);
        }
        n
    };
    let claim = |src: &str| serde_json::json!([{"source": src, "locator": "p. 3"}]);
    let mut out = vec![
        rec(
            serde_json::json!({"kind": "source", "id": "src-public", "sensitivity": "public", "source_type": "report", "title": "A UN report",
            "field_sensitivity": conf(&["author", "description"]), "author": format!("{C}-author"), "description": format!("{C}-src-desc")}),
        ),
        rec(
            serde_json::json!({"kind": "source", "id": format!("src-{CID}-1"), "sensitivity": "confidential", "source_type": "interview",
            "title": format!("{C}-title"), "author": format!("{C}-author2"), "url": format!("https://{C}.example"), "description": format!("{C}-d")}),
        ),
        rec(
            serde_json::json!({"kind": "place", "id": "plc-prov", "sensitivity": "public", "names": [name("North Hamgyong", None)], "place_type": "province"}),
        ),
        rec(
            serde_json::json!({"kind": "place", "id": "plc-county", "sensitivity": "public", "names": [name("Musan", None), name(&format!("{C}-placename"), Some("confidential"))],
            "place_type": "county", "parent": "plc-prov", "field_sensitivity": conf(&["coordinates", "description"]),
            "coordinates": {"lat": 42.2, "lon": 129.2}, "description": format!("{C}-place-desc")}),
        ),
        rec(
            serde_json::json!({"kind": "place", "id": format!("plc-{CID}-2"), "sensitivity": "confidential", "names": [name(&format!("{C}-safehouse"), None)],
            "place_type": "city", "parent": "plc-county", "description": format!("{C}-x")}),
        ),
        rec(
            serde_json::json!({"kind": "organization", "id": format!("org-{CID}-5"), "sensitivity": "confidential", "names": [name(&format!("{C}-org"), None)], "org_type": "police"}),
        ),
        rec(
            serde_json::json!({"kind": "event", "id": format!("evt-{CID}-4"), "sensitivity": "confidential", "event_type": "mass_repatriation",
            "title": format!("{C}-evt"), "date": "2023-10-09", "description": format!("{C}-evt-d"), "claims": claim("src-public")}),
        ),
        rec(
            serde_json::json!({"kind": "person", "id": format!("prs-{CID}-3"), "sensitivity": "confidential", "names": [name(&format!("{C}-name"), None)],
            "sex": "female", "birth_date": "1990-03-04", "origin": format!("plc-{CID}-2"), "description": format!("{C}-p3"), "claims": claim(&format!("src-{CID}-1"))}),
        ),
        rec(
            serde_json::json!({"kind": "person", "id": "prs-grouped", "sensitivity": "public", "access_groups": [format!("{C}-group")],
            "names": [name(&format!("{C}-g"), None)], "description": format!("{C}-grp"), "claims": claim("src-public")}),
        ),
        rec(
            serde_json::json!({"kind": "act", "id": "act-2023-10-09-0001", "sensitivity": "public", "act_type": "forced_return",
            "victims": ["prs-a", "prs-b", format!("prs-{CID}-3")], "date": "2023-10-09", "place": format!("plc-{CID}-2"),
            "event": format!("evt-{CID}-4"),
            "field_sensitivity": conf(&["involvements", "description"]),
            "involvements": [{"perpetrator": format!("org-{CID}-5"), "degree": "direct", "note": format!("{C}-inv")}],
            "description": format!("{C}-act-desc"), "claims": claim(&format!("src-{CID}-1"))}),
        ),
        rec(
            serde_json::json!({"kind": "intervention", "id": "int-1", "sensitivity": "public", "intervention_type": "un_letter", "title": "Letter",
            "field_sensitivity": conf(&["reference"]), "reference": format!("{C}-ref"),
            "persons": [format!("prs-{CID}-3"), "prs-a"], "events": [format!("evt-{CID}-4")], "claims": claim("src-public")}),
        ),
    ];
    for (i, id) in ["prs-a", "prs-b", "prs-c"].iter().enumerate() {
        out.push(rec(serde_json::json!({"kind": "person", "id": id, "sensitivity": "public",
            "names": [name(&format!("{C}-legal-{i}"), Some("confidential")), name("Kim", None)],
            "field_sensitivity": conf(&["description", "status_history", "origin"]),
            "sex": "female", "birth_date": "1990", "origin": "plc-county",
            "description": format!("{C}-desc-{i}"),
            "status_history": [{"status": "detained", "date": "2023-10-09", "note": format!("{C}-note"), "place": format!("plc-{CID}-2")}],
            "claims": claim("src-public")})));
    }
    out
}

fn publish_all(records: &[Record], policy: &PublicationPolicy) -> Publication {
    let idx = place_index(records);
    publish(records, policy, &key(), &|id| idx.get(id).cloned()).expect("publish")
}

#[test]
fn canary_no_confidential_value_or_record_reaches_the_published_output() {
    let archive = canary_archive(true);
    // The canaries are really in the input.
    let input: String = archive.iter().map(Record::to_json).collect();
    assert!(input.matches(C).count() > 25 && input.contains(CID));
    for max in [Sensitivity::Public, Sensitivity::Restricted] {
        let p = publish_all(&archive, &permissive(max));
        let published = serde_json::to_string(&p.records).expect("json");
        assert!(
            !published.contains("CANARY"),
            "{max}: canary leaked: {published}"
        );
        // The operator's report may name ids, never field values.
        let report = serde_json::to_string(&p.report).expect("json");
        assert!(!report.contains(C), "{report}");
        // Something was published, so the test is not vacuous.
        assert!(p.records.len() >= 6, "{published}");
        assert!(published.contains("A UN report") && published.contains("Musan"));
    }
}

#[test]
fn control_without_labels_the_canaries_do_reach_the_output() {
    // Same archive and policy, but no field labels: canaries of public
    // records' fields now appear, so the canary test above is able to fail.
    let p = publish_all(&canary_archive(false), &permissive(Sensitivity::Public));
    let published = serde_json::to_string(&p.records).expect("json");
    assert!(published.contains(&format!("{C}-act-desc")));
    assert!(published.contains(&format!("{C}-note")));
}

#[test]
fn references_are_pseudonymized_or_removed() {
    let archive = canary_archive(true);
    let p = publish_all(&archive, &permissive(Sensitivity::Public));
    let act = p.records.iter().find(|r| r["kind"] == "act").expect("act");
    let pa = pseudonym(
        &key(),
        RecordKind::Person,
        &RecordId::new("prs-a").expect("id"),
    );
    let p3 = pseudonym(
        &key(),
        RecordKind::Person,
        &RecordId::new(format!("prs-{CID}-3")).expect("id"),
    );
    let victims: Vec<&str> = act["victims"]
        .as_array()
        .expect("victims")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(victims.len(), 3, "victims are counted, under pseudonyms");
    assert!(victims.contains(&pa.as_str()) && victims.contains(&p3.as_str()));
    assert!(act["place"].is_null() && act["event"].is_null(), "{act}");
    assert!(
        act["id"].as_str().expect("id").starts_with("A-"),
        "act ids repeat dates and are pseudonymized"
    );
    // Sorted by kind and published id, not by archive order.
    let keys: Vec<(String, String)> = p
        .records
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or("").into(),
                r["id"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let ex: BTreeMap<String, Exclusion> = p
        .report
        .excluded
        .iter()
        .map(|(i, e)| (i.to_string(), *e))
        .collect();
    assert_eq!(ex["prs-grouped"], Exclusion::AccessGroups);
    assert_eq!(ex[&format!("prs-{CID}-3")], Exclusion::AboveMaxSensitivity);
}

#[test]
fn references_to_records_missing_from_the_input_are_removed() {
    // A caller that passes only some records must not leak the other ids.
    let act = rec(
        serde_json::json!({"kind": "act", "id": "act-1", "sensitivity": "public", "act_type": "forced_return",
        "victims": ["prs-secret-name"], "event": "evt-secret", "claims": [{"source": "src-x"}]}),
    );
    let p = publish_all(&[act], &permissive(Sensitivity::Public));
    let out = serde_json::to_string(&p.records).expect("json");
    assert!(!out.contains("secret") && !out.contains("src-x"), "{out}");
}

#[test]
fn person_names_and_confidential_max_are_refused_by_the_policy() {
    let mut p = permissive(Sensitivity::Public);
    p.kinds
        .get_mut(&RecordKind::Person)
        .expect("person")
        .fields
        .push("names".into());
    assert_eq!(
        p.validate(),
        Err(PolicyError::PersonNames {
            kind: RecordKind::Person
        })
    );
    let p = permissive(Sensitivity::Confidential);
    assert_eq!(p.validate(), Err(PolicyError::Confidential));
    let mut p = permissive(Sensitivity::Public);
    p.k = 1;
    assert_eq!(p.validate(), Err(PolicyError::K(1)));
    let mut p = permissive(Sensitivity::Public);
    p.kinds
        .get_mut(&RecordKind::Act)
        .expect("act")
        .fields
        .push("victim_names".into());
    assert!(matches!(
        p.validate(),
        Err(PolicyError::UnknownField { .. })
    ));
    let mut p = permissive(Sensitivity::Public);
    p.kinds
        .get_mut(&RecordKind::Person)
        .expect("person")
        .pseudonymize = Some(false);
    assert_eq!(p.validate(), Err(PolicyError::PersonIds));
    let mut p = permissive(Sensitivity::Public);
    p.kinds
        .get_mut(&RecordKind::Person)
        .expect("person")
        .quasi_identifiers
        .clear();
    assert_eq!(
        p.validate(),
        Err(PolicyError::PersonWithoutQuasiIdentifiers)
    );
    let mut p = permissive(Sensitivity::Public);
    p.kinds
        .get_mut(&RecordKind::Person)
        .expect("p")
        .quasi_identifiers
        .push("names.text".into());
    assert!(matches!(
        p.validate(),
        Err(PolicyError::PathOutsideFields { .. })
    ));
}

#[test]
fn policy_from_json() {
    let text = r#"{
        "k": 5,
        "kinds": {
            "person": {
                "fields": ["sex", "birth_date", "origin", "status_history"],
                "drop": ["status_history.note", "status_history.claims"],
                "dates": {"birth_date": "year", "status_history.date": "month"},
                "places": {"origin": ["county", "province"], "status_history.place": ["province"]},
                "quasi_identifiers": ["sex", "birth_date", "origin"]
            },
            "place": {"fields": ["names", "place_type", "parent"]}
        }
    }"#;
    let p = PublicationPolicy::from_json(text).expect("policy");
    assert_eq!(p.k, 5);
    assert_eq!(p.max_sensitivity, Sensitivity::Public);
    assert_eq!(p.on_small_class, SmallClass::Refuse);
    assert!(matches!(
        PublicationPolicy::from_json(r#"{"k": 5, "kinds": {}, "extra": 1}"#),
        Err(PolicyError::Syntax(_))
    ));
    assert!(matches!(
        PublicationPolicy::from_json(r#"{"k": 5, "kinds": {"persn": {"fields": []}}}"#),
        Err(PolicyError::Syntax(_))
    ));
    assert!(
        PublicationPolicy::from_json(r#"{"k": 5, "max_sensitivity": "confidential", "kinds": {}}"#)
            .is_err()
    );
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../tests/ref/publish_ref.json")).expect("reference JSON")
}

fn kanon_policy(k: usize, on_small: SmallClass) -> PublicationPolicy {
    PublicationPolicy::from_json(
        &serde_json::json!({
            "k": k,
            "on_small_class": on_small,
            "kinds": {
                "person": {
                    "fields": ["sex", "birth_date", "origin"],
                    "dates": {"birth_date": "year"},
                    "places": {"origin": ["county"]},
                    "quasi_identifiers": ["sex", "birth_date", "origin"]
                },
                "place": {"fields": ["names", "place_type", "parent"]}
            }
        })
        .to_string(),
    )
    .expect("policy")
}

#[test]
fn k_anonymity_refuses_and_names_the_same_classes_as_python() {
    let r = reference();
    let records: Vec<Record> = serde_json::from_value(r["records"].clone()).expect("records");
    let k = r["k"].as_u64().expect("k") as usize;
    let idx = place_index(&records);
    let err = publish(
        &records,
        &kanon_policy(k, SmallClass::Refuse),
        &key(),
        &|id| idx.get(id).cloned(),
    )
    .expect_err("refused");
    let PublishError::KAnonymity { classes, .. } = &err else {
        panic!("{err}")
    };
    let mut ours: Vec<Vec<String>> = classes
        .iter()
        .map(|c| c.ids.iter().map(|i| i.to_string()).collect())
        .collect();
    ours.iter_mut().for_each(|c| c.sort());
    ours.sort();
    let want: Vec<Vec<String>> =
        serde_json::from_value(r["small_classes"].clone()).expect("classes");
    assert_eq!(ours, want);
    // The message names record ids and the quasi-identifier combination.
    let msg = err.to_string();
    assert!(
        msg.contains("prs-") && msg.contains("sex+birth_date+origin"),
        "{msg}"
    );
    // Values in the report are the coarsened, published ones.
    assert!(
        classes.iter().all(|c| c.values[1].len() == 6),
        "birth year only: {:?}",
        classes[0].values
    );
}

#[test]
fn k_anonymity_suppression_matches_python() {
    let r = reference();
    let records: Vec<Record> = serde_json::from_value(r["records"].clone()).expect("records");
    let p = publish_all(&records, &kanon_policy(3, SmallClass::Suppress));
    assert_eq!(
        p.report.published[&RecordKind::Person] as u64,
        r["persons_published_after_suppression"]
            .as_u64()
            .expect("n")
    );
    assert_eq!(
        p.report.smallest_class[&RecordKind::Person] as u64,
        r["smallest_class_after_suppression"].as_u64().expect("min")
    );
    let suppressed: usize = p
        .report
        .suppressed_classes
        .iter()
        .map(|c| c.ids.len())
        .sum();
    assert_eq!(suppressed + p.report.published[&RecordKind::Person], 120);
    // Generalized to counties, coarsened to years.
    let person = p
        .records
        .iter()
        .find(|r| r["kind"] == "person")
        .expect("person");
    assert!(
        person["origin"]
            .as_str()
            .expect("origin")
            .starts_with("plc-county-")
    );
    assert_eq!(person["birth_date"].as_str().expect("year").len(), 4);
    assert!(person["id"].as_str().expect("id").starts_with("P-"));
}

#[test]
fn pseudonyms_match_python_hmac_and_are_stable() {
    let r = reference();
    let k = PseudonymKey(
        hex::decode(r["pseudonym_key_hex"].as_str().expect("key"))
            .expect("hex")
            .try_into()
            .expect("32"),
    );
    for (id, want) in r["pseudonyms"].as_object().expect("map") {
        assert_eq!(
            pseudonym(
                &k,
                RecordKind::Person,
                &RecordId::new(id.as_str()).expect("id")
            ),
            want.as_str().expect("s")
        );
    }
    let id = RecordId::new("prs-0000").expect("id");
    let other = PseudonymKey([9; 32]);
    assert_ne!(
        pseudonym(&k, RecordKind::Person, &id),
        pseudonym(&other, RecordKind::Person, &id)
    );
}

#[test]
fn day_numbers_round_trip() {
    for y in [-400, 0, 1, 1899, 1900, 1970, 2000, 2023, 2024, 2100, 2400] {
        for m in 1..=12u8 {
            for d in 1..=tumen_model::date::days_in_month(y, m) {
                let n = tumen_model::day_number(y, m, d);
                assert_eq!(
                    civil_from_day(n),
                    (i64::from(y), u32::from(m), u32::from(d))
                );
            }
        }
    }
}

#[test]
fn dates_are_coarsened_never_made_more_precise() {
    use DatePrecision::*;
    let cases = [
        ("2023-10-09", Month, "2023-10"),
        ("2023-10-09", Quarter, "2023-Q4"),
        ("2023-10-09", Year, "2023"),
        ("2023-08/2023-10", Year, "2023"),
        ("2023-08/2023-10", Quarter, "2023-Q3/2023-Q4"),
        ("2023-12-20/2024-01-05", Year, "2023/2024"),
        ("2023-10~", Year, "2023~"),
        ("2023-10?", Month, "2023-10?"),
        ("../2023-08-15", Month, "../2023-08"),
        ("2023-08-15/..", Year, "2023/.."),
        ("201X", Year, "2010/2019"),
        ("2023", Month, "2023-01/2023-12"),
        ("unknown", Year, "unknown"),
    ];
    for (input, p, want) in cases {
        let got = coarsen_date(input, p).expect(input);
        assert_eq!(got, want, "{input} {p:?}");
        let parsed = PartialDate::parse(&got).unwrap_or_else(|e| panic!("{got}: {e}"));
        if let (Some((a, b)), Some((c, d))) = (
            PartialDate::parse(input).expect("in").bounds(),
            parsed.bounds(),
        ) {
            assert!(
                c <= a && b <= d,
                "{input} → {got} must contain the original"
            );
        }
    }
    assert_eq!(coarsen_date("not a date", Year), None);
}

#[test]
fn places_generalize_to_the_accepted_ancestor() {
    let r = reference();
    let records: Vec<Record> = serde_json::from_value(r["records"].clone()).expect("records");
    let idx = place_index(&records);
    let mut policy = kanon_policy(2, SmallClass::Suppress);
    let person = policy.kinds.get_mut(&RecordKind::Person).expect("p");
    person
        .places
        .insert("origin".into(), vec!["province".into()]);
    person.quasi_identifiers = vec!["origin".into()];
    let p = publish(&records, &policy, &key(), &|id| idx.get(id).cloned()).expect("publish");
    for r in p.records.iter().filter(|r| r["kind"] == "person") {
        assert!(
            r["origin"]
                .as_str()
                .expect("origin")
                .starts_with("plc-prov-"),
            "{r}"
        );
    }
    // No accepted ancestor: the place is left out, and counted.
    person_policy_no_match(&records, &idx);
}

fn person_policy_no_match(records: &[Record], idx: &HashMap<RecordId, PlaceInfo>) {
    let mut policy = kanon_policy(2, SmallClass::Suppress);
    let person = policy.kinds.get_mut(&RecordKind::Person).expect("p");
    person
        .places
        .insert("origin".into(), vec!["village".into()]);
    person.quasi_identifiers = vec!["origin".into()];
    let p = publish(records, &policy, &key(), &|id| idx.get(id).cloned()).expect("publish");
    assert_eq!(p.report.ungeneralizable_places, 120);
    assert!(
        p.records
            .iter()
            .filter(|r| r["kind"] == "person")
            .all(|r| r["origin"].is_null())
    );
}
