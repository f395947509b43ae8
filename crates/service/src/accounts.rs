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

fn totp_cipher(store: &dyn Store) -> Result<XChaCha20Poly1305, ServiceError> {
    let key = store.derive_subkey(TOTP_KEY_PURPOSE)?;
    XChaCha20Poly1305::new_from_slice(&key[..])
        .map_err(|_| ServiceError::Account("the TOTP sealing key has the wrong length".into()))
}

fn seal(store: &dyn Store, user: &str, secret: &TotpSecret) -> Result<SealedSecret, ServiceError> {
    let cipher = totp_cipher(store)?;
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
        totp_cipher(store)?
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
        store.insert_user(&to_row(&user))?;
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
        store.update_user(&to_row(&user))?;
        store.delete_sessions_of(name)?;
        Ok(())
    }

    /// Lock an account (administrators only) until `until` (Unix seconds),
    /// or disable it for good when `until` is `None`; ends its sessions.
    pub fn lock_user(&self, name: &str, until: Option<i64>) -> Result<(), ServiceError> {
        self.manage_users()?;
        let mut store = self.archive().store()?;
        let mut user = Self::load_user(store.as_ref(), name)?;
        match until {
            Some(t) => user.locked_until = Some(t),
            None => user.disabled = true,
        }
        store.update_user(&to_row(&user))?;
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
        store.update_user(&to_row(&user))?;
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
        store.update_user(&to_row(&user))?;
        Ok(TotpEnrolled {
            secret_base32: secret.to_base32(),
            uri: accounts::otpauth_uri(issuer, name, &secret, &cfg),
        })
    }
}

#[cfg(test)]
mod tests {
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
