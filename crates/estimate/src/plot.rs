//! Plots of estimates: the posterior histogram of N, estimates with their
//! intervals (one row per model or stratum), and the trace of the sampler's
//! chains. Each is built as a [`Scene`] (tumen-chart), which becomes SVG for
//! the web pages or PNG for reports; `*_svg` are the SVG shortcuts.
//!
//! Every coordinate goes through [`Frame`], which maps data to pixels and
//! never produces NaN or infinity: a degenerate range (one draw, all draws
//! equal) is widened around its value, and values that are not finite are
//! left out and said so in the plot.

use tumen_chart::{Anchor, Color, Scene, Shape, Stroke, Text};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 64.0;
/// Colours for chains (colour-blind safe, Okabe–Ito).
const PALETTE: [u32; 8] = [
    0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0xF0E442, 0x000000,
];
const BLUE: Color = Color::hex(0x0072B2);
const VERMILION: Color = Color::hex(0xD55E00);
const AXIS: Color = Color::hex(0x333333);
const WARN: Color = Color::hex(0xAA0000);
/// Most points drawn per chain in a trace; longer chains are thinned
/// evenly (min and max of each bucket kept so spikes stay visible).
const MAX_TRACE_POINTS: usize = 1_500;

/// One row of an estimates plot: a model or a stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotRow {
    pub label: String,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// Label for an axis tick: integers without decimals, otherwise up to
/// three significant decimals.
fn tick_label(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if (v - v.round()).abs() < 1e-9 * v.abs().max(1.0) {
        let r = v.round();
        if r.abs() >= 1e15 {
            format!("{r:e}")
        } else {
            format!("{}", r as i64)
        }
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Round tick positions covering [lo, hi] ("nice numbers", Heckbert 1990).
fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return vec![lo];
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut out = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 && out.len() < 50 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

/// A data range that is safe to divide by: widened when empty or a point.
fn safe_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi > lo {
        return (lo, hi);
    }
    let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
    (lo - pad, hi + pad)
}

/// The plotting area and its data ranges.
struct Frame {
    /// Left edge of the plotting area in pixels (room for labels).
    left: f64,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        let v = self.left + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - self.left - RIGHT);
        if v.is_finite() { v } else { self.left }
    }
    fn py(&self, y: f64) -> f64 {
        let v = HEIGHT - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM);
        if v.is_finite() { v } else { HEIGHT - BOTTOM }
    }
}

fn open(title: &str, desc: &str) -> Scene {
    let mut scene = Scene::new(WIDTH, HEIGHT, title, desc);
    scene.push(Shape::Text(
        Text::new(WIDTH / 2.0, 24.0, title)
            .anchor(Anchor::Middle)
            .size(15.0)
            .bold()
            .class("title"),
    ));
    scene
}

/// Axes with ticks and labels. `y_ticks` false draws no y ticks (rows).
fn axes(scene: &mut Scene, f: &Frame, x_label: &str, y_label: &str, y_ticks: bool) {
    let (bx, by) = (f.left, HEIGHT - BOTTOM);
    let axis = Stroke::solid(AXIS, 1.0);
    scene.group(
        "axes",
        vec![
            Shape::line(bx, by, WIDTH - RIGHT, by, axis),
            Shape::line(bx, TOP, bx, by, axis),
        ],
    );
    let mut xt = Vec::new();
    for t in ticks(f.x0, f.x1, 6) {
        let x = f.px(t);
        xt.push(Shape::line(x, by, x, by + 5.0, axis));
        xt.push(Shape::Text(
            Text::new(x, by + 18.0, tick_label(t)).anchor(Anchor::Middle),
        ));
    }
    scene.group("x-ticks", xt);
    if y_ticks {
        let mut yt = Vec::new();
        for t in ticks(f.y0, f.y1, 5) {
            let y = f.py(t);
            yt.push(Shape::line(bx - 5.0, y, bx, y, axis));
            yt.push(Shape::Text(
                Text::new(bx - 8.0, y + 4.0, tick_label(t)).anchor(Anchor::End),
            ));
        }
        scene.group("y-ticks", yt);
    }
    scene.push(Shape::Text(
        Text::new(
            f.left + (WIDTH - f.left - RIGHT) / 2.0,
            HEIGHT - 16.0,
            x_label,
        )
        .anchor(Anchor::Middle)
        .class("x-label"),
    ));
    scene.push(Shape::Text(
        Text::new(16.0, TOP + (HEIGHT - TOP - BOTTOM) / 2.0, y_label)
            .anchor(Anchor::Middle)
            .rotate(-90.0)
            .class("y-label"),
    ));
}

fn note(scene: &mut Scene, text: &str) {
    scene.push(Shape::Text(
        Text::new(WIDTH - RIGHT, TOP - 4.0, text)
            .anchor(Anchor::End)
            .color(WARN)
            .class("note"),
    ));
}

/// Histogram of posterior draws of N, with the median (solid) and the 95 %
/// interval (dashed) marked. Bins are whole numbers wide (N is a count).
pub fn posterior_histogram(samples: &[u64], title: &str) -> Scene {
    let mut scene = open(title, "Histogram of posterior draws of the total N");
    let x_label = "N (total, observed and unobserved)";
    if samples.is_empty() {
        let f = Frame {
            left: LEFT,
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 1.0,
        };
        axes(&mut scene, &f, x_label, "draws", true);
        note(&mut scene, "no draws to plot");
        return scene;
    }
    let mut sorted: Vec<u64> = samples.to_vec();
    sorted.sort_unstable();
    let lo = sorted[0];
    let hi = sorted[sorted.len() - 1];
    // Integer bin width so each bin holds the same number of possible values.
    let span = (hi - lo).saturating_add(1);
    let width = span.div_ceil(60).max(1);
    let bins = span.div_ceil(width) as usize;
    let mut counts = vec![0u64; bins];
    for &s in &sorted {
        let b = (((s - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1) as f64;
    let (x0, x1) = (
        lo as f64 - 0.5,
        lo as f64 - 0.5 + bins as f64 * width as f64,
    );
    let f = Frame {
        left: LEFT,
        x0,
        x1,
        y0: 0.0,
        y1: top * 1.05,
    };
    let mut bars = Vec::new();
    for (b, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let a = x0 + b as f64 * width as f64;
        let (xa, xb) = (f.px(a), f.px(a + width as f64));
        let (ya, yb) = (f.py(c as f64), f.py(0.0));
        bars.push(Shape::Rect {
            x: xa,
            y: ya,
            width: (xb - xa).max(0.5),
            height: (yb - ya).max(0.0),
            fill: BLUE,
            opacity: 0.75,
            stroke: Some(Stroke::solid(Color::WHITE, 0.5)),
        });
    }
    scene.group("bars", bars);
    let q = |p: f64| {
        let h = (sorted.len() - 1) as f64 * p;
        let i = h.floor() as usize;
        let j = (i + 1).min(sorted.len() - 1);
        sorted[i] as f64 + (h - i as f64) * (sorted[j] as f64 - sorted[i] as f64)
    };
    let mark = Stroke::solid(VERMILION, 1.5);
    let mut marks = Vec::new();
    for (v, dashed) in [(q(0.5), false), (q(0.025), true), (q(0.975), true)] {
        let x = f.px(v);
        let st = if dashed { mark.dashed(4.0, 3.0) } else { mark };
        marks.push(Shape::line(x, TOP, x, HEIGHT - BOTTOM, st));
    }
    scene.group("marks", marks);
    scene.push(Shape::Text(
        Text::new(
            WIDTH - RIGHT - 4.0,
            TOP + 14.0,
            format!(
                "median {}, 95% interval {}–{}, {} draws",
                tick_label(q(0.5).round()),
                tick_label(q(0.025).round()),
                tick_label(q(0.975).round()),
                sorted.len()
            ),
        )
        .anchor(Anchor::End)
        .class("summary"),
    ));
    axes(&mut scene, &f, x_label, "draws", true);
    scene
}

/// Estimates with intervals, one row per model or stratum (a forest plot).
/// Rows whose numbers are not finite are listed with "no estimate".
pub fn estimates(rows: &[PlotRow], title: &str) -> Scene {
    let mut scene = open(
        title,
        "Point estimates with interval bars, one row per model or stratum",
    );
    let usable = |r: &PlotRow| r.estimate.is_finite() && r.low.is_finite() && r.high.is_finite();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in rows.iter().filter(|r| usable(r)) {
        for v in [r.estimate, r.low, r.high] {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let (lo, hi) = if lo.is_finite() {
        safe_range(lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = (hi - lo) * 0.05;
    let rows_n = rows.len().max(1) as f64;
    // Room for the longest row label as the bundled font sets it, within
    // reason (half the width; a longer label is cut by the canvas edge).
    let longest = rows
        .iter()
        .map(|r| tumen_chart::text_width(&r.label, 12.0, false))
        .fold(0.0, f64::max);
    let left = (20.0 + longest).clamp(LEFT, WIDTH * 0.5);
    let f = Frame {
        left,
        x0: lo - pad,
        x1: hi + pad,
        y0: 0.0,
        y1: rows_n,
    };
    axes(&mut scene, &f, "estimated total", "model or stratum", false);
    if rows.is_empty() {
        note(&mut scene, "no estimates to plot");
    }
    let mut shapes = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let y = f.py(rows_n - i as f64 - 0.5);
        shapes.push(Shape::Text(
            Text::new(f.left - 6.0, y + 4.0, r.label.clone()).anchor(Anchor::End),
        ));
        if usable(r) {
            let (a, b) = (r.low.min(r.high), r.low.max(r.high));
            shapes.push(Shape::line(
                f.px(a),
                y,
                f.px(b),
                y,
                Stroke::solid(AXIS, 2.0),
            ));
            shapes.push(Shape::Circle {
                cx: f.px(r.estimate),
                cy: y,
                r: 4.0,
                fill: BLUE,
                tooltip: Some(format!(
                    "{}: {} ({} to {})",
                    r.label,
                    tick_label(r.estimate.round()),
                    tick_label(a.round()),
                    tick_label(b.round())
                )),
            });
        } else {
            shapes.push(Shape::Text(
                Text::new(f.left + 8.0, y + 4.0, "no estimate").color(WARN),
            ));
        }
    }
    scene.group("rows", shapes);
    scene
}

/// Trace of N over the kept draws, one line per chain, so a person can see
/// whether chains mix and agree.
pub fn trace(chains: &[Vec<u64>], title: &str) -> Scene {
    let mut scene = open(
        title,
        "Trace of the sampled total N over kept draws, one line per chain",
    );
    let len = chains.iter().map(Vec::len).max().unwrap_or(0);
    let all = chains.iter().flatten();
    let (lo, hi) = all.fold((u64::MAX, 0u64), |(a, b), &v| (a.min(v), b.max(v)));
    let (y0, y1) = if len == 0 {
        (0.0, 1.0)
    } else {
        safe_range(lo as f64, hi as f64)
    };
    let pad = (y1 - y0) * 0.05;
    let (x0, x1) = safe_range(0.0, len.saturating_sub(1) as f64);
    let f = Frame {
        left: LEFT,
        x0,
        x1,
        y0: y0 - pad,
        y1: y1 + pad,
    };
    axes(&mut scene, &f, "kept draw", "N (total)", true);
    if len == 0 {
        note(&mut scene, "no draws to plot");
    }
    let mut lines = Vec::new();
    for (c, chain) in chains.iter().enumerate() {
        if chain.is_empty() {
            continue;
        }
        let colour = Color::hex(PALETTE[c % PALETTE.len()]);
        if chain.len() == 1 {
            lines.push(Shape::Circle {
                cx: f.px(0.0),
                cy: f.py(chain[0] as f64),
                r: 2.5,
                fill: colour,
                tooltip: None,
            });
            continue;
        }
        let mut pts = Vec::new();
        let bucket = chain.len().div_ceil(MAX_TRACE_POINTS / 2).max(1);
        if bucket == 1 {
            for (i, &v) in chain.iter().enumerate() {
                pts.push((f.px(i as f64), f.py(v as f64)));
            }
        } else {
            for (b, part) in chain.chunks(bucket).enumerate() {
                let start = b * bucket;
                let (imin, vmin) = part
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, v)| **v)
                    .map(|(i, v)| (i, *v))
                    .unwrap_or((0, 0));
                let (imax, vmax) = part
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, v)| **v)
                    .map(|(i, v)| (i, *v))
                    .unwrap_or((0, 0));
                let mut pair = [(imin, vmin), (imax, vmax)];
                pair.sort_by_key(|p| p.0);
                for (i, v) in pair {
                    pts.push((f.px((start + i) as f64), f.py(v as f64)));
                }
            }
        }
        lines.push(Shape::Polyline {
            points: pts,
            stroke: Stroke::solid(colour, 1.0).with_opacity(0.8),
        });
    }
    scene.group("chains", lines);
    if chains.len() > 1 {
        let shown = chains.len().min(PALETTE.len());
        // A white backing so the chains drawn beneath stay out of the text.
        let mut legend = vec![Shape::Rect {
            x: LEFT + 4.0,
            y: TOP + 1.0,
            width: 70.0 * shown as f64,
            height: 18.0,
            fill: Color::WHITE,
            opacity: 0.85,
            stroke: None,
        }];
        for (c, _) in chains.iter().enumerate().take(PALETTE.len()) {
            let x = LEFT + 10.0 + 70.0 * c as f64;
            legend.push(Shape::line(
                x,
                TOP + 10.0,
                x + 16.0,
                TOP + 10.0,
                Stroke::solid(Color::hex(PALETTE[c]), 2.0),
            ));
            legend.push(Shape::Text(Text::new(
                x + 20.0,
                TOP + 14.0,
                format!("chain {}", c + 1),
            )));
        }
        scene.group("legend", legend);
    }
    scene
}

/// The rows of an estimates plot for a report: each model with an estimate
/// and an interval (profile likelihood when it has both ends, else
/// log-normal), then LCMCR's posterior median and 95 % interval; for a
/// stratified report the pooled table's rows ("all: …"), each stratum's,
/// and the sums over strata.
pub fn rows(estimates: &crate::Estimates) -> Vec<PlotRow> {
    let mut rows = Vec::new();
    match estimates {
        crate::Estimates::Combined(r) => report_rows(r, "", &mut rows),
        crate::Estimates::Stratified(s) => {
            report_rows(&s.combined, "all: ", &mut rows);
            for st in &s.strata {
                if let Some(r) = &st.report {
                    report_rows(r, &format!("{}: ", st.stratum), &mut rows);
                }
            }
            for sum in &s.sum_of_strata {
                if let (Some(e), Some(iv)) = (sum.estimate, &sum.lognormal_interval) {
                    rows.push(PlotRow {
                        label: format!("sum of strata: {}", sum.model),
                        estimate: e,
                        low: iv.low,
                        high: iv.high.unwrap_or(e),
                    });
                }
            }
        }
    }
    rows
}

fn report_rows(r: &crate::EstimateReport, prefix: &str, rows: &mut Vec<PlotRow>) {
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

/// [`posterior_histogram`] as SVG text.
pub fn posterior_histogram_svg(samples: &[u64], title: &str) -> String {
    posterior_histogram(samples, title).to_svg()
}

/// [`estimates`] as SVG text.
pub fn estimates_svg(rows: &[PlotRow], title: &str) -> String {
    estimates(rows, title).to_svg()
}

/// [`trace`] as SVG text.
pub fn trace_svg(chains: &[Vec<u64>], title: &str) -> String {
    trace(chains, title).to_svg()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal XML well-formedness check: tags balance and nest, attribute
    /// values are quoted, entities are the predefined ones, no stray `<`/`&`.
    /// Returns the element names in document order.
    fn check_xml(s: &str) -> Result<Vec<String>, String> {
        let b = s.as_bytes();
        let mut stack: Vec<String> = Vec::new();
        let mut names = Vec::new();
        let mut i = 0;
        let mut roots = 0;
        while i < b.len() {
            match b[i] {
                b'<' => {
                    let end = s[i..].find('>').ok_or("unclosed tag")? + i;
                    let inner = &s[i + 1..end];
                    if let Some(name) = inner.strip_prefix('/') {
                        let open = stack.pop().ok_or_else(|| format!("stray </{name}>"))?;
                        if open != name.trim() {
                            return Err(format!("<{open}> closed by </{name}>"));
                        }
                    } else {
                        let self_closing = inner.ends_with('/');
                        let body = inner.trim_end_matches('/');
                        let name: String =
                            body.chars().take_while(|c| !c.is_whitespace()).collect();
                        if name.is_empty()
                            || !name
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
                        {
                            return Err(format!("bad tag name {name:?}"));
                        }
                        // Attributes: name="value" pairs.
                        let mut rest = body[name.len()..].trim();
                        while !rest.is_empty() {
                            let eq = rest
                                .find('=')
                                .ok_or_else(|| format!("attribute without value in <{name}>"))?;
                            let after = &rest[eq + 1..];
                            if !after.starts_with('"') {
                                return Err(format!("unquoted attribute in <{name}>"));
                            }
                            let close = after[1..].find('"').ok_or("unterminated attribute")?;
                            let value = &after[1..1 + close];
                            if value.contains('<') {
                                return Err("'<' in attribute".into());
                            }
                            rest = after[close + 2..].trim();
                        }
                        if stack.is_empty() {
                            roots += 1;
                        }
                        names.push(name.clone());
                        if !self_closing {
                            stack.push(name);
                        }
                    }
                    i = end + 1;
                }
                b'&' => {
                    let end = s[i..].find(';').ok_or("bare &")? + i;
                    let ent = &s[i + 1..end];
                    if !["amp", "lt", "gt", "quot", "apos"].contains(&ent) {
                        return Err(format!("unknown entity &{ent};"));
                    }
                    i = end + 1;
                }
                b'>' => return Err("stray >".into()),
                _ => i += 1,
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(names)
    }

    fn assert_clean(svg: &str) -> Vec<String> {
        let names = check_xml(svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"));
        assert_eq!(names.first().map(String::as_str), Some("svg"));
        for bad in ["NaN", "nan", "inf", "Infinity"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        // Every number in an attribute parses and is finite.
        for part in svg.split('"') {
            for tok in part.split([' ', ',']) {
                if let Ok(v) = tok.parse::<f64>() {
                    assert!(v.is_finite());
                }
            }
        }
        names
    }

    #[test]
    fn the_checker_rejects_broken_xml() {
        assert!(check_xml("<svg><g></svg>").is_err());
        assert!(check_xml("<svg a=1/>").is_err());
        assert!(check_xml("<svg>a & b</svg>").is_err());
        assert!(check_xml("<svg/><svg/>").is_err());
        assert!(check_xml("<svg><text>x</text></svg>").is_ok());
    }

    #[test]
    fn histogram_is_well_formed_and_labelled() {
        let draws: Vec<u64> = (0..5000u64)
            .map(|i| 123 + (i * 7919) % 80 + (i % 13))
            .collect();
        let svg = posterior_histogram_svg(&draws, "Palembang <b,c,d> & more");
        let names = assert_clean(&svg);
        assert!(names.iter().filter(|n| *n == "rect").count() > 10);
        assert!(svg.contains("N (total, observed and unobserved)") && svg.contains(">draws<"));
        assert!(svg.contains("Palembang &lt;b,c,d&gt; &amp; more"));
        assert!(svg.contains("5000 draws"));
    }

    #[test]
    fn degenerate_inputs_give_finite_plots() {
        for draws in [
            vec![],
            vec![137u64],
            vec![5u64; 100],
            vec![0u64, 0],
            vec![u64::MAX / 4, u64::MAX / 4 + 1],
        ] {
            assert_clean(&posterior_histogram_svg(&draws, "h"));
            assert_clean(&trace_svg(std::slice::from_ref(&draws), "t"));
            assert_clean(&trace_svg(&[draws.clone(), draws.clone()], "t"));
        }
        assert_clean(&trace_svg(&[], "empty"));
        assert_clean(&estimates_svg(&[], "none"));
        let rows = vec![
            PlotRow {
                label: "one".into(),
                estimate: 100.0,
                low: 100.0,
                high: 100.0,
            },
            PlotRow {
                label: "missing".into(),
                estimate: f64::NAN,
                low: 1.0,
                high: 2.0,
            },
            PlotRow {
                label: "unbounded".into(),
                estimate: 3.0,
                low: 1.0,
                high: f64::INFINITY,
            },
        ];
        let svg = estimates_svg(&rows, "degenerate");
        assert_clean(&svg);
        assert_eq!(svg.matches("no estimate").count(), 2);
        let only_bad = vec![PlotRow {
            label: "x".into(),
            estimate: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        }];
        assert_clean(&estimates_svg(&only_bad, "bad"));
    }

    #[test]
    fn estimates_plot_has_one_row_per_model() {
        let rows = vec![
            PlotRow {
                label: "Mt".into(),
                estimate: 12318.5,
                low: 10266.0,
                high: 14992.3,
            },
            PlotRow {
                label: "Mt + c1:c2".into(),
                estimate: 23443.5,
                low: 11000.0,
                high: 60000.0,
            },
            PlotRow {
                label: "LCMCR".into(),
                estimate: 137.0,
                low: 124.0,
                high: 198.0,
            },
        ];
        let svg = estimates_svg(&rows, "Models");
        let names = assert_clean(&svg);
        assert_eq!(names.iter().filter(|n| *n == "circle").count(), 3);
        assert!(svg.contains("estimated total") && svg.contains("model or stratum"));
        assert!(svg.contains(">Mt + c1:c2<"));
        // A long label moves the plotting area right (to 20 px more than the
        // label's width in the bundled font) instead of running off the canvas.
        let label = "Mt + c1:c2 + c1:c3 + c2:c3 + c3:c4";
        let long = vec![PlotRow {
            label: label.into(),
            estimate: 5.0,
            low: 4.0,
            high: 6.0,
        }];
        let svg = estimates_svg(&long, "Long");
        assert_clean(&svg);
        let left = 20.0 + tumen_chart::text_width(label, 12.0, false);
        assert!(left > LEFT + 100.0, "{left}");
        assert!(
            svg.contains(&format!("<line x1=\"{left:.2}\" y1=\"356.00\"")),
            "{svg}"
        );
    }

    #[test]
    fn every_plot_rasterizes_even_when_degenerate() {
        let rows = vec![PlotRow {
            label: "Mt".into(),
            estimate: f64::NAN,
            low: 1.0,
            high: 2.0,
        }];
        for scene in [
            posterior_histogram(&[], "h"),
            posterior_histogram(&[5; 10], "h"),
            posterior_histogram(&[0, u64::MAX], "h"),
            trace(&[], "t"),
            trace(&[vec![1]], "t"),
            estimates(&[], "e"),
            estimates(&rows, "e"),
        ] {
            let png = scene.to_png(1.0).expect("rasterizes");
            assert_eq!(&png[1..4], b"PNG");
        }
    }

    #[test]
    fn trace_thins_long_chains_and_keeps_every_chain() {
        let chains: Vec<Vec<u64>> = (0..3)
            .map(|c| (0..100_000u64).map(|i| 1000 + (i * (c + 3)) % 97).collect())
            .collect();
        let svg = trace_svg(&chains, "Trace");
        let names = assert_clean(&svg);
        assert_eq!(names.iter().filter(|n| *n == "polyline").count(), 3);
        assert!(svg.len() < 400_000, "{} bytes", svg.len());
        assert!(svg.contains("kept draw") && svg.contains("N (total)") && svg.contains("chain 3"));
    }

    #[test]
    fn rows_follow_the_report_models_lcmcr_and_strata() {
        use crate::{EstimateRequest, estimate_counts};
        // Rcapture's HIV data (histpos.t order 1111…0001 rewritten as rows).
        let text = "c1,c2,c3,c4,count\n1,1,1,1,0\n1,1,1,0,3\n1,1,0,1,1\n1,1,0,0,33\n\
                    1,0,1,1,0\n1,0,1,0,20\n1,0,0,1,6\n1,0,0,0,403\n0,1,1,1,3\n0,1,1,0,35\n\
                    0,1,0,1,10\n0,1,0,0,545\n0,0,1,1,11\n0,0,1,0,621\n0,0,0,1,205\n";
        let req = EstimateRequest {
            models: vec!["M0".into(), "Mt".into()],
            ..EstimateRequest::default()
        };
        let e = estimate_counts(text, &[], &req).unwrap();
        let r = rows(&e);
        let labels: Vec<&str> = r.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["M0", "Mt"]);
        for row in &r {
            assert!(
                row.low <= row.estimate && row.estimate <= row.high,
                "{row:?}"
            );
        }
        // Two strata (Palembang's patterns, the second doubled): rows for
        // the pooled table first, then each stratum, then the sums.
        let mut text = String::from("b,c,d,year,count\n");
        for (year, k) in [("2022", 1), ("2023", 2)] {
            for (p, n) in [
                ("1,0,0", 5),
                ("0,1,0", 5),
                ("0,0,1", 41),
                ("1,1,0", 54),
                ("1,0,1", 6),
                ("1,1,1", 12),
            ] {
                text.push_str(&format!("{p},{year},{}\n", n * k));
            }
        }
        let e = estimate_counts(&text, &["year".to_string()], &req).unwrap();
        let labels: Vec<String> = rows(&e).into_iter().map(|r| r.label).collect();
        assert_eq!(&labels[..2], ["all: M0", "all: Mt"]);
        assert!(labels.contains(&"2022: Mt".to_string()), "{labels:?}");
        assert!(labels.contains(&"2023: M0".to_string()), "{labels:?}");
        assert!(
            labels.iter().any(|l| l.starts_with("sum of strata: ")),
            "{labels:?}"
        );
    }

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        // Span 75 over about 6 ticks: raw step 12.5, next nice step 20.
        assert_eq!(ticks(123.0, 198.0, 6), vec![140.0, 160.0, 180.0]);
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(140.0), "140");
    }
}
