//! Subnet carving: the public and private subnet of every zone, derived from the VPC's CIDR by
//! one deterministic rule, so a resumed apply, a read and an import all agree on the layout.
//!
//! # The rule
//! The VPC (`/p`) is cut into `2^k` equal slots of prefix `/(p+k)`:
//! - `k = 4` (sixteen slots) whenever the slots are still `/27` or larger: `10.0.0.0/16` gives
//!   `/20`s, `10.0.0.0/20` gives `/24`s. Public subnets take slots `0, 1, 2…` (the lower half),
//!   private subnets slots `8, 9, 10…` (the upper half): up to 8 zones, and every zone keeps
//!   its subnets' addresses whatever the number of zones;
//! - smaller VPCs use the fewest slots that still hold every zone (`2^(k-1) ≥ zones`), to
//!   keep subnets as large as possible: `10.0.0.0/24` with 2 zones gives four `/26`s; publics
//!   take the lower half of the slots, privates the upper half, as above;
//! - a layout whose subnets would be smaller than `/27` is refused: an Application Load
//!   Balancer needs a `/27` or larger subnet in each zone.
//!
//! Zone `i` is the `i`-th entry of `network.availability_zones` (the order the user wrote).

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// The smallest subnet an ALB accepts.
pub const MIN_SUBNET_PREFIX: u8 = 27;
/// Slot bits used whenever the VPC is big enough.
const PREFERRED_SLOT_BITS: u8 = 4;
/// With sixteen slots, half of them public: the most zones the rule can serve.
pub const MAX_ZONES: usize = 8;

/// The two subnets of one zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneSubnets {
    pub public: Ipv4Net,
    pub private: Ipv4Net,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("{0:?} is not an IPv4 CIDR block such as 10.0.0.0/16")]
    Malformed(String),
    #[error("{cidr} has host bits set; did you mean {network}?")]
    NotANetwork { cidr: String, network: String },
    #[error("a stack needs between 1 and {MAX_ZONES} zones, got {0}")]
    ZoneCount(usize),
    #[error("{cidr} is too small for {zones} zones: each of the {subnets} subnets would be smaller than /{MIN_SUBNET_PREFIX} (an ALB needs /{MIN_SUBNET_PREFIX}); use a /{largest_prefix} or larger")]
    TooSmall {
        cidr: String,
        zones: usize,
        subnets: usize,
        largest_prefix: u8,
    },
}

/// Parse a VPC CIDR, refusing host bits (`10.0.0.1/16`).
pub fn parse_vpc_cidr(cidr: &str) -> Result<Ipv4Net, CidrError> {
    let net: Ipv4Net = cidr
        .trim()
        .parse()
        .map_err(|_| CidrError::Malformed(cidr.to_string()))?;
    if net.addr() != net.network() {
        return Err(CidrError::NotANetwork {
            cidr: cidr.to_string(),
            network: net.trunc().to_string(),
        });
    }
    Ok(net)
}

/// The slot bits `k` for a VPC of prefix `p` and `zones` zones (see the module rule).
fn slot_bits(vpc_prefix: u8, zones: usize) -> u8 {
    if vpc_prefix + PREFERRED_SLOT_BITS <= MIN_SUBNET_PREFIX {
        return PREFERRED_SLOT_BITS;
    }
    // The fewest bits whose lower half still holds one public subnet per zone.
    let mut bits = 1u8;
    while (1usize << (bits - 1)) < zones {
        bits += 1;
    }
    bits
}

/// The public and private subnet of each of `zones` zones, in zone order.
pub fn carve(vpc_cidr: &str, zones: usize) -> Result<Vec<ZoneSubnets>, CidrError> {
    if zones == 0 || zones > MAX_ZONES {
        return Err(CidrError::ZoneCount(zones));
    }
    let vpc = parse_vpc_cidr(vpc_cidr)?;
    let bits = slot_bits(vpc.prefix_len(), zones);
    let subnet_prefix = vpc.prefix_len() + bits;
    if subnet_prefix > MIN_SUBNET_PREFIX {
        return Err(CidrError::TooSmall {
            cidr: vpc_cidr.to_string(),
            zones,
            subnets: zones * 2,
            largest_prefix: MIN_SUBNET_PREFIX.saturating_sub(bits),
        });
    }
    let half = 1u32 << (bits - 1);
    let slot = |index: u32| -> Result<Ipv4Net, CidrError> {
        let size = 1u32 << (32 - subnet_prefix);
        let start = u32::from(vpc.network()) + index * size;
        Ipv4Net::new(Ipv4Addr::from(start), subnet_prefix)
            .map_err(|_| CidrError::Malformed(vpc_cidr.to_string()))
    };
    (0..zones as u32)
        .map(|i| {
            Ok(ZoneSubnets {
                public: slot(i)?,
                private: slot(half + i)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn strings(layout: &[ZoneSubnets]) -> Vec<(String, String)> {
        layout
            .iter()
            .map(|z| (z.public.to_string(), z.private.to_string()))
            .collect()
    }

    #[test]
    fn a_slash_16_gets_public_slash_20s_first_and_private_slash_20s_in_the_upper_half() {
        let layout = carve("10.20.0.0/16", 3).unwrap();
        assert_eq!(
            strings(&layout),
            vec![
                ("10.20.0.0/20".into(), "10.20.128.0/20".into()),
                ("10.20.16.0/20".into(), "10.20.144.0/20".into()),
                ("10.20.32.0/20".into(), "10.20.160.0/20".into()),
            ]
        );
    }

    #[test]
    fn a_zone_keeps_its_subnets_whatever_the_number_of_zones() {
        let two = carve("10.0.0.0/16", 2).unwrap();
        let six = carve("10.0.0.0/16", 6).unwrap();
        assert_eq!(two[..], six[..2]);
        assert_eq!(six[5].public.to_string(), "10.0.80.0/20");
        assert_eq!(six[5].private.to_string(), "10.0.208.0/20");
    }

    #[test]
    fn small_vpcs_use_fewer_larger_slots() {
        let layout = carve("192.168.1.0/24", 2).unwrap();
        assert_eq!(
            strings(&layout),
            vec![
                ("192.168.1.0/26".into(), "192.168.1.128/26".into()),
                ("192.168.1.64/26".into(), "192.168.1.192/26".into()),
            ]
        );
        let three = carve("192.168.1.0/24", 3).unwrap();
        assert_eq!(three[2].private.to_string(), "192.168.1.192/27");
    }

    #[test]
    fn too_small_ranges_and_bad_input_are_refused() {
        assert!(matches!(
            carve("10.0.0.0/24", 6),
            Err(CidrError::TooSmall { .. })
        ));
        assert!(matches!(
            carve("10.0.0.0/26", 2),
            Err(CidrError::TooSmall { .. })
        ));
        assert!(matches!(
            carve("10.0.0.1/16", 2),
            Err(CidrError::NotANetwork { .. })
        ));
        assert!(matches!(carve("banana", 2), Err(CidrError::Malformed(_))));
        assert!(matches!(
            carve("10.0.0.0/16", 0),
            Err(CidrError::ZoneCount(0))
        ));
        assert!(matches!(
            carve("10.0.0.0/16", 9),
            Err(CidrError::ZoneCount(9))
        ));
    }

    proptest! {
        #[test]
        fn subnets_are_inside_the_vpc_disjoint_and_big_enough(
            a in 0u8..=255, b in 0u8..=255, prefix in 16u8..=24, zones in 1usize..=6
        ) {
            let vpc = Ipv4Net::new(Ipv4Addr::new(10, a, b, 0), prefix).unwrap().trunc();
            let layout = match carve(&vpc.to_string(), zones) {
                Ok(layout) => layout,
                Err(CidrError::TooSmall { .. }) => return Ok(()),
                Err(other) => panic!("{other}"),
            };
            prop_assert_eq!(layout.len(), zones);
            let all: Vec<Ipv4Net> = layout.iter().flat_map(|z| [z.public, z.private]).collect();
            for (i, x) in all.iter().enumerate() {
                prop_assert!(vpc.contains(x));
                prop_assert!(x.prefix_len() <= MIN_SUBNET_PREFIX);
                for y in &all[i + 1..] {
                    prop_assert!(!x.contains(y) && !y.contains(x), "{} overlaps {}", x, y);
                }
            }
            prop_assert_eq!(carve(&vpc.to_string(), zones).unwrap(), layout);
        }
    }
}
