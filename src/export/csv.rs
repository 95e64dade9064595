//! CSV in the exact shape ODK Central exports (its `briefcase.js`), so analysts' scripts
//! written for Central read ours unchanged: `SubmissionDate`, then every field of the form in
//! document order (group names joined with `-`; notes and calculations included), the `meta`
//! group, and Central's ten trailing columns `KEY … FormVersion`; one table per repeat joined
//! by `PARENT_KEY`/`KEY`, its keys carrying the group path (`uuid:…/hh/child[1]`).

use crate::expr::NodeId;
use crate::form::{Form, Kind, ROOT};
use crate::record::Finalized;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// One output table: file name, header, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What an export asks for; [`Options::central`] is Central's default.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Sensitive questions (ethnicity, free text) are left out unless asked for.
    pub include_sensitive: bool,
    /// Central's `splitSelectMultiples`: after each select_multiple, a 0/1 column per value
    /// seen in the data, in Central's order (sorted).
    pub split_select_multiples: bool,
    /// Central's `groupPaths`: `group-question` (on) or the bare name (off).
    pub group_paths: bool,
}

impl Options {
    pub fn central() -> Options {
        Options {
            include_sensitive: false,
            split_select_multiples: false,
            group_paths: true,
        }
    }
}

/// What the place holding an interview knows of it beyond its content: when the hub
/// received it, its review state and how many times it was edited.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The hub's receive time; on a device, which has not submitted it, none.
    pub received: Option<DateTime<Utc>>,
    pub review_state: Option<String>,
    pub edits: u32,
}

/// Values of each select_multiple seen in the data, for split columns (Central reads them
/// from the submissions, not from the form: a choice nobody picked gets no column).
pub type SeenValues = BTreeMap<NodeId, BTreeSet<String>>;

/// Notes the select_multiple values of one interview.
pub fn see(form: &Form, f: &Finalized, seen: &mut SeenValues) {
    for (key, value) in &f.answers {
        let Some(k) = form.parse_key(key) else {
            continue;
        };
        if matches!(form.node(k.node).kind, Kind::SelectMultiple(_)) {
            let set = seen.entry(k.node).or_default();
            for v in value.split_ascii_whitespace() {
                if !set.contains(v) {
                    set.insert(v.to_string());
                }
            }
        }
    }
}

/// A column: the field and, for split select_multiple columns, the value.
struct Col {
    node: NodeId,
    choice: Option<String>,
}

struct TableSpec {
    scope: NodeId,
    cols: Vec<Col>,
    file: String,
    header: Vec<String>,
}

/// Central's trailing columns of the main table, in its order.
const CENTRAL_META: [&str; 10] = [
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
];

/// Our own metadata, written as fields of the form's `meta` group (where Central puts a
/// form's `meta-instanceID`), so Central's column order stays whole.
/// `meta-training` is 1 for practice (training mode, simulated): a hub leaves practice out
/// unless asked, a device's own export marks it.
const OUR_META: [&str; 5] = [
    "meta-start",
    "meta-end",
    "meta-duration",
    "meta-referral",
    "meta-training",
];

/// The tables of one form, ready to take interviews one at a time (so an export of
/// 100,000 interviews streams instead of holding them all).
pub(crate) struct Exporter<'a> {
    form: &'a Form,
    tables: Vec<TableSpec>,
}

impl<'a> Exporter<'a> {
    /// `seen` gives the split columns' values (with `split_select_multiples`).
    pub fn new(form: &'a Form, opts: Options, seen: Option<&SeenValues>) -> Exporter<'a> {
        let mut scopes: Vec<NodeId> = vec![ROOT];
        scopes.extend(
            form.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.kind.is_repeat())
                .map(|(i, _)| NodeId::new(i)),
        );
        let files = file_names(form, &scopes);
        let tables = scopes
            .into_iter()
            .zip(files)
            .map(|(scope, file)| {
                let cols = columns(form, scope, opts, seen);
                let mut header: Vec<String> = Vec::new();
                if scope == ROOT {
                    header.push("SubmissionDate".into());
                }
                header.extend(cols.iter().map(|c| column_name(form, scope, c, opts)));
                if scope == ROOT {
                    header.push("meta-instanceID".into());
                    if form.instance_name.is_some() {
                        header.push("meta-instanceName".into());
                    }
                    header.extend(OUR_META.map(String::from));
                    header.extend(CENTRAL_META.map(String::from));
                } else {
                    header.extend(["PARENT_KEY", "KEY"].map(String::from));
                }
                TableSpec {
                    scope,
                    cols,
                    file,
                    header,
                }
            })
            .collect();
        Exporter { form, tables }
    }

    /// (file name, header) of each table, main table first.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.tables
            .iter()
            .map(|t| (t.file.as_str(), t.header.as_slice()))
    }

    /// The form the columns are named after.
    #[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
    pub fn form(&self) -> &Form {
        self.form
    }

    /// What each column of table `t` holds: the field and, for a split column, its value;
    /// `None` for the metadata columns around them.
    #[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
    pub fn roles(&self, t: usize) -> Vec<Option<(NodeId, Option<&str>)>> {
        let spec = &self.tables[t];
        let lead = usize::from(spec.scope == ROOT);
        let mut out: Vec<Option<(NodeId, Option<&str>)>> = vec![None; lead];
        out.extend(
            spec.cols
                .iter()
                .map(|c| Some((c.node, c.choice.as_deref()))),
        );
        out.resize(spec.header.len(), None);
        out
    }

    /// The rows one interview adds, per table (same order as [`Exporter::headers`]).
    pub fn rows(&self, f: &Finalized, sub: &Submission) -> Vec<Vec<Vec<String>>> {
        self.tables
            .iter()
            .map(|t| {
                instances(self.form, t.scope, f)
                    .into_iter()
                    .map(|(path, answers)| {
                        let mut r = Vec::with_capacity(t.header.len());
                        if t.scope == ROOT {
                            r.push(submission_date(f, sub));
                        }
                        self.cells(&mut r, &t.cols, f, &answers);
                        if t.scope == ROOT {
                            self.root_meta(&mut r, f, sub, &answers);
                        } else {
                            r.push(parent_key(self.form, f, t.scope, &path));
                            r.push(key_of(self.form, f, t.scope, &path));
                        }
                        r
                    })
                    .collect()
            })
            .collect()
    }

    fn cells(
        &self,
        r: &mut Vec<String>,
        cols: &[Col],
        f: &Finalized,
        answers: &BTreeMap<NodeId, String>,
    ) {
        let offset = *f.finished.local().offset();
        for c in cols {
            let v = answers.get(&c.node).map(String::as_str).unwrap_or_default();
            r.push(match &c.choice {
                None => match metadata_stamp(self.form, c.node, f) {
                    Some(t) => millis(t),
                    None => cell(self.form, c.node, v, offset),
                },
                // Central writes 0 in every split column unless the value was picked.
                Some(ch) => {
                    let picked = v.split_ascii_whitespace().any(|t| t == ch);
                    if picked { "1" } else { "0" }.to_string()
                }
            });
        }
    }

    fn root_meta(
        &self,
        r: &mut Vec<String>,
        f: &Finalized,
        sub: &Submission,
        answers: &BTreeMap<NodeId, String>,
    ) {
        let key = format!("uuid:{}", f.id);
        r.push(key.clone());
        if let Some(e) = &self.form.instance_name {
            let cx = RowCx {
                form: self.form,
                answers,
                f,
            };
            r.push(crate::expr::eval(e, &cx).to_str().trim().to_string());
        }
        r.push(millis(f.started.local()));
        r.push(millis(f.finished.local()));
        r.push(format!("{}", f.duration_ms / 1000));
        r.push(if f.referral { "1" } else { "0" }.into());
        r.push(if f.training { "1" } else { "0" }.into());
        // KEY, SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected, Status,
        // ReviewState, DeviceID, Edits, FormVersion. The enrolled device is the submitter
        // (Central's app user); its surveyor is the name shown for it.
        r.push(key);
        r.push(f.device.to_string());
        r.push(f.surveyor.clone());
        r.push("0".into());
        r.push("0".into());
        r.push(String::new());
        r.push(sub.review_state.clone().unwrap_or_default());
        r.push(f.device.to_string());
        r.push(sub.edits.to_string());
        r.push(f.form.version.clone());
    }
}

/// Central's `SubmissionDate`: when the server received the interview, in UTC with
/// milliseconds. A device export, which nothing received yet, gives when it was finalized.
fn submission_date(f: &Finalized, sub: &Submission) -> String {
    sub.received
        .unwrap_or(f.finished.utc)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A time as ODK Collect writes it: milliseconds and the offset (`…T10:04:05.386+07:00`).
fn millis(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// One stored answer as Collect would have written it in the submission.
fn cell(form: &Form, node: NodeId, v: &str, offset: FixedOffset) -> String {
    match form.node(node).kind {
        Kind::Time => chrono::NaiveTime::parse_from_str(v, "%H:%M:%S%.f")
            .map(|t| format!("{}{offset}", t.format("%H:%M:%S%.3f")))
            .unwrap_or_else(|_| v.to_string()),
        Kind::DateTime => DateTime::parse_from_rfc3339(v)
            .map(millis)
            .unwrap_or_else(|_| v.to_string()),
        _ => v.to_string(),
    }
}

/// XLSForm's `start` and `end` rows come in as `once(now())` calculations (see
/// `xlsform::convert`), which would give the opening time for both; the interview's own
/// recorded times are what ODK means by them.
fn metadata_stamp(form: &Form, node: NodeId, f: &Finalized) -> Option<DateTime<FixedOffset>> {
    use crate::expr::{Expr, Func};
    let n = form.node(node);
    let Kind::Calculate(Expr::Call {
        func: Func::Once,
        args,
        ..
    }) = &n.kind
    else {
        return None;
    };
    if !matches!(
        args.as_slice(),
        [Expr::Call {
            func: Func::Now,
            ..
        }]
    ) || n.parent != ROOT
    {
        return None;
    }
    match n.name.as_str() {
        "start" => Some(f.started.local()),
        "end" => Some(f.finished.local()),
        _ => None,
    }
}

/// Builds the tables for `form` from its finalized interviews, in memory.
pub fn tables(form: &Form, interviews: &[Finalized], opts: Options) -> Vec<Table> {
    let mut seen = SeenValues::new();
    if opts.split_select_multiples {
        for f in interviews {
            see(form, f, &mut seen);
        }
    }
    let ex = Exporter::new(form, opts, Some(&seen));
    let mut out: Vec<Table> = ex
        .headers()
        .map(|(file, header)| Table {
            file: file.to_string(),
            header: header.to_vec(),
            rows: Vec::new(),
        })
        .collect();
    for f in interviews {
        for (t, rows) in out.iter_mut().zip(ex.rows(f, &Submission::default())) {
            t.rows.extend(rows);
        }
    }
    out
}

/// `FORM.csv`, `FORM-REPEAT.csv`; repeats sharing a name numbered `~1`, `~2` as Central does.
fn file_names(form: &Form, scopes: &[NodeId]) -> Vec<String> {
    let name = |s: NodeId| form.node(s).name.as_str();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &scopes[1..] {
        *counts.entry(name(*s)).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    scopes
        .iter()
        .map(|s| {
            if *s == ROOT {
                return format!("{}.csv", form.id);
            }
            let n = name(*s);
            if counts[n] > 1 {
                let k = seen.entry(n).or_default();
                *k += 1;
                format!("{}-{n}~{k}.csv", form.id)
            } else {
                format!("{}-{n}.csv", form.id)
            }
        })
        .collect()
}

/// Every field of `scope` in document order: questions, notes and calculations.
fn columns(form: &Form, scope: NodeId, opts: Options, seen: Option<&SeenValues>) -> Vec<Col> {
    let mut cols = Vec::new();
    for (i, n) in form.nodes.iter().enumerate() {
        let in_scope = n.chain.last().copied().unwrap_or(ROOT) == scope;
        if !in_scope || n.kind.is_container() || (n.sensitive && !opts.include_sensitive) {
            continue;
        }
        let node = NodeId::new(i);
        cols.push(Col { node, choice: None });
        if let (Kind::SelectMultiple(_), true) = (&n.kind, opts.split_select_multiples) {
            for v in seen.and_then(|s| s.get(&node)).into_iter().flatten() {
                cols.push(Col {
                    node,
                    choice: Some(v.clone()),
                });
            }
        }
    }
    cols
}

/// `group-sub-question`, from the scope (root or repeat) down; `/value` for split columns.
fn column_name(form: &Form, scope: NodeId, c: &Col, opts: Options) -> String {
    let mut parts = vec![form.node(c.node).name.clone()];
    let mut p = form.node(c.node).parent;
    while opts.group_paths && p != scope && p != ROOT {
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

/// Central's key of a repeat instance: the instance id, then every group and repeat from
/// the root down to `scope`, repeats with their 1-based position (`uuid:…/hh/child[2]`).
fn key_of(form: &Form, f: &Finalized, scope: NodeId, path: &[u32]) -> String {
    let mut k = format!("uuid:{}", f.id);
    if scope == ROOT {
        return k;
    }
    let mut down = vec![scope];
    let mut p = form.node(scope).parent;
    while p != ROOT {
        down.push(p);
        p = form.node(p).parent;
    }
    let mut repeats = 0;
    for n in down.into_iter().rev() {
        let node = form.node(n);
        k.push('/');
        k.push_str(&node.name);
        if node.kind.is_repeat() {
            let i = path.get(repeats).copied().unwrap_or(0);
            k.push_str(&format!("[{}]", i + 1));
            repeats += 1;
        }
    }
    k
}

/// The key of the repeat instance (or the submission) enclosing an instance of `scope`.
fn parent_key(form: &Form, f: &Finalized, scope: NodeId, path: &[u32]) -> String {
    let chain = &form.node(scope).chain;
    match chain.len().checked_sub(2).map(|k| chain[k]) {
        Some(outer) => key_of(form, f, outer, &path[..path.len().saturating_sub(1)]),
        None => format!("uuid:{}", f.id),
    }
}

/// One CSV field, quoted when it holds a separator, quote or line break (as Central's
/// csv-stringify does).
pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV line ending in `eol`.
pub fn line_with(cells: &[String], eol: &str) -> String {
    let fields: Vec<String> = cells.iter().map(|s| field(s)).collect();
    fields.join(",") + eol
}

/// One CSV line, LF-terminated as Central writes it.
pub fn line(cells: &[String]) -> String {
    line_with(cells, "\n")
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
