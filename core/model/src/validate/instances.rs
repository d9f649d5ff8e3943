//! What runs on EC2: the bastion, the WordPress instances (image, type, AMI, key pair,
//! `config_extra`) and their Auto Scaling group.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::{path, Errors, KEY_NAME_MAX_LEN, MAX_ASG_SIZE};
use crate::error::FieldPath;
use crate::spec::{AutoscalingSpec, BastionSpec, WordpressSpec};
use crate::userdata::CONFIG_EXTRA_MAX_BYTES;

pub(super) fn check_bastion(errors: &mut Errors, bastion: &BastionSpec) {
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

pub(super) fn check_wordpress(errors: &mut Errors, wordpress: &WordpressSpec) {
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
pub(super) fn is_instance_type(text: &str) -> bool {
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
pub(super) fn is_docker_reference(image: &str) -> bool {
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

pub(super) fn check_autoscaling(errors: &mut Errors, scaling: &AutoscalingSpec) {
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
