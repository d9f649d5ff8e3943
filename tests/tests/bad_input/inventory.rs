//! Everything moto holds, tagged or not: "nothing was created" is checked against this, not
//! only against the stack tag (a create that failed before tagging would escape a tag search).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{InstanceStateName, NatGatewayState};
use stack_tests::inspect::AwsInspector;

/// `service kind id` of every object, sorted.
pub type Inventory = BTreeSet<String>;

fn entries<'a>(
    service: &str,
    kind: &str,
    ids: impl IntoIterator<Item = Option<&'a str>>,
) -> Vec<String> {
    ids.into_iter()
        .flatten()
        .map(|id| format!("{service} {kind} {id}"))
        .collect()
}

/// Every object of every service the stack uses. Moto's defaults (the default VPC, its
/// subnets, security group, route table and gateway) are in it too: compare with a baseline.
pub async fn take(aws: &AwsInspector) -> Result<Inventory, String> {
    let mut all = Inventory::new();
    all.extend(ec2_network(aws).await?);
    all.extend(ec2_compute(aws).await?);
    all.extend(services(aws).await?);
    Ok(all)
}

fn failed(operation: &str) -> impl FnOnce(String) -> String + '_ {
    move |err| format!("{operation}: {err}")
}

macro_rules! call {
    ($request:expr, $operation:literal) => {
        $request
            .send()
            .await
            .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(e).to_string())
            .map_err(failed($operation))?
    };
}

async fn ec2_network(aws: &AwsInspector) -> Result<Vec<String>, String> {
    let ec2 = &aws.ec2;
    let vpcs = call!(ec2.describe_vpcs(), "DescribeVpcs");
    let subnets = call!(ec2.describe_subnets(), "DescribeSubnets");
    let groups = call!(ec2.describe_security_groups(), "DescribeSecurityGroups");
    let gateways = call!(ec2.describe_internet_gateways(), "DescribeInternetGateways");
    let tables = call!(ec2.describe_route_tables(), "DescribeRouteTables");
    let nats = call!(ec2.describe_nat_gateways(), "DescribeNatGateways");
    let addresses = call!(ec2.describe_addresses(), "DescribeAddresses");
    let mut found = entries("ec2", "vpc", vpcs.vpcs().iter().map(|v| v.vpc_id()));
    found.extend(entries(
        "ec2",
        "subnet",
        subnets.subnets().iter().map(|s| s.subnet_id()),
    ));
    found.extend(entries(
        "ec2",
        "security-group",
        groups.security_groups().iter().map(|g| g.group_id()),
    ));
    found.extend(entries(
        "ec2",
        "internet-gateway",
        gateways
            .internet_gateways()
            .iter()
            .map(|g| g.internet_gateway_id()),
    ));
    found.extend(entries(
        "ec2",
        "route-table",
        tables.route_tables().iter().map(|t| t.route_table_id()),
    ));
    found.extend(entries(
        "ec2",
        "nat-gateway",
        // Moto, like AWS, lists deleted gateways for a while.
        nats.nat_gateways()
            .iter()
            .filter(|n| {
                !matches!(
                    n.state(),
                    Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
                )
            })
            .map(|n| n.nat_gateway_id()),
    ));
    found.extend(entries(
        "ec2",
        "address",
        addresses.addresses().iter().map(|a| a.allocation_id()),
    ));
    Ok(found)
}

async fn ec2_compute(aws: &AwsInspector) -> Result<Vec<String>, String> {
    let ec2 = &aws.ec2;
    let reservations = call!(ec2.describe_instances(), "DescribeInstances");
    let templates = call!(ec2.describe_launch_templates(), "DescribeLaunchTemplates");
    let live_instances = reservations
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| i.state().and_then(|s| s.name()) != Some(&InstanceStateName::Terminated))
        .map(|i| i.instance_id());
    let mut found = entries("ec2", "instance", live_instances);
    found.extend(entries(
        "ec2",
        "launch-template",
        templates
            .launch_templates()
            .iter()
            .map(|t| t.launch_template_id()),
    ));
    Ok(found)
}

async fn services(aws: &AwsInspector) -> Result<Vec<String>, String> {
    let file_systems = call!(aws.efs.describe_file_systems(), "DescribeFileSystems");
    let databases = call!(aws.rds.describe_db_instances(), "DescribeDBInstances");
    let db_subnets = call!(
        aws.rds.describe_db_subnet_groups(),
        "DescribeDBSubnetGroups"
    );
    let balancers = call!(aws.elbv2.describe_load_balancers(), "DescribeLoadBalancers");
    let target_groups = call!(aws.elbv2.describe_target_groups(), "DescribeTargetGroups");
    let groups = call!(
        aws.autoscaling.describe_auto_scaling_groups(),
        "DescribeAutoScalingGroups"
    );
    let zones = call!(aws.route53.list_hosted_zones(), "ListHostedZones");
    let secrets = call!(aws.secretsmanager.list_secrets(), "ListSecrets");
    let roles = call!(aws.iam.list_roles(), "ListRoles");
    let profiles = call!(aws.iam.list_instance_profiles(), "ListInstanceProfiles");
    let mut found = entries(
        "efs",
        "file-system",
        file_systems
            .file_systems()
            .iter()
            .map(|f| Some(f.file_system_id())),
    );
    found.extend(entries(
        "rds",
        "db-instance",
        databases
            .db_instances()
            .iter()
            .map(|d| d.db_instance_identifier()),
    ));
    found.extend(entries(
        "rds",
        "db-subnet-group",
        db_subnets
            .db_subnet_groups()
            .iter()
            .map(|g| g.db_subnet_group_name()),
    ));
    found.extend(entries(
        "elbv2",
        "load-balancer",
        balancers
            .load_balancers()
            .iter()
            .map(|b| b.load_balancer_arn()),
    ));
    found.extend(entries(
        "elbv2",
        "target-group",
        target_groups
            .target_groups()
            .iter()
            .map(|t| t.target_group_arn()),
    ));
    found.extend(entries(
        "autoscaling",
        "group",
        groups
            .auto_scaling_groups()
            .iter()
            .map(|g| g.auto_scaling_group_name()),
    ));
    found.extend(entries(
        "route53",
        "hosted-zone",
        zones.hosted_zones().iter().map(|z| Some(z.id())),
    ));
    found.extend(entries(
        "secretsmanager",
        "secret",
        secrets.secret_list().iter().map(|s| s.arn()),
    ));
    found.extend(entries(
        "iam",
        "role",
        roles.roles().iter().map(|r| Some(r.role_name())),
    ));
    found.extend(entries(
        "iam",
        "instance-profile",
        profiles
            .instance_profiles()
            .iter()
            .map(|p| Some(p.instance_profile_name())),
    ));
    Ok(found)
}

/// What `now` holds that `baseline` did not.
pub fn added(baseline: &Inventory, now: &Inventory) -> Vec<String> {
    now.difference(baseline).cloned().collect()
}
