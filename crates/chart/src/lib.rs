//! Charts as a *scene*: a list of shapes and text in pixel coordinates,
//! written either as self-contained SVG text or rasterized to PNG bytes.
//!
//! Why a scene: a plot's layout (ranges, ticks, labels, where each bar
//! goes) is worked out once by the code that knows the data — the
//! estimation plots now, the report's timelines and statistics later — and
//! the same scene then becomes SVG for the web pages and PNG for a report
//! or a UN submission, so the two can never disagree. This crate does no
//! I/O: it returns a `String` or a `Vec<u8>` and the caller decides where
//! they go.
//!
//! Text in PNGs is drawn with DejaVu Sans (cut down to Latin, Greek,
//! punctuation and mathematical signs; see `fonts/` and
//! `tools/subset-font.sh` for provenance and licence). A character the font
//! lacks — Hangul and Chinese characters, for now — is drawn as a white
//! square in the PNG; the SVG keeps the real text, and a browser draws it
//! with the reader's own fonts.
//!
//! Numbers that are not finite never reach the output: the SVG writer
//! prints `0` for them and the rasterizer leaves the shape out, so a
//! degenerate plot is still a valid file.

mod font;
mod raster;
mod svg;

pub use font::text_width;

/// Errors of the rasterizer.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The requested image has no pixels or more than the rasterizer can hold.
    #[error(
        "a {width} × {height} pixel image cannot be drawn (each side must be 1 to 16,384 pixels)"
    )]
    Size { width: f64, height: f64 },
    /// The PNG encoder failed.
    #[error("encoding the PNG failed: {0}")]
    Encode(String),
}

/// An opaque colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Color {
    pub const WHITE: Color = Color::rgb(255, 255, 255);
    pub const BLACK: Color = Color::rgb(0, 0, 0);

    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Color { r, g, b }
    }

    /// From `0xRRGGBB`.
    pub const fn hex(v: u32) -> Self {
        Color::rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
    }

    /// `#rrggbb`, as SVG writes it.
    pub fn css(&self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    pub color: Color,
    pub width: f64,
    /// Opacity from 0 to 1.
    pub opacity: f64,
    /// Dash and gap lengths, for a dashed line.
    pub dash: Option<(f64, f64)>,
}

impl Stroke {
    pub fn solid(color: Color, width: f64) -> Self {
        Stroke {
            color,
            width,
            opacity: 1.0,
            dash: None,
        }
    }

    pub fn dashed(self, on: f64, off: f64) -> Self {
        Stroke {
            dash: Some((on, off)),
            ..self
        }
    }

    pub fn with_opacity(self, opacity: f64) -> Self {
        Stroke { opacity, ..self }
    }
}

/// Where a text's `x` is: at its start, middle or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// A line of text. `y` is the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub x: f64,
    pub y: f64,
    pub content: String,
    pub size: f64,
    pub bold: bool,
    pub anchor: Anchor,
    pub color: Color,
    /// Rotation in degrees (clockwise, as in SVG) about (`x`, `y`).
    pub rotate: f64,
    /// A class for the SVG (e.g. `x-label`), so pages and tests can find it.
    pub class: Option<&'static str>,
}

impl Text {
    /// Text of the default size (12 px), black, starting at `x`.
    pub fn new(x: f64, y: f64, content: impl Into<String>) -> Self {
        Text {
            x,
            y,
            content: content.into(),
            size: 12.0,
            bold: false,
            anchor: Anchor::Start,
            color: Color::BLACK,
            rotate: 0.0,
            class: None,
        }
    }

    pub fn anchor(self, anchor: Anchor) -> Self {
        Text { anchor, ..self }
    }

    pub fn size(self, size: f64) -> Self {
        Text { size, ..self }
    }

    pub fn bold(self) -> Self {
        Text { bold: true, ..self }
    }

    pub fn color(self, color: Color) -> Self {
        Text { color, ..self }
    }

    pub fn rotate(self, degrees: f64) -> Self {
        Text {
            rotate: degrees,
            ..self
        }
    }

    pub fn class(self, class: &'static str) -> Self {
        Text {
            class: Some(class),
            ..self
        }
    }
}

/// One element of a scene.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Rect {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        fill: Color,
        /// Fill opacity from 0 to 1.
        opacity: f64,
        stroke: Option<Stroke>,
    },
    Line {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        stroke: Stroke,
    },
    Polyline {
        points: Vec<(f64, f64)>,
        stroke: Stroke,
    },
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        fill: Color,
        /// Shown on hover in a browser; not drawn in a PNG.
        tooltip: Option<String>,
    },
    Text(Text),
    /// Shapes drawn together; `class` names the group in the SVG.
    Group {
        class: &'static str,
        shapes: Vec<Shape>,
    },
}

impl Shape {
    pub fn line(x1: f64, y1: f64, x2: f64, y2: f64, stroke: Stroke) -> Self {
        Shape::Line {
            x1,
            y1,
            x2,
            y2,
            stroke,
        }
    }
}

/// A chart: a white canvas of `width` × `height` pixels with a title (for
/// accessibility: screen readers read the SVG's `<title>` and `<desc>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub title: String,
    pub desc: String,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(width: f64, height: f64, title: impl Into<String>, desc: impl Into<String>) -> Self {
        Scene {
            width,
            height,
            title: title.into(),
            desc: desc.into(),
            shapes: Vec::new(),
        }
    }

    pub fn push(&mut self, shape: Shape) {
        self.shapes.push(shape);
    }

    /// Add a named group of shapes.
    pub fn group(&mut self, class: &'static str, shapes: Vec<Shape>) {
        self.shapes.push(Shape::Group { class, shapes });
    }

    /// The scene as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        svg::write(self)
    }

    /// The scene rasterized at `scale` device pixels per scene pixel (2 for
    /// print and high-density screens), encoded as PNG.
    pub fn to_png(&self, scale: f64) -> Result<Vec<u8>, ChartError> {
        raster::png(self, scale)
    }
}
