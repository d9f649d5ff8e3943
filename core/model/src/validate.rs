//! Validation of a `StackSpec` before any AWS call: every malformed value becomes one
//! `SpecError` on its attribute, whose summary says what is wrong and whose detail says how to
//! fix it. Pure: the only outside fact it may use is the region's zones, which the caller
//! looks up (one call at plan time) and passes in.
//!
//! The rules mirror what AWS itself would refuse minutes into an apply (RDS naming and password
//! rules, EFS mode combinations, ELB limits, tag limits), so a user learns at `terraform
//! validate`/`plan` rather than halfway through creating a stack.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::cidr::{self, CidrError};
use crate::error::{FieldPath, SpecError};
use crate::naming::RESERVED_TAG_PREFIX;
use crate::secrets::{is_valid_db_password, DB_PASSWORD_MAX_LEN, DB_PASSWORD_MIN_LEN};
use crate::spec::{
    AutoscalingSpec, BastionSpec, DatabaseSpec, DnsSpec, LoadBalancerSpec, NetworkSpec, StackSpec,
    StorageSpec, Timeouts, WordpressSpec,
};
use crate::userdata::CONFIG_EXTRA_MAX_BYTES;

/// Stack names prefix every AWS name; 20 leaves room for roles within ELB's 32 characters.
pub const NAME_MAX_LEN: usize = 20;
/// AWS's tag limits, the same for every service the stack uses.
pub const TAG_KEY_MAX_LEN: usize = 128;
pub const TAG_VALUE_MAX_LEN: usize = 256;
pub const MAX_TAGS_PER_OBJECT: usize = 50;
/// Tags the provider adds to every object (`wordpress-ha:stack`, `Name`, and on the VPC
/// `wordpress-ha:complete`): what is left of AWS's 50 for the user and the provider defaults.
pub const PROVIDER_TAGS: usize = 3;
pub const MAX_USER_TAGS: usize = MAX_TAGS_PER_OBJECT - PROVIDER_TAGS;
/// The tag key the provider fills with each object's name.
const NAME_TAG: &str = "Name";
/// AWS accepts VPC blocks between /16 and /28; the subnet carving narrows the upper end.
pub const VPC_MIN_PREFIX: u8 = 16;
/// A ceiling on the group size, so a typo (`max_size = 1000`) cannot launch a fleet.
pub const MAX_ASG_SIZE: i64 = 100;
pub const DB_MIN_STORAGE_GIB: i64 = 20;
pub const DB_MAX_STORAGE_GIB: i64 = 65_536;
pub const DB_NAME_MAX_LEN: usize = 64;
pub const DB_USERNAME_MAX_LEN: usize = 16;
pub const BACKUP_RETENTION_MAX_DAYS: i64 = 35;
/// EFS provisioned throughput bounds, MiB/s.
pub const EFS_MIN_PROVISIONED_MIBPS: f64 = 1.0;
pub const EFS_MAX_PROVISIONED_MIBPS: f64 = 3414.0;
pub const HEALTH_CHECK_PATH_MAX_LEN: usize = 1024;
pub const IDLE_TIMEOUT_MIN: i64 = 1;
pub const IDLE_TIMEOUT_MAX: i64 = 4000;
pub const KEY_NAME_MAX_LEN: usize = 255;
pub const DNS_NAME_MAX_LEN: usize = 253;
pub const DNS_LABEL_MAX_LEN: usize = 63;
/// Short timeouts are legitimate in tests against an emulator; below a second is a mistake.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Words MySQL reserves (the ones a database or user name could plausibly collide with), and
/// `rdsadmin`, which RDS keeps for itself.
const RESERVED_DB_WORDS: &[&str] = &[
    "add",
    "all",
    "alter",
    "and",
    "as",
    "before",
    "between",
    "by",
    "case",
    "check",
    "column",
    "create",
    "cross",
    "database",
    "databases",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "exists",
    "from",
    "function",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "insert",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "keys",
    "like",
    "limit",
    "lock",
    "not",
    "null",
    "on",
    "or",
    "order",
    "primary",
    "rdsadmin",
    "references",
    "rename",
    "revoke",
    "schema",
    "select",
    "show",
    "system",
    "table",
    "to",
    "trigger",
    "union",
    "unique",
    "update",
    "usage",
    "use",
    "user",
    "values",
    "where",
    "with",
];

/// Every problem with `spec`, in attribute order; empty when the spec is valid.
///
/// `region_zones`, when given, are the zone names of the provider's region: each of
/// `network.availability_zones` must be one of them.
pub fn validate(spec: &StackSpec, region_zones: Option<&[String]>) -> Vec<SpecError> {
    let mut errors = Errors::default();
    check_name(&mut errors, &spec.name);
    check_tags(&mut errors, FieldPath::attrs(&["tags"]), &spec.tags);
    // An empty list means the lookup found nothing, not that no zone is allowed.
    let region_zones = region_zones.filter(|zones| !zones.is_empty());
    check_network(&mut errors, &spec.network, region_zones);
    check_bastion(&mut errors, &spec.bastion);
    check_wordpress(&mut errors, &spec.wordpress);
    check_autoscaling(&mut errors, &spec.autoscaling);
    check_database(&mut errors, &spec.database);
    check_storage(&mut errors, &spec.storage);
    check_load_balancer(&mut errors, &spec.load_balancer);
    if let Some(dns) = &spec.dns {
        check_dns(&mut errors, dns);
    }
    check_timeouts(&mut errors, &spec.timeouts);
    errors.0
}

/// Plan-time rule (for the plan, with the prior state): RDS grows storage in place but never
/// shrinks it. `Some` when `desired` asks for less than the stack has.
pub fn storage_shrink_error(prior: &DatabaseSpec, desired: &DatabaseSpec) -> Option<SpecError> {
    (desired.allocated_storage < prior.allocated_storage).then(|| {
        SpecError::new(
            FieldPath::attrs(&["database", "allocated_storage"]),
            format!(
                "allocated storage cannot shrink from {} GiB to {} GiB",
                prior.allocated_storage, desired.allocated_storage
            ),
            "RDS can only grow a DB instance's storage. Keep the current size or a larger one; to shrink, create a new stack and move the data.",
        )
    })
}

/// Tag rules alone, for maps validated elsewhere (the provider's `default_tags`).
pub fn validate_tags(path: FieldPath, tags: &BTreeMap<String, String>) -> Vec<SpecError> {
    let mut errors = Errors::default();
    check_tags(&mut errors, path, tags);
    errors.0
}

/// A Go duration as Terraform writes timeouts: `45m`, `1h30m`, `90s`, `1.5h`, `500ms`.
///
/// Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`. A bare `0` is zero. Signs are refused: a
/// negative timeout means nothing here.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(Duration::ZERO);
    }
    if trimmed.is_empty() {
        return Err("empty duration; write a number with a unit, such as 45m or 1h30m".to_string());
    }
    if trimmed.starts_with(['-', '+']) {
        return Err(format!(
            "{text:?} has a sign; write a positive duration such as 45m"
        ));
    }
    let mut rest = trimmed;
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let (amount, after_amount) = split_number(rest).ok_or_else(|| {
            format!("{text:?} is not a duration: expected a number at {rest:?} (examples: 45m, 1h30m, 90s)")
        })?;
        let (unit_nanos, after_unit) = split_unit(after_amount).ok_or_else(|| {
            format!("{text:?} is not a duration: missing or unknown unit at {after_amount:?} (use ns, us, ms, s, m or h)")
        })?;
        total_nanos += amount * unit_nanos;
        rest = after_unit;
    }
    if !total_nanos.is_finite() || total_nanos > Duration::MAX.as_nanos() as f64 {
        return Err(format!("{text:?} is too long a duration"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// `1.5` of `1.5h30m` and what follows it.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number = &text[..end];
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    number
        .parse::<f64>()
        .ok()
        .map(|value| (value, &text[end..]))
}

/// The unit at the start of `text`, as nanoseconds, and what follows it.
fn split_unit(text: &str) -> Option<(f64, &str)> {
    // Longest units first, so `ms` is not read as `m` followed by garbage.
    const UNITS: [(&str, f64); 8] = [
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("μs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    UNITS
        .iter()
        .find(|(unit, _)| text.starts_with(unit))
        .map(|(unit, nanos)| (*nanos, &text[unit.len()..]))
}

/// The errors found so far.
#[derive(Default)]
struct Errors(Vec<SpecError>);

impl Errors {
    fn push(&mut self, path: FieldPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.0.push(SpecError::new(path, summary, detail));
    }
}

fn path(names: &[&str]) -> FieldPath {
    FieldPath::attrs(names)
}

// ---------------------------------------------------------------------------------------------
// name and tags

fn check_name(errors: &mut Errors, name: &str) {
    let at = path(&["name"]);
    let fix = "Use 1 to 20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, such as \"blog\" or \"shop-prod\".";
    let length = name.chars().count();
    if length == 0 || length > NAME_MAX_LEN {
        errors.push(
            at,
            format!("name must be 1 to {NAME_MAX_LEN} characters long, got {length}"),
            fix,
        );
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        errors.push(
            at,
            format!("name {name:?} must start with a lowercase letter"),
            fix,
        );
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        errors.push(
            at,
            format!("name {name:?} contains {bad:?}, which AWS names do not allow"),
            fix,
        );
    } else if name.ends_with('-') {
        errors.push(at, format!("name {name:?} ends with a hyphen"), fix);
    }
}

/// Characters every service of the stack accepts in tags (EFS and ELB are the strictest).
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

fn check_tags(errors: &mut Errors, at: FieldPath, tags: &BTreeMap<String, String>) {
    if tags.len() > MAX_USER_TAGS {
        errors.push(
            at.clone(),
            format!("{} tags given; at most {MAX_USER_TAGS} fit", tags.len()),
            format!(
                "AWS allows {MAX_TAGS_PER_OBJECT} tags per object and the provider adds {PROVIDER_TAGS} of its own; remove {} of them.",
                tags.len() - MAX_USER_TAGS
            ),
        );
    }
    for (key, value) in tags {
        check_tag(errors, at.clone().key(key), key, value);
    }
}

fn check_tag(errors: &mut Errors, at: FieldPath, key: &str, value: &str) {
    let allowed = "Tags may use letters, digits, spaces and _ . : / = + - @.";
    if key.starts_with(RESERVED_TAG_PREFIX) {
        errors.push(
            at.clone(),
            format!("tag key {key:?} uses the reserved prefix {RESERVED_TAG_PREFIX:?}"),
            format!("The provider owns tags starting with {RESERVED_TAG_PREFIX:?} (it finds the stack's objects by them); rename the key."),
        );
    } else if key.to_ascii_lowercase().starts_with("aws:") {
        errors.push(
            at.clone(),
            format!("tag key {key:?} uses AWS's reserved prefix \"aws:\""),
            "AWS refuses tag keys starting with \"aws:\"; rename the key.",
        );
    } else if key == NAME_TAG {
        errors.push(
            at.clone(),
            format!("tag key {NAME_TAG:?} is set by the provider"),
            "The provider names every object <stack>-<role>[-<zone>] in its Name tag, which would overwrite this one; use another key, such as \"app\".",
        );
    }
    let key_length = key.chars().count();
    if key_length == 0 || key_length > TAG_KEY_MAX_LEN {
        errors.push(
            at.clone(),
            format!("tag key must be 1 to {TAG_KEY_MAX_LEN} characters, got {key_length}"),
            "Shorten the tag key (AWS's limit).",
        );
    }
    if value.chars().count() > TAG_VALUE_MAX_LEN {
        errors.push(
            at.clone(),
            format!("tag {key:?} has a value longer than {TAG_VALUE_MAX_LEN} characters"),
            "Shorten the tag value (AWS's limit).",
        );
    }
    if let Some(bad) = key.chars().chain(value.chars()).find(|c| !is_tag_char(*c)) {
        errors.push(
            at,
            format!("tag {key:?} contains {bad:?}, which AWS tags do not allow"),
            allowed,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// network

fn check_network(errors: &mut Errors, network: &NetworkSpec, region_zones: Option<&[String]>) {
    let zones = network.availability_zones.as_deref();
    let zones_ok = match zones {
        Some(zones) => check_zones(errors, zones, region_zones),
        None => true,
    };
    // Without a valid zone list, check the block for the default two zones.
    let zone_count = zones.filter(|_| zones_ok).map_or(2, <[String]>::len);
    check_vpc_cidr(errors, &network.vpc_cidr, zone_count);
}

fn check_vpc_cidr(errors: &mut Errors, vpc_cidr: &str, zone_count: usize) {
    let at = path(&["network", "vpc_cidr"]);
    let network = match cidr::parse_vpc_cidr(vpc_cidr) {
        Ok(network) => network,
        Err(CidrError::NotANetwork { cidr, network }) => {
            errors.push(
                at,
                format!("vpc_cidr {cidr:?} has host bits set"),
                format!("Write the network address: {network:?}."),
            );
            return;
        }
        Err(_) => {
            errors.push(
                at,
                format!("vpc_cidr {vpc_cidr:?} is not an IPv4 CIDR block"),
                "Write an IPv4 network such as \"10.0.0.0/16\" (a private range from RFC 1918 is usual).",
            );
            return;
        }
    };
    if network.prefix_len() < VPC_MIN_PREFIX {
        errors.push(
            at,
            format!("vpc_cidr {vpc_cidr:?} is larger than AWS allows for a VPC"),
            format!(
                "Use a prefix between /{VPC_MIN_PREFIX} and /{}, such as \"10.0.0.0/16\".",
                cidr::MIN_SUBNET_PREFIX - 2
            ),
        );
        return;
    }
    if let Err(CidrError::TooSmall { largest_prefix, .. }) = cidr::carve(vpc_cidr, zone_count) {
        errors.push(
            at,
            format!("vpc_cidr {vpc_cidr:?} is too small for a public and a private subnet in each of {zone_count} zones"),
            format!(
                "Each subnet must be a /{} or larger (an ALB needs it); use a /{largest_prefix} or larger block, such as \"10.0.0.0/16\".",
                cidr::MIN_SUBNET_PREFIX
            ),
        );
    }
}

/// Checks the zone list; returns whether its length is usable for carving.
fn check_zones(errors: &mut Errors, zones: &[String], region_zones: Option<&[String]>) -> bool {
    let at = path(&["network", "availability_zones"]);
    let count_ok = (2..=cidr::MAX_ZONES).contains(&zones.len());
    if zones.len() < 2 {
        errors.push(
            at.clone(),
            format!("{} availability zone(s) given; high availability needs at least 2", zones.len()),
            "List two or more distinct zones of the provider's region, such as [\"us-east-1a\", \"us-east-1b\"], or omit the attribute to use the region's first two.",
        );
    } else if zones.len() > cidr::MAX_ZONES {
        errors.push(
            at.clone(),
            format!(
                "{} availability zones given; a stack spans at most {}",
                zones.len(),
                cidr::MAX_ZONES
            ),
            format!("List at most {} zones.", cidr::MAX_ZONES),
        );
    }
    let mut seen = BTreeSet::new();
    for (index, zone) in zones.iter().enumerate() {
        let zone_at = at.clone().index(index);
        if !is_zone_name(zone) {
            errors.push(
                zone_at,
                format!("{zone:?} is not an availability zone name"),
                "Write zone names such as \"us-east-1a\" (the region followed by a letter).",
            );
        } else if !seen.insert(zone.as_str()) {
            errors.push(
                zone_at,
                format!("availability zone {zone:?} is listed twice"),
                "List each zone once: the stack puts one public and one private subnet in each.",
            );
        } else if let Some(known) = region_zones.filter(|known| !known.contains(zone)) {
            errors.push(
                zone_at,
                format!("{zone:?} is not a zone of the provider's region"),
                format!("Choose among the region's zones: {}.", known.join(", ")),
            );
        }
    }
    count_ok
}

/// `us-east-1a`, `eu-central-2c`, `us-gov-west-1b`, `us-west-2-lax-1a`: a lowercase,
/// hyphenated name whose last part is a number followed by one letter.
fn is_zone_name(zone: &str) -> bool {
    let Some((_, last)) = zone.rsplit_once('-') else {
        return false;
    };
    let mut tail = last.chars().rev();
    let letter_last = tail.next().is_some_and(|c| c.is_ascii_lowercase());
    let digits_before: String = tail.collect();
    zone.starts_with(|c: char| c.is_ascii_lowercase())
        && zone
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !zone.contains("--")
        && letter_last
        && !digits_before.is_empty()
        && digits_before.chars().all(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// bastion and wordpress

fn check_bastion(errors: &mut Errors, bastion: &BastionSpec) {
    check_instance_type(
        errors,
        path(&["bastion", "instance_type"]),
        &bastion.instance_type,
    );
    check_ssh_cidrs(errors, &bastion.allowed_ssh_cidrs);
    if let Some(key_name) = &bastion.key_name {
        check_key_name(errors, path(&["bastion", "key_name"]), key_name);
    }
    if let Some(ami_id) = &bastion.ami_id {
        check_ami_id(errors, path(&["bastion", "ami_id"]), ami_id);
    }
}

fn check_ssh_cidrs(errors: &mut Errors, cidrs: &[String]) {
    let at = path(&["bastion", "allowed_ssh_cidrs"]);
    let mut seen = BTreeSet::new();
    for (index, text) in cidrs.iter().enumerate() {
        let cidr_at = at.clone().index(index);
        let Ok(network) = text.trim().parse::<IpNet>() else {
            errors.push(
                cidr_at,
                format!("{text:?} is not a CIDR block"),
                "Write the addresses allowed to SSH to the bastion as CIDR blocks, such as \"203.0.113.0/24\" or \"2001:db8::/64\".",
            );
            continue;
        };
        if network.prefix_len() == 0 {
            errors.push(
                cidr_at,
                format!("{text:?} opens SSH to the whole internet"),
                "List only the networks that need SSH (your office or VPN, such as \"203.0.113.0/24\"); leave the list empty for no SSH at all.",
            );
        } else if network.addr() != network.network() {
            errors.push(
                cidr_at,
                format!("{text:?} has host bits set"),
                format!(
                    "Write the network address: {:?} (or a /{} for one host).",
                    network.trunc().to_string(),
                    host_prefix(&network)
                ),
            );
        } else if !seen.insert(network) {
            errors.push(
                cidr_at,
                format!("{text:?} is listed twice"),
                "List each CIDR block once (AWS refuses duplicate rules).",
            );
        }
    }
}

fn host_prefix(network: &IpNet) -> u8 {
    match network.addr() {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn check_wordpress(errors: &mut Errors, wordpress: &WordpressSpec) {
    check_docker_image(errors, path(&["wordpress", "image"]), &wordpress.image);
    check_instance_type(
        errors,
        path(&["wordpress", "instance_type"]),
        &wordpress.instance_type,
    );
    if let Some(ami_id) = &wordpress.ami_id {
        check_ami_id(errors, path(&["wordpress", "ami_id"]), ami_id);
    }
    if let Some(key_name) = &wordpress.key_name {
        check_key_name(errors, path(&["wordpress", "key_name"]), key_name);
    }
    if let Some(extra) = &wordpress.config_extra {
        if extra.len() > CONFIG_EXTRA_MAX_BYTES {
            errors.push(
                path(&["wordpress", "config_extra"]),
                format!("config_extra is {} bytes; at most {CONFIG_EXTRA_MAX_BYTES} fit in the instances' user data", extra.len()),
                "Shorten config_extra: keep only wp-config.php settings there and move larger code into a plugin (wp-content lives on EFS).",
            );
        }
        if extra.contains('\0') {
            errors.push(
                path(&["wordpress", "config_extra"]),
                "config_extra contains a NUL character",
                "Remove the NUL character: PHP source cannot contain it.",
            );
        }
    }
}

/// `family.size` as EC2 spells it: `t3.small`, `m7i-flex.2xlarge`, `c6gd.metal`.
fn is_instance_type(text: &str) -> bool {
    let Some((family, size)) = text.split_once('.') else {
        return false;
    };
    let part_ok = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    family.starts_with(|c: char| c.is_ascii_lowercase()) && part_ok(family) && part_ok(size)
}

fn check_instance_type(errors: &mut Errors, at: FieldPath, instance_type: &str) {
    if !is_instance_type(instance_type) {
        errors.push(
            at,
            format!("{instance_type:?} is not an EC2 instance type"),
            "Write an EC2 instance type as family.size, such as \"t3.small\" or \"m7i.large\".",
        );
    }
}

fn check_ami_id(errors: &mut Errors, at: FieldPath, ami_id: &str) {
    let hex = ami_id.strip_prefix("ami-").unwrap_or("");
    let ok = matches!(hex.len(), 8 | 17)
        && hex
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if !ok {
        errors.push(
            at,
            format!("{ami_id:?} is not an AMI id"),
            "Write an AMI id such as \"ami-0123456789abcdef0\" (\"ami-\" and 8 or 17 hex digits), or omit it to use the latest Amazon Linux 2023.",
        );
    }
}

fn check_key_name(errors: &mut Errors, at: FieldPath, key_name: &str) {
    let length = key_name.chars().count();
    let printable = key_name.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if length == 0 || length > KEY_NAME_MAX_LEN || !printable || key_name.trim() != key_name {
        errors.push(
            at,
            format!("{key_name:?} is not a valid EC2 key pair name"),
            format!("Write the name of an existing EC2 key pair: 1 to {KEY_NAME_MAX_LEN} printable ASCII characters without leading or trailing spaces; omit it for no key."),
        );
    }
}

/// Whether `image` is a plausible Docker reference: `[host[:port]/]path[:tag][@sha256:hex]`.
fn is_docker_reference(image: &str) -> bool {
    let (name_and_tag, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let digest_ok = digest.is_none_or(|digest| {
        digest
            .strip_prefix("sha256:")
            .is_some_and(|hex| hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
    });
    // A `:` after the last `/` starts the tag; before it, it is the registry's port.
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].find(':') {
        Some(colon) => (
            &name_and_tag[..last_slash + colon],
            Some(&name_and_tag[last_slash + colon + 1..]),
        ),
        None => (name_and_tag, None),
    };
    let tag_ok = tag.is_none_or(|tag| {
        (1..=128).contains(&tag.len())
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    digest_ok && tag_ok && is_repository_name(name)
}

fn is_repository_name(name: &str) -> bool {
    let components: Vec<&str> = name.split('/').collect();
    let (host, path) = match components.as_slice() {
        [first, rest @ ..]
            if !rest.is_empty() && (first.contains(['.', ':']) || *first == "localhost") =>
        {
            (Some(*first), rest)
        }
        all => (None, all),
    };
    let host_ok = host.is_none_or(|host| {
        let (hostname, port) = host.split_once(':').unwrap_or((host, "0"));
        !hostname.is_empty()
            && hostname
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit())
    });
    let component_ok = |component: &&str| {
        !component.is_empty()
            && component.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    };
    host_ok && !path.is_empty() && path.iter().all(component_ok) && name.len() <= 255
}

fn check_docker_image(errors: &mut Errors, at: FieldPath, image: &str) {
    if !is_docker_reference(image) {
        errors.push(
            at,
            format!("{image:?} is not a Docker image reference"),
            "Write an image reference such as \"wordpress:6-apache\" or \"registry.example.com/team/wordpress:6.5@sha256:<64 hex digits>\" (lowercase repository, no spaces).",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// autoscaling

fn check_autoscaling(errors: &mut Errors, scaling: &AutoscalingSpec) {
    let at = |name: &str| path(&["autoscaling", name]);
    if scaling.min_size < 0 {
        errors.push(
            at("min_size"),
            format!("min_size is {}; it cannot be negative", scaling.min_size),
            "Set min_size to 0 or more (2 or more keeps WordPress up when a zone fails).",
        );
    }
    if scaling.max_size < 1 || scaling.max_size > MAX_ASG_SIZE {
        errors.push(
            at("max_size"),
            format!(
                "max_size is {}; it must be between 1 and {MAX_ASG_SIZE}",
                scaling.max_size
            ),
            format!("Set max_size between 1 and {MAX_ASG_SIZE}."),
        );
    } else if scaling.max_size < scaling.min_size {
        errors.push(
            at("max_size"),
            format!(
                "max_size ({}) is smaller than min_size ({})",
                scaling.max_size, scaling.min_size
            ),
            "Raise max_size to at least min_size, or lower min_size.",
        );
    }
    if let Some(desired) = scaling.desired_capacity {
        if desired < scaling.min_size || desired > scaling.max_size {
            errors.push(
                at("desired_capacity"),
                format!("desired_capacity ({desired}) is outside min_size..max_size ({}..{})", scaling.min_size, scaling.max_size),
                "Set desired_capacity between min_size and max_size, or omit it to let the scaling policy decide.",
            );
        }
    }
    let cpu = scaling.target_cpu_utilization;
    if !(cpu.is_finite() && (1.0..=100.0).contains(&cpu)) {
        errors.push(
            at("target_cpu_utilization"),
            format!("target_cpu_utilization is {cpu}; it is a percentage between 1 and 100"),
            "Set target_cpu_utilization between 1 and 100 (60 is a common choice).",
        );
    }
    if scaling.health_check_grace_period < 0 {
        errors.push(
            at("health_check_grace_period"),
            format!("health_check_grace_period is {}; it cannot be negative", scaling.health_check_grace_period),
            "Set health_check_grace_period to the seconds an instance needs to boot WordPress (300 by default).",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// database

fn check_database(errors: &mut Errors, database: &DatabaseSpec) {
    let at = |name: &str| path(&["database", name]);
    let class_ok = database
        .instance_class
        .strip_prefix("db.")
        .is_some_and(is_instance_type);
    if !class_ok {
        errors.push(
            at("instance_class"),
            format!("{:?} is not an RDS instance class", database.instance_class),
            "Write an RDS instance class such as \"db.t3.micro\" or \"db.m6g.large\" (\"db.\" followed by an instance type).",
        );
    }
    if !is_engine_version(&database.engine_version) {
        errors.push(
            at("engine_version"),
            format!(
                "{:?} is not a MySQL engine version",
                database.engine_version
            ),
            "Write a MySQL version such as \"8.0\" (latest minor) or \"8.0.35\".",
        );
    }
    check_db_storage(errors, database);
    check_db_identifier(
        errors,
        at("db_name"),
        "db_name",
        &database.db_name,
        DB_NAME_MAX_LEN,
        true,
    );
    check_db_identifier(
        errors,
        at("username"),
        "username",
        &database.username,
        DB_USERNAME_MAX_LEN,
        false,
    );
    if let Some(password) = &database.password {
        // Never echo the password: it would end up in Terraform's output.
        if !is_valid_db_password(password.expose()) {
            errors.push(
                at("password"),
                "password does not meet RDS's rules",
                format!("Use {DB_PASSWORD_MIN_LEN} to {DB_PASSWORD_MAX_LEN} printable ASCII characters, none of them /, \", @ or a space; or omit it to have one generated."),
            );
        }
    }
    if !(0..=BACKUP_RETENTION_MAX_DAYS).contains(&database.backup_retention_days) {
        errors.push(
            at("backup_retention_days"),
            format!("backup_retention_days is {}; RDS keeps backups 0 to {BACKUP_RETENTION_MAX_DAYS} days", database.backup_retention_days),
            format!("Set backup_retention_days between 0 (no backups) and {BACKUP_RETENTION_MAX_DAYS}."),
        );
    }
}

fn check_db_storage(errors: &mut Errors, database: &DatabaseSpec) {
    let allocated = database.allocated_storage;
    let maximum = database.max_allocated_storage;
    if !(DB_MIN_STORAGE_GIB..=DB_MAX_STORAGE_GIB).contains(&allocated) {
        errors.push(
            path(&["database", "allocated_storage"]),
            format!("allocated_storage is {allocated} GiB; RDS MySQL needs {DB_MIN_STORAGE_GIB} to {DB_MAX_STORAGE_GIB}"),
            format!("Set allocated_storage between {DB_MIN_STORAGE_GIB} and {DB_MAX_STORAGE_GIB} GiB."),
        );
    }
    // Compare with allocated_storage only when that one is sane, so one mistake gives one error.
    let allocated_ok = (DB_MIN_STORAGE_GIB..=DB_MAX_STORAGE_GIB).contains(&allocated);
    let floor = if allocated_ok {
        allocated
    } else {
        DB_MIN_STORAGE_GIB
    };
    if maximum < floor || maximum > DB_MAX_STORAGE_GIB {
        errors.push(
            path(&["database", "max_allocated_storage"]),
            format!("max_allocated_storage is {maximum} GiB; it must be between allocated_storage ({allocated}) and {DB_MAX_STORAGE_GIB}"),
            "Set max_allocated_storage (the ceiling of storage autoscaling) to at least allocated_storage.",
        );
    }
}

/// `8.0` or `8.0.35`.
fn is_engine_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    matches!(parts.len(), 2 | 3)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// RDS's MySQL rules: a letter first, then letters and digits (and `_` in database names),
/// not a reserved word.
fn check_db_identifier(
    errors: &mut Errors,
    at: FieldPath,
    label: &str,
    value: &str,
    max_len: usize,
    underscore: bool,
) {
    let allowed = if underscore {
        "letters, digits and underscores"
    } else {
        "letters and digits"
    };
    let fix =
        format!("Use 1 to {max_len} {allowed}, starting with a letter, such as \"wordpress\".");
    let length = value.chars().count();
    let chars_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || (underscore && c == '_'));
    if length == 0
        || length > max_len
        || !value.starts_with(|c: char| c.is_ascii_alphabetic())
        || !chars_ok
    {
        errors.push(
            at,
            format!("{label} {value:?} is not valid for RDS MySQL"),
            fix,
        );
    } else if RESERVED_DB_WORDS.contains(&value.to_ascii_lowercase().as_str()) {
        errors.push(
            at,
            format!("{label} {value:?} is a reserved word"),
            format!("Choose another {label}, such as \"wordpress\"."),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// storage

fn check_storage(errors: &mut Errors, storage: &StorageSpec) {
    let at = |name: &str| path(&["storage", name]);
    let throughput = storage.throughput_mode.as_str();
    let throughput_known = StorageSpec::THROUGHPUT_MODES.contains(&throughput);
    if !throughput_known {
        errors.push(
            at("throughput_mode"),
            format!("{throughput:?} is not an EFS throughput mode"),
            format!("Use one of: {}.", StorageSpec::THROUGHPUT_MODES.join(", ")),
        );
    }
    if !StorageSpec::PERFORMANCE_MODES.contains(&storage.performance_mode.as_str()) {
        errors.push(
            at("performance_mode"),
            format!(
                "{:?} is not an EFS performance mode",
                storage.performance_mode
            ),
            format!("Use one of: {}.", StorageSpec::PERFORMANCE_MODES.join(", ")),
        );
    } else if storage.performance_mode == "maxIO" && throughput == "elastic" {
        errors.push(
            at("performance_mode"),
            "EFS does not offer elastic throughput with the maxIO performance mode",
            "Use performance_mode \"generalPurpose\", or throughput_mode \"bursting\" or \"provisioned\".",
        );
    }
    match (throughput, storage.provisioned_throughput_mibps) {
        // The missing attribute has no line to show: point at the mode that needs it.
        ("provisioned", None) => errors.push(
            at("throughput_mode"),
            "throughput_mode \"provisioned\" needs provisioned_throughput_mibps",
            format!("Add provisioned_throughput_mibps to the storage block, between {EFS_MIN_PROVISIONED_MIBPS} and {EFS_MAX_PROVISIONED_MIBPS} MiB/s, or choose throughput_mode \"elastic\"."),
        ),
        ("provisioned", Some(mibps)) if !(mibps.is_finite() && (EFS_MIN_PROVISIONED_MIBPS..=EFS_MAX_PROVISIONED_MIBPS).contains(&mibps)) => errors.push(
            at("provisioned_throughput_mibps"),
            format!("provisioned_throughput_mibps is {mibps}; EFS accepts {EFS_MIN_PROVISIONED_MIBPS} to {EFS_MAX_PROVISIONED_MIBPS}"),
            format!("Set provisioned_throughput_mibps between {EFS_MIN_PROVISIONED_MIBPS} and {EFS_MAX_PROVISIONED_MIBPS}."),
        ),
        (mode, Some(_)) if mode != "provisioned" && throughput_known => errors.push(
            at("provisioned_throughput_mibps"),
            format!("provisioned_throughput_mibps is set but throughput_mode is {mode:?}"),
            "Remove provisioned_throughput_mibps, or set throughput_mode = \"provisioned\".",
        ),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// load balancer, DNS, timeouts

fn check_load_balancer(errors: &mut Errors, lb: &LoadBalancerSpec) {
    let at = |name: &str| path(&["load_balancer", name]);
    if let Some(arn) = &lb.certificate_arn {
        if !is_acm_certificate_arn(arn) {
            errors.push(
                at("certificate_arn"),
                format!("{arn:?} is not an ACM certificate ARN"),
                "Write the ARN of an ACM certificate in the stack's region, such as \"arn:aws:acm:us-east-1:123456789012:certificate/<id>\".",
            );
        }
    }
    let check_path = &lb.health_check_path;
    let path_ok = check_path.starts_with('/')
        && check_path.len() <= HEALTH_CHECK_PATH_MAX_LEN
        && check_path.chars().all(|c| c.is_ascii_graphic());
    if !path_ok {
        errors.push(
            at("health_check_path"),
            format!("{check_path:?} is not a health check path"),
            format!("Write a URL path starting with \"/\", at most {HEALTH_CHECK_PATH_MAX_LEN} printable ASCII characters without spaces, such as \"/healthz.html\"."),
        );
    }
    if !(IDLE_TIMEOUT_MIN..=IDLE_TIMEOUT_MAX).contains(&lb.idle_timeout) {
        errors.push(
            at("idle_timeout"),
            format!("idle_timeout is {} seconds; ALBs accept {IDLE_TIMEOUT_MIN} to {IDLE_TIMEOUT_MAX}", lb.idle_timeout),
            format!("Set idle_timeout between {IDLE_TIMEOUT_MIN} and {IDLE_TIMEOUT_MAX} seconds (60 by default)."),
        );
    }
}

/// `arn:<partition>:acm:<region>:<12 digits>:certificate/<id>`.
fn is_acm_certificate_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let partition_ok = partition.strip_prefix("aws").is_some_and(|rest| {
        rest.is_empty()
            || (rest.starts_with('-') && rest.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
    });
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let id_ok = resource.strip_prefix("certificate/").is_some_and(|id| {
        !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    *prefix == "arn" && partition_ok && *service == "acm" && region_ok && account_ok && id_ok
}

fn check_dns(errors: &mut Errors, dns: &DnsSpec) {
    let zone_id = &dns.zone_id;
    let zone_ok = zone_id.starts_with('Z')
        && (2..=32).contains(&zone_id.len())
        && zone_id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !zone_ok {
        let hint = if zone_id.starts_with("/hostedzone/") {
            " without the \"/hostedzone/\" prefix"
        } else {
            ""
        };
        errors.push(
            path(&["dns", "zone_id"]),
            format!("{zone_id:?} is not a Route 53 hosted zone id"),
            format!("Write the hosted zone's id{hint}, such as \"Z0123456789ABCDEFGHIJ\" (\"Z\" and uppercase letters or digits)."),
        );
    }
    if !is_dns_name(&dns.record_name) {
        errors.push(
            path(&["dns", "record_name"]),
            format!("{:?} is not a DNS name", dns.record_name),
            "Write a fully qualified name inside the hosted zone, such as \"blog.example.com\": labels of 1 to 63 letters, digits or hyphens (not at either end), 253 characters in all.",
        );
    }
}

/// `blog.example.com`, `example.com.`, `*.example.com`.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let name = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |label: &str| {
        (1..=DNS_LABEL_MAX_LEN).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= DNS_NAME_MAX_LEN && name.contains('.') && name.split('.').all(label_ok)
}

fn check_timeouts(errors: &mut Errors, timeouts: &Timeouts) {
    for (name, value) in [
        ("create", timeouts.create),
        ("update", timeouts.update),
        ("delete", timeouts.delete),
    ] {
        if let Some(duration) = value.filter(|d| *d < MIN_TIMEOUT) {
            errors.push(
                path(&["timeouts", name]),
                format!("timeouts.{name} is {duration:?}; nothing finishes that fast"),
                "Give at least one second, typically minutes, such as \"45m\" or \"1h30m\"; omit it for the default.",
            );
        }
    }
}

#[cfg(test)]
mod tests;
