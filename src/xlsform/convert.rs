//! From XLSForm sheets to our TOML form, remembering where each line came from so that
//! problems are reported at the spreadsheet's sheet, row and column.

use super::read::Sheet;
use std::collections::BTreeMap;

/// Where a generated line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub sheet: String,
    pub row: u32,
    pub column: String,
}

#[derive(Debug, Default)]
pub struct Converted {
    pub toml: String,
    /// Per generated line (0-based), its origin.
    pub origins: Vec<Option<Origin>>,
    pub warnings: Vec<(Origin, String)>,
    pub errors: Vec<(Origin, String)>,
    /// Lists used by an `or_other` select: each gets an `other` choice.
    or_other: Vec<String>,
    /// Lists on the choices sheet: an `external_choices` list of the same name is renamed.
    sheet_lists: std::collections::HashMap<String, Vec<String>>,
}

impl Converted {
    pub(super) fn line(&mut self, text: String, origin: Option<Origin>) {
        self.toml.push_str(&text);
        self.toml.push('\n');
        // A value may be written as a multi-line string: every line it takes has the origin.
        for _ in 0..=text.matches('\n').count() {
            self.origins.push(origin.clone());
        }
    }
}

pub(super) fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        q(s)
    }
}

/// `label::English (en)` → ("label", Some("en")); `Relevance` → ("relevant", None).
/// pyxform also takes one colon before a language on the text columns (`label:English`,
/// `hint:Français (fr)`); elsewhere a single colon is part of the name (`jr:choice-name`).
pub fn header(h: &str) -> (String, Option<String>) {
    let one_colon = || {
        let (b, l) = h.split_once(':')?;
        let text = TEXT_FIELDS.contains(&b.trim().to_ascii_lowercase().replace(' ', "_").as_str());
        (text && !l.trim().is_empty()).then_some((b, Some(l.trim())))
    };
    let (base, lang) = match h.split_once("::") {
        Some((b, l)) => (b, Some(l.trim())),
        None => one_colon().unwrap_or((h, None)),
    };
    let base = base.trim().to_ascii_lowercase().replace(' ', "_");
    let base = match base.as_str() {
        "relevance" => "relevant",
        "calculate" => "calculation",
        "list" => "list_name",
        "value" => "name",
        "readonly" => "read_only",
        "requiredmsg" => "required_message",
        "constraint_msg" => "constraint_message",
        other => other,
    }
    .to_string();
    let lang = lang.map(|l| match (l.rfind('('), l.rfind(')')) {
        (Some(a), Some(b)) if b > a => l[a + 1..b].trim().to_string(),
        _ => l.to_string(),
    });
    (base, lang)
}

pub(super) const TEXT_FIELDS: &[&str] = &[
    "label",
    "hint",
    "guidance_hint",
    "required_message",
    "constraint_message",
];
const PLAIN_FIELDS: &[&str] = &[
    "relevant",
    "constraint",
    "calculation",
    "trigger",
    "default",
    "choice_filter",
    "appearance",
];
const MEDIA: &[&str] = &["image", "audio", "video", "big-image", "media"];
/// Metadata rows kept as calculations, so that `${start}` and the like still resolve: the
/// times are the interview's own; device and person identifiers are not collected (the
/// surveyor's name and the device are recorded by Lắng Nghe itself, outside the answers).
const KEPT_METADATA: &[(&str, &str)] = &[
    ("start", "once(now())"),
    ("end", "once(now())"),
    ("today", "once(today())"),
    ("deviceid", "''"),
    ("subscriberid", "''"),
    ("simserial", "''"),
    ("phonenumber", "''"),
    ("username", "''"),
    ("email", "''"),
    ("imei", "''"),
];
const METADATA: &[&str] = &[
    "audit",
    "start-geopoint",
    "background-audio",
    "background-geopoint",
];
const GEO_MEDIA_TYPES: &[&str] = &[
    "gps", "geopoint", "geotrace", "geoshape", "image", "audio", "video", "file", "barcode", "osm",
];
const EXTERNAL_TYPES: &[&str] = &[
    "select_one_from_file",
    "select_multiple_from_file",
    "xml-external",
    "csv-external",
];

struct Table<'a> {
    sheet: &'a Sheet,
    /// Column index → (field, language).
    cols: Vec<(String, Option<String>)>,
    raw_headers: Vec<String>,
}

impl<'a> Table<'a> {
    fn new(sheet: &'a Sheet) -> Option<Table<'a>> {
        let (_, head) = sheet.rows.first()?;
        Some(Table {
            sheet,
            cols: head.iter().map(|h| header(h)).collect(),
            raw_headers: head.clone(),
        })
    }
    fn rows(&self) -> impl Iterator<Item = &(u32, Vec<String>)> {
        self.sheet.rows.iter().skip(1)
    }
    fn origin(&self, row: u32, col: usize) -> Origin {
        Origin {
            sheet: self.sheet.name.to_ascii_lowercase(),
            row,
            column: self.raw_headers.get(col).cloned().unwrap_or_default(),
        }
    }
    fn find(&self, field: &str) -> Option<usize> {
        self.cols
            .iter()
            .position(|(f, l)| f == field && l.is_none())
    }
}

fn sheet<'a>(sheets: &'a [Sheet], name: &str) -> Option<&'a Sheet> {
    sheets
        .iter()
        .find(|s| s.name.trim().eq_ignore_ascii_case(name))
}

/// The survey sheet; pyxform reads a workbook of one sheet that is no other XLSForm sheet,
/// whatever its name (`Sheet1`), as the survey.
fn survey_sheet(sheets: &[Sheet]) -> Option<&Sheet> {
    const SHEETS: &[&str] = &[
        "survey",
        "choices",
        "settings",
        "external_choices",
        "entities",
        "osm",
    ];
    sheet(sheets, "survey").or(match sheets {
        [one] if !SHEETS.contains(&one.name.trim().to_ascii_lowercase().as_str()) => Some(one),
        _ => None,
    })
}

/// Converts. `stem` (the file name) stands in for a missing `form_id`.
pub fn convert(sheets: &[Sheet], stem: &str) -> Converted {
    let mut out = Converted::default();
    let top = Origin {
        sheet: "survey".into(),
        row: 1,
        column: String::new(),
    };
    let expanded = survey_sheet(sheets).map(|s| super::loops::expand(s, sheet(sheets, "choices")));
    let Some(survey) = expanded.as_ref().and_then(Table::new) else {
        out.errors.push((top, "there is no `survey` sheet".into()));
        return out;
    };
    let choices = sheet(sheets, "choices").and_then(Table::new);
    if let Some(ch) = &choices
        && let Some(lc) = ch.find("list_name")
    {
        let nc = ch.find("name");
        for (_, v) in ch.rows() {
            if let Some(list) = v.get(lc).filter(|l| !l.is_empty()) {
                let name = nc.and_then(|c| v.get(c)).cloned().unwrap_or_default();
                out.sheet_lists.entry(list.clone()).or_default().push(name);
            }
        }
    }
    if sheet(sheets, "entities").is_some() {
        out.warnings.push((
            Origin {
                sheet: "entities".into(),
                row: 1,
                column: String::new(),
            },
            "entities (ODK Central datasets) are not supported; the sheet is ignored and the \
             interviews create or update no entity"
                .into(),
        ));
    }
    let settings = sheet(sheets, "settings").and_then(Table::new);

    let setting = |key: &str| -> Option<(String, Origin)> {
        let t = settings.as_ref()?;
        let c = t.find(key)?;
        let (row, vals) = t.rows().next()?;
        let v = vals.get(c).filter(|v| !v.is_empty())?;
        Some((v.clone(), t.origin(*row, c)))
    };
    let (langs, default_lang) = form_languages(&survey, choices.as_ref(), &setting);
    for key in ["public_key", "submission_url", "style"] {
        if let Some((_, o)) = setting(key) {
            out.warnings
                .push((o, format!("`{key}` is noted but not used by Lắng Nghe")));
        }
    }

    settings_section(&mut out, &setting, stem, &langs, &default_lang);
    let root = setting("name").map_or("data".to_string(), |(v, _)| v);
    pyxform_rules(
        &mut out,
        &survey,
        &root,
        sheet(sheets, "entities").is_some(),
    );

    for (row, vals) in survey.rows() {
        survey_row(&mut out, &survey, *row, vals, &langs);
    }
    if let Some(ch) = &choices {
        choice_rows(&mut out, ch, &langs, &|_| None);
    }
    // select_one_external's lists sit on their own sheet; the form reads them like any other.
    if let Some(ext) = sheet(sheets, "external_choices").and_then(Table::new) {
        let lists = out.sheet_lists.clone();
        choice_rows(&mut out, &ext, &langs, &|l| {
            lists.contains_key(l).then(|| format!("{l}_external"))
        });
    }
    other_choices(&mut out, choices.as_ref(), &langs);
    out
}

/// Languages: every `xxx::lang` column; the default from settings, else the first found.
/// The default comes first.
fn form_languages(
    survey: &Table,
    choices: Option<&Table>,
    setting: &dyn Fn(&str) -> Option<(String, Origin)>,
) -> (Vec<String>, String) {
    let mut langs = languages(survey, choices);
    let default_lang = setting("default_language")
        .map(|(v, _)| header(&format!("x::{v}")).1.unwrap_or(v))
        .or_else(|| langs.first().cloned())
        .unwrap_or_else(|| "default".into());
    langs.retain(|l| *l != default_lang);
    langs.insert(0, default_lang.clone());
    (langs, default_lang)
}

/// The `other` choice each `or_other` list gets, unless it has one.
fn other_choices(out: &mut Converted, choices: Option<&Table>, langs: &[String]) {
    for list in std::mem::take(&mut out.or_other) {
        let has_other = choices.is_some_and(|ch| {
            let (lc, nc) = (ch.find("list_name"), ch.find("name"));
            ch.rows().any(|(_, v)| {
                lc.and_then(|c| v.get(c)) == Some(&list)
                    && nc.and_then(|c| v.get(c)).map(String::as_str) == Some("other")
            })
        });
        if !has_other {
            out.line(String::new(), None);
            out.line(format!("[[choices.{}]]", key(&list)), None);
            out.line("name = \"other\"".into(), None);
            // pyxform writes "Other" in every language; a Vietnamese column gets its word.
            for l in langs {
                let text = if l == "vi" { "Khác" } else { "Other" };
                out.line(format!("label.{} = {}", key(l), q(text)), None);
            }
        }
    }
}

/// What pyxform refuses that our own form check would let through: a survey sheet without
/// a `type` column, the reserved name `meta`, a repeat named like the form's root, a name
/// clashing with the `NAME_count` pyxform generates for a computed `repeat_count`, and
/// `save_to` without an entities sheet.
fn pyxform_rules(out: &mut Converted, survey: &Table, root: &str, entities: bool) {
    if survey.find("type").is_none() {
        let o = Origin {
            sheet: "survey".into(),
            row: survey.sheet.rows.first().map_or(1, |r| r.0),
            column: String::new(),
        };
        out.errors
            .push((o, "the survey sheet has no `type` column".into()));
        return;
    }
    // Two spellings of one column (`name` and `value`): pyxform cannot tell which is meant.
    for (i, (f, l)) in survey.cols.iter().enumerate() {
        let first = survey.cols.iter().position(|c| c.0 == *f && c.1 == *l);
        if !f.is_empty()
            && first.is_some_and(|j| {
                j < i && survey.raw_headers[j].trim() != survey.raw_headers[i].trim()
            })
        {
            let j = first.unwrap_or(0);
            let msg = format!(
                "columns `{}` and `{}` are two names for the same column; keep one",
                survey.raw_headers[j].trim(),
                survey.raw_headers[i].trim()
            );
            out.errors
                .push((survey.origin(survey.sheet.rows[0].0, i), msg));
        }
    }
    let cell = |vals: &[String], f: &str| {
        survey
            .find(f)
            .and_then(|c| vals.get(c).map(|v| (v.trim().to_string(), c)))
            .filter(|(v, _)| !v.is_empty())
    };
    let names: Vec<String> = survey
        .rows()
        .filter_map(|(_, v)| cell(v, "name").map(|(n, _)| n))
        .collect();
    for (row, vals) in survey.rows() {
        let ty = cell(vals, "type").map_or(String::new(), |(t, _)| t.to_ascii_lowercase());
        let repeat = ty.starts_with("begin") && ty.contains("repeat");
        if let Some((name, c)) = cell(vals, "name") {
            let o = survey.origin(*row, c);
            if name == "meta" && !ty.starts_with("end") {
                out.errors.push((
                    o,
                    "the name `meta` is reserved for the form's metadata".into(),
                ));
            } else if repeat && name == root {
                out.errors.push((
                    o,
                    format!("a repeat cannot be named `{root}`, the name of the form's root"),
                ));
            } else if repeat
                && cell(vals, "repeat_count").is_some()
                && names.contains(&format!("{name}_count"))
            {
                out.errors.push((o, format!("`{name}_count` is the name pyxform gives this repeat's count; rename that question")));
            }
        }
        if !entities && let Some((_, c)) = cell(vals, "save_to") {
            out.errors.push((
                survey.origin(*row, c),
                "`save_to` saves to an entity, and there is no entities sheet".into(),
            ));
        }
    }
}

/// The `[settings]` table: id, version, instance name, title in every language, languages.
fn settings_section(
    out: &mut Converted,
    setting: &dyn Fn(&str) -> Option<(String, Origin)>,
    stem: &str,
    langs: &[String],
    default_lang: &str,
) {
    out.line(
        format!("# Imported from an XLSForm ({stem}) by `langnghe import-xlsform`."),
        None,
    );
    out.line("[settings]".into(), None);
    // pyxform's own names first (`id_string`, `title`); `form_id`/`form_title` are its aliases.
    let named = |a: &str, b: &str, or: &str| {
        setting(a)
            .or_else(|| setting(b))
            .map_or((or.to_string(), None), |(v, o)| (v, Some(o)))
    };
    let (id, id_o) = named("id_string", "form_id", stem);
    let id = match (form_id(&id), id_o.clone()) {
        (tidy, Some(o)) if tidy != id => {
            out.warnings.push((o, format!("form id `{id}` is written `{tidy}` here (letters, digits, `_`, `-` and `.` only)")));
            tidy
        }
        (tidy, _) => tidy,
    };
    out.line(format!("id = {}", q(&id)), id_o);
    if let Some((v, o)) = setting("version") {
        out.line(format!("version = {}", q(&v)), Some(o));
    }
    if let Some((v, o)) = setting("instance_name") {
        // A bare word is an XPath path to nothing in ODK; the designer meant the text.
        let v = if crate::form::valid_name(&v) && !v.contains("${") {
            out.warnings.push((
                o.clone(),
                format!("instance_name `{v}` is read as the text '{v}'"),
            ));
            format!("'{v}'")
        } else {
            v
        };
        out.line(format!("instance_name = {}", q(&v)), Some(o));
    }
    if let Some((v, o)) = setting("not_eligible") {
        out.line(format!("not_eligible = {}", q(&v)), Some(o));
    }
    if let Some((v, o)) = setting("allow_choice_duplicates") {
        let yes = matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1");
        out.line(format!("allow_choice_duplicates = {yes}"), Some(o));
    }
    let (title, title_o) = named("title", "form_title", &id);
    for l in langs {
        out.line(format!("title.{} = {}", key(l), q(&title)), title_o.clone());
    }
    out.line(format!("default_language = {}", q(default_lang)), None);
    out.line(
        format!(
            "languages = [{}]",
            langs.iter().map(|l| q(l)).collect::<Vec<_>>().join(", ")
        ),
        None,
    );
}

/// Every language named by a `label::xx`-style column, in the order first seen.
fn languages(survey: &Table, choices: Option<&Table>) -> Vec<String> {
    let mut langs: Vec<String> = Vec::new();
    for t in [Some(survey), choices].into_iter().flatten() {
        for (f, l) in &t.cols {
            if let Some(l) = l
                && TEXT_FIELDS.contains(&f.as_str())
                && !langs.contains(l)
            {
                langs.push(l.clone());
            }
        }
    }
    langs
}

/// The choices sheet: one `[[choices.LIST]]` table per row, labels per language, other
/// columns (for `choice_filter`) as they are.
/// `rename` gives a list another name (an `external_choices` list that the choices sheet
/// also has).
fn choice_rows(
    out: &mut Converted,
    ch: &Table,
    langs: &[String],
    rename: &dyn Fn(&String) -> Option<String>,
) {
    let list_col = ch.find("list_name");
    for (row, vals) in ch.rows() {
        let Some(lc) = list_col else { break };
        let list = vals.get(lc).cloned().unwrap_or_default();
        if list.is_empty() {
            continue;
        }
        let list = rename(&list).unwrap_or(list);
        out.line(String::new(), None);
        out.line(
            format!("[[choices.{}]]", key(&list)),
            Some(ch.origin(*row, lc)),
        );
        let mut texts: BTreeMap<String, Vec<(String, String, usize)>> = BTreeMap::new();
        for (c, v) in vals.iter().enumerate() {
            if v.is_empty() || Some(c) == list_col {
                continue;
            }
            // A cell beyond the header's last column has no field: pyxform ignores it.
            let Some((field, lang)) = ch.cols.get(c) else {
                continue;
            };
            if field == "label" {
                texts.entry("label".into()).or_default().push((
                    lang.clone().unwrap_or_else(|| langs[0].clone()),
                    v.clone(),
                    c,
                ));
            } else if MEDIA.contains(&field.as_str()) {
                out.warnings
                    .push((ch.origin(*row, c), "media is not supported; ignored".into()));
            } else if field == "name" || field == "list_name" {
                out.line(format!("{field} = {}", q(v)), Some(ch.origin(*row, c)));
            } else if !field.is_empty() {
                // Other columns keep their case: `choice_filter` names them as written.
                let raw = ch.raw_headers.get(c).map_or(field.as_str(), |h| h.trim());
                out.line(format!("{} = {}", key(raw), q(v)), Some(ch.origin(*row, c)));
            }
        }
        let name = ch.find("name").and_then(|c| vals.get(c).map(|v| (v, c)));
        if let Some((n, c)) = name
            && n.trim().contains(char::is_whitespace)
        {
            let msg = format!(
                "choice name `{n}` holds a space: fine for select_one, refused by select_multiple and rank"
            );
            out.warnings.push((ch.origin(*row, c), msg));
        }
        if let (false, Some((name, c))) = (texts.contains_key("label"), name)
            && !name.is_empty()
        {
            // pyxform warns and ODK shows the name: so do we.
            out.warnings.push((
                ch.origin(*row, c),
                format!("choice `{name}` has no label; its name is shown"),
            ));
            texts.insert("label".into(), vec![(langs[0].clone(), name.clone(), c)]);
        }
        emit_texts(out, texts, langs, |c| ch.origin(*row, c));
    }
}

fn emit_texts(
    out: &mut Converted,
    texts: BTreeMap<String, Vec<(String, String, usize)>>,
    langs: &[String],
    origin: impl Fn(usize) -> Origin,
) {
    for (field, by_lang) in texts {
        for l in langs {
            match by_lang.iter().find(|(bl, _, _)| bl == l) {
                Some((_, text, c)) => out.line(
                    format!("{field}.{} = {}", key(l), q(text)),
                    Some(origin(*c)),
                ),
                None => {
                    // As ODK shows the other language, so do we; but say so.
                    let (from, text, c) = &by_lang[0];
                    out.warnings.push((
                        origin(*c),
                        format!("{field} has no `{l}` text; using the `{from}` one"),
                    ));
                    out.line(
                        format!("{field}.{} = {}", key(l), q(text)),
                        Some(origin(*c)),
                    );
                }
            }
        }
    }
}

/// A survey row's type in our spelling (`begin group` → `begin_group`, `select one L` →
/// `select_one L`, `trigger` → `acknowledge`…); `None` when the row is dropped with a
/// warning or refused with an error.
/// The other spellings pyxform reads for selects and plain types: `select one LIST`,
/// `select one from LIST`, `select all that apply from LIST`, `string`, `int`.
fn spelled_type(words: &[String]) -> Option<String> {
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let rest = |n: usize| words.get(n..).unwrap_or_default().join(" ");
    match lower.as_slice() {
        ["select", w @ ("one" | "multiple"), "from", ..] => Some(format!("select_{w} {}", rest(3))),
        ["select", w @ ("one" | "multiple"), ..] => Some(format!("select_{w} {}", rest(2))),
        ["select", "all", "that", "apply", "from", ..] => {
            Some(format!("select_multiple {}", rest(5)))
        }
        ["string"] | ["phone", "number"] => Some("text".into()),
        ["int"] => Some("integer".into()),
        _ => None,
    }
}

fn row_type(
    out: &mut Converted,
    t: &Table,
    row: u32,
    ty_raw: &str,
    ty_col: usize,
) -> Option<String> {
    // pyxform's `uri:deviceid`-style spellings of the metadata types.
    let ty_raw = ty_raw.trim().strip_prefix("uri:").unwrap_or(ty_raw.trim());
    let words: Vec<String> = ty_raw.split_whitespace().map(|w| w.to_string()).collect();
    // A type cell of spaces only has no first word.
    let Some(first) = words.first().map(|w| w.to_ascii_lowercase()) else {
        out.errors
            .push((t.origin(row, ty_col), "row has no type".into()));
        return None;
    };
    if let Some(ty) = spelled_type(&words) {
        return Some(ty);
    }
    let o = || t.origin(row, ty_col);
    let ty = match (first.as_str(), words.get(1).map(|w| w.to_ascii_lowercase())) {
        ("begin" | "end", Some(w)) if w == "group" || w == "repeat" => format!("{first}_{w}"),
        ("begin_group" | "end_group" | "begin_repeat" | "end_repeat", _) => first,
        ("datetime", _) => "datetime".into(),
        (f, None) if KEPT_METADATA.iter().any(|(m, _)| *m == f) => {
            let note = metadata_note(f);
            out.warnings
                .push((o(), format!("`{f}` is kept as a calculation: {note}")));
            f.to_string()
        }
        ("hidden", None) => "calculate".into(),
        ("trigger", _) => "acknowledge".into(),
        // Its choices are on the `external_choices` sheet of the same workbook.
        ("select_one_external", Some(_)) => format!("select_one {}", external(out, &words[1])),
        (f, _) => return unsupported_type(out, o(), f).then(|| plain_type(ty_raw)),
    };
    Some(ty)
}

/// A type as written, spaces tidied (`dateTime` is our `datetime`).
fn plain_type(ty_raw: &str) -> String {
    ty_raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replacen("dateTime", "datetime", 1)
}

/// Whether a type may go on to the form check: false (with a warning or an error) for
/// metadata we record ourselves, geo and media, and external data.
fn unsupported_type(out: &mut Converted, o: Origin, f: &str) -> bool {
    if METADATA.contains(&f) {
        out.warnings.push((
            o,
            format!("`{f}` is recorded by Lắng Nghe itself (or not collected); row ignored"),
        ));
        return false;
    }
    if GEO_MEDIA_TYPES.contains(&f) {
        out.warnings
            .push((o, format!("`{f}` questions are not supported; row ignored")));
        return false;
    }
    if EXTERNAL_TYPES.contains(&f) {
        out.errors.push((
            o,
            format!("`{f}` needs external data files, which are not supported"),
        ));
        return false;
    }
    true
}

fn metadata_note(f: &str) -> &'static str {
    match f {
        "start" => "in the form, the time the interview was opened; exported as its recorded start",
        "end" => {
            "in the form, the time the interview was opened; exported as the time it was finalized"
        }
        "today" => "the day the interview was opened",
        _ => {
            "left blank; identifiers of devices and people are not collected from a child's interview"
        }
    }
}

/// The type cell of a row that is part of the form; `None` for a `disabled` row, a comment
/// row (skipped with a warning, as pyxform does) or a row without a type (an error).
fn typed_row(out: &mut Converted, t: &Table, row: u32, vals: &[String]) -> Option<(String, usize)> {
    let get = |f: &str| {
        t.find(f).and_then(|c| {
            vals.get(c)
                .filter(|v| !v.is_empty())
                .map(|v| (v.clone(), c))
        })
    };
    let yes = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1");
    if get("disabled").is_some_and(|(v, _)| yes(&v)) {
        return None;
    }
    let labelled = t
        .cols
        .iter()
        .enumerate()
        .any(|(c, (f, _))| f == "label" && vals.get(c).is_some_and(|v| !v.is_empty()));
    let typed = get("type");
    if typed.is_none() {
        if get("name").is_some() || labelled {
            out.errors
                .push((t.origin(row, 0), "row has no type".into()));
        } else if vals.iter().any(|v| !v.is_empty()) {
            let msg = "a row with no type, name or label is skipped";
            out.warnings.push((t.origin(row, 0), msg.into()));
        }
    }
    typed
}

fn survey_row(out: &mut Converted, t: &Table, row: u32, vals: &[String], langs: &[String]) {
    let get = |f: &str| {
        t.find(f).and_then(|c| {
            vals.get(c)
                .filter(|v| !v.is_empty())
                .map(|v| (v.clone(), c))
        })
    };
    let Some((ty_raw, ty_col)) = typed_row(out, t, row, vals) else {
        return;
    };
    let (ty_raw, or_other) = strip_or_other(&ty_raw);
    let Some(ty) = row_type(out, t, row, &ty_raw, ty_col) else {
        return;
    };
    let o = t.origin(row, ty_col);
    if or_other && get("choice_filter").is_some() {
        let msg = "`or_other` cannot be used with a `choice_filter` (as in pyxform)";
        out.errors.push((o.clone(), msg.into()));
    }
    out.line(String::new(), None);
    out.line("[[survey]]".into(), Some(o.clone()));
    let meta = KEPT_METADATA.iter().find(|(m, _)| *m == ty);
    let ty = if meta.is_some() {
        "calculate".to_string()
    } else {
        ty
    };
    out.line(format!("type = {}", q(&ty)), Some(o.clone()));
    let filled = |f: &str| get(f).is_some();
    if ty == "note" && !filled("name") {
        // As pyxform: a note may go without a name.
        out.line(
            format!("name = \"generated_note_name_{row}\""),
            Some(o.clone()),
        );
    }
    if let Some((_, calc)) = meta {
        out.line(format!("calculation = {}", q(calc)), Some(o.clone()));
    } else if ty_raw.trim().eq_ignore_ascii_case("hidden")
        && !filled("calculation")
        && !filled("default")
        && !filled("trigger")
    {
        // pyxform's `hidden`: a value nothing computes; blank unless a default is given.
        out.line("calculation = \"''\"".into(), Some(o.clone()));
    }
    row_cells(out, t, row, vals, (&ty, ty_col), langs);
    if or_other && let Some((name, _)) = get("name") {
        specify_other(out, &ty, &name, langs, o);
    }
}

/// A survey row's cells after its type: the name, texts per language, and the rest.
fn row_cells(
    out: &mut Converted,
    t: &Table,
    row: u32,
    vals: &[String],
    (ty, ty_col): (&str, usize),
    langs: &[String],
) {
    let mut texts: BTreeMap<String, Vec<(String, String, usize)>> = BTreeMap::new();
    let mut media = None;
    let mut name = None;
    let mut seen = std::collections::HashSet::new();
    for (c, v) in vals.iter().enumerate() {
        if v.is_empty() || c == ty_col {
            continue;
        }
        // A cell beyond the header's last column has no field: pyxform ignores it.
        let Some((field, lang)) = t.cols.get(c) else {
            continue;
        };
        let o = t.origin(row, c);
        if !seen.insert((field, lang)) {
            let msg = format!("column `{}` appears twice; the first is used", o.column);
            out.warnings.push((o, msg));
            continue;
        }
        let f = field.as_str();
        if f == "name" && ty.starts_with("end_") {
            // pyxform ignores the name on an end row, even one that names another group.
            continue;
        } else if f == "name" {
            name = Some((v.clone(), c));
            out.line(format!("name = {}", q(v)), Some(o));
        } else if TEXT_FIELDS.contains(&f) {
            let lang = lang.clone().unwrap_or_else(|| langs[0].clone());
            texts
                .entry(f.to_string())
                .or_default()
                .push((lang, v.clone(), c));
        } else if f == "parameters" {
            let appearance = t
                .find("appearance")
                .and_then(|a| vals.get(a))
                .map_or("", String::as_str);
            let lists = std::mem::take(&mut out.sheet_lists);
            super::params::parameters(out, o, v, ty, appearance, &lists);
            out.sheet_lists = lists;
        } else {
            if MEDIA.contains(&f) {
                media = Some(c);
            }
            field_cell(out, t, c, f, v, o);
        }
    }
    // Media alone stands for the label in ODK; here the name is shown instead.
    if let (Some(_), Some((name, c)), false, false) = (
        media,
        name.clone(),
        texts.contains_key("label"),
        texts.contains_key("hint"),
    ) {
        texts.insert("label".into(), vec![(langs[0].clone(), name, c)]);
    }
    // A hint without a label: pyxform allows it; the name stands in as the label.
    if let (Some((name, c)), false, true) = (
        name,
        texts.contains_key("label"),
        texts.contains_key("hint"),
    ) && !matches!(ty, "calculate" | "hidden")
        && !ty.starts_with("begin")
    {
        let msg = format!("`{name}` has a hint but no label; its name is shown as the label");
        out.warnings.push((t.origin(row, c), msg));
    }
    emit_texts(out, texts, langs, |c| t.origin(row, c));
}

/// The name an `external_choices` list goes by here.
fn external(out: &Converted, list: &str) -> String {
    if out.sheet_lists.contains_key(list) {
        format!("{list}_external")
    } else {
        list.to_string()
    }
}

/// `select_one L or_other` (also `or other`, `or specify other`): the type without it.
fn strip_or_other(ty: &str) -> (String, bool) {
    let words: Vec<&str> = ty.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let cut = match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [.., "or_other"] => 1,
        [.., "or", "other"] => 2,
        [.., "or", "specify", "other"] => 3,
        _ => 0,
    };
    if cut == 0 || !lower[0].starts_with("select") || words.len() <= cut + 1 {
        return (ty.to_string(), false);
    }
    (words[..words.len() - cut].join(" "), true)
}

/// What pyxform adds for `or_other`: an `other` choice in the list, and a text question
/// `NAME_other` shown when it is picked.
fn specify_other(out: &mut Converted, ty: &str, name: &str, langs: &[String], o: Origin) {
    if let Some(list) = ty.split_whitespace().nth(1)
        && !out.or_other.iter().any(|l| l == list)
    {
        out.or_other.push(list.to_string());
    }
    out.line(String::new(), None);
    out.line("[[survey]]".into(), Some(o.clone()));
    out.line("type = \"text\"".into(), Some(o.clone()));
    out.line(
        format!("name = {}", q(&format!("{name}_other"))),
        Some(o.clone()),
    );
    for l in langs {
        let text = if l == "vi" {
            "Ghi rõ lựa chọn khác."
        } else {
            "Specify other."
        };
        out.line(format!("label.{} = {}", key(l), q(text)), Some(o.clone()));
    }
    let rel = format!("selected(${{{name}}}, 'other')");
    out.line(format!("relevant = {}", q(&rel)), Some(o));
}

/// One survey cell that is neither the name nor a text: copied, converted (booleans,
/// counts, range parameters) or reported as unsupported.
fn field_cell(out: &mut Converted, t: &Table, c: usize, f: &str, v: &str, o: Origin) {
    if f == "appearance" && v.contains("search(") {
        out.errors.push((
            o,
            "`search()` reads choices from an external data file, which is not supported".into(),
        ));
    } else if PLAIN_FIELDS.contains(&f) {
        out.line(format!("{f} = {}", q(v)), Some(o));
    } else if f == "required" || f == "read_only" {
        let b = match v.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "true()" | "1" => Some(true),
            "no" | "false" | "false()" | "0" => Some(false),
            _ => None,
        };
        match b {
            Some(b) => out.line(format!("{f} = {b}"), Some(o)),
            None => out.line(format!("{f} = {}", q(v)), Some(o)),
        }
    } else if f == "repeat_count" {
        match v.trim().parse::<u32>() {
            Ok(n) => out.line(format!("repeat_count = {n}"), Some(o)),
            Err(_) => out.line(format!("repeat_count = {}", q(v)), Some(o)),
        }
    } else if matches!(f, "sensitive" | "consent" | "referral") {
        // Lắng Nghe's own columns: a sensitive answer, a consent question, the referral.
        let on = matches!(v.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1");
        out.line(format!("{f} = {on}"), Some(o));
    } else if MEDIA.contains(&f) {
        out.warnings
            .push((o, "media is not supported; ignored".into()));
    } else if !f.is_empty() {
        out.warnings.push((
            o,
            format!(
                "column `{}` is not supported; ignored",
                t.raw_headers.get(c).map_or("", String::as_str)
            ),
        ));
    }
}

/// A form id as our files need it: pyxform takes any text (`Spec test`); spaces and other
/// signs become `_`, and an id must start with a letter.
fn form_id(id: &str) -> String {
    let mut out: String = id
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_alphabetic()) {
        out.insert(0, 'f');
    }
    out
}
