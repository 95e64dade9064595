//! Splits expression text into tokens, each with its byte offset.

use super::ExprError;
use super::ast::Pos;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Ident(String),
    Dot,
    DotDot,
    LParen,
    RParen,
    Comma,
    /// `/` and `[ ]`: only inside `instance('list')/root/item[…]/column`.
    Slash,
    LBracket,
    RBracket,
    Plus,
    Minus,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

pub(crate) fn lex(src: &str) -> Result<Vec<(Tok, Pos)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i as Pos;
        let simple = |t: Tok, n: usize| Some((t, n));
        let one = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => simple(Tok::LParen, 1),
            b')' => simple(Tok::RParen, 1),
            b',' => simple(Tok::Comma, 1),
            b'/' => simple(Tok::Slash, 1),
            b'[' => simple(Tok::LBracket, 1),
            b']' => simple(Tok::RBracket, 1),
            b'+' => simple(Tok::Plus, 1),
            b'-' => simple(Tok::Minus, 1),
            b'*' => simple(Tok::Star, 1),
            b'=' => simple(Tok::Eq, 1),
            b'!' if bytes.get(i + 1) == Some(&b'=') => simple(Tok::Ne, 2),
            b'<' if bytes.get(i + 1) == Some(&b'=') => simple(Tok::Le, 2),
            b'<' => simple(Tok::Lt, 1),
            b'>' if bytes.get(i + 1) == Some(&b'=') => simple(Tok::Ge, 2),
            b'>' => simple(Tok::Gt, 1),
            b'.' if bytes.get(i + 1) == Some(&b'.') => simple(Tok::DotDot, 2),
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => simple(Tok::Dot, 1),
            _ => None,
        };
        if let Some((t, n)) = one {
            out.push((t, start));
            i += n;
            continue;
        }
        if c == b'\'' || c == b'"' {
            let rest = &src[i + 1..];
            let Some(end) = rest.find(c as char) else {
                return Err(ExprError::new(start, "this text has no closing quote"));
            };
            out.push((Tok::Str(rest[..end].to_string()), start));
            i += end + 2;
        } else if c == b'$' {
            if bytes.get(i + 1) != Some(&b'{') {
                return Err(ExprError::new(
                    start,
                    "`$` must start a reference like ${name}",
                ));
            }
            let rest = &src[i + 2..];
            let Some(end) = rest.find('}') else {
                return Err(ExprError::new(start, "reference `${` has no closing `}`"));
            };
            let name = rest[..end].trim();
            if name.is_empty() {
                return Err(ExprError::new(start, "empty reference `${}`"));
            }
            out.push((Tok::Ref(name.to_string()), start));
            i += end + 3;
        } else if c.is_ascii_digit() || c == b'.' {
            let len = src[i..]
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .unwrap_or(src.len() - i);
            let text = &src[i..i + len];
            let n: f64 = text
                .parse()
                .map_err(|_| ExprError::new(start, format!("`{text}` is not a number")))?;
            out.push((Tok::Num(n), start));
            i += len;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            // XPath names may contain '-', '.' and ':' (count-selected, jr:choice-name).
            let len = src[i..]
                .find(|ch: char| {
                    !(ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.' | ':'))
                })
                .unwrap_or(src.len() - i);
            let name = src[i..i + len].trim_end_matches(['-', '.', ':']);
            out.push((Tok::Ident(name.to_string()), start));
            i += name.len();
        } else {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(ExprError::new(
                start,
                format!("unexpected character `{ch}`"),
            ));
        }
    }
    out.push((Tok::Eof, src.len() as Pos));
    Ok(out)
}
