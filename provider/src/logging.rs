//! Logs for Terraform: `tracing` events written to stderr as hclog JSON lines
//! (`{"@level":"info","@message":"...","@module":"provider.wordpress","key":"value"}`),
//! which Terraform parses and re-emits in its own log. `@timestamp` is written in the exact
//! layout go-plugin parses (`2006-01-02T15:04:05.000000Z07:00`); without it Terraform shows
//! a zero `timestamp=0001-01-01...` on every line.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (TRACE, DEBUG, INFO, WARN, ERROR;
//! JSON or an unrecognised value mean TRACE, as in Terraform). With neither set, nothing is
//! logged (Terraform would drop it anyway). The level applies to this workspace's crates;
//! dependencies (AWS SDK, hyper, h2...) log warnings only, or info at TRACE.
//!
//! Never log secrets: resource code must not put sensitive values in fields.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The `@module` of our log lines.
pub const MODULE: &str = "provider.wordpress";

/// The crates whose events are logged at the configured level.
const OWN_CRATES: &[&str] = &[
    "tfprovider",
    "terraform_provider_wordpress",
    "stack_core",
    "wordpress_core",
];

/// Installs the stderr logger if TF_LOG_PROVIDER/TF_LOG ask for logs. Safe to call twice.
pub fn init() {
    let provider_level = std::env::var("TF_LOG_PROVIDER").ok();
    let general_level = std::env::var("TF_LOG").ok();
    let Some(level) = level_from_env(provider_level.as_deref(), general_level.as_deref()) else {
        return;
    };
    let dependencies = if level == Level::TRACE {
        LevelFilter::INFO
    } else {
        LevelFilter::WARN
    };
    let targets = OWN_CRATES.iter().fold(
        Targets::new().with_default(dependencies),
        |targets, name| targets.with_target(*name, level),
    );
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(targets))
        .try_init();
}

/// The level Terraform asks for: `TF_LOG_PROVIDER` wins over `TF_LOG`; unset, empty or
/// "off" means no logs.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> Option<Level> {
    let setting = [tf_log_provider, tf_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|value| !value.is_empty())?;
    match setting.to_ascii_uppercase().as_str() {
        "OFF" => None,
        "ERROR" => Some(Level::ERROR),
        "WARN" => Some(Level::WARN),
        "INFO" => Some(Level::INFO),
        "DEBUG" => Some(Level::DEBUG),
        _ => Some(Level::TRACE),
    }
}

/// Formats one event as an hclog JSON line (without the newline).
pub fn hclog_line(
    level: &Level,
    message: &str,
    fields: &BTreeMap<String, serde_json::Value>,
    time: std::time::SystemTime,
) -> String {
    let mut object = serde_json::Map::new();
    for (name, value) in fields {
        object.insert(name.clone(), value.clone());
    }
    object.insert("@level".into(), level_name(level).into());
    // RFC 3339 in UTC with microseconds: "2026-01-02T15:04:05.123456Z".
    object.insert(
        "@timestamp".into(),
        humantime::format_rfc3339_micros(time).to_string().into(),
    );
    object.insert("@message".into(), message.into());
    object.insert("@module".into(), MODULE.into());
    serde_json::Value::Object(object).to_string()
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

struct HclogLayer;

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let mut visitor = FieldCollector::default();
        event.record(&mut visitor);
        let line = hclog_line(
            event.metadata().level(),
            &visitor.message,
            &visitor.fields,
            std::time::SystemTime::now(),
        );
        // One write per line so concurrent events never interleave.
        let _ = std::io::stderr()
            .lock()
            .write_all(format!("{line}\n").as_bytes());
    }
}

#[derive(Default)]
struct FieldCollector {
    message: String,
    fields: BTreeMap<String, serde_json::Value>,
}

impl FieldCollector {
    fn insert(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.insert(field, value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_level_wins_and_unset_means_off() {
        assert_eq!(level_from_env(None, None), None);
        assert_eq!(level_from_env(Some(""), None), None);
        assert_eq!(level_from_env(None, Some("off")), None);
        assert_eq!(level_from_env(None, Some("debug")), Some(Level::DEBUG));
        assert_eq!(
            level_from_env(Some("WARN"), Some("TRACE")),
            Some(Level::WARN)
        );
        assert_eq!(level_from_env(None, Some("JSON")), Some(Level::TRACE));
    }

    #[test]
    fn lines_are_hclog_json() {
        let fields = BTreeMap::from([
            ("stack".to_string(), serde_json::json!("blog")),
            ("attempt".to_string(), serde_json::json!(2)),
        ]);
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        let line = hclog_line(&Level::INFO, "created VPC", &fields, time);
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(parsed["@level"], "info");
        assert_eq!(parsed["@message"], "created VPC");
        assert_eq!(parsed["@module"], MODULE);
        assert_eq!(parsed["stack"], "blog");
        assert_eq!(parsed["attempt"], 2);
        assert_eq!(parsed["@timestamp"], "2023-11-14T22:13:20.123456Z");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn collector_separates_message_from_fields() {
        use tracing_subscriber::layer::SubscriberExt;
        let collected = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Capture(std::sync::Arc<std::sync::Mutex<Vec<(String, usize)>>>);
        impl<S: Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
                let mut visitor = FieldCollector::default();
                event.record(&mut visitor);
                if let Ok(mut events) = self.0.lock() {
                    events.push((visitor.message, visitor.fields.len()));
                }
            }
        }
        let subscriber = tracing_subscriber::registry().with(Capture(collected.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(vpc = "vpc-1", count = 3, "done");
        });
        let events = collected.lock().expect("lock").clone();
        assert_eq!(events, vec![("done".to_string(), 2)]);
    }
}
