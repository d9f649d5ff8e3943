//! `ProviderBackend` for this provider: the provider block's settings and the
//! `wordpress_ha_stack` lifecycle, translated into calls on a [`StackEngine`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use stack_model::error::{PartialFailure, StackError};
use stack_model::plan::{plan_create, plan_update, StackPlan};
use stack_model::settings::AwsSettings;
use stack_model::spec::StackSpec;
use stack_model::state::StackState;
use tfplugin::diagnostics::{AttributePath, Diagnostic};
use tfplugin::function::{Function, FunctionError};
use tfplugin::resource_identity::IdentitySchema;
use tfplugin::schema::Schema;
use tfplugin::service::{
    ApplyRequest, ApplyResponse, ClientCapabilities, DataSourceRequest, DataSourceResponse,
    ImportRequest, ImportResponse, PlanRequest, PlanResponse, ProviderBackend, ReadRequest,
    ReadResponse, UpgradeRequest, UpgradeResponse,
};
use tfplugin::value::Value;
use tokio::sync::{OnceCell, RwLock};
use tokio_util::sync::CancellationToken;

use super::convert::{self, outputs_from_value, spec_from_value, string_map_from};
use super::diagnose::{access_diagnostic, attribute_path, spec_diagnostic, stack_diagnostic};
use super::engine::{EngineConnector, StackEngine};
use super::images;
use super::new_attributes;
use super::planning::{self, PlanContext};
use super::preflight;
pub(super) use super::private::private_bytes;
use super::private::{self, PrivateState};
use super::provider_config::{self, settings_from_config};
use super::schema::{self, ResourceDef, TYPE_NAME};
use super::to_schema;
use super::upgrade;
use super::write_only;
use super::{data_source, functions, identity};

/// The provider: configured once per process by ConfigureProvider.
pub struct WordpressProvider {
    provider_schema: Schema,
    resource_schemas: BTreeMap<String, Schema>,
    resource: ResourceDef,
    /// Builds the engine at ConfigureProvider (and one per other region a data source reads).
    pub(super) connector: Arc<dyn EngineConnector>,
    engine: RwLock<Option<Arc<dyn StackEngine>>>,
    /// The provider block's settings, once configured.
    pub(super) settings: RwLock<Option<AwsSettings>>,
    zones: OnceCell<Option<Vec<String>>>,
    /// Cancelled by StopProvider: every wait in flight ends promptly with partial state.
    stop: CancellationToken,
}

impl WordpressProvider {
    /// A provider whose ConfigureProvider connects its engine through `connector`.
    pub fn new(connector: Arc<dyn EngineConnector>) -> Self {
        let resource = schema::resource();
        let resource_schemas =
            BTreeMap::from([(TYPE_NAME.to_string(), to_schema::resource_schema(&resource))]);
        WordpressProvider {
            provider_schema: provider_config::schema(),
            resource_schemas,
            resource,
            connector,
            engine: RwLock::new(None),
            settings: RwLock::new(None),
            zones: OnceCell::new(),
            stop: CancellationToken::new(),
        }
    }

    pub(super) async fn engine(&self) -> Result<Arc<dyn StackEngine>, Diagnostic> {
        self.engine.read().await.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The wordpress provider was used before its configuration was known. If the \
provider block depends on values computed during apply, apply those first.",
            )
        })
    }

    /// The region's zones, listed once per process (planning's only other AWS calls are the
    /// image look-ups of `images::plan_images`).
    async fn region_zones(&self) -> Option<Vec<String>> {
        let engine = self.engine().await.ok()?;
        self.zones
            .get_or_init(|| async move {
                match engine.availability_zones().await {
                    Ok(zones) => Some(zones),
                    Err(err) => {
                        tracing::warn!(error = %err, "could not list availability zones at plan");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    pub(super) fn unknown_type(type_name: &str) -> Diagnostic {
        Diagnostic::error(
            "Unknown resource type",
            format!(
                "This provider has no resource type {type_name:?}; it serves only {TYPE_NAME:?}."
            ),
        )
    }

    /// Validation of a configuration: type-level problems and every rule of the core, skipping
    /// values not known yet.
    fn validation_errors(&self, config: &Value, zones: Option<&[String]>) -> Vec<Diagnostic> {
        let (spec, unresolved, mut errors) = spec_from_value(config);
        errors.extend(stack_model::validate::validate(&spec, zones));
        errors
            .into_iter()
            .filter(|e| !unresolved.covers(&e.path))
            .map(spec_diagnostic)
            .collect()
    }

    /// The planned state, the paths that force a replacement, and warnings.
    async fn plan(&self, req: &PlanRequest) -> Result<PlannedChange, Vec<Diagnostic>> {
        let zones = self.region_zones().await;
        let errors = self.validation_errors(&req.config, zones.as_deref());
        if !errors.is_empty() {
            return Err(errors);
        }
        let default_zones = zones.map(|z| z.into_iter().take(2).collect());
        let ctx = PlanContext {
            prior: &req.prior_state,
            default_zones,
        };
        let mut planned = planning::plan_configurable(&self.resource, &req.config, &ctx);
        // Unknowns in the configuration itself (values of other resources not applied yet)
        // make every output unknown; unknowns only apply resolves (AMI, password) do not.
        let (_, config_unknowns, _) = spec_from_value(&req.config);
        let (mut desired, _, _) = spec_from_value(&planned);
        desired.database.password = desired
            .database
            .password
            .or_else(|| write_only::password_to_set(&req.config, &req.prior_state));
        let prior_spec = (!req.prior_state.is_null()).then(|| spec_from_value(&req.prior_state).0);
        if config_unknowns.is_empty() {
            let engine = self.engine().await.ok();
            images::plan_images(
                engine.as_deref(),
                &req.config,
                &mut planned,
                &mut desired,
                prior_spec.as_ref(),
            )
            .await?;
        }
        let mut warnings = Vec::new();
        let plan = match prior_spec {
            Some(prior_spec) if config_unknowns.is_empty() => {
                let refused = [
                    stack_model::validate::storage_shrink_error,
                    stack_model::validate::snapshot_change_error,
                ]
                .iter()
                .find_map(|rule| rule(&prior_spec.database, &desired.database));
                if let Some(error) = refused {
                    return Err(vec![spec_diagnostic(error)]);
                }
                let prior = state_from_value(&req.prior_state, prior_spec, &[]);
                let engine = self.engine().await.ok();
                warnings = preflight::check(engine.as_deref(), &desired, Some(&prior)).await?;
                plan_update(&prior, &desired)
            }
            None if config_unknowns.is_empty() => {
                let engine = self.engine().await.ok();
                warnings = preflight::check(engine.as_deref(), &desired, None).await?;
                plan_create(&desired)
            }
            _ => plan_create(&desired),
        };
        planning::unknown_if_sizes_changed(&mut planned, &req.prior_state, &req.config);
        let name = planned.attr("name").clone();
        planning::plan_computed(&self.resource, &mut planned, &req.prior_state, &plan, &name);
        let replace = if req.prior_state.is_null() {
            Vec::new()
        } else {
            replace_paths(&plan)
        };
        log_plan(&desired, &plan);
        Ok((planned, replace, warnings))
    }
}

/// What `WordpressProvider::plan` answers: the planned state, the paths that force a
/// replacement, and the warnings found on the way.
type PlannedChange = (Value, Vec<AttributePath>, Vec<Diagnostic>);

fn log_plan(spec: &StackSpec, plan: &StackPlan) {
    for action in &plan.actions {
        tracing::info!(
            stack = %spec.name,
            object = %action.object,
            action = ?action.action,
            detail = %action.detail,
            "planned"
        );
    }
}

fn replace_paths(plan: &StackPlan) -> Vec<AttributePath> {
    plan.replace.iter().map(attribute_path).collect()
}

/// A create that failed before AWS returned a single id (refused, invalid, unreachable).
fn failed_before_owning_anything(prior: Option<&StackState>, state: &StackState) -> bool {
    prior.is_none() && state.resources.is_empty()
}

/// The diagnostic of an operation's error. A timeout also says which `timeouts` entry
/// (`which`, its value) ran out, as the error names only the object waited for; an interrupted
/// create says how to resume it rather than have Terraform replace it.
fn bounded_diagnostic(error: &StackError, (which, bound): (&str, Duration)) -> Diagnostic {
    let mut diagnostic = stack_diagnostic(error);
    let interrupted = match error {
        StackError::WaitTimeout { .. } => {
            let bound = humantime::format_duration(bound);
            diagnostic.detail += &format!(" The bound was timeouts.{which} = {bound}.");
            true
        }
        StackError::Cancelled { .. } => true,
        _ => false,
    };
    if interrupted && which == "create" {
        diagnostic.detail += " Terraform marks a failed create tainted and would replace it \
(deleting what was created); to resume with those objects instead, run `terraform untaint` on \
the resource before applying.";
    }
    diagnostic
}

/// The warnings an apply or a read raised, as Terraform shows them.
pub(super) fn warning_diagnostics(state: &StackState) -> impl Iterator<Item = Diagnostic> + '_ {
    state
        .warnings
        .iter()
        .map(|w| Diagnostic::warning(w.summary.clone(), w.detail.clone()))
}

/// The core's view of a Terraform state value.
fn state_from_value(value: &Value, spec: StackSpec, private: &[u8]) -> StackState {
    StackState {
        spec,
        resources: string_map_from(value.attr("resources")),
        outputs: outputs_from_value(value),
        secrets: PrivateState::parse(private).secrets(),
        warnings: Vec::new(),
    }
}

#[tonic::async_trait]
impl ProviderBackend for WordpressProvider {
    fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    fn resource_schemas(&self) -> &BTreeMap<String, Schema> {
        &self.resource_schemas
    }

    async fn validate_provider_config(&self, config: &Value) -> Vec<Diagnostic> {
        match settings_from_config(config) {
            Ok(_) => Vec::new(),
            Err(diags) => diags,
        }
    }

    async fn configure_provider(&self, config: &Value, terraform_version: &str) -> Vec<Diagnostic> {
        let settings: AwsSettings = match settings_from_config(config) {
            Ok(settings) => settings,
            Err(diags) => return diags,
        };
        tracing::info!(terraform_version, region = ?settings.region, endpoint = ?settings.endpoint_url, "configuring");
        *self.settings.write().await = Some(settings.clone());
        let engine = match self.connector.connect(settings).await {
            Ok(engine) => engine,
            Err(err) => return vec![stack_diagnostic(&err)],
        };
        // Fail here, on the provider block, rather than minutes into an apply; the zones it
        // lists are the ones planning needs.
        match engine.check_access().await {
            Ok(Some(zones)) => {
                let _ = self.zones.set(Some(zones));
            }
            Ok(None) => {}
            Err(problem) => return vec![access_diagnostic(&problem)],
        }
        *self.engine.write().await = Some(engine);
        Vec::new()
    }

    async fn validate_resource_config(&self, type_name: &str, config: &Value) -> Vec<Diagnostic> {
        self.validate_resource_config_for_client(type_name, config, ClientCapabilities::default())
            .await
    }

    async fn validate_resource_config_for_client(
        &self,
        type_name: &str,
        config: &Value,
        client: ClientCapabilities,
    ) -> Vec<Diagnostic> {
        if type_name != TYPE_NAME {
            return vec![Self::unknown_type(type_name)];
        }
        let mut diagnostics = write_only::check(config, client);
        diagnostics.extend(self.validation_errors(config, None));
        diagnostics
    }

    async fn upgrade_resource_state(&self, request: UpgradeRequest) -> UpgradeResponse {
        if request.type_name != TYPE_NAME {
            return UpgradeResponse {
                state: request.state,
                diagnostics: vec![Self::unknown_type(&request.type_name)],
            };
        }
        match upgrade::upgrade(request.version, request.state.clone()) {
            // Attributes added since the state was written read as what it stands for.
            Ok(state) => UpgradeResponse {
                state: new_attributes::fill_new_attributes(
                    &self.resource,
                    state,
                    &request.raw_json,
                ),
                diagnostics: Vec::new(),
            },
            Err(diagnostic) => UpgradeResponse {
                state: request.state,
                diagnostics: vec![diagnostic],
            },
        }
    }

    async fn read_resource(&self, req: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            new_state: req.current_state.clone(),
            private: private::normalized(&req.private),
            ..ReadResponse::default()
        };
        if req.type_name != TYPE_NAME {
            response
                .diagnostics
                .push(Self::unknown_type(&req.type_name));
            return response;
        }
        let engine = match self.engine().await {
            Ok(engine) => engine,
            Err(diag) => {
                response.diagnostics.push(diag);
                return response;
            }
        };
        let (spec, _, _) = spec_from_value(&req.current_state);
        let prior = state_from_value(&req.current_state, spec, &req.private);
        match engine.read(&prior).await {
            Ok(None) => response.new_state = Value::Null,
            Ok(Some(observed)) => {
                response.diagnostics.extend(warning_diagnostics(&observed));
                let observed_value = convert::state_value(&observed, &Value::Null);
                response.new_state =
                    planning::overlay_observed(&self.resource, &req.current_state, &observed_value);
                response.private = private_bytes(&observed);
                response.new_identity = identity::of_state(&response.new_state);
            }
            Err(err) => response.diagnostics.push(stack_diagnostic(&err)),
        }
        response
    }

    async fn plan_resource_change(&self, req: PlanRequest) -> PlanResponse {
        let mut response = PlanResponse {
            planned_state: req.proposed_new_state.clone(),
            requires_replace: Vec::new(),
            planned_private: private::normalized(&req.prior_private),
            ..PlanResponse::default()
        };
        if req.type_name != TYPE_NAME {
            response
                .diagnostics
                .push(Self::unknown_type(&req.type_name));
            return response;
        }
        if req.proposed_new_state.is_null() {
            // destroy: nothing to plan beyond null, but a database about to go without a
            // final snapshot is worth a warning (Terraform asks providers to plan destroys
            // from 1.3 on; earlier versions never send this request).
            response
                .diagnostics
                .extend(planning::destroy_advice(&req.prior_state));
            return response;
        }
        match self.plan(&req).await {
            Ok((planned, replace, warnings)) => {
                response.diagnostics.extend(warnings);
                // An update keeps the stack's identity; a create learns it at apply.
                response.planned_identity = req
                    .prior_identity
                    .clone()
                    .or_else(|| identity::of_state(&req.prior_state));
                response.diagnostics.extend(planning::advice(&planned));
                response.planned_state = planned;
                response.requires_replace = replace;
            }
            Err(diags) => response.diagnostics = diags,
        }
        response
    }

    async fn apply_resource_change(&self, req: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            new_state: req.prior_state.clone(),
            private: private::normalized(&req.planned_private),
            ..ApplyResponse::default()
        };
        if req.type_name != TYPE_NAME {
            response
                .diagnostics
                .push(Self::unknown_type(&req.type_name));
            return response;
        }
        let engine = match self.engine().await {
            Ok(engine) => engine,
            Err(diag) => {
                response.diagnostics.push(diag);
                return response;
            }
        };
        let cancel = self.stop.child_token();
        if req.planned_state.is_null() {
            return self.destroy(engine.as_ref(), req, response, &cancel).await;
        }
        let (mut spec, _, errors) = spec_from_value(&req.planned_state);
        // The write-only password is in the configuration only (null in the plan).
        spec.database.password = spec
            .database
            .password
            .or_else(|| write_only::password_to_set(&req.config, &req.prior_state));
        // An unset desired capacity belongs to the group and its scaling policy: the state
        // shows the group's current value, but apply must not pin the group to it.
        spec.autoscaling.desired_capacity = req
            .config
            .attr("autoscaling")
            .attr("desired_capacity")
            .as_i64();
        if !errors.is_empty() {
            response.diagnostics = errors.into_iter().map(spec_diagnostic).collect();
            return response;
        }
        let prior = (!req.prior_state.is_null()).then(|| {
            let (prior_spec, _, _) = spec_from_value(&req.prior_state);
            state_from_value(&req.prior_state, prior_spec, &req.planned_private)
        });
        let (state, error) = match engine.apply(&spec, prior.as_ref(), &cancel).await {
            Ok(state) => (state, None),
            Err(PartialFailure { state, error }) => (*state, Some(error)),
        };
        if let Some(error) = error
            .as_ref()
            .filter(|_| failed_before_owning_anything(prior.as_ref(), &state))
        {
            // Keep nothing: a state with no object would, on its next refresh, adopt whatever
            // carries the stack's tag, such as the complete stack this create was refused for.
            response.diagnostics.push(stack_diagnostic(error));
            return response;
        }
        response.diagnostics.extend(warning_diagnostics(&state));
        let actual = convert::state_value(&state, req.planned_state.attr("timeouts"));
        response.new_state = planning::fill_unknowns(&req.planned_state, &actual);
        response.private = private_bytes(&state);
        response.new_identity = identity::of_state(&response.new_state);
        if let Some(error) = error {
            let bound = match prior {
                Some(_) => ("update", spec.timeouts.update_or_default()),
                None => ("create", spec.timeouts.create_or_default()),
            };
            response.diagnostics.push(bounded_diagnostic(&error, bound));
        }
        response
    }

    async fn import_resource_state(&self, type_name: &str, id: &str) -> ImportResponse {
        self.import_stack(type_name, id, None).await
    }

    async fn import_resource(&self, request: ImportRequest) -> ImportResponse {
        self.import_stack(&request.type_name, &request.id, request.identity.as_ref())
            .await
    }

    fn identity_schemas(&self) -> BTreeMap<String, IdentitySchema> {
        identity::schemas()
    }

    fn data_source_schemas(&self) -> BTreeMap<String, Schema> {
        data_source::schemas()
    }

    fn functions(&self) -> BTreeMap<String, Function> {
        functions::definitions()
    }

    async fn call_function(
        &self,
        name: &str,
        arguments: Vec<Value>,
    ) -> Result<Value, FunctionError> {
        functions::call(name, &arguments)
    }

    async fn read_data_source(&self, request: DataSourceRequest) -> DataSourceResponse {
        self.read_stack(&request.config).await
    }

    async fn stop(&self) -> Option<String> {
        tracing::info!("StopProvider: cancelling operations in flight");
        self.stop.cancel();
        None
    }
}

impl WordpressProvider {
    async fn destroy(
        &self,
        engine: &dyn StackEngine,
        req: ApplyRequest,
        mut response: ApplyResponse,
        cancel: &CancellationToken,
    ) -> ApplyResponse {
        let (spec, _, _) = spec_from_value(&req.prior_state);
        let prior = state_from_value(&req.prior_state, spec, &req.planned_private);
        match engine.destroy(&prior, cancel).await {
            Ok(()) => response.new_state = Value::Null,
            Err(PartialFailure { state, error }) => {
                // Keep exactly what still exists, so the next destroy finishes the job.
                let mut remaining = req.prior_state.clone();
                remaining.set_attr("resources", convert::string_map(&state.resources));
                response.new_state = remaining;
                let bound = ("delete", prior.spec.timeouts.delete_or_default());
                response.diagnostics.push(bounded_diagnostic(&error, bound));
            }
        }
        response
    }
}

#[cfg(test)]
mod tests;
