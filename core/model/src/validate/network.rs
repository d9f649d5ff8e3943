//! The network block: the VPC block must hold a public and a private subnet per zone, and
//! the zones must be distinct zones of the provider's region.

use std::collections::BTreeSet;

use super::{path, Errors, VPC_MIN_PREFIX};
use crate::cidr::{self, CidrError};
use crate::spec::NetworkSpec;

pub(super) fn check_network(
    errors: &mut Errors,
    network: &NetworkSpec,
    region_zones: Option<&[String]>,
) {
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
pub(super) fn is_zone_name(zone: &str) -> bool {
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
