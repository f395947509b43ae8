-- 0006: a records row keeps only the keys of its own index rows, not a JSON
-- copy of its IndexTerms.
--
-- `index_json` (≈ 220 bytes a row) was read back only to find a record's
-- place, term and reference rows when it is updated or deleted; its dates,
-- parent and text already have columns of their own. `facet_keys` holds the
-- places, the terms and the reference targets not already among the places
-- or the parent, as three lists separated by U+001E, items by U+001F (ids
-- and terms never contain either). Old rows keep their full `refs` list: a
-- target listed twice is removed once, so both forms find the same rows.
-- Reading a record no longer returns index terms (the model derives them
-- from the body).

ALTER TABLE records ADD COLUMN facet_keys TEXT NOT NULL DEFAULT '';

UPDATE records SET facet_keys =
       coalesce((SELECT group_concat(j.value, char(31)) FROM json_each(records.index_json, '$.places') j), '')
    || char(30)
    || coalesce((SELECT group_concat(j.value, char(31)) FROM json_each(records.index_json, '$.terms') j), '')
    || char(30)
    || coalesce((SELECT group_concat(j.value, char(31)) FROM json_each(records.index_json, '$.refs') j), '');

ALTER TABLE records DROP COLUMN index_json;
