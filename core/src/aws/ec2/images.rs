//! Machine images and the instance types that boot them: what an image is (its architecture,
//! root device and root snapshot size, from DescribeImages) and which architectures an
//! instance type runs (DescribeInstanceTypes, `ProcessorInfo.SupportedArchitectures`).

use std::collections::BTreeMap;

use super::{filter, opt};
use crate::aws::{Clients, SendFor};
use crate::error::Result;
use crate::image::{ImageFacts, ImageQuery};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    /// `x86_64`, `arm64`… as AWS spells it.
    pub architecture: Option<String>,
    pub root_device_name: String,
    /// Size of the root volume's snapshot, when the image says: a launch asking for a
    /// smaller root volume is refused.
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
        architecture: image.architecture().map(|a| a.as_str().to_string()),
        root_device_name,
        root_volume_gib,
    }
}

/// The images of `image_ids` AWS shows this account; an id it does not know is absent.
pub async fn images(clients: &Clients, image_ids: &[&str]) -> Result<Vec<Image>> {
    if image_ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = clients
        .ec2
        .describe_images()
        .filters(filter("image-id", image_ids))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(image_ids.join(", "))
        .await?;
    Ok(found.iter().map(image_from).collect())
}

/// The image `image_id`: its architecture, root device and root snapshot size.
pub async fn image(clients: &Clients, image_id: &str) -> Result<Image> {
    let (found, call) = clients
        .ec2
        .describe_images()
        .filters(filter("image-id", &[image_id]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .with_operation(image_id)
        .await?;
    found.first().map(image_from).ok_or_else(|| {
        call.refusal(
            image_id,
            Some("InvalidAMIID.NotFound"),
            format!("image {image_id} does not exist or is not visible to this account"),
        )
    })
}

/// Each of `instance_types` AWS offers in the region → its supported architectures; a type
/// it does not know is absent.
pub async fn instance_type_architectures(
    clients: &Clients,
    instance_types: &[&str],
) -> Result<BTreeMap<String, Vec<String>>> {
    if instance_types.is_empty() {
        return Ok(BTreeMap::new());
    }
    let found = clients
        .ec2
        .describe_instance_types()
        .filters(filter("instance-type", instance_types))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(instance_types.join(", "))
        .await?;
    Ok(found
        .iter()
        .filter_map(|t| {
            let name = t.instance_type()?.as_str().to_string();
            let architectures = t
                .processor_info()
                .map(|p| {
                    p.supported_architectures()
                        .iter()
                        .map(|a| a.as_str().to_string())
                        .collect()
                })
                .unwrap_or_default();
            Some((name, architectures))
        })
        .collect())
}

/// What planning asks about images ([`ImageQuery`]): the instance types' architectures and
/// the images' architectures, both asked at once.
pub async fn facts(clients: &Clients, query: &ImageQuery) -> Result<ImageFacts> {
    let types: Vec<&str> = query.instance_types.iter().map(String::as_str).collect();
    let ids: Vec<&str> = query.images.iter().map(String::as_str).collect();
    let (instance_types, images) = tokio::try_join!(
        instance_type_architectures(clients, &types),
        images(clients, &ids)
    )?;
    Ok(ImageFacts {
        instance_types,
        images: images
            .into_iter()
            .filter_map(|i| Some((i.id, i.architecture?)))
            .collect(),
    })
}
