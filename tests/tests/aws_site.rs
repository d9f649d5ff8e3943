//! The site's fleet defaults and password changes as AWS plays them, through the real
//! Terraform CLI with the fault proxy in front of moto (tests/proxy/README.md, "AWS-behaviour
//! presets"):
//! - the target group gives a leaving instance 30 s, not AWS's 300, and checks the provider's
//!   own health file for exactly 200; any other path may answer 200-399. A changed
//!   `deregistration_delay` is set in place: no instance is replaced, no template version made,
//!   no refresh started. One changed out of band is seen by the plan and put back;
//! - a password change pins, in a new launch template version, the `VersionId` the
//!   PutSecretValue returned, while DescribeSecret still names the old version
//!   (`secret_versions`); the instances may describe the secret (their watcher's question) and
//!   WordPress's URL is the stack's;
//! - the site is installed at first boot: the user data's install step carries the stack's
//!   URL and the `site` arguments, the administrator's password is in the secret only, and a
//!   new title is a template version without an instance refresh.

mod service_support;

use aws_fault_proxy::config::SecretVersionsConfig;
use serde_json::Value;
use service_support::{
    assert_nothing_else_replaced, group, group_template, quick_refreshes, resources, secret_value,
    setting, template_data, template_versions, text, user_data, Stack, World,
};
use stack_core::secrets::SECRET_ADMIN_PASSWORD_FIELD;
use stack_core::tiers::secrets::role_name;
use stack_tests::inspect::services::TargetGroupSettings;
use stack_tests::inspect::AwsInspector;
use stack_tests::REGION;

/// The provider's own health file and the codes it must answer.
const HEALTH_FILE: &str = "/wordpress-ha-health.php";

fn settings(path: &str, matcher: &str, delay: i64) -> TargetGroupSettings {
    TargetGroupSettings {
        health_check_path: Some(path.to_string()),
        matcher: Some(matcher.to_string()),
        deregistration_delay: Some(delay),
    }
}

async fn target_group_settings(aws: &AwsInspector, state: &Value) -> TargetGroupSettings {
    aws.target_group_settings(&resources(state)["target_group"])
        .await
        .expect("the target group")
}

/// The ids of the group's instances, sorted.
async fn instance_ids(aws: &AwsInspector, state: &Value) -> Vec<String> {
    let group = group(aws, text(state, "/asg_name")).await;
    let mut ids: Vec<String> = group
        .instances()
        .iter()
        .filter_map(|i| i.instance_id())
        .map(str::to_string)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_target_group_drains_in_30_s_checks_the_health_file_and_changes_in_place() {
    let world = World::start("site_target_group").await;
    let mut stack = Stack::lean("tgsite");
    let before = world.apply(&stack);
    assert_eq!(
        target_group_settings(&world.aws, &before).await,
        settings(HEALTH_FILE, "200", 30),
        "30 s to drain, and the provider's file must answer exactly 200"
    );
    let instances = instance_ids(&world.aws, &before).await;
    assert!(!instances.is_empty(), "the group runs its instance");
    let template = text(&before, "/launch_template_id").to_string();
    let versions = template_versions(&world.aws, &template).await;

    world.proxy.reset();
    stack.load_balancer = "deregistration_delay = 120".into();
    let after = world.update_in_place(&stack);
    assert_eq!(
        target_group_settings(&world.aws, &after).await,
        settings(HEALTH_FILE, "200", 120)
    );
    assert_nothing_else_replaced(&before, &after, &[]);
    assert_eq!(
        instance_ids(&world.aws, &after).await,
        instances,
        "no instance replaced"
    );
    assert_eq!(template_versions(&world.aws, &template).await, versions);
    assert!(world.proxy.instance_refreshes().is_empty(), "no refresh");
    let stats = world.proxy.stats();
    assert_eq!(
        stats.calls_to("elasticloadbalancing", "ModifyTargetGroupAttributes"),
        1,
        "one in-place change: {:?}",
        stats.calls
    );
    assert_eq!(
        stats.calls_to("elasticloadbalancing", "CreateTargetGroup"),
        0
    );

    // Changed out of band: the plan sees it, the apply puts it back.
    world
        .aws
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(&resources(&after)["target_group"])
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("300")
                .build(),
        )
        .send()
        .await
        .expect("an out-of-band change");
    let drift = world.tf.plan().assert_code(2);
    assert!(
        drift.stdout.contains("deregistration_delay") && drift.stdout.contains("300"),
        "the plan shows the drift\n{drift}"
    );
    world.tf.apply().assert_success();
    assert_eq!(
        target_group_settings(&world.aws, &after).await,
        settings(HEALTH_FILE, "200", 120)
    );

    // A path of the user's may redirect: any code 200-399, on the same target group.
    stack.load_balancer = "deregistration_delay = 120\n    health_check_path = \"/\"".into();
    let user_path = world.update_in_place(&stack);
    assert_eq!(
        target_group_settings(&world.aws, &user_path).await,
        settings("/", "200-399", 120)
    );
    assert_eq!(
        resources(&user_path)["target_group"],
        resources(&before)["target_group"]
    );
    world.destroy("tgsite").await;
}

#[tokio::test]
async fn a_password_change_pins_the_version_the_put_returned_though_describe_lags() {
    let world = World::start("site_password").await;
    // DescribeSecret lags PutSecretValue for longer than the whole apply takes.
    let mut presets = quick_refreshes();
    presets.secret_versions = Some(SecretVersionsConfig { stale_ms: 600_000 });
    world.proxy.set_config(presets).expect("presets");
    let mut stack = Stack::lean("pwsite");
    stack.database =
        "multi_az = false\n    skip_final_snapshot = true\n    password = \"first-Passw0rd\""
            .into();
    stack.dns = None;
    let before = world.apply(&stack);
    let template = text(&before, "/launch_template_id").to_string();
    let first = before["launch_template_version"].as_i64().expect("version");
    let secret_arn = resources(&before)["app_secret"].clone();
    let first_script = user_data(&template_data(&world.aws, &template, &first.to_string()).await);
    assert_eq!(
        setting(&first_script, "SECRET_VERSION"),
        Some(current_version(&world.aws, &secret_arn).await.as_str()),
        "created: the version CreateSecret returned"
    );
    let url = text(&before, "/url").to_string();
    assert!(url.starts_with("http://"), "{url}");
    assert!(
        first_script.contains(&format!(r#"define("WP_HOME", "{url}");"#))
            && first_script.contains(&format!(r#"define("WP_SITEURL", "{url}");"#)),
        "WordPress's URL is the stack's ({url})"
    );

    stack.database = stack.database.replace("first-Passw0rd", "second-Passw0rd");
    let after = world.update_in_place(&stack);
    let stats = world.proxy.stats();
    assert!(
        stats.calls_to("secretsmanager", "PutSecretValue") >= 1,
        "a new version was written: {:?}",
        stats.calls
    );
    let version = after["launch_template_version"].as_i64().expect("version");
    assert!(
        version > first,
        "a new template version for the new password"
    );
    let script = user_data(&template_data(&world.aws, &template, &version.to_string()).await);
    let current = current_version(&world.aws, &secret_arn).await;
    assert_ne!(
        Some(current.as_str()),
        setting(&first_script, "SECRET_VERSION")
    );
    assert_eq!(
        setting(&script, "SECRET_VERSION"),
        Some(current.as_str()),
        "the template names the version PutSecretValue returned, not the one a read still shows"
    );
    assert_eq!(
        group_template(&group(&world.aws, text(&after, "/asg_name")).await).1,
        version.to_string(),
        "the group runs it"
    );
    assert_eq!(
        instance_role_actions(&world.aws, &role_name("pwsite", REGION), &secret_arn).await,
        [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue"
        ],
        "the watcher may ask which version is current, of that secret only"
    );
    world.destroy("pwsite").await;
}

/// The secret's `AWSCURRENT` version, asked of moto directly (no lag).
async fn current_version(aws: &AwsInspector, secret_arn: &str) -> String {
    let described = aws
        .secretsmanager
        .describe_secret()
        .secret_id(secret_arn)
        .send()
        .await
        .expect("describe secret");
    described
        .version_ids_to_stages()
        .and_then(|stages| {
            stages
                .iter()
                .find(|(_, labels)| labels.iter().any(|l| l == "AWSCURRENT"))
                .map(|(version, _)| version.clone())
        })
        .expect("a current version")
}

/// The actions the role's policies allow on the secret, sorted, after checking each statement
/// names only `resource` (or the stack's log group, whose statement `tests/posture.rs` checks).
async fn instance_role_actions(aws: &AwsInspector, role: &str, resource: &str) -> Vec<String> {
    let mut actions = Vec::new();
    for name in aws.role_policy_names(role).await.expect("policies") {
        let policy = aws
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
            .expect("role policy");
        // URL-encoded on AWS: the provider's own decoder reads it.
        let decoded = stack_core::aws::iam::decode_policy_document(policy.policy_document());
        let document: Value = serde_json::from_str(&decoded).expect("policy JSON");
        for statement in document["Statement"].as_array().expect("statements") {
            let log_group = statement["Resource"]
                .as_str()
                .is_some_and(|r| r.contains(":log-group:/wordpress/"));
            if log_group {
                continue;
            }
            assert_eq!(statement["Resource"], resource, "{statement}");
            match &statement["Action"] {
                Value::String(action) => actions.push(action.clone()),
                Value::Array(list) => {
                    actions.extend(list.iter().filter_map(|a| a.as_str().map(str::to_string)))
                }
                other => panic!("an action list: {other}"),
            }
        }
    }
    actions.sort();
    actions
}

/// The site installed at first boot (issue 17): the arguments reach the user data's install
/// step with the stack's URL, the administrator's password is generated into the secret (and
/// nowhere else), and a new title after the install is a launch template version for later
/// instances, with no instance refresh and the same password.
#[tokio::test]
async fn the_site_is_installed_at_first_boot_and_a_new_title_replaces_no_instance() {
    let world = World::start("site_install").await;
    let mut stack = Stack::lean("instsite");
    stack.site = Some(
        "title       = \"Jane Blog & Co\"\n    admin_user  = \"jane.admin\"\n    \
         admin_email = \"jane@example.com\""
            .into(),
    );
    let before = world.apply(&stack);
    world.tf.plan().assert_code(0);
    let secret_arn = resources(&before)["app_secret"].clone();
    let password = secret_value(&world.moto, &secret_arn).await[SECRET_ADMIN_PASSWORD_FIELD]
        .as_str()
        .expect("the secret holds the administrator's password")
        .to_string();
    assert!(password.len() >= 32, "generated");

    let template = text(&before, "/launch_template_id").to_string();
    let first = before["launch_template_version"].as_i64().expect("version");
    let script = user_data(&template_data(&world.aws, &template, &first.to_string()).await);
    let url = text(&before, "/url");
    for (name, value) in [
        ("SITE_URL", url),
        ("SITE_TITLE", "Jane Blog & Co"),
        ("ADMIN_USER", "jane.admin"),
        ("ADMIN_EMAIL", "jane@example.com"),
        ("CLI_IMAGE", "public.ecr.aws/docker/library/wordpress:cli"),
        ("SECRET_ADMIN_PASSWORD_FIELD", SECRET_ADMIN_PASSWORD_FIELD),
    ] {
        assert_eq!(setting(&script, name), Some(value), "{name}");
    }
    for step in [
        "wp_cli core is-installed",
        "wp_cli core install --url=\"$SITE_URL\"",
        "--prompt=admin_password",
        "flock -w",
    ] {
        assert!(script.contains(step), "the install step has {step:?}");
    }
    let state_file =
        std::fs::read_to_string(world.tf.path().join("terraform.tfstate")).expect("state");
    for (what, text) in [("user data", &script), ("state", &state_file)] {
        assert!(!text.contains(&password), "the password is in the {what}");
    }

    // WordPress owns the title once installed: a new one is for later installs only.
    let instances = instance_ids(&world.aws, &before).await;
    world.proxy.reset();
    stack.site = stack
        .site
        .map(|s| s.replace("Jane Blog & Co", "Another title"));
    stack.write(&world.tf);
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains("site title for a new install only")
            && !plan.stdout.contains("instance refresh"),
        "a template version without a refresh\n{plan}"
    );
    let after = world.update_in_place(&stack);
    let version = after["launch_template_version"].as_i64().expect("version");
    assert!(version > first, "a new template version");
    let script = user_data(&template_data(&world.aws, &template, &version.to_string()).await);
    assert_eq!(setting(&script, "SITE_TITLE"), Some("Another title"));
    assert_eq!(
        group_template(&group(&world.aws, text(&after, "/asg_name")).await).1,
        version.to_string(),
        "the group launches from it"
    );
    assert!(world.proxy.instance_refreshes().is_empty(), "no refresh");
    assert_eq!(instance_ids(&world.aws, &after).await, instances);
    assert_eq!(
        secret_value(&world.moto, &secret_arn).await[SECRET_ADMIN_PASSWORD_FIELD],
        password.as_str(),
        "the same password"
    );
    world.destroy("instsite").await;
}
