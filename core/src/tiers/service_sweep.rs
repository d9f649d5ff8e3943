//! The part of a destroy's sweep that is not EC2: whatever Auto Scaling group, load balancer,
//! target group, web ACL, alarm, alarm topic, log group, DB instance, DB subnet or parameter group or EFS file system still carries the stack tag
//! (or the stack's fixed name) is deleted and waited out, before the EC2 sweep removes the
//! security groups and subnets these objects sit in.
//!
//! Each service is asked directly: an emulating endpoint's tagging API may miss Auto Scaling groups, and asking
//! the services works the same on AWS.

use super::context::StepContext;
use super::{alarms, app, database, storage, waf};
use crate::aws::{autoscaling, efs, elbv2, logs, rds, wafv2};
use crate::error::{Result, StackError};
use crate::naming::STACK_TAG;
use crate::wait;

/// Sweep every non-EC2 service. The order matters: the group first (it would relaunch
/// instances the EC2 sweep terminates), then what the group and the instances use.
pub async fn sweep_services(ctx: &StepContext) -> Result<()> {
    sweep_groups(ctx).await?;
    let (balancers, databases, file_systems, alarms, log_groups) = tokio::join!(
        sweep_load_balancing(ctx),
        sweep_databases(ctx),
        sweep_file_systems(ctx),
        alarms::sweep(ctx),
        sweep_log_groups(ctx)
    );
    alarms?;
    balancers?;
    databases?;
    file_systems?;
    log_groups?;
    Ok(())
}

/// The log group of the stack's name, unless another stack's tag claims it. The instances'
/// awslogs driver never creates a group (`awslogs-create-group=false`), so none comes back.
async fn sweep_log_groups(ctx: &StepContext) -> Result<()> {
    let name = crate::naming::log_group_name(ctx.stack());
    let Some(group) = logs::find_log_group(&ctx.clients, &name).await? else {
        return Ok(());
    };
    let tags = logs::tags_of(&ctx.clients, &group.arn).await?;
    let claimed_elsewhere = tags
        .as_ref()
        .and_then(|t| t.get(STACK_TAG))
        .is_some_and(|stack| stack != ctx.stack());
    if !claimed_elsewhere {
        logs::delete_log_group(&ctx.clients, &group.name).await?;
        tracing::info!(log_group = %group.arn, "swept");
    }
    Ok(())
}

async fn sweep_groups(ctx: &StepContext) -> Result<()> {
    let mut names: Vec<String> =
        autoscaling::list_groups_tagged(&ctx.clients, STACK_TAG, ctx.stack())
            .await?
            .into_iter()
            .map(|g| g.name)
            .collect();
    let fixed = app::group_name(ctx.stack());
    if !names.contains(&fixed)
        && autoscaling::describe_group(&ctx.clients, &fixed)
            .await?
            .is_some()
    {
        names.push(fixed);
    }
    for name in names {
        autoscaling::delete_group(&ctx.clients, &name).await?;
        autoscaling::wait_group_deleted(&ctx.clients, ctx.bounds(), &name).await?;
        tracing::info!(group = %name, "swept");
    }
    Ok(())
}

fn is_ours(tags: Option<&std::collections::BTreeMap<String, String>>, stack: &str) -> bool {
    tags.and_then(|t| t.get(STACK_TAG)).map(String::as_str) == Some(stack)
}

async fn sweep_load_balancing(ctx: &StepContext) -> Result<()> {
    let balancers = elbv2::list_load_balancers(&ctx.clients).await?;
    let arns: Vec<String> = balancers.iter().map(|lb| lb.arn.clone()).collect();
    let tags = elbv2::tags_of(&ctx.clients, &arns).await?;
    for lb in balancers
        .iter()
        .filter(|lb| is_ours(tags.get(&lb.arn), ctx.stack()))
    {
        elbv2::delete_load_balancer(&ctx.clients, &lb.arn).await?;
        elbv2::wait_load_balancer_deleted(&ctx.clients, ctx.bounds(), &lb.arn).await?;
        tracing::info!(load_balancer = %lb.arn, "swept");
    }
    let groups = elbv2::list_target_groups(&ctx.clients).await?;
    let arns: Vec<String> = groups.iter().map(|tg| tg.arn.clone()).collect();
    let tags = elbv2::tags_of(&ctx.clients, &arns).await?;
    for tg in groups
        .iter()
        .filter(|tg| is_ours(tags.get(&tg.arn), ctx.stack()))
    {
        wait::retrying(
            ctx.bounds(),
            &format!("delete target group {}", tg.arn),
            |e| e.aws_code() == Some("ResourceInUse"),
            || elbv2::delete_target_group(&ctx.clients, &tg.arn),
        )
        .await?;
        tracing::info!(target_group = %tg.arn, "swept");
    }
    sweep_web_acls(ctx).await
}

/// Web ACLs of the stack's name or tag. Their balancer is gone by now, and with it their
/// association (WAF refuses to delete a web ACL that still guards something).
async fn sweep_web_acls(ctx: &StepContext) -> Result<()> {
    let name = waf::web_acl_name(ctx.stack());
    for summary in wafv2::list_web_acls(&ctx.clients).await? {
        let ours = summary.name == name
            || is_ours(
                Some(&wafv2::tags_of(&ctx.clients, &summary.arn).await?),
                ctx.stack(),
            );
        if !ours {
            continue;
        }
        if let Some(acl) = wafv2::get_web_acl(&ctx.clients, &summary.name, &summary.id).await? {
            wafv2::delete_web_acl(&ctx.clients, &acl).await?;
            tracing::info!(web_acl = %acl.arn, "swept");
        }
    }
    Ok(())
}

async fn sweep_databases(ctx: &StepContext) -> Result<()> {
    for db in rds::list_db_instances_tagged(&ctx.clients, STACK_TAG, ctx.stack()).await? {
        if db.deletion_protection {
            return Err(StackError::Refused {
                what: format!(
                    "DB instance {} has deletion protection: turn it off before destroying the stack",
                    db.identifier
                ),
            });
        }
        let final_snapshot = if db.status != "deleting" {
            database::delete_taking_final_snapshot(ctx, &db.identifier).await?
        } else {
            None
        };
        rds::wait_db_instance_deleted(&ctx.clients, ctx.bounds(), &db.identifier).await?;
        tracing::info!(db_instance = %db.identifier, final_snapshot = ?final_snapshot, "swept");
    }
    let group = database::subnet_group_name(ctx.stack());
    if rds::describe_db_subnet_group(&ctx.clients, &group)
        .await?
        .is_some()
    {
        rds::delete_db_subnet_group(&ctx.clients, &group).await?;
        tracing::info!(subnet_group = %group, "swept");
    }
    for family in database::parameters::FAMILIES {
        let name = database::parameters::group_name(ctx.stack(), family);
        if rds::describe_db_parameter_group(&ctx.clients, &name)
            .await?
            .is_some()
        {
            rds::delete_db_parameter_group(&ctx.clients, &name).await?;
            tracing::info!(parameter_group = %name, "swept");
        }
    }
    Ok(())
}

async fn sweep_file_systems(ctx: &StepContext) -> Result<()> {
    let token = storage::creation_token(ctx.stack());
    let file_systems = efs::list_file_systems(&ctx.clients).await?;
    let ours = file_systems.iter().filter(|fs| {
        fs.creation_token == token
            || fs.tags.get(STACK_TAG).map(String::as_str) == Some(ctx.stack())
    });
    for fs in ours {
        for target in efs::mount_targets(&ctx.clients, &fs.id).await? {
            efs::delete_mount_target(&ctx.clients, &target.id).await?;
        }
        efs::wait_mount_targets_gone(&ctx.clients, ctx.bounds(), &fs.id).await?;
        efs::delete_file_system(&ctx.clients, &fs.id).await?;
        efs::wait_file_system_deleted(&ctx.clients, ctx.bounds(), &fs.id).await?;
        tracing::info!(file_system = %fs.id, "swept");
    }
    Ok(())
}
