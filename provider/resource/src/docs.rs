//! Registry-style documentation generated from the schema tables.
//!
//! `docs/index.md` (the provider) and `docs/resources/ha_stack.md` (the resource) are rendered
//! from `stack::provider_config::definition()` and `stack::schema::resource()` only (the data
//! source, function and compatibility pages by `docs_pages`, from their definitions): every
//! argument, default, "forces a new stack" and sensitive mark comes from the same table the
//! Terraform schema is built from, so the docs cannot drift from the code. The output is
//! deterministic (table order, no dates), which lets a test compare it with the checked-in files.
//!
//! Run `terraform-provider-wordpress docs [--out DIR]` (or
//! `cargo run -p terraform-provider-wordpress -- docs`) to regenerate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::stack::provider_config;
use crate::stack::schema::{
    self, AttrDef, AttrType, BlockDef, Default, Mode, Nesting, ResourceDef,
};

/// The provider's source address, as users write it in `required_providers`.
pub const PROVIDER_SOURCE: &str = "wpstack/wordpress";
/// The provider's local name (the resource type prefix).
pub const PROVIDER_NAME: &str = "wordpress";
/// The block of the resource schema that holds operation timeouts.
const TIMEOUTS_BLOCK: &str = "timeouts";

/// One generated file: its path relative to the docs directory and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFile {
    pub relative_path: &'static str,
    pub contents: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Every documentation file, rendered from the schema tables.
pub fn render_all() -> Vec<DocFile> {
    let provider = provider_config::definition();
    let resource = schema::resource();
    vec![
        DocFile {
            relative_path: "index.md",
            contents: provider_page(&provider),
        },
        DocFile {
            relative_path: "resources/ha_stack.md",
            contents: resource_page(&resource),
        },
    ]
    .into_iter()
    .chain(
        crate::docs_pages::pages()
            .into_iter()
            .map(|(relative_path, contents)| DocFile {
                relative_path,
                contents,
            }),
    )
    .collect()
}

/// Writes every file under `out` (creating directories); returns the paths written.
pub fn write_all(out: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let mut written = Vec::new();
    for file in render_all() {
        let path = out.join(file.relative_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DocsError::Io {
                action: "create",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &file.contents).map_err(|source| DocsError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The configuration shown as the resource's example. It is planned against moto with the
/// packaged provider by the packaging end-to-end test, and its attribute names are checked
/// against the schema by a unit test, so it stays valid.
pub const RESOURCE_EXAMPLE: &str = r#"variable "db_password" {
  type      = string
  sensitive = true
}

resource "wordpress_ha_stack" "blog" {
  name = "blog"

  network {
    vpc_cidr           = "10.20.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "one_per_az"
  }

  bastion {
    allowed_ssh_cidrs = ["203.0.113.0/24"]
  }

  wordpress {
    image         = "wordpress:6-php8.2-apache"
    instance_type = "t3.small"
  }

  site {
    title       = "The Blog"
    admin_email = "webmaster@example.com"
  }

  autoscaling {
    min_size               = 2
    max_size               = 6
    target_cpu_utilization = 60
  }

  database {
    instance_class = "db.t3.micro"
    multi_az       = true
    password       = var.db_password
  }

  dns {
    zone_id     = "Z0123456789ABCDEFGHIJ"
    record_name = "blog.example.com"
  }

  waf {
    rate_limit = 1000
  }

  alarms {
    email_addresses = ["ops@example.com"]
    db_connections  = 60
  }

  logs {
    retention_in_days = 90
  }

  timeouts {
    create = "90m"
  }

  tags = {
    env = "prod"
  }
}

output "url" {
  value = wordpress_ha_stack.blog.url
}
"#;

fn provider_example() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    {PROVIDER_NAME} = {{
      source = "{PROVIDER_SOURCE}"
    }}
  }}
}}

provider "{PROVIDER_NAME}" {{
  region = "us-east-1"
  default_tags = {{
    team = "web"
  }}
}}
"#
    )
}

fn provider_page(def: &ResourceDef) -> String {
    let mut page = front_matter(&format!("{PROVIDER_NAME} Provider"), def.description);
    let _ = write!(
        page,
        "# {PROVIDER_NAME} Provider\n\n{}\n\n\
         ## Example Usage\n\n```terraform\n{}```\n\n",
        def.description,
        provider_example()
    );
    page.push_str(AUTHENTICATION);
    page.push_str(LOCAL_EMULATORS);
    page.push_str("## Argument Reference\n\nEvery argument is optional.\n\n");
    page.push_str(&argument_list(&def.attributes));
    page.push_str("\n## Resources\n\n");
    let _ = writeln!(page, "- [`{}`](resources/ha_stack.md)", schema::TYPE_NAME);
    page.push_str(&crate::docs_pages::index_links());
    page
}

const AUTHENTICATION: &str = "## Authentication\n\n\
The provider finds credentials as the AWS CLI and SDKs do (the standard credential chain): \
environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the \
shared config and credentials files (`AWS_PROFILE` or the `profile` argument), IAM Identity \
Center (SSO), web identity tokens, and instance or container roles. No credential is ever an \
argument of the provider block.\n\n";

const LOCAL_EMULATORS: &str = "## Local emulators\n\n\
`endpoint_url` (or the `AWS_ENDPOINT_URL` environment variable) sends every AWS call to one \
endpoint, such as a [moto](https://github.com/getmoto/moto) server, so a stack can be planned \
and applied with no AWS account:\n\n\
```terraform\nprovider \"wordpress\" {\n  region       = \"us-east-1\"\n  endpoint_url = \"http://127.0.0.1:5000\"\n}\n```\n\n";

fn resource_page(def: &ResourceDef) -> String {
    let type_name = schema::TYPE_NAME;
    let mut page = front_matter(
        &format!("{type_name} Resource - {PROVIDER_NAME}"),
        def.description,
    );
    let _ = write!(
        page,
        "# {type_name} (Resource)\n\n{}\n\n\
         ## Example Usage\n\n```terraform\n{RESOURCE_EXAMPLE}```\n\n",
        def.description
    );
    page.push_str(&argument_reference(def));
    page.push_str(&attribute_reference(def));
    page.push_str(crate::review::LABELS_DOC);
    if let Some(timeouts) = def.block(TIMEOUTS_BLOCK) {
        page.push_str(&timeouts_section(timeouts));
    }
    page.push_str(LIFECYCLE);
    page.push_str(&import_section(def));
    page
}

/// How the stack is known in AWS: what an operator must not be surprised by.
const LIFECYCLE: &str = "## Names, regions and deletion outside Terraform

Every AWS object of a stack is tagged `wordpress-ha:stack = <name>`. IAM names are account-wide while a stack lives in one region, so the instances' IAM role and instance profile are named `<name>-app-<region>` and their inline policy `read-wordpress-secret-<region>` (cut to IAM's length limits with a hash when needed), and every IAM object also carries `wordpress-ha:region = <region>`. Two stacks of the same name in two regions thus apply, update and destroy independently. An IAM object found under the stack's name is adopted only when both tags say it is this stack's in this region. Stacks created before names carried the region keep the names their state recorded; an apply adds the region tag to them.

When the stack's VPC no longer exists (it was deleted outside Terraform, and with it everything that lived inside), a refresh reports the stack as deleted and Terraform plans to create it again. The create adopts what is left outside the VPC by name and tag (the secret, with the stack's WordPress keys; the IAM role and instance profile; the DNS record; the EFS file system), and the refresh releases the elastic IPs the stack's NAT gateways used, so nothing is left billed if the stack is not created again. When the VPC is still there and other objects are missing, the plan is an in-place update that puts them back.

";

fn front_matter(title: &str, description: &str) -> String {
    format!("---\npage_title: \"{title}\"\ndescription: |-\n  {description}\n---\n\n")
}

fn argument_reference(def: &ResourceDef) -> String {
    let mut out = String::from(
        "## Argument Reference\n\n\
         Arguments marked **Forces a new stack** replace the whole stack when changed; every \
         other change is applied in place.\n\n",
    );
    out.push_str(&argument_list(&def.attributes));
    for block in def.blocks.iter().filter(|b| b.name != TIMEOUTS_BLOCK) {
        out.push_str(&block_section(block));
    }
    out.push('\n');
    out
}

fn block_section(block: &BlockDef) -> String {
    let presence = match block.nesting {
        Nesting::Group => {
            "Optional block, at most one. When it is left out, every argument takes its default."
        }
        Nesting::Single => "Optional block, at most one. When it is left out, this feature is off.",
    };
    format!(
        "\n### `{}` block\n\n{} {presence}\n\n{}",
        block.name,
        block.description,
        argument_list(&block.attributes)
    )
}

/// One bullet per argument (computed-only attributes are left to the attribute reference).
fn argument_list(attributes: &[AttrDef]) -> String {
    attributes
        .iter()
        .filter(|a| a.mode != Mode::Computed)
        .map(|a| format!("- `{}` ({}) {}\n", a.name, argument_marks(a), a.description))
        .collect()
}

fn argument_marks(attr: &AttrDef) -> String {
    let mut marks = vec![type_label(attr.ty).to_string()];
    marks.push(
        match attr.mode {
            Mode::Required => "Required",
            Mode::Optional | Mode::OptionalComputed | Mode::Computed => "Optional",
        }
        .to_string(),
    );
    match (&attr.default, attr.mode) {
        (Some(default), _) => marks.push(format!("Default: `{}`", default_literal(default))),
        (None, Mode::OptionalComputed) => marks.push("Computed when not set".to_string()),
        _ => {}
    }
    if attr.sensitive {
        marks.push("Sensitive".to_string());
    }
    if attr.write_only {
        marks.push("Write-only: never in plan or state; Terraform/OpenTofu 1.11+".to_string());
    }
    if attr.replaces {
        marks.push("**Forces a new stack**".to_string());
    }
    marks.join(", ")
}

fn attribute_reference(def: &ResourceDef) -> String {
    let mut out = String::from(
        "## Attribute Reference\n\n\
         Besides the arguments above (with their defaults filled in), the resource exports:\n\n",
    );
    for attr in def.attributes.iter().filter(|a| a.mode == Mode::Computed) {
        let _ = writeln!(
            out,
            "- `{}` ({}) {}",
            attr.name,
            type_label(attr.ty),
            attr.description
        );
    }
    out.push('\n');
    out
}

fn timeouts_section(block: &BlockDef) -> String {
    let mut out = format!(
        "## Timeouts\n\n{} Set them in a `{}` block:\n\n",
        block.description, block.name
    );
    for attr in &block.attributes {
        let _ = writeln!(
            out,
            "- `{}` ({}) {}",
            attr.name,
            type_label(attr.ty),
            attr.description
        );
    }
    out.push('\n');
    out
}

fn import_section(def: &ResourceDef) -> String {
    let type_name = schema::TYPE_NAME;
    let mut out = format!(
        "## Import\n\n\
         A stack is imported by its `name`: the provider finds every AWS object tagged \
         `wordpress-ha:stack = <name>` and rebuilds the state from them.\n\n\
         ```shell\nterraform import {type_name}.blog blog\n```\n\n\
         With Terraform 1.12 or later, an `import` block may name the stack by its identity \
         instead; `region` and `account_id` default to the provider's and must match them:\n\n\
         ```terraform\nimport {{\n  to       = {type_name}.blog\n  identity = {{ name = \"blog\" }}\n}}\n```\n"
    );
    for path in sensitive_paths(def) {
        let _ = write!(
            out,
            "\n`{path}` cannot be read back from AWS: an imported stack has it null in the \
             state, and nothing changes while the configuration leaves it unset. Setting it \
             afterwards is planned as an update that applies the new value.\n"
        );
    }
    out
}

/// `block.attribute` (or `attribute`) of every sensitive argument, in table order.
fn sensitive_paths(def: &ResourceDef) -> Vec<String> {
    let top = def
        .attributes
        .iter()
        .filter(|a| a.sensitive && !a.write_only)
        .map(|a| a.name.to_string());
    let nested = def.blocks.iter().flat_map(|b| {
        b.attributes
            .iter()
            .filter(|a| a.sensitive && !a.write_only)
            .map(move |a| format!("{}.{}", b.name, a.name))
    });
    top.chain(nested).collect()
}

fn type_label(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "String",
        AttrType::Number => "Number",
        AttrType::Bool => "Boolean",
        AttrType::StringList => "List of String",
        AttrType::StringMap => "Map of String",
    }
}

/// The default as it would be written in HCL.
fn default_literal(default: &Default) -> String {
    match default {
        Default::Str(text) => format!("{text:?}"),
        Default::Int(n) => n.to_string(),
        Default::Float(f) => f.to_string(),
        Default::Bool(b) => b.to_string(),
        Default::EmptyList => "[]".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource_doc() -> String {
        resource_page(&schema::resource())
    }

    fn all_arguments(def: &ResourceDef) -> impl Iterator<Item = (Option<&BlockDef>, &AttrDef)> {
        let top = def.attributes.iter().map(|a| (None, a));
        let nested = def
            .blocks
            .iter()
            .flat_map(|b| b.attributes.iter().map(move |a| (Some(b), a)));
        top.chain(nested)
    }

    /// The bullet documenting `name` in the section that starts with `heading`.
    fn bullet<'a>(doc: &'a str, heading: &str, name: &str) -> &'a str {
        let section = doc
            .split_once(heading)
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("no section {heading:?}"));
        let section = section.split("\n#").next().unwrap_or_default();
        section
            .lines()
            .find(|line| line.starts_with(&format!("- `{name}` (")))
            .unwrap_or_else(|| panic!("{name} is not documented under {heading:?}"))
    }

    #[test]
    fn every_argument_is_documented_with_its_marks() {
        let def = schema::resource();
        let doc = resource_doc();
        for (block, attr) in all_arguments(&def).filter(|(_, a)| a.mode != Mode::Computed) {
            let heading = match block {
                Some(b) if b.name == TIMEOUTS_BLOCK => "## Timeouts".to_string(),
                Some(b) => format!("### `{}` block", b.name),
                None => "## Argument Reference".to_string(),
            };
            let line = bullet(&doc, &heading, attr.name);
            assert!(line.contains(attr.description), "{line}");
            if block.is_some_and(|b| b.name == TIMEOUTS_BLOCK) {
                continue;
            }
            assert_eq!(line.contains("Forces a new stack"), attr.replaces, "{line}");
            assert_eq!(line.contains("Sensitive"), attr.sensitive, "{line}");
            assert_eq!(
                line.contains("Required"),
                attr.mode == Mode::Required,
                "{line}"
            );
            if let Some(default) = &attr.default {
                let expected = format!("Default: `{}`", default_literal(default));
                assert!(line.contains(&expected), "{line} lacks {expected}");
            }
        }
    }

    #[test]
    fn every_computed_attribute_is_in_the_attribute_reference() {
        let def = schema::resource();
        let doc = resource_doc();
        let computed: Vec<&AttrDef> = def
            .attributes
            .iter()
            .filter(|a| a.mode == Mode::Computed)
            .collect();
        assert!(computed.iter().any(|a| a.name == "resources"));
        for attr in computed {
            let line = bullet(&doc, "## Attribute Reference", attr.name);
            assert!(line.contains(attr.description), "{line}");
        }
    }

    #[test]
    fn defaults_are_written_as_hcl_literals() {
        assert_eq!(
            default_literal(&Default::Str("10.0.0.0/16")),
            "\"10.0.0.0/16\""
        );
        assert_eq!(default_literal(&Default::Float(60.0)), "60");
        assert_eq!(default_literal(&Default::Float(62.5)), "62.5");
        assert_eq!(default_literal(&Default::Bool(true)), "true");
        assert_eq!(default_literal(&Default::EmptyList), "[]");
    }

    #[test]
    fn import_names_the_syntax_and_every_sensitive_argument() {
        let doc = resource_doc();
        assert!(doc.contains("terraform import wordpress_ha_stack.blog blog"));
        let sensitive = sensitive_paths(&schema::resource());
        assert!(
            sensitive.contains(&"database.password".to_string()),
            "{sensitive:?}"
        );
        let import = doc
            .split_once("## Import")
            .map(|(_, r)| r)
            .unwrap_or_default();
        for path in sensitive {
            assert!(
                import.contains(&format!("`{path}` cannot be read back")),
                "{import}"
            );
        }
    }

    #[test]
    fn provider_page_documents_every_provider_argument() {
        let def = provider_config::definition();
        let doc = provider_page(&def);
        for attr in &def.attributes {
            let line = bullet(&doc, "## Argument Reference", attr.name);
            assert!(line.contains(attr.description), "{line}");
        }
        assert!(doc.contains(&format!("source = \"{PROVIDER_SOURCE}\"")));
        assert!(doc.contains("## Authentication"));
        assert!(doc.contains("endpoint_url"));
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render_all(), render_all());
    }

    /// Every `block {` and `name =` inside the example's resource exists in the schema.
    #[test]
    fn the_example_uses_only_schema_attributes() {
        let def = schema::resource();
        let body = RESOURCE_EXAMPLE
            .split_once("resource \"wordpress_ha_stack\" \"blog\" {")
            .map(|(_, rest)| rest)
            .and_then(|rest| rest.split_once("\n}\n"))
            .map(|(body, _)| body)
            .expect("the example declares wordpress_ha_stack.blog");
        // Open scopes: a schema block, or a map value (`tags = {`) whose keys are free.
        let mut scopes: Vec<Option<&BlockDef>> = Vec::new();
        let mut checked = 0;
        for line in body.lines().map(str::trim) {
            if line == "}" {
                scopes.pop();
            } else if let Some((name, _)) = line.split_once(" =") {
                if scopes.last().is_some_and(Option::is_none) {
                    continue; // a key of a map value
                }
                let attributes = scopes
                    .last()
                    .copied()
                    .flatten()
                    .map_or(&def.attributes, |b| &b.attributes);
                assert!(
                    attributes
                        .iter()
                        .any(|a| a.name == name.trim() && a.mode != Mode::Computed),
                    "{name} is not an argument"
                );
                checked += 1;
                if line.ends_with('{') {
                    scopes.push(None);
                }
            } else if let Some(name) = line.strip_suffix(" {") {
                let block = def.block(name).unwrap_or_else(|| panic!("no block {name}"));
                scopes.push(Some(block));
            }
        }
        assert!(checked > 10, "only {checked} arguments found");
    }
}
