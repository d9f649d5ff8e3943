//! What the resource needs from whatever builds stacks: the seam between the Terraform glue
//! and the AWS side, named only in the stack model's types so the glue builds, fuzzes and
//! tests without the AWS SDK.
//!
//! - [`EngineConnector`]: turns the provider block's settings into a [`StackEngine`], once, at
//!   ConfigureProvider;
//! - [`StackEngine`]: the lifecycle operations of a stack, plus the questions planning and
//!   configuration ask of the region (its zones, whether the settings can work, which
//!   architectures instance types and images have, what the account holds for a plan);
//! - [`Offline`]: a connector for builds with no AWS at all (fuzzing, glue tests), whose
//!   ConfigureProvider fails with a diagnostic, so every request stays unconfigured.

use std::sync::Arc;

use stack_model::error::{PartialFailure, StackError};
use stack_model::image::{ImageFacts, ImageQuery};
use stack_model::preflight::{PreflightFacts, PreflightQuery};
use stack_model::settings::{AccessError, AwsSettings};
use stack_model::spec::StackSpec;
use stack_model::state::StackState;
use tokio_util::sync::CancellationToken;

/// A connected engine: every call goes to the region and account the settings named.
#[async_trait::async_trait]
pub trait StackEngine: Send + Sync {
    /// The region's availability zones, sorted by name.
    async fn availability_zones(&self) -> Result<Vec<String>, StackError>;

    /// Whether the settings can work (profile, credentials, endpoint); the region's zones when
    /// they could be listed on the way.
    async fn check_access(&self) -> Result<Option<Vec<String>>, AccessError>;

    /// The architectures of the instance types and images in `query` (planning asks only
    /// when a plan changes an instance type or pins an AMI); what AWS does not know is absent.
    async fn image_facts(&self, query: &ImageQuery) -> Result<ImageFacts, StackError>;

    /// What the account holds and the region offers for what a plan would add; `None` when
    /// this engine cannot tell (planning then checks nothing more).
    async fn preflight_facts(
        &self,
        _query: &PreflightQuery,
    ) -> Result<Option<PreflightFacts>, StackError> {
        Ok(None)
    }

    /// Creates or updates the stack towards `spec`; `prior` is `None` on create. A failure
    /// carries the state reached so far.
    async fn apply(
        &self,
        spec: &StackSpec,
        prior: Option<&StackState>,
        cancel: &CancellationToken,
    ) -> Result<StackState, PartialFailure>;

    /// Refreshes every owned object; `Ok(None)` when the stack is gone.
    async fn read(&self, prior: &StackState) -> Result<Option<StackState>, StackError>;

    /// Deletes everything the stack owns. A failure carries what still exists.
    async fn destroy(
        &self,
        prior: &StackState,
        cancel: &CancellationToken,
    ) -> Result<(), PartialFailure>;

    /// Rebuilds the state of the stack named `name` from what exists.
    async fn import(&self, name: &str) -> Result<StackState, StackError>;
}

/// Builds the engine from the provider block's settings (called by ConfigureProvider).
#[async_trait::async_trait]
pub trait EngineConnector: Send + Sync {
    async fn connect(&self, settings: AwsSettings) -> Result<Arc<dyn StackEngine>, StackError>;
}

/// The connector of a build without AWS: the provider serves its schema, validates and
/// answers every other request with "not configured".
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

#[async_trait::async_trait]
impl EngineConnector for Offline {
    async fn connect(&self, _settings: AwsSettings) -> Result<Arc<dyn StackEngine>, StackError> {
        Err(StackError::Config(
            "this build of the provider has no AWS engine".to_string(),
        ))
    }
}
