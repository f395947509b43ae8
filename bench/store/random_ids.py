#!/usr/bin/env python3
"""Rewrite the store bench's JSON Lines so that ids arrive in no order.

Every act, person and source id (`act-0000123`) becomes its prefix and 12
hex digits of a BLAKE2b hash of it, the same in every place it occurs (ids
and references), so the file imports exactly as before but the unique id
indexes take their inserts at random places. Used for the "ids in random
order" figures of BENCHMARKS.md, "Store (issue 2)":

    TUMEN_BENCH_DIR=/tmp/bd TUMEN_BENCH_IMPORT_ONLY=1 bench/store/run.sh   # writes /tmp/bd/acts.jsonl
    python3 bench/store/random_ids.py /tmp/bd/acts.jsonl /tmp/bd/acts-random-ids.jsonl
"""
import hashlib
import re
import sys

ID = re.compile(r'"(act|prs|src)-(\d+)"')


def hashed(m: re.Match) -> str:
    digest = hashlib.blake2b((m.group(1) + m.group(2)).encode(), digest_size=6).hexdigest()
    return '"%s-%s"' % (m.group(1), digest)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: random_ids.py IN.jsonl OUT.jsonl")
    with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
        for line in src:
            out.write(ID.sub(hashed, line))


if __name__ == "__main__":
    main()
