//! Colours and emphasis. With `NO_COLOR` set, only bold/reverse/underline remain; every
//! state also has a text marker, so nothing relies on colour alone.

use ratatui::style::{Color, Modifier, Style};
use std::sync::OnceLock;

fn color_on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
}

fn fg(c: Color) -> Style {
    if color_on() {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}
pub(crate) fn dim() -> Style {
    if color_on() {
        Style::default().fg(Color::DarkGray)
    } else {
        Style::default()
    }
}
pub fn hint() -> Style {
    dim().add_modifier(Modifier::ITALIC)
}
/// Instructions for the surveyor: set apart from what is read aloud.
pub fn guidance() -> Style {
    fg(Color::Cyan).add_modifier(Modifier::ITALIC)
}
pub fn error() -> Style {
    fg(Color::Red).add_modifier(Modifier::BOLD)
}
pub fn good() -> Style {
    fg(Color::Green)
}
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}
pub fn key() -> Style {
    fg(Color::Cyan).add_modifier(Modifier::BOLD)
}
pub(crate) fn bar() -> Style {
    if color_on() {
        Style::default().bg(Color::Blue).fg(Color::White)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}
