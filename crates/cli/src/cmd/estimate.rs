//! `tumen estimate`: multiple systems estimation from a CSV of counts per
//! capture pattern, or (`--lists SOURCE…`) from the archive's capture
//! histories. Reads the input, builds an `EstimateRequest`, calls
//! `tumen_estimate::estimate` (or `estimate_stratified`) and prints a table
//! or JSON. All statistics live in the library.
//!
//! The archive path turns the capture histories (one per resolved person or
//! lone person record, from the service) into the very counts CSV that
//! `--counts` reads, and parses it with the same function, so the two paths
//! cannot disagree on how a table is read or checked.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use tumen_estimate::lcmcr::LcmcrConfig;
use tumen_estimate::plot::{self, PlotRow};
use tumen_estimate::report::{
    EstimateReport, EstimateRequest, ModelRow, SearchRequest, StratifiedReport,
};
use tumen_estimate::search::Criterion;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Rank {
    Aic,
    Bic,
}

#[derive(clap::Args)]
pub struct Args {
    /// CSV of counts: one 0/1 column per list and a `count` column.
    #[arg(
        long,
        value_name = "FILE.csv",
        required_unless_present = "lists",
        conflicts_with = "lists"
    )]
    pub counts: Option<PathBuf>,
    /// Estimate from the archive (--data): the sources (by record id) whose
    /// citations make the lists. Each resolved person, or person record in
    /// no resolved person, is on list X when a claim of it (or of an act
    /// naming it as victim) cites source X. Run `tumen link` first.
    #[arg(long, value_name = "SOURCE_ID", num_args = 1..)]
    pub lists: Vec<String>,
    /// With --lists: also write the capture table as a counts CSV.
    #[arg(long, value_name = "FILE.csv", requires = "lists")]
    pub save_counts: Option<PathBuf>,
    /// Model to fit (repeatable): M0, Mt, Mh-chao, Mh-poisson2, Mh-darroch,
    /// Mh-gamma3.5, Mth-…, or Mt+A:B+A:C with list names from the header.
    #[arg(long = "model", value_name = "SPEC")]
    pub models: Vec<String>,
    /// Fit every hierarchical model up to --max-order, and the heterogeneity
    /// models (M0, Mh-…, Mth-…) beside them, and rank them all.
    #[arg(long)]
    pub search: bool,
    /// With --search: rank only the hierarchical log-linear models (as
    /// Rcapture's closedpMS.t), without M0, Mh-… and Mth-….
    #[arg(long, requires = "search")]
    pub hierarchical_only: bool,
    /// Stepwise selection from the independence model.
    #[arg(long)]
    pub stepwise: bool,
    /// Highest interaction order in --search / --stepwise.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub max_order: usize,
    /// Criterion for --search / --stepwise.
    #[arg(long, value_enum, default_value = "aic")]
    pub rank: Rank,
    /// How many of the best models --search lists.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Stratum column (repeatable): estimate per stratum and combined. With
    /// --lists: year (of repatriation, else of the earliest act), sex,
    /// category, or place (of repatriation, else of origin).
    #[arg(long, value_name = "COLUMN")]
    pub stratify: Vec<String>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Skip profile-likelihood intervals (faster for many lists).
    #[arg(long)]
    pub no_profile: bool,
    /// Also run the Bayesian latent class model (LCMCR).
    #[arg(long)]
    pub lcmcr: bool,
    /// LCMCR: number of latent classes.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// LCMCR: random seed (same seed, same draws).
    #[arg(long)]
    pub seed: Option<u64>,
    /// LCMCR: burn-in sweeps per chain.
    #[arg(long)]
    pub burnin: Option<usize>,
    /// LCMCR: kept draws per chain.
    #[arg(long)]
    pub samples: Option<usize>,
    /// LCMCR: keep one sweep in N.
    #[arg(long)]
    pub thinning: Option<usize>,
    /// LCMCR: number of chains.
    #[arg(long)]
    pub chains: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write a plot of the estimates with their intervals (one row per
    /// model, stratum and the LCMCR posterior): SVG or PNG, by the file's
    /// extension.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
    /// With --lcmcr: write a histogram of the posterior of N (SVG or PNG).
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot_posterior: Option<PathBuf>,
    /// With --lcmcr: write a trace of N per chain (SVG or PNG).
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot_trace: Option<PathBuf>,
    /// Pixels per plot unit in PNG plots (the plots are 720 × 420 units;
    /// 2 gives 1440 × 840 pixels, sharp in print).
    #[arg(long, default_value_t = 2.0, value_name = "FACTOR")]
    pub plot_scale: f64,
}

/// The formats a plot can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlotFormat {
    Svg,
    Png,
}

fn plot_rows(r: &EstimateReport, prefix: &str, rows: &mut Vec<PlotRow>) {
    for m in &r.models {
        let Some(e) = m.estimate else { continue };
        let iv = m
            .interval
            .as_ref()
            .filter(|i| i.high.is_some())
            .or(m.lognormal_interval.as_ref());
        if let Some(iv) = iv {
            rows.push(PlotRow {
                label: format!("{prefix}{}", m.model),
                estimate: e,
                low: iv.low,
                high: iv.high.unwrap_or(e),
            });
        }
    }
    if let Some(l) = &r.lcmcr {
        rows.push(PlotRow {
            label: format!("{prefix}LCMCR (K = {})", l.k),
            estimate: l.median,
            low: l.q025,
            high: l.q975,
        });
    }
}

/// The format of each plot file, from its extension; anything else is
/// refused before any work is done (rather than, say, SVG text written into
/// a file named `.pdf`).
fn check_plot_paths(a: &Args) -> Result<()> {
    for (flag, path) in [
        ("--plot", &a.plot),
        ("--plot-posterior", &a.plot_posterior),
        ("--plot-trace", &a.plot_trace),
    ] {
        if let Some(p) = path {
            plot_format(flag, p)?;
        }
    }
    if a.plot_scale.is_nan() || !(0.25..=8.0).contains(&a.plot_scale) {
        bail!(
            "--plot-scale {}: choose a factor from 0.25 to 8 (2 is the default)",
            a.plot_scale
        );
    }
    Ok(())
}

fn plot_format(flag: &str, p: &Path) -> Result<PlotFormat> {
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => Ok(PlotFormat::Svg),
        Some("png") => Ok(PlotFormat::Png),
        _ => bail!(
            "{flag} {}: plots are written as SVG or PNG; name the file .svg or .png",
            p.display()
        ),
    }
}

fn write_plot(a: &Args, flag: &str, p: &Path, scene: tumen_chart::Scene) -> Result<()> {
    let bytes = match plot_format(flag, p)? {
        PlotFormat::Svg => scene.to_svg().into_bytes(),
        PlotFormat::Png => scene
            .to_png(a.plot_scale)
            .with_context(|| format!("{flag} {}", p.display()))?,
    };
    std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display()))
}

fn write_plots(a: &Args, main: &EstimateReport, rows: Vec<PlotRow>) -> Result<()> {
    if let Some(p) = &a.plot {
        if rows.is_empty() {
            bail!("--plot {}: no model has an estimate to plot", p.display());
        }
        write_plot(
            a,
            "--plot",
            p,
            plot::estimates(&rows, "Estimated total with intervals"),
        )?;
    }
    for (flag, path) in [
        ("--plot-posterior", &a.plot_posterior),
        ("--plot-trace", &a.plot_trace),
    ] {
        let Some(p) = path else { continue };
        let Some(l) = &main.lcmcr else {
            bail!(
                "--plot-posterior and --plot-trace draw the LCMCR posterior: add --lcmcr (and check that it ran)"
            );
        };
        let scene = if flag == "--plot-trace" {
            plot::trace(&l.draws, "LCMCR: N by chain")
        } else {
            let all: Vec<u64> = l.draws.iter().flatten().copied().collect();
            plot::posterior_histogram(&all, "LCMCR: posterior of N")
        };
        write_plot(a, flag, p, scene)?;
    }
    Ok(())
}

fn request(a: &Args) -> Result<EstimateRequest> {
    if !(a.level > 0.0 && a.level < 1.0) {
        bail!(
            "--level {} must lie strictly between 0 and 1 (e.g. 0.95)",
            a.level
        );
    }
    let rank = match a.rank {
        Rank::Aic => Criterion::Aic,
        Rank::Bic => Criterion::Bic,
    };
    let sr = SearchRequest {
        max_order: a.max_order,
        rank,
        top: a.top,
        heterogeneity: !a.hierarchical_only,
        ..Default::default()
    };
    let lcmcr = if a.lcmcr {
        let d = LcmcrConfig::default();
        Some(LcmcrConfig {
            k: a.k,
            seed: a.seed.unwrap_or(d.seed),
            burnin: a.burnin.unwrap_or(d.burnin),
            samples: a.samples.unwrap_or(d.samples),
            thinning: a.thinning.unwrap_or(d.thinning),
            chains: a.chains.unwrap_or(d.chains),
            ..d
        })
    } else {
        if a.seed.is_some()
            || a.burnin.is_some()
            || a.samples.is_some()
            || a.thinning.is_some()
            || a.chains.is_some()
        {
            bail!(
                "--seed, --burnin, --samples, --thinning and --chains set up the LCMCR model: add --lcmcr"
            );
        }
        None
    };
    Ok(EstimateRequest {
        models: a.models.clone(),
        search: a.search.then(|| sr.clone()),
        stepwise: a.stepwise.then(|| sr.clone()),
        level: a.level,
        profile: !a.no_profile,
        lcmcr,
    })
}

fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "—".into(),
    }
}

fn interval_text(r: &ModelRow) -> String {
    match &r.interval {
        Some(iv) => match iv.high {
            Some(h) => format!("{:.1}–{:.1}", iv.low, h),
            None => format!("{:.1}–>{:.0}", iv.low, iv.high_exceeds.unwrap_or(f64::NAN)),
        },
        None => "—".into(),
    }
}

fn crit(c: Criterion) -> &'static str {
    match c {
        Criterion::Aic => "AIC",
        Criterion::Bic => "BIC",
    }
}

fn print_report(r: &EstimateReport, indent: &str) {
    println!("{indent}People observed on at least one list: {}", r.n);
    let totals: Vec<String> = r
        .lists
        .iter()
        .zip(&r.list_totals)
        .map(|(l, t)| format!("{l} {t}"))
        .collect();
    println!("{indent}Lists: {}", totals.join(", "));
    if let Some(t) = &r.two_list {
        println!(
            "{indent}Two lists: {} on {}, {} on {}, {} on both",
            t.n_a, t.list_a, t.n_b, t.list_b, t.both
        );
        for e in [&t.lincoln_petersen, &t.chapman] {
            let ln = &e.intervals[0];
            println!(
                "{indent}  {:<17} {:>10.1}  SE {:>8.1}  {:.0}% log-normal interval {:.1}–{}",
                e.method,
                e.estimate,
                e.se,
                ln.level * 100.0,
                ln.low,
                num(ln.high, 1)
            );
        }
    }
    if let Some(p) = &r.two_list_problem {
        println!("{indent}Two lists: {p}");
    }
    if !r.models.is_empty() {
        let w = r
            .models
            .iter()
            .map(|m| m.model.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let level = r
            .models
            .iter()
            .find_map(|m| {
                m.interval
                    .as_ref()
                    .or(m.lognormal_interval.as_ref())
                    .map(|i| i.level)
            })
            .unwrap_or(0.95);
        println!(
            "{indent}{:<w$} {:>10} {:>9} {:>22} {:>22} {:>9} {:>3} {:>9} {:>9}",
            "model",
            "estimate",
            "SE",
            format!("profile {:.0}%", level * 100.0),
            format!("log-normal {:.0}%", level * 100.0),
            "deviance",
            "df",
            "AIC",
            "BIC"
        );
        for m in &r.models {
            let ln = m
                .lognormal_interval
                .as_ref()
                .map(|i| format!("{:.1}–{}", i.low, num(i.high, 1)))
                .unwrap_or_else(|| "—".into());
            println!(
                "{indent}{:<w$} {:>10} {:>9} {:>22} {:>22} {:>9} {:>3} {:>9} {:>9}",
                m.model,
                num(m.estimate, 1),
                num(m.se, 1),
                interval_text(m),
                ln,
                num(m.deviance, 3),
                m.df.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                num(m.aic, 3),
                num(m.bic, 3)
            );
        }
        for m in &r.models {
            if let Some(p) = &m.problem {
                println!("{indent}  {}: {p}", m.model);
            }
            for c in &m.caveats {
                println!("{indent}  {}: {c}", m.model);
            }
        }
    }
    if let Some(s) = &r.search {
        println!(
            "{indent}Search: {} models fitted and ranked — {} hierarchical log-linear models up to order {} and {} heterogeneity models (M0, Mh, Mth) — {} without an estimate; best by {}:",
            s.fitted,
            s.hierarchical,
            s.max_order,
            s.heterogeneity,
            s.without_estimate,
            crit(s.rank)
        );
        for b in &s.best {
            println!(
                "{indent}  {:<40} {:>10} {:>9} {:>9} {:>9}{}",
                b.model,
                num(b.estimate, 1),
                num(b.se, 1),
                num(b.aic, 3),
                num(b.bic, 3),
                b.problem
                    .as_ref()
                    .map(|p| format!("  ({p})"))
                    .unwrap_or_default()
            );
        }
        if let Some((lo, hi)) = s.close_estimate_range {
            println!(
                "{indent}  {} model(s) within 2 of the best criterion; their estimates range {lo:.1}–{hi:.1}",
                s.close_models
            );
        }
    }
    if let Some(s) = &r.stepwise {
        let path: Vec<String> = s.path.iter().map(|p| p.action.clone()).collect();
        println!(
            "{indent}Stepwise by {}: {} → {}",
            crit(s.rank),
            path.join(", "),
            s.model
        );
    }
    if let Some(l) = &r.lcmcr {
        println!(
            "{indent}LCMCR (K = {}, seed {}, {} chains): median {:.1}, mean {:.1}, 95% interval {:.1}–{:.1}; ESS {:.0}, R-hat {:.3}",
            l.k, l.seed, l.chains, l.median, l.mean, l.q025, l.q975, l.ess, l.rhat
        );
        for c in &l.caveats {
            println!("{indent}  LCMCR: {c}");
        }
    }
    if let Some(p) = &r.lcmcr_problem {
        println!("{indent}LCMCR: {p}");
    }
    for c in &r.caveats {
        println!("{indent}Caveat: {c}");
    }
}

fn print_stratified(r: &StratifiedReport) {
    println!("Combined (all strata pooled):");
    print_report(&r.combined, "  ");
    for s in &r.strata {
        println!();
        println!(
            "Stratum {} = {} ({} people):",
            r.stratum_columns.join("/"),
            s.stratum,
            s.n
        );
        match (&s.report, &s.problem) {
            (Some(rep), _) => print_report(rep, "  "),
            (None, Some(p)) => println!("  no estimate: {p}"),
            _ => {}
        }
    }
    println!();
    println!("Sum over strata:");
    for s in &r.sum_of_strata {
        match (s.estimate, s.se, &s.problem) {
            (Some(e), Some(se), _) => {
                let iv = s
                    .lognormal_interval
                    .as_ref()
                    .map(|i| format!("{:.1}–{}", i.low, num(i.high, 1)))
                    .unwrap_or_default();
                println!(
                    "  {:<28} {:>10.1}  SE {:>8.1}  log-normal {iv}",
                    s.model, e, se
                )
            }
            (_, _, Some(p)) => println!("  {:<28} {p}", s.model),
            _ => {}
        }
    }
    for c in &r.caveats {
        println!("Caveat: {c}");
    }
}

/// Stratum fields the archive path knows.
const DB_STRATA: &[&str] = &["year", "sex", "category", "place"];

/// The counts CSV of capture histories: one column per list (named by the
/// source id), then the stratum columns, then `count`; one row per observed
/// pattern (and stratum), sorted so the output does not depend on the
/// archive's order. Missing stratum values are `unknown`.
pub(crate) fn counts_csv(
    lists: &[String],
    units: &[tumen_service::CaptureUnit],
    stratify: &[String],
) -> Result<String> {
    for s in stratify {
        if !DB_STRATA.contains(&s.as_str()) {
            bail!(
                "--stratify {s}: with --lists use one of {}",
                DB_STRATA.join(", ")
            );
        }
    }
    for l in lists {
        if l.eq_ignore_ascii_case("count") || stratify.contains(l) || l.contains([',', '"']) {
            bail!("--lists {l}: this source id cannot name a column of the capture table");
        }
    }
    let mut cells: std::collections::BTreeMap<(Vec<String>, Vec<bool>), u64> =
        std::collections::BTreeMap::new();
    for u in units {
        let strata: Vec<String> = stratify
            .iter()
            .map(|s| {
                let v = match s.as_str() {
                    "year" => u.year.map(|y| y.to_string()),
                    "sex" => u.sex.clone(),
                    "place" => u.place.as_ref().map(|p| p.to_string()),
                    _ => (!u.categories.is_empty()).then(|| u.categories.join("+")),
                };
                v.filter(|v| !v.contains([',', '"', '\n']))
                    .unwrap_or_else(|| "unknown".into())
            })
            .collect();
        *cells.entry((strata, u.captured.clone())).or_default() += 1;
    }
    let mut text = String::new();
    let header: Vec<&str> = lists
        .iter()
        .map(String::as_str)
        .chain(stratify.iter().map(String::as_str))
        .chain(["count"])
        .collect();
    text.push_str(&header.join(","));
    text.push('\n');
    for ((strata, pattern), n) in cells {
        let row: Vec<String> = pattern
            .iter()
            .map(|c| if *c { "1".to_string() } else { "0".to_string() })
            .chain(strata)
            .chain([n.to_string()])
            .collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    Ok(text)
}

fn from_archive(g: &Globals, a: &Args) -> Result<String> {
    let dir = g.data_dir()?;
    let archive = tumen_service::Archive::open(&dir, &g.passphrase()?)
        .with_context(|| format!("opening the archive in {}", dir.display()))?;
    // Until accounts exist the command line acts as the local administrator.
    let session = archive.session(tumen_service::local_administrator("cli"));
    let ids = a
        .lists
        .iter()
        .map(|l| {
            tumen_model::RecordId::new(l.trim())
                .with_context(|| format!("--lists {l}: not a record id"))
        })
        .collect::<Result<Vec<_>>>()?;
    let units = session
        .capture_histories(&ids)
        .context("building capture histories from the archive")?;
    let text = counts_csv(&a.lists, &units, &a.stratify)?;
    if let Some(p) = &a.save_counts {
        std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(text)
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    check_plot_paths(&a)?;
    let (text, file) = match &a.counts {
        Some(c) => (
            std::fs::read_to_string(c).with_context(|| format!("reading {}", c.display()))?,
            c.display().to_string(),
        ),
        None => (
            from_archive(g, &a)?,
            format!("capture histories of {}", a.lists.join(", ")),
        ),
    };
    let req = request(&a)?;
    if a.stratify.is_empty() {
        let table = tumen_estimate::parse_counts_csv(&text).with_context(|| file.clone())?;
        let report = tumen_estimate::estimate(&table, &req).with_context(|| file.clone())?;
        let mut rows = Vec::new();
        plot_rows(&report, "", &mut rows);
        write_plots(&a, &report, rows)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_report(&report, "");
        }
    } else {
        let strata = tumen_estimate::parse_counts_csv_stratified(&text, &a.stratify)
            .with_context(|| file.clone())?;
        let report =
            tumen_estimate::estimate_stratified(&strata, &req).with_context(|| file.clone())?;
        let mut rows = Vec::new();
        plot_rows(&report.combined, "all: ", &mut rows);
        for st in &report.strata {
            if let Some(r) = &st.report {
                plot_rows(r, &format!("{}: ", st.stratum), &mut rows);
            }
        }
        for s in &report.sum_of_strata {
            if let (Some(e), Some(iv)) = (s.estimate, &s.lognormal_interval) {
                rows.push(PlotRow {
                    label: format!("sum of strata: {}", s.model),
                    estimate: e,
                    low: iv.low,
                    high: iv.high.unwrap_or(e),
                });
            }
        }
        write_plots(&a, &report.combined, rows)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_stratified(&report);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tumen_service::CaptureUnit;

    fn unit(id: &str, captured: &[bool], year: Option<i32>, sex: Option<&str>) -> CaptureUnit {
        CaptureUnit {
            id: id.into(),
            members: Vec::new(),
            captured: captured.to_vec(),
            sex: sex.map(str::to_string),
            categories: Vec::new(),
            year,
            place: (id == "a").then(|| tumen_model::RecordId::new("crs-hyesan").unwrap()),
        }
    }

    #[test]
    fn capture_units_become_the_counts_csv() {
        let lists = vec!["s1".to_string(), "s2".to_string()];
        let units = vec![
            unit("a", &[true, false], Some(2023), Some("male")),
            unit("b", &[true, true], Some(2023), None),
            unit("c", &[true, false], None, Some("male")),
        ];
        let t = counts_csv(&lists, &units, &[]).unwrap();
        assert_eq!(t, "s1,s2,count\n1,0,2\n1,1,1\n");
        let t = counts_csv(&lists, &units, &["year".to_string()]).unwrap();
        assert_eq!(
            t,
            "s1,s2,year,count\n1,0,2023,1\n1,1,2023,1\n1,0,unknown,1\n"
        );
        let t = counts_csv(&lists, &units, &["place".to_string()]).unwrap();
        assert_eq!(
            t,
            "s1,s2,place,count\n1,0,crs-hyesan,1\n1,0,unknown,1\n1,1,unknown,1\n"
        );
        assert!(counts_csv(&lists, &units, &["colour".to_string()]).is_err());
        assert!(counts_csv(&["count".into(), "s2".into()], &units, &[]).is_err());
    }
}
