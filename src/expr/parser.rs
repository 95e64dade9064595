//! Recursive-descent parser for XLSForm expressions, following XPath 1.0 precedence:
//! `or` < `and` < `= !=` < `< <= > >=` < `+ -` < `* div mod` < unary `-`.

use super::ExprError;
use super::ast::{BinOp, Expr, Pos, UNRESOLVED};
use super::func::Func;
use super::lexer::{Tok, lex};

pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, at: 0 };
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
        self.binary(0)
    }

    fn binary(&mut self, level: u8) -> Result<Expr, ExprError> {
        if level > 5 {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(op) = self.op_at(level) {
            let (_, pos) = self.bump();
            let rhs = self.binary(level + 1)?;
            lhs = Expr::Bin {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                pos,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == &Tok::Minus {
            self.bump();
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let (tok, pos) = self.bump();
        match tok {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(text) => Ok(Expr::Str { text, pos }),
            Tok::Ref(name) => Ok(Expr::Ref {
                name,
                node: UNRESOLVED,
                pos,
            }),
            Tok::Dot => Ok(Expr::Current),
            Tok::DotDot => Ok(Expr::Parent),
            Tok::LParen => {
                let e = self.expr()?;
                self.expect_close()?;
                Ok(e)
            }
            Tok::Ident(name) if self.peek() == &Tok::LParen => self.call(name, pos),
            Tok::Ident(name) => Ok(Expr::Name { name, pos }),
            other => Err(ExprError::new(
                pos,
                format!("expected a value, found {}", describe(&other)),
            )),
        }
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

    fn call(&mut self, name: String, pos: Pos) -> Result<Expr, ExprError> {
        let Some((func, lo, hi)) = Func::lookup(&name) else {
            return Err(ExprError::new(pos, format!("unknown function `{name}()`")));
        };
        self.bump(); // (
        let mut args = Vec::new();
        if self.peek() != &Tok::RParen {
            loop {
                args.push(self.expr()?);
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
            let re = regex::Regex::new(text).map_err(|e| {
                ExprError::new(
                    *p,
                    format!("bad regular expression: {}", first_line(&e.to_string())),
                )
            })?;
            let subject = Box::new(args.swap_remove(0));
            return Ok(Expr::Regex {
                subject,
                re: Box::new(re),
            });
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
        Ok(Expr::Call { func, args, pos })
    }
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}
