//! Accounts: password hashes, password policy, second factor (TOTP),
//! lock-out and sessions — as pure functions over a serializable [`User`].
//!
//! Shaped for a store that persists `User` and [`SessionRecord`] as JSON and a
//! service that passes in the clock (`now`, Unix seconds) and a random number
//! generator. Nothing here reads a clock, a file or the operating system's
//! randomness, so every rule is testable with fixed times.
//!
//! * **Passwords** are hashed with Argon2id (RFC 9106) into a PHC string
//!   (`$argon2id$v=19$m=65536,t=3,p=4$salt$hash`). Defaults: RFC 9106 §4's
//!   second recommended option, 64 MiB, 3 passes, 4 lanes, 16-byte salt,
//!   32-byte tag ([`HashParams::RECOMMENDED`]). Verification recomputes the
//!   hash with the stored parameters and compares in constant time (the
//!   `password-hash` crate's `Output` equality uses `subtle`). Passwords are
//!   NFC-normalized first: the same Hangul password typed on two keyboards can
//!   arrive composed or decomposed.
//! * **TOTP** (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits, one step of
//!   clock skew either way, and a code's step is refused once used (replay).
//!   The shared secret is stored in `User::totp` **sealed by the caller**
//!   (encrypted with the archive's data key): this crate never sees a key.
//! * **Lock-out**: `max_failures` failures within `window_secs` lock the
//!   account for `lock_secs`; while locked the password is not even checked,
//!   so a locked account is no oracle.
//! * **Sessions**: a random 256-bit bearer token goes to the client; only its
//!   SHA-256 is stored, with an absolute expiry and an idle timeout.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::access::Role;

// ───────────────────────────── passwords ─────────────────────────────

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl HashParams {
    /// RFC 9106 §4, second recommended option: 64 MiB, t = 3, p = 4.
    pub const RECOMMENDED: HashParams = HashParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };
    /// The weakest parameters a stored hash may have before
    /// [`needs_rehash`] asks for an upgrade (OWASP's 19 MiB, t = 2, p = 1).
    pub const MINIMUM: HashParams = HashParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };
    /// Refuse stored hashes asking for more than this (1 GiB, 16 passes): a
    /// tampered user row must not be able to exhaust the machine.
    pub const CEILING: HashParams = HashParams {
        m_kib: 1024 * 1024,
        t: 16,
        p: 16,
    };
}

/// Salt length in bytes.
pub const SALT_LEN: usize = 16;
/// Fewest characters (Unicode scalar values, after NFC) in a password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most bytes in a password (longer input is refused before hashing).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a credential operation failed. Never contains a password, code or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("password hash parameters rejected: {0}")]
    Params(String),
    #[error("stored password hash is not a valid Argon2id PHC string: {0}")]
    BadHash(String),
    #[error("stored password hash asks for more memory or passes than allowed")]
    HashTooCostly,
    #[error("password is longer than {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("TOTP secret must be 16 to 64 bytes")]
    TotpSecretLength,
    #[error("invalid base32 at character {0}")]
    Base32(usize),
}

fn normalize(password: &str) -> Zeroizing<String> {
    Zeroizing::new(password.nfc().collect())
}

fn argon2(params: HashParams) -> Result<Argon2<'static>, AccountError> {
    let p = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|e| AccountError::Params(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
}

/// Hash `password` with Argon2id into a PHC string, with the caller's random
/// `salt` (take it from a CSPRNG: [`random_salt`]).
pub fn hash_password(
    password: &str,
    salt: &[u8; SALT_LEN],
    params: HashParams,
) -> Result<String, AccountError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::PasswordTooLong);
    }
    let pw = normalize(password);
    let salt = SaltString::encode_b64(salt).map_err(|e| AccountError::Params(e.to_string()))?;
    let hash = argon2(params)?
        .hash_password(pw.as_bytes(), &salt)
        .map_err(|e| AccountError::Params(e.to_string()))?;
    Ok(hash.to_string())
}

/// A fresh salt.
pub fn random_salt<R: CryptoRng + ?Sized>(rng: &mut R) -> [u8; SALT_LEN] {
    let mut s = [0u8; SALT_LEN];
    rng.fill_bytes(&mut s);
    s
}

fn parse_phc(phc: &str) -> Result<(PasswordHash<'_>, HashParams), AccountError> {
    let parsed = PasswordHash::new(phc).map_err(|e| AccountError::BadHash(e.to_string()))?;
    if parsed.algorithm.as_str() != "argon2id" {
        // No downgrade to argon2i/argon2d or anything else a row may claim.
        return Err(AccountError::BadHash("algorithm is not argon2id".into()));
    }
    let p = Params::try_from(&parsed).map_err(|e| AccountError::BadHash(e.to_string()))?;
    let params = HashParams {
        m_kib: p.m_cost(),
        t: p.t_cost(),
        p: p.p_cost(),
    };
    Ok((parsed, params))
}

/// Does `password` match the stored PHC string? Recomputes with the stored
/// parameters and compares in constant time. `Ok(false)` is a wrong
/// password; `Err` a broken or over-costly stored hash.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, AccountError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    let (parsed, params) = parse_phc(phc)?;
    let c = HashParams::CEILING;
    if params.m_kib > c.m_kib || params.t > c.t || params.p > c.p {
        return Err(AccountError::HashTooCostly);
    }
    let pw = normalize(password);
    Ok(argon2(params)?
        .verify_password(pw.as_bytes(), &parsed)
        .is_ok())
}

/// Should this stored hash be recomputed (at the next successful login) with
/// `wanted`? True when any parameter is below `wanted` or the hash is unreadable.
pub fn needs_rehash(phc: &str, wanted: HashParams) -> bool {
    match parse_phc(phc) {
        Ok((_, p)) => p.m_kib < wanted.m_kib || p.t < wanted.t || p.p < wanted.p,
        Err(_) => true,
    }
}

/// A hash of a random password, verified against when a login names an
/// unknown user, so that "no such user" costs as much time as "wrong password".
const DUMMY_PHC: &str = "$argon2id$v=19$m=65536,t=3,p=4$ZHVtbXlzYWx0ZHVtbXlzYQ$0Jz2CqbE1nA0GmHkU9mcmL8O1ZcLYyuyZ3r4Q2XW2wY";

/// Spend the time of one password verification and fail. Call it when the
/// user name is unknown.
pub fn verify_unknown_user(password: &str) -> bool {
    let _ = verify_password(password, DUMMY_PHC);
    false
}

/// A reason a password is refused by the policy. Never repeats the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("password has {got} characters; at least {min} are required")]
    TooShort { min: usize, got: usize },
    #[error("password is longer than {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password contains the user name")]
    ContainsUserName,
    #[error("password uses fewer than 5 different characters")]
    TooFewDistinct,
    #[error("password is on the list of commonly used passwords")]
    Common,
    #[error("password contains control characters")]
    ControlCharacter,
}

/// Common passwords of 12 characters or more (lower case), from public
/// breach-frequency lists. Short ones are already refused by length.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "qwertyuiopas",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "password1234",
    "password123!",
    "passwordpassword",
    "iloveyou1234",
    "abc123abc123",
    "aaaaaaaaaaaa",
    "abcdefghijkl",
    "000000000000",
    "111111111111",
    "123123123123",
    "letmein12345",
    "welcome12345",
    "administrator",
    "changeme1234",
    "qazwsxedcrfv",
    "1234qwerasdf",
    "asdfghjkl123",
    "zxcvbnm12345",
    "superman1234",
    "princess1234",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "trustno11234",
    "dragon123456",
    "masterpassword",
    "correcthorsebatterystaple",
    "saranghae1234",
    "dkssudgktpdy",
];

/// Check a new password against the policy: at least [`MIN_PASSWORD_CHARS`]
/// characters, at most [`MAX_PASSWORD_BYTES`] bytes, no control characters,
/// not containing the user name (case-insensitively), at least 5 different
/// characters, not a commonly used password. Returns every problem at once.
pub fn check_password_policy(user_name: &str, password: &str) -> Result<(), Vec<PasswordProblem>> {
    let mut problems = Vec::new();
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(vec![PasswordProblem::TooLong]);
    }
    let pw = normalize(password);
    let chars = pw.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        problems.push(PasswordProblem::TooShort {
            min: MIN_PASSWORD_CHARS,
            got: chars,
        });
    }
    if pw.chars().any(char::is_control) {
        problems.push(PasswordProblem::ControlCharacter);
    }
    let lower = Zeroizing::new(pw.to_lowercase());
    let name: String = user_name.nfc().collect::<String>().to_lowercase();
    if name.chars().count() >= 3 && lower.contains(&name) {
        problems.push(PasswordProblem::ContainsUserName);
    }
    let mut distinct: Vec<char> = pw.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        problems.push(PasswordProblem::TooFewDistinct);
    }
    distinct.zeroize();
    if COMMON.contains(&lower.as_str()) {
        problems.push(PasswordProblem::Common);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

// ───────────────────────────── base32 ─────────────────────────────

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, with `=` padding when `pad`.
pub fn base32_encode(data: &[u8], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                let idx = ((n >> (35 - 5 * i)) & 31) as usize;
                out.push(char::from(B32[idx]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// RFC 4648 base32 decoding, case-insensitive; spaces and hyphens (as people
/// type secrets in groups) are ignored, trailing `=` padding is optional.
/// Refuses any other character and impossible lengths.
pub fn base32_decode(text: &str) -> Result<Vec<u8>, AccountError> {
    let mut vals = Vec::with_capacity(text.len());
    let mut padding = false;
    for (i, c) in text.chars().enumerate() {
        match c {
            ' ' | '-' => continue,
            '=' => padding = true,
            _ if padding => return Err(AccountError::Base32(i + 1)),
            'a'..='z' | 'A'..='Z' => vals.push(c.to_ascii_uppercase() as u8 - b'A'),
            '2'..='7' => vals.push(c as u8 - b'2' + 26),
            _ => return Err(AccountError::Base32(i + 1)),
        }
    }
    // Valid final group sizes in characters: 0, 2, 4, 5, 7.
    if matches!(vals.len() % 8, 1 | 3 | 6) {
        return Err(AccountError::Base32(text.chars().count()));
    }
    let mut out = Vec::with_capacity(vals.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for v in vals {
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

// ───────────────────────────── TOTP ─────────────────────────────

/// A TOTP shared secret, in clear. Wiped from memory when dropped. Persist it
/// only sealed (encrypted by the store) in [`TotpEnrolment::sealed_secret`].
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// A secret of 16–64 bytes (RFC 4226 §4 requires at least 128 bits).
    pub fn new(bytes: Vec<u8>) -> Result<TotpSecret, AccountError> {
        if !(16..=64).contains(&bytes.len()) {
            let mut b = bytes;
            b.zeroize();
            return Err(AccountError::TotpSecretLength);
        }
        Ok(TotpSecret(bytes))
    }
    /// A fresh 160-bit secret (the length RFC 4226 recommends).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> TotpSecret {
        let mut b = vec![0u8; 20];
        rng.fill_bytes(&mut b);
        TotpSecret(b)
    }
    pub fn from_base32(text: &str) -> Result<TotpSecret, AccountError> {
        TotpSecret::new(base32_decode(text)?)
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The unpadded base32 form, for the enrolment QR code or manual entry.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32_encode(&self.0, false))
    }
}

/// TOTP settings. Authenticator apps support exactly the defaults reliably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpConfig {
    /// 6 to 8.
    pub digits: u32,
    /// Step length in seconds.
    pub period: u64,
    /// Steps of clock skew accepted either way.
    pub skew: u64,
}

impl Default for TotpConfig {
    fn default() -> Self {
        TotpConfig {
            digits: 6,
            period: 30,
            skew: 1,
        }
    }
}

/// HOTP (RFC 4226) with HMAC-SHA1: the `digits`-digit code for `counter`.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length; new_from_slice cannot fail for HMAC.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 10u32.pow(digits.clamp(6, 8))
}

/// The time step containing `unix_time` (None before 1970).
pub fn totp_step(unix_time: i64, cfg: &TotpConfig) -> Option<u64> {
    u64::try_from(unix_time).ok().map(|t| t / cfg.period.max(1))
}

/// The TOTP code at `unix_time`, zero-padded to `cfg.digits`.
pub fn totp_code(secret: &TotpSecret, unix_time: i64, cfg: &TotpConfig) -> Option<String> {
    let step = totp_step(unix_time, cfg)?;
    let d = cfg.digits.clamp(6, 8) as usize;
    Some(format!(
        "{:0d$}",
        hotp(secret.as_bytes(), step, cfg.digits),
        d = d
    ))
}

/// Why a TOTP code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the code is not well-formed")]
    Malformed,
    #[error("the code is wrong or outside the accepted time window")]
    Wrong,
    #[error("the code was already used")]
    Replayed,
    #[error("the clock is before 1970")]
    Clock,
}

/// Check `code` at `unix_time`, accepting `cfg.skew` steps either way, and
/// refusing a code whose step is not after `last_used_step` (replay). All
/// candidate steps are compared, without early exit, in constant time.
/// Returns the matched step, which the caller stores as the new
/// `last_used_step`.
pub fn verify_totp(
    secret: &TotpSecret,
    code: &str,
    unix_time: i64,
    last_used_step: Option<u64>,
    cfg: &TotpConfig,
) -> Result<u64, TotpError> {
    let digits = cfg.digits.clamp(6, 8) as usize;
    let code = code.trim();
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let given: u32 = code.parse().map_err(|_| TotpError::Malformed)?;
    let now = totp_step(unix_time, cfg).ok_or(TotpError::Clock)?;
    let mut matched: Option<u64> = None;
    for step in now.saturating_sub(cfg.skew)..=now.saturating_add(cfg.skew) {
        let expected = hotp(secret.as_bytes(), step, cfg.digits);
        let diff = expected ^ given; // constant-time equality
        let eq = diff == 0;
        if eq && matched.is_none() {
            matched = Some(step);
        }
    }
    let step = matched.ok_or(TotpError::Wrong)?;
    if last_used_step.is_some_and(|last| step <= last) {
        return Err(TotpError::Replayed);
    }
    Ok(step)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI authenticator apps enrol from (usually as a QR code),
/// in the Key Uri Format: `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…`.
/// It contains the secret: show it once, never log it.
pub fn otpauth_uri(
    issuer: &str,
    account: &str,
    secret: &TotpSecret,
    cfg: &TotpConfig,
) -> Zeroizing<String> {
    let i = percent_encode(issuer);
    Zeroizing::new(format!(
        "otpauth://totp/{i}:{a}?secret={s}&issuer={i}&algorithm=SHA1&digits={d}&period={p}",
        a = percent_encode(account),
        s = secret.to_base32().as_str(),
        d = cfg.digits,
        p = cfg.period,
    ))
}

// ───────────────────────────── users and lock-out ─────────────────────────────

/// A TOTP secret encrypted by the caller (the store, with the archive's data
/// key), base64 or hex as the caller likes. **Never put a clear secret here.**
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(pub String);

/// A user's second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The shared secret, **sealed by the caller**; this crate never decrypts it.
    pub sealed_secret: SealedSecret,
    #[serde(default)]
    pub config: TotpConfig,
    /// Time step of the last accepted code (replay refusal).
    #[serde(default)]
    pub last_used_step: Option<u64>,
}

/// An account. The store persists it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    #[serde(default)]
    pub totp: Option<TotpEnrolment>,
    /// Times (Unix seconds) of recent failed logins, oldest first, at most
    /// `max_failures` of them.
    #[serde(default)]
    pub failures: Vec<i64>,
    /// Locked until this time (Unix seconds), if locked.
    #[serde(default)]
    pub locked_until: Option<i64>,
    /// Set by an administrator: refuses every login.
    #[serde(default)]
    pub disabled: bool,
}

impl User {
    /// A new account with a checked password.
    pub fn new(
        name: &str,
        role: Role,
        groups: Vec<String>,
        password: &str,
        salt: &[u8; SALT_LEN],
        params: HashParams,
    ) -> Result<User, NewUserError> {
        check_password_policy(name, password).map_err(NewUserError::Policy)?;
        let password_hash = hash_password(password, salt, params).map_err(NewUserError::Hash)?;
        Ok(User {
            name: name.to_string(),
            role,
            groups,
            password_hash,
            totp: None,
            failures: Vec::new(),
            locked_until: None,
            disabled: false,
        })
    }

    /// The actor this user acts as.
    pub fn actor(&self) -> crate::access::Actor {
        crate::access::Actor {
            user: self.name.clone(),
            role: self.role,
            groups: self.groups.clone(),
        }
    }

    /// Locked at `now`? Returns the end of the lock.
    pub fn locked_at(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|&until| now < until)
    }
}

/// Why a user could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewUserError {
    #[error("password refused: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Policy(Vec<PasswordProblem>),
    #[error(transparent)]
    Hash(AccountError),
}

/// When repeated failures lock an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockoutPolicy {
    /// Failures within the window that lock the account.
    pub max_failures: u32,
    /// Window in seconds.
    pub window_secs: i64,
    /// Length of the lock in seconds.
    pub lock_secs: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window_secs: 15 * 60,
            lock_secs: 15 * 60,
        }
    }
}

impl LockoutPolicy {
    /// Record a failed attempt at `now`; locks the account when the
    /// failures within the window reach `max_failures`.
    pub fn record_failure(&self, user: &mut User, now: i64) {
        user.failures
            .retain(|&t| t > now - self.window_secs && t <= now);
        user.failures.push(now);
        let max = self.max_failures.max(1) as usize;
        if user.failures.len() >= max {
            user.locked_until = Some(now.saturating_add(self.lock_secs));
            user.failures.clear();
        }
    }
    /// A successful login clears failures (and an expired lock).
    pub fn record_success(&self, user: &mut User) {
        user.failures.clear();
        user.locked_until = None;
    }
}

/// Why a login was refused. Show users one message for all of them ("wrong
/// user name, password or code"); the variants are for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("account locked until {until}")]
    Locked { until: i64 },
    #[error("account disabled")]
    Disabled,
    #[error("wrong user name or password")]
    BadPassword,
    #[error("a one-time code is required")]
    SecondFactorRequired,
    #[error("wrong one-time code: {0}")]
    BadCode(TotpError),
    #[error("the stored credentials are damaged: {0}")]
    Damaged(AccountError),
}

/// One login attempt at `now`. Updates the user's failure count, lock and
/// last TOTP step: the caller must persist `user` afterwards, whatever the
/// result. `totp_secret` is the unsealed secret when the user has one.
///
/// Order: disabled → locked (nothing checked, no oracle) → password →
/// second factor. A missing code after a right password is not a failure
/// (two-step forms), a wrong or replayed one is.
pub fn authenticate(
    user: &mut User,
    password: &str,
    totp_code: Option<&str>,
    totp_secret: Option<&TotpSecret>,
    now: i64,
    policy: &LockoutPolicy,
) -> Result<(), LoginError> {
    if user.disabled {
        return Err(LoginError::Disabled);
    }
    if let Some(until) = user.locked_at(now) {
        return Err(LoginError::Locked { until });
    }
    match verify_password(password, &user.password_hash) {
        Ok(true) => {}
        Ok(false) => {
            policy.record_failure(user, now);
            return Err(LoginError::BadPassword);
        }
        Err(e) => return Err(LoginError::Damaged(e)),
    }
    if let Some(enrol) = &mut user.totp {
        let Some(code) = totp_code else {
            return Err(LoginError::SecondFactorRequired);
        };
        let Some(secret) = totp_secret else {
            return Err(LoginError::Damaged(AccountError::TotpSecretLength));
        };
        match verify_totp(secret, code, now, enrol.last_used_step, &enrol.config) {
            Ok(step) => enrol.last_used_step = Some(step),
            Err(e) => {
                policy.record_failure(user, now);
                return Err(LoginError::BadCode(e));
            }
        }
    }
    policy.record_success(user);
    Ok(())
}

// ───────────────────────────── sessions ─────────────────────────────

/// The bearer token handed to the client. Wiped when dropped; never stored.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SessionToken(String);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

impl SessionToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// Absolute lifetime in seconds.
    pub lifetime_secs: i64,
    /// Refused after this many seconds without use.
    pub idle_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            lifetime_secs: 8 * 3600,
            idle_secs: 30 * 60,
        }
    }
}

/// What the store keeps of a session: the token's hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Hex SHA-256 of the token; the store looks sessions up by it.
    pub token_hash: String,
    pub user: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen: i64,
    pub idle_secs: i64,
}

/// Why a session is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session token does not match")]
    Mismatch,
    #[error("the session has expired")]
    Expired,
    #[error("the session was idle too long")]
    Idle,
    #[error("the session starts in the future")]
    NotYetValid,
}

/// Hex SHA-256 of a token: the key under which its [`SessionRecord`] is stored.
pub fn session_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new session for `user` at `now`: the token for the client and the
/// record for the store.
pub fn new_session<R: CryptoRng + ?Sized>(
    rng: &mut R,
    user: &str,
    now: i64,
    policy: &SessionPolicy,
) -> (SessionToken, SessionRecord) {
    let mut raw = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(raw.as_mut());
    let token = SessionToken(format!("tms_{}", hex::encode(raw.as_ref())));
    let record = SessionRecord {
        token_hash: session_token_hash(&token.0),
        user: user.to_string(),
        created_at: now,
        expires_at: now.saturating_add(policy.lifetime_secs),
        last_seen: now,
        idle_secs: policy.idle_secs,
    };
    (token, record)
}

impl SessionRecord {
    /// Is `token` this session's, and is the session alive at `now`?
    /// Compares hashes in constant time.
    pub fn validate(&self, token: &str, now: i64) -> Result<(), SessionError> {
        let got = session_token_hash(token);
        let (a, b) = (got.as_bytes(), self.token_hash.as_bytes());
        let mut diff = u8::from(a.len() != b.len());
        for (x, y) in a.iter().zip(b) {
            diff |= x ^ y;
        }
        if diff != 0 {
            return Err(SessionError::Mismatch);
        }
        if now < self.created_at {
            return Err(SessionError::NotYetValid);
        }
        if now >= self.expires_at {
            return Err(SessionError::Expired);
        }
        if now >= self.last_seen.saturating_add(self.idle_secs) {
            return Err(SessionError::Idle);
        }
        Ok(())
    }
    /// Note a use at `now` (after a successful [`validate`](Self::validate)).
    pub fn touch(&mut self, now: i64) {
        self.last_seen = self.last_seen.max(now);
    }
}

#[cfg(test)]
mod tests;
