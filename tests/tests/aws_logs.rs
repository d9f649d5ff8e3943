//! The stack's CloudWatch Logs group, through the real Terraform CLI against moto:
//! - a new stack gets `/wordpress/<name>` with its retention and KMS key, tagged, recorded in
//!   `resources`, planned as a create;
//! - the instance role may create streams in and write events to that group only (the policy
//!   document parsed), and the user data names the group in the awslogs driver and the boot
//!   log shipping;
//! - a retention changed and the group deleted out of band are shown by the plan and repaired
//!   by the next apply; a new retention is set in place;
//! - destroy leaves no group; a retention CloudWatch Logs refuses, or a key that is not a KMS
//!   key ARN, is refused at plan.

mod service_support;

use serde_json::Value;
use service_support::{resources, setting, template_data, text, user_data, Stack, World, ADDRESS};
use stack_tests::inspect::census::LogGroupSeen;

const STACK: &str = "logsite";
const GROUP: &str = "/wordpress/logsite";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

async fn the_group(world: &World) -> Option<LogGroupSeen> {
    let groups = world.aws.log_groups(GROUP).await.expect("log groups");
    groups.into_iter().find(|g| g.name == GROUP)
}

/// The plan wants an in-place update naming `what`.
#[track_caller]
fn assert_plan_repairs(world: &World, what: &str) {
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout
            .contains(&format!("{ADDRESS} will be updated in-place")),
        "{plan}"
    );
    assert!(plan.stdout.contains(what), "the plan names {what}\n{plan}");
}

/// The statements of the role's inline policy, parsed.
async fn role_statements(world: &World, state: &Value) -> Vec<Value> {
    let resources = resources(state);
    let policy = world
        .aws
        .iam
        .get_role_policy()
        .role_name(&resources["app_role"])
        .policy_name(&resources["app_role_policy"])
        .send()
        .await
        .expect("get role policy");
    let raw = policy.policy_document();
    let text = if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        urlencoding_decode(raw)
    };
    let document: Value = serde_json::from_str(&text).expect("policy JSON");
    match &document["Statement"] {
        Value::Array(statements) => statements.clone(),
        one => vec![one.clone()],
    }
}

fn urlencoding_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8 policy")
}

fn list(value: &Value) -> Vec<String> {
    match value {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn the_log_group_is_made_narrowly_writable_repaired_and_destroyed() {
    let world = World::start("aws_logs").await;
    let mut stack = Stack::lean(STACK);

    // Refused at plan, on the attribute.
    stack.logs = Some("retention_in_days = 31".into());
    stack.write(&world.tf);
    let refused = world.tf.plan().assert_failure();
    assert!(
        refused.combined().contains("retention_in_days is 31"),
        "{refused}"
    );
    assert!(
        refused.points_at_attribute("retention_in_days"),
        "{refused}"
    );
    stack.logs = Some("kms_key_id = \"alias/logs\"".into());
    stack.write(&world.tf);
    let refused = world.tf.plan().assert_failure();
    assert!(
        refused.combined().contains("is not a KMS key ARN"),
        "{refused}"
    );
    assert!(refused.points_at_attribute("kms_key_id"), "{refused}");

    stack.logs = Some(format!(
        "retention_in_days = 14\n    kms_key_id = \"{KEY}\""
    ));
    stack.write(&world.tf);
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains(&format!(
            "create CloudWatch Logs group: {GROUP} (retention 14 days, KMS key {KEY})"
        )),
        "a new stack plans its log group\n{plan}"
    );
    let state = world.apply(&stack);
    let group = the_group(&world).await.expect("the stack's log group");
    assert_eq!(resources(&state)["log_group"], group.arn);
    assert_eq!(group.retention_in_days, Some(14));
    assert_eq!(group.kms_key_id.as_deref(), Some(KEY));
    let tags = world
        .aws
        .logs
        .list_tags_for_resource()
        .resource_arn(&group.arn)
        .send()
        .await
        .expect("log group tags");
    let tags = tags.tags().cloned().unwrap_or_default();
    assert_eq!(
        tags.get("wordpress-ha:stack").map(String::as_str),
        Some(STACK)
    );
    assert_eq!(tags.get("env").map(String::as_str), Some("test"));

    // The role writes to that group's streams, and to nothing else of CloudWatch Logs.
    let streams = format!("{}:*", group.arn);
    let statements = role_statements(&world, &state).await;
    let logs: Vec<&Value> = statements
        .iter()
        .filter(|s| list(&s["Action"]).iter().any(|a| a.starts_with("logs:")))
        .collect();
    assert_eq!(logs.len(), 1, "{statements:#?}");
    assert_eq!(logs[0]["Effect"], "Allow");
    assert_eq!(
        list(&logs[0]["Action"]),
        ["logs:CreateLogStream", "logs:PutLogEvents"]
    );
    assert_eq!(list(&logs[0]["Resource"]), std::slice::from_ref(&streams));
    for statement in &statements {
        for resource in list(&statement["Resource"]) {
            assert!(
                !resource.contains(":logs:") || resource == streams,
                "no other group: {statement}"
            );
        }
    }

    // The user data names the group for the container's driver and the boot log.
    let template = text(&state, "/launch_template_id").to_string();
    let version = state["launch_template_version"].as_i64().expect("version");
    let script = user_data(&template_data(&world.aws, &template, &version.to_string()).await);
    assert_eq!(setting(&script, "LOG_GROUP"), Some(GROUP));
    for needle in [
        "--log-driver awslogs",
        "awslogs-group=$LOG_GROUP",
        "awslogs-create-group=false",
        "aws logs put-log-events",
        "\"boot/$(instance_id)\"",
    ] {
        assert!(script.contains(needle), "user data holds {needle}");
    }
    world.tf.plan().assert_code(0);

    // Retention changed out of band: shown, put back.
    world
        .aws
        .logs
        .put_retention_policy()
        .log_group_name(GROUP)
        .retention_in_days(3)
        .send()
        .await
        .expect("change the retention behind Terraform's back");
    assert_plan_repairs(&world, "retention_in_days");
    world.tf.apply().assert_success();
    let group = the_group(&world).await.expect("the group");
    assert_eq!(group.retention_in_days, Some(14));
    world.tf.plan().assert_code(0);

    // Deleted out of band: shown, made again with its retention, key and tags.
    world
        .aws
        .logs
        .delete_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("delete the group behind Terraform's back");
    assert_plan_repairs(&world, "log_group");
    world.tf.apply().assert_success();
    let group = the_group(&world).await.expect("made again");
    assert_eq!(group.retention_in_days, Some(14));
    assert_eq!(group.kms_key_id.as_deref(), Some(KEY));
    world.tf.plan().assert_code(0);

    // A new retention, in place, on the same group.
    stack.logs = Some(format!("retention_in_days = 0\n    kms_key_id = \"{KEY}\""));
    let state = world.update_in_place(&stack);
    assert_eq!(state["logs"]["retention_in_days"], 0);
    assert_eq!(resources(&state)["log_group"], group.arn);
    let group = the_group(&world).await.expect("the group");
    assert_eq!(group.retention_in_days, None, "never expire");

    world.destroy(STACK).await;
    assert_eq!(the_group(&world).await, None, "destroy deletes the group");
}
