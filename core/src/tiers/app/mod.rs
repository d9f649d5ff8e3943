//! The app tier: the launch template WordPress instances boot from, the Auto Scaling group
//! that runs them in the private subnets behind the target group, and its CPU policy.
//!
//! The group always names an explicit template version (never `$Latest`), so a template
//! change reaches instances only through this step: an instance refresh to the new version
//! that launches before it terminates, keeps 90% of the capacity healthy, rolls back on
//! failure, and is waited for to its end. Create and every update end only once `min_size`
//! instances are `InService` and healthy in the target group. One template change skips the
//! refresh: a version that only names the secret's newer version (`secret_version`), which
//! running instances follow by themselves.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::context::StepContext;
use super::layout::StackLayout;
use super::prefetch::Prefetch;
use super::step::Step;
use super::step_id;
use super::{images, secrets, tag_sync};
use crate::aws::autoscaling::refresh::{self as instance_refresh, RefreshRequest};
use crate::aws::autoscaling::{self, capacity, AutoScalingGroup, GroupRequest};
use crate::aws::ec2;
use crate::aws::launch_template::{self, LaunchTemplate, TemplateData};
use crate::aws::propagation::retrying_profile_propagation;
use crate::error::{Result, StackError};
use crate::image;
use crate::spec::{AutoscalingSpec, WordpressSpec};
use crate::state::logical;
use crate::userdata::{self, UserDataInput};
use crate::wait::usual;

const APP_GROUP: &str = "app";

/// `<name>-app`.
pub fn launch_template_name(stack: &str) -> String {
    format!("{stack}-app")
}

/// `<name>-asg`.
pub fn group_name(stack: &str) -> String {
    format!("{stack}-asg")
}

/// `<name>-cpu-target`.
pub fn policy_name(stack: &str) -> String {
    format!("{stack}-cpu-target")
}

pub fn steps(layout: &StackLayout) -> Vec<Step> {
    let template_deps = [
        step_id::SECURITY_GROUPS.to_string(),
        step_id::FILE_SYSTEM.to_string(),
        // No database: the instances read its host from the secret once it exists
        // (`secret_version`), so they boot while RDS is still being created.
        // The instances read their secret through this profile's role.
        step_id::INSTANCE_PROFILE.to_string(),
        // WordPress's URL is the stack's: the balancer's name unless DNS names it.
        step_id::LOAD_BALANCER.to_string(),
        // The instances' awslogs driver never creates the group: it must exist before them.
        step_id::LOG_GROUP.to_string(),
    ];
    // Instances mount EFS and pull the image at boot: their zone's mount target and NAT route
    // must exist first.
    let mut group_deps = vec![
        step_id::LAUNCH_TEMPLATE.to_string(),
        step_id::TARGET_GROUP.to_string(),
        // The balancer's way in and the least-privilege way out, before any instance boots.
        step_id::SECURITY_RULES.to_string(),
    ];
    group_deps.extend(step_id::all_private_subnets(&layout.zones));
    group_deps.extend(step_id::all_private_routes(&layout.zones));
    group_deps.extend(step_id::all_mount_targets(&layout.zones));
    vec![
        Step::new(step_id::LAUNCH_TEMPLATE, template_deps)
            .create(|ctx| async move { converge_launch_template(&ctx).await })
            .delete(|ctx| async move { delete_launch_template(&ctx).await }),
        Step::new(step_id::AUTOSCALING_GROUP, group_deps)
            .waits_for(usual::GROUP_INSTANCES)
            .create(|ctx| async move { converge_group(&ctx).await })
            .delete(|ctx| async move { delete_group(&ctx).await }),
        Step::new(step_id::SCALING_POLICY, [step_id::AUTOSCALING_GROUP])
            .create(|ctx| async move { converge_policy(&ctx).await })
            // Deleting the group deletes its policies: nothing to call, only to forget.
            .delete(|ctx| async move {
                ctx.forget(logical::SCALING_POLICY);
                Ok(())
            }),
        secret_version::step(),
    ]
}

// ---- launch template ----

/// The AMI, its root device and snapshot size: the spec's, else the current Amazon Linux 2023
/// for the instance type's architecture (the same resolver as the bastion's). The resolved id
/// is kept in the state's spec so later applies do not move to a newer image behind the
/// user's back; planning makes it unknown again when the instance type changes architecture.
async fn resolve_image(ctx: &StepContext) -> Result<ec2::Image> {
    let spec = &ctx.spec().wordpress;
    let image = images::resolve(ctx, spec.ami_id.as_deref(), &spec.instance_type).await?;
    let id = image.id.clone();
    ctx.update_state(|s| s.spec.wordpress.ami_id = Some(id));
    Ok(image)
}

/// The instances' user data (base64), naming the secret version the state records now.
fn user_data(ctx: &StepContext) -> Result<String> {
    let spec = ctx.spec();
    // The user data names the secret and its version; the instances fetch the values.
    let (secret_id, secret_version) = secrets::current_secret_version(ctx)?;
    let site_url = ctx.snapshot().outputs.url.ok_or_else(|| {
        StackError::Internal("the site URL was not recorded by the load balancer step".into())
    })?;
    let efs_id = ctx.require(logical::EFS_FILE_SYSTEM)?;
    let log_group = secrets::wanted_log_group(spec);
    Ok(userdata::render_base64(&UserDataInput {
        stack_name: ctx.stack(),
        region: &ctx.clients.region,
        efs_id: &efs_id,
        db_name: &spec.database.db_name,
        db_user: &spec.database.username,
        secret_id: &secret_id,
        secret_version: &secret_version,
        image: &spec.wordpress.image,
        config_extra: spec.wordpress.config_extra.as_deref(),
        health_check_path: &spec.load_balancer.health_check_path,
        site_url: &site_url,
        site_title: &spec.site.title,
        admin_user: &spec.site.admin_user,
        admin_email: spec.site.admin_email.as_deref(),
        log_group: log_group.as_deref(),
    }))
}

async fn wanted_template_data(ctx: &StepContext) -> Result<TemplateData> {
    let spec = ctx.spec();
    let image = resolve_image(ctx).await?;
    let user_data = user_data(ctx)?;
    let instance_profile_arn = ctx.require(logical::APP_INSTANCE_PROFILE)?;
    let group_id = ctx.require(&logical::qualified(logical::SECURITY_GROUP, APP_GROUP))?;
    let instance_name = ctx.name(APP_GROUP, None);
    Ok(TemplateData {
        instance_profile_arn: Some(instance_profile_arn),
        // Room for Docker images, and never less than the image's own root snapshot.
        root_volume_gib: Some(i64::from(image::root_volume_gib(
            launch_template::ROOT_VOLUME_GIB,
            image.root_volume_gib,
        ))),
        ..TemplateData::hardened(
            &image.id,
            &image.root_device_name,
            &spec.wordpress.instance_type,
            &group_id,
            spec.wordpress.key_name.as_deref(),
            user_data,
            ctx.tags(&instance_name),
        )
    })
}

async fn find_launch_template(ctx: &StepContext) -> Result<Option<LaunchTemplate>> {
    if let Some(id) = ctx.resource(logical::LAUNCH_TEMPLATE) {
        if let Some(template) = launch_template::describe(&ctx.clients, &id).await? {
            return Ok(Some(template));
        }
    }
    launch_template::find_by_name(&ctx.clients, &launch_template_name(ctx.stack())).await
}

/// Create the template, or add a version when the latest one says something else. Returns
/// the template id and the version the group must use.
async fn converge_launch_template(ctx: &Arc<StepContext>) -> Result<()> {
    let wanted = wanted_template_data(ctx).await?;
    let (id, version) = match find_launch_template(ctx).await? {
        Some(template) => {
            ctx.record(logical::LAUNCH_TEMPLATE, &template.id);
            let name = launch_template_name(ctx.stack());
            let tags = launch_template::tags_of(&ctx.clients, &template.id).await?;
            let changes = tag_sync::changes_for(ctx, &template.id, &tags, &name);
            launch_template::retag(&ctx.clients, &template.id, &changes.set, &changes.remove)
                .await?;
            let version = version_saying(ctx, &template, &wanted).await?;
            (template.id, version)
        }
        None => {
            let name = launch_template_name(ctx.stack());
            let token = ctx.client_token("app-launch-template");
            let tags = tag_sync::wanted(ctx, &name);
            let template = ctx
                .create_or_adopt(
                    &format!("create launch template {name}"),
                    || launch_template::create(&ctx.clients, &name, &wanted, &tags, &token),
                    || launch_template::find_by_name(&ctx.clients, &name),
                )
                .await?;
            tracing::info!(launch_template = %template.id, "created launch template");
            ctx.record(logical::LAUNCH_TEMPLATE, &template.id);
            (template.id, template.latest_version.unwrap_or(1))
        }
    };
    ctx.update_outputs(|o| {
        o.launch_template_id = Some(id);
        o.launch_template_version = Some(version);
    });
    Ok(())
}

async fn version_saying(
    ctx: &StepContext,
    template: &LaunchTemplate,
    wanted: &TemplateData,
) -> Result<i64> {
    if let Some(latest) = template.latest_version {
        let current = launch_template::describe_version(&ctx.clients, &template.id, latest).await?;
        if current.is_some_and(|v| v.data == *wanted) {
            return Ok(latest);
        }
    }
    let version = launch_template::create_version(&ctx.clients, &template.id, wanted).await?;
    tracing::info!(launch_template = %template.id, version, "created launch template version");
    Ok(version)
}

async fn delete_launch_template(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(template) = find_launch_template(ctx).await? {
        launch_template::delete(&ctx.clients, &template.id).await?;
        tracing::info!(launch_template = %template.id, "deleted launch template");
    }
    ctx.forget(logical::LAUNCH_TEMPLATE);
    ctx.update_outputs(|o| {
        o.launch_template_id = None;
        o.launch_template_version = None;
    });
    Ok(())
}

// ---- auto scaling group ----

/// What must change on a live group to match `wanted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupChanges {
    /// Sizes, template version, subnets or health checks differ: UpdateAutoScalingGroup.
    pub update: bool,
    /// The template version moves: replace the running instances too.
    pub refresh_instances: bool,
    /// The target group is not attached.
    pub attach_target_group: bool,
}

pub fn group_changes(observed: &AutoScalingGroup, wanted: &GroupRequest<'_>) -> GroupChanges {
    let wanted_version = wanted.launch_template_version.to_string();
    let version_moves = observed.launch_template_version.as_deref()
        != Some(wanted_version.as_str())
        || observed.launch_template_id.as_deref() != Some(wanted.launch_template_id);
    let mut observed_subnets = observed.subnet_ids.clone();
    observed_subnets.sort();
    let mut wanted_subnets = wanted.subnet_ids.to_vec();
    wanted_subnets.sort();
    let update = version_moves
        || observed.min_size != wanted.min_size
        || observed.max_size != wanted.max_size
        || wanted
            .desired_capacity
            .is_some_and(|d| d != observed.desired_capacity)
        || observed_subnets != wanted_subnets
        || observed.health_check_type.as_deref() != Some(autoscaling::HEALTH_CHECK_TYPE)
        || observed.health_check_grace_period != Some(wanted.health_check_grace_period);
    GroupChanges {
        update,
        refresh_instances: version_moves && observed.launch_template_version.is_some(),
        attach_target_group: wanted
            .target_group_arns
            .iter()
            .any(|arn| !observed.target_group_arns.contains(arn)),
    }
}

fn private_subnet_ids(ctx: &StepContext) -> Result<Vec<String>> {
    ctx.zones()
        .iter()
        .map(|az| ctx.require(&logical::qualified(logical::PRIVATE_SUBNET, az)))
        .collect()
}

/// What the group is made of, owned, for [`GroupParts::request`].
struct GroupParts {
    name: String,
    template_id: String,
    subnets: Vec<String>,
    /// The one target group (an array, so a slice of it is what `GroupRequest` takes).
    target_groups: [String; 1],
    tags: BTreeMap<String, String>,
    spec: AutoscalingSpec,
}

impl GroupParts {
    fn of(ctx: &StepContext) -> Result<GroupParts> {
        Ok(GroupParts {
            name: group_name(ctx.stack()),
            template_id: ctx.require(logical::LAUNCH_TEMPLATE)?,
            subnets: private_subnet_ids(ctx)?,
            target_groups: [ctx.require(logical::TARGET_GROUP)?],
            tags: tag_sync::wanted(ctx, &ctx.name(APP_GROUP, None)),
            spec: ctx.spec().autoscaling.clone(),
        })
    }

    /// The group as the spec wants it, launching from `version` of the template.
    fn request(&self, version: i64) -> GroupRequest<'_> {
        GroupRequest {
            name: &self.name,
            launch_template_id: &self.template_id,
            launch_template_version: version,
            min_size: self.spec.min_size,
            max_size: self.spec.max_size,
            desired_capacity: self.spec.desired_capacity,
            subnet_ids: &self.subnets,
            target_group_arns: &self.target_groups,
            health_check_grace_period: self.spec.health_check_grace_period,
            tags: &self.tags,
        }
    }
}

/// The template version the template step chose (and `secret_version` may move on).
fn template_version_in_use(ctx: &StepContext) -> Result<i64> {
    ctx.snapshot()
        .outputs
        .launch_template_version
        .ok_or_else(|| StackError::Internal("the launch template step recorded no version".into()))
}

async fn converge_group(ctx: &Arc<StepContext>) -> Result<()> {
    let parts = GroupParts::of(ctx)?;
    let request = parts.request(template_version_in_use(ctx)?);
    let name = parts.name.clone();
    let [target_group] = parts.target_groups.clone();
    let existing = match autoscaling::describe_group(&ctx.clients, &name).await? {
        // A group still being deleted (a destroy that died) cannot be updated: let it go.
        Some(group) if group.status.is_some() => {
            autoscaling::wait_group_deleted(&ctx.clients, ctx.bounds(), &name).await?;
            None
        }
        other => other,
    };
    match existing {
        Some(group) => update_group(ctx, &group, &request).await?,
        None => {
            let what = format!("create auto scaling group {name}");
            ctx.create_or_adopt(
                &what,
                // It names a launch template made moments before (wait out consistency) and
                // an instance profile IAM may not have propagated yet.
                || {
                    ctx.eventually(&what, || {
                        retrying_profile_propagation(ctx.bounds(), &what, || {
                            autoscaling::create_group(&ctx.clients, &request)
                        })
                    })
                },
                || async {
                    let found = autoscaling::describe_group(&ctx.clients, &name).await?;
                    Ok(found.map(|_| ()))
                },
            )
            .await?;
            tracing::info!(group = %name, "created auto scaling group");
        }
    }
    ctx.record(logical::AUTOSCALING_GROUP, &name);
    ctx.update_outputs(|o| o.asg_name = Some(name.clone()));
    capacity::wait_group_healthy(&ctx.clients, ctx.bounds(), &name, &target_group).await?;
    Ok(())
}

/// UpdateAutoScalingGroup, retried while IAM propagates the profile the template names.
async fn send_group_update(ctx: &StepContext, request: &GroupRequest<'_>) -> Result<()> {
    let what = format!("update auto scaling group {}", request.name);
    retrying_profile_propagation(ctx.bounds(), &what, || {
        autoscaling::update_group(&ctx.clients, request)
    })
    .await
}

async fn update_group(
    ctx: &StepContext,
    group: &AutoScalingGroup,
    request: &GroupRequest<'_>,
) -> Result<()> {
    let changes = group_changes(group, request);
    let refresh = changes.refresh_instances
        && !rollout::running_instances_follow(ctx, group, request).await?;
    // A refresh moves the group to the new version itself (and back when it rolls back):
    // until then the group keeps the version it runs.
    let running_version = group
        .launch_template_version
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|_| {
            refresh && group.launch_template_id.as_deref() == Some(request.launch_template_id)
        });
    let before_refresh = GroupRequest {
        launch_template_version: running_version.unwrap_or(request.launch_template_version),
        ..request.clone()
    };
    if group_changes(group, &before_refresh).update {
        tracing::info!(group = %request.name, version = before_refresh.launch_template_version, "updating auto scaling group");
        send_group_update(ctx, &before_refresh).await?;
    }
    if changes.attach_target_group {
        autoscaling::attach_target_groups(&ctx.clients, request.name, request.target_group_arns)
            .await?;
    }
    let tag_changes =
        tag_sync::changes_for(ctx, request.name, &group.tags, &ctx.name(APP_GROUP, None));
    if !tag_changes.set.is_empty() {
        autoscaling::put_tags(&ctx.clients, request.name, &tag_changes.set).await?;
    }
    autoscaling::delete_tags(&ctx.clients, request.name, &tag_changes.remove).await?;
    if refresh {
        let refresh_request = RefreshRequest {
            group: request.name,
            launch_template_id: request.launch_template_id,
            version: request.launch_template_version,
            warmup_seconds: request.health_check_grace_period,
        };
        instance_refresh::refresh_instances(&ctx.clients, ctx.bounds(), &refresh_request).await?;
        // A successful refresh leaves the group on its version; say so where it does not.
        let after = autoscaling::describe_group(&ctx.clients, request.name).await?;
        if after.is_some_and(|g| group_changes(&g, request).update) {
            send_group_update(ctx, request).await?;
        }
    }
    Ok(())
}

async fn delete_group(ctx: &Arc<StepContext>) -> Result<()> {
    let name = ctx
        .resource(logical::AUTOSCALING_GROUP)
        .unwrap_or_else(|| group_name(ctx.stack()));
    autoscaling::delete_group(&ctx.clients, &name).await?;
    tracing::info!(group = %name, "deleting auto scaling group and its instances");
    autoscaling::wait_group_deleted(&ctx.clients, ctx.bounds(), &name).await?;
    ctx.forget(logical::AUTOSCALING_GROUP);
    ctx.update_outputs(|o| o.asg_name = None);
    Ok(())
}

// ---- scaling policy ----

async fn converge_policy(ctx: &Arc<StepContext>) -> Result<()> {
    let group = ctx.require(logical::AUTOSCALING_GROUP)?;
    let name = policy_name(ctx.stack());
    let target = ctx.spec().autoscaling.target_cpu_utilization;
    let current = autoscaling::describe_policy(&ctx.clients, &group, &name).await?;
    if current.is_none_or(|policy| policy.target_value != Some(target)) {
        autoscaling::put_cpu_target_policy(&ctx.clients, &group, &name, target).await?;
        tracing::info!(policy = %name, target, "put CPU target-tracking policy");
    }
    // The policy's name is its id here: unique within the group, and reported the same by
    // every Describe (an emulating endpoint may leave the ARN out of DescribePolicies).
    ctx.record(logical::SCALING_POLICY, name);
    Ok(())
}

// ---- refresh ----

/// Record the template, group and policy, and write observed settings into the state's spec.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    refresh_with(ctx, &Prefetch::none()).await
}

/// [`refresh`] with the template's tags from the refresh's shared batch: the group, the
/// template and the policy are read at once (their names follow from the stack's).
pub async fn refresh_with(ctx: &StepContext, prefetch: &Prefetch) -> Result<()> {
    let name = group_name(ctx.stack());
    let template_name = launch_template_name(ctx.stack());
    let policy = policy_name(ctx.stack());
    let (group, template, policy) = tokio::join!(
        autoscaling::describe_group(&ctx.clients, &name),
        launch_template::find_by_name(&ctx.clients, &template_name),
        autoscaling::describe_policy(&ctx.clients, &name, &policy),
    );
    let group = group?.filter(|g| g.status.is_none());
    if let Some(template) = template? {
        refresh_template(ctx, prefetch, &template, group.as_ref()).await?;
    }
    let Some(group) = group else {
        return Ok(());
    };
    ctx.record(logical::AUTOSCALING_GROUP, &group.name);
    // The alarms tier's metrics collection, read with the group (one describe for both).
    super::alarms::observe_group_metrics(ctx, &group.name, &group.enabled_metrics);
    ctx.update_outputs(|o| o.asg_name = Some(group.name.clone()));
    ctx.update_state(|s| observe_group(&mut s.spec.autoscaling, &group));
    tag_sync::observe(ctx, &group.tags, &ctx.name(APP_GROUP, None));
    if let Some(policy) = policy? {
        ctx.record(logical::SCALING_POLICY, &policy.name);
        if let Some(target) = policy.target_value {
            ctx.update_state(|s| s.spec.autoscaling.target_cpu_utilization = target);
        }
    }
    Ok(())
}

async fn refresh_template(
    ctx: &StepContext,
    prefetch: &Prefetch,
    template: &LaunchTemplate,
    group: Option<&AutoScalingGroup>,
) -> Result<()> {
    ctx.record(logical::LAUNCH_TEMPLATE, &template.id);
    let tags = prefetch
        .ec2_tags(ctx, std::slice::from_ref(&template.id))
        .await?;
    tag_sync::observe(
        ctx,
        &tags.get(&template.id).cloned().unwrap_or_default(),
        &launch_template_name(ctx.stack()),
    );
    // The version in use is the group's when it names a number, else the template's default.
    let in_use = group
        .and_then(|g| g.launch_template_version.as_deref())
        .and_then(|v| v.parse::<i64>().ok())
        .or(template.default_version)
        .or(template.latest_version);
    ctx.update_outputs(|o| {
        o.launch_template_id = Some(template.id.clone());
        o.launch_template_version = in_use;
    });
    let Some(version) = in_use else {
        return Ok(());
    };
    if prefetch.knows_template_version(ctx, &template.id, version) {
        // Versions are immutable: the one the state recorded says what the spec holds.
        return Ok(());
    }
    if let Some(found) =
        launch_template::describe_version(&ctx.clients, &template.id, version).await?
    {
        ctx.update_state(|s| observe_template(&mut s.spec.wordpress, &found.data));
    }
    Ok(())
}

/// Sizes as AWS reports them; the desired capacity only when the spec pins it.
pub fn observe_group(spec: &mut AutoscalingSpec, group: &AutoScalingGroup) {
    spec.min_size = group.min_size;
    spec.max_size = group.max_size;
    if spec.desired_capacity.is_some() {
        spec.desired_capacity = Some(group.desired_capacity);
    }
    if let Some(grace) = group.health_check_grace_period {
        spec.health_check_grace_period = grace;
    }
}

/// What the template in use says about the instances.
pub fn observe_template(spec: &mut WordpressSpec, data: &TemplateData) {
    if !data.image_id.is_empty() {
        spec.ami_id = Some(data.image_id.clone());
    }
    if !data.instance_type.is_empty() {
        spec.instance_type = data.instance_type.clone();
    }
    spec.key_name = data.key_name.clone();
}

mod rollout;
mod secret_version;
#[cfg(test)]
mod tests;
