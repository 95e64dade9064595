//! Quality flags a supervisor reads before approving: computed once per interview at ingest
//! from its answers and the time the device measured on each question. Each flag says why
//! in words; the thresholds are data (`[quality]` in `hub.toml`) with defaults that suit a
//! children's survey read aloud.

use crate::form::{Form, Kind};
use crate::record::Finalized;
use serde::{Deserialize, Serialize};

/// Thresholds, from `hub.toml`'s `[quality]` table (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// An interview shorter than this share of the form's median is flagged.
    pub short_share: f64,
    /// The median counts only once this many interviews of the form have come in.
    pub median_after: usize,
    /// Reading a question aloud takes at least its length at this many characters a second.
    pub read_chars_per_second: f64,
    /// Flagged when at least this share of the timed questions went faster than that.
    pub fast_share: f64,
    /// The same answer on this many questions in a row that share a scale (4+ choices).
    pub straight_run: usize,
    /// Answers that mean "declined" or "don't know"; flagged over `declined_share` of the
    /// answered choice questions.
    pub declined_values: Vec<String>,
    pub declined_share: f64,
    /// Working hours, local time of the interview: [start, end).
    pub work_hours: (u32, u32),
    /// A surveyor whose answers differ from the others' in the same place by this mean total
    /// variation distance, over questions each side answered `distribution_min_n` times.
    pub distribution_share: f64,
    pub distribution_min_n: u64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            short_share: 0.33,
            median_after: 20,
            read_chars_per_second: 25.0,
            fast_share: 0.5,
            straight_run: 5,
            declined_values: ["declined", "dont_know", "refused", "khong_biet"]
                .map(String::from)
                .to_vec(),
            declined_share: 0.3,
            work_hours: (7, 20),
            distribution_share: 0.35,
            distribution_min_n: 20,
        }
    }
}

/// One reason to look at an interview twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// `short`, `fast`, `straight`, `declined`, `hours`.
    pub code: String,
    /// Why, in words a supervisor reads (English and Vietnamese together: the hub's
    /// people read one or the other).
    pub why: String,
}

fn flag(code: &str, why: String) -> Flag {
    Flag {
        code: code.into(),
        why,
    }
}

/// The flags of one interview; `median_s`: the form's median duration so far (if known).
pub fn flags(
    f: &Finalized,
    form: Option<&Form>,
    median_s: Option<f64>,
    t: &Thresholds,
) -> Vec<Flag> {
    let mut out = Vec::new();
    let secs = f.duration_ms as f64 / 1000.0;
    if let Some(m) = median_s.filter(|m| *m > 0.0)
        && secs < t.short_share * m
    {
        out.push(flag(
            "short",
            format!(
                "{secs:.0} s, {:.0}% of the form's median {m:.0} s / {secs:.0} giây, {:.0}% trung vị {m:.0} giây",
                100.0 * secs / m,
                100.0 * secs / m
            ),
        ));
    }
    let hour = |s: &crate::record::Stamp| chrono::Timelike::hour(&s.local());
    let (from, to) = t.work_hours;
    let (h0, h1) = (hour(&f.started), hour(&f.finished));
    if h0 < from || h0 >= to || h1 < from || h1 >= to {
        out.push(flag(
            "hours",
            format!(
                "taken {:02}h–{:02}h, outside {from:02}h–{to:02}h / ngoài giờ làm việc",
                h0, h1
            ),
        ));
    }
    if let Some(form) = form {
        out.extend(fast(f, form, t));
        out.extend(straight(f, form, t));
    }
    out.extend(declined(f, t));
    out
}

/// Questions answered faster than they can be read aloud.
fn fast(f: &Finalized, form: &Form, t: &Thresholds) -> Option<Flag> {
    let lang = &form.default_language;
    let (mut timed, mut quick) = (0usize, 0usize);
    for (key, ms) in &f.paradata {
        let Some(k) = form.parse_key(key) else {
            continue;
        };
        let n = form.node(k.node);
        let chars = n.label.as_ref().map_or(0, |l| l.get(lang).chars().count());
        // Short labels ("Tuổi?") can be read in a glance: not timed.
        if chars < 20 || !n.kind.takes_answer() {
            continue;
        }
        timed += 1;
        if (*ms as f64) < 1000.0 * chars as f64 / t.read_chars_per_second {
            quick += 1;
        }
    }
    (timed >= 5 && quick as f64 >= t.fast_share * timed as f64).then(|| {
        flag(
            "fast",
            format!(
                "{quick} of {timed} questions answered faster than they can be read aloud / {quick}/{timed} câu trả lời nhanh hơn thời gian đọc"
            ),
        )
    })
}

/// The same answer on a run of questions that share a scale.
fn straight(f: &Finalized, form: &Form, t: &Thresholds) -> Option<Flag> {
    let answers: std::collections::HashMap<&str, &str> = f
        .answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (mut best, mut run, mut last): (usize, usize, Option<(usize, &str)>) = (0, 0, None);
    for n in &form.nodes {
        let Kind::SelectOne(s) = &n.kind else {
            continue;
        };
        if form.lists[s.list.index()].choices.len() < 4 || !n.chain.is_empty() {
            continue;
        }
        let Some(v) = answers.get(n.key.as_str()) else {
            continue;
        };
        run = match last {
            Some((l, lv)) if l == s.list.index() && lv == *v => run + 1,
            _ => 1,
        };
        last = Some((s.list.index(), v));
        best = best.max(run);
    }
    (best >= t.straight_run).then(|| {
        flag(
            "straight",
            format!("the same answer on {best} scale questions in a row / cùng một câu trả lời cho {best} câu liên tiếp"),
        )
    })
}

/// Many "declined" or "don't know".
fn declined(f: &Finalized, t: &Thresholds) -> Option<Flag> {
    let mut said = 0usize;
    let answered = f.answers.len();
    for (_, v) in &f.answers {
        if v.split_ascii_whitespace()
            .any(|tok| t.declined_values.iter().any(|d| d == tok))
        {
            said += 1;
        }
    }
    (said >= 3 && said as f64 >= t.declined_share * answered as f64).then(|| {
        flag(
            "declined",
            format!("{said} of {answered} answers declined or \"don't know\" / {said}/{answered} câu không trả lời hoặc không biết"),
        )
    })
}

/// The form's recent durations (seconds), newest last, kept to a bounded window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Durations {
    pub recent: Vec<f64>,
}

/// How many recent durations the median is taken over.
const WINDOW: usize = 501;

impl Durations {
    pub fn median(&self, after: usize) -> Option<f64> {
        if self.recent.len() < after.max(1) {
            return None;
        }
        // Taken for every interview received: a selection, not a sort of the whole window.
        let mut v = self.recent.clone();
        let mid = v.len() / 2;
        Some(*v.select_nth_unstable_by(mid, f64::total_cmp).1)
    }

    pub fn push(&mut self, secs: f64) {
        self.recent.push(secs);
        if self.recent.len() > WINDOW {
            let cut = self.recent.len() - WINDOW;
            self.recent.drain(..cut);
        }
    }
}

/// How often each answer was given to each select_one question, per place and surveyor:
/// aggregates only (no interview can be read back from them), kept per form in
/// `quality/answers-FORM.json`, taken back when an interview is erased.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// place → surveyor → question → answer → count.
    pub by: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Answers>>,
}

impl Counts {
    /// Adds (`sign` +1) or takes back (−1) one interview's answers.
    pub fn tally(&mut self, form: &Form, f: &Finalized, place: &str, sign: i64) {
        let mine = self
            .by
            .entry(place.to_string())
            .or_default()
            .entry(f.surveyor.clone())
            .or_default();
        for (key, value) in &f.answers {
            let Some(&node) = form.by_name.get(key.as_str()) else {
                continue;
            };
            let n = form.node(node);
            if !matches!(n.kind, Kind::SelectOne(_)) || n.sensitive {
                continue;
            }
            let c = mine
                .entry(key.clone())
                .or_default()
                .entry(value.clone())
                .or_default();
            *c = c.saturating_add_signed(sign);
        }
    }

    /// Surveyors whose answers differ from most other surveyors' in the same place: for each
    /// pair, the mean over questions both answered at least `min_n` times of the total
    /// variation distance between their answers; a surveyor far (≥ `share`) from more than
    /// half of the others is flagged. Needs three surveyors in the place: between two, who
    /// differs from whom cannot be told. Returns (place, surveyor, flag).
    pub fn outliers(&self, min_n: u64, share: f64) -> Vec<(String, String, Flag)> {
        let mut out = Vec::new();
        for (place, surveyors) in &self.by {
            if surveyors.len() < 3 {
                continue;
            }
            for (who, mine) in surveyors {
                let dists: Vec<f64> = surveyors
                    .iter()
                    .filter(|(o, _)| *o != who)
                    .filter_map(|(_, theirs)| distance(mine, theirs, min_n))
                    .collect();
                let far = dists.iter().filter(|d| **d >= share).count();
                if dists.is_empty() || 2 * far <= dists.len() {
                    continue;
                }
                let mean = dists.iter().sum::<f64>() / dists.len() as f64;
                out.push((
                    place.clone(),
                    who.clone(),
                    flag(
                        "distribution",
                        format!(
                            "answers differ from {far} of {} other surveyors' in {place} (mean difference {:.0}%) / khác biệt với {far}/{} điều tra viên khác cùng xã",
                            dists.len(),
                            100.0 * mean,
                            dists.len()
                        ),
                    ),
                ));
            }
        }
        out
    }
}

/// One surveyor's answers: question → answer → count.
pub type Answers = std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>;

/// Mean total variation distance between two surveyors' answers, over the questions both
/// answered at least `min_n` times (at least three such questions).
fn distance(a: &Answers, b: &Answers, min_n: u64) -> Option<f64> {
    let mut dists = Vec::new();
    for (q, x) in a {
        let Some(y) = b.get(q) else {
            continue;
        };
        let (n1, n2) = (x.values().sum::<u64>(), y.values().sum::<u64>());
        if n1 < min_n || n2 < min_n {
            continue;
        }
        let values: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        let tvd: f64 = values
            .iter()
            .map(|v| {
                let p = *x.get(*v).unwrap_or(&0) as f64 / n1 as f64;
                let q = *y.get(*v).unwrap_or(&0) as f64 / n2 as f64;
                (p - q).abs()
            })
            .sum::<f64>()
            / 2.0;
        dists.push(tvd);
    }
    (dists.len() >= 3).then(|| dists.iter().sum::<f64>() / dists.len() as f64)
}
