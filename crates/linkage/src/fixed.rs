//! Fixed-point printing of weights and probabilities, the same text as
//! `format!("{:.N}")` (and `{:+.N}`) but without the standard library's
//! exact decimal expansion, which falls back to big-number arithmetic for
//! many values: pairs.csv prints six numbers and an explanation for every
//! candidate pair, and that formatting cost more than scoring the pairs.
//!
//! The value is scaled by 10^N and rounded in `f64`. That rounding can
//! differ from the exact decimal rounding only when the scaled value lies
//! within a few units in the last place of a half-way point; such values
//! (and anything too large or not finite) are handed to the standard
//! formatter, so the output is always identical to `format!`.

use std::fmt::Write;

const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Writes `x` with `decimals` digits after the point (the fast path serves
/// up to 9); with `plus`, a `+` before non-negative values (as `{:+.N}`).
pub fn write_fixed<W: Write>(out: &mut W, x: f64, decimals: usize, plus: bool) -> std::fmt::Result {
    if let Some(d) = POW10.get(decimals).copied() {
        let y = x.abs() * d;
        // 2^52: below it every integer and half-integer is exact in f64.
        if y.is_finite() && y < 4.5e15 {
            let floor = y.floor();
            let frac = y - floor;
            // Far enough from a tie that the f64 product rounds like the
            // exact value would (its error is below one ulp of `y`).
            let guard = 4.0 * f64::EPSILON * y.max(1.0);
            if (frac - 0.5).abs() > guard {
                let mut n = if frac > 0.5 { floor + 1.0 } else { floor } as u64;
                // Digits from the right: n < 2^53 has at most 16 digits,
                // the sign and the point make 18 bytes at most.
                let mut buf = [0u8; 32];
                let mut at = buf.len();
                let mut put = |b: u8| {
                    at -= 1;
                    buf[at] = b;
                };
                for _ in 0..decimals {
                    put(b'0' + (n % 10) as u8);
                    n /= 10;
                }
                if decimals > 0 {
                    put(b'.');
                }
                loop {
                    put(b'0' + (n % 10) as u8);
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                if x.is_sign_negative() {
                    put(b'-');
                } else if plus {
                    put(b'+');
                }
                // Only ASCII was written.
                out.write_str(std::str::from_utf8(&buf[at..]).unwrap_or_default())?;
                return Ok(());
            }
        }
    }
    if plus {
        write!(out, "{x:+.decimals$}")
    } else {
        write!(out, "{x:.decimals$}")
    }
}

/// `x` with `decimals` digits after the point, as `format!("{x:.N}")`.
pub fn fixed(x: f64, decimals: usize) -> String {
    let mut s = String::with_capacity(12);
    // Writing to a String cannot fail.
    let _ = write_fixed(&mut s, x, decimals, false);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn check(x: f64) {
        for d in 0..=9 {
            assert_eq!(fixed(x, d), format!("{x:.d$}"), "{x:e} .{d}");
            let mut got = String::new();
            write_fixed(&mut got, x, d, true).unwrap();
            assert_eq!(got, format!("{x:+.d$}"), "{x:e} +.{d}");
        }
    }

    /// The standard formatter is the reference: ties, near-ties, signs,
    /// zeros, tiny and huge values, and random values over many magnitudes.
    #[test]
    fn same_text_as_the_standard_formatter() {
        for x in [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            0.125,
            0.00005,
            -0.00005,
            0.00015,
            1.00005,
            0.99999995,
            0.9999995,
            2.675,
            1e-300,
            -1e-300,
            1e15,
            4.4e15,
            1e16,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            13.28125,
            -7.4453125,
            0.1 + 0.2,
        ] {
            check(x);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..5_000 {
            let m: f64 = rng.random_range(-1.0..1.0);
            let e: i32 = rng.random_range(-12..14);
            check(m * 10f64.powi(e));
            // Values on a grid of halves at some decimal place: exact ties
            // and their neighbours.
            let k: i64 = rng.random_range(-100_000..100_000);
            let d: i32 = rng.random_range(0..7);
            let t = (k as f64 + 0.5) / 10f64.powi(d);
            check(t);
            check(f64::from_bits(t.to_bits() + 1));
            check(f64::from_bits(t.to_bits().saturating_sub(1)));
        }
    }
}
