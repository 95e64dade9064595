//! Helpers shared by the integration tests.
#![allow(dead_code)]

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
