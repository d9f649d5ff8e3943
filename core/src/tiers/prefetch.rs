//! What a refresh fetches once for several tiers before any of them asks: the few tags that
//! no describe of their object reports (elastic IPs, and the launch template, whose tags
//! an emulating endpoint's DescribeLaunchTemplates may report stale) come from one DescribeTags for all of them.
//! Tiers import this module; it imports no tier.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::{BoxFuture, FutureExt, Shared};

use super::context::StepContext;
use crate::aws::ec2::{self, Tags};
use crate::error::Result;
use crate::state::logical::{self, qualified};
use crate::state::StackOutputs;

type TagBatch = Shared<BoxFuture<'static, Option<Arc<BTreeMap<String, Tags>>>>>;

/// What a refresh fetches once for several tiers, before any of them asks.
pub struct Prefetch {
    /// Ids whose tags the batch holds (an id asked for and absent from the answer has none).
    covered: Vec<String>,
    /// `None` inside when the batch failed: each tier then asks for itself, and reports the
    /// error with its own object.
    tags: Option<TagBatch>,
    /// The launch-template version the prior state recorded as in use.
    template_version: Option<i64>,
}

impl Prefetch {
    /// Nothing prefetched: every tier asks for itself (import, which knows no ids yet).
    pub fn none() -> Prefetch {
        Prefetch {
            covered: Vec::new(),
            tags: None,
            template_version: None,
        }
    }

    /// Start the one DescribeTags of the objects the prior state lists whose tags their own
    /// describe does not give: the NAT gateways' elastic IPs and the launch template.
    pub fn start(ctx: &StepContext, prior: &StackOutputs) -> Prefetch {
        let template_version = prior.launch_template_version;
        let mut ids: Vec<String> = ctx
            .zones()
            .iter()
            .filter_map(|az| ctx.prior_resource(&qualified(logical::NAT_EIP, az)))
            .map(str::to_string)
            .collect();
        ids.extend(
            ctx.prior_resource(logical::LAUNCH_TEMPLATE)
                .map(str::to_string),
        );
        if ids.is_empty() {
            return Prefetch {
                template_version,
                ..Prefetch::none()
            };
        }
        let clients = ctx.clients.clone();
        let wanted = ids.clone();
        let batch = async move {
            match ec2::tags_by_resource(&clients, &wanted).await {
                Ok(tags) => Some(Arc::new(tags)),
                Err(error) => {
                    tracing::debug!(error = %error, "batched DescribeTags failed; tiers ask alone");
                    None
                }
            }
        };
        Prefetch {
            covered: ids,
            tags: Some(batch.boxed().shared()),
            template_version,
        }
    }

    /// Whether `version` of `template_id` is the one the prior state recorded, and the spec
    /// already holds what that version says (its image is known). Template versions never
    /// change, so then describing it again would tell nothing new.
    pub fn knows_template_version(
        &self,
        ctx: &StepContext,
        template_id: &str,
        version: i64,
    ) -> bool {
        self.template_version == Some(version)
            && ctx.prior_resource(logical::LAUNCH_TEMPLATE) == Some(template_id)
            && ctx.spec().wordpress.ami_id.is_some()
    }

    /// Drive the batch (joined with the tiers, so it starts at once rather than when the
    /// first tier asks).
    pub async fn warm(&self) {
        if let Some(batch) = &self.tags {
            batch.clone().await;
        }
    }

    /// The tags of each of `ids`: from the batch when it covered them all, else one
    /// DescribeTags of their own.
    pub async fn ec2_tags(
        &self,
        ctx: &StepContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Tags>> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let covered = ids.iter().all(|id| self.covered.contains(id));
        if let (true, Some(batch)) = (covered, &self.tags) {
            if let Some(tags) = batch.clone().await {
                return Ok(ids
                    .iter()
                    .filter_map(|id| Some((id.clone(), tags.get(id)?.clone())))
                    .collect());
            }
        }
        ec2::tags_by_resource(&ctx.clients, ids).await
    }
}
