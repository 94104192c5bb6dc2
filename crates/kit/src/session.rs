//! The [`Session`]: one lab of a [`Registry`] running with one set of params
//! and one seed, played, paused, stepped and reset. The compute worker and
//! the CLI both drive labs through a session, so a browser run and a CLI run
//! with the same params and seed take the same steps.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{LabInfo, RunError, RunStatus, Snapshot, StepOutcome};
use thermolab_core::params::{Apply, ParamError, Params, Value};
use thermolab_gpu::Compute;

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
    running: Box<dyn RunningLab>,
    step: u64,
    playing: bool,
    stopped: Option<RunStatus>,
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
        let info = registry
            .lab(lab)
            .ok_or_else(|| format!("there is no lab called '{lab}'"))?;
        let (params, refused) = info.schema.params_from_values(values);
        let context = LabContext {
            compute,
            assets,
            seed,
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
                running,
                step: 0,
                playing: false,
                stopped: None,
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

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn is_playing(&self) -> bool {
        self.playing && self.stopped.is_none()
    }

    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
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
        let finished_but_live =
            self.stopped == Some(RunStatus::Finished) && self.running.live_after_finish();
        match spec.apply {
            Apply::Live if self.stopped.is_none() || finished_but_live => {
                self.running.set_live(key, &value)?;
                self.params = params;
            }
            Apply::Live | Apply::Restart => {
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
        match self.running.refresh().await {
            Err(error) => self.record(Err(error)),
            Ok(()) => self.device_lost().unwrap_or(StepReport::Stepped),
        }
    }

    /// Back to step 0 with the current params and seed; keeps playing if it was.
    pub fn reset(&mut self) -> Result<(), String> {
        let context = LabContext {
            compute: &self.compute,
            assets: &self.assets,
            seed: self.seed,
        };
        self.running = self.registry.start(&self.lab, &context, &self.params)?;
        self.step = 0;
        self.stopped = None;
        Ok(())
    }

    /// The experiment's trained model as a file, if it has one.
    pub async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>> {
        self.running.checkpoint().await
    }

    /// One step, unless the run has stopped.
    pub async fn step(&mut self) -> StepReport {
        if self.stopped.is_some() {
            return StepReport::Stopped;
        }
        let outcome = self.running.step().await;
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
        match outcome {
            Ok(StepOutcome::Continue) => {
                self.step += 1;
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

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            step: self.step,
            status: match &self.stopped {
                Some(status) => status.clone(),
                None if self.playing => RunStatus::Running,
                None => RunStatus::Paused,
            },
            view: self.running.view(),
        }
    }
}
