//! Benchmark of the model search (run by `bench/estimate/run.sh`, not a
//! test): fits and ranks every hierarchical log-linear model with all main
//! effects and any set of interactions up to an order, on a counts CSV.
//!
//! `cargo run --release -p tumen-estimate --example search_bench -- TABLE.csv [MAX_ORDER] [ROWS_OUT.json]`

use std::time::Instant;
use tumen_estimate::search::{Criterion, rank_rows, search_all};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: search_bench TABLE.csv [MAX_ORDER] [ROWS_OUT.json]");
        std::process::exit(2);
    };
    let order: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("reading {path}: {e}");
        std::process::exit(1)
    });
    let table = tumen_estimate::parse_counts_csv(&text).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    // Warm-up, then timed repetitions.
    let _ = search_all(&table, order, Criterion::Aic, 1 << 22).expect("search");
    let mut times = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        rows = search_all(&table, order, Criterion::Aic, 1 << 22).expect("search");
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let fitted = rows.len();
    let without = rows.iter().filter(|r| r.estimate.is_none()).count();
    println!(
        "lists: {}  people: {}  max order: {order}",
        table.num_lists(),
        table.observed()
    );
    println!("models fitted and ranked: {fitted} ({without} without an estimate)");
    println!(
        "time per full search (5 runs): min {:.3} s, median {:.3} s, max {:.3} s",
        times[0], times[2], times[4]
    );
    println!("per model: {:.1} µs", times[2] / fitted as f64 * 1e6);
    println!("best by AIC:");
    for r in rows.iter().take(3) {
        println!(
            "  {:<60} N {:>9.1}  SE {:>7.1}  AIC {:.3}",
            r.model,
            r.estimate.unwrap_or(f64::NAN),
            r.se.unwrap_or(f64::NAN),
            r.aic.unwrap_or(f64::NAN)
        );
    }
    let mut by_bic = rows.clone();
    rank_rows(&mut by_bic, Criterion::Bic);
    println!("best by BIC:");
    for r in by_bic.iter().take(3) {
        println!(
            "  {:<60} N {:>9.1}  SE {:>7.1}  BIC {:.3}",
            r.model,
            r.estimate.unwrap_or(f64::NAN),
            r.se.unwrap_or(f64::NAN),
            r.bic.unwrap_or(f64::NAN)
        );
    }
    if let Some(out) = args.get(3) {
        let json = serde_json::to_string(&rows).expect("serialise");
        std::fs::write(out, json).unwrap_or_else(|e| eprintln!("writing {out}: {e}"));
    }
}
