//! A create's plan: every object is new and every output unknown.

use super::{object, output, ActionKind, Risk, StackPlan};
use crate::spec::{NatMode, StackSpec};

/// Plan a create: every object is new and every output unknown.
pub fn plan_create(spec: &StackSpec) -> StackPlan {
    use ActionKind::Create;
    let zones = spec.network.availability_zones.as_deref().unwrap_or(&[]);
    let per_zone = |what: &str| format!("{what} in each of {} zones", zones.len());
    let nat = match spec.network.nat_gateways {
        NatMode::OnePerAz => per_zone("NAT gateway + EIP"),
        NatMode::Single => "one NAT gateway + EIP for all zones".to_string(),
    };
    let db = format!(
        "MySQL {} {}{}, encrypted, private",
        spec.database.engine_version,
        spec.database.instance_class,
        if spec.database.multi_az {
            ", Multi-AZ"
        } else {
            ""
        }
    );
    let mut plan = StackPlan {
        unknown_outputs: output::ALL.into_iter().collect(),
        ..StackPlan::default()
    };
    plan.push(object::VPC, Create, &spec.network.vpc_cidr);
    plan.push(object::SUBNETS, Create, per_zone("public + private subnet"));
    plan.push(
        object::INTERNET_GATEWAY,
        Create,
        "attached, public default route",
    );
    plan.push(object::NAT_GATEWAY, Create, nat).risk(Risk::Cost);
    plan.push(
        object::SECURITY_GROUPS,
        Create,
        "alb, bastion, app, efs, db (chained)",
    );
    plan.push(
        object::SECRET,
        Create,
        "database password + WordPress keys, readable only by the instances' IAM role",
    );
    plan.push(object::EFS, Create, per_zone("encrypted, mount target"));
    plan.push(object::RDS, Create, db).risk(Risk::Cost);
    let listeners = if spec.load_balancer.certificate_arn.is_some() {
        "HTTPS listener, HTTP redirecting to HTTPS"
    } else {
        "HTTP listener"
    };
    plan.push(
        object::ALB,
        Create,
        format!("internet-facing, target group, {listeners}"),
    )
    .risk(Risk::Cost);
    plan.push(
        object::LAUNCH_TEMPLATE,
        Create,
        format!(
            "{} on {}",
            spec.wordpress.image, spec.wordpress.instance_type
        ),
    );
    plan.push(
        object::ASG,
        Create,
        format!(
            "{}..{} instances, CPU target {}%",
            spec.autoscaling.min_size,
            spec.autoscaling.max_size,
            spec.autoscaling.target_cpu_utilization
        ),
    )
    .risk(Risk::Cost);
    if spec.bastion.enabled {
        plan.push(object::BASTION, Create, &spec.bastion.instance_type)
            .risk(Risk::Cost);
    }
    if let Some(dns) = &spec.dns {
        plan.push(
            object::DNS_RECORD,
            Create,
            format!("alias {} -> ALB", dns.record_name),
        )
        // Route 53 UPSERT: a record of that name made by anyone else is overwritten.
        .risk(Risk::DataLoss);
    }
    super::waf::plan_create(spec, &mut plan);
    super::alarms::plan_create(spec, &mut plan);
    super::logs::plan_create(spec, &mut plan);
    plan
}
