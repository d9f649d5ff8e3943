//! Who a stack is, as AWS sees it, through the real Terraform CLI with the fault proxy playing
//! AWS:
//! - IAM names are account-wide: two stacks of one name in two regions each get their own role,
//!   instance profile and policy (names and tags say the region), both apply, and destroying
//!   one leaves the other's IAM objects intact and its plan clean (`iam_propagation` on, since
//!   every profile here is fresh);
//! - a stack whose VPC was deleted out of band (and everything in it) reads as deleted: the plan
//!   says it will be created, not updated and not an error; the NAT gateways' elastic IPs are
//!   released; the apply creates it again and adopts what was left outside the VPC (secret, IAM
//!   role and profile, DNS record, file system) without a duplicate (every preset of
//!   `configs/aws-realistic.json` on).

mod common;
mod fault_support;

use std::collections::BTreeMap;

use aws_fault_proxy::config::IamPropagationConfig;
use fault_support::{
    assert_one_lean_stack, assert_state_matches_aws, state_resources, Inventory, ADDRESS,
    RECORD_NAME, ZONE_NAME,
};
use stack_tests::harness::terraform::{provider_hcl_in, TerraformDir};
use stack_tests::inspect::{AwsInspector, REGION_TAG, STACK_TAG};
use stack_tests::{workspace_root, FaultConfig, FaultProxy, Moto};

/// The provider's factor on every wait: the presets' 1 s real stands for about 1 AWS minute.
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.0167";
const TIMEOUTS: &str =
    "  timeouts {\n    create = \"3m\"\n    update = \"3m\"\n    delete = \"3m\"\n  }";
const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

/// One stack's Terraform dir in `region`, through `proxy`, with its own hosted zone.
struct Site {
    tf: TerraformDir,
    aws: AwsInspector,
    zone_id: String,
    region: &'static str,
}

impl Site {
    async fn start(
        test: &str,
        moto: &Moto,
        proxy: &FaultProxy,
        region: &'static str,
        stack: &str,
    ) -> Site {
        let aws = AwsInspector::for_moto_in(moto, region).await;
        let zone_id = aws
            .create_hosted_zone(ZONE_NAME)
            .await
            .expect("hosted zone");
        let mut tf = TerraformDir::with_endpoint(test, moto, &proxy.endpoint()).expect("work dir");
        tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
        tf.set_env("AWS_REGION", region);
        tf.set_env("AWS_DEFAULT_REGION", region);
        let stack_hcl = common::lean_stack_hcl(
            stack,
            "10.60.0.0/16",
            "single",
            RECORD_NAME,
            &zone_id,
            TIMEOUTS,
        )
        .replace("us-east-1a", &format!("{region}a"))
        .replace("us-east-1b", &format!("{region}b"));
        tf.write_main(&format!(
            "{}\n{stack_hcl}",
            provider_hcl_in(&proxy.endpoint(), region)
        ))
        .expect("write main.tf");
        Site {
            tf,
            aws,
            zone_id,
            region,
        }
    }

    fn resources(&self) -> BTreeMap<String, String> {
        state_resources(&self.tf.resource_values(ADDRESS))
    }

    async fn inventory(&self, stack: &str) -> Inventory {
        Inventory::take(&self.aws, stack, Some(&self.zone_id))
            .await
            .expect("inventory")
    }
}

fn tag_map(tags: &[aws_sdk_iam::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// The stack's role, its one policy and its profile, as IAM has them now (panics if any is
/// missing): the role's tags, the policy document, the profile's roles.
async fn iam_objects(
    site: &Site,
    resources: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, String, Vec<String>) {
    let role_name = &resources["app_role"];
    let role = site
        .aws
        .iam
        .get_role()
        .role_name(role_name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("role {role_name} of {}: {e:?}", site.region));
    let tags = tag_map(role.role().expect("a role").tags());
    let policy = site
        .aws
        .iam
        .get_role_policy()
        .role_name(role_name)
        .policy_name(&resources["app_role_policy"])
        .send()
        .await
        .unwrap_or_else(|e| panic!("policy of {role_name}: {e:?}"));
    let profile_name = resources["app_instance_profile"]
        .rsplit('/')
        .next()
        .expect("a profile ARN");
    let profile = site
        .aws
        .iam
        .get_instance_profile()
        .instance_profile_name(profile_name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("profile {profile_name}: {e:?}"));
    let roles = profile
        .instance_profile()
        .expect("a profile")
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    (tags, policy.policy_document().to_string(), roles)
}

#[tokio::test]
async fn two_stacks_of_one_name_in_two_regions_apply_and_destroy_apart() {
    const STACK: &str = "twin";
    let moto = Moto::start_async().await.expect("moto starts");
    let faults = FaultConfig {
        iam_propagation: Some(IamPropagationConfig {
            window_ms: 1_000,
            jitter_ms: 500,
        }),
        ..FaultConfig::default()
    };
    let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
    let east = Site::start("identity_twin_east", &moto, &proxy, EAST, STACK).await;
    let west = Site::start("identity_twin_west", &moto, &proxy, WEST, STACK).await;

    east.tf.apply().assert_success();
    west.tf.apply().assert_success();
    let (east_ids, west_ids) = (east.resources(), west.resources());
    for key in ["app_role", "app_role_policy", "app_instance_profile"] {
        assert_ne!(
            east_ids[key], west_ids[key],
            "{key}: each region's stack has its own"
        );
    }
    for (site, ids) in [(&east, &east_ids), (&west, &west_ids)] {
        let (tags, policy, roles) = iam_objects(site, ids).await;
        assert_eq!(tags.get(STACK_TAG).map(String::as_str), Some(STACK));
        assert_eq!(tags.get(REGION_TAG).map(String::as_str), Some(site.region));
        // IAM returns documents URL-encoded: the ARN's colons are `%3A` there.
        let arn = &ids["app_secret"];
        assert!(
            policy.contains(arn.as_str()) || policy.contains(&arn.replace(':', "%3A")),
            "{}'s policy reads its own secret: {policy}",
            site.region
        );
        assert_eq!(
            roles,
            [ids["app_role"].clone()],
            "{}'s profile",
            site.region
        );
    }
    let east_iam = iam_objects(&east, &east_ids).await;
    // Both plan clean: neither apply touched the other's objects.
    east.tf.plan().assert_code(0);
    west.tf.plan().assert_code(0);

    west.tf.destroy().assert_success();
    let left = west.aws.tagged_objects(STACK).await.expect("census");
    AwsInspector::assert_none_left(&left, STACK);

    // East's role, policy and profile are untouched, and it still plans clean.
    assert_eq!(
        iam_objects(&east, &east_ids).await,
        east_iam,
        "the east stack's role tags, policy and profile"
    );
    east.tf.plan().assert_code(0);
    let inventory = east.inventory(STACK).await;
    assert_one_lean_stack(&inventory, "the east stack after the west one went");
    assert_state_matches_aws(&east.resources(), &inventory, "the east stack");

    east.tf.destroy().assert_success();
    for site in [&east, &west] {
        let left = site.aws.tagged_objects(STACK).await.expect("census");
        AwsInspector::assert_none_left(&left, STACK);
    }
}

#[tokio::test]
async fn a_stack_whose_vpc_was_deleted_out_of_band_is_created_again_adopting_what_is_left() {
    const STACK: &str = "gone";
    let moto = Moto::start_async().await.expect("moto starts");
    let realistic = workspace_root().join("tests/proxy/configs/aws-realistic.json");
    let faults = FaultConfig::from_file(&realistic).expect("aws-realistic.json");
    let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
    let site = Site::start("identity_gone", &moto, &proxy, EAST, STACK).await;

    site.tf.apply().assert_success();
    let before = site.resources();
    // Through the proxy, which plays AWS's end of a deleted balancer's web ACL association
    // only for the deletions it sees.
    let through_proxy = AwsInspector::connect(&proxy.endpoint()).await;
    let deleted = through_proxy
        .delete_vpc_out_of_band(STACK)
        .await
        .expect("delete the VPC out of band");
    assert!(
        deleted.iter().any(|o| o.kind == "vpc"),
        "the VPC went: {deleted:?}"
    );
    let stranded: Vec<&String> = before
        .iter()
        .filter(|(key, _)| key.starts_with("nat_eip:"))
        .map(|(_, id)| id)
        .collect();
    assert!(!stranded.is_empty(), "the lean stack has a NAT address");

    // The refresh finds the VPC gone: the stack was deleted outside of Terraform.
    let plan = site.tf.plan().assert_code(2);
    assert!(
        plan.stdout.contains(&format!("{ADDRESS} will be created"))
            && plan
                .stdout
                .contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "the plan creates the stack again\n{plan}"
    );
    let addresses = site.aws.addresses(STACK).await.expect("addresses");
    let still_allocated: Vec<&str> = addresses
        .iter()
        .filter_map(|a| a.allocation_id())
        .filter(|id| stranded.iter().any(|s| s.as_str() == *id))
        .collect();
    assert!(
        still_allocated.is_empty(),
        "the gone NAT gateway's elastic IPs are released: {still_allocated:?}"
    );

    site.tf.apply().assert_success();
    let after = site.resources();
    assert_ne!(after["vpc"], before["vpc"], "a new VPC");
    for adopted in [
        "app_secret",
        "app_role",
        "app_role_policy",
        "app_instance_profile",
        "efs_file_system",
        "dns_record",
    ] {
        assert_eq!(
            after.get(adopted),
            before.get(adopted),
            "{adopted} is adopted, not made again"
        );
    }
    let inventory = site.inventory(STACK).await;
    assert_one_lean_stack(&inventory, "the stack created again");
    assert_state_matches_aws(&after, &inventory, "the stack created again");
    site.tf.plan().assert_code(0);

    site.tf.destroy().assert_success();
    let left = site.aws.tagged_objects(STACK).await.expect("census");
    AwsInspector::assert_none_left(&left, STACK);
}
