//! The bundled font: DejaVu Sans regular and bold, cut down to the
//! characters plots use (see `fonts/` and `tools/subset-font.sh`). Text is
//! laid out glyph by glyph along the advance widths; plots have short labels,
//! so no shaping or kerning is needed.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId};

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold-subset.ttf");

/// Drawn for a character the font lacks (Hangul, Chinese characters, emoji).
const MISSING: char = '\u{25A1}';

pub(crate) fn face(bold: bool) -> Option<&'static Face<'static>> {
    static REGULAR: OnceLock<Option<Face<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<Face<'static>>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, BOLD_TTF)
    } else {
        (&REGULAR, REGULAR_TTF)
    };
    cell.get_or_init(|| Face::parse(bytes, 0).ok()).as_ref()
}

/// The glyph drawn for `c`: its own, or the white square if the font lacks
/// it. Control characters and other zero-width characters get none.
pub(crate) fn glyph(face: &Face<'_>, c: char) -> Option<GlyphId> {
    if c.is_control() {
        return None;
    }
    face.glyph_index(c).or_else(|| face.glyph_index(MISSING))
}

/// Advance width of `c` in pixels at `size`.
pub(crate) fn advance(face: &Face<'_>, c: char, size: f64) -> f64 {
    let upem = f64::from(face.units_per_em().max(1));
    glyph(face, c)
        .and_then(|g| face.glyph_hor_advance(g))
        .map_or(0.0, |a| f64::from(a) * size / upem)
}

/// Width in pixels of `text` set in the bundled font at `size` — what a
/// layout needs to make room for a label.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    match face(bold) {
        Some(f) => text.chars().map(|c| advance(f, c, size)).sum(),
        // The font is compiled in, so this is unreachable in practice; an
        // average width keeps layouts sane regardless.
        None => 0.6 * size * text.chars().count() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_parse_and_have_the_plot_characters() {
        for bold in [false, true] {
            let f = face(bold).expect("bundled font parses");
            for c in "Nn0123456789–%≤×αβ²₀□".chars() {
                assert!(f.glyph_index(c).is_some(), "{c:?} missing (bold {bold})");
            }
        }
    }

    #[test]
    fn widths_grow_with_text_and_size_and_missing_characters_take_room() {
        // DejaVu Sans: 'M' advances 1767/2048 em, 'i' 569/2048 em (its hmtx).
        assert!((text_width("M", 2048.0, false) - 1767.0).abs() < 0.5);
        assert!((text_width("i", 2048.0, false) - 569.0).abs() < 0.5);
        assert!(text_width("MM", 12.0, false) > text_width("M", 12.0, false));
        assert!(text_width("M", 24.0, false) > text_width("M", 12.0, false));
        assert!(text_width("M", 12.0, true) > text_width("M", 12.0, false));
        assert!(text_width("김", 12.0, false) > 0.0);
        assert_eq!(text_width("\u{7}", 12.0, false), 0.0);
    }
}
