//! A copy of every form version an interview was taken with (`form-versions/ID/HASH.toml`),
//! so resume, export and report always read an interview with its exact form, whatever the
//! forms folder holds later. A form changed in place under the same version has another
//! hash, so it gets a copy of its own and is never applied to the other one's interviews.
//! The hub keeps the copies devices send it the same way.

use super::{FormRef, Result, Store, StoreError, paths};
use crate::form::Form;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the copy of a form version lives under `root`.
fn copy_path(root: &Path, id: &str, hash: u64) -> PathBuf {
    root.join(id).join(format!("{hash:016x}.toml"))
}

/// Whether the copy of form `id` with source hash `hash` is kept under `root`.
pub(crate) fn has_copy(root: &Path, id: &str, hash: u64) -> bool {
    copy_path(root, id, hash).is_file()
}

/// Keeps a copy of `form` under `root` (private, fsync'd); `false` when it was already there.
pub(crate) fn keep_copy(root: &Path, form: &Form) -> std::io::Result<bool> {
    if has_copy(root, &form.id, form.source_hash) {
        return Ok(false);
    }
    let path = copy_path(root, &form.id, form.source_hash);
    if let Some(dir) = path.parent() {
        paths::ensure_private_dir(dir)?;
    }
    paths::write_private(&path, form.source.as_bytes())?;
    Ok(true)
}

/// The copy of one exact form version under `root`, if kept.
pub(crate) fn load_copy(root: &Path, r: &FormRef) -> Option<Arc<Form>> {
    let path = copy_path(root, &r.id, r.hash);
    let src = std::fs::read_to_string(&path).ok()?;
    let f = crate::form::build(&path.display().to_string(), &src).ok()?;
    (f.id == r.id && f.version == r.version && f.source_hash == r.hash).then(|| Arc::new(f))
}

/// Every copy under `root`; copies that no longer load are named.
pub(crate) fn load_copies(root: &Path) -> (Vec<Arc<Form>>, Vec<String>) {
    let mut forms = Vec::new();
    let mut errors = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)
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

/// Marks a form version as delivered to the hub (its receipt said so).
fn delivered_marker(root: &Path, id: &str, hash: u64) -> PathBuf {
    root.join(id).join(format!("{hash:016x}.sent"))
}

impl Store {
    fn form_copies(&self) -> PathBuf {
        self.dir.join("form-versions")
    }

    /// Keeps a copy of `form` (once; later calls find it there). Written before the first
    /// answer taken with it is, and fsync'd.
    pub fn keep_form(&self, form: &Form) -> Result<()> {
        self.check_fault("keep a copy of the form in")?;
        let root = self.form_copies();
        keep_copy(&root, form).map_err(StoreError::io("write a form copy in", &root))?;
        Ok(())
    }

    /// The exact form an interview was taken with, if a copy was kept.
    pub fn kept_form(&self, r: &FormRef) -> Option<Arc<Form>> {
        load_copy(&self.form_copies(), r)
    }

    /// Every kept form version; copies that no longer load are named.
    pub fn kept_forms(&self) -> (Vec<Arc<Form>>, Vec<String>) {
        load_copies(&self.form_copies())
    }

    /// Kept versions of form `id` the hub has not acknowledged yet.
    pub(crate) fn undelivered_forms(&self, id: &str) -> Vec<Arc<Form>> {
        let root = self.form_copies();
        let (forms, _) = load_copies(&root);
        forms
            .into_iter()
            .filter(|f| f.id == id && !delivered_marker(&root, id, f.source_hash).exists())
            .collect()
    }

    /// Records that the hub has the form version with content hash `hash`.
    pub(crate) fn mark_form_delivered(&self, hash: u64) -> Result<()> {
        let root = self.form_copies();
        let (forms, _) = load_copies(&root);
        for f in forms.iter().filter(|f| f.source_hash == hash) {
            let m = delivered_marker(&root, &f.id, hash);
            paths::write_private(&m, b"").map_err(StoreError::io("write", &m))?;
        }
        Ok(())
    }
}
