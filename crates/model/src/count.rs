//! Counts of people as sources state them: "500", "about 500", "500–600",
//! "at least 406", "up to 2,000", "unknown".
//!
//! Reports about mass repatriations almost never give an exact number, and
//! the kind of imprecision matters for estimation later (a lower bound is not
//! an estimate). A [`Count`] keeps the kind and prints back exactly what was
//! written — including the phrasing ("about" vs "~") and thousands
//! separators — so records never drift from their sources.
//!
//! Accepted forms (numbers may use `,` thousands separators: `2,000`):
//!
//! | kind        | forms                                                       |
//! |-------------|-------------------------------------------------------------|
//! | exact       | `500`                                                       |
//! | about       | `~500`, `about 500`, `around 500`, `c. 500`, `ca. 500`, `approx. 500` |
//! | range       | `80-100`, `80–100` (en dash), `80 to 100`                   |
//! | at least    | `406+`, `at least 406`, `>=406`, `≥406`, `more than 405` is *not* accepted (ambiguous) |
//! | at most     | `at most 100`, `up to 100`, `<=100`, `≤100`                 |
//! | unknown     | `unknown`                                                   |
//!
//! Error messages name the rule, not the number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest count accepted (ten billion): more people than have ever lived
/// at once is a typo.
pub const MAX_COUNT: u64 = 10_000_000_000;

/// How an approximate count was phrased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AboutForm {
    Tilde,
    About,
    Around,
    Circa,
    Ca,
    Approx,
}

/// How a range was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeForm {
    Hyphen,
    EnDash,
    To,
}

/// How a lower bound was phrased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtLeastForm {
    Plus,
    Words,
    Ge,
    GeSign,
}

/// How an upper bound was phrased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtMostForm {
    Words,
    UpTo,
    Le,
    LeSign,
}

/// A number as written: value, and whether it used `,` thousands separators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Num {
    pub value: u64,
    pub grouped: bool,
}

impl Num {
    pub fn plain(value: u64) -> Num {
        Num {
            value,
            grouped: false,
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.grouped {
            return write!(f, "{}", self.value);
        }
        let digits = self.value.to_string();
        let n = digits.len();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (n - i) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A count of people (or of anything) with its kind of precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Count {
    Exact(Num),
    About(Num, AboutForm),
    Range(Num, Num, RangeForm),
    AtLeast(Num, AtLeastForm),
    AtMost(Num, AtMostForm),
    Unknown,
}

/// Why a string is not a valid [`Count`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    #[error("count is empty (write `unknown` if the number is not known)")]
    Empty,
    #[error("count is longer than 64 characters")]
    TooLong,
    #[error("counts cannot be negative")]
    Negative,
    #[error("expected a whole number{0}")]
    NotANumber(&'static str),
    #[error("thousands separators must group exactly three digits (e.g. 2,000)")]
    BadGrouping,
    #[error("count is larger than ten billion")]
    TooLarge,
    #[error("range starts above its end; write the smaller number first")]
    Inverted,
    #[error("fractions are not counts")]
    Fraction,
}

fn parse_num(s: &str, context: &'static str) -> Result<Num, CountError> {
    if s.is_empty() {
        return Err(CountError::NotANumber(context));
    }
    if s.starts_with('-') || s.starts_with('−') {
        return Err(CountError::Negative);
    }
    if s.contains('.')
        && s.trim_end_matches('.')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(CountError::Fraction);
    }
    let grouped = s.contains(',');
    if !s.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return Err(CountError::NotANumber(context));
    }
    if grouped {
        let groups: Vec<&str> = s.split(',').collect();
        let first_ok = groups
            .first()
            .is_some_and(|g| (1..=3).contains(&g.len()) && !g.starts_with('0'));
        if !first_ok || groups.iter().skip(1).any(|g| g.len() != 3) {
            return Err(CountError::BadGrouping);
        }
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(CountError::NotANumber(" without leading zeros"));
    }
    let value: u64 = digits.parse().map_err(|_| CountError::TooLarge)?;
    if value > MAX_COUNT {
        return Err(CountError::TooLarge);
    }
    Ok(Num { value, grouped })
}

impl Count {
    /// Parse the written form; see the module docs.
    pub fn parse(s: &str) -> Result<Count, CountError> {
        if s.is_empty() {
            return Err(CountError::Empty);
        }
        if s.chars().count() > 64 {
            return Err(CountError::TooLong);
        }
        if s == "unknown" {
            return Ok(Count::Unknown);
        }
        const ABOUT: [(&str, AboutForm); 6] = [
            ("~", AboutForm::Tilde),
            ("about ", AboutForm::About),
            ("around ", AboutForm::Around),
            ("c. ", AboutForm::Circa),
            ("ca. ", AboutForm::Ca),
            ("approx. ", AboutForm::Approx),
        ];
        for (prefix, form) in ABOUT {
            if let Some(rest) = s.strip_prefix(prefix) {
                return Ok(Count::About(
                    parse_num(rest, " after the approximation word")?,
                    form,
                ));
            }
        }
        const AT_LEAST: [(&str, AtLeastForm); 3] = [
            ("at least ", AtLeastForm::Words),
            (">=", AtLeastForm::Ge),
            ("≥", AtLeastForm::GeSign),
        ];
        for (prefix, form) in AT_LEAST {
            if let Some(rest) = s.strip_prefix(prefix) {
                return Ok(Count::AtLeast(parse_num(rest, " after `at least`")?, form));
            }
        }
        const AT_MOST: [(&str, AtMostForm); 4] = [
            ("at most ", AtMostForm::Words),
            ("up to ", AtMostForm::UpTo),
            ("<=", AtMostForm::Le),
            ("≤", AtMostForm::LeSign),
        ];
        for (prefix, form) in AT_MOST {
            if let Some(rest) = s.strip_prefix(prefix) {
                return Ok(Count::AtMost(parse_num(rest, " after `at most`")?, form));
            }
        }
        if let Some(rest) = s.strip_suffix('+') {
            return Ok(Count::AtLeast(
                parse_num(rest, " before `+`")?,
                AtLeastForm::Plus,
            ));
        }
        if s.starts_with('-') || s.starts_with('−') {
            return Err(CountError::Negative);
        }
        let range = |a: &str, b: &str, form| -> Result<Count, CountError> {
            let lo = parse_num(a, " at the start of the range")?;
            let hi = parse_num(b, " at the end of the range")?;
            if lo.value > hi.value {
                return Err(CountError::Inverted);
            }
            Ok(Count::Range(lo, hi, form))
        };
        if let Some((a, b)) = s.split_once(" to ") {
            return range(a, b, RangeForm::To);
        }
        if let Some((a, b)) = s.split_once('–') {
            return range(a, b, RangeForm::EnDash);
        }
        if let Some((a, b)) = s.split_once('-') {
            return range(a, b, RangeForm::Hyphen);
        }
        Ok(Count::Exact(parse_num(
            s,
            " (or ~N, about N, N-M, N+, at least N, at most N, unknown)",
        )?))
    }

    /// An exact count.
    pub fn exact(n: u64) -> Count {
        Count::Exact(Num::plain(n))
    }

    /// Inclusive bounds `(lo, hi)`; `hi` is `None` when there is no upper
    /// bound ("at least"). Approximate counts give their stated number as both
    /// bounds: how far "about" stretches is for the estimator to decide, not
    /// the record. `unknown` gives `None`.
    pub fn bounds(&self) -> Option<(u64, Option<u64>)> {
        match *self {
            Count::Exact(n) | Count::About(n, _) => Some((n.value, Some(n.value))),
            Count::Range(a, b, _) => Some((a.value, Some(b.value))),
            Count::AtLeast(n, _) => Some((n.value, None)),
            Count::AtMost(n, _) => Some((0, Some(n.value))),
            Count::Unknown => None,
        }
    }

    /// Is this count exact?
    pub fn is_exact(&self) -> bool {
        matches!(self, Count::Exact(_))
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::About(n, form) => {
                let p = match form {
                    AboutForm::Tilde => "~",
                    AboutForm::About => "about ",
                    AboutForm::Around => "around ",
                    AboutForm::Circa => "c. ",
                    AboutForm::Ca => "ca. ",
                    AboutForm::Approx => "approx. ",
                };
                write!(f, "{p}{n}")
            }
            Count::Range(a, b, form) => {
                let sep = match form {
                    RangeForm::Hyphen => "-",
                    RangeForm::EnDash => "–",
                    RangeForm::To => " to ",
                };
                write!(f, "{a}{sep}{b}")
            }
            Count::AtLeast(n, form) => match form {
                AtLeastForm::Plus => write!(f, "{n}+"),
                AtLeastForm::Words => write!(f, "at least {n}"),
                AtLeastForm::Ge => write!(f, ">={n}"),
                AtLeastForm::GeSign => write!(f, "≥{n}"),
            },
            Count::AtMost(n, form) => match form {
                AtMostForm::Words => write!(f, "at most {n}"),
                AtMostForm::UpTo => write!(f, "up to {n}"),
                AtMostForm::Le => write!(f, "<={n}"),
                AtMostForm::LeSign => write!(f, "≤{n}"),
            },
            Count::Unknown => f.write_str("unknown"),
        }
    }
}

impl std::str::FromStr for Count {
    type Err = CountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Count::parse(s)
    }
}

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Count::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Count {
        Count::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms_round_trip() {
        for s in [
            "500",
            "~500",
            "about 500",
            "around 500",
            "c. 500",
            "ca. 500",
            "approx. 500",
            "80-100",
            "80–100",
            "500 to 600",
            "406+",
            "at least 406",
            ">=406",
            "≥406",
            "at most 100",
            "up to 2,000",
            "<=100",
            "≤100",
            "unknown",
            "0",
            "1,076",
            "~1,000,000",
        ] {
            assert_eq!(c(s).to_string(), s);
        }
    }

    #[test]
    fn bounds_by_kind() {
        assert_eq!(c("500").bounds(), Some((500, Some(500))));
        assert_eq!(c("around 500").bounds(), Some((500, Some(500))));
        assert_eq!(c("500–600").bounds(), Some((500, Some(600))));
        assert_eq!(c("at least 406").bounds(), Some((406, None)));
        assert_eq!(c("406+").bounds(), Some((406, None)));
        assert_eq!(c("up to 2,000").bounds(), Some((0, Some(2000))));
        assert_eq!(c("unknown").bounds(), None);
        assert_eq!(c("1,076").bounds(), Some((1076, Some(1076))));
        assert!(c("80").is_exact());
        assert!(!c("~80").is_exact());
    }

    #[test]
    fn bad_counts_are_rejected_with_reasons() {
        let e = |s: &str| Count::parse(s).unwrap_err();
        assert_eq!(e("-5"), CountError::Negative);
        assert_eq!(e("about -5"), CountError::Negative);
        assert_eq!(e("−5"), CountError::Negative);
        assert_eq!(e("100-80"), CountError::Inverted);
        assert_eq!(e("100–80"), CountError::Inverted);
        assert_eq!(e(""), CountError::Empty);
        assert_eq!(e("1,00"), CountError::BadGrouping);
        assert_eq!(e(",100"), CountError::BadGrouping);
        assert_eq!(e("12.5"), CountError::Fraction);
        assert_eq!(e("99999999999"), CountError::TooLarge);
        assert_eq!(e("99999999999999999999999"), CountError::TooLarge);
        assert!(matches!(e("many"), CountError::NotANumber(_)));
        assert!(matches!(e("about"), CountError::NotANumber(_)));
        assert!(matches!(e("500 "), CountError::NotANumber(_)));
        assert!(matches!(e("0500"), CountError::NotANumber(_)));
        assert!(!e("100-80").to_string().contains("100"));
    }

    #[test]
    fn serde_is_the_string_form() {
        let j = serde_json::to_string(&c("about 500")).unwrap();
        assert_eq!(j, "\"about 500\"");
        assert_eq!(serde_json::from_str::<Count>(&j).unwrap(), c("about 500"));
        let err = serde_json::from_str::<Count>("\"-3\"").unwrap_err();
        assert!(err.to_string().contains("negative"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_print_round_trip(a in 0u64..=MAX_COUNT, b in 0u64..=MAX_COUNT, kind in 0u8..14, g in any::<bool>()) {
                let (lo, hi) = (Num { value: a.min(b), grouped: g }, Num { value: a.max(b), grouped: g });
                let n = Num { value: a, grouped: g };
                let count = match kind {
                    0 => Count::Exact(n),
                    1 => Count::About(n, AboutForm::Tilde),
                    2 => Count::About(n, AboutForm::Around),
                    3 => Count::About(n, AboutForm::Circa),
                    4 => Count::Range(lo, hi, RangeForm::Hyphen),
                    5 => Count::Range(lo, hi, RangeForm::EnDash),
                    6 => Count::Range(lo, hi, RangeForm::To),
                    7 => Count::AtLeast(n, AtLeastForm::Plus),
                    8 => Count::AtLeast(n, AtLeastForm::Words),
                    9 => Count::AtMost(n, AtMostForm::UpTo),
                    10 => Count::AtMost(n, AtMostForm::LeSign),
                    11 => Count::About(n, AboutForm::Approx),
                    12 => Count::AtLeast(n, AtLeastForm::GeSign),
                    _ => Count::Unknown,
                };
                let s = count.to_string();
                // (Grouping below 1,000 prints no comma and reads back ungrouped:
                // the written form is what must survive.)
                match Count::parse(&s) {
                    Ok(parsed) => {
                        prop_assert_eq!(parsed.to_string(), s);
                        prop_assert_eq!(parsed.bounds(), count.bounds());
                    }
                    Err(e) => prop_assert!(false, "{} -> {}", s, e),
                }
            }

            #[test]
            fn arbitrary_text_never_panics(s in "\\PC{0,20}") {
                if let Ok(c) = Count::parse(&s) {
                    prop_assert_eq!(c.to_string(), s);
                }
            }
        }
    }
}
