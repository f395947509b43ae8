//! The rasterizer: draws a scene into an anti-aliased RGBA pixmap with
//! tiny-skia and encodes it as PNG. Glyph outlines come from the bundled
//! font and are filled like any other path, so rotated text needs nothing
//! special.

use tiny_skia::{FillRule, LineCap, Paint, Path, PathBuilder, Pixmap, Rect, StrokeDash, Transform};

use crate::{Anchor, ChartError, Color, Scene, Shape, Stroke, Text, font};

/// Largest side in device pixels (a guard against absurd scales).
const MAX_SIDE: f64 = 16_384.0;

pub(crate) fn png(scene: &Scene, scale: f64) -> Result<Vec<u8>, ChartError> {
    pixmap(scene, scale)?
        .encode_png()
        .map_err(|e| ChartError::Encode(e.to_string()))
}

pub(crate) fn pixmap(scene: &Scene, scale: f64) -> Result<Pixmap, ChartError> {
    let (w, h) = (scene.width * scale, scene.height * scale);
    let size_err = || ChartError::Size {
        width: w,
        height: h,
    };
    if !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0 && w <= MAX_SIDE && h <= MAX_SIDE) {
        return Err(size_err());
    }
    let mut pm = Pixmap::new(w.round() as u32, h.round() as u32).ok_or_else(size_err)?;
    pm.fill(tiny_skia::Color::WHITE);
    let base = Transform::from_scale(scale as f32, scale as f32);
    for s in &scene.shapes {
        draw(&mut pm, s, base);
    }
    Ok(pm)
}

fn finite(vs: &[f64]) -> bool {
    vs.iter().all(|v| v.is_finite())
}

fn paint(c: Color, opacity: f64) -> Paint<'static> {
    let mut p = Paint::default();
    let a = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    p.set_color_rgba8(c.r, c.g, c.b, a);
    p.anti_alias = true;
    p
}

fn stroke_path(pm: &mut Pixmap, path: &Path, s: &Stroke, t: Transform) {
    if !finite(&[s.width, s.opacity]) || s.width <= 0.0 {
        return;
    }
    let mut st = tiny_skia::Stroke {
        width: s.width as f32,
        line_cap: LineCap::Butt,
        ..Default::default()
    };
    if let Some((on, off)) = s.dash {
        st.dash = StrokeDash::new(vec![on as f32, off as f32], 0.0);
    }
    pm.stroke_path(path, &paint(s.color, s.opacity), &st, t, None);
}

fn draw(pm: &mut Pixmap, shape: &Shape, t: Transform) {
    match shape {
        Shape::Rect {
            x,
            y,
            width,
            height,
            fill,
            opacity,
            stroke,
        } => {
            if !finite(&[*x, *y, *width, *height, *opacity]) {
                return;
            }
            let Some(r) = Rect::from_xywh(*x as f32, *y as f32, *width as f32, *height as f32)
            else {
                return;
            };
            let path = PathBuilder::from_rect(r);
            pm.fill_path(&path, &paint(*fill, *opacity), FillRule::Winding, t, None);
            if let Some(s) = stroke {
                stroke_path(pm, &path, s, t);
            }
        }
        Shape::Line {
            x1,
            y1,
            x2,
            y2,
            stroke,
        } => {
            if !finite(&[*x1, *y1, *x2, *y2]) {
                return;
            }
            let mut pb = PathBuilder::new();
            pb.move_to(*x1 as f32, *y1 as f32);
            pb.line_to(*x2 as f32, *y2 as f32);
            if let Some(path) = pb.finish() {
                stroke_path(pm, &path, stroke, t);
            }
        }
        Shape::Polyline { points, stroke } => {
            let mut pb = PathBuilder::new();
            for &(x, y) in points.iter().filter(|(x, y)| finite(&[*x, *y])) {
                if pb.is_empty() {
                    pb.move_to(x as f32, y as f32);
                } else {
                    pb.line_to(x as f32, y as f32);
                }
            }
            if let Some(path) = pb.finish() {
                stroke_path(pm, &path, stroke, t);
            }
        }
        Shape::Circle {
            cx, cy, r, fill, ..
        } => {
            if !finite(&[*cx, *cy, *r]) {
                return;
            }
            if let Some(path) = PathBuilder::from_circle(*cx as f32, *cy as f32, *r as f32) {
                pm.fill_path(&path, &paint(*fill, 1.0), FillRule::Winding, t, None);
            }
        }
        Shape::Text(text) => draw_text(pm, text, t),
        Shape::Group { shapes, .. } => {
            for s in shapes {
                draw(pm, s, t);
            }
        }
    }
}

/// Collects a glyph's outline (font units, y up) into a path in text
/// coordinates (pixels, y down), offset by the pen position.
struct Outline<'a> {
    pb: &'a mut PathBuilder,
    pen: f32,
    k: f32,
}

impl Outline<'_> {
    fn p(&self, x: f32, y: f32) -> (f32, f32) {
        (self.pen + x * self.k, -y * self.k)
    }
}

impl ttf_parser::OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.pb.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.pb.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (x1, y1) = self.p(x1, y1);
        let (x, y) = self.p(x, y);
        self.pb.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (x1, y1) = self.p(x1, y1);
        let (x2, y2) = self.p(x2, y2);
        let (x, y) = self.p(x, y);
        self.pb.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.pb.close();
    }
}

fn draw_text(pm: &mut Pixmap, text: &Text, t: Transform) {
    if !finite(&[text.x, text.y, text.size, text.rotate]) || text.size <= 0.0 {
        return;
    }
    let Some(face) = font::face(text.bold) else {
        return;
    };
    let width = font::text_width(&text.content, text.size, text.bold);
    let start = match text.anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -width / 2.0,
        Anchor::End => -width,
    };
    let k = (text.size / f64::from(face.units_per_em().max(1))) as f32;
    let mut pb = PathBuilder::new();
    let mut pen = start as f32;
    for c in text.content.chars() {
        if let Some(g) = font::glyph(face, c) {
            let mut o = Outline {
                pb: &mut pb,
                pen,
                k,
            };
            face.outline_glyph(g, &mut o);
        }
        pen += font::advance(face, c, text.size) as f32;
    }
    let Some(path) = pb.finish() else {
        return; // only spaces
    };
    let t = t
        .pre_translate(text.x as f32, text.y as f32)
        .pre_concat(Transform::from_rotate(text.rotate as f32));
    pm.fill_path(&path, &paint(text.color, 1.0), FillRule::Winding, t, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scene, Text};

    /// Colour of the device pixel at (x, y), alpha dropped (the canvas is
    /// opaque white underneath everything).
    fn at(pm: &Pixmap, x: u32, y: u32) -> (u8, u8, u8) {
        let p = pm.pixel(x, y).expect("inside").demultiply();
        (p.red(), p.green(), p.blue())
    }

    /// Bounding box of the pixels darker than near-white.
    fn ink(pm: &Pixmap) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..pm.height() {
            for x in 0..pm.width() {
                let (r, g, bl) = at(pm, x, y);
                if u32::from(r) + u32::from(g) + u32::from(bl) < 600 {
                    b = Some(match b {
                        None => (x, y, x, y),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                    });
                }
            }
        }
        b
    }

    #[test]
    fn shapes_land_where_the_scene_puts_them() {
        let mut s = Scene::new(100.0, 60.0, "t", "d");
        s.push(Shape::Rect {
            x: 10.0,
            y: 10.0,
            width: 20.0,
            height: 30.0,
            fill: Color::hex(0x0072B2),
            opacity: 1.0,
            stroke: None,
        });
        s.push(Shape::line(
            50.0,
            5.0,
            50.0,
            55.0,
            Stroke::solid(Color::BLACK, 2.0),
        ));
        let pm = pixmap(&s, 1.0).unwrap();
        assert_eq!((pm.width(), pm.height()), (100, 60));
        assert_eq!(at(&pm, 20, 25), (0x00, 0x72, 0xB2));
        assert_eq!(at(&pm, 5, 5), (255, 255, 255));
        assert_eq!(at(&pm, 35, 25), (255, 255, 255));
        assert_eq!(at(&pm, 50, 30), (0, 0, 0));
        assert_eq!(at(&pm, 53, 30), (255, 255, 255));
        // At scale 2 everything doubles.
        let pm2 = pixmap(&s, 2.0).unwrap();
        assert_eq!((pm2.width(), pm2.height()), (200, 120));
        assert_eq!(at(&pm2, 40, 50), (0x00, 0x72, 0xB2));
        assert_eq!(at(&pm2, 70, 50), (255, 255, 255));
    }

    #[test]
    fn text_is_inked_at_its_anchor_and_rotates() {
        let mut s = Scene::new(200.0, 200.0, "t", "d");
        s.push(Shape::Text(
            Text::new(100.0, 100.0, "HHHH")
                .size(20.0)
                .anchor(Anchor::Middle),
        ));
        let pm = pixmap(&s, 1.0).unwrap();
        let (x0, y0, x1, y1) = ink(&pm).expect("text drew something");
        let w = crate::text_width("HHHH", 20.0, false);
        // Centred on x = 100 (within the glyphs' side bearings) and sitting on
        // the baseline y = 100 with a cap height of about 0.73 em.
        assert!(
            (f64::from(x0 + x1) / 2.0 - 100.0).abs() <= 2.0,
            "{x0}..{x1}"
        );
        assert!(f64::from(x1 - x0) <= w && f64::from(x1 - x0) > w * 0.7);
        assert!((99..=100).contains(&y1), "{y1}");
        assert!((84..=87).contains(&y0), "{y0}");
        // Rotated by −90° the same text runs upwards: tall, not wide.
        let mut r = Scene::new(200.0, 200.0, "t", "d");
        r.push(Shape::Text(
            Text::new(100.0, 100.0, "HHHH")
                .size(20.0)
                .anchor(Anchor::Middle)
                .rotate(-90.0),
        ));
        let (x0, y0, x1, y1) = ink(&pixmap(&r, 1.0).unwrap()).unwrap();
        assert!(y1 - y0 > 2 * (x1 - x0), "{x0},{y0}..{x1},{y1}");
        assert!(x1 <= 100 && x0 >= 84, "{x0}..{x1}");
    }

    #[test]
    fn hangul_without_a_glyph_still_takes_room_and_ink() {
        let mut s = Scene::new(100.0, 40.0, "t", "d");
        s.push(Shape::Text(Text::new(10.0, 30.0, "함경북도").size(16.0)));
        assert!(ink(&pixmap(&s, 1.0).unwrap()).is_some());
    }

    #[test]
    fn degenerate_scenes_are_errors_or_skipped_shapes_never_panics() {
        for (w, h, k) in [
            (0.0, 10.0, 1.0),
            (10.0, 10.0, 0.0),
            (f64::NAN, 1.0, 1.0),
            (1e9, 1.0, 1.0),
        ] {
            let s = Scene::new(w, h, "t", "d");
            assert!(
                matches!(s.to_png(k), Err(ChartError::Size { .. })),
                "{w}×{h}×{k}"
            );
        }
        let mut s = Scene::new(20.0, 20.0, "t", "d");
        s.push(Shape::line(
            f64::NAN,
            0.0,
            1.0,
            1.0,
            Stroke::solid(Color::BLACK, 1.0),
        ));
        s.push(Shape::Polyline {
            points: vec![(f64::INFINITY, 1.0)],
            stroke: Stroke::solid(Color::BLACK, 1.0),
        });
        s.push(Shape::Rect {
            x: 1.0,
            y: 1.0,
            width: -5.0,
            height: 3.0,
            fill: Color::BLACK,
            opacity: 1.0,
            stroke: None,
        });
        s.push(Shape::Text(Text::new(1.0, 1.0, "").size(-3.0)));
        s.push(Shape::Text(Text::new(1.0, 10.0, "   ")));
        let pm = pixmap(&s, 1.0).unwrap();
        assert!(ink(&pm).is_none());
    }
}
