#!/usr/bin/env python3
"""Precision, recall and F1 of linked pairs against a known truth.

usage: eval_pairs.py PAIRS.csv --truth FILE.csv [--truth FILE2.csv] [--id ID] [--cluster COL]
           [--febrl] [--link-only] [--format tumen|splink] [--threshold P]
           [--clusters CLUSTERS.csv]
Truth: a CSV with an id column and a cluster column (same cluster = same
person), or --febrl (rec-N-org / rec-N-dup-K ids). Prints one JSON line.

Two counts, labelled: the top-level figures count the pairs the tool
accepted directly (a row of PAIRS.csv). With --clusters (tumen's
`--clusters` output: cluster_id,id), "clusters" adds the figures for every
pair of records put in one cluster, i.e. also the pairs implied through
third records (in --link-only mode, pairs from different files only).
"""
import argparse, csv, json, sys
from collections import Counter

ap = argparse.ArgumentParser()
ap.add_argument("pairs")
ap.add_argument("--truth", action="append", default=[])
ap.add_argument("--id", default="id")
ap.add_argument("--cluster", default="cluster")
ap.add_argument("--febrl", action="store_true")
ap.add_argument("--link-only", action="store_true")
ap.add_argument("--format", default="tumen")
ap.add_argument("--threshold", type=float, default=None)
ap.add_argument("--clusters", default=None)
a = ap.parse_args()

truth = {}
source = {}
for k, path in enumerate(a.truth):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f, skipinitialspace=True)
        r.fieldnames = [x.strip() for x in r.fieldnames]
        for row in r:
            i = row[a.id].strip()
            source[i] = k
            truth[i] = "-".join(i.split("-")[:2]) if a.febrl else row[a.cluster].strip()

def same(x, y):
    return truth[x] == truth[y]

tp = fp = 0
seen = set()
with open(a.pairs, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if a.format == "tumen":
            if row["status"] not in ("accepted", "decided_same"):
                continue
            x, y = row["id_a"], row["id_b"]
        else:  # splink predictions exported with columns id_l,id_r,match_probability
            if float(row["match_probability"]) < a.threshold:
                continue
            x, y = row["id_l"], row["id_r"]
        key = (min(x, y), max(x, y))
        if key in seen:
            continue
        seen.add(key)
        if same(x, y):
            tp += 1
        else:
            fp += 1

# all true pairs
if a.link_only:
    per = Counter((truth[i], source[i]) for i in truth)
    clusters = Counter(truth.values())
    positives = 0
    for c, n in clusters.items():
        within = sum(v * (v - 1) // 2 for (cc, s), v in per.items() if cc == c)
        positives += n * (n - 1) // 2 - within
else:
    positives = sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())


def scores(tp, fp):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / positives if positives else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"linked": tp + fp, "tp": tp, "fp": fp,
            "precision": round(p, 5), "recall": round(r, 5), "f1": round(f1, 5)}


def pairs_in(counter_all, counter_by_source):
    """Pairs within groups, less same-source pairs in link-only mode."""
    n = sum(v * (v - 1) // 2 for v in counter_all.values())
    if a.link_only:
        n -= sum(v * (v - 1) // 2 for v in counter_by_source.values())
    return n


out = {"true_pairs": positives, "counted": "directly accepted pairs"}
out.update(scores(tp, fp))
if a.clusters:
    pred = {}
    with open(a.clusters, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pred[row["id"]] = row["cluster_id"]
    ids = [i for i in pred if i in truth]
    linked = pairs_in(Counter(pred[i] for i in ids), Counter((pred[i], source[i]) for i in ids))
    ctp = pairs_in(Counter((pred[i], truth[i]) for i in ids),
                   Counter((pred[i], truth[i], source[i]) for i in ids))
    out["clusters"] = {"counted": "all pairs within a cluster (implied pairs included)"}
    out["clusters"].update(scores(ctp, linked - ctp))
print(json.dumps(out))
