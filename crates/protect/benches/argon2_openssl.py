#!/usr/bin/env python3
"""The peer for tumen-protect's Argon2id timing: OpenSSL's Argon2id through
Python `cryptography`, same parameters, same machine, single-threaded.
Run: python3 crates/protect/benches/argon2_openssl.py"""
import time
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

for label, m, t, p in [("m=64 MiB t=3 p=4 (RECOMMENDED)", 65536, 3, 4), ("m=19 MiB t=2 p=1 (MINIMUM)", 19456, 2, 1)]:
    def once():
        Argon2id(salt=b"\x07" * 16, length=32, iterations=t, lanes=p, memory_cost=m).derive(b"ice on the tumen river")
    once()
    reps = 5
    start = time.perf_counter()
    for _ in range(reps):
        once()
    print("openssl argon2id hash, %-40s %10.3f ms" % (label, (time.perf_counter() - start) / reps * 1e3))
