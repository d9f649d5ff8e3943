//! Which template changes need new instances. An instance refresh replaces every instance, so
//! it is kept for what running instances cannot take by themselves: a change of the tags new
//! launches get, or of the secret version the user data names (running instances follow the
//! secret through their watcher), or of the site's install values (running instances have
//! installed the site already), moves the group to the new version without one.

use std::collections::BTreeMap;

use super::StepContext;
use crate::aws::autoscaling::{AutoScalingGroup, GroupRequest};
use crate::aws::launch_template::{self, TemplateData};
use crate::error::Result;
use crate::userdata;

/// Whether the group's current template version and the wanted one differ only in what
/// running instances follow by themselves (see [`same_for_running_instances`]).
pub(super) async fn running_instances_follow(
    ctx: &StepContext,
    group: &AutoScalingGroup,
    request: &GroupRequest<'_>,
) -> Result<bool> {
    let current = group
        .launch_template_version
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok());
    let (Some(current), Some(template)) = (current, group.launch_template_id.as_deref()) else {
        return Ok(false);
    };
    if template != request.launch_template_id {
        return Ok(false);
    }
    let (old, new) = tokio::try_join!(
        launch_template::describe_version(&ctx.clients, template, current),
        launch_template::describe_version(&ctx.clients, template, request.launch_template_version),
    )?;
    Ok(match (old, new) {
        (Some(old), Some(new)) => same_for_running_instances(&old.data, &new.data),
        _ => false,
    })
}

/// Template data equal but for the instance tags and what the user data says that running
/// instances do without: the secret version, the site install's values.
pub fn same_for_running_instances(a: &TemplateData, b: &TemplateData) -> bool {
    let rest = |d: &TemplateData| TemplateData {
        launch_tags: BTreeMap::new(),
        user_data_base64: String::new(),
        ..d.clone()
    };
    rest(a) == rest(b)
        && userdata::same_for_running_instances(&a.user_data_base64, &b.user_data_base64)
}
