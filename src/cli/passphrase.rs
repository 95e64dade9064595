//! Asking for the data folder's passphrase: `LANGNGHE_PASSPHRASE`, else typed on the
//! terminal without echo; and the `passphrase` verb that sets or changes it.

use super::error::CliResult;
use crate::lang::Lang;
use crate::store::Store;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::terminal;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Typed on the terminal, not shown; `None` without a terminal or on Esc / Ctrl+C.
pub fn ask(prompt: &str) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    terminal::enable_raw_mode().ok()?;
    let mut typed = String::new();
    let done = loop {
        match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break true,
                KeyCode::Esc => break false,
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => break false,
                KeyCode::Backspace => {
                    typed.pop();
                }
                KeyCode::Char(c) => typed.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(_) => break false,
        }
    };
    let _ = terminal::disable_raw_mode();
    eprintln!();
    done.then_some(typed)
}

/// Opens the store, asking for the passphrase when the folder is protected and none is set
/// in the environment (three tries at the terminal).
pub fn open(dir: &Path, lang: Lang) -> Result<Store, crate::store::StoreError> {
    let env = std::env::var("LANGNGHE_PASSPHRASE").ok();
    if env.is_some() || !crate::store::datakey::is_protected(dir) {
        return Store::open_with(dir, env.as_deref());
    }
    let prompt = lang.pick("Mật khẩu của thư mục dữ liệu: ", "Data folder passphrase: ");
    let mut last = None;
    for _ in 0..3 {
        let Some(p) = ask(prompt) else { break };
        match Store::open_with(dir, Some(&p)) {
            Err(e @ crate::store::StoreError::WrongPassphrase(_)) => {
                eprintln!("{}", lang.pick("Sai mật khẩu.", "Wrong passphrase."));
                last = Some(e);
            }
            r => return r,
        }
    }
    Err(last.unwrap_or_else(|| crate::store::StoreError::NeedPassphrase(dir.to_path_buf())))
}

/// `passphrase`: protects the folder (or changes its passphrase); `--remove` makes it a
/// training folder. The new passphrase: `LANGNGHE_NEW_PASSPHRASE`, else typed twice.
pub fn set(store: &Store, remove: bool, lang: Lang) -> CliResult {
    if remove {
        store.set_passphrase(None)?;
        println!(
            "{}",
            lang.pick(
                "Đã bỏ mật khẩu: thư mục này chỉ dùng để tập huấn, dữ liệu không được bảo vệ.",
                "Passphrase removed: a training folder, its data is not protected."
            )
        );
        return Ok(());
    }
    let new = match std::env::var("LANGNGHE_NEW_PASSPHRASE") {
        Ok(p) => p,
        Err(_) => {
            let a = ask(lang.pick("Mật khẩu mới: ", "New passphrase: "))
                .ok_or("no passphrase typed")?;
            let b = ask(lang.pick("Nhập lại: ", "Again: ")).ok_or("no passphrase typed")?;
            if a != b {
                return Err(lang
                    .pick("Hai lần nhập không giống nhau.", "The two do not match.")
                    .into());
            }
            a
        }
    };
    if new.chars().count() < 8 {
        return Err(lang
            .pick(
                "Mật khẩu cần ít nhất 8 ký tự.",
                "A passphrase needs at least 8 characters.",
            )
            .into());
    }
    store.set_passphrase(Some(&new))?;
    println!(
        "{}",
        lang.pick(
            "Đã đặt mật khẩu. Hãy ghi nhớ: không có nó thì không đọc được dữ liệu (máy chủ có thể khôi phục sau khi đăng ký).",
            "Passphrase set. Remember it: without it the data cannot be read (the hub can recover it once enrolled)."
        )
    );
    Ok(())
}

/// Opens the store with a data key recovered by the hub (hex), for a forgotten passphrase.
pub fn open_with_key(dir: &Path, hex: &str) -> Result<Store, super::error::CliError> {
    let key: [u8; 32] = crate::protocol::keys::unhex(hex.trim())
        .and_then(|b| b.try_into().ok())
        .ok_or("a data key is 64 hex digits (from `hub recover-device-key`)")?;
    Ok(Store::open_with_key(dir, key)?)
}
