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
use tumen_estimate::search::{
    Criterion, HETEROGENEITY_MODELS, search_all, search_models, stepwise,
};

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

/// The canonical name of a reference model (as tumen prints it).
fn name_of(m: &Value, t: &CaptureTable) -> String {
    ModelSpec::parse(m["model"].as_str().unwrap(), t.lists())
        .unwrap()
        .name(t.lists())
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

/// The search table holds the heterogeneity models beside the hierarchical
/// ones (as Rcapture's `closedp` lists them), each with statsmodels' values,
/// and the whole table is ranked as the reference values rank it.
#[test]
fn search_ranks_heterogeneity_models_with_the_hierarchical_ones() {
    let r = reference();
    let mut checked = 0;
    for case in r["cases"].as_array().unwrap() {
        let refs = case["search"].as_array().unwrap();
        if refs.is_empty() {
            continue;
        }
        let t = table(case);
        for rank in [Criterion::Aic, Criterion::Bic] {
            let rows = search_models(&t, 2, rank, 1 << 20, true).unwrap();
            assert_eq!(
                rows.len(),
                refs.len() + HETEROGENEITY_MODELS.len(),
                "{}",
                case["name"]
            );
            let key = match rank {
                Criterion::Aic => "aic",
                Criterion::Bic => "bic",
            };
            // Reference: the hierarchical models and the heterogeneity
            // models, each with statsmodels' criterion.
            let mut expected: Vec<(f64, String)> =
                refs.iter()
                    .chain(
                        case["models"].as_array().unwrap().iter().filter(|m| {
                            HETEROGENEITY_MODELS.contains(&m["model"].as_str().unwrap())
                        }),
                    )
                    .map(|m| (m[key].as_f64().unwrap(), name_of(m, &t)))
                    .collect();
            assert_eq!(expected.len(), rows.len(), "{}", case["name"]);
            expected.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (row, (score, name)) in rows.iter().zip(&expected) {
                assert_eq!(&row.model, name, "{}: rank order by {key}", case["name"]);
                assert!(close(row.score(rank), *score, 1e-8, 1e-6), "{name}");
            }
            for h in HETEROGENEITY_MODELS {
                let m = case["models"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["model"] == h)
                    .unwrap();
                let row = rows.iter().find(|r| r.model == h).unwrap();
                let est = row
                    .estimate
                    .unwrap_or_else(|| panic!("{h}: {:?}", row.problem));
                assert!(
                    close(est, m["estimate"].as_f64().unwrap(), 1e-6, 1e-6),
                    "{h}"
                );
                assert!(
                    close(row.se.unwrap(), m["se"].as_f64().unwrap(), 1e-5, 1e-6),
                    "{h}"
                );
                assert!(
                    close(
                        row.deviance.unwrap(),
                        m["deviance"].as_f64().unwrap(),
                        1e-6,
                        1e-6
                    ),
                    "{h}"
                );
                assert_eq!(row.df as u64, m["df"].as_u64().unwrap(), "{h}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 2 * HETEROGENEITY_MODELS.len());
}

/// Stepwise selection replayed on statsmodels' criteria: from Mt, add or
/// drop the one two-way interaction that lowers the criterion most, until
/// none does. The path and the end model must be the ones tumen's
/// `stepwise` takes.
#[test]
fn stepwise_follows_the_path_of_the_reference_criteria() {
    let r = reference();
    let mut cases = 0;
    for case in r["cases"].as_array().unwrap() {
        let refs = case["search"].as_array().unwrap();
        if refs.is_empty() {
            continue;
        }
        let t = table(case);
        for (rank, key) in [(Criterion::Aic, "aic"), (Criterion::Bic, "bic")] {
            let models: Vec<(Vec<usize>, f64, String)> = refs
                .iter()
                .map(|m| {
                    let s = ModelSpec::parse(m["model"].as_str().unwrap(), t.lists()).unwrap();
                    (
                        s.interactions.clone(),
                        m[key].as_f64().unwrap(),
                        s.name(t.lists()),
                    )
                })
                .collect();
            let find = |terms: &[usize]| {
                models
                    .iter()
                    .find(|(m, _, _)| m.len() == terms.len() && terms.iter().all(|x| m.contains(x)))
                    .unwrap()
            };
            let mut cur: Vec<usize> = Vec::new();
            let mut path = vec![find(&cur).2.clone()];
            loop {
                let here = find(&cur).1;
                let best = models
                    .iter()
                    .filter(|(m, _, _)| {
                        let added = m.iter().filter(|x| !cur.contains(x)).count();
                        let dropped = cur.iter().filter(|x| !m.contains(x)).count();
                        added + dropped == 1
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .unwrap();
                if best.1 >= here - 1e-9 {
                    break;
                }
                cur = best.0.clone();
                path.push(best.2.clone());
            }
            let (steps, end) = stepwise(&t, 2, rank).unwrap();
            let ours: Vec<String> = steps.iter().map(|s| s.model.clone()).collect();
            assert_eq!(ours, path, "{} by {key}", case["name"]);
            assert_eq!(&end.model, path.last().unwrap());
            cases += 1;
        }
    }
    assert!(cases >= 4);
}
