//! `langnghe hub plan`: a province's frame of communes → the sample plan. The frame is a CSV
//! with a header naming `province`, `commune` (its code), `name` and `children` (aged 7–17,
//! estimated); each province is a stratum, sized by the precision goal, its communes drawn
//! by PPS systematic sampling in the frame's order from a start the seed fixes.

use super::data::CliResult;
use crate::indicators::plan::{Goal, pps_systematic};
use std::fmt::Write;
use std::path::Path;

/// One commune of the frame, with the line it came from.
struct Commune {
    province: String,
    code: String,
    name: String,
    children: f64,
}

fn read_frame(path: &Path) -> Result<Vec<Commune>, String> {
    let shown = path.display();
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| format!("{shown}: {e}"))?;
    let head = r.headers().map_err(|e| format!("{shown}: {e}"))?.clone();
    let col = |name: &str| {
        head.iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!("{shown}: no `{name}` column (province, commune, name, children)")
            })
    };
    let (p, c, n, k) = (
        col("province")?,
        col("commune")?,
        col("name")?,
        col("children")?,
    );
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{shown}: {e}"))?;
        let line = rec.position().map_or(0, |p| p.line());
        let field = |i: usize| rec.get(i).unwrap_or("").to_string();
        let children: f64 = field(k).parse().map_err(|_| {
            format!(
                "{shown}:{line}: `children` must be a number, not `{}`",
                field(k)
            )
        })?;
        if !(children >= 0.0 && children.is_finite()) {
            return Err(format!("{shown}:{line}: `children` must be 0 or more"));
        }
        out.push(Commune {
            province: field(p),
            code: field(c),
            name: field(n),
            children,
        });
    }
    if out.is_empty() {
        return Err(format!("{shown}: no communes"));
    }
    Ok(out)
}

/// A start in [0, 1) for each province, from the seed and the province's name, so adding a
/// province to the frame does not change another's draw.
fn start(seed: u64, province: &str) -> f64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in province.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = crate::simulate::Rng::new(h);
    rng.below(1 << 53) as f64 / (1u64 << 53) as f64
}

pub fn run(frame: &Path, seed: u64, out: &Path, goal: Goal) -> CliResult {
    let communes = read_frame(frame)?;
    let mut provinces: Vec<&str> = Vec::new();
    for c in &communes {
        if !provinces.contains(&c.province.as_str()) {
            provinces.push(&c.province);
        }
    }
    let field = crate::export::csv::field;
    let mut csv = String::from(
        "province,commune,name,children,probability,commune_weight,children_to_select\n",
    );
    let per = u64::from(goal.per_commune);
    let mut summary = format!(
        "goal: ±{:.1} points at 95% per province, p = {}, design effect {}, response {:.0}%: \
         {} completed interviews, {} children selected per province, {} per commune (seed \
         {seed})\n",
        goal.margin * 100.0,
        goal.p,
        goal.deff,
        goal.response * 100.0,
        goal.completed(),
        goal.selected(),
        goal.per_commune
    );
    for prov in provinces {
        let frame: Vec<&Commune> = communes.iter().filter(|c| c.province == prov).collect();
        let sizes: Vec<f64> = frame.iter().map(|c| c.children).collect();
        let m = goal.communes(frame.len());
        let chosen = pps_systematic(&sizes, m, start(seed, prov));
        for (i, pi) in &chosen {
            let c = frame[*i];
            let _ = writeln!(
                csv,
                "{},{},{},{},{pi:.8},{:.4},{per}",
                field(&c.province),
                field(&c.code),
                field(&c.name),
                c.children,
                1.0 / pi
            );
        }
        let _ = writeln!(
            summary,
            "{prov}: {} communes in the frame ({} children); {} selected, {} children to \
             select ({per} per commune), about {:.0} completed interviews expected",
            frame.len(),
            sizes.iter().sum::<f64>(),
            chosen.len(),
            per * chosen.len() as u64,
            (per * chosen.len() as u64) as f64 * goal.response
        );
    }
    crate::store::paths::write_private(out, csv.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    print!("{summary}");
    println!("plan: {}", out.display());
    Ok(())
}
