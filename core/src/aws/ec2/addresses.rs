//! Elastic IP addresses.

use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::{filter, ignore_not_found, opt, stack_filter, tag_spec, Tags, NO_ID};
use crate::aws::tags::tag_map;
use crate::aws::{ec2_send_once, Clients, SendFor};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub allocation_id: String,
    pub public_ip: String,
    pub association_id: Option<String>,
    pub tags: Tags,
}

pub async fn stack_addresses(clients: &Clients, stack: &str) -> Result<Vec<Address>> {
    let out = clients
        .ec2
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
pub async fn address(clients: &Clients, allocation_id: &str) -> Result<Option<Address>> {
    let out = clients
        .ec2
        .describe_addresses()
        .filters(filter("allocation-id", &[allocation_id]))
        .send()
        .for_object(allocation_id)
        .await?;
    Ok(out.addresses().first().map(to_address))
}

pub async fn disassociate_address(clients: &Clients, association_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .disassociate_address()
            .association_id(association_id)
            .send()
            .for_object(association_id)
            .await
            .map(|_| ()),
    )
}

pub async fn allocate_address(clients: &Clients, tags: &Tags) -> Result<String> {
    let (out, call) = clients
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tag_spec(ResourceType::ElasticIp, tags)?)
        .customize()
        .config_override(ec2_send_once())
        .send()
        .with_operation("elastic IP")
        .await?;
    out.allocation_id()
        .map(str::to_string)
        .ok_or_else(|| call.refusal("elastic IP", None, NO_ID))
}

pub async fn release_address(clients: &Clients, allocation_id: &str) -> Result<()> {
    let result = clients
        .ec2
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
