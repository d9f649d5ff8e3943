//! The group's metrics collection: CloudWatch receives the group metrics (`GroupInServiceInstances`
//! and the others, at one-minute granularity, at no charge) only while it is on, and the
//! alarms' "at max capacity" watches one of them.

use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// The only granularity Auto Scaling offers.
const GRANULARITY: &str = "1Minute";

/// The group metrics being collected for the group `name`; `None` when there is no such group.
pub async fn enabled_metrics(clients: &Clients, name: &str) -> Result<Option<Vec<String>>> {
    let output = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .for_object(name)
        .await?;
    Ok(output.auto_scaling_groups().first().map(|group| {
        group
            .enabled_metrics()
            .iter()
            .filter_map(|m| m.metric().map(str::to_string))
            .collect()
    }))
}

/// Collect `metrics` for the group `name` (those already collected stay on).
pub async fn enable(clients: &Clients, name: &str, metrics: &[&str]) -> Result<()> {
    clients
        .autoscaling
        .enable_metrics_collection()
        .auto_scaling_group_name(name)
        .set_metrics(Some(metrics.iter().map(|m| m.to_string()).collect()))
        .granularity(GRANULARITY)
        .send()
        .for_object(name)
        .await?;
    Ok(())
}
