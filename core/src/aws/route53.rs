//! Route 53: the alias record that puts the stack behind the user's own name.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};

use crate::aws::{Clients, SendFor};
use crate::error::{Result, StackError};
use crate::wait::{self, Bounds, Poll};

/// An alias A record: `name` answers with the addresses of `dns_name` (an ALB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasRecord {
    /// Fully qualified, without the trailing dot.
    pub name: String,
    pub target_dns_name: String,
    pub target_zone_id: String,
    pub evaluate_target_health: bool,
}

impl AliasRecord {
    /// Whether this record already points where `other` wants it to (DNS names compare
    /// without case and trailing dot; AWS may prefix `dualstack.`).
    pub fn points_like(&self, other: &AliasRecord) -> bool {
        normalize(&self.name) == normalize(&other.name)
            && strip_dualstack(&normalize(&self.target_dns_name))
                == strip_dualstack(&normalize(&other.target_dns_name))
            && self.target_zone_id == other.target_zone_id
            && self.evaluate_target_health == other.evaluate_target_health
    }
}

/// `example.com.` and `Example.COM` are the same name.
pub fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn strip_dualstack(name: &str) -> &str {
    name.strip_prefix("dualstack.").unwrap_or(name)
}

/// `/hostedzone/Z123` and `Z123` name the same zone; the API wants the bare id.
pub fn bare_zone_id(zone_id: &str) -> &str {
    zone_id.rsplit('/').next().unwrap_or(zone_id)
}

fn build_error(what: &str, e: impl std::fmt::Display) -> StackError {
    StackError::Internal(format!("Route 53 {what}: {e}"))
}

fn record_set(record: &AliasRecord) -> Result<ResourceRecordSet> {
    ResourceRecordSet::builder()
        .name(&record.name)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(&record.target_dns_name)
                .hosted_zone_id(&record.target_zone_id)
                .evaluate_target_health(record.evaluate_target_health)
                .build()
                .map_err(|e| build_error("alias target", e))?,
        )
        .build()
        .map_err(|e| build_error("record set", e))
}

/// Whether the hosted zone exists (a typo'd `zone_id` should fail before anything is built).
pub async fn zone_exists(clients: &Clients, zone_id: &str) -> Result<bool> {
    let zone = bare_zone_id(zone_id);
    match clients
        .route53
        .get_hosted_zone()
        .id(zone)
        .send()
        .for_object(zone)
        .await
    {
        Ok(_) => Ok(true),
        Err(error) => {
            if error.aws_code() == Some("NoSuchHostedZone") {
                Ok(false)
            } else {
                Err(error)
            }
        }
    }
}

/// The hosted zone's name (`example.com.`), or `None` when there is no such zone.
pub async fn zone_name(clients: &Clients, zone_id: &str) -> Result<Option<String>> {
    let zone = bare_zone_id(zone_id);
    match clients
        .route53
        .get_hosted_zone()
        .id(zone)
        .send()
        .for_object(zone)
        .await
    {
        Ok(output) => Ok(output.hosted_zone().map(|z| z.name().to_string())),
        Err(error) if error.aws_code() == Some("NoSuchHostedZone") => Ok(None),
        Err(error) => Err(error),
    }
}

/// The A alias record `name` in `zone_id`, or `None` (also when it is a plain A record).
pub async fn find_alias(
    clients: &Clients,
    zone_id: &str,
    name: &str,
) -> Result<Option<AliasRecord>> {
    // One listing of the name serves both: the alias is the A record among its records.
    Ok(conflicting_records(clients, zone_id, name)
        .await?
        .into_iter()
        .find_map(|record| record.alias))
}

/// A record at the stack's name that an A alias would replace (an A record, alias or not) or
/// collide with (a CNAME, which allows no other record beside it).
#[derive(Debug, Clone)]
pub struct ExistingRecord {
    pub name: String,
    /// `A` or `CNAME`.
    pub kind: String,
    /// Set when it is an alias A record.
    pub alias: Option<AliasRecord>,
    /// The plain values (addresses or the CNAME target), for messages.
    pub values: Vec<String>,
    /// Kept to delete it: a DELETE must repeat the record exactly.
    set: ResourceRecordSet,
}

impl ExistingRecord {
    /// `A alias to x.elb.amazonaws.com`, `CNAME www.example.org`, `A 192.0.2.1`.
    pub fn describe(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{} alias to {}", self.kind, alias.target_dns_name),
            None if self.values.is_empty() => format!("an {} record", self.kind),
            None => format!("{} {}", self.kind, self.values.join(", ")),
        }
    }
}

/// The A and CNAME records named `name` in `zone_id` (what an alias A record at that name
/// would replace or collide with).
pub async fn conflicting_records(
    clients: &Clients,
    zone_id: &str,
    name: &str,
) -> Result<Vec<ExistingRecord>> {
    let zone = bare_zone_id(zone_id);
    let wanted = normalize(name);
    // Records are listed in name order from `name`: those of the name come first.
    let output = clients
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .max_items(20)
        .send()
        .for_object(format!("{name} in {zone}"))
        .await?;
    Ok(output
        .resource_record_sets()
        .iter()
        .filter(|set| normalize(set.name()) == wanted)
        .filter(|set| matches!(set.r#type(), RrType::A | RrType::Cname))
        .map(|set| ExistingRecord {
            name: normalize(set.name()),
            kind: set.r#type().as_str().to_string(),
            alias: alias_from(set),
            values: set
                .resource_records()
                .iter()
                .map(|r| r.value().to_string())
                .collect(),
            set: set.clone(),
        })
        .collect())
}

fn alias_from(set: &ResourceRecordSet) -> Option<AliasRecord> {
    let alias = set.alias_target()?;
    (*set.r#type() == RrType::A).then(|| AliasRecord {
        name: normalize(set.name()),
        target_dns_name: normalize(alias.dns_name()),
        target_zone_id: alias.hosted_zone_id().to_string(),
        evaluate_target_health: alias.evaluate_target_health(),
    })
}

/// Ids of every hosted zone of the account.
pub async fn hosted_zone_ids(clients: &Clients) -> Result<Vec<String>> {
    let zones = clients
        .route53
        .list_hosted_zones()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object("all hosted zones")
        .await?;
    Ok(zones
        .iter()
        .map(|z| bare_zone_id(z.id()).to_string())
        .collect())
}

/// Every A alias record of `zone_id`.
pub async fn aliases_in_zone(clients: &Clients, zone_id: &str) -> Result<Vec<AliasRecord>> {
    let zone = bare_zone_id(zone_id);
    let mut found = Vec::new();
    let mut start: Option<(String, RrType)> = None;
    loop {
        let output = clients
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .set_start_record_name(start.as_ref().map(|(name, _)| name.clone()))
            .set_start_record_type(start.as_ref().map(|(_, kind)| kind.clone()))
            .send()
            .for_object(zone)
            .await?;
        found.extend(output.resource_record_sets().iter().filter_map(alias_from));
        match (
            output.is_truncated(),
            output.next_record_name(),
            output.next_record_type(),
        ) {
            (true, Some(name), Some(kind)) => start = Some((name.to_string(), kind.clone())),
            _ => return Ok(found),
        }
    }
}

/// `(zone id, record)` of every A alias of the account pointing at `target_dns_name`. Route 53
/// records carry no tags: this is how an import finds the stack's record.
pub async fn find_aliases_to(
    clients: &Clients,
    target_dns_name: &str,
) -> Result<Vec<(String, AliasRecord)>> {
    let target = normalize(target_dns_name);
    let mut found = Vec::new();
    for zone in hosted_zone_ids(clients).await? {
        for record in aliases_in_zone(clients, &zone).await? {
            if strip_dualstack(&record.target_dns_name) == strip_dualstack(&target) {
                found.push((zone.clone(), record));
            }
        }
    }
    Ok(found)
}

async fn change(
    clients: &Clients,
    zone_id: &str,
    action: ChangeAction,
    record: &AliasRecord,
) -> Result<String> {
    let zone = bare_zone_id(zone_id);
    let operation = format!("{} {}", action.as_str(), record.name);
    let batch = ChangeBatch::builder()
        .comment("terraform-provider-wordpress")
        .changes(
            Change::builder()
                .action(action)
                .resource_record_set(record_set(record)?)
                .build()
                .map_err(|e| build_error("change", e))?,
        )
        .build()
        .map_err(|e| build_error("change batch", e))?;
    let output = clients
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .for_object(format!("{operation} in {zone}"))
        .await?;
    Ok(output
        .change_info()
        .map(|c| c.id().to_string())
        .unwrap_or_default())
}

/// Create the record; Route 53 refuses (`InvalidChangeBatch`) when one exists meanwhile, so
/// a record someone made between the check and the create is never overwritten.
pub async fn create_alias(
    clients: &Clients,
    zone_id: &str,
    record: &AliasRecord,
) -> Result<String> {
    change(clients, zone_id, ChangeAction::Create, record).await
}

/// Replace `existing` (the records [`conflicting_records`] found) by the alias in one change
/// batch: a CNAME is deleted (it allows no A beside it), an A record is upserted over.
pub async fn replace_with_alias(
    clients: &Clients,
    zone_id: &str,
    existing: &[ExistingRecord],
    record: &AliasRecord,
) -> Result<String> {
    let zone = bare_zone_id(zone_id);
    let mut changes = Vec::new();
    for cname in existing.iter().filter(|r| r.kind == "CNAME") {
        changes.push(
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(cname.set.clone())
                .build()
                .map_err(|e| build_error("change", e))?,
        );
    }
    changes.push(
        Change::builder()
            .action(ChangeAction::Upsert)
            .resource_record_set(record_set(record)?)
            .build()
            .map_err(|e| build_error("change", e))?,
    );
    let batch = ChangeBatch::builder()
        .comment("terraform-provider-wordpress")
        .set_changes(Some(changes))
        .build()
        .map_err(|e| build_error("change batch", e))?;
    let output = clients
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .for_object(format!("replace {} in {zone}", record.name))
        .await?;
    Ok(output
        .change_info()
        .map(|c| c.id().to_string())
        .unwrap_or_default())
}

/// Overwrite the record (one the stack owns). Returns the change id to wait on.
pub async fn upsert_alias(
    clients: &Clients,
    zone_id: &str,
    record: &AliasRecord,
) -> Result<String> {
    change(clients, zone_id, ChangeAction::Upsert, record).await
}

/// Delete the alias record if it still exists (DELETE must repeat its current value exactly)
/// and, when `target_dns_name` is given, still points there: a record someone else has since
/// pointed elsewhere is not the stack's to delete.
pub async fn delete_alias(
    clients: &Clients,
    zone_id: &str,
    name: &str,
    target_dns_name: Option<&str>,
) -> Result<Option<String>> {
    let Some(current) = find_alias(clients, zone_id, name).await? else {
        return Ok(None);
    };
    if let Some(target) = target_dns_name {
        if strip_dualstack(&current.target_dns_name) != strip_dualstack(&normalize(target)) {
            tracing::warn!(record = %name, target = %current.target_dns_name,
                "the record points elsewhere now: left in place");
            return Ok(None);
        }
    }
    match change(clients, zone_id, ChangeAction::Delete, &current).await {
        Ok(change_id) => Ok(Some(change_id)),
        // Deleted by someone else between the read and the delete.
        Err(error)
            if error.aws_code() == Some("InvalidChangeBatch")
                && error.to_string().contains("not found") =>
        {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Wait until Route 53 reports the change `INSYNC` on all its name servers.
pub async fn wait_change_in_sync(
    clients: &Clients,
    bounds: &Bounds,
    change_id: &str,
) -> Result<()> {
    if change_id.is_empty() {
        return Ok(());
    }
    let id = bare_zone_id(change_id);
    wait::until(
        bounds,
        &format!("Route 53 change {id}"),
        "INSYNC",
        || async {
            let result = clients
                .route53
                .get_change()
                .id(id)
                .send()
                .for_object(id)
                .await;
            let output = match result {
                Ok(output) => output,
                // A change moments old may not be visible yet (eventual consistency).
                Err(error) if error.aws_code() == Some("NoSuchChange") => {
                    return Ok(Poll::Pending("not visible yet".to_string()))
                }
                Err(error) => return Err(error),
            };
            Ok(match output.change_info().map(|c| c.status()) {
                Some(ChangeStatus::Insync) => Poll::Ready(()),
                Some(status) => Poll::Pending(status.as_str().to_string()),
                None => Poll::Pending("no status".to_string()),
            })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, target: &str) -> AliasRecord {
        AliasRecord {
            name: name.to_string(),
            target_dns_name: target.to_string(),
            target_zone_id: "Z35SXDOTRQ7X7K".to_string(),
            evaluate_target_health: true,
        }
    }

    #[test]
    fn alias_comparison_ignores_case_trailing_dot_and_dualstack() {
        let wanted = record("blog.example.com", "blog-alb-1.us-east-1.elb.amazonaws.com");
        let seen = record(
            "Blog.Example.com.",
            "dualstack.blog-alb-1.us-east-1.elb.amazonaws.com.",
        );
        assert!(seen.points_like(&wanted));
        let elsewhere = record("blog.example.com", "other-alb.us-east-1.elb.amazonaws.com");
        assert!(!elsewhere.points_like(&wanted));
    }

    #[test]
    fn zone_ids_lose_their_path_prefix() {
        assert_eq!(bare_zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(bare_zone_id("Z123"), "Z123");
        assert_eq!(bare_zone_id("/change/C42"), "C42");
    }
}
