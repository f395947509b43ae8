//! The bundled demo dataset (`data/demo/records.jsonl`) must parse, validate,
//! refer only to records that appear earlier in the file (so it loads in
//! one pass), and mark everything invented as fictional.

use std::collections::{BTreeMap, BTreeSet};
use tumen_model::{PartialDate, Record, RecordKind, Sensitivity, Vocabularies};

const DEMO: &str = include_str!("../../../data/demo/records.jsonl");

fn records() -> Vec<Record> {
    DEMO.lines()
        .enumerate()
        .map(|(i, line)| {
            Record::from_json(line).unwrap_or_else(|e| panic!("records.jsonl line {}: {e}", i + 1))
        })
        .collect()
}

#[test]
fn every_line_parses_and_validates() {
    let v = Vocabularies::builtin();
    let recs = records();
    assert!(recs.len() >= 50);
    for (i, r) in recs.iter().enumerate() {
        if let Err(errs) = r.validate(&v) {
            panic!("records.jsonl line {} ({}): {errs:?}", i + 1, r.id());
        }
        // The serde form is stable: printing and re-reading gives the same record.
        assert_eq!(&Record::from_json(&r.to_json()).unwrap(), r);
    }
    assert!(DEMO.len() < 200 * 1024, "demo data must stay small");
}

#[test]
fn references_point_backwards_and_ids_are_unique() {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (i, r) in records().iter().enumerate() {
        for target in r.refs() {
            assert!(
                seen.contains(target.as_str()),
                "line {} ({}) refers to {target}, which is not defined above it",
                i + 1,
                r.id()
            );
        }
        assert!(seen.insert(r.id().to_string()), "duplicate id {}", r.id());
    }
}

#[test]
fn invented_material_is_marked_fictional() {
    let recs = records();
    let by_id: BTreeMap<&str, &Record> = recs.iter().map(|r| (r.id().as_str(), r)).collect();
    for r in &recs {
        // Every individual (not a group) is invented in this dataset.
        if let Record::Person(p) = r {
            if p.group_size.is_none() {
                assert!(
                    p.fictional,
                    "{} is an individual but not marked fictional",
                    p.id
                );
            }
        }
        // Anything citing a fictional source is itself fictional.
        let cites_fiction = r
            .refs()
            .iter()
            .any(|id| matches!(by_id.get(id.as_str()), Some(Record::Source(s)) if s.fictional));
        if cites_fiction {
            assert!(
                r.is_fictional(),
                "{} cites a fictional source but is not marked fictional",
                r.id()
            );
        }
        if r.is_fictional() {
            let text = r.to_json();
            assert!(
                text.contains("FICTIONAL")
                    || text.contains("illustrative")
                    || text.contains("예시"),
                "{} is fictional but does not say so",
                r.id()
            );
        }
    }
}

#[test]
fn the_demo_has_what_the_canary_and_filters_need() {
    let recs = records();
    // A confidential name inside a readable record: the canary target.
    let confidential_name = recs.iter().any(|r| {
        r.sensitivity() < Sensitivity::Confidential
            && r.names()
                .iter()
                .any(|n| n.sensitivity == Some(Sensitivity::Confidential))
    });
    assert!(confidential_name);
    assert!(
        recs.iter()
            .any(|r| r.sensitivity() == Sensitivity::Confidential)
    );
    // Redacting for a restricted reader drops the confidential names from text and JSON.
    for r in &recs {
        let red = r.redact(Sensitivity::Restricted);
        for n in r
            .names()
            .iter()
            .filter(|n| n.sensitivity == Some(Sensitivity::Confidential))
        {
            assert!(!red.to_json().contains(&n.text));
            assert!(!r.index_terms().text.contains(&n.text));
        }
    }
    // "All acts in 2023-Q3" finds the return of 29 August 2023 but not 9 October.
    let q3 = PartialDate::parse("2023-Q3").unwrap();
    let in_q3: Vec<&str> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Act(a) if a.date.is_some_and(|d| d.overlaps(&q3)) && !a.fictional => {
                Some(a.id.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        in_q3,
        ["act-2023-08-29-refoulement", "act-2023-09-18-refoulement"]
    );
    // Five crossings for 9 October, each with coordinates or a parent city.
    let crossings = recs
        .iter()
        .filter(|r| matches!(r, Record::Place(p) if p.place_type == "border_crossing" && p.parent.is_some()))
        .count();
    assert_eq!(crossings, 5);
    for kind in RecordKind::ALL {
        assert!(
            recs.iter().any(|r| r.kind() == kind),
            "no {kind} in the demo"
        );
    }
}

#[test]
fn every_real_fact_cites_a_source_that_names_its_publisher_and_date() {
    // A real (non-fictional) record stands on published sources: each one
    // it cites says who published it and when, so a reader can find it.
    let recs = records();
    let by_id: BTreeMap<&str, &Record> = recs.iter().map(|r| (r.id().as_str(), r)).collect();
    for r in recs.iter().filter(|r| !r.is_fictional()) {
        for target in r.refs() {
            if let Some(Record::Source(s)) = by_id.get(target.as_str()) {
                assert!(
                    !s.fictional && s.publisher.is_some() && s.date.is_some(),
                    "{} cites {}, which names no publisher or date",
                    r.id(),
                    s.id
                );
                assert_ne!(
                    s.reliability.as_deref(),
                    Some("F"),
                    "{} cites {}, whose reliability cannot be judged",
                    r.id(),
                    s.id
                );
            }
        }
    }
}

#[test]
fn no_confidential_name_shows_through_another_record_a_restricted_reader_sees() {
    // A label such as "김예시의 어머니" (the mother of …) repeats a
    // confidential name in a record that is only restricted; such text must
    // carry the confidential label too.
    let recs = records();
    let secrets: Vec<&str> = recs
        .iter()
        .flat_map(|r| r.names())
        .filter(|n| n.sensitivity == Some(Sensitivity::Confidential))
        .map(|n| n.text.as_str())
        .collect();
    assert!(!secrets.is_empty());
    for r in &recs {
        let seen = r.redact(Sensitivity::Restricted).to_json();
        for s in &secrets {
            assert!(
                !seen.contains(s),
                "{} shows the confidential name {s:?} to a restricted reader",
                r.id()
            );
        }
    }
}

#[test]
fn records_jsonl_is_what_build_records_py_makes() {
    // The script is the dataset's source; an edit to the generated file
    // alone would be lost the next time the script runs.
    // The script writes to standard output: no copy of the dataset (which
    // holds the canary's confidential names) is left in a temporary file.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/demo/build_records.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg("-")
        .output()
        .expect("python3 runs data/demo/build_records.py (Python 3 is needed for this test)");
    assert!(
        out.status.success(),
        "build_records.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = String::from_utf8(out.stdout).expect("the script writes UTF-8");
    assert!(
        made == DEMO,
        "data/demo/records.jsonl differs from what build_records.py makes: run the script"
    );
}
