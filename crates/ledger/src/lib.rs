//! tumen-ledger: the tamper-evident ledger, in the manner of Certificate
//! Transparency (RFC 6962, RFC 9162).
//!
//! Every change to a record (and every access to a confidential one, and
//! every custody event of an evidence file) becomes one *entry*: canonical
//! bytes fixed by the layer that knows the change (`tumen-store` for record
//! revisions, `tumen-evidence` for custody events). The entries are the
//! leaves of an append-only Merkle tree; this crate does not interpret them. A [`SignedTreeHead`]
//! commits, under the organisation's Ed25519 key, to the tree's size and
//! root at a moment. From then on:
//!
//! * an *inclusion proof* shows that one record revision is in the tree;
//! * a *consistency proof* shows that a later tree extends an earlier one
//!   (nothing was removed or rewritten in between);
//! * a [`LedgerCheck`] recomputes everything from the database and names
//!   the first altered, removed or reordered entry.
//!
//! The crate is pure: no files, no clock, no randomness of its own. Time and
//! key seeds come in as arguments, so every result can be reproduced by an
//! outside expert with nothing but this crate (or any RFC 6962 code).

pub mod hash;
pub mod head;
pub mod proof;
pub mod time;
pub mod tree;
pub mod verify;

pub use hash::{Hash, empty_root, leaf_hash, node_hash, sha256};
pub use head::{LedgerKey, PublicKey, SignedTreeHead, TreeHead};
pub use proof::{root_from_inclusion_proof, verify_consistency, verify_inclusion};
pub use tree::{Frontier, MerkleTree, root_from_leaf_hashes};
pub use verify::{LedgerCheck, Problem, Recheck, Report};

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("leaf index {index} is outside a tree of {tree_size} entries")]
    IndexBeyondTree { index: u64, tree_size: u64 },
    #[error("tree size {size} is larger than the ledger ({tree_size} entries)")]
    SizeBeyondTree { size: u64, tree_size: u64 },
    #[error("a tree of {old_size} entries cannot be a prefix of one of {new_size}")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    #[error("proof has more hashes than the tree sizes allow")]
    ProofTooLong,
    #[error("proof has fewer hashes than the tree sizes need")]
    ProofTooShort,
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    #[error("signed tree head text, line {line}: {why}")]
    BadHeadText { line: usize, why: &'static str },
    #[error("not a valid Ed25519 public key")]
    BadPublicKey,
    #[error("tree head was signed with a different key than the trusted ledger key")]
    WrongKey,
    #[error("signature does not verify")]
    BadSignature,
}
