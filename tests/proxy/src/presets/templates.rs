//! What the proxy learns about launch templates, Auto Scaling groups and instance profiles
//! from the requests it forwards, and the IAM propagation refusals built on it: a template
//! version naming a profile made moments ago is refused, as AWS does until IAM has propagated.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::aws_errors::AwsError;
use crate::config::{millis, IamPropagationConfig};
use crate::identify::AwsRequest;
use crate::xml;

/// A launch template as a request names it: by id or by name, and a version
/// (`$Latest`, `$Default` or a number).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateRef {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

impl TemplateRef {
    /// The template named by the parameters under `prefix` (e.g. `LaunchTemplate.`).
    pub fn from_params(request: &AwsRequest, prefix: &str) -> Option<TemplateRef> {
        let value = |key: &str| {
            request
                .params
                .iter()
                .find(|(k, _)| k.strip_prefix(prefix) == Some(key))
                .map(|(_, v)| v.clone())
        };
        let found = TemplateRef {
            id: value("LaunchTemplateId"),
            name: value("LaunchTemplateName"),
            version: value("Version"),
        };
        (found.id.is_some() || found.name.is_some()).then_some(found)
    }

    /// The template an Auto Scaling request names, directly or in a mixed instances policy.
    pub fn of_group_request(request: &AwsRequest) -> Option<TemplateRef> {
        TemplateRef::from_params(request, "LaunchTemplate.")
            .or_else(|| {
                TemplateRef::from_params(
                    request,
                    "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.",
                )
            })
            .or_else(|| TemplateRef::from_params(request, "DesiredConfiguration.LaunchTemplate."))
    }
}

#[derive(Debug, Clone, Default)]
struct Template {
    name: String,
    /// Index 0 is version 1: the profile each version names, if any.
    versions: Vec<Option<String>>,
    default_version: usize,
}

/// Launch templates, groups and instance profiles seen through the proxy.
#[derive(Debug, Default)]
pub struct Templates {
    /// Keyed by template id.
    templates: HashMap<String, Template>,
    /// Auto Scaling group → the template it launches from, and when it was created.
    groups: HashMap<String, (Option<TemplateRef>, Instant)>,
    /// Instance profile name → when it was last created or given a role.
    profiles: HashMap<String, Instant>,
}

/// `arn:aws:iam::123:instance-profile/path/name` or `name` → `name`.
fn profile_name(named: &str) -> &str {
    if named.starts_with("arn:") {
        named.rsplit('/').next().unwrap_or(named)
    } else {
        named
    }
}

/// The profile a request's launch template data (or RunInstances itself) names.
fn named_profile(request: &AwsRequest, prefix: &str) -> Option<String> {
    ["IamInstanceProfile.Name", "IamInstanceProfile.Arn"]
        .iter()
        .find_map(|key| {
            request
                .params
                .iter()
                .find(|(k, _)| k.strip_prefix(prefix) == Some(key))
                .map(|(_, v)| v.clone())
        })
}

impl Templates {
    /// Learn from a call that succeeded (`body` is moto's response).
    pub fn observe(&mut self, request: &AwsRequest, body: &str, now: Instant) {
        match (
            request.call.service.as_str(),
            request.call.operation.as_str(),
        ) {
            ("iam", "CreateInstanceProfile" | "AddRoleToInstanceProfile") => {
                if let Some(name) = request.param("InstanceProfileName") {
                    self.profiles.insert(name.to_string(), now);
                }
            }
            ("ec2", "CreateLaunchTemplate") => {
                let id = xml::element_values(body, "launchTemplateId");
                let name = request.param("LaunchTemplateName").unwrap_or_default();
                if let Some(id) = id.first() {
                    self.templates.insert(
                        id.clone(),
                        Template {
                            name: name.to_string(),
                            versions: vec![named_profile(request, "LaunchTemplateData.")],
                            default_version: 1,
                        },
                    );
                }
            }
            ("ec2", "CreateLaunchTemplateVersion") => self.learn_version(request, body),
            ("ec2", "ModifyLaunchTemplate") => {
                let default = request
                    .param("SetDefaultVersion")
                    .and_then(|v| v.parse().ok());
                let named = TemplateRef::from_params(request, "");
                if let (Some(default), Some(template)) =
                    (default, named.and_then(|t| self.template_mut(&t)))
                {
                    template.default_version = default;
                }
            }
            ("autoscaling", "CreateAutoScalingGroup") => {
                if let Some(group) = request.param("AutoScalingGroupName") {
                    self.groups.insert(
                        group.to_string(),
                        (TemplateRef::of_group_request(request), now),
                    );
                }
            }
            ("autoscaling", "UpdateAutoScalingGroup") => {
                let group = request.param("AutoScalingGroupName");
                let template = TemplateRef::of_group_request(request);
                if let (Some(group), Some(template)) = (group, template) {
                    let entry = self.groups.entry(group.to_string()).or_insert((None, now));
                    entry.0 = Some(template);
                }
            }
            _ => {}
        }
    }

    fn learn_version(&mut self, request: &AwsRequest, body: &str) {
        let Some(id) = xml::element_values(body, "launchTemplateId")
            .into_iter()
            .next()
        else {
            return;
        };
        let number: usize = xml::element_values(body, "versionNumber")
            .first()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let source: Option<usize> = request.param("SourceVersion").and_then(|v| v.parse().ok());
        let name = xml::element_values(body, "launchTemplateName")
            .into_iter()
            .next()
            .unwrap_or_default();
        let template = self.templates.entry(id).or_insert_with(|| Template {
            name,
            versions: Vec::new(),
            default_version: 1,
        });
        let inherited = source
            .and_then(|v| template.versions.get(v.wrapping_sub(1)).cloned())
            .flatten();
        let profile = named_profile(request, "LaunchTemplateData.").or(inherited);
        if number == 0 {
            template.versions.push(profile);
        } else {
            if template.versions.len() < number {
                template.versions.resize(number, None);
            }
            template.versions[number - 1] = profile;
        }
    }

    fn template_mut(&mut self, named: &TemplateRef) -> Option<&mut Template> {
        let id = self.template_id(named)?;
        self.templates.get_mut(&id)
    }

    fn template_id(&self, named: &TemplateRef) -> Option<String> {
        match (&named.id, &named.name) {
            (Some(id), _) => Some(id.clone()),
            (None, Some(name)) => self
                .templates
                .iter()
                .find(|(_, t)| &t.name == name)
                .map(|(id, _)| id.clone()),
            (None, None) => None,
        }
    }

    /// The instance profile the named template version names.
    pub fn profile_of(&self, named: &TemplateRef) -> Option<String> {
        let template = self.templates.get(&self.template_id(named)?)?;
        let version = match named.version.as_deref() {
            Some("$Latest") => template.versions.len(),
            None | Some("$Default") => template.default_version,
            Some(number) => number.parse().ok()?,
        };
        template.versions.get(version.checked_sub(1)?)?.clone()
    }

    /// The template a group launches from, as last created or updated through the proxy.
    pub fn group_template(&self, group: &str) -> Option<&TemplateRef> {
        self.groups.get(group).and_then(|(t, _)| t.as_ref())
    }

    /// When the group was first seen created (or updated).
    pub fn group_created(&self, group: &str) -> Option<Instant> {
        self.groups.get(group).map(|(_, at)| *at)
    }

    /// Groups the proxy knows of.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }

    /// When the profile was last created or given a role.
    fn profile_changed(&self, named: &str) -> Option<Instant> {
        self.profiles.get(profile_name(named)).copied()
    }
}

/// AWS's refusal of a call that launches from a profile IAM has not propagated yet.
pub fn propagation_refusal(
    request: &AwsRequest,
    templates: &Templates,
    config: &IamPropagationConfig,
    seed: u64,
    now: Instant,
) -> Option<AwsError> {
    let fresh = |profile: &str| {
        templates.profile_changed(profile).is_some_and(|at| {
            now.duration_since(at) < millis(config.window_ms) + jitter(seed, profile, config)
        })
    };
    match (
        request.call.service.as_str(),
        request.call.operation.as_str(),
    ) {
        ("ec2", "RunInstances") => {
            let profile = named_profile(request, "").or_else(|| {
                TemplateRef::from_params(request, "LaunchTemplate.")
                    .and_then(|t| templates.profile_of(&t))
            })?;
            fresh(&profile).then(|| AwsError {
                status: 400,
                code: "InvalidParameterValue".into(),
                message: format!(
                    "Value ({}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
                    profile_name(&profile)
                ),
            })
        }
        (
            "autoscaling",
            "CreateAutoScalingGroup" | "UpdateAutoScalingGroup" | "StartInstanceRefresh",
        ) => {
            let named = TemplateRef::of_group_request(request).or_else(|| {
                let group = request.param("AutoScalingGroupName")?;
                templates.group_template(group).cloned()
            })?;
            let profile = templates.profile_of(&named)?;
            fresh(&profile).then(|| AwsError {
                status: 400,
                code: "ValidationError".into(),
                message: format!(
                    "You must use a valid fully-formed launch template. Invalid IAM Instance Profile ARN: {profile}"
                ),
            })
        }
        _ => None,
    }
}

/// A stable extra delay per profile in `0..=jitter_ms`, from the run's seed (FNV-1a).
fn jitter(seed: u64, profile: &str, config: &IamPropagationConfig) -> Duration {
    if config.jitter_ms == 0 {
        return Duration::ZERO;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in profile_name(profile).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    millis(hash % (config.jitter_ms + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{CallId, Protocol};

    fn request(service: &str, operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: service.into(),
                operation: operation.into(),
            },
            protocol: Protocol::of_service(service),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_group_naming_a_fresh_profile_is_refused_until_the_window_passes() {
        let start = Instant::now();
        let mut templates = Templates::default();
        templates.observe(
            &request(
                "iam",
                "CreateInstanceProfile",
                &[("InstanceProfileName", "web")],
            ),
            "",
            start,
        );
        templates.observe(
            &request(
                "ec2",
                "CreateLaunchTemplate",
                &[
                    ("LaunchTemplateName", "lt"),
                    (
                        "LaunchTemplateData.IamInstanceProfile.Arn",
                        "arn:aws:iam::1:instance-profile/web",
                    ),
                ],
            ),
            "<launchTemplate><launchTemplateId>lt-1</launchTemplateId></launchTemplate>",
            start,
        );
        templates.observe(
            &request(
                "ec2",
                "CreateLaunchTemplateVersion",
                &[("LaunchTemplateId", "lt-1"), ("LaunchTemplateData.ImageId", "ami-1")],
            ),
            "<launchTemplateVersion><launchTemplateId>lt-1</launchTemplateId><versionNumber>2</versionNumber></launchTemplateVersion>",
            start,
        );
        let config = IamPropagationConfig {
            window_ms: 1000,
            jitter_ms: 0,
        };
        let create = request(
            "autoscaling",
            "CreateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", "g"),
                ("LaunchTemplate.LaunchTemplateName", "lt"),
                ("LaunchTemplate.Version", "1"),
            ],
        );
        let refused =
            propagation_refusal(&create, &templates, &config, 0, start + millis(10)).unwrap();
        assert_eq!(refused.code, "ValidationError");
        assert!(refused.message.contains("Invalid IAM Instance Profile ARN"));
        assert!(
            propagation_refusal(&create, &templates, &config, 0, start + millis(1001)).is_none()
        );
        // Version 2 names no profile: nothing to wait for.
        let latest = request(
            "autoscaling",
            "CreateAutoScalingGroup",
            &[
                ("LaunchTemplate.LaunchTemplateId", "lt-1"),
                ("LaunchTemplate.Version", "$Latest"),
            ],
        );
        assert!(propagation_refusal(&latest, &templates, &config, 0, start).is_none());
        let run = request("ec2", "RunInstances", &[("IamInstanceProfile.Name", "web")]);
        let refused = propagation_refusal(&run, &templates, &config, 0, start).unwrap();
        assert_eq!(refused.code, "InvalidParameterValue");
    }

    #[test]
    fn jitter_is_seeded_and_bounded() {
        let config = IamPropagationConfig {
            window_ms: 0,
            jitter_ms: 500,
        };
        assert_eq!(jitter(1, "a", &config), jitter(1, "a", &config));
        assert!(jitter(1, "a", &config) <= millis(500));
    }
}
