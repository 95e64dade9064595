//! Hub verbs: init, serve, enrolment tokens, devices, USB import, export.

use super::data::{CliResult, load_forms};
use crate::hub::Hub;
use std::path::{Path, PathBuf};

pub fn init(dir: &Path, escrow: &[String]) -> CliResult {
    let hub = Hub::init(dir, escrow)?;
    println!("hub {} created in {}", hub.config.hub_id, dir.display());
    println!(
        "interviews are sealed to: {}",
        hub.config.recipients.join(", ")
    );
    println!(
        "keep {} secret and backed up: without it nothing can be opened",
        dir.join("hub.age").display()
    );
    Ok(())
}

pub fn serve(dir: &Path, listen: &str) -> CliResult {
    crate::hub::server::serve(Hub::open(dir)?, listen)
}

pub fn enroll_token(dir: &Path, device: &str) -> CliResult {
    println!("{}", Hub::enroll_token(dir, device)?);
    Ok(())
}

pub fn devices(dir: &Path, revoke: Option<&str>) -> CliResult {
    if !dir.join("hub.toml").is_file() {
        return Err(format!("{} is not a hub folder", dir.display()));
    }
    let reg = crate::hub::registry::Registry::open(dir)?;
    if let Some(which) = revoke {
        let d = reg
            .devices()?
            .into_iter()
            .find(|d| d.name == which || d.id.to_string() == which)
            .ok_or_else(|| format!("no device `{which}`"))?;
        reg.set_revoked(d.id, true)?;
        println!("revoked {} ({})", d.name, d.id);
    }
    for d in reg.devices()? {
        println!(
            "{}  {:<20} {}  {}",
            d.id,
            d.name,
            d.enrolled.format("%Y-%m-%d"),
            if d.revoked { "REVOKED" } else { "active" }
        );
    }
    Ok(())
}

/// The hub, or — when `hub serve` already holds its store — the address of the running
/// server, which then does the work itself (admin calls are accepted from this machine only).
enum Target {
    Hub(Box<Hub>),
    Server(String),
}

fn target(dir: &Path) -> Result<Target, String> {
    match Hub::open(dir) {
        Ok(h) => Ok(Target::Hub(Box::new(h))),
        Err(e) if e.contains("lock") => {
            let addr = std::fs::read_to_string(dir.join("serve.addr")).map_err(|_| e.clone())?;
            Ok(Target::Server(addr.trim().to_string()))
        }
        Err(e) => Err(e),
    }
}

fn admin(dir: &Path, addr: &str, path: &str, body: serde_json::Value) -> CliResult {
    let token = Hub::admin_token(dir)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(format!("http://{addr}/api/v1/admin/{path}"))
        .header("Content-Type", "application/json")
        .header("Authorization", &format!("Bearer {token}"))
        .send(body.to_string().as_bytes())
        .map_err(|e| format!("the running hub at {addr} does not answer: {e}"))?;
    let ok = r.status().as_u16() == 200;
    let text = r.body_mut().read_to_string().unwrap_or_default();
    print!("{text}");
    if ok {
        Ok(())
    } else {
        Err("the hub reported a problem".into())
    }
}

pub fn import(dir: &Path, files: &[PathBuf]) -> CliResult {
    let files: Vec<PathBuf> = files
        .iter()
        .map(|f| std::path::absolute(f).unwrap_or_else(|_| f.clone()))
        .collect();
    match target(dir)? {
        Target::Server(addr) => admin(dir, &addr, "import", serde_json::json!({ "files": files })),
        Target::Hub(hub) => {
            let (out, failed) = import_files(&hub, &files);
            print!("{out}");
            if failed > 0 {
                Err(format!("{failed} bundle(s) refused"))
            } else {
                Ok(())
            }
        }
    }
}

/// Imports bundle files, writing `FILE.receipt` next to each. Returns the report and how
/// many were refused.
pub fn import_files(hub: &Hub, files: &[PathBuf]) -> (String, usize) {
    use std::fmt::Write;
    let mut out = String::new();
    let mut failed = 0;
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
                let rec = f.with_extension("receipt");
                match crate::sync::keys::write_private(&rec, &ing.receipt_bytes) {
                    Ok(()) => {
                        let (a, d, c, t) = ing.counts();
                        let _ = writeln!(
                            out,
                            "{}: {a} accepted, {d} already there, {c} conflicts, {t} refusal/withdrawal count(s); receipt {}",
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
                let _ = writeln!(
                    out,
                    "{}: refused, nothing stored: {}",
                    f.display(),
                    refusal.reason
                );
            }
        }
    }
    (out, failed)
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

pub fn export(dir: &Path, out: &Path, include_sensitive: bool) -> CliResult {
    let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    match target(dir)? {
        Target::Server(addr) => admin(
            dir,
            &addr,
            "export",
            serde_json::json!({ "out": out, "include_sensitive": include_sensitive }),
        ),
        Target::Hub(hub) => {
            print!("{}", export_tables(&hub, &out, include_sensitive)?);
            Ok(())
        }
    }
}

/// Exports the hub's interviews as CSV into `out`; returns what was written, as text.
pub fn export_tables(hub: &Hub, out: &Path, include_sensitive: bool) -> Result<String, String> {
    let (forms, _) = load_forms(&hub.forms_dir());
    crate::store::paths::ensure_private_dir(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut sink = super::data::CsvSink::new(&forms, out, include_sensitive);
    let damaged = hub.each_finalized(|f| sink.add(&f))?;
    let mut lines = sink.finish(&hub.forms_dir())?;
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
