//! What resource code implements: [`ProviderBackend`], and the decoded requests and
//! responses it exchanges with the service.

use std::collections::BTreeMap;

use crate::diagnostics::{AttributePath, Diagnostic};
use crate::function::{Function, FunctionError};
use crate::resource_identity::IdentitySchema;
use crate::schema::Schema;
use crate::value::Value;

/// What the client said it supports (`ClientCapabilities`; all false from clients that send
/// none, such as Terraform before 1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientCapabilities {
    /// The client handles deferred changes (Terraform 1.9+ with deferrals enabled).
    pub deferral_allowed: bool,
    /// The client keeps write-only attributes out of plan and state (Terraform 1.11+,
    /// OpenTofu 1.11+). A client without it would store them like any other attribute.
    pub write_only_attributes_allowed: bool,
}

/// What the resource code implements. Every method gets decoded values and returns values
/// plus diagnostics; errors are diagnostics.
#[tonic::async_trait]
pub trait ProviderBackend: Send + Sync + 'static {
    /// The provider block's schema.
    fn provider_schema(&self) -> &Schema;

    /// Resource type name → schema (with its version).
    fn resource_schemas(&self) -> &BTreeMap<String, Schema>;

    /// Checks the provider configuration (may contain unknowns).
    async fn validate_provider_config(&self, config: &Value) -> Vec<Diagnostic>;

    /// Configures the provider once, before any resource call.
    async fn configure_provider(&self, config: &Value, terraform_version: &str) -> Vec<Diagnostic>;

    /// Checks a resource configuration (may contain unknowns).
    async fn validate_resource_config(&self, type_name: &str, config: &Value) -> Vec<Diagnostic>;

    /// Like [`ProviderBackend::validate_resource_config`], knowing what the client supports
    /// (write-only attributes a client would store must be refused here). The default ignores
    /// the capabilities.
    async fn validate_resource_config_for_client(
        &self,
        type_name: &str,
        config: &Value,
        _client: ClientCapabilities,
    ) -> Vec<Diagnostic> {
        self.validate_resource_config(type_name, config).await
    }

    /// Data source type name → schema. The default has none.
    fn data_source_schemas(&self) -> BTreeMap<String, Schema> {
        BTreeMap::new()
    }

    /// Resource type name → identity schema (protocol 6.9). The default has none.
    fn identity_schemas(&self) -> BTreeMap<String, IdentitySchema> {
        BTreeMap::new()
    }

    /// Function name → definition. Functions are offline: they must answer on an
    /// unconfigured provider too. The default has none.
    fn functions(&self) -> BTreeMap<String, Function> {
        BTreeMap::new()
    }

    /// Checks a data source configuration (may contain unknowns).
    async fn validate_data_source_config(
        &self,
        _type_name: &str,
        _config: &Value,
    ) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// Reads a data source. Only called for types of [`ProviderBackend::data_source_schemas`].
    async fn read_data_source(&self, request: DataSourceRequest) -> DataSourceResponse {
        DataSourceResponse {
            state: Value::Null,
            diagnostics: vec![Diagnostic::error(
                "Data source not implemented",
                format!(
                    "The provider declares {:?} but cannot read it.",
                    request.type_name
                ),
            )],
        }
    }

    /// Calls a function with its decoded arguments. Only called for names of
    /// [`ProviderBackend::functions`].
    async fn call_function(
        &self,
        name: &str,
        _arguments: Vec<Value>,
    ) -> Result<Value, FunctionError> {
        Err(FunctionError::new(format!(
            "Function {name:?} is not implemented."
        )))
    }

    /// Brings stored state up to the current schema. The default returns it unchanged.
    async fn upgrade_resource_state(&self, request: UpgradeRequest) -> UpgradeResponse {
        UpgradeResponse {
            state: request.state,
            diagnostics: Vec::new(),
        }
    }

    /// Refreshes state from the real world; a null new state means the object is gone.
    async fn read_resource(&self, request: ReadRequest) -> ReadResponse;

    /// Plans a create, update or destroy.
    async fn plan_resource_change(&self, request: PlanRequest) -> PlanResponse;

    /// Carries out a planned change; may return a (partial) state together with errors.
    async fn apply_resource_change(&self, request: ApplyRequest) -> ApplyResponse;

    /// Rebuilds state from an import id.
    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse;

    /// Rebuilds state from an import id or, from clients with resource identity (Terraform
    /// 1.12+), an identity. The default serves ids only.
    async fn import_resource(&self, request: ImportRequest) -> ImportResponse {
        if request.id.is_empty() && request.identity.is_some() {
            return ImportResponse {
                imported: Vec::new(),
                diagnostics: vec![Diagnostic::error(
                    "Import by identity not supported",
                    format!("Import {:?} by its id instead.", request.type_name),
                )],
            };
        }
        self.import_resource_state(&request.type_name, &request.id)
            .await
    }

    /// Asks in-flight operations to stop (Ctrl-C). `Some(message)` if stopping failed.
    async fn stop(&self) -> Option<String>;
}

/// Stored state to upgrade. `state` is the stored JSON decoded leniently with the *current*
/// schema type (unknown attributes dropped, missing ones null); `raw_json` is the stored
/// JSON itself for upgrades that need more.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeRequest {
    pub type_name: String,
    /// The schema version the state was written with.
    pub version: i64,
    pub state: Value,
    pub raw_json: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeResponse {
    pub state: Value,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    pub type_name: String,
    pub current_state: Value,
    /// Opaque bytes stored with the state; return them (or new ones) in the response.
    pub private: Vec<u8>,
    pub client: ClientCapabilities,
    /// The stored identity (clients with resource identity; `None` from older ones).
    pub current_identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadResponse {
    /// Null removes the resource from state.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
    /// The resource's identity, when its type declares one and the object exists.
    pub new_identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    pub type_name: String,
    /// Null on create.
    pub prior_state: Value,
    /// Config merged with prior state by Terraform; null on destroy.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
    pub client: ClientCapabilities,
    pub prior_identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
    pub planned_identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyRequest {
    pub type_name: String,
    pub prior_state: Value,
    /// Null means destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApplyResponse {
    /// Null after a destroy. With errors, whatever exists so far (Terraform keeps it).
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
    pub new_identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportRequest {
    pub type_name: String,
    /// Empty when importing by identity.
    pub id: String,
    pub identity: Option<Value>,
    pub client: ClientCapabilities,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportedResource {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportResponse {
    pub imported: Vec<ImportedResource>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSourceRequest {
    pub type_name: String,
    pub config: Value,
    pub client: ClientCapabilities,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataSourceResponse {
    pub state: Value,
    pub diagnostics: Vec<Diagnostic>,
}
