//! End-to-end tests of `tumen names` through the binary.

use std::process::Command;

fn tumen(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tumen"))
        .args(args)
        .output()
        .expect("run tumen");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn romanize_in_each_system() {
    // RR 2000 art. 3(4) example; ALA-LC MR example; DPRK guide example.
    assert_eq!(
        tumen(&["names", "romanize", "민용하", "--system", "rr"]).1,
        "Min Yong-ha\n"
    );
    assert_eq!(
        tumen(&["names", "romanize", "박목월", "--system", "mr"]).1,
        "Pak Mog-wŏl\n"
    );
    assert_eq!(
        tumen(&["names", "romanize", "박동구", "--system", "dprk"]).1,
        "Pak Tong Gu\n"
    );
    assert_eq!(
        tumen(&["names", "romanize", "김정은", "--system", "mr-plain"]).1,
        "Kim Chong-un\n"
    );
}

#[test]
fn romanize_rejects_non_hangul_without_echoing_it() {
    let (ok, _, err) = tumen(&["names", "romanize", "Kimxyz", "--system", "rr"]);
    assert!(!ok);
    assert!(err.contains("not a Hangul syllable"), "{err}");
    assert!(
        !err.contains("Kimxyz"),
        "the name must not be echoed: {err}"
    );
}

#[test]
fn compare_json() {
    let (ok, out, err) = tumen(&["names", "compare", "김철진", "Kim Chol Jin", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["same"], true);
    assert!(v["score"].as_f64().unwrap() >= 0.93);
    assert!(v["explanation"].as_str().unwrap().contains("김철진"));
    let (_, out, _) = tumen(&["names", "compare", "Kim Jong Un", "Kim Jong Il", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["same"], false);
    // One typing error: the same name with a lower score, said so.
    let (ok, out, err) = tumen(&["names", "compare", "김철진", "Kim Chol Jni", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["same"], true);
    assert_eq!(v["score"].as_f64(), Some(tumen_names::TYPO_SCORE));
    let ex = v["explanation"].as_str().unwrap();
    assert!(ex.contains("one typo: 'jni' ~ 'jin'"), "{ex}");
}

#[test]
fn compare_text() {
    let (ok, out, _) = tumen(&["names", "compare", "金哲镇", "Gim Cheol-jin"]);
    assert!(ok);
    assert!(out.starts_with("same"), "{out}");
}

#[test]
fn compare_pairs_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pairs.csv");
    std::fs::write(
        &p,
        "a,b\n김정은,Kim Jong Un\n\"Kim, Chol Jin\",김철진\nKim Jong Un,Kim Jong Il\n",
    )
    .unwrap();
    let (ok, out, err) = tumen(&["names", "compare", "--pairs", p.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["same"], true);
    assert_eq!(lines[1]["same"], true);
    assert_eq!(lines[2]["same"], false);
}

#[test]
fn bad_pairs_file_names_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "a,b\n김정은,Kim Jong Un\nSecretName,x,y\n").unwrap();
    let (ok, _, err) = tumen(&["names", "compare", "--pairs", p.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("bad.csv") && err.contains("line 3") && err.contains("expected 2 fields"),
        "{err}"
    );
    assert!(!err.contains("SecretName"), "{err}");

    std::fs::write(&p, "name1,name2\nx,y\n").unwrap();
    let (ok, _, err) = tumen(&["names", "compare", "--pairs", p.to_str().unwrap()]);
    assert!(
        !ok && err.contains("line 1") && err.contains("header"),
        "{err}"
    );

    std::fs::write(&p, b"a,b\n\xff\xfe,x\n").unwrap();
    let (ok, _, err) = tumen(&["names", "compare", "--pairs", p.to_str().unwrap()]);
    assert!(
        !ok && err.contains("line 2") && err.contains("UTF-8"),
        "{err}"
    );

    let (ok, _, err) = tumen(&["names", "compare", "--pairs", "/nonexistent/none.csv"]);
    assert!(!ok && err.contains("none.csv"), "{err}");
}
