//! tumen-evidence: evidence files (interview audio, photographs, documents)
//! kept with a chain of custody, as the Berkeley Protocol on Digital Open
//! Source Investigations asks.
//!
//! * **Hashed at acquisition.** A file's identity is the SHA-256 of its
//!   plaintext, computed while it is read in; it is what records cite and
//!   what a court compares.
//! * **Encrypted.** Files are stored with XChaCha20-Poly1305 under a key the
//!   caller supplies (the store's `derive_subkey("evidence")`), in 64 KiB
//!   chunks so that large recordings stream through bounded memory
//!   ([`crypt`]). Nothing is ever written in clear, not even a temp file.
//! * **Content-addressed, without a confirmation oracle.** The file name is
//!   an HMAC of the plaintext hash under a key derived from the evidence
//!   key, not the bare hash: someone who copies the directory and holds a
//!   candidate photograph cannot confirm that the archive holds it.
//! * **Never modified.** Originals are written to a temp file, fsynced,
//!   and linked into place with an operation that fails if the name exists
//!   (no overwrite, even by a race), then made read-only.
//! * **Working copies are separate** (their own directory, their own
//!   random ids, freely deletable); the original is only ever read.
//! * **Custody.** Every acquisition, access, copy and export returns a
//!   [`CustodyEvent`] for the caller to append to the ledger.
//! * **Metadata** (Exif, GPS) of JPEG images is extracted into a map at
//!   acquisition and stripped from shared copies ([`jpeg`]).
//!
//! Layout under the data directory:
//!
//! ```text
//! evidence/originals/<hmac>.tev    the encrypted original
//! evidence/originals/<hmac>.meta   its encrypted metadata (JSON)
//! evidence/work/<random>.tev       encrypted working copies (+ .meta)
//! evidence/tmp/                    encrypted files being written
//! ```

pub mod crypt;
pub mod custody;
pub mod jpeg;

pub use custody::{CustodyAction, CustodyEvent, LEAF_CUSTODY_V1};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Default limit on an acquired file: 4 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;
/// How much of the start of a file is kept in memory to read its metadata.
const METADATA_PREFIX: usize = 1 << 20;

/// What went wrong. Messages name ids and paths, never file contents or
/// the names people gave their files.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("evidence name refused: {why}")]
    BadName { why: &'static str },
    #[error("evidence id {0:?} is not 64 hexadecimal digits")]
    BadId(String),
    #[error("file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("evidence {id} was already acquired; originals are never overwritten")]
    AlreadyAcquired { id: String },
    #[error("no evidence {id} in this archive")]
    NotFound { id: String },
    #[error(
        "evidence {id}: the decrypted file hashes to {found}, not to its id; the file has been swapped or damaged"
    )]
    HashMismatch { id: String, found: String },
    #[error("evidence {id}: {source}")]
    Crypt {
        id: String,
        source: crypt::CryptError,
    },
    #[error("evidence {id} is not a JPEG image that can be cleaned of metadata: {source}")]
    Jpeg { id: String, source: jpeg::JpegError },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("encrypted evidence file: {0}")]
    Cipher(#[from] crypt::CryptError),
    #[error("writing the output: {0}")]
    Output(std::io::Error),
    #[error("evidence {id}: metadata file is damaged")]
    BadMetadata { id: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The identity of an original: SHA-256 of its plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EvidenceId(pub [u8; 32]);

impl EvidenceId {
    /// Parse 64 hex digits (the only form accepted from users: it cannot
    /// name a path).
    pub fn parse(s: &str) -> Result<Self, EvidenceError> {
        let mut b = [0u8; 32];
        if s.len() != 64 || hex::decode_to_slice(s, &mut b).is_err() {
            return Err(EvidenceError::BadId(s.chars().take(80).collect()));
        }
        Ok(EvidenceId(b))
    }
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for EvidenceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Limits on what is accepted.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What is known about an original (stored encrypted beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    /// SHA-256 of the plaintext, hex.
    pub sha256: String,
    pub size: u64,
    /// The name it was supplied under (a base name; may itself be
    /// sensitive, hence encrypted).
    pub name: String,
    /// `image/jpeg` or `application/octet-stream`.
    pub media_type: String,
    pub acquired_by: String,
    pub acquired_ms: i64,
    /// Exif/GPS tags found at acquisition (`gps.latitude`, `exif.make`, …).
    pub metadata: BTreeMap<String, String>,
    /// Why metadata could not be read, if it could not.
    pub metadata_error: Option<String>,
    /// For a working copy: the original it was made from.
    pub copy_of: Option<String>,
}

/// An encrypted, content-addressed evidence archive in one directory.
pub struct EvidenceStore {
    dir: PathBuf,
    enc_key: Zeroizing<[u8; 32]>,
    name_key: Zeroizing<[u8; 32]>,
    limits: Limits,
}

impl std::fmt::Debug for EvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceStore")
            .field("dir", &self.dir)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn subkey(key: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(label);
    Zeroizing::new(m.finalize().into_bytes().into())
}

/// Check a supplied file name: a plain base name, no path.
pub fn check_name(name: &str) -> Result<&str, EvidenceError> {
    let bad = |why| Err(EvidenceError::BadName { why });
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > 255 {
        return bad("longer than 255 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("contains a path separator");
    }
    if name == "." || name == ".." {
        return bad("is a directory reference");
    }
    if name.chars().any(|c| c.is_control()) {
        return bad("contains a control character");
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return bad("contains a drive prefix");
    }
    Ok(name)
}

fn fsync_dir(dir: &Path) -> Result<(), EvidenceError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}

/// A writer that hashes what passes through it.
struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hash: Sha256,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl EvidenceStore {
    /// Open (creating if needed) the archive under `data_dir/evidence`.
    /// `key` is the caller's 32-byte evidence key.
    pub fn open(data_dir: &Path, key: &[u8; 32], limits: Limits) -> Result<Self, EvidenceError> {
        Self::open_dir(&data_dir.join("evidence"), key, limits)
    }

    /// Open (creating if needed) the archive in the evidence directory
    /// `dir` itself (after a data-key rotation its name carries the key's
    /// generation, e.g. `evidence-1a2b3c4d`).
    pub fn open_dir(dir: &Path, key: &[u8; 32], limits: Limits) -> Result<Self, EvidenceError> {
        let dir = dir.to_path_buf();
        for sub in ["originals", "work", "tmp"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(io(&d))?;
        }
        let s = EvidenceStore {
            dir,
            enc_key: subkey(key, b"tumen-evidence encryption v1"),
            name_key: subkey(key, b"tumen-evidence file names v1"),
            limits,
        };
        s.clear_tmp()?;
        Ok(s)
    }

    /// Remove leftovers of interrupted writes (ciphertext only).
    fn clear_tmp(&self) -> Result<(), EvidenceError> {
        let t = self.dir.join("tmp");
        for e in fs::read_dir(&t).map_err(io(&t))? {
            let p = e.map_err(io(&t))?.path();
            let _ = fs::remove_file(&p);
        }
        Ok(())
    }

    /// The evidence directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn address(&self, id: &EvidenceId) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.name_key[..])
            .expect("HMAC takes keys of any length");
        m.update(&id.0);
        hex::encode(m.finalize().into_bytes())
    }

    fn original_paths(&self, id: &EvidenceId) -> (PathBuf, PathBuf) {
        let a = self.address(id);
        let d = self.dir.join("originals");
        (d.join(format!("{a}.tev")), d.join(format!("{a}.meta")))
    }

    fn tmp_path(&self) -> PathBuf {
        let r: [u8; 16] = rand::random();
        self.dir.join("tmp").join(hex::encode(r))
    }

    /// Bring a file into the archive: hash it, encrypt it, store it under
    /// its address, never overwriting. `name` is the name it was supplied
    /// under (a base name; a path is refused). Returns what is now known
    /// about it and the `acquire` custody event.
    pub fn acquire(
        &self,
        src: &mut dyn Read,
        name: &str,
        actor: &str,
        time_ms: i64,
    ) -> Result<(EvidenceId, Info, CustodyEvent), EvidenceError> {
        let name = check_name(name)?;
        let tmp = self.tmp_path();
        let r = self.acquire_into(src, name, actor, time_ms, &tmp);
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r
    }

    fn acquire_into(
        &self,
        src: &mut dyn Read,
        name: &str,
        actor: &str,
        time_ms: i64,
        tmp: &Path,
    ) -> Result<(EvidenceId, Info, CustodyEvent), EvidenceError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(io(tmp))?;
        let mut w = BufWriter::new(file);
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let mut prefix = Zeroizing::new(Vec::new());
        let limit = self.limits.max_bytes;
        crypt::encrypt::<EvidenceError>(&self.enc_key, src, &mut w, &mut |chunk| {
            size += chunk.len() as u64;
            if size > limit {
                return Err(EvidenceError::TooLarge { limit });
            }
            hash.update(chunk);
            if prefix.len() < METADATA_PREFIX {
                let k = chunk.len().min(METADATA_PREFIX - prefix.len());
                prefix.extend_from_slice(&chunk[..k]);
            }
            Ok(())
        })?;
        let file = w.into_inner().map_err(|e| EvidenceError::Io {
            path: tmp.to_path_buf(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io(tmp))?;
        drop(file);
        let id = EvidenceId(hash.finalize().into());
        let (media_type, metadata, metadata_error) = if jpeg::looks_like_jpeg(&prefix) {
            match jpeg::extract_metadata(&prefix) {
                Ok(m) => ("image/jpeg", m, None),
                Err(e) => ("image/jpeg", BTreeMap::new(), Some(e.to_string())),
            }
        } else {
            ("application/octet-stream", BTreeMap::new(), None)
        };
        let info = Info {
            sha256: id.to_hex(),
            size,
            name: name.to_string(),
            media_type: media_type.to_string(),
            acquired_by: actor.to_string(),
            acquired_ms: time_ms,
            metadata,
            metadata_error,
            copy_of: None,
        };
        let (path, meta_path) = self.original_paths(&id);
        if path.exists() {
            return Err(EvidenceError::AlreadyAcquired { id: id.to_hex() });
        }
        // The original counts as present only once its .tev exists; a .meta
        // without one is left by an acquisition interrupted between the two
        // links, and is replaced.
        if meta_path.exists() {
            fs::remove_file(&meta_path).map_err(io(&meta_path))?;
        }
        self.write_meta(&meta_path, &info, &id)?;
        // hard_link fails if the target exists: no overwrite even in a race.
        if let Err(e) = fs::hard_link(tmp, &path) {
            let _ = fs::remove_file(&meta_path);
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                return Err(EvidenceError::AlreadyAcquired { id: id.to_hex() });
            }
            return Err(EvidenceError::Io { path, source: e });
        }
        fs::remove_file(tmp).map_err(io(tmp))?;
        make_read_only(&path)?;
        fsync_dir(&self.dir.join("originals"))?;
        let event = CustodyEvent {
            action: CustodyAction::Acquire,
            evidence_sha256: id.0,
            actor: actor.to_string(),
            time_ms,
            result_sha256: id.0,
            detail: format!("size={size}"),
        };
        Ok((id, info, event))
    }

    fn write_meta(
        &self,
        meta_path: &Path,
        info: &Info,
        id: &EvidenceId,
    ) -> Result<(), EvidenceError> {
        let json = Zeroizing::new(
            serde_json::to_vec(info).map_err(|_| EvidenceError::BadMetadata { id: id.to_hex() })?,
        );
        let sealed = crypt::seal(&self.enc_key, &json).map_err(|source| EvidenceError::Crypt {
            id: id.to_hex(),
            source,
        })?;
        let tmp = self.tmp_path();
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io(&tmp))?;
            f.write_all(&sealed).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        let r = fs::hard_link(&tmp, meta_path);
        let _ = fs::remove_file(&tmp);
        match r {
            Ok(()) => make_read_only(meta_path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(EvidenceError::AlreadyAcquired { id: id.to_hex() })
            }
            Err(e) => Err(EvidenceError::Io {
                path: meta_path.to_path_buf(),
                source: e,
            }),
        }
    }

    /// What is known about an original (reading metadata is not a custody
    /// event: it does not reveal the file's content).
    pub fn info(&self, id: &EvidenceId) -> Result<Info, EvidenceError> {
        let (_, meta) = self.original_paths(id);
        self.read_meta(&meta, &id.to_hex())
    }

    fn read_meta(&self, meta: &Path, id: &str) -> Result<Info, EvidenceError> {
        let sealed = fs::read(meta).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EvidenceError::NotFound { id: id.to_string() }
            } else {
                EvidenceError::Io {
                    path: meta.to_path_buf(),
                    source: e,
                }
            }
        })?;
        let json = Zeroizing::new(crypt::open(&self.enc_key, &sealed).map_err(|source| {
            EvidenceError::Crypt {
                id: id.to_string(),
                source,
            }
        })?);
        serde_json::from_slice(&json).map_err(|_| EvidenceError::BadMetadata { id: id.to_string() })
    }

    /// Decrypt a stored file to `out`, re-hashing it; fails (after writing
    /// what was authenticated) if the plaintext does not hash to `expect`.
    fn decrypt_file(
        &self,
        path: &Path,
        id_for_errors: &str,
        out: &mut dyn Write,
    ) -> Result<[u8; 32], EvidenceError> {
        let f = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EvidenceError::NotFound {
                    id: id_for_errors.to_string(),
                }
            } else {
                EvidenceError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        let mut r = BufReader::new(f);
        let mut hash = Sha256::new();
        crypt::decrypt::<EvidenceError>(&self.enc_key, &mut r, &mut |c| {
            hash.update(c);
            out.write_all(c).map_err(EvidenceError::Output)
        })
        .map_err(|e| match e {
            EvidenceError::Cipher(source) => EvidenceError::Crypt {
                id: id_for_errors.to_string(),
                source,
            },
            other => other,
        })?;
        Ok(hash.finalize().into())
    }

    fn decrypt_original(&self, id: &EvidenceId, out: &mut dyn Write) -> Result<(), EvidenceError> {
        let (path, _) = self.original_paths(id);
        let got = self.decrypt_file(&path, &id.to_hex(), out)?;
        if got != id.0 {
            return Err(EvidenceError::HashMismatch {
                id: id.to_hex(),
                found: hex::encode(got),
            });
        }
        Ok(())
    }

    /// Decrypt the original to `out` (someone looks at or listens to it).
    /// The caller must discard the output if this returns an error.
    pub fn access(
        &self,
        id: &EvidenceId,
        out: &mut dyn Write,
        actor: &str,
        time_ms: i64,
    ) -> Result<CustodyEvent, EvidenceError> {
        self.decrypt_original(id, out)?;
        Ok(CustodyEvent {
            action: CustodyAction::Access,
            evidence_sha256: id.0,
            actor: actor.to_string(),
            time_ms,
            result_sha256: id.0,
            detail: String::new(),
        })
    }

    /// Decrypt the original and check that it still hashes to its id.
    pub fn verify(
        &self,
        id: &EvidenceId,
        actor: &str,
        time_ms: i64,
    ) -> Result<CustodyEvent, EvidenceError> {
        self.decrypt_original(id, &mut std::io::sink())?;
        Ok(CustodyEvent {
            action: CustodyAction::Verify,
            evidence_sha256: id.0,
            actor: actor.to_string(),
            time_ms,
            result_sha256: id.0,
            detail: String::new(),
        })
    }

    /// Make an encrypted working copy of the original in `evidence/work/`.
    /// Returns its random id (32 hex digits) and the `copy` event.
    pub fn working_copy(
        &self,
        id: &EvidenceId,
        actor: &str,
        time_ms: i64,
    ) -> Result<(String, CustodyEvent), EvidenceError> {
        let info = self.info(id)?;
        let wid = hex::encode(rand::random::<[u8; 16]>());
        let work = self.dir.join("work");
        let path = work.join(format!("{wid}.tev"));
        // Re-encrypt through a pipe-free two-step: decrypt to an encrypting
        // writer chunk by chunk, so plaintext never touches the disk.
        let tmp = self.tmp_path();
        let r = (|| {
            let (path_o, _) = self.original_paths(id);
            self.encrypt_copy(self, &path_o, id, &tmp)?;
            fs::rename(&tmp, &path).map_err(io(&path))?;
            let copy_info = Info {
                copy_of: Some(id.to_hex()),
                ..info.clone()
            };
            self.write_meta(&work.join(format!("{wid}.meta")), &copy_info, id)?;
            fsync_dir(&work)
        })();
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
            let _ = fs::remove_file(&path);
        }
        r?;
        Ok((
            wid.clone(),
            CustodyEvent {
                action: CustodyAction::Copy,
                evidence_sha256: id.0,
                actor: actor.to_string(),
                time_ms,
                result_sha256: id.0,
                detail: format!("working_copy={wid}"),
            },
        ))
    }

    /// Decrypt a working copy to `out` (no custody event: the copy was
    /// logged when it was made; exports from it go through [`Self::export`]).
    pub fn read_working_copy(&self, wid: &str, out: &mut dyn Write) -> Result<(), EvidenceError> {
        if wid.len() != 32 || !wid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EvidenceError::BadId(wid.chars().take(80).collect()));
        }
        let path = self.dir.join("work").join(format!("{wid}.tev"));
        self.decrypt_file(&path, wid, out)?;
        Ok(())
    }

    /// Delete a working copy (originals cannot be deleted through this API).
    pub fn discard_working_copy(&self, wid: &str) -> Result<(), EvidenceError> {
        if wid.len() != 32 || !wid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EvidenceError::BadId(wid.chars().take(80).collect()));
        }
        for ext in ["tev", "meta"] {
            let p = self.dir.join("work").join(format!("{wid}.{ext}"));
            fs::remove_file(&p).map_err(io(&p))?;
        }
        Ok(())
    }

    /// Write a copy for sharing to `out`. With `strip_metadata`, a JPEG is
    /// written without its Exif/XMP (APP1), IPTC (APP13) and comment
    /// segments, and any other file type is refused (it cannot be cleaned).
    /// Returns the `export` event, whose result hash is that of the bytes
    /// written.
    pub fn export(
        &self,
        id: &EvidenceId,
        out: &mut dyn Write,
        strip_metadata: bool,
        actor: &str,
        time_ms: i64,
        purpose: &str,
    ) -> Result<CustodyEvent, EvidenceError> {
        let mut hw = HashingWriter {
            inner: out,
            hash: Sha256::new(),
        };
        let detail = if strip_metadata {
            let info = self.info(id)?;
            if info.media_type != "image/jpeg" {
                return Err(EvidenceError::Jpeg {
                    id: id.to_hex(),
                    source: jpeg::JpegError::NotJpeg,
                });
            }
            let (path, _) = self.original_paths(id);
            let reader = DecryptingReader::new(self, &path, id)?;
            let mut br = std::io::BufReader::with_capacity(crypt::CHUNK, reader);
            let removed =
                jpeg::strip_metadata(&mut br, &mut hw).map_err(|source| match source {
                    jpeg::JpegError::Io(e)
                        if e.get_ref().is_some_and(|x| x.is::<DecryptFailure>()) =>
                    {
                        match e
                            .into_inner()
                            .and_then(|x| x.downcast::<DecryptFailure>().ok())
                        {
                            Some(f) => EvidenceError::Crypt {
                                id: id.to_hex(),
                                source: f.0,
                            },
                            None => EvidenceError::Crypt {
                                id: id.to_hex(),
                                source: crypt::CryptError::BadHeader,
                            },
                        }
                    }
                    other => EvidenceError::Jpeg {
                        id: id.to_hex(),
                        source: other,
                    },
                })?;
            br.into_inner().finish()?;
            format!("purpose={purpose};metadata_stripped;segments_removed={removed}")
        } else {
            self.decrypt_original(id, &mut hw)?;
            format!("purpose={purpose};original_bytes")
        };
        Ok(CustodyEvent {
            action: CustodyAction::Export,
            evidence_sha256: id.0,
            actor: actor.to_string(),
            time_ms,
            result_sha256: hw.hash.finalize().into(),
            detail,
        })
    }

    /// Re-encrypt every original and every working copy, with their
    /// metadata, into `new` (an empty evidence directory opened with a new
    /// key): for a data-key rotation. Each file is decrypted chunk by chunk
    /// straight into the new encryption (no plaintext on disk, bounded
    /// memory), its plaintext re-hashed against its id, written to `new`'s
    /// temporary directory, fsynced and linked under its new address (the
    /// address is an HMAC under the key, so it changes too). Originals
    /// stay read-only. Returns the number of files (originals and working
    /// copies) re-encrypted.
    pub fn reencrypt_into(&self, new: &EvidenceStore) -> Result<usize, EvidenceError> {
        let mut n = 0;
        for info in self.list()? {
            let id = EvidenceId::parse(&info.sha256)?;
            let (src, _) = self.original_paths(&id);
            let (dst, dst_meta) = new.original_paths(&id);
            self.reencrypt_file(new, &src, &id, &dst)?;
            make_read_only(&dst)?;
            new.write_meta(&dst_meta, &info, &id)?;
            n += 1;
        }
        let work = self.dir.join("work");
        let mut metas = Vec::new();
        for e in fs::read_dir(&work).map_err(io(&work))? {
            let p = e.map_err(io(&work))?.path();
            if p.extension().is_some_and(|x| x == "meta") {
                metas.push(p);
            }
        }
        metas.sort();
        for meta in metas {
            let Some(wid) = meta
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let info = self.read_meta(&meta, &wid)?;
            let id = EvidenceId::parse(info.copy_of.as_deref().unwrap_or(&info.sha256))?;
            let src = work.join(format!("{wid}.tev"));
            let new_work = new.dir.join("work");
            self.reencrypt_file(new, &src, &id, &new_work.join(format!("{wid}.tev")))?;
            new.write_meta(&new_work.join(format!("{wid}.meta")), &info, &id)?;
            n += 1;
        }
        fsync_dir(&new.dir.join("originals"))?;
        fsync_dir(&new.dir.join("work"))?;
        Ok(n)
    }

    /// Decrypt `src` (under this store's key), check it hashes to `id`, and
    /// encrypt it under `new`'s key to `dst`, which must not exist.
    fn reencrypt_file(
        &self,
        new: &EvidenceStore,
        src: &Path,
        id: &EvidenceId,
        dst: &Path,
    ) -> Result<(), EvidenceError> {
        let tmp = new.tmp_path();
        let r = self.encrypt_copy(new, src, id, &tmp).and_then(|()| {
            // hard_link refuses an existing name: nothing is overwritten.
            fs::hard_link(&tmp, dst).map_err(io(dst))
        });
        let _ = fs::remove_file(&tmp);
        r
    }

    /// Decrypt `src` (under this store's key) chunk by chunk straight into
    /// an encryption under `into`'s key, written to the new file `tmp` and
    /// fsynced; the plaintext must hash to `id`. Plaintext never touches
    /// the disk.
    fn encrypt_copy(
        &self,
        into: &EvidenceStore,
        src: &Path,
        id: &EvidenceId,
        tmp: &Path,
    ) -> Result<(), EvidenceError> {
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(io(tmp))?;
        let mut w = BufWriter::new(f);
        let mut reader = DecryptingReader::new(self, src, id)?;
        crypt::encrypt::<EvidenceError>(&into.enc_key, &mut reader, &mut w, &mut |_| Ok(()))?;
        reader.finish()?;
        let f = w.into_inner().map_err(|e| EvidenceError::Io {
            path: tmp.to_path_buf(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(io(tmp))
    }

    /// Every original in the archive (reads each metadata file).
    pub fn list(&self) -> Result<Vec<Info>, EvidenceError> {
        let d = self.dir.join("originals");
        let mut out = Vec::new();
        for e in fs::read_dir(&d).map_err(io(&d))? {
            let p = e.map_err(io(&d))?.path();
            if p.extension().is_some_and(|x| x == "meta") {
                out.push(self.read_meta(&p, &p.display().to_string())?);
            }
        }
        out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(out)
    }
}

fn make_read_only(p: &Path) -> Result<(), EvidenceError> {
    let mut perm = fs::metadata(p).map_err(io(p))?.permissions();
    perm.set_readonly(true);
    fs::set_permissions(p, perm).map_err(io(p))
}

/// Marker for decryption failures passed through `std::io::Read`.
#[derive(Debug)]
struct DecryptFailure(crypt::CryptError);
impl std::fmt::Display for DecryptFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::error::Error for DecryptFailure {}

/// A `Read` over the decrypted original, one authenticated chunk at a time
/// (so stripping a JPEG or re-encrypting a working copy streams). It checks
/// the hash of the whole plaintext in [`DecryptingReader::finish`].
struct DecryptingReader {
    dec: crypt::Decryptor<BufReader<File>>,
    cur: Zeroizing<Vec<u8>>,
    pos: usize,
    hash: Sha256,
    expect: [u8; 32],
    id: String,
}

impl DecryptingReader {
    fn new(store: &EvidenceStore, path: &Path, id: &EvidenceId) -> Result<Self, EvidenceError> {
        let f = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EvidenceError::NotFound { id: id.to_hex() }
            } else {
                EvidenceError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        let dec = crypt::Decryptor::new(&store.enc_key, BufReader::new(f)).map_err(|source| {
            EvidenceError::Crypt {
                id: id.to_hex(),
                source,
            }
        })?;
        Ok(DecryptingReader {
            dec,
            cur: Zeroizing::new(Vec::new()),
            pos: 0,
            hash: Sha256::new(),
            expect: id.0,
            id: id.to_hex(),
        })
    }

    /// Drain what is left and check the hash of the whole plaintext.
    fn finish(mut self) -> Result<(), EvidenceError> {
        let id = self.id.clone();
        std::io::copy(&mut self, &mut std::io::sink()).map_err(|e| {
            match e
                .into_inner()
                .and_then(|x| x.downcast::<DecryptFailure>().ok())
            {
                Some(f) => EvidenceError::Crypt {
                    id: id.clone(),
                    source: f.0,
                },
                None => EvidenceError::Crypt {
                    id: id.clone(),
                    source: crypt::CryptError::BadHeader,
                },
            }
        })?;
        let got: [u8; 32] = std::mem::take(&mut self.hash).finalize().into();
        if got != self.expect {
            return Err(EvidenceError::HashMismatch {
                id,
                found: hex::encode(got),
            });
        }
        Ok(())
    }
}

impl Read for DecryptingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.dec.next_chunk() {
                Ok(Some(c)) => {
                    self.hash.update(&c);
                    self.cur = Zeroizing::new(c);
                    self.pos = 0;
                }
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::other(DecryptFailure(e))),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
