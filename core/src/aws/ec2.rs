//! EC2: VPC, subnets, gateways, route tables, addresses, security groups, instances, images.
//!
//! Thin calls that turn SDK shapes into the core's own (`Vpc`, `Subnet`, `SgRule`…) and SDK
//! errors into `StackError::Aws`. Lookups use filters (never ids in `*Ids` parameters), so an
//! object deleted out of band is simply absent instead of an `InvalidXxx.NotFound` error.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, BlockDeviceMapping, DomainType, EbsBlockDevice, Filter, HttpTokensState,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType, IpPermission, IpRange,
    Ipv6Range, ResourceType, Tag, TagSpecification, UserIdGroupPair, VolumeType,
};
use aws_sdk_ec2::Client;

use super::{ec2_send_once, SendFor};
use crate::error::{Result, StackError};
use crate::naming::STACK_TAG;

/// Tags as a sorted map.
pub type Tags = BTreeMap<String, String>;

fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tag_list(tags)))
        .build()
}

fn tag_map(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// Objects tagged for `stack`.
pub fn stack_filter(stack: &str) -> Filter {
    filter(&format!("tag:{STACK_TAG}"), &[stack])
}

/// Which objects a lookup lists: those tagged for a stack, or those inside a VPC (whatever
/// their tags: a tag removed out of band must not hide an object of the stack's VPC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Stack(&'a str),
    Vpc(&'a str),
}

impl Scope<'_> {
    /// The filter; `vpc_key` is the name of the VPC filter for this kind of object.
    fn filter(self, vpc_key: &str) -> Filter {
        match self {
            Scope::Stack(stack) => stack_filter(stack),
            Scope::Vpc(vpc) => filter(vpc_key, &[vpc]),
        }
    }
    fn describe(self) -> String {
        match self {
            Scope::Stack(stack) => format!("stack {stack}"),
            Scope::Vpc(vpc) => vpc.to_string(),
        }
    }
}

fn opt(value: Option<&str>) -> String {
    value.unwrap_or_default().to_string()
}

// ---------------------------------------------------------------------------------------------
// Zones and images

/// Names of the region's available zones, sorted.
pub async fn availability_zones(ec2: &Client) -> Result<Vec<String>> {
    let out = ec2
        .describe_availability_zones()
        .filters(filter("state", &["available"]))
        .filters(filter("zone-type", &["availability-zone"]))
        .send()
        .for_object("region")
        .await?;
    let mut zones: Vec<String> = out
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    Ok(zones)
}

/// An AMI and the device name of its root volume (needed to encrypt the root volume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    pub root_device_name: String,
    /// Size of the root volume's snapshot, when the image says.
    pub root_volume_gib: Option<i32>,
}

fn image_from(image: &aws_sdk_ec2::types::Image) -> Image {
    let root_device_name = image.root_device_name().unwrap_or("/dev/xvda").to_string();
    let root_volume_gib = image
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == Some(root_device_name.as_str()))
        .and_then(|m| m.ebs())
        .and_then(|ebs| ebs.volume_size());
    Image {
        id: opt(image.image_id()),
        root_device_name,
        root_volume_gib,
    }
}

/// Amazon's public AL2023 images are named `al2023-ami-2023.<version>-kernel-<k>-x86_64`;
/// this filter excludes the `minimal` and ECS variants and works on AWS and moto alike.
pub const AL2023_NAME_PATTERN: &str = "al2023-ami-2023.*-x86_64";

/// The newest Amazon Linux 2023 x86_64 image owned by Amazon.
pub async fn latest_al2023_image(ec2: &Client) -> Result<Image> {
    let (out, call) = ec2
        .describe_images()
        .owners("amazon")
        .filters(filter("name", &[AL2023_NAME_PATTERN]))
        .filters(filter("architecture", &["x86_64"]))
        .filters(filter("state", &["available"]))
        .send()
        .with_operation(AL2023_NAME_PATTERN)
        .await?;
    let newest = out
        .images()
        .iter()
        .filter(|i| i.image_id().is_some())
        .max_by_key(|i| (opt(i.creation_date()), opt(i.name())));
    newest.map(image_from).ok_or_else(|| {
        call.refusal(
            AL2023_NAME_PATTERN,
            None,
            "no Amazon Linux 2023 x86_64 image found in this region; set ami_id",
        )
    })
}

/// A given AMI, for its root device name.
pub async fn image(ec2: &Client, image_id: &str) -> Result<Image> {
    let (out, call) = ec2
        .describe_images()
        .image_ids(image_id)
        .send()
        .with_operation(image_id)
        .await?;
    let found = out.images().first().ok_or_else(|| {
        call.refusal(
            image_id,
            Some("InvalidAMIID.NotFound"),
            format!("image {image_id} does not exist or is not visible to this account"),
        )
    })?;
    Ok(Image {
        id: image_id.to_string(),
        ..image_from(found)
    })
}

/// Most resource ids one DescribeTags filter takes.
const TAG_FILTER_LIMIT: usize = 200;

/// The tags of each of `ids` (any EC2 object kind), in one DescribeTags per 200 ids: how a
/// refresh reads the tags of objects whose own describe is not otherwise needed (internet
/// gateway, elastic IPs, launch template). An id without tags, or gone, is absent.
pub async fn tags_by_resource(ec2: &Client, ids: &[String]) -> Result<BTreeMap<String, Tags>> {
    let mut found: BTreeMap<String, Tags> = BTreeMap::new();
    for chunk in ids.chunks(TAG_FILTER_LIMIT) {
        let values: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let mut token: Option<String> = None;
        loop {
            let out = ec2
                .describe_tags()
                .filters(filter("resource-id", &values))
                .set_next_token(token.take())
                .send()
                .for_object(chunk.join(", "))
                .await?;
            for tag in out.tags() {
                let (Some(id), Some(key)) = (tag.resource_id(), tag.key()) else {
                    continue;
                };
                // The filter matches by prefix on moto: keep exact ids only.
                if chunk.iter().any(|wanted| wanted == id) {
                    found
                        .entry(id.to_string())
                        .or_default()
                        .insert(key.to_string(), opt(tag.value()));
                }
            }
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// VPC

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: String,
    pub cidr: String,
    pub tags: Tags,
}

/// VPCs tagged for the stack (normally zero or one).
/// VPCs tagged for the stack.
pub async fn stack_vpcs(ec2: &Client, stack: &str) -> Result<Vec<Vpc>> {
    vpcs(ec2, Scope::Stack(stack)).await
}

/// VPCs of the scope (`Scope::Vpc`: that VPC, if it exists).
pub async fn vpcs(ec2: &Client, scope: Scope<'_>) -> Result<Vec<Vpc>> {
    let out = ec2
        .describe_vpcs()
        .filters(scope.filter("vpc-id"))
        .send()
        .for_object(format!("VPC of {}", scope.describe()))
        .await?;
    Ok(out
        .vpcs()
        .iter()
        .map(|v| Vpc {
            id: opt(v.vpc_id()),
            cidr: opt(v.cidr_block()),
            tags: tag_map(v.tags()),
        })
        .collect())
}

pub async fn create_vpc(ec2: &Client, cidr: &str, tags: &Tags) -> Result<String> {
    let (out, call) = ec2
        .create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tag_spec(ResourceType::Vpc, tags))
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation(format!("vpc {cidr}"))
        .await?;
    let id = out.vpc().and_then(|v| v.vpc_id()).map(str::to_string);
    id.ok_or_else(|| call.refusal(cidr, None, NO_ID))
}

/// DNS resolution and DNS host names on: EFS mount by name and RDS endpoints need both.
pub async fn enable_vpc_dns(ec2: &Client, vpc_id: &str) -> Result<()> {
    let on = || AttributeBooleanValue::builder().value(true).build();
    let support = ec2
        .modify_vpc_attribute()
        .vpc_id(vpc_id)
        .enable_dns_support(on())
        .send()
        .for_object(vpc_id);
    let hostnames = ec2
        .modify_vpc_attribute()
        .vpc_id(vpc_id)
        .enable_dns_hostnames(on())
        .send()
        .for_object(vpc_id);
    let (support, hostnames) = futures::join!(support, hostnames);
    support?;
    hostnames?;
    Ok(())
}

pub async fn delete_vpc(ec2: &Client, vpc_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .for_object(vpc_id)
            .await
            .map(|_| ()),
    )
}

// ---------------------------------------------------------------------------------------------
// Tags on any EC2 object

pub async fn create_tags(ec2: &Client, resource_id: &str, tags: &Tags) -> Result<()> {
    ec2.create_tags()
        .resources(resource_id)
        .set_tags(Some(tag_list(tags)))
        .send()
        .for_object(resource_id)
        .await
        .map(|_| ())
}

/// Remove the tags `keys` (whatever their values) from the object.
pub async fn delete_tags(ec2: &Client, resource_id: &str, keys: &[String]) -> Result<()> {
    let tags: Vec<Tag> = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
    ec2.delete_tags()
        .resources(resource_id)
        .set_tags(Some(tags))
        .send()
        .for_object(resource_id)
        .await
        .map(|_| ())
}

/// One tagged EC2 object, as DescribeTags lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedObject {
    pub id: String,
    /// EC2's resource type spelling: `vpc`, `subnet`, `natgateway`, `elastic-ip`, `instance`…
    pub kind: String,
}

/// Every EC2 object carrying the stack tag (EIPs and launch templates included, which the
/// Resource Groups Tagging API of moto misses).
pub async fn tagged_objects(ec2: &Client, stack: &str) -> Result<Vec<TaggedObject>> {
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = ec2
            .describe_tags()
            .filters(filter("key", &[STACK_TAG]))
            .filters(filter("value", &[stack]))
            .set_next_token(token.clone())
            .send()
            .for_object(format!("objects of stack {stack}"))
            .await?;
        objects.extend(out.tags().iter().map(|t| {
            TaggedObject {
                id: opt(t.resource_id()),
                kind: t
                    .resource_type()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_default(),
            }
        }));
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(objects);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subnets

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
    pub cidr: String,
    pub tags: Tags,
}

/// Subnets tagged for the stack.
pub async fn stack_subnets(ec2: &Client, stack: &str) -> Result<Vec<Subnet>> {
    subnets(ec2, Scope::Stack(stack)).await
}

pub async fn subnets(ec2: &Client, scope: Scope<'_>) -> Result<Vec<Subnet>> {
    let out = ec2
        .describe_subnets()
        .filters(scope.filter("vpc-id"))
        .send()
        .for_object(format!("subnets of {}", scope.describe()))
        .await?;
    Ok(out
        .subnets()
        .iter()
        .map(|s| Subnet {
            id: opt(s.subnet_id()),
            vpc_id: opt(s.vpc_id()),
            zone: opt(s.availability_zone()),
            cidr: opt(s.cidr_block()),
            tags: tag_map(s.tags()),
        })
        .collect())
}

pub async fn create_subnet(
    ec2: &Client,
    vpc_id: &str,
    zone: &str,
    cidr: &str,
    tags: &Tags,
) -> Result<String> {
    let (out, call) = ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .availability_zone(zone)
        .cidr_block(cidr)
        .tag_specifications(tag_spec(ResourceType::Subnet, tags))
        .send()
        .with_operation(format!("subnet {cidr} in {zone}"))
        .await?;
    let id = out.subnet().and_then(|s| s.subnet_id()).map(str::to_string);
    id.ok_or_else(|| call.refusal(cidr, None, NO_ID))
}

pub async fn delete_subnet(ec2: &Client, subnet_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.delete_subnet()
            .subnet_id(subnet_id)
            .send()
            .for_object(subnet_id)
            .await
            .map(|_| ()),
    )
}

// ---------------------------------------------------------------------------------------------
// Internet gateway

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetGateway {
    pub id: String,
    pub attached_vpcs: Vec<String>,
    pub tags: Tags,
}

pub async fn stack_internet_gateways(ec2: &Client, stack: &str) -> Result<Vec<InternetGateway>> {
    internet_gateways(ec2, Scope::Stack(stack)).await
}

pub async fn internet_gateways(ec2: &Client, scope: Scope<'_>) -> Result<Vec<InternetGateway>> {
    let out = ec2
        .describe_internet_gateways()
        .filters(scope.filter("attachment.vpc-id"))
        .send()
        .for_object(format!("IGW of {}", scope.describe()))
        .await?;
    Ok(out
        .internet_gateways()
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

pub async fn create_internet_gateway(ec2: &Client, tags: &Tags) -> Result<String> {
    let (out, call) = ec2
        .create_internet_gateway()
        .tag_specifications(tag_spec(ResourceType::InternetGateway, tags))
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

pub async fn attach_internet_gateway(ec2: &Client, igw_id: &str, vpc_id: &str) -> Result<()> {
    ec2.attach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(vpc_id)
        .send()
        .for_object(igw_id)
        .await
        .map(|_| ())
}

pub async fn detach_internet_gateway(ec2: &Client, igw_id: &str, vpc_id: &str) -> Result<()> {
    let result = ec2
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

pub async fn delete_internet_gateway(ec2: &Client, igw_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.delete_internet_gateway()
            .internet_gateway_id(igw_id)
            .send()
            .for_object(igw_id)
            .await
            .map(|_| ()),
    )
}

// ---------------------------------------------------------------------------------------------
// Route tables

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

pub async fn stack_route_tables(ec2: &Client, stack: &str) -> Result<Vec<RouteTable>> {
    route_tables(ec2, Scope::Stack(stack)).await
}

pub async fn route_tables(ec2: &Client, scope: Scope<'_>) -> Result<Vec<RouteTable>> {
    let out = ec2
        .describe_route_tables()
        .filters(scope.filter("vpc-id"))
        .send()
        .for_object(format!("route tables of {}", scope.describe()))
        .await?;
    Ok(out
        .route_tables()
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

pub async fn create_route_table(ec2: &Client, vpc_id: &str, tags: &Tags) -> Result<String> {
    let (out, call) = ec2
        .create_route_table()
        .vpc_id(vpc_id)
        .tag_specifications(tag_spec(ResourceType::RouteTable, tags))
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
    ec2: &Client,
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
        replace_default_route(ec2, &table.id, target).await?;
    } else {
        let mut call = ec2
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
                replace_default_route(ec2, &table.id, target).await?
            }
            other => other.map(|_| ())?,
        }
    }
    tracing::info!(route_table = %table.id, target = ?target, "default route set");
    Ok(())
}

async fn replace_default_route(
    ec2: &Client,
    table_id: &str,
    target: RouteTarget<'_>,
) -> Result<()> {
    let mut call = ec2
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
    ec2: &Client,
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
            let (out, call) = ec2
                .replace_route_table_association()
                .association_id(&assoc)
                .route_table_id(&table.id)
                .send()
                .with_operation(&assoc)
                .await?;
            (out.new_association_id().map(str::to_string), call)
        }
        None => {
            let (out, call) = ec2
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

pub async fn disassociate_route_table(ec2: &Client, association_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.disassociate_route_table()
            .association_id(association_id)
            .send()
            .for_object(association_id)
            .await
            .map(|_| ()),
    )
}

pub async fn delete_route_table(ec2: &Client, table_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.delete_route_table()
            .route_table_id(table_id)
            .send()
            .for_object(table_id)
            .await
            .map(|_| ()),
    )
}

// ---------------------------------------------------------------------------------------------
// Elastic IPs and NAT gateways

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub allocation_id: String,
    pub public_ip: String,
    pub association_id: Option<String>,
    pub tags: Tags,
}

pub async fn stack_addresses(ec2: &Client, stack: &str) -> Result<Vec<Address>> {
    let out = ec2
        .describe_addresses()
        .filters(stack_filter(stack))
        .send()
        .for_object(format!("EIPs of stack {stack}"))
        .await?;
    Ok(out.addresses().iter().map(to_address).collect())
}

fn to_address(a: &aws_sdk_ec2::types::Address) -> Address {
    Address {
        allocation_id: opt(a.allocation_id()),
        public_ip: opt(a.public_ip()),
        association_id: a.association_id().map(str::to_string),
        tags: tag_map(a.tags()),
    }
}

/// One elastic IP by allocation id; `None` once it is released.
pub async fn address(ec2: &Client, allocation_id: &str) -> Result<Option<Address>> {
    let out = ec2
        .describe_addresses()
        .filters(filter("allocation-id", &[allocation_id]))
        .send()
        .for_object(allocation_id)
        .await?;
    Ok(out.addresses().first().map(to_address))
}

pub async fn disassociate_address(ec2: &Client, association_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.disassociate_address()
            .association_id(association_id)
            .send()
            .for_object(association_id)
            .await
            .map(|_| ()),
    )
}

pub async fn allocate_address(ec2: &Client, tags: &Tags) -> Result<String> {
    let (out, call) = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tag_spec(ResourceType::ElasticIp, tags))
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation("elastic IP")
        .await?;
    out.allocation_id()
        .map(str::to_string)
        .ok_or_else(|| call.refusal("elastic IP", None, NO_ID))
}

pub async fn release_address(ec2: &Client, allocation_id: &str) -> Result<()> {
    let result = ec2
        .release_address()
        .allocation_id(allocation_id)
        .send()
        .for_object(allocation_id)
        .await
        .map(|_| ());
    match result {
        Err(e) if e.aws_code() == Some("InvalidAllocationID.NotFound") => Ok(()),
        other => ignore_not_found(other),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatGateway {
    pub id: String,
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
pub async fn stack_nat_gateways(ec2: &Client, stack: &str) -> Result<Vec<NatGateway>> {
    nat_gateways(ec2, Scope::Stack(stack)).await
}

pub async fn nat_gateways(ec2: &Client, scope: Scope<'_>) -> Result<Vec<NatGateway>> {
    describe_nat_gateways(ec2, scope.filter("vpc-id"), &scope.describe()).await
}

pub async fn nat_gateway(ec2: &Client, nat_id: &str) -> Result<Option<NatGateway>> {
    let found = describe_nat_gateways(ec2, filter("nat-gateway-id", &[nat_id]), nat_id).await?;
    Ok(found.into_iter().next())
}

async fn describe_nat_gateways(ec2: &Client, by: Filter, what: &str) -> Result<Vec<NatGateway>> {
    let out = ec2
        .describe_nat_gateways()
        .filter(by)
        .send()
        .for_object(what)
        .await?;
    Ok(out
        .nat_gateways()
        .iter()
        .map(|n| NatGateway {
            id: opt(n.nat_gateway_id()),
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
    ec2: &Client,
    subnet_id: &str,
    allocation_id: &str,
    client_token: &str,
    tags: &Tags,
) -> Result<String> {
    let (out, call) = ec2
        .create_nat_gateway()
        .subnet_id(subnet_id)
        .allocation_id(allocation_id)
        .client_token(client_token)
        .tag_specifications(tag_spec(ResourceType::Natgateway, tags))
        // Not every endpoint honours the token (moto does not): a lost answer is resolved by
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

pub async fn delete_nat_gateway(ec2: &Client, nat_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.delete_nat_gateway()
            .nat_gateway_id(nat_id)
            .send()
            .for_object(nat_id)
            .await
            .map(|_| ()),
    )
}

// ---------------------------------------------------------------------------------------------
// Security groups

/// Where a rule's traffic comes from (ingress) or goes to (egress).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    Cidr(String),
    Ipv6Cidr(String),
    Group(String),
}

/// One security-group rule with a single peer: the unit compared when converging rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    pub peer: Peer,
}

impl SgRule {
    pub fn tcp(port: i32, peer: Peer) -> SgRule {
        SgRule {
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            peer,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub group_name: String,
    pub vpc_id: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
    pub tags: Tags,
}

fn rules_of(permissions: &[IpPermission]) -> Vec<SgRule> {
    let mut rules = Vec::new();
    for p in permissions {
        let protocol = p.ip_protocol().unwrap_or("-1").to_string();
        let (from_port, to_port) = if protocol == "-1" {
            (-1, -1)
        } else {
            (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1))
        };
        let rule = |peer| SgRule {
            protocol: protocol.clone(),
            from_port,
            to_port,
            peer,
        };
        rules.extend(
            p.ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .map(|c| rule(Peer::Cidr(c.into()))),
        );
        rules.extend(
            p.ipv6_ranges()
                .iter()
                .filter_map(|r| r.cidr_ipv6())
                .map(|c| rule(Peer::Ipv6Cidr(c.into()))),
        );
        rules.extend(
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .map(|g| rule(Peer::Group(g.into()))),
        );
    }
    rules.sort();
    rules
}

fn permission_of(rule: &SgRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol);
    if rule.protocol != "-1" {
        p = p.from_port(rule.from_port).to_port(rule.to_port);
    }
    match &rule.peer {
        Peer::Cidr(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).build()),
        Peer::Ipv6Cidr(c) => p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).build()),
        Peer::Group(g) => p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build()),
    }
    .build()
}

pub async fn stack_security_groups(ec2: &Client, stack: &str) -> Result<Vec<SecurityGroup>> {
    security_groups(ec2, Scope::Stack(stack)).await
}

pub async fn security_groups(ec2: &Client, scope: Scope<'_>) -> Result<Vec<SecurityGroup>> {
    let out = ec2
        .describe_security_groups()
        .filters(scope.filter("vpc-id"))
        .send()
        .for_object(format!("groups of {}", scope.describe()))
        .await?;
    Ok(out
        .security_groups()
        .iter()
        .map(|g| SecurityGroup {
            id: opt(g.group_id()),
            group_name: opt(g.group_name()),
            vpc_id: opt(g.vpc_id()),
            ingress: rules_of(g.ip_permissions()),
            egress: rules_of(g.ip_permissions_egress()),
            tags: tag_map(g.tags()),
        })
        .collect())
}

pub async fn create_security_group(
    ec2: &Client,
    vpc_id: &str,
    group_name: &str,
    description: &str,
    tags: &Tags,
) -> Result<String> {
    let (out, call) = ec2
        .create_security_group()
        .vpc_id(vpc_id)
        .group_name(group_name)
        .description(description)
        .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags))
        .send()
        .with_operation(group_name)
        .await?;
    out.group_id()
        .map(str::to_string)
        .ok_or_else(|| call.refusal(group_name, None, NO_ID))
}

/// Which side of a group a rule is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// Add `rules` to the group (one call); rules that already exist are not an error.
pub async fn authorize(
    ec2: &Client,
    group_id: &str,
    direction: Direction,
    rules: &[SgRule],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
    let result = match direction {
        Direction::Ingress => ec2
            .authorize_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
        Direction::Egress => ec2
            .authorize_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    };
    match result {
        Err(e) if e.aws_code() == Some("InvalidPermission.Duplicate") => Ok(()),
        other => other,
    }
}

/// Remove `rules` from the group (one call); rules already gone are not an error.
pub async fn revoke(
    ec2: &Client,
    group_id: &str,
    direction: Direction,
    rules: &[SgRule],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
    let result = match direction {
        Direction::Ingress => ec2
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
        Direction::Egress => ec2
            .revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(permissions))
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    };
    match result {
        Err(e) if e.aws_code() == Some("InvalidPermission.NotFound") => Ok(()),
        other => ignore_not_found(other),
    }
}

pub async fn delete_security_group(ec2: &Client, group_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.delete_security_group()
            .group_id(group_id)
            .send()
            .for_object(group_id)
            .await
            .map(|_| ()),
    )
}

// ---------------------------------------------------------------------------------------------
// Instances

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    /// `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`.
    pub state: String,
    pub subnet_id: String,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub public_ip: Option<String>,
    pub security_group_ids: Vec<String>,
    /// `required` when IMDSv2 is enforced.
    pub http_tokens: Option<String>,
    pub http_hop_limit: Option<i32>,
    pub tags: Tags,
}

impl Instance {
    /// Neither terminated nor on its way there.
    pub fn is_live(&self) -> bool {
        !matches!(self.state.as_str(), "shutting-down" | "terminated")
    }
}

/// Instances tagged for the stack with the given `Name`, in every state.
pub async fn stack_instances(
    ec2: &Client,
    stack: &str,
    name: Option<&str>,
) -> Result<Vec<Instance>> {
    instances(ec2, Scope::Stack(stack), name).await
}

/// Instances of the scope, optionally only those with the given `Name`, in every state.
pub async fn instances(
    ec2: &Client,
    scope: Scope<'_>,
    name: Option<&str>,
) -> Result<Vec<Instance>> {
    let mut call = ec2.describe_instances().filters(scope.filter("vpc-id"));
    if let Some(name) = name {
        call = call.filters(filter("tag:Name", &[name]));
    }
    describe_instances(call, &scope.describe()).await
}

pub async fn instance(ec2: &Client, instance_id: &str) -> Result<Option<Instance>> {
    let call = ec2
        .describe_instances()
        .filters(filter("instance-id", &[instance_id]));
    Ok(describe_instances(call, instance_id)
        .await?
        .into_iter()
        .next())
}

async fn describe_instances(
    call: aws_sdk_ec2::operation::describe_instances::builders::DescribeInstancesFluentBuilder,
    what: &str,
) -> Result<Vec<Instance>> {
    let out = call.send().for_object(what).await?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| Instance {
            id: opt(i.instance_id()),
            state: i
                .state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            subnet_id: opt(i.subnet_id()),
            image_id: opt(i.image_id()),
            instance_type: i
                .instance_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            key_name: i.key_name().map(str::to_string),
            public_ip: i.public_ip_address().map(str::to_string),
            security_group_ids: instance_groups(i),
            http_tokens: i
                .metadata_options()
                .and_then(|m| m.http_tokens())
                .map(|t| t.as_str().to_string()),
            http_hop_limit: i
                .metadata_options()
                .and_then(|m| m.http_put_response_hop_limit()),
            tags: tag_map(i.tags()),
        })
        .collect())
}

/// The instance's groups, from the instance and from its interfaces (moto reports the
/// groups of an instance launched with an interface specification only on the interface).
fn instance_groups(instance: &aws_sdk_ec2::types::Instance) -> Vec<String> {
    let on_instance = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id());
    let on_interfaces = instance
        .network_interfaces()
        .iter()
        .flat_map(|n| n.groups())
        .filter_map(|g| g.group_id());
    let mut groups: Vec<String> = on_instance
        .chain(on_interfaces)
        .map(str::to_string)
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// What a hardened single instance needs.
#[derive(Debug, Clone)]
pub struct InstanceRequest<'a> {
    pub image: &'a Image,
    pub instance_type: &'a str,
    pub subnet_id: &'a str,
    pub security_group_id: &'a str,
    pub key_name: Option<&'a str>,
    pub public_ip: bool,
    /// `None`: the image's own root volume size.
    pub root_volume_gib: Option<i32>,
    pub client_token: &'a str,
    pub tags: &'a Tags,
}

/// Launch one instance: IMDSv2 required with hop limit 1 (containers cannot reach the
/// instance's credentials), encrypted gp3 root volume, tagged with its volume.
pub async fn run_instance(ec2: &Client, request: &InstanceRequest<'_>) -> Result<String> {
    let metadata = InstanceMetadataOptionsRequest::builder()
        .http_tokens(HttpTokensState::Required)
        .http_put_response_hop_limit(1)
        .http_endpoint(InstanceMetadataEndpointState::Enabled)
        .build();
    let root = BlockDeviceMapping::builder()
        .device_name(&request.image.root_device_name)
        .ebs(
            EbsBlockDevice::builder()
                .volume_type(VolumeType::Gp3)
                .set_volume_size(request.root_volume_gib)
                .encrypted(true)
                .delete_on_termination(true)
                .build(),
        )
        .build();
    let interface = InstanceNetworkInterfaceSpecification::builder()
        .device_index(0)
        .subnet_id(request.subnet_id)
        .associate_public_ip_address(request.public_ip)
        .groups(request.security_group_id)
        .delete_on_termination(true)
        .build();
    let (out, call) = ec2
        .run_instances()
        .image_id(&request.image.id)
        .instance_type(InstanceType::from(request.instance_type))
        .min_count(1)
        .max_count(1)
        .client_token(request.client_token)
        .set_key_name(request.key_name.map(str::to_string))
        .metadata_options(metadata)
        .block_device_mappings(root)
        .network_interfaces(interface)
        .tag_specifications(tag_spec(ResourceType::Instance, request.tags))
        .tag_specifications(tag_spec(ResourceType::Volume, request.tags))
        // Not every endpoint honours the token (moto does not): a lost answer is resolved by
        // looking for the instance, not by a re-send that would launch a second one.
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation(format!("instance in {}", request.subnet_id))
        .await?;
    let id = out
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .map(str::to_string);
    id.ok_or_else(|| call.refusal(request.subnet_id, None, NO_ID))
}

pub async fn terminate_instance(ec2: &Client, instance_id: &str) -> Result<()> {
    ignore_not_found(
        ec2.terminate_instances()
            .instance_ids(instance_id)
            .send()
            .for_object(instance_id)
            .await
            .map(|_| ()),
    )
}

/// Whether EC2 reports the instance as running.
pub fn is_running(instance: &Instance) -> bool {
    instance.state == InstanceStateName::Running.as_str()
}

// ---------------------------------------------------------------------------------------------

/// What a create's answer without the new object's id says (an unknown outcome: the tier
/// looks the object up).
const NO_ID: &str = "the response carried no id";

/// Deleting something already gone is success.
fn ignore_not_found(result: Result<()>) -> Result<()> {
    match result {
        Err(e) if super::is_not_found(&e) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_round_trip_to_single_peer_rules() {
        let rules = vec![
            SgRule::tcp(80, Peer::Cidr("0.0.0.0/0".into())),
            SgRule::tcp(80, Peer::Ipv6Cidr("::/0".into())),
            SgRule::tcp(3306, Peer::Group("sg-123".into())),
        ];
        let permissions: Vec<IpPermission> = rules.iter().map(permission_of).collect();
        let mut expected = rules.clone();
        expected.sort();
        assert_eq!(rules_of(&permissions), expected);
    }

    #[test]
    fn all_traffic_rules_ignore_ports() {
        let p = IpPermission::builder()
            .ip_protocol("-1")
            .from_port(0)
            .to_port(65535)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let rules = rules_of(&[p]);
        assert_eq!(rules[0].from_port, -1);
        assert_eq!(rules[0].protocol, "-1");
    }
}
