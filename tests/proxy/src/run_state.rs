//! What the proxy remembers during a run (configuration, counters, learned objects, preset
//! state), shared by the server that decides each call and the control API that reads it.

use std::sync::{Mutex, MutexGuard};

use crate::config::FaultConfig;
use crate::dependency::DependencyTracker;
use crate::faults::Dice;
use crate::objects::Registry;
use crate::presets::Presets;
use crate::stats::Stats;

/// Everything the proxy remembers during a run, behind one lock (never held across an await).
#[derive(Debug, Default)]
pub(crate) struct RunState {
    pub config: FaultConfig,
    pub stats: Stats,
    pub dice: Dice,
    pub registry: Registry,
    pub dependency: DependencyTracker,
    pub presets: Presets,
}

impl RunState {
    pub fn new(config: FaultConfig) -> RunState {
        RunState {
            config,
            ..RunState::default()
        }
    }

    /// Forget calls, objects and faults; keep the configuration.
    pub fn reset(&mut self) {
        *self = RunState::new(std::mem::take(&mut self.config));
    }

    /// A new configuration restarts the dice so its seed replays from the start.
    pub fn set_config(&mut self, config: FaultConfig) {
        self.config = config;
        self.dice = Dice::default();
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    /// `host:port` of moto.
    pub upstream: String,
    state: Mutex<RunState>,
}

impl Shared {
    pub fn new(upstream: String, config: FaultConfig) -> Shared {
        Shared {
            upstream,
            state: Mutex::new(RunState::new(config)),
        }
    }

    /// The run state; a panic elsewhere never makes it unusable (the counters stay valid).
    pub fn state(&self) -> MutexGuard<'_, RunState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
