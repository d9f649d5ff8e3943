//! Logs for Terraform: `tracing` events written to stderr as hclog JSON lines
//! (`{"@level":"info","@message":"...","@module":"provider.example","key":"value"}`),
//! which Terraform parses and re-emits in its own log. `@timestamp` is written in the exact
//! layout go-plugin parses (`2006-01-02T15:04:05.000000Z07:00`); without it Terraform shows
//! a zero `timestamp=0001-01-01...` on every line.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (TRACE, DEBUG, INFO, WARN, ERROR;
//! JSON or an unrecognised value mean TRACE, as in Terraform). With neither set, nothing is
//! logged (Terraform would drop it anyway). The level applies to this crate and the crates
//! the provider names in its [`ProviderIdentity`]; every other dependency (hyper, h2...) logs
//! warnings only, or info at TRACE.
//!
//! Never log secrets: resource code must not put sensitive values in fields.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::ProviderIdentity;

/// This crate's tracing target, always logged at the configured level.
const OWN_TARGET: &str = "tfplugin";

/// Installs the stderr logger if TF_LOG_PROVIDER/TF_LOG ask for logs. Safe to call twice.
pub fn init(identity: &ProviderIdentity) {
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
    let targets = std::iter::once(OWN_TARGET)
        .chain(identity.log_targets.iter().copied())
        .fold(
            Targets::new().with_default(dependencies),
            |targets, name| targets.with_target(name, level),
        );
    let _ = tracing_subscriber::registry()
        .with(HclogLayer::to_stderr(identity.log_module).with_filter(targets))
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
    module: &str,
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
    object.insert("@module".into(), module.into());
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

/// Writes events as hclog lines. Each line also carries the fields of the spans it happened
/// in (e.g. a span per resource operation with `resource = <name>`), so with several
/// resources in one configuration every line says which one it is about.
struct HclogLayer {
    /// hclog's `@module` of every line.
    module: &'static str,
    /// Where finished lines go: stderr, or a buffer in tests.
    write_line: Box<dyn Fn(&str) + Send + Sync>,
}

impl HclogLayer {
    fn to_stderr(module: &'static str) -> HclogLayer {
        HclogLayer {
            module,
            // One write per line so concurrent events never interleave.
            write_line: Box::new(|line| {
                let _ = std::io::stderr()
                    .lock()
                    .write_all(format!("{line}\n").as_bytes());
            }),
        }
    }
}

/// The fields a span was opened with, kept in its extensions for the events inside it.
struct SpanFields(BTreeMap<String, serde_json::Value>);

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut visitor = FieldCollector::default();
        attrs.record(&mut visitor);
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(SpanFields(visitor.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        let mut visitor = FieldCollector::default();
        // Outermost span first, so inner spans and then the event's own fields win.
        for span in context
            .event_scope(event)
            .into_iter()
            .flat_map(|s| s.from_root())
        {
            if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                visitor.fields.extend(fields.clone());
            }
        }
        event.record(&mut visitor);
        let line = hclog_line(
            self.module,
            event.metadata().level(),
            &visitor.message,
            &visitor.fields,
            std::time::SystemTime::now(),
        );
        (self.write_line)(&line);
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
    fn events_carry_the_fields_of_the_spans_they_happen_in() {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = lines.clone();
        let layer = HclogLayer {
            module: "provider.test",
            write_line: Box::new(move |line| sink.lock().expect("lock").push(line.to_string())),
        };
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("resource", resource = "blog", attempt = 1);
            let _outer = outer.enter();
            let inner = tracing::info_span!("step", attempt = 2);
            let _inner = inner.enter();
            tracing::info!(step = "network.create", "step done");
        });
        let lines = lines.lock().expect("lock");
        let parsed: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
        assert_eq!(parsed["@message"], "step done");
        assert_eq!(parsed["resource"], "blog");
        assert_eq!(parsed["attempt"], 2, "the inner span wins");
        assert_eq!(parsed["step"], "network.create");
    }

    #[test]
    fn lines_are_hclog_json() {
        let fields = BTreeMap::from([
            ("resource".to_string(), serde_json::json!("blog")),
            ("attempt".to_string(), serde_json::json!(2)),
        ]);
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        let line = hclog_line(
            "provider.test",
            &Level::INFO,
            "created network",
            &fields,
            time,
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(parsed["@level"], "info");
        assert_eq!(parsed["@message"], "created network");
        assert_eq!(parsed["@module"], "provider.test");
        assert_eq!(parsed["resource"], "blog");
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
            tracing::info!(id = "net-1", count = 3, "done");
        });
        let events = collected.lock().expect("lock").clone();
        assert_eq!(events, vec![("done".to_string(), 2)]);
    }
}
