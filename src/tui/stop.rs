//! Turning the operating system's "stop now" into an orderly stop of the app: SIGTERM, SIGHUP
//! (terminal closed) and SIGINT on Unix; Ctrl+C, Ctrl+Break, the console window closed, log
//! off and shut down on Windows.

/// Calls `stop` once when the process is asked to end. Best effort: if the handler cannot be
/// installed the app still saves every accepted answer as it goes.
#[cfg(unix)]
pub(super) fn on_stop(stop: impl FnOnce() + Send + 'static) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT]) {
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                stop();
            }
        });
    }
}

/// Tells the handler that everything open is saved, so Windows may end the process.
#[cfg(unix)]
pub(super) fn finished() {}

#[cfg(windows)]
pub(super) use windows::{finished, on_stop};

#[cfg(windows)]
mod windows {
    use std::sync::{Condvar, Mutex, OnceLock};
    use std::time::Duration;
    use windows_sys::Win32::Foundation::{FALSE, TRUE};
    use windows_sys::Win32::System::Console::{
        CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT,
        SetConsoleCtrlHandler,
    };
    use windows_sys::core::BOOL;

    type Stop = Box<dyn FnOnce() + Send>;
    static STOP: OnceLock<Mutex<Option<Stop>>> = OnceLock::new();
    static DONE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

    /// Windows ends the process as soon as the handler returns from a close, log-off or
    /// shut-down event (and at the latest about 5 s later), so the handler waits here until
    /// the app has saved, for at most 4 s.
    const GRACE: Duration = Duration::from_secs(4);

    pub(in super::super) fn on_stop(stop: impl FnOnce() + Send + 'static) {
        if STOP.set(Mutex::new(Some(Box::new(stop)))).is_ok() {
            // SAFETY: `handler` is a plain function that lives for the whole process.
            unsafe { SetConsoleCtrlHandler(Some(handler), TRUE) };
        }
    }

    pub(in super::super) fn finished() {
        if let Ok(mut done) = DONE.0.lock() {
            *done = true;
            DONE.1.notify_all();
        }
    }

    unsafe extern "system" fn handler(kind: u32) -> BOOL {
        let ending = matches!(
            kind,
            CTRL_CLOSE_EVENT | CTRL_LOGOFF_EVENT | CTRL_SHUTDOWN_EVENT
        );
        if !ending && kind != CTRL_C_EVENT && kind != CTRL_BREAK_EVENT {
            return FALSE;
        }
        if let Some(stop) = STOP.get().and_then(|s| s.lock().ok()?.take()) {
            stop();
        }
        if ending && let Ok(done) = DONE.0.lock() {
            let _ = DONE.1.wait_timeout_while(done, GRACE, |d| !*d);
        }
        TRUE
    }
}

#[cfg(not(any(unix, windows)))]
pub(super) fn on_stop(_stop: impl FnOnce() + Send + 'static) {}

#[cfg(not(any(unix, windows)))]
pub(super) fn finished() {}
