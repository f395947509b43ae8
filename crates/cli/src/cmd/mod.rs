//! One module per subcommand group. Each exposes clap `Args` and a `run`.

pub mod backup;
pub mod estimate;
pub mod evidence;
pub mod filter;
pub mod ledger;
pub mod link;
pub mod names;
pub mod publish;
pub mod records;
pub mod recovery;
pub mod report;
pub mod transfer;
pub mod user;
