//! Data sources on the wire: their schemas and types, and the ValidateDataResourceConfig and
//! ReadDataSource RPCs over the backend.

use std::collections::BTreeMap;

use crate::diagnostics::{self, Diagnostic};
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;
use crate::value::Type;

use super::backend::DataSourceRequest;
use super::wire::{capabilities, decode, encode};
use super::ProviderService;

pub(super) struct DataSources {
    schemas: BTreeMap<String, Schema>,
    types: BTreeMap<String, Type>,
}

impl DataSources {
    pub(super) fn new(schemas: BTreeMap<String, Schema>) -> DataSources {
        let types = schemas
            .iter()
            .map(|(name, schema)| (name.clone(), schema.value_type()))
            .collect();
        DataSources { schemas, types }
    }

    pub(super) fn schemas(&self) -> &BTreeMap<String, Schema> {
        &self.schemas
    }

    pub(super) fn metadata(&self) -> Vec<pb::get_metadata::DataSourceMetadata> {
        self.schemas
            .keys()
            .map(|type_name| pb::get_metadata::DataSourceMetadata {
                type_name: type_name.clone(),
            })
            .collect()
    }

    fn data_type(&self, type_name: &str) -> Result<&Type, Diagnostic> {
        self.types.get(type_name).ok_or_else(|| {
            let served: Vec<&str> = self.types.keys().map(String::as_str).collect();
            Diagnostic::error(
                format!("Unknown data source {type_name:?}"),
                if served.is_empty() {
                    "This provider has no data sources.".to_string()
                } else {
                    format!(
                        "This provider serves only these data sources: {}.",
                        served.join(", ")
                    )
                },
            )
        })
    }
}

impl ProviderService {
    pub(super) async fn validate_data_source(
        &self,
        request: pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let decoded = self
            .data_sources
            .data_type(&request.type_name)
            .and_then(|ty| decode(request.config.as_ref(), ty, "data source configuration"));
        let diagnostics = match decoded {
            Ok(config) => {
                self.backend
                    .validate_data_source_config(&request.type_name, &config)
                    .await
            }
            Err(diagnostic) => vec![diagnostic],
        };
        pb::validate_data_resource_config::Response {
            diagnostics: diagnostics::to_proto_list(&diagnostics),
        }
    }

    pub(super) async fn read_data(
        &self,
        request: pb::read_data_source::Request,
    ) -> pb::read_data_source::Response {
        let decoded = self
            .data_sources
            .data_type(&request.type_name)
            .and_then(|ty| {
                Ok((
                    ty,
                    decode(request.config.as_ref(), ty, "data source configuration")?,
                ))
            });
        let (ty, config) = match decoded {
            Ok(decoded) => decoded,
            Err(diagnostic) => {
                return pb::read_data_source::Response {
                    diagnostics: vec![diagnostic.to_proto()],
                    ..Default::default()
                }
            }
        };
        let read = self
            .backend
            .read_data_source(DataSourceRequest {
                type_name: request.type_name,
                config,
                client: capabilities(request.client_capabilities.as_ref()),
            })
            .await;
        let mut diagnostics = read.diagnostics;
        let state = encode(&read.state, ty, "data source state", &mut diagnostics);
        pb::read_data_source::Response {
            state,
            diagnostics: diagnostics::to_proto_list(&diagnostics),
            deferred: None,
        }
    }
}
