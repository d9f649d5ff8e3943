//! After `terraform destroy`, nothing tagged for the stack may be left. What is left (a destroy
//! that failed, a state that lost track) is swept: the provider's own import rebuilds the stack's
//! state from its tags and its destroy removes it, then the account-wide objects an import cannot
//! reach without the network (the secret, the IAM role and profile) are deleted one by one. The
//! census before and after is the independent witness.

use stack_core::engine::Engine;
use stack_core::settings::AwsSettings;
use tokio_util::sync::CancellationToken;

use crate::inspect::{AwsInspector, TaggedObject};

/// What the sweep found and what it could not remove.
#[derive(Debug, Default)]
pub struct SweepReport {
    pub found: Vec<TaggedObject>,
    pub left: Vec<TaggedObject>,
    pub notes: Vec<String>,
}

/// Remove everything tagged for `stack` in `region` (at `endpoint` when given).
pub async fn sweep(
    aws: &AwsInspector,
    stack: &str,
    region: &str,
    endpoint: Option<&str>,
) -> SweepReport {
    let mut report = SweepReport::default();
    report.found = match aws.tagged_objects(stack).await {
        Ok(found) => found,
        Err(error) => {
            report.notes.push(format!("census failed: {error}"));
            return report;
        }
    };
    if report.found.is_empty() {
        return report;
    }
    if report.found.iter().any(|o| o.kind == "vpc") {
        destroy_through_provider(stack, region, endpoint, &mut report.notes).await;
    }
    let remaining = aws.tagged_objects(stack).await.unwrap_or_default();
    for object in &remaining {
        if let Some(note) = delete_account_wide(aws, object).await {
            report.notes.push(note);
        }
    }
    report.left = match aws.tagged_objects(stack).await {
        Ok(left) => left,
        Err(error) => {
            report.notes.push(format!("final census failed: {error}"));
            remaining
        }
    };
    report
}

/// The provider's import (by tag) then destroy, without a final snapshot: a sweep leaves nothing.
async fn destroy_through_provider(
    stack: &str,
    region: &str,
    endpoint: Option<&str>,
    notes: &mut Vec<String>,
) {
    let settings = AwsSettings {
        region: Some(region.to_string()),
        endpoint_url: endpoint.map(str::to_string),
        ..AwsSettings::default()
    };
    let engine = match Engine::connect(settings).await {
        Ok(engine) => engine,
        Err(error) => {
            notes.push(format!("could not connect the provider's engine: {error}"));
            return;
        }
    };
    let mut state = match engine.import(stack).await {
        Ok(state) => state,
        Err(error) => {
            notes.push(format!("import of {stack} for the sweep failed: {error}"));
            return;
        }
    };
    state.spec.database.skip_final_snapshot = true;
    state.spec.database.deletion_protection = false;
    match engine.destroy(&state, &CancellationToken::new()).await {
        Ok(()) => notes.push(format!(
            "swept {stack} through the provider's import and destroy"
        )),
        Err(failure) => notes.push(format!(
            "the sweep's destroy of {stack} failed: {}",
            failure.error
        )),
    }
}

/// Delete one secret or IAM object directly; `None` when it is not of those kinds.
async fn delete_account_wide(aws: &AwsInspector, object: &TaggedObject) -> Option<String> {
    let id = object.id.as_str();
    let outcome = match (object.service, object.kind) {
        ("secretsmanager", _) => aws
            .secretsmanager
            .delete_secret()
            .secret_id(id)
            .force_delete_without_recovery(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        ("iam", "instance-profile") => delete_instance_profile(aws, id).await,
        ("iam", "role") => delete_role(aws, id).await,
        _ => return None,
    };
    Some(match outcome {
        Ok(()) => format!("deleted {object}"),
        Err(error) => format!("could not delete {object}: {error}"),
    })
}

async fn delete_instance_profile(aws: &AwsInspector, name: &str) -> Result<(), String> {
    let profile = aws
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    for role in profile
        .instance_profile()
        .map(|p| p.roles())
        .unwrap_or_default()
    {
        aws.iam
            .remove_role_from_instance_profile()
            .instance_profile_name(name)
            .role_name(role.role_name())
            .send()
            .await
            .map_err(|e| e.to_string())?;
    }
    aws.iam
        .delete_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn delete_role(aws: &AwsInspector, name: &str) -> Result<(), String> {
    let policies = aws
        .role_policy_names(name)
        .await
        .map_err(|e| e.to_string())?;
    for policy in policies {
        aws.iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| e.to_string())?;
    }
    let profiles = aws
        .iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    for profile in profiles.instance_profiles() {
        delete_instance_profile(aws, profile.instance_profile_name()).await?;
    }
    aws.iam
        .delete_role()
        .role_name(name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
