#!/usr/bin/env python3
"""Independent reference values for tumen-protect's Shamir sharing.

GF(2^8) here uses log/antilog tables with generator 0x03 (our Rust code
multiplies bit by bit instead), the AES polynomial x^8+x^4+x^3+x+1.
Shares are written in the TSS1 text format described in src/shamir.rs.
Run: python3 shamir_ref.py > shamir_ref.json
"""
import hashlib, json

EXP = [0] * 512
LOG = [0] * 256
x = 1
for i in range(255):
    EXP[i] = x
    LOG[x] = i
    # multiply by 3 = x*2 ^ x
    x2 = (x << 1) ^ (0x11B if x & 0x80 else 0)
    x = x2 ^ x
for i in range(255, 512):
    EXP[i] = EXP[i - 255]

def mul(a, b):
    if a == 0 or b == 0:
        return 0
    return EXP[LOG[a] + LOG[b]]

def inv(a):
    return 0 if a == 0 else EXP[255 - LOG[a]]

table = bytes(mul(a, b) for a in range(256) for b in range(256))

state = 0x2545F4914F6CDD1D
def rnd():
    """xorshift64*: a fixed, documented stream of bytes."""
    global state
    state ^= (state >> 12) & 0xFFFFFFFFFFFFFFFF
    state ^= (state << 25) & 0xFFFFFFFFFFFFFFFF
    state ^= (state >> 27) & 0xFFFFFFFFFFFFFFFF
    return ((state * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) >> 56

products = []
for _ in range(1000):
    a, b = rnd(), rnd()
    products.append([a, b, mul(a, b)])

def poly(coeffs, x):
    y = 0
    for c in reversed(coeffs):
        y = mul(y, x) ^ c
    return y

def share_text(set_id, k, i, value, check):
    body = "TSS1-%s-%02x%02x-%s-%s" % (set_id.hex(), k, i, bytes(value).hex(), check.hex())
    return body + "-" + hashlib.sha256(body.encode()).digest()[:4].hex()

cases = []
for k, n in [(2, 3), (3, 5), (5, 7), (3, 255)]:
    key = bytes(rnd() for _ in range(32))
    coeffs = [[key[b]] + [rnd() for _ in range(k - 1)] for b in range(32)]
    set_id = bytes(rnd() for _ in range(8))
    check = hashlib.sha256(b"tumen-recovery-key-check-v1" + key).digest()[:8]
    shares = [share_text(set_id, k, i, [poly(coeffs[b], i) for b in range(32)], check)
              for i in range(1, n + 1)]
    cases.append({"k": k, "n": n, "key_hex": key.hex(), "set_id_hex": set_id.hex(),
                  "coefficients_hex": [bytes(c).hex() for c in coeffs], "shares": shares})

print(json.dumps({
    "mul_table_sha256": hashlib.sha256(table).hexdigest(),
    "inverses": [inv(a) for a in range(256)],
    "products": products,
    "cases": cases,
}, indent=0))
