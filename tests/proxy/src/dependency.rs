//! DependencyViolation on deletes, as the ENIs left behind by an ALB, a NAT gateway or EFS
//! mount targets cause on AWS for a while after those are deleted.

use std::collections::HashMap;
use std::time::Instant;

use crate::aws_errors::AwsError;
use crate::config::{millis, DependencyConfig};
use crate::identify::AwsRequest;

/// The EC2 deletes AWS refuses while network interfaces remain, with the parameter naming the
/// object.
fn guarded_object(request: &AwsRequest) -> Option<&str> {
    if request.call.service != "ec2" {
        return None;
    }
    match request.call.operation.as_str() {
        "DeleteSecurityGroup" => request
            .param("GroupId")
            .or_else(|| request.param("GroupName")),
        "DeleteSubnet" => request.param("SubnetId"),
        "DetachInternetGateway" | "DeleteInternetGateway" => request.param("InternetGatewayId"),
        "DeleteVpc" => request.param("VpcId"),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct DependencyTracker {
    /// (operation, object) → (attempts so far, first attempt).
    attempts: HashMap<(String, String), (u32, Instant)>,
}

impl DependencyTracker {
    /// Refuse this delete if its object is still within its configured attempts or window.
    pub fn check(
        &mut self,
        request: &AwsRequest,
        config: &DependencyConfig,
        now: Instant,
    ) -> Option<AwsError> {
        if config.attempts == 0 && config.window_ms == 0 {
            return None;
        }
        let id = guarded_object(request)?;
        let key = (request.call.operation.clone(), id.to_string());
        let (tries, first) = self.attempts.entry(key).or_insert((0, now));
        let refused =
            *tries < config.attempts || now.duration_since(*first) < millis(config.window_ms);
        *tries += 1;
        refused.then(|| AwsError::dependency_violation(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    fn delete(operation: &str, param: &str, id: &str) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: "ec2".into(),
                operation: operation.into(),
            },
            protocol: Protocol::Ec2Query,
            params: vec![(param.to_string(), id.to_string())],
        }
    }

    #[test]
    fn each_object_is_refused_for_its_first_attempts() {
        let config = DependencyConfig {
            attempts: 2,
            window_ms: 0,
        };
        let mut tracker = DependencyTracker::default();
        let now = Instant::now();
        let sg = delete("DeleteSecurityGroup", "GroupId", "sg-1");
        assert_eq!(
            tracker.check(&sg, &config, now).unwrap().code,
            "DependencyViolation"
        );
        assert!(tracker.check(&sg, &config, now).is_some());
        assert!(tracker.check(&sg, &config, now).is_none());
        // Another object has its own count; other operations are never refused.
        assert!(tracker
            .check(&delete("DeleteVpc", "VpcId", "vpc-1"), &config, now)
            .is_some());
        assert!(tracker
            .check(
                &delete("DeleteNatGateway", "NatGatewayId", "nat-1"),
                &config,
                now
            )
            .is_none());
    }

    #[test]
    fn a_window_refuses_until_it_has_passed() {
        let config = DependencyConfig {
            attempts: 0,
            window_ms: 200,
        };
        let mut tracker = DependencyTracker::default();
        let start = Instant::now();
        let subnet = delete("DeleteSubnet", "SubnetId", "subnet-1");
        assert!(tracker.check(&subnet, &config, start).is_some());
        assert!(tracker
            .check(&subnet, &config, start + millis(150))
            .is_some());
        assert!(tracker
            .check(&subnet, &config, start + millis(250))
            .is_none());
    }
}
