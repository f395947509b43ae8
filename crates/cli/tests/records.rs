//! End-to-end tests of the record commands through the `tumen` binary.

mod common;
use common::found_on_disk;
use std::path::Path;
use std::process::Output;

/// One run of the binary as the local administrator (the shared runner
/// also keeps account variables of the environment out).
fn tumen(dir: &Path, args: &[&str]) -> Output {
    common::Run::admin(dir)
        .passphrase("demo-passphrase")
        .go(args)
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn demo_builds_summarizes_and_is_rerunnable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let o = tumen(&dir, &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = text(&o);
    assert!(
        out.contains("Mass forced repatriation of 9 October 2023"),
        "{out}"
    );
    assert!(out.contains("500–600"), "{out}");
    assert!(out.contains("Acts by type") && out.contains("forced repatriation"));
    assert!(out.contains("[fictional]"));
    // A second run opens the same archive and does not import twice.
    let o = tumen(&dir, &["demo"]);
    assert!(o.status.success());
    assert!(text(&o).contains("already built"));
    // The confidential Hangul name of the fictional witness is on no file.
    assert!(!found_on_disk(&dir, "김예시".as_bytes()));
    assert!(!found_on_disk(&dir, "金藝示".as_bytes()));
    // The public source title is not on disk in plaintext either.
    assert!(!found_on_disk(&dir, b"forcibly repatriates"));
}

#[test]
fn list_filters_by_quarter_and_act_type() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    assert!(tumen(&dir, &["demo"]).status.success());
    let o = tumen(
        &dir,
        &[
            "list",
            "--term",
            "act_type:forced_repatriation",
            "--date",
            "2023-Q4",
        ],
    );
    assert!(o.status.success());
    let out = text(&o);
    // Five crossings on 9 October 2023.
    for c in [
        "dandong-sinuiju",
        "changbai-hyesan",
        "helong-musan",
        "tumen-namyang",
        "hunchun-kyongwon",
    ] {
        assert!(
            out.contains(&format!("act-2023-10-09-{c}")),
            "{c} missing: {out}"
        );
    }
    // The August return is in Q3, not Q4.
    assert!(!out.contains("2023-08-29"), "{out}");
    let o = tumen(&dir, &["list", "--kind", "nonsense"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a record kind"));
}

#[test]
fn show_and_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    assert!(tumen(&dir, &["demo"]).status.success());
    let o = tumen(&dir, &["show", "src-yonhap-2023-10-11"]);
    assert!(o.status.success());
    assert!(text(&o).contains("Yonhap"));
    let o = tumen(&dir, &["show", "no-such-record"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
    let o = common::Run::admin(&dir)
        .passphrase("wrong-passphrase")
        .go(&["list"]);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
}

// ------------------------------------------------------------------
// add, import, export, timeline, stats, history, vocab

const SRC: &str = "src-yonhap-2023-10-11";

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "expected success; stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    text(o)
}

fn fails(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure; stdout: {}", text(o));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn demo(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    let dir = tmp.path().join("demo");
    ok(&tumen(&dir, &["demo"]));
    dir
}

/// Every record of the archive, as JSON Lines sorted by id (the export's
/// order), with everything up to confidential.
fn everything(dir: &Path) -> String {
    ok(&tumen(dir, &["export", "--include", "confidential"]))
}

#[test]
fn add_from_flags_and_toml_update_and_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(&tmp);
    let src = format!("sources={SRC}:3:hearsay");
    let out = ok(&tumen(
        &dir,
        &[
            "add",
            "--kind",
            "person",
            "--set",
            "id=prs-t1",
            "--set",
            "names=박가명|hangul|legal;Pak Ka-myong|latin|romanization_as_given",
            "--set",
            &src,
            "--set",
            "birth_date=1990",
            "--set",
            "fictional=true",
        ],
    ));
    assert!(out.contains("added person prs-t1"), "{out}");
    let shown = ok(&tumen(&dir, &["show", "prs-t1", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(v["birth_date"], "1990");
    assert_eq!(v["names"][0]["text"], "박가명");

    // The same person from a TOML file, with a TOML date left unquoted.
    let toml = tmp.path().join("p.toml");
    std::fs::write(
        &toml,
        format!(
            "id = \"prs-t1\"\nkind = \"person\"\nfictional = true\nbirth_date = 1991-05-02\n\
             names = [{{ text = \"박가명\", script = \"hangul\", kind = \"legal\" }}]\n\
             claims = [{{ source = \"{SRC}\", credibility = 3 }}]\n"
        ),
    )
    .unwrap();
    let t = toml.to_str().unwrap();
    // Without --update an existing id is refused…
    let e = fails(&tumen(&dir, &["add", "--file", t]));
    assert!(e.contains("prs-t1"), "{e}");
    // …with it, a second revision is written.
    let out = ok(&tumen(&dir, &["add", "--file", t, "--update"]));
    assert!(out.contains("revision 2"), "{out}");
    let h = ok(&tumen(&dir, &["history", "prs-t1"]));
    assert!(
        h.contains("revision 1 (create)") && h.contains("revision 2 (update)"),
        "{h}"
    );
    assert!(h.contains("~ birth_date: 1990 → 1991-05-02"), "{h}");
    assert!(
        h.contains("~ names: 박가명|hangul|legal;Pak Ka-myong"),
        "the dropped romanization shows: {h}"
    );
    let hj = ok(&tumen(&dir, &["history", "prs-t1", "--json"]));
    let revs: Vec<serde_json::Value> = hj
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(revs.len(), 2);
    assert!(
        revs[1]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "birth_date"
                && c["before"] == "1990"
                && c["after"] == "1991-05-02")
    );
    let e = fails(&tumen(&dir, &["history", "prs-nobody"]));
    assert!(e.contains("does not exist"), "{e}");

    // Bad input from flags: the field and the reason, and nothing written.
    let e = fails(&tumen(
        &dir,
        &[
            "add",
            "--kind",
            "person",
            "--set",
            "id=prs-t2",
            "--set",
            "names=X|latin|alias",
            "--set",
            &src,
            "--set",
            "birth_date=2023-02-30",
        ],
    ));
    assert!(e.contains("birth_date") && e.contains("28 days"), "{e}");
    fails(&tumen(&dir, &["show", "prs-t2"]));
    let e = fails(&tumen(
        &dir,
        &[
            "add",
            "--kind",
            "person",
            "--set",
            "id=prs-t3",
            "--set",
            "names=X|latin|alias",
            "--set",
            "sources=src-nowhere",
        ],
    ));
    assert!(
        e.contains("src-nowhere") && e.contains("does not exist"),
        "{e}"
    );
    let e = fails(&tumen(
        &dir,
        &[
            "add",
            "--kind",
            "person",
            "--set",
            "id=prs-t4",
            "--set",
            "names=X|latin|alias",
        ],
    ));
    assert!(e.contains("without a source"), "{e}");
    // A bad TOML date is named by field, not by a position in JSON we made.
    std::fs::write(
        &toml,
        std::fs::read_to_string(&toml)
            .unwrap()
            .replace("1991-05-02", "\"1991-02-30\""),
    )
    .unwrap();
    let e = fails(&tumen(&dir, &["add", "--file", t, "--update"]));
    assert!(
        e.contains("field birth_date") && e.contains("28 days"),
        "{e}"
    );
    // An id made up by tumen when none is given.
    let out = ok(&tumen(
        &dir,
        &[
            "add",
            "--kind",
            "person",
            "--set",
            "names=Y|latin|alias",
            "--set",
            &src,
        ],
    ));
    assert!(out.contains("added person prs-"), "{out}");
}

#[test]
fn import_csv_with_column_mapping_and_a_kind_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(&tmp);
    let before = ok(&tumen(&dir, &["list", "--kind", "person"]))
        .lines()
        .count();
    // A spreadsheet's own headers, a byte-order mark and a column to ignore.
    let csv = tmp.path().join("families.csv");
    std::fs::write(
        &csv,
        format!(
            "\u{feff}Ref,Victim name,Sex,Born,Source,Notes\n\
             prs-c1,리철진,male,1988,{SRC}:3:hearsay,x\n\
             prs-c2,\"Kim, Ok-sun\",female,1990~,{SRC},y\n\
             \n\
             prs-c3,金哲鎭,male,1979-Q2,{SRC},z\n"
        ),
    )
    .unwrap();
    let c = csv.to_str().unwrap();
    let out = ok(&tumen(
        &dir,
        &[
            "import",
            c,
            "--kind",
            "person",
            "--map",
            "Ref=id",
            "--map",
            "Victim name=name",
            "--map",
            "Sex=sex",
            "--map",
            "Born=birth_date",
            "--map",
            "Source=sources",
            "--map",
            "Notes=",
        ],
    ));
    assert!(out.contains("3 created"), "{out}");
    assert_eq!(
        ok(&tumen(&dir, &["list", "--kind", "person"]))
            .lines()
            .count(),
        before + 3
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(&tumen(&dir, &["show", "prs-c3", "--json"]))).unwrap();
    assert_eq!(v["names"][0]["script"], "hanja");
    assert_eq!(v["birth_date"], "1979-Q2");

    // One file, two kinds, and a forward reference inside the file.
    let mixed = tmp.path().join("mixed.csv");
    std::fs::write(
        &mixed,
        format!(
            "kind,id,act_type,victims,date,name,sources\n\
             act,act-c9,interrogation,prs-c9,2023-11,,{SRC}\n\
             person,prs-c9,,,,Ri Myong-hui,{SRC}\n"
        ),
    )
    .unwrap();
    ok(&tumen(&dir, &["import", mixed.to_str().unwrap()]));
    let t = ok(&tumen(
        &dir,
        &[
            "timeline",
            "--act-type",
            "interrogation",
            "--date",
            "2023-11",
        ],
    ));
    assert!(t.contains("act-c9") && t.contains("Ri Myong-hui"), "{t}");

    // A mapping onto a column the file does not have.
    let e = fails(&tumen(
        &dir,
        &["import", c, "--kind", "person", "--map", "Nope=id"],
    ));
    assert!(e.contains("Nope") && e.contains("Victim name"), "{e}");
    // CSV needs a kind.
    let e = fails(&tumen(&dir, &["import", c]));
    assert!(e.contains("--kind"), "{e}");
}

#[test]
fn import_lists_every_bad_row_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(&tmp);
    let before = everything(&dir);
    let canary = "캐나리아증인";
    let long = "x".repeat(70 * 1024);
    let mut body: Vec<u8> = Vec::new();
    body.extend_from_slice(b"id,names,sex,birth_date,group_size,description,sources\n");
    body.extend_from_slice(
        format!("prs-g1,Good Name|latin|alias,female,1990,,,{SRC}\n").as_bytes(),
    ); // 2
    body.extend_from_slice(format!("prs-b1,A|latin|alias,robot,1990,,,{SRC}\n").as_bytes()); // 3
    body.extend_from_slice(
        format!("prs-b2,{canary}|hangul|legal,,2023-02-30,,,{SRC}\n").as_bytes(),
    ); // 4
    body.extend_from_slice(format!("prs-b3,B|latin|group_label,,,-5,,{SRC}\n").as_bytes()); // 5
    body.extend_from_slice(b"prs-b4,C|latin|alias,,,,,src-missing\n"); // 6
    body.extend_from_slice(format!("prs-b5,D|latin|alias,,,,{long},{SRC}\n").as_bytes()); // 7
    body.extend_from_slice(b"prs-b6,\xff\xfeE|latin|alias,,,,,"); // 8: invalid UTF-8
    body.extend_from_slice(format!("{SRC}\n").as_bytes());
    body.extend_from_slice(b"prs-b7,F|latin|alias\n"); // 9: too few cells
    let csv = tmp.path().join("bad.csv");
    std::fs::write(&csv, &body).unwrap();
    let problems = tmp.path().join("problems.csv");
    let e = fails(&tumen(
        &dir,
        &[
            "import",
            csv.to_str().unwrap(),
            "--kind",
            "person",
            "--problems",
            problems.to_str().unwrap(),
        ],
    ));
    for (line, field) in [
        (3, "sex"),
        (4, "birth_date"),
        (5, "group_size"),
        (6, ""),
        (7, "description"),
        (8, "names"),
        (9, "row"),
    ] {
        let tag = format!("bad.csv:line {line}");
        let l = e
            .lines()
            .find(|l| l.contains(&tag))
            .unwrap_or_else(|| panic!("{tag} missing: {e}"));
        assert!(l.contains(field), "line {line} should name {field}: {l}");
    }
    assert!(e.contains("src-missing"), "{e}");
    assert!(
        e.contains("28 days") && e.contains("negative") && e.contains("UTF-8"),
        "{e}"
    );
    // A row whose record could not be built is still named by its id.
    for (line, id) in [(4, "prs-b2"), (5, "prs-b3")] {
        let tag = format!("bad.csv:line {line} ({id})");
        assert!(e.contains(&tag), "{tag} missing: {e}");
    }
    assert!(e.contains("nothing was imported"), "{e}");
    // Values are never echoed: not the canary name, not the long text.
    assert!(!e.contains(canary) && !e.contains("xxxxxxxxxx"), "{e}");
    // Every problem is in the problems file, with the file name.
    let listed = std::fs::read_to_string(&problems).unwrap();
    assert_eq!(listed.lines().count(), 1 + 7, "{listed}");
    assert!(!listed.contains(canary));
    // The good row did not land either: the archive is unchanged.
    fails(&tumen(&dir, &["show", "prs-g1"]));
    assert_eq!(everything(&dir), before);

    // JSON Lines: malformed JSON, invalid UTF-8, an unknown field, an
    // unknown act type, a dangling victim, a duplicate of an existing id and
    // a line over the limit.
    let mut j: Vec<u8> = Vec::new();
    j.extend_from_slice(b"{\"kind\":\"source\",\"id\":\"src-j1\",\"source_type\":\"news_report\",\"title\":\"T\"}\n"); // 1 good
    j.extend_from_slice(b"{\"kind\":\"person\",\"id\":\"prs-j2\",\n"); // 2
    j.extend_from_slice(b"\xc3\x28\n"); // 3
    j.extend_from_slice(format!("{{\"kind\":\"person\",\"id\":\"prs-j4\",\"nmes\":[],\"claims\":[{{\"source\":\"{SRC}\"}}]}}\n").as_bytes()); // 4
    j.extend_from_slice(format!("{{\"kind\":\"act\",\"id\":\"act-j5\",\"act_type\":\"tickling\",\"victims\":[\"grp-2023-10-09\"],\"claims\":[{{\"source\":\"{SRC}\"}}]}}\n").as_bytes()); // 5
    j.extend_from_slice(format!("{{\"kind\":\"act\",\"id\":\"act-j6\",\"act_type\":\"torture\",\"victims\":[\"prs-ghost\"],\"claims\":[{{\"source\":\"{SRC}\"}}]}}\n").as_bytes()); // 6
    j.extend_from_slice(format!("{{\"kind\":\"source\",\"id\":\"{SRC}\",\"source_type\":\"news_report\",\"title\":\"Dup\"}}\n").as_bytes()); // 7
    j.extend_from_slice(format!("{{\"kind\":\"source\",\"id\":\"src-j8\",\"source_type\":\"news_report\",\"title\":\"{}\"}}\n", "y".repeat(9 << 20)).as_bytes()); // 8
    let jl = tmp.path().join("bad.jsonl");
    std::fs::write(&jl, &j).unwrap();
    let e = fails(&tumen(&dir, &["import", jl.to_str().unwrap()]));
    for (line, words) in [
        (2, "not valid JSON"),
        (3, "UTF-8"),
        (4, "nmes"),
        (5, "act_type"),
        (6, "prs-ghost"),
        (7, SRC),
        (8, "longer than"),
    ] {
        let tag = format!("bad.jsonl:line {line}");
        let l = e
            .lines()
            .find(|l| l.contains(&tag))
            .unwrap_or_else(|| panic!("{tag} missing: {e}"));
        assert!(l.contains(words), "line {line} should say {words}: {l}");
    }
    // The unknown field's line did not parse, but its id did.
    assert!(e.contains("bad.jsonl:line 4 (prs-j4)"), "{e}");
    fails(&tumen(&dir, &["show", "src-j1"]));
    assert_eq!(everything(&dir), before);
    // --json gives the same problems to a script.
    let o = tumen(&dir, &["import", jl.to_str().unwrap(), "--json"]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_str(text(&o).trim()).unwrap();
    assert_eq!(v["written"], 0);
    assert_eq!(v["problems"].as_array().unwrap().len(), 7);
}

#[test]
fn export_round_trips_through_jsonl_and_csv_and_respects_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(&tmp);
    let all = everything(&dir);
    assert_eq!(
        all.lines().count(),
        96,
        "the bundled dataset has 96 records"
    );

    // JSON Lines into a fresh archive: the same records come back.
    let file = tmp.path().join("all.jsonl");
    std::fs::write(&file, &all).unwrap();
    let copy = tmp.path().join("copy");
    ok(&tumen(&copy, &["init"]));
    let out = ok(&tumen(&copy, &["import", file.to_str().unwrap()]));
    assert!(out.contains("96 created"), "{out}");
    assert_eq!(everything(&copy), all);

    // CSV, one file per kind, imported kind by kind (sources first, as
    // everything cites them): the same records again.
    let csvdir = tmp.path().join("csv");
    std::fs::create_dir(&csvdir).unwrap();
    ok(&tumen(
        &dir,
        &[
            "export",
            "--format",
            "csv",
            "--include",
            "confidential",
            "--out",
            csvdir.to_str().unwrap(),
        ],
    ));
    let again = tmp.path().join("again");
    ok(&tumen(&again, &["init"]));
    // One batch: references between kinds resolve at the end of the import.
    let mut merged = String::from("kind,");
    let mut rows = Vec::new();
    let mut header_cols: Vec<String> = Vec::new();
    for kind in [
        "source",
        "place",
        "organization",
        "person",
        "event",
        "act",
        "intervention",
    ] {
        let p = csvdir.join(format!("{kind}.csv"));
        let mut r = csv::Reader::from_path(&p).unwrap();
        let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        for c in &h {
            if !header_cols.contains(c) {
                header_cols.push(c.clone());
            }
        }
        for rec in r.records() {
            let rec = rec.unwrap();
            let cells: std::collections::HashMap<String, String> = h
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect();
            rows.push((kind.to_string(), cells));
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["kind".to_string()];
    head.extend(header_cols.iter().cloned());
    w.write_record(&head).unwrap();
    for (kind, cells) in &rows {
        let mut line = vec![kind.clone()];
        line.extend(
            header_cols
                .iter()
                .map(|c| cells.get(c).cloned().unwrap_or_default()),
        );
        w.write_record(&line).unwrap();
    }
    merged = String::from_utf8(w.into_inner().unwrap()).unwrap_or(merged);
    let mfile = tmp.path().join("merged.csv");
    std::fs::write(&mfile, merged).unwrap();
    let out = ok(&tumen(&again, &["import", mfile.to_str().unwrap()]));
    assert!(out.contains("96 created"), "{out}");
    assert_eq!(everything(&again), all);

    // Labels: the default export is public only; restricted shows the
    // witness's romanized name but never the confidential Hangul/Hanja one.
    let public = ok(&tumen(&dir, &["export"]));
    assert!(!public.contains("Kim Ye-si") && !public.contains("김예시"));
    let restricted = ok(&tumen(&dir, &["export", "--include", "restricted"]));
    assert!(restricted.contains("Kim Ye-si"));
    assert!(!restricted.contains("김예시") && !restricted.contains("金藝示"));
    assert!(all.contains("김예시"));
    // A filter applies to exports as to lists.
    let acts = ok(&tumen(
        &dir,
        &[
            "export",
            "--kind",
            "act",
            "--act-type",
            "forced_repatriation",
        ],
    ));
    assert!(acts.lines().all(|l| l.contains("\"forced_repatriation\"")));
    let e = fails(&tumen(&dir, &["export", "--format", "csv"]));
    assert!(e.contains("--kind"), "{e}");
}

/// The demo dataset read independently of tumen: (kind, record) pairs.
fn dataset() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/demo/records.jsonl"
    ))
    .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn stats_and_timeline_agree_with_the_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(&tmp);
    let data = dataset();
    let acts: Vec<&serde_json::Value> = data.iter().filter(|r| r["kind"] == "act").collect();
    let s: serde_json::Value =
        serde_json::from_str(&ok(&tumen(&dir, &["stats", "--json"]))).unwrap();
    assert_eq!(s["acts"], acts.len());
    for t in s["acts_by_type"].as_array().unwrap() {
        let n = acts.iter().filter(|a| a["act_type"] == t["key"]).count();
        assert_eq!(t["count"], n, "{t}");
    }
    for k in s["records_by_kind"].as_array().unwrap() {
        assert_eq!(
            k["count"],
            data.iter().filter(|r| r["kind"] == k["key"]).count()
        );
    }
    let victims: std::collections::BTreeSet<&str> = acts
        .iter()
        .flat_map(|a| {
            a["victims"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
        })
        .collect();
    assert_eq!(
        s["victims"]["individuals"].as_u64().unwrap() + s["victims"]["groups"].as_u64().unwrap(),
        victims.len() as u64
    );
    // Acts of forced repatriation in October 2023, counted from the file.
    let oct = acts
        .iter()
        .filter(|a| {
            a["act_type"] == "forced_repatriation"
                && a["date"].as_str().is_some_and(|d| d.starts_with("2023-10"))
        })
        .count();
    let s: serde_json::Value = serde_json::from_str(&ok(&tumen(
        &dir,
        &[
            "stats",
            "--json",
            "--act-type",
            "forced_repatriation",
            "--date",
            "2023-10",
        ],
    )))
    .unwrap();
    assert_eq!(s["acts"], oct);
    assert!(oct >= 5, "five crossings on 9 October 2023");
    // The 9 October event's reported 500–600 people stay a range.
    let s: serde_json::Value = serde_json::from_str(&ok(&tumen(
        &dir,
        &["stats", "--json", "--kind", "event", "--date", "2023-10-09"],
    )))
    .unwrap();
    assert_eq!(s["people_affected"]["low"], 500);
    assert_eq!(s["people_affected"]["high"], 600);
    let e = fails(&tumen(&dir, &["stats", "--act-type", "tickling"]));
    assert!(
        e.contains("tickling") && e.contains("forced_repatriation"),
        "{e}"
    );
    let e = fails(&tumen(
        &dir,
        &["stats", "--from", "2023-10", "--to", "2023-09"],
    ));
    assert!(e.contains("no day"), "{e}");

    // Timeline: in date order, inside the window, with the August return.
    let t = ok(&tumen(
        &dir,
        &["timeline", "--json", "--from", "2023-08", "--to", "2023-09"],
    ));
    let entries: Vec<serde_json::Value> = t
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries.iter().any(|e| e["id"] == "evt-2023-08-29"), "{t}");
    let expected = data
        .iter()
        .filter(|r| ["event", "act", "intervention"].contains(&r["kind"].as_str().unwrap()))
        .filter(|r| {
            r["date"]
                .as_str()
                .is_some_and(|d| d.starts_with("2023-08") || d.starts_with("2023-09"))
        })
        .count();
    assert!(
        entries.len() >= expected,
        "{} < {expected}: {t}",
        entries.len()
    );
    let days: Vec<&str> = entries.iter().filter_map(|e| e["date"].as_str()).collect();
    let exact: Vec<&&str> = days
        .iter()
        .filter(|d| d.len() == 10 && !d.contains(['~', '?', '/']))
        .collect();
    assert!(exact.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    let text_t = ok(&tumen(&dir, &["timeline", "--kind", "event"]));
    assert!(text_t.contains("people affected: 500–600"), "{text_t}");
}

#[test]
fn vocabularies_list_and_extend() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo(&tmp);
    let list = ok(&tumen(&dir, &["vocab", "list", "act_type", "--json"]));
    let torture = list
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["code"] == "torture")
        .expect("torture is a built-in act type");
    assert_eq!(torture["ko"], "고문");
    let facilities = ok(&tumen(&dir, &["vocab", "list", "facility_type"]));
    for ko in ["집결소", "구류장", "교화소", "관리소"] {
        assert!(facilities.contains(ko), "{ko}: {facilities}");
    }
    let act = format!("act_type=electric_shock_x,victims=grp-2023-10-09,sources={SRC}");
    let cells: Vec<&str> = act.split(',').collect();
    let add_act = |dir: &Path| {
        tumen(
            dir,
            &[
                "add",
                "--kind",
                "act",
                "--set",
                "id=act-v1",
                "--set",
                cells[0],
                "--set",
                cells[1],
                "--set",
                cells[2],
            ],
        )
    };
    let e = fails(&add_act(&dir));
    assert!(e.contains("act_type") && e.contains("not a term"), "{e}");
    ok(&tumen(
        &dir,
        &[
            "vocab",
            "add",
            "act_type",
            "electric_shock_x",
            "--en",
            "Electric shock",
            "--ko",
            "전기 고문",
        ],
    ));
    ok(&add_act(&dir));
    let list = ok(&tumen(&dir, &["vocab", "list", "act_type"]));
    assert!(
        list.contains("electric_shock_x") && list.contains("added by a user"),
        "{list}"
    );
    let e = fails(&tumen(
        &dir,
        &[
            "vocab",
            "add",
            "reliability",
            "g",
            "--en",
            "G",
            "--ko",
            "지",
        ],
    ));
    assert!(e.contains("cannot be extended"), "{e}");
    let e = fails(&tumen(
        &dir,
        &[
            "vocab", "add", "act_type", "Bad-Code", "--en", "x", "--ko", "y",
        ],
    ));
    assert!(e.contains("code"), "{e}");
    let e = fails(&tumen(
        &dir,
        &[
            "vocab", "add", "act_type", "torture", "--en", "x", "--ko", "y",
        ],
    ));
    assert!(e.contains("already has"), "{e}");
    assert_eq!(e.matches("already has").count(), 1, "said once: {e}");
    let e = fails(&tumen(&dir, &["vocab", "list", "colours"]));
    assert!(e.contains("act_type"), "{e}");
}
