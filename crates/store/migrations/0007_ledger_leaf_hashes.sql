-- 0007: a revision's ledger entry keeps the hash of its leaf, not the leaf.
--
-- A revision leaf (type 0x01, see `leaf.rs`) holds nothing that its
-- revision row does not: seq, origin, id, rev, op, actor, time and the
-- body's SHA-256. Storing it again cost ≈ 145 bytes a revision. From this
-- version on, a revision's ledger row is written with an empty `leaf`, the
-- revision's seq in `rev_seq` and the RFC 6962 leaf hash
-- (SHA-256(0x00 || leaf bytes)) in `leaf_hash`; reading the ledger
-- re-encodes the bytes from the revision row and hands out the stored hash
-- beside them. The hash is what the Merkle tree is built from, so a
-- revision row changed afterwards no longer matches its entry, exactly as
-- when the bytes were stored. Rows written before keep their bytes (and
-- NULL in both new columns); other leaf types are stored as before.

ALTER TABLE ledger ADD COLUMN rev_seq INTEGER;
ALTER TABLE ledger ADD COLUMN leaf_hash BLOB;
