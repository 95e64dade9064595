//! `langnghe hub review`: the supervisor's verbs, scriptable. Reviews are files in the hub
//! folder, so they work while the hub serves; reading an interview's answers goes through
//! the running hub when it serves (as `hub open` does).

use super::ReviewCommand;
use super::data::CliResult;
use crate::hub::review::{self, Review, ReviewState};
use crate::tui::review::Answer;
use crate::tui::view::truncate;
use std::fmt::Write;
use std::path::Path;

pub fn run(dir: &Path, action: Option<ReviewCommand>, lang: &str) -> CliResult {
    if !dir.join("hub.toml").is_file() {
        return Err(format!("{} is not a hub folder (hub init)", dir.display()).into());
    }
    let rv = review::Reviews::open(dir)?;
    let Some(action) = action else {
        let mut src = Source {
            dir,
            rv: &rv,
            lang: lang.to_string(),
        };
        return crate::tui::review::run(&mut src, crate::lang::Lang::from_code(lang))
            .map_err(|e| format!("terminal: {e}").into());
    };
    let by = |b: Option<String>| {
        b.or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .unwrap_or_else(|| "supervisor".into())
    };
    let decided = |r: Review| {
        println!("{} → {}", r.id, r.state().name());
        Ok(())
    };
    match action {
        ReviewCommand::List {
            state,
            flagged,
            by,
            json,
        } => list(&rv, state, flagged, &by, json),
        ReviewCommand::Show { id } => show(&rv, id, lang),
        ReviewCommand::Approve { id, note, by: who } => decided(review::decide(
            &rv,
            id,
            (ReviewState::Approved, &[]),
            &note,
            &by(who),
        )?),
        ReviewCommand::HasIssues { id, note, by: who } => decided(review::decide(
            &rv,
            id,
            (ReviewState::HasIssues, &[]),
            &note,
            &by(who),
        )?),
        ReviewCommand::Reject {
            id,
            note,
            questions,
            by: who,
        } => decided(review::decide(
            &rv,
            id,
            (ReviewState::Rejected, &questions),
            &note,
            &by(who),
        )?),
    }
}

/// The review screen's data: the review files, answers opened through the hub.
struct Source<'a> {
    dir: &'a Path,
    rv: &'a review::Reviews,
    lang: String,
}

impl crate::tui::review::ReviewSource for Source<'_> {
    fn rows(&mut self) -> Vec<crate::tui::review::ReviewRow> {
        review::list(self.rv).iter().map(row).collect()
    }

    fn answers(&mut self, id: uuid::Uuid) -> Result<Vec<Answer>, String> {
        let r = review::load(self.rv, id).ok_or_else(|| format!("no interview {id}"))?;
        qa(self.dir, &r, &self.lang)
    }

    fn decide(
        &mut self,
        id: uuid::Uuid,
        d: crate::tui::review::Decision,
        note: &str,
        at: Option<&str>,
    ) -> Result<(), String> {
        use crate::tui::review::Decision;
        let state = match d {
            Decision::Approve => ReviewState::Approved,
            Decision::HasIssues => ReviewState::HasIssues,
            Decision::Reject => ReviewState::Rejected,
        };
        let by = std::env::var("USER").unwrap_or_else(|_| "supervisor".into());
        let at: Vec<String> = at.map(str::to_string).into_iter().collect();
        review::decide(self.rv, id, (state, &at), note, &by).map(|_| ())
    }
}

fn row(r: &Review) -> crate::tui::review::ReviewRow {
    crate::tui::review::ReviewRow {
        id: r.id,
        state: r.state().name().to_string(),
        place: r.place.clone(),
        surveyor: r.surveyor.clone(),
        device: r.device.to_string(),
        finished: r.finished.local().format("%Y-%m-%d %H:%M").to_string(),
        minutes: r.duration_s as f64 / 60.0,
        flags: r
            .flags
            .iter()
            .map(|f| (f.code.clone(), f.why.clone()))
            .collect(),
        history: r.history.iter().map(event_line).collect(),
    }
}

fn event_line(e: &review::ReviewEvent) -> String {
    let at = if e.questions.is_empty() {
        String::new()
    } else {
        format!(" (at {})", e.questions.join(", "))
    };
    format!(
        "{} {} by {}: {}{at}",
        e.at.format("%Y-%m-%d %H:%M"),
        e.state.name(),
        e.by,
        e.note
    )
}

/// The interview's answers as (question, answer) in `lang`.
fn qa(dir: &Path, r: &Review, lang: &str) -> Result<Vec<Answer>, String> {
    let opened = open_one(dir, r.id)?;
    let (forms, _) = crate::store::forms::load_copies(&dir.join("form-versions"));
    let form = forms
        .iter()
        .find(|f| f.id == r.form_id && f.version == r.form_version);
    let answers = opened["answers"].as_object().cloned().unwrap_or_default();
    // In the form's order (the JSON object is sorted by name).
    let mut keyed: Vec<(&String, &serde_json::Value)> = answers.iter().collect();
    if let Some(f) = form {
        keyed.sort_by_key(|(k, _)| {
            f.parse_key(k)
                .map_or((usize::MAX, Vec::new()), |a| (a.node.index(), a.path))
        });
    }
    Ok(keyed
        .into_iter()
        .map(|(key, value)| {
            let v = value.as_str().unwrap_or_default();
            let (question, answer) = match form {
                Some(f) => readable(f, key, v, lang),
                None => (key.clone(), v.to_string()),
            };
            Answer {
                key: key.clone(),
                question,
                answer,
            }
        })
        .collect())
}

fn list(
    rv: &review::Reviews,
    state: Option<ReviewState>,
    flagged: bool,
    by: &str,
    json: bool,
) -> CliResult {
    let mut all: Vec<Review> = review::list(rv)
        .into_iter()
        .filter(|r| state.is_none_or(|s| r.state() == s) && (!flagged || !r.flags.is_empty()))
        .collect();
    match by {
        "place" => all.sort_by(|a, b| a.place.cmp(&b.place)),
        "surveyor" => all.sort_by(|a, b| a.surveyor.cmp(&b.surveyor)),
        "device" => all.sort_by_key(|r| r.device),
        "state" => all.sort_by_key(|r| r.state().name()),
        "flags" => all.sort_by_key(|r| std::cmp::Reverse(r.flags.len())),
        "time" => {}
        other => {
            return Err(
                format!("--by {other}: place, surveyor, device, state, flags or time").into(),
            );
        }
    }
    let mut out = String::new();
    if json {
        for r in &all {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(r).map_err(|e| e.to_string())?
            );
        }
    } else {
        let _ = writeln!(
            out,
            "{:<36}  {:<10}  {:<22}  {:<14}  {:<16}  {:>6}  flags",
            "interview", "state", "place", "surveyor", "finished", "min"
        );
        for r in &all {
            let flags: Vec<&str> = r.flags.iter().map(|f| f.code.as_str()).collect();
            let _ = writeln!(
                out,
                "{:<36}  {:<10}  {:<22}  {:<14}  {:<16}  {:>6.1}  {}",
                r.id,
                r.state().name(),
                truncate(&r.place, 22),
                truncate(&r.surveyor, 14),
                r.finished.local().format("%Y-%m-%d %H:%M"),
                r.duration_s as f64 / 60.0,
                flags.join(",")
            );
        }
        let _ = writeln!(out, "{} interview(s)", all.len());
    }
    print!("{out}");
    Ok(())
}

/// The interview as questions and answers in the form's language, then its flags and
/// review history.
fn show(rv: &review::Reviews, id: uuid::Uuid, lang: &str) -> CliResult {
    let dir = rv.hub_dir();
    let r = review::load(rv, id).ok_or_else(|| format!("no interview {id} to review here"))?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{id}  {}  {} v{}  {}  {}",
        r.state().name(),
        r.form_id,
        r.form_version,
        r.surveyor,
        r.finished.local().format("%Y-%m-%d %H:%M")
    );
    for a in qa(dir, &r, lang)? {
        let _ = writeln!(out, "  {}\n      {}", a.question, a.answer);
    }
    for f in &r.flags {
        let _ = writeln!(out, "flag {}: {}", f.code, f.why);
    }
    for e in &r.history {
        let _ = writeln!(out, "{}", event_line(e));
    }
    print!("{out}");
    Ok(())
}

/// A question's label and an answer's choice labels, in `lang` (else the form's first).
fn readable(form: &crate::form::Form, key: &str, v: &str, lang: &str) -> (String, String) {
    let Some(k) = form.parse_key(key) else {
        return (key.to_string(), v.to_string());
    };
    let n = form.node(k.node);
    let lang = if form.languages.iter().any(|l| l == lang) {
        lang
    } else {
        form.default_language.as_str()
    };
    let q = n
        .label
        .as_ref()
        .map_or_else(|| key.to_string(), |l| format!("{key}: {}", l.get(lang)));
    let a = match form.list_of(k.node) {
        Some(list) => v
            .split_ascii_whitespace()
            .map(|c| {
                list.find(c)
                    .map_or(c.to_string(), |ch| ch.label.get(lang).to_string())
            })
            .collect::<Vec<_>>()
            .join("; "),
        None => v.to_string(),
    };
    (q, a)
}

/// The interview's JSON from `hub open`, through the running hub if it serves.
fn open_one(dir: &Path, id: uuid::Uuid) -> Result<serde_json::Value, String> {
    let req = crate::hub::open::OpenRequest {
        targets: vec![id.to_string()],
        identity: None,
    };
    let text = super::hub::opened(dir, &req).map_err(|e| e.to_string())?;
    serde_json::from_str(text.lines().next().unwrap_or_default()).map_err(|e| e.to_string())
}
