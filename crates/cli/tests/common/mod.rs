//! Helpers shared by the end-to-end tests: scanning a data directory for
//! plaintext that must never reach the disk.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Does `hay` contain `needle` as a byte run?
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Does any file below `dir` contain `needle`?
pub fn found_on_disk(dir: &Path, needle: &[u8]) -> bool {
    files_below(dir)
        .iter()
        .any(|p| contains(&std::fs::read(p).unwrap_or_default(), needle))
}
