//! The network tier: VPC, a public and a private subnet per zone, internet gateway, public
//! route table, EIP + NAT gateway per zone (or one), and a private route table per zone whose
//! default route goes through its zone's NAT gateway (or the single one).
//!
//! Names: `<stack>-vpc`, `<stack>-public-<az>`, `<stack>-private-<az>`, `<stack>-igw`,
//! `<stack>-public` (route table), `<stack>-nat-<az>` (EIP and NAT), `<stack>-private-rt-<az>`.
//!
//! Finding objects: the VPC by the stack tag (or the id the state knows); everything else
//! by its place inside that VPC, not by tags alone: subnets by zone and carved CIDR, NAT
//! gateways by subnet, route tables by name or by the subnets they serve. An object whose
//! tags were removed out of band is thus found again, re-tagged, never duplicated. A refresh
//! leaves such an object out of the state (the plan shows it missing), and reports user-tag
//! drift in `tags`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::refresh::Prefetch;
use super::{step, StackLayout, Step, StepContext};
use crate::aws::ec2::{self, RouteTable, RouteTarget, Scope, Tags};
use crate::cidr;
use crate::error::{Result, StackError};
use crate::naming;
use crate::spec::NatMode;
use crate::state::logical::{self, qualified};
use crate::wait::{self, Poll};

/// Removes the NAT gateways a switch to `single` left behind, once every private route
/// points at the remaining one.
const NAT_CLEANUP: &str = "network.nat_cleanup";

/// Usual time for a NAT gateway to become available, and to be deleted (AWS figures).
const NAT_CREATE_TIME: Duration = Duration::from_secs(90);
const NAT_DELETE_TIME: Duration = Duration::from_secs(60);
/// How long AWS usually takes to drop a deleted NAT gateway's address association.
const ADDRESS_RELEASE_TIME: Duration = Duration::from_secs(10);

pub fn steps(plan: &StackLayout) -> Vec<Step> {
    let mut steps = vec![
        Step::new(step::VPC, Vec::<String>::new())
            .create(|ctx| async move { ensure_vpc(&ctx).await })
            .delete(|ctx| async move { delete_vpc(&ctx).await }),
        Step::new(step::INTERNET_GATEWAY, [step::VPC])
            .create(|ctx| async move { ensure_internet_gateway(&ctx).await })
            .delete(|ctx| async move { delete_internet_gateway(&ctx).await }),
    ];
    for (index, az) in plan.zones.iter().enumerate() {
        for kind in [SubnetKind::Public, SubnetKind::Private] {
            let zone = az.clone();
            let id = match kind {
                SubnetKind::Public => step::public_subnet(az),
                SubnetKind::Private => step::private_subnet(az),
            };
            steps.push(
                Step::new(id, [step::VPC])
                    .create(move |ctx| async move { ensure_subnet(&ctx, kind, index, &zone).await })
                    .delete({
                        let zone = az.clone();
                        move |ctx| async move { delete_subnet(&ctx, kind, &zone).await }
                    }),
            );
        }
    }
    let mut public_deps = step::all_public_subnets(&plan.zones);
    public_deps.push(step::INTERNET_GATEWAY.to_string());
    steps.push(
        Step::new(step::PUBLIC_ROUTES, public_deps)
            .create(|ctx| async move { ensure_public_routes(&ctx).await })
            .delete(|ctx| async move { delete_public_routes(&ctx).await }),
    );
    for az in plan.nat_zones() {
        let zone = az.clone();
        let gone = az.clone();
        steps.push(
            Step::new(
                step::nat(&az),
                [step::public_subnet(&az), step::INTERNET_GATEWAY.to_string()],
            )
            .create(move |ctx| async move { ensure_nat(&ctx, &zone).await })
            .delete(move |ctx| async move { delete_nat(&ctx, &gone).await }),
        );
    }
    for az in &plan.zones {
        let zone = az.clone();
        let gone = az.clone();
        let nat_zone = plan.nat_zone_for(az).to_string();
        steps.push(
            Step::new(
                step::private_routes(az),
                [step::nat(&nat_zone), step::private_subnet(az)],
            )
            .create(move |ctx| async move { ensure_private_routes(&ctx, &zone).await })
            .delete(move |ctx| async move { delete_private_routes(&ctx, &gone).await }),
        );
    }
    // After every private route (never cut a zone off), before any public subnet is deleted.
    let mut cleanup_deps = step::all_private_routes(&plan.zones);
    cleanup_deps.extend(step::all_public_subnets(&plan.zones));
    steps.push(
        Step::new(NAT_CLEANUP, cleanup_deps)
            .create(|ctx| async move { remove_unwanted_nats(&ctx).await })
            .delete(|ctx| async move { remove_unwanted_nats(&ctx).await }),
    );
    steps
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SubnetKind {
    Public,
    Private,
}

impl SubnetKind {
    fn role(self) -> &'static str {
        match self {
            SubnetKind::Public => "public",
            SubnetKind::Private => "private",
        }
    }
    fn logical(self) -> &'static str {
        match self {
            SubnetKind::Public => logical::PUBLIC_SUBNET,
            SubnetKind::Private => logical::PRIVATE_SUBNET,
        }
    }
}

fn nat_name(ctx: &StepContext, az: &str) -> String {
    ctx.name("nat", Some(az))
}
fn private_table_name(ctx: &StepContext, az: &str) -> String {
    ctx.name("private-rt", Some(az))
}

/// Add the tags the object should carry but does not (a tag removed out of band).
/// Give an existing object the tags it should carry: add what is missing or different (a tag
/// removed out of band, a changed `tags`), remove the tags the configuration dropped.
pub(crate) async fn ensure_tags(
    ctx: &StepContext,
    id: &str,
    observed: &Tags,
    name: &str,
) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let wanted = ctx.tags(name);
    let missing: Tags = wanted
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let retired: Vec<String> = ctx
        .retired_tags()
        .iter()
        .filter(|k| observed.contains_key(*k) && !wanted.contains_key(*k))
        .cloned()
        .collect();
    if !missing.is_empty() {
        tracing::info!(id, keys = ?missing.keys().collect::<Vec<_>>(), "setting tags");
        ctx.eventually(&format!("tag {id}"), || ec2::create_tags(ec2, id, &missing))
            .await?;
    }
    if !retired.is_empty() {
        tracing::info!(id, keys = ?retired, "removing tags");
        ec2::delete_tags(ec2, id, &retired).await?;
    }
    Ok(())
}

fn is_dependency_violation(error: &StackError) -> bool {
    matches!(
        error.aws_code(),
        Some("DependencyViolation" | "InvalidIPAddress.InUse")
    )
}

/// Delete with retries while AWS still sees dependents (ENIs draining after ALB/NAT/EFS).
pub(crate) async fn retry_dependency<F, Fut>(
    ctx: &StepContext,
    what: &str,
    attempt: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    wait::retrying(ctx.bounds(), what, is_dependency_violation, attempt).await
}

// ---------------------------------------------------------------------------------------------
// VPC

/// The VPC id the stack is known by: recorded in this operation, else in the prior state.
fn known_vpc_id(ctx: &StepContext) -> Option<String> {
    ctx.resource(logical::VPC)
        .or_else(|| ctx.prior_resource(logical::VPC).map(str::to_string))
}

/// Among VPCs tagged for the stack, the known one, else the one named for it.
pub(crate) fn pick_vpc(ctx: &StepContext, vpcs: Vec<ec2::Vpc>) -> Option<ec2::Vpc> {
    let known = known_vpc_id(ctx);
    let name = ctx.name("vpc", None);
    let mut vpcs = vpcs;
    vpcs.sort_by_key(|v| {
        (
            Some(&v.id) != known.as_ref(),
            v.tags.get("Name") != Some(&name),
            v.id.clone(),
        )
    });
    vpcs.into_iter().next()
}

/// The stack's VPC: tagged for it, else the known one even if it lost its tags.
pub(crate) async fn find_vpc(ctx: &StepContext) -> Result<Option<ec2::Vpc>> {
    let ec2 = &ctx.clients.ec2;
    if let Some(vpc) = pick_vpc(ctx, ec2::stack_vpcs(ec2, ctx.stack()).await?) {
        return Ok(Some(vpc));
    }
    match known_vpc_id(ctx) {
        Some(id) => Ok(ec2::vpcs(ec2, Scope::Vpc(&id)).await?.into_iter().next()),
        None => Ok(None),
    }
}

async fn ensure_vpc(ctx: &StepContext) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let name = ctx.name("vpc", None);
    let wanted_cidr = &ctx.spec().network.vpc_cidr;
    match find_vpc(ctx).await? {
        Some(vpc) => {
            if &vpc.cidr != wanted_cidr {
                return Err(StackError::Refused {
                    what: format!(
                        "VPC {} of stack {} has CIDR {} but the configuration asks for {}; changing vpc_cidr replaces the stack",
                        vpc.id, ctx.stack(), vpc.cidr, wanted_cidr
                    ),
                });
            }
            ctx.record(logical::VPC, &vpc.id);
            ensure_tags(ctx, &vpc.id, &vpc.tags, &name).await?;
        }
        None => {
            let tags = ctx.tags(&name);
            let id = ctx
                .create_or_adopt(
                    &format!("create VPC {name}"),
                    || ec2::create_vpc(ec2, wanted_cidr, &tags),
                    || async { Ok(find_vpc(ctx).await?.map(|vpc| vpc.id)) },
                )
                .await?;
            ctx.record(logical::VPC, &id);
            tracing::info!(vpc = %id, cidr = %wanted_cidr, "VPC created");
            ctx.eventually(&format!("enable DNS on {id}"), || {
                ec2::enable_vpc_dns(ec2, &id)
            })
            .await?;
        }
    }
    Ok(())
}

async fn delete_vpc(ctx: &StepContext) -> Result<()> {
    let Some(id) = ctx.resource(logical::VPC) else {
        return Ok(());
    };
    retry_dependency(ctx, &format!("delete VPC {id}"), || {
        ec2::delete_vpc(&ctx.clients.ec2, &id)
    })
    .await?;
    tracing::info!(vpc = %id, "VPC deleted");
    ctx.forget(logical::VPC);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Subnets

async fn ensure_subnet(ctx: &StepContext, kind: SubnetKind, index: usize, az: &str) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let vpc_id = ctx.require(logical::VPC)?;
    let layout = cidr::carve(&ctx.spec().network.vpc_cidr, ctx.zones().len()).map_err(|e| {
        StackError::Refused {
            what: e.to_string(),
        }
    })?;
    let zone_subnets = layout
        .get(index)
        .ok_or_else(|| StackError::Internal(format!("no subnet layout for zone {index}")))?;
    let cidr = match kind {
        SubnetKind::Public => zone_subnets.public,
        SubnetKind::Private => zone_subnets.private,
    }
    .to_string();
    let name = ctx.name(kind.role(), Some(az));
    let key = qualified(kind.logical(), az);
    let existing = ec2::subnets(ec2, Scope::Vpc(&vpc_id))
        .await?
        .into_iter()
        .find(|s| s.vpc_id == vpc_id && s.zone == az && s.cidr == cidr);
    match existing {
        Some(subnet) => {
            ctx.record(key, &subnet.id);
            ensure_tags(ctx, &subnet.id, &subnet.tags, &name).await?;
        }
        None => {
            let tags = ctx.tags(&name);
            let id = ctx
                .create_or_adopt(
                    &format!("create subnet {name}"),
                    || ec2::create_subnet(ec2, &vpc_id, az, &cidr, &tags),
                    || async {
                        let subnets = ec2::subnets(ec2, Scope::Vpc(&vpc_id)).await?;
                        Ok(subnets
                            .into_iter()
                            .find(|s| s.zone == az && s.cidr == cidr)
                            .map(|s| s.id))
                    },
                )
                .await?;
            ctx.record(key, &id);
            tracing::info!(subnet = %id, cidr = %cidr, zone = az, "subnet created");
        }
    }
    Ok(())
}

async fn delete_subnet(ctx: &StepContext, kind: SubnetKind, az: &str) -> Result<()> {
    let key = qualified(kind.logical(), az);
    let Some(id) = ctx.resource(&key) else {
        return Ok(());
    };
    retry_dependency(ctx, &format!("delete subnet {id}"), || {
        ec2::delete_subnet(&ctx.clients.ec2, &id)
    })
    .await?;
    tracing::info!(subnet = %id, "subnet deleted");
    ctx.forget(&key);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Internet gateway and public routes

async fn ensure_internet_gateway(ctx: &StepContext) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let vpc_id = ctx.require(logical::VPC)?;
    let name = ctx.name("igw", None);
    let (attached, tagged) = tokio::try_join!(
        ec2::internet_gateways(ec2, Scope::Vpc(&vpc_id)),
        ec2::stack_internet_gateways(ec2, ctx.stack())
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
                    || ec2::create_internet_gateway(ec2, &tags),
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
            match ec2::attach_internet_gateway(ec2, &id, &vpc_id).await {
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
    let gateways = ec2::internet_gateways(&ctx.clients.ec2, Scope::Vpc(vpc_id)).await?;
    Ok(gateways.iter().any(|g| g.id == igw))
}

/// The live NAT gateway in `subnet`, if any (a create whose answer was lost).
async fn live_nat_in(ctx: &StepContext, vpc_id: &str, subnet: &str) -> Result<Option<String>> {
    let gateways = ec2::nat_gateways(&ctx.clients.ec2, Scope::Vpc(vpc_id)).await?;
    Ok(gateways
        .into_iter()
        .find(|n| n.is_live() && n.subnet_id == subnet)
        .map(|n| n.id))
}

/// A stack gateway named `name` attached nowhere: one whose create lost its answer.
async fn find_unattached_gateway(ctx: &StepContext, name: &str) -> Result<Option<String>> {
    let gateways = ec2::stack_internet_gateways(&ctx.clients.ec2, ctx.stack()).await?;
    Ok(gateways
        .into_iter()
        .find(|g| {
            g.attached_vpcs.is_empty() && g.tags.get("Name").map(String::as_str) == Some(name)
        })
        .map(|g| g.id))
}

async fn delete_internet_gateway(ctx: &StepContext) -> Result<()> {
    let Some(id) = ctx.resource(logical::INTERNET_GATEWAY) else {
        return Ok(());
    };
    let ec2 = &ctx.clients.ec2;
    if let Some(vpc_id) = ctx.resource(logical::VPC) {
        // Refused while public addresses (NAT, bastion, ALB) are still mapped in the VPC.
        retry_dependency(ctx, &format!("detach internet gateway {id}"), || {
            ec2::detach_internet_gateway(ec2, &id, &vpc_id)
        })
        .await?;
    }
    retry_dependency(ctx, &format!("delete internet gateway {id}"), || {
        ec2::delete_internet_gateway(ec2, &id)
    })
    .await?;
    tracing::info!(internet_gateway = %id, "internet gateway deleted");
    ctx.forget(logical::INTERNET_GATEWAY);
    Ok(())
}

/// The route table named `name` in the stack's VPC, created when missing.
/// The VPC's table named `name`, else (it lost its tags) the one associated with one of
/// `subnets`.
fn identify_table<'a>(
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
    let ec2 = &ctx.clients.ec2;
    let vpc_id = ctx.require(logical::VPC)?;
    let tables = ec2::route_tables(ec2, Scope::Vpc(&vpc_id)).await?;
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
                    || ec2::create_route_table(ec2, &vpc_id, &tags),
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
    let tables = ec2::route_tables(&ctx.clients.ec2, Scope::Vpc(vpc_id)).await?;
    Ok(identify_table(&tables, name, &[]).map(|t| t.id.clone()))
}

/// The stack's elastic IP named `name`, if any (an allocation whose answer was lost).
async fn find_address_named(ctx: &StepContext, name: &str) -> Result<Option<String>> {
    let addresses = ec2::stack_addresses(&ctx.clients.ec2, ctx.stack()).await?;
    Ok(addresses
        .into_iter()
        .find(|a| a.tags.get("Name").map(String::as_str) == Some(name))
        .map(|a| a.allocation_id))
}

async fn ensure_public_routes(ctx: &StepContext) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
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
        ec2::ensure_default_route(ec2, &table, target)
    })
    .await?;
    for az in ctx.zones() {
        let subnet = ctx.require(&qualified(logical::PUBLIC_SUBNET, az))?;
        let association = ctx
            .eventually(&format!("associate {subnet}"), || {
                ec2::associate_subnet(ec2, &table, &vpc_tables, &subnet)
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
    let ec2 = &ctx.clients.ec2;
    for key in association_keys {
        if let Some(association) = ctx.resource(key) {
            ec2::disassociate_route_table(ec2, &association).await?;
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
        ec2::delete_route_table(ec2, &id)
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
    let ec2 = &ctx.clients.ec2;
    let Some(vpc_id) = ctx.resource(logical::VPC) else {
        return Ok(None);
    };
    let tables = ec2::route_tables(ec2, Scope::Vpc(&vpc_id)).await?;
    let Some(table) = tables
        .into_iter()
        .find(|t| t.tags.get("Name").map(String::as_str) == Some(name))
    else {
        return Ok(None);
    };
    for (association, _) in &table.associations {
        ec2::disassociate_route_table(ec2, association).await?;
    }
    Ok(Some(table.id))
}

async fn delete_public_routes(ctx: &StepContext) -> Result<()> {
    let associations: Vec<String> = ctx
        .zones()
        .iter()
        .map(|az| qualified(logical::PUBLIC_ROUTE_TABLE_ASSOCIATION, az))
        .collect();
    let name = ctx.name("public", None);
    delete_table(ctx, logical::PUBLIC_ROUTE_TABLE, &name, &associations).await
}

// ---------------------------------------------------------------------------------------------
// NAT gateways

async fn ensure_nat(ctx: &StepContext, az: &str) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let subnet = ctx.require(&qualified(logical::PUBLIC_SUBNET, az))?;
    let name = nat_name(ctx, az);
    let vpc_id = ctx.require(logical::VPC)?;
    let (addresses, gateways) = tokio::try_join!(
        ec2::stack_addresses(ec2, ctx.stack()),
        ec2::nat_gateways(ec2, Scope::Vpc(&vpc_id))
    )?;

    let live = gateways
        .iter()
        .find(|n| n.is_live() && n.subnet_id == subnet);
    let allocation = match live.and_then(|n| n.allocation_ids.first()) {
        Some(allocation) => allocation.clone(),
        None => match addresses.iter().find(|a| a.tags.get("Name") == Some(&name)) {
            Some(address) => {
                free_address(ctx, address, &gateways).await?;
                address.allocation_id.clone()
            }
            None => {
                let tags = ctx.tags(&name);
                let id = ctx
                    .create_or_adopt(
                        &format!("allocate elastic IP {name}"),
                        || ec2::allocate_address(ec2, &tags),
                        || find_address_named(ctx, &name),
                    )
                    .await?;
                tracing::info!(allocation = %id, zone = az, "elastic IP allocated");
                id
            }
        },
    };
    ctx.record(qualified(logical::NAT_EIP, az), &allocation);
    let address_tags = addresses
        .iter()
        .find(|a| a.allocation_id == allocation)
        .map(|a| a.tags.clone())
        .unwrap_or_default();
    ensure_tags(ctx, &allocation, &address_tags, &name).await?;

    let nat_id = match live {
        Some(nat) => {
            ensure_tags(ctx, &nat.id, &nat.tags, &name).await?;
            nat.id.clone()
        }
        None => {
            // A failed or deleted gateway answers a reused token forever: count them in.
            let dead = gateways
                .iter()
                .filter(|n| n.subnet_id == subnet && !n.is_live())
                .count();
            let token = ctx.client_token(&format!("nat-{az}-{dead}"));
            let tags = ctx.tags(&name);
            // The same client token on every try, and a lost answer resolved by looking for
            // the gateway in its subnet: never a second gateway.
            let what = format!("create NAT gateway in {subnet}");
            let id = ctx
                .eventually(&what, || {
                    ctx.create_or_adopt(
                        &what,
                        || ec2::create_nat_gateway(ec2, &subnet, &allocation, &token, &tags),
                        || live_nat_in(ctx, &vpc_id, &subnet),
                    )
                })
                .await?;
            tracing::info!(nat_gateway = %id, zone = az, "NAT gateway created");
            id
        }
    };
    ctx.record(qualified(logical::NAT_GATEWAY, az), &nat_id);
    wait_nat(ctx, &nat_id, "available").await
}

/// Make the stack's NAT address usable by a new gateway. After its gateway was deleted out
/// of band (or by an interrupted destroy) the address may still be associated with it: AWS
/// frees it only once that gateway is fully `deleted` and refuses to disassociate it before,
/// while moto never frees it. Reusing the address (rather than allocating a fresh one) keeps
/// the stack's public egress IP stable for allow-lists; so: wait for the old gateway to be
/// deleted, ask once for a disassociation (a refusal is fine, AWS clears it itself), and let
/// a bounded wait on the association decide.
async fn free_address(
    ctx: &StepContext,
    address: &ec2::Address,
    gateways: &[ec2::NatGateway],
) -> Result<()> {
    let Some(association) = &address.association_id else {
        return Ok(());
    };
    let allocation = &address.allocation_id;
    let holders: Vec<&ec2::NatGateway> = gateways
        .iter()
        .filter(|n| n.allocation_ids.contains(allocation))
        .collect();
    if holders.is_empty() || holders.iter().any(|n| n.is_live()) {
        return Err(StackError::Refused {
            what: format!(
                "elastic IP {allocation} ({}) of the stack's NAT gateway is associated with \
                 something other than a deleted NAT gateway ({association}); disassociate it",
                address.public_ip
            ),
        });
    }
    for nat in holders.iter().filter(|n| n.state == "deleting") {
        wait_nat(ctx, &nat.id, "deleted").await?;
    }
    let ec2 = &ctx.clients.ec2;
    if let Err(refused) = ec2::disassociate_address(ec2, association).await {
        tracing::debug!(allocation = %allocation, error = %refused, "disassociation refused; waiting");
    }
    wait::until(
        &ctx.bounds().expecting(ADDRESS_RELEASE_TIME),
        &format!("elastic IP {allocation}"),
        "unassociated",
        || async {
            Ok(match ec2::address(ec2, allocation).await? {
                None => Poll::Failed("released".into()),
                Some(a) if a.association_id.is_none() => Poll::Ready(()),
                Some(_) => Poll::Pending("associated".into()),
            })
        },
    )
    .await?;
    tracing::info!(allocation = %allocation, "elastic IP freed from a deleted NAT gateway");
    Ok(())
}

/// Wait for a NAT gateway to reach `target` (`available`, or `deleted`, which also covers
/// one that is no longer listed).
async fn wait_nat(ctx: &StepContext, nat_id: &str, target: &str) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let usual = if target == "deleted" {
        NAT_DELETE_TIME
    } else {
        NAT_CREATE_TIME
    };
    wait::until(
        &ctx.bounds().expecting(usual),
        &format!("NAT gateway {nat_id}"),
        target,
        || async {
            let state = ec2::nat_gateway(ec2, nat_id).await?;
            Ok(match state {
                None if target == "deleted" => Poll::Ready(()),
                None => Poll::Pending("not yet visible".into()),
                Some(nat) if nat.state == target => Poll::Ready(()),
                Some(nat) if nat.state == "failed" && target != "deleted" => {
                    Poll::Failed(format!("failed: {}", nat.failure.unwrap_or_default()))
                }
                Some(nat)
                    if target == "available"
                        && matches!(nat.state.as_str(), "deleting" | "deleted") =>
                {
                    Poll::Failed(nat.state)
                }
                Some(nat) => Poll::Pending(nat.state),
            })
        },
    )
    .await
}

async fn delete_nat(ctx: &StepContext, az: &str) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let nat_key = qualified(logical::NAT_GATEWAY, az);
    let eip_key = qualified(logical::NAT_EIP, az);
    if let Some(nat_id) = ctx.resource(&nat_key) {
        ec2::delete_nat_gateway(ec2, &nat_id).await?;
        // The EIP stays associated until the NAT gateway is fully deleted.
        wait_nat(ctx, &nat_id, "deleted").await?;
        tracing::info!(nat_gateway = %nat_id, "NAT gateway deleted");
        ctx.forget(&nat_key);
    }
    if let Some(allocation) = ctx.resource(&eip_key) {
        retry_dependency(ctx, &format!("release elastic IP {allocation}"), || {
            ec2::release_address(ec2, &allocation)
        })
        .await?;
        tracing::info!(allocation = %allocation, "elastic IP released");
        ctx.forget(&eip_key);
    }
    Ok(())
}

/// Recorded NAT gateways of zones that should have none (a switch to `single`), once no
/// route uses them; on destroy, the same leftovers, before their subnets go.
async fn remove_unwanted_nats(ctx: &StepContext) -> Result<()> {
    let wanted = ctx.plan.nat_zones();
    let recorded = ctx.resources_with_prefix(&format!("{}:", logical::NAT_GATEWAY));
    let recorded_eips = ctx.resources_with_prefix(&format!("{}:", logical::NAT_EIP));
    let mut zones: Vec<String> = recorded
        .iter()
        .chain(recorded_eips.iter())
        .filter_map(|(key, _)| key.split_once(':').map(|(_, az)| az.to_string()))
        .filter(|az| !wanted.contains(az))
        .collect();
    zones.sort();
    zones.dedup();
    for az in zones {
        delete_nat(ctx, &az).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Private routes

async fn ensure_private_routes(ctx: &StepContext, az: &str) -> Result<()> {
    let ec2 = &ctx.clients.ec2;
    let nat_zone = ctx.plan.nat_zone_for(az).to_string();
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
        ec2::ensure_default_route(ec2, &table, target)
    })
    .await?;
    let association = ctx
        .eventually(&format!("associate {subnet}"), || {
            ec2::associate_subnet(ec2, &table, &vpc_tables, &subnet)
        })
        .await?;
    ctx.record(
        qualified(logical::PRIVATE_ROUTE_TABLE_ASSOCIATION, az),
        association,
    );
    Ok(())
}

async fn delete_private_routes(ctx: &StepContext, az: &str) -> Result<()> {
    let association = [qualified(logical::PRIVATE_ROUTE_TABLE_ASSOCIATION, az)];
    delete_table(
        ctx,
        &qualified(logical::PRIVATE_ROUTE_TABLE, az),
        &private_table_name(ctx, az),
        &association,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Refresh

/// Whether an object still carries its ownership and `Name` tags (else it is left out of the
/// state, so the plan shows it missing and the next apply, finding it by its place in the
/// VPC, tags it again). User tags that differ from `tags` are reported as drift of `tags`.
pub(crate) fn observe_tags(ctx: &StepContext, observed: &Tags, name: &str) -> bool {
    let wanted = ctx.tags(name);
    let drifted: Vec<String> = ctx
        .spec()
        .tags
        .keys()
        .filter(|k| observed.get(*k) != wanted.get(*k))
        .cloned()
        .collect();
    if !drifted.is_empty() {
        ctx.update_state(|s| {
            drifted.iter().for_each(|k| {
                s.spec.tags.remove(k);
            })
        });
    }
    observed.get(naming::STACK_TAG) == wanted.get(naming::STACK_TAG)
        && observed.get("Name") == wanted.get("Name")
}

/// Everything the network tier describes, inside one VPC.
struct Observed {
    vpc: Option<ec2::Vpc>,
    subnets: Vec<ec2::Subnet>,
    gateways: Vec<ec2::InternetGateway>,
    tables: Vec<RouteTable>,
    nats: Vec<ec2::NatGateway>,
    /// Allocation id → tags of the NAT gateways' elastic IPs.
    address_tags: BTreeMap<String, Tags>,
}

/// Five concurrent describes scoped to the VPC; the tags of the NAT gateways' elastic IPs
/// (which have no VPC) come from the refresh's batched DescribeTags.
async fn observe(ctx: &StepContext, prefetch: &Prefetch, vpc_id: &str) -> Result<Observed> {
    let ec2 = &ctx.clients.ec2;
    let scope = Scope::Vpc(vpc_id);
    let (vpcs, subnets, gateways, tables, nats) = tokio::try_join!(
        ec2::vpcs(ec2, scope),
        ec2::subnets(ec2, scope),
        ec2::internet_gateways(ec2, scope),
        ec2::route_tables(ec2, scope),
        ec2::nat_gateways(ec2, scope),
    )?;
    let allocations: Vec<String> = nats
        .iter()
        .filter(|n| n.is_live())
        .flat_map(|n| n.allocation_ids.iter().cloned())
        .collect();
    let address_tags = prefetch.ec2_tags(ctx, &allocations).await?;
    Ok(Observed {
        vpc: vpcs.into_iter().next(),
        subnets,
        gateways,
        tables,
        nats,
        address_tags,
    })
}

/// Observe the network tier and record what exists. With a prior state the describes go
/// out at once, scoped to its VPC; on import the VPC is first found by its tag.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    refresh_with(ctx, &Prefetch::none()).await
}

/// [`refresh`] with the elastic IPs' tags from the refresh's shared batch.
pub async fn refresh_with(ctx: &StepContext, prefetch: &Prefetch) -> Result<()> {
    let prior_vpc = ctx.prior_resource(logical::VPC).map(str::to_string);
    let mut observed = match &prior_vpc {
        Some(id) => observe(ctx, prefetch, id).await?,
        None => match find_vpc(ctx).await? {
            Some(vpc) => observe(ctx, prefetch, &vpc.id).await?,
            None => return Ok(()),
        },
    };
    if observed.vpc.is_none() {
        // The prior VPC is gone; a resumed create may have made another one.
        let tagged = pick_vpc(ctx, ec2::stack_vpcs(&ctx.clients.ec2, ctx.stack()).await?);
        match tagged.filter(|v| Some(&v.id) != prior_vpc.as_ref()) {
            Some(vpc) => observed = observe(ctx, prefetch, &vpc.id).await?,
            None => return Ok(()),
        }
    }
    record_observed(ctx, &observed);
    Ok(())
}

fn record_observed(ctx: &StepContext, observed: &Observed) {
    let Some(vpc) = &observed.vpc else { return };
    // Recorded even without its ownership tags: it is how the stack is found again (the
    // apply restores them); user-tag drift still shows up in `tags`.
    observe_tags(ctx, &vpc.tags, &ctx.name("vpc", None));
    ctx.record(logical::VPC, &vpc.id);
    ctx.update_state(|s| s.spec.network.vpc_cidr = vpc.cidr.clone());

    let zones = observe_zones(ctx, &observed.subnets);
    let subnets = identify_subnets(&vpc.cidr, &observed.subnets, &zones);
    for ((kind, az), subnet) in &subnets {
        if observe_tags(ctx, &subnet.tags, &ctx.name(kind.role(), Some(az))) {
            ctx.record(qualified(kind.logical(), az), &subnet.id);
        }
    }
    if let Some(gateway) = observed
        .gateways
        .iter()
        .find(|g| g.attached_vpcs.contains(&vpc.id))
    {
        if observe_tags(ctx, &gateway.tags, &ctx.name("igw", None)) {
            ctx.record(logical::INTERNET_GATEWAY, &gateway.id);
        }
    }
    let live_nats = record_nats(ctx, observed, &subnets, &zones);
    record_route_tables(ctx, &observed.tables, &subnets, &zones);
    observe_nat_mode(ctx, live_nats, zones.len());
}

type ZoneSubnets<'a> = BTreeMap<(SubnetKind, String), &'a ec2::Subnet>;

/// Each zone's subnets by their place in the carving layout (zone and CIDR), whatever
/// their tags.
fn identify_subnets<'a>(
    vpc_cidr: &str,
    subnets: &'a [ec2::Subnet],
    zones: &[String],
) -> ZoneSubnets<'a> {
    let mut found = BTreeMap::new();
    let Ok(layout) = cidr::carve(vpc_cidr, zones.len()) else {
        return found;
    };
    for (az, cidrs) in zones.iter().zip(layout) {
        for (kind, cidr) in [
            (SubnetKind::Public, cidrs.public),
            (SubnetKind::Private, cidrs.private),
        ] {
            let cidr = cidr.to_string();
            if let Some(subnet) = subnets.iter().find(|s| &s.zone == az && s.cidr == cidr) {
                found.insert((kind, az.clone()), subnet);
            }
        }
    }
    found
}

/// Live NAT gateways by the public subnet they sit in, and their addresses. Returns how
/// many live gateways the VPC has.
fn record_nats(
    ctx: &StepContext,
    observed: &Observed,
    subnets: &ZoneSubnets<'_>,
    zones: &[String],
) -> usize {
    let live: Vec<&ec2::NatGateway> = observed.nats.iter().filter(|n| n.is_live()).collect();
    for az in zones {
        let Some(public) = subnets.get(&(SubnetKind::Public, az.clone())) else {
            continue;
        };
        let name = nat_name(ctx, az);
        let Some(nat) = live.iter().find(|n| n.subnet_id == public.id) else {
            continue;
        };
        if observe_tags(ctx, &nat.tags, &name) {
            ctx.record(qualified(logical::NAT_GATEWAY, az), &nat.id);
        }
        let address = nat
            .allocation_ids
            .iter()
            .find_map(|id| Some((id, observed.address_tags.get(id)?)));
        if let Some((allocation, _)) = address.filter(|(_, tags)| observe_tags(ctx, tags, &name)) {
            ctx.record(qualified(logical::NAT_EIP, az), allocation);
        }
    }
    live.len()
}

/// The stack's zones in layout order: the spec's when known, else (import) the zones of the
/// public subnets sorted by address, which is the carving order.
fn observe_zones(ctx: &StepContext, subnets: &[ec2::Subnet]) -> Vec<String> {
    if !ctx.zones().is_empty() && !ctx.is_import() {
        return ctx.zones().to_vec();
    }
    let mut public: Vec<(u32, String)> = subnets
        .iter()
        .filter(|s| s.tags.get("Name") == Some(&ctx.name("public", Some(&s.zone))))
        .filter_map(|s| {
            let net: ipnet::Ipv4Net = s.cidr.parse().ok()?;
            Some((u32::from(net.network()), s.zone.clone()))
        })
        .collect();
    public.sort();
    let zones: Vec<String> = public.into_iter().map(|(_, az)| az).collect();
    ctx.update_state(|s| s.spec.network.availability_zones = Some(zones.clone()));
    zones
}

/// Route tables count as present only with their default route in place, so a route deleted
/// out of band shows up as a missing object and the next apply restores it.
fn record_route_tables(
    ctx: &StepContext,
    tables: &[RouteTable],
    subnets: &ZoneSubnets<'_>,
    zones: &[String],
) {
    let subnet_id =
        |kind: SubnetKind, az: &str| subnets.get(&(kind, az.to_string())).map(|s| s.id.clone());
    let routed = |t: &RouteTable, nat: bool| {
        t.default_route().is_some_and(|r| {
            if nat {
                r.nat_gateway_id.is_some()
            } else {
                r.gateway_id.is_some()
            }
        })
    };
    let public_subnets: Vec<String> = zones
        .iter()
        .filter_map(|az| subnet_id(SubnetKind::Public, az))
        .collect();
    let public_name = ctx.name("public", None);
    if let Some(table) = identify_table(tables, &public_name, &public_subnets) {
        if routed(table, false) && observe_tags(ctx, &table.tags, &public_name) {
            ctx.record(logical::PUBLIC_ROUTE_TABLE, &table.id);
            record_associations(
                ctx,
                table,
                zones,
                logical::PUBLIC_SUBNET,
                logical::PUBLIC_ROUTE_TABLE_ASSOCIATION,
            );
        }
    }
    for az in zones {
        let name = private_table_name(ctx, az);
        let private: Vec<String> = subnet_id(SubnetKind::Private, az).into_iter().collect();
        let Some(table) = identify_table(tables, &name, &private) else {
            continue;
        };
        if routed(table, true) && observe_tags(ctx, &table.tags, &name) {
            ctx.record(qualified(logical::PRIVATE_ROUTE_TABLE, az), &table.id);
            let zone = std::slice::from_ref(az);
            record_associations(
                ctx,
                table,
                zone,
                logical::PRIVATE_SUBNET,
                logical::PRIVATE_ROUTE_TABLE_ASSOCIATION,
            );
        }
    }
}

fn record_associations(
    ctx: &StepContext,
    table: &RouteTable,
    zones: &[String],
    subnet_kind: &str,
    kind: &str,
) {
    for az in zones {
        let Some(subnet) = ctx.resource(&qualified(subnet_kind, az)) else {
            continue;
        };
        if let Some((association, _)) = table.associations.iter().find(|(_, s)| *s == subnet) {
            ctx.record(qualified(kind, az), association);
        }
    }
}

/// Several live NAT gateways mean `one_per_az`, one for several zones means `single`.
fn observe_nat_mode(ctx: &StepContext, live_nats: usize, zones: usize) {
    let observed = match live_nats {
        0 => return,
        1 if zones > 1 => NatMode::Single,
        _ => NatMode::OnePerAz,
    };
    ctx.update_state(|s| s.spec.network.nat_gateways = observed);
}
