//! The indicators over every interview the hub holds (and the tombstones, for the response
//! figures): computed here, in one pass, whether the CLI asks directly or through a serving
//! hub's admin call.

use super::Hub;
use crate::indicators::compute::{Accumulator, Report};
use crate::indicators::plan::Selection;

/// The report of `form`'s indicators (default: the first indicator set in the hub's forms).
/// Practice interviews (training mode, simulated) count only when `practice` is asked for.
pub fn compute(hub: &Hub, form: Option<&str>, practice: bool) -> Result<Report, String> {
    let (form, defs) = crate::catalog::pick_indicators(
        crate::catalog::indicator_sets(&hub.forms_dir())?,
        form,
        &hub.forms_dir(),
    )?;
    let mut acc = Accumulator::new(&defs, &form, chrono::Local::now().fixed_offset());
    if let Some(plan) = &defs.plan {
        acc.set_selection(selection(&hub.forms_dir().join(plan))?);
    }
    let acc = std::cell::RefCell::new(acc);
    let bad = hub.each_record(
        |f| {
            if practice || !f.training {
                acc.borrow_mut().add(&f)
            }
        },
        |t| acc.borrow_mut().ended(&t.form_id, &t.reason),
    )?;
    for b in bad {
        eprintln!("warning: {b}");
    }
    Ok(acc.into_inner().finish())
}

/// The selection probabilities of a plan `hub plan` wrote (province, commune, probability).
pub(crate) fn selection(path: &std::path::Path) -> Result<Selection, String> {
    let shown = path.display();
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("plan {shown}: {e}"))?;
    let head = r
        .headers()
        .map_err(|e| format!("plan {shown}: {e}"))?
        .clone();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("plan {shown}: no `{name}` column (made by `hub plan`?)"))
    };
    let (p, c, pi) = (col("province")?, col("commune")?, col("probability")?);
    let planned = col("children_to_select").ok();
    let mut sel = Selection::default();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("plan {shown}: {e}"))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let prob: f64 = get(pi)
            .parse()
            .ok()
            .filter(|x: &f64| *x > 0.0 && *x <= 1.0)
            .ok_or_else(|| format!("plan {shown}:{line}: probability must be in (0, 1]"))?;
        let k = planned.and_then(|k| get(k).parse().ok()).unwrap_or(0);
        sel.communes.insert((get(p), get(c)), (prob, k));
    }
    Ok(sel)
}
