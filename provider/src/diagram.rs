//! A picture of what stands behind each `wordpress_ha_stack`: a Mermaid flowchart drawn from
//! `terraform show -json` (a state, or a saved plan).
//!
//! The objects come from the resource's `resources` map (logical name → AWS id; per-AZ objects
//! are `kind:az`). A plan that creates a stack does not know that map yet, so the objects are
//! then the ones the planned spec implies (`stack_core::plan::expected_objects`), with ids from
//! the prior state where there is one and "known after apply" elsewhere.
//!
//! Objects are grouped by Availability Zone (subnets, NAT gateway and its EIP, EFS mount target)
//! and by tier (load balancing, app, data, operations); edges follow the traffic: internet →
//! (Route 53 →) ALB → target group → Auto Scaling group, bastion → app, app → EFS / RDS,
//! private subnet → NAT gateway → internet gateway. Plumbing (route tables, associations,
//! security groups) is listed as comments so the diagram stays readable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value as Json;
use stack_core::state::logical as l;

use crate::codec;
use crate::stack::{convert, schema, to_schema};

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

/// Every `wordpress_ha_stack` of a `terraform show -json` document (child modules included).
pub fn stacks_from_show_json(document: &Json) -> Result<Vec<StackObjects>, DiagramError> {
    let stacks = match document.get("planned_values") {
        Some(planned) => {
            let prior = document.pointer("/prior_state/values");
            stack_resources(planned)
                .into_iter()
                .map(|resource| planned_objects(resource, prior))
                .collect::<Result<Vec<_>, _>>()?
        }
        None => document
            .get("values")
            .map(stack_resources)
            .unwrap_or_default()
            .into_iter()
            .map(|resource| StackObjects {
                address: address_of(resource),
                source: Source::Resources,
                objects: resources_map(resource).unwrap_or_default(),
            })
            .collect(),
    };
    if stacks.is_empty() {
        return Err(DiagramError::NoStack);
    }
    Ok(stacks)
}

/// The managed `wordpress_ha_stack` resources under a `values`-shaped object.
fn stack_resources(values: &Json) -> Vec<&Json> {
    fn walk<'a>(module: &'a Json, out: &mut Vec<&'a Json>) {
        let resources = module.get("resources").and_then(Json::as_array);
        out.extend(resources.into_iter().flatten().filter(|r| {
            r.get("type").and_then(Json::as_str) == Some(schema::TYPE_NAME)
                && r.get("mode").and_then(Json::as_str) == Some("managed")
        }));
        let children = module.get("child_modules").and_then(Json::as_array);
        for child in children.into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    if let Some(root) = values.get("root_module") {
        walk(root, &mut out);
    }
    out
}

fn address_of(resource: &Json) -> String {
    resource
        .get("address")
        .and_then(Json::as_str)
        .unwrap_or(schema::TYPE_NAME)
        .to_string()
}

/// The `resources` attribute, when known.
fn resources_map(resource: &Json) -> Option<BTreeMap<String, Option<String>>> {
    let map = resource.pointer("/values/resources")?.as_object()?;
    Some(
        map.iter()
            .map(|(name, id)| (name.clone(), id.as_str().map(str::to_string)))
            .collect(),
    )
}

fn planned_objects(resource: &Json, prior: Option<&Json>) -> Result<StackObjects, DiagramError> {
    let address = address_of(resource);
    if let Some(objects) = resources_map(resource) {
        return Ok(StackObjects {
            address,
            source: Source::Resources,
            objects,
        });
    }
    let prior_ids = prior
        .map(stack_resources)
        .unwrap_or_default()
        .into_iter()
        .find(|r| address_of(r) == address)
        .and_then(resources_map)
        .unwrap_or_default();
    let expected = expected_objects(&address, resource.get("values").unwrap_or(&Json::Null))?;
    let objects = expected
        .into_iter()
        .map(|name| {
            let id = prior_ids.get(&name).cloned().flatten();
            (name, id)
        })
        .collect();
    Ok(StackObjects {
        address,
        source: Source::PlannedSpec,
        objects,
    })
}

/// The objects a stack of these planned values owns, by the core's own rule.
fn expected_objects(address: &str, values: &Json) -> Result<Vec<String>, DiagramError> {
    let ty = to_schema::resource_schema(&schema::resource()).value_type();
    let bytes = serde_json::to_vec(values)?;
    let value = codec::decode_json(&bytes, &ty).map_err(|err| DiagramError::PlannedValues {
        address: address.to_string(),
        message: err.to_string(),
    })?;
    let (spec, _, _) = convert::spec_from_value(&value);
    Ok(stack_core::plan::expected_objects(&spec))
}

/// Lays out one stack's objects as groups and traffic edges.
pub fn diagram_of(stack: &StackObjects) -> StackDiagram {
    let mut layout = Layout {
        objects: &stack.objects,
        used: BTreeSet::new(),
        edges: Vec::new(),
    };
    let root = layout.stack_group(&stack.address);
    layout.traffic_edges();
    let not_drawn = stack
        .objects
        .iter()
        .filter(|(name, _)| !layout.used.contains(name.as_str()))
        .map(|(name, id)| (name.clone(), id.clone()))
        .collect();
    StackDiagram {
        address: stack.address.clone(),
        source: stack.source,
        root,
        edges: layout.edges,
        drawn: layout.used,
        not_drawn,
    }
}

struct Layout<'a> {
    objects: &'a BTreeMap<String, Option<String>>,
    used: BTreeSet<String>,
    edges: Vec<Edge>,
}

impl Layout<'_> {
    fn has(&self, name: &str) -> bool {
        self.objects.contains_key(name)
    }

    /// "id" or "known after apply" for an owned object, marking it drawn.
    fn id_line(&mut self, name: &str) -> Option<String> {
        let id = self.objects.get(name)?;
        self.used.insert(name.to_string());
        Some(
            id.as_deref()
                .map_or_else(|| "(known after apply)".to_string(), short_id),
        )
    }

    /// A node for `name` titled `title`, with the ids of `also` (merged objects) under it.
    fn node(
        &mut self,
        name: &str,
        title: &str,
        also: &[(&str, &str)],
        shape: Shape,
    ) -> Option<Node> {
        let mut lines = vec![title.to_string(), self.id_line(name)?];
        for (other, prefix) in also {
            if let Some(id) = self.id_line(other) {
                lines.push(format!("{prefix}{id}"));
            }
        }
        Some(Node {
            key: name.to_string(),
            lines,
            shape,
        })
    }

    fn zones(&self) -> Vec<String> {
        let per_zone = [
            l::PUBLIC_SUBNET,
            l::PRIVATE_SUBNET,
            l::NAT_GATEWAY,
            l::NAT_EIP,
            l::EFS_MOUNT_TARGET,
        ];
        let zones: BTreeSet<String> = self
            .objects
            .keys()
            .filter_map(|name| name.split_once(':'))
            .filter(|(kind, _)| per_zone.contains(kind))
            .map(|(_, zone)| zone.to_string())
            .collect();
        zones.into_iter().collect()
    }

    fn stack_group(&mut self, address: &str) -> Group {
        let dns = self.node(l::DNS_RECORD, "Route 53 alias record", &[], Shape::Box);
        let vpc = self.vpc_group();
        Group {
            key: "stack".to_string(),
            title: address.to_string(),
            nodes: dns.into_iter().collect(),
            groups: vec![vpc],
        }
    }

    fn vpc_group(&mut self) -> Group {
        let title = match self.id_line(l::VPC) {
            Some(id) => format!("VPC {id}"),
            None => "VPC".to_string(),
        };
        let igw = self.node(l::INTERNET_GATEWAY, "Internet gateway", &[], Shape::Box);
        let mut groups: Vec<Group> = self.zones().iter().map(|z| self.zone_group(z)).collect();
        groups.extend(
            [
                self.load_balancing_group(),
                self.app_group(),
                self.data_group(),
                self.operations_group(),
            ]
            .into_iter()
            .filter(|g| !g.nodes.is_empty()),
        );
        Group {
            key: l::VPC.to_string(),
            title,
            nodes: igw.into_iter().collect(),
            groups,
        }
    }

    fn zone_group(&mut self, zone: &str) -> Group {
        let q = |kind| l::qualified(kind, zone);
        let nodes = [
            self.node(&q(l::PUBLIC_SUBNET), "public subnet", &[], Shape::Box),
            self.node(
                &q(l::NAT_GATEWAY),
                "NAT gateway",
                &[(&q(l::NAT_EIP), "EIP ")],
                Shape::Box,
            ),
            self.node(&q(l::PRIVATE_SUBNET), "private subnet", &[], Shape::Box),
            self.node(&q(l::EFS_MOUNT_TARGET), "EFS mount target", &[], Shape::Box),
        ];
        Group {
            key: l::qualified(AZ_GROUP, zone),
            title: zone.to_string(),
            nodes: nodes.into_iter().flatten().collect(),
            groups: Vec::new(),
        }
    }

    fn load_balancing_group(&mut self) -> Group {
        let mut alb = self.node(
            l::LOAD_BALANCER,
            "Application Load Balancer (public subnets)",
            &[],
            Shape::Box,
        );
        // Listener ARNs say little; their protocols are what a reader wants.
        let listeners: Vec<&str> = [(l::HTTP_LISTENER, "HTTP"), (l::HTTPS_LISTENER, "HTTPS")]
            .into_iter()
            .filter(|(name, _)| self.id_line(name).is_some())
            .map(|(_, protocol)| protocol)
            .collect();
        if let (Some(alb), false) = (alb.as_mut(), listeners.is_empty()) {
            alb.lines
                .push(format!("listeners: {}", listeners.join(", ")));
        }
        let target_group = self.node(l::TARGET_GROUP, "target group", &[], Shape::Box);
        tier("lb", "load balancing", [alb, target_group])
    }

    fn app_group(&mut self) -> Group {
        let asg = self.node(
            l::AUTOSCALING_GROUP,
            "Auto Scaling group (private subnets)",
            &[
                (l::LAUNCH_TEMPLATE, "launch template "),
                (l::SCALING_POLICY, "scaling policy "),
            ],
            Shape::Box,
        );
        tier("app", "app: WordPress in Docker", [asg])
    }

    fn data_group(&mut self) -> Group {
        let efs = self.node(l::EFS_FILE_SYSTEM, "EFS file system", &[], Shape::Cylinder);
        let db = self.node(
            l::DB_INSTANCE,
            "RDS MySQL",
            &[(l::DB_SUBNET_GROUP, "subnet group ")],
            Shape::Cylinder,
        );
        tier("data", "data", [efs, db])
    }

    fn operations_group(&mut self) -> Group {
        let bastion = self.node(
            l::BASTION_INSTANCE,
            "bastion host (public subnet)",
            &[],
            Shape::Box,
        );
        tier("ops", "operations", [bastion])
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&'static str>, dotted: bool) {
        let present = |key: &str| key == INTERNET || self.has(key);
        if present(from) && present(to) {
            self.edges.push(Edge {
                from: from.to_string(),
                to: to.to_string(),
                label,
                dotted,
            });
        }
    }

    fn traffic_edges(&mut self) {
        let entry = if self.has(l::DNS_RECORD) {
            self.edge(INTERNET, l::DNS_RECORD, Some("DNS"), false);
            l::DNS_RECORD
        } else {
            INTERNET
        };
        let web = if self.has(l::HTTPS_LISTENER) {
            "HTTPS"
        } else {
            "HTTP"
        };
        self.edge(entry, l::LOAD_BALANCER, Some(web), false);
        self.edge(l::LOAD_BALANCER, l::TARGET_GROUP, None, false);
        self.edge(
            l::TARGET_GROUP,
            l::AUTOSCALING_GROUP,
            Some("HTTP 80"),
            false,
        );
        self.edge(
            l::BASTION_INSTANCE,
            l::AUTOSCALING_GROUP,
            Some("SSH 22"),
            false,
        );
        self.edge(
            l::AUTOSCALING_GROUP,
            l::EFS_FILE_SYSTEM,
            Some("NFS 2049"),
            false,
        );
        self.edge(
            l::AUTOSCALING_GROUP,
            l::DB_INSTANCE,
            Some("MySQL 3306"),
            false,
        );
        let zones = self.zones();
        let nat_zones: Vec<&String> = zones
            .iter()
            .filter(|z| self.has(&l::qualified(l::NAT_GATEWAY, z)))
            .collect();
        for zone in &zones {
            let mount_target = l::qualified(l::EFS_MOUNT_TARGET, zone);
            self.edge(l::EFS_FILE_SYSTEM, &mount_target, None, true);
            // A zone without its own NAT gateway (`nat_gateways = "single"`) uses the first one.
            let nat_zone = nat_zones.iter().find(|z| **z == zone).or(nat_zones.first());
            if let Some(nat_zone) = nat_zone {
                let nat = l::qualified(l::NAT_GATEWAY, nat_zone);
                self.edge(
                    &l::qualified(l::PRIVATE_SUBNET, zone),
                    &nat,
                    Some("egress"),
                    false,
                );
            }
        }
        for zone in nat_zones {
            let nat = l::qualified(l::NAT_GATEWAY, zone);
            self.edge(&nat, l::INTERNET_GATEWAY, None, false);
        }
    }
}

fn tier<const N: usize>(key: &str, title: &str, nodes: [Option<Node>; N]) -> Group {
    Group {
        key: format!("tier:{key}"),
        title: title.to_string(),
        nodes: nodes.into_iter().flatten().collect(),
        groups: Vec::new(),
    }
}

/// ARNs are long: keep their resource part (`loadbalancer/app/blog-alb/50c9…`).
fn short_id(id: &str) -> String {
    if id.starts_with("arn:") {
        if let Some(resource) = id.splitn(6, ':').nth(5) {
            return resource.to_string();
        }
    }
    id.to_string()
}

/// The Mermaid flowchart of every stack.
pub fn mermaid(diagrams: &[StackDiagram]) -> String {
    let mut out = String::from("flowchart LR\n");
    let _ = writeln!(out, "  {INTERNET}((Internet))");
    for (index, diagram) in diagrams.iter().enumerate() {
        let prefix = format!("s{index}");
        if diagram.source == Source::PlannedSpec {
            let _ = writeln!(
                out,
                "  %% {}: objects implied by the plan; ids known after apply",
                diagram.address
            );
        }
        write_group(&mut out, &prefix, &diagram.root, 1);
        for edge in &diagram.edges {
            write_edge(&mut out, &prefix, edge);
        }
        for (name, id) in &diagram.not_drawn {
            let id = id.as_deref().unwrap_or("(known after apply)");
            let _ = writeln!(out, "  %% also owned by {}: {name} = {id}", diagram.address);
        }
    }
    out
}

fn mermaid_id(prefix: &str, key: &str) -> String {
    if key == INTERNET {
        return INTERNET.to_string();
    }
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{safe}")
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn write_group(out: &mut String, prefix: &str, group: &Group, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{indent}subgraph {}[\"{}\"]",
        mermaid_id(prefix, &group.key),
        mermaid_text(&group.title)
    );
    for node in &group.nodes {
        let label = node
            .lines
            .iter()
            .map(|line| mermaid_text(line))
            .collect::<Vec<_>>()
            .join("<br/>");
        let (open, close) = match node.shape {
            Shape::Box => ("[\"", "\"]"),
            Shape::Cylinder => ("[(\"", "\")]"),
            Shape::Circle => ("((\"", "\"))"),
        };
        let _ = writeln!(
            out,
            "{indent}  {}{open}{label}{close}",
            mermaid_id(prefix, &node.key)
        );
    }
    for inner in &group.groups {
        write_group(out, prefix, inner, depth + 1);
    }
    let _ = writeln!(out, "{indent}end");
}

fn write_edge(out: &mut String, prefix: &str, edge: &Edge) {
    let arrow = if edge.dotted { "-.-" } else { "-->" };
    let label = edge.label.map(|l| format!("|{l}|")).unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {arrow}{label} {}",
        mermaid_id(prefix, &edge.from),
        mermaid_id(prefix, &edge.to)
    );
}

#[cfg(test)]
mod tests {
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
    fn quotes_in_labels_are_escaped() {
        assert_eq!(mermaid_text(r#"a "b""#), "a #quot;b#quot;");
        assert_eq!(
            mermaid_id("s0", "nat_gateway:us-east-1a"),
            "s0_nat_gateway_us_east_1a"
        );
        assert_eq!(mermaid_id("s3", INTERNET), INTERNET);
    }
}
