//! Turning what a respondent typed or picked into a typed answer, per question type.
//!
//! Shared by form loading (to check `default` values) and the interview engine.

use super::model::{ChoiceList, Kind};
use crate::expr::Value;
use crate::expr::value::str_to_num;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnswerError {
    NotInteger,
    /// A number beyond what is stored exactly (±2⁵³): a typo, never a real count.
    TooLarge,
    NotDecimal,
    NotChoice(String),
    Repeated(String),
    NotDate,
    /// `1/1/26`: which century is a guess we do not make.
    TwoDigitYear,
    NotTime,
    NotDateTime,
    OutOfRange {
        start: f64,
        end: f64,
    },
    OffStep {
        step: f64,
    },
    NotAcknowledge,
    NotAnswerable,
}

/// Parses `raw` as an answer to a question of `kind`. Blank input is a blank answer for
/// every type (whether blank is allowed is the `required` rule's business, not this one's).
/// `offset` is the device's UTC offset, for datetimes typed without one.
pub(crate) fn parse_answer(
    kind: &Kind,
    list: Option<&ChoiceList>,
    raw: &str,
    offset: FixedOffset,
) -> Result<Value, AnswerError> {
    let t = raw.trim();
    if t.is_empty() {
        return match kind {
            Kind::Note | Kind::Calculate(_) | Kind::Root(_) | Kind::Group | Kind::Repeat(_) => {
                Err(AnswerError::NotAnswerable)
            }
            _ => Ok(Value::blank()),
        };
    }
    match kind {
        Kind::Text => Ok(Value::Str(raw.trim_end_matches(['\n', '\r']).to_string())),
        Kind::Integer => integer(t),
        Kind::Decimal => {
            let n = decimal(t);
            if n.is_finite() {
                Ok(Value::Num(n))
            } else {
                Err(AnswerError::NotDecimal)
            }
        }
        Kind::Range(r) => {
            let n = decimal(t);
            if !n.is_finite() {
                return Err(AnswerError::NotDecimal);
            }
            let (lo, hi) = if r.start <= r.end {
                (r.start, r.end)
            } else {
                (r.end, r.start)
            };
            if n < lo || n > hi {
                return Err(AnswerError::OutOfRange {
                    start: r.start,
                    end: r.end,
                });
            }
            let k = (n - r.start) / r.step;
            if (k - k.round()).abs() > 1e-9 {
                return Err(AnswerError::OffStep { step: r.step });
            }
            Ok(Value::Num(n))
        }
        Kind::SelectOne(_) => {
            check_choice(list, t)?;
            Ok(Value::Str(t.to_string()))
        }
        Kind::SelectMultiple(_) | Kind::Rank(_) => {
            let mut picked: Vec<&str> = Vec::new();
            for tok in t.split_ascii_whitespace() {
                check_choice(list, tok)?;
                if picked.contains(&tok) {
                    if matches!(kind, Kind::Rank(_)) {
                        return Err(AnswerError::Repeated(tok.to_string()));
                    }
                    continue;
                }
                picked.push(tok);
            }
            Ok(Value::Str(picked.join(" ")))
        }
        Kind::Date => match parse_date(t) {
            Some(d) => Ok(Value::Date(d)),
            None if two_digit_year(t) => Err(AnswerError::TwoDigitYear),
            None => Err(AnswerError::NotDate),
        },
        Kind::Time => parse_time(t)
            .map(|tm| Value::Str(tm.format("%H:%M:%S").to_string()))
            .ok_or(AnswerError::NotTime),
        Kind::DateTime => parse_datetime(t, offset)
            .map(Value::DateTime)
            .ok_or(AnswerError::NotDateTime),
        Kind::Acknowledge => match t.to_ascii_lowercase().as_str() {
            "ok" | "1" | "yes" | "true" | "có" => Ok(Value::Str("OK".into())),
            _ => Err(AnswerError::NotAcknowledge),
        },
        Kind::Note | Kind::Calculate(_) | Kind::Root(_) | Kind::Group | Kind::Repeat(_) => {
            Err(AnswerError::NotAnswerable)
        }
    }
}

/// Vietnamese writes decimals with a comma ("1,5"); accept it when there is no dot.
fn decimal(t: &str) -> f64 {
    if t.contains(',') && !t.contains('.') {
        str_to_num(&t.replace(',', "."))
    } else {
        str_to_num(t)
    }
}

fn check_choice(list: Option<&ChoiceList>, name: &str) -> Result<(), AnswerError> {
    match list {
        Some(l) if l.find(name).is_some() => Ok(()),
        _ => Err(AnswerError::NotChoice(name.to_string())),
    }
}

/// ISO `2024-05-31`, or the Vietnamese day-first `31/05/2024`.
/// `2015-12-31` or `31/12/2015`, always with a four-digit year (chrono alone would read
/// `1/1/26` as the year 26).
pub(crate) fn parse_date(t: &str) -> Option<NaiveDate> {
    let four = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
    if t.split('-').next().is_some_and(four) {
        return NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
    }
    if t.rsplit('/').next().is_some_and(four) {
        return NaiveDate::parse_from_str(t, "%d/%m/%Y").ok();
    }
    None
}

/// `31/12/15` or `15-12-31`: a date whose year has one or two digits.
fn two_digit_year(t: &str) -> bool {
    let short = |y: &str| (1..=2).contains(&y.len()) && y.bytes().all(|b| b.is_ascii_digit());
    let parts = |sep| t.split(sep).count() == 3;
    (parts('/') && t.rsplit('/').next().is_some_and(short))
        || (parts('-') && t.split('-').next().is_some_and(short))
}

/// Largest whole number a `Value` holds exactly.
const MAX_EXACT: i64 = (1 << 53) - 1;

fn integer(t: &str) -> Result<Value, AnswerError> {
    match t.parse::<i64>() {
        Ok(n) if n.abs() <= MAX_EXACT => Ok(Value::Num(n as f64)),
        Ok(_) => Err(AnswerError::TooLarge),
        Err(e) => match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                Err(AnswerError::TooLarge)
            }
            _ => Err(AnswerError::NotInteger),
        },
    }
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .ok()
}

fn parse_datetime(t: &str, offset: FixedOffset) -> Option<DateTime<FixedOffset>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt);
    }
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .and_then(|n| offset.from_local_datetime(&n).single())
}
