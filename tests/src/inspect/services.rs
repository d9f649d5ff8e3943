//! Look-ups of the service tiers' objects by id or name (database, file system, load balancer,
//! Auto Scaling, IAM): what tests assert on and what [`super::inventory`] counts.

use aws_sdk_autoscaling::types::{AutoScalingGroup, ScalingPolicy};
use aws_sdk_efs::types::MountTargetDescription;
use aws_sdk_elasticloadbalancingv2::types::Listener;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::{inspect_error, AwsInspector, InspectError};

/// A target group's health check and deregistration delay, as ELB reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupSettings {
    pub health_check_path: Option<String>,
    /// The HTTP codes that count as healthy (`200`, `200-399`).
    pub matcher: Option<String>,
    /// `deregistration_delay.timeout_seconds`.
    pub deregistration_delay: Option<i64>,
}

impl AwsInspector {
    /// The DB instance `identifier` (panics if there is none: tests call it on what they made).
    pub async fn db_instance(&self, identifier: &str) -> aws_sdk_rds::types::DbInstance {
        let out = self
            .rds
            .describe_db_instances()
            .db_instance_identifier(identifier)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "describe DB instance {identifier}: {}",
                    DisplayErrorContext(e)
                )
            });
        out.db_instances()
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("DB instance {identifier} exists"))
    }

    /// The mount targets of a file system.
    pub async fn mount_targets(
        &self,
        file_system_id: &str,
    ) -> Result<Vec<MountTargetDescription>, InspectError> {
        let out = self
            .efs
            .describe_mount_targets()
            .file_system_id(file_system_id)
            .send()
            .await
            .map_err(inspect_error("efs", "DescribeMountTargets"))?;
        Ok(out.mount_targets().to_vec())
    }

    /// The security groups of a mount target.
    pub async fn mount_target_groups(
        &self,
        mount_target_id: &str,
    ) -> Result<Vec<String>, InspectError> {
        let out = self
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(mount_target_id)
            .send()
            .await
            .map_err(inspect_error("efs", "DescribeMountTargetSecurityGroups"))?;
        Ok(out.security_groups().to_vec())
    }

    /// The listeners of a load balancer, by port.
    pub async fn listeners(&self, load_balancer_arn: &str) -> Result<Vec<Listener>, InspectError> {
        let out = self
            .elbv2
            .describe_listeners()
            .load_balancer_arn(load_balancer_arn)
            .send()
            .await
            .map_err(inspect_error("elbv2", "DescribeListeners"))?;
        let mut listeners = out.listeners().to_vec();
        listeners.sort_by_key(|l| l.port());
        Ok(listeners)
    }

    /// How the target group `arn` checks and releases its targets.
    pub async fn target_group_settings(
        &self,
        arn: &str,
    ) -> Result<TargetGroupSettings, InspectError> {
        let groups = self
            .elbv2
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await
            .map_err(inspect_error("elbv2", "DescribeTargetGroups"))?;
        let group = groups.target_groups().first();
        let attributes = self
            .elbv2
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(inspect_error("elbv2", "DescribeTargetGroupAttributes"))?;
        let deregistration_delay = attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value()?.parse().ok());
        Ok(TargetGroupSettings {
            health_check_path: group
                .and_then(|g| g.health_check_path())
                .map(str::to_string),
            matcher: group
                .and_then(|g| g.matcher()?.http_code())
                .map(str::to_string),
            deregistration_delay,
        })
    }

    /// The Auto Scaling group `name`, if it exists.
    pub async fn auto_scaling_group(
        &self,
        name: &str,
    ) -> Result<Option<AutoScalingGroup>, InspectError> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(inspect_error("autoscaling", "DescribeAutoScalingGroups"))?;
        Ok(out.auto_scaling_groups().first().cloned())
    }

    /// Every Auto Scaling group of the account, whoever owns it.
    pub async fn all_auto_scaling_groups(&self) -> Result<Vec<AutoScalingGroup>, InspectError> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .send()
            .await
            .map_err(inspect_error("autoscaling", "DescribeAutoScalingGroups"))?;
        Ok(out.auto_scaling_groups().to_vec())
    }

    /// The scaling policies of a group.
    pub async fn scaling_policies(&self, group: &str) -> Result<Vec<ScalingPolicy>, InspectError> {
        let out = self
            .autoscaling
            .describe_policies()
            .auto_scaling_group_name(group)
            .send()
            .await
            .map_err(inspect_error("autoscaling", "DescribePolicies"))?;
        Ok(out.scaling_policies().to_vec())
    }

    /// The names of a role's inline policies.
    pub async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, InspectError> {
        let out = self
            .iam
            .list_role_policies()
            .role_name(role)
            .send()
            .await
            .map_err(inspect_error("iam", "ListRolePolicies"))?;
        Ok(out.policy_names().to_vec())
    }
}
