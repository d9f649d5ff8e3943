//! The `alarms` block: CloudWatch metric alarms on what the stack runs (load balancer, target
//! group, database, file system, Auto Scaling group), notifying an SNS topic, and the alarms a
//! spec wants, as plain data the core's alarms tier writes and compares.
//!
//! Choices an operator would make:
//! - the load balancer's 5xx are counted, not divided by the requests: a rate on a quiet site
//!   alarms on one failed request out of two, while a count per 5 minutes sized to the site is
//!   steady; the targets' 5xx (WordPress, PHP) and the balancer's own (502/503/504, no healthy
//!   target) are two alarms, since they call for different fixes;
//! - the file system alarm follows its throughput mode: burst credits running low in
//!   `bursting` mode, the I/O limit in the other modes (General Purpose only: Max I/O file
//!   systems report no `PercentIOLimit`, so they get no file system alarm);
//! - "at max capacity" compares the group's in-service instances with `autoscaling.max_size`,
//!   which needs the group's metrics collection (the tier turns it on).

pub use crate::alarm_settings::{bounds, defaults, AlarmsSpec};
use crate::spec::StackSpec;

/// Burst credits (bytes) below which a `bursting` file system alarms: about 100 GiB, hours of
/// work at its baseline before it is throttled.
pub const EFS_BURST_CREDITS_BYTES: f64 = 100.0 * GIB;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What an alarm costs a month (standard resolution, every region the plan review prices);
/// the SNS topic and e-mail notifications stay in SNS's free tier.
pub const ALARM_MONTH_USD: f64 = 0.10;

/// The object an alarm watches, whose id becomes the metric's dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    LoadBalancer,
    /// The target group, within its load balancer.
    TargetGroup,
    Database,
    FileSystem,
    Group,
}

/// One alarm as the stack writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDef {
    /// Short key: the alarm is `<stack>-alarm-<key>`.
    pub key: &'static str,
    pub namespace: &'static str,
    pub metric: &'static str,
    pub statistic: &'static str,
    pub period: i32,
    pub evaluation_periods: i32,
    pub comparison: &'static str,
    pub threshold: f64,
    pub watched: Watched,
    pub treat_missing_data: &'static str,
    pub description: String,
}

const ABOVE: &str = "GreaterThanThreshold";
const AT_LEAST: &str = "GreaterThanOrEqualToThreshold";
const BELOW: &str = "LessThanThreshold";

/// Every key an alarm of the stack may have: only alarms of these names are ever deleted (a
/// stack named `blog-alarm` shares the name prefix of a stack named `blog`).
pub const ALL_KEYS: [&str; 9] = [
    "alb-target-5xx",
    "alb-elb-5xx",
    "unhealthy-targets",
    "db-cpu",
    "db-free-storage",
    "db-connections",
    "efs-burst-credits",
    "efs-io-limit",
    "asg-at-max",
];

/// `<stack>-alarm-<key>`.
pub fn alarm_name(stack: &str, key: &str) -> String {
    format!("{stack}-alarm-{key}")
}

/// The prefix every alarm of the stack's name starts with (listing, sweep).
pub fn alarm_prefix(stack: &str) -> String {
    format!("{stack}-alarm-")
}

/// `<stack>-alarms`: the stack's own topic.
pub fn topic_name(stack: &str) -> String {
    format!("{stack}-alarms")
}

/// The alarms a spec wants (none when `alarms.enabled` is off).
pub fn wanted_alarms(spec: &StackSpec) -> Vec<AlarmDef> {
    let a = &spec.alarms;
    if !a.enabled {
        return Vec::new();
    }
    let def = |key, namespace, metric, statistic, watched| AlarmDef {
        key,
        namespace,
        metric,
        statistic,
        period: 300,
        evaluation_periods: 1,
        comparison: ABOVE,
        threshold: 0.0,
        watched,
        treat_missing_data: "notBreaching",
        description: String::new(),
    };
    let elb = "AWS/ApplicationELB";
    let rds = "AWS/RDS";
    let mut alarms = vec![
        AlarmDef {
            threshold: a.http_5xx_threshold as f64,
            description: format!(
                "More than {} 5xx answers from WordPress in 5 minutes",
                a.http_5xx_threshold
            ),
            ..def(
                "alb-target-5xx",
                elb,
                "HTTPCode_Target_5XX_Count",
                "Sum",
                Watched::LoadBalancer,
            )
        },
        AlarmDef {
            threshold: a.http_5xx_threshold as f64,
            description: format!(
                "More than {} 5xx answers from the load balancer itself (502/503/504) in 5 minutes",
                a.http_5xx_threshold
            ),
            ..def(
                "alb-elb-5xx",
                elb,
                "HTTPCode_ELB_5XX_Count",
                "Sum",
                Watched::LoadBalancer,
            )
        },
        AlarmDef {
            period: 60,
            evaluation_periods: 5,
            comparison: AT_LEAST,
            threshold: 1.0,
            description: "A target has failed its health checks for 5 minutes".into(),
            ..def(
                "unhealthy-targets",
                elb,
                "UnHealthyHostCount",
                "Maximum",
                Watched::TargetGroup,
            )
        },
        AlarmDef {
            evaluation_periods: 3,
            threshold: a.db_cpu_percent as f64,
            treat_missing_data: "missing",
            description: format!("Database CPU above {}% for 15 minutes", a.db_cpu_percent),
            ..def(
                "db-cpu",
                rds,
                "CPUUtilization",
                "Average",
                Watched::Database,
            )
        },
        AlarmDef {
            comparison: BELOW,
            threshold: a.db_free_storage_gib as f64 * GIB,
            treat_missing_data: "missing",
            description: format!(
                "Less than {} GiB of database storage free",
                a.db_free_storage_gib
            ),
            ..def(
                "db-free-storage",
                rds,
                "FreeStorageSpace",
                "Minimum",
                Watched::Database,
            )
        },
        AlarmDef {
            evaluation_periods: 2,
            threshold: a.db_connections as f64,
            description: format!(
                "More than {} database connections for 10 minutes",
                a.db_connections
            ),
            ..def(
                "db-connections",
                rds,
                "DatabaseConnections",
                "Maximum",
                Watched::Database,
            )
        },
    ];
    if spec.storage.throughput_mode == "bursting" {
        alarms.push(AlarmDef {
            comparison: BELOW,
            threshold: EFS_BURST_CREDITS_BYTES,
            treat_missing_data: "missing",
            description: "The file system's burst credits fell below 100 GiB".into(),
            ..def(
                "efs-burst-credits",
                "AWS/EFS",
                "BurstCreditBalance",
                "Minimum",
                Watched::FileSystem,
            )
        });
    } else if spec.storage.performance_mode == "generalPurpose" {
        alarms.push(AlarmDef {
            evaluation_periods: 3,
            comparison: AT_LEAST,
            threshold: a.efs_io_limit_percent as f64,
            description: format!(
                "The file system used {}% of its I/O limit for 15 minutes",
                a.efs_io_limit_percent
            ),
            ..def(
                "efs-io-limit",
                "AWS/EFS",
                "PercentIOLimit",
                "Maximum",
                Watched::FileSystem,
            )
        });
    }
    alarms.push(AlarmDef {
        evaluation_periods: 3,
        comparison: AT_LEAST,
        threshold: spec.autoscaling.max_size as f64,
        treat_missing_data: "missing",
        description: format!(
            "The Auto Scaling group ran at its maximum of {} instances for 15 minutes",
            spec.autoscaling.max_size
        ),
        ..def(
            "asg-at-max",
            "AWS/AutoScaling",
            "GroupInServiceInstances",
            "Maximum",
            Watched::Group,
        )
    });
    alarms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alarm_key_is_known() {
        let mut spec = StackSpec::with_name("blog");
        let mut keys: Vec<&str> = wanted_alarms(&spec).iter().map(|a| a.key).collect();
        spec.storage.throughput_mode = "bursting".into();
        keys.extend(wanted_alarms(&spec).iter().map(|a| a.key));
        assert!(keys.iter().all(|k| ALL_KEYS.contains(k)), "{keys:?}");
    }

    #[test]
    fn the_file_system_alarm_follows_the_throughput_mode() {
        let mut spec = StackSpec::with_name("blog");
        let keys = |spec: &StackSpec| -> Vec<&'static str> {
            wanted_alarms(spec).iter().map(|a| a.key).collect()
        };
        assert!(keys(&spec).contains(&"efs-io-limit"));
        spec.storage.throughput_mode = "bursting".into();
        assert!(keys(&spec).contains(&"efs-burst-credits"));
        spec.storage.throughput_mode = "elastic".into();
        spec.storage.performance_mode = "maxIO".into();
        assert!(!keys(&spec).iter().any(|k| k.starts_with("efs-")));
        assert_eq!(keys(&spec).len(), 7);
        spec.alarms.enabled = false;
        assert!(keys(&spec).is_empty());
    }

    #[test]
    fn the_at_max_alarm_follows_max_size() {
        let mut spec = StackSpec::with_name("blog");
        spec.autoscaling.max_size = 6;
        let at_max = wanted_alarms(&spec)
            .into_iter()
            .find(|a| a.key == "asg-at-max")
            .expect("at max");
        assert_eq!(at_max.threshold, 6.0);
    }
}
