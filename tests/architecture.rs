//! The direction of dependencies between modules (ARCHITECTURE.md), checked on the sources:
//! the compiler cannot see a module reaching "up" into a shell, so this test reads every
//! `crate::…` path and fails on one the table below does not allow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module → what it may use. `x` allows all of module `x`; `x::y` only that part of it.
/// Layers, bottom up: core (pure) ← protocol/store/importers ← sync/hub ← tui ← cli.
const ALLOWED: &[(&str, &[&str])] = &[
    // core: no I/O but reading the file it is asked to load
    ("expr", &[]),
    ("record", &[]),
    ("codec", &[]),
    ("lang", &[]),
    ("form", &["expr", "lang"]),
    ("interview", &["expr", "form"]),
    (
        "indicators",
        &["expr", "form", "lang", "record", "export::csv"],
    ),
    // what both sides of sync speak, and the device's storage
    ("protocol", &["codec", "record"]),
    ("store", &["codec", "form", "record", "protocol"]),
    ("xlsform", &["form"]),
    ("export", &["expr", "form", "record", "store::paths"]),
    ("catalog", &["form", "indicators", "xlsform"]),
    ("session", &["expr", "form", "interview", "record", "store"]),
    (
        "simulate",
        &["expr", "form", "interview", "record", "store"],
    ),
    // shells
    (
        "sync",
        &["catalog", "codec", "form", "protocol", "record", "store"],
    ),
    (
        "hub",
        &[
            "catalog",
            "codec",
            "export",
            "form",
            "indicators",
            "protocol",
            "record",
            "store",
        ],
    ),
    (
        "tui",
        &[
            "catalog",
            "expr",
            "form",
            "indicators",
            "interview",
            "lang",
            "protocol",
            "record",
            "session",
            "store",
            "sync",
        ],
    ),
    // `cli` may use everything; nothing may use it.
];

/// Core modules: no file system, network or clock, except the named loaders.
const CORE: &[&str] = &[
    "expr",
    "record",
    "codec",
    "lang",
    "form",
    "interview",
    "indicators",
];
const CORE_LOADERS: &[&str] = &["src/form/mod.rs", "src/indicators/def.rs"];

fn files(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let single = src.join(format!("{module}.rs"));
    if single.is_file() {
        out.push(single);
    }
    let mut stack = vec![src.join(module)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// `a` or `a::b`: the first one or two names of a path.
fn head_of(path: &str) -> String {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let first = ident(path);
    match path.strip_prefix(&format!("{first}::")).map(ident) {
        Some(second) if !second.is_empty() => format!("{first}::{second}"),
        _ => first,
    }
}

/// Every `crate::a` or `crate::a::b` a source names, also inside `use crate::{a::b, c}`.
fn uses(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let end = group.find('}').unwrap_or(group.len());
                out.extend(group[..end].split(',').map(|p| head_of(p.trim())));
            }
            None => out.push(head_of(rest)),
        }
    }
    out
}

#[test]
fn modules_depend_only_downwards() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, ok) in &allowed {
        let fs = files(module);
        assert!(!fs.is_empty(), "module {module} has no files");
        for f in fs {
            let text = std::fs::read_to_string(&f).unwrap();
            for u in uses(&text) {
                let top = u.split("::").next().unwrap_or_default();
                if top == *module || top.is_empty() {
                    continue;
                }
                if !ok
                    .iter()
                    .any(|a| u == *a || u.starts_with(&format!("{a}::")) || top == *a)
                {
                    wrong.push(format!("{} uses crate::{u}", f.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "against the direction:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn nothing_but_the_binary_uses_the_cli() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p != src.join("cli") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs")
                && p != src.join("main.rs")
                && uses(&std::fs::read_to_string(&p).unwrap())
                    .iter()
                    .any(|u| u.starts_with("cli"))
            {
                wrong.push(p.display().to_string());
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the CLI is a shell; these call it: {wrong:?}"
    );
}

/// A source file as the allowances name it: relative to the crate, with `/` on every system
/// (these tests also run on Windows, under Wine).
fn shown(p: &Path) -> String {
    let rel = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(p);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_core_does_no_io_and_reads_no_clock() {
    let banned = [
        "std::fs",
        "std::net",
        "SystemTime",
        "Local::now",
        "Utc::now",
        "Instant::now",
    ];
    let mut wrong = Vec::new();
    for module in CORE {
        for f in files(module) {
            let shown = shown(&f);
            if CORE_LOADERS.contains(&shown.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            // Unit tests inside a core file may use the clock or files.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for b in banned {
                if code.contains(b) {
                    wrong.push(format!("{shown} uses {b}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core must stay pure:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_dependency_reader_sees_grouped_and_nested_paths() {
    let u = uses("use crate::{form::Form, expr};\nlet x = crate::store::paths::f();");
    assert_eq!(u, ["form::Form", "expr", "store::paths"]);
}

/// Functions longer than this are split, except the ones named below with their reason.
const MAX_FN_LINES: usize = 80;
const LONG_BY_NATURE: &[(&str, &str, &str)] = &[
    (
        "src/expr/eval.rs",
        "call",
        "one match arm per XPath function: splitting it scatters the function table",
    ),
    (
        "src/expr/lexer.rs",
        "lex",
        "a lexer's single state machine reads best in one place",
    ),
    (
        "src/form/answer.rs",
        "parse_answer",
        "one match arm per question type",
    ),
    ("src/main.rs", "main", "one arm per CLI verb, each one line"),
];

/// Every `fn` in the crate with its length in lines (signature to closing brace).
fn function_lengths() -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut files = files("");
    files.sort();
    files.dedup();
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let rel = shown(&p);
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let indent = l.len() - t.len();
            let decl = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "const fn ",
            ]
            .iter()
            .find_map(|k| t.strip_prefix(k));
            let Some(rest) = decl else { continue };
            if t.ends_with(';') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let close = " ".repeat(indent) + "}";
            let end = lines[i + 1..]
                .iter()
                .position(|x| x.trim_end() == close)
                .map_or(0, |k| k + 1);
            out.push((rel.clone(), name, end + 1));
        }
    }
    out
}

#[test]
fn functions_stay_short_unless_named_with_a_reason() {
    let long: Vec<String> = function_lengths()
        .into_iter()
        .filter(|(_, _, n)| *n > MAX_FN_LINES)
        .filter(|(f, name, _)| {
            !LONG_BY_NATURE
                .iter()
                .any(|(lf, ln, _)| lf == f && ln == name)
        })
        .map(|(f, name, n)| format!("{f}: fn {name} is {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "split these (or name them in LONG_BY_NATURE with a reason):\n{}",
        long.join("\n")
    );
    let all = function_lengths();
    assert!(
        all.len() > 500
            && all
                .iter()
                .any(|(f, n, _)| f == "src/expr/eval.rs" && n == "call"),
        "the scan must see the crate's functions, found {}",
        all.len()
    );
}
