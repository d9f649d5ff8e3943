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

mod nat;
mod observe;
mod routes;

pub(crate) use nat::release_stranded_addresses;
use nat::{delete_nat, ensure_nat, remove_unwanted_nats};
pub use observe::{refresh, refresh_with};
use routes::{
    delete_internet_gateway, delete_private_routes, delete_public_routes, ensure_internet_gateway,
    ensure_private_routes, ensure_public_routes,
};

use crate::aws::ec2::{self, Scope};
use crate::cidr;
use crate::error::{Result, StackError};
use crate::state::logical::{self, qualified};
use crate::tiers::context::StepContext;
use crate::tiers::dependency::retry_dependency;
use crate::tiers::ec2_tags::ensure_tags;
use crate::tiers::layout::StackLayout;
use crate::tiers::step::Step;
use crate::tiers::step_id;
use crate::wait::usual;

pub fn steps(layout: &StackLayout) -> Vec<Step> {
    let mut steps = vec![
        Step::new(step_id::VPC, Vec::<String>::new())
            .create(|ctx| async move { ensure_vpc(&ctx).await })
            .delete(|ctx| async move { delete_vpc(&ctx).await }),
        Step::new(step_id::INTERNET_GATEWAY, [step_id::VPC])
            .create(|ctx| async move { ensure_internet_gateway(&ctx).await })
            .delete(|ctx| async move { delete_internet_gateway(&ctx).await }),
    ];
    for (index, az) in layout.zones.iter().enumerate() {
        for kind in [SubnetKind::Public, SubnetKind::Private] {
            let zone = az.clone();
            let id = match kind {
                SubnetKind::Public => step_id::public_subnet(az),
                SubnetKind::Private => step_id::private_subnet(az),
            };
            steps.push(
                Step::new(id, [step_id::VPC])
                    .create(move |ctx| async move { ensure_subnet(&ctx, kind, index, &zone).await })
                    .delete({
                        let zone = az.clone();
                        move |ctx| async move { delete_subnet(&ctx, kind, &zone).await }
                    }),
            );
        }
    }
    let mut public_deps = step_id::all_public_subnets(&layout.zones);
    public_deps.push(step_id::INTERNET_GATEWAY.to_string());
    steps.push(
        Step::new(step_id::PUBLIC_ROUTES, public_deps)
            .create(|ctx| async move { ensure_public_routes(&ctx).await })
            .delete(|ctx| async move { delete_public_routes(&ctx).await }),
    );
    for az in layout.nat_zones() {
        let zone = az.clone();
        let gone = az.clone();
        steps.push(
            Step::new(
                step_id::nat(&az),
                [
                    step_id::public_subnet(&az),
                    step_id::INTERNET_GATEWAY.to_string(),
                ],
            )
            .waits_for(usual::NAT_GATEWAY)
            .create(move |ctx| async move { ensure_nat(&ctx, &zone).await })
            .delete(move |ctx| async move { delete_nat(&ctx, &gone).await }),
        );
    }
    for az in &layout.zones {
        let zone = az.clone();
        let gone = az.clone();
        let nat_zone = layout.nat_zone_for(az).to_string();
        steps.push(
            Step::new(
                step_id::private_routes(az),
                [step_id::nat(&nat_zone), step_id::private_subnet(az)],
            )
            .create(move |ctx| async move { ensure_private_routes(&ctx, &zone).await })
            .delete(move |ctx| async move { delete_private_routes(&ctx, &gone).await }),
        );
    }
    // After every private route (never cut a zone off), before any public subnet is deleted.
    let mut cleanup_deps = step_id::all_private_routes(&layout.zones);
    cleanup_deps.extend(step_id::all_public_subnets(&layout.zones));
    steps.push(
        Step::new(step_id::NAT_CLEANUP, cleanup_deps)
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

// ---------------------------------------------------------------------------------------------
// VPC

/// The VPC id the stack is known by: recorded in this operation, else in the prior state.
fn known_vpc_id(ctx: &StepContext) -> Option<String> {
    ctx.resource(logical::VPC)
        .or_else(|| ctx.prior_resource(logical::VPC).map(str::to_string))
}

/// Among VPCs tagged for the stack, the known one, else the one named for it.
fn pick_vpc(ctx: &StepContext, vpcs: Vec<ec2::Vpc>) -> Option<ec2::Vpc> {
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
async fn find_vpc(ctx: &StepContext) -> Result<Option<ec2::Vpc>> {
    let clients = &ctx.clients;
    if let Some(vpc) = pick_vpc(ctx, ec2::stack_vpcs(clients, ctx.stack()).await?) {
        return Ok(Some(vpc));
    }
    match known_vpc_id(ctx) {
        Some(id) => Ok(ec2::vpcs(clients, Scope::Vpc(&id))
            .await?
            .into_iter()
            .next()),
        None => Ok(None),
    }
}

async fn ensure_vpc(ctx: &StepContext) -> Result<()> {
    let clients = &ctx.clients;
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
            // A create may have stopped between CreateVpc and the DNS calls.
            if !ec2::vpc_dns_enabled(clients, &vpc.id).await? {
                enable_dns(ctx, &vpc.id).await?;
            }
        }
        None => {
            let tags = ctx.tags(&name);
            let id = ctx
                .create_or_adopt(
                    &format!("create VPC {name}"),
                    || ec2::create_vpc(clients, wanted_cidr, &tags),
                    || async { Ok(find_vpc(ctx).await?.map(|vpc| vpc.id)) },
                )
                .await?;
            ctx.record_created(logical::VPC, &id);
            tracing::info!(vpc = %id, cidr = %wanted_cidr, "VPC created");
            // Retried while AWS does not know the new VPC yet: the steps after this one name
            // it in creates (subnets, groups, gateway) and can count on it being known.
            enable_dns(ctx, &id).await?;
        }
    }
    Ok(())
}

/// DNS resolution and host names on: instances mount EFS by name and resolve the database's
/// endpoint.
async fn enable_dns(ctx: &StepContext, id: &str) -> Result<()> {
    ctx.eventually(&format!("enable DNS on {id}"), || {
        ec2::enable_vpc_dns(&ctx.clients, id)
    })
    .await?;
    tracing::info!(vpc = %id, "VPC DNS resolution and host names on");
    Ok(())
}

async fn delete_vpc(ctx: &StepContext) -> Result<()> {
    let Some(id) = ctx.resource(logical::VPC) else {
        return Ok(());
    };
    retry_dependency(ctx, &format!("delete VPC {id}"), || {
        ec2::delete_vpc(&ctx.clients, &id)
    })
    .await?;
    tracing::info!(vpc = %id, "VPC deleted");
    ctx.forget(logical::VPC);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Subnets

async fn ensure_subnet(ctx: &StepContext, kind: SubnetKind, index: usize, az: &str) -> Result<()> {
    let clients = &ctx.clients;
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
    let existing = ec2::subnets(clients, Scope::Vpc(&vpc_id))
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
                    || ec2::create_subnet(clients, &vpc_id, az, &cidr, &tags),
                    || async {
                        let subnets = ec2::subnets(clients, Scope::Vpc(&vpc_id)).await?;
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
        ec2::delete_subnet(&ctx.clients, &id)
    })
    .await?;
    tracing::info!(subnet = %id, "subnet deleted");
    ctx.forget(&key);
    Ok(())
}
