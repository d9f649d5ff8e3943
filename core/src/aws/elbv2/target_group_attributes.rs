//! The target group's attributes the stack sets: the deregistration delay.

use aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute;

use crate::aws::{Clients, SendFor};
use crate::error::Result;

const DEREGISTRATION_DELAY_KEY: &str = "deregistration_delay.timeout_seconds";

/// How long, in seconds, the target group lets a leaving instance finish its requests, when
/// AWS reports it.
pub async fn deregistration_delay(clients: &Clients, arn: &str) -> Result<Option<i64>> {
    let output = clients
        .elbv2
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .for_object(arn)
        .await?;
    let pairs = output.attributes().iter().map(|a| (a.key(), a.value()));
    Ok(super::numeric_attribute(pairs, DEREGISTRATION_DELAY_KEY))
}

/// Set the deregistration delay in place (ModifyTargetGroupAttributes): targets stay put.
pub async fn set_deregistration_delay(clients: &Clients, arn: &str, seconds: i64) -> Result<()> {
    clients
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY_KEY)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .for_object(arn)
        .await?;
    Ok(())
}
