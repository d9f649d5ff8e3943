//! Plan reviews on every update path (issues 4, 7 and 18): a reviewer of a CI plan sees, in
//! `terraform show -json` of a saved plan, which AWS objects behind the one resource change and
//! how (`planned_changes`, each line labelled data-loss, downtime or cost), and nothing about
//! the objects that do not; `terraform-provider-wordpress review` prints the same lines grouped
//! by risk and its `--fail-on` gate stops exactly the plans carrying the label.
//!
//! Two stacks are applied once, side by side in one moto: `plain` (the lean stack: one NAT
//! gateway, no bastion, no certificate, no DNS) and `rich` (a NAT gateway per zone, a bastion,
//! HTTPS and a Route 53 record, provider `default_tags`), so that every path can be taken in
//! the direction it exists from. Each case then copies its base's state into a directory of
//! its own, writes the changed configuration and runs `terraform plan -out` +
//! `terraform show -json` — plans only, never applied, several at once — and compares the
//! resource's action and its whole `planned_changes` list with what the reviewer must read,
//! then runs the review of that plan with `--fail-on data-loss` and `--fail-on downtime`.

mod service_support;

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;
use stack_tests::harness::terraform::{provider_binary, TerraformDir};
use stack_tests::inspect::AwsInspector;
use stack_tests::Moto;

use service_support::acm_certificate;

const ADDRESS: &str = "wordpress_ha_stack.site";
/// Plans running at once: each is a Terraform process plus a provider refreshing from moto.
const CONCURRENT_PLANS: usize = 4;
const REFRESH: &str =
    "update ASG: instance refresh to the new launch template version (keeps 90% healthy) [downtime]";
/// The review's exit status when its `--fail-on` gate stops a plan.
const GATED: i32 = 3;

/// A stack configuration as block → attribute → HCL expression, rewritten one change at a time.
#[derive(Debug, Clone)]
struct Config {
    name: String,
    blocks: BTreeMap<&'static str, BTreeMap<&'static str, String>>,
    /// `(zone_id, record_name)` of the `dns` block, if any.
    dns: Option<(String, String)>,
    tags: String,
    default_tags: Option<String>,
}

impl Config {
    fn new(name: &str) -> Config {
        let mut config = Config {
            name: name.to_string(),
            blocks: BTreeMap::new(),
            dns: None,
            tags: r#"{ env = "test" }"#.to_string(),
            default_tags: None,
        };
        for block in [
            "network",
            "bastion",
            "wordpress",
            "autoscaling",
            "database",
            "storage",
            "load_balancer",
        ] {
            config.blocks.insert(block, BTreeMap::new());
        }
        config
    }

    /// The same configuration with `block.attribute = expression`.
    fn with(&self, block: &'static str, attribute: &'static str, expression: &str) -> Config {
        let mut changed = self.clone();
        changed
            .blocks
            .entry(block)
            .or_default()
            .insert(attribute, expression.to_string());
        changed
    }

    fn without(&self, block: &'static str, attribute: &'static str) -> Config {
        let mut changed = self.clone();
        if let Some(attributes) = changed.blocks.get_mut(block) {
            attributes.remove(attribute);
        }
        changed
    }

    fn main_tf(&self, tf: &TerraformDir) -> String {
        let mut provider = tf.provider_hcl();
        if let Some(defaults) = &self.default_tags {
            provider = provider.replace(
                "provider \"wordpress\" {\n",
                &format!("provider \"wordpress\" {{\n  default_tags = {defaults}\n"),
            );
        }
        let mut hcl = format!(
            "{provider}\nresource \"wordpress_ha_stack\" \"site\" {{\n  name = \"{}\"\n  tags = {}\n",
            self.name, self.tags
        );
        for (block, attributes) in &self.blocks {
            hcl += &format!("  {block} {{\n");
            for (name, value) in attributes {
                hcl += &format!("    {name} = {value}\n");
            }
            hcl += "  }\n";
        }
        if let Some((zone, record)) = &self.dns {
            hcl += &format!(
                "  dns {{\n    zone_id = \"{zone}\"\n    record_name = \"{record}\"\n  }}\n"
            );
        }
        hcl + "}\n"
    }
}

/// The lean stack of the update tests.
fn plain() -> Config {
    Config::new("plain")
        .with("network", "nat_gateways", r#""single""#)
        .with("bastion", "enabled", "false")
        .with("database", "multi_az", "false")
        .with("database", "skip_final_snapshot", "true")
}

/// The stack with everything `plain` lacks, to take each path the other way.
fn rich(certificate: &str, zone: &str) -> Config {
    let mut config = Config::new("rich")
        .with("network", "nat_gateways", r#""one_per_az""#)
        .with("bastion", "enabled", "true")
        .with("bastion", "allowed_ssh_cidrs", r#"["203.0.113.0/24"]"#)
        .with("database", "multi_az", "false")
        .with("database", "skip_final_snapshot", "true")
        .with(
            "load_balancer",
            "certificate_arn",
            &format!("\"{certificate}\""),
        );
    config.dns = Some((zone.to_string(), "www.example.com".to_string()));
    config.default_tags = Some(r#"{ team = "web" }"#.to_string());
    config
}

/// One reviewed change.
struct Case {
    name: &'static str,
    base: &'static str,
    config: Config,
    /// Terraform's actions for the resource (`["update"]`, or delete+create for a replacement).
    actions: &'static [&'static str],
    /// The whole `planned_changes` list, in order.
    expected: Vec<String>,
}

fn case(name: &'static str, base: &'static str, config: Config, expected: &[&str]) -> Case {
    Case {
        name,
        base,
        config,
        actions: &["update"],
        expected: expected.iter().map(|s| s.to_string()).collect(),
    }
}

/// The launch template line of a plan that rolls a new version for `what`.
fn image(what: &str) -> String {
    format!("update launch template: new version ({what})")
}

/// Cases starting from the plain stack; `state` is its applied state.
fn plain_cases(state: &Value, other_ami: &str, certificate: &str, zone: &str) -> Vec<Case> {
    let base = plain();
    let ami = state["wordpress"]["ami_id"].as_str().unwrap_or_default();
    let engine = state["database"]["engine_version"]
        .as_str()
        .unwrap_or_default();
    let mut with_dns = base.clone();
    with_dns.dns = Some((zone.to_string(), "blog.example.com".to_string()));
    let mut replaced = vec![case(
        "vpc-cidr",
        "plain",
        base.with("network", "vpc_cidr", r#""10.9.0.0/16""#),
        // Terraform plans the create half of a replacement from a null prior state, so the
        // reviewer reads the whole new stack, in the new range.
        &[
            "create VPC: 10.9.0.0/16",
            "create subnets: public + private subnet in each of 2 zones",
            "create internet gateway: attached, public default route",
            "create NAT gateway: one NAT gateway + EIP for all zones [cost]",
            "create security groups: alb, bastion, app, efs, db (chained)",
            "create secret: database password + WordPress keys, readable only by the instances' IAM role",
            "create EFS file system: encrypted, mount target in each of 2 zones",
            "create RDS: MySQL 8.4 db.t3.micro, encrypted, private [cost]",
            "create ALB: internet-facing, target group, HTTP listener [cost]",
            "create launch template: public.ecr.aws/docker/library/wordpress:6-apache on t3.small",
            "create ASG: 2..4 instances, CPU target 60% [cost]",
            "create WAF web ACL: AWS managed rules (WordPress, PHP, common, known bad inputs) + rate limit 2000 requests per 5 minutes per IP, associated with the ALB [cost]",
            "create CloudWatch alarms: 8 alarms (alb-target-5xx, alb-elb-5xx, unhealthy-targets, db-cpu, db-free-storage, db-connections, efs-io-limit, asg-at-max), notifying the stack's own SNS topic (no subscribers yet); about $0.80 a month [cost]",
            "create CloudWatch Logs group: /wordpress/plain (retention 30 days, CloudWatch Logs' own encryption): the WordPress container and the boot script write to it [cost]",
        ],
    )];
    replaced[0].actions = &["delete", "create"];
    let mut cases = vec![
        case(
            "asg-sizes",
            "plain",
            base.with("autoscaling", "min_size", "3")
                .with("autoscaling", "max_size", "7")
                .with("autoscaling", "desired_capacity", "4"),
            &[
                "update ASG: min 2 -> 3, max 4 -> 7, desired the group's own -> 4 [cost]",
                // The "at max capacity" alarm follows max_size.
                "update CloudWatch alarms: asg-at-max threshold 4 -> 7",
            ],
        ),
        case(
            "cpu-target",
            "plain",
            base.with("autoscaling", "target_cpu_utilization", "45"),
            &["update scaling policy: CPU target 60% -> 45%"],
        ),
        case(
            "image",
            "plain",
            base.with("wordpress", "image", r#""wordpress:6.6-php8.3-apache""#),
            &[
                &image("image public.ecr.aws/docker/library/wordpress:6-apache -> wordpress:6.6-php8.3-apache"),
                REFRESH,
            ],
        ),
        case(
            "instance-type",
            "plain",
            base.with("wordpress", "instance_type", r#""t3.medium""#),
            &[
                "update launch template: new version (instance type t3.small -> t3.medium) [cost]",
                REFRESH,
            ],
        ),
        case(
            "ami",
            "plain",
            base.with("wordpress", "ami_id", &format!("\"{other_ami}\"")),
            &[&image(&format!("AMI {ami} -> {other_ami}")), REFRESH],
        ),
        case(
            "key-name",
            "plain",
            base.with("wordpress", "key_name", r#""ops""#),
            &[&image("key pair none -> ops"), REFRESH],
        ),
        case(
            "config-extra",
            "plain",
            base.with(
                "wordpress",
                "config_extra",
                r#""define('WP_DEBUG', false);""#,
            ),
            &[&image("config_extra"), REFRESH],
        ),
        case(
            "nat-per-zone",
            "plain",
            base.with("network", "nat_gateways", r#""one_per_az""#),
            &[
                "create NAT gateway: single -> one_per_az: one + EIP in each of 1 more zone(s) [cost]",
                "update private route tables: each zone's default route to its own NAT gateway",
            ],
        ),
        case(
            "bastion-on",
            "plain",
            base.with("bastion", "enabled", "true"),
            &["create bastion instance: t3.micro in the first zone's public subnet [cost]"],
        ),
        case(
            "db-class",
            "plain",
            base.with("database", "instance_class", r#""db.t3.small""#),
            &["update RDS: modify class db.t3.micro -> db.t3.small (applied immediately) [downtime, cost]"],
        ),
        case(
            "db-storage",
            "plain",
            base.with("database", "allocated_storage", "30"),
            &["update RDS: modify storage 20 -> 30 GiB (applied immediately) [cost]"],
        ),
        case(
            "db-multi-az",
            "plain",
            base.with("database", "multi_az", "true"),
            &["update RDS: modify Multi-AZ off -> on (applied immediately) [cost]"],
        ),
        case(
            "db-backups",
            "plain",
            base.with("database", "backup_retention_days", "14"),
            &["update RDS: modify backup retention 7 -> 14 days (applied immediately)"],
        ),
        case(
            "db-engine",
            "plain",
            base.with("database", "engine_version", r#""8.0.36""#),
            &[&format!(
                "update RDS: modify engine version {engine} -> 8.0.36 with parameter group mysql8.0 (applied immediately) [downtime]"
            )],
        ),
        case(
            "db-password",
            "plain",
            base.with("database", "password", r#""Rotated-Passw0rd""#),
            &[
                "update RDS: modify master password (applied immediately)",
                "update secret: new version with the new master password",
                &image("database password"),
                REFRESH,
            ],
        ),
        case(
            "db-deletion-protection",
            "plain",
            base.with("database", "deletion_protection", "true"),
            &["update RDS: modify deletion protection off -> on (applied immediately)"],
        ),
        case(
            "efs-throughput",
            "plain",
            base.with("storage", "throughput_mode", r#""bursting""#),
            &[
                "update EFS file system: throughput mode elastic -> bursting [cost]",
                // Burst credits are watched in bursting mode, the I/O limit in the others.
                "update CloudWatch alarms: efs-burst-credits created, efs-io-limit deleted",
            ],
        ),
        case(
            "certificate-added",
            "plain",
            base.with(
                "load_balancer",
                "certificate_arn",
                &format!("\"{certificate}\""),
            ),
            &[
                "create HTTPS listener: port 443 with the certificate [downtime]",
                "update HTTP listener: redirects to HTTPS [downtime]",
                // WP_HOME and WP_SITEURL turn https.
                &image("site URL"),
                REFRESH,
            ],
        ),
        case(
            "health-check-path",
            "plain",
            base.with("load_balancer", "health_check_path", r#""/up.html""#),
            &[
                "update target group: health check path /wordpress-ha-health.php -> /up.html \
(healthy codes 200 -> 200-399) [downtime]",
                &image("health check path"),
                REFRESH,
            ],
        ),
        case(
            "idle-timeout",
            "plain",
            base.with("load_balancer", "idle_timeout", "120"),
            &["update ALB: idle timeout 60 -> 120 s"],
        ),
        case(
            "deregistration-delay",
            "plain",
            base.with("load_balancer", "deregistration_delay", "120"),
            &["update target group: deregistration delay 30 -> 120 s"],
        ),
        case(
            "dns-added",
            "plain",
            with_dns,
            &[
                &format!("create Route 53 record: alias blog.example.com in zone {zone} -> ALB [data-loss]"),
                &image("site URL"),
                REFRESH,
            ],
        ),
        case(
            "tags",
            "plain",
            Config {
                tags: r#"{ env = "prod", team = "web" }"#.to_string(),
                ..base.clone()
            },
            &[
                "update every object: tags ~env +team",
                &image("instance tags"),
            ],
        ),
    ];
    cases.append(&mut replaced);
    cases
}

/// Cases starting from the rich stack.
fn rich_cases(certificate: &str, zone: &str) -> Vec<Case> {
    let base = rich(certificate, zone);
    let mut renamed = base.clone();
    renamed.dns = Some((zone.to_string(), "shop.example.com".to_string()));
    let mut no_dns = base.clone();
    no_dns.dns = None;
    vec![
        case(
            "nat-single",
            "rich",
            base.with("network", "nat_gateways", r#""single""#),
            &[
                "update private route tables: every zone's default route to the NAT gateway in us-east-1a",
                "delete NAT gateway: one_per_az -> single: 1 NAT gateway(s) + EIP(s), after the routes moved [cost]",
            ],
        ),
        case(
            "bastion-off",
            "rich",
            base.with("bastion", "enabled", "false"),
            &["delete bastion instance: bastion disabled [cost]"],
        ),
        case(
            "bastion-cidrs",
            "rich",
            base.with("bastion", "allowed_ssh_cidrs", r#"["198.51.100.0/24"]"#),
            &["update bastion security group: SSH ingress +198.51.100.0/24 -203.0.113.0/24"],
        ),
        case(
            "bastion-type",
            "rich",
            base.with("bastion", "instance_type", r#""t3.small""#),
            &["replace bastion instance: instance type t3.micro -> t3.small: new instance first, then the old one terminated [cost]"],
        ),
        case(
            "certificate-removed",
            "rich",
            base.without("load_balancer", "certificate_arn"),
            &[
                "delete HTTPS listener: certificate removed [downtime]",
                "update HTTP listener: forwards to the target group again [downtime]",
                &image("site URL"),
                REFRESH,
            ],
        ),
        case(
            "dns-changed",
            "rich",
            renamed,
            &[
                &format!(
                    "replace Route 53 record: www.example.com in zone {zone} -> shop.example.com in zone {zone} [data-loss, downtime]"
                ),
                &image("site URL"),
                REFRESH,
            ],
        ),
        case(
            "dns-removed",
            "rich",
            no_dns,
            &[
                &format!("delete Route 53 record: www.example.com in zone {zone} [downtime]"),
                &image("site URL"),
                REFRESH,
            ],
        ),
        case(
            "default-tags",
            "rich",
            Config {
                default_tags: Some(r#"{ team = "platform" }"#.to_string()),
                ..base.clone()
            },
            &[
                // The refresh shows the old default as a key of `tags` the configuration lacks.
                "update every object: tags -team",
                "update launch template: new version (instance tags)",
            ],
        ),
    ]
}

/// The resource's actions and `planned_changes` in a saved plan, or why there are none.
fn reviewed_change(plan: &Value) -> Result<(Vec<String>, Vec<String>), String> {
    let change = plan["resource_changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["address"] == ADDRESS))
        .ok_or_else(|| format!("no change of {ADDRESS} in the plan"))?;
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok((
        strings(&change["change"]["actions"]),
        strings(&change["change"]["after"]["planned_changes"]),
    ))
}

/// Plan `case` from a copy of its base's state; `Err` describes what the reviewer would miss.
fn review(moto: &Moto, bases: &BTreeMap<&str, TerraformDir>, case: &Case) -> Result<(), String> {
    let tf =
        TerraformDir::new(&format!("review-{}", case.name), moto).map_err(|e| e.to_string())?;
    let base = &bases[case.base];
    std::fs::copy(
        base.path().join("terraform.tfstate"),
        tf.path().join("terraform.tfstate"),
    )
    .map_err(|e| format!("copy the {} state: {e}", case.base))?;
    tf.write_main(&case.config.main_tf(&tf))
        .map_err(|e| e.to_string())?;
    let plan = tf.run(&["plan", "-out=tfplan", "-detailed-exitcode"]);
    if plan.code != Some(2) {
        return Err(format!("expected a plan with changes\n{plan}"));
    }
    let shown = tf.run(&["show", "-json", "tfplan"]);
    if !shown.success() {
        return Err(format!("{shown}"));
    }
    let (actions, planned) = reviewed_change(&shown.json())?;
    if actions != case.actions || planned != case.expected {
        return Err(format!(
            "actions {actions:?}, expected {:?}\nplanned_changes {planned:#?}\nexpected {:#?}\n{plan}",
            case.actions, case.expected
        ));
    }
    let plan_json = tf.path().join("tfplan.json");
    std::fs::write(&plan_json, shown.stdout.as_bytes()).map_err(|e| e.to_string())?;
    check_review(case, &plan_json)
}

/// The review of the saved plan lists every planned change with its labels, and its gate stops
/// the plan exactly when a change carries the gated label (a replacement loses the database
/// and interrupts the site whatever its lines say).
fn check_review(case: &Case, plan_json: &std::path::Path) -> Result<(), String> {
    let run = |args: &[&str]| {
        std::process::Command::new(provider_binary())
            .arg("review")
            .arg(plan_json)
            .args(args)
            .output()
            .map_err(|e| format!("run the review: {e}"))
    };
    let text = run(&[])?;
    let printed = String::from_utf8_lossy(&text.stdout);
    if text.status.code() != Some(0) {
        return Err(format!("review failed: {text:?}"));
    }
    for line in &case.expected {
        if !printed.lines().any(|l| l.trim() == format!("- {line}")) {
            return Err(format!("the review misses {line:?}:\n{printed}"));
        }
    }
    let replaced = case.actions != ["update"];
    for label in ["data-loss", "downtime"] {
        let carried = replaced || case.expected.iter().any(|l| l.contains(label));
        let gated = run(&["--fail-on", label])?;
        let expected = if carried { GATED } else { 0 };
        if gated.status.code() != Some(expected) {
            return Err(format!(
                "--fail-on {label}: exit {:?}, expected {expected}\n{printed}",
                gated.status.code()
            ));
        }
    }
    Ok(())
}

/// Run every case, `CONCURRENT_PLANS` at a time; the failures, by case name.
fn review_all(moto: &Moto, bases: &BTreeMap<&str, TerraformDir>, cases: Vec<Case>) -> Vec<String> {
    let queue = Mutex::new(cases);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..CONCURRENT_PLANS {
            scope.spawn(|| loop {
                let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                let Some(case) = next else { break };
                if let Err(why) = review(moto, bases, &case) {
                    if let Ok(mut failures) = failures.lock() {
                        failures.push(format!("== {} ==\n{why}", case.name));
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap_or_default()
}

/// Apply `config` in a directory of its own; the directory and the resource's state.
fn apply_base(moto: &Moto, config: &Config) -> (TerraformDir, Value) {
    let tf = TerraformDir::new(&format!("review-base-{}", config.name), moto).expect("dir");
    tf.write_main(&config.main_tf(&tf)).expect("write main.tf");
    tf.apply().assert_success();
    let state = tf.resource_values(ADDRESS);
    (tf, state)
}

async fn another_image(aws: &AwsInspector, current: &str) -> String {
    let out = aws
        .ec2
        .describe_images()
        .owners("amazon")
        // The stack's t3 instances boot x86_64 only: planning refuses a pinned arm64 image.
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("architecture")
                .values("x86_64")
                .build(),
        )
        .send()
        .await
        .expect("describe images");
    out.images()
        .iter()
        .filter(|i| i.root_device_name().is_some())
        .filter_map(|i| i.image_id())
        .find(|id| *id != current)
        .expect("another image")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_path_plans_a_readable_summary_of_only_the_objects_it_changes() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    // The key pair a case names: the plan checks that it exists.
    aws.ec2
        .create_key_pair()
        .key_name("ops")
        .send()
        .await
        .expect("key pair");
    // A wildcard: the rich stack moves its record to other names of the zone.
    let certificate = acm_certificate(&moto, "*.example.com");
    let zone = aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");

    let rich_config = rich(&certificate, &zone);
    let (plain_base, rich_base) = std::thread::scope(|scope| {
        let rich = scope.spawn(|| apply_base(&moto, &rich_config));
        let plain = apply_base(&moto, &plain());
        (plain, rich.join().expect("the rich stack applies"))
    });
    let ami = plain_base.1["wordpress"]["ami_id"]
        .as_str()
        .unwrap_or_default();
    let other_ami = another_image(&aws, ami).await;

    let mut cases = plain_cases(&plain_base.1, &other_ami, &certificate, &zone);
    cases.extend(rich_cases(&certificate, &zone));
    let count = cases.len();
    let bases = BTreeMap::from([("plain", plain_base.0), ("rich", rich_base.0)]);
    let failures = review_all(&moto, &bases, cases);
    assert!(
        failures.is_empty(),
        "{} of {count} update paths plan something else:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // An unchanged configuration plans nothing, so nothing is listed for review.
    for (name, tf) in &bases {
        let plan = tf.plan();
        assert_eq!(plan.code, Some(0), "{name}: a second plan is empty\n{plan}");
    }
}
