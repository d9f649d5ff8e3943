//! Shared by every topic: a moto of its own with a proxy in front, and SDK clients aimed at it.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_fault_proxy::{FaultConfig, FaultProxy, Stats};
use aws_sdk_ec2::types::AttributeBooleanValue;
use stack_tests::Moto;

/// A moto of its own and a proxy in front of it.
pub struct Rig {
    pub proxy: FaultProxy,
    _moto: Moto,
}

impl Rig {
    pub async fn start(config: FaultConfig) -> Rig {
        let moto = Moto::start_async().await.expect("moto starts");
        let proxy = FaultProxy::start(&moto.endpoint(), config).expect("proxy starts");
        Rig { proxy, _moto: moto }
    }

    /// SDK config aimed at the proxy, with `attempts` tries per call and short backoffs.
    pub async fn sdk(&self, attempts: u32) -> SdkConfig {
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

    pub fn stats(&self) -> Stats {
        self.proxy.stats()
    }
}

pub fn config(json: &str) -> FaultConfig {
    FaultConfig::from_json(json).expect("valid test config")
}

pub async fn create_vpc(
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

pub async fn vpc_count(ec2: &aws_sdk_ec2::Client) -> usize {
    // moto starts with a default VPC; count only ours.
    let vpcs = ec2.describe_vpcs().send().await.expect("describe vpcs");
    vpcs.vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some("10.0.0.0/16"))
        .count()
}

pub async fn vpc_with_subnets(ec2: &aws_sdk_ec2::Client) -> (String, Vec<String>) {
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

/// A bodyful HTTP/1.0 request over a plain socket; returns (status, body).
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
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

/// A launch template from moto's default image, naming `profile` when given.
pub async fn launch_template(ec2: &aws_sdk_ec2::Client, name: &str, profile: Option<&str>) {
    let profile = profile.map(|p| {
        aws_sdk_ec2::types::LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
            .name(p)
            .build()
    });
    let data = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .set_iam_instance_profile(profile)
        .build();
    ec2.create_launch_template()
        .launch_template_name(name)
        .launch_template_data(data)
        .send()
        .await
        .expect("launch template");
}

/// Create a one-instance group from the template's latest version.
pub async fn create_group(
    asg: &aws_sdk_autoscaling::Client,
    name: &str,
    template: &str,
    subnets: &[String],
    target_group: Option<&str>,
) -> Result<
    (),
    aws_sdk_autoscaling::error::SdkError<
        aws_sdk_autoscaling::operation::create_auto_scaling_group::CreateAutoScalingGroupError,
    >,
> {
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(template)
                .version("$Latest")
                .build(),
        )
        .min_size(1)
        .max_size(1)
        .vpc_zone_identifier(subnets.join(","))
        .set_target_group_arns(target_group.map(|arn| vec![arn.to_string()]))
        .send()
        .await
        .map(|_| ())
}

/// The group's instances as Auto Scaling reports them.
pub async fn group_instances(
    asg: &aws_sdk_autoscaling::Client,
    name: &str,
) -> Vec<aws_sdk_autoscaling::types::Instance> {
    let groups = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("describe group");
    groups
        .auto_scaling_groups()
        .first()
        .map(|g| g.instances().to_vec())
        .unwrap_or_default()
}
