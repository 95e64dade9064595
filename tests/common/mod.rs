//! Helpers shared by the integration tests.
#![allow(dead_code)]

#[cfg(feature = "hub")]
pub mod hub;

use chrono::{FixedOffset, TimeZone};
use langnghe::session::Clock;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fixed wall clock (2026-11-29 10:00 +07:00) and a monotonic clock that moves 2 s per
/// reading, so time-per-question is predictable.
#[derive(Default)]
pub struct StepClock(AtomicU64);

impl Clock for StepClock {
    fn now(&self) -> chrono::DateTime<FixedOffset> {
        FixedOffset::east_opt(7 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
            .unwrap()
    }
    fn mono_ms(&self) -> u64 {
        self.0.fetch_add(2000, Ordering::SeqCst)
    }
}

/// The real binary, run from the project folder.
pub fn langnghe() -> Command {
    watchdog();
    let mut c = Command::new(env!("CARGO_BIN_EXE_langnghe"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs the binary with `args` and returns its output; fails the test if it fails.
pub fn run(args: &[&str]) -> String {
    let out = spawned(langnghe().args(args));
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The command's output. Only starting the process is tried again (Wine's CreateProcess
/// fails now and then with "Internal error" under load, seen once in CI's Windows run); what
/// the process itself does is never retried or excused. It must end within [`deadline`]:
/// a command that hangs fails its test, with its threads' stacks, instead of holding CI
/// until CI's own limit (seen once: 90 minutes and nothing to read).
pub fn spawned(c: &mut Command) -> std::process::Output {
    use std::process::Stdio;
    watchdog();
    // As `Command::output`: nothing to read on stdin, both outputs captured.
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut tries = 0;
    let child = loop {
        match c.spawn() {
            Ok(child) => break child,
            Err(e) if tries < 2 => {
                tries += 1;
                eprintln!("starting {c:?} failed ({e}); trying again");
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Err(e) => panic!("cannot start {c:?}: {e}"),
        }
    };
    within(child, deadline(), &format!("{c:?}"))
}

/// How long one command of a test may take: `LANGNGHE_TEST_DEADLINE` seconds, 600 unless
/// set (the slowest command, under Wine in CI, takes about a minute).
pub fn deadline() -> std::time::Duration {
    seconds_from_env("LANGNGHE_TEST_DEADLINE", 600)
}

/// `var`'s value as seconds, or `default` when it is unset or not a number.
fn seconds_from_env(var: &str, default: u64) -> std::time::Duration {
    let secs = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    std::time::Duration::from_secs(secs)
}

/// `child`'s output once it ends; past `limit` the test fails, naming `what`, with the
/// stacks of every thread of it and of the other processes this test started (the hub it
/// was talking to, say), then the child is killed.
pub fn within(
    mut child: std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> std::process::Output {
    use std::io::Read;
    fn drain(p: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut v);
            }
            v
        })
    }
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limit => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Ok(None) => {
                let stacks = stacks_of_children();
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not end within {limit:?}\n{stacks}");
            }
            Err(e) => panic!("{what}: cannot wait for it: {e}"),
        }
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// The stacks of every thread of every process this test process started, by gdb, for a
/// test that found one of them hung. Only on Linux with gdb; elsewhere it says so.
pub fn stacks_of_children() -> String {
    if !cfg!(target_os = "linux") {
        return "(no stacks: only gathered on Linux)".into();
    }
    children().iter().map(|pid| stacks_of(pid)).collect()
}

/// The processes this test process started and that still run (Linux only: read from
/// /proc).
fn children() -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (name) state ppid …": the name may hold spaces, so read after its ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if ppid == Some(me.as_str()) {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

/// The command line of process `pid` and the innermost frames of each of its threads.
pub fn stacks_of(pid: &str) -> String {
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
    let bt = Command::new("gdb")
        .args(["-p", pid, "-batch", "-ex", "thread apply all bt"])
        .stdin(std::process::Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|e| format!("(gdb: {e})"));
    let bt: String = bt
        .lines()
        // Each thread's innermost frames (#0 to #9): where it waits.
        .filter(|l| l.starts_with("Thread ") || (l.starts_with('#') && l.get(2..3) == Some(" ")))
        .collect::<Vec<_>>()
        .join("\n");
    format!("=== process {pid}: {cmd}\n{bt}\n")
}

/// Arms, once per test binary, a watchdog for what [`deadline`] cannot see: a test hung in
/// its own process (a store it opened, say). Past `LANGNGHE_TEST_BINARY_DEADLINE` seconds
/// (1,800 unless set; the slowest suite, under Wine, takes a few minutes) it prints the
/// stacks of this process and of those it started, and ends the run as failed.
pub fn watchdog() {
    static ARMED: std::sync::Once = std::sync::Once::new();
    ARMED.call_once(|| {
        let limit = seconds_from_env("LANGNGHE_TEST_BINARY_DEADLINE", 1800);
        use std::io::Write;
        let _ = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                std::thread::sleep(limit);
                let me = std::process::id().to_string();
                // Straight to the descriptor: a test's `eprintln!` is captured, and the
                // capture is lost at the exit below.
                let _ = writeln!(
                    std::io::stderr(),
                    "this test binary is still running after {limit:?}; its threads, then the \
                     processes it started:\n{}{}",
                    if cfg!(target_os = "linux") {
                        stacks_of(&me)
                    } else {
                        String::new()
                    },
                    stacks_of_children()
                );
                // A hub left running would hold the output pipe of whoever runs the tests.
                for pid in children() {
                    let _ = Command::new("kill").args(["-9", &pid]).status();
                }
                std::process::exit(124);
            });
    });
}

/// [`run`] against a data folder.
pub fn run_in(data: &std::path::Path, args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    let d = data.to_str().unwrap();
    all.extend(["--data-dir", d]);
    run(&all)
}

/// The shipped child form.
pub fn child_form() -> std::sync::Arc<langnghe::form::Form> {
    std::sync::Arc::new(
        langnghe::form::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("forms/child_participation.toml"),
        )
        .unwrap(),
    )
}

/// A child interview started in `store`, on its first consent question: the session and
/// that question's node and path.
pub fn at_consent(
    store: &std::sync::Arc<langnghe::store::Store>,
) -> (langnghe::session::Session, langnghe::expr::NodeId, Vec<u32>) {
    let mut s = langnghe::session::Session::start(
        store.clone(),
        child_form(),
        "sv",
        std::sync::Arc::new(StepClock::default()),
    )
    .unwrap();
    s.advance().unwrap();
    let Some(langnghe::interview::Item::Question { node, path }) = s.iv.current().cloned() else {
        panic!("the child form starts with its consent question")
    };
    (s, node, path)
}

/// An interview where the guardian declined, taken to its end and finalized.
pub fn declined(store: &std::sync::Arc<langnghe::store::Store>) -> langnghe::store::Finalized {
    let (mut s, node, path) = at_consent(store);
    s.answer(node, &path, "no").unwrap();
    while s.iv.current().is_some() {
        s.advance().unwrap();
    }
    s.finalize().unwrap()
}

/// The files under `dir` (read raw, every byte) that hold `needle`.
pub fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
            {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// A copy of folder `from` (and everything under it) in `to`. The folder may belong to a
/// running hub: a file it renames into place or removes while this copies (seen under Wine
/// in CI) is skipped, as it would be had the copy started a moment later.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else if let Err(err) = std::fs::copy(&p, to.join(e.file_name())) {
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::NotFound,
                "{}: {err}",
                p.display()
            );
        }
    }
}

/// `Command::output`, within [`deadline`] (see [`spawned`]).
pub trait Finish {
    fn finish(&mut self) -> std::process::Output;
}

impl Finish for Command {
    fn finish(&mut self) -> std::process::Output {
        spawned(self)
    }
}
