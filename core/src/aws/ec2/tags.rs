//! Tags on any EC2 object, read and written through the generic tag calls.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Tag;

use super::{filter, opt, Tags};
use crate::aws::coalesce::keyed;
use crate::aws::tags::{sdk_tags, TagPair};
use crate::aws::{Clients, SendFor};
use crate::error::Result;
use crate::naming::STACK_TAG;

/// Most resource ids one DescribeTags filter takes.
const TAG_FILTER_LIMIT: usize = 200;

/// The tags of each of `ids` (any EC2 object kind), in one paged DescribeTags per 200 ids: how
/// a refresh reads the tags of objects whose own describe is not otherwise needed (internet
/// gateway, elastic IPs, launch template). An id without tags, or gone, is absent.
pub async fn tags_by_resource(clients: &Clients, ids: &[String]) -> Result<BTreeMap<String, Tags>> {
    let all = keyed(
        clients,
        "resource-id",
        ids,
        |clients: Clients, ids: Vec<String>| async move { tags_of_ids(&clients, &ids).await },
    )
    .await?;
    Ok(ids
        .iter()
        .filter_map(|id| Some((id.clone(), all.get(id)?.clone())))
        .collect())
}

async fn tags_of_ids(clients: &Clients, ids: &[String]) -> Result<BTreeMap<String, Tags>> {
    let mut found: BTreeMap<String, Tags> = BTreeMap::new();
    for chunk in ids.chunks(TAG_FILTER_LIMIT) {
        let values: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let tags = clients
            .ec2
            .describe_tags()
            .filters(filter("resource-id", &values))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .for_object(chunk.join(", "))
            .await?;
        for tag in &tags {
            let (Some(id), Some((key, value))) = (tag.resource_id(), tag.pair()) else {
                continue;
            };
            // The filter may match by prefix on an emulating endpoint: keep exact ids only.
            if chunk.iter().any(|wanted| wanted == id) {
                found
                    .entry(id.to_string())
                    .or_default()
                    .insert(key.to_string(), value.to_string());
            }
        }
    }
    Ok(found)
}

/// Add or overwrite `tags` on the object.
pub async fn create_tags(clients: &Clients, resource_id: &str, tags: &Tags) -> Result<()> {
    clients
        .ec2
        .create_tags()
        .resources(resource_id)
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(resource_id)
        .await
        .map(|_| ())
}

/// Remove the tags `keys` (whatever their values) from the object.
pub async fn delete_tags(clients: &Clients, resource_id: &str, keys: &[String]) -> Result<()> {
    let tags: Vec<Tag> = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
    clients
        .ec2
        .delete_tags()
        .resources(resource_id)
        .set_tags(Some(tags))
        .send()
        .for_object(resource_id)
        .await
        .map(|_| ())
}

/// One tagged EC2 object, as DescribeTags lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedObject {
    pub id: String,
    /// EC2's resource type spelling: `vpc`, `subnet`, `natgateway`, `elastic-ip`, `instance`…
    pub kind: String,
}

/// Every EC2 object carrying the stack tag (EIPs and launch templates included, which the
/// Resource Groups Tagging API of an emulating endpoint may miss).
pub async fn tagged_objects(clients: &Clients, stack: &str) -> Result<Vec<TaggedObject>> {
    let tags = clients
        .ec2
        .describe_tags()
        .filters(filter("key", &[STACK_TAG]))
        .filters(filter("value", &[stack]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(format!("objects of stack {stack}"))
        .await?;
    Ok(tags
        .iter()
        .map(|t| TaggedObject {
            id: opt(t.resource_id()),
            kind: t
                .resource_type()
                .map(|k| k.as_str().to_string())
                .unwrap_or_default(),
        })
        .collect())
}

/// Make the object's tags: add or overwrite `set`, remove `remove`.
pub async fn retag(
    clients: &Clients,
    resource_id: &str,
    set: &Tags,
    remove: &[String],
) -> Result<()> {
    if !set.is_empty() {
        create_tags(clients, resource_id, set).await?;
    }
    if !remove.is_empty() {
        delete_tags(clients, resource_id, remove).await?;
    }
    Ok(())
}
