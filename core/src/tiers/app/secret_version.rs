//! The template version naming the secret's final version. The launch template is rendered
//! while RDS is still being created, naming the secret's version without the database; once
//! the secrets tier has written the database's host and password (a new version), later
//! launches must read that one. Running instances already follow the secret through their
//! watcher, so the group moves to a new template version without an instance refresh.

use std::sync::Arc;

use super::{template_version_in_use, user_data, GroupParts};
use crate::aws::launch_template::{self, TemplateData};
use crate::error::{Result, StackError};
use crate::state::logical;
use crate::tiers::context::StepContext;
use crate::tiers::step::Step;
use crate::tiers::step_id;

pub(super) fn step() -> Step {
    Step::new(
        step_id::TEMPLATE_SECRET_VERSION,
        [step_id::SECRET_DATABASE, step_id::AUTOSCALING_GROUP],
    )
    .create(|ctx| async move { follow_secret_version(&ctx).await })
}

async fn follow_secret_version(ctx: &Arc<StepContext>) -> Result<()> {
    let template_id = ctx.require(logical::LAUNCH_TEMPLATE)?;
    let in_use = template_version_in_use(ctx)?;
    let current = launch_template::describe_version(&ctx.clients, &template_id, in_use)
        .await?
        .ok_or_else(|| {
            StackError::Internal(format!(
                "version {in_use} of launch template {template_id} is gone"
            ))
        })?;
    let wanted = TemplateData {
        user_data_base64: user_data(ctx)?,
        ..current.data.clone()
    };
    if wanted == current.data {
        return Ok(());
    }
    let version = launch_template::create_version(&ctx.clients, &template_id, &wanted).await?;
    ctx.update_outputs(|o| o.launch_template_version = Some(version));
    let parts = GroupParts::of(ctx)?;
    super::send_group_update(ctx, &parts.request(version)).await?;
    tracing::info!(launch_template = %template_id, version, "the group launches from the secret's new version");
    Ok(())
}
