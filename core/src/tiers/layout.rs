//! What the tiers lay their steps out from.

use crate::spec::{NatMode, StackSpec};

/// What the tiers need to lay out their steps: the spec and its resolved zones.
#[derive(Debug, Clone)]
pub struct StackLayout {
    pub spec: StackSpec,
    /// `spec.network.availability_zones` resolved (the region's first two by default).
    pub zones: Vec<String>,
}

impl StackLayout {
    /// The zone whose NAT gateway serves `az`: its own, or the first zone's in `single` mode.
    pub fn nat_zone_for<'a>(&'a self, az: &'a str) -> &'a str {
        match self.spec.network.nat_gateways {
            NatMode::OnePerAz => az,
            NatMode::Single => self.zones.first().map(String::as_str).unwrap_or(az),
        }
    }
    /// Zones that hold a NAT gateway.
    pub fn nat_zones(&self) -> Vec<String> {
        match self.spec.network.nat_gateways {
            NatMode::OnePerAz => self.zones.clone(),
            NatMode::Single => self.zones.iter().take(1).cloned().collect(),
        }
    }
}
