//! Success answers the proxy writes itself for APIs moto lacks, in the wire format the SDK
//! parses: the query protocol's `<XResponse><XResult>` envelope, or REST-JSON.

use std::time::SystemTime;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};

use crate::aws_errors::xml_escape;

const REQUEST_ID: &str = "00000000-fa17-fa17-fa17-0000000000a5";

/// Auto Scaling's XML namespace, which its responses declare.
pub const AUTOSCALING_XMLNS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// A whole successful response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    /// The query protocol's envelope around `result` (already XML).
    pub fn query(operation: &str, xmlns: &str, result: &str) -> Reply {
        Reply {
            status: 200,
            content_type: "text/xml",
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{operation}Response xmlns=\"{xmlns}\"><{operation}Result>{result}</{operation}Result><ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata></{operation}Response>"
            ),
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: value.to_string(),
        }
    }

    pub fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert("x-amzn-requestid", HeaderValue::from_static(REQUEST_ID));
        response
    }
}

/// `<tag>text</tag>` with the text escaped.
pub fn element(tag: &str, text: &str) -> String {
    format!("<{tag}>{}</{tag}>", xml_escape(text))
}

/// ISO 8601 in UTC with milliseconds, as AWS's XML timestamps are written.
pub fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_envelope_names_the_operation_twice() {
        let reply = Reply::query("StartInstanceRefresh", AUTOSCALING_XMLNS, "<A>1</A>");
        assert!(reply
            .body
            .contains("<StartInstanceRefreshResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><StartInstanceRefreshResult><A>1</A></StartInstanceRefreshResult>"));
        assert_eq!(element("M", "a<b"), "<M>a&lt;b</M>");
        assert!(timestamp(SystemTime::UNIX_EPOCH).starts_with("1970-01-01T00:00:00.000Z"));
    }
}
