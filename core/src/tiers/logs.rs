//! The logs tier: the CloudWatch Logs group `/wordpress/<name>` the WordPress container (Docker's
//! awslogs driver) and the boot script write to, with the spec's retention and, when given, its
//! KMS key, tagged like every object of the stack. The state records the group's ARN.
//!
//! One step, needing nothing of the stack (so it is made while the network is, off the
//! database's path); the launch template waits for it, since the instances' driver never
//! creates a group. It exists whether or not `logs.enabled` is set, so that turning logs off
//! deletes the group the stack made. A refresh that finds the group gone leaves it out of
//! `resources` (the plan shows it deleted outside Terraform and the next apply makes it again);
//! a retention or KMS key changed outside Terraform goes into the state's spec, so the plan
//! shows the change back.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::context::StepContext;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use super::tag_sync;
use crate::aws::logs::{self, LogGroup};
use crate::error::{Result, StackError};
use crate::naming::{log_group_name, STACK_TAG};
use crate::spec::LogsSpec;
use crate::state::logical;

pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![Step::new(step_id::LOG_GROUP, Vec::<String>::new())
        .create(|ctx| async move { converge_group(&ctx).await })
        .delete(|ctx| async move { delete_group(&ctx).await })]
}

/// The retention PutRetentionPolicy takes for the spec's days; `None` (no policy) for 0.
pub fn wanted_retention(logs: &LogsSpec) -> Option<i32> {
    (logs.retention_in_days != 0).then(|| i32::try_from(logs.retention_in_days).unwrap_or(i32::MAX))
}

/// The spec's days for a group's retention: 0 when it has none (never expire).
pub fn observed_retention(group: &LogGroup) -> i64 {
    group.retention_in_days.map(i64::from).unwrap_or(0)
}

fn owned_by(tags: &BTreeMap<String, String>, stack: &str) -> bool {
    tags.get(STACK_TAG).map(String::as_str) == Some(stack)
}

/// The stack's group and its tags, when it exists and is the stack's: the one the state
/// recorded, or one of the stack's name tagged for it.
async fn find_ours(ctx: &StepContext) -> Result<Option<(LogGroup, BTreeMap<String, String>)>> {
    let name = log_group_name(ctx.stack());
    let Some(group) = logs::find_log_group(&ctx.clients, &name).await? else {
        return Ok(None);
    };
    let tags = logs::tags_of(&ctx.clients, &group.arn)
        .await?
        .unwrap_or_default();
    let recorded = ctx.resource(logical::LOG_GROUP).as_deref() == Some(group.arn.as_str())
        || ctx.prior_resource(logical::LOG_GROUP) == Some(group.arn.as_str());
    if recorded || owned_by(&tags, ctx.stack()) {
        return Ok(Some((group, tags)));
    }
    Err(StackError::Refused {
        what: format!(
            "CloudWatch Logs group {name:?} already exists and is not tagged {STACK_TAG}={}: it \
             belongs to something else; delete it, or choose another stack name",
            ctx.stack()
        ),
    })
}

async fn converge_group(ctx: &Arc<StepContext>) -> Result<()> {
    let spec = &ctx.spec().logs;
    if !spec.enabled {
        return remove_group(ctx).await;
    }
    let name = log_group_name(ctx.stack());
    let group = match find_ours(ctx).await? {
        Some((group, observed)) => {
            let changes = tag_sync::changes_for(ctx, &group.arn, &observed, &name);
            logs::retag(&ctx.clients, &group.arn, &changes.set, &changes.remove).await?;
            group
        }
        None => {
            let tags = tag_sync::wanted(ctx, &name);
            let (name, tags) = (&name, &tags);
            let key = spec.kms_key_id.as_deref();
            let created = ctx
                .create_or_adopt(
                    &format!("create log group {name}"),
                    || async move {
                        logs::create_log_group(&ctx.clients, name, key, tags).await?;
                        logs::find_log_group(&ctx.clients, name)
                            .await?
                            .ok_or_else(|| {
                                StackError::Internal(format!(
                                    "log group {name} not listed after its create"
                                ))
                            })
                    },
                    || async move { logs::find_log_group(&ctx.clients, name).await },
                )
                .await?;
            tracing::info!(log_group = %created.arn, "created log group");
            created
        }
    };
    // Recorded before its settings: a failure setting them keeps the group in the state.
    ctx.record(logical::LOG_GROUP, &group.arn);
    let retention = wanted_retention(spec);
    if group.retention_in_days != retention {
        logs::set_retention(&ctx.clients, &group.name, retention).await?;
        tracing::info!(log_group = %group.name, ?retention, "set the log group's retention");
    }
    if group.kms_key_id != spec.kms_key_id {
        logs::set_kms_key(&ctx.clients, &group.name, spec.kms_key_id.as_deref()).await?;
        tracing::info!(log_group = %group.name, kms_key = ?spec.kms_key_id, "set the log group's KMS key");
    }
    Ok(())
}

/// `logs.enabled = false`, or destroy: delete the stack's group and every event in it.
async fn remove_group(ctx: &StepContext) -> Result<()> {
    if let Some((group, _)) = find_ours(ctx).await? {
        logs::delete_log_group(&ctx.clients, &group.name).await?;
        tracing::info!(log_group = %group.arn, "deleted log group");
    }
    ctx.forget(logical::LOG_GROUP);
    Ok(())
}

async fn delete_group(ctx: &Arc<StepContext>) -> Result<()> {
    remove_group(ctx).await
}

/// Record the group when it exists and is the stack's; its retention and KMS key go into the
/// spec (import: `enabled` too). One round of two concurrent calls (DescribeLogGroups by name,
/// the recorded group's tags); a stack without a group that wants none asks nothing.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let prior = ctx.prior_resource(logical::LOG_GROUP).map(str::to_string);
    if prior.is_none() && !ctx.spec().logs.enabled && !ctx.is_import() {
        return Ok(());
    }
    let clients = &ctx.clients;
    let name = log_group_name(ctx.stack());
    let (group, tags) = tokio::join!(logs::find_log_group(clients, &name), async {
        match &prior {
            Some(arn) => logs::tags_of(clients, arn).await,
            None => Ok(None),
        }
    });
    let group = group?;
    let tags = match (tags?, &group) {
        (Some(tags), Some(group)) if prior.as_deref() == Some(group.arn.as_str()) => tags,
        (_, Some(group)) => logs::tags_of(clients, &group.arn)
            .await?
            .unwrap_or_default(),
        (_, None) => BTreeMap::new(),
    };
    // A group of the stack's name another stack's tag claims is not this stack's.
    let group = group.filter(|group| {
        prior.as_deref() == Some(group.arn.as_str()) || owned_by(&tags, ctx.stack())
    });
    let Some(group) = group else {
        if ctx.is_import() {
            ctx.update_state(|s| s.spec.logs.enabled = false);
        } else if prior.is_some() {
            tracing::info!(log_group = %name, "the log group was deleted outside Terraform");
        }
        return Ok(());
    };
    tag_sync::observe(ctx, &tags, &name);
    let retention = observed_retention(&group);
    let kms_key_id = group.kms_key_id.clone();
    ctx.update_state(|s| {
        if ctx.is_import() {
            s.spec.logs.enabled = true;
        }
        s.spec.logs.retention_in_days = retention;
        s.spec.logs.kms_key_id = kms_key_id;
    });
    ctx.record(logical::LOG_GROUP, &group.arn);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_days_is_no_retention_policy() {
        let mut spec = LogsSpec::default();
        assert_eq!(wanted_retention(&spec), Some(30));
        spec.retention_in_days = 0;
        assert_eq!(wanted_retention(&spec), None);
        let group = LogGroup {
            name: "/wordpress/blog".into(),
            arn: "arn:aws:logs:us-east-1:1:log-group:/wordpress/blog".into(),
            retention_in_days: None,
            kms_key_id: None,
        };
        assert_eq!(observed_retention(&group), 0);
        assert_eq!(log_group_name("blog"), "/wordpress/blog");
    }
}
