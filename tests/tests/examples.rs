//! The shipped examples work as written: the minimal one validates and plans against moto;
//! every other one (default, complete, https-dns, module, ci-plan-review) applies, reports its
//! outputs, plans empty and destroys, leaving nothing tagged. The examples take the endpoint
//! from `AWS_ENDPOINT_URL`, which the harness sets. Each test has its own moto, so cargo runs
//! them side by side.

mod common;
mod service_support;

use common::assert_nothing_tagged;
use service_support::{
    acm_certificate, alias_records, group, idle_timeout, listeners, resources, text,
};
use stack_tests::harness::terraform::{provider_binary, TerraformDir};
use stack_tests::inspect::{ec2_tag, AwsInspector};
use stack_tests::{workspace_root, FaultConfig, FaultProxy, Moto};

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

// ---- complete, https-dns, module, ci-plan-review: each applied and destroyed against moto ----

/// Write `terraform.tfvars` (loaded by every command) into the work dir.
fn write_tfvars(tf: &TerraformDir, values: &[(&str, String)]) {
    let text: String = values
        .iter()
        .map(|(name, value)| format!("{name} = {value}\n"))
        .collect();
    std::fs::write(tf.path().join("terraform.tfvars"), text).expect("write terraform.tfvars");
}

/// An HCL string literal.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// A certificate and a hosted zone for `record` (`www.example.com` → zone `example.com`).
async fn certificate_and_zone(moto: &Moto, aws: &AwsInspector, record: &str) -> (String, String) {
    let domain = record.split_once('.').map_or(record, |(_, d)| d);
    let arn = acm_certificate(moto, record);
    let zone = aws.create_hosted_zone(domain).await.expect("hosted zone");
    (arn, zone)
}

/// The `values` of a resource inside a module (`module.shop.wordpress_ha_stack.this`).
fn module_resource(state: &serde_json::Value, address: &str) -> serde_json::Value {
    let modules = state
        .pointer("/values/root_module/child_modules")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    modules
        .iter()
        .flat_map(|m| m["resources"].as_array().cloned().unwrap_or_default())
        .find(|r| r["address"] == address)
        .map(|r| r["values"].clone())
        .unwrap_or_else(|| panic!("{address} is not in the state: {state:#}"))
}

#[tokio::test]
async fn the_complete_example_applies_every_setting_and_destroys() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let (arn, zone) = certificate_and_zone(&moto, &aws, "www.example.com").await;
    aws.ec2
        .create_key_pair()
        .key_name("ops")
        .send()
        .await
        .expect("create key pair");
    let tf = example_dir(&moto, "complete");
    write_tfvars(
        &tf,
        &[
            ("key_name", quoted("ops")),
            ("db_password", quoted("Corr3ct-Horse-Battery")),
            ("certificate_arn", quoted(&arn)),
            ("zone_id", quoted(&zone)),
            ("record_name", quoted("www.example.com")),
            ("admin_email", quoted("webmaster@example.com")),
            ("skip_final_snapshot", "true".into()),
        ],
    );
    tf.validate().assert_success();
    let apply = tf.apply().assert_success();
    assert!(
        !apply.combined().contains("Corr3ct-Horse-Battery"),
        "the password never reaches Terraform's output\n{apply}"
    );

    let outputs = tf.outputs();
    assert_eq!(outputs["url"]["value"], "https://www.example.com");
    assert_eq!(
        outputs["nat_gateway_ids"]["value"].as_array().map(Vec::len),
        Some(3),
        "a NAT gateway in each of the three zones: {outputs:#}"
    );
    assert!(outputs["bastion_public_ip"]["value"].is_string());
    let stack = tf.resource_values("wordpress_ha_stack.site");
    let db = aws.db_instance("complete-db").await;
    assert_eq!(db.db_instance_class(), Some("db.t3.small"));
    assert_eq!(db.multi_az(), Some(true));
    assert_eq!(db.backup_retention_period(), Some(14));
    assert_eq!(db.master_username(), Some("wpadmin"));
    let asg = group(&aws, text(&stack, "/asg_name")).await;
    assert_eq!(
        (asg.min_size(), asg.max_size(), asg.desired_capacity()),
        (Some(2), Some(6), Some(3))
    );
    let alb = &resources(&stack)["load_balancer"];
    let ports: Vec<Option<i32>> = listeners(&aws, alb)
        .await
        .iter()
        .map(|l| l.port())
        .collect();
    assert_eq!(ports, [Some(80), Some(443)], "HTTP redirect + HTTPS");
    assert_eq!(idle_timeout(&aws, alb).await.as_deref(), Some("120"));
    let target_group = aws
        .target_group_settings(&resources(&stack)["target_group"])
        .await
        .expect("target group");
    assert_eq!(
        (
            target_group.health_check_path.as_deref(),
            target_group.matcher.as_deref(),
            target_group.deregistration_delay
        ),
        (Some("/healthz.html"), Some("200-399"), Some(60))
    );
    assert!(
        alias_records(&aws, &zone)
            .await
            .contains_key("www.example.com."),
        "the Route 53 alias exists"
    );

    tf.plan().assert_code(0);
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "complete").await;
}

#[tokio::test]
async fn the_https_dns_example_serves_its_name_over_https_and_destroys() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let (arn, zone) = certificate_and_zone(&moto, &aws, "blog.example.org").await;
    let tf = example_dir(&moto, "https-dns");
    write_tfvars(
        &tf,
        &[
            ("certificate_arn", quoted(&arn)),
            ("zone_id", quoted(&zone)),
            ("record_name", quoted("blog.example.org")),
        ],
    );
    tf.validate().assert_success();
    tf.apply().assert_success();

    let outputs = tf.outputs();
    assert_eq!(outputs["url"]["value"], "https://blog.example.org");
    let alb_name = outputs["alb_dns_name"]["value"]
        .as_str()
        .unwrap_or_default();
    let records = alias_records(&aws, &zone).await;
    let target = records
        .get("blog.example.org.")
        .map(|t| t.trim_end_matches('.'));
    assert_eq!(
        target,
        Some(alb_name),
        "the alias points at the ALB: {records:?}"
    );
    let stack = tf.resource_values("wordpress_ha_stack.site");
    let https = listeners(&aws, &resources(&stack)["load_balancer"]).await;
    assert!(
        https.iter().any(|l| l.port() == Some(443)
            && l.certificates()
                .iter()
                .any(|c| c.certificate_arn() == Some(arn.as_str()))),
        "an HTTPS listener with the certificate: {https:#?}"
    );

    tf.plan().assert_code(0);
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "secure").await;
    assert!(
        alias_records(&aws, &zone).await.is_empty(),
        "destroy removes the record"
    );
}

#[tokio::test]
async fn the_module_example_composes_two_stacks_and_feeds_one_into_the_other() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let tf = example_dir(&moto, "module");
    // The example calls the module by its path in the repository; the copy runs elsewhere.
    let main = tf.path().join("main.tf");
    let module = workspace_root().join("terraform");
    let text = std::fs::read_to_string(&main).expect("read main.tf");
    assert!(text.contains(r#"source = "../../terraform""#), "{text}");
    let text = text.replace("../../terraform", &module.display().to_string());
    std::fs::write(&main, text).expect("write main.tf");
    tf.run(&["get"]).assert_success();
    tf.validate().assert_success();
    tf.apply().assert_success();

    let outputs = tf.outputs();
    let blog_url = outputs["blog_url"]["value"].as_str().unwrap_or_default();
    assert!(blog_url.starts_with("http://"), "{outputs:#}");
    let counts = &outputs["stacks"]["value"];
    for stack in ["acme-blog", "acme-shop"] {
        assert!(
            counts[stack].as_u64().unwrap_or_default() > 20,
            "{stack} owns its objects: {counts:#}"
        );
    }
    let state = tf.show_state();
    let shop = module_resource(&state, "module.shop.wordpress_ha_stack.this");
    assert_eq!(
        shop["wordpress"]["config_extra"],
        format!("define('BLOG_URL', '{blog_url}');"),
        "the blog's output configures the shop"
    );
    let db_group = outputs["shop_database_security_group"]["value"].as_str();
    assert_eq!(db_group, shop["security_group_ids"]["db"].as_str());
    let vpcs = aws.vpcs("acme-blog").await.expect("vpcs");
    let tags = vpcs.first().map(|v| v.tags().to_vec()).unwrap_or_default();
    for (key, value) in [
        ("cost-center", "marketing"),
        ("app", "blog"),
        ("terraform-module", "wordpress-ha"),
    ] {
        assert_eq!(
            ec2_tag(&tags, key),
            Some(value),
            "the caller's and the module's tags reach AWS: {tags:?}"
        );
    }

    tf.plan().assert_code(0);
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "acme-blog").await;
    assert_nothing_tagged(&aws, "acme-shop").await;
}

#[tokio::test]
async fn the_ci_plan_review_script_summarises_an_update() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    // The image change rolls the fleet by an instance refresh, an API moto lacks: the proxy plays it.
    let refreshes = r#"{"instance_refresh": {"pending_ms": 0, "duration_ms": 200}}"#;
    let proxy = FaultProxy::start(
        &moto.endpoint(),
        FaultConfig::from_json(refreshes).expect("a proxy config"),
    )
    .expect("proxy starts");
    let tf = TerraformDir::with_endpoint("example-ci-plan-review", &moto, &proxy.endpoint())
        .expect("dir");
    tf.copy_configuration(&workspace_root().join("examples/ci-plan-review"))
        .expect("copy the example");
    tf.apply().assert_success();

    let script = workspace_root().join("examples/ci-plan-review/plan-review.sh");
    let run = std::process::Command::new(&script)
        .args([
            "-var",
            "image=wordpress:6.6-php8.3-apache",
            "-var",
            "max_size=6",
        ])
        .current_dir(tf.path())
        .envs(tf.env().iter().cloned())
        .env("TERRAFORM", workspace_root().join(".tools/bin/terraform"))
        .env("PROVIDER_BINARY", provider_binary())
        // The fleet rolls (downtime) but no data is at risk: the data-loss gate lets it pass.
        .env("FAIL_ON", "data-loss")
        .output()
        .expect("run plan-review.sh");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let expected = [
        "Plan review",
        "1 stack changes: 0 data-loss, 1 downtime, 1 cost change(s)",
        "wordpress_ha_stack.site: update in place",
        "changed arguments: autoscaling.max_size, wordpress.image",
        "known after apply: autoscaling.desired_capacity, launch_template_version",
        "Downtime:",
        "- update ASG: instance refresh to the new launch template version (keeps 90% healthy) [downtime]",
        "Cost:",
        "- update ASG: max 4 -> 6 [cost]",
        "Other changes:",
        "- update CloudWatch alarms: asg-at-max threshold 4 -> 6",
        "- update launch template: new version (image wordpress:6-apache -> wordpress:6.6-php8.3-apache)",
    ];
    for line in expected {
        assert!(lines.contains(&line), "missing {line:?} in\n{stdout}");
    }
    // The maximum moves, the instances running do not: the estimate counts the desired or
    // minimum size.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("monthly cost $0.00/month (on-demand in us-east-1")),
        "{stdout}"
    );
    assert_eq!(
        lines.iter().filter(|l| !l.is_empty()).count(),
        expected.len() + 1,
        "nothing else listed:\n{stdout}"
    );
    let saved = tf.path().join("tfplan");
    assert!(saved.is_file(), "the saved plan is kept for the apply");

    // The saved plan is what gets applied.
    tf.run(&["apply", "tfplan"]).assert_success();
    let stack = tf.resource_values("wordpress_ha_stack.site");
    assert_eq!(stack["wordpress"]["image"], "wordpress:6.6-php8.3-apache");
    tf.destroy().assert_success();
    assert_nothing_tagged(&aws, "reviewed").await;
}
