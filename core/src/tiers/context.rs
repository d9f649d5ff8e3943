//! What every step gets: AWS clients, the layout, tags, bounds, and the state being built
//! (recording ids, reading what dependencies recorded, outputs).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::layout::StackLayout;
use crate::aws::Clients;
use crate::error::{Result, StackError};
use crate::naming;
use crate::spec::StackSpec;
use crate::state::{logical, StackOutputs, StackState};
use crate::wait::Bounds;

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

/// What every step gets: AWS clients, the layout, tags, bounds, and the shared state.
pub struct StepContext {
    pub clients: Clients,
    pub layout: StackLayout,
    pub operation: Operation,
    default_tags: BTreeMap<String, String>,
    bounds: Bounds,
    /// The ids of the state the operation started from (empty on create and import).
    prior: BTreeMap<String, String>,
    /// Tag keys the previous configuration set and this one no longer does.
    retired_tags: BTreeSet<String>,
    state: Mutex<StackState>,
    /// Logical names of the objects this operation created rather than found.
    created: Mutex<BTreeSet<String>>,
}

impl StepContext {
    pub fn new(
        clients: Clients,
        operation: Operation,
        layout: StackLayout,
        default_tags: BTreeMap<String, String>,
        bounds: Bounds,
        prior: BTreeMap<String, String>,
        state: StackState,
    ) -> StepContext {
        StepContext {
            clients,
            layout,
            operation,
            default_tags,
            bounds,
            prior,
            retired_tags: BTreeSet::new(),
            state: Mutex::new(state),
            created: Mutex::new(BTreeSet::new()),
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

    /// Every `(logical name, id)` of the starting state whose name starts with `prefix`.
    pub fn prior_with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        self.prior
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// True when refreshing for `terraform import`: the spec must be rebuilt from AWS.
    pub fn is_import(&self) -> bool {
        self.operation == Operation::Import
    }
    pub fn spec(&self) -> &StackSpec {
        &self.layout.spec
    }
    pub fn zones(&self) -> &[String] {
        &self.layout.zones
    }
    /// The stack's name: the value of `naming::STACK_TAG` on every object.
    pub fn stack(&self) -> &str {
        &self.layout.spec.name
    }
    /// `<stack>-<role>[-<az>]`.
    pub fn name(&self, role: &str, az: Option<&str>) -> String {
        naming::object_name(self.stack(), role, az)
    }
    /// Default tags, then the stack's tags, then ownership and `Name`.
    pub fn tags(&self, object_name: &str) -> BTreeMap<String, String> {
        naming::object_tags(
            &self.default_tags,
            &self.layout.spec.tags,
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
    /// Record `id` as an object this operation just created, with the spec's settings: a later
    /// step can skip reading them back (`created_here`).
    pub fn record_created(&self, logical_name: &str, id: impl Into<String>) {
        self.record(logical_name, id);
        self.created
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(logical_name.to_string());
    }
    /// Whether this operation created the object (`record_created`) rather than found it.
    pub fn created_here(&self, logical_name: &str) -> bool {
        self.created
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(logical_name)
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
    use std::collections::BTreeMap;

    use super::*;
    use crate::spec::NatMode;

    fn layout() -> StackLayout {
        let mut spec = StackSpec::with_name("blog");
        spec.network.nat_gateways = NatMode::OnePerAz;
        StackLayout {
            spec,
            zones: vec!["a".to_string(), "b".to_string()],
        }
    }

    #[test]
    fn client_tokens_are_stable_per_role_and_fit_ec2() {
        let ctx = StepContext::new(
            test_clients(),
            Operation::Apply,
            layout(),
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
            ssm: aws_sdk_ssm::Client::new(&config),
            acm: aws_sdk_acm::Client::new(&config),
            wafv2: aws_sdk_wafv2::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            coalescer: None,
        }
    }
}
