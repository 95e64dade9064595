//! Our forms written back out as XLSForm workbooks (survey, choices and settings sheets)
//! that pyxform, ODK and Kobo read, and that `import-xlsform` reads back to the same form.
//!
//! Written from the form's TOML rows, which already use XLSForm's vocabulary: each field
//! is a column, each language of a text a `label::Tiếng Việt (vi)`-style column, and
//! booleans `yes`/`no`. Our own columns (`consent`, `sensitive`, `referral`, the settings
//! `not_eligible`) go out as they are; pyxform leaves columns it does not know alone.

use crate::form::raw::{self, Row};
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use toml::Value as Toml;

/// A language code as an XLSForm column suffix: `Tiếng Việt (vi)`. pyxform and our import
/// both read the code from the parentheses.
pub fn language_header(code: &str) -> String {
    let name = match code {
        "vi" => "Tiếng Việt",
        "en" => "English",
        "fr" => "Français",
        "km" => "ខ្មែរ",
        "lo" => "ລາວ",
        "th" => "ไทย",
        "zh" => "中文",
        _ => return code.to_string(),
    };
    format!("{name} ({code})")
}

/// One sheet being laid out: its column names, and rows of (column, text) cells.
#[derive(Default)]
struct Grid {
    columns: Vec<String>,
    rows: Vec<Vec<(usize, String)>>,
}

impl Grid {
    fn col(&mut self, name: &str) -> usize {
        match self.columns.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                self.columns.push(name.to_string());
                self.columns.len() - 1
            }
        }
    }

    /// One TOML row: each field a column (texts one per language).
    fn row(&mut self, row: &Row, langs: &Langs) {
        let mut cells = Vec::new();
        for (field, v) in row {
            // The settings' `title` is a text too.
            let text = field == "title" || super::convert::TEXT_FIELDS.contains(&field.as_str());
            match (v.get_ref(), text) {
                (Toml::Table(t), true) => {
                    let mut keys: Vec<&String> = t.keys().collect();
                    keys.sort_by_key(|k| langs.order.iter().position(|l| l == *k));
                    for lang in keys {
                        let c = self.col(&langs.column(field, lang));
                        cells.push((c, scalar(&t[lang])));
                    }
                }
                (Toml::String(s), true) => {
                    let c = self.col(&langs.column(field, &langs.default));
                    cells.push((c, s.clone()));
                }
                (Toml::Table(t), false) => {
                    // `parameters = { start = 1, end = 5 }` → `start=1 end=5`.
                    let c = self.col(field);
                    let kv: Vec<String> = t
                        .iter()
                        .map(|(k, v)| format!("{k}={}", scalar(v)))
                        .collect();
                    cells.push((c, kv.join(" ")));
                }
                (other, _) => {
                    let c = self.col(field);
                    cells.push((c, scalar(other)));
                }
            }
        }
        self.rows.push(cells);
    }

    fn sorted(mut self, order: &[&str]) -> Grid {
        let rank = |c: &str| {
            let base = c.split("::").next().unwrap_or(c);
            order.iter().position(|o| *o == base).unwrap_or(order.len())
        };
        let mut idx: Vec<usize> = (0..self.columns.len()).collect();
        idx.sort_by_key(|&i| rank(&self.columns[i]));
        let new_of: Vec<usize> = {
            let mut v = vec![0; idx.len()];
            for (new, &old) in idx.iter().enumerate() {
                v[old] = new;
            }
            v
        };
        self.columns = idx.iter().map(|&i| self.columns[i].clone()).collect();
        for r in &mut self.rows {
            for (c, _) in r.iter_mut() {
                *c = new_of[*c];
            }
        }
        self
    }

    fn write(&self, ws: &mut Worksheet, bold: &Format) -> Result<(), String> {
        let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
        for (c, name) in self.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, name, bold)
                .map_err(e)?;
        }
        for (r, cells) in self.rows.iter().enumerate() {
            for (c, text) in cells {
                if !text.is_empty() {
                    ws.write_string(r as u32 + 1, *c as u16, text).map_err(e)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(e)?;
        Ok(())
    }
}

struct Langs {
    default: String,
    /// The form's languages, the default first: the order of text columns.
    order: Vec<String>,
    /// One language only, and no code given: plain `label` columns.
    plain: bool,
}

impl Langs {
    fn column(&self, field: &str, lang: &str) -> String {
        if self.plain {
            field.to_string()
        } else {
            format!("{field}::{}", language_header(lang))
        }
    }
}

/// A TOML value as cell text: booleans as XLSForm's `yes`/`no`.
fn scalar(v: &Toml) -> String {
    match v {
        Toml::String(s) => s.clone(),
        Toml::Boolean(true) => "yes".into(),
        Toml::Boolean(false) => "no".into(),
        Toml::Integer(i) => i.to_string(),
        Toml::Float(f) => f.to_string(),
        other => other.to_string(),
    }
}

/// The workbook for a form's TOML text.
pub fn workbook(src: &str) -> Result<Vec<u8>, String> {
    let form = raw::parse(src).map_err(|e| e.message().to_string())?;
    let settings = form.settings.get_ref();
    let get = |k: &str| settings.get(k).map(|v| v.get_ref().clone());
    let languages: Vec<String> = match get("languages") {
        Some(Toml::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let default = get("default_language")
        .and_then(|v| v.as_str().map(str::to_string))
        .or_else(|| languages.first().cloned())
        .unwrap_or_else(|| "vi".into());
    let mut order = languages.clone();
    order.retain(|l| *l != default);
    order.insert(0, default.clone());
    let langs = Langs {
        plain: languages.len() <= 1 && default == "default",
        default,
        order,
    };
    let mut survey = Grid::default();
    for r in &form.survey {
        survey.row(r.get_ref(), &langs);
    }
    let mut choices = Grid::default();
    for (list, rows) in &form.choices {
        for r in rows.get_ref() {
            let mut row = r.get_ref().clone();
            row.insert(
                "list_name".into(),
                toml::Spanned::new(0..0, Toml::String(list.clone())),
            );
            choices.row(&row, &langs);
        }
    }
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    survey.sorted(crate::form::build::ROW_FIELDS).write(
        wb.add_worksheet()
            .set_name("survey")
            .map_err(|e| e.to_string())?,
        &bold,
    )?;
    choices.sorted(&["list_name", "name", "label"]).write(
        wb.add_worksheet()
            .set_name("choices")
            .map_err(|e| e.to_string())?,
        &bold,
    )?;
    settings_grid(settings, &langs).write(
        wb.add_worksheet()
            .set_name("settings")
            .map_err(|e| e.to_string())?,
        &bold,
    )?;
    wb.save_to_buffer().map_err(|e| e.to_string())
}

/// The settings sheet: XLSForm's names (`form_id`, `form_title`…), and ours as they are.
fn settings_grid(settings: &Row, langs: &Langs) -> Grid {
    let mut g = Grid::default();
    let mut cells = Vec::new();
    for (k, v) in settings {
        let (col, text) = match (k.as_str(), v.get_ref()) {
            ("id", v) => ("form_id".to_string(), scalar(v)),
            ("title", Toml::Table(t)) => (
                "form_title".to_string(),
                t.get(&langs.default)
                    .or_else(|| t.values().next())
                    .map_or(String::new(), scalar),
            ),
            ("title", v) => ("form_title".to_string(), scalar(v)),
            ("default_language", v) if !langs.plain => {
                ("default_language".to_string(), language_header(&scalar(v)))
            }
            ("default_language" | "languages", _) => continue,
            (k, v) => (k.to_string(), scalar(v)),
        };
        let c = g.col(&col);
        cells.push((c, text));
    }
    g.rows.push(cells);
    g.sorted(&[
        "form_title",
        "form_id",
        "version",
        "default_language",
        "instance_name",
    ])
}
