//! The preflight: what a plan would add is checked against the account before anything is
//! built, through the real Terraform CLI with the fault proxy playing AWS as
//! configs/aws-realistic.json describes (quotas with `vpc-max-elastic-ips`, MySQL's orderable
//! options, which moto lacks). Each failing check fails the *plan*, on the attribute that
//! caused it, naming the limit, what is in use and the fix, and creates nothing; a fitting
//! configuration plans cleanly; Route 53 records the stack did not create are never
//! overwritten unless `allow_overwrite` says so, and a no-op plan of an applied stack asks
//! AWS none of the preflight's questions.

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use stack_tests::harness::terraform::{TerraformDir, TfOutput};
use stack_tests::inspect::AwsInspector;
use stack_tests::{workspace_root, FaultConfig, FaultProxy, Moto};

const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.0167";

/// Calls only the preflight makes (the refresh before a plan makes none of them).
const PREFLIGHT_ONLY: [(&str, &str); 6] = [
    ("ec2", "DescribeAccountAttributes"),
    ("ec2", "DescribeInstanceTypeOfferings"),
    ("ec2", "DescribeKeyPairs"),
    ("rds", "DescribeOrderableDBInstanceOptions"),
    ("route53", "GetHostedZone"),
    ("acm", "DescribeCertificate"),
];

struct World {
    tf: TerraformDir,
    proxy: FaultProxy,
    direct: AwsInspector,
    moto: Moto,
}

impl World {
    async fn start(test: &str) -> World {
        let realistic = workspace_root().join("tests/proxy/configs/aws-realistic.json");
        let faults = FaultConfig::from_file(&realistic).expect("aws-realistic.json");
        assert!(
            faults.quotas.is_some() && faults.orderable_db.is_some(),
            "the presets these tests rely on are on"
        );
        let moto = Moto::start_async().await.expect("moto starts");
        let direct = AwsInspector::for_moto(&moto).await;
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let mut tf = TerraformDir::with_endpoint(test, &moto, &proxy.endpoint()).expect("work dir");
        tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
        World {
            tf,
            proxy,
            direct,
            moto,
        }
    }

    /// A stack in `zones` with `nat` NAT mode; `extra` adds attributes to the blocks given.
    fn write(&self, zones: &[&str], nat: &str, extra: &str) {
        let zones = zones
            .iter()
            .map(|z| format!("\"{z}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let hcl = format!(
            r#"
resource "wordpress_ha_stack" "site" {{
  name = "pre"
  network {{
    vpc_cidr           = "10.80.0.0/16"
    availability_zones = [{zones}]
    nat_gateways       = "{nat}"
  }}
  autoscaling {{
    min_size = 1
    max_size = 2
  }}
  timeouts {{
    create = "3m"
    update = "3m"
    delete = "3m"
  }}
  {extra}
}}
"#
        );
        self.tf.write_stack(&hcl).expect("write main.tf");
    }

    /// Calls of the run so far that create, allocate or run something.
    fn creating_calls(&self) -> Vec<String> {
        let stats = self.proxy.stats();
        stats
            .calls
            .iter()
            .flat_map(|(service, ops)| ops.keys().map(move |op| format!("{service} {op}")))
            .filter(|call| {
                let op = call.split_once(' ').map(|(_, op)| op).unwrap_or("");
                ["Create", "Allocate", "Run", "Put", "Change", "Import"]
                    .iter()
                    .any(|verb| op.starts_with(verb))
            })
            .collect()
    }

    fn preflight_calls(&self) -> u64 {
        let stats = self.proxy.stats();
        PREFLIGHT_ONLY
            .iter()
            .map(|(service, op)| stats.calls_to(service, op))
            .sum()
    }

    #[track_caller]
    fn refused_on(&self, attribute: &str, mentions: &[&str]) -> TfOutput {
        let refused = self.tf.plan().assert_failure();
        assert!(
            refused.points_at_attribute(attribute),
            "the diagnostic points at {attribute}\n{refused}"
        );
        for text in mentions {
            assert_mentions(&refused, text);
        }
        assert_eq!(
            self.creating_calls(),
            Vec::<String>::new(),
            "nothing was created"
        );
        refused
    }
}

/// Terraform wraps diagnostics at 78 columns: compare with every run of white space as one.
#[track_caller]
fn assert_mentions(out: &TfOutput, expected: &str) {
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&out.combined()).contains(&flat(expected)),
        "the output mentions {expected:?}\n{out}"
    );
}

#[tokio::test]
async fn nat_gateways_without_room_for_their_addresses_fail_the_plan_and_one_nat_fits() {
    let world = World::start("preflight_eips").await;
    for _ in 0..3 {
        world
            .direct
            .ec2
            .allocate_address()
            .send()
            .await
            .expect("allocate an address");
    }
    world.write(
        &["us-east-1a", "us-east-1b", "us-east-1c"],
        "one_per_az",
        "",
    );
    world.refused_on(
        "nat_gateways",
        &[
            "3 Elastic IP(s) needed for NAT gateways, 2 free",
            "The region allows 5 Elastic IPs (vpc-max-elastic-ips) and 3 are allocated",
            "Set network.nat_gateways = \"single\"",
        ],
    );
    world.write(&["us-east-1a", "us-east-1b", "us-east-1c"], "single", "");
    world.tf.plan().assert_code(2);
    assert_eq!(world.creating_calls(), Vec::<String>::new());
}

#[tokio::test]
async fn a_region_at_the_default_vpc_quota_is_warned_on_the_vpc() {
    let world = World::start("preflight_vpcs").await;
    // moto's default VPC is the first of the five, as on AWS.
    for i in 0..4 {
        world
            .direct
            .ec2
            .create_vpc()
            .cidr_block(format!("10.{}.0.0/16", 100 + i))
            .send()
            .await
            .expect("create a VPC");
    }
    world.write(&["us-east-1a", "us-east-1b"], "single", "");
    let before = world.proxy.stats().calls_to("ec2", "CreateVpc");
    // The account may have a raised quota (no EC2 API tells): the plan goes on, warned.
    let warned = world.tf.plan().assert_code(2);
    assert!(warned.points_at_attribute("vpc_cidr"), "{warned}");
    assert_mentions(
        &warned,
        "AWS's default quota is 5 VPCs per region and 5 exist",
    );
    assert_mentions(&warned, "unless this account's quota was raised");
    assert_mentions(&warned, "VpcLimitExceeded");
    assert_eq!(world.proxy.stats().calls_to("ec2", "CreateVpc"), before);
}

#[tokio::test]
async fn types_not_offered_classes_not_orderable_and_missing_key_pairs_fail_the_plan() {
    let world = World::start("preflight_offerings").await;
    // us-east-1e offers no t3 at all (EC2's own offerings, as moto reproduces them).
    world.write(
        &["us-east-1a", "us-east-1e"],
        "single",
        r#"wordpress {
    instance_type = "t3.small"
  }"#,
    );
    world.refused_on(
        "instance_type",
        &["instance type t3.small is not offered in us-east-1e"],
    );
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        r#"database {
    instance_class = "db.x2g.16xlarge"
  }"#,
    );
    world.refused_on(
        "instance_class",
        &["RDS offers no MySQL", "on db.x2g.16xlarge in this region"],
    );
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        r#"wordpress {
    key_name = "nobody-made-this"
  }"#,
    );
    world.refused_on(
        "key_name",
        &["EC2 key pair \"nobody-made-this\" does not exist in this region"],
    );
    // The fitting configuration: offered types, an orderable class, no key.
    world.write(&["us-east-1a", "us-east-1b"], "single", "");
    world.tf.plan().assert_code(2);
    let stats = world.proxy.stats();
    assert!(stats.calls_to("ec2", "DescribeInstanceTypeOfferings") > 0);
    assert!(stats.calls_to("rds", "DescribeOrderableDBInstanceOptions") > 0);
}

#[tokio::test]
async fn missing_zones_records_outside_them_and_certificates_missing_or_not_covering_fail_the_plan()
{
    let world = World::start("preflight_dns").await;
    let zone = world
        .direct
        .create_hosted_zone("example.com")
        .await
        .expect("zone");
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        r#"dns {
    zone_id     = "Z0000000000000000000"
    record_name = "blog.example.com"
  }"#,
    );
    world.refused_on(
        "zone_id",
        &["Route 53 hosted zone Z0000000000000000000 does not exist"],
    );
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        &format!(
            r#"dns {{
    zone_id     = "{zone}"
    record_name = "blog.example.org"
  }}"#
        ),
    );
    world.refused_on(
        "record_name",
        &["blog.example.org is not inside the hosted zone example.com"],
    );
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        &format!(
            r#"dns {{
    zone_id     = "{zone}"
    record_name = "blog.example.com"
  }}
  load_balancer {{
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }}"#
        ),
    );
    world.refused_on(
        "certificate_arn",
        &["ACM certificate arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000 does not exist in this region"],
    );
    let acm = acm_client(&world.moto).await;
    let requested = acm
        .request_certificate()
        .domain_name("www.example.org")
        .send()
        .await
        .expect("request a certificate");
    let arn = requested.certificate_arn().expect("an ARN").to_string();
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        &format!(
            r#"dns {{
    zone_id     = "{zone}"
    record_name = "blog.example.com"
  }}
  load_balancer {{
    certificate_arn = "{arn}"
  }}"#
        ),
    );
    world.refused_on(
        "certificate_arn",
        &[
            "does not cover blog.example.com",
            "It names www.example.org",
        ],
    );
    // The fitting configuration: an issued certificate for the record's name.
    let fitting = acm
        .request_certificate()
        .domain_name("blog.example.com")
        .send()
        .await
        .expect("request a certificate");
    let arn = fitting.certificate_arn().expect("an ARN");
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        &format!(
            r#"dns {{
    zone_id     = "{zone}"
    record_name = "blog.example.com"
  }}
  load_balancer {{
    certificate_arn = "{arn}"
  }}"#
        ),
    );
    world.tf.plan().assert_code(2);
}

async fn acm_client(moto: &Moto) -> aws_sdk_acm::Client {
    let credentials =
        aws_sdk_acm::config::Credentials::new("testing", "testing", None, None, "e2e-tests");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(moto.endpoint())
        .credentials_provider(credentials)
        .load()
        .await;
    aws_sdk_acm::Client::new(&config)
}

/// Someone else's plain A record at `name`.
async fn foreign_record(direct: &AwsInspector, zone: &str, name: &str) {
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .ttl(300)
        .resource_records(
            ResourceRecord::builder()
                .value("192.0.2.10")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let batch = ChangeBatch::builder()
        .changes(
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(set)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    direct
        .route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .expect("create the foreign record");
}

#[tokio::test]
async fn a_record_the_stack_did_not_create_is_refused_until_allow_overwrite_and_a_no_op_plan_asks_nothing(
) {
    let world = World::start("preflight_record").await;
    let zone = world
        .direct
        .create_hosted_zone("example.com")
        .await
        .expect("zone");
    foreign_record(&world.direct, &zone, "blog.example.com").await;
    world
        .direct
        .ec2
        .create_key_pair()
        .key_name("ops")
        .send()
        .await
        .expect("a key pair");
    let stack = |allow: bool| {
        format!(
            r#"wordpress {{
    key_name = "ops"
  }}
  bastion {{
    enabled = false
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  dns {{
    zone_id         = "{zone}"
    record_name     = "blog.example.com"
    allow_overwrite = {allow}
  }}"#
        )
    };
    world.write(&["us-east-1a", "us-east-1b"], "single", &stack(false));
    world.refused_on(
        "record_name",
        &[
            "Route 53 record blog.example.com already exists and this stack did not create it",
            "already has",
            "dns.allow_overwrite = true",
        ],
    );

    world.write(&["us-east-1a", "us-east-1b"], "single", &stack(true));
    world.tf.apply().assert_success();
    let state = world.tf.resource_values("wordpress_ha_stack.site");
    let alb = state["alb_dns_name"].as_str().expect("the ALB's name");
    let aliases = world.direct.alias_records(&zone).await.expect("records");
    let target = aliases
        .get("blog.example.com.")
        .or_else(|| aliases.get("blog.example.com"))
        .expect("the record is now the stack's alias");
    assert!(
        target
            .trim_end_matches('.')
            .ends_with(alb.trim_end_matches('.')),
        "{target} points at {alb}"
    );

    let asked = world.preflight_calls();
    assert!(asked > 0, "the create's plans ran the preflight");
    world.tf.plan().assert_code(0);
    assert_eq!(
        world.preflight_calls(),
        asked,
        "a no-op plan of the applied stack asks none of the preflight's questions"
    );

    world.tf.destroy().assert_success();
    let left = world.direct.record_sets(&zone).await.expect("records");
    assert!(
        !left
            .iter()
            .any(|(name, kind)| name.starts_with("blog.") && kind == "A"),
        "the record the stack owned went with it: {left:?}"
    );
}

#[tokio::test]
async fn a_record_made_between_plan_and_apply_is_refused_at_apply_and_left_by_destroy() {
    let world = World::start("preflight_record_race").await;
    let zone = world
        .direct
        .create_hosted_zone("example.com")
        .await
        .expect("zone");
    world.write(
        &["us-east-1a", "us-east-1b"],
        "single",
        &format!(
            r#"bastion {{
    enabled = false
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  dns {{
    zone_id     = "{zone}"
    record_name = "blog.example.com"
  }}"#
        ),
    );
    // Terraform plans again when it applies: a record made before then is refused by that
    // plan. One made while the apply builds the load balancer meets the apply's own check.
    let mut apply = world
        .tf
        .spawn(&["apply", "-auto-approve"])
        .expect("start the apply");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while world
        .proxy
        .stats()
        .calls_to("elasticloadbalancing", "CreateLoadBalancer")
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline && !apply.finished(),
            "the apply reaches the load balancer"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    foreign_record(&world.direct, &zone, "blog.example.com").await;
    let failed = apply.wait(std::time::Duration::from_secs(600));
    assert!(!failed.success(), "the apply fails on the record\n{failed}");
    assert_mentions(
        &failed,
        "Route 53 record blog.example.com already exists and this stack did not create it",
    );
    // Terraform 1.0 plans the configuration before a destroy, and that plan refuses the record
    // as every plan does; `-refresh=false` skips it.
    world
        .tf
        .run(&["destroy", "-auto-approve", "-refresh=false"])
        .assert_success();
    let left = world.direct.record_sets(&zone).await.expect("records");
    assert!(
        left.iter()
            .any(|(name, kind)| name.starts_with("blog.example.com") && kind == "A"),
        "someone else's record outlives the stack: {left:?}"
    );
    let values = world
        .direct
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .expect("records");
    let kept = values
        .resource_record_sets()
        .iter()
        .find(|r| r.name().starts_with("blog.example.com") && r.r#type() == &RrType::A)
        .expect("the record");
    assert!(
        kept.alias_target().is_none() && kept.ttl() == Some(300),
        "and keeps its value: {kept:?}"
    );
}
