//! gRPC conformance: the requests Terraform 1.11, 1.12 and 1.14 and OpenTofu 1.10 and 1.11 send
//! (what Terraform 1.0.3, which the end-to-end tests drive, cannot), replayed against the real
//! `ProviderService` over `WordpressProvider` with a fake engine, and the answers checked field
//! by field: capabilities, write-only attributes, resource identity, functions, the data source
//! and state upgrades.
//!
//! Each client is described by what it puts in its requests ([`Client`]): its version string,
//! whether it announces write-only attributes, whether it speaks resource identity (sends and
//! stores identities, asks GetResourceIdentitySchemas), and where it asks GetFunctions
//! (OpenTofu on the configured instance, Terraform before configuring).

mod conformance_support;

use std::collections::BTreeMap;

use conformance_support::*;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider;
use tfplugin::service::ProviderService;
use tfplugin::value::{Type, Value};
use tonic::Request;
use wp_resource::stack::schema::TYPE_NAME;

/// What a client version puts in its requests.
#[derive(Debug, Clone, Copy)]
struct Client {
    name: &'static str,
    version: &'static str,
    write_only: bool,
    identity: bool,
    functions_when_configured: bool,
}

const CLIENTS: [Client; 5] = [
    Client {
        name: "Terraform",
        version: "1.11.4",
        write_only: true,
        identity: false,
        functions_when_configured: false,
    },
    Client {
        name: "Terraform",
        version: "1.12.2",
        write_only: true,
        identity: true,
        functions_when_configured: false,
    },
    Client {
        name: "Terraform",
        version: "1.14.0",
        write_only: true,
        identity: true,
        functions_when_configured: false,
    },
    Client {
        name: "OpenTofu",
        version: "1.10.6",
        write_only: false,
        identity: false,
        functions_when_configured: true,
    },
    Client {
        name: "OpenTofu",
        version: "1.11.0",
        write_only: true,
        identity: false,
        functions_when_configured: true,
    },
];

impl Client {
    fn capabilities(&self) -> Option<pb::ClientCapabilities> {
        Some(pb::ClientCapabilities {
            deferral_allowed: false,
            write_only_attributes_allowed: self.write_only,
        })
    }
}

async fn get_functions(service: &ProviderService) {
    let functions = service
        .get_functions(Request::new(pb::get_functions::Request {}))
        .await
        .expect("rpc")
        .into_inner();
    assert!(functions.diagnostics.is_empty());
    let subnet_plan = &functions.functions["subnet_plan"];
    let names: Vec<&str> = subnet_plan
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["vpc_cidr", "zones"]);
    assert_eq!(subnet_plan.parameters[0].r#type, br#""string""#);
    assert_eq!(subnet_plan.parameters[1].r#type, br#"["list","string"]"#);
    assert!(subnet_plan
        .parameters
        .iter()
        .all(|p| !p.allow_unknown_values));
    let returns = subnet_plan.r#return.as_ref().expect("a return type");
    assert!(Type::from_json_bytes(&returns.r#type).is_ok());
}

async fn call_functions(service: &ProviderService) {
    let string = |s: &str| dynamic(&Value::from(s), &Type::String).expect("value");
    let zones = dynamic(&Value::list(ZONES), &Type::list(Type::String)).expect("value");
    let call = service
        .call_function(Request::new(pb::call_function::Request {
            name: "subnet_plan".into(),
            arguments: vec![string("10.0.0.0/16"), zones.clone()],
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(call.error.is_none(), "{:?}", call.error);
    let result_type = Type::object([
        ("public_subnet_cidrs", Type::list(Type::String)),
        ("private_subnet_cidrs", Type::list(Type::String)),
        (
            "by_zone",
            Type::map(Type::object([
                ("public", Type::String),
                ("private", Type::String),
            ])),
        ),
    ]);
    let result = undynamic(call.result, &result_type);
    assert_eq!(
        result.attr("public_subnet_cidrs"),
        &Value::list(["10.0.0.0/20", "10.0.16.0/20"])
    );
    assert_eq!(
        result.attr("by_zone").attr("eu-west-3b").attr("private"),
        &Value::from("10.0.144.0/20")
    );
    let refused = service
        .call_function(Request::new(pb::call_function::Request {
            name: "subnet_plan".into(),
            arguments: vec![string("10.0.0.0/33"), zones],
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(refused.result.is_none());
    assert_eq!(refused.error.expect("an error").function_argument, Some(0));
}

/// Discovery: GetProviderSchema (and GetMetadata, which OpenTofu asks) and identity schemas.
async fn discovery(service: &ProviderService, client: Client) {
    let schema = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .expect("rpc")
        .into_inner();
    let capabilities = schema.server_capabilities.expect("capabilities");
    assert!(capabilities.plan_destroy && capabilities.get_provider_schema_optional);
    assert!(!capabilities.move_resource_state && !capabilities.generate_resource_config);
    let resource_schema = &schema.resource_schemas[TYPE_NAME];
    assert_eq!(resource_schema.version, 1);
    let database = resource_schema
        .block
        .as_ref()
        .and_then(|b| b.block_types.iter().find(|n| n.type_name == "database"))
        .and_then(|n| n.block.as_ref())
        .expect("the database block");
    let attr = |name: &str| {
        database
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} declared"))
    };
    let wo = attr("password_wo");
    assert!(wo.write_only && wo.sensitive && wo.optional && !wo.computed && !wo.required);
    let password = attr("password");
    assert!(password.optional && !password.computed && !password.write_only);
    assert!(!attr("password_wo_version").write_only);
    assert!(schema.data_source_schemas.contains_key(TYPE_NAME));
    assert!(schema.functions.contains_key("subnet_plan"));

    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(metadata.data_sources[0].type_name, TYPE_NAME);
    assert_eq!(metadata.functions[0].name, "subnet_plan");

    if client.identity {
        let identities = service
            .get_resource_identity_schemas(Request::new(
                pb::get_resource_identity_schemas::Request {},
            ))
            .await
            .expect("rpc")
            .into_inner();
        let identity = &identities.identity_schemas[TYPE_NAME];
        assert_eq!(identity.version, 0);
        let fields: Vec<(&str, bool, bool)> = identity
            .identity_attributes
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.required_for_import,
                    a.optional_for_import,
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("name", true, false),
                ("region", false, true),
                ("account_id", false, true)
            ]
        );
    }
}

async fn run(client: Client) {
    let label = format!("{} {}", client.name, client.version);
    let service = service();
    discovery(&service, client).await;
    if !client.functions_when_configured {
        get_functions(&service).await;
        call_functions(&service).await;
    }
    let configured = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: client.version.into(),
            config: dynamic(&provider_config(), &wp_resource_provider_type()),
            client_capabilities: client.capabilities(),
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{label}: {configured:?}");
    if client.functions_when_configured {
        get_functions(&service).await;
        call_functions(&service).await;
    }

    let ty = resource_type();
    let config = config();
    let validated = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: TYPE_NAME.into(),
            config: dynamic(&config, &ty),
            client_capabilities: client.capabilities(),
        }))
        .await
        .expect("rpc")
        .into_inner();
    if !client.write_only {
        assert_eq!(
            errors(&validated.diagnostics),
            ["Write-only password not supported by this Terraform version"],
            "{label}"
        );
        assert_eq!(
            path_of(&validated.diagnostics[0]),
            ["database", "password_wo"]
        );
        assert!(validated.diagnostics[0]
            .detail
            .contains("`database.password`"));
        upgrade(&service, &label).await;
        return;
    }
    assert!(validated.diagnostics.is_empty(), "{label}: {validated:?}");

    let plan = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: TYPE_NAME.into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            client_capabilities: client.capabilities(),
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        plan.diagnostics.is_empty(),
        "{label}: {:?}",
        plan.diagnostics
    );
    assert!(
        plan.planned_identity.is_none(),
        "a create has no identity yet"
    );
    let planned = undynamic(plan.planned_state, &ty);
    assert!(
        planned.attr("database").attr("password_wo").is_null(),
        "{label}"
    );
    assert_eq!(
        planned.attr("database").attr("password_wo_version"),
        &Value::from(1i64)
    );
    assert!(planned.attr("database").attr("password").is_null());

    let applied = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: TYPE_NAME.into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: dynamic(&planned, &ty),
            config: dynamic(&config, &ty),
            planned_private: plan.planned_private,
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        applied.diagnostics.is_empty(),
        "{label}: {:?}",
        applied.diagnostics
    );
    let state = undynamic(applied.new_state, &ty);
    assert!(state.attr("database").attr("password_wo").is_null());
    assert!(state.is_wholly_known());
    let private = String::from_utf8(applied.private.clone()).expect("utf-8");
    assert!(!private.contains("Wr1te-0nly-Pass"), "{private}");
    let new_identity = applied.new_identity.clone();
    assert_eq!(
        undynamic(
            new_identity.clone().and_then(|i| i.identity_data),
            &identity_type()
        ),
        expected_identity()
    );

    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: TYPE_NAME.into(),
            current_state: dynamic(&state, &ty),
            private: applied.private.clone(),
            client_capabilities: client.capabilities(),
            current_identity: if client.identity {
                new_identity.clone()
            } else {
                None
            },
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        read.diagnostics.is_empty(),
        "{label}: {:?}",
        read.diagnostics
    );
    assert_eq!(
        undynamic(read.new_state, &ty),
        state,
        "{label}: a read changes nothing"
    );
    assert_eq!(read.private, applied.private);
    assert_eq!(
        undynamic(
            read.new_identity.and_then(|i| i.identity_data),
            &identity_type()
        ),
        expected_identity()
    );

    // An update with a new password version: the identity is kept in the plan.
    let mut next = config.clone();
    let mut database = next.attr("database").clone();
    database.set_attr("password_wo_version", Value::from(2i64));
    next.set_attr("database", database);
    let update = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: TYPE_NAME.into(),
            prior_state: dynamic(&state, &ty),
            proposed_new_state: dynamic(&next, &ty),
            config: dynamic(&next, &ty),
            prior_private: applied.private.clone(),
            client_capabilities: client.capabilities(),
            prior_identity: if client.identity {
                new_identity.clone()
            } else {
                None
            },
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        update.diagnostics.is_empty(),
        "{label}: {:?}",
        update.diagnostics
    );
    let updated = undynamic(update.planned_state, &ty);
    assert!(updated.attr("database").attr("password_wo").is_null());
    let changes = updated.attr(wp_resource::stack::schema::PLANNED_CHANGES);
    assert!(
        changes
            .string_items()
            .iter()
            .any(|c| c.contains("master password")),
        "{label}: {changes:?}"
    );
    assert_eq!(
        undynamic(
            update.planned_identity.and_then(|i| i.identity_data),
            &identity_type()
        ),
        expected_identity()
    );

    if client.identity {
        import_by_identity(&service, &label).await;
    }
    data_source(&service, client).await;
    upgrade(&service, &label).await;
}

async fn import_by_identity(service: &ProviderService, label: &str) {
    let imported = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: TYPE_NAME.into(),
            id: String::new(),
            identity: identity_data(&Value::object_of([
                ("name", Value::from("blog")),
                ("region", Value::Null),
                ("account_id", Value::Null),
            ])),
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        imported.diagnostics.is_empty(),
        "{label}: {:?}",
        imported.diagnostics
    );
    let resource = &imported.imported_resources[0];
    let state = undynamic(resource.state.clone(), &resource_type());
    assert_eq!(state.attr("name"), &Value::from("blog"));
    assert!(state.attr("database").attr("password").is_null());
    assert_eq!(
        undynamic(
            resource.identity.clone().and_then(|i| i.identity_data),
            &identity_type()
        ),
        expected_identity()
    );
    let elsewhere = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: TYPE_NAME.into(),
            identity: identity_data(&Value::object_of([
                ("name", Value::from("blog")),
                ("region", Value::from("us-west-2")),
                ("account_id", Value::Null),
            ])),
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(elsewhere.imported_resources.is_empty());
    assert_eq!(
        errors(&elsewhere.diagnostics),
        ["Stack not in the identity's region or account"]
    );
    let upgraded = service
        .upgrade_resource_identity(Request::new(pb::upgrade_resource_identity::Request {
            type_name: TYPE_NAME.into(),
            version: 0,
            raw_identity: Some(pb::RawState {
                json: br#"{"name":"blog","region":"eu-west-3","account_id":"123456789012"}"#
                    .to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(upgraded.diagnostics.is_empty());
    assert_eq!(
        undynamic(
            upgraded.upgraded_identity.and_then(|i| i.identity_data),
            &identity_type()
        ),
        expected_identity()
    );
}

async fn data_source(service: &ProviderService, client: Client) {
    let schema = &wp_resource::stack::data_source::schemas()[TYPE_NAME];
    let ty = schema.value_type();
    let mut config: BTreeMap<String, Value> = schema
        .block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), Value::Null))
        .collect();
    config.insert("name".into(), Value::from("blog"));
    let read = service
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: TYPE_NAME.into(),
            config: dynamic(&Value::object(config), &ty),
            client_capabilities: client.capabilities(),
            ..Default::default()
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    let state = undynamic(read.state, &ty);
    assert_eq!(state.attr("url"), &Value::from("http://blog.example.com"));
    assert_eq!(state.attr("secret_arn"), &Value::from(SECRET_ARN));
    assert_eq!(state.attr("region"), &Value::from("eu-west-3"));
}

/// A version-0 state (generated password stored) comes back without it, write-only null.
async fn upgrade(service: &ProviderService, label: &str) {
    let generated = stack_model::secrets::generate_db_password();
    let raw = serde_json::json!({
        "name": "blog",
        "id": "blog",
        "database": { "password": generated.expose(), "instance_class": "db.t3.micro" },
        "resources": { "app_secret": SECRET_ARN }
    });
    let upgraded = service
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: TYPE_NAME.into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: raw.to_string().into_bytes(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        upgraded.diagnostics.is_empty(),
        "{label}: {:?}",
        upgraded.diagnostics
    );
    let state = undynamic(upgraded.upgraded_state, &resource_type());
    assert!(state.attr("database").attr("password").is_null(), "{label}");
    assert!(state.attr("database").attr("password_wo").is_null());
    assert_eq!(
        state.attr("database").attr("instance_class"),
        &Value::from("db.t3.micro")
    );
}

#[tokio::test]
async fn terraform_1_11_has_write_only_but_no_identity() {
    run(CLIENTS[0]).await;
}

#[tokio::test]
async fn terraform_1_12_adds_resource_identity() {
    run(CLIENTS[1]).await;
}

#[tokio::test]
async fn terraform_1_14_gets_the_same_answers() {
    run(CLIENTS[2]).await;
}

#[tokio::test]
async fn opentofu_1_10_is_refused_password_wo_and_told_the_alternative() {
    run(CLIENTS[3]).await;
}

#[tokio::test]
async fn opentofu_1_11_has_write_only_and_asks_functions_when_configured() {
    run(CLIENTS[4]).await;
}
