//! The command line: verbs that work without the terminal app.

pub mod check;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "langnghe",
    version,
    about = "Lắng Nghe — offline surveys of children's participation"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate form files; print every problem as path:line:col: message.
    Check {
        /// Form files (TOML).
        #[arg(required = true)]
        forms: Vec<PathBuf>,
    },
}
