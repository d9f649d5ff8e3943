//! Routing: internet gateways, route tables and their routes, NAT gateways.

use aws_sdk_ec2::types::{Filter, ResourceType};

use super::scoped::{scoped, InScope};
use super::{filter, ignore_not_found, opt, tag_spec, Scope, Tags, NO_ID};
use crate::aws::tags::tag_map;
use crate::aws::{ec2_send_once, Clients, SendFor};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetGateway {
    pub id: String,
    pub attached_vpcs: Vec<String>,
    pub tags: Tags,
}

pub async fn stack_internet_gateways(
    clients: &Clients,
    stack: &str,
) -> Result<Vec<InternetGateway>> {
    internet_gateways(clients, Scope::Stack(stack)).await
}

pub async fn internet_gateways(
    clients: &Clients,
    scope: Scope<'_>,
) -> Result<Vec<InternetGateway>> {
    scoped(
        clients,
        scope,
        "attachment.vpc-id",
        "IGW",
        describe_internet_gateways,
    )
    .await
}

async fn describe_internet_gateways(
    clients: Clients,
    by: Filter,
    what: String,
) -> Result<Vec<InternetGateway>> {
    let found = clients
        .ec2
        .describe_internet_gateways()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|g| InternetGateway {
            id: opt(g.internet_gateway_id()),
            attached_vpcs: g
                .attachments()
                .iter()
                .filter_map(|a| a.vpc_id().map(str::to_string))
                .collect(),
            tags: tag_map(g.tags()),
        })
        .collect())
}

pub async fn create_internet_gateway(clients: &Clients, tags: &Tags) -> Result<String> {
    let (out, call) = clients
        .ec2
        .create_internet_gateway()
        .tag_specifications(tag_spec(ResourceType::InternetGateway, tags)?)
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation("internet gateway")
        .await?;
    let id = out
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .map(str::to_string);
    id.ok_or_else(|| call.refusal("internet gateway", None, NO_ID))
}

pub async fn attach_internet_gateway(clients: &Clients, igw_id: &str, vpc_id: &str) -> Result<()> {
    clients
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(vpc_id)
        .send()
        .for_object(igw_id)
        .await
        .map(|_| ())
}

pub async fn detach_internet_gateway(clients: &Clients, igw_id: &str, vpc_id: &str) -> Result<()> {
    let result = clients
        .ec2
        .detach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(vpc_id)
        .send()
        .for_object(igw_id)
        .await
        .map(|_| ());
    match result {
        Err(e) if e.aws_code() == Some("Gateway.NotAttached") => Ok(()),
        other => ignore_not_found(other),
    }
}

pub async fn delete_internet_gateway(clients: &Clients, igw_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .delete_internet_gateway()
            .internet_gateway_id(igw_id)
            .send()
            .for_object(igw_id)
            .await
            .map(|_| ()),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub destination: String,
    /// IGW id (`igw-…`) or `local`.
    pub gateway_id: Option<String>,
    pub nat_gateway_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub routes: Vec<Route>,
    /// (association id, subnet id) of explicit subnet associations.
    pub associations: Vec<(String, String)>,
    pub tags: Tags,
}

impl RouteTable {
    pub fn default_route(&self) -> Option<&Route> {
        self.routes.iter().find(|r| r.destination == "0.0.0.0/0")
    }
}

pub async fn stack_route_tables(clients: &Clients, stack: &str) -> Result<Vec<RouteTable>> {
    route_tables(clients, Scope::Stack(stack)).await
}

pub async fn route_tables(clients: &Clients, scope: Scope<'_>) -> Result<Vec<RouteTable>> {
    scoped(
        clients,
        scope,
        "vpc-id",
        "route tables",
        describe_route_tables,
    )
    .await
}

async fn describe_route_tables(
    clients: Clients,
    by: Filter,
    what: String,
) -> Result<Vec<RouteTable>> {
    let found = clients
        .ec2
        .describe_route_tables()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|t| RouteTable {
            id: opt(t.route_table_id()),
            vpc_id: opt(t.vpc_id()),
            routes: t
                .routes()
                .iter()
                .map(|r| Route {
                    destination: opt(r.destination_cidr_block()),
                    gateway_id: r.gateway_id().map(str::to_string),
                    nat_gateway_id: r.nat_gateway_id().map(str::to_string),
                })
                .collect(),
            associations: t
                .associations()
                .iter()
                .filter(|a| !a.main().unwrap_or(false))
                .filter_map(|a| {
                    Some((
                        a.route_table_association_id()?.to_string(),
                        a.subnet_id()?.to_string(),
                    ))
                })
                .collect(),
            tags: tag_map(t.tags()),
        })
        .collect())
}

pub async fn create_route_table(clients: &Clients, vpc_id: &str, tags: &Tags) -> Result<String> {
    let (out, call) = clients
        .ec2
        .create_route_table()
        .vpc_id(vpc_id)
        .tag_specifications(tag_spec(ResourceType::RouteTable, tags)?)
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation(format!("route table in {vpc_id}"))
        .await?;
    let id = out
        .route_table()
        .and_then(|t| t.route_table_id())
        .map(str::to_string);
    id.ok_or_else(|| call.refusal(vpc_id, None, NO_ID))
}

/// Where a default route points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteTarget<'a> {
    Gateway(&'a str),
    NatGateway(&'a str),
}

/// Make `0.0.0.0/0` point at `target`: create it, or replace it when it points elsewhere.
pub async fn ensure_default_route(
    clients: &Clients,
    table: &RouteTable,
    target: RouteTarget<'_>,
) -> Result<()> {
    let current = table.default_route();
    let already = match (current, target) {
        (Some(r), RouteTarget::Gateway(id)) => r.gateway_id.as_deref() == Some(id),
        (Some(r), RouteTarget::NatGateway(id)) => r.nat_gateway_id.as_deref() == Some(id),
        (None, _) => false,
    };
    if already {
        return Ok(());
    }
    if current.is_some() {
        replace_default_route(clients, &table.id, target).await?;
    } else {
        let mut call = clients
            .ec2
            .create_route()
            .route_table_id(&table.id)
            .destination_cidr_block("0.0.0.0/0");
        call = match target {
            RouteTarget::Gateway(id) => call.gateway_id(id),
            RouteTarget::NatGateway(id) => call.nat_gateway_id(id),
        };
        let created = call.send().for_object(&table.id).await;
        match created {
            // The route appeared since the table was described (a re-sent create whose first
            // answer was lost): point it at the target.
            Err(e) if e.aws_code() == Some("RouteAlreadyExists") => {
                replace_default_route(clients, &table.id, target).await?
            }
            other => other.map(|_| ())?,
        }
    }
    tracing::info!(route_table = %table.id, target = ?target, "default route set");
    Ok(())
}

async fn replace_default_route(
    clients: &Clients,
    table_id: &str,
    target: RouteTarget<'_>,
) -> Result<()> {
    let mut call = clients
        .ec2
        .replace_route()
        .route_table_id(table_id)
        .destination_cidr_block("0.0.0.0/0");
    call = match target {
        RouteTarget::Gateway(id) => call.gateway_id(id),
        RouteTarget::NatGateway(id) => call.nat_gateway_id(id),
    };
    call.send().for_object(table_id).await.map(|_| ())
}

/// Associate `subnet_id` with the table unless it already is; returns the association id.
/// A subnet associated with another table is moved with ReplaceRouteTableAssociation.
/// `vpc_tables` are the VPC's tables as just described: where the subnet sits now.
pub async fn associate_subnet(
    clients: &Clients,
    table: &RouteTable,
    vpc_tables: &[RouteTable],
    subnet_id: &str,
) -> Result<String> {
    if let Some((assoc, _)) = table.associations.iter().find(|(_, s)| s == subnet_id) {
        return Ok(assoc.clone());
    }
    let current = vpc_tables
        .iter()
        .flat_map(|t| &t.associations)
        .find(|(_, s)| s == subnet_id)
        .map(|(assoc, _)| assoc.clone());
    let (id, call) = match current {
        Some(assoc) => {
            let (out, call) = clients
                .ec2
                .replace_route_table_association()
                .association_id(&assoc)
                .route_table_id(&table.id)
                .send()
                .with_operation(&assoc)
                .await?;
            (out.new_association_id().map(str::to_string), call)
        }
        None => {
            let (out, call) = clients
                .ec2
                .associate_route_table()
                .route_table_id(&table.id)
                .subnet_id(subnet_id)
                .send()
                .with_operation(&table.id)
                .await?;
            (out.association_id().map(str::to_string), call)
        }
    };
    id.ok_or_else(|| call.refusal(subnet_id, None, NO_ID))
}

pub async fn disassociate_route_table(clients: &Clients, association_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .disassociate_route_table()
            .association_id(association_id)
            .send()
            .for_object(association_id)
            .await
            .map(|_| ()),
    )
}

pub async fn delete_route_table(clients: &Clients, table_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .delete_route_table()
            .route_table_id(table_id)
            .send()
            .for_object(table_id)
            .await
            .map(|_| ()),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// `pending`, `available`, `deleting`, `deleted`, `failed`.
    pub state: String,
    pub allocation_ids: Vec<String>,
    pub failure: Option<String>,
    pub tags: Tags,
}

impl NatGateway {
    /// Neither gone nor going.
    pub fn is_live(&self) -> bool {
        matches!(self.state.as_str(), "pending" | "available")
    }
}

/// NAT gateways tagged for the stack, in every state (deleted ones linger for an hour).
pub async fn stack_nat_gateways(clients: &Clients, stack: &str) -> Result<Vec<NatGateway>> {
    nat_gateways(clients, Scope::Stack(stack)).await
}

pub async fn nat_gateways(clients: &Clients, scope: Scope<'_>) -> Result<Vec<NatGateway>> {
    scoped(
        clients,
        scope,
        "vpc-id",
        "NAT gateways",
        describe_nat_gateways,
    )
    .await
}

pub async fn nat_gateway(clients: &Clients, nat_id: &str) -> Result<Option<NatGateway>> {
    let by = filter("nat-gateway-id", &[nat_id]);
    let found = describe_nat_gateways(clients.clone(), by, nat_id.to_string()).await?;
    Ok(found.into_iter().next())
}

async fn describe_nat_gateways(
    clients: Clients,
    by: Filter,
    what: String,
) -> Result<Vec<NatGateway>> {
    let found = clients
        .ec2
        .describe_nat_gateways()
        .filter(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found
        .iter()
        .map(|n| NatGateway {
            id: opt(n.nat_gateway_id()),
            vpc_id: opt(n.vpc_id()),
            subnet_id: opt(n.subnet_id()),
            state: n
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            allocation_ids: n
                .nat_gateway_addresses()
                .iter()
                .filter_map(|a| a.allocation_id().map(str::to_string))
                .collect(),
            failure: n.failure_message().map(str::to_string),
            tags: tag_map(n.tags()),
        })
        .collect())
}

pub async fn create_nat_gateway(
    clients: &Clients,
    subnet_id: &str,
    allocation_id: &str,
    client_token: &str,
    tags: &Tags,
) -> Result<String> {
    let (out, call) = clients
        .ec2
        .create_nat_gateway()
        .subnet_id(subnet_id)
        .allocation_id(allocation_id)
        .client_token(client_token)
        .tag_specifications(tag_spec(ResourceType::Natgateway, tags)?)
        // Not every endpoint honours the token (emulators may not): a lost answer is resolved by
        // looking for the gateway, not by a re-send that fails on the EIP now in use.
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation(format!("NAT gateway in {subnet_id}"))
        .await?;
    let id = out
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .map(str::to_string);
    id.ok_or_else(|| call.refusal(subnet_id, None, NO_ID))
}

pub async fn delete_nat_gateway(clients: &Clients, nat_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(nat_id)
            .send()
            .for_object(nat_id)
            .await
            .map(|_| ()),
    )
}

impl InScope for InternetGateway {
    fn vpc_ids(&self) -> Vec<&str> {
        self.attached_vpcs.iter().map(String::as_str).collect()
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}

impl InScope for RouteTable {
    fn vpc_ids(&self) -> Vec<&str> {
        vec![&self.vpc_id]
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}

impl InScope for NatGateway {
    fn vpc_ids(&self) -> Vec<&str> {
        vec![&self.vpc_id]
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}
