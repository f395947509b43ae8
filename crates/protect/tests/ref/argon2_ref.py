#!/usr/bin/env python3
"""Independent Argon2id reference values for tumen-protect's accounts tests.

Uses the Python `cryptography` package (OpenSSL's Argon2id), not our code.
Run: python3 argon2_ref.py > argon2_ref.json
"""
import json
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

cases = []
for pw, salt, m, t, p in [
    ("correct horse battery staple", bytes(range(16)), 1024, 1, 1),
    ("탈북자 보호 비밀번호 2023", bytes(range(16, 32)), 2048, 2, 2),
]:
    k = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m)
    cases.append({
        "password": pw, "salt_hex": salt.hex(), "m_kib": m, "t": t, "p": p,
        "phc": k.derive_phc_encoded(pw.encode()),
    })

# RFC 9106 section 5.3 (Argon2id) inputs, recomputed by OpenSSL.
k = Argon2id(salt=b"\x02" * 16, length=32, iterations=3, lanes=4, memory_cost=32,
             ad=b"\x04" * 12, secret=b"\x03" * 8)
rfc = k.derive(b"\x01" * 32).hex()
print(json.dumps({"phc_cases": cases, "rfc9106_argon2id_tag_hex": rfc}, ensure_ascii=False, indent=1))
