//! Store speed on a real disk: autosave of one answer, and finalize with its fsyncs.

use criterion::{Criterion, criterion_group, criterion_main};
use langnghe::form::load;
use langnghe::session::{Session, SystemClock};
use langnghe::store::Store;
use std::path::Path;
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(dir.path()).expect("store"));
    let form = Arc::new(
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/commune_child_friendly.toml"))
            .expect("form"),
    );
    let clock = Arc::new(SystemClock::default());
    let mut s =
        Session::start(store.clone(), form.clone(), "bench", clock.clone()).expect("session");
    let q = form.by_name["children_under16"];
    let mut k = 0u32;
    c.bench_function("autosave one answer (journal + sled)", |b| {
        b.iter(|| {
            k = (k + 1) % 1000;
            s.answer(q, &[], &(k + 1).to_string()).expect("saved");
        })
    });

    // A complete interview to finalize over and over, each time under a new id.
    let mut rng = langnghe::simulate::Rng::new(9);
    let now = clock_now();
    let iv = loop {
        if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, now) {
            break iv;
        }
    };
    c.bench_function("finalize one interview (fsync)", |b| {
        b.iter(|| {
            let mut f = [langnghe::simulate::finalized(
                &form, &iv, "bench", &mut rng, now,
            )];
            store.finalize(&mut f).expect("finalized");
        })
    });
}

fn clock_now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

criterion_group!(store, benches);
criterion_main!(store);
