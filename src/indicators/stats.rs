//! Proportions with 95% Wilson score intervals; weighted counts via Kish's effective n.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Below this many respondents a cell is "too few to say", not a bare percentage.
pub(crate) const MIN_N: f64 = 30.0;

/// Running sums for one cell: unweighted and weighted.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Respondents in the population (unweighted count).
    pub n: u64,
    /// Of whom meet the numerator condition (unweighted).
    pub yes: u64,
    pub w: f64,
    pub w2: f64,
    pub w_yes: f64,
}

impl Tally {
    pub fn add(&mut self, yes: bool, weight: f64) {
        self.n += 1;
        self.w += weight;
        self.w2 += weight * weight;
        if yes {
            self.yes += 1;
            self.w_yes += weight;
        }
    }

    /// The (weighted) proportion, if anyone is in the population.
    pub fn proportion(&self) -> Option<f64> {
        (self.w > 0.0).then(|| self.w_yes / self.w)
    }

    /// Kish's effective sample size; equals n when every weight is 1.
    pub fn effective_n(&self) -> f64 {
        if self.w2 > 0.0 {
            self.w * self.w / self.w2
        } else {
            0.0
        }
    }

    pub fn enough(&self) -> bool {
        self.effective_n() >= MIN_N
    }

    pub fn wilson(&self) -> Option<(f64, f64)> {
        self.proportion()
            .map(|p| wilson(p, self.effective_n(), Z95))
    }
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
