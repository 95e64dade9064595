//! The XLSForm expression language (ODK's XPath subset): parse once, evaluate many times.

pub mod ast;
pub mod eval;
pub mod func;
mod lexer;
mod odk;
mod parser;
pub mod value;

pub use ast::{BinOp, Expr, NodeId, UNRESOLVED};
pub use eval::{Context, eval};
pub use func::Func;
pub use parser::parse;
pub use value::Value;

/// A syntax error, with the byte offset in the expression where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub pos: u32,
    pub message: String,
}

impl ExprError {
    pub fn new(pos: u32, message: impl Into<String>) -> Self {
        ExprError {
            pos,
            message: message.into(),
        }
    }
}
