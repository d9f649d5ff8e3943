//! Security-group rule descriptions (checkov CKV_AWS_23), through the real Terraform CLI and
//! the fault proxy (preset `sg_rule_descriptions`: moto never finds a group-to-group rule
//! whose description changes): a stack whose rules lost their descriptions out of band, as
//! one made by an older provider has them, plans an in-place update of the groups, the apply
//! puts every description back with UpdateSecurityGroupRuleDescriptions* (never a revoke or an
//! authorize: AWS keeps rules differing only by description as one), and the plan after is
//! empty.

mod common;

use aws_fault_proxy::config::SgRuleDescriptionsConfig;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, SecurityGroup, UserIdGroupPair,
};
use common::{assert_nothing_tagged, state_str};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const ADDRESS: &str = "wordpress_ha_stack.site";
const STACK: &str = "sgdesc";

fn stack_hcl() -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{STACK}"
  network {{
    nat_gateways = "single"
  }}
  bastion {{
    allowed_ssh_cidrs = ["198.51.100.0/24", "2001:db8::/32"]
  }}
  database {{
    skip_final_snapshot = true
  }}
}}
"#
    )
}

/// The stack's five groups, as moto holds them.
async fn stack_groups(aws: &AwsInspector, state: &serde_json::Value) -> Vec<SecurityGroup> {
    let ids: Vec<String> = state["security_group_ids"]
        .as_object()
        .expect("security_group_ids is a map")
        .values()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 5, "five groups: {ids:?}");
    aws.ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("vpc-id")
                .values(state_str(state, "/vpc_id"))
                .build(),
        )
        .send()
        .await
        .expect("describe security groups")
        .security_groups()
        .iter()
        .filter(|g| g.group_id().is_some_and(|id| ids.iter().any(|i| i == id)))
        .cloned()
        .collect()
}

/// Every description of every peer of the groups' rules, ingress and egress.
fn descriptions(groups: &[SecurityGroup]) -> Vec<Option<String>> {
    groups
        .iter()
        .flat_map(|g| g.ip_permissions().iter().chain(g.ip_permissions_egress()))
        .flat_map(|p| {
            let v4 = p.ip_ranges().iter().map(|r| r.description());
            let v6 = p.ipv6_ranges().iter().map(|r| r.description());
            let pairs = p.user_id_group_pairs().iter().map(|g| g.description());
            v4.chain(v6)
                .chain(pairs)
                .map(|d| d.map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The same permission with no description on any peer.
fn stripped(p: &IpPermission) -> IpPermission {
    let mut out = IpPermission::builder()
        .set_ip_protocol(p.ip_protocol().map(str::to_string))
        .set_from_port(p.from_port())
        .set_to_port(p.to_port());
    for r in p.ip_ranges() {
        out = out.ip_ranges(
            IpRange::builder()
                .set_cidr_ip(r.cidr_ip().map(str::to_string))
                .build(),
        );
    }
    for r in p.ipv6_ranges() {
        out = out.ipv6_ranges(
            Ipv6Range::builder()
                .set_cidr_ipv6(r.cidr_ipv6().map(str::to_string))
                .build(),
        );
    }
    for g in p.user_id_group_pairs() {
        out = out.user_id_group_pairs(
            UserIdGroupPair::builder()
                .set_group_id(g.group_id().map(str::to_string))
                .build(),
        );
    }
    out.build()
}

/// Remove every rule's description behind Terraform's back, straight on moto: each rule is
/// revoked as it stands and authorized again without its text.
async fn strip_descriptions(aws: &AwsInspector, groups: &[SecurityGroup]) {
    for group in groups {
        let id = group.group_id().expect("group id");
        if !group.ip_permissions().is_empty() {
            aws.ec2
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(group.ip_permissions().to_vec()))
                .send()
                .await
                .expect("revoke ingress as it stands");
            aws.ec2
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(group.ip_permissions().iter().map(stripped).collect()))
                .send()
                .await
                .expect("authorize ingress without descriptions");
        }
        if !group.ip_permissions_egress().is_empty() {
            aws.ec2
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(group.ip_permissions_egress().to_vec()))
                .send()
                .await
                .expect("revoke egress as it stands");
            aws.ec2
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(
                    group.ip_permissions_egress().iter().map(stripped).collect(),
                ))
                .send()
                .await
                .expect("authorize egress without descriptions");
        }
    }
}

#[tokio::test]
async fn descriptions_removed_out_of_band_are_put_back_in_place() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let faults = FaultConfig {
        sg_rule_descriptions: Some(SgRuleDescriptionsConfig {}),
        ..FaultConfig::default()
    };
    let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
    let tf =
        TerraformDir::with_endpoint("sg-descriptions", &moto, &proxy.endpoint()).expect("work dir");
    tf.write_stack(&stack_hcl()).expect("write main.tf");
    tf.apply().assert_success();
    tf.plan().assert_code(0);
    let state = tf.resource_values(ADDRESS);
    let groups = stack_groups(&aws, &state).await;
    let before = descriptions(&groups);
    assert!(
        before.len() >= 14
            && before
                .iter()
                .all(|d| d.as_ref().is_some_and(|d| !d.is_empty())),
        "every rule of a new stack is described: {before:?}"
    );

    strip_descriptions(&aws, &groups).await;
    let bare = descriptions(&stack_groups(&aws, &state).await);
    assert_eq!(bare.len(), before.len(), "the same rules, bare");
    assert!(bare.iter().all(Option::is_none), "{bare:?}");

    let plan = tf.plan().assert_code(2);
    let shown = plan.combined();
    assert!(shown.contains("rule descriptions"), "{shown}");
    assert!(shown.contains("update in-place"), "{shown}");
    assert!(!shown.contains("must be replaced"), "{shown}");

    let stats_before = proxy.stats();
    tf.apply().assert_success();
    let stats = proxy.stats();
    let calls = |op: &str| stats.calls_to("ec2", op) - stats_before.calls_to("ec2", op);
    assert!(calls("UpdateSecurityGroupRuleDescriptionsIngress") >= 1);
    assert!(calls("UpdateSecurityGroupRuleDescriptionsEgress") >= 1);
    for op in [
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
    ] {
        assert_eq!(calls(op), 0, "{op}: descriptions change in place");
    }
    let after = descriptions(&stack_groups(&aws, &state).await);
    let mut sorted_before = before.clone();
    let mut sorted_after = after.clone();
    sorted_before.sort();
    sorted_after.sort();
    assert_eq!(sorted_after, sorted_before, "every description is back");
    tf.plan().assert_code(0);

    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, STACK).await;
}
