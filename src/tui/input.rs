//! The answer being entered on the current screen, per question type.

use super::editor::Editor;
use crate::form::Kind;
use crate::interview::{Interview, Item};

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Notes and the review screen: nothing to enter.
    None,
    Text {
        ed: Editor,
        numeric: bool,
        multiline: bool,
    },
    /// `moved`: the surveyor moved the highlight, so Enter may pick it (never on its own:
    /// a consent question must not default to yes).
    Choice {
        names: Vec<String>,
        cursor: usize,
        picked: Vec<bool>,
        multi: bool,
        moved: bool,
    },
    /// `set`: the order shown is an answer (it was saved, reordered, or confirmed with
    /// Enter); a fresh or cleared rank is no answer.
    Rank {
        order: Vec<String>,
        cursor: usize,
        set: bool,
    },
    Range {
        values: Vec<f64>,
        idx: Option<usize>,
    },
    Ack(bool),
    AddRepeat(bool),
}

impl Input {
    /// The input for the item under the cursor, showing its stored answer (or the text
    /// held for it, when the surveyor left it unaccepted).
    pub fn load(iv: &Interview) -> Input {
        let Some(item) = iv.current() else {
            return Input::None;
        };
        let (node, path) = match item {
            Item::AddRepeat { .. } => return Input::AddRepeat(false),
            Item::Question { node, path } => (*node, path.as_slice()),
        };
        let n = iv.form().node(node);
        let stored = match iv.held(node, path) {
            Some(held) => held.to_string(),
            None => iv.value(node, path).to_str().into_owned(),
        };
        let names: Vec<String> = iv
            .choices(node, path)
            .iter()
            .map(|c| c.name.clone())
            .collect();
        match &n.kind {
            Kind::Text | Kind::Date | Kind::Time | Kind::DateTime => {
                // Dates show the way people here write them.
                let shown = match (&n.kind, crate::form::answer::parse_date(&stored)) {
                    (Kind::Date, Some(d)) => d.format("%d/%m/%Y").to_string(),
                    _ => stored,
                };
                let multiline = n
                    .appearance
                    .as_deref()
                    .is_some_and(|a| a.contains("multiline"));
                Input::Text {
                    ed: Editor::new(&shown),
                    numeric: false,
                    multiline,
                }
            }
            Kind::Integer | Kind::Decimal => Input::Text {
                ed: Editor::new(&stored),
                numeric: true,
                multiline: false,
            },
            Kind::SelectOne(_) | Kind::SelectMultiple(_) => {
                let picked: Vec<bool> = names
                    .iter()
                    .map(|c| stored.split_ascii_whitespace().any(|s| s == c))
                    .collect();
                let cursor = picked.iter().position(|p| *p).unwrap_or(0);
                Input::Choice {
                    multi: matches!(n.kind, Kind::SelectMultiple(_)),
                    names,
                    cursor,
                    picked,
                    moved: false,
                }
            }
            Kind::Rank(_) => {
                let mut order: Vec<String> =
                    stored.split_ascii_whitespace().map(String::from).collect();
                let set = order.len() == names.len();
                if !set {
                    order = names;
                }
                Input::Rank {
                    order,
                    cursor: 0,
                    set,
                }
            }
            Kind::Range(spec) => {
                let values = spec.values();
                let idx = stored
                    .parse::<f64>()
                    .ok()
                    .and_then(|v| values.iter().position(|x| (x - v).abs() < 1e-9));
                Input::Range { values, idx }
            }
            Kind::Acknowledge => Input::Ack(!stored.is_empty()),
            _ => Input::None,
        }
    }

    /// What to hand to the engine as the answer.
    pub fn raw(&self) -> Option<String> {
        match self {
            Input::None | Input::AddRepeat(_) => None,
            Input::Text { ed, .. } => Some(ed.text().to_string()),
            Input::Choice { names, picked, .. } => Some(
                names
                    .iter()
                    .zip(picked)
                    .filter(|(_, p)| **p)
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Input::Rank { order, set, .. } => {
                Some(if *set { order.join(" ") } else { String::new() })
            }
            Input::Range { values, idx } => Some(idx.map_or(String::new(), |i| {
                crate::expr::value::num_to_string(values[i])
            })),
            Input::Ack(on) => Some(if *on { "OK".into() } else { String::new() }),
        }
    }

    pub fn up(&mut self) {
        match self {
            Input::Choice { cursor, moved, .. } => {
                *cursor = cursor.saturating_sub(1);
                *moved = true;
            }
            Input::Rank { cursor, .. } => *cursor = cursor.saturating_sub(1),
            Input::AddRepeat(yes) => *yes = true,
            _ => {}
        }
    }

    pub fn down(&mut self) {
        match self {
            Input::Choice {
                cursor,
                names,
                moved,
                ..
            } => {
                *cursor = (*cursor + 1).min(names.len().saturating_sub(1));
                *moved = true;
            }
            Input::Rank { cursor, order, .. } => {
                *cursor = (*cursor + 1).min(order.len().saturating_sub(1))
            }
            Input::AddRepeat(yes) => *yes = false,
            _ => {}
        }
    }

    pub fn left(&mut self) {
        match self {
            Input::Range { idx, .. } => *idx = Some(idx.map_or(0, |i| i.saturating_sub(1))),
            Input::Text { ed, .. } => ed.left(),
            _ => {}
        }
    }

    pub fn right(&mut self) {
        match self {
            // From nothing chosen, either arrow starts at the first value.
            Input::Range { idx, values } => {
                *idx = Some(idx.map_or(0, |i| (i + 1).min(values.len() - 1)))
            }
            Input::Text { ed, .. } => ed.right(),
            _ => {}
        }
    }

    /// Space: pick the choice under the cursor (one: only it; several: flip it), or acknowledge.
    pub(crate) fn toggle(&mut self) {
        match self {
            Input::Choice {
                cursor,
                picked,
                multi,
                ..
            } if !picked.is_empty() => {
                if *multi {
                    picked[*cursor] = !picked[*cursor];
                } else {
                    picked.iter_mut().for_each(|p| *p = false);
                    picked[*cursor] = true;
                }
            }
            Input::Ack(on) => *on = !*on,
            Input::AddRepeat(yes) => *yes = !*yes,
            _ => {}
        }
    }

    /// Del/Backspace on a choice, scale, rank or acknowledgement: nothing chosen (ODK's
    /// "clear answer"); saved as blank like any answer. Text fields edit instead.
    pub(crate) fn clear(&mut self) {
        match self {
            Input::Choice { picked, .. } => picked.iter_mut().for_each(|p| *p = false),
            Input::Range { idx, .. } => *idx = None,
            Input::Rank { set, .. } => *set = false,
            Input::Ack(on) => *on = false,
            _ => {}
        }
    }

    /// Enter on a select_one picks the highlighted choice when nothing is picked yet and the
    /// surveyor moved the highlight there; `consent` questions need an explicit pick. Enter
    /// on a rank accepts the order shown.
    pub(crate) fn pick_default(&mut self, consent: bool) {
        if let Input::Rank { set, .. } = self {
            *set = true;
        }
        if let Input::Choice {
            cursor,
            picked,
            multi: false,
            moved: true,
            ..
        } = self
            && !consent
            && !picked.iter().any(|p| *p)
            && let Some(p) = picked.get_mut(*cursor)
        {
            *p = true;
        }
    }

    /// A typed character: text goes in the field; a digit picks choice N; +/− move a ranked
    /// item; y/n answer "add another?". Returns whether it was used.
    pub fn typed(&mut self, c: char) -> bool {
        match self {
            Input::Text { ed, numeric, .. } => {
                if *numeric && !(c.is_ascii_digit() || matches!(c, '-' | '.' | ',')) {
                    return false;
                }
                ed.insert(c);
                true
            }
            Input::Choice { names, cursor, .. } => match c.to_digit(10) {
                Some(d) if d >= 1 && (d as usize) <= names.len() => {
                    *cursor = d as usize - 1;
                    self.toggle();
                    true
                }
                _ => false,
            },
            Input::Rank { order, cursor, set } => match c {
                '+' if *cursor > 0 => {
                    order.swap(*cursor, *cursor - 1);
                    *cursor -= 1;
                    *set = true;
                    true
                }
                '-' if *cursor + 1 < order.len() => {
                    order.swap(*cursor, *cursor + 1);
                    *cursor += 1;
                    *set = true;
                    true
                }
                _ => false,
            },
            Input::AddRepeat(yes) => match c {
                'y' | 'Y' | 'c' | 'C' => {
                    *yes = true;
                    true
                }
                'n' | 'N' | 'k' | 'K' => {
                    *yes = false;
                    true
                }
                _ => false,
            },
            Input::Range { values, idx } => match c.to_digit(10) {
                Some(d) => match values.iter().position(|v| *v == f64::from(d)) {
                    Some(i) => {
                        *idx = Some(i);
                        true
                    }
                    None => false,
                },
                None => false,
            },
            _ => false,
        }
    }

    pub(crate) fn is_text(&self) -> bool {
        matches!(self, Input::Text { .. })
    }
}
