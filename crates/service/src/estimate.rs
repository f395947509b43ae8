//! Estimation from the archive: the capture histories of resolved persons
//! over chosen sources (see `linkage.rs`) become a counts table — one column
//! per list, optional stratum columns, a count per observed pattern — and
//! the table goes to `tumen-estimate`. The command line and, later, the web
//! pages call [`Session::estimate_lists`]; the counts text is returned too,
//! so an analyst can keep or re-run exactly what was estimated.

use std::collections::BTreeMap;

use tumen_estimate::{EstimateRequest, Estimates};
use tumen_model::RecordId;

use crate::{CaptureUnit, ServiceError, Session};

/// Fields the archive can stratify capture histories by.
pub const CAPTURE_STRATA: &[&str] = &["year", "sex", "category", "place"];

/// The counts CSV of capture histories: one column per list (named by the
/// source id), then the stratum columns, then `count`; one row per observed
/// pattern (and stratum), sorted so the output does not depend on the
/// archive's order. Missing stratum values are `unknown`.
pub fn counts_csv(
    lists: &[RecordId],
    units: &[CaptureUnit],
    stratify: &[String],
) -> Result<String, ServiceError> {
    check_columns(lists, stratify)?;
    Ok(build_counts_csv(lists, units, stratify))
}

/// The stratum fields are known and every list id can name a column.
fn check_columns(lists: &[RecordId], stratify: &[String]) -> Result<(), ServiceError> {
    for s in stratify {
        if !CAPTURE_STRATA.contains(&s.as_str()) {
            return Err(ServiceError::Estimate(format!(
                "cannot stratify by {s:?}: use one of {}",
                CAPTURE_STRATA.join(", ")
            )));
        }
    }
    for l in lists {
        let l = l.as_str();
        if l.eq_ignore_ascii_case("count")
            || stratify.iter().any(|s| s == l)
            || l.contains([',', '"'])
        {
            return Err(ServiceError::Estimate(format!(
                "source id {l} cannot name a column of the capture table"
            )));
        }
    }
    Ok(())
}

/// [`counts_csv`] once its columns are checked.
fn build_counts_csv(lists: &[RecordId], units: &[CaptureUnit], stratify: &[String]) -> String {
    let mut cells: BTreeMap<(Vec<String>, Vec<bool>), u64> = BTreeMap::new();
    for u in units {
        let strata: Vec<String> = stratify
            .iter()
            .map(|s| {
                let v = match s.as_str() {
                    "year" => u.year.map(|y| y.to_string()),
                    "sex" => u.sex.clone(),
                    "place" => u.place.as_ref().map(|p| p.to_string()),
                    _ => (!u.categories.is_empty()).then(|| u.categories.join("+")),
                };
                v.filter(|v| !v.contains([',', '"', '\n']))
                    .unwrap_or_else(|| "unknown".into())
            })
            .collect();
        *cells.entry((strata, u.captured.clone())).or_default() += 1;
    }
    let mut text = String::new();
    let header: Vec<&str> = lists
        .iter()
        .map(RecordId::as_str)
        .chain(stratify.iter().map(String::as_str))
        .chain(["count"])
        .collect();
    text.push_str(&header.join(","));
    text.push('\n');
    for ((strata, pattern), n) in cells {
        let row: Vec<String> = pattern
            .iter()
            .map(|c| if *c { "1".to_string() } else { "0".to_string() })
            .chain(strata)
            .chain([n.to_string()])
            .collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text
}

/// What [`Session::estimate_lists`] returns.
#[derive(Debug, Clone)]
pub struct ArchiveEstimate {
    /// The counts table that was estimated, as CSV text.
    pub counts_csv: String,
    pub estimates: Estimates,
}

impl Session<'_> {
    /// The counts table of the capture histories over `lists` (source
    /// ids), stratified by the named [`CAPTURE_STRATA`].
    pub fn capture_counts_csv(
        &self,
        lists: &[RecordId],
        stratify: &[String],
    ) -> Result<String, ServiceError> {
        // Check the columns before the (slower) walk over the archive.
        check_columns(lists, stratify)?;
        let units = self.capture_histories(lists)?;
        Ok(build_counts_csv(lists, &units, stratify))
    }

    /// Estimate the total from the archive's capture histories over
    /// `lists`, stratified by the named fields when any are given.
    pub fn estimate_lists(
        &self,
        lists: &[RecordId],
        stratify: &[String],
        req: &EstimateRequest,
    ) -> Result<ArchiveEstimate, ServiceError> {
        let counts_csv = self.capture_counts_csv(lists, stratify)?;
        let estimates =
            tumen_estimate::estimate_counts(&counts_csv, stratify, req).map_err(|e| {
                let names: Vec<&str> = lists.iter().map(RecordId::as_str).collect();
                ServiceError::Estimate(format!("capture histories of {}: {e}", names.join(", ")))
            })?;
        Ok(ArchiveEstimate {
            counts_csv,
            estimates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RecordId {
        RecordId::new(s).unwrap()
    }

    fn unit(id_: &str, captured: &[bool], year: Option<i32>, sex: Option<&str>) -> CaptureUnit {
        CaptureUnit {
            id: id_.into(),
            members: Vec::new(),
            captured: captured.to_vec(),
            sex: sex.map(str::to_string),
            categories: Vec::new(),
            year,
            place: (id_ == "a").then(|| id("crs-hyesan")),
        }
    }

    #[test]
    fn capture_units_become_the_counts_csv() {
        let lists = vec![id("s1"), id("s2")];
        let units = vec![
            unit("a", &[true, false], Some(2023), Some("male")),
            unit("b", &[true, true], Some(2023), None),
            unit("c", &[true, false], None, Some("male")),
        ];
        let t = counts_csv(&lists, &units, &[]).unwrap();
        assert_eq!(t, "s1,s2,count\n1,0,2\n1,1,1\n");
        let t = counts_csv(&lists, &units, &["year".to_string()]).unwrap();
        assert_eq!(
            t,
            "s1,s2,year,count\n1,0,2023,1\n1,1,2023,1\n1,0,unknown,1\n"
        );
        let t = counts_csv(&lists, &units, &["place".to_string()]).unwrap();
        assert_eq!(
            t,
            "s1,s2,place,count\n1,0,crs-hyesan,1\n1,0,unknown,1\n1,1,unknown,1\n"
        );
        let e = counts_csv(&lists, &units, &["colour".to_string()]).unwrap_err();
        assert!(e.to_string().contains("year, sex, category, place"), "{e}");
        assert!(counts_csv(&[id("count"), id("s2")], &units, &[]).is_err());
    }
}
