//! The database password, the WordPress keys and the site administrator's password leave no
//! trace outside Terraform's state (a password the configuration sets) and Secrets Manager, at
//! the noisiest log level there is. The administrator's password is not even in the state.
//!
//! With `TF_LOG=TRACE` and `TF_LOG_PATH` set (Terraform then writes its own log and the
//! provider's stderr lines to that file), one stack goes through: a create with a generated
//! password, an update that sets a password and changes the class, a rotation whose apply
//! fails on an injected RDS error, plans refused for a bad value beside the password and for a
//! bad password, human `plan` and `show` output, and destroy. Every command's stdout and
//! stderr, the log file, the launch template's user data (every version) and the instances'
//! user data are searched for every password used and every key and salt, which are read from
//! Secrets Manager so the search knows what to look for.
//!
//! One test per binary: `TF_LOG`/`TF_LOG_PATH` are set for the whole process.

mod common;
mod service_support;

use stack_core::secrets::{SECRET_ADMIN_PASSWORD_FIELD, WORDPRESS_KEY_NAMES};
use stack_core::userdata::SECRET_PASSWORD_FIELD;
use std::path::Path;

use aws_fault_proxy::config::{ScriptedFault, ScriptedKind};
use common::assert_nothing_tagged;
use serde_json::Value;
use service_support::{
    quick_refreshes, resources, secret_value, template_data, user_data, ADDRESS,
};
use stack_tests::harness::terraform::{TerraformDir, TfOutput};
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "hygiene";

/// Passwords distinctive enough that a hit can only be a leak.
const GIVEN_PASSWORD: &str = "Gv3n-Pass-5f2c9a71";
const ROTATED_PASSWORD: &str = "R0tated-Pass-8d41e6b3";
const PASSWORD_BESIDE_A_BAD_VALUE: &str = "B3side-Bad-Value-c07d";
/// Breaks RDS's rules (`/` and `@`): a validator that quotes the bad value would leak it.
const INVALID_PASSWORD: &str = "Inval/d@Pass-e19b77";

/// The stack, its password from a variable as users write it (a literal in the file would be
/// quoted back by Terraform's own diagnostics: that is the user's text, not a leak). The
/// variable is not marked `sensitive`: Terraform 1.0.3 crashes ("value is marked, so must be
/// unmarked first", in its diff renderer's nested-block comparison) on any change to a block
/// holding a marked value. The attribute is sensitive in the provider's schema, which is what
/// keeps it out of plan output here.
fn stack_hcl(class: &str, vpc_cidr: &str) -> String {
    format!(
        r#"
variable "db_password" {{
  type    = string
  default = null
}}

resource "wordpress_ha_stack" "site" {{
  name = "{STACK}"
  network {{
    vpc_cidr     = "{vpc_cidr}"
    nat_gateways = "single"
  }}
  bastion {{
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }}
  database {{
    instance_class      = "{class}"
    multi_az            = false
    skip_final_snapshot = true
    password            = var.db_password
  }}
}}
"#
    )
}

/// Writes the configuration and the password (none: generated) into `terraform.tfvars`.
fn write_stack(tf: &TerraformDir, password: Option<&str>, class: &str, vpc_cidr: &str) {
    tf.write_stack(&stack_hcl(class, vpc_cidr))
        .expect("write main.tf");
    let vars = password.map_or(String::new(), |p| format!("db_password = \"{p}\"\n"));
    std::fs::write(tf.path().join("terraform.tfvars"), vars).expect("write terraform.tfvars");
}

/// Every command's output, kept to be searched at the end.
#[derive(Default)]
struct Transcript(Vec<TfOutput>);

impl Transcript {
    fn keep(&mut self, output: TfOutput) -> &TfOutput {
        self.0.push(output);
        self.0.last().expect("just pushed")
    }
}

#[tokio::test]
async fn passwords_and_keys_stay_in_the_state_and_secrets_manager_only() {
    let logs = tempfile::tempdir().expect("log dir");
    let log_path = logs.path().join("terraform-trace.log");
    // Before anything starts a thread or a process: every Terraform run inherits these.
    std::env::set_var("TF_LOG", "TRACE");
    std::env::set_var("TF_LOG_PATH", &log_path);
    std::env::remove_var("TF_LOG_PROVIDER");

    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    // The proxy plays the instance refreshes a password change starts (moto lacks them).
    let proxy = FaultProxy::start(&moto.endpoint(), quick_refreshes()).expect("proxy");
    let tf = TerraformDir::with_endpoint("secret_hygiene", &moto, &proxy.endpoint())
        .expect("terraform dir");
    let mut transcript = Transcript::default();
    let write =
        |password: Option<&str>, class: &str, cidr: &str| write_stack(&tf, password, class, cidr);

    // 1. Create with a generated password; learn it and the keys from Secrets Manager.
    write(None, "db.t3.micro", "10.60.0.0/16");
    transcript.keep(tf.apply().assert_success());
    let secret_id = resources(&tf.resource_values(ADDRESS))["app_secret"].clone();
    let first_secret = secret_value(&moto, &secret_id).await;
    let generated = field(&first_secret, SECRET_PASSWORD_FIELD);
    let mut keys: Vec<String> = WORDPRESS_KEY_NAMES
        .iter()
        .map(|name| field(&first_secret, name))
        .collect();
    // Generated into the secret with it, read by the instances' install only.
    let admin_password = field(&first_secret, SECRET_ADMIN_PASSWORD_FIELD);
    assert!(
        admin_password.len() >= 32,
        "a generated administrator password"
    );
    keys.push(admin_password.clone());
    assert!(
        tf.resource_values(ADDRESS)["database"]["password"].is_null(),
        "the state holds no generated password (tests/state_secrets.rs searches the state file)"
    );

    // 2. Set a password and change the class: plan (human), apply.
    write(Some(GIVEN_PASSWORD), "db.t3.small", "10.60.0.0/16");
    transcript.keep(tf.plan().assert_code(2));
    transcript.keep(tf.apply().assert_success());
    assert_eq!(
        field(
            &secret_value(&moto, &secret_id).await,
            SECRET_PASSWORD_FIELD
        ),
        GIVEN_PASSWORD,
        "Secrets Manager holds the given password"
    );

    // 3. Rotate, with RDS refusing the change: the apply fails with AWS's error.
    proxy
        .set_config(rds_modify_refused())
        .expect("proxy config");
    write(Some(ROTATED_PASSWORD), "db.t3.small", "10.60.0.0/16");
    let failed = transcript.keep(tf.apply().assert_failure());
    assert!(
        failed.combined().contains("InvalidParameterCombination"),
        "the injected error reached the user:\n{failed}"
    );
    proxy.set_config(quick_refreshes()).expect("proxy config");

    // 4. Plans refused at validation: a bad CIDR beside a password, and a bad password.
    write(
        Some(PASSWORD_BESIDE_A_BAD_VALUE),
        "db.t3.small",
        "10.60.0.0/33",
    );
    transcript.keep(tf.plan().assert_failure());
    transcript.keep(tf.run(&["validate"]));
    write(Some(INVALID_PASSWORD), "db.t3.small", "10.60.0.0/16");
    let refused = transcript.keep(tf.plan().assert_failure());
    assert!(
        refused.points_at_attribute("password"),
        "the bad password is refused on its attribute:\n{refused}"
    );

    // 5. Converge on the rotated password, then human plan and show output.
    write(Some(ROTATED_PASSWORD), "db.t3.small", "10.60.0.0/16");
    transcript.keep(tf.apply().assert_success());
    transcript.keep(tf.plan().assert_code(0));
    transcript.keep(tf.run(&["show"]).assert_success());
    transcript.keep(tf.run(&["plan", "-out=saved.tfplan"]));
    transcript.keep(tf.run(&["show", "saved.tfplan"]).assert_success());
    assert_eq!(
        field(
            &secret_value(&moto, &secret_id).await,
            SECRET_ADMIN_PASSWORD_FIELD
        ),
        admin_password,
        "every new version of the secret keeps the administrator's password"
    );
    let state_file =
        std::fs::read_to_string(tf.path().join("terraform.tfstate")).expect("state file");
    let plan_file = tf.run(&["show", "-json", "saved.tfplan"]).assert_success();
    for (what, text) in [
        ("the state file", &state_file),
        ("the saved plan", &plan_file.stdout),
    ] {
        assert!(
            !text.contains(&admin_password),
            "{what} holds the administrator's password"
        );
    }

    let secrets = Secrets::new(
        [
            generated,
            GIVEN_PASSWORD.into(),
            ROTATED_PASSWORD.into(),
            PASSWORD_BESIDE_A_BAD_VALUE.into(),
            INVALID_PASSWORD.into(),
        ],
        keys,
    );
    assert_user_data_clean(&aws, &tf, &secrets).await;

    // 6. Destroy; then search everything Terraform and the provider said.
    transcript.keep(tf.destroy().assert_success());
    assert_nothing_tagged(&aws, STACK).await;
    for output in &transcript.0 {
        secrets.assert_absent(
            &format!("`terraform {}`", output.args.join(" ")),
            &output.combined(),
        );
    }
    assert_trace_log_clean(&log_path, &secrets);
}

/// RDS answers every ModifyDBInstance with a client error, so the rotation fails on AWS's side.
fn rds_modify_refused() -> FaultConfig {
    FaultConfig {
        scripted: vec![ScriptedFault {
            service: Some("rds".into()),
            operation: "ModifyDBInstance".into(),
            nth: None,
            fault: ScriptedKind::Error {
                status: 400,
                code: "InvalidParameterCombination".into(),
                message: Some("injected by the secret hygiene test".into()),
            },
        }],
        ..quick_refreshes()
    }
}

#[track_caller]
fn field(secret: &Value, name: &str) -> String {
    match secret[name].as_str() {
        Some(value) if !value.is_empty() => value.to_string(),
        _ => panic!(
            "the secret has a {name}: its fields are {:?}",
            keys_of(secret)
        ),
    }
}

fn keys_of(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// What must not appear: passwords and keys, by name for the failure message (never the value).
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn new(passwords: [String; 5], keys: Vec<String>) -> Secrets {
        let passwords = passwords
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("password #{i}"), p));
        let keys = WORDPRESS_KEY_NAMES.iter().map(|k| k.to_string()).zip(keys);
        Secrets(passwords.chain(keys).collect())
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

/// The log holds Terraform's TRACE lines and the provider's own (so the search covered them),
/// and none of the secrets.
fn assert_trace_log_clean(path: &Path, secrets: &Secrets) {
    let log = std::fs::read_to_string(path).expect("TF_LOG_PATH was written");
    assert!(log.contains("[TRACE]"), "Terraform logged at TRACE");
    let provider_lines = log
        .lines()
        .filter(|line| line.contains("provider.terraform-provider-wordpress"))
        .count();
    assert!(
        provider_lines > 0 && log.contains("@module=provider.wordpress"),
        "the provider's own log lines reached Terraform's log"
    );
    secrets.assert_absent("the TF_LOG=TRACE log", &log);
}

/// Neither the launch template (any version) nor a running instance carries a secret in its
/// user data: the instances read them from Secrets Manager at boot.
async fn assert_user_data_clean(aws: &AwsInspector, tf: &TerraformDir, secrets: &Secrets) {
    let state = tf.resource_values(ADDRESS);
    let template_id = state["launch_template_id"]
        .as_str()
        .expect("launch_template_id");
    let latest = state["launch_template_version"]
        .as_i64()
        .expect("launch_template_version");
    assert!(latest >= 1, "at least one template version");
    for version in 1..=latest {
        let data = template_data(aws, template_id, &version.to_string()).await;
        let script = user_data(&data);
        assert!(!script.is_empty(), "version {version} has user data");
        secrets.assert_absent(&format!("launch template version {version}"), &script);
    }
    let reservations = aws
        .ec2
        .describe_instances()
        .filters(stack_tests::inspect::stack_filter(STACK))
        .send()
        .await
        .expect("describe instances");
    let ids: Vec<String> = reservations
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    assert!(!ids.is_empty(), "the stack has instances");
    for id in ids {
        let attribute = aws
            .ec2
            .describe_instance_attribute()
            .instance_id(&id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .expect("describe instance user data");
        let encoded = attribute
            .user_data()
            .and_then(|u| u.value())
            .unwrap_or_default();
        let decoded =
            stack_core::userdata::document_text(encoded).unwrap_or_else(|| encoded.to_string());
        secrets.assert_absent(&format!("user data of instance {id}"), &decoded);
    }
}
