//! Backups, restores and the trustees' recovery key.
//!
//! **Backup** (administrators: `ManageKeys`): the store copies its own files
//! as they are on disk — the SQLCipher database (and its log) and the
//! keyring, whose data key is wrapped — and this module adds the encrypted
//! evidence files and a manifest (`tumen_protect::backup`) listing every
//! file with its size and SHA-256, sealed with an HMAC under the data key's
//! `"backup-manifest"` subkey. Nothing in a backup is readable without the
//! passphrase or the recovery shares. The backup is written to a temporary
//! directory beside its destination and renamed into place when complete.
//!
//! **Restore** checks everything before writing anything: the passphrase
//! must unlock the backup's keyring (so that the manifest's seal can be
//! checked), then every file must match the manifest, no file may be
//! missing or added, no path may leave the directory and no entry may be a
//! link. Only then are the files copied, into a temporary directory beside
//! the target, the database opened once as a check, and the directory
//! renamed into place.
//!
//! **Recovery**: a random 32-byte recovery key wraps the data key in a
//! second keyring slot and is split with Shamir's scheme
//! (`tumen_protect::shamir`) into printable shares for trustees; any k of
//! them set a new passphrase when the old one is lost.

use crate::error::ServiceError;
use crate::session::{Session, archive_envelope};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use tumen_protect::backup::{
    BackupManifest, FoundFile, KeySlotInfo, KeyWrapInfo, MANIFEST_FORMAT, ManifestEntry,
    RecoveryInfo,
};
use tumen_protect::shamir::{self, RecoveryKey, Share};
use tumen_protect::{Operation, check};
use tumen_store::keyring::{KEYRING_FILE, Keyring};
use tumen_store::{RecoverySplit, SqliteStore};
use zeroize::Zeroizing;

/// The manifest's file name inside a backup.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Key purpose of the manifest's HMAC key.
const MANIFEST_KEY_PURPOSE: &str = "backup-manifest";
/// Largest manifest read (a million files fit).
const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// What a backup or a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub files: usize,
    pub bytes: u64,
}

fn bad(what: impl Into<String>) -> ServiceError {
    ServiceError::Backup(what.into())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ServiceError + '_ {
    move |e| bad(format!("{}: {e}", path.display()))
}

/// A sibling of `target` that does not exist yet, for writing in place.
fn sibling_tmp(target: &Path) -> Result<PathBuf, ServiceError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| bad(format!("{}: not a usable directory name", target.display())))?;
    let r: u64 = rand::random();
    Ok(parent.join(format!(".{name}.partial-{r:016x}")))
}

fn sha256_file(path: &Path) -> Result<(u64, String), ServiceError> {
    let mut f = fs::File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io_err(path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Every regular file below `root` (relative, `/`-separated), refusing
/// links and anything else that is not a file or a directory.
fn walk(root: &Path, skip: &[&str]) -> Result<Vec<(String, PathBuf)>, ServiceError> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root.to_path_buf())];
    while let Some((rel, dir)) = stack.pop() {
        for e in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let e = e.map_err(io_err(&dir))?;
            let p = e.path();
            let name = e
                .file_name()
                .into_string()
                .map_err(|_| bad(format!("{}: a file name is not UTF-8", dir.display())))?;
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let meta = fs::symlink_metadata(&p).map_err(io_err(&p))?;
            if meta.file_type().is_symlink() {
                return Err(bad(format!("{r}: links are refused in a backup")));
            } else if meta.is_dir() {
                stack.push((r, p));
            } else if meta.is_file() {
                if !skip.contains(&r.as_str()) {
                    out.push((r, p));
                }
            } else {
                return Err(bad(format!("{r}: not a regular file")));
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Session<'_> {
    fn manage_keys(&self, what: &str) -> Result<(), ServiceError> {
        check(self.actor(), Operation::ManageKeys, &archive_envelope(what))?;
        Ok(())
    }

    /// Write a backup of the archive in `data_dir` to the new directory
    /// `out` (see the module doc). `now` is Unix seconds.
    pub fn backup(
        &self,
        data_dir: &Path,
        out: &Path,
        now: i64,
    ) -> Result<BackupSummary, ServiceError> {
        self.manage_keys("backup")?;
        if out.exists() {
            return Err(bad(format!(
                "{} exists; refusing to overwrite it",
                out.display()
            )));
        }
        let tmp = sibling_tmp(out)?;
        fs::create_dir(&tmp).map_err(io_err(&tmp))?;
        let r = self.backup_into(data_dir, &tmp, now);
        match r {
            Ok(s) => {
                fs::rename(&tmp, out).map_err(io_err(out))?;
                Ok(s)
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    fn backup_into(
        &self,
        data_dir: &Path,
        tmp: &Path,
        now: i64,
    ) -> Result<BackupSummary, ServiceError> {
        let mut store = self.archive().store()?;
        store.snapshot_to(tmp)?;
        // Evidence originals and working copies (ciphertext); never tmp/.
        for sub in ["originals", "work"] {
            let from = data_dir.join("evidence").join(sub);
            if !from.is_dir() {
                continue;
            }
            let to = tmp.join("evidence").join(sub);
            fs::create_dir_all(&to).map_err(io_err(&to))?;
            for (rel, p) in walk(&from, &[])? {
                if rel.contains('/') {
                    continue; // the evidence store keeps a flat layout
                }
                let dest = to.join(&rel);
                fs::copy(&p, &dest).map_err(io_err(&dest))?;
            }
        }
        let mut files = Vec::new();
        let mut bytes = 0u64;
        for (rel, p) in walk(tmp, &[])? {
            let (size, sha256) = sha256_file(&p)?;
            bytes += size;
            files.push(ManifestEntry {
                path: rel,
                size,
                sha256,
            });
        }
        let slots = store.key_slots()?;
        let recovery = slots
            .iter()
            .find_map(|s| s.recovery.clone())
            .map(|r| RecoveryInfo {
                set_id: r.set_id,
                threshold: r.threshold,
                shares: r.shares,
                key_check: r.key_check,
            });
        let mut manifest = BackupManifest {
            format: MANIFEST_FORMAT.into(),
            created_at: now,
            tumen_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: store.schema_version()?,
            files,
            key_wrap: KeyWrapInfo {
                keyring_file: KEYRING_FILE.into(),
                wrap_cipher: "xchacha20poly1305".into(),
                slots: slots
                    .iter()
                    .map(|s| KeySlotInfo {
                        kind: s.kind.clone(),
                        kdf: s.kdf.clone(),
                        m_kib: s.params.m_kib,
                        t: s.params.t,
                        p: s.params.p,
                    })
                    .collect(),
                recovery,
            },
            ledger_head: None,
            mac: String::new(),
        };
        let key = store.derive_subkey(MANIFEST_KEY_PURPOSE)?;
        manifest.seal(&key);
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| bad(e.to_string()))?;
        let mp = tmp.join(MANIFEST_FILE);
        fs::write(&mp, text).map_err(io_err(&mp))?;
        Ok(BackupSummary {
            files: manifest.files.len(),
            bytes,
        })
    }

    /// Create (or replace) the recovery key: a new random key wraps the
    /// data key in the keyring's recovery slot and is split into `n`
    /// printable shares, any `k` of which set a new passphrase. Returns the
    /// shares, to be handed out one per trustee and never stored.
    pub fn setup_recovery(
        &self,
        n: usize,
        k: usize,
    ) -> Result<Vec<Zeroizing<String>>, ServiceError> {
        self.manage_keys("keyring")?;
        let key = RecoveryKey::generate(&mut rand::rng());
        let shares = shamir::split(&key, n, k, &mut rand::rng())
            .map_err(|e| ServiceError::Recovery(e.to_string()))?;
        let first = shares
            .first()
            .ok_or_else(|| ServiceError::Recovery("no shares".into()))?;
        let split = RecoverySplit {
            set_id: hex::encode(first.set_id),
            threshold: first.threshold,
            shares: n as u8,
            key_check: hex::encode(first.key_check),
        };
        let mut store = self.archive().store()?;
        store.set_recovery_slot(&key.0, split)?;
        Ok(shares.iter().map(Share::to_text).collect())
    }
}

/// Restore the backup directory `backup` into the new directory `target`
/// (see the module doc); `passphrase` must unlock the backup's keyring.
pub fn restore(
    backup: &Path,
    passphrase: &str,
    target: &Path,
) -> Result<BackupSummary, ServiceError> {
    if target.exists()
        && fs::read_dir(target)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(bad(format!(
            "{} exists and is not empty; refusing to restore over it",
            target.display()
        )));
    }
    let mp = backup.join(MANIFEST_FILE);
    let meta = fs::metadata(&mp).map_err(io_err(&mp))?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(bad(format!(
            "{}: larger than any manifest tumen writes",
            mp.display()
        )));
    }
    let text = fs::read_to_string(&mp).map_err(io_err(&mp))?;
    let manifest =
        BackupManifest::from_json(&text).map_err(|e| bad(format!("{}: {e}", mp.display())))?;
    let kr = Keyring::load(backup).map_err(tumen_store::StoreError::from)?;
    let data_key = kr
        .unlock(passphrase, &backup.join(KEYRING_FILE))
        .map_err(tumen_store::StoreError::from)?;
    let mac_key = data_key.derive_subkey(MANIFEST_KEY_PURPOSE);
    let found_paths = walk(backup, &[MANIFEST_FILE])?;
    let mut found = Vec::with_capacity(found_paths.len());
    for (rel, p) in &found_paths {
        let (size, sha256) = sha256_file(p)?;
        found.push(FoundFile {
            path: rel.clone(),
            size,
            sha256,
        });
    }
    if let Err(problems) = manifest.verify(&mac_key, &found) {
        let n = problems.len();
        let list: Vec<String> = problems.iter().take(10).map(ToString::to_string).collect();
        return Err(bad(format!(
            "the backup {} does not match its manifest; nothing was restored: {n} problem(s): {}",
            backup.display(),
            list.join("; ")
        )));
    }
    let tmp = sibling_tmp(target)?;
    let r = (|| -> Result<BackupSummary, ServiceError> {
        let mut bytes = 0u64;
        for (rel, p) in &found_paths {
            let dest = tmp.join(rel);
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            bytes += fs::copy(p, &dest).map_err(io_err(&dest))?;
        }
        // The copy must open with the passphrase, as the original did.
        drop(SqliteStore::open(&tmp, passphrase)?);
        Ok(BackupSummary {
            files: found_paths.len(),
            bytes,
        })
    })();
    match r {
        Ok(s) => {
            if target.exists() {
                fs::remove_dir(target).map_err(io_err(target))?;
            }
            fs::rename(&tmp, target).map_err(io_err(target))?;
            Ok(s)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// Set a new passphrase for the archive in `dir` from at least k of the
/// trustees' shares (printable forms). A wrong, damaged or foreign share is
/// refused; fewer than k are refused.
pub fn recover(dir: &Path, shares: &[String], new_passphrase: &str) -> Result<(), ServiceError> {
    let parsed = shares
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Share::parse(s).map_err(|e| ServiceError::Recovery(format!("share {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let key = shamir::combine(&parsed).map_err(|e| ServiceError::Recovery(e.to_string()))?;
    SqliteStore::recover(dir, &key.0, new_passphrase).map_err(|e| ServiceError::Store(e.into()))?;
    Ok(())
}
