//! The secrets tier against a private moto server: the database password and the WordPress
//! keys live in a Secrets Manager secret that only the app instances' role may read, the launch
//! template names the secret and never its values, re-applies and imports keep the same
//! secret and keys, drift is seen and repaired, and destroy removes the secret, the role, its
//! policy and the instance profile.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use stack_core::aws::{iam, launch_template, secretsmanager, AwsSettings, Clients};
use stack_core::naming::{REGION_TAG, STACK_TAG};
use stack_core::plan::expected_objects;
use stack_core::secrets::WORDPRESS_KEY_NAMES;
use stack_core::spec::{NatMode, Secret};
use stack_core::state::logical;
use stack_core::tiers::secrets::{policy_name, role_name, secret_name, READ_SECRET_ACTIONS};
use stack_core::{StackError, StackSpec, StackState};
use tokio_util::sync::CancellationToken;

const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];

fn spec(name: &str) -> StackSpec {
    let mut spec = support::spec(name, &ZONES, NatMode::Single, false);
    // The policy's log-group statement is tests/tests/aws_logs.rs's: here the one statement
    // reading the secret.
    spec.logs.enabled = false;
    spec
}

async fn clients_for(w: &support::World) -> Clients {
    let settings = AwsSettings {
        region: Some(support::REGION.into()),
        endpoint_url: Some(w.moto.endpoint()),
        ..AwsSettings::default()
    };
    Clients::connect(&settings).await.expect("clients")
}

async fn apply(w: &support::World, spec: &StackSpec, prior: Option<&StackState>) -> StackState {
    match w.engine.apply(spec, prior, &CancellationToken::new()).await {
        Ok(state) => state,
        Err(failure) => panic!(
            "apply failed: {} (resources: {:?})",
            failure.error, failure.state.resources
        ),
    }
}

async fn destroy(w: &support::World, state: &StackState) {
    if let Err(failure) = w.engine.destroy(state, &CancellationToken::new()).await {
        panic!(
            "destroy failed: {} (left: {:?})",
            failure.error, failure.state.resources
        );
    }
}

fn resource(state: &StackState, key: &str) -> String {
    state.resources.get(key).cloned().unwrap_or_else(|| {
        panic!(
            "{key} not in {:?}",
            state.resources.keys().collect::<Vec<_>>()
        )
    })
}

/// The secret's current value, parsed.
async fn stored(clients: &Clients, arn: &str) -> (BTreeMap<String, String>, String) {
    let value = secretsmanager::value(clients, arn)
        .await
        .expect("GetSecretValue")
        .expect("the secret has a value");
    let fields: BTreeMap<String, String> =
        serde_json::from_str(value.secret.expose()).expect("a JSON object of strings");
    (fields, value.version_id)
}

/// The user data of the template version the group uses, decoded, and that version's data.
async fn template_in_use(
    clients: &Clients,
    state: &StackState,
) -> (String, launch_template::TemplateData) {
    let id = resource(state, logical::LAUNCH_TEMPLATE);
    let version = state
        .outputs
        .launch_template_version
        .expect("template version");
    let data = launch_template::describe_version(clients, &id, version)
        .await
        .expect("describe version")
        .expect("version exists")
        .data;
    let decoded = stack_core::userdata::document_text(&data.user_data_base64).expect("document");
    (decoded, data)
}

fn secret_values(state: &StackState) -> Vec<Secret> {
    let mut values: Vec<Secret> = state.secrets.wordpress_keys.values().cloned().collect();
    values.extend(state.spec.database.password.clone());
    values
}

/// The one statement of the app role's policy, which must be the only policy of the role.
async fn only_policy_statement(clients: &Clients, stack: &str) -> Value {
    let role = role_name(stack, support::REGION);
    let policy = policy_name(support::REGION);
    assert_eq!(
        iam::list_role_policies(clients, &role).await.unwrap(),
        std::slice::from_ref(&policy),
        "one inline policy"
    );
    let attached = clients
        .iam
        .list_attached_role_policies()
        .role_name(&role)
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty(), "no managed policy");
    let document = iam::get_role_policy(clients, &role, &policy)
        .await
        .unwrap()
        .expect("the policy exists");
    let policy: Value = serde_json::from_str(&document).expect("JSON policy");
    let statements = match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    assert_eq!(statements.len(), 1, "{policy}");
    statements[0].clone()
}

/// Attach a customer-managed "allow everything" policy to `role`, behind the stack's back.
async fn attach_managed_policy(clients: &Clients, role: &str) {
    let document =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let created = clients
        .iam
        .create_policy()
        .policy_name(format!("{role}-everything"))
        .policy_document(document)
        .send()
        .await
        .expect("CreatePolicy");
    let arn = created
        .policy()
        .and_then(|p| p.arn())
        .expect("policy ARN")
        .to_string();
    clients
        .iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(arn)
        .send()
        .await
        .expect("AttachRolePolicy");
}

/// `"a"` and `["a"]` say the same in IAM.
fn as_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_password_lives_in_a_secret_only_the_app_role_reads_and_destroy_removes_it_all() {
    let w = support::world().await;
    let clients = clients_for(&w).await;
    let state = apply(&w, &spec("sec"), None).await;

    // The secret: named for the stack, tagged, holding the password and all eight keys.
    let arn = resource(&state, logical::APP_SECRET);
    let info = secretsmanager::describe(&clients, &secret_name("sec"))
        .await
        .unwrap()
        .expect("the secret exists");
    assert_eq!(info.arn, arn);
    assert_eq!(info.tags[STACK_TAG], "sec");
    assert_eq!(info.tags["Name"], "sec/wordpress");
    assert_eq!(info.tags["team"], "web", "default tags too");
    let (fields, version) = stored(&clients, &arn).await;
    let password = state.spec.database.password.clone().expect("password kept");
    assert_eq!(fields["db_password"], password.expose());
    assert_eq!(state.secrets.wordpress_keys.len(), 8);
    for name in WORDPRESS_KEY_NAMES {
        assert_eq!(
            fields[name],
            state.secrets.wordpress_keys[name].expose(),
            "{name}"
        );
        assert_eq!(fields[name].len(), 64);
    }

    // The role: EC2 may assume it; its one policy allows reading and describing exactly that secret.
    let role = iam::get_role(&clients, "sec-app-us-east-1")
        .await
        .unwrap()
        .expect("role");
    assert_eq!(resource(&state, logical::APP_ROLE), role.name);
    assert_eq!(role.tags[STACK_TAG], "sec");
    assert_eq!(role.tags[REGION_TAG], support::REGION);
    let trust: Value = serde_json::from_str(&role.trust_policy).expect("trust JSON");
    assert_eq!(
        as_list(&trust["Statement"][0]["Principal"]["Service"]),
        ["ec2.amazonaws.com"]
    );
    let statement = only_policy_statement(&clients, "sec").await;
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(as_list(&statement["Action"]), READ_SECRET_ACTIONS);
    assert_eq!(as_list(&statement["Resource"]), [arn.as_str()]);
    assert!(statement.get("NotAction").is_none() && statement.get("NotResource").is_none());

    // The profile holds that role, and the launch template hands it to the instances.
    let profile = iam::get_instance_profile(&clients, "sec-app-us-east-1")
        .await
        .unwrap()
        .expect("profile");
    assert_eq!(profile.roles, ["sec-app-us-east-1"]);
    assert_eq!(profile.tags[STACK_TAG], "sec");
    assert_eq!(profile.tags[REGION_TAG], support::REGION);
    assert_eq!(resource(&state, logical::APP_INSTANCE_PROFILE), profile.arn);
    let (user_data, data) = template_in_use(&clients, &state).await;
    assert_eq!(
        data.instance_profile_arn.as_deref(),
        Some(profile.arn.as_str())
    );
    assert!(data.metadata_tokens_required && data.metadata_hop_limit == Some(1));

    // The user data names the secret and its version, and holds none of its values.
    assert!(
        user_data.contains(&format!("readonly SECRET_ID='{arn}'")),
        "{user_data}"
    );
    assert!(user_data.contains(&format!("readonly SECRET_VERSION='{version}'")));
    assert!(user_data.contains("aws secretsmanager get-secret-value"));
    for value in secret_values(&state) {
        assert!(
            !user_data.contains(value.expose()),
            "a secret value in the user data"
        );
        assert!(!data.user_data_base64.contains(value.expose()));
    }

    // Applying again reuses the secret: same ARN, same version, same keys, same template.
    let again = apply(&w, &state.spec, Some(&state)).await;
    assert_eq!(resource(&again, logical::APP_SECRET), arn);
    assert_eq!(
        stored(&clients, &arn).await.1,
        version,
        "no new secret version"
    );
    assert_eq!(again.secrets, state.secrets);
    assert_eq!(again.spec.database.password, state.spec.database.password);
    assert_eq!(
        again.outputs.launch_template_version,
        state.outputs.launch_template_version
    );

    // A read records all four objects; an import recovers the keys and the password.
    let read = w.engine.read(&again).await.unwrap().expect("stack exists");
    for key in [
        logical::APP_SECRET,
        logical::APP_ROLE,
        logical::APP_ROLE_POLICY,
        logical::APP_INSTANCE_PROFILE,
    ] {
        assert_eq!(read.resources.get(key), again.resources.get(key), "{key}");
    }
    assert_eq!(read.secrets, again.secrets);
    let imported = w.engine.import("sec").await.expect("import");
    // The administrator's password is never read back: only the install reads it.
    assert_eq!(imported.secrets.admin_password, None);
    assert_eq!(
        imported.secrets.wordpress_keys, again.secrets.wordpress_keys,
        "keys recovered from the secret"
    );
    assert_eq!(
        imported.secrets.secret_version,
        again.secrets.secret_version
    );
    assert_eq!(
        imported.spec.database.password,
        again.spec.database.password
    );
    assert_eq!(resource(&imported, logical::APP_SECRET), arn);

    // Destroy removes the secret, the profile, the policy and the role, even with a managed
    // policy attached behind the stack's back (IAM refuses to delete a role that has one).
    attach_managed_policy(&clients, "sec-app-us-east-1").await;
    destroy(&w, &again).await;
    assert!(secretsmanager::describe(&clients, &arn)
        .await
        .unwrap()
        .is_none());
    assert!(iam::get_instance_profile(&clients, "sec-app-us-east-1")
        .await
        .unwrap()
        .is_none());
    assert!(
        iam::get_role_policy(&clients, "sec-app-us-east-1", &policy_name(support::REGION))
            .await
            .unwrap()
            .is_none()
    );
    assert!(iam::get_role(&clients, "sec-app-us-east-1")
        .await
        .unwrap()
        .is_none());

    // The same name can be used again at once (no recovery window holds it): a new secret
    // with new keys.
    let recreated = apply(&w, &spec("sec"), None).await;
    let new_arn = resource(&recreated, logical::APP_SECRET);
    let (fields, _) = stored(&clients, &new_arn).await;
    assert_eq!(
        fields["db_password"],
        recreated.spec.database.password.clone().unwrap().expose()
    );
    assert_ne!(
        recreated.secrets, state.secrets,
        "a new stack gets new keys"
    );
    destroy(&w, &recreated).await;
    assert!(secretsmanager::describe(&clients, &secret_name("sec"))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drift_is_seen_and_repaired_and_a_new_password_rolls_a_new_template_version() {
    // The new template version is rolled out by an instance refresh, which moto lacks.
    let w = support::world_with_quick_refreshes().await;
    let clients = clients_for(&w).await;
    let state = apply(&w, &spec("drift"), None).await;
    let arn = resource(&state, logical::APP_SECRET);
    let (_, first_version) = stored(&clients, &arn).await;

    // Someone widens the role and overwrites the secret.
    iam::put_role_policy(
        &clients,
        "drift-app-us-east-1",
        "everything",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .await
    .unwrap();
    attach_managed_policy(&clients, "drift-app-us-east-1").await;
    secretsmanager::put_value(&clients, &arn, &Secret::new(r#"{"db_password":"stolen"}"#))
        .await
        .unwrap();

    let read = w.engine.read(&state).await.unwrap().expect("stack exists");
    for key in [logical::APP_SECRET, logical::APP_ROLE_POLICY] {
        assert!(
            !read.resources.contains_key(key),
            "{key} drifted: unrecorded"
        );
    }
    assert!(read.resources.contains_key(logical::APP_ROLE));
    let missing: Vec<String> = expected_objects(&read.spec)
        .into_iter()
        .filter(|name| !read.resources.contains_key(name))
        .collect();
    assert!(
        missing.contains(&logical::APP_SECRET.to_string()),
        "{missing:?}"
    );
    assert_eq!(
        read.secrets, state.secrets,
        "a broken secret does not replace the keys"
    );

    let repaired = apply(&w, &read.spec, Some(&read)).await;
    assert!(
        iam::list_attached_role_policies(&clients, "drift-app-us-east-1")
            .await
            .unwrap()
            .is_empty(),
        "the managed policy is detached"
    );
    assert_eq!(
        resource(&repaired, logical::APP_SECRET),
        arn,
        "the same secret"
    );
    let statement = only_policy_statement(&clients, "drift").await;
    assert_eq!(as_list(&statement["Resource"]), [arn.as_str()]);
    let (fields, repaired_version) = stored(&clients, &arn).await;
    assert_eq!(
        fields["db_password"],
        state.spec.database.password.clone().unwrap().expose()
    );
    for name in WORDPRESS_KEY_NAMES {
        assert_eq!(fields[name], state.secrets.wordpress_keys[name].expose());
    }
    let (user_data, _) = template_in_use(&clients, &repaired).await;
    assert!(
        user_data.contains(&format!("readonly SECRET_VERSION='{repaired_version}'")),
        "instances read the repaired version, never the tampered one"
    );

    // A new password: a new secret version, hence a new template version for the instances.
    let mut changed = repaired.spec.clone();
    changed.database.password = Some(Secret::new("A-brand-new-passw0rd"));
    let rolled = apply(&w, &changed, Some(&repaired)).await;
    let (fields, new_version) = stored(&clients, &arn).await;
    assert_eq!(fields["db_password"], "A-brand-new-passw0rd");
    assert_ne!(new_version, repaired_version);
    assert_ne!(new_version, first_version);
    assert_eq!(
        rolled.secrets.wordpress_keys, state.secrets.wordpress_keys,
        "the keys never change"
    );
    assert_eq!(
        rolled.secrets.secret_version.as_deref(),
        Some(new_version.as_str()),
        "the version the put returned"
    );
    assert!(rolled.outputs.launch_template_version > repaired.outputs.launch_template_version);
    let (user_data, _) = template_in_use(&clients, &rolled).await;
    assert!(user_data.contains(&format!("readonly SECRET_VERSION='{new_version}'")));
    assert!(!user_data.contains("A-brand-new-passw0rd"));
    destroy(&w, &rolled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_role_of_the_same_name_owned_by_someone_else_is_refused_not_adopted() {
    let w = support::world().await;
    let clients = clients_for(&w).await;
    let trust = stack_core::tiers::secrets::trust_policy();
    let foreign = BTreeMap::from([("owner".to_string(), "another-team".to_string())]);
    iam::create_role(
        &clients,
        "taken-app-us-east-1",
        "not ours",
        &trust,
        &foreign,
    )
    .await
    .unwrap();

    let failure = w
        .engine
        .apply(&spec("taken"), None, &CancellationToken::new())
        .await
        .expect_err("the apply must refuse the foreign role");
    assert!(
        matches!(&failure.error, StackError::Refused { what } if what.contains("taken-app-us-east-1")),
        "{}",
        failure.error
    );
    assert!(
        iam::list_role_policies(&clients, "taken-app-us-east-1")
            .await
            .unwrap()
            .is_empty(),
        "nothing was granted to the foreign role"
    );
    // The destroy after the failed apply removes what the stack made and leaves the role.
    destroy(&w, &failure.state).await;
    assert!(iam::get_role(&clients, "taken-app-us-east-1")
        .await
        .unwrap()
        .is_some());
    assert!(secretsmanager::describe(&clients, &secret_name("taken"))
        .await
        .unwrap()
        .is_none());
}
