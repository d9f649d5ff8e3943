//! The whole architecture on apply, through the real Terraform CLI against moto, every
//! promise checked through the AWS APIs: subnets and routes per zone, each security-group rule,
//! the bastion's metadata options and encryption, EFS and its mount targets, RDS placement,
//! ALB → target group → listener wiring, the launch template and its user data, the ASG and its
//! scaling policy, the Route 53 alias. Then a second plan has nothing to do and destroy leaves
//! nothing tagged.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_autoscaling::types::AutoScalingGroup;
use aws_sdk_ec2::types::{HttpTokensState, IpPermission, LaunchTemplateHttpTokensState};
use common::{assert_nothing_tagged, state_str, string_set, Network};
use serde_json::Value;
use stack_tests::harness::terraform::{provider_hcl, TerraformDir};
use stack_tests::inspect::{ec2_tag, instance_group_ids, AwsInspector};
use stack_tests::Moto;

/// What one test stack asks for, so the checks know what to expect.
struct Expected {
    stack: &'static str,
    cidr: &'static str,
    zones: &'static [&'static str],
    nat_per_zone: bool,
    ssh_cidrs: &'static [&'static str],
    bastion: bool,
    dns: Option<&'static str>,
    multi_az: bool,
    throughput_mode: &'static str,
    performance_mode: &'static str,
    min_size: i32,
    max_size: i32,
    cpu_target: f64,
    grace_period: i32,
    backup_days: i32,
    max_storage: i32,
    image: &'static str,
}

const THREE_ZONES: Expected = Expected {
    stack: "full3az",
    cidr: "10.30.0.0/16",
    zones: &["us-east-1a", "us-east-1b", "us-east-1c"],
    nat_per_zone: true,
    ssh_cidrs: &["198.51.100.0/24", "203.0.113.0/24"],
    bastion: true,
    dns: Some("blog.example.com"),
    multi_az: true,
    throughput_mode: "elastic",
    performance_mode: "generalPurpose",
    min_size: 2,
    max_size: 6,
    cpu_target: 55.0,
    grace_period: 240,
    backup_days: 5,
    max_storage: 200,
    image: "wordpress:6-php8.2-apache",
};

const TWO_ZONES_SINGLE_NAT: Expected = Expected {
    stack: "lean2az",
    cidr: "10.40.0.0/16",
    zones: &["us-east-1a", "us-east-1b"],
    nat_per_zone: false,
    ssh_cidrs: &[],
    bastion: false,
    dns: None,
    multi_az: false,
    throughput_mode: "bursting",
    performance_mode: "generalPurpose",
    min_size: 2,
    max_size: 4,
    cpu_target: 60.0,
    grace_period: 300,
    backup_days: 7,
    max_storage: 100,
    image: "wordpress:6-apache",
};

fn three_zone_hcl(zone_id: &str) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "full" {{
  name = "full3az"

  network {{
    vpc_cidr           = "10.30.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    nat_gateways       = "one_per_az"
  }}
  bastion {{
    allowed_ssh_cidrs = ["203.0.113.0/24", "198.51.100.0/24"]
  }}
  wordpress {{
    image = "wordpress:6-php8.2-apache"
  }}
  autoscaling {{
    min_size                  = 2
    max_size                  = 6
    target_cpu_utilization    = 55
    health_check_grace_period = 240
  }}
  database {{
    multi_az              = true
    backup_retention_days = 5
    max_allocated_storage = 200
    skip_final_snapshot   = true
  }}
  storage {{
    throughput_mode = "elastic"
  }}
  dns {{
    zone_id     = "{zone_id}"
    record_name = "blog.example.com"
  }}
  tags = {{ env = "test" }}
}}
"#
    )
}

const TWO_ZONE_SINGLE_NAT_HCL: &str = r#"
resource "wordpress_ha_stack" "full" {
  name = "lean2az"

  network {
    vpc_cidr     = "10.40.0.0/16"
    nat_gateways = "single"
  }
  bastion {
    enabled = false
  }
  database {
    multi_az            = false
    skip_final_snapshot = true
  }
  storage {
    throughput_mode = "bursting"
  }
  tags = { env = "test" }
}
"#;

const ADDRESS: &str = "wordpress_ha_stack.full";

/// The provider block with `default_tags`, so the tag checks can see them on every object.
fn provider_with_default_tags(moto: &Moto) -> String {
    provider_hcl(&moto.endpoint()).replace(
        "provider \"wordpress\" {\n",
        "provider \"wordpress\" {\n  default_tags = { team = \"web\" }\n",
    )
}

#[tokio::test]
async fn three_zone_stack_with_bastion_and_dns_is_complete_then_replans_clean_and_destroys() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let zone_id = aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");
    let hcl = three_zone_hcl(&zone_id);
    apply_check_replan_destroy(&moto, &aws, &THREE_ZONES, &hcl).await;
    let records = aws.record_sets(&zone_id).await.expect("records");
    assert!(
        !records.iter().any(|(name, _)| name == "blog.example.com."),
        "destroy removes the alias record: {records:?}"
    );
}

#[tokio::test]
async fn two_zone_single_nat_stack_without_bastion_or_dns_is_complete_then_destroys() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    apply_check_replan_destroy(&moto, &aws, &TWO_ZONES_SINGLE_NAT, TWO_ZONE_SINGLE_NAT_HCL).await;
}

async fn apply_check_replan_destroy(moto: &Moto, aws: &AwsInspector, want: &Expected, hcl: &str) {
    let tf = TerraformDir::new(want.stack, moto).expect("terraform dir");
    tf.write_main(&format!("{}\n{hcl}", provider_with_default_tags(moto)))
        .expect("write main.tf");

    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    assert!(
        state["database"]["password"].is_null(),
        "the generated DB password is not in the state (tests/state_secrets.rs searches for it)"
    );

    Network::observe(aws, want.stack).await.assert_all(
        &state,
        want.cidr,
        want.zones,
        want.nat_per_zone,
    );
    let groups = check_security_groups(aws, &state, want).await;
    check_bastion(aws, &state, want, &groups).await;
    check_efs(aws, &state, want, &groups).await;
    check_database(aws, &state, want, &groups).await;
    let target_group = check_load_balancer(aws, &state, &groups).await;
    check_launch_template(aws, &state, want, &groups).await;
    check_auto_scaling(aws, &state, want, &target_group).await;
    check_dns_and_url(aws, &state, want).await;
    check_tags(aws, want).await;

    tf.plan().assert_code(0);
    tf.destroy().assert_success();
    assert_nothing_tagged(aws, want.stack).await;
}

/// `security_group_ids` from the state: tier → group id.
fn group_ids(state: &Value) -> BTreeMap<String, String> {
    state["security_group_ids"]
        .as_object()
        .unwrap_or_else(|| panic!("security_group_ids is a map: {state:#}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// A rule as `tcp/80 from sg:alb`, with group ids replaced by their tier for readable diffs.
fn describe_rules(
    permissions: &[IpPermission],
    tier_of: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut rules = BTreeSet::new();
    for p in permissions {
        let proto = p.ip_protocol().unwrap_or("?");
        let ports = match (p.from_port(), p.to_port()) {
            (Some(from), Some(to)) if from == to => format!("{from}"),
            (Some(from), Some(to)) => format!("{from}-{to}"),
            _ => "all".to_string(),
        };
        let rule = format!("{proto}/{ports}");
        rules.extend(
            p.ip_ranges()
                .iter()
                .map(|r| format!("{rule} {}", r.cidr_ip().unwrap_or("?"))),
        );
        rules.extend(
            p.ipv6_ranges()
                .iter()
                .map(|r| format!("{rule} {}", r.cidr_ipv6().unwrap_or("?"))),
        );
        rules.extend(p.user_id_group_pairs().iter().map(|g| {
            let id = g.group_id().unwrap_or("?");
            let tier = tier_of
                .get(id)
                .map_or(id.to_string(), |t| format!("sg:{t}"));
            format!("{rule} {tier}")
        }));
        rules.extend(
            p.prefix_list_ids()
                .iter()
                .map(|l| format!("{rule} {}", l.prefix_list_id().unwrap_or("?"))),
        );
    }
    rules
}

fn rule_set(rules: &[&str]) -> BTreeSet<String> {
    rules.iter().map(|r| r.to_string()).collect()
}

/// Ingress exactly as promised (no other rule anywhere, chained by group id); egress never the
/// default allow-all, and none at all from EFS and the database.
async fn check_security_groups(
    aws: &AwsInspector,
    state: &Value,
    want: &Expected,
) -> BTreeMap<String, String> {
    let ids = group_ids(state);
    let tiers: BTreeSet<&str> = ids.keys().map(String::as_str).collect();
    assert!(
        ["alb", "app", "efs", "db"]
            .iter()
            .all(|t| tiers.contains(t)),
        "security_group_ids has every tier: {ids:?}"
    );
    let tier_of: BTreeMap<String, String> =
        ids.iter().map(|(t, id)| (id.clone(), t.clone())).collect();
    let out = aws
        .ec2
        .describe_security_groups()
        .set_group_ids(Some(ids.values().cloned().collect()))
        .send()
        .await
        .expect("describe security groups");
    let mut ingress = BTreeMap::new();
    let mut egress = BTreeMap::new();
    for group in out.security_groups() {
        let tier = tier_of[group.group_id().unwrap_or_default()].clone();
        assert_eq!(
            group.vpc_id(),
            state["vpc_id"].as_str(),
            "{tier} group is in the VPC"
        );
        ingress.insert(
            tier.clone(),
            describe_rules(group.ip_permissions(), &tier_of),
        );
        egress.insert(
            tier,
            describe_rules(group.ip_permissions_egress(), &tier_of),
        );
    }

    let ssh: Vec<String> = want
        .ssh_cidrs
        .iter()
        .map(|c| format!("tcp/22 {c}"))
        .collect();
    let expected_ingress = [
        ("alb", rule_set(&["tcp/80 0.0.0.0/0", "tcp/80 ::/0"])),
        (
            "app",
            // SSH from the bastion only while there is one.
            if want.bastion {
                rule_set(&["tcp/80 sg:alb", "tcp/22 sg:bastion"])
            } else {
                rule_set(&["tcp/80 sg:alb"])
            },
        ),
        ("efs", rule_set(&["tcp/2049 sg:app"])),
        ("db", rule_set(&["tcp/3306 sg:app"])),
        ("bastion", ssh.into_iter().collect()),
    ];
    for (tier, expected) in expected_ingress {
        match ingress.get(tier) {
            Some(observed) => assert_eq!(observed, &expected, "ingress of the {tier} group"),
            // Only the bastion's group may be left out, and only with the bastion disabled.
            None => assert!(
                tier == "bastion" && !want.bastion,
                "the {tier} group exists"
            ),
        }
    }
    for (tier, rules) in &egress {
        assert!(
            !rules
                .iter()
                .any(|r| r.starts_with("-1/") && r.ends_with(" 0.0.0.0/0")),
            "the {tier} group keeps no allow-all egress: {rules:?}"
        );
    }
    for tier in ["efs", "db"] {
        assert_eq!(
            egress[tier],
            BTreeSet::new(),
            "the {tier} group needs no egress"
        );
    }
    assert_eq!(
        egress["alb"],
        rule_set(&["tcp/80 sg:app"]),
        "the ALB only talks to the app"
    );
    ids
}

fn resource_id<'a>(state: &'a Value, logical: &str) -> Option<&'a str> {
    state["resources"].get(logical).and_then(Value::as_str)
}

/// Bastion: one instance in a public subnet, public IP, IMDSv2 required, encrypted root volume.
async fn check_bastion(
    aws: &AwsInspector,
    state: &Value,
    want: &Expected,
    groups: &BTreeMap<String, String>,
) {
    let instances = aws
        .ec2
        .describe_instances()
        .filters(stack_tests::inspect::stack_filter(want.stack))
        .send()
        .await
        .expect("describe instances");
    let bastions: Vec<_> = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| ec2_tag(i.tags(), "Name").is_some_and(|n| n.contains("bastion")))
        .filter(|i| {
            i.state()
                .and_then(|s| s.name())
                .is_some_and(|s| s.as_str() != "terminated")
        })
        .collect();
    if !want.bastion {
        assert!(
            bastions.is_empty(),
            "no bastion when disabled: {bastions:#?}"
        );
        assert!(
            state["bastion_public_ip"].is_null(),
            "no bastion IP: {}",
            state["bastion_public_ip"]
        );
        return;
    }
    assert_eq!(bastions.len(), 1, "one bastion: {bastions:#?}");
    let bastion = bastions[0];
    assert_eq!(
        Some(bastion.instance_id().unwrap_or_default()),
        resource_id(state, "bastion_instance")
    );
    let public = string_set(state, "public_subnet_ids");
    assert!(
        public.contains(bastion.subnet_id().unwrap_or_default()),
        "bastion in a public subnet"
    );
    let ip = bastion
        .public_ip_address()
        .expect("bastion has a public IP");
    assert_eq!(
        state["bastion_public_ip"].as_str(),
        Some(ip),
        "state bastion_public_ip"
    );
    assert_eq!(
        bastion.metadata_options().and_then(|m| m.http_tokens()),
        Some(&HttpTokensState::Required),
        "bastion requires IMDSv2"
    );
    assert_eq!(
        instance_group_ids(bastion),
        BTreeSet::from([groups["bastion"].as_str()]),
        "bastion has only the bastion group"
    );
    let volumes: Vec<String> = bastion
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
        .collect();
    assert!(!volumes.is_empty(), "the bastion has a root volume");
    let described = aws
        .ec2
        .describe_volumes()
        .set_volume_ids(Some(volumes))
        .send()
        .await
        .expect("describe volumes");
    for volume in described.volumes() {
        assert_eq!(
            volume.encrypted(),
            Some(true),
            "bastion volume {:?} is encrypted",
            volume.volume_id()
        );
    }
}

/// EFS: encrypted, the asked modes, a mount target in every private subnet with the efs group.
async fn check_efs(
    aws: &AwsInspector,
    state: &Value,
    want: &Expected,
    groups: &BTreeMap<String, String>,
) {
    let efs_id = state_str(state, "/efs_id");
    let systems = aws
        .efs
        .describe_file_systems()
        .file_system_id(efs_id)
        .send()
        .await
        .expect("describe file system");
    let fs = systems
        .file_systems()
        .first()
        .expect("the file system exists");
    assert_eq!(fs.encrypted(), Some(true), "EFS is encrypted");
    assert_eq!(
        fs.throughput_mode().map(|m| m.as_str()),
        Some(want.throughput_mode)
    );
    assert_eq!(fs.performance_mode().as_str(), want.performance_mode);

    let targets = aws
        .efs
        .describe_mount_targets()
        .file_system_id(efs_id)
        .send()
        .await
        .expect("describe mount targets");
    let subnets: BTreeSet<String> = targets
        .mount_targets()
        .iter()
        .map(|t| t.subnet_id().to_string())
        .collect();
    assert_eq!(
        subnets,
        string_set(state, "private_subnet_ids"),
        "a mount target per private subnet"
    );
    for target in targets.mount_targets() {
        let sgs = aws
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(target.mount_target_id())
            .send()
            .await
            .expect("mount target groups");
        assert_eq!(
            sgs.security_groups(),
            [groups["efs"].clone()],
            "mount target {} uses the efs group",
            target.mount_target_id()
        );
    }
}

/// RDS: over the private subnets, the db group only, encrypted, private, Multi-AZ and backups as
/// asked, storage autoscaling ceiling, endpoint reported.
async fn check_database(
    aws: &AwsInspector,
    state: &Value,
    want: &Expected,
    groups: &BTreeMap<String, String>,
) {
    let id = resource_id(state, "db_instance").expect("resources.db_instance");
    let db = aws.db_instance(id).await;
    assert_eq!(db.engine(), Some("mysql"));
    let subnets: BTreeSet<String> = db
        .db_subnet_group()
        .map(|g| {
            g.subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        subnets,
        string_set(state, "private_subnet_ids"),
        "DB subnet group = private subnets"
    );
    let sgs: Vec<&str> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    assert_eq!(
        sgs,
        vec![groups["db"].as_str()],
        "the DB has only the db group"
    );
    assert_eq!(db.storage_encrypted(), Some(true), "storage encrypted");
    assert_eq!(
        db.publicly_accessible(),
        Some(false),
        "not publicly accessible"
    );
    assert_eq!(db.multi_az(), Some(want.multi_az), "Multi-AZ as asked");
    assert_eq!(
        db.backup_retention_period(),
        Some(want.backup_days),
        "backups as asked"
    );
    assert_eq!(
        db.max_allocated_storage(),
        Some(want.max_storage),
        "storage autoscaling ceiling"
    );
    let address = db
        .endpoint()
        .and_then(|e| e.address())
        .expect("endpoint address");
    assert_eq!(
        state["db_address"].as_str(),
        Some(address),
        "state db_address"
    );
    assert!(
        state_str(state, "/db_endpoint").starts_with(address),
        "state db_endpoint"
    );
}

/// ALB in the public subnets with the alb group; target group HTTP:80 in the VPC with the
/// configured health check path; an HTTP:80 listener forwarding to it. Returns the target
/// group's ARN.
async fn check_load_balancer(
    aws: &AwsInspector,
    state: &Value,
    groups: &BTreeMap<String, String>,
) -> String {
    let lb_arn = resource_id(state, "load_balancer").expect("resources.load_balancer");
    let tg_arn = resource_id(state, "target_group")
        .expect("resources.target_group")
        .to_string();
    let lbs = aws
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(lb_arn)
        .send()
        .await
        .expect("describe load balancer");
    let lb = lbs.load_balancers().first().expect("the ALB exists");
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    assert_eq!(lb.r#type().map(|t| t.as_str()), Some("application"));
    let subnets: BTreeSet<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id().map(str::to_string))
        .collect();
    assert_eq!(
        subnets,
        string_set(state, "public_subnet_ids"),
        "ALB in the public subnets"
    );
    assert_eq!(
        lb.security_groups(),
        [groups["alb"].clone()],
        "ALB has only the alb group"
    );
    assert_eq!(
        state["alb_dns_name"].as_str(),
        lb.dns_name(),
        "state alb_dns_name"
    );
    assert_eq!(
        state["alb_zone_id"].as_str(),
        lb.canonical_hosted_zone_id(),
        "state alb_zone_id"
    );

    let tgs = aws
        .elbv2
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .expect("describe target group");
    let tg = tgs
        .target_groups()
        .first()
        .expect("the target group exists");
    assert_eq!(tg.port(), Some(80));
    assert_eq!(tg.protocol().map(|p| p.as_str()), Some("HTTP"));
    assert_eq!(tg.vpc_id(), state["vpc_id"].as_str());
    let path = state_str(state, "/load_balancer/health_check_path");
    assert_eq!(tg.health_check_path(), Some(path), "health check path");
    assert_ne!(
        path, "/",
        "the health check does not hit WordPress's installer"
    );

    let listeners = aws
        .elbv2
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .send()
        .await
        .expect("describe listeners");
    let http: Vec<_> = listeners
        .listeners()
        .iter()
        .filter(|l| l.port() == Some(80))
        .collect();
    assert_eq!(http.len(), 1, "one HTTP listener: {listeners:#?}");
    assert_eq!(http[0].protocol().map(|p| p.as_str()), Some("HTTP"));
    let action = http[0].default_actions().first().expect("a default action");
    assert_eq!(action.r#type().map(|t| t.as_str()), Some("forward"));
    let forwards_to_tg = action.target_group_arn() == Some(tg_arn.as_str())
        || action.forward_config().is_some_and(|f| {
            f.target_groups()
                .iter()
                .any(|t| t.target_group_arn() == Some(tg_arn.as_str()))
        });
    assert!(
        forwards_to_tg,
        "the listener forwards to the target group: {action:#?}"
    );
    tg_arn
}

/// Launch template: AMI, type, the app group, no public IP, IMDSv2 with hop limit 1, encrypted
/// volumes, and user data naming the EFS id and the DB host.
async fn check_launch_template(
    aws: &AwsInspector,
    state: &Value,
    want: &Expected,
    groups: &BTreeMap<String, String>,
) {
    let lt_id = state_str(state, "/launch_template_id");
    let out = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(lt_id)
        .versions("$Latest")
        .send()
        .await
        .expect("describe launch template versions");
    let version = out.launch_template_versions().first().expect("a version");
    assert_eq!(
        version.version_number().map(|v| v.to_string()),
        state["launch_template_version"]
            .as_i64()
            .map(|v| v.to_string())
            .or_else(|| state["launch_template_version"]
                .as_str()
                .map(str::to_string)),
        "state launch_template_version is the latest"
    );
    let data = version.launch_template_data().expect("template data");
    assert_eq!(
        data.image_id(),
        state["wordpress"]["ami_id"].as_str(),
        "AMI as resolved in the state"
    );
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.small"));

    let mut sgs: Vec<String> = data.security_group_ids().to_vec();
    for nic in data.network_interfaces() {
        assert_ne!(
            nic.associate_public_ip_address(),
            Some(true),
            "no public IP on instances"
        );
        sgs.extend(nic.groups().iter().cloned());
    }
    assert_eq!(
        sgs,
        vec![groups["app"].clone()],
        "instances get only the app group"
    );

    let metadata = data.metadata_options().expect("metadata options");
    assert_eq!(
        metadata.http_tokens(),
        Some(&LaunchTemplateHttpTokensState::Required),
        "IMDSv2 required"
    );
    assert_eq!(
        metadata.http_put_response_hop_limit(),
        Some(1),
        "hop limit 1: containers never reach IMDS"
    );
    let ebs: Vec<_> = data
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs())
        .collect();
    assert!(!ebs.is_empty(), "the template sets its volumes");
    assert!(
        ebs.iter().all(|e| e.encrypted() == Some(true)),
        "volumes encrypted: {ebs:#?}"
    );

    let encoded = data.user_data().expect("user data");
    let text = stack_core::userdata::document_text(encoded).expect("user data is a document");
    assert!(text.starts_with("#cloud-config"), "a cloud-init document");
    assert!(
        text.contains(state_str(state, "/efs_id")),
        "user data names the EFS id"
    );
    // The database's host reaches the instances through the secret (the template exists
    // before the database does); the version the user data names has it.
    let version = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("readonly SECRET_VERSION="))
        .map(|quoted| quoted.trim_matches('\''))
        .expect("user data names the secret's version");
    let secret = aws
        .secretsmanager
        .get_secret_value()
        .secret_id(state_str(state, "/resources/app_secret"))
        .version_id(version)
        .send()
        .await
        .expect("the version the user data names exists");
    let fields: Value =
        serde_json::from_str(secret.secret_string().unwrap_or_default()).expect("JSON");
    assert_eq!(
        fields["db_host"].as_str(),
        Some(state_str(state, "/db_endpoint")),
        "the secret version the instances read names the DB host"
    );
    assert!(
        !text.contains(state_str(state, "/db_address")),
        "no host in the user data"
    );
    assert!(
        text.contains(want.image),
        "user data runs the configured image"
    );
    assert!(
        text.contains(state_str(state, "/resources/app_secret")),
        "user data names the secret the instances read the DB password from"
    );
}

async fn auto_scaling_group(aws: &AwsInspector, name: &str) -> AutoScalingGroup {
    let out = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("describe ASG");
    out.auto_scaling_groups()
        .first()
        .cloned()
        .expect("the ASG exists")
}

/// ASG over the private subnets with the template, in the target group, ELB health checks with
/// the grace period, sizes as asked, and a target-tracking CPU policy.
async fn check_auto_scaling(
    aws: &AwsInspector,
    state: &Value,
    want: &Expected,
    target_group: &str,
) {
    let name = state_str(state, "/asg_name");
    let asg = auto_scaling_group(aws, name).await;
    let subnets: BTreeSet<String> = asg
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        subnets,
        string_set(state, "private_subnet_ids"),
        "ASG over the private subnets"
    );
    let template = asg
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .or_else(|| {
            asg.mixed_instances_policy()
                .and_then(|p| p.launch_template())
                .and_then(|t| t.launch_template_specification())
                .and_then(|s| s.launch_template_id())
        });
    assert_eq!(
        template,
        state["launch_template_id"].as_str(),
        "ASG uses the template"
    );
    assert_eq!(
        asg.target_group_arns(),
        [target_group.to_string()],
        "ASG registers in the target group"
    );
    assert_eq!(asg.health_check_type(), Some("ELB"));
    assert_eq!(asg.health_check_grace_period(), Some(want.grace_period));
    assert_eq!(asg.min_size(), Some(want.min_size));
    assert_eq!(asg.max_size(), Some(want.max_size));

    let policies = aws
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(name)
        .send()
        .await
        .expect("describe policies");
    let tracking: Vec<_> = policies
        .scaling_policies()
        .iter()
        .filter(|p| p.policy_type() == Some("TargetTrackingScaling"))
        .collect();
    assert_eq!(
        tracking.len(),
        1,
        "one target-tracking policy: {policies:#?}"
    );
    let config = tracking[0]
        .target_tracking_configuration()
        .expect("tracking config");
    let metric = config
        .predefined_metric_specification()
        .and_then(|m| m.predefined_metric_type())
        .map(|t| t.as_str());
    assert_eq!(metric, Some("ASGAverageCPUUtilization"));
    assert_eq!(config.target_value(), Some(want.cpu_target));
}

/// With `dns`: an alias A record to the ALB and `url = http://record_name`; else the ALB's name.
async fn check_dns_and_url(aws: &AwsInspector, state: &Value, want: &Expected) {
    let alb = state_str(state, "/alb_dns_name");
    let Some(record) = want.dns else {
        assert_eq!(
            state["url"].as_str(),
            Some(format!("http://{alb}").as_str()),
            "url is the ALB's"
        );
        return;
    };
    assert_eq!(
        state["url"].as_str(),
        Some(format!("http://{record}").as_str()),
        "url is the record's"
    );
    let zone = state_str(state, "/dns/zone_id");
    let out = aws
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .expect("list records");
    let alias = out
        .resource_record_sets()
        .iter()
        .find(|r| r.name() == format!("{record}.") && r.r#type().as_str() == "A")
        .unwrap_or_else(|| panic!("an A record for {record}: {out:#?}"));
    let target = alias.alias_target().expect("an alias record");
    let target_name = target.dns_name().trim_end_matches('.').to_ascii_lowercase();
    assert!(
        target_name.ends_with(&alb.to_ascii_lowercase()),
        "the alias points at the ALB: {target_name} vs {alb}"
    );
    assert_eq!(
        Some(target.hosted_zone_id()),
        state["alb_zone_id"].as_str(),
        "alias zone = ALB zone"
    );
}

/// Every tagged object carries the user's and the provider's default tags; EC2 objects are
/// named `<stack>-…`.
async fn check_tags(aws: &AwsInspector, want: &Expected) {
    let tagged = aws
        .tagged_objects(want.stack)
        .await
        .expect("tagged objects");
    let kinds: BTreeSet<&str> = tagged.iter().map(|o| o.kind).collect();
    for kind in [
        "vpc",
        "subnet",
        "internet-gateway",
        "nat-gateway",
        "route-table",
        "security-group",
        "elastic-ip",
        "launch-template",
        "file-system",
        "db-instance",
        "db-subnet-group",
        "load-balancer",
        "target-group",
        "auto-scaling-group",
        "web-acl",
        "log-group",
    ] {
        assert!(
            kinds.contains(kind),
            "a {kind} is tagged for the stack: {kinds:?}"
        );
    }
    let vpcs = aws.vpcs(want.stack).await.expect("vpcs");
    let tags = vpcs[0].tags();
    assert_eq!(ec2_tag(tags, "env"), Some("test"), "the stack's tags");
    assert_eq!(
        ec2_tag(tags, "team"),
        Some("web"),
        "the provider's default_tags"
    );
    assert_eq!(
        ec2_tag(tags, "Name"),
        Some(format!("{}-vpc", want.stack).as_str())
    );
    let asg = auto_scaling_group(aws, &format!("{}-asg", want.stack)).await;
    let asg_tags: BTreeMap<&str, &str> = asg
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    assert_eq!(
        asg_tags.get("env"),
        Some(&"test"),
        "ASG carries the stack's tags"
    );
    assert_eq!(
        asg_tags.get("team"),
        Some(&"web"),
        "ASG carries default_tags"
    );
}
