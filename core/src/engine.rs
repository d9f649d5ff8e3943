//! The stack engine: the one entry point the provider calls for every lifecycle operation.
//!
//! CONTRACT (the provider relies on exactly these signatures):
//! - `Engine::connect` loads one `SdkConfig` from the provider settings;
//! - `availability_zones` lists the region's zones (plan-time default and validation);
//! - `image_facts` tells planning the architectures of instance types and pinned images;
//! - `preflight_facts` tells planning what the account holds for what a plan adds;
//! - `apply` creates or updates a stack towards `spec`, resuming from `prior`;
//! - `read` refreshes every owned object; `Ok(None)` exactly when the stack's VPC is gone;
//! - `destroy` deletes everything, reverse order, then sweeps by tag;
//! - `import` rebuilds the state of a stack from its tags.
//!
//! Failures of apply/destroy carry the partial state (`PartialFailure`).
//!
//! How: the tiers (`tiers::all_steps`) lay out one dependency graph of steps; `apply` runs
//! their `create` actions through `graph::run`, `destroy` their `delete` actions over the
//! reversed graph, and `read`/`import` run every tier's `refresh` concurrently into a fresh
//! state. All of them share one `StepContext` holding the state being built, so whatever
//! happens, the state returned lists exactly what was recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::aws::coalesce::Coalescer;
use crate::aws::{ec2, AwsSettings, Clients};
use crate::error::{PartialFailure, Result, StackError};
use crate::graph::{self, Node};
use crate::image::{ImageFacts, ImageQuery};
use crate::naming::COMPLETE_TAG;
use crate::preflight::{PreflightFacts, PreflightQuery};
use crate::spec::StackSpec;
use crate::state::logical::{self, qualified};
use crate::state::{StackOutputs, StackState};
use crate::tiers::{self, security, Operation, StackLayout, StepContext};
use crate::wait;

/// Bound on a refresh or an import (they only describe).
const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Zones used when the configuration names none.
const DEFAULT_ZONE_COUNT: usize = 2;

pub struct Engine {
    settings: AwsSettings,
    clients: Clients,
    /// Factor on every poll interval, from `wait::TIME_SCALE_ENV` (1.0 when unset).
    time_scale: f64,
    /// Waiter polls of every operation so far (see [`Engine::polls_made`]).
    polls: Arc<AtomicU64>,
    /// Stack reads running side by side share their describes through it.
    coalescer: Coalescer,
}

impl Engine {
    pub async fn connect(settings: AwsSettings) -> Result<Engine> {
        let clients = Clients::connect(&settings).await?;
        let time_scale = std::env::var(wait::TIME_SCALE_ENV)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(1.0);
        Ok(Engine {
            settings,
            clients,
            time_scale,
            polls: Arc::new(AtomicU64::new(0)),
            coalescer: Coalescer::from_env(),
        })
    }

    /// How many times waiters of this engine polled AWS (every operation, since `connect`):
    /// the benchmark's polling calls per apply. `Engine::apply` also logs its own count
    /// (`polls`) on the "stack applied" line.
    pub fn polls_made(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// The region every call goes to.
    pub fn region(&self) -> Option<&str> {
        Some(self.clients.region.as_str())
    }

    /// The region's availability zones, sorted by name.
    pub async fn availability_zones(&self) -> Result<Vec<String>> {
        ec2::availability_zones(&self.clients).await
    }

    /// The architectures of the instance types and images planning asks about (see
    /// `image::TierImage`): one DescribeInstanceTypes and one DescribeImages, concurrently,
    /// each only when asked something.
    pub async fn image_facts(&self, query: &ImageQuery) -> Result<ImageFacts> {
        ec2::facts(&self.clients, query).await
    }

    /// What the account holds and the region offers for what a plan would add
    /// (`crate::account`): only the calls `query` needs, concurrently, read-only.
    pub async fn preflight_facts(&self, query: &PreflightQuery) -> Result<PreflightFacts> {
        crate::account::facts(&self.clients, query).await
    }

    /// Whether the settings can work (profile, credentials, endpoint), checked once when the
    /// provider is configured; the region's zones when they could be listed.
    pub async fn check_access(
        &self,
    ) -> std::result::Result<Option<Vec<String>>, crate::aws::access::AccessError> {
        crate::aws::access::check(&self.clients, &self.settings).await
    }

    /// Create or update the stack towards `spec`. `prior` is `None` on create.
    // Each operation runs in a span naming its stack: every log line inside carries it.
    #[tracing::instrument(name = "apply", skip_all, fields(stack = %spec.name))]
    pub async fn apply(
        &self,
        spec: &StackSpec,
        prior: Option<&StackState>,
        cancel: &CancellationToken,
    ) -> std::result::Result<StackState, PartialFailure> {
        let mut initial = match prior {
            Some(prior) => StackState {
                spec: spec.clone(),
                warnings: Vec::new(),
                ..prior.clone()
            },
            None => StackState::new(spec.clone()),
        };
        let fail = |state: StackState, error| PartialFailure {
            state: Box::new(state),
            error,
        };
        let zones = match self.resolve_zones(spec).await {
            Ok(zones) => zones,
            Err(error) => return Err(fail(initial, error)),
        };
        initial.spec.network.availability_zones = Some(zones.clone());
        if prior.is_none() {
            if let Err(error) = self.refuse_complete_stack(&spec.name).await {
                return Err(fail(initial, error));
            }
        }
        let timeout = match prior {
            Some(_) => spec.timeouts.update_or_default(),
            None => spec.timeouts.create_or_default(),
        };
        let layout = StackLayout {
            spec: initial.spec.clone(),
            zones,
        };
        // The state starts from the password RDS has now, so the database step sees a rotation
        // (the desired one is in the layout's spec) and the secret follows what RDS accepted.
        if let Some(prior) = prior {
            initial.spec.database.password = prior.spec.database.password.clone();
        }
        let run = cancel.child_token();
        let prior_ids = prior.map(|p| p.resources.clone()).unwrap_or_default();
        let retired = prior.map(|p| retired_tag_keys(p, spec)).unwrap_or_default();
        let ctx = Arc::new(
            self.context(
                Operation::Apply,
                layout,
                timeout,
                run.clone(),
                initial,
                prior_ids,
            )
            .with_retired_tags(retired),
        );
        let steps = tiers::all_steps(&ctx.layout);
        let nodes = steps
            .into_iter()
            .map(|s| Node::new(s.id, s.deps, (s.create)(ctx.clone())))
            .collect();
        let outcome = run_bounded(nodes, &run, ctx.bounds().deadline, "applying the stack").await;
        let outcome = match outcome {
            Ok(()) => self.mark_complete(&ctx).await,
            Err(error) => Err(error),
        };
        let state = finished_state(&ctx);
        match outcome {
            Ok(()) => {
                tracing::info!(
                    objects = state.resources.len(),
                    polls = ctx.bounds().polls(),
                    "stack applied"
                );
                Ok(state)
            }
            Err(error) => Err(fail(state, error)),
        }
    }

    /// Refresh every owned object. `Ok(None)` means the stack no longer exists: the VPC it
    /// had is gone, or nothing of it is left (a partial loss with the VPC still there is an
    /// in-place repair, `Ok(Some)`); see [`stack_is_gone`].
    #[tracing::instrument(name = "read", skip_all, fields(stack = %prior.spec.name))]
    pub async fn read(&self, prior: &StackState) -> Result<Option<StackState>> {
        let zones = prior
            .spec
            .network
            .availability_zones
            .clone()
            .unwrap_or_default();
        let fresh = StackState {
            spec: prior.spec.clone(),
            resources: BTreeMap::new(),
            outputs: StackOutputs::default(),
            secrets: prior.secrets.clone(),
            warnings: Vec::new(),
        };
        let layout = StackLayout {
            spec: prior.spec.clone(),
            zones,
        };
        let mut ctx = self.context(
            Operation::Refresh,
            layout,
            READ_TIMEOUT,
            CancellationToken::new(),
            fresh,
            prior.resources.clone(),
        );
        ctx.clients.coalescer = Some(self.coalescer.clone());
        let started = Instant::now();
        tiers::refresh::refresh_all(&ctx, Some(&prior.outputs)).await?;
        let state = finished_state(&ctx);
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            objects = state.resources.len(),
            "stack read"
        );
        if stack_is_gone(prior, &state) {
            // The VPC, and with it everything that lived inside, is gone: the stack was deleted
            // out of band. Terraform then plans a create, which adopts what is left outside
            // the VPC by name and tag (secret, IAM role and profile, DNS record). The NAT
            // gateways' addresses are released here: Terraform forgets a gone object without a
            // destroy, so if the stack is not created again nothing else would release them.
            tracing::info!(
                leftovers = state.resources.len(),
                "stack is gone: its VPC no longer exists"
            );
            if let Err(error) = tiers::network::release_stranded_addresses(&ctx).await {
                tracing::warn!(%error, "could not release the elastic IPs of the gone stack");
            }
            return Ok(None);
        }
        Ok(Some(state))
    }

    /// Delete every object of the stack. On failure the state lists what still exists.
    #[tracing::instrument(name = "destroy", skip_all, fields(stack = %prior.spec.name))]
    pub async fn destroy(
        &self,
        prior: &StackState,
        cancel: &CancellationToken,
    ) -> std::result::Result<(), PartialFailure> {
        let zones = prior
            .spec
            .network
            .availability_zones
            .clone()
            .unwrap_or_default();
        let layout = StackLayout {
            spec: prior.spec.clone(),
            zones,
        };
        let run = cancel.child_token();
        let timeout = prior.spec.timeouts.delete_or_default();
        let ctx = Arc::new(self.context(
            Operation::Destroy,
            layout,
            timeout,
            run.clone(),
            prior.clone(),
            prior.resources.clone(),
        ));
        if let Err(error) = tiers::database::refuse_protected_destroy(&ctx).await {
            return Err(PartialFailure {
                state: Box::new(finished_state(&ctx)),
                error,
            });
        }
        let steps = tiers::all_steps(&ctx.layout);
        let edges: Vec<(String, Vec<String>)> = steps
            .iter()
            .map(|s| (s.id.clone(), s.deps.clone()))
            .collect();
        let mut reversed: BTreeMap<String, Vec<String>> =
            graph::reverse_edges(&edges).into_iter().collect();
        let nodes = steps
            .into_iter()
            .map(|s| {
                let deps = reversed.remove(&s.id).unwrap_or_default();
                Node::new(s.id, deps, (s.delete)(ctx.clone()))
            })
            .collect();
        let mut outcome =
            run_bounded(nodes, &run, ctx.bounds().deadline, "destroying the stack").await;
        if outcome.is_ok() {
            outcome = tiers::sweep::sweep_all(&ctx).await;
        }
        match outcome {
            Ok(()) => {
                tracing::info!("stack destroyed");
                Ok(())
            }
            Err(error) => Err(PartialFailure {
                state: Box::new(finished_state(&ctx)),
                error,
            }),
        }
    }

    /// Rebuild the state of the stack named `name` from the objects tagged for it.
    #[tracing::instrument(name = "import", skip_all, fields(stack = %name))]
    pub async fn import(&self, name: &str) -> Result<StackState> {
        // First the network alone, to learn the zones every other tier's refresh iterates.
        let spec = StackSpec::with_name(name);
        let layout = StackLayout {
            spec: spec.clone(),
            zones: Vec::new(),
        };
        let probe = self.context(
            Operation::Import,
            layout,
            READ_TIMEOUT,
            CancellationToken::new(),
            StackState::new(spec),
            BTreeMap::new(),
        );
        tiers::network::refresh(&probe).await?;
        let discovered = probe.snapshot();
        if discovered.resource(logical::VPC).is_none() {
            return Err(StackError::Refused {
                what: format!(
                    "no stack named {name:?} in region {}: no VPC carries its tag",
                    self.clients.region
                ),
            });
        }
        let spec = discovered.spec;
        let zones = spec.network.availability_zones.clone().unwrap_or_default();
        let layout = StackLayout {
            spec: spec.clone(),
            zones,
        };
        let ctx = self.context(
            Operation::Import,
            layout,
            READ_TIMEOUT,
            CancellationToken::new(),
            StackState::new(spec),
            discovered.resources,
        );
        tiers::refresh_all(&ctx).await?;
        Ok(finished_state(&ctx))
    }

    fn context(
        &self,
        operation: Operation,
        layout: StackLayout,
        timeout: Duration,
        cancel: CancellationToken,
        state: StackState,
        prior: BTreeMap<String, String>,
    ) -> StepContext {
        StepContext::new(
            self.clients.clone(),
            operation,
            layout,
            self.settings.default_tags.clone(),
            wait::Bounds::new(Instant::now() + timeout, cancel)
                .scaled(self.time_scale)
                .counting_into(self.polls.clone()),
            prior,
            state,
        )
    }

    /// The configured zones, else the region's first two.
    async fn resolve_zones(&self, spec: &StackSpec) -> Result<Vec<String>> {
        if let Some(zones) = &spec.network.availability_zones {
            return Ok(zones.clone());
        }
        let zones = self.availability_zones().await?;
        if zones.len() < DEFAULT_ZONE_COUNT {
            return Err(StackError::Refused {
                what: format!(
                    "region {} has fewer than {DEFAULT_ZONE_COUNT} available zones",
                    self.clients.region
                ),
            });
        }
        Ok(zones.into_iter().take(DEFAULT_ZONE_COUNT).collect())
    }

    /// A create must not adopt a finished stack of the same name (someone else's, or one
    /// whose state was lost): that one is to be imported. An unfinished one is adopted.
    async fn refuse_complete_stack(&self, name: &str) -> Result<()> {
        let vpcs = ec2::stack_vpcs(&self.clients, name).await?;
        if vpcs
            .iter()
            .any(|v| v.tags.get(COMPLETE_TAG).map(String::as_str) == Some("true"))
        {
            return Err(StackError::AlreadyExists {
                name: name.to_string(),
            });
        }
        Ok(())
    }

    /// Tag the VPC: every object of the stack exists.
    async fn mark_complete(&self, ctx: &StepContext) -> Result<()> {
        let vpc = ctx.require(logical::VPC)?;
        let tag = BTreeMap::from([(COMPLETE_TAG.to_string(), "true".to_string())]);
        ec2::create_tags(&self.clients, &vpc, &tag).await
    }
}

/// One step of the apply graph, for tools that reason about its shape (the benchmark's
/// critical path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphStep {
    /// `"<tier>.<object>[:<az>]"`, as in the provider's "step started"/"step done" logs.
    pub id: String,
    /// Steps that must succeed first.
    pub deps: Vec<String>,
    /// AWS pending states the step waits out, named like the fault proxy's `pending` settings
    /// without `_ms` (`wait::usual::Awaited::kind`). Empty for steps that only make API calls.
    pub waits_for: Vec<&'static str>,
    /// How long AWS usually takes for what the step waits out (`wait::usual`); zero for steps
    /// that only make API calls.
    pub usual_wait: Duration,
}

/// The graph `Engine::apply` runs to create `spec` over `zones`: every step, what it waits
/// for, and which AWS objects it waits on, as each step declares them. Pure (no AWS). Give
/// each step a duration (its `usual_wait`, or its `waits_for` kinds' simulated times, plus
/// its calls) and `graph::critical_path` gives the floor no apply can beat.
pub fn apply_graph(spec: &StackSpec, zones: &[String]) -> Vec<GraphStep> {
    let layout = StackLayout {
        spec: spec.clone(),
        zones: zones.to_vec(),
    };
    tiers::all_steps(&layout)
        .into_iter()
        .map(|step| GraphStep {
            waits_for: step.waits_for.iter().map(|awaited| awaited.kind).collect(),
            usual_wait: step
                .waits_for
                .map(|awaited| awaited.usual)
                .unwrap_or_default(),
            id: step.id,
            deps: step.deps,
        })
        .collect()
}

/// Tag keys the prior configuration set and `spec` no longer does: removed from objects.
fn retired_tag_keys(prior: &StackState, spec: &StackSpec) -> BTreeSet<String> {
    prior
        .spec
        .tags
        .keys()
        .filter(|k| !spec.tags.contains_key(*k))
        .cloned()
        .collect()
}

/// How long after the deadline the graph may still run: waiters stop on their own at the
/// deadline with an error naming the object they waited for, which is worth more to the user
/// than the generic timeout below, so they get a moment to report it.
const WAITER_GRACE: Duration = Duration::from_secs(2);

/// Run the graph, cancelling it shortly after `deadline` (waiters stop on their own at it; a
/// step stuck in a call is dropped, its recorded ids kept).
async fn run_bounded(
    nodes: Vec<Node>,
    cancel: &CancellationToken,
    deadline: Instant,
    during: &str,
) -> Result<()> {
    let started = Instant::now();
    match tokio::time::timeout_at(deadline + WAITER_GRACE, graph::run(nodes, cancel)).await {
        Ok(result) => result.map(|report| {
            tracing::debug!(steps = report.timings.len(), "graph finished");
        }),
        Err(_) => {
            cancel.cancel();
            Err(StackError::WaitTimeout {
                resource: during.to_string(),
                target: "done".into(),
                after: started.elapsed(),
            })
        }
    }
}

/// Whether a refresh finds the stack deleted: the VPC it had is gone, or nothing of it is left.
/// A create that failed before its VPC was made is not gone while it owns anything else.
fn stack_is_gone(prior: &StackState, refreshed: &StackState) -> bool {
    let had_vpc = prior.resource(logical::VPC).is_some();
    refreshed.resource(logical::VPC).is_none() && (had_vpc || refreshed.resources.is_empty())
}

/// The context's state with the outputs derived from `resources` filled in.
fn finished_state(ctx: &StepContext) -> StackState {
    let mut state = ctx.snapshot();
    let zones = state
        .spec
        .network
        .availability_zones
        .clone()
        .unwrap_or_else(|| ctx.zones().to_vec());
    derive_outputs(&mut state, &zones);
    state
}

/// The computed lists and maps that are just ids from `resources`, in zone order.
pub fn derive_outputs(state: &mut StackState, zones: &[String]) {
    let ids = |kind: &str| -> Vec<String> {
        zones
            .iter()
            .filter_map(|az| state.resources.get(&qualified(kind, az)).cloned())
            .collect()
    };
    let public = ids(logical::PUBLIC_SUBNET);
    let private = ids(logical::PRIVATE_SUBNET);
    let nats = ids(logical::NAT_GATEWAY);
    let groups: BTreeMap<String, String> = security::TIERS
        .iter()
        .filter_map(|tier| {
            let id = state
                .resources
                .get(&qualified(logical::SECURITY_GROUP, tier))?;
            Some((tier.to_string(), id.clone()))
        })
        .collect();
    state.outputs.vpc_id = state.resources.get(logical::VPC).cloned();
    state.outputs.public_subnet_ids = public;
    state.outputs.private_subnet_ids = private;
    state.outputs.nat_gateway_ids = nats;
    state.outputs.security_group_ids = groups;
}

#[cfg(test)]
mod tests;
