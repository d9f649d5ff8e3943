//! Which objects a stack of a given spec owns, and which of them a state has lost.

use std::collections::BTreeSet;

use crate::spec::{NatMode, StackSpec};
use crate::state::StackState;

/// Objects both the applied and the desired spec need that are absent from the state (deleted
/// out of band and dropped by the last read), so the apply must recreate them; by logical
/// name. Objects only the desired spec needs (a NAT gateway per zone, a bastion being
/// enabled) are new, and their tier's planner reports them.
pub(super) fn missing_objects(prior: &StackState, desired: &StackSpec) -> Vec<String> {
    let applied: BTreeSet<String> = expected_objects(&prior.spec).into_iter().collect();
    expected_objects(desired)
        .into_iter()
        .filter(|name| applied.contains(name) && !prior.resources.contains_key(name))
        .collect()
}

/// Logical names of the objects a stack of this spec owns, as `StackState::resources` keys.
/// Objects whose presence depends on more than the spec (listener rules…) are left out.
pub fn expected_objects(spec: &StackSpec) -> Vec<String> {
    use crate::state::logical as l;
    let zones = spec.network.availability_zones.as_deref().unwrap_or(&[]);
    let mut names: Vec<String> = [
        l::VPC,
        l::INTERNET_GATEWAY,
        l::PUBLIC_ROUTE_TABLE,
        l::EFS_FILE_SYSTEM,
        l::DB_SUBNET_GROUP,
        l::DB_INSTANCE,
        l::LOAD_BALANCER,
        l::TARGET_GROUP,
        l::HTTP_LISTENER,
        l::LAUNCH_TEMPLATE,
        l::AUTOSCALING_GROUP,
        l::SCALING_POLICY,
        l::APP_SECRET,
        l::APP_ROLE,
        l::APP_ROLE_POLICY,
        l::APP_INSTANCE_PROFILE,
    ]
    .map(String::from)
    .into();
    for tier in ["alb", "bastion", "app", "efs", "db"] {
        names.push(l::qualified(l::SECURITY_GROUP, tier));
    }
    for zone in zones {
        for kind in [
            l::PUBLIC_SUBNET,
            l::PRIVATE_SUBNET,
            l::PUBLIC_ROUTE_TABLE_ASSOCIATION,
            l::PRIVATE_ROUTE_TABLE,
            l::PRIVATE_ROUTE_TABLE_ASSOCIATION,
            l::EFS_MOUNT_TARGET,
        ] {
            names.push(l::qualified(kind, zone));
        }
    }
    let nat_zones = match spec.network.nat_gateways {
        NatMode::OnePerAz => zones,
        NatMode::Single => &zones[..zones.len().min(1)],
    };
    for zone in nat_zones {
        names.push(l::qualified(l::NAT_EIP, zone));
        names.push(l::qualified(l::NAT_GATEWAY, zone));
    }
    if spec.bastion.enabled {
        names.push(l::BASTION_INSTANCE.into());
    }
    if spec.load_balancer.certificate_arn.is_some() {
        names.push(l::HTTPS_LISTENER.into());
    }
    if spec.dns.is_some() {
        names.push(l::DNS_RECORD.into());
    }
    if spec.waf.enabled {
        names.push(l::WAF_WEB_ACL.into());
        names.push(l::WAF_ASSOCIATION.into());
    }
    names.extend(alarm_objects(spec));
    if spec.logs.enabled {
        names.push(l::LOG_GROUP.into());
    }
    names
}

/// The state's logical names of what the alarms block owns for this spec.
fn alarm_objects(spec: &StackSpec) -> Vec<String> {
    use crate::state::logical as l;
    let a = &spec.alarms;
    if !a.enabled {
        return Vec::new();
    }
    let mut names = Vec::new();
    if a.owns_topic() {
        names.push(l::ALARM_TOPIC.to_string());
        for email in &a.email_addresses {
            names.push(l::qualified(
                l::ALARM_SUBSCRIPTION,
                &email.to_ascii_lowercase(),
            ));
        }
    }
    names.push(l::GROUP_METRICS.to_string());
    for alarm in crate::alarms::wanted_alarms(spec) {
        names.push(l::qualified(l::ALARM, alarm.key));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm_names(spec: &StackSpec) -> Vec<String> {
        expected_objects(spec)
            .into_iter()
            .filter(|n| n.starts_with("alarm"))
            .collect()
    }

    #[test]
    fn the_alarms_own_their_topic_and_subscriptions_unless_a_topic_is_given() {
        let mut spec = StackSpec::with_name("blog");
        spec.alarms.email_addresses = vec!["Ops@Example.com".into()];
        let names = alarm_names(&spec);
        assert!(names.contains(&"alarm_topic".into()), "{names:?}");
        assert!(names.contains(&"alarm_subscription:ops@example.com".into()));
        spec.alarms.topic_arn = Some("arn:aws:sns:us-east-1:123456789012:ops".into());
        let names = alarm_names(&spec);
        assert!(!names.iter().any(|n| n.starts_with("alarm_topic")));
        assert!(!names.iter().any(|n| n.starts_with("alarm_subscription")));
        spec.alarms.enabled = false;
        assert!(alarm_names(&spec).is_empty());
    }
}
