//! Plots of estimates as self-contained SVG text, with no dependency: the
//! posterior histogram of N, estimates with their intervals (one row per
//! model or stratum), and the trace of the sampler's chains.
//!
//! Why SVG strings: the web pages embed them directly and the command line
//! writes them to a file, and a library at the bottom of the stack must not
//! pull in a drawing crate. Every coordinate goes through [`Frame`], which
//! maps data to pixels and never emits NaN or infinity: a degenerate range
//! (one draw, all draws equal) is widened around its value, and values that
//! are not finite are left out and said so in the plot. All text is
//! XML-escaped.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 64.0;
/// Colours for chains (colour-blind safe, Okabe–Ito).
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];
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

/// Escape text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A number for an attribute: finite, two decimals.
fn n(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "0".to_string()
    }
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

fn open(svg: &mut String, title: &str, desc: &str) {
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\
         <title>{t}</title><desc>{d}</desc>\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"white\"/>\
         <text x=\"{cx}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        w = WIDTH,
        h = HEIGHT,
        t = esc(title),
        d = esc(desc),
        cx = n(WIDTH / 2.0),
    );
}

/// Axes with ticks and labels. `y_ticks` false draws no y ticks (rows).
fn axes(svg: &mut String, f: &Frame, x_label: &str, y_label: &str, y_ticks: bool) {
    let (bx, by) = (f.left, HEIGHT - BOTTOM);
    let _ = write!(
        svg,
        "<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\">\
         <line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>\
         <line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/></g>",
        l = n(bx),
        b = n(by),
        r = n(WIDTH - RIGHT),
        t = n(TOP),
    );
    svg.push_str("<g class=\"x-ticks\">");
    for t in ticks(f.x0, f.x1, 6) {
        let x = f.px(t);
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"{b}\" x2=\"{x}\" y2=\"{b5}\" stroke=\"#333\"/>\
             <text x=\"{x}\" y=\"{b18}\" text-anchor=\"middle\">{lab}</text>",
            x = n(x),
            b = n(by),
            b5 = n(by + 5.0),
            b18 = n(by + 18.0),
            lab = esc(&tick_label(t)),
        );
    }
    svg.push_str("</g>");
    if y_ticks {
        svg.push_str("<g class=\"y-ticks\">");
        for t in ticks(f.y0, f.y1, 5) {
            let y = f.py(t);
            let _ = write!(
                svg,
                "<line x1=\"{l5}\" y1=\"{y}\" x2=\"{l}\" y2=\"{y}\" stroke=\"#333\"/>\
                 <text x=\"{l8}\" y=\"{y4}\" text-anchor=\"end\">{lab}</text>",
                l5 = n(bx - 5.0),
                l = n(bx),
                l8 = n(bx - 8.0),
                y = n(y),
                y4 = n(y + 4.0),
                lab = esc(&tick_label(t)),
            );
        }
        svg.push_str("</g>");
    }
    let _ = write!(
        svg,
        "<text class=\"x-label\" x=\"{cx}\" y=\"{yl}\" text-anchor=\"middle\">{xl}</text>\
         <text class=\"y-label\" x=\"16\" y=\"{cy}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {cy})\">{yl2}</text>",
        cx = n(f.left + (WIDTH - f.left - RIGHT) / 2.0),
        yl = n(HEIGHT - 16.0),
        xl = esc(x_label),
        cy = n(TOP + (HEIGHT - TOP - BOTTOM) / 2.0),
        yl2 = esc(y_label),
    );
}

fn note(svg: &mut String, text: &str) {
    let _ = write!(
        svg,
        "<text class=\"note\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\" fill=\"#a00\">{t}</text>",
        x = n(WIDTH - RIGHT),
        y = n(TOP - 4.0),
        t = esc(text)
    );
}

/// Histogram of posterior draws of N, with the median (solid) and the 95 %
/// interval (dashed) marked. Bins are whole numbers wide (N is a count).
pub fn posterior_histogram_svg(samples: &[u64], title: &str) -> String {
    let mut svg = String::new();
    open(
        &mut svg,
        title,
        "Histogram of posterior draws of the total N",
    );
    if samples.is_empty() {
        let f = Frame {
            left: LEFT,
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 1.0,
        };
        axes(
            &mut svg,
            &f,
            "N (total, observed and unobserved)",
            "draws",
            true,
        );
        note(&mut svg, "no draws to plot");
        svg.push_str("</svg>");
        return svg;
    }
    let mut sorted: Vec<u64> = samples.to_vec();
    sorted.sort_unstable();
    let lo = sorted[0];
    let hi = sorted[sorted.len() - 1];
    // Integer bin width so each bin holds the same number of possible values.
    let span = hi - lo + 1;
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
        lo as f64 - 0.5 + (bins as u64 * width) as f64,
    );
    let f = Frame {
        left: LEFT,
        x0,
        x1,
        y0: 0.0,
        y1: top * 1.05,
    };
    svg.push_str("<g class=\"bars\" fill=\"#0072B2\" fill-opacity=\"0.75\" stroke=\"white\" stroke-width=\"0.5\">");
    for (b, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let a = x0 + (b as u64 * width) as f64;
        let (xa, xb) = (f.px(a), f.px(a + width as f64));
        let (ya, yb) = (f.py(c as f64), f.py(0.0));
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            n(xa),
            n(ya),
            n((xb - xa).max(0.5)),
            n((yb - ya).max(0.0))
        );
    }
    svg.push_str("</g>");
    let q = |p: f64| {
        let h = (sorted.len() - 1) as f64 * p;
        let i = h.floor() as usize;
        let j = (i + 1).min(sorted.len() - 1);
        sorted[i] as f64 + (h - i as f64) * (sorted[j] as f64 - sorted[i] as f64)
    };
    let marks = [
        (q(0.5), "median", ""),
        (q(0.025), "2.5%", "4 3"),
        (q(0.975), "97.5%", "4 3"),
    ];
    svg.push_str("<g class=\"marks\" stroke=\"#D55E00\" stroke-width=\"1.5\">");
    for (v, _, dash) in marks {
        let x = f.px(v);
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{b}\"{d}/>",
            x = n(x),
            t = n(TOP),
            b = n(HEIGHT - BOTTOM),
            d = if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            }
        );
    }
    svg.push_str("</g>");
    let _ = write!(
        svg,
        "<text class=\"summary\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\">median {m}, 95% interval {a}–{b}, {k} draws</text>",
        x = n(WIDTH - RIGHT - 4.0),
        y = n(TOP + 14.0),
        m = esc(&tick_label(q(0.5).round())),
        a = esc(&tick_label(q(0.025).round())),
        b = esc(&tick_label(q(0.975).round())),
        k = sorted.len()
    );
    axes(
        &mut svg,
        &f,
        "N (total, observed and unobserved)",
        "draws",
        true,
    );
    svg.push_str("</svg>");
    svg
}

/// Estimates with intervals, one row per model or stratum (a forest plot).
/// Rows whose numbers are not finite are listed with "no estimate".
pub fn estimates_svg(rows: &[PlotRow], title: &str) -> String {
    let mut svg = String::new();
    open(
        &mut svg,
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
    // Room for the longest row label (about 7 px a character), within reason.
    let longest = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0) as f64;
    let left = (40.0 + 7.0 * longest).clamp(LEFT, WIDTH * 0.5);
    let f = Frame {
        left,
        x0: lo - pad,
        x1: hi + pad,
        y0: 0.0,
        y1: rows_n,
    };
    axes(&mut svg, &f, "estimated total", "model or stratum", false);
    if rows.is_empty() {
        note(&mut svg, "no estimates to plot");
    }
    svg.push_str("<g class=\"rows\">");
    for (i, r) in rows.iter().enumerate() {
        let y = f.py(rows_n - i as f64 - 0.5);
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\">{l}</text>",
            x = n(f.left - 6.0),
            y = n(y + 4.0),
            l = esc(&r.label)
        );
        if usable(r) {
            let (a, b) = (r.low.min(r.high), r.low.max(r.high));
            let _ = write!(
                svg,
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#333\" stroke-width=\"2\"/>\
                 <circle cx=\"{}\" cy=\"{y}\" r=\"4\" fill=\"#0072B2\"><title>{}: {} ({} to {})</title></circle>",
                n(f.px(a)),
                n(f.px(b)),
                n(f.px(r.estimate)),
                esc(&r.label),
                esc(&tick_label(r.estimate.round())),
                esc(&tick_label(a.round())),
                esc(&tick_label(b.round())),
                y = n(y),
            );
        } else {
            let _ = write!(
                svg,
                "<text x=\"{x}\" y=\"{y}\" fill=\"#a00\">no estimate</text>",
                x = n(f.left + 8.0),
                y = n(y + 4.0)
            );
        }
    }
    svg.push_str("</g></svg>");
    svg
}

/// Trace of N over the kept draws, one line per chain, so a person can see
/// whether chains mix and agree.
pub fn trace_svg(chains: &[Vec<u64>], title: &str) -> String {
    let mut svg = String::new();
    open(
        &mut svg,
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
    axes(&mut svg, &f, "kept draw", "N (total)", true);
    if len == 0 {
        note(&mut svg, "no draws to plot");
    }
    svg.push_str("<g class=\"chains\" fill=\"none\" stroke-width=\"1\">");
    for (c, chain) in chains.iter().enumerate() {
        if chain.is_empty() {
            continue;
        }
        let colour = PALETTE[c % PALETTE.len()];
        let mut pts = String::new();
        let bucket = chain.len().div_ceil(MAX_TRACE_POINTS / 2).max(1);
        if bucket == 1 {
            for (i, &v) in chain.iter().enumerate() {
                let _ = write!(pts, "{},{} ", n(f.px(i as f64)), n(f.py(v as f64)));
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
                    let _ = write!(
                        pts,
                        "{},{} ",
                        n(f.px((start + i) as f64)),
                        n(f.py(v as f64))
                    );
                }
            }
        }
        if chain.len() == 1 {
            let _ = write!(
                svg,
                "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{colour}\"/>",
                n(f.px(0.0)),
                n(f.py(chain[0] as f64))
            );
        } else {
            let _ = write!(
                svg,
                "<polyline stroke=\"{colour}\" stroke-opacity=\"0.8\" points=\"{}\"/>",
                pts.trim_end()
            );
        }
    }
    svg.push_str("</g>");
    if chains.len() > 1 {
        svg.push_str("<g class=\"legend\">");
        for (c, _) in chains.iter().enumerate().take(PALETTE.len()) {
            let x = LEFT + 10.0 + 70.0 * c as f64;
            let _ = write!(
                svg,
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{ty}\">chain {}</text>",
                n(x),
                n(x + 16.0),
                PALETTE[c],
                n(x + 20.0),
                c + 1,
                y = n(TOP + 10.0),
                ty = n(TOP + 14.0),
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
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
        // A long label (34 characters: 40 + 7·34 = 278 px) moves the plotting
        // area right instead of running off
        // the canvas.
        let long = vec![PlotRow {
            label: "Mt + c1:c2 + c1:c3 + c2:c3 + c3:c4".into(),
            estimate: 5.0,
            low: 4.0,
            high: 6.0,
        }];
        let svg = estimates_svg(&long, "Long");
        assert_clean(&svg);
        assert!(svg.contains("<line x1=\"278.00\" y1=\"356.00\""), "{svg}");
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
    fn nice_ticks_are_round() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        // Span 75 over about 6 ticks: raw step 12.5, next nice step 20.
        assert_eq!(ticks(123.0, 198.0, 6), vec![140.0, 160.0, 180.0]);
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(140.0), "140");
    }
}
