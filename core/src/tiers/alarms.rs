//! The alarms tier: CloudWatch metric alarms `<name>-alarm-<key>` on the load balancer, the
//! target group, the database, the file system and the Auto Scaling group (which alarms, and
//! their thresholds: `stack_model::alarms`), notifying on ALARM and OK either the stack's own
//! SNS topic `<name>-alarms` with its e-mail subscriptions, or a topic the user gives (never
//! created, changed or deleted here).
//!
//! Four steps: the topic (needs nothing of the stack), its subscriptions, the group's metrics
//! collection (after the group: "at max capacity" watches a group metric, collected only while
//! it is on; collection is free, so it stays on when the alarms go), and the alarms, after
//! the objects whose AWS ids they name (not the database: its identifier is the stack's own). They exist whether or not `alarms.enabled` is set, so turning it off
//! deletes what the stack made. A refresh that finds an alarm gone or changed, the topic gone,
//! a subscription gone or the metrics collection off leaves the object out of `resources`: the
//! plan shows it as deleted outside Terraform and the next apply puts it back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::join_all;

use super::context::StepContext;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use super::tag_sync;
use crate::alarms::{alarm_name, alarm_prefix, topic_name, wanted_alarms, Watched, ALL_KEYS};
use crate::aws::autoscaling::metrics as group_metrics;
use crate::aws::cloudwatch::{self, Alarm, ObservedAlarm};
use crate::aws::sns;
use crate::error::Result;
use crate::naming::STACK_TAG;
use crate::spec::StackSpec;
use crate::state::logical;

/// The group metrics the stack collects: the alarm's, and those an operator reads beside it.
pub const GROUP_METRICS: [&str; 7] = [
    "GroupInServiceInstances",
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
];
/// The one the "at max capacity" alarm needs.
const AT_MAX_METRIC: &str = "GroupInServiceInstances";

pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![
        Step::new(step_id::ALARM_TOPIC, Vec::<String>::new())
            .create(|ctx| async move { converge_topic(&ctx).await })
            .delete(|ctx| async move { delete_topic(&ctx).await }),
        Step::new(step_id::ALARM_SUBSCRIPTIONS, [step_id::ALARM_TOPIC])
            .create(|ctx| async move { converge_subscriptions(&ctx).await })
            .delete(|ctx| async move { forget_subscriptions(&ctx) }),
        Step::new(step_id::GROUP_METRICS, [step_id::AUTOSCALING_GROUP])
            .create(|ctx| async move { converge_group_metrics(&ctx).await })
            .delete(|ctx| async move {
                // The group's delete ends its collection.
                ctx.forget(logical::GROUP_METRICS);
                Ok(())
            }),
        Step::new(
            step_id::ALARMS,
            [
                step_id::ALARM_TOPIC,
                step_id::LOAD_BALANCER,
                step_id::TARGET_GROUP,
                step_id::FILE_SYSTEM,
                step_id::GROUP_METRICS,
            ],
        )
        .create(|ctx| async move { converge_alarms(&ctx).await })
        .delete(|ctx| async move { delete_alarms(&ctx).await }),
    ]
}

/// The CloudWatch dimension value of a load balancer or target group ARN: what follows
/// `loadbalancer/` (`app/<name>/<id>`), or the resource part (`targetgroup/<name>/<id>`).
pub fn dimension_of(arn: &str) -> &str {
    match arn.split_once(":loadbalancer/") {
        Some((_, rest)) => rest,
        None => arn.rsplit(':').next().unwrap_or(arn),
    }
}

/// The alarms `spec` wants, their dimensions from `id` (logical name -> AWS id) and their
/// actions `topic`; an alarm whose object has no id yet is left out.
pub fn alarms_for(
    spec: &StackSpec,
    id: impl Fn(&str) -> Option<String>,
    topic: &str,
) -> Vec<(&'static str, Alarm)> {
    let lb = id(logical::LOAD_BALANCER);
    let dims = |watched: Watched| -> Option<BTreeMap<String, String>> {
        let one = |name: &str, value: Option<String>| {
            value.map(|v| BTreeMap::from([(name.to_string(), v)]))
        };
        match watched {
            Watched::LoadBalancer => one(
                "LoadBalancer",
                lb.as_deref().map(|a| dimension_of(a).into()),
            ),
            Watched::TargetGroup => {
                let tg = id(logical::TARGET_GROUP)?;
                let lb = lb.as_deref()?;
                Some(BTreeMap::from([
                    ("TargetGroup".to_string(), dimension_of(&tg).to_string()),
                    ("LoadBalancer".to_string(), dimension_of(lb).to_string()),
                ]))
            }
            // The identifier is the stack's choice, known before RDS makes the instance: the
            // alarms do not wait for the database (CloudWatch takes a dimension of anything).
            Watched::Database => one(
                "DBInstanceIdentifier",
                Some(super::database::instance_identifier(&spec.name)),
            ),
            Watched::FileSystem => one("FileSystemId", id(logical::EFS_FILE_SYSTEM)),
            Watched::Group => one("AutoScalingGroupName", id(logical::AUTOSCALING_GROUP)),
        }
    };
    wanted_alarms(spec)
        .into_iter()
        .filter_map(|def| {
            let dimensions = dims(def.watched)?;
            Some((
                def.key,
                Alarm {
                    name: alarm_name(&spec.name, def.key),
                    description: def.description,
                    namespace: def.namespace.into(),
                    metric: def.metric.into(),
                    statistic: def.statistic.into(),
                    dimensions,
                    period: def.period,
                    evaluation_periods: def.evaluation_periods,
                    comparison: def.comparison.into(),
                    threshold: def.threshold,
                    treat_missing_data: def.treat_missing_data.into(),
                    actions: vec![topic.to_string()],
                },
            ))
        })
        .collect()
}

/// Whether `name` is one of the stack's alarm names (not merely of its prefix).
fn is_stack_alarm(stack: &str, name: &str) -> bool {
    ALL_KEYS.iter().any(|key| alarm_name(stack, key) == name)
}

async fn converge_topic(ctx: &Arc<StepContext>) -> Result<()> {
    if !ctx.spec().alarms.owns_topic() {
        return delete_topic(ctx).await;
    }
    let name = topic_name(ctx.stack());
    let recorded = ctx.resource(logical::ALARM_TOPIC);
    let existing = match recorded {
        Some(arn) => match sns::tags_of(&ctx.clients, &arn).await {
            Ok(tags) => Some((arn, tags)),
            Err(error) if error.is_not_found() => None,
            Err(error) => return Err(error),
        },
        None => None,
    };
    let arn = match existing {
        Some((arn, observed)) => {
            let changes = tag_sync::changes_for(ctx, &arn, &observed, &name);
            sns::retag(&ctx.clients, &arn, &changes.set, &changes.remove).await?;
            arn
        }
        None => {
            // CreateTopic answers the ARN of a topic of that name that already exists.
            let tags = tag_sync::wanted(ctx, &name);
            let arn = sns::create_topic(&ctx.clients, &name, &tags).await?;
            tracing::info!(topic = %arn, "created alarm topic");
            arn
        }
    };
    ctx.record(logical::ALARM_TOPIC, arn);
    Ok(())
}

/// Delete the topic the stack owns (never a given one: that one is never recorded), and with
/// it every subscription.
async fn delete_topic(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(arn) = ctx.resource(logical::ALARM_TOPIC) {
        sns::delete_topic(&ctx.clients, &arn).await?;
        tracing::info!(topic = %arn, "deleted alarm topic");
    }
    ctx.forget(logical::ALARM_TOPIC);
    forget_subscriptions(ctx)
}

fn forget_subscriptions(ctx: &StepContext) -> Result<()> {
    let prefix = logical::qualified(logical::ALARM_SUBSCRIPTION, "");
    for (name, _) in ctx.resources_with_prefix(&prefix) {
        ctx.forget(&name);
    }
    Ok(())
}

async fn converge_subscriptions(ctx: &Arc<StepContext>) -> Result<()> {
    let alarms = &ctx.spec().alarms;
    if !alarms.owns_topic() {
        // Deleting the topic ended them.
        return forget_subscriptions(ctx);
    }
    let topic = ctx.require(logical::ALARM_TOPIC)?;
    let existing = sns::subscriptions(&ctx.clients, &topic).await?;
    let wanted: BTreeSet<String> = alarms
        .email_addresses
        .iter()
        .map(|e| e.to_ascii_lowercase())
        .collect();
    for email in &wanted {
        let found = existing
            .iter()
            .find(|s| s.protocol == "email" && s.endpoint.eq_ignore_ascii_case(email));
        let arn = match found {
            Some(subscription) => subscription.arn.clone(),
            None => {
                let arn = sns::subscribe_email(&ctx.clients, &topic, email).await?;
                tracing::info!(topic = %topic, email = %email, subscription = %arn, "subscribed");
                arn
            }
        };
        ctx.record(logical::qualified(logical::ALARM_SUBSCRIPTION, email), arn);
    }
    // Addresses the stack subscribed before and the configuration no longer lists: a
    // confirmed one is unsubscribed, a pending one cannot be (AWS drops it after three days).
    let prefix = logical::qualified(logical::ALARM_SUBSCRIPTION, "");
    for (name, _) in ctx.resources_with_prefix(&prefix) {
        let email = &name[prefix.len()..];
        if wanted.contains(email) {
            continue;
        }
        let gone = existing
            .iter()
            .filter(|s| s.protocol == "email" && s.endpoint.eq_ignore_ascii_case(email));
        for subscription in gone.filter(|s| !s.is_pending()) {
            sns::unsubscribe(&ctx.clients, &subscription.arn).await?;
            tracing::info!(subscription = %subscription.arn, "unsubscribed");
        }
        ctx.forget(&name);
    }
    Ok(())
}

async fn converge_group_metrics(ctx: &Arc<StepContext>) -> Result<()> {
    if !ctx.spec().alarms.enabled {
        ctx.forget(logical::GROUP_METRICS);
        return Ok(());
    }
    let group = ctx.require(logical::AUTOSCALING_GROUP)?;
    let enabled = group_metrics::enabled_metrics(&ctx.clients, &group)
        .await?
        .unwrap_or_default();
    if !enabled.iter().any(|m| m == AT_MAX_METRIC) {
        group_metrics::enable(&ctx.clients, &group, &GROUP_METRICS).await?;
        tracing::info!(group = %group, "enabled group metrics collection");
    }
    ctx.record(logical::GROUP_METRICS, group);
    Ok(())
}

/// The topic the alarms notify: the given one, else the stack's.
fn topic_of(ctx: &StepContext) -> Result<String> {
    match &ctx.spec().alarms.topic_arn {
        Some(arn) => Ok(arn.clone()),
        None => ctx.require(logical::ALARM_TOPIC),
    }
}

async fn converge_alarms(ctx: &Arc<StepContext>) -> Result<()> {
    let stack = ctx.stack().to_string();
    let observed = cloudwatch::alarms_with_prefix(&ctx.clients, &alarm_prefix(&stack)).await?;
    let wanted = if ctx.spec().alarms.enabled {
        let topic = topic_of(ctx)?;
        alarms_for(ctx.spec(), |l| ctx.resource(l), &topic)
    } else {
        Vec::new()
    };
    let puts = wanted.iter().map(|(key, alarm)| {
        let found = observed.iter().find(|o| o.alarm.name == alarm.name);
        converge_alarm(ctx, key, alarm, found)
    });
    // Every put runs to its end, so each alarm AWS made is recorded even when another fails
    // (a failed try_join would drop puts already sent).
    join_all(puts)
        .await
        .into_iter()
        .collect::<Result<Vec<()>>>()?;
    let keep: BTreeSet<&str> = wanted.iter().map(|(_, a)| a.name.as_str()).collect();
    let unwanted: Vec<String> = observed
        .iter()
        .map(|o| o.alarm.name.clone())
        .filter(|name| is_stack_alarm(&stack, name) && !keep.contains(name.as_str()))
        .collect();
    if !unwanted.is_empty() {
        cloudwatch::delete_alarms(&ctx.clients, &unwanted).await?;
        tracing::info!(alarms = ?unwanted, "deleted alarms");
    }
    let wanted_keys: BTreeSet<&str> = wanted.iter().map(|(k, _)| *k).collect();
    for key in ALL_KEYS.iter().filter(|k| !wanted_keys.contains(*k)) {
        ctx.forget(&logical::qualified(logical::ALARM, key));
    }
    Ok(())
}

async fn converge_alarm(
    ctx: &StepContext,
    key: &str,
    alarm: &Alarm,
    found: Option<&ObservedAlarm>,
) -> Result<()> {
    let tags = tag_sync::wanted(ctx, &alarm.name);
    match found {
        Some(found) if found.is(alarm) => {
            let observed = cloudwatch::tags_of(&ctx.clients, &found.arn).await?;
            let changes = tag_sync::changes_for(ctx, &found.arn, &observed, &alarm.name);
            cloudwatch::retag(&ctx.clients, &found.arn, &changes.set, &changes.remove).await?;
        }
        Some(found) => {
            cloudwatch::put_alarm(&ctx.clients, alarm, &tags).await?;
            let observed = cloudwatch::tags_of(&ctx.clients, &found.arn).await?;
            let changes = tag_sync::changes_for(ctx, &found.arn, &observed, &alarm.name);
            cloudwatch::retag(&ctx.clients, &found.arn, &changes.set, &changes.remove).await?;
            tracing::info!(alarm = %alarm.name, "updated alarm");
        }
        None => {
            cloudwatch::put_alarm(&ctx.clients, alarm, &tags).await?;
            tracing::info!(alarm = %alarm.name, "created alarm");
        }
    }
    ctx.record(logical::qualified(logical::ALARM, key), &alarm.name);
    Ok(())
}

/// Destroy: every alarm of the stack's names (before the topic they notify).
async fn delete_alarms(ctx: &Arc<StepContext>) -> Result<()> {
    let stack = ctx.stack().to_string();
    let names: Vec<String> = ALL_KEYS.iter().map(|k| alarm_name(&stack, k)).collect();
    cloudwatch::delete_alarms(&ctx.clients, &names).await?;
    for key in ALL_KEYS {
        ctx.forget(&logical::qualified(logical::ALARM, key));
    }
    Ok(())
}

/// Record each alarm that is what the spec wants, the stack's topic while it exists (its
/// subscriptions with it), and the group's metrics collection while it is on.
///
/// One round of two concurrent calls: DescribeAlarms by the stack's prefix and the topic's
/// tags (its subscriptions too when the stack subscribed addresses). The group's metrics
/// collection comes with the app tier's read of the group ([`observe_group_metrics`]). A
/// stack without alarms that wants none asks nothing.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let spec = ctx.spec();
    let had_any = ctx.prior_resource(logical::ALARM_TOPIC).is_some()
        || !ctx
            .prior_with_prefix(&logical::qualified(logical::ALARM, ""))
            .is_empty();
    if !spec.alarms.enabled && !had_any && !ctx.is_import() {
        return Ok(());
    }
    let clients = &ctx.clients;
    let prior_topic = ctx.prior_resource(logical::ALARM_TOPIC).map(str::to_string);
    let has_subscriptions = !ctx
        .prior_with_prefix(&logical::qualified(logical::ALARM_SUBSCRIPTION, ""))
        .is_empty();
    let prefix = alarm_prefix(ctx.stack());
    let (observed, topic) = tokio::join!(cloudwatch::alarms_with_prefix(clients, &prefix), async {
        let Some(arn) = &prior_topic else {
            return Ok(None);
        };
        // The subscriptions only when the stack made some: the tags say the topic exists.
        let (subscriptions, tags) = tokio::join!(
            async {
                if has_subscriptions {
                    sns::subscriptions(clients, arn).await
                } else {
                    Ok(Vec::new())
                }
            },
            sns::tags_of(clients, arn)
        );
        match (subscriptions, tags) {
            (Ok(subscriptions), Ok(tags)) => Ok(Some((subscriptions, tags))),
            (Err(e), _) | (_, Err(e)) if e.is_not_found() => Ok(None),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    },);
    let observed: Vec<ObservedAlarm> = observed?
        .into_iter()
        .filter(|o| is_stack_alarm(ctx.stack(), &o.alarm.name))
        .collect();
    if ctx.is_import() {
        import(ctx, &observed);
        return Ok(());
    }
    if let (Some(arn), Some((subscriptions, tags))) = (&prior_topic, topic?) {
        let name = topic_name(ctx.stack());
        tag_sync::observe(ctx, &tags, &name);
        ctx.record(logical::ALARM_TOPIC, arn);
        let prefix = logical::qualified(logical::ALARM_SUBSCRIPTION, "");
        for (logical_name, _) in ctx.prior_with_prefix(&prefix) {
            let email = &logical_name[prefix.len()..];
            let found = subscriptions
                .iter()
                .find(|s| s.protocol == "email" && s.endpoint.eq_ignore_ascii_case(email));
            if let Some(subscription) = found {
                ctx.record(logical_name.as_str(), &subscription.arn);
            }
        }
    } else if prior_topic.is_some() {
        tracing::info!("the alarm topic was deleted outside Terraform");
    }
    let topic = match &spec.alarms.topic_arn {
        Some(arn) => Some(arn.clone()),
        None => prior_topic,
    };
    let Some(topic) = topic else {
        return Ok(());
    };
    let wanted = alarms_for(spec, |l| ctx.prior_resource(l).map(str::to_string), &topic);
    for (key, alarm) in wanted {
        match observed.iter().find(|o| o.alarm.name == alarm.name) {
            Some(found) if found.is(&alarm) => {
                ctx.record(logical::qualified(logical::ALARM, key), &alarm.name)
            }
            Some(_) => tracing::info!(alarm = %alarm.name, "the alarm changed outside Terraform"),
            None => tracing::info!(alarm = %alarm.name, "the alarm was deleted outside Terraform"),
        }
    }
    Ok(())
}

/// Refresh (from the app tier's read of the group): record the metrics collection while the
/// alarm's metric is collected for a stack with alarms.
pub fn observe_group_metrics(ctx: &StepContext, group: &str, metrics: &[String]) {
    if !ctx.spec().alarms.enabled && !ctx.is_import() {
        return;
    }
    if metrics.iter().any(|m| m == AT_MAX_METRIC) {
        ctx.record(logical::GROUP_METRICS, group);
    } else {
        tracing::info!(group, "the group's metrics collection is off");
    }
}

/// Import: alarms on when any alarm of the stack's names exists, notifying the topic its
/// first alarm names (the stack's own when it is `<name>-alarms` and carries the stack tag's
/// name, else a given one).
fn import(ctx: &StepContext, observed: &[ObservedAlarm]) {
    let own = format!(":{}", topic_name(ctx.stack()));
    let topic = observed
        .iter()
        .find_map(|o| o.alarm.actions.first().cloned());
    ctx.update_state(|s| {
        s.spec.alarms.enabled = !observed.is_empty();
        s.spec.alarms.topic_arn = topic.clone().filter(|arn| !arn.ends_with(&own));
    });
    if let Some(arn) = topic.filter(|arn| arn.ends_with(&own)) {
        ctx.record(logical::ALARM_TOPIC, arn);
    }
}

/// Destroy's sweep: the alarms of the stack's names and the stack's topic (by its name and
/// the stack tag: a topic the user gave is never the stack's).
pub async fn sweep(ctx: &StepContext) -> Result<()> {
    let stack = ctx.stack().to_string();
    let names: Vec<String> = cloudwatch::alarms_with_prefix(&ctx.clients, &alarm_prefix(&stack))
        .await?
        .into_iter()
        .map(|o| o.alarm.name)
        .filter(|name| is_stack_alarm(&stack, name))
        .collect();
    if !names.is_empty() {
        cloudwatch::delete_alarms(&ctx.clients, &names).await?;
        tracing::info!(alarms = ?names, "swept");
    }
    let own = format!(":{}", topic_name(&stack));
    for arn in sns::list_topics(&ctx.clients).await? {
        if !arn.ends_with(&own) {
            continue;
        }
        let tags = sns::tags_of(&ctx.clients, &arn).await?;
        if tags.get(STACK_TAG).map(String::as_str) == Some(stack.as_str()) {
            sns::delete_topic(&ctx.clients, &arn).await?;
            tracing::info!(topic = %arn, "swept");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_the_arn_suffixes_cloudwatch_names() {
        let lb =
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/blog-alb/50dc6c495c0c9188";
        let tg = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blog-tg/73e2d6bc24d8a067";
        assert_eq!(dimension_of(lb), "app/blog-alb/50dc6c495c0c9188");
        assert_eq!(dimension_of(tg), "targetgroup/blog-tg/73e2d6bc24d8a067");
    }

    #[test]
    fn every_wanted_alarm_has_its_dimensions_and_the_topic() {
        let spec = StackSpec::with_name("blog");
        let ids = BTreeMap::from([
            (
                logical::LOAD_BALANCER,
                "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/a/1",
            ),
            (
                logical::TARGET_GROUP,
                "arn:aws:elasticloadbalancing:r:1:targetgroup/t/2",
            ),
            (logical::DB_INSTANCE, "blog-db"),
            (logical::EFS_FILE_SYSTEM, "fs-1"),
            (logical::AUTOSCALING_GROUP, "blog-asg"),
        ]);
        let alarms = alarms_for(&spec, |l| ids.get(l).map(|v| v.to_string()), "arn:t");
        assert_eq!(alarms.len(), wanted_alarms(&spec).len());
        let unhealthy = &alarms
            .iter()
            .find(|(k, _)| *k == "unhealthy-targets")
            .expect("x")
            .1;
        assert_eq!(unhealthy.dimensions["TargetGroup"], "targetgroup/t/2");
        assert_eq!(unhealthy.dimensions["LoadBalancer"], "app/a/1");
        assert!(alarms.iter().all(|(_, a)| a.actions == ["arn:t"]));
        assert!(is_stack_alarm("blog", "blog-alarm-db-cpu"));
        assert!(!is_stack_alarm("blog", "blog-alarm-alarm-db-cpu"));
    }
}
