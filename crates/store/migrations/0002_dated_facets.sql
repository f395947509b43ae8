-- 0002: term and place index rows carry the record's date bounds, so that
-- "date range + act type" and "date range + place" are each one index range
-- scan instead of a scan over every record with that term or place.
--
-- Interval overlap is not a range condition on one column; we split rows in
-- two buckets: `wide = 0` for dated records spanning at most 400 days (the
-- query scans date_lo in [from - 400, to]), `wide = 1` for longer or open
-- intervals (few; scanned on date_lo <= to). Undated records are in bucket 0
-- with the empty-interval sentinels and never match a date range.

CREATE TABLE record_terms_v2 (
    term    TEXT    NOT NULL,
    wide    INTEGER NOT NULL,
    date_lo INTEGER NOT NULL,
    date_hi INTEGER NOT NULL,
    rid     INTEGER NOT NULL,
    PRIMARY KEY (term, wide, date_lo, rid)
) WITHOUT ROWID;

INSERT INTO record_terms_v2 (term, wide, date_lo, date_hi, rid)
SELECT t.term,
       CASE WHEN r.date_lo > r.date_hi THEN 0
            WHEN r.date_lo = -9223372036854775808 OR r.date_hi = 9223372036854775807 THEN 1
            WHEN r.date_hi - r.date_lo > 400 THEN 1
            ELSE 0 END,
       r.date_lo, r.date_hi, t.rid
FROM record_terms t JOIN records r ON r.rid = t.rid;

DROP TABLE record_terms;
ALTER TABLE record_terms_v2 RENAME TO record_terms;

CREATE TABLE record_places_v2 (
    place   TEXT    NOT NULL,
    wide    INTEGER NOT NULL,
    date_lo INTEGER NOT NULL,
    date_hi INTEGER NOT NULL,
    rid     INTEGER NOT NULL,
    PRIMARY KEY (place, wide, date_lo, rid)
) WITHOUT ROWID;

INSERT INTO record_places_v2 (place, wide, date_lo, date_hi, rid)
SELECT p.place,
       CASE WHEN r.date_lo > r.date_hi THEN 0
            WHEN r.date_lo = -9223372036854775808 OR r.date_hi = 9223372036854775807 THEN 1
            WHEN r.date_hi - r.date_lo > 400 THEN 1
            ELSE 0 END,
       r.date_lo, r.date_hi, p.rid
FROM record_places p JOIN records r ON r.rid = p.rid;

DROP TABLE record_places;
ALTER TABLE record_places_v2 RENAME TO record_places;
