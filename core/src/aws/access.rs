//! Can the provider's settings work at all? One cheap check when the provider is configured,
//! so a wrong endpoint, a missing profile or absent credentials fail at once with a message
//! that says what to fix, instead of minutes of retries halfway through an apply.
//!
//! The check reads the named profile, resolves credentials through the standard chain, and
//! lists the region's zones (the call planning needs anyway, so its answer is kept). A first
//! attempt without retries tells a refused connection (nothing listens: fail now) from a
//! transient fault (throttling, a dropped connection: retry with the normal policy).

use std::borrow::Cow;
use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::ProvideCredentials;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::os_shim_internal::{Env, Fs};

use super::call::describe_sdk_failure;
use super::{ec2, AwsSettings, Clients};
pub use crate::settings::AccessError;

/// Longest the credential chain may take (SSO, credential processes, instance roles).
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(30);

/// AWS error codes that mean "these credentials are not accepted".
const REJECTED_CREDENTIAL_CODES: &[&str] = &[
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
];

/// Checks `settings` against AWS; the region's zones when they could be listed (`None` when a
/// transient fault outlived the retries: planning will ask again).
pub async fn check(
    clients: &Clients,
    settings: &AwsSettings,
) -> Result<Option<Vec<String>>, AccessError> {
    if let Some(profile) = &settings.profile {
        check_profile_exists(profile).await?;
    }
    check_credentials(settings).await?;
    list_zones(clients, settings).await
}

async fn check_profile_exists(profile: &str) -> Result<(), AccessError> {
    let loaded = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        // The standard files: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws.
        &Default::default(),
        Some(Cow::Owned(profile.to_string())),
    )
    .await;
    // Unreadable or absent files hold no profile at all.
    let known: Vec<String> = match &loaded {
        Ok(set) => {
            let mut names: Vec<String> = set.profiles().map(str::to_string).collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    };
    if known.iter().any(|name| name == profile) {
        Ok(())
    } else {
        Err(AccessError::ProfileNotFound {
            profile: profile.to_string(),
            known,
        })
    }
}

/// Resolves credentials through the same standard chain the clients use (the clients do not
/// expose theirs).
async fn check_credentials(settings: &AwsSettings) -> Result<(), AccessError> {
    let mut chain = DefaultCredentialsChain::builder();
    if let Some(profile) = &settings.profile {
        chain = chain.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        chain = chain.region(aws_config::Region::new(region.clone()));
    }
    let resolved = tokio::time::timeout(CREDENTIALS_TIMEOUT, async {
        chain.build().await.provide_credentials().await
    })
    .await;
    match resolved {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(AccessError::NoCredentials {
            cause: describe_sdk_failure(&err),
        }),
        Err(_) => Err(AccessError::NoCredentials {
            cause: format!("the credential chain gave no answer within {CREDENTIALS_TIMEOUT:?}"),
        }),
    }
}

/// One attempt without retries, then, unless nothing listens at the endpoint, the normal
/// retry policy.
async fn list_zones(
    clients: &Clients,
    settings: &AwsSettings,
) -> Result<Option<Vec<String>>, AccessError> {
    let single_attempt = aws_sdk_ec2::config::Builder::default()
        .retry_config(RetryConfig::standard().with_max_attempts(1));
    let first = describe_zones(clients, Some(single_attempt)).await;
    let err = match first {
        Ok(zones) => return Ok(Some(zones)),
        Err(err) => err,
    };
    if let Some(problem) = classify(&err, settings, false) {
        return Err(problem);
    }
    match describe_zones(clients, None).await {
        Ok(zones) => Ok(Some(zones)),
        Err(err) => match classify(&err, settings, true) {
            Some(problem) => Err(problem),
            None => {
                tracing::warn!(error = %describe_sdk_failure(&err), "could not list availability zones while configuring");
                Ok(None)
            }
        },
    }
}

type ZonesError = SdkError<
    aws_sdk_ec2::operation::describe_availability_zones::DescribeAvailabilityZonesError,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

async fn describe_zones(
    clients: &Clients,
    config_override: Option<aws_sdk_ec2::config::Builder>,
) -> Result<Vec<String>, ZonesError> {
    let mut request = ec2::zones_request(clients).customize();
    if let Some(config) = config_override {
        request = request.config_override(config);
    }
    Ok(ec2::zone_names(&request.send().await?))
}

/// The settings problem an error shows, if it shows one. `retried`: the normal retry policy
/// has already given up, so any failure to connect means the endpoint cannot be reached.
fn classify(err: &ZonesError, settings: &AwsSettings, retried: bool) -> Option<AccessError> {
    if let SdkError::ServiceError(service) = err {
        let code = service.err().code()?;
        return REJECTED_CREDENTIAL_CODES.contains(&code).then(|| {
            AccessError::CredentialsRejected {
                code: code.to_string(),
                message: service.err().message().unwrap_or_default().to_string(),
            }
        });
    }
    let cannot_connect = match err {
        SdkError::DispatchFailure(failure) => {
            retried
                || failure.is_timeout()
                || failure
                    .as_connector_error()
                    .is_some_and(|connector| nothing_listens(connector))
        }
        SdkError::TimeoutError(_) => retried,
        _ => false,
    };
    cannot_connect.then(|| unreachable(settings, describe_sdk_failure(err)))
}

fn unreachable(settings: &AwsSettings, cause: String) -> AccessError {
    let from_env = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let (endpoint, from_settings) = match (&settings.endpoint_url, from_env) {
        (Some(endpoint), _) => (endpoint.clone(), true),
        (None, Some(endpoint)) => (endpoint, false),
        (None, None) => ("of AWS for the region".to_string(), false),
    };
    AccessError::Unreachable {
        endpoint,
        from_settings,
        cause,
    }
}

/// Whether the cause chain says no server is there: connection refused, no route, or a host
/// name that does not resolve.
fn nothing_listens(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut current = Some(err);
    while let Some(cause) = current {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
            ) {
                return true;
            }
        }
        if cause.to_string().contains("dns error") {
            return true;
        }
        current = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_recognised_through_the_cause_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("tcp connect error")]
        struct Wrapper(#[source] std::io::Error);
        let refused = Wrapper(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(nothing_listens(&refused));
        let reset = Wrapper(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(!nothing_listens(&reset));
    }

    #[test]
    fn the_endpoint_of_the_settings_is_named() {
        let settings = AwsSettings {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            ..AwsSettings::default()
        };
        let AccessError::Unreachable {
            endpoint,
            from_settings,
            ..
        } = unreachable(&settings, "refused".into())
        else {
            panic!("not an unreachable error");
        };
        assert_eq!(endpoint, "http://127.0.0.1:9");
        assert!(from_settings);
    }
}
