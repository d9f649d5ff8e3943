//! The corpus: each entry is one wrong input, where Terraform must stop (validate or plan),
//! what the error must point at, and a phrase of the fix the message must give.
//!
//! `stack` is the body of `resource "wordpress_ha_stack" "bad"` (`name = "blog"` is added when
//! the case does not set `name`). `provider` replaces the body of the provider block; in it
//! `{moto}` is the test's moto endpoint and `{closed}` a loopback port nothing listens on.

/// Where Terraform must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A static rule: `terraform validate` already fails.
    Validate,
    /// Needs the provider configured (zones, credentials, endpoint) or the prior state:
    /// `validate` passes, `plan` fails.
    Plan,
}

/// What the error diagnostic must point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An attribute of the resource (its configuration line is quoted).
    Resource(&'static str),
    /// An attribute of the provider block.
    Provider(&'static str),
    /// The provider block as a whole (a setting that comes from the environment).
    ProviderBlock,
}

/// The environment Terraform and the provider run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// Moto's test credentials.
    Moto,
    /// No credential anywhere: blank AWS_* variables, empty shared files, an empty HOME.
    NoCredentials,
    /// Moto's credentials, and shared config files defining only the profile `dev`.
    DevProfileOnly,
    /// `AWS_ENDPOINT_URL` names a closed port and the provider block names no endpoint.
    ClosedAwsEndpointUrl,
}

#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    pub stage: Stage,
    pub target: Target,
    /// A phrase of the diagnostic that tells the user what to do.
    pub says: &'static str,
    pub stack: &'static str,
    pub provider: Option<&'static str>,
    pub env: Env,
    /// A stack body applied first (on a moto of its own), for rules about updates.
    pub prior: Option<&'static str>,
}

const fn resource(
    name: &'static str,
    attribute: &'static str,
    says: &'static str,
    stack: &'static str,
) -> Case {
    Case {
        name,
        stage: Stage::Validate,
        target: Target::Resource(attribute),
        says,
        stack,
        provider: None,
        env: Env::Moto,
        prior: None,
    }
}

const fn resource_at_plan(
    name: &'static str,
    attribute: &'static str,
    says: &'static str,
    stack: &'static str,
) -> Case {
    Case {
        stage: Stage::Plan,
        ..resource(name, attribute, says, stack)
    }
}

const fn provider(
    name: &'static str,
    attribute: &'static str,
    says: &'static str,
    block: &'static str,
) -> Case {
    Case {
        name,
        stage: Stage::Validate,
        target: Target::Provider(attribute),
        says,
        stack: "",
        provider: Some(block),
        env: Env::Moto,
        prior: None,
    }
}

const fn provider_at_plan(
    name: &'static str,
    target: Target,
    says: &'static str,
    block: &'static str,
    env: Env,
) -> Case {
    Case {
        name,
        stage: Stage::Plan,
        target,
        says,
        stack: "",
        provider: Some(block),
        env,
        prior: None,
    }
}

/// A small stack (one NAT, no bastion, single-AZ database) for the update rules.
const LEAN_STACK_40_GIB: &str = r#"network { nat_gateways = "single" }
  bastion { enabled = false }
  database {
    multi_az            = false
    skip_final_snapshot = true
    allocated_storage   = 40
  }"#;
const LEAN_STACK_30_GIB: &str = r#"network { nat_gateways = "single" }
  bastion { enabled = false }
  database {
    multi_az            = false
    skip_final_snapshot = true
    allocated_storage   = 30
  }"#;

pub const CASES: &[Case] = &[
    // --- name -----------------------------------------------------------------------------
    resource(
        "name_uppercase_and_underscore",
        "name",
        "lowercase letters, digits and hyphens",
        r#"name = "Bad_Name""#,
    ),
    resource(
        "name_trailing_hyphen",
        "name",
        "not ending with a hyphen",
        r#"name = "blog-""#,
    ),
    resource(
        "name_consecutive_hyphens",
        "name",
        "allows no \"--\" in an identifier",
        r#"name = "my--site""#,
    ),
    resource(
        "name_security_group_prefix",
        "name",
        "EC2 refuses security group names starting with \"sg-\"",
        r#"name = "sg-blog""#,
    ),
    resource(
        "name_internal_load_balancer_prefix",
        "name",
        "refuses load balancer names starting with \"internal-\"",
        r#"name = "internal""#,
    ),
    resource(
        "name_too_long_for_alb_names",
        "name",
        "Use 1 to 20 characters",
        r#"name = "a-very-long-stack-name""#,
    ),
    // --- network --------------------------------------------------------------------------
    resource(
        "vpc_cidr_not_a_cidr",
        "vpc_cidr",
        "Write an IPv4 network",
        r#"network { vpc_cidr = "ten.0.0.0/16" }"#,
    ),
    resource(
        "vpc_cidr_prefix_out_of_range",
        "vpc_cidr",
        "Write an IPv4 network",
        r#"network { vpc_cidr = "10.0.0.0/33" }"#,
    ),
    resource(
        "vpc_cidr_ipv6",
        "vpc_cidr",
        "Write an IPv4 network",
        r#"network { vpc_cidr = "2001:db8::/56" }"#,
    ),
    resource(
        "vpc_cidr_larger_than_aws_allows",
        "vpc_cidr",
        "Use a prefix between /16",
        r#"network { vpc_cidr = "10.0.0.0/8" }"#,
    ),
    resource(
        "vpc_cidr_host_bits_set",
        "vpc_cidr",
        "Write the network address",
        r#"network { vpc_cidr = "10.0.0.1/16" }"#,
    ),
    resource(
        "vpc_cidr_too_small_for_subnets",
        "vpc_cidr",
        "or larger block",
        r#"network { vpc_cidr = "10.0.0.0/29" }"#,
    ),
    resource(
        "one_availability_zone",
        "availability_zones",
        "List two or more distinct zones",
        r#"network { availability_zones = ["us-east-1a"] }"#,
    ),
    resource(
        "duplicate_availability_zones",
        "availability_zones",
        "List each zone once",
        r#"network { availability_zones = ["us-east-1a", "us-east-1a"] }"#,
    ),
    resource(
        "region_given_as_zone",
        "availability_zones",
        "the region followed by a letter",
        r#"network { availability_zones = ["us-east-1", "us-east-1b"] }"#,
    ),
    resource(
        "more_zones_than_a_stack_spans",
        "availability_zones",
        "List at most 8 zones",
        r#"network { availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f", "us-east-1g", "us-east-1h", "us-east-1i"] }"#,
    ),
    resource(
        "unknown_nat_mode",
        "nat_gateways",
        "Use one of: one_per_az, single",
        r#"network { nat_gateways = "two" }"#,
    ),
    resource_at_plan(
        "zones_of_another_region",
        "availability_zones",
        "Choose among the region's zones",
        r#"network { availability_zones = ["eu-west-1a", "eu-west-1b"] }"#,
    ),
    resource_at_plan(
        "zone_that_does_not_exist",
        "availability_zones",
        "Choose among the region's zones",
        r#"network { availability_zones = ["us-east-1a", "us-east-1z"] }"#,
    ),
    // --- bastion --------------------------------------------------------------------------
    resource(
        "ssh_open_to_the_ipv4_internet",
        "allowed_ssh_cidrs",
        "List only the networks that need SSH",
        r#"bastion { allowed_ssh_cidrs = ["10.0.0.0/8", "0.0.0.0/0"] }"#,
    ),
    resource(
        "ssh_open_to_the_ipv6_internet",
        "allowed_ssh_cidrs",
        "List only the networks that need SSH",
        r#"bastion { allowed_ssh_cidrs = ["::/0"] }"#,
    ),
    resource(
        "ssh_cidr_not_a_cidr",
        "allowed_ssh_cidrs",
        "as CIDR blocks",
        r#"bastion { allowed_ssh_cidrs = ["my office"] }"#,
    ),
    resource(
        "ssh_cidr_host_bits_set",
        "allowed_ssh_cidrs",
        "Write the network address",
        r#"bastion { allowed_ssh_cidrs = ["203.0.113.7/24"] }"#,
    ),
    resource(
        "bastion_instance_type_without_dot",
        "instance_type",
        "as family.size",
        r#"bastion { instance_type = "t3micro" }"#,
    ),
    resource(
        "bastion_key_name_with_spaces_around",
        "key_name",
        "without leading or trailing spaces",
        r#"bastion { key_name = " ops " }"#,
    ),
    resource(
        "bastion_ami_not_an_ami_id",
        "ami_id",
        "8 or 17 hex digits",
        r#"bastion { ami_id = "ubuntu-22.04" }"#,
    ),
    // --- wordpress ------------------------------------------------------------------------
    resource(
        "instance_type_uppercase",
        "instance_type",
        "as family.size",
        r#"wordpress { instance_type = "T3.SMALL" }"#,
    ),
    resource(
        "ami_id_not_hex",
        "ami_id",
        "8 or 17 hex digits",
        r#"wordpress { ami_id = "ami-xyz12345" }"#,
    ),
    resource(
        "docker_image_uppercase",
        "image",
        "lowercase repository",
        r#"wordpress { image = "WordPress:6" }"#,
    ),
    resource(
        "docker_image_empty_tag",
        "image",
        "lowercase repository",
        r#"wordpress { image = "wordpress:" }"#,
    ),
    resource(
        "docker_image_short_digest",
        "image",
        "64 hex digits",
        r#"wordpress { image = "wordpress@sha256:abc123" }"#,
    ),
    // --- autoscaling ----------------------------------------------------------------------
    resource(
        "min_size_negative",
        "min_size",
        "Set min_size to 0 or more",
        r#"autoscaling { min_size = -1 }"#,
    ),
    resource(
        "max_size_zero",
        "max_size",
        "Set max_size between 1 and 100",
        r#"autoscaling {
    min_size = 0
    max_size = 0
  }"#,
    ),
    resource(
        "max_size_a_fleet",
        "max_size",
        "Set max_size between 1 and 100",
        r#"autoscaling { max_size = 1000 }"#,
    ),
    resource(
        "min_size_above_max_size",
        "max_size",
        "Raise max_size to at least min_size",
        r#"autoscaling {
    min_size = 5
    max_size = 3
  }"#,
    ),
    resource(
        "desired_capacity_above_max_size",
        "desired_capacity",
        "Set desired_capacity between min_size and max_size",
        r#"autoscaling {
    min_size         = 2
    max_size         = 4
    desired_capacity = 6
  }"#,
    ),
    resource(
        "fractional_size",
        "min_size",
        "Use an integer value",
        r#"autoscaling { min_size = 1.5 }"#,
    ),
    resource(
        "cpu_target_zero",
        "target_cpu_utilization",
        "between 1 and 100",
        r#"autoscaling { target_cpu_utilization = 0 }"#,
    ),
    resource(
        "cpu_target_over_100",
        "target_cpu_utilization",
        "between 1 and 100",
        r#"autoscaling { target_cpu_utilization = 150 }"#,
    ),
    resource(
        "grace_period_negative",
        "health_check_grace_period",
        "seconds an instance needs",
        r#"autoscaling { health_check_grace_period = -5 }"#,
    ),
    // --- database -------------------------------------------------------------------------
    resource(
        "db_class_without_db_prefix",
        "instance_class",
        "followed by an instance type",
        r#"database { instance_class = "t3.micro" }"#,
    ),
    resource(
        "db_class_without_size",
        "instance_class",
        "followed by an instance type",
        r#"database { instance_class = "db.large" }"#,
    ),
    resource(
        "engine_version_not_a_version",
        "engine_version",
        "Write a MySQL version",
        r#"database { engine_version = "mysql8" }"#,
    ),
    resource(
        "storage_below_rds_minimum",
        "allocated_storage",
        "Set allocated_storage between 20",
        r#"database { allocated_storage = 10 }"#,
    ),
    resource(
        "storage_above_rds_maximum",
        "allocated_storage",
        "Set allocated_storage between 20",
        r#"database { allocated_storage = 70000 }"#,
    ),
    resource(
        "storage_ceiling_below_storage",
        "max_allocated_storage",
        "at least allocated_storage",
        r#"database {
    allocated_storage     = 100
    max_allocated_storage = 50
  }"#,
    ),
    resource(
        "backup_retention_too_long",
        "backup_retention_days",
        "between 0 (no backups) and 35",
        r#"database { backup_retention_days = 36 }"#,
    ),
    resource(
        "backup_retention_negative",
        "backup_retention_days",
        "between 0 (no backups) and 35",
        r#"database { backup_retention_days = -1 }"#,
    ),
    resource(
        "password_with_forbidden_characters",
        "password",
        "printable ASCII characters",
        r#"database { password = "p@ss word 1" }"#,
    ),
    resource(
        "db_name_reserved_word",
        "db_name",
        "Choose another db_name",
        r#"database { db_name = "select" }"#,
    ),
    resource(
        "username_too_long",
        "username",
        "Use 1 to 16 letters and digits",
        r#"database { username = "wordpressadministrator" }"#,
    ),
    Case {
        prior: Some(LEAN_STACK_40_GIB),
        ..resource_at_plan(
            "storage_shrink_of_an_existing_stack",
            "allocated_storage",
            "Keep the current size or a larger one",
            LEAN_STACK_30_GIB,
        )
    },
    // --- storage --------------------------------------------------------------------------
    resource(
        "unknown_throughput_mode",
        "throughput_mode",
        "Use one of: elastic, bursting, provisioned",
        r#"storage { throughput_mode = "turbo" }"#,
    ),
    resource(
        "provisioned_without_throughput",
        "throughput_mode",
        "Add provisioned_throughput_mibps to the storage block",
        r#"storage { throughput_mode = "provisioned" }"#,
    ),
    resource(
        "throughput_without_provisioned_mode",
        "provisioned_throughput_mibps",
        "Remove provisioned_throughput_mibps",
        r#"storage {
    throughput_mode              = "bursting"
    provisioned_throughput_mibps = 100
  }"#,
    ),
    resource(
        "max_io_with_elastic_throughput",
        "performance_mode",
        "Use performance_mode \"generalPurpose\"",
        r#"storage { performance_mode = "maxIO" }"#,
    ),
    // --- load balancer --------------------------------------------------------------------
    resource(
        "certificate_arn_of_iam",
        "certificate_arn",
        "the ARN of an ACM certificate",
        r#"load_balancer { certificate_arn = "arn:aws:iam::123456789012:server-certificate/blog" }"#,
    ),
    resource(
        "certificate_arn_short_account",
        "certificate_arn",
        "the ARN of an ACM certificate",
        r#"load_balancer { certificate_arn = "arn:aws:acm:us-east-1:1234:certificate/abc" }"#,
    ),
    resource(
        "health_check_path_relative",
        "health_check_path",
        "Write a URL path starting with",
        r#"load_balancer { health_check_path = "healthz.html" }"#,
    ),
    resource(
        "idle_timeout_zero",
        "idle_timeout",
        "Set idle_timeout between 1 and 4000",
        r#"load_balancer { idle_timeout = 0 }"#,
    ),
    resource(
        "idle_timeout_over_limit",
        "idle_timeout",
        "Set idle_timeout between 1 and 4000",
        r#"load_balancer { idle_timeout = 4001 }"#,
    ),
    // --- dns ------------------------------------------------------------------------------
    resource(
        "zone_id_with_hostedzone_prefix",
        "zone_id",
        "without the \"/hostedzone/\" prefix",
        r#"dns {
    zone_id     = "/hostedzone/Z0123456789ABC"
    record_name = "blog.example.com"
  }"#,
    ),
    resource(
        "zone_id_lowercase",
        "zone_id",
        "Write the hosted zone's id",
        r#"dns {
    zone_id     = "z0123456789abc"
    record_name = "blog.example.com"
  }"#,
    ),
    resource(
        "record_name_trailing_dots",
        "record_name",
        "Write a fully qualified name",
        r#"dns {
    zone_id     = "Z0123456789ABC"
    record_name = "blog.example.com.."
  }"#,
    ),
    resource(
        "record_name_with_space",
        "record_name",
        "Write a fully qualified name",
        r#"dns {
    zone_id     = "Z0123456789ABC"
    record_name = "my blog.example.com"
  }"#,
    ),
    resource(
        "record_name_label_too_long",
        "record_name",
        "labels of 1 to 63",
        r#"dns {
    zone_id     = "Z0123456789ABC"
    record_name = "${format("%064d", 0)}.example.com"
  }"#,
    ),
    // --- tags -----------------------------------------------------------------------------
    resource(
        "tag_key_with_aws_prefix",
        "tags",
        "AWS refuses tag keys starting with \"aws:\"",
        r#"tags = { "aws:team" = "web" }"#,
    ),
    resource(
        "tag_key_of_the_stack_itself",
        "tags",
        "The provider owns tags starting with",
        r#"tags = { "wordpress-ha:stack" = "other" }"#,
    ),
    resource(
        "tag_key_name_set_by_provider",
        "tags",
        "use another key",
        r#"tags = { Name = "my-blog" }"#,
    ),
    resource(
        "too_many_tags",
        "tags",
        "remove 1 of them",
        r#"tags = { for i in range(48) : "key${i}" => "value" }"#,
    ),
    resource(
        "tag_value_too_long",
        "tags",
        "Shorten the tag value",
        r#"tags = { env = format("%0257d", 0) }"#,
    ),
    resource(
        "tag_key_with_forbidden_characters",
        "tags",
        "Tags may use letters",
        r#"tags = { "team<web>" = "x" }"#,
    ),
    // --- timeouts -------------------------------------------------------------------------
    resource(
        "timeout_in_words",
        "create",
        "Write a duration such as",
        r#"timeouts { create = "5 minutes" }"#,
    ),
    resource(
        "timeout_negative",
        "delete",
        "Write a duration such as",
        r#"timeouts { delete = "-1m" }"#,
    ),
    resource(
        "timeout_too_short",
        "update",
        "Give at least one second",
        r#"timeouts { update = "10ms" }"#,
    ),
    // --- provider block: static ------------------------------------------------------------
    provider(
        "region_with_underscores",
        "region",
        "Use a region such as",
        r#"region = "us_east_1"
  endpoint_url = "{moto}""#,
    ),
    provider(
        "region_empty",
        "region",
        "Use a region such as",
        r#"region = ""
  endpoint_url = "{moto}""#,
    ),
    provider(
        "endpoint_without_scheme",
        "endpoint_url",
        "absolute http(s) URL",
        r#"region = "us-east-1"
  endpoint_url = "127.0.0.1:5000""#,
    ),
    provider(
        "endpoint_with_a_path",
        "endpoint_url",
        "give only the scheme, host and port",
        r#"region = "us-east-1"
  endpoint_url = "{moto}/aws""#,
    ),
    provider(
        "endpoint_ftp",
        "endpoint_url",
        "the scheme must be http or https",
        r#"region = "us-east-1"
  endpoint_url = "ftp://127.0.0.1:5000""#,
    ),
    provider(
        "endpoint_port_out_of_range",
        "endpoint_url",
        "the port is not a number from 0 to 65535",
        r#"region = "us-east-1"
  endpoint_url = "http://127.0.0.1:99999""#,
    ),
    provider(
        "endpoint_with_credentials",
        "endpoint_url",
        "credentials never belong in the URL",
        r#"region = "us-east-1"
  endpoint_url = "http://key:secret@127.0.0.1:5000""#,
    ),
    provider(
        "max_retries_zero",
        "max_retries",
        "whole number from 1 to 25",
        r#"region = "us-east-1"
  endpoint_url = "{moto}"
  max_retries = 0"#,
    ),
    provider(
        "max_retries_fractional",
        "max_retries",
        "whole number from 1 to 25",
        r#"region = "us-east-1"
  endpoint_url = "{moto}"
  max_retries = 2.5"#,
    ),
    provider(
        "default_tags_with_aws_prefix",
        "default_tags",
        "AWS refuses tag keys starting with \"aws:\"",
        r#"region = "us-east-1"
  endpoint_url = "{moto}"
  default_tags = { "aws:owner" = "web" }"#,
    ),
    provider(
        "default_tags_name_conflicts_with_provider",
        "default_tags",
        "use another key",
        r#"region = "us-east-1"
  endpoint_url = "{moto}"
  default_tags = { Name = "shared" }"#,
    ),
    provider(
        "profile_name_with_spaces",
        "profile",
        "without spaces or brackets",
        r#"region = "us-east-1"
  endpoint_url = "{moto}"
  profile = "my profile""#,
    ),
    // --- provider block: found when the provider is configured ------------------------------
    provider_at_plan(
        "endpoint_nothing_listens_on",
        Target::Provider("endpoint_url"),
        "cannot be reached",
        r#"region = "us-east-1"
  endpoint_url = "{closed}""#,
        Env::Moto,
    ),
    provider_at_plan(
        "endpoint_from_env_nothing_listens_on",
        Target::ProviderBlock,
        "Check AWS_ENDPOINT_URL",
        r#"region = "us-east-1""#,
        Env::ClosedAwsEndpointUrl,
    ),
    provider_at_plan(
        "no_credentials_anywhere",
        Target::ProviderBlock,
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        r#"region = "us-east-1"
  endpoint_url = "{moto}""#,
        Env::NoCredentials,
    ),
    provider_at_plan(
        "profile_not_in_shared_files",
        Target::Provider("profile"),
        "Profiles found: dev",
        r#"region = "us-east-1"
  endpoint_url = "{moto}"
  profile = "staging""#,
        Env::DevProfileOnly,
    ),
];
