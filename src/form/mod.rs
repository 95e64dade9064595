//! Forms: the TOML file format, loaded in two phases into a checked model.

pub mod answer;
pub(crate) mod build;
pub mod diag;
pub mod graph;
mod inputs;
pub mod messages;
pub mod model;
pub(crate) mod raw;
pub mod suggest;
pub mod text;
mod typecheck;
mod version;

pub use build::{build, valid_name};
pub use diag::{Diagnostic, FormErrors};
pub use model::{AnswerKey, Choice, ChoiceList, Flag, Form, Kind, ListId, Node, ROOT, RangeSpec};
pub use text::Text;
pub use version::version_cmp;

use std::path::Path;

/// Reads and checks a form file. I/O errors become a diagnostic on line 1.
pub fn load(path: &Path) -> Result<Form, FormErrors> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(src) => build(&shown, &src),
        Err(e) => Err(FormErrors(vec![Diagnostic {
            line: 1,
            col: 1,
            message: format!("cannot read: {e}"),
            path: shown,
            place: None,
        }])),
    }
}

impl Form {
    /// Parses and checks an expression written against this form (in an indicator file, say):
    /// names resolved, the same static checks as in the form. Errors carry byte offsets in `src`.
    pub(crate) fn compile(&self, src: &str) -> Result<crate::expr::Expr, Vec<(usize, String)>> {
        let mut e = crate::expr::parse(src).map_err(|err| vec![(err.pos as usize, err.message)])?;
        let mut found = Vec::new();
        typecheck::Site {
            filter: None,
            nodes: &self.nodes,
            by_name: &self.by_name,
            ambiguous: &self.ambiguous,
            lists: &self.lists,
        }
        .check(&mut e, &mut found);
        if found.is_empty() { Ok(e) } else { Err(found) }
    }
}
