//! The image an app or bastion instance boots, shared by both tiers (imports no tier): the
//! pinned AMI, else the current Amazon Linux 2023 for the instance type's architecture, named
//! by AWS's public SSM parameter (`image::al2023_parameter`).

use super::context::StepContext;
use crate::aws::ec2::{self, Image};
use crate::aws::ssm;
use crate::error::{Result, StackError};
use crate::image::{al2023_parameter, architecture_of};

/// The image to boot `instance_type` from: `pinned` (planning already refused one of another
/// architecture), else the current Amazon Linux 2023 of the type's architecture. Either way
/// described once, for its root device and root snapshot size.
pub async fn resolve(
    ctx: &StepContext,
    pinned: Option<&str>,
    instance_type: &str,
) -> Result<Image> {
    let id = match pinned {
        Some(id) => id.to_string(),
        None => {
            let known = ec2::instance_type_architectures(&ctx.clients, &[instance_type]).await?;
            let supported = known
                .get(instance_type)
                .ok_or_else(|| StackError::Refused {
                    what: format!(
                    "instance type {instance_type} is not offered in {}: DescribeInstanceTypes \
does not know it",
                    ctx.clients.region
                ),
                })?;
            let architecture = architecture_of(supported).ok_or_else(|| StackError::Refused {
                what: format!(
                    "instance type {instance_type} runs {}, and Amazon Linux 2023 is built for \
x86_64 and arm64 only: set ami_id",
                    supported.join(", ")
                ),
            })?;
            let id = ssm::parameter(&ctx.clients, &al2023_parameter(architecture)).await?;
            tracing::debug!(instance_type, %architecture, image = %id, "current Amazon Linux 2023");
            id
        }
    };
    ec2::image(&ctx.clients, &id).await
}
