//! The indicators over every interview the hub holds (and the tombstones, for the response
//! figures): computed here, in one pass, whether the CLI asks directly or through a serving
//! hub's admin call.

use super::Hub;
use crate::indicators::compute::{Accumulator, Report};

/// The report of `form`'s indicators (default: the first indicator set in the hub's forms).
/// Practice interviews (training mode, simulated) count only when `practice` is asked for.
pub fn compute(hub: &Hub, form: Option<&str>, practice: bool) -> Result<Report, String> {
    let (form, defs) = crate::catalog::pick_indicators(
        crate::catalog::indicator_sets(&hub.forms_dir())?,
        form,
        &hub.forms_dir(),
    )?;
    let acc = Accumulator::new(&defs, &form, chrono::Local::now().fixed_offset());
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
