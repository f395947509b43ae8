-- 0008: the `op` check of `revisions` without an IN list.
--
-- SQLite evaluates `CHECK (op IN ('create', 'update', 'delete'))` by
-- building a temporary b-tree of the three strings for every row inserted
-- (open, fill, probe, close): in a large import that was about a tenth of
-- the writer's instructions. Three comparisons accept exactly the same
-- values (`op` is NOT NULL). A CHECK cannot be altered in place, so the
-- table is rebuilt with its rows, seq values, index and append-only
-- triggers unchanged; the migration runs in one transaction.

CREATE TABLE revisions_v8 (
    seq           INTEGER PRIMARY KEY,          -- monotonically increasing
    origin        TEXT    NOT NULL,             -- replica that made the change
    id            TEXT    NOT NULL,
    rev           INTEGER NOT NULL,             -- per-record revision, 1, 2, ...
    op            TEXT    NOT NULL CHECK (op = 'create' OR op = 'update' OR op = 'delete'),
    actor         TEXT    NOT NULL,
    at            TEXT    NOT NULL,             -- RFC 3339, UTC
    kind          TEXT    NOT NULL,
    sensitivity   INTEGER NOT NULL,             -- 0 public, 1 restricted, 2 confidential
    access_groups TEXT    NOT NULL,             -- JSON array
    body          TEXT,                         -- JSON; NULL for a delete
    body_sha256   BLOB    NOT NULL
);

INSERT INTO revisions_v8 (seq, origin, id, rev, op, actor, at, kind, sensitivity, access_groups, body, body_sha256)
SELECT seq, origin, id, rev, op, actor, at, kind, sensitivity, access_groups, body, body_sha256
FROM revisions ORDER BY seq;

-- Dropping the table drops its index and triggers (no trigger fires).
DROP TABLE revisions;
ALTER TABLE revisions_v8 RENAME TO revisions;

CREATE UNIQUE INDEX revisions_id_rev ON revisions (id, rev);

CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
