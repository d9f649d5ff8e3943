//! The stacks the benchmark applies: their HCL, and the same stack as the core's layout, whose
//! declared step graph gives the critical path.

use stack_core::engine::{apply_graph, GraphStep};
use stack_core::spec::{DnsSpec, NatMode, StackSpec};
use stack_core::tiers::StackLayout;

/// Resource address prefix of every benchmarked stack.
pub const RESOURCE_TYPE: &str = "wordpress_ha_stack";

/// What one benchmarked stack asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct StackShape {
    pub name: String,
    pub vpc_cidr: String,
    pub zones: Vec<String>,
    pub nat_per_zone: bool,
    pub bastion: bool,
    pub multi_az: bool,
    /// Route 53 `(zone id, record name)`.
    pub dns: Option<(String, String)>,
}

impl StackShape {
    /// The issue's stack: 3 AZs, a NAT per AZ, Multi-AZ RDS, the bastion and a DNS record.
    pub fn full(name: &str, vpc_cidr: &str, zone_id: &str) -> StackShape {
        StackShape {
            name: name.to_string(),
            vpc_cidr: vpc_cidr.to_string(),
            zones: ["us-east-1a", "us-east-1b", "us-east-1c"]
                .map(String::from)
                .to_vec(),
            nat_per_zone: true,
            bastion: true,
            multi_az: true,
            dns: Some((zone_id.to_string(), format!("{name}.bench.example.com"))),
        }
    }

    /// The smoke test's stack: 2 AZs, one NAT, single-AZ RDS, no bastion, no DNS.
    pub fn lean(name: &str, vpc_cidr: &str) -> StackShape {
        StackShape {
            name: name.to_string(),
            vpc_cidr: vpc_cidr.to_string(),
            zones: ["us-east-1a", "us-east-1b"].map(String::from).to_vec(),
            nat_per_zone: false,
            bastion: false,
            multi_az: false,
            dns: None,
        }
    }

    /// The resource block (the provider block comes from the work dir).
    pub fn hcl(&self) -> String {
        let zones = self
            .zones
            .iter()
            .map(|z| format!("\"{z}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let nat = if self.nat_per_zone {
            "one_per_az"
        } else {
            "single"
        };
        let dns = self
            .dns
            .as_ref()
            .map(|(zone, record)| {
                format!("  dns {{\n    zone_id     = \"{zone}\"\n    record_name = \"{record}\"\n  }}\n")
            })
            .unwrap_or_default();
        format!(
            r#"resource "{RESOURCE_TYPE}" "{name}" {{
  name = "{name}"
  network {{
    vpc_cidr           = "{cidr}"
    availability_zones = [{zones}]
    nat_gateways       = "{nat}"
  }}
  bastion {{
    enabled = {bastion}
  }}
  database {{
    multi_az            = {multi_az}
    skip_final_snapshot = true
  }}
{dns}}}
"#,
            name = self.name,
            cidr = self.vpc_cidr,
            bastion = self.bastion,
            multi_az = self.multi_az,
        )
    }

    /// The same stack as the core lays it out for apply.
    pub fn layout(&self) -> StackLayout {
        let mut spec = StackSpec::with_name(self.name.clone());
        spec.network.vpc_cidr = self.vpc_cidr.clone();
        spec.network.availability_zones = Some(self.zones.clone());
        spec.network.nat_gateways = if self.nat_per_zone {
            NatMode::OnePerAz
        } else {
            NatMode::Single
        };
        spec.bastion.enabled = self.bastion;
        spec.database.multi_az = self.multi_az;
        spec.database.skip_final_snapshot = true;
        spec.dns = self.dns.as_ref().map(|(zone_id, record_name)| DnsSpec {
            zone_id: zone_id.clone(),
            record_name: record_name.clone(),
            allow_overwrite: false,
        });
        StackLayout {
            spec,
            zones: self.zones.clone(),
        }
    }

    /// The apply graph the engine runs for this stack, as the core exposes it.
    pub fn step_graph(&self) -> Vec<GraphStep> {
        let layout = self.layout();
        apply_graph(&layout.spec, &layout.zones)
    }
}

/// `count` distinct stacks for one configuration: names `<prefix><i>`, VPCs 10.<100+i>.0.0/16.
pub fn many(
    count: usize,
    prefix: &str,
    shape: impl Fn(&str, &str) -> StackShape,
) -> Vec<StackShape> {
    (0..count)
        .map(|i| shape(&format!("{prefix}{i}"), &format!("10.{}.0.0/16", 100 + i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_stack_hcl_names_every_choice() {
        let hcl = StackShape::full("bench", "10.20.0.0/16", "ZABC").hcl();
        for expected in [
            r#"resource "wordpress_ha_stack" "bench""#,
            r#"vpc_cidr           = "10.20.0.0/16""#,
            r#"["us-east-1a", "us-east-1b", "us-east-1c"]"#,
            r#"nat_gateways       = "one_per_az""#,
            "enabled = true",
            "multi_az            = true",
            r#"zone_id     = "ZABC""#,
            r#"record_name = "bench.bench.example.com""#,
        ] {
            assert!(hcl.contains(expected), "{expected} missing from\n{hcl}");
        }
        assert_eq!(hcl.matches('{').count(), hcl.matches('}').count(), "{hcl}");
    }

    #[test]
    fn lean_stack_hcl_has_no_dns_and_one_nat() {
        let hcl = StackShape::lean("smoke", "10.21.0.0/16").hcl();
        assert!(!hcl.contains("dns"), "{hcl}");
        assert!(hcl.contains(r#"nat_gateways       = "single""#), "{hcl}");
        assert!(hcl.contains("enabled = false"), "{hcl}");
    }

    #[test]
    fn the_step_graph_spans_every_zone_and_only_names_known_steps() {
        let graph = StackShape::full("bench", "10.20.0.0/16", "ZABC").step_graph();
        let ids: Vec<&str> = graph.iter().map(|step| step.id.as_str()).collect();
        for zone in ["us-east-1a", "us-east-1b", "us-east-1c"] {
            assert!(
                ids.iter().any(|id| id.ends_with(zone)),
                "no step for {zone}: {ids:?}"
            );
        }
        for step in &graph {
            for dep in &step.deps {
                assert!(
                    ids.contains(&dep.as_str()),
                    "{} waits for unknown {dep}",
                    step.id
                );
            }
        }
        assert!(graph
            .iter()
            .any(|step| step.waits_for.contains(&"db_instance")));
    }

    #[test]
    fn many_stacks_get_distinct_names_and_networks() {
        let stacks = many(10, "scale", StackShape::lean);
        assert_eq!(stacks.len(), 10);
        assert_eq!(stacks[9].name, "scale9");
        assert_eq!(stacks[9].vpc_cidr, "10.109.0.0/16");
        let names: std::collections::BTreeSet<_> = stacks.iter().map(|s| &s.name).collect();
        assert_eq!(names.len(), 10);
    }
}
