//! What really exists in (moto's) AWS, seen through the SDK: every e2e test, the reliability
//! runner and the benchmark assert on this, not only on Terraform's output.
//!
//! - [`AwsInspector`]: SDK clients for one endpoint with the test credentials.
//! - [`census`]: [`AwsInspector::tagged_objects`], every object tagged
//!   `wordpress-ha:stack = <name>`, asked of each service directly (moto's tagging API misses
//!   EIPs, launch templates, ASGs, Route 53, IAM and secrets).
//! - [`inventory`]: [`Inventory`], the census plus the parts that cannot carry the tag (mount
//!   targets, listeners, route-table associations, scaling policy, role policy, DNS record,
//!   the web ACL's association).
//! - [`network`] and [`services`]: look-ups of one kind of object, for assertions;
//!   [`hardening`]: the EFS backup and file system policies, the DB parameter group.
//! - [`zone`]: hosted zones with AWS-shaped ids and their record sets.
//! - [`waf`]: the web ACL guarding a resource, rule by rule.
//! - [`alarms`]: the alarms, their topic and its subscriptions.
//! - [`teardown`]: a stack's VPC and everything in it deleted out of band, as an operator would.

pub mod alarms;
pub mod census;
pub mod hardening;
pub mod inventory;
pub mod network;
pub mod services;
pub mod teardown;
pub mod waf;
pub mod zone;

use std::fmt;

use aws_sdk_ec2::types::Filter;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::harness::moto::Moto;
use crate::REGION;

pub use inventory::Inventory;

/// The ownership tag every object of a stack carries (mirrors `stack_core::naming::STACK_TAG`).
pub const STACK_TAG: &str = "wordpress-ha:stack";
/// The region tag of the stack's IAM objects (mirrors `stack_core::naming::REGION_TAG`).
pub const REGION_TAG: &str = "wordpress-ha:region";

/// An inspection call that failed: which service, which operation, what AWS said.
#[derive(Debug, thiserror::Error)]
#[error("{service} {operation} failed: {message}")]
pub struct InspectError {
    pub service: &'static str,
    pub operation: &'static str,
    pub message: String,
}

/// `map_err` adapter naming the service and operation of a failed SDK call.
pub(crate) fn inspect_error<E: std::error::Error>(
    service: &'static str,
    operation: &'static str,
) -> impl FnOnce(E) -> InspectError {
    move |err| InspectError {
        service,
        operation,
        message: DisplayErrorContext(&err).to_string(),
    }
}

/// One AWS object that belongs to a stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaggedObject {
    pub service: &'static str,
    pub kind: &'static str,
    pub id: String,
}

impl fmt::Display for TaggedObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.service, self.kind, self.id)
    }
}

/// SDK clients pointed at one endpoint, with the test credentials.
#[derive(Debug, Clone)]
pub struct AwsInspector {
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub efs: aws_sdk_efs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub route53: aws_sdk_route53::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub iam: aws_sdk_iam::Client,
    pub wafv2: aws_sdk_wafv2::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl AwsInspector {
    pub async fn for_moto(moto: &Moto) -> AwsInspector {
        AwsInspector::connect(&moto.endpoint()).await
    }

    /// Clients for `endpoint`, region `us-east-1`, fake static credentials (nothing read from
    /// the environment, so tests never reach a real account).
    pub async fn connect(endpoint: &str) -> AwsInspector {
        AwsInspector::connect_in(endpoint, REGION).await
    }

    /// Like [`AwsInspector::for_moto`], in `region` (moto serves every region at once).
    pub async fn for_moto_in(moto: &Moto, region: &str) -> AwsInspector {
        AwsInspector::connect_in(&moto.endpoint(), region).await
    }

    /// Like [`AwsInspector::connect`], in `region`.
    pub async fn connect_in(endpoint: &str, region: &str) -> AwsInspector {
        let credentials =
            aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "e2e-tests");
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            .load()
            .await;
        AwsInspector::from_config(&config)
    }

    /// Clients for an account as the AWS SDK finds it in the environment (credentials chain,
    /// profile), in `region`, at `endpoint` when given (otherwise AWS itself).
    pub async fn for_account(region: &str, endpoint: Option<&str>) -> AwsInspector {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()));
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        AwsInspector::from_config(&loader.load().await)
    }

    fn from_config(config: &aws_types::SdkConfig) -> AwsInspector {
        AwsInspector {
            ec2: aws_sdk_ec2::Client::new(config),
            rds: aws_sdk_rds::Client::new(config),
            efs: aws_sdk_efs::Client::new(config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(config),
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            route53: aws_sdk_route53::Client::new(config),
            secretsmanager: aws_sdk_secretsmanager::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            wafv2: aws_sdk_wafv2::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
        }
    }
}

/// The security groups an instance is in. Groups given through the launch's network interface
/// show there (moto) or on the instance (AWS): both are read.
pub fn instance_group_ids(
    instance: &aws_sdk_ec2::types::Instance,
) -> std::collections::BTreeSet<&str> {
    instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .chain(
            instance
                .network_interfaces()
                .iter()
                .flat_map(|nic| nic.groups())
                .filter_map(|g| g.group_id()),
        )
        .collect()
}

/// EC2 filter `tag:wordpress-ha:stack = <stack>`.
pub fn stack_filter(stack: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{STACK_TAG}"))
        .values(stack)
        .build()
}

/// The value of tag `key` in an EC2 tag list.
pub fn ec2_tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}
