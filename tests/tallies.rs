//! The indicator tallies a hub keeps at ingest equal a full recount after a random history
//! of ingests, duplicates, conflicts and erasures (on a real hub; on PostgreSQL too when
//! `.ci/run` runs the hub suites there).

mod common;

use common::hub::{HubProc, device, report, same};
use langnghe::hub::Hub;
use langnghe::protocol::bundle;
use langnghe::store::{Finalized, Stamp, Store};
use langnghe::sync::{client, outbox};

fn run(args: &[&str]) -> String {
    common::run(args)
}

fn now() -> Stamp {
    Stamp::from_local(chrono::Local::now().fixed_offset())
}

/// A small deterministic generator, so the history is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Sends `items` (id, plain interview) as one bundle signed by the device; the statuses.
fn send(
    c: &client::Client,
    store: &Store,
    seq: u64,
    items: &[Finalized],
) -> Vec<bundle::ItemStatus> {
    let to = langnghe::protocol::seal::parse_recipients(&c.enrollment.recipients).unwrap();
    let sealed: Vec<(uuid::Uuid, Vec<u8>)> = items
        .iter()
        .map(|f| {
            let plain = bundle::interview_plaintext(f);
            (f.id, langnghe::protocol::seal::seal(&plain, &to).unwrap())
        })
        .collect();
    let b = bundle::build(store.device(), seq, c.enrollment.hub_id, &sealed, &c.key);
    let r = c.send(&b, store.device()).unwrap();
    r.items.into_iter().map(|(_, s)| s).collect()
}

#[test]
fn tallies_kept_at_ingest_equal_a_recount_after_random_ingests_duplicates_conflicts_and_erasures() {
    let tmp = tempfile::tempdir().unwrap();
    let hub_dir = tmp.path().join("hub");
    let mut hub = HubProc::new(&hub_dir);
    let store = device(&tmp.path().join("dev"), &hub, "laptop-t", 30);
    let c = client::Client::new(store.dir()).unwrap();
    let forms = store.dir().join("forms");
    outbox::sync_once(&store, &c, &forms, now, &mut |_, _| {}).unwrap();
    let addr = hub.addr.clone();
    hub.kill();
    // The practice interviews as the hub holds them (the device seals its own for the hub).
    let practice: Vec<Finalized> = {
        let mut v = Vec::new();
        Hub::open(&hub_dir)
            .unwrap()
            .each_finalized(|f| v.push(f))
            .unwrap();
        v
    };
    // The first report counts everything once and keeps the tallies; from here on each
    // ingest brings them along.
    for practice in [false, true] {
        report(&hub_dir, practice, false);
    }
    hub.start(&addr);
    let mut rng = Lcg(0x5eed_1a11_7a11);
    let mut sent: Vec<Finalized> = Vec::new();
    let mut erased = std::collections::HashSet::new();
    let mut seq = 1_000;
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..12 {
        // Real (not practice) interviews made from practice ones: new ids, some answers
        // changed, each a day apart so the report's period moves.
        let mut batch = Vec::new();
        for k in 0..1 + rng.below(6) {
            let mut f = practice[rng.below(practice.len())].clone();
            f.id = uuid::Uuid::now_v7();
            f.training = false;
            f.finished = Stamp::from_local(
                chrono::Local::now().fixed_offset()
                    - chrono::Duration::days((round * 7 + k) as i64),
            );
            for (_, v) in f.answers.iter_mut().filter(|(k, _)| k == "sex") {
                *v = ["male", "female"][rng.below(2)].to_string();
            }
            batch.push(f);
        }
        match rng.below(4) {
            // The same interviews again in the bundle, and an earlier one: duplicates.
            0 if !sent.is_empty() => batch.push(sent[rng.below(sent.len())].clone()),
            // An interview under a stored id with other answers: a conflict, set aside.
            1 if !sent.is_empty() => {
                let mut f = sent[rng.below(sent.len())].clone();
                f.surveyor = "someone else".into();
                batch.push(f);
            }
            _ => {}
        }
        seq += 1;
        for s in send(&c, &store, seq, &batch) {
            *statuses.entry(format!("{s:?}")).or_default() += 1;
        }
        for f in batch {
            if f.surveyor != "someone else" && !sent.iter().any(|s| s.id == f.id) {
                sent.push(f);
            }
        }
        // Now and then an erasure at the office (a real interview or a practice one).
        if rng.below(3) == 0 {
            let pool: Vec<uuid::Uuid> = sent
                .iter()
                .chain(&practice)
                .map(|f| f.id)
                .filter(|id| !erased.contains(id))
                .collect();
            let id = pool[rng.below(pool.len())];
            erased.insert(id);
            // sled: one process holds the store; PostgreSQL: the other process erases.
            let sled = hub.database.is_none();
            if sled {
                hub.kill();
            }
            let said = run(&[
                "hub",
                "erase",
                "--data",
                hub_dir.to_str().unwrap(),
                &id.to_string(),
            ]);
            assert!(said.contains("only a tombstone remains"), "{said}");
            if sled {
                hub.start(&addr);
            }
        }
    }
    for s in ["Accepted", "Duplicate", "Conflict"] {
        assert!(
            statuses.contains_key(s),
            "no {s} in the history: {statuses:?}"
        );
    }
    assert!(erased.len() >= 2, "{erased:?}");
    hub.kill();
    // The tallies kept up: they have seen every change the store made.
    let h = Hub::open(&hub_dir).unwrap();
    let changes = h.store.changes().unwrap();
    assert!(changes > 30, "{changes}");
    drop(h);
    let kept = [
        report(&hub_dir, false, false),
        report(&hub_dir, true, false),
    ];
    let recounted = [report(&hub_dir, false, true), report(&hub_dir, true, true)];
    let real_erased = sent.iter().filter(|f| erased.contains(&f.id)).count();
    assert_eq!(kept[0]["interviews"], (sent.len() - real_erased) as u64);
    for (k, r) in kept.iter().zip(&recounted) {
        same(k, r, "report");
    }
    // The erasures count as ended early, in both.
    let ended: u64 = kept[1]["ended"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(ended >= erased.len() as u64, "{ended}");
}
