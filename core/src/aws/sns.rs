//! Amazon SNS: the topic the stack's alarms notify, its e-mail subscriptions and its tags.
//!
//! CreateTopic is idempotent by name (a second call answers the existing topic's ARN), so a
//! re-sent create never makes two. An e-mail subscription stays "pending confirmation" until
//! its owner follows the link AWS mails; a pending subscription cannot be unsubscribed (AWS
//! drops it after three days) and goes with its topic.

use std::collections::BTreeMap;

use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// What SNS answers for the ARN of a subscription its endpoint has not confirmed yet.
pub const PENDING: &str = "PendingConfirmation";

/// One subscription of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The subscription's ARN, or [`PENDING`].
    pub arn: String,
    pub protocol: String,
    pub endpoint: String,
}

impl Subscription {
    pub fn is_pending(&self) -> bool {
        !self.arn.starts_with("arn:")
    }
}

/// Create the topic `name` with `tags`, or find it: its ARN either way.
pub async fn create_topic(
    clients: &Clients,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String> {
    let output = clients
        .sns
        .create_topic()
        .name(name)
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(name)
        .await?;
    Ok(output.topic_arn().unwrap_or_default().to_string())
}

/// Whether the topic `arn` exists (GetTopicAttributes).
pub async fn topic_exists(clients: &Clients, arn: &str) -> Result<bool> {
    let result = clients
        .sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .for_object(arn)
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error),
    }
}

/// Every topic's ARN in the region (ListTopics' paginator).
pub async fn list_topics(clients: &Clients) -> Result<Vec<String>> {
    let topics: Vec<aws_sdk_sns::types::Topic> = clients
        .sns
        .list_topics()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all topics")
        .await?;
    Ok(topics
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_string))
        .collect())
}

/// Delete the topic `arn` and with it every subscription; `Ok` when it is already gone.
pub async fn delete_topic(clients: &Clients, arn: &str) -> Result<()> {
    let result = clients
        .sns
        .delete_topic()
        .topic_arn(arn)
        .send()
        .for_object(arn)
        .await;
    match result {
        Err(error) if !error.is_not_found() => Err(error),
        _ => Ok(()),
    }
}

/// The topic's subscriptions (ListSubscriptionsByTopic's paginator).
pub async fn subscriptions(clients: &Clients, topic_arn: &str) -> Result<Vec<Subscription>> {
    let found: Vec<aws_sdk_sns::types::Subscription> = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(topic_arn)
        .await?;
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    Ok(found
        .iter()
        .map(|s| Subscription {
            arn: text(s.subscription_arn()),
            protocol: text(s.protocol()),
            endpoint: text(s.endpoint()),
        })
        .collect())
}

/// Subscribe the address `email` to the topic: the subscription's ARN, or [`PENDING`] until
/// the address confirms.
pub async fn subscribe_email(clients: &Clients, topic_arn: &str, email: &str) -> Result<String> {
    let output = clients
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("email")
        .endpoint(email)
        .send()
        .for_object(topic_arn)
        .await?;
    Ok(output
        .subscription_arn()
        .filter(|arn| arn.starts_with("arn:"))
        .unwrap_or(PENDING)
        .to_string())
}

/// End a confirmed subscription; `Ok` when it is already gone.
pub async fn unsubscribe(clients: &Clients, subscription_arn: &str) -> Result<()> {
    let result = clients
        .sns
        .unsubscribe()
        .subscription_arn(subscription_arn)
        .send()
        .for_object(subscription_arn)
        .await;
    match result {
        Err(error) if !error.is_not_found() => Err(error),
        _ => Ok(()),
    }
}

/// The tags of the topic `arn`.
pub async fn tags_of(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>> {
    let output = clients
        .sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .for_object(arn)
        .await?;
    Ok(tag_map(output.tags()))
}

/// Make the topic's tags: `set` added or overwritten, `remove` dropped.
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
                .sns
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags))
                .send()
                .for_object(arn)
        },
        |keys| {
            clients
                .sns
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(arn)
        },
    )
    .await
}
