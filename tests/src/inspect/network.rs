//! The stack's EC2 objects, found by the stack tag: what the network, security, bastion and
//! app tiers create.

use aws_sdk_ec2::types::{
    Address, Instance, InstanceStateName, InternetGateway, LaunchTemplate, NatGateway,
    NatGatewayState, RouteTable, SecurityGroup, Subnet, Vpc,
};

use super::{inspect_error, stack_filter, AwsInspector, InspectError};

impl AwsInspector {
    pub async fn vpcs(&self, stack: &str) -> Result<Vec<Vpc>, InspectError> {
        let out = self
            .ec2
            .describe_vpcs()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeVpcs"))?;
        Ok(out.vpcs().to_vec())
    }

    pub async fn subnets(&self, stack: &str) -> Result<Vec<Subnet>, InspectError> {
        let out = self
            .ec2
            .describe_subnets()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeSubnets"))?;
        Ok(out.subnets().to_vec())
    }

    pub async fn internet_gateways(
        &self,
        stack: &str,
    ) -> Result<Vec<InternetGateway>, InspectError> {
        let out = self
            .ec2
            .describe_internet_gateways()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeInternetGateways"))?;
        Ok(out.internet_gateways().to_vec())
    }

    /// NAT gateways of the stack that are not deleted (or being deleted).
    pub async fn nat_gateways(&self, stack: &str) -> Result<Vec<NatGateway>, InspectError> {
        let out = self
            .ec2
            .describe_nat_gateways()
            .filter(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeNatGateways"))?;
        Ok(out
            .nat_gateways()
            .iter()
            .filter(|nat| {
                !matches!(
                    nat.state(),
                    Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
                )
            })
            .cloned()
            .collect())
    }

    pub async fn route_tables(&self, stack: &str) -> Result<Vec<RouteTable>, InspectError> {
        let out = self
            .ec2
            .describe_route_tables()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeRouteTables"))?;
        Ok(out.route_tables().to_vec())
    }

    pub async fn security_groups(&self, stack: &str) -> Result<Vec<SecurityGroup>, InspectError> {
        let out = self
            .ec2
            .describe_security_groups()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeSecurityGroups"))?;
        Ok(out.security_groups().to_vec())
    }

    /// Instances tagged for the stack that are not terminated or shutting down.
    pub async fn live_instances(&self, stack: &str) -> Result<Vec<Instance>, InspectError> {
        let out = self
            .ec2
            .describe_instances()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeInstances"))?;
        Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| {
                !matches!(
                    i.state().and_then(|s| s.name()),
                    Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                )
            })
            .cloned()
            .collect())
    }

    /// Elastic IPs tagged for the stack.
    pub async fn addresses(&self, stack: &str) -> Result<Vec<Address>, InspectError> {
        let out = self
            .ec2
            .describe_addresses()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeAddresses"))?;
        Ok(out.addresses().to_vec())
    }

    pub async fn launch_templates(&self, stack: &str) -> Result<Vec<LaunchTemplate>, InspectError> {
        let out = self
            .ec2
            .describe_launch_templates()
            .filters(stack_filter(stack))
            .send()
            .await
            .map_err(inspect_error("ec2", "DescribeLaunchTemplates"))?;
        Ok(out.launch_templates().to_vec())
    }
}
