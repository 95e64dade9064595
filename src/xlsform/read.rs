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
        let rows = range
            .rows()
            .enumerate()
            .map(|(i, r)| {
                // Keep column positions absolute, as the sheet shows them.
                let mut v = vec![String::new(); lead];
                v.extend(r.iter().map(cell));
                (first + i as u32 + 1, v)
            })
            .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
            .collect();
        out.push(Sheet { name, rows });
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
        if !t.starts_with('|') {
            continue;
        }
        let cells: Vec<String> = t
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if cells.iter().all(|c| {
            c.chars()
                .all(|ch| ch == '-' || ch == ':' || ch.is_whitespace())
        }) {
            continue; // a |---|---| separator
        }
        if !cells[0].is_empty() {
            out.push(Sheet {
                name: cells[0].clone(),
                rows: Vec::new(),
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
