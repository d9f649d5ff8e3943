//! The preflight at plan (`stack_model::preflight`): for a create, or an update that adds
//! objects, what the account holds and the region offers is read (`StackEngine::preflight_facts`,
//! read-only calls, concurrently) and every shortfall refused on the attribute that caused it.
//! A plan that adds nothing asks AWS nothing, and neither does one whose configuration equals
//! the prior state's: Terraform 1.0 to 1.2 run a full plan before every destroy, which must not
//! be refused for a stack a failed create left behind.

use stack_model::preflight::{cautions, judge, PreflightQuery};
use stack_model::spec::StackSpec;
use stack_model::state::StackState;
use tfplugin::diagnostics::Diagnostic;

use super::diagnose::{spec_diagnostic, spec_warning, stack_diagnostic};
use super::engine::StackEngine;

/// Refusals for what `desired` adds over `prior` (`Err`), else the warnings (`Ok`: AWS's
/// default quotas reached); nothing when nothing is added or the engine cannot tell.
pub async fn check(
    engine: Option<&dyn StackEngine>,
    desired: &StackSpec,
    prior: Option<&StackState>,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    // An update whose configuration asks for nothing new (a resumed create, the full plan
    // Terraform runs before a destroy) is left to the apply, which enforces the same rules.
    if prior.is_some_and(|p| p.spec == *desired) {
        return Ok(Vec::new());
    }
    let query = PreflightQuery::of(desired, prior);
    let Some(engine) = engine.filter(|_| !query.is_empty()) else {
        return Ok(Vec::new());
    };
    let facts = match engine.preflight_facts(&query).await {
        Ok(Some(facts)) => facts,
        Ok(None) => return Ok(Vec::new()),
        Err(error) => return Err(vec![stack_diagnostic(&error)]),
    };
    let errors = judge(&query, &facts);
    if errors.is_empty() {
        Ok(cautions(&query, &facts)
            .into_iter()
            .map(spec_warning)
            .collect())
    } else {
        Err(errors.into_iter().map(spec_diagnostic).collect())
    }
}
