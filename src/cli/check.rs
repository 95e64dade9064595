//! `langnghe check FORM...`: validate forms, report every problem.

use crate::form;
use std::io::Write;
use std::path::PathBuf;

/// Checks each form; prints a summary line for good ones and every diagnostic for bad ones.
/// Returns whether all were valid.
pub fn run(forms: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut ok = true;
    for path in forms {
        match form::load(path) {
            Ok(f) => {
                let _ = writeln!(
                    out,
                    "{}: ok — {} v{}: {} questions, languages {}",
                    path.display(),
                    f.id,
                    f.version,
                    f.question_count(),
                    f.languages.join(", ")
                );
            }
            Err(errors) => {
                ok = false;
                let _ = writeln!(err, "{errors}");
            }
        }
    }
    ok
}
