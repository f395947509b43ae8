//! Precision and recall of the same/different decision on the hand-written
//! variant-group set (`data/variant_groups.tsv`): every pair inside a group
//! must be "same"; every hard-negative pair and every pair of Hangul forms of
//! two different groups must be "different". Targets (issue 3): precision
//! ≥ 0.98, recall ≥ 0.95.

use tumen_names::{SAME_THRESHOLD, compare, key, score};

const DATA: &str = include_str!("../data/variant_groups.tsv");

struct Set {
    groups: Vec<Vec<&'static str>>,
    negatives: Vec<(&'static str, &'static str)>,
}

fn load() -> Set {
    let mut groups = Vec::new();
    let mut negatives = Vec::new();
    for (n, line) in DATA.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (tag, rest) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("line {}: no tab", n + 1));
        match tag {
            "G" => groups.push(rest.split(" | ").map(str::trim).collect::<Vec<_>>()),
            "N" => {
                let (a, b) = rest
                    .split_once('\t')
                    .unwrap_or_else(|| panic!("line {}: N needs two names", n + 1));
                negatives.push((a.trim(), b.trim()));
            }
            _ => panic!("line {}: unknown tag", n + 1),
        }
    }
    Set { groups, negatives }
}

#[test]
fn variant_groups_precision_recall() {
    let set = load();
    assert!(set.groups.len() >= 300, "{} groups", set.groups.len());
    let (mut tp, mut fn_, mut fp, mut tn) = (0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    let mut false_hits = Vec::new();
    for g in &set.groups {
        let keys: Vec<_> = g.iter().map(|s| key(s)).collect();
        for i in 0..g.len() {
            for j in i + 1..g.len() {
                if score(&keys[i], &keys[j]) >= SAME_THRESHOLD {
                    tp += 1;
                } else {
                    fn_ += 1;
                    misses.push(format!("{} / {}", g[i], g[j]));
                }
            }
        }
    }
    let mut neg_pairs: Vec<(&str, &str)> = set.negatives.clone();
    let heads: Vec<&str> = set.groups.iter().map(|g| g[0]).collect();
    for i in 0..heads.len() {
        for j in i + 1..heads.len() {
            neg_pairs.push((heads[i], heads[j]));
        }
    }
    let head_keys: std::collections::HashMap<&str, _> =
        heads.iter().map(|h| (*h, key(h))).collect();
    for (a, b) in &neg_pairs {
        let ka = head_keys.get(a).cloned().unwrap_or_else(|| key(a));
        let kb = head_keys.get(b).cloned().unwrap_or_else(|| key(b));
        if score(&ka, &kb) >= SAME_THRESHOLD {
            fp += 1;
            false_hits.push(format!("{a} / {b}: {}", compare(a, b).explanation));
        } else {
            tn += 1;
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "variant groups: {} groups, {} positive pairs, {} negative pairs ({} hard negatives)",
        set.groups.len(),
        tp + fn_,
        fp + tn,
        set.negatives.len()
    );
    println!("TP {tp} FN {fn_} FP {fp} TN {tn}; precision {precision:.4} recall {recall:.4}");
    for m in &misses {
        println!("missed: {m}");
    }
    for f in &false_hits {
        println!("false match: {f}");
    }
    assert!(precision >= 0.98, "precision {precision:.4}");
    assert!(recall >= 0.95, "recall {recall:.4}");
}

#[test]
fn every_hard_negative_is_different_via_compare() {
    // The explained path agrees with the fast path on the hard negatives.
    let set = load();
    for (a, b) in &set.negatives {
        let c = compare(a, b);
        assert_eq!(
            c.same,
            score(&key(a), &key(b)) >= SAME_THRESHOLD,
            "{a} / {b}"
        );
    }
}
