//! Evaluates a parsed expression against answers supplied by a [`Context`].

use super::ast::{BinOp, Expr, NodeId};
use super::func::Func;
use super::value::{Value, tokens};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// What an expression can see: answers, the question it belongs to, the clock.
///
/// The interview engine implements this; tests implement it with a map. The clock is a
/// value handed in, so evaluation never reads the system time itself.
pub trait Context {
    /// The value of `${node}` as seen from the current question: its answer, blank when the
    /// node is not relevant, or a node-set when the node sits in a repeat the current
    /// question is outside of.
    fn value(&self, node: NodeId) -> Value;
    /// The value of `.`.
    fn current(&self) -> Value;
    /// 1-based index of the current repeat instance (`position(..)`), NaN outside repeats.
    fn position(&self) -> f64;
    fn now(&self) -> DateTime<FixedOffset>;
    /// The label of choice `value` of select question `node`, in the current language.
    fn choice_label(&self, node: NodeId, value: &str) -> String;
    /// A bare name inside `choice_filter`: a column of the choice being tested.
    fn column(&self, name: &str) -> Value;
    /// `instance('list')/root/item[filter]/column`: the column of each matching choice.
    fn lookup(&self, _list: &str, _filter: Option<&Expr>, _column: &str) -> Value {
        Value::Nodes(Vec::new())
    }
    /// `indexed-repeat()`: `node`'s value in the given instances (1-based) of the given
    /// repeats; other enclosing repeats as seen from here.
    fn indexed(&self, _node: NodeId, _at: &[(NodeId, f64)]) -> Value {
        Value::blank()
    }
    /// `${last-saved#node}`: the answer in the last interview saved with this form (blank
    /// when there is none).
    fn last_saved(&self, _node: NodeId) -> Value {
        Value::blank()
    }
}

pub fn eval(e: &Expr, cx: &dyn Context) -> Value {
    match e {
        Expr::Num(n) => Value::Num(*n),
        Expr::Str { text, .. } => Value::Str(text.clone()),
        Expr::Ref { node, .. } => cx.value(*node),
        Expr::Current => cx.current(),
        Expr::Parent => Value::blank(),
        Expr::Name { name, .. } => cx.column(name),
        Expr::Neg(inner) => Value::Num(-eval(inner, cx).to_num()),
        Expr::Bin { op, lhs, rhs, .. } => binary(*op, lhs, rhs, cx),
        Expr::Regex { subject, re } => Value::Bool(re.is_match(&eval(subject, cx).to_str())),
        Expr::Call { func, args, .. } => call(*func, args, cx),
        Expr::Lookup {
            list,
            filter,
            column,
            ..
        } => cx.lookup(list, filter.as_deref(), column),
    }
}

fn binary(op: BinOp, lhs: &Expr, rhs: &Expr, cx: &dyn Context) -> Value {
    match op {
        BinOp::Or => return Value::Bool(eval(lhs, cx).to_bool() || eval(rhs, cx).to_bool()),
        BinOp::And => return Value::Bool(eval(lhs, cx).to_bool() && eval(rhs, cx).to_bool()),
        _ => {}
    }
    let a = eval(lhs, cx);
    let b = eval(rhs, cx);
    match op {
        BinOp::Eq => Value::Bool(equals(&a, &b)),
        BinOp::Ne => Value::Bool(!equals(&a, &b)),
        BinOp::Lt => Value::Bool(rel_num(&a, &b) < rel_num(&b, &a)),
        BinOp::Le => Value::Bool(rel_num(&a, &b) <= rel_num(&b, &a)),
        BinOp::Gt => Value::Bool(rel_num(&a, &b) > rel_num(&b, &a)),
        BinOp::Ge => Value::Bool(rel_num(&a, &b) >= rel_num(&b, &a)),
        BinOp::Add => Value::Num(a.to_num() + b.to_num()),
        BinOp::Sub => Value::Num(a.to_num() - b.to_num()),
        BinOp::Mul => Value::Num(a.to_num() * b.to_num()),
        BinOp::Div => Value::Num(a.to_num() / b.to_num()),
        // XPath `mod` truncates like Rust's `%` on floats.
        BinOp::Mod => Value::Num(a.to_num() % b.to_num()),
        BinOp::Or | BinOp::And => unreachable_bool(),
    }
}

fn unreachable_bool() -> Value {
    Value::Bool(false)
}

/// A relational operand as a number. A date string compared with a date becomes a date,
/// so `. >= '2020-01-01'` works on a date question as it does in ODK.
fn rel_num(v: &Value, other: &Value) -> f64 {
    if other.is_temporal()
        && let Value::Str(_) = v
        && let Some(d) = v.to_date()
    {
        return Value::Date(d).to_num();
    }
    v.to_num()
}

/// XPath `=`: booleans win, then numbers, then strings. A node-set equals a value when any
/// of its nodes does.
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nodes(n), other) | (other, Value::Nodes(n)) => {
            if let Value::Bool(x) = other {
                return n.is_empty() != *x;
            }
            n.iter().any(|v| equals(v, other))
        }
        (Value::Bool(x), o) | (o, Value::Bool(x)) => *x == o.to_bool(),
        (Value::Num(_), _) | (_, Value::Num(_)) => a.to_num() == b.to_num(),
        (Value::Date(x), Value::Date(y)) => x == y,
        _ => a.to_str() == b.to_str(),
    }
}

pub(super) fn arg(args: &[Expr], i: usize, cx: &dyn Context) -> Value {
    args.get(i).map_or_else(|| cx.current(), |e| eval(e, cx))
}

pub(super) fn text(args: &[Expr], i: usize, cx: &dyn Context) -> String {
    arg(args, i, cx).to_str().into_owned()
}

/// Flattens arguments into numbers: each node of a node-set counts as one value.
pub(super) fn numbers(args: &[Expr], cx: &dyn Context) -> Vec<f64> {
    let mut out = Vec::new();
    for a in args {
        match eval(a, cx) {
            Value::Nodes(n) => out.extend(n.iter().map(Value::to_num)),
            v => out.push(v.to_num()),
        }
    }
    out
}

fn call(func: Func, args: &[Expr], cx: &dyn Context) -> Value {
    use Value::{Bool, Num, Str};
    match func {
        Func::LastSaved => match args.first() {
            Some(Expr::Ref { node, .. }) => cx.last_saved(*node),
            _ => Value::blank(),
        },
        Func::True => Bool(true),
        Func::False => Bool(false),
        Func::Not => Bool(!arg(args, 0, cx).to_bool()),
        Func::Boolean => Bool(arg(args, 0, cx).to_bool()),
        Func::Number => Num(arg(args, 0, cx).to_num()),
        Func::String => Str(text(args, 0, cx)),
        Func::Selected => {
            let list = text(args, 0, cx);
            let want = text(args, 1, cx);
            Bool(tokens(&list).any(|t| t == want.trim()))
        }
        Func::CountSelected => Num(tokens(&text(args, 0, cx)).count() as f64),
        Func::SelectedAt => {
            let list = text(args, 0, cx);
            let n = arg(args, 1, cx).to_num();
            let item = if n >= 0.0 {
                tokens(&list).nth(n as usize)
            } else {
                None
            };
            Str(item.unwrap_or("").to_string())
        }
        Func::ChoiceName => {
            let value = text(args, 0, cx);
            match args.get(1) {
                Some(Expr::Ref { node, .. }) if !value.is_empty() => {
                    Str(cx.choice_label(*node, &value))
                }
                _ => Value::blank(),
            }
        }
        Func::If => {
            if arg(args, 0, cx).to_bool() {
                arg(args, 1, cx)
            } else {
                arg(args, 2, cx)
            }
        }
        Func::Coalesce => args
            .iter()
            .map(|a| eval(a, cx))
            .find(|v| !v.is_blank())
            .unwrap_or_else(Value::blank),
        Func::Concat => {
            let mut s = String::new();
            for a in args {
                match eval(a, cx) {
                    Value::Nodes(n) => n.iter().for_each(|v| s.push_str(&v.to_str())),
                    v => s.push_str(&v.to_str()),
                }
            }
            Str(s)
        }
        Func::StringLength => Num(text(args, 0, cx).chars().count() as f64),
        Func::Substr => {
            let s = text(args, 0, cx);
            let len = s.chars().count() as f64;
            let start = arg(args, 1, cx).to_num();
            let end = if args.len() > 2 {
                arg(args, 2, cx).to_num()
            } else {
                len
            };
            if start.is_nan() || end.is_nan() {
                return Value::blank();
            }
            let start = start.clamp(0.0, len) as usize;
            let end = end.clamp(0.0, len) as usize;
            Str(s
                .chars()
                .skip(start)
                .take(end.saturating_sub(start))
                .collect())
        }
        Func::Contains => Bool(text(args, 0, cx).contains(&text(args, 1, cx))),
        Func::StartsWith => Bool(text(args, 0, cx).starts_with(&text(args, 1, cx))),
        Func::EndsWith => Bool(text(args, 0, cx).ends_with(&text(args, 1, cx))),
        Func::Regex => {
            // Only reached when the pattern is computed; literal patterns compile at parse.
            let pat = text(args, 1, cx);
            Bool(regex::Regex::new(&pat).is_ok_and(|re| re.is_match(&text(args, 0, cx))))
        }
        Func::Int => Num(arg(args, 0, cx).to_num().trunc()),
        Func::Round => {
            let x = arg(args, 0, cx).to_num();
            if args.len() < 2 {
                return Num((x + 0.5).floor());
            }
            let places = arg(args, 1, cx).to_num();
            if places.is_nan() {
                return Num(f64::NAN);
            }
            let f = 10f64.powi(places as i32);
            // Half away from zero, like JavaRosa's BigDecimal ROUND_HALF_UP.
            Num((x * f).abs().add_half_floor().copysign(x) / f)
        }
        Func::Today => Value::Date(cx.now().date_naive()),
        Func::Now => Value::DateTime(cx.now()),
        Func::Date => match arg(args, 0, cx) {
            v @ Value::Date(_) => v,
            v => v.to_date().map_or_else(Value::blank, Value::Date),
        },
        Func::FormatDate => {
            let v = arg(args, 0, cx);
            let fmt = text(args, 1, cx);
            Str(format_date(&v, &fmt))
        }
        Func::Count => match arg(args, 0, cx) {
            Value::Nodes(n) => Num(n.len() as f64),
            v => Num(if v.is_blank() { 0.0 } else { 1.0 }),
        },
        Func::Sum => Num(numbers(args, cx).iter().sum()),
        Func::Min => Num(fold(numbers(args, cx), f64::min)),
        Func::Max => Num(fold(numbers(args, cx), f64::max)),
        Func::Position => Num(cx.position()),
        Func::Once => {
            let cur = cx.current();
            if cur.is_blank() {
                arg(args, 0, cx)
            } else {
                cur
            }
        }
        // ODK's maths, string, checklist, id and date functions (`odk.rs`).
        f => super::odk::call(f, args, cx),
    }
}

trait HalfUp {
    fn add_half_floor(self) -> f64;
}
impl HalfUp for f64 {
    fn add_half_floor(self) -> f64 {
        (self + 0.5).floor()
    }
}

/// min/max over values; empty or any NaN gives NaN, as in ODK.
fn fold(xs: Vec<f64>, f: fn(f64, f64) -> f64) -> f64 {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    xs.into_iter().reduce(f).unwrap_or(f64::NAN)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// ODK's `format-date` patterns: %Y %y %m %n %b %d %e %a, and for datetimes %H %h %M %S %3.
pub(crate) fn format_date(v: &Value, fmt: &str) -> String {
    let (date, time) = match v {
        Value::DateTime(dt) => (dt.date_naive(), Some(dt.time())),
        other => match other.to_date() {
            Some(d) => (d, None),
            None => return String::new(),
        },
    };
    let (h, m, s, ms) = time.map_or((0, 0, 0, 0), |t| {
        (t.hour(), t.minute(), t.second(), t.nanosecond() / 1_000_000)
    });
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", date.year())),
            Some('y') => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", date.month())),
            Some('n') => out.push_str(&date.month().to_string()),
            Some('b') => out.push_str(MONTHS[date.month0() as usize]),
            Some('d') => out.push_str(&format!("{:02}", date.day())),
            Some('e') => out.push_str(&date.day().to_string()),
            Some('a') => out.push_str(DAYS[date.weekday().num_days_from_monday() as usize]),
            Some('H') => out.push_str(&format!("{h:02}")),
            Some('h') => out.push_str(&h.to_string()),
            Some('M') => out.push_str(&format!("{m:02}")),
            Some('S') => out.push_str(&format!("{s:02}")),
            Some('3') => out.push_str(&format!("{ms:03}")),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}
