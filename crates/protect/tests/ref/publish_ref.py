#!/usr/bin/env python3
"""Independent reference for tumen-protect's publication: k-anonymity
equivalence classes and HMAC pseudonyms, computed without our Rust code.

A fixed synthetic archive (xorshift stream, no real people): provinces >
counties > cities, and persons with sex, a birth date and a home city. The
policy publishes sex, birth year and home county; the quasi-identifiers are
those three. Expected: every class smaller than k = 3 (as sorted id lists),
and the smallest class after suppressing them.
Run: python3 publish_ref.py > publish_ref.json
"""
import hashlib, hmac, json
from collections import defaultdict

state = 0x9E3779B97F4A7C15
def rnd(n):
    global state
    state ^= (state >> 12); state ^= (state << 25) & 0xFFFFFFFFFFFFFFFF; state ^= (state >> 27)
    return (((state * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) >> 33) % n

records = []
county_of = {}
for p in range(2):
    pid = "plc-prov-%d" % p
    records.append({"kind": "place", "id": pid, "sensitivity": "public",
                    "names": [{"text": "Province %d" % p, "script": "latin", "kind": "official"}],
                    "place_type": "province"})
    for c in range(3):
        cid = "plc-county-%d-%d" % (p, c)
        records.append({"kind": "place", "id": cid, "sensitivity": "public",
                        "names": [{"text": "County %d-%d" % (p, c), "script": "latin", "kind": "official"}],
                        "place_type": "county", "parent": pid})
        for t in range(2):
            tid = "plc-city-%d-%d-%d" % (p, c, t)
            records.append({"kind": "place", "id": tid, "sensitivity": "public",
                            "names": [{"text": "City %d-%d-%d" % (p, c, t), "script": "latin", "kind": "official"}],
                            "place_type": "city", "parent": cid})
            county_of[tid] = cid
cities = sorted(county_of)

persons = []
for i in range(120):
    sex = ["female", "male"][rnd(2)]
    year = 1985 + rnd(3)
    month = 1 + rnd(12)
    day = 1 + rnd(28)
    city = cities[rnd(len(cities))]
    pid = "prs-%04d" % i
    persons.append((pid, sex, year, city))
    records.append({"kind": "person", "id": pid, "sensitivity": "public",
                    "names": [{"text": "Person %d" % i, "script": "latin", "kind": "legal"}],
                    "sex": sex, "birth_date": "%04d-%02d-%02d" % (year, month, day), "origin": city,
                    "claims": [{"source": "src-0001"}]})
records.append({"kind": "source", "id": "src-0001", "sensitivity": "public",
                "source_type": "report", "title": "A public report"})

K = 3
classes = defaultdict(list)
for pid, sex, year, city in persons:
    classes[(sex, str(year), county_of[city])].append(pid)
small = sorted(sorted(ids) for ids in classes.values() if len(ids) < K)
kept = [len(ids) for ids in classes.values() if len(ids) >= K]

key = bytes(range(32))
def pseudonym(letter, rid):
    d = hmac.new(key, b"tumen-pseudonym-v1\0" + rid.encode(), hashlib.sha256).digest()
    n = int.from_bytes(d[:7], "big") >> 6  # 56 - 6 = 50 bits
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return letter + "-" + "".join(alphabet[(n >> (5 * i)) & 31] for i in reversed(range(10)))

print(json.dumps({
    "k": K,
    "records": records,
    "small_classes": small,
    "persons_published_after_suppression": sum(kept),
    "smallest_class_after_suppression": min(kept),
    "pseudonym_key_hex": key.hex(),
    "pseudonyms": {rid: pseudonym("P", rid) for rid in ["prs-0000", "prs-0001", "prs-0119"]},
}, indent=0))
