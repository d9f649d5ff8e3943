//! The stack's tiers and the conventions every tier follows.
//!
//! # Steps and the graph
//! A tier contributes [`Step`]s to one dependency graph (see `graph.rs`). A step is a small
//! unit of the stack (`network.vpc`, `network.nat:us-east-1a`, `storage.file_system`…) with
//! - `id`: `"<tier>.<object>"`, per-AZ steps `"<tier>.<object>:<az>"`, every one of them in
//!   `step_id.rs` (a tier names its dependencies from there, never from another tier);
//! - `deps`: the step ids that must have succeeded first. Depend on the narrowest thing that
//!   works (a mount target needs the private subnet of its AZ and `security.groups`, not the
//!   whole network), so independent branches run at the same time;
//! - `create`: converge the object(s) towards the spec (find-or-create, update in place, or
//!   remove when the spec no longer wants it), record ids, wait until usable;
//! - `delete`: delete what the step owns and wait it out. Destroy runs the SAME graph with
//!   every edge reversed, so deleting a step waits for the deletion of everything that depended
//!   on it (mount targets before subnets, NAT before its EIP's step if split…);
//! - `waits_for`: the AWS object state the step waits out, with its usual duration
//!   (`wait::usual`); the benchmark's critical path is weighed from these declarations;
//! - `runs_last`: run after every other step (the graph builder [`all_steps`] adds the edges)
//!   rather than naming the last steps of other tiers.
//!
//! A tier module exposes `pub fn steps(layout: &StackLayout) -> Vec<Step>` (its step
//! builder) and `pub async fn refresh(ctx: &StepContext) -> Result<()>`, and is registered
//! in [`all_steps`] below and in `refresh::refresh_all`.
//!
//! # Modules
//! Below the tiers, imported by them and importing no tier: `layout` (what steps are laid out
//! from), `step` (the node type), `step_id` (every id), `context` (`StepContext`), `ec2_tags`
//! and `dependency` (helpers every EC2 tier shares), `images` (the image an app or bastion
//! instance boots), `tag_sync` (tags of the other services'
//! objects), `prefetch` (what a refresh fetches once for several tiers). Above them:
//! `refresh` (every tier's refresh at once), `sweep` and `service_sweep` (destroy's sweep).
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
//! interrupted by the cancel token; its schedule notices readiness promptly whatever the object's
//! real duration (see `wait::schedule`). A call
//! that names an object created moments before (attach, route, authorize, tag…) goes through
//! `ctx.eventually(what, || call)`, which waits out AWS's eventual consistency (`*.NotFound`
//! for up to two minutes). AWS failures are `StackError::Aws` built inside the
//! `aws/<service>.rs` module; no SDK type is used in a tier.
//! Log `tracing::info!` once per object created or deleted, with its id.
//!
//! # Refresh (read and import)
//! `refresh` looks up the tier's objects by the stack tag (one batched Describe per object
//! kind, not one per id), records every one that exists (a fresh state is being built, so
//! anything not recorded is gone), sets outputs, and writes observed values of spec
//! attributes into the state's spec through `ctx.update_state` (drift, and import).
//! `ctx.prior_resource(logical)` gives the ids of the state the operation started from (a
//! refresh can scope its describes to the known VPC, or find an object that lost its tags).
//! The EC2 tiers share `ec2_tags::ensure_tags` (apply: add missing tags, drop the keys in
//! `ctx.retired_tags()`) and `ec2_tags::observe_tags` (refresh: ownership and `Name` present?
//! user-tag drift into `tags`).
//! Every tier refreshes at once and none waits for another (see `refresh.rs`): use the prior
//! state's ids rather than what another tier records, and read what is known by name or id
//! at the same time as the lookups (a refresh is one or two rounds of concurrent calls).

pub mod alarms;
pub mod app;
pub mod bastion;
pub mod context;
pub mod database;
pub mod dependency;
pub mod dns;
pub mod ec2_tags;
pub mod images;
pub mod layout;
pub mod load_balancer;
pub mod logs;
pub mod network;
pub mod prefetch;
pub mod refresh;
pub mod secrets;
pub mod security;
pub mod service_sweep;
pub mod step;
pub mod step_id;
pub mod storage;
pub mod sweep;
pub mod tag_sync;
pub mod waf;

use std::collections::BTreeSet;

pub use context::{Operation, SharedContext, StepContext};
pub use layout::StackLayout;
pub use step::{Step, StepAction, StepFuture};

use crate::error::Result;

/// Every tier's steps for this layout, in one list, with the edges of `runs_last` steps
/// added: the graph the engine runs.
pub fn all_steps(layout: &StackLayout) -> Vec<Step> {
    let mut steps = network::steps(layout);
    steps.extend(security::steps(layout));
    steps.extend(bastion::steps(layout));
    steps.extend(storage::steps(layout));
    steps.extend(database::steps(layout));
    steps.extend(secrets::steps(layout));
    steps.extend(load_balancer::steps(layout));
    steps.extend(app::steps(layout));
    steps.extend(dns::steps(layout));
    steps.extend(waf::steps(layout));
    steps.extend(alarms::steps(layout));
    steps.extend(logs::steps(layout));
    order_last_steps(&mut steps);
    steps
}

/// Make every `runs_last` step depend on each other step nothing else waits for (so on all
/// of them, transitively).
fn order_last_steps(steps: &mut [Step]) {
    let waited_on: BTreeSet<&str> = steps
        .iter()
        .filter(|s| !s.runs_last)
        .flat_map(|s| s.deps.iter().map(String::as_str))
        .collect();
    let sinks: Vec<String> = steps
        .iter()
        .filter(|s| !s.runs_last && !waited_on.contains(s.id.as_str()))
        .map(|s| s.id.clone())
        .collect();
    for step in steps.iter_mut().filter(|s| s.runs_last) {
        for sink in &sinks {
            if !step.deps.contains(sink) {
                step.deps.push(sink.clone());
            }
        }
    }
}

/// Refresh every tier concurrently into `ctx`'s state (see `refresh.rs`; the engine passes
/// the prior outputs through `refresh::refresh_all` on a read).
pub async fn refresh_all(ctx: &StepContext) -> Result<()> {
    refresh::refresh_all(ctx, None).await
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::graph::topological_order;
    use crate::spec::NatMode;
    use crate::spec::StackSpec;

    fn layout(zones: &[&str], nat: NatMode, bastion: bool) -> StackLayout {
        let mut spec = StackSpec::with_name("blog");
        spec.network.nat_gateways = nat;
        spec.bastion.enabled = bastion;
        StackLayout {
            spec,
            zones: zones.iter().map(|z| z.to_string()).collect(),
        }
    }

    fn edges(layout: &StackLayout) -> Vec<(String, Vec<String>)> {
        all_steps(layout)
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
                    let edges = edges(&layout(zones, nat, bastion));
                    topological_order(&edges).unwrap_or_else(|e| panic!("{zones:?} {nat:?}: {e}"));
                }
            }
        }
    }

    #[test]
    fn objects_naming_a_group_wait_for_it_and_only_what_runs_code_waits_for_its_rules() {
        let edges = edges(&layout(&["a", "b"], NatMode::OnePerAz, true));
        let mount_target = step_id::mount_target("a");
        for id in [
            step_id::DB_INSTANCE,
            step_id::LOAD_BALANCER,
            step_id::LAUNCH_TEMPLATE,
            mount_target.as_str(),
        ] {
            let before = ancestors(&edges, id);
            assert!(
                before.contains(step_id::SECURITY_GROUPS),
                "{id}: {before:?}"
            );
            assert!(
                !before.contains(step_id::SECURITY_RULES),
                "{id}: {before:?}"
            );
        }
        for id in [step_id::AUTOSCALING_GROUP, step_id::BASTION] {
            let before = ancestors(&edges, id);
            assert!(before.contains(step_id::SECURITY_RULES), "{id}: {before:?}");
        }
    }

    #[test]
    fn nat_gateways_do_not_wait_for_each_other_and_routes_wait_for_their_own() {
        let edges = edges(&layout(&["a", "b", "c"], NatMode::OnePerAz, true));
        for az in ["a", "b", "c"] {
            let before = ancestors(&edges, &step_id::nat(az));
            assert!(
                before.iter().all(|s| !s.starts_with("network.nat:")),
                "{az}: {before:?}"
            );
            assert!(before.contains(&step_id::public_subnet(az)));
            assert!(ancestors(&edges, &step_id::private_routes(az)).contains(&step_id::nat(az)));
        }
        let bastion = ancestors(&edges, step_id::BASTION);
        assert!(
            bastion.iter().all(|s| !s.starts_with("network.nat:")),
            "the bastion never waits for NATs"
        );
    }

    #[test]
    fn single_mode_routes_every_zone_through_the_first_zones_gateway() {
        let edges = edges(&layout(&["a", "b"], NatMode::Single, false));
        assert!(edges.iter().all(|(id, _)| id != &step_id::nat("b")));
        assert!(ancestors(&edges, &step_id::private_routes("b")).contains(&step_id::nat("a")));
    }

    #[test]
    fn destroy_removes_leftover_nat_gateways_before_any_public_subnet() {
        let edges = edges(&layout(&["a", "b"], NatMode::Single, false));
        let reversed = crate::graph::reverse_edges(&edges);
        for az in ["a", "b"] {
            let before = ancestors(&reversed, &step_id::public_subnet(az));
            assert!(before.contains("network.nat_cleanup"), "{az}: {before:?}");
        }
        let before_igw = ancestors(&reversed, step_id::INTERNET_GATEWAY);
        assert!(
            before_igw.contains(&step_id::nat("a")) && before_igw.contains("network.nat_cleanup")
        );
    }

    #[test]
    fn the_throughput_step_runs_after_every_other_step() {
        let edges = edges(&layout(&["a", "b"], NatMode::OnePerAz, true));
        let before = ancestors(&edges, step_id::FILE_SYSTEM_THROUGHPUT);
        for (id, _) in &edges {
            assert!(
                id == step_id::FILE_SYSTEM_THROUGHPUT || before.contains(id),
                "{id} may still run after the throughput step"
            );
        }
        assert!(edges
            .iter()
            .all(|(_, deps)| !deps.iter().any(|d| d == step_id::FILE_SYSTEM_THROUGHPUT)));
    }
}
