//! First-run setup and the settings screen.

use super::*;
use crate::tui::keymap::Action;

impl App {
    pub(super) fn setup_typed(&mut self, c: char) {
        let Screen::Setup(s) = &mut self.screen else {
            return;
        };
        match s.focus {
            0 => s.surveyor.insert(c),
            1 => s.device.insert(c),
            3 => s.passphrase.insert(c),
            _ if c == ' ' => s.lang = s.lang.other(),
            _ => {}
        }
    }

    pub(super) fn on_setup(&mut self, action: Action) {
        let Screen::Setup(s) = &mut self.screen else {
            return;
        };
        let fields = if s.ask_passphrase { 4 } else { 3 };
        let ed = match s.focus {
            0 => Some(&mut s.surveyor),
            1 => Some(&mut s.device),
            3 => Some(&mut s.passphrase),
            _ => None,
        };
        match action {
            Action::SwitchFocus => s.focus = (s.focus + 1) % fields,
            Action::Left | Action::Right if s.focus == 2 => {
                s.lang = s.lang.other();
                self.lang = s.lang;
            }
            Action::Backspace => {
                if let Some(ed) = ed {
                    ed.backspace();
                }
            }
            Action::Escape if !s.first_run => self.screen = Screen::Home,
            Action::Accept => {
                let surveyor = s.surveyor.text().trim().to_string();
                if surveyor.is_empty() {
                    let msg = s.lang.words().need_surveyor;
                    s.focus = 0;
                    self.status = Some(Status {
                        text: msg.into(),
                        error: true,
                    });
                    return;
                }
                let pass = s.passphrase.text().to_string();
                if !pass.is_empty() && pass.chars().count() < 8 {
                    let msg = s.lang.words().passphrase_short;
                    s.focus = 3;
                    self.status = Some(Status {
                        text: msg.into(),
                        error: true,
                    });
                    return;
                }
                if !pass.is_empty() {
                    self.effects.push(Effect::SetPassphrase(pass));
                }
                self.lang = s.lang;
                self.settings = Settings {
                    surveyor,
                    device_label: s.device.text().trim().to_string(),
                    language: s.lang.code().into(),
                };
                let news = self.w().settings_saved;
                self.effects.push(Effect::SaveSettings { news: Some(news) });
            }
            _ => {}
        }
    }

    pub(crate) fn open_settings(&mut self) {
        self.screen = Screen::Setup(Setup {
            surveyor: Editor::new(&self.settings.surveyor),
            device: Editor::new(&self.settings.device_label),
            lang: self.lang,
            passphrase: Editor::new(""),
            ask_passphrase: false,
            focus: 0,
            first_run: false,
        });
    }
}
