//! The network tier's refresh: five describes scoped to the VPC, objects identified by their
//! place in it, and the observed CIDR, zones and NAT mode written back into the spec.

use std::collections::BTreeMap;

use super::routes::identify_table;
use super::{find_vpc, nat_name, pick_vpc, private_table_name, SubnetKind};
use crate::aws::ec2::{self, RouteTable, Scope, Tags};
use crate::cidr;
use crate::error::Result;
use crate::spec::NatMode;
use crate::state::logical::{self, qualified};
use crate::tiers::context::StepContext;
use crate::tiers::ec2_tags::observe_tags;
use crate::tiers::prefetch::Prefetch;

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
    let clients = &ctx.clients;
    let scope = Scope::Vpc(vpc_id);
    let (vpcs, subnets, gateways, tables, nats) = tokio::try_join!(
        ec2::vpcs(clients, scope),
        ec2::subnets(clients, scope),
        ec2::internet_gateways(clients, scope),
        ec2::route_tables(clients, scope),
        ec2::nat_gateways(clients, scope),
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
        let tagged = pick_vpc(ctx, ec2::stack_vpcs(&ctx.clients, ctx.stack()).await?);
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
