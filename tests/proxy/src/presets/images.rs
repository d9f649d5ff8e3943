//! Image root snapshots as AWS sizes them. Moto describes every image with a 15 GiB root
//! snapshot and launches any volume size; on AWS each image has its own snapshot size (8 GiB
//! for Amazon Linux 2023, more for many others) and EC2 refuses a root volume smaller than
//! the snapshot it is made from. With this preset every image's root snapshot is
//! `root_snapshot_gib`: DescribeImages says so, and RunInstances asking for a smaller EBS
//! volume gets 400 `InvalidBlockDeviceMapping`.

use crate::aws_errors::AwsError;
use crate::config::ImagesConfig;
use crate::identify::AwsRequest;
use crate::xml;

/// A DescribeImages answer with every block device mapping's `volumeSize` set to the
/// configured snapshot size; `None` when there is nothing to rewrite.
pub fn rewrite_describe_images(body: &str, config: &ImagesConfig) -> Option<String> {
    let size = config.root_snapshot_gib.to_string();
    xml::rewrite_states(body, "deviceName", &["item"], "volumeSize", |_| {
        Some(size.as_str())
    })
}

/// RunInstances asking for an EBS volume smaller than the images' root snapshot, refused as
/// EC2 refuses it.
pub fn refusal(request: &AwsRequest, config: &ImagesConfig) -> Option<AwsError> {
    if (
        request.call.service.as_str(),
        request.call.operation.as_str(),
    ) != ("ec2", "RunInstances")
    {
        return None;
    }
    let smallest = request
        .params
        .iter()
        .filter(|(key, _)| {
            key.starts_with("BlockDeviceMapping.") && key.ends_with(".Ebs.VolumeSize")
        })
        .filter_map(|(_, value)| value.parse::<u32>().ok())
        .min()?;
    (smallest < config.root_snapshot_gib).then(|| AwsError {
        status: 400,
        code: "InvalidBlockDeviceMapping".into(),
        message: format!(
            "Volume of size {smallest}GB is smaller than snapshot of the image's root device, \
expect size >= {}GB",
            config.root_snapshot_gib
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    const IMAGES: &str = r#"<DescribeImagesResponse><imagesSet><item><blockDeviceMapping><item><ebs><snapshotId>snap-1</snapshotId><volumeSize>15</volumeSize></ebs><deviceName>/dev/xvda</deviceName></item></blockDeviceMapping><imageId>ami-1</imageId><architecture>arm64</architecture></item></imagesSet></DescribeImagesResponse>"#;

    fn run_instances(params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: "ec2".into(),
                operation: "RunInstances".into(),
            },
            protocol: Protocol::Ec2Query,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn images_show_the_configured_root_snapshot() {
        let config = ImagesConfig {
            root_snapshot_gib: 30,
        };
        let out = rewrite_describe_images(IMAGES, &config).unwrap();
        assert!(out.contains("<volumeSize>30</volumeSize>"), "{out}");
        assert!(out.contains("<imageId>ami-1</imageId>"), "{out}");
        assert!(rewrite_describe_images("<imagesSet/>", &config).is_none());
    }

    #[test]
    fn a_root_volume_smaller_than_the_snapshot_is_refused() {
        let config = ImagesConfig {
            root_snapshot_gib: 30,
        };
        let small = run_instances(&[
            ("BlockDeviceMapping.1.DeviceName", "/dev/xvda"),
            ("BlockDeviceMapping.1.Ebs.VolumeSize", "20"),
        ]);
        let error = refusal(&small, &config).expect("refused");
        assert_eq!(
            (error.status, error.code.as_ref()),
            (400, "InvalidBlockDeviceMapping")
        );
        assert!(error.message.contains("expect size >= 30GB"), "{error:?}");
        let enough = run_instances(&[("BlockDeviceMapping.1.Ebs.VolumeSize", "30")]);
        assert!(refusal(&enough, &config).is_none());
        let image_size = run_instances(&[("ImageId", "ami-1")]);
        assert!(
            refusal(&image_size, &config).is_none(),
            "no size: the snapshot's"
        );
    }
}
