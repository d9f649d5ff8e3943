//! The tags of the EC2 tiers' objects: restoring them on apply, judging them on refresh.
//! Every EC2 tier uses these; they use no tier.

use super::context::StepContext;
use crate::aws::ec2::{self, Tags};
use crate::error::Result;
use crate::naming;

/// Give an existing object the tags it should carry: add what is missing or different (a tag
/// removed out of band, a changed `tags`), remove the tags the configuration dropped.
pub(crate) async fn ensure_tags(
    ctx: &StepContext,
    id: &str,
    observed: &Tags,
    name: &str,
) -> Result<()> {
    let clients = &ctx.clients;
    let wanted = ctx.tags(name);
    let missing: Tags = wanted
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let retired: Vec<String> = ctx
        .retired_tags()
        .iter()
        .filter(|k| observed.contains_key(*k) && !wanted.contains_key(*k))
        .cloned()
        .collect();
    if !missing.is_empty() {
        tracing::info!(id, keys = ?missing.keys().collect::<Vec<_>>(), "setting tags");
        ctx.eventually(&format!("tag {id}"), || {
            ec2::create_tags(clients, id, &missing)
        })
        .await?;
    }
    if !retired.is_empty() {
        tracing::info!(id, keys = ?retired, "removing tags");
        ec2::delete_tags(clients, id, &retired).await?;
    }
    Ok(())
}

/// Whether an object still carries its ownership and `Name` tags (else it is left out of the
/// state, so the plan shows it missing and the next apply, finding it by its place in the
/// VPC, tags it again). User tags that differ from `tags` are reported as drift of `tags`.
pub(crate) fn observe_tags(ctx: &StepContext, observed: &Tags, name: &str) -> bool {
    let wanted = ctx.tags(name);
    let drifted: Vec<String> = ctx
        .spec()
        .tags
        .keys()
        .filter(|k| observed.get(*k) != wanted.get(*k))
        .cloned()
        .collect();
    if !drifted.is_empty() {
        ctx.update_state(|s| {
            drifted.iter().for_each(|k| {
                s.spec.tags.remove(k);
            })
        });
    }
    observed.get(naming::STACK_TAG) == wanted.get(naming::STACK_TAG)
        && observed.get("Name") == wanted.get("Name")
}
