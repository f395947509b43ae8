//! Options every subcommand shares: where the data lives and how the
//! passphrase arrives.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct Globals {
    /// Data directory [default: $TUMEN_DATA, else the user's data directory].
    #[arg(long, global = true, env = "TUMEN_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of
    /// $TUMEN_PASSPHRASE or a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Act as this user (password from $TUMEN_USER_PASSWORD or a prompt,
    /// one-time code from $TUMEN_TOTP_CODE) instead of the local
    /// administrator; the user's role and case groups then apply.
    #[arg(long, global = true, env = "TUMEN_USER", value_name = "NAME")]
    pub user: Option<String>,
}

impl Globals {
    /// The data directory to use.
    pub fn data_dir(&self) -> Result<PathBuf> {
        if let Some(d) = &self.data {
            return Ok(d.clone());
        }
        let dirs = directories::ProjectDirs::from("org", "tumen", "tumen").context(
            "no --data given, TUMEN_DATA unset, and no user data directory could be determined",
        )?;
        Ok(dirs.data_dir().to_path_buf())
    }

    /// The passphrase: `--passphrase-file`, else `TUMEN_PASSPHRASE`, else a
    /// prompt on the terminal. Never echoed, never logged.
    pub fn passphrase(&self) -> Result<String> {
        if let Some(f) = &self.passphrase_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("reading passphrase file {}", f.display()))?;
            let line = text.lines().next().unwrap_or("").to_string();
            if line.is_empty() {
                bail!("passphrase file {} is empty", f.display());
            }
            return Ok(line);
        }
        if let Ok(p) = std::env::var("TUMEN_PASSPHRASE") {
            if p.is_empty() {
                bail!("TUMEN_PASSPHRASE is set but empty");
            }
            return Ok(p);
        }
        let p = rpassword::prompt_password("tumen passphrase: ").context(
            "no TUMEN_PASSPHRASE or --passphrase-file, and no terminal to ask for a passphrase",
        )?;
        if p.is_empty() {
            bail!("empty passphrase");
        }
        Ok(p)
    }
}
