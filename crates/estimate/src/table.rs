//! The capture table: how many people were seen on exactly which lists.
//!
//! Cell `p` (a bit mask, bit `i` set = seen on list `i`) holds the number of
//! people whose capture pattern is `p`. Cell 0, the people on no list, is the
//! unknown every method estimates, so it is always 0 here.

use serde::{Deserialize, Serialize};

/// Most lists a table may have: 2^15 − 1 observable cells.
pub const MAX_LISTS: usize = 15;
/// Most people a table may hold in all: far above any real population (more
/// than a hundred times the world's), low enough that every sum of counts
/// stays exact in integers and in floating point.
pub const MAX_PEOPLE: u64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureTable {
    lists: Vec<String>,
    counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error("{0} list(s) given: capture–recapture needs at least two lists")]
    TooFewLists(usize),
    #[error("{0} lists given: at most {MAX_LISTS} are supported")]
    TooManyLists(usize),
    #[error("list name {0:?} appears twice")]
    DuplicateList(String),
    #[error("the table has {got} cells but {lists} lists need {want}")]
    WrongCellCount {
        lists: usize,
        got: usize,
        want: usize,
    },
    #[error("the all-zero pattern (people on no list) cannot be observed; its count must be 0")]
    UnobservedCellNonZero,
    #[error("list {0:?} has no records: drop it or check the linkage of its records")]
    EmptyList(String),
    #[error(
        "the counts add up to more than {MAX_PEOPLE} people (over a hundred times the world's population): check the count column"
    )]
    TooManyPeople,
    #[error("the table holds no records at all")]
    NoRecords,
    #[error(
        "all {0} records are on list {1:?} alone: with no second list there is nothing to compare, so nothing can be estimated"
    )]
    AllOnOneList(u64, String),
}

impl CaptureTable {
    /// Build from list names and a dense vector of `2^k` counts indexed by
    /// pattern bit mask (index 0 must be 0).
    pub fn new(lists: Vec<String>, counts: Vec<u64>) -> Result<Self, TableError> {
        let k = lists.len();
        if k < 2 {
            return Err(TableError::TooFewLists(k));
        }
        if k > MAX_LISTS {
            return Err(TableError::TooManyLists(k));
        }
        for (i, a) in lists.iter().enumerate() {
            if lists[..i].contains(a) {
                return Err(TableError::DuplicateList(a.clone()));
            }
        }
        let want = 1usize << k;
        if counts.len() != want {
            return Err(TableError::WrongCellCount {
                lists: k,
                got: counts.len(),
                want,
            });
        }
        if counts[0] != 0 {
            return Err(TableError::UnobservedCellNonZero);
        }
        let total = counts.iter().try_fold(0u64, |a, &c| a.checked_add(c));
        if total.is_none_or(|t| t > MAX_PEOPLE) {
            return Err(TableError::TooManyPeople);
        }
        Ok(CaptureTable { lists, counts })
    }

    pub fn lists(&self) -> &[String] {
        &self.lists
    }
    pub fn num_lists(&self) -> usize {
        self.lists.len()
    }
    /// Count for pattern `mask` (bit `i` = seen on list `i`).
    pub fn count(&self, mask: usize) -> u64 {
        self.counts[mask]
    }
    /// Dense counts, index = pattern mask; index 0 is always 0.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
    /// Number of distinct people observed on at least one list.
    pub fn observed(&self) -> u64 {
        self.counts.iter().sum()
    }
    /// Number of people seen on list `i`.
    pub fn list_total(&self, i: usize) -> u64 {
        (1..self.counts.len())
            .filter(|m| m & (1 << i) != 0)
            .map(|m| self.counts[m])
            .sum()
    }
}

impl CaptureTable {
    /// Number of people seen on every list in `lists_mask` (and possibly
    /// others): the sufficient statistic of the interaction of those lists.
    pub fn overlap(&self, lists_mask: usize) -> u64 {
        self.counts
            .iter()
            .enumerate()
            .filter(|(m, _)| m & lists_mask == lists_mask)
            .map(|(_, c)| *c)
            .sum()
    }

    /// Number of people seen on two or more lists.
    pub fn recaptured(&self) -> u64 {
        self.counts
            .iter()
            .enumerate()
            .filter(|(m, _)| m.count_ones() >= 2)
            .map(|(_, c)| *c)
            .sum()
    }

    /// Check that an estimate can be attempted at all: every list has a
    /// record, and the records are not all on one single list.
    pub fn check_estimable(&self) -> Result<(), TableError> {
        if self.observed() == 0 {
            return Err(TableError::NoRecords);
        }
        let nonempty: Vec<usize> = (0..self.num_lists())
            .filter(|&i| self.list_total(i) > 0)
            .collect();
        if let [only] = nonempty.as_slice() {
            return Err(TableError::AllOnOneList(
                self.observed(),
                self.lists[*only].clone(),
            ));
        }
        for (i, name) in self.lists.iter().enumerate() {
            if self.list_total(i) == 0 {
                return Err(TableError::EmptyList(name.clone()));
            }
        }
        Ok(())
    }

    /// The table restricted to the lists in `keep` (a bit mask over this
    /// table's lists), people seen only on dropped lists leaving it.
    pub fn sub_table(&self, keep: usize) -> Result<CaptureTable, TableError> {
        let idx: Vec<usize> = (0..self.num_lists())
            .filter(|i| keep & (1 << i) != 0)
            .collect();
        let lists: Vec<String> = idx.iter().map(|&i| self.lists[i].clone()).collect();
        let mut counts = vec![0u64; 1usize << idx.len()];
        for (m, &c) in self.counts.iter().enumerate() {
            let mut nm = 0usize;
            for (j, &i) in idx.iter().enumerate() {
                if m & (1 << i) != 0 {
                    nm |= 1 << j;
                }
            }
            if nm != 0 {
                counts[nm] += c;
            }
        }
        CaptureTable::new(lists, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ab() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn impossible_totals_are_refused_not_overflowed() {
        // Each count fits in u64, their sum does not.
        let e = CaptureTable::new(ab(), vec![0, u64::MAX, u64::MAX, 1]).unwrap_err();
        assert_eq!(e, TableError::TooManyPeople);
        assert!(e.to_string().contains("check the count column"), "{e}");
        let e = CaptureTable::new(ab(), vec![0, MAX_PEOPLE, 1, 0]).unwrap_err();
        assert_eq!(e, TableError::TooManyPeople);
        let t = CaptureTable::new(ab(), vec![0, MAX_PEOPLE - 1, 1, 0]).unwrap();
        assert_eq!(t.observed(), MAX_PEOPLE);
    }
}
