//! EC2: VPC, subnets, gateways, route tables, addresses, security groups, instances, images
//! and instance types.
//!
//! Thin calls that turn SDK shapes into the core's own (`Vpc`, `Subnet`, `SgRule`…) and SDK
//! errors into `StackError::Aws`, one module per object family; every public item is re-exported
//! here, so callers name `ec2::create_vpc`, `ec2::Subnet`… Lookups use filters (never ids in
//! `*Ids` parameters), so an object deleted out of band is simply absent instead of an
//! `InvalidXxx.NotFound` error.

mod account;
mod addresses;
mod images;
mod instances;
mod routing;
mod scoped;
mod security_groups;
mod tags;
mod vpc;

pub use account::*;
pub use addresses::*;
pub use images::*;
pub use instances::*;
pub use routing::*;
pub use security_groups::*;
pub use tags::*;
pub use vpc::*;

use aws_sdk_ec2::types::{Filter, ResourceType, TagSpecification};

use super::not_found::ok_if_not_found;
use super::tags::sdk_tags;
pub use super::tags::Tags;
use crate::error::Result;
use crate::naming::STACK_TAG;

/// The tags a create gives the new object of `kind`.
fn tag_spec(kind: ResourceType, tags: &Tags) -> Result<TagSpecification> {
    Ok(TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(sdk_tags(tags)?))
        .build())
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

/// What a create's answer without the new object's id says (an unknown outcome: the tier
/// looks the object up).
const NO_ID: &str = "the response carried no id";

/// Deleting something already gone is success.
fn ignore_not_found(result: Result<()>) -> Result<()> {
    result.or_else(ok_if_not_found)
}
