//! `database.password_wo` as Terraform 1.11 and later use it, against moto through the fault
//! proxy (a password change rolls the fleet through an instance refresh, which moto lacks).
//! Terraform 1.0.3 cannot send write-only attributes (it is refused, see
//! `tests/client_compat.rs`), so the provider is served in process and spoken to as
//! Terraform 1.11 speaks: its client capabilities, a configuration carrying the write-only
//! value, plans and states that must carry it as null.
//!
//! A create sets the write-only password; the secret holds it, no state or private state
//! does. A plan with the same version changes nothing; a new version and value set the new
//! password (a new secret version, a new launch template version). Then destroy.

mod service_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;
use service_support::{quick_refreshes, secret_value};
use stack_core::userdata::SECRET_PASSWORD_FIELD;
use stack_tests::{FaultProxy, Moto};
use tfplugin::codec;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider;
use tfplugin::service::ProviderService;
use tfplugin::value::{Type, Value};
use tfplugin::ProviderBackend;
use tfprovider::aws_engine::AwsConnector;
use tonic::Request;
use wp_resource::stack::schema::{resource, PLANNED_CHANGES, TYPE_NAME};
use wp_resource::stack::WordpressProvider;

const STACK: &str = "writeonly";
const FIRST: &str = "Wr1te-0nly-First";
const SECOND: &str = "Wr1te-0nly-Second";

/// Terraform 1.11's capabilities.
fn terraform_1_11() -> Option<pb::ClientCapabilities> {
    Some(pb::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    })
}

fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: codec::encode_msgpack(value, ty).expect("fits the schema"),
        json: Vec::new(),
    })
}

fn undynamic(value: Option<pb::DynamicValue>, ty: &Type) -> Value {
    codec::decode_msgpack(&value.expect("a value").msgpack, ty).expect("decodes")
}

/// A lean stack's configuration as Terraform sends it, the write-only password at `version`.
fn config(password: &str, version: i64) -> Value {
    let def = resource();
    let mut top: BTreeMap<String, Value> = def
        .attributes
        .iter()
        .map(|a| (a.name.to_string(), Value::Null))
        .collect();
    let mut set: BTreeMap<(&str, &str), Value> = BTreeMap::from([
        (("network", "nat_gateways"), Value::from("single")),
        (("bastion", "enabled"), Value::from(false)),
        (("database", "multi_az"), Value::from(false)),
        (("database", "skip_final_snapshot"), Value::from(true)),
        (("database", "password_wo"), Value::from(password)),
        (("database", "password_wo_version"), Value::from(version)),
    ]);
    for block in &def.blocks {
        let fields = block.attributes.iter().map(|a| {
            let value = set.remove(&(block.name, a.name)).unwrap_or_default();
            (a.name, value)
        });
        top.insert(block.name.into(), Value::object_of(fields));
    }
    top.insert("name".into(), Value::from(STACK));
    top.insert("dns".into(), Value::Null);
    top.insert("timeouts".into(), Value::Null);
    Value::object(top)
}

fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .collect()
}

struct Session {
    service: ProviderService,
    ty: Type,
}

impl Session {
    async fn plan(&self, prior: &Value, private: &[u8], config: &Value) -> (Value, Vec<u8>) {
        let plan = self
            .service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: TYPE_NAME.into(),
                prior_state: dynamic(prior, &self.ty),
                proposed_new_state: dynamic(config, &self.ty),
                config: dynamic(config, &self.ty),
                prior_private: private.to_vec(),
                client_capabilities: terraform_1_11(),
                ..Default::default()
            }))
            .await
            .expect("rpc")
            .into_inner();
        // Warnings (skip_final_snapshot = true is one) are the user's to read; errors stop here.
        assert!(
            errors(&plan.diagnostics).is_empty(),
            "{:?}",
            plan.diagnostics
        );
        (
            undynamic(plan.planned_state, &self.ty),
            plan.planned_private,
        )
    }

    async fn apply(
        &self,
        prior: &Value,
        planned: &Value,
        private: Vec<u8>,
        config: &Value,
    ) -> (Value, Vec<u8>) {
        let applied = self
            .service
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: TYPE_NAME.into(),
                prior_state: dynamic(prior, &self.ty),
                planned_state: dynamic(planned, &self.ty),
                config: dynamic(config, &self.ty),
                planned_private: private,
                ..Default::default()
            }))
            .await
            .expect("rpc")
            .into_inner();
        let errors = errors(&applied.diagnostics);
        assert!(errors.is_empty(), "{errors:?}");
        let state = if planned.is_null() {
            Value::Null
        } else {
            undynamic(applied.new_state, &self.ty)
        };
        (state, applied.private)
    }
}

#[track_caller]
fn assert_no_password(state: &Value, private: &[u8]) {
    assert!(state.attr("database").attr("password_wo").is_null());
    assert!(state.attr("database").attr("password").is_null());
    let private = String::from_utf8_lossy(private);
    for password in [FIRST, SECOND] {
        assert!(
            !format!("{state:?}").contains(password),
            "the state holds a password"
        );
        assert!(
            !private.contains(password),
            "the private state holds a password"
        );
    }
}

#[tokio::test]
async fn a_write_only_password_reaches_the_secret_and_never_the_state() {
    let moto = Moto::start_async().await.expect("moto starts");
    // Before any thread of the engine reads the environment: the credentials of the chain.
    for (key, value) in moto.aws_env() {
        if key != "AWS_ENDPOINT_URL" {
            std::env::set_var(key, value);
        }
    }
    let proxy = FaultProxy::start(&moto.endpoint(), quick_refreshes()).expect("proxy");
    let backend = Arc::new(WordpressProvider::new(Arc::new(AwsConnector)));
    let provider_type = backend.provider_schema().value_type();
    let session = Session {
        service: ProviderService::new(backend),
        ty: wp_resource::stack::to_schema::resource_schema(&resource()).value_type(),
    };
    let provider_block = Value::object_of([
        ("region", Value::from(stack_tests::REGION)),
        ("profile", Value::Null),
        ("endpoint_url", Value::from(proxy.endpoint())),
        ("default_tags", Value::Null),
        ("max_retries", Value::Null),
    ]);
    let configured = session
        .service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(&provider_block, &provider_type),
            client_capabilities: terraform_1_11(),
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{configured:?}");

    let first = config(FIRST, 1);
    let validated = session
        .service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: TYPE_NAME.into(),
            config: dynamic(&first, &session.ty),
            client_capabilities: terraform_1_11(),
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(validated.diagnostics.is_empty(), "{validated:?}");

    // Create with the write-only password.
    let (planned, private) = session.plan(&Value::Null, &[], &first).await;
    assert_no_password(&planned, &private);
    let (state, private) = session.apply(&Value::Null, &planned, private, &first).await;
    assert_no_password(&state, &private);
    let secret_arn = state
        .attr("resources")
        .attr("app_secret")
        .as_str()
        .expect("the secret")
        .to_string();
    let secret: Json = secret_value(&moto, &secret_arn).await;
    assert_eq!(secret[SECRET_PASSWORD_FIELD], FIRST, "the secret holds it");

    // Same version: nothing to do (the value cannot be compared; the version is the trigger).
    let (again, _) = session.plan(&state, &private, &first).await;
    assert_eq!(again.attr(PLANNED_CHANGES), state.attr(PLANNED_CHANGES));
    assert_eq!(
        again.attr("launch_template_version"),
        state.attr("launch_template_version")
    );

    // A new version applies the new value, through the secret, to new instances.
    let second = config(SECOND, 2);
    let (planned, planned_private) = session.plan(&state, &private, &second).await;
    assert!(
        planned
            .attr(PLANNED_CHANGES)
            .string_items()
            .iter()
            .any(|c| c.contains("master password")),
        "{:?}",
        planned.attr(PLANNED_CHANGES)
    );
    let (updated, private) = session
        .apply(&state, &planned, planned_private, &second)
        .await;
    assert_no_password(&updated, &private);
    let secret: Json = secret_value(&moto, &secret_arn).await;
    assert_eq!(
        secret[SECRET_PASSWORD_FIELD], SECOND,
        "the new password reached the secret"
    );
    assert_ne!(
        updated.attr("launch_template_version"),
        state.attr("launch_template_version"),
        "instances roll to the new secret version"
    );

    // Destroy.
    let (nothing, _) = session.plan(&updated, &private, &Value::Null).await;
    assert!(nothing.is_null());
    session
        .apply(&updated, &Value::Null, private, &Value::Null)
        .await;
}
