//! The app role, policy and instance profile of a stack whose state recorded the names from
//! before they carried the region (`<name>-app`, `read-wordpress-secret`), against a private
//! moto server (through the proxy, which plays the instance refresh a profile change starts):
//! the read and the apply keep those names and the apply adds the region tag; once another
//! region's stack of the same name has tagged them, the stack moves to its own regional names
//! and leaves them to that stack, destroy included.

mod support;

use std::collections::BTreeMap;

use stack_core::aws::{iam, AwsSettings, Clients};
use stack_core::naming::log_group_name;
use stack_core::naming::{REGION_TAG, STACK_TAG};
use stack_core::spec::NatMode;
use stack_core::state::logical;
use stack_core::tiers::secrets::{instance_policy, role_name, trust_policy, READ_SECRET_POLICY};
use stack_core::{StackSpec, StackState};
use stack_tests::FaultConfig;
use tokio_util::sync::CancellationToken;

const STACK: &str = "legacy";
const LEGACY_NAME: &str = "legacy-app";

fn spec() -> StackSpec {
    support::spec(STACK, &["us-east-1a", "us-east-1b"], NatMode::Single, false)
}

async fn clients_for(w: &support::World) -> Clients {
    let settings = AwsSettings {
        region: Some(support::REGION.into()),
        endpoint_url: Some(w.moto.endpoint()),
        ..AwsSettings::default()
    };
    Clients::connect(&settings).await.expect("clients")
}

async fn apply(w: &support::World, prior: Option<&StackState>) -> StackState {
    match w
        .engine
        .apply(&spec(), prior, &CancellationToken::new())
        .await
    {
        Ok(state) => state,
        Err(failure) => panic!(
            "apply failed: {} (resources: {:?})",
            failure.error, failure.state.resources
        ),
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What the provider made before names carried the region: `legacy-app` role and profile
/// with the stack tag only, and the `read-wordpress-secret` policy; the regional objects of
/// `state` removed, and `state` rewritten to record the old names.
async fn make_legacy(clients: &Clients, state: &StackState) -> StackState {
    let old_tags = tags(&[(STACK_TAG, STACK), ("Name", LEGACY_NAME)]);
    iam::create_role(clients, LEGACY_NAME, "old", &trust_policy(), &old_tags)
        .await
        .unwrap();
    let secret = &state.resources[logical::APP_SECRET];
    // The policy's document as the stack wants it today (reading the secret, writing to the
    // log group): only the names are old.
    let log_group = state.spec.logs.enabled.then(|| log_group_name(STACK));
    iam::put_role_policy(
        clients,
        LEGACY_NAME,
        READ_SECRET_POLICY,
        &instance_policy(secret, log_group.as_deref()),
    )
    .await
    .unwrap();
    let profile = iam::create_instance_profile(clients, LEGACY_NAME, &old_tags)
        .await
        .unwrap();
    iam::add_role_to_instance_profile(clients, LEGACY_NAME, LEGACY_NAME)
        .await
        .unwrap();

    let regional = role_name(STACK, support::REGION);
    iam::remove_role_from_instance_profile(clients, &regional, &regional)
        .await
        .unwrap();
    iam::delete_instance_profile(clients, &regional)
        .await
        .unwrap();
    for policy in iam::list_role_policies(clients, &regional).await.unwrap() {
        iam::delete_role_policy(clients, &regional, &policy)
            .await
            .unwrap();
    }
    iam::delete_role(clients, &regional).await.unwrap();

    let mut legacy = state.clone();
    let resources = &mut legacy.resources;
    resources.insert(logical::APP_ROLE.into(), LEGACY_NAME.into());
    resources.insert(logical::APP_ROLE_POLICY.into(), READ_SECRET_POLICY.into());
    resources.insert(logical::APP_INSTANCE_PROFILE.into(), profile.arn);
    legacy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn old_names_are_kept_until_another_region_claims_them() {
    let refreshes = r#"{"instance_refresh": {"pending_ms": 0, "duration_ms": 200}}"#;
    let faults = FaultConfig::from_json(refreshes).expect("a proxy config");
    let w = support::world_through_proxy(faults).await;
    let clients = clients_for(&w).await;
    let created = apply(&w, None).await;
    let legacy = make_legacy(&clients, &created).await;

    // A read of the old state keeps its names: nothing to repair.
    let read = w
        .engine
        .read(&legacy)
        .await
        .unwrap()
        .expect("the stack exists");
    for key in [
        logical::APP_ROLE,
        logical::APP_ROLE_POLICY,
        logical::APP_INSTANCE_PROFILE,
    ] {
        assert_eq!(read.resources.get(key), legacy.resources.get(key), "{key}");
    }

    // The apply keeps them and tags them with the region; no regional object appears.
    let applied = apply(&w, Some(&read)).await;
    assert_eq!(applied.resources[logical::APP_ROLE], LEGACY_NAME);
    assert_eq!(
        applied.resources[logical::APP_ROLE_POLICY],
        READ_SECRET_POLICY
    );
    let role = iam::get_role(&clients, LEGACY_NAME).await.unwrap().unwrap();
    assert_eq!(
        role.tags.get(REGION_TAG).map(String::as_str),
        Some(support::REGION)
    );
    let profile = iam::get_instance_profile(&clients, LEGACY_NAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        profile.tags.get(REGION_TAG).map(String::as_str),
        Some(support::REGION)
    );
    let regional = role_name(STACK, support::REGION);
    assert!(iam::get_role(&clients, &regional).await.unwrap().is_none());

    // The same-named stack of another region applies and tags the shared objects as its own:
    // this stack moves to its own names and leaves those alone.
    let elsewhere = tags(&[(REGION_TAG, "us-west-2")]);
    iam::retag_role(&clients, LEGACY_NAME, &elsewhere, &[])
        .await
        .unwrap();
    iam::retag_instance_profile(&clients, LEGACY_NAME, &elsewhere, &[])
        .await
        .unwrap();
    let moved = apply(&w, Some(&applied)).await;
    assert_eq!(moved.resources[logical::APP_ROLE], regional);
    assert!(moved.resources[logical::APP_INSTANCE_PROFILE].ends_with(&format!("/{regional}")));
    let profile = iam::get_instance_profile(&clients, &regional)
        .await
        .unwrap()
        .expect("the regional profile");
    assert_eq!(profile.roles, std::slice::from_ref(&regional));
    let theirs = iam::get_instance_profile(&clients, LEGACY_NAME)
        .await
        .unwrap()
        .expect("the other region's profile stays");
    assert_eq!(theirs.roles, [LEGACY_NAME], "its role stays in it");
    assert_eq!(
        iam::list_role_policies(&clients, LEGACY_NAME)
            .await
            .unwrap(),
        [READ_SECRET_POLICY],
        "its policy is untouched"
    );

    if let Err(failure) = w.engine.destroy(&moved, &CancellationToken::new()).await {
        panic!("destroy failed: {}", failure.error);
    }
    assert!(iam::get_role(&clients, &regional).await.unwrap().is_none());
    assert!(iam::get_instance_profile(&clients, &regional)
        .await
        .unwrap()
        .is_none());
    assert!(
        iam::get_role(&clients, LEGACY_NAME)
            .await
            .unwrap()
            .is_some(),
        "the other region's role survives the destroy"
    );
    assert!(iam::get_instance_profile(&clients, LEGACY_NAME)
        .await
        .unwrap()
        .is_some());
}
