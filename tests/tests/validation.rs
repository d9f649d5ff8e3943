//! Malformed configurations are refused before anything is created: `terraform validate` and
//! `terraform plan` fail with a diagnostic that points at the offending attribute's line, and
//! moto holds no object afterwards.

use stack_tests::aws::AwsInspector;
use stack_tests::terraform::{TerraformDir, TfOutput};
use stack_tests::Moto;

/// One bad configuration: the stack's blocks, and the attribute the error must point at.
struct BadConfig {
    case: &'static str,
    attribute: &'static str,
    body: &'static str,
}

const BAD_CONFIGS: &[BadConfig] = &[
    BadConfig {
        case: "name_with_uppercase_and_underscore",
        attribute: "name",
        body: r#"name = "Bad_Name""#,
    },
    BadConfig {
        case: "name_with_trailing_hyphen",
        attribute: "name",
        body: r#"name = "blog-""#,
    },
    BadConfig {
        case: "vpc_cidr_not_a_cidr",
        attribute: "vpc_cidr",
        body: r#"name = "blog"
  network {
    vpc_cidr = "10.0.0.0/33"
  }"#,
    },
    BadConfig {
        case: "a_single_availability_zone",
        attribute: "availability_zones",
        body: r#"name = "blog"
  network {
    availability_zones = ["us-east-1a"]
  }"#,
    },
    BadConfig {
        case: "ssh_open_to_the_world",
        attribute: "allowed_ssh_cidrs",
        body: r#"name = "blog"
  bastion {
    allowed_ssh_cidrs = ["10.0.0.0/8", "0.0.0.0/0"]
  }"#,
    },
    BadConfig {
        case: "reserved_tag_key",
        attribute: "tags",
        body: r#"name = "blog"
  tags = { "wordpress-ha:owner" = "me" }"#,
    },
];

fn stack_hcl(body: &str) -> String {
    format!("resource \"wordpress_ha_stack\" \"bad\" {{\n  {body}\n}}\n")
}

#[track_caller]
fn assert_refused_at(output: TfOutput, case: &str, attribute: &str) {
    let output = output.assert_failure();
    assert!(
        output.combined().contains("Error:"),
        "{case}: an error diagnostic is shown\n{output}"
    );
    assert!(
        output.points_at_attribute(attribute),
        "{case}: the error points at `{attribute}`\n{output}"
    );
}

/// Nothing at all in moto: no stack object, and no VPC besides moto's default one.
async fn assert_nothing_created(aws: &AwsInspector, case: &str) {
    let tagged = aws.tagged_objects("blog").await.expect("tagged objects");
    AwsInspector::assert_none_left(&tagged, "blog");
    let vpcs = aws.ec2.describe_vpcs().send().await.expect("describe vpcs");
    let created: Vec<_> = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .collect();
    assert!(
        created.is_empty(),
        "{case}: VPCs were created: {created:#?}"
    );
}

#[tokio::test]
async fn malformed_configs_are_refused_on_their_attribute_and_create_nothing() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    for bad in BAD_CONFIGS {
        let tf = TerraformDir::new(&format!("validation-{}", bad.case), &moto).expect("dir");
        tf.write_stack(&stack_hcl(bad.body)).expect("write main.tf");
        assert_refused_at(tf.validate(), bad.case, bad.attribute);
        assert_refused_at(tf.plan(), bad.case, bad.attribute);
        assert_refused_at(tf.apply(), bad.case, bad.attribute);
        assert_nothing_created(&aws, bad.case).await;
    }
}

/// The control case: the same harness accepts a good configuration, so the refusals above are
/// about the values, not the wiring.
#[tokio::test]
async fn a_well_formed_config_validates_and_plans() {
    let moto = Moto::start_async().await.expect("moto starts");
    let tf = TerraformDir::new("validation-control", &moto).expect("dir");
    tf.write_stack(&stack_hcl(
        r#"name = "blog"
  network {
    vpc_cidr           = "10.0.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b"]
  }
  bastion {
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }
  tags = { env = "test" }"#,
    ))
    .expect("write main.tf");
    tf.validate().assert_success();
    tf.plan().assert_code(2);
}
