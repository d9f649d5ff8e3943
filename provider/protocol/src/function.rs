//! Provider-defined functions (protocol 6.5+, Terraform 1.8+, OpenTofu 1.7+): their
//! signatures as the provider declares them, and the error a call reports.
//!
//! Functions are offline and deterministic: Terraform may call them on an unconfigured
//! provider (validation, `terraform console`), OpenTofu on the configured one.

use crate::proto::tfplugin6 as pb;
use crate::value::Type;

/// One positional parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    pub description: String,
    /// Terraform passes null arguments through instead of refusing them.
    pub allow_null: bool,
}

impl Parameter {
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Parameter {
        Parameter {
            name: name.into(),
            ty,
            description: description.into(),
            allow_null: false,
        }
    }

    fn to_proto(&self) -> pb::function::Parameter {
        pb::function::Parameter {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            allow_null_value: self.allow_null,
            // Unknown arguments never reach the provider: Terraform answers unknown itself.
            allow_unknown_values: false,
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
        }
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub parameters: Vec<Parameter>,
    pub returns: Type,
    pub summary: String,
    /// Markdown.
    pub description: String,
}

impl Function {
    pub fn to_proto(&self) -> pb::Function {
        pb::Function {
            parameters: self.parameters.iter().map(Parameter::to_proto).collect(),
            variadic_parameter: None,
            r#return: Some(pb::function::Return {
                r#type: self.returns.to_json_bytes(),
            }),
            summary: self.summary.clone(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecation_message: String::new(),
        }
    }
}

/// Why a call failed, optionally blaming one argument (0-based). Terraform shows `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<i64>,
}

impl FunctionError {
    pub fn new(text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: None,
        }
    }

    pub fn at_argument(argument: i64, text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: Some(argument),
        }
    }

    pub fn to_proto(&self) -> pb::FunctionError {
        pb::FunctionError {
            text: self.text.clone(),
            function_argument: self.argument,
        }
    }
}
