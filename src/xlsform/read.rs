//! Reading XLSForm sheets: Excel (.xlsx, .xls, via calamine) or pyxform's markdown tables.

use calamine::{Data, Reader};
use std::path::Path;

/// One sheet: its name and its non-empty rows with their spreadsheet row numbers (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<(u32, Vec<String>)>,
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        // Excel stores 1 as 1.0; a choice named 1 must stay "1".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        // A cell Excel shows as a date or a time is stored as a day count: write it as the
        // form means it. pyxform writes a time as `09:30:00` too; a date it writes as
        // `2026-11-29 00:00:00`, which no date question accepts, so a date at midnight is
        // written as the date alone and any other moment in ISO form.
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
            let time = match ms {
                0 => format!("{h:02}:{mi:02}:{s:02}"),
                ms => format!("{h:02}:{mi:02}:{s:02}.{ms:03}"),
            };
            if d.as_f64() < 1.0 {
                time
            } else if (h, mi, s, ms) == (0, 0, 0, 0) {
                format!("{y:04}-{mo:02}-{da:02}")
            } else {
                format!("{y:04}-{mo:02}-{da:02}T{time}")
            }
        }
        other => other.to_string().trim().to_string(),
    }
}

pub fn read(path: &Path) -> Result<Vec<Sheet>, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "md" {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        return Ok(markdown(&text));
    }
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| format!("{}: not a readable spreadsheet: {e}", path.display()))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| format!("{}: sheet {name}: {e}", path.display()))?;
        let first = range.start().map_or(0, |(r, _)| r);
        let lead = range.start().map_or(0, |(_, c)| c) as usize;
        let rows = range.rows().enumerate().map(|(i, r)| {
            // Keep column positions absolute, as the sheet shows them.
            let mut v = vec![String::new(); lead];
            v.extend(r.iter().map(cell));
            (first + i as u32 + 1, v)
        });
        out.push(Sheet {
            name,
            rows: as_pyxform_reads(rows),
        });
    }
    Ok(out)
}

/// pyxform's markdown form: a row whose first cell is filled starts a sheet; the rows under
/// it (first cell empty) are that sheet's, the first of them its header. Row numbers count
/// from 1 at each sheet's header, as in a spreadsheet.
pub fn markdown(text: &str) -> Vec<Sheet> {
    let mut out: Vec<Sheet> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        // `#` starts a comment line, as in pyxform.
        if !t.starts_with('|') {
            continue;
        }
        let cells = md_cells(t);
        if cells.iter().all(|c| {
            c.chars()
                .all(|ch| ch == '-' || ch == ':' || ch.is_whitespace())
        }) {
            continue; // a |---|---| separator
        }
        if !cells[0].is_empty() {
            // The header may sit on the sheet's own line: `| choices | list name | name |`.
            let head = &cells[1..];
            let rows = if head.iter().any(|c| !c.is_empty()) {
                vec![(1, head.to_vec())]
            } else {
                Vec::new()
            };
            out.push(Sheet {
                name: cells[0].clone(),
                rows,
            });
            continue;
        }
        if let Some(sheet) = out.last_mut() {
            let n = sheet.rows.len() as u32 + 1;
            sheet.rows.push((n, cells[1..].to_vec()));
        }
    }
    out
}

/// The cells of one markdown row; `\|` is a literal pipe inside a cell.
fn md_cells(row: &str) -> Vec<String> {
    let body = row.strip_prefix('|').unwrap_or(row);
    let body = body.strip_suffix('|').unwrap_or(body);
    let mut cells = vec![String::new()];
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                if let Some(s) = cells.last_mut() {
                    s.push('|')
                }
            }
            '|' => cells.push(String::new()),
            c => {
                if let Some(s) = cells.last_mut() {
                    s.push(c)
                }
            }
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

/// pyxform stops reading a sheet after a run of 60 empty rows, and its columns after a run
/// of 20 empty header cells: whatever lies beyond is not part of the form (old notes, a
/// stray test row at R19999), so it is not read here either.
fn as_pyxform_reads(rows: impl Iterator<Item = (u32, Vec<String>)>) -> Vec<(u32, Vec<String>)> {
    const EMPTY_ROWS: usize = 60;
    const EMPTY_COLUMNS: usize = 20;
    let mut out: Vec<(u32, Vec<String>)> = Vec::new();
    let mut empty = 0;
    let mut width = usize::MAX;
    for (n, mut r) in rows {
        if r.iter().all(|c| c.is_empty()) {
            if empty == EMPTY_ROWS {
                break;
            }
            empty += 1;
            continue;
        }
        empty = 0;
        if out.is_empty() {
            let mut run = 0;
            for (i, c) in r.iter().enumerate() {
                if !c.is_empty() {
                    run = 0;
                } else if run == EMPTY_COLUMNS {
                    width = i;
                    break;
                } else {
                    run += 1;
                }
            }
        }
        r.truncate(width);
        out.push((n, r));
    }
    out
}
