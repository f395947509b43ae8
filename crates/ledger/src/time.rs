//! UTC timestamps as text, without a clock and without a date crate.
//!
//! A tree head carries its time as milliseconds since the Unix epoch (the
//! form that is signed) and prints it as `YYYY-MM-DDTHH:MM:SS.mmmZ` for
//! people. The conversion uses the proleptic Gregorian day-count algorithms
//! of H. Hinnant ("chrono-Compatible Low-Level Date Algorithms"); there is no
//! leap-second or time-zone handling because none is needed for UTC stamps.

/// Days since 1970-01-01 for a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date for days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Format milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
/// Years outside 0000..=9999 are printed with a sign and are not parseable
/// back; tree heads never carry them.
pub fn format_utc_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parse exactly the form [`format_utc_ms`] writes.
pub fn parse_utc_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let y = digits(s.get(0..4)?)? as i64;
    let m = digits(s.get(5..7)?)?;
    let d = digits(s.get(8..10)?)?;
    let h = digits(s.get(11..13)?)? as i64;
    let mi = digits(s.get(14..16)?)? as i64;
    let sec = digits(s.get(17..19)?)? as i64;
    let ms = digits(s.get(20..23)?)? as i64;
    if !(1..=12).contains(&m) || d == 0 || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Reject 2023-02-30 and the like: the date must survive a round trip.
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    Some(days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // Reference values: `date -u -d @<seconds>` (GNU coreutils).
        assert_eq!(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_utc_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(format_utc_ms(1_696_809_600_123), "2023-10-09T00:00:00.123Z");
        assert_eq!(format_utc_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            parse_utc_ms("2023-10-09T00:00:00.123Z"),
            Some(1_696_809_600_123)
        );
    }

    #[test]
    fn round_trip_and_rejections() {
        for ms in [0i64, 1, 86_399_999, 1_700_000_000_000, 4_102_444_799_999] {
            assert_eq!(parse_utc_ms(&format_utc_ms(ms)), Some(ms));
        }
        assert_eq!(parse_utc_ms("2023-02-29T00:00:00.000Z"), None);
        assert_eq!(parse_utc_ms("2023-13-01T00:00:00.000Z"), None);
        assert_eq!(parse_utc_ms("2023-01-01T24:00:00.000Z"), None);
        assert_eq!(parse_utc_ms("2023-01-01 00:00:00.000Z"), None);
        assert_eq!(parse_utc_ms("+023-01-01T00:00:00.000Z"), None);
        assert_eq!(parse_utc_ms("２023-01-01T00:00:00.000Z"), None);
    }
}
