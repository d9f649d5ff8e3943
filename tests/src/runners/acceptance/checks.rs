//! Each tier of an applied stack, checked through the AWS API from the stack's outputs: the
//! network spans two zones with its NAT gateways up, the load balancer is active with at least
//! `min_size` healthy targets, the group has that many instances in service, the database and
//! the file system are available (a mount target per private subnet), the secret exists and,
//! with a hosted zone, the record points at the load balancer.

use std::collections::BTreeSet;

use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::Value as Json;

use crate::inspect::AwsInspector;

/// One tier's verdict: what was seen, or why it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierCheck {
    pub tier: &'static str,
    pub outcome: Result<String, String>,
}

/// What the checks need from the configuration beyond the outputs.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub min_size: usize,
    pub multi_az: bool,
    /// `(zone id, record name)` when the run was given a hosted zone.
    pub record: Option<(String, String)>,
}

/// Check every tier; a failed look-up is that tier's failure, never a panic.
pub async fn check_tiers(
    aws: &AwsInspector,
    outputs: &Json,
    expect: &Expectations,
) -> Vec<TierCheck> {
    let mut checks = vec![
        TierCheck {
            tier: "network",
            outcome: network(aws, outputs).await,
        },
        TierCheck {
            tier: "load balancer",
            outcome: load_balancer(aws, outputs, expect.min_size).await,
        },
        TierCheck {
            tier: "fleet",
            outcome: fleet(aws, outputs, expect.min_size).await,
        },
        TierCheck {
            tier: "database",
            outcome: database(aws, outputs, expect.multi_az).await,
        },
        TierCheck {
            tier: "file system",
            outcome: file_system(aws, outputs).await,
        },
        TierCheck {
            tier: "secret",
            outcome: secret(aws, outputs).await,
        },
    ];
    if let Some((zone_id, record_name)) = &expect.record {
        checks.push(TierCheck {
            tier: "dns record",
            outcome: record(aws, outputs, zone_id, record_name).await,
        });
    }
    checks
}

fn output<'a>(outputs: &'a Json, name: &str) -> Result<&'a Json, String> {
    match &outputs[name]["value"] {
        Json::Null => Err(format!("the `{name}` output is empty")),
        value => Ok(value),
    }
}

fn output_str<'a>(outputs: &'a Json, name: &str) -> Result<&'a str, String> {
    output(outputs, name)?
        .as_str()
        .ok_or_else(|| format!("the `{name}` output is not a string"))
}

fn output_list(outputs: &Json, name: &str) -> Result<Vec<String>, String> {
    let items = output(outputs, name)?
        .as_array()
        .ok_or_else(|| format!("the `{name}` output is not a list"))?;
    Ok(items
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect())
}

/// The id the stack recorded for one of its objects (the `resources` output).
fn owned(outputs: &Json, logical: &str) -> Result<String, String> {
    output(outputs, "resources")?[logical]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("the stack lists no {logical}"))
}

fn sdk<E: std::error::Error>(operation: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{operation}: {}", DisplayErrorContext(e))
}

async fn network(aws: &AwsInspector, outputs: &Json) -> Result<String, String> {
    let vpc_id = output_str(outputs, "vpc_id")?;
    let private = output_list(outputs, "private_subnet_ids")?;
    let subnets = aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(private.clone()))
        .send()
        .await
        .map_err(sdk("DescribeSubnets"))?;
    let zones: BTreeSet<&str> = subnets
        .subnets()
        .iter()
        .filter(|s| s.vpc_id() == Some(vpc_id))
        .filter_map(|s| s.availability_zone())
        .collect();
    if zones.len() < 2 {
        return Err(format!(
            "private subnets of {vpc_id} span {zones:?}, not two zones"
        ));
    }
    let nat_ids = output_list(outputs, "nat_gateway_ids")?;
    let nats = aws
        .ec2
        .describe_nat_gateways()
        .set_nat_gateway_ids(Some(nat_ids.clone()))
        .send()
        .await
        .map_err(sdk("DescribeNatGateways"))?;
    let available = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state().is_some_and(|s| s.as_str() == "available"))
        .count();
    if available != nat_ids.len() {
        return Err(format!(
            "{available} of {} NAT gateways available",
            nat_ids.len()
        ));
    }
    Ok(format!(
        "{vpc_id} over {zones:?}, {available} NAT gateway(s) available"
    ))
}

async fn load_balancer(
    aws: &AwsInspector,
    outputs: &Json,
    min_size: usize,
) -> Result<String, String> {
    let arn = owned(outputs, "load_balancer")?;
    let balancers = aws
        .elbv2
        .describe_load_balancers()
        .load_balancer_arns(&arn)
        .send()
        .await
        .map_err(sdk("DescribeLoadBalancers"))?;
    let state = balancers
        .load_balancers()
        .first()
        .and_then(|b| b.state())
        .and_then(|s| s.code())
        .map(|c| c.as_str().to_string())
        .unwrap_or_default();
    if state != "active" {
        return Err(format!("load balancer {arn} is {state:?}, not active"));
    }
    let group = owned(outputs, "target_group")?;
    let health = aws
        .elbv2
        .describe_target_health()
        .target_group_arn(&group)
        .send()
        .await
        .map_err(sdk("DescribeTargetHealth"))?;
    let healthy = health
        .target_health_descriptions()
        .iter()
        .filter(|d| {
            d.target_health()
                .and_then(|h| h.state())
                .is_some_and(|s| *s == TargetHealthStateEnum::Healthy)
        })
        .count();
    if healthy < min_size {
        return Err(format!(
            "{healthy} healthy target(s), fewer than min_size {min_size}"
        ));
    }
    Ok(format!("active, {healthy} healthy target(s)"))
}

async fn fleet(aws: &AwsInspector, outputs: &Json, min_size: usize) -> Result<String, String> {
    let name = output_str(outputs, "asg_name")?;
    let group = aws
        .auto_scaling_group(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("auto scaling group {name} not found"))?;
    let in_service = group
        .instances()
        .iter()
        .filter(|i| {
            i.lifecycle_state()
                .is_some_and(|s| s.as_str() == "InService")
        })
        .count();
    if in_service < min_size {
        return Err(format!(
            "{name}: {in_service} instance(s) InService, fewer than {min_size}"
        ));
    }
    Ok(format!("{name}: {in_service} instance(s) InService"))
}

async fn database(aws: &AwsInspector, outputs: &Json, multi_az: bool) -> Result<String, String> {
    let identifier = owned(outputs, "db_instance")?;
    let found = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(&identifier)
        .send()
        .await
        .map_err(sdk("DescribeDBInstances"))?;
    let db = found
        .db_instances()
        .first()
        .ok_or_else(|| format!("DB instance {identifier} not found"))?;
    let status = db.db_instance_status().unwrap_or_default();
    if status != "available" {
        return Err(format!(
            "DB instance {identifier} is {status:?}, not available"
        ));
    }
    if db.multi_az() != Some(multi_az) {
        return Err(format!(
            "DB instance {identifier}: MultiAZ is {:?}, configured {multi_az}",
            db.multi_az()
        ));
    }
    Ok(format!("{identifier} available, MultiAZ {multi_az}"))
}

async fn file_system(aws: &AwsInspector, outputs: &Json) -> Result<String, String> {
    let id = output_str(outputs, "efs_id")?;
    let found = aws
        .efs
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .await
        .map_err(sdk("DescribeFileSystems"))?;
    let state = found
        .file_systems()
        .first()
        .map(|f| f.life_cycle_state().as_str().to_string())
        .unwrap_or_default();
    if state != "available" {
        return Err(format!("file system {id} is {state:?}, not available"));
    }
    let targets = aws.mount_targets(id).await.map_err(|e| e.to_string())?;
    let served: BTreeSet<&str> = targets
        .iter()
        .filter(|t| t.life_cycle_state().as_str() == "available")
        .map(|t| t.subnet_id())
        .collect();
    let private = output_list(outputs, "private_subnet_ids")?;
    let missing: Vec<&String> = private
        .iter()
        .filter(|s| !served.contains(s.as_str()))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "file system {id} has no available mount target in {missing:?}"
        ));
    }
    Ok(format!(
        "{id} available, a mount target in each of {} private subnets",
        private.len()
    ))
}

async fn secret(aws: &AwsInspector, outputs: &Json) -> Result<String, String> {
    let arn = owned(outputs, "app_secret")?;
    aws.secretsmanager
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .map_err(sdk("DescribeSecret"))?;
    Ok(format!("{arn} exists"))
}

async fn record(
    aws: &AwsInspector,
    outputs: &Json,
    zone_id: &str,
    record_name: &str,
) -> Result<String, String> {
    let alb = output_str(outputs, "alb_dns_name")?
        .trim_end_matches('.')
        .to_lowercase();
    let records = aws
        .alias_records(zone_id)
        .await
        .map_err(|e| e.to_string())?;
    let wanted = record_name.trim_end_matches('.').to_lowercase();
    let target = records
        .iter()
        .find(|(name, _)| name.trim_end_matches('.').to_lowercase() == wanted)
        .map(|(_, target)| target.trim_end_matches('.').to_lowercase())
        .ok_or_else(|| format!("no alias record {record_name} in zone {zone_id}"))?;
    // Route 53 answers alias targets with a `dualstack.` prefix.
    if target.trim_start_matches("dualstack.") != alb {
        return Err(format!(
            "{record_name} points at {target}, not the load balancer {alb}"
        ));
    }
    Ok(format!("{record_name} -> {alb}"))
}
