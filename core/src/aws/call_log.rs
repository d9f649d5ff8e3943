//! One debug line per AWS call (service, operation, milliseconds, outcome), so an operator
//! reading `TF_LOG_PROVIDER=DEBUG` — or the benchmark — sees which calls a command made, in
//! which order and how long each took. The SDK's own spans are filtered out at that level.

use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Attached to every client by [`super::Clients::connect`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CallLog;

/// When the call started, kept in the call's config bag between the two hooks.
#[derive(Debug, Clone)]
struct CallStart(Instant);

impl Storable for CallStart {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(CallStart(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let elapsed_ms = cfg
            .load::<CallStart>()
            .map(|start| start.0.elapsed().as_secs_f64() * 1000.0);
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let ok = matches!(context.output_or_error(), Some(Ok(_)));
        tracing::debug!(service, operation, elapsed_ms, ok, "aws call");
        Ok(())
    }
}
