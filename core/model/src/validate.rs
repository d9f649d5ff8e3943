//! Validation of a `StackSpec` before any AWS call: every malformed value becomes one
//! `SpecError` on its attribute, whose summary says what is wrong and whose detail says how to
//! fix it. Pure: the only outside fact it may use is the region's zones, which the caller
//! looks up (one call at plan time) and passes in.
//!
//! The rules mirror what AWS itself would refuse minutes into an apply (RDS naming and password
//! rules, EFS mode combinations, ELB limits, tag limits), so a user learns at `terraform
//! validate`/`plan` rather than halfway through creating a stack.
//!
//! One submodule per block of the configuration (`names` for the name and tags, `network`,
//! `instances` for the bastion, WordPress and its group, `database`, `storage`,
//! `load_balancer` with DNS, `waf`, `site`, `alarms`, `logs`, `timeouts`); the limits they enforce are the constants below.

mod alarms;
mod database;
mod instances;
mod load_balancer;
mod logs;
mod names;
mod network;
mod site;
mod storage;
mod timeouts;
mod waf;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{FieldPath, SpecError};
use crate::spec::StackSpec;

pub use database::{
    extended_support_warning, is_snapshot_reference, snapshot_change_error, storage_shrink_error,
    MYSQL_80_STANDARD_SUPPORT_END,
};
pub use site::is_wordpress_email;
pub use timeouts::parse_duration;

/// Stack names prefix every AWS name; 20 leaves room for roles within ELB's 32 characters.
pub const NAME_MAX_LEN: usize = 20;
/// AWS's tag limits, the same for every service the stack uses.
pub const TAG_KEY_MAX_LEN: usize = 128;
pub const TAG_VALUE_MAX_LEN: usize = 256;
pub const MAX_TAGS_PER_OBJECT: usize = 50;
/// Tags the provider adds to every object (`wordpress-ha:stack`, `Name`, and on the VPC
/// `wordpress-ha:complete`): what is left of AWS's 50 for the user and the provider defaults.
pub const PROVIDER_TAGS: usize = 3;
pub const MAX_USER_TAGS: usize = MAX_TAGS_PER_OBJECT - PROVIDER_TAGS;
/// AWS accepts VPC blocks between /16 and /28; the subnet carving narrows the upper end.
pub const VPC_MIN_PREFIX: u8 = 16;
/// A ceiling on the group size, so a typo (`max_size = 1000`) cannot launch a fleet.
pub const MAX_ASG_SIZE: i64 = 100;
pub const DB_MIN_STORAGE_GIB: i64 = 20;
pub const DB_MAX_STORAGE_GIB: i64 = 65_536;
pub const DB_NAME_MAX_LEN: usize = 64;
pub const DB_USERNAME_MAX_LEN: usize = 16;
pub const BACKUP_RETENTION_MAX_DAYS: i64 = 35;
/// EFS provisioned throughput bounds, MiB/s.
pub const EFS_MIN_PROVISIONED_MIBPS: f64 = 1.0;
pub const EFS_MAX_PROVISIONED_MIBPS: f64 = 3414.0;
pub const HEALTH_CHECK_PATH_MAX_LEN: usize = 1024;
pub const IDLE_TIMEOUT_MIN: i64 = 1;
pub const IDLE_TIMEOUT_MAX: i64 = 4000;
/// Target group deregistration delay bounds, seconds (ELB's own).
pub const DEREGISTRATION_DELAY_MIN: i64 = 0;
pub const DEREGISTRATION_DELAY_MAX: i64 = 3600;
pub const KEY_NAME_MAX_LEN: usize = 255;
pub const DNS_NAME_MAX_LEN: usize = 253;
pub const DNS_LABEL_MAX_LEN: usize = 63;
/// WAFv2's bounds on a rate-based rule's limit, requests per 5 minutes (RateBasedStatement
/// `Limit`).
pub const WAF_RATE_LIMIT_MIN: i64 = 10;
pub const WAF_RATE_LIMIT_MAX: i64 = 2_000_000_000;
/// What WordPress stores of the site at install: `user_login` is 60 characters, `user_email`
/// 100, and `is_email` wants at least 6; the title has no column limit, this one keeps it a title.
pub const SITE_TITLE_MAX_LEN: usize = 200;
pub const SITE_ADMIN_USER_MAX_LEN: usize = 60;
pub const SITE_ADMIN_EMAIL_MIN_LEN: usize = 6;
pub const SITE_ADMIN_EMAIL_MAX_LEN: usize = 100;
/// The retentions CloudWatch Logs accepts (PutRetentionPolicy `retentionInDays`), in days;
/// 0 stands for no retention policy: events never expire.
pub const LOG_RETENTION_DAYS: [i64; 23] = [
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Short timeouts are legitimate in tests against an emulator; below a second is a mistake.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Every problem with `spec`, in attribute order; empty when the spec is valid.
///
/// `region_zones`, when given, are the zone names of the provider's region: each of
/// `network.availability_zones` must be one of them.
pub fn validate(spec: &StackSpec, region_zones: Option<&[String]>) -> Vec<SpecError> {
    let mut errors = Errors::default();
    names::check_name(&mut errors, &spec.name);
    names::check_tags(&mut errors, FieldPath::attrs(&["tags"]), &spec.tags);
    // An empty list means the lookup found nothing, not that no zone is allowed.
    let region_zones = region_zones.filter(|zones| !zones.is_empty());
    network::check_network(&mut errors, &spec.network, region_zones);
    instances::check_bastion(&mut errors, &spec.bastion);
    instances::check_wordpress(&mut errors, &spec.wordpress);
    instances::check_autoscaling(&mut errors, &spec.autoscaling);
    database::check_database(&mut errors, &spec.database);
    storage::check_storage(&mut errors, &spec.storage);
    load_balancer::check_load_balancer(&mut errors, &spec.load_balancer);
    if let Some(dns) = &spec.dns {
        load_balancer::check_dns(&mut errors, dns);
    }
    waf::check_waf(&mut errors, &spec.waf);
    site::check_site(&mut errors, &spec.site);
    alarms::check_alarms(&mut errors, &spec.alarms);
    logs::check_logs(&mut errors, &spec.logs);
    timeouts::check_timeouts(&mut errors, &spec.timeouts);
    errors.0
}

/// Tag rules alone, for maps validated elsewhere (the provider's `default_tags`).
pub fn validate_tags(path: FieldPath, tags: &BTreeMap<String, String>) -> Vec<SpecError> {
    let mut errors = Errors::default();
    names::check_tags(&mut errors, path, tags);
    errors.0
}

/// The errors found so far.
#[derive(Default)]
struct Errors(Vec<SpecError>);

impl Errors {
    fn push(&mut self, path: FieldPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.0.push(SpecError::new(path, summary, detail));
    }
}

fn path(names: &[&str]) -> FieldPath {
    FieldPath::attrs(names)
}

#[cfg(test)]
mod tests;
