//! The file system policy every stack's EFS carries: AWS's "enforce in-transit encryption for
//! all clients" (the EFS console's preset), that is EFS's default access through the mount
//! targets (mount, write, root) allowed, and every request without TLS denied. The stack's
//! instances mount with TLS (`core/model/src/userdata/boot.sh`).
//!
//! A policy of only the Deny would deny everything: once a file system has a policy, EFS
//! allows only what it allows, so the default access is spelled out beside the Deny.

use serde_json::{json, Value};

/// The policy document the stack puts on its file system.
pub fn tls_only_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": [
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientRootAccess",
                    "elasticfilesystem:ClientWrite"
                ],
                "Condition": { "Bool": { "elasticfilesystem:AccessedViaMountTarget": "true" } }
            },
            {
                "Effect": "Deny",
                "Principal": { "AWS": "*" },
                "Action": "*",
                "Condition": { "Bool": { "aws:SecureTransport": "false" } }
            }
        ]
    })
}

/// Whether `policy` (as EFS returns it) is the stack's, whatever its layout, ids and
/// spelling of single values.
pub fn is_tls_only(policy: &str) -> bool {
    serde_json::from_str::<Value>(policy)
        .map(|found| normalized(&found) == normalized(&tls_only_policy()))
        .unwrap_or(false)
}

/// The document with ids dropped, `"*"` principals spelled `{"AWS": ["*"]}`, single values
/// as one-element lists, lists sorted, and statements in a stable order.
fn normalized(policy: &Value) -> Value {
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    let mut statements: Vec<Value> = statements.iter().map(normalized_statement).collect();
    statements.sort_by_key(Value::to_string);
    json!({ "Version": policy.get("Version").cloned().unwrap_or(Value::Null), "Statement": statements })
}

fn normalized_statement(statement: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (key, value) in statement.as_object().into_iter().flatten() {
        let value = match key.as_str() {
            "Sid" => continue,
            "Principal" if value == "*" => json!({ "AWS": ["*"] }),
            "Principal" => match value.as_object() {
                Some(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), as_sorted_list(v)))
                        .collect(),
                ),
                None => value.clone(),
            },
            "Action" | "NotAction" | "Resource" => as_sorted_list(value),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

fn as_sorted_list(value: &Value) -> Value {
    let mut items: Vec<Value> = match value {
        Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    items.sort_by_key(Value::to_string);
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_reads_back_as_the_stacks_in_any_layout() {
        let sent = tls_only_policy().to_string();
        assert!(is_tls_only(&sent));
        let reformatted = r#"{"Version":"2012-10-17","Id":"efs-policy","Statement":[
            {"Sid":"deny","Effect":"Deny","Principal":"*","Action":["*"],
             "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
            {"Sid":"allow","Effect":"Allow","Principal":{"AWS":"*"},
             "Action":["elasticfilesystem:ClientWrite","elasticfilesystem:ClientMount","elasticfilesystem:ClientRootAccess"],
             "Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}}}]}"#;
        assert!(is_tls_only(reformatted));
    }

    #[test]
    fn a_policy_without_the_deny_or_with_more_is_not_the_stacks() {
        let mut only_allow = tls_only_policy();
        only_allow["Statement"].as_array_mut().unwrap().pop();
        assert!(!is_tls_only(&only_allow.to_string()));
        let mut wider = tls_only_policy();
        wider["Statement"][0]["Condition"] = json!({});
        assert!(!is_tls_only(&wider.to_string()));
        assert!(!is_tls_only("not json"));
    }
}
