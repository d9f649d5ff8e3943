//! How long AWS usually takes for what the stack waits on (AWS's published figures, e.g. a NAT
//! gateway in one to two minutes, RDS Multi-AZ in ten to twenty). A step declares what it
//! waits out with an [`Awaited`] (`tiers/step.rs`), and every duration table (the engine's
//! apply graph, the benchmarks, the fault proxy's timing preset) is derived from that one
//! declaration. Waiters do not aim at these: they notice readiness whenever it comes
//! (`wait::schedule`).

use std::time::Duration;

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
    usual: Duration::from_secs(90),
    created_by: Some("CreateNatGateway"),
};
pub const LOAD_BALANCER: Awaited = Awaited {
    kind: "load_balancer",
    usual: Duration::from_secs(150),
    created_by: Some("CreateLoadBalancer"),
};
pub const DB_INSTANCE: Awaited = Awaited {
    kind: "db_instance",
    usual: Duration::from_secs(12 * 60),
    created_by: Some("CreateDBInstance"),
};
pub const FILE_SYSTEM: Awaited = Awaited {
    kind: "file_system",
    usual: Duration::from_secs(30),
    created_by: Some("CreateFileSystem"),
};
pub const MOUNT_TARGET: Awaited = Awaited {
    kind: "mount_target",
    usual: Duration::from_secs(90),
    created_by: Some("CreateMountTarget"),
};
/// The Auto Scaling group's instances becoming `InService`.
pub const GROUP_INSTANCES: Awaited = Awaited {
    kind: "asg_instance",
    usual: Duration::from_secs(3 * 60),
    created_by: None,
};
pub const DNS_CHANGE: Awaited = Awaited {
    kind: "dns_change",
    usual: Duration::from_secs(60),
    created_by: Some("ChangeResourceRecordSets"),
};
/// The bastion booting (the fault proxy does not hold instances pending).
pub const INSTANCE: Awaited = Awaited {
    kind: "instance",
    usual: Duration::from_secs(20),
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
