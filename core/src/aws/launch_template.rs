//! EC2 launch templates: what every WordPress instance of the ASG boots from.
//!
//! The security posture is fixed here, not configurable: IMDSv2 required with a hop limit of 1
//! (a container on the instance cannot reach the instance role's credentials), no public IP,
//! an encrypted gp3 root volume.

use std::collections::BTreeMap;

use aws_sdk_ec2::operation::describe_launch_templates::builders::DescribeLaunchTemplatesFluentBuilder;
use aws_sdk_ec2::types::{
    Filter, LaunchTemplate as SdkLaunchTemplate, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, TagSpecification, VolumeType,
};

use crate::aws::coalesce::keyed;
use crate::aws::tags::{sdk_tags, tag_map};
use crate::aws::{ec2, Clients, SendFor};
use crate::error::{Result, StackError};

/// Room for Docker images on top of the OS (more when the image's root snapshot is larger).
pub const ROOT_VOLUME_GIB: i32 = 20;
pub const METADATA_HOP_LIMIT: i64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: String,
    pub default_version: Option<i64>,
    pub latest_version: Option<i64>,
    pub tags: BTreeMap<String, String>,
}

/// The content of one template version, as the stack writes it and as AWS reports it back,
/// so that "does the latest version already say this?" is one comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateData {
    pub image_id: String,
    pub instance_type: String,
    pub security_group_ids: Vec<String>,
    pub key_name: Option<String>,
    /// Base64 of the cloud-init document.
    pub user_data_base64: String,
    pub metadata_tokens_required: bool,
    pub metadata_hop_limit: Option<i64>,
    pub public_ip: Option<bool>,
    /// The AMI's root device (`/dev/xvda` on Amazon Linux 2023): the mapping that encrypts
    /// the root volume must name it.
    pub root_device_name: String,
    pub root_volume_encrypted: bool,
    pub root_volume_type: Option<String>,
    pub root_volume_gib: Option<i64>,
    /// Tags given to each instance and its volumes at launch.
    pub launch_tags: BTreeMap<String, String>,
    /// ARN of the instance profile the instances run with (the stack's secret reader).
    pub instance_profile_arn: Option<String>,
}

impl TemplateData {
    /// The stack's app instance: every hardening setting on.
    pub fn hardened(
        image_id: &str,
        root_device_name: &str,
        instance_type: &str,
        security_group_id: &str,
        key_name: Option<&str>,
        user_data_base64: String,
        launch_tags: BTreeMap<String, String>,
    ) -> TemplateData {
        TemplateData {
            image_id: image_id.to_string(),
            instance_type: instance_type.to_string(),
            security_group_ids: vec![security_group_id.to_string()],
            key_name: key_name.map(str::to_string),
            user_data_base64,
            metadata_tokens_required: true,
            metadata_hop_limit: Some(METADATA_HOP_LIMIT),
            public_ip: Some(false),
            root_device_name: root_device_name.to_string(),
            root_volume_encrypted: true,
            root_volume_type: Some("gp3".to_string()),
            root_volume_gib: Some(i64::from(ROOT_VOLUME_GIB)),
            launch_tags,
            instance_profile_arn: None,
        }
    }
}

/// One version of a template and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    pub number: i64,
    pub data: TemplateData,
}

fn template_from(template: &SdkLaunchTemplate) -> LaunchTemplate {
    LaunchTemplate {
        id: template
            .launch_template_id()
            .unwrap_or_default()
            .to_string(),
        name: template
            .launch_template_name()
            .unwrap_or_default()
            .to_string(),
        default_version: template.default_version_number(),
        latest_version: template.latest_version_number(),
        tags: tag_map(template.tags()),
    }
}

fn request_data(data: &TemplateData) -> Result<RequestLaunchTemplateData> {
    let launch_tags = sdk_tags(&data.launch_tags)?;
    let tag_spec = |kind: ResourceType| {
        LaunchTemplateTagSpecificationRequest::builder()
            .resource_type(kind)
            .set_tags(Some(launch_tags.clone()))
            .build()
    };
    Ok(RequestLaunchTemplateData::builder()
        .image_id(&data.image_id)
        .instance_type(data.instance_type.as_str().into())
        .set_key_name(data.key_name.clone())
        .set_iam_instance_profile(data.instance_profile_arn.as_ref().map(|arn| {
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .arn(arn)
                .build()
        }))
        .user_data(&data.user_data_base64)
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .http_tokens(if data.metadata_tokens_required {
                    LaunchTemplateHttpTokensState::Required
                } else {
                    LaunchTemplateHttpTokensState::Optional
                })
                .set_http_put_response_hop_limit(
                    data.metadata_hop_limit.and_then(|h| i32::try_from(h).ok()),
                )
                .build(),
        )
        // Security groups go on the interface: EC2 refuses them at the top level once an
        // interface is described, and the interface is how "no public IP" is said.
        .network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .device_index(0)
                .set_associate_public_ip_address(data.public_ip)
                .delete_on_termination(true)
                .set_groups(Some(data.security_group_ids.clone()))
                .build(),
        )
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(&data.root_device_name)
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .encrypted(data.root_volume_encrypted)
                        .set_volume_type(data.root_volume_type.as_deref().map(VolumeType::from))
                        .set_volume_size(data.root_volume_gib.and_then(|g| i32::try_from(g).ok()))
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        )
        .tag_specifications(tag_spec(ResourceType::Instance))
        .tag_specifications(tag_spec(ResourceType::Volume))
        .build())
}

fn data_from(data: &ResponseLaunchTemplateData) -> TemplateData {
    let interface = data
        .network_interfaces()
        .iter()
        .find(|n| n.device_index().unwrap_or(0) == 0);
    let root_mapping = data.block_device_mappings().first();
    let root = root_mapping.and_then(|m| m.ebs());
    let metadata = data.metadata_options();
    let mut security_group_ids: Vec<String> =
        interface.map(|n| n.groups().to_vec()).unwrap_or_default();
    security_group_ids.extend(data.security_group_ids().iter().cloned());
    let launch_tags = data
        .tag_specifications()
        .iter()
        .find(|s| s.resource_type() == Some(&ResourceType::Instance))
        .map(|s| tag_map(s.tags()))
        .unwrap_or_default();
    TemplateData {
        image_id: data.image_id().unwrap_or_default().to_string(),
        instance_type: data
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        security_group_ids,
        key_name: data.key_name().map(str::to_string),
        user_data_base64: data.user_data().unwrap_or_default().to_string(),
        metadata_tokens_required: metadata.and_then(|m| m.http_tokens())
            == Some(&LaunchTemplateHttpTokensState::Required),
        metadata_hop_limit: metadata
            .and_then(|m| m.http_put_response_hop_limit())
            .map(i64::from),
        public_ip: interface.and_then(|n| n.associate_public_ip_address()),
        root_device_name: root_mapping
            .and_then(|m| m.device_name())
            .unwrap_or_default()
            .to_string(),
        root_volume_encrypted: root.and_then(|e| e.encrypted()).unwrap_or(false),
        root_volume_type: root
            .and_then(|e| e.volume_type())
            .map(|v| v.as_str().to_string()),
        root_volume_gib: root.and_then(|e| e.volume_size()).map(i64::from),
        launch_tags,
        instance_profile_arn: data
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
    }
}

/// EC2 spells "no such template" in more than one way.
fn is_missing_template(error: &StackError) -> bool {
    error.aws_code().is_some_and(|code| {
        code.starts_with("InvalidLaunchTemplateName.NotFound")
            || code.starts_with("InvalidLaunchTemplateId.NotFound")
            || code.starts_with("InvalidLaunchTemplateId.Malformed")
    })
}

/// The template named `name`, or `None` (by the `launch-template-name` filter, which leaves
/// out a missing template, so a refresh's look-up can be shared with other reads').
pub async fn find_by_name(clients: &Clients, name: &str) -> Result<Option<LaunchTemplate>> {
    let all = keyed(clients, "launch-template-name", &[name.to_string()], named).await?;
    Ok(all.iter().find(|template| template.name == name).cloned())
}

async fn named(clients: Clients, names: Vec<String>) -> Result<Vec<LaunchTemplate>> {
    let what = names.join(", ");
    let by = Filter::builder()
        .name("launch-template-name")
        .set_values(Some(names))
        .build();
    let found = clients
        .ec2
        .describe_launch_templates()
        .filters(by)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(found.iter().map(template_from).collect())
}

/// The template `id`, or `None`.
pub async fn describe(clients: &Clients, id: &str) -> Result<Option<LaunchTemplate>> {
    let call = clients
        .ec2
        .describe_launch_templates()
        .launch_template_ids(id);
    first_template(call, id).await
}

/// The one template a describe by name or id answers; `None` when EC2 says it is missing.
async fn first_template(
    call: DescribeLaunchTemplatesFluentBuilder,
    what: &str,
) -> Result<Option<LaunchTemplate>> {
    match call.send().for_object(what).await {
        Ok(output) => Ok(output.launch_templates().first().map(template_from)),
        Err(error) if is_missing_template(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Every template tagged `tag_key = tag_value` (the tagging API does not see templates).
pub async fn list_tagged(
    clients: &Clients,
    tag_key: &str,
    tag_value: &str,
) -> Result<Vec<LaunchTemplate>> {
    let found = clients
        .ec2
        .describe_launch_templates()
        .filters(
            Filter::builder()
                .name(format!("tag:{tag_key}"))
                .values(tag_value)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(format!("templates tagged {tag_key}={tag_value}"))
        .await?;
    Ok(found
        .iter()
        .map(template_from)
        .filter(|t| t.tags.get(tag_key).map(String::as_str) == Some(tag_value))
        .collect())
}

/// Create the template with `data` as version 1. `client_token` makes a retry harmless.
pub async fn create(
    clients: &Clients,
    name: &str,
    data: &TemplateData,
    tags: &BTreeMap<String, String>,
    client_token: &str,
) -> Result<LaunchTemplate> {
    let output = clients
        .ec2
        .create_launch_template()
        .launch_template_name(name)
        .version_description("created by terraform-provider-wordpress")
        .launch_template_data(request_data(data)?)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .set_tags(Some(sdk_tags(tags)?))
                .build(),
        )
        .client_token(client_token)
        .send()
        .for_object(name)
        .await?;
    output.launch_template().map(template_from).ok_or_else(|| {
        StackError::Internal(format!("CreateLaunchTemplate {name} returned no template"))
    })
}

/// Add a version saying `data`, make it the default, and return its number.
pub async fn create_version(
    clients: &Clients,
    template_id: &str,
    data: &TemplateData,
) -> Result<i64> {
    let output = clients
        .ec2
        .create_launch_template_version()
        .launch_template_id(template_id)
        .version_description("updated by terraform-provider-wordpress")
        .launch_template_data(request_data(data)?)
        .send()
        .for_object(template_id)
        .await?;
    let number = output
        .launch_template_version()
        .and_then(|v| v.version_number())
        .ok_or_else(|| {
            StackError::Internal(format!(
                "CreateLaunchTemplateVersion {template_id} returned no version"
            ))
        })?;
    set_default_version(clients, template_id, number).await?;
    Ok(number)
}

pub async fn set_default_version(clients: &Clients, template_id: &str, version: i64) -> Result<()> {
    clients
        .ec2
        .modify_launch_template()
        .launch_template_id(template_id)
        .default_version(version.to_string())
        .send()
        .for_object(template_id)
        .await?;
    Ok(())
}

/// Version `version` of the template, or `None` when it does not exist.
pub async fn describe_version(
    clients: &Clients,
    template_id: &str,
    version: i64,
) -> Result<Option<TemplateVersion>> {
    let result = clients
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .versions(version.to_string())
        .send()
        .for_object(format!("{template_id} v{version}"))
        .await;
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            return if is_missing_template(&error)
                || error.aws_code() == Some("InvalidLaunchTemplateId.VersionNotFound")
            {
                Ok(None)
            } else {
                Err(error)
            };
        }
    };
    Ok(output
        .launch_template_versions()
        .iter()
        .find(|v| v.version_number() == Some(version))
        .map(|v| TemplateVersion {
            number: version,
            data: v
                .launch_template_data()
                .map(data_from)
                .unwrap_or_else(empty_data),
        }))
}

fn empty_data() -> TemplateData {
    TemplateData {
        image_id: String::new(),
        instance_type: String::new(),
        security_group_ids: Vec::new(),
        key_name: None,
        user_data_base64: String::new(),
        metadata_tokens_required: false,
        metadata_hop_limit: None,
        public_ip: None,
        root_device_name: String::new(),
        root_volume_encrypted: false,
        root_volume_type: None,
        root_volume_gib: None,
        launch_tags: BTreeMap::new(),
        instance_profile_arn: None,
    }
}

/// The template's own tags, through DescribeTags: an emulating endpoint's DescribeLaunchTemplates may keep
/// reporting the tags the template was created with.
pub async fn tags_of(clients: &Clients, template_id: &str) -> Result<BTreeMap<String, String>> {
    let mut found = ec2::tags_by_resource(clients, &[template_id.to_string()]).await?;
    Ok(found.remove(template_id).unwrap_or_default())
}

/// Make the template's own tags (not its instances'): add or overwrite `set`, remove `remove`.
pub async fn retag(
    clients: &Clients,
    template_id: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    ec2::retag(clients, template_id, set, remove).await
}

/// Delete the template and all its versions. Already gone is success.
pub async fn delete(clients: &Clients, template_id: &str) -> Result<()> {
    let result = clients
        .ec2
        .delete_launch_template()
        .launch_template_id(template_id)
        .send()
        .for_object(template_id)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            if is_missing_template(&error) {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}
