//! Canonical bytes of a ledger leaf.
//!
//! Every revision appends one leaf to the `ledger` table in the same
//! transaction. `tumen-ledger` hashes leaves as RFC 6962 does
//! (`SHA-256(0x00 || bytes)`) and builds the Merkle tree; this module only
//! fixes the bytes, so that anyone can recompute them from the revision
//! history and detect an altered, removed or reordered change.
//!
//! Layout, version 1 (all integers big-endian, strings UTF-8 with a u32
//! length prefix):
//!
//! ```text
//! u8  0x01            leaf type: record revision, format v1
//! u64 seq             the revision's sequence number
//! str origin          replica id
//! str id              record id
//! u64 rev             per-record revision
//! u8  op              1 create, 2 update, 3 delete
//! str actor
//! str at              RFC 3339 UTC time of the change
//! [32] body_sha256    SHA-256 of the body's JSON text (of "" for a delete)
//! ```
//!
//! Since schema version 7 the `ledger` table keeps, for a revision entry,
//! only its revision's seq and the entry's RFC 6962 leaf hash
//! ([`rfc6962_leaf_hash`]); the bytes above are re-encoded from the revision
//! row when the ledger is read, and the stored hash, not the re-encoded
//! bytes, goes into the tree (`LedgerLeaf::hash`).
//!
//! Type 0x02 is an evidence custody event (`tumen_evidence::custody`).
//!
//! Type 0x03, an access to a confidential record (issue 6: "every access to
//! a confidential record is appended to the ledger"). It commits to who read
//! which record, how and when — never to anything the record holds:
//!
//! ```text
//! u8  0x03            leaf type: confidential access, format v1
//! u64 seq             this entry's ledger seq (1-based)
//! str origin          replica id
//! str actor           user name
//! str at              RFC 3339 UTC time of the access
//! str id              record id
//! str how             read | query | history | export
//! ```
//!
//! Type 0x04, a change to an account (user add, password change, lock,
//! unlock, role change, second factor enrolled). It commits to who changed
//! which account, what was done and when, and to the account's resulting
//! administrative state (role, groups, disabled, second factor enrolled or
//! not), so that `tumen verify` can compare the accounts table with the
//! last entry of each account. Never a password, a hash or a TOTP secret:
//!
//! ```text
//! u8  0x04            leaf type: account change, format v1
//! u64 seq             this entry's ledger seq (1-based)
//! str origin          replica id
//! str actor           who made the change
//! str at              RFC 3339 UTC time of the change
//! str user            the account changed
//! str what            add | passwd | lock | disable | unlock | role | totp
//! str role            the account's role after the change
//! str groups          its case groups after the change, sorted, joined by ","
//! u8  disabled        1 if disabled after the change, else 0
//! u8  totp            1 if a second factor is enrolled after it, else 0
//! ```

use crate::api::Op;

pub const LEAF_REVISION_V1: u8 = 0x01;
/// Evidence custody events (the bytes are fixed by `tumen-evidence`).
pub const LEAF_CUSTODY_V1: u8 = 0x02;
pub const LEAF_ACCESS_V1: u8 = 0x03;
pub const LEAF_ACCOUNT_V1: u8 = 0x04;

/// The fields an account-change entry commits to (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLeaf {
    pub seq: u64,
    pub origin: String,
    pub actor: String,
    pub at: String,
    pub user: String,
    pub what: String,
    pub role: String,
    /// Sorted case groups joined by `,`.
    pub groups: String,
    pub disabled: bool,
    pub totp: bool,
}

impl AccountLeaf {
    /// The groups field for a list of groups: sorted, deduplicated, `,`-joined.
    pub fn groups_field(groups: &[String]) -> String {
        let mut g: Vec<&str> = groups.iter().map(String::as_str).collect();
        g.sort_unstable();
        g.dedup();
        g.join(",")
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.actor.len() + self.user.len());
        out.push(LEAF_ACCOUNT_V1);
        out.extend_from_slice(&self.seq.to_be_bytes());
        for s in [
            &self.origin,
            &self.actor,
            &self.at,
            &self.user,
            &self.what,
            &self.role,
            &self.groups,
        ] {
            put_str(&mut out, s);
        }
        out.push(u8::from(self.disabled));
        out.push(u8::from(self.totp));
        out
    }

    /// Parse leaf bytes; `None` if they are not a well-formed v1 account entry.
    pub fn decode(bytes: &[u8]) -> Option<AccountLeaf> {
        let mut r = Reader { b: bytes };
        if r.u8()? != LEAF_ACCOUNT_V1 {
            return None;
        }
        let flag = |v: u8| match v {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        };
        let leaf = AccountLeaf {
            seq: r.u64()?,
            origin: r.str()?,
            actor: r.str()?,
            at: r.str()?,
            user: r.str()?,
            what: r.str()?,
            role: r.str()?,
            groups: r.str()?,
            disabled: flag(r.u8()?)?,
            totp: flag(r.u8()?)?,
        };
        r.b.is_empty().then_some(leaf)
    }
}

/// The fields an access entry commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLeaf {
    pub seq: u64,
    pub origin: String,
    pub actor: String,
    pub at: String,
    pub id: String,
    pub how: String,
}

impl AccessLeaf {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.actor.len() + self.at.len() + self.id.len());
        out.push(LEAF_ACCESS_V1);
        out.extend_from_slice(&self.seq.to_be_bytes());
        put_str(&mut out, &self.origin);
        put_str(&mut out, &self.actor);
        put_str(&mut out, &self.at);
        put_str(&mut out, &self.id);
        put_str(&mut out, &self.how);
        out
    }

    /// Parse leaf bytes; `None` if they are not a well-formed v1 access entry.
    pub fn decode(bytes: &[u8]) -> Option<AccessLeaf> {
        let mut r = Reader { b: bytes };
        if r.u8()? != LEAF_ACCESS_V1 {
            return None;
        }
        let leaf = AccessLeaf {
            seq: r.u64()?,
            origin: r.str()?,
            actor: r.str()?,
            at: r.str()?,
            id: r.str()?,
            how: r.str()?,
        };
        r.b.is_empty().then_some(leaf)
    }
}

/// The fields a revision leaf commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionLeaf {
    pub seq: u64,
    pub origin: String,
    pub id: String,
    pub rev: u64,
    pub op: Op,
    pub actor: String,
    pub at: String,
    pub body_sha256: [u8; 32],
}

/// The RFC 6962 leaf hash of an entry, `SHA-256(0x00 || bytes)` — what
/// `tumen-ledger` builds its tree from (the store computes it for the
/// revision entries it keeps only the hash of; see migration 0007).
pub fn rfc6962_leaf_hash(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update([0x00]);
    h.update(bytes);
    h.finalize().into()
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The bytes of a v1 revision leaf from borrowed fields: the store writes one
/// per revision, so it builds no [`RevisionLeaf`] (four string copies).
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_v1(
    seq: u64,
    origin: &str,
    id: &str,
    rev: u64,
    op: Op,
    actor: &str,
    at: &str,
    body_sha256: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + origin.len() + id.len() + actor.len() + at.len());
    out.push(LEAF_REVISION_V1);
    out.extend_from_slice(&seq.to_be_bytes());
    put_str(&mut out, origin);
    put_str(&mut out, id);
    out.extend_from_slice(&rev.to_be_bytes());
    out.push(op.code());
    put_str(&mut out, actor);
    put_str(&mut out, at);
    out.extend_from_slice(body_sha256);
    out
}

impl RevisionLeaf {
    /// The entry of revision `r`. `body_sha256` is passed in because
    /// callers differ in what they trust: a verifier recomputes it from the
    /// body, while the store's own reader takes the row's hash column.
    pub fn of(r: &crate::Revision, body_sha256: [u8; 32]) -> Self {
        RevisionLeaf {
            seq: r.seq,
            origin: r.origin.clone(),
            id: r.id.as_str().to_string(),
            rev: r.rev,
            op: r.op,
            actor: r.actor.clone(),
            at: r.at.clone(),
            body_sha256,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        encode_v1(
            self.seq,
            &self.origin,
            &self.id,
            self.rev,
            self.op,
            &self.actor,
            &self.at,
            &self.body_sha256,
        )
    }

    /// Parse leaf bytes; `None` if they are not a well-formed v1 revision leaf.
    pub fn decode(bytes: &[u8]) -> Option<RevisionLeaf> {
        let mut r = Reader { b: bytes };
        if r.u8()? != LEAF_REVISION_V1 {
            return None;
        }
        let seq = r.u64()?;
        let origin = r.str()?;
        let id = r.str()?;
        let rev = r.u64()?;
        let op = match r.u8()? {
            1 => Op::Create,
            2 => Op::Update,
            3 => Op::Delete,
            _ => return None,
        };
        let actor = r.str()?;
        let at = r.str()?;
        let h = r.take(32)?;
        if !r.b.is_empty() {
            return None;
        }
        let mut body_sha256 = [0u8; 32];
        body_sha256.copy_from_slice(h);
        Some(RevisionLeaf {
            seq,
            origin,
            id,
            rev,
            op,
            actor,
            at,
            body_sha256,
        })
    }
}

/// Reads the big-endian fields of a leaf; shared by every leaf type's
/// `decode` (also the linkage leaf in `crate::linkage`).
pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }
    pub(crate) fn str(&mut self) -> Option<String> {
        let n = self
            .take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)? as usize;
        self.take(n)
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_leaf_round_trip_and_exact_layout() {
        let l = AccountLeaf {
            seq: 7,
            origin: "o".into(),
            actor: "admin".into(),
            at: "t".into(),
            user: "ana".into(),
            what: "role".into(),
            role: "analyst".into(),
            groups: AccountLeaf::groups_field(&["case-2".into(), "case-1".into()]),
            disabled: false,
            totp: true,
        };
        let b = l.encode();
        let mut want = vec![4u8, 0, 0, 0, 0, 0, 0, 0, 7];
        for s in ["o", "admin", "t", "ana", "role", "analyst", "case-1,case-2"] {
            want.extend_from_slice(&(s.len() as u32).to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        want.extend_from_slice(&[0, 1]);
        assert_eq!(b, want);
        assert_eq!(AccountLeaf::decode(&b), Some(l));
        assert_eq!(AccountLeaf::decode(&b[..b.len() - 1]), None);
        let mut bad_flag = b.clone();
        if let Some(last) = bad_flag.last_mut() {
            *last = 2;
        }
        assert_eq!(AccountLeaf::decode(&bad_flag), None);
        assert_eq!(AccessLeaf::decode(&b), None);
        assert_eq!(RevisionLeaf::decode(&b), None);
    }

    #[test]
    fn access_leaf_round_trip_and_exact_layout() {
        let l = AccessLeaf {
            seq: 3,
            origin: "o".into(),
            actor: "kim".into(),
            at: "t".into(),
            id: "p-1".into(),
            how: "read".into(),
        };
        let b = l.encode();
        let mut want = vec![3u8, 0, 0, 0, 0, 0, 0, 0, 3];
        for s in ["o", "kim", "t", "p-1", "read"] {
            want.extend_from_slice(&(s.len() as u32).to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        assert_eq!(b, want);
        assert_eq!(AccessLeaf::decode(&b), Some(l));
        assert_eq!(AccessLeaf::decode(&b[..b.len() - 1]), None);
        assert_eq!(RevisionLeaf::decode(&b), None);
    }

    #[test]
    fn encode_decode_round_trip_and_exact_layout() {
        let l = RevisionLeaf {
            seq: 7,
            origin: "o".into(),
            id: "act-1".into(),
            rev: 2,
            op: Op::Update,
            actor: "admin".into(),
            at: "2026-11-28T15:00:00.000Z".into(),
            body_sha256: [0xab; 32],
        };
        let b = l.encode();
        // Hand-assembled expectation of the documented layout.
        let mut want = vec![1u8];
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7]);
        want.extend_from_slice(&[0, 0, 0, 1, b'o']);
        want.extend_from_slice(&[0, 0, 0, 5]);
        want.extend_from_slice(b"act-1");
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2, 2]);
        want.extend_from_slice(&[0, 0, 0, 5]);
        want.extend_from_slice(b"admin");
        want.extend_from_slice(&[0, 0, 0, 24]);
        want.extend_from_slice(b"2026-11-28T15:00:00.000Z");
        want.extend_from_slice(&[0xab; 32]);
        assert_eq!(b, want);
        assert_eq!(RevisionLeaf::decode(&b), Some(l));
        assert_eq!(RevisionLeaf::decode(&b[..b.len() - 1]), None);
        let mut extra = b.clone();
        extra.push(0);
        assert_eq!(RevisionLeaf::decode(&extra), None);
    }
}
