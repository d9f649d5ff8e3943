//! The `alarms` block's settings as the spec holds them, with their defaults and bounds:
//! apart from `alarms` (which alarms a spec wants), so the spec can hold them without the two
//! modules importing each other.

use serde::{Deserialize, Serialize};

/// Default values of the block's attributes.
pub mod defaults {
    /// New stacks get alarms; a stack created before they existed keeps none (`legacy`).
    pub const ENABLED: bool = true;
    /// 5xx answers in 5 minutes, per alarm (the targets' and the balancer's own).
    pub const HTTP_5XX_THRESHOLD: i64 = 10;
    /// Average database CPU over 15 minutes.
    pub const DB_CPU_PERCENT: i64 = 80;
    /// Free database storage below which the alarm fires.
    pub const DB_FREE_STORAGE_GIB: i64 = 2;
    /// Open database connections: a `db.t3.micro` (MySQL's `max_connections` scales with
    /// memory) allows about 85, so 60 leaves room to act.
    pub const DB_CONNECTIONS: i64 = 60;
    /// Share of a General Purpose file system's I/O limit in use.
    pub const EFS_IO_LIMIT_PERCENT: i64 = 90;
}

/// Bounds of the thresholds (validation quotes them).
pub mod bounds {
    pub const HTTP_5XX_THRESHOLD: (i64, i64) = (1, 1_000_000);
    pub const PERCENT: (i64, i64) = (1, 100);
    pub const DB_FREE_STORAGE_GIB: (i64, i64) = (1, 65_536);
    pub const DB_CONNECTIONS: (i64, i64) = (1, 100_000);
    /// SNS allows any number of subscriptions; a stack's list stays readable.
    pub const EMAIL_ADDRESSES: usize = 10;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmsSpec {
    pub enabled: bool,
    /// A topic the user owns: the stack creates no topic and never deletes this one.
    pub topic_arn: Option<String>,
    /// Subscribed to the stack's own topic (each stays "pending confirmation" until its
    /// owner follows the link AWS mails).
    pub email_addresses: Vec<String>,
    pub http_5xx_threshold: i64,
    pub db_cpu_percent: i64,
    pub db_free_storage_gib: i64,
    pub db_connections: i64,
    pub efs_io_limit_percent: i64,
}

impl Default for AlarmsSpec {
    fn default() -> Self {
        AlarmsSpec {
            enabled: defaults::ENABLED,
            topic_arn: None,
            email_addresses: Vec::new(),
            http_5xx_threshold: defaults::HTTP_5XX_THRESHOLD,
            db_cpu_percent: defaults::DB_CPU_PERCENT,
            db_free_storage_gib: defaults::DB_FREE_STORAGE_GIB,
            db_connections: defaults::DB_CONNECTIONS,
            efs_io_limit_percent: defaults::EFS_IO_LIMIT_PERCENT,
        }
    }
}

impl AlarmsSpec {
    /// The stack creates (and owns) the topic: alarms on and no topic given.
    pub fn owns_topic(&self) -> bool {
        self.enabled && self.topic_arn.is_none()
    }
}
