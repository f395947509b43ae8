//! The two hash functions of RFC 6962 §2.1 (restated in RFC 9162 §2.1.1).
//!
//! A leaf is hashed as `SHA-256(0x00 ‖ entry)` and an interior node as
//! `SHA-256(0x01 ‖ left ‖ right)`. The distinct prefixes are the domain
//! separation that stops anyone from presenting an interior node as a leaf
//! (a second-preimage attack on the tree). Everything else in this crate is
//! built from these two functions and nothing else, so that any RFC 6962
//! implementation in any language recomputes the same roots.

use sha2::{Digest, Sha256};

/// A SHA-256 output: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 ‖ entry)`: the hash of one ledger entry as a leaf.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Plain SHA-256 of some bytes (used for record bodies and key ids).
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// Parse a 64-character hex string into a hash.
pub fn hash_from_hex(s: &str) -> Option<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6962 test data (as used by Certificate Transparency's Go and C++
    // implementations, transparency-dev/merkle proof/verify_test.go): the root
    // of the tree holding the single empty entry is its leaf hash.
    #[test]
    fn leaf_hash_of_empty_entry_is_the_published_size_1_root() {
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_round_trip_and_rejects_bad_input() {
        let h = leaf_hash(b"x");
        assert_eq!(hash_from_hex(&hex::encode(h)), Some(h));
        assert_eq!(hash_from_hex("abcd"), None);
        assert_eq!(hash_from_hex(&"zz".repeat(32)), None);
    }
}
