//! A prepared statement run with its values bound in place, not copied.
//!
//! rusqlite binds text and blobs as `SQLITE_TRANSIENT`: SQLite allocates a
//! buffer and copies every value before the statement runs. For the three
//! INSERTs every imported record runs (the record, its revision with its
//! body, its ledger entry) those copies were about 5 % of the writer thread
//! of a large import. [`RawInsert::run`] binds with `SQLITE_STATIC`, which
//! is sound only while the values outlive the step: it binds, steps, resets
//! and clears the bindings inside one call that borrows them, so no pointer
//! to a value outlives the call.

use rusqlite::Connection;
use rusqlite::ffi;
use std::ffi::c_int;
use std::marker::PhantomData;

/// One value to bind.
#[derive(Clone, Copy)]
pub(crate) enum Value<'v> {
    Int(i64),
    Text(&'v str),
    Blob(&'v [u8]),
    Null,
}

impl<'v> From<i64> for Value<'v> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl<'v> From<bool> for Value<'v> {
    fn from(v: bool) -> Self {
        Value::Int(v.into())
    }
}

impl<'v> From<&'v str> for Value<'v> {
    fn from(v: &'v str) -> Self {
        Value::Text(v)
    }
}

impl<'v> From<&'v String> for Value<'v> {
    fn from(v: &'v String) -> Self {
        Value::Text(v)
    }
}

impl<'v> From<&'v [u8]> for Value<'v> {
    fn from(v: &'v [u8]) -> Self {
        Value::Blob(v)
    }
}

impl<'v> From<Option<&'v str>> for Value<'v> {
    fn from(v: Option<&'v str>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

/// A statement that writes and returns no rows, prepared once on a
/// connection it must not outlive.
pub(crate) struct RawInsert<'c> {
    stmt: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    params: usize,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> RawInsert<'c> {
    pub(crate) fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        // SAFETY: the connection is open for 'c; SQLite copies the SQL text.
        let db = unsafe { conn.handle() };
        let mut stmt = std::ptr::null_mut();
        // SAFETY: as above; `stmt` receives the statement or NULL.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                sql.as_ptr().cast(),
                sql.len() as c_int,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            // SAFETY: finalizing NULL is a no-op.
            unsafe { ffi::sqlite3_finalize(stmt) };
            return Err(error(db, rc));
        }
        // SAFETY: a prepared statement.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt) } as usize;
        Ok(RawInsert {
            stmt,
            db,
            params,
            _conn: PhantomData,
        })
    }

    /// Bind `values` to parameters 1, 2, … (all of them), run the statement
    /// to completion and reset it.
    pub(crate) fn run(&mut self, values: &[Value<'_>]) -> rusqlite::Result<()> {
        if values.len() != self.params {
            return Err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                self.params,
            ));
        }
        let mut rc = ffi::SQLITE_OK;
        for (i, v) in values.iter().enumerate() {
            let i = i as c_int + 1;
            // SAFETY: `self.stmt` is prepared; text and blob pointers are
            // borrowed for this call, and the bindings are cleared before
            // it returns (SQLITE_STATIC: SQLite reads them during the step).
            rc = unsafe {
                match *v {
                    Value::Int(n) => ffi::sqlite3_bind_int64(self.stmt, i, n),
                    Value::Text(t) => ffi::sqlite3_bind_text(
                        self.stmt,
                        i,
                        t.as_ptr().cast(),
                        t.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Blob(b) => ffi::sqlite3_bind_blob(
                        self.stmt,
                        i,
                        b.as_ptr().cast(),
                        b.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Null => ffi::sqlite3_bind_null(self.stmt, i),
                }
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
        }
        if rc == ffi::SQLITE_OK {
            // SAFETY: a prepared statement with every parameter bound.
            rc = match unsafe { ffi::sqlite3_step(self.stmt) } {
                ffi::SQLITE_DONE | ffi::SQLITE_ROW => ffi::SQLITE_OK,
                rc => rc,
            };
        }
        let result = if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error(self.db, rc))
        };
        // SAFETY: a prepared statement; after this no binding points at
        // the borrowed values.
        unsafe {
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
        }
        result
    }
}

impl Drop for RawInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: prepared by us, finalized once.
        unsafe { ffi::sqlite3_finalize(self.stmt) };
    }
}

/// The connection's error for the failed call that returned `rc`.
fn error(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is open; the message is copied before the next call.
    let (code, msg) = unsafe {
        let code = ffi::sqlite3_extended_errcode(db);
        let msg = ffi::sqlite3_errmsg(db);
        let msg =
            (!msg.is_null()).then(|| std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned());
        (code, msg)
    };
    // The extended code names the constraint (UNIQUE, CHECK, …); fall back
    // to the call's own code if the connection has none.
    let code = if code == ffi::SQLITE_OK { rc } else { code };
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_bound_and_errors_keep_their_extended_code() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, b BLOB, z TEXT)")
            .unwrap();
        let mut ins = RawInsert::prepare(&c, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)").unwrap();
        for i in 0..3i64 {
            // Values that die right after the call.
            let k = format!("key-{i}-{}", "é".repeat(i as usize));
            let b = vec![i as u8; 5];
            ins.run(&[Value::Text(&k), i.into(), Value::Blob(&b), Value::Null])
                .unwrap();
        }
        let dup = ins
            .run(&["key-0-".into(), 9i64.into(), Value::Null, Value::Null])
            .unwrap_err();
        assert!(
            matches!(&dup, rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
            "{dup:?}"
        );
        assert!(matches!(
            ins.run(&[Value::Null]),
            Err(rusqlite::Error::InvalidParameterCount(1, 4))
        ));
        let rows: Vec<(String, i64, Vec<u8>, Option<String>)> = c
            .prepare("SELECT k, n, b, z FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("key-0-".to_string(), 0, vec![0; 5], None),
                ("key-1-é".to_string(), 1, vec![1; 5], None),
                ("key-2-éé".to_string(), 2, vec![2; 5], None),
            ]
        );
        assert!(RawInsert::prepare(&c, "INSERT INTO nowhere VALUES (1)").is_err());
    }
}
