//! The alarms block: thresholds within their bounds, e-mail addresses of a deliverable shape,
//! a given topic's ARN of SNS's shape, and e-mails only for the stack's own topic.

use super::{path, Errors};
use crate::alarms::{bounds, AlarmsSpec};

pub(super) fn check_alarms(errors: &mut Errors, alarms: &AlarmsSpec) {
    let ranges = [
        (
            "http_5xx_threshold",
            alarms.http_5xx_threshold,
            bounds::HTTP_5XX_THRESHOLD,
            "5xx answers in 5 minutes",
        ),
        (
            "db_cpu_percent",
            alarms.db_cpu_percent,
            bounds::PERCENT,
            "percent",
        ),
        (
            "db_free_storage_gib",
            alarms.db_free_storage_gib,
            bounds::DB_FREE_STORAGE_GIB,
            "GiB",
        ),
        (
            "db_connections",
            alarms.db_connections,
            bounds::DB_CONNECTIONS,
            "connections",
        ),
        (
            "efs_io_limit_percent",
            alarms.efs_io_limit_percent,
            bounds::PERCENT,
            "percent",
        ),
    ];
    for (name, value, (min, max), unit) in ranges {
        if !(min..=max).contains(&value) {
            errors.push(
                path(&["alarms", name]),
                format!("{name} is {value}; it must be {min} to {max} {unit}"),
                format!("Set {name} between {min} and {max} {unit}."),
            );
        }
    }
    if let Some(arn) = &alarms.topic_arn {
        if !is_topic_arn(arn) {
            errors.push(
                path(&["alarms", "topic_arn"]),
                format!("topic_arn {arn:?} is not an SNS topic ARN"),
                "Give the ARN of a standard SNS topic, arn:<partition>:sns:<region>:<account id>:<topic name> \
(CloudWatch alarms cannot notify FIFO topics), or leave topic_arn out for the stack's own topic.",
            );
        }
        if !alarms.email_addresses.is_empty() {
            errors.push(
                path(&["alarms", "email_addresses"]),
                "email_addresses needs the stack's own topic",
                "The stack subscribes addresses only to the topic it owns: subscribe them to your \
topic yourself, or leave topic_arn out.",
            );
        }
    }
    if alarms.email_addresses.len() > bounds::EMAIL_ADDRESSES {
        errors.push(
            path(&["alarms", "email_addresses"]),
            format!(
                "{} e-mail addresses; at most {} are allowed",
                alarms.email_addresses.len(),
                bounds::EMAIL_ADDRESSES
            ),
            "Subscribe a mailing list rather than each person.",
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for email in &alarms.email_addresses {
        if !is_email(email) {
            errors.push(
                path(&["alarms", "email_addresses"]),
                format!("{email:?} is not an e-mail address"),
                "Each entry must look like name@example.com (no spaces, one @, a dotted domain).",
            );
        } else if !seen.insert(email.to_ascii_lowercase()) {
            errors.push(
                path(&["alarms", "email_addresses"]),
                format!("{email:?} is listed twice"),
                "List each address once.",
            );
        }
    }
}

/// `arn:<partition>:sns:<region>:<12-digit account>:<name>`, a standard (not FIFO) topic.
pub fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let [prefix, partition, service, region, account, name] = parts[..] else {
        return false;
    };
    prefix == "arn"
        && partition.starts_with("aws")
        && service == "sns"
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && !name.ends_with(".fifo")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A deliverable address's shape: one `@`, a local part, a dotted domain, no spaces.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(alarms: &AlarmsSpec) -> Vec<String> {
        let mut errors = Errors::default();
        check_alarms(&mut errors, alarms);
        errors.0.iter().map(|e| e.path.to_string()).collect()
    }

    #[test]
    fn defaults_pass_and_each_bad_value_names_its_attribute() {
        assert!(paths(&AlarmsSpec::default()).is_empty());
        let mut a = AlarmsSpec {
            db_cpu_percent: 101,
            ..AlarmsSpec::default()
        };
        assert_eq!(paths(&a), ["alarms.db_cpu_percent"]);
        a.db_cpu_percent = 80;
        a.email_addresses = vec!["ops@example.com".into(), "not an address".into()];
        assert_eq!(paths(&a), ["alarms.email_addresses"]);
        a.email_addresses = vec!["ops@example.com".into()];
        a.topic_arn = Some("arn:aws:sns:us-east-1:123456789012:ops".into());
        assert_eq!(paths(&a), ["alarms.email_addresses"]);
        a.email_addresses.clear();
        assert!(paths(&a).is_empty());
        a.topic_arn = Some("arn:aws:sqs:us-east-1:123456789012:ops".into());
        assert_eq!(paths(&a), ["alarms.topic_arn"]);
    }

    #[test]
    fn shapes() {
        for ok in ["a@b.co", "first.last+tag@mail.example.org"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a@b", "@b.co", "a b@c.co", "a@@b.co", "a@-b.co"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_topic_arn(
            "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_1"
        ));
        assert!(!is_topic_arn("arn:aws:sns:us-east-1:123456789012:ops.fifo"));
        assert!(!is_topic_arn("arn:aws:sns:us-east-1:1234:ops"));
    }
}
