//! The NAT gateways and their elastic IPs: one per zone, or the first zone's alone in
//! `single` mode.

use super::nat_name;
use crate::aws::ec2::{self, Scope};
use crate::error::{Result, StackError};
use crate::naming::STACK_TAG;
use crate::state::logical::{self, qualified};
use crate::tiers::context::StepContext;
use crate::tiers::dependency::retry_dependency;
use crate::tiers::ec2_tags::ensure_tags;
use crate::wait::{self, Poll};

pub(super) async fn ensure_nat(ctx: &StepContext, az: &str) -> Result<()> {
    let clients = &ctx.clients;
    let subnet = ctx.require(&qualified(logical::PUBLIC_SUBNET, az))?;
    let name = nat_name(ctx, az);
    let vpc_id = ctx.require(logical::VPC)?;
    let (addresses, gateways) = tokio::try_join!(
        ec2::stack_addresses(clients, ctx.stack()),
        ec2::nat_gateways(clients, Scope::Vpc(&vpc_id))
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
                        || ec2::allocate_address(clients, &tags),
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
                        || ec2::create_nat_gateway(clients, &subnet, &allocation, &token, &tags),
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
/// while an emulating endpoint may never free it. Reusing the address (rather than allocating a fresh one) keeps
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
    let clients = &ctx.clients;
    if let Err(refused) = ec2::disassociate_address(clients, association).await {
        tracing::debug!(allocation = %allocation, error = %refused, "disassociation refused; waiting");
    }
    wait::until(
        ctx.bounds(),
        &format!("elastic IP {allocation}"),
        "unassociated",
        || async {
            Ok(match ec2::address(clients, allocation).await? {
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
    let clients = &ctx.clients;
    wait::until(
        ctx.bounds(),
        &format!("NAT gateway {nat_id}"),
        target,
        || async {
            let state = ec2::nat_gateway(clients, nat_id).await?;
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

pub(super) async fn delete_nat(ctx: &StepContext, az: &str) -> Result<()> {
    let clients = &ctx.clients;
    let nat_key = qualified(logical::NAT_GATEWAY, az);
    let eip_key = qualified(logical::NAT_EIP, az);
    if let Some(nat_id) = ctx.resource(&nat_key) {
        ec2::delete_nat_gateway(clients, &nat_id).await?;
        // The EIP stays associated until the NAT gateway is fully deleted.
        wait_nat(ctx, &nat_id, "deleted").await?;
        tracing::info!(nat_gateway = %nat_id, "NAT gateway deleted");
        ctx.forget(&nat_key);
    }
    if let Some(allocation) = ctx.resource(&eip_key) {
        retry_dependency(ctx, &format!("release elastic IP {allocation}"), || {
            ec2::release_address(clients, &allocation)
        })
        .await?;
        tracing::info!(allocation = %allocation, "elastic IP released");
        ctx.forget(&eip_key);
    }
    Ok(())
}

/// Recorded NAT gateways of zones that should have none (a switch to `single`), once no
/// route uses them; on destroy, the same leftovers, before their subnets go.
pub(super) async fn remove_unwanted_nats(ctx: &StepContext) -> Result<()> {
    let wanted = ctx.layout.nat_zones();
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

/// The elastic IPs of a stack whose VPC was deleted out of band (the read then says the stack
/// is gone, and nothing would ever release them): those the prior state recorded for NAT
/// gateways that are still allocated, tagged for the stack, and held by nothing but the
/// stack's dead gateways are released, so nothing is left billed.
pub(crate) async fn release_stranded_addresses(ctx: &StepContext) -> Result<()> {
    let recorded = ctx.prior_with_prefix(&format!("{}:", logical::NAT_EIP));
    if recorded.is_empty() {
        return Ok(());
    }
    let clients = &ctx.clients;
    let nats = ec2::stack_nat_gateways(clients, ctx.stack()).await?;
    for allocation in recorded.values() {
        let Some(address) = ec2::address(clients, allocation).await? else {
            continue;
        };
        let ours = address.tags.get(STACK_TAG).map(String::as_str) == Some(ctx.stack());
        let holders: Vec<&ec2::NatGateway> = nats
            .iter()
            .filter(|n| n.allocation_ids.contains(allocation))
            .collect();
        // Associated with something that is not one of the stack's gateways: someone uses it.
        let used_elsewhere = address.association_id.is_some() && holders.is_empty();
        if !ours || used_elsewhere || holders.iter().any(|n| n.is_live()) {
            continue;
        }
        ec2::release_address(clients, allocation).await?;
        tracing::info!(allocation = %allocation, "released the elastic IP of a NAT gateway whose VPC is gone");
    }
    Ok(())
}

/// The live NAT gateway in `subnet`, if any (a create whose answer was lost).
async fn live_nat_in(ctx: &StepContext, vpc_id: &str, subnet: &str) -> Result<Option<String>> {
    let gateways = ec2::nat_gateways(&ctx.clients, Scope::Vpc(vpc_id)).await?;
    Ok(gateways
        .into_iter()
        .find(|n| n.is_live() && n.subnet_id == subnet)
        .map(|n| n.id))
}

/// The stack's elastic IP named `name`, if any (an allocation whose answer was lost).
async fn find_address_named(ctx: &StepContext, name: &str) -> Result<Option<String>> {
    let addresses = ec2::stack_addresses(&ctx.clients, ctx.stack()).await?;
    Ok(addresses
        .into_iter()
        .find(|a| a.tags.get("Name").map(String::as_str) == Some(name))
        .map(|a| a.allocation_id))
}
