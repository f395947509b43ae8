//! `tumen link` end to end through the binary, on small CSV files whose true
//! persons are known by construction.

use std::path::Path;
use std::process::Command;

fn tumen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tumen"))
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// 40 people; list A has each once, list B has the first 30 again with
/// the name in another script or spelling and sometimes only the birth year.
fn two_lists(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let people: Vec<(&str, &str, &str, &str)> = vec![
        ("김철진", "Kim Chol Jin", "1971-03-02", "회령"),
        ("리영호", "Ri Yong Ho", "1965-11-20", "무산"),
        ("박명수", "Pak Myong Su", "1980-01-15", "혜산"),
        ("최은희", "Choe Un Hui", "1975-07-07", "청진"),
        ("정성철", "Jong Song Chol", "1990-09-30", "신의주"),
        ("강현옥", "Kang Hyon Ok", "1958-04-12", "온성"),
        ("조광일", "Jo Kwang Il", "1988-12-01", "김책"),
        ("윤미란", "Yun Mi Ran", "1993-05-19", "함흥"),
        ("장혁", "Jang Hyok", "1969-08-08", "회령"),
        ("현순실", "Hyon Sun Sil", "1972-02-29", "무산"),
    ];
    let mut a = String::from(" id, name, sex, date_of_birth, place\n");
    let mut b = String::from("record_id,name,sex,date_of_birth,place\n");
    for (k, (h, latin, dob, place)) in people.iter().enumerate() {
        let sex = if k % 2 == 0 { "M" } else { "F" };
        a.push_str(&format!("a{k}, {h}, {sex}, {dob}, {place}\n"));
        let dob_b = if k % 3 == 0 { &dob[..4] } else { dob };
        let sex_b = if sex == "M" { "남" } else { "여" };
        b.push_str(&format!("b{k},{latin},{sex_b},{dob_b},{place}\n"));
    }
    // Look-alikes that are different people: same name, other birth decade
    // and place.
    a.push_str("a90, 김철진, M, 1940-06-06, 신의주\n");
    b.push_str("b91,Pak Myong Su,남,2001-10-10,온성\n");
    (write(dir, "a.csv", &a), write(dir, "b.csv", &b))
}

fn read_pairs(p: &Path) -> Vec<(String, String, f64, String)> {
    let mut r = csv::Reader::from_path(p).unwrap();
    let h = r.headers().unwrap().clone();
    assert_eq!(&h[0], "id_a");
    assert_eq!(&h[1], "id_b");
    assert_eq!(&h[2], "probability");
    assert!(h.iter().any(|c| c == "explanation"));
    let status = h.iter().position(|c| c == "status").unwrap();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[0].to_string(),
                x[1].to_string(),
                x[2].parse().unwrap(),
                x[status].to_string(),
            )
        })
        .collect()
}

fn linked(pairs: &[(String, String, f64, String)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .filter(|p| p.3 == "accepted" || p.3 == "decided_same")
        .map(|p| {
            let (x, y) = if p.0 < p.1 {
                (&p.0, &p.1)
            } else {
                (&p.1, &p.0)
            };
            (x.clone(), y.clone())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn links_across_scripts_with_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_lists(dir.path());
    let out = dir.path().join("pairs.csv");
    let clusters = dir.path().join("clusters.csv");
    let o = tumen()
        .args(["link", "--input"])
        .arg(&a)
        .arg("--input")
        .arg(&b)
        .arg("--output")
        .arg(&out)
        .arg("--clusters")
        .arg(&clusters)
        .args([
            "--threshold",
            "0.8",
            "--json",
            "--block",
            "name:keys",
            "--block",
            "date_of_birth:year",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["summary"]["records"], 22);
    let got = linked(&read_pairs(&out));
    let want: Vec<(String, String)> = (0..10)
        .map(|k| (format!("a{k}"), format!("b{k}")))
        .collect();
    assert_eq!(got, want);
    // Clusters: the look-alikes stay alone.
    let text = std::fs::read_to_string(&clusters).unwrap();
    assert!(text.starts_with("cluster_id,id,source,cluster_size,suspicious"));
    assert_eq!(text.lines().count(), 23);
    let size_of = |id: &str| {
        text.lines()
            .find(|l| l.split(',').nth(1) == Some(id))
            .unwrap()
            .split(',')
            .nth(3)
            .unwrap()
            .to_string()
    };
    assert_eq!(size_of("a90"), "1");
    assert_eq!(size_of("b91"), "1");
    assert_eq!(size_of("a0"), "2");
}

#[test]
fn decisions_are_respected_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_lists(dir.path());
    let out = dir.path().join("pairs.csv");
    let decisions = write(
        dir.path(),
        "decisions.csv",
        "id_a,id_b,decision\na0,b0,different\na90,b91,same\n",
    );
    let run = |extra: &[&str]| {
        let o = tumen()
            .args(["link", "--input"])
            .arg(&a)
            .arg("--input")
            .arg(&b)
            .arg("--output")
            .arg(&out)
            .args([
                "--threshold",
                "0.8",
                "--block",
                "name:keys",
                "--block",
                "date_of_birth:year",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        linked(&read_pairs(&out))
    };
    let before = run(&[]);
    assert!(before.contains(&("a0".into(), "b0".into())));
    let d = decisions.to_str().unwrap();
    let after = run(&["--decisions", d]);
    assert!(
        !after.contains(&("a0".into(), "b0".into())),
        "a 'different' decision keeps the pair apart"
    );
    assert!(
        after.contains(&("a90".into(), "b91".into())),
        "a 'same' decision links the pair"
    );
    // A second run with the same decisions gives the same answer.
    assert_eq!(run(&["--decisions", d]), after);
}

#[test]
fn bad_inputs_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.csv");
    let fail = |args: &[&std::ffi::OsStr]| -> String {
        let o = tumen()
            .arg("link")
            .args(args)
            .arg("--output")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    // Missing id column.
    let p = write(dir.path(), "noid.csv", "name,dob\nKim,1970\n");
    assert!(fail(&["--input".as_ref(), p.as_os_str()]).contains("no id column"));
    // A --field column that is missing.
    let p = write(dir.path(), "x.csv", "id,name\n1,Kim\n");
    let e = fail(&[
        "--input".as_ref(),
        p.as_os_str(),
        "--field".as_ref(),
        "dob=birth_date".as_ref(),
    ]);
    assert!(e.contains("column `dob`"), "{e}");
    // No recognisable field.
    let p = write(dir.path(), "y.csv", "id,foo\n1,bar\n");
    assert!(fail(&["--input".as_ref(), p.as_os_str()]).contains("--field"));
    // Duplicate id.
    let p = write(dir.path(), "dup.csv", "id,name\n1,Kim\n1,Pak\n");
    assert!(fail(&["--input".as_ref(), p.as_os_str()]).contains("line 3"));
    // A rule over the cap names the rule and the count.
    let mut big = String::from("id,surname,given_name\n");
    for i in 0..2000 {
        big.push_str(&format!("{i},Kim,g{i}\n"));
    }
    let p = write(dir.path(), "kims.csv", &big);
    let e = fail(&[
        "--input".as_ref(),
        p.as_os_str(),
        "--block".as_ref(),
        "surname".as_ref(),
        "--max-pairs".as_ref(),
        "100000".as_ref(),
    ]);
    assert!(e.contains("`surname`") && e.contains("1999000"), "{e}");
    // Missing file.
    assert!(
        fail(&["--input".as_ref(), dir.path().join("none.csv").as_os_str()]).contains("none.csv")
    );
}

#[test]
fn empty_single_and_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.csv");
    let ok = |p: &Path| {
        let o = tumen()
            .arg("link")
            .arg("--input")
            .arg(p)
            .arg("--output")
            .arg(&out)
            .arg("--json")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let s = ok(&write(dir.path(), "empty.csv", "id,name,date_of_birth\n"));
    assert_eq!(s["summary"]["records"], 0);
    let s = ok(&write(
        dir.path(),
        "one.csv",
        "id,name,date_of_birth\n1,Kim Chol,1970\n",
    ));
    assert_eq!(s["summary"]["clusters"], 1);
    let mut same = String::from("id,name,date_of_birth\n");
    for i in 0..30 {
        same.push_str(&format!("{i},Kim Chol,1970-01-01\n"));
    }
    let s = ok(&write(dir.path(), "same.csv", &same));
    assert!(
        s["summary"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("same value"))
    );
}
