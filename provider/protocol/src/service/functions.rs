//! Provider-defined functions on the wire: GetFunctions' definitions (also in
//! GetProviderSchema and GetMetadata) and CallFunction, whose arguments are decoded with the
//! declared parameter types and whose failures travel as `FunctionError`, never diagnostics.

use std::collections::{BTreeMap, HashMap};

use crate::codec;
use crate::function::{Function, FunctionError};
use crate::proto::tfplugin6 as pb;
use crate::value::{Type, Value};

use super::ProviderService;

pub(super) struct Functions {
    functions: BTreeMap<String, Function>,
    definitions: HashMap<String, pb::Function>,
}

impl Functions {
    pub(super) fn new(functions: BTreeMap<String, Function>) -> Functions {
        let definitions = functions
            .iter()
            .map(|(name, function)| (name.clone(), function.to_proto()))
            .collect();
        Functions {
            functions,
            definitions,
        }
    }

    pub(super) fn definitions(&self) -> &HashMap<String, pb::Function> {
        &self.definitions
    }

    pub(super) fn metadata(&self) -> Vec<pb::get_metadata::FunctionMetadata> {
        self.functions
            .keys()
            .map(|name| pb::get_metadata::FunctionMetadata { name: name.clone() })
            .collect()
    }
}

fn failure(error: FunctionError) -> pb::call_function::Response {
    pb::call_function::Response {
        result: None,
        error: Some(error.to_proto()),
    }
}

fn decode_argument(
    index: usize,
    dynamic: &pb::DynamicValue,
    ty: &Type,
) -> Result<Value, FunctionError> {
    let decoded = if dynamic.msgpack.is_empty() && !dynamic.json.is_empty() {
        codec::decode_json(&dynamic.json, ty)
    } else {
        codec::decode_msgpack(&dynamic.msgpack, ty)
    };
    decoded.map_err(|err| {
        FunctionError::at_argument(index as i64, format!("Invalid argument: {err}."))
    })
}

impl ProviderService {
    pub(super) async fn call(
        &self,
        request: pb::call_function::Request,
    ) -> pb::call_function::Response {
        let Some(function) = self.functions.functions.get(&request.name) else {
            let known: Vec<&str> = self
                .functions
                .functions
                .keys()
                .map(String::as_str)
                .collect();
            return failure(FunctionError::new(format!(
                "Function {:?} not provided by this provider; it has: {}.",
                request.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        if request.arguments.len() != function.parameters.len() {
            return failure(FunctionError::new(format!(
                "Function {:?} takes {} arguments, got {}.",
                request.name,
                function.parameters.len(),
                request.arguments.len()
            )));
        }
        let mut arguments = Vec::with_capacity(request.arguments.len());
        for (index, (dynamic, parameter)) in request
            .arguments
            .iter()
            .zip(&function.parameters)
            .enumerate()
        {
            match decode_argument(index, dynamic, &parameter.ty) {
                Ok(value) if value.is_null() && !parameter.allow_null => {
                    return failure(FunctionError::at_argument(
                        index as i64,
                        format!("Argument {:?} must not be null.", parameter.name),
                    ))
                }
                Ok(value) => arguments.push(value),
                Err(error) => return failure(error),
            }
        }
        match self.backend.call_function(&request.name, arguments).await {
            Ok(result) => match codec::encode_msgpack(&result, &function.returns) {
                Ok(msgpack) => pb::call_function::Response {
                    result: Some(pb::DynamicValue {
                        msgpack,
                        json: Vec::new(),
                    }),
                    error: None,
                },
                Err(err) => failure(FunctionError::new(format!(
                    "The provider's result does not match the function's return type: {err}. \
                     This is a bug in the provider; please report it."
                ))),
            },
            Err(error) => failure(error),
        }
    }
}
