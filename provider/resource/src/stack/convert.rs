//! Terraform values ⇄ the core's `StackSpec` / `StackState`.
//!
//! Reading is lenient about what planning has not resolved yet: a null attribute takes the
//! spec's default and an unknown one is recorded in `Unresolved` so validation can skip it.

use std::collections::{BTreeMap, BTreeSet};

use stack_model::error::{FieldPath, SpecError};
use stack_model::spec::{
    DnsSpec, LogsSpec, NatMode, Secret, SiteSpec, StackSpec, Timeouts, WafSpec,
};
use stack_model::state::{StackOutputs, StackState};
use tfplugin::value::Value;

/// The alarms block, in its own file.
mod alarms;

/// Paths (`block.attribute`) whose value was unknown when the spec was read.
#[derive(Debug, Default)]
pub struct Unresolved(BTreeSet<String>);

impl Unresolved {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// True when an error at `path` concerns a value not known yet.
    pub fn covers(&self, path: &FieldPath) -> bool {
        let text = path.to_string();
        self.0.iter().any(|u| {
            text == *u || text.starts_with(&format!("{u}.")) || text.starts_with(&format!("{u}["))
        })
    }
}

/// A reader over one object value that records unknowns and type mismatches.
struct Reader<'a> {
    value: &'a Value,
    prefix: String,
    unresolved: &'a mut Unresolved,
    errors: &'a mut Vec<SpecError>,
}

impl<'a> Reader<'a> {
    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn field_path(&self, name: &str) -> FieldPath {
        let mut path = FieldPath::root();
        for part in self.prefix.split('.').filter(|p| !p.is_empty()) {
            path = path.attr(part);
        }
        path.attr(name)
    }

    /// The attribute's value, `None` when null or unknown (unknown is recorded).
    fn known(&mut self, name: &str) -> Option<&'a Value> {
        let v = self.value.attr(name);
        if v.is_unknown() || !v.is_wholly_known() {
            let path = self.path(name);
            self.unresolved.0.insert(path);
            return None;
        }
        (!v.is_null()).then_some(v)
    }

    fn string(&mut self, name: &str) -> Option<String> {
        self.known(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }

    fn string_or(&mut self, name: &str, default: &str) -> String {
        self.string(name).unwrap_or_else(|| default.to_string())
    }

    fn int(&mut self, name: &str) -> Option<i64> {
        let v = self.known(name)?;
        match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(n as i64),
            Some(_) => {
                let path = self.field_path(name);
                self.errors.push(SpecError::new(
                    path,
                    "must be a whole number",
                    "Use an integer value, without a fractional part.",
                ));
                None
            }
            None => None,
        }
    }

    fn int_or(&mut self, name: &str, default: i64) -> i64 {
        self.int(name).unwrap_or(default)
    }

    fn float(&mut self, name: &str) -> Option<f64> {
        self.known(name).and_then(|v| v.as_f64())
    }

    fn bool_or(&mut self, name: &str, default: bool) -> bool {
        self.known(name)
            .and_then(|v| v.as_bool())
            .unwrap_or(default)
    }

    fn strings(&mut self, name: &str) -> Option<Vec<String>> {
        let list = self.known(name)?.as_list()?;
        Some(
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        )
    }

    fn string_map(&mut self, name: &str) -> BTreeMap<String, String> {
        let Some(map) = self.known(name).and_then(|v| v.as_map()) else {
            return BTreeMap::new();
        };
        map.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    }

    fn block(&mut self, name: &str) -> Reader<'_> {
        let value = self.value.attr(name);
        Reader {
            value,
            prefix: self.path(name),
            unresolved: self.unresolved,
            errors: self.errors,
        }
    }
}

/// Build the spec from a configuration or planned value. Errors are type-level problems
/// (fractional counts, malformed durations); rule checks belong to `stack_model::validate`.
pub fn spec_from_value(value: &Value) -> (StackSpec, Unresolved, Vec<SpecError>) {
    let mut unresolved = Unresolved::default();
    let mut errors = Vec::new();
    let spec = {
        let mut top = Reader {
            value,
            prefix: String::new(),
            unresolved: &mut unresolved,
            errors: &mut errors,
        };
        read_spec(&mut top)
    };
    (spec, unresolved, errors)
}

fn read_spec(top: &mut Reader<'_>) -> StackSpec {
    use stack_model::spec::defaults as d;
    let mut spec = StackSpec::with_name(top.string("name").unwrap_or_default());
    spec.tags = top.string_map("tags");

    let mut b = top.block("network");
    spec.network.vpc_cidr = b.string_or("vpc_cidr", d::VPC_CIDR);
    spec.network.availability_zones = b.strings("availability_zones");
    let nat = b.string_or("nat_gateways", d::NAT_GATEWAYS);
    spec.network.nat_gateways = match NatMode::parse(&nat) {
        Some(mode) => mode,
        None => {
            let path = b.field_path("nat_gateways");
            b.errors.push(SpecError::new(
                path,
                format!("unknown NAT mode {nat:?}"),
                format!("Use one of: {}.", NatMode::ALL.join(", ")),
            ));
            NatMode::OnePerAz
        }
    };

    let mut b = top.block("bastion");
    spec.bastion.enabled = b.bool_or("enabled", d::BASTION_ENABLED);
    spec.bastion.instance_type = b.string_or("instance_type", d::BASTION_INSTANCE_TYPE);
    spec.bastion.allowed_ssh_cidrs = b.strings("allowed_ssh_cidrs").unwrap_or_default();
    spec.bastion.key_name = b.string("key_name");
    spec.bastion.ami_id = b.string("ami_id");

    let mut b = top.block("wordpress");
    spec.wordpress.image = b.string_or("image", d::WORDPRESS_IMAGE);
    spec.wordpress.instance_type = b.string_or("instance_type", d::WORDPRESS_INSTANCE_TYPE);
    spec.wordpress.ami_id = b.string("ami_id");
    spec.wordpress.key_name = b.string("key_name");
    spec.wordpress.config_extra = b.string("config_extra");

    let mut b = top.block("site");
    spec.site = SiteSpec {
        title: b.string_or("title", d::SITE_TITLE),
        admin_user: b.string_or("admin_user", d::SITE_ADMIN_USER),
        admin_email: b.string("admin_email"),
    };

    let mut b = top.block("autoscaling");
    spec.autoscaling.min_size = b.int_or("min_size", d::MIN_SIZE);
    spec.autoscaling.max_size = b.int_or("max_size", d::MAX_SIZE);
    spec.autoscaling.desired_capacity = b.int("desired_capacity");
    spec.autoscaling.target_cpu_utilization = b
        .float("target_cpu_utilization")
        .unwrap_or(d::TARGET_CPU_UTILIZATION);
    spec.autoscaling.health_check_grace_period =
        b.int_or("health_check_grace_period", d::HEALTH_CHECK_GRACE_PERIOD);

    let mut b = top.block("database");
    let db = &mut spec.database;
    db.instance_class = b.string_or("instance_class", d::DB_INSTANCE_CLASS);
    db.engine_version = b.string_or("engine_version", d::DB_ENGINE_VERSION);
    db.allocated_storage = b.int_or("allocated_storage", d::DB_ALLOCATED_STORAGE);
    db.max_allocated_storage = b.int_or("max_allocated_storage", d::DB_MAX_ALLOCATED_STORAGE);
    db.multi_az = b.bool_or("multi_az", d::DB_MULTI_AZ);
    db.db_name = b.string_or("db_name", d::DB_NAME);
    db.username = b.string_or("username", d::DB_USERNAME);
    db.password = b.string("password").map(Secret::new);
    db.backup_retention_days = b.int_or("backup_retention_days", d::DB_BACKUP_RETENTION_DAYS);
    db.deletion_protection = b.bool_or("deletion_protection", d::DB_DELETION_PROTECTION);
    db.skip_final_snapshot = b.bool_or("skip_final_snapshot", d::DB_SKIP_FINAL_SNAPSHOT);
    db.snapshot_identifier = b.string("snapshot_identifier");

    let mut b = top.block("storage");
    spec.storage.throughput_mode = b.string_or("throughput_mode", d::EFS_THROUGHPUT_MODE);
    spec.storage.provisioned_throughput_mibps = b.float("provisioned_throughput_mibps");
    spec.storage.performance_mode = b.string_or("performance_mode", d::EFS_PERFORMANCE_MODE);
    spec.storage.backups = b.bool_or("backups", d::EFS_BACKUPS);

    let mut b = top.block("load_balancer");
    spec.load_balancer.certificate_arn = b.string("certificate_arn");
    spec.load_balancer.health_check_path = b.string_or("health_check_path", d::HEALTH_CHECK_PATH);
    spec.load_balancer.idle_timeout = b.int_or("idle_timeout", d::IDLE_TIMEOUT);
    spec.load_balancer.deregistration_delay =
        b.int_or("deregistration_delay", d::DEREGISTRATION_DELAY);

    if top.known("dns").is_some() {
        let mut b = top.block("dns");
        spec.dns = Some(DnsSpec {
            zone_id: b.string("zone_id").unwrap_or_default(),
            record_name: b.string("record_name").unwrap_or_default(),
            allow_overwrite: b.bool_or("allow_overwrite", d::DNS_ALLOW_OVERWRITE),
        });
    }

    let mut b = top.block("waf");
    spec.waf = WafSpec {
        enabled: b.bool_or("enabled", d::WAF_ENABLED),
        rate_limit: b.int_or("rate_limit", d::WAF_RATE_LIMIT),
    };
    spec.alarms = alarms::read(top);

    let mut b = top.block("logs");
    spec.logs = LogsSpec {
        enabled: b.bool_or("enabled", d::LOGS_ENABLED),
        retention_in_days: b.int_or("retention_in_days", d::LOGS_RETENTION_IN_DAYS),
        kms_key_id: b.string("kms_key_id"),
    };

    if top.known("timeouts").is_some() {
        let mut b = top.block("timeouts");
        spec.timeouts = Timeouts {
            create: duration(&mut b, "create"),
            update: duration(&mut b, "update"),
            delete: duration(&mut b, "delete"),
        };
    }
    spec
}

fn duration(block: &mut Reader<'_>, name: &str) -> Option<std::time::Duration> {
    let text = block.string(name)?;
    match stack_model::validate::parse_duration(&text) {
        Ok(d) => Some(d),
        Err(why) => {
            let path = block.field_path(name);
            block.errors.push(SpecError::new(
                path,
                format!("invalid duration {text:?}: {why}"),
                "Write a duration such as \"30s\", \"45m\" or \"1h30m\".",
            ));
            None
        }
    }
}

/// The full state value of a stack: the spec's attributes, then every computed output.
pub fn state_value(state: &StackState, timeouts: &Value) -> Value {
    let spec = &state.spec;
    let out = &state.outputs;
    let mut top = spec_attributes(spec);
    top.insert("timeouts".into(), timeouts.clone());
    top.insert("id".into(), Value::from(&spec.name));
    top.insert("resources".into(), string_map(&state.resources));
    // Describes a plan, not AWS: nothing to observe.
    top.insert(super::schema::PLANNED_CHANGES.into(), Value::Null);
    for (name, value) in output_values(out) {
        top.insert(name.into(), value);
    }
    Value::object(top)
}

/// Computed outputs by attribute name, null where the stack has none.
pub fn output_values(out: &StackOutputs) -> Vec<(&'static str, Value)> {
    use stack_model::plan::output as o;
    vec![
        (o::URL, opt_string(&out.url)),
        (o::ALB_DNS_NAME, opt_string(&out.alb_dns_name)),
        (o::ALB_ZONE_ID, opt_string(&out.alb_zone_id)),
        (o::VPC_ID, opt_string(&out.vpc_id)),
        (o::PUBLIC_SUBNET_IDS, string_list(&out.public_subnet_ids)),
        (o::PRIVATE_SUBNET_IDS, string_list(&out.private_subnet_ids)),
        (o::NAT_GATEWAY_IDS, string_list(&out.nat_gateway_ids)),
        (o::BASTION_PUBLIC_IP, opt_string(&out.bastion_public_ip)),
        (o::EFS_ID, opt_string(&out.efs_id)),
        (o::DB_ENDPOINT, opt_string(&out.db_endpoint)),
        (o::DB_ADDRESS, opt_string(&out.db_address)),
        (o::ASG_NAME, opt_string(&out.asg_name)),
        (o::LAUNCH_TEMPLATE_ID, opt_string(&out.launch_template_id)),
        (
            o::LAUNCH_TEMPLATE_VERSION,
            out.launch_template_version
                .map(Value::from)
                .unwrap_or(Value::Null),
        ),
        (o::SECURITY_GROUP_IDS, string_map(&out.security_group_ids)),
    ]
}

/// Outputs read back from a state value (the inverse of `output_values`).
pub fn outputs_from_value(value: &Value) -> StackOutputs {
    let s = |name: &str| value.attr(name).as_str().map(str::to_string);
    let list = |name: &str| {
        value
            .attr(name)
            .as_list()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    StackOutputs {
        url: s("url"),
        alb_dns_name: s("alb_dns_name"),
        alb_zone_id: s("alb_zone_id"),
        vpc_id: s("vpc_id"),
        public_subnet_ids: list("public_subnet_ids"),
        private_subnet_ids: list("private_subnet_ids"),
        nat_gateway_ids: list("nat_gateway_ids"),
        bastion_public_ip: s("bastion_public_ip"),
        efs_id: s("efs_id"),
        db_endpoint: s("db_endpoint"),
        db_address: s("db_address"),
        asg_name: s("asg_name"),
        launch_template_id: s("launch_template_id"),
        launch_template_version: value
            .attr("launch_template_version")
            .as_f64()
            .map(|n| n as i64),
        security_group_ids: string_map_from(value.attr("security_group_ids")),
    }
}

pub fn string_map_from(value: &Value) -> BTreeMap<String, String> {
    value
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The configurable attributes of `spec` (no timeouts, no computed outputs).
fn spec_attributes(spec: &StackSpec) -> BTreeMap<String, Value> {
    let mut top = BTreeMap::new();
    top.insert("name".into(), Value::from(&spec.name));
    top.insert(
        "tags".into(),
        if spec.tags.is_empty() {
            Value::Null
        } else {
            string_map(&spec.tags)
        },
    );
    let n = &spec.network;
    top.insert(
        "network".into(),
        object([
            ("vpc_cidr", Value::from(&n.vpc_cidr)),
            (
                "availability_zones",
                n.availability_zones
                    .as_deref()
                    .map(string_list)
                    .unwrap_or(Value::Null),
            ),
            ("nat_gateways", Value::from(n.nat_gateways.as_str())),
        ]),
    );
    let b = &spec.bastion;
    top.insert(
        "bastion".into(),
        object([
            ("enabled", Value::from(b.enabled)),
            ("instance_type", Value::from(&b.instance_type)),
            ("allowed_ssh_cidrs", string_list(&b.allowed_ssh_cidrs)),
            ("key_name", opt_string(&b.key_name)),
            ("ami_id", opt_string(&b.ami_id)),
        ]),
    );
    let w = &spec.wordpress;
    top.insert(
        "wordpress".into(),
        object([
            ("image", Value::from(&w.image)),
            ("instance_type", Value::from(&w.instance_type)),
            ("ami_id", opt_string(&w.ami_id)),
            ("key_name", opt_string(&w.key_name)),
            ("config_extra", opt_string(&w.config_extra)),
        ]),
    );
    let a = &spec.autoscaling;
    top.insert(
        "autoscaling".into(),
        object([
            ("min_size", Value::from(a.min_size)),
            ("max_size", Value::from(a.max_size)),
            (
                "desired_capacity",
                a.desired_capacity.map(Value::from).unwrap_or(Value::Null),
            ),
            (
                "target_cpu_utilization",
                Value::from(a.target_cpu_utilization),
            ),
            (
                "health_check_grace_period",
                Value::from(a.health_check_grace_period),
            ),
        ]),
    );
    let d = &spec.database;
    top.insert(
        "database".into(),
        object([
            ("instance_class", Value::from(&d.instance_class)),
            ("engine_version", Value::from(&d.engine_version)),
            ("allocated_storage", Value::from(d.allocated_storage)),
            (
                "max_allocated_storage",
                Value::from(d.max_allocated_storage),
            ),
            ("multi_az", Value::from(d.multi_az)),
            ("db_name", Value::from(&d.db_name)),
            ("username", Value::from(&d.username)),
            // The effective password (generated, or read back from the secret) never goes to
            // Terraform: the state keeps only what the configuration wrote, which planning
            // and a refresh carry over from the plan or the prior state.
            ("password", Value::Null),
            ("password_wo", Value::Null),
            ("password_wo_version", Value::Null),
            (
                "backup_retention_days",
                Value::from(d.backup_retention_days),
            ),
            ("deletion_protection", Value::from(d.deletion_protection)),
            ("skip_final_snapshot", Value::from(d.skip_final_snapshot)),
            ("snapshot_identifier", opt_string(&d.snapshot_identifier)),
        ]),
    );
    let s = &spec.storage;
    top.insert(
        "storage".into(),
        object([
            ("throughput_mode", Value::from(&s.throughput_mode)),
            (
                "provisioned_throughput_mibps",
                s.provisioned_throughput_mibps
                    .map(Value::from)
                    .unwrap_or(Value::Null),
            ),
            ("performance_mode", Value::from(&s.performance_mode)),
            ("backups", Value::from(s.backups)),
        ]),
    );
    let l = &spec.load_balancer;
    top.insert(
        "load_balancer".into(),
        object([
            ("certificate_arn", opt_string(&l.certificate_arn)),
            ("health_check_path", Value::from(&l.health_check_path)),
            ("idle_timeout", Value::from(l.idle_timeout)),
            ("deregistration_delay", Value::from(l.deregistration_delay)),
        ]),
    );
    top.insert(
        "dns".into(),
        match &spec.dns {
            Some(dns) => object([
                ("zone_id", Value::from(&dns.zone_id)),
                ("record_name", Value::from(&dns.record_name)),
                ("allow_overwrite", Value::from(dns.allow_overwrite)),
            ]),
            None => Value::Null,
        },
    );
    top.insert(
        "site".into(),
        object([
            ("title", Value::from(spec.site.title.as_str())),
            ("admin_user", Value::from(spec.site.admin_user.as_str())),
            ("admin_email", opt_string(&spec.site.admin_email)),
        ]),
    );
    top.insert(
        "waf".into(),
        object([
            ("enabled", Value::from(spec.waf.enabled)),
            ("rate_limit", Value::from(spec.waf.rate_limit)),
        ]),
    );
    top.insert("alarms".into(), alarms::value(&spec.alarms));
    top.insert(
        "logs".into(),
        object([
            ("enabled", Value::from(spec.logs.enabled)),
            (
                "retention_in_days",
                Value::from(spec.logs.retention_in_days),
            ),
            (
                "kms_key_id",
                spec.logs
                    .kms_key_id
                    .as_ref()
                    .map_or(Value::Null, Value::from),
            ),
        ]),
    );
    top
}

/// A state value for a stack whose spec was observed in AWS (import): every attribute from the
/// spec, timeouts null.
pub fn imported_state_value(state: &StackState) -> Value {
    state_value(state, &Value::Null)
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::object_of(fields)
}

fn opt_string(value: &Option<String>) -> Value {
    value.as_deref().map(Value::from).unwrap_or(Value::Null)
}

fn string_list(items: &[String]) -> Value {
    Value::list(items.iter().map(String::as_str))
}

pub fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::map(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}
