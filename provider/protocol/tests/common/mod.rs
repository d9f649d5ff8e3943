//! Shared by the gRPC tests: a fake backend with one resource type that records what it was
//! asked, and helpers to run the server in-process and talk to it with the generated client.
#![allow(dead_code)]

pub mod mtls;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tfplugin::codec;
use tfplugin::diagnostics::{AttributePath, Diagnostic};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use tfplugin::server::{self, RunningServer, ServeOptions};
use tfplugin::service::{
    ApplyRequest, ApplyResponse, ImportResponse, ImportedResource, PlanRequest, PlanResponse,
    ProviderBackend, ReadRequest, ReadResponse,
};
use tfplugin::value::{Type, Value};

pub const RESOURCE: &str = "test_thing";

pub fn provider_schema() -> Schema {
    Schema::new(
        0,
        Block::new("Fake provider.").attribute(Attribute::optional(
            "region",
            Type::String,
            "Region.",
        )),
    )
}

pub fn resource_schema() -> Schema {
    Schema::new(
        3,
        Block::new("A thing.")
            .attribute(Attribute::computed("id", Type::String, "Id."))
            .attribute(Attribute::required("name", Type::String, "Name."))
            .attribute(Attribute::optional("size", Type::Number, "Size."))
            .attribute(Attribute::optional(
                "tags",
                Type::map(Type::String),
                "Tags.",
            ))
            .attribute(Attribute::optional_computed("secret", Type::String, "Secret.").sensitive())
            .block(NestedBlock::new(
                "net",
                Nesting::Single,
                Block::new("Network.").attribute(Attribute::optional(
                    "cidr",
                    Type::String,
                    "CIDR.",
                )),
            )),
    )
}

pub fn resource_type() -> Type {
    resource_schema().value_type()
}

pub fn provider_type() -> Type {
    provider_schema().value_type()
}

/// What the fake backend was called with, for assertions.
#[derive(Default, Debug)]
pub struct Calls {
    pub configured_with: Option<(Value, String)>,
    pub validated: Vec<Value>,
    pub read_private: Vec<Vec<u8>>,
    pub stops: usize,
}

pub struct FakeBackend {
    provider_schema: Schema,
    resource_schemas: BTreeMap<String, Schema>,
    pub calls: Mutex<Calls>,
}

impl FakeBackend {
    pub fn new() -> Arc<FakeBackend> {
        Arc::new(FakeBackend {
            provider_schema: provider_schema(),
            resource_schemas: BTreeMap::from([(RESOURCE.to_string(), resource_schema())]),
            calls: Mutex::new(Calls::default()),
        })
    }

    fn record(&self, update: impl FnOnce(&mut Calls)) {
        if let Ok(mut calls) = self.calls.lock() {
            update(&mut calls);
        }
    }
}

#[tonic::async_trait]
impl ProviderBackend for FakeBackend {
    fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    fn resource_schemas(&self) -> &BTreeMap<String, Schema> {
        &self.resource_schemas
    }

    async fn validate_provider_config(&self, config: &Value) -> Vec<Diagnostic> {
        match config.attr("region").as_str() {
            Some("mars-1") => vec![
                Diagnostic::error("Unknown region", "mars-1 is not a region.")
                    .with_path(AttributePath::attribute("region")),
            ],
            _ => Vec::new(),
        }
    }

    async fn configure_provider(&self, config: &Value, terraform_version: &str) -> Vec<Diagnostic> {
        self.record(|calls| {
            calls.configured_with = Some((config.clone(), terraform_version.into()))
        });
        vec![Diagnostic::warning(
            "Configured",
            format!("for Terraform {terraform_version}"),
        )]
    }

    async fn validate_resource_config(&self, _type_name: &str, config: &Value) -> Vec<Diagnostic> {
        self.record(|calls| calls.validated.push(config.clone()));
        if config.attr("name").as_str() == Some("bad name") {
            return vec![Diagnostic::error("Invalid name", "No spaces.")
                .with_path(AttributePath::attribute("name"))];
        }
        Vec::new()
    }

    async fn read_resource(&self, request: ReadRequest) -> ReadResponse {
        self.record(|calls| calls.read_private.push(request.private.clone()));
        if request.current_state.attr("name").as_str() == Some("gone") {
            return ReadResponse {
                private: request.private,
                ..ReadResponse::default()
            };
        }
        ReadResponse {
            new_state: request.current_state.with_attr("size", 42),
            private: request.private,
            ..ReadResponse::default()
        }
    }

    async fn plan_resource_change(&self, request: PlanRequest) -> PlanResponse {
        if request.proposed_new_state.is_null() {
            return PlanResponse::default();
        }
        let mut planned = request.proposed_new_state;
        if request.prior_state.is_null() {
            planned.set_attr("id", Value::Unknown);
            planned.set_attr("secret", Value::Unknown);
        }
        let name_changed = !request.prior_state.is_null()
            && request.prior_state.attr("name") != planned.attr("name");
        PlanResponse {
            planned_state: planned,
            requires_replace: if name_changed {
                vec![AttributePath::attribute("name")]
            } else {
                vec![]
            },
            planned_private: b"planned".to_vec(),
            ..PlanResponse::default()
        }
    }

    async fn apply_resource_change(&self, request: ApplyRequest) -> ApplyResponse {
        if request.planned_state.is_null() {
            return ApplyResponse::default();
        }
        let name = request
            .planned_state
            .attr("name")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if name == "fails" {
            // Partial progress plus an error: Terraform keeps the state.
            return ApplyResponse {
                new_state: request
                    .planned_state
                    .with_attr("id", "partial")
                    .with_attr("secret", Value::Null),
                private: request.planned_private,
                diagnostics: vec![Diagnostic::error("Creation failed", "The API said no.")],
                ..ApplyResponse::default()
            };
        }
        if name == "schema-bug" {
            return ApplyResponse {
                new_state: request.planned_state.with_attr("not_in_schema", 1),
                ..ApplyResponse::default()
            };
        }
        ApplyResponse {
            new_state: request
                .planned_state
                .with_attr("id", format!("id-{name}"))
                .with_attr("secret", "s3cret"),
            private: request.planned_private,
            ..ApplyResponse::default()
        }
    }

    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse {
        ImportResponse {
            imported: vec![ImportedResource {
                type_name: type_name.to_string(),
                state: Value::object_of([("id", Value::from(id)), ("name", Value::from(id))]),
                private: b"imported".to_vec(),
                identity: None,
            }],
            diagnostics: Vec::new(),
        }
    }

    async fn stop(&self) -> Option<String> {
        self.record(|calls| calls.stops += 1);
        None
    }
}

/// Starts an in-process server (plain TCP unless a client certificate is given).
pub async fn start_server(
    backend: Arc<FakeBackend>,
    client_cert_pem: Option<String>,
) -> RunningServer {
    server::start(ServeOptions::for_tests(client_cert_pem), backend)
        .await
        .expect("server starts")
}

pub fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: codec::encode_msgpack(value, ty).expect("test value fits its type"),
        json: Vec::new(),
    })
}

pub fn undynamic(dynamic: Option<pb::DynamicValue>, ty: &Type) -> Value {
    let dynamic = dynamic.expect("a DynamicValue in the response");
    codec::decode_msgpack(&dynamic.msgpack, ty).expect("response decodes")
}

pub fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.clone())
        .collect()
}

pub fn first_step(diagnostic: &pb::Diagnostic) -> Option<String> {
    use pb::attribute_path::step::Selector;
    match diagnostic
        .attribute
        .as_ref()?
        .steps
        .first()?
        .selector
        .as_ref()?
    {
        Selector::AttributeName(name) => Some(name.clone()),
        _ => None,
    }
}

pub fn sample_config(name: &str) -> Value {
    Value::object_of([
        ("name", Value::from(name)),
        ("size", Value::from(3)),
        ("tags", Value::map([("env", "test")])),
        (
            "net",
            Value::object_of([("cidr", Value::from("10.0.0.0/16"))]),
        ),
    ])
}
