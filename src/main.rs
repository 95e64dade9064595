//! Entry point: parses the command line and hands off to a verb.

use clap::Parser;
use langnghe::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check { forms }) => {
            let ok =
                langnghe::cli::check::run(&forms, &mut std::io::stdout(), &mut std::io::stderr());
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        None => {
            eprintln!(
                "langnghe: the interview app is not built yet; try `langnghe check forms/*.toml`"
            );
            ExitCode::from(2)
        }
    }
}
