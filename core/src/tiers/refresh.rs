//! The read path: every tier's `refresh` at once, and what they share.
//!
//! A refresh is one round of concurrent, batched describes (`core/tests/call_counts.rs` counts
//! them through the fault proxy; `tests/tests/refresh_calls.rs` checks from the provider's
//! call log that no call waits for another). A second round happens only when the
//! prior state lacks an id or an object has gone missing. Tiers never wait for each other:
//! what one needs of another (the ALB for the DNS record, a zone for a mount target) is either
//! known from the prior state or compared after both reads are in. The few tags that no
//! describe of their object reports come from one DescribeTags for all of them, started
//! first and shared through `prefetch::Prefetch`.

use super::context::StepContext;
use super::prefetch::Prefetch;
use super::{
    alarms, app, bastion, database, dns, load_balancer, logs, network, secrets, security, storage,
    waf,
};
use crate::error::Result;
use crate::state::StackOutputs;

/// Refresh every tier concurrently into `ctx`'s state. `prior` is the state's outputs on a
/// read (`None` on import, which knows nothing yet).
pub async fn refresh_all(ctx: &StepContext, prior: Option<&StackOutputs>) -> Result<()> {
    let prefetch = match prior {
        Some(outputs) if !ctx.is_import() => Prefetch::start(ctx, outputs),
        _ => Prefetch::none(),
    };
    // Boxed: eleven tiers' futures side by side are too big for a thread's stack in debug builds.
    let (
        _,
        network,
        bastion_and_security,
        storage,
        database,
        front,
        app,
        secrets,
        waf,
        alarms,
        logs,
    ) = tokio::join!(
        prefetch.warm(),
        Box::pin(network::refresh_with(ctx, &prefetch)),
        Box::pin(bastion_and_security(ctx)),
        Box::pin(storage::refresh(ctx)),
        Box::pin(database::refresh(ctx)),
        Box::pin(load_balancer_and_dns(ctx)),
        Box::pin(app::refresh_with(ctx, &prefetch)),
        Box::pin(secrets::refresh(ctx)),
        Box::pin(waf::refresh(ctx)),
        Box::pin(alarms::refresh(ctx)),
        Box::pin(logs::refresh(ctx))
    );
    network?;
    bastion_and_security?;
    storage?;
    database?;
    front?;
    app?;
    secrets?;
    waf?;
    alarms?;
    logs
}

/// The bastion and the security groups. On import the groups are judged against a spec the
/// bastion tier rebuilds (whether a bastion exists decides the app group's SSH rule), so the
/// bastion goes first; a refresh knows the spec and reads both at once.
async fn bastion_and_security(ctx: &StepContext) -> Result<()> {
    if ctx.is_import() {
        bastion::refresh(ctx).await?;
        return security::refresh(ctx).await;
    }
    let (bastion, security) = tokio::join!(bastion::refresh(ctx), security::refresh(ctx));
    bastion?;
    security
}

/// The ALB and the Route 53 record read side by side; the record is judged against the ALB
/// once both are in (one DescribeLoadBalancers serves both tiers).
async fn load_balancer_and_dns(ctx: &StepContext) -> Result<()> {
    let (lb, record) = tokio::join!(load_balancer::refresh(ctx), dns::lookup(ctx));
    let lb = lb?;
    let record = record?;
    dns::record_observed(ctx, lb.as_ref(), record).await
}
