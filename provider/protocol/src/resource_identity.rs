//! Resource identity (protocol 6.9, Terraform 1.12+): a small versioned object that names one
//! remote object for ever, stored beside the state and usable to import it. Clients that do
//! not know identities never send or receive one.

use crate::proto::tfplugin6 as pb;
use crate::value::Type;

/// One identity attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    /// An import by identity must give it.
    pub required_for_import: bool,
    /// An import by identity may leave it out (the provider knows it, e.g. the region).
    pub optional_for_import: bool,
}

impl IdentityAttribute {
    pub fn required(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        IdentityAttribute {
            name: name.into(),
            ty,
            description: description.into(),
            required_for_import: true,
            optional_for_import: false,
        }
    }

    pub fn optional(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        IdentityAttribute {
            required_for_import: false,
            optional_for_import: true,
            ..IdentityAttribute::required(name, ty, description)
        }
    }
}

/// A resource type's identity: its version and attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The object type identity values have.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.clone(),
                    r#type: a.ty.to_json_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: a.optional_for_import,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}
