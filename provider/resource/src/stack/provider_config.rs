//! The `provider "wordpress"` block: its schema and its translation into `AwsSettings`.

use stack_model::error::FieldPath;
use stack_model::settings::AwsSettings;
use stack_model::validate::validate_tags;
use tfplugin::diagnostics::{AttributePath, Diagnostic};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use super::convert::string_map_from;
use super::diagnose::spec_diagnostic;
use super::schema::{AttrDef, AttrType, Mode, ResourceDef};
use super::to_schema;

/// Upper bound for `max_retries`: beyond this a failing endpoint only makes Terraform hang.
const MAX_RETRIES_LIMIT: i64 = 25;

fn optional(name: &'static str, ty: AttrType, description: &'static str) -> AttrDef {
    AttrDef {
        name,
        ty,
        mode: Mode::Optional,
        default: None,
        sensitive: false,
        replaces: false,
        config_only: false,
        write_only: false,
        legacy: None,
        default_on_create: false,
        description,
    }
}

pub fn definition() -> ResourceDef {
    ResourceDef {
        description: "Stands up highly available WordPress stacks on AWS. Credentials come from the \
standard AWS chain (environment, shared files, SSO, instance roles).",
        attributes: vec![
            optional("region", AttrType::String, "AWS region. Default: `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region, as the AWS CLI does."),
            optional("profile", AttrType::String, "Named profile of the shared AWS config and credentials files."),
            optional(
                "endpoint_url",
                AttrType::String,
                "One endpoint for every AWS service, e.g. a local emulator (`http://127.0.0.1:5000`). \
Default: `AWS_ENDPOINT_URL`, else AWS's own endpoints.",
            ),
            optional("default_tags", AttrType::StringMap, "Tags on every AWS object of every stack, under each stack's own `tags`."),
            optional(
                "max_retries",
                AttrType::Number,
                "Attempts per AWS call on throttling, 5xx and network errors, with jittered \
exponential backoff (default 8).",
            ),
        ],
        blocks: Vec::new(),
    }
}

pub fn schema() -> Schema {
    to_schema::provider_schema(&definition())
}

fn attribute_error(
    name: &str,
    summary: impl Into<String>,
    detail: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(summary, detail).with_path(AttributePath::root().attr(name))
}

/// Decode and check the provider block. Unknown values (not known until apply) are left unset.
pub fn settings_from_config(config: &Value) -> Result<AwsSettings, Vec<Diagnostic>> {
    let text = |name: &str| config.attr(name).as_str().map(str::to_string);
    let mut errors = Vec::new();
    let settings = AwsSettings {
        region: text("region"),
        profile: text("profile"),
        endpoint_url: text("endpoint_url"),
        default_tags: string_map_from(config.attr("default_tags")),
        max_retries: config.attr("max_retries").as_f64().map(|n| n as u32),
    };
    if let Some(region) = &settings.region {
        if !is_region_name(region) {
            errors.push(attribute_error(
                "region",
                format!("{region:?} is not an AWS region name"),
                "Use a region such as \"us-east-1\" or \"eu-west-3\".",
            ));
        }
    }
    if let Some(profile) = &settings.profile {
        if !is_profile_name(profile) {
            errors.push(attribute_error(
                "profile",
                format!("{profile:?} is not an AWS profile name"),
                "Write the name of a profile of the shared config or credentials file, without spaces or brackets, such as \"prod\"; remove `profile` to use the default credential chain.",
            ));
        }
    }
    if let Some(endpoint) = &settings.endpoint_url {
        if let Err(why) = check_endpoint(endpoint) {
            errors.push(attribute_error(
                "endpoint_url",
                format!("invalid endpoint URL {endpoint:?}: {why}"),
                "Give an absolute http(s) URL such as \"http://127.0.0.1:5000\".",
            ));
        }
    }
    if let Some(n) = config.attr("max_retries").as_f64() {
        if n.fract() != 0.0 || !(1.0..=MAX_RETRIES_LIMIT as f64).contains(&n) {
            errors.push(attribute_error(
                "max_retries",
                format!("max_retries must be a whole number from 1 to {MAX_RETRIES_LIMIT}"),
                "It counts attempts per AWS call, the first included.",
            ));
        }
    }
    let tag_errors = validate_tags(FieldPath::attrs(&["default_tags"]), &settings.default_tags);
    errors.extend(tag_errors.into_iter().map(spec_diagnostic));
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`…
fn is_region_name(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// An absolute `http(s)://host[:port]` URL: the SDK adds each service's own path, so a path,
/// query or fragment here would be wrong for every service but one.
fn check_endpoint(endpoint: &str) -> Result<(), &'static str> {
    let rest = strip_prefix_ignore_case(endpoint, "http://")
        .or_else(|| strip_prefix_ignore_case(endpoint, "https://"))
        .ok_or("the scheme must be http or https")?;
    let (authority, after) = match rest.find(['/', '?', '#']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err("there is no host");
    }
    if authority.contains(char::is_whitespace) {
        return Err("the host contains white space");
    }
    if authority.contains('@') {
        return Err("it carries a user name or password; credentials never belong in the URL");
    }
    if let Some((_, port)) = authority
        .rsplit_once(':')
        .filter(|_| !authority.ends_with(']'))
    {
        if port.parse::<u16>().is_err() {
            return Err("the port is not a number from 0 to 65535");
        }
    }
    if !(after.is_empty() || after == "/") {
        return Err("it has a path, query or fragment; give only the scheme, host and port (the SDK adds each service's path)");
    }
    Ok(())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A name that can head a `[profile name]` section of the shared files.
fn is_profile_name(profile: &str) -> bool {
    !profile.is_empty()
        && !profile
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "[]#;".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "us_east_1", ""] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn endpoints() {
        assert!(check_endpoint("http://127.0.0.1:5000").is_ok());
        assert!(check_endpoint("https://ec2.us-east-1.amazonaws.com/").is_ok());
        assert!(check_endpoint("127.0.0.1:5000").is_err());
        assert!(check_endpoint("http://").is_err());
        assert!(check_endpoint("http://localhost:99999").is_err());
        assert!(check_endpoint("ftp://x").is_err());
        assert!(check_endpoint("HTTP://127.0.0.1:5000").is_ok());
        assert!(check_endpoint("http://[::1]:5000").is_ok());
    }

    #[test]
    fn endpoints_name_only_scheme_host_and_port() {
        for bad in [
            "http://127.0.0.1:5000/aws",
            "http://127.0.0.1:5000?x=1",
            "https://example.com/#top",
            "http://user:secret@127.0.0.1:5000",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn profile_names() {
        for ok in ["default", "prod-admin", "team.dev", "a_b"] {
            assert!(is_profile_name(ok), "{ok}");
        }
        for bad in ["", "my profile", "[prod]", "a;b", " prod"] {
            assert!(!is_profile_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_bad_setting_points_at_its_attribute() {
        let config = Value::object_of([
            ("endpoint_url", Value::from("http://127.0.0.1:5000/api")),
            ("profile", Value::from("two words")),
        ]);
        let Err(diagnostics) = settings_from_config(&config) else {
            panic!("accepted a path in endpoint_url and a space in profile");
        };
        let paths: Vec<_> = diagnostics.iter().map(|d| d.path.clone()).collect();
        assert!(paths.contains(&Some(AttributePath::root().attr("endpoint_url"))));
        assert!(paths.contains(&Some(AttributePath::root().attr("profile"))));
    }
}
