//! JPEG metadata: read the Exif/GPS tags at acquisition, and write copies
//! without them for sharing.
//!
//! A photograph's Exif block can carry the GPS position where it was taken,
//! the camera's serial number and the owner's name: enough to locate a
//! witness's family. The original keeps everything (it is evidence); the
//! tags are copied into the evidence record's metadata map; every copy that
//! leaves the archive for sharing is written without the APP1 (Exif, XMP),
//! APP13 (Photoshop/IPTC) and COM (comment) segments.
//!
//! Both parts are written here from the JPEG (ITU T.81, Annex B) and Exif
//! 2.3 (TIFF 6.0 IFD) structure, to avoid a large image crate: only marker
//! segments are walked, pixel data is never decoded. The stripper streams
//! (`BufRead` → `Write`), so memory stays bounded for any image size.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

/// Why a JPEG could not be read or stripped (position = byte offset).
#[derive(Debug, thiserror::Error)]
pub enum JpegError {
    #[error("not a JPEG (no SOI marker)")]
    NotJpeg,
    #[error("JPEG is malformed at byte {at}: {why}")]
    Malformed { at: u64, why: &'static str },
    #[error("reading or writing the image: {0}")]
    Io(#[from] std::io::Error),
}

/// True if the bytes start like a JPEG (SOI followed by a marker).
pub fn looks_like_jpeg(prefix: &[u8]) -> bool {
    prefix.len() >= 3 && prefix[0] == 0xFF && prefix[1] == 0xD8 && prefix[2] == 0xFF
}

/// Segments removed from shared copies.
fn is_metadata_marker(m: u8) -> bool {
    matches!(m, 0xE1 | 0xED | 0xFE)
}

struct Src<'a, R: BufRead> {
    r: &'a mut R,
    at: u64,
}

impl<R: BufRead> Src<'_, R> {
    fn byte(&mut self) -> Result<Option<u8>, JpegError> {
        let b = match self.r.fill_buf()?.first() {
            None => return Ok(None),
            Some(b) => *b,
        };
        self.r.consume(1);
        self.at += 1;
        Ok(Some(b))
    }
    fn need(&mut self, why: &'static str) -> Result<u8, JpegError> {
        self.byte()?
            .ok_or(JpegError::Malformed { at: self.at, why })
    }
    /// Copy (or skip, if `out` is None) exactly `n` bytes.
    fn pass(&mut self, mut n: u64, mut out: Option<&mut dyn Write>) -> Result<(), JpegError> {
        while n > 0 {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Err(JpegError::Malformed {
                    at: self.at,
                    why: "segment runs past the end of the file",
                });
            }
            let k = (buf.len() as u64).min(n) as usize;
            if let Some(o) = out.as_deref_mut() {
                o.write_all(&buf[..k])?;
            }
            self.r.consume(k);
            self.at += k as u64;
            n -= k as u64;
        }
        Ok(())
    }
}

/// Copy a JPEG from `input` to `out` without its APP1, APP13 and COM
/// segments, wherever they occur (also between the scans of a progressive
/// image). Everything else, including the entropy-coded data, is copied byte
/// for byte. Returns the number of segments removed.
pub fn strip_metadata<R: BufRead, W: Write>(
    input: &mut R,
    out: &mut W,
) -> Result<usize, JpegError> {
    let mut s = Src { r: input, at: 0 };
    if s.byte()? != Some(0xFF) || s.byte()? != Some(0xD8) {
        return Err(JpegError::NotJpeg);
    }
    out.write_all(&[0xFF, 0xD8])?;
    let mut removed = 0;
    // `pending` is a marker already read while scanning entropy-coded data.
    let mut pending: Option<u8> = None;
    loop {
        let marker = match pending.take() {
            Some(m) => m,
            None => {
                let ff = s.need("file ends where a marker should be")?;
                if ff != 0xFF {
                    return Err(JpegError::Malformed {
                        at: s.at,
                        why: "expected a marker",
                    });
                }
                let mut m = s.need("file ends inside a marker")?;
                while m == 0xFF {
                    m = s.need("file ends inside a marker")?; // fill bytes
                }
                m
            }
        };
        match marker {
            0xD9 => {
                out.write_all(&[0xFF, 0xD9])?;
                return Ok(removed);
            }
            0x01 | 0xD0..=0xD7 => {
                out.write_all(&[0xFF, marker])?;
                continue;
            }
            0x00 | 0xD8 => {
                return Err(JpegError::Malformed {
                    at: s.at,
                    why: "unexpected marker",
                });
            }
            _ => {}
        }
        let hi = s.need("file ends inside a segment length")?;
        let lo = s.need("file ends inside a segment length")?;
        let len = u16::from_be_bytes([hi, lo]);
        if len < 2 {
            return Err(JpegError::Malformed {
                at: s.at,
                why: "segment length below 2",
            });
        }
        let body = u64::from(len - 2);
        if is_metadata_marker(marker) {
            s.pass(body, None)?;
            removed += 1;
            continue;
        }
        out.write_all(&[0xFF, marker, hi, lo])?;
        s.pass(body, Some(out))?;
        if marker == 0xDA {
            // Entropy-coded data follows until a marker other than a
            // stuffed zero or a restart marker.
            loop {
                let b = s.need("file ends inside image data")?;
                if b != 0xFF {
                    out.write_all(&[b])?;
                    continue;
                }
                let mut n = s.need("file ends inside image data")?;
                while n == 0xFF {
                    n = s.need("file ends inside image data")?;
                }
                if n == 0x00 || (0xD0..=0xD7).contains(&n) {
                    out.write_all(&[0xFF, n])?;
                    continue;
                }
                pending = Some(n);
                break;
            }
        }
    }
}

/// The Exif and GPS tags of a JPEG, as a flat map of text values
/// (`exif.make`, `exif.date_time_original`, `gps.latitude` in signed decimal
/// degrees, …). `data` is the start of the file; only marker segments before
/// the first scan are looked at. An image without Exif gives an empty map.
pub fn extract_metadata(data: &[u8]) -> Result<BTreeMap<String, String>, JpegError> {
    let mut map = BTreeMap::new();
    if !looks_like_jpeg(data) {
        return Err(JpegError::NotJpeg);
    }
    let mut i = 2usize;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return Err(JpegError::Malformed {
                at: i as u64,
                why: "expected a marker",
            });
        }
        let m = data[i + 1];
        if m == 0xFF {
            i += 1;
            continue;
        }
        if m == 0xDA || m == 0xD9 {
            break;
        }
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        if len < 2 {
            return Err(JpegError::Malformed {
                at: i as u64 + 2,
                why: "segment length below 2",
            });
        }
        let body = data.get(i + 4..i + 2 + len);
        match m {
            0xE1 => {
                if let Some(b) = body {
                    if let Some(tiff) = b.strip_prefix(b"Exif\0\0") {
                        parse_tiff(tiff, &mut map);
                    } else if b.starts_with(b"http://ns.adobe.com/xap/") {
                        map.insert("xmp.present".into(), "true".into());
                    }
                }
            }
            0xED => {
                map.insert("iptc.present".into(), "true".into());
            }
            0xFE => {
                map.insert("comment.present".into(), "true".into());
            }
            _ => {}
        }
        i += 2 + len;
    }
    Ok(map)
}

/// A TIFF structure inside the Exif segment.
struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

impl Tiff<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at.checked_add(2)?)?;
        Some(if self.le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
    /// (tag, type, count, value-or-offset field position) of each entry.
    fn entries(&self, ifd: usize) -> Vec<(u16, u16, u32, usize)> {
        let Some(n) = self.u16(ifd) else {
            return Vec::new();
        };
        (0..n as usize)
            .filter_map(|k| {
                let e = ifd.checked_add(2 + 12 * k)?;
                Some((self.u16(e)?, self.u16(e + 2)?, self.u32(e + 4)?, e + 8))
            })
            .collect()
    }
    /// Where the value bytes are: inline if they fit in 4 bytes.
    fn value_at(&self, typ: u16, count: u32, field: usize) -> Option<(usize, usize)> {
        let unit: usize = match typ {
            1 | 2 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 11 => 4,
            5 | 10 | 12 => 8,
            _ => return None,
        };
        let len = unit.checked_mul(count as usize)?;
        if len > 1 << 16 {
            return None;
        }
        let at = if len <= 4 {
            field
        } else {
            self.u32(field)? as usize
        };
        self.b.get(at..at.checked_add(len)?)?;
        Some((at, len))
    }
    fn ascii(&self, typ: u16, count: u32, field: usize) -> Option<String> {
        if typ != 2 {
            return None;
        }
        let (at, len) = self.value_at(typ, count, field)?;
        let s = &self.b[at..at + len];
        let s = s.split(|b| *b == 0).next().unwrap_or(s);
        Some(String::from_utf8_lossy(s).trim().to_string())
    }
    fn rationals(&self, typ: u16, count: u32, field: usize) -> Option<Vec<f64>> {
        if typ != 5 {
            return None;
        }
        let (at, _) = self.value_at(typ, count, field)?;
        (0..count as usize)
            .map(|k| {
                let n = self.u32(at + 8 * k)? as f64;
                let d = self.u32(at + 8 * k + 4)? as f64;
                Some(if d == 0.0 { 0.0 } else { n / d })
            })
            .collect()
    }
    fn short_or_long(&self, typ: u16, field: usize) -> Option<u32> {
        match typ {
            3 => self.u16(field).map(u32::from),
            4 => self.u32(field),
            _ => None,
        }
    }
}

fn parse_tiff(b: &[u8], map: &mut BTreeMap<String, String>) {
    let le = match b.get(0..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return,
    };
    let t = Tiff { b, le };
    if t.u16(2) != Some(42) {
        return;
    }
    let Some(ifd0) = t.u32(4) else { return };
    let mut exif_ifd = None;
    let mut gps_ifd = None;
    for (tag, typ, count, field) in t.entries(ifd0 as usize) {
        let name = match tag {
            0x010F => "exif.make",
            0x0110 => "exif.model",
            0x0131 => "exif.software",
            0x0132 => "exif.date_time",
            0x013B => "exif.artist",
            0x8298 => "exif.copyright",
            0x8769 => {
                exif_ifd = t.short_or_long(typ, field);
                continue;
            }
            0x8825 => {
                gps_ifd = t.short_or_long(typ, field);
                continue;
            }
            _ => continue,
        };
        if let Some(v) = t.ascii(typ, count, field) {
            map.insert(name.into(), v);
        }
    }
    if let Some(e) = exif_ifd {
        for (tag, typ, count, field) in t.entries(e as usize) {
            let name = match tag {
                0x9003 => "exif.date_time_original",
                0x9004 => "exif.date_time_digitized",
                0xA431 => "exif.body_serial_number",
                0xA430 => "exif.camera_owner_name",
                _ => continue,
            };
            if let Some(v) = t.ascii(typ, count, field) {
                map.insert(name.into(), v);
            }
        }
    }
    if let Some(g) = gps_ifd {
        let mut lat_ref = None;
        let mut lon_ref = None;
        let mut lat = None;
        let mut lon = None;
        for (tag, typ, count, field) in t.entries(g as usize) {
            match tag {
                1 => lat_ref = t.ascii(typ, count, field),
                2 => lat = t.rationals(typ, count, field),
                3 => lon_ref = t.ascii(typ, count, field),
                4 => lon = t.rationals(typ, count, field),
                6 => {
                    if let Some(v) = t
                        .rationals(typ, count, field)
                        .and_then(|v| v.first().copied())
                    {
                        map.insert("gps.altitude_m".into(), format!("{v:.1}"));
                    }
                }
                29 => {
                    if let Some(v) = t.ascii(typ, count, field) {
                        map.insert("gps.date".into(), v);
                    }
                }
                _ => {}
            }
        }
        let dms = |v: Option<Vec<f64>>, r: Option<String>, neg: &str| -> Option<String> {
            let v = v?;
            let deg =
                v.first()? + v.get(1).unwrap_or(&0.0) / 60.0 + v.get(2).unwrap_or(&0.0) / 3600.0;
            let sign = if r.as_deref() == Some(neg) { -1.0 } else { 1.0 };
            Some(format!("{:.6}", sign * deg))
        };
        if let Some(v) = dms(lat, lat_ref, "S") {
            map.insert("gps.latitude".into(), v);
        }
        if let Some(v) = dms(lon, lon_ref, "W") {
            map.insert("gps.longitude".into(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn not_a_jpeg_is_refused() {
        assert!(matches!(
            strip_metadata(&mut &b"GIF89a"[..], &mut Vec::new()),
            Err(JpegError::NotJpeg)
        ));
        assert!(matches!(
            extract_metadata(b"\x89PNG"),
            Err(JpegError::NotJpeg)
        ));
    }

    #[test]
    fn truncated_jpeg_is_an_error_not_a_partial_copy_reported_as_clean() {
        let j = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, b'E', b'x'];
        assert!(strip_metadata(&mut &j[..], &mut Vec::new()).is_err());
        let j = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x11, 0x22];
        assert!(strip_metadata(&mut &j[..], &mut Vec::new()).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn arbitrary_bytes_never_panic(mut b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = extract_metadata(&b);
            let _ = strip_metadata(&mut &b[..], &mut Vec::new());
            if b.len() > 3 { b[0] = 0xFF; b[1] = 0xD8; b[2] = 0xFF; }
            let _ = extract_metadata(&b);
            let _ = strip_metadata(&mut &b[..], &mut Vec::new());
        }
    }
}
