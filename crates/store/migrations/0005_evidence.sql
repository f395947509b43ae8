-- 0005: evidence files attached to records (issue 6, chain of custody).
--
-- The files themselves are encrypted and content-addressed under
-- DIR/evidence (tumen-evidence); this table says which record each file
-- documents, who attached it, and what metadata (Exif, GPS) was extracted
-- at acquisition. Custody events are entries of the ledger (leaf type 0x02).

CREATE TABLE evidence_links (
    sha256     TEXT NOT NULL,                   -- SHA-256 of the original, hex
    record_id  TEXT NOT NULL,
    note       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    metadata   TEXT NOT NULL,                   -- JSON object of extracted tags
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL,                   -- RFC 3339 UTC
    PRIMARY KEY (record_id, sha256)
) WITHOUT ROWID;
CREATE INDEX evidence_links_sha256 ON evidence_links (sha256);
