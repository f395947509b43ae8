//! The access rules: who may do what to which record.
//!
//! Pure policy, no I/O. `tumen-service` calls [`check`] on every read and
//! write, for the command line and the web alike, so there is exactly one
//! place where need-to-know is decided.
//!
//! The rules, applied in this order (the first refusal wins):
//!
//! 1. **Clearance.** A record labelled above the role's clearance is refused
//!    for every operation: administrators and investigators are cleared up to
//!    confidential, analysts and reviewers up to restricted, public readers
//!    for public records only.
//! 2. **Case access groups.** A record with access groups is refused to
//!    anyone but an administrator who belongs to none of them ("only the team
//!    working this case sees the witness's identity"). Administrators manage
//!    keys and backups and so can read everything anyway; pretending
//!    otherwise would be false comfort.
//! 3. **Never publish the confidential.** `Publish` of a confidential record
//!    is refused for every role, administrators included: publication goes
//!    to the world and cannot be taken back.
//! 4. **Role permissions** (Y = allowed):
//!
//! | role          | Read | Create | Update | Delete | Export | ReadHistory | Link | Publish | ManageUsers | ManageKeys | ExtendVocabulary |
//! |---------------|------|--------|--------|--------|--------|-------------|------|---------|-------------|------------|------------------|
//! | administrator | Y    | Y      | Y      | Y      | Y      | Y           | Y    | Y       | Y           | Y          | Y                |
//! | investigator  | Y    | Y      | Y      | Y      | Y      | Y           | Y    | Y       |             |            | Y                |
//! | analyst       | Y    |        |        |        | Y      | Y           | Y    |         |             |            |                  |
//! | reviewer      | Y    |        |        |        |        | Y           | Y    | Y       |             |            |                  |
//! | public_reader | Y    |        |        |        |        |             |      |         |             |            |                  |
//!
//! The record kind does not change the outcome: need-to-know is carried by
//! the sensitivity label and the access groups, which every kind has. The
//! test `matrix_every_role_kind_sensitivity_operation_and_group` checks all
//! 5 × 7 × 3 × 11 × 3 combinations against this table, written out again
//! in the test.

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
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::Investigator,
        Role::Analyst,
        Role::Reviewer,
        Role::PublicReader,
    ];
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
    /// Publish a record in a public dataset (see `publish`).
    Publish,
    ManageUsers,
    ManageKeys,
    ExtendVocabulary,
}

impl Operation {
    pub const ALL: [Operation; 11] = [
        Operation::Read,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Export,
        Operation::ReadHistory,
        Operation::Link,
        Operation::Publish,
        Operation::ManageUsers,
        Operation::ManageKeys,
        Operation::ExtendVocabulary,
    ];
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
        return Err(deny(
            "the record's sensitivity is above the role's clearance",
        ));
    }
    if actor.role != Role::Administrator
        && !env.access_groups.is_empty()
        && !env.access_groups.iter().any(|g| actor.groups.contains(g))
    {
        return Err(deny(
            "the record is limited to case access groups the user is not in",
        ));
    }
    if op == Operation::Publish && env.sensitivity == Sensitivity::Confidential {
        return Err(deny("confidential records are never published"));
    }
    let allowed = match actor.role {
        Role::Administrator => true,
        Role::Investigator => !matches!(op, Operation::ManageUsers | Operation::ManageKeys),
        Role::Analyst => matches!(
            op,
            Operation::Read | Operation::Export | Operation::ReadHistory | Operation::Link
        ),
        Role::Reviewer => matches!(
            op,
            Operation::Read | Operation::ReadHistory | Operation::Link | Operation::Publish
        ),
        Role::PublicReader => matches!(op, Operation::Read),
    };
    if allowed {
        Ok(())
    } else {
        Err(deny("the role does not permit this operation"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tumen_model::RecordId;

    /// The intended permissions, written out independently of `check`.
    /// Columns in the order of `Operation::ALL`:
    /// Read Create Update Delete Export ReadHistory Link Publish ManageUsers
    /// ManageKeys ExtendVocabulary.
    const PERMISSIONS: [(&str, &str); 5] = [
        ("administrator", "Y Y Y Y Y Y Y Y Y Y Y"),
        ("investigator", "Y Y Y Y Y Y Y Y N N Y"),
        ("analyst", "Y N N N Y Y Y N N N N"),
        ("reviewer", "Y N N N N Y Y Y N N N"),
        ("public_reader", "Y N N N N N N N N N N"),
    ];
    /// Which labels each role may touch at all. Columns: public restricted confidential.
    const CLEARANCE: [(&str, &str); 5] = [
        ("administrator", "Y Y Y"),
        ("investigator", "Y Y Y"),
        ("analyst", "Y Y N"),
        ("reviewer", "Y Y N"),
        ("public_reader", "Y N N"),
    ];

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Groups {
        /// The record has no access groups.
        Unlimited,
        /// The record is limited to groups and the actor is in one of them.
        Member,
        /// The record is limited to groups and the actor is in none.
        Outsider,
    }

    fn yes(table: &[(&str, &str)], role: Role, col: usize) -> bool {
        let row = table
            .iter()
            .find(|(r, _)| *r == role.as_str())
            .expect("role in table")
            .1;
        row.split(' ').nth(col).expect("column in table") == "Y"
    }

    fn expected(
        role: Role,
        kind: RecordKind,
        sens: Sensitivity,
        op: Operation,
        groups: Groups,
    ) -> bool {
        let _ = kind; // by design the kind does not matter
        let sens_col = match sens {
            Sensitivity::Public => 0,
            Sensitivity::Restricted => 1,
            Sensitivity::Confidential => 2,
        };
        let op_col = Operation::ALL
            .iter()
            .position(|o| *o == op)
            .expect("op listed");
        let cleared = yes(&CLEARANCE, role, sens_col);
        let in_group = groups != Groups::Outsider || role == Role::Administrator;
        let never = op == Operation::Publish && sens == Sensitivity::Confidential;
        cleared && in_group && !never && yes(&PERMISSIONS, role, op_col)
    }

    fn setup(role: Role, kind: RecordKind, sens: Sensitivity, groups: Groups) -> (Actor, Envelope) {
        let actor = Actor {
            user: "u".into(),
            role,
            groups: match groups {
                Groups::Member => vec!["other".into(), "case-17".into()],
                _ => vec!["other".into()],
            },
        };
        let env = Envelope {
            id: RecordId::new("rec-1").expect("id"),
            kind,
            sensitivity: sens,
            access_groups: match groups {
                Groups::Unlimited => vec![],
                _ => vec!["case-17".into(), "case-18".into()],
            },
        };
        (actor, env)
    }

    #[test]
    fn matrix_every_role_kind_sensitivity_operation_and_group() {
        let mut cases = 0;
        let mut allowed = 0;
        for role in Role::ALL {
            for kind in RecordKind::ALL {
                for sens in [
                    Sensitivity::Public,
                    Sensitivity::Restricted,
                    Sensitivity::Confidential,
                ] {
                    for op in Operation::ALL {
                        for groups in [Groups::Unlimited, Groups::Member, Groups::Outsider] {
                            let (actor, env) = setup(role, kind, sens, groups);
                            let got = check(&actor, op, &env);
                            let want = expected(role, kind, sens, op, groups);
                            assert_eq!(
                                got.is_ok(),
                                want,
                                "{role} {kind} {sens} {op:?} {groups:?}: {got:?}"
                            );
                            cases += 1;
                            allowed += usize::from(want);
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 5 * 7 * 3 * 11 * 3);
        // Guards against a table that allows nothing or everything.
        assert!(allowed > 0 && allowed < cases);
    }

    #[test]
    fn spot_checks_of_need_to_know() {
        let c = |role, sens, op, groups| {
            let (a, e) = setup(role, RecordKind::Person, sens, groups);
            check(&a, op, &e).is_ok()
        };
        use Groups::*;
        use Operation::*;
        // A witness's confidential identity: investigators on the case only.
        assert!(c(
            Role::Investigator,
            Sensitivity::Confidential,
            Read,
            Member
        ));
        assert!(!c(
            Role::Investigator,
            Sensitivity::Confidential,
            Read,
            Outsider
        ));
        assert!(!c(Role::Analyst, Sensitivity::Confidential, Read, Member));
        assert!(!c(
            Role::Analyst,
            Sensitivity::Confidential,
            Export,
            Unlimited
        ));
        assert!(!c(
            Role::Analyst,
            Sensitivity::Confidential,
            ReadHistory,
            Unlimited
        ));
        assert!(!c(
            Role::PublicReader,
            Sensitivity::Restricted,
            Read,
            Unlimited
        ));
        // Escalation: no one below administrator manages users or keys.
        for role in [
            Role::Investigator,
            Role::Analyst,
            Role::Reviewer,
            Role::PublicReader,
        ] {
            assert!(!c(role, Sensitivity::Public, ManageUsers, Unlimited));
            assert!(!c(role, Sensitivity::Public, ManageKeys, Unlimited));
        }
        assert!(!c(
            Role::Administrator,
            Sensitivity::Confidential,
            Publish,
            Unlimited
        ));
        assert!(c(
            Role::Reviewer,
            Sensitivity::Restricted,
            Publish,
            Unlimited
        ));
    }

    #[test]
    fn refusal_names_id_and_operation_but_no_content() {
        let (a, e) = setup(
            Role::Analyst,
            RecordKind::Person,
            Sensitivity::Confidential,
            Groups::Unlimited,
        );
        let err = check(&a, Operation::Read, &e).expect_err("denied");
        let msg = err.to_string();
        assert!(
            msg.contains("rec-1") && msg.contains("Read") && msg.contains("analyst"),
            "{msg}"
        );
        assert!(msg.contains("clearance"), "{msg}");
    }
}
