//! Target health: which instances the load balancer sends traffic to.

use std::collections::BTreeSet;

use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// The instance targets of `target_group_arn` that pass its health check now.
pub async fn healthy_targets(
    clients: &Clients,
    target_group_arn: &str,
) -> Result<BTreeSet<String>> {
    let output = clients
        .elbv2
        .describe_target_health()
        .target_group_arn(target_group_arn)
        .send()
        .for_object(target_group_arn)
        .await?;
    Ok(output
        .target_health_descriptions()
        .iter()
        .filter(|d| {
            d.target_health().and_then(|h| h.state()) == Some(&TargetHealthStateEnum::Healthy)
        })
        .filter_map(|d| d.target()?.id())
        .map(str::to_string)
        .collect())
}
