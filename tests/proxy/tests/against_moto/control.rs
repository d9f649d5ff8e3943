//! The control API and the binary.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_fault_proxy::{FaultConfig, Stats};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use stack_tests::Moto;

use crate::common::*;

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
