//! Bundles in and tables out, as files: `hub import` (USB bundles, receipts written beside
//! them) and `hub export` (CSV). Run by the CLI, or inside a serving hub for an admin call.

use super::Hub;
use crate::export::csv::Submission;
use crate::record::Finalized;
use std::path::{Path, PathBuf};

/// Imports bundle files, writing `FILE.receipt` next to each, and `DEVICE.returns` beside
/// them for each device that has interviews sent back. Returns the report and how many were
/// refused.
pub(crate) fn import_files(hub: &Hub, files: &[PathBuf]) -> (String, usize) {
    use std::fmt::Write;
    let (mut out, failed, devices) = import_each(hub, files);
    for (folder, ids) in devices {
        match hub.write_returns(&folder, &ids) {
            Ok(written) => {
                for (path, n) in written {
                    let _ = writeln!(
                        out,
                        "{n} interview(s) sent back to their device: {}",
                        path.display()
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(out, "cannot write the interviews sent back: {e}");
            }
        }
    }
    (out, failed)
}

/// The folders bundles came from, and the devices that sent them.
type Senders = std::collections::BTreeMap<PathBuf, Vec<uuid::Uuid>>;

fn import_each(hub: &Hub, files: &[PathBuf]) -> (String, usize, Senders) {
    use std::fmt::Write;
    let mut out = String::new();
    let mut failed = 0;
    let mut senders = Senders::new();
    for f in files {
        let bytes = match read_bounded(f, hub.config.max_bundle_bytes) {
            Ok(b) => b,
            Err(e) => {
                failed += 1;
                let _ = writeln!(out, "{}: refused, nothing stored: {e}", f.display());
                continue;
            }
        };
        match hub.ingest(&bytes, None) {
            Ok(ing) => {
                let folder = f.parent().map(Path::to_path_buf).unwrap_or_default();
                let devices = senders.entry(folder).or_default();
                if !devices.contains(&ing.receipt.device) {
                    devices.push(ing.receipt.device);
                }
                let rec = f.with_extension("receipt");
                match crate::store::paths::write_private(&rec, &ing.receipt_bytes) {
                    Ok(()) => {
                        let (a, d, c, t) = ing.counts();
                        let forms = ing.forms();
                        let _ = writeln!(
                            out,
                            "{}: {a} accepted, {d} already there, {c} conflicts, {t} refusal/withdrawal count(s), {forms} form version(s); receipt {}",
                            f.display(),
                            rec.display()
                        );
                    }
                    Err(e) => {
                        failed += 1;
                        let _ = writeln!(
                            out,
                            "{}: stored, but cannot write the receipt {}: {e}",
                            f.display(),
                            rec.display()
                        );
                    }
                }
            }
            Err(refusal) => {
                failed += 1;
                let _ = writeln!(out, "{}: refused, nothing stored: {}", f.display(), refusal);
            }
        }
    }
    (out, failed, senders)
}

/// Reads a bundle file no larger than `limit`: the size is checked before reading, and the
/// read stops at the limit whatever the file claims (a device file or a growing file).
fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > limit as u64 {
        return Err(format!(
            "{} bytes is over the hub's {limit}-byte bundle limit",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > limit {
        return Err(format!("over the hub's {limit}-byte bundle limit"));
    }
    Ok(bytes)
}

/// Exports the hub's interviews into `req.out`; returns what was written, as text.
pub(crate) fn export_tables(hub: &Hub, req: &crate::export::Request) -> Result<String, String> {
    let (forms, _) = hub.known_forms();
    let practice = req.include_training;
    let mut source = |each: &mut dyn FnMut(&Finalized, &Submission)| {
        hub.each_submission(&mut |f: &Finalized, s: &Submission| {
            // Practice stays out of the real data unless asked for.
            if practice || !f.training {
                each(f, s)
            }
        })
    };
    let (mut lines, damaged) = crate::export::write(&forms, &hub.forms_dir(), req, &mut source)?;
    // One damaged record must not keep the rest from going out: skipped, and named.
    if !damaged.is_empty() {
        lines.push(format!(
            "warning: {} stored interview(s) could not be opened and were left out: {}",
            damaged.len(),
            damaged.join("; ")
        ));
    }
    Ok(lines.iter().map(|l| format!("{l}\n")).collect())
}
