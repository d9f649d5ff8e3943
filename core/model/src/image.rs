//! Which machine image an instance boots: the architecture its instance type runs, the public
//! SSM parameter that names the current Amazon Linux 2023 image for that architecture, the
//! root volume an image needs, and what planning decides about the `ami_id` of the app and the
//! bastion (keep it, resolve it again, or refuse a pinned image the type cannot run).
//!
//! Pure: the AWS side (`stack_core::aws::ec2::images`, `stack_core::aws::ssm`) asks AWS and
//! hands the answers here as [`ImageFacts`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{FieldPath, SpecError};
use crate::spec::StackSpec;

/// The processor architectures Amazon Linux 2023 is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    /// AWS's spelling (`DescribeImages` `Architecture`, `DescribeInstanceTypes`
    /// `SupportedArchitectures`): `x86_64` or `arm64`. The Mac (`x86_64_mac`, `arm64_mac`) and
    /// 32-bit (`i386`) values name images Amazon Linux 2023 is not built for.
    pub fn from_aws(value: &str) -> Option<Architecture> {
        match value {
            "x86_64" => Some(Architecture::X86_64),
            "arm64" => Some(Architecture::Arm64),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The public parameter AWS keeps pointing at the current Amazon Linux 2023 image (default
/// kernel) of `architecture`, in every region.
pub fn al2023_parameter(architecture: Architecture) -> String {
    format!(
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{}",
        architecture.as_str()
    )
}

/// The architecture of the images an instance type boots, from its `SupportedArchitectures`:
/// x86_64 when it runs it (some x86 types also list `i386`), else arm64, else none this stack
/// can boot.
pub fn architecture_of<S: AsRef<str>>(supported: &[S]) -> Option<Architecture> {
    let known: BTreeSet<Architecture> = supported
        .iter()
        .filter_map(|a| Architecture::from_aws(a.as_ref()))
        .collect();
    known.into_iter().next()
}

/// The root volume to ask for: `minimum`, or the image's root snapshot when that is larger
/// (EC2 refuses a volume smaller than the snapshot it is made from).
pub fn root_volume_gib(minimum: i32, snapshot_gib: Option<i32>) -> i32 {
    snapshot_gib.map_or(minimum, |snapshot| snapshot.max(minimum))
}

/// What AWS said about instance types and images, for planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// Instance type → its `SupportedArchitectures`, as AWS spells them.
    pub instance_types: BTreeMap<String, Vec<String>>,
    /// Image id → its `Architecture`, as AWS spells it.
    pub images: BTreeMap<String, String>,
}

impl ImageFacts {
    fn type_architecture(&self, instance_type: &str) -> Option<Architecture> {
        architecture_of(self.instance_types.get(instance_type)?)
    }
}

/// What planning must ask AWS before it can decide the images.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    pub instance_types: BTreeSet<String>,
    pub images: BTreeSet<String>,
}

impl ImageQuery {
    pub fn is_empty(&self) -> bool {
        self.instance_types.is_empty() && self.images.is_empty()
    }
}

/// The tiers whose instances boot an AMI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    App,
    Bastion,
}

impl Tier {
    /// The configuration block holding the tier's `instance_type` and `ami_id`.
    pub fn block(self) -> &'static str {
        match self {
            Tier::App => "wordpress",
            Tier::Bastion => "bastion",
        }
    }

    /// The tier's `ami_id` in `spec`.
    pub fn ami_id(self, spec: &mut StackSpec) -> &mut Option<String> {
        match self {
            Tier::App => &mut spec.wordpress.ami_id,
            Tier::Bastion => &mut spec.bastion.ami_id,
        }
    }
}

/// One tier's image as planning sees it: the app's or the bastion's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierImage {
    pub tier: Tier,
    pub instance_type: String,
    /// The AMI the configuration names; `None` leaves it to the provider.
    pub pinned: Option<String>,
    /// On update: the instance type and the AMI the prior state holds.
    pub prior: Option<(String, Option<String>)>,
}

/// What planning does with a tier's `ami_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageDecision {
    /// The planned value stands (the pinned AMI, the prior one, or unknown on create).
    Keep,
    /// The instance type moved to another architecture: the AMI is unknown until apply
    /// resolves the current Amazon Linux 2023 for it.
    Resolve,
}

impl TierImage {
    /// The app's and, when it runs, the bastion's images; `prior` is the prior state's spec.
    pub fn of(
        spec: &StackSpec,
        pinned: [Option<String>; 2],
        prior: Option<&StackSpec>,
    ) -> Vec<Self> {
        let [app_pin, bastion_pin] = pinned;
        let mut tiers = vec![TierImage {
            tier: Tier::App,
            instance_type: spec.wordpress.instance_type.clone(),
            pinned: app_pin,
            prior: prior.map(|p| {
                (
                    p.wordpress.instance_type.clone(),
                    p.wordpress.ami_id.clone(),
                )
            }),
        }];
        if spec.bastion.enabled {
            tiers.push(TierImage {
                tier: Tier::Bastion,
                instance_type: spec.bastion.instance_type.clone(),
                pinned: bastion_pin,
                // A bastion being enabled again is launched afresh: nothing to keep.
                prior: prior
                    .filter(|p| p.bastion.enabled)
                    .map(|p| (p.bastion.instance_type.clone(), p.bastion.ami_id.clone())),
            });
        }
        tiers
    }

    fn type_changed(&self) -> bool {
        self.prior
            .as_ref()
            .is_some_and(|(prior_type, _)| *prior_type != self.instance_type)
    }

    /// A pinned AMI is checked when it or the instance type is new; an unpinned one only
    /// matters when the instance type changes. A plan that changes neither asks nothing.
    pub fn add_questions(&self, query: &mut ImageQuery) {
        match (&self.pinned, &self.prior) {
            (Some(ami), None) => {
                query.instance_types.insert(self.instance_type.clone());
                query.images.insert(ami.clone());
            }
            (Some(ami), Some((_, prior_ami))) => {
                if self.type_changed() || prior_ami.as_deref() != Some(ami) {
                    query.instance_types.insert(self.instance_type.clone());
                    query.images.insert(ami.clone());
                }
            }
            (None, Some((prior_type, _))) if self.type_changed() => {
                query.instance_types.insert(prior_type.clone());
                query.instance_types.insert(self.instance_type.clone());
            }
            (None, _) => {}
        }
    }

    /// The decision, or the refusal of a pinned AMI the instance type cannot boot. What AWS
    /// did not describe is not held against the configuration: an unpinned AMI whose
    /// architectures cannot be compared is resolved again, a pinned one is left to EC2.
    pub fn decide(&self, facts: &ImageFacts) -> Result<ImageDecision, SpecError> {
        if let Some(ami) = &self.pinned {
            let image = facts.images.get(ami).map(String::as_str);
            let supported = facts.instance_types.get(&self.instance_type);
            if let (Some(image), Some(supported)) = (image, supported) {
                if !supported.iter().any(|s| s == image) {
                    return Err(self.mismatch(ami, image, supported));
                }
            }
            return Ok(ImageDecision::Keep);
        }
        let Some((prior_type, _)) = self.prior.as_ref().filter(|_| self.type_changed()) else {
            return Ok(ImageDecision::Keep);
        };
        let before = facts.type_architecture(prior_type);
        let after = facts.type_architecture(&self.instance_type);
        Ok(match (before, after) {
            (Some(before), Some(after)) if before == after => ImageDecision::Keep,
            _ => ImageDecision::Resolve,
        })
    }

    fn mismatch(&self, ami: &str, image: &str, supported: &[String]) -> SpecError {
        let runs = if supported.is_empty() {
            "no architecture AWS reported".to_string()
        } else {
            supported.join(" or ")
        };
        SpecError::new(
            FieldPath::attrs(&[self.tier.block(), "ami_id"]),
            format!(
                "AMI {ami} is {image}, but instance type {} runs {runs}",
                self.instance_type
            ),
            format!(
                "Every launch of {ami} on {} would fail. Pin an {runs} AMI, choose an instance \
type of the {image} architecture, or omit ami_id to use the current Amazon Linux 2023 for the \
instance type's architecture.",
                self.instance_type
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ImageFacts {
        ImageFacts {
            instance_types: BTreeMap::from([
                ("t3.small".into(), vec!["x86_64".into()]),
                ("t3.medium".into(), vec!["i386".into(), "x86_64".into()]),
                ("t4g.small".into(), vec!["arm64".into()]),
            ]),
            images: BTreeMap::from([
                ("ami-x86".into(), "x86_64".into()),
                ("ami-arm".into(), "arm64".into()),
            ]),
        }
    }

    fn tier(instance_type: &str, pinned: Option<&str>, prior: Option<(&str, &str)>) -> TierImage {
        TierImage {
            tier: Tier::App,
            instance_type: instance_type.into(),
            pinned: pinned.map(str::to_string),
            prior: prior.map(|(t, a)| (t.to_string(), Some(a.to_string()))),
        }
    }

    fn questions(tier: &TierImage) -> ImageQuery {
        let mut query = ImageQuery::default();
        tier.add_questions(&mut query);
        query
    }

    #[test]
    fn architectures_and_parameters_are_spelled_as_aws_does() {
        assert_eq!(architecture_of(&["x86_64"]), Some(Architecture::X86_64));
        assert_eq!(
            architecture_of(&["i386", "x86_64"]),
            Some(Architecture::X86_64)
        );
        assert_eq!(architecture_of(&["arm64"]), Some(Architecture::Arm64));
        assert_eq!(architecture_of(&["arm64_mac"]), None);
        assert_eq!(architecture_of::<&str>(&[]), None);
        assert_eq!(
            al2023_parameter(Architecture::Arm64),
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
        );
        assert_eq!(
            al2023_parameter(Architecture::X86_64),
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        );
    }

    #[test]
    fn the_root_volume_is_never_smaller_than_the_snapshot() {
        assert_eq!(root_volume_gib(20, None), 20);
        assert_eq!(root_volume_gib(20, Some(8)), 20);
        assert_eq!(root_volume_gib(20, Some(30)), 30);
    }

    #[test]
    fn a_plan_that_changes_neither_type_nor_pin_asks_nothing() {
        assert!(questions(&tier("t3.small", None, None)).is_empty());
        assert!(questions(&tier("t3.small", None, Some(("t3.small", "ami-x86")))).is_empty());
        assert!(questions(&tier(
            "t3.small",
            Some("ami-x86"),
            Some(("t3.small", "ami-x86"))
        ))
        .is_empty());
        let changed = questions(&tier("t4g.small", None, Some(("t3.small", "ami-x86"))));
        assert_eq!(
            changed.instance_types,
            BTreeSet::from(["t3.small".to_string(), "t4g.small".to_string()])
        );
        assert!(changed.images.is_empty());
        let pinned = questions(&tier("t3.small", Some("ami-arm"), None));
        assert_eq!(pinned.images, BTreeSet::from(["ami-arm".to_string()]));
    }

    #[test]
    fn a_type_change_across_architectures_resolves_the_image_again() {
        let facts = facts();
        let decide = |t: TierImage| t.decide(&facts).unwrap();
        assert_eq!(
            decide(tier("t4g.small", None, Some(("t3.small", "ami-x86")))),
            ImageDecision::Resolve
        );
        assert_eq!(
            decide(tier("t3.medium", None, Some(("t3.small", "ami-x86")))),
            ImageDecision::Keep,
            "same architecture: the image stays"
        );
        assert_eq!(
            decide(tier("t9.nano", None, Some(("t3.small", "ami-x86")))),
            ImageDecision::Resolve,
            "an architecture AWS did not report cannot be assumed the same"
        );
        assert_eq!(decide(tier("t4g.small", None, None)), ImageDecision::Keep);
    }

    #[test]
    fn a_pinned_image_of_another_architecture_is_refused_on_its_attribute() {
        let facts = facts();
        let error = tier("t4g.small", Some("ami-x86"), None)
            .decide(&facts)
            .unwrap_err();
        assert_eq!(error.path, FieldPath::attrs(&["wordpress", "ami_id"]));
        assert!(error.summary.contains("x86_64"), "{error:?}");
        assert!(error.summary.contains("t4g.small runs arm64"), "{error:?}");
        assert_eq!(
            tier("t4g.small", Some("ami-arm"), Some(("t3.small", "ami-x86"))).decide(&facts),
            Ok(ImageDecision::Keep)
        );
        assert_eq!(
            tier("t3.medium", Some("ami-x86"), None).decide(&facts),
            Ok(ImageDecision::Keep)
        );
        assert_eq!(
            tier("t4g.small", Some("ami-unknown"), None).decide(&facts),
            Ok(ImageDecision::Keep),
            "an image AWS did not describe is left to EC2"
        );
    }
}
