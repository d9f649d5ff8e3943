//! Checks shared by the end-to-end tests: the network tier as EC2 reports it, compared with the
//! stack's state, ownership of every tagged object by the state, and the lean stack's HCL.
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{RouteTable, Subnet};
use serde_json::Value;
use stack_tests::inspect::{ec2_tag, AwsInspector};

/// Panics listing them if anything is still tagged for `stack`.
pub async fn assert_nothing_tagged(aws: &AwsInspector, stack: &str) {
    let left = aws
        .tagged_objects(stack)
        .await
        .expect("list tagged objects");
    AwsInspector::assert_none_left(&left, stack);
}

/// A list of strings from the state (e.g. `public_subnet_ids`), as a set.
#[track_caller]
pub fn string_set(state: &Value, attribute: &str) -> BTreeSet<String> {
    let Some(items) = state[attribute].as_array() else {
        panic!("{attribute} should be a list in the state: {state:#}")
    };
    items
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// A string attribute of the state, or a panic showing the state.
#[track_caller]
pub fn state_str<'a>(state: &'a Value, pointer: &str) -> &'a str {
    match state.pointer(pointer).and_then(Value::as_str) {
        Some(text) => text,
        None => panic!("{pointer} should be a string in the state: {state:#}"),
    }
}

/// The stack's network as EC2 reports it.
pub struct Network {
    pub stack: String,
    pub vpc_id: String,
    pub vpc_cidr: String,
    pub subnets: Vec<Subnet>,
    pub igw_attachments: Vec<(String, String)>,
    /// NAT gateway id → (subnet id, allocation ids of its addresses).
    pub nats: BTreeMap<String, (String, Vec<String>)>,
    pub stack_eips: BTreeSet<String>,
    pub route_tables: Vec<RouteTable>,
}

impl Network {
    pub async fn observe(aws: &AwsInspector, stack: &str) -> Network {
        let vpcs = aws.vpcs(stack).await.expect("describe vpcs");
        assert_eq!(
            vpcs.len(),
            1,
            "exactly one VPC tagged for the stack: {vpcs:#?}"
        );
        let vpc = &vpcs[0];
        let igws = aws.internet_gateways(stack).await.expect("describe igws");
        assert_eq!(igws.len(), 1, "exactly one internet gateway: {igws:#?}");
        let nats = aws.nat_gateways(stack).await.expect("describe nats");
        let tagged = aws.tagged_objects(stack).await.expect("tagged objects");
        Network {
            stack: stack.to_string(),
            vpc_id: vpc.vpc_id().unwrap_or_default().to_string(),
            vpc_cidr: vpc.cidr_block().unwrap_or_default().to_string(),
            subnets: aws.subnets(stack).await.expect("describe subnets"),
            igw_attachments: igws[0]
                .attachments()
                .iter()
                .map(|a| {
                    (
                        a.vpc_id().unwrap_or_default().to_string(),
                        a.state()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            nats: nats
                .iter()
                .map(|nat| {
                    let allocations = nat
                        .nat_gateway_addresses()
                        .iter()
                        .filter_map(|a| a.allocation_id().map(str::to_string))
                        .collect();
                    (
                        nat.nat_gateway_id().unwrap_or_default().to_string(),
                        (nat.subnet_id().unwrap_or_default().to_string(), allocations),
                    )
                })
                .collect(),
            stack_eips: tagged
                .iter()
                .filter(|o| o.kind == "elastic-ip")
                .map(|o| o.id.clone())
                .collect(),
            route_tables: aws
                .route_tables(stack)
                .await
                .expect("describe route tables"),
        }
    }

    pub fn assert_vpc_matches(&self, state: &Value, cidr: &str) {
        assert_eq!(self.vpc_cidr, cidr, "VPC CIDR");
        assert_eq!(
            state["vpc_id"].as_str(),
            Some(self.vpc_id.as_str()),
            "state vpc_id"
        );
        assert_eq!(state["id"].as_str(), Some(self.stack.as_str()), "id = name");
    }

    pub fn subnet(&self, id: &str) -> &Subnet {
        self.subnets
            .iter()
            .find(|s| s.subnet_id() == Some(id))
            .unwrap_or_else(|| panic!("subnet {id} from the state is not tagged in EC2"))
    }

    pub fn zone_of(&self, subnet_id: &str) -> String {
        self.subnet(subnet_id)
            .availability_zone()
            .unwrap_or_default()
            .to_string()
    }

    fn sorted_zones_of(&self, ids: &BTreeSet<String>) -> Vec<String> {
        let mut zones: Vec<String> = ids.iter().map(|id| self.zone_of(id)).collect();
        zones.sort();
        zones
    }

    /// A public and a private subnet in each of `zones`, no other subnet, distinct CIDRs inside
    /// the VPC's, each named `<stack>-…`.
    pub fn assert_public_and_private_subnet_per_zone(
        &self,
        state: &Value,
        zones: &[&str],
        cidr_prefix: &str,
    ) {
        let public = string_set(state, "public_subnet_ids");
        let private = string_set(state, "private_subnet_ids");
        assert_eq!(
            self.sorted_zones_of(&public),
            zones,
            "one public subnet per zone"
        );
        assert_eq!(
            self.sorted_zones_of(&private),
            zones,
            "one private subnet per zone"
        );
        assert!(
            public.is_disjoint(&private),
            "public and private subnets differ"
        );
        let expected = zones.len() * 2;
        assert_eq!(
            self.subnets.len(),
            expected,
            "no other subnets: {:#?}",
            self.subnets
        );
        let cidrs: BTreeSet<&str> = self.subnets.iter().filter_map(|s| s.cidr_block()).collect();
        assert_eq!(
            cidrs.len(),
            expected,
            "subnet CIDRs do not overlap: {cidrs:?}"
        );
        let name_prefix = format!("{}-", self.stack);
        for subnet in &self.subnets {
            assert_eq!(subnet.vpc_id(), Some(self.vpc_id.as_str()));
            let cidr = subnet.cidr_block().unwrap_or_default();
            assert!(
                cidr.starts_with(cidr_prefix),
                "{cidr} is carved from the VPC CIDR"
            );
            let name = ec2_tag(subnet.tags(), "Name").unwrap_or_default();
            assert!(name.starts_with(&name_prefix), "subnet Name {name:?}");
        }
    }

    pub fn assert_internet_gateway_attached(&self) {
        assert_eq!(
            self.igw_attachments,
            vec![(self.vpc_id.clone(), "available".to_string())],
            "the IGW is attached to the stack's VPC"
        );
    }

    /// `one_per_az`: a NAT gateway in each public subnet; `single`: one, in a public subnet.
    /// Each has its own EIP, tagged for the stack; the state lists exactly these gateways.
    pub fn assert_nat_gateways(&self, state: &Value, one_per_zone: bool) {
        let public = string_set(state, "public_subnet_ids");
        let ids: BTreeSet<String> = self.nats.keys().cloned().collect();
        assert_eq!(
            string_set(state, "nat_gateway_ids"),
            ids,
            "state nat_gateway_ids"
        );
        let subnets: BTreeSet<String> = self.nat_subnets().into_iter().collect();
        if one_per_zone {
            assert_eq!(subnets, public, "one NAT gateway in each public subnet");
        } else {
            assert_eq!(self.nats.len(), 1, "a single NAT gateway: {:?}", self.nats);
            assert!(
                subnets.is_subset(&public),
                "the NAT gateway is in a public subnet"
            );
        }
        for (nat, (_, allocations)) in &self.nats {
            assert_eq!(allocations.len(), 1, "{nat} has one EIP");
            assert!(
                self.stack_eips.contains(&allocations[0]),
                "{nat}'s EIP {} is tagged for the stack",
                allocations[0]
            );
        }
        assert_eq!(self.stack_eips.len(), self.nats.len(), "no stray EIPs");
    }

    fn table_of(&self, subnet_id: &str) -> &RouteTable {
        self.route_tables
            .iter()
            .find(|t| {
                t.associations()
                    .iter()
                    .any(|a| a.subnet_id() == Some(subnet_id))
            })
            .unwrap_or_else(|| panic!("no stack route table is associated with {subnet_id}"))
    }

    /// The target of the table's 0.0.0.0/0 route (gateway or NAT gateway id).
    fn default_route_target(table: &RouteTable) -> Option<String> {
        let route = table
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))?;
        route
            .nat_gateway_id()
            .or(route.gateway_id())
            .map(str::to_string)
    }

    fn igw_id(&self) -> Option<String> {
        self.route_tables
            .iter()
            .filter_map(Self::default_route_target)
            .find(|target| target.starts_with("igw-"))
    }

    fn nat_subnets(&self) -> Vec<String> {
        self.nats.values().map(|(s, _)| s.clone()).collect()
    }

    pub fn assert_public_routes_go_to_the_internet_gateway(&self, state: &Value) {
        let igw = self
            .igw_id()
            .expect("some table routes 0.0.0.0/0 to an IGW");
        for subnet in string_set(state, "public_subnet_ids") {
            assert_eq!(
                Self::default_route_target(self.table_of(&subnet)).as_deref(),
                Some(igw.as_str()),
                "public subnet {subnet} routes 0.0.0.0/0 to the IGW"
            );
        }
    }

    /// Each private subnet routes 0.0.0.0/0 to the NAT gateway of its own zone, or to the single
    /// one.
    pub fn assert_private_routes_go_to_their_nat(&self, state: &Value) {
        let nat_by_zone: BTreeMap<String, String> = self
            .nats
            .iter()
            .map(|(nat, (subnet, _))| (self.zone_of(subnet), nat.clone()))
            .collect();
        let single = (self.nats.len() == 1).then(|| self.nats.keys().next().cloned());
        for subnet in string_set(state, "private_subnet_ids") {
            let zone = self.zone_of(&subnet);
            let expected = match &single {
                Some(only) => only.clone(),
                None => nat_by_zone.get(&zone).cloned(),
            };
            assert!(expected.is_some(), "a NAT gateway serves {zone}");
            assert_eq!(
                Self::default_route_target(self.table_of(&subnet)),
                expected,
                "private subnet {subnet} in {zone} routes 0.0.0.0/0 to its NAT gateway"
            );
        }
    }

    /// Every check of the network tier at once.
    pub fn assert_all(&self, state: &Value, cidr: &str, zones: &[&str], one_per_zone: bool) {
        let prefix: String = cidr.split('.').take(2).map(|o| format!("{o}.")).collect();
        self.assert_vpc_matches(state, cidr);
        self.assert_public_and_private_subnet_per_zone(state, zones, &prefix);
        self.assert_internet_gateway_attached();
        self.assert_nat_gateways(state, one_per_zone);
        self.assert_public_routes_go_to_the_internet_gateway(state);
        self.assert_private_routes_go_to_their_nat(state);
    }
}

/// Panics unless every object tagged for `stack` is one the state's `resources` map owns
/// (instances launched by the Auto Scaling group excepted: the group owns those): an object
/// created twice leaves one copy the state does not know.
pub async fn assert_state_owns_every_tagged_object(aws: &AwsInspector, stack: &str, state: &Value) {
    let owned: BTreeSet<&str> = state["resources"]
        .as_object()
        .map(|map| map.values().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let groups = aws.tagged_objects(stack).await.expect("tagged objects");
    let bastion = state["resources"]["bastion_instance"].as_str();
    let strays: Vec<String> = groups
        .iter()
        .filter(|o| o.kind != "instance" || Some(o.id.as_str()) == bastion)
        .filter(|o| !owned.iter().any(|id| id_names(id, &o.id)))
        .map(ToString::to_string)
        .collect();
    assert!(
        strays.is_empty(),
        "objects tagged for {stack} that the state does not own:\n  {}\nstate resources: {:#}",
        strays.join("\n  "),
        state["resources"]
    );
}

/// Whether a state id names this AWS id (secrets are recorded by ARN and listed by name).
fn id_names(state_id: &str, aws_id: &str) -> bool {
    state_id == aws_id || state_id.contains(&format!(":secret:{aws_id}-"))
}

/// A lean stack that still has every kind of object (NAT, bastion, DNS record) at small sizes
/// (two zones, one app instance, a single-AZ database without final snapshot). `nat_gateways`
/// is `"single"` or `"one_per_az"`; `extra` goes inside the resource block (e.g. `timeouts`).
pub fn lean_stack_hcl(
    name: &str,
    vpc_cidr: &str,
    nat_gateways: &str,
    record_name: &str,
    zone_id: &str,
    extra: &str,
) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    vpc_cidr           = "{vpc_cidr}"
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "{nat_gateways}"
  }}
  bastion {{
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }}
  autoscaling {{
    min_size = 1
    max_size = 2
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  dns {{
    zone_id     = "{zone_id}"
    record_name = "{record_name}"
  }}
{extra}
}}
"#
    )
}
