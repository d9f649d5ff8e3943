//! What a stack costs a month at on-demand prices, from the embedded, dated table in
//! [`table`]: the app and bastion instances, the database (Multi-AZ doubles it), its storage,
//! the NAT gateways, the load balancer, the web ACL with its rules and the alarms. Usage-billed parts (data processed, LCUs, EFS
//! storage and throughput, requests, log ingestion and storage) are left out, so two estimates of the same region differ
//! exactly by what a plan changes.

pub mod table;

use crate::spec::{NatMode, StackSpec};

/// The web ACL's rules AWS bills by the month: four managed rule groups and the rate rule.
pub const WAF_RULES: usize = 5;

/// Hours AWS bills in an average month.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A stack's monthly cost: the parts the table prices, and those it cannot.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub region: String,
    /// US dollars a month for the priced parts.
    pub monthly_usd: f64,
    /// What has no price here ("EC2 m7i.large"), each named once.
    pub unpriced: Vec<String>,
}

/// The monthly difference a plan makes (`after - before`), or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum CostDelta {
    /// The table covers everything both sides run in `region`.
    Priced { monthly_usd: f64, region: String },
    /// The region or some part of the stack is not in the table.
    NoPrice { reason: String },
}

/// The region of an availability zone (`us-east-1a` → `us-east-1`).
pub fn region_of_zone(zone: &str) -> Option<&str> {
    let region = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
    (region.len() < zone.len() && region.ends_with(|c: char| c.is_ascii_digit())).then_some(region)
}

/// The region a spec's zones lie in, when they are known and agree.
pub fn region_of(spec: &StackSpec) -> Option<String> {
    let zones = spec.network.availability_zones.as_deref()?;
    let mut regions = zones.iter().map(|z| region_of_zone(z));
    let first = regions.next()??;
    regions.all(|r| r == Some(first)).then(|| first.to_string())
}

/// The monthly cost of `spec` in `region`; `None` when the table does not cover the region.
pub fn estimate(spec: &StackSpec, region: &str) -> Option<Estimate> {
    let prices = table::REGIONS.iter().find(|p| p.region == region)?;
    let mut hourly = prices.load_balancer;
    let mut unpriced = Vec::new();
    let mut price = |list: &[(&str, f64)], kind: &str, name: &str, count: f64| match list
        .iter()
        .find(|(n, _)| *n == name)
    {
        Some((_, per_hour)) => hourly += per_hour * count,
        None => {
            let what = format!("{kind} {name}");
            if !unpriced.contains(&what) {
                unpriced.push(what);
            }
        }
    };
    let app = &spec.wordpress.instance_type;
    price(prices.ec2, "EC2", app, app_instances(spec) as f64);
    if spec.bastion.enabled {
        price(prices.ec2, "EC2", &spec.bastion.instance_type, 1.0);
    }
    let copies = if spec.database.multi_az { 2.0 } else { 1.0 };
    price(
        prices.rds_mysql,
        "RDS",
        &spec.database.instance_class,
        copies,
    );
    let zones = spec.network.availability_zones.as_ref().map_or(2, Vec::len);
    let nat_gateways = match spec.network.nat_gateways {
        NatMode::Single => 1,
        NatMode::OnePerAz => zones,
    };
    hourly += prices.nat_gateway * nat_gateways as f64;
    let storage = prices.db_storage_gib_month * spec.database.allocated_storage as f64 * copies;
    let waf = if spec.waf.enabled {
        prices.waf_web_acl_month + prices.waf_rule_month * WAF_RULES as f64
    } else {
        0.0
    };
    Some(Estimate {
        region: region.to_string(),
        monthly_usd: hourly * HOURS_PER_MONTH + storage + waf + alarms_month(spec),
        unpriced,
    })
}

/// The alarms' monthly price (the topic and e-mails stay in SNS's free tier).
pub fn alarms_month(spec: &StackSpec) -> f64 {
    crate::alarms::wanted_alarms(spec).len() as f64 * crate::alarms::ALARM_MONTH_USD
}

/// The app instances an estimate counts: the desired capacity when set, else the minimum the
/// group never goes below.
pub fn app_instances(spec: &StackSpec) -> i64 {
    spec.autoscaling
        .desired_capacity
        .unwrap_or(spec.autoscaling.min_size)
}

/// The monthly difference between two specs (either absent: no stack on that side).
pub fn delta(before: Option<&StackSpec>, after: Option<&StackSpec>) -> CostDelta {
    let region = before.or(after).and_then(region_of);
    let Some(region) = region else {
        return CostDelta::NoPrice {
            reason: "the stack's region is not known at plan time".to_string(),
        };
    };
    let side = |spec: Option<&StackSpec>| match spec {
        None => Some(Estimate {
            region: region.clone(),
            monthly_usd: 0.0,
            unpriced: Vec::new(),
        }),
        Some(spec) => estimate(spec, &region),
    };
    let (Some(old), Some(new)) = (side(before), side(after)) else {
        let covered: Vec<&str> = table::REGIONS.iter().map(|p| p.region).collect();
        return CostDelta::NoPrice {
            reason: format!(
                "no price for {region} (the table covers {})",
                covered.join(", ")
            ),
        };
    };
    let mut unpriced = old.unpriced;
    for part in new.unpriced {
        if !unpriced.contains(&part) {
            unpriced.push(part);
        }
    }
    if !unpriced.is_empty() {
        return CostDelta::NoPrice {
            reason: format!("no price for {} in {region}", unpriced.join(", ")),
        };
    }
    CostDelta::Priced {
        monthly_usd: new.monthly_usd - old.monthly_usd,
        region,
    }
}

/// `+$12.41/month`, `-$0.50/month`, `$0.00/month`.
pub fn format_monthly(usd: f64) -> String {
    let cents = (usd * 100.0).round() as i64;
    let sign = match cents {
        c if c > 0 => "+",
        c if c < 0 => "-",
        _ => "",
    };
    let cents = cents.abs();
    format!("{sign}${}.{:02}/month", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests;
