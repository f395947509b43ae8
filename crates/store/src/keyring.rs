//! The keyring: how a passphrase unlocks the archive's data key.
//!
//! The archive is encrypted with a random 256-bit **data key** that never
//! leaves memory in the clear. The keyring file `DIR/keyring.json` holds that
//! key *wrapped* (XChaCha20-Poly1305) under a key-encryption key derived from
//! the passphrase with Argon2id (memory-hard; its parameters and salt are
//! stored beside the wrapped key, and bound into the AEAD's associated data so
//! that tampering with them fails like a wrong passphrase).
//!
//! Why a wrapped data key rather than "passphrase → database key":
//! * changing the passphrase rewraps 32 bytes and never re-encrypts the
//!   database (no downtime);
//! * more *slots* can wrap the same data key later (a recovery key split among
//!   trustees with Shamir secret sharing, issue 6) without touching the data;
//! * every other encrypted artefact (evidence files, backups, pseudonym keys)
//!   gets its own key from [`DataKey::derive_subkey`], so one secret unlocks
//!   everything but no two purposes share a key.
//!
//! The key SQLCipher receives is itself derived from the data key
//! (`derive_subkey("sqlcipher-database")`): key separation, so that the same
//! bytes are never used both as the database's raw key and as an HKDF input.
//!
//! A wrong passphrase makes the AEAD tag check fail: that, and only that, is
//! reported as [`KeyringError::WrongPassphrase`].
//!
//! The keyring also records the database's **page format** where it is not
//! SQLCipher 4's default ([`PageFormat`]): the page size when an archive was
//! created with another than 4096 bytes; the page cipher — AES-256-CTR with
//! a GMAC tag for archives made since the evening of 2026-11-29
//! ([`PageCipher::AesCtrGmac`], `crate::page_cipher`; an older archive
//! moves to it at its next data-key rotation), SQLCipher's AES-256-CBC
//! before; and, for AES-CBC
//! pages, the HMAC that authenticates every page — HMAC-SHA256 for archives
//! made from 2026-11-29, HMAC-SHA512 (SQLCipher's default) before. SQLCipher
//! encrypts the file header too, so none of this can be read from the file
//! and all of it must be set at every open. Keyrings without the fields
//! (archives made before they existed) open with the defaults. A keyring
//! that names a page HMAC says so in its format (`tumen-keyring-v2`), one
//! that names the page cipher in `tumen-keyring-v3`, so that a tumen from
//! before either refuses the keyring by name instead of reporting the right
//! key as a wrong one.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

/// The file name of the keyring inside the data directory.
pub const KEYRING_FILE: &str = "keyring.json";
const FORMAT: &str = "tumen-keyring-v1";
/// The format of a keyring that names a page HMAC (see the module docs).
const FORMAT_V2: &str = "tumen-keyring-v2";
/// The keyring of an archive whose pages use [`PageCipher::AesCtrGmac`]:
/// an older tumen refuses it by name instead of calling the key wrong.
const FORMAT_V3: &str = "tumen-keyring-v3";

/// Errors reading, unlocking or writing the keyring. They never contain key
/// material or the passphrase.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("wrong passphrase: it does not unlock the keyring {0}")]
    WrongPassphrase(PathBuf),
    #[error("no keyring at {0}: is this a tumen data directory? (run `tumen init` first)")]
    Missing(PathBuf),
    #[error("the keyring {path} is corrupt: {why}")]
    Corrupt { path: PathBuf, why: String },
    #[error("cannot read or write the keyring {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the recovery shares do not unlock the keyring {0}: they belong to another split or archive"
    )]
    WrongRecoveryKey(PathBuf),
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error("invalid key-derivation parameters: {0}")]
    BadParams(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// Argon2id parameters (memory in KiB, passes, lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfParams {
    /// The production setting: 256 MiB, 2 passes, 1 lane — about half a
    /// second of CPU in release on the development machine (3 passes took
    /// 0.72 s; see BENCHMARKS.md, "Store (issue 2)"), and memory-hard enough
    /// to make guessing passphrases on GPUs expensive. Stored in the keyring,
    /// so changing this only affects new wrappings.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 256 * 1024,
        t: 2,
        p: 1,
    };

    /// Cheap parameters so that test suites can create many archives.
    /// **Never** use them for real data: a passphrase wrapped with them can
    /// be guessed quickly by anyone who copies the keyring.
    pub const fn insecure_fast_for_tests() -> KdfParams {
        KdfParams {
            m_kib: 64,
            t: 1,
            p: 1,
        }
    }

    fn argon2(&self) -> Result<argon2::Argon2<'static>, KeyringError> {
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(32))
            .map_err(|e| KeyringError::BadParams(e.to_string()))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }
}

/// The archive's data key (32 bytes), wiped from memory when dropped.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key from the operating system.
    pub fn generate() -> Result<DataKey, KeyringError> {
        let mut k = Zeroizing::new([0u8; 32]);
        random_bytes(&mut k[..])?;
        Ok(DataKey(k))
    }

    /// A 32-byte key for one purpose (e.g. `"evidence-files"`,
    /// `"backup"`, `"pseudonyms"`), derived with HKDF-SHA256 (RFC 5869):
    /// extract with the salt `"tumen-subkey-v1"`, expand with the purpose as
    /// info. Different purposes give independent keys; the same purpose
    /// always gives the same key for the same archive.
    pub fn derive_subkey(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        hkdf_sha256(b"tumen-subkey-v1", &self.0[..], purpose.as_bytes())
    }

    /// The raw key handed to SQLCipher, as the 64 hex digits of its
    /// `PRAGMA key = "x'…'"` form (wiped on drop).
    pub(crate) fn sqlcipher_key_hex(&self) -> Zeroizing<String> {
        let k = self.derive_subkey("sqlcipher-database");
        Zeroizing::new(hex::encode(&k[..]))
    }
}

/// HKDF-SHA256 producing one 32-byte block (L = 32), per RFC 5869.
fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    type H = Hmac<Sha256>;
    // Extract. HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut ext = <H as Mac>::new_from_slice(salt).unwrap_or_else(|_| unreachable!());
    ext.update(ikm);
    let mut prk = Zeroizing::new([0u8; 32]);
    prk.copy_from_slice(&ext.finalize().into_bytes());
    // Expand: T(1) = HMAC(PRK, info || 0x01).
    let mut exp = <H as Mac>::new_from_slice(&prk[..]).unwrap_or_else(|_| unreachable!());
    exp.update(info);
    exp.update(&[1u8]);
    let mut okm = Zeroizing::new([0u8; 32]);
    okm.copy_from_slice(&exp.finalize().into_bytes());
    okm
}

fn random_bytes(buf: &mut [u8]) -> Result<(), KeyringError> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| KeyringError::Random(e.to_string()))
}

/// How the database file itself is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cipher {
    /// SQLCipher 4 (AES-256-CBC + an HMAC per page, see [`PageHmac`]) with
    /// a raw key.
    Sqlcipher,
    /// No encryption of the database file. Exists only so the benchmark can
    /// measure the cost of encryption; no public command creates it.
    NoneBenchmarkOnly,
}

/// The MAC SQLCipher authenticates every database page with (its `PRAGMA
/// cipher_hmac_algorithm`).
///
/// Why new archives use SHA-256: a reader authenticates every page it
/// fetches, and a query that returns a few hundred records fetches about two
/// pages it has not seen per record. HMAC-SHA256 runs on the SHA extensions
/// of current x86 and ARM processors, SHA-512 has none: the same cold query
/// took ≈ 20 % less time with SHA-256 (BENCHMARKS.md, "Store (issue 2)").
/// A 256-bit HMAC tag leaves a forger the same odds as the 512-bit one for
/// any practical purpose (SQLCipher 3 used HMAC-SHA1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageHmac {
    /// SQLCipher 4's default; archives made before 2026-11-29.
    #[default]
    Sha512,
    /// What `tumen init` uses.
    Sha256,
}

impl PageHmac {
    /// The value of SQLCipher's `cipher_hmac_algorithm` pragma.
    pub fn sqlcipher_name(self) -> &'static str {
        match self {
            PageHmac::Sha512 => "HMAC_SHA512",
            PageHmac::Sha256 => "HMAC_SHA256",
        }
    }

    fn is_default(&self) -> bool {
        *self == PageHmac::default()
    }
}

/// The cipher of every database page.
///
/// SQLCipher 4's own is AES-256-CBC with an HMAC ([`PageHmac`]); the other
/// is AES-256-CTR with a GMAC tag, run inside SQLCipher's codec by
/// `crate::page_cipher`, whose module documentation gives the construction
/// and why (the CBC chain and the per-page set-up were most of the
/// encryption overhead of large imports and cold queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageCipher {
    /// SQLCipher 4's AES-256-CBC and the HMAC of [`PageFormat::hmac`].
    #[default]
    AesCbc,
    /// AES-256-CTR and a GMAC tag per page ([`PageFormat::hmac`] unused).
    AesCtrGmac,
}

impl PageCipher {
    fn is_default(&self) -> bool {
        *self == PageCipher::default()
    }
}

/// What SQLCipher must be told before it can read a page of the database
/// (its header is encrypted too, so the file cannot say): the page size,
/// the page cipher and the page HMAC. The keyring records them;
/// `PageFormat::default()` is SQLCipher 4's, which an archive made before
/// any was recorded has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageFormat {
    /// The page size in bytes; `None`: 4096.
    pub size: Option<u32>,
    pub hmac: PageHmac,
    pub cipher: PageCipher,
}

impl PageFormat {
    /// The format `tumen init` creates archives in.
    pub const NEW: PageFormat = PageFormat {
        size: None,
        hmac: PageHmac::Sha256,
        cipher: PageCipher::AesCtrGmac,
    };
}

/// One wrapping of the data key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    /// `"passphrase"` (Argon2id of the passphrase) or `"recovery"` (HKDF of
    /// a random 32-byte recovery key split among trustees with Shamir).
    kind: String,
    kdf: String,
    params: KdfParams,
    salt: String,
    nonce: String,
    wrapped_key: String,
    /// For a recovery slot: the split's public facts, as every share
    /// states them (set id, k of n, key check), so that the operator can
    /// tell which shares belong to it. No secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery: Option<RecoverySplit>,
}

/// What a recovery slot records about the trustees' split (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySplit {
    /// Hex set id of the shares.
    pub set_id: String,
    pub threshold: u8,
    pub shares: u8,
    /// Hex key check value of the recovery key.
    pub key_check: String,
}

/// A slot's kind and key derivation, without any key (for backup
/// manifests and `tumen recovery status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    pub kind: String,
    pub kdf: String,
    pub params: KdfParams,
    pub recovery: Option<RecoverySplit>,
}

/// KDF name of recovery slots. The recovery key is 32 random bytes, so a
/// memory-hard function adds nothing; HKDF separates it from other uses.
const RECOVERY_KDF: &str = "hkdf-sha256";

/// The keyring file's contents (no secret in it is usable without a slot's
/// passphrase).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keyring {
    format: String,
    cipher: Cipher,
    /// The database page size in bytes; absent: SQLite's and SQLCipher's
    /// default, 4096.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_size: Option<u32>,
    /// The page HMAC; absent: SQLCipher 4's default, HMAC-SHA512.
    #[serde(default, skip_serializing_if = "PageHmac::is_default")]
    page_hmac: PageHmac,
    /// The page cipher; absent: SQLCipher 4's AES-256-CBC.
    #[serde(default, skip_serializing_if = "PageCipher::is_default")]
    page_cipher: PageCipher,
    slots: Vec<Slot>,
    /// The database file this key opens, when not `tumen.db` (after a
    /// data-key rotation: `tumen-<generation>.db`). The keyring is the one
    /// pointer a rotation swaps atomically (see `crate::rotate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    db_file: Option<String>,
    /// The evidence directory encrypted under this key, when not `evidence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evidence_dir: Option<String>,
}

/// Is `name` a plain file name inside the data directory?
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.chars().any(char::is_control)
}

/// Whether `n` is a page size SQLite accepts (a power of two, 512–65536).
pub fn valid_page_size(n: u32) -> bool {
    (512..=65536).contains(&n) && n.is_power_of_two()
}

impl Keyring {
    /// A new keyring wrapping `key` under `passphrase`.
    pub fn create(
        key: &DataKey,
        passphrase: &str,
        params: KdfParams,
        cipher: Cipher,
    ) -> Result<Keyring, KeyringError> {
        let slot = wrap_slot(key, passphrase, params)?;
        Ok(Keyring {
            format: FORMAT.into(),
            cipher,
            page_size: None,
            page_hmac: PageHmac::default(),
            page_cipher: PageCipher::default(),
            slots: vec![slot],
            db_file: None,
            evidence_dir: None,
        })
    }

    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The database file name inside the data directory.
    pub fn db_file(&self) -> &str {
        self.db_file.as_deref().unwrap_or(crate::sqlite::DB_FILE)
    }

    /// The evidence directory name inside the data directory.
    pub fn evidence_dir(&self) -> &str {
        self.evidence_dir.as_deref().unwrap_or("evidence")
    }

    /// Point the keyring at another database file and evidence directory
    /// (plain names inside the data directory).
    pub(crate) fn set_layout(&mut self, db_file: &str, evidence_dir: &str) {
        self.db_file = Some(db_file.to_string());
        self.evidence_dir = Some(evidence_dir.to_string());
    }

    /// The database page format this keyring records.
    pub fn page_format(&self) -> PageFormat {
        PageFormat {
            size: self.page_size,
            hmac: self.page_hmac,
            cipher: self.page_cipher,
        }
    }

    /// Record the database's page format; the keyring's format follows
    /// (see the module docs).
    pub fn set_page_format(&mut self, f: PageFormat) {
        self.page_size = f.size;
        // The HMAC is a property of AES-CBC pages only.
        self.page_hmac = match f.cipher {
            PageCipher::AesCbc => f.hmac,
            PageCipher::AesCtrGmac => PageHmac::default(),
        };
        self.page_cipher = f.cipher;
        self.format = if !f.cipher.is_default() {
            FORMAT_V3
        } else if !f.hmac.is_default() {
            FORMAT_V2
        } else {
            FORMAT
        }
        .into();
    }

    /// The Argon2id parameters of the passphrase slot.
    pub fn passphrase_params(&self) -> Option<KdfParams> {
        self.slots
            .iter()
            .find(|s| s.kind == "passphrase")
            .map(|s| s.params)
    }

    /// Unwrap the data key with the passphrase.
    pub fn unlock(&self, passphrase: &str, path: &Path) -> Result<DataKey, KeyringError> {
        let corrupt = |why: &str| KeyringError::Corrupt {
            path: path.to_path_buf(),
            why: why.to_string(),
        };
        let slot = self
            .slots
            .iter()
            .find(|s| s.kind == "passphrase")
            .ok_or_else(|| corrupt("it has no passphrase slot"))?;
        if slot.kdf != "argon2id-v19" {
            return Err(corrupt("unknown key-derivation function"));
        }
        let salt = hex::decode(&slot.salt).map_err(|_| corrupt("salt is not hex"))?;
        let nonce = hex::decode(&slot.nonce).map_err(|_| corrupt("nonce is not hex"))?;
        let ct = hex::decode(&slot.wrapped_key).map_err(|_| corrupt("wrapped key is not hex"))?;
        if salt.len() < 16 || nonce.len() != 24 || ct.len() != 32 + 16 {
            return Err(corrupt("salt, nonce or wrapped key has the wrong length"));
        }
        let kek = derive_kek(passphrase, &salt, slot.params)?;
        let cipher =
            XChaCha20Poly1305::new_from_slice(&kek[..]).map_err(|_| corrupt("bad key length"))?;
        let aad = slot_aad(&slot.kind, slot.params, &salt);
        let mut pt = cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyringError::WrongPassphrase(path.to_path_buf()))?;
        let mut k = Zeroizing::new([0u8; 32]);
        if pt.len() != 32 {
            pt.zeroize();
            return Err(corrupt("unwrapped key has the wrong length"));
        }
        k.copy_from_slice(&pt);
        pt.zeroize();
        Ok(DataKey(k))
    }

    /// Replace the passphrase slot with a wrapping under `new_passphrase`.
    /// The caller must already hold the data key (i.e. have unlocked).
    pub fn rewrap(
        &mut self,
        key: &DataKey,
        new_passphrase: &str,
        params: KdfParams,
    ) -> Result<(), KeyringError> {
        let slot = wrap_slot(key, new_passphrase, params)?;
        self.slots.retain(|s| s.kind != "passphrase");
        self.slots.insert(0, slot);
        Ok(())
    }

    /// Every slot's kind and parameters (no key material).
    pub fn slots(&self) -> Vec<SlotInfo> {
        self.slots
            .iter()
            .map(|s| SlotInfo {
                kind: s.kind.clone(),
                kdf: s.kdf.clone(),
                params: s.params,
                recovery: s.recovery.clone(),
            })
            .collect()
    }

    /// Add (or replace) the recovery slot: the data key wrapped under a key
    /// derived from `recovery_key`. The caller must hold the data key.
    pub fn set_recovery(
        &mut self,
        key: &DataKey,
        recovery_key: &[u8; 32],
        split: RecoverySplit,
    ) -> Result<(), KeyringError> {
        let mut salt = [0u8; 16];
        random_bytes(&mut salt)?;
        let kek = hkdf_sha256(&salt, recovery_key, b"tumen-recovery-kek-v1");
        let params = KdfParams {
            m_kib: 0,
            t: 0,
            p: 0,
        };
        let mut slot = seal_slot(key, &kek, "recovery", RECOVERY_KDF, params, &salt)?;
        slot.recovery = Some(split);
        self.slots.retain(|s| s.kind != "recovery");
        self.slots.push(slot);
        Ok(())
    }

    /// Unwrap the data key with the recovery key reconstructed from the
    /// trustees' shares.
    pub fn unlock_with_recovery(
        &self,
        recovery_key: &[u8; 32],
        path: &Path,
    ) -> Result<DataKey, KeyringError> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.kind == "recovery")
            .ok_or_else(|| KeyringError::Corrupt {
                path: path.to_path_buf(),
                why: "it has no recovery slot (run `tumen recovery split` first)".into(),
            })?;
        if slot.kdf != RECOVERY_KDF {
            return Err(KeyringError::Corrupt {
                path: path.to_path_buf(),
                why: "unknown key-derivation function in the recovery slot".into(),
            });
        }
        let salt = hex::decode(&slot.salt).map_err(|_| KeyringError::Corrupt {
            path: path.to_path_buf(),
            why: "salt is not hex".into(),
        })?;
        let kek = hkdf_sha256(&salt, recovery_key, b"tumen-recovery-kek-v1");
        open_slot(slot, &kek, path)
    }

    /// Read `DIR/keyring.json`.
    pub fn load(dir: &Path) -> Result<Keyring, KeyringError> {
        let path = dir.join(KEYRING_FILE);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyringError::Missing(path));
            }
            Err(e) => return Err(KeyringError::Io { path, source: e }),
        };
        Keyring::from_json(&text, &path)
    }

    /// Parse a keyring's JSON (read from `path`, named in errors): e.g. the
    /// copy a one-file backup carries.
    pub fn from_json(text: &[u8], path: &Path) -> Result<Keyring, KeyringError> {
        let path = path.to_path_buf();
        let kr: Keyring = serde_json::from_slice(text).map_err(|e| KeyringError::Corrupt {
            path: path.clone(),
            why: format!(
                "not valid keyring JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
        if ![FORMAT, FORMAT_V2, FORMAT_V3].contains(&kr.format.as_str()) {
            return Err(KeyringError::Corrupt {
                path,
                why: format!("unknown format {:?}", kr.format),
            });
        }
        if !plain_name(kr.db_file()) || !plain_name(kr.evidence_dir()) {
            return Err(KeyringError::Corrupt {
                path,
                why: "the database or evidence name is not a plain name inside the data directory"
                    .into(),
            });
        }
        if let Some(n) = kr.page_size.filter(|n| !valid_page_size(*n)) {
            return Err(KeyringError::Corrupt {
                path,
                why: format!("page size {n} is not a power of two from 512 to 65536"),
            });
        }
        Ok(kr)
    }

    /// Write `DIR/keyring.json` atomically (temporary file in the same
    /// directory, fsync, rename), so a crash never leaves half a keyring.
    pub fn save(&self, dir: &Path) -> Result<(), KeyringError> {
        let path = dir.join(KEYRING_FILE);
        let tmp = dir.join(format!("{KEYRING_FILE}.tmp"));
        let io = |e: std::io::Error| KeyringError::Io {
            path: path.clone(),
            source: e,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| KeyringError::Corrupt {
            path: path.clone(),
            why: format!("cannot serialize: {e}"),
        })?;
        {
            let mut f = fs::File::create(&tmp).map_err(io)?;
            f.write_all(&text).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        fs::rename(&tmp, &path).map_err(io)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl crate::sqlite::SqliteStore {
    /// Set a new passphrase with the recovery key reconstructed from the
    /// trustees' shares (the passphrase was lost). Rewraps the data key;
    /// the recovery slot stays, so the same shares keep working.
    pub fn recover(
        dir: &Path,
        recovery_key: &[u8; 32],
        new_passphrase: &str,
    ) -> Result<(), KeyringError> {
        let mut kr = Keyring::load(dir)?;
        let key = kr.unlock_with_recovery(recovery_key, &dir.join(KEYRING_FILE))?;
        let p = kr.passphrase_params().unwrap_or(KdfParams::DEFAULT);
        kr.rewrap(&key, new_passphrase, p)?;
        kr.save(dir)
    }
}

fn slot_aad_kdf(kind: &str, kdf: &str, p: KdfParams, salt: &[u8]) -> Vec<u8> {
    format!(
        "{FORMAT}|{kind}|{kdf}|m={}|t={}|p={}|salt={}",
        p.m_kib,
        p.t,
        p.p,
        hex::encode(salt)
    )
    .into_bytes()
}

/// Wrap the data key under `kek` into a slot of `kind`.
fn seal_slot(
    key: &DataKey,
    kek: &[u8; 32],
    kind: &str,
    kdf: &str,
    params: KdfParams,
    salt: &[u8],
) -> Result<Slot, KeyringError> {
    let mut nonce = [0u8; 24];
    random_bytes(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new_from_slice(kek)
        .map_err(|_| KeyringError::BadParams("key length".into()))?;
    let aad = slot_aad_kdf(kind, kdf, params, salt);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &key.0[..],
                aad: &aad,
            },
        )
        .map_err(|_| KeyringError::BadParams("encryption failed".into()))?;
    Ok(Slot {
        kind: kind.into(),
        kdf: kdf.into(),
        params,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        wrapped_key: hex::encode(ct),
        recovery: None,
    })
}

/// Unwrap a slot with `kek`; a failed tag is a wrong secret.
fn open_slot(slot: &Slot, kek: &[u8; 32], path: &Path) -> Result<DataKey, KeyringError> {
    let corrupt = |why: &str| KeyringError::Corrupt {
        path: path.to_path_buf(),
        why: why.to_string(),
    };
    let salt = hex::decode(&slot.salt).map_err(|_| corrupt("salt is not hex"))?;
    let nonce = hex::decode(&slot.nonce).map_err(|_| corrupt("nonce is not hex"))?;
    let ct = hex::decode(&slot.wrapped_key).map_err(|_| corrupt("wrapped key is not hex"))?;
    if salt.len() < 16 || nonce.len() != 24 || ct.len() != 32 + 16 {
        return Err(corrupt("salt, nonce or wrapped key has the wrong length"));
    }
    let cipher = XChaCha20Poly1305::new_from_slice(kek).map_err(|_| corrupt("bad key length"))?;
    let aad = slot_aad_kdf(&slot.kind, &slot.kdf, slot.params, &salt);
    let pt = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyringError::WrongRecoveryKey(path.to_path_buf()))?,
    );
    if pt.len() != 32 {
        return Err(corrupt("unwrapped key has the wrong length"));
    }
    let mut k = Zeroizing::new([0u8; 32]);
    k.copy_from_slice(&pt);
    Ok(DataKey(k))
}

fn slot_aad(kind: &str, p: KdfParams, salt: &[u8]) -> Vec<u8> {
    format!(
        "{FORMAT}|{kind}|argon2id-v19|m={}|t={}|p={}|salt={}",
        p.m_kib,
        p.t,
        p.p,
        hex::encode(salt)
    )
    .into_bytes()
}

fn derive_kek(
    passphrase: &str,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
    if passphrase.is_empty() {
        return Err(KeyringError::EmptyPassphrase);
    }
    let mut kek = Zeroizing::new([0u8; 32]);
    params
        .argon2()?
        .hash_password_into(passphrase.as_bytes(), salt, &mut kek[..])
        .map_err(|e| KeyringError::BadParams(e.to_string()))?;
    Ok(kek)
}

fn wrap_slot(key: &DataKey, passphrase: &str, params: KdfParams) -> Result<Slot, KeyringError> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    let mut nonce = [0u8; 24];
    random_bytes(&mut nonce)?;
    let kek = derive_kek(passphrase, &salt, params)?;
    let cipher = XChaCha20Poly1305::new_from_slice(&kek[..])
        .map_err(|_| KeyringError::BadParams("key length".into()))?;
    let aad = slot_aad("passphrase", params, &salt);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &key.0[..],
                aad: &aad,
            },
        )
        .map_err(|_| KeyringError::BadParams("encryption failed".into()))?;
    Ok(Slot {
        kind: "passphrase".into(),
        kdf: "argon2id-v19".into(),
        params,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        wrapped_key: hex::encode(ct),
        recovery: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_matches_rfc5869_test_case_1() {
        // RFC 5869, A.1: IKM = 0x0b*22, salt = 0x00..0x0c, info = 0xf0..0xf9;
        // the first 32 bytes of OKM.
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let okm = hkdf_sha256(&salt, &ikm, &info);
        assert_eq!(
            hex::encode(&okm[..]),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        );
    }

    #[test]
    fn unlock_round_trip_and_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let key = DataKey::generate().unwrap();
        let kr = Keyring::create(
            &key,
            "correct horse",
            KdfParams::insecure_fast_for_tests(),
            Cipher::Sqlcipher,
        )
        .unwrap();
        kr.save(dir.path()).unwrap();
        let kr2 = Keyring::load(dir.path()).unwrap();
        let k2 = kr2.unlock("correct horse", dir.path()).unwrap();
        assert_eq!(&k2.0[..], &key.0[..]);
        assert!(matches!(
            kr2.unlock("wrong horse", dir.path()),
            Err(KeyringError::WrongPassphrase(_))
        ));
        assert!(matches!(
            kr2.unlock("", dir.path()),
            Err(KeyringError::EmptyPassphrase)
        ));
    }

    #[test]
    fn tampered_parameters_fail_like_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let key = DataKey::generate().unwrap();
        let mut kr = Keyring::create(
            &key,
            "pw",
            KdfParams::insecure_fast_for_tests(),
            Cipher::Sqlcipher,
        )
        .unwrap();
        kr.slots[0].params.t = 2;
        assert!(matches!(
            kr.unlock("pw", dir.path()),
            Err(KeyringError::WrongPassphrase(_))
        ));
    }

    #[test]
    fn rewrap_changes_passphrase_but_not_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = DataKey::generate().unwrap();
        let p = KdfParams::insecure_fast_for_tests();
        let mut kr = Keyring::create(&key, "old", p, Cipher::Sqlcipher).unwrap();
        kr.rewrap(&key, "new", p).unwrap();
        assert!(matches!(
            kr.unlock("old", dir.path()),
            Err(KeyringError::WrongPassphrase(_))
        ));
        assert_eq!(&kr.unlock("new", dir.path()).unwrap().0[..], &key.0[..]);
    }

    #[test]
    fn recovery_slot_unlocks_survives_a_passphrase_change_and_refuses_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let key = DataKey::generate().unwrap();
        let p = KdfParams::insecure_fast_for_tests();
        let mut kr = Keyring::create(&key, "old", p, Cipher::Sqlcipher).unwrap();
        let split = RecoverySplit {
            set_id: "00".repeat(8),
            threshold: 2,
            shares: 3,
            key_check: "11".repeat(8),
        };
        kr.set_recovery(&key, &[7u8; 32], split.clone()).unwrap();
        kr.rewrap(&key, "new", p).unwrap();
        kr.save(dir.path()).unwrap();
        let kr = Keyring::load(dir.path()).unwrap();
        let got = kr.unlock_with_recovery(&[7u8; 32], dir.path()).unwrap();
        assert_eq!(&got.0[..], &key.0[..]);
        assert!(matches!(
            kr.unlock_with_recovery(&[8u8; 32], dir.path()),
            Err(KeyringError::WrongRecoveryKey(_))
        ));
        assert_eq!(
            kr.slots().iter().filter(|s| s.kind == "recovery").count(),
            1
        );
        assert_eq!(kr.slots()[1].recovery, Some(split));
        // The passphrase slot is untouched by the recovery slot.
        assert_eq!(&kr.unlock("new", dir.path()).unwrap().0[..], &key.0[..]);
    }

    #[test]
    fn subkeys_are_separated_by_purpose() {
        let key = DataKey::generate().unwrap();
        let a = key.derive_subkey("evidence-files");
        let b = key.derive_subkey("backup");
        assert_ne!(&a[..], &b[..]);
        assert_eq!(&a[..], &key.derive_subkey("evidence-files")[..]);
        assert_ne!(&a[..], &key.0[..]);
    }

    #[test]
    fn corrupt_and_missing_keyrings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Keyring::load(dir.path()),
            Err(KeyringError::Missing(_))
        ));
        std::fs::write(dir.path().join(KEYRING_FILE), b"{not json").unwrap();
        assert!(matches!(
            Keyring::load(dir.path()),
            Err(KeyringError::Corrupt { .. })
        ));
    }
}
