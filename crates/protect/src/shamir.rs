//! Shamir secret sharing of the archive's 32-byte recovery key over GF(2^8),
//! so that no single trustee can open the archive, but any `k` of `n` can
//! when the passphrase is lost (as Martus did).
//!
//! Each of the 32 key bytes is the constant term of its own random polynomial
//! of degree `k − 1` over GF(2^8) (the AES field, x⁸ + x⁴ + x³ + x + 1); share
//! `i` holds the 32 polynomial values at x = i (1 ≤ i ≤ 255). Any `k` shares
//! give the key back by Lagrange interpolation at 0; `k − 1` shares are
//! consistent with every possible key (tested).
//!
//! Field arithmetic is done bit by bit without tables or branches on secret
//! data, so its timing does not depend on the key.
//!
//! **Detecting bad shares.** A share is written as text that trustees can
//! print, keep on paper and type back:
//!
//! ```text
//! TSS1-<set id, 16 hex>-<k, 2 hex><index, 2 hex>-<value, 64 hex>-<key check, 16 hex>-<checksum, 8 hex>
//! ```
//!
//! * the *checksum* (first 4 bytes of SHA-256 over the rest) catches a
//!   mistyped or damaged share before it is used;
//! * the *set id* (random per split) catches shares from another split;
//! * the *key check* (first 8 bytes of SHA-256 of a domain tag and the key)
//!   catches a well-formed but wrong share: the reconstruction is compared
//!   with it, so garbage is never returned as a key. It reveals a 64-bit hash
//!   of a 256-bit random key, which does not help to find the key.
//!
//! With more than `k` shares, every extra share is checked to lie on the
//! same polynomials, and an inconsistent one is named by its index.

use rand::CryptoRng;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of the shared secret.
pub const KEY_LEN: usize = 32;

/// Multiply in GF(2^8) modulo x⁸ + x⁴ + x³ + x + 1, in constant time.
pub(crate) fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    for _ in 0..8 {
        p ^= (b & 1).wrapping_neg() & a;
        let hi = a >> 7;
        a = (a << 1) ^ (hi.wrapping_neg() & 0x1b);
        b >>= 1;
    }
    p
}

/// Multiplicative inverse (a²⁵⁴); 0 maps to 0.
pub(crate) fn gf_inv(a: u8) -> u8 {
    // a^254 = a^(2+4+8+16+32+64+128)
    let mut result = 1u8;
    let mut sq = a;
    for _ in 0..7 {
        sq = gf_mul(sq, sq);
        result = gf_mul(result, sq);
    }
    result
}

/// Evaluate the polynomial with coefficients `coeffs` (constant term first) at `x`.
pub(crate) fn eval_poly(coeffs: &[u8], x: u8) -> u8 {
    coeffs.iter().rev().fold(0u8, |acc, &c| gf_mul(acc, x) ^ c)
}

/// The value at 0 of the polynomial through `points` (distinct non-zero x).
pub(crate) fn interpolate_at(points: &[(u8, u8)], at: u8) -> u8 {
    let mut sum = 0u8;
    for (i, &(xi, yi)) in points.iter().enumerate() {
        let mut num = 1u8;
        let mut den = 1u8;
        for (j, &(xj, _)) in points.iter().enumerate() {
            if i != j {
                num = gf_mul(num, xj ^ at);
                den = gf_mul(den, xj ^ xi);
            }
        }
        sum ^= gf_mul(yi, gf_mul(num, gf_inv(den)));
    }
    sum
}

/// The recovery key. Wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey(pub [u8; KEY_LEN]);

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(…)")
    }
}

impl RecoveryKey {
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> RecoveryKey {
        let mut k = [0u8; KEY_LEN];
        rng.fill_bytes(&mut k);
        RecoveryKey(k)
    }
    /// The 8-byte check value every share carries.
    pub fn check_value(&self) -> [u8; 8] {
        let mut h = Sha256::new();
        h.update(b"tumen-recovery-key-check-v1");
        h.update(self.0);
        let d = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&d[..8]);
        out
    }
}

/// One trustee's share.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Share {
    /// Random identifier of the split this share belongs to.
    pub set_id: [u8; 8],
    /// Shares needed.
    pub threshold: u8,
    /// x coordinate, 1–255.
    pub index: u8,
    /// The 32 polynomial values at `index`.
    pub value: [u8; KEY_LEN],
    /// [`RecoveryKey::check_value`] of the shared key.
    pub key_check: [u8; 8],
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Share {{ set {}, {} of k={}, … }}",
            hex::encode(self.set_id),
            self.index,
            self.threshold
        )
    }
}

/// What went wrong splitting, parsing or combining.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    #[error("need 2 ≤ k ≤ n ≤ 255; got k = {k}, n = {n}")]
    BadParameters { k: usize, n: usize },
    #[error("share text: {0}")]
    Syntax(&'static str),
    #[error("share {index}: checksum does not match; the share is mistyped or damaged")]
    Checksum { index: u8 },
    #[error("share index 0 is invalid")]
    ZeroIndex,
    #[error("share threshold {0} is below 2")]
    BadThreshold(u8),
    #[error("need {need} shares, got {got}")]
    TooFew { need: u8, got: usize },
    #[error("share {index} belongs to a different split (set id or threshold differ)")]
    MixedSets { index: u8 },
    #[error("share {index} appears twice")]
    Duplicate { index: u8 },
    #[error(
        "the shares do not reconstruct the key (key check failed): at least one share is wrong"
    )]
    WrongKey,
    #[error("share {index} is not consistent with the others")]
    Inconsistent { index: u8 },
}

/// Split `key` into `n` shares, any `k` of which reconstruct it.
pub fn split<R: CryptoRng + ?Sized>(
    key: &RecoveryKey,
    n: usize,
    k: usize,
    rng: &mut R,
) -> Result<Vec<Share>, ShamirError> {
    if !(2 <= k && k <= n && n <= 255) {
        return Err(ShamirError::BadParameters { k, n });
    }
    let mut set_id = [0u8; 8];
    rng.fill_bytes(&mut set_id);
    // coeffs[b] = [key byte b, random a1 … a(k−1)]
    let mut coeffs: Zeroizing<Vec<Vec<u8>>> = Zeroizing::new(Vec::with_capacity(KEY_LEN));
    for &byte in &key.0 {
        let mut c = vec![0u8; k];
        c[0] = byte;
        rng.fill_bytes(&mut c[1..]);
        coeffs.push(c);
    }
    Ok(shares_from_coefficients(
        &coeffs,
        n,
        k as u8,
        set_id,
        key.check_value(),
    ))
}

pub(crate) fn shares_from_coefficients(
    coeffs: &[Vec<u8>],
    n: usize,
    k: u8,
    set_id: [u8; 8],
    key_check: [u8; 8],
) -> Vec<Share> {
    (1..=n as u8)
        .map(|x| {
            let mut value = [0u8; KEY_LEN];
            for (v, c) in value.iter_mut().zip(coeffs) {
                *v = eval_poly(c, x);
            }
            Share {
                set_id,
                threshold: k,
                index: x,
                value,
                key_check,
            }
        })
        .collect()
}

fn points(shares: &[&Share], byte: usize) -> Vec<(u8, u8)> {
    shares.iter().map(|s| (s.index, s.value[byte])).collect()
}

/// Reconstruct the key from at least `k` shares of one split. Refuses shares
/// of different splits, duplicates, too few shares, any extra share that is
/// inconsistent with the first `k`, and a result that fails the key check.
pub fn combine(shares: &[Share]) -> Result<RecoveryKey, ShamirError> {
    let first = shares
        .first()
        .ok_or(ShamirError::TooFew { need: 2, got: 0 })?;
    for s in shares {
        if s.index == 0 {
            return Err(ShamirError::ZeroIndex);
        }
        if s.threshold < 2 {
            return Err(ShamirError::BadThreshold(s.threshold));
        }
        if s.set_id != first.set_id
            || s.threshold != first.threshold
            || s.key_check != first.key_check
        {
            return Err(ShamirError::MixedSets { index: s.index });
        }
    }
    let mut seen = [false; 256];
    for s in shares {
        if std::mem::replace(&mut seen[usize::from(s.index)], true) {
            return Err(ShamirError::Duplicate { index: s.index });
        }
    }
    let k = usize::from(first.threshold);
    if shares.len() < k {
        return Err(ShamirError::TooFew {
            need: first.threshold,
            got: shares.len(),
        });
    }
    let base: Vec<&Share> = shares.iter().take(k).collect();
    let mut key = RecoveryKey([0u8; KEY_LEN]);
    for (b, out) in key.0.iter_mut().enumerate() {
        *out = interpolate_at(&points(&base, b), 0);
    }
    if key.check_value() != first.key_check {
        return Err(ShamirError::WrongKey);
    }
    for extra in shares.iter().skip(k) {
        let consistent =
            (0..KEY_LEN).all(|b| interpolate_at(&points(&base, b), extra.index) == extra.value[b]);
        if !consistent {
            return Err(ShamirError::Inconsistent { index: extra.index });
        }
    }
    Ok(key)
}

const PREFIX: &str = "TSS1";

impl Share {
    fn body(&self) -> String {
        format!(
            "{PREFIX}-{}-{:02x}{:02x}-{}-{}",
            hex::encode(self.set_id),
            self.threshold,
            self.index,
            hex::encode(self.value),
            hex::encode(self.key_check)
        )
    }

    fn checksum(body: &str) -> [u8; 4] {
        let d = Sha256::digest(body.as_bytes());
        [d[0], d[1], d[2], d[3]]
    }

    /// The printable form (contains secret material: give it to one trustee only).
    pub fn to_text(&self) -> Zeroizing<String> {
        let body = self.body();
        let sum = Share::checksum(&body);
        Zeroizing::new(format!("{body}-{}", hex::encode(sum)))
    }

    /// Parse the printable form. White space anywhere is ignored and hex may be
    /// upper or lower case, so a share typed from paper in groups parses.
    pub fn parse(text: &str) -> Result<Share, ShamirError> {
        if text.len() > 1024 {
            return Err(ShamirError::Syntax("longer than 1024 bytes"));
        }
        let clean: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase(),
        );
        let parts: Vec<&str> = clean.split('-').collect();
        let [prefix, set, ki, value, check, sum] = parts.as_slice() else {
            return Err(ShamirError::Syntax("expected 6 parts separated by '-'"));
        };
        if *prefix != PREFIX.to_ascii_lowercase() {
            return Err(ShamirError::Syntax("does not start with TSS1"));
        }
        let fixed = |s: &str, len: usize, what: &'static str| -> Result<Vec<u8>, ShamirError> {
            if s.len() != len * 2 {
                return Err(ShamirError::Syntax(what));
            }
            hex::decode(s).map_err(|_| ShamirError::Syntax(what))
        };
        let set_id: [u8; 8] = fixed(set, 8, "set id must be 16 hex digits")?
            .try_into()
            .map_err(|_| ShamirError::Syntax("set id"))?;
        let kib = fixed(ki, 2, "threshold and index must be 4 hex digits")?;
        let (threshold, index) = match kib.as_slice() {
            [k, i] => (*k, *i),
            _ => return Err(ShamirError::Syntax("threshold and index")),
        };
        let mut v = Zeroizing::new(fixed(value, KEY_LEN, "value must be 64 hex digits")?);
        let mut value_arr = [0u8; KEY_LEN];
        value_arr.copy_from_slice(&v);
        v.zeroize();
        let key_check: [u8; 8] = fixed(check, 8, "key check must be 16 hex digits")?
            .try_into()
            .map_err(|_| ShamirError::Syntax("key check"))?;
        let got_sum = fixed(sum, 4, "checksum must be 8 hex digits")?;
        let share = Share {
            set_id,
            threshold,
            index,
            value: value_arr,
            key_check,
        };
        if Share::checksum(&share.body()).as_slice() != got_sum.as_slice() {
            return Err(ShamirError::Checksum { index });
        }
        if index == 0 {
            return Err(ShamirError::ZeroIndex);
        }
        if threshold < 2 {
            return Err(ShamirError::BadThreshold(threshold));
        }
        Ok(share)
    }
}

#[cfg(test)]
mod tests;
