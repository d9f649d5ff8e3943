//! The stack's CloudWatch alarms and SNS topics as CloudWatch and SNS report them: what the
//! alarms test asserts on, and the census's tagged alarms and topics.

use std::collections::BTreeMap;

use super::{inspect_error, AwsInspector, InspectError, TaggedObject, STACK_TAG};

/// One metric alarm, field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmView {
    pub name: String,
    pub arn: String,
    pub namespace: String,
    pub metric: String,
    pub statistic: String,
    pub dimensions: BTreeMap<String, String>,
    pub comparison: String,
    pub threshold: f64,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
}

/// One subscription of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub arn: String,
    pub protocol: String,
    pub endpoint: String,
}

impl AwsInspector {
    /// Every metric alarm whose name starts with `prefix`, by name.
    pub async fn alarms_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<BTreeMap<String, AlarmView>, InspectError> {
        let out = self
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .send()
            .await
            .map_err(inspect_error("cloudwatch", "DescribeAlarms"))?;
        Ok(out
            .metric_alarms()
            .iter()
            .map(|a| {
                let text = |v: Option<&str>| v.unwrap_or_default().to_string();
                let view = AlarmView {
                    name: text(a.alarm_name()),
                    arn: text(a.alarm_arn()),
                    namespace: text(a.namespace()),
                    metric: text(a.metric_name()),
                    statistic: a
                        .statistic()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    dimensions: a
                        .dimensions()
                        .iter()
                        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                        .collect(),
                    comparison: a
                        .comparison_operator()
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                    threshold: a.threshold().unwrap_or_default(),
                    alarm_actions: a.alarm_actions().to_vec(),
                    ok_actions: a.ok_actions().to_vec(),
                };
                (view.name.clone(), view)
            })
            .collect())
    }

    /// The tags of the alarm `arn`.
    pub async fn alarm_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, InspectError> {
        let out = self
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(inspect_error("cloudwatch", "ListTagsForResource"))?;
        Ok(out
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect())
    }

    /// Every topic's ARN (one page of 100: tests make a handful).
    pub async fn topic_arns(&self) -> Result<Vec<String>, InspectError> {
        let out = self
            .sns
            .list_topics()
            .send()
            .await
            .map_err(inspect_error("sns", "ListTopics"))?;
        Ok(out
            .topics()
            .iter()
            .filter_map(|t| t.topic_arn().map(str::to_string))
            .collect())
    }

    /// The tags of the topic `arn`.
    pub async fn topic_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, InspectError> {
        let out = self
            .sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(inspect_error("sns", "ListTagsForResource"))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }

    /// The subscriptions of the topic `arn`.
    pub async fn topic_subscriptions(
        &self,
        arn: &str,
    ) -> Result<Vec<SubscriptionView>, InspectError> {
        let out = self
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .send()
            .await
            .map_err(inspect_error("sns", "ListSubscriptionsByTopic"))?;
        let text = |v: Option<&str>| v.unwrap_or_default().to_string();
        Ok(out
            .subscriptions()
            .iter()
            .map(|s| SubscriptionView {
                arn: text(s.subscription_arn()),
                protocol: text(s.protocol()),
                endpoint: text(s.endpoint()),
            })
            .collect())
    }

    /// Alarms (every one, tags asked of each) and topics tagged for `stack`.
    pub(super) async fn tagged_alarm_objects(
        &self,
        stack: &str,
    ) -> Result<Vec<TaggedObject>, InspectError> {
        let mut found = Vec::new();
        for alarm in self.alarms_with_prefix("").await?.into_values() {
            if self
                .alarm_tags(&alarm.arn)
                .await?
                .get(STACK_TAG)
                .map(String::as_str)
                == Some(stack)
            {
                found.push(TaggedObject {
                    service: "cloudwatch",
                    kind: "alarm",
                    id: alarm.name,
                });
            }
        }
        for arn in self.topic_arns().await? {
            if self
                .topic_tags(&arn)
                .await?
                .get(STACK_TAG)
                .map(String::as_str)
                == Some(stack)
            {
                found.push(TaggedObject {
                    service: "sns",
                    kind: "alarm-topic",
                    id: arn,
                });
            }
        }
        Ok(found)
    }
}
