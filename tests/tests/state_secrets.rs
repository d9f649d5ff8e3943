//! A generated database password and the WordPress keys live in the stack's Secrets Manager
//! secret only: Terraform's state keeps the secret's ARN and version id, never a value.
//!
//! Through Terraform 1.0.3 with `TF_LOG=TRACE`: a stack created without a password, then
//! updated (another DB class) and re-planned. The password and the keys, read from Secrets
//! Manager, are searched for in `terraform show -json`, the raw state file (its base64 `private`
//! field decoded too) and the TRACE log; the private state holds exactly the secret's ARN and
//! version; the update kept the password (no rotation: the secret's version and the launch
//! template's version are unchanged), and the instances' user data names that secret and
//! version, which is how the site gets the password.
//!
//! One test per binary: `TF_LOG`/`TF_LOG_PATH` are set for the whole process.

mod service_support;

use base64::Engine;
use serde_json::Value;
use service_support::{
    resources, secret_value, setting, template_data, text, user_data, Stack, World,
};
use stack_core::secrets::WORDPRESS_KEY_NAMES;
use stack_core::userdata::SECRET_PASSWORD_FIELD;

const STACK: &str = "nostate";

#[tokio::test]
async fn a_generated_password_and_the_keys_never_reach_the_state_or_the_logs() {
    let logs = tempfile::tempdir().expect("log dir");
    let log_path = logs.path().join("terraform-trace.log");
    // Before anything starts a thread or a process: every Terraform run inherits these.
    std::env::set_var("TF_LOG", "TRACE");
    std::env::set_var("TF_LOG_PATH", &log_path);
    std::env::remove_var("TF_LOG_PROVIDER");

    let world = World::start("state_secrets").await;
    let mut stack = Stack::lean(STACK);
    let created = world.apply(&stack);
    assert!(
        created["database"]["password"].is_null(),
        "no password in the state values"
    );
    let secret_arn = resources(&created)["app_secret"].clone();
    let secret = secret_value(&world.moto, &secret_arn).await;
    let secrets = Secrets::from_secret(&secret);
    let version = current_version(&world, &secret_arn).await;

    let show = world.tf.show_state().to_string();
    secrets.assert_absent("`terraform show -json`", &show);
    assert_state_file_clean(&world, &secrets, &secret_arn, &version);

    // The instances read the password from that secret, at that version.
    let script = launch_script(&world, &created).await;
    assert_eq!(setting(&script, "SECRET_ID"), Some(secret_arn.as_str()));
    assert_eq!(setting(&script, "SECRET_VERSION"), Some(version.as_str()));

    // An update keeps the generated password: no new secret version, no new template version.
    stack.database =
        "multi_az = false\n    skip_final_snapshot = true\n    instance_class = \"db.t3.small\""
            .into();
    let updated = world.update_in_place(&stack);
    let after = secret_value(&world.moto, &secret_arn).await;
    assert_eq!(
        after[SECRET_PASSWORD_FIELD], secret[SECRET_PASSWORD_FIELD],
        "the update kept the generated password"
    );
    assert_eq!(current_version(&world, &secret_arn).await, version);
    assert_eq!(
        updated["launch_template_version"], created["launch_template_version"],
        "no new launch template version: the password did not change"
    );
    world.tf.plan().assert_code(0);
    secrets.assert_absent("`terraform show -json`", &world.tf.show_state().to_string());
    assert_state_file_clean(&world, &secrets, &secret_arn, &version);

    // A new secret version written outside Terraform is reported, never silently adopted.
    let mut changed = after.clone();
    changed["NONCE_SALT"] = Value::from("changed-outside-terraform-0123456789abcdef");
    world
        .aws
        .secretsmanager
        .put_secret_value()
        .secret_id(&secret_arn)
        .secret_string(changed.to_string())
        .send()
        .await
        .expect("put a version outside Terraform");
    let warned = world.tf.plan();
    assert!(
        warned
            .combined()
            .contains("The stack's secret changed outside Terraform"),
        "{warned}"
    );

    world.destroy(STACK).await;
    assert_trace_log_clean(&log_path, &secrets);
}

/// The user data of the launch template version the group runs.
async fn launch_script(world: &World, state: &Value) -> String {
    let template = text(state, "/launch_template_id");
    let version = state["launch_template_version"]
        .as_i64()
        .expect("launch_template_version");
    user_data(&template_data(&world.aws, template, &version.to_string()).await)
}

/// The secret's current `VersionId`.
async fn current_version(world: &World, arn: &str) -> String {
    let described = world
        .aws
        .secretsmanager
        .describe_secret()
        .secret_id(arn)
        .send()
        .await
        .expect("describe secret");
    described
        .version_ids_to_stages()
        .and_then(|versions| {
            versions
                .iter()
                .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                .map(|(id, _)| id.clone())
        })
        .expect("a current version")
}

/// The raw `terraform.tfstate`: no secret anywhere, `private` decoded included, and the
/// private state is exactly the secret's ARN and version.
#[track_caller]
fn assert_state_file_clean(world: &World, secrets: &Secrets, arn: &str, version: &str) {
    let raw =
        std::fs::read_to_string(world.tf.path().join("terraform.tfstate")).expect("the state file");
    secrets.assert_absent("terraform.tfstate", &raw);
    let instance = world
        .tf
        .state_file_instance("wordpress_ha_stack", "site")
        .expect("the resource in the state file");
    assert_eq!(
        instance["schema_version"], 1,
        "written with schema version 1"
    );
    let private = instance["private"].as_str().expect("a private state");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(private)
        .expect("private state is base64");
    let decoded = String::from_utf8(decoded).expect("utf-8");
    secrets.assert_absent("the decoded private state", &decoded);
    let json: Value = serde_json::from_str(&decoded).expect("private state is JSON");
    assert_eq!(
        json,
        serde_json::json!({ "secret_arn": arn, "secret_version": version }),
        "the private state holds the secret's ARN and version only"
    );
}

fn assert_trace_log_clean(path: &std::path::Path, secrets: &Secrets) {
    let log = std::fs::read_to_string(path).expect("TF_LOG_PATH was written");
    assert!(log.contains("[TRACE]"), "Terraform logged at TRACE");
    assert!(
        log.contains("@module=provider.wordpress"),
        "the provider's own log lines reached Terraform's log"
    );
    secrets.assert_absent("the TF_LOG=TRACE log", &log);
}

/// What must not appear, by name for the failure message (never the value).
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn from_secret(secret: &Value) -> Secrets {
        let names = std::iter::once(SECRET_PASSWORD_FIELD).chain(WORDPRESS_KEY_NAMES);
        Secrets(
            names
                .map(|name| {
                    let value = secret[name]
                        .as_str()
                        .filter(|v| v.len() >= 16)
                        .unwrap_or_else(|| panic!("the secret has a long {name}"));
                    (name.to_string(), value.to_string())
                })
                .collect(),
        )
    }

    #[track_caller]
    fn assert_absent(&self, place: &str, text: &str) {
        let found: Vec<&str> = self
            .0
            .iter()
            .filter(|(_, value)| text.contains(value.as_str()))
            .map(|(name, _)| name.as_str())
            .collect();
        assert!(found.is_empty(), "{place} contains {found:?}");
    }
}
