//! Resource identities on the wire: the schemas GetResourceIdentitySchemas answers, identity
//! values decoded from requests and encoded into responses with each type's identity type,
//! and UpgradeResourceIdentity (one version so far: the stored JSON read as the current type).

use std::collections::BTreeMap;

use crate::codec;
use crate::diagnostics::{self, Diagnostic};
use crate::proto::tfplugin6 as pb;
use crate::resource_identity::IdentitySchema;
use crate::value::{Type, Value};

use super::wire::{decode_failure, encode};

pub(super) struct Identities {
    schemas: BTreeMap<String, IdentitySchema>,
    types: BTreeMap<String, Type>,
}

impl Identities {
    pub(super) fn new(schemas: BTreeMap<String, IdentitySchema>) -> Identities {
        let types = schemas
            .iter()
            .map(|(name, schema)| (name.clone(), schema.value_type()))
            .collect();
        Identities { schemas, types }
    }

    pub(super) fn schemas_response(&self) -> pb::get_resource_identity_schemas::Response {
        pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .schemas
                .iter()
                .map(|(name, schema)| (name.clone(), schema.to_proto()))
                .collect(),
            diagnostics: Vec::new(),
        }
    }

    /// The identity a request carries, decoded; `None` when absent (older clients) or when
    /// the type has no identity. A malformed one adds a diagnostic.
    pub(super) fn decode(
        &self,
        type_name: &str,
        data: Option<&pb::ResourceIdentityData>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        let ty = self.types.get(type_name)?;
        let dynamic = data?.identity_data.as_ref()?;
        match super::wire::decode(Some(dynamic), ty, "resource identity") {
            Ok(value) if value.is_null() => None,
            Ok(value) => Some(value),
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// The identity a response carries: only for types that declare one, only when known.
    pub(super) fn encode(
        &self,
        type_name: &str,
        identity: Option<&Value>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<pb::ResourceIdentityData> {
        let ty = self.types.get(type_name)?;
        let identity = identity.filter(|v| !v.is_null())?;
        let identity_data = encode(identity, ty, "resource identity", diagnostics)?;
        Some(pb::ResourceIdentityData {
            identity_data: Some(identity_data),
        })
    }

    pub(super) fn upgrade(
        &self,
        request: pb::upgrade_resource_identity::Request,
    ) -> pb::upgrade_resource_identity::Response {
        let failed = |diagnostic: Diagnostic| pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: diagnostics::to_proto_list(&[diagnostic]),
        };
        let (Some(schema), Some(ty)) = (
            self.schemas.get(&request.type_name),
            self.types.get(&request.type_name),
        ) else {
            return failed(Diagnostic::error(
                "Resource type has no identity",
                format!("{:?} declares no resource identity.", request.type_name),
            ));
        };
        if request.version > schema.version {
            return failed(Diagnostic::error(
                "Identity written by a newer provider",
                format!(
                    "This identity has version {}; this provider knows up to {}.",
                    request.version, schema.version
                ),
            ));
        }
        let json = request
            .raw_identity
            .as_ref()
            .map(|raw| raw.json.as_slice())
            .unwrap_or_default();
        let value = match codec::decode_json(json, ty) {
            Ok(value) => value,
            Err(err) => return failed(decode_failure("stored identity", &err)),
        };
        let mut diagnostics = Vec::new();
        let data = encode(&value, ty, "upgraded identity", &mut diagnostics);
        pb::upgrade_resource_identity::Response {
            upgraded_identity: data.map(|data| pb::ResourceIdentityData {
                identity_data: Some(data),
            }),
            diagnostics: diagnostics::to_proto_list(&diagnostics),
        }
    }
}
