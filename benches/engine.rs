//! Engine speed on a large generated form: parse + check, one answer with re-evaluation,
//! and answering deep in a 100-instance repeat.

use chrono::{FixedOffset, TimeZone};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use langnghe::form::build;
use langnghe::interview::{Cursor, Interview, Item};
use std::hint::black_box;
use std::sync::Arc;

fn now() -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).single())
        .expect("clock")
}

fn benches(c: &mut Criterion) {
    let src = langnghe::simulate::generated_form(100);
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
