//! The two tables an indicator file may name beside it: the sample plan (`hub plan`'s file:
//! each selected commune's probability) and the known population totals to post-stratify
//! to (age band × sex, per province…). Parsed from their text; every error names file:line.

use super::plan::Selection;
use std::collections::HashMap;

/// Known population totals: the cells of the post-stratifying breakdowns (in the order the
/// indicator file lists them) → the number of children there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub cells: HashMap<Vec<String>, f64>,
}

/// What is wrong with a table, and on which line (1: the header; 0: the file as a whole).
#[derive(Debug, Clone, PartialEq)]
pub struct Bad {
    pub line: u64,
    pub message: String,
}

fn bad(line: u64, message: impl Into<String>) -> Bad {
    Bad {
        line,
        message: message.into(),
    }
}

fn csv_bad(e: csv::Error) -> Bad {
    let line = e.position().map_or(0, |p| p.line());
    bad(line, e.to_string())
}

fn reader(src: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(src.trim_start_matches('\u{feff}').as_bytes())
}

/// The header's position of each of `names`, or which is missing.
fn columns(r: &mut csv::Reader<&[u8]>, names: &[&str], made_by: &str) -> Result<Vec<usize>, Bad> {
    let head = r.headers().map_err(csv_bad)?.clone();
    names
        .iter()
        .map(|name| {
            head.iter()
                .position(|h| h == *name)
                .ok_or_else(|| bad(1, format!("no `{name}` column ({made_by})")))
        })
        .collect()
}

/// The plan `hub plan` wrote: province, commune, probability (and children_to_select).
pub fn selection(src: &str) -> Result<Selection, Bad> {
    let mut r = reader(src);
    let made_by = "made by `hub plan`?";
    let cols = columns(&mut r, &["province", "commune", "probability"], made_by)?;
    let planned = columns(&mut r, &["children_to_select"], made_by)
        .ok()
        .map(|c| c[0]);
    let mut sel = Selection::default();
    for rec in r.records() {
        let rec = rec.map_err(csv_bad)?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let prob: f64 = get(cols[2])
            .parse()
            .ok()
            .filter(|x: &f64| *x > 0.0 && *x <= 1.0)
            .ok_or_else(|| bad(line, "probability must be in (0, 1]"))?;
        let k = planned.and_then(|k| get(k).parse().ok()).unwrap_or(0);
        sel.communes.insert((get(cols[0]), get(cols[1])), (prob, k));
    }
    Ok(sel)
}

/// Known totals: one column per post-stratifying breakdown (named as in the indicator
/// file), then `total`. Each combination once, each total a positive number.
pub fn totals(src: &str, by: &[String]) -> Result<Totals, Bad> {
    let mut r = reader(src);
    let mut names: Vec<&str> = by.iter().map(String::as_str).collect();
    names.push("total");
    let made_by = "one per post-stratum breakdown, then `total`";
    let cols = columns(&mut r, &names, made_by)?;
    let mut out = Totals::default();
    for rec in r.records() {
        let rec = rec.map_err(csv_bad)?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let (total_col, key_cols) = cols.split_last().unwrap_or((&0, &[]));
        let key: Vec<String> = key_cols.iter().map(|&c| get(c)).collect();
        let total: f64 = get(*total_col)
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x > 0.0)
            .ok_or_else(|| {
                let v = get(*total_col);
                bad(
                    line,
                    format!("`total` must be a number of children above 0, not `{v}`"),
                )
            })?;
        if out.cells.insert(key.clone(), total).is_some() {
            return Err(bad(line, format!("{} given twice", key.join(" × "))));
        }
    }
    if out.cells.is_empty() {
        return Err(bad(1, "no totals under the header"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_by_column_name_and_errors_say_where() {
        let by = ["sex".to_string(), "age_band".to_string()];
        let t = totals(
            "\u{feff}age_band,sex,total\n7–10,female,1200\n7–10,male,1300\n",
            &by,
        )
        .unwrap();
        assert_eq!(
            t.cells.get(&vec!["female".to_string(), "7–10".to_string()]),
            Some(&1200.0)
        );
        let e = totals("sex,total\nmale,5\n", &by).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("no `age_band` column"), "{e:?}");
        let e = totals("sex,age_band,total\nmale,7–10,-3\n", &by).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.starts_with("`total` must be"), "{e:?}");
        let e = totals("sex,age_band,total\nm,a,1\nm,a,2\n", &by).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (3, "m × a given twice"));
    }

    #[test]
    fn a_plan_without_probabilities_is_refused() {
        let e = selection("province,commune\n11,1\n").unwrap_err();
        assert!(e.message.contains("no `probability` column"), "{e:?}");
        let e = selection("province,commune,probability\n11,1,0\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "probability must be in (0, 1]")
        );
        let s =
            selection("province,commune,probability,children_to_select\n11,1,0.25,20\n").unwrap();
        assert_eq!(s.weight("11", "1"), Some(4.0));
    }
}
