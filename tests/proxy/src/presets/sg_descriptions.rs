//! UpdateSecurityGroupRuleDescriptions{Ingress,Egress} as AWS runs it for group-to-group
//! rules. moto matches the rule to describe anew on the whole group pair, description
//! included, so a pair whose description changes is never found and the call silently does
//! nothing. The proxy asks moto for the group, then replaces each such rule by revoking it as
//! it stands (old description) and authorizing it with the new one, and forwards the original
//! call for the CIDR rules, which moto describes anew itself.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::identify::AwsRequest;
use crate::xml;

const EC2_VERSION: &str = "Version=2016-11-15";

/// One group-to-group rule the caller describes anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRule {
    pub protocol: String,
    pub from_port: Option<String>,
    pub to_port: Option<String>,
    pub group_id: String,
    pub description: String,
}

/// The group-to-group part of one UpdateSecurityGroupRuleDescriptions* call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairUpdate {
    pub group_id: String,
    pub egress: bool,
    pub rules: Vec<PairRule>,
}

impl PairUpdate {
    /// The group-pair rules of an UpdateSecurityGroupRuleDescriptions* call; `None` for any
    /// other call or one without group pairs.
    pub fn of(request: &AwsRequest) -> Option<PairUpdate> {
        if request.call.service != "ec2" {
            return None;
        }
        let egress = match request.call.operation.as_str() {
            "UpdateSecurityGroupRuleDescriptionsIngress" => false,
            "UpdateSecurityGroupRuleDescriptionsEgress" => true,
            _ => return None,
        };
        let param = |key: &str| {
            request
                .params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let group_id = param("GroupId")?;
        let mut rules = Vec::new();
        for n in 1.. {
            let prefix = format!("IpPermissions.{n}.");
            if !request.params.iter().any(|(k, _)| k.starts_with(&prefix)) {
                break;
            }
            let protocol = param(&format!("{prefix}IpProtocol")).unwrap_or_else(|| "-1".into());
            for m in 1.. {
                let pair = format!("{prefix}Groups.{m}.");
                let Some(id) = param(&format!("{pair}GroupId")) else {
                    break;
                };
                rules.push(PairRule {
                    protocol: protocol.clone(),
                    from_port: param(&format!("{prefix}FromPort")),
                    to_port: param(&format!("{prefix}ToPort")),
                    group_id: id,
                    description: param(&format!("{pair}Description")).unwrap_or_default(),
                });
            }
        }
        (!rules.is_empty()).then_some(PairUpdate {
            group_id,
            egress,
            rules,
        })
    }

    /// The query asking moto for the group as it stands.
    pub fn describe_query(&self) -> String {
        format!(
            "Action=DescribeSecurityGroups&{EC2_VERSION}&GroupId.1={}",
            encode(&self.group_id)
        )
    }

    /// The revoke (each rule as it stands) and the authorize (each with its new description)
    /// that replace the rules found in moto's `described` group; `None` when none is found.
    pub fn replay_queries(&self, described: &str) -> Option<[String; 2]> {
        let current = pair_descriptions(described, self.egress);
        let found: Vec<(&PairRule, &Option<String>)> = self
            .rules
            .iter()
            .filter_map(|r| current.get(&key(r)).map(|old| (r, old)))
            .collect();
        if found.is_empty() {
            return None;
        }
        let side = if self.egress { "Egress" } else { "Ingress" };
        let query = |action: &str, old: bool| {
            let mut body = format!(
                "Action={action}SecurityGroup{side}&{EC2_VERSION}&GroupId={}",
                encode(&self.group_id)
            );
            for (n, (rule, was)) in found.iter().enumerate() {
                let p = format!("IpPermissions.{}.", n + 1);
                body.push_str(&format!("&{p}IpProtocol={}", encode(&rule.protocol)));
                if let (Some(from), Some(to)) = (&rule.from_port, &rule.to_port) {
                    body.push_str(&format!("&{p}FromPort={from}&{p}ToPort={to}"));
                }
                body.push_str(&format!("&{p}Groups.1.GroupId={}", encode(&rule.group_id)));
                let description = if old {
                    was.as_deref().unwrap_or_default().to_string()
                } else {
                    rule.description.clone()
                };
                if !description.is_empty() {
                    body.push_str(&format!(
                        "&{p}Groups.1.Description={}",
                        encode(&description)
                    ));
                }
            }
            body
        };
        Some([query("Revoke", true), query("Authorize", false)])
    }
}

type Key = (String, Option<String>, Option<String>, String);

fn key(rule: &PairRule) -> Key {
    let ports = |p: &Option<String>| p.clone().filter(|_| rule.protocol != "-1");
    (
        rule.protocol.clone(),
        ports(&rule.from_port),
        ports(&rule.to_port),
        rule.group_id.clone(),
    )
}

/// Each group-pair rule of one side of the described group, with its description.
fn pair_descriptions(described: &str, egress: bool) -> BTreeMap<Key, Option<String>> {
    let whole = 0..described.len();
    let side = if egress {
        "ipPermissionsEgress"
    } else {
        "ipPermissions"
    };
    let mut found = BTreeMap::new();
    let Some(group) = xml::child_content(described, whole, "securityGroupInfo") else {
        return found;
    };
    let Some(permissions) = xml::child_content(described, group, side) else {
        return found;
    };
    for permission in xml::child_contents(described, permissions, "item") {
        let value = |range: &Range<usize>, tag: &str| {
            xml::child_content(described, range.clone(), tag)
                .map(|r| described[r].trim().to_string())
        };
        let protocol = value(&permission, "ipProtocol").unwrap_or_else(|| "-1".into());
        let ports = |tag| value(&permission, tag).filter(|_| protocol != "-1");
        let (from, to) = (ports("fromPort"), ports("toPort"));
        let Some(groups) = xml::child_content(described, permission.clone(), "groups") else {
            continue;
        };
        for pair in xml::child_contents(described, groups, "item") {
            if let Some(id) = value(&pair, "groupId") {
                let k = (protocol.clone(), from.clone(), to.clone(), id);
                found.insert(k, value(&pair, "description"));
            }
        }
    }
    found
}

/// Percent-encoding of a query value (unreserved characters kept).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    fn request(operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: "ec2".into(),
                operation: operation.into(),
            },
            protocol: Protocol::Ec2Query,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    const DESCRIBED: &str = r#"<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-app</groupId>
<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>80</fromPort><toPort>80</toPort>
<groups><item><userId>123</userId><groupId>sg-alb</groupId><description>old text</description></item></groups>
<ipRanges/></item><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>
<groups><item><userId>123</userId><groupId>sg-bastion</groupId></item></groups></item></ipPermissions>
<ipPermissionsEgress><item><ipProtocol>tcp</ipProtocol><fromPort>3306</fromPort><toPort>3306</toPort>
<groups><item><groupId>sg-db</groupId></item></groups></item></ipPermissionsEgress></item></securityGroupInfo></DescribeSecurityGroupsResponse>"#;

    #[test]
    fn group_pairs_are_replaced_from_their_old_descriptions_to_the_new() {
        let update = PairUpdate::of(&request(
            "UpdateSecurityGroupRuleDescriptionsIngress",
            &[
                ("GroupId", "sg-app"),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.FromPort", "80"),
                ("IpPermissions.1.ToPort", "80"),
                ("IpPermissions.1.Groups.1.GroupId", "sg-alb"),
                ("IpPermissions.1.Groups.1.Description", "HTTP from the ALB"),
                ("IpPermissions.2.IpProtocol", "tcp"),
                ("IpPermissions.2.FromPort", "22"),
                ("IpPermissions.2.ToPort", "22"),
                ("IpPermissions.2.Groups.1.GroupId", "sg-bastion"),
                ("IpPermissions.2.Groups.1.Description", "SSH"),
                ("IpPermissions.3.IpProtocol", "tcp"),
                ("IpPermissions.3.FromPort", "443"),
                ("IpPermissions.3.ToPort", "443"),
                ("IpPermissions.3.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        ))
        .expect("two group pairs");
        assert_eq!(update.rules.len(), 2);
        let [revoke, authorize] = update.replay_queries(DESCRIBED).expect("both found");
        assert!(
            revoke.starts_with("Action=RevokeSecurityGroupIngress&"),
            "{revoke}"
        );
        assert!(revoke.contains("IpPermissions.1.Groups.1.Description=old%20text"));
        assert!(!revoke.contains("IpPermissions.2.Groups.1.Description"));
        assert!(authorize.contains("IpPermissions.1.Groups.1.Description=HTTP%20from%20the%20ALB"));
        assert!(authorize.contains("IpPermissions.2.Groups.1.GroupId=sg-bastion"));
    }

    #[test]
    fn calls_without_group_pairs_are_left_to_moto() {
        let cidr_only = request(
            "UpdateSecurityGroupRuleDescriptionsEgress",
            &[
                ("GroupId", "sg-app"),
                ("IpPermissions.1.IpProtocol", "tcp"),
                ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
            ],
        );
        assert_eq!(PairUpdate::of(&cidr_only), None);
        assert_eq!(PairUpdate::of(&request("DescribeVpcs", &[])), None);
    }

    #[test]
    fn egress_pairs_are_read_from_the_egress_side() {
        let update = PairUpdate {
            group_id: "sg-app".into(),
            egress: true,
            rules: vec![PairRule {
                protocol: "tcp".into(),
                from_port: Some("3306".into()),
                to_port: Some("3306".into()),
                group_id: "sg-db".into(),
                description: "MySQL".into(),
            }],
        };
        let [revoke, _] = update.replay_queries(DESCRIBED).expect("found");
        assert!(revoke.starts_with("Action=RevokeSecurityGroupEgress&"));
    }
}
