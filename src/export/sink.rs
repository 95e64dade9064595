//! CSV files written as interviews stream by (constant memory): one set of tables per form.

use crate::form::Form;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Writes interviews into CSV files as they come (constant memory), one set of tables per
/// form: `FORM.csv` and `FORM-REPEAT.csv`.
pub(crate) struct CsvSink<'a> {
    forms: &'a [Arc<Form>],
    out_dir: &'a Path,
    include_sensitive: bool,
    /// Per form id: its exporter and open files with their row counts (`None`: form unknown).
    open: std::collections::HashMap<String, Option<OpenTables<'a>>>,
    skipped: std::collections::BTreeMap<String, usize>,
    error: Option<String>,
}

pub(crate) struct OpenTables<'a> {
    exporter: crate::export::csv::Exporter<'a>,
    files: Vec<(std::path::PathBuf, std::io::BufWriter<std::fs::File>, usize)>,
}

impl<'a> CsvSink<'a> {
    pub fn new(forms: &'a [Arc<Form>], out_dir: &'a Path, include_sensitive: bool) -> CsvSink<'a> {
        CsvSink {
            forms,
            out_dir,
            include_sensitive,
            open: Default::default(),
            skipped: Default::default(),
            error: None,
        }
    }

    fn start(&self, form_id: &str) -> Result<Option<OpenTables<'a>>, String> {
        // The newest version of the form names the columns (10 after 9).
        let forms: &'a [Arc<Form>] = self.forms;
        let Some(form) = forms
            .iter()
            .filter(|f| f.id == form_id)
            .max_by(|a, b| crate::form::version_cmp(&a.version, &b.version))
        else {
            return Ok(None);
        };
        let exporter = crate::export::csv::Exporter::new(form, self.include_sensitive);
        let mut files = Vec::new();
        for (file, header) in exporter.headers() {
            let path = self.out_dir.join(file);
            let f = crate::store::paths::replace_private(&path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            // A BOM so that Excel, which supervisors use, reads the Vietnamese correctly.
            w.write_all(format!("\u{feff}{}", crate::export::csv::line(header)).as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            files.push((path, w, 0));
        }
        Ok(Some(OpenTables { exporter, files }))
    }

    pub fn add(&mut self, f: &crate::record::Finalized) {
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
        let Some(Some(t)) = self.open.get_mut(&f.form.id) else {
            *self.skipped.entry(f.form.id.clone()).or_default() += 1;
            return;
        };
        for ((path, w, n), rows) in t.files.iter_mut().zip(t.exporter.rows(f)) {
            for r in rows {
                if let Err(e) = w.write_all(crate::export::csv::line(&r).as_bytes()) {
                    self.error = Some(format!("cannot write {}: {e}", path.display()));
                    return;
                }
                *n += 1;
            }
        }
    }

    /// Flushes the files: one line per file written. Interviews whose form is unknown here
    /// make it an error (after the files are written), naming the forms: a command that
    /// leaves data out must not look like a success.
    pub fn finish(self, forms_dir: &Path) -> Result<Vec<String>, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|(form_id, n)| format!("{n} interview(s) of form `{form_id}`"))
            .collect();
        let mut lines = Vec::new();
        let mut open: Vec<_> = self.open.into_values().flatten().collect();
        open.sort_by(|a, b| a.files[0].0.cmp(&b.files[0].0));
        for t in open {
            for (path, mut w, n) in t.files {
                w.flush()
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                lines.push(format!("{} ({n} rows)", path.display()));
            }
        }
        if !skipped.is_empty() {
            return Err(format!(
                "{}\nleft out: {}; their form is neither kept here nor in {}",
                lines.join("\n"),
                skipped.join(", "),
                forms_dir.display()
            ));
        }
        Ok(lines)
    }
}
