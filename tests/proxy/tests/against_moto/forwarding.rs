//! Forwarding, and random faults as the SDK classifies them.

use std::time::{Duration, Instant};

use aws_fault_proxy::{FaultConfig, FaultKind};
use aws_sdk_ec2::error::ProvideErrorMetadata;

use crate::common::*;

// ---- forwarding -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn forwarding_is_transparent_and_every_call_is_counted() {
    let rig = Rig::start(FaultConfig::default()).await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = create_vpc(&ec2)
        .await
        .expect("create vpc through the proxy");
    let described = ec2
        .describe_vpcs()
        .vpc_ids(&vpc)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.vpcs().len(), 1);

    let efs = aws_sdk_efs::Client::new(&sdk);
    let fs = efs
        .create_file_system()
        .creation_token("t1")
        .send()
        .await
        .expect("efs create");
    efs.describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect("efs describe");
    let route53 = aws_sdk_route53::Client::new(&sdk);
    route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("r1")
        .send()
        .await
        .expect("zone");
    route53.list_hosted_zones().send().await.expect("zones");
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    secrets
        .create_secret()
        .name("s1")
        .secret_string("x")
        .send()
        .await
        .expect("secret");
    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.describe_db_instances()
        .send()
        .await
        .expect("rds describe");
    aws_sdk_autoscaling::Client::new(&sdk)
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect("asg describe");
    aws_sdk_elasticloadbalancingv2::Client::new(&sdk)
        .describe_load_balancers()
        .send()
        .await
        .expect("elb describe");

    let stats = rig.stats();
    let expected = [
        ("ec2", "CreateVpc", 1),
        ("ec2", "DescribeVpcs", 1),
        ("elasticfilesystem", "CreateFileSystem", 1),
        ("elasticfilesystem", "DescribeFileSystems", 1),
        ("route53", "CreateHostedZone", 1),
        ("route53", "ListHostedZones", 1),
        ("secretsmanager", "CreateSecret", 1),
        ("rds", "DescribeDBInstances", 1),
        ("autoscaling", "DescribeAutoScalingGroups", 1),
        ("elasticloadbalancing", "DescribeLoadBalancers", 1),
    ];
    for (service, operation, calls) in expected {
        assert_eq!(
            stats.calls_to(service, operation),
            calls,
            "{service} {operation} in {:?}",
            stats.calls
        );
    }
    assert_eq!(stats.total_calls(), 10);
    assert!(
        stats.faults.is_empty(),
        "no faults configured: {:?}",
        stats.faults
    );
}

// ---- random faults ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn throttling_in_every_protocol_is_retried_and_then_succeeds() {
    // Every call is throttled twice, then let through: a 3-attempt standard retry must win.
    let rig = Rig::start(config(
        r#"{"seed": 1, "faults": {"throttle": 1.0, "max_consecutive": 2}}"#,
    ))
    .await;
    let sdk = rig.sdk(3).await;
    create_vpc(&aws_sdk_ec2::Client::new(&sdk))
        .await
        .expect("ec2 (RequestLimitExceeded) retried");
    aws_sdk_rds::Client::new(&sdk)
        .describe_db_instances()
        .send()
        .await
        .expect("rds (Throttling) retried");
    aws_sdk_efs::Client::new(&sdk)
        .describe_file_systems()
        .send()
        .await
        .expect("efs (ThrottlingException) retried");
    aws_sdk_route53::Client::new(&sdk)
        .list_hosted_zones()
        .send()
        .await
        .expect("route53 (Throttling) retried");
    aws_sdk_secretsmanager::Client::new(&sdk)
        .list_secrets()
        .send()
        .await
        .expect("secretsmanager retried");
    aws_sdk_elasticloadbalancingv2::Client::new(&sdk)
        .describe_load_balancers()
        .send()
        .await
        .expect("elbv2 retried");
    let stats = rig.stats();
    assert_eq!(
        stats.faults_of(FaultKind::Throttle),
        12,
        "two per call: {:?}",
        stats.fault_log
    );
    assert_eq!(stats.calls_to("ec2", "CreateVpc"), 3);
    assert_eq!(
        stats.calls_to("elasticfilesystem", "DescribeFileSystems"),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_without_retries_reaches_the_caller_as_a_throttling_error() {
    let rig = Rig::start(config(r#"{"faults": {"throttle": 1.0}}"#)).await;
    let sdk = rig.sdk(1).await;
    let ec2_error = create_vpc(&aws_sdk_ec2::Client::new(&sdk))
        .await
        .expect_err("throttled");
    assert_eq!(ec2_error.code(), Some("RequestLimitExceeded"));
    let rds_error = aws_sdk_rds::Client::new(&sdk)
        .describe_db_instances()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(rds_error.code(), Some("Throttling"));
    let efs_error = aws_sdk_efs::Client::new(&sdk)
        .describe_file_systems()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(efs_error.code(), Some("ThrottlingException"));
    let r53_error = aws_sdk_route53::Client::new(&sdk)
        .list_hosted_zones()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(r53_error.code(), Some("Throttling"));
    let sm_error = aws_sdk_secretsmanager::Client::new(&sdk)
        .list_secrets()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(sm_error.code(), Some("ThrottlingException"));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_and_drops_before_execution_are_retried_without_duplicates() {
    for fault in ["server_error", "drop_before"] {
        let rig = Rig::start(config(&format!(
            r#"{{"faults": {{"{fault}": 1.0, "max_consecutive": 2, "operations": ["CreateVpc"]}}}}"#
        )))
        .await;
        let sdk = rig.sdk(3).await;
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        create_vpc(&ec2)
            .await
            .unwrap_or_else(|e| panic!("{fault}: retried to success: {e:?}"));
        assert_eq!(
            vpc_count(&ec2).await,
            1,
            "{fault}: moto never saw the failed attempts"
        );
        assert_eq!(rig.stats().calls_to("ec2", "CreateVpc"), 3, "{fault}");
    }
}

/// What a dropped response does to a call without an idempotency token: the SDK sees an I/O
/// error, retries, and moto executes CreateVpc a second time. Two VPCs exist although the
/// caller got one id: this is the duplicate the provider's find-by-tag-before-create prevents.
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_response_makes_a_retried_create_vpc_run_twice() {
    let rig = Rig::start(config(
        r#"{"faults": {"drop_after": 1.0, "max_consecutive": 1, "operations": ["CreateVpc"]}}"#,
    ))
    .await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(3).await);
    create_vpc(&ec2).await.expect("the retry gets a response");
    assert_eq!(
        vpc_count(&ec2).await,
        2,
        "the first attempt ran although its response was lost"
    );
    assert_eq!(rig.stats().faults_of(FaultKind::DropAfter), 1);

    // Without a retry the caller sees a dispatch failure, yet the VPC exists.
    rig.proxy.reset();
    let once = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    let error = create_vpc(&once).await.expect_err("response dropped");
    assert!(
        matches!(error, aws_sdk_ec2::error::SdkError::DispatchFailure(_)),
        "{error:?}"
    );
    assert_eq!(vpc_count(&ec2).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn latency_is_added_to_every_call() {
    let rig = Rig::start(config(r#"{"latency": {"fixed_ms": 60, "jitter_ms": 20}}"#)).await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    ec2.describe_vpcs().send().await.expect("warm-up");
    let started = Instant::now();
    for _ in 0..3 {
        ec2.describe_vpcs().send().await.expect("describe");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(180),
        "three calls of at least 60 ms: {elapsed:?}"
    );
}

/// The same seed gives the same faults to the same calls; another seed gives others.
#[tokio::test(flavor = "multi_thread")]
async fn seeded_runs_are_reproducible() {
    async fn outcomes(seed: u64) -> (Vec<bool>, Vec<aws_fault_proxy::FaultEvent>) {
        let rig = Rig::start(config(&format!(
            r#"{{"seed": {seed}, "faults": {{"throttle": 0.2, "server_error": 0.2}}}}"#
        )))
        .await;
        let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
        let mut results = Vec::new();
        for _ in 0..25 {
            results.push(ec2.describe_vpcs().send().await.is_ok());
        }
        (results, rig.stats().sorted_fault_log())
    }
    let (first, first_log) = outcomes(11).await;
    let (again, again_log) = outcomes(11).await;
    let (other, _) = outcomes(12).await;
    assert_eq!(first, again);
    assert_eq!(first_log, again_log);
    assert_ne!(first, other);
    assert!(
        first.iter().any(|ok| !ok) && first.iter().any(|ok| *ok),
        "some faults, some successes: {first:?}"
    );
}

/// A scripted, non-retryable error stops exactly the chosen call: how e2e tests fail an apply
/// at a given step.
#[tokio::test(flavor = "multi_thread")]
async fn a_scripted_error_fails_exactly_the_chosen_call() {
    let rig = Rig::start(config(
        r#"{"scripted": [{"service": "ec2", "operation": "CreateVpc", "nth": 1,
                          "fault": {"error": {"status": 400, "code": "InvalidParameterValue", "message": "step 2 fails"}}}]}"#,
    ))
    .await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(3).await);
    create_vpc(&ec2).await.expect("the first call passes");
    let error = create_vpc(&ec2).await.expect_err("the second is refused");
    assert_eq!(error.code(), Some("InvalidParameterValue"));
    assert_eq!(error.message(), Some("step 2 fails"));
    create_vpc(&ec2).await.expect("the third passes");
    let stats = rig.stats();
    assert_eq!(
        stats.calls_to("ec2", "CreateVpc"),
        3,
        "a client error is not retried"
    );
    assert_eq!(stats.faults_of(FaultKind::Error), 1);
    assert_eq!(vpc_count(&ec2).await, 2);
}
