//! Conversions between tfplugin6 messages and the backend's values and diagnostics: every
//! problem becomes a diagnostic, never a gRPC error.

use crate::codec::{self, CodecError};
use crate::diagnostics::Diagnostic;
use crate::proto::tfplugin6 as pb;
use crate::value::{Type, Value};

use std::collections::{BTreeMap, HashMap};

use crate::schema::Schema;

use super::backend::{ClientCapabilities, ProviderBackend};

/// What this server tells clients it does. `get_provider_schema_optional`: the schema is fixed
/// per binary, so a client (Terraform 1.6+, OpenTofu 1.6+) may reuse a cached copy instead of
/// asking every process. No `move_resource_state` or `generate_resource_config`: those RPCs
/// answer "not supported".
pub(super) fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// The client's capabilities; a client that sends none (Terraform before 1.9) has none.
pub(super) fn capabilities(client: Option<&pb::ClientCapabilities>) -> ClientCapabilities {
    client.map_or_else(ClientCapabilities::default, |client| ClientCapabilities {
        deferral_allowed: client.deferral_allowed,
        write_only_attributes_allowed: client.write_only_attributes_allowed,
    })
}

pub(super) fn schema_response(
    backend: &dyn ProviderBackend,
    data_sources: &BTreeMap<String, Schema>,
    functions: &HashMap<String, pb::Function>,
) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(backend.provider_schema().to_proto()),
        resource_schemas: backend
            .resource_schemas()
            .iter()
            .map(|(name, schema)| (name.clone(), schema.to_proto()))
            .collect(),
        data_source_schemas: data_sources
            .iter()
            .map(|(name, schema)| (name.clone(), schema.to_proto()))
            .collect(),
        functions: functions.clone(),
        server_capabilities: Some(server_capabilities()),
        ..Default::default()
    }
}

pub(super) fn unsupported(feature: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{feature} not supported by this provider"),
        "This provider has no ephemeral resources and does not move state between resource \
         types.",
    )
}

pub(super) fn decode_failure(what: &str, err: &CodecError) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid {what} received from Terraform"),
        format!("The provider could not decode the {what}: {err}."),
    )
}

pub(super) fn encode_failure(what: &str, err: &CodecError) -> Diagnostic {
    Diagnostic::error(
        format!("Provider produced an invalid {what}"),
        format!(
            "The provider's {what} does not match its schema: {err}. \
             This is a bug in the provider; please report it."
        ),
    )
}

/// Decodes an optional DynamicValue; absent or empty means null.
pub(super) fn decode(
    dynamic: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    let Some(dynamic) = dynamic else {
        return Ok(Value::Null);
    };
    let decoded = if !dynamic.msgpack.is_empty() {
        codec::decode_msgpack(&dynamic.msgpack, ty)
    } else if !dynamic.json.is_empty() {
        codec::decode_json(&dynamic.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|err| decode_failure(what, &err))
}

/// Encodes a result; on failure adds a diagnostic and sends nothing.
pub(super) fn encode(
    value: &Value,
    ty: &Type,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<pb::DynamicValue> {
    match codec::encode_msgpack(value, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(err) => {
            diagnostics.push(encode_failure(what, &err));
            None
        }
    }
}

pub(super) fn decode_raw_state(
    raw: Option<&pb::RawState>,
    ty: &Type,
) -> Result<(Value, serde_json::Value), Diagnostic> {
    let json = raw.map(|raw| raw.json.as_slice()).unwrap_or_default();
    if json.is_empty() {
        let has_flatmap = raw.is_some_and(|raw| !raw.flatmap.is_empty());
        if has_flatmap {
            return Err(Diagnostic::error(
                "Legacy state format not supported",
                "The stored state uses the flatmap format of Terraform 0.11 and older; \
                 refresh it with a newer Terraform first.",
            ));
        }
        return Ok((Value::Null, serde_json::Value::Null));
    }
    let raw_json = serde_json::from_slice(json).map_err(|err| {
        decode_failure(
            "stored state",
            &CodecError::Malformed {
                format: "JSON",
                message: err.to_string(),
            },
        )
    })?;
    let state = codec::decode_json(json, ty).map_err(|err| decode_failure("stored state", &err))?;
    Ok((state, raw_json))
}

pub(super) fn upgrade_error(diagnostic: Diagnostic) -> pb::upgrade_resource_state::Response {
    pb::upgrade_resource_state::Response {
        upgraded_state: None,
        diagnostics: vec![diagnostic.to_proto()],
    }
}
