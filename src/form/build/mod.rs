//! Phase two of loading: from raw TOML rows to a checked [`Form`], collecting every problem.

use super::diag::{Diagnostic, FormErrors, Locator};
use super::model::{
    Choice, ChoiceList, Flag, Form, Kind, ListId, Node, ROOT, RangeSpec, Repeat, Scope, Select,
};
use super::raw::{self, Row};
use super::text::{Text, placeholders};
use super::{graph, typecheck};

mod choices;
mod survey;

pub use super::suggest::suggest;
use crate::expr::{self, Expr, NodeId};
use chrono::FixedOffset;
use std::collections::HashMap;
use toml::{Spanned, Value as Toml};

/// A survey row's fields, in the order a form designer reads them (also the column order
/// of `export-xlsform`).
pub(crate) const ROW_FIELDS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "guidance_hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "trigger",
    "default",
    "choice_filter",
    "appearance",
    "read_only",
    "repeat_count",
    "parameters",
    "sensitive",
    "consent",
    "referral",
];
const SETTINGS_FIELDS: &[&str] = &[
    "id",
    "version",
    "title",
    "default_language",
    "languages",
    "not_eligible",
    "instance_name",
    "allow_choice_duplicates",
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
    let mut b = Builder::new(loc);
    let (id, version, title) = b.settings(&raw.settings);
    b.allow_choice_duplicates = b.yes_setting(&raw.settings, "allow_choice_duplicates");
    for (name, rows) in &raw.choices {
        b.choice_list(name, rows);
    }
    b.survey(&raw.survey);
    b.resolve();
    let graph = graph::build(&b.nodes);
    if let Err(cycles) = &graph {
        for (node, msg) in cycles {
            let line = b.nodes[node.index()].line;
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
        ambiguous,
        lists,
        not_eligible,
        instance_name,
        ..
    } = b;
    match graph {
        Ok(graph) if diags.is_empty() => Ok(Form {
            id,
            version,
            title,
            default_language,
            languages,
            lists,
            by_name,
            ambiguous,
            graph,
            source_hash: fnv1a(src.as_bytes()),
            source: src.to_string(),
            not_eligible,
            instance_name,
            relevance_inputs: super::inputs::relevance_inputs(&nodes),
            triggered: nodes
                .iter()
                .enumerate()
                .flat_map(|(i, n)| n.triggers().map(move |s| (s, NodeId::new(i))))
                .collect(),
            nodes,
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
        key: String::new(),
        kind: Kind::Root(Scope {
            nslots: 1,
            child_repeats: Vec::new(),
        }),
        parent: ROOT,
        children: Vec::new(),
        chain: Vec::new(),
        slot: 0,
        line: 1,
        label: None,
        hint: None,
        guidance: None,
        required: Flag::No,
        required_message: None,
        relevant: None,
        constraint: None,
        constraint_message: None,
        default: None,
        dynamic_default: None,
        calculation: None,
        trigger: Vec::new(),
        appearance: None,
        read_only: Flag::No,
        sensitive: false,
        consent: false,
        referral: false,
    }
}

struct Builder<'a> {
    loc: Locator<'a>,
    diags: Vec<Diagnostic>,
    languages: Vec<String>,
    default_language: String,
    nodes: Vec<Node>,
    by_name: HashMap<String, NodeId>,
    /// Names shared by questions in different groups (pyxform allows it); each of them is
    /// then known by its path (`group:name`), and `${name}` is an error.
    ambiguous: std::collections::HashSet<String>,
    /// (parent, name) of every node so far: names are unique within their parent.
    siblings: HashMap<(NodeId, String), NodeId>,
    lists: Vec<ChoiceList>,
    list_ids: HashMap<String, ListId>,
    /// Lists with a choice name holding a space (its first such name): fine for select_one.
    spaced_lists: HashMap<ListId, String>,
    /// XLSForm's `allow_choice_duplicates`: the same choice name twice in a list.
    allow_choice_duplicates: bool,
    /// `${name}` placeholders in texts: (file offset, name), checked once all names are known.
    label_refs: Vec<(usize, String)>,
    /// `[settings] not_eligible`, resolved with the rest.
    not_eligible: Option<Expr>,
    /// `[settings] instance_name`, resolved with the rest.
    instance_name: Option<Expr>,
}

enum RowType {
    Begin(Kind),
    End(End),
    Question(Kind),
}

/// An `end_group` or `end_repeat` row.
#[derive(Clone, Copy)]
enum End {
    Group,
    Repeat,
}

impl End {
    fn keyword(self) -> &'static str {
        match self {
            End::Group => "end_group",
            End::Repeat => "end_repeat",
        }
    }
    fn closes(self, open: &Kind) -> bool {
        match self {
            End::Group => matches!(open, Kind::Group),
            End::Repeat => open.is_repeat(),
        }
    }
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
        if let Some(v) = row.get("instance_name") {
            self.instance_name = self.expr(v, "instance_name");
        }
        let title = match row.get("title") {
            Some(v) => self.text(v, "title").unwrap_or_default(),
            None => Text::single(&self.default_language, &id),
        };
        (id, version, title)
    }

    /// A `true`/`false` setting (absent is false).
    fn yes_setting(&mut self, s: &Spanned<Row>, key: &str) -> bool {
        match s.get_ref().get(key).map(|v| (v.get_ref(), v.span().start)) {
            Some((Toml::Boolean(b), _)) => *b,
            Some((_, at)) => {
                self.err(at, format!("`{key}` must be true or false"));
                false
            }
            None => false,
        }
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

    /// Resolves `${name}` references and runs the static checks, now that all names exist.
    fn resolve(&mut self) {
        let mut found = Vec::new();
        for i in 0..self.nodes.len() {
            let list = self.nodes[i].kind.list();
            // Taken out so the checker can read the whole node table while editing them.
            let mut taken = take_exprs(&mut self.nodes[i]);
            for (k, e) in taken.iter_mut().enumerate() {
                if let Some(e) = e {
                    let filter = if k == FILTER { list } else { None };
                    self.site(filter).check(e, &mut found);
                }
            }
            put_exprs(&mut self.nodes[i], taken);
            self.resolve_computed(i, &mut found);
        }
        for e in [&mut self.not_eligible, &mut self.instance_name]
            .into_iter()
            .flatten()
        {
            let cx = typecheck::Site {
                filter: None,
                nodes: &self.nodes,
                by_name: &self.by_name,
                ambiguous: &self.ambiguous,
                lists: &self.lists,
            };
            cx.check(e, &mut found);
        }
        for (off, msg) in found {
            self.err(off, msg);
        }
        for (off, name) in std::mem::take(&mut self.label_refs) {
            let q = name.strip_prefix("last-saved#").unwrap_or(&name);
            if self.ambiguous.contains(q) {
                self.err(
                    off,
                    format!(
                        "`${{{q}}}` in text is ambiguous: more than one question is named `{q}`"
                    ),
                );
            } else if !self.by_name.contains_key(q) {
                self.err(off, format!("unknown question `${{{name}}}` in text"));
            }
        }
    }
}

impl<'a> Builder<'a> {
    fn new(loc: Locator<'a>) -> Builder<'a> {
        Builder {
            loc,
            diags: Vec::new(),
            languages: Vec::new(),
            default_language: String::new(),
            nodes: vec![root_node()],
            by_name: HashMap::new(),
            ambiguous: Default::default(),
            siblings: Default::default(),
            lists: Vec::new(),
            list_ids: HashMap::new(),
            spaced_lists: HashMap::new(),
            allow_choice_duplicates: false,
            label_refs: Vec::new(),
            not_eligible: None,
            instance_name: None,
        }
    }

    /// What the checker sees of the form so far; `filter` is the list a `choice_filter`
    /// filters.
    fn site(&self, filter: Option<ListId>) -> typecheck::Site<'_> {
        typecheck::Site {
            filter,
            nodes: &self.nodes,
            by_name: &self.by_name,
            ambiguous: &self.ambiguous,
            lists: &self.lists,
        }
    }

    /// A question's own calculation, dynamic default and triggers.
    fn resolve_computed(&mut self, i: usize, found: &mut Vec<(usize, String)>) {
        let n = &mut self.nodes[i];
        let mut calc = n.calculation.take();
        let mut dynamic = n.dynamic_default.take();
        let mut trigger = std::mem::take(&mut n.trigger);
        let mut seed = match &mut n.kind {
            Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s) => s.seed.take(),
            _ => None,
        };
        let cx = self.site(None);
        for e in calc
            .iter_mut()
            .chain(dynamic.iter_mut())
            .chain(seed.iter_mut())
            .chain(&mut trigger)
        {
            cx.check(e, found);
        }
        for t in &trigger {
            if let Expr::Ref { name, node, pos } = t
                && *node != expr::UNRESOLVED
                && !self.nodes[node.index()].kind.is_shown()
            {
                found.push((
                    *pos as usize,
                    format!("`${{{name}}}` is not shown to the respondent, so it cannot trigger a calculation"),
                ));
            }
        }
        let n = &mut self.nodes[i];
        (n.calculation, n.dynamic_default, n.trigger) = (calc, dynamic, trigger);
        if let Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s) = &mut n.kind {
            s.seed = seed;
        }
    }
}

/// Where `take_exprs` puts the `choice_filter`, the one expression that may name choice columns.
const FILTER: usize = 4;

/// Every expression of a node, moved out (relevant, constraint, calculation, repeat count,
/// choice filter, required, read-only); `put_exprs` puts them back.
fn take_exprs(n: &mut Node) -> [Option<Expr>; 7] {
    let placeholder = || Expr::Num(0.0);
    let (calc, count, filter) = match &mut n.kind {
        Kind::Calculate(e) => (Some(std::mem::replace(e, placeholder())), None, None),
        Kind::Repeat(r) => (None, r.count.take(), None),
        Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s) => {
            (None, None, s.filter.take())
        }
        _ => (None, None, None),
    };
    [
        n.relevant.take(),
        n.constraint.take(),
        calc,
        count,
        filter,
        take_flag(&mut n.required),
        take_flag(&mut n.read_only),
    ]
}

fn put_exprs(n: &mut Node, taken: [Option<Expr>; 7]) {
    let [rel, con, calc, count, filter, req, ro] = taken;
    (n.relevant, n.constraint) = (rel, con);
    match &mut n.kind {
        Kind::Calculate(e) => {
            if let Some(c) = calc {
                *e = c;
            }
        }
        Kind::Repeat(r) => r.count = count,
        Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s) => s.filter = filter,
        _ => {}
    }
    if let Some(e) = req {
        n.required = Flag::When(e);
    }
    if let Some(e) = ro {
        n.read_only = Flag::When(e);
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
        Kind::Repeat(_) => "repeat",
        Kind::Note => "note",
        Kind::Calculate(_) => "calculate",
        _ => "question",
    }
}

fn shift(e: &mut Expr, base: u32) {
    e.walk_mut(&mut |x| match x {
        Expr::Str { pos, .. }
        | Expr::Ref { pos, .. }
        | Expr::Name { pos, .. }
        | Expr::Bin { pos, .. }
        | Expr::Lookup { pos, .. }
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

/// FNV-1a, 64-bit: a stable fingerprint of a form file (not a security hash).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
