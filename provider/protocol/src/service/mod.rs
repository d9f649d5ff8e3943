//! The tfplugin6 `Provider` gRPC service, generic over a [`ProviderBackend`].
//!
//! The backend (resource code) sees only [`Value`](crate::value::Value)s,
//! [`Schema`](crate::schema::Schema)s and [`Diagnostic`]s; this
//! module decodes every `DynamicValue` with the declared type, encodes results,
//! and turns every problem into a diagnostic, never a gRPC error:
//!
//! - unknown type names, malformed msgpack/JSON, results that don't fit the schema
//!   → error diagnostics;
//! - ephemeral resources and MoveResourceState → a "not supported by this provider" error
//!   diagnostic; data sources, resource identities and functions are served when the backend
//!   declares them (`data_sources`, `identity`, `functions`);
//! - write-only attributes are null in every plan and state this service sends, whatever the
//!   backend returned; the client's capabilities reach the backend;
//! - GetProviderSchema is built once at construction and cloned per call;
//! - GetMetadata lists the resource and data source types and the functions, with the
//!   server capabilities of `wire::server_capabilities`.
//!
//! Rules the backend must honour (Terraform enforces them): `plan_resource_change` is also
//! called for destroys (proposed state null; plan null), and `apply_resource_change` with a
//! null planned state means destroy (return null).
//!
//! [`backend`] holds the trait and its request/response types; `wire` the conversions
//! between protocol messages and values/diagnostics.

pub mod backend;
mod data_sources;
mod functions;
mod identity;
mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::diagnostics::{self, AttributePath, Diagnostic};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider;
use crate::schema::Schema;
use crate::value::{Type, Value};

pub use backend::{
    ApplyRequest, ApplyResponse, ClientCapabilities, DataSourceRequest, DataSourceResponse,
    ImportRequest, ImportResponse, ImportedResource, PlanRequest, PlanResponse, ProviderBackend,
    ReadRequest, ReadResponse, UpgradeRequest, UpgradeResponse,
};
use wire::{
    capabilities, decode, decode_raw_state, encode, schema_response, server_capabilities,
    unsupported, upgrade_error,
};

/// The gRPC service: decode, delegate to the backend, encode.
pub struct ProviderService {
    backend: Arc<dyn ProviderBackend>,
    provider_type: Type,
    resource_types: BTreeMap<String, Type>,
    data_sources: data_sources::DataSources,
    identity: identity::Identities,
    functions: functions::Functions,
    schema_response: pb::get_provider_schema::Response,
}

impl ProviderService {
    pub fn new(backend: Arc<dyn ProviderBackend>) -> ProviderService {
        let provider_type = backend.provider_schema().value_type();
        let resource_types = backend
            .resource_schemas()
            .iter()
            .map(|(name, schema)| (name.clone(), schema.value_type()))
            .collect();
        let data_sources = data_sources::DataSources::new(backend.data_source_schemas());
        let functions = functions::Functions::new(backend.functions());
        let schema_response = schema_response(
            backend.as_ref(),
            data_sources.schemas(),
            functions.definitions(),
        );
        ProviderService {
            identity: identity::Identities::new(backend.identity_schemas()),
            backend,
            provider_type,
            resource_types,
            data_sources,
            functions,
            schema_response,
        }
    }

    /// The resource schema of `type_name` (known to exist once its type was found).
    fn resource_schema(&self, type_name: &str) -> Option<&Schema> {
        self.backend.resource_schemas().get(type_name)
    }

    /// Write-only attributes are never planned or stored: null them in whatever goes back.
    fn without_write_only(&self, type_name: &str, mut value: Value) -> Value {
        if let Some(schema) = self.resource_schema(type_name) {
            schema.block.null_write_only(&mut value);
        }
        value
    }

    fn resource_type(&self, type_name: &str) -> Result<&Type, Diagnostic> {
        self.resource_types.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                format!("Unknown resource type {type_name:?}"),
                format!(
                    "This provider serves only these resource types: {}.",
                    self.resource_types
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }
}

type Reply<T> = Result<Response<T>, Status>;

fn reply<T>(message: T) -> Reply<T> {
    Ok(Response::new(message))
}

#[tonic::async_trait]
impl Provider for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Reply<pb::get_metadata::Response> {
        let resources = self
            .resource_types
            .keys()
            .map(|type_name| pb::get_metadata::ResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect();
        reply(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            resources,
            data_sources: self.data_sources.metadata(),
            functions: self.functions.metadata(),
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        reply(self.schema_response.clone())
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Reply<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let diagnostics = match decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            Ok(config) => self.backend.validate_provider_config(&config).await,
            Err(diagnostic) => vec![diagnostic],
        };
        reply(pb::validate_provider_config::Response {
            diagnostics: diagnostics::to_proto_list(&diagnostics),
        })
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Reply<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let diagnostics = match self
            .resource_type(&request.type_name)
            .and_then(|ty| decode(request.config.as_ref(), ty, "resource configuration"))
        {
            Ok(config) => {
                let client = capabilities(request.client_capabilities.as_ref());
                self.backend
                    .validate_resource_config_for_client(&request.type_name, &config, client)
                    .await
            }
            Err(diagnostic) => vec![diagnostic],
        };
        reply(pb::validate_resource_config::Response {
            diagnostics: diagnostics::to_proto_list(&diagnostics),
        })
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        reply(self.validate_data_source(request.into_inner()).await)
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let ty = match self.resource_type(&request.type_name) {
            Ok(ty) => ty,
            Err(diagnostic) => return reply(upgrade_error(diagnostic)),
        };
        let (state, raw_json) = match decode_raw_state(request.raw_state.as_ref(), ty) {
            Ok(decoded) => decoded,
            Err(diagnostic) => return reply(upgrade_error(diagnostic)),
        };
        let request_type = request.type_name.clone();
        let upgraded = self
            .backend
            .upgrade_resource_state(UpgradeRequest {
                type_name: request.type_name,
                version: request.version,
                state,
                raw_json,
            })
            .await;
        let mut diagnostics = upgraded.diagnostics;
        let state = self.without_write_only(&request_type, upgraded.state);
        let upgraded_state = encode(&state, ty, "upgraded state", &mut diagnostics);
        reply(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics::to_proto_list(&diagnostics),
        })
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Reply<pb::get_resource_identity_schemas::Response> {
        // An empty map (no identities) is a valid answer, not an error.
        reply(self.identity.schemas_response())
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Reply<pb::upgrade_resource_identity::Response> {
        reply(self.identity.upgrade(request.into_inner()))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Reply<pb::configure_provider::Response> {
        let request = request.into_inner();
        let diagnostics = match decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            Ok(config) => {
                self.backend
                    .configure_provider(&config, &request.terraform_version)
                    .await
            }
            Err(diagnostic) => vec![diagnostic],
        };
        reply(pb::configure_provider::Response {
            diagnostics: diagnostics::to_proto_list(&diagnostics),
        })
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Reply<pb::read_resource::Response> {
        let request = request.into_inner();
        let decoded = self.resource_type(&request.type_name).and_then(|ty| {
            Ok((
                ty,
                decode(request.current_state.as_ref(), ty, "current state")?,
            ))
        });
        let (ty, current_state) = match decoded {
            Ok(decoded) => decoded,
            Err(diagnostic) => {
                return reply(pb::read_resource::Response {
                    // Hand the state back untouched so an error loses nothing.
                    new_state: request.current_state,
                    private: request.private,
                    diagnostics: vec![diagnostic.to_proto()],
                    ..Default::default()
                });
            }
        };
        let type_name = request.type_name.clone();
        let mut diagnostics = Vec::new();
        let current_identity = self.identity.decode(
            &type_name,
            request.current_identity.as_ref(),
            &mut diagnostics,
        );
        let read = self
            .backend
            .read_resource(ReadRequest {
                type_name: request.type_name,
                current_state,
                private: request.private,
                client: capabilities(request.client_capabilities.as_ref()),
                current_identity,
            })
            .await;
        diagnostics.extend(read.diagnostics);
        let new_state = self.without_write_only(&type_name, read.new_state);
        let new_identity =
            self.identity
                .encode(&type_name, read.new_identity.as_ref(), &mut diagnostics);
        let new_state = encode(&new_state, ty, "refreshed state", &mut diagnostics);
        reply(pb::read_resource::Response {
            new_state,
            private: read.private,
            diagnostics: diagnostics::to_proto_list(&diagnostics),
            new_identity,
            ..Default::default()
        })
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let decoded = self.resource_type(&request.type_name).and_then(|ty| {
            let prior_state = decode(request.prior_state.as_ref(), ty, "prior state")?;
            let proposed = decode(
                request.proposed_new_state.as_ref(),
                ty,
                "proposed new state",
            )?;
            let config = decode(request.config.as_ref(), ty, "configuration")?;
            Ok((ty, prior_state, proposed, config))
        });
        let (ty, prior_state, proposed_new_state, config) = match decoded {
            Ok(decoded) => decoded,
            Err(diagnostic) => {
                return reply(pb::plan_resource_change::Response {
                    diagnostics: vec![diagnostic.to_proto()],
                    ..Default::default()
                })
            }
        };
        let type_name = request.type_name.clone();
        let mut diagnostics = Vec::new();
        let prior_identity = self.identity.decode(
            &type_name,
            request.prior_identity.as_ref(),
            &mut diagnostics,
        );
        let plan = self
            .backend
            .plan_resource_change(PlanRequest {
                type_name: request.type_name,
                prior_state,
                proposed_new_state,
                config,
                prior_private: request.prior_private,
                client: capabilities(request.client_capabilities.as_ref()),
                prior_identity,
            })
            .await;
        diagnostics.extend(plan.diagnostics);
        let planned = self.without_write_only(&type_name, plan.planned_state);
        let planned_identity =
            self.identity
                .encode(&type_name, plan.planned_identity.as_ref(), &mut diagnostics);
        let planned_state = encode(&planned, ty, "planned state", &mut diagnostics);
        reply(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: plan
                .requires_replace
                .iter()
                .map(AttributePath::to_proto)
                .collect(),
            planned_private: plan.planned_private,
            diagnostics: diagnostics::to_proto_list(&diagnostics),
            planned_identity,
            ..Default::default()
        })
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let decoded = self.resource_type(&request.type_name).and_then(|ty| {
            let prior_state = decode(request.prior_state.as_ref(), ty, "prior state")?;
            let planned_state = decode(request.planned_state.as_ref(), ty, "planned state")?;
            let config = decode(request.config.as_ref(), ty, "configuration")?;
            Ok((ty, prior_state, planned_state, config))
        });
        let (ty, prior_state, planned_state, config) = match decoded {
            Ok(decoded) => decoded,
            Err(diagnostic) => {
                return reply(pb::apply_resource_change::Response {
                    // Nothing was done: keep the prior state.
                    new_state: request.prior_state,
                    diagnostics: vec![diagnostic.to_proto()],
                    ..Default::default()
                });
            }
        };
        let type_name = request.type_name.clone();
        let mut diagnostics = Vec::new();
        let planned_identity = self.identity.decode(
            &type_name,
            request.planned_identity.as_ref(),
            &mut diagnostics,
        );
        let applied = self
            .backend
            .apply_resource_change(ApplyRequest {
                type_name: request.type_name,
                prior_state,
                planned_state,
                config,
                planned_private: request.planned_private,
                planned_identity,
            })
            .await;
        diagnostics.extend(applied.diagnostics);
        let new_state = self.without_write_only(&type_name, applied.new_state);
        let new_identity =
            self.identity
                .encode(&type_name, applied.new_identity.as_ref(), &mut diagnostics);
        let new_state = encode(&new_state, ty, "new state", &mut diagnostics);
        reply(pb::apply_resource_change::Response {
            new_state,
            private: applied.private,
            diagnostics: diagnostics::to_proto_list(&diagnostics),
            new_identity,
            ..Default::default()
        })
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let request = request.into_inner();
        if let Err(diagnostic) = self.resource_type(&request.type_name) {
            return reply(pb::import_resource_state::Response {
                diagnostics: vec![diagnostic.to_proto()],
                ..Default::default()
            });
        }
        let mut diagnostics = Vec::new();
        let identity = self.identity.decode(
            &request.type_name,
            request.identity.as_ref(),
            &mut diagnostics,
        );
        if !diagnostics.is_empty() {
            return reply(pb::import_resource_state::Response {
                diagnostics: diagnostics::to_proto_list(&diagnostics),
                ..Default::default()
            });
        }
        let imported = self
            .backend
            .import_resource(ImportRequest {
                type_name: request.type_name,
                id: request.id,
                identity,
                client: capabilities(request.client_capabilities.as_ref()),
            })
            .await;
        diagnostics.extend(imported.diagnostics);
        let mut imported_resources = Vec::new();
        for resource in imported.imported {
            let state = match self.resource_type(&resource.type_name) {
                Ok(ty) => {
                    let state = self.without_write_only(&resource.type_name, resource.state);
                    encode(&state, ty, "imported state", &mut diagnostics)
                }
                Err(diagnostic) => {
                    diagnostics.push(diagnostic);
                    None
                }
            };
            let identity = self.identity.encode(
                &resource.type_name,
                resource.identity.as_ref(),
                &mut diagnostics,
            );
            imported_resources.push(pb::import_resource_state::ImportedResource {
                type_name: resource.type_name,
                state,
                private: resource.private,
                identity,
            });
        }
        reply(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diagnostics::to_proto_list(&diagnostics),
            deferred: None,
        })
    }

    async fn move_resource_state(
        &self,
        _request: Request<pb::move_resource_state::Request>,
    ) -> Reply<pb::move_resource_state::Response> {
        reply(pb::move_resource_state::Response {
            diagnostics: vec![unsupported("Moving resource state is").to_proto()],
            ..Default::default()
        })
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        reply(self.read_data(request.into_inner()).await)
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Reply<pb::validate_ephemeral_resource_config::Response> {
        reply(pb::validate_ephemeral_resource_config::Response {
            diagnostics: vec![unsupported("Ephemeral resources are").to_proto()],
        })
    }

    async fn open_ephemeral_resource(
        &self,
        _request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Reply<pb::open_ephemeral_resource::Response> {
        reply(pb::open_ephemeral_resource::Response {
            diagnostics: vec![unsupported("Ephemeral resources are").to_proto()],
            ..Default::default()
        })
    }

    async fn renew_ephemeral_resource(
        &self,
        _request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Reply<pb::renew_ephemeral_resource::Response> {
        reply(pb::renew_ephemeral_resource::Response {
            diagnostics: vec![unsupported("Ephemeral resources are").to_proto()],
            ..Default::default()
        })
    }

    async fn close_ephemeral_resource(
        &self,
        _request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Reply<pb::close_ephemeral_resource::Response> {
        reply(pb::close_ephemeral_resource::Response {
            diagnostics: vec![unsupported("Ephemeral resources are").to_proto()],
        })
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Reply<pb::get_functions::Response> {
        // No configuration needed: OpenTofu asks the configured instance, Terraform may ask
        // an unconfigured one; both get the same answer.
        reply(pb::get_functions::Response {
            functions: self.functions.definitions().clone(),
            diagnostics: Vec::new(),
        })
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Reply<pb::call_function::Response> {
        reply(self.call(request.into_inner()).await)
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Reply<pb::stop_provider::Response> {
        let error = self.backend.stop().await.unwrap_or_default();
        reply(pb::stop_provider::Response { error })
    }
}
