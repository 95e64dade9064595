//! The choices sheet: lists, their labels and extra columns for `choice_filter`.

use super::*;

impl Builder<'_> {
    pub(super) fn choice_list(&mut self, name: &str, rows: &Spanned<Vec<Spanned<Row>>>) {
        let at = rows.span().start;
        // pyxform takes `:` in list names (`yes:no`), though not in question names.
        if !valid_name(&name.replace(':', "_")) {
            self.err(at, format!("choice list name `{name}` must start with a letter and hold only letters, digits, `_`, `-` or `.`"));
        }
        if rows.get_ref().is_empty() {
            self.err(at, format!("choice list `{name}` has no choices"));
        }
        let mut list = ChoiceList {
            name: name.to_string(),
            choices: Vec::new(),
            columns: Vec::new(),
        };
        let mut extras: Vec<Vec<(String, String)>> = Vec::new();
        // Names seen so far: a set, so a list of 100,000 choices is not checked pairwise.
        let mut seen: std::collections::HashSet<String> = Default::default();
        let mut spaced: Option<String> = None;
        for row in rows.get_ref() {
            let r = row.get_ref();
            let rat = row.span().start;
            let cname = match r.get("name").map(|v| (v.get_ref(), v.span().start)) {
                Some((Toml::String(s), _)) => s.clone(),
                Some((Toml::Integer(n), _)) => n.to_string(),
                Some((_, off)) => {
                    self.err(off, "choice `name` must be text or a whole number");
                    continue;
                }
                None => {
                    self.err(rat, format!("a choice in list `{name}` has no `name`"));
                    continue;
                }
            };
            if cname.trim().is_empty() {
                let off = r.get("name").map_or(rat, |v| v.span().start);
                self.err(off, format!("choice name `{cname}` must not be empty"));
            } else if cname.chars().any(char::is_whitespace) {
                // Fine for select_one (pyxform allows it); a select_multiple answer is
                // space-separated, so the survey refuses such a list there.
                spaced.get_or_insert_with(|| cname.clone());
            }
            if !seen.insert(cname.clone()) && !self.allow_choice_duplicates {
                let off = r.get("name").map_or(rat, |v| v.span().start);
                self.err(off, format!("duplicate choice `{cname}` in list `{name}`"));
            }
            let label = match r.get("label") {
                Some(v) => self.text(v, "label").unwrap_or_default(),
                None => {
                    self.err(
                        rat,
                        format!("choice `{cname}` in list `{name}` has no label"),
                    );
                    Text::default()
                }
            };
            let extra = self.choice_columns(r, &mut list.columns);
            extras.push(extra);
            list.choices.push(Choice {
                name: cname,
                label,
                extra: Vec::new(),
            });
        }
        fill_extras(&mut list, extras);
        if let Some(c) = spaced {
            self.spaced_lists.insert(ListId::new(self.lists.len()), c);
        }
        self.list_ids
            .insert(name.to_string(), ListId::new(self.lists.len()));
        self.lists.push(list);
    }

    /// A choice's extra columns (for `choice_filter`), as text; new column names are added to
    /// the list's `columns`.
    fn choice_columns(&mut self, r: &Row, columns: &mut Vec<String>) -> Vec<(String, String)> {
        let mut extra = Vec::new();
        for (k, v) in r {
            if k == "name" || k == "label" {
                continue;
            }
            let val = match v.get_ref() {
                Toml::String(s) => s.clone(),
                Toml::Integer(n) => n.to_string(),
                Toml::Float(f) => f.to_string(),
                Toml::Boolean(b) => b.to_string(),
                _ => {
                    self.err(
                        v.span().start,
                        format!("choice column `{k}` must be text or a number"),
                    );
                    continue;
                }
            };
            if !columns.contains(k) {
                columns.push(k.clone());
            }
            extra.push((k.clone(), val));
        }
        extra
    }
}

/// Each choice's extra columns in the list's column order, blank where it has none.
fn fill_extras(list: &mut ChoiceList, extras: Vec<Vec<(String, String)>>) {
    for (c, extra) in list.choices.iter_mut().zip(extras) {
        c.extra = list
            .columns
            .iter()
            .map(|col| {
                extra
                    .iter()
                    .find(|(k, _)| k == col)
                    .map_or(String::new(), |(_, v)| v.clone())
            })
            .collect();
    }
}
