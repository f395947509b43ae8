//! The SVG writer: one `<svg>` element with a `<title>`, a `<desc>`, a white
//! background and the scene's shapes; every text XML-escaped, every number
//! finite with two decimals.

use std::fmt::Write;

use crate::{Anchor, Scene, Shape, Stroke, Text};

/// Escape text for XML content and attribute values; control characters
/// (which XML 1.0 forbids) become spaces.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A number for an attribute: finite, two decimals.
pub(crate) fn n(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "0".to_string()
    }
}

pub(crate) fn write(scene: &Scene) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\" role=\"img\">\
         <title>{t}</title><desc>{d}</desc>\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"white\"/>",
        w = n(scene.width),
        h = n(scene.height),
        t = esc(&scene.title),
        d = esc(&scene.desc),
    );
    for s in &scene.shapes {
        shape(&mut svg, s);
    }
    svg.push_str("</svg>");
    svg
}

fn stroke_attrs(out: &mut String, s: &Stroke) {
    let _ = write!(
        out,
        " stroke=\"{}\" stroke-width=\"{}\"",
        s.color.css(),
        n(s.width)
    );
    if s.opacity < 1.0 {
        let _ = write!(out, " stroke-opacity=\"{}\"", n(s.opacity.max(0.0)));
    }
    if let Some((on, off)) = s.dash {
        let _ = write!(out, " stroke-dasharray=\"{} {}\"", n(on), n(off));
    }
}

fn shape(out: &mut String, s: &Shape) {
    match s {
        Shape::Rect {
            x,
            y,
            width,
            height,
            fill,
            opacity,
            stroke,
        } => {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"",
                n(*x),
                n(*y),
                n(width.max(0.0)),
                n(height.max(0.0)),
                fill.css()
            );
            if *opacity < 1.0 {
                let _ = write!(out, " fill-opacity=\"{}\"", n(opacity.max(0.0)));
            }
            if let Some(st) = stroke {
                stroke_attrs(out, st);
            }
            out.push_str("/>");
        }
        Shape::Line {
            x1,
            y1,
            x2,
            y2,
            stroke,
        } => {
            let _ = write!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"",
                n(*x1),
                n(*y1),
                n(*x2),
                n(*y2)
            );
            stroke_attrs(out, stroke);
            out.push_str("/>");
        }
        Shape::Polyline { points, stroke } => {
            out.push_str("<polyline fill=\"none\" points=\"");
            for (i, (x, y)) in points.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{},{}", n(*x), n(*y));
            }
            out.push('"');
            stroke_attrs(out, stroke);
            out.push_str("/>");
        }
        Shape::Circle {
            cx,
            cy,
            r,
            fill,
            tooltip,
        } => {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"",
                n(*cx),
                n(*cy),
                n(r.max(0.0)),
                fill.css()
            );
            match tooltip {
                Some(t) => {
                    let _ = write!(out, "><title>{}</title></circle>", esc(t));
                }
                None => out.push_str("/>"),
            }
        }
        Shape::Text(t) => text(out, t),
        Shape::Group { class, shapes } => {
            let _ = write!(out, "<g class=\"{}\">", esc(class));
            for s in shapes {
                shape(out, s);
            }
            out.push_str("</g>");
        }
    }
}

fn text(out: &mut String, t: &Text) {
    out.push_str("<text");
    if let Some(c) = t.class {
        let _ = write!(out, " class=\"{}\"", esc(c));
    }
    let _ = write!(out, " x=\"{}\" y=\"{}\"", n(t.x), n(t.y));
    match t.anchor {
        Anchor::Start => {}
        Anchor::Middle => out.push_str(" text-anchor=\"middle\""),
        Anchor::End => out.push_str(" text-anchor=\"end\""),
    }
    if t.size != 12.0 {
        let _ = write!(out, " font-size=\"{}\"", n(t.size));
    }
    if t.bold {
        out.push_str(" font-weight=\"bold\"");
    }
    if t.color != crate::Color::BLACK {
        let _ = write!(out, " fill=\"{}\"", t.color.css());
    }
    if t.rotate != 0.0 && t.rotate.is_finite() {
        let _ = write!(
            out,
            " transform=\"rotate({} {} {})\"",
            n(t.rotate),
            n(t.x),
            n(t.y)
        );
    }
    let _ = write!(out, ">{}</text>", esc(&t.content));
}

#[cfg(test)]
mod tests {
    use crate::{Color, Scene, Shape, Stroke, Text};

    #[test]
    fn escapes_text_and_never_prints_non_finite_numbers() {
        let mut s = Scene::new(100.0, 50.0, "a <b> & \"c\"", "d\u{7}e");
        s.push(Shape::line(
            f64::NAN,
            1.0,
            f64::INFINITY,
            2.0,
            Stroke::solid(Color::BLACK, 1.0),
        ));
        s.push(Shape::Text(Text::new(1.0, 2.0, "x < y").rotate(-90.0)));
        let svg = s.to_svg();
        assert!(svg.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert!(svg.contains("<desc>d e</desc>"));
        assert!(svg.contains("<line x1=\"0\" y1=\"1.00\" x2=\"0\" y2=\"2.00\""));
        assert!(svg.contains("transform=\"rotate(-90.00 1.00 2.00)\">x &lt; y</text>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn dashes_opacity_and_tooltips_are_written() {
        let mut s = Scene::new(10.0, 10.0, "t", "d");
        s.group(
            "marks",
            vec![
                Shape::line(
                    0.0,
                    0.0,
                    5.0,
                    5.0,
                    Stroke::solid(Color::hex(0xD55E00), 1.5)
                        .dashed(4.0, 3.0)
                        .with_opacity(0.5),
                ),
                Shape::Circle {
                    cx: 1.0,
                    cy: 1.0,
                    r: 2.0,
                    fill: Color::hex(0x0072B2),
                    tooltip: Some("Mt: 12318".into()),
                },
            ],
        );
        let svg = s.to_svg();
        assert!(svg.contains("<g class=\"marks\">"));
        assert!(svg.contains(
            "stroke=\"#d55e00\" stroke-width=\"1.50\" stroke-opacity=\"0.50\" stroke-dasharray=\"4.00 3.00\""
        ));
        assert!(svg.contains("fill=\"#0072b2\"><title>Mt: 12318</title></circle>"));
    }
}
