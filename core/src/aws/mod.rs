//! AWS access: one `SdkConfig` for all services, one small module per service.
//!
//! No AWS SDK type leaves this module tree: each service module turns SDK results into the
//! core's own types and SDK errors into `StackError::Aws` (service, operation, object, code).

pub mod access;
pub mod acm;
pub mod autoscaling;
pub mod call;
pub mod call_log;
pub mod cloudwatch;
pub mod coalesce;
pub mod efs;
pub mod elbv2;
pub mod iam;
pub mod launch_template;
pub mod logs;
pub mod not_found;
pub mod propagation;
pub mod rds;
pub mod route53;
pub mod secretsmanager;
pub mod sns;
pub mod ssm;
pub mod wafv2;

pub mod ec2;
pub mod tags;

pub use crate::settings::AwsSettings;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

pub use call::{Operation, SendFor};

use crate::error::StackError;

/// Default attempts per call (first try + retries) when the provider block sets none.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// One client per service, all built from the same `SdkConfig`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Clients {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub efs: aws_sdk_efs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub route53: aws_sdk_route53::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub acm: aws_sdk_acm::Client,
    pub wafv2: aws_sdk_wafv2::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Set on a stack read's clients: its look-ups may share calls with other reads
    /// ([`coalesce`]). Creates, waits and deletes never go through it.
    pub coalescer: Option<coalesce::Coalescer>,
}

impl Clients {
    /// Load the standard AWS chain (env, profile, IMDS…) with the provider's overrides.
    /// Retries use the SDK's standard mode: jittered exponential backoff on throttling, 5xx and
    /// transient I/O errors, bounded by `max_retries` attempts.
    pub async fn connect(settings: &AwsSettings) -> Result<Clients, StackError> {
        let config = load_sdk_config(settings).await?;
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            StackError::Config(
                "no AWS region: set `region` in the provider block, or AWS_REGION".into(),
            )
        })?;
        // Each service's config from the shared one, plus the call log and the call naming.
        macro_rules! client {
            ($sdk:ident) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&config)
                        .interceptor(call_log::CallLog)
                        .interceptor(call::NameTheCall)
                        .build(),
                )
            };
        }
        Ok(Clients {
            region,
            ec2: client!(aws_sdk_ec2),
            rds: client!(aws_sdk_rds),
            efs: client!(aws_sdk_efs),
            elbv2: client!(aws_sdk_elasticloadbalancingv2),
            autoscaling: client!(aws_sdk_autoscaling),
            route53: client!(aws_sdk_route53),
            secretsmanager: client!(aws_sdk_secretsmanager),
            iam: client!(aws_sdk_iam),
            ssm: client!(aws_sdk_ssm),
            acm: client!(aws_sdk_acm),
            wafv2: client!(aws_sdk_wafv2),
            cloudwatch: client!(aws_sdk_cloudwatch),
            sns: client!(aws_sdk_sns),
            logs: client!(aws_sdk_cloudwatchlogs),
            coalescer: None,
        })
    }
}

async fn load_sdk_config(settings: &AwsSettings) -> Result<SdkConfig, StackError> {
    let attempts = settings.max_retries.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(attempts));
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    Ok(loader.load().await)
}

/// True when the error is AWS saying the object does not exist (any service's spelling).
pub fn is_not_found(err: &StackError) -> bool {
    err.is_not_found()
}

/// True when AWS gave no answer at all (the connection broke, timed out, or the response was
/// unreadable): the call may or may not have been executed.
pub fn outcome_unknown(err: &StackError) -> bool {
    matches!(err, StackError::Aws { code: None, .. })
}

/// True when AWS refused a create because the object is already there: after a lost answer,
/// the SDK's re-send meets the object the first call made.
pub fn already_exists(err: &StackError) -> bool {
    err.aws_code().is_some_and(|code| {
        matches!(
            code,
            "InvalidGroup.Duplicate"
                | "InvalidSubnet.Conflict"
                | "RouteAlreadyExists"
                | "Resource.AlreadyAssociated"
                | "MountTargetConflict"
                | "EntityAlreadyExists"
                | "AlreadyExists"
                | "AlreadyExistsFault"
                | "ResourceExistsException"
        ) || code.contains("AlreadyExists")
            || code.contains("DuplicateItem")
            || code.starts_with("Duplicate")
    })
}

/// A retry classifier that stops the SDK from re-sending a call whose connection failed: AWS
/// may have executed it, and re-sending a create that takes no idempotency token makes a second
/// object. Throttling and 5xx answers (refused, nothing done) are still retried. Attach it to
/// such creates with `.customize().config_override(<service config>.retry_classifier(NoBlindResend))`
/// and let the caller look for the object ([`crate::tiers::StepContext::create_or_adopt`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBlindResend;

impl ClassifyRetry for NoBlindResend {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(error))
                if error.is_connector_error()
                    || error.is_timeout_error()
                    || error.is_response_error() =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "NoBlindResend"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// EC2 call settings for a create without an idempotency token (see [`NoBlindResend`]).
pub fn ec2_send_once() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_classifier(NoBlindResend)
}

/// Elastic Load Balancing call settings for a create whose lost answer is resolved by a
/// look-up, not a blind re-send (see [`NoBlindResend`]).
pub fn elbv2_send_once() -> aws_sdk_elasticloadbalancingv2::config::Builder {
    aws_sdk_elasticloadbalancingv2::config::Builder::default().retry_classifier(NoBlindResend)
}
