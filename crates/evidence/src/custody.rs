//! Custody events: who did what to which evidence file, when.
//!
//! The Berkeley Protocol asks that every handling of a piece of digital
//! evidence be recorded. Every operation of [`crate::EvidenceStore`] that
//! touches a file returns a [`CustodyEvent`]; the caller (the service
//! layer) appends its canonical bytes to the ledger in the same
//! transaction as the evidence record, so the chain of custody is covered by
//! the signed tree heads like every record revision.
//!
//! Canonical bytes, leaf type 0x02 (the store's record revisions are 0x01);
//! integers big-endian, strings UTF-8 with a u32 length prefix, as in the
//! store's revision leaves:
//!
//! ```text
//! u8   0x02             leaf type: evidence custody event, format v1
//! u64  seq              ledger position assigned by the caller (1-based)
//! str  action           acquire | access | copy | export | verify
//! [32] evidence sha256  SHA-256 of the original's plaintext (its id)
//! str  actor
//! i64  time_ms          milliseconds since the Unix epoch, UTC
//! [32] result sha256    SHA-256 of what was produced (the exported bytes,
//!                       the working copy); the original's hash otherwise
//! str  detail           working copy id, export purpose, "stripped", …
//! ```

use serde::{Deserialize, Serialize};

/// Leaf type byte of custody events in the ledger.
pub const LEAF_CUSTODY_V1: u8 = 0x02;

/// What was done to the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustodyAction {
    /// The file entered the archive (hashed, encrypted, stored).
    Acquire,
    /// The original was decrypted for someone to look at or listen to.
    Access,
    /// A working copy was made from the original.
    Copy,
    /// A copy left the archive (possibly with metadata stripped).
    Export,
    /// The original was decrypted and its hash re-checked.
    Verify,
}

impl CustodyAction {
    /// The word used in the canonical bytes.
    pub fn as_str(self) -> &'static str {
        match self {
            CustodyAction::Acquire => "acquire",
            CustodyAction::Access => "access",
            CustodyAction::Copy => "copy",
            CustodyAction::Export => "export",
            CustodyAction::Verify => "verify",
        }
    }
    /// Parse the word.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "acquire" => CustodyAction::Acquire,
            "access" => CustodyAction::Access,
            "copy" => CustodyAction::Copy,
            "export" => CustodyAction::Export,
            "verify" => CustodyAction::Verify,
            _ => return None,
        })
    }
}

/// One custody event, to be appended to the ledger by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyEvent {
    pub action: CustodyAction,
    /// SHA-256 of the original's plaintext.
    #[serde(with = "hex_array")]
    pub evidence_sha256: [u8; 32],
    pub actor: String,
    pub time_ms: i64,
    /// SHA-256 of what the operation produced (see the module doc).
    #[serde(with = "hex_array")]
    pub result_sha256: [u8; 32],
    /// Free detail: never a witness's name or words (ids, purposes, flags).
    pub detail: String,
}

mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl CustodyEvent {
    /// The canonical ledger entry for this event at ledger position `seq`.
    pub fn leaf_bytes(&self, seq: u64) -> Vec<u8> {
        let mut b = Vec::with_capacity(128 + self.actor.len() + self.detail.len());
        b.push(LEAF_CUSTODY_V1);
        b.extend_from_slice(&seq.to_be_bytes());
        put_str(&mut b, self.action.as_str());
        b.extend_from_slice(&self.evidence_sha256);
        put_str(&mut b, &self.actor);
        b.extend_from_slice(&self.time_ms.to_be_bytes());
        b.extend_from_slice(&self.result_sha256);
        put_str(&mut b, &self.detail);
        b
    }

    /// Decode a custody leaf; `None` unless it is exactly what
    /// [`CustodyEvent::leaf_bytes`] writes. Returns the seq too.
    pub fn from_leaf_bytes(bytes: &[u8]) -> Option<(u64, CustodyEvent)> {
        let mut r = Reader(bytes);
        if r.take(1)? != [LEAF_CUSTODY_V1] {
            return None;
        }
        let seq = r.u64()?;
        let action = CustodyAction::parse(&r.str()?)?;
        let evidence_sha256 = r.hash()?;
        let actor = r.str()?;
        let time_ms = r.u64()? as i64;
        let result_sha256 = r.hash()?;
        let detail = r.str()?;
        if !r.0.is_empty() {
            return None;
        }
        Some((
            seq,
            CustodyEvent {
                action,
                evidence_sha256,
                actor,
                time_ms,
                result_sha256,
                detail,
            },
        ))
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (h, t) = self.0.split_at(n);
        self.0 = t;
        Some(h)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn hash(&mut self) -> Option<[u8; 32]> {
        self.take(32)?.try_into().ok()
    }
    fn str(&mut self) -> Option<String> {
        let n = u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trip_and_strictness() {
        let e = CustodyEvent {
            action: CustodyAction::Export,
            evidence_sha256: [1; 32],
            actor: "kim".into(),
            time_ms: 5,
            result_sha256: [2; 32],
            detail: "stripped".into(),
        };
        let b = e.leaf_bytes(9);
        // Assembled by hand from the module doc.
        let mut want = vec![2u8, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 6];
        want.extend_from_slice(b"export");
        want.extend_from_slice(&[1; 32]);
        want.extend_from_slice(&[0, 0, 0, 3]);
        want.extend_from_slice(b"kim");
        want.extend_from_slice(&5i64.to_be_bytes());
        want.extend_from_slice(&[2; 32]);
        want.extend_from_slice(&[0, 0, 0, 8]);
        want.extend_from_slice(b"stripped");
        assert_eq!(b, want);
        assert_eq!(CustodyEvent::from_leaf_bytes(&b), Some((9, e)));
        for cut in 0..b.len() {
            assert_eq!(CustodyEvent::from_leaf_bytes(&b[..cut]), None, "cut {cut}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert_eq!(CustodyEvent::from_leaf_bytes(&longer), None);
    }
}
