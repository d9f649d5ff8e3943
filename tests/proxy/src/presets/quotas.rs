//! Account limits: a create past the configured count of what moto already holds (in the
//! caller's region) is refused with EC2's LimitExceeded code for that kind.

use crate::aws_errors::AwsError;
use crate::config::QuotasConfig;
use crate::identify::AwsRequest;
use crate::xml;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    ElasticIps,
    Vpcs,
    InternetGateways,
    NatGatewaysPerAz,
}

/// A create that may hit a limit: what to count in moto before letting it through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaCheck {
    pub quota: Quota,
    pub limit: u32,
    /// CreateNatGateway's subnet, whose zone the limit applies to.
    subnet: Option<String>,
}

const EC2_VERSION: &str = "Version=2016-11-15";

impl QuotaCheck {
    pub fn of(request: &AwsRequest, config: &QuotasConfig) -> Option<QuotaCheck> {
        if request.call.service != "ec2" {
            return None;
        }
        let (quota, limit) = match request.call.operation.as_str() {
            "AllocateAddress" => (Quota::ElasticIps, config.max_eips?),
            "CreateVpc" => (Quota::Vpcs, config.max_vpcs?),
            "CreateInternetGateway" => (Quota::InternetGateways, config.max_internet_gateways?),
            "CreateNatGateway" => (Quota::NatGatewaysPerAz, config.max_nat_gateways_per_az?),
            _ => return None,
        };
        Some(QuotaCheck {
            quota,
            limit,
            subnet: request.param("SubnetId").map(str::to_string),
        })
    }

    /// The EC2 query bodies whose answers [`QuotaCheck::refusal`] counts.
    pub fn queries(&self) -> Vec<String> {
        let action = |name: &str| format!("Action={name}&{EC2_VERSION}");
        match self.quota {
            Quota::ElasticIps => vec![action("DescribeAddresses")],
            Quota::Vpcs => vec![action("DescribeVpcs")],
            Quota::InternetGateways => vec![action("DescribeInternetGateways")],
            Quota::NatGatewaysPerAz => {
                vec![action("DescribeSubnets"), action("DescribeNatGateways")]
            }
        }
    }

    /// The refusal, if what moto holds (`answers`, one per query) is at the limit already.
    pub fn refusal(&self, answers: &[String]) -> Option<AwsError> {
        let held = |index: usize, tag: &str| {
            answers
                .get(index)
                .map(|body| xml::element_values(body, tag).len())
                .unwrap_or(0)
        };
        let limit = self.limit as usize;
        let (count, code, message) = match self.quota {
            Quota::ElasticIps => (
                held(0, "publicIp"),
                "AddressLimitExceeded",
                "The maximum number of addresses has been reached.".to_string(),
            ),
            Quota::Vpcs => (
                held(0, "vpcId"),
                "VpcLimitExceeded",
                "The maximum number of VPCs has been reached.".to_string(),
            ),
            Quota::InternetGateways => (
                held(0, "internetGatewayId"),
                "InternetGatewayLimitExceeded",
                "The maximum number of internet gateways has been reached.".to_string(),
            ),
            Quota::NatGatewaysPerAz => (
                self.nat_gateways_in_zone(answers),
                "NatGatewayLimitExceeded",
                format!("Performing this operation would exceed the limit of {limit} NAT gateways"),
            ),
        };
        (count >= limit).then(|| AwsError {
            status: 400,
            code: code.into(),
            message,
        })
    }

    /// Live NAT gateways in the zone of the subnet the new one goes in.
    fn nat_gateways_in_zone(&self, answers: &[String]) -> usize {
        let (Some(subnets), Some(nats)) = (answers.first(), answers.get(1)) else {
            return 0;
        };
        let zone_of = |subnet: &str| -> Option<String> {
            let block = xml::blocks_where(subnets, "subnetId", &["item"], |id| id == subnet)
                .into_iter()
                .next()?;
            xml::element_values(&subnets[block], "availabilityZone")
                .into_iter()
                .next()
        };
        let Some(zone) = self.subnet.as_deref().and_then(zone_of) else {
            return 0;
        };
        xml::blocks_where(nats, "natGatewayId", &["item"], |_| true)
            .into_iter()
            .filter(|block| {
                let nat = &nats[block.clone()];
                let live = xml::element_values(nat, "state")
                    .first()
                    .is_some_and(|s| s == "pending" || s == "available");
                let subnet = xml::element_values(nat, "subnetId").into_iter().next();
                live && subnet.and_then(|s| zone_of(&s)).as_deref() == Some(zone.as_str())
            })
            .count()
    }
}

/// DescribeAccountAttributes reporting the configured Elastic IP limit.
pub fn rewrite_account_attributes(body: &str, config: &QuotasConfig) -> Option<String> {
    let limit = config.max_eips?.to_string();
    xml::rewrite_states(body, "attributeName", &["item"], "attributeValue", |name| {
        matches!(name, "vpc-max-elastic-ips" | "max-elastic-ips").then_some(limit.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nat_gateways_are_counted_per_zone_and_live_only() {
        let check = QuotaCheck {
            quota: Quota::NatGatewaysPerAz,
            limit: 1,
            subnet: Some("subnet-a2".into()),
        };
        let subnets = "<subnetSet><item><subnetId>subnet-a1</subnetId><availabilityZone>us-east-1a</availabilityZone></item><item><subnetId>subnet-a2</subnetId><availabilityZone>us-east-1a</availabilityZone></item><item><subnetId>subnet-b</subnetId><availabilityZone>us-east-1b</availabilityZone></item></subnetSet>".to_string();
        let nats = |state: &str, subnet: &str| {
            format!("<natGatewaySet><item><natGatewayId>nat-1</natGatewayId><state>{state}</state><subnetId>{subnet}</subnetId></item></natGatewaySet>")
        };
        let refused = check
            .refusal(&[subnets.clone(), nats("available", "subnet-a1")])
            .unwrap();
        assert_eq!(refused.code, "NatGatewayLimitExceeded");
        assert!(check
            .refusal(&[subnets.clone(), nats("deleted", "subnet-a1")])
            .is_none());
        assert!(check
            .refusal(&[subnets, nats("available", "subnet-b")])
            .is_none());
    }

    #[test]
    fn the_elastic_ip_limit_is_reported_as_configured() {
        let body = "<accountAttributeSet><item><attributeName>max-instances</attributeName><attributeValueSet><item><attributeValue>20</attributeValue></item></attributeValueSet></item><item><attributeName>vpc-max-elastic-ips</attributeName><attributeValueSet><item><attributeValue>5</attributeValue></item></attributeValueSet></item></accountAttributeSet>";
        let config = QuotasConfig {
            max_eips: Some(2),
            ..QuotasConfig::default()
        };
        let out = rewrite_account_attributes(body, &config).unwrap();
        assert!(out.contains("<attributeValue>20</attributeValue>"), "{out}");
        assert!(
            out.contains(
                "vpc-max-elastic-ips</attributeName><attributeValueSet><item><attributeValue>2<"
            ),
            "{out}"
        );
    }
}
