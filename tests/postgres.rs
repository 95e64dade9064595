//! The hub on PostgreSQL: two `hub serve` processes sharing one database (as behind a load
//! balancer), devices split between them and one bundle sent to both at once; every
//! interview is stored exactly once, and either process sees every device and interview.
//! Needs `LANGNGHE_TEST_POSTGRES` (see `common::hub::postgres`); `.ci/run` provides it.

mod common;

use common::hub::{HubProc, enrolled as device, fresh_database, postgres, report, same};
use common::run;
use langnghe::store::Store;
use langnghe::sync::{client, outbox};
use std::path::Path;

/// A copy of hub folder `from` in `to` (its keys and settings), served as a second process.
/// It publishes no forms of its own: it reads interviews with the form versions devices sent
/// either process, from the database.
fn second_process(from: &HubProc, to: &Path) -> HubProc {
    common::copy_dir(&from.dir, to);
    for f in ["serve.addr", "admin.token"] {
        let _ = std::fs::remove_file(to.join(f));
    }
    std::fs::remove_dir_all(to.join("forms")).unwrap();
    std::fs::create_dir(to.join("forms")).unwrap();
    let _ = std::fs::remove_dir_all(to.join("form-versions"));
    let mut h = HubProc {
        dir: to.to_path_buf(),
        child: None,
        addr: String::new(),
        database: None,
    };
    h.start("127.0.0.1:0");
    h
}

#[test]
fn two_hub_processes_on_one_database_store_every_interview_once() {
    let Some(server) = postgres("two_hub_processes_on_one_database_store_every_interview_once")
    else {
        return;
    };
    let url = fresh_database(&server);
    let tmp = tempfile::tempdir().unwrap();
    let a = HubProc::on(&tmp.path().join("a"), true, Some(url.clone()));
    let b = second_process(&a, &tmp.path().join("b"));
    // The indicator tallies are kept from here on, by whichever process ingests.
    report(&a.dir, true, false);

    // Four devices, two per process, syncing at the same time; tokens made by either.
    let devs: Vec<_> = (0..4).map(|i| tmp.path().join(format!("dev{i}"))).collect();
    for (i, dev) in devs.iter().enumerate() {
        let (hub, maker) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        device(
            dev,
            &hub.url(),
            &maker.token(&format!("laptop-{i}")),
            150,
            &i.to_string(),
        );
    }
    std::thread::scope(|s| {
        for dev in &devs {
            s.spawn(move || run(&["--data-dir", dev.to_str().unwrap(), "sync"]));
        }
    });

    // One more device's bundle sent to both processes at the same instant: one stores each
    // interview, the other answers that it is already there.
    let dev = tmp.path().join("dev-both");
    device(&dev, &a.url(), &b.token("laptop-both"), 200, "9");
    let store = Store::open(&dev).unwrap();
    let ids: Vec<_> = store.entries().0.iter().map(|(id, _)| *id).collect();
    let c = client::Client::new(store.dir()).unwrap();
    let bundle = outbox::build(&store, &c.enrollment, &c.key, &ids).unwrap();
    let token = c.enrollment.api_token.clone();
    let answers: Vec<(u16, Vec<u8>)> = std::thread::scope(|s| {
        let sends: Vec<_> = [&a, &b]
            .iter()
            .map(|h| {
                let (url, token, bundle) = (h.url(), token.clone(), bundle.clone());
                s.spawn(move || {
                    common::hub::post(&format!("{url}/api/v1/bundles"), &token, &bundle)
                })
            })
            .collect();
        sends.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        answers.iter().all(|(code, _)| (200..300).contains(code)),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    drop(store);

    // Either process sees all five devices and every interview, each once.
    for h in [&a, &b] {
        let listed = run(&["hub", "devices", "--data", h.dir.to_str().unwrap()]);
        assert_eq!(listed.lines().count(), 5, "{listed}");
    }
    let finalized = |dev: &Path| Store::open(dev).unwrap().entries().0.len();
    let want: usize = devs.iter().map(|d| finalized(d)).sum::<usize>() + ids.len();
    for h in [&a, &b] {
        assert_eq!(
            h.stored(),
            want,
            "interviews stored, seen from {}",
            h.dir.display()
        );
    }
    // Reviews too: each process lists every interview for the supervisor, whichever took it
    // in, and a decision taken through one is seen through the other.
    for h in [&a, &b] {
        let listed = run(&["hub", "review", "--data", h.dir.to_str().unwrap(), "list"]);
        assert!(listed.contains(&format!("{want} interview(s)")), "{listed}");
    }
    let one = ids[0].to_string();
    run(&[
        "hub",
        "review",
        "--data",
        a.dir.to_str().unwrap(),
        "approve",
        &one,
    ]);
    let shown = run(&[
        "hub",
        "review",
        "--data",
        b.dir.to_str().unwrap(),
        "list",
        "--state",
        "approved",
    ]);
    assert!(
        shown.contains(&one) && shown.contains("1 interview(s)"),
        "{shown}"
    );
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT id) FROM interviews WHERE NOT tombstone",
            &[],
        )
        .unwrap();
    let (n, distinct): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!((n as usize, distinct as usize), (want, want));
    let conflicts: i64 = db
        .query_one("SELECT count(*) FROM conflicts", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        conflicts, 0,
        "the same bundle twice is duplicates, not conflicts"
    );
    drop(db);
    // The tallies both processes kept while ingesting at once are a recount's, each
    // interview counted once.
    let kept = report(&b.dir, true, false);
    assert_eq!(kept["interviews"], want as u64);
    same(&kept, &report(&a.dir, true, true), "report");
    drop(b);
    // The first process's drop drops the database.
    drop(a);
}

#[test]
fn an_id_twice_in_one_bundle_is_stored_once_on_postgresql() {
    let Some(server) = postgres("an_id_twice_in_one_bundle_is_stored_once_on_postgresql") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = fresh_database(&server);
    let hub = HubProc::on(&tmp.path().join("hub"), true, Some(url.clone()));
    let dev = tmp.path().join("dev");
    device(&dev, &hub.url(), &hub.token("laptop-twice"), 3, "4");
    let store = Store::open(&dev).unwrap();
    let mut ids: Vec<_> = store.entries().0.iter().map(|(id, _)| *id).collect();
    // The same interview listed twice, and once more at the end.
    ids.insert(1, ids[0]);
    ids.push(ids[0]);
    let c = client::Client::new(store.dir()).unwrap();
    let bundle = outbox::build(&store, &c.enrollment, &c.key, &ids).unwrap();
    let receipt = c.send(&bundle, store.device()).unwrap();
    use langnghe::protocol::bundle::ItemStatus::{Accepted, Duplicate};
    let statuses: Vec<_> = receipt.items.iter().map(|(_, s)| *s).collect();
    assert_eq!(statuses[..2], [Accepted, Duplicate]);
    assert_eq!(statuses.last(), Some(&Duplicate));
    assert_eq!(
        statuses.iter().filter(|s| **s == Accepted).count(),
        ids.len() - 2
    );
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let n: i64 = db
        .query_one("SELECT count(*) FROM interviews WHERE id = $1", &[&ids[0]])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}
