//! The resource's engine seam (`stack::engine`) implemented by `stack_core::Engine`: the one
//! module of the provider that names the AWS-side crate's engine.

use std::sync::Arc;

use stack_core::aws::access::AccessError;
use stack_core::aws::AwsSettings;
use stack_core::error::{PartialFailure, StackError};
use stack_core::image::{ImageFacts, ImageQuery};
use stack_core::preflight::{PreflightFacts, PreflightQuery};
use stack_core::spec::StackSpec;
use stack_core::state::StackState;
use stack_core::Engine;
use tokio_util::sync::CancellationToken;

use wp_resource::stack::engine::{EngineConnector, StackEngine};

/// Connects `stack_core::Engine`s: one `SdkConfig` loaded from the provider block's settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsConnector;

#[async_trait::async_trait]
impl EngineConnector for AwsConnector {
    async fn connect(&self, settings: AwsSettings) -> Result<Arc<dyn StackEngine>, StackError> {
        Ok(Arc::new(AwsEngine(Engine::connect(settings).await?)))
    }
}

/// A connected `stack_core::Engine`, as the resource's engine (a local type: the trait and the
/// engine both live in other crates).
pub struct AwsEngine(pub Engine);

#[async_trait::async_trait]
impl StackEngine for AwsEngine {
    async fn availability_zones(&self) -> Result<Vec<String>, StackError> {
        self.0.availability_zones().await
    }

    async fn check_access(&self) -> Result<Option<Vec<String>>, AccessError> {
        self.0.check_access().await
    }

    async fn image_facts(&self, query: &ImageQuery) -> Result<ImageFacts, StackError> {
        self.0.image_facts(query).await
    }

    async fn preflight_facts(
        &self,
        query: &PreflightQuery,
    ) -> Result<Option<PreflightFacts>, StackError> {
        self.0.preflight_facts(query).await.map(Some)
    }

    async fn apply(
        &self,
        spec: &StackSpec,
        prior: Option<&StackState>,
        cancel: &CancellationToken,
    ) -> Result<StackState, PartialFailure> {
        self.0.apply(spec, prior, cancel).await
    }

    async fn read(&self, prior: &StackState) -> Result<Option<StackState>, StackError> {
        self.0.read(prior).await
    }

    async fn destroy(
        &self,
        prior: &StackState,
        cancel: &CancellationToken,
    ) -> Result<(), PartialFailure> {
        self.0.destroy(prior, cancel).await
    }

    async fn import(&self, name: &str) -> Result<StackState, StackError> {
        self.0.import(name).await
    }
}
