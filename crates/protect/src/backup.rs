//! The backup manifest: what a backup holds and how to check it before a
//! restore touches anything.
//!
//! A backup holds already-encrypted files — the SQLCipher database, the
//! keyring with its wrapped data key, encrypted evidence — plus this
//! manifest (`tumen_service::backup` streams them into one encrypted file).
//! The service does the copying; this module defines the manifest and its
//! verification, purely:
//!
//! * every file with its relative path, size and SHA-256, so a truncated,
//!   altered, missing or smuggled-in file is found;
//! * paths are checked to be plain relative paths (no `..`, no absolute
//!   path, no drive letter or backslash, no empty or `.` component), so a
//!   crafted manifest cannot make a restore write outside its directory;
//! * what the data key is wrapped with (slot kinds and KDF parameters,
//!   never a key), and the Shamir recovery split if there is one (set id,
//!   k of n, key check — the same values every share carries), so the
//!   operator knows what will unlock the backup;
//! * an HMAC-SHA256 over the manifest's canonical JSON under a key the store
//!   derives from the data key (`derive_subkey("backup-manifest")`), so the
//!   manifest itself cannot be edited to match altered files without the key.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The format tag of this manifest version.
pub const MANIFEST_FORMAT: &str = "tumen-backup-v1";

/// One file in the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Relative path with `/` separators, e.g. `evidence/ab/ab12….enc`.
    pub path: String,
    pub size: u64,
    /// Hex SHA-256 of the file's bytes (as stored: encrypted).
    pub sha256: String,
}

/// One way to unlock the data key (a keyring slot), without any key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySlotInfo {
    /// `passphrase` or `recovery`.
    pub kind: String,
    /// e.g. `argon2id`.
    pub kdf: String,
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

/// The trustees' split of the recovery key, as every share states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryInfo {
    /// Hex set id of the split.
    pub set_id: String,
    pub threshold: u8,
    pub shares: u8,
    /// Hex key check value.
    pub key_check: String,
}

/// How the backup's data key is wrapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyWrapInfo {
    /// The keyring file inside the backup (must be listed in `files`).
    pub keyring_file: String,
    /// e.g. `xchacha20poly1305`.
    pub wrap_cipher: String,
    pub slots: Vec<KeySlotInfo>,
    #[serde(default)]
    pub recovery: Option<RecoveryInfo>,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupManifest {
    pub format: String,
    /// Unix seconds, passed in by the caller.
    pub created_at: i64,
    /// Version of tumen that wrote it.
    pub tumen_version: String,
    /// Schema version of the database.
    pub schema_version: u32,
    pub files: Vec<ManifestEntry>,
    pub key_wrap: KeyWrapInfo,
    /// The ledger's signed tree head at backup time (its printed form), if any.
    #[serde(default)]
    pub ledger_head: Option<String>,
    /// Hex HMAC-SHA256 of the canonical JSON of every other field.
    #[serde(default)]
    pub mac: String,
}

/// A file as found on disk by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// One thing wrong with a backup. Names paths, never file contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestProblem {
    #[error("manifest is not valid JSON: {0}")]
    Syntax(String),
    #[error("unknown manifest format {0:?}")]
    Format(String),
    #[error("the manifest's MAC does not match: it was altered, or the key is wrong")]
    Mac,
    #[error("unsafe path in manifest: {0:?}")]
    UnsafePath(String),
    #[error("path listed twice: {0}")]
    Duplicate(String),
    #[error("malformed SHA-256 for {0}")]
    BadDigest(String),
    #[error("missing file: {0}")]
    Missing(String),
    #[error("file not in the manifest: {0}")]
    Unlisted(String),
    #[error("size differs for {path}: manifest {expected}, found {found}")]
    Size {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error("content differs for {0} (SHA-256 mismatch)")]
    Digest(String),
    #[error("the keyring file {0} is not listed")]
    NoKeyring(String),
}

/// Is `path` a plain relative path that stays inside the backup directory?
pub fn check_path(path: &str) -> Result<(), ManifestProblem> {
    let bad = path.is_empty()
        || path.len() > 4096
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.chars().any(char::is_control)
        || path.as_bytes().get(1) == Some(&b':')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(ManifestProblem::UnsafePath(path.to_string()))
    } else {
        Ok(())
    }
}

/// Hex SHA-256 of bytes (for callers hashing small files; stream larger ones
/// through `sha2::Sha256` themselves).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl BackupManifest {
    fn mac_input(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.mac = String::new();
        // serde_json writes struct fields in declaration order: canonical.
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    fn compute_mac(&self, key: &[u8; 32]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        m.update(b"tumen-backup-manifest-v1\0");
        m.update(&self.mac_input());
        m
    }

    /// Set `mac` under `key` (after every other field is final).
    pub fn seal(&mut self, key: &[u8; 32]) {
        self.mac = hex::encode(self.compute_mac(key).finalize().into_bytes());
    }

    /// Parse a manifest (size-limited by the caller).
    pub fn from_json(text: &str) -> Result<BackupManifest, ManifestProblem> {
        serde_json::from_str(text).map_err(|e| ManifestProblem::Syntax(e.to_string()))
    }

    /// Check the manifest and the files found against it: format, MAC
    /// (constant-time), safe and unique paths, every listed file present
    /// with its size and SHA-256, no file that is not listed, the keyring
    /// listed. Returns every problem.
    pub fn verify(&self, key: &[u8; 32], found: &[FoundFile]) -> Result<(), Vec<ManifestProblem>> {
        let mut problems = Vec::new();
        if self.format != MANIFEST_FORMAT {
            problems.push(ManifestProblem::Format(self.format.clone()));
        }
        let mac_ok =
            hex::decode(&self.mac).is_ok_and(|m| self.compute_mac(key).verify_slice(&m).is_ok());
        if !mac_ok {
            problems.push(ManifestProblem::Mac);
        }
        let mut listed: BTreeMap<&str, &ManifestEntry> = BTreeMap::new();
        for e in &self.files {
            if let Err(p) = check_path(&e.path) {
                problems.push(p);
                continue;
            }
            if e.sha256.len() != 64 || hex::decode(&e.sha256).is_err() {
                problems.push(ManifestProblem::BadDigest(e.path.clone()));
            }
            if listed.insert(e.path.as_str(), e).is_some() {
                problems.push(ManifestProblem::Duplicate(e.path.clone()));
            }
        }
        if !listed.contains_key(self.key_wrap.keyring_file.as_str()) {
            problems.push(ManifestProblem::NoKeyring(
                self.key_wrap.keyring_file.clone(),
            ));
        }
        let found_map: BTreeMap<&str, &FoundFile> =
            found.iter().map(|f| (f.path.as_str(), f)).collect();
        for (path, e) in &listed {
            match found_map.get(path) {
                None => problems.push(ManifestProblem::Missing(path.to_string())),
                Some(f) if f.size != e.size => problems.push(ManifestProblem::Size {
                    path: path.to_string(),
                    expected: e.size,
                    found: f.size,
                }),
                Some(f) if !f.sha256.eq_ignore_ascii_case(&e.sha256) => {
                    problems.push(ManifestProblem::Digest(path.to_string()))
                }
                Some(_) => {}
            }
        }
        for f in found {
            if !listed.contains_key(f.path.as_str()) {
                problems.push(ManifestProblem::Unlisted(f.path.clone()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [42; 32];

    fn files() -> Vec<(String, Vec<u8>)> {
        vec![
            ("tumen.db".into(), b"encrypted database pages".to_vec()),
            (
                "keyring.json".into(),
                b"{\"format\":\"tumen-keyring-v1\"}".to_vec(),
            ),
            (
                "evidence/ab/ab12.enc".into(),
                b"encrypted evidence".to_vec(),
            ),
        ]
    }

    fn found() -> Vec<FoundFile> {
        files()
            .into_iter()
            .map(|(path, b)| FoundFile {
                size: b.len() as u64,
                sha256: sha256_hex(&b),
                path,
            })
            .collect()
    }

    fn manifest() -> BackupManifest {
        let mut m = BackupManifest {
            format: MANIFEST_FORMAT.into(),
            created_at: 1_700_000_000,
            tumen_version: "0.1.0".into(),
            schema_version: 1,
            files: found()
                .into_iter()
                .map(|f| ManifestEntry {
                    path: f.path,
                    size: f.size,
                    sha256: f.sha256,
                })
                .collect(),
            key_wrap: KeyWrapInfo {
                keyring_file: "keyring.json".into(),
                wrap_cipher: "xchacha20poly1305".into(),
                slots: vec![KeySlotInfo {
                    kind: "passphrase".into(),
                    kdf: "argon2id".into(),
                    m_kib: 65536,
                    t: 3,
                    p: 4,
                }],
                recovery: Some(RecoveryInfo {
                    set_id: "00".repeat(8),
                    threshold: 3,
                    shares: 5,
                    key_check: "11".repeat(8),
                }),
            },
            ledger_head: None,
            mac: String::new(),
        };
        m.seal(&KEY);
        m
    }

    #[test]
    fn sha256_known_answer() {
        // FIPS 180-2 Appendix B.1: SHA-256("abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_good_backup_verifies_and_round_trips() {
        let m = manifest();
        assert_eq!(m.verify(&KEY, &found()), Ok(()));
        let text = serde_json::to_string_pretty(&m).expect("json");
        let back = BackupManifest::from_json(&text).expect("parse");
        assert_eq!(back.verify(&KEY, &found()), Ok(()));
    }

    #[test]
    fn altered_truncated_missing_and_extra_files_are_found() {
        let m = manifest();
        let mut f = found();
        f[0].sha256 = sha256_hex(b"encrypted database pageZ");
        f[2].size -= 1;
        f.remove(1);
        f.push(FoundFile {
            path: "smuggled.sh".into(),
            size: 1,
            sha256: sha256_hex(b"x"),
        });
        let problems = m.verify(&KEY, &f).expect_err("problems");
        assert!(problems.contains(&ManifestProblem::Digest("tumen.db".into())));
        assert!(problems.contains(&ManifestProblem::Size {
            path: "evidence/ab/ab12.enc".into(),
            expected: 18,
            found: 17
        }));
        assert!(problems.contains(&ManifestProblem::Missing("keyring.json".into())));
        assert!(problems.contains(&ManifestProblem::Unlisted("smuggled.sh".into())));
    }

    #[test]
    fn an_edited_manifest_or_wrong_key_fails_the_mac() {
        let mut m = manifest();
        assert_eq!(
            m.verify(&[0; 32], &found()),
            Err(vec![ManifestProblem::Mac])
        );
        // Someone alters the database and updates its hash in the manifest.
        m.files[0].sha256 = sha256_hex(b"altered");
        let mut f = found();
        f[0].sha256 = sha256_hex(b"altered");
        assert_eq!(m.verify(&KEY, &f), Err(vec![ManifestProblem::Mac]));
        let mut m = manifest();
        m.mac = "zz".into();
        assert_eq!(m.verify(&KEY, &found()), Err(vec![ManifestProblem::Mac]));
    }

    #[test]
    fn path_traversal_is_refused() {
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "evidence/../../x",
            "a//b",
            "./a",
            "C:/x",
            "a\\..\\b",
            "",
            "a/",
            "a\u{0}b",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        for good in ["tumen.db", "evidence/ab/ab12.enc", "a.b/c..d"] {
            assert_eq!(check_path(good), Ok(()), "{good}");
        }
        let mut m = manifest();
        m.files.push(ManifestEntry {
            path: "../../home/x/.bashrc".into(),
            size: 1,
            sha256: sha256_hex(b"x"),
        });
        m.seal(&KEY);
        let problems = m.verify(&KEY, &found()).expect_err("unsafe");
        assert_eq!(
            problems,
            vec![ManifestProblem::UnsafePath("../../home/x/.bashrc".into())]
        );
    }

    #[test]
    fn duplicates_bad_digests_format_and_missing_keyring() {
        let mut m = manifest();
        m.files.push(m.files[0].clone());
        m.files[2].sha256 = "xyz".into();
        m.key_wrap.keyring_file = "other.json".into();
        m.format = "tumen-backup-v0".into();
        m.seal(&KEY);
        let p = m.verify(&KEY, &found()).expect_err("problems");
        assert!(p.contains(&ManifestProblem::Duplicate("tumen.db".into())));
        assert!(p.contains(&ManifestProblem::BadDigest("evidence/ab/ab12.enc".into())));
        assert!(p.contains(&ManifestProblem::NoKeyring("other.json".into())));
        assert!(p.contains(&ManifestProblem::Format("tumen-backup-v0".into())));
        assert!(BackupManifest::from_json("{\"format\": 1}").is_err());
    }
}
