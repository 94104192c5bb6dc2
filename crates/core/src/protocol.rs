//! The typed messages between the UI thread and the compute worker. Both sides
//! serialize these with serde; nothing else crosses the boundary.

use std::collections::BTreeMap;

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
    },
    /// Change one parameter of the running lab: live ones apply on the next
    /// step, restart ones restart the run.
    SetParam {
        key: String,
        value: Value,
    },
    SetSpeed {
        steps_per_frame: u32,
    },
    Play,
    Pause,
    /// One step, then paused.
    Step,
    /// Back to step 0 with the current params and seed.
    Reset,
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
    /// that fell back to defaults.
    Started {
        run: u64,
        lab: String,
        params: Params,
        seed: u64,
        refused: Vec<ParamError>,
    },
    ParamAccepted {
        key: String,
        value: Value,
    },
    ParamRefused {
        error: ParamError,
    },
    Snapshot {
        snapshot: Snapshot,
    },
    /// The GPU device was lost; the UI restarts the worker and the run.
    DeviceLost {
        message: String,
    },
    Error {
        message: String,
    },
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
        };
        let json = serde_json::to_string(&req).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), req);
    }
}
