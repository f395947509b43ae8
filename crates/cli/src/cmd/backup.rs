//! `tumen backup`, `tumen restore`, `tumen rekey`: wiring for
//! `tumen_service::backup` and the keyring.
//!
//! A backup is one encrypted file (`*.tumenbak`) holding the database
//! snapshot, the evidence files and a sealed manifest; `restore` checks all
//! of it with the passphrase before it writes anything. `rekey` sets a new
//! passphrase by rewrapping the data key (nothing is re-encrypted);
//! `rekey --new-data-key` re-encrypts the database, the evidence and the
//! sealed secrets under a fresh data key (`tumen_service::rekey`), written
//! aside and swapped in with one atomic rename, so readers keep working.

use crate::globals::Globals;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to create (must not exist), e.g.
    /// `archive.tumenbak`; or an existing directory, in which the file is
    /// named after the time (`tumen-20260101T120000Z.tumenbak`).
    #[arg(long, value_name = "FILE|DIR")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A backup file written by `tumen backup`. It is checked entirely, then
    /// restored into
    /// --data (which must not exist or be empty), with the backup's
    /// passphrase ($TUMEN_PASSPHRASE or a prompt).
    backup: PathBuf,
}

#[derive(clap::Args)]
pub struct RekeyArgs {
    /// Replace the data key itself: re-encrypt the database, the evidence
    /// files and the second-factor secrets under a new random key (the
    /// passphrase stays, unless $TUMEN_NEW_PASSPHRASE is also set). Use it
    /// when the key may have leaked. The ledger gets a new signing key and
    /// a recovery split stops working (split a new one).
    #[arg(long)]
    new_data_key: bool,
}

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
        "backup written to {}: {} files, {} bytes, in one encrypted file with a sealed manifest",
        s.path.display(),
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
        "backup checked, then restored: {} files ({} bytes) into {}; run `tumen verify` there",
        s.files,
        s.bytes,
        target.display()
    );
    if let Some(r) = &s.recovery {
        println!(
            "the trustees' recovery shares also open it: {} of {} (set {})",
            r.threshold, r.shares, r.set_id
        );
    }
    Ok(())
}

pub fn rekey(g: &Globals, a: RekeyArgs) -> Result<()> {
    let old = zeroize::Zeroizing::new(g.passphrase()?);
    let archive = crate::cmd::user::open(g)?;
    let actor = crate::cmd::user::actor(g, &archive)?;
    if a.new_data_key {
        let dir = g.data_dir()?;
        let s = archive
            .session(actor.clone())
            .rotate_data_key(&dir, &old)
            .context("re-encrypting under a new data key")?;
        println!(
            "data key replaced: the database ({}), {} evidence file(s) and {} second factor(s) are re-encrypted under a new key; the old key opens none of them",
            s.db_file, s.evidence_files, s.totp_resealed
        );
        println!(
            "ledger signing key changed: {} -> {} (publish the new public key: `tumen verify --public-key`; heads signed before stay checkable)",
            s.old_ledger_key, s.new_ledger_key
        );
        if s.recovery_dropped {
            println!(
                "the recovery split no longer opens the archive: run `tumen recovery split` again"
            );
        }
        println!("backups made before keep the old key and passphrase");
        if std::env::var_os("TUMEN_NEW_PASSPHRASE").is_none() {
            return Ok(());
        }
    }
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
