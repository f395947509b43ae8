//! Timing of `estimate()` with Rcapture's default model set on tables with
//! many lists (8, 12, 15), with and without profile-likelihood intervals.
//! Not a test; figures go to BENCHMARKS.md.
//!
//! `cargo run --release -p tumen-estimate --example many_lists`

use std::time::Instant;
use tumen_estimate::{CaptureTable, EstimateRequest, estimate};

fn main() {
    for k in [8usize, 12, 15] {
        // A fixed pseudo-random population of 20,000 (xorshift, seed 12345)
        // with heterogeneous capture probabilities.
        let mut s: u64 = 12345;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut counts = vec![0u64; 1 << k];
        for _ in 0..20_000 {
            let f = 0.5 + next();
            let mut m = 0;
            for i in 0..k {
                if next() < 0.12 * f * (1.0 + (i % 3) as f64 * 0.3) {
                    m |= 1 << i;
                }
            }
            if m != 0 {
                counts[m] += 1;
            }
        }
        let lists = (0..k).map(|i| format!("L{}", i + 1)).collect();
        let t = CaptureTable::new(lists, counts).expect("table");
        for profile in [false, true] {
            let t0 = Instant::now();
            let r = estimate(
                &t,
                &EstimateRequest {
                    profile,
                    ..Default::default()
                },
            )
            .expect("estimate");
            let with = r.models.iter().filter(|m| m.estimate.is_some()).count();
            println!(
                "{k} lists, {} people, {} models ({with} with an estimate), profile intervals {}: {:.2} s",
                t.observed(),
                r.models.len(),
                if profile { "yes" } else { "no" },
                t0.elapsed().as_secs_f64()
            );
        }
    }
}
