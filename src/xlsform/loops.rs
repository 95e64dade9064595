//! pyxform's `begin loop over LIST` … `end loop`: the rows inside repeated once per choice
//! of the list, each copy in a group named after the choice, with `%(name)s` and
//! `%(label)s` in its cells replaced by the choice's name and label.

use super::convert::header;
use super::read::Sheet;

/// The rows of a survey sheet (header first) with every loop written out as groups.
/// `choices` is the choices sheet (header first), if any.
pub fn expand(survey: &Sheet, choices: Option<&Sheet>) -> Sheet {
    let Some((_, head)) = survey.rows.first() else {
        return survey.clone();
    };
    let cols: Vec<(String, Option<String>)> = head.iter().map(|h| header(h)).collect();
    let Some(ty) = cols.iter().position(|(f, l)| f == "type" && l.is_none()) else {
        return survey.clone();
    };
    let lists = Lists::new(choices);
    let mut rows = vec![survey.rows[0].clone()];
    let body = &survey.rows[1..];
    let mut i = 0;
    while i < body.len() {
        i = emit(body, i, &cols, ty, &lists, &mut rows);
    }
    Sheet {
        name: survey.name.clone(),
        rows,
    }
}

/// `Some(list)` for a `begin loop over LIST` row, `None` otherwise.
fn loop_list(cell: &str) -> Option<String> {
    let words: Vec<String> = cell
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let start = match words.first().map(String::as_str) {
        Some("begin") if words.get(1).map(String::as_str) == Some("loop") => 2,
        Some("begin_loop") => 1,
        _ => return None,
    };
    (words.get(start).map(String::as_str) == Some("over"))
        .then(|| cell.split_whitespace().nth(start + 1).map(str::to_string))
        .flatten()
}

fn is_end_loop(cell: &str) -> bool {
    let w: Vec<String> = cell
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    matches!(
        w.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["end", "loop", ..] | ["end_loop", ..]
    )
}

/// Emits row `i` (a whole loop when it begins one); returns the index after it.
fn emit(
    body: &[(u32, Vec<String>)],
    i: usize,
    cols: &[(String, Option<String>)],
    ty: usize,
    lists: &Lists,
    out: &mut Vec<(u32, Vec<String>)>,
) -> usize {
    let (n, row) = &body[i];
    let Some(list) = row.get(ty).and_then(|c| loop_list(c)) else {
        out.push((*n, row.clone()));
        return i + 1;
    };
    // The loop's rows, up to its matching `end loop`.
    let mut depth = 0;
    let mut end = i + 1;
    while end < body.len() {
        let cell = body[end].1.get(ty).map_or("", String::as_str);
        if loop_list(cell).is_some() {
            depth += 1;
        } else if is_end_loop(cell) {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        end += 1;
    }
    out.push((*n, retyped(row, ty, "begin group")));
    for choice in lists.of(&list).into_iter().filter(|c| c.name != "none") {
        let mut group = vec![String::new(); row.len().max(ty + 1)];
        group[ty] = "begin group".into();
        for (c, (f, lang)) in cols.iter().enumerate() {
            match f.as_str() {
                "name" if c < group.len() => group[c] = choice.name.clone(),
                "label" if c < group.len() => group[c] = choice.label(lang.as_deref()),
                _ => {}
            }
        }
        out.push((*n, group));
        let mut inner = Vec::new();
        let mut k = i + 1;
        while k < end {
            k = emit(body, k, cols, ty, lists, &mut inner);
        }
        for (rn, r) in inner {
            let r = r
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    let lang = cols.get(c).and_then(|(_, l)| l.as_deref());
                    cell.replace("%(name)s", &choice.name)
                        .replace("%(label)s", &choice.label(lang))
                })
                .collect();
            out.push((rn, r));
        }
        out.push((
            *n,
            retyped(&vec![String::new(); row.len()], ty, "end group"),
        ));
    }
    if let Some((en, erow)) = body.get(end) {
        out.push((*en, retyped(erow, ty, "end group")));
    }
    end + 1
}

fn retyped(row: &[String], ty: usize, to: &str) -> Vec<String> {
    let mut r = row.to_vec();
    if r.len() <= ty {
        r.resize(ty + 1, String::new());
    }
    r[ty] = to.into();
    r
}

struct Choice {
    name: String,
    /// (language, label); `None` is the column without a language.
    labels: Vec<(Option<String>, String)>,
}

impl Choice {
    fn label(&self, lang: Option<&str>) -> String {
        self.labels
            .iter()
            .find(|(l, _)| l.as_deref() == lang)
            .or_else(|| self.labels.iter().find(|(l, _)| l.is_none()))
            .or_else(|| self.labels.first())
            .map_or_else(|| self.name.clone(), |(_, t)| t.clone())
    }
}

struct Lists(Vec<(String, Choice)>);

impl Lists {
    fn new(choices: Option<&Sheet>) -> Lists {
        let mut out = Vec::new();
        let Some((_, head)) = choices.and_then(|c| c.rows.first()) else {
            return Lists(out);
        };
        let cols: Vec<(String, Option<String>)> = head.iter().map(|h| header(h)).collect();
        let find = |f: &str| cols.iter().position(|(x, l)| x == f && l.is_none());
        let (Some(lc), Some(nc)) = (find("list_name"), find("name")) else {
            return Lists(out);
        };
        for (_, r) in choices.map_or(&[][..], |c| &c.rows[1..]) {
            let (Some(list), Some(name)) = (r.get(lc), r.get(nc)) else {
                continue;
            };
            let labels = cols
                .iter()
                .enumerate()
                .filter(|(c, (f, _))| f == "label" && r.get(*c).is_some_and(|v| !v.is_empty()))
                .map(|(c, (_, l))| (l.clone(), r[c].clone()))
                .collect();
            out.push((
                list.clone(),
                Choice {
                    name: name.clone(),
                    labels,
                },
            ));
        }
        Lists(out)
    }

    fn of(&self, list: &str) -> Vec<&Choice> {
        self.0
            .iter()
            .filter(|(l, _)| l == list)
            .map(|(_, c)| c)
            .collect()
    }
}
