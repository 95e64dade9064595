//! The command line: verbs that work without the terminal app.

pub mod check;
pub mod data;
pub mod error;
#[cfg(feature = "hub")]
pub mod hub;
pub mod passphrase;
#[cfg(feature = "hub")]
pub mod plan;
pub mod report;
#[cfg(feature = "hub")]
pub mod review;
pub mod sync;
pub mod words;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

use crate::store::Status;

#[derive(Debug, Parser)]
#[command(
    name = "langnghe",
    version,
    about = "Lắng Nghe — offline surveys of children's participation"
)]
pub struct Cli {
    /// Data folder (default: $LANGNGHE_HOME, else the platform data folder, ~/.local/share/langnghe on Linux, %LOCALAPPDATA%\langnghe on Windows).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of form files (default: $LANGNGHE_FORMS, else ./forms).
    #[arg(long, global = true, value_name = "DIR")]
    pub forms: Option<PathBuf>,
    /// Language of messages and reports: vi or en (default: $LANGNGHE_LANG, else the
    /// surveyor's setting, else vi).
    #[arg(long, global = true, value_name = "vi|en", value_parser = ["vi", "en"])]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate form files; print every problem as path:line:col: message.
    Check {
        /// Form files (TOML, XLSForm, indicator files). None: every form this machine
        /// offers (the built-in ones and the forms folder).
        forms: Vec<PathBuf>,
    },
    /// Convert an XLSForm (.xlsx, .xls or pyxform markdown .md) into a form file.
    ImportXlsform {
        file: PathBuf,
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// Write a form (a form file, or the id of a form on offer) as an XLSForm workbook that
    /// ODK, Kobo and pyxform read, and `import-xlsform` reads back.
    #[cfg(feature = "xlsx")]
    ExportXlsform {
        form: String,
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// List interviews on this device.
    List {
        #[arg(long, value_enum)]
        status: Option<Status>,
        /// One JSON object per interview, in an array, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Run N random valid interviews through the engine and finalize them (training, demos, load tests).
    Simulate {
        /// Form file, or a form id from the forms folder.
        #[arg(long)]
        form: String,
        #[arg(long, default_value_t = 10, conflicts_with = "plan")]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A sample plan (`hub plan`'s file): one interview attempt per child it selects,
        /// in its communes (refusals become non-response there).
        #[arg(long)]
        plan: Option<PathBuf>,
    },
    /// Export this device's finalized interviews: CSV in ODK Central's shape, or a workbook.
    Export {
        #[command(flatten)]
        export: crate::export::Request,
    },
    /// Indicators from this device's own (unsealed) interviews: table, CSV, HTML or a screen.
    Report {
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Enrol this device with a hub, using a one-time token from `langnghe hub enroll-token`.
    Enroll { hub_url: String, token: String },
    /// Send finalized interviews to the hub now (and pull new forms).
    Sync,
    /// Bundles on a USB stick, where there is no network.
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// The hub: receives bundles from devices.
    #[cfg(feature = "hub")]
    Hub {
        #[command(subcommand)]
        command: HubCommand,
    },
    /// Crash drill: take random interviews forever, printing each save once it is durable
    /// (`saved ID REV`, `final ID`). Used by the crash tests; stop it with a signal.
    #[command(hide = true)]
    Drill {
        #[arg(long)]
        form: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Pause between answers, as a person would (milliseconds).
        #[arg(long, default_value_t = 0)]
        pace_ms: u64,
        /// Put this text in front of every text answer (to look for it on disk afterwards).
        #[arg(long)]
        marker: Option<String>,
        /// Erase each interview (a withdrawal) instead of finalizing it.
        #[arg(long)]
        erase: bool,
    },
    /// Rebuild the store's index from the finalized interview files (after sled was lost or damaged).
    Recover,
    /// Training mode: interviews taken while it is on are practice, marked as such in the
    /// record (every screen says so); hubs keep them out of the real data. Without an
    /// argument, says whether it is on.
    Training {
        #[arg(value_parser = ["on", "off"])]
        mode: Option<String>,
    },
    /// Protect the data folder with a passphrase (or change it); --remove makes it a training
    /// folder whose data is not protected.
    Passphrase {
        #[arg(long)]
        remove: bool,
        /// The data key the hub recovered (`hub recover-device-key`), for a forgotten
        /// passphrase: opens the folder with it and sets a new passphrase.
        #[arg(long, value_name = "HEX")]
        data_key: Option<String>,
    },
    /// Erase an interview on request (a draft, a finalized one, or one already sent): the
    /// answers are destroyed here now, and the hub is asked to do the same at the next sync.
    Erase {
        /// The interview's id (see `langnghe list`).
        id: uuid::Uuid,
        /// Why, kept in the tombstone: withdrawn (default), declined, guardian_request…
        #[arg(long, default_value = "withdrawn")]
        reason: String,
    },
}

/// What a report shows and where it goes.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The form whose indicators to compute (needed when several have indicator files).
    #[arg(long)]
    pub form: Option<String>,
    #[arg(long, value_enum, default_value_t = report::ReportFormat::Table)]
    pub format: report::ReportFormat,
    /// Write to this file instead of the terminal.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write one CSV row per interview to this file: weight, stratum, PSU, each
    /// breakdown's cell, and per indicator whether the child is in its population and
    /// counted — to check the figures in R or Stata.
    #[arg(long, value_name = "FILE")]
    pub microdata: Option<PathBuf>,
}

impl ReportArgs {
    /// `lang`: the command line's `--lang` (reports follow the messages' language).
    pub fn args<'a>(&'a self, lang: &'a str) -> report::Args<'a> {
        report::Args {
            form: self.form.as_deref(),
            format: self.format,
            out: self.out.as_deref(),
            microdata: self.microdata.as_deref(),
            lang,
        }
    }
}

#[cfg(feature = "hub")]
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Interviews with their review state, place, surveyor and quality flags.
    List {
        /// Only this state.
        #[arg(long, value_enum)]
        state: Option<crate::hub::review::ReviewState>,
        /// Only interviews with a quality flag.
        #[arg(long)]
        flagged: bool,
        /// Order by: place, surveyor, device, state, flags or time (default: place).
        #[arg(long, default_value = "place")]
        by: String,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One interview as questions and answers, in the form's language, with its flags and
    /// review history.
    Show { id: uuid::Uuid },
    /// Approve an interview.
    Approve {
        id: uuid::Uuid,
        #[arg(long, default_value = "")]
        note: String,
        /// Who decides (default: the login name).
        #[arg(long)]
        by: Option<String>,
    },
    /// Mark an interview as having issues (stays on the hub), with what is wrong.
    HasIssues {
        id: uuid::Uuid,
        #[arg(long)]
        note: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// Reject an interview: send it back to the surveyor with what to fix. It travels to its
    /// device at the next sync (or in the `.returns` file `hub import` writes for a stick).
    Reject {
        id: uuid::Uuid,
        #[arg(long)]
        note: String,
        /// A question to fix (its name); repeat for several. The draft reopens at the first.
        #[arg(long = "at", value_name = "QUESTION")]
        questions: Vec<String>,
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write everything not yet sent into bundle files (OUT, then OUT-2, OUT-3… when one
    /// file would pass the hub's size limit).
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Apply the receipts the hub's import wrote (marks those interviews sent), and any
    /// `DEVICE.returns` file beside them (interviews the supervisor sent back).
    Confirm {
        #[arg(required = true)]
        receipts: Vec<PathBuf>,
    },
}

#[cfg(feature = "hub")]
#[derive(Debug, Subcommand)]
pub enum HubCommand {
    /// Create a hub folder: its age identity, signing key and store.
    Init {
        #[arg(long)]
        data: PathBuf,
        /// An extra age recipient (offline escrow key) every interview is also sealed to.
        #[arg(long)]
        escrow: Vec<String>,
        /// Keep interviews in PostgreSQL (`postgres://user:password@host/db`) instead of
        /// the embedded store: for a province's or the country's hub.
        #[arg(long)]
        database: Option<String>,
    },
    /// Serve the HTTP API.
    Serve {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8770")]
        listen: String,
    },
    /// Print a one-time enrolment token for a device.
    EnrollToken {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        device: String,
    },
    /// List enrolled devices; --revoke NAME_OR_ID refuses a lost or stolen one from now on.
    Devices {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        revoke: Option<String>,
    },
    /// Erase an interview on request that reached the district office directly: replaced by
    /// a tombstone (id, time, reason); its sealed bytes are overwritten in the kept bundles.
    Erase {
        #[arg(long)]
        data: PathBuf,
        id: uuid::Uuid,
        #[arg(long, default_value = "withdrawn")]
        reason: String,
    },
    /// A device's forgotten passphrase: open its DATA/datakey.hub (sealed to this hub at
    /// enrolment) and print the data key, to give back to the device's owner.
    RecoverDeviceKey {
        #[arg(long)]
        data: PathBuf,
        file: PathBuf,
    },
    /// Children flagged as needing protection follow-up: interview, commune, time, surveyor
    /// (never what the child said), for the commune's child-protection officer.
    Referrals {
        #[arg(long)]
        data: PathBuf,
        /// Only those set on or after this day (YYYY-MM-DD).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// Also write them as CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Mark the referral of this interview followed up.
        #[arg(long, value_name = "INTERVIEW_ID")]
        followed_up: Option<uuid::Uuid>,
    },
    /// Supervisor review: without a verb, a screen listing interviews with their state and
    /// quality flags, to read one and approve it, mark it has-issues or send it back with a
    /// note; the same as scriptable verbs.
    Review {
        #[arg(long)]
        data: PathBuf,
        #[command(subcommand)]
        action: Option<ReviewCommand>,
    },
    /// Open sealed interviews as readable JSON, one per line: bundle files (a USB stick, a
    /// kept copy) or ids stored on the hub, with the hub's key or an escrow key (--identity).
    /// Without --data, only bundle files, with --identity (the device signature unchecked).
    Open {
        #[arg(long)]
        data: Option<PathBuf>,
        /// An age identity file (`age-keygen` output), e.g. the escrow key.
        #[arg(long)]
        identity: Option<PathBuf>,
        /// Bundle files and/or interview ids.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Import bundle files carried on a USB stick; writes FILE.receipt next to each.
    Import {
        #[arg(long)]
        data: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// A sample plan: from a frame of communes (CSV: province, commune, name, children),
    /// how many communes and children each province needs for the precision goal, and which
    /// communes, by PPS systematic sampling (reproducible from --seed).
    Plan {
        #[arg(long)]
        frame: PathBuf,
        #[arg(long)]
        seed: u64,
        /// The plan, one row per selected commune with its selection probability.
        #[arg(long)]
        out: PathBuf,
        /// Half-width of the 95% interval wanted per province.
        #[arg(long, default_value_t = 0.05)]
        margin: f64,
        /// Proportion assumed when sizing (0.5: the worst case).
        #[arg(long, default_value_t = 0.5)]
        p: f64,
        /// Design effect expected from clustering by commune.
        #[arg(long, default_value_t = 2.0)]
        deff: f64,
        /// Share of selected children expected to complete the interview.
        #[arg(long, default_value_t = 0.8)]
        response: f64,
        /// Children selected (approached) in each selected commune.
        #[arg(long, default_value_t = 20)]
        per_commune: u32,
    },
    /// Indicators over every device's interviews: table, CSV, a self-contained HTML file or a screen.
    Report {
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        report: ReportArgs,
        /// Also count practice interviews (training mode, simulated), as on a training hub.
        #[arg(long)]
        include_training: bool,
        /// Count the indicators again from every stored interview instead of reading the
        /// tallies kept at ingest (done by itself when the indicator file, plan, totals or
        /// form changed, or the tallies missed an ingest).
        #[arg(long)]
        recount: bool,
    },
    /// Export every device's interviews: CSV in ODK Central's shape, or a workbook.
    Export {
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        export: crate::export::Request,
    },
}

impl Cli {
    pub fn forms_dir(&self) -> PathBuf {
        self.forms
            .clone()
            .or_else(|| {
                std::env::var_os("LANGNGHE_FORMS")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("forms"))
    }
}
