//! Table-driven tests: each case breaks one rule of a valid spec and expects exactly one error,
//! on the right attribute, whose detail tells the user what to write instead.

use std::collections::BTreeMap;
use std::time::Duration;

use super::instances::is_docker_reference;
use super::network::is_zone_name;
use super::*;
use crate::spec::{DatabaseSpec, DnsSpec, NatMode, Secret};

fn valid() -> StackSpec {
    StackSpec::with_name("blog")
}

fn zones(names: &[&str]) -> Option<Vec<String>> {
    Some(names.iter().map(|z| z.to_string()).collect())
}

fn with_dns(spec: &mut StackSpec, zone_id: &str, record_name: &str) {
    spec.dns = Some(DnsSpec {
        zone_id: zone_id.to_string(),
        record_name: record_name.to_string(),
        allow_overwrite: false,
    });
}

/// One broken rule: how to break it, where the error must point, a word the fix must contain.
struct Case {
    what: &'static str,
    breaks: fn(&mut StackSpec),
    path: &'static str,
    fix_mentions: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "empty name",
        breaks: |s| s.name = String::new(),
        path: "name",
        fix_mentions: "1 to 20",
    },
    Case {
        what: "long name",
        breaks: |s| s.name = "a".repeat(21),
        path: "name",
        fix_mentions: "1 to 20",
    },
    Case {
        what: "name starts with digit",
        breaks: |s| s.name = "1blog".into(),
        path: "name",
        fix_mentions: "starting with a letter",
    },
    Case {
        what: "uppercase name",
        breaks: |s| s.name = "Blog".into(),
        path: "name",
        fix_mentions: "lowercase",
    },
    Case {
        what: "underscore in name",
        breaks: |s| s.name = "my_blog".into(),
        path: "name",
        fix_mentions: "hyphens",
    },
    Case {
        what: "trailing hyphen",
        breaks: |s| s.name = "blog-".into(),
        path: "name",
        fix_mentions: "not ending with a hyphen",
    },
    Case {
        what: "consecutive hyphens (RDS identifier)",
        breaks: |s| s.name = "my--site".into(),
        path: "name",
        fix_mentions: "allows no \"--\"",
    },
    Case {
        what: "sg- prefix (security group names)",
        breaks: |s| s.name = "sg-blog".into(),
        path: "name",
        fix_mentions: "security group names",
    },
    Case {
        what: "the name sg itself (sg-alb)",
        breaks: |s| s.name = "sg".into(),
        path: "name",
        fix_mentions: "security group names",
    },
    Case {
        what: "the name internal itself (internal-alb)",
        breaks: |s| s.name = "internal".into(),
        path: "name",
        fix_mentions: "load balancer names",
    },
    Case {
        what: "internal- prefix (load balancer names)",
        breaks: |s| s.name = "internal-blog".into(),
        path: "name",
        fix_mentions: "load balancer names",
    },
    Case {
        what: "reserved tag prefix",
        breaks: |s| {
            s.tags.insert("wordpress-ha:stack".into(), "other".into());
        },
        path: "tags[\"wordpress-ha:stack\"]",
        fix_mentions: "rename the key",
    },
    Case {
        what: "aws: tag prefix",
        breaks: |s| {
            s.tags.insert("aws:cloudformation".into(), "x".into());
        },
        path: "tags[\"aws:cloudformation\"]",
        fix_mentions: "rename the key",
    },
    Case {
        what: "Name tag the provider sets",
        breaks: |s| {
            s.tags.insert("Name".into(), "my-blog".into());
        },
        path: "tags[\"Name\"]",
        fix_mentions: "use another key",
    },
    Case {
        what: "long tag value",
        breaks: |s| {
            s.tags.insert("env".into(), "v".repeat(257));
        },
        path: "tags[\"env\"]",
        fix_mentions: "Shorten the tag value",
    },
    Case {
        what: "tag character",
        breaks: |s| {
            s.tags.insert("env".into(), "a;b".into());
        },
        path: "tags[\"env\"]",
        fix_mentions: "letters, digits",
    },
    Case {
        what: "too many tags",
        breaks: |s| {
            s.tags = (0..48)
                .map(|i| (format!("k{i}"), "v".to_string()))
                .collect()
        },
        path: "tags",
        fix_mentions: "remove 1 of them",
    },
    Case {
        what: "cidr garbage",
        breaks: |s| s.network.vpc_cidr = "10.0.0/16".into(),
        path: "network.vpc_cidr",
        fix_mentions: "10.0.0.0/16",
    },
    Case {
        what: "cidr ipv6",
        breaks: |s| s.network.vpc_cidr = "fd00::/56".into(),
        path: "network.vpc_cidr",
        fix_mentions: "IPv4",
    },
    Case {
        what: "cidr host bits",
        breaks: |s| s.network.vpc_cidr = "10.0.0.1/16".into(),
        path: "network.vpc_cidr",
        fix_mentions: "10.0.0.0/16",
    },
    Case {
        what: "cidr too large",
        breaks: |s| s.network.vpc_cidr = "10.0.0.0/8".into(),
        path: "network.vpc_cidr",
        fix_mentions: "/16",
    },
    Case {
        what: "cidr too small",
        breaks: |s| s.network.vpc_cidr = "10.0.0.0/26".into(),
        path: "network.vpc_cidr",
        fix_mentions: "or larger",
    },
    Case {
        what: "cidr too small for four zones",
        breaks: |s| {
            s.network.vpc_cidr = "10.0.0.0/25".into();
            s.network.availability_zones =
                zones(&["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]);
        },
        path: "network.vpc_cidr",
        fix_mentions: "/24 or larger",
    },
    Case {
        what: "one zone",
        breaks: |s| s.network.availability_zones = zones(&["us-east-1a"]),
        path: "network.availability_zones",
        fix_mentions: "two or more",
    },
    Case {
        what: "nine zones",
        breaks: |s| {
            s.network.availability_zones = Some(
                (0..9)
                    .map(|i| format!("us-east-1{}", (b'a' + i) as char))
                    .collect(),
            )
        },
        path: "network.availability_zones",
        fix_mentions: "at most 8",
    },
    Case {
        what: "duplicate zone",
        breaks: |s| s.network.availability_zones = zones(&["us-east-1a", "us-east-1a"]),
        path: "network.availability_zones[1]",
        fix_mentions: "each zone once",
    },
    Case {
        what: "malformed zone",
        breaks: |s| s.network.availability_zones = zones(&["us-east-1a", "US East B"]),
        path: "network.availability_zones[1]",
        fix_mentions: "us-east-1a",
    },
    Case {
        what: "zone of another region",
        breaks: |s| s.network.availability_zones = zones(&["us-east-1a", "eu-west-1a"]),
        path: "network.availability_zones[1]",
        fix_mentions: "us-east-1b",
    },
    Case {
        what: "bastion instance type",
        breaks: |s| s.bastion.instance_type = "t3micro".into(),
        path: "bastion.instance_type",
        fix_mentions: "family.size",
    },
    Case {
        what: "ssh from anywhere",
        breaks: |s| s.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into(), "0.0.0.0/0".into()],
        path: "bastion.allowed_ssh_cidrs[1]",
        fix_mentions: "only the networks",
    },
    Case {
        what: "ssh from anywhere v6",
        breaks: |s| s.bastion.allowed_ssh_cidrs = vec!["::/0".into()],
        path: "bastion.allowed_ssh_cidrs[0]",
        fix_mentions: "only the networks",
    },
    Case {
        what: "ssh /0 in disguise",
        breaks: |s| s.bastion.allowed_ssh_cidrs = vec!["10.1.2.3/0".into()],
        path: "bastion.allowed_ssh_cidrs[0]",
        fix_mentions: "only the networks",
    },
    Case {
        what: "ssh cidr garbage",
        breaks: |s| s.bastion.allowed_ssh_cidrs = vec!["my office".into()],
        path: "bastion.allowed_ssh_cidrs[0]",
        fix_mentions: "203.0.113.0/24",
    },
    Case {
        what: "ssh cidr host bits",
        breaks: |s| s.bastion.allowed_ssh_cidrs = vec!["203.0.113.7/24".into()],
        path: "bastion.allowed_ssh_cidrs[0]",
        fix_mentions: "203.0.113.0/24",
    },
    Case {
        what: "ssh cidr twice",
        breaks: |s| {
            s.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into(), "203.0.113.0/24".into()]
        },
        path: "bastion.allowed_ssh_cidrs[1]",
        fix_mentions: "once",
    },
    Case {
        what: "bastion key name",
        breaks: |s| s.bastion.key_name = Some(String::new()),
        path: "bastion.key_name",
        fix_mentions: "key pair",
    },
    Case {
        what: "bastion ami",
        breaks: |s| s.bastion.ami_id = Some("ami-12345".into()),
        path: "bastion.ami_id",
        fix_mentions: "hex digits",
    },
    Case {
        what: "image with space",
        breaks: |s| s.wordpress.image = "wordpress 6".into(),
        path: "wordpress.image",
        fix_mentions: "wordpress:6-apache",
    },
    Case {
        what: "image uppercase",
        breaks: |s| s.wordpress.image = "WordPress:6".into(),
        path: "wordpress.image",
        fix_mentions: "lowercase",
    },
    Case {
        what: "image empty tag",
        breaks: |s| s.wordpress.image = "wordpress:".into(),
        path: "wordpress.image",
        fix_mentions: "image reference",
    },
    Case {
        what: "image bad digest",
        breaks: |s| s.wordpress.image = "wordpress@sha256:abc".into(),
        path: "wordpress.image",
        fix_mentions: "64 hex",
    },
    Case {
        what: "wordpress instance type",
        breaks: |s| s.wordpress.instance_type = "T3.SMALL".into(),
        path: "wordpress.instance_type",
        fix_mentions: "t3.small",
    },
    Case {
        what: "wordpress ami",
        breaks: |s| s.wordpress.ami_id = Some("ami-0123456789ABCDEF0".into()),
        path: "wordpress.ami_id",
        fix_mentions: "ami-0123456789abcdef0",
    },
    Case {
        what: "wordpress key name",
        breaks: |s| s.wordpress.key_name = Some(" ops".into()),
        path: "wordpress.key_name",
        fix_mentions: "leading or trailing",
    },
    Case {
        what: "config_extra NUL",
        breaks: |s| s.wordpress.config_extra = Some("define('A', 1);\0".into()),
        path: "wordpress.config_extra",
        fix_mentions: "Remove",
    },
    Case {
        what: "negative min",
        breaks: |s| s.autoscaling.min_size = -1,
        path: "autoscaling.min_size",
        fix_mentions: "0 or more",
    },
    Case {
        what: "max below min",
        breaks: |s| s.autoscaling.max_size = 1,
        path: "autoscaling.max_size",
        fix_mentions: "at least min_size",
    },
    Case {
        what: "max above cap",
        breaks: |s| s.autoscaling.max_size = 1000,
        path: "autoscaling.max_size",
        fix_mentions: "between 1 and 100",
    },
    Case {
        what: "max zero",
        breaks: |s| {
            s.autoscaling.min_size = 0;
            s.autoscaling.max_size = 0
        },
        path: "autoscaling.max_size",
        fix_mentions: "between 1",
    },
    Case {
        what: "desired above max",
        breaks: |s| s.autoscaling.desired_capacity = Some(5),
        path: "autoscaling.desired_capacity",
        fix_mentions: "between min_size and max_size",
    },
    Case {
        what: "desired below min",
        breaks: |s| s.autoscaling.desired_capacity = Some(1),
        path: "autoscaling.desired_capacity",
        fix_mentions: "between min_size and max_size",
    },
    Case {
        what: "cpu zero",
        breaks: |s| s.autoscaling.target_cpu_utilization = 0.0,
        path: "autoscaling.target_cpu_utilization",
        fix_mentions: "between 1 and 100",
    },
    Case {
        what: "cpu over 100",
        breaks: |s| s.autoscaling.target_cpu_utilization = 100.5,
        path: "autoscaling.target_cpu_utilization",
        fix_mentions: "between 1 and 100",
    },
    Case {
        what: "cpu NaN",
        breaks: |s| s.autoscaling.target_cpu_utilization = f64::NAN,
        path: "autoscaling.target_cpu_utilization",
        fix_mentions: "between 1 and 100",
    },
    Case {
        what: "negative grace",
        breaks: |s| s.autoscaling.health_check_grace_period = -5,
        path: "autoscaling.health_check_grace_period",
        fix_mentions: "seconds",
    },
    Case {
        what: "db class",
        breaks: |s| s.database.instance_class = "t3.micro".into(),
        path: "database.instance_class",
        fix_mentions: "db.t3.micro",
    },
    Case {
        what: "engine version",
        breaks: |s| s.database.engine_version = "mysql8".into(),
        path: "database.engine_version",
        fix_mentions: "8.0.35",
    },
    Case {
        what: "engine version 4 parts",
        breaks: |s| s.database.engine_version = "8.0.35.1".into(),
        path: "database.engine_version",
        fix_mentions: "8.0",
    },
    Case {
        what: "storage too small",
        breaks: |s| s.database.allocated_storage = 10,
        path: "database.allocated_storage",
        fix_mentions: "between 20 and 65536",
    },
    Case {
        what: "storage too large",
        breaks: |s| {
            s.database.allocated_storage = 70_000;
            s.database.max_allocated_storage = 65_536;
        },
        path: "database.allocated_storage",
        fix_mentions: "between 20 and 65536",
    },
    Case {
        what: "max storage below allocated",
        breaks: |s| s.database.max_allocated_storage = 19,
        path: "database.max_allocated_storage",
        fix_mentions: "at least allocated_storage",
    },
    Case {
        what: "max storage above limit",
        breaks: |s| s.database.max_allocated_storage = 70_000,
        path: "database.max_allocated_storage",
        fix_mentions: "at least allocated_storage",
    },
    Case {
        what: "db_name digit first",
        breaks: |s| s.database.db_name = "1wp".into(),
        path: "database.db_name",
        fix_mentions: "starting with a letter",
    },
    Case {
        what: "db_name hyphen",
        breaks: |s| s.database.db_name = "word-press".into(),
        path: "database.db_name",
        fix_mentions: "underscores",
    },
    Case {
        what: "db_name too long",
        breaks: |s| s.database.db_name = "w".repeat(65),
        path: "database.db_name",
        fix_mentions: "1 to 64",
    },
    Case {
        what: "db_name reserved",
        breaks: |s| s.database.db_name = "select".into(),
        path: "database.db_name",
        fix_mentions: "Choose another",
    },
    Case {
        what: "username too long",
        breaks: |s| s.database.username = "u".repeat(17),
        path: "database.username",
        fix_mentions: "1 to 16",
    },
    Case {
        what: "username underscore",
        breaks: |s| s.database.username = "wp_admin".into(),
        path: "database.username",
        fix_mentions: "letters and digits",
    },
    Case {
        what: "username rdsadmin",
        breaks: |s| s.database.username = "rdsadmin".into(),
        path: "database.username",
        fix_mentions: "Choose another",
    },
    Case {
        what: "password short",
        breaks: |s| s.database.password = Some(Secret::new("short1!")),
        path: "database.password",
        fix_mentions: "8 to 41",
    },
    Case {
        what: "password long",
        breaks: |s| s.database.password = Some(Secret::new("p".repeat(42))),
        path: "database.password",
        fix_mentions: "8 to 41",
    },
    Case {
        what: "password slash",
        breaks: |s| s.database.password = Some(Secret::new("pass/word1")),
        path: "database.password",
        fix_mentions: "none of them /",
    },
    Case {
        what: "password quote",
        breaks: |s| s.database.password = Some(Secret::new("pass\"word1")),
        path: "database.password",
        fix_mentions: "none of them /",
    },
    Case {
        what: "password at",
        breaks: |s| s.database.password = Some(Secret::new("pass@word1")),
        path: "database.password",
        fix_mentions: "none of them /",
    },
    Case {
        what: "password space",
        breaks: |s| s.database.password = Some(Secret::new("pass word1")),
        path: "database.password",
        fix_mentions: "a space",
    },
    Case {
        what: "password non-ascii",
        breaks: |s| s.database.password = Some(Secret::new("pässword1")),
        path: "database.password",
        fix_mentions: "printable ASCII",
    },
    Case {
        what: "backups negative",
        breaks: |s| s.database.backup_retention_days = -1,
        path: "database.backup_retention_days",
        fix_mentions: "between 0",
    },
    Case {
        what: "backups too long",
        breaks: |s| s.database.backup_retention_days = 36,
        path: "database.backup_retention_days",
        fix_mentions: "35",
    },
    Case {
        what: "throughput mode",
        breaks: |s| s.storage.throughput_mode = "turbo".into(),
        path: "storage.throughput_mode",
        fix_mentions: "elastic, bursting, provisioned",
    },
    Case {
        what: "performance mode",
        breaks: |s| s.storage.performance_mode = "fast".into(),
        path: "storage.performance_mode",
        fix_mentions: "generalPurpose, maxIO",
    },
    Case {
        what: "maxIO with elastic",
        breaks: |s| s.storage.performance_mode = "maxIO".into(),
        path: "storage.performance_mode",
        fix_mentions: "bursting",
    },
    Case {
        what: "provisioned without mibps",
        breaks: |s| s.storage.throughput_mode = "provisioned".into(),
        path: "storage.throughput_mode",
        fix_mentions: "between 1 and 3414",
    },
    Case {
        what: "provisioned mibps too high",
        breaks: |s| {
            s.storage.throughput_mode = "provisioned".into();
            s.storage.provisioned_throughput_mibps = Some(5000.0);
        },
        path: "storage.provisioned_throughput_mibps",
        fix_mentions: "between 1 and 3414",
    },
    Case {
        what: "mibps without provisioned",
        breaks: |s| s.storage.provisioned_throughput_mibps = Some(10.0),
        path: "storage.provisioned_throughput_mibps",
        fix_mentions: "throughput_mode = \"provisioned\"",
    },
    Case {
        what: "certificate arn service",
        breaks: |s| {
            s.load_balancer.certificate_arn =
                Some("arn:aws:iam::123456789012:server-certificate/x".into())
        },
        path: "load_balancer.certificate_arn",
        fix_mentions: "arn:aws:acm:",
    },
    Case {
        what: "certificate arn account",
        breaks: |s| {
            s.load_balancer.certificate_arn =
                Some("arn:aws:acm:us-east-1:1234:certificate/abc".into())
        },
        path: "load_balancer.certificate_arn",
        fix_mentions: "ACM certificate",
    },
    Case {
        what: "health path relative",
        breaks: |s| s.load_balancer.health_check_path = "healthz.html".into(),
        path: "load_balancer.health_check_path",
        fix_mentions: "starting with \"/\"",
    },
    Case {
        what: "health path too long",
        breaks: |s| s.load_balancer.health_check_path = format!("/{}", "a".repeat(1024)),
        path: "load_balancer.health_check_path",
        fix_mentions: "at most 1024",
    },
    Case {
        what: "health path space",
        breaks: |s| s.load_balancer.health_check_path = "/health check".into(),
        path: "load_balancer.health_check_path",
        fix_mentions: "without spaces",
    },
    Case {
        what: "idle timeout zero",
        breaks: |s| s.load_balancer.idle_timeout = 0,
        path: "load_balancer.idle_timeout",
        fix_mentions: "between 1 and 4000",
    },
    Case {
        what: "idle timeout high",
        breaks: |s| s.load_balancer.idle_timeout = 4001,
        path: "load_balancer.idle_timeout",
        fix_mentions: "between 1 and 4000",
    },
    Case {
        what: "deregistration delay negative",
        breaks: |s| s.load_balancer.deregistration_delay = -1,
        path: "load_balancer.deregistration_delay",
        fix_mentions: "between 0 and 3600",
    },
    Case {
        what: "deregistration delay high",
        breaks: |s| s.load_balancer.deregistration_delay = 3601,
        path: "load_balancer.deregistration_delay",
        fix_mentions: "between 0 and 3600",
    },
    Case {
        what: "zone id lowercase",
        breaks: |s| with_dns(s, "z0123abc", "blog.example.com"),
        path: "dns.zone_id",
        fix_mentions: "Z0123456789ABCDEFGHIJ",
    },
    Case {
        what: "zone id with prefix",
        breaks: |s| with_dns(s, "/hostedzone/Z0123ABC", "blog.example.com"),
        path: "dns.zone_id",
        fix_mentions: "without the \"/hostedzone/\" prefix",
    },
    Case {
        what: "record single label",
        breaks: |s| with_dns(s, "Z0123ABC", "blog"),
        path: "dns.record_name",
        fix_mentions: "blog.example.com",
    },
    Case {
        what: "record underscore",
        breaks: |s| with_dns(s, "Z0123ABC", "my_blog.example.com"),
        path: "dns.record_name",
        fix_mentions: "letters, digits or hyphens",
    },
    Case {
        what: "record hyphen end",
        breaks: |s| with_dns(s, "Z0123ABC", "blog-.example.com"),
        path: "dns.record_name",
        fix_mentions: "not at either end",
    },
    Case {
        what: "record empty label",
        breaks: |s| with_dns(s, "Z0123ABC", "blog..example.com"),
        path: "dns.record_name",
        fix_mentions: "1 to 63",
    },
    Case {
        what: "create timeout tiny",
        breaks: |s| s.timeouts.create = Some(Duration::from_millis(500)),
        path: "timeouts.create",
        fix_mentions: "45m",
    },
    Case {
        what: "delete timeout zero",
        breaks: |s| s.timeouts.delete = Some(Duration::ZERO),
        path: "timeouts.delete",
        fix_mentions: "at least one second",
    },
];

/// The zones of a large region: a–j, enough for the nine-zone case to fail on count alone.
fn us_east_zones() -> Vec<String> {
    ('a'..='j')
        .map(|letter| format!("us-east-1{letter}"))
        .collect()
}

#[test]
fn every_broken_rule_gives_one_error_on_its_attribute_with_a_fix() {
    let region = us_east_zones();
    let mut failures = Vec::new();
    for case in CASES {
        let mut spec = valid();
        (case.breaks)(&mut spec);
        let errors = validate(&spec, Some(&region));
        let paths: Vec<String> = errors.iter().map(|e| e.path.to_string()).collect();
        match errors.as_slice() {
            [error]
                if error.path.to_string() == case.path
                    && error.detail.contains(case.fix_mentions) =>
            {
                assert!(!error.summary.is_empty(), "{}: empty summary", case.what);
            }
            _ => failures.push(format!(
                "{}: expected one error at {} mentioning {:?}, got {:?} at {:?}",
                case.what,
                case.path,
                case.fix_mentions,
                errors
                    .iter()
                    .map(|e| (&e.summary, &e.detail))
                    .collect::<Vec<_>>(),
                paths
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_defaults_are_valid() {
    assert_eq!(validate(&valid(), None), Vec::new());
    assert_eq!(validate(&valid(), Some(&us_east_zones())), Vec::new());
}

#[test]
fn a_full_realistic_spec_is_valid() {
    let mut spec = StackSpec::with_name("shop-prod-2");
    spec.tags = BTreeMap::from([
        ("env".to_string(), "prod".to_string()),
        (
            "cost-center".to_string(),
            "web/blog: 42 @team+ops".to_string(),
        ),
    ]);
    spec.network.vpc_cidr = "10.20.0.0/16".into();
    spec.network.availability_zones = zones(&["us-east-1a", "us-east-1b", "us-east-1c"]);
    spec.network.nat_gateways = NatMode::Single;
    spec.bastion.allowed_ssh_cidrs = vec![
        "203.0.113.0/24".into(),
        "198.51.100.7/32".into(),
        "2001:db8::/64".into(),
    ];
    spec.bastion.key_name = Some("ops key".into());
    spec.bastion.ami_id = Some("ami-0123456789abcdef0".into());
    spec.wordpress.image =
        "registry.example.com:5000/team/wordpress:6.5-php8.2@sha256:".to_string() + &"a".repeat(64);
    spec.wordpress.ami_id = Some("ami-12345678".into());
    spec.wordpress.instance_type = "m7i-flex.2xlarge".into();
    spec.wordpress.config_extra =
        Some("define('WP_MEMORY_LIMIT', '256M');\n// \"quoted\" $x".into());
    spec.autoscaling.min_size = 0;
    spec.autoscaling.desired_capacity = Some(0);
    spec.autoscaling.target_cpu_utilization = 100.0;
    spec.database.instance_class = "db.r6g.large".into();
    spec.database.engine_version = "8.0.35".into();
    spec.database.allocated_storage = 20;
    spec.database.max_allocated_storage = 20;
    spec.database.db_name = "wp_site1".into();
    spec.database.username = "admin".into();
    spec.database.password = Some(Secret::new("Str0ng-pa$$word'`~"));
    spec.database.backup_retention_days = 35;
    spec.storage.throughput_mode = "provisioned".into();
    spec.storage.provisioned_throughput_mibps = Some(3414.0);
    spec.storage.performance_mode = "maxIO".into();
    spec.load_balancer.certificate_arn =
        Some("arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789".into());
    spec.load_balancer.health_check_path = "/status/ok.html?probe=alb".into();
    spec.load_balancer.idle_timeout = 4000;
    spec.load_balancer.deregistration_delay = 3600;
    with_dns(&mut spec, "Z0123456789ABCDEFGHIJ", "www.blog.example.com.");
    spec.timeouts.create = Some(Duration::from_secs(1));
    spec.timeouts.delete = Some(Duration::from_secs(90 * 60));
    let region = us_east_zones();
    assert_eq!(validate(&spec, Some(&region)), Vec::new());
}

#[test]
fn zone_membership_is_only_checked_when_the_region_is_known() {
    let mut spec = valid();
    spec.network.availability_zones = zones(&["eu-west-1a", "eu-west-1b"]);
    assert_eq!(validate(&spec, None), Vec::new());
    assert_eq!(
        validate(&spec, Some(&[])),
        Vec::new(),
        "an empty lookup proves nothing"
    );
    let errors = validate(&spec, Some(&us_east_zones()));
    let paths: Vec<String> = errors.iter().map(|e| e.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "network.availability_zones[0]",
            "network.availability_zones[1]"
        ]
    );
}

#[test]
fn several_problems_are_all_reported() {
    let mut spec = valid();
    spec.name = "Bad_Name".into();
    spec.network.vpc_cidr = "nonsense".into();
    spec.bastion.allowed_ssh_cidrs = vec!["0.0.0.0/0".into()];
    spec.database.backup_retention_days = 99;
    let paths: Vec<String> = validate(&spec, None)
        .iter()
        .map(|e| e.path.to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "name",
            "network.vpc_cidr",
            "bastion.allowed_ssh_cidrs[0]",
            "database.backup_retention_days"
        ]
    );
}

#[test]
fn a_password_is_never_echoed_in_errors() {
    let mut spec = valid();
    spec.database.password = Some(Secret::new("hunter2 secret"));
    let errors = validate(&spec, None);
    assert_eq!(errors.len(), 1);
    assert!(!format!("{errors:?}").contains("hunter2"));
}

#[test]
fn the_vpc_must_fit_the_zones_it_is_given() {
    let mut spec = valid();
    spec.network.vpc_cidr = "10.0.0.0/24".into();
    spec.network.availability_zones = zones(&["us-east-1a", "us-east-1b"]);
    assert_eq!(
        validate(&spec, None),
        Vec::new(),
        "a /24 holds four /26 subnets"
    );
    spec.network.availability_zones = zones(&["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert_eq!(
        validate(&spec, None),
        Vec::new(),
        "a /24 holds eight /27 subnets"
    );
    spec.network.availability_zones = zones(&[
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
        "us-east-1d",
        "us-east-1e",
    ]);
    let errors = validate(&spec, None);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path.to_string(), "network.vpc_cidr");
}

#[test]
fn a_tag_key_over_aws_limit_is_refused() {
    let mut spec = valid();
    let key = "k".repeat(TAG_KEY_MAX_LEN + 1);
    spec.tags.insert(key.clone(), "v".into());
    let errors = validate(&spec, None);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, FieldPath::attrs(&["tags"]).key(&key));
    assert!(errors[0].detail.contains("Shorten the tag key"));
}

#[test]
fn config_extra_must_fit_in_the_user_data() {
    let mut spec = valid();
    spec.wordpress.config_extra = Some("x".repeat(crate::userdata::CONFIG_EXTRA_MAX_BYTES));
    assert_eq!(validate(&spec, None), Vec::new());
    spec.wordpress.config_extra = Some("x".repeat(crate::userdata::CONFIG_EXTRA_MAX_BYTES + 1));
    let errors = validate(&spec, None);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path.to_string(), "wordpress.config_extra");
    assert!(errors[0].detail.contains("plugin"));
}

#[test]
fn tag_rules_apply_to_provider_default_tags_too() {
    let tags = BTreeMap::from([("wordpress-ha:owner".to_string(), "me".to_string())]);
    let errors = validate_tags(FieldPath::attrs(&["default_tags"]), &tags);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].path.to_string(),
        "default_tags[\"wordpress-ha:owner\"]"
    );
}

#[test]
fn zone_names_of_every_shape_are_accepted() {
    for zone in [
        "us-east-1a",
        "eu-central-2c",
        "us-gov-west-1b",
        "us-west-2-lax-1a",
        "ap-southeast-4a",
    ] {
        assert!(is_zone_name(zone), "{zone}");
    }
    for zone in [
        "",
        "us-east-1",
        "us-east-a",
        "us-east-1ab",
        "-east-1a",
        "us--east-1a",
        "US-EAST-1A",
        "use1-az1",
    ] {
        assert!(!is_zone_name(zone), "{zone}");
    }
}

#[test]
fn docker_references_follow_the_distribution_grammar() {
    let digest = format!("sha256:{}", "0".repeat(64));
    for image in [
        "wordpress".to_string(),
        "wordpress:6-apache".into(),
        "library/wordpress:latest".into(),
        "localhost:5000/wp".into(),
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/blog/wordpress:v1.2".into(),
        format!("wordpress@{digest}"),
        "ghcr.io/org/my_image.sub-part:Tag_1".into(),
    ] {
        assert!(is_docker_reference(&image), "{image}");
    }
    for image in [
        "",
        ":6",
        "wordpress:",
        "Wordpress",
        "word press",
        "wordpress:6 apache",
        "-wp:1",
        "host:port/wp",
        "wp@md5:00",
        "wp:-tag",
        "a//b",
    ] {
        assert!(!is_docker_reference(image), "{image}");
    }
}

#[test]
fn go_durations_parse_like_terraform_timeouts() {
    let cases = [
        ("45m", 45 * 60_000),
        ("1h30m", 90 * 60_000),
        ("90s", 90_000),
        ("1.5h", 90 * 60_000),
        ("500ms", 500),
        ("2h0m10s", 7_210_000),
        ("0", 0),
        (" 10m ", 600_000),
    ];
    for (text, millis) in cases {
        assert_eq!(
            parse_duration(text),
            Ok(Duration::from_millis(millis)),
            "{text}"
        );
    }
    assert_eq!(parse_duration("1us"), Ok(Duration::from_micros(1)));
    assert_eq!(parse_duration("1µs"), Ok(Duration::from_micros(1)));
    assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
}

#[test]
fn malformed_durations_say_what_to_write() {
    for text in [
        "", "45", "m", "10x", "1h30", "-5m", "+5m", "1..5h", "5 m", "1d", "abc",
    ] {
        let error = parse_duration(text).expect_err(text);
        assert!(
            error.contains("45m") || error.contains("unit"),
            "{text:?}: message should show the expected form: {error}"
        );
    }
}

#[test]
fn shrinking_storage_is_refused_at_plan_on_its_attribute() {
    let prior = DatabaseSpec {
        allocated_storage: 40,
        ..DatabaseSpec::default()
    };
    let smaller = DatabaseSpec {
        allocated_storage: 30,
        ..DatabaseSpec::default()
    };
    let error = storage_shrink_error(&prior, &smaller).expect("refused");
    assert_eq!(error.path.to_string(), "database.allocated_storage");
    assert!(error.summary.contains("40") && error.summary.contains("30"));
    assert_eq!(storage_shrink_error(&prior, &prior), None);
    assert_eq!(
        storage_shrink_error(&smaller, &prior),
        None,
        "growing is fine"
    );
}

#[test]
fn deregistration_delay_bounds_are_inclusive_and_the_default_is_30_seconds() {
    assert_eq!(valid().load_balancer.deregistration_delay, 30);
    for seconds in [0, 30, 300, 3600] {
        let mut spec = valid();
        spec.load_balancer.deregistration_delay = seconds;
        assert_eq!(validate(&spec, None), Vec::new(), "{seconds} s");
    }
}

#[test]
fn only_the_providers_health_file_must_answer_exactly_200() {
    use crate::spec::{health_check_matcher, PROVIDER_HEALTH_CHECK_PATH};
    assert_eq!(
        valid().load_balancer.health_check_path,
        PROVIDER_HEALTH_CHECK_PATH
    );
    assert_eq!(valid().load_balancer.health_check_matcher(), "200");
    for path in [
        "/",
        "/wp-login.php",
        "/healthz.html",
        "/wordpress-ha-health.php?x=1",
    ] {
        assert_eq!(health_check_matcher(path), "200-399", "{path}");
    }
}
