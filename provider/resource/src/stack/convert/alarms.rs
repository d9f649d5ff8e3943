//! The `alarms` block between Terraform values and `AlarmsSpec`.

use stack_model::alarms::{defaults as d, AlarmsSpec};
use tfplugin::value::Value;

use super::{object, opt_string, string_list, Reader};

/// The block as the spec reads it (an absent block is its defaults).
pub(super) fn read(top: &mut Reader<'_>) -> AlarmsSpec {
    let mut b = top.block("alarms");
    AlarmsSpec {
        enabled: b.bool_or("enabled", d::ENABLED),
        topic_arn: b.string("topic_arn"),
        email_addresses: b.strings("email_addresses").unwrap_or_default(),
        http_5xx_threshold: b.int_or("http_5xx_threshold", d::HTTP_5XX_THRESHOLD),
        db_cpu_percent: b.int_or("db_cpu_percent", d::DB_CPU_PERCENT),
        db_free_storage_gib: b.int_or("db_free_storage_gib", d::DB_FREE_STORAGE_GIB),
        db_connections: b.int_or("db_connections", d::DB_CONNECTIONS),
        efs_io_limit_percent: b.int_or("efs_io_limit_percent", d::EFS_IO_LIMIT_PERCENT),
    }
}

/// The block's state value.
pub(super) fn value(a: &AlarmsSpec) -> Value {
    object([
        ("enabled", Value::from(a.enabled)),
        ("topic_arn", opt_string(&a.topic_arn)),
        ("email_addresses", string_list(&a.email_addresses)),
        ("http_5xx_threshold", Value::from(a.http_5xx_threshold)),
        ("db_cpu_percent", Value::from(a.db_cpu_percent)),
        ("db_free_storage_gib", Value::from(a.db_free_storage_gib)),
        ("db_connections", Value::from(a.db_connections)),
        ("efs_io_limit_percent", Value::from(a.efs_io_limit_percent)),
    ])
}
