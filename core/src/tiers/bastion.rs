//! The bastion tier: one SSH jump host in the first zone's public subnet, with a public IP,
//! IMDSv2 required (hop limit 1), an encrypted gp3 root volume and the `bastion` group.
//!
//! The instance is found by its `Name` (`<stack>-bastion`) among the stack's live instances.
//! A change of AMI, type or key pair launches a new instance first, then terminates the old
//! one. With `bastion.enabled = false` the step removes the instance.

use super::context::StepContext;
use super::ec2_tags::{ensure_tags, observe_tags};
use super::images;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use crate::aws::ec2::{self, Image, Instance, InstanceRequest, Scope};
use crate::error::Result;
use crate::image;
use crate::state::logical::{self, qualified};
use crate::wait::{self, usual, Poll};

/// Amazon Linux 2023's own root snapshot size; never smaller than the image's.
const MIN_ROOT_GIB: i32 = 8;

pub fn steps(layout: &StackLayout) -> Vec<Step> {
    let Some(first_zone) = layout.zones.first() else {
        return Vec::new();
    };
    let deps = [
        step_id::public_subnet(first_zone),
        // Its SSH rule and revoked default egress before it boots.
        step_id::SECURITY_RULES.into(),
        step_id::PUBLIC_ROUTES.into(),
    ];
    vec![Step::new(step_id::BASTION, deps)
        .waits_for(usual::INSTANCE)
        .create(|ctx| async move { ensure_bastion(&ctx).await })
        .delete(|ctx| async move { remove_bastion(&ctx).await })]
}

fn bastion_name(ctx: &StepContext) -> String {
    ctx.name("bastion", None)
}

/// The pinned AMI, else the current Amazon Linux 2023 for the bastion's architecture.
async fn resolve_image(ctx: &StepContext) -> Result<Image> {
    let spec = &ctx.spec().bastion;
    images::resolve(ctx, spec.ami_id.as_deref(), &spec.instance_type).await
}

async fn ensure_bastion(ctx: &StepContext) -> Result<()> {
    if !ctx.spec().bastion.enabled {
        return remove_bastion(ctx).await;
    }
    let clients = &ctx.clients;
    let first_zone = ctx.zones().first().cloned().unwrap_or_default();
    let subnet = ctx.require(&qualified(logical::PUBLIC_SUBNET, &first_zone))?;
    let group = ctx.require(&qualified(logical::SECURITY_GROUP, "bastion"))?;
    let (image, all) = tokio::try_join!(resolve_image(ctx), all_bastions(ctx))?;
    let (live, dead): (Vec<Instance>, Vec<Instance>) = all.into_iter().partition(Instance::is_live);
    // The resolved AMI is the computed `ami_id`: kept, so a newer AMI never replaces it silently.
    ctx.update_state(|s| s.spec.bastion.ami_id = Some(image.id.clone()));

    let spec = &ctx.spec().bastion;
    let matches = |i: &Instance| {
        i.image_id == image.id
            && i.instance_type == spec.instance_type
            && i.key_name == spec.key_name
            && i.subnet_id == subnet
            && i.security_group_ids.contains(&group)
    };
    let id = match live.iter().find(|i| matches(i)) {
        Some(instance) => {
            ensure_tags(ctx, &instance.id, &instance.tags, &bastion_name(ctx)).await?;
            instance.id.clone()
        }
        None => {
            let name = bastion_name(ctx);
            // A reused token would answer with a terminated instance: count those in.
            let fingerprint = format!(
                "bastion:{}:{}:{:?}:{}",
                image.id,
                spec.instance_type,
                spec.key_name,
                dead.len()
            );
            let request = InstanceRequest {
                image: &image,
                instance_type: &spec.instance_type,
                subnet_id: &subnet,
                security_group_id: &group,
                key_name: spec.key_name.as_deref(),
                public_ip: true,
                root_volume_gib: Some(image::root_volume_gib(MIN_ROOT_GIB, image.root_volume_gib)),
                client_token: &ctx.client_token(&fingerprint),
                tags: &ctx.tags(&name),
            };
            // The same client token on every try, and a lost answer resolved by looking for a
            // bastion that was not there before: never a second instance.
            let known: Vec<&str> = live.iter().map(|i| i.id.as_str()).collect();
            let launched_since = || async {
                let now = all_bastions(ctx).await?;
                Ok(now
                    .into_iter()
                    .find(|i| i.is_live() && matches(i) && !known.contains(&i.id.as_str()))
                    .map(|i| i.id))
            };
            let id = ctx
                .eventually("launch the bastion", || {
                    ctx.create_or_adopt(
                        "launch the bastion",
                        || ec2::run_instance(clients, &request),
                        launched_since,
                    )
                })
                .await?;
            tracing::info!(instance = %id, "bastion launched");
            id
        }
    };
    ctx.record(logical::BASTION_INSTANCE, &id);
    let running = wait_state(ctx, &id, "running").await?;
    ctx.update_outputs(|o| o.bastion_public_ip = running.and_then(|i| i.public_ip));
    for old in live.iter().filter(|i| i.id != id) {
        ec2::terminate_instance(clients, &old.id).await?;
        tracing::info!(instance = %old.id, "previous bastion terminated");
    }
    Ok(())
}

/// The stack's bastions in every state (terminated ones linger for a while): instances of
/// the stack's VPC named for it, known by id, or wearing the bastion group (a bastion that
/// lost its tags; the app instances wear the app group).
async fn all_bastions(ctx: &StepContext) -> Result<Vec<Instance>> {
    let clients = &ctx.clients;
    let name = bastion_name(ctx);
    let vpc = ctx
        .resource(logical::VPC)
        .or_else(|| ctx.prior_resource(logical::VPC).map(str::to_string));
    let Some(vpc) = vpc else {
        return ec2::stack_instances(clients, ctx.stack(), Some(&name)).await;
    };
    let known = |key: &str| -> Vec<String> {
        [
            ctx.resource(key),
            ctx.prior_resource(key).map(str::to_string),
        ]
        .into_iter()
        .flatten()
        .collect()
    };
    let ids = known(logical::BASTION_INSTANCE);
    let groups = known(&qualified(logical::SECURITY_GROUP, "bastion"));
    let in_vpc = ec2::instances(clients, Scope::Vpc(&vpc), None).await?;
    Ok(in_vpc
        .into_iter()
        .filter(|i| {
            i.tags.get("Name") == Some(&name)
                || ids.contains(&i.id)
                || i.security_group_ids.iter().any(|g| groups.contains(g))
        })
        .collect())
}

async fn live_bastions(ctx: &StepContext) -> Result<Vec<Instance>> {
    let all = all_bastions(ctx).await?;
    Ok(all.into_iter().filter(Instance::is_live).collect())
}

/// Wait for `running` (returns the instance) or `terminated` (returns `None`).
async fn wait_state(ctx: &StepContext, id: &str, target: &str) -> Result<Option<Instance>> {
    let clients = &ctx.clients;
    wait::until(ctx.bounds(), &format!("instance {id}"), target, || async {
        let observed = ec2::instance(clients, id).await?;
        Ok(match observed {
            None if target == "terminated" => Poll::Ready(None),
            None => Poll::Pending("not yet visible".into()),
            Some(i) if i.state == target => Poll::Ready(Some(i)),
            Some(i) if target == "running" && !i.is_live() => Poll::Failed(i.state),
            Some(i) => Poll::Pending(i.state),
        })
    })
    .await
}

/// Terminate the recorded bastion and any other live one of the stack, waiting each out (its
/// network interface holds the subnet and the security group until then).
async fn remove_bastion(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let mut ids: Vec<String> = live_bastions(ctx)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    if let Some(recorded) = ctx.resource(logical::BASTION_INSTANCE) {
        if !ids.contains(&recorded) {
            ids.push(recorded);
        }
    }
    for id in &ids {
        ec2::terminate_instance(clients, id).await?;
    }
    for id in &ids {
        wait_state(ctx, id, "terminated").await?;
        tracing::info!(instance = %id, "bastion terminated");
    }
    ctx.forget(logical::BASTION_INSTANCE);
    ctx.update_outputs(|o| o.bastion_public_ip = None);
    Ok(())
}

/// Record the live bastion and read its attributes back into the spec.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let live = live_bastions(ctx).await?;
    let Some(instance) = live.first() else {
        if ctx.is_import() {
            ctx.update_state(|s| s.spec.bastion.enabled = false);
        }
        return Ok(());
    };
    if observe_tags(ctx, &instance.tags, &bastion_name(ctx)) {
        ctx.record(logical::BASTION_INSTANCE, &instance.id);
    }
    ctx.update_outputs(|o| o.bastion_public_ip = instance.public_ip.clone());
    ctx.update_state(|s| {
        s.spec.bastion.enabled = true;
        s.spec.bastion.instance_type = instance.instance_type.clone();
        s.spec.bastion.key_name = instance.key_name.clone();
        s.spec.bastion.ami_id = Some(instance.image_id.clone());
    });
    Ok(())
}
