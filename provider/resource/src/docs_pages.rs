//! The documentation pages beyond the provider and the resource: the data source
//! (`data-sources/ha_stack.md`), the function (`functions/subnet_plan.md`) and which client
//! version each protocol feature needs (`guides/compatibility.md`). Rendered from the data
//! source schema, the function definitions and [`COMPATIBILITY`], like the rest of `docs`.

use std::fmt::Write as _;

use tfplugin::schema::Attribute;
use tfplugin::value::Type;

use crate::stack::schema::TYPE_NAME;
use crate::stack::{data_source, functions};

/// One row of the compatibility table.
pub struct Feature {
    pub feature: &'static str,
    pub terraform: &'static str,
    pub opentofu: &'static str,
    pub older_clients: &'static str,
}

/// What each feature of the provider needs from the client, and what older clients get.
pub const COMPATIBILITY: [Feature; 8] = [
    Feature {
        feature: "`wordpress_ha_stack`: create, update, import by id, destroy; a generated database password kept only in Secrets Manager",
        terraform: "1.0",
        opentofu: "1.6",
        older_clients: "-",
    },
    Feature {
        feature: "`data.wordpress_ha_stack`",
        terraform: "1.0",
        opentofu: "1.6",
        older_clients: "-",
    },
    Feature {
        feature: "`database.password` (stored in the state, sensitive)",
        terraform: "1.0",
        opentofu: "1.6",
        older_clients: "-",
    },
    Feature {
        feature: "State written by an older provider version (schema upgrades)",
        terraform: "1.0",
        opentofu: "1.6",
        older_clients: "-",
    },
    Feature {
        feature: "Cached provider schema (`get_provider_schema_optional`)",
        terraform: "1.6",
        opentofu: "1.6",
        older_clients: "ask for the schema in every provider process, as before",
    },
    Feature {
        feature: "`provider::wordpress::subnet_plan(vpc_cidr, zones)`",
        terraform: "1.8",
        opentofu: "1.7",
        older_clients: "no provider functions: the call is a configuration error; write the CIDRs out, or read `data.wordpress_ha_stack` once the stack exists",
    },
    Feature {
        feature: "`database.password_wo` + `password_wo_version` (write-only, never in plan or state)",
        terraform: "1.11",
        opentofu: "1.11",
        older_clients: "refused on the attribute with an error naming the alternatives: `password` (stored in the state) or no password (generated, kept in Secrets Manager only)",
    },
    Feature {
        feature: "Resource identity `{ name, region, account_id }`; `import` blocks by identity",
        terraform: "1.12",
        opentofu: "1.12",
        older_clients: "no identity is sent or stored; import by id (the stack's name) works everywhere",
    },
];

/// `(path under docs/, contents)` of each page; `docs` writes them with its own.
pub fn pages() -> Vec<(&'static str, String)> {
    vec![
        ("data-sources/ha_stack.md", data_source_page()),
        ("functions/subnet_plan.md", function_page()),
        ("guides/compatibility.md", compatibility_page()),
    ]
}

/// The index's links to these pages.
pub fn index_links() -> String {
    format!(
        "\n## Data Sources\n\n- [`{TYPE_NAME}`](data-sources/ha_stack.md)\n\n\
         ## Functions\n\n- [`{}`](functions/subnet_plan.md)\n\n\
         ## Guides\n\n- [Terraform and OpenTofu versions](guides/compatibility.md)\n",
        functions::SUBNET_PLAN
    )
}

fn front_matter(title: &str, description: &str) -> String {
    format!("---\npage_title: \"{title}\"\ndescription: |-\n  {description}\n---\n\n")
}

fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::List(inner) => format!("List of {}", type_label(inner)),
        Type::Map(inner) => format!("Map of {}", type_label(inner)),
        other => format!("{}", other.to_json()),
    }
}

fn attribute_line(attribute: &Attribute) -> String {
    let mode = match (attribute.required, attribute.optional, attribute.computed) {
        (true, _, _) => "Required",
        (_, true, true) => "Optional",
        (_, true, false) => "Optional",
        _ => "Read-only",
    };
    format!(
        "- `{}` ({}, {mode}) {}\n",
        attribute.name,
        type_label(&attribute.ty),
        attribute.description
    )
}

fn data_source_page() -> String {
    let schemas = data_source::schemas();
    let block = &schemas[TYPE_NAME].block;
    let mut page = front_matter(
        &format!("{TYPE_NAME} Data Source - wordpress"),
        "Reads an existing wordpress_ha_stack by name.",
    );
    let _ = write!(
        page,
        "# {TYPE_NAME} (Data Source)\n\n{}\n\n## Example Usage\n\n```terraform\n\
         data \"{TYPE_NAME}\" \"blog\" {{\n  name = \"blog\"\n}}\n\n\
         resource \"aws_security_group_rule\" \"from_the_site\" {{\n  type                     = \"ingress\"\n  \
         from_port                = 3306\n  to_port                  = 3306\n  protocol                 = \"tcp\"\n  \
         security_group_id        = aws_security_group.reports.id\n  \
         source_security_group_id = data.{TYPE_NAME}.blog.security_group_ids[\"app\"]\n}}\n```\n\n",
        block.description
    );
    page.push_str("## Argument Reference\n\n");
    for attribute in block.attributes.iter().filter(|a| a.required || a.optional) {
        page.push_str(&attribute_line(attribute));
    }
    page.push_str("\n## Attribute Reference\n\n");
    for attribute in block
        .attributes
        .iter()
        .filter(|a| !a.required && !a.optional)
    {
        page.push_str(&attribute_line(attribute));
    }
    page.push_str(
        "\nIt reads only, with the same refresh the resource uses, and fails when no stack of \
         that name exists in the region.\n",
    );
    page
}

fn function_page() -> String {
    let definitions = functions::definitions();
    let name = functions::SUBNET_PLAN;
    let function = &definitions[name];
    let mut page = front_matter(&format!("{name} Function - wordpress"), &function.summary);
    let _ = write!(
        page,
        "# {name} (Function)\n\n{}\n\n## Example Usage\n\n```terraform\n\
         locals {{\n  subnets = provider::wordpress::{name}(\"10.20.0.0/16\", [\"us-east-1a\", \"us-east-1b\"])\n}}\n\n\
         # local.subnets.private_subnet_cidrs == [\"10.20.128.0/20\", \"10.20.144.0/20\"]\n```\n\n\
         ## Signature\n\n```text\n{name}(vpc_cidr string, zones list(string)) object\n```\n\n## Arguments\n\n",
        function.description
    );
    for (index, parameter) in function.parameters.iter().enumerate() {
        let _ = writeln!(
            page,
            "{}. `{}` ({}) {}",
            index + 1,
            parameter.name,
            type_label(&parameter.ty),
            parameter.description
        );
    }
    page.push_str(
        "\n## Return Type\n\nAn object: `public_subnet_cidrs` and `private_subnet_cidrs` (lists \
         of strings, in zone order) and `by_zone` (a map from zone name to `{ public, private }`).\n\n\
         Needs Terraform 1.8 or OpenTofu 1.7 or later.\n",
    );
    page
}

fn compatibility_page() -> String {
    let mut page = front_matter(
        "Terraform and OpenTofu versions",
        "Which feature needs which Terraform or OpenTofu version, and what older ones get.",
    );
    page.push_str(
        "# Terraform and OpenTofu versions\n\n\
         The provider speaks plugin protocol 6 and serves every client from Terraform 1.0 and \
         OpenTofu 1.6 on. Features that need a newer client are announced in the schema; an \
         older client ignores them or, where ignoring would be unsafe, gets an error naming the \
         alternative.\n\n\
         | Feature | Terraform | OpenTofu | Older clients get |\n| --- | --- | --- | --- |\n",
    );
    for row in &COMPATIBILITY {
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} |",
            row.feature, row.terraform, row.opentofu, row.older_clients
        );
    }
    page.push_str(
        "\nEvery response returns write-only attributes as null, whatever the client. The \
         gRPC conformance tests (`provider/resource/tests/conformance.rs`) replay requests as \
         Terraform 1.11, 1.12 and 1.14 and OpenTofu 1.10 and 1.11 send them; Terraform 1.0.3 \
         runs end to end in `tests/`.\n",
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::value::Value;

    #[test]
    fn the_function_example_shows_what_the_function_returns() {
        let result = functions::call(
            functions::SUBNET_PLAN,
            &[
                Value::from("10.20.0.0/16"),
                Value::list(["us-east-1a", "us-east-1b"]),
            ],
        )
        .expect("a plan");
        assert_eq!(
            result.attr("private_subnet_cidrs"),
            &Value::list(["10.20.128.0/20", "10.20.144.0/20"])
        );
        assert!(function_page().contains(r#"["10.20.128.0/20", "10.20.144.0/20"]"#));
    }
}
