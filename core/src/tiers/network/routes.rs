//! The network's routing: the internet gateway, the public route table, and each zone's
//! private route table whose default route goes through its NAT gateway.

use super::private_table_name;
use crate::aws::ec2::{self, RouteTable, RouteTarget, Scope};
use crate::error::Result;
use crate::state::logical::{self, qualified};
use crate::tiers::context::StepContext;
use crate::tiers::dependency::retry_dependency;
use crate::tiers::ec2_tags::ensure_tags;

pub(super) async fn ensure_internet_gateway(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let vpc_id = ctx.require(logical::VPC)?;
    let name = ctx.name("igw", None);
    let (attached, tagged) = tokio::try_join!(
        ec2::internet_gateways(clients, Scope::Vpc(&vpc_id)),
        ec2::stack_internet_gateways(clients, ctx.stack())
    )?;
    let gateways: Vec<ec2::InternetGateway> = attached.into_iter().chain(tagged).collect();
    let existing = gateways
        .iter()
        .find(|g| g.attached_vpcs.contains(&vpc_id))
        .or_else(|| {
            gateways
                .iter()
                .find(|g| g.attached_vpcs.is_empty() && g.tags.get("Name") == Some(&name))
        });
    let (id, attached) = match existing {
        Some(gateway) => {
            ensure_tags(ctx, &gateway.id, &gateway.tags, &name).await?;
            (gateway.id.clone(), gateway.attached_vpcs.contains(&vpc_id))
        }
        None => {
            let tags = ctx.tags(&name);
            let id = ctx
                .create_or_adopt(
                    &format!("create internet gateway {name}"),
                    || ec2::create_internet_gateway(clients, &tags),
                    || find_unattached_gateway(ctx, &name),
                )
                .await?;
            tracing::info!(internet_gateway = %id, "internet gateway created");
            (id, false)
        }
    };
    ctx.record(logical::INTERNET_GATEWAY, &id);
    if !attached {
        ctx.eventually(&format!("attach {id}"), || async {
            match ec2::attach_internet_gateway(clients, &id, &vpc_id).await {
                // A retry of an attach whose answer was lost: done if it is our VPC.
                Err(error) if error.aws_code() == Some("Resource.AlreadyAssociated") => {
                    attached_to(ctx, &id, &vpc_id)
                        .await?
                        .then_some(())
                        .ok_or(error)
                }
                outcome => outcome,
            }
        })
        .await?;
        tracing::info!(internet_gateway = %id, vpc = %vpc_id, "internet gateway attached");
    }
    Ok(())
}

/// Whether gateway `igw` is attached to `vpc_id`.
async fn attached_to(ctx: &StepContext, igw: &str, vpc_id: &str) -> Result<bool> {
    let gateways = ec2::internet_gateways(&ctx.clients, Scope::Vpc(vpc_id)).await?;
    Ok(gateways.iter().any(|g| g.id == igw))
}

/// A stack gateway named `name` attached nowhere: one whose create lost its answer.
async fn find_unattached_gateway(ctx: &StepContext, name: &str) -> Result<Option<String>> {
    let gateways = ec2::stack_internet_gateways(&ctx.clients, ctx.stack()).await?;
    Ok(gateways
        .into_iter()
        .find(|g| {
            g.attached_vpcs.is_empty() && g.tags.get("Name").map(String::as_str) == Some(name)
        })
        .map(|g| g.id))
}

pub(super) async fn delete_internet_gateway(ctx: &StepContext) -> Result<()> {
    let Some(id) = ctx.resource(logical::INTERNET_GATEWAY) else {
        return Ok(());
    };
    let clients = &ctx.clients;
    if let Some(vpc_id) = ctx.resource(logical::VPC) {
        // Refused while public addresses (NAT, bastion, ALB) are still mapped in the VPC.
        retry_dependency(ctx, &format!("detach internet gateway {id}"), || {
            ec2::detach_internet_gateway(clients, &id, &vpc_id)
        })
        .await?;
    }
    retry_dependency(ctx, &format!("delete internet gateway {id}"), || {
        ec2::delete_internet_gateway(clients, &id)
    })
    .await?;
    tracing::info!(internet_gateway = %id, "internet gateway deleted");
    ctx.forget(logical::INTERNET_GATEWAY);
    Ok(())
}

/// The route table named `name` in the stack's VPC, created when missing.
/// The VPC's table named `name`, else (it lost its tags) the one associated with one of
/// `subnets`.
pub(super) fn identify_table<'a>(
    tables: &'a [RouteTable],
    name: &str,
    subnets: &[String],
) -> Option<&'a RouteTable> {
    tables
        .iter()
        .find(|t| t.tags.get("Name").map(String::as_str) == Some(name))
        .or_else(|| {
            tables
                .iter()
                .find(|t| t.associations.iter().any(|(_, s)| subnets.contains(s)))
        })
}

/// The route table named `name` (or serving `subnets`) in the stack's VPC, created when
/// missing, with every table of the VPC as described (where each subnet sits now).
async fn find_or_create_table(
    ctx: &StepContext,
    name: &str,
    logical_name: &str,
    subnets: &[String],
) -> Result<(RouteTable, Vec<RouteTable>)> {
    let clients = &ctx.clients;
    let vpc_id = ctx.require(logical::VPC)?;
    let tables = ec2::route_tables(clients, Scope::Vpc(&vpc_id)).await?;
    let table = match identify_table(&tables, name, subnets).cloned() {
        Some(table) => {
            ensure_tags(ctx, &table.id, &table.tags, name).await?;
            table
        }
        None => {
            let tags = ctx.tags(name);
            let id = ctx
                .create_or_adopt(
                    &format!("create route table {name}"),
                    || ec2::create_route_table(clients, &vpc_id, &tags),
                    || find_table_named(ctx, &vpc_id, name),
                )
                .await?;
            tracing::info!(route_table = %id, name, "route table created");
            RouteTable {
                id,
                vpc_id,
                routes: Vec::new(),
                associations: Vec::new(),
                tags: ctx.tags(name),
            }
        }
    };
    ctx.record(logical_name, &table.id);
    Ok((table, tables))
}

/// The VPC's route table named `name`, if any (a create whose answer was lost).
async fn find_table_named(ctx: &StepContext, vpc_id: &str, name: &str) -> Result<Option<String>> {
    let tables = ec2::route_tables(&ctx.clients, Scope::Vpc(vpc_id)).await?;
    Ok(identify_table(&tables, name, &[]).map(|t| t.id.clone()))
}

pub(super) async fn ensure_public_routes(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
    let igw = ctx.require(logical::INTERNET_GATEWAY)?;
    let public_subnets: Vec<String> = ctx
        .zones()
        .iter()
        .map(|az| ctx.require(&qualified(logical::PUBLIC_SUBNET, az)))
        .collect::<Result<_>>()?;
    let (table, vpc_tables) = find_or_create_table(
        ctx,
        &ctx.name("public", None),
        logical::PUBLIC_ROUTE_TABLE,
        &public_subnets,
    )
    .await?;
    let target = RouteTarget::Gateway(&igw);
    ctx.eventually(&format!("default route of {}", table.id), || {
        ec2::ensure_default_route(clients, &table, target)
    })
    .await?;
    for az in ctx.zones() {
        let subnet = ctx.require(&qualified(logical::PUBLIC_SUBNET, az))?;
        let association = ctx
            .eventually(&format!("associate {subnet}"), || {
                ec2::associate_subnet(clients, &table, &vpc_tables, &subnet)
            })
            .await?;
        ctx.record(
            qualified(logical::PUBLIC_ROUTE_TABLE_ASSOCIATION, az),
            association,
        );
    }
    Ok(())
}

async fn delete_table(
    ctx: &StepContext,
    table_key: &str,
    name: &str,
    association_keys: &[String],
) -> Result<()> {
    let clients = &ctx.clients;
    for key in association_keys {
        if let Some(association) = ctx.resource(key) {
            ec2::disassociate_route_table(clients, &association).await?;
            ctx.forget(key);
        }
    }
    let id = match ctx.resource(table_key) {
        Some(id) => id,
        None => match unrecorded_table(ctx, name).await? {
            Some(id) => id,
            None => return Ok(()),
        },
    };
    retry_dependency(ctx, &format!("delete route table {id}"), || {
        ec2::delete_route_table(clients, &id)
    })
    .await?;
    tracing::info!(route_table = %id, "route table deleted");
    ctx.forget(table_key);
    Ok(())
}

/// The table named `name` in the recorded VPC, its associations removed: a refresh leaves
/// out a table that has no default route yet (an apply failed between creating the table and
/// its route), yet the VPC cannot be deleted while the table exists.
async fn unrecorded_table(ctx: &StepContext, name: &str) -> Result<Option<String>> {
    let clients = &ctx.clients;
    let Some(vpc_id) = ctx.resource(logical::VPC) else {
        return Ok(None);
    };
    let tables = ec2::route_tables(clients, Scope::Vpc(&vpc_id)).await?;
    let Some(table) = tables
        .into_iter()
        .find(|t| t.tags.get("Name").map(String::as_str) == Some(name))
    else {
        return Ok(None);
    };
    for (association, _) in &table.associations {
        ec2::disassociate_route_table(clients, association).await?;
    }
    Ok(Some(table.id))
}

pub(super) async fn delete_public_routes(ctx: &StepContext) -> Result<()> {
    let associations: Vec<String> = ctx
        .zones()
        .iter()
        .map(|az| qualified(logical::PUBLIC_ROUTE_TABLE_ASSOCIATION, az))
        .collect();
    let name = ctx.name("public", None);
    delete_table(ctx, logical::PUBLIC_ROUTE_TABLE, &name, &associations).await
}

pub(super) async fn ensure_private_routes(ctx: &StepContext, az: &str) -> Result<()> {
    let clients = &ctx.clients;
    let nat_zone = ctx.layout.nat_zone_for(az).to_string();
    let nat = ctx.require(&qualified(logical::NAT_GATEWAY, &nat_zone))?;
    let subnet = ctx.require(&qualified(logical::PRIVATE_SUBNET, az))?;
    let (table, vpc_tables) = find_or_create_table(
        ctx,
        &private_table_name(ctx, az),
        &qualified(logical::PRIVATE_ROUTE_TABLE, az),
        std::slice::from_ref(&subnet),
    )
    .await?;
    let target = RouteTarget::NatGateway(&nat);
    ctx.eventually(&format!("default route of {}", table.id), || {
        ec2::ensure_default_route(clients, &table, target)
    })
    .await?;
    let association = ctx
        .eventually(&format!("associate {subnet}"), || {
            ec2::associate_subnet(clients, &table, &vpc_tables, &subnet)
        })
        .await?;
    ctx.record(
        qualified(logical::PRIVATE_ROUTE_TABLE_ASSOCIATION, az),
        association,
    );
    Ok(())
}

pub(super) async fn delete_private_routes(ctx: &StepContext, az: &str) -> Result<()> {
    let association = [qualified(logical::PRIVATE_ROUTE_TABLE_ASSOCIATION, az)];
    delete_table(
        ctx,
        &qualified(logical::PRIVATE_ROUTE_TABLE, az),
        &private_table_name(ctx, az),
        &association,
    )
    .await
}
