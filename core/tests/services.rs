//! The service tiers (EFS, RDS, ALB, launch template + ASG, Route 53) against a private moto
//! server: each service module's create / find / read / delete round trip, the waiters'
//! timeout and cancel behaviour, and the whole stack through the engine (apply, re-apply
//! without changes, read, destroy leaving nothing).

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use stack_core::aws::autoscaling::{self, GroupRequest};
use stack_core::aws::efs::{self, FileSystemRequest};
use stack_core::aws::elbv2::{self, HealthCheck, ListenerAction, ListenerRequest};
use stack_core::aws::launch_template::{self, TemplateData};
use stack_core::aws::rds::{self, DbInstanceRequest, DbModification};
use stack_core::aws::route53::{self, AliasRecord};
use stack_core::aws::{ec2, ssm, AwsSettings, Clients};
use stack_core::image::{al2023_parameter, Architecture};
use stack_core::naming::STACK_TAG;
use stack_core::spec::{DnsSpec, NatMode, Secret};
use stack_core::state::logical::{self, qualified};
use stack_core::tiers::database;
use stack_core::wait::Bounds;
use stack_core::{StackError, StackState};
use stack_tests::Moto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const REGION: &str = "us-east-1";
const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];

struct Env {
    moto: Moto,
    clients: Clients,
}

async fn env() -> Env {
    for (key, value) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(key, value);
    }
    let moto = Moto::start_async().await.expect("moto starts");
    let settings = AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(moto.endpoint()),
        max_retries: Some(2),
        ..AwsSettings::default()
    };
    let clients = Clients::connect(&settings).await.expect("clients connect");
    Env { moto, clients }
}

fn bounds() -> Bounds {
    Bounds::new(
        Instant::now() + Duration::from_secs(120),
        CancellationToken::new(),
    )
}

fn tags(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (STACK_TAG.to_string(), "svc".to_string()),
        ("Name".to_string(), name.to_string()),
    ])
}

/// A VPC with an attached IGW, a public and a private subnet per zone, and the groups.
struct Net {
    vpc: String,
    public: Vec<String>,
    private: Vec<String>,
    group: String,
}

async fn network(clients: &Clients) -> Net {
    let vpc = ec2::create_vpc(clients, "10.9.0.0/16", &tags("svc-vpc"))
        .await
        .unwrap();
    let igw = ec2::create_internet_gateway(clients, &tags("svc-igw"))
        .await
        .unwrap();
    ec2::attach_internet_gateway(clients, &igw, &vpc)
        .await
        .unwrap();
    let mut public = Vec::new();
    let mut private = Vec::new();
    for (i, az) in ZONES.iter().enumerate() {
        public.push(
            ec2::create_subnet(clients, &vpc, az, &format!("10.9.{i}.0/24"), &tags("pub"))
                .await
                .unwrap(),
        );
        private.push(
            ec2::create_subnet(
                clients,
                &vpc,
                az,
                &format!("10.9.{}.0/24", i + 10),
                &tags("priv"),
            )
            .await
            .unwrap(),
        );
    }
    let group = ec2::create_security_group(clients, &vpc, "svc-sg", "test group", &tags("svc-sg"))
        .await
        .unwrap();
    Net {
        vpc,
        public,
        private,
        group,
    }
}

// ---- EFS ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn efs_file_system_and_mount_targets_round_trip() {
    let e = env().await;
    let net = network(&e.clients).await;
    let fs_tags = tags("svc-efs");
    let request = FileSystemRequest {
        creation_token: "svc-token",
        performance_mode: "generalPurpose",
        throughput_mode: "provisioned",
        provisioned_throughput_mibps: Some(64.0),
        backups: true,
        tags: &fs_tags,
    };
    let fs = efs::create_file_system(&e.clients, &request).await.unwrap();
    assert!(fs.encrypted, "file systems are always encrypted");
    assert_eq!(fs.throughput_mode.as_deref(), Some("provisioned"));
    assert_eq!(fs.provisioned_throughput_mibps, Some(64.0));
    assert!(efs::backups_enabled(&e.clients, &fs.id).await.unwrap());
    assert_eq!(
        efs::file_system_policy(&e.clients, &fs.id).await.unwrap(),
        None
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    efs::put_file_system_policy(&e.clients, &fs.id, policy)
        .await
        .unwrap();
    assert_eq!(
        efs::file_system_policy(&e.clients, &fs.id)
            .await
            .unwrap()
            .as_deref(),
        Some(policy)
    );

    // The creation token makes a second create answer with the first file system.
    let again = efs::create_file_system(&e.clients, &request).await.unwrap();
    assert_eq!(again.id, fs.id);
    let found = efs::find_by_creation_token(&e.clients, "svc-token")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, fs.id);
    assert_eq!(found.tags[STACK_TAG], "svc");
    let ready = efs::wait_file_system_available(&e.clients, &bounds(), &fs.id)
        .await
        .unwrap();
    assert_eq!(ready.life_cycle_state, "available");

    let groups = vec![net.group.clone()];
    let mut target_ids = Vec::new();
    for subnet in &net.private {
        let target = efs::create_mount_target(&e.clients, &fs.id, subnet, &groups)
            .await
            .unwrap();
        assert_eq!(&target.subnet_id, subnet);
        target_ids.push(target.id);
    }
    efs::wait_mount_targets_available(&e.clients, &bounds(), &fs.id, &target_ids)
        .await
        .unwrap();
    let listed = efs::mount_targets(&e.clients, &fs.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        efs::mount_target_security_groups(&e.clients, &target_ids[0])
            .await
            .unwrap(),
        groups
    );

    // A file system with mount targets cannot go: delete them first, then it.
    let refused = efs::delete_file_system(&e.clients, &fs.id)
        .await
        .unwrap_err();
    assert_eq!(refused.aws_code(), Some("FileSystemInUse"), "{refused}");
    efs::delete_mount_target(&e.clients, &target_ids[0])
        .await
        .unwrap();
    efs::wait_mount_target_deleted(&e.clients, &bounds(), &fs.id, &target_ids[0])
        .await
        .unwrap();
    efs::delete_mount_target(&e.clients, &target_ids[1])
        .await
        .unwrap();
    efs::wait_mount_targets_gone(&e.clients, &bounds(), &fs.id)
        .await
        .unwrap();
    efs::delete_file_system(&e.clients, &fs.id).await.unwrap();
    efs::wait_file_system_deleted(&e.clients, &bounds(), &fs.id)
        .await
        .unwrap();
    assert!(efs::describe_file_system(&e.clients, &fs.id)
        .await
        .unwrap()
        .is_none());
    // Deleting again is not an error.
    efs::delete_file_system(&e.clients, &fs.id).await.unwrap();
    drop(e.moto);
}

// ---- RDS ----

fn db_request<'a>(
    subnet_group: &'a str,
    groups: &'a [String],
    password: &'a Secret,
    tags: &'a BTreeMap<String, String>,
) -> DbInstanceRequest<'a> {
    DbInstanceRequest {
        identifier: "svc-db",
        instance_class: "db.t3.micro",
        engine_version: "8.0",
        allocated_storage: 20,
        max_allocated_storage: 100,
        multi_az: true,
        db_name: "wordpress",
        username: "wordpress",
        password,
        backup_retention_days: 7,
        deletion_protection: false,
        subnet_group,
        security_group_ids: groups,
        parameter_group: None,
        tags,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds_subnet_group_and_instance_round_trip_with_final_snapshot() {
    let e = env().await;
    let net = network(&e.clients).await;
    let group = rds::create_db_subnet_group(
        &e.clients,
        "svc-db-subnets",
        &net.private,
        &tags("svc-db-subnets"),
    )
    .await
    .unwrap();
    assert_eq!(group.name, "svc-db-subnets");
    let described = rds::describe_db_subnet_group(&e.clients, "svc-db-subnets")
        .await
        .unwrap()
        .unwrap();
    let mut subnets = described.subnet_ids.clone();
    subnets.sort();
    let mut wanted = net.private.clone();
    wanted.sort();
    assert_eq!(subnets, wanted);
    // ModifyDBSubnetGroup is not exercised here: moto's drops the group it modifies.

    let parameters = rds::create_db_parameter_group(
        &e.clients,
        "svc-mysql80",
        "mysql8.0",
        "TLS required",
        &tags("svc-mysql80"),
    )
    .await
    .unwrap();
    assert_eq!(parameters.family, "mysql8.0");
    assert!(rds::user_parameters(&e.clients, "svc-mysql80")
        .await
        .unwrap()
        .is_empty());
    rds::set_parameters(
        &e.clients,
        "svc-mysql80",
        &[("require_secure_transport", "ON")],
    )
    .await
    .unwrap();
    let values = rds::user_parameters(&e.clients, "svc-mysql80")
        .await
        .unwrap();
    assert_eq!(
        values.get("require_secure_transport").map(String::as_str),
        Some("ON")
    );
    rds::delete_db_parameter_group(&e.clients, "svc-mysql80")
        .await
        .unwrap();
    assert_eq!(
        rds::describe_db_parameter_group(&e.clients, "svc-mysql80")
            .await
            .unwrap(),
        None
    );
    // Already gone is success.
    rds::delete_db_parameter_group(&e.clients, "svc-mysql80")
        .await
        .unwrap();

    let groups = vec![net.group.clone()];
    let password = stack_core::secrets::generate_db_password();
    let db_tags = tags("svc-db");
    rds::create_db_instance(
        &e.clients,
        &db_request("svc-db-subnets", &groups, &password, &db_tags),
    )
    .await
    .unwrap();
    let db = rds::wait_db_instance_available(&e.clients, &bounds(), "svc-db")
        .await
        .unwrap();
    assert!(db.storage_encrypted);
    assert!(!db.publicly_accessible);
    assert!(db.multi_az);
    assert_eq!(db.engine, "mysql");
    assert_eq!(db.max_allocated_storage, Some(100));
    assert_eq!(db.backup_retention_days, 7);
    assert_eq!(db.subnet_group.as_deref(), Some("svc-db-subnets"));
    assert_eq!(db.security_group_ids, groups);
    assert!(
        db.endpoint().is_some_and(|e| e.ends_with(":3306")),
        "{:?}",
        db.endpoint()
    );
    let tagged = rds::list_db_instances_tagged(&e.clients, STACK_TAG, "svc")
        .await
        .unwrap();
    assert_eq!(
        tagged
            .iter()
            .map(|d| d.identifier.as_str())
            .collect::<Vec<_>>(),
        ["svc-db"]
    );
    assert!(
        rds::list_db_instances_tagged(&e.clients, STACK_TAG, "other")
            .await
            .unwrap()
            .is_empty()
    );

    let change = DbModification {
        instance_class: Some("db.t3.small".into()),
        backup_retention_days: Some(3),
        ..DbModification::default()
    };
    rds::modify_db_instance(&e.clients, "svc-db", &change)
        .await
        .unwrap();
    let modified = rds::wait_db_instance_available(&e.clients, &bounds(), "svc-db")
        .await
        .unwrap();
    assert_eq!(modified.instance_class, "db.t3.small");
    assert_eq!(modified.backup_retention_days, 3);

    rds::delete_db_instance(&e.clients, "svc-db", Some("svc-final-1"))
        .await
        .unwrap();
    rds::wait_db_instance_deleted(&e.clients, &bounds(), "svc-db")
        .await
        .unwrap();
    assert!(rds::describe_db_instance(&e.clients, "svc-db")
        .await
        .unwrap()
        .is_none());
    assert!(rds::snapshot_exists(&e.clients, "svc-final-1")
        .await
        .unwrap());
    rds::delete_snapshot(&e.clients, "svc-final-1")
        .await
        .unwrap();
    assert!(!rds::snapshot_exists(&e.clients, "svc-final-1")
        .await
        .unwrap());
    rds::delete_db_subnet_group(&e.clients, "svc-db-subnets")
        .await
        .unwrap();
    assert!(rds::describe_db_subnet_group(&e.clients, "svc-db-subnets")
        .await
        .unwrap()
        .is_none());
    rds::delete_db_instance(&e.clients, "svc-db", None)
        .await
        .unwrap();
}

// ---- ELBv2 ----

/// Moto checks HTTPS listener certificates against its ACM: ask it for one over plain HTTP
/// (the core has no ACM client, and needs none).
async fn request_certificate(moto: &Moto) -> String {
    let addr = format!("127.0.0.1:{}", moto.port());
    let body = r#"{"DomainName":"blog.example.com"}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: CertificateManager.RequestCertificate\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/acm/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let start = response
        .find("arn:aws:acm")
        .unwrap_or_else(|| panic!("no certificate in {response}"));
    response[start..].split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancer_target_group_and_listeners_round_trip() {
    let e = env().await;
    let net = network(&e.clients).await;
    let groups = vec![net.group.clone()];
    let lb = elbv2::create_load_balancer(
        &e.clients,
        "svc-alb",
        &net.public,
        &groups,
        &tags("svc-alb"),
    )
    .await
    .unwrap();
    assert!(lb.internet_facing);
    assert!(!lb.dns_name.is_empty() && !lb.canonical_zone_id.is_empty());
    let lb = elbv2::wait_load_balancer_active(&e.clients, &bounds(), &lb.arn)
        .await
        .unwrap();
    assert_eq!(lb.state, "active");
    assert_eq!(
        elbv2::find_load_balancer(&e.clients, "svc-alb")
            .await
            .unwrap()
            .unwrap()
            .arn,
        lb.arn
    );
    assert!(elbv2::find_load_balancer(&e.clients, "nope-alb")
        .await
        .unwrap()
        .is_none());
    elbv2::set_idle_timeout(&e.clients, &lb.arn, 120)
        .await
        .unwrap();
    assert_eq!(
        elbv2::idle_timeout(&e.clients, &lb.arn).await.unwrap(),
        Some(120)
    );

    let tg = elbv2::create_target_group(
        &e.clients,
        "svc-tg",
        &net.vpc,
        HealthCheck {
            path: "/healthz.html",
            matcher: "200",
        },
        &tags("svc-tg"),
    )
    .await
    .unwrap();
    assert_eq!(tg.port, Some(80));
    assert_eq!(tg.health_check_path.as_deref(), Some("/healthz.html"));
    assert_eq!(tg.matcher.as_deref(), Some("200"));
    let other = HealthCheck {
        path: "/ok.txt",
        matcher: "200-399",
    };
    elbv2::set_health_check(&e.clients, &tg.arn, other)
        .await
        .unwrap();
    let found = elbv2::find_target_group(&e.clients, "svc-tg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.health_check_path.as_deref(), Some("/ok.txt"));
    assert!(other.is_met_by(&found), "{found:?}");
    assert_eq!(
        elbv2::deregistration_delay(&e.clients, &tg.arn)
            .await
            .unwrap(),
        Some(300),
        "AWS's default"
    );
    elbv2::set_deregistration_delay(&e.clients, &tg.arn, 30)
        .await
        .unwrap();
    assert_eq!(
        elbv2::deregistration_delay(&e.clients, &tg.arn)
            .await
            .unwrap(),
        Some(30)
    );

    let forward = ListenerRequest {
        port: 80,
        certificate_arn: None,
        action: ListenerAction::Forward {
            target_group_arn: tg.arn.clone(),
        },
    };
    let http = elbv2::create_listener(&e.clients, &lb.arn, &forward, &tags("svc-http"))
        .await
        .unwrap();
    assert!(forward.is_met_by(&http), "{http:?}");

    // With a certificate: HTTPS forwards with the modern policy, HTTP redirects.
    let certificate = request_certificate(&e.moto).await;
    let https_request = ListenerRequest {
        port: 443,
        certificate_arn: Some(certificate.clone()),
        action: ListenerAction::Forward {
            target_group_arn: tg.arn.clone(),
        },
    };
    let https = elbv2::create_listener(&e.clients, &lb.arn, &https_request, &tags("svc-https"))
        .await
        .unwrap();
    assert_eq!(https.ssl_policy.as_deref(), Some(elbv2::TLS_POLICY));
    assert!(https_request.is_met_by(&https), "{https:?}");
    let redirect = ListenerRequest {
        port: 80,
        certificate_arn: None,
        action: ListenerAction::RedirectToHttps,
    };
    elbv2::modify_listener(&e.clients, &http.arn, &redirect)
        .await
        .unwrap();
    let listeners = elbv2::listeners(&e.clients, &lb.arn).await.unwrap();
    let http_now = listeners.iter().find(|l| l.port == Some(80)).unwrap();
    assert_eq!(http_now.action, Some(ListenerAction::RedirectToHttps));
    assert_eq!(listeners.len(), 2);

    let all_tags = elbv2::tags_of(&e.clients, &[lb.arn.clone(), tg.arn.clone()])
        .await
        .unwrap();
    assert_eq!(all_tags[&lb.arn][STACK_TAG], "svc");
    assert_eq!(all_tags[&tg.arn]["Name"], "svc-tg");

    for listener in &listeners {
        elbv2::delete_listener(&e.clients, &listener.arn)
            .await
            .unwrap();
    }
    elbv2::delete_target_group(&e.clients, &tg.arn)
        .await
        .unwrap();
    assert!(elbv2::describe_target_group(&e.clients, &tg.arn)
        .await
        .unwrap()
        .is_none());
    elbv2::delete_load_balancer(&e.clients, &lb.arn)
        .await
        .unwrap();
    elbv2::wait_load_balancer_deleted(&e.clients, &bounds(), &lb.arn)
        .await
        .unwrap();
    assert!(elbv2::describe_load_balancer(&e.clients, &lb.arn)
        .await
        .unwrap()
        .is_none());
    assert!(elbv2::listeners(&e.clients, &lb.arn)
        .await
        .unwrap()
        .is_empty());
}

// ---- launch template + Auto Scaling ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_template_versions_and_auto_scaling_group_round_trip() {
    let e = env().await;
    let net = network(&e.clients).await;
    let current = ssm::parameter(&e.clients, &al2023_parameter(Architecture::X86_64))
        .await
        .unwrap();
    let image = ec2::image(&e.clients, &current).await.unwrap();
    let launch_tags = tags("svc-app");
    let data = TemplateData::hardened(
        &image.id,
        &image.root_device_name,
        "t3.small",
        &net.group,
        None,
        "I2Nsb3VkLWNvbmZpZwo=".to_string(),
        launch_tags.clone(),
    );
    let template = launch_template::create(
        &e.clients,
        "svc-app",
        &data,
        &tags("svc-app"),
        "svc-token-1",
    )
    .await
    .unwrap();
    assert_eq!(template.latest_version, Some(1));
    assert_eq!(
        launch_template::find_by_name(&e.clients, "svc-app")
            .await
            .unwrap()
            .unwrap()
            .id,
        template.id
    );
    assert!(launch_template::find_by_name(&e.clients, "missing-app")
        .await
        .unwrap()
        .is_none());

    // What AWS reports back is exactly what was written: an unchanged spec never makes a
    // new version.
    let v1 = launch_template::describe_version(&e.clients, &template.id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1.data, data);
    assert!(v1.data.metadata_tokens_required);
    assert_eq!(v1.data.metadata_hop_limit, Some(1));
    assert_eq!(v1.data.public_ip, Some(false));
    assert!(v1.data.root_volume_encrypted);

    let mut bigger = data.clone();
    bigger.instance_type = "t3.medium".into();
    let v2 = launch_template::create_version(&e.clients, &template.id, &bigger)
        .await
        .unwrap();
    assert_eq!(v2, 2);
    let described = launch_template::describe(&e.clients, &template.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(described.default_version, Some(2));
    let tagged = launch_template::list_tagged(&e.clients, STACK_TAG, "svc")
        .await
        .unwrap();
    assert_eq!(tagged.len(), 1);

    let lb_tg = elbv2::create_target_group(
        &e.clients,
        "svc-tg",
        &net.vpc,
        HealthCheck {
            path: "/healthz.html",
            matcher: "200",
        },
        &tags("svc-tg"),
    )
    .await
    .unwrap();
    let target_groups = vec![lb_tg.arn.clone()];
    let request = GroupRequest {
        name: "svc-asg",
        launch_template_id: &template.id,
        launch_template_version: 1,
        min_size: 2,
        max_size: 4,
        desired_capacity: None,
        subnet_ids: &net.private,
        target_group_arns: &target_groups,
        health_check_grace_period: 300,
        tags: &launch_tags,
    };
    autoscaling::create_group(&e.clients, &request)
        .await
        .unwrap();
    autoscaling::capacity::wait_group_healthy(&e.clients, &bounds(), "svc-asg", &lb_tg.arn)
        .await
        .unwrap();
    let group = autoscaling::describe_group(&e.clients, "svc-asg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (group.min_size, group.max_size, group.desired_capacity),
        (2, 4, 2)
    );
    assert_eq!(
        group.launch_template_version.as_deref(),
        Some("1"),
        "explicit version, never $Latest"
    );
    assert_eq!(group.target_group_arns, target_groups);
    assert_eq!(group.health_check_type.as_deref(), Some("ELB"));
    assert_eq!(group.health_check_grace_period, Some(300));
    assert_eq!(group.tags[STACK_TAG], "svc");
    let listed = autoscaling::list_groups_tagged(&e.clients, STACK_TAG, "svc")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let moved = GroupRequest {
        launch_template_version: 2,
        max_size: 6,
        ..request.clone()
    };
    autoscaling::update_group(&e.clients, &moved).await.unwrap();
    let group = autoscaling::describe_group(&e.clients, "svc-asg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.launch_template_version.as_deref(), Some("2"));
    assert_eq!(group.max_size, 6);

    autoscaling::put_cpu_target_policy(&e.clients, "svc-asg", "svc-cpu-target", 60.0)
        .await
        .unwrap();
    let policy = autoscaling::describe_policy(&e.clients, "svc-asg", "svc-cpu-target")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.target_value, Some(60.0));
    assert_eq!(policy.metric.as_deref(), Some("ASGAverageCPUUtilization"));

    autoscaling::delete_group(&e.clients, "svc-asg")
        .await
        .unwrap();
    autoscaling::wait_group_deleted(&e.clients, &bounds(), "svc-asg")
        .await
        .unwrap();
    assert!(autoscaling::describe_group(&e.clients, "svc-asg")
        .await
        .unwrap()
        .is_none());
    autoscaling::delete_group(&e.clients, "svc-asg")
        .await
        .unwrap();
    launch_template::delete(&e.clients, &template.id)
        .await
        .unwrap();
    assert!(launch_template::describe(&e.clients, &template.id)
        .await
        .unwrap()
        .is_none());
    launch_template::delete(&e.clients, &template.id)
        .await
        .unwrap();
}

// ---- Route 53 ----

async fn hosted_zone(clients: &Clients, name: &str) -> String {
    let out = clients
        .route53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("svc-{name}"))
        .send()
        .await
        .unwrap();
    route53::bare_zone_id(out.hosted_zone().unwrap().id()).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route53_alias_record_round_trip() {
    let e = env().await;
    let zone = hosted_zone(&e.clients, "example.com").await;
    assert!(route53::zone_exists(&e.clients, &zone).await.unwrap());
    assert!(!route53::zone_exists(&e.clients, "ZNOTAZONE").await.unwrap());
    let record = AliasRecord {
        name: "blog.example.com".into(),
        target_dns_name: "svc-alb-1.us-east-1.elb.amazonaws.com".into(),
        target_zone_id: "Z35SXDOTRQ7X7K".into(),
        evaluate_target_health: true,
    };
    let change = route53::upsert_alias(&e.clients, &zone, &record)
        .await
        .unwrap();
    route53::wait_change_in_sync(&e.clients, &bounds(), &change)
        .await
        .unwrap();
    let found = route53::find_alias(&e.clients, &zone, "blog.example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(found.points_like(&record), "{found:?}");
    // Upsert is idempotent.
    route53::upsert_alias(&e.clients, &zone, &record)
        .await
        .unwrap();
    assert!(route53::find_alias(&e.clients, &zone, "other.example.com")
        .await
        .unwrap()
        .is_none());

    assert!(
        route53::delete_alias(&e.clients, &zone, "blog.example.com", None)
            .await
            .unwrap()
            .is_some()
    );
    assert!(route53::find_alias(&e.clients, &zone, "blog.example.com")
        .await
        .unwrap()
        .is_none());
    assert!(
        route53::delete_alias(&e.clients, &zone, "blog.example.com", None)
            .await
            .unwrap()
            .is_none()
    );
}

// ---- waiters ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_stop_at_the_deadline_and_on_cancel() {
    let e = env().await;
    let fs_tags = tags("svc-efs");
    let fs = efs::create_file_system(
        &e.clients,
        &FileSystemRequest {
            creation_token: "svc-wait",
            performance_mode: "generalPurpose",
            throughput_mode: "elastic",
            provisioned_throughput_mibps: None,
            backups: false,
            tags: &fs_tags,
        },
    )
    .await
    .unwrap();

    // The file system will never be deleted: a deadline already reached gives a timeout
    // after one poll, not a hang.
    let expired = Bounds::new(Instant::now(), CancellationToken::new());
    let started = Instant::now();
    let error = efs::wait_file_system_deleted(&e.clients, &expired, &fs.id)
        .await
        .unwrap_err();
    assert!(matches!(error, StackError::WaitTimeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A cancel while the waiter sleeps between polls ends it promptly.
    let cancel = CancellationToken::new();
    let long = Bounds::new(Instant::now() + Duration::from_secs(3600), cancel.clone());
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let error = efs::wait_file_system_deleted(&e.clients, &long, &fs.id)
        .await
        .unwrap_err();
    assert!(matches!(error, StackError::Cancelled { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Same for RDS, whose waits are the longest on AWS.
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let error = rds::wait_db_instance_available(
        &e.clients,
        &Bounds::new(Instant::now() + Duration::from_secs(60), cancelled),
        "never-db",
    )
    .await
    .unwrap_err();
    assert!(matches!(error, StackError::Cancelled { .. }), "{error}");
}

// ---- the whole stack through the engine ----

fn full_spec(zone_id: &str) -> stack_core::StackSpec {
    let mut spec = support::spec("wp", &ZONES, NatMode::Single, false);
    spec.dns = Some(DnsSpec {
        zone_id: zone_id.to_string(),
        record_name: "blog.example.com".into(),
        allow_overwrite: false,
    });
    spec.database.skip_final_snapshot = false;
    spec
}

fn resource(state: &StackState, key: &str) -> String {
    state.resources.get(key).cloned().unwrap_or_else(|| {
        panic!(
            "{key} not in {:?}",
            state.resources.keys().collect::<Vec<_>>()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn apply_builds_every_service_tier_then_reapply_changes_nothing_and_destroy_removes_all() {
    let w = support::world().await;
    let settings = AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(w.moto.endpoint()),
        ..AwsSettings::default()
    };
    let clients = Clients::connect(&settings).await.unwrap();
    let zone = hosted_zone(&clients, "example.com").await;
    let spec = full_spec(&zone);
    let state = match w.engine.apply(&spec, None, &CancellationToken::new()).await {
        Ok(state) => state,
        Err(failure) => panic!(
            "apply failed: {} (resources: {:?})",
            failure.error, failure.state.resources
        ),
    };

    // Storage: encrypted, the asked modes, a mount target per private subnet with the efs group.
    let fs_id = resource(&state, logical::EFS_FILE_SYSTEM);
    let fs = efs::describe_file_system(&clients, &fs_id)
        .await
        .unwrap()
        .unwrap();
    assert!(fs.encrypted);
    assert_eq!(fs.throughput_mode.as_deref(), Some("elastic"));
    assert_eq!(fs.tags["Name"], "wp-efs");
    let efs_group = state.outputs.security_group_ids["efs"].clone();
    for az in ZONES {
        let target_id = resource(&state, &qualified(logical::EFS_MOUNT_TARGET, az));
        let subnet = resource(&state, &qualified(logical::PRIVATE_SUBNET, az));
        let target = efs::mount_targets(&clients, &fs_id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == target_id)
            .unwrap();
        assert_eq!(target.subnet_id, subnet);
        assert_eq!(
            efs::mount_target_security_groups(&clients, &target_id)
                .await
                .unwrap(),
            vec![efs_group.clone()]
        );
    }
    assert_eq!(state.outputs.efs_id.as_deref(), Some(fs_id.as_str()));

    // Database: private, encrypted, Multi-AZ, in the db group and the stack's subnet group.
    let db = rds::describe_db_instance(&clients, "wp-db")
        .await
        .unwrap()
        .unwrap();
    assert!(db.storage_encrypted && !db.publicly_accessible && db.multi_az);
    assert_eq!(db.subnet_group.as_deref(), Some("wp-db-subnets"));
    assert_eq!(
        db.security_group_ids,
        vec![state.outputs.security_group_ids["db"].clone()]
    );
    assert_eq!(db.max_allocated_storage, Some(100));
    assert_eq!(state.outputs.db_endpoint, db.endpoint());
    let password = state
        .spec
        .database
        .password
        .clone()
        .expect("a generated password is kept");
    assert!(stack_core::secrets::is_valid_db_password(password.expose()));
    assert_eq!(state.secrets.wordpress_keys.len(), 8);

    // Load balancing: the ALB in the public subnets, HTTP forwarding to the target group.
    let lb = elbv2::describe_load_balancer(&clients, &resource(&state, logical::LOAD_BALANCER))
        .await
        .unwrap()
        .unwrap();
    let mut public = state.outputs.public_subnet_ids.clone();
    public.sort();
    let mut lb_subnets = lb.subnet_ids.clone();
    lb_subnets.sort();
    assert_eq!(lb_subnets, public);
    assert_eq!(
        lb.security_group_ids,
        vec![state.outputs.security_group_ids["alb"].clone()]
    );
    assert_eq!(
        state.outputs.alb_dns_name.as_deref(),
        Some(lb.dns_name.as_str())
    );
    let tg_arn = resource(&state, logical::TARGET_GROUP);
    let listeners = elbv2::listeners(&clients, &lb.arn).await.unwrap();
    assert_eq!(listeners.len(), 1);
    assert_eq!(
        listeners[0].action,
        Some(ListenerAction::Forward {
            target_group_arn: tg_arn.clone()
        })
    );

    // App: the template's user data names the EFS id and the secret holding the DB endpoint;
    // the ASG uses its
    // explicit version over the private subnets, attached to the target group.
    let template_id = resource(&state, logical::LAUNCH_TEMPLATE);
    let version = state
        .outputs
        .launch_template_version
        .expect("template version output");
    let data = launch_template::describe_version(&clients, &template_id, version)
        .await
        .unwrap()
        .unwrap()
        .data;
    let user_data = stack_core::userdata::document_text(&data.user_data_base64).unwrap();
    assert!(
        user_data.contains(&fs_id),
        "user data names the file system"
    );
    // The DB host reaches the instances through the secret (the template does not wait for
    // the database): the version the user data names holds it.
    let endpoint = state.outputs.db_endpoint.clone().expect("endpoint");
    assert!(!user_data.contains(&endpoint), "no host in the user data");
    let current =
        stack_core::aws::secretsmanager::value(&clients, &resource(&state, logical::APP_SECRET))
            .await
            .unwrap()
            .expect("the stack's secret");
    assert!(
        user_data.contains(&current.version_id),
        "the user data names the secret's current version"
    );
    let contents = stack_core::secrets::parse_secret_document(&current.secret).expect("JSON");
    assert_eq!(
        contents.db_host, state.outputs.db_endpoint,
        "the secret names the DB host"
    );
    assert!(db.address.is_some());
    assert!(
        data.metadata_tokens_required
            && data.public_ip == Some(false)
            && data.root_volume_encrypted
    );
    assert_eq!(
        data.security_group_ids,
        vec![state.outputs.security_group_ids["app"].clone()]
    );
    let group = autoscaling::describe_group(&clients, "wp-asg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.launch_template_version, Some(version.to_string()));
    assert_eq!(group.target_group_arns, vec![tg_arn.clone()]);
    let mut private = state.outputs.private_subnet_ids.clone();
    private.sort();
    let mut group_subnets = group.subnet_ids.clone();
    group_subnets.sort();
    assert_eq!(group_subnets, private);
    assert_eq!(state.outputs.asg_name.as_deref(), Some("wp-asg"));
    let policy = autoscaling::describe_policy(&clients, "wp-asg", "wp-cpu-target")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.target_value, Some(60.0));

    // DNS: the alias points at the ALB; the URL uses the record name.
    let alias = route53::find_alias(&clients, &zone, "blog.example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alias.target_dns_name, route53::normalize(&lb.dns_name));
    assert_eq!(
        state.outputs.url.as_deref(),
        Some("http://blog.example.com")
    );

    // Re-applying the same spec from the state changes nothing: no new template version,
    // same password, same keys.
    let again = match w
        .engine
        .apply(&state.spec, Some(&state), &CancellationToken::new())
        .await
    {
        Ok(state) => state,
        Err(failure) => panic!("re-apply failed: {}", failure.error),
    };
    assert_eq!(again.outputs.launch_template_version, Some(version));
    assert_eq!(again.spec.database.password, state.spec.database.password);
    assert_eq!(again.secrets, state.secrets);
    assert_eq!(again.resources, state.resources);

    // Read finds every object and reports no drift in the service tiers.
    let read = w.engine.read(&again).await.unwrap().expect("stack exists");
    for key in [
        logical::EFS_FILE_SYSTEM,
        logical::DB_INSTANCE,
        logical::DB_SUBNET_GROUP,
        logical::LOAD_BALANCER,
        logical::TARGET_GROUP,
        logical::HTTP_LISTENER,
        logical::LAUNCH_TEMPLATE,
        logical::AUTOSCALING_GROUP,
        logical::SCALING_POLICY,
        logical::DNS_RECORD,
        logical::WAF_WEB_ACL,
        logical::WAF_ASSOCIATION,
    ] {
        assert_eq!(read.resources.get(key), again.resources.get(key), "{key}");
    }
    assert!(read.resources.contains_key(logical::WAF_ASSOCIATION));
    assert_eq!(read.spec.waf, again.spec.waf);
    assert_eq!(read.spec.storage, again.spec.storage);
    assert_eq!(read.spec.database, again.spec.database);
    assert_eq!(read.spec.load_balancer, again.spec.load_balancer);
    assert_eq!(read.spec.autoscaling, again.spec.autoscaling);
    assert_eq!(read.spec.wordpress, again.spec.wordpress);
    assert_eq!(read.outputs.url, again.outputs.url);

    // Destroy leaves nothing of the service tiers, and a final snapshot.
    w.engine
        .destroy(&read, &CancellationToken::new())
        .await
        .unwrap_or_else(|f| panic!("destroy failed: {}", f.error));
    assert!(efs::describe_file_system(&clients, &fs_id)
        .await
        .unwrap()
        .is_none());
    assert!(rds::describe_db_instance(&clients, "wp-db")
        .await
        .unwrap()
        .is_none());
    assert!(rds::describe_db_subnet_group(&clients, "wp-db-subnets")
        .await
        .unwrap()
        .is_none());
    assert!(elbv2::describe_load_balancer(&clients, &lb.arn)
        .await
        .unwrap()
        .is_none());
    assert!(elbv2::describe_target_group(&clients, &tg_arn)
        .await
        .unwrap()
        .is_none());
    assert!(autoscaling::describe_group(&clients, "wp-asg")
        .await
        .unwrap()
        .is_none());
    assert!(launch_template::describe(&clients, &template_id)
        .await
        .unwrap()
        .is_none());
    assert!(route53::find_alias(&clients, &zone, "blog.example.com")
        .await
        .unwrap()
        .is_none());
    assert!(
        snapshot_names(&clients, "wp-db")
            .await
            .iter()
            .any(|id| id.starts_with("wp-final-")),
        "a final snapshot is taken unless skip_final_snapshot"
    );
}

/// Snapshots of the instance, by name.
async fn snapshot_names(clients: &Clients, instance: &str) -> Vec<String> {
    let snapshots = clients
        .rds
        .describe_db_snapshots()
        .db_instance_identifier(instance)
        .send()
        .await
        .unwrap();
    snapshots
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier().map(str::to_string))
        .collect()
}

/// The same stack name destroyed twice within one second would pick a taken final snapshot
/// name; the destroy must still succeed, under a new name, and leave the older snapshot be.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destroy_takes_a_new_final_snapshot_name_when_the_name_is_taken() {
    let w = support::world().await;
    let clients = clients_for(&w).await;
    let spec = support::spec("snap", &ZONES, NatMode::Single, false);
    let state = match w.engine.apply(&spec, None, &CancellationToken::new()).await {
        Ok(state) => state,
        Err(failure) => panic!("apply failed: {}", failure.error),
    };
    // Take every name the next minute's destroy could pick, so the test does not hang on
    // the clock.
    let now = SystemTime::now();
    let taken: Vec<String> = (0..60)
        .map(|s| database::final_snapshot_identifier("snap", now + Duration::from_secs(s)))
        .collect();
    for name in &taken {
        clients
            .rds
            .create_db_snapshot()
            .db_instance_identifier("snap-db")
            .db_snapshot_identifier(name)
            .send()
            .await
            .unwrap();
    }

    w.engine
        .destroy(&state, &CancellationToken::new())
        .await
        .unwrap_or_else(|f| panic!("destroy failed: {}", f.error));

    let names = snapshot_names(&clients, "snap-db").await;
    let new: Vec<&String> = names.iter().filter(|n| !taken.contains(n)).collect();
    assert_eq!(new.len(), 1, "one final snapshot more: {names:?}");
    assert!(
        new[0].starts_with("snap-final-") && new[0].ends_with("-2"),
        "{}",
        new[0]
    );
    assert!(rds::describe_db_instance(&clients, "snap-db")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destroy_refuses_a_database_with_deletion_protection() {
    let w = support::world().await;
    let mut spec = support::spec("guarded", &ZONES, NatMode::Single, false);
    spec.database.deletion_protection = true;
    let state = match w.engine.apply(&spec, None, &CancellationToken::new()).await {
        Ok(state) => state,
        Err(failure) => panic!("apply failed: {}", failure.error),
    };
    let failure = w
        .engine
        .destroy(&state, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(failure.error, StackError::Refused { .. }),
        "{}",
        failure.error
    );
    assert!(
        failure.error.to_string().contains("deletion protection"),
        "{}",
        failure.error
    );
    assert!(
        failure.state.resources.contains_key(logical::DB_INSTANCE),
        "the instance stays in the state"
    );
}

async fn apply_ok(
    w: &support::World,
    spec: &stack_core::StackSpec,
    prior: Option<&StackState>,
) -> StackState {
    match w.engine.apply(spec, prior, &CancellationToken::new()).await {
        Ok(state) => state,
        Err(failure) => panic!(
            "apply failed: {} (resources: {:?})",
            failure.error, failure.state.resources
        ),
    }
}

async fn clients_for(w: &support::World) -> Clients {
    let settings = AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(w.moto.endpoint()),
        ..AwsSettings::default()
    };
    Clients::connect(&settings).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_apply_in_place_new_template_version_https_listeners_and_dns_removal() {
    // The new template version is rolled out by an instance refresh, which moto lacks.
    let w = support::world_with_quick_refreshes().await;
    let clients = clients_for(&w).await;
    let zone = hosted_zone(&clients, "example.com").await;
    let first = apply_ok(&w, &full_spec(&zone), None).await;
    let first_version = first.outputs.launch_template_version.unwrap();

    let certificate = request_certificate(&w.moto).await;
    let mut changed = first.spec.clone();
    changed.wordpress.instance_type = "t3.medium".into();
    changed.autoscaling.max_size = 6;
    changed.autoscaling.target_cpu_utilization = 50.0;
    changed.load_balancer.idle_timeout = 120;
    changed.load_balancer.health_check_path = "/ok.html".into();
    changed.load_balancer.certificate_arn = Some(certificate.clone());
    changed.database.instance_class = "db.t3.small".into();
    changed.database.backup_retention_days = 3;
    changed.dns = None;
    let second = apply_ok(&w, &changed, Some(&first)).await;

    // Same objects, updated in place.
    for key in [
        logical::EFS_FILE_SYSTEM,
        logical::DB_INSTANCE,
        logical::LOAD_BALANCER,
        logical::TARGET_GROUP,
        logical::LAUNCH_TEMPLATE,
        logical::AUTOSCALING_GROUP,
    ] {
        assert_eq!(second.resources.get(key), first.resources.get(key), "{key}");
    }
    // The template got a new version, and the group moved to it explicitly.
    let version = second.outputs.launch_template_version.unwrap();
    assert_eq!(version, first_version + 1);
    let template_id = resource(&second, logical::LAUNCH_TEMPLATE);
    let data = launch_template::describe_version(&clients, &template_id, version)
        .await
        .unwrap()
        .unwrap()
        .data;
    assert_eq!(data.instance_type, "t3.medium");
    let group = autoscaling::describe_group(&clients, "wp-asg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.launch_template_version, Some(version.to_string()));
    assert_eq!(group.max_size, 6);
    let policy = autoscaling::describe_policy(&clients, "wp-asg", "wp-cpu-target")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.target_value, Some(50.0));
    // The same secrets: instances of both versions share logins and the database.
    assert_eq!(second.secrets, first.secrets);
    assert_eq!(second.spec.database.password, first.spec.database.password);

    // Load balancing: idle timeout, health check, HTTPS forwarding and HTTP redirecting.
    let lb_arn = resource(&second, logical::LOAD_BALANCER);
    assert_eq!(
        elbv2::idle_timeout(&clients, &lb_arn).await.unwrap(),
        Some(120)
    );
    let tg = elbv2::describe_target_group(&clients, &resource(&second, logical::TARGET_GROUP))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tg.health_check_path.as_deref(), Some("/ok.html"));
    let listeners = elbv2::listeners(&clients, &lb_arn).await.unwrap();
    let https = listeners
        .iter()
        .find(|l| l.port == Some(443))
        .expect("HTTPS listener");
    assert_eq!(https.certificate_arn.as_deref(), Some(certificate.as_str()));
    assert_eq!(https.ssl_policy.as_deref(), Some(elbv2::TLS_POLICY));
    assert_eq!(
        https.action,
        Some(ListenerAction::Forward {
            target_group_arn: tg.arn.clone()
        })
    );
    let http = listeners
        .iter()
        .find(|l| l.port == Some(80))
        .expect("HTTP listener");
    assert_eq!(http.action, Some(ListenerAction::RedirectToHttps));
    assert!(second.resources.contains_key(logical::HTTPS_LISTENER));

    // Database modified in place.
    let db = rds::describe_db_instance(&clients, "wp-db")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.instance_class, "db.t3.small");
    assert_eq!(db.backup_retention_days, 3);

    // DNS removed: the record is gone, the URL is the ALB's, over HTTPS.
    assert!(route53::find_alias(&clients, &zone, "blog.example.com")
        .await
        .unwrap()
        .is_none());
    assert!(!second.resources.contains_key(logical::DNS_RECORD));
    let lb = elbv2::describe_load_balancer(&clients, &lb_arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.outputs.url, Some(format!("https://{}", lb.dns_name)));

    // Read agrees with what was applied.
    let read = w.engine.read(&second).await.unwrap().unwrap();
    assert_eq!(read.spec.load_balancer, second.spec.load_balancer);
    assert_eq!(read.spec.autoscaling, second.spec.autoscaling);
    assert_eq!(read.spec.wordpress, second.spec.wordpress);
    assert_eq!(read.outputs.launch_template_version, Some(version));
    assert_eq!(read.outputs.url, second.outputs.url);

    let mut skip_snapshot = read.clone();
    skip_snapshot.spec.database.skip_final_snapshot = true;
    w.engine
        .destroy(&skip_snapshot, &CancellationToken::new())
        .await
        .unwrap_or_else(|f| panic!("destroy failed: {}", f.error));
    let snapshots = clients.rds.describe_db_snapshots().send().await.unwrap();
    assert!(
        snapshots.db_snapshots().is_empty(),
        "skip_final_snapshot takes none"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_sees_objects_deleted_out_of_band_and_apply_recreates_them() {
    let w = support::world().await;
    let clients = clients_for(&w).await;
    let zone = hosted_zone(&clients, "example.com").await;
    let state = apply_ok(&w, &full_spec(&zone), None).await;

    autoscaling::delete_group(&clients, "wp-asg").await.unwrap();
    autoscaling::wait_group_deleted(&clients, &bounds(), "wp-asg")
        .await
        .unwrap();
    elbv2::delete_listener(&clients, &resource(&state, logical::HTTP_LISTENER))
        .await
        .unwrap();
    route53::delete_alias(&clients, &zone, "blog.example.com", None)
        .await
        .unwrap();

    let read = w
        .engine
        .read(&state)
        .await
        .unwrap()
        .expect("the stack still exists");
    for gone in [
        logical::AUTOSCALING_GROUP,
        logical::SCALING_POLICY,
        logical::HTTP_LISTENER,
        logical::DNS_RECORD,
    ] {
        assert!(
            !read.resources.contains_key(gone),
            "{gone} should be gone after the read"
        );
    }
    assert!(read.resources.contains_key(logical::LOAD_BALANCER));

    let repaired = apply_ok(&w, &read.spec, Some(&read)).await;
    for key in [
        logical::AUTOSCALING_GROUP,
        logical::SCALING_POLICY,
        logical::HTTP_LISTENER,
        logical::DNS_RECORD,
    ] {
        assert!(repaired.resources.contains_key(key), "{key} recreated");
    }
    assert!(autoscaling::describe_group(&clients, "wp-asg")
        .await
        .unwrap()
        .is_some());
    assert!(route53::find_alias(&clients, &zone, "blog.example.com")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        repaired.outputs.launch_template_version, state.outputs.launch_template_version,
        "the template did not change, so neither does its version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_rebuilds_the_service_tiers_from_aws() {
    let w = support::world().await;
    let clients = clients_for(&w).await;
    let zone = hosted_zone(&clients, "example.com").await;
    let state = apply_ok(&w, &full_spec(&zone), None).await;

    let imported = w.engine.import("wp").await.unwrap();
    for key in [
        logical::EFS_FILE_SYSTEM,
        logical::DB_INSTANCE,
        logical::DB_SUBNET_GROUP,
        logical::LOAD_BALANCER,
        logical::TARGET_GROUP,
        logical::HTTP_LISTENER,
        logical::LAUNCH_TEMPLATE,
        logical::AUTOSCALING_GROUP,
        logical::SCALING_POLICY,
        logical::DNS_RECORD,
    ] {
        assert_eq!(
            imported.resources.get(key),
            state.resources.get(key),
            "{key}"
        );
    }
    for az in ZONES {
        let key = qualified(logical::EFS_MOUNT_TARGET, az);
        assert_eq!(
            imported.resources.get(&key),
            state.resources.get(&key),
            "{key}"
        );
    }
    assert_eq!(
        imported.spec.dns,
        state.spec.dns.clone().map(|d| DnsSpec {
            zone_id: route53::bare_zone_id(&d.zone_id).to_string(),
            record_name: route53::normalize(&d.record_name),
            allow_overwrite: false,
        })
    );
    assert_eq!(imported.spec.storage, state.spec.storage);
    assert_eq!(imported.spec.autoscaling, state.spec.autoscaling);
    assert_eq!(imported.spec.load_balancer, state.spec.load_balancer);
    // RDS never reads a password back, but the stack's secret does.
    assert_eq!(imported.spec.database, state.spec.database);
    assert_eq!(imported.outputs.url, state.outputs.url);
    assert_eq!(imported.outputs.db_endpoint, state.outputs.db_endpoint);
}
