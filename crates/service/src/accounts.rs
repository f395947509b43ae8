//! Accounts through the service: logging in (with lock-out and the second
//! factor), managing users (administrators only), and web/API sessions.
//!
//! The rules are `tumen_protect::accounts` (pure functions over a `User`);
//! the rows are the store's ([`tumen_store::UserRow`]); this module moves
//! between the two, passes in the clock (`now`, Unix seconds, from the
//! caller so tests can fix it) and the operating system's randomness, and
//! seals the TOTP secret with XChaCha20-Poly1305 under the data key's
//! `"totp-secrets"` subkey (associated data: the user name), so even a copy
//! of the decrypted database does not hand out second factors.
//!
//! Error messages name the user, never a password, a code or a secret.
//!
//! Every administrative change to an account (add, password, lock or
//! disable, unlock, role and groups, second factor) is written together
//! with an account entry in the tamper-evident ledger
//! (`tumen_store::leaf::AccountLeaf`: who, when, what, and the account's
//! resulting role, groups, disabled flag and whether a second factor is
//! enrolled — never a password, hash or secret), in one transaction.
//! `tumen verify` compares the accounts table with each account's last
//! entry ([`account_states`]), so a role raised directly in the table is
//! found. Failed logins and the automatic lock-out they cause are not
//! entries: they change no administrative state.

use crate::Archive;
use crate::error::ServiceError;
use crate::session::{Session, archive_envelope};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use tumen_protect::accounts::{
    self, HashParams, LockoutPolicy, LoginError, SealedSecret, SessionPolicy, SessionRecord,
    TotpConfig, TotpEnrolment, TotpSecret, User,
};
use tumen_protect::{Actor, Operation, Role, check};
use tumen_store::leaf::AccountLeaf;
use tumen_store::{SessionRow, Store, StoreError, UserRow};
use zeroize::Zeroizing;

/// Key purpose of the TOTP sealing key.
const TOTP_KEY_PURPOSE: &str = "totp-secrets";

/// An account as an administrator sees it: no hash, no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub name: String,
    pub role: Role,
    pub groups: Vec<String>,
    pub totp: bool,
    /// Locked until (Unix seconds), when locked at the time asked.
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub recent_failures: usize,
}

/// A second factor just enrolled: shown once to the user, never again.
pub struct TotpEnrolled {
    pub secret_base32: Zeroizing<String>,
    pub uri: Zeroizing<String>,
}

fn to_user(row: UserRow) -> Result<User, ServiceError> {
    let role = Role::parse(&row.role).ok_or_else(|| {
        ServiceError::Store(StoreError::CorruptRow {
            table: "users",
            column: "role",
            row: row.name.clone(),
            why: "not a role".into(),
        })
    })?;
    let totp = row
        .totp
        .as_deref()
        .map(serde_json::from_str::<TotpEnrolment>)
        .transpose()
        .map_err(|_| {
            ServiceError::Store(StoreError::CorruptRow {
                table: "users",
                column: "totp",
                row: row.name.clone(),
                why: "not a TOTP enrolment".into(),
            })
        })?;
    Ok(User {
        name: row.name,
        role,
        groups: row.groups,
        password_hash: row.password_hash,
        totp,
        failures: row.failures,
        locked_until: row.locked_until,
        disabled: row.disabled,
    })
}

fn to_row(u: &User) -> UserRow {
    UserRow {
        name: u.name.clone(),
        role: u.role.as_str().to_string(),
        groups: u.groups.clone(),
        password_hash: u.password_hash.clone(),
        // Serializing plain structs of strings and numbers cannot fail.
        totp: u.totp.as_ref().and_then(|t| serde_json::to_string(t).ok()),
        failures: u.failures.clone(),
        locked_until: u.locked_until,
        disabled: u.disabled,
    }
}

fn account_leaf(
    user: &User,
    seq: u64,
    origin: &str,
    actor: &str,
    at: &str,
    what: &str,
) -> AccountLeaf {
    AccountLeaf {
        seq,
        origin: origin.to_string(),
        actor: actor.to_string(),
        at: at.to_string(),
        user: user.name.clone(),
        what: what.to_string(),
        role: user.role.as_str().to_string(),
        groups: AccountLeaf::groups_field(&user.groups),
        disabled: user.disabled,
        totp: user.totp.is_some(),
    }
}

/// An account's administrative state as an account entry in the ledger
/// records it (no hash, no secret), for `tumen verify` to compare with the
/// last entry of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub user: String,
    pub role: String,
    /// Sorted groups joined by `,` (as in the entry).
    pub groups: String,
    pub disabled: bool,
    pub totp: bool,
}

impl AccountState {
    /// The state an account entry says the account was left in.
    pub fn of_leaf(l: &AccountLeaf) -> AccountState {
        AccountState {
            user: l.user.clone(),
            role: l.role.clone(),
            groups: l.groups.clone(),
            disabled: l.disabled,
            totp: l.totp,
        }
    }
}

/// Compare the accounts table with the last account entry of each account
/// in the ledger (`last`, in any order; later entries of the same account
/// replace earlier ones). Returns one line per disagreement, naming the
/// account and the differing fields (role, groups, disabled, second factor:
/// administrative facts, no secret).
pub fn compare_accounts(last: &[AccountState], table: &[AccountState]) -> Vec<String> {
    use std::collections::BTreeMap;
    let ledger: BTreeMap<&str, &AccountState> = last.iter().map(|s| (s.user.as_str(), s)).collect();
    let now: BTreeMap<&str, &AccountState> = table.iter().map(|s| (s.user.as_str(), s)).collect();
    let mut out = Vec::new();
    for (name, t) in &now {
        match ledger.get(name) {
            None => out.push(format!(
                "account {name} is in the accounts table but no ledger entry created it"
            )),
            Some(l) => {
                let mut d = Vec::new();
                if l.role != t.role {
                    d.push(format!("role {} (ledger: {})", t.role, l.role));
                }
                if l.groups != t.groups {
                    d.push(format!("groups [{}] (ledger: [{}])", t.groups, l.groups));
                }
                if l.disabled != t.disabled {
                    d.push(format!("disabled {} (ledger: {})", t.disabled, l.disabled));
                }
                if l.totp != t.totp {
                    d.push(format!("second factor {} (ledger: {})", t.totp, l.totp));
                }
                if !d.is_empty() {
                    out.push(format!(
                        "account {name} differs from its last ledger entry: {}",
                        d.join(", ")
                    ));
                }
            }
        }
    }
    for name in ledger.keys() {
        if !now.contains_key(name) {
            out.push(format!(
                "account {name} has ledger entries but is missing from the accounts table"
            ));
        }
    }
    out
}

/// Every account's state as the accounts table holds it now, by name.
pub(crate) fn account_states(store: &dyn Store) -> Result<Vec<AccountState>, ServiceError> {
    store
        .users()?
        .into_iter()
        .map(|r| {
            Ok(AccountState {
                user: r.name.clone(),
                role: r.role.clone(),
                groups: AccountLeaf::groups_field(&r.groups),
                disabled: r.disabled,
                totp: r.totp.is_some(),
            })
        })
        .collect()
}

fn totp_cipher(store: &dyn Store) -> Result<XChaCha20Poly1305, ServiceError> {
    cipher_of(&*store.derive_subkey(TOTP_KEY_PURPOSE)?)
}

fn cipher_of(key: &[u8; 32]) -> Result<XChaCha20Poly1305, ServiceError> {
    XChaCha20Poly1305::new_from_slice(&key[..])
        .map_err(|_| ServiceError::Account("the TOTP sealing key has the wrong length".into()))
}

/// Re-seal the TOTP secret of an enrolment (its JSON, as the store keeps
/// it) from the `old` to the `new` sealing key: for a data-key rotation.
pub(crate) fn reseal_totp(
    user: &str,
    enrolment_json: &str,
    old: &tumen_store::Rotation<'_>,
) -> Result<String, ServiceError> {
    let damaged = || ServiceError::Account(format!("the second factor of user {user} is damaged"));
    let mut e: TotpEnrolment = serde_json::from_str(enrolment_json).map_err(|_| damaged())?;
    let secret = unseal_with(
        &cipher_of(&*old.old_subkey(TOTP_KEY_PURPOSE)?)?,
        user,
        &e.sealed_secret,
    )?;
    e.sealed_secret = seal_with(
        &cipher_of(&*old.new_subkey(TOTP_KEY_PURPOSE)?)?,
        user,
        &secret,
    )?;
    serde_json::to_string(&e).map_err(|_| damaged())
}

fn seal(store: &dyn Store, user: &str, secret: &TotpSecret) -> Result<SealedSecret, ServiceError> {
    seal_with(&totp_cipher(store)?, user, secret)
}

fn seal_with(
    cipher: &XChaCha20Poly1305,
    user: &str,
    secret: &TotpSecret,
) -> Result<SealedSecret, ServiceError> {
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: user.as_bytes(),
            },
        )
        .map_err(|_| ServiceError::Account("sealing the TOTP secret failed".into()))?;
    Ok(SealedSecret(format!(
        "xc20p:{}:{}",
        hex::encode(nonce),
        hex::encode(ct)
    )))
}

fn unseal(store: &dyn Store, user: &str, s: &SealedSecret) -> Result<TotpSecret, ServiceError> {
    unseal_with(&totp_cipher(store)?, user, s)
}

fn unseal_with(
    cipher: &XChaCha20Poly1305,
    user: &str,
    s: &SealedSecret,
) -> Result<TotpSecret, ServiceError> {
    let damaged = || ServiceError::Account(format!("the second factor of user {user} is damaged"));
    let mut parts = s.0.splitn(3, ':');
    let (Some("xc20p"), Some(n), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(damaged());
    };
    let nonce = hex::decode(n).map_err(|_| damaged())?;
    let ct = hex::decode(c).map_err(|_| damaged())?;
    if nonce.len() != 24 {
        return Err(damaged());
    }
    let pt = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: user.as_bytes(),
                },
            )
            .map_err(|_| damaged())?,
    );
    TotpSecret::new(pt.to_vec()).map_err(|_| damaged())
}

impl Archive {
    /// Log `name` in at `now` with their password (and one-time code when
    /// they enrolled a second factor). Failures count towards the lock-out
    /// and are stored whatever the outcome; an unknown name costs a full
    /// hash verification, like a known one.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        totp_code: Option<&str>,
        now: i64,
    ) -> Result<Actor, ServiceError> {
        let mut store = self.store()?;
        let Some(row) = store.user(name)? else {
            accounts::verify_unknown_user(password);
            return Err(ServiceError::LoginRefused {
                user: name.to_string(),
                why: LoginError::BadPassword,
            });
        };
        let mut user = to_user(row)?;
        let secret = match &user.totp {
            Some(t) => Some(unseal(store.as_ref(), name, &t.sealed_secret)?),
            None => None,
        };
        let result = accounts::authenticate(
            &mut user,
            password,
            totp_code,
            secret.as_ref(),
            now,
            &LockoutPolicy::default(),
        );
        store.update_user(&to_row(&user))?;
        match result {
            Ok(()) => Ok(user.actor()),
            Err(why) => Err(ServiceError::LoginRefused {
                user: name.to_string(),
                why,
            }),
        }
    }

    /// Start a web/API session for an actor who just logged in: the bearer
    /// token for the client (only its hash is stored).
    pub fn start_session(
        &self,
        actor: &Actor,
        now: i64,
    ) -> Result<accounts::SessionToken, ServiceError> {
        let (token, rec) = accounts::new_session(
            &mut rand::rng(),
            &actor.user,
            now,
            &SessionPolicy::default(),
        );
        let mut store = self.store()?;
        store.put_session(&SessionRow {
            token_hash: rec.token_hash,
            user: rec.user,
            created_at: rec.created_at,
            expires_at: rec.expires_at,
            last_seen: rec.last_seen,
            idle_secs: rec.idle_secs,
        })?;
        Ok(token)
    }

    /// The actor behind a session token at `now`; refuses wrong, expired
    /// and idle tokens, and sessions of users since locked or disabled.
    pub fn resume_session(&self, token: &str, now: i64) -> Result<Actor, ServiceError> {
        let mut store = self.store()?;
        let hash = accounts::session_token_hash(token);
        let refused = |why| ServiceError::SessionRefused(why);
        let Some(row) = store.session_by_hash(&hash)? else {
            return Err(refused(accounts::SessionError::Mismatch));
        };
        let mut rec = SessionRecord {
            token_hash: row.token_hash,
            user: row.user,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_seen: row.last_seen,
            idle_secs: row.idle_secs,
        };
        if let Err(e) = rec.validate(token, now) {
            store.delete_session(&hash)?;
            return Err(refused(e));
        }
        let Some(urow) = store.user(&rec.user)? else {
            store.delete_session(&hash)?;
            return Err(refused(accounts::SessionError::Mismatch));
        };
        let user = to_user(urow)?;
        if user.disabled || user.locked_at(now).is_some() {
            store.delete_session(&hash)?;
            return Err(refused(accounts::SessionError::Expired));
        }
        rec.touch(now);
        store.put_session(&SessionRow {
            token_hash: rec.token_hash,
            user: rec.user,
            created_at: rec.created_at,
            expires_at: rec.expires_at,
            last_seen: rec.last_seen,
            idle_secs: rec.idle_secs,
        })?;
        Ok(user.actor())
    }
}

impl Session<'_> {
    fn manage_users(&self) -> Result<(), ServiceError> {
        check(
            self.actor(),
            Operation::ManageUsers,
            &archive_envelope("users"),
        )?;
        Ok(())
    }

    /// Write `user` (a new account when `new`) with its ledger entry `what`.
    fn write_logged(
        &self,
        store: &mut dyn Store,
        user: &User,
        new: bool,
        what: &str,
    ) -> Result<(), ServiceError> {
        let origin = store.origin().to_string();
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let actor = self.actor().user.clone();
        store.write_user_logged(&to_row(user), new, &mut |seq| {
            account_leaf(user, seq, &origin, &actor, &at, what).encode()
        })?;
        Ok(())
    }

    fn load_user(store: &dyn Store, name: &str) -> Result<User, ServiceError> {
        match store.user(name)? {
            Some(r) => to_user(r),
            None => Err(ServiceError::Store(StoreError::UserMissing(
                name.to_string(),
            ))),
        }
    }

    /// Create an account (administrators only). The password must pass the
    /// policy of `tumen_protect::accounts::check_password_policy`.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        groups: Vec<String>,
        password: &str,
    ) -> Result<(), ServiceError> {
        self.manage_users()?;
        let salt = accounts::random_salt(&mut rand::rng());
        let user = User::new(name, role, groups, password, &salt, HashParams::RECOMMENDED)
            .map_err(|e| ServiceError::Account(format!("user {name}: {e}")))?;
        let mut store = self.archive().store()?;
        self.write_logged(store.as_mut(), &user, true, "add")?;
        Ok(())
    }

    /// Every account, without hashes or secrets (administrators only).
    pub fn users(&self, now: i64) -> Result<Vec<UserSummary>, ServiceError> {
        self.manage_users()?;
        let store = self.archive().store()?;
        store
            .users()?
            .into_iter()
            .map(|r| {
                let u = to_user(r)?;
                Ok(UserSummary {
                    locked_until: u.locked_at(now),
                    name: u.name,
                    role: u.role,
                    groups: u.groups,
                    totp: u.totp.is_some(),
                    disabled: u.disabled,
                    recent_failures: u.failures.len(),
                })
            })
            .collect()
    }

    /// Set a new password: administrators for anyone, a user for
    /// themselves. Ends the user's sessions and clears failures and lock.
    pub fn set_password(&self, name: &str, new_password: &str) -> Result<(), ServiceError> {
        if self.actor().user != name || self.actor().role == Role::Administrator {
            self.manage_users()?;
        }
        accounts::check_password_policy(name, new_password).map_err(|p| {
            ServiceError::Account(format!(
                "user {name}: password refused: {}",
                p.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let mut store = self.archive().store()?;
        let mut user = Self::load_user(store.as_ref(), name)?;
        let salt = accounts::random_salt(&mut rand::rng());
        user.password_hash = accounts::hash_password(new_password, &salt, HashParams::RECOMMENDED)
            .map_err(|e| ServiceError::Account(format!("user {name}: {e}")))?;
        user.failures.clear();
        user.locked_until = None;
        self.write_logged(store.as_mut(), &user, false, "passwd")?;
        store.delete_sessions_of(name)?;
        Ok(())
    }

    /// Lock an account (administrators only) until `until` (Unix seconds),
    /// or disable it for good when `until` is `None`; ends its sessions.
    pub fn lock_user(&self, name: &str, until: Option<i64>) -> Result<(), ServiceError> {
        self.manage_users()?;
        let mut store = self.archive().store()?;
        let mut user = Self::load_user(store.as_ref(), name)?;
        let what = match until {
            Some(t) => {
                user.locked_until = Some(t);
                "lock"
            }
            None => {
                user.disabled = true;
                "disable"
            }
        };
        self.write_logged(store.as_mut(), &user, false, what)?;
        store.delete_sessions_of(name)?;
        Ok(())
    }

    /// Lift a lock or a disablement and forget recent failures.
    pub fn unlock_user(&self, name: &str) -> Result<(), ServiceError> {
        self.manage_users()?;
        let mut store = self.archive().store()?;
        let mut user = Self::load_user(store.as_ref(), name)?;
        user.disabled = false;
        user.locked_until = None;
        user.failures.clear();
        self.write_logged(store.as_mut(), &user, false, "unlock")?;
        Ok(())
    }

    /// Change an account's role and case groups (administrators only);
    /// ends its sessions, so the new role applies from the next login.
    pub fn set_role(
        &self,
        name: &str,
        role: Role,
        groups: Vec<String>,
    ) -> Result<(), ServiceError> {
        self.manage_users()?;
        let mut store = self.archive().store()?;
        let mut user = Self::load_user(store.as_ref(), name)?;
        user.role = role;
        user.groups = groups;
        self.write_logged(store.as_mut(), &user, false, "role")?;
        store.delete_sessions_of(name)?;
        Ok(())
    }

    /// Enrol a second factor (TOTP) for `name`: administrators for anyone,
    /// a user for themselves. Replaces an earlier enrolment. The secret is
    /// returned once, to be shown to the user; it is stored only sealed.
    pub fn enable_totp(&self, name: &str, issuer: &str) -> Result<TotpEnrolled, ServiceError> {
        if self.actor().user != name {
            self.manage_users()?;
        }
        let mut store = self.archive().store()?;
        let mut user = Self::load_user(store.as_ref(), name)?;
        let secret = TotpSecret::generate(&mut rand::rng());
        let cfg = TotpConfig::default();
        user.totp = Some(TotpEnrolment {
            sealed_secret: seal(store.as_ref(), name, &secret)?,
            config: cfg,
            last_used_step: None,
        });
        self.write_logged(store.as_mut(), &user, false, "totp")?;
        Ok(TotpEnrolled {
            secret_base32: secret.to_base32(),
            uri: accounts::otpauth_uri(issuer, name, &secret, &cfg),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{account_states, compare_accounts};
    use crate::*;

    const PW: &str = "river-stone-lantern-82";
    const T0: i64 = 1_800_000_000;

    fn archive_with_user(d: &std::path::Path) -> Archive {
        let a = Archive::init(d, "pw", InitOptions::insecure_fast_for_tests()).unwrap();
        a.session(local_administrator("admin"))
            .add_user("ana", Role::Analyst, vec!["case-1".into()], PW)
            .unwrap();
        a
    }

    #[test]
    fn login_returns_the_users_role_and_groups_and_counts_failures() {
        let d = tempfile::tempdir().unwrap();
        let a = archive_with_user(d.path());
        let actor = a.login("ana", PW, None, T0).unwrap();
        assert_eq!(
            (actor.role, actor.groups.clone()),
            (Role::Analyst, vec!["case-1".to_string()])
        );
        for i in 0..5 {
            let e = a
                .login("ana", "wrong-password-123", None, T0 + i)
                .unwrap_err();
            assert!(e.to_string().contains("wrong user name or password"), "{e}");
        }
        let e = a.login("ana", PW, None, T0 + 10).unwrap_err();
        assert!(e.to_string().contains("locked"), "{e}");
        // The lock ends after 15 minutes.
        assert!(a.login("ana", PW, None, T0 + 4 + 15 * 60).is_ok());
        // An analyst cannot manage users, even themselves into a new role.
        let s = a.session(actor);
        assert!(matches!(
            s.add_user("eve", Role::Administrator, vec![], PW),
            Err(ServiceError::Denied(_))
        ));
        assert!(matches!(s.users(T0), Err(ServiceError::Denied(_))));
    }

    #[test]
    fn every_account_change_appends_one_entry_without_secrets() {
        use tumen_store::leaf::AccountLeaf;
        let d = tempfile::tempdir().unwrap();
        let a = archive_with_user(d.path());
        let admin = a.session(local_administrator("admin"));
        admin
            .set_role(
                "ana",
                Role::Reviewer,
                vec!["case-2".into(), "case-1".into()],
            )
            .unwrap();
        admin.lock_user("ana", None).unwrap();
        admin.unlock_user("ana").unwrap();
        admin.lock_user("ana", Some(T0 + 60)).unwrap();
        let totp = admin.enable_totp("ana", "tumen").unwrap();
        admin.set_password("ana", "another-river-stone-93").unwrap();
        // A failed login changes no administrative state: no entry.
        assert!(a.login("ana", "wrong-password-123", None, T0).is_err());
        // Refused changes write nothing.
        let ana = a.session(Actor {
            user: "ana".into(),
            role: Role::Reviewer,
            groups: vec![],
        });
        assert!(ana.set_role("ana", Role::Administrator, vec![]).is_err());
        let store = a.store().unwrap();
        let leaves = store.ledger_leaves(1, 1000).unwrap();
        let entries: Vec<AccountLeaf> = leaves
            .iter()
            .filter_map(|l| AccountLeaf::decode(&l.bytes))
            .collect();
        let whats: Vec<&str> = entries.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            whats,
            ["add", "role", "disable", "unlock", "lock", "totp", "passwd"]
        );
        assert!(entries.iter().all(|e| e.user == "ana"));
        assert!(entries.iter().skip(1).all(|e| e.actor == "admin"));
        assert_eq!(entries[1].groups, "case-1,case-2");
        assert!(entries[2].disabled && !entries[3].disabled);
        assert!(!entries[4].totp && entries[5].totp);
        // Each entry's seq is its place in the ledger.
        for (l, e) in leaves
            .iter()
            .filter(|l| AccountLeaf::decode(&l.bytes).is_some())
            .zip(&entries)
        {
            assert_eq!(l.seq, e.seq);
        }
        let row = store.user("ana").unwrap().unwrap();
        for l in &leaves {
            let b = &l.bytes;
            for needle in [
                PW.as_bytes(),
                b"another-river-stone-93".as_slice(),
                row.password_hash.as_bytes(),
                totp.secret_base32.as_bytes(),
            ] {
                assert!(!b.windows(needle.len()).any(|w| w == needle));
            }
        }
        // The table agrees with the last entries.
        let last: Vec<AccountState> = entries.iter().map(AccountState::of_leaf).collect();
        assert!(compare_accounts(&last, &account_states(store.as_ref()).unwrap()).is_empty());
    }

    #[test]
    fn compare_accounts_names_every_disagreement() {
        let st = |user: &str, role: &str, disabled: bool| AccountState {
            user: user.into(),
            role: role.into(),
            groups: "case-1".into(),
            disabled,
            totp: false,
        };
        let ledger = [st("ana", "analyst", false), st("bo", "reviewer", false)];
        assert!(compare_accounts(&ledger, &ledger).is_empty());
        let table = [
            st("ana", "administrator", true),
            st("eve", "administrator", false),
        ];
        let p = compare_accounts(&ledger, &table);
        assert_eq!(
            p,
            [
                "account ana differs from its last ledger entry: role administrator (ledger: analyst), disabled true (ledger: false)",
                "account eve is in the accounts table but no ledger entry created it",
                "account bo has ledger entries but is missing from the accounts table",
            ]
        );
    }

    #[test]
    fn sessions_resume_until_they_expire_or_the_user_is_locked() {
        let d = tempfile::tempdir().unwrap();
        let a = archive_with_user(d.path());
        let actor = a.login("ana", PW, None, T0).unwrap();
        let token = a.start_session(&actor, T0).unwrap();
        assert_eq!(a.resume_session(token.as_str(), T0 + 60).unwrap(), actor);
        // 30 idle minutes end it, and it stays ended.
        assert!(matches!(
            a.resume_session(token.as_str(), T0 + 60 + 30 * 60),
            Err(ServiceError::SessionRefused(_))
        ));
        assert!(a.resume_session(token.as_str(), T0 + 61).is_err());
        // A wrong token, and a session of a user locked meanwhile.
        let token = a.start_session(&actor, T0).unwrap();
        assert!(a.resume_session("tms_0000", T0 + 1).is_err());
        a.session(local_administrator("admin"))
            .lock_user("ana", None)
            .unwrap();
        assert!(a.resume_session(token.as_str(), T0 + 2).is_err());
    }
}
