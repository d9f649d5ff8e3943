//! ACM: only read, at plan, to check the certificate a stack's HTTPS listener names (issued,
//! and covering the record name) before anything is built.

use crate::aws::{Clients, SendFor};
use crate::error::Result;
use crate::preflight::CertificateFacts;

/// The certificate's status and names, or `None` when ACM does not know the ARN here.
pub async fn certificate(clients: &Clients, arn: &str) -> Result<Option<CertificateFacts>> {
    let output = match clients
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .for_object(arn)
        .await
    {
        Ok(output) => output,
        Err(error)
            if matches!(
                error.aws_code(),
                Some("ResourceNotFoundException" | "InvalidArnException")
            ) =>
        {
            return Ok(None)
        }
        Err(error) => return Err(error),
    };
    Ok(output.certificate().map(|detail| {
        let mut names: Vec<String> = detail
            .domain_name()
            .into_iter()
            .map(str::to_string)
            .collect();
        for alternative in detail.subject_alternative_names() {
            if !names.contains(alternative) {
                names.push(alternative.clone());
            }
        }
        CertificateFacts {
            status: detail
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            names,
        }
    }))
}
