//! Route 53 as the tests need it: hosted zones with AWS-shaped ids, and the records in them
//! (records cannot carry the stack tag, so they are found by zone).

use std::sync::atomic::{AtomicU64, Ordering};

use super::{inspect_error, AwsInspector, InspectError};

/// Distinguishes the caller references of every zone this process creates.
static ZONES_CREATED: AtomicU64 = AtomicU64::new(0);

/// How many zones to draw before giving up on an id starting with `Z`.
const ZONE_ATTEMPTS: usize = 1000;

impl AwsInspector {
    /// A public hosted zone for `name`, by its bare id starting with `Z` as AWS's do: the
    /// provider validates that, and moto draws ids without it, so zones are created until one
    /// fits and the others deleted.
    pub async fn create_hosted_zone(&self, name: &str) -> Result<String, InspectError> {
        for _ in 0..ZONE_ATTEMPTS {
            let reference = ZONES_CREATED.fetch_add(1, Ordering::Relaxed);
            let out = self
                .route53
                .create_hosted_zone()
                .name(name)
                .caller_reference(format!("e2e-{name}-{}-{reference}", std::process::id()))
                .send()
                .await
                .map_err(inspect_error("route53", "CreateHostedZone"))?;
            let full_id = out.hosted_zone().map(|z| z.id()).unwrap_or_default();
            let id = full_id.trim_start_matches("/hostedzone/").to_string();
            if id.starts_with('Z') {
                return Ok(id);
            }
            self.route53
                .delete_hosted_zone()
                .id(&id)
                .send()
                .await
                .map_err(inspect_error("route53", "DeleteHostedZone"))?;
        }
        Err(InspectError {
            service: "route53",
            operation: "CreateHostedZone",
            message: format!("moto gave no zone id starting with Z in {ZONE_ATTEMPTS} attempts"),
        })
    }

    /// `(name, type)` of every record set in a hosted zone.
    pub async fn record_sets(&self, zone_id: &str) -> Result<Vec<(String, String)>, InspectError> {
        let out = self
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .send()
            .await
            .map_err(inspect_error("route53", "ListResourceRecordSets"))?;
        Ok(out
            .resource_record_sets()
            .iter()
            .map(|r| (r.name().to_string(), r.r#type().as_str().to_string()))
            .collect())
    }

    /// `(name, alias target)` of every A record in the zone.
    pub async fn alias_records(
        &self,
        zone_id: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, InspectError> {
        let out = self
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .send()
            .await
            .map_err(inspect_error("route53", "ListResourceRecordSets"))?;
        Ok(out
            .resource_record_sets()
            .iter()
            .filter(|r| r.r#type().as_str() == "A")
            .filter_map(|r| {
                let target = r.alias_target()?.dns_name().to_string();
                Some((r.name().to_string(), target))
            })
            .collect())
    }
}
