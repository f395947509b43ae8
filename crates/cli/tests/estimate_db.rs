//! `tumen estimate --lists` end to end: an archive built through the service
//! API whose capture histories are, by construction, HRDAG's published
//! Palembang table (lists b, c, d; n = 123), with persons split over two
//! records joined into resolved persons, captures through act claims, and
//! records that must not count (a group, a person on no chosen list). The
//! reference is the already-validated `--counts` path on the published
//! table, never the database path's own output.

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tumen_model::{Record, RecordId};
use tumen_service::{Archive, InitOptions, local_administrator};

const PW: &str = "estimate db test passphrase";

/// HRDAG's Palembang table: (in b, in c, in d, count).
const PALEMBANG: &[(bool, bool, bool, u32)] = &[
    (true, false, false, 5),
    (false, true, false, 5),
    (false, false, true, 41),
    (true, true, false, 54),
    (true, false, true, 6),
    (false, true, true, 0),
    (true, true, true, 12),
];

fn rec(json: &str) -> Record {
    Record::from_json(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn rid(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}

fn claims(sources: &[&str]) -> String {
    sources
        .iter()
        .map(|s| format!(r#"{{"source":"{s}"}}"#))
        .collect::<Vec<_>>()
        .join(",")
}

fn person(id: &str, sex: &str, sources: &[&str]) -> Record {
    rec(&format!(
        r#"{{"kind":"person","id":"{id}","names":[{{"text":"Person {id}","script":"latin","kind":"alias"}}],"sex":"{sex}","claims":[{}]}}"#,
        claims(sources)
    ))
}

/// Builds the archive; returns the hand-built stratified counts by sex.
fn build(dir: &Path) -> String {
    let a = Archive::init(dir, PW, InitOptions::insecure_fast_for_tests()).unwrap();
    let s = a.session(local_administrator("test"));
    for src in ["src-b", "src-c", "src-d", "src-x"] {
        s.create(&rec(&format!(
            r#"{{"kind":"source","id":"{src}","source_type":"news_report","title":"{src}"}}"#
        )))
        .unwrap();
    }
    let mut scope = Vec::new();
    let mut clusters = Vec::new();
    let mut by_sex: std::collections::BTreeMap<(String, [bool; 3]), u32> = Default::default();
    let mut i = 0u32;
    for &(b, c, d, n) in PALEMBANG {
        let lists: Vec<&str> = [(b, "src-b"), (c, "src-c"), (d, "src-d")]
            .iter()
            .filter(|x| x.0)
            .map(|x| x.1)
            .collect();
        for _ in 0..n {
            i += 1;
            let sex = if i % 2 == 0 { "male" } else { "female" };
            *by_sex.entry((sex.into(), [b, c, d])).or_default() += 1;
            let id = format!("prs-{i}");
            match i % 4 {
                // One person in two records, each citing part of the lists.
                0 if lists.len() >= 2 => {
                    let (first, rest) = lists.split_at(1);
                    let id2 = format!("prs-{i}-bis");
                    s.create(&person(&id, sex, first)).unwrap();
                    s.create(&person(&id2, sex, rest)).unwrap();
                    scope.extend([rid(&id), rid(&id2)]);
                    clusters.push(vec![rid(&id), rid(&id2)]);
                }
                // Captured only through an act naming the person as victim.
                1 => {
                    // Every record needs a source: one outside the chosen lists.
                    s.create(&person(&id, sex, &["src-x"])).unwrap();
                    s.create(&rec(&format!(
                        r#"{{"kind":"act","id":"act-{i}","act_type":"forced_repatriation","victims":["{id}"],"date":"2023-10-09","claims":[{}]}}"#,
                        claims(&lists)
                    )))
                    .unwrap();
                    scope.push(rid(&id));
                }
                _ => {
                    s.create(&person(&id, sex, &lists)).unwrap();
                    scope.push(rid(&id));
                }
            }
        }
    }
    // Must not count: a group, a person on another list only.
    s.create(&rec(
        r#"{"kind":"person","id":"grp-1","names":[{"text":"about 500","script":"latin","kind":"alias"}],"group_size":"500","claims":[{"source":"src-b"}]}"#,
    ))
    .unwrap();
    s.create(&person("prs-x", "male", &["src-x"])).unwrap();
    s.save_link_run(scope, clusters, "{}".into()).unwrap();

    let mut csv = String::from("src-b,src-c,src-d,sex,count\n");
    for ((sex, p), n) in by_sex {
        let bit = |x: bool| if x { "1" } else { "0" };
        csv.push_str(&format!(
            "{},{},{},{sex},{n}\n",
            bit(p[0]),
            bit(p[1]),
            bit(p[2])
        ));
    }
    csv
}

/// One run of the binary as the local administrator (the shared runner
/// also keeps account variables of the environment out).
fn tumen(dir: &Path, args: &[&str]) -> Output {
    common::Run::admin(dir).passphrase(PW).go(args)
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn published_csv() -> String {
    let mut t = String::from("src-b,src-c,src-d,count\n");
    for &(b, c, d, n) in PALEMBANG {
        t.push_str(&format!("{},{},{},{n}\n", b as u8, c as u8, d as u8));
    }
    t
}

#[test]
fn lists_give_the_published_palembang_table() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("archive");
    let strat = build(&data);
    let counts = tmp.path().join("palembang.csv");
    std::fs::write(&counts, published_csv()).unwrap();
    let models = [
        "--model", "M0", "--model", "Mt", "--model", "Mh-chao", "--json",
    ];

    let saved = tmp.path().join("saved.csv");
    let mut args = vec!["estimate", "--lists", "src-b", "src-c", "src-d"];
    args.extend(["--save-counts", saved.to_str().unwrap()]);
    args.extend(models);
    let db = json_of(&tumen(&data, &args));
    let mut args = vec!["estimate", "--counts", counts.to_str().unwrap()];
    args.extend(models);
    let reference = json_of(&tumen(&data, &args));

    assert_eq!(db["n"], 123, "HRDAG's Palembang n");
    assert_eq!(db["lists"], serde_json::json!(["src-b", "src-c", "src-d"]));
    assert_eq!(db["list_totals"], reference["list_totals"]);
    assert_eq!(db["models"], reference["models"]);
    assert!(db["models"][1]["estimate"].as_f64().unwrap() > 123.0);

    // The saved table is the published one (zero cells are simply absent).
    let saved = std::fs::read_to_string(&saved).unwrap();
    let mut rows: Vec<&str> = saved.lines().skip(1).collect();
    rows.sort_unstable();
    let published = published_csv();
    let mut want: Vec<&str> = published
        .lines()
        .skip(1)
        .filter(|l| !l.ends_with(",0"))
        .collect();
    want.sort_unstable();
    assert_eq!(rows, want);

    // Stratified by sex: same per-stratum estimates as the hand-built table.
    let scounts = tmp.path().join("by_sex.csv");
    std::fs::write(&scounts, strat).unwrap();
    let db = json_of(&tumen(
        &data,
        &[
            "estimate",
            "--lists",
            "src-b",
            "src-c",
            "src-d",
            "--stratify",
            "sex",
            "--model",
            "Mt",
            "--json",
        ],
    ));
    let reference = json_of(&tumen(
        &data,
        &[
            "estimate",
            "--counts",
            scounts.to_str().unwrap(),
            "--stratify",
            "sex",
            "--model",
            "Mt",
            "--json",
        ],
    ));
    assert_eq!(db["combined"]["models"], reference["combined"]["models"]);
    let by = |v: &Value| -> Vec<(String, Value)> {
        let mut s: Vec<(String, Value)> = v["strata"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["stratum"].as_str().unwrap().to_string(), x["n"].clone()))
            .collect();
        s.sort_by(|a, b| a.0.cmp(&b.0));
        s
    };
    assert_eq!(by(&db), by(&reference));
    assert_eq!(by(&db).len(), 2);
}

#[test]
fn lists_refuse_what_is_not_a_source() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("archive");
    build(&data);
    let out = tumen(&data, &["estimate", "--lists", "src-b", "prs-2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("prs-2"), "{err}");
    let out = tumen(&data, &["estimate", "--lists", "src-b", "src-nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("src-nope"));
    let out = tumen(
        &data,
        &[
            "estimate",
            "--lists",
            "src-b",
            "src-c",
            "--stratify",
            "nationality",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("year, sex, category, place"));
}
