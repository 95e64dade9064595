//! Engine speed on a large generated form: parse + check, one answer with re-evaluation,
//! and answering deep in a 100-instance repeat.

use chrono::{FixedOffset, TimeZone};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use langnghe::form::build;
use langnghe::interview::{Cursor, Interview, Item};
use std::fmt::Write;
use std::hint::black_box;
use std::sync::Arc;

/// A form of `groups` × 20 questions: relevance chains within each group, a running
/// calculation per group, a grand total, and a repeat of 10 questions with an outside sum.
fn big_form(groups: usize) -> String {
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

fn now() -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).single())
        .expect("clock")
}

fn benches(c: &mut Criterion) {
    let src = big_form(100);
    c.bench_function("parse+check 2000-question form", |b| {
        b.iter(|| build("big.toml", black_box(&src)).expect("valid"))
    });

    let form = Arc::new(build("big.toml", &src).expect("valid"));
    assert!(form.question_count() >= 2000, "{}", form.question_count());
    let mut iv = Interview::new(form.clone(), now());
    let q = form.by_name["q50_3"];
    let mut k = 0u32;
    c.bench_function("answer + re-evaluate (2000 questions)", |b| {
        b.iter(|| {
            k = (k + 1) % 500;
            iv.answer(q, &[], &k.to_string()).expect("valid answer");
        })
    });

    let rep = form.by_name["rep"];
    let mut iv = Interview::new(form.clone(), now());
    for _ in 0..100 {
        iv.jump(Cursor::At(Item::AddRepeat {
            repeat: rep,
            path: vec![],
        }));
        iv.add_repeat();
    }
    let r0 = form.by_name["r0"];
    for (name, inst) in [
        ("answer in repeat instance 1 of 100", 0u32),
        ("answer in repeat instance 100 of 100", 99),
    ] {
        let mut k = 0u32;
        c.bench_function(name, |b| {
            b.iter(|| {
                k = (k + 1) % 500;
                iv.answer(r0, &[inst], &k.to_string())
                    .expect("valid answer");
            })
        });
    }

    c.bench_function("new interview (2000 questions)", |b| {
        b.iter_batched(
            || form.clone(),
            |f| Interview::new(f, now()),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(engine, benches);
criterion_main!(engine);
