//! `tumen backup`, `tumen restore`, `tumen rekey`: wiring for
//! `tumen_service::backup` and the keyring.
//!
//! A backup is a directory of already-encrypted files plus a sealed
//! manifest; `restore` checks all of it with the passphrase before it
//! writes anything. `rekey` sets a new passphrase by rewrapping the data
//! key: nothing is re-encrypted, so other readers keep working.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup directory to create (must not exist).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A backup directory written by `tumen backup`. It is restored into
    /// --data (which must not exist or be empty), with the backup's
    /// passphrase ($TUMEN_PASSPHRASE or a prompt).
    backup: PathBuf,
}

#[derive(clap::Args)]
pub struct RekeyArgs {}

/// A new secret from `env` or asked twice on the terminal.
pub fn new_secret(env: &str, what: &str) -> Result<zeroize::Zeroizing<String>> {
    if let Ok(p) = std::env::var(env) {
        if p.is_empty() {
            bail!("{env} is set but empty");
        }
        return Ok(zeroize::Zeroizing::new(p));
    }
    let a = zeroize::Zeroizing::new(
        rpassword::prompt_password(format!("new {what}: "))
            .with_context(|| format!("no {env} and no terminal to ask"))?,
    );
    let b = zeroize::Zeroizing::new(
        rpassword::prompt_password("again: ").context("no terminal to ask")?,
    );
    if a != b {
        bail!("the two entries differ");
    }
    if a.is_empty() {
        bail!("empty {what}");
    }
    Ok(a)
}

pub fn backup(g: &Globals, a: BackupArgs) -> Result<()> {
    let dir = g.data_dir()?;
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let s = archive
        .session(actor)
        .backup(&dir, &a.out, crate::cmd::user::now())
        .with_context(|| format!("backing up to {}", a.out.display()))?;
    println!(
        "backup written to {}: {} files, {} bytes, all encrypted; the manifest is sealed under the archive's key",
        a.out.display(),
        s.files,
        s.bytes
    );
    Ok(())
}

pub fn restore(g: &Globals, a: RestoreArgs) -> Result<()> {
    let target = g.data_dir()?;
    let pass = g.passphrase()?;
    let s = tumen_service::backup::restore(&a.backup, &pass, &target)
        .with_context(|| format!("restoring {}", a.backup.display()))?;
    println!(
        "restored {} files ({} bytes) into {}; run `tumen verify` there",
        s.files,
        s.bytes,
        target.display()
    );
    Ok(())
}

pub fn rekey(g: &Globals, _a: RekeyArgs) -> Result<()> {
    let old = zeroize::Zeroizing::new(g.passphrase()?);
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    let new = new_secret("TUMEN_NEW_PASSPHRASE", "passphrase")?;
    archive
        .session(actor)
        .change_passphrase(&old, &new)
        .context("changing the passphrase")?;
    println!(
        "passphrase changed: the data key is rewrapped under the new passphrase; the old one no longer opens the archive (backups made before keep the old one)"
    );
    Ok(())
}
