//! Supervisor review on the hub, with ODK Central's review states: every interview starts
//! `received`; a supervisor marks it `hasIssues`, `approved` or `rejected` (sent back) with a
//! note, and the whole history is kept (who, when, why). Files, so the CLI can review while
//! the hub serves, as with referrals: the records of a bundle's interviews in one file when
//! it comes in (one fsync per bundle, not per interview: ingest stays as fast as before),
//! then one file per interview once decided. A record holds the state's history, the
//! quality flags found at ingest, and what a list needs — form, device, surveyor, place;
//! never an answer. An erased interview's review goes with it. On PostgreSQL the records and
//! the quality figures are rows instead (`pg/reviews.rs`), shared by every process.

use super::quality::{Counts, Durations, Flag, Thresholds};
use crate::form::Form;
use crate::record::{Finalized, Stamp};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Central's review states (`received` is Central's blank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
#[value(rename_all = "camelCase")]
pub enum ReviewState {
    Received,
    HasIssues,
    Edited,
    Approved,
    Rejected,
}

impl ReviewState {
    /// As Central writes it in the `ReviewState` column (blank while only received).
    pub fn central(self) -> &'static str {
        match self {
            ReviewState::Received => "",
            ReviewState::HasIssues => "hasIssues",
            ReviewState::Edited => "edited",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            other => other.central(),
        }
    }
}

/// One step of an interview's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewEvent {
    pub state: ReviewState,
    pub note: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The questions to look at (names), when sending back: the draft reopens at the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
}

/// What the hub knows of one interview's review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: Uuid,
    pub form_id: String,
    pub form_version: String,
    pub device: Uuid,
    pub surveyor: String,
    /// Where it was taken (the answer to the question named by `[review] place`, by its
    /// label), for grouping a list by commune.
    pub place: String,
    pub finished: Stamp,
    pub received: chrono::DateTime<chrono::Utc>,
    pub duration_s: u64,
    pub flags: Vec<Flag>,
    /// How many times the surveyor sent a new version (Central's `Edits`).
    pub edits: u32,
    pub history: Vec<ReviewEvent>,
    /// Practice (training mode or simulated), kept apart from the real data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub training: bool,
}

impl Review {
    pub fn state(&self) -> ReviewState {
        self.history
            .last()
            .map_or(ReviewState::Received, |e| e.state)
    }
}

/// Where a hub's reviews are: files in its folder, or its PostgreSQL database.
pub struct Reviews {
    hub_dir: PathBuf,
    db: Option<super::pg::Db>,
}

impl Reviews {
    #[allow(private_interfaces)]
    pub(crate) fn new(hub_dir: &Path, db: Option<super::pg::Db>) -> Reviews {
        Reviews {
            hub_dir: hub_dir.to_path_buf(),
            db,
        }
    }

    /// The reviews of the hub in `hub_dir` (connecting to its database if it has one).
    pub fn open(hub_dir: &Path) -> Result<Reviews, String> {
        let db = match super::database_of(hub_dir)? {
            Some(url) => Some(super::pg::Db::connect(&url).map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(Reviews::new(hub_dir, db))
    }

    /// The hub folder (its settings, its form copies).
    pub fn hub_dir(&self) -> &Path {
        &self.hub_dir
    }
}

/// A database error where a list is expected: said, and nothing listed.
fn warned<T: Default>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("warning: {e}");
        T::default()
    })
}

pub fn dir(hub_dir: &Path) -> PathBuf {
    hub_dir.join("reviews")
}

fn path(hub_dir: &Path, id: Uuid) -> PathBuf {
    dir(hub_dir).join(format!("{id}.json"))
}

/// One interview's review: its own file once a decision was taken, else its bundle's.
pub fn load(rv: &Reviews, id: Uuid) -> Option<Review> {
    if let Some(db) = &rv.db {
        return warned(db.review(id).map(|r| r.map(Some).unwrap_or_default()));
    }
    let hub_dir = &rv.hub_dir;
    single(hub_dir, id).or_else(|| batches(hub_dir).flatten().find(|r| r.id == id))
}

fn single(hub_dir: &Path, id: Uuid) -> Option<Review> {
    let bytes = std::fs::read(path(hub_dir, id)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The records written when bundles came in (`batch-FIRST_ID.json`, one array per bundle:
/// one file and one fsync per bundle rather than per interview), one bundle at a time.
fn batches(hub_dir: &Path) -> impl Iterator<Item = Vec<Review>> {
    batch_files(hub_dir)
        .into_iter()
        .filter_map(|p| serde_json::from_slice(&std::fs::read(p).ok()?).ok())
}

fn batch_files(hub_dir: &Path) -> Vec<PathBuf> {
    json_files(hub_dir, true)
}

/// The `.json` files of the reviews folder: the bundles' (`batch-…`) or the decided ones.
fn json_files(hub_dir: &Path, batch: bool) -> Vec<PathBuf> {
    std::fs::read_dir(dir(hub_dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".json") && n.starts_with("batch-") == batch)
        })
        .collect()
}

/// Each interview's state and edits, for the exports (one bundle's records in memory at a
/// time).
pub(crate) fn states(rv: &Reviews) -> std::collections::HashMap<Uuid, (ReviewState, u32)> {
    let mut out: std::collections::HashMap<Uuid, (ReviewState, u32)> = Default::default();
    if let Some(db) = &rv.db {
        for r in warned(db.reviews(None)) {
            out.insert(r.id, (r.state(), r.edits));
        }
        return out;
    }
    let hub_dir = &rv.hub_dir;
    for batch in batches(hub_dir) {
        for r in batch {
            out.insert(r.id, (r.state(), r.edits));
        }
    }
    for r in singles(hub_dir) {
        out.insert(r.id, (r.state(), r.edits));
    }
    out
}

fn singles(hub_dir: &Path) -> Vec<Review> {
    json_files(hub_dir, false)
        .into_iter()
        .filter_map(|p| serde_json::from_slice(&std::fs::read(p).ok()?).ok())
        .collect()
}

fn save(rv: &Reviews, r: &Review) -> Result<(), String> {
    if let Some(db) = &rv.db {
        return db.save_review(r);
    }
    let hub_dir = &rv.hub_dir;
    crate::store::paths::ensure_private_dir(&dir(hub_dir)).map_err(|e| e.to_string())?;
    let json = serde_json::to_vec_pretty(r).map_err(|e| e.to_string())?;
    crate::store::paths::write_private(&path(hub_dir, r.id), &json).map_err(|e| e.to_string())
}

/// Every review, oldest interview first, with the flags that only the whole data can give
/// (a surveyor whose answers differ from the others' in the same place) added.
pub fn list(rv: &Reviews) -> Vec<Review> {
    let mut all = stored(rv);
    let t = thresholds(&rv.hub_dir);
    let mut outliers = std::collections::HashMap::new();
    for form in all
        .iter()
        .map(|r| r.form_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
    {
        for (place, who, flag) in
            counts(rv, &form).outliers(t.distribution_min_n, t.distribution_share)
        {
            outliers.insert((form.clone(), place, who), flag);
        }
    }
    for r in &mut all {
        if let Some(f) = outliers.get(&(r.form_id.clone(), r.place.clone(), r.surveyor.clone())) {
            r.flags.push(f.clone());
        }
        if r.training {
            // First, so no one takes it for real data.
            r.flags.insert(
                0,
                Flag {
                    code: "practice".into(),
                    why: "practice, not real data (training mode or simulated) / luyện tập, \
                          không phải dữ liệu thật"
                        .into(),
                },
            );
        }
    }
    all
}

/// The interviews of `device` sent back and not yet edited.
/// A device asks at every sync, so this reads only what can hold a decision: on
/// PostgreSQL the rows marked sent back, in a hub folder the decided interviews' own files
/// (the bundles' batch files hold records as received, never a decision).
pub(crate) fn sent_back(rv: &Reviews, device: Uuid) -> Vec<Review> {
    if let Some(db) = &rv.db {
        return warned(db.sent_back(device));
    }
    let mut out: Vec<Review> = singles(&rv.hub_dir)
        .into_iter()
        .filter(|r| r.device == device && r.state() == ReviewState::Rejected)
        .collect();
    out.sort_by_key(|r| r.finished.utc);
    out
}

/// The quality thresholds in `hub.toml` (defaults where it says nothing), read without
/// opening the hub's store, which a serving hub holds.
fn thresholds(hub_dir: &Path) -> Thresholds {
    std::fs::read_to_string(hub_dir.join("hub.toml"))
        .ok()
        .and_then(|t| toml::from_str::<super::HubConfig>(&t).ok())
        .map(|c| c.quality)
        .unwrap_or_default()
}

fn counts_path(hub_dir: &Path, form_id: &str) -> PathBuf {
    hub_dir
        .join("quality")
        .join(format!("answers-{form_id}.json"))
}

fn counts(rv: &Reviews, form_id: &str) -> Counts {
    if let Some(db) = &rv.db {
        return warned(db.quality(form_id).map(|(_, c)| c));
    }
    std::fs::read(counts_path(&rv.hub_dir, form_id))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Adds (+1) or takes back (−1) one interview in its form's answer counts.
pub(crate) fn tally(
    rv: &Reviews,
    form: &Form,
    f: &Finalized,
    place: &str,
    sign: i64,
) -> Result<(), String> {
    if let Some(db) = &rv.db {
        return db.with_quality(std::slice::from_ref(&f.form.id), |q| {
            if let Some((_, c)) = q.get_mut(&f.form.id) {
                c.tally(form, f, place, sign);
            }
            Ok(Vec::new())
        });
    }
    let hub_dir = &rv.hub_dir;
    let mut c = counts(rv, &f.form.id);
    c.tally(form, f, place, sign);
    let json = serde_json::to_vec(&c).map_err(|e| e.to_string())?;
    crate::store::paths::ensure_private_dir(&hub_dir.join("quality")).map_err(|e| e.to_string())?;
    crate::store::paths::write_private(&counts_path(hub_dir, &f.form.id), &json)
        .map_err(|e| e.to_string())
}

/// The reviews as stored (a decision's file over its bundle's copy), oldest interview first.
fn stored(rv: &Reviews) -> Vec<Review> {
    if let Some(db) = &rv.db {
        return warned(db.reviews(None));
    }
    let hub_dir = &rv.hub_dir;
    let mut by_id: std::collections::HashMap<Uuid, Review> = Default::default();
    for batch in batches(hub_dir) {
        by_id.extend(batch.into_iter().map(|r| (r.id, r)));
    }
    by_id.extend(singles(hub_dir).into_iter().map(|r| (r.id, r)));
    let mut out: Vec<Review> = by_id.into_values().collect();
    out.sort_by_key(|r: &Review| r.finished.utc);
    out
}

/// A supervisor's decision on interview `id`. `edited` comes only from a new version sent by
/// the device; a decision without a note is refused for `hasIssues` and `rejected` (the
/// surveyor must be told what to fix).
pub fn decide(
    rv: &Reviews,
    id: Uuid,
    (state, questions): (ReviewState, &[String]),
    note: &str,
    by: &str,
) -> Result<Review, String> {
    let mut r = load(rv, id).ok_or_else(|| format!("no interview {id} to review here"))?;
    match state {
        ReviewState::Received | ReviewState::Edited => {
            return Err(format!("`{}` is not a decision", state.name()));
        }
        ReviewState::HasIssues | ReviewState::Rejected if note.trim().is_empty() => {
            return Err("say what is wrong (--note): the surveyor reads it".into());
        }
        _ => {}
    }
    r.history.push(ReviewEvent {
        state,
        note: note.trim().to_string(),
        by: by.to_string(),
        at: chrono::Utc::now(),
        questions: questions.to_vec(),
    });
    save(rv, &r)?;
    Ok(r)
}

/// A new version of a sent-back interview came from its device: `edited`, one edit more.
pub(crate) fn edited(rv: &Reviews, id: Uuid, by: &str) -> Result<Review, String> {
    let mut r = load(rv, id).ok_or_else(|| format!("no review of interview {id}"))?;
    r.edits += 1;
    r.history.push(ReviewEvent {
        state: ReviewState::Edited,
        note: String::new(),
        by: by.to_string(),
        at: chrono::Utc::now(),
        questions: Vec::new(),
    });
    save(rv, &r)?;
    Ok(r)
}

/// Forgets the review of an erased interview, wherever it is kept.
pub(crate) fn forget(rv: &Reviews, id: Uuid) {
    if let Some(db) = &rv.db {
        warned(db.forget_review(id));
        return;
    }
    let hub_dir = &rv.hub_dir;
    let _ = std::fs::remove_file(path(hub_dir, id));
    for p in batch_files(hub_dir) {
        let Some(batch) = std::fs::read(&p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<Review>>(&b).ok())
        else {
            continue;
        };
        if batch.iter().any(|r| r.id == id) {
            let rest: Vec<Review> = batch.into_iter().filter(|r| r.id != id).collect();
            let _ = serde_json::to_vec(&rest)
                .map_err(std::io::Error::other)
                .and_then(|json| crate::store::paths::write_private(&p, &json));
        }
    }
}

/// Which question names the place an interview was taken, and the quality thresholds
/// (`hub.toml`: `[review] place = "commune"`, `[quality] …`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub place: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            place: "commune".into(),
        }
    }
}

/// The review records of a bundle's newly accepted interviews, their flags computed now.
/// Each form's recent durations (`quality/FORM.json`) give the median an interview is
/// compared with, and its answers go into the form's counts; both files, and the records,
/// are written once per bundle.
pub(crate) fn start(
    rv: &Reviews,
    new: &[(&Finalized, Option<&Form>)],
    received: chrono::DateTime<chrono::Utc>,
    (settings, thresholds): (&Settings, &Thresholds),
) -> Result<(), String> {
    let Some((first, _)) = new.first() else {
        return Ok(());
    };
    let forms: Vec<String> = new
        .iter()
        .map(|(f, _)| f.form.id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let make = |q: &mut Quality| Ok(records(new, received, (settings, thresholds), q));
    if let Some(db) = &rv.db {
        return db.with_quality(&forms, make);
    }
    let hub_dir = &rv.hub_dir;
    let qdir = hub_dir.join("quality");
    crate::store::paths::ensure_private_dir(&qdir).map_err(|e| e.to_string())?;
    let mut q: Quality = forms
        .iter()
        .map(|id| {
            let durations = std::fs::read(qdir.join(format!("{id}.json")))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            (id.clone(), (durations, counts(rv, id)))
        })
        .collect();
    let records = make(&mut q)?;
    let write = |p: PathBuf, v: &dyn erased::Json| -> Result<(), String> {
        crate::store::paths::write_private(&p, &v.json()?).map_err(|e| e.to_string())
    };
    for (form_id, (durations, counts)) in &q {
        write(qdir.join(format!("{form_id}.json")), durations)?;
        write(counts_path(hub_dir, form_id), counts)?;
    }
    crate::store::paths::ensure_private_dir(&dir(hub_dir)).map_err(|e| e.to_string())?;
    write(
        dir(hub_dir).join(format!("batch-{}.json", first.id)),
        &records,
    )
}

/// Each form's recent durations and answer counts, as a bundle's reviews change them.
type Quality = std::collections::BTreeMap<String, (Durations, Counts)>;

/// The review records of `new`, flagged against (and added to) each form's figures in `q`.
fn records(
    new: &[(&Finalized, Option<&Form>)],
    received: chrono::DateTime<chrono::Utc>,
    (settings, thresholds): (&Settings, &Thresholds),
    q: &mut Quality,
) -> Vec<Review> {
    let mut records = Vec::with_capacity(new.len());
    for (f, form) in new {
        let (durations, counts) = q.entry(f.form.id.clone()).or_default();
        let flags = super::quality::flags(
            f,
            *form,
            durations.median(thresholds.median_after),
            thresholds,
        );
        // Practice reaches here only on a training hub, where it is all the data there is.
        durations.push(f.duration_ms as f64 / 1000.0);
        let place = form.map_or_else(String::new, |form| place_of(form, f, &settings.place));
        if let Some(form) = form {
            counts.tally(form, f, &place, 1);
        }
        records.push(Review {
            id: f.id,
            form_id: f.form.id.clone(),
            form_version: f.form.version.clone(),
            device: f.device,
            surveyor: f.surveyor.clone(),
            place,
            finished: f.finished,
            received,
            duration_s: f.duration_ms / 1000,
            flags,
            edits: 0,
            history: Vec::new(),
            training: f.training,
        });
    }
    records
}

/// Serializable things behind one `dyn` (the records and the quality files share a writer).
mod erased {
    pub trait Json {
        fn json(&self) -> Result<Vec<u8>, String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<Vec<u8>, String> {
            serde_json::to_vec(self).map_err(|e| e.to_string())
        }
    }
}

/// The answer to question `name`, by its choice label when it has one.
fn place_of(form: &Form, f: &Finalized, name: &str) -> String {
    let Some(v) = f.answers.iter().find(|(k, _)| k == name).map(|(_, v)| v) else {
        return String::new();
    };
    form.by_name
        .get(name)
        .and_then(|n| form.list_of(*n))
        .and_then(|l| l.find(v))
        .map_or_else(
            || v.clone(),
            |c| c.label.get(&form.default_language).to_string(),
        )
}
