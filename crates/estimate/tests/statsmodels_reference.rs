//! Compares tumen-estimate with an independent implementation: statsmodels'
//! Poisson GLM driven by `tests/reference/statsmodels_reference.py`, whose
//! output `statsmodels_reference.json` is committed next to it (so this test
//! needs no Python). The script builds its own design matrices from
//! Rcapture's model definitions, fits them with statsmodels' IRLS, and
//! computes the profile-likelihood interval with Cormack's correction with
//! scipy's optimiser and root finder.

use serde_json::Value;
use tumen_estimate::CaptureTable;
use tumen_estimate::interval::profile_interval;
use tumen_estimate::model::{ModelSpec, fit_model};
use tumen_estimate::search::{Criterion, search_all};

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/statsmodels_reference.json"))
        .expect("reference JSON parses")
}

fn table(case: &Value) -> CaptureTable {
    let lists: Vec<String> = case["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let k = lists.len();
    let mut counts = vec![0u64; 1 << k];
    for (pat, c) in case["counts"].as_object().unwrap() {
        let mut mask = 0;
        for (i, ch) in pat.chars().enumerate() {
            if ch == '1' {
                mask |= 1 << i;
            }
        }
        counts[mask] = c.as_u64().unwrap();
    }
    CaptureTable::new(lists, counts).unwrap()
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= abs + rel * b.abs()
}

#[test]
fn models_match_statsmodels() {
    let r = reference();
    let mut checked = 0;
    for case in r["cases"].as_array().unwrap() {
        let t = table(case);
        for m in case["models"].as_array().unwrap() {
            let spec = ModelSpec::parse(m["model"].as_str().unwrap(), t.lists()).unwrap();
            let f = fit_model(&t, &spec).unwrap_or_else(|e| panic!("{}: {e}", m["model"]));
            let name = format!("{} / {}", case["name"], m["model"]);
            assert!(
                close(f.estimate, m["estimate"].as_f64().unwrap(), 1e-6, 1e-6),
                "{name}: N {} vs {}",
                f.estimate,
                m["estimate"]
            );
            assert!(
                close(f.se, m["se"].as_f64().unwrap(), 1e-5, 1e-6),
                "{name}: SE {} vs {}",
                f.se,
                m["se"]
            );
            assert!(
                close(f.deviance, m["deviance"].as_f64().unwrap(), 1e-6, 1e-6),
                "{name}: deviance {} vs {}",
                f.deviance,
                m["deviance"]
            );
            assert_eq!(f.df as u64, m["df"].as_u64().unwrap(), "{name}: df");
            assert!(
                close(f.aic, m["aic"].as_f64().unwrap(), 1e-8, 1e-6),
                "{name}: AIC {} vs {}",
                f.aic,
                m["aic"]
            );
            assert!(
                close(f.bic, m["bic"].as_f64().unwrap(), 1e-8, 1e-6),
                "{name}: BIC {} vs {}",
                f.bic,
                m["bic"]
            );
            checked += 1;
        }
    }
    assert!(checked >= 30);
}

#[test]
fn profile_intervals_match_scipy_on_statsmodels_fits() {
    let r = reference();
    for case in r["cases"].as_array().unwrap() {
        let t = table(case);
        for p in case["profile"].as_array().unwrap() {
            let spec = ModelSpec::parse(p["model"].as_str().unwrap(), t.lists()).unwrap();
            let f = fit_model(&t, &spec).unwrap();
            let iv = profile_interval(&t, &spec, f.estimate, p["level"].as_f64().unwrap()).unwrap();
            let name = format!("{} / {}", case["name"], p["model"]);
            assert!(
                close(iv.estimate, p["estimate"].as_f64().unwrap(), 1e-6, 0.02),
                "{name}: {iv:?} vs {p}"
            );
            assert!(
                close(iv.low, p["low"].as_f64().unwrap(), 1e-6, 0.01),
                "{name}: {iv:?} vs {p}"
            );
            match (iv.high, p["high"].as_f64()) {
                (Some(h), Some(e)) => assert!(close(h, e, 1e-6, 0.01), "{name}: {iv:?} vs {p}"),
                (None, None) => {}
                (a, b) => panic!("{name}: upper {a:?} vs {b:?}"),
            }
        }
    }
}

#[test]
fn search_matches_statsmodels_model_by_model() {
    let r = reference();
    for case in r["cases"].as_array().unwrap() {
        let refs = case["search"].as_array().unwrap();
        if refs.is_empty() {
            continue;
        }
        let t = table(case);
        let rows = search_all(&t, 2, Criterion::Aic, 1 << 20).unwrap();
        assert_eq!(rows.len(), refs.len(), "{}", case["name"]);
        for m in refs {
            let name = ModelSpec::parse(m["model"].as_str().unwrap(), t.lists())
                .unwrap()
                .name(t.lists());
            let row = rows
                .iter()
                .find(|r| r.model == name)
                .unwrap_or_else(|| panic!("{name} not in search"));
            let est = row
                .estimate
                .unwrap_or_else(|| panic!("{name}: {:?}", row.problem));
            assert!(
                close(est, m["estimate"].as_f64().unwrap(), 1e-6, 1e-6),
                "{name}: {est} vs {}",
                m["estimate"]
            );
            assert!(
                close(row.aic.unwrap(), m["aic"].as_f64().unwrap(), 1e-8, 1e-6),
                "{name}"
            );
            assert!(
                close(row.bic.unwrap(), m["bic"].as_f64().unwrap(), 1e-8, 1e-6),
                "{name}"
            );
            assert!(
                close(row.se.unwrap(), m["se"].as_f64().unwrap(), 1e-5, 1e-6),
                "{name}"
            );
        }
        // Same ranking by AIC as sorting the reference.
        let mut by_aic: Vec<(f64, String)> = refs
            .iter()
            .map(|m| {
                (
                    m["aic"].as_f64().unwrap(),
                    ModelSpec::parse(m["model"].as_str().unwrap(), t.lists())
                        .unwrap()
                        .name(t.lists()),
                )
            })
            .collect();
        by_aic.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        assert_eq!(rows[0].model, by_aic[0].1, "{}", case["name"]);
    }
}
