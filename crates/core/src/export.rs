//! A run as files: its series and points as CSV, and the run itself (lab,
//! params, seed, steps, version, figures) as JSON that the page's *Open a
//! run* and `thermolab run --from` load back and reproduce.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::experiment::{Chart, ChartKind, Figure, Snapshot};
use crate::params::Value;

/// The most steps a run file may ask to replay: a day of a fast lab, far
/// past any run worth sharing, and no page is made to loop for ever.
pub const MAX_RECORDED_STEPS: u64 = 10_000_000;

/// What `run.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// The version of Thermolab that wrote it.
    pub thermolab: String,
    pub lab: String,
    pub seed: u64,
    /// Steps taken: replaying the run means taking as many.
    pub steps: u64,
    /// The params, as the URL and the CLI's `--set` give them.
    pub values: BTreeMap<String, Value>,
    /// The figures at the last step, to compare a replay with.
    pub figures: Vec<Figure>,
}

impl RunRecord {
    pub fn new(
        lab: &str,
        seed: u64,
        values: &BTreeMap<String, Value>,
        snapshot: &Snapshot,
    ) -> Self {
        Self {
            thermolab: env!("CARGO_PKG_VERSION").to_string(),
            lab: lab.to_string(),
            seed,
            steps: snapshot.step,
            values: values.clone(),
            figures: snapshot.view.figures.clone(),
        }
    }

    /// Reads a run file, refusing one that is not a run or asks for an
    /// absurd replay; the lab and the values are checked where the run
    /// starts, as any other link's.
    pub fn parse(text: &str) -> Result<Self, String> {
        let record: Self =
            serde_json::from_str(text).map_err(|e| format!("not a Thermolab run file: {e}"))?;
        if record.steps > MAX_RECORDED_STEPS {
            return Err(format!(
                "the run file asks for {} steps; at most {MAX_RECORDED_STEPS} are replayed",
                record.steps
            ));
        }
        Ok(record)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The figures of `replay` that differ from the recorded ones by more
    /// than `tolerance` (relative, with 1e-12 absolute), by key.
    pub fn differences(&self, replay: &[Figure], tolerance: f64) -> Vec<String> {
        self.figures
            .iter()
            .filter_map(|recorded| {
                let now = replay.iter().find(|f| f.key == recorded.key);
                let close = match (recorded.value, now.and_then(|f| f.value)) {
                    (Some(a), Some(b)) => (a - b).abs() <= tolerance * a.abs().max(b.abs()) + 1e-12,
                    (None, None) => true,
                    _ => false,
                };
                (!close && !recorded.unit.ends_with("/s")).then(|| {
                    format!(
                        "{}: recorded {:?}, now {:?}",
                        recorded.key,
                        recorded.value,
                        now.and_then(|f| f.value)
                    )
                })
            })
            .collect()
    }
}

/// Most runs the browser keeps between visits; the oldest go first.
pub const MAX_KEPT_RUNS: usize = 20;

/// A run the browser keeps between visits (the page's *Recent runs*): the
/// link it ran at, when it was kept (ms since 1970), and the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptRun {
    pub link: String,
    pub kept_ms: f64,
    pub record: RunRecord,
}

/// `runs` newest first, at most [`MAX_KEPT_RUNS`], and the links of the
/// older ones, to delete.
pub fn newest_first(mut runs: Vec<KeptRun>) -> (Vec<KeptRun>, Vec<String>) {
    runs.sort_by(|a, b| b.kept_ms.total_cmp(&a.kept_ms));
    let older = runs.split_off(runs.len().min(MAX_KEPT_RUNS));
    (runs, older.into_iter().map(|run| run.link).collect())
}

/// Whether a run at `step` replaces the one kept at its link (`kept`, its
/// steps): a paused or finished run always does; a running one only past
/// the kept step, since a reload's replay passes through the smaller ones.
pub fn replaces_kept(step: u64, running: bool, kept: Option<u64>) -> bool {
    step > 0 && (!running || kept.is_none_or(|kept| step > kept))
}

/// Puts back the curves of the run that trained a kept model: each line of
/// `charts` (a lab reopened from the model, its steps counted on from the
/// model's) gains the points of the same chart's line of the same label in
/// `history` (the charts when the model was kept) that lie before its
/// first point. Guides (targets, bounds) are drawn anew and left alone.
pub fn prepend_history(charts: &mut [Chart], history: &[Chart]) {
    for chart in charts {
        let ChartKind::Lines { lines, .. } = &mut chart.kind else {
            continue;
        };
        let Some(ChartKind::Lines { lines: before, .. }) = history
            .iter()
            .find(|old| old.key == chart.key)
            .map(|old| &old.kind)
        else {
            continue;
        };
        for line in lines.iter_mut().filter(|line| !line.guide) {
            let Some(old) = before.iter().find(|old| old.label == line.label) else {
                continue;
            };
            let first = line.points.first().map_or(f64::INFINITY, |b| b.x);
            let mut points: Vec<_> = old.points.iter().filter(|b| b.x < first).cloned().collect();
            points.append(&mut line.points);
            line.points = points;
        }
    }
}

fn csv_text(rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail but for a bug: what was written stays.
    let _ = rows(&mut writer);
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Every line of every line chart, one row per bucket.
pub fn series_csv(snapshot: &Snapshot) -> String {
    csv_text(|out| {
        out.write_record(["chart", "line", "x", "mean", "min", "max"])?;
        for chart in &snapshot.view.charts {
            if let ChartKind::Lines { lines, .. } = &chart.kind {
                for line in lines {
                    for b in &line.points {
                        out.write_record([
                            chart.key.clone(),
                            line.label.clone(),
                            b.x.to_string(),
                            b.mean.to_string(),
                            b.min.to_string(),
                            b.max.to_string(),
                        ])?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// Every point of every scatter chart, one row each.
pub fn points_csv(snapshot: &Snapshot) -> String {
    csv_text(|out| {
        out.write_record(["chart", "group", "x", "y"])?;
        for chart in &snapshot.view.charts {
            if let ChartKind::Scatter { groups } = &chart.kind {
                for group in groups {
                    for [x, y] in &group.points {
                        out.write_record([
                            chart.key.clone(),
                            group.label.clone(),
                            x.to_string(),
                            y.to_string(),
                        ])?;
                    }
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{Line, RunStatus, Timing, View};

    fn snapshot() -> Snapshot {
        Snapshot {
            step: 12,
            status: RunStatus::Paused,
            view: View {
                figures: vec![Figure {
                    key: "regret_1".into(),
                    label: "UCB1 regret".into(),
                    value: Some(3.5),
                    unit: String::new(),
                    note: String::new(),
                }],
                charts: Vec::new(),
                facts: Vec::new(),
            },
            timing: Timing::default(),
            trained: None,
        }
    }

    #[test]
    fn kept_runs_are_newest_first_and_bounded_and_a_replay_does_not_overwrite_them() {
        let record = RunRecord::new("bandits", 7, &BTreeMap::new(), &snapshot());
        let runs: Vec<KeptRun> = (0..MAX_KEPT_RUNS + 3)
            .map(|i| KeptRun {
                link: format!("#lab=bandits&seed={i}"),
                kept_ms: (i * 7 % (MAX_KEPT_RUNS + 3)) as f64,
                record: record.clone(),
            })
            .collect();
        let (kept, older) = newest_first(runs);
        assert_eq!(kept.len(), MAX_KEPT_RUNS);
        assert!(kept.windows(2).all(|w| w[0].kept_ms > w[1].kept_ms));
        assert_eq!(older.len(), 3);
        assert!(
            older
                .iter()
                .all(|link| !kept.iter().any(|k| &k.link == link))
        );
        assert!(kept.iter().all(|k| k.kept_ms >= 3.0), "the three oldest go");

        assert!(
            replaces_kept(5, false, Some(40)),
            "a paused run is kept as it is"
        );
        assert!(!replaces_kept(5, true, Some(40)), "a replay passing step 5");
        assert!(replaces_kept(41, true, Some(40)));
        assert!(replaces_kept(1, true, None));
        assert!(
            !replaces_kept(0, false, None),
            "a run at step 0 holds nothing"
        );
    }

    fn lines(key: &str, lines: &[(&str, bool, &[f64])]) -> Chart {
        let lines = lines
            .iter()
            .map(|(label, guide, xs)| {
                let mut series = crate::series::Series::new(label, 64);
                for &x in *xs {
                    series.push(x, x * 10.0);
                }
                Line {
                    guide: *guide,
                    ..Line::from_series(&series, false)
                }
            })
            .collect();
        Chart {
            key: key.into(),
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            kind: ChartKind::Lines {
                lines,
                log_x: false,
                log_y: false,
            },
        }
    }

    fn xs(chart: &Chart) -> Vec<Vec<f64>> {
        let ChartKind::Lines { lines, .. } = &chart.kind else {
            panic!("not lines")
        };
        lines
            .iter()
            .map(|line| line.points.iter().map(|b| b.x).collect())
            .collect()
    }

    #[test]
    fn a_reopened_models_curves_start_with_the_run_that_trained_it() {
        let history = vec![
            lines("loss", &[("loss", false, &[1.0, 2.0, 3.0, 4.0])]),
            lines(
                "accuracy",
                &[
                    ("test", false, &[1.0, 4.0]),
                    ("gone", false, &[1.0]),
                    ("target", true, &[1.0, 4.0]),
                ],
            ),
        ];
        let mut charts = vec![
            // Counted on from step 4: the kept points before step 5 come first.
            lines("loss", &[("loss", false, &[5.0, 6.0])]),
            lines(
                "accuracy",
                &[
                    ("test", false, &[4.0]),
                    ("target", true, &[4.0, 6.0]),
                    ("new", false, &[5.0]),
                ],
            ),
            lines("other", &[("loss", false, &[5.0])]),
        ];
        prepend_history(&mut charts, &history);
        assert_eq!(xs(&charts[0]), vec![vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]);
        // The kept step 4 is not doubled; a guide, a new line and a line
        // gone from the lab are as the lab draws them now.
        assert_eq!(
            xs(&charts[1]),
            vec![vec![1.0, 4.0], vec![4.0, 6.0], vec![5.0]]
        );
        assert_eq!(xs(&charts[2]), vec![vec![5.0]]);
        // The kept values come with their x.
        let ChartKind::Lines { lines, .. } = &charts[0].kind else {
            unreachable!()
        };
        assert_eq!(lines[0].points[2].mean, 30.0);
    }

    #[test]
    fn a_run_file_reads_back_and_compares_figures() {
        let values = BTreeMap::from([("arms".to_string(), Value::Int(3))]);
        let record = RunRecord::new("bandits", 7, &values, &snapshot());
        let back = RunRecord::parse(&record.to_json()).unwrap();
        assert_eq!(back, record);
        assert!(back.differences(&snapshot().view.figures, 1e-9).is_empty());
        let mut moved = snapshot().view.figures;
        moved[0].value = Some(3.6);
        assert_eq!(back.differences(&moved, 1e-9).len(), 1);
    }

    #[test]
    fn a_file_that_is_not_a_run_or_asks_too_much_is_refused() {
        assert!(RunRecord::parse("{}").is_err());
        assert!(RunRecord::parse("[1, 2]").is_err());
        let mut record = RunRecord::new("bandits", 1, &BTreeMap::new(), &snapshot());
        record.steps = MAX_RECORDED_STEPS + 1;
        assert!(
            RunRecord::parse(&record.to_json())
                .unwrap_err()
                .contains("at most")
        );
        let with_extra = record.to_json().replacen('{', "{\"ghost\": 1,", 1);
        assert!(RunRecord::parse(&with_extra).is_err());
    }
}
