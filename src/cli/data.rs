//! Verbs over the store: list, simulate, export, recover.

use crate::export::csv::Submission;
use crate::record::Finalized;
use crate::session::{Clock, SystemClock};
use crate::simulate::{self, Rng};
use crate::store::{Status, Store};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

pub use super::error::CliResult;

struct Row {
    id: String,
    form: String,
    status: Status,
    started: String,
    progress: String,
    /// The form's `instance_name`; drafts only (finalized rows are listed from the
    /// clear-text index, which deliberately holds no answers).
    name: String,
    /// `practice` (training mode, simulated) or a supervisor's note on a sent-back draft.
    mark: String,
}

/// Writes one line (or JSON object) per interview as it reads them, so a device with
/// 100 000 interviews lists them in constant memory.
/// One line of `list`: id, form, status, start, progress, then name and mark when there.
fn text_row(r: &Row) -> String {
    let extra = |s: &str, f: fn(&str) -> String| {
        if s.is_empty() { String::new() } else { f(s) }
    };
    format!(
        "{}  {:<24} {:<9}  {}  {}{}{}",
        r.id,
        r.form,
        r.status.as_str(),
        r.started,
        r.progress,
        extra(&r.name, |n| format!("  {n}")),
        extra(&r.mark, |m| format!("  [{m}]")),
    )
}

pub fn list(store: &Store, status: Option<Status>, json: bool, out: &mut dyn Write) -> CliResult {
    let (drafts, mut bad) = store.drafts();
    let drafts = drafts.into_iter().map(|d| {
        Ok(Row {
            id: d.id.to_string(),
            form: d.form.id,
            status: Status::Draft,
            started: d.started.local().format("%Y-%m-%d %H:%M").to_string(),
            progress: format!("{}/{}", d.progress.0, d.progress.1),
            mark: store
                .sent_back(d.id)
                .map(|b| format!("sent back: {}", b.note))
                .unwrap_or_default(),
            name: d.instance_name,
        })
    });
    let finals = store.entries_iter().map(|r| {
        r.map(|(id, e)| Row {
            id: id.to_string(),
            form: e.form_id,
            status: e.status,
            started: e.started.local().format("%Y-%m-%d %H:%M").to_string(),
            progress: format!("{} answers", e.answered),
            mark: if store.is_practice(id) {
                "practice".into()
            } else {
                String::new()
            },
            name: String::new(),
        })
    });
    let mut first = true;
    let mut emit = |r: &Row| -> std::io::Result<()> {
        if json {
            let obj = serde_json::json!({"id": r.id, "form": r.form, "status": r.status.as_str(), "started": r.started, "progress": r.progress, "instance_name": r.name, "mark": r.mark});
            write!(out, "{}{obj}", if first { "[\n" } else { ",\n" })?;
        } else {
            writeln!(out, "{}", text_row(r))?;
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
        r => r.map_err(|e| format!("cannot write the list: {e}").into()),
    }
}

/// What `simulate` makes: `count` interviews, or with a sample plan one attempt per child
/// the plan selects, in its communes.
pub struct Simulation<'a> {
    pub form: &'a str,
    pub count: usize,
    pub seed: u64,
    pub plan: Option<&'a Path>,
}

pub fn simulate(store: &Store, forms_dir: &Path, sim: Simulation) -> CliResult {
    let form = crate::catalog::find(sim.form, forms_dir)?;
    store.keep_form(&form)?;
    let presets = match sim.plan {
        Some(p) => Some(plan_presets(&form, p)?),
        None => None,
    };
    let clock = SystemClock::default();
    let mut rng = Rng::new(sim.seed);
    let surveyor = store
        .settings()
        .map(|s| s.surveyor)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "simulated".into());
    let tty = std::io::stderr().is_terminal();
    let count = presets.as_ref().map_or(sim.count, Presets::len);
    let (mut batch, mut ended) = (Vec::new(), Vec::new());
    let (mut done, mut failed, mut ended_total, mut attempts) = (0usize, 0usize, 0usize, 0usize);
    // Without a plan `--count N` means N finalized interviews: some random walks dead-end
    // (no random value fits a required answer) or end early, and are tried again, within
    // reason. With a plan each selected child is one attempt; ending early is non-response.
    let more = |done: usize, attempts: usize| match &presets {
        Some(p) => attempts < p.len(),
        None => done < count,
    };
    while more(done + batch.len(), attempts) && failed <= count.saturating_mul(10) {
        let now = clock.now();
        let preset = presets.as_ref().and_then(|p| p.get(attempts));
        match simulate::interview_with(&form, &mut rng, now, preset.unwrap_or(&[])) {
            Some(iv) => {
                attempts += 1;
                match ended_early(&form, &iv, now) {
                    Some(t) => {
                        ended_total += 1;
                        ended.push(t);
                    }
                    None => batch.push(simulate::finalized(&form, &iv, &surveyor, &mut rng, now)),
                }
            }
            None => failed += 1,
        }
        let last = !more(done + batch.len(), attempts);
        if batch.len() >= 500 || last {
            store.finalize(&mut batch).map_err(|e| e.to_string())?;
            store.add_tombstones(&ended).map_err(|e| e.to_string())?;
            ended.clear();
            done += batch.len();
            batch.clear();
        }
        if tty && (last || (done + batch.len()) % 50 == 0) {
            progress(&form.id, done + batch.len(), count);
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
    let short = more(done, attempts);
    println!(
        "{done} interview(s) finalized for {} v{}{}",
        form.id,
        form.version,
        if short {
            format!("; stopped after {failed} random walks could not be completed")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// The answers a sample plan presets, commune by commune: (province, commune) and how many
/// children are selected there, with the running total after each. Not one entry per
/// child: an edited plan asking for a trillion children must not fill the memory first.
struct Presets(Vec<(Vec<(String, String)>, usize)>);

impl Presets {
    fn len(&self) -> usize {
        self.0.last().map_or(0, |(_, upto)| *upto)
    }

    /// The preset of the `i`-th child.
    fn get(&self, i: usize) -> Option<&[(String, String)]> {
        let at = self.0.partition_point(|(_, upto)| *upto <= i);
        self.0.get(at).map(|(p, _)| p.as_slice())
    }
}

/// The presets of a sample plan's communes, in the plan's order; every code must be one of
/// the form's choices.
fn plan_presets(form: &crate::form::Form, plan: &Path) -> Result<Presets, String> {
    let shown = plan.display();
    let src = std::fs::read_to_string(plan).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let sel = crate::indicators::tables::selection(&src)
        .map_err(|b| format!("{shown}:{}: {}", b.line, b.message))?;
    let choice = |q: &str, v: &str| {
        let node = form.by_name.get(q).copied();
        let known = node
            .and_then(|n| form.list_of(n))
            .is_some_and(|l| l.find(v).is_some());
        if known {
            Ok(())
        } else {
            Err(format!(
                "{shown}: `{v}` is not a {q} of form {} (its choices)",
                form.id
            ))
        }
    };
    let mut communes: Vec<_> = sel.communes.iter().collect();
    communes.sort_by(|a, b| a.0.cmp(b.0));
    let (mut out, mut upto) = (Vec::new(), 0usize);
    for ((province, commune), (_, children)) in communes {
        choice("province", province)?;
        choice("commune", commune)?;
        let preset = vec![
            ("province".to_string(), province.clone()),
            ("commune".to_string(), commune.clone()),
        ];
        upto = upto.saturating_add(usize::try_from(*children).unwrap_or(usize::MAX));
        out.push((preset, upto));
    }
    if upto == 0 {
        return Err(format!(
            "{shown}: no children to select (`children_to_select`)"
        ));
    }
    Ok(Presets(out))
}

/// One random answer to a question, as a person would type it (`marker` in front of text);
/// whether one was accepted and saved.
fn drill_answer(
    s: &mut crate::session::Session,
    node: crate::expr::NodeId,
    path: &[u32],
    rng: &mut Rng,
    pace_ms: u64,
    marker: Option<&str>,
) -> bool {
    let kind = s.iv.form().node(node).kind.clone();
    if !kind.takes_answer() {
        return false;
    }
    let now = chrono::Local::now().fixed_offset();
    for _ in 0..40 {
        let Some(raw) = simulate::random_answer(&s.iv, node, path, &kind, rng, now) else {
            return false;
        };
        if pace_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(pace_ms));
        }
        let raw = match (marker, &kind) {
            (Some(m), crate::form::Kind::Text) => format!("{m} {raw}"),
            _ => raw,
        };
        if s.answer(node, path, &raw).is_ok() {
            return true;
        }
    }
    false
}

/// As in the app: a refusal or a child out of range leaves only a tombstone.
fn ended_early(
    form: &crate::form::Form,
    iv: &crate::interview::Interview,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Option<crate::store::Tombstone> {
    let reason = if iv.not_eligible() {
        "not_eligible"
    } else if iv.consent() == crate::interview::Consent::Declined {
        "declined"
    } else {
        return None;
    };
    Some(crate::store::Tombstone {
        id: uuid::Uuid::now_v7(),
        form_id: form.id.clone(),
        at: crate::store::Stamp::from_local(now),
        reason: reason.into(),
    })
}

fn progress(form: &str, done: usize, count: usize) {
    eprint!("\r{form} {done}/{count} [{}]", bar(done, count, 30));
}

fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = done * width / total.max(1);
    format!("{}{}", "#".repeat(filled), ".".repeat(width - filled))
}

pub fn export(store: &Store, forms_dir: &Path, req: &crate::export::Request) -> CliResult {
    // Every form on offer, and every exact version an interview here was taken with.
    let (offered, _) = crate::catalog::device_forms(forms_dir, store.dir());
    let (kept, bad) = store.kept_forms();
    for b in bad {
        eprintln!("warning: a kept form copy does not load: {b}");
    }
    let forms: Vec<_> = offered.into_iter().map(|(f, _)| f).chain(kept).collect();
    let mut read = 0usize;
    // Nothing was submitted from here yet: no receive time, review state or edits.
    let mut source = |each: &mut dyn FnMut(&Finalized, &Submission)| {
        read = 0;
        let bad = store
            .each_finalized(|f| {
                read += 1;
                each(&f, &Submission::default());
            })
            .map_err(|e| e.to_string())?;
        Ok(bad.iter().map(|b| b.to_string()).collect())
    };
    let (lines, bad) = crate::export::write(&forms, forms_dir, req, &mut source)?;
    for b in bad {
        eprintln!("warning: skipped a damaged record: {b}");
    }
    for line in lines {
        println!("{line}");
    }
    if read == 0 && store.entries_iter().next().is_some() {
        eprintln!(
            "note: interviews sealed to the hub are not readable here; export them on the hub"
        );
    }
    Ok(())
}

pub fn recover(dir: &Path, lang: crate::lang::Lang) -> CliResult {
    let enrolled = crate::sync::client::load_enrollment(dir).map(|e| e.recipients);
    // A protected folder: the passphrase from the environment, else asked here.
    let mut passphrase = std::env::var("LANGNGHE_PASSPHRASE").ok();
    if passphrase.is_none() && crate::store::datakey::is_protected(dir) {
        passphrase = super::passphrase::ask(
            lang.pick("Mật khẩu của thư mục dữ liệu: ", "Data folder passphrase: "),
        );
    }
    let (store, carried) = Store::recover_with(dir, enrolled.as_deref(), passphrase.as_deref())?;
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
/// How the drill marks its answers and ends its interviews.
pub struct DrillEnd<'a> {
    /// Put in front of every text answer.
    pub marker: Option<&'a str>,
    /// Erase each interview (a withdrawal) instead of finalizing it.
    pub erase: bool,
}

pub fn drill(
    store: Store,
    form_spec: &str,
    forms_dir: &Path,
    seed: u64,
    pace_ms: u64,
    how: DrillEnd,
) -> CliResult {
    use crate::interview::Item;
    use crate::session::{Session, SessionError};
    let form = crate::catalog::find(form_spec, forms_dir)?;
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
        // Only what reached the store is reported: a new interview is saved with its
        // first answer.
        let mut report = |s: &Session| {
            if s.draft.rev > 0 {
                say(format!("saved {} {}", s.id(), s.draft.rev));
            }
        };
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
                    if drill_answer(&mut s, node, &path, &mut rng, pace_ms, how.marker) {
                        report(&s);
                    }
                    if s.advance().is_err() {
                        break;
                    }
                    report(&s);
                }
            }
        }
        if how.erase {
            let at = crate::store::Stamp::from_local(clock.now());
            if store.erase(s.id(), &form.id, "withdrawn", at).is_ok() {
                say(format!("erased {}", s.id()));
            }
        } else if s.iv.current().is_none() && s.finalize().is_ok() {
            say(format!("final {}", s.id()));
        }
    }
}

/// `erase`: a draft or finalized interview (sent or not), destroyed here; the tombstone
/// travels to the hub at the next sync, where it erases the hub's copy.
pub fn erase(store: &Store, id: uuid::Uuid, reason: &str) -> CliResult {
    let form = match store.entry(id) {
        Ok(e) => e.form_id,
        Err(_) => store.draft(id).map(|d| d.form.id)?,
    };
    let at = crate::store::Stamp::from_local(chrono::Local::now().fixed_offset());
    store.erase(id, &form, reason, at)?;
    println!("erased {id} ({reason}); the hub is asked to erase its copy at the next sync");
    Ok(())
}

/// Turns training mode on or off, or says whether it is on.
pub fn training(store: &Store, mode: Option<&str>) -> CliResult {
    if let Some(m) = mode {
        store.set_training_mode(m == "on")?;
    }
    if store.training_mode() {
        println!(
            "training mode is ON: interviews taken now are practice (marked in the record; hubs keep them out of the real data)"
        );
    } else {
        println!("training mode is off: interviews taken now are real");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Presets;

    #[test]
    fn a_plans_presets_are_counted_not_listed_child_by_child() {
        let p = |c: &str| vec![("commune".to_string(), c.to_string())];
        // 2 children in A, none in B, 3 in C; then a commune asking for almost everything.
        let presets = Presets(vec![(p("A"), 2), (p("B"), 2), (p("C"), 5)]);
        let at = |i| presets.get(i).map(|x| x[0].1.clone());
        assert_eq!(presets.len(), 5);
        assert_eq!(
            (0..6).map(at).collect::<Vec<_>>(),
            [Some("A"), Some("A"), Some("C"), Some("C"), Some("C"), None]
                .map(|c| c.map(String::from))
        );
        let huge = Presets(vec![(p("A"), 1), (p("Z"), usize::MAX)]);
        assert_eq!(huge.get(1 << 40).map(|x| x[0].1.as_str()), Some("Z"));
    }
}
