//! XLSForm's `parameters` column, read and checked as pyxform reads and checks it: `k=v`
//! pairs separated by spaces, commas or semicolons; range and select parameters.

use super::convert::{Converted, Origin, q};
use std::collections::HashMap;

const RANGE_KEYS: &[&str] = &[
    "start",
    "end",
    "step",
    "tick_interval",
    "placeholder",
    "tick_labelset",
];

/// The `parameters = { … }` line for a row of type `ty` (with `appearance`), or nothing;
/// problems go to `out` at `o`. `lists` holds each choice list's choice names.
pub(super) fn parameters(
    out: &mut Converted,
    o: Origin,
    v: &str,
    ty: &str,
    appearance: &str,
    lists: &HashMap<String, Vec<String>>,
) {
    let spaced = v.split('=').map(str::trim).collect::<Vec<_>>().join("=");
    let pairs: Vec<(String, String)> = spaced
        .split(|ch: char| ch == ',' || ch == ';' || ch.is_whitespace())
        .filter(|kv| !kv.is_empty())
        .filter_map(|kv| match kv.split_once('=') {
            Some((k, v)) => Some((k.trim().to_ascii_lowercase(), v.trim().to_string())),
            None => {
                let msg = format!("parameters are written `key=value`, not `{kv}`");
                out.errors.push((o.clone(), msg));
                None
            }
        })
        .collect();
    let parts = if ty == "range" {
        range(out, &o, &pairs, appearance, lists)
    } else {
        other(out, &o, &pairs, ty)
    };
    if !parts.is_empty() {
        out.line(format!("parameters = {{ {} }}", parts.join(", ")), Some(o));
    }
}

fn range(
    out: &mut Converted,
    o: &Origin,
    pairs: &[(String, String)],
    appearance: &str,
    lists: &HashMap<String, Vec<String>>,
) -> Vec<String> {
    let mut err = |m: String| out.errors.push((o.clone(), m));
    let mut parts = Vec::new();
    let num = |k: &str| {
        pairs
            .iter()
            .find(|(x, _)| x == k)
            .and_then(|(_, v)| v.parse::<f64>().ok())
    };
    for (k, v) in pairs {
        let is_num = v.parse::<f64>().is_ok();
        match k.as_str() {
            "start" | "end" | "step" if is_num => parts.push(format!("{k} = {v}")),
            "tick_interval" | "placeholder" if is_num => {}
            "start" | "end" | "step" | "tick_interval" | "placeholder" => {
                err(format!("range parameter `{k}` must be a number, not `{v}`"))
            }
            "tick_labelset" => match lists.get(v) {
                None => err(format!(
                    "range `tick_labelset` names `{v}`, which is not a list on the choices sheet"
                )),
                Some(names) if names.iter().any(|n| n.parse::<f64>().is_err()) => err(format!(
                    "range `tick_labelset` list `{v}` must have numbers as its choice names"
                )),
                Some(names) if appearance.contains("no-ticks") && names.len() != 2 => err(format!(
                    "with `no-ticks`, range `tick_labelset` list `{v}` must have only 2 choices"
                )),
                Some(names) if appearance.contains("no-ticks") => {
                    let ends = [num("start").unwrap_or(1.0), num("end").unwrap_or(10.0)];
                    if names
                        .iter()
                        .any(|n| !ends.contains(&n.parse::<f64>().unwrap_or(f64::NAN)))
                    {
                        err(format!(
                            "with `no-ticks`, range `tick_labelset` list `{v}` may only name the range's start and end"
                        ))
                    }
                }
                Some(_) => {}
            },
            _ => err(format!(
                "range parameters are {}; `{k}` is not one",
                RANGE_KEYS.join(", ")
            )),
        }
    }
    let drawn: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| matches!(*k, "tick_interval" | "placeholder" | "tick_labelset"))
        .collect();
    if !drawn.is_empty() {
        out.warnings.push((
            o.clone(),
            format!(
                "`{}` only change how ODK draws a range; here it is shown as numbers",
                drawn.join("`, `")
            ),
        ));
    }
    parts
}

fn other(out: &mut Converted, o: &Origin, pairs: &[(String, String)], ty: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let select = ty.starts_with("select_") || ty.starts_with("rank");
    for (k, v) in pairs {
        match k.as_str() {
            "randomize" if select => match v.to_ascii_lowercase().as_str() {
                b @ ("true" | "false") => parts.push(format!("randomize = {b}")),
                _ => out.errors.push((
                    o.clone(),
                    format!("`randomize` must be true or false, not `{v}`"),
                )),
            },
            "seed" if select && v.parse::<f64>().is_ok() => parts.push(format!("seed = {v}")),
            "seed" if select && v.starts_with("${") => parts.push(format!("seed = {}", q(v))),
            "seed" if select => out.errors.push((
                o.clone(),
                format!("`seed` must be a number or a reference like ${{q}}, not `{v}`"),
            )),
            _ if select => out.errors.push((
                o.clone(),
                format!("select parameters are randomize and seed; `{k}` is not one"),
            )),
            _ => out.warnings.push((
                o.clone(),
                format!("parameter `{k}={v}` is not supported here; ignored"),
            )),
        }
    }
    parts
}
