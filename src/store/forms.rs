//! A copy of every form version an interview was taken with (`form-versions/ID/HASH.toml`),
//! so resume, export and report always read an interview with its exact form, whatever the
//! forms folder holds later. A form changed in place under the same version has another
//! hash, so it gets a copy of its own and is never applied to the other one's interviews.

use super::{FormRef, Result, Store, StoreError, paths};
use crate::form::Form;
use std::path::PathBuf;
use std::sync::Arc;

impl Store {
    fn form_copy(&self, id: &str, hash: u64) -> PathBuf {
        self.dir
            .join("form-versions")
            .join(id)
            .join(format!("{hash:016x}.toml"))
    }

    /// Keeps a copy of `form` (once; later calls find it there). Written before the first
    /// answer taken with it is, and fsync'd.
    pub fn keep_form(&self, form: &Form) -> Result<()> {
        self.check_fault("keep a copy of the form in")?;
        let path = self.form_copy(&form.id, form.source_hash);
        if path.is_file() {
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            paths::ensure_private_dir(dir).map_err(StoreError::io("create", dir))?;
        }
        paths::write_private(&path, form.source.as_bytes()).map_err(StoreError::io("write", &path))
    }

    /// The exact form an interview was taken with, if a copy was kept.
    pub fn kept_form(&self, r: &FormRef) -> Option<Arc<Form>> {
        let path = self.form_copy(&r.id, r.hash);
        let src = std::fs::read_to_string(&path).ok()?;
        let f = crate::form::build(&path.display().to_string(), &src).ok()?;
        (f.id == r.id && f.version == r.version && f.source_hash == r.hash).then(|| Arc::new(f))
    }

    /// Every kept form version; copies that no longer load are named.
    pub fn kept_forms(&self) -> (Vec<Arc<Form>>, Vec<String>) {
        let mut forms = Vec::new();
        let mut errors = Vec::new();
        let root = self.dir.join("form-versions");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for p in files {
            match crate::form::load(&p) {
                Ok(f) => forms.push(Arc::new(f)),
                Err(e) => errors.push(e.to_string()),
            }
        }
        (forms, errors)
    }
}
