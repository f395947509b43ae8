//! Protection of witnesses by design: access rules, account credentials,
//! secret sharing and safe publication. Pure logic, no I/O.
//!
//! * [`access`] — roles, clearance, need-to-know; the single [`access::check`].

pub mod access;

pub use access::{AccessDenied, Actor, Operation, Role, check};
