//! Versioned schema migrations.
//!
//! Each migration is a numbered SQL file `migrations/NNNN_name.sql`,
//! registered in [`MIGRATIONS`] in order. The database's `PRAGMA
//! user_version` is the number of the last one applied; opening a database
//! applies the missing ones, each in its own transaction together with the
//! `user_version` bump, so a failed migration leaves the previous version
//! intact. To add tables (users, custody events, …) add a file and one line
//! here; never edit an applied migration.

use crate::error::{Ctx, StoreError};
use rusqlite::Connection;
use std::path::Path;

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in strictly increasing `version` order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "records",
        sql: include_str!("../migrations/0001_records.sql"),
    },
    Migration {
        version: 2,
        name: "dated_facets",
        sql: include_str!("../migrations/0002_dated_facets.sql"),
    },
    Migration {
        version: 3,
        name: "linkage",
        sql: include_str!("../migrations/0003_linkage.sql"),
    },
    Migration {
        version: 4,
        name: "accounts",
        sql: include_str!("../migrations/0004_accounts.sql"),
    },
    Migration {
        version: 5,
        name: "evidence",
        sql: include_str!("../migrations/0005_evidence.sql"),
    },
    Migration {
        version: 6,
        name: "store_facet_keys",
        sql: include_str!("../migrations/0006_store_facet_keys.sql"),
    },
    Migration {
        version: 7,
        name: "ledger_leaf_hashes",
        sql: include_str!("../migrations/0007_ledger_leaf_hashes.sql"),
    },
    Migration {
        version: 8,
        name: "revisions_op_check",
        sql: include_str!("../migrations/0008_revisions_op_check.sql"),
    },
];

/// The schema version this build creates.
pub fn latest() -> u32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Bring `conn` up to [`latest`]. Returns how many migrations ran.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<usize, StoreError> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .ctx("reading the schema version")?;
    if current > latest() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known: latest(),
        });
    }
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let tx = conn.transaction().ctx("starting a migration")?;
        tx.execute_batch(m.sql).ctx("applying a migration")?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", m.version))
            .ctx("recording the schema version")?;
        tx.commit().ctx("committing a migration")?;
        ran += 1;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase_from_one() {
        assert_eq!(MIGRATIONS.first().map(|m| m.version), Some(1));
        for w in MIGRATIONS.windows(2) {
            assert!(
                w[0].version < w[1].version,
                "migration {} is out of order",
                w[1].name
            );
        }
    }
}
