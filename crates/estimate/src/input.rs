//! Reading a table of counts per capture pattern from CSV text.
//!
//! Analysts keep their data as one row per capture pattern: a 0/1 column per
//! list and a `count` column. Optional stratum columns (year, place, sex…)
//! split the rows into strata that are estimated separately and pooled.
//! The parser takes text, not a file, so the library stays free of I/O; every
//! error names the line (1-based, the header is line 1) and the column.
//!
//! Patterns absent from the file count as zero. A pattern given twice within
//! one stratum is an error rather than silently summed: it usually means two
//! exports were pasted together.

use crate::table::{CaptureTable, MAX_LISTS, TableError};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error(
        "the CSV text is empty: expected a header with one column per list and a `count` column"
    )]
    Empty,
    #[error(
        "line 1: no `count` column in the header; add a column named `count` holding the number of people per pattern"
    )]
    NoCountColumn,
    #[error("line 1: column {0:?} appears twice in the header")]
    DuplicateColumn(String),
    #[error("line 1: stratum column {0:?} named by the request is not in the header")]
    MissingStratumColumn(String),
    #[error("line 1: column {0} has an empty name")]
    EmptyColumnName(usize),
    #[error("line 1: {0} list column(s) found: capture–recapture needs at least two lists")]
    TooFewLists(usize),
    #[error("line 1: {0} list columns found: at most {MAX_LISTS} lists are supported")]
    TooManyLists(usize),
    #[error("line {line}: {got} fields but the header has {want}")]
    WrongFieldCount {
        line: usize,
        got: usize,
        want: usize,
    },
    #[error(
        "line {line}, column {column:?}: {value:?} is not 0 or 1 (a list column marks whether the pattern includes that list; if this is a stratum such as a year, name it with --stratify {column})"
    )]
    NotBinary {
        line: usize,
        column: String,
        value: String,
    },
    #[error("line {line}, column \"count\": {value:?} is not a whole number of people")]
    NotInteger { line: usize, value: String },
    #[error(
        "line {line}, column \"count\": {value} is negative; counts of people cannot be negative"
    )]
    Negative { line: usize, value: String },
    #[error(
        "line {line}: the all-zero pattern (people on no list) cannot be observed; its count must be 0 (it is what is estimated)"
    )]
    ZeroPatternCount { line: usize },
    #[error(
        "line {line}: pattern {pattern} {stratum}appears again (first on line {first}); give each pattern once"
    )]
    DuplicatePattern {
        line: usize,
        first: usize,
        pattern: String,
        stratum: String,
    },
    #[error("line {line}: unterminated quoted field")]
    BadQuote { line: usize },
    #[error("{0}")]
    Table(#[from] TableError),
    #[error("no data rows after the header")]
    NoRows,
}

/// Counts split by stratum, plus the pooled table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratifiedCounts {
    /// Names of the stratum columns, in header order.
    pub stratum_columns: Vec<String>,
    /// One table per stratum, keyed by the stratum values joined with `/`,
    /// in order of first appearance.
    pub strata: Vec<(String, CaptureTable)>,
    /// All strata pooled.
    pub combined: CaptureTable,
}

/// Split one CSV line into fields (commas; double quotes may enclose a
/// field, `""` inside quotes is a quote).
fn split_line(line: &str, lineno: usize) -> Result<Vec<String>, InputError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_q = false;
    while let Some(c) = chars.next() {
        if in_q {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    in_q = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            in_q = true;
        } else if c == ',' {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if in_q {
        return Err(InputError::BadQuote { line: lineno });
    }
    out.push(cur.trim().to_string());
    Ok(out)
}

fn parse_count(s: &str, line: usize) -> Result<u64, InputError> {
    let t = s.trim();
    if let Some(rest) = t.strip_prefix('-') {
        if !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
            && rest.chars().any(|c| c != '0' && c != '.')
        {
            return Err(InputError::Negative {
                line,
                value: t.to_string(),
            });
        }
    }
    // Accept "12" and "12.0" (spreadsheets write whole numbers that way).
    let int_part = match t.split_once('.') {
        Some((a, frac)) if !a.is_empty() && !frac.is_empty() && frac.chars().all(|c| c == '0') => a,
        Some(_) => {
            return Err(InputError::NotInteger {
                line,
                value: t.to_string(),
            });
        }
        None => t,
    };
    let int_part = int_part.strip_prefix('+').unwrap_or(int_part);
    if int_part == "-0" {
        return Ok(0);
    }
    if int_part.is_empty() || !int_part.chars().all(|c| c.is_ascii_digit()) {
        return Err(InputError::NotInteger {
            line,
            value: t.to_string(),
        });
    }
    int_part.parse::<u64>().map_err(|_| InputError::NotInteger {
        line,
        value: t.to_string(),
    })
}

/// Parse counts without strata. The table is checked for estimability
/// (every list has a record; records are not all on one list).
pub fn parse_counts_csv(text: &str) -> Result<CaptureTable, InputError> {
    let s = parse_counts_csv_stratified(text, &[])?;
    s.combined.check_estimable()?;
    Ok(s.combined)
}

/// Parse counts with the named stratum columns. Strata are not checked
/// for estimability here (a small stratum gets its own message in the
/// report); the combined table is.
pub fn parse_counts_csv_stratified(
    text: &str,
    strata: &[String],
) -> Result<StratifiedCounts, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let (hline, header) = lines.next().ok_or(InputError::Empty)?;
    let header = split_line(header, hline)?;
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(InputError::EmptyColumnName(i + 1));
        }
        if header[..i].contains(h) {
            return Err(InputError::DuplicateColumn(h.clone()));
        }
    }
    let count_col = header
        .iter()
        .position(|h| h.eq_ignore_ascii_case("count"))
        .ok_or(InputError::NoCountColumn)?;
    let mut stratum_cols = Vec::new();
    for s in strata {
        let pos = header
            .iter()
            .position(|h| h == s)
            .ok_or_else(|| InputError::MissingStratumColumn(s.clone()))?;
        stratum_cols.push(pos);
    }
    stratum_cols.sort_unstable();
    let list_cols: Vec<usize> = (0..header.len())
        .filter(|i| *i != count_col && !stratum_cols.contains(i))
        .collect();
    let k = list_cols.len();
    if k < 2 {
        return Err(InputError::TooFewLists(k));
    }
    if k > MAX_LISTS {
        return Err(InputError::TooManyLists(k));
    }
    let lists: Vec<String> = list_cols.iter().map(|&i| header[i].clone()).collect();
    let cells = 1usize << k;
    let mut order: Vec<String> = Vec::new();
    let mut tabs: BTreeMap<String, (Vec<u64>, Vec<usize>)> = BTreeMap::new();
    let mut rows = 0usize;
    for (lineno, line) in lines {
        let f = split_line(line, lineno)?;
        if f.len() != header.len() {
            return Err(InputError::WrongFieldCount {
                line: lineno,
                got: f.len(),
                want: header.len(),
            });
        }
        rows += 1;
        let mut mask = 0usize;
        for (j, &c) in list_cols.iter().enumerate() {
            match f[c].as_str() {
                "1" => mask |= 1 << j,
                "0" => {}
                v => {
                    return Err(InputError::NotBinary {
                        line: lineno,
                        column: header[c].clone(),
                        value: v.to_string(),
                    });
                }
            }
        }
        let count = parse_count(&f[count_col], lineno)?;
        if mask == 0 {
            if count != 0 {
                return Err(InputError::ZeroPatternCount { line: lineno });
            }
            continue;
        }
        let key = stratum_cols
            .iter()
            .map(|&c| f[c].as_str())
            .collect::<Vec<_>>()
            .join("/");
        let entry = tabs.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (vec![0; cells], vec![0; cells])
        });
        if entry.1[mask] != 0 {
            let pattern: String = (0..k)
                .map(|j| if mask & (1 << j) != 0 { '1' } else { '0' })
                .collect();
            let stratum = if stratum_cols.is_empty() {
                String::new()
            } else {
                format!("in stratum {key:?} ")
            };
            return Err(InputError::DuplicatePattern {
                line: lineno,
                first: entry.1[mask],
                pattern,
                stratum,
            });
        }
        entry.1[mask] = lineno;
        entry.0[mask] = count;
    }
    if rows == 0 {
        return Err(InputError::NoRows);
    }
    let mut combined = vec![0u64; cells];
    let mut out = Vec::new();
    for key in order {
        if let Some((counts, _)) = tabs.remove(&key) {
            for (c, v) in combined.iter_mut().zip(&counts) {
                // Saturating: a sum this large is refused by the table.
                *c = c.saturating_add(*v);
            }
            out.push((key, CaptureTable::new(lists.clone(), counts)?));
        }
    }
    Ok(StratifiedCounts {
        stratum_columns: stratum_cols.iter().map(|&c| header[c].clone()).collect(),
        strata: out,
        combined: CaptureTable::new(lists, combined)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_patterns_and_fills_missing_with_zero() {
        let t = parse_counts_csv(
            "A,B,C,count\n1,0,0,5\n0,1,0,5\n0,0,1,41\n1,1,0,54\n1,0,1,6\n1,1,1,12\n",
        )
        .unwrap();
        assert_eq!(t.lists(), &["A", "B", "C"]);
        assert_eq!(t.count(0b011), 54);
        assert_eq!(t.count(0b110), 0);
        assert_eq!(t.observed(), 123);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_counts_csv("A,B,count\n1,0,3\n1,0,4\n").unwrap_err();
        assert!(
            e.to_string().contains("line 3") && e.to_string().contains("line 2"),
            "{e}"
        );
        let e = parse_counts_csv("A,B,count\n1,0,-3\n").unwrap_err();
        assert!(matches!(e, InputError::Negative { line: 2, .. }), "{e}");
        let e = parse_counts_csv("A,B,count\n1,0,2.5\n").unwrap_err();
        assert!(matches!(e, InputError::NotInteger { line: 2, .. }), "{e}");
        let e = parse_counts_csv("A,B,count\n1,0,3\n2,1,3\n").unwrap_err();
        assert!(matches!(e, InputError::NotBinary { line: 3, .. }), "{e}");
        let e = parse_counts_csv("A,count\n1,3\n").unwrap_err();
        assert!(matches!(e, InputError::TooFewLists(1)), "{e}");
        let hdr: Vec<String> = (0..16).map(|i| format!("L{i}")).collect();
        let e = parse_counts_csv(&format!("{},count\n", hdr.join(","))).unwrap_err();
        assert!(matches!(e, InputError::TooManyLists(16)), "{e}");
        let e = parse_counts_csv("A,B,C,count\n1,0,0,3\n1,1,0,3\n").unwrap_err();
        assert!(e.to_string().contains("\"C\" has no records"), "{e}");
        let e = parse_counts_csv("A,B,count\n1,0,3\n").unwrap_err();
        assert!(e.to_string().contains("alone"), "{e}");
        let e = parse_counts_csv("A,B\n1,0\n").unwrap_err();
        assert!(matches!(e, InputError::NoCountColumn), "{e}");
        let e = parse_counts_csv("A,B,count\n1,0\n").unwrap_err();
        assert!(
            matches!(e, InputError::WrongFieldCount { line: 2, .. }),
            "{e}"
        );
        let e = parse_counts_csv("A,B,count\n0,0,4\n").unwrap_err();
        assert!(matches!(e, InputError::ZeroPatternCount { line: 2 }), "{e}");
        let e = parse_counts_csv("").unwrap_err();
        assert!(matches!(e, InputError::Empty), "{e}");
    }

    #[test]
    fn strata_split_and_pool() {
        let text = "year,A,B,count\n2022,1,0,3\n2022,0,1,4\n2022,1,1,2\n2023,1,0,5\n2023,1,1,1\n2023,0,1,6\n";
        let s = parse_counts_csv_stratified(text, &["year".to_string()]).unwrap();
        assert_eq!(s.strata.len(), 2);
        assert_eq!(s.strata[0].0, "2022");
        assert_eq!(s.strata[1].1.count(0b11), 1);
        assert_eq!(s.combined.count(0b01), 8);
        assert_eq!(s.combined.observed(), 21);
        // Without --stratify the year column is a non-0/1 list column.
        let e = parse_counts_csv(text).unwrap_err();
        assert!(e.to_string().contains("--stratify year"), "{e}");
    }
}
