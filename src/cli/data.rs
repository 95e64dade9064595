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
    let mut by_form: std::collections::BTreeMap<String, Vec<crate::store::Finalized>> =
        Default::default();
    let bad = store
        .each_finalized(|f| by_form.entry(f.form.id.clone()).or_default().push(f))
        .map_err(|e| e.to_string())?;
    for b in bad {
        eprintln!("warning: skipped a damaged record: {b}");
    }
    crate::store::paths::ensure_private_dir(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    for line in write_tables(&forms, by_form, out_dir, include_sensitive, forms_dir)? {
        println!("{line}");
    }
    Ok(())
}

/// Writes the CSV tables of each form's interviews into `out_dir`; one line per file written.
pub fn write_tables(
    forms: &[Arc<Form>],
    by_form: std::collections::BTreeMap<String, Vec<crate::store::Finalized>>,
    out_dir: &Path,
    include_sensitive: bool,
    forms_dir: &Path,
) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    for (form_id, interviews) in by_form {
        // The newest version of the form names the columns.
        let Some(form) = forms
            .iter()
            .filter(|f| f.id == form_id)
            .max_by(|a, b| a.version.cmp(&b.version))
        else {
            eprintln!(
                "warning: {} interview(s) of form `{form_id}` skipped: the form is not in {}",
                interviews.len(),
                forms_dir.display()
            );
            continue;
        };
        for t in crate::export::csv::tables(form, &interviews, include_sensitive) {
            let path = out_dir.join(&t.file);
            // A BOM so that Excel, which supervisors use, reads the Vietnamese correctly.
            let text = format!("\u{feff}{}", crate::export::csv::render(&t));
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            written.push(format!("{} ({} rows)", path.display(), t.rows.len()));
        }
    }
    Ok(written)
}

pub fn recover(dir: &Path) -> CliResult {
    let store = Store::recover(dir).map_err(|e| e.to_string())?;
    let r = store.open_report();
    let (entries, _) = store.entries();
    println!(
        "rebuilt the store in {}: {} finalized interview(s) indexed from their files ({} in all), {} draft(s) restored from the journal",
        dir.display(),
        r.indexed,
        entries.len(),
        r.replayed
    );
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
