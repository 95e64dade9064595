//! A real hub process on loopback, and devices enrolled with it.

use super::{langnghe as bin, run};
use langnghe::store::Store;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// A hub folder with the shipped forms, and its server as a real process.
pub struct HubProc {
    pub dir: PathBuf,
    pub child: Option<Child>,
    pub addr: String,
    /// The PostgreSQL database its interviews are in, when the suite runs on PostgreSQL.
    pub database: Option<String>,
}

/// The PostgreSQL server the tests may use: `LANGNGHE_TEST_POSTGRES`, an address whose user
/// may create databases (`postgres://user:password@host:port/postgres`). `.ci/run` starts
/// one and sets it, with `LANGNGHE_REQUIRE_POSTGRES=1`: without it a test that needs it
/// fails there. Elsewhere it says it was not run, loudly, and returns `None`.
pub fn postgres(test: &str) -> Option<String> {
    match std::env::var("LANGNGHE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("LANGNGHE_REQUIRE_POSTGRES").is_none(),
                "{test}: LANGNGHE_TEST_POSTGRES is not set, and this run requires PostgreSQL"
            );
            eprintln!("NOT RUN: {test} needs PostgreSQL (set LANGNGHE_TEST_POSTGRES=postgres://…)");
            None
        }
    }
}

/// A new, empty database on the server `base` names; its address.
pub fn fresh_database(base: &str) -> String {
    let name = format!("lnt_{}", uuid::Uuid::now_v7().simple());
    let mut c = postgres::Client::connect(base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("PostgreSQL at {base}: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (server, _) = base.rsplit_once('/').expect("postgres://…/database");
    format!("{server}/{name}")
}

/// Drops a database `fresh_database` made (nothing may be connected to it any more).
pub fn drop_database(url: &str) {
    let (server, name) = url.rsplit_once('/').expect("postgres://…/database");
    if let Ok(mut c) = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Whether this run keeps the tests' hubs on PostgreSQL (`LANGNGHE_TEST_HUB_BACKEND=postgres`:
/// `.ci/run` runs the sync suites a second time so).
fn hubs_on_postgres() -> Option<String> {
    if std::env::var("LANGNGHE_TEST_HUB_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    postgres("hubs on PostgreSQL").map(|base| fresh_database(&base))
}

impl HubProc {
    /// A training hub (it takes the practice interviews `simulate` makes), serving.
    pub fn new(dir: &Path) -> HubProc {
        HubProc::with(dir, true)
    }

    /// A hub as `hub init` makes it, `accept_training` set or not, serving.
    pub fn with(dir: &Path, accept_training: bool) -> HubProc {
        HubProc::on(dir, accept_training, hubs_on_postgres())
    }

    /// As `with`, its interviews in the PostgreSQL database `database` if given (dropped
    /// with the hub).
    pub fn on(dir: &Path, accept_training: bool, database: Option<String>) -> HubProc {
        let mut init = vec!["hub", "init", "--data", dir.to_str().unwrap()];
        if let Some(url) = &database {
            init.extend(["--database", url]);
        }
        run(&init);
        if accept_training {
            let toml = dir.join("hub.toml");
            let text = std::fs::read_to_string(&toml).unwrap();
            assert!(text.contains("accept_training = false"), "{text}");
            std::fs::write(
                &toml,
                text.replace("accept_training = false", "accept_training = true"),
            )
            .unwrap();
        }
        for f in [
            "child_participation.toml",
            "child_participation.indicators.toml",
            "commune_child_friendly.toml",
        ] {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("forms").join(f),
                dir.join("forms").join(f),
            )
            .unwrap();
        }
        let mut h = HubProc {
            dir: dir.to_path_buf(),
            child: None,
            addr: String::new(),
            database,
        };
        h.start("127.0.0.1:0");
        h
    }
    pub fn start(&mut self, listen: &str) {
        let mut child = bin()
            .args([
                "hub",
                "serve",
                "--data",
                self.dir.to_str().unwrap(),
                "--listen",
                listen,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // Its first line says where it listens; read on a thread so a hub that never says
        // it fails the test (with the stacks) instead of holding it forever.
        let mut out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let mut byte = [0u8; 1];
            while !line.ends_with('\n') && matches!(out.read(&mut byte), Ok(1)) {
                line.push(byte[0] as char);
            }
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(super::deadline()) {
            Ok(line) => line,
            Err(_) => {
                let stacks = super::stacks_of_children();
                let _ = child.kill();
                panic!(
                    "the hub did not start within {:?}\n{stacks}",
                    super::deadline()
                );
            }
        };
        assert!(line.ends_with('\n'), "hub exited: {line}");
        self.addr = line.trim().rsplit("http://").next().unwrap().to_string();
        self.child = Some(child);
    }
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn token(&self, name: &str) -> String {
        run(&[
            "hub",
            "enroll-token",
            "--data",
            self.dir.to_str().unwrap(),
            "--device",
            name,
        ])
        .trim()
        .to_string()
    }
    /// The hub's answer counts of `form` (the quality flags' figures), from its file or,
    /// on PostgreSQL, its row.
    pub fn answer_counts(&self, form: &str) -> langnghe::hub::quality::Counts {
        let bytes = match &self.database {
            Some(url) => {
                let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
                db.query_one("SELECT counts FROM quality WHERE form_id = $1", &[&form])
                    .unwrap()
                    .get::<_, Vec<u8>>(0)
            }
            None => std::fs::read(self.dir.join(format!("quality/answers-{form}.json"))).unwrap(),
        };
        serde_json::from_slice(&bytes).unwrap()
    }

    pub fn stored(&self) -> usize {
        // Opened after the server is stopped, or through it.
        let out = tempfile::tempdir().unwrap();
        run(&[
            "hub",
            "export",
            "--data",
            self.dir.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--include-training",
        ]);
        std::fs::read_to_string(out.path().join("child_participation.csv"))
            .map_or(0, |s| s.lines().count().saturating_sub(1))
    }
}

impl Drop for HubProc {
    fn drop(&mut self) {
        self.kill();
        if let Some(url) = &self.database {
            drop_database(url);
        }
    }
}

pub fn device(dir: &Path, hub: &HubProc, name: &str, interviews: usize) -> Store {
    enrolled(dir, &hub.url(), &hub.token(name), interviews, "4");
    Store::open(dir).unwrap()
}

/// `interviews` simulated (from `seed`) in a device folder, then enrolled at `url` with
/// `token`.
pub fn enrolled(dir: &Path, url: &str, token: &str, interviews: usize, seed: &str) {
    let d = dir.to_str().unwrap();
    run(&[
        "--data-dir",
        d,
        "simulate",
        "--form",
        "child_participation",
        "--count",
        &interviews.to_string(),
        "--seed",
        seed,
    ]);
    run(&["--data-dir", d, "enroll", url, token]);
}

/// POSTs `body` to `url` with a bearer token; the status and the body of the answer.
pub fn post(url: &str, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let kind = if body.starts_with(b"{") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", kind)
        .send(body)
        .unwrap();
    (
        r.status().as_u16(),
        r.body_mut().read_to_vec().unwrap_or_default(),
    )
}

/// The hub's report as JSON (`include-training` or not, `recount` or not).
pub fn report(dir: &Path, practice: bool, recount: bool) -> serde_json::Value {
    let hub = langnghe::hub::Hub::open(dir).unwrap();
    let rep = langnghe::hub::report::compute(&hub, None, practice, recount).unwrap();
    serde_json::to_value(&rep).unwrap()
}

/// Equal but for when each was made and the order floating-point sums were added in.
pub fn same(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                "{at}: {x} ≠ {y}"
            );
        }
        (V::Object(x), V::Object(y)) => {
            let keys = |m: &serde_json::Map<String, V>| {
                m.keys()
                    .filter(|k| *k != "generated")
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert_eq!(keys(x), keys(y), "{at}");
            for k in keys(x) {
                same(&x[&k], &y[&k], &format!("{at}.{k}"));
            }
        }
        (V::Array(x), V::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                same(x, y, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}
