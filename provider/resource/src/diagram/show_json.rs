//! The stacks of a `terraform show -json` document: their `resources` maps, or for a plan
//! that creates a stack the objects its planned spec implies.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use tfplugin::codec;

use super::{DiagramError, Source, StackObjects};
use crate::stack::{convert, schema, to_schema};

/// Every `wordpress_ha_stack` of a `terraform show -json` document (child modules included).
pub fn stacks_from_show_json(document: &Json) -> Result<Vec<StackObjects>, DiagramError> {
    let stacks = match document.get("planned_values") {
        Some(planned) => {
            let prior = document.pointer("/prior_state/values");
            stack_resources(planned)
                .into_iter()
                .map(|resource| planned_objects(resource, prior))
                .collect::<Result<Vec<_>, _>>()?
        }
        None => document
            .get("values")
            .map(stack_resources)
            .unwrap_or_default()
            .into_iter()
            .map(|resource| StackObjects {
                address: address_of(resource),
                source: Source::Resources,
                objects: resources_map(resource).unwrap_or_default(),
            })
            .collect(),
    };
    if stacks.is_empty() {
        return Err(DiagramError::NoStack);
    }
    Ok(stacks)
}

/// The managed `wordpress_ha_stack` resources under a `values`-shaped object.
fn stack_resources(values: &Json) -> Vec<&Json> {
    fn walk<'a>(module: &'a Json, out: &mut Vec<&'a Json>) {
        let resources = module.get("resources").and_then(Json::as_array);
        out.extend(resources.into_iter().flatten().filter(|r| {
            r.get("type").and_then(Json::as_str) == Some(schema::TYPE_NAME)
                && r.get("mode").and_then(Json::as_str) == Some("managed")
        }));
        let children = module.get("child_modules").and_then(Json::as_array);
        for child in children.into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    if let Some(root) = values.get("root_module") {
        walk(root, &mut out);
    }
    out
}

fn address_of(resource: &Json) -> String {
    resource
        .get("address")
        .and_then(Json::as_str)
        .unwrap_or(schema::TYPE_NAME)
        .to_string()
}

/// The `resources` attribute, when known.
fn resources_map(resource: &Json) -> Option<BTreeMap<String, Option<String>>> {
    let map = resource.pointer("/values/resources")?.as_object()?;
    Some(
        map.iter()
            .map(|(name, id)| (name.clone(), id.as_str().map(str::to_string)))
            .collect(),
    )
}

fn planned_objects(resource: &Json, prior: Option<&Json>) -> Result<StackObjects, DiagramError> {
    let address = address_of(resource);
    if let Some(objects) = resources_map(resource) {
        return Ok(StackObjects {
            address,
            source: Source::Resources,
            objects,
        });
    }
    let prior_ids = prior
        .map(stack_resources)
        .unwrap_or_default()
        .into_iter()
        .find(|r| address_of(r) == address)
        .and_then(resources_map)
        .unwrap_or_default();
    let expected = expected_objects(&address, resource.get("values").unwrap_or(&Json::Null))?;
    let objects = expected
        .into_iter()
        .map(|name| {
            let id = prior_ids.get(&name).cloned().flatten();
            (name, id)
        })
        .collect();
    Ok(StackObjects {
        address,
        source: Source::PlannedSpec,
        objects,
    })
}

/// The objects a stack of these planned values owns, by the core's own rule.
fn expected_objects(address: &str, values: &Json) -> Result<Vec<String>, DiagramError> {
    let ty = to_schema::resource_schema(&schema::resource()).value_type();
    let bytes = serde_json::to_vec(values)?;
    let value = codec::decode_json(&bytes, &ty).map_err(|err| DiagramError::PlannedValues {
        address: address.to_string(),
        message: err.to_string(),
    })?;
    let (spec, _, _) = convert::spec_from_value(&value);
    Ok(stack_model::plan::expected_objects(&spec))
}
