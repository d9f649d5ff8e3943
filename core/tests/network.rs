//! The EC2 tiers (network, security groups, bastion) against a private moto server: what
//! apply creates, that it never duplicates, that read sees out-of-band deletions, that
//! destroy leaves nothing tagged, and that a finished stack is never adopted.

mod support;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::IpPermission;
use stack_core::naming::{COMPLETE_TAG, STACK_TAG};
use stack_core::spec::NatMode;
use stack_core::state::logical::qualified;
use stack_core::{StackError, StackState};
use support::{filter, inventory, spec, tag_filter, tags_of, world};
use tokio_util::sync::CancellationToken;

/// Logical kinds owned by the EC2 tiers (other tiers' objects are their own tests' business).
const EC2_KINDS: [&str; 12] = [
    "vpc",
    "internet_gateway",
    "public_subnet",
    "private_subnet",
    "public_route_table",
    "public_route_table_association",
    "private_route_table",
    "private_route_table_association",
    "nat_eip",
    "nat_gateway",
    "security_group",
    "bastion_instance",
];

/// The EC2 tiers' part of a state's `resources`.
fn ec2_resources(state: &StackState) -> BTreeMap<String, String> {
    state
        .resources
        .iter()
        .filter(|(k, _)| EC2_KINDS.contains(&k.split(':').next().unwrap_or_default()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

const ZONES3: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

async fn apply_new(w: &support::World, spec: &stack_core::StackSpec) -> StackState {
    match w.engine.apply(spec, None, &CancellationToken::new()).await {
        Ok(state) => state,
        Err(failure) => panic!(
            "apply failed: {} (state: {:?})",
            failure.error, failure.state.resources
        ),
    }
}

/// What Terraform would plan for `config` over `prior`: computed attributes the configuration
/// leaves unset keep their state values.
fn planned(config: &stack_core::StackSpec, prior: &StackState) -> stack_core::StackSpec {
    let mut spec = config.clone();
    let p = &prior.spec;
    spec.network.availability_zones = spec
        .network
        .availability_zones
        .or(p.network.availability_zones.clone());
    spec.bastion.ami_id = spec.bastion.ami_id.or(p.bastion.ami_id.clone());
    spec.wordpress.ami_id = spec.wordpress.ami_id.or(p.wordpress.ami_id.clone());
    spec.database.password = spec.database.password.or(p.database.password.clone());
    spec.autoscaling.desired_capacity = spec
        .autoscaling
        .desired_capacity
        .or(p.autoscaling.desired_capacity);
    spec
}

/// One permission as (port, group ids, cidrs, ipv6 cidrs).
type Permission = (i32, Vec<String>, Vec<String>, Vec<String>);

/// Each permission of a group, sorted.
fn permissions(perms: &[IpPermission]) -> Vec<Permission> {
    let mut out: Vec<_> = perms
        .iter()
        .map(|p| {
            (
                p.from_port().unwrap_or(-1),
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string))
                    .collect(),
                p.ipv6_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ipv6().map(str::to_string))
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn apply_creates_a_tagged_routed_three_zone_network_with_chained_groups_and_a_hardened_bastion(
) {
    let w = world().await;
    let spec = spec("blog", &ZONES3, NatMode::OnePerAz, true);
    let state = apply_new(&w, &spec).await;
    let r = |key: &str| {
        state
            .resources
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} not in {:?}", state.resources))
    };

    // VPC: tags (default, user, ownership, Name, complete) and DNS.
    let vpc_id = r("vpc");
    let vpcs = w.ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("10.20.0.0/16"));
    let tags = tags_of(vpc.tags());
    assert_eq!(tags[STACK_TAG], "blog");
    assert_eq!(tags["Name"], "blog-vpc");
    assert_eq!(tags["env"], "test");
    assert_eq!(tags["team"], "web");
    assert_eq!(tags[COMPLETE_TAG], "true");
    let hostnames = w
        .ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute("enableDnsHostnames".into())
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames.enable_dns_hostnames().and_then(|v| v.value()),
        Some(true)
    );

    // Subnets: carved per zone, named, in the VPC.
    let expected = [
        ("us-east-1a", "10.20.0.0/20", "10.20.128.0/20"),
        ("us-east-1b", "10.20.16.0/20", "10.20.144.0/20"),
        ("us-east-1c", "10.20.32.0/20", "10.20.160.0/20"),
    ];
    for (az, public_cidr, private_cidr) in expected {
        for (kind, cidr) in [("public", public_cidr), ("private", private_cidr)] {
            let id = r(&qualified(&format!("{kind}_subnet"), az));
            let out = w
                .ec2
                .describe_subnets()
                .subnet_ids(&id)
                .send()
                .await
                .unwrap();
            let subnet = &out.subnets()[0];
            assert_eq!(subnet.availability_zone(), Some(az));
            assert_eq!(subnet.cidr_block(), Some(cidr));
            assert_eq!(subnet.vpc_id(), Some(vpc_id.as_str()));
            assert_eq!(tags_of(subnet.tags())["Name"], format!("blog-{kind}-{az}"));
        }
    }
    assert_eq!(state.outputs.public_subnet_ids.len(), 3);
    assert_eq!(
        state.outputs.private_subnet_ids[1],
        r("private_subnet:us-east-1b")
    );

    // IGW attached; public routes to it for every public subnet.
    let igw = r("internet_gateway");
    let igws = w
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw)
        .send()
        .await
        .unwrap();
    assert_eq!(
        igws.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(vpc_id.as_str())
    );
    let public = w
        .ec2
        .describe_route_tables()
        .route_table_ids(r("public_route_table"))
        .send()
        .await
        .unwrap();
    let public = &public.route_tables()[0];
    assert!(public
        .routes()
        .iter()
        .any(|x| x.destination_cidr_block() == Some("0.0.0.0/0")
            && x.gateway_id() == Some(igw.as_str())));
    let associated: Vec<&str> = public
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    for az in ZONES3 {
        assert!(associated.contains(&r(&qualified("public_subnet", az)).as_str()));
    }

    // One NAT per zone, in its public subnet with its EIP; each private table routes to its own.
    assert_eq!(state.outputs.nat_gateway_ids.len(), 3);
    for az in ZONES3 {
        let nat_id = r(&qualified("nat_gateway", az));
        let nats = w
            .ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&nat_id)
            .send()
            .await
            .unwrap();
        let nat = &nats.nat_gateways()[0];
        assert_eq!(
            nat.subnet_id(),
            Some(r(&qualified("public_subnet", az)).as_str())
        );
        assert_eq!(nat.state().map(|s| s.as_str()), Some("available"));
        assert_eq!(
            nat.nat_gateway_addresses()[0].allocation_id(),
            Some(r(&qualified("nat_eip", az)).as_str())
        );
        let table = w
            .ec2
            .describe_route_tables()
            .route_table_ids(r(&qualified("private_route_table", az)))
            .send()
            .await
            .unwrap();
        let table = &table.route_tables()[0];
        assert!(table
            .routes()
            .iter()
            .any(|x| x.destination_cidr_block() == Some("0.0.0.0/0")
                && x.nat_gateway_id() == Some(nat_id.as_str())));
        let private_subnet = r(&qualified("private_subnet", az));
        assert!(table
            .associations()
            .iter()
            .any(|a| a.subnet_id() == Some(private_subnet.as_str())));
    }

    // Security groups chained by id; default egress revoked.
    let sg = |tier: &str| r(&qualified("security_group", tier));
    assert_eq!(state.outputs.security_group_ids.len(), 5);
    let groups = w
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &vpc_id))
        .filters(tag_filter("blog"))
        .send()
        .await
        .unwrap();
    let by_id: BTreeMap<String, _> = groups
        .security_groups()
        .iter()
        .map(|g| (g.group_id().unwrap().to_string(), g))
        .collect();
    let ingress = |tier: &str| permissions(by_id[&sg(tier)].ip_permissions());
    let egress = |tier: &str| permissions(by_id[&sg(tier)].ip_permissions_egress());
    assert_eq!(
        ingress("app"),
        vec![
            (22, vec![sg("bastion")], vec![], vec![]),
            (80, vec![sg("alb")], vec![], vec![])
        ]
    );
    assert_eq!(
        ingress("efs"),
        vec![(2049, vec![sg("app")], vec![], vec![])]
    );
    assert_eq!(ingress("db"), vec![(3306, vec![sg("app")], vec![], vec![])]);
    assert_eq!(
        ingress("bastion"),
        vec![(22, vec![], vec!["203.0.113.0/24".to_string()], vec![])]
    );
    let alb_in = ingress("alb");
    assert!(
        alb_in.iter().all(|p| p.0 == 80),
        "no 443 without a certificate: {alb_in:?}"
    );
    assert!(alb_in.iter().any(|p| p.2 == vec!["0.0.0.0/0".to_string()]));
    assert!(alb_in.iter().any(|p| p.3 == vec!["::/0".to_string()]));
    assert!(
        egress("db").is_empty() && egress("efs").is_empty(),
        "no egress for data stores"
    );
    assert_eq!(egress("alb"), vec![(80, vec![sg("app")], vec![], vec![])]);
    assert!(
        egress("app").iter().all(|p| p.0 != -1),
        "the default allow-all egress is gone: {:?}",
        egress("app")
    );

    // Bastion: first public subnet, public IP, IMDSv2 with hop limit 1, encrypted gp3 root.
    let bastion_id = r("bastion_instance");
    let out = w
        .ec2
        .describe_instances()
        .instance_ids(&bastion_id)
        .send()
        .await
        .unwrap();
    let bastion = &out.reservations()[0].instances()[0];
    assert_eq!(
        bastion.subnet_id(),
        Some(r("public_subnet:us-east-1a").as_str())
    );
    assert!(bastion.public_ip_address().is_some());
    assert_eq!(
        state.outputs.bastion_public_ip.as_deref(),
        bastion.public_ip_address()
    );
    let metadata = bastion.metadata_options().unwrap();
    assert_eq!(metadata.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(metadata.http_put_response_hop_limit(), Some(1));
    let interface_groups: Vec<&str> = bastion
        .network_interfaces()
        .iter()
        .flat_map(|n| n.groups())
        .filter_map(|g| g.group_id())
        .collect();
    assert_eq!(interface_groups, vec![sg("bastion").as_str()]);
    let volume_ids: Vec<String> = bastion
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
        .collect();
    assert_eq!(volume_ids.len(), 1, "one root volume");
    let volumes = w
        .ec2
        .describe_volumes()
        .set_volume_ids(Some(volume_ids))
        .send()
        .await
        .unwrap();
    let root = &volumes.volumes()[0];
    assert_eq!(root.encrypted(), Some(true));
    assert_eq!(root.volume_type().map(|t| t.as_str()), Some("gp3"));
    assert!(state
        .spec
        .bastion
        .ami_id
        .as_deref()
        .is_some_and(|a| a.starts_with("ami-")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn applying_again_or_resuming_an_unfinished_create_creates_no_duplicates() {
    // A resumed create without state sets a new database password, and so rolls the group it
    // adopts to a new template version by an instance refresh (played by the proxy).
    let w = support::world_with_quick_refreshes().await;
    let spec = spec("dup", &ZONES3[..2], NatMode::OnePerAz, true);
    let first = apply_new(&w, &spec).await;
    let counts = inventory(&w.ec2, "dup").await;
    assert_eq!(counts["vpc"], 1);
    assert_eq!(counts["subnet"], 4);
    assert_eq!(counts["nat_gateway"], 2);
    assert_eq!(counts["eip"], 2);
    assert_eq!(counts["route_table"], 3);
    assert_eq!(counts["security_group"], 5);
    assert_eq!(counts["bastion_instance"], 1);

    let again = w
        .engine
        .apply(
            &planned(&spec, &first),
            Some(&first),
            &CancellationToken::new(),
        )
        .await
        .expect("second apply");
    assert_eq!(ec2_resources(&again), ec2_resources(&first));
    assert_eq!(inventory(&w.ec2, "dup").await, counts);

    // A create killed before it finished: no complete tag, no state. The next create adopts.
    let vpc = first.resources["vpc"].clone();
    w.ec2
        .delete_tags()
        .resources(&vpc)
        .tags(aws_sdk_ec2::types::Tag::builder().key(COMPLETE_TAG).build())
        .send()
        .await
        .unwrap();
    let resumed = apply_new(&w, &spec).await;
    assert_eq!(ec2_resources(&resumed), ec2_resources(&first));
    assert_eq!(inventory(&w.ec2, "dup").await, counts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_complete_stack_is_refused_on_create_and_imported_by_name() {
    let w = world().await;
    let spec = spec("taken", &ZONES3[..2], NatMode::Single, false);
    let state = apply_new(&w, &spec).await;
    let failure = w
        .engine
        .apply(&spec, None, &CancellationToken::new())
        .await
        .expect_err("must refuse");
    assert!(
        matches!(failure.error, StackError::AlreadyExists { ref name } if name == "taken"),
        "{}",
        failure.error
    );
    assert!(
        failure.state.resources.is_empty(),
        "nothing adopted: {:?}",
        failure.state.resources
    );

    let imported = w.engine.import("taken").await.expect("import");
    assert_eq!(ec2_resources(&imported), ec2_resources(&state));
    assert_eq!(
        imported.spec.network.availability_zones,
        spec.network.availability_zones
    );
    assert_eq!(imported.spec.network.nat_gateways, NatMode::Single);
    assert_eq!(imported.spec.network.vpc_cidr, "10.20.0.0/16");
    assert!(!imported.spec.bastion.enabled);
    assert_eq!(
        imported.spec.bastion.allowed_ssh_cidrs,
        spec.bastion.allowed_ssh_cidrs
    );
    assert!(w.engine.import("nobody").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_nat_mode_routes_every_zone_through_one_gateway() {
    let w = world().await;
    let spec = spec("cheap", &ZONES3[..2], NatMode::Single, false);
    let state = apply_new(&w, &spec).await;
    assert_eq!(state.outputs.nat_gateway_ids.len(), 1);
    let nat = state.resources["nat_gateway:us-east-1a"].clone();
    for az in ["us-east-1a", "us-east-1b"] {
        let table = w
            .ec2
            .describe_route_tables()
            .route_table_ids(&state.resources[&qualified("private_route_table", az)])
            .send()
            .await
            .unwrap();
        assert!(
            table.route_tables()[0]
                .routes()
                .iter()
                .any(|r| r.nat_gateway_id() == Some(nat.as_str())),
            "{az}"
        );
    }
    assert!(!state.resources.contains_key("bastion_instance"));
    assert_eq!(inventory(&w.ec2, "cheap").await["bastion_instance"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nat_gateway_deleted_out_of_band_is_recreated_on_the_same_elastic_ip() {
    let w = world().await;
    let spec = spec("natgone", &ZONES3[..2], NatMode::Single, false);
    let state = apply_new(&w, &spec).await;
    let old_nat = state.resources["nat_gateway:us-east-1a"].clone();
    let eip = state.resources["nat_eip:us-east-1a"].clone();
    // Moto keeps the address associated with the deleted gateway, as AWS does while it is
    // `deleting`: a plain CreateNatGateway on it fails with "already associated".
    w.ec2
        .delete_nat_gateway()
        .nat_gateway_id(&old_nat)
        .send()
        .await
        .unwrap();
    let observed = w.engine.read(&state).await.unwrap().expect("stack exists");
    assert!(!observed.resources.contains_key("nat_gateway:us-east-1a"));

    let repaired = w
        .engine
        .apply(
            &planned(&spec, &observed),
            Some(&observed),
            &CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|f| panic!("repair apply: {} ({:?})", f.error, f.state.resources));
    let new_nat = repaired.resources["nat_gateway:us-east-1a"].clone();
    assert_ne!(new_nat, old_nat, "a new gateway");
    assert_eq!(
        repaired.resources["nat_eip:us-east-1a"], eip,
        "same egress IP"
    );
    assert_eq!(repaired.outputs.nat_gateway_ids, vec![new_nat.clone()]);
    let out = w
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&new_nat)
        .send()
        .await
        .unwrap();
    let nat = &out.nat_gateways()[0];
    assert_eq!(nat.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(
        nat.nat_gateway_addresses()[0].allocation_id(),
        Some(eip.as_str())
    );
    assert_eq!(
        nat_route_of(&w, &repaired, "us-east-1b").await,
        Some(new_nat)
    );

    w.engine
        .destroy(&repaired, &CancellationToken::new())
        .await
        .unwrap_or_else(|f| panic!("destroy: {} left {:?}", f.error, f.state.resources));
    let counts = inventory(&w.ec2, "natgone").await;
    assert!(counts.values().all(|n| *n == 0), "left behind: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_sees_drift_and_a_deleted_subnet_and_apply_repairs_routes_and_rules() {
    let w = world().await;
    let spec = spec("drift", &ZONES3[..2], NatMode::OnePerAz, false);
    let state = apply_new(&w, &spec).await;
    let unchanged = w.engine.read(&state).await.unwrap().expect("stack exists");
    assert_eq!(ec2_resources(&unchanged), ec2_resources(&state));
    let network_outputs = |s: &StackState| {
        let o = &s.outputs;
        (
            o.vpc_id.clone(),
            o.public_subnet_ids.clone(),
            o.private_subnet_ids.clone(),
            o.nat_gateway_ids.clone(),
            o.security_group_ids.clone(),
            o.bastion_public_ip.clone(),
        )
    };
    assert_eq!(network_outputs(&unchanged), network_outputs(&state));
    assert_eq!(unchanged.spec.network, state.spec.network);
    assert_eq!(unchanged.spec.bastion, state.spec.bastion);

    // Out of band: zone a's NAT route and an extra SSH source.
    let table_a = state.resources["private_route_table:us-east-1a"].clone();
    w.ec2
        .delete_route()
        .route_table_id(&table_a)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let bastion_sg = state.resources["security_group:bastion"].clone();
    w.ec2
        .authorize_security_group_ingress()
        .group_id(&bastion_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("198.51.100.0/24")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let observed = w.engine.read(&state).await.unwrap().expect("stack exists");
    assert!(
        !observed
            .resources
            .contains_key("private_route_table:us-east-1a"),
        "a table without its route reads as missing"
    );
    assert!(observed
        .resources
        .contains_key("private_route_table:us-east-1b"));
    let mut cidrs = observed.spec.bastion.allowed_ssh_cidrs.clone();
    cidrs.sort();
    assert_eq!(
        cidrs,
        vec!["198.51.100.0/24".to_string(), "203.0.113.0/24".to_string()]
    );

    // The next apply (config wins over observed drift) restores both, without new objects.
    let repaired = w
        .engine
        .apply(
            &planned(&spec, &observed),
            Some(&observed),
            &CancellationToken::new(),
        )
        .await
        .expect("repair apply");
    assert_eq!(ec2_resources(&repaired), ec2_resources(&state));
    let after = w
        .engine
        .read(&repaired)
        .await
        .unwrap()
        .expect("stack exists");
    assert_eq!(ec2_resources(&after), ec2_resources(&state));
    assert_eq!(
        after.spec.bastion.allowed_ssh_cidrs,
        vec!["203.0.113.0/24".to_string()],
        "extra rule revoked"
    );

    // A subnet deleted out of band (moto allows it even with dependents) leaves the state.
    let subnet = state.resources["public_subnet:us-east-1b"].clone();
    w.ec2
        .disassociate_route_table()
        .association_id(&after.resources["public_route_table_association:us-east-1b"])
        .send()
        .await
        .unwrap();
    w.ec2
        .delete_subnet()
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap();
    let observed = w.engine.read(&after).await.unwrap().expect("stack exists");
    assert!(!observed.resources.contains_key("public_subnet:us-east-1b"));
    assert!(!observed
        .resources
        .contains_key("public_route_table_association:us-east-1b"));
    assert!(observed.resources.contains_key("public_subnet:us-east-1a"));
    assert_eq!(
        observed.outputs.public_subnet_ids,
        vec![state.resources["public_subnet:us-east-1a"].clone()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destroy_leaves_nothing_tagged_even_objects_the_state_never_knew() {
    let w = world().await;
    let spec = spec("gone", &ZONES3[..2], NatMode::OnePerAz, true);
    let mut state = apply_new(&w, &spec).await;
    // A crash lost these ids: the sweep must still find them by tag.
    state.resources.remove("nat_gateway:us-east-1b");
    state.resources.remove("nat_eip:us-east-1b");
    let orphan = w
        .ec2
        .allocate_address()
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::ElasticIp)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key(STACK_TAG)
                        .value("gone")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(orphan.allocation_id().is_some());

    w.engine
        .destroy(&state, &CancellationToken::new())
        .await
        .unwrap_or_else(|f| panic!("destroy: {} left {:?}", f.error, f.state.resources));
    let counts = inventory(&w.ec2, "gone").await;
    assert!(counts.values().all(|n| *n == 0), "left behind: {counts:?}");
    assert!(
        w.engine.read(&state).await.unwrap().is_none(),
        "read after destroy: stack gone"
    );
}

/// The route of `az`'s private table: the NAT gateway it points at.
async fn nat_route_of(w: &support::World, state: &StackState, az: &str) -> Option<String> {
    let table = &state.resources[&qualified("private_route_table", az)];
    let out = w
        .ec2
        .describe_route_tables()
        .route_table_ids(table)
        .send()
        .await
        .unwrap();
    out.route_tables()[0]
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| r.nat_gateway_id().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_switch_nat_modes_and_replace_or_remove_the_bastion() {
    let w = world().await;
    let mut config = spec("upd", &ZONES3[..2], NatMode::OnePerAz, true);
    let first = apply_new(&w, &config).await;
    let apply = |config: stack_core::StackSpec, prior: StackState| {
        let engine = &w.engine;
        async move {
            engine
                .apply(
                    &planned(&config, &prior),
                    Some(&prior),
                    &CancellationToken::new(),
                )
                .await
                .unwrap_or_else(|f| panic!("update failed: {}", f.error))
        }
    };

    // The bastion terminated out of band: read drops it, apply launches a new one.
    let old_bastion = first.resources["bastion_instance"].clone();
    w.ec2
        .terminate_instances()
        .instance_ids(&old_bastion)
        .send()
        .await
        .unwrap();
    let observed = w.engine.read(&first).await.unwrap().expect("stack exists");
    assert!(!observed.resources.contains_key("bastion_instance"));
    let state = apply(config.clone(), observed).await;
    assert_ne!(state.resources["bastion_instance"], old_bastion);
    assert_eq!(inventory(&w.ec2, "upd").await["bastion_instance"], 1);

    // one_per_az → single: both zones route through zone a's gateway, zone b's is gone.
    config.network.nat_gateways = NatMode::Single;
    let state = apply(config.clone(), state).await;
    let nat_a = state.resources["nat_gateway:us-east-1a"].clone();
    assert!(!state.resources.contains_key("nat_gateway:us-east-1b"));
    assert!(!state.resources.contains_key("nat_eip:us-east-1b"));
    assert_eq!(
        nat_route_of(&w, &state, "us-east-1b").await.as_deref(),
        Some(nat_a.as_str())
    );
    assert_eq!(inventory(&w.ec2, "upd").await["nat_gateway"], 1);
    assert_eq!(inventory(&w.ec2, "upd").await["eip"], 1);
    let observed = w.engine.read(&state).await.unwrap().expect("stack exists");
    assert_eq!(observed.spec.network.nat_gateways, NatMode::Single);

    // single → one_per_az: zone b gets its own gateway back.
    config.network.nat_gateways = NatMode::OnePerAz;
    let state = apply(config.clone(), state).await;
    let nat_b = state.resources["nat_gateway:us-east-1b"].clone();
    assert_eq!(
        nat_route_of(&w, &state, "us-east-1b").await.as_deref(),
        Some(nat_b.as_str())
    );
    assert_eq!(
        nat_route_of(&w, &state, "us-east-1a").await.as_deref(),
        Some(nat_a.as_str())
    );
    assert_eq!(state.outputs.nat_gateway_ids, vec![nat_a, nat_b]);

    // Bastion disabled: instance gone, output cleared.
    config.bastion.enabled = false;
    let state = apply(config.clone(), state).await;
    assert!(!state.resources.contains_key("bastion_instance"));
    assert_eq!(state.outputs.bastion_public_ip, None);
    assert_eq!(inventory(&w.ec2, "upd").await["bastion_instance"], 0);

    // Tags changed in place: a new one everywhere, a dropped one removed everywhere.
    config.tags = BTreeMap::from([("owner".to_string(), "blog-team".to_string())]);
    let state = apply(config.clone(), state).await;
    for key in [
        "vpc",
        "public_subnet:us-east-1b",
        "nat_gateway:us-east-1a",
        "security_group:db",
    ] {
        let out = w
            .ec2
            .describe_tags()
            .filters(filter("resource-id", &state.resources[key]))
            .send()
            .await
            .unwrap();
        let tags: BTreeMap<String, String> = out
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(
            tags.get("owner").map(String::as_str),
            Some("blog-team"),
            "{key}: {tags:?}"
        );
        assert!(
            !tags.contains_key("env"),
            "{key} keeps a dropped tag: {tags:?}"
        );
        assert_eq!(
            tags.get("team").map(String::as_str),
            Some("web"),
            "default tags stay"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_apply_returns_every_id_so_far_and_destroy_removes_them() {
    let w = world().await;
    let mut config = spec("half", &ZONES3[..2], NatMode::OnePerAz, true);
    config.bastion.ami_id = Some("ami-00000000000000000".into());
    let failure = w
        .engine
        .apply(&config, None, &CancellationToken::new())
        .await
        .expect_err("an unknown AMI fails the bastion step");
    assert!(
        failure.error.to_string().contains("ami-00000000000000000"),
        "{}",
        failure.error
    );
    let partial = *failure.state;
    for key in [
        "vpc",
        "public_subnet:us-east-1a",
        "private_subnet:us-east-1b",
        "internet_gateway",
        "security_group:bastion",
    ] {
        assert!(
            partial.resources.contains_key(key),
            "{key} missing from {:?}",
            partial.resources
        );
    }
    assert!(!partial.resources.contains_key("bastion_instance"));
    let vpcs = w
        .ec2
        .describe_vpcs()
        .filters(tag_filter("half"))
        .send()
        .await
        .unwrap();
    let vpc_tags = tags_of(vpcs.vpcs()[0].tags());
    assert!(
        !vpc_tags.contains_key(COMPLETE_TAG),
        "an unfinished stack is not marked complete"
    );

    // An already-cancelled apply starts nothing and says so.
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let failure = w
        .engine
        .apply(&config, Some(&partial), &cancelled)
        .await
        .expect_err("cancelled");
    assert!(
        matches!(failure.error, StackError::Cancelled { .. }),
        "{}",
        failure.error
    );
    assert_eq!(failure.state.resources, partial.resources);

    w.engine
        .destroy(&partial, &CancellationToken::new())
        .await
        .unwrap_or_else(|f| panic!("destroy: {} left {:?}", f.error, f.state.resources));
    let counts = inventory(&w.ec2, "half").await;
    assert!(counts.values().all(|n| *n == 0), "left behind: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn removed_tags_show_as_drift_and_apply_restores_them_without_duplicates() {
    let w = world().await;
    let config = spec("tags", &ZONES3[..2], NatMode::OnePerAz, true);
    let state = apply_new(&w, &config).await;
    let counts = inventory(&w.ec2, "tags").await;
    let untag = |id: String, keys: &'static [&'static str]| {
        let ec2 = w.ec2.clone();
        async move {
            let tags: Vec<aws_sdk_ec2::types::Tag> = keys
                .iter()
                .map(|k| aws_sdk_ec2::types::Tag::builder().key(*k).build())
                .collect();
            ec2.delete_tags()
                .resources(id)
                .set_tags(Some(tags))
                .send()
                .await
                .unwrap();
        }
    };
    // A user tag off a subnet; ownership and Name off the public route table and the bastion.
    untag(
        state.resources["private_subnet:us-east-1a"].clone(),
        &["env"],
    )
    .await;
    untag(
        state.resources["public_route_table"].clone(),
        &[STACK_TAG, "Name"],
    )
    .await;
    untag(
        state.resources["bastion_instance"].clone(),
        &[STACK_TAG, "Name"],
    )
    .await;

    let observed = w.engine.read(&state).await.unwrap().expect("stack exists");
    assert!(
        !observed.spec.tags.contains_key("env"),
        "user tag drift shows in `tags`"
    );
    assert!(observed.resources.contains_key("private_subnet:us-east-1a"));
    assert!(!observed.resources.contains_key("public_route_table"));
    assert!(!observed.resources.contains_key("bastion_instance"));

    let repaired = w
        .engine
        .apply(
            &planned(&config, &observed),
            Some(&observed),
            &CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|f| panic!("repair: {}", f.error));
    assert_eq!(
        ec2_resources(&repaired),
        ec2_resources(&state),
        "the same objects, found again"
    );
    assert_eq!(
        inventory(&w.ec2, "tags").await,
        counts,
        "nothing duplicated"
    );
    let after = w
        .engine
        .read(&repaired)
        .await
        .unwrap()
        .expect("stack exists");
    assert_eq!(after.spec.tags, config.tags);
    assert_eq!(ec2_resources(&after), ec2_resources(&state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regions_zones_are_listed_sorted_and_default_to_the_first_two() {
    let w = world().await;
    let zones = w.engine.availability_zones().await.expect("zones");
    assert!(zones.len() >= 2, "{zones:?}");
    assert!(zones.windows(2).all(|p| p[0] < p[1]), "sorted: {zones:?}");
    assert!(zones.iter().all(|z| z.starts_with("us-east-1")));

    let mut config = spec("dflt", &[], NatMode::Single, false);
    config.network.availability_zones = None;
    let state = apply_new(&w, &config).await;
    assert_eq!(
        state.spec.network.availability_zones.as_deref(),
        Some(&zones[..2])
    );
    assert_eq!(state.outputs.public_subnet_ids.len(), 2);
}
