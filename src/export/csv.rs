//! CSV in the shape ODK Central exports: one main table with a column per question (group
//! names joined with `-`), select_multiple split into 0/1 columns, one table per repeat
//! joined by `KEY`/`PARENT_KEY`, and meta columns.

use crate::expr::NodeId;
use crate::form::{Form, Kind, ROOT};
use crate::record::Finalized;
use std::collections::BTreeMap;

/// One output table: file name, header, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A column: the question and, for split select_multiple columns, the choice.
struct Col {
    node: NodeId,
    choice: Option<String>,
}

/// The tables of one form, ready to take interviews one at a time (so an export of
/// 100,000 interviews streams instead of holding them all).
pub(crate) struct Exporter<'a> {
    form: &'a Form,
    /// Per table: its scope (root or a repeat), columns, file name and header.
    tables: Vec<(NodeId, Vec<Col>, String, Vec<String>)>,
}

impl<'a> Exporter<'a> {
    /// Sensitive questions are left out unless `include_sensitive`.
    pub fn new(form: &'a Form, include_sensitive: bool) -> Exporter<'a> {
        let mut scopes: Vec<NodeId> = vec![ROOT];
        scopes.extend(
            form.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.kind.is_repeat())
                .map(|(i, _)| NodeId::new(i)),
        );
        let tables = scopes
            .into_iter()
            .map(|scope| {
                let cols = columns(form, scope, include_sensitive);
                let mut header: Vec<String> = Vec::new();
                if scope == ROOT {
                    header.extend(["SubmissionDate", "start", "end"].map(String::from));
                }
                header.extend(cols.iter().map(|c| column_name(form, scope, c)));
                if scope == ROOT {
                    header.push("meta-instanceID".into());
                    if form.instance_name.is_some() {
                        header.push("meta-instanceName".into());
                    }
                    header.extend(
                        [
                            "KEY",
                            "SubmitterID",
                            "DeviceID",
                            "FormVersion",
                            "duration",
                            "referral",
                        ]
                        .map(String::from),
                    );
                } else {
                    header.extend(["PARENT_KEY", "KEY"].map(String::from));
                }
                let file = if scope == ROOT {
                    format!("{}.csv", form.id)
                } else {
                    format!("{}-{}.csv", form.id, form.node(scope).name)
                };
                (scope, cols, file, header)
            })
            .collect();
        Exporter { form, tables }
    }

    /// (file name, header) of each table, main table first.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.tables
            .iter()
            .map(|(_, _, f, h)| (f.as_str(), h.as_slice()))
    }

    /// The rows one interview adds, per table (same order as [`Exporter::headers`]).
    pub fn rows(&self, f: &Finalized) -> Vec<Vec<Vec<String>>> {
        self.tables
            .iter()
            .map(|(scope, cols, _, _)| {
                instances(self.form, *scope, f)
                    .into_iter()
                    .map(|(path, answers)| row(self.form, *scope, cols, f, &path, &answers))
                    .collect()
            })
            .collect()
    }
}

/// Builds the tables for `form` from its finalized interviews, in memory.
pub fn tables(form: &Form, interviews: &[Finalized], include_sensitive: bool) -> Vec<Table> {
    let ex = Exporter::new(form, include_sensitive);
    let mut out: Vec<Table> = ex
        .headers()
        .map(|(file, header)| Table {
            file: file.to_string(),
            header: header.to_vec(),
            rows: Vec::new(),
        })
        .collect();
    for f in interviews {
        for (t, rows) in out.iter_mut().zip(ex.rows(f)) {
            t.rows.extend(rows);
        }
    }
    out
}

fn columns(form: &Form, scope: NodeId, include_sensitive: bool) -> Vec<Col> {
    let mut cols = Vec::new();
    for (i, n) in form.nodes.iter().enumerate() {
        let in_scope = n.chain.last().copied().unwrap_or(ROOT) == scope && !n.kind.is_repeat();
        if !in_scope
            || !(n.kind.takes_answer() || matches!(n.kind, Kind::Calculate(_)))
            || (n.sensitive && !include_sensitive)
        {
            continue;
        }
        cols.push(Col {
            node: NodeId::new(i),
            choice: None,
        });
        if let Kind::SelectMultiple(s) = &n.kind {
            for c in &form.lists[s.list.index()].choices {
                cols.push(Col {
                    node: NodeId::new(i),
                    choice: Some(c.name.clone()),
                });
            }
        }
    }
    cols
}

/// `group-sub-question`, from the scope (root or repeat) down; `/choice` for split columns.
fn column_name(form: &Form, scope: NodeId, c: &Col) -> String {
    let mut parts = vec![form.node(c.node).name.clone()];
    let mut p = form.node(c.node).parent;
    while p != scope && p != ROOT {
        parts.push(form.node(p).name.clone());
        p = form.node(p).parent;
    }
    parts.reverse();
    let mut name = parts.join("-");
    if let Some(ch) = &c.choice {
        name.push('/');
        name.push_str(ch);
    }
    name
}

/// The instances of `scope` in one interview, each with its answers by node.
fn instances(
    form: &Form,
    scope: NodeId,
    f: &Finalized,
) -> BTreeMap<Vec<u32>, BTreeMap<NodeId, String>> {
    let mut out: BTreeMap<Vec<u32>, BTreeMap<NodeId, String>> = BTreeMap::new();
    if scope == ROOT {
        out.insert(Vec::new(), BTreeMap::new());
    }
    for (key, value) in &f.answers {
        let Some(crate::form::AnswerKey { node, path }) = form.parse_key(key) else {
            continue;
        };
        if form.node(node).chain.last().copied().unwrap_or(ROOT) == scope {
            out.entry(path).or_default().insert(node, value.clone());
        }
    }
    out
}

fn key_of(form: &Form, f: &Finalized, scope: NodeId, path: &[u32]) -> String {
    let mut k = format!("uuid:{}", f.id);
    if scope != ROOT {
        for (r, i) in form.node(scope).chain.iter().zip(path) {
            k.push_str(&format!("/{}[{}]", form.node(*r).name, i + 1));
        }
    }
    k
}

fn row(
    form: &Form,
    scope: NodeId,
    cols: &[Col],
    f: &Finalized,
    path: &[u32],
    answers: &BTreeMap<NodeId, String>,
) -> Vec<String> {
    let mut r = Vec::new();
    if scope == ROOT {
        r.push(f.finished.local().to_rfc3339());
        r.push(f.started.local().to_rfc3339());
        r.push(f.finished.local().to_rfc3339());
    }
    for c in cols {
        let v = answers.get(&c.node).cloned().unwrap_or_default();
        r.push(match &c.choice {
            None => v,
            Some(_) if v.is_empty() => String::new(),
            Some(ch) => if v.split_ascii_whitespace().any(|t| t == ch) {
                "1"
            } else {
                "0"
            }
            .to_string(),
        });
    }
    if scope == ROOT {
        r.push(format!("uuid:{}", f.id));
        if let Some(e) = &form.instance_name {
            let cx = RowCx { form, answers, f };
            r.push(crate::expr::eval(e, &cx).to_str().trim().to_string());
        }
        r.push(format!("uuid:{}", f.id));
        r.push(f.surveyor.clone());
        r.push(f.device.to_string());
        r.push(f.form.version.clone());
        r.push(format!("{}", f.duration_ms / 1000));
        r.push(if f.referral { "1" } else { "0" }.into());
    } else {
        let parent_scope = form
            .node(scope)
            .chain
            .len()
            .checked_sub(2)
            .map_or(ROOT, |k| form.node(scope).chain[k]);
        r.push(key_of(
            form,
            f,
            parent_scope,
            &path[..path.len().saturating_sub(1)],
        ));
        r.push(key_of(form, f, scope, path));
    }
    r
}

/// One CSV field, quoted when it holds a separator, quote, line break or edge spaces.
pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV line (CRLF-terminated, as RFC 4180 and Excel expect).
pub fn line(cells: &[String]) -> String {
    let fields: Vec<String> = cells.iter().map(|s| field(s)).collect();
    fields.join(",") + "\r\n"
}

/// The table as CSV text.
pub fn render(t: &Table) -> String {
    std::iter::once(&t.header)
        .chain(&t.rows)
        .map(|l| line(l))
        .collect()
}

/// How an expression (the form's `instance_name`) sees one exported interview: its answers
/// outside repeats, read back into typed values.
struct RowCx<'a> {
    form: &'a Form,
    answers: &'a BTreeMap<NodeId, String>,
    f: &'a Finalized,
}

impl crate::expr::Context for RowCx<'_> {
    fn value(&self, node: NodeId) -> crate::expr::Value {
        use crate::expr::Value;
        let Some(raw) = self.answers.get(&node) else {
            return Value::blank();
        };
        let n = self.form.node(node);
        if matches!(n.kind, Kind::Calculate(_)) {
            return Value::Str(raw.clone());
        }
        crate::form::answer::parse_answer(
            &n.kind,
            self.form.list_of(node),
            raw,
            *self.f.finished.local().offset(),
        )
        .unwrap_or_else(|_| Value::Str(raw.clone()))
    }
    fn current(&self) -> crate::expr::Value {
        crate::expr::Value::blank()
    }
    fn position(&self) -> f64 {
        f64::NAN
    }
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.f.finished.local()
    }
    fn choice_label(&self, node: NodeId, value: &str) -> String {
        self.form
            .list_of(node)
            .and_then(|l| l.find(value))
            .map_or(value.to_string(), |c| {
                c.label.get(&self.form.default_language).to_string()
            })
    }
    fn column(&self, _name: &str) -> crate::expr::Value {
        crate::expr::Value::blank()
    }
}
