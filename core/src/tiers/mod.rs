//! The stack's tiers and the conventions every tier follows.
//!
//! # Steps and the graph
//! A tier contributes [`Step`]s to one dependency graph (see `graph.rs`). A step is a small
//! unit of the stack (`network.vpc`, `network.nat:us-east-1a`, `storage.file_system`…) with
//! - `id`: `"<tier>.<object>"`, per-AZ steps `"<tier>.<object>:<az>"` (ids of the EC2 tiers
//!   are in [`step`]; a tier names its own with the same rule);
//! - `deps`: the step ids that must have succeeded first. Depend on the narrowest thing that
//!   works (a mount target needs the private subnet of its AZ and `security.groups`, not the
//!   whole network), so independent branches run at the same time;
//! - `create`: converge the object(s) towards the spec (find-or-create, update in place, or
//!   remove when the spec no longer wants it), record ids, wait until usable;
//! - `delete`: delete what the step owns and wait it out. Destroy runs the SAME graph with
//!   every edge reversed, so deleting a step waits for the deletion of everything that depended
//!   on it (mount targets before subnets, NAT before its EIP's step if split…).
//!
//! A tier module exposes `pub fn steps(plan: &StackLayout) -> Vec<Step>` and
//! `pub async fn refresh(ctx: &StepContext) -> Result<()>`, and is registered in
//! [`all_steps`] below and in `refresh::refresh_all`.
//!
//! # Recording
//! Every step records each id in the shared state **as soon as AWS returns it, before
//! waiting** (`ctx.record(logical, id)`), so a failure or Ctrl-C later still hands Terraform
//! every id. Logical names come from `state::logical`; per-AZ objects use
//! `logical::qualified(kind, az)`, security groups `qualified(SECURITY_GROUP, tier)`.
//! Other steps read ids recorded by their dependencies with `ctx.require(logical)`. Deletes
//! call `ctx.forget(logical)` once the object is gone. Computed attributes go in with
//! `ctx.update_outputs(|o| …)`; the engine derives the list/map outputs of the EC2 tiers
//! (`vpc_id`, subnet/NAT id lists, `security_group_ids`) from `resources` itself.
//!
//! # Find-or-create (crash safety)
//! Before creating, look for the object: first the id recorded in state (still there?),
//! then by tags: `naming::STACK_TAG = ctx.stack()` and `Name = ctx.name(role, az)` (or the
//! service's own unique name: DB identifier, ALB name, ASG name…). Only when nothing is found
//! create it, tagged with `ctx.tags(&name)`, passing `ctx.client_token(role)` where the API
//! takes an idempotency token. A resumed apply thus adopts what a killed one left behind.
//!
//! # Waiting and errors
//! Wait with `wait::until(&ctx.bounds(), …)`: bounded by the operation's timeout and
//! interrupted by the cancel token. For objects with a known usual duration, poll with
//! `ctx.bounds().expecting(usual)` (few calls, small overshoot; see `wait::Backoff`). A call that names an object created moments before
//! (attach, route, authorize, tag…) goes through `ctx.eventually(what, || call)`, which
//! waits out AWS's eventual consistency (`*.NotFound` for up to two minutes). AWS failures are `StackError::Aws` built by
//! `aws::aws_error` inside the `aws/<service>.rs` module; no SDK type is used in a tier.
//! Log `tracing::info!` once per object created or deleted, with its id.
//!
//! # Refresh (read and import)
//! `refresh` looks up the tier's objects by the stack tag (one batched Describe per object
//! kind, not one per id), records every one that exists (a fresh state is being built, so
//! anything not recorded is gone), sets outputs, and writes observed values of spec
//! attributes into the state's spec through `ctx.update_state` (drift, and import).
//! `ctx.prior_resource(logical)` gives the ids of the state the operation started from (a
//! refresh can scope its describes to the known VPC, or find an object that lost its tags).
//! The EC2 tiers' helpers `network::ensure_tags` (apply: add missing tags, drop the keys in
//! `ctx.retired_tags()`) and `network::observe_tags` (refresh: ownership and `Name` present?
//! user-tag drift into `tags`) are `pub(crate)` for the other tiers to reuse.
//! Every tier refreshes at once and none waits for another (see `refresh.rs`): use the prior
//! state's ids rather than what another tier records, and read what is known by name or id
//! at the same time as the lookups (a refresh is one or two rounds of concurrent calls).

pub mod app;
pub mod bastion;
pub mod database;
pub mod dns;
pub mod load_balancer;
pub mod network;
pub mod refresh;
pub mod secrets;
pub mod security;
pub mod service_sweep;
pub mod storage;
pub mod sweep;
pub mod tag_sync;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use futures::FutureExt;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::aws::Clients;
use crate::error::{Result, StackError};
use crate::naming;
use crate::spec::StackSpec;
use crate::state::{logical, StackOutputs, StackState};
use crate::wait::Bounds;

/// Step ids of the EC2 tiers, for other tiers' `deps`.
pub mod step {
    pub const VPC: &str = "network.vpc";
    pub const INTERNET_GATEWAY: &str = "network.internet_gateway";
    /// Public route table, its default route to the IGW, and its subnet associations.
    pub const PUBLIC_ROUTES: &str = "network.public_routes";
    /// All five security groups with their rules.
    pub const SECURITY_GROUPS: &str = "security.groups";
    pub const BASTION: &str = "bastion.instance";

    pub fn public_subnet(az: &str) -> String {
        format!("network.public_subnet:{az}")
    }
    pub fn private_subnet(az: &str) -> String {
        format!("network.private_subnet:{az}")
    }
    /// EIP + NAT gateway of a zone (only the first zone's exists in `single` mode).
    pub fn nat(az: &str) -> String {
        format!("network.nat:{az}")
    }
    /// The zone's private route table, default route to its NAT, and association.
    pub fn private_routes(az: &str) -> String {
        format!("network.private_routes:{az}")
    }
    pub fn all_public_subnets(zones: &[String]) -> Vec<String> {
        zones.iter().map(|az| public_subnet(az)).collect()
    }
    pub fn all_private_subnets(zones: &[String]) -> Vec<String> {
        zones.iter().map(|az| private_subnet(az)).collect()
    }
    /// Everything that gives the private subnets their way out (instances that pull images).
    pub fn all_private_routes(zones: &[String]) -> Vec<String> {
        zones.iter().map(|az| private_routes(az)).collect()
    }
}

/// What the tiers need to lay out their steps: the spec and its resolved zones.
#[derive(Debug, Clone)]
pub struct StackLayout {
    pub spec: StackSpec,
    /// `spec.network.availability_zones` resolved (the region's first two by default).
    pub zones: Vec<String>,
}

impl StackLayout {
    /// The zone whose NAT gateway serves `az`: its own, or the first zone's in `single` mode.
    pub fn nat_zone_for<'a>(&'a self, az: &'a str) -> &'a str {
        match self.spec.network.nat_gateways {
            crate::spec::NatMode::OnePerAz => az,
            crate::spec::NatMode::Single => self.zones.first().map(String::as_str).unwrap_or(az),
        }
    }
    /// Zones that hold a NAT gateway.
    pub fn nat_zones(&self) -> Vec<String> {
        match self.spec.network.nat_gateways {
            crate::spec::NatMode::OnePerAz => self.zones.clone(),
            crate::spec::NatMode::Single => self.zones.iter().take(1).cloned().collect(),
        }
    }
}

pub type StepFuture = BoxFuture<'static, Result<()>>;
pub type StepAction = Box<dyn FnOnce(Arc<StepContext>) -> StepFuture + Send>;

/// One node of the stack's graph: what it waits for, how to create it, how to delete it.
pub struct Step {
    pub id: String,
    pub deps: Vec<String>,
    pub create: StepAction,
    pub delete: StepAction,
}

impl Step {
    /// A step doing nothing yet; chain `.create(..)` and `.delete(..)`.
    pub fn new<D: Into<String>>(id: impl Into<String>, deps: impl IntoIterator<Item = D>) -> Step {
        Step {
            id: id.into(),
            deps: deps.into_iter().map(Into::into).collect(),
            create: Box::new(|_| async { Ok(()) }.boxed()),
            delete: Box::new(|_| async { Ok(()) }.boxed()),
        }
    }

    pub fn create<F, Fut>(mut self, action: F) -> Step
    where
        F: FnOnce(Arc<StepContext>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.create = Box::new(move |ctx| action(ctx).boxed());
        self
    }

    pub fn delete<F, Fut>(mut self, action: F) -> Step
    where
        F: FnOnce(Arc<StepContext>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.delete = Box::new(move |ctx| action(ctx).boxed());
        self
    }
}

/// Every tier's steps for this plan, in one list (the engine builds the graph from it).
pub fn all_steps(plan: &StackLayout) -> Vec<Step> {
    let mut steps = network::steps(plan);
    steps.extend(security::steps(plan));
    steps.extend(bastion::steps(plan));
    steps.extend(storage::steps(plan));
    steps.extend(database::steps(plan));
    steps.extend(secrets::steps(plan));
    steps.extend(load_balancer::steps(plan));
    steps.extend(app::steps(plan));
    steps.extend(dns::steps(plan));
    steps
}

/// Refresh every tier concurrently into `ctx`'s state (see `refresh.rs`; the engine passes
/// the prior outputs through `refresh::refresh_all` on a read).
pub async fn refresh_all(ctx: &StepContext) -> Result<()> {
    refresh::refresh_all(ctx, None).await
}

/// Which lifecycle operation a context serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Apply,
    /// Read: the prior state's spec is known; observations go into a fresh state.
    Refresh,
    /// Like `Refresh`, but nothing is known but the name: observations rebuild the spec.
    Import,
    Destroy,
}

/// What every step gets: AWS clients, the plan, tags, bounds, and the shared state.
pub struct StepContext {
    pub clients: Clients,
    pub plan: StackLayout,
    pub operation: Operation,
    default_tags: BTreeMap<String, String>,
    bounds: Bounds,
    /// The ids of the state the operation started from (empty on create and import).
    prior: BTreeMap<String, String>,
    /// Tag keys the previous configuration set and this one no longer does.
    retired_tags: BTreeSet<String>,
    state: Mutex<StackState>,
}

impl StepContext {
    pub fn new(
        clients: Clients,
        operation: Operation,
        plan: StackLayout,
        default_tags: BTreeMap<String, String>,
        bounds: Bounds,
        prior: BTreeMap<String, String>,
        state: StackState,
    ) -> StepContext {
        StepContext {
            clients,
            plan,
            operation,
            default_tags,
            bounds,
            prior,
            retired_tags: BTreeSet::new(),
            state: Mutex::new(state),
        }
    }

    /// Declare the tag keys an update dropped from `tags`, to be removed from every object.
    pub fn with_retired_tags(mut self, keys: BTreeSet<String>) -> StepContext {
        self.retired_tags = keys;
        self
    }

    /// Tag keys to remove from objects (`tags` entries the configuration dropped).
    pub fn retired_tags(&self) -> &BTreeSet<String> {
        &self.retired_tags
    }

    /// The id `logical_name` had in the state the operation started from: how a refresh
    /// finds an object that lost its tags.
    pub fn prior_resource(&self, logical_name: &str) -> Option<&str> {
        self.prior.get(logical_name).map(String::as_str)
    }

    /// True when refreshing for `terraform import`: the spec must be rebuilt from AWS.
    pub fn is_import(&self) -> bool {
        self.operation == Operation::Import
    }
    pub fn spec(&self) -> &StackSpec {
        &self.plan.spec
    }
    pub fn zones(&self) -> &[String] {
        &self.plan.zones
    }
    /// The stack's name: the value of `naming::STACK_TAG` on every object.
    pub fn stack(&self) -> &str {
        &self.plan.spec.name
    }
    /// `<stack>-<role>[-<az>]`.
    pub fn name(&self, role: &str, az: Option<&str>) -> String {
        naming::object_name(self.stack(), role, az)
    }
    /// Default tags, then the stack's tags, then ownership and `Name`.
    pub fn tags(&self, object_name: &str) -> BTreeMap<String, String> {
        naming::object_tags(
            &self.default_tags,
            &self.plan.spec.tags,
            self.stack(),
            object_name,
        )
    }
    pub fn default_tags(&self) -> &BTreeMap<String, String> {
        &self.default_tags
    }
    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    pub fn cancel(&self) -> &CancellationToken {
        &self.bounds.cancel
    }

    /// Run `call` until AWS knows the freshly created objects it names (see `wait::eventually`).
    pub async fn eventually<T, F, Fut>(&self, what: &str, call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        crate::wait::eventually(&self.bounds, what, call).await
    }

    /// Create an object, never twice. `create` goes out without the SDK's blind re-send where
    /// the API has no idempotency token (`aws::NoBlindResend`); when its outcome is unknown (the
    /// connection broke after the call left) or AWS says the object already exists (a re-send
    /// met the first call's object), `find` looks for it and adopts it; only when it is not
    /// there after a lost answer is the create sent again.
    pub async fn create_or_adopt<T, C, CFut, F, FFut>(
        &self,
        what: &str,
        create: C,
        find: F,
    ) -> Result<T>
    where
        C: Fn() -> CFut,
        CFut: Future<Output = Result<T>>,
        F: Fn() -> FFut,
        FFut: Future<Output = Result<Option<T>>>,
    {
        let (create, find) = (&create, &find);
        crate::wait::retrying(
            &self.bounds,
            what,
            crate::aws::outcome_unknown,
            || async move {
                match create().await {
                    Err(error)
                        if crate::aws::outcome_unknown(&error)
                            || crate::aws::already_exists(&error) =>
                    {
                        match find().await? {
                            Some(found) => {
                                tracing::info!(
                                    what,
                                    "adopted what a create with a lost answer made"
                                );
                                Ok(found)
                            }
                            None => Err(error),
                        }
                    }
                    outcome => outcome,
                }
            },
        )
        .await
    }

    /// An idempotency token for the object `role` of this stack: the same on every retry and
    /// resume, different for a stack recreated under the same name (it includes the VPC id,
    /// when one is recorded) because EC2 keeps answering a reused token with the old object.
    pub fn client_token(&self, role: &str) -> String {
        let vpc = self.resource(logical::VPC).unwrap_or_default();
        let digest = Sha256::digest(format!("{}\n{}\n{}", self.stack(), role, vpc).as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        // EC2 tokens: at most 64 ASCII characters.
        format!("wpha-{}", &hex[..48])
    }

    fn lock(&self) -> MutexGuard<'_, StackState> {
        // A step that panicked mid-update leaves a map that is still a valid map.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Record that the stack owns `id` under `logical_name`.
    pub fn record(&self, logical_name: impl Into<String>, id: impl Into<String>) {
        self.lock().resources.insert(logical_name.into(), id.into());
    }
    /// The object is gone: drop it from the state.
    pub fn forget(&self, logical_name: &str) {
        self.lock().resources.remove(logical_name);
    }
    pub fn resource(&self, logical_name: &str) -> Option<String> {
        self.lock().resources.get(logical_name).cloned()
    }
    /// An id a dependency must have recorded; its absence is a bug in the graph.
    pub fn require(&self, logical_name: &str) -> Result<String> {
        self.resource(logical_name).ok_or_else(|| {
            StackError::Internal(format!(
                "{logical_name} was not recorded by the step that creates it"
            ))
        })
    }
    /// Every recorded `(logical name, id)` whose name starts with `prefix`.
    pub fn resources_with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        self.lock()
            .resources
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
    pub fn update_outputs(&self, change: impl FnOnce(&mut StackOutputs)) {
        change(&mut self.lock().outputs);
    }
    /// Any other change to the state (spec drift on refresh, secrets).
    pub fn update_state<T>(&self, change: impl FnOnce(&mut StackState) -> T) -> T {
        change(&mut self.lock())
    }
    /// A copy of the state as it is now.
    pub fn snapshot(&self) -> StackState {
        self.lock().clone()
    }
}

/// The step context behind an `Arc`, as the graph's futures need it.
pub type SharedContext = Arc<StepContext>;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::graph::topological_order;
    use crate::spec::NatMode;

    fn plan(zones: &[&str], nat: NatMode, bastion: bool) -> StackLayout {
        let mut spec = StackSpec::with_name("blog");
        spec.network.nat_gateways = nat;
        spec.bastion.enabled = bastion;
        StackLayout {
            spec,
            zones: zones.iter().map(|z| z.to_string()).collect(),
        }
    }

    fn edges(plan: &StackLayout) -> Vec<(String, Vec<String>)> {
        all_steps(plan)
            .into_iter()
            .map(|s| (s.id, s.deps))
            .collect()
    }

    /// Every step `id` transitively waits for.
    fn ancestors(edges: &[(String, Vec<String>)], id: &str) -> BTreeSet<String> {
        let deps: BTreeMap<&str, &Vec<String>> =
            edges.iter().map(|(i, d)| (i.as_str(), d)).collect();
        let mut seen = BTreeSet::new();
        let mut todo = vec![id.to_string()];
        while let Some(next) = todo.pop() {
            for dep in deps.get(next.as_str()).copied().into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    todo.push(dep.clone());
                }
            }
        }
        seen
    }

    #[test]
    fn every_layout_is_a_valid_graph() {
        for zones in [
            &["a", "b"][..],
            &["a", "b", "c"],
            &["a", "b", "c", "d", "e", "f"],
        ] {
            for nat in [NatMode::OnePerAz, NatMode::Single] {
                for bastion in [true, false] {
                    let edges = edges(&plan(zones, nat, bastion));
                    topological_order(&edges).unwrap_or_else(|e| panic!("{zones:?} {nat:?}: {e}"));
                }
            }
        }
    }

    #[test]
    fn nat_gateways_do_not_wait_for_each_other_and_routes_wait_for_their_own() {
        let edges = edges(&plan(&["a", "b", "c"], NatMode::OnePerAz, true));
        for az in ["a", "b", "c"] {
            let before = ancestors(&edges, &step::nat(az));
            assert!(
                before.iter().all(|s| !s.starts_with("network.nat:")),
                "{az}: {before:?}"
            );
            assert!(before.contains(&step::public_subnet(az)));
            assert!(ancestors(&edges, &step::private_routes(az)).contains(&step::nat(az)));
        }
        let bastion = ancestors(&edges, step::BASTION);
        assert!(
            bastion.iter().all(|s| !s.starts_with("network.nat:")),
            "the bastion never waits for NATs"
        );
    }

    #[test]
    fn single_mode_routes_every_zone_through_the_first_zones_gateway() {
        let edges = edges(&plan(&["a", "b"], NatMode::Single, false));
        assert!(edges.iter().all(|(id, _)| id != &step::nat("b")));
        assert!(ancestors(&edges, &step::private_routes("b")).contains(&step::nat("a")));
    }

    #[test]
    fn destroy_removes_leftover_nat_gateways_before_any_public_subnet() {
        let edges = edges(&plan(&["a", "b"], NatMode::Single, false));
        let reversed = crate::graph::reverse_edges(&edges);
        for az in ["a", "b"] {
            let before = ancestors(&reversed, &step::public_subnet(az));
            assert!(before.contains("network.nat_cleanup"), "{az}: {before:?}");
        }
        let before_igw = ancestors(&reversed, step::INTERNET_GATEWAY);
        assert!(before_igw.contains(&step::nat("a")) && before_igw.contains("network.nat_cleanup"));
    }

    #[test]
    fn client_tokens_are_stable_per_role_and_fit_ec2() {
        let ctx = StepContext::new(
            test_clients(),
            Operation::Apply,
            plan(&["a", "b"], NatMode::OnePerAz, true),
            BTreeMap::new(),
            Bounds::new(tokio::time::Instant::now(), CancellationToken::new()),
            BTreeMap::new(),
            StackState::new(StackSpec::with_name("blog")),
        );
        let first = ctx.client_token("nat-a-0");
        assert_eq!(first, ctx.client_token("nat-a-0"));
        assert_ne!(first, ctx.client_token("nat-b-0"));
        assert!(first.len() <= 64 && first.is_ascii());
        ctx.record(logical::VPC, "vpc-123");
        assert_ne!(
            first,
            ctx.client_token("nat-a-0"),
            "a recreated stack gets new tokens"
        );
    }

    fn test_clients() -> Clients {
        let config = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .build();
        Clients {
            region: "us-east-1".into(),
            ec2: aws_sdk_ec2::Client::new(&config),
            rds: aws_sdk_rds::Client::new(&config),
            efs: aws_sdk_efs::Client::new(&config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            route53: aws_sdk_route53::Client::new(&config),
            secretsmanager: aws_sdk_secretsmanager::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
        }
    }
}
