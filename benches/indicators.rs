//! Indicator report over 100,000 interviews of the child form.

use criterion::{Criterion, criterion_group, criterion_main};
use langnghe::indicators::compute::Accumulator;
use std::path::Path;

fn benches(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let form = langnghe::form::load(&dir.join("child_participation.toml")).expect("form");
    let defs =
        langnghe::indicators::def::load(&dir.join("child_participation.indicators.toml"), &form)
            .expect("indicators");
    let now = chrono::Local::now().fixed_offset();
    // 500 distinct simulated interviews, repeated to 100,000.
    let shared = std::sync::Arc::new(
        langnghe::form::load(&dir.join("child_participation.toml")).expect("form"),
    );
    let mut rng = langnghe::simulate::Rng::new(5);
    let mut pool = Vec::new();
    while pool.len() < 500 {
        if let Some(iv) = langnghe::simulate::interview(&shared, &mut rng, now)
            && iv
                .answers()
                .iter()
                .any(|(k, v)| k == "eligible" && v == "1")
        {
            pool.push(langnghe::simulate::finalized(
                &shared, &iv, "b", &mut rng, now,
            ));
        }
    }
    let all: Vec<_> = (0..100_000).map(|i| pool[i % pool.len()].clone()).collect();
    let mut g = c.benchmark_group("indicators");
    g.sample_size(10);
    g.bench_function("report over 100,000 interviews", |b| {
        b.iter(|| {
            let mut acc = Accumulator::new(&defs, &form, now);
            for f in &all {
                acc.add(f);
            }
            let rep = acc.finish();
            langnghe::indicators::render::html::render(&rep, "vi")
        })
    });
    g.finish();
}

criterion_group!(indicators, benches);
criterion_main!(indicators);
