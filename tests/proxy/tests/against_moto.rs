//! The proxy between the real AWS SDK and a real moto: forwarding is transparent, and every
//! injected fault reaches the SDK in the form it classifies as AWS's own.

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_fault_proxy::{FaultConfig, FaultKind, FaultProxy, Stats};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{AttributeBooleanValue, DomainType};
use stack_tests::Moto;

/// A moto of its own and a proxy in front of it.
struct Rig {
    proxy: FaultProxy,
    _moto: Moto,
}

impl Rig {
    async fn start(config: FaultConfig) -> Rig {
        let moto = Moto::start_async().await.expect("moto starts");
        let proxy = FaultProxy::start(&moto.endpoint(), config).expect("proxy starts");
        Rig { proxy, _moto: moto }
    }

    /// SDK config aimed at the proxy, with `attempts` tries per call and short backoffs.
    async fn sdk(&self, attempts: u32) -> SdkConfig {
        let retry = RetryConfig::standard()
            .with_max_attempts(attempts)
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(50));
        aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .endpoint_url(self.proxy.endpoint())
            .retry_config(retry)
            .load()
            .await
    }

    fn stats(&self) -> Stats {
        self.proxy.stats()
    }
}

fn config(json: &str) -> FaultConfig {
    FaultConfig::from_json(json).expect("valid test config")
}

async fn create_vpc(
    ec2: &aws_sdk_ec2::Client,
) -> Result<String, aws_sdk_ec2::error::SdkError<aws_sdk_ec2::operation::create_vpc::CreateVpcError>>
{
    let created = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await?;
    Ok(created
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("a vpc id")
        .to_string())
}

async fn vpc_count(ec2: &aws_sdk_ec2::Client) -> usize {
    // moto starts with a default VPC; count only ours.
    let vpcs = ec2.describe_vpcs().send().await.expect("describe vpcs");
    vpcs.vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some("10.0.0.0/16"))
        .count()
}

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

// ---- eventual consistency and DependencyViolation -------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_object_is_not_found_by_id_until_the_window_passes() {
    let rig = Rig::start(config(r#"{"consistency": {"window_ms": 2000}}"#)).await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = create_vpc(&ec2).await.expect("vpc");
    let error = ec2
        .describe_vpcs()
        .vpc_ids(&vpc)
        .send()
        .await
        .expect_err("not visible yet");
    assert_eq!(error.code(), Some("InvalidVpcID.NotFound"));

    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_instance()
        .db_instance_identifier("db1")
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .master_username("admin")
        .master_user_password("password123")
        .allocated_storage(20)
        .send()
        .await
        .expect("rds create");
    let error = rds
        .describe_db_instances()
        .db_instance_identifier("db1")
        .send()
        .await
        .expect_err("not visible yet");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_db_instance_not_found_fault()),
        "{error:?}"
    );

    let efs = aws_sdk_efs::Client::new(&sdk);
    let fs = efs
        .create_file_system()
        .creation_token("t")
        .send()
        .await
        .expect("efs");
    let error = efs
        .describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect_err("not visible yet");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_file_system_not_found()),
        "{error:?}"
    );

    // A filter naming the VPC is not an error on AWS either.
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("vpc-id")
        .values(&vpc)
        .build();
    ec2.describe_subnets()
        .filters(filter)
        .send()
        .await
        .expect("filters never NotFound");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        ec2.describe_vpcs()
            .vpc_ids(&vpc)
            .send()
            .await
            .expect("visible now")
            .vpcs()
            .len(),
        1
    );
    rds.describe_db_instances()
        .db_instance_identifier("db1")
        .send()
        .await
        .expect("visible now");
    efs.describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await
        .expect("visible now");
    assert_eq!(rig.stats().faults_of(FaultKind::NotFound), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_meet_dependency_violation_for_the_configured_attempts() {
    let rig = Rig::start(config(r#"{"dependency_violation": {"attempts": 2}}"#)).await;
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    let vpc = create_vpc(&ec2).await.expect("vpc");
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("sg");
    let sg = sg.group_id().expect("group id").to_string();
    for attempt in 1..=2 {
        let error = ec2
            .delete_security_group()
            .group_id(&sg)
            .send()
            .await
            .expect_err("in use");
        assert_eq!(
            error.code(),
            Some("DependencyViolation"),
            "attempt {attempt}"
        );
    }
    ec2.delete_security_group()
        .group_id(&sg)
        .send()
        .await
        .expect("third attempt deletes");
    for _ in 1..=2 {
        let error = ec2
            .delete_vpc()
            .vpc_id(&vpc)
            .send()
            .await
            .expect_err("in use");
        assert_eq!(error.code(), Some("DependencyViolation"));
    }
    ec2.delete_vpc().vpc_id(&vpc).send().await.expect("deleted");
    assert_eq!(rig.stats().faults_of(FaultKind::DependencyViolation), 4);
}

// ---- pending states -----------------------------------------------------------------------

async fn vpc_with_subnets(ec2: &aws_sdk_ec2::Client) -> (String, Vec<String>) {
    let vpc = create_vpc(ec2).await.expect("vpc");
    let mut subnets = Vec::new();
    for (cidr, az) in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .expect("subnet");
        subnets.push(
            subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .expect("subnet id")
                .to_string(),
        );
    }
    let igw = ec2.create_internet_gateway().send().await.expect("igw");
    let igw = igw
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .expect("igw id")
        .to_string();
    ec2.attach_internet_gateway()
        .vpc_id(&vpc)
        .internet_gateway_id(&igw)
        .send()
        .await
        .expect("attach");
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .expect("dns");
    (vpc, subnets)
}

#[tokio::test(flavor = "multi_thread")]
async fn nat_gateway_and_load_balancer_read_pending_then_ready() {
    let rig = Rig::start(config(
        r#"{"pending": {"nat_gateway_ms": 2000, "load_balancer_ms": 2000}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("eip");
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets[0])
        .allocation_id(eip.allocation_id().expect("allocation"))
        .send()
        .await
        .expect("nat");
    let nat_id = nat
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .expect("nat id")
        .to_string();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let lb = elb
        .create_load_balancer()
        .name("web")
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .expect("alb");
    let lb_arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .expect("arn")
        .to_string();

    let nat_state = || async {
        ec2.describe_nat_gateways()
            .nat_gateway_ids(&nat_id)
            .send()
            .await
            .expect("describe nat")
            .nat_gateways()[0]
            .state()
            .cloned()
    };
    let lb_state = || async {
        let lbs = elb
            .describe_load_balancers()
            .load_balancer_arns(&lb_arn)
            .send()
            .await
            .expect("describe lb");
        lbs.load_balancers()[0]
            .state()
            .and_then(|s| s.code())
            .cloned()
    };
    use aws_sdk_ec2::types::NatGatewayState;
    use aws_sdk_elasticloadbalancingv2::types::LoadBalancerStateEnum;
    assert_eq!(nat_state().await, Some(NatGatewayState::Pending));
    assert_eq!(lb_state().await, Some(LoadBalancerStateEnum::Provisioning));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(nat_state().await, Some(NatGatewayState::Available));
    assert_eq!(lb_state().await, Some(LoadBalancerStateEnum::Active));
}

#[tokio::test(flavor = "multi_thread")]
async fn database_and_mount_target_read_creating_then_available() {
    let rig = Rig::start(config(
        r#"{"pending": {"db_instance_ms": 2000, "db_modify_ms": 1500, "mount_target_ms": 2000}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_instance()
        .db_instance_identifier("db1")
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .master_username("admin")
        .master_user_password("password123")
        .allocated_storage(20)
        .send()
        .await
        .expect("rds create");
    let efs = aws_sdk_efs::Client::new(&sdk);
    let fs = efs
        .create_file_system()
        .creation_token("t")
        .send()
        .await
        .expect("efs");
    let mt = efs
        .create_mount_target()
        .file_system_id(fs.file_system_id())
        .subnet_id(&subnets[0])
        .send()
        .await
        .expect("mount target");
    let mt_id = mt.mount_target_id().to_string();

    let db_status = || async {
        let dbs = rds
            .describe_db_instances()
            .db_instance_identifier("db1")
            .send()
            .await
            .expect("describe db");
        dbs.db_instances()[0]
            .db_instance_status()
            .map(str::to_string)
    };
    let mt_state = || async {
        let mts = efs
            .describe_mount_targets()
            .mount_target_id(&mt_id)
            .send()
            .await
            .expect("describe mt");
        mts.mount_targets()[0].life_cycle_state().clone()
    };
    use aws_sdk_efs::types::LifeCycleState;
    assert_eq!(db_status().await.as_deref(), Some("creating"));
    assert_eq!(mt_state().await, LifeCycleState::Creating);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(db_status().await.as_deref(), Some("available"));
    assert_eq!(mt_state().await, LifeCycleState::Available);

    rds.modify_db_instance()
        .db_instance_identifier("db1")
        .backup_retention_period(3)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");
    assert_eq!(db_status().await.as_deref(), Some("modifying"));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(db_status().await.as_deref(), Some("available"));
}

// ---- control API and binary ----------------------------------------------------------------

/// A bodyful HTTP/1.0 request over a plain socket; returns (status, body).
async fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_control_api_reports_reconfigures_and_resets() {
    let rig = Rig::start(FaultConfig::default()).await;
    let addr = rig.proxy.addr();
    let ec2 = aws_sdk_ec2::Client::new(&rig.sdk(1).await);
    ec2.describe_vpcs().send().await.expect("transparent");

    let (status, body) = http(addr, "GET", "/_proxy/stats", "").await;
    assert_eq!(status, 200);
    let stats: Stats = serde_json::from_str(&body).expect("stats json");
    assert_eq!(stats.calls_to("ec2", "DescribeVpcs"), 1);

    let (status, _) = http(
        addr,
        "POST",
        "/_proxy/config",
        r#"{"faults": {"throttle": 1.0}}"#,
    )
    .await;
    assert_eq!(status, 200);
    let error = ec2.describe_vpcs().send().await.expect_err("now throttled");
    assert_eq!(error.code(), Some("RequestLimitExceeded"));
    let (status, body) = http(
        addr,
        "POST",
        "/_proxy/config",
        r#"{"faults": {"throtle": 1.0}}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let (status, _) = http(addr, "POST", "/_proxy/reset", "").await;
    assert_eq!(status, 200);
    assert_eq!(rig.stats().total_calls(), 0);
    assert_eq!(http(addr, "GET", "/_proxy/nothing", "").await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_serves_with_a_config_file_until_terminated() {
    use tokio::io::AsyncBufReadExt;
    let moto = Moto::start_async().await.expect("moto");
    let dir = std::env::temp_dir().join(format!("aws-fault-proxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config_path = dir.join("faults.json");
    std::fs::write(&config_path, r#"{"dependency_violation": {"attempts": 1}}"#).expect("config");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_aws-fault-proxy"))
        .args(["--upstream", &moto.endpoint(), "--port", "0", "--config"])
        .arg(&config_path)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("first line");
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();

    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .endpoint_url(&endpoint)
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = create_vpc(&ec2).await.expect("vpc through the binary");
    let error = ec2
        .delete_vpc()
        .vpc_id(&vpc)
        .send()
        .await
        .expect_err("config file applied");
    assert_eq!(error.code(), Some("DependencyViolation"));

    let pid = child.id().expect("pid");
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill -TERM");
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits on SIGTERM")
        .expect("status");
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn asg_instances_and_dns_changes_read_pending_then_ready() {
    let rig = Rig::start(config(
        r#"{"pending": {"asg_instance_ms": 2000, "dns_change_ms": 2000}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let template = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .build();
    ec2.create_launch_template()
        .launch_template_name("web")
        .launch_template_data(template)
        .send()
        .await
        .expect("launch template");
    let asg = aws_sdk_autoscaling::Client::new(&sdk);
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name("web")
                .version("$Latest")
                .build(),
        )
        .min_size(1)
        .max_size(1)
        .vpc_zone_identifier(subnets.join(","))
        .send()
        .await
        .expect("asg");
    let lifecycle = || async {
        let groups = asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names("web")
            .send()
            .await
            .expect("describe asg");
        groups.auto_scaling_groups()[0].instances()[0]
            .lifecycle_state()
            .cloned()
    };
    use aws_sdk_autoscaling::types::LifecycleState;
    assert_eq!(lifecycle().await, Some(LifecycleState::Pending));

    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("r1")
        .send()
        .await
        .expect("zone");
    let zone_id = zone
        .hosted_zone()
        .map(|z| z.id().to_string())
        .expect("zone id");
    let record = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("www.example.com")
        .r#type(aws_sdk_route53::types::RrType::A)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("10.0.0.1")
                .build()
                .expect("record"),
        )
        .build()
        .expect("record set");
    let change = aws_sdk_route53::types::Change::builder()
        .action(aws_sdk_route53::types::ChangeAction::Upsert)
        .resource_record_set(record)
        .build()
        .expect("change");
    let submitted = route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(change)
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("change record");
    use aws_sdk_route53::types::ChangeStatus;
    let info = submitted.change_info().expect("change info");
    assert_eq!(info.status(), &ChangeStatus::Pending);
    let change_id = info.id().to_string();
    let status = || async {
        route53
            .get_change()
            .id(&change_id)
            .send()
            .await
            .expect("get change")
            .change_info()
            .map(|c| c.status().clone())
    };
    assert_eq!(status().await, Some(ChangeStatus::Pending));

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(lifecycle().await, Some(LifecycleState::InService));
    assert_eq!(status().await, Some(ChangeStatus::Insync));
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
