//! The stack every run applies, and how many objects of each kind it must leave in AWS.

use std::collections::BTreeMap;

use crate::inspect::inventory::ExpectedStack;
#[cfg(doc)]
use crate::inspect::Inventory;

use super::{RECORD_NAME, STACK};

/// The shape of the stack a run applies; everything else is the realistic default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackShape {
    pub zones: usize,
}

impl StackShape {
    /// Two or three zones, alternating with the seed.
    pub fn for_seed(seed: u64) -> StackShape {
        StackShape {
            zones: 2 + (seed % 2) as usize,
        }
    }

    pub fn zone_names(&self) -> Vec<String> {
        ["us-east-1a", "us-east-1b", "us-east-1c"]
            .iter()
            .take(self.zones)
            .map(|z| z.to_string())
            .collect()
    }

    /// The resource block: bastion and DNS on, a NAT gateway per zone, single-AZ database
    /// without a final snapshot (so destroy does not leave one behind).
    pub fn hcl(&self, zone_id: &str) -> String {
        let zones: Vec<String> = self
            .zone_names()
            .iter()
            .map(|z| format!("\"{z}\""))
            .collect();
        format!(
            r#"
resource "wordpress_ha_stack" "site" {{
  name = "{STACK}"
  network {{
    vpc_cidr           = "10.60.0.0/16"
    availability_zones = [{zones}]
    nat_gateways       = "one_per_az"
  }}
  bastion {{
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  dns {{
    zone_id     = "{zone_id}"
    record_name = "{RECORD_NAME}"
  }}
  tags = {{ purpose = "reliability" }}
}}
"#,
            zones = zones.join(", ")
        )
    }

    /// How many objects of each kind this stack is made of, as [`Inventory::counts`] counts
    /// them: a NAT gateway per zone and the group's default two instances.
    pub fn expected_inventory(&self) -> BTreeMap<&'static str, usize> {
        ExpectedStack {
            zones: self.zones,
            nat_per_zone: true,
            app_instances: 2,
            dns: true,
            waf: true,
            alarms: 8,
            logs: true,
        }
        .counts()
    }
}

/// Kinds with more objects than expected, as `kind: found (expected n)`.
pub fn duplicates(
    expected: &BTreeMap<&'static str, usize>,
    found: &BTreeMap<&'static str, usize>,
) -> Vec<String> {
    found
        .iter()
        .filter_map(|(kind, &n)| {
            let want = expected.get(kind).copied().unwrap_or(0);
            (n > want).then(|| format!("{kind}: {n} (expected {want})"))
        })
        .collect()
}

/// Kinds with fewer objects than expected (an apply that did not finish the stack).
pub fn missing(
    expected: &BTreeMap<&'static str, usize>,
    found: &BTreeMap<&'static str, usize>,
) -> Vec<String> {
    expected
        .iter()
        .filter_map(|(kind, &want)| {
            let n = found.get(kind).copied().unwrap_or(0);
            (n < want).then(|| format!("{kind}: {n} (expected {want})"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
        pairs.iter().map(|(k, n)| (*k, *n)).collect()
    }

    #[test]
    fn duplicates_and_missing_compare_kind_by_kind() {
        let expected = counts(&[("vpc", 1), ("subnet", 4)]);
        let found = counts(&[("vpc", 2), ("subnet", 3), ("secret", 1)]);
        assert_eq!(
            duplicates(&expected, &found),
            ["secret: 1 (expected 0)", "vpc: 2 (expected 1)"]
        );
        assert_eq!(missing(&expected, &found), ["subnet: 3 (expected 4)"]);
        assert!(duplicates(&expected, &expected).is_empty());
    }

    #[test]
    fn expected_inventory_scales_with_zones() {
        let two = StackShape { zones: 2 }.expected_inventory();
        let three = StackShape { zones: 3 }.expected_inventory();
        assert_eq!(two["subnet"], 4);
        assert_eq!(three["subnet"], 6);
        assert_eq!(three["nat-gateway"], 3);
        assert_eq!(two["vpc"], three["vpc"]);
    }

    #[test]
    fn the_stack_hcl_names_every_zone_and_the_hosted_zone() {
        let hcl = StackShape { zones: 3 }.hcl("ZABC");
        assert!(
            hcl.contains(r#"["us-east-1a", "us-east-1b", "us-east-1c"]"#),
            "{hcl}"
        );
        assert!(hcl.contains(r#"zone_id     = "ZABC""#), "{hcl}");
    }
}
