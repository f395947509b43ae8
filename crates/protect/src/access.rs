//! The access rules: who may do what to which record.
//!
//! Pure policy, no I/O. `tumen-service` calls [`check`] on every read and
//! write, for the command line and the web alike, so there is exactly one
//! place where need-to-know is decided.

use serde::{Deserialize, Serialize};
use std::fmt;
use tumen_model::{Envelope, RecordKind, Sensitivity};

/// Roles, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, keys, backups; reads everything.
    Administrator,
    /// Records and edits documentation; reads up to confidential.
    Investigator,
    /// Reads up to restricted; runs linkage and estimation; no identities of
    /// confidential records.
    Analyst,
    /// Reviews linkage pairs and publication; reads up to restricted.
    Reviewer,
    /// Reads public records only.
    PublicReader,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Administrator, Role::Investigator, Role::Analyst, Role::Reviewer, Role::PublicReader];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Investigator => "investigator",
            Role::Analyst => "analyst",
            Role::Reviewer => "reviewer",
            Role::PublicReader => "public_reader",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// The most sensitive label this role may read.
    pub fn clearance(self) -> Sensitivity {
        match self {
            Role::Administrator | Role::Investigator => Sensitivity::Confidential,
            Role::Analyst | Role::Reviewer => Sensitivity::Restricted,
            Role::PublicReader => Sensitivity::Public,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Someone acting on the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub role: Role,
    /// Case access groups this user belongs to.
    pub groups: Vec<String>,
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Read,
    Create,
    Update,
    Delete,
    Export,
    ReadHistory,
    /// Decide a linkage review pair / merge or unlink persons.
    Link,
    Publish,
    ManageUsers,
    ManageKeys,
    ExtendVocabulary,
}

/// Why access was refused. Names the record id and operation only — never
/// any content of the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access denied: {user} ({role}) may not {op:?} {kind} {id}: {reason}")]
pub struct AccessDenied {
    pub user: String,
    pub role: Role,
    pub op: Operation,
    pub kind: RecordKind,
    pub id: String,
    pub reason: &'static str,
}

/// Decide whether `actor` may perform `op` on the record described by `env`.
pub fn check(actor: &Actor, op: Operation, env: &Envelope) -> Result<(), AccessDenied> {
    let deny = |reason: &'static str| AccessDenied {
        user: actor.user.clone(),
        role: actor.role,
        op,
        kind: env.kind,
        id: env.id.to_string(),
        reason,
    };
    if env.sensitivity > actor.role.clearance() {
        return Err(deny("the record's sensitivity is above the role's clearance"));
    }
    if actor.role != Role::Administrator
        && !env.access_groups.is_empty()
        && !env.access_groups.iter().any(|g| actor.groups.contains(g))
    {
        return Err(deny("the record is limited to case access groups the user is not in"));
    }
    let allowed = match actor.role {
        Role::Administrator => true,
        Role::Investigator => !matches!(op, Operation::ManageUsers | Operation::ManageKeys),
        Role::Analyst => matches!(op, Operation::Read | Operation::Export | Operation::ReadHistory | Operation::Link),
        Role::Reviewer => matches!(op, Operation::Read | Operation::ReadHistory | Operation::Link | Operation::Publish),
        Role::PublicReader => matches!(op, Operation::Read),
    };
    if allowed { Ok(()) } else { Err(deny("the role does not permit this operation")) }
}
