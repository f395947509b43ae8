#!/usr/bin/env python3
"""Independent reference values for tumen-ledger, from Python's hashlib.

Written from the text of RFC 6962 section 2.1 (MTH, PATH, SUBPROOF/PROOF),
not from the Rust code. It writes reference.json beside itself; the Rust
test `tests/python_reference.rs` checks the crate against it.

    python3 crates/ledger/tests/data/gen_reference.py
"""
import hashlib
import json
import os
import random


def leaf(e: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + e).digest()


def node(l: bytes, r: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + l + r).digest()


def k_of(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf(d[0])
    k = k_of(n)
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):
    n = len(d)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def self_check():
    """The script itself must reproduce the published CT test data first."""
    ct = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243",
                                      "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
    assert mth(ct).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert path(5, ct)[0].hex() == "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
    assert subproof(6, ct, True)[0].hex() == "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"


def main():
    self_check()
    rng = random.Random(20261128)
    entries = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 41))) for _ in range(600)]
    sizes = sorted(set([1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
                        255, 256, 257, 511, 512, 513, 600] + [rng.randrange(1, 601) for _ in range(20)]))
    cases = []
    for n in sizes:
        d = entries[:n]
        idx = sorted(set([0, n - 1, n // 2] + [rng.randrange(0, n) for _ in range(3)]))
        olds = sorted(set([1, n - 1 if n > 1 else 1] + [rng.randrange(1, n + 1) for _ in range(3)]))
        cases.append({
            "size": n,
            "root": mth(d).hex(),
            "inclusion": [{"index": m, "proof": [h.hex() for h in path(m, d)]} for m in idx],
            "consistency": [{"old_size": m, "old_root": mth(entries[:m]).hex(),
                             "proof": [h.hex() for h in (subproof(m, d, True) if m < n else [])]}
                            for m in olds],
        })
    out = {
        "generator": "crates/ledger/tests/data/gen_reference.py (Python hashlib, RFC 6962 section 2.1)",
        "entries": [e.hex() for e in entries],
        "cases": cases,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "reference.json"), "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
