//! The SQLite backend: one encrypted file `DIR/tumen.db` (SQLCipher), WAL,
//! versioned migrations, and the keyring `DIR/keyring.json` beside it.
//!
//! Every write runs in a transaction that also appends the revision (with its
//! full body) and the ledger entry (for a revision, the hash of its leaf:
//! migration 0007), so history and ledger can never disagree with the
//! records. Temporary tables and sort files stay in memory
//! (`temp_store = MEMORY`), so nothing decrypted ever reaches a temp file.
//! An import into an archive without records writes through a rollback
//! journal instead of the WAL (`begin_import_batch`), equally atomic, so
//! that its pages are written once.

use crate::api::*;
use crate::error::{Ctx, StoreError};
use crate::keyring::{
    Cipher, DataKey, KEYRING_FILE, KdfParams, Keyring, KeyringError, PageCipher, PageFormat,
    PageHmac,
};
use crate::migrations;
use crate::raw_insert::RawInsert;
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params, params_from_iter};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tumen_model::{Envelope, IndexTerms, RecordId, RecordKind, Sensitivity};
use zeroize::Zeroizing;

/// The database file name inside the data directory.
pub const DB_FILE: &str = "tumen.db";

/// Sentinels for the date columns (see migration 0001).
const OPEN_LO: i64 = i64::MIN;
const OPEN_HI: i64 = i64::MAX;
const TEXT_SEP: char = '\u{1F}';
/// Records whose date spans more days than this (or is open) are indexed in
/// the "wide" bucket of the dated facet tables (see migration 0002).
const WIDE_SPAN: i64 = 400;

/// The facet bucket of a date interval (0 narrow or undated, 1 wide or open).
fn wide(lo: i64, hi: i64) -> i64 {
    if lo > hi {
        0
    } else if lo == OPEN_LO || hi == OPEN_HI || hi.saturating_sub(lo) > WIDE_SPAN {
        1
    } else {
        0
    }
}
/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT_MS: u64 = 10_000;
/// Longest actor name accepted (it goes into every revision and leaf).
const MAX_ACTOR: usize = 256;

/// A larger page size an archive may be created with (recorded in its
/// keyring). SQLCipher's cost is partly per page (an IV, the page HMAC and
/// the cipher set-up for every page written and read), so larger pages make
/// large imports a little cheaper — but each record read decrypts a whole
/// page, so queries cost more. Measured in BENCHMARKS.md ("Store (issue
/// 2)"): not a clear enough gain to be the default, which stays 4096.
pub const LARGE_PAGE_SIZE: u32 = 16384;

/// How to create an archive.
#[derive(Debug, Clone, Copy)]
pub struct InitOptions {
    pub kdf: KdfParams,
    pub cipher: Cipher,
    /// Database page size in bytes (recorded in the keyring), e.g.
    /// [`LARGE_PAGE_SIZE`]; `None` (the default) keeps SQLite's 4096 and
    /// records nothing, as archives made before this option did.
    pub page_size: Option<u32>,
    /// The MAC of every page (recorded in the keyring): HMAC-SHA256 unless
    /// a test or the benchmark asks for SQLCipher's default.
    pub page_hmac: PageHmac,
    /// The cipher of every page (recorded in the keyring).
    pub page_cipher: PageCipher,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            kdf: KdfParams::DEFAULT,
            cipher: Cipher::Sqlcipher,
            page_size: PageFormat::NEW.size,
            page_hmac: PageFormat::NEW.hmac,
            page_cipher: PageFormat::NEW.cipher,
        }
    }
}

impl InitOptions {
    /// Encrypted, but with cheap key derivation: for test suites only.
    pub fn insecure_fast_for_tests() -> Self {
        InitOptions {
            kdf: KdfParams::insecure_fast_for_tests(),
            ..InitOptions::default()
        }
    }
}

/// An open SQLite archive.
pub struct SqliteStore {
    pub(crate) conn: Connection,
    pub(crate) dir: PathBuf,
    pub(crate) key: DataKey,
    pub(crate) origin: String,
    pub(crate) cipher: Cipher,
    /// The database file's name in `dir` (from the keyring).
    pub(crate) db_file: String,
    /// The evidence directory's name in `dir` (from the keyring).
    pub(crate) evidence_dir: String,
    /// Set when a committed import already refreshed the planner's
    /// statistics (see `SqliteBatch::finish`), so that the
    /// [`SqliteStore::optimize`] an import is followed by has nothing to redo.
    pub(crate) stats_fresh: std::cell::Cell<bool>,
}

fn sens_to_int(s: Sensitivity) -> i64 {
    match s {
        Sensitivity::Public => 0,
        Sensitivity::Restricted => 1,
        Sensitivity::Confidential => 2,
    }
}

fn int_to_sens(i: i64) -> Option<Sensitivity> {
    match i {
        0 => Some(Sensitivity::Public),
        1 => Some(Sensitivity::Restricted),
        2 => Some(Sensitivity::Confidential),
        _ => None,
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn is_not_a_db(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase)
}

/// Open (or create) the database file and hand SQLCipher the key.
pub(crate) fn connect(
    db: &Path,
    key: &DataKey,
    cipher: Cipher,
    format: PageFormat,
    create: bool,
) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    // Through the write-behind VFS, which is the platform's own until a
    // first import turns it on (`crate::write_behind`).
    let vfs = crate::write_behind::vfs_name()?;
    let conn = Connection::open_with_flags_and_vfs(db, flags, vfs).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::CannotOpen => {
            StoreError::DatabaseMissing(db.to_path_buf())
        }
        e => StoreError::Sqlite {
            context: "opening the database",
            source: e,
        },
    })?;
    if cipher == Cipher::Sqlcipher {
        // SQLCipher would otherwise log decryption failures to stderr.
        conn.execute_batch("PRAGMA cipher_log_level = NONE")
            .ctx("configuring SQLCipher")?;
        let version: Option<String> = conn
            .query_row("PRAGMA cipher_version", [], |r| r.get(0))
            .optional()
            .ctx("asking for SQLCipher")?;
        if version.map(|v| v.is_empty()).unwrap_or(true) {
            return Err(StoreError::NoEncryption);
        }
        key_connection(&conn, key.sqlcipher_key_hex().as_str(), format)?;
    } else if let (Some(n), true) = (format.size, create) {
        // A plain file keeps its page size in its header; it only has to
        // be chosen before the first table.
        conn.execute_batch(&format!("PRAGMA page_size = {n}"))
            .ctx("setting the page size")?;
    }
    // Reading the schema proves the key opens the file.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(e) if is_not_a_db(&e) => return Err(StoreError::KeyMismatch(db.to_path_buf())),
        Err(e) => {
            return Err(StoreError::Sqlite {
                context: "reading the schema",
                source: e,
            });
        }
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .ctx("switching to WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "the database refused WAL mode (it is in {mode} mode)"
        )));
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -1048576;",
    )
    .ctx("setting connection options")?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .ctx("setting connection options")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Hand SQLCipher the raw key `raw_hex` (64 hex digits) of the database
/// open on `conn`, and the page format its keyring records: the codec
/// context is created with the page cipher of `format` (see
/// `crate::page_cipher`) and told the page size and HMAC.
///
/// [`SqliteStore`] opens its own connections; this is for tools and tests
/// that must look at the file as SQLite sees it (an attacker who holds
/// the key, a forensic check), for which a stock SQLCipher no longer
/// suffices once the pages are AES-CTR + GMAC.
pub fn key_connection(
    conn: &Connection,
    raw_hex: &str,
    format: PageFormat,
) -> Result<(), StoreError> {
    // The raw-key form "x'<64 hex>'" makes SQLCipher use the key as is
    // (no PBKDF2). Passed through sqlite3_key, not SQL text, so it is
    // never copied into a statement's SQL.
    let raw = Zeroizing::new(format!("x'{raw_hex}'"));
    // SAFETY: `conn.handle()` is a valid open connection for the duration
    // of the call; the pointer and length describe `raw`, which outlives it.
    let rc = crate::page_cipher::keyed_with(format.cipher.into(), || unsafe {
        rusqlite::ffi::sqlite3_key(
            conn.handle(),
            raw.as_ptr().cast(),
            raw.len() as std::os::raw::c_int,
        )
    })?;
    if rc != rusqlite::ffi::SQLITE_OK {
        return Err(StoreError::Sqlite {
            context: "setting the database key",
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rc), None),
        });
    }
    // The header is encrypted too, so SQLCipher must be told the page
    // format before the first read (the keyring records it).
    conn.execute_batch(&page_format_pragmas("main", format))
        .ctx("setting the page format")
}

/// The statements that tell SQLCipher the page format of the database
/// `schema` (`main`, or an attached one). Every open issues them, and a
/// data-key rotation for the generation it writes, which must read back
/// with the same keyring record. A page size in a keyring is validated (a
/// power of two) when the keyring is loaded.
pub(crate) fn page_format_pragmas(schema: &str, f: PageFormat) -> String {
    let mut sql = String::new();
    if let Some(n) = f.size {
        sql.push_str(&format!("PRAGMA {schema}.cipher_page_size = {n}; "));
    }
    // AES-CTR pages carry a GMAC whatever the algorithm says.
    if f.cipher == PageCipher::AesCbc {
        sql.push_str(&format!(
            "PRAGMA {schema}.cipher_hmac_algorithm = {};",
            f.hmac.sqlcipher_name()
        ));
    }
    sql
}

#[cfg(test)]
thread_local! {
    /// Runs once between reading the keyring and opening the database (for
    /// a test to put a rotation exactly there).
    pub(crate) static AFTER_KEYRING_READ: std::cell::RefCell<Option<Box<dyn FnOnce()>>> =
        std::cell::RefCell::new(None);
}

impl SqliteStore {
    /// Create a new archive in `dir` with production key derivation.
    /// Refuses if `dir` already holds a keyring or a database.
    pub fn init(dir: &Path, passphrase: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::init_with(dir, passphrase, InitOptions::default())
    }

    /// Create a new archive with explicit options (tests use
    /// [`InitOptions::insecure_fast_for_tests`]; the benchmark compares
    /// [`Cipher::NoneBenchmarkOnly`]).
    pub fn init_with(
        dir: &Path,
        passphrase: &str,
        opts: InitOptions,
    ) -> Result<SqliteStore, StoreError> {
        if passphrase.is_empty() {
            return Err(KeyringError::EmptyPassphrase.into());
        }
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let db = dir.join(DB_FILE);
        let created: Vec<PathBuf> = [DB_FILE, "tumen.db-wal", "tumen.db-shm", KEYRING_FILE]
            .iter()
            .map(|f| dir.join(f))
            .collect();
        if created.iter().any(|p| p.exists()) {
            return Err(StoreError::AlreadyInitialized(dir.to_path_buf()));
        }
        if let Some(n) = opts
            .page_size
            .filter(|n| !crate::keyring::valid_page_size(*n))
        {
            return Err(StoreError::Invalid(format!(
                "page size {n} is not a power of two from 512 to 65536"
            )));
        }
        let key = DataKey::generate()?;
        let mut keyring = Keyring::create(&key, passphrase, opts.kdf, opts.cipher)?;
        // An unencrypted (benchmark) file has no page cipher or HMAC to
        // record.
        let format = match opts.cipher {
            Cipher::Sqlcipher => PageFormat {
                size: opts.page_size,
                hmac: opts.page_hmac,
                cipher: opts.page_cipher,
            },
            Cipher::NoneBenchmarkOnly => PageFormat {
                size: opts.page_size,
                ..PageFormat::default()
            },
        };
        keyring.set_page_format(format);
        let attempt = (|| -> Result<(Connection, String), StoreError> {
            let mut conn = connect(&db, &key, opts.cipher, format, true)?;
            migrations::migrate(&mut conn, &db)?;
            let mut o = [0u8; 16];
            rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut o)
                .map_err(|e| KeyringError::Random(e.to_string()))?;
            let origin = hex::encode(o);
            conn.execute(
                "INSERT INTO settings (key, value) VALUES ('store.origin', ?1)",
                [&origin],
            )
            .ctx("recording the replica id")?;
            keyring.save(dir)?;
            Ok((conn, origin))
        })();
        match attempt {
            Ok((conn, origin)) => Ok(SqliteStore {
                conn,
                dir: dir.to_path_buf(),
                key,
                origin,
                cipher: opts.cipher,
                db_file: DB_FILE.to_string(),
                evidence_dir: "evidence".to_string(),
                stats_fresh: std::cell::Cell::new(false),
            }),
            Err(e) => {
                // Leave the directory as we found it.
                for p in &created {
                    let _ = fs::remove_file(p);
                }
                Err(e)
            }
        }
    }

    /// Open an existing archive. A wrong passphrase is
    /// [`KeyringError::WrongPassphrase`]; a missing or foreign database is
    /// [`StoreError::DatabaseMissing`] / [`StoreError::KeyMismatch`]; nothing
    /// is ever created here.
    ///
    /// A data-key rotation by another process swaps the keyring, which
    /// names the database file, atomically; an open that read the keyring
    /// just before the swap and found its database gone (or re-keyed)
    /// reads the keyring again, once (see `crate::rotate`).
    pub fn open(dir: &Path, passphrase: &str) -> Result<SqliteStore, StoreError> {
        match SqliteStore::open_once(dir, passphrase) {
            Err(StoreError::DatabaseMissing(_) | StoreError::KeyMismatch(_))
                if Keyring::load(dir).is_ok() =>
            {
                SqliteStore::open_once(dir, passphrase)
            }
            r => r,
        }
    }

    fn open_once(dir: &Path, passphrase: &str) -> Result<SqliteStore, StoreError> {
        let keyring = Keyring::load(dir)?;
        #[cfg(test)]
        if let Some(f) = AFTER_KEYRING_READ.with(|h| h.borrow_mut().take()) {
            f();
        }
        let db = dir.join(keyring.db_file());
        if !db.is_file() {
            return Err(StoreError::DatabaseMissing(db));
        }
        let key = keyring.unlock(passphrase, &dir.join(KEYRING_FILE))?;
        let conn = connect(&db, &key, keyring.cipher(), keyring.page_format(), false)?;
        SqliteStore::from_connection(conn, dir, key, &keyring)
    }

    /// Check the schema, migrate, and read the replica id of a freshly
    /// opened connection.
    pub(crate) fn from_connection(
        mut conn: Connection,
        dir: &Path,
        key: DataKey,
        keyring: &Keyring,
    ) -> Result<SqliteStore, StoreError> {
        let db = dir.join(keyring.db_file());
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ctx("reading the schema version")?;
        if version == 0 {
            // An empty file (e.g. truncated) must not silently become a new archive.
            return Err(StoreError::KeyMismatch(db));
        }
        migrations::migrate(&mut conn, &db)?;
        let origin: String = conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'store.origin'",
                [],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading the replica id")?
            .ok_or_else(|| StoreError::CorruptRow {
                table: "settings",
                column: "value",
                row: "store.origin".into(),
                why: "missing".into(),
            })?;
        Ok(SqliteStore {
            conn,
            dir: dir.to_path_buf(),
            key,
            origin,
            cipher: keyring.cipher(),
            db_file: keyring.db_file().to_string(),
            evidence_dir: keyring.evidence_dir().to_string(),
            stats_fresh: std::cell::Cell::new(false),
        })
    }

    /// Change the passphrase: rewraps the data key, never re-encrypts data.
    pub fn change_passphrase(
        &mut self,
        old: &str,
        new: &str,
        params: Option<KdfParams>,
    ) -> Result<(), StoreError> {
        let mut keyring = Keyring::load(&self.dir)?;
        let key = keyring.unlock(old, &self.dir.join(KEYRING_FILE))?;
        if key.derive_subkey("keyring-check")[..] != self.key.derive_subkey("keyring-check")[..] {
            return Err(StoreError::KeyMismatch(self.dir.join(KEYRING_FILE)));
        }
        let p = params
            .or(keyring.passphrase_params())
            .unwrap_or(KdfParams::DEFAULT);
        keyring.rewrap(&key, new, p)?;
        keyring.save(&self.dir)?;
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file's name inside the data directory.
    pub fn db_file(&self) -> &str {
        &self.db_file
    }

    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// Move the WAL into the main file and truncate it.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .ctx("checkpointing the WAL")
    }

    /// Refresh the query planner's statistics (worth doing after a large
    /// import). Does nothing right after an import that refreshed them
    /// itself before its COMMIT.
    pub fn optimize(&self) -> Result<(), StoreError> {
        if self.stats_fresh.replace(false) {
            return Ok(());
        }
        self.conn
            .execute_batch("PRAGMA analysis_limit = 1000; ANALYZE; PRAGMA optimize;")
            .ctx("analysing")
    }

    /// The raw connection, for the test suite's own checks.
    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    fn begin(&mut self, actor: &str) -> Result<SqliteBatch<'_>, StoreError> {
        self.begin_with(actor, false)
    }

    /// Start a write transaction; `bulk` if the connection was just taken
    /// out of WAL mode for it (see `begin_import_batch`), which the batch
    /// undoes when it ends — or this, if the transaction cannot start.
    fn begin_with(&mut self, actor: &str, bulk: bool) -> Result<SqliteBatch<'_>, StoreError> {
        let started = check_actor(actor).and_then(|_| {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .ctx("starting a transaction")
        });
        if let Err(e) = started {
            if bulk {
                let _ = self
                    .conn
                    .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
            }
            return Err(e);
        }
        self.stats_fresh.set(false);
        let mut b = SqliteBatch {
            conn: &self.conn,
            stats_fresh: &self.stats_fresh,
            origin: &self.origin,
            actor: actor.to_string(),
            at: now_rfc3339(),
            next_seq: 0,
            next_leaf: 0,
            rows: 0,
            errors: Vec::new(),
            pending: Vec::new(),
            known: Vec::new(),
            interner: Arc::default(),
            summary: BatchSummary::default(),
            done: false,
            staged: std::cell::RefCell::new(Staged::default()),
            tombstones: true,
            bulk,
            hot: RowStatements::default(),
            restore_cache: None,
        };
        b.next_seq = b
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM revisions", [], |r| {
                r.get(0)
            })
            .ctx("reading seq")?;
        b.next_leaf = b
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger", [], |r| {
                r.get(0)
            })
            .ctx("reading ledger")?;
        // With no tombstone, a new id always starts at revision 1: the
        // per-row look-up can be skipped (a delete in the batch turns it back on).
        b.tombstones = b
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM tombstones)", [], |r| r.get(0))
            .ctx("reading tombstones")?;
        if bulk {
            // The file's page writes go to another thread for the batch
            // (`crate::write_behind` says why that is safe). Only speed
            // depends on it: if it cannot start, the batch writes as usual.
            let _ = crate::write_behind::set(b.conn, true);
            // Rebuilt in `finish`, inside this transaction (a rollback, or
            // an error here, puts the index back with everything else).
            b.conn
                .execute_batch("DROP INDEX records_kind_date")
                .ctx("setting the date index aside")?;
            // A cache already smaller (a test's) is left as it is.
            let cache: i64 = b
                .conn
                .query_row("PRAGMA cache_size", [], |r| r.get(0))
                .ctx("reading the cache size")?;
            let page: i64 = b
                .conn
                .query_row("PRAGMA page_size", [], |r| {
                    r.get::<_, rusqlite::types::Value>(0)
                })
                .map(|v| match v {
                    // SQLCipher answers with text.
                    Value::Integer(n) => n,
                    Value::Text(t) => t.parse().unwrap_or(4096),
                    _ => 4096,
                })
                .ctx("reading the page size")?;
            let kib = if cache < 0 {
                -cache
            } else {
                cache * page / 1024
            };
            if kib > BULK_CACHE_KIB {
                b.conn
                    .execute_batch(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
                    .ctx("setting the cache size")?;
                b.restore_cache = Some(cache);
            }
        }
        Ok(b)
    }
}

impl SqliteStore {
    /// A batch for a large import (see [`Store::begin_import`]). Into an
    /// archive without records, it writes through a rollback journal rather
    /// than the WAL: in WAL mode every page of the import is written twice
    /// (into the WAL at COMMIT, then into the database by the checkpoint),
    /// while a rollback journal holds only the original content of the pages
    /// that existed before — for an empty archive, a handful — and the new
    /// pages go straight into the database file. The transaction is just as
    /// atomic: a rollback, or the next open after a crash (SQLite finds the
    /// hot journal `<db>-journal`, encrypted like the database), restores
    /// those pages and truncates the file to its old length. `synchronous =
    /// FULL` still orders journal, database and journal deletion on disk.
    ///
    /// If the archive holds records, or the switch cannot have the database
    /// to itself at once (another connection is reading or writing), this
    /// is an ordinary WAL batch. Idle connections of other processes follow
    /// the mode recorded in the file.
    pub(crate) fn begin_import_batch(
        &mut self,
        actor: &str,
    ) -> Result<SqliteBatch<'_>, StoreError> {
        let empty: bool = self
            .conn
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM records)", [], |r| {
                r.get(0)
            })
            .ctx("looking for records")?;
        let bulk = empty && self.leave_wal()?;
        self.begin_with(actor, bulk)
    }

    /// Switch the connection from WAL to a rollback journal (`DELETE`
    /// mode). SQLite checkpoints and removes the WAL first, which needs an
    /// exclusive lock: if another connection holds a lock this does not
    /// wait, and returns `false` with the connection still in WAL mode.
    fn leave_wal(&self) -> Result<bool, StoreError> {
        self.conn
            .busy_timeout(std::time::Duration::ZERO)
            .ctx("setting the busy timeout")?;
        let mode = self
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            });
        self.conn
            .busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .ctx("setting the busy timeout")?;
        match mode {
            Ok(m) if m.eq_ignore_ascii_case("delete") => Ok(true),
            _ => {
                // Still (or again) in WAL: an ordinary batch.
                let _ = self
                    .conn
                    .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
                Ok(false)
            }
        }
    }
}

fn check_actor(actor: &str) -> Result<(), StoreError> {
    if actor.trim().is_empty() || actor.len() > MAX_ACTOR || actor.chars().any(|c| c.is_control()) {
        return Err(StoreError::Invalid(format!(
            "the actor name must be 1–{MAX_ACTOR} bytes without control characters"
        )));
    }
    Ok(())
}

const RECORD_COLS: &str = "r.id, r.kind, r.sensitivity, r.access_groups, r.rev, r.head_seq, h.body, \
     c.at, c.actor, h.at, h.actor";
const RECORD_FROM: &str =
    "records r JOIN revisions h ON h.seq = r.head_seq JOIN revisions c ON c.seq = r.created_seq";

/// The raw columns of a record row, decoded after the statement step so that
/// decoding errors can name the row.
struct RawRecord {
    id: String,
    kind: String,
    sensitivity: i64,
    groups: String,
    rev: i64,
    seq: i64,
    body: Option<String>,
    created_at: String,
    created_by: String,
    updated_at: String,
    updated_by: String,
}

fn raw_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok(RawRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        sensitivity: r.get(2)?,
        groups: r.get(3)?,
        rev: r.get(4)?,
        seq: r.get(5)?,
        body: r.get(6)?,
        created_at: r.get(7)?,
        created_by: r.get(8)?,
        updated_at: r.get(9)?,
        updated_by: r.get(10)?,
    })
}

fn corrupt(
    table: &'static str,
    column: &'static str,
    row: &str,
    why: impl Into<String>,
) -> StoreError {
    StoreError::CorruptRow {
        table,
        column,
        row: row.to_string(),
        why: why.into(),
    }
}

fn decode_envelope(
    id: &str,
    kind: &str,
    sens: i64,
    groups: &str,
    table: &'static str,
) -> Result<Envelope, StoreError> {
    Ok(Envelope {
        id: RecordId::new(id).map_err(|e| corrupt(table, "id", id, e.to_string()))?,
        kind: RecordKind::parse(kind).ok_or_else(|| corrupt(table, "kind", id, "unknown kind"))?,
        sensitivity: int_to_sens(sens)
            .ok_or_else(|| corrupt(table, "sensitivity", id, "out of range"))?,
        access_groups: serde_json::from_str(groups)
            .map_err(|_| corrupt(table, "access_groups", id, "not a JSON list"))?,
    })
}

impl RawRecord {
    fn decode(self) -> Result<StoredRecord, StoreError> {
        let envelope = decode_envelope(
            &self.id,
            &self.kind,
            self.sensitivity,
            &self.groups,
            "records",
        )?;
        Ok(StoredRecord {
            rev: self.rev as u64,
            seq: self.seq as u64,
            body: self.body.ok_or_else(|| {
                corrupt("revisions", "body", &self.id, "head revision has no body")
            })?,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            envelope,
        })
    }
}

const REVISION_COLS: &str =
    "seq, origin, id, rev, op, actor, at, kind, sensitivity, access_groups, body, body_sha256";

/// A `revisions` row in [`REVISION_COLS`] order.
type RawRevision = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Vec<u8>,
);

/// Read a row into a tuple of its columns in order (rusqlite's
/// `TryFrom<&Row>` for tuples), as a function `query_map` accepts.
/// Shared by every table read as a tuple ([`RawRevision`], the accounts).
pub(crate) fn row_tuple<T>(r: &rusqlite::Row<'_>) -> rusqlite::Result<T>
where
    T: for<'a> TryFrom<&'a rusqlite::Row<'a>, Error = rusqlite::Error>,
{
    T::try_from(r)
}

fn decode_revision(raw: RawRevision) -> Result<Revision, StoreError> {
    let (seq, origin, id, rev, op, actor, at, kind, sens, groups, body, hash) = raw;
    let env = decode_envelope(&id, &kind, sens, &groups, "revisions")?;
    let body_sha256: [u8; 32] = hash
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("revisions", "body_sha256", &id, "not 32 bytes"))?;
    Ok(Revision {
        seq: seq as u64,
        origin,
        rev: rev as u64,
        op: Op::parse(&op).ok_or_else(|| corrupt("revisions", "op", &id, "unknown op"))?,
        actor,
        at,
        kind: env.kind,
        sensitivity: env.sensitivity,
        access_groups: env.access_groups,
        id: env.id,
        body,
        body_before: None,
        body_sha256,
    })
}

fn get_record(conn: &Connection, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
    let mut st = conn
        .prepare_cached(&format!(
            "SELECT {RECORD_COLS} FROM {RECORD_FROM} WHERE r.id = ?1"
        ))
        .ctx("preparing a read")?;
    let raw = st
        .query_row([id.as_str()], raw_record)
        .optional()
        .ctx("reading a record")?;
    raw.map(RawRecord::decode).transpose()
}

/// The WHERE clause (with a leading CTE for places) and its parameters.
fn build_query(f: &Filter) -> (String, String, Vec<Value>) {
    // With a facet (place, term, ref), the records are fetched by rid from
    // the facets' intersection; the unary `+` keeps SQLite from driving the
    // query from the (kind, date_lo) index instead, which without statistics
    // it would, scanning most of the table.
    let has_facets = !f.places.is_empty() || !f.terms.is_empty() || !f.refs.is_empty();
    let plus = if has_facets { "+" } else { "" };
    let mut cte = String::new();
    let mut conds: Vec<String> = Vec::new();
    let mut p: Vec<Value> = Vec::new();
    let qs = |n: usize| vec!["?"; n].join(", ");
    if !f.places.is_empty() {
        cte = format!(
            "WITH RECURSIVE sub(id) AS (VALUES {} UNION SELECT c.id FROM records c JOIN sub ON c.parent = sub.id) ",
            vec!["(?)"; f.places.len()].join(", ")
        );
        p.extend(f.places.iter().map(|x| Value::Text(x.as_str().to_string())));
    }
    if !f.kinds.is_empty() {
        conds.push(format!("{plus}r.kind IN ({})", qs(f.kinds.len())));
        p.extend(f.kinds.iter().map(|k| Value::Text(k.as_str().to_string())));
    }
    if let Some(from) = f.date_from {
        conds.push(format!("{plus}r.date_hi >= ?"));
        p.push(Value::Integer(from));
    }
    if let Some(to) = f.date_to {
        conds.push(format!("{plus}r.date_lo <= ?"));
        p.push(Value::Integer(to));
    }
    // Facets (places, terms, refs): each is a set of rids read from one
    // index; the sets are intersected and the records fetched by rid. With a
    // date filter, place and term rows are range-scanned on their own date
    // columns (migration 0002), so the sets stay small.
    let dated = f.date_from.is_some() || f.date_to.is_some();
    if dated {
        conds.push("r.date_lo <= r.date_hi".into()); // undated records never match
    }
    let from = f.date_from.unwrap_or(OPEN_LO);
    let to = f.date_to.unwrap_or(OPEN_HI);
    let mut facets: Vec<String> = Vec::new();
    let mut fp: Vec<Value> = Vec::new();
    let dated_facet = |table: &str,
                       key: &str,
                       param: Option<&str>,
                       facets: &mut Vec<String>,
                       fp: &mut Vec<Value>| {
        if dated {
            facets.push(format!(
                "SELECT rid FROM {table} WHERE {key} AND wide = 0 AND date_lo BETWEEN ? AND ? AND date_hi >= ? \
                 UNION ALL SELECT rid FROM {table} WHERE {key} AND wide = 1 AND date_lo <= ? AND date_hi >= ?"
            ));
            if let Some(v) = param {
                fp.push(Value::Text(v.to_string()));
            }
            fp.extend([from.saturating_sub(WIDE_SPAN), to, from].map(Value::Integer));
            if let Some(v) = param {
                fp.push(Value::Text(v.to_string()));
            }
            fp.extend([to, from].map(Value::Integer));
        } else {
            facets.push(format!("SELECT rid FROM {table} WHERE {key}"));
            if let Some(v) = param {
                fp.push(Value::Text(v.to_string()));
            }
        }
    };
    if !f.places.is_empty() {
        dated_facet(
            "record_places",
            "place IN (SELECT id FROM sub)",
            None,
            &mut facets,
            &mut fp,
        );
    }
    for t in &f.terms {
        dated_facet("record_terms", "term = ?", Some(t), &mut facets, &mut fp);
    }
    for t in &f.refs {
        // A place a record is at is a reference kept only as a place row
        // (see `SqliteBatch::insert_index_rows`).
        facets.push(
            "SELECT rid FROM record_refs WHERE target = ? UNION SELECT rid FROM record_places WHERE place = ?"
                .into(),
        );
        fp.push(Value::Text(t.as_str().to_string()));
        fp.push(Value::Text(t.as_str().to_string()));
    }
    match facets.len() {
        0 => {}
        1 => conds.push(format!("r.rid IN ({})", facets[0])),
        _ => conds.push(format!(
            "r.rid IN ({})",
            facets
                .iter()
                .map(|f| format!("SELECT rid FROM ({f})"))
                .collect::<Vec<_>>()
                .join(" INTERSECT ")
        )),
    }
    p.extend(fp);
    if let Some(text) = &f.text {
        conds.push("instr(lower(r.text), lower(?)) > 0".into());
        p.push(Value::Text(text.clone()));
    }
    if let Some(max) = f.max_sensitivity {
        conds.push("r.sensitivity <= ?".into());
        p.push(Value::Integer(sens_to_int(max)));
    }
    if let Some(groups) = &f.access_groups {
        if groups.is_empty() {
            conds.push("r.has_groups = 0".into());
        } else {
            conds.push(format!(
                "(r.has_groups = 0 OR EXISTS (SELECT 1 FROM json_each(r.access_groups) j WHERE j.value IN ({})))",
                qs(groups.len())
            ));
            p.extend(groups.iter().map(|g| Value::Text(g.clone())));
        }
    }
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    (cte, where_, p)
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn link_decisions(&self) -> Result<Vec<crate::linkage::LinkDecision>, StoreError> {
        crate::linkage::decisions(&self.conn)
    }

    fn add_link_decision(
        &mut self,
        actor: &str,
        a: &RecordId,
        b: &RecordId,
        same: bool,
        note: Option<&str>,
    ) -> Result<crate::linkage::LinkDecision, StoreError> {
        check_actor(actor)?;
        crate::linkage::add_decision(&self.conn, &self.origin, actor, a, b, same, note)
    }

    fn resolved_members(&self) -> Result<Vec<crate::linkage::ResolvedMember>, StoreError> {
        crate::linkage::members(&self.conn)
    }

    fn save_link_run(
        &mut self,
        actor: &str,
        run: &crate::linkage::LinkRunWrite,
    ) -> Result<crate::linkage::LinkRunSaved, StoreError> {
        check_actor(actor)?;
        crate::linkage::save_run(&mut self.conn, &self.origin, actor, run)
    }

    fn unlink(
        &mut self,
        actor: &str,
        resolved_id: &str,
        record: Option<&RecordId>,
    ) -> Result<Vec<RecordId>, StoreError> {
        check_actor(actor)?;
        crate::linkage::unlink(&mut self.conn, &self.origin, actor, resolved_id, record)
    }

    fn origin(&self) -> &str {
        &self.origin
    }

    fn get(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
        get_record(&self.conn, id)
    }

    fn get_many(&self, ids: &[RecordId]) -> Result<Vec<StoredRecord>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = get_record(&self.conn, id)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn put(&mut self, actor: &str, put: Put) -> Result<Written, StoreError> {
        let mut b = self.begin(actor)?;
        let (rev, seq, op) = b.put_row(&put, None)?;
        let w = Written {
            id: put.envelope.id,
            rev: rev as u64,
            seq: seq as u64,
            op,
        };
        let errs = b.check_rows()?;
        if let Some(e) = errs.into_iter().next() {
            return Err(StoreError::Dangling {
                id: w.id,
                target: RecordId::new(e.target.unwrap_or_default())
                    .map_err(|x| StoreError::Invalid(x.to_string()))?,
            });
        }
        b.finish()?;
        Ok(w)
    }

    fn delete(
        &mut self,
        actor: &str,
        id: &RecordId,
        expected_rev: Option<u64>,
    ) -> Result<Written, StoreError> {
        let mut b = self.begin(actor)?;
        let w = b.delete_row(id, expected_rev)?;
        b.finish()?;
        Ok(w)
    }

    fn query(&self, f: &Filter) -> Result<Vec<StoredRecord>, StoreError> {
        let mut out = Vec::new();
        self.query_each(f, &mut |r| {
            out.push(r);
            Ok(true)
        })?;
        Ok(out)
    }

    fn query_each(
        &self,
        f: &Filter,
        each: &mut dyn FnMut(StoredRecord) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let (cte, where_, mut p) = build_query(f);
        let order = match f.order {
            Order::Id => "ORDER BY r.id",
            Order::DateAsc => "ORDER BY r.date_lo, r.id",
            Order::DateDesc => "ORDER BY r.date_lo = 9223372036854775807, r.date_lo DESC, r.id",
        };
        let mut sql = format!("{cte}SELECT {RECORD_COLS} FROM {RECORD_FROM}{where_} {order}");
        if f.limit.is_some() || f.offset > 0 {
            sql.push_str(" LIMIT ? OFFSET ?");
            p.push(Value::Integer(
                f.limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1),
            ));
            p.push(Value::Integer(f.offset.min(i64::MAX as u64) as i64));
        }
        let mut st = self.conn.prepare_cached(&sql).ctx("preparing a query")?;
        let mut rows = st.query(params_from_iter(p)).ctx("running a query")?;
        while let Some(row) = rows.next().ctx("reading query results")? {
            let rec = raw_record(row).ctx("reading query results")?.decode()?;
            if !each(rec)? {
                break;
            }
        }
        Ok(())
    }

    fn count(&self, f: &Filter) -> Result<u64, StoreError> {
        let (cte, where_, p) = build_query(f);
        let sql = format!("{cte}SELECT count(*) FROM records r{where_}");
        let mut st = self.conn.prepare_cached(&sql).ctx("preparing a count")?;
        let n: i64 = st
            .query_row(params_from_iter(p), |r| r.get(0))
            .ctx("counting")?;
        Ok(n as u64)
    }

    fn referrers(&self, id: &RecordId, limit: usize) -> Result<Vec<RecordId>, StoreError> {
        referrers(&self.conn, id, limit)
    }

    fn descendants(&self, roots: &[RecordId]) -> Result<Vec<RecordId>, StoreError> {
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "WITH RECURSIVE sub(id) AS (VALUES {} UNION SELECT c.id FROM records c JOIN sub ON c.parent = sub.id) \
             SELECT id FROM sub ORDER BY id",
            vec!["(?)"; roots.len()].join(", ")
        );
        let mut st = self
            .conn
            .prepare_cached(&sql)
            .ctx("preparing a hierarchy look-up")?;
        let ids = st
            .query_map(params_from_iter(roots.iter().map(|r| r.as_str())), |r| {
                r.get::<_, String>(0)
            })
            .ctx("walking the hierarchy")?
            .collect::<Result<Vec<_>, _>>()
            .ctx("walking the hierarchy")?;
        ids.into_iter()
            .map(|s| {
                RecordId::new(s.clone())
                    .map_err(|e| corrupt("records", "parent", &s, e.to_string()))
            })
            .collect()
    }

    fn history(&self, id: &RecordId) -> Result<Vec<Revision>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {REVISION_COLS} FROM revisions WHERE id = ?1 ORDER BY rev"
            ))
            .ctx("preparing history")?;
        let raws = st
            .query_map([id.as_str()], row_tuple::<RawRevision>)
            .ctx("reading history")?
            .collect::<Result<Vec<_>, _>>()
            .ctx("reading history")?;
        let mut out: Vec<Revision> = Vec::with_capacity(raws.len());
        for raw in raws {
            let mut r = decode_revision(raw)?;
            r.body_before = out.last().and_then(|prev| prev.body.clone());
            out.push(r);
        }
        Ok(out)
    }

    fn revisions_since(&self, after_seq: u64, limit: usize) -> Result<Vec<Revision>, StoreError> {
        seq_page(
            &self.conn,
            &format!("SELECT {REVISION_COLS} FROM revisions WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            after_seq,
            limit,
            ("preparing revisions", "reading revisions"),
            decode_revision,
        )
    }

    fn begin_batch<'a>(&'a mut self, actor: &str) -> Result<Box<dyn Batch + 'a>, StoreError> {
        Ok(Box::new(self.begin(actor)?))
    }

    fn begin_import<'a>(&'a mut self, actor: &str) -> Result<Box<dyn Batch + 'a>, StoreError> {
        Ok(Box::new(self.begin_import_batch(actor)?))
    }

    fn ledger_len(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))
            .ctx("counting the ledger")?;
        Ok(n as u64)
    }

    fn ledger_leaves(&self, from_seq: u64, limit: usize) -> Result<Vec<LedgerLeaf>, StoreError> {
        ledger_leaves(&self.conn, from_seq, limit)
    }

    fn vocab_terms(&self) -> Result<Vec<VocabEntry>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT vocab, term, definition, added_by, added_at FROM vocab_terms ORDER BY vocab, term")
            .ctx("preparing vocabulary read")?;
        st.query_map([], |r| {
            Ok(VocabEntry {
                vocab: r.get(0)?,
                term: r.get(1)?,
                definition: r.get(2)?,
                added_by: r.get(3)?,
                added_at: r.get(4)?,
            })
        })
        .ctx("reading vocabulary terms")?
        .collect::<Result<Vec<_>, _>>()
        .ctx("reading vocabulary terms")
    }

    fn add_vocab_term(
        &mut self,
        actor: &str,
        vocab: &str,
        term: &str,
        definition: &str,
    ) -> Result<(), StoreError> {
        check_actor(actor)?;
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if !ok(vocab) || !ok(term) {
            return Err(StoreError::Invalid(
                "vocabulary and term names must be 1–64 characters of a–z, 0–9 and _".into(),
            ));
        }
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO vocab_terms (vocab, term, definition, added_by, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![vocab, term, definition, actor, now_rfc3339()],
            )
            .ctx("adding a vocabulary term")?;
        if n == 0 {
            return Err(StoreError::VocabExists {
                vocab: vocab.into(),
                term: term.into(),
            });
        }
        Ok(())
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        setting_on(&self.conn, key)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        if key.is_empty() || key.starts_with("store.") {
            return Err(StoreError::Invalid(format!(
                "the setting name {key:?} is empty or reserved by the store"
            )));
        }
        set_setting_on(&self.conn, key, value)
    }

    fn change_passphrase(&mut self, old: &str, new: &str) -> Result<(), StoreError> {
        SqliteStore::change_passphrase(self, old, new, None)
    }

    fn optimize(&mut self) -> Result<(), StoreError> {
        SqliteStore::optimize(self)
    }

    fn derive_subkey(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>, StoreError> {
        if purpose.is_empty() || purpose == "sqlcipher-database" || purpose == "keyring-check" {
            return Err(StoreError::Invalid(format!(
                "the key purpose {purpose:?} is empty or reserved"
            )));
        }
        Ok(self.key.derive_subkey(purpose))
    }
}

/// A `ledger` row with, for a revision entry kept as a hash (migration
/// 0007), the columns of its revision row (all NULL if that row is gone).
type RawLedgerRow = (
    i64,
    Vec<u8>,
    Option<i64>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
);

/// Ledger entries from `from_seq` on, revision entries re-encoded from their
/// revision rows (see [`LedgerLeaf::hash`]).
fn ledger_leaves(
    conn: &Connection,
    from_seq: u64,
    limit: usize,
) -> Result<Vec<LedgerLeaf>, StoreError> {
    seq_page(
        conn,
        "SELECT l.seq, l.leaf, l.rev_seq, l.leaf_hash, r.origin, r.id, r.rev, r.op, r.actor, r.at, r.body_sha256 \
         FROM ledger l LEFT JOIN revisions r ON r.seq = l.rev_seq \
         WHERE l.seq >= ?1 ORDER BY l.seq LIMIT ?2",
        from_seq,
        limit,
        ("preparing ledger read", "reading the ledger"),
        decode_ledger_row,
    )
}

/// One page of rows read in sequence order: `sql` takes the sequence bound
/// as `?1` and the page size as `?2` (both clamped to SQLite's integers);
/// each row is read as the tuple `R` and decoded. `ctx` names the prepare
/// and the read step for errors.
fn seq_page<R, T>(
    conn: &Connection,
    sql: &str,
    seq: u64,
    limit: usize,
    ctx: (&'static str, &'static str),
    decode: impl Fn(R) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError>
where
    R: for<'a> TryFrom<&'a rusqlite::Row<'a>, Error = rusqlite::Error>,
{
    let mut st = conn.prepare_cached(sql).ctx(ctx.0)?;
    let raws = st
        .query_map(
            params![
                seq.min(i64::MAX as u64) as i64,
                limit.min(i64::MAX as usize) as i64
            ],
            row_tuple::<R>,
        )
        .ctx(ctx.1)?
        .collect::<Result<Vec<_>, _>>()
        .ctx(ctx.1)?;
    raws.into_iter().map(decode).collect()
}

fn decode_ledger_row(raw: RawLedgerRow) -> Result<LedgerLeaf, StoreError> {
    let (seq, leaf, rev_seq, hash, origin, id, rev, op, actor, at, body_sha256) = raw;
    let Some(rev_seq) = rev_seq else {
        return Ok(LedgerLeaf {
            seq: seq as u64,
            bytes: leaf,
            hash: None,
        });
    };
    let row = seq.to_string();
    let hash: [u8; 32] = hash
        .as_deref()
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| corrupt("ledger", "leaf_hash", &row, "not 32 bytes"))?;
    let bytes = match (origin, id, rev, op, actor, at, body_sha256) {
        (Some(origin), Some(id), Some(rev), Some(op), Some(actor), Some(at), Some(h)) => {
            let op = Op::parse(&op).ok_or_else(|| corrupt("revisions", "op", &id, "unknown op"))?;
            let body_sha256: [u8; 32] = h
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("revisions", "body_sha256", &id, "not 32 bytes"))?;
            crate::leaf::encode_v1(
                rev_seq as u64,
                &origin,
                &id,
                rev as u64,
                op,
                &actor,
                &at,
                &body_sha256,
            )
        }
        // The revision row is gone (or a column is NULL): an entry naming
        // only the revision's seq, which no longer matches any row, so that
        // a check reports the revision as missing; the stored hash still
        // stands for the entry in the tree.
        _ => crate::leaf::encode_v1(rev_seq as u64, "", "", 0, Op::Create, "", "", &[0; 32]),
    };
    Ok(LedgerLeaf {
        seq: seq as u64,
        bytes,
        hash: Some(hash),
    })
}

/// A setting of the database behind `conn`.
pub(crate) fn setting_on(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
    .ctx("reading a setting")
}

/// Write a setting of the database behind `conn` (names unchecked).
pub(crate) fn set_setting_on(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .ctx("writing a setting")?;
    Ok(())
}

fn referrers(conn: &Connection, id: &RecordId, limit: usize) -> Result<Vec<RecordId>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT r.id FROM (SELECT rid FROM record_refs WHERE target = ?1 \
             UNION SELECT rid FROM record_places WHERE place = ?1) x JOIN records r ON r.rid = x.rid \
             WHERE r.id <> ?1 ORDER BY r.id LIMIT ?2",
        )
        .ctx("preparing a reference look-up")?;
    let ids = st
        .query_map(
            params![id.as_str(), limit.min(i64::MAX as usize) as i64],
            |r| r.get::<_, String>(0),
        )
        .ctx("looking up references")?
        .collect::<Result<Vec<_>, _>>()
        .ctx("looking up references")?;
    ids.into_iter()
        .map(|s| RecordId::new(s.clone()).map_err(|e| corrupt("records", "id", &s, e.to_string())))
        .collect()
}

/// A reference that did not resolve when its row was written.
struct Pending {
    row: usize,
    id: String,
    target: String,
    /// The target's interned key.
    key: u32,
}

/// A row error with, for dangling references, the target.
struct CheckedError {
    error: RowError,
    target: Option<String>,
}

/// An open write transaction (`BEGIN IMMEDIATE` … `COMMIT`).
pub(crate) struct SqliteBatch<'a> {
    conn: &'a Connection,
    /// The store's [`SqliteStore::stats_fresh`].
    stats_fresh: &'a std::cell::Cell<bool>,
    origin: &'a str,
    actor: String,
    at: String,
    next_seq: i64,
    next_leaf: i64,
    rows: usize,
    errors: Vec<RowError>,
    pending: Vec<Pending>,
    /// Interned keys known to name a record that exists (a cache for
    /// reference checks; cleared on delete), by key.
    known: Vec<bool>,
    /// The batch's interned ids and facet keys, shared with its
    /// [`Preparer`]s.
    interner: Arc<Mutex<Interner>>,
    summary: BatchSummary,
    done: bool,
    /// Facet rows wait in memory until [`SqliteBatch::flush`].
    staged: std::cell::RefCell<Staged>,
    /// Whether the tombstones table may hold a row (see `begin`).
    tombstones: bool,
    /// Whether this transaction writes through a rollback journal (see
    /// [`SqliteStore::leave_wal`]); the connection returns to WAL when the
    /// batch ends, committed or not.
    bulk: bool,
    /// The per-row INSERTs, prepared once for the batch.
    hot: RowStatements<'a>,
    /// The connection's `cache_size` to restore when a bulk import, which
    /// lowered it, ends (see [`BULK_CACHE_KIB`]).
    restore_cache: Option<i64>,
}

/// The page cache (KiB) of an import into an empty archive. The connection
/// otherwise keeps up to 1 GiB of decrypted pages, which serves readers;
/// an import would fill all of it with pages it only writes once, and the
/// operating system hands a process every fresh page zeroed — 10 % of an
/// encrypted import's samples at 1,000,000 acts, about a seventh of the
/// writer thread's (BENCHMARKS.md). With a small
/// cache the pages of the tables' growing edges stay, the finished ones go
/// to the file early (as they would at COMMIT: the rollback journal of an
/// empty archive holds nothing to sync for them) and their memory is reused.
pub(crate) const BULK_CACHE_KIB: i64 = 64 * 1024;

/// The records' (kind, date) index, as migration 0001 creates it. A bulk
/// import (into an empty archive, see `begin_import_batch`) drops it when it
/// starts and builds it again from the finished table before it commits:
/// records arrive in no date order, so keeping the index meanwhile is a
/// b-tree insert at a random place per record, while building it is one
/// sort (measured: about a tenth of an import's CPU; BENCHMARKS.md).
/// `tests::a_bulk_import_leaves_the_schema_as_it_found_it` holds the text
/// to the migration's.
pub(crate) const RECORDS_KIND_DATE: &str =
    "CREATE INDEX records_kind_date ON records (kind, date_lo)";

/// The three INSERTs every created record runs, held by the batch instead
/// of looked up in rusqlite's statement cache on every row (which hashes
/// and compares the SQL text, and hands the statement back on drop: a few
/// per cent of an import's writer thread). Prepared on first use.
#[derive(Default)]
struct RowStatements<'a> {
    record: Option<RawInsert<'a>>,
    revision: Option<RawInsert<'a>>,
    leaf: Option<RawInsert<'a>>,
}

const INSERT_RECORD: &str = "INSERT INTO records (id, kind, sensitivity, access_groups, has_groups, rev, head_seq, created_seq, \
     date_lo, date_hi, parent, text, facet_keys) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12)";
const INSERT_REVISION: &str = "INSERT INTO revisions (seq, origin, id, rev, op, actor, at, kind, sensitivity, access_groups, body, body_sha256) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
const INSERT_LEAF: &str =
    "INSERT INTO ledger (seq, leaf, rev_seq, leaf_hash) VALUES (?1, x'', ?2, ?3)";

/// The statement in `slot`, prepared from `sql` the first time.
fn held<'s, 'a>(
    slot: &'s mut Option<RawInsert<'a>>,
    conn: &'a Connection,
    sql: &str,
) -> Result<&'s mut RawInsert<'a>, StoreError> {
    if slot.is_none() {
        *slot = Some(RawInsert::prepare(conn, sql).ctx("preparing an insert")?);
    }
    // Just filled if it was empty.
    slot.as_mut()
        .ok_or(StoreError::Invalid("no statement".into()))
}

/// Staged facet rows flush to the database once this many are waiting, so
/// that memory stays bounded on very large imports (8 bytes a row and 24 a
/// record while staged; the 1,000,000-act benchmark stages ≈ 7 million, one
/// flush). Small in tests, so that they exercise flushes in the middle of a
/// batch.
const STAGE_LIMIT: usize = if cfg!(test) { 16 } else { 1 << 23 };

/// Facet rows (places, terms, references) waiting to be written, in this
/// process's memory — never in a file. One sorted pass per flush costs far
/// less than a random b-tree insert per row, and sorting here (on interned
/// keys) avoids SQLite's temp b-tree and sorter. Keys are interned because
/// the same few thousand places, terms and targets repeat on most rows.
///
/// A staged row is only its key (see [`Interner`]) and its record's place
/// in `recs`: the record's dates and rowid are kept once, not on each of
/// its rows. Every byte staged is memory the kernel hands over zeroed, on
/// the writing thread (with 40-byte rows this was an eighth of a large
/// import's writer).
#[derive(Default)]
struct Staged {
    /// (date_lo, date_hi, rid) of each record with staged rows.
    recs: Vec<(i64, i64, i64)>,
    /// (key, index into `recs`)
    places: Vec<(u32, u32)>,
    terms: Vec<(u32, u32)>,
    refs: Vec<(u32, u32)>,
}

/// Staged rows in key order, ready to insert: keys as ranks into `names`.
struct SortedRows {
    /// The interned key of each rank (ranks are byte order of the names).
    by_rank: Vec<u32>,
    /// (rank, wide, date_lo, date_hi, rid), in primary-key order.
    places: Vec<(u32, i64, i64, i64, i64)>,
    terms: Vec<(u32, i64, i64, i64, i64)>,
    /// (rank, rid), in primary-key order.
    refs: Vec<(u32, i64)>,
}

/// The ids and facet keys of one batch, each with a number (its key): the
/// facet rows of a record, the reference checks and the staged rows work
/// on keys. Shared (behind a mutex) between the batch and its [`Preparer`]s,
/// so that an import interns on the thread that prepares its puts and the
/// writer thread only looks numbers up. The same few thousand places, terms
/// and targets repeat on most rows.
#[derive(Default)]
pub(crate) struct Interner {
    /// Keys, found by their name's hash: each name is kept once, in
    /// `names` (a map from names would hold every id twice).
    table: hashbrown::HashTable<u32>,
    names: Vec<String>,
    hasher: foldhash::fast::RandomState,
}

impl Interner {
    fn key(&mut self, k: &str) -> u32 {
        use std::hash::BuildHasher;
        let (names, hasher) = (&self.names, &self.hasher);
        let found = self.table.entry(
            hasher.hash_one(k),
            |&i| names.get(i as usize).is_some_and(|n| n == k),
            |&i| hasher.hash_one(names.get(i as usize).map_or("", |n| n.as_str())),
        );
        match found {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let i = names.len() as u32;
                v.insert(i);
                self.names.push(k.to_string());
                i
            }
        }
    }

    /// The key of `k`, if it has one.
    fn get(&self, k: &str) -> Option<u32> {
        use std::hash::BuildHasher;
        let names = &self.names;
        self.table
            .find(self.hasher.hash_one(k), |&i| {
                names.get(i as usize).is_some_and(|n| n == k)
            })
            .copied()
    }

    /// The keys of a record `id` with index `ix` and [`targets`] `targets`.
    fn keys_of(&mut self, id: &str, ix: &IndexTerms, targets: &[&str]) -> Keys {
        Keys {
            own: self.key(id),
            targets: targets.iter().map(|t| self.key(t)).collect(),
            places: dedup(ix.places.iter().map(|p| p.as_str()))
                .into_iter()
                .map(|p| self.key(p))
                .collect(),
            terms: dedup(ix.terms.iter().map(|t| t.as_str()))
                .into_iter()
                .map(|t| self.key(t))
                .collect(),
        }
    }
}

fn lock(i: &Mutex<Interner>) -> MutexGuard<'_, Interner> {
    // Every change is one insert into both fields, under the lock.
    i.lock().unwrap_or_else(|e| e.into_inner())
}

/// A record's interned keys.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    own: u32,
    /// Of its [`targets`], in that order.
    targets: Vec<u32>,
    /// Of its places and terms, without duplicates.
    places: Vec<u32>,
    terms: Vec<u32>,
}

/// [`Keys`] interned by the [`Interner`] they name.
#[derive(Debug, Clone)]
pub(crate) struct PreparedKeys {
    interner: Arc<Mutex<Interner>>,
    keys: Keys,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} keys)", self.names.len())
    }
}

/// [`Prepared`] of `put` for a batch whose interner is `interner` (if any).
pub(crate) fn prepare(put: Put, interner: Option<&Arc<Mutex<Interner>>>) -> Prepared {
    let targets = targets(put.envelope.id.as_str(), &put.index);
    let derived = derive_with(&put, &targets);
    let keys = interner.map(|i| PreparedKeys {
        interner: i.clone(),
        keys: lock(i).keys_of(put.envelope.id.as_str(), &put.index, &targets),
    });
    Prepared { put, derived, keys }
}

impl Staged {
    fn len(&self) -> usize {
        self.places.len() + self.terms.len() + self.refs.len()
    }

    /// The rows staged so far, sorted as their tables' primary keys (on
    /// `threads` threads if more than one), leaving none staged; `names`
    /// are the interner's.
    fn take_sorted(&mut self, names: &[String], threads: bool) -> SortedRows {
        let recs = std::mem::take(&mut self.recs);
        let (places, terms, refs) = (
            std::mem::take(&mut self.places),
            std::mem::take(&mut self.terms),
            std::mem::take(&mut self.refs),
        );
        // Only the keys these rows use are ranked: the interner also holds
        // every id the batch wrote, most of which no row names.
        let mut used = vec![false; names.len()];
        for &(k, _) in places.iter().chain(&terms).chain(&refs) {
            if let Some(u) = used.get_mut(k as usize) {
                *u = true;
            }
        }
        let mut order: Vec<u32> = (0..names.len() as u32)
            .filter(|&k| used[k as usize])
            .collect();
        // SQLite's BINARY collation is byte order, which is `str`'s order.
        order.sort_unstable_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
        let mut rank = vec![u32::MAX; names.len()];
        for (r, &k) in order.iter().enumerate() {
            rank[k as usize] = r as u32;
        }
        let (rank, recs) = (&rank, &recs);
        let rec = |i: u32| recs.get(i as usize).copied().unwrap_or((0, 0, 0));
        let r = |k: u32| rank.get(k as usize).copied().unwrap_or(u32::MAX);
        let dated = |rows: Vec<(u32, u32)>| {
            let mut out: Vec<(u32, i64, i64, i64, i64)> = rows
                .into_iter()
                .map(|(k, i)| {
                    let (lo, hi, rid) = rec(i);
                    (r(k), wide(lo, hi), lo, hi, rid)
                })
                .collect();
            out.sort_unstable_by_key(|&(k, w, lo, _, rid)| (k, w, lo, rid));
            out
        };
        let plain = |rows: Vec<(u32, u32)>| {
            let mut out: Vec<(u32, i64)> =
                rows.into_iter().map(|(k, i)| (r(k), rec(i).2)).collect();
            out.sort_unstable();
            out
        };
        let (places, terms, refs) = if threads {
            // The reference rows are about as many as the other two.
            std::thread::scope(|sc| {
                let refs = sc.spawn(|| plain(refs));
                let (p, t) = (dated(places), dated(terms));
                (p, t, refs.join())
            })
        } else {
            (dated(places), dated(terms), Ok(plain(refs)))
        };
        let refs = refs.unwrap_or_else(|e| std::panic::resume_unwind(e));
        SortedRows {
            by_rank: order,
            places,
            terms,
            refs,
        }
    }
}

/// The ids a record's index points at, without duplicates or itself. A
/// record has a handful, so a linear scan beats hashing (this runs for
/// every row of an import).
fn targets<'s>(id: &str, ix: &'s IndexTerms) -> Vec<&'s str> {
    dedup(
        ix.refs
            .iter()
            .chain(ix.places.iter())
            .chain(ix.parent.iter())
            .map(|t| t.as_str())
            .filter(|t| *t != id),
    )
}

fn dedup<'s>(items: impl Iterator<Item = &'s str>) -> Vec<&'s str> {
    let mut out: Vec<&str> = Vec::new();
    for s in items {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Rows from which an import into an empty archive analyses the tables
/// before its COMMIT (the service optimizes after imports of 10,000 rows),
/// and from which a batch frees its bookkeeping on another thread.
const ANALYZE_IN_BATCH: usize = if cfg!(test) { 32 } else { 10_000 };

/// Staged facet rows from which a flush sorts on two threads: below this,
/// starting a thread costs more than it saves.
const PARALLEL_SORT: usize = 1 << 16;

/// Rows per multi-row INSERT when flushing facet rows: one statement step
/// per this many rows instead of one per row (the bind and VDBE set-up cost
/// per statement was a third of the flush).
const INSERT_ROWS: usize = 64;

/// Insert `rows` (already in key order) with multi-row INSERT statements of
/// up to [`INSERT_ROWS`] rows; `values` gives one row's `cols` values.
/// Bound in place ([`RawInsert`]): the keys are not copied per row.
fn insert_rows<'r, T>(
    conn: &Connection,
    head: &str,
    cols: usize,
    rows: &'r [T],
    values: impl Fn(&'r T, &mut Vec<crate::raw_insert::Value<'r>>),
) -> Result<(), StoreError> {
    let sql = |n: usize| {
        let one = format!("({})", vec!["?"; cols].join(", "));
        format!("{head}{}", vec![one; n].join(", "))
    };
    let mut full: Option<RawInsert<'_>> = None;
    let mut bound = Vec::with_capacity(INSERT_ROWS * cols);
    for chunk in rows.chunks(INSERT_ROWS) {
        bound.clear();
        for row in chunk {
            values(row, &mut bound);
        }
        if chunk.len() == INSERT_ROWS {
            if full.is_none() {
                full =
                    Some(RawInsert::prepare(conn, &sql(INSERT_ROWS)).ctx("preparing index rows")?);
            }
            if let Some(st) = full.as_mut() {
                st.run(&bound).ctx("writing index rows")?;
            }
        } else {
            // The tail has a length of its own.
            RawInsert::prepare(conn, &sql(chunk.len()))
                .ctx("preparing index rows")?
                .run(&bound)
                .ctx("writing index rows")?;
        }
    }
    Ok(())
}

/// Separators of the `records.facet_keys` column (migration 0006): between
/// its three lists, and between the items of a list.
const KEYS_LIST_SEP: char = '\u{1E}';
const KEYS_ITEM_SEP: char = '\u{1F}';

/// The `facet_keys` of a record: its places, its terms and the reference
/// targets that are neither a place nor the parent — enough to find every
/// index row the record has, in far fewer bytes than its index terms as
/// JSON. Refused (as invalid input, naming the record and not the term) if
/// a term holds a separator; ids cannot.
/// `targets` are the record's [`targets`].
fn encode_facet_keys(id: &str, ix: &IndexTerms, targets: &[&str]) -> Result<String, StoreError> {
    if ix
        .terms
        .iter()
        .any(|t| t.contains(KEYS_LIST_SEP) || t.contains(KEYS_ITEM_SEP))
    {
        return Err(StoreError::Invalid(format!(
            "record {id}: an index term contains a control character"
        )));
    }
    let mut out = String::with_capacity(64);
    fn list(items: &mut dyn Iterator<Item = &str>, out: &mut String) {
        for (i, t) in items.enumerate() {
            if i > 0 {
                out.push(KEYS_ITEM_SEP);
            }
            out.push_str(t);
        }
    }
    let places = dedup(ix.places.iter().map(|p| p.as_str()));
    list(&mut places.iter().copied(), &mut out);
    out.push(KEYS_LIST_SEP);
    list(
        &mut dedup(ix.terms.iter().map(|t| t.as_str())).into_iter(),
        &mut out,
    );
    out.push(KEYS_LIST_SEP);
    let parent = ix.parent.as_ref().map(|p| p.as_str());
    list(
        &mut targets
            .iter()
            .copied()
            .filter(|t| !places.contains(t) && Some(*t) != parent),
        &mut out,
    );
    Ok(out)
}

/// The places, terms and other reference targets of a `facet_keys` value.
fn decode_facet_keys(keys: &str) -> [Vec<&str>; 3] {
    let mut lists = keys.splitn(3, KEYS_LIST_SEP).map(|l| {
        l.split(KEYS_ITEM_SEP)
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    });
    [
        lists.next().unwrap_or_default(),
        lists.next().unwrap_or_default(),
        lists.next().unwrap_or_default(),
    ]
}

/// What a put's rows hold that depends on the put alone (see
/// [`Prepared`]): computed on the caller's thread for an import.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    groups_json: String,
    facet_keys: String,
    text: String,
    date_lo: i64,
    date_hi: i64,
    body_sha256: [u8; 32],
}

/// [`Derived`] of `p` (whose [`targets`] are `targets`), or why the store
/// refuses it.
fn derive_with(p: &Put, targets: &[&str]) -> Result<Derived, String> {
    let id = p.envelope.id.as_str();
    let invalid = |e: StoreError| match e {
        StoreError::Invalid(m) => m,
        e => e.to_string(),
    };
    let groups_json = serde_json::to_string(&p.envelope.access_groups)
        .map_err(|e| format!("access groups of {id}: {e}"))?;
    let facet_keys = encode_facet_keys(id, &p.index, targets).map_err(invalid)?;
    let (date_lo, date_hi) = match (p.index.date_lo, p.index.date_hi) {
        (None, None) => (OPEN_HI, OPEN_LO), // undated: an empty interval
        (lo, hi) => (lo.unwrap_or(OPEN_LO), hi.unwrap_or(OPEN_HI)),
    };
    if date_lo > date_hi && (p.index.date_lo.is_some() || p.index.date_hi.is_some()) {
        return Err(format!(
            "record {id}: its date's lower bound is after its upper bound"
        ));
    }
    Ok(Derived {
        groups_json,
        facet_keys,
        text: p.index.text.join(&TEXT_SEP.to_string()),
        date_lo,
        date_hi,
        body_sha256: sha256(p.body.as_bytes()),
    })
}

/// What an update or a delete needs of the current records row.
struct Current {
    rid: i64,
    rev: i64,
    kind: String,
    sens: i64,
    groups: String,
    keys: String,
    parent: Option<String>,
    lo: i64,
    hi: i64,
}

impl<'a> SqliteBatch<'a> {
    fn exists(&self, id: &str) -> Result<bool, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM records WHERE id = ?1")
            .ctx("preparing a look-up")?;
        st.exists([id]).ctx("looking up a record")
    }

    fn append_revision(
        &mut self,
        id: &str,
        rev: i64,
        op: Op,
        env: &Envelope,
        groups_json: &str,
        body: Option<(&str, &[u8; 32])>,
    ) -> Result<i64, StoreError> {
        // A delete has no body: the hash of the empty string.
        let (body, hash) = match body {
            Some((b, h)) => (Some(b), *h),
            None => (None, sha256(b"")),
        };
        let seq = self.next_seq;
        held(&mut self.hot.revision, self.conn, INSERT_REVISION)?
            .run(&[
                seq.into(),
                self.origin.into(),
                id.into(),
                rev.into(),
                op.as_str().into(),
                (&self.actor).into(),
                (&self.at).into(),
                env.kind.as_str().into(),
                sens_to_int(env.sensitivity).into(),
                groups_json.into(),
                body.into(),
                (&hash[..]).into(),
            ])
            .ctx("writing a revision")?;
        let leaf = crate::leaf::encode_v1(
            seq as u64,
            self.origin,
            id,
            rev as u64,
            op,
            &self.actor,
            &self.at,
            &hash,
        );
        // Only the leaf's hash is kept: the bytes are re-encoded from the
        // revision row when read (migration 0007).
        let leaf_hash = crate::leaf::rfc6962_leaf_hash(&leaf);
        held(&mut self.hot.leaf, self.conn, INSERT_LEAF)?
            .run(&[self.next_leaf.into(), seq.into(), (&leaf_hash[..]).into()])
            .ctx("appending to the ledger")?;
        self.next_seq += 1;
        self.next_leaf += 1;
        self.summary.first_seq.get_or_insert(seq as u64);
        self.summary.last_seq = Some(seq as u64);
        Ok(seq)
    }

    /// Remove the index rows of the records row `cur` (of record `id`).
    fn remove_index_rows(&self, cur: &Current, id: &str) -> Result<(), StoreError> {
        let [places, terms, others] = decode_facet_keys(&cur.keys);
        let (rid, lo) = (cur.rid, cur.lo);
        let w = wide(cur.lo, cur.hi);
        let mut st = self
            .conn
            .prepare_cached(
                "DELETE FROM record_places WHERE place = ?1 AND wide = ?2 AND date_lo = ?3 AND rid = ?4",
            )
            .ctx("prep")?;
        for p in &places {
            st.execute(params![p, w, lo, rid])
                .ctx("removing index rows")?;
        }
        let mut st = self
            .conn
            .prepare_cached(
                "DELETE FROM record_terms WHERE term = ?1 AND wide = ?2 AND date_lo = ?3 AND rid = ?4",
            )
            .ctx("prep")?;
        for t in &terms {
            st.execute(params![t, w, lo, rid])
                .ctx("removing index rows")?;
        }
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM record_refs WHERE target = ?1 AND rid = ?2")
            .ctx("prep")?;
        // The same set as `targets` when the row was written (rows written
        // before migration 0006 list every reference, places included).
        let all = dedup(
            others
                .into_iter()
                .chain(places)
                .chain(cur.parent.as_deref())
                .filter(|t| *t != id),
        );
        for t in all {
            st.execute(params![t, rid]).ctx("removing index rows")?;
        }
        Ok(())
    }

    /// Move staged facet rows into the facet tables, in key order. Called
    /// before anything reads or removes facet rows inside the transaction,
    /// before the reference check, and whenever [`STAGE_LIMIT`] rows wait.
    fn flush(&self) -> Result<(), StoreError> {
        let mut st = self.staged.borrow_mut();
        if st.len() == 0 {
            return Ok(());
        }
        // A large flush is the end of an import: the thread that fed the
        // batch has nothing left to do, so half the sorting goes to the
        // other core.
        let threads = st.len() >= PARALLEL_SORT;
        // A flush in the middle of an import holds the interner (and so the
        // preparing thread) until it is written; it is the writer that the
        // import waits for anyway.
        let interner = lock(&self.interner);
        let sorted = st.take_sorted(&interner.names, threads);
        self.insert_sorted(&interner.names, &sorted)
    }

    /// Write sorted facet rows; `names` are the interned keys they rank.
    fn insert_sorted(&self, names: &[String], rows: &SortedRows) -> Result<(), StoreError> {
        let name = |rank: u32| {
            rows.by_rank
                .get(rank as usize)
                .and_then(|&k| names.get(k as usize))
                .map_or("", |n| n.as_str())
        };
        for (table, key, rows) in [
            ("record_places", "place", &rows.places),
            ("record_terms", "term", &rows.terms),
        ] {
            insert_rows(
                self.conn,
                &format!("INSERT INTO {table} ({key}, wide, date_lo, date_hi, rid) VALUES "),
                5,
                rows,
                |&(k, w, lo, hi, rid), out| {
                    use crate::raw_insert::Value::{Int, Text};
                    out.extend([Text(name(k)), Int(w), Int(lo), Int(hi), Int(rid)])
                },
            )?;
        }
        insert_rows(
            self.conn,
            "INSERT INTO record_refs (target, rid) VALUES ",
            2,
            &rows.refs,
            |&(k, rid), out| {
                use crate::raw_insert::Value::{Int, Text};
                out.extend([Text(name(k)), Int(rid)])
            },
        )
    }

    fn insert_index_rows(&self, rid: i64, keys: &Keys, lo: i64, hi: i64) -> Result<(), StoreError> {
        let full = {
            let mut st = self.staged.borrow_mut();
            let rec = st.recs.len() as u32;
            let before = st.len();
            st.places.extend(keys.places.iter().map(|&k| (k, rec)));
            st.terms.extend(keys.terms.iter().map(|&k| (k, rec)));
            // A place is a reference too, but its place row already says
            // so: readers of references (`referrers`, `Filter::refs`, the
            // batch's reference check) read both tables, and an import
            // writes one row fewer per placed record. Rows written before
            // list places here as well; the readers' UNION does not mind.
            st.refs.extend(
                keys.targets
                    .iter()
                    .filter(|k| !keys.places.contains(k))
                    .map(|&k| (k, rec)),
            );
            if st.len() > before {
                st.recs.push((lo, hi, rid));
            }
            st.len() >= STAGE_LIMIT
        };
        if full {
            self.flush()?;
        }
        Ok(())
    }

    fn set_known(&mut self, key: u32) {
        let k = key as usize;
        if self.known.len() <= k {
            self.known.resize(k + 1, false);
        }
        self.known[k] = true;
    }

    fn is_known(&self, key: u32) -> bool {
        self.known.get(key as usize).copied().unwrap_or(false)
    }

    /// The records row of `id`, if it is live.
    fn current(&self, id: &str) -> Result<Option<Current>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT rid, rev, kind, sensitivity, access_groups, facet_keys, parent, date_lo, date_hi \
                 FROM records WHERE id = ?1",
            )
            .ctx("preparing a look-up")?;
        st.query_row([id], |r| {
            Ok(Current {
                rid: r.get(0)?,
                rev: r.get(1)?,
                kind: r.get(2)?,
                sens: r.get(3)?,
                groups: r.get(4)?,
                keys: r.get(5)?,
                parent: r.get(6)?,
                lo: r.get(7)?,
                hi: r.get(8)?,
            })
        })
        .optional()
        .ctx("looking up")
    }

    /// Write one record; returns its (rev, seq, op). Takes the put by
    /// reference so that the caller keeps the id for a row error without a copy.
    fn put_row(
        &mut self,
        p: &Put,
        pre: Option<(&Result<Derived, String>, Option<&PreparedKeys>)>,
    ) -> Result<(i64, i64, Op), StoreError> {
        let id = p.envelope.id.as_str();
        let existing: Option<Current> = if p.expect == Expect::Absent {
            // A create needs no look-up: the UNIQUE index on records.id
            // refuses an existing id when the row is inserted below.
            None
        } else {
            self.current(id)?
        };
        match (&existing, p.expect) {
            (None, Expect::Rev(_)) => return Err(StoreError::NotFound(p.envelope.id.clone())),
            (Some(_), Expect::Absent) => return Err(StoreError::Exists(p.envelope.id.clone())),
            (Some(cur), Expect::Rev(want)) if cur.rev as u64 != want => {
                return Err(StoreError::Conflict {
                    id: p.envelope.id.clone(),
                    expected: want,
                    actual: cur.rev as u64,
                });
            }
            (Some(cur), _) if cur.kind != p.envelope.kind.as_str() => {
                return Err(StoreError::KindChange {
                    id: p.envelope.id.clone(),
                    from: RecordKind::parse(&cur.kind)
                        .ok_or_else(|| corrupt("records", "kind", id, "unknown kind"))?,
                    to: p.envelope.kind,
                });
            }
            _ => {}
        }
        // The record's targets (computed once: the keys, the derived
        // values and the reference check need them) and keys — both
        // already at hand if the put was prepared for this batch.
        let mut targets_of: Option<Vec<&str>> = None;
        let prepared_keys = pre
            .and_then(|(_, k)| k)
            .filter(|k| Arc::ptr_eq(&k.interner, &self.interner))
            .map(|k| &k.keys);
        let interned;
        let keys = match prepared_keys {
            Some(k) => k,
            None => {
                let t = targets_of.get_or_insert_with(|| targets(id, &p.index));
                interned = lock(&self.interner).keys_of(id, &p.index, t);
                &interned
            }
        };
        // References: resolve now if possible, else remember for check().
        for (i, &k) in keys.targets.iter().enumerate() {
            if self.is_known(k) {
                continue;
            }
            let t = targets_of.get_or_insert_with(|| targets(id, &p.index));
            let Some(&t) = t.get(i) else { continue };
            if self.exists(t)? {
                self.set_known(k);
            } else {
                self.pending.push(Pending {
                    row: self.rows,
                    id: id.to_string(),
                    target: t.to_string(),
                    key: k,
                });
            }
        }
        let computed;
        let d = match pre {
            Some((d, _)) => d,
            None => {
                let t = targets_of.get_or_insert_with(|| targets(id, &p.index));
                computed = derive_with(p, t);
                &computed
            }
        };
        let d = d.as_ref().map_err(|e| StoreError::Invalid(e.clone()))?;
        let Derived {
            groups_json,
            facet_keys,
            text,
            date_lo,
            date_hi,
            body_sha256,
        } = d;
        let (date_lo, date_hi) = (*date_lo, *date_hi);
        let parent = p.index.parent.as_ref().map(|x| x.as_str());
        let has_groups = !p.envelope.access_groups.is_empty();
        let sens = sens_to_int(p.envelope.sensitivity);
        let kind = p.envelope.kind.as_str();

        let (op, rev) = match &existing {
            Some(cur) => (Op::Update, cur.rev + 1),
            None if !self.tombstones => (Op::Create, 1),
            None => {
                let mut st = self
                    .conn
                    .prepare_cached("SELECT rev FROM tombstones WHERE id = ?1")
                    .ctx("preparing a look-up")?;
                let last: Option<i64> = st
                    .query_row([id], |r| r.get(0))
                    .optional()
                    .ctx("looking up")?;
                (Op::Create, last.unwrap_or(0) + 1)
            }
        };
        // The revision is appended after the records row is written, so that
        // a refused create (an existing id) writes nothing at all.
        let seq = self.next_seq;
        match existing {
            Some(cur) => {
                let rid = cur.rid;
                self.flush()?;
                self.remove_index_rows(&cur, id)?;
                let mut st = self
                    .conn
                    .prepare_cached(
                        "UPDATE records SET sensitivity = ?2, access_groups = ?3, has_groups = ?4, rev = ?5, head_seq = ?6, \
                         date_lo = ?7, date_hi = ?8, parent = ?9, text = ?10, facet_keys = ?11 WHERE rid = ?1",
                    )
                    .ctx("preparing an update")?;
                st.execute(params![
                    rid,
                    sens,
                    groups_json,
                    has_groups,
                    rev,
                    seq,
                    date_lo,
                    date_hi,
                    parent,
                    text,
                    facet_keys
                ])
                .ctx("updating a record")?;
                self.append_revision(
                    id,
                    rev,
                    op,
                    &p.envelope,
                    groups_json,
                    Some((&p.body, body_sha256)),
                )?;
                self.insert_index_rows(rid, keys, date_lo, date_hi)?;
                self.summary.updated += 1;
            }
            None => {
                if rev > 1 {
                    let mut st = self
                        .conn
                        .prepare_cached("DELETE FROM tombstones WHERE id = ?1")
                        .ctx("prep")?;
                    st.execute([id]).ctx("clearing a tombstone")?;
                }
                let written = held(&mut self.hot.record, self.conn, INSERT_RECORD)?.run(&[
                    id.into(),
                    kind.into(),
                    sens.into(),
                    groups_json.into(),
                    has_groups.into(),
                    rev.into(),
                    seq.into(),
                    date_lo.into(),
                    date_hi.into(),
                    parent.into(),
                    text.into(),
                    facet_keys.into(),
                ]);
                match written {
                    Ok(_) => {}
                    Err(rusqlite::Error::SqliteFailure(f, _))
                        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
                    {
                        return Err(StoreError::Exists(p.envelope.id.clone()));
                    }
                    Err(e) => {
                        return Err(StoreError::Sqlite {
                            context: "inserting a record",
                            source: e,
                        });
                    }
                }
                let rid = self.conn.last_insert_rowid();
                self.append_revision(
                    id,
                    rev,
                    op,
                    &p.envelope,
                    groups_json,
                    Some((&p.body, body_sha256)),
                )?;
                self.insert_index_rows(rid, keys, date_lo, date_hi)?;
                self.summary.created += 1;
            }
        }
        let own = keys.own;
        self.set_known(own);
        Ok((rev, seq, op))
    }

    fn delete_row(
        &mut self,
        id: &RecordId,
        expected_rev: Option<u64>,
    ) -> Result<Written, StoreError> {
        self.flush()?;
        let Some(cur) = self.current(id.as_str())? else {
            return Err(StoreError::NotFound(id.clone()));
        };
        let (rid, rev) = (cur.rid, cur.rev);
        if let Some(want) = expected_rev {
            if want != rev as u64 {
                return Err(StoreError::Conflict {
                    id: id.clone(),
                    expected: want,
                    actual: rev as u64,
                });
            }
        }
        let by = referrers(self.conn, id, 20)?;
        if !by.is_empty() {
            return Err(StoreError::Referenced { id: id.clone(), by });
        }
        let env = decode_envelope(id.as_str(), &cur.kind, cur.sens, &cur.groups, "records")?;
        let seq =
            self.append_revision(id.as_str(), rev + 1, Op::Delete, &env, &cur.groups, None)?;
        self.remove_index_rows(&cur, id.as_str())?;
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM records WHERE rid = ?1")
            .ctx("prep")?;
        st.execute([rid]).ctx("deleting a record")?;
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO tombstones (id, rev) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET rev = excluded.rev")
            .ctx("prep")?;
        st.execute(params![id.as_str(), rev + 1])
            .ctx("writing a tombstone")?;
        if let Some(k) = lock(&self.interner).get(id.as_str()) {
            if let Some(known) = self.known.get_mut(k as usize) {
                *known = false;
            }
        }
        self.tombstones = true;
        self.summary.deleted += 1;
        Ok(Written {
            id: id.clone(),
            rev: rev as u64 + 1,
            seq: seq as u64,
            op: Op::Delete,
        })
    }

    /// Row errors so far plus unresolved references.
    fn check_rows(&mut self) -> Result<Vec<CheckedError>, StoreError> {
        // Only the check of a reference left open reads facet rows; a bulk
        // import without one leaves its rows staged for `finish`.
        if !self.pending.is_empty() {
            self.flush()?;
        }
        let mut out: Vec<CheckedError> = self
            .errors
            .iter()
            .map(|e| CheckedError {
                error: e.clone(),
                target: None,
            })
            .collect();
        let mut still_refers = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM records r WHERE r.id = ?1 AND \
                 (EXISTS (SELECT 1 FROM record_refs WHERE target = ?2 AND rid = r.rid) \
                  OR EXISTS (SELECT 1 FROM record_places WHERE place = ?2 AND rid = r.rid))",
            )
            .ctx("preparing a reference check")?;
        for p in &self.pending {
            if self.is_known(p.key) || self.exists(&p.target)? {
                continue;
            }
            // The referring row may have been changed or deleted later in the batch.
            if !still_refers
                .exists([&p.id, &p.target])
                .ctx("checking references")?
            {
                continue;
            }
            out.push(CheckedError {
                error: RowError {
                    row: p.row,
                    id: p.id.clone(),
                    reason: format!(
                        "refers to {}, which is neither in the database nor in this batch",
                        p.target
                    ),
                },
                target: Some(p.target.clone()),
            });
        }
        out.sort_by_key(|e| e.error.row);
        Ok(out)
    }

    fn finish(mut self) -> Result<BatchSummary, StoreError> {
        let mut spent = None;
        let mut steps = Vec::new();
        let mut step_start = std::time::Instant::now();
        let mut step = |name: &'static str| {
            steps.push((name, step_start.elapsed()));
            step_start = std::time::Instant::now();
        };
        if self.bulk {
            // The end of a first import: its staged facet rows are sorted on
            // another thread while this one builds the date index (the
            // thread that fed the batch is idle by now), then written.
            let mut staged = std::mem::take(&mut *self.staged.borrow_mut());
            let (conn, interner) = (self.conn, &self.interner);
            let (staged, sorted) = std::thread::scope(|sc| {
                let sorter = sc.spawn(move || {
                    let sorted = staged.take_sorted(&lock(interner).names, false);
                    (staged, sorted)
                });
                let built = conn
                    .execute_batch(RECORDS_KIND_DATE)
                    .ctx("building the date index");
                let sorted = sorter
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                built.map(|_| sorted)
            })?;
            step("date index");
            self.insert_sorted(&lock(&self.interner).names, &sorted)?;
            step("facet rows");
            *self.staged.borrow_mut() = staged;
            spent = Some(sorted);
        } else {
            self.flush()?;
            step("facet rows");
        }
        // A large import into an empty archive refreshes the planner's
        // statistics inside its transaction, while the pages it last wrote
        // are still in the cache: after COMMIT the return to WAL empties
        // the cache, and the same ANALYZE would read and decrypt them again.
        if self.rows >= ANALYZE_IN_BATCH {
            // The interned ids and keys and the sorted rows are no longer
            // needed: a large import lets go of them (a million strings and
            // more) on another thread while this one commits. The interner
            // is freed with its last hold, which may be the import's
            // preparer.
            let interner = std::mem::take(&mut self.interner);
            let staged = std::mem::take(&mut *self.staged.borrow_mut());
            let spent = spent.take();
            let _ = std::thread::Builder::new()
                .name("tumen-store-free".into())
                .spawn(move || drop((interner, staged, spent)));
        }
        // Statistics only help later queries: if ANALYZE fails, the import
        // still commits (the statement alone is undone) and `optimize()`
        // runs as before.
        let analyzed = self.bulk
            && self.rows >= ANALYZE_IN_BATCH
            && self
                .conn
                .execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")
                .is_ok();
        step("analyze");
        self.conn.execute_batch("COMMIT").ctx("committing")?;
        step("commit");
        self.stats_fresh.set(analyzed);
        self.done = true;
        Ok(BatchSummary {
            finish_steps: steps,
            ..std::mem::take(&mut self.summary)
        })
    }

    fn record_error(&mut self, id: &str, e: &StoreError) {
        self.errors.push(RowError {
            row: self.rows,
            id: id.to_string(),
            reason: e.to_string(),
        });
    }
}

#[cfg(test)]
impl SqliteBatch<'_> {
    /// The connection's `PRAGMA cache_size` now.
    pub(crate) fn cache_size(&self) -> i64 {
        self.conn
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .expect("cache size")
    }
}

impl Drop for SqliteBatch<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if let Some(n) = self.restore_cache {
            let _ = self.conn.execute_batch(&format!("PRAGMA cache_size = {n}"));
        }
        if self.bulk {
            // COMMIT or ROLLBACK synced the file, which made every deferred
            // write; this only stops the worker.
            let _ = crate::write_behind::set(self.conn, false);
            // Committed or rolled back, the file is whole: back to WAL. If
            // that fails (another process got in between), the archive
            // stays in rollback-journal mode, which is as safe, until the
            // next open switches it (`connect`).
            let _ = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
        }
    }
}

impl Batch for SqliteBatch<'_> {
    fn put(&mut self, put: Put) -> Result<Written, StoreError> {
        let r = self.put_row(&put, None);
        if let Err(e) = &r {
            self.record_error(put.envelope.id.as_str(), e);
        }
        self.rows += 1;
        let (rev, seq, op) = r?;
        Ok(Written {
            id: put.envelope.id,
            rev: rev as u64,
            seq: seq as u64,
            op,
        })
    }

    fn preparer(&self) -> Preparer {
        Preparer {
            interner: Some(self.interner.clone()),
        }
    }

    fn put_prepared(&mut self, p: &Prepared) -> Result<Written, StoreError> {
        let r = self.put_row(&p.put, Some((&p.derived, p.keys.as_ref())));
        if let Err(e) = &r {
            self.record_error(p.put.envelope.id.as_str(), e);
        }
        self.rows += 1;
        let (rev, seq, op) = r?;
        Ok(Written {
            id: p.put.envelope.id.clone(),
            rev: rev as u64,
            seq: seq as u64,
            op,
        })
    }

    fn delete(&mut self, id: &RecordId, expected_rev: Option<u64>) -> Result<Written, StoreError> {
        let r = self.delete_row(id, expected_rev);
        if let Err(e) = &r {
            self.record_error(id.as_str(), e);
        }
        self.rows += 1;
        r
    }

    fn get(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
        get_record(self.conn, id)
    }

    fn check(&mut self) -> Result<Vec<RowError>, StoreError> {
        Ok(self.check_rows()?.into_iter().map(|e| e.error).collect())
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn commit(mut self: Box<Self>) -> Result<BatchSummary, StoreError> {
        let errors = self.check()?;
        if !errors.is_empty() {
            // Drop rolls back.
            return Err(StoreError::BatchRejected { errors });
        }
        let this = *self;
        this.finish()
    }

    fn rollback(mut self: Box<Self>) -> Result<(), StoreError> {
        self.done = true;
        self.conn.execute_batch("ROLLBACK").ctx("rolling back")
    }
}
