//! `tumen estimate` end to end through the binary: published Rcapture values
//! on the HIV data, JSON shape, strata, two lists, LCMCR wiring, and clear
//! refusals of bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tumen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tumen"))
        .args(args)
        .env_remove("TUMEN_DATA")
        .output()
        .expect("run tumen")
}

/// `tumen estimate --counts FILE` with more arguments.
fn on_counts(file: &Path, more: &[&str]) -> Output {
    let mut args = vec!["estimate", "--counts", file.to_str().unwrap()];
    args.extend_from_slice(more);
    tumen(&args)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// HIV data from Rome (Abeni et al. 1994) as in Rcapture, rows in
/// Rcapture's histpos.t order.
const HIV: &str = "c1,c2,c3,c4,count\n1,1,1,1,0\n1,1,1,0,3\n1,1,0,1,1\n1,1,0,0,33\n1,0,1,1,0\n1,0,1,0,20\n1,0,0,1,6\n1,0,0,0,403\n\
0,1,1,1,3\n0,1,1,0,35\n0,1,0,1,10\n0,1,0,0,545\n0,0,1,1,11\n0,0,1,0,621\n0,0,0,1,205\n";

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn hiv_published_values_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "hiv.csv", HIV);
    let out = tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--model",
        "Mt+c1:c2",
        "--model",
        "Mt+c1:c2+c1:c3+c1:c4+c2:c3+c2:c4+c3:c4",
        "--json",
    ]);
    let v = json_of(&out);
    assert_eq!(v["n"], 1896);
    assert_eq!(v["lists"], serde_json::json!(["c1", "c2", "c3", "c4"]));
    let m = &v["models"][0];
    assert_eq!(m["model"], "Mt+c1:c2");
    // Rcapture (published in the issue): 12318.5, SE 1188.7, dev 7.614, df 9,
    // AIC 86.65; profile 12308 (10266–14992.3).
    let r1 = |x: &Value| (x.as_f64().unwrap() * 10.0).round() / 10.0;
    assert_eq!(r1(&m["estimate"]), 12318.5);
    assert_eq!(r1(&m["se"]), 1188.7);
    assert!((m["deviance"].as_f64().unwrap() - 7.614).abs() < 5e-4);
    assert_eq!(m["df"], 9);
    assert!((m["aic"].as_f64().unwrap() - 86.65).abs() < 5e-3);
    assert_eq!(m["interval"]["method"], "profile");
    assert_eq!(m["interval"]["level"], 0.95);
    assert_eq!(m["interval"]["estimate"].as_f64().unwrap().round(), 12308.0);
    assert_eq!(m["interval"]["low"].as_f64().unwrap().round(), 10266.0);
    assert_eq!(r1(&m["interval"]["high"]), 14992.3);
    let m = &v["models"][1];
    assert_eq!(r1(&m["estimate"]), 23443.5);
    assert_eq!(r1(&m["se"]), 9594.9);
    assert!((m["deviance"].as_f64().unwrap() - 3.037).abs() < 5e-4);
    assert_eq!(m["df"], 4);
    assert!((m["aic"].as_f64().unwrap() - 92.073).abs() < 5e-4);
}

#[test]
fn search_and_stepwise_and_text_table() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "hiv.csv", HIV);
    let v = json_of(&tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--search",
        "--max-order",
        "2",
        "--rank",
        "bic",
        "--stepwise",
        "--json",
    ]));
    // 64 hierarchical models and Rcapture's 9 heterogeneity models (M0,
    // Mh and Mth with Chao, Poisson2, Darroch, Gamma3.5) in one ranking.
    assert_eq!(v["search"]["fitted"], 73);
    assert_eq!(v["search"]["hierarchical"], 64);
    assert_eq!(v["search"]["heterogeneity"], 9);
    assert_eq!(v["search"]["rank"], "bic");
    let best = v["search"]["best"].as_array().unwrap();
    let bics: Vec<f64> = best.iter().map(|b| b["bic"].as_f64().unwrap()).collect();
    assert!(
        bics.windows(2).all(|w| w[0] <= w[1]),
        "ranked by BIC: {bics:?}"
    );
    assert!(!v["stepwise"]["path"].as_array().unwrap().is_empty());
    let all = json_of(&on_counts(
        &f,
        &["--search", "--top", "100", "--no-profile", "--json"],
    ));
    let best = all["search"]["best"].as_array().unwrap();
    assert_eq!(best.len(), 73);
    let aics: Vec<f64> = best.iter().map(|b| b["aic"].as_f64().unwrap()).collect();
    assert!(aics.windows(2).all(|w| w[0] <= w[1]), "ranked by AIC");
    for m in [
        "M0",
        "Mh-chao",
        "Mh-poisson2",
        "Mh-darroch",
        "Mh-gamma3.5",
        "Mth-chao",
        "Mth-poisson2",
        "Mth-darroch",
        "Mth-gamma3.5",
        "Mt",
        "Mt+c1:c2",
    ] {
        assert!(best.iter().any(|b| b["model"] == m), "{m} not ranked");
    }
    let only = json_of(&on_counts(
        &f,
        &["--search", "--hierarchical-only", "--no-profile", "--json"],
    ));
    assert_eq!(only["search"]["fitted"], 64);
    let out = tumen(&["estimate", "--counts", f.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for m in [
        "M0",
        "Mt",
        "Mh-chao",
        "Mh-poisson2",
        "Mh-darroch",
        "Mh-gamma3.5",
        "Mth-chao",
        "Mth-gamma3.5",
    ] {
        assert!(text.contains(m), "{m} missing from\n{text}");
    }
    assert!(text.contains("Caveat:"));
}

#[test]
fn non_overlapping_lists_give_words_not_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "t.csv",
        "A,B,C,count\n1,0,0,30\n0,1,0,20\n0,0,1,25\n1,0,1,5\n0,1,1,4\n",
    );
    let v = json_of(&tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--model",
        "Mt",
        "--model",
        "Mt+A:B",
        "--json",
    ]));
    assert!(v["models"][0]["estimate"].is_number());
    assert!(v["models"][1]["estimate"].is_null());
    assert!(
        v["models"][1]["problem"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    assert!(
        v["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("never overlap"))
    );
}

#[test]
fn two_lists_give_lincoln_petersen_and_chapman() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "two.csv", "A,B,count\n1,0,40\n0,1,30\n1,1,20\n");
    let v = json_of(&tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--json",
    ]));
    // n1 = 60, n2 = 50, m = 20.
    assert!(
        (v["two_list"]["lincoln_petersen"]["estimate"]
            .as_f64()
            .unwrap()
            - 150.0)
            .abs()
            < 1e-9
    );
    assert!(
        (v["two_list"]["chapman"]["estimate"].as_f64().unwrap() - (61.0 * 51.0 / 21.0 - 1.0)).abs()
            < 1e-9
    );
    let f = write(dir.path(), "apart.csv", "A,B,count\n1,0,40\n0,1,30\n");
    let v = json_of(&tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--json",
    ]));
    assert!(
        v["two_list_problem"]
            .as_str()
            .unwrap()
            .contains("share no one")
    );
    assert!(
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["estimate"].is_null())
    );
}

#[test]
fn strata_are_estimated_separately_and_summed() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "s.csv",
        "year,A,B,C,count\n2022,1,0,0,40\n2022,0,1,0,30\n2022,0,0,1,35\n2022,1,1,0,12\n2022,1,0,1,10\n2022,0,1,1,9\n2022,1,1,1,4\n\
         2023,1,0,0,8\n2023,0,1,0,6\n2023,0,0,1,7\n2023,1,1,0,3\n2023,1,0,1,2\n2023,0,1,1,2\n2023,1,1,1,1\n",
    );
    let v = json_of(&tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--stratify",
        "year",
        "--model",
        "Mt",
        "--json",
    ]));
    assert_eq!(v["strata"].as_array().unwrap().len(), 2);
    assert_eq!(v["combined"]["n"], 169);
    let a = v["strata"][0]["report"]["models"][0]["estimate"]
        .as_f64()
        .unwrap();
    let b = v["strata"][1]["report"]["models"][0]["estimate"]
        .as_f64()
        .unwrap();
    assert!((v["sum_of_strata"][0]["estimate"].as_f64().unwrap() - (a + b)).abs() < 1e-9);
    assert!(
        v["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("2023"))
    );
}

#[test]
fn lcmcr_is_wired_in() {
    let dir = tempfile::tempdir().unwrap();
    // HRDAG's Palembang lists b, c, d.
    let f = write(
        dir.path(),
        "p.csv",
        "b,c,d,count\n1,0,0,5\n0,1,0,5\n0,0,1,41\n1,1,0,54\n1,0,1,6\n0,1,1,0\n1,1,1,12\n",
    );
    let svg = dir.path().join("est.svg");
    let hist = dir.path().join("post.png");
    let trace = dir.path().join("trace.svg");
    let args = [
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--model",
        "Mt",
        "--lcmcr",
        "--k",
        "5",
        "--seed",
        "7",
        "--burnin",
        "500",
        "--samples",
        "300",
        "--thinning",
        "2",
        "--json",
        "--plot",
        svg.to_str().unwrap(),
        "--plot-posterior",
        hist.to_str().unwrap(),
        "--plot-trace",
        trace.to_str().unwrap(),
    ];
    let v = json_of(&tumen(&args));
    // The histogram is a PNG of 720 × 420 plot units at the default scale 2.
    let png = std::fs::read(&hist).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let dim = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (1440, 840));
    for p in [&svg, &trace] {
        let text = std::fs::read_to_string(p).unwrap();
        assert!(
            text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
            "{}",
            p.display()
        );
    }
    let est = std::fs::read_to_string(&svg).unwrap();
    assert!(est.contains("Mt") && est.contains("LCMCR"));
    let l = &v["lcmcr"];
    for key in ["median", "mean", "q025", "q975", "ess", "rhat"] {
        assert!(l[key].is_number(), "{key}: {l}");
    }
    assert!(l["q025"].as_f64().unwrap() >= 123.0);
    assert!(l["q025"].as_f64().unwrap() <= l["median"].as_f64().unwrap());
    // Same seed, same answer.
    let w = json_of(&tumen(&args));
    assert_eq!(v["lcmcr"], w["lcmcr"]);
}

#[test]
fn bad_input_is_refused_with_the_line_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("A,B,count\n1,0,5\n0,1,-2\n1,1,3\n", "line 3"),
        ("A,B,count\n1,0,5\n1,0,2\n1,1,3\n", "appears again"),
        ("A,B,count\n1,0,5.5\n", "whole number"),
        ("A,B,count\n1,0,5\n2,1,3\n", "not 0 or 1"),
        ("A,count\n1,5\n", "at least two lists"),
        ("A,B,C,count\n1,0,0,5\n1,1,0,3\n", "has no records"),
        ("A,B,count\n1,0,5\n", "alone"),
        ("A,B\n1,0\n", "count"),
        (
            "A,B,count\n1,0,18446744073709551615\n0,1,18446744073709551615\n1,1,1\n",
            "check the count column",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let f = write(dir.path(), &format!("bad{i}.csv"), text);
        let out = tumen(&["estimate", "--counts", f.to_str().unwrap()]);
        assert!(!out.status.success(), "case {i} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "case {i}: want {want:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let many: Vec<String> = (0..16).map(|i| format!("L{i}")).collect();
    let f = write(
        dir.path(),
        "many.csv",
        &format!("{},count\n", many.join(",")),
    );
    let out = tumen(&["estimate", "--counts", f.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 15"));
    let f = write(dir.path(), "hiv.csv", HIV);
    let out = tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--model",
        "Mt+c1:zz",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown list"));
    let out = tumen(&[
        "estimate",
        "--counts",
        f.to_str().unwrap(),
        "--model",
        "Mt+c1:c2:c3:c4",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("all 4 lists"));
    let pdf = dir.path().join("plot.pdf");
    let out = on_counts(&f, &["--plot", pdf.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SVG or PNG"));
    assert!(!pdf.exists(), "nothing written under a .pdf name");
    let png = dir.path().join("plot.png");
    let out = on_counts(
        &f,
        &["--plot", png.to_str().unwrap(), "--plot-scale", "100"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--plot-scale 100"));
    assert!(!png.exists());
    let out = on_counts(&f, &["--search", "--max-order", "4"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("choose between 1 and 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tumen(&["estimate", "--counts", f.to_str().unwrap(), "--seed", "3"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--lcmcr"));
    let out = tumen(&[
        "estimate",
        "--counts",
        dir.path().join("missing.csv").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.csv"));
}
