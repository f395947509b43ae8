#!/usr/bin/env python3
"""The peer side of bench/estimate/run.sh.

make-table OUT.csv      write the 6-list benchmark table (simulated population
                        of 5,000 with heterogeneous capture and two list
                        dependences, numpy seed 20231009)
fit TABLE.csv ROWS.json M
                        fit M of the 2^15 Mt + two-way-interaction models
                        (a fixed random subset) with statsmodels' Poisson GLM,
                        time them, extrapolate to all 32,768, and check the
                        AIC and N of each against tumen's rows in ROWS.json
"""
import itertools
import json
import math
import sys
import time

import numpy as np
import statsmodels
import statsmodels.api as sm


def make_table(out):
    rng = np.random.default_rng(20231009)
    k, N = 6, 5000
    base = np.array([0.12, 0.2, 0.25, 0.15, 0.3, 0.18])
    counts = {}
    for _ in range(N):
        frail = rng.lognormal(0.0, 0.6)
        p = np.clip(base * frail, 0, 0.95)
        caught = rng.uniform(size=k) < p
        if caught[0] and rng.uniform() < 0.35:
            caught[1] = True
        if caught[3] and rng.uniform() < 0.25:
            caught[4] = True
        key = tuple(int(c) for c in caught)
        counts[key] = counts.get(key, 0) + 1
    names = ["L%d" % (i + 1) for i in range(k)]
    with open(out, "w") as f:
        f.write(",".join(names) + ",count\n")
        for p in itertools.product([0, 1], repeat=k):
            if any(p):
                f.write(",".join(map(str, p)) + ",%d\n" % counts.get(p, 0))


def read_table(path):
    lines = [l.strip().split(",") for l in open(path) if l.strip()]
    names = lines[0][:-1]
    pats, y = [], []
    for row in lines[1:]:
        pats.append(tuple(int(v) for v in row[:-1]))
        y.append(float(row[-1]))
    return names, np.array(pats), np.array(y)


def fit(path, rows_path, m):
    names, pats, y = read_table(path)
    k = len(names)
    pairs = list(itertools.combinations(range(k), 2))
    rng = np.random.default_rng(1)
    subsets = sorted(rng.choice(1 << len(pairs), size=m, replace=False).tolist())
    rows = {r["model"]: r for r in json.load(open(rows_path))}
    n = y.sum()
    max_rel_n, max_abs_aic, compared = 0.0, 0.0, 0
    t0 = time.perf_counter()
    results = []
    for s in subsets:
        chosen = [pairs[i] for i in range(len(pairs)) if s & (1 << i)]
        cols = [np.ones(len(y))] + [pats[:, i].astype(float) for i in range(k)]
        cols += [(pats[:, a] * pats[:, b]).astype(float) for a, b in chosen]
        X = np.column_stack(cols)
        res = sm.GLM(y, X, family=sm.families.Poisson()).fit()
        results.append((chosen, res))
    elapsed = time.perf_counter() - t0
    for chosen, res in results:
        # tumen's canonical name: terms by order then bit mask
        terms = sorted(chosen, key=lambda t: (1 << t[0]) | (1 << t[1]))
        name = "+".join(["Mt"] + ["%s:%s" % (names[a], names[b]) for a, b in terms])
        r = rows.get(name)
        if r is None or r["estimate"] is None:
            continue
        est = n + math.exp(res.params[0])
        if abs(res.params[0]) > 30:
            continue
        max_rel_n = max(max_rel_n, abs(est - r["estimate"]) / r["estimate"])
        max_abs_aic = max(max_abs_aic, abs(res.aic - r["aic"]))
        compared += 1
    per = elapsed / m
    print("statsmodels %s: %d models in %.2f s = %.2f ms per model; all 32,768 extrapolated: %.0f s"
          % (statsmodels.__version__, m, elapsed, per * 1e3, per * 32768))
    print("checked against tumen: %d models, max relative difference in N %.1e, max |AIC difference| %.1e"
          % (compared, max_rel_n, max_abs_aic))


if __name__ == "__main__":
    if sys.argv[1] == "make-table":
        make_table(sys.argv[2])
    elif sys.argv[1] == "fit":
        fit(sys.argv[2], sys.argv[3], int(sys.argv[4]))
