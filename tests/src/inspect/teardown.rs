//! A stack deleted out of band, as an operator would in the console: the VPC and everything
//! that lives in it (the Auto Scaling group with its launch template and instances, the
//! bastion, the load balancer and target group, the DB instance and its subnet group, the file
//! system's mount targets, the NAT gateways, route tables, internet gateway, security groups
//! and subnets). What lives outside the VPC stays, as it would: the secret, the IAM role and
//! profile, the DNS record, the file system itself and the NAT gateways' elastic IPs.
//!
//! The launch template goes with its group: a template left behind gets a second version when
//! the stack is created again, and moto cannot launch a new group from a version made by
//! CreateLaunchTemplateVersion (it keeps that version's user data unparsed and fails an
//! assertion), which AWS does.

use aws_sdk_ec2::types::IpPermission;

use super::{inspect_error, AwsInspector, InspectError, TaggedObject};

/// The kinds of the census [`AwsInspector::delete_vpc_out_of_band`] deletes, in the order
/// AWS accepts (what sits in a subnet or group before the subnet or group).
const IN_THE_VPC: &[&str] = &[
    "auto-scaling-group",
    "launch-template",
    "instance",
    "load-balancer",
    "target-group",
    "db-instance",
    "db-subnet-group",
    "file-system",
    "nat-gateway",
    "route-table",
    "internet-gateway",
    "security-group",
    "subnet",
    "vpc",
];

impl AwsInspector {
    /// Delete `stack`'s VPC and everything in it behind Terraform's back; returns what was
    /// deleted (a file system stands for its mount targets: the file system itself stays).
    pub async fn delete_vpc_out_of_band(
        &self,
        stack: &str,
    ) -> Result<Vec<TaggedObject>, InspectError> {
        let census = self.tagged_objects(stack).await?;
        let mut deleted = Vec::new();
        for kind in IN_THE_VPC {
            let objects: Vec<&TaggedObject> = census.iter().filter(|o| o.kind == *kind).collect();
            if *kind == "security-group" {
                // The stack's groups name each other: no group can go while another names it.
                for group in &objects {
                    self.revoke_rules(&group.id).await?;
                }
            }
            for object in objects {
                self.delete_in_vpc(object).await?;
                deleted.push(object.clone());
            }
        }
        Ok(deleted)
    }

    async fn delete_in_vpc(&self, object: &TaggedObject) -> Result<(), InspectError> {
        let id = object.id.as_str();
        match object.kind {
            "auto-scaling-group" => {
                self.autoscaling
                    .delete_auto_scaling_group()
                    .auto_scaling_group_name(id)
                    .force_delete(true)
                    .send()
                    .await
                    .map_err(inspect_error("autoscaling", "DeleteAutoScalingGroup"))?;
            }
            "launch-template" => {
                self.ec2
                    .delete_launch_template()
                    .launch_template_id(id)
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "DeleteLaunchTemplate"))?;
            }
            "instance" => {
                self.ec2
                    .terminate_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "TerminateInstances"))?;
            }
            "load-balancer" => {
                self.elbv2
                    .delete_load_balancer()
                    .load_balancer_arn(id)
                    .send()
                    .await
                    .map_err(inspect_error("elbv2", "DeleteLoadBalancer"))?;
            }
            "target-group" => {
                self.elbv2
                    .delete_target_group()
                    .target_group_arn(id)
                    .send()
                    .await
                    .map_err(inspect_error("elbv2", "DeleteTargetGroup"))?;
            }
            "db-instance" => {
                self.rds
                    .delete_db_instance()
                    .db_instance_identifier(id)
                    .skip_final_snapshot(true)
                    .send()
                    .await
                    .map_err(inspect_error("rds", "DeleteDBInstance"))?;
            }
            "db-subnet-group" => {
                self.rds
                    .delete_db_subnet_group()
                    .db_subnet_group_name(id)
                    .send()
                    .await
                    .map_err(inspect_error("rds", "DeleteDBSubnetGroup"))?;
            }
            "file-system" => {
                for target in self.mount_targets(id).await? {
                    self.efs
                        .delete_mount_target()
                        .mount_target_id(target.mount_target_id())
                        .send()
                        .await
                        .map_err(inspect_error("efs", "DeleteMountTarget"))?;
                }
            }
            "nat-gateway" => {
                self.ec2
                    .delete_nat_gateway()
                    .nat_gateway_id(id)
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "DeleteNatGateway"))?;
            }
            "route-table" => self.delete_route_table(id).await?,
            "internet-gateway" => self.delete_internet_gateway(id).await?,
            "security-group" => {
                self.ec2
                    .delete_security_group()
                    .group_id(id)
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "DeleteSecurityGroup"))?;
            }
            "subnet" => {
                self.ec2
                    .delete_subnet()
                    .subnet_id(id)
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "DeleteSubnet"))?;
            }
            "vpc" => {
                self.ec2
                    .delete_vpc()
                    .vpc_id(id)
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "DeleteVpc"))?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn delete_route_table(&self, id: &str) -> Result<(), InspectError> {
        let out = self
            .ec2
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeRouteTables"))?;
        let associations = out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| !a.main().unwrap_or(false))
            .filter_map(|a| a.route_table_association_id());
        for association in associations {
            self.ec2
                .disassociate_route_table()
                .association_id(association)
                .send()
                .await
                .map_err(inspect_error("ec2", "DisassociateRouteTable"))?;
        }
        self.ec2
            .delete_route_table()
            .route_table_id(id)
            .send()
            .await
            .map_err(inspect_error("ec2", "DeleteRouteTable"))?;
        Ok(())
    }

    async fn delete_internet_gateway(&self, id: &str) -> Result<(), InspectError> {
        let out = self
            .ec2
            .describe_internet_gateways()
            .internet_gateway_ids(id)
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeInternetGateways"))?;
        let vpcs = out
            .internet_gateways()
            .iter()
            .flat_map(|g| g.attachments())
            .filter_map(|a| a.vpc_id());
        for vpc in vpcs {
            self.ec2
                .detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .map_err(inspect_error("ec2", "DetachInternetGateway"))?;
        }
        self.ec2
            .delete_internet_gateway()
            .internet_gateway_id(id)
            .send()
            .await
            .map_err(inspect_error("ec2", "DeleteInternetGateway"))?;
        Ok(())
    }

    /// Every ingress and egress rule of the group.
    async fn revoke_rules(&self, id: &str) -> Result<(), InspectError> {
        let out = self
            .ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeSecurityGroups"))?;
        for group in out.security_groups() {
            let ingress: Vec<IpPermission> = group.ip_permissions().to_vec();
            if !ingress.is_empty() {
                self.ec2
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(ingress))
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "RevokeSecurityGroupIngress"))?;
            }
            let egress: Vec<IpPermission> = group.ip_permissions_egress().to_vec();
            if !egress.is_empty() {
                self.ec2
                    .revoke_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(egress))
                    .send()
                    .await
                    .map_err(inspect_error("ec2", "RevokeSecurityGroupEgress"))?;
            }
        }
        Ok(())
    }
}
