//! The stack glue over a fake engine: what `WordpressProvider` asks the engine, and what it
//! makes of the engine's answers (state kept on failure, zones listed once, access problems
//! as diagnostics), with no AWS anywhere.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use stack_model::error::{PartialFailure, StackError};
use stack_model::image::{ImageFacts, ImageQuery};
use stack_model::settings::{AccessError, AwsSettings};
use stack_model::spec::StackSpec;
use stack_model::state::StackState;
use tfplugin::diagnostics::AttributePath;
use tfplugin::service::{
    ApplyRequest, ApplyResponse, ClientCapabilities, PlanRequest, PlanResponse, ProviderBackend,
    ReadRequest,
};
use tfplugin::value::Value;
use tokio_util::sync::CancellationToken;
use wp_resource::stack::schema::{resource, TYPE_NAME};
use wp_resource::stack::{EngineConnector, Offline, StackEngine, WordpressProvider};

const ZONES: [&str; 3] = ["eu-west-3a", "eu-west-3b", "eu-west-3c"];
/// The fake engine's arm64 image; every other image is x86_64.
const ARM_AMI: &str = "ami-0a4a4a4a4a4a4a4a4";
const X86_AMI: &str = "ami-0868686868686868a";

/// What the fake engine answers and what it was asked.
#[derive(Default)]
struct Script {
    access: Option<AccessError>,
    /// Resources a failing apply or destroy reports as existing; `None`: they succeed.
    fail_with: Option<BTreeMap<String, String>>,
    /// `read` answers that the stack is gone.
    gone: bool,
    settings: Vec<AwsSettings>,
    zone_listings: usize,
    applied: Vec<(StackSpec, bool)>,
    destroyed: Vec<BTreeMap<String, String>>,
    image_queries: Vec<ImageQuery>,
}

#[derive(Clone, Default)]
struct FakeEngine(Arc<Mutex<Script>>);

impl FakeEngine {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0.lock().expect("the script lock is never poisoned")
    }
}

fn zones() -> Vec<String> {
    ZONES.iter().map(|zone| zone.to_string()).collect()
}

fn created(spec: &StackSpec) -> StackState {
    let mut state = StackState::new(spec.clone());
    state.resources.insert("vpc".into(), "vpc-0fake".into());
    state.outputs.vpc_id = Some("vpc-0fake".into());
    state
}

fn failure(spec: &StackSpec, resources: BTreeMap<String, String>) -> PartialFailure {
    let mut state = StackState::new(spec.clone());
    state.resources = resources;
    PartialFailure {
        state: Box::new(state),
        error: StackError::Refused {
            what: "the fake engine refused".into(),
        },
    }
}

#[async_trait::async_trait]
impl EngineConnector for FakeEngine {
    async fn connect(&self, settings: AwsSettings) -> Result<Arc<dyn StackEngine>, StackError> {
        self.script().settings.push(settings);
        Ok(Arc::new(self.clone()))
    }
}

#[async_trait::async_trait]
impl StackEngine for FakeEngine {
    async fn availability_zones(&self) -> Result<Vec<String>, StackError> {
        self.script().zone_listings += 1;
        Ok(zones())
    }

    async fn check_access(&self) -> Result<Option<Vec<String>>, AccessError> {
        match self.script().access.clone() {
            Some(problem) => Err(problem),
            None => Ok(Some(zones())),
        }
    }

    /// `t4g.*` types and [`ARM_AMI`] are arm64, every other type and image x86_64.
    async fn image_facts(&self, query: &ImageQuery) -> Result<ImageFacts, StackError> {
        self.script().image_queries.push(query.clone());
        let architecture = |arm: bool| if arm { "arm64" } else { "x86_64" }.to_string();
        Ok(ImageFacts {
            instance_types: query
                .instance_types
                .iter()
                .map(|t| (t.clone(), vec![architecture(t.starts_with("t4g."))]))
                .collect(),
            images: query
                .images
                .iter()
                .map(|i| (i.clone(), architecture(i == ARM_AMI)))
                .collect(),
        })
    }

    async fn apply(
        &self,
        spec: &StackSpec,
        prior: Option<&StackState>,
        _cancel: &CancellationToken,
    ) -> Result<StackState, PartialFailure> {
        let mut script = self.script();
        script.applied.push((spec.clone(), prior.is_some()));
        match script.fail_with.clone() {
            Some(resources) => Err(failure(spec, resources)),
            None => Ok(created(spec)),
        }
    }

    async fn read(&self, prior: &StackState) -> Result<Option<StackState>, StackError> {
        Ok((!self.script().gone).then(|| prior.clone()))
    }

    async fn destroy(
        &self,
        prior: &StackState,
        _cancel: &CancellationToken,
    ) -> Result<(), PartialFailure> {
        let mut script = self.script();
        script.destroyed.push(prior.resources.clone());
        match script.fail_with.clone() {
            Some(resources) => Err(failure(&prior.spec, resources)),
            None => Ok(()),
        }
    }

    async fn import(&self, name: &str) -> Result<StackState, StackError> {
        Ok(created(&StackSpec::with_name(name)))
    }
}

/// A configuration as Terraform sends it: every attribute present, unset ones null.
fn config(name: &str) -> Value {
    let def = resource();
    let mut top: BTreeMap<String, Value> = def
        .attributes
        .iter()
        .map(|a| (a.name.to_string(), Value::Null))
        .collect();
    for block in &def.blocks {
        let fields = block.attributes.iter().map(|a| (a.name, Value::Null));
        top.insert(block.name.into(), Value::object_of(fields));
    }
    top.insert("name".into(), Value::from(name));
    top.insert("dns".into(), Value::Null);
    top.insert("timeouts".into(), Value::Null);
    Value::object(top)
}

fn provider_block() -> Value {
    Value::object_of([
        ("region", Value::from("eu-west-3")),
        ("profile", Value::Null),
        ("endpoint_url", Value::from("http://127.0.0.1:5000")),
        ("default_tags", Value::Null),
        ("max_retries", Value::Null),
    ])
}

async fn configured(fake: &FakeEngine) -> WordpressProvider {
    let provider = WordpressProvider::new(Arc::new(fake.clone()));
    let diagnostics = provider
        .configure_provider(&provider_block(), "1.0.3")
        .await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    provider
}

async fn plan_create(provider: &WordpressProvider, config: &Value) -> Value {
    let response = provider
        .plan_resource_change(PlanRequest {
            type_name: TYPE_NAME.into(),
            prior_state: Value::Null,
            proposed_new_state: config.clone(),
            config: config.clone(),
            prior_private: Vec::new(),
            client: ClientCapabilities::default(),
            prior_identity: None,
        })
        .await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    response.planned_state
}

async fn apply(
    provider: &WordpressProvider,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> ApplyResponse {
    provider
        .apply_resource_change(ApplyRequest {
            type_name: TYPE_NAME.into(),
            prior_state: prior.clone(),
            planned_state: planned.clone(),
            config: config.clone(),
            planned_private: Vec::new(),
            planned_identity: None,
        })
        .await
}

#[tokio::test]
async fn configure_connects_with_the_block_and_planning_reuses_the_zones_it_listed() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let planned = plan_create(&provider, &config("blog")).await;
    let script = fake.script();
    assert_eq!(script.settings.len(), 1);
    assert_eq!(script.settings[0].region.as_deref(), Some("eu-west-3"));
    assert_eq!(
        script.settings[0].endpoint_url.as_deref(),
        Some("http://127.0.0.1:5000")
    );
    assert_eq!(script.zone_listings, 0, "check_access already listed them");
    assert_eq!(
        planned.attr("network").attr("availability_zones"),
        &Value::list(["eu-west-3a", "eu-west-3b"])
    );
}

#[tokio::test]
async fn an_access_problem_is_a_diagnostic_and_leaves_the_provider_unconfigured() {
    let fake = FakeEngine::default();
    fake.script().access = Some(AccessError::NoCredentials {
        cause: "no providers in chain".into(),
    });
    let provider = WordpressProvider::new(Arc::new(fake.clone()));
    let diagnostics = provider
        .configure_provider(&provider_block(), "1.0.3")
        .await;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].summary, "No AWS credentials found");
    let config = config("blog");
    let response = apply(&provider, &Value::Null, &config, &config).await;
    assert_eq!(response.diagnostics[0].summary, "Provider not configured");
    assert!(fake.script().applied.is_empty());
}

#[tokio::test]
async fn apply_keeps_what_the_engine_built_and_its_secrets_as_private_state() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let config = config("blog");
    let planned = plan_create(&provider, &config).await;
    let response = apply(&provider, &Value::Null, &planned, &config).await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(
        response.new_state.attr("resources"),
        &Value::map([("vpc", "vpc-0fake")])
    );
    assert!(response.new_state.is_wholly_known());
    assert!(
        !response.private.is_empty(),
        "secrets travel as private state"
    );
    let script = fake.script();
    assert_eq!(script.applied.len(), 1);
    let (spec, had_prior) = &script.applied[0];
    assert_eq!(spec.name, "blog");
    assert!(!had_prior);
}

#[tokio::test]
async fn a_create_refused_before_owning_anything_keeps_no_state() {
    let fake = FakeEngine::default();
    fake.script().fail_with = Some(BTreeMap::new());
    let provider = configured(&fake).await;
    let config = config("blog");
    let planned = plan_create(&provider, &config).await;
    let response = apply(&provider, &Value::Null, &planned, &config).await;
    assert!(response.new_state.is_null(), "{:?}", response.new_state);
    assert_eq!(response.diagnostics.len(), 1);
    assert!(response.diagnostics[0]
        .detail
        .contains("the fake engine refused"));
}

#[tokio::test]
async fn a_create_that_failed_midway_keeps_every_id_recorded() {
    let fake = FakeEngine::default();
    fake.script().fail_with = Some(BTreeMap::from([("vpc".into(), "vpc-0half".into())]));
    let provider = configured(&fake).await;
    let config = config("blog");
    let planned = plan_create(&provider, &config).await;
    let response = apply(&provider, &Value::Null, &planned, &config).await;
    assert_eq!(
        response.new_state.attr("resources"),
        &Value::map([("vpc", "vpc-0half")])
    );
    assert_eq!(response.diagnostics.len(), 1);
}

#[tokio::test]
async fn a_failed_destroy_keeps_exactly_what_still_exists() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let config = config("blog");
    let planned = plan_create(&provider, &config).await;
    let state = apply(&provider, &Value::Null, &planned, &config)
        .await
        .new_state;
    fake.script().fail_with = Some(BTreeMap::from([("db".into(), "blog-db".into())]));
    let response = apply(&provider, &state, &Value::Null, &Value::Null).await;
    assert_eq!(
        response.new_state.attr("resources"),
        &Value::map([("db", "blog-db")])
    );
    assert_eq!(response.diagnostics.len(), 1);
    assert_eq!(
        fake.script().destroyed,
        vec![BTreeMap::from([("vpc".into(), "vpc-0fake".into())])]
    );

    fake.script().fail_with = None;
    let response = apply(&provider, &state, &Value::Null, &Value::Null).await;
    assert!(response.new_state.is_null());
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
}

#[tokio::test]
async fn a_stack_gone_from_aws_reads_as_null() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let config = config("blog");
    let planned = plan_create(&provider, &config).await;
    let state = apply(&provider, &Value::Null, &planned, &config)
        .await
        .new_state;
    let read = |current_state: Value| ReadRequest {
        type_name: TYPE_NAME.into(),
        current_state,
        private: Vec::new(),
        client: ClientCapabilities::default(),
        current_identity: None,
    };
    let kept = provider.read_resource(read(state.clone())).await;
    assert_eq!(kept.new_state.attr("resources"), state.attr("resources"));
    fake.script().gone = true;
    let gone = provider.read_resource(read(state)).await;
    assert!(gone.new_state.is_null());
    assert!(gone.diagnostics.is_empty(), "{:?}", gone.diagnostics);
}

#[tokio::test]
async fn import_answers_with_the_engines_state() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let response = provider.import_resource_state(TYPE_NAME, "blog").await;
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(response.imported.len(), 1);
    let state = &response.imported[0].state;
    assert_eq!(state.attr("name"), &Value::from("blog"));
    assert_eq!(state.attr("resources"), &Value::map([("vpc", "vpc-0fake")]));
}

#[tokio::test]
async fn an_offline_build_refuses_configuration_with_a_diagnostic() {
    let provider = WordpressProvider::new(Arc::new(Offline));
    let diagnostics = provider
        .configure_provider(&provider_block(), "1.0.3")
        .await;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].summary, "Invalid AWS configuration");
}

/// `value` with `block.attribute` set.
fn with(value: &Value, block: &str, attribute: &str, new: &str) -> Value {
    let mut changed = value.clone();
    if let Some(block) = changed.attr_mut(block) {
        block.set_attr(attribute, Value::from(new));
    }
    changed
}

async fn plan(provider: &WordpressProvider, prior: &Value, config: &Value) -> PlanResponse {
    provider
        .plan_resource_change(PlanRequest {
            type_name: TYPE_NAME.into(),
            prior_state: prior.clone(),
            proposed_new_state: config.clone(),
            config: config.clone(),
            prior_private: Vec::new(),
            client: ClientCapabilities::default(),
            prior_identity: None,
        })
        .await
}

#[tokio::test]
async fn an_instance_type_of_another_architecture_plans_a_new_image() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let config = config("blog");
    let planned = plan_create(&provider, &config).await;
    let mut state = apply(&provider, &Value::Null, &planned, &config)
        .await
        .new_state;
    for block in ["wordpress", "bastion"] {
        if let Some(block) = state.attr_mut(block) {
            block.set_attr("ami_id", Value::from(X86_AMI));
        }
    }
    assert!(
        fake.script().image_queries.is_empty(),
        "a create that pins nothing asks nothing: apply resolves the image"
    );

    let same = plan(
        &provider,
        &state,
        &with(&config, "wordpress", "instance_type", "t3.medium"),
    )
    .await;
    assert!(same.diagnostics.is_empty(), "{:?}", same.diagnostics);
    assert_eq!(
        same.planned_state.attr("wordpress").attr("ami_id"),
        &Value::from(X86_AMI),
        "the same architecture keeps its image"
    );

    let graviton = plan(
        &provider,
        &state,
        &with(&config, "wordpress", "instance_type", "t4g.small"),
    )
    .await;
    assert!(
        graviton.diagnostics.is_empty(),
        "{:?}",
        graviton.diagnostics
    );
    assert!(graviton
        .planned_state
        .attr("wordpress")
        .attr("ami_id")
        .is_unknown());
    assert_eq!(
        graviton.planned_state.attr("bastion").attr("ami_id"),
        &Value::from(X86_AMI),
        "the bastion keeps its type and image"
    );
    let changes = format!("{:?}", graviton.planned_state.attr("planned_changes"));
    assert!(changes.contains("AMI"), "{changes}");
    let asked = fake
        .script()
        .image_queries
        .last()
        .cloned()
        .expect("a query");
    assert_eq!(
        asked.instance_types.into_iter().collect::<Vec<_>>(),
        vec!["t3.small".to_string(), "t4g.small".to_string()]
    );
}

#[tokio::test]
async fn a_pinned_ami_the_instance_type_cannot_boot_is_refused_on_its_attribute() {
    let fake = FakeEngine::default();
    let provider = configured(&fake).await;
    let graviton = with(&config("blog"), "wordpress", "instance_type", "t4g.small");
    let refused = plan(
        &provider,
        &Value::Null,
        &with(&graviton, "wordpress", "ami_id", X86_AMI),
    )
    .await;
    assert_eq!(refused.diagnostics.len(), 1, "{:?}", refused.diagnostics);
    let diagnostic = &refused.diagnostics[0];
    assert_eq!(
        diagnostic.path,
        Some(AttributePath::root().attr("wordpress").attr("ami_id"))
    );
    assert!(
        diagnostic.summary.contains("x86_64") && diagnostic.summary.contains("arm64"),
        "{diagnostic:?}"
    );
    plan_create(&provider, &with(&graviton, "wordpress", "ami_id", ARM_AMI)).await;
}
