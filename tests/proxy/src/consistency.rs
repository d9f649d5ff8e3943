//! Eventual consistency: right after a create, reads that name the new object do not find it.

use std::time::Instant;

use crate::aws_errors::AwsError;
use crate::config::{millis, ConsistencyConfig};
use crate::identify::AwsRequest;
use crate::objects::Registry;

/// Reads are the calls AWS serves from its eventually consistent side.
fn is_read(operation: &str) -> bool {
    ["Describe", "Get", "List"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// NotFound in the service's format if `request` reads an object created less than `window`
/// before `now`.
pub fn not_found(
    request: &AwsRequest,
    registry: &Registry,
    config: &ConsistencyConfig,
    now: Instant,
) -> Option<AwsError> {
    let window = millis(config.window_ms);
    if window.is_zero() || !(config.writes || is_read(&request.call.operation)) {
        return None;
    }
    request.named_ids().find_map(|id| {
        let (kind, created) = registry.created(id)?;
        (now.duration_since(created) < window).then(|| kind.not_found(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    fn request(operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: "ec2".into(),
                operation: operation.into(),
            },
            protocol: Protocol::Ec2Query,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_fresh_vpc_is_not_found_by_id_until_the_window_passes() {
        let created = Instant::now();
        let mut registry = Registry::default();
        let create = CallId {
            service: "ec2".into(),
            operation: "CreateVpc".into(),
        };
        registry.learn_created(&create, "<vpc><vpcId>vpc-1</vpcId></vpc>", created);
        let config = ConsistencyConfig {
            window_ms: 500,
            writes: false,
        };
        let describe = request(
            "DescribeVpcs",
            &[("Action", "DescribeVpcs"), ("VpcId.1", "vpc-1")],
        );
        let error = not_found(&describe, &registry, &config, created + millis(100)).unwrap();
        assert_eq!(error.code, "InvalidVpcID.NotFound");
        assert!(not_found(&describe, &registry, &config, created + millis(600)).is_none());
        // Filters and writes are not affected.
        let filtered = request(
            "DescribeSubnets",
            &[("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", "vpc-1")],
        );
        assert!(not_found(&filtered, &registry, &config, created).is_none());
        let write = request("CreateSubnet", &[("VpcId", "vpc-1")]);
        assert!(not_found(&write, &registry, &config, created).is_none());
        // ... unless writes are asked for.
        let with_writes = ConsistencyConfig {
            writes: true,
            ..config
        };
        let error = not_found(&write, &registry, &with_writes, created).unwrap();
        assert_eq!(error.code, "InvalidVpcID.NotFound");
    }
}
