//! What the conformance tests share: a fake engine whose stacks carry a secret ARN naming
//! their region and account, the service over `WordpressProvider`, and value helpers.

use std::collections::BTreeMap;
use std::sync::Arc;

use stack_model::error::{PartialFailure, StackError};
use stack_model::image::{ImageFacts, ImageQuery};
use stack_model::settings::{AccessError, AwsSettings};
use stack_model::spec::StackSpec;
use stack_model::state::{logical, StackState};
use tfplugin::codec;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::service::ProviderService;
use tfplugin::value::{Type, Value};
use tokio_util::sync::CancellationToken;
use wp_resource::stack::schema::resource;
use wp_resource::stack::{EngineConnector, StackEngine, WordpressProvider};

pub const ZONES: [&str; 2] = ["eu-west-3a", "eu-west-3b"];
pub const SECRET_ARN: &str =
    "arn:aws:secretsmanager:eu-west-3:123456789012:secret:blog/wordpress-Ab12";

/// An engine that creates, reads and imports instantly, with a secret ARN naming its region
/// and account.
#[derive(Clone, Default)]
pub struct Fake;

pub fn stack(spec: &StackSpec) -> StackState {
    let mut state = StackState::new(spec.clone());
    state.spec.network.availability_zones = Some(ZONES.map(String::from).to_vec());
    state
        .resources
        .insert(logical::VPC.into(), "vpc-0fake".into());
    state
        .resources
        .insert(logical::APP_SECRET.into(), SECRET_ARN.into());
    state.outputs.vpc_id = Some("vpc-0fake".into());
    state.outputs.url = Some("http://blog.example.com".into());
    state.secrets.secret_version = Some("v-1".into());
    state
}

#[async_trait::async_trait]
impl EngineConnector for Fake {
    async fn connect(&self, _settings: AwsSettings) -> Result<Arc<dyn StackEngine>, StackError> {
        Ok(Arc::new(Fake))
    }
}

#[async_trait::async_trait]
impl StackEngine for Fake {
    async fn availability_zones(&self) -> Result<Vec<String>, StackError> {
        Ok(ZONES.map(String::from).to_vec())
    }
    async fn check_access(&self) -> Result<Option<Vec<String>>, AccessError> {
        Ok(Some(ZONES.map(String::from).to_vec()))
    }
    async fn image_facts(&self, query: &ImageQuery) -> Result<ImageFacts, StackError> {
        Ok(ImageFacts {
            instance_types: query
                .instance_types
                .iter()
                .map(|t| (t.clone(), vec!["x86_64".to_string()]))
                .collect(),
            images: BTreeMap::new(),
        })
    }
    async fn apply(
        &self,
        spec: &StackSpec,
        _prior: Option<&StackState>,
        _cancel: &CancellationToken,
    ) -> Result<StackState, PartialFailure> {
        Ok(stack(spec))
    }
    async fn read(&self, prior: &StackState) -> Result<Option<StackState>, StackError> {
        Ok(Some(stack(&prior.spec)))
    }
    async fn destroy(&self, _: &StackState, _: &CancellationToken) -> Result<(), PartialFailure> {
        Ok(())
    }
    async fn import(&self, name: &str) -> Result<StackState, StackError> {
        Ok(stack(&StackSpec::with_name(name)))
    }
}

pub fn service() -> ProviderService {
    ProviderService::new(Arc::new(WordpressProvider::new(Arc::new(Fake))))
}

pub fn resource_type() -> Type {
    wp_resource::stack::to_schema::resource_schema(&resource()).value_type()
}

pub fn identity_type() -> Type {
    Type::object([
        ("name", Type::String),
        ("region", Type::String),
        ("account_id", Type::String),
    ])
}

pub fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: codec::encode_msgpack(value, ty).expect("the test's value fits"),
        json: Vec::new(),
    })
}

pub fn undynamic(value: Option<pb::DynamicValue>, ty: &Type) -> Value {
    let value = value.expect("a value");
    codec::decode_msgpack(&value.msgpack, ty).expect("the provider's value decodes")
}

pub fn identity_data(value: &Value) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dynamic(value, &identity_type()),
    })
}

pub fn expected_identity() -> Value {
    Value::object_of([
        ("name", Value::from("blog")),
        ("region", Value::from("eu-west-3")),
        ("account_id", Value::from("123456789012")),
    ])
}

/// A configuration as clients send it: every attribute, unset ones null, the write-only
/// password set.
pub fn config() -> Value {
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
    top.insert("name".into(), Value::from("blog"));
    top.insert("dns".into(), Value::Null);
    top.insert("timeouts".into(), Value::Null);
    let mut config = Value::object(top);
    let mut database = config.attr("database").clone();
    database.set_attr("password_wo", Value::from("Wr1te-0nly-Pass"));
    database.set_attr("password_wo_version", Value::from(1i64));
    config.set_attr("database", database);
    config
}

pub fn provider_config() -> Value {
    Value::object_of([
        ("region", Value::from("eu-west-3")),
        ("profile", Value::Null),
        ("endpoint_url", Value::from("http://127.0.0.1:5000")),
        ("default_tags", Value::Null),
        ("max_retries", Value::Null),
    ])
}

pub fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.as_str())
        .collect()
}

pub fn path_of(diagnostic: &pb::Diagnostic) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    diagnostic
        .attribute
        .iter()
        .flat_map(|p| &p.steps)
        .filter_map(|s| match &s.selector {
            Some(Selector::AttributeName(name)) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

pub fn wp_resource_provider_type() -> Type {
    use tfplugin::ProviderBackend;
    WordpressProvider::new(Arc::new(Fake))
        .provider_schema()
        .value_type()
}
