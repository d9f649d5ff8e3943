//! The stack engine: the one entry point the provider calls for every lifecycle operation.
//!
//! CONTRACT (the provider relies on exactly these signatures; the bodies are owned by the
//! orchestration work and will grow tier by tier):
//! - `Engine::connect` loads one `SdkConfig` from the provider settings;
//! - `availability_zones` lists the region's zones (plan-time default and validation);
//! - `apply` creates or updates a stack towards `spec`, resuming from `prior`;
//! - `read` refreshes every owned object; `Ok(None)` when the stack is gone;
//! - `destroy` deletes everything, reverse order, then sweeps by tag;
//! - `import` rebuilds the state of a stack from its tags.
//! Failures of apply/destroy carry the partial state (`PartialFailure`).

use tokio_util::sync::CancellationToken;

use crate::aws::AwsSettings;
use crate::error::{PartialFailure, Result, StackError};
use crate::spec::StackSpec;
use crate::state::StackState;

pub struct Engine {
    settings: AwsSettings,
}

impl Engine {
    pub async fn connect(settings: AwsSettings) -> Result<Engine> {
        Ok(Engine { settings })
    }

    /// The region every call goes to.
    pub fn region(&self) -> Option<&str> {
        self.settings.region.as_deref()
    }

    /// The region's availability zones, sorted by name.
    pub async fn availability_zones(&self) -> Result<Vec<String>> {
        Err(StackError::Internal("availability_zones: not built yet".into()))
    }

    /// Create or update the stack towards `spec`. `prior` is `None` on create.
    pub async fn apply(
        &self,
        spec: &StackSpec,
        prior: Option<&StackState>,
        cancel: &CancellationToken,
    ) -> std::result::Result<StackState, PartialFailure> {
        let _ = cancel;
        Err(PartialFailure {
            state: Box::new(prior.cloned().unwrap_or_else(|| StackState::new(spec.clone()))),
            error: StackError::Internal("apply: not built yet".into()),
        })
    }

    /// Refresh every owned object. `Ok(None)` means the stack no longer exists.
    pub async fn read(&self, prior: &StackState) -> Result<Option<StackState>> {
        Ok(Some(prior.clone()))
    }

    /// Delete every object of the stack. On failure the state lists what still exists.
    pub async fn destroy(
        &self,
        prior: &StackState,
        cancel: &CancellationToken,
    ) -> std::result::Result<(), PartialFailure> {
        let _ = cancel;
        Err(PartialFailure {
            state: Box::new(prior.clone()),
            error: StackError::Internal("destroy: not built yet".into()),
        })
    }

    /// Rebuild the state of the stack named `name` from the objects tagged for it.
    pub async fn import(&self, name: &str) -> Result<StackState> {
        Err(StackError::Internal(format!("import {name}: not built yet")))
    }
}
