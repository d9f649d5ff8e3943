//! Everything a stack owns in AWS: the census of tagged objects, plus the parts that cannot
//! carry the tag, found through their owners (mount targets, listeners, route-table
//! associations, scaling policies, role policies, the web ACL's association, the alarm
//! topic's subscriptions) or their zone
//! (the DNS record). Every e2e test,
//! the reliability runner and the crash tests count "exactly one stack's worth" with it.

use std::collections::{BTreeMap, BTreeSet};

use super::{AwsInspector, InspectError, TaggedObject};

/// Everything a stack owns in AWS, asked of each service directly (never through a proxy).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// Tagged objects, without the instances an Auto Scaling group launched itself.
    pub tagged: Vec<TaggedObject>,
    /// Live tagged instances launched by an Auto Scaling group (the group owns them, the state
    /// does not).
    pub group_instances: BTreeSet<String>,
    /// Untagged parts: kind → ids (as the provider records them).
    pub parts: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Inventory {
    /// The inventory of `stack`; its DNS records are the A records of `zone_id` (a zone the
    /// test made for this one stack), when it has one.
    pub async fn take(
        aws: &AwsInspector,
        stack: &str,
        zone_id: Option<&str>,
    ) -> Result<Inventory, InspectError> {
        let all = aws.tagged_objects(stack).await?;
        let launched: BTreeSet<String> = aws
            .all_auto_scaling_groups()
            .await?
            .iter()
            .flat_map(|g| g.instances())
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        let (group, tagged): (Vec<TaggedObject>, Vec<TaggedObject>) = all
            .into_iter()
            .partition(|o| o.kind == "instance" && launched.contains(&o.id));
        let mut inventory = Inventory {
            tagged,
            group_instances: group.into_iter().map(|o| o.id).collect(),
            parts: BTreeMap::new(),
        };
        let associations = route_table_associations(aws, stack).await?;
        inventory
            .parts
            .insert("route-table-association", associations);
        let mut mount_targets = BTreeSet::new();
        for file_system in inventory.ids_of("file-system") {
            let targets = aws.mount_targets(file_system).await?;
            mount_targets.extend(targets.iter().map(|m| m.mount_target_id().to_string()));
        }
        inventory.parts.insert("mount-target", mount_targets);
        let mut listeners = BTreeSet::new();
        for balancer in inventory.ids_of("load-balancer") {
            let found = aws.listeners(balancer).await?;
            listeners.extend(
                found
                    .iter()
                    .filter_map(|l| l.listener_arn().map(str::to_string)),
            );
        }
        inventory.parts.insert("listener", listeners);
        // A balancer guarded by one of the stack's web ACLs: recorded as the balancer's ARN.
        let acls: BTreeSet<String> = inventory.ids_of("web-acl").map(str::to_string).collect();
        let mut associations = BTreeSet::new();
        for balancer in inventory.ids_of("load-balancer") {
            if let Some(acl) = aws.web_acl_for(balancer).await? {
                if acls.contains(&acl) {
                    associations.insert(balancer.to_string());
                }
            }
        }
        inventory.parts.insert("waf-association", associations);
        // The stack topic's subscriptions: they go with the topic, and carry no tag.
        let mut subscriptions = BTreeSet::new();
        for topic in inventory.ids_of("alarm-topic") {
            let found = aws.topic_subscriptions(topic).await?;
            subscriptions.extend(found.into_iter().map(|s| s.arn));
        }
        inventory.parts.insert("alarm-subscription", subscriptions);
        let mut policies = BTreeSet::new();
        for group in inventory.ids_of("auto-scaling-group") {
            let found = aws.scaling_policies(group).await?;
            policies.extend(
                found
                    .iter()
                    .filter_map(|p| p.policy_name().map(str::to_string)),
            );
        }
        inventory.parts.insert("scaling-policy", policies);
        let mut role_policies = BTreeSet::new();
        for role in inventory.ids_of("role") {
            role_policies.extend(aws.role_policy_names(role).await?);
        }
        inventory.parts.insert("role-policy", role_policies);
        let records = match zone_id {
            Some(zone) => dns_records(aws, zone).await?,
            None => BTreeSet::new(),
        };
        inventory.parts.insert("dns-record", records);
        Ok(inventory)
    }

    fn ids_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> {
        self.tagged
            .iter()
            .filter(move |o| o.kind == kind)
            .map(|o| o.id.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.tagged.is_empty()
            && self.group_instances.is_empty()
            && self.parts.values().all(BTreeSet::is_empty)
    }

    /// Tagged kind → count, without the group's instances.
    pub fn tagged_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for object in &self.tagged {
            *counts.entry(object.kind).or_default() += 1;
        }
        counts
    }

    /// Untagged part kind → count (kinds with none left out).
    pub fn part_counts(&self) -> BTreeMap<&'static str, usize> {
        self.parts
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(kind, ids)| (*kind, ids.len()))
            .collect()
    }

    /// Every kind → count: tagged objects (the group's instances among the instances) and
    /// untagged parts, kinds with none left out. Compare with [`ExpectedStack::counts`].
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = self.tagged_counts();
        if !self.group_instances.is_empty() {
            *counts.entry("instance").or_default() += self.group_instances.len();
        }
        counts.extend(self.part_counts());
        counts
    }

    /// Whether `id` (as recorded in state) names something in this inventory.
    pub fn holds(&self, id: &str) -> bool {
        self.tagged.iter().any(|o| same_object(o, id))
            || self.parts.values().any(|ids| ids.contains(id))
    }

    /// One line per object, for failure messages.
    pub fn listing(&self) -> String {
        let mut lines: Vec<String> = self.tagged.iter().map(ToString::to_string).collect();
        lines.extend(
            self.group_instances
                .iter()
                .map(|id| format!("ec2 group-instance {id}")),
        );
        for (kind, ids) in &self.parts {
            lines.extend(ids.iter().map(|id| format!("{kind} {id}")));
        }
        lines.join("\n  ")
    }
}

/// Whether a state id names this object: the census names secrets and instance profiles by
/// name, the state keeps their ARNs.
pub fn same_object(object: &TaggedObject, recorded: &str) -> bool {
    recorded == object.id
        || (object.kind == "instance-profile"
            && recorded.ends_with(&format!(":instance-profile/{}", object.id)))
        || (object.kind == "secret" && recorded.contains(&format!(":secret:{}-", object.id)))
}

/// The shape of a stack's configuration (with its bastion), enough to say how many objects of
/// each kind it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedStack {
    pub zones: usize,
    /// One NAT gateway (and EIP) per zone, or a single one.
    pub nat_per_zone: bool,
    /// Instances the Auto Scaling group keeps (its desired capacity).
    pub app_instances: usize,
    /// Whether the stack publishes a DNS record.
    pub dns: bool,
    /// Whether a WAF web ACL guards the load balancer.
    pub waf: bool,
    /// The stack's CloudWatch alarms (8 for a stack of default alarms, 0 without), each with
    /// the stack's own topic.
    pub alarms: usize,
    /// Whether the stack has its CloudWatch Logs group.
    pub logs: bool,
}

impl ExpectedStack {
    /// How many objects of each kind the stack owns, as [`Inventory::counts`] counts them.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let zones = self.zones;
        let nats = if self.nat_per_zone { zones } else { 1 };
        let counts = [
            ("vpc", 1),
            ("subnet", 2 * zones),
            ("internet-gateway", 1),
            ("nat-gateway", nats),
            ("elastic-ip", nats),
            // The public table and a private table per zone.
            ("route-table", 1 + zones),
            ("route-table-association", 2 * zones),
            // ALB, app, bastion, EFS, database.
            ("security-group", 5),
            // The bastion and the group's instances.
            ("instance", 1 + self.app_instances),
            ("launch-template", 1),
            ("file-system", 1),
            ("mount-target", zones),
            ("db-instance", 1),
            ("db-subnet-group", 1),
            ("db-parameter-group", 1),
            ("load-balancer", 1),
            ("listener", 1),
            ("target-group", 1),
            ("auto-scaling-group", 1),
            ("scaling-policy", 1),
            ("secret", 1),
            ("role", 1),
            ("role-policy", 1),
            ("instance-profile", 1),
            ("dns-record", usize::from(self.dns)),
            ("web-acl", usize::from(self.waf)),
            ("waf-association", usize::from(self.waf)),
            ("alarm", self.alarms),
            ("alarm-topic", usize::from(self.alarms > 0)),
            ("log-group", usize::from(self.logs)),
        ];
        counts.into_iter().filter(|(_, n)| *n > 0).collect()
    }
}

async fn route_table_associations(
    aws: &AwsInspector,
    stack: &str,
) -> Result<BTreeSet<String>, InspectError> {
    let tables = aws.route_tables(stack).await?;
    Ok(tables
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.route_table_association_id().map(str::to_string))
        .collect())
}

/// The zone's A records, as the provider records them: `<zone id>/<name>`.
async fn dns_records(aws: &AwsInspector, zone_id: &str) -> Result<BTreeSet<String>, InspectError> {
    let records = aws.record_sets(zone_id).await?;
    Ok(records
        .into_iter()
        .filter(|(_, kind)| kind == "A")
        .map(|(name, _)| format!("{zone_id}/{}", name.trim_end_matches('.')))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_counts_follow_the_shape() {
        let lean = ExpectedStack {
            zones: 2,
            nat_per_zone: false,
            app_instances: 1,
            dns: true,
            waf: true,
            alarms: 8,
            logs: true,
        };
        let counts = lean.counts();
        assert_eq!(counts["nat-gateway"], 1);
        assert_eq!(counts["route-table"], 3);
        assert_eq!(counts["route-table-association"], 4);
        assert_eq!(counts["instance"], 2);
        assert_eq!((counts["web-acl"], counts["waf-association"]), (1, 1));
        let wide = ExpectedStack {
            zones: 3,
            nat_per_zone: true,
            dns: false,
            waf: false,
            logs: false,
            ..lean
        };
        let counts = wide.counts();
        assert_eq!(counts["elastic-ip"], 3);
        assert_eq!(counts["route-table"], 4);
        assert_eq!(counts["mount-target"], 3);
        assert_eq!(counts.get("dns-record"), None);
        assert_eq!(counts.get("web-acl"), None);
    }
}
