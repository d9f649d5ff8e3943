//! Shared by `fault_resume.rs` and `aws_quirks.rs`: the lean stack those tests drive through the
//! fault proxy, and the checks built on the shared [`Inventory`]: "the ids in state are exactly
//! what exists" and "exactly one stack's worth of objects, no duplicate".
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use stack_tests::inspect::inventory::{same_object, ExpectedStack};
pub use stack_tests::inspect::Inventory;

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

/// One lean stack, as the inventory counts it: a single NAT gateway, the bastion and the group's
/// one instance, the DNS record.
pub const LEAN_STACK: ExpectedStack = ExpectedStack {
    zones: 2,
    nat_per_zone: false,
    app_instances: 1,
    dns: true,
    waf: true,
    alarms: 8,
    logs: true,
};

/// Panics unless the inventory holds exactly one lean stack: every kind at its count, no
/// duplicate, nothing extra.
#[track_caller]
pub fn assert_one_lean_stack(inventory: &Inventory, context: &str) {
    assert_eq!(
        inventory.counts(),
        LEAN_STACK.counts(),
        "{context}: objects per kind\n  {}",
        inventory.listing()
    );
    assert_eq!(
        inventory.tagged_counts().get("instance"),
        Some(&1),
        "{context}: one instance besides the group's, the bastion\n  {}",
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
