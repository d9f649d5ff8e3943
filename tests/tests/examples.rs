//! The shipped examples work as written: each validates and plans against moto, and the
//! default one (what `./scripts/demo` applies) applies, reports its outputs and destroys.
//! The examples take the endpoint from `AWS_ENDPOINT_URL`, which the harness sets.

mod common;

use common::assert_nothing_tagged;
use stack_tests::aws::AwsInspector;
use stack_tests::terraform::TerraformDir;
use stack_tests::{workspace_root, Moto};

fn example_dir(moto: &Moto, example: &str) -> TerraformDir {
    let tf = TerraformDir::new(&format!("example-{example}"), moto).expect("dir");
    let source = workspace_root().join("examples").join(example);
    tf.copy_configuration(&source).expect("copy the example");
    tf
}

#[tokio::test]
async fn the_minimal_example_validates_and_plans() {
    let moto = Moto::start_async().await.expect("moto starts");
    let tf = example_dir(&moto, "minimal");
    tf.validate().assert_success();
    let plan = tf.plan().assert_code(2);
    assert!(
        plan.stdout
            .contains("wordpress_ha_stack.blog will be created"),
        "{plan}"
    );
}

#[tokio::test]
async fn the_default_example_applies_reports_its_outputs_and_destroys() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = example_dir(&moto, "default");
    tf.validate().assert_success();
    tf.apply().assert_success();

    let outputs = tf.outputs();
    let url = outputs["url"]["value"].as_str().unwrap_or_default();
    let alb = outputs["alb_dns_name"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(!alb.is_empty(), "alb_dns_name output: {outputs:#}");
    assert_eq!(
        url,
        format!("http://{alb}"),
        "without dns, the URL is the ALB's"
    );
    let vpcs = aws.vpcs("demo").await.expect("vpcs");
    assert_eq!(
        outputs["vpc_id"]["value"].as_str(),
        vpcs.first().and_then(|v| v.vpc_id()),
        "the vpc_id output names the stack's VPC"
    );
    let resources = outputs["resources"]["value"]
        .as_object()
        .expect("resources map");
    assert!(
        resources.len() > 20,
        "every owned object is listed: {resources:#?}"
    );

    tf.plan().assert_code(0);
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "demo").await;
}
