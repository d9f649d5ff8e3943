//! The app instances' IAM access: a role EC2 may assume, its one inline policy reading the
//! stack's secret, and the instance profile that hands the role to the instances.
//!
//! IAM names are account-wide while a stack lives in one region, so two stacks of one name in
//! two regions must not meet in IAM: the role and the profile are named `<name>-app-<region>`,
//! the policy `read-wordpress-secret-<region>` (`naming::regional_name`, hash-cut to IAM's
//! limits), and every IAM object carries the stack tag *and* `naming::REGION_TAG`. An object
//! found by name is adopted only when both tags say it is this stack's in this region.
//!
//! Names come from the state when it recorded them: a stack created before names carried the
//! region keeps its `<name>-app` role and profile (an apply adds the region tag to them). A
//! recorded object that another region's stack has tagged since is left to that stack; this
//! one moves to its regional names.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{
    instance_policy, same_policy, tag_diff, trust_policy, wanted_log_group, READ_SECRET_POLICY,
};
use crate::aws::iam::{self, profile_name_from_arn, InstanceProfile, Role};
use crate::error::{Result, StackError};
use crate::naming::{regional_name, IAM_NAME_LIMIT, IAM_POLICY_NAME_LIMIT, REGION_TAG, STACK_TAG};
use crate::state::logical;
use crate::tiers::context::StepContext;

/// `<name>-app-<region>`, within IAM's 64 characters: the role and the instance profile
/// share it.
pub fn role_name(stack: &str, region: &str) -> String {
    regional_name(&format!("{stack}-app"), region, IAM_NAME_LIMIT)
}

/// `read-wordpress-secret-<region>`: the role's one inline policy.
pub fn policy_name(region: &str) -> String {
    regional_name(READ_SECRET_POLICY, region, IAM_POLICY_NAME_LIMIT)
}

fn region(ctx: &StepContext) -> &str {
    &ctx.clients.region
}

/// What the state knows of `logical_name`: the state being built, else the one the operation
/// started from (a refresh builds a fresh state).
fn known(ctx: &StepContext, logical_name: &str) -> Option<String> {
    ctx.resource(logical_name)
        .or_else(|| ctx.prior_resource(logical_name).map(str::to_string))
}

fn known_profile_name(ctx: &StepContext) -> Option<String> {
    known(ctx, logical::APP_INSTANCE_PROFILE).map(|arn| profile_name_from_arn(&arn).to_string())
}

/// The stack's tags, and the region: every IAM object of the stack carries both.
fn iam_tags(ctx: &StepContext, name: &str) -> BTreeMap<String, String> {
    let mut tags = ctx.tags(name);
    tags.insert(REGION_TAG.to_string(), region(ctx).to_string());
    tags
}

/// Tagged for this stack in this region: what an object found by name must be to be adopted.
fn ours_here(ctx: &StepContext, tags: &BTreeMap<String, String>) -> bool {
    tags.get(STACK_TAG).map(String::as_str) == Some(ctx.stack())
        && tags.get(REGION_TAG).map(String::as_str) == Some(region(ctx))
}

/// Tagged for a stack in another region: a recorded object such a stack has taken over (two
/// stacks of one name recorded the same name before names carried the region).
fn claimed_elsewhere(ctx: &StepContext, tags: &BTreeMap<String, String>) -> bool {
    tags.get(REGION_TAG)
        .is_some_and(|tagged| tagged.as_str() != region(ctx))
}

/// Ours for a refresh: the stack tag, and no other region's tag (objects made before the
/// region tag existed have none).
fn ours_to_read(ctx: &StepContext, tags: &BTreeMap<String, String>) -> bool {
    tags.get(STACK_TAG).map(String::as_str) == Some(ctx.stack()) && !claimed_elsewhere(ctx, tags)
}

/// Refuse an object found by name that is not this stack's in this region.
fn ensure_ours_here(
    ctx: &StepContext,
    kind: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    if ours_here(ctx, tags) {
        return Ok(());
    }
    Err(StackError::Refused {
        what: format!(
            "{kind} {name:?} already exists and is not tagged {STACK_TAG}={} and \
             {REGION_TAG}={}: it belongs to something else (IAM names are account-wide); \
             delete or rename it, or choose another stack name",
            ctx.stack(),
            region(ctx)
        ),
    })
}

// ---- apply ----

pub async fn converge(ctx: &Arc<StepContext>) -> Result<()> {
    let secret_arn = ctx.require(logical::APP_SECRET)?;
    let recorded_role = known(ctx, logical::APP_ROLE);
    let role = converge_role(ctx).await?;
    let policy = policy_for(ctx, recorded_role.as_deref() == Some(role.name.as_str()));
    converge_role_policy(ctx, &role.name, &policy, &secret_arn).await?;
    let profile = converge_profile(ctx, &role.name).await?;
    ctx.record(logical::APP_INSTANCE_PROFILE, &profile.arn);
    Ok(())
}

/// The recorded role while it is still ours, else the regional one (adopted or created).
async fn converge_role(ctx: &StepContext) -> Result<Role> {
    if let Some(name) = known(ctx, logical::APP_ROLE) {
        if let Some(role) = iam::get_role(&ctx.clients, &name).await? {
            if !claimed_elsewhere(ctx, &role.tags) {
                return repair_role(ctx, role).await;
            }
            tracing::warn!(role = %name, "the recorded role is tagged for another region: moving to this region's own");
        }
    }
    let name = role_name(ctx.stack(), region(ctx));
    match iam::get_role(&ctx.clients, &name).await? {
        Some(role) => {
            ensure_ours_here(ctx, "IAM role", &name, &role.tags)?;
            repair_role(ctx, role).await
        }
        None => create_role(ctx, &name).await,
    }
}

/// Put back the trust policy and the tags of a role the stack owns.
async fn repair_role(ctx: &StepContext, role: Role) -> Result<Role> {
    let trust = trust_policy();
    if !same_policy(&role.trust_policy, &trust) {
        iam::update_trust_policy(&ctx.clients, &role.name, &trust).await?;
        tracing::info!(role = %role.name, "restored the role's trust policy");
    }
    let (set, remove) = tag_diff(&role.tags, &iam_tags(ctx, &role.name));
    iam::retag_role(&ctx.clients, &role.name, &set, &remove).await?;
    ctx.record(logical::APP_ROLE, &role.name);
    Ok(role)
}

async fn create_role(ctx: &StepContext, name: &str) -> Result<Role> {
    let description =
        "WordPress instances: may read the stack's secret and write to its log group, nothing else";
    let tags = iam_tags(ctx, name);
    let created = iam::create_role(&ctx.clients, name, description, &trust_policy(), &tags).await;
    let role = match created {
        // The SDK re-sent a create whose answer was lost: the role is the one we made.
        Err(error) if error.aws_code() == Some("EntityAlreadyExists") => {
            iam::get_role(&ctx.clients, name).await?.ok_or(error)?
        }
        outcome => outcome?,
    };
    tracing::info!(role = %role.arn, "created IAM role");
    ctx.record(logical::APP_ROLE, &role.name);
    Ok(role)
}

/// The policy's name: the recorded one when the role is the one the state recorded, else the
/// regional one (a role new to the stack gets a regional policy).
fn policy_for(ctx: &StepContext, role_was_recorded: bool) -> String {
    role_was_recorded
        .then(|| known(ctx, logical::APP_ROLE_POLICY))
        .flatten()
        .unwrap_or_else(|| policy_name(region(ctx)))
}

/// The role's only permission is the inline policy reading the secret: any other inline
/// policy is deleted and any managed policy detached (the stack owns the role outright).
async fn converge_role_policy(
    ctx: &StepContext,
    role: &str,
    policy: &str,
    secret_arn: &str,
) -> Result<()> {
    let log_group = wanted_log_group(ctx.spec());
    let wanted = instance_policy(secret_arn, log_group.as_deref());
    let current = ctx
        .eventually("the app role's policy", || {
            iam::get_role_policy(&ctx.clients, role, policy)
        })
        .await?;
    if !current.is_some_and(|doc| same_policy(&doc, &wanted)) {
        iam::put_role_policy(&ctx.clients, role, policy, &wanted).await?;
        tracing::info!(role, policy, "put the role's inline policy");
    }
    for other in iam::list_role_policies(&ctx.clients, role).await? {
        if other != policy {
            iam::delete_role_policy(&ctx.clients, role, &other).await?;
            tracing::info!(role, policy = %other, "removed an inline policy the stack did not grant");
        }
    }
    detach_managed_policies(ctx, role).await?;
    ctx.record(logical::APP_ROLE_POLICY, policy);
    Ok(())
}

/// The recorded profile while it is still ours, else the regional one; holding `role` alone.
async fn converge_profile(ctx: &StepContext, role: &str) -> Result<InstanceProfile> {
    let mut found = None;
    if let Some(name) = known_profile_name(ctx) {
        match iam::get_instance_profile(&ctx.clients, &name).await? {
            Some(profile) if !claimed_elsewhere(ctx, &profile.tags) => found = Some(profile),
            Some(_) => {
                tracing::warn!(instance_profile = %name, "the recorded instance profile is tagged for another region: moving to this region's own");
            }
            None => {}
        }
    }
    let profile = match found {
        Some(profile) => profile,
        None => {
            let name = role_name(ctx.stack(), region(ctx));
            match iam::get_instance_profile(&ctx.clients, &name).await? {
                Some(profile) => {
                    ensure_ours_here(ctx, "instance profile", &name, &profile.tags)?;
                    profile
                }
                None => create_profile(ctx, &name).await?,
            }
        }
    };
    let name = profile.name.clone();
    let (set, remove) = tag_diff(&profile.tags, &iam_tags(ctx, &name));
    iam::retag_instance_profile(&ctx.clients, &name, &set, &remove).await?;
    for other in profile.roles.iter().filter(|r| r.as_str() != role) {
        iam::remove_role_from_instance_profile(&ctx.clients, &name, other).await?;
    }
    if !profile.roles.iter().any(|r| r == role) {
        // A role created moments ago may not be visible to the profile yet.
        ctx.eventually("the app role joining its instance profile", || async {
            match iam::add_role_to_instance_profile(&ctx.clients, &name, role).await {
                // A re-sent add whose first answer was lost: the profile is full with our role.
                Err(error) if error.aws_code() == Some("LimitExceeded") => {
                    let joined = iam::get_instance_profile(&ctx.clients, &name)
                        .await?
                        .is_some_and(|p| p.roles.iter().any(|r| r == role));
                    joined.then_some(()).ok_or(error)
                }
                outcome => outcome,
            }
        })
        .await?;
    }
    Ok(profile)
}

async fn create_profile(ctx: &StepContext, name: &str) -> Result<InstanceProfile> {
    let tags = iam_tags(ctx, name);
    let profile = match iam::create_instance_profile(&ctx.clients, name, &tags).await {
        // The SDK re-sent a create whose answer was lost: the profile is the one we made.
        Err(error) if error.aws_code() == Some("EntityAlreadyExists") => {
            iam::get_instance_profile(&ctx.clients, name)
                .await?
                .ok_or(error)?
        }
        outcome => outcome?,
    };
    tracing::info!(instance_profile = %profile.arn, "created instance profile");
    Ok(profile)
}

async fn detach_managed_policies(ctx: &StepContext, role: &str) -> Result<()> {
    for arn in iam::list_attached_role_policies(&ctx.clients, role).await? {
        iam::detach_role_policy(&ctx.clients, role, &arn).await?;
        tracing::info!(role, policy = %arn, "detached a managed policy the stack did not grant");
    }
    Ok(())
}

// ---- destroy ----

/// The recorded name (if any) and the regional one, once each.
fn candidates(recorded: Option<String>, regional: String) -> Vec<(String, bool)> {
    match recorded {
        Some(name) if name == regional => vec![(name, true)],
        Some(name) => vec![(name, true), (regional, false)],
        None => vec![(regional, false)],
    }
}

/// Whether the destroy may delete an object: a recorded one unless another region's stack
/// has taken it over; one found by name only when it is this stack's in this region.
fn deletable(ctx: &StepContext, recorded: bool, tags: &BTreeMap<String, String>) -> bool {
    if recorded {
        !claimed_elsewhere(ctx, tags)
    } else {
        ours_here(ctx, tags)
    }
}

/// Profiles first (they must hold no role to go), then the policies, then the role. What
/// belongs to the same-named stack of another region is left alone.
pub async fn delete(ctx: &Arc<StepContext>) -> Result<()> {
    let regional = role_name(ctx.stack(), region(ctx));
    for (name, recorded) in candidates(known_profile_name(ctx), regional.clone()) {
        if let Some(profile) = iam::get_instance_profile(&ctx.clients, &name).await? {
            if deletable(ctx, recorded, &profile.tags) {
                delete_profile(ctx, &profile).await?;
            }
        }
    }
    ctx.forget(logical::APP_INSTANCE_PROFILE);
    for (name, recorded) in candidates(known(ctx, logical::APP_ROLE), regional) {
        if let Some(role) = iam::get_role(&ctx.clients, &name).await? {
            if deletable(ctx, recorded, &role.tags) {
                delete_role(ctx, &role).await?;
            }
        }
    }
    ctx.forget(logical::APP_ROLE_POLICY);
    ctx.forget(logical::APP_ROLE);
    Ok(())
}

async fn delete_profile(ctx: &StepContext, profile: &InstanceProfile) -> Result<()> {
    for role in &profile.roles {
        iam::remove_role_from_instance_profile(&ctx.clients, &profile.name, role).await?;
    }
    iam::delete_instance_profile(&ctx.clients, &profile.name).await?;
    tracing::info!(instance_profile = %profile.arn, "deleted instance profile");
    Ok(())
}

/// Delete the role with its policies. A profile still holding it (one the state no longer
/// knew) lets it go first, and goes too when it is the stack's.
async fn delete_role(ctx: &StepContext, role: &Role) -> Result<()> {
    let name = role.name.as_str();
    for policy in iam::list_role_policies(&ctx.clients, name).await? {
        iam::delete_role_policy(&ctx.clients, name, &policy).await?;
    }
    ctx.forget(logical::APP_ROLE_POLICY);
    detach_managed_policies(ctx, name).await?;
    for holder in iam::instance_profiles_for_role(&ctx.clients, name).await? {
        match iam::get_instance_profile(&ctx.clients, &holder).await? {
            Some(profile) if ours_to_read(ctx, &profile.tags) => {
                delete_profile(ctx, &profile).await?
            }
            Some(_) => iam::remove_role_from_instance_profile(&ctx.clients, &holder, name).await?,
            None => {}
        }
    }
    iam::delete_role(&ctx.clients, name).await?;
    tracing::info!(role = %role.arn, "deleted IAM role");
    Ok(())
}

// ---- refresh ----

/// The role, its policies and the instance profile, all read at once, by the names the prior
/// state recorded (else the regional ones); what the role's answers say counts only when the
/// role is ours. A drifted object is left unrecorded, so the next plan repairs it.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let regional = role_name(ctx.stack(), region(ctx));
    let recorded_role = known(ctx, logical::APP_ROLE);
    let policy = policy_for(ctx, recorded_role.is_some());
    let name = recorded_role.unwrap_or_else(|| regional.clone());
    let profile_name = known_profile_name(ctx).unwrap_or(regional);
    let clients = &ctx.clients;
    let (role, profile, inline, attached, document, secret_arn) = tokio::join!(
        iam::get_role(clients, &name),
        iam::get_instance_profile(clients, &profile_name),
        iam::list_role_policies(clients, &name),
        iam::list_attached_role_policies(clients, &name),
        iam::get_role_policy(clients, &name, &policy),
        super::secret_arn_for_policy(ctx),
    );
    let Some(role) = role?.filter(|r| ours_to_read(ctx, &r.tags)) else {
        return Ok(());
    };
    if same_policy(&role.trust_policy, &trust_policy()) {
        ctx.record(logical::APP_ROLE, &role.name);
    }
    let only_ours = inline? == [policy.clone()] && attached?.is_empty();
    let reads_the_secret = match (document?, secret_arn?) {
        (Some(document), Some(arn)) => {
            let log_group = wanted_log_group(ctx.spec());
            same_policy(&document, &instance_policy(&arn, log_group.as_deref()))
        }
        _ => false,
    };
    if only_ours && reads_the_secret {
        ctx.record(logical::APP_ROLE_POLICY, &policy);
    }
    if let Some(profile) = profile?.filter(|p| ours_to_read(ctx, &p.tags)) {
        if profile.roles == [role.name.clone()] {
            ctx.record(logical::APP_INSTANCE_PROFILE, &profile.arn);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_stack_and_the_region() {
        assert_eq!(role_name("blog", "us-east-1"), "blog-app-us-east-1");
        assert_eq!(policy_name("eu-west-3"), "read-wordpress-secret-eu-west-3");
        assert_ne!(
            role_name("blog", "us-east-1"),
            role_name("blog", "us-west-2")
        );
    }

    #[test]
    fn the_destroy_looks_at_the_recorded_name_and_the_regional_one_once_each() {
        let regional = "blog-app-us-east-1".to_string();
        assert_eq!(
            candidates(Some("blog-app".into()), regional.clone()),
            [("blog-app".to_string(), true), (regional.clone(), false)]
        );
        assert_eq!(
            candidates(Some(regional.clone()), regional.clone()),
            [(regional.clone(), true)]
        );
        assert_eq!(candidates(None, regional.clone()), [(regional, false)]);
    }
}
