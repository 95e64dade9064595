//! Problems found in a form file, each located as `path:line:col`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub path: String,
    /// Where a person finds the problem when the file is not the TOML we checked: an
    /// imported XLSForm's `file:sheet:Rrow:column`.
    pub place: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.col, self.message
            ),
        }
    }
}

/// Every problem found in one form file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FormErrors(pub Vec<Diagnostic>);

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Turns byte offsets in a source file into 1-based line and column (in characters).
pub(crate) struct Locator<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    path: String,
}

impl<'a> Locator<'a> {
    pub fn new(path: &str, src: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Locator {
            src,
            line_starts,
            path: path.to_string(),
        }
    }

    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.src.len());
        let line = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts[line];
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }

    pub fn at(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let (line, col) = self.line_col(offset);
        Diagnostic {
            line,
            col,
            message: message.into(),
            path: self.path.clone(),
            place: None,
        }
    }

    /// Where the contents of a TOML string literal starting at `offset` begin: past the
    /// opening quote(s), and past the newline that may follow `"""`.
    pub(crate) fn string_body(&self, offset: usize) -> usize {
        let rest = self.src.get(offset..).unwrap_or("");
        let mut skip = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            3
        } else if rest.starts_with('"') || rest.starts_with('\'') {
            1
        } else {
            0
        };
        if skip == 3 {
            if rest[skip..].starts_with("\r\n") {
                skip += 2;
            } else if rest[skip..].starts_with('\n') {
                skip += 1;
            }
        }
        offset + skip
    }
}
