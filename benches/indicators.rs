//! Indicator reports over the child form: one pass over 100,000 interviews, and from the
//! tallies a hub keeps at ingest (1,000,000 interviews; with a sample design, each cell's
//! sums per commune too), with the cost of adding one 500-interview bundle to them.

use criterion::{Criterion, criterion_group, criterion_main};
use langnghe::indicators::compute::Accumulator;
use langnghe::indicators::def::Indicators;
use langnghe::indicators::tallies::State;
use langnghe::record::Finalized;
use std::path::Path;

/// `n` simulated interviews of eligible children (500 distinct ones, repeated).
fn interviews(form: &std::sync::Arc<langnghe::form::Form>, n: usize) -> Vec<Finalized> {
    let now = chrono::Local::now().fixed_offset();
    let mut rng = langnghe::simulate::Rng::new(5);
    let mut pool = Vec::new();
    while pool.len() < 500 {
        if let Some(iv) = langnghe::simulate::interview(form, &mut rng, now)
            && iv
                .answers()
                .iter()
                .any(|(k, v)| k == "eligible" && v == "1")
        {
            pool.push(langnghe::simulate::finalized(form, &iv, "b", &mut rng, now));
        }
    }
    (0..n).map(|i| pool[i % pool.len()].clone()).collect()
}

fn from_tallies(
    c: &mut Criterion,
    name: &str,
    defs: &Indicators,
    form: &std::sync::Arc<langnghe::form::Form>,
) {
    let now = chrono::Local::now().fixed_offset();
    let bundle = interviews(form, 500);
    let mut acc = Accumulator::new(defs, form, now);
    for f in bundle.iter().cycle().take(1_000_000) {
        acc.add(f);
    }
    let kept = langnghe::codec::encode(acc.state());
    let mut g = c.benchmark_group("indicators");
    g.sample_size(10);
    g.bench_function(format!("report from tallies of 1,000,000 ({name})"), |b| {
        b.iter(|| {
            let state: State = langnghe::codec::decode(&kept).expect("tallies");
            let rep = Accumulator::resume(defs, form, now, state).finish();
            langnghe::indicators::render::html::render(&rep, "vi")
        })
    });
    g.bench_function(
        format!("a 500-interview bundle into the tallies ({name})"),
        |b| {
            b.iter(|| {
                let state: State = langnghe::codec::decode(&kept).expect("tallies");
                let mut acc = Accumulator::resume(defs, form, now, state);
                for f in &bundle {
                    acc.add(f);
                }
                langnghe::codec::encode(acc.state()).len()
            })
        },
    );
    g.finish();
    println!("tallies ({name}): {} bytes kept", kept.len());
}

fn benches(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let form = std::sync::Arc::new(
        langnghe::form::load(&dir.join("child_participation.toml")).expect("form"),
    );
    let file = dir.join("child_participation.indicators.toml");
    let defs = langnghe::indicators::def::load(&file, &form).expect("indicators");
    let now = chrono::Local::now().fixed_offset();
    let all = interviews(&form, 100_000);
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
    from_tallies(c, "no design", &defs, &form);
    // The same indicators under a design: stratified by province, communes as PSUs.
    let src = std::fs::read_to_string(&file)
        .expect("indicator file")
        .replace(
            "[settings]\n",
            "[settings]\nstrata = \"${province}\"\npsu = \"${commune}\"\n",
        );
    let designed = langnghe::indicators::def::parse("designed", &src, &form)
        .expect("indicators with a design");
    from_tallies(c, "with a design", &designed, &form);
}

criterion_group!(indicators, benches);
criterion_main!(indicators);
