//! The HCL module `terraform/`: it validates through a root configuration that calls it, its
//! README's inputs/outputs tables are current (`scripts/module-docs --check`, which fails on
//! a stale copy), its validation blocks refuse what the provider refuses with their own
//! messages, and with default inputs it plans exactly the stack the bare resource plans.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::{workspace_root, Moto};

fn module_dir() -> PathBuf {
    workspace_root().join("terraform")
}

fn module_docs(args: &[&Path]) -> Output {
    Command::new(workspace_root().join("scripts").join("module-docs"))
        .args(args)
        .output()
        .expect("run scripts/module-docs")
}

fn show(output: &Output) -> String {
    format!(
        "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A root configuration of this test's provider block plus `calls` (module blocks using
/// `source = "<module>"`), with the module installed by `terraform get`.
fn root_with_module_calls(tf: &TerraformDir, calls: &str) {
    let calls = calls.replace("<module>", &module_dir().display().to_string());
    tf.write_main(&format!("{}\n{calls}", tf.provider_hcl()))
        .expect("write main.tf");
    tf.run(&["get"]).assert_success();
}

/// Terraform wraps diagnostics at 78 columns: compare text with whitespace runs collapsed.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_module_readme_tables_are_generated_and_current() {
    let check = module_docs(&[Path::new("--check")]);
    assert!(
        check.status.success(),
        "run scripts/module-docs\n{}",
        show(&check)
    );

    // A copy whose description changed is stale until regenerated.
    let copy = tempfile::tempdir().expect("temp dir");
    for file in [
        "versions.tf",
        "variables.tf",
        "main.tf",
        "outputs.tf",
        "README.md",
    ] {
        std::fs::copy(module_dir().join(file), copy.path().join(file)).expect("copy module");
    }
    let outputs = copy.path().join("outputs.tf");
    let text = std::fs::read_to_string(&outputs).expect("read outputs.tf");
    let edited = text.replace("Id of the stack's VPC.", "The VPC that holds everything.");
    assert_ne!(text, edited, "the description to edit exists");
    std::fs::write(&outputs, edited).expect("write outputs.tf");

    let stale = module_docs(&[Path::new("--check"), copy.path()]);
    assert_eq!(stale.status.code(), Some(1), "{}", show(&stale));
    assert!(
        String::from_utf8_lossy(&stale.stdout)
            .contains("+| `vpc_id` | The VPC that holds everything. |"),
        "the diff shows the new row\n{}",
        show(&stale)
    );
    let regenerate = module_docs(&[copy.path()]);
    assert!(regenerate.status.success(), "{}", show(&regenerate));
    let readme = std::fs::read_to_string(copy.path().join("README.md")).expect("README");
    assert!(readme.contains("| `vpc_id` | The VPC that holds everything. |"));
    assert!(
        readme.starts_with("# Module: WordPress HA stack"),
        "hand-written part kept"
    );
    let recheck = module_docs(&[Path::new("--check"), copy.path()]);
    assert!(recheck.status.success(), "{}", show(&recheck));
}

#[test]
fn the_module_validates_with_defaults_and_with_every_input_set() {
    let moto = Moto::start().expect("moto starts");
    let tf = TerraformDir::new("module-validate", &moto).expect("dir");
    root_with_module_calls(
        &tf,
        r#"
module "defaults" {
  source = "<module>"
  name   = "blog"
}

module "everything" {
  source      = "<module>"
  name        = "shop-prod"
  tags        = { env = "prod", "cost center" = "42" }
  db_password = "Corr3ct-Horse"
  network = {
    vpc_cidr           = "10.20.0.0/20"
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    nat_gateways       = "single"
  }
  bastion = {
    enabled           = true
    instance_type     = "t3.nano"
    allowed_ssh_cidrs = ["203.0.113.0/24", "2001:db8::/64"]
    key_name          = "ops"
    ami_id            = "ami-0123456789abcdef0"
  }
  wordpress = {
    image         = "registry.example.com:5000/team/wordpress:6.6-apache"
    instance_type = "m7i-flex.large"
    ami_id        = "ami-12345678"
    key_name      = "ops"
    config_extra  = "define('WP_DEBUG', false);"
  }
  autoscaling = {
    min_size                  = 0
    max_size                  = 100
    desired_capacity          = 0
    target_cpu_utilization    = 100
    health_check_grace_period = 0
  }
  database = {
    instance_class        = "db.m6g.large"
    engine_version        = "8.0.36"
    allocated_storage     = 20
    max_allocated_storage = 20
    multi_az              = false
    db_name               = "shop_db"
    username              = "admin1"
    backup_retention_days = 0
    deletion_protection   = true
    skip_final_snapshot   = true
  }
  storage = {
    throughput_mode              = "provisioned"
    provisioned_throughput_mibps = 128
    performance_mode             = "maxIO"
  }
  load_balancer = {
    certificate_arn      = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb"
    health_check_path    = "/status/ok.txt"
    idle_timeout         = 4000
    deregistration_delay = 0
  }
  dns = {
    zone_id     = "Z0123456789ABCDEFGHIJ"
    record_name = "shop.example.com"
  }
  timeouts = {
    create = "1h30m"
    update = "90s"
    delete = null
  }
}

output "url" {
  value = module.everything.url
}
"#,
    );
    tf.validate().assert_success();
}

#[test]
fn the_module_refuses_what_the_provider_refuses_with_its_own_messages() {
    let moto = Moto::start().expect("moto starts");
    let tf = TerraformDir::new("module-refuses", &moto).expect("dir");
    let object = |name: &str, body: &str| format!("{name} = {{ {body} }}");
    let network = |cidr: &str, zones: &str, nat: &str| {
        object(
            "network",
            &format!(
                r#"vpc_cidr = "{cidr}", availability_zones = {zones}, nat_gateways = "{nat}""#
            ),
        )
    };
    let bastion = |cidrs: &str| {
        object(
            "bastion",
            &format!(
                r#"enabled = true, instance_type = "t3.micro", allowed_ssh_cidrs = {cidrs}, key_name = null, ami_id = null"#
            ),
        )
    };
    let scaling = |min: i64, max: i64, desired: &str, cpu: i64| {
        object(
            "autoscaling",
            &format!("min_size = {min}, max_size = {max}, desired_capacity = {desired}, target_cpu_utilization = {cpu}, health_check_grace_period = 300"),
        )
    };
    let database = |class: &str, allocated: i64, maximum: i64, retention: i64| {
        object(
            "database",
            &format!(
                r#"instance_class = "{class}", engine_version = "8.4", allocated_storage = {allocated}, max_allocated_storage = {maximum}, multi_az = true, db_name = "wordpress", username = "wordpress", backup_retention_days = {retention}, deletion_protection = false, skip_final_snapshot = false"#
            ),
        )
    };
    // (module name, the bad input, what its validation says)
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad_name",
            r#"name = "Blog""#.into(),
            "The name must be 1 to 20 lowercase letters",
        ),
        (
            "bad_cidr",
            network("10.0.0.0/33", "null", "single"),
            "must be an IPv4 CIDR block from /16 to /24",
        ),
        (
            "big_cidr",
            network("10.0.0.0/8", "null", "single"),
            "must be an IPv4 CIDR block from /16 to /24",
        ),
        (
            "host_bits",
            network("10.0.0.1/16", "null", "single"),
            "no host bits set",
        ),
        (
            "one_zone",
            network("10.0.0.0/16", r#"["us-east-1a"]"#, "single"),
            "at least 2 distinct zone names",
        ),
        (
            "twice_zone",
            network("10.0.0.0/16", r#"["us-east-1a", "us-east-1a"]"#, "single"),
            "at least 2 distinct zone names",
        ),
        (
            "nat_enum",
            network("10.0.0.0/16", "null", "two"),
            "must be \"one_per_az\"",
        ),
        (
            "open_ssh",
            bastion(r#"["0.0.0.0/0"]"#),
            "(the whole internet) are refused",
        ),
        (
            "ssh_twice",
            bastion(r#"["203.0.113.0/24", "203.0.113.0/24"]"#),
            "must list each CIDR block once",
        ),
        (
            "sizes_order",
            scaling(5, 3, "null", 60),
            "must be ordered: min_size <= max_size",
        ),
        (
            "desired_out",
            scaling(1, 3, "7", 60),
            "must lie between min_size and max_size",
        ),
        (
            "cpu_range",
            scaling(1, 3, "null", 0),
            "is a percentage between 1 and 100",
        ),
        (
            "db_class",
            database("t3.micro", 20, 100, 7),
            "must be an RDS instance class",
        ),
        (
            "db_storage",
            database("db.t3.micro", 50, 40, 7),
            "20 <= allocated_storage <= max_allocated_storage",
        ),
        (
            "db_backups",
            database("db.t3.micro", 20, 100, 36),
            "between 0 (no backups) and 35",
        ),
        (
            "password",
            r#"db_password = "has spaces in it""#.into(),
            "The db_password must be 8 to 41",
        ),
        (
            "efs_mode",
            object(
                "storage",
                r#"throughput_mode = "turbo", provisioned_throughput_mibps = null, performance_mode = "generalPurpose""#,
            ),
            "must be \"elastic\", \"bursting\" or \"provisioned\"",
        ),
        (
            "efs_mibps",
            object(
                "storage",
                r#"throughput_mode = "provisioned", provisioned_throughput_mibps = null, performance_mode = "generalPurpose""#,
            ),
            "is required with throughput_mode \"provisioned\"",
        ),
        (
            "cert_arn",
            object(
                "load_balancer",
                r#"certificate_arn = "arn:aws:iam::123456789012:server-certificate/x", health_check_path = "/", idle_timeout = 60, deregistration_delay = 30"#,
            ),
            "must be an ACM certificate ARN",
        ),
        (
            "idle",
            object(
                "load_balancer",
                r#"certificate_arn = null, health_check_path = "/", idle_timeout = 5000, deregistration_delay = 30"#,
            ),
            "between 1 and 4000 seconds",
        ),
        (
            "deregistration",
            object(
                "load_balancer",
                r#"certificate_arn = null, health_check_path = "/", idle_timeout = 60, deregistration_delay = 3601"#,
            ),
            "between 0 and 3600 seconds",
        ),
        (
            "zone_id",
            object(
                "dns",
                r#"zone_id = "/hostedzone/Z123", record_name = "blog.example.com""#,
            ),
            "must be a Route 53 hosted zone id",
        ),
        (
            "record",
            object("dns", r#"zone_id = "Z123", record_name = "not a name""#),
            "must be a fully qualified DNS name",
        ),
        (
            "alarm_email",
            object(
                "alarms",
                r#"enabled = true, topic_arn = null, email_addresses = ["ops at example"], http_5xx_threshold = 10, db_cpu_percent = 80, db_free_storage_gib = 2, db_connections = 60, efs_io_limit_percent = 90"#,
            ),
            "must be an e-mail address",
        ),
        (
            "waf_rate",
            object("waf", "enabled = true, rate_limit = 5"),
            "between 10 and 2000000000",
        ),
        (
            "logs_retention",
            object(
                "logs",
                "enabled = true, retention_in_days = 31, kms_key_id = null",
            ),
            "logs.retention_in_days must be one of",
        ),
        (
            "duration",
            object(
                "timeouts",
                r#"create = "forever", update = null, delete = null"#,
            ),
            "Each timeout must be a duration",
        ),
        (
            "reserved_tag",
            r#"tags = { "wordpress-ha:stack" = "x" }"#.into(),
            "are reserved: rename the key",
        ),
    ];
    let calls: String = cases
        .iter()
        .map(|(module, input, _)| {
            let name = if input.starts_with("name ") {
                String::new()
            } else {
                "  name = \"ok\"\n".to_string()
            };
            format!("module \"{module}\" {{\n  source = \"<module>\"\n{name}  {input}\n}}\n")
        })
        .collect();
    root_with_module_calls(&tf, &calls);
    let validate = tf.validate().assert_failure();
    let output = squeezed(&validate.combined());
    let mut missing = Vec::new();
    for (module, _, message) in &cases {
        let located = output.contains(&format!("in module \"{module}\""));
        if !located || !output.contains(&squeezed(message)) {
            missing.push(format!("{module}: {message}"));
        }
    }
    assert!(
        missing.is_empty(),
        "refusals not reported:\n{}\n{validate}",
        missing.join("\n")
    );
    let errors = output.matches("Error: Invalid value for variable").count();
    assert_eq!(errors, cases.len(), "one refusal per bad input\n{validate}");
}

/// The planned values of the first `wordpress_ha_stack` in a plan's module tree.
fn planned_stack(plan: &Value) -> Value {
    let root = &plan["planned_values"]["root_module"];
    let in_module = root["child_modules"]
        .as_array()
        .and_then(|modules| modules.first())
        .map(|module| &module["resources"]);
    let resources = in_module.unwrap_or(&root["resources"]);
    let mut values = resources[0]["values"].clone();
    assert!(values.is_object(), "a planned stack in {plan:#}");
    if let Some(map) = values.as_object_mut() {
        // The module adds its own tag; everything else must match.
        map.remove("tags");
    }
    values
}

fn saved_plan(tf: &TerraformDir) -> Value {
    tf.run(&["plan", "-out=tfplan"]).assert_success();
    tf.run(&["show", "-json", "tfplan"]).assert_success().json()
}

#[test]
fn the_module_defaults_plan_the_same_stack_as_the_bare_resource() {
    let moto = Moto::start().expect("moto starts");
    let bare = TerraformDir::new("module-same-bare", &moto).expect("dir");
    bare.write_stack("resource \"wordpress_ha_stack\" \"site\" {\n  name = \"same\"\n}\n")
        .expect("write main.tf");
    let wrapped = TerraformDir::new("module-same-module", &moto).expect("dir");
    root_with_module_calls(
        &wrapped,
        "module \"site\" {\n  source = \"<module>\"\n  name   = \"same\"\n}\n",
    );
    let (bare_plan, module_plan) = (saved_plan(&bare), saved_plan(&wrapped));
    let (expected, actual) = (planned_stack(&bare_plan), planned_stack(&module_plan));
    assert_eq!(
        actual, expected,
        "the module's default inputs are the provider's defaults"
    );
    assert_eq!(
        module_plan["planned_values"]["root_module"]["child_modules"][0]["resources"][0]["values"]
            ["tags"]["terraform-module"],
        "wordpress-ha"
    );
}

#[test]
fn the_module_and_the_examples_are_in_terraform_fmt_style() {
    let terraform = workspace_root()
        .join(".tools")
        .join("bin")
        .join("terraform");
    for dir in ["terraform", "examples"] {
        let fmt = Command::new(&terraform)
            .args(["fmt", "-check", "-recursive", "-diff", "-no-color"])
            .arg(workspace_root().join(dir))
            .output()
            .expect("run terraform fmt");
        assert!(fmt.status.success(), "terraform fmt {dir}\n{}", show(&fmt));
    }
}
