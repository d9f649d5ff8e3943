//! Shared by `updates.rs` and `drift_services.rs`: a lean stack whose blocks a test rewrites one
//! at a time, the identity of every object (to prove nothing was replaced), and AWS look-ups of
//! the service tiers (ASG, launch template, RDS, EFS, ALB, Route 53).
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_autoscaling::types::AutoScalingGroup;
use aws_sdk_ec2::types::ResponseLaunchTemplateData;
use aws_sdk_elasticloadbalancingv2::types::{Listener, TargetGroup};
use serde_json::Value;
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

pub const ADDRESS: &str = "wordpress_ha_stack.site";

/// A lean stack (single NAT, no bastion, single-AZ DB without final snapshot: fast to create
/// and to destroy) whose block bodies a test replaces to express one change.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub wordpress: String,
    pub autoscaling: String,
    pub database: String,
    pub storage: String,
    pub load_balancer: String,
    /// The whole `dns { … }` body, or no block.
    pub dns: Option<String>,
    /// The whole `waf { … }` body, or no block (a new stack's web ACL on by default).
    pub waf: Option<String>,
    /// The whole `site { … }` body, or no block (the install's defaults).
    pub site: Option<String>,
    /// The whole `alarms { … }` body, or no block (a new stack's alarms on by default).
    pub alarms: Option<String>,
    /// The whole `logs { … }` body, or no block (a new stack's log group on by default).
    pub logs: Option<String>,
    /// The `tags` map literal, e.g. `{ env = "test" }`.
    pub tags: String,
    /// The provider's `default_tags` map literal, if any.
    pub default_tags: Option<String>,
    /// The provider's `max_retries`, if set.
    pub max_retries: Option<u32>,
}

impl Stack {
    pub fn lean(name: &str) -> Stack {
        Stack {
            name: name.to_string(),
            wordpress: String::new(),
            autoscaling: String::new(),
            database: "multi_az = false\n    skip_final_snapshot = true".to_string(),
            storage: String::new(),
            load_balancer: String::new(),
            dns: None,
            waf: None,
            site: None,
            alarms: None,
            logs: None,
            tags: r#"{ env = "test" }"#.to_string(),
            default_tags: None,
            max_retries: None,
        }
    }

    pub fn resource_hcl(&self) -> String {
        let block = |name: &str, body: &str| format!("  {name} {{\n    {body}\n  }}\n");
        let mut hcl = format!(
            "resource \"wordpress_ha_stack\" \"site\" {{\n  name = \"{}\"\n",
            self.name
        );
        hcl += &block("network", "nat_gateways = \"single\"");
        hcl += &block("bastion", "enabled = false");
        hcl += &block("wordpress", &self.wordpress);
        hcl += &block("autoscaling", &self.autoscaling);
        hcl += &block("database", &self.database);
        hcl += &block("storage", &self.storage);
        hcl += &block("load_balancer", &self.load_balancer);
        if let Some(dns) = &self.dns {
            hcl += &block("dns", dns);
        }
        if let Some(waf) = &self.waf {
            hcl += &block("waf", waf);
        }
        if let Some(site) = &self.site {
            hcl += &block("site", site);
        }
        if let Some(alarms) = &self.alarms {
            hcl += &block("alarms", alarms);
        }
        if let Some(logs) = &self.logs {
            hcl += &block("logs", logs);
        }
        hcl += &format!("  tags = {}\n}}\n", self.tags);
        hcl
    }

    /// Provider blocks (with `default_tags` when set) + the resource, into `main.tf`.
    pub fn write(&self, tf: &TerraformDir) {
        let mut provider = tf.provider_hcl();
        let mut settings = String::new();
        if let Some(defaults) = &self.default_tags {
            settings += &format!("  default_tags = {defaults}\n");
        }
        if let Some(retries) = self.max_retries {
            settings += &format!("  max_retries = {retries}\n");
        }
        provider = provider.replace(
            "provider \"wordpress\" {\n",
            &format!("provider \"wordpress\" {{\n{settings}"),
        );
        tf.write_main(&format!("{provider}\n{}", self.resource_hcl()))
            .expect("write main.tf");
    }
}

/// One test's moto, inspector and Terraform directory. The provider talks to moto through
/// the fault proxy playing the instance-refresh API moto lacks (a template change refreshes
/// the group's instances); the inspector asks moto directly.
pub struct World {
    // Field order matters on drop: the work dir reports moto's log path before moto goes.
    pub tf: TerraformDir,
    pub aws: AwsInspector,
    pub proxy: FaultProxy,
    pub moto: Moto,
}

/// Instance refreshes that succeed quickly.
pub fn quick_refreshes() -> FaultConfig {
    FaultConfig::from_json(r#"{"instance_refresh": {"pending_ms": 0, "duration_ms": 200}}"#)
        .expect("a valid proxy config")
}

impl World {
    pub async fn start(test: &str) -> World {
        World::start_with(test, quick_refreshes()).await
    }

    /// Like [`World::start`], the proxy playing `config`.
    pub async fn start_with(test: &str, config: FaultConfig) -> World {
        let moto = Moto::start_async().await.expect("moto starts");
        let aws = AwsInspector::for_moto(&moto).await;
        let proxy = FaultProxy::start(&moto.endpoint(), config).expect("proxy starts");
        let tf =
            TerraformDir::with_endpoint(test, &moto, &proxy.endpoint()).expect("terraform dir");
        World {
            moto,
            aws,
            proxy,
            tf,
        }
    }

    /// Write `stack`, apply it, and return the resource's state values.
    #[track_caller]
    pub fn apply(&self, stack: &Stack) -> Value {
        stack.write(&self.tf);
        self.tf.apply().assert_success();
        self.tf.resource_values(ADDRESS)
    }

    /// Write `stack`, check that the plan is an in-place update (never a replacement), apply
    /// it, check that a second plan is empty, and return the new state values.
    #[track_caller]
    pub fn update_in_place(&self, stack: &Stack) -> Value {
        stack.write(&self.tf);
        let plan = self.tf.plan().assert_code(2);
        assert!(
            plan.stdout
                .contains(&format!("{ADDRESS} will be updated in-place")),
            "an in-place update\n{plan}"
        );
        assert!(!plan.stdout.contains("must be replaced"), "{plan}");
        self.tf.apply().assert_success();
        self.tf.plan().assert_code(0);
        self.tf.resource_values(ADDRESS)
    }

    /// Destroy and check that nothing tagged for the stack is left.
    pub async fn destroy(&self, stack: &str) {
        self.tf.destroy().assert_success();
        let left = self
            .aws
            .tagged_objects(stack)
            .await
            .expect("tagged objects");
        AwsInspector::assert_none_left(&left, stack);
    }
}

/// A string attribute of the state, or a panic showing the state.
#[track_caller]
pub fn text<'a>(state: &'a Value, pointer: &str) -> &'a str {
    state
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} should be a string in the state: {state:#}"))
}

/// The `resources` map of a state: logical name → AWS id.
pub fn resources(state: &Value) -> BTreeMap<String, String> {
    state["resources"]
        .as_object()
        .unwrap_or_else(|| panic!("resources is a map: {state:#}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// Every object of `before` is still there under the same id, except the logical names
/// listed in `changed`; and no object appeared that is not listed either.
#[track_caller]
pub fn assert_nothing_else_replaced(before: &Value, after: &Value, changed: &[&str]) {
    let keep = |m: BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.into_iter()
            .filter(|(k, _)| !changed.contains(&k.as_str()))
            .collect()
    };
    assert_eq!(
        keep(resources(before)),
        keep(resources(after)),
        "every other object keeps its id"
    );
    for attribute in [
        "/vpc_id",
        "/efs_id",
        "/db_address",
        "/alb_dns_name",
        "/asg_name",
        "/launch_template_id",
    ] {
        assert_eq!(
            text(after, attribute),
            text(before, attribute),
            "{attribute} is the same object"
        );
    }
}

// ---- AWS look-ups ----

pub async fn group(aws: &AwsInspector, name: &str) -> AutoScalingGroup {
    aws.auto_scaling_group(name)
        .await
        .expect("describe ASG")
        .unwrap_or_else(|| panic!("ASG {name} exists"))
}

/// Number of Auto Scaling groups in the account (a new group would show here).
pub async fn group_count(aws: &AwsInspector) -> usize {
    aws.all_auto_scaling_groups()
        .await
        .expect("describe ASGs")
        .len()
}

/// The target value of the group's target-tracking policy.
pub async fn cpu_target(aws: &AwsInspector, group: &str) -> Option<f64> {
    let policies = aws
        .scaling_policies(group)
        .await
        .expect("describe policies");
    policies
        .iter()
        .filter_map(|p| p.target_tracking_configuration())
        .map(|c| c.target_value())
        .next()
        .flatten()
}

/// Template id and version number the group launches from (`"$Latest"` would fail the parse).
pub fn group_template(group: &AutoScalingGroup) -> (String, String) {
    let spec = group
        .launch_template()
        .unwrap_or_else(|| panic!("the ASG uses a launch template: {group:#?}"));
    (
        spec.launch_template_id().unwrap_or_default().to_string(),
        spec.version().unwrap_or_default().to_string(),
    )
}

pub async fn template_versions(aws: &AwsInspector, template_id: &str) -> Vec<i64> {
    let out = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .send()
        .await
        .expect("describe launch template versions");
    let mut versions: Vec<i64> = out
        .launch_template_versions()
        .iter()
        .filter_map(|v| v.version_number())
        .collect();
    versions.sort();
    versions
}

pub async fn template_data(
    aws: &AwsInspector,
    template_id: &str,
    version: &str,
) -> ResponseLaunchTemplateData {
    let out = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .versions(version)
        .send()
        .await
        .expect("describe launch template version");
    out.launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .cloned()
        .unwrap_or_else(|| panic!("version {version} of {template_id} exists"))
}

/// The decoded user data of a template version.
pub fn user_data(data: &ResponseLaunchTemplateData) -> String {
    let encoded = data.user_data().unwrap_or_default();
    stack_core::userdata::document_text(encoded).expect("user data is a base64 document")
}

pub async fn db_instance_count(aws: &AwsInspector) -> usize {
    let out = aws
        .rds
        .describe_db_instances()
        .send()
        .await
        .expect("describe DB instances");
    out.db_instances().len()
}

pub async fn target_group(aws: &AwsInspector, arn: &str) -> TargetGroup {
    let out = aws
        .elbv2
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
        .expect("describe target group");
    out.target_groups()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("target group {arn} exists"))
}

pub async fn listeners(aws: &AwsInspector, load_balancer_arn: &str) -> Vec<Listener> {
    aws.listeners(load_balancer_arn)
        .await
        .expect("describe listeners")
}

pub async fn idle_timeout(aws: &AwsInspector, load_balancer_arn: &str) -> Option<String> {
    let out = aws
        .elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(load_balancer_arn)
        .send()
        .await
        .expect("describe load balancer attributes");
    out.attributes()
        .iter()
        .find(|a| a.key() == Some("idle_timeout.timeout_seconds"))
        .and_then(|a| a.value().map(str::to_string))
}

/// Tags of an ELBv2 object (load balancer, target group or listener) by ARN.
pub async fn elbv2_tags(aws: &AwsInspector, arn: &str) -> BTreeMap<String, String> {
    let out = aws
        .elbv2
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .expect("describe ELBv2 tags");
    out.tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn rds_tags(aws: &AwsInspector, arn: &str) -> BTreeMap<String, String> {
    let out = aws
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .expect("list RDS tags");
    out.tag_list()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn efs_tags(aws: &AwsInspector, file_system_id: &str) -> BTreeMap<String, String> {
    let out = aws
        .efs
        .describe_file_systems()
        .file_system_id(file_system_id)
        .send()
        .await
        .expect("describe file system");
    out.file_systems()
        .iter()
        .flat_map(|f| f.tags())
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// The template's own tags, through DescribeTags (moto's DescribeLaunchTemplates keeps the
/// tags the template was created with).
pub async fn launch_template_tags(aws: &AwsInspector, id: &str) -> BTreeMap<String, String> {
    let out = aws
        .ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .expect("describe tags");
    out.tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub fn group_tags(group: &AutoScalingGroup) -> BTreeMap<String, String> {
    group
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `(name, alias target)` of every A record in the zone.
pub async fn alias_records(aws: &AwsInspector, zone_id: &str) -> BTreeMap<String, String> {
    aws.alias_records(zone_id).await.expect("list record sets")
}

/// An ACM certificate in moto, made with a raw JSON call (the test crate has no ACM SDK; moto
/// routes by the credential scope and does not check signatures).
pub fn acm_certificate(moto: &Moto, domain: &str) -> String {
    let body = format!(r#"{{"DomainName":"{domain}"}}"#);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.1\r\n\
X-Amz-Target: CertificateManager.RequestCertificate\r\n\
Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=0\r\n\
Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
        port = moto.port(),
        len = body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let json = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_default();
    let start = json
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in {response}"));
    let value: Value = serde_json::from_str(json[start..].trim_end_matches(|c: char| c != '}'))
        .unwrap_or_else(|e| panic!("ACM answer is JSON ({e}): {response}"));
    value["CertificateArn"]
        .as_str()
        .unwrap_or_else(|| panic!("a certificate ARN in {response}"))
        .to_string()
}

/// The JSON the stack's secret holds now (password and WordPress keys).
pub async fn secret_value(moto: &Moto, secret_id: &str) -> Value {
    let credentials = aws_sdk_secretsmanager::config::Credentials::new(
        "testing",
        "testing",
        None,
        None,
        "e2e-tests",
    );
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack_tests::REGION))
        .endpoint_url(moto.endpoint())
        .credentials_provider(credentials)
        .load()
        .await;
    let out = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .expect("get secret value");
    serde_json::from_str(out.secret_string().unwrap_or_default()).expect("the secret is JSON")
}

/// The value of `NAME=value` in a rendered user data (the boot script's settings).
pub fn setting<'a>(script: &'a str, name: &str) -> Option<&'a str> {
    script.lines().find_map(|line| {
        let rest = line
            .trim()
            .trim_start_matches("readonly ")
            .strip_prefix(name)?
            .strip_prefix('=')?;
        Some(rest.trim_matches(|c| c == '\'' || c == '"'))
    })
}
