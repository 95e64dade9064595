//! Sync speed: building a bundle of 10,000 sealed interviews, the hub ingesting bundles
//! over HTTP on loopback, and sealing and opening items (each one X25519).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use langnghe::hub::{Hub, server};
use langnghe::protocol::bundle;
use langnghe::store::Store;
use langnghe::sync::client;
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut hub = Hub::init(&tmp.path().join("hub"), &[]).expect("hub");
    // `simulate` makes practice interviews; a training hub takes them.
    hub.config.accept_training = true;
    let token = Hub::enroll_token(&hub.dir, "bench").expect("token");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = server::router(hub);
    rt.spawn(server::serve_router(
        listener,
        app,
        server::Limits::default(),
    ));

    let store = Store::open(&tmp.path().join("dev")).expect("store");
    client::enroll(&store, &format!("http://{addr}"), &token).expect("enrol");
    let form = Arc::new(
        langnghe::form::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("forms/child_participation.toml"),
        )
        .expect("form"),
    );
    let mut rng = langnghe::simulate::Rng::new(3);
    let now = chrono::Local::now().fixed_offset();
    let mut done = 0;
    while done < 10_000 {
        let mut batch = Vec::new();
        while batch.len() < 1000 {
            if let Some(iv) = langnghe::simulate::interview(&form, &mut rng, now) {
                batch.push(langnghe::simulate::finalized(
                    &form, &iv, "b", &mut rng, now,
                ));
            }
        }
        store.finalize(&mut batch).expect("finalize");
        done += batch.len();
    }
    let ids = store.unsent(usize::MAX);
    let cl = client::Client::new(store.dir()).expect("client");

    let mut g = c.benchmark_group("sync");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("build a bundle of 10,000 sealed interviews", |b| {
        b.iter(|| {
            let items: Vec<_> = ids
                .iter()
                .map(|id| (*id, store.sealed_bytes(*id).expect("sealed")))
                .collect();
            bundle::build(store.device(), 1, cl.enrollment.hub_id, &items, &cl.key)
        })
    });
    let some: Vec<_> = ids
        .iter()
        .take(2000)
        .map(|id| (*id, store.sealed_bytes(*id).expect("sealed")))
        .collect();
    let b = bundle::build(store.device(), 1, cl.enrollment.hub_id, &some, &cl.key);
    g.throughput(Throughput::Elements(some.len() as u64));
    g.bench_function("hub ingests a 2,000-interview bundle over HTTP", |bch| {
        bch.iter(|| cl.send(&b, store.device()).expect("receipt"))
    });
    // What `hub export` and every ingest pay per item: one X25519 agreement, the age
    // envelope, zstd. Plaintexts of a real interview's size.
    let identity = age::x25519::Identity::generate();
    let plain: Vec<u8> = some
        .iter()
        .map(|(_, s)| s.len())
        .sum::<usize>()
        .to_le_bytes()
        .repeat(120);
    let to = [identity.to_public()];
    let seal_all = || -> Vec<Vec<u8>> {
        (0..1000)
            .map(|_| langnghe::protocol::seal::seal(&plain, &to).expect("seal"))
            .collect()
    };
    let sealed = seal_all();
    g.throughput(Throughput::Elements(sealed.len() as u64));
    // What a device pays per refusal it sends and per interview it finalizes once enrolled.
    g.bench_function("seal interviews", |b| b.iter(seal_all));
    let opener = langnghe::protocol::opener::Opener::new(&identity).expect("opener");
    g.bench_function("open sealed interviews", |b| {
        b.iter(|| {
            for s in &sealed {
                langnghe::protocol::seal::open(s, &opener).expect("open");
            }
        })
    });
    g.finish();
}

criterion_group!(sync, benches);
criterion_main!(sync);
