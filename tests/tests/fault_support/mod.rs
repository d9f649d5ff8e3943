//! Shared by `fault_resume.rs` and `aws_quirks.rs`: the lean stack those tests drive through the
//! fault proxy, an inventory of everything a stack owns in AWS (tagged objects and the untagged
//! parts: mount targets, listeners, route-table associations, the scaling policy, the role
//! policy, the Route 53 record), and the checks built on it: "the ids in state are exactly what
//! exists" and "exactly one stack's worth of objects, no duplicate".
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use stack_tests::aws::{AwsInspector, TaggedObject};

/// The resource address every stack of these tests has.
pub const ADDRESS: &str = "wordpress_ha_stack.site";
/// The DNS name the stacks publish (in the zone [`ZONE_NAME`]).
pub const RECORD_NAME: &str = "blog.example.com";
pub const ZONE_NAME: &str = "example.com";

/// A lean stack that still runs every step of create: two zones, a single NAT gateway, the
/// bastion, DNS, a one-instance group, a single-AZ database without final snapshot. `extra`
/// goes inside the resource block (e.g. a `timeouts` block).
pub fn lean_stack_hcl(name: &str, zone_id: &str, extra: &str) -> String {
    crate::common::lean_stack_hcl(name, "10.60.0.0/16", "single", RECORD_NAME, zone_id, extra)
}

/// How many objects of each tagged kind one lean stack owns (`AwsInspector::tagged_objects`
/// kinds; instances counted without the group's own).
pub const LEAN_STACK_TAGGED: &[(&str, usize)] = &[
    ("vpc", 1),
    ("subnet", 4),
    ("internet-gateway", 1),
    ("nat-gateway", 1),
    ("elastic-ip", 1),
    ("route-table", 3),
    ("security-group", 5),
    ("instance", 1),
    ("launch-template", 1),
    ("file-system", 1),
    ("db-instance", 1),
    ("db-subnet-group", 1),
    ("load-balancer", 1),
    ("target-group", 1),
    ("auto-scaling-group", 1),
    ("secret", 1),
    ("role", 1),
    ("instance-profile", 1),
];

/// Untagged parts of one lean stack: kind → count.
pub const LEAN_STACK_PARTS: &[(&str, usize)] = &[
    ("route-table-association", 4),
    ("mount-target", 2),
    ("listener", 1),
    ("scaling-policy", 1),
    ("role-policy", 1),
    ("dns-record", 1),
];

/// Everything a stack owns in AWS, asked of each service directly (never through a proxy).
#[derive(Debug, Default)]
pub struct Inventory {
    /// Tagged objects, without the instances the Auto Scaling group launched itself.
    pub tagged: Vec<TaggedObject>,
    /// Instances launched by an Auto Scaling group (tagged through the group, not in state).
    pub group_instances: BTreeSet<String>,
    /// Untagged parts: kind → ids (as the provider records them).
    pub parts: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Inventory {
    pub async fn take(aws: &AwsInspector, stack: &str, zone_id: &str) -> Inventory {
        let all = aws
            .tagged_objects(stack)
            .await
            .expect("list tagged objects");
        let group_instances = group_instances(aws).await;
        let tagged: Vec<TaggedObject> = all
            .into_iter()
            .filter(|o| !(o.kind == "instance" && group_instances.contains(&o.id)))
            .collect();
        let mut parts = BTreeMap::new();
        parts.insert(
            "route-table-association",
            route_table_associations(aws, stack).await,
        );
        parts.insert("mount-target", mount_targets(aws, &tagged).await);
        parts.insert("listener", listeners(aws, &tagged).await);
        parts.insert("scaling-policy", scaling_policies(aws, &tagged).await);
        parts.insert("role-policy", role_policies(aws, &tagged).await);
        parts.insert("dns-record", dns_records(aws, zone_id).await);
        Inventory {
            tagged,
            group_instances,
            parts,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tagged.is_empty() && self.parts.values().all(BTreeSet::is_empty)
    }

    /// Tagged kind → count.
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

    /// Whether `id` (as recorded in state) names something in this inventory.
    fn holds(&self, id: &str) -> bool {
        self.tagged.iter().any(|o| same_object(o, id))
            || self.parts.values().any(|ids| ids.contains(id))
    }

    /// One line per object, for failure messages.
    pub fn listing(&self) -> String {
        let mut lines: Vec<String> = self.tagged.iter().map(ToString::to_string).collect();
        for (kind, ids) in &self.parts {
            lines.extend(ids.iter().map(|id| format!("{kind} {id}")));
        }
        lines.join("\n  ")
    }
}

/// Panics unless the inventory holds exactly one lean stack: every kind at its count, no
/// duplicate, nothing extra.
#[track_caller]
pub fn assert_one_lean_stack(inventory: &Inventory, context: &str) {
    let expected_tagged: BTreeMap<&str, usize> = LEAN_STACK_TAGGED.iter().copied().collect();
    let expected_parts: BTreeMap<&str, usize> = LEAN_STACK_PARTS.iter().copied().collect();
    assert_eq!(
        inventory.tagged_counts(),
        expected_tagged,
        "{context}: tagged objects per kind\n  {}",
        inventory.listing()
    );
    assert_eq!(
        inventory.part_counts(),
        expected_parts,
        "{context}: untagged parts per kind\n  {}",
        inventory.listing()
    );
    assert!(
        !inventory.group_instances.is_empty(),
        "{context}: the group launched its instance"
    );
}

/// The `resources` map of a resource's state values: logical name → AWS id.
pub fn state_resources(values: &Value) -> BTreeMap<String, String> {
    values["resources"]
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Panics unless the state's ids are exactly what exists: every recorded id names a live
/// object, and every live object of the stack is recorded.
#[track_caller]
pub fn assert_state_matches_aws(
    resources: &BTreeMap<String, String>,
    inventory: &Inventory,
    context: &str,
) {
    let stale: Vec<String> = resources
        .iter()
        .filter(|(_, id)| !inventory.holds(id))
        .map(|(name, id)| format!("{name} = {id}"))
        .collect();
    assert!(
        stale.is_empty(),
        "{context}: the state records objects that do not exist:\n  {}\nin AWS:\n  {}",
        stale.join("\n  "),
        inventory.listing()
    );
    let recorded: BTreeSet<&str> = resources.values().map(String::as_str).collect();
    let mut unrecorded: Vec<String> = inventory
        .tagged
        .iter()
        .filter(|o| !recorded.iter().any(|id| same_object(o, id)))
        .map(ToString::to_string)
        .collect();
    for (kind, ids) in &inventory.parts {
        unrecorded.extend(
            ids.iter()
                .filter(|id| !recorded.contains(id.as_str()))
                .map(|id| format!("{kind} {id}")),
        );
    }
    assert!(
        unrecorded.is_empty(),
        "{context}: objects exist that the state lost:\n  {}\nstate: {resources:#?}",
        unrecorded.join("\n  ")
    );
}

/// The inspector names secrets and instance profiles by name; the state keeps their ARNs.
fn same_object(object: &TaggedObject, recorded: &str) -> bool {
    recorded == object.id
        || (object.kind == "instance-profile"
            && recorded.ends_with(&format!(":instance-profile/{}", object.id)))
        || (object.kind == "secret" && recorded.contains(&format!(":secret:{}-", object.id)))
}

async fn group_instances(aws: &AwsInspector) -> BTreeSet<String> {
    let out = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect("describe auto scaling groups");
    out.auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances())
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect()
}

async fn route_table_associations(aws: &AwsInspector, stack: &str) -> BTreeSet<String> {
    let tables = aws
        .route_tables(stack)
        .await
        .expect("describe route tables");
    tables
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.route_table_association_id().map(str::to_string))
        .collect()
}

fn ids_of<'a>(tagged: &'a [TaggedObject], kind: &'a str) -> impl Iterator<Item = &'a str> {
    tagged
        .iter()
        .filter(move |o| o.kind == kind)
        .map(|o| o.id.as_str())
}

async fn mount_targets(aws: &AwsInspector, tagged: &[TaggedObject]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file_system in ids_of(tagged, "file-system") {
        let out = aws
            .efs
            .describe_mount_targets()
            .file_system_id(file_system)
            .send()
            .await
            .expect("describe mount targets");
        found.extend(
            out.mount_targets()
                .iter()
                .map(|m| m.mount_target_id().to_string()),
        );
    }
    found
}

async fn listeners(aws: &AwsInspector, tagged: &[TaggedObject]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for balancer in ids_of(tagged, "load-balancer") {
        let out = aws
            .elbv2
            .describe_listeners()
            .load_balancer_arn(balancer)
            .send()
            .await
            .expect("describe listeners");
        found.extend(
            out.listeners()
                .iter()
                .filter_map(|l| l.listener_arn().map(str::to_string)),
        );
    }
    found
}

async fn scaling_policies(aws: &AwsInspector, tagged: &[TaggedObject]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for group in ids_of(tagged, "auto-scaling-group") {
        let out = aws
            .autoscaling
            .describe_policies()
            .auto_scaling_group_name(group)
            .send()
            .await
            .expect("describe policies");
        found.extend(
            out.scaling_policies()
                .iter()
                .filter_map(|p| p.policy_name().map(str::to_string)),
        );
    }
    found
}

async fn role_policies(aws: &AwsInspector, tagged: &[TaggedObject]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for role in ids_of(tagged, "role") {
        let out = aws
            .iam
            .list_role_policies()
            .role_name(role)
            .send()
            .await
            .expect("list role policies");
        found.extend(out.policy_names().iter().cloned());
    }
    found
}

/// The stack's alias records, as the provider records them: `<zone id>/<name>`.
async fn dns_records(aws: &AwsInspector, zone_id: &str) -> BTreeSet<String> {
    let records = aws.record_sets(zone_id).await.expect("list record sets");
    records
        .into_iter()
        .filter(|(name, kind)| kind == "A" && name.trim_end_matches('.') == RECORD_NAME)
        .map(|(name, _)| format!("{zone_id}/{}", name.trim_end_matches('.')))
        .collect()
}
