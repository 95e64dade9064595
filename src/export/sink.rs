//! CSV files written as interviews stream by (constant memory): one set of tables per form,
//! as Central writes them (UTF-8 without BOM, LF) or for Excel (BOM, CRLF), loose or zipped.

use crate::export::csv::{Options, SeenValues, Submission};
use crate::form::Form;
use crate::record::Finalized;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the files are written.
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    pub table: Options,
    /// A BOM and CRLF, so that Excel opens the Vietnamese right with a double click.
    pub excel: bool,
    /// One `FORM.csv.zip` per form holding its tables, as Central's download.
    pub zip: bool,
}

impl CsvOptions {
    pub fn central() -> CsvOptions {
        CsvOptions {
            table: Options::central(),
            excel: false,
            zip: false,
        }
    }
}

/// Walks every interview once, calling the given function with each and what is known of
/// its submission; returns what it had to leave out (damaged records), named.
pub type Source<'s> =
    dyn FnMut(&mut dyn FnMut(&Finalized, &Submission)) -> Result<Vec<String>, String> + 's;

/// Exports every interview `source` walks into `out_dir`; returns one line per file written
/// and the damaged records left out. With split select_multiple columns, the data is walked
/// twice: Central names those columns after the values seen, so they are known before the
/// header is written.
pub fn export(
    forms: &[Arc<Form>],
    out_dir: &Path,
    forms_dir: &Path,
    opts: CsvOptions,
    source: &mut Source<'_>,
) -> Result<(Vec<String>, Vec<String>), String> {
    let mut seen: HashMap<String, SeenValues> = HashMap::new();
    if opts.table.split_select_multiples {
        source(&mut |f, _| {
            if let Some(form) = newest(forms, &f.form.id) {
                crate::export::csv::see(form, f, seen.entry(f.form.id.clone()).or_default());
            }
        })?;
    }
    let mut sink = CsvSink::new(forms, out_dir, opts, seen);
    let damaged = source(&mut |f, sub| sink.add(f, sub))?;
    Ok((sink.finish(forms_dir)?, damaged))
}

/// The newest version of a form names the columns (10 after 9).
pub(crate) fn newest<'a>(forms: &'a [Arc<Form>], form_id: &str) -> Option<&'a Form> {
    forms
        .iter()
        .filter(|f| f.id == form_id)
        .max_by(|a, b| crate::form::version_cmp(&a.version, &b.version))
        .map(|f| &**f)
}

/// Writes interviews into CSV files as they come (constant memory), one set of tables per
/// form: `FORM.csv` and `FORM-REPEAT.csv`.
struct CsvSink<'a> {
    forms: &'a [Arc<Form>],
    out_dir: &'a Path,
    opts: CsvOptions,
    seen: HashMap<String, SeenValues>,
    /// Per form id: its exporter and open files with their row counts (`None`: form unknown).
    open: HashMap<String, Option<OpenTables<'a>>>,
    skipped: BTreeMap<String, usize>,
    error: Option<String>,
}

struct OpenTables<'a> {
    form_id: String,
    exporter: crate::export::csv::Exporter<'a>,
    files: Vec<(PathBuf, std::io::BufWriter<std::fs::File>, usize)>,
}

impl<'a> CsvSink<'a> {
    fn new(
        forms: &'a [Arc<Form>],
        out_dir: &'a Path,
        opts: CsvOptions,
        seen: HashMap<String, SeenValues>,
    ) -> CsvSink<'a> {
        CsvSink {
            forms,
            out_dir,
            opts,
            seen,
            open: Default::default(),
            skipped: Default::default(),
            error: None,
        }
    }

    fn eol(&self) -> &'static str {
        if self.opts.excel { "\r\n" } else { "\n" }
    }

    fn start(&self, form_id: &str) -> Result<Option<OpenTables<'a>>, String> {
        let Some(form) = newest(self.forms, form_id) else {
            return Ok(None);
        };
        let exporter =
            crate::export::csv::Exporter::new(form, self.opts.table, self.seen.get(form_id));
        let mut files = Vec::new();
        for (file, header) in exporter.headers() {
            let path = self.out_dir.join(file);
            let f = crate::store::paths::replace_private(&path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let bom = if self.opts.excel { "\u{feff}" } else { "" };
            let head = crate::export::csv::line_with(header, self.eol());
            w.write_all(format!("{bom}{head}").as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            files.push((path, w, 0));
        }
        Ok(Some(OpenTables {
            form_id: form.id.clone(),
            exporter,
            files,
        }))
    }

    fn add(&mut self, f: &Finalized, sub: &Submission) {
        if self.error.is_some() {
            return;
        }
        if !self.open.contains_key(&f.form.id) {
            match self.start(&f.form.id) {
                Ok(t) => {
                    self.open.insert(f.form.id.clone(), t);
                }
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
        let eol = self.eol();
        let Some(Some(t)) = self.open.get_mut(&f.form.id) else {
            *self.skipped.entry(f.form.id.clone()).or_default() += 1;
            return;
        };
        for ((path, w, n), rows) in t.files.iter_mut().zip(t.exporter.rows(f, sub)) {
            for r in rows {
                if let Err(e) = w.write_all(crate::export::csv::line_with(&r, eol).as_bytes()) {
                    self.error = Some(format!("cannot write {}: {e}", path.display()));
                    return;
                }
                *n += 1;
            }
        }
    }

    /// Flushes the files (zipping them when asked): one line per file written. Interviews
    /// whose form is unknown here make it an error (after the files are written), naming
    /// the forms: a command that leaves data out must not look like a success.
    fn finish(self, forms_dir: &Path) -> Result<Vec<String>, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut lines = Vec::new();
        let mut open: Vec<_> = self.open.into_values().flatten().collect();
        open.sort_by(|a, b| a.form_id.cmp(&b.form_id));
        for t in open {
            let mut written = Vec::new();
            for (path, w, n) in t.files {
                let file = w
                    .into_inner()
                    .map_err(|e| format!("cannot write {}: {}", path.display(), e.error()))?;
                file.sync_all()
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                written.push((path, n));
            }
            if self.opts.zip {
                let zip = self.out_dir.join(format!("{}.csv.zip", t.form_id));
                zip_tables(&zip, &written)?;
                let rows: Vec<String> = written.iter().map(|(_, n)| n.to_string()).collect();
                lines.push(format!("{} ({} rows)", zip.display(), rows.join(" + ")));
            } else {
                lines.extend(
                    written
                        .iter()
                        .map(|(p, n)| format!("{} ({n} rows)", p.display())),
                );
            }
        }
        left_out(lines, &self.skipped, forms_dir)
    }
}

/// What was written, or, when interviews of unknown forms were left out, an error that
/// says what was written and what was not: a command that leaves data out must not look
/// like a success.
pub(crate) fn left_out(
    lines: Vec<String>,
    skipped: &BTreeMap<String, usize>,
    forms_dir: &Path,
) -> Result<Vec<String>, String> {
    if skipped.is_empty() {
        return Ok(lines);
    }
    let names: Vec<String> = skipped
        .iter()
        .map(|(form_id, n)| format!("{n} interview(s) of form `{form_id}`"))
        .collect();
    Err(format!(
        "{}\nleft out: {}; their form is neither kept here nor in {}",
        lines.join("\n"),
        names.join(", "),
        forms_dir.display()
    ))
}

/// Moves a form's CSV files into one zip (deflated), as Central's `.csv.zip`; the loose
/// files are removed once the zip is complete on disk.
fn zip_tables(zip: &Path, files: &[(PathBuf, usize)]) -> Result<(), String> {
    let cannot = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", zip.display());
    let out = crate::store::paths::replace_private(zip).map_err(|e| cannot(&e))?;
    let mut w = zip::ZipWriter::new(std::io::BufWriter::new(out));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (path, _) in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        w.start_file(name, options).map_err(|e| cannot(&e))?;
        let mut f = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        std::io::copy(&mut f, &mut w).map_err(|e| cannot(&e))?;
    }
    let buf = w.finish().map_err(|e| cannot(&e))?;
    let file = buf.into_inner().map_err(|e| cannot(e.error()))?;
    file.sync_all().map_err(|e| cannot(&e))?;
    for (path, _) in files {
        std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}
