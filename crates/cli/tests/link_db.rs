//! `tumen link` on the archive, end to end through the binary: an archive
//! built with the service API holds one man written three ways (김철진 /
//! 金哲鎭 / Kim Chol Jin, the Hanja record giving only his province), a
//! namesake born decades earlier elsewhere, and a dozen other people. The
//! three spellings must become one resolved person that keeps every record
//! and spelling; decisions must hold across runs; unlink must restore.

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tumen_model::{Record, RecordKind};
use tumen_service::{Archive, Filter, InitOptions, local_administrator};

const PW: &str = "link db test passphrase";

fn rec(json: &str) -> Record {
    Record::from_json(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn person(id: &str, name: &str, script: &str, sex: &str, born: &str, origin: &str) -> Record {
    rec(&format!(
        r#"{{"kind":"person","id":"{id}","names":[{{"text":"{name}","script":"{script}","kind":"legal"}}],"sex":"{sex}","birth_date":"{born}","origin":"{origin}","claims":[{{"source":"src-1"}}]}}"#
    ))
}

fn build(dir: &Path) {
    let a = Archive::init(dir, PW, InitOptions::insecure_fast_for_tests()).unwrap();
    let s = a.session(local_administrator("test"));
    let places = [
        ("plc-kp", None, "country", "DPRK"),
        ("plc-nh", Some("plc-kp"), "province", "North Hamgyong"),
        ("plc-rg", Some("plc-kp"), "province", "Ryanggang"),
        ("plc-ph", Some("plc-kp"), "province", "North Pyongan"),
        ("plc-hoeryong", Some("plc-nh"), "county", "Hoeryong"),
        ("plc-musan", Some("plc-nh"), "county", "Musan"),
        ("plc-hyesan", Some("plc-rg"), "county", "Hyesan"),
        ("plc-sinuiju", Some("plc-ph"), "county", "Sinuiju"),
    ];
    for (id, parent, t, name) in places {
        let parent = parent
            .map(|p| format!(r#","parent":"{p}""#))
            .unwrap_or_default();
        s.create(&rec(&format!(
            r#"{{"kind":"place","id":"{id}","names":[{{"text":"{name}","script":"latin","kind":"official"}}],"place_type":"{t}"{parent}}}"#
        )))
        .unwrap();
    }
    s.create(&rec(
        r#"{"kind":"source","id":"src-1","source_type":"news_report","title":"List"}"#,
    ))
    .unwrap();
    let people = [
        (
            "p-kim-h",
            "김철진",
            "hangul",
            "male",
            "1971-03-02",
            "plc-hoeryong",
        ),
        ("p-kim-c", "金哲鎭", "hanja", "male", "1971-03-02", "plc-nh"),
        (
            "p-kim-l",
            "Kim Chol Jin",
            "latin",
            "male",
            "1971-03",
            "plc-hoeryong",
        ),
        (
            "p-kim-old",
            "김철진",
            "hangul",
            "male",
            "1940-06-06",
            "plc-sinuiju",
        ),
        (
            "p-ri",
            "리영호",
            "hangul",
            "male",
            "1965-11-20",
            "plc-musan",
        ),
        (
            "p-pak",
            "박명수",
            "hangul",
            "male",
            "1980-01-15",
            "plc-hyesan",
        ),
        (
            "p-choe",
            "최은희",
            "hangul",
            "female",
            "1975-07-07",
            "plc-hoeryong",
        ),
        (
            "p-jong",
            "정성철",
            "hangul",
            "male",
            "1990-09-30",
            "plc-sinuiju",
        ),
        (
            "p-kang",
            "강현옥",
            "hangul",
            "female",
            "1958-04-12",
            "plc-musan",
        ),
        (
            "p-jo",
            "조광일",
            "hangul",
            "male",
            "1988-12-01",
            "plc-hyesan",
        ),
        (
            "p-yun",
            "윤미란",
            "hangul",
            "female",
            "1993-05-19",
            "plc-hoeryong",
        ),
        (
            "p-jang",
            "장혁",
            "hangul",
            "male",
            "1969-08-08",
            "plc-musan",
        ),
        (
            "p-hyon",
            "현순실",
            "hangul",
            "female",
            "1972-02-28",
            "plc-hyesan",
        ),
        (
            "p-han",
            "한영애",
            "hangul",
            "female",
            "1984-10-10",
            "plc-sinuiju",
        ),
    ];
    for (id, name, script, sex, born, origin) in people {
        s.create(&person(id, name, script, sex, born, origin))
            .unwrap();
    }
    // An act gives the Hangul record a date of forced repatriation.
    s.create(&rec(
        r#"{"kind":"act","id":"act-1","act_type":"forced_repatriation","victims":["p-kim-h"],"date":"2023-10-09","claims":[{"source":"src-1"}]}"#,
    ))
    .unwrap();
}

/// One run of the binary as the local administrator (the shared runner
/// also keeps account variables of the environment out).
fn tumen(dir: &Path, args: &[&str]) -> Output {
    common::Run::admin(dir).passphrase(PW).go(args)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("JSON on stdout")
}

/// Resolved persons as sorted member-id lists.
fn persons(dir: &Path) -> Vec<(String, Vec<String>)> {
    let v = json(&tumen(dir, &["link", "persons", "--json"]));
    let mut out: Vec<(String, Vec<String>)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut m: Vec<String> = p["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect();
            m.sort();
            (p["id"].as_str().unwrap().to_string(), m)
        })
        .collect();
    out.sort();
    out
}

fn together(ps: &[(String, Vec<String>)], a: &str, b: &str) -> bool {
    ps.iter()
        .any(|(_, m)| m.iter().any(|x| x == a) && m.iter().any(|x| x == b))
}

fn person_count(dir: &Path) -> usize {
    let a = Archive::open(dir, PW).unwrap();
    let s = a.session(local_administrator("test"));
    s.query(&Filter {
        kinds: vec![RecordKind::Person],
        ..Filter::default()
    })
    .unwrap()
    .len()
}

#[test]
fn cross_script_duplicates_are_resolved_and_decisions_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("archive");
    build(&data);
    let before = person_count(&data);

    let pairs = tmp.path().join("pairs.csv");
    let run = json(&tumen(
        &data,
        &["link", "--json", "--output", pairs.to_str().unwrap()],
    ));
    assert_eq!(run["summary"]["records"], 14);
    assert!(run["saved"]["run"].as_str().unwrap().starts_with("run-"));
    let p = persons(&data);
    assert!(together(&p, "p-kim-h", "p-kim-c"), "{p:?}");
    assert!(together(&p, "p-kim-h", "p-kim-l"), "{p:?}");
    assert!(!together(&p, "p-kim-h", "p-kim-old"), "{p:?}");
    assert_eq!(p.len(), 1, "only the three spellings are one person: {p:?}");
    let pairs_text = std::fs::read_to_string(&pairs).unwrap();
    assert!(pairs_text.starts_with("id_a,id_b,probability"));

    // Every member and every spelling stays.
    let v = json(&tumen(&data, &["link", "persons", "--json"]));
    let spellings: Vec<&str> = v[0]["spellings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in ["김철진", "金哲鎭", "Kim Chol Jin"] {
        assert!(spellings.contains(&s), "{spellings:?}");
    }
    assert_eq!(person_count(&data), before, "linking never removes records");
    let text = ok(&tumen(&data, &["link", "persons"]));
    assert!(
        text.contains("p-kim-c") && text.contains("金哲鎭"),
        "{text}"
    );

    // With a strict acceptance threshold the three spellings wait for a
    // person instead, each pair with its names and explanation.
    let strict = [
        "link",
        "--threshold",
        "0.9999",
        "--review-lower",
        "0.5",
        "review",
        "--json",
    ];
    let queue = |data: &Path| -> Vec<(String, String)> {
        let q = json(&tumen(data, &strict));
        q.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert!(i["explanation"]["fields"].as_array().unwrap().len() >= 3);
                assert!(i["names_a"].is_array() && i["names_b"].is_array());
                (
                    i["id_a"].as_str().unwrap().to_string(),
                    i["id_b"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let q = queue(&data);
    assert_eq!(q.len(), 3, "{q:?}");
    assert!(q.contains(&("p-kim-h".into(), "p-kim-l".into())), "{q:?}");
    let text = ok(&tumen(&data, &strict[..strict.len() - 1]));
    assert!(
        text.contains("same name in another spelling or script"),
        "{text}"
    );

    // "different" keeps two records apart in every later run; "same" joins.
    ok(&tumen(
        &data,
        &[
            "link",
            "decide",
            "p-kim-l",
            "p-kim-h",
            "different",
            "--note",
            "checked",
        ],
    ));
    ok(&tumen(
        &data,
        &["link", "decide", "p-han", "p-kang", "same"],
    ));
    for _ in 0..2 {
        ok(&tumen(&data, &["link"]));
        let p = persons(&data);
        assert!(!together(&p, "p-kim-l", "p-kim-h"), "{p:?}");
        assert!(together(&p, "p-han", "p-kang"), "{p:?}");
    }
    // A decided pair leaves the review queue; the others stay.
    let q = queue(&data);
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(!q.contains(&("p-kim-h".into(), "p-kim-l".into())), "{q:?}");

    // Unlink restores the members as persons of their own, for good.
    let p = persons(&data);
    let (han, _) = p
        .iter()
        .find(|(_, m)| m.iter().any(|x| x == "p-han"))
        .unwrap()
        .clone();
    let out = ok(&tumen(&data, &["link", "unlink", &han]));
    assert!(out.contains("p-han") && out.contains("p-kang"), "{out}");
    assert!(!together(&persons(&data), "p-han", "p-kang"));
    ok(&tumen(&data, &["link"]));
    assert!(
        !together(&persons(&data), "p-han", "p-kang"),
        "an unlink outlives the next run"
    );
    assert_eq!(person_count(&data), before);

    // Unlinking one member keeps the rest together.
    let p = persons(&data);
    let (kim, members) = p
        .iter()
        .find(|(_, m)| m.iter().any(|x| x == "p-kim-c"))
        .unwrap()
        .clone();
    assert!(members.len() >= 2, "{p:?}");
    ok(&tumen(&data, &["link", "unlink", &kim, "p-kim-c"]));
    assert!(
        persons(&data)
            .iter()
            .all(|(_, m)| !m.iter().any(|x| x == "p-kim-c"))
    );
}

#[test]
fn bad_requests_are_refused_with_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("archive");
    build(&data);
    let out = tumen(&data, &["link", "decide", "p-ri", "p-nobody", "same"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("p-nobody"));
    let out = tumen(&data, &["link", "decide", "p-ri", "src-1", "same"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a person"));
    let out = tumen(&data, &["link", "decide", "p-ri", "p-pak", "maybe"]);
    assert!(!out.status.success());
    let out = tumen(&data, &["link", "unlink", "P-nothing"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("P-nothing"));
    // CSV mode still needs --output.
    let csv = tmp.path().join("a.csv");
    std::fs::write(&csv, "id,name\n1,Kim\n").unwrap();
    let out = tumen(&data, &["link", "--input", csv.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
}

#[test]
fn an_empty_archive_gets_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("archive");
    Archive::init(&data, PW, InitOptions::insecure_fast_for_tests()).unwrap();
    let out = tumen(&data, &["link"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no field to compare"), "{err}");
    assert!(ok(&tumen(&data, &["link", "persons"])).contains("no resolved persons"));
    assert_eq!(
        json(&tumen(&data, &["link", "persons", "--json"])),
        serde_json::json!([])
    );
    let out = tumen(&data, &["link"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

/// Linkage entries in the archive's ledger, decoded.
fn linkage_entries(dir: &Path) -> Vec<tumen_store::linkage::LinkageLeaf> {
    let a = Archive::open(dir, PW).unwrap();
    let s = a.session(local_administrator("test"));
    let ledger = s.ledger().unwrap();
    ledger
        .leaves(1, 100_000)
        .unwrap()
        .iter()
        .filter_map(|l| tumen_store::linkage::LinkageLeaf::decode(&l.bytes))
        .collect()
}

/// A woman known in one list by her legal Hangul name and her alias, in
/// another only by the romanized alias: the two records meet through the
/// second spelling. Every decision, join, leave and unlink is an entry of
/// the tamper-evident ledger, and `tumen verify` finds the ledger intact.
#[test]
fn a_second_spelling_links_and_the_ledger_covers_linkage() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("archive");
    build(&data);
    {
        let a = Archive::open(&data, PW).unwrap();
        let s = a.session(local_administrator("test"));
        s.create(&rec(
            r#"{"kind":"person","id":"p-alias-1","names":[{"text":"김순희","script":"hangul","kind":"legal"},{"text":"김미영","script":"hangul","kind":"alias"}],"sex":"female","birth_date":"1979-05-05","origin":"plc-musan","claims":[{"source":"src-1"}]}"#,
        ))
        .unwrap();
        s.create(&rec(
            r#"{"kind":"person","id":"p-alias-2","names":[{"text":"Kim Mi Yong","script":"latin","kind":"alias"}],"sex":"female","birth_date":"1979-05-05","origin":"plc-musan","claims":[{"source":"src-1"}]}"#,
        ))
        .unwrap();
    }
    assert!(linkage_entries(&data).is_empty());
    ok(&tumen(&data, &["link"]));
    let p = persons(&data);
    assert!(together(&p, "p-alias-1", "p-alias-2"), "{p:?}");
    let entries = linkage_entries(&data);
    let joins: Vec<&str> = entries
        .iter()
        .filter(|e| e.action == "join")
        .map(|e| e.a.as_str())
        .collect();
    assert!(
        joins.contains(&"p-alias-1") && joins.contains(&"p-alias-2"),
        "{joins:?}"
    );
    assert!(entries.iter().any(|e| e.action == "run"));

    // The review queue explains which spellings met.
    let q = json(&tumen(
        &data,
        &[
            "link",
            "--threshold",
            "1",
            "--review-lower",
            "0.01",
            "review",
            "--json",
        ],
    ));
    let item = q
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id_a"] == "p-alias-1" && i["id_b"] == "p-alias-2")
        .unwrap_or_else(|| panic!("{q:#}"));
    assert_eq!(
        item["explanation"]["fields"][0]["values"],
        serde_json::json!(["김미영", "Kim Mi Yong"]),
        "{item:#}"
    );

    let model = |data: &Path| json(&tumen(data, &["link", "--json", "--no-save"]));
    let untrained = model(&data);
    let before = entries.len();
    ok(&tumen(
        &data,
        &[
            "link",
            "decide",
            "p-ri",
            "p-pak",
            "different",
            "--note",
            "n",
        ],
    ));
    // The stored decision is a label of the next run's training: the pair
    // is counted as decided and the trained m/u move.
    let trained = model(&data);
    assert_eq!(trained["summary"]["decided_different"], 1, "{trained:#}");
    assert_ne!(trained["model"], untrained["model"]);
    let entries = linkage_entries(&data);
    assert_eq!(entries.len(), before + 1);
    let d = entries.last().unwrap();
    assert_eq!(
        (
            d.table.as_str(),
            d.action.as_str(),
            d.a.as_str(),
            d.b.as_str()
        ),
        ("link_decisions", "different", "p-pak", "p-ri")
    );
    let resolved = persons(&data)
        .into_iter()
        .find(|(_, m)| m.iter().any(|x| x == "p-alias-1"))
        .unwrap()
        .0;
    ok(&tumen(&data, &["link", "unlink", &resolved]));
    let entries = linkage_entries(&data);
    assert!(
        entries
            .iter()
            .any(|e| e.action == "leave" && e.b == resolved),
        "{entries:?}"
    );
    assert!(entries.iter().any(|e| e.table == "link_decisions"
        && e.action == "different"
        && e.a == "p-alias-1"
        && e.b == "p-alias-2"));
    let out = tumen(&data, &["verify"]);
    let text = ok(&out);
    assert!(text.contains("intact"), "{text}");
    assert!(!text.contains("NOT INTACT"), "{text}");
}
