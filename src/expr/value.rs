//! Values produced by expressions, and the XPath 1.0 coercion rules between them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use std::borrow::Cow;
use std::fmt::Write as _;

/// A value in the expression language.
///
/// Answers are typed when stored (an integer question holds a `Num`), so expressions see the
/// same types ODK's JavaRosa sees. A blank answer is always `Str("")`, whatever the question
/// type, which is what makes `${age} > 5` false on a blank age.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<FixedOffset>),
    /// A node-set: the values of a field across repeat instances (`count(${child_age})`).
    Nodes(Vec<Value>),
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("epoch"),
};

impl Value {
    pub fn blank() -> Value {
        Value::Str(String::new())
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Nodes(n) => n.first().is_none_or(Value::is_blank),
            _ => false,
        }
    }

    /// XPath `boolean()`.
    pub fn to_bool(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::Date(_) | Value::DateTime(_) => true,
            Value::Nodes(n) => !n.is_empty(),
        }
    }

    /// XPath `number()`. Dates become days since 1970-01-01, as in ODK.
    pub(crate) fn to_num(&self) -> f64 {
        match self {
            Value::Str(s) => str_to_num(s),
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Date(d) => (*d - EPOCH).num_days() as f64,
            Value::DateTime(dt) => dt.timestamp_millis() as f64 / 86_400_000.0,
            Value::Nodes(n) => n.first().map_or(f64::NAN, Value::to_num),
        }
    }

    /// XPath `string()`.
    pub fn to_str(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Num(n) => Cow::Owned(num_to_string(*n)),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Value::DateTime(dt) => Cow::Owned(dt.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()),
            Value::Nodes(n) => n
                .first()
                .map_or(Cow::Borrowed(""), |v| Cow::Owned(v.to_str().into_owned())),
        }
    }

    /// The date this value denotes, if any: a date, a datetime's date, a `YYYY-MM-DD…`
    /// string, or a number of days since 1970-01-01.
    pub(crate) fn to_date(&self) -> Option<NaiveDate> {
        match self {
            Value::Date(d) => Some(*d),
            Value::DateTime(dt) => Some(dt.date_naive()),
            Value::Str(s) => parse_date_prefix(s),
            Value::Num(n) if n.is_finite() => {
                EPOCH.checked_add_signed(chrono::Duration::days(n.floor() as i64))
            }
            Value::Nodes(n) => n.first().and_then(Value::to_date),
            _ => None,
        }
    }

    pub(crate) fn is_temporal(&self) -> bool {
        matches!(self, Value::Date(_) | Value::DateTime(_))
    }
}

fn parse_date_prefix(s: &str) -> Option<NaiveDate> {
    let head = s.get(..10)?;
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// XPath number parsing: optional sign, digits, optional fraction; anything else is NaN.
/// Unlike Rust's `parse`, "inf", "1e5" and "+1" are not numbers.
pub(crate) fn str_to_num(s: &str) -> f64 {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let mut digits = 0;
    let mut dots = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return f64::NAN,
        }
    }
    if digits == 0 || dots > 1 {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// XPath number-to-string: integers print without a fraction, NaN as "NaN".
pub(crate) fn num_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if n == n.trunc() && n.abs() < 1e15 {
        let mut s = String::new();
        let _ = write!(s, "{}", n as i64);
        return s;
    }
    let s = format!("{n}");
    // Rust prints e.g. 0.30000000000000004; keep it, as JavaRosa does for doubles.
    s
}

/// The space-separated items of a select_multiple answer.
pub(crate) fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split_ascii_whitespace()
}
