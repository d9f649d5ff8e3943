//! The `wordpress_ha_stack` data source: an existing stack read by name (and region) so
//! another configuration can compose with a stack it does not own. It reads only, through the
//! engine's import, which runs the same refresh code as the resource's reads.

use std::collections::BTreeMap;

use stack_model::state::{logical, StackState};
use tfplugin::diagnostics::{AttributePath, Diagnostic};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::Value;

use super::convert::output_values;
use super::identity;
use super::schema::{self as resource_schema, Mode, TYPE_NAME};
use super::to_schema::wire_type;

/// Attributes the data source adds to the resource's outputs.
const EXTRA: [(&str, &str); 3] = [
    ("secret_arn", "ARN of the stack's Secrets Manager secret (database password and WordPress keys; readable by the stack's instances)."),
    ("vpc_cidr", "IPv4 range of the stack's VPC."),
    ("account_id", "AWS account of the stack."),
];

pub fn schemas() -> BTreeMap<String, Schema> {
    let resource = resource_schema::resource();
    let outputs: Vec<&str> = output_values(&Default::default())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut block = Block::new(
        "Reads an existing `wordpress_ha_stack` by name, in the provider's region or another, \
without managing it: the stack's URL, network, security groups, load balancer, file system, \
database endpoint and secret, for configurations that build next to it.",
    )
    .attribute(Attribute::required(
        "name",
        tfplugin::value::Type::String,
        "Name of the stack to read.",
    ))
    .attribute(Attribute::optional_computed(
        "region",
        tfplugin::value::Type::String,
        "AWS region of the stack. Default: the provider's region.",
    ))
    .attribute(Attribute::computed(
        "id",
        tfplugin::value::Type::String,
        "The stack's name.",
    ))
    .attribute(Attribute::computed(
        "availability_zones",
        tfplugin::value::Type::list(tfplugin::value::Type::String),
        "The stack's zones, in the order of its subnets.",
    ));
    for def in resource
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Computed && outputs.contains(&a.name))
    {
        block = block.attribute(Attribute::computed(
            def.name,
            wire_type(def.ty),
            def.description,
        ));
    }
    for (name, description) in EXTRA {
        block = block.attribute(Attribute::computed(
            name,
            tfplugin::value::Type::String,
            description,
        ));
    }
    BTreeMap::from([(TYPE_NAME.to_string(), Schema::new(0, block))])
}

/// The stack name and the region a configuration asks for; diagnostics when unusable.
pub fn target(config: &Value) -> Result<(String, Option<String>), Diagnostic> {
    let name = config.attr("name");
    let Some(name) = name.as_str().filter(|n| !n.is_empty()) else {
        return Err(Diagnostic::error(
            "Missing stack name",
            "Set `name` to the name of the stack to read.",
        )
        .with_path(AttributePath::attribute("name")));
    };
    let region = config.attr("region").as_str().map(str::to_string);
    Ok((name.to_string(), region))
}

/// The data source's value for a stack read from AWS.
pub fn value(state: &StackState, region: Option<&str>) -> Value {
    let mut fields: BTreeMap<String, Value> = output_values(&state.outputs)
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    let spec = &state.spec;
    let secret_arn = state
        .resource(logical::APP_SECRET)
        .map(Value::from)
        .unwrap_or_default();
    let probe = Value::object_of([
        ("name", Value::from(&spec.name)),
        (
            "resources",
            Value::map([(logical::APP_SECRET, secret_arn.as_str().unwrap_or_default())]),
        ),
    ]);
    let found = identity::of_state(&probe);
    let from_arn = |key: &str| {
        found
            .as_ref()
            .map(|f| f.attr(key).clone())
            .unwrap_or_default()
    };
    fields.insert("name".into(), Value::from(&spec.name));
    fields.insert("id".into(), Value::from(&spec.name));
    fields.insert(
        "region".into(),
        region
            .map(Value::from)
            .unwrap_or_else(|| from_arn("region")),
    );
    fields.insert("account_id".into(), from_arn("account_id"));
    fields.insert("secret_arn".into(), secret_arn);
    fields.insert("vpc_cidr".into(), Value::from(&spec.network.vpc_cidr));
    fields.insert(
        "availability_zones".into(),
        Value::list(spec.network.availability_zones.clone().unwrap_or_default()),
    );
    Value::object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stack_model::spec::StackSpec;

    #[test]
    fn the_value_fits_the_schema_and_carries_the_outputs() {
        let mut state = StackState::new(StackSpec::with_name("blog"));
        state.outputs.url = Some("http://blog.example.com".into());
        state.outputs.public_subnet_ids = vec!["subnet-1".into()];
        state.resources.insert(
            logical::APP_SECRET.into(),
            "arn:aws:secretsmanager:eu-west-3:123456789012:secret:blog/wordpress-x".into(),
        );
        let value = value(&state, None);
        let ty = schemas()[TYPE_NAME].value_type();
        let bytes = tfplugin::codec::encode_msgpack(&value, &ty).expect("fits the schema");
        assert!(!bytes.is_empty());
        assert_eq!(value.attr("region"), &Value::from("eu-west-3"));
        assert_eq!(value.attr("url"), &Value::from("http://blog.example.com"));
        assert_eq!(value.attr("public_subnet_ids"), &Value::list(["subnet-1"]));
        assert!(target(&Value::object_of([("name", Value::Null)])).is_err());
    }
}
