//! The one list of labs this build knows, and the [`Session`] that runs one of
//! them. The compute worker and the CLI both drive labs through a session, so
//! a browser run and a CLI run with the same params and seed take the same steps.

use std::collections::BTreeMap;

use thermolab_core::assets::Assets;
use thermolab_core::experiment::{Experiment, LabInfo, RunError, RunStatus, Snapshot, StepOutcome};
use thermolab_core::params::{Apply, ParamError, Params, Value};
use thermolab_gpu::Compute;

/// Every lab, in gallery order.
pub fn labs() -> Vec<LabInfo> {
    vec![
        thermolab_bandits::info(),
        thermolab_diffusion::info(),
        thermolab_diffusion::digits_lab::info(),
        thermolab_device::info(),
    ]
}

pub fn lab(id: &str) -> Option<LabInfo> {
    labs().into_iter().find(|l| l.id == id)
}

fn create(
    lab: &str,
    compute: &Compute,
    params: &Params,
    seed: u64,
    assets: &Assets,
) -> Result<Box<dyn Experiment>, String> {
    let experiment: Box<dyn Experiment> = match lab {
        thermolab_device::ID => Box::new(
            thermolab_device::DeviceLab::new(compute.clone(), params, seed)
                .map_err(|e| e.message)?,
        ),
        thermolab_bandits::ID => Box::new(
            thermolab_bandits::BanditsLab::on(compute, params, seed).map_err(|e| e.message)?,
        ),
        thermolab_diffusion::ID => Box::new(
            thermolab_diffusion::DiffusionLab::on(compute, params, seed).map_err(|e| e.message)?,
        ),
        thermolab_diffusion::digits_lab::ID => Box::new(
            thermolab_diffusion::digits_lab::DigitsLab::on(compute, params, seed, assets)
                .map_err(|e| e.message)?,
        ),
        other => return Err(format!("there is no lab called '{other}'")),
    };
    Ok(experiment)
}

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

/// One lab running with one set of params and one seed.
pub struct Session {
    lab: LabInfo,
    compute: Compute,
    params: Params,
    seed: u64,
    assets: Assets,
    experiment: Box<dyn Experiment>,
    step: u64,
    playing: bool,
    stopped: Option<RunStatus>,
}

impl Session {
    /// Starts `lab`; values that fail validation fall back to their defaults
    /// and are returned so they can be shown. `assets` holds the files the
    /// lab's info lists.
    pub fn start(
        compute: &Compute,
        lab: &str,
        values: &BTreeMap<String, Value>,
        seed: u64,
        assets: &Assets,
    ) -> Result<(Self, Vec<ParamError>), String> {
        let info = self::lab(lab).ok_or_else(|| format!("there is no lab called '{lab}'"))?;
        let (params, refused) = info.schema.params_from_values(values);
        let experiment = create(lab, compute, &params, seed, assets)?;
        Ok((
            Self {
                lab: info,
                compute: compute.clone(),
                params,
                seed,
                assets: assets.clone(),
                experiment,
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
            self.stopped == Some(RunStatus::Finished) && self.experiment.live_after_finish();
        match spec.apply {
            Apply::Live if self.stopped.is_none() || finished_but_live => {
                self.experiment.set_live_param(key, &value)?;
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
        match self.experiment.refresh().await {
            Err(error) => self.record(Err(error)),
            Ok(()) => self.device_lost().unwrap_or(StepReport::Stepped),
        }
    }

    /// Back to step 0 with the current params and seed; keeps playing if it was.
    pub fn reset(&mut self) -> Result<(), String> {
        self.experiment = create(
            &self.lab.id,
            &self.compute,
            &self.params,
            self.seed,
            &self.assets,
        )?;
        self.step = 0;
        self.stopped = None;
        Ok(())
    }

    /// The experiment's trained model as a file, if it has one.
    pub async fn checkpoint(&self) -> Option<Result<Vec<u8>, RunError>> {
        self.experiment.checkpoint().await
    }

    /// One step, unless the run has stopped.
    pub async fn step(&mut self) -> StepReport {
        if self.stopped.is_some() {
            return StepReport::Stopped;
        }
        let outcome = self.experiment.step().await;
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
        let mut snapshot = self.experiment.snapshot();
        snapshot.step = self.step;
        snapshot.status = match &self.stopped {
            Some(status) => status.clone(),
            None if self.playing => RunStatus::Running,
            None => RunStatus::Paused,
        };
        snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermolab_core::experiment::RESERVED_KEYS;

    #[test]
    fn lab_ids_are_unique_and_keys_do_not_shadow_the_runner() {
        let labs = labs();
        for (i, lab) in labs.iter().enumerate() {
            assert!(labs[i + 1..].iter().all(|other| other.id != lab.id));
            for spec in &lab.schema.params {
                assert!(
                    !RESERVED_KEYS.contains(&spec.key.as_str()),
                    "{} uses a reserved key",
                    spec.key
                );
                assert!(
                    spec.validate(&spec.default_value()).is_ok(),
                    "{} default invalid",
                    spec.key
                );
            }
        }
    }

    fn tiny() -> BTreeMap<String, Value> {
        [
            ("buffer_mib".to_string(), Value::Int(1)),
            ("matmul_n".to_string(), Value::Int(16)),
            ("repeats".to_string(), Value::Int(1)),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn session_steps_resets_and_refuses_bad_values() {
        let compute = Compute::cpu("test");
        let mut values = tiny();
        values.insert("matmul_n".to_string(), Value::Int(1 << 20));
        let (mut session, refused) =
            Session::start(&compute, "device", &values, 5, &Assets::default()).unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(session.params().int("matmul_n").unwrap(), 256);
        session.set_param("matmul_n", &Value::Int(16)).unwrap();
        assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
        assert_eq!(pollster::block_on(session.step()), StepReport::Stepped);
        assert_eq!(session.snapshot().step, 2);
        assert!(
            session
                .set_param("matmul_n", &Value::Float(f64::NAN))
                .is_err()
        );
        assert!(session.set_param("nope", &Value::Int(1)).is_err());
        session.reset().unwrap();
        assert_eq!(session.snapshot().step, 0);
        assert_eq!(session.snapshot().status, RunStatus::Paused);
        assert!(Session::start(&compute, "nope", &values, 5, &Assets::default()).is_err());
    }

    #[test]
    fn a_finished_diffusion_run_takes_sampling_controls_without_retraining() {
        let compute = Compute::cpu("test");
        let values: BTreeMap<String, Value> = [
            ("train_steps", Value::Int(3)),
            ("width", Value::Int(8)),
            ("batch", Value::Int(16)),
            ("particles", Value::Int(32)),
            ("sample_steps", Value::Int(4)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let (mut session, refused) =
            Session::start(&compute, "diffusion", &values, 1, &Assets::default()).unwrap();
        assert!(refused.is_empty());
        while pollster::block_on(session.step()) == StepReport::Stepped {}
        let before = session.snapshot();
        assert_eq!(before.status, RunStatus::Finished);
        assert_eq!(before.step, 3);
        session
            .set_param("temperature", &Value::Float(0.2))
            .unwrap();
        assert_eq!(pollster::block_on(session.refresh()), StepReport::Stepped);
        let after = session.snapshot();
        assert_eq!(after.status, RunStatus::Finished);
        assert_eq!(after.step, 3, "a live change must not retrain");
        let samples = |s: &Snapshot| s.charts.iter().find(|c| c.key == "samples").cloned();
        assert_ne!(
            samples(&before),
            samples(&after),
            "new samples at the new temperature"
        );
        // A restart param still restarts.
        session.set_param("width", &Value::Int(16)).unwrap();
        assert_eq!(session.snapshot().step, 0);
    }
}
