//! `tumen recovery split|unlock`: the trustees' recovery key (Shamir secret
//! sharing, `tumen_protect::shamir`), wired through `tumen_service::backup`.
//!
//! `split` needs the passphrase (and an administrator); it prints one share
//! per trustee, which tumen never stores. `unlock` needs no passphrase —
//! that is its point — only k shares and a new passphrase
//! ($TUMEN_NEW_PASSPHRASE or a prompt).

use crate::globals::Globals;
use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RecoveryCommand,
}

#[derive(clap::Subcommand)]
enum RecoveryCommand {
    /// Create a recovery key and split it among N trustees, any K of whom
    /// can set a new passphrase. Replaces an earlier split.
    Split {
        #[arg(long, value_name = "N")]
        trustees: usize,
        #[arg(long, value_name = "K")]
        threshold: usize,
    },
    /// Set a new passphrase from at least K shares (the passphrase is lost).
    Unlock {
        /// One share as printed by `split` (repeat K times).
        #[arg(long = "share", value_name = "SHARE", required = true)]
        shares: Vec<String>,
    },
}

pub fn run(g: &Globals, a: Args) -> Result<()> {
    match a.command {
        RecoveryCommand::Split {
            trustees,
            threshold,
        } => {
            let archive = crate::cmd::user::open(g)?;
            let actor = crate::cmd::user::actor(g, &archive)?;
            let shares = archive
                .session(actor)
                .setup_recovery(trustees, threshold)
                .context("creating the recovery key")?;
            println!(
                "recovery key created; any {threshold} of these {trustees} shares set a new passphrase."
            );
            println!(
                "Give one share to each trustee, on paper; tumen keeps none of them. Fewer than {threshold} reveal nothing."
            );
            for (i, s) in shares.iter().enumerate() {
                println!("share {}: {}", i + 1, s.as_str());
            }
        }
        RecoveryCommand::Unlock { shares } => {
            let dir = g.data_dir()?;
            let new = crate::cmd::backup::new_secret("TUMEN_NEW_PASSPHRASE", "passphrase")?;
            tumen_service::backup::recover(&dir, &shares, &new)
                .context("recovering with the trustees' shares")?;
            println!(
                "a new passphrase is set for {}; the shares keep working for the next time",
                dir.display()
            );
        }
    }
    Ok(())
}
