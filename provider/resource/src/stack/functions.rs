//! `provider::wordpress::subnet_plan(vpc_cidr, zones)`: the public and private subnet CIDRs a
//! stack carves from `vpc_cidr` for `zones`, computed by the same code the resource uses
//! (`stack_model::cidr::carve`), so firewall rules, peering and routes elsewhere can be written
//! before the stack exists. Offline and deterministic.

use std::collections::BTreeMap;

use stack_model::cidr::{self, MAX_ZONES};
use tfplugin::function::{Function, FunctionError, Parameter};
use tfplugin::value::{Type, Value};

pub const SUBNET_PLAN: &str = "subnet_plan";

fn cidrs() -> Type {
    Type::list(Type::String)
}

fn zone_type() -> Type {
    Type::object([("public", Type::String), ("private", Type::String)])
}

fn result_type() -> Type {
    Type::object([
        ("public_subnet_cidrs", cidrs()),
        ("private_subnet_cidrs", cidrs()),
        ("by_zone", Type::map(zone_type())),
    ])
}

pub fn definitions() -> BTreeMap<String, Function> {
    BTreeMap::from([(
        SUBNET_PLAN.to_string(),
        Function {
            parameters: vec![
                Parameter::new(
                    "vpc_cidr",
                    Type::String,
                    "The stack's `network.vpc_cidr`, e.g. `10.0.0.0/16`.",
                ),
                Parameter::new(
                    "zones",
                    Type::list(Type::String),
                    "The stack's `network.availability_zones`, in the same order.",
                ),
            ],
            returns: result_type(),
            summary: "The subnet CIDRs a wordpress_ha_stack carves".to_string(),
            description: format!(
                "The public and private subnet CIDRs `wordpress_ha_stack` carves from `vpc_cidr`, \
one of each per zone in zone order (`public_subnet_cidrs`, `private_subnet_cidrs`) and by zone \
name (`by_zone`), computed by the resource's own code. Up to {MAX_ZONES} zones; every subnet is \
a /27 or larger."
            ),
        },
    )])
}

/// Calls `name` with decoded, non-null arguments.
pub fn call(name: &str, arguments: &[Value]) -> Result<Value, FunctionError> {
    if name != SUBNET_PLAN {
        return Err(FunctionError::new(format!("Unknown function {name:?}.")));
    }
    let vpc_cidr = arguments
        .first()
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError::at_argument(0, "vpc_cidr must be a known string."))?;
    let zones: Vec<&str> = match arguments.get(1).and_then(Value::as_list) {
        Some(items) => items
            .iter()
            .map(|z| z.as_str().unwrap_or_default())
            .collect(),
        None => {
            return Err(FunctionError::at_argument(
                1,
                "zones must be a list of zone names.",
            ))
        }
    };
    subnet_plan(vpc_cidr, &zones)
}

fn subnet_plan(vpc_cidr: &str, zones: &[&str]) -> Result<Value, FunctionError> {
    if let Some(bad) = zones.iter().find(|z| z.is_empty()) {
        return Err(FunctionError::at_argument(
            1,
            format!("zones must be non-empty names, got {bad:?}."),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = zones.iter().find(|z| !seen.insert(**z)) {
        return Err(FunctionError::at_argument(
            1,
            format!("zone {twice:?} is listed twice."),
        ));
    }
    let layout = cidr::carve(vpc_cidr, zones.len()).map_err(|error| {
        let argument = match error {
            cidr::CidrError::ZoneCount(_) => 1,
            _ => 0,
        };
        FunctionError::at_argument(argument, error.to_string())
    })?;
    let public = Value::list(layout.iter().map(|z| z.public.to_string()));
    let private = Value::list(layout.iter().map(|z| z.private.to_string()));
    let by_zone = zones.iter().zip(&layout).map(|(zone, subnets)| {
        let pair = Value::object_of([
            ("public", Value::from(subnets.public.to_string())),
            ("private", Value::from(subnets.private.to_string())),
        ]);
        (zone.to_string(), pair)
    });
    Ok(Value::object_of([
        ("public_subnet_cidrs", public),
        ("private_subnet_cidrs", private),
        ("by_zone", Value::Map(by_zone.collect())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_the_resources_own_carving() {
        let zones = [Value::from("us-east-1a"), Value::from("us-east-1b")];
        let result = call(
            SUBNET_PLAN,
            &[Value::from("10.0.0.0/16"), Value::List(zones.to_vec())],
        )
        .expect("a plan");
        let layout = cidr::carve("10.0.0.0/16", 2).expect("carves");
        assert_eq!(
            result.attr("public_subnet_cidrs"),
            &Value::list(layout.iter().map(|z| z.public.to_string()))
        );
        assert_eq!(
            result.attr("by_zone").attr("us-east-1b").attr("private"),
            &Value::from(layout[1].private.to_string())
        );
        let bytes = tfplugin::codec::encode_msgpack(&result, &result_type()).expect("encodes");
        assert!(!bytes.is_empty());
    }

    #[test]
    fn bad_arguments_are_blamed_by_position() {
        let two = Value::list(["a", "b"]);
        let error = call(SUBNET_PLAN, &[Value::from("10.0.0.1/16"), two.clone()]).unwrap_err();
        assert_eq!(error.argument, Some(0));
        let error = call(
            SUBNET_PLAN,
            &[Value::from("10.0.0.0/16"), Value::list(["a", "a"])],
        )
        .unwrap_err();
        assert_eq!(error.argument, Some(1));
        let error = call(SUBNET_PLAN, &[Value::from("10.0.0.0/28"), two]).unwrap_err();
        assert_eq!(error.argument, Some(0));
    }
}
