//! The indicators over every interview the hub holds (and the tombstones, for the response
//! figures), whether the CLI asks directly or through a serving hub's admin call: from the
//! tallies kept at ingest (`hub/tallies.rs`), or in one pass over the store.

use super::Hub;
use crate::indicators::compute::{Accumulator, Report};

/// The report of `form`'s indicators (default: the first indicator set in the hub's forms).
/// Practice interviews (training mode, simulated) count only when `practice` is asked for;
/// the report comes from the tallies kept at ingest, counted again first when `recount`
/// asks.
pub fn compute(
    hub: &Hub,
    form: Option<&str>,
    practice: bool,
    recount: bool,
) -> Result<Report, String> {
    if !practice || hub.config.accept_training {
        return hub.tallied_report(form, practice, recount);
    }
    // A production hub keeps no tallies with practice (it stores none): one pass over
    // whatever an earlier setting let in.
    let sets = hub.indicator_sets()?;
    let (form, defs) = crate::catalog::pick_indicators(&sets, form, &hub.forms_dir())?;
    let state = hub.count_all(form, defs, true)?;
    let now = chrono::Local::now().fixed_offset();
    Ok(Accumulator::resume(defs, form, now, state).finish())
}
