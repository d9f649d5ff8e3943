//! What resource code implements: [`ProviderBackend`], and the decoded requests and
//! responses it exchanges with the service.

use std::collections::BTreeMap;

use crate::diagnostics::{AttributePath, Diagnostic};
use crate::schema::Schema;
use crate::value::Value;

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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadResponse {
    /// Null removes the resource from state.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyRequest {
    pub type_name: String,
    pub prior_state: Value,
    /// Null means destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApplyResponse {
    /// Null after a destroy. With errors, whatever exists so far (Terraform keeps it).
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedResource {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportResponse {
    pub imported: Vec<ImportedResource>,
    pub diagnostics: Vec<Diagnostic>,
}
