//! Tests of the record kinds: serde, validation paths, redaction, index terms.

use super::*;
use crate::date::day_number;

fn vocabs() -> Vocabularies {
    Vocabularies::builtin()
}

fn id(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}

const PERSON: &str = r#"{"kind":"person","id":"prs-1","sensitivity":"restricted","access_groups":["case-a"],"fictional":true,"field_sensitivity":{"birth_date":"confidential","origin":"restricted"},"names":[{"text":"Kim Example","script":"latin","kind":"romanization_as_given","lang":"ko"},{"text":"김가명","script":"hangul","kind":"legal","sensitivity":"confidential"}],"sex":"female","birth_date":"1985~","origin":"plc-hyesan","categories":["woman","defector"],"status_history":[{"date":"2023-04","status":"detained_in_china","place":"plc-tumen","organization":"org-mps-cn","claims":[{"source":"src-t1","credibility":2,"basis":"experienced"}]},{"date":"2023-10-09","status":"repatriated","place":"plc-namyang","claims":[{"source":"src-t1","credibility":2,"basis":"heard_from_victim","locator":"p. 3"}]}],"claims":[{"source":"src-t1"}]}"#;
const GROUP: &str = r#"{"kind":"person","id":"grp-1","sensitivity":"public","names":[{"text":"People returned on 9 October 2023","script":"latin","kind":"descriptive_label"}],"group_size":"500–600","categories":["woman"],"claims":[{"source":"src-hrw"}]}"#;
const ORG: &str = r#"{"kind":"organization","id":"org-mss","sensitivity":"public","names":[{"text":"Ministry of State Security","script":"latin","kind":"official","lang":"en"},{"text":"국가보위성","script":"hangul","kind":"official","lang":"ko"}],"org_type":"state_security","parent":"org-dprk"}"#;
const PLACE: &str = r#"{"kind":"place","id":"plc-hyesan","sensitivity":"public","names":[{"text":"Hyesan","script":"latin","kind":"standard_romanization"},{"text":"혜산","script":"hangul","kind":"official"},{"text":"惠山","script":"hanja","kind":"official","lang":"zh"}],"place_type":"city","coordinates":{"lat":41.40,"lon":128.18},"parent":"plc-ryanggang"}"#;
const EVENT: &str = r#"{"kind":"event","id":"evt-1","sensitivity":"public","event_type":"mass_repatriation","title":"Mass repatriation of 9 October 2023","date":"2023-10-09","places":["plc-namyang","plc-hyesan"],"people_affected":"about 500","transport":["bus","truck"],"earlier":["evt-0"],"claims":[{"source":"src-hrw","credibility":2,"basis":"public_report"}]}"#;
const ACT: &str = r#"{"kind":"act","id":"act-1","sensitivity":"restricted","act_type":"torture","victims":["prs-1"],"date":"2023-10~","place":"plc-hyesan","involvements":[{"perpetrator":"org-mss","degree":"direct_perpetrator"},{"perpetrator":"org-mps","degree":"complicit"}],"event":"evt-1","description":"Beaten during interrogation.","claims":[{"source":"src-t1","credibility":3,"basis":"heard_from_victim"}]}"#;
const SOURCE: &str = r#"{"kind":"source","id":"src-hrw","sensitivity":"public","source_type":"ngo_report","title":"China Forcibly Returns More than 500 to North Korea","publisher":"Human Rights Watch","date":"2023-10-13","url":"https://www.hrw.org/","reliability":"B","language":"en"}"#;
const INTERVENTION: &str = r#"{"kind":"intervention","id":"int-1","sensitivity":"public","intervention_type":"un_special_procedures_letter","title":"Letter of UN experts to China","date":"2023-07","parties":["org-ohchr","org-prc"],"status":"replied","acts":["act-1"],"persons":["grp-1"],"claims":[{"source":"src-news"}]}"#;

const ALL: [&str; 8] = [PERSON, GROUP, ORG, PLACE, EVENT, ACT, SOURCE, INTERVENTION];

#[test]
fn every_kind_round_trips_through_json() {
    for text in ALL {
        let rec = Record::from_json(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let out = rec.to_json();
        // Same JSON document (key order aside) as the hand-written input.
        let a: serde_json::Value = serde_json::from_str(text).unwrap();
        let b: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(a, b, "{text}");
        assert_eq!(Record::from_json(&out).unwrap(), rec);
        rec.validate(&vocabs())
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    }
}

#[test]
fn json_errors_never_echo_values() {
    let e = Record::from_json(r#"{"kind":"person","id":"p","names":"Kim Secret","claims":[]}"#)
        .unwrap_err();
    let m = e.to_string();
    assert!(!m.contains("Kim Secret"), "{m}");
    assert!(
        m.contains("invalid type: string (value withheld), expected a sequence"),
        "{m}"
    );
    assert_eq!(e.line(), 1);
    assert!(e.column() > 30);
    let e = Record::from_json(r#"{"kind":"place","id":"p","names":[],"place_type":"city","coordinates":{"lat":"41.98765","lon":1}}"#).unwrap_err();
    assert!(!e.to_string().contains("41.98765"), "{e}");
    let e = Record::from_json(r#"{"kind":"act","id":"a","act_type":7,"victims":[]}"#).unwrap_err();
    assert!(
        e.to_string()
            .contains("invalid type: integer (value withheld), expected a string"),
        "{e}"
    );
    // The slow path (kind not first) is scrubbed too.
    let e = Record::from_json(r#"{"id":"p","kind":"person","names":"Kim Secret"}"#).unwrap_err();
    assert!(!e.to_string().contains("Kim Secret"), "{e}");
    assert_eq!(scrub_serde_message("no values here"), "no values here");
    assert_eq!(
        scrub_serde_message(
            r#"invalid value: string "a", expected x; invalid type: boolean `true`, expected y"#
        ),
        "invalid value: string (value withheld), expected x; invalid type: boolean (value withheld), expected y"
    );
}

#[test]
fn kinds_and_envelopes() {
    let kinds: Vec<RecordKind> = ALL
        .iter()
        .map(|t| Record::from_json(t).unwrap().kind())
        .collect();
    assert_eq!(
        kinds,
        [
            RecordKind::Person,
            RecordKind::Person,
            RecordKind::Organization,
            RecordKind::Place,
            RecordKind::Event,
            RecordKind::Act,
            RecordKind::Source,
            RecordKind::Intervention
        ]
    );
    let p = Record::from_json(PERSON).unwrap();
    let env = p.envelope();
    assert_eq!(env.id, id("prs-1"));
    assert_eq!(env.kind, RecordKind::Person);
    assert_eq!(env.sensitivity, Sensitivity::Restricted);
    assert_eq!(env.access_groups, vec!["case-a".to_string()]);
    assert!(p.is_fictional());
}

#[test]
fn typos_and_unknown_kinds_are_errors() {
    let typo = ORG.replace("\"org_type\"", "\"orgtype\"");
    let e = Record::from_json(&typo).unwrap_err().to_string();
    assert!(e.contains("unknown field `orgtype`"), "{e}");
    let e = Record::from_json(&PERSON.replace(
        "\"basis\":\"experienced\"",
        "\"basis\":\"experienced\",\"credibilty\":2",
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown field `credibilty`"), "{e}");
    let e = Record::from_json(r#"{"kind":"perpetrator","id":"x"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `perpetrator`"), "{e}");
    let e = Record::from_json(&ACT.replace("2023-10~", "2023-02-30"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("past the end of the month"), "{e}");
    let e = Record::from_json(&GROUP.replace("500–600", "600-500"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("range starts above its end"), "{e}");
    let e = Record::from_json(&ACT.replace("\"act-1\"", "\"act 1\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("record id contains"), "{e}");
    assert!(
        Record::from_json(r#"{"id":"x"}"#)
            .unwrap_err()
            .to_string()
            .contains("missing field `kind`")
    );
    assert!(
        Record::from_json("{}")
            .unwrap_err()
            .to_string()
            .contains("missing field `kind`")
    );
    assert!(Record::from_json("[1]").is_err());
    // `kind` need not come first; both paths give the same record and the same refusals.
    let id_first = format!(
        "{{\"id\":\"org-mss\",{}",
        &ORG[1..].replacen(r#""id":"org-mss","#, "", 1)
    );
    assert!(id_first.starts_with(r#"{"id":"org-mss","kind":"organization","#));
    assert_eq!(
        Record::from_json(&id_first).unwrap(),
        Record::from_json(ORG).unwrap()
    );
    let e = Record::from_json(
        r#"{"id":"x","kind":"organization","names":[],"org_type":"police","nmes":1}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown field `nmes`"), "{e}");
    let e = Record::from_json(r#"{"id":"x","kind":"villain"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `villain`"), "{e}");
}

fn paths(r: Result<(), Vec<FieldError>>) -> Vec<String> {
    r.unwrap_err().into_iter().map(|e| e.path).collect()
}

#[test]
fn validation_names_every_bad_field() {
    let v = vocabs();
    let mut act = Record::from_json(ACT).unwrap();
    if let Record::Act(a) = &mut act {
        a.involvements[1].degree = "helped_a_bit".into();
        a.act_type = "tortur".into();
        a.claims.clear();
        a.victims.push(id("prs-1"));
        a.claims.push(Claim {
            credibility: Some(7),
            basis: Some("dreamt".into()),
            ..Claim::from_source(id("src-1"))
        });
    }
    let errs = act.validate(&v).unwrap_err();
    let got: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        got,
        [
            "act_type",
            "victims[1]",
            "involvements[1].degree",
            "claims[0].credibility",
            "claims[0].basis"
        ]
    );
    assert!(errs[0].reason.contains("act_type vocabulary"));
    assert!(errs[3].reason.contains("1 (confirmed) to 6"));
    // No reason repeats the bad value.
    assert!(
        errs.iter()
            .all(|e| !e.reason.contains("tortur") && !e.reason.contains("helped_a_bit"))
    );

    let mut act = Record::from_json(ACT).unwrap();
    if let Record::Act(a) = &mut act {
        a.claims.clear();
        a.victims.clear();
    }
    let errs = act.validate(&v).unwrap_err();
    assert_eq!(
        errs.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        ["victims", "claims"]
    );
    assert!(errs[1].reason.contains("nothing enters without a source"));
}

#[test]
fn validation_of_persons_places_sources() {
    let v = vocabs();
    let mut p = Record::from_json(PERSON).unwrap();
    if let Record::Person(r) = &mut p {
        r.status_history.swap(0, 1); // out of time order
        r.status_history[0].claims.clear();
        r.names[0].script = "cyrillic".into();
        r.names.push(Name {
            text: " ".into(),
            script: "latin".into(),
            kind: "alias".into(),
            lang: Some("Korean".into()),
            sensitivity: None,
        });
        r.categories.push("woman".into());
        r.group_size = Some(Count::parse("0").unwrap());
        r.birth_date = Some(PartialDate::parse("1700").unwrap());
        r.field_sensitivity
            .insert("nmes".into(), Sensitivity::Confidential);
        r.access_groups.push("Case A".into());
    }
    assert_eq!(
        paths(p.validate(&v)),
        [
            "access_groups[1]",
            "field_sensitivity.nmes",
            "names[0].script",
            "names[2].text",
            "names[2].lang",
            "birth_date",
            "categories[2]",
            "group_size",
            "status_history[0].claims",
            "status_history[1].date",
        ]
    );

    let mut place = Record::from_json(PLACE).unwrap();
    if let Record::Place(r) = &mut place {
        r.coordinates = Some(Coordinates {
            lat: 91.0,
            lon: f64::NAN,
        });
        r.parent = Some(r.id.clone());
        r.names.clear();
    }
    assert_eq!(
        paths(place.validate(&v)),
        ["names", "coordinates.lat", "coordinates.lon", "parent"]
    );

    let mut src = Record::from_json(SOURCE).unwrap();
    if let Record::Source(r) = &mut src {
        r.url = Some("javascript:alert(1)".into());
        r.reliability = Some("G".into());
        r.title = "x".repeat(MAX_SHORT + 1);
        r.description = Some("y".repeat(MAX_TEXT + 1));
    }
    assert_eq!(
        paths(src.validate(&v)),
        ["title", "url", "reliability", "description"]
    );

    // Sources, places and organizations need no claim; a user term is accepted.
    let mut v2 = vocabs();
    v2.extend(
        Vocab::OrgType,
        crate::vocab::Term {
            code: "party".into(),
            en: "Party".into(),
            ko: "당".into(),
            note: None,
        },
    )
    .unwrap();
    let org = Record::from_json(&ORG.replace("state_security", "party")).unwrap();
    assert!(org.validate(&v).is_err());
    assert!(org.validate(&v2).is_ok());
}

#[test]
fn redaction_removes_what_the_reader_may_not_see() {
    let p = Record::from_json(PERSON).unwrap();
    let Record::Person(r) = p.redact(Sensitivity::Restricted) else {
        panic!()
    };
    assert_eq!(r.birth_date, None); // labelled confidential
    assert_eq!(r.origin, Some(id("plc-hyesan"))); // restricted: visible
    assert_eq!(r.names.len(), 1);
    assert_eq!(r.names[0].text, "Kim Example");
    assert_eq!(r.status_history.len(), 2);

    // A confidential reader sees everything.
    assert_eq!(p.redact(Sensitivity::Confidential), p);

    // A public reader of a restricted record gets only the skeleton.
    let s = p.redact(Sensitivity::Public);
    let Record::Person(r) = &s else { panic!() };
    assert_eq!(r.id, id("prs-1"));
    assert!(
        r.names.is_empty()
            && r.status_history.is_empty()
            && r.claims.is_empty()
            && r.origin.is_none()
    );
    assert!(r.access_groups.is_empty());
    assert!(r.fictional);
    assert!(!s.to_json().contains("Kim Example"));

    // A public record with a restricted field, read by the public.
    let mut pubrec = Record::from_json(PERSON).unwrap();
    if let Record::Person(r) = &mut pubrec {
        r.sensitivity = Sensitivity::Public;
    }
    let Record::Person(r) = pubrec.redact(Sensitivity::Public) else {
        panic!()
    };
    assert_eq!(r.origin, None);
    assert_eq!(r.birth_date, None);
    assert_eq!(r.names.len(), 1);
    assert_eq!(r.categories.len(), 2);
}

#[test]
fn index_terms_follow_the_labels() {
    let p = Record::from_json(PERSON).unwrap();
    let t = p.index_terms();
    assert_eq!(t.text, vec!["Kim Example".to_string()]); // the confidential hangul name is left out
    assert!(t.terms.contains(&"category:woman".to_string()));
    assert!(t.terms.contains(&"person_status:repatriated".to_string()));
    assert!(t.terms.contains(&"sex:female".to_string()));
    assert!(t.terms.contains(&"fictional:true".to_string()));
    assert_eq!(t.date_lo, Some(day_number(2023, 4, 1)));
    assert_eq!(t.date_hi, Some(day_number(2023, 10, 9)));
    assert_eq!(
        t.places,
        vec![id("plc-hyesan"), id("plc-namyang"), id("plc-tumen")]
    );
    assert_eq!(
        t.refs,
        vec![
            id("org-mps-cn"),
            id("plc-hyesan"),
            id("plc-namyang"),
            id("plc-tumen"),
            id("src-t1")
        ]
    );

    // A confidential record contributes no text, but stays filterable.
    let mut c = Record::from_json(EVENT).unwrap();
    if let Record::Event(e) = &mut c {
        e.sensitivity = Sensitivity::Confidential;
    }
    let t = c.index_terms();
    assert!(t.text.is_empty());
    assert_eq!(
        t.terms,
        vec![
            "event_type:mass_repatriation",
            "transport:bus",
            "transport:truck"
        ]
    );
    assert_eq!(t.date_lo, Some(day_number(2023, 10, 9)));

    let a = Record::from_json(ACT).unwrap();
    let t = a.index_terms();
    assert_eq!(
        t.terms,
        vec![
            "act_type:torture",
            "involvement:complicit",
            "involvement:direct_perpetrator"
        ]
    );
    assert_eq!(
        (t.date_lo, t.date_hi),
        (
            Some(day_number(2023, 10, 1)),
            Some(day_number(2023, 10, 31))
        )
    );
    assert_eq!(t.places, vec![id("plc-hyesan")]);
    assert_eq!(
        t.refs,
        vec![
            id("evt-1"),
            id("org-mps"),
            id("org-mss"),
            id("plc-hyesan"),
            id("prs-1"),
            id("src-t1")
        ]
    );

    let o = Record::from_json(ORG).unwrap().index_terms();
    assert_eq!(o.parent, Some(id("org-dprk")));
    assert_eq!(o.text, vec!["Ministry of State Security", "국가보위성"]);

    // A field labelled confidential on its own is not indexed.
    let mut a2 = Record::from_json(ACT).unwrap();
    if let Record::Act(x) = &mut a2 {
        x.field_sensitivity
            .insert("place".into(), Sensitivity::Confidential);
        x.field_sensitivity
            .insert("date".into(), Sensitivity::Confidential);
    }
    let t = a2.index_terms();
    assert!(t.places.is_empty());
    assert_eq!(t.date_lo, None);
    assert!(t.refs.contains(&id("plc-hyesan"))); // still a reference, for integrity checks
}

#[test]
fn labelable_fields_can_all_be_redacted() {
    for text in ALL {
        let mut rec = Record::from_json(text).unwrap();
        // Start without any field or name labels of the fixture.
        each!(&mut rec, x => x.field_sensitivity.clear());
        if let Some(names) = rec.names_mut() {
            names.iter_mut().for_each(|n| n.sensitivity = None);
        }
        let kind = rec.kind();
        for f in Record::labelable_fields(kind) {
            let mut r = rec.clone();
            assert!(
                r.clear_field(f),
                "{kind}.{f} is labelable but cannot be cleared"
            );
            // Labelling the field confidential and redacting for a restricted
            // reader empties exactly that field.
            let mut labelled = rec.clone();
            each!(&mut labelled, x => {
                x.sensitivity = Sensitivity::Restricted;
                x.field_sensitivity.insert((*f).to_string(), Sensitivity::Confidential);
            });
            let mut expected = r.clone();
            each!(&mut expected, x => {
                x.sensitivity = Sensitivity::Restricted;
                x.field_sensitivity.insert((*f).to_string(), Sensitivity::Confidential);
            });
            assert_eq!(
                labelled.redact(Sensitivity::Restricted),
                expected,
                "{kind}.{f}"
            );
        }
        let mut r = rec.clone();
        assert!(!r.clear_field("id"));
        assert!(!r.clear_field("nonsense"));
    }
}

#[test]
fn vocab_names_match_their_serde_form() {
    for v in Vocab::ALL {
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            format!("\"{}\"", v.as_str())
        );
    }
}

#[test]
fn labels_never_show_confidential_names() {
    let p = Record::from_json(PERSON).unwrap();
    assert_eq!(p.label(), "Kim Example");
    let mut only_secret = p.clone();
    if let Record::Person(r) = &mut only_secret {
        r.names.remove(0);
        assert!(!r.is_group());
    }
    assert_eq!(only_secret.label(), "prs-1");
    let mut conf = Record::from_json(EVENT).unwrap();
    assert_eq!(conf.label(), "Mass repatriation of 9 October 2023");
    if let Record::Event(e) = &mut conf {
        e.sensitivity = Sensitivity::Confidential;
    }
    assert_eq!(conf.label(), "evt-1");
    assert_eq!(Record::from_json(ACT).unwrap().label(), "torture");
    let Record::Person(g) = Record::from_json(GROUP).unwrap() else {
        panic!()
    };
    assert!(g.is_group());
}
