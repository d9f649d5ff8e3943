//! UpgradeResourceState, after `upgrade`, for attributes added since a state was written: Terraform reads a
//! missing attribute as null, and planning would then show every existing stack changing it
//! from null to its default. Each attribute absent from the stored JSON is filled with the
//! value such a state stands for (`AttrDef::legacy`, else its default), so an existing stack
//! plans no change until its configuration asks for one.

use serde_json::Value as Json;
use tfplugin::value::Value;

use super::planning::default_value;
use super::schema::{AttrDef, Nesting, ResourceDef};

/// `state` (decoded from `raw`) with every attribute `raw` lacks filled in.
pub fn fill_new_attributes(def: &ResourceDef, mut state: Value, raw: &Json) -> Value {
    if state.is_null() || !raw.is_object() {
        return state;
    }
    for attr in &def.attributes {
        if let Some(value) = missing_value(attr, raw) {
            state.set_attr(attr.name, value);
        }
    }
    for block in &def.blocks {
        let raw_block = &raw[block.name];
        // A group block added since: all of it stands for what such a state means.
        if block.nesting == Nesting::Group && raw.get(block.name).is_none() {
            let empty = Json::Object(serde_json::Map::new());
            let fields = block.attributes.iter().map(|attr| {
                let value = missing_value(attr, &empty).unwrap_or(Value::Null);
                (attr.name.to_string(), value)
            });
            state.set_attr(block.name, Value::object(fields.collect()));
            continue;
        }
        // An absent optional block stays absent; a group block is always stored.
        if !raw_block.is_object()
            || (block.nesting == Nesting::Single && state.attr(block.name).is_null())
        {
            continue;
        }
        let Some(stored) = state.attr_mut(block.name) else {
            continue;
        };
        for attr in &block.attributes {
            if let Some(value) = missing_value(attr, raw_block) {
                stored.set_attr(attr.name, value);
            }
        }
    }
    state
}

fn missing_value(attr: &AttrDef, raw: &Json) -> Option<Value> {
    if raw.get(attr.name).is_some() {
        return None;
    }
    attr.legacy.or(attr.default).map(default_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::schema;

    #[test]
    fn a_state_from_before_allow_overwrite_reads_as_false_and_keeps_what_it_has() {
        let def = schema::resource();
        let raw = serde_json::json!({
            "name": "blog",
            "dns": {"zone_id": "Z1", "record_name": "blog.example.com"},
            "storage": {"throughput_mode": "bursting"}
        });
        let state = Value::object_of([
            ("name", Value::from("blog")),
            (
                "dns",
                Value::object_of([
                    ("zone_id", Value::from("Z1")),
                    ("record_name", Value::from("blog.example.com")),
                    ("allow_overwrite", Value::Null),
                ]),
            ),
            (
                "storage",
                Value::object_of([("throughput_mode", Value::from("bursting"))]),
            ),
        ]);
        let upgraded = fill_new_attributes(&def, state, &raw);
        assert_eq!(
            upgraded.attr("dns").attr("allow_overwrite"),
            &Value::from(false)
        );
        assert_eq!(
            upgraded.attr("storage").attr("throughput_mode"),
            &Value::from("bursting")
        );
    }

    #[test]
    fn a_file_system_from_before_backups_reads_as_without_them() {
        // Earlier versions created file systems without automatic backups: the state says
        // so, and the next plan shows turning them on rather than claiming they are on.
        let def = schema::resource();
        let raw = serde_json::json!({"name": "blog", "storage": {"throughput_mode": "elastic"}});
        let state = Value::object_of([
            ("name", Value::from("blog")),
            (
                "storage",
                Value::object_of([("throughput_mode", Value::from("elastic"))]),
            ),
        ]);
        let upgraded = fill_new_attributes(&def, state, &raw);
        assert_eq!(
            upgraded.attr("storage").attr("backups"),
            &Value::from(false)
        );
    }

    #[test]
    fn a_state_from_before_the_waf_block_reads_as_no_waf() {
        let def = schema::resource();
        let raw = serde_json::json!({"name": "blog", "dns": null});
        let state = Value::object_of([("name", Value::from("blog")), ("waf", Value::Null)]);
        let upgraded = fill_new_attributes(&def, state, &raw);
        assert_eq!(upgraded.attr("waf").attr("enabled"), &Value::from(false));
        assert_eq!(
            upgraded.attr("waf").attr("rate_limit"),
            &Value::from(stack_model::spec::defaults::WAF_RATE_LIMIT)
        );
    }

    #[test]
    fn a_state_from_before_the_alarms_block_reads_as_no_alarms() {
        // As with the web ACL: alarms are on for new stacks only, an existing stack plans no
        // change until its configuration sets `enabled = true`.
        let def = schema::resource();
        let raw = serde_json::json!({"name": "blog", "dns": null});
        let state = Value::object_of([("name", Value::from("blog")), ("alarms", Value::Null)]);
        let upgraded = fill_new_attributes(&def, state, &raw);
        let alarms = upgraded.attr("alarms");
        assert_eq!(alarms.attr("enabled"), &Value::from(false));
        assert_eq!(
            alarms.attr("db_connections"),
            &Value::from(stack_model::alarms::defaults::DB_CONNECTIONS)
        );
        assert!(alarms.attr("topic_arn").is_null());
    }

    #[test]
    fn a_state_from_before_the_logs_block_reads_as_journal_only() {
        // Such a stack has no log group: its next plan shows no change until the
        // configuration turns logs on, as for the web ACL.
        let def = schema::resource();
        let raw = serde_json::json!({"name": "blog", "dns": null});
        let state = Value::object_of([("name", Value::from("blog")), ("logs", Value::Null)]);
        let upgraded = fill_new_attributes(&def, state, &raw);
        assert_eq!(upgraded.attr("logs").attr("enabled"), &Value::from(false));
        assert_eq!(
            upgraded.attr("logs").attr("retention_in_days"),
            &Value::from(stack_model::spec::defaults::LOGS_RETENTION_IN_DAYS)
        );
        assert!(upgraded.attr("logs").attr("kms_key_id").is_null());
    }

    #[test]
    fn an_absent_dns_block_stays_absent() {
        let def = schema::resource();
        let raw = serde_json::json!({"name": "blog", "dns": null});
        let state = Value::object_of([("name", Value::from("blog")), ("dns", Value::Null)]);
        let upgraded = fill_new_attributes(&def, state, &raw);
        assert!(upgraded.attr("dns").is_null());
    }
}
