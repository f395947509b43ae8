//! Backups, restores and the trustees' recovery key.
//!
//! **Backup** (administrators: `ManageKeys`) writes **one file**
//! (`*.tumenbak`), streamed: nothing is held whole in memory, however large
//! the evidence. Layout:
//!
//! ```text
//! "TUMENBK1"                 8 bytes
//! u32 BE n, keyring JSON     n bytes: the data key wrapped under the
//!                            passphrase (and recovery key): no secret
//!                            without them; needed to open the rest
//! encrypted stream           tumen_evidence::crypt (XChaCha20-Poly1305,
//!                            64 KiB chunks, STREAM: no chunk can be cut,
//!                            reordered or spliced) under the data key's
//!                            "backup-file" subkey, holding entries
//!   u8 kind (1 file, 2 manifest) ‖ u32 BE path length ‖ path ‖
//!   u64 BE size ‖ size bytes
//! ```
//!
//! The files are the store's own snapshot (the SQLCipher database and its
//! log, as on disk: already encrypted) and the encrypted evidence files
//! (originals and working copies); the last entry is the manifest
//! (`tumen_protect::backup`), listing every file — the keyring in the clear
//! prefix included — with its size and SHA-256, sealed with an HMAC under
//! the `"backup-manifest"` subkey. So the file holds no clear byte of the
//! archive but the wrapped key, and even file names and sizes are
//! encrypted. It is written beside its destination and renamed into place
//! when complete and fsynced.
//!
//! **Restore** checks everything before writing anything: the passphrase
//! must unwrap the key, then a first pass decrypts the whole stream
//! (authenticating every chunk, so a cut, a changed byte or a spliced part
//! is refused) and hashes every entry; the manifest's seal must hold and
//! every file, the keyring included, must match it (no file missing,
//! added, resized or changed; no path leaving the directory). Only then a
//! second pass writes the files, checking each again, into a temporary
//! directory beside the target, the database is opened once as a check, and
//! the directory is renamed into place.
//!
//! **Recovery**: a random 32-byte recovery key wraps the data key in a
//! second keyring slot and is split with Shamir's scheme
//! (`tumen_protect::shamir`) into printable shares for trustees; any k of
//! them set a new passphrase when the old one is lost.

use crate::error::ServiceError;
use crate::session::{Session, archive_envelope};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use tumen_evidence::crypt::{self, DecryptReader};
use tumen_protect::backup::{
    BackupManifest, FoundFile, KeySlotInfo, KeyWrapInfo, MANIFEST_FORMAT, ManifestEntry,
    RecoveryInfo, check_path,
};
use tumen_protect::shamir::{self, RecoveryKey, Share};
use tumen_protect::{Operation, check};
use tumen_store::keyring::{KEYRING_FILE, Keyring};
use tumen_store::{RecoverySplit, SqliteStore};
use zeroize::Zeroizing;

/// The manifest's name inside a backup.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The first bytes of a backup file.
pub const BACKUP_MAGIC: &[u8; 8] = b"TUMENBK1";
/// The extension `tumen backup` gives a file it names itself.
pub const BACKUP_EXTENSION: &str = "tumenbak";
/// Key purpose of the manifest's HMAC key.
const MANIFEST_KEY_PURPOSE: &str = "backup-manifest";
/// Key purpose of the backup stream's encryption key.
const FILE_KEY_PURPOSE: &str = "backup-file";
/// Largest manifest read (a million files fit).
const MAX_MANIFEST_BYTES: u64 = 256 << 20;
/// Largest keyring read from a backup's clear prefix.
const MAX_KEYRING_BYTES: u32 = 1 << 20;
/// Longest path of an entry.
const MAX_PATH_BYTES: u32 = 4096;
const KIND_FILE: u8 = 1;
const KIND_MANIFEST: u8 = 2;

/// What a backup or a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// The backup file written, or the directory restored into.
    pub path: PathBuf,
    pub files: usize,
    pub bytes: u64,
    /// The trustees' split that can also open it, if any.
    pub recovery: Option<RecoveryInfo>,
}

fn bad(what: impl Into<String>) -> ServiceError {
    ServiceError::Backup(what.into())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ServiceError + '_ {
    move |e| bad(format!("{}: {e}", path.display()))
}

/// A sibling of `target` that does not exist yet, for writing in place.
fn sibling_tmp(target: &Path, what: &str) -> Result<PathBuf, ServiceError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| bad(format!("{}: not a usable file name", target.display())))?;
    let r: u64 = rand::random();
    Ok(parent.join(format!(".{name}.{what}-{r:016x}")))
}

fn fsync_parent(path: &Path) {
    if let Some(p) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(d) = File::open(p) {
            let _ = d.sync_all();
        }
    }
}

/// Every regular file directly in `dir` (sorted), refusing links and
/// anything else that is not a file.
fn flat_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ServiceError> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        let p = e.path();
        let name = e
            .file_name()
            .into_string()
            .map_err(|_| bad(format!("{}: a file name is not UTF-8", dir.display())))?;
        let meta = fs::symlink_metadata(&p).map_err(io_err(&p))?;
        if meta.is_file() {
            out.push((name, p));
        } else if meta.is_dir() {
            continue; // the evidence store keeps a flat layout
        } else {
            return Err(bad(format!(
                "{}: links are refused in a backup",
                p.display()
            )));
        }
    }
    out.sort();
    Ok(out)
}

fn frame(kind: u8, path: &str, size: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(13 + path.len());
    v.push(kind);
    v.extend_from_slice(&(path.len() as u32).to_be_bytes());
    v.extend_from_slice(path.as_bytes());
    v.extend_from_slice(&size.to_be_bytes());
    v
}

/// The file being streamed into the backup.
struct Current {
    path: String,
    file: File,
    size: u64,
    remaining: u64,
    hash: Sha256,
}

/// Builds the sealed manifest's bytes from the entries streamed.
type FinishManifest<'a> = Box<dyn FnOnce(Vec<ManifestEntry>) -> Result<Vec<u8>, ServiceError> + 'a>;

/// The plaintext of a backup's encrypted stream, produced as it is read:
/// each file's frame and bytes (hashed on the way), then the manifest,
/// built by `finish` from the entries once every file has passed.
struct PlainStream<'a> {
    entries: std::vec::IntoIter<(String, PathBuf)>,
    cur: Option<Current>,
    pending: Vec<u8>,
    pos: usize,
    listed: Vec<ManifestEntry>,
    finish: Option<FinishManifest<'a>>,
    error: Option<ServiceError>,
}

impl PlainStream<'_> {
    fn fail(&mut self, e: ServiceError) -> std::io::Error {
        let msg = e.to_string();
        self.error = Some(e);
        std::io::Error::other(msg)
    }
}

impl Read for PlainStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.pos < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.pos);
                buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if let Some(c) = self.cur.as_mut() {
                if c.remaining == 0 {
                    if let Some(c) = self.cur.take() {
                        self.listed.push(ManifestEntry {
                            path: c.path,
                            size: c.size,
                            sha256: hex::encode(c.hash.finalize()),
                        });
                    }
                    continue;
                }
                let want = buf
                    .len()
                    .min(usize::try_from(c.remaining).unwrap_or(usize::MAX));
                let n = c.file.read(&mut buf[..want])?;
                if n == 0 {
                    let e = bad(format!(
                        "{}: the file shrank while it was backed up",
                        c.path
                    ));
                    return Err(self.fail(e));
                }
                c.hash.update(&buf[..n]);
                c.remaining -= n as u64;
                return Ok(n);
            }
            if let Some((path, p)) = self.entries.next() {
                let opened = File::open(&p).and_then(|f| Ok((f.metadata()?.len(), f)));
                let (size, file) = match opened {
                    Ok(x) => x,
                    Err(e) => return Err(self.fail(bad(format!("{}: {e}", p.display())))),
                };
                self.pending = frame(KIND_FILE, &path, size);
                self.pos = 0;
                self.cur = Some(Current {
                    path,
                    file,
                    size,
                    remaining: size,
                    hash: Sha256::new(),
                });
                continue;
            }
            if let Some(finish) = self.finish.take() {
                let manifest = match finish(std::mem::take(&mut self.listed)) {
                    Ok(m) => m,
                    Err(e) => return Err(self.fail(e)),
                };
                self.pending = frame(KIND_MANIFEST, MANIFEST_FILE, manifest.len() as u64);
                self.pending.extend_from_slice(&manifest);
                self.pos = 0;
                continue;
            }
            return Ok(0);
        }
    }
}

impl Session<'_> {
    fn manage_keys(&self, what: &str) -> Result<(), ServiceError> {
        check(self.actor(), Operation::ManageKeys, &archive_envelope(what))?;
        Ok(())
    }

    /// Write a backup of the archive in `data_dir` to the new file `out`,
    /// or, when `out` is a directory, to a new file named after the time
    /// inside it (see the module doc). `now` is Unix seconds.
    pub fn backup(
        &self,
        data_dir: &Path,
        out: &Path,
        now: i64,
    ) -> Result<BackupSummary, ServiceError> {
        self.manage_keys("backup")?;
        let out = if out.is_dir() {
            let stamp = chrono::DateTime::from_timestamp(now, 0)
                .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
                .unwrap_or_else(|| now.to_string());
            out.join(format!("tumen-{stamp}.{BACKUP_EXTENSION}"))
        } else {
            out.to_path_buf()
        };
        if out.exists() {
            return Err(bad(format!(
                "{} exists; refusing to overwrite it",
                out.display()
            )));
        }
        let snap = sibling_tmp(&out, "snapshot")?;
        let part = sibling_tmp(&out, "partial")?;
        fs::create_dir(&snap).map_err(io_err(&snap))?;
        let r = self.backup_into(data_dir, &snap, &part, now);
        let _ = fs::remove_dir_all(&snap);
        match r {
            Ok(mut s) => {
                fs::rename(&part, &out).map_err(io_err(&out))?;
                fsync_parent(&out);
                s.path = out;
                Ok(s)
            }
            Err(e) => {
                let _ = fs::remove_file(&part);
                Err(e)
            }
        }
    }

    fn backup_into(
        &self,
        data_dir: &Path,
        snap: &Path,
        part: &Path,
        now: i64,
    ) -> Result<BackupSummary, ServiceError> {
        let mut store = self.archive().store()?;
        let copied = store.snapshot_to(snap)?;
        let keyring = fs::read(snap.join(KEYRING_FILE)).map_err(io_err(snap))?;
        let keyring_len = u32::try_from(keyring.len())
            .ok()
            .filter(|n| *n <= MAX_KEYRING_BYTES)
            .ok_or_else(|| bad("the keyring is larger than any tumen writes"))?;
        let mut entries: Vec<(String, PathBuf)> = copied
            .iter()
            .filter(|n| n.as_str() != KEYRING_FILE)
            .map(|n| (n.clone(), snap.join(n)))
            .collect();
        // Evidence originals and working copies (ciphertext); never tmp/.
        let ev = store.evidence_dir();
        for sub in ["originals", "work"] {
            let from = data_dir.join(&ev).join(sub);
            if from.is_dir() {
                for (name, p) in flat_files(&from)? {
                    entries.push((format!("{ev}/{sub}/{name}"), p));
                }
            }
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
        let schema_version = store.schema_version()?;
        let mac_key = store.derive_subkey(MANIFEST_KEY_PURPOSE)?;
        let file_key = store.derive_subkey(FILE_KEY_PURPOSE)?;
        drop(store);
        let key_wrap = KeyWrapInfo {
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
            recovery: recovery.clone(),
        };
        let mut summary = BackupSummary {
            path: part.to_path_buf(),
            files: 0,
            bytes: 0,
            recovery,
        };
        let counted = std::cell::Cell::new((0usize, 0u64));
        let keyring_entry = ManifestEntry {
            path: KEYRING_FILE.into(),
            size: keyring.len() as u64,
            sha256: hex::encode(Sha256::digest(&keyring)),
        };
        let mut stream = PlainStream {
            entries: entries.into_iter(),
            cur: None,
            pending: Vec::new(),
            pos: 0,
            listed: vec![keyring_entry],
            finish: Some(Box::new(|files: Vec<ManifestEntry>| {
                counted.set((files.len(), files.iter().map(|f| f.size).sum()));
                let mut manifest = BackupManifest {
                    format: MANIFEST_FORMAT.into(),
                    created_at: now,
                    tumen_version: env!("CARGO_PKG_VERSION").into(),
                    schema_version,
                    files,
                    key_wrap,
                    ledger_head: None,
                    mac: String::new(),
                };
                manifest.seal(&mac_key);
                serde_json::to_vec(&manifest).map_err(|e| bad(e.to_string()))
            })),
            error: None,
        };
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(part)
            .map_err(io_err(part))?;
        let mut w = BufWriter::new(file);
        w.write_all(BACKUP_MAGIC).map_err(io_err(part))?;
        w.write_all(&keyring_len.to_be_bytes())
            .map_err(io_err(part))?;
        w.write_all(&keyring).map_err(io_err(part))?;
        let written =
            crypt::encrypt::<crypt::CryptError>(&file_key, &mut stream, &mut w, &mut |_| Ok(()));
        if let Err(e) = written {
            return Err(stream
                .error
                .take()
                .unwrap_or_else(|| bad(format!("{}: {e}", part.display()))));
        }
        let file = w
            .into_inner()
            .map_err(|e| bad(format!("{}: {}", part.display(), e.error())))?;
        file.sync_all().map_err(io_err(part))?;
        let (files, bytes) = counted.get();
        summary.files = files;
        summary.bytes = bytes;
        Ok(summary)
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

/// The clear prefix of a backup file: its keyring, and where the
/// encrypted stream starts.
fn read_prefix(f: &mut File, backup: &Path) -> Result<(Vec<u8>, u64), ServiceError> {
    let not_ours = || {
        if backup.is_dir() {
            bad(format!(
                "{} is a directory; a backup is one .{BACKUP_EXTENSION} file written by `tumen backup`",
                backup.display()
            ))
        } else {
            bad(format!("{} is not a tumen backup file", backup.display()))
        }
    };
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic).map_err(|_| not_ours())?;
    if &magic != BACKUP_MAGIC {
        return Err(not_ours());
    }
    let mut n = [0u8; 4];
    f.read_exact(&mut n).map_err(|_| truncated(backup))?;
    let n = u32::from_be_bytes(n);
    if n > MAX_KEYRING_BYTES {
        return Err(bad(format!(
            "{}: the keyring length is implausible; the file is damaged",
            backup.display()
        )));
    }
    let mut keyring = vec![0u8; n as usize];
    f.read_exact(&mut keyring).map_err(|_| truncated(backup))?;
    Ok((keyring, 12 + u64::from(n)))
}

fn truncated(backup: &Path) -> ServiceError {
    bad(format!(
        "the backup {} is truncated; nothing was restored",
        backup.display()
    ))
}

fn damaged(backup: &Path, e: &std::io::Error) -> ServiceError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        return truncated(backup);
    }
    bad(format!(
        "the backup {} is damaged, truncated or altered ({e}); nothing was restored",
        backup.display()
    ))
}

/// One entry of the stream: kind, path, size.
fn read_frame(r: &mut dyn Read, backup: &Path) -> Result<Option<(u8, String, u64)>, ServiceError> {
    let mut kind = [0u8; 1];
    match r.read(&mut kind) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(damaged(backup, &e)),
    }
    let mut n = [0u8; 4];
    r.read_exact(&mut n).map_err(|e| damaged(backup, &e))?;
    let n = u32::from_be_bytes(n);
    if n == 0 || n > MAX_PATH_BYTES || !matches!(kind[0], KIND_FILE | KIND_MANIFEST) {
        return Err(bad(format!(
            "the backup {} holds a malformed entry; nothing was restored",
            backup.display()
        )));
    }
    let mut path = vec![0u8; n as usize];
    r.read_exact(&mut path).map_err(|e| damaged(backup, &e))?;
    let path = String::from_utf8(path).map_err(|_| {
        bad(format!(
            "the backup {} names a file in a non-UTF-8 path; nothing was restored",
            backup.display()
        ))
    })?;
    check_path(&path).map_err(|p| bad(format!("{}: {p}", backup.display())))?;
    let mut size = [0u8; 8];
    r.read_exact(&mut size).map_err(|e| damaged(backup, &e))?;
    Ok(Some((kind[0], path, u64::from_be_bytes(size))))
}

/// Copy exactly `size` bytes of an entry to `out`, hashing them.
fn copy_entry(
    r: &mut dyn Read,
    size: u64,
    out: &mut dyn Write,
    backup: &Path,
) -> Result<String, ServiceError> {
    let mut h = Sha256::new();
    let mut left = size;
    let mut buf = Zeroizing::new(vec![0u8; 1 << 16]);
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let k = r.read(&mut buf[..want]).map_err(|e| damaged(backup, &e))?;
        if k == 0 {
            return Err(truncated(backup));
        }
        h.update(&buf[..k]);
        out.write_all(&buf[..k])
            .map_err(|e| bad(format!("writing a restored file: {e}")))?;
        left -= k as u64;
    }
    Ok(hex::encode(h.finalize()))
}

/// Pass 1: decrypt and hash everything; returns what was found and the
/// manifest's text.
fn scan(r: &mut dyn Read, backup: &Path) -> Result<(Vec<FoundFile>, String), ServiceError> {
    let mut found = Vec::new();
    while let Some((kind, path, size)) = read_frame(r, backup)? {
        if kind == KIND_MANIFEST {
            if size > MAX_MANIFEST_BYTES {
                return Err(bad(format!(
                    "{}: larger than any manifest tumen writes",
                    backup.display()
                )));
            }
            let mut text = Vec::new();
            copy_entry(r, size, &mut text, backup)?;
            // Nothing may follow the manifest; reading to the end also
            // authenticates the final chunk.
            let mut rest = [0u8; 1];
            match r.read(&mut rest) {
                Ok(0) => {}
                Ok(_) => {
                    return Err(bad(format!(
                        "the backup {} has data after its manifest; nothing was restored",
                        backup.display()
                    )));
                }
                Err(e) => return Err(damaged(backup, &e)),
            }
            let text = String::from_utf8(text)
                .map_err(|_| bad(format!("{}: the manifest is not UTF-8", backup.display())))?;
            return Ok((found, text));
        }
        let sha256 = copy_entry(r, size, &mut std::io::sink(), backup)?;
        found.push(FoundFile { path, size, sha256 });
    }
    Err(truncated(backup))
}

/// Check the backup file `backup` entirely, then restore it into the new
/// directory `target` (see the module doc); `passphrase` must unlock the
/// backup's keyring.
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
    let mut f = File::open(backup).map_err(io_err(backup))?;
    let (keyring_bytes, body) = read_prefix(&mut f, backup)?;
    let kr = Keyring::from_json(&keyring_bytes, backup).map_err(tumen_store::StoreError::from)?;
    let data_key = kr
        .unlock(passphrase, backup)
        .map_err(tumen_store::StoreError::from)?;
    let mac_key = data_key.derive_subkey(MANIFEST_KEY_PURPOSE);
    let file_key = data_key.derive_subkey(FILE_KEY_PURPOSE);
    drop(data_key);

    // Pass 1: everything is read and checked; nothing is written.
    let mut dec = DecryptReader::new(&file_key, BufReader::new(&mut f))
        .map_err(|e| bad(format!("the backup {} is damaged: {e}", backup.display())))?;
    let (mut found, text) = scan(&mut dec, backup)?;
    drop(dec);
    let manifest =
        BackupManifest::from_json(&text).map_err(|e| bad(format!("{}: {e}", backup.display())))?;
    found.push(FoundFile {
        path: KEYRING_FILE.into(),
        size: keyring_bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&keyring_bytes)),
    });
    if manifest.key_wrap.keyring_file != KEYRING_FILE {
        return Err(bad(format!(
            "{}: the manifest names another keyring file",
            backup.display()
        )));
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

    // Pass 2: write, checking every file against the verified manifest again.
    let tmp = sibling_tmp(target, "partial")?;
    let r = (|| -> Result<BackupSummary, ServiceError> {
        f.seek(SeekFrom::Start(body)).map_err(io_err(backup))?;
        let mut dec = DecryptReader::new(&file_key, BufReader::new(&mut f))
            .map_err(|e| bad(format!("the backup {} is damaged: {e}", backup.display())))?;
        fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let mut bytes = 0u64;
        let mut files = 0usize;
        while let Some((kind, path, size)) = read_frame(&mut dec, backup)? {
            if kind == KIND_MANIFEST {
                break;
            }
            let listed = manifest
                .files
                .iter()
                .find(|e| e.path == path)
                .ok_or_else(|| bad(format!("{}: the backup changed while it was read", path)))?;
            let dest = tmp.join(&path);
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            let out = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dest)
                .map_err(io_err(&dest))?;
            let mut w = BufWriter::new(out);
            let sha = copy_entry(&mut dec, size, &mut w, backup)?;
            let out = w
                .into_inner()
                .map_err(|e| bad(format!("{}: {}", dest.display(), e.error())))?;
            out.sync_all().map_err(io_err(&dest))?;
            if sha != listed.sha256 || size != listed.size {
                return Err(bad(format!(
                    "{}: the backup changed while it was read",
                    path
                )));
            }
            bytes += size;
            files += 1;
        }
        let kp = tmp.join(KEYRING_FILE);
        fs::write(&kp, &keyring_bytes).map_err(io_err(&kp))?;
        bytes += keyring_bytes.len() as u64;
        files += 1;
        // The copy must open with the passphrase, as the original did.
        drop(SqliteStore::open(&tmp, passphrase)?);
        Ok(BackupSummary {
            path: target.to_path_buf(),
            files,
            bytes,
            recovery: manifest.key_wrap.recovery.clone(),
        })
    })();
    match r {
        Ok(s) => {
            if target.exists() {
                fs::remove_dir(target).map_err(io_err(target))?;
            }
            fs::rename(&tmp, target).map_err(io_err(target))?;
            fsync_parent(target);
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
