//! Getting data out of the device and the hub: CSV in ODK Central's shape for analysts'
//! scripts, an Excel workbook for people.

use std::path::PathBuf;

pub mod csv;
pub mod sink;
#[cfg(feature = "xlsx")]
pub mod xlsx;

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Format {
    /// One CSV per table, as ODK Central exports them.
    #[default]
    Csv,
    /// One Excel workbook: a sheet per table, labels under the names, real dates.
    #[cfg(feature = "xlsx")]
    Xlsx,
}

/// What `export` and `hub export` are asked to write (the hub's admin call carries the
/// same, as JSON).
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Request {
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also export questions marked sensitive (ethnicity, free text).
    #[arg(long)]
    pub include_sensitive: bool,
    /// A 0/1 column per select_multiple value seen in the data (Central's splitSelectMultiples).
    #[arg(long)]
    pub split_select_multiples: bool,
    /// Column names without their groups (Central's groupPaths=false).
    #[arg(long)]
    pub no_group_paths: bool,
    /// CSV for Excel: a BOM and CRLF line ends (default: UTF-8 without BOM, LF, as Central).
    #[arg(long)]
    pub excel: bool,
    /// One FORM.csv.zip per form holding its tables, as Central's download.
    #[arg(long)]
    pub zip: bool,
    /// Language of the labels in a workbook, one of the form's (default: its first).
    #[arg(long, value_name = "LANG")]
    pub label_lang: Option<String>,
    /// A hub's export: also practice interviews (training mode, simulated), marked in
    /// `meta-training`. A device's own export always has them, marked.
    #[arg(long)]
    pub include_training: bool,
}

impl Request {
    pub fn csv_options(&self) -> sink::CsvOptions {
        sink::CsvOptions {
            table: csv::Options {
                include_sensitive: self.include_sensitive,
                split_select_multiples: self.split_select_multiples,
                group_paths: !self.no_group_paths,
            },
            excel: self.excel,
            zip: self.zip,
        }
    }
}

/// Writes what `req` asks for from every interview `source` walks: returns one line per file
/// written and the damaged records left out.
pub fn write(
    forms: &[std::sync::Arc<crate::form::Form>],
    forms_dir: &std::path::Path,
    req: &Request,
    source: &mut sink::Source<'_>,
) -> Result<(Vec<String>, Vec<String>), String> {
    crate::store::paths::ensure_private_dir(&req.out)
        .map_err(|e| format!("cannot create {}: {e}", req.out.display()))?;
    match req.format {
        Format::Csv => sink::export(forms, &req.out, forms_dir, req.csv_options(), source),
        #[cfg(feature = "xlsx")]
        Format::Xlsx => xlsx::export(forms, forms_dir, req, source),
    }
}
