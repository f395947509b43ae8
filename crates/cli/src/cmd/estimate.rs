//! `tumen estimate` (being built; see the open issue).

use crate::globals::Globals;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_g: &Globals, _a: Args) -> anyhow::Result<()> {
    anyhow::bail!("`tumen estimate` is not available in this build yet")
}
