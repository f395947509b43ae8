#!/usr/bin/env python3
"""Independent reference for tumen's LCMCR sampler: a literal, per-person
Gibbs sampler for the model of Manrique-Vallier (2016), written in plain
Python from the paper's description (no code shared with the Rust crate).

Every observed person and every augmented unobserved person carries a class
label drawn one by one; the number unobserved is a negative binomial drawn as
a sum of geometric variables. It is slow (seconds per thousand sweeps for a
table of ~1,000 people), so it is run by hand, not in CI:

    python3 crates/estimate/tests/reference/lcmcr_naive.py COUNTS SWEEPS BURNIN SEED

COUNTS: comma-separated dense counts indexed by pattern bit mask (index 0 is
0), e.g. Palembang: 0,5,5,54,41,6,0,12.
Prints the posterior median, mean and 2.5/97.5 % quantiles of N.
"""
import math
import random
import sys

K, A_ALPHA, B_ALPHA = 10, 0.25, 0.25


def quantile(sorted_xs, p):
    h = (len(sorted_xs) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (h - lo) * (sorted_xs[hi] - sorted_xs[lo])


def draw_class(rng, weights):
    total = sum(weights)
    u = rng.random() * total
    for k, w in enumerate(weights):
        u -= w
        if u < 0:
            return k
    return len(weights) - 1


def main():
    counts = [int(c) for c in sys.argv[1].split(",")]
    sweeps, burnin, seed = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    J = int(math.log2(len(counts)))
    rng = random.Random(seed)
    people = []  # capture histories of observed people, one tuple each
    for mask, c in enumerate(counts):
        people += [tuple((mask >> j) & 1 for j in range(J))] * c
    n = len(people)
    z = [rng.randrange(K) for _ in people]
    n0 = n
    z0 = [rng.randrange(K) for _ in range(n0)]
    alpha = 1.0
    draws = []
    for sweep in range(sweeps):
        # lambda | z
        size = [0] * K
        on = [[0] * J for _ in range(K)]
        for x, k in zip(people, z):
            size[k] += 1
            for j in range(J):
                on[k][j] += x[j]
        for k in z0:
            size[k] += 1
        lam = [[rng.betavariate(1 + on[k][j], 1 + size[k] - on[k][j]) for j in range(J)] for k in range(K)]
        # stick-breaking weights | sizes
        pi = []
        left = 1.0
        log_left = 0.0
        rest = sum(size)
        for k in range(K):
            rest -= size[k]
            if k == K - 1:
                pi.append(left)
            else:
                v = rng.betavariate(1 + size[k], alpha + rest)
                pi.append(left * v)
                left *= 1 - v
                # 1 - v can round to 0 when alpha is tiny; floor its log
                log_left += math.log(max(1.0 - v, 1e-300))
        # alpha | V
        alpha = max(rng.gammavariate(A_ALPHA + K - 1, 1.0) / (B_ALPHA - log_left), 1e-200)
        # n0 | lambda, pi: negative binomial (failures before n successes,
        # success = being seen), as a sum of n geometric counts
        miss = [math.prod(1 - l for l in lam[k]) for k in range(K)]
        pi0 = sum(p * m for p, m in zip(pi, miss))
        log_pi0 = math.log(pi0)
        n0 = sum(int(math.log(1.0 - rng.random()) / log_pi0) for _ in range(n))
        # labels of everyone
        for i, x in enumerate(people):
            w = []
            for k in range(K):
                p = pi[k]
                for j in range(J):
                    p *= lam[k][j] if x[j] else 1 - lam[k][j]
                w.append(p)
            z[i] = draw_class(rng, w)
        w0 = [p * m for p, m in zip(pi, miss)]
        z0 = [draw_class(rng, w0) for _ in range(n0)]
        if sweep >= burnin:
            draws.append(n + n0)
    draws.sort()
    print(
        "median %.1f mean %.1f q025 %.1f q975 %.1f draws %d"
        % (quantile(draws, 0.5), sum(draws) / len(draws), quantile(draws, 0.025), quantile(draws, 0.975), len(draws))
    )


if __name__ == "__main__":
    main()
