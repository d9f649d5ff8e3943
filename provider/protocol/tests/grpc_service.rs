//! Every RPC of the tfplugin6 Provider service, over plain TCP, against a fake backend.

mod common;

use std::time::Duration;

use common::*;
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::plugin::Empty;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::server::RunningServer;
use tfplugin::value::Value;
use tonic::transport::Channel;

const LIMIT: usize = 256 << 20;

async fn client(server: &RunningServer) -> ProviderClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", server.handshake.address))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    ProviderClient::new(channel)
        .max_decoding_message_size(LIMIT)
        .max_encoding_message_size(LIMIT)
}

async fn started() -> (
    RunningServer,
    ProviderClient<Channel>,
    std::sync::Arc<FakeBackend>,
) {
    let backend = FakeBackend::new();
    let server = start_server(backend.clone(), None).await;
    let client = client(&server).await;
    (server, client, backend)
}

#[tokio::test]
async fn plain_tcp_handshake_has_no_certificate() {
    let (server, _client, _) = started().await;
    let line = server.handshake.line();
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    assert_eq!(&fields[..3], ["1", "6", "tcp"]);
    assert!(fields[3].starts_with("127.0.0.1:"));
    assert_eq!((fields[4], fields[5]), ("grpc", ""));
}

#[tokio::test]
async fn get_metadata_lists_resources_and_capabilities() {
    let (_server, mut client, _) = started().await;
    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("rpc")
        .into_inner();
    let names: Vec<_> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.as_str())
        .collect();
    assert_eq!(names, [RESOURCE]);
    assert!(metadata.data_sources.is_empty());
    let capabilities = metadata.server_capabilities.expect("capabilities");
    assert!(capabilities.plan_destroy);
    // The schema is fixed per binary: clients may reuse a cached copy.
    assert!(capabilities.get_provider_schema_optional);
    assert!(!capabilities.move_resource_state && !capabilities.generate_resource_config);
    assert!(metadata.diagnostics.is_empty());
}

#[tokio::test]
async fn get_provider_schema_serves_the_backend_schemas() {
    let (_server, mut client, _) = started().await;
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert!(schema.diagnostics.is_empty());
    assert!(
        schema
            .server_capabilities
            .expect("capabilities")
            .plan_destroy
    );
    let provider = schema
        .provider
        .expect("provider schema")
        .block
        .expect("block");
    assert_eq!(provider.attributes[0].name, "region");
    let resource = &schema.resource_schemas[RESOURCE];
    assert_eq!(resource.version, 3);
    let block = resource.block.as_ref().expect("block");
    let secret = block
        .attributes
        .iter()
        .find(|a| a.name == "secret")
        .expect("secret");
    assert!(secret.sensitive && secret.optional && secret.computed);
    let tags = block
        .attributes
        .iter()
        .find(|a| a.name == "tags")
        .expect("tags");
    assert_eq!(tags.r#type, br#"["map","string"]"#.to_vec());
    assert_eq!(block.block_types[0].type_name, "net");
    assert_eq!(
        block.block_types[0].nesting,
        pb::schema::nested_block::NestingMode::Single as i32
    );
    let again = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(again.resource_schemas[RESOURCE], *resource);
}

#[tokio::test]
async fn validate_provider_config_reports_backend_diagnostics_with_paths() {
    let (_server, mut client, _) = started().await;
    let bad = Value::object_of([("region", Value::from("mars-1"))]);
    let response = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dynamic(&bad, &provider_type()),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(errors(&response.diagnostics), ["Unknown region"]);
    assert_eq!(
        first_step(&response.diagnostics[0]).as_deref(),
        Some("region")
    );
    let good = Value::object_of([("region", Value::Unknown)]);
    let response = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dynamic(&good, &provider_type()),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(response.diagnostics.is_empty());
}

#[tokio::test]
async fn validate_resource_config_decodes_checks_and_refuses_garbage() {
    let (_server, mut client, backend) = started().await;
    let validate = |type_name: &str, msgpack: Vec<u8>| pb::validate_resource_config::Request {
        type_name: type_name.to_string(),
        config: Some(pb::DynamicValue {
            msgpack,
            json: vec![],
        }),
        client_capabilities: None,
    };
    let bad_name = tfplugin::codec::encode_msgpack(&sample_config("bad name"), &resource_type())
        .expect("encodes");
    let response = client
        .validate_resource_config(validate(RESOURCE, bad_name.clone()))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(errors(&response.diagnostics), ["Invalid name"]);
    assert_eq!(
        first_step(&response.diagnostics[0]).as_deref(),
        Some("name")
    );
    let seen = backend.calls.lock().expect("lock").validated[0].clone();
    assert_eq!(seen.attr("net").attr("cidr").as_str(), Some("10.0.0.0/16"));
    assert_eq!(seen.attr("tags").attr("env").as_str(), Some("test"));

    let unknown_type = client
        .validate_resource_config(validate("test_other", bad_name))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        errors(&unknown_type.diagnostics),
        [r#"Unknown resource type "test_other""#]
    );

    let garbage = client
        .validate_resource_config(validate(RESOURCE, vec![0x92, 0x01]))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        errors(&garbage.diagnostics),
        ["Invalid resource configuration received from Terraform"]
    );
}

#[tokio::test]
async fn messages_beyond_four_mebibytes_are_accepted() {
    let (_server, mut client, backend) = started().await;
    let big_name = "x".repeat(5 << 20);
    let response = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: RESOURCE.into(),
            config: dynamic(&sample_config(&big_name), &resource_type()),
            client_capabilities: None,
        })
        .await
        .expect("a 5 MiB request is accepted")
        .into_inner();
    assert!(response.diagnostics.is_empty());
    let seen = backend.calls.lock().expect("lock").validated.len();
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn upgrade_resource_state_turns_stored_json_into_msgpack() {
    let (_server, mut client, _) = started().await;
    let json = br#"{"id":"id-a","name":"a","size":2,"removed_attribute":true,"net":null}"#;
    let response = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: RESOURCE.into(),
            version: 1,
            raw_state: Some(pb::RawState {
                json: json.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let state = undynamic(response.upgraded_state, &resource_type());
    assert_eq!(state.attr("id").as_str(), Some("id-a"));
    assert_eq!(state.attr("size").as_i64(), Some(2));
    assert!(state.attr("tags").is_null());
    assert!(state.get_attr("removed_attribute").is_none());

    let flatmap = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: RESOURCE.into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: vec![],
                flatmap: [("id".to_string(), "x".to_string())].into(),
            }),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        errors(&flatmap.diagnostics),
        ["Legacy state format not supported"]
    );

    let broken = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: RESOURCE.into(),
            version: 3,
            raw_state: Some(pb::RawState {
                json: b"{\"name\":".to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        errors(&broken.diagnostics),
        ["Invalid stored state received from Terraform"]
    );
}

#[tokio::test]
async fn configure_provider_passes_config_and_version() {
    let (_server, mut client, backend) = started().await;
    let config = Value::object_of([("region", Value::from("us-east-1"))]);
    let response = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.0.3".into(),
            config: dynamic(&config, &provider_type()),
            client_capabilities: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(response.diagnostics.len(), 1);
    assert_eq!(
        response.diagnostics[0].severity,
        pb::diagnostic::Severity::Warning as i32
    );
    let configured = backend.calls.lock().expect("lock").configured_with.clone();
    assert_eq!(configured, Some((config, "1.0.3".to_string())));
}

#[tokio::test]
async fn read_resource_refreshes_keeps_private_and_reports_gone() {
    let (_server, mut client, backend) = started().await;
    let state = sample_config("a").with_attr("id", "id-a");
    let read = |state: &Value| pb::read_resource::Request {
        type_name: RESOURCE.into(),
        current_state: dynamic(state, &resource_type()),
        private: b"opaque".to_vec(),
        ..Default::default()
    };
    let response = client
        .read_resource(read(&state))
        .await
        .expect("rpc")
        .into_inner();
    assert!(response.diagnostics.is_empty());
    assert_eq!(response.private, b"opaque");
    let refreshed = undynamic(response.new_state, &resource_type());
    assert_eq!(refreshed.attr("size").as_i64(), Some(42));
    assert_eq!(refreshed.attr("id").as_str(), Some("id-a"));
    assert_eq!(
        backend.calls.lock().expect("lock").read_private,
        [b"opaque".to_vec()]
    );

    let gone = sample_config("gone");
    let response = client
        .read_resource(read(&gone))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(undynamic(response.new_state, &resource_type()), Value::Null);

    let garbage = pb::read_resource::Request {
        type_name: RESOURCE.into(),
        current_state: Some(pb::DynamicValue {
            msgpack: vec![0xc1, 0xff, 0x00],
            json: vec![],
        }),
        private: b"keep".to_vec(),
        ..Default::default()
    };
    let response = client
        .read_resource(garbage)
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(errors(&response.diagnostics).len(), 1);
    assert_eq!(response.private, b"keep", "private state survives an error");
}

#[tokio::test]
async fn plan_resource_change_handles_create_replace_and_destroy() {
    let (_server, mut client, _) = started().await;
    let ty = resource_type();
    let plan = |prior: &Value, proposed: &Value| pb::plan_resource_change::Request {
        type_name: RESOURCE.into(),
        prior_state: dynamic(prior, &ty),
        proposed_new_state: dynamic(proposed, &ty),
        config: dynamic(proposed, &ty),
        ..Default::default()
    };
    let config = sample_config("a");
    let create = client
        .plan_resource_change(plan(&Value::Null, &config))
        .await
        .expect("rpc")
        .into_inner();
    assert!(create.diagnostics.is_empty(), "{:?}", create.diagnostics);
    let planned = undynamic(create.planned_state, &ty);
    assert!(planned.attr("id").is_unknown());
    assert_eq!(planned.attr("name").as_str(), Some("a"));
    assert!(create.requires_replace.is_empty());
    assert_eq!(create.planned_private, b"planned");

    let prior = config
        .clone()
        .with_attr("id", "id-a")
        .with_attr("secret", "s");
    let renamed = prior.clone().with_attr("name", "b");
    let replace = client
        .plan_resource_change(plan(&prior, &renamed))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(replace.requires_replace.len(), 1);
    let step = replace.requires_replace[0].steps[0].selector.clone();
    assert_eq!(
        step,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "name".into()
        ))
    );

    let destroy = client
        .plan_resource_change(plan(&prior, &Value::Null))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(undynamic(destroy.planned_state, &ty), Value::Null);
}

#[tokio::test]
async fn apply_resource_change_returns_state_partial_state_and_null_on_destroy() {
    let (_server, mut client, _) = started().await;
    let ty = resource_type();
    let apply = |prior: &Value, planned: &Value| pb::apply_resource_change::Request {
        type_name: RESOURCE.into(),
        prior_state: dynamic(prior, &ty),
        planned_state: dynamic(planned, &ty),
        config: dynamic(&sample_config("a"), &ty),
        planned_private: b"planned".to_vec(),
        ..Default::default()
    };
    let planned = sample_config("a").with_attr("id", Value::Unknown);
    let created = client
        .apply_resource_change(apply(&Value::Null, &planned))
        .await
        .expect("rpc")
        .into_inner();
    assert!(created.diagnostics.is_empty());
    let state = undynamic(created.new_state, &ty);
    assert_eq!(state.attr("id").as_str(), Some("id-a"));
    assert_eq!(state.attr("secret").as_str(), Some("s3cret"));
    assert!(state.is_wholly_known());
    assert_eq!(created.private, b"planned");

    let failing = sample_config("fails").with_attr("id", Value::Unknown);
    let partial = client
        .apply_resource_change(apply(&Value::Null, &failing))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(errors(&partial.diagnostics), ["Creation failed"]);
    assert_eq!(
        undynamic(partial.new_state, &ty).attr("id").as_str(),
        Some("partial")
    );

    let buggy = sample_config("schema-bug");
    let bug = client
        .apply_resource_change(apply(&Value::Null, &buggy))
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        errors(&bug.diagnostics),
        ["Provider produced an invalid new state"]
    );

    let destroyed = client
        .apply_resource_change(apply(&state, &Value::Null))
        .await
        .expect("rpc")
        .into_inner();
    assert!(destroyed.diagnostics.is_empty());
    assert_eq!(undynamic(destroyed.new_state, &ty), Value::Null);
}

#[tokio::test]
async fn import_resource_state_encodes_every_imported_resource() {
    let (_server, mut client, _) = started().await;
    let response = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: RESOURCE.into(),
            id: "blog".into(),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(response.diagnostics.is_empty());
    let imported = &response.imported_resources[0];
    assert_eq!(imported.type_name, RESOURCE);
    assert_eq!(imported.private, b"imported");
    let state = undynamic(imported.state.clone(), &resource_type());
    assert_eq!(state.attr("id").as_str(), Some("blog"));
    assert!(state.attr("net").is_null());

    let unknown = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_nope".into(),
            id: "x".into(),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert!(unknown.imported_resources.is_empty());
    assert_eq!(errors(&unknown.diagnostics).len(), 1);
}

fn assert_not_supported(diagnostics: &[pb::Diagnostic]) {
    let errors = errors(diagnostics);
    assert_eq!(errors.len(), 1, "{diagnostics:?}");
    assert!(
        errors[0].contains("not supported by this provider"),
        "{}",
        errors[0]
    );
}

#[tokio::test]
async fn unsupported_rpcs_answer_with_a_diagnostic_not_a_grpc_error() {
    let (_server, mut client, _) = started().await;
    // A backend without data sources: any data source is unknown, with a diagnostic.
    let data = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "test_data".into(),
            config: None,
        })
        .await
        .expect("rpc");
    assert_eq!(
        errors(&data.into_inner().diagnostics),
        ["Unknown data source \"test_data\""]
    );
    let read = client
        .read_data_source(pb::read_data_source::Request {
            type_name: "test_data".into(),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(
        errors(&read.diagnostics),
        ["Unknown data source \"test_data\""]
    );
    assert!(read.state.is_none());
    let moved = client
        .move_resource_state(pb::move_resource_state::Request::default())
        .await
        .expect("rpc");
    assert_not_supported(&moved.into_inner().diagnostics);
    let ephemeral = client
        .validate_ephemeral_resource_config(
            pb::validate_ephemeral_resource_config::Request::default(),
        )
        .await
        .expect("rpc");
    assert_not_supported(&ephemeral.into_inner().diagnostics);
    let opened = client
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request::default())
        .await
        .expect("rpc");
    assert_not_supported(&opened.into_inner().diagnostics);
    let renewed = client
        .renew_ephemeral_resource(pb::renew_ephemeral_resource::Request::default())
        .await
        .expect("rpc");
    assert_not_supported(&renewed.into_inner().diagnostics);
    let closed = client
        .close_ephemeral_resource(pb::close_ephemeral_resource::Request::default())
        .await
        .expect("rpc");
    assert_not_supported(&closed.into_inner().diagnostics);
    let identity = client
        .upgrade_resource_identity(pb::upgrade_resource_identity::Request::default())
        .await
        .expect("rpc");
    assert_eq!(
        errors(&identity.into_inner().diagnostics),
        ["Resource type has no identity"]
    );
}

#[tokio::test]
async fn discovery_rpcs_of_unused_features_answer_empty() {
    let (_server, mut client, _) = started().await;
    let identities = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert!(identities.identity_schemas.is_empty() && identities.diagnostics.is_empty());
    let functions = client
        .get_functions(pb::get_functions::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert!(functions.functions.is_empty() && functions.diagnostics.is_empty());
    let call = client
        .call_function(pb::call_function::Request {
            name: "f".into(),
            arguments: vec![],
        })
        .await
        .expect("rpc")
        .into_inner();
    let error = call.error.expect("a function error");
    assert!(
        error.text.contains("not provided by this provider"),
        "{}",
        error.text
    );
    assert!(call.result.is_none());
}

#[tokio::test]
async fn stop_provider_reaches_the_backend() {
    let (_server, mut client, backend) = started().await;
    let response = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(response.error, "");
    assert_eq!(backend.calls.lock().expect("lock").stops, 1);
}

#[tokio::test]
async fn health_service_reports_plugin_serving() {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{health_check_response::ServingStatus, HealthCheckRequest};
    let (server, _client, _) = started().await;
    let channel = Channel::from_shared(format!("http://{}", server.handshake.address))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("rpc")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
}

#[tokio::test]
async fn controller_shutdown_stops_the_server() {
    let (server, client, _) = started().await;
    drop(client);
    let channel = Channel::from_shared(format!("http://{}", server.handshake.address))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    let mut controller = GrpcControllerClient::new(channel.clone());
    controller.shutdown(Empty {}).await.expect("shutdown rpc");
    drop(controller);
    drop(channel);
    tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("server stops after Shutdown")
        .expect("clean stop");
}
