//! Planning the images of the app and the bastion (`stack_model::image`): a pinned `ami_id`
//! the instance type cannot boot is refused on its attribute, and an unpinned one becomes
//! unknown when the instance type moves to another architecture, so apply resolves the
//! current Amazon Linux 2023 for it and the fleet rolls (the bastion is replaced).
//!
//! AWS is asked only when a plan pins an AMI anew or changes an instance type: one
//! DescribeInstanceTypes and one DescribeImages (`StackEngine::image_facts`).

use stack_model::image::{ImageDecision, ImageFacts, ImageQuery, TierImage};
use stack_model::spec::StackSpec;
use tfplugin::diagnostics::Diagnostic;
use tfplugin::value::Value;

use super::diagnose::{spec_diagnostic, stack_diagnostic};
use super::engine::StackEngine;

/// The `ami_id` the configuration of `block` names, if any.
fn pinned(config: &Value, block: &str) -> Option<String> {
    config
        .attr(block)
        .attr("ami_id")
        .as_str()
        .map(str::to_string)
}

/// Decide the images of `desired` (planned from `config`, over `prior` on update): refusals
/// as diagnostics; an image to resolve again is made unknown in `planned` and `None` in
/// `desired`, so the plan shows the launch template (and the bastion) changing.
pub async fn plan_images(
    engine: Option<&dyn StackEngine>,
    config: &Value,
    planned: &mut Value,
    desired: &mut StackSpec,
    prior: Option<&StackSpec>,
) -> Result<(), Vec<Diagnostic>> {
    let pins = [pinned(config, "wordpress"), pinned(config, "bastion")];
    let tiers = TierImage::of(desired, pins, prior);
    let mut query = ImageQuery::default();
    for tier in &tiers {
        tier.add_questions(&mut query);
    }
    let facts = match engine {
        _ if query.is_empty() => ImageFacts::default(),
        Some(engine) => engine
            .image_facts(&query)
            .await
            .map_err(|error| vec![stack_diagnostic(&error)])?,
        // Not configured yet: nothing known, so a changed type resolves its image again.
        None => ImageFacts::default(),
    };
    let mut refusals = Vec::new();
    for tier in &tiers {
        match tier.decide(&facts) {
            Ok(ImageDecision::Keep) => {}
            Ok(ImageDecision::Resolve) => {
                if let Some(block) = planned.attr_mut(tier.tier.block()) {
                    block.set_attr("ami_id", Value::Unknown);
                }
                *tier.tier.ami_id(desired) = None;
            }
            Err(error) => refusals.push(spec_diagnostic(error)),
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}
