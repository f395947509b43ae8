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
use tumen_estimate::plot;
use tumen_estimate::report::{
    EstimateReport, EstimateRequest, Estimates, ModelRow, SearchRequest, StratifiedReport,
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

fn write_plots(a: &Args, main: &EstimateReport, rows: Vec<plot::PlotRow>) -> Result<()> {
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

/// `--lists`: estimate from the archive's capture histories (through the
/// service, which checks access and builds the counts table).
fn from_archive(g: &Globals, a: &Args, req: &EstimateRequest) -> Result<Estimates> {
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
    let out = session
        .estimate_lists(&ids, &a.stratify, req)
        .context("estimating from the archive's capture histories (--lists)")?;
    if let Some(p) = &a.save_counts {
        std::fs::write(p, &out.counts_csv).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(out.estimates)
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    check_plot_paths(&a)?;
    let req = request(&a)?;
    let estimates = match &a.counts {
        Some(c) => {
            let text =
                std::fs::read_to_string(c).with_context(|| format!("reading {}", c.display()))?;
            tumen_estimate::estimate_counts(&text, &a.stratify, &req)
                .with_context(|| c.display().to_string())?
        }
        None => from_archive(g, &a, &req)?,
    };
    write_plots(&a, estimates.combined(), plot::rows(&estimates))?;
    match &estimates {
        Estimates::Combined(r) if a.json => println!("{}", serde_json::to_string_pretty(r)?),
        Estimates::Stratified(r) if a.json => println!("{}", serde_json::to_string_pretty(r)?),
        Estimates::Combined(r) => print_report(r, ""),
        Estimates::Stratified(r) => print_stratified(r),
    }
    Ok(())
}
