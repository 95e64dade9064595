//! Lắng Nghe: offline field surveys of children's participation.
//!
//! The core (`expr`, `form`, `interview`) is pure: no terminal, no disk, no clock.

pub mod catalog;
pub mod cli;
pub mod codec;
pub mod export;
pub mod expr;
pub mod form;
#[cfg(feature = "hub")]
pub mod hub;
pub mod indicators;
pub mod interview;
pub mod lang;
pub mod protocol;
pub mod record;
pub mod session;
pub mod simulate;
pub mod store;
pub mod sync;
pub mod tui;
pub mod xlsform;
