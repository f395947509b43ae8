//! Benchmark of the LCMCR Gibbs sampler, and the large-replication version of
//! the simulation coverage check in `tests/coverage.rs`.
//!
//! Run: `cargo bench -p tumen-estimate --bench lcmcr` (add `-- --quick` to
//! skip the long coverage study). `bench/estimate/lcmcr.sh` runs it beside
//! a peer on the same table in one run: the plain-Python reference sampler
//! `tests/reference/lcmcr_naive.py`. (R's LCMCR package, about 29,000
//! sweeps per second here according to the issue, cannot be installed:
//! CRAN is out of reach of this machine.)

use std::time::Instant;

use tumen_estimate::lcmcr::{LcmcrConfig, fit};
use tumen_estimate::table::CaptureTable;

#[path = "../tests/common/sim.rs"]
mod sim;

/// Expected counts of a 4-list, 2-class population of 7,000 (about 4,400
/// observed), rounded: the shape of a mid-sized documentation project.
fn four_list_table() -> CaptureTable {
    let classes = [
        (0.6, [0.15, 0.10, 0.20, 0.12]),
        (0.4, [0.45, 0.50, 0.35, 0.40]),
    ];
    let big_n = 7_000.0;
    let mut counts = vec![0u64; 16];
    for (mask, c) in counts.iter_mut().enumerate().skip(1) {
        let mut p: f64 = 0.0;
        for (w, lam) in &classes {
            let mut q = *w;
            for (j, l) in lam.iter().enumerate() {
                q *= if mask & (1 << j) != 0 { *l } else { 1.0 - l };
            }
            p += q;
        }
        *c = (big_n * p).round() as u64;
    }
    CaptureTable::new(vec!["A".into(), "B".into(), "C".into(), "D".into()], counts)
        .expect("valid table")
}

/// CPU time this thread has run, from /proc/thread-self/schedstat (ns), so
/// the figure is per core even on a shared, loaded machine. `None` where
/// the file does not exist.
fn thread_cpu_secs() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let table = four_list_table();
    println!(
        "table: 4 lists, {} observed, {} distinct patterns",
        table.observed(),
        table.counts().iter().filter(|&&c| c > 0).count()
    );
    // The same table for the peers in bench/estimate/lcmcr.sh (dense counts
    // by pattern bit mask, list A = bit 0).
    let dense: Vec<String> = table.counts().iter().map(u64::to_string).collect();
    println!("counts: {}", dense.join(","));
    // Speed: one chain, K = 10, every sweep kept (thinning 1) so the figure
    // is sweeps per second including the bookkeeping of the trace.
    let sweeps = 200_000;
    for round in 0..3 {
        let cfg = LcmcrConfig {
            k: 10,
            burnin: 0,
            samples: sweeps,
            thinning: 1,
            chains: 1,
            seed: 1 + round,
            ..Default::default()
        };
        let t0 = Instant::now();
        let c0 = thread_cpu_secs();
        let r = fit(&table, &cfg).expect("fit");
        let secs = t0.elapsed().as_secs_f64();
        let cpu = match (c0, thread_cpu_secs()) {
            (Some(a), Some(b)) => b - a,
            _ => secs,
        };
        println!(
            "lcmcr K=10, {sweeps} sweeps, one thread: wall {secs:.3} s, cpu {cpu:.3} s = {:.0} sweeps per cpu-second ({:.0} per wall-second) (median N {:.0}, 95% {:.0}-{:.0})",
            sweeps as f64 / cpu,
            sweeps as f64 / secs,
            r.median,
            r.q025,
            r.q975
        );
    }
    // The default configuration end to end (4 chains, 140,000 sweeps).
    let t0 = Instant::now();
    let r = fit(&table, &LcmcrConfig::default()).expect("fit");
    println!(
        "default config (4 chains x 35,000 sweeps): {:.3} s; median {:.0}, 95% {:.0}-{:.0}, ess {:.0}, rhat {:.4} (truth 7000)",
        t0.elapsed().as_secs_f64(),
        r.median,
        r.q025,
        r.q975,
        r.ess,
        r.rhat
    );
    if quick {
        return;
    }
    // Coverage at scale: the same scenarios as tests/coverage.rs with many
    // more replications.
    let t0 = Instant::now();
    for scenario in sim::scenarios().into_iter().chain(sim::hard_scenarios()) {
        let reps = 200;
        let c = sim::lcmcr_coverage(&scenario, reps, 1_000, sim::bench_config());
        println!(
            "coverage {}: LCMCR 95% interval covered N={} in {}/{} = {:.3} (binomial 95% band for 0.95: {:.3}-{:.3}); median rel. error {:.3}; mean width {:.0}",
            scenario.name,
            scenario.big_n,
            c.covered,
            c.reps,
            c.rate(),
            0.95 - 1.96 * (0.95 * 0.05 / reps as f64).sqrt(),
            0.95 + 1.96 * (0.95 * 0.05 / reps as f64).sqrt(),
            c.median_rel_error,
            c.mean_width
        );
    }
    for scenario in sim::scenarios().into_iter().chain(sim::hard_scenarios()) {
        let reps = 2_000;
        let c = sim::independence_coverage(&scenario, reps, 3_000);
        println!(
            "coverage {}: log-linear independence (Mt) log-normal 95% interval covered N in {}/{} = {:.3} (refused {})",
            scenario.name,
            c.covered,
            c.reps,
            c.rate(),
            c.refused
        );
    }
    let reps = 2_000;
    let c = sim::chapman_coverage(reps, 2_000);
    println!(
        "coverage two independent lists: Chapman 95% interval covered N in {}/{} = {:.3}",
        c.covered,
        c.reps,
        c.rate()
    );
    println!("coverage study: {:.1} s", t0.elapsed().as_secs_f64());
}
