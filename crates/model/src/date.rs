//! Partial dates: what documenters actually know about *when*.
//!
//! A witness rarely knows the day. She knows "October 2023", "around the
//! Chuseok holiday", "some time after the summer", "before 2020". A
//! [`PartialDate`] keeps exactly what was said, in the notation of EDTF
//! (Extended Date/Time Format, ISO 8601-2) levels 0 and 1, plus the level 2
//! sub-year groupings (quarters, quadrimesters, semesters, hemisphere seasons):
//!
//! | written          | meaning                                        |
//! |------------------|------------------------------------------------|
//! | `2023-10-09`     | that day                                       |
//! | `2023-10`        | some day in October 2023                       |
//! | `2023`           | some day in 2023                               |
//! | `2023-10~`       | about October 2023 (`~` approximate)           |
//! | `2023?`          | possibly 2023 (`?` uncertain, `%` both)        |
//! | `201X`, `2023-XX`| unspecified digits (some year of the 2010s…)   |
//! | `2023-Q3`, `2023-35` | third quarter (both forms, printed as given) |
//! | `2023-21`        | spring 2023 (21–24 seasons; 25–32 by hemisphere; 37–39 quadrimesters; 40–41 semesters) |
//! | `2023-08/2023-10`| an interval                                    |
//! | `2023-08/..`     | open end: "from August 2023 on"                |
//! | `../2023-08`     | open start: "up to August 2023"                |
//! | `2023-08/`, `/2023-08` | unknown end or start                     |
//! | `unknown`        | nothing known                                  |
//!
//! Every value prints back exactly as it was written ([`fmt::Display`] of a
//! parsed value equals the input), so a record never silently changes what a
//! source said. For filtering and sorting, a date has inclusive **day
//! bounds** ([`PartialDate::bounds`]) as day numbers ([`day_number`]): days
//! since 0000-03-01 in the proleptic Gregorian calendar. The bounds are the
//! *strict* ones (EDTF "lower/upper strict"): `~` and `?` do not widen them —
//! a filter for 2023-Q3 finds "2023-08~", and the qualifier stays visible to
//! the reader. Open and unknown interval ends use [`OPEN_START`] /
//! [`OPEN_END`].
//!
//! Error messages describe the rule that was broken and the character
//! position, never the date itself: a birth date may be confidential, and
//! errors end up in logs.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Day number used as the lower bound of an interval with an open or unknown
/// start. Far below any real date, but far enough from `i64::MIN` that
/// arithmetic on it does not overflow.
pub const OPEN_START: i64 = i64::MIN / 4;
/// Day number used as the upper bound of an interval with an open or unknown end.
pub const OPEN_END: i64 = i64::MAX / 4;

/// Is `year` a leap year in the proleptic Gregorian calendar?
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`; 0 for a month outside 1–12.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 0000-03-01 in the proleptic Gregorian calendar (0000-03-01 is
/// day 0, 1970-01-01 is day 719468). The caller passes a valid date; an
/// invalid one (e.g. 30 February) yields the number of the day it would be if
/// days simply ran on, never a panic.
pub fn day_number(year: i32, month: u8, day: u8) -> i64 {
    let m = i64::from(month.clamp(1, 12));
    let y = i64::from(year) - i64::from(m <= 2);
    let shifted_month = (m + 9) % 12; // March = 0 … February = 11
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + day_of_year
}

/// The (proleptic Gregorian) year of day number `n`, the inverse of
/// [`day_number`] for the year; used to tally dated records by year.
pub fn year_of_day(n: i64) -> i32 {
    // Civil-from-days over 400-year eras of 146,097 days that start on
    // 1 March, so that the leap day is the last day of a shifted year.
    let era = n.div_euclid(146_097);
    let doe = n - era * 146_097; // 0 ..= 146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0 ..= 399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0 ..= 365, from 1 March
    let shifted_month = (5 * doy + 2) / 153; // March = 0 … February = 11
    let year = yoe + era * 400 + i64::from(shifted_month >= 10);
    i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX })
}

/// The qualifier at the end of a date (EDTF level 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Qualifier {
    #[default]
    None,
    /// `~`: approximate ("around").
    Approximate,
    /// `?`: uncertain ("possibly").
    Uncertain,
    /// `%`: both uncertain and approximate.
    UncertainApproximate,
}

impl Qualifier {
    fn as_str(self) -> &'static str {
        match self {
            Qualifier::None => "",
            Qualifier::Approximate => "~",
            Qualifier::Uncertain => "?",
            Qualifier::UncertainApproximate => "%",
        }
    }
}

/// The year of a date: four digits (optionally negative), or digits with
/// unspecified rightmost digits (`201X`, `20XX`, `XXXX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Year {
    Known(i32),
    /// The specified leading digits as a number and how many trailing `X`.
    Unspecified {
        prefix: i32,
        xs: u8,
    },
}

/// What follows the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Sub {
    None,
    Month(u8),
    /// `-XX`: some month of the year (month precision).
    MonthUnspecified,
    /// `-21` … `-41`: a season, quarter, quadrimester or semester.
    Division(u8),
    /// `-Q1` … `-Q4`.
    Quarter(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DayPart {
    None,
    Known(u8),
    /// `-XX`: some day of the month (day precision).
    Unspecified,
}

/// One (possibly partial) calendar date such as `2023-10`, `2023-Q3~` or `201X`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatePoint {
    year: Year,
    sub: Sub,
    day: DayPart,
    qualifier: Qualifier,
}

/// One end of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalEnd {
    Date(DatePoint),
    /// `..`: open — the interval runs on without an end (or from no start).
    Open,
    /// empty: the end (or start) exists but is not known.
    Unknown,
}

/// A partial date, a date interval, or nothing known. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartialDate {
    /// `unknown`.
    Unknown,
    Single(DatePoint),
    Interval {
        start: IntervalEnd,
        end: IntervalEnd,
    },
}

/// Why a string is not a valid [`PartialDate`]. Positions count characters
/// from 1; messages never repeat the date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date is empty (write `unknown` if nothing is known)")]
    Empty,
    #[error("date is longer than 64 characters")]
    TooLong,
    #[error("date contains white space at character {0}; write it without spaces, e.g. 2023-10-09")]
    Whitespace(usize),
    #[error("unexpected character at position {at}: expected {expected}")]
    Syntax { at: usize, expected: &'static str },
    #[error("date ends early: expected {expected}")]
    Truncated { expected: &'static str },
    #[error("years need exactly four digits (years beyond ±9999, EDTF `Y…`, are not supported)")]
    YearDigits,
    #[error("year -0000 is not a year; write 0000")]
    NegativeZero,
    #[error("month must be 01–12, XX, Q1–Q4, or a season/quarter/semester code 21–41")]
    Month,
    #[error("day must be 01–31 or XX")]
    Day,
    #[error("day is past the end of the month, which has {0} days")]
    PastMonthEnd(u8),
    #[error(
        "29 February exists only in leap years (divisible by 4; centuries only if divisible by 400), and this year is not one"
    )]
    NotLeapYear,
    #[error("a day needs a month: a day cannot follow a season, quarter or semester")]
    DayAfterDivision,
    #[error("a known day cannot follow an unspecified month (XX); write XX-XX or give the month")]
    DayAfterUnspecifiedMonth,
    #[error("a year with unspecified digits (X) cannot carry a month or day")]
    UnspecifiedYearWithMonth,
    #[error("qualifiers ~ ? % may only appear once, at the end of a date")]
    Qualifier,
    #[error("an interval has exactly one `/`")]
    TooManySlashes,
    #[error("an interval needs at least one date; write `unknown` if nothing is known")]
    EmptyInterval,
    #[error("interval starts after it ends")]
    Inverted,
}

impl DatePoint {
    /// Parse a single date (no `/`).
    fn parse(s: &str, offset: usize) -> Result<DatePoint, DateError> {
        let b = s.as_bytes();
        let mut i = 0usize;
        let at = |i: usize| offset + i + 1;
        // qualifier
        let (body_len, qualifier) = match b.last() {
            Some(b'~') => (b.len() - 1, Qualifier::Approximate),
            Some(b'?') => (b.len() - 1, Qualifier::Uncertain),
            Some(b'%') => (b.len() - 1, Qualifier::UncertainApproximate),
            _ => (b.len(), Qualifier::None),
        };
        if b[..body_len]
            .iter()
            .any(|c| matches!(c, b'~' | b'?' | b'%'))
        {
            return Err(DateError::Qualifier);
        }
        let b = &b[..body_len];
        // year
        let negative = b.first() == Some(&b'-');
        if negative {
            i += 1;
        }
        let year_start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'X') {
            i += 1;
        }
        let ytxt = &b[year_start..i];
        if ytxt.is_empty() {
            if b.get(i) == Some(&b'Y') {
                return Err(DateError::YearDigits);
            }
            return match b.get(i) {
                None => Err(DateError::Truncated {
                    expected: "a four-digit year",
                }),
                Some(_) => Err(DateError::Syntax {
                    at: at(i),
                    expected: "a four-digit year",
                }),
            };
        }
        if ytxt.len() != 4 {
            return Err(DateError::YearDigits);
        }
        let xs = ytxt.iter().filter(|&&c| c == b'X').count();
        let first_x = ytxt.iter().position(|&c| c == b'X').unwrap_or(4);
        if xs > 0 && first_x + xs != 4 {
            return Err(DateError::Syntax {
                at: at(year_start + first_x),
                expected: "unspecified digits (X) only at the right end of the year",
            });
        }
        let prefix = ytxt[..first_x]
            .iter()
            .fold(0i32, |acc, &c| acc * 10 + i32::from(c - b'0'));
        let year = if xs == 0 {
            if negative && prefix == 0 {
                return Err(DateError::NegativeZero);
            }
            Year::Known(if negative { -prefix } else { prefix })
        } else {
            if negative {
                return Err(DateError::Syntax {
                    at: at(0),
                    expected: "a year without sign when it has unspecified digits",
                });
            }
            Year::Unspecified {
                prefix,
                xs: xs as u8,
            }
        };
        let mut p = DatePoint {
            year,
            sub: Sub::None,
            day: DayPart::None,
            qualifier,
        };
        if i == b.len() {
            return Ok(p);
        }
        if b[i] != b'-' {
            return Err(DateError::Syntax {
                at: at(i),
                expected: "`-` after the year",
            });
        }
        i += 1;
        if matches!(p.year, Year::Unspecified { .. }) {
            return Err(DateError::UnspecifiedYearWithMonth);
        }
        // month / division / quarter
        let two = |i: usize| -> Result<[u8; 2], DateError> {
            match (b.get(i), b.get(i + 1)) {
                (Some(&x), Some(&y)) => Ok([x, y]),
                _ => Err(DateError::Truncated {
                    expected: "two digits",
                }),
            }
        };
        let m = two(i)?;
        p.sub = match m {
            [b'X', b'X'] => Sub::MonthUnspecified,
            [b'Q', q] if (b'1'..=b'4').contains(&q) => Sub::Quarter(q - b'0'),
            [b'Q', _] => return Err(DateError::Month),
            [x, y] if x.is_ascii_digit() && y.is_ascii_digit() => {
                let n = (x - b'0') * 10 + (y - b'0');
                match n {
                    1..=12 => Sub::Month(n),
                    21..=41 => Sub::Division(n),
                    _ => return Err(DateError::Month),
                }
            }
            _ => {
                return Err(DateError::Syntax {
                    at: at(i),
                    expected: "a two-digit month, XX, or Q1–Q4",
                });
            }
        };
        i += 2;
        if i == b.len() {
            return Ok(p);
        }
        if b[i] != b'-' {
            return Err(DateError::Syntax {
                at: at(i),
                expected: "`-` after the month",
            });
        }
        i += 1;
        let d = two(i)?;
        p.day = match d {
            [b'X', b'X'] => DayPart::Unspecified,
            [x, y] if x.is_ascii_digit() && y.is_ascii_digit() => {
                let n = (x - b'0') * 10 + (y - b'0');
                if !(1..=31).contains(&n) {
                    return Err(DateError::Day);
                }
                DayPart::Known(n)
            }
            _ => {
                return Err(DateError::Syntax {
                    at: at(i),
                    expected: "a two-digit day or XX",
                });
            }
        };
        i += 2;
        if i != b.len() {
            return Err(DateError::Syntax {
                at: at(i),
                expected: "the end of the date (times of day are not supported)",
            });
        }
        match (p.sub, p.day) {
            (Sub::Division(_) | Sub::Quarter(_), _) => return Err(DateError::DayAfterDivision),
            (Sub::MonthUnspecified, DayPart::Known(_)) => {
                return Err(DateError::DayAfterUnspecifiedMonth);
            }
            (Sub::Month(mo), DayPart::Known(dd)) => {
                let y = match p.year {
                    Year::Known(y) => y,
                    Year::Unspecified { .. } => return Err(DateError::UnspecifiedYearWithMonth),
                };
                let max = days_in_month(y, mo);
                if dd > max {
                    if mo == 2 && dd == 29 {
                        return Err(DateError::NotLeapYear);
                    }
                    return Err(DateError::PastMonthEnd(max));
                }
            }
            _ => {}
        }
        Ok(p)
    }

    /// Inclusive day bounds, or `None` when the year is wholly unspecified (`XXXX`).
    pub fn bounds(&self) -> Option<(i64, i64)> {
        let y = match self.year {
            Year::Known(y) => y,
            Year::Unspecified { prefix, xs } => {
                if xs >= 4 {
                    return None;
                }
                let span = 10i32.pow(u32::from(xs));
                let lo = prefix * span;
                return Some((day_number(lo, 1, 1), day_number(lo + span - 1, 12, 31)));
            }
        };
        // (first month, number of months) relative to January of `y`; months past
        // 12 run into the next year (winter).
        let months = |first: i32, count: i32| {
            let (y0, m0) = (
                y + (first - 1).div_euclid(12),
                (first - 1).rem_euclid(12) + 1,
            );
            let last = first + count - 1;
            let (y1, m1) = (y + (last - 1).div_euclid(12), (last - 1).rem_euclid(12) + 1);
            let (m0, m1) = (m0 as u8, m1 as u8);
            (
                day_number(y0, m0, 1),
                day_number(y1, m1, days_in_month(y1, m1)),
            )
        };
        Some(match (self.sub, self.day) {
            (Sub::None, _) | (Sub::MonthUnspecified, _) => months(1, 12),
            (Sub::Month(m), DayPart::Known(d)) => {
                let n = day_number(y, m, d);
                (n, n)
            }
            (Sub::Month(m), _) => months(i32::from(m), 1),
            (Sub::Quarter(q), _) => months(3 * i32::from(q) - 2, 3),
            (Sub::Division(code), _) => {
                let (first, count) = division_months(code);
                months(first, count)
            }
        })
    }

    /// The qualifier written after this date.
    pub fn qualifier(&self) -> Qualifier {
        self.qualifier
    }
}

/// First month (1 = January of the date's year, 13 = January of the next) and
/// length in months of an EDTF sub-year grouping code 21–41. Seasons follow
/// the meteorological convention (spring = March–May in the northern
/// hemisphere); 21–24 are read as northern-hemisphere seasons, as on the
/// Korean peninsula.
fn division_months(code: u8) -> (i32, i32) {
    match code {
        21 | 25 => (3, 3),                              // spring (north)
        22 | 26 => (6, 3),                              // summer (north)
        23 | 27 => (9, 3),                              // autumn (north)
        24 | 28 => (12, 3),                             // winter (north): December to February
        29 => (9, 3),                                   // spring (south)
        30 => (12, 3),                                  // summer (south)
        31 => (3, 3),                                   // autumn (south)
        32 => (6, 3),                                   // winter (south)
        33..=36 => (3 * (i32::from(code) - 33) + 1, 3), // quarters
        37..=39 => (4 * (i32::from(code) - 37) + 1, 4), // quadrimesters
        _ => (6 * (i32::from(code) - 40) + 1, 6),       // 40, 41: semesters
    }
}

impl fmt::Display for DatePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Year::Known(y) if y < 0 => write!(f, "-{:04}", -y)?,
            Year::Known(y) => write!(f, "{y:04}")?,
            Year::Unspecified { prefix, xs } => {
                if xs < 4 {
                    write!(f, "{:0width$}", prefix, width = 4 - usize::from(xs))?;
                }
                for _ in 0..xs {
                    f.write_str("X")?;
                }
            }
        }
        match self.sub {
            Sub::None => {}
            Sub::Month(m) | Sub::Division(m) => write!(f, "-{m:02}")?,
            Sub::MonthUnspecified => f.write_str("-XX")?,
            Sub::Quarter(q) => write!(f, "-Q{q}")?,
        }
        match self.day {
            DayPart::None => {}
            DayPart::Known(d) => write!(f, "-{d:02}")?,
            DayPart::Unspecified => f.write_str("-XX")?,
        }
        f.write_str(self.qualifier.as_str())
    }
}

impl PartialDate {
    /// Parse the written form; see the module docs for what is accepted.
    pub fn parse(s: &str) -> Result<PartialDate, DateError> {
        if s.is_empty() {
            return Err(DateError::Empty);
        }
        if s.chars().count() > 64 {
            return Err(DateError::TooLong);
        }
        if let Some(pos) = s.chars().position(char::is_whitespace) {
            return Err(DateError::Whitespace(pos + 1));
        }
        if let Some((pos, _)) = s.char_indices().find(|(_, c)| !c.is_ascii()) {
            return Err(DateError::Syntax {
                at: s[..pos].chars().count() + 1,
                expected: "only ASCII digits and - / . X Q ~ ? %",
            });
        }
        if s == "unknown" {
            return Ok(PartialDate::Unknown);
        }
        let Some((a, b)) = s.split_once('/') else {
            return Ok(PartialDate::Single(DatePoint::parse(s, 0)?));
        };
        if b.contains('/') {
            return Err(DateError::TooManySlashes);
        }
        let end_of = |t: &str, offset: usize| -> Result<IntervalEnd, DateError> {
            match t {
                "" => Ok(IntervalEnd::Unknown),
                ".." => Ok(IntervalEnd::Open),
                _ => Ok(IntervalEnd::Date(DatePoint::parse(t, offset)?)),
            }
        };
        let start = end_of(a, 0)?;
        let end = end_of(b, a.len() + 1)?;
        if let (IntervalEnd::Date(x), IntervalEnd::Date(y)) = (&start, &end) {
            if let (Some((lo, _)), Some((_, hi))) = (x.bounds(), y.bounds()) {
                if lo > hi {
                    return Err(DateError::Inverted);
                }
            }
        } else if !matches!(start, IntervalEnd::Date(_)) && !matches!(end, IntervalEnd::Date(_)) {
            return Err(DateError::EmptyInterval);
        }
        Ok(PartialDate::Interval { start, end })
    }

    /// A single exact day, checked.
    pub fn day(year: i32, month: u8, day: u8) -> Result<PartialDate, DateError> {
        PartialDate::parse(&format!("{year:04}-{month:02}-{day:02}"))
    }

    /// Inclusive day bounds `(lo, hi)`: the earliest and latest day the date
    /// can mean. Open or unknown interval ends give [`OPEN_START`] /
    /// [`OPEN_END`]; `unknown` (and `XXXX`) give `None`.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        match self {
            PartialDate::Unknown => None,
            PartialDate::Single(p) => p.bounds(),
            PartialDate::Interval { start, end } => {
                let lo = match start {
                    IntervalEnd::Date(p) => p.bounds().map_or(OPEN_START, |b| b.0),
                    _ => OPEN_START,
                };
                let hi = match end {
                    IntervalEnd::Date(p) => p.bounds().map_or(OPEN_END, |b| b.1),
                    _ => OPEN_END,
                };
                Some((lo, hi))
            }
        }
    }

    /// Could the two dates be the same day? (Their bounds overlap.) An
    /// unknown date overlaps nothing: a filter only returns what is known to
    /// possibly match.
    pub fn overlaps(&self, other: &PartialDate) -> bool {
        match (self.bounds(), other.bounds()) {
            (Some((a, b)), Some((c, d))) => a <= d && c <= b,
            _ => false,
        }
    }

    /// Does every day this date can mean lie within `outer`? ("2023-08" is
    /// within "2023-Q3"; "2023-08/2023-10" is not within "2023-08".)
    pub fn within(&self, outer: &PartialDate) -> bool {
        match (self.bounds(), outer.bounds()) {
            (Some((a, b)), Some((c, d))) => c <= a && b <= d,
            _ => false,
        }
    }

    /// Does this date overlap the inclusive day range `lo..=hi`?
    pub fn overlaps_days(&self, lo: i64, hi: i64) -> bool {
        self.bounds().is_some_and(|(a, b)| a <= hi && lo <= b)
    }

    /// Is this a single date or interval carrying `~`, `?` or `%` anywhere?
    pub fn is_qualified(&self) -> bool {
        let q =
            |e: &IntervalEnd| matches!(e, IntervalEnd::Date(p) if p.qualifier != Qualifier::None);
        match self {
            PartialDate::Unknown => false,
            PartialDate::Single(p) => p.qualifier != Qualifier::None,
            PartialDate::Interval { start, end } => q(start) || q(end),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |f: &mut fmt::Formatter<'_>, e: &IntervalEnd| match e {
            IntervalEnd::Date(p) => write!(f, "{p}"),
            IntervalEnd::Open => f.write_str(".."),
            IntervalEnd::Unknown => Ok(()),
        };
        match self {
            PartialDate::Unknown => f.write_str("unknown"),
            PartialDate::Single(p) => write!(f, "{p}"),
            PartialDate::Interval { start, end: e } => {
                end(f, start)?;
                f.write_str("/")?;
                end(f, e)
            }
        }
    }
}

impl std::str::FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartialDate::parse(s)
    }
}

/// Sorts by earliest day, then latest day, then written form; `unknown`
/// (no bounds) sorts last.
impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        let key = |d: &PartialDate| d.bounds().map_or((1u8, 0, 0), |(lo, hi)| (0u8, lo, hi));
        key(self)
            .cmp(&key(other))
            .then_with(|| self.to_string().cmp(&other.to_string()))
    }
}
impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PartialDate::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PartialDate {
        PartialDate::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    /// Day number of a calendar date, written as `days since 0000-03-01`.
    fn dn(y: i32, m: u8, d: u8) -> i64 {
        day_number(y, m, d)
    }

    // Reference values from Python's datetime (an independent implementation):
    // date(y, m, d).toordinal() + 305, because 0001-01-01 has ordinal 1 and
    // 0000-03-01 lies 306 days before it (year 0 is a leap year).
    #[test]
    fn day_numbers_match_python_ordinals() {
        assert_eq!(day_number(0, 3, 1), 0);
        assert_eq!(day_number(1, 1, 1), 306); // ordinal 1
        assert_eq!(day_number(1970, 1, 1), 719_468); // ordinal 719163; Hinnant's civil epoch shift
        assert_eq!(day_number(2000, 2, 29), 730_484); // ordinal 730179
        assert_eq!(day_number(2023, 10, 9), 739_107); // ordinal 738802
        assert_eq!(day_number(2023, 7, 1), 739_007); // ordinal 738702
        assert_eq!(day_number(2023, 9, 30), 739_098); // ordinal 738793
        assert_eq!(day_number(1900, 3, 1), 693_960); // ordinal 693655
        assert_eq!(day_number(0, 1, 1), -60);
    }

    #[test]
    fn edtf_level0_examples_round_trip() {
        // Examples of the EDTF specification (Library of Congress, 2019), level 0.
        for s in [
            "1985-04-12",
            "1985-04",
            "1985",
            "1964/2008",
            "2004-06/2006-08",
            "2004-02-01/2005-02-08",
            "2004-02-01/2005-02",
            "2004-02-01/2005",
            "2005/2006-02",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
    }

    #[test]
    fn edtf_level1_examples_round_trip() {
        // Level 1 examples of the EDTF specification.
        for s in [
            "1984?",
            "2004-06~",
            "2004-06-11%",
            "201X",
            "20XX",
            "2004-XX",
            "1985-04-XX",
            "1985-XX-XX",
            "1985-04-12/..",
            "1985-04/..",
            "1985/..",
            "../1985-04-12",
            "../1985-04",
            "../1985",
            "1985-04-12/",
            "1985-04/",
            "1985/",
            "/1985-04-12",
            "/1985-04",
            "/1985",
            "-1985",
            "2001-21",
            "1984?/2004-06~",
            "1984~/2004-06",
            "2004-06-11%/2004-06~",
            "1984-06-02?/..",
            // Level 2 sub-year groupings: Q2 as 2001-34, and our Q-form.
            "2001-34",
            "2023-Q3",
            "unknown",
        ] {
            assert_eq!(p(s).to_string(), s, "{s}");
        }
    }

    #[test]
    fn strict_bounds_match_edtf_reference_implementation() {
        // python-edtf: parse_edtf("1979-08~").lower_strict() == (1979, 8, 1),
        // upper_strict() == (1979, 8, 31) — qualifiers do not widen strict bounds.
        assert_eq!(
            p("1979-08~").bounds(),
            Some((dn(1979, 8, 1), dn(1979, 8, 31)))
        );
        // "1898/1903-08-30": between 1898 and 30 August 1903 (python-edtf README).
        assert_eq!(
            p("1898/1903-08-30").bounds(),
            Some((dn(1898, 1, 1), dn(1903, 8, 30)))
        );
        assert_eq!(p("201X").bounds(), Some((dn(2010, 1, 1), dn(2019, 12, 31))));
        assert_eq!(p("20XX").bounds(), Some((dn(2000, 1, 1), dn(2099, 12, 31))));
        assert_eq!(
            p("2004-XX").bounds(),
            Some((dn(2004, 1, 1), dn(2004, 12, 31)))
        );
        assert_eq!(
            p("1985-04-XX").bounds(),
            Some((dn(1985, 4, 1), dn(1985, 4, 30)))
        );
        assert_eq!(p("XXXX").bounds(), None);
        assert_eq!(p("unknown").bounds(), None);
        assert_eq!(
            p("2024-02").bounds(),
            Some((dn(2024, 2, 1), dn(2024, 2, 29)))
        );
        assert_eq!(
            p("2023-02").bounds(),
            Some((dn(2023, 2, 1), dn(2023, 2, 28)))
        );
    }

    /// Strict bounds computed by python-edtf 5 (an independent EDTF
    /// implementation: `parse_edtf(s).lower_strict()` / `.upper_strict()`,
    /// converted with Python's `date.toordinal() + 305`), for 74 strings
    /// drawn at random (seed 7) over years, months, days, unspecified digits,
    /// qualifiers and intervals.
    const PYTHON_EDTF: &[(&str, i64, i64)] = &[
        ("1620-XX", 591633, 591998),
        ("1636-04-20?", 597587, 597587),
        ("1641-XX-XX", 599304, 599668),
        ("1652-XX-XX", 603321, 603686),
        ("1665-XX-XX", 608070, 608434),
        ("167X", 609896, 613547),
        ("1684-06-XX", 615161, 615190),
        ("16XX", 584328, 620852),
        ("1705", 622679, 623043),
        ("1706-XX", 623044, 623408),
        ("1734-05-XX", 633391, 633421),
        ("1745~", 637289, 637653),
        ("1765-03", 644653, 644683),
        ("1772%", 647150, 647515),
        ("1774-XX-XX", 647881, 648245),
        ("178X", 650072, 653724),
        ("1790", 653725, 654089),
        ("1803-XX-XX", 658472, 658836),
        ("1822-07", 665593, 665623),
        ("1833-11-XX", 669734, 669763),
        ("1842", 672717, 673081),
        ("1842-XX-XX", 672717, 673081),
        ("1845-08-10", 674034, 674034),
        ("1845-11", 674117, 674146),
        ("1852-01-07~", 676375, 676375),
        ("1865", 681118, 681482),
        ("1865-XX", 681118, 681482),
        ("1873-XX", 684040, 684404),
        ("1874%", 684405, 684769),
        ("1882-07%", 687508, 687538),
        ("188X", 686596, 690248),
        ("189X", 690249, 693900),
        ("18XX", 657377, 693900),
        ("1901-03/1902-03", 694325, 694720),
        ("1904-03/1907-10", 695421, 696760),
        ("1907-01-04", 696460, 696460),
        ("1911-02-XX", 697949, 697976),
        ("1916-04-XX", 699835, 699864),
        ("1924-07", 702848, 702878),
        ("1924-XX", 702666, 703031),
        ("1926-12/1930-03", 703731, 704947),
        ("1927-01/1931-04", 703762, 705342),
        ("192X", 701205, 704857),
        ("1936-06-05%", 707205, 707205),
        ("1937-04-01?", 707505, 707505),
        ("1954-XX-XX", 713624, 713988),
        ("1961-06/1965-05", 716332, 717792),
        ("1964-05/1965-09", 717397, 717914),
        ("1974-XX-XX", 720929, 721293),
        ("1978-XX-XX", 722390, 722754),
        ("1980-02-24", 723174, 723174),
        ("1990-11/1993-10", 727077, 728172),
        ("1995-XX", 728599, 728963),
        ("1997-XX-XX", 729330, 729694),
        ("19XX", 693901, 730424),
        ("2010-12-XX", 734412, 734442),
        ("2011-04/2012-01", 734533, 734838),
        ("2012-XX-XX", 734808, 735173),
        ("2013-12~", 735508, 735538),
        ("201X", 734078, 737729),
        ("2020~", 737730, 738095),
        ("2021-12/2025-02", 738430, 739615),
        ("2024%", 739191, 739556),
        ("2032-09/2035-03", 742357, 743298),
        ("2032-09/2036-08", 742357, 743817),
        ("2036-09/2037-09", 743818, 744212),
        ("2039-03/2042-01", 744729, 745796),
        ("2042-06/2042-11", 745917, 746099),
        ("2055-03~", 750573, 750603),
        ("2065-09", 754410, 754439),
        ("2065-XX-XX", 754167, 754531),
        ("2081-08", 760223, 760253),
        ("2085%", 761472, 761836),
        ("2087%", 762202, 762566),
    ];

    #[test]
    fn bounds_agree_with_python_edtf() {
        for &(s, lo, hi) in PYTHON_EDTF {
            let d = p(s);
            assert_eq!(d.to_string(), s);
            assert_eq!(d.bounds(), Some((lo, hi)), "{s}");
        }
    }

    #[test]
    fn quarters_seasons_semesters() {
        let q3 = Some((dn(2023, 7, 1), dn(2023, 9, 30)));
        assert_eq!(p("2023-Q3").bounds(), q3);
        assert_eq!(p("2023-35").bounds(), q3); // ISO 8601-2: 35 = quarter 3
        assert_eq!(
            p("2001-34").bounds(),
            Some((dn(2001, 4, 1), dn(2001, 6, 30)))
        );
        assert_eq!(
            p("2023-Q1").bounds(),
            Some((dn(2023, 1, 1), dn(2023, 3, 31)))
        );
        assert_eq!(
            p("2023-Q4").bounds(),
            Some((dn(2023, 10, 1), dn(2023, 12, 31)))
        );
        // Winter (north) runs into the next year; 2024 is a leap year.
        assert_eq!(
            p("2023-24").bounds(),
            Some((dn(2023, 12, 1), dn(2024, 2, 29)))
        );
        assert_eq!(
            p("2023-21").bounds(),
            Some((dn(2023, 3, 1), dn(2023, 5, 31)))
        );
        assert_eq!(
            p("2023-40").bounds(),
            Some((dn(2023, 1, 1), dn(2023, 6, 30)))
        );
        assert_eq!(
            p("2023-41").bounds(),
            Some((dn(2023, 7, 1), dn(2023, 12, 31)))
        );
        assert_eq!(
            p("2023-38").bounds(),
            Some((dn(2023, 5, 1), dn(2023, 8, 31)))
        );
        assert_eq!(
            p("2023-30").bounds(),
            Some((dn(2023, 12, 1), dn(2024, 2, 29)))
        );
    }

    #[test]
    fn q3_filter_includes_august() {
        let q3 = p("2023-Q3");
        assert!(p("2023-08").within(&q3));
        assert!(p("2023-08").overlaps(&q3));
        assert!(p("2023-08-29").within(&p("2023-35")));
        assert!(p("2023-08~").overlaps(&q3));
        assert!(!p("2023-10-09").overlaps(&q3));
        assert!(!p("2023-06-30").overlaps(&q3));
        assert!(p("2023-09-30").within(&q3));
        // "after 2023-08" may fall in Q3 but is not within it.
        let after = p("2023-08/..");
        assert!(after.overlaps(&q3));
        assert!(!after.within(&q3));
        assert!(p("../2023-08").overlaps(&q3));
        assert!(!p("../2023-06").overlaps(&q3));
        assert!(!p("unknown").overlaps(&q3));
        assert!(p("2023").overlaps(&q3));
        assert!(!p("2023").within(&q3));
        assert!(p("2023-08-20").overlaps_days(dn(2023, 7, 1), dn(2023, 9, 30)));
    }

    #[test]
    fn open_and_unknown_ends() {
        assert_eq!(p("2023-08/..").bounds(), Some((dn(2023, 8, 1), OPEN_END)));
        assert_eq!(p("2023-08/").bounds(), Some((dn(2023, 8, 1), OPEN_END)));
        assert_eq!(
            p("../2023-08").bounds(),
            Some((OPEN_START, dn(2023, 8, 31)))
        );
        assert_eq!(p("/2023-08").bounds(), Some((OPEN_START, dn(2023, 8, 31))));
        assert_eq!(
            p("2023-08/2023-10").bounds(),
            Some((dn(2023, 8, 1), dn(2023, 10, 31)))
        );
    }

    #[test]
    fn impossible_dates_are_rejected_with_reasons() {
        let e = |s: &str| PartialDate::parse(s).unwrap_err();
        assert_eq!(e("2023-02-30"), DateError::PastMonthEnd(28));
        assert_eq!(e("2024-02-30"), DateError::PastMonthEnd(29));
        assert_eq!(e("2023-04-31"), DateError::PastMonthEnd(30));
        assert_eq!(e("2023-02-29"), DateError::NotLeapYear);
        assert_eq!(e("1900-02-29"), DateError::NotLeapYear); // century not divisible by 400
        assert!(PartialDate::parse("2000-02-29").is_ok()); // divisible by 400
        assert!(PartialDate::parse("2024-02-29").is_ok());
        assert_eq!(e("2023-13"), DateError::Month);
        assert_eq!(e("2023-00"), DateError::Month);
        assert_eq!(e("2023-Q5"), DateError::Month);
        assert_eq!(e("2023-20"), DateError::Month);
        assert_eq!(e("2023-42"), DateError::Month);
        assert_eq!(e("2023-10-00"), DateError::Day);
        assert_eq!(e("2023-10-32"), DateError::Day);
        assert_eq!(e("23-10-09"), DateError::YearDigits);
        assert_eq!(e("Y170000002"), DateError::YearDigits);
        assert_eq!(e(""), DateError::Empty);
        assert_eq!(e("2023-10-09 "), DateError::Whitespace(11));
        assert_eq!(e("2023~-10"), DateError::Qualifier);
        assert_eq!(e("2023-10/2023-08"), DateError::Inverted);
        assert_eq!(e("../.."), DateError::EmptyInterval);
        assert_eq!(e("/"), DateError::EmptyInterval);
        assert_eq!(e("2023/2024/2025"), DateError::TooManySlashes);
        assert_eq!(e("2023-Q3-01"), DateError::DayAfterDivision);
        assert_eq!(e("2023-XX-09"), DateError::DayAfterUnspecifiedMonth);
        assert_eq!(e("201X-05"), DateError::UnspecifiedYearWithMonth);
        assert_eq!(
            e("2X1X"),
            DateError::Syntax {
                at: 2,
                expected: "unspecified digits (X) only at the right end of the year"
            }
        );
        assert_eq!(
            e("2023-1"),
            DateError::Truncated {
                expected: "two digits"
            }
        );
        assert!(matches!(
            e("2023-10-09T10:00"),
            DateError::Syntax { at: 11, .. }
        ));
        assert!(matches!(e("2023년"), DateError::Syntax { at: 5, .. }));
        assert!(matches!(e("October 2023"), DateError::Whitespace(8)));
        assert_eq!(e("-0000"), DateError::NegativeZero);
        // Messages carry the rule, never the date.
        assert!(!e("2023-02-30").to_string().contains("2023"));
    }

    #[test]
    fn ordering_by_lo_then_hi_then_text() {
        let mut v: Vec<PartialDate> = [
            "unknown",
            "2023-10-09",
            "2023",
            "2023-Q3",
            "2023-35",
            "2023-08",
            "../2023-01",
            "2022-12-31",
            "2023-08/..",
        ]
        .iter()
        .map(|s| p(s))
        .collect();
        v.sort();
        let got: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "../2023-01",
                "2022-12-31",
                "2023",
                "2023-35",
                "2023-Q3",
                "2023-08",
                "2023-08/..",
                "2023-10-09",
                "unknown"
            ]
        );
    }

    #[test]
    fn serde_is_the_string_form() {
        let d = p("2023-08/..");
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(j, "\"2023-08/..\"");
        let back: PartialDate = serde_json::from_str(&j).unwrap();
        assert_eq!(back, d);
        let err = serde_json::from_str::<PartialDate>("\"2023-02-30\"").unwrap_err();
        assert!(
            err.to_string().contains("past the end of the month"),
            "{err}"
        );
    }

    #[test]
    fn year_of_day_inverts_day_number() {
        for y in -1200..=3000 {
            for (m, d) in [(1u8, 1u8), (2, 28), (3, 1), (12, 31)] {
                assert_eq!(year_of_day(day_number(y, m, d)), y, "{y}-{m}-{d}");
            }
            if is_leap_year(y) {
                assert_eq!(year_of_day(day_number(y, 2, 29)), y);
            }
        }
        // 1970-01-01 is day 719468 (see day_number's documentation).
        assert_eq!(year_of_day(719_468), 1970);
        assert_eq!(year_of_day(719_467), 1969);
    }

    #[test]
    fn day_number_is_consecutive_across_many_years() {
        // Walking day by day from 1582 to 2100, each valid date is one more
        // than the previous: checks month lengths and leap-year rules together.
        let mut expected = day_number(1582, 10, 15);
        for y in 1582..=2100 {
            for m in 1..=12u8 {
                for d in 1..=days_in_month(y, m) {
                    if (y, m) < (1582, 10) || (y == 1582 && m == 10 && d < 15) {
                        continue;
                    }
                    assert_eq!(day_number(y, m, d), expected, "{y}-{m}-{d}");
                    expected += 1;
                }
            }
        }
        // 1582-10-15 is Python ordinal 577736 (+305).
        assert_eq!(day_number(1582, 10, 15), 578_041);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn point() -> impl Strategy<Value = String> {
            let year = prop_oneof![
                (0i32..=9999).prop_map(|y| format!("{y:04}")),
                (1i32..=9999).prop_map(|y| format!("-{y:04}")),
                (0i32..=999).prop_map(|y| format!("{y:03}X")),
                (0i32..=99).prop_map(|y| format!("{y:02}XX")),
            ];
            let rest = prop_oneof![
                Just(String::new()),
                (1u8..=12).prop_map(|m| format!("-{m:02}")),
                (1u8..=12, 1u8..=28).prop_map(|(m, d)| format!("-{m:02}-{d:02}")),
                (1u8..=4).prop_map(|q| format!("-Q{q}")),
                (21u8..=41).prop_map(|c| format!("-{c}")),
                Just("-XX".to_string()),
                Just("-XX-XX".to_string()),
                (1u8..=12).prop_map(|m| format!("-{m:02}-XX")),
            ];
            let q = prop_oneof![Just(""), Just("~"), Just("?"), Just("%")];
            (year, rest, q).prop_map(|(y, r, q)| {
                if y.contains('X') {
                    format!("{y}{q}")
                } else {
                    format!("{y}{r}{q}")
                }
            })
        }

        proptest! {
            #[test]
            fn parse_print_round_trip(a in point(), b in point(), shape in 0u8..5) {
                let s = match shape {
                    0 => a.clone(),
                    1 => format!("{a}/{b}"),
                    2 => format!("{a}/.."),
                    3 => format!("../{a}"),
                    _ => format!("/{a}"),
                };
                match PartialDate::parse(&s) {
                    Ok(d) => {
                        prop_assert_eq!(d.to_string(), s.clone());
                        if let Some((lo, hi)) = d.bounds() { prop_assert!(lo <= hi); }
                    }
                    // Only an inverted interval may be refused.
                    Err(e) => prop_assert_eq!(e, DateError::Inverted, "{}", s),
                }
            }

            #[test]
            fn arbitrary_text_never_panics(s in "\\PC{0,24}") {
                if let Ok(d) = PartialDate::parse(&s) {
                    prop_assert_eq!(d.to_string(), s);
                }
            }

            #[test]
            fn order_is_total_and_consistent(a in point(), b in point()) {
                let (x, y) = (PartialDate::parse(&a).unwrap(), PartialDate::parse(&b).unwrap());
                prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
                prop_assert_eq!(x.cmp(&y) == Ordering::Equal, x == y);
            }
        }
    }
}
