//! The [`Session`]: one lab of a [`Registry`] running with one set of params
//! and one seed, played, paused, stepped and reset. The compute worker and
//! the CLI both drive labs through a session, so a browser run and a CLI run
//! with the same params and seed take the same steps.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{LabInfo, RunError, RunStatus, Snapshot, StepOutcome, Timing};
use thermolab_core::params::{Apply, ParamError, Params, Value};
use thermolab_gpu::{Compute, now_seconds};

use crate::lab::{LabContext, Registry, RunningLab};

/// What a step asks of whoever drives the session.
#[derive(Clone, Debug, PartialEq)]
pub enum StepReport {
    /// Stepped; keep going if playing.
    Stepped,
    /// Stopped: finished, diverged or failed (see the snapshot's status).
    Stopped,
    /// The GPU device is gone: re-acquire it and restart the run.
    DeviceLost(String),
}

pub struct Session {
    registry: Registry,
    lab: LabInfo,
    compute: Compute,
    params: Params,
    seed: u64,
    assets: Assets,
    /// `None` once a reset could not restart the run (its status says why).
    running: Option<Box<dyn RunningLab>>,
    step: u64,
    playing: bool,
    /// Where playing stops by itself ([`Session::play_to`]).
    pause_at: Option<u64>,
    stopped: Option<RunStatus>,
    /// Milliseconds the last step took.
    step_ms: f64,
}

impl Session {
    /// Starts `lab`; values that fail validation fall back to their defaults
    /// and are returned so they can be shown. `assets` holds the files the
    /// lab's info lists.
    pub fn start(
        registry: Registry,
        compute: &Compute,
        lab: &str,
        values: &BTreeMap<String, Value>,
        seed: u64,
        assets: &Assets,
    ) -> Result<(Self, Vec<ParamError>), String> {
        Self::start_trained(registry, compute, lab, values, seed, assets, None)
    }

    /// [`Session::start`], the lab opening with `trained`, a model it wrote
    /// ([`Session::checkpoint`]) and the browser kept. A reset starts the
    /// lab as it would start without it.
    pub fn start_trained(
        registry: Registry,
        compute: &Compute,
        lab: &str,
        values: &BTreeMap<String, Value>,
        seed: u64,
        assets: &Assets,
        trained: Option<&[u8]>,
    ) -> Result<(Self, Vec<ParamError>), String> {
        let info = registry
            .lab(lab)
            .ok_or_else(|| format!("there is no lab called '{lab}'"))?;
        let (mut params, mut refused) = info.schema.params_from_values(values);
        // Values past the lab's limits fall back to their defaults, one by
        // one (each refusal names the param to lower), and are reported.
        for _ in 0..info.schema.params.len() {
            let Err(error) = registry.limits(&info, &params) else {
                break;
            };
            let fallback = info
                .schema
                .spec(&error.key)
                .map(|spec| spec.default_value());
            match fallback {
                Some(default) if params.get(&error.key) != Some(&default) => {
                    params
                        .set(&info.schema, &error.key, &default)
                        .map_err(|e| e.message)?;
                    refused.push(error);
                }
                _ => {
                    params = info.schema.defaults();
                    refused.push(error);
                    break;
                }
            }
        }
        let context = LabContext {
            compute,
            assets,
            seed,
            trained,
        };
        let running = registry.start(&info, &context, &params)?;
        Ok((
            Self {
                registry,
                lab: info,
                compute: compute.clone(),
                params,
                seed,
                assets: assets.clone(),
                running: Some(running),
                step: 0,
                playing: false,
                pause_at: None,
                stopped: None,
                step_ms: 0.0,
            },
            refused,
        ))
    }

    pub fn lab(&self) -> &LabInfo {
        &self.lab
    }

    /// The validated values the run uses, as the URL and the page hold them.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Steps taken since the run started.
    pub fn steps(&self) -> u64 {
        self.step
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn is_playing(&self) -> bool {
        self.playing && self.stopped.is_none()
    }

    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
        self.pause_at = None;
    }

    /// Plays until the run reaches `step`, then pauses.
    pub fn play_to(&mut self, step: u64) {
        self.playing = step > self.step;
        self.pause_at = self.playing.then_some(step);
    }

    /// Whether the run is playing to a step ([`Session::play_to`]): a
    /// replay, which the host plays as fast as it can.
    pub fn is_replaying(&self) -> bool {
        self.is_playing() && self.pause_at.is_some()
    }

    /// Validates and applies one value: live ones on the next step, restart
    /// ones by restarting the run. Returns the value as stored.
    pub fn set_param(&mut self, key: &str, value: &Value) -> Result<Value, ParamError> {
        let spec = self
            .lab
            .schema
            .spec(key)
            .ok_or_else(|| ParamError {
                key: key.to_string(),
                message: format!("unknown parameter '{key}'"),
            })?
            .clone();
        let value = spec.validate(value)?;
        let mut params = self.params.clone();
        params.set(&self.lab.schema, key, &value)?;
        self.registry
            .limits(&self.lab, &params)
            .map_err(|e| ParamError {
                key: key.to_string(),
                message: e.message,
            })?;
        let finished_but_live = self.stopped == Some(RunStatus::Finished)
            && self
                .running
                .as_ref()
                .is_some_and(|running| running.live_after_finish());
        match (spec.apply, &mut self.running) {
            (Apply::Live, Some(running)) if self.stopped.is_none() || finished_but_live => {
                running.set_live(key, &value)?;
                self.params = params;
            }
            _ => {
                self.params = params;
                self.reset().map_err(|message| ParamError {
                    key: key.to_string(),
                    message,
                })?;
            }
        }
        Ok(value)
    }

    /// Lets the experiment catch up with live params without a step.
    pub async fn refresh(&mut self) -> StepReport {
        if matches!(
            self.stopped,
            Some(RunStatus::Diverged { .. } | RunStatus::Failed { .. })
        ) {
            return StepReport::Stopped;
        }
        let Some(running) = &mut self.running else {
            return StepReport::Stopped;
        };
        match running.refresh().await {
            Err(error) => self.record(Err(error)),
            Ok(()) => self.device_lost().unwrap_or(StepReport::Stepped),
        }
    }

    /// Back to step 0 with the current params and seed; keeps playing if it
    /// was. The old run is dropped before the new one is built, so the two
    /// never hold their memory at once.
    pub fn reset(&mut self) -> Result<(), String> {
        self.running = None;
        self.step = 0;
        self.pause_at = None;
        let context = LabContext {
            compute: &self.compute,
            assets: &self.assets,
            seed: self.seed,
            trained: None,
        };
        match self.registry.start(&self.lab, &context, &self.params) {
            Ok(running) => {
                self.running = Some(running);
                self.stopped = None;
                Ok(())
            }
            Err(message) => {
                self.stopped = Some(RunStatus::Failed {
                    message: message.clone(),
                });
                Err(message)
            }
        }
    }

    /// The experiment's trained model as a file, if it has one.
    pub async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>> {
        self.running.as_ref()?.checkpoint().await
    }

    /// One step, unless the run has stopped.
    pub async fn step(&mut self) -> StepReport {
        let Some(running) = &mut self.running else {
            return StepReport::Stopped;
        };
        if self.stopped.is_some() {
            return StepReport::Stopped;
        }
        let start = now_seconds();
        let outcome = running.step().await;
        self.step_ms = 1e3 * (now_seconds() - start);
        self.record(outcome)
    }

    /// Stops the run if the GPU device went away.
    fn device_lost(&mut self) -> Option<StepReport> {
        let message = self.compute.lost()?;
        self.stopped = Some(RunStatus::Failed {
            message: format!("the GPU device was lost: {message}"),
        });
        Some(StepReport::DeviceLost(message))
    }

    /// Turns what the experiment answered into the run's status.
    fn record(&mut self, outcome: Result<StepOutcome, RunError>) -> StepReport {
        if let Some(report) = self.device_lost() {
            return report;
        }
        if let Some(error) = self.compute.take_error() {
            self.stopped = Some(RunStatus::Failed {
                message: format!("the GPU reported an error: {error}"),
            });
            return StepReport::Stopped;
        }
        match outcome {
            Ok(StepOutcome::Continue) => {
                self.step += 1;
                if self.pause_at == Some(self.step) {
                    self.set_playing(false);
                }
                StepReport::Stepped
            }
            Ok(StepOutcome::Finished) => {
                self.step += 1;
                self.stopped = Some(RunStatus::Finished);
                StepReport::Stopped
            }
            Err(RunError::Diverged(what)) => {
                self.stopped = Some(RunStatus::Diverged {
                    step: self.step,
                    what,
                });
                StepReport::Stopped
            }
            Err(RunError::DeviceLost(message)) => {
                self.stopped = Some(RunStatus::Failed {
                    message: format!("the GPU device was lost: {message}"),
                });
                StepReport::DeviceLost(message)
            }
            Err(RunError::Failed(message)) => {
                self.stopped = Some(RunStatus::Failed { message });
                StepReport::Stopped
            }
        }
    }

    /// The run now; its timing says how long the last step and this view
    /// took. A view holding a NaN or an infinity stops the run as diverged,
    /// naming what went non-finite, and is sent without it.
    pub fn snapshot(&mut self) -> Snapshot {
        let start = now_seconds();
        let mut view = self
            .running
            .as_ref()
            .map(|running| running.view())
            .unwrap_or_default();
        let non_finite = view.take_non_finite();
        if !non_finite.is_empty() && self.stopped.is_none() {
            self.stopped = Some(RunStatus::Diverged {
                step: self.step,
                what: format!("{} became NaN or infinite", non_finite.join(", ")),
            });
        }
        Snapshot {
            step: self.step,
            status: match &self.stopped {
                Some(status) => status.clone(),
                None if self.playing => RunStatus::Running,
                None => RunStatus::Paused,
            },
            view,
            timing: Timing {
                step_ms: self.step_ms,
                view_ms: 1e3 * (now_seconds() - start),
                ..Timing::default()
            },
            trained: self
                .running
                .as_ref()
                .filter(|_| self.step == 0)
                .and_then(|running| running.trained()),
        }
    }
}
