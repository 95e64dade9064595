//! Proportions with 95% Wilson score intervals. Without a sample design (a convenience
//! sample) the interval assumes simple random sampling, with Kish's effective n for weights.
//! With one (strata and primary sampling units named in the indicator file), the variance
//! of each weighted proportion is the Taylor-linearised, with-replacement estimate a survey
//! statistician computes (R's `survey::svymean` on a `svydesign(ids, strata, weights,
//! nest = TRUE)`), and the interval is Wilson's on the design's effective n. Formulas and
//! references: docs/statistics.md.

use std::collections::BTreeMap;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Below this many respondents (unweighted) a cell is "too few to say", not a percentage
/// (the rule DHS and MICS reports follow).
pub const SUPPRESS_BELOW: u64 = 25;
/// Below this many a percentage is shown in parentheses: to read with caution.
pub const CAUTION_BELOW: u64 = 50;

/// Running sums for one cell: unweighted and weighted.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Respondents in the population (unweighted count).
    pub n: u64,
    /// Of whom meet the numerator condition (unweighted).
    pub yes: u64,
    pub w: f64,
    pub w2: f64,
    pub w_yes: f64,
    /// Per primary sampling unit (its index in the design) and post-stratum (0 without
    /// post-stratification): Σw, Σw·y and Σw² of this cell's respondents there. Kept while
    /// counting, then turned into `variance`.
    #[serde(skip)]
    pub(crate) psus: BTreeMap<(u32, u32), (f64, f64, f64)>,
    /// The design-based variance of the proportion (set when the report has a design).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<f64>,
    /// The design's degrees of freedom (PSUs − strata), with the variance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<u32>,
}

/// The sample design as counted: which stratum each primary sampling unit is in.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Design {
    /// Stratum names, in order of appearance.
    pub strata: Vec<String>,
    /// Each PSU's stratum (index into `strata`) and name.
    pub psus: Vec<(u32, String)>,
    /// Post-stratification to known totals, when the indicator file asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<PostStrata>,
}

/// The post-strata (round × the cells of the post-stratifying breakdowns) met in the
/// sample, and the weight the sample puts in each.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PostStrata {
    /// The breakdowns' names, in the order a post-stratum's cells are given.
    pub by: Vec<String>,
    /// Each post-stratum: its round and cells, and the known total (none: not in the
    /// totals, so its weights are left as they were).
    pub groups: Vec<(String, Vec<String>, Option<f64>)>,
    /// Σ weight of every interview counted, by (PSU, post-stratum): before the adjustment
    /// while counting, after it once the report is finished.
    #[serde(skip)]
    pub(crate) weights: BTreeMap<(u32, u32), f64>,
    /// Interviews in a post-stratum the totals do not give (left unadjusted).
    pub unmatched: u64,
    /// Post-strata of the totals no interview of a round fell in (its children unrepresented).
    pub empty: Vec<String>,
}

impl PostStrata {
    /// Each post-stratum's adjustment factor g = N / N̂ (known total over the sample's
    /// weight there; 1 where the total is unknown).
    pub(crate) fn factors(&self) -> Vec<f64> {
        let mut have = vec![0.0; self.groups.len()];
        for (&(_, k), w) in &self.weights {
            have[k as usize] += w;
        }
        self.groups
            .iter()
            .zip(have)
            .map(|((_, _, known), have)| match known {
                Some(n) if have > 0.0 => n / have,
                _ => 1.0,
            })
            .collect()
    }
}

impl Design {
    /// Degrees of freedom of the variance: PSUs − strata (at least 1).
    pub fn df(&self) -> u32 {
        (self.psus.len().saturating_sub(self.strata.len()) as u32).max(1)
    }

    /// The with-replacement Taylor variance of `t`'s proportion: over strata h, n_h/(n_h−1)
    /// times the sum over all of h's PSUs of (z_hi − z̄_h)², z_hi = (Σw·y − p·Σw)_hi / Σw,
    /// PSUs without a respondent of the cell counting with z = 0 (a domain estimate). A
    /// stratum with one PSU adds nothing (R's `survey.lonely.psu = "certainty"`). With
    /// post-stratification each z_i becomes the residual of the post-stratum means, e_i =
    /// z_i − (Z_g / N_g)·w_i summed over the PSU (R's `svyrecvar` with `postStrata`).
    pub fn variance(&self, t: &Tally) -> Option<f64> {
        let p = t.proportion()?;
        let mut z = vec![0.0; self.psus.len()];
        let mut per_group: BTreeMap<u32, f64> = BTreeMap::new();
        for (&(i, g), &(wx, wy, _)) in &t.psus {
            let zi = (wy - p * wx) / t.w;
            *z.get_mut(i as usize)? += zi;
            *per_group.entry(g).or_default() += zi;
        }
        if let Some(post) = &self.post {
            let mut size = vec![0.0; post.groups.len()];
            for (&(_, g), w) in &post.weights {
                size[g as usize] += w;
            }
            for (&(i, g), w) in &post.weights {
                if let (Some(zg), Some(n)) = (per_group.get(&g), size.get(g as usize))
                    && *n > 0.0
                {
                    *z.get_mut(i as usize)? -= zg / n * w;
                }
            }
        }
        let mut sums = vec![(0.0, 0.0, 0.0); self.strata.len()];
        for ((h, _), zi) in self.psus.iter().zip(&z) {
            let s = sums.get_mut(*h as usize)?;
            *s = (s.0 + 1.0, s.1 + zi, s.2 + zi * zi);
        }
        let v = sums
            .iter()
            .filter(|(n, _, _)| *n > 1.0)
            .map(|(n, s, s2)| n / (n - 1.0) * (s2 - s * s / n))
            .sum::<f64>();
        Some(v.max(0.0))
    }
}

impl Tally {
    /// One respondent; `psu` its primary sampling unit when the report has a design.
    pub fn add(&mut self, yes: bool, weight: f64, psu: Option<u32>) {
        self.add_in(yes, weight, psu.map(|i| (i, 0)));
    }

    /// One respondent in a PSU and post-stratum.
    pub(crate) fn add_in(&mut self, yes: bool, weight: f64, unit: Option<(u32, u32)>) {
        self.n += 1;
        self.w += weight;
        self.w2 += weight * weight;
        let wy = if yes { weight } else { 0.0 };
        if yes {
            self.yes += 1;
            self.w_yes += weight;
        }
        if let Some(i) = unit {
            let e = self.psus.entry(i).or_default();
            e.0 += weight;
            e.1 += wy;
            e.2 += weight * weight;
        }
    }

    /// Multiplies every weight in PSU i and post-stratum g by `factor(i, g)` (non-response
    /// and post-stratification adjustments), the sums following.
    pub(crate) fn rescale(&mut self, factor: impl Fn(u32, u32) -> f64) {
        let (mut w, mut w_yes, mut w2) = (0.0, 0.0, 0.0);
        for (&(i, g), e) in self.psus.iter_mut() {
            let f = factor(i, g);
            *e = (e.0 * f, e.1 * f, e.2 * f * f);
            w += e.0;
            w_yes += e.1;
            w2 += e.2;
        }
        (self.w, self.w_yes, self.w2) = (w, w_yes, w2);
    }

    /// The (weighted) proportion, if anyone is in the population.
    pub fn proportion(&self) -> Option<f64> {
        (self.w > 0.0).then(|| self.w_yes / self.w)
    }

    /// The standard error of the proportion under the design, when there is one.
    pub fn se(&self) -> Option<f64> {
        self.variance.map(f64::sqrt)
    }

    /// The design effect: the design's variance over what a simple random sample of the
    /// same number of respondents would give, p(1−p)/n (weighting and clustering together).
    pub fn deff(&self) -> Option<f64> {
        let p = self.proportion()?;
        let srs = p * (1.0 - p) / self.n as f64;
        // No variance between PSUs (a cell that is one commune) tells nothing about the design.
        self.variance
            .filter(|v| srs > 0.0 && *v > 0.0)
            .map(|v| v / srs)
    }

    /// The effective sample size: with a design, p(1−p)/variance (the n a simple random
    /// sample would need for the same precision); without, Kish's (n when every weight is 1).
    pub fn effective_n(&self) -> f64 {
        let kish = if self.w2 > 0.0 {
            self.w * self.w / self.w2
        } else {
            0.0
        };
        match (self.proportion(), self.variance) {
            (Some(p), Some(v)) if v > 0.0 && p > 0.0 && p < 1.0 => p * (1.0 - p) / v,
            _ => kish,
        }
    }

    /// The variance of the proportion: the design's, else p(1−p) over the effective n.
    pub fn variance_or_srs(&self) -> Option<f64> {
        let p = self.proportion()?;
        self.variance
            .or_else(|| (self.effective_n() > 0.0).then(|| p * (1.0 - p) / self.effective_n()))
    }

    /// Enough respondents to show a percentage at all.
    pub fn enough(&self) -> bool {
        self.n >= SUPPRESS_BELOW && self.w > 0.0
    }

    /// Shown, but in parentheses: few respondents.
    pub fn caution(&self) -> bool {
        self.enough() && self.n < CAUTION_BELOW
    }

    /// The 95% interval: Wilson's on the effective n; with a design whose variance rests on
    /// few PSUs, that n shrinks by (z / t_df)², Korn and Graubard's degrees-of-freedom
    /// adjustment, so two communes per province cannot pass for a census.
    pub fn wilson(&self) -> Option<(f64, f64)> {
        let n = match (self.variance, self.df) {
            (Some(_), Some(df)) => {
                let r = Z95 / t975(df);
                self.effective_n() * r * r
            }
            _ => self.effective_n(),
        };
        self.proportion().map(|p| wilson(p, n, Z95))
    }
}

/// The change of an indicator between two survey rounds, and where its trend leads.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub from: String,
    pub to: String,
    /// The later proportion minus the earlier.
    pub diff: f64,
    /// Its 95% interval: the rounds are independent samples, so the variances add.
    pub interval: (f64, f64),
    /// When the rounds are years: the value the straight line through them reaches in the
    /// target's year, and that target.
    pub projected: Option<(i32, f64, f64)>,
}

/// The change between the last two rounds that can be shown (enough respondents in both),
/// projected to the last target year when the rounds are years.
pub fn change(rounds: &BTreeMap<String, Tally>, targets: &[(i32, f64)]) -> Option<Change> {
    let shown: Vec<(&String, &Tally)> = rounds.iter().filter(|(_, t)| t.enough()).collect();
    let [.., (from, a), (to, b)] = shown.as_slice() else {
        return None;
    };
    let (pa, pb) = (a.proportion()?, b.proportion()?);
    let diff = pb - pa;
    let half = Z95 * (a.variance_or_srs()? + b.variance_or_srs()?).sqrt();
    let years = from.parse::<i32>().ok().zip(to.parse::<i32>().ok());
    let projected = match (years, targets.last()) {
        (Some((ya, yb)), Some(&(year, goal))) if yb > ya && year > yb => {
            let slope = diff / f64::from(yb - ya);
            Some((
                year,
                (pb + slope * f64::from(year - yb)).clamp(0.0, 1.0),
                goal,
            ))
        }
        _ => None,
    };
    Some(Change {
        from: (*from).clone(),
        to: (*to).clone(),
        diff,
        interval: (diff - half, diff + half),
        projected,
    })
}

/// Student's t quantile 0.975 for `df` degrees of freedom: tabulated up to 30, then the
/// Cornish–Fisher expansion around z (Abramowitz & Stegun 26.7.5), within 1e-5 there.
pub fn t975(df: u32) -> f64 {
    const T: [f64; 30] = [
        12.706_205, 4.302_653, 3.182_446, 2.776_445, 2.570_582, 2.446_912, 2.364_624, 2.306_004,
        2.262_157, 2.228_139, 2.200_985, 2.178_813, 2.160_369, 2.144_787, 2.131_450, 2.119_905,
        2.109_816, 2.100_922, 2.093_024, 2.085_963, 2.079_614, 2.073_873, 2.068_658, 2.063_899,
        2.059_539, 2.055_529, 2.051_831, 2.048_407, 2.045_230, 2.042_272,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if let Some(t) = T.get(df as usize - 1) {
        return *t;
    }
    let (z, n) = (Z95, f64::from(df));
    let z3 = z * z * z;
    let z5 = z3 * z * z;
    let z7 = z5 * z * z;
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

/// The Wilson score interval for proportion `p` out of `n`.
pub fn wilson(p: f64, n: f64, z: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (stratum, psu, weight, yes) of each respondent of a cell.
    const CELL: [(u32, u32, f64, bool); 7] = [
        (0, 0, 1.0, true),
        (0, 0, 2.0, false),
        (0, 1, 1.0, true),
        (1, 2, 3.0, true),
        (1, 3, 1.0, false),
        (1, 3, 1.0, true),
        (2, 5, 4.0, true),
    ];

    fn design() -> Design {
        Design {
            strata: vec!["A".into(), "B".into(), "C".into()],
            // Stratum B has a third PSU (4) with nobody of this cell; C has one PSU only.
            psus: [0, 0, 1, 1, 1, 2]
                .iter()
                .enumerate()
                .map(|(i, h)| (*h, format!("psu{i}")))
                .collect(),
            post: None,
        }
    }

    #[test]
    fn post_stratified_variance_is_the_residual_one_unit_by_unit() {
        // (psu, post-stratum, weight, in the cell, yes): every interview of the sample,
        // some outside the cell (a domain), in two post-strata with known totals.
        let units: [(u32, u32, f64, bool, bool); 10] = [
            (0, 0, 1.0, true, true),
            (0, 1, 2.0, true, false),
            (1, 0, 1.5, false, false),
            (1, 1, 1.0, true, true),
            (2, 0, 2.0, true, false),
            (2, 1, 1.0, false, true),
            (3, 0, 1.0, true, true),
            (3, 1, 3.0, true, true),
            (4, 1, 2.0, true, false),
            (5, 0, 1.0, true, true),
        ];
        let known = [20.0, 30.0];
        let mut d = design();
        let mut post = PostStrata {
            groups: (0..2)
                .map(|k| (String::new(), vec![], Some(known[k])))
                .collect(),
            ..PostStrata::default()
        };
        for u in units {
            *post.weights.entry((u.0, u.1)).or_default() += u.2;
        }
        let g = post.factors();
        post.weights
            .iter_mut()
            .for_each(|((_, k), w)| *w *= g[*k as usize]);
        d.post = Some(post);
        let mut t = Tally::default();
        for u in units.iter().filter(|u| u.3) {
            t.add_in(u.4, u.2, Some((u.0, u.1)));
        }
        t.rescale(|_, k| g[k as usize]);
        // By hand, as R's svyrecvar does it: x_i = w_i (y_i − p) / W in the cell, 0 out of
        // it; residual e_i = x_i − (Σ_{k} x / N_k) w_i; totals per PSU; with-replacement.
        let w = |u: &(u32, u32, f64, bool, bool)| u.2 * g[u.1 as usize];
        let big_w: f64 = units.iter().filter(|u| u.3).map(w).sum();
        let p = units.iter().filter(|u| u.3 && u.4).map(w).sum::<f64>() / big_w;
        assert!((t.proportion().unwrap() - p).abs() < 1e-15);
        let x = |u: &(u32, u32, f64, bool, bool)| {
            if u.3 {
                w(u) * (f64::from(u8::from(u.4)) - p) / big_w
            } else {
                0.0
            }
        };
        let mean =
            |k: u32| units.iter().filter(|u| u.1 == k).map(x).sum::<f64>() / known[k as usize];
        let e = |j: u32| {
            units
                .iter()
                .filter(|u| u.0 == j)
                .map(|u| x(u) - mean(u.1) * w(u))
                .sum::<f64>()
        };
        let var_of = |zs: &[f64]| {
            let n = zs.len() as f64;
            let m = zs.iter().sum::<f64>() / n;
            n / (n - 1.0) * zs.iter().map(|x| (x - m).powi(2)).sum::<f64>()
        };
        let want = var_of(&[e(0), e(1)]) + var_of(&[e(2), e(3), e(4)]);
        let got = d.variance(&t).unwrap();
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        // Post-stratification changed something: without it the variance differs.
        d.post = None;
        assert!((d.variance(&t).unwrap() - want).abs() > 1e-6);
    }

    #[test]
    fn the_design_variance_is_the_textbook_one_computed_by_hand() {
        let mut t = Tally::default();
        for (_, psu, w, yes) in CELL {
            t.add(yes, w, Some(psu));
        }
        let (sw, swy): (f64, f64) = CELL.iter().fold((0.0, 0.0), |(a, b), r| {
            (a + r.2, b + if r.3 { r.2 } else { 0.0 })
        });
        let p = swy / sw;
        assert_eq!(t.proportion(), Some(p));
        // z per PSU, PSU 4 (no respondent) z = 0; stratum C (one PSU) adds nothing.
        let z = |psu: u32| {
            CELL.iter()
                .filter(|r| r.1 == psu)
                .map(|r| r.2 * (if r.3 { 1.0 } else { 0.0 } - p))
                .sum::<f64>()
                / sw
        };
        let var_of = |zs: &[f64]| {
            let n = zs.len() as f64;
            let mean = zs.iter().sum::<f64>() / n;
            n / (n - 1.0) * zs.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
        };
        let want = var_of(&[z(0), z(1)]) + var_of(&[z(2), z(3), 0.0]);
        let got = design().variance(&t).unwrap();
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        t.variance = Some(got);
        assert!((t.se().unwrap() - want.sqrt()).abs() < 1e-15);
        let srs = p * (1.0 - p) / 7.0;
        assert!((t.deff().unwrap() - want / srs).abs() < 1e-12);
        assert!((t.effective_n() - p * (1.0 - p) / want).abs() < 1e-9);
        let (lo, hi) = t.wilson().unwrap();
        assert!(lo < p && p < hi && lo >= 0.0 && hi <= 1.0);
    }

    #[test]
    fn without_a_design_the_interval_is_the_simple_random_sample_one() {
        let mut t = Tally::default();
        for i in 0..40 {
            t.add(i % 4 == 0, 1.0, None);
        }
        assert_eq!((t.se(), t.deff()), (None, None));
        assert_eq!(t.effective_n(), 40.0);
        assert_eq!(t.wilson(), Some(wilson(0.25, 40.0, Z95)));
    }

    #[test]
    fn a_change_between_rounds_has_its_interval_and_its_trend() {
        let round = |n: u64, yes: u64| {
            let mut t = Tally::default();
            for i in 0..n {
                t.add(i < yes, 1.0, None);
            }
            t
        };
        let rounds: BTreeMap<String, Tally> = [
            ("2024".to_string(), round(10, 9)), // too few: not compared
            ("2025".to_string(), round(200, 50)),
            ("2026".to_string(), round(300, 90)),
        ]
        .into_iter()
        .collect();
        let c = change(&rounds, &[(2025, 0.30), (2030, 0.35)]).unwrap();
        assert_eq!((c.from.as_str(), c.to.as_str()), ("2025", "2026"));
        assert!((c.diff - 0.05).abs() < 1e-12);
        let half = Z95 * (0.25 * 0.75 / 200.0 + 0.3 * 0.7 / 300.0_f64).sqrt();
        assert!((c.interval.0 - (0.05 - half)).abs() < 1e-12);
        assert!((c.interval.1 - (0.05 + half)).abs() < 1e-12);
        // +5 points a year from 30% in 2026: 50% in 2030, above the 35% target.
        let (year, value, goal) = c.projected.unwrap();
        assert_eq!((year, goal), (2030, 0.35));
        assert!((value - 0.50).abs() < 1e-12);
        // Rounds named otherwise: no trend to draw.
        let named: BTreeMap<String, Tally> = [
            ("baseline".to_string(), round(200, 50)),
            ("endline".to_string(), round(300, 90)),
        ]
        .into_iter()
        .collect();
        assert!(change(&named, &[(2030, 0.35)]).unwrap().projected.is_none());
    }

    #[test]
    fn t_quantiles_are_students() {
        // R: qt(0.975, c(1, 2, 30, 31, 40, 100, 1000))
        for (df, want) in [
            (1, 12.706_205),
            (2, 4.302_653),
            (30, 2.042_272),
            (31, 2.039_513),
            (40, 2.021_075),
            (100, 1.983_972),
            (1000, 1.962_339),
        ] {
            assert!((t975(df) - want).abs() < 2e-5, "df {df}: {}", t975(df));
        }
    }
}
