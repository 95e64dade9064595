//! The rest of ODK's XForms function list that makes sense without GPS, media or external
//! data: maths, string clean-up, checklists, ids, decimal dates and `indexed-repeat`.
//!
//! Left out on purpose (the form is refused with a message saying why, see `parser.rs`):
//! `area`, `distance`, `geofence` (no GPS), `pulldata` (external files), `digest`,
//! `base64-decode`, `extract-signed` (cryptography), `jr:itext` (media translations),
//! `randomize` on node-sets (`randomize=true` in a select's parameters instead).

use super::eval::{arg, text};
use super::{Context, Expr, Func, Value};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn num(args: &[Expr], i: usize, cx: &dyn Context) -> f64 {
    arg(args, i, cx).to_num()
}

fn math(f: Func, x: f64) -> f64 {
    match f {
        Func::Log => x.ln(),
        Func::Log10 => x.log10(),
        Func::Abs => x.abs(),
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
        Func::Tan => x.tan(),
        Func::Asin => x.asin(),
        Func::Acos => x.acos(),
        Func::Atan => x.atan(),
        Func::Sqrt => x.sqrt(),
        Func::Exp => x.exp(),
        Func::Exp10 => 10f64.powf(x),
        Func::Floor => x.floor(),
        Func::Ceiling => x.ceil(),
        _ => f64::NAN,
    }
}

pub(super) fn call(f: Func, args: &[Expr], cx: &dyn Context) -> Value {
    use Value::{Bool, Num, Str};
    match f {
        Func::BooleanFromString => Bool(matches!(text(args, 0, cx).trim(), "true" | "1")),
        Func::Checklist | Func::WeightedChecklist => Bool(checklist(f, args, cx)),
        Func::Random => Num(random_unit()),
        Func::Pow => Num(num(args, 0, cx).powf(num(args, 1, cx))),
        Func::Atan2 => Num(num(args, 0, cx).atan2(num(args, 1, cx))),
        Func::Pi => Num(std::f64::consts::PI),
        Func::CountNonEmpty => Num(flat(args, cx).iter().filter(|v| !v.is_blank()).count() as f64),
        Func::Join => {
            let sep = text(args, 0, cx);
            let parts: Vec<String> = flat(&args[1.min(args.len())..], cx)
                .iter()
                .map(|v| v.to_str().into_owned())
                .collect();
            Str(parts.join(&sep))
        }
        Func::SubstringBefore => {
            let (s, t) = (text(args, 0, cx), text(args, 1, cx));
            Str(s.find(&t).map_or(String::new(), |i| s[..i].to_string()))
        }
        Func::SubstringAfter => {
            let (s, t) = (text(args, 0, cx), text(args, 1, cx));
            Str(s
                .find(&t)
                .map_or(String::new(), |i| s[i + t.len()..].to_string()))
        }
        Func::Translate => Str(translate(
            &text(args, 0, cx),
            &text(args, 1, cx),
            &text(args, 2, cx),
        )),
        Func::NormalizeSpace => Str(text(args, 0, cx)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")),
        Func::Uuid => Str(uuid(args, cx)),
        Func::DecimalDateTime => Num(decimal_date_time(&arg(args, 0, cx))),
        Func::DecimalTime => Num(decimal_time(&text(args, 0, cx))),
        Func::DateTime => date_time(num(args, 0, cx), cx),
        Func::FormatDateTime => Str(super::eval::format_date(
            &arg(args, 0, cx),
            &text(args, 1, cx),
        )),
        Func::IndexedRepeat => indexed_repeat(args, cx),
        _ => Num(math(f, num(args, 0, cx))),
    }
}

/// Every argument's values, node-sets flattened.
fn flat(args: &[Expr], cx: &dyn Context) -> Vec<Value> {
    let mut out = Vec::new();
    for a in args {
        match super::eval(a, cx) {
            Value::Nodes(n) => out.extend(n),
            v => out.push(v),
        }
    }
    out
}

/// `checklist(min, max, v…)`: how many of the values are true lies within min..max (-1 is
/// no bound); `weighted-checklist(min, max, v, w, …)` sums the weights of the true ones.
fn checklist(f: Func, args: &[Expr], cx: &dyn Context) -> bool {
    let (min, max) = (num(args, 0, cx), num(args, 1, cx));
    let rest = args.get(2..).unwrap_or_default();
    let total: f64 = if f == Func::WeightedChecklist {
        rest.chunks(2)
            .map(|p| match p {
                [v, w] if super::eval(v, cx).to_bool() => super::eval(w, cx).to_num(),
                _ => 0.0,
            })
            .sum()
    } else {
        flat(rest, cx).iter().filter(|v| v.to_bool()).count() as f64
    };
    (min < 0.0 || total >= min) && (max < 0.0 || total <= max)
}

fn translate(s: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

/// A number in [0, 1) from the operating system's random source (via a v4 UUID's bits).
fn random_unit() -> f64 {
    let bits = u64::from_le_bytes(
        uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or([0; 8]),
    );
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// `uuid()`: a random UUID; `uuid(n)`: n random letters and digits.
fn uuid(args: &[Expr], cx: &dyn Context) -> String {
    if args.is_empty() {
        return uuid::Uuid::new_v4().to_string();
    }
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let n = num(args, 0, cx);
    let n = if n.is_finite() && n > 0.0 {
        (n as usize).min(1000)
    } else {
        0
    };
    (0..n)
        .map(|_| ALNUM[(random_unit() * ALNUM.len() as f64) as usize % ALNUM.len()] as char)
        .collect()
}

/// Days since 1970-01-01 (UTC), with the time of day as the fraction.
fn decimal_date_time(v: &Value) -> f64 {
    match v {
        Value::Str(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|dt| Value::DateTime(dt).to_num())
            .unwrap_or_else(|_| v.to_num()),
        other => other.to_num(),
    }
}

/// `HH:MM[:SS[.sss]]`, optionally with an offset, as a fraction of a day (offset ignored,
/// as the device's own time is meant).
fn decimal_time(s: &str) -> f64 {
    let body = s.trim();
    let body = body.split(['+', 'Z']).next().unwrap_or(body);
    let body = body
        .rsplit_once('-')
        .filter(|(h, _)| h.contains(':'))
        .map_or(body, |(h, _)| h);
    let parts: Vec<f64> = body.split(':').map(super::value::str_to_num).collect();
    match parts.as_slice() {
        [h, m, rest @ ..] if *h >= 0.0 && *h < 24.0 && *m >= 0.0 && *m < 60.0 => {
            let s = rest.first().copied().unwrap_or(0.0);
            (h * 3600.0 + m * 60.0 + s) / 86_400.0
        }
        _ => f64::NAN,
    }
}

/// `date-time(days)`: days since 1970-01-01 as a moment, in the device's time zone.
fn date_time(days: f64, cx: &dyn Context) -> Value {
    if !days.is_finite() {
        return Value::blank();
    }
    let ms = (days * 86_400_000.0).round() as i64;
    let Some(utc) = DateTime::<Utc>::UNIX_EPOCH.checked_add_signed(Duration::milliseconds(ms))
    else {
        return Value::blank();
    };
    Value::DateTime(cx.now().offset().from_utc_datetime(&utc.naive_utc()))
}

/// `indexed-repeat(${q}, ${repeat}, i [, ${repeat2}, j [, ${repeat3}, k]])`.
fn indexed_repeat(args: &[Expr], cx: &dyn Context) -> Value {
    let Some(Expr::Ref { node, .. }) = args.first() else {
        return Value::blank();
    };
    let mut at = Vec::new();
    for pair in args[1..].chunks(2) {
        if let [Expr::Ref { node: r, .. }, i] = pair {
            at.push((*r, super::eval(i, cx).to_num()));
        }
    }
    cx.indexed(*node, &at)
}
