//! Hub verbs: init, serve, enrolment tokens, devices, USB import, export.

use super::HubCommand;
use super::data::CliResult;
use crate::hub::transfer::{export_tables, import_files};
use crate::hub::{Hub, HubError};
use std::path::{Path, PathBuf};

pub fn init(dir: &Path, escrow: &[String], database: Option<&str>) -> CliResult {
    let hub = Hub::init_with(dir, escrow, database)?;
    println!("hub {} created in {}", hub.config.hub_id, dir.display());
    if database.is_some() {
        println!("interviews are kept in PostgreSQL (its schema is made)");
    }
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

/// Runs one `langnghe hub …` verb.
pub fn run(command: HubCommand, report_lang: &str) -> CliResult {
    match command {
        HubCommand::Init {
            data,
            escrow,
            database,
        } => init(&data, &escrow, database.as_deref()),
        HubCommand::Serve { data, listen } => serve(&data, &listen),
        HubCommand::EnrollToken { data, device } => enroll_token(&data, &device),
        HubCommand::Devices { data, revoke } => devices(&data, revoke.as_deref()),
        HubCommand::Erase { data, id, reason } => erase(&data, id, &reason),
        HubCommand::RecoverDeviceKey { data, file } => recover_device_key(&data, &file),
        HubCommand::Referrals {
            data,
            since,
            csv,
            followed_up,
        } => referrals(&data, since, csv.as_deref(), followed_up),
        HubCommand::Import { data, files } => import(&data, &files),
        HubCommand::Review { data, action } => super::review::run(&data, action, report_lang),
        HubCommand::Open {
            data,
            identity,
            targets,
        } => open(data.as_deref(), identity, targets),
        HubCommand::Report {
            data,
            report,
            include_training,
            recount,
        } => super::report::hub(&data, report.args(report_lang), (include_training, recount)),
        HubCommand::Export { data, export: args } => export(&data, &args),
        HubCommand::Plan {
            frame,
            seed,
            out,
            margin,
            p,
            deff,
            response,
            per_commune,
        } => {
            let goal = crate::indicators::plan::Goal {
                margin,
                p,
                deff,
                response,
                per_commune,
            };
            super::plan::run(&frame, seed, &out, goal)
        }
    }
}

pub fn serve(dir: &Path, listen: &str) -> CliResult {
    Ok(crate::hub::server::serve(Hub::open(dir)?, listen)?)
}

pub fn enroll_token(dir: &Path, device: &str) -> CliResult {
    println!("{}", Hub::enroll_token(dir, device)?);
    Ok(())
}

pub fn devices(dir: &Path, revoke: Option<&str>) -> CliResult {
    if !dir.join("hub.toml").is_file() {
        return Err(HubError::NotAHub(dir.to_path_buf()).into());
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

fn target(dir: &Path) -> Result<Target, HubError> {
    match Hub::open(dir) {
        Ok(h) => Ok(Target::Hub(Box::new(h))),
        Err(HubError::InUse(d)) => match std::fs::read_to_string(dir.join("serve.addr")) {
            Ok(addr) => Ok(Target::Server(addr.trim().to_string())),
            Err(_) => Err(HubError::InUse(d)),
        },
        Err(e) => Err(e),
    }
}

fn admin(dir: &Path, addr: &str, path: &str, body: serde_json::Value) -> CliResult {
    match admin_text(dir, addr, path, body)? {
        Ok(text) => {
            print!("{text}");
            Ok(())
        }
        Err(text) => {
            print!("{text}");
            Err("the hub reported a problem".into())
        }
    }
}

/// The report of `form`'s indicators: computed by the running hub if it serves, else here.
pub fn report_of(
    dir: &Path,
    form: Option<&str>,
    (practice, recount): (bool, bool),
) -> Result<crate::indicators::compute::Report, super::error::CliError> {
    match target(dir)? {
        Target::Hub(hub) => Ok(crate::hub::report::compute(&hub, form, practice, recount)?),
        Target::Server(addr) => {
            let ask = serde_json::json!({
                "form": form,
                "include_training": practice,
                "recount": recount,
            });
            match admin_text(dir, &addr, "report", ask)? {
                Ok(json) => Ok(serde_json::from_str(&json)
                    .map_err(|e| format!("the running hub sent an unreadable report: {e}"))?),
                Err(text) => Err(text.trim().to_string().into()),
            }
        }
    }
}

/// An admin call's answer: `Ok(body)` on 200, `Err(body)` otherwise.
fn admin_text(
    dir: &Path,
    addr: &str,
    path: &str,
    body: serde_json::Value,
) -> Result<Result<String, String>, super::error::CliError> {
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
    let text = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap_or_default();
    Ok(if ok { Ok(text) } else { Err(text) })
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
                Err(format!("{failed} bundle(s) refused").into())
            } else {
                Ok(())
            }
        }
    }
}

/// `hub open`: through the running hub if it serves, else with the hub folder, else (an
/// escrow holder with only a key and bundle files) without it.
pub fn open(dir: Option<&Path>, identity: Option<PathBuf>, targets: Vec<String>) -> CliResult {
    use crate::hub::open::{OpenRequest, open_files};
    let absolute = |p: &str| {
        std::path::absolute(p)
            .map(|a| a.display().to_string())
            .unwrap_or_else(|_| p.to_string())
    };
    let req = OpenRequest {
        targets: targets
            .iter()
            .map(|t| {
                if uuid::Uuid::parse_str(t).is_ok() {
                    t.clone()
                } else {
                    absolute(t)
                }
            })
            .collect(),
        identity: identity.map(|p| std::path::absolute(&p).unwrap_or(p)),
    };
    match dir {
        Some(dir) => {
            print!("{}", opened(dir, &req)?);
            Ok(())
        }
        None => {
            let Some(identity) = &req.identity else {
                return Err("give the hub folder (--data) or a key (--identity)".into());
            };
            if let Some(id) = req
                .targets
                .iter()
                .find(|t| uuid::Uuid::parse_str(t).is_ok())
            {
                return Err(format!(
                    "{id}: opening a stored interview needs the hub folder (--data)"
                )
                .into());
            }
            let files: Vec<PathBuf> = req.targets.iter().map(PathBuf::from).collect();
            print!("{}", open_files(identity, &files)?);
            Ok(())
        }
    }
}

/// `hub open`'s JSON lines, from the running hub if it serves, else from its folder.
pub(crate) fn opened(
    dir: &Path,
    req: &crate::hub::open::OpenRequest,
) -> Result<String, super::error::CliError> {
    match target(dir)? {
        Target::Hub(hub) => Ok(crate::hub::open::open_with_hub(&hub, req)?),
        Target::Server(addr) => {
            let body = serde_json::to_value(req).map_err(|e| e.to_string())?;
            Ok(admin_text(dir, &addr, "open", body)?.map_err(|e| e.trim().to_string())?)
        }
    }
}

pub fn export(dir: &Path, args: &crate::export::Request) -> CliResult {
    let mut args = args.clone();
    args.out = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
    match target(dir)? {
        Target::Server(addr) => admin(
            dir,
            &addr,
            "export",
            serde_json::to_value(&args).map_err(|e| e.to_string())?,
        ),
        Target::Hub(hub) => {
            print!("{}", export_tables(&hub, &args)?);
            Ok(())
        }
    }
}

/// `hub referrals`: the referrals still set, oldest first, with whether they were followed up.
pub fn referrals(
    dir: &Path,
    since: Option<chrono::NaiveDate>,
    csv: Option<&Path>,
    followed_up: Option<uuid::Uuid>,
) -> CliResult {
    let hub = crate::hub::Hub::open(dir)?;
    if let Some(id) = followed_up {
        hub.referral_followed_up(id)?;
        println!("referral of interview {id} marked followed up");
    }
    let since = since
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let list = hub.referrals(since);
    let mut table = String::from("interview,commune,flagged_at,surveyor,device,form,followed_up\n");
    for r in &list {
        let n = &r.notice;
        let cells = [
            n.interview.to_string(),
            n.commune.clone(),
            n.at.local().to_rfc3339(),
            n.surveyor.clone(),
            n.device.to_string(),
            n.form_id.clone(),
            r.followed_up.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ];
        table.push_str(&crate::export::csv::line(&cells));
        println!(
            "{}  {:<28} {}  {:<12} {}",
            n.interview,
            n.commune,
            n.at.local().format("%Y-%m-%d %H:%M"),
            n.surveyor,
            if r.followed_up.is_some() {
                "followed up"
            } else {
                "OPEN"
            }
        );
    }
    if let Some(path) = csv {
        crate::store::paths::write_private(path, table.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if list.is_empty() {
        println!("no referrals");
    }
    Ok(())
}

/// `hub erase`: an erasure request that reached the district office directly.
pub fn erase(dir: &Path, id: uuid::Uuid, reason: &str) -> CliResult {
    let hub = crate::hub::Hub::open(dir)?;
    hub.erase(id, reason)?;
    println!("erased {id} ({reason}): only a tombstone remains");
    Ok(())
}

/// `hub recover-device-key`: prints the data key sealed in a device's `datakey.hub`.
pub fn recover_device_key(dir: &Path, file: &Path) -> CliResult {
    let hub = crate::hub::Hub::open(dir)?;
    let sealed = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    println!("{}", hub.recover_device_key(&sealed)?);
    Ok(())
}
