//! `tumen`: the command line. It only wires the libraries together: parsing
//! arguments, reading files and the passphrase, printing results. Every rule
//! about records, names, linkage, estimation or access lives in a library.

mod cmd;
mod globals;

/// mimalloc, for Rust's allocations and (feature `override`) for the C
/// libraries' too, SQLite's and OpenSSL's: an import allocates and frees a
/// few small objects per field, and glibc's allocator took about a quarter
/// of its CPU (BENCHMARKS.md, "Store (issue 2)").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use globals::Globals;

#[derive(Parser)]
#[command(
    name = "tumen",
    version,
    about = "Document, protect, link, count and report forced repatriations from China to North Korea",
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    globals: Globals,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new encrypted database in the data directory.
    Init(cmd::records::InitArgs),
    /// Build a demo database from the bundled dataset and print a summary.
    Demo(cmd::records::DemoArgs),
    /// Add one record from flags or from a JSON/TOML file.
    Add(cmd::transfer::AddArgs),
    /// Import records from CSV or JSON Lines; all or nothing.
    Import(cmd::transfer::ImportArgs),
    /// Export records as JSON Lines or CSV.
    Export(cmd::transfer::ExportArgs),
    /// Show one record.
    Show(cmd::records::ShowArgs),
    /// List records matching filters.
    #[command(alias = "query")]
    List(cmd::records::ListArgs),
    /// Events and acts in date order.
    Timeline(cmd::report::TimelineArgs),
    /// Counts by act type, place, category, year.
    Stats(cmd::report::StatsArgs),
    /// The revision history of one record.
    History(cmd::report::HistoryArgs),
    /// The controlled vocabularies, and extending them.
    Vocab(cmd::report::VocabArgs),
    /// Names across scripts: romanize, compare.
    Names(cmd::names::Args),
    /// Multiple systems estimation: how many were never documented.
    Estimate(cmd::estimate::Args),
    /// Record linkage: find the same person across sources.
    Link(cmd::link::Args),
    /// Verify the tamper-evident ledger; print tree heads and proofs.
    Verify(cmd::ledger::Args),
    /// Write a public dataset allowed by a publication policy.
    Publish(cmd::publish::Args),
    /// User accounts: add, list, passwd, lock, unlock, role, totp.
    User(cmd::user::Args),
    /// Evidence files with a chain of custody: add, list, export, verify.
    Evidence(cmd::evidence::Args),
    /// Write one encrypted backup file (database, evidence, sealed manifest).
    Backup(cmd::backup::BackupArgs),
    /// Restore a backup file into --data, after checking all of it.
    Restore(cmd::backup::RestoreArgs),
    /// Set a new passphrase, or re-encrypt everything under a new data key
    /// (--new-data-key); readers see no downtime.
    Rekey(cmd::backup::RekeyArgs),
    /// A recovery key split among trustees: split, unlock.
    Recovery(cmd::recovery::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(a) => cmd::records::init(&cli.globals, a),
        Command::Demo(a) => cmd::records::demo(&cli.globals, a),
        Command::Add(a) => cmd::transfer::add(&cli.globals, a),
        Command::Import(a) => cmd::transfer::import(&cli.globals, a),
        Command::Export(a) => cmd::transfer::export(&cli.globals, a),
        Command::Show(a) => cmd::records::show(&cli.globals, a),
        Command::List(a) => cmd::records::list(&cli.globals, a),
        Command::Timeline(a) => cmd::report::timeline(&cli.globals, a),
        Command::Stats(a) => cmd::report::stats(&cli.globals, a),
        Command::History(a) => cmd::report::history(&cli.globals, a),
        Command::Vocab(a) => cmd::report::vocab(&cli.globals, a),
        Command::Names(a) => cmd::names::run(&cli.globals, a),
        Command::Estimate(a) => cmd::estimate::run(&cli.globals, a),
        Command::Link(a) => cmd::link::run(&cli.globals, a),
        Command::Verify(a) => cmd::ledger::run(&cli.globals, a),
        Command::Publish(a) => cmd::publish::run(&cli.globals, a),
        Command::User(a) => cmd::user::run(&cli.globals, a),
        Command::Evidence(a) => cmd::evidence::run(&cli.globals, a),
        Command::Backup(a) => cmd::backup::backup(&cli.globals, a),
        Command::Restore(a) => cmd::backup::restore(&cli.globals, a),
        Command::Rekey(a) => cmd::backup::rekey(&cli.globals, a),
        Command::Recovery(a) => cmd::recovery::run(&cli.globals, a),
    };
    if let Err(e) = result {
        // `tumen list | head` closes the pipe early: that is not a failure.
        let broken_pipe = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
        if broken_pipe {
            std::process::exit(0);
        }
        // `{:#}` prints the whole context chain on one line: "import people.csv:
        // line 4, field birth_date: 2023-02-30 is not a date (February has 28 days)".
        eprintln!("tumen: error: {e:#}");
        std::process::exit(1);
    }
}
