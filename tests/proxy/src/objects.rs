//! The AWS objects the proxy tracks: learned from create responses, remembered with the time
//! they were created so consistency windows and pending states can be timed from it.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use crate::aws_errors::AwsError;
use crate::identify::CallId;
use crate::xml;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Vpc,
    Subnet,
    InternetGateway,
    RouteTable,
    NatGateway,
    SecurityGroup,
    Address,
    Instance,
    LaunchTemplate,
    DbInstance,
    FileSystem,
    MountTarget,
    LoadBalancer,
    TargetGroup,
    /// A Route 53 change batch (`/change/C…`), INSYNC once propagated.
    DnsChange,
}

/// Where a create response carries the new object's id.
enum IdField {
    Xml(&'static str),
    Json(&'static str),
}

impl ObjectKind {
    /// The kind a successful `call` creates, if it is a create the proxy tracks.
    pub fn created_by(call: &CallId) -> Option<ObjectKind> {
        use ObjectKind::*;
        let kind = match (call.service.as_str(), call.operation.as_str()) {
            ("ec2", "CreateVpc") => Vpc,
            ("ec2", "CreateSubnet") => Subnet,
            ("ec2", "CreateInternetGateway") => InternetGateway,
            ("ec2", "CreateRouteTable") => RouteTable,
            ("ec2", "CreateNatGateway") => NatGateway,
            ("ec2", "CreateSecurityGroup") => SecurityGroup,
            ("ec2", "AllocateAddress") => Address,
            ("ec2", "RunInstances") => Instance,
            ("ec2", "CreateLaunchTemplate") => LaunchTemplate,
            ("rds", "CreateDBInstance") => DbInstance,
            ("elasticfilesystem", "CreateFileSystem") => FileSystem,
            ("elasticfilesystem", "CreateMountTarget") => MountTarget,
            ("elasticloadbalancing", "CreateLoadBalancer") => LoadBalancer,
            ("elasticloadbalancing", "CreateTargetGroup") => TargetGroup,
            ("route53", "ChangeResourceRecordSets") => DnsChange,
            _ => return None,
        };
        Some(kind)
    }

    fn id_field(self) -> IdField {
        use ObjectKind::*;
        match self {
            Vpc => IdField::Xml("vpcId"),
            Subnet => IdField::Xml("subnetId"),
            InternetGateway => IdField::Xml("internetGatewayId"),
            RouteTable => IdField::Xml("routeTableId"),
            NatGateway => IdField::Xml("natGatewayId"),
            SecurityGroup => IdField::Xml("groupId"),
            Address => IdField::Xml("allocationId"),
            Instance => IdField::Xml("instanceId"),
            LaunchTemplate => IdField::Xml("launchTemplateId"),
            DbInstance => IdField::Xml("DBInstanceIdentifier"),
            FileSystem => IdField::Json("FileSystemId"),
            MountTarget => IdField::Json("MountTargetId"),
            LoadBalancer => IdField::Xml("LoadBalancerArn"),
            TargetGroup => IdField::Xml("TargetGroupArn"),
            DnsChange => IdField::Xml("Id"),
        }
    }

    /// Ids of the objects of this kind a create response announces: one, or several for
    /// RunInstances. Other ids in the response (a subnet's VPC, a NAT's allocation) are not
    /// new, so only the first value is taken except for instances.
    pub fn ids_in_response(self, body: &str) -> Vec<String> {
        match self.id_field() {
            IdField::Xml(tag) => {
                let mut ids = xml::element_values(body, tag);
                if self != ObjectKind::Instance {
                    ids.truncate(1);
                }
                ids.iter().map(|id| canonical_id(id).to_string()).collect()
            }
            IdField::Json(key) => serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|value| {
                    value
                        .get(key)
                        .and_then(|id| id.as_str())
                        .map(str::to_string)
                })
                .into_iter()
                .collect(),
        }
    }

    /// What AWS answers when a read names an object of this kind it cannot see (yet).
    pub fn not_found(self, id: &str) -> AwsError {
        use ObjectKind::*;
        let (status, code) = match self {
            Vpc => (400, "InvalidVpcID.NotFound"),
            Subnet => (400, "InvalidSubnetID.NotFound"),
            InternetGateway => (400, "InvalidInternetGatewayID.NotFound"),
            RouteTable => (400, "InvalidRouteTableID.NotFound"),
            NatGateway => (400, "NatGatewayNotFound"),
            SecurityGroup => (400, "InvalidGroup.NotFound"),
            Address => (400, "InvalidAllocationID.NotFound"),
            Instance => (400, "InvalidInstanceID.NotFound"),
            LaunchTemplate => (400, "InvalidLaunchTemplateId.NotFound"),
            DbInstance => (404, "DBInstanceNotFound"),
            FileSystem => (404, "FileSystemNotFound"),
            MountTarget => (404, "MountTargetNotFound"),
            LoadBalancer => (400, "LoadBalancerNotFound"),
            TargetGroup => (400, "TargetGroupNotFound"),
            DnsChange => (404, "NoSuchChange"),
        };
        AwsError {
            status,
            code: std::borrow::Cow::Borrowed(code),
            message: format!(
                "{id} does not exist (eventual consistency injected by aws-fault-proxy)"
            ),
        }
    }
}

/// The form of an id the registry keys on: Route 53 change ids are `/change/C1` in some
/// responses and `C1` in others.
pub fn canonical_id(id: &str) -> &str {
    id.strip_prefix("/change/").unwrap_or(id)
}

/// Objects seen created, and when.
#[derive(Debug, Default)]
pub struct Registry {
    created: HashMap<String, (ObjectKind, Instant)>,
    /// RDS instances: when ModifyDBInstance was last accepted.
    modified: HashMap<String, Instant>,
    /// Objects the proxy never sees created (ASG instances, targets): when first seen.
    first_seen: HashMap<String, Instant>,
    /// RDS instances: when a storage change (size, type, IOPS) was last accepted.
    storage_modified: HashMap<String, Instant>,
    /// RDS instances stopped through StopDBInstance and not started since.
    stopped: HashSet<String>,
}

impl Registry {
    /// Remember the objects a successful create response announces.
    pub fn learn_created(&mut self, call: &CallId, body: &str, now: Instant) {
        if let Some(kind) = ObjectKind::created_by(call) {
            for id in kind.ids_in_response(body) {
                self.created.insert(id, (kind, now));
            }
        }
    }

    pub fn created(&self, id: &str) -> Option<(ObjectKind, Instant)> {
        self.created.get(canonical_id(id)).copied()
    }

    pub fn learn_modified(&mut self, id: &str, now: Instant) {
        self.modified.insert(id.to_string(), now);
    }

    pub fn modified(&self, id: &str) -> Option<Instant> {
        self.modified.get(id).copied()
    }

    pub fn learn_storage_modified(&mut self, id: &str, now: Instant) {
        self.storage_modified.insert(id.to_string(), now);
    }

    pub fn storage_modified(&self, id: &str) -> Option<Instant> {
        self.storage_modified.get(id).copied()
    }

    pub fn set_stopped(&mut self, id: &str, stopped: bool) {
        if stopped {
            self.stopped.insert(id.to_string());
        } else {
            self.stopped.remove(id);
        }
    }

    pub fn is_stopped(&self, id: &str) -> bool {
        self.stopped.contains(id)
    }

    /// When `id` was first seen, if it has been.
    pub fn seen_at(&self, id: &str) -> Option<Instant> {
        self.first_seen.get(id).copied()
    }

    /// When `id` was first seen; records `now` the first time.
    pub fn first_seen(&mut self, id: &str, now: Instant) -> Instant {
        *self.first_seen.entry(id.to_string()).or_insert(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, operation: &str) -> CallId {
        CallId {
            service: service.into(),
            operation: operation.into(),
        }
    }

    #[test]
    fn only_the_new_object_is_learned_from_a_create() {
        let body = "<CreateSubnetResponse><subnet><subnetId>subnet-9</subnetId><vpcId>vpc-1</vpcId></subnet></CreateSubnetResponse>";
        let mut registry = Registry::default();
        registry.learn_created(&call("ec2", "CreateSubnet"), body, Instant::now());
        assert_eq!(
            registry.created("subnet-9").map(|(kind, _)| kind),
            Some(ObjectKind::Subnet)
        );
        assert!(registry.created("vpc-1").is_none());
    }

    #[test]
    fn every_instance_of_run_instances_and_json_ids_are_learned() {
        let body = "<RunInstancesResponse><instancesSet><item><instanceId>i-1</instanceId></item><item><instanceId>i-2</instanceId></item></instancesSet></RunInstancesResponse>";
        assert_eq!(
            ObjectKind::Instance.ids_in_response(body),
            vec!["i-1", "i-2"]
        );
        let json = r#"{"FileSystemId": "fs-7", "LifeCycleState": "available"}"#;
        assert_eq!(ObjectKind::FileSystem.ids_in_response(json), vec!["fs-7"]);
    }
}
