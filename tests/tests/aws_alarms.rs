//! The CloudWatch alarms and their SNS topic, through the real Terraform CLI against moto:
//! - a new stack gets its eight alarms `<name>-alarm-<key>` on the ALB, target group, database,
//!   file system and group, each with its metric, dimensions and threshold, notifying the
//!   stack's own topic on ALARM and OK, tagged, with the e-mail subscription and the group's
//!   metrics collection on; planned as a create with its cost, re-planned clean;
//! - an alarm and the topic deleted out of band are seen by the plan and put back;
//! - a threshold changes in place;
//! - a topic the user gives replaces the stack's own (deleted) and survives destroy, which
//!   leaves nothing of the stack;
//! - malformed e-mails, topic ARNs and thresholds are refused at plan, on their attribute.

mod service_support;

use std::collections::BTreeMap;

use serde_json::Value;
use service_support::{quick_refreshes, resources, Stack, World, ADDRESS};
use stack_tests::inspect::alarms::AlarmView;

const STACK: &str = "alarmsite";
const KEYS: [&str; 8] = [
    "alb-target-5xx",
    "alb-elb-5xx",
    "unhealthy-targets",
    "db-cpu",
    "db-free-storage",
    "db-connections",
    "efs-io-limit",
    "asg-at-max",
];

async fn alarms(world: &World) -> BTreeMap<String, AlarmView> {
    world
        .aws
        .alarms_with_prefix(&format!("{STACK}-alarm-"))
        .await
        .expect("the stack's alarms")
}

/// The plan wants an in-place update naming `what` among the planned changes.
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

#[track_caller]
fn assert_refused(world: &World, stack: &Stack, message: &str, attribute: &str) {
    stack.write(&world.tf);
    let refused = world.tf.plan().assert_failure();
    assert!(refused.combined().contains(message), "{refused}");
    assert!(refused.points_at_attribute(attribute), "{refused}");
}

/// Every alarm of the stack is there, wired to `topic` on ALARM and OK, on its objects.
async fn assert_wired(world: &World, state: &Value, topic: &str) {
    let found = alarms(world).await;
    let names: Vec<String> = KEYS.iter().map(|k| format!("{STACK}-alarm-{k}")).collect();
    assert_eq!(
        found.keys().cloned().collect::<Vec<_>>().len(),
        KEYS.len(),
        "{found:#?}"
    );
    let r = resources(state);
    let lb = r["load_balancer"]
        .split(":loadbalancer/")
        .nth(1)
        .expect("lb");
    let tg = r["target_group"].rsplit(':').next().expect("tg");
    for name in &names {
        let alarm = found.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(alarm.alarm_actions, [topic], "{alarm:?}");
        assert_eq!(alarm.ok_actions, [topic], "{alarm:?}");
        let key = &name[STACK.len() + "-alarm-".len()..];
        assert_eq!(r[&format!("alarm:{key}")], *name);
    }
    let alarm = |key: &str| &found[&format!("{STACK}-alarm-{key}")];
    let dims = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let cpu = alarm("db-cpu");
    assert_eq!(
        (cpu.namespace.as_str(), cpu.metric.as_str(), cpu.threshold),
        ("AWS/RDS", "CPUUtilization", 80.0)
    );
    assert_eq!(
        cpu.dimensions,
        dims(&[("DBInstanceIdentifier", &r["db_instance"])])
    );
    let storage = alarm("db-free-storage");
    assert_eq!(storage.comparison, "LessThanThreshold");
    assert_eq!(storage.threshold, 2.0 * 1024.0 * 1024.0 * 1024.0);
    assert_eq!(alarm("db-connections").metric, "DatabaseConnections");
    let target_5xx = alarm("alb-target-5xx");
    assert_eq!(target_5xx.metric, "HTTPCode_Target_5XX_Count");
    assert_eq!(target_5xx.statistic, "Sum");
    assert_eq!(target_5xx.dimensions, dims(&[("LoadBalancer", lb)]));
    assert_eq!(alarm("alb-elb-5xx").metric, "HTTPCode_ELB_5XX_Count");
    let unhealthy = alarm("unhealthy-targets");
    assert_eq!(unhealthy.metric, "UnHealthyHostCount");
    assert_eq!(
        unhealthy.dimensions,
        dims(&[("LoadBalancer", lb), ("TargetGroup", tg)])
    );
    let efs = alarm("efs-io-limit");
    assert_eq!(
        (efs.namespace.as_str(), efs.metric.as_str()),
        ("AWS/EFS", "PercentIOLimit")
    );
    assert_eq!(
        efs.dimensions,
        dims(&[("FileSystemId", &r["efs_file_system"])])
    );
    let at_max = alarm("asg-at-max");
    assert_eq!(at_max.metric, "GroupInServiceInstances");
    assert_eq!(at_max.comparison, "GreaterThanOrEqualToThreshold");
    assert_eq!(
        at_max.dimensions,
        dims(&[("AutoScalingGroupName", &r["autoscaling_group"])])
    );
    let tags = world.aws.alarm_tags(&cpu.arn).await.expect("alarm tags");
    assert_eq!(
        tags.get("wordpress-ha:stack").map(String::as_str),
        Some(STACK)
    );
}

#[tokio::test]
async fn alarms_notify_the_topic_are_repaired_and_can_use_a_given_topic() {
    let world = World::start_with("aws_alarms", quick_refreshes()).await;
    let mut stack = Stack::lean(STACK);

    stack.alarms = Some(r#"email_addresses = ["ops at example.com"]"#.into());
    assert_refused(
        &world,
        &stack,
        "is not an e-mail address",
        "email_addresses",
    );
    stack.alarms = Some(r#"topic_arn = "arn:aws:sqs:us-east-1:123456789012:ops""#.into());
    assert_refused(&world, &stack, "is not an SNS topic ARN", "topic_arn");
    stack.alarms = Some("db_cpu_percent = 150".into());
    assert_refused(&world, &stack, "db_cpu_percent is 150", "db_cpu_percent");

    stack.alarms = Some(r#"email_addresses = ["ops@example.com"]"#.into());
    stack.write(&world.tf);
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains("create CloudWatch alarms: 8 alarms")
            && plan.stdout.contains("$0.80 a month"),
        "a new stack plans its alarms with their cost\n{plan}"
    );
    let state = world.apply(&stack);
    let r = resources(&state);
    let topic = r["alarm_topic"].clone();
    assert!(topic.ends_with(&format!(":{STACK}-alarms")), "{topic}");
    assert_wired(&world, &state, &topic).await;
    let subscriptions = world
        .aws
        .topic_subscriptions(&topic)
        .await
        .expect("subscriptions");
    assert_eq!(subscriptions.len(), 1, "{subscriptions:?}");
    assert_eq!(
        (
            subscriptions[0].protocol.as_str(),
            subscriptions[0].endpoint.as_str()
        ),
        ("email", "ops@example.com")
    );
    assert!(
        r.contains_key("alarm_subscription:ops@example.com"),
        "{r:?}"
    );
    let topic_tags = world.aws.topic_tags(&topic).await.expect("topic tags");
    assert_eq!(
        topic_tags.get("wordpress-ha:stack").map(String::as_str),
        Some(STACK)
    );
    let group = service_support::group(&world.aws, &r["autoscaling_group"]).await;
    assert!(
        group
            .enabled_metrics()
            .iter()
            .any(|m| m.metric() == Some("GroupInServiceInstances")),
        "the group's metrics are collected: {group:?}"
    );
    assert_eq!(r["autoscaling_group_metrics"], r["autoscaling_group"]);
    world.tf.plan().assert_code(0);

    // An alarm deleted out of band: planned back, put back.
    world
        .aws
        .cloudwatch
        .delete_alarms()
        .alarm_names(format!("{STACK}-alarm-db-cpu"))
        .send()
        .await
        .expect("delete an alarm behind Terraform's back");
    assert_plan_repairs(&world, "alarm:db-cpu");
    world.tf.apply().assert_success();
    assert_wired(&world, &state, &topic).await;
    world.tf.plan().assert_code(0);

    // The topic deleted out of band (its subscription with it): planned back, put back.
    world
        .aws
        .sns
        .delete_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("delete the topic behind Terraform's back");
    assert_plan_repairs(&world, "alarm_topic");
    world.tf.apply().assert_success();
    let subscriptions = world.aws.topic_subscriptions(&topic).await.expect("subs");
    assert_eq!(
        subscriptions.len(),
        1,
        "subscribed again: {subscriptions:?}"
    );
    world.tf.plan().assert_code(0);

    // A threshold changed in place.
    stack.alarms = Some(
        r#"email_addresses = ["ops@example.com"]
    db_connections = 120"#
            .into(),
    );
    let state = world.update_in_place(&stack);
    assert_eq!(state["alarms"]["db_connections"], 120);
    let found = alarms(&world).await;
    assert_eq!(
        found[&format!("{STACK}-alarm-db-connections")].threshold,
        120.0
    );

    // A topic the user owns: the stack's own topic goes, the user's stays through destroy.
    let given = world
        .aws
        .sns
        .create_topic()
        .name("ops-team")
        .send()
        .await
        .expect("the user's topic")
        .topic_arn()
        .expect("an ARN")
        .to_string();
    stack.alarms = Some(format!(r#"topic_arn = "{given}""#));
    let state = world.update_in_place(&stack);
    let r = resources(&state);
    assert!(!r.contains_key("alarm_topic"), "{r:?}");
    assert!(
        !r.keys().any(|k| k.starts_with("alarm_subscription")),
        "{r:?}"
    );
    let topics = world.aws.topic_arns().await.expect("topics");
    assert!(
        !topics.contains(&topic),
        "the stack's own topic is deleted: {topics:?}"
    );
    assert_wired(&world, &state, &given).await;
    world.tf.plan().assert_code(0);

    world.destroy(STACK).await;
    assert!(
        alarms(&world).await.is_empty(),
        "destroy deletes every alarm"
    );
    let topics = world.aws.topic_arns().await.expect("topics");
    assert_eq!(topics, [given], "the user's topic is never deleted");
}
