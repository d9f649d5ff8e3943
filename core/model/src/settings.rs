//! The provider block's AWS settings and why they may not work: plain data the provider fills
//! from its configuration and turns into diagnostics; the checks and clients that use them
//! live in `stack_core::aws`.

use std::collections::BTreeMap;

/// The provider block's AWS settings, as the provider decoded them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Else `AWS_REGION` / the profile's region, as the AWS CLI does.
    pub region: Option<String>,
    pub profile: Option<String>,
    /// One endpoint for every service (a local emulator); else `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// Tags on every object, under the stack's own tags.
    pub default_tags: BTreeMap<String, String>,
    /// Attempts per call, including the first (SDK standard retry mode).
    pub max_retries: Option<u32>,
}

/// Why the provider's AWS settings cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("AWS profile {profile:?} is not defined in the shared config or credentials files")]
    ProfileNotFound {
        profile: String,
        /// Profiles the files do define, sorted.
        known: Vec<String>,
    },
    #[error("no AWS credentials found: {cause}")]
    NoCredentials { cause: String },
    #[error("AWS rejected the credentials ({code}): {message}")]
    CredentialsRejected { code: String, message: String },
    #[error("cannot reach the AWS endpoint {endpoint}: {cause}")]
    Unreachable {
        /// `endpoint_url`, else `AWS_ENDPOINT_URL`, else AWS's own endpoint for the region.
        endpoint: String,
        /// Whether the endpoint came from the provider block (rather than the environment).
        from_settings: bool,
        cause: String,
    },
}
