//! Amazon CloudWatch: the stack's metric alarms, written whole by PutMetricAlarm (which creates
//! or replaces an alarm of that name), listed by name prefix, deleted by name, and their tags.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};

use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// DeleteAlarms takes at most 100 names per call.
const DELETE_BATCH: usize = 100;

/// One metric alarm as the stack writes it, and as DescribeAlarms reads it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric: String,
    pub statistic: String,
    pub dimensions: BTreeMap<String, String>,
    pub period: i32,
    pub evaluation_periods: i32,
    pub comparison: String,
    pub threshold: f64,
    pub treat_missing_data: String,
    /// Notified on ALARM and on OK (the same topics).
    pub actions: Vec<String>,
}

/// An alarm read back: what it is, its ARN (for its tags), and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedAlarm {
    pub alarm: Alarm,
    pub arn: String,
    pub state: Option<String>,
    /// The OK actions, when they differ from the alarm actions.
    pub ok_actions: Vec<String>,
}

impl ObservedAlarm {
    /// The alarm is `wanted`, OK notifications included.
    pub fn is(&self, wanted: &Alarm) -> bool {
        let same_ok = {
            let mut ok = self.ok_actions.clone();
            ok.sort();
            let mut want = wanted.actions.clone();
            want.sort();
            ok == want
        };
        let mut alarm = self.alarm.clone();
        alarm.actions.sort();
        let mut want = wanted.clone();
        want.actions.sort();
        same_ok && alarm == want
    }
}

/// Create or replace `alarm`, with `tags` (CloudWatch applies tags only when the call creates
/// the alarm; [`retag`] keeps them afterwards).
pub async fn put_alarm(
    clients: &Clients,
    alarm: &Alarm,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    let dimensions = alarm
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect::<Vec<_>>();
    clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm.name)
        .alarm_description(&alarm.description)
        .namespace(&alarm.namespace)
        .metric_name(&alarm.metric)
        .statistic(Statistic::from(alarm.statistic.as_str()))
        .set_dimensions(Some(dimensions))
        .period(alarm.period)
        .evaluation_periods(alarm.evaluation_periods)
        .comparison_operator(ComparisonOperator::from(alarm.comparison.as_str()))
        .threshold(alarm.threshold)
        .treat_missing_data(&alarm.treat_missing_data)
        .actions_enabled(true)
        .set_alarm_actions(Some(alarm.actions.clone()))
        .set_ok_actions(Some(alarm.actions.clone()))
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(&alarm.name)
        .await?;
    Ok(())
}

/// Every metric alarm whose name starts with `prefix` (DescribeAlarms' paginator).
pub async fn alarms_with_prefix(clients: &Clients, prefix: &str) -> Result<Vec<ObservedAlarm>> {
    let pages = clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .into_paginator()
        .send()
        .try_collect()
        .for_object(prefix)
        .await?;
    let found = pages
        .iter()
        .flat_map(|page| page.metric_alarms().iter().map(observed))
        .collect();
    Ok(found)
}

fn observed(alarm: &aws_sdk_cloudwatch::types::MetricAlarm) -> ObservedAlarm {
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    ObservedAlarm {
        alarm: Alarm {
            name: text(alarm.alarm_name()),
            description: text(alarm.alarm_description()),
            namespace: text(alarm.namespace()),
            metric: text(alarm.metric_name()),
            statistic: alarm
                .statistic()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            dimensions: alarm
                .dimensions()
                .iter()
                .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                .collect(),
            period: alarm.period().unwrap_or_default(),
            evaluation_periods: alarm.evaluation_periods().unwrap_or_default(),
            comparison: alarm
                .comparison_operator()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            threshold: alarm.threshold().unwrap_or_default(),
            treat_missing_data: text(alarm.treat_missing_data()),
            actions: alarm.alarm_actions().to_vec(),
        },
        arn: text(alarm.alarm_arn()),
        state: alarm
            .state_value()
            .map(|s: &StateValue| s.as_str().to_string()),
        ok_actions: alarm.ok_actions().to_vec(),
    }
}

/// Delete the alarms `names`; names CloudWatch does not know are skipped by CloudWatch itself.
pub async fn delete_alarms(clients: &Clients, names: &[String]) -> Result<()> {
    for batch in names.chunks(DELETE_BATCH) {
        let result = clients
            .cloudwatch
            .delete_alarms()
            .set_alarm_names(Some(batch.to_vec()))
            .send()
            .for_object(&batch.join(","))
            .await;
        match result {
            Err(error) if !error.is_not_found() => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

/// The tags of the alarm `arn`.
pub async fn tags_of(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>> {
    let output = clients
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .for_object(arn)
        .await?;
    Ok(tag_map(output.tags()))
}

/// Make the alarm's tags: `set` added or overwritten, `remove` dropped.
pub async fn retag(
    clients: &Clients,
    arn: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    retag_with(
        set,
        remove,
        |tags| {
            clients
                .cloudwatch
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags))
                .send()
                .for_object(arn)
        },
        |keys| {
            clients
                .cloudwatch
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(arn)
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_reads_back_as_written_whatever_the_order_of_its_actions() {
        let wanted = Alarm {
            name: "blog-alarm-db-cpu".into(),
            description: "cpu".into(),
            namespace: "AWS/RDS".into(),
            metric: "CPUUtilization".into(),
            statistic: "Average".into(),
            dimensions: BTreeMap::from([("DBInstanceIdentifier".into(), "blog-db".into())]),
            period: 300,
            evaluation_periods: 3,
            comparison: "GreaterThanThreshold".into(),
            threshold: 80.0,
            treat_missing_data: "missing".into(),
            actions: vec!["arn:b".into(), "arn:a".into()],
        };
        let mut read = ObservedAlarm {
            alarm: Alarm {
                actions: vec!["arn:a".into(), "arn:b".into()],
                ..wanted.clone()
            },
            arn: "arn:aws:cloudwatch:us-east-1:1:alarm:blog-alarm-db-cpu".into(),
            state: None,
            ok_actions: vec!["arn:b".into(), "arn:a".into()],
        };
        assert!(read.is(&wanted));
        read.ok_actions.clear();
        assert!(
            !read.is(&wanted),
            "an alarm that no longer sends OK is not the stack's"
        );
    }
}
