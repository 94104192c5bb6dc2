//! What both diffusion labs track alike: training steps against the budget,
//! the loss and sample-quality curves, and whether the samples are stale.

use thermolab_core::experiment::{Chart, ChartKind, Figure, Line, StepOutcome};
use thermolab_core::series::Series;

const SERIES_CAPACITY: usize = 256;

pub struct Progress {
    pub trained: u64,
    pub budget: u64,
    pub loss: Series,
    pub quality: Series,
    /// Training or a sampling control moved on since the last sampling.
    pub stale: bool,
}

impl Progress {
    /// `trained` steps already done (a checkpoint's) of `budget`.
    pub fn new(trained: u64, budget: u64, quality_label: &str) -> Self {
        Self {
            trained,
            budget,
            loss: Series::new("loss", SERIES_CAPACITY),
            quality: Series::new(quality_label, SERIES_CAPACITY),
            stale: false,
        }
    }

    pub fn training(&self) -> bool {
        self.trained < self.budget
    }

    /// Counts one training step and its loss; the samples go stale every
    /// `sample_every` steps and at the end of the budget.
    pub fn record(&mut self, loss: f64, sample_every: u64) {
        self.trained += 1;
        self.loss.push(self.trained as f64, loss);
        if self.trained.is_multiple_of(sample_every) || self.trained == self.budget {
            self.stale = true;
        }
    }

    pub fn outcome(&self) -> StepOutcome {
        if self.training() {
            StepOutcome::Continue
        } else {
            StepOutcome::Finished
        }
    }

    pub fn last_loss(&self) -> Option<f64> {
        self.loss.last().map(|b| b.mean)
    }

    pub fn last_quality(&self) -> Option<f64> {
        self.quality.last().map(|b| b.mean)
    }

    pub fn loss_figure(&self) -> Figure {
        Figure {
            key: "loss".to_string(),
            label: "Training loss".to_string(),
            value: self.last_loss(),
            unit: String::new(),
            note: format!("step {} of {}", self.trained, self.budget),
        }
    }

    /// The last sample quality, with `note` (its floor).
    pub fn quality_figure(&self, label: &str, note: String) -> Figure {
        Figure {
            key: "quality".to_string(),
            label: label.to_string(),
            value: self.last_quality(),
            unit: String::new(),
            note,
        }
    }

    /// The loss curve, and the quality curve with `floor` drawn as a guide.
    pub fn charts(&self, floor: f64, floor_label: &str) -> [Chart; 2] {
        let mut quality_lines = vec![Line::from_series(&self.quality, false)];
        if !self.quality.is_empty() {
            let mut guide = Series::new(floor_label, 2);
            let first = self.quality.buckets().first().map_or(0.0, |b| b.x);
            guide.push(first, floor);
            guide.push((self.trained as f64).max(first + 1.0), floor);
            quality_lines.push(Line::guide(&guide));
        }
        let lines = |key: &str, title: &str, y_label: &str, lines: Vec<Line>| Chart {
            key: key.to_string(),
            title: title.to_string(),
            x_label: "step".to_string(),
            y_label: y_label.to_string(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: true,
            },
        };
        [
            lines(
                "loss",
                "Training loss",
                "loss",
                vec![Line::from_series(&self.loss, true)],
            ),
            lines("quality", "Sample quality", "sliced W2", quality_lines),
        ]
    }
}
