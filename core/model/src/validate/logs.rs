//! The log group block: a retention CloudWatch Logs accepts, and a KMS key named by its ARN
//! (CreateLogGroup and AssociateKmsKey take no key id or alias).

use super::{path, Errors, LOG_RETENTION_DAYS};
use crate::spec::LogsSpec;

pub(super) fn check_logs(errors: &mut Errors, logs: &LogsSpec) {
    let days = logs.retention_in_days;
    if !LOG_RETENTION_DAYS.contains(&days) {
        let accepted: Vec<String> = LOG_RETENTION_DAYS[1..].iter().map(i64::to_string).collect();
        errors.push(
            path(&["logs", "retention_in_days"]),
            format!(
                "retention_in_days is {days}; CloudWatch Logs keeps events for one of {} days",
                accepted.join(", ")
            ),
            format!(
                "Set retention_in_days to one of {}, or 0 to keep events forever (30 by default).",
                accepted.join(", ")
            ),
        );
    }
    if let Some(key) = &logs.kms_key_id {
        if !is_kms_key_arn(key) {
            errors.push(
                path(&["logs", "kms_key_id"]),
                format!("{key:?} is not a KMS key ARN"),
                "Write the ARN of a symmetric KMS key in the stack's region, such as \"arn:aws:kms:us-east-1:123456789012:key/<id>\" (CloudWatch Logs takes no key id or alias), or leave kms_key_id unset for CloudWatch Logs' own encryption.",
            );
        }
    }
}

/// `arn:<partition>:kms:<region>:<12 digits>:key/<id>`.
fn is_kms_key_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let id_ok = resource.strip_prefix("key/").is_some_and(|id| {
        !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "kms"
        && region_ok
        && account_ok
        && id_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_for(retention_in_days: i64, kms: Option<&str>) -> Vec<String> {
        let mut errors = Errors::default();
        check_logs(
            &mut errors,
            &LogsSpec {
                enabled: true,
                retention_in_days,
                kms_key_id: kms.map(str::to_string),
            },
        );
        errors.0.iter().map(|e| e.path.to_string()).collect()
    }

    #[test]
    fn the_retention_is_one_cloudwatch_logs_accepts() {
        for ok in [0, 1, 30, 400, 3653] {
            assert!(errors_for(ok, None).is_empty(), "{ok}");
        }
        for bad in [-1, 2, 31, 366, 3654] {
            assert_eq!(
                errors_for(bad, None),
                vec!["logs.retention_in_days"],
                "{bad}"
            );
        }
    }

    #[test]
    fn the_key_is_a_kms_key_arn() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(errors_for(30, Some(key)).is_empty());
        for bad in [
            "alias/logs",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:alias/logs",
            "arn:aws:kms:us-east-1:1234:key/x",
        ] {
            assert_eq!(errors_for(30, Some(bad)), vec!["logs.kms_key_id"], "{bad}");
        }
    }
}
