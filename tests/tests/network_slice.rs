//! The first slice, end to end through the real Terraform CLI and moto: the network tier is
//! really created (checked through the EC2 API), a second plan has nothing to do, and destroy
//! leaves nothing tagged for the stack.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{RouteTable, Subnet};
use serde_json::Value;
use stack_tests::aws::{ec2_tag, AwsInspector};
use stack_tests::terraform::TerraformDir;
use stack_tests::Moto;

const STACK: &str = "netslice";
const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];
const VPC_CIDR: &str = "10.20.0.0/16";

const STACK_HCL: &str = r#"
resource "wordpress_ha_stack" "net" {
  name = "netslice"

  network {
    vpc_cidr           = "10.20.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "one_per_az"
  }

  database {
    skip_final_snapshot = true
  }
}
"#;
const ADDRESS: &str = "wordpress_ha_stack.net";

#[tokio::test]
async fn network_is_created_then_plan_is_empty_then_destroy_leaves_nothing_tagged() {
    let moto = Moto::start_async().await.expect("moto starts");
    let tf = TerraformDir::new("network_slice", &moto).expect("terraform dir");
    tf.write_stack(STACK_HCL).expect("write main.tf");
    let aws = AwsInspector::for_moto(&moto).await;

    tf.validate().assert_success();
    let plan = tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains(&format!("{ADDRESS} will be created")),
        "the plan should show the create\n{plan}"
    );
    assert_nothing_tagged(&aws).await;

    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    let network = observe_network(&aws).await;
    network.assert_vpc_matches(&state);
    network.assert_public_and_private_subnet_per_zone(&state);
    network.assert_internet_gateway_attached();
    network.assert_nat_gateway_per_zone_in_public_subnets(&state);
    network.assert_public_routes_go_to_the_internet_gateway();
    network.assert_private_routes_go_to_their_zones_nat();

    tf.plan().assert_code(0);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws).await;
}

async fn assert_nothing_tagged(aws: &AwsInspector) {
    let left = aws
        .tagged_objects(STACK)
        .await
        .expect("list tagged objects");
    AwsInspector::assert_none_left(&left, STACK);
}

/// The stack's network as EC2 reports it.
struct Network {
    vpc_id: String,
    vpc_cidr: String,
    subnets: Vec<Subnet>,
    igw_attachments: Vec<(String, String)>,
    /// NAT gateway id → (subnet id, allocation ids of its addresses).
    nats: BTreeMap<String, (String, Vec<String>)>,
    stack_eips: BTreeSet<String>,
    route_tables: Vec<RouteTable>,
}

async fn observe_network(aws: &AwsInspector) -> Network {
    let vpcs = aws.vpcs(STACK).await.expect("describe vpcs");
    assert_eq!(
        vpcs.len(),
        1,
        "exactly one VPC tagged for the stack: {vpcs:#?}"
    );
    let vpc = &vpcs[0];
    let igws = aws.internet_gateways(STACK).await.expect("describe igws");
    assert_eq!(igws.len(), 1, "exactly one internet gateway: {igws:#?}");
    let nats = aws.nat_gateways(STACK).await.expect("describe nats");
    let tagged = aws.tagged_objects(STACK).await.expect("tagged objects");
    Network {
        vpc_id: vpc.vpc_id().unwrap_or_default().to_string(),
        vpc_cidr: vpc.cidr_block().unwrap_or_default().to_string(),
        subnets: aws.subnets(STACK).await.expect("describe subnets"),
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
            .route_tables(STACK)
            .await
            .expect("describe route tables"),
    }
}

fn string_set(state: &Value, attribute: &str) -> BTreeSet<String> {
    state[attribute]
        .as_array()
        .unwrap_or_else(|| panic!("{attribute} should be a list in the state: {state:#}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

impl Network {
    fn assert_vpc_matches(&self, state: &Value) {
        assert_eq!(self.vpc_cidr, VPC_CIDR);
        assert_eq!(
            state["vpc_id"].as_str(),
            Some(self.vpc_id.as_str()),
            "state vpc_id"
        );
        assert_eq!(state["id"].as_str(), Some(STACK), "id = name");
    }

    fn subnet(&self, id: &str) -> &Subnet {
        self.subnets
            .iter()
            .find(|s| s.subnet_id() == Some(id))
            .unwrap_or_else(|| panic!("subnet {id} from the state is not tagged in EC2"))
    }

    fn zones_of(&self, ids: &BTreeSet<String>) -> Vec<String> {
        let mut zones: Vec<String> = ids
            .iter()
            .map(|id| {
                self.subnet(id)
                    .availability_zone()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        zones.sort();
        zones
    }

    fn assert_public_and_private_subnet_per_zone(&self, state: &Value) {
        let public = string_set(state, "public_subnet_ids");
        let private = string_set(state, "private_subnet_ids");
        assert_eq!(self.zones_of(&public), ZONES, "one public subnet per zone");
        assert_eq!(
            self.zones_of(&private),
            ZONES,
            "one private subnet per zone"
        );
        assert!(
            public.is_disjoint(&private),
            "public and private subnets differ"
        );
        assert_eq!(
            self.subnets.len(),
            4,
            "no other subnets: {:#?}",
            self.subnets
        );
        let cidrs: BTreeSet<&str> = self.subnets.iter().filter_map(|s| s.cidr_block()).collect();
        assert_eq!(cidrs.len(), 4, "subnet CIDRs do not overlap: {cidrs:?}");
        for subnet in &self.subnets {
            assert_eq!(subnet.vpc_id(), Some(self.vpc_id.as_str()));
            let cidr = subnet.cidr_block().unwrap_or_default();
            assert!(
                cidr.starts_with("10.20."),
                "{cidr} is carved from {VPC_CIDR}"
            );
            let name = ec2_tag(subnet.tags(), "Name").unwrap_or_default();
            assert!(name.starts_with("netslice-"), "subnet Name {name:?}");
        }
    }

    fn assert_internet_gateway_attached(&self) {
        assert_eq!(
            self.igw_attachments,
            vec![(self.vpc_id.clone(), "available".to_string())],
            "the IGW is attached to the stack's VPC"
        );
    }

    fn assert_nat_gateway_per_zone_in_public_subnets(&self, state: &Value) {
        let public = string_set(state, "public_subnet_ids");
        let ids: BTreeSet<String> = self.nats.keys().cloned().collect();
        assert_eq!(
            string_set(state, "nat_gateway_ids"),
            ids,
            "state nat_gateway_ids"
        );
        let subnets: BTreeSet<String> = self.nats.values().map(|(s, _)| s.clone()).collect();
        assert_eq!(subnets, public, "one NAT gateway in each public subnet");
        for (nat, (_, allocations)) in &self.nats {
            assert_eq!(allocations.len(), 1, "{nat} has one EIP");
            assert!(
                self.stack_eips.contains(&allocations[0]),
                "{nat}'s EIP {} is tagged for the stack",
                allocations[0]
            );
        }
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

    fn assert_public_routes_go_to_the_internet_gateway(&self) {
        let igw = self
            .igw_id()
            .expect("some table routes 0.0.0.0/0 to an IGW");
        for subnet in self.nat_subnets() {
            let table = self.table_of(&subnet);
            assert_eq!(
                Self::default_route_target(table).as_deref(),
                Some(igw.as_str()),
                "public subnet {subnet} routes 0.0.0.0/0 to the IGW"
            );
        }
    }

    fn nat_subnets(&self) -> Vec<String> {
        self.nats.values().map(|(s, _)| s.clone()).collect()
    }

    fn assert_private_routes_go_to_their_zones_nat(&self) {
        let nat_by_zone: BTreeMap<String, String> = self
            .nats
            .iter()
            .map(|(nat, (subnet, _))| {
                let zone = self.subnet(subnet).availability_zone().unwrap_or_default();
                (zone.to_string(), nat.clone())
            })
            .collect();
        let public: BTreeSet<String> = self.nat_subnets().into_iter().collect();
        let private = self
            .subnets
            .iter()
            .filter(|s| !public.contains(s.subnet_id().unwrap_or_default()));
        for subnet in private {
            let id = subnet.subnet_id().unwrap_or_default();
            let zone = subnet.availability_zone().unwrap_or_default();
            assert_eq!(
                Self::default_route_target(self.table_of(id)),
                nat_by_zone.get(zone).cloned(),
                "private subnet {id} in {zone} routes 0.0.0.0/0 to its zone's NAT gateway"
            );
        }
    }
}
