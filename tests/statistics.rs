//! Coverage by simulation: over many surveys drawn from one known, clustered population
//! (two provinces, communes of unequal size whose children answer alike), the design-based
//! 95% intervals must cover the true proportion about 95% of the time; the simple-random-
//! sampling interval (Wilson on Kish's n) covers far less on the same data.

use langnghe::indicators::plan::{Goal, pps_systematic};
use langnghe::indicators::stats::{Design, Tally};
use langnghe::simulate::Rng;

fn uniform(rng: &mut Rng) -> f64 {
    rng.below(1 << 53) as f64 / (1u64 << 53) as f64
}

fn normal(rng: &mut Rng) -> f64 {
    let (u, v) = (uniform(rng).max(1e-12), uniform(rng));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A province: each commune's children, true (1) or not (0) for the indicator.
struct Province {
    communes: Vec<Vec<bool>>,
}

fn population(rng: &mut Rng) -> Vec<Province> {
    (0..2)
        .map(|h| Province {
            communes: (0..60)
                .map(|_| {
                    let size = 40 + rng.below(560) as usize;
                    // Commune effect: children of a commune answer alike (ICC ≈ 0.1).
                    let logit = if h == 0 { -0.3 } else { 0.4 } + 0.7 * normal(rng);
                    let p = 1.0 / (1.0 + (-logit).exp());
                    (0..size).map(|_| uniform(rng) < p).collect()
                })
                .collect(),
        })
        .collect()
}

/// One survey: in each province, communes by PPS, then `k` children by simple random
/// sampling in each; weights 1 / (π_commune · k / N_commune). The total's tally and design.
fn survey(pop: &[Province], m: usize, k: usize, rng: &mut Rng) -> (Tally, Design) {
    let mut design = Design::default();
    let mut t = Tally::default();
    for (h, prov) in pop.iter().enumerate() {
        design.strata.push(format!("p{h}"));
        let sizes: Vec<f64> = prov.communes.iter().map(|c| c.len() as f64).collect();
        for (i, pi) in pps_systematic(&sizes, m, uniform(rng)) {
            let psu = design.psus.len() as u32;
            design.psus.push((h as u32, format!("c{i}")));
            let children = &prov.communes[i];
            let n = children.len();
            let mut idx: Vec<usize> = (0..n).collect();
            for j in 0..k {
                let r = j + rng.below((n - j) as u64) as usize;
                idx.swap(j, r);
                let w = 1.0 / (pi * k as f64 / n as f64);
                t.add(children[idx[j]], w, Some(psu));
            }
        }
    }
    (t, design)
}

#[test]
fn design_based_intervals_cover_about_95_percent_on_clustered_data() {
    let mut rng = Rng::new(2026);
    let pop = population(&mut rng);
    let all: Vec<bool> = pop
        .iter()
        .flat_map(|p| p.communes.iter().flatten().copied())
        .collect();
    let truth = all.iter().filter(|y| **y).count() as f64 / all.len() as f64;
    let goal = Goal {
        per_commune: 15,
        margin: 0.08,
        ..Goal::default()
    };
    let m = goal.communes(60) / 2;
    let reps = 2000;
    let (mut design_hits, mut srs_hits, mut deff) = (0, 0, 0.0);
    for _ in 0..reps {
        let (mut t, d) = survey(&pop, m, 15, &mut rng);
        let srs = t.wilson().unwrap();
        t.variance = d.variance(&t);
        t.df = Some(d.df());
        let (lo, hi) = t.wilson().unwrap();
        design_hits += usize::from(lo <= truth && truth <= hi);
        srs_hits += usize::from(srs.0 <= truth && truth <= srs.1);
        deff += t.deff().unwrap_or(1.0) / f64::from(reps);
    }
    let design_cov = design_hits as f64 / f64::from(reps);
    let srs_cov = srs_hits as f64 / f64::from(reps);
    eprintln!(
        "coverage over {reps} surveys of {m} communes × 15 children per province: \
         design-based {design_cov:.3}, simple random sampling {srs_cov:.3}; mean deff {deff:.2}"
    );
    assert!(
        (0.93..=0.98).contains(&design_cov),
        "design-based coverage {design_cov}"
    );
    assert!(srs_cov < design_cov - 0.05, "SRS coverage {srs_cov}");
    assert!(deff > 1.5, "clustered data has a design effect: {deff}");
}
