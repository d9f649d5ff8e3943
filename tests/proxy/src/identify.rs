//! Which AWS service and operation a request is, and the parameters that name objects.
//!
//! The service comes from the SigV4 credential scope, which every signed request carries; the
//! operation from wherever that service's protocol puts it (form `Action=`, `X-Amz-Target`, or
//! the REST method and path).

use hyper::header::HeaderMap;
use hyper::Method;
use serde::{Deserialize, Serialize};

/// The wire protocol of a service: decides where the operation name lives and how errors look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// EC2's own query dialect: `<Response><Errors><Error>`.
    Ec2Query,
    /// The query protocol of RDS, ELBv2, Auto Scaling, IAM, STS: `<ErrorResponse><Error>`.
    AwsQuery,
    /// EFS: REST paths, JSON bodies, error code in `x-amzn-ErrorType`.
    RestJson,
    /// Route 53: REST paths, XML bodies.
    RestXml,
    /// Secrets Manager, SSM: `X-Amz-Target`, JSON bodies, error code in `__type`.
    AwsJson,
}

impl Protocol {
    pub fn of_service(service: &str) -> Protocol {
        match service {
            "ec2" => Protocol::Ec2Query,
            "elasticfilesystem" => Protocol::RestJson,
            "route53" => Protocol::RestXml,
            "secretsmanager" | "ssm" | "logs" | "kms" | "acm" | "wafv2" => Protocol::AwsJson,
            _ => Protocol::AwsQuery,
        }
    }
}

/// One AWS API call as the proxy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallId {
    /// The signing name: `ec2`, `rds`, `elasticfilesystem`, `elasticloadbalancing`, ...
    pub service: String,
    /// The API operation: `CreateVpc`, `DescribeDBInstances`, `CreateMountTarget`, ...
    pub operation: String,
}

/// A request taken apart: who it is for and the name/value parameters it carries (form fields,
/// query-string pairs, and REST path segments under the key `path`).
#[derive(Debug, Clone)]
pub struct AwsRequest {
    pub call: CallId,
    pub protocol: Protocol,
    pub params: Vec<(String, String)>,
}

impl AwsRequest {
    /// The values of parameters that name objects directly: filters are left out, since AWS
    /// answers a filter that matches nothing with an empty list, not NotFound.
    pub fn named_ids(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(|(key, _)| !key.starts_with("Filter") && key != "Action" && key != "Version")
            .map(|(_, value)| value.as_str())
    }

    /// The first value of parameter `name` (or of `name.1`, `name.member.1`, ...).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| {
                key == name || key.strip_prefix(name).is_some_and(|r| r.starts_with('.'))
            })
            .map(|(_, value)| value.as_str())
    }
}

/// Identify a request, or `None` when it is not a signed AWS call (it is then forwarded as is).
pub fn identify(
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<AwsRequest> {
    let service = signing_service(headers)?;
    let protocol = Protocol::of_service(&service);
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut params = parse_form(query);
    let operation = match protocol {
        Protocol::Ec2Query | Protocol::AwsQuery => {
            params.extend(parse_form(&String::from_utf8_lossy(body)));
            params
                .iter()
                .find(|(key, _)| key == "Action")
                .map(|(_, value)| value.clone())
        }
        Protocol::AwsJson => headers
            .get("x-amz-target")
            .and_then(|target| target.to_str().ok())
            .and_then(|target| target.rsplit('.').next())
            .map(str::to_string),
        Protocol::RestJson => Some(efs_operation(method, path)),
        Protocol::RestXml => Some(route53_operation(method, path)),
    }
    .unwrap_or_else(|| format!("{method} {path}"));
    // WAFv2 names its objects only in the JSON body: its top-level strings become parameters.
    if service == "wafv2" {
        if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body) {
            params.extend(
                fields
                    .into_iter()
                    .filter_map(|(key, value)| Some((key, value.as_str()?.to_string()))),
            );
        }
    }
    if matches!(protocol, Protocol::RestJson | Protocol::RestXml) {
        params.extend(
            path.split('/')
                .filter(|s| !s.is_empty())
                .map(|s| ("path".to_string(), percent_decode(s))),
        );
    }
    Some(AwsRequest {
        call: CallId { service, operation },
        protocol,
        params,
    })
}

/// `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, ...`
fn signing_service(headers: &HeaderMap) -> Option<String> {
    let authorization = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(3).map(str::to_string)
}

/// EFS REST routes (API version 2015-02-01) to operation names.
fn efs_operation(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).skip(1).collect();
    let name = match (method.as_str(), segments.as_slice()) {
        ("POST", ["file-systems"]) => "CreateFileSystem",
        ("GET", ["file-systems"]) => "DescribeFileSystems",
        ("PUT", ["file-systems", _]) => "UpdateFileSystem",
        ("DELETE", ["file-systems", _]) => "DeleteFileSystem",
        ("PUT", ["file-systems", _, "lifecycle-configuration"]) => "PutLifecycleConfiguration",
        ("GET", ["file-systems", _, "lifecycle-configuration"]) => "DescribeLifecycleConfiguration",
        ("PUT", ["file-systems", _, "backup-policy"]) => "PutBackupPolicy",
        ("GET", ["file-systems", _, "backup-policy"]) => "DescribeBackupPolicy",
        ("PUT", ["file-systems", _, "policy"]) => "PutFileSystemPolicy",
        ("GET", ["file-systems", _, "policy"]) => "DescribeFileSystemPolicy",
        ("POST", ["mount-targets"]) => "CreateMountTarget",
        ("GET", ["mount-targets"]) => "DescribeMountTargets",
        ("DELETE", ["mount-targets", _]) => "DeleteMountTarget",
        ("GET", ["mount-targets", _, "security-groups"]) => "DescribeMountTargetSecurityGroups",
        ("PUT", ["mount-targets", _, "security-groups"]) => "ModifyMountTargetSecurityGroups",
        ("POST", ["resource-tags", _]) => "TagResource",
        ("GET", ["resource-tags", _]) => "ListTagsForResource",
        ("DELETE", ["resource-tags", _]) => "UntagResource",
        ("POST", ["create-tags", _]) => "CreateTags",
        ("GET", ["tags", _]) => "DescribeTags",
        ("POST", ["access-points"]) => "CreateAccessPoint",
        ("GET", ["access-points"]) => "DescribeAccessPoints",
        ("DELETE", ["access-points", _]) => "DeleteAccessPoint",
        _ => return rest_fallback(method, path),
    };
    name.to_string()
}

/// Route 53 REST routes (API version 2013-04-01) to operation names.
fn route53_operation(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).skip(1).collect();
    let name = match (method.as_str(), segments.as_slice()) {
        ("POST", ["hostedzone"]) => "CreateHostedZone",
        ("GET", ["hostedzone"]) => "ListHostedZones",
        ("GET", ["hostedzone", _]) => "GetHostedZone",
        ("DELETE", ["hostedzone", _]) => "DeleteHostedZone",
        ("POST", ["hostedzone", _]) => "UpdateHostedZoneComment",
        ("POST", ["hostedzone", _, "rrset"]) => "ChangeResourceRecordSets",
        ("GET", ["hostedzone", _, "rrset"]) => "ListResourceRecordSets",
        ("GET", ["hostedzonesbyname"]) => "ListHostedZonesByName",
        ("GET", ["hostedzonecount"]) => "GetHostedZoneCount",
        ("GET", ["change", _]) => "GetChange",
        ("GET", ["tags", _, _]) => "ListTagsForResource",
        ("POST", ["tags", _, _]) => "ChangeTagsForResource",
        ("POST", ["healthcheck"]) => "CreateHealthCheck",
        ("GET", ["healthcheck", _]) => "GetHealthCheck",
        ("DELETE", ["healthcheck", _]) => "DeleteHealthCheck",
        _ => return rest_fallback(method, path),
    };
    name.to_string()
}

/// An unknown REST route keeps a readable name: `GET /2015-02-01/something`.
fn rest_fallback(method: &Method, path: &str) -> String {
    format!("{method} {path}")
}

/// `a=1&b=x%20y` → `[(a, 1), (b, "x y")]`.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// Form decoding: `+` is a space, `%XX` a byte; malformed escapes are kept literally.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match hex_byte(&bytes[i + 1..i + 3]) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(digits: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(digits).ok()?;
    u8::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn signed(service: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=abc"
        );
        headers.insert(
            hyper::header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap(),
        );
        headers
    }

    #[test]
    fn query_protocol_operation_comes_from_the_form_body() {
        let request = identify(
            &Method::POST,
            "/",
            &signed("ec2"),
            b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1a",
        )
        .unwrap();
        assert_eq!(
            request.call,
            CallId {
                service: "ec2".into(),
                operation: "DescribeVpcs".into()
            }
        );
        assert_eq!(request.protocol, Protocol::Ec2Query);
        assert_eq!(request.named_ids().collect::<Vec<_>>(), vec!["vpc-1a"]);
        assert_eq!(request.param("VpcId"), Some("vpc-1a"));
    }

    #[test]
    fn json_protocol_operation_comes_from_the_target_header() {
        let mut headers = signed("secretsmanager");
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("secretsmanager.CreateSecret"),
        );
        let request = identify(&Method::POST, "/", &headers, b"{}").unwrap();
        assert_eq!(request.call.operation, "CreateSecret");
        assert_eq!(request.protocol, Protocol::AwsJson);
    }

    #[test]
    fn rest_operations_come_from_method_and_path() {
        let efs = identify(
            &Method::GET,
            "/2015-02-01/mount-targets?FileSystemId=fs-12",
            &signed("elasticfilesystem"),
            b"",
        )
        .unwrap();
        assert_eq!(efs.call.operation, "DescribeMountTargets");
        assert_eq!(efs.param("FileSystemId"), Some("fs-12"));
        let delete = identify(
            &Method::DELETE,
            "/2015-02-01/file-systems/fs-9",
            &signed("elasticfilesystem"),
            b"",
        )
        .unwrap();
        assert_eq!(delete.call.operation, "DeleteFileSystem");
        assert!(delete.named_ids().any(|id| id == "fs-9"));
        let r53 = identify(
            &Method::POST,
            "/2013-04-01/hostedzone/Z1/rrset/",
            &signed("route53"),
            b"<x/>",
        )
        .unwrap();
        assert_eq!(r53.call.operation, "ChangeResourceRecordSets");
    }

    #[test]
    fn unsigned_requests_are_not_aws_calls() {
        assert!(identify(&Method::GET, "/moto-api/", &HeaderMap::new(), b"").is_none());
    }

    #[test]
    fn form_values_are_percent_decoded() {
        assert_eq!(
            parse_form("a=x%2Fy+z&b=%zz&c"),
            vec![
                ("a".into(), "x/y z".into()),
                ("b".into(), "%zz".into()),
                ("c".into(), "".into())
            ]
        );
    }
}
