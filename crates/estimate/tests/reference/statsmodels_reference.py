#!/usr/bin/env python3
"""Reference values for tumen-estimate from an independent implementation.

Fits the capture–recapture log-linear models with statsmodels' Poisson GLM
(IRLS, its own code) on design matrices built here from the model
definitions in Rcapture (closedp.t / closedpCI.t), and computes N, its
delta-method SE, deviance, df, AIC (log y! kept, as R's glm), BIC
(Rcapture: AIC + (log n − 2)·rank) and the profile-likelihood interval with
Cormack's correction (as closedpCI.t) with scipy root finding. It writes
statsmodels_reference.json next to this file; the Rust test
tests/statsmodels_reference.rs compares against that JSON, so the test suite
does not need Python. Regenerate with:

    python3 -m venv bench/.venv && bench/.venv/bin/pip install statsmodels
    bench/.venv/bin/python crates/estimate/tests/reference/statsmodels_reference.py
"""

import itertools
import json
import math
import os
import sys

import numpy as np
import statsmodels
import statsmodels.api as sm
from scipy import optimize, special, stats

HERE = os.path.dirname(os.path.abspath(__file__))


def patterns(k):
    """All observable patterns as tuples of 0/1, first list first."""
    return [p for p in itertools.product([0, 1], repeat=k) if any(p)]


def parse_spec(spec, lists):
    parts = [s.strip() for s in spec.split("+")]
    base = parts[0].lower()
    het = None
    if base == "m0":
        kind = "M0"
    elif base == "mt":
        kind = "Mt"
    elif base.startswith("mth-"):
        kind, het = "Mt", base[4:]
    elif base.startswith("mh-"):
        kind, het = "M0", base[3:]
    else:
        raise ValueError(spec)
    terms = []
    for t in parts[1:]:
        idx = tuple(sorted(lists.index(x) for x in t.split(":")))
        terms.append(idx)
    # hierarchical closure
    closed = set()
    for t in terms:
        for r in range(2, len(t) + 1):
            for sub in itertools.combinations(t, r):
                closed.add(sub)
    return kind, sorted(closed, key=lambda t: (len(t), t)), het


def design(spec, lists):
    k = len(lists)
    kind, terms, het = parse_spec(spec, lists)
    pats = patterns(k)
    rows, names = [], ["(Intercept)"]
    if kind == "M0":
        names.append("captures")
    else:
        names += list(lists)
    names += [":".join(lists[i] for i in t) for t in terms]
    nhet_first = len(names)
    if het == "chao":
        names += ["eta%d" % j for j in range(3, k + 1)]
    elif het is not None:
        names.append("tau")
    for p in pats:
        c = sum(p)
        row = [1.0]
        row += [float(c)] if kind == "M0" else [float(v) for v in p]
        row += [float(all(p[i] for i in t)) for t in terms]
        if het == "chao":
            row += [float(max(c - j + 1, 0)) for j in range(3, k + 1)]
        elif het is not None:
            if het.startswith("poisson"):
                th = float(het[7:])
                row.append(th ** c - 1.0)
            elif het == "darroch":
                row.append(c * c / 2.0)
            elif het.startswith("gamma"):
                th = float(het[5:])
                row.append(-math.log(th + c) + math.log(th))
            else:
                raise ValueError(het)
        rows.append(row)
    chao_from = nhet_first if het == "chao" else None
    return np.array(rows), names, chao_from


def glm_fit(X, y):
    res = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=500)
    return res


def fit_chao_rule(X, y, chao_from):
    """Rcapture: drop the first negative eta and refit until none is negative."""
    res = glm_fit(X, y)
    if chao_from is not None:
        while True:
            neg = [j for j in range(chao_from, X.shape[1]) if res.params[j] < 0]
            if not neg:
                break
            X = np.delete(X, neg[0], axis=1)
            res = glm_fit(X, y)
    return X, res


def fit(spec, lists, counts):
    X, names, chao_from = design(spec, lists)
    y = np.array([counts["".join(map(str, p))] for p in patterns(len(lists))], dtype=float)
    X, res = fit_chao_rule(X, y, chao_from)
    n = y.sum()
    b0 = res.params[0]
    cov = res.cov_params()
    unseen = math.exp(b0)
    se = math.sqrt(unseen + unseen * unseen * cov[0, 0])
    p = X.shape[1]
    llf = float(np.sum(stats.poisson.logpmf(y, res.mu)))
    aic = -2 * llf + 2 * p
    bic = aic + (math.log(n) - 2) * p
    return {
        "model": spec,
        "estimate": n + unseen,
        "se": se,
        "deviance": float(res.deviance),
        "df": int(len(y) - p),
        "aic": aic,
        "bic": bic,
        "statsmodels_llf": float(res.llf),
    }, X, y, chao_from


def profile(spec, lists, counts, level=0.95):
    X, names, chao_from = design(spec, lists)
    y = np.array([counts["".join(map(str, p))] for p in patterns(len(lists))], dtype=float)
    n = y.sum()
    row0 = np.zeros(X.shape[1])
    row0[0] = 1.0
    Xa = np.vstack([X, row0])
    base, _, _, _ = fit(spec, lists, counts)
    nhat = base["estimate"]

    def cormack(n0, tot):
        if tot > 100:
            if n0 == 0 or n0 == 1:
                return -tot + 0.5 * math.log(2 * math.pi * tot)
            return n0 - tot - 0.5 * math.log(n0 / tot)
        a = n0 * math.log(n0) if n0 > 0 else 0.0
        return a + special.gammaln(tot + 1) - tot * math.log(tot) - special.gammaln(n0 + 1)

    def ll(N):
        ya = np.append(y, N - n)
        _, res = fit_chao_rule(Xa, ya, chao_from)
        return -(res.deviance - 2 * cormack(N - n, N)) / 2

    opt = optimize.minimize_scalar(lambda N: -ll(N), bounds=(n, 3 * nhat), method="bounded",
                                   options={"xatol": 1e-6})
    nmax, lmax = opt.x, -opt.fun
    target = lmax - stats.chi2.ppf(level, 1) / 2
    f = lambda N: ll(N) - target
    low = optimize.brentq(f, n, nmax, xtol=1e-7) if f(n) < 0 else n
    high = optimize.brentq(f, nmax, 3 * nhat, xtol=1e-7) if f(3 * nhat) < 0 else None
    return {"model": spec, "level": level, "estimate": nmax, "low": low, "high": high}


def all_two_way_specs(lists):
    pairs = list(itertools.combinations(lists, 2))
    out = []
    for r in range(len(pairs) + 1):
        for sub in itertools.combinations(pairs, r):
            out.append("+".join(["Mt"] + ["%s:%s" % p for p in sub]))
    return out


def simulate(k, N, seed):
    """A table from a population with heterogeneous capture and one dependence."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.15, 0.45, size=k)
    counts = {}
    for _ in range(N):
        frail = rng.lognormal(0.0, 0.5)
        p = np.clip(base * frail, 0, 0.95)
        caught = rng.uniform(size=k) < p
        if k > 2 and caught[0]:
            caught[1] = caught[1] or rng.uniform() < 0.3
        key = "".join("1" if c else "0" for c in caught)
        counts[key] = counts.get(key, 0) + 1
    counts.pop("0" * k, None)
    return {"".join(map(str, p)): counts.get("".join(map(str, p)), 0) for p in patterns(k)}


def hist_counts(k, vals):
    """Counts given in Rcapture's histpos.t order (11…1 first, 00…01 last)."""
    pats = [p for p in itertools.product([1, 0], repeat=k) if any(p)]
    return {"".join(map(str, p)): v for p, v in zip(pats, vals)}


def main():
    cases = []
    het = ["M0", "Mt", "Mh-chao", "Mh-poisson2", "Mh-darroch", "Mh-gamma3.5",
           "Mth-chao", "Mth-poisson2", "Mth-darroch", "Mth-gamma3.5"]
    hiv_lists = ["c1", "c2", "c3", "c4"]
    hiv = hist_counts(4, [0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205])
    cases.append({
        "name": "HIV Rome (Abeni 1994), Rcapture's HIV data",
        "lists": hiv_lists,
        "counts": hiv,
        "models": [fit(s, hiv_lists, hiv)[0] for s in het + ["Mt+c1:c2", "Mt+c1:c2:c3", "Mth-darroch+c1:c2"]],
        "profile": [profile(s, hiv_lists, hiv) for s in ["Mt+c1:c2", "Mth-poisson2", "Mh-chao", "Mt"]],
        "search": [fit(s, hiv_lists, hiv)[0] for s in all_two_way_specs(hiv_lists)],
    })
    pal_lists = ["b", "c", "d"]
    pal = {"100": 5, "010": 5, "001": 41, "110": 54, "101": 6, "011": 0, "111": 12}
    cases.append({
        "name": "Palembang (HRDAG), lists b, c, d",
        "lists": pal_lists,
        "counts": pal,
        "models": [fit(s, pal_lists, pal)[0] for s in het + ["Mt+b:c", "Mt+b:d"]],
        "profile": [profile(s, pal_lists, pal) for s in ["Mt", "Mt+b:c", "Mth-darroch"]],
        "search": [],
    })
    sim_lists = ["A", "B", "C", "D", "E"]
    sim = simulate(5, 3000, 20231009)
    cases.append({
        "name": "simulated, 5 lists, N = 3000, seed 20231009",
        "lists": sim_lists,
        "counts": sim,
        "models": [fit(s, sim_lists, sim)[0] for s in het + ["Mt+A:B", "Mt+A:B+C:D+A:B:C"]],
        "profile": [profile(s, sim_lists, sim) for s in ["Mt+A:B", "Mth-gamma3.5"]],
        "search": [fit(s, sim_lists, sim)[0] for s in all_two_way_specs(sim_lists)],
    })
    big_lists = ["A", "B", "C", "D", "E", "F", "G", "H"]
    big = simulate(8, 6000, 9102023)
    cases.append({
        "name": "simulated, 8 lists, N = 6000, seed 9102023",
        "lists": big_lists,
        "counts": big,
        "models": [fit(s, big_lists, big)[0] for s in het + ["Mt+A:B", "Mth-poisson2+A:B"]],
        "profile": [profile(s, big_lists, big) for s in ["Mt+A:B", "Mth-chao"]],
        "search": [],
    })
    out = {
        "generator": "crates/estimate/tests/reference/statsmodels_reference.py",
        "statsmodels": statsmodels.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "cases": cases,
    }
    with open(os.path.join(HERE, "statsmodels_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
