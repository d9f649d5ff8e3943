//! AWS error responses in each protocol's own shape, so the SDK parses the code exactly as it
//! would from AWS (and its retry classifier sees a throttle as a throttle).

use std::borrow::Cow;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

use crate::identify::Protocol;

/// An error AWS could answer with: HTTP status, error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl AwsError {
    /// The throttling error of each protocol, with the status AWS uses for it.
    pub fn throttling(protocol: Protocol) -> AwsError {
        let (status, code) = match protocol {
            Protocol::Ec2Query => (503, "RequestLimitExceeded"),
            Protocol::AwsQuery | Protocol::RestXml => (400, "Throttling"),
            Protocol::RestJson => (429, "ThrottlingException"),
            Protocol::AwsJson => (400, "ThrottlingException"),
        };
        AwsError {
            status,
            code: Cow::Borrowed(code),
            message: "Rate exceeded (injected by aws-fault-proxy)".to_string(),
        }
    }

    /// A server-side failure: 500 `InternalError` or 503 `ServiceUnavailable`.
    pub fn server_error(unavailable: bool) -> AwsError {
        let (status, code) = if unavailable {
            (503, "ServiceUnavailable")
        } else {
            (500, "InternalError")
        };
        AwsError {
            status,
            code: Cow::Borrowed(code),
            message: "Service failure (injected by aws-fault-proxy)".to_string(),
        }
    }

    /// EC2's refusal to delete an object something still depends on.
    pub fn dependency_violation(id: &str) -> AwsError {
        AwsError {
            status: 400,
            code: Cow::Borrowed("DependencyViolation"),
            message: format!("resource {id} has a dependent object (injected by aws-fault-proxy)"),
        }
    }

    /// Any error a test asks for, e.g. a non-retryable `InvalidParameterValue` to fail one step.
    pub fn custom(status: u16, code: &str, message: Option<&str>) -> AwsError {
        AwsError {
            status,
            code: Cow::Owned(code.to_string()),
            message: message
                .unwrap_or("Failure injected by aws-fault-proxy")
                .to_string(),
        }
    }

    /// The response in `protocol`'s wire format.
    pub fn into_response(self, protocol: Protocol) -> Response<Full<Bytes>> {
        let request_id = "00000000-fa17-fa17-fa17-000000000000";
        let code = self.code.as_ref();
        let message = xml_escape(&self.message);
        let (content_type, body) = match protocol {
            Protocol::Ec2Query => (
                "text/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
                ),
            ),
            Protocol::AwsQuery | Protocol::RestXml => (
                "text/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                    if self.status >= 500 { "Receiver" } else { "Sender" }
                ),
            ),
            Protocol::RestJson => (
                "application/json",
                serde_json::json!({ "ErrorCode": code, "Message": self.message }).to_string(),
            ),
            Protocol::AwsJson => (
                "application/x-amz-json-1.1",
                serde_json::json!({ "__type": code, "message": self.message }).to_string(),
            ),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let headers = response.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(content_type),
        );
        headers.insert(
            "x-amzn-requestid",
            hyper::header::HeaderValue::from_static(request_id),
        );
        let error_type = hyper::header::HeaderValue::from_str(code);
        if let (true, Ok(error_type)) = (
            matches!(protocol, Protocol::RestJson | Protocol::AwsJson),
            error_type,
        ) {
            headers.insert("x-amzn-errortype", error_type);
        }
        response
    }
}

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(response: Response<Full<Bytes>>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn ec2_throttling_is_a_503_request_limit_exceeded() {
        let response = AwsError::throttling(Protocol::Ec2Query).into_response(Protocol::Ec2Query);
        assert_eq!(response.status(), 503);
        let body = body_of(response).await;
        assert!(
            body.contains("<Errors><Error><Code>RequestLimitExceeded</Code>"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn json_errors_carry_the_code_in_header_and_body() {
        let response = AwsError::throttling(Protocol::RestJson).into_response(Protocol::RestJson);
        assert_eq!(response.status(), 429);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ThrottlingException"
        );
        let response = AwsError::throttling(Protocol::AwsJson).into_response(Protocol::AwsJson);
        let body = body_of(response).await;
        assert!(
            body.contains("\"__type\":\"ThrottlingException\""),
            "{body}"
        );
    }

    #[tokio::test]
    async fn query_errors_use_error_response() {
        let response = AwsError::server_error(true).into_response(Protocol::AwsQuery);
        assert_eq!(response.status(), 503);
        let body = body_of(response).await;
        assert!(
            body.contains(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
            ),
            "{body}"
        );
    }
}
