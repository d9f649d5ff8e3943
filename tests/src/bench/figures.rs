//! Figures: the samples of one measured quantity, their median/min/max, and the verdict
//! against the target.

use serde::Serialize;

/// How a figure's numbers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seconds,
    Millis,
    Count,
    /// A quotient of two figures (`×`).
    Ratio,
    /// Megabytes (10^6 bytes: the stricter reading of the "MB").
    MB,
}

impl Unit {
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Seconds => format!("{value:.2} s"),
            Unit::Millis => format!("{value:.2} ms"),
            Unit::Count => {
                if value.fract() == 0.0 {
                    format!("{value:.0}")
                } else {
                    format!("{value:.1}")
                }
            }
            Unit::Ratio => format!("{value:.2}×"),
            Unit::MB => format!("{value:.1} MB"),
        }
    }
}

/// median, min and max of a figure's samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// `None` without samples. The median of an even count is the mean of the middle two.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }
}

/// PASS or MISS of a figure's median against its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Missed by this share of the target (0.25 = 25 % over).
    Miss(f64),
    /// Informative figure without a target.
    NoTarget,
    /// Nothing was measured, and nothing was asked of it.
    NotMeasured,
    /// A target with nothing measured against it: a miss, never a pass.
    Missing,
}

impl Verdict {
    pub fn label(&self) -> String {
        match self {
            Verdict::Pass => "PASS".into(),
            Verdict::Miss(by) => format!("MISS (+{:.0} %)", by * 100.0),
            Verdict::NoTarget => "".into(),
            Verdict::NotMeasured => "n/a".into(),
            Verdict::Missing => "MISS (not measured)".into(),
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Stable key (the smoke test looks figures up by it), e.g. `apply.wall`.
    pub id: &'static str,
    /// Scenario heading, e.g. `1 Apply`.
    pub scenario: &'static str,
    pub label: String,
    pub unit: Unit,
    pub samples: Vec<f64>,
    /// The median must be at most this.
    pub target: Option<f64>,
    /// Why a figure is missing, or what it is made of.
    pub note: String,
    /// The factor on AWS's usual durations the figure was measured at, when scenario 1 ran
    /// at several (`durations.rs`); rows of one id differ by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_factor: Option<f64>,
    /// Stacks in the configuration, when rows of one id differ by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacks: Option<usize>,
}

impl Figure {
    pub fn new(id: &'static str, scenario: &'static str, label: &str, unit: Unit) -> Figure {
        Figure {
            id,
            scenario,
            label: label.to_string(),
            unit,
            samples: Vec::new(),
            target: None,
            note: String::new(),
            duration_factor: None,
            stacks: None,
        }
    }

    pub fn stacks(mut self, stacks: usize) -> Figure {
        self.stacks = Some(stacks);
        self
    }

    pub fn duration_factor(mut self, factor: f64) -> Figure {
        self.duration_factor = Some(factor);
        self
    }

    pub fn target(mut self, at_most: f64) -> Figure {
        self.target = Some(at_most);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Figure {
        self.note = note.into();
        self
    }

    pub fn samples(mut self, samples: Vec<f64>) -> Figure {
        self.samples = samples;
        self
    }

    pub fn summary(&self) -> Option<Summary> {
        Summary::of(&self.samples)
    }

    pub fn verdict(&self) -> Verdict {
        match (self.summary(), self.target) {
            (None, Some(_)) => Verdict::Missing,
            (None, None) => Verdict::NotMeasured,
            (Some(_), None) => Verdict::NoTarget,
            (Some(summary), Some(target)) if summary.median <= target => Verdict::Pass,
            (Some(summary), Some(target)) => Verdict::Miss(summary.median / target - 1.0),
        }
    }

    pub fn target_label(&self) -> String {
        self.target
            .map(|t| format!("≤ {}", self.unit.format(t)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_sample_counts() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
    }

    #[test]
    fn verdict_compares_the_median_with_the_target() {
        let figure = Figure::new("x", "1", "x", Unit::Ratio).target(1.1);
        assert_eq!(
            figure.clone().samples(vec![1.0, 1.2, 1.05]).verdict(),
            Verdict::Pass
        );
        match figure.clone().samples(vec![1.32]).verdict() {
            Verdict::Miss(by) => assert!((by - 0.2).abs() < 1e-9, "{by}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(figure.verdict(), Verdict::Missing);
        assert_eq!(
            Figure::new("y", "1", "y", Unit::Ratio).verdict(),
            Verdict::NotMeasured
        );
        let info = Figure::new("y", "1", "y", Unit::Seconds).samples(vec![1.0]);
        assert_eq!(info.verdict(), Verdict::NoTarget);
    }

    #[test]
    fn units_format_their_values() {
        assert_eq!(Unit::Seconds.format(1.234), "1.23 s");
        assert_eq!(Unit::Count.format(15.0), "15");
        assert_eq!(Unit::Count.format(15.25), "15.2");
        assert_eq!(Unit::Ratio.format(1.1), "1.10×");
        assert_eq!(Unit::MB.format(12.34), "12.3 MB");
        assert_eq!(Verdict::Miss(0.5).label(), "MISS (+50 %)");
    }
}
