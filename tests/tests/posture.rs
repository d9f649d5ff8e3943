//! The security posture of an applied stack, walked through the AWS APIs rather than
//! taken from the provider's word: who can reach what (security groups and where they are
//! attached), encryption at rest, TLS required by the database (its parameter group) and the
//! file system (its policy), file system backups, IMDSv2, public addresses, the TLS policy and
//! the HTTP → HTTPS redirect, what the instances' role may read (and write: only its log
//! group's streams), the WAF web ACL in front of the ALB, the log group's encryption, and a
//! description on every rule of the stack's groups.
//!
//! Two stacks: a full one (bastion with allowed CIDRs, HTTPS with a moto ACM certificate, DNS,
//! a log group under a KMS key),
//! and one without a bastion, whose instances must then take no SSH at all, also across the
//! update bastion disabled → enabled → disabled.

mod common;
mod service_support;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{
    Filter, HttpTokensState, IpPermission, LaunchTemplateHttpTokensState,
    ResponseLaunchTemplateData, SecurityGroup,
};
use aws_sdk_elasticloadbalancingv2::types::Listener;
use common::{assert_nothing_tagged, state_str, string_set};
use serde_json::Value;
use service_support::{acm_certificate, listeners, resources, template_data, ADDRESS};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::{instance_group_ids, AwsInspector};
use stack_tests::Moto;

const WORLD_V4: &str = "0.0.0.0/0";
const WORLD_V6: &str = "::/0";
const SSH_CIDRS: [&str; 2] = ["198.51.100.0/24", "203.0.113.7/32"];

/// The KMS key the full stack's log group is encrypted with (moto takes any key ARN).
const LOGS_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab";

fn full_stack_hcl(name: &str, zone_id: &str, certificate_arn: &str) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    nat_gateways = "single"
  }}
  bastion {{
    allowed_ssh_cidrs = ["{ssh0}", "{ssh1}"]
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  load_balancer {{
    certificate_arn = "{certificate_arn}"
  }}
  dns {{
    zone_id     = "{zone_id}"
    record_name = "blog.example.com"
  }}
  logs {{
    kms_key_id = "{LOGS_KEY}"
  }}
}}
"#,
        ssh0 = SSH_CIDRS[0],
        ssh1 = SSH_CIDRS[1],
    )
}

fn bastion_toggle_hcl(name: &str, bastion: &str) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    nat_gateways = "single"
  }}
  bastion {{
    {bastion}
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
}}
"#
    )
}

#[tokio::test]
async fn a_full_stack_admits_only_what_the_design_allows() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let stack = "posture";
    let zone_id = aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");
    let certificate = acm_certificate(&moto, "blog.example.com");
    let tf = TerraformDir::new("posture_full", &moto).expect("terraform dir");
    tf.write_stack(&full_stack_hcl(stack, &zone_id, &certificate))
        .expect("write stack");
    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    let groups = Groups::observe(&aws, &state).await;

    groups.assert_world_reaches_only_the_alb_and_the_bastion(&SSH_CIDRS);
    groups.assert_ingress_is_exactly(&expected_ingress(true, true, &SSH_CIDRS));
    groups.assert_every_rule_described();
    assert_groups_attached_as_designed(&aws, &state, &groups).await;
    assert_database_private_and_encrypted(&aws, &state).await;
    assert_file_system_encrypted(&aws, &state).await;
    aws.assert_tls_required_and_backups_on(&format!("{stack}-db"), state_str(&state, "/efs_id"))
        .await;
    let template = launch_template(&aws, &state).await;
    assert_template_requires_imdsv2_without_public_ip(&template);
    assert_instances_require_imdsv2(&aws, &state).await;
    assert_app_instances_private(&aws, &state).await;
    assert_https_modern_and_http_redirects(&aws, &state, &certificate).await;
    assert_role_reads_only_the_stack_secret(&aws, &state, &template).await;
    // The web ACL the state names guards the balancer, with the managed groups and rate rule.
    let resources = resources(&state);
    let guard = aws
        .web_acl_guarding(&resources["load_balancer"])
        .await
        .expect("the ALB's web ACL")
        .expect("a web ACL guards the ALB");
    assert_eq!(guard.arn, resources["waf_web_acl"]);
    guard.assert_stack_rules(2000);
    // The log group is encrypted with the configured KMS key (never left to a default the
    // operator did not ask for), keeps events for a bounded time, and is the stack's.
    let groups = aws
        .log_groups("/wordpress/posture")
        .await
        .expect("log groups");
    let [group] = groups.as_slice() else {
        panic!("one log group: {groups:?}")
    };
    assert_eq!(group.arn, resources["log_group"]);
    assert_eq!(group.kms_key_id.as_deref(), Some(LOGS_KEY), "{group:?}");
    assert_eq!(group.retention_in_days, Some(30), "{group:?}");

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, stack).await;
}

#[tokio::test]
async fn without_a_bastion_the_instances_take_no_ssh_across_updates() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let stack = "nobastion";
    let tf = TerraformDir::new("posture_no_bastion", &moto).expect("terraform dir");
    let ssh = ["192.0.2.0/24"];
    let apply = |bastion: &str| {
        tf.write_stack(&bastion_toggle_hcl(stack, bastion))
            .expect("write stack");
        tf.apply().assert_success();
        tf.plan().assert_code(0);
        tf.resource_values(ADDRESS)
    };

    let state = apply("enabled = false");
    let groups = Groups::observe(&aws, &state).await;
    groups.assert_no_ssh_into("app");
    groups.assert_ingress_is_exactly(&expected_ingress(false, false, &[]));

    let state = apply(&format!("allowed_ssh_cidrs = [\"{}\"]", ssh[0]));
    let groups = Groups::observe(&aws, &state).await;
    groups.assert_ingress_is_exactly(&expected_ingress(true, false, &ssh));
    groups.assert_every_rule_described();

    let state = apply("enabled = false");
    let groups = Groups::observe(&aws, &state).await;
    groups.assert_no_ssh_into("app");
    groups.assert_world_reaches_only_the_alb_and_the_bastion(&ssh);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, stack).await;
}

/// One ingress rule, readable: `tcp/22 from sg:bastion`, `tcp/80 from 0.0.0.0/0`.
type Rule = String;

/// The ingress every tier's group must have, exactly.
fn expected_ingress(
    bastion: bool,
    https: bool,
    ssh_cidrs: &[&str],
) -> BTreeMap<&'static str, BTreeSet<Rule>> {
    let rules = |items: Vec<String>| items.into_iter().collect::<BTreeSet<_>>();
    let mut alb = vec![
        format!("tcp/80 from {WORLD_V4}"),
        format!("tcp/80 from {WORLD_V6}"),
    ];
    if https {
        alb.extend([
            format!("tcp/443 from {WORLD_V4}"),
            format!("tcp/443 from {WORLD_V6}"),
        ]);
    }
    let mut app = vec!["tcp/80 from sg:alb".to_string()];
    if bastion {
        app.push("tcp/22 from sg:bastion".to_string());
    }
    let bastion_rules = ssh_cidrs
        .iter()
        .map(|cidr| format!("tcp/22 from {cidr}"))
        .collect();
    BTreeMap::from([
        ("alb", rules(alb)),
        ("app", rules(app)),
        ("bastion", rules(bastion_rules)),
        ("efs", rules(vec!["tcp/2049 from sg:app".to_string()])),
        ("db", rules(vec!["tcp/3306 from sg:app".to_string()])),
    ])
}

/// Every security group of the stack's VPC (the stack's five and the VPC's default), with the
/// stack's tiers named.
struct Groups {
    all: Vec<SecurityGroup>,
    tier_of: BTreeMap<String, String>,
    id_of: BTreeMap<String, String>,
}

impl Groups {
    async fn observe(aws: &AwsInspector, state: &Value) -> Groups {
        let vpc_id = state_str(state, "/vpc_id");
        let all = aws
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .send()
            .await
            .expect("describe security groups")
            .security_groups()
            .to_vec();
        let id_of: BTreeMap<String, String> = state["security_group_ids"]
            .as_object()
            .unwrap_or_else(|| panic!("security_group_ids is a map: {state:#}"))
            .iter()
            .map(|(tier, id)| (tier.clone(), id.as_str().unwrap_or_default().to_string()))
            .collect();
        let tier_of = id_of
            .iter()
            .map(|(tier, id)| (id.clone(), tier.clone()))
            .collect();
        Groups {
            all,
            tier_of,
            id_of,
        }
    }

    fn id(&self, tier: &str) -> &str {
        self.id_of
            .get(tier)
            .unwrap_or_else(|| panic!("no {tier} group in {:?}", self.id_of))
    }

    fn label(&self, group: &SecurityGroup) -> String {
        let id = group.group_id().unwrap_or_default();
        self.tier_of
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("{id} ({})", group.group_name().unwrap_or("?")))
    }

    fn ingress_of(&self, group: &SecurityGroup) -> BTreeSet<Rule> {
        group
            .ip_permissions()
            .iter()
            .flat_map(|p| self.describe(p))
            .collect()
    }

    fn describe(&self, permission: &IpPermission) -> Vec<Rule> {
        let protocol = permission.ip_protocol().unwrap_or("?");
        let ports = match (permission.from_port(), permission.to_port()) {
            (Some(from), Some(to)) if from == to => from.to_string(),
            (Some(from), Some(to)) => format!("{from}-{to}"),
            _ => "all".to_string(),
        };
        let rule = format!("{protocol}/{ports} from");
        let v4 = permission.ip_ranges().iter().map(|r| r.cidr_ip());
        let v6 = permission.ipv6_ranges().iter().map(|r| r.cidr_ipv6());
        let lists = permission
            .prefix_list_ids()
            .iter()
            .map(|l| l.prefix_list_id());
        let groups = permission.user_id_group_pairs().iter().map(|pair| {
            let id = pair.group_id().unwrap_or("?");
            Some(match self.tier_of.get(id) {
                Some(tier) => format!("sg:{tier}"),
                None => id.to_string(),
            })
        });
        let sources: Vec<Option<String>> = v4
            .chain(v6)
            .chain(lists)
            .map(|s| s.map(str::to_string))
            .chain(groups)
            .collect();
        sources
            .into_iter()
            .map(|source| format!("{rule} {}", source.as_deref().unwrap_or("?")))
            .collect()
    }

    /// Nothing in the VPC admits a CIDR source except the ALB (80/443 from the world) and the
    /// bastion (22 from exactly its allowed CIDRs); in particular 0.0.0.0/0 and ::/0 reach
    /// nothing else.
    fn assert_world_reaches_only_the_alb_and_the_bastion(&self, ssh_cidrs: &[&str]) {
        let allowed_for = |tier: &str| -> BTreeSet<Rule> {
            match tier {
                "alb" => [80, 443]
                    .iter()
                    .flat_map(|port| {
                        [WORLD_V4, WORLD_V6].map(|world| format!("tcp/{port} from {world}"))
                    })
                    .collect(),
                "bastion" => ssh_cidrs
                    .iter()
                    .map(|cidr| format!("tcp/22 from {cidr}"))
                    .collect(),
                _ => BTreeSet::new(),
            }
        };
        for group in &self.all {
            let label = self.label(group);
            let from_addresses: BTreeSet<Rule> = self
                .ingress_of(group)
                .into_iter()
                .filter(|rule| !rule.contains(" from sg-") && !rule.contains(" from sg:"))
                .collect();
            let allowed = allowed_for(&label);
            let unexpected: Vec<&Rule> = from_addresses.difference(&allowed).collect();
            assert!(
                unexpected.is_empty(),
                "the {label} group admits addresses it must not: {unexpected:?}"
            );
        }
    }

    /// Each of the stack's groups has exactly the ingress the design gives it, and any other
    /// group of the VPC (its default group) admits nothing from outside itself.
    fn assert_ingress_is_exactly(&self, expected: &BTreeMap<&str, BTreeSet<Rule>>) {
        for group in &self.all {
            let label = self.label(group);
            let observed = self.ingress_of(group);
            match expected.get(label.as_str()) {
                Some(wanted) => assert_eq!(&observed, wanted, "ingress of the {label} group"),
                None => {
                    let own = format!(" from {}", group.group_id().unwrap_or_default());
                    assert!(
                        observed.iter().all(|rule| rule.ends_with(&own)),
                        "{label} admits only itself: {observed:?}"
                    );
                }
            }
        }
        let found: BTreeSet<&str> = self.tier_of.values().map(String::as_str).collect();
        let wanted: BTreeSet<&str> = expected.keys().copied().collect();
        assert!(
            wanted
                .iter()
                .all(|tier| found.contains(tier) || *tier == "bastion"),
            "every tier has its group: {found:?}"
        );
    }

    /// Every rule of the stack's groups, ingress and egress, says what it lets in and why
    /// (checkov CKV_AWS_23); the VPC's default group is AWS's, not the stack's.
    fn assert_every_rule_described(&self) {
        let mut undescribed = Vec::new();
        for group in self
            .all
            .iter()
            .filter(|g| g.group_id().is_some_and(|id| self.tier_of.contains_key(id)))
        {
            let label = self.label(group);
            for (side, permissions) in [
                ("ingress", group.ip_permissions()),
                ("egress", group.ip_permissions_egress()),
            ] {
                for p in permissions {
                    let described = p
                        .ip_ranges()
                        .iter()
                        .map(|r| r.description())
                        .chain(p.ipv6_ranges().iter().map(|r| r.description()))
                        .chain(p.prefix_list_ids().iter().map(|l| l.description()))
                        .chain(p.user_id_group_pairs().iter().map(|g| g.description()));
                    for (n, description) in described.enumerate() {
                        if description.is_none_or(|d| d.trim().is_empty()) {
                            undescribed
                                .push(format!("{label} {side} {:?} peer {n}", self.describe(p)));
                        }
                    }
                }
            }
        }
        assert!(
            undescribed.is_empty(),
            "rules without a description: {undescribed:#?}"
        );
    }

    fn assert_no_ssh_into(&self, tier: &str) {
        let id = self.id(tier);
        let group = self
            .all
            .iter()
            .find(|g| g.group_id() == Some(id))
            .unwrap_or_else(|| panic!("the {tier} group {id} exists"));
        let ssh: Vec<&IpPermission> = group
            .ip_permissions()
            .iter()
            .filter(|p| {
                p.ip_protocol() == Some("-1")
                    || (p.from_port().unwrap_or(0) <= 22 && 22 <= p.to_port().unwrap_or(65535))
            })
            .collect();
        assert!(ssh.is_empty(), "no port-22 rule on {tier}: {ssh:#?}");
    }
}

/// The groups are where the chain assumes they are: the ALB has only `alb`, the bastion only
/// `bastion`, instances only `app`, EFS mount targets only `efs`, the database only `db`.
async fn assert_groups_attached_as_designed(aws: &AwsInspector, state: &Value, groups: &Groups) {
    let ids = resources(state);
    let lb = aws
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(&ids["load_balancer"])
        .send()
        .await
        .expect("describe load balancer");
    let lb = lb.load_balancers().first().expect("the ALB exists");
    assert_eq!(lb.security_groups(), [groups.id("alb").to_string()]);

    let bastion = instance(aws, &ids["bastion_instance"]).await;
    assert_eq!(
        instance_group_ids(&bastion),
        BTreeSet::from([groups.id("bastion")])
    );

    let db = aws.db_instance(&ids["db_instance"]).await;
    let db_groups: Vec<&str> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    assert_eq!(db_groups, [groups.id("db")]);

    let targets = aws
        .efs
        .describe_mount_targets()
        .file_system_id(state_str(state, "/efs_id"))
        .send()
        .await
        .expect("describe mount targets");
    assert!(!targets.mount_targets().is_empty(), "mount targets exist");
    for target in targets.mount_targets() {
        let out = aws
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(target.mount_target_id())
            .send()
            .await
            .expect("mount target groups");
        assert_eq!(out.security_groups(), [groups.id("efs").to_string()]);
    }

    let template = launch_template(aws, state).await;
    let mut app_groups: Vec<String> = template.security_group_ids().to_vec();
    for nic in template.network_interfaces() {
        app_groups.extend(nic.groups().iter().cloned());
    }
    assert_eq!(app_groups, [groups.id("app").to_string()]);
}

async fn assert_database_private_and_encrypted(aws: &AwsInspector, state: &Value) {
    let ids = resources(state);
    let db = aws.db_instance(&ids["db_instance"]).await;
    assert_eq!(db.publicly_accessible(), Some(false), "RDS not public");
    assert_eq!(db.storage_encrypted(), Some(true), "RDS storage encrypted");
}

async fn assert_file_system_encrypted(aws: &AwsInspector, state: &Value) {
    let out = aws
        .efs
        .describe_file_systems()
        .file_system_id(state_str(state, "/efs_id"))
        .send()
        .await
        .expect("describe file system");
    let fs = out.file_systems().first().expect("the file system exists");
    assert_eq!(fs.encrypted(), Some(true), "EFS encrypted");
}

async fn launch_template(aws: &AwsInspector, state: &Value) -> ResponseLaunchTemplateData {
    template_data(aws, state_str(state, "/launch_template_id"), "$Latest").await
}

fn assert_template_requires_imdsv2_without_public_ip(template: &ResponseLaunchTemplateData) {
    let metadata = template.metadata_options().expect("metadata options");
    assert_eq!(
        metadata.http_tokens(),
        Some(&LaunchTemplateHttpTokensState::Required),
        "IMDSv2 required on the launch template"
    );
    for nic in template.network_interfaces() {
        assert_ne!(
            nic.associate_public_ip_address(),
            Some(true),
            "the template's interfaces get no public IP"
        );
    }
}

/// IMDSv2 on every instance: the bastion's own metadata options require tokens; the app
/// instances are launched by the Auto Scaling group from the stack's template, whose options
/// require them (moto does not copy a template's metadata options onto the instances a group
/// launches, so those are checked through the template they came from).
async fn assert_instances_require_imdsv2(aws: &AwsInspector, state: &Value) {
    let bastion = instance(aws, &resources(state)["bastion_instance"]).await;
    assert_eq!(
        bastion.metadata_options().and_then(|m| m.http_tokens()),
        Some(&HttpTokensState::Required),
        "IMDSv2 required on the bastion"
    );
    let group = auto_scaling_group(aws, state).await;
    assert!(!group.instances().is_empty(), "the ASG has instances");
    let template_id = state_str(state, "/launch_template_id");
    for member in group.instances() {
        let launched_from = member
            .launch_template()
            .or(group.launch_template())
            .and_then(|t| t.launch_template_id());
        assert_eq!(
            launched_from,
            Some(template_id),
            "{:?} comes from the stack's template",
            member.instance_id()
        );
    }
}

async fn auto_scaling_group(
    aws: &AwsInspector,
    state: &Value,
) -> aws_sdk_autoscaling::types::AutoScalingGroup {
    let groups = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(state_str(state, "/asg_name"))
        .send()
        .await
        .expect("describe auto scaling group");
    groups
        .auto_scaling_groups()
        .first()
        .cloned()
        .expect("the ASG exists")
}

/// The app instances are the Auto Scaling group's: in the private subnets, without a public
/// IP; the private subnets don't give one on launch and route to no internet gateway.
async fn assert_app_instances_private(aws: &AwsInspector, state: &Value) {
    let private = string_set(state, "private_subnet_ids");
    let group = auto_scaling_group(aws, state).await;
    let zone_subnets: BTreeSet<String> = group
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    assert_eq!(zone_subnets, private, "the ASG spans the private subnets");
    assert!(!group.instances().is_empty(), "the ASG has instances");
    for member in group.instances() {
        let id = member.instance_id().unwrap_or_default();
        let ec2 = instance(aws, id).await;
        assert!(
            private.contains(ec2.subnet_id().unwrap_or_default()),
            "{id} in a private subnet"
        );
        assert_eq!(ec2.public_ip_address(), None, "{id} has no public IP");
    }
    let subnets = aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(private.iter().cloned().collect()))
        .send()
        .await
        .expect("describe subnets");
    for subnet in subnets.subnets() {
        assert_ne!(
            subnet.map_public_ip_on_launch(),
            Some(true),
            "{:?} gives no public IP on launch",
            subnet.subnet_id()
        );
    }
    let tables = aws
        .ec2
        .describe_route_tables()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .set_values(Some(private.iter().cloned().collect()))
                .build(),
        )
        .send()
        .await
        .expect("describe route tables");
    for route in tables.route_tables().iter().flat_map(|t| t.routes()) {
        assert!(
            !route.gateway_id().unwrap_or_default().starts_with("igw-"),
            "a private subnet routes to no internet gateway: {route:?}"
        );
    }
}

/// HTTPS on 443 with the certificate and a TLS 1.2+ policy; HTTP answers with a permanent
/// redirect to HTTPS.
async fn assert_https_modern_and_http_redirects(
    aws: &AwsInspector,
    state: &Value,
    certificate: &str,
) {
    let all = listeners(aws, &resources(state)["load_balancer"]).await;
    let https = listener_on(&all, 443);
    assert_eq!(https.protocol().map(|p| p.as_str()), Some("HTTPS"));
    let policy = https.ssl_policy().unwrap_or_default();
    assert!(
        is_modern_tls_policy(policy),
        "TLS 1.2+ policy on HTTPS, got {policy:?}"
    );
    let certificates: Vec<&str> = https
        .certificates()
        .iter()
        .filter_map(|c| c.certificate_arn())
        .collect();
    assert_eq!(certificates, [certificate]);

    let http = listener_on(&all, 80);
    let action = http.default_actions().first().expect("a default action");
    assert_eq!(action.r#type().map(|t| t.as_str()), Some("redirect"));
    let redirect = action.redirect_config().expect("a redirect config");
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));
    assert_eq!(redirect.status_code().map(|s| s.as_str()), Some("HTTP_301"));
}

fn listener_on(all: &[Listener], port: i32) -> &Listener {
    all.iter()
        .find(|l| l.port() == Some(port))
        .unwrap_or_else(|| panic!("a listener on {port}: {all:#?}"))
}

/// ELB policy names that refuse TLS 1.0 and 1.1: the `TLS13-…` family, `TLS-1-2-…` and the
/// forward-secrecy `FS-1-2-…` ones.
fn is_modern_tls_policy(name: &str) -> bool {
    const MODERN: [&str; 3] = [
        "ELBSecurityPolicy-TLS13-",
        "ELBSecurityPolicy-TLS-1-2-",
        "ELBSecurityPolicy-FS-1-2-",
    ];
    MODERN.iter().any(|prefix| name.starts_with(prefix))
}

/// The instances' profile holds one role whose only permission is reading the stack's secret:
/// no managed policy, every Allow statement on exactly the secret's ARN.
async fn assert_role_reads_only_the_stack_secret(
    aws: &AwsInspector,
    state: &Value,
    template: &ResponseLaunchTemplateData,
) {
    let secret_arn = resources(state)["app_secret"].clone();
    assert!(secret_arn.starts_with("arn:"), "secret ARN {secret_arn}");
    let profile = template
        .iam_instance_profile()
        .expect("the template names an instance profile");
    let profile_name = profile
        .name()
        .map(str::to_string)
        .or_else(|| {
            profile
                .arn()
                .and_then(|arn| arn.rsplit('/').next())
                .map(str::to_string)
        })
        .expect("a profile name or ARN");
    let out = aws
        .iam
        .get_instance_profile()
        .instance_profile_name(&profile_name)
        .send()
        .await
        .expect("get instance profile");
    let roles = out
        .instance_profile()
        .map(|p| p.roles())
        .unwrap_or_default();
    assert_eq!(roles.len(), 1, "one role in the profile: {roles:#?}");
    let role = roles[0].role_name();

    let attached = aws
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("list attached role policies");
    assert!(
        attached.attached_policies().is_empty(),
        "no managed policy on {role}: {:?}",
        attached.attached_policies()
    );
    let inline = aws
        .iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("list role policies");
    assert!(!inline.policy_names().is_empty(), "{role} has its policy");
    for name in inline.policy_names() {
        let policy = aws
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .expect("get role policy");
        let document = policy_document(policy.policy_document());
        for statement in statements(&document) {
            assert_eq!(statement["Effect"], "Allow", "{name}: {document}");
            let actions = string_or_list(&statement["Action"]);
            if actions.iter().any(|a| a.starts_with("logs:")) {
                // Write to the stack's log group's streams, nothing else of CloudWatch Logs.
                assert_eq!(actions, ["logs:CreateLogStream", "logs:PutLogEvents"]);
                let streams = format!("{}:*", resources(state)["log_group"]);
                assert_eq!(string_or_list(&statement["Resource"]), [streams]);
                continue;
            }
            assert_eq!(
                string_or_list(&statement["Resource"]),
                std::slice::from_ref(&secret_arn),
                "{name} grants only the stack's secret: {document}"
            );
            let actions = string_or_list(&statement["Action"]);
            assert!(
                actions.iter().all(|a| a.starts_with("secretsmanager:Get")
                    || a.starts_with("secretsmanager:Describe")),
                "{name} only reads: {actions:?}"
            );
        }
    }
}

/// IAM returns policy documents URL-encoded (moto too, depending on the version).
fn policy_document(raw: &str) -> Value {
    let text = if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        percent_decode(raw)
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("policy JSON ({e}): {text}"))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn statements(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        other => panic!("a Statement list: {other}"),
    }
}

fn string_or_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        other => panic!("a string or a list of strings: {other}"),
    }
}

async fn instance(aws: &AwsInspector, id: &str) -> aws_sdk_ec2::types::Instance {
    let out = aws
        .ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("describe instance");
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("instance {id} exists"))
}
