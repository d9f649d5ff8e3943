//! The load balancer block (certificate, health check path, idle timeout) and the DNS record
//! that points at it.

use super::{
    path, Errors, DEREGISTRATION_DELAY_MAX, DEREGISTRATION_DELAY_MIN, DNS_LABEL_MAX_LEN,
    DNS_NAME_MAX_LEN, HEALTH_CHECK_PATH_MAX_LEN, IDLE_TIMEOUT_MAX, IDLE_TIMEOUT_MIN,
};
use crate::spec::{DnsSpec, LoadBalancerSpec};

pub(super) fn check_load_balancer(errors: &mut Errors, lb: &LoadBalancerSpec) {
    let at = |name: &str| path(&["load_balancer", name]);
    if let Some(arn) = &lb.certificate_arn {
        if !is_acm_certificate_arn(arn) {
            errors.push(
                at("certificate_arn"),
                format!("{arn:?} is not an ACM certificate ARN"),
                "Write the ARN of an ACM certificate in the stack's region, such as \"arn:aws:acm:us-east-1:123456789012:certificate/<id>\".",
            );
        }
    }
    let check_path = &lb.health_check_path;
    let path_ok = check_path.starts_with('/')
        && check_path.len() <= HEALTH_CHECK_PATH_MAX_LEN
        && check_path.chars().all(|c| c.is_ascii_graphic());
    if !path_ok {
        errors.push(
            at("health_check_path"),
            format!("{check_path:?} is not a health check path"),
            format!("Write a URL path starting with \"/\", at most {HEALTH_CHECK_PATH_MAX_LEN} printable ASCII characters without spaces, such as \"/healthz.html\"."),
        );
    }
    if !(IDLE_TIMEOUT_MIN..=IDLE_TIMEOUT_MAX).contains(&lb.idle_timeout) {
        errors.push(
            at("idle_timeout"),
            format!("idle_timeout is {} seconds; ALBs accept {IDLE_TIMEOUT_MIN} to {IDLE_TIMEOUT_MAX}", lb.idle_timeout),
            format!("Set idle_timeout between {IDLE_TIMEOUT_MIN} and {IDLE_TIMEOUT_MAX} seconds (60 by default)."),
        );
    }
    let delay = lb.deregistration_delay;
    if !(DEREGISTRATION_DELAY_MIN..=DEREGISTRATION_DELAY_MAX).contains(&delay) {
        errors.push(
            at("deregistration_delay"),
            format!("deregistration_delay is {delay} seconds; target groups accept {DEREGISTRATION_DELAY_MIN} to {DEREGISTRATION_DELAY_MAX}"),
            format!("Set deregistration_delay between {DEREGISTRATION_DELAY_MIN} and {DEREGISTRATION_DELAY_MAX} seconds (30 by default)."),
        );
    }
}

/// `arn:<partition>:acm:<region>:<12 digits>:certificate/<id>`.
fn is_acm_certificate_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let partition_ok = partition.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty()
            || (rest.starts_with('-') && rest.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
    });
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let id_ok = resource.strip_prefix("certificate/").is_some_and(|id| {
        !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    *prefix == "arn" && partition_ok && *service == "acm" && region_ok && account_ok && id_ok
}

pub(super) fn check_dns(errors: &mut Errors, dns: &DnsSpec) {
    let zone_id = &dns.zone_id;
    let zone_ok = zone_id.starts_with('Z')
        && (2..=32).contains(&zone_id.len())
        && zone_id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !zone_ok {
        let hint = if zone_id.starts_with("/hostedzone/") {
            " without the \"/hostedzone/\" prefix"
        } else {
            ""
        };
        errors.push(
            path(&["dns", "zone_id"]),
            format!("{zone_id:?} is not a Route 53 hosted zone id"),
            format!("Write the hosted zone's id{hint}, such as \"Z0123456789ABCDEFGHIJ\" (\"Z\" and uppercase letters or digits)."),
        );
    }
    if !is_dns_name(&dns.record_name) {
        errors.push(
            path(&["dns", "record_name"]),
            format!("{:?} is not a DNS name", dns.record_name),
            "Write a fully qualified name inside the hosted zone, such as \"blog.example.com\": labels of 1 to 63 letters, digits or hyphens (not at either end), 253 characters in all.",
        );
    }
}

/// `blog.example.com`, `example.com.`, `*.example.com`.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let name = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |label: &str| {
        (1..=DNS_LABEL_MAX_LEN).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= DNS_NAME_MAX_LEN && name.contains('.') && name.split('.').all(label_ok)
}
