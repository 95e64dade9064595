//! Verbs over the store: list, simulate, export, recover.

use crate::form::{self, Form};
use crate::session::{Clock, SystemClock};
use crate::simulate::{self, Rng};
use crate::store::{Status, Store};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

/// An error for the person at the terminal.
pub type CliResult = Result<(), String>;

/// Every form in `dir`, by id. Broken forms are reported, not fatal.
pub fn load_forms(dir: &Path) -> (Vec<Arc<Form>>, Vec<String>) {
    let mut forms = Vec::new();
    let mut errors = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            (p.extension().is_some_and(|x| x == "toml")
                && !crate::indicators::def::is_indicator_file(p))
                || crate::xlsform::is_xlsform(p)
        })
        .collect();
    paths.sort();
    for p in paths {
        // An XLSForm placed in forms/ opens directly.
        let loaded = if crate::xlsform::is_xlsform(&p) {
            crate::xlsform::import(&p).map(|i| i.form)
        } else {
            form::load(&p)
        };
        match loaded {
            Ok(f) => forms.push(Arc::new(f)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (forms, errors)
}

fn find_form(spec: &str, forms_dir: &Path) -> Result<Arc<Form>, String> {
    let p = Path::new(spec);
    if p.is_file() {
        let loaded = if crate::xlsform::is_xlsform(p) {
            crate::xlsform::import(p).map(|i| i.form)
        } else {
            form::load(p)
        };
        return loaded.map(Arc::new).map_err(|e| e.to_string());
    }
    let (forms, _) = load_forms(forms_dir);
    forms.into_iter().find(|f| f.id == spec).ok_or_else(|| {
        format!(
            "no form `{spec}`: give a form file, or a form id from {}",
            forms_dir.display()
        )
    })
}

struct Row {
    id: String,
    form: String,
    status: Status,
    started: String,
    progress: String,
}

/// Writes one line (or JSON object) per interview as it reads them, so a device with
/// 100 000 interviews lists them in constant memory.
pub fn list(store: &Store, status: Option<Status>, json: bool, out: &mut dyn Write) -> CliResult {
    let (drafts, mut bad) = store.drafts();
    let drafts = drafts.into_iter().map(|d| {
        Ok(Row {
            id: d.id.to_string(),
            form: d.form.id,
            status: Status::Draft,
            started: d.started.local().format("%Y-%m-%d %H:%M").to_string(),
            progress: format!("{}/{}", d.progress.0, d.progress.1),
        })
    });
    let finals = store.entries_iter().map(|r| {
        r.map(|(id, e)| Row {
            id: id.to_string(),
            form: e.form_id,
            status: e.status,
            started: e.started.local().format("%Y-%m-%d %H:%M").to_string(),
            progress: format!("{} answers", e.answered),
        })
    });
    let mut first = true;
    let mut emit = |r: &Row| -> std::io::Result<()> {
        if json {
            let obj = serde_json::json!({"id": r.id, "form": r.form, "status": r.status.as_str(), "started": r.started, "progress": r.progress});
            write!(out, "{}{obj}", if first { "[\n" } else { ",\n" })?;
        } else {
            writeln!(
                out,
                "{}  {:<24} {:<9}  {}  {}",
                r.id,
                r.form,
                r.status.as_str(),
                r.started,
                r.progress
            )?;
        }
        first = false;
        Ok(())
    };
    let mut result = Ok(());
    for r in drafts.chain(finals) {
        match r {
            Ok(row) if status.is_none_or(|s| s == row.status) => {
                if let Err(e) = emit(&row) {
                    result = Err(e);
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => bad.push(e),
        }
    }
    if json && result.is_ok() {
        result = writeln!(out, "{}", if first { "[]" } else { "\n]" });
    }
    for b in bad {
        eprintln!("warning: skipped a damaged record: {b}");
    }
    match result {
        // A closed pipe (`langnghe list | head`) is the reader being done, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| format!("cannot write the list: {e}")),
    }
}

pub fn simulate(
    store: &Store,
    form_spec: &str,
    forms_dir: &Path,
    count: usize,
    seed: u64,
) -> CliResult {
    let form = find_form(form_spec, forms_dir)?;
    let clock = SystemClock::default();
    let mut rng = Rng::new(seed);
    let surveyor = store
        .settings()
        .map(|s| s.surveyor)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "simulated".into());
    let tty = std::io::stderr().is_terminal();
    let mut batch = Vec::new();
    let (mut done, mut failed) = (0usize, 0usize);
    let mut ended: Vec<crate::store::Tombstone> = Vec::new();
    let mut ended_total = 0usize;
    // Some random walks dead-end (no random value fits a required answer); try again,
    // within reason, so that `--count N` means N interviews.
    while done + batch.len() < count && failed <= count * 10 {
        let now = clock.now();
        match simulate::interview(&form, &mut rng, now) {
            // As in the app: a refusal or a child out of range leaves only a tombstone.
            Some(iv)
                if iv.consent() == crate::interview::Consent::Declined || iv.not_eligible() =>
            {
                let reason = if iv.not_eligible() {
                    "not_eligible"
                } else {
                    "declined"
                };
                ended_total += 1;
                ended.push(crate::store::Tombstone {
                    id: uuid::Uuid::now_v7(),
                    form_id: form.id.clone(),
                    at: crate::store::Stamp::from_local(now),
                    reason: reason.into(),
                });
            }
            Some(iv) => batch.push(simulate::finalized(&form, &iv, &surveyor, &mut rng, now)),
            None => failed += 1,
        }
        if batch.len() >= 500 || done + batch.len() == count {
            store.finalize(&mut batch).map_err(|e| e.to_string())?;
            store.add_tombstones(&ended).map_err(|e| e.to_string())?;
            ended.clear();
            done += batch.len();
            batch.clear();
            if tty {
                eprint!(
                    "\r{} {}/{} [{}]",
                    form.id,
                    done,
                    count,
                    bar(done, count, 30)
                );
            }
        } else if tty && batch.len() % 50 == 0 {
            eprint!(
                "\r{} {}/{} [{}]",
                form.id,
                done + batch.len(),
                count,
                bar(done + batch.len(), count, 30)
            );
        }
    }
    if tty {
        eprintln!();
    }
    if ended_total > 0 {
        println!(
            "{ended_total} interview(s) ended early (declined or not eligible): only tombstones kept"
        );
    }
    println!(
        "{done} interview(s) finalized for {} v{}{}",
        form.id,
        form.version,
        if done < count {
            format!("; stopped after {failed} random walks could not be completed")
        } else {
            String::new()
        }
    );
    Ok(())
}

fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = done * width / total.max(1);
    format!("{}{}", "#".repeat(filled), ".".repeat(width - filled))
}

pub fn export(
    store: &Store,
    forms_dir: &Path,
    out_dir: &Path,
    include_sensitive: bool,
) -> CliResult {
    let (forms, _) = load_forms(forms_dir);
    crate::store::paths::ensure_private_dir(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut sink = CsvSink::new(&forms, out_dir, include_sensitive);
    let mut read = 0usize;
    let bad = store
        .each_finalized(|f| {
            read += 1;
            sink.add(&f);
        })
        .map_err(|e| e.to_string())?;
    for b in bad {
        eprintln!("warning: skipped a damaged record: {b}");
    }
    for line in sink.finish(forms_dir)? {
        println!("{line}");
    }
    if read == 0 && store.entries_iter().next().is_some() {
        eprintln!(
            "note: interviews sealed to the hub are not readable here; export them on the hub"
        );
    }
    Ok(())
}

/// Writes interviews into CSV files as they come (constant memory), one set of tables per
/// form: `FORM.csv` and `FORM-REPEAT.csv`.
pub struct CsvSink<'a> {
    forms: &'a [Arc<Form>],
    out_dir: &'a Path,
    include_sensitive: bool,
    /// Per form id: its exporter and open files with their row counts (`None`: form unknown).
    open: std::collections::HashMap<String, Option<OpenTables<'a>>>,
    skipped: std::collections::BTreeMap<String, usize>,
    error: Option<String>,
}

pub struct OpenTables<'a> {
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
        // The newest version of the form names the columns.
        let forms: &'a [Arc<Form>] = self.forms;
        let Some(form) = forms
            .iter()
            .filter(|f| f.id == form_id)
            .max_by(|a, b| a.version.cmp(&b.version))
        else {
            return Ok(None);
        };
        let exporter = crate::export::csv::Exporter::new(form, self.include_sensitive);
        let mut files = Vec::new();
        for (file, header) in exporter.headers() {
            let path = self.out_dir.join(file);
            let f = crate::sync::keys::replace_private(&path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            // A BOM so that Excel, which supervisors use, reads the Vietnamese correctly.
            w.write_all(format!("\u{feff}{}", crate::export::csv::line(header)).as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            files.push((path, w, 0));
        }
        Ok(Some(OpenTables { exporter, files }))
    }

    pub fn add(&mut self, f: &crate::store::Finalized) {
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

    /// Flushes the files; one line per file written, and warnings for forms not found.
    pub fn finish(self, forms_dir: &Path) -> Result<Vec<String>, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for (form_id, n) in &self.skipped {
            eprintln!(
                "warning: {n} interview(s) of form `{form_id}` skipped: the form is not in {}",
                forms_dir.display()
            );
        }
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
        Ok(lines)
    }
}

pub fn recover(dir: &Path) -> CliResult {
    let (store, carried) = Store::recover(dir).map_err(|e| e.to_string())?;
    let r = store.open_report();
    let (entries, _) = store.entries();
    println!(
        "rebuilt the store in {}: {} finalized interview(s) indexed from their files ({} in all), {} draft(s) restored from the journal",
        dir.display(),
        r.indexed,
        entries.len(),
        r.replayed
    );
    println!(
        "carried over from the old index: {} draft(s), {} refusal/withdrawal record(s), {} sent/queued status(es){}{}",
        carried.drafts,
        carried.tombstones,
        carried.statuses,
        if carried.settings {
            ", the settings"
        } else {
            ""
        },
        if carried.enrolment {
            "; sealing to the hub restored from enrollment.toml"
        } else {
            ""
        }
    );
    if let Some(why) = &carried.unreadable {
        println!(
            "could not read the old index ({why}): drafts not in the journal, sent status and settings could not be carried over; the old folder is kept beside the new one"
        );
    }
    if !carried.lost.is_empty() {
        println!(
            "LOST: {} finalized interview(s) the old index knew are in no file any more: {}",
            carried.lost.len(),
            carried
                .lost
                .iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for d in &r.damaged {
        println!("damaged, skipped: {d}");
    }
    Ok(())
}

/// Takes random interviews through a real session until killed; see `Command::Drill`.
pub fn drill(
    store: Store,
    form_spec: &str,
    forms_dir: &Path,
    seed: u64,
    pace_ms: u64,
) -> CliResult {
    use crate::interview::Item;
    use crate::session::{Session, SessionError};
    let form = find_form(form_spec, forms_dir)?;
    let store = Arc::new(store);
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(SystemClock::default());
    let mut rng = Rng::new(seed);
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        // Each line goes out whole before the next save starts.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    loop {
        let mut s = Session::start(store.clone(), form.clone(), "drill", clock.clone())
            .map_err(|e| e.to_string())?;
        say(format!("saved {} {}", s.id(), s.draft.rev));
        while let Some(item) = s.iv.current().cloned() {
            match item {
                Item::AddRepeat { repeat, path } => {
                    let grow = s.iv.repeat_len(repeat, &path) < 2 && rng.chance(0.5);
                    let step = if grow {
                        s.add_repeat().map(|_| ()).map_err(SessionError::from)
                    } else {
                        s.advance()
                    };
                    step.map_err(|e| e.to_string())?;
                }
                Item::Question { node, path } => {
                    let kind = form.node(node).kind.clone();
                    if kind.takes_answer() {
                        for _ in 0..40 {
                            let Some(raw) = simulate::random_answer(
                                &s.iv,
                                node,
                                &path,
                                &kind,
                                &mut rng,
                                clock.now(),
                            ) else {
                                break;
                            };
                            if pace_ms > 0 {
                                std::thread::sleep(std::time::Duration::from_millis(pace_ms));
                            }
                            if s.answer(node, &path, &raw).is_ok() {
                                say(format!("saved {} {}", s.id(), s.draft.rev));
                                break;
                            }
                        }
                    }
                    if s.advance().is_err() {
                        break;
                    }
                    say(format!("saved {} {}", s.id(), s.draft.rev));
                }
            }
        }
        if s.iv.current().is_none() && s.finalize().is_ok() {
            say(format!("final {}", s.id()));
        }
    }
}
