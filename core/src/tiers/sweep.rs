//! The sweep that ends a destroy: whatever EC2 object still carries the stack tag (an apply
//! killed before it recorded an id, an object created out of band) is deleted, in dependency
//! order (after `service_sweep` removed the other services' objects), then EC2 must show
//! nothing live with the tag, asked kind by kind (an emulating endpoint's tagging API may miss EIPs and launch
//! templates).

use futures::future::try_join_all;

use super::context::StepContext;
use super::dependency::retry_dependency;
use super::security::revoke_cross_references;
use crate::aws::ec2::{self, TaggedObject};
use crate::aws::launch_template;
use crate::error::{Result, StackError};
use crate::wait::{self, Poll};

/// Sweep every service the core knows, then check that nothing tagged is left.
pub async fn sweep_all(ctx: &StepContext) -> Result<()> {
    super::service_sweep::sweep_services(ctx).await?;
    sweep_ec2(ctx).await?;
    let left = live_tagged_objects(ctx).await?;
    if left.is_empty() {
        return Ok(());
    }
    for object in &left {
        ctx.record(format!("{}:{}", object.kind, object.id), &object.id);
    }
    Err(StackError::Refused {
        what: format!(
            "objects tagged for stack {} survived the destroy: {}",
            ctx.stack(),
            left.iter()
                .map(|o| format!("{} {}", o.kind, o.id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// EC2 objects of the stack, deleted kind by kind: instances, launch templates, NAT
/// gateways, addresses, route tables, internet gateways, security groups, subnets, VPCs.
pub async fn sweep_ec2(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let stack = ctx.stack();

    let instances: Vec<ec2::Instance> = ec2::stack_instances(clients, stack, None)
        .await?
        .into_iter()
        .filter(ec2::Instance::is_live)
        .collect();
    try_join_all(instances.iter().map(|i| terminate_and_wait(ctx, &i.id))).await?;

    let templates =
        launch_template::list_tagged(&ctx.clients, crate::naming::STACK_TAG, stack).await?;
    for template in &templates {
        launch_template::delete(&ctx.clients, &template.id).await?;
        tracing::info!(launch_template = %template.id, "swept");
    }

    let nats: Vec<ec2::NatGateway> = ec2::stack_nat_gateways(clients, stack)
        .await?
        .into_iter()
        .filter(ec2::NatGateway::is_live)
        .collect();
    try_join_all(nats.iter().map(|n| delete_nat_and_wait(ctx, &n.id))).await?;

    for address in ec2::stack_addresses(clients, stack).await? {
        let id = address.allocation_id;
        retry_dependency(ctx, &format!("release elastic IP {id}"), || {
            ec2::release_address(clients, &id)
        })
        .await?;
        tracing::info!(allocation = %id, "swept");
    }

    for table in ec2::stack_route_tables(clients, stack).await? {
        for (association, _) in &table.associations {
            ec2::disassociate_route_table(clients, association).await?;
        }
        retry_dependency(ctx, &format!("delete route table {}", table.id), || {
            ec2::delete_route_table(clients, &table.id)
        })
        .await?;
        tracing::info!(route_table = %table.id, "swept");
    }

    for gateway in ec2::stack_internet_gateways(clients, stack).await? {
        for vpc in &gateway.attached_vpcs {
            retry_dependency(
                ctx,
                &format!("detach internet gateway {}", gateway.id),
                || ec2::detach_internet_gateway(clients, &gateway.id, vpc),
            )
            .await?;
        }
        ec2::delete_internet_gateway(clients, &gateway.id).await?;
        tracing::info!(internet_gateway = %gateway.id, "swept");
    }

    let groups = ec2::stack_security_groups(clients, stack).await?;
    revoke_cross_references(ctx, &groups).await?;
    for group in &groups {
        retry_dependency(ctx, &format!("delete security group {}", group.id), || {
            ec2::delete_security_group(clients, &group.id)
        })
        .await?;
        tracing::info!(security_group = %group.id, "swept");
    }

    for subnet in ec2::stack_subnets(clients, stack).await? {
        retry_dependency(ctx, &format!("delete subnet {}", subnet.id), || {
            ec2::delete_subnet(clients, &subnet.id)
        })
        .await?;
        tracing::info!(subnet = %subnet.id, "swept");
    }

    for vpc in ec2::stack_vpcs(clients, stack).await? {
        retry_dependency(ctx, &format!("delete VPC {}", vpc.id), || {
            ec2::delete_vpc(clients, &vpc.id)
        })
        .await?;
        tracing::info!(vpc = %vpc.id, "swept");
    }
    Ok(())
}

async fn terminate_and_wait(ctx: &StepContext, id: &str) -> Result<()> {
    let clients = &ctx.clients;
    ec2::terminate_instance(clients, id).await?;
    wait::until(
        ctx.bounds(),
        &format!("instance {id}"),
        "terminated",
        || async {
            Ok(match ec2::instance(clients, id).await? {
                Some(i) if i.state != "terminated" => Poll::Pending(i.state),
                _ => Poll::Ready(()),
            })
        },
    )
    .await?;
    tracing::info!(instance = %id, "swept");
    Ok(())
}

async fn delete_nat_and_wait(ctx: &StepContext, id: &str) -> Result<()> {
    let clients = &ctx.clients;
    ec2::delete_nat_gateway(clients, id).await?;
    wait::until(
        ctx.bounds(),
        &format!("NAT gateway {id}"),
        "deleted",
        || async {
            Ok(match ec2::nat_gateway(clients, id).await? {
                Some(n) if n.state != "deleted" => Poll::Pending(n.state),
                _ => Poll::Ready(()),
            })
        },
    )
    .await?;
    tracing::info!(nat_gateway = %id, "swept");
    Ok(())
}

/// EC2 objects carrying the stack tag that still exist, asked kind by kind (DescribeTags is
/// no proof: an emulating endpoint may keep the tags of deleted objects, and AWS those of terminated instances
/// and deleted NAT gateways for a while).
pub async fn live_tagged_objects(ctx: &StepContext) -> Result<Vec<TaggedObject>> {
    let clients = &ctx.clients;
    let stack = ctx.stack();
    let (instances, nats, addresses, tables, gateways, groups, subnets, vpcs, templates) = tokio::try_join!(
        ec2::stack_instances(clients, stack, None),
        ec2::stack_nat_gateways(clients, stack),
        ec2::stack_addresses(clients, stack),
        ec2::stack_route_tables(clients, stack),
        ec2::stack_internet_gateways(clients, stack),
        ec2::stack_security_groups(clients, stack),
        ec2::stack_subnets(clients, stack),
        ec2::stack_vpcs(clients, stack),
        launch_template::list_tagged(&ctx.clients, crate::naming::STACK_TAG, stack),
    )?;
    let object = |kind: &str, id: &str| TaggedObject {
        id: id.to_string(),
        kind: kind.to_string(),
    };
    let mut left = Vec::new();
    left.extend(
        instances
            .iter()
            .filter(|i| i.is_live())
            .map(|i| object("instance", &i.id)),
    );
    left.extend(
        nats.iter()
            .filter(|n| n.is_live())
            .map(|n| object("natgateway", &n.id)),
    );
    left.extend(
        addresses
            .iter()
            .map(|a| object("elastic-ip", &a.allocation_id)),
    );
    left.extend(tables.iter().map(|t| object("route-table", &t.id)));
    left.extend(gateways.iter().map(|g| object("internet-gateway", &g.id)));
    left.extend(groups.iter().map(|g| object("security-group", &g.id)));
    left.extend(subnets.iter().map(|s| object("subnet", &s.id)));
    left.extend(vpcs.iter().map(|v| object("vpc", &v.id)));
    left.extend(templates.iter().map(|t| object("launch-template", &t.id)));
    Ok(left)
}
