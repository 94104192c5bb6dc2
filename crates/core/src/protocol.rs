//! The typed messages between the UI thread and the compute worker. They
//! cross the boundary as JSON text ([`encode`], [`decode`]); nothing else does.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::experiment::{LabInfo, Snapshot};
use crate::params::{ParamError, Params, Value};

/// UI thread to worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Start (or restart) `lab` with these values; refused values fall back to
    /// defaults and are reported in [`Event::Started`]. `run` numbers the
    /// request, so the UI can drop events of runs it has since replaced.
    Start {
        run: u64,
        lab: String,
        values: BTreeMap<String, Value>,
        seed: u64,
        /// A trained model the browser kept (the lab's checkpoint file, in
        /// base64): the lab opens with it instead of training again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trained: Option<String>,
    },
    /// Change one parameter of the running lab: live ones apply on the next
    /// step, restart ones restart the run. The page keeps at most one in
    /// flight per key; the worker applies every change waiting for it before
    /// it recomputes once.
    SetParam {
        key: String,
        value: Value,
    },
    SetSpeed {
        steps_per_frame: u32,
    },
    Play,
    /// Play until the run reaches `step`, then pause (a run file's replay).
    PlayTo {
        step: u64,
    },
    Pause,
    /// One step, then paused.
    Step,
    /// Back to step 0 with the current params and seed.
    Reset,
    /// Compute on the CPU from now on (the GPU was too slow); the page
    /// starts its run again next.
    UseCpu,
    /// The run's trained model as its checkpoint file ([`Event::Trained`]).
    Checkpoint,
}

/// What a run is doing before its first snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Downloading a lab file: bytes so far, of `total` when the server said.
    Fetching {
        file: String,
        loaded: u64,
        total: Option<u64>,
    },
    /// Building the lab: its data, its model, its GPU kernels.
    Starting,
}

/// Which compute path the worker got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    WebGpu,
    /// burn's flex backend on the CPU.
    Cpu,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub backend: Backend,
    /// Adapter name for WebGPU, or "CPU fallback".
    pub name: String,
    /// Why the CPU is used, when it is.
    pub fallback_reason: Option<String>,
    /// Adapter info and limits, as label/value pairs.
    pub details: Vec<(String, String)>,
}

/// Worker to UI thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Sent first: the labs this build knows, with their schemas.
    Catalog {
        labs: Vec<LabInfo>,
    },
    /// The compute device, once acquired (or given up on).
    Device {
        info: DeviceInfo,
    },
    /// A run (re)started with these validated params; `refused` lists values
    /// that fell back to defaults. Every event of a run carries its `run`, so
    /// the page can drop those of runs it has since replaced.
    Started {
        run: u64,
        lab: String,
        params: Params,
        seed: u64,
        refused: Vec<ParamError>,
    },
    /// Run `run` could not start; nothing runs until the next start.
    StartFailed {
        run: u64,
        lab: String,
        message: String,
    },
    ParamAccepted {
        run: u64,
        key: String,
        value: Value,
    },
    ParamRefused {
        run: u64,
        error: ParamError,
    },
    Snapshot {
        run: u64,
        snapshot: Snapshot,
    },
    /// Run `run` is not started yet: what it is doing.
    Progress {
        run: u64,
        stage: Stage,
    },
    /// Run `run`'s trained model at `step`, as its checkpoint file in
    /// base64; `None` when the lab has none.
    Trained {
        run: u64,
        step: u64,
        model: Option<String>,
    },
    /// The GPU device was lost; the UI restarts the worker and the run.
    DeviceLost {
        message: String,
    },
    Error {
        message: String,
    },
    /// The worker cannot run at all (its wasm did not load); sent by its
    /// loader script, `web/worker-loader.js`.
    WorkerFailed {
        message: String,
    },
}

/// A model file as the text a message carries (base64).
pub fn model_text(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The model file a message carries.
pub fn model_bytes(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("not a model file: {e}"))
}

/// `message` as the text posted across the worker boundary. A string is
/// copied at memory speed; a JS object built field by field (what
/// serde-wasm-bindgen does) took seconds for one diffusion snapshot.
pub fn encode<T: Serialize>(message: &T) -> String {
    serde_json::to_string(message).expect("protocol messages are plain data")
}

/// The message in `text`, or why it is not one.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_json() {
        let mut values = BTreeMap::new();
        values.insert("temperature".to_string(), Value::Float(0.5));
        values.insert("arms".to_string(), Value::Int(3));
        values.insert("env".to_string(), Value::Text("bern".into()));
        values.insert("anneal".to_string(), Value::Bool(true));
        let req = Request::Start {
            run: 3,
            lab: "bandits".into(),
            values,
            seed: 42,
            trained: None,
        };
        assert_eq!(decode::<Request>(&encode(&req)).unwrap(), req);
        assert!(!encode(&req).contains("trained"), "no model, no field");
    }

    #[test]
    fn a_model_crosses_as_text_byte_for_byte() {
        let bytes: Vec<u8> = (0..=255).chain([0, 0, 255]).collect();
        let text = model_text(&bytes);
        let req = Request::Start {
            run: 1,
            lab: "ff".into(),
            values: BTreeMap::new(),
            seed: 1,
            trained: Some(text.clone()),
        };
        let Request::Start { trained, .. } = decode::<Request>(&encode(&req)).unwrap() else {
            unreachable!("a start reads back as a start")
        };
        assert_eq!(model_bytes(&trained.unwrap()).unwrap(), bytes);
        assert!(model_bytes("not base64!").is_err());
    }

    #[test]
    fn every_float_crosses_exactly() {
        // A slider's value must reach the worker bit for bit, or a browser
        // run and a CLI run with the same URL would differ.
        for x in [
            0.1,
            0.3,
            1.0 / 3.0,
            2.0f64.sqrt() * 1e-300,
            0.000961,
            f64::MAX,
        ] {
            let request = Request::SetParam {
                key: "temperature".into(),
                value: Value::Float(x),
            };
            assert_eq!(decode::<Request>(&encode(&request)), Ok(request));
        }
    }
}
