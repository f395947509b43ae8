//! Store benchmark (issue 2): import N acts with their persons and sources
//! from JSON Lines through the service's all-or-nothing batch path, into an
//! encrypted archive and — side by side, same build, same data — into an
//! unencrypted one; then time a filtered query (date range + place incl.
//! sub-places + act type) and the passphrase key derivation.
//!
//! Not a timed test: run with `bench/store/run.sh` (see BENCHMARKS.md).
//! Environment: `TUMEN_BENCH_ACTS` (default 1,000,000), `TUMEN_BENCH_DIR`
//! (default a temporary directory), `TUMEN_BENCH_QUERIES` (default 50),
//! `TUMEN_BENCH_PAGE_SIZE` (default: what `tumen init` uses, 4096; e.g.
//! `16384` to measure larger pages, recorded in the keyring),
//! `TUMEN_BENCH_PAGE_CIPHER` (default: what `tumen init` uses, `ctr` —
//! AES-256-CTR + GMAC; `cbc` for SQLCipher's AES-256-CBC, which older
//! archives have), `TUMEN_BENCH_PAGE_HMAC` (for `cbc` pages; default
//! `sha256`, `sha512` for SQLCipher 4's default),
//! `TUMEN_BENCH_IMPORT_ONLY=1` (only the imports: no key derivation, no
//! model-alone pass, no queries — for running under callgrind or perf;
//! with `TUMEN_BENCH_ENCRYPTED_FIRST=1` the encrypted import runs first).
//!
//! In a full run every import runs in a process of its own (this program,
//! started again with `TUMEN_BENCH_CHILD`), so that neither cipher inherits
//! the heap and the kernel state the other one left, and the imports come
//! in pairs of alternating order — unencrypted then encrypted, then
//! encrypted then unencrypted, … (`TUMEN_BENCH_PAIRS`, default 2) — so that
//! drift on a shared machine falls on both. The overhead is computed from
//! the sums over all pairs. The queries then run on both archives query
//! by query in turn, for the same reason.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};
use tumen_model::{Record, RecordId, RecordKind, day_number};
use tumen_service::{
    Archive, Cipher, Filter, ImportItem, ImportOptions, InitOptions, KdfParams, PageCipher,
    PageHmac, local_administrator,
};

/// The allocator the `tumen` binary uses, so that the figures are the
/// program's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A small deterministic generator (SplitMix64), so every run imports the
/// same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const PROVINCES: usize = 9;
const COUNTIES: usize = 12;
const ACT_TYPES: &[&str] = &[
    "arrest",
    "detention",
    "forced_repatriation",
    "interrogation",
    "torture",
    "ill_treatment",
    "forced_labour",
    "enforced_disappearance",
];
const DEGREES: &[&str] = &[
    "direct_perpetrator",
    "ordered",
    "complicit",
    "transferred_custody",
];
const ORGS: &[&str] = &[
    "org-mss",
    "org-mps",
    "org-kpa-border",
    "org-prc-mps",
    "org-prc-border",
];
const SURNAMES: &[&str] = &[
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim",
];
const HANGUL: &[&str] = &["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"];
const GIVEN: &[&str] = &[
    "Su-jin", "Young-ho", "Mi-ra", "Chol", "Hyun-a", "Song-il", "Eun-hee", "Kwang-su",
];

fn date_text(rng: &mut Rng) -> String {
    let y = 2015 + rng.below(10);
    let m = 1 + rng.below(12);
    let d = 1 + rng.below(28);
    match rng.below(10) {
        0 => format!("{y}"),
        1 | 2 => format!("{y}-{m:02}"),
        3 => format!("{y}-{m:02}-{d:02}~"),
        _ => format!("{y}-{m:02}-{d:02}"),
    }
}

/// Write the dataset; returns the number of records.
fn generate(path: &Path, acts: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::new(File::create(path)?);
    let mut rng = Rng(20231009);
    let mut n = 0u64;
    let persons = (acts / 5).max(1);
    let sources = (acts / 100).max(1);
    writeln!(
        w,
        r#"{{"kind":"place","id":"plc-kp","sensitivity":"public","names":[{{"text":"North Korea","script":"latin","kind":"official"}}],"place_type":"country"}}"#
    )?;
    n += 1;
    for p in 0..PROVINCES {
        writeln!(
            w,
            r#"{{"kind":"place","id":"plc-p{p}","sensitivity":"public","names":[{{"text":"Province {p}","script":"latin","kind":"official"}}],"place_type":"province","parent":"plc-kp"}}"#
        )?;
        n += 1;
        for c in 0..COUNTIES {
            writeln!(
                w,
                r#"{{"kind":"place","id":"plc-p{p}-c{c}","sensitivity":"public","names":[{{"text":"County {p}-{c}","script":"latin","kind":"official"}}],"place_type":"county","parent":"plc-p{p}"}}"#
            )?;
            n += 1;
        }
    }
    for o in ORGS {
        writeln!(
            w,
            r#"{{"kind":"organization","id":"{o}","sensitivity":"public","names":[{{"text":"Organization {o}","script":"latin","kind":"official"}}],"org_type":"state_security"}}"#
        )?;
        n += 1;
    }
    for s in 0..sources {
        let t = rng.pick(&[
            "witness_testimony",
            "interview",
            "document",
            "news_report",
            "ngo_report",
        ]);
        let sens = if t == "witness_testimony" || t == "interview" {
            "confidential"
        } else {
            "public"
        };
        writeln!(
            w,
            r#"{{"kind":"source","id":"src-{s:06}","sensitivity":"{sens}","source_type":"{t}","title":"Source number {s}","date":"{}","reliability":"{}"}}"#,
            date_text(&mut rng),
            rng.pick(&["A", "B", "C", "D"])
        )?;
        n += 1;
    }
    for p in 0..persons {
        let sens = if rng.below(10) == 0 {
            "confidential"
        } else {
            "restricted"
        };
        let sex = rng.pick(&["female", "male", "unknown"]);
        let i = rng.below(10) as usize;
        let given = rng.pick(GIVEN);
        writeln!(
            w,
            r#"{{"kind":"person","id":"prs-{p:07}","sensitivity":"{sens}","field_sensitivity":{{"birth_date":"confidential"}},"names":[{{"text":"{} {given}","script":"latin","kind":"romanization_as_given"}},{{"text":"{}가명","script":"hangul","kind":"legal","sensitivity":"confidential"}}],"sex":"{sex}","birth_date":"{}","origin":"plc-p{}-c{}","categories":["{}"],"claims":[{{"source":"src-{:06}"}}]}}"#,
            SURNAMES[i],
            HANGUL[i],
            1950 + rng.below(60),
            rng.below(PROVINCES as u64),
            rng.below(COUNTIES as u64),
            rng.pick(&["woman", "defector", "family_member", "child"]),
            rng.below(sources)
        )?;
        n += 1;
    }
    for a in 0..acts {
        let victim = a % persons;
        writeln!(
            w,
            r#"{{"kind":"act","id":"act-{a:07}","sensitivity":"restricted","act_type":"{}","victims":["prs-{victim:07}"],"date":"{}","place":"plc-p{}-c{}","involvements":[{{"perpetrator":"{}","degree":"{}"}}],"description":"Reported in testimony; details withheld.","claims":[{{"source":"src-{:06}","credibility":{},"basis":"heard_from_victim"}}]}}"#,
            rng.pick(ACT_TYPES),
            date_text(&mut rng),
            rng.below(PROVINCES as u64),
            rng.below(COUNTIES as u64),
            rng.pick(ORGS),
            rng.pick(DEGREES),
            rng.below(sources),
            1 + rng.below(6)
        )?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// Import the JSON Lines file into a fresh archive at `dir`; returns
/// (records, seconds).
fn import(dir: &Path, data: &Path, cipher: Cipher, total: u64) -> (u64, f64, f64) {
    let opts = InitOptions {
        kdf: KdfParams::insecure_fast_for_tests(),
        cipher,
        page_size: page_size(),
        page_hmac: page_hmac(),
        page_cipher: page_cipher(),
    };
    let archive = Archive::init(dir, "benchmark passphrase", opts).expect("init");
    let session = archive.session(local_administrator("bench"));
    let reader = BufReader::with_capacity(1 << 20, File::open(data).expect("open data"));
    let mut items = reader.lines().enumerate().map(|(i, line)| {
        let line = line.expect("read line");
        let record = Record::from_json(&line)
            .map_err(|e| vec![tumen_model::FieldError::new("", e.to_string())]);
        ImportItem {
            line: i as u64 + 1,
            record,
            id: None,
        }
    });
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let mut last = Instant::now();
    let summary = session
        .import_batch(
            &mut items,
            ImportOptions {
                total: Some(total),
                ..Default::default()
            },
            &mut |done, total| {
                if last.elapsed() > Duration::from_secs(5) {
                    eprintln!("  … {done} / {}", total.unwrap_or(0));
                    last = Instant::now();
                }
            },
        )
        .unwrap_or_else(|e| panic!("import failed: {e}"));
    let secs = start.elapsed().as_secs_f64();
    let steps: Vec<String> = summary
        .finish_steps
        .iter()
        .map(|(name, d)| format!("{name} {:.2} s", d.as_secs_f64()))
        .collect();
    eprintln!("  end of the import: {}", steps.join(", "));
    (summary.created, secs, cpu_seconds() - cpu0)
}

/// One import in a child process (see the module documentation): returns
/// what [`import`] returned there.
fn import_in_child(dir: &Path, data: &Path, cipher: Cipher, total: u64) -> (u64, f64, f64) {
    let exe = std::env::current_exe().expect("own path");
    let which = tag(cipher);
    let out = std::process::Command::new(exe)
        .arg("--bench")
        .env("TUMEN_BENCH_CHILD", which)
        .env("TUMEN_BENCH_CHILD_DIR", dir)
        .env("TUMEN_BENCH_CHILD_DATA", data)
        .env("TUMEN_BENCH_CHILD_TOTAL", total.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("start the import process");
    assert!(out.status.success(), "the {which} import process failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("child-result "))
        .unwrap_or_else(|| panic!("no result from the {which} import: {text}"));
    let f: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    (f[0] as u64, f[1], f[2])
}

/// The short name of each archive's cipher: its directory under the
/// bench's base directory and the child process's `TUMEN_BENCH_CHILD`.
fn tag(cipher: Cipher) -> &'static str {
    match cipher {
        Cipher::Sqlcipher => "enc",
        Cipher::NoneBenchmarkOnly => "plain",
    }
}

/// The child's side of [`import_in_child`]: `None` unless this process is one.
fn child_import() -> Option<()> {
    let which = std::env::var("TUMEN_BENCH_CHILD").ok()?;
    let cipher = match which.as_str() {
        "enc" => Cipher::Sqlcipher,
        "plain" => Cipher::NoneBenchmarkOnly,
        other => panic!("TUMEN_BENCH_CHILD={other}: enc or plain"),
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} unset"));
    let dir = std::path::PathBuf::from(var("TUMEN_BENCH_CHILD_DIR"));
    let data = std::path::PathBuf::from(var("TUMEN_BENCH_CHILD_DATA"));
    let total: u64 = var("TUMEN_BENCH_CHILD_TOTAL").parse().expect("total");
    let (n, secs, cpu) = import(&dir, &data, cipher, total);
    println!("child-result {n} {secs} {cpu}");
    Some(())
}

/// The page HMAC of the encrypted archive: `TUMEN_BENCH_PAGE_HMAC=sha512`
/// for SQLCipher 4's default (archives made before 2026-11-29), else what
/// `tumen init` uses.
fn page_hmac() -> PageHmac {
    match std::env::var("TUMEN_BENCH_PAGE_HMAC").ok().as_deref() {
        Some("sha512") => PageHmac::Sha512,
        Some("sha256") => PageHmac::Sha256,
        None => InitOptions::default().page_hmac,
        Some(other) => panic!("TUMEN_BENCH_PAGE_HMAC={other}: sha256 or sha512"),
    }
}

/// The page cipher of the encrypted archives: `TUMEN_BENCH_PAGE_CIPHER=cbc`
/// (SQLCipher 4's AES-256-CBC + HMAC) or `ctr` (AES-256-CTR + GMAC); unset:
/// what `tumen init` uses.
fn page_cipher() -> PageCipher {
    match std::env::var("TUMEN_BENCH_PAGE_CIPHER").ok().as_deref() {
        Some("cbc") => PageCipher::AesCbc,
        Some("ctr") => PageCipher::AesCtrGmac,
        None => InitOptions::default().page_cipher,
        Some(other) => panic!("TUMEN_BENCH_PAGE_CIPHER={other}: cbc or ctr"),
    }
}

/// The database page size of the benchmark's archives (both ciphers).
fn page_size() -> Option<u32> {
    match std::env::var("TUMEN_BENCH_PAGE_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(4096) => None,
        Some(n) => Some(n),
        None => InitOptions::default().page_size,
    }
}

/// The model's share of an import, on one thread: parse, validate, derive
/// index terms, serialize. Returns CPU seconds.
fn model_only(data: &Path) -> f64 {
    let vocabs = tumen_model::Vocabularies::builtin();
    let cpu0 = cpu_seconds();
    let reader = BufReader::with_capacity(1 << 20, File::open(data).expect("open data"));
    let mut bytes = 0usize;
    for line in reader.lines() {
        let rec = Record::from_json(&line.expect("line")).expect("parse");
        rec.validate(&vocabs).expect("valid");
        bytes += rec.index_terms().refs.len() + rec.to_json().len();
    }
    assert!(bytes > 0);
    cpu_seconds() - cpu0
}

/// CPU seconds (user + system) this process has used so far, from
/// /proc/self/stat — the machine is shared, so wall-clock time alone would
/// mostly measure the neighbours.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the full line: 11 and 12 here.
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    if child_import().is_some() {
        return;
    }
    // `cargo bench` passes `--bench`; ignore arguments.
    let acts: u64 = std::env::var("TUMEN_BENCH_ACTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let queries: usize = std::env::var("TUMEN_BENCH_QUERIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let tmp;
    let base = match std::env::var("TUMEN_BENCH_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            tmp = tempfile::tempdir().expect("tempdir");
            tmp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&base).expect("bench dir");
    let data = base.join("acts.jsonl");
    let t = Instant::now();
    let total = generate(&data, acts).expect("generate");
    println!(
        "dataset: {total} records ({acts} acts, {} persons, {} sources, {} places, {} organizations), {:.1} MB JSON Lines, generated in {:.1} s",
        (acts / 5).max(1),
        (acts / 100).max(1),
        1 + PROVINCES * (1 + COUNTIES),
        ORGS.len(),
        std::fs::metadata(&data).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // Under a profiler only the imports matter (Argon2id alone would take
    // minutes under callgrind).
    let import_only = std::env::var("TUMEN_BENCH_IMPORT_ONLY").is_ok_and(|v| v == "1");
    if import_only {
        let mut runs = [
            ("unencrypted", Cipher::NoneBenchmarkOnly),
            ("encrypted (SQLCipher)", Cipher::Sqlcipher),
        ];
        // The second import of a process runs on a heap and a page cache
        // the first one left behind: TUMEN_BENCH_ENCRYPTED_FIRST=1 swaps
        // the order, to see what that costs the overhead figure.
        if std::env::var("TUMEN_BENCH_ENCRYPTED_FIRST").is_ok_and(|v| v == "1") {
            runs.reverse();
        }
        for (label, cipher) in runs {
            if std::env::var("TUMEN_BENCH_ENCRYPTED_ONLY").is_ok_and(|v| v == "1")
                && cipher != Cipher::Sqlcipher
            {
                continue;
            }
            let dir = base.join(tag(cipher));
            let _ = std::fs::remove_dir_all(&dir);
            let (n, secs, cpu) = import(&dir, &data, cipher, total);
            assert_eq!(n, total, "every record imported");
            println!(
                "import {label}: {n} records in {secs:.1} s wall = {:.0} records/s; {cpu:.2} s CPU (both threads); files {:.0} MB",
                n as f64 / secs,
                dir_size(&dir) as f64 / 1e6
            );
        }
        return;
    }

    // Key derivation with the production parameters.
    let kdf_dir = base.join("kdf");
    let _ = std::fs::remove_dir_all(&kdf_dir);
    let t = Instant::now();
    drop(Archive::init(&kdf_dir, "benchmark passphrase", InitOptions::default()).expect("init"));
    let t_init = t.elapsed().as_secs_f64();
    let (t, c) = (Instant::now(), cpu_seconds());
    drop(Archive::open(&kdf_dir, "benchmark passphrase").expect("open"));
    let (t_open, c_open) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    let p = KdfParams::DEFAULT;
    println!(
        "key derivation: Argon2id m={} MiB t={} p={}: init {:.2} s wall, open {:.2} s wall / {:.2} s CPU",
        p.m_kib / 1024,
        p.t,
        p.p,
        t_init,
        t_open,
        c_open
    );
    match page_cipher() {
        PageCipher::AesCbc => println!(
            "page size: {} bytes, page cipher: AES-256-CBC, page HMAC: {}",
            page_size().unwrap_or(4096),
            page_hmac().sqlcipher_name()
        ),
        PageCipher::AesCtrGmac => println!(
            "page size: {} bytes, page cipher: AES-256-CTR + GMAC",
            page_size().unwrap_or(4096)
        ),
    }
    let model_cpu = model_only(&data);
    println!(
        "model alone (parse + validate + index terms + serialize, 1 thread): {model_cpu:.1} s CPU = {:.0} records/s per core",
        total as f64 / model_cpu
    );

    // TUMEN_BENCH_ENCRYPTED_ONLY=1 skips the unencrypted imports (for quick
    // experiments; the overhead figure then is not printed).
    let encrypted_only = std::env::var("TUMEN_BENCH_ENCRYPTED_ONLY").is_ok_and(|v| v == "1");
    let pairs: usize = std::env::var("TUMEN_BENCH_PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
        .max(1);
    // (records, wall seconds, CPU seconds) summed per cipher: [plain, enc].
    let mut sums = [(0u64, 0.0f64, 0.0f64); 2];
    for pair in 0..pairs {
        let mut order = [
            ("unencrypted", Cipher::NoneBenchmarkOnly),
            ("encrypted (SQLCipher)", Cipher::Sqlcipher),
        ];
        if pair % 2 == 1 {
            order.reverse();
        }
        for (label, cipher) in order {
            if encrypted_only && cipher != Cipher::Sqlcipher {
                continue;
            }
            let enc = cipher == Cipher::Sqlcipher;
            let dir = base.join(tag(cipher));
            let _ = std::fs::remove_dir_all(&dir);
            let (n, secs, cpu) = import_in_child(&dir, &data, cipher, total);
            assert_eq!(n, total, "every record imported");
            println!(
                "import {label} (pair {}): {n} records in {secs:.1} s wall = {:.0} records/s; {cpu:.1} s CPU (both threads) = {:.0} records per CPU-second; store side ≈ {:.1} s CPU = {:.0} records/s on its core; files {:.0} MB",
                pair + 1,
                n as f64 / secs,
                n as f64 / cpu,
                cpu - model_cpu,
                n as f64 / (cpu - model_cpu).max(1e-9),
                dir_size(&dir) as f64 / 1e6
            );
            let sum = &mut sums[usize::from(enc)];
            *sum = (sum.0 + n, sum.1 + secs, sum.2 + cpu);
        }
    }
    let [(pn, pw, pc), (en, ew, ec)] = sums;
    println!(
        "encrypted import over {pairs} run(s): {:.0} records/s ({:.1} s wall and {:.1} s CPU per import)",
        en as f64 / ew,
        ew / pairs as f64,
        ec / pairs as f64
    );
    if pn > 0 {
        println!(
            "encryption overhead on import ({pairs} pair(s), alternating order, sums): {:.1} % wall-clock, {:.1} % CPU",
            (ew / pw * pn as f64 / en as f64 - 1.0) * 100.0,
            (ec / pc * pn as f64 / en as f64 - 1.0) * 100.0
        );
    }

    // Filtered queries over each archive, reopened. With both archives, the
    // two run query by query in turn (which one first alternates), so that
    // a change in the machine's speed during the run — this host's
    // neighbours come and go — falls on both sides alike instead of on
    // whichever ran second.
    let enc_dir = base.join(tag(Cipher::Sqlcipher));
    let plain_dir = base.join(tag(Cipher::NoneBenchmarkOnly));
    let enc_archive = Archive::open(&enc_dir, "benchmark passphrase").expect("open");
    let plain_archive =
        (!encrypted_only).then(|| Archive::open(&plain_dir, "benchmark passphrase").expect("open"));
    let enc_session = enc_archive.session(local_administrator("bench"));
    let plain_session = plain_archive
        .as_ref()
        .map(|a| a.session(local_administrator("bench")));
    // First pass: every query reads pages no query read before it on that
    // connection (cold); second pass: the same queries again, their pages
    // now in the connection's cache, decrypted (warm).
    let (enc, plain) = run_queries(&enc_session, plain_session.as_ref(), queries);
    let (enc_warm, plain_warm) = run_queries(&enc_session, plain_session.as_ref(), queries);
    println!(
        "filtered query (quarter + province incl. counties + act type, decoded and access-checked), {queries} runs: median {:.1} ms wall (mean CPU {:.1} ms), max {:.1} ms, median {:.0} results",
        enc.0, enc.1, enc.2, enc.3
    );
    if let (Some(plain), Some(plain_warm)) = (plain, plain_warm) {
        println!(
            "same queries, unencrypted archive (query by query in turn with the encrypted one): median {:.1} ms wall (mean CPU {:.1} ms), max {:.1} ms; encryption overhead on the query: {:.1} % (medians), {:.1} % (mean CPU)",
            plain.0,
            plain.1,
            plain.2,
            (enc.0 / plain.0 - 1.0) * 100.0,
            (enc.1 / plain.1 - 1.0) * 100.0
        );
        println!(
            "same queries once more on the same connections (pages cached, decrypted): median {:.1} ms encrypted, {:.1} ms unencrypted; encryption overhead {:.1} %",
            enc_warm.0,
            plain_warm.0,
            (enc_warm.0 / plain_warm.0 - 1.0) * 100.0
        );
    }
}

/// Statistics of one pass of the queries on one archive: (median ms wall,
/// mean ms CPU, max ms wall, median results).
type QueryStats = (f64, f64, f64, f64);

/// The benchmark's filtered query number `q`.
fn query_filter(q: usize, rng: &mut Rng) -> Filter {
    let y = 2015 + (q as i32 % 10);
    let quarter = (q as u8 % 4) * 3;
    Filter {
        kinds: vec![RecordKind::Act],
        date_from: Some(day_number(y, quarter + 1, 1)),
        date_to: Some(day_number(
            y,
            quarter + 3,
            if quarter + 3 == 6 || quarter + 3 == 9 {
                30
            } else {
                31
            },
        )),
        places: vec![RecordId::new(format!("plc-p{}", rng.below(PROVINCES as u64))).expect("id")],
        terms: vec![format!("act_type:{}", rng.pick(ACT_TYPES))],
        ..Default::default()
    }
}

/// One pass of the benchmark's queries on the encrypted archive's session
/// and, when given, the unencrypted one's, query by query in turn.
fn run_queries(
    enc: &tumen_service::Session<'_>,
    plain: Option<&tumen_service::Session<'_>>,
    queries: usize,
) -> (QueryStats, Option<QueryStats>) {
    let mut rng = Rng(7);
    let mut sides: [(Vec<f64>, Vec<f64>, Vec<f64>); 2] = Default::default();
    let mut one = |session: &tumen_service::Session<'_>, f: &Filter, side: usize| {
        let (t, c) = (Instant::now(), cpu_seconds());
        let rows = session.query(f).expect("query");
        sides[side].0.push(t.elapsed().as_secs_f64() * 1e3);
        sides[side].1.push((cpu_seconds() - c) * 1e3);
        sides[side].2.push(rows.len() as f64);
    };
    for q in 0..queries {
        let f = query_filter(q, &mut rng);
        match plain {
            Some(p) if q % 2 == 1 => {
                one(p, &f, 1);
                one(enc, &f, 0);
            }
            Some(p) => {
                one(enc, &f, 0);
                one(p, &f, 1);
            }
            None => one(enc, &f, 0),
        }
    }
    let stats = |(times, cpu, results): &(Vec<f64>, Vec<f64>, Vec<f64>)| -> QueryStats {
        (
            median(times.clone()),
            cpu.iter().sum::<f64>() / cpu.len().max(1) as f64,
            times.iter().cloned().fold(0.0, f64::max),
            median(results.clone()),
        )
    };
    (stats(&sides[0]), plain.map(|_| stats(&sides[1])))
}
