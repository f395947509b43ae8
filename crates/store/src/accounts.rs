//! User accounts, sessions and non-revision ledger entries: the storage half
//! of issue 6's "users, roles and need-to-know" and "every access to a
//! confidential record is in the ledger".
//!
//! Kept apart from [`crate::api::Store`] in a supertrait, [`SecurityStore`],
//! so that a backend implements it in its own file and the record API stays
//! untouched; `Store: SecurityStore`, so `Box<dyn Store>` offers both.
//!
//! The store knows nothing of the rules (password policy, lock-out, TOTP):
//! those are `tumen_protect::accounts`, applied by the service. Rows carry
//! the role as its snake_case word, the groups as a list and the TOTP
//! enrolment as opaque JSON whose secret the service has already sealed.
//! Everything is inside the encrypted database.

use crate::error::{Ctx, StoreError};
use crate::keyring::{KEYRING_FILE, Keyring, RecoverySplit, SlotInfo};
use crate::sqlite::{SqliteStore, row_tuple};
use rusqlite::{OptionalExtension, params};
use std::path::Path;

/// Longest user name accepted (bytes).
pub const MAX_USER_NAME: usize = 64;

/// One account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub name: String,
    /// `tumen_protect::Role::as_str()`.
    pub role: String,
    pub groups: Vec<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// JSON of `tumen_protect::accounts::TotpEnrolment` (sealed secret).
    pub totp: Option<String>,
    /// Unix seconds of recent failed logins.
    pub failures: Vec<i64>,
    pub locked_until: Option<i64>,
    pub disabled: bool,
}

/// One web/API session as stored: the token's hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub user: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen: i64,
    pub idle_secs: i64,
}

/// An evidence file attached to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceLink {
    /// SHA-256 of the original, lower-case hex.
    pub sha256: String,
    pub record_id: String,
    pub note: String,
    pub media_type: String,
    pub size: u64,
    /// JSON object of the tags extracted at acquisition (Exif, GPS).
    pub metadata: String,
    pub added_by: String,
    pub added_at: String,
}

/// Accounts, sessions, evidence links and ledger entries other than record
/// revisions.
pub trait SecurityStore {
    /// Attach an evidence file to a record (idempotent per pair).
    fn link_evidence(&mut self, link: &EvidenceLink) -> Result<(), StoreError>;
    /// The files attached to `record_id`, by hash.
    fn evidence_of(&self, record_id: &str) -> Result<Vec<EvidenceLink>, StoreError>;
    /// The records a file is attached to.
    fn evidence_links(&self, sha256: &str) -> Result<Vec<EvidenceLink>, StoreError>;

    /// Every account, by name.
    fn users(&self) -> Result<Vec<UserRow>, StoreError>;
    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError>;
    /// Create an account; [`StoreError::UserExists`] if the name is taken.
    fn insert_user(&mut self, row: &UserRow) -> Result<(), StoreError>;
    /// Replace an account's row; [`StoreError::UserMissing`] if there is none.
    fn update_user(&mut self, row: &UserRow) -> Result<(), StoreError>;

    fn put_session(&mut self, s: &SessionRow) -> Result<(), StoreError>;
    fn session_by_hash(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError>;
    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;
    /// End every session of `user` (password change, lock).
    fn delete_sessions_of(&mut self, user: &str) -> Result<u64, StoreError>;

    /// Wrap the data key in a recovery slot of the keyring under
    /// `recovery_key` (replacing an earlier one).
    fn set_recovery_slot(
        &mut self,
        recovery_key: &[u8; 32],
        split: RecoverySplit,
    ) -> Result<(), StoreError>;
    /// The keyring's slots, without keys.
    fn key_slots(&self) -> Result<Vec<SlotInfo>, StoreError>;
    /// The database's schema version.
    fn schema_version(&self) -> Result<u32, StoreError>;
    /// Copy a consistent snapshot of the store's own files (keyring,
    /// database, its write-ahead log) into the empty directory `dest`, as
    /// they are on disk: encrypted. Returns their paths relative to `dest`.
    /// Writers are held off while the files are copied.
    fn snapshot_to(&mut self, dest: &Path) -> Result<Vec<String>, StoreError>;

    /// The evidence directory's name inside the data directory (it changes
    /// with a data-key rotation).
    fn evidence_dir(&self) -> String;

    /// Re-encrypt the archive under a new data key (see `crate::rotate`).
    fn rotate_data_key(
        &mut self,
        passphrase: &str,
        reencrypt: &mut dyn FnMut(&crate::rotate::Rotation<'_>) -> Result<(), StoreError>,
    ) -> Result<crate::rotate::RotationOutcome, StoreError>;

    /// Write an account (insert it when `new`, else update it) and append
    /// the one ledger entry `leaf` builds for the change (given its 1-based
    /// seq), in one transaction: an account change is never in the table
    /// without its ledger entry. Returns the entry's seq.
    fn write_user_logged(
        &mut self,
        row: &UserRow,
        new: bool,
        leaf: &mut dyn FnMut(u64) -> Vec<u8>,
    ) -> Result<u64, StoreError>;

    /// Append ledger entries that are not record revisions (access to a
    /// confidential record, evidence custody) in one transaction. `build` is
    /// called with the 1-based ledger seq each entry will have and returns
    /// its canonical bytes, or `None` when there is nothing more. Returns the
    /// seqs written.
    fn append_ledger(
        &mut self,
        build: &mut dyn FnMut(u64) -> Option<Vec<u8>>,
    ) -> Result<Vec<u64>, StoreError>;
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty()
        || name.len() > MAX_USER_NAME
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(StoreError::Invalid(format!(
            "a user name must be 1–{MAX_USER_NAME} bytes of letters, digits, '.', '_' or '-'"
        )));
    }
    Ok(())
}

fn corrupt(column: &'static str, row: &str, why: &str) -> StoreError {
    StoreError::CorruptRow {
        table: "users",
        column,
        row: row.to_string(),
        why: why.to_string(),
    }
}

type RawUser = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    bool,
);

fn decode_user(r: RawUser) -> Result<UserRow, StoreError> {
    let (name, role, groups, password_hash, totp, failures, locked_until, disabled) = r;
    let groups: Vec<String> =
        serde_json::from_str(&groups).map_err(|_| corrupt("groups", &name, "not a JSON list"))?;
    let failures: Vec<i64> = serde_json::from_str(&failures)
        .map_err(|_| corrupt("failures", &name, "not a JSON list of times"))?;
    Ok(UserRow {
        name,
        role,
        groups,
        password_hash,
        totp,
        failures,
        locked_until,
        disabled,
    })
}

const USER_COLUMNS: &str =
    "name, role, groups, password_hash, totp, failures, locked_until, disabled";

fn json_list<T: serde::Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn read_link(r: &rusqlite::Row<'_>) -> rusqlite::Result<EvidenceLink> {
    Ok(EvidenceLink {
        sha256: r.get(0)?,
        record_id: r.get(1)?,
        note: r.get(2)?,
        media_type: r.get(3)?,
        size: r.get::<_, i64>(4)? as u64,
        metadata: r.get(5)?,
        added_by: r.get(6)?,
        added_at: r.get(7)?,
    })
}

const LINK_COLUMNS: &str =
    "sha256, record_id, note, media_type, size, metadata, added_by, added_at";

impl SqliteStore {
    fn links_where(&self, clause: &str, arg: &str) -> Result<Vec<EvidenceLink>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {LINK_COLUMNS} FROM evidence_links WHERE {clause} ORDER BY record_id, sha256"
            ))
            .ctx("preparing an evidence look-up")?;
        st.query_map([arg], read_link)
            .ctx("reading evidence links")?
            .collect::<Result<Vec<_>, _>>()
            .ctx("reading evidence links")
    }
}

impl SecurityStore for SqliteStore {
    fn link_evidence(&mut self, l: &EvidenceLink) -> Result<(), StoreError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO evidence_links ({LINK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (record_id, sha256) DO NOTHING"
                ),
                params![
                    l.sha256,
                    l.record_id,
                    l.note,
                    l.media_type,
                    l.size as i64,
                    l.metadata,
                    l.added_by,
                    l.added_at
                ],
            )
            .ctx("attaching evidence")?;
        Ok(())
    }

    fn evidence_of(&self, record_id: &str) -> Result<Vec<EvidenceLink>, StoreError> {
        self.links_where("record_id = ?1", record_id)
    }

    fn evidence_links(&self, sha256: &str) -> Result<Vec<EvidenceLink>, StoreError> {
        self.links_where("sha256 = ?1", sha256)
    }

    fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        all_users_on(&self.conn)
    }

    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let raw = self
            .conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
                [name],
                row_tuple::<RawUser>,
            )
            .optional()
            .ctx("reading a user")?;
        raw.map(decode_user).transpose()
    }

    fn insert_user(&mut self, row: &UserRow) -> Result<(), StoreError> {
        insert_user_on(&self.conn, row)
    }

    fn update_user(&mut self, row: &UserRow) -> Result<(), StoreError> {
        update_user_on(&self.conn, row)
    }

    fn evidence_dir(&self) -> String {
        self.evidence_dir.clone()
    }

    fn rotate_data_key(
        &mut self,
        passphrase: &str,
        reencrypt: &mut dyn FnMut(&crate::rotate::Rotation<'_>) -> Result<(), StoreError>,
    ) -> Result<crate::rotate::RotationOutcome, StoreError> {
        SqliteStore::rotate_data_key(self, passphrase, reencrypt)
    }

    fn write_user_logged(
        &mut self,
        row: &UserRow,
        new: bool,
        leaf: &mut dyn FnMut(u64) -> Vec<u8>,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction().ctx("starting an account change")?;
        if new {
            insert_user_on(&tx, row)?;
        } else {
            update_user_on(&tx, row)?;
        }
        let mut once = Some(());
        let seqs = append_on(&tx, &mut |seq| once.take().map(|()| leaf(seq)))?;
        tx.commit().ctx("committing an account change")?;
        seqs.first()
            .copied()
            .ok_or_else(|| StoreError::Invalid("an account change wrote no ledger entry".into()))
    }

    fn put_session(&mut self, s: &SessionRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sessions (token_hash, user, created_at, expires_at, last_seen, idle_secs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (token_hash) DO UPDATE SET \
                 last_seen = excluded.last_seen, expires_at = excluded.expires_at",
                params![s.token_hash, s.user, s.created_at, s.expires_at, s.last_seen, s.idle_secs],
            )
            .ctx("writing a session")?;
        Ok(())
    }

    fn session_by_hash(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        self.conn
            .query_row(
                "SELECT token_hash, user, created_at, expires_at, last_seen, idle_secs FROM sessions WHERE token_hash = ?1",
                [token_hash],
                |r| {
                    Ok(SessionRow {
                        token_hash: r.get(0)?,
                        user: r.get(1)?,
                        created_at: r.get(2)?,
                        expires_at: r.get(3)?,
                        last_seen: r.get(4)?,
                        idle_secs: r.get(5)?,
                    })
                },
            )
            .optional()
            .ctx("reading a session")
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .ctx("ending a session")?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, user: &str) -> Result<u64, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM sessions WHERE user = ?1", [user])
            .ctx("ending sessions")?;
        Ok(n as u64)
    }

    fn set_recovery_slot(
        &mut self,
        recovery_key: &[u8; 32],
        split: RecoverySplit,
    ) -> Result<(), StoreError> {
        let mut kr = Keyring::load(&self.dir)?;
        kr.set_recovery(&self.key, recovery_key, split)?;
        kr.save(&self.dir)?;
        Ok(())
    }

    fn key_slots(&self) -> Result<Vec<SlotInfo>, StoreError> {
        Ok(Keyring::load(&self.dir)?.slots())
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ctx("reading the schema version")
    }

    fn snapshot_to(&mut self, dest: &Path) -> Result<Vec<String>, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        // Move the log into the main file first, so the copy is mostly one
        // file; then hold the write lock while copying. Under the lock no one
        // can commit, and copying the main file before the log keeps the pair
        // consistent even if a reader checkpoints in between (the frames
        // stay in the log until the next write).
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .ctx("checkpointing before a backup")?;
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .ctx("locking the database for a backup")?;
        let copy = (|| -> Result<Vec<String>, StoreError> {
            let mut out = Vec::new();
            let db = self.db_file.as_str();
            for name in [
                KEYRING_FILE.to_string(),
                db.to_string(),
                format!("{db}-wal"),
            ] {
                let from = self.dir.join(&name);
                if !from.exists() {
                    continue;
                }
                let to = dest.join(&name);
                std::fs::copy(&from, &to).map_err(io(&to))?;
                std::fs::File::open(&to)
                    .and_then(|f| f.sync_all())
                    .map_err(io(&to))?;
                out.push(name);
            }
            Ok(out)
        })();
        let end = self
            .conn
            .execute_batch("COMMIT")
            .ctx("ending the backup lock");
        let out = copy?;
        end?;
        Ok(out)
    }

    fn append_ledger(
        &mut self,
        build: &mut dyn FnMut(u64) -> Option<Vec<u8>>,
    ) -> Result<Vec<u64>, StoreError> {
        let tx = self.conn.transaction().ctx("starting a ledger append")?;
        let written = append_on(&tx, build)?;
        tx.commit().ctx("committing a ledger append")?;
        Ok(written)
    }
}

/// Run an account statement whose parameters are, in order: name, role,
/// groups, hash, TOTP, failures, locked until, disabled, now.
fn exec_user(
    conn: &rusqlite::Connection,
    sql: &str,
    row: &UserRow,
    what: &'static str,
) -> Result<usize, StoreError> {
    conn.execute(
        sql,
        params![
            row.name,
            row.role,
            json_list(&row.groups),
            row.password_hash,
            row.totp,
            json_list(&row.failures),
            row.locked_until,
            row.disabled,
            now_rfc3339()
        ],
    )
    .ctx(what)
}

fn insert_user_on(conn: &rusqlite::Connection, row: &UserRow) -> Result<(), StoreError> {
    check_name(&row.name)?;
    let n = exec_user(
        conn,
        "INSERT INTO users (name, role, groups, password_hash, totp, failures, locked_until, disabled, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT (name) DO NOTHING",
        row,
        "adding a user",
    )?;
    if n == 0 {
        return Err(StoreError::UserExists(row.name.clone()));
    }
    Ok(())
}

/// Every account, by name.
pub(crate) fn all_users_on(conn: &rusqlite::Connection) -> Result<Vec<UserRow>, StoreError> {
    let mut st = conn
        .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
        .ctx("preparing the user list")?;
    let rows = st
        .query_map([], row_tuple::<RawUser>)
        .ctx("reading users")?
        .collect::<Result<Vec<_>, _>>()
        .ctx("reading users")?;
    rows.into_iter().map(decode_user).collect()
}

pub(crate) fn update_user_on(conn: &rusqlite::Connection, row: &UserRow) -> Result<(), StoreError> {
    let n = exec_user(
        conn,
        "UPDATE users SET role = ?2, groups = ?3, password_hash = ?4, totp = ?5, failures = ?6, \
         locked_until = ?7, disabled = ?8, updated_at = ?9 WHERE name = ?1",
        row,
        "updating a user",
    )?;
    if n == 0 {
        return Err(StoreError::UserMissing(row.name.clone()));
    }
    Ok(())
}

/// Append ledger entries inside the caller's transaction (see
/// [`SecurityStore::append_ledger`]).
fn append_on(
    conn: &rusqlite::Connection,
    build: &mut dyn FnMut(u64) -> Option<Vec<u8>>,
) -> Result<Vec<u64>, StoreError> {
    let mut next: u64 = conn
        .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger", [], |r| {
            r.get::<_, i64>(0)
        })
        .ctx("reading the ledger length")? as u64;
    let mut written = Vec::new();
    let mut st = conn
        .prepare_cached("INSERT INTO ledger (seq, leaf) VALUES (?1, ?2)")
        .ctx("preparing a ledger append")?;
    while let Some(bytes) = build(next) {
        st.execute(params![next as i64, bytes])
            .ctx("appending to the ledger")?;
        written.push(next);
        next += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Store;
    use crate::sqlite::InitOptions;

    fn store(d: &Path) -> SqliteStore {
        SqliteStore::init_with(d, "pw", InitOptions::insecure_fast_for_tests()).unwrap()
    }

    fn row(name: &str) -> UserRow {
        UserRow {
            name: name.into(),
            role: "analyst".into(),
            groups: vec!["case-1".into()],
            password_hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA".into(),
            totp: None,
            failures: vec![1, 2],
            locked_until: Some(99),
            disabled: false,
        }
    }

    #[test]
    fn users_round_trip_and_names_are_unique_and_checked() {
        let d = tempfile::tempdir().unwrap();
        let mut s = store(d.path());
        s.insert_user(&row("ana")).unwrap();
        assert_eq!(s.user("ana").unwrap(), Some(row("ana")));
        assert!(matches!(s.insert_user(&row("ana")), Err(StoreError::UserExists(n)) if n == "ana"));
        for bad in ["", "a b", "../x", "x\n", &"x".repeat(65)] {
            assert!(
                matches!(s.insert_user(&row(bad)), Err(StoreError::Invalid(_))),
                "{bad:?}"
            );
        }
        let mut r = row("ana");
        r.failures.clear();
        r.locked_until = None;
        r.totp = Some("{\"sealed_secret\":\"xc20p:…\"}".into());
        s.update_user(&r).unwrap();
        assert_eq!(s.user("ana").unwrap(), Some(r));
        assert!(matches!(
            s.update_user(&row("bo")),
            Err(StoreError::UserMissing(_))
        ));
        s.insert_user(&row("bo")).unwrap();
        let names: Vec<String> = s.users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["ana", "bo"]);
    }

    #[test]
    fn sessions_are_kept_by_hash_and_ended() {
        let d = tempfile::tempdir().unwrap();
        let mut s = store(d.path());
        let sess = |h: &str, u: &str| SessionRow {
            token_hash: h.into(),
            user: u.into(),
            created_at: 1,
            expires_at: 10,
            last_seen: 1,
            idle_secs: 5,
        };
        s.put_session(&sess("h1", "ana")).unwrap();
        s.put_session(&sess("h2", "ana")).unwrap();
        s.put_session(&sess("h3", "bo")).unwrap();
        let mut touched = sess("h1", "ana");
        touched.last_seen = 4;
        s.put_session(&touched).unwrap();
        assert_eq!(s.session_by_hash("h1").unwrap(), Some(touched));
        s.delete_session("h1").unwrap();
        assert_eq!(s.session_by_hash("h1").unwrap(), None);
        assert_eq!(s.delete_sessions_of("ana").unwrap(), 1);
        assert!(s.session_by_hash("h3").unwrap().is_some());
    }

    #[test]
    fn appended_entries_follow_the_revisions_and_the_snapshot_opens() {
        let d = tempfile::tempdir().unwrap();
        let mut s = store(d.path());
        let mut n = 0;
        let seqs = s
            .append_ledger(&mut |seq| {
                n += 1;
                (n <= 3).then(|| seq.to_be_bytes().to_vec())
            })
            .unwrap();
        assert_eq!(seqs, [1, 2, 3]);
        let leaves = s.ledger_leaves(1, 10).unwrap();
        assert_eq!(leaves.len(), 3);
        assert_eq!(leaves[2].bytes, 3u64.to_be_bytes());
        // Nothing to append is a no-op.
        assert!(s.append_ledger(&mut |_| None).unwrap().is_empty());
        assert_eq!(s.schema_version().unwrap(), crate::migrations::latest());

        s.insert_user(&row("ana")).unwrap();
        let snap = tempfile::tempdir().unwrap();
        let files = s.snapshot_to(snap.path()).unwrap();
        assert!(
            files.contains(&"keyring.json".to_string()) && files.contains(&"tumen.db".to_string())
        );
        drop(s);
        let copy = SqliteStore::open(snap.path(), "pw").unwrap();
        assert_eq!(copy.user("ana").unwrap(), Some(row("ana")));
        assert_eq!(copy.ledger_len().unwrap(), 3);
    }
}
