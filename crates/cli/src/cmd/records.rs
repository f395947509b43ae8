//! Record commands: init, demo, add, import, export, show, list, timeline, stats, history, vocab.
//! (being built; see issue 2)

use crate::globals::Globals;
use anyhow::{Result, bail};

#[derive(clap::Args)]
pub struct InitArgs {}

pub fn init(_g: &Globals, _a: InitArgs) -> Result<()> {
    bail!("`tumen init` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct DemoArgs {}

pub fn demo(_g: &Globals, _a: DemoArgs) -> Result<()> {
    bail!("`tumen demo` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct AddArgs {}

pub fn add(_g: &Globals, _a: AddArgs) -> Result<()> {
    bail!("`tumen add` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct ImportArgs {}

pub fn import(_g: &Globals, _a: ImportArgs) -> Result<()> {
    bail!("`tumen import` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct ExportArgs {}

pub fn export(_g: &Globals, _a: ExportArgs) -> Result<()> {
    bail!("`tumen export` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct ShowArgs {}

pub fn show(_g: &Globals, _a: ShowArgs) -> Result<()> {
    bail!("`tumen show` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct ListArgs {}

pub fn list(_g: &Globals, _a: ListArgs) -> Result<()> {
    bail!("`tumen list` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct TimelineArgs {}

pub fn timeline(_g: &Globals, _a: TimelineArgs) -> Result<()> {
    bail!("`tumen timeline` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct StatsArgs {}

pub fn stats(_g: &Globals, _a: StatsArgs) -> Result<()> {
    bail!("`tumen stats` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct HistoryArgs {}

pub fn history(_g: &Globals, _a: HistoryArgs) -> Result<()> {
    bail!("`tumen history` is not available in this build yet")
}

#[derive(clap::Args)]
pub struct VocabArgs {}

pub fn vocab(_g: &Globals, _a: VocabArgs) -> Result<()> {
    bail!("`tumen vocab` is not available in this build yet")
}

