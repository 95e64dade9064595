//! Random valid interviews through the real engine: for training, demos, load tests.

use crate::form::{Form, Kind};
use crate::interview::{Cursor, Interview, Item};
use crate::store::{Finalized, FormRef, Stamp};
use chrono::{DateTime, Duration, FixedOffset};
use std::sync::Arc;
use uuid::Uuid;

/// A small, seedable generator (splitmix64): reproducible runs without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const TEXTS: &[&str] = &[
    "Em muốn có sân chơi",
    "Cho chúng em nói, người lớn hãy nghe",
    "Đường đến trường xa, trời mưa rất trơn",
    "Em thích câu lạc bộ bóng đá, nhưng \"ít\" bạn gái được chơi",
    "Không có gì",
    "Thư viện, sách, và nước sạch\nở trường",
];

/// Runs one interview to the end with random valid answers. `None` if it could not be
/// completed (a required answer no random value satisfied).
pub fn interview(form: &Arc<Form>, rng: &mut Rng, now: DateTime<FixedOffset>) -> Option<Interview> {
    interview_with(form, rng, now, &[])
}

/// As `interview`, with some answers given: (question name, answer), e.g. the province
/// and commune a sample plan sends the surveyor to.
pub fn interview_with(
    form: &Arc<Form>,
    rng: &mut Rng,
    now: DateTime<FixedOffset>,
    preset: &[(String, String)],
) -> Option<Interview> {
    let mut iv = Interview::new(form.clone(), now);
    let mut steps = 0;
    while let Some(item) = iv.current().cloned() {
        steps += 1;
        if steps > 20_000 {
            return None;
        }
        match &item {
            Item::AddRepeat { repeat, path } => {
                let n = iv.repeat_len(*repeat, path);
                if n < 3 && rng.chance(if n == 0 { 0.7 } else { 0.4 }) {
                    iv.add_repeat();
                } else {
                    iv.advance().ok()?;
                }
            }
            Item::Question { node, path } => {
                let kind = form.node(*node).kind.clone();
                if kind.takes_answer()
                    && iv.value(*node, path).is_blank()
                    && !iv.is_read_only(*node, path)
                {
                    let name = &form.node(*node).name;
                    let required = iv.is_required(*node, path);
                    if let Some((_, v)) = preset.iter().find(|(n, _)| n == name) {
                        iv.answer(*node, path, v).ok()?;
                    } else if required || rng.chance(0.9) {
                        for _ in 0..40 {
                            let Some(raw) = random_answer(&iv, *node, path, &kind, rng, now) else {
                                break;
                            };
                            if iv.answer(*node, path, &raw).is_ok() {
                                break;
                            }
                        }
                    }
                }
                iv.advance().ok()?;
            }
        }
    }
    (iv.cursor() == &Cursor::End && iv.review().can_finalize()).then_some(iv)
}

pub fn random_answer(
    iv: &Interview,
    node: crate::expr::NodeId,
    path: &[u32],
    kind: &Kind,
    rng: &mut Rng,
    now: DateTime<FixedOffset>,
) -> Option<String> {
    let names: Vec<String> = iv
        .choices(node, path)
        .iter()
        .map(|c| c.name.clone())
        .collect();
    Some(match kind {
        Kind::SelectOne(_) => {
            if names.is_empty() {
                return None;
            }
            // Consent mostly "yes", so demo data mostly holds complete interviews; other
            // questions uniform.
            let consent = iv.form().node(node).consent;
            if consent && names.iter().any(|n| n == "yes") && rng.chance(0.9) {
                "yes".into()
            } else {
                names[rng.below(names.len() as u64) as usize].clone()
            }
        }
        Kind::SelectMultiple(_) => {
            if names.is_empty() {
                return None;
            }
            let k = 1 + rng.below(3.min(names.len() as u64));
            let mut picked: Vec<&String> = Vec::new();
            for _ in 0..k {
                let c = &names[rng.below(names.len() as u64) as usize];
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            picked
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }
        Kind::Rank(_) => {
            let mut v = names;
            for i in (1..v.len()).rev() {
                v.swap(i, rng.below(i as u64 + 1) as usize);
            }
            v.join(" ")
        }
        Kind::Integer => {
            let hi = if rng.chance(0.7) { 20 } else { 200 };
            rng.below(hi).to_string()
        }
        Kind::Decimal => format!("{}.{}", rng.below(100), rng.below(10)),
        Kind::Range(spec) => {
            let vals = spec.values();
            crate::expr::value::num_to_string(vals[rng.below(vals.len() as u64) as usize])
        }
        Kind::Date => (now - Duration::days(rng.below(15 * 365) as i64))
            .format("%Y-%m-%d")
            .to_string(),
        Kind::Time => format!("{:02}:{:02}", rng.below(24), rng.below(60)),
        Kind::DateTime => (now - Duration::minutes(rng.below(60 * 24 * 30) as i64)).to_rfc3339(),
        Kind::Text => TEXTS[rng.below(TEXTS.len() as u64) as usize].to_string(),
        Kind::Acknowledge => "OK".into(),
        _ => return None,
    })
}

/// A finished record for a simulated interview, with plausible times per question.
pub fn finalized(
    form: &Form,
    iv: &Interview,
    surveyor: &str,
    rng: &mut Rng,
    now: DateTime<FixedOffset>,
) -> Finalized {
    let answers = iv.answers();
    let paradata: Vec<(String, u64)> = answers
        .iter()
        .map(|(k, _)| (k.clone(), 2_000 + rng.below(40_000)))
        .collect();
    let duration_ms: u64 = paradata.iter().map(|(_, ms)| ms).sum();
    let started = now - Duration::milliseconds(duration_ms as i64);
    Finalized {
        id: Uuid::now_v7(),
        form: FormRef {
            id: form.id.clone(),
            version: form.version.clone(),
            hash: form.source_hash,
        },
        device: Uuid::nil(),
        seq: 0,
        surveyor: surveyor.to_string(),
        started: Stamp::from_local(started),
        finished: Stamp::from_local(now),
        answers,
        paradata,
        duration_ms,
        referral: false,
        // Made up: never official data, wherever it goes.
        training: true,
    }
}

/// A generated form for load tests and benchmarks: `groups` × 20 questions: relevance chains within each group, a running
/// calculation per group, a grand total, and a repeat of 10 questions with an outside sum.
pub fn generated_form(groups: usize) -> String {
    use std::fmt::Write;
    let mut s = String::from("[settings]\nid = \"big\"\nlanguages = [\"vi\", \"en\"]\n\n");
    for g in 0..groups {
        let _ = write!(
            s,
            "[[survey]]\ntype = \"begin_group\"\nname = \"g{g}\"\nlabel = {{ vi = \"Nhóm {g}\", en = \"Group {g}\" }}\n"
        );
        if g > 0 {
            let _ = writeln!(s, "relevant = \"${{sum{}}} != -1\"", g - 1);
        }
        s.push('\n');
        for q in 0..19 {
            let _ = write!(
                s,
                "[[survey]]\ntype = \"integer\"\nname = \"q{g}_{q}\"\nlabel = {{ vi = \"Câu {g}.{q}\", en = \"Question {g}.{q}\" }}\nconstraint = \". >= 0 and . < 1000\"\n"
            );
            if q > 0 {
                let _ = writeln!(s, "relevant = \"${{q{g}_{}}} != 99\"", q - 1);
            }
            s.push('\n');
        }
        let terms: Vec<String> = (0..19)
            .map(|q| format!("coalesce(${{q{g}_{q}}}, 0)"))
            .collect();
        let _ = write!(
            s,
            "[[survey]]\ntype = \"calculate\"\nname = \"sum{g}\"\ncalculation = \"{}\"\n\n",
            terms.join(" + ")
        );
        let _ = write!(
            s,
            "[[survey]]\ntype = \"note\"\nname = \"n{g}\"\nlabel = {{ vi = \"Tổng ${{sum{g}}}\", en = \"Total ${{sum{g}}}\" }}\n\n[[survey]]\ntype = \"end_group\"\n\n"
        );
    }
    let all: Vec<String> = (0..groups).map(|g| format!("${{sum{g}}}")).collect();
    let _ = write!(
        s,
        "[[survey]]\ntype = \"calculate\"\nname = \"grand\"\ncalculation = \"{}\"\n\n",
        all.join(" + ")
    );
    s.push_str("[[survey]]\ntype = \"begin_repeat\"\nname = \"rep\"\nlabel = { vi = \"R\", en = \"R\" }\n\n");
    for q in 0..10 {
        let _ = write!(
            s,
            "[[survey]]\ntype = \"integer\"\nname = \"r{q}\"\nlabel = {{ vi = \"R{q}\", en = \"R{q}\" }}\n"
        );
        if q > 0 {
            let _ = writeln!(s, "relevant = \"${{r{}}} != 99\"", q - 1);
        }
        s.push('\n');
    }
    s.push_str("[[survey]]\ntype = \"calculate\"\nname = \"rsum\"\ncalculation = \"coalesce(${r0}, 0) + coalesce(${r1}, 0) + position(..)\"\n\n");
    s.push_str("[[survey]]\ntype = \"end_repeat\"\n\n[[survey]]\ntype = \"calculate\"\nname = \"reptotal\"\ncalculation = \"sum(${rsum})\"\n");
    s
}
