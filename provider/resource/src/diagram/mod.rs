//! A picture of what stands behind each `wordpress_ha_stack`: a Mermaid flowchart drawn from
//! `terraform show -json` (a state, or a saved plan).
//!
//! The objects come from the resource's `resources` map (logical name → AWS id; per-AZ objects
//! are `kind:az`). A plan that creates a stack does not know that map yet, so the objects are
//! then the ones the planned spec implies (`stack_model::plan::expected_objects`), with ids from
//! the prior state where there is one and "known after apply" elsewhere.
//!
//! Objects are grouped by Availability Zone (subnets, NAT gateway and its EIP, EFS mount target)
//! and by tier (load balancing, app, data, operations); edges follow the traffic: internet →
//! (Route 53 →) ALB → target group → Auto Scaling group, bastion → app, app → EFS / RDS,
//! private subnet → NAT gateway → internet gateway. Plumbing (route tables, associations,
//! security groups) is listed as comments so the diagram stays readable.
//!
//! `show_json` reads the stacks out of the document, `layout` arranges each one's objects
//! into groups and edges, `mermaid` writes the chart.

mod layout;
mod mermaid;
mod show_json;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

pub use layout::diagram_of;
pub use mermaid::mermaid;
pub use show_json::stacks_from_show_json;

/// Key of the node standing for the internet, shared by every stack.
pub const INTERNET: &str = "internet";
/// Key of the Availability Zone groups: `az:<zone>`.
const AZ_GROUP: &str = "az";

#[derive(Debug, thiserror::Error)]
pub enum DiagramError {
    #[error("the input is not JSON from `terraform show -json`: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error(
        "no wordpress_ha_stack in the input. Pipe in `terraform show -json` (the state) or \
         `terraform show -json PLANFILE` (a saved plan that creates or keeps a stack)."
    )]
    NoStack,
    #[error("could not read the planned values of {address}: {message}")]
    PlannedValues { address: String, message: String },
}

/// The output formats `diagram` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Mermaid,
}

/// Where a stack's objects were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `resources` map of a state, or of a plan that keeps it.
    Resources,
    /// The objects a plan's spec implies; ids only where a prior state had them.
    PlannedSpec,
}

/// The objects of one stack: logical name → AWS id (`None`: known after apply).
#[derive(Debug, Clone, PartialEq)]
pub struct StackObjects {
    pub address: String,
    pub source: Source,
    pub objects: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Box,
    Cylinder,
    Circle,
}

/// A drawn object. `key` is the logical name of its main object (`nat_gateway:us-east-1a`).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub key: String,
    pub lines: Vec<String>,
    pub shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub key: String,
    pub title: String,
    pub nodes: Vec<Node>,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<&'static str>,
    /// A dotted line: belonging rather than traffic.
    pub dotted: bool,
}

/// The diagram of one stack, before it is written out in a format.
#[derive(Debug, Clone, PartialEq)]
pub struct StackDiagram {
    pub address: String,
    pub source: Source,
    pub root: Group,
    pub edges: Vec<Edge>,
    /// Owned objects shown in the picture: as a node, a line of one, or a group's title.
    pub drawn: BTreeSet<String>,
    /// Owned objects not drawn (route tables, security groups…), listed as comments.
    pub not_drawn: Vec<(String, Option<String>)>,
}

impl StackDiagram {
    /// Every node, depth first.
    pub fn nodes(&self) -> Vec<&Node> {
        fn walk<'a>(group: &'a Group, out: &mut Vec<&'a Node>) {
            out.extend(group.nodes.iter());
            for inner in &group.groups {
                walk(inner, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    pub fn node(&self, key: &str) -> Option<&Node> {
        self.nodes().into_iter().find(|n| n.key == key)
    }

    pub fn has_edge(&self, from: &str, to: &str) -> bool {
        self.edges.iter().any(|e| e.from == from && e.to == to)
    }

    /// The titles of the groups enclosing the node `key`, outermost first.
    pub fn groups_of(&self, key: &str) -> Option<Vec<&str>> {
        fn find<'a>(group: &'a Group, key: &str, path: &mut Vec<&'a str>) -> bool {
            path.push(&group.title);
            if group.nodes.iter().any(|n| n.key == key)
                || group.groups.iter().any(|g| find(g, key, path))
            {
                return true;
            }
            path.pop();
            false
        }
        let mut path = Vec::new();
        find(&self.root, key, &mut path).then_some(path)
    }
}

/// `terraform show -json` text → the diagram in `format`.
pub fn render(show_json: &str, format: Format) -> Result<String, DiagramError> {
    let document: Json = serde_json::from_str(show_json)?;
    let diagrams: Vec<StackDiagram> = stacks_from_show_json(&document)?
        .iter()
        .map(diagram_of)
        .collect();
    Ok(match format {
        Format::Mermaid => mermaid(&diagrams),
    })
}

#[cfg(test)]
mod tests {
    use super::layout::short_id;
    use super::mermaid::{mermaid_id, mermaid_text};
    use super::*;

    fn objects(names: &[(&str, &str)]) -> StackObjects {
        StackObjects {
            address: "wordpress_ha_stack.shop".to_string(),
            source: Source::Resources,
            objects: names
                .iter()
                .map(|(n, id)| (n.to_string(), Some(id.to_string())))
                .collect(),
        }
    }

    #[test]
    fn arns_are_shortened_to_their_resource_part() {
        assert_eq!(
            short_id("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/b"),
            "loadbalancer/app/a/b"
        );
        assert_eq!(short_id("vpc-1"), "vpc-1");
    }

    #[test]
    fn a_single_nat_gateway_serves_every_private_subnet() {
        let stack = objects(&[
            ("vpc", "vpc-1"),
            ("internet_gateway", "igw-1"),
            ("private_subnet:z-a", "subnet-a"),
            ("private_subnet:z-b", "subnet-b"),
            ("nat_gateway:z-a", "nat-a"),
            ("nat_eip:z-a", "eipalloc-a"),
        ]);
        let diagram = diagram_of(&stack);
        assert!(diagram.has_edge("private_subnet:z-a", "nat_gateway:z-a"));
        assert!(diagram.has_edge("private_subnet:z-b", "nat_gateway:z-a"));
        assert!(diagram.has_edge("nat_gateway:z-a", "internet_gateway"));
        let nat = diagram.node("nat_gateway:z-a").expect("nat node");
        assert!(nat.lines.contains(&"EIP eipalloc-a".to_string()), "{nat:?}");
    }

    #[test]
    fn route53_sits_between_the_internet_and_an_https_load_balancer() {
        let stack = objects(&[
            ("dns_record", "Z1/shop.example.com/A"),
            (
                "load_balancer",
                "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/x/y",
            ),
            (
                "https_listener",
                "arn:aws:elasticloadbalancing:r:1:listener/app/x/y/z",
            ),
        ]);
        let diagram = diagram_of(&stack);
        assert!(diagram.has_edge(INTERNET, "dns_record"));
        assert!(diagram.has_edge("dns_record", "load_balancer"));
        assert!(!diagram.has_edge(INTERNET, "load_balancer"));
        let https = diagram.edges.iter().find(|e| e.to == "load_balancer");
        assert_eq!(https.and_then(|e| e.label), Some("HTTPS"));
    }

    #[test]
    fn the_web_acl_stands_before_the_load_balancer() {
        let alb = "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/x/y";
        let stack = objects(&[
            ("load_balancer", alb),
            (
                "waf_web_acl",
                "arn:aws:wafv2:r:1:regional/webacl/shop-waf/abc",
            ),
            ("waf_association", alb),
        ]);
        let diagram = diagram_of(&stack);
        assert!(diagram.has_edge(INTERNET, "waf_web_acl"));
        assert!(diagram.has_edge("waf_web_acl", "load_balancer"));
        assert!(!diagram.has_edge(INTERNET, "load_balancer"));
        let waf = diagram.node("waf_web_acl").expect("waf node");
        assert!(
            waf.lines.contains(&"on loadbalancer/app/x/y".to_string()),
            "{waf:?}"
        );
        assert!(diagram.not_drawn.is_empty(), "{:?}", diagram.not_drawn);
    }

    #[test]
    fn the_alarms_notify_the_topic_and_every_alarm_is_drawn() {
        let stack = objects(&[
            ("alarm:db-cpu", "shop-alarm-db-cpu"),
            ("alarm:asg-at-max", "shop-alarm-asg-at-max"),
            ("alarm_topic", "arn:aws:sns:r:1:shop-alarms"),
            ("alarm_subscription:ops@example.com", "PendingConfirmation"),
            ("autoscaling_group_metrics", "shop-asg"),
        ]);
        let diagram = diagram_of(&stack);
        assert!(diagram.has_edge("alarm:asg-at-max", "alarm_topic"));
        let alarms = diagram.node("alarm:asg-at-max").expect("alarms node");
        assert!(alarms.lines.contains(&"db-cpu".to_string()), "{alarms:?}");
        let topic = diagram.node("alarm_topic").expect("topic node");
        assert!(
            topic.lines.contains(&"e-mail ops@example.com".to_string()),
            "{topic:?}"
        );
        assert!(diagram.not_drawn.is_empty(), "{:?}", diagram.not_drawn);
    }

    #[test]
    fn the_instances_write_to_the_log_group() {
        let stack = objects(&[
            ("autoscaling_group", "logs-asg"),
            ("log_group", "arn:aws:logs:r:1:log-group:/wordpress/logs"),
        ]);
        let diagram = diagram_of(&stack);
        assert!(diagram.has_edge("autoscaling_group", "log_group"));
        assert!(diagram.node("log_group").is_some());
        assert!(diagram.not_drawn.is_empty(), "{:?}", diagram.not_drawn);
    }

    #[test]
    fn quotes_in_labels_are_escaped() {
        assert_eq!(mermaid_text(r#"a "b""#), "a #quot;b#quot;");
        assert_eq!(
            mermaid_id("s0", "nat_gateway:us-east-1a"),
            "s0_nat_gateway_us_east_1a"
        );
        assert_eq!(mermaid_id("s3", INTERNET), INTERNET);
    }
}
