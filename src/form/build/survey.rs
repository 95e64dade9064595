//! The survey sheet: row types, groups and repeats, and each question's fields.

use super::*;
use crate::form::answer::parse_answer;

/// How deep groups and repeats may nest.
pub(crate) const MAX_NESTING: usize = 32;

impl Builder<'_> {
    pub(super) fn row_type(&mut self, v: &Spanned<Toml>) -> Option<RowType> {
        let t = self.string(v, "type")?;
        let words: Vec<&str> = t.split_whitespace().collect();
        let at = v.span().start;
        let norm = words
            .first()
            .map(|w| w.replace(' ', "_"))
            .unwrap_or_default();
        let list = |b: &mut Self, kind: fn(Select) -> Kind| -> Option<Kind> {
            let Some(name) = words.get(1) else {
                b.err(
                    at,
                    format!("`{norm}` needs a choice list name, like \"{norm} yes_no\""),
                );
                return None;
            };
            match b.list_ids.get(*name) {
                Some(id) => Some(kind(Select::new(*id))),
                None if name.starts_with("${") => {
                    let msg = format!(
                        "choices from the answers in a repeat (`{norm} {name}`) are not supported; list them on the choices sheet"
                    );
                    b.err(at, msg);
                    None
                }
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
                return Some(RowType::Begin(Kind::Repeat(Repeat {
                    scope: Scope::default(),
                    rslot: 0,
                    count: None,
                })));
            }
            ("end_group", None) | ("end", Some("group")) => return Some(RowType::End(End::Group)),
            ("end_repeat", None) | ("end", Some("repeat")) => {
                return Some(RowType::End(End::Repeat));
            }
            ("select_one", _) => list(self, Kind::SelectOne)?,
            ("select_multiple", _) => {
                let k = list(self, Kind::SelectMultiple)?;
                self.unspaced(k, at)
            }
            ("rank", _) => {
                let k = list(self, Kind::Rank)?;
                self.unspaced(k, at)
            }
            ("text", None) => Kind::Text,
            ("integer", None) => Kind::Integer,
            ("decimal", None) => Kind::Decimal,
            ("date", None) => Kind::Date,
            ("time", None) => Kind::Time,
            ("datetime", None) => Kind::DateTime,
            ("note", None) => Kind::Note,
            ("calculate", None) => Kind::Calculate(Expr::Num(0.0)),
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

    /// A select_multiple or rank answer is its choice names separated by spaces, so a list
    /// with a space inside a name cannot serve one.
    fn unspaced(&mut self, kind: Kind, at: usize) -> Kind {
        if let Some(l) = kind.list()
            && let Some(c) = self.spaced_lists.get(&l)
        {
            let msg = format!(
                "choice `{c}` in list `{}` has a space in its name, which a select_multiple or rank answer cannot hold",
                self.lists[l.index()].name
            );
            self.err(at, msg);
        }
        kind
    }

    pub(super) fn survey(&mut self, rows: &[Spanned<Row>]) {
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
                    let name = r.get("name").and_then(|n| n.get_ref().as_str());
                    self.close(stack.pop().map(|s| s.0), kind, name, tv.span().start);
                }
                RowType::Begin(kind) | RowType::Question(kind) => {
                    let is_begin = kind.is_container();
                    if is_begin && stack.len() >= MAX_NESTING {
                        // Deeper nesting is no real questionnaire, and every walker over the
                        // form would have to survive it on a small stack.
                        self.err(
                            tv.span().start,
                            format!(
                                "groups and repeats are nested more than {MAX_NESTING} deep here; flatten them"
                            ),
                        );
                        continue;
                    }
                    let parent = stack.last().map_or(ROOT, |s| s.0);
                    let id = self.node(r, at, kind, parent);
                    if is_begin {
                        stack.push((id, at));
                    }
                }
            }
        }
        for (open, _) in stack {
            self.unclosed(open);
        }
    }

    /// An `end_group`/`end_repeat` row at `at`, closing `open` (the innermost open one).
    fn close(&mut self, open: Option<NodeId>, end: End, name: Option<&str>, at: usize) {
        let kw = end.keyword();
        let Some(open) = open else {
            self.err(at, format!("`{kw}` without a matching begin"));
            return;
        };
        let n = &self.nodes[open.index()];
        if !end.closes(&n.kind) {
            let msg = format!(
                "`{kw}` closes {} `{}` (line {})",
                what(&n.kind),
                n.name,
                n.line
            );
            self.err(at, msg);
        } else if let Some(name) = name
            && name != n.name
        {
            let msg = format!("`{kw}` names `{name}` but closes `{}`", n.name);
            self.err(at, msg);
        }
    }

    /// A group or repeat still open at the end of the sheet.
    fn unclosed(&mut self, open: NodeId) {
        let n = &self.nodes[open.index()];
        let end = if n.kind.is_repeat() {
            End::Repeat
        } else {
            End::Group
        };
        let message = format!(
            "{} `{}` is never closed (missing `{}`)",
            what(&n.kind),
            n.name,
            end.keyword()
        );
        let line = n.line;
        self.diags.push(Diagnostic {
            line,
            col: 1,
            message,
            path: self.loc_path(),
            place: None,
        });
    }

    pub(super) fn loc_path(&self) -> String {
        self.loc.at(0, "").path
    }

    pub(super) fn node(&mut self, r: &Row, at: usize, mut kind: Kind, parent: NodeId) -> NodeId {
        let id = NodeId::new(self.nodes.len());
        let mut n = root_node();
        (n.name, n.key) = self.node_name(r, at, &kind, id, parent);
        n.parent = parent;
        n.line = self.loc.line_col(at).0;
        self.common_fields(r, at, &kind, &mut n);
        self.consent_and_sensitive(r, &kind, parent, &mut n);
        self.kind_fields(r, at, &mut kind, &mut n);
        if let Some(v) = r.get("default") {
            self.default(v, &kind, &mut n);
        }
        if let Some(v) = r.get("trigger") {
            n.trigger = self.trigger(v);
        }
        if matches!(kind, Kind::Calculate(_)) && r.get("calculation").is_none() {
            kind = Kind::Calculate(calculated_default(&mut n));
        }
        // A question computed or triggered with neither label nor hint is not shown: pyxform
        // makes it a calculation of that type.
        if kind.is_shown()
            && n.label.is_none()
            && n.hint.is_none()
            && (n.calculation.is_some() || !n.trigger.is_empty())
        {
            let blank = Expr::Str {
                text: String::new(),
                pos: 0,
            };
            kind = Kind::Calculate(n.calculation.take().unwrap_or(blank));
        }
        n.kind = kind;
        self.place(id, &mut n);
        self.nodes.push(n);
        id
    }

    /// The row's `name`, checked: unique within its group or repeat (as pyxform asks);
    /// a repeat's name unique among the form's repeats. Returns the name and the node's key.
    fn node_name(
        &mut self,
        r: &Row,
        at: usize,
        kind: &Kind,
        id: NodeId,
        parent: NodeId,
    ) -> (String, String) {
        let Some(v) = r.get("name") else {
            self.err(at, format!("{} has no `name`", what(kind)));
            return (String::new(), String::new());
        };
        let n = self.string(v, "name").unwrap_or_default();
        if n.is_empty() {
            return (n, String::new());
        }
        if !valid_name(&n) {
            self.err(v.span().start, format!("name `{n}` must start with a letter or `_` and hold only letters, digits, `_`, `-` or `.`"));
            return (n.clone(), n);
        }
        if let Some(first) = self.siblings.get(&(parent, n.clone())) {
            let fl = self.nodes[first.index()].line;
            let msg = format!("duplicate name `{n}` (first used on line {fl})");
            self.err(v.span().start, msg);
            return (n.clone(), n);
        }
        self.siblings.insert((parent, n.clone()), id);
        let first = self.by_name.get(&n).copied();
        if kind.is_repeat() && self.nodes.iter().any(|m| m.kind.is_repeat() && m.name == n) {
            let msg = format!(
                "duplicate name `{n}`: a repeat's name must be unique among the form's repeats"
            );
            self.err(v.span().start, msg);
            return (n.clone(), n);
        }
        if let Some(first) = first {
            // The name is now shared: both are known by their paths from here on.
            self.by_name.remove(&n);
            self.ambiguous.insert(n.clone());
            let key = self.path_key(self.nodes[first.index()].parent, &n);
            self.nodes[first.index()].key = key.clone();
            self.by_name.insert(key, first);
        }
        if self.ambiguous.contains(&n) {
            let key = self.path_key(parent, &n);
            self.by_name.insert(key.clone(), id);
            return (n, key);
        }
        self.by_name.insert(n.clone(), id);
        (n.clone(), n)
    }

    /// `outer:inner:name`: the groups and repeats from the top down to `parent`, then `name`.
    fn path_key(&self, parent: NodeId, name: &str) -> String {
        let mut parts = vec![name.to_string()];
        let mut p = parent;
        while p != ROOT {
            parts.push(self.nodes[p.index()].name.clone());
            p = self.nodes[p.index()].parent;
        }
        parts.reverse();
        parts.join(":")
    }

    /// Fields any row may have: texts, flags, relevance, constraint, appearance.
    fn common_fields(&mut self, r: &Row, at: usize, kind: &Kind, n: &mut Node) {
        let get = |k: &str| r.get(k);
        if let Some(v) = get("label") {
            n.label = self.text(v, "label");
        } else if kind.is_shown()
            && get("hint").is_none()
            && get("calculation").is_none()
            && get("trigger").is_none()
        {
            // As pyxform: a hint alone will do (the name stands in for the label).
            self.err(at, format!("{} `{}` has no label", what(kind), n.name));
        }
        if let Some(v) = get("hint") {
            n.hint = self.text(v, "hint");
        }
        if let Some(v) = get("guidance_hint") {
            n.guidance = self.text(v, "guidance_hint");
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
    }

    /// `consent` (a select_one with a `yes` choice, outside repeats) and `sensitive`.
    fn consent_and_sensitive(&mut self, r: &Row, kind: &Kind, parent: NodeId, n: &mut Node) {
        if let Some(v) = r.get("consent") {
            n.consent = self.yes_question_flag(v, kind, parent, "consent", "a consent question");
        }
        if let Some(v) = r.get("referral") {
            n.referral =
                self.yes_question_flag(v, kind, parent, "referral", "the referral question");
            if n.referral && self.nodes.iter().any(|m| m.referral) {
                self.err(v.span().start, "a form has one referral question");
            }
        }
        if let Some(v) = r.get("sensitive") {
            match v.get_ref() {
                Toml::Boolean(b) => n.sensitive = *b,
                _ => self.err(v.span().start, "`sensitive` must be true or false"),
            }
        }
    }

    /// `consent = true` / `referral = true`: allowed on a select_one whose list has a `yes`
    /// choice, outside repeats (the answer is read as yes or not).
    fn yes_question_flag(
        &mut self,
        v: &Spanned<Toml>,
        kind: &Kind,
        parent: NodeId,
        field: &str,
        what: &str,
    ) -> bool {
        let yes = kind
            .list()
            .is_some_and(|l| self.lists[l.index()].find("yes").is_some());
        let on = match (v.get_ref(), kind) {
            (Toml::Boolean(b), Kind::SelectOne(_)) if yes => *b,
            (Toml::Boolean(false), _) => false,
            _ => {
                self.err(
                    v.span().start,
                    format!("`{field} = true` goes on a select_one question whose list has a `yes` choice"),
                );
                false
            }
        };
        if on && !self.nodes[parent.index()].chain.is_empty() {
            self.err(v.span().start, format!("{what} cannot be inside a repeat"));
        }
        on
    }

    /// Fields that belong to one kind only: calculation, choice filter, repeat count, range
    /// parameters; each refused with a message elsewhere.
    fn kind_fields(&mut self, r: &Row, at: usize, kind: &mut Kind, n: &mut Node) {
        let get = |k: &str| r.get(k);
        match (get("calculation"), &mut *kind) {
            (Some(v), Kind::Calculate(e)) => {
                if let Some(c) = self.expr(v, "calculation") {
                    *e = c;
                }
            }
            // A computed answer, as XLSForm allows on any question.
            (Some(v), k) if k.is_shown() => n.calculation = self.expr(v, "calculation"),
            (Some(v), _) => self.err(
                v.span().start,
                "`calculation` belongs on a `calculate` row or a question",
            ),
            // pyxform takes a default (or a trigger) in place of the calculation.
            (None, Kind::Calculate(_)) if get("default").is_some() || get("trigger").is_some() => {}
            (None, Kind::Calculate(_)) => {
                self.err(at, format!("calculate `{}` has no `calculation`", n.name))
            }
            _ => {}
        }
        match (get("choice_filter"), &mut *kind) {
            (Some(v), Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s)) => {
                s.filter = self.expr(v, "choice_filter")
            }
            (Some(v), _) => self.err(
                v.span().start,
                "`choice_filter` belongs on a select or rank question",
            ),
            _ => {}
        }
        match (get("repeat_count"), &mut *kind) {
            (Some(v), Kind::Repeat(rep)) => {
                rep.count = match v.get_ref() {
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
        match (get("parameters"), kind) {
            (Some(v), Kind::Range(spec)) => self.range(v, spec),
            (Some(v), Kind::SelectOne(s) | Kind::SelectMultiple(s) | Kind::Rank(s)) => {
                self.randomize(v, s)
            }
            (Some(v), _) => self.err(
                v.span().start,
                "`parameters` belong on a `range` or a select question",
            ),
            _ => {}
        }
    }

    /// Gives the node its scope chain and answer slot, and links it to its parent.
    pub(super) fn place(&mut self, id: NodeId, n: &mut Node) {
        let parent = n.parent.index();
        n.chain = self.nodes[parent].chain.clone();
        let outer = n.chain.last().copied().unwrap_or(ROOT).index();
        // The root and every repeat own a scope, so `outer` always has one.
        let Some(scope) = self.nodes[outer].kind.scope_mut() else {
            return;
        };
        if let Kind::Repeat(rep) = &mut n.kind {
            rep.rslot = scope.child_repeats.len() as u32;
            scope.child_repeats.push(id);
            n.chain.push(id);
            n.slot = 0;
            rep.scope.nslots = 1;
        } else {
            n.slot = scope.nslots;
            scope.nslots += 1;
        }
        self.nodes[parent].children.push(id);
    }

    /// A select's `parameters`: `randomize = true` and an optional `seed` (a number or
    /// `${q}`), checked as pyxform checks them.
    fn randomize(&mut self, v: &Spanned<Toml>, s: &mut Select) {
        let at = v.span().start;
        let Some(tab) = v.get_ref().as_table() else {
            self.err(
                at,
                "`parameters` must be a table, like { randomize = true }",
            );
            return;
        };
        for (k, val) in tab {
            match (k.as_str(), val) {
                ("randomize", Toml::Boolean(b)) => s.randomize = *b,
                ("randomize", _) => self.err(at, "`randomize` must be true or false"),
                ("seed", Toml::Integer(n)) => s.seed = Some(Expr::Num(*n as f64)),
                ("seed", Toml::Float(n)) => s.seed = Some(Expr::Num(*n)),
                ("seed", Toml::String(t)) if t.trim_start().starts_with("${") => {
                    let e = expr::parse(t.trim());
                    match e {
                        Ok(e @ Expr::Ref { .. }) => s.seed = Some(e),
                        _ => self.err(at, "`seed` must be a number or a reference like ${q}"),
                    }
                }
                ("seed", _) => self.err(at, "`seed` must be a number or a reference like ${q}"),
                _ => self.err(
                    at,
                    format!("unknown select parameter `{k}` (use randomize, seed)"),
                ),
            }
        }
        if s.seed.is_some() && !s.randomize {
            self.err(at, "`seed` only goes with `randomize = true`");
        }
    }

    pub(super) fn range(&mut self, v: &Spanned<Toml>, spec: &mut RangeSpec) {
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

    /// `default`: a fixed answer, or an expression (pyxform's "dynamic default": it reads
    /// answers, calls a function or computes), evaluated when the question is first reached.
    pub(super) fn default(&mut self, v: &Spanned<Toml>, kind: &Kind, n: &mut Node) {
        if let Toml::String(s) = v.get_ref()
            && is_dynamic(s, kind)
        {
            n.dynamic_default = self.expr(v, "default");
        } else {
            n.default = self.fixed_default(v, kind);
        }
    }

    /// `trigger`: one or more `${name}`, separated by commas.
    fn trigger(&mut self, v: &Spanned<Toml>) -> Vec<Expr> {
        let Some(src) = self.string(v, "trigger") else {
            return Vec::new();
        };
        let base = self.loc.string_body(v.span().start);
        let mut out = Vec::new();
        let mut off = 0;
        for part in src.split(',') {
            let at = base + off + (part.len() - part.trim_start().len());
            off += part.len() + 1;
            match expr::parse(part.trim()) {
                Ok(mut e @ Expr::Ref { .. }) => {
                    shift(&mut e, at as u32);
                    out.push(e);
                }
                _ => self.err(
                    at,
                    format!("`trigger` names questions like ${{q}} (several separated by commas), not `{}`", part.trim()),
                ),
            }
        }
        out
    }

    fn fixed_default(&mut self, v: &Spanned<Toml>, kind: &Kind) -> Option<expr::Value> {
        let raw = match v.get_ref() {
            Toml::String(s) => s.clone(),
            Toml::Integer(i) => i.to_string(),
            Toml::Float(f) => f.to_string(),
            _ => {
                self.err(v.span().start, "`default` must be text or a number");
                return None;
            }
        };
        let list = kind.list().map(|l| &self.lists[l.index()]);
        let utc = FixedOffset::east_opt(0)?;
        match parse_answer(kind, list, &raw, utc) {
            Ok(val) => Some(val),
            Err(e) => {
                let msg = crate::form::messages::answer_error(&e, "en");
                self.err(v.span().start, format!("default `{raw}`: {msg}"));
                None
            }
        }
    }
}

/// pyxform's rule for a dynamic default: it references a question, calls a function, or
/// uses an operator (a `-` in a date is not one).
fn is_dynamic(s: &str, kind: &Kind) -> bool {
    let date = matches!(kind, Kind::Date | Kind::DateTime);
    s.contains("${")
        || s.contains('(')
        || s.contains('[')
        || s.contains(['+', '*', '|'])
        || [" div ", " mod "].iter().any(|op| s.contains(op))
        || (!date && s.contains(" - "))
}

/// A calculate row with a `default` and no `calculation` holds the default: computed once.
fn calculated_default(n: &mut Node) -> Expr {
    let blank = || Expr::Str {
        text: String::new(),
        pos: 0,
    };
    if !n.trigger.is_empty() {
        return blank();
    }
    let e = match (n.dynamic_default.take(), &n.default) {
        (Some(e), _) => e,
        (None, Some(v)) => Expr::Str {
            text: v.to_str().into_owned(),
            pos: 0,
        },
        (None, None) => return blank(),
    };
    Expr::Call {
        func: expr::Func::Once,
        args: vec![e],
        pos: 0,
    }
}
