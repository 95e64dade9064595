//! Recursive-descent parser for XLSForm expressions, following XPath 1.0 precedence:
//! `or` < `and` < `= !=` < `< <= > >=` < `+ -` < `* div mod` < unary `-`.

use super::ExprError;
use super::ast::{BinOp, Expr, Pos, UNRESOLVED};
use super::func::Func;
use super::lexer::{Tok, lex};

/// How deep an expression tree may be. Evaluation, type checks and reference walks recurse
/// over the tree; a bound keeps a hostile or generated form from overflowing the stack.
pub(crate) const MAX_DEPTH: u32 = 200;
/// How deeply parentheses and function calls may nest (each level costs several frames here).
pub(crate) const MAX_NESTING: u32 = 100;

pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        at: 0,
        nest: 0,
    };
    if p.peek() == &Tok::Eof {
        return Err(ExprError::new(0, "empty expression"));
    }
    let e = p.expr()?;
    if p.peek() != &Tok::Eof {
        return Err(ExprError::new(
            p.pos(),
            format!("unexpected {}", describe(p.peek())),
        ));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    at: usize,
    /// Parentheses and calls open at the cursor.
    nest: u32,
}

fn too_deep(pos: Pos) -> ExprError {
    ExprError::new(
        pos,
        format!(
            "expression is nested too deeply (more than {MAX_DEPTH} levels); split it into calculate rows"
        ),
    )
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(s) => format!("text '{s}'"),
        Tok::Ref(r) => format!("${{{r}}}"),
        Tok::Ident(i) => format!("`{i}`"),
        Tok::Eof => "end of expression".into(),
        Tok::Dot => "`.`".into(),
        Tok::DotDot => "`..`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Slash => {
            "`/` (XPath paths like /data/q are not supported: name the question as ${q})".into()
        }
        Tok::LBracket | Tok::RBracket => {
            "`[` (XPath predicates are supported only in instance('list')/root/item[…])".into()
        }
        Tok::Plus => "`+`".into(),
        Tok::Minus => "`-`".into(),
        Tok::Star => "`*`".into(),
        Tok::Eq => "`=`".into(),
        Tok::Ne => "`!=`".into(),
        Tok::Lt => "`<`".into(),
        Tok::Le => "`<=`".into(),
        Tok::Gt => "`>`".into(),
        Tok::Ge => "`>=`".into(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }
    fn pos(&self) -> Pos {
        self.toks[self.at].1
    }
    fn bump(&mut self) -> (Tok, Pos) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    /// The binary operator at the cursor, if it belongs to precedence `level`.
    fn op_at(&self, level: u8) -> Option<BinOp> {
        let op = match self.peek() {
            Tok::Ident(w) if w == "or" => BinOp::Or,
            Tok::Ident(w) if w == "and" => BinOp::And,
            Tok::Eq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Ident(w) if w == "div" => BinOp::Div,
            Tok::Ident(w) if w == "mod" => BinOp::Mod,
            _ => return None,
        };
        let l = match op {
            BinOp::Or => 0,
            BinOp::And => 1,
            BinOp::Eq | BinOp::Ne => 2,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
        };
        (l == level).then_some(op)
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        Ok(self.binary(0)?.0)
    }

    /// Each step returns the tree it built and that tree's depth, so a long `and` chain (a
    /// deep left-leaning tree) is refused before it is built any deeper.
    fn binary(&mut self, level: u8) -> Result<(Expr, u32), ExprError> {
        if level > 5 {
            return self.unary();
        }
        let (mut lhs, mut depth) = self.binary(level + 1)?;
        while let Some(op) = self.op_at(level) {
            let (_, pos) = self.bump();
            let (rhs, rd) = self.binary(level + 1)?;
            depth = depth.max(rd) + 1;
            if depth > MAX_DEPTH {
                return Err(too_deep(pos));
            }
            lhs = Expr::Bin {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                pos,
            };
        }
        Ok((lhs, depth))
    }

    fn unary(&mut self) -> Result<(Expr, u32), ExprError> {
        // `- - - … x` nests without parentheses: counted like them.
        let mut minus = Vec::new();
        while self.peek() == &Tok::Minus {
            minus.push(self.bump().1);
            if minus.len() as u32 > MAX_DEPTH {
                return Err(too_deep(self.pos()));
            }
        }
        let (mut e, mut depth) = self.primary()?;
        for pos in minus {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(too_deep(pos));
            }
            e = Expr::Neg(Box::new(e));
        }
        Ok((e, depth))
    }

    fn enter(&mut self, pos: Pos) -> Result<(), ExprError> {
        self.nest += 1;
        if self.nest > MAX_NESTING {
            return Err(ExprError::new(
                pos,
                format!(
                    "parentheses and functions are nested more than {MAX_NESTING} deep; split the expression into calculate rows"
                ),
            ));
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<(Expr, u32), ExprError> {
        let (tok, pos) = self.bump();
        let leaf = |e| Ok((e, 1));
        match tok {
            Tok::Num(n) => leaf(Expr::Num(n)),
            Tok::Str(text) => leaf(Expr::Str { text, pos }),
            // ODK's `${last-saved#q}`: q's answer in the previous saved interview.
            Tok::Ref(name) => match name.strip_prefix("last-saved#") {
                Some(q) => leaf(Expr::Call {
                    func: Func::LastSaved,
                    args: vec![Expr::Ref {
                        name: q.trim().to_string(),
                        node: UNRESOLVED,
                        pos,
                    }],
                    pos,
                }),
                None => leaf(Expr::Ref {
                    name,
                    node: UNRESOLVED,
                    pos,
                }),
            },
            Tok::Dot => leaf(Expr::Current),
            Tok::DotDot => leaf(Expr::Parent),
            Tok::LParen => {
                self.enter(pos)?;
                let e = self.binary(0)?;
                self.expect_close()?;
                self.nest -= 1;
                Ok(e)
            }
            Tok::Ident(name) if name == "instance" && self.peek() == &Tok::LParen => {
                self.lookup(pos)
            }
            Tok::Ident(name) if self.peek() == &Tok::LParen => {
                self.enter(pos)?;
                let e = self.call(name, pos)?;
                self.nest -= 1;
                Ok(e)
            }
            Tok::Ident(name) => leaf(Expr::Name { name, pos }),
            other => Err(ExprError::new(
                pos,
                format!("expected a value, found {}", describe(&other)),
            )),
        }
    }

    /// `instance('LIST')/root/item[PREDICATE]/COLUMN`: a lookup in one of the form's own
    /// choice lists. Bare names in the predicate are the list's columns.
    fn lookup(&mut self, pos: Pos) -> Result<(Expr, u32), ExprError> {
        self.bump(); // (
        let list = match self.bump() {
            (Tok::Str(s), _) => s,
            (t, p) => {
                let msg = format!(
                    "instance() takes a list name in quotes, found {}",
                    describe(&t)
                );
                return Err(ExprError::new(p, msg));
            }
        };
        self.expect_close()?;
        for want in ["root", "item"] {
            match (self.bump(), self.bump()) {
                ((Tok::Slash, _), (Tok::Ident(w), _)) if w == want => {}
                (_, (_, p)) => {
                    let msg = format!("write instance('{list}')/root/item[…]/column");
                    return Err(ExprError::new(p, msg));
                }
            }
        }
        let mut filter = None;
        if self.peek() == &Tok::LBracket {
            self.bump();
            self.enter(pos)?;
            filter = Some(Box::new(self.binary(0)?.0));
            self.nest -= 1;
            match self.bump() {
                (Tok::RBracket, _) => {}
                (t, p) => {
                    let msg = format!("expected `]`, found {}", describe(&t));
                    return Err(ExprError::new(p, msg));
                }
            }
        }
        let column = if self.peek() == &Tok::Slash {
            self.bump();
            match self.bump() {
                (Tok::Ident(c), _) => c,
                (t, p) => {
                    let msg = format!("expected a column name, found {}", describe(&t));
                    return Err(ExprError::new(p, msg));
                }
            }
        } else {
            "name".to_string()
        };
        let e = Expr::Lookup {
            list,
            filter,
            column,
            pos,
        };
        Ok((e, 2))
    }

    fn expect_close(&mut self) -> Result<(), ExprError> {
        if self.peek() == &Tok::RParen {
            self.bump();
            Ok(())
        } else {
            let found = describe(self.peek());
            Err(ExprError::new(
                self.pos(),
                format!("expected `)`, found {found}"),
            ))
        }
    }

    fn call(&mut self, name: String, pos: Pos) -> Result<(Expr, u32), ExprError> {
        let Some((func, lo, hi)) = Func::lookup(&name) else {
            let why = match name.as_str() {
                "pulldata" => "reads an external CSV file, which is not supported",
                "area" | "distance" | "geofence" => "works on GPS points, which are not collected",
                "digest" | "base64-decode" | "extract-signed" => {
                    "is for cryptographic and encoded data, which is not supported"
                }
                "randomize" => {
                    "is not supported on node-sets; put randomize=true in the select's parameters"
                }
                "jr:itext" => "reads media translations, which are not supported",
                _ => return Err(ExprError::new(pos, format!("unknown function `{name}()`"))),
            };
            return Err(ExprError::new(pos, format!("`{name}()` {why}")));
        };
        self.bump(); // (
        let mut args = Vec::new();
        let mut depth = 1;
        if self.peek() != &Tok::RParen {
            loop {
                let (a, d) = self.binary(0)?;
                depth = depth.max(d + 1);
                if depth > MAX_DEPTH {
                    return Err(too_deep(pos));
                }
                args.push(a);
                if self.peek() == &Tok::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect_close()?;
        if args.len() < lo || args.len() > hi {
            let want = match (lo, hi) {
                (l, h) if l == h => format!("{l}"),
                (l, usize::MAX) => format!("at least {l}"),
                (l, h) => format!("{l} to {h}"),
            };
            return Err(ExprError::new(
                pos,
                format!("`{name}()` takes {want} argument(s), found {}", args.len()),
            ));
        }
        if func == Func::Regex
            && let Some(Expr::Str { text, pos: p }) = args.get(1)
        {
            let re = java_regex(text).map_err(|e| {
                ExprError::new(
                    *p,
                    format!("bad regular expression: {}", first_line(&e.to_string())),
                )
            })?;
            let subject = Box::new(args.swap_remove(0));
            return Ok((
                Expr::Regex {
                    subject,
                    re: Box::new(re),
                },
                depth,
            ));
        }
        if func == Func::ChoiceName
            && let Some(Expr::Str { text, pos: p }) = args.get(1)
            && let Some(name) = text
                .trim()
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
        {
            // jr:choice-name names its question as a string: '${q}'.
            args[1] = Expr::Ref {
                name: name.trim().to_string(),
                node: UNRESOLVED,
                pos: *p + 1,
            };
        }
        Ok((Expr::Call { func, args, pos }, depth))
    }
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// Compiles a pattern as JavaRosa (Java's regex engine) reads it. Java takes a `-` right
/// after a class escape inside brackets as a plain hyphen (`[\\w-.]`, in many e-mail
/// checks); Rust's engine refuses it, so such a hyphen is escaped first.
fn java_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(pattern).or_else(|first| {
        let mut fixed = String::with_capacity(pattern.len() + 4);
        let mut chars = pattern.chars().peekable();
        let mut in_class = false;
        while let Some(c) = chars.next() {
            fixed.push(c);
            match c {
                '\\' => {
                    let Some(n) = chars.next() else { break };
                    fixed.push(n);
                    if in_class && "wdsWDS".contains(n) && chars.peek() == Some(&'-') {
                        chars.next();
                        fixed.push_str("\\-");
                    }
                    continue;
                }
                '[' => in_class = true,
                ']' => in_class = false,
                _ => {}
            }
        }
        regex::Regex::new(&fixed).map_err(|_| first)
    })
}
