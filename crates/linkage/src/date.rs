//! A small, tolerant partial-date reader and comparator for birth dates and
//! event dates. Documenters often know only a year ("born 1975"), a year and
//! month, or a full date with a typo or day and month swapped. This stays
//! replaceable by `tumen-model`'s partial-date type once that exists: the rest
//! of the crate only sees [`PartialDate`] and [`date_level`].

/// A date known to year, month or day precision. `digits` keeps the written
/// digits (YYYYMMDD) so that one-keystroke typos can be recognised even when
/// the typo makes an impossible date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDate {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
    digits: [u8; 8],
    ndigits: u8,
}

/// Reads `1975`, `1975-03`, `1975-03-02`, `19750302`, `197503`, `1975/3/2`,
/// `1975.03.02`, `1975년 3월 2일`, `02.03.1975` (day first when the year is
/// last), EDTF-style `1975-XX-XX`, `~1975`, `1975?`. Returns `None` for
/// anything else (the field is then treated as missing, never guessed).
pub fn parse(s: &str) -> Option<PartialDate> {
    let s = s
        .trim()
        .trim_start_matches('~')
        .trim_end_matches(['?', '~', '%']);
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let groups: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let (y, m, d): (&str, Option<&str>, Option<&str>) = match groups.as_slice() {
        [one] if one.len() == 8 => (&one[..4], Some(&one[4..6]), Some(&one[6..8])),
        [one] if one.len() == 6 => (&one[..4], Some(&one[4..6]), None),
        [one] if one.len() == 4 => (one, None, None),
        [a, b] if a.len() == 4 && b.len() <= 2 => (a, Some(b), None),
        [a, b, c] if a.len() == 4 && b.len() <= 2 && c.len() <= 2 => (a, Some(b), Some(c)),
        [a, b, c] if c.len() == 4 && a.len() <= 2 && b.len() <= 2 => (c, Some(b), Some(a)),
        _ => return None,
    };
    let year: u16 = y.parse().ok()?;
    if !(1000..=2999).contains(&year) {
        return None;
    }
    let month = m
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| (1..=12).contains(m));
    let day = if month.is_some() {
        d.and_then(|d| d.parse::<u8>().ok())
            .filter(|d| (1..=31).contains(d))
    } else {
        None
    };
    // Written digits, for typo comparison (kept even when month/day invalid).
    let mut digits = [0u8; 8];
    let mut n = 0usize;
    let pad = |x: &str, w: usize| -> String { format!("{:0>w$}", x, w = w) };
    let mut written = pad(y, 4);
    if let Some(m) = m {
        written.push_str(&pad(m, 2));
        if let Some(d) = d {
            written.push_str(&pad(d, 2));
        }
    }
    for b in written.bytes().take(8) {
        digits[n] = b;
        n += 1;
    }
    Some(PartialDate {
        year,
        month,
        day,
        digits,
        ndigits: n as u8,
    })
}

/// Comparison levels for dates, strongest first (index 1-based; 0 is
/// "missing").
pub const DATE_LEVELS: &[&str] = &[
    "exact date",
    "one digit off or day/month swapped",
    "same year and month",
    "same year (or compatible partial date)",
    "years within 2",
    "different",
];

/// Whether two equal-length digit strings are at most one edit apart in the
/// optimal-string-alignment sense: for equal lengths that is one substituted
/// digit or one swap of adjacent digits (an insertion needs a deletion too,
/// two edits). Allocation-free: this runs for every compared pair.
#[inline]
fn within_one_edit(a: &[u8; 8], b: &[u8; 8]) -> bool {
    let mut first = None;
    let mut diffs = 0;
    for i in 0..8 {
        if a[i] != b[i] {
            diffs += 1;
            if diffs > 2 {
                return false;
            }
            first.get_or_insert(i);
        }
    }
    match (diffs, first) {
        (0 | 1, _) => true,
        (2, Some(i)) => i + 1 < 8 && a[i] == b[i + 1] && a[i + 1] == b[i],
        _ => false,
    }
}

/// The level (1-based, see [`DATE_LEVELS`]) of two dates.
pub fn date_level(a: &PartialDate, b: &PartialDate) -> u8 {
    let full = |d: &PartialDate| d.month.is_some() && d.day.is_some();
    if full(a) && full(b) && a.year == b.year && a.month == b.month && a.day == b.day {
        return 1;
    }
    if a.ndigits == 8 && b.ndigits == 8 {
        if within_one_edit(&a.digits, &b.digits) {
            return 2;
        }
        if a.year == b.year && a.month.is_some() && a.month == b.day && a.day == b.month {
            return 2;
        }
    }
    if a.year == b.year {
        if a.month.is_some() && a.month == b.month {
            return 3;
        }
        if a.month.is_none() || b.month.is_none() {
            return 4;
        }
        return 4;
    }
    if a.year.abs_diff(b.year) <= 2 {
        return 5;
    }
    6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(a: &str, b: &str) -> u8 {
        date_level(&parse(a).unwrap(), &parse(b).unwrap())
    }

    /// The shortcut agrees with the general OSA distance (an independent
    /// implementation in `strsim`, checked there against textbook values).
    #[test]
    fn one_edit_shortcut_matches_osa() {
        let words = [
            *b"19750302",
            *b"19750320",
            *b"19570302",
            *b"19750303",
            *b"91750302",
            *b"19753002",
            *b"19750230",
            *b"29750301",
            *b"19750302",
            *b"17950302",
        ];
        for a in &words {
            for b in &words {
                let (ca, cb): (Vec<char>, Vec<char>) = (
                    a.iter().map(|c| *c as char).collect(),
                    b.iter().map(|c| *c as char).collect(),
                );
                let osa = crate::strsim::osa_distance_bounded(&ca, &cb, 1) <= 1;
                assert_eq!(within_one_edit(a, b), osa, "{ca:?} {cb:?}");
            }
        }
    }

    #[test]
    fn parses_common_shapes() {
        let d = parse("1975-03-02").unwrap();
        assert_eq!((d.year, d.month, d.day), (1975, Some(3), Some(2)));
        assert_eq!(parse("19750302"), parse("1975/3/2"));
        assert_eq!(parse("1975년 3월 2일"), parse("1975-03-02"));
        assert_eq!(parse("02.03.1975"), parse("1975-03-02"));
        let y = parse("~1975?").unwrap();
        assert_eq!((y.year, y.month, y.day), (1975, None, None));
        let ym = parse("1975-XX-XX").unwrap();
        assert_eq!((ym.year, ym.month), (1975, None));
        assert_eq!(parse("unknown"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("12"), None);
        assert_eq!(parse("0000"), None);
        assert_eq!(parse(&"9".repeat(10_000)), None);
    }

    #[test]
    fn levels() {
        assert_eq!(lv("1975-03-02", "19750302"), 1);
        assert_eq!(lv("1975-03-02", "1975-03-03"), 2); // one digit
        assert_eq!(lv("1975-03-02", "1975-02-03"), 2); // day/month swap
        assert_eq!(lv("1975-03-02", "1957-03-02"), 2); // transposed digits
        assert_eq!(lv("1975-03-02", "1975-03-28"), 3);
        assert_eq!(lv("1975-03", "1975-03-28"), 3);
        assert_eq!(lv("1975", "1975-11-28"), 4);
        assert_eq!(lv("1975", "1975"), 4); // a shared year is not an exact date
        assert_eq!(lv("1975-01-10", "1975-11-28"), 4);
        assert_eq!(lv("1975", "1977-06-01"), 5);
        assert_eq!(lv("1975-06-01", "1985-06-11"), 6);
        // impossible date with a typo still compares by digits
        assert_eq!(lv("19751302", "19750302"), 2);
    }
}
