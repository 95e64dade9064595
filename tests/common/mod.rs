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
/// the process itself does is never retried or excused.
pub fn spawned(c: &mut Command) -> std::process::Output {
    let mut tries = 0;
    loop {
        match c.output() {
            Ok(out) => return out,
            Err(e) if tries < 2 => {
                tries += 1;
                eprintln!("starting {c:?} failed ({e}); trying again");
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Err(e) => panic!("cannot start {c:?}: {e}"),
        }
    }
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
