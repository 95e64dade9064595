//! The sample plan: how many children and communes a province needs for a precision goal,
//! and which communes, drawn with probability proportional to size (PPS) by systematic
//! sampling — the usual first stage of a household or school survey. Pure: the caller gives
//! the random start, so a plan is reproducible from its seed. Formulas: docs/statistics.md.

use super::stats::Z95;

/// What a province's estimate must achieve, and what is assumed to get there.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Goal {
    /// Half-width of the 95% interval wanted (0.05: ±5 percentage points).
    pub margin: f64,
    /// The proportion assumed when sizing (0.5 is the worst case).
    pub p: f64,
    /// The design effect expected from clustering by commune.
    pub deff: f64,
    /// The share of selected children expected to complete the interview.
    pub response: f64,
    /// Children selected (approached) in each selected commune.
    pub per_commune: u32,
}

impl Default for Goal {
    fn default() -> Goal {
        Goal {
            margin: 0.05,
            p: 0.5,
            deff: 2.0,
            response: 0.8,
            per_commune: 20,
        }
    }
}

impl Goal {
    /// Completed interviews needed: z²·p(1−p)·deff / margin² (Cochran 1977, with Kish's
    /// design effect), before non-response.
    pub fn completed(&self) -> u64 {
        (Z95 * Z95 * self.p * (1.0 - self.p) * self.deff / (self.margin * self.margin)).ceil()
            as u64
    }

    /// Children to select: the completed interviews over the response rate.
    pub fn selected(&self) -> u64 {
        (self.completed() as f64 / self.response.clamp(0.01, 1.0)).ceil() as u64
    }

    /// Communes to select (at least 2, so the variance can be estimated), at most `frame`.
    pub fn communes(&self, frame: usize) -> usize {
        let m = (self.selected() as f64 / f64::from(self.per_commune.max(1))).ceil() as usize;
        m.max(2).min(frame)
    }
}

/// `m` units drawn from `sizes` with probability proportional to size, systematically in
/// the frame's order, from `start` in [0, 1). Units whose size alone reaches the sampling
/// interval are taken with certainty first. Returns each selected unit's index and its
/// inclusion probability π (1 for a certainty unit), in frame order.
pub fn pps_systematic(sizes: &[f64], m: usize, start: f64) -> Vec<(usize, f64)> {
    let mut certain = vec![false; sizes.len()];
    let positive = sizes.iter().filter(|s| **s > 0.0).count();
    let m = m.min(positive);
    // Units still to draw, and the size they are drawn from, leaving the certain ones out.
    let rest = |certain: &[bool]| {
        let left = m - certain.iter().filter(|c| **c).count();
        let total: f64 = sizes
            .iter()
            .zip(certain)
            .filter(|(_, c)| !**c)
            .map(|(s, _)| s.max(0.0))
            .sum();
        (left, total)
    };
    // Certainty units until no remaining unit is larger than the interval.
    loop {
        let (left, total) = rest(&certain);
        let big: Vec<usize> = (0..sizes.len())
            .filter(|&i| !certain[i] && left > 0 && sizes[i] * left as f64 >= total)
            .collect();
        if big.is_empty() {
            break;
        }
        for i in big {
            certain[i] = true;
        }
    }
    let (left, total) = rest(&certain);
    let mut out: Vec<(usize, f64)> = Vec::with_capacity(m);
    if left > 0 && total > 0.0 {
        let step = total / left as f64;
        let mut next = start.clamp(0.0, 1.0 - f64::EPSILON) * step;
        let mut cum = 0.0;
        for (i, s) in sizes.iter().enumerate() {
            if certain[i] || *s <= 0.0 {
                continue;
            }
            cum += s;
            if next < cum && out.len() < left {
                out.push((i, s * left as f64 / total));
                next += step;
            }
        }
    }
    out.extend((0..sizes.len()).filter(|&i| certain[i]).map(|i| (i, 1.0)));
    out.sort_by_key(|(i, _)| *i);
    out
}

/// A plan as the report uses it: each selected commune's inclusion probability, by
/// (stratum, PSU) as the interviews name them (province and commune codes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// (province, commune) → (π, children to select there).
    pub communes: std::collections::HashMap<(String, String), (f64, u64)>,
}

impl Selection {
    /// 1/π of a commune, if the plan selected it.
    pub fn weight(&self, stratum: &str, psu: &str) -> Option<f64> {
        self.communes
            .get(&(stratum.to_string(), psu.to_string()))
            .filter(|(pi, _)| *pi > 0.0)
            .map(|(pi, _)| 1.0 / pi)
    }
}

/// The plan against what came in: per selected commune, the children planned and the
/// interviews completed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Achieved {
    /// (province, commune, children to select, completed interviews), in plan order.
    pub communes: Vec<(String, String, u64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizing_follows_the_textbook_formula() {
        let g = Goal::default();
        // 1.96² · 0.25 · 2 / 0.05² = 768.3 → 769 completed; / 0.8 → 962 selected; / 20 → 49.
        assert_eq!(
            (g.completed(), g.selected(), g.communes(500)),
            (769, 962, 49)
        );
        assert_eq!(g.communes(30), 30, "never more than the frame holds");
        let tiny = Goal { margin: 0.5, ..g };
        assert_eq!(
            tiny.communes(500),
            2,
            "two at least, to estimate a variance"
        );
    }

    #[test]
    fn pps_picks_each_unit_as_often_as_its_size_says() {
        let sizes: Vec<f64> = (1..=20).map(|i| f64::from(i) * 10.0).collect();
        let total: f64 = sizes.iter().sum();
        let m = 5;
        let mut hits = vec![0u32; sizes.len()];
        let starts = 10_000;
        for k in 0..starts {
            let chosen = pps_systematic(&sizes, m, (f64::from(k) + 0.5) / f64::from(starts));
            assert_eq!(chosen.len(), m);
            for (i, pi) in chosen {
                assert!((pi - sizes[i] * m as f64 / total).abs() < 1e-12);
                hits[i] += 1;
            }
        }
        for (i, h) in hits.iter().enumerate() {
            let share = f64::from(*h) / f64::from(starts);
            let pi = sizes[i] * m as f64 / total;
            assert!((share - pi).abs() < 2e-3, "unit {i}: {share} vs π {pi}");
        }
    }

    #[test]
    fn a_unit_larger_than_the_interval_is_taken_for_certain() {
        let sizes = [1000.0, 10.0, 20.0, 30.0, 40.0];
        let chosen = pps_systematic(&sizes, 3, 0.3);
        assert_eq!(chosen.len(), 3);
        assert!(chosen.contains(&(0, 1.0)), "{chosen:?}");
        let rest: f64 = chosen.iter().filter(|(i, _)| *i != 0).map(|(_, p)| p).sum();
        // Two more from 100 units of size: π = 2·size/100 each.
        assert!(
            chosen
                .iter()
                .filter(|(i, _)| *i != 0)
                .all(|(i, p)| (p - 2.0 * sizes[*i] / 100.0).abs() < 1e-12)
        );
        assert!(rest > 0.0);
    }
}
