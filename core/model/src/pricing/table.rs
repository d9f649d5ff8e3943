//! On-demand prices, in US dollars per hour (per GiB-month for database storage), of what a
//! stack runs, in the regions the table covers. Elsewhere, and for a type not listed, the
//! review says "no price" rather than guessing.
//!
//! Refresh it from the AWS price pages (EC2 On-Demand, Linux; RDS for MySQL, Single-AZ;
//! VPC NAT gateway; Elastic Load Balancing; AWS WAF; Amazon CloudWatch) and move `AS_OF` with it.

/// The day the prices below were read.
pub const AS_OF: &str = "2025-06-01";

/// The prices of one region.
pub struct RegionPrices {
    pub region: &'static str,
    /// Per NAT gateway-hour (data processing excluded).
    pub nat_gateway: f64,
    /// Per Application Load Balancer-hour (LCUs excluded).
    pub load_balancer: f64,
    /// Per GiB-month of RDS gp3 storage, Single-AZ.
    pub db_storage_gib_month: f64,
    /// EC2 instance type → per hour.
    pub ec2: &'static [(&'static str, f64)],
    /// RDS for MySQL instance class → per hour, Single-AZ (Multi-AZ costs twice as much).
    pub rds_mysql: &'static [(&'static str, f64)],
    /// AWS WAF: per web ACL-month, and per rule-month (a managed rule group counts as one
    /// rule); requests are billed on top ([`WAF_PER_MILLION_REQUESTS`]).
    pub waf_web_acl_month: f64,
    pub waf_rule_month: f64,
}

/// AWS WAF's price per million requests inspected (usage-billed: not in an estimate).
pub const WAF_PER_MILLION_REQUESTS: f64 = 0.60;

/// CloudWatch Logs (us-east-1, Standard class): per GB ingested and per GB-month stored. The
/// log group itself costs nothing; what the instances write is billed by use, so it is not in
/// an estimate (the `logs` block's docs quote these).
pub const LOGS_PER_GB_INGESTED: f64 = 0.50;
pub const LOGS_PER_GB_MONTH_STORED: f64 = 0.03;

const US_EC2: &[(&str, f64)] = &[
    ("t3.nano", 0.0052),
    ("t3.micro", 0.0104),
    ("t3.small", 0.0208),
    ("t3.medium", 0.0416),
    ("t3.large", 0.0832),
    ("t3.xlarge", 0.1664),
    ("t3.2xlarge", 0.3328),
    ("t3a.micro", 0.0094),
    ("t3a.small", 0.0188),
    ("t3a.medium", 0.0376),
    ("t4g.nano", 0.0042),
    ("t4g.micro", 0.0084),
    ("t4g.small", 0.0168),
    ("t4g.medium", 0.0336),
    ("t4g.large", 0.0672),
    ("t4g.xlarge", 0.1344),
    ("m5.large", 0.096),
    ("m6i.large", 0.096),
    ("m6g.large", 0.077),
    ("m7g.large", 0.0816),
    ("c5.large", 0.085),
    ("c6i.large", 0.085),
];

const US_RDS: &[(&str, f64)] = &[
    ("db.t3.micro", 0.017),
    ("db.t3.small", 0.034),
    ("db.t3.medium", 0.068),
    ("db.t3.large", 0.136),
    ("db.t4g.micro", 0.016),
    ("db.t4g.small", 0.032),
    ("db.t4g.medium", 0.065),
    ("db.t4g.large", 0.129),
    ("db.m5.large", 0.171),
    ("db.m6i.large", 0.171),
    ("db.m6g.large", 0.152),
    ("db.r5.large", 0.25),
    ("db.r6g.large", 0.225),
];

pub const REGIONS: &[RegionPrices] = &[
    RegionPrices {
        region: "us-east-1",
        nat_gateway: 0.045,
        load_balancer: 0.0225,
        db_storage_gib_month: 0.115,
        ec2: US_EC2,
        rds_mysql: US_RDS,
        waf_web_acl_month: 5.0,
        waf_rule_month: 1.0,
    },
    RegionPrices {
        region: "us-west-2",
        nat_gateway: 0.045,
        load_balancer: 0.0225,
        db_storage_gib_month: 0.115,
        ec2: US_EC2,
        rds_mysql: US_RDS,
        waf_web_acl_month: 5.0,
        waf_rule_month: 1.0,
    },
    RegionPrices {
        region: "eu-west-1",
        nat_gateway: 0.048,
        load_balancer: 0.0252,
        db_storage_gib_month: 0.127,
        ec2: &[
            ("t3.nano", 0.0057),
            ("t3.micro", 0.0114),
            ("t3.small", 0.0228),
            ("t3.medium", 0.0456),
            ("t3.large", 0.0912),
            ("t3.xlarge", 0.1824),
            ("t3a.micro", 0.0102),
            ("t3a.small", 0.0204),
            ("t3a.medium", 0.0408),
            ("t4g.nano", 0.0046),
            ("t4g.micro", 0.0092),
            ("t4g.small", 0.0184),
            ("t4g.medium", 0.0368),
            ("t4g.large", 0.0736),
            ("t4g.xlarge", 0.1472),
            ("m5.large", 0.107),
            ("m6i.large", 0.107),
            ("m6g.large", 0.086),
            ("c5.large", 0.096),
            ("c6i.large", 0.096),
        ],
        rds_mysql: &[
            ("db.t3.micro", 0.018),
            ("db.t3.small", 0.036),
            ("db.t3.medium", 0.072),
            ("db.t3.large", 0.144),
            ("db.t4g.micro", 0.017),
            ("db.t4g.small", 0.034),
            ("db.t4g.medium", 0.068),
            ("db.t4g.large", 0.136),
            ("db.m5.large", 0.19),
            ("db.m6g.large", 0.168),
        ],
        waf_web_acl_month: 5.0,
        waf_rule_month: 1.0,
    },
    RegionPrices {
        region: "eu-central-1",
        nat_gateway: 0.052,
        load_balancer: 0.027,
        db_storage_gib_month: 0.133,
        ec2: &[
            ("t3.nano", 0.006),
            ("t3.micro", 0.012),
            ("t3.small", 0.024),
            ("t3.medium", 0.048),
            ("t3.large", 0.096),
            ("t3.xlarge", 0.192),
            ("t4g.nano", 0.0048),
            ("t4g.micro", 0.0096),
            ("t4g.small", 0.0192),
            ("t4g.medium", 0.0384),
            ("t4g.large", 0.0768),
            ("t4g.xlarge", 0.1536),
            ("m5.large", 0.115),
            ("m6i.large", 0.115),
            ("c5.large", 0.097),
        ],
        rds_mysql: &[
            ("db.t3.micro", 0.02),
            ("db.t3.small", 0.04),
            ("db.t3.medium", 0.08),
            ("db.t3.large", 0.16),
            ("db.t4g.micro", 0.018),
            ("db.t4g.small", 0.036),
            ("db.t4g.medium", 0.073),
            ("db.t4g.large", 0.146),
        ],
        waf_web_acl_month: 5.0,
        waf_rule_month: 1.0,
    },
];
