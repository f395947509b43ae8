-- 0003: record linkage state kept beside the records, never inside them.
--
-- Linking never rewrites a person record: a resolved person is only a set
-- of memberships (record id → resolved person id), so every member record
-- and every spelling it holds stays as it was, and unlinking is deleting
-- memberships. Reviewer decisions and every change of membership are
-- appended to tables that refuse UPDATE and DELETE, so who decided what and
-- when is never lost; the current decision on a pair is its latest row.

CREATE TABLE link_decisions (
    seq      INTEGER PRIMARY KEY,               -- order of decisions; latest wins
    id_a     TEXT    NOT NULL,                  -- id_a < id_b (the pair is unordered)
    id_b     TEXT    NOT NULL,
    decision TEXT    NOT NULL CHECK (decision IN ('same', 'different')),
    note     TEXT,
    actor    TEXT    NOT NULL,
    at       TEXT    NOT NULL,                  -- RFC 3339, UTC
    origin   TEXT    NOT NULL,                  -- replica that recorded it
    CHECK (id_a < id_b)
);
CREATE INDEX link_decisions_pair ON link_decisions (id_a, id_b, seq);

-- Current membership: a record belongs to at most one resolved person.
-- Records in no row are persons on their own.
CREATE TABLE resolved_members (
    record_id   TEXT PRIMARY KEY,
    resolved_id TEXT NOT NULL,
    run         TEXT NOT NULL,                  -- the linkage run (or unlink) that made it
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX resolved_members_resolved ON resolved_members (resolved_id);

-- Every change of membership, append-only: what a run saved, what an unlink
-- removed, by whom and when.
CREATE TABLE linkage_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    origin      TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('run', 'join', 'leave')),
    run         TEXT NOT NULL,
    resolved_id TEXT,
    record_id   TEXT,
    detail      TEXT                            -- JSON summary of a run
);

CREATE TRIGGER link_decisions_no_update BEFORE UPDATE ON link_decisions
BEGIN SELECT RAISE(ABORT, 'link decisions are append-only'); END;
CREATE TRIGGER link_decisions_no_delete BEFORE DELETE ON link_decisions
BEGIN SELECT RAISE(ABORT, 'link decisions are append-only'); END;
CREATE TRIGGER linkage_log_no_update BEFORE UPDATE ON linkage_log
BEGIN SELECT RAISE(ABORT, 'the linkage log is append-only'); END;
CREATE TRIGGER linkage_log_no_delete BEFORE DELETE ON linkage_log
BEGIN SELECT RAISE(ABORT, 'the linkage log is append-only'); END;
