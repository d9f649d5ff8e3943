//! How long AWS usually takes for what the stack waits on (AWS's published figures, e.g. a NAT
//! gateway in one to two minutes, RDS Multi-AZ in ten to twenty). A waiter aims its polls at
//! these (see `Bounds::expecting`); a step declares what it waits out with an [`Awaited`]
//! (`tiers/step.rs`), and every duration table (the engine's apply graph, the benchmarks) is
//! derived from that one declaration.

use std::time::Duration;

pub const NAT_GATEWAY_AVAILABLE: Duration = Duration::from_secs(90);
pub const NAT_GATEWAY_DELETED: Duration = Duration::from_secs(60);
/// A deleted NAT gateway's elastic IP losing its association.
pub const ADDRESS_RELEASED: Duration = Duration::from_secs(10);
/// An EC2 instance (the bastion) from `pending` to `running`.
pub const INSTANCE_RUNNING: Duration = Duration::from_secs(20);
pub const INSTANCE_TERMINATED: Duration = Duration::from_secs(45);
pub const LOAD_BALANCER_ACTIVE: Duration = Duration::from_secs(150);
pub const LOAD_BALANCER_DELETED: Duration = Duration::from_secs(30);
/// Multi-AZ takes 10-20 min, single-AZ somewhat less.
pub const DB_INSTANCE_CREATED: Duration = Duration::from_secs(12 * 60);
pub const DB_INSTANCE_MODIFIED: Duration = Duration::from_secs(3 * 60);
pub const DB_INSTANCE_DELETED: Duration = Duration::from_secs(6 * 60);
pub const FILE_SYSTEM_AVAILABLE: Duration = Duration::from_secs(30);
pub const FILE_SYSTEM_DELETED: Duration = Duration::from_secs(30);
pub const MOUNT_TARGET_AVAILABLE: Duration = Duration::from_secs(90);
pub const MOUNT_TARGET_DELETED: Duration = Duration::from_secs(60);
pub const GROUP_IN_SERVICE: Duration = Duration::from_secs(3 * 60);
pub const GROUP_DELETED: Duration = Duration::from_secs(3 * 60);
pub const DNS_CHANGE_IN_SYNC: Duration = Duration::from_secs(60);

/// An AWS object state a step waits out on create, and how long AWS usually takes for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Awaited {
    /// Named like the fault proxy's `pending` settings without `_ms`
    /// (`tests/proxy/src/config.rs`), which simulate this wait.
    pub kind: &'static str,
    pub usual: Duration,
    /// The API operation whose new object AWS holds pending, once per call; `None` when no
    /// single call is (instances, which the proxy holds per instance or not at all).
    pub created_by: Option<&'static str>,
}

pub const NAT_GATEWAY: Awaited = Awaited {
    kind: "nat_gateway",
    usual: NAT_GATEWAY_AVAILABLE,
    created_by: Some("CreateNatGateway"),
};
pub const LOAD_BALANCER: Awaited = Awaited {
    kind: "load_balancer",
    usual: LOAD_BALANCER_ACTIVE,
    created_by: Some("CreateLoadBalancer"),
};
pub const DB_INSTANCE: Awaited = Awaited {
    kind: "db_instance",
    usual: DB_INSTANCE_CREATED,
    created_by: Some("CreateDBInstance"),
};
pub const FILE_SYSTEM: Awaited = Awaited {
    kind: "file_system",
    usual: FILE_SYSTEM_AVAILABLE,
    created_by: Some("CreateFileSystem"),
};
pub const MOUNT_TARGET: Awaited = Awaited {
    kind: "mount_target",
    usual: MOUNT_TARGET_AVAILABLE,
    created_by: Some("CreateMountTarget"),
};
/// The Auto Scaling group's instances becoming `InService`.
pub const GROUP_INSTANCES: Awaited = Awaited {
    kind: "asg_instance",
    usual: GROUP_IN_SERVICE,
    created_by: None,
};
pub const DNS_CHANGE: Awaited = Awaited {
    kind: "dns_change",
    usual: DNS_CHANGE_IN_SYNC,
    created_by: Some("ChangeResourceRecordSets"),
};
/// The bastion booting (the fault proxy does not hold instances pending).
pub const INSTANCE: Awaited = Awaited {
    kind: "instance",
    usual: INSTANCE_RUNNING,
    created_by: None,
};

/// Everything a step may declare it waits out.
pub const ALL: [Awaited; 8] = [
    NAT_GATEWAY,
    LOAD_BALANCER,
    DB_INSTANCE,
    FILE_SYSTEM,
    MOUNT_TARGET,
    GROUP_INSTANCES,
    DNS_CHANGE,
    INSTANCE,
];
