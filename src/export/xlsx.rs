//! An Excel workbook for people (supervisors, not scripts): one `FORM.xlsx` per form, a
//! sheet per table (main, then each repeat), the column names over a row of labels in the
//! chosen language, choices shown by their labels, dates and numbers as real Excel cells,
//! the header frozen and filterable. Written in rust_xlsxwriter's constant-memory mode, so
//! 100,000 interviews stream through temporary files rather than memory.

use crate::export::csv::{Exporter, Submission};
use crate::export::sink::Source;
use crate::expr::NodeId;
use crate::form::{Form, Kind};
use crate::record::Finalized;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Excel's last row (1,048,576 rows, counted from 0).
const MAX_ROW: u32 = 1_048_575;

/// Writes one workbook per form into `req.out`.
pub fn export(
    forms: &[Arc<Form>],
    forms_dir: &Path,
    req: &super::Request,
    source: &mut Source<'_>,
) -> Result<(Vec<String>, Vec<String>), String> {
    let opts = req.csv_options().table;
    let mut books: HashMap<String, Option<Book<'_>>> = HashMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut error: Option<String> = None;
    let damaged = source(&mut |f: &Finalized, sub: &Submission| {
        if error.is_some() {
            return;
        }
        if !books.contains_key(&f.form.id) {
            let book = super::sink::newest(forms, &f.form.id)
                .map(|form| Book::new(form, Exporter::new(form, opts, None), req));
            match book.transpose() {
                Ok(b) => {
                    books.insert(f.form.id.clone(), b);
                }
                Err(e) => {
                    error = Some(e);
                    return;
                }
            }
        }
        match books.get_mut(&f.form.id) {
            Some(Some(b)) => {
                if let Err(e) = b.add(f, sub) {
                    error = Some(e);
                }
            }
            _ => *skipped.entry(f.form.id.clone()).or_default() += 1,
        }
    })?;
    if let Some(e) = error {
        return Err(e);
    }
    let mut lines = Vec::new();
    let mut done: Vec<_> = books.into_values().flatten().collect();
    done.sort_by(|a, b| a.path.cmp(&b.path));
    for b in done {
        lines.push(b.save()?);
    }
    let lines = super::sink::left_out(lines, &skipped, forms_dir)?;
    Ok((lines, damaged))
}

struct Formats {
    name: Format,
    label: Format,
    date: Format,
    time: Format,
    datetime: Format,
}

/// One form's workbook being written: its sheets' next rows.
struct Book<'a> {
    path: PathBuf,
    book: Workbook,
    exporter: Exporter<'a>,
    lang: String,
    /// Per sheet, what each column holds (worked out once, not per interview).
    roles: Vec<Vec<Role>>,
    next: Vec<u32>,
    formats: Formats,
}

impl<'a> Book<'a> {
    fn new(
        form: &'a Form,
        exporter: Exporter<'a>,
        req: &super::Request,
    ) -> Result<Book<'a>, String> {
        let lang = match &req.label_lang {
            Some(l) if form.languages.contains(l) => l.clone(),
            Some(l) => {
                return Err(format!(
                    "form `{}` has no language `{l}`; it has {}",
                    form.id,
                    form.languages.join(", ")
                ));
            }
            None => form.default_language.clone(),
        };
        let path = req.out.join(format!("{}.xlsx", form.id));
        let mut book = Workbook::new();
        let formats = Formats {
            name: Format::new().set_bold(),
            label: Format::new().set_italic().set_text_wrap(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            time: Format::new().set_num_format("hh:mm"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        };
        let mut used: Vec<String> = Vec::new();
        let mut roles = Vec::new();
        let heads: Vec<(String, Vec<String>)> = exporter
            .headers()
            .map(|(f, h)| (f.to_string(), h.to_vec()))
            .collect();
        for (t, (file, header)) in heads.iter().enumerate() {
            let sheet = sheet_name(file, &form.id, &mut used);
            let ws = book.add_worksheet_with_constant_memory();
            ws.set_name(sheet).map_err(xl)?;
            let fields = exporter.roles(t);
            roles.push(
                fields
                    .iter()
                    .zip(header)
                    .map(|(f, h)| role(*f, h))
                    .collect(),
            );
            let labels = labels(form, &fields, header, &lang);
            // Row by row: constant-memory mode writes a row out when the next one starts.
            for (c, name) in header.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, name, &formats.name)
                    .map_err(xl)?;
                ws.set_column_width(c as u16, 16).map_err(xl)?;
            }
            for (c, label) in labels.iter().enumerate() {
                ws.write_string_with_format(1, c as u16, label, &formats.label)
                    .map_err(xl)?;
            }
            ws.set_freeze_panes(2, 0).map_err(xl)?;
        }
        let next = vec![2; heads.len()];
        Ok(Book {
            path,
            book,
            exporter,
            lang,
            roles,
            next,
            formats,
        })
    }

    fn add(&mut self, f: &Finalized, sub: &Submission) -> Result<(), String> {
        let tables = self.exporter.rows(f, sub);
        for (t, rows) in tables.into_iter().enumerate() {
            let roles = &self.roles[t];
            let form = self.exporter.form();
            for r in rows {
                let row = self.next[t];
                if row > MAX_ROW {
                    return Err(format!(
                        "{}: over Excel's 1,048,576 rows in one sheet; export CSV instead",
                        self.path.display()
                    ));
                }
                let ws = self.book.worksheet_from_index(t).map_err(xl)?;
                let cell = Cell {
                    form,
                    lang: &self.lang,
                    formats: &self.formats,
                };
                for (c, (v, role)) in r.iter().zip(roles).enumerate() {
                    cell.write(ws, (row, c as u16), *role, v).map_err(xl)?;
                }
                self.next[t] = row + 1;
            }
        }
        Ok(())
    }

    fn save(mut self) -> Result<String, String> {
        let counts: Vec<String> = self.next.iter().map(|n| (n - 2).to_string()).collect();
        for (t, last) in self.next.iter().enumerate() {
            let width = self.roles[t].len() as u16;
            let ws = self.book.worksheet_from_index(t).map_err(xl)?;
            ws.autofilter(1, 0, (*last).max(2) - 1, width.saturating_sub(1))
                .map_err(xl)?;
        }
        let f = crate::store::paths::replace_private(&self.path)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        self.book
            .save_to_writer(&mut w)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        let file = w
            .into_inner()
            .map_err(|e| format!("cannot write {}: {}", self.path.display(), e.error()))?;
        file.sync_all()
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        Ok(format!(
            "{} ({} rows)",
            self.path.display(),
            counts.join(" + ")
        ))
    }
}

fn xl(e: XlsxError) -> String {
    format!("cannot write the workbook: {e}")
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(file: &str, form_id: &str, used: &mut Vec<String>) -> String {
    let stem = file.trim_end_matches(".csv");
    let base = match stem.strip_prefix(form_id) {
        Some("") => stem,
        Some(rest) => rest.trim_start_matches('-'),
        None => stem,
    };
    let clean: String = base
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut k = 1;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        k += 1;
        name = format!("{clean}~{k}");
    }
    used.push(name.clone());
    name
}

/// The second header row: each field's label in `lang`, a split column's choice label,
/// our words for the metadata columns.
fn labels(
    form: &Form,
    roles: &[Option<(NodeId, Option<&str>)>],
    header: &[String],
    lang: &str,
) -> Vec<String> {
    let vi = lang.starts_with("vi");
    roles
        .iter()
        .zip(header)
        .map(|(role, name)| match role {
            Some((node, choice)) => {
                let n = form.node(*node);
                let label = n.label.as_ref().map(|t| t.get(lang).to_string());
                let label = label.unwrap_or_else(|| n.name.clone());
                match choice {
                    Some(v) => format!("{label}: {}", choice_label(form, *node, v, lang)),
                    None => label,
                }
            }
            None => meta_label(name, vi).to_string(),
        })
        .collect()
}

fn meta_label(name: &str, vi: bool) -> &str {
    let (v, e) = match name {
        "SubmissionDate" => ("Ngày gửi về", "Submitted"),
        "meta-instanceID" | "KEY" => ("Mã phỏng vấn", "Interview id"),
        "meta-instanceName" => ("Tên phỏng vấn", "Interview name"),
        "meta-start" => ("Bắt đầu", "Started"),
        "meta-end" => ("Kết thúc", "Finished"),
        "meta-duration" => ("Thời gian (giây)", "Duration (s)"),
        "meta-referral" => ("Chuyển tuyến", "Referral"),
        "meta-training" => ("Luyện tập", "Practice"),
        "SubmitterID" => ("Mã thiết bị gửi", "Submitting device"),
        "SubmitterName" => ("Điều tra viên", "Surveyor"),
        "AttachmentsPresent" => ("Tệp đính kèm có", "Attachments present"),
        "AttachmentsExpected" => ("Tệp đính kèm cần", "Attachments expected"),
        "Status" => ("Trạng thái", "Status"),
        "ReviewState" => ("Kiểm duyệt", "Review state"),
        "DeviceID" => ("Thiết bị", "Device"),
        "Edits" => ("Số lần sửa", "Edits"),
        "FormVersion" => ("Phiên bản phiếu", "Form version"),
        "PARENT_KEY" => ("Thuộc phỏng vấn", "Parent key"),
        _ => (name, name),
    };
    if vi { v } else { e }
}

fn choice_label(form: &Form, node: NodeId, value: &str, lang: &str) -> String {
    form.list_of(node)
        .and_then(|l| l.find(value))
        .map_or(value.to_string(), |c| c.label.get(lang).to_string())
}

/// Metadata columns that hold counts (the rest, versions and ids included, stay text).
const NUMERIC_META: [&str; 6] = [
    "meta-duration",
    "meta-referral",
    "meta-training",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Edits",
];

/// What a column holds: a field's answers, a number (a split select_multiple's 0/1 or a
/// metadata count), or other metadata.
#[derive(Clone, Copy)]
enum Role {
    Field(NodeId),
    Number,
    Text,
}

fn role(field: Option<(NodeId, Option<&str>)>, name: &str) -> Role {
    match field {
        Some((node, None)) => Role::Field(node),
        Some((_, Some(_))) => Role::Number,
        None if NUMERIC_META.contains(&name) => Role::Number,
        None => Role::Text,
    }
}

/// How one value is written: by what its column holds.
struct Cell<'a> {
    form: &'a Form,
    lang: &'a str,
    formats: &'a Formats,
}

impl Cell<'_> {
    fn write(
        &self,
        ws: &mut rust_xlsxwriter::Worksheet,
        (row, col): (u32, u16),
        role: Role,
        v: &str,
    ) -> Result<(), XlsxError> {
        if v.is_empty() {
            return Ok(());
        }
        match (role, v.parse::<f64>().ok().filter(|n| n.is_finite())) {
            (Role::Number, Some(n)) => {
                ws.write_number(row, col, n)?;
            }
            (Role::Field(node), _) => return self.field(ws, row, col, node, v),
            _ => return self.text_or_time(ws, row, col, v),
        }
        Ok(())
    }

    fn field(
        &self,
        ws: &mut rust_xlsxwriter::Worksheet,
        row: u32,
        col: u16,
        node: NodeId,
        v: &str,
    ) -> Result<(), XlsxError> {
        let f = self.form;
        match &f.node(node).kind {
            Kind::Integer | Kind::Decimal | Kind::Range(_) | Kind::Calculate(_)
                if v.parse::<f64>().is_ok_and(f64::is_finite) =>
            {
                ws.write_number(row, col, v.parse::<f64>().unwrap_or_default())?;
            }
            Kind::SelectOne(_) => {
                ws.write_string(row, col, choice_label(f, node, v, self.lang))?;
            }
            Kind::SelectMultiple(_) | Kind::Rank(_) => {
                let picked: Vec<String> = v
                    .split_ascii_whitespace()
                    .map(|c| choice_label(f, node, c, self.lang))
                    .collect();
                ws.write_string(row, col, picked.join("; "))?;
            }
            Kind::Time => {
                match chrono::NaiveTime::parse_from_str(v.get(..8).unwrap_or(v), "%H:%M:%S") {
                    Ok(t) => {
                        ws.write_datetime_with_format(row, col, t, &self.formats.time)?;
                    }
                    Err(_) => {
                        ws.write_string(row, col, v)?;
                    }
                }
            }
            Kind::Date => match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => {
                    ws.write_datetime_with_format(row, col, d, &self.formats.date)?;
                }
                Err(_) => {
                    ws.write_string(row, col, v)?;
                }
            },
            _ => return self.text_or_time(ws, row, col, v),
        }
        Ok(())
    }

    /// A timestamp (metadata, `datetime` answers, `start`/`end`) as a local Excel date and
    /// time; anything else as text.
    fn text_or_time(
        &self,
        ws: &mut rust_xlsxwriter::Worksheet,
        row: u32,
        col: u16,
        v: &str,
    ) -> Result<(), XlsxError> {
        match chrono::DateTime::parse_from_rfc3339(v) {
            Ok(t) if v.len() > 10 => {
                ws.write_datetime_with_format(row, col, t.naive_local(), &self.formats.datetime)?;
            }
            _ => {
                ws.write_string(row, col, v)?;
            }
        }
        Ok(())
    }
}
