//! Phase two of loading: from raw TOML rows to a checked [`Form`], collecting every problem.

use super::answer::parse_answer;
use super::diag::{Diagnostic, FormErrors, Locator};
use super::model::{Choice, ChoiceList, Flag, Form, Kind, ListId, Node, ROOT, RangeSpec};
use super::raw::{self, Row};
use super::text::{Text, placeholders};
use super::{graph, typecheck};
use crate::expr::{self, Expr, NodeId};
use chrono::FixedOffset;
use std::collections::HashMap;
use toml::{Spanned, Value as Toml};

const ROW_FIELDS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "default",
    "choice_filter",
    "appearance",
    "read_only",
    "repeat_count",
    "parameters",
    "sensitive",
    "consent",
];
const SETTINGS_FIELDS: &[&str] = &[
    "id",
    "version",
    "title",
    "default_language",
    "languages",
    "not_eligible",
];

/// Loads a form from its TOML text. `path` is only used in messages.
pub fn build(path: &str, src: &str) -> Result<Form, FormErrors> {
    let loc = Locator::new(path, src);
    let raw = match raw::parse(src) {
        Ok(r) => r,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return Err(FormErrors(vec![loc.at(at, e.message().trim().to_string())]));
        }
    };
    let mut b = Builder {
        loc,
        diags: Vec::new(),
        languages: Vec::new(),
        default_language: String::new(),
        nodes: vec![root_node()],
        by_name: HashMap::new(),
        lists: Vec::new(),
        list_ids: HashMap::new(),
        label_refs: Vec::new(),
        not_eligible: None,
    };
    let (id, version, title) = b.settings(&raw.settings);
    for (name, rows) in &raw.choices {
        b.choice_list(name, rows);
    }
    b.survey(&raw.survey);
    b.resolve();
    let graph = graph::build(&b.nodes);
    if let Err(cycles) = &graph {
        for (node, msg) in cycles {
            let line = b.nodes[*node as usize].line;
            b.diags.push(Diagnostic {
                line,
                col: 1,
                message: msg.clone(),
                path: path.to_string(),
                place: None,
            });
        }
    }
    let Builder {
        mut diags,
        languages,
        default_language,
        nodes,
        by_name,
        lists,
        not_eligible,
        ..
    } = b;
    match graph {
        Ok(graph) if diags.is_empty() => Ok(Form {
            id,
            version,
            title,
            default_language,
            languages,
            nodes,
            lists,
            by_name,
            graph,
            source_hash: fnv1a(src.as_bytes()),
            not_eligible,
        }),
        _ => {
            diags.sort();
            diags.dedup();
            Err(FormErrors(diags))
        }
    }
}

fn root_node() -> Node {
    Node {
        name: String::new(),
        kind: Kind::Root,
        parent: ROOT,
        children: Vec::new(),
        chain: Vec::new(),
        slot: 0,
        nslots: 1,
        child_repeats: Vec::new(),
        rslot: 0,
        line: 1,
        label: None,
        hint: None,
        required: Flag::No,
        required_message: None,
        relevant: None,
        constraint: None,
        constraint_message: None,
        calculation: None,
        default: None,
        choice_filter: None,
        appearance: None,
        read_only: Flag::No,
        repeat_count: None,
        sensitive: false,
        consent: false,
    }
}

struct Builder<'a> {
    loc: Locator<'a>,
    diags: Vec<Diagnostic>,
    languages: Vec<String>,
    default_language: String,
    nodes: Vec<Node>,
    by_name: HashMap<String, NodeId>,
    lists: Vec<ChoiceList>,
    list_ids: HashMap<String, ListId>,
    /// `${name}` placeholders in texts: (file offset, name), checked once all names are known.
    label_refs: Vec<(usize, String)>,
    /// `[settings] not_eligible`, resolved with the rest.
    not_eligible: Option<Expr>,
}

enum RowType {
    Begin(Kind),
    End(Kind),
    Question(Kind),
}

impl Builder<'_> {
    fn err(&mut self, offset: usize, msg: impl Into<String>) {
        self.diags.push(self.loc.at(offset, msg));
    }

    fn settings(&mut self, s: &Spanned<Row>) -> (String, String, Text) {
        let row = s.get_ref();
        let at = s.span().start;
        self.unknown_fields(row, SETTINGS_FIELDS, "[settings]");
        let id = match row.get("id") {
            Some(v) => self.string(v, "id").unwrap_or_default(),
            None => {
                self.err(at, "[settings] has no `id`");
                String::new()
            }
        };
        if !id.is_empty() && !valid_name(&id) {
            let off = row.get("id").map_or(at, |v| v.span().start);
            self.err(off, format!("form id `{id}` must start with a letter and hold only letters, digits, `_`, `-` or `.`"));
        }
        let version = match row.get("version").map(|v| (v.get_ref(), v.span().start)) {
            Some((Toml::String(s), _)) => s.clone(),
            Some((Toml::Integer(n), _)) => n.to_string(),
            Some((_, off)) => {
                self.err(off, "`version` must be text or a whole number");
                String::new()
            }
            None => String::from("1"),
        };
        let langs: Vec<String> = match row.get("languages") {
            Some(v) => match v.get_ref() {
                Toml::Array(a) if !a.is_empty() && a.iter().all(Toml::is_str) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    self.err(
                        v.span().start,
                        "`languages` must be a list of language codes, like [\"vi\", \"en\"]",
                    );
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        let default = row
            .get("default_language")
            .and_then(|v| self.string(v, "default_language"));
        self.default_language = default
            .clone()
            .or_else(|| langs.first().cloned())
            .unwrap_or_else(|| "vi".into());
        self.languages = if langs.is_empty() {
            vec![self.default_language.clone()]
        } else {
            langs
        };
        if let Some(v) = row.get("default_language")
            && !self.languages.contains(&self.default_language)
        {
            let msg = format!(
                "default_language `{}` is not in `languages`",
                self.default_language
            );
            self.err(v.span().start, msg);
        }
        if let Some(v) = row.get("not_eligible") {
            self.not_eligible = self.expr(v, "not_eligible");
        }
        let title = match row.get("title") {
            Some(v) => self.text(v, "title").unwrap_or_default(),
            None => Text::single(&self.default_language, &id),
        };
        (id, version, title)
    }

    fn unknown_fields(&mut self, row: &Row, known: &[&str], what: &str) {
        for (k, v) in row {
            if !known.contains(&k.as_str()) {
                let hint =
                    suggest(k, known).map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
                self.err(
                    v.span().start,
                    format!("unknown field `{k}` in {what}{hint}"),
                );
            }
        }
    }

    fn string(&mut self, v: &Spanned<Toml>, field: &str) -> Option<String> {
        match v.get_ref() {
            Toml::String(s) => Some(s.clone()),
            _ => {
                self.err(v.span().start, format!("`{field}` must be text"));
                None
            }
        }
    }

    /// A label-like field: plain text (the default language) or a table `{ vi = "…", en = "…" }`.
    fn text(&mut self, v: &Spanned<Toml>, field: &str) -> Option<Text> {
        let at = v.span().start;
        let mut t = Text::default();
        match v.get_ref() {
            Toml::String(s) => t.by_lang.push((self.default_language.clone(), s.clone())),
            Toml::Table(tab) => {
                for (lang, s) in tab {
                    let Some(s) = s.as_str() else {
                        self.err(at, format!("`{field}.{lang}` must be text"));
                        continue;
                    };
                    if !self.languages.contains(lang) {
                        let declared = self.languages.join(", ");
                        self.err(at, format!("`{field}` has text in `{lang}`, which is not a declared language ({declared})"));
                        continue;
                    }
                    t.by_lang.push((lang.clone(), s.to_string()));
                }
                // Declared order, so the first entry is the default-language one.
                t.by_lang
                    .sort_by_key(|(l, _)| self.languages.iter().position(|x| x == l));
            }
            _ => {
                self.err(at, format!("`{field}` must be text or a table of languages, like {{ vi = \"…\", en = \"…\" }}"));
                return None;
            }
        }
        for lang in self.languages.clone() {
            if !t.has(&lang) {
                self.err(at, format!("`{field}` has no `{lang}` text"));
            }
        }
        let body = self.loc.string_body(at);
        for (_, s) in &t.by_lang {
            for (off, name) in placeholders(s) {
                let at = if matches!(v.get_ref(), Toml::String(_)) {
                    body + off
                } else {
                    at
                };
                self.label_refs.push((at, name.to_string()));
            }
        }
        Some(t)
    }

    /// Parses an expression field; positions in the result are byte offsets in the file.
    fn expr(&mut self, v: &Spanned<Toml>, field: &str) -> Option<Expr> {
        let src = self.string(v, field)?;
        let base = self.loc.string_body(v.span().start) as u32;
        match expr::parse(&src) {
            Ok(mut e) => {
                shift(&mut e, base);
                Some(e)
            }
            Err(err) => {
                self.err(
                    (base + err.pos) as usize,
                    format!("in `{field}`: {}", err.message),
                );
                None
            }
        }
    }

    fn flag(&mut self, v: &Spanned<Toml>, field: &str) -> Flag {
        match v.get_ref() {
            Toml::Boolean(true) => Flag::Yes,
            Toml::Boolean(false) => Flag::No,
            Toml::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "yes" | "true" | "true()" => Flag::Yes,
                "no" | "false" | "false()" | "" => Flag::No,
                _ => self.expr(v, field).map_or(Flag::No, Flag::When),
            },
            _ => {
                self.err(
                    v.span().start,
                    format!("`{field}` must be true, false or a condition"),
                );
                Flag::No
            }
        }
    }

    fn choice_list(&mut self, name: &str, rows: &Spanned<Vec<Spanned<Row>>>) {
        let at = rows.span().start;
        if !valid_name(name) {
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
            if cname.chars().any(char::is_whitespace) || cname.is_empty() {
                let off = r.get("name").map_or(rat, |v| v.span().start);
                self.err(
                    off,
                    format!("choice name `{cname}` must not be empty or contain spaces"),
                );
            }
            if list.find(&cname).is_some() {
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
                if !list.columns.contains(k) {
                    list.columns.push(k.clone());
                }
                extra.push((k.clone(), val));
            }
            extras.push(extra);
            list.choices.push(Choice {
                name: cname,
                label,
                extra: Vec::new(),
            });
        }
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
        self.list_ids
            .insert(name.to_string(), self.lists.len() as ListId);
        self.lists.push(list);
    }

    fn row_type(&mut self, v: &Spanned<Toml>) -> Option<RowType> {
        let t = self.string(v, "type")?;
        let words: Vec<&str> = t.split_whitespace().collect();
        let at = v.span().start;
        let norm = words
            .first()
            .map(|w| w.replace(' ', "_"))
            .unwrap_or_default();
        let list = |b: &mut Self, kind: fn(ListId) -> Kind| -> Option<Kind> {
            let Some(name) = words.get(1) else {
                b.err(
                    at,
                    format!("`{norm}` needs a choice list name, like \"{norm} yes_no\""),
                );
                return None;
            };
            match b.list_ids.get(*name) {
                Some(id) => Some(kind(*id)),
                None => {
                    b.err(at, format!("unknown choice list `{name}`"));
                    None
                }
            }
        };
        let kind = match (norm.as_str(), words.get(1).copied()) {
            ("begin_group", None) | ("begin", Some("group")) => {
                return Some(RowType::Begin(Kind::Group));
            }
            ("begin_repeat", None) | ("begin", Some("repeat")) => {
                return Some(RowType::Begin(Kind::Repeat));
            }
            ("end_group", None) | ("end", Some("group")) => return Some(RowType::End(Kind::Group)),
            ("end_repeat", None) | ("end", Some("repeat")) => {
                return Some(RowType::End(Kind::Repeat));
            }
            ("select_one", _) => list(self, Kind::SelectOne)?,
            ("select_multiple", _) => list(self, Kind::SelectMultiple)?,
            ("rank", _) => list(self, Kind::Rank)?,
            ("text", None) => Kind::Text,
            ("integer", None) => Kind::Integer,
            ("decimal", None) => Kind::Decimal,
            ("date", None) => Kind::Date,
            ("time", None) => Kind::Time,
            ("datetime", None) => Kind::DateTime,
            ("note", None) => Kind::Note,
            ("calculate", None) => Kind::Calculate,
            ("acknowledge", None) => Kind::Acknowledge,
            ("range", None) => Kind::Range(RangeSpec {
                start: 1.0,
                end: 10.0,
                step: 1.0,
            }),
            _ => {
                self.err(at, format!("unknown question type `{t}`"));
                return None;
            }
        };
        Some(RowType::Question(kind))
    }

    fn survey(&mut self, rows: &[Spanned<Row>]) {
        // Open groups and repeats: (node, file offset of the begin row).
        let mut stack: Vec<(NodeId, usize)> = Vec::new();
        for row in rows {
            let r = row.get_ref();
            let at = row.span().start;
            self.unknown_fields(r, ROW_FIELDS, "a survey row");
            let Some(tv) = r.get("type") else {
                let what = r
                    .get("name")
                    .and_then(|n| n.get_ref().as_str())
                    .map_or(String::new(), |n| format!(" `{n}`"));
                self.err(at, format!("survey row{what} has no `type`"));
                continue;
            };
            let Some(rt) = self.row_type(tv) else {
                continue;
            };
            match rt {
                RowType::End(kind) => {
                    let end = if kind == Kind::Group {
                        "end_group"
                    } else {
                        "end_repeat"
                    };
                    match stack.pop() {
                        None => {
                            self.err(tv.span().start, format!("`{end}` without a matching begin"))
                        }
                        Some((open, _)) if self.nodes[open as usize].kind != kind => {
                            let n = &self.nodes[open as usize];
                            let msg = format!(
                                "`{end}` closes {} `{}` (line {})",
                                what(&n.kind),
                                n.name,
                                n.line
                            );
                            self.err(tv.span().start, msg);
                        }
                        Some((open, _)) => {
                            if let Some(name) = r.get("name").and_then(|n| n.get_ref().as_str())
                                && name != self.nodes[open as usize].name
                            {
                                let msg = format!(
                                    "`{end}` names `{name}` but closes `{}`",
                                    self.nodes[open as usize].name
                                );
                                self.err(tv.span().start, msg);
                            }
                        }
                    }
                }
                RowType::Begin(kind) | RowType::Question(kind) => {
                    let is_begin = kind.is_container();
                    let parent = stack.last().map_or(ROOT, |s| s.0);
                    let id = self.node(r, at, kind, parent);
                    if is_begin {
                        stack.push((id, at));
                    }
                }
            }
        }
        for (open, _) in stack {
            let n = &self.nodes[open as usize];
            let end = if n.kind == Kind::Group {
                "end_group"
            } else {
                "end_repeat"
            };
            let msg = format!(
                "{} `{}` is never closed (missing `{end}`)",
                what(&n.kind),
                n.name
            );
            let line = n.line;
            self.diags.push(Diagnostic {
                line,
                col: 1,
                message: msg,
                path: self.loc_path(),
                place: None,
            });
        }
    }

    fn loc_path(&self) -> String {
        self.loc.at(0, "").path
    }

    fn node(&mut self, r: &Row, at: usize, mut kind: Kind, parent: NodeId) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let line = self.loc.line_col(at).0;
        let name = match r.get("name") {
            Some(v) => {
                let n = self.string(v, "name").unwrap_or_default();
                if !n.is_empty() && !valid_name(&n) {
                    self.err(v.span().start, format!("name `{n}` must start with a letter or `_` and hold only letters, digits, `_`, `-` or `.`"));
                } else if let Some(first) = self.by_name.get(&n) {
                    let fl = self.nodes[*first as usize].line;
                    self.err(
                        v.span().start,
                        format!("duplicate name `{n}` (first used on line {fl})"),
                    );
                } else if !n.is_empty() {
                    self.by_name.insert(n.clone(), id);
                }
                n
            }
            None => {
                self.err(at, format!("{} has no `name`", what(&kind)));
                String::new()
            }
        };
        let mut n = root_node();
        n.name = name;
        n.parent = parent;
        n.line = line;
        n.nslots = 0;
        let get = |k: &str| r.get(k);
        if let Some(v) = get("label") {
            n.label = self.text(v, "label");
        } else if kind.is_shown() {
            self.err(at, format!("{} `{}` has no label", what(&kind), n.name));
        }
        if let Some(v) = get("hint") {
            n.hint = self.text(v, "hint");
        }
        if let Some(v) = get("required") {
            n.required = self.flag(v, "required");
        }
        if let Some(v) = get("required_message") {
            n.required_message = self.text(v, "required_message");
        }
        if let Some(v) = get("read_only") {
            n.read_only = self.flag(v, "read_only");
        }
        if let Some(v) = get("relevant") {
            n.relevant = self.expr(v, "relevant");
        }
        if let Some(v) = get("constraint") {
            n.constraint = self.expr(v, "constraint");
        }
        if let Some(v) = get("constraint_message") {
            n.constraint_message = self.text(v, "constraint_message");
        }
        if let Some(v) = get("appearance") {
            n.appearance = self.string(v, "appearance");
        }
        if let Some(v) = get("consent") {
            let yes_list = kind
                .list()
                .map(|l| &self.lists[l as usize])
                .filter(|l| l.find("yes").is_some());
            match (v.get_ref(), &kind, yes_list) {
                (Toml::Boolean(b), Kind::SelectOne(_), Some(_)) => n.consent = *b,
                (Toml::Boolean(false), _, _) => {}
                _ => self.err(
                    v.span().start,
                    "`consent = true` goes on a select_one question whose list has a `yes` choice",
                ),
            }
            if n.consent && !self.nodes[parent as usize].chain.is_empty() {
                self.err(
                    v.span().start,
                    "a consent question cannot be inside a repeat",
                );
            }
        }
        if let Some(v) = get("sensitive") {
            match v.get_ref() {
                Toml::Boolean(b) => n.sensitive = *b,
                _ => self.err(v.span().start, "`sensitive` must be true or false"),
            }
        }
        match (get("calculation"), &kind) {
            (Some(v), Kind::Calculate) => n.calculation = self.expr(v, "calculation"),
            (Some(v), _) => self.err(v.span().start, "`calculation` belongs on a `calculate` row"),
            (None, Kind::Calculate) => {
                self.err(at, format!("calculate `{}` has no `calculation`", n.name))
            }
            _ => {}
        }
        match (get("choice_filter"), kind.list()) {
            (Some(v), Some(_)) => n.choice_filter = self.expr(v, "choice_filter"),
            (Some(v), None) => self.err(
                v.span().start,
                "`choice_filter` belongs on a select or rank question",
            ),
            _ => {}
        }
        match (get("repeat_count"), &kind) {
            (Some(v), Kind::Repeat) => {
                n.repeat_count = match v.get_ref() {
                    Toml::Integer(c) if *c >= 0 => Some(Expr::Num(*c as f64)),
                    Toml::String(_) => self.expr(v, "repeat_count"),
                    _ => {
                        self.err(
                            v.span().start,
                            "`repeat_count` must be a whole number or an expression",
                        );
                        None
                    }
                }
            }
            (Some(v), _) => self.err(
                v.span().start,
                "`repeat_count` belongs on a `begin_repeat` row",
            ),
            _ => {}
        }
        match (get("parameters"), &mut kind) {
            (Some(v), Kind::Range(spec)) => self.range(v, spec),
            (Some(v), _) => self.err(v.span().start, "`parameters` belong on a `range` question"),
            _ => {}
        }
        if let Some(v) = get("default") {
            n.default = self.default(v, &kind);
        }
        n.kind = kind;
        self.place(id, &mut n);
        self.nodes.push(n);
        id
    }

    /// Gives the node its scope chain and answer slot, and links it to its parent.
    fn place(&mut self, id: NodeId, n: &mut Node) {
        let parent = n.parent as usize;
        n.chain = self.nodes[parent].chain.clone();
        if n.kind == Kind::Repeat {
            let outer = n.chain.last().copied().unwrap_or(ROOT) as usize;
            n.rslot = self.nodes[outer].child_repeats.len() as u32;
            self.nodes[outer].child_repeats.push(id);
            n.chain.push(id);
            n.slot = 0;
            n.nslots = 1;
        } else {
            let scope = n.chain.last().copied().unwrap_or(ROOT) as usize;
            n.slot = self.nodes[scope].nslots;
            self.nodes[scope].nslots += 1;
        }
        self.nodes[parent].children.push(id);
    }

    fn range(&mut self, v: &Spanned<Toml>, spec: &mut RangeSpec) {
        let at = v.span().start;
        let Some(tab) = v.get_ref().as_table() else {
            self.err(
                at,
                "`parameters` must be a table, like { start = 1, end = 5, step = 1 }",
            );
            return;
        };
        for (k, val) in tab {
            let num = match val {
                Toml::Integer(i) => *i as f64,
                Toml::Float(f) => *f,
                _ => {
                    self.err(at, format!("range `{k}` must be a number"));
                    continue;
                }
            };
            match k.as_str() {
                "start" => spec.start = num,
                "end" => spec.end = num,
                "step" => spec.step = num,
                _ => self.err(
                    at,
                    format!("unknown range parameter `{k}` (use start, end, step)"),
                ),
            }
        }
        if spec.step <= 0.0 || !spec.step.is_finite() {
            self.err(
                at,
                format!("range step must be greater than 0, found {}", spec.step),
            );
        } else if spec.start == spec.end {
            self.err(at, format!("range start and end are both {}", spec.start));
        } else {
            let k = (spec.end - spec.start).abs() / spec.step;
            if (k - k.round()).abs() > 1e-9 {
                self.err(
                    at,
                    format!(
                        "range from {} to {} does not fall on steps of {}",
                        spec.start, spec.end, spec.step
                    ),
                );
            } else if k > 1000.0 {
                self.err(
                    at,
                    format!(
                        "range from {} to {} in steps of {} has more than 1000 values",
                        spec.start, spec.end, spec.step
                    ),
                );
            }
        }
    }

    fn default(&mut self, v: &Spanned<Toml>, kind: &Kind) -> Option<expr::Value> {
        let raw = match v.get_ref() {
            Toml::String(s) => s.clone(),
            Toml::Integer(i) => i.to_string(),
            Toml::Float(f) => f.to_string(),
            _ => {
                self.err(v.span().start, "`default` must be text or a number");
                return None;
            }
        };
        let list = kind.list().map(|l| &self.lists[l as usize]);
        let utc = FixedOffset::east_opt(0)?;
        match parse_answer(kind, list, &raw, utc) {
            Ok(val) => Some(val),
            Err(e) => {
                let msg = crate::messages::answer_error(&e, "en");
                self.err(v.span().start, format!("default `{raw}`: {msg}"));
                None
            }
        }
    }

    /// Resolves `${name}` references and runs the static checks, now that all names exist.
    fn resolve(&mut self) {
        let mut found = Vec::new();
        for i in 0..self.nodes.len() {
            let list = self.nodes[i].kind.list();
            let n = &mut self.nodes[i];
            // Taken out so the checker can read the whole node table while editing them.
            let mut taken = [
                n.relevant.take(),
                n.constraint.take(),
                n.calculation.take(),
                n.repeat_count.take(),
                n.choice_filter.take(),
                take_flag(&mut n.required),
                take_flag(&mut n.read_only),
            ];
            for (k, e) in taken.iter_mut().enumerate() {
                if let Some(e) = e {
                    let filter = if k == 4 { list } else { None };
                    let cx = typecheck::Site {
                        filter,
                        nodes: &self.nodes,
                        by_name: &self.by_name,
                        lists: &self.lists,
                    };
                    cx.check(e, &mut found);
                }
            }
            let n = &mut self.nodes[i];
            let [rel, con, calc, count, filter, req, ro] = taken;
            (
                n.relevant,
                n.constraint,
                n.calculation,
                n.repeat_count,
                n.choice_filter,
            ) = (rel, con, calc, count, filter);
            if let Some(e) = req {
                n.required = Flag::When(e);
            }
            if let Some(e) = ro {
                n.read_only = Flag::When(e);
            }
        }
        if let Some(e) = &mut self.not_eligible {
            let cx = typecheck::Site {
                filter: None,
                nodes: &self.nodes,
                by_name: &self.by_name,
                lists: &self.lists,
            };
            cx.check(e, &mut found);
        }
        for (off, msg) in found {
            self.err(off, msg);
        }
        for (off, name) in std::mem::take(&mut self.label_refs) {
            if !self.by_name.contains_key(&name) {
                self.err(off, format!("unknown question `${{{name}}}` in text"));
            }
        }
    }
}

fn take_flag(f: &mut Flag) -> Option<Expr> {
    match std::mem::replace(f, Flag::No) {
        Flag::When(e) => Some(e),
        other => {
            *f = other;
            None
        }
    }
}

fn what(kind: &Kind) -> &'static str {
    match kind {
        Kind::Group => "group",
        Kind::Repeat => "repeat",
        Kind::Note => "note",
        Kind::Calculate => "calculate",
        _ => "question",
    }
}

fn shift(e: &mut Expr, base: u32) {
    e.walk_mut(&mut |x| match x {
        Expr::Str { pos, .. }
        | Expr::Ref { pos, .. }
        | Expr::Name { pos, .. }
        | Expr::Bin { pos, .. }
        | Expr::Call { pos, .. } => *pos += base,
        _ => {}
    });
}

/// XLSForm names: an XML name without `:`.
pub fn valid_name(n: &str) -> bool {
    let mut cs = n.chars();
    cs.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && cs.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The known word closest to a misspelt one, if close enough to be a likely typo.
pub fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| {
            *d < word.chars().count() && *d <= if k.chars().count() >= 5 { 2 } else { 1 }
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// FNV-1a, 64-bit: a stable fingerprint of a form file (not a security hash).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
