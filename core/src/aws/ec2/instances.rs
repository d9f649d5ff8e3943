//! Instances: the bastion's launch and the look-ups of the stack's instances.

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, HttpTokensState, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceNetworkInterfaceSpecification, InstanceStateName,
    InstanceType, ResourceType, VolumeType,
};

use super::images::Image;
use super::scoped::{scoped, InScope};
use super::{filter, ignore_not_found, opt, tag_spec, Scope, Tags, NO_ID};
use crate::aws::tags::tag_map;
use crate::aws::{ec2_send_once, Clients, SendFor};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub vpc_id: String,
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
    clients: &Clients,
    stack: &str,
    name: Option<&str>,
) -> Result<Vec<Instance>> {
    instances(clients, Scope::Stack(stack), name).await
}

/// Instances of the scope, optionally only those with the given `Name`, in every state.
pub async fn instances(
    clients: &Clients,
    scope: Scope<'_>,
    name: Option<&str>,
) -> Result<Vec<Instance>> {
    let Some(name) = name else {
        return scoped(clients, scope, "vpc-id", "instances", instances_by).await;
    };
    let call = clients
        .ec2
        .describe_instances()
        .filters(scope.filter("vpc-id"))
        .filters(filter("tag:Name", &[name]));
    describe_instances(call, &scope.describe()).await
}

async fn instances_by(clients: Clients, by: Filter, what: String) -> Result<Vec<Instance>> {
    describe_instances(clients.ec2.describe_instances().filters(by), &what).await
}

pub async fn instance(clients: &Clients, instance_id: &str) -> Result<Option<Instance>> {
    let call = clients
        .ec2
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
    let reservations = call
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(what)
        .await?;
    Ok(reservations
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| Instance {
            id: opt(i.instance_id()),
            vpc_id: opt(i.vpc_id()),
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

/// The instance's groups, from the instance and from its interfaces (an emulating endpoint may report the
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
pub async fn run_instance(clients: &Clients, request: &InstanceRequest<'_>) -> Result<String> {
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
    let (out, call) = clients
        .ec2
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
        .tag_specifications(tag_spec(ResourceType::Instance, request.tags)?)
        .tag_specifications(tag_spec(ResourceType::Volume, request.tags)?)
        // Not every endpoint honours the token (emulators may not): a lost answer is resolved by
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

pub async fn terminate_instance(clients: &Clients, instance_id: &str) -> Result<()> {
    ignore_not_found(
        clients
            .ec2
            .terminate_instances()
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

impl InScope for Instance {
    fn vpc_ids(&self) -> Vec<&str> {
        vec![&self.vpc_id]
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
}
