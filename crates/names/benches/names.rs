//! Throughput of keying and scoring, and heap used by the embedded tables.
//!
//! Run: `cargo bench -p tumen-names --bench names` (single thread).
//! Names are the 2,600+ spellings of the variant-group set (Hangul, Hanja,
//! RR, MR, DPRK, pinyin, informal, typos), cycled. `NAMES_BENCH_COLD_ONLY=1`
//! stops after the cold row (for `valgrind --tool=callgrind`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

/// Counts heap bytes only while `COUNTING` is on (the heap rows), so the
/// timed loops run on the plain system allocator, as a program would; the
/// counts are relative to the moment counting was switched on.
struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            let n = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
            PEAK.fetch_max(n, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        }
        unsafe { System.dealloc(p, l) }
    }
}

fn count_heap(on: bool) {
    if on {
        LIVE.store(0, Ordering::Relaxed);
        PEAK.store(0, Ordering::Relaxed);
    }
    COUNTING.store(on, Ordering::Relaxed);
}

fn mib(bytes: isize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[global_allocator]
static A: Counting = Counting;

/// Nanoseconds this thread has run on a CPU (Linux /proc schedstat): on a
/// shared machine, throughput per CPU-second is the per-core figure.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

fn cpu_secs(start: u64) -> f64 {
    (cpu_ns().saturating_sub(start)) as f64 / 1e9
}

const DATA: &str = include_str!("../data/variant_groups.tsv");

/// Every spelling of the set: the groups' (in order, as the same-pair
/// indices below assume), then the hard negatives'.
fn names() -> Vec<&'static str> {
    let mut v = Vec::new();
    for line in DATA.lines() {
        if let Some(rest) = line.strip_prefix("G\t") {
            v.extend(rest.split(" | ").map(str::trim));
        }
    }
    for line in DATA.lines() {
        if let Some(rest) = line.strip_prefix("N\t") {
            v.extend(rest.split('\t').map(str::trim));
        }
    }
    v
}

fn main() {
    count_heap(true);
    let t0 = Instant::now();
    // One name per script, so that every table built on first use (Hanja
    // masks included) is counted here.
    let _ = tumen_names::key("김철진");
    let _ = tumen_names::key("金哲鎭");
    let _ = tumen_names::key("Jin Zhezhen");
    let _ = tumen_names::surname_reading("Kim");
    // The per-thread word memo is not a table (it makes room for a list's
    // words at once): free it before counting.
    tumen_names::clear_word_memo();
    let table_bytes = LIVE.load(Ordering::Relaxed);
    count_heap(false);
    println!(
        "tables: {:.2} MiB heap after first use (parsed in {:.1} ms)",
        mib(table_bytes),
        t0.elapsed().as_secs_f64() * 1e3
    );

    let names = names();
    let n = names.len();
    // A digest of every key, to check that a faster version keys alike.
    let digest = {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        for s in &names {
            tumen_names::key(s).hash(&mut h);
        }
        h.finish()
    };
    println!("corpus: {n} spellings, digest of their keys {digest:016x}");

    // Keying.
    let cold_only = std::env::var_os("NAMES_BENCH_COLD_ONLY").is_some();
    let rounds = if cold_only { 1 } else { 400 };
    let t = Instant::now();
    let c0 = cpu_ns();
    let mut acc = 0usize;
    for _ in 0..rounds {
        for s in &names {
            acc += black_box(tumen_names::key(black_box(s))).candidates();
        }
    }
    let dt = t.elapsed().as_secs_f64();
    let total = (rounds * n) as f64;
    let ct = cpu_secs(c0);
    println!(
        "key():   {:>12.0} names/s wall, {:>10.0} names per CPU-second (candidates avg {:.2})",
        total / dt,
        total / ct,
        acc as f64 / total
    );

    // Cold: each spelling once with an empty word memo (cleared before each
    // pass), in this thread so that CPU time can be measured.
    let runs = 60;
    let mut wall = 0.0;
    let c0 = cpu_ns();
    for _ in 0..runs {
        tumen_names::clear_word_memo();
        let t = Instant::now();
        for s in &names {
            black_box(tumen_names::key(black_box(s)));
        }
        wall += t.elapsed().as_secs_f64();
    }
    let tot = (runs * n) as f64;
    println!(
        "key() cold (each spelling once, memo cleared, {runs} passes): {:>10.0} names/s wall, {:>10.0} per CPU-second",
        tot / wall,
        tot / cpu_secs(c0)
    );
    if cold_only {
        return;
    }

    // By script.
    for (label, pred) in [
        (
            "  Hangul",
            (|s: &str| s.chars().any(|c| ('가'..='힣').contains(&c))) as fn(&str) -> bool,
        ),
        ("  Latin ", |s: &str| {
            s.is_ascii() || s.chars().any(|c| c.is_ascii_alphabetic())
        }),
        ("  Hanja ", |s: &str| {
            s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
        }),
    ] {
        let sub: Vec<&str> = names.iter().copied().filter(|s| pred(s)).collect();
        let t = Instant::now();
        let c0 = cpu_ns();
        for _ in 0..rounds {
            for s in &sub {
                black_box(tumen_names::key(black_box(s)));
            }
        }
        let dt = t.elapsed().as_secs_f64();
        let tot = (rounds * sub.len()) as f64;
        println!(
            "{label}: {:>12.0} names/s wall, {:>10.0} per CPU-second ({} names)",
            tot / dt,
            tot / cpu_secs(c0),
            sub.len()
        );
    }

    // Scoring.
    let keys: Vec<_> = names.iter().map(|s| tumen_names::key(s)).collect();
    let pairs = 20_000_000usize;
    let t = Instant::now();
    let c0 = cpu_ns();
    let mut sum = 0.0;
    let mut i = 0usize;
    let mut j = 1usize;
    for _ in 0..pairs {
        sum += tumen_names::score(black_box(&keys[i]), black_box(&keys[j]));
        i += 1;
        if i == n {
            i = 0;
        }
        j += 7;
        if j >= n {
            j -= n;
        }
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "score(): {:>12.0} pairs/s wall, {:>10.0} per CPU-second (mean score {:.3})",
        pairs as f64 / dt,
        pairs as f64 / cpu_secs(c0),
        sum / pairs as f64
    );

    // Same-group pairs (the expensive, matching case).
    let mut same = Vec::new();
    let mut k = 0;
    for line in DATA.lines() {
        if let Some(rest) = line.strip_prefix("G\t") {
            let m = rest.split(" | ").count();
            for a in 0..m {
                for b in a + 1..m {
                    same.push((k + a, k + b));
                }
            }
            k += m;
        }
    }
    let reps = 2000;
    let t = Instant::now();
    let c0 = cpu_ns();
    let mut hits = 0usize;
    for _ in 0..reps {
        for &(a, b) in &same {
            hits +=
                (tumen_names::score(&keys[a], &keys[b]) >= tumen_names::SAME_THRESHOLD) as usize;
        }
    }
    let dt = t.elapsed().as_secs_f64();
    let total = (reps * same.len()) as f64;
    println!(
        "score() on matching pairs: {:>12.0} pairs/s wall, {:>10.0} per CPU-second ({} / {} same)",
        total / dt,
        total / cpu_secs(c0),
        hits / reps,
        same.len()
    );

    // Full explained comparison.
    let t = Instant::now();
    let c0 = cpu_ns();
    let m = 50_000;
    for q in 0..m {
        black_box(tumen_names::compare(names[q % n], names[(q * 7 + 3) % n]));
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "compare(): {:>10.0} pairs/s wall, {:>10.0} per CPU-second (with explanation)",
        m as f64 / dt,
        m as f64 / cpu_secs(c0)
    );
    // Heap beyond the tables while keying the corpus from a cold memo
    // (memo, candidates, keys kept).
    tumen_names::clear_word_memo();
    count_heap(true);
    let kept: Vec<_> = names.iter().map(|s| tumen_names::key(s)).collect();
    let peak = PEAK.load(Ordering::Relaxed);
    count_heap(false);
    println!(
        "peak heap beyond the tables while keying the corpus (keys kept, memo filled): {:.2} MiB; tables + that: {:.2} MiB",
        mib(peak),
        mib(table_bytes + peak)
    );
    drop(kept);
}
