//! `tumen user …`: accounts (administrators only), and [`actor`], which every
//! subcommand uses to decide whom it acts as.
//!
//! Without `--user`, the command line acts as the local administrator: the
//! person at the keyboard holds the archive's passphrase, hence the data
//! key, and could read everything anyway. With `--user NAME` it logs NAME in
//! (password from `TUMEN_USER_PASSWORD` or a prompt, one-time code from
//! `TUMEN_TOTP_CODE` or a prompt), with the lock-out of
//! `tumen_protect::accounts`, and the user's role and case groups apply to
//! everything the command does.
//!
//! Every change made here is also an account entry in the ledger (see
//! `tumen_service`'s accounts module), which `tumen verify` checks.
//!
//! New passwords come from `TUMEN_NEW_PASSWORD` or a prompt (asked twice),
//! never from an argument, which other users of the machine could see.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use tumen_service::{Actor, Archive, Role, local_administrator};

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn secret_from(env: &str, prompt: &str) -> Result<zeroize::Zeroizing<String>> {
    if let Ok(p) = std::env::var(env) {
        if p.is_empty() {
            bail!("{env} is set but empty");
        }
        return Ok(zeroize::Zeroizing::new(p));
    }
    let p = rpassword::prompt_password(prompt)
        .with_context(|| format!("no {env} and no terminal to ask"))?;
    Ok(zeroize::Zeroizing::new(p))
}

/// Whom this invocation acts as (see the module doc).
pub fn actor(g: &Globals, archive: &Archive) -> Result<Actor> {
    let Some(name) = &g.user else {
        return Ok(local_administrator("cli"));
    };
    let password = secret_from("TUMEN_USER_PASSWORD", &format!("password of {name}: "))?;
    let code = std::env::var("TUMEN_TOTP_CODE").ok();
    match archive.login(name, &password, code.as_deref(), now()) {
        Ok(a) => Ok(a),
        Err(tumen_service::ServiceError::LoginRefused {
            why: tumen_protect::accounts::LoginError::SecondFactorRequired,
            ..
        }) if code.is_none() => {
            let code = secret_from("TUMEN_TOTP_CODE", "one-time code: ")?;
            archive
                .login(name, &password, Some(&code), now())
                .context("logging in")
        }
        Err(e) => Err(e).context("logging in"),
    }
}

/// Open the archive in the data directory with the passphrase.
pub fn open(g: &Globals) -> Result<Archive> {
    let dir = g.data_dir()?;
    Archive::open(&dir, &g.passphrase()?)
        .with_context(|| format!("opening the archive in {}", dir.display()))
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(clap::Subcommand)]
enum UserCommand {
    /// Create an account (password from $TUMEN_NEW_PASSWORD or a prompt).
    Add {
        name: String,
        /// administrator, investigator, analyst, reviewer or public_reader.
        #[arg(long)]
        role: String,
        /// A case access group (repeat for several).
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// List accounts (no hashes, no secrets).
    List,
    /// Set a new password (from $TUMEN_NEW_PASSWORD or a prompt).
    Passwd { name: String },
    /// Lock an account: for MINUTES, or disable it until unlocked.
    Lock {
        name: String,
        #[arg(long, value_name = "MINUTES")]
        minutes: Option<i64>,
    },
    /// Lift a lock or a disablement.
    Unlock { name: String },
    /// Change an account's role and case groups (replaces its groups; its
    /// sessions end).
    Role {
        name: String,
        /// administrator, investigator, analyst, reviewer or public_reader.
        #[arg(long)]
        role: String,
        /// A case access group (repeat for several; none clears them).
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// Second factor (TOTP).
    Totp {
        #[command(subcommand)]
        command: TotpCommand,
    },
}

#[derive(clap::Subcommand)]
enum TotpCommand {
    /// Enrol a TOTP second factor; prints the secret and an otpauth:// URI
    /// once, to be put into an authenticator app.
    Enable { name: String },
}

fn new_password(name: &str) -> Result<zeroize::Zeroizing<String>> {
    if let Ok(p) = std::env::var("TUMEN_NEW_PASSWORD") {
        return Ok(zeroize::Zeroizing::new(p));
    }
    let a = zeroize::Zeroizing::new(
        rpassword::prompt_password(format!("new password for {name}: "))
            .context("no TUMEN_NEW_PASSWORD and no terminal to ask")?,
    );
    let b = zeroize::Zeroizing::new(
        rpassword::prompt_password("again: ").context("no terminal to ask")?,
    );
    if a != b {
        bail!("the two passwords differ");
    }
    Ok(a)
}

fn parse_role(role: &str) -> Result<Role> {
    Role::parse(role).with_context(|| {
        format!(
            "unknown role {role:?}: administrator, investigator, analyst, reviewer or public_reader"
        )
    })
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    let archive = open(g)?;
    let actor = actor(g, &archive)?;
    let session = archive.session(actor);
    match a.command {
        UserCommand::Add { name, role, groups } => {
            let r = parse_role(&role)?;
            let pw = new_password(&name)?;
            session
                .add_user(&name, r, groups, &pw)
                .with_context(|| format!("adding user {name}"))?;
            println!("added user {name} ({r})");
        }
        UserCommand::List => {
            let users = session.users(now()).context("listing users")?;
            println!("name\trole\tgroups\ttotp\tstate");
            for u in users {
                let state = if u.disabled {
                    "disabled".to_string()
                } else if let Some(t) = u.locked_until {
                    format!(
                        "locked until {}",
                        tumen_ledger::time::format_utc_ms(t * 1000)
                    )
                } else {
                    "active".to_string()
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.name,
                    u.role,
                    u.groups.join(","),
                    if u.totp { "yes" } else { "no" },
                    state
                );
            }
        }
        UserCommand::Passwd { name } => {
            let pw = new_password(&name)?;
            session
                .set_password(&name, &pw)
                .with_context(|| format!("setting the password of {name}"))?;
            println!("password of {name} changed; its sessions were ended");
        }
        UserCommand::Lock { name, minutes } => {
            if minutes.is_some_and(|m| m <= 0) {
                bail!("--minutes must be positive");
            }
            let until = minutes.map(|m| now().saturating_add(m.saturating_mul(60)));
            session
                .lock_user(&name, until)
                .with_context(|| format!("locking {name}"))?;
            match until {
                Some(_) => println!("user {name} locked for {} minutes", minutes.unwrap_or(0)),
                None => println!("user {name} disabled until unlocked"),
            }
        }
        UserCommand::Unlock { name } => {
            session
                .unlock_user(&name)
                .with_context(|| format!("unlocking {name}"))?;
            println!("user {name} unlocked");
        }
        UserCommand::Role { name, role, groups } => {
            let r = parse_role(&role)?;
            session
                .set_role(&name, r, groups)
                .with_context(|| format!("changing the role of {name}"))?;
            println!("user {name} is now {r}; its sessions were ended");
        }
        UserCommand::Totp {
            command: TotpCommand::Enable { name },
        } => {
            let e = session
                .enable_totp(&name, "tumen")
                .with_context(|| format!("enrolling a second factor for {name}"))?;
            println!("second factor enrolled for {name}; shown once, keep it only in the app:");
            println!("secret: {}", e.secret_base32.as_str());
            println!("uri:    {}", e.uri.as_str());
        }
    }
    Ok(())
}
