//! Reads of stacks the configuration names rather than owns: import (by id, or by identity
//! from Terraform 1.12+) and the `wordpress_ha_stack` data source, possibly in another region
//! than the provider's. Both go through the engine's import, the refresh code of every read.

use std::sync::Arc;

use stack_model::settings::AwsSettings;
use tfplugin::diagnostics::Diagnostic;
use tfplugin::service::{DataSourceResponse, ImportResponse, ImportedResource};
use tfplugin::value::Value;

use super::backend::{private_bytes, warning_diagnostics, WordpressProvider};
use super::convert;
use super::data_source;
use super::diagnose::stack_diagnostic;
use super::engine::StackEngine;
use super::identity;
use super::schema::TYPE_NAME;

impl WordpressProvider {
    /// The engine of `region`: the configured one when it is the provider's region (or none
    /// is asked), else one connected with the provider's settings in that region.
    async fn engine_in(&self, region: Option<&str>) -> Result<Arc<dyn StackEngine>, Diagnostic> {
        let engine = self.engine().await?;
        let settings: AwsSettings = self.settings.read().await.clone().unwrap_or_default();
        match region {
            Some(region) if settings.region.as_deref() != Some(region) => {
                let settings = AwsSettings {
                    region: Some(region.to_string()),
                    ..settings
                };
                self.connector
                    .connect(settings)
                    .await
                    .map_err(|err| stack_diagnostic(&err))
            }
            _ => Ok(engine),
        }
    }

    /// `terraform import`: by the stack's name (the import id), or by an identity naming it.
    pub(super) async fn import_stack(
        &self,
        type_name: &str,
        id: &str,
        by_identity: Option<&Value>,
    ) -> ImportResponse {
        let mut response = ImportResponse::default();
        if type_name != TYPE_NAME {
            response.diagnostics.push(Self::unknown_type(type_name));
            return response;
        }
        let target = match by_identity.filter(|_| id.is_empty()) {
            Some(wanted) => match identity::import_target(wanted) {
                Ok(target) => Some(target),
                Err(diagnostic) => {
                    response.diagnostics.push(diagnostic);
                    return response;
                }
            },
            None => None,
        };
        let name = target.as_ref().map_or(id, |t| t.name.as_str());
        let engine = match self.engine().await {
            Ok(engine) => engine,
            Err(diagnostic) => {
                response.diagnostics.push(diagnostic);
                return response;
            }
        };
        match engine.import(name).await {
            Ok(state) => {
                let value = convert::imported_state_value(&state);
                let found = identity::of_state(&value);
                if let Some(target) = &target {
                    if let Err(diagnostic) = identity::check_imported(target, found.as_ref()) {
                        response.diagnostics.push(diagnostic);
                        return response;
                    }
                }
                response.imported.push(ImportedResource {
                    type_name: TYPE_NAME.to_string(),
                    state: value,
                    private: private_bytes(&state),
                    identity: found,
                });
            }
            Err(err) => response.diagnostics.push(stack_diagnostic(&err)),
        }
        response
    }

    /// The data source: the stack `name` in `region` (default: the provider's), read only.
    pub(super) async fn read_stack(&self, config: &Value) -> DataSourceResponse {
        let mut response = DataSourceResponse::default();
        let (name, region) = match data_source::target(config) {
            Ok(target) => target,
            Err(diagnostic) => {
                response.diagnostics.push(diagnostic);
                return response;
            }
        };
        let engine = match self.engine_in(region.as_deref()).await {
            Ok(engine) => engine,
            Err(diagnostic) => {
                response.diagnostics.push(diagnostic);
                return response;
            }
        };
        match engine.import(&name).await {
            Ok(state) => {
                response.diagnostics.extend(warning_diagnostics(&state));
                response.state = data_source::value(&state, region.as_deref());
            }
            Err(err) => response.diagnostics.push(stack_diagnostic(&err)),
        }
        response
    }
}
