//! Protection of witnesses by design: access rules, account credentials,
//! secret sharing and safe publication. Pure logic, no I/O: clocks and
//! randomness come in as arguments.
//!
//! * [`access`] — roles, clearance, need-to-know; the single [`access::check`].
//! * [`accounts`] — Argon2id password hashes, password policy, TOTP, lock-out,
//!   sessions, the serializable [`accounts::User`].
//! * [`backup`] — the backup manifest (files, SHA-256s, key wrap info, MAC) and its verification.
//! * [`publish`] — safe publication: labels, allow-list, pseudonyms, coarsening, k-anonymity.
//! * [`shamir`] — the recovery key split among trustees (GF(2^8) Shamir).
pub mod access;
pub mod accounts;
pub mod backup;
pub mod publish;
pub mod shamir;

pub use access::{AccessDenied, Actor, Operation, Role, check};
