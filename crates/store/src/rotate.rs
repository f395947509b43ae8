//! Data-key rotation: re-encrypt the archive under a fresh random data key,
//! without a moment in which a reader that opens the archive fails.
//!
//! Changing the passphrase only rewraps the data key; that does not help
//! when the data key itself may have leaked (a copy of an unlocked
//! machine's memory, a departed administrator who held it). A rotation
//! replaces the key and re-encrypts everything under it:
//!
//! 1. A new **generation** is written beside the current one, never over
//!    it: the database is copied with `sqlcipher_export` into
//!    `tumen-<gen>.db` under the new key (every page re-encrypted), and the
//!    caller (the service) re-encrypts the evidence files into
//!    `evidence-<gen>/` and re-seals what it sealed under subkeys (TOTP
//!    secrets) in the new database, through [`Rotation`]. Both are
//!    fsynced. Writers are held off the current database meanwhile (a
//!    second connection holds its write lock).
//! 2. The **swap** is one atomic rename: the keyring (written to a
//!    temporary file, fsynced, renamed over `keyring.json`, directory
//!    fsynced) now wraps the new key and names the new database file and
//!    evidence directory. A reader that opens the archive reads the
//!    keyring first, so it finds either the old key with the old files or
//!    the new key with the new files; one that read the old keyring and
//!    then found the old database gone reads the keyring again
//!    (`SqliteStore::open`).
//! 3. The old generation is **retired**: triggers that refuse every write
//!    are committed into the old database (so a writer that opened it
//!    before the swap gets "open the archive again" instead of writing into
//!    a file about to disappear), then the old database and its log are
//!    deleted; the service deletes the old evidence directory.
//!
//! A crash before the swap leaves only files that nothing reads
//! (`tumen-<gen>.db`, `evidence-<gen>/` not named by the keyring); a crash
//! after it leaves the old generation's files, likewise unread, under the
//! old key: delete them.
//!
//! The recovery slot cannot be carried over: it wraps the old key under a
//! key only the trustees' shares rebuild. It is dropped, and the caller
//! must tell the operator to split a new recovery key.

use crate::accounts::{UserRow, all_users_on, update_user_on};
use crate::error::{Ctx, StoreError};
use crate::keyring::{Cipher, DataKey, KEYRING_FILE, KdfParams, Keyring, KeyringError, PageFormat};
use crate::sqlite::{SqliteStore, connect, page_format_pragmas, set_setting_on, setting_on};
use rusqlite::Connection;
use std::fs;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Subkey purposes that only the store may derive.
const RESERVED: [&str; 2] = ["sqlcipher-database", "keyring-check"];

/// What a finished rotation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationOutcome {
    /// The new database file's name.
    pub db_file: String,
    /// The new evidence directory's name (the caller filled it).
    pub evidence_dir: String,
    /// The old evidence directory's name (for the caller to delete).
    pub old_evidence_dir: String,
    /// A recovery slot existed and was dropped.
    pub recovery_dropped: bool,
}

/// A rotation in progress, handed to the caller's re-encryption step:
/// both keys' subkeys, the new database, the two evidence directories.
pub struct Rotation<'a> {
    old_key: &'a DataKey,
    new_key: &'a DataKey,
    conn: &'a Connection,
    dir: &'a Path,
    old_evidence_dir: &'a str,
    new_evidence_dir: &'a str,
}

impl Rotation<'_> {
    fn purpose(purpose: &str) -> Result<(), StoreError> {
        if purpose.is_empty() || RESERVED.contains(&purpose) {
            return Err(StoreError::Invalid(format!(
                "the key purpose {purpose:?} is empty or reserved"
            )));
        }
        Ok(())
    }
    /// A subkey of the key being retired.
    pub fn old_subkey(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>, StoreError> {
        Self::purpose(purpose)?;
        Ok(self.old_key.derive_subkey(purpose))
    }
    /// The same subkey of the new key.
    pub fn new_subkey(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>, StoreError> {
        Self::purpose(purpose)?;
        Ok(self.new_key.derive_subkey(purpose))
    }
    /// The current evidence directory (full path).
    pub fn old_evidence_dir(&self) -> PathBuf {
        self.dir.join(self.old_evidence_dir)
    }
    /// The new, not yet existing, evidence directory (full path).
    pub fn new_evidence_dir(&self) -> PathBuf {
        self.dir.join(self.new_evidence_dir)
    }
    /// The accounts, as copied into the new database.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        all_users_on(self.conn)
    }
    /// Rewrite an account in the new database (e.g. its TOTP secret
    /// re-sealed under the new key).
    pub fn update_user(&self, row: &UserRow) -> Result<(), StoreError> {
        update_user_on(self.conn, row)
    }
    /// Read a setting of the new database.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        setting_on(self.conn, key)
    }
    /// Write a setting of the new database.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        set_setting_on(self.conn, key, value)
    }
}

/// SQL committed into a retired database: a trigger per table and
/// statement that refuses every write.
fn retire_sql() -> String {
    let mut sql = String::new();
    for (table, op) in [
        ("ledger", "INSERT"),
        ("users", "INSERT"),
        ("users", "UPDATE"),
        ("settings", "INSERT"),
        ("settings", "UPDATE"),
    ] {
        sql.push_str(&format!(
            "CREATE TRIGGER retired_{table}_{op} BEFORE {op} ON {table} BEGIN \
             SELECT RAISE(ABORT, 'this database was retired by a data-key rotation: open the archive again'); END;\n",
            op = op.to_lowercase(),
        ));
    }
    sql
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn fsync(path: &Path) -> Result<(), StoreError> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

impl SqliteStore {
    /// Re-encrypt the archive under a new random data key (see the module
    /// doc). `passphrase` must be the current one; the new key is wrapped
    /// under it. `reencrypt` does the caller's part (evidence, sealed
    /// values) through the [`Rotation`]; if it fails, nothing changes and
    /// what was written aside is removed (the caller removes its own).
    pub fn rotate_data_key(
        &mut self,
        passphrase: &str,
        reencrypt: &mut dyn FnMut(&Rotation<'_>) -> Result<(), StoreError>,
    ) -> Result<RotationOutcome, StoreError> {
        if self.cipher != crate::keyring::Cipher::Sqlcipher {
            return Err(StoreError::Invalid(
                "this archive is not encrypted (a benchmark archive): nothing to rotate".into(),
            ));
        }
        let keyring_path = self.dir.join(KEYRING_FILE);
        let old_keyring = Keyring::load(&self.dir)?;
        let unlocked = old_keyring.unlock(passphrase, &keyring_path)?;
        if unlocked.derive_subkey("keyring-check")[..]
            != self.key.derive_subkey("keyring-check")[..]
        {
            return Err(StoreError::KeyMismatch(keyring_path));
        }
        drop(unlocked);
        let mut g = [0u8; 4];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut g)
            .map_err(|e| KeyringError::Random(e.to_string()))?;
        let generation = hex::encode(g);
        let new_db_file = format!("tumen-{generation}.db");
        let new_evidence_dir = format!("evidence-{generation}");
        let new_db = self.dir.join(&new_db_file);
        let old_db = self.dir.join(&self.db_file);
        if new_db.exists() || self.dir.join(&new_evidence_dir).exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists already; try again",
                new_db.display()
            )));
        }
        let new_key = DataKey::generate()?;

        // Hold writers off the current database for the whole rotation.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .ctx("checkpointing before a rotation")?;
        // The current generation opens with the page format its keyring
        // records. The new one is written in the format new archives get
        // (keeping the page size): every page is re-encrypted anyway, and
        // so an older archive moves to AES-CTR + GMAC pages at its next
        // rotation. The new keyring records it.
        let old_format = old_keyring.page_format();
        let format = match self.cipher {
            Cipher::Sqlcipher => PageFormat {
                size: old_format.size,
                ..PageFormat::NEW
            },
            Cipher::NoneBenchmarkOnly => old_format,
        };
        let lock = connect(&old_db, &self.key, self.cipher, old_format, false)?;
        lock.execute_batch("BEGIN IMMEDIATE")
            .ctx("locking the database for a rotation")?;

        let written =
            self.write_generation(&new_db, &new_key, format, &new_evidence_dir, reencrypt);
        if let Err(e) = written {
            drop(lock);
            remove_db_files(&new_db);
            return Err(e);
        }

        // The swap: one atomic rename of the keyring.
        let params = old_keyring
            .passphrase_params()
            .unwrap_or(KdfParams::DEFAULT);
        let recovery_dropped = old_keyring.slots().iter().any(|s| s.kind == "recovery");
        let swap = (|| -> Result<(), StoreError> {
            let mut kr = Keyring::create(&new_key, passphrase, params, self.cipher)?;
            kr.set_layout(&new_db_file, &new_evidence_dir);
            kr.set_page_format(format);
            kr.save(&self.dir)?;
            Ok(())
        })();
        if let Err(e) = swap {
            drop(lock);
            remove_db_files(&new_db);
            return Err(e);
        }

        // Retire the old generation: refuse writes, then delete it.
        let retired = lock
            .execute_batch(&retire_sql())
            .and_then(|()| lock.execute_batch("COMMIT"));
        drop(lock);
        let new_conn = connect(&new_db, &new_key, self.cipher, format, false)?;
        let kr = Keyring::load(&self.dir)?;
        let fresh = SqliteStore::from_connection(new_conn, &self.dir, new_key, &kr)?;
        let old_evidence_dir = std::mem::replace(self, fresh).evidence_dir.clone();
        // `self` was replaced and the old connection closed with it; the old
        // files can go. A retire failure only leaves the old files (under
        // the old key) for deletion below.
        let _ = retired;
        remove_db_files(&old_db);
        Ok(RotationOutcome {
            db_file: new_db_file,
            evidence_dir: new_evidence_dir,
            old_evidence_dir,
            recovery_dropped,
        })
    }

    /// Step 1: the new database and the caller's re-encryption, fsynced.
    fn write_generation(
        &self,
        new_db: &Path,
        new_key: &DataKey,
        format: PageFormat,
        new_evidence_dir: &str,
        reencrypt: &mut dyn FnMut(&Rotation<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let raw = Zeroizing::new(format!("x'{}'", new_key.sqlcipher_key_hex().as_str()));
        let path = new_db
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the data directory's path is not UTF-8".into()))?;
        // The connection was opened without the right to create files: an
        // empty file is an empty database, for ATTACH to fill.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(new_db)
            .map_err(io(new_db))?;
        crate::page_cipher::keyed_with(format.cipher.into(), || {
            self.conn
                .execute("ATTACH DATABASE ?1 AS rekeyed KEY ?2", [path, raw.as_str()])
        })?
        .ctx("creating the re-encrypted database")?;
        self.conn
            .execute_batch(&page_format_pragmas("rekeyed", format))
            .ctx("setting the re-encrypted database's page format")?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA main.user_version", [], |r| r.get(0))
            .ctx("reading the schema version")?;
        let export = self
            .conn
            .query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()))
            .ctx("re-encrypting the database")
            .and_then(|()| {
                self.conn
                    .execute_batch(&format!("PRAGMA rekeyed.user_version = {version}"))
                    .ctx("copying the schema version")
            });
        let detach = self
            .conn
            .execute_batch("DETACH DATABASE rekeyed")
            .ctx("closing the re-encrypted database");
        export?;
        detach?;
        let conn = connect(new_db, new_key, self.cipher, format, false)?;
        let old_evidence_dir = self.evidence_dir.clone();
        let rotation = Rotation {
            old_key: &self.key,
            new_key,
            conn: &conn,
            dir: &self.dir,
            old_evidence_dir: &old_evidence_dir,
            new_evidence_dir,
        };
        reencrypt(&rotation)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .ctx("checkpointing the re-encrypted database")?;
        drop(conn);
        fsync(new_db)?;
        fsync(&self.dir)?;
        Ok(())
    }
}

/// Remove a database file with its log and index (best effort).
fn remove_db_files(db: &Path) {
    let _ = fs::remove_file(db);
    for ext in ["-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_os_string();
        p.push(ext);
        let _ = fs::remove_file(PathBuf::from(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Store;
    use crate::sqlite::InitOptions;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    const PW: &str = "pw";

    /// Open `db` with a raw key, told the page format `tumen init` uses.
    fn open_raw(db: &Path, raw_hex: &str) -> rusqlite::Result<i64> {
        let c = Connection::open(db)?;
        crate::sqlite::key_connection(&c, raw_hex, PageFormat::NEW)
            .map_err(|_| rusqlite::Error::InvalidQuery)?;
        c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
    }

    #[test]
    fn the_new_key_opens_the_new_database_and_the_old_key_does_not() {
        let d = tempfile::tempdir().unwrap();
        let mut s =
            SqliteStore::init_with(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
        s.set_setting("canary", "CANARY-ROTATE").unwrap();
        let schema = |c: &Connection| -> Vec<(String, String, Option<String>)> {
            let mut st = c
                .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let schema_before = schema(s.conn());
        assert!(
            schema_before
                .iter()
                .any(|(t, n, _)| t == "trigger" && n.contains("no_update")),
            "control: the append-only triggers exist"
        );
        let version_before: i64 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let old_hex = s.key.sqlcipher_key_hex();
        let old_db = d.path().join(crate::sqlite::DB_FILE);
        assert!(
            open_raw(&old_db, &old_hex).is_ok(),
            "control: the old key opens the old file"
        );
        let mut called = 0;
        let out = s
            .rotate_data_key(PW, &mut |r| {
                called += 1;
                assert_ne!(
                    r.old_subkey("evidence").unwrap()[..],
                    r.new_subkey("evidence").unwrap()[..]
                );
                assert!(r.old_subkey("sqlcipher-database").is_err());
                Ok(())
            })
            .unwrap();
        assert_eq!(called, 1);
        assert!(!out.recovery_dropped);
        let new_db = d.path().join(&out.db_file);
        assert_ne!(new_db, old_db);
        assert!(!old_db.exists(), "the old generation is deleted");
        // The old data key does not decrypt the new file; the new one does.
        assert!(open_raw(&new_db, &old_hex).is_err());
        let new_hex = s.key.sqlcipher_key_hex();
        assert_ne!(old_hex.as_str(), new_hex.as_str());
        assert!(open_raw(&new_db, &new_hex).is_ok());
        // Every table, index, trigger (the append-only ones) and the schema
        // version came along.
        assert_eq!(schema(s.conn()), schema_before);
        let version: i64 = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, version_before);
        // The open store and a fresh open both read the data.
        assert_eq!(
            s.setting("canary").unwrap().as_deref(),
            Some("CANARY-ROTATE")
        );
        drop(s);
        let s = SqliteStore::open(d.path(), PW).unwrap();
        assert_eq!(
            s.setting("canary").unwrap().as_deref(),
            Some("CANARY-ROTATE")
        );
        assert_eq!(s.evidence_dir, out.evidence_dir);
        // The keyring names the new generation.
        let kr = Keyring::load(d.path()).unwrap();
        assert_eq!(kr.db_file(), out.db_file);
    }

    #[test]
    fn a_writer_that_opened_the_old_generation_is_refused_not_lost() {
        let d = tempfile::tempdir().unwrap();
        let mut s =
            SqliteStore::init_with(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
        let mut old = SqliteStore::open(d.path(), PW).unwrap();
        s.rotate_data_key(PW, &mut |_| Ok(())).unwrap();
        // Its reads still work (open files outlive their names) ...
        assert!(old.setting("store.origin").unwrap().is_some());
        // ... but a write would vanish with the old file: it is refused.
        let e = old.set_setting("late", "write").unwrap_err();
        assert!(
            e.to_string().contains("retired by a data-key rotation"),
            "{e}"
        );
        assert_eq!(s.setting("late").unwrap(), None);
    }

    #[test]
    fn a_failed_reencryption_changes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let mut s =
            SqliteStore::init_with(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
        s.set_setting("canary", "kept").unwrap();
        let before = fs::read(d.path().join(KEYRING_FILE)).unwrap();
        let e = s
            .rotate_data_key(PW, &mut |_| Err(StoreError::Invalid("stop".into())))
            .unwrap_err();
        assert!(e.to_string().contains("stop"), "{e}");
        assert_eq!(fs::read(d.path().join(KEYRING_FILE)).unwrap(), before);
        let names: Vec<String> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with("tumen-")), "{names:?}");
        assert_eq!(s.setting("canary").unwrap().as_deref(), Some("kept"));
        assert!(s.rotate_data_key("wrong", &mut |_| Ok(())).is_err());
    }

    #[test]
    fn an_open_that_read_the_keyring_just_before_the_swap_reads_it_again() {
        let d = tempfile::tempdir().unwrap();
        let mut s =
            SqliteStore::init_with(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
        s.set_setting("canary", "visible").unwrap();
        // The rotation happens after this open read the (old) keyring and
        // before it opens the database, which is then gone.
        crate::sqlite::AFTER_KEYRING_READ.with(|h| {
            *h.borrow_mut() = Some(Box::new(move || {
                s.rotate_data_key(PW, &mut |_| Ok(())).unwrap();
            }));
        });
        let r = SqliteStore::open(d.path(), PW).unwrap();
        assert_eq!(r.setting("canary").unwrap().as_deref(), Some("visible"));
        assert_ne!(r.db_file(), crate::sqlite::DB_FILE);
    }

    #[test]
    fn readers_opening_during_a_rotation_never_fail() {
        let d = tempfile::tempdir().unwrap();
        let mut s =
            SqliteStore::init_with(d.path(), PW, InitOptions::insecure_fast_for_tests()).unwrap();
        s.set_setting("canary", "visible").unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let (opens, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let reader = {
            let (dir, done) = (d.path().to_path_buf(), done.clone());
            let (opens, failures) = (opens.clone(), failures.clone());
            std::thread::spawn(move || {
                let mut errors = Vec::new();
                // Keep reading until the rotation is over, and a little after.
                let mut after = 0;
                while after < 20 {
                    if done.load(Ordering::SeqCst) {
                        after += 1;
                    }
                    match SqliteStore::open(&dir, PW).and_then(|s| s.setting("canary")) {
                        Ok(Some(v)) if v == "visible" => {}
                        other => {
                            failures.fetch_add(1, Ordering::SeqCst);
                            errors.push(format!("{other:?}"));
                        }
                    }
                    opens.fetch_add(1, Ordering::SeqCst);
                }
                errors
            })
        };
        // Give the reader time to start, and rotate while it reads; the
        // re-encryption step is slowed so that the swap falls amid opens.
        while opens.load(Ordering::SeqCst) < 3 {
            std::thread::yield_now();
        }
        for _ in 0..3 {
            s.rotate_data_key(PW, &mut |_| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                Ok(())
            })
            .unwrap();
        }
        done.store(true, Ordering::SeqCst);
        let errors = reader.join().unwrap();
        assert!(opens.load(Ordering::SeqCst) > 20);
        assert_eq!(failures.load(Ordering::SeqCst), 0, "{errors:?}");
    }
}
