//! Entry point: parses the command line and hands off to a verb.

use clap::Parser;
#[cfg(feature = "hub")]
use langnghe::cli::hub;
use langnghe::cli::{BundleCommand, Cli, Command, data, sync, words};
use langnghe::store::{Store, paths};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let dir = paths::data_dir(cli.data_dir.as_deref());
    let forms_dir = cli.forms_dir();
    // Known once the store is open (the surveyor's setting); the flag or env var win.
    let settings_lang = std::cell::RefCell::new(None);
    let ask_lang = words::choose(cli.lang.as_deref(), || None);
    let open = || -> Result<Store, langnghe::cli::error::CliError> {
        let s = langnghe::cli::passphrase::open(&dir, ask_lang)?;
        *settings_lang.borrow_mut() = s.settings().map(|x| x.language);
        let lang = words::choose(cli.lang.as_deref(), || settings_lang.borrow().clone());
        // Damage found on opening (a bad journal entry, a damaged record) and segment files
        // missing or cut short are said, never silently dropped from what `list` or `export`
        // show.
        for d in &s.open_report().damaged {
            eprintln!("{}: {d}", words::warning(lang));
        }
        for p in s.check_files().problems {
            eprintln!("{}: {p}", words::warning(lang));
        }
        Ok(s)
    };
    let app = cli.command.is_none();
    let report_lang = cli
        .lang
        .clone()
        .or_else(|| std::env::var("LANGNGHE_LANG").ok())
        .unwrap_or_else(|| "vi".into());
    let result = match cli.command {
        Some(Command::Check { forms }) => {
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let ok = if forms.is_empty() {
                langnghe::cli::check::offered(&forms_dir, &mut out, &mut err)
            } else {
                langnghe::cli::check::run(&forms, &mut out, &mut err)
            };
            return if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
        }
        Some(Command::ImportXlsform { file, out }) => {
            langnghe::cli::check::import_xlsform(&file, &out)
        }
        #[cfg(feature = "xlsx")]
        Some(Command::ExportXlsform { form, out }) => {
            langnghe::cli::check::export_xlsform(&form, &forms_dir, &out)
        }
        Some(Command::List { status, json }) => {
            open().and_then(|s| data::list(&s, status, json, &mut std::io::stdout()))
        }
        Some(Command::Simulate {
            form,
            count,
            seed,
            plan,
        }) => open().and_then(|s| {
            let sim = data::Simulation {
                form: &form,
                count,
                seed,
                plan: plan.as_deref(),
            };
            data::simulate(&s, &forms_dir, sim)
        }),
        Some(Command::Export { export }) => {
            open().and_then(|s| data::export(&s, &forms_dir, &export))
        }
        Some(Command::Drill {
            form,
            seed,
            pace_ms,
            marker,
            erase,
        }) => open().and_then(|s| {
            let how = data::DrillEnd {
                marker: marker.as_deref(),
                erase,
            };
            data::drill(s, &form, &forms_dir, seed, pace_ms, how)
        }),
        Some(Command::Report { report }) => open()
            .and_then(|s| langnghe::cli::report::device(&s, &forms_dir, report.args(&report_lang))),
        Some(Command::Enroll { hub_url, token }) => {
            open().and_then(|s| sync::enroll(&s, &hub_url, &token))
        }
        Some(Command::Sync) => open().and_then(|s| sync::sync(&s)),
        Some(Command::Bundle {
            command: BundleCommand::Export { out },
        }) => open().and_then(|s| sync::bundle_export(&s, &out)),
        Some(Command::Bundle {
            command: BundleCommand::Confirm { receipts },
        }) => open().and_then(|s| sync::bundle_confirm(&s, &receipts)),
        #[cfg(feature = "hub")]
        Some(Command::Hub { command }) => hub::run(command, &report_lang),
        Some(Command::Recover) => data::recover(&dir, ask_lang),
        Some(Command::Training { mode }) => {
            open().and_then(|s| data::training(&s, mode.as_deref()))
        }
        Some(Command::Passphrase { remove, data_key }) => {
            let store = match data_key {
                Some(hex) => langnghe::cli::passphrase::open_with_key(&dir, &hex),
                None => open(),
            };
            store.and_then(|s| langnghe::cli::passphrase::set(&s, remove, ask_lang))
        }
        Some(Command::Erase { id, reason }) => open().and_then(|s| data::erase(&s, id, &reason)),
        // The app opens without walking the whole index: its first frame must be quick.
        None => langnghe::cli::passphrase::open(&dir, ask_lang)
            .map_err(langnghe::cli::error::CliError::from)
            .and_then(|s| {
                *settings_lang.borrow_mut() = s.settings().map(|x| x.language);
                langnghe::tui::run(s, &forms_dir).map_err(|e| e.to_string().into())
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let lang = words::choose(cli.lang.as_deref(), || settings_lang.borrow().clone());
            // The app's own messages (no terminal) are already in the surveyor's language.
            let said = match &e {
                langnghe::cli::error::CliError::Other(s) if app => s.clone(),
                e => words::error(e, lang),
            };
            eprintln!("langnghe: {said}");
            ExitCode::from(1)
        }
    }
}
