//! Device verbs: enrol, sync, and bundles on a USB stick.

use super::data::CliResult;
use crate::store::{Stamp, Store};
use crate::sync::{client, outbox};
use std::io::IsTerminal;
use std::path::Path;

fn now() -> Stamp {
    Stamp::from_local(chrono::Local::now().fixed_offset())
}

pub fn enroll(store: &Store, hub_url: &str, token: &str) -> CliResult {
    let (e, sealed) = client::enroll(store, hub_url, token)?;
    println!("enrolled with hub {} at {}", e.hub_id, e.hub_url);
    if sealed > 0 {
        println!("{sealed} interview(s) finalized before enrolment are now sealed to the hub");
    }
    Ok(())
}

pub fn sync(store: &Store) -> CliResult {
    let c = client::Client::new(store.dir())?;
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if tty {
            eprint!("\rsending {done}/{total}");
        }
    };
    let r = outbox::sync_once(store, &c, &store.dir().join("forms"), now, &mut progress)?;
    if tty && r.bundles > 0 {
        eprintln!();
    }
    warn_damaged(&r.damaged);
    println!(
        "sent {} bundle(s): {} accepted, {} already there, {} kept aside as conflicts, {} refusal/withdrawal count(s), {} referral(s), {} form version(s) delivered; {} new form(s); {} old interview(s) erased after retention",
        r.bundles,
        r.accepted,
        r.duplicate,
        r.conflict,
        r.ended,
        r.referrals,
        r.forms_delivered,
        r.forms,
        r.erased
    );
    print_returned(&r.returned, r.refused);
    if let Some(e) = &r.returns_error {
        eprintln!("warning: could not fetch the interviews sent back: {e}");
    }
    Ok(())
}

/// What came back from the supervisor, and practice the hub did not take.
fn print_returned(t: &crate::store::Taken, refused: usize) {
    if t.reopened > 0 {
        println!(
            "{} interview(s) sent back by the supervisor: reopened as drafts with the note (home: \"trả lại\")",
            t.reopened
        );
    }
    if t.erased > 0 {
        println!(
            "{} interview(s) sent back were erased here (withdrawn): not reopened",
            t.erased
        );
    }
    if refused > 0 {
        println!(
            "{refused} practice interview(s) (training mode or simulated) not taken by this hub: it takes real interviews only"
        );
    }
}

pub fn bundle_export(store: &Store, out: &Path) -> CliResult {
    let e = client::load_enrollment(store.dir())
        .ok_or("this device is not enrolled: run `langnghe enroll` first")?;
    let key = crate::protocol::keys::load_signing_key(&client::key_path(store.dir()))?;
    let (files, damaged) = outbox::export_files(store, &e, &key, out, outbox::MAX_BUNDLE_BYTES)?;
    warn_damaged(&damaged);
    if files.is_empty() {
        println!("nothing to send");
        return Ok(());
    }
    for (path, n) in &files {
        println!("{n} record(s) in {}", path.display());
    }
    println!(
        "after `langnghe hub import` of {}, run `langnghe bundle confirm` with the receipt(s) it writes",
        if files.len() == 1 {
            "this file"
        } else {
            "these files"
        }
    );
    Ok(())
}

/// Records that could not be read are named, and the rest goes out without them.
fn warn_damaged(damaged: &[String]) {
    if !damaged.is_empty() {
        eprintln!(
            "warning: {} damaged record(s) could not be read and were not sent:",
            damaged.len()
        );
        for d in damaged {
            eprintln!("  {d}");
        }
    }
}

pub fn bundle_confirm(store: &Store, receipts: &[std::path::PathBuf]) -> CliResult {
    let e = client::load_enrollment(store.dir()).ok_or("this device is not enrolled")?;
    let mut report = outbox::Report::default();
    for receipt in receipts {
        // A file from a stick is read no further than a receipt or returns file can be.
        let mut bytes = Vec::new();
        std::fs::File::open(receipt)
            .and_then(|f| {
                std::io::Read::read_to_end(&mut std::io::Read::take(f, 64 << 20), &mut bytes)
            })
            .map_err(|err| format!("cannot read {}: {err}", receipt.display()))?;
        if crate::protocol::returns::is_returns(&bytes) {
            let r = client::verify_returns_for(&bytes, &e, store.device())
                .map_err(|err| format!("{}: {err}", receipt.display()))?;
            let t = store.take_returns(&r)?;
            report.returned.reopened += t.reopened;
            report.returned.erased += t.erased;
            continue;
        }
        let r = client::verify_receipt_for(&bytes, &e, store.device())
            .map_err(|err| format!("{}: {err}", receipt.display()))?;
        outbox::apply(store, &r, now(), &mut report)?;
    }
    println!(
        "{} interview(s) marked sent ({} accepted, {} already there, {} conflicts), {} refusal/withdrawal count(s)",
        report.accepted + report.duplicate + report.conflict,
        report.accepted,
        report.duplicate,
        report.conflict,
        report.ended
    );
    print_returned(&report.returned, report.refused);
    Ok(())
}
