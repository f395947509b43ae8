-- 0001: records, their index terms, revision history, ledger leaves,
-- user vocabulary terms and system settings.
--
-- Bodies live only in `revisions` (immutable, one row per change);
-- `records` holds the current head of each live record and the indexed
-- terms that filters run on. Dates are inclusive day-number bounds with
-- sentinels: an undated record has date_lo = +max, date_hi = -max (an empty
-- interval, so it overlaps nothing); an open bound is -max / +max.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE revisions (
    seq           INTEGER PRIMARY KEY,          -- monotonically increasing
    origin        TEXT    NOT NULL,             -- replica that made the change
    id            TEXT    NOT NULL,
    rev           INTEGER NOT NULL,             -- per-record revision, 1, 2, ...
    op            TEXT    NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    actor         TEXT    NOT NULL,
    at            TEXT    NOT NULL,             -- RFC 3339, UTC
    kind          TEXT    NOT NULL,
    sensitivity   INTEGER NOT NULL,             -- 0 public, 1 restricted, 2 confidential
    access_groups TEXT    NOT NULL,             -- JSON array
    body          TEXT,                         -- JSON; NULL for a delete
    body_sha256   BLOB    NOT NULL
);
CREATE UNIQUE INDEX revisions_id_rev ON revisions (id, rev);

CREATE TABLE records (
    rid           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    kind          TEXT    NOT NULL,
    sensitivity   INTEGER NOT NULL,
    access_groups TEXT    NOT NULL,             -- JSON array
    has_groups    INTEGER NOT NULL,
    rev           INTEGER NOT NULL,
    head_seq      INTEGER NOT NULL,             -- revisions.seq of the current body
    created_seq   INTEGER NOT NULL,             -- revisions.seq of the creation
    date_lo       INTEGER NOT NULL,
    date_hi       INTEGER NOT NULL,
    parent        TEXT,
    text          TEXT    NOT NULL,             -- searchable labels, joined by U+001F
    index_json    TEXT    NOT NULL              -- the IndexTerms, to undo index rows
);
CREATE INDEX records_kind_date ON records (kind, date_lo);
CREATE INDEX records_parent ON records (parent) WHERE parent IS NOT NULL;

-- Ids of deleted records and their last revision, so that a re-created id
-- continues its revision numbering.
CREATE TABLE tombstones (
    id  TEXT PRIMARY KEY,
    rev INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE record_places (
    place TEXT    NOT NULL,
    rid   INTEGER NOT NULL,
    PRIMARY KEY (place, rid)
) WITHOUT ROWID;

CREATE TABLE record_terms (
    term TEXT    NOT NULL,                      -- vocab:term
    rid  INTEGER NOT NULL,
    PRIMARY KEY (term, rid)
) WITHOUT ROWID;

CREATE TABLE record_refs (
    target TEXT    NOT NULL,
    rid    INTEGER NOT NULL,
    PRIMARY KEY (target, rid)
) WITHOUT ROWID;

-- Leaves of the RFC 6962 Merkle tree (tumen-ledger builds the tree).
CREATE TABLE ledger (
    seq  INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL
);

CREATE TABLE vocab_terms (
    vocab      TEXT NOT NULL,
    term       TEXT NOT NULL,
    definition TEXT NOT NULL,                   -- JSON, defined by tumen-model
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (vocab, term)
) WITHOUT ROWID;

-- History and ledger are append-only, whatever a caller's SQL tries.
CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
