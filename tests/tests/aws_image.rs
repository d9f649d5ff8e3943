//! Each instance boots an image of its instance type's architecture, through the real
//! Terraform CLI with the fault proxy playing AWS as configs/aws-realistic.json describes
//! (instances that boot, the instance-refresh API, and with the `images` preset root snapshots
//! of a given size that EC2 refuses to shrink):
//! - a Graviton (`t4g`) stack's launch template and bastion boot the arm64 Amazon Linux 2023
//!   that AWS's public SSM parameter names, with root volumes at least the image's snapshot;
//! - an x86 stack boots x86_64, and switching its `instance_type` to `t4g` plans a new image,
//!   moves the template to the arm64 one and rolls the fleet through an instance refresh;
//! - an `ami_id` pinned to an image the instance type cannot boot is refused at plan, on the
//!   attribute, before anything is created.

use std::collections::BTreeSet;

use aws_fault_proxy::config::ImagesConfig;
use serde_json::Value;
use stack_tests::harness::terraform::{TerraformDir, TfOutput};
use stack_tests::inspect::AwsInspector;
use stack_tests::{workspace_root, FaultConfig, FaultProxy, Moto};

const ADDRESS: &str = "wordpress_ha_stack.site";
/// The provider's factor on every wait: the presets' 1 s real stands for about 1 AWS minute.
const TIME_SCALE_ENV: &str = "WORDPRESS_HA_TIME_SCALE";
const TIME_SCALE: &str = "0.0167";
/// Larger than moto's 15 GiB and than the app's 20 GiB default: the volume must follow it.
const LARGE_SNAPSHOT_GIB: u32 = 30;

/// One test's moto, proxy and Terraform dir through the proxy.
struct World {
    tf: TerraformDir,
    proxy: FaultProxy,
    /// Straight to moto: what exists, unaltered by the proxy.
    direct: AwsInspector,
    _moto: Moto,
}

impl World {
    /// aws-realistic.json, with the images' root snapshots at `snapshot_gib` when given.
    async fn start(test: &str, snapshot_gib: Option<u32>) -> World {
        let realistic = workspace_root().join("tests/proxy/configs/aws-realistic.json");
        let mut faults = FaultConfig::from_file(&realistic).expect("aws-realistic.json");
        assert!(
            faults.instance_refresh.is_some() && faults.images.is_some(),
            "the presets these tests rely on are on"
        );
        if let Some(root_snapshot_gib) = snapshot_gib {
            faults.images = Some(ImagesConfig { root_snapshot_gib });
        }
        let moto = Moto::start_async().await.expect("moto starts");
        let direct = AwsInspector::for_moto(&moto).await;
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let mut tf = TerraformDir::with_endpoint(test, &moto, &proxy.endpoint()).expect("work dir");
        tf.add_env(TIME_SCALE_ENV, TIME_SCALE);
        World {
            tf,
            proxy,
            direct,
            _moto: moto,
        }
    }

    /// A lean stack whose `wordpress` and `bastion` blocks add `app` and `bastion`.
    fn write_stack(&self, name: &str, app: &str, bastion: &str) {
        let hcl = format!(
            r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    vpc_cidr           = "10.70.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "single"
  }}
  bastion {{
    allowed_ssh_cidrs = ["203.0.113.0/24"]
    {bastion}
  }}
  wordpress {{
    {app}
  }}
  autoscaling {{
    min_size = 1
    max_size = 2
  }}
  database {{
    multi_az            = false
    skip_final_snapshot = true
  }}
  timeouts {{
    create = "3m"
    update = "3m"
    delete = "3m"
  }}
}}
"#
        );
        self.tf.write_stack(&hcl).expect("write main.tf");
    }

    fn state(&self) -> Value {
        self.tf.resource_values(ADDRESS)
    }

    /// The architecture AWS gives image `id`.
    async fn architecture(&self, id: &str) -> String {
        let images = self
            .direct
            .ec2
            .describe_images()
            .image_ids(id)
            .send()
            .await
            .expect("describe image");
        let image = images.images().first().expect("the image exists");
        image
            .architecture()
            .map(|a| a.as_str().to_string())
            .expect("an architecture")
    }

    /// The state's launch template version: its image and root volume size.
    async fn template(&self, state: &Value) -> (String, Option<i32>) {
        let id = state["launch_template_id"].as_str().expect("template id");
        let version = state["launch_template_version"]
            .as_i64()
            .expect("template version");
        let versions = self
            .direct
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions(version.to_string())
            .send()
            .await
            .expect("describe template version");
        let data = versions
            .launch_template_versions()
            .first()
            .and_then(|v| v.launch_template_data())
            .expect("the version's data");
        let root_size = data
            .block_device_mappings()
            .first()
            .and_then(|m| m.ebs())
            .and_then(|ebs| ebs.volume_size());
        (data.image_id().expect("an image").to_string(), root_size)
    }

    /// The bastion's image and the sizes of its volumes.
    async fn bastion(&self, state: &Value) -> (String, Vec<i32>) {
        let id = state["resources"]["bastion_instance"]
            .as_str()
            .expect("a bastion");
        let reservations = self
            .direct
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("describe bastion");
        let instance = reservations
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .expect("the bastion exists");
        let volume_ids: Vec<String> = instance
            .block_device_mappings()
            .iter()
            .filter_map(|m| m.ebs()?.volume_id())
            .map(str::to_string)
            .collect();
        let volumes = self
            .direct
            .ec2
            .describe_volumes()
            .set_volume_ids(Some(volume_ids))
            .send()
            .await
            .expect("describe volumes");
        let sizes = volumes.volumes().iter().filter_map(|v| v.size()).collect();
        (instance.image_id().expect("an image").to_string(), sizes)
    }

    /// Whether the group runs the state's template version, by number.
    async fn group_version(&self, state: &Value) -> Option<String> {
        let name = state["asg_name"].as_str().expect("group name");
        let groups = self
            .direct
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .expect("describe group");
        groups
            .auto_scaling_groups()
            .first()?
            .launch_template()?
            .version()
            .map(str::to_string)
    }
}

/// Terraform wraps diagnostics at 78 columns: compare with every run of white space as one.
#[track_caller]
fn assert_mentions(out: &TfOutput, expected: &str) {
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&out.combined()).contains(&flat(expected)),
        "the output mentions {expected:?}\n{out}"
    );
}

#[tokio::test]
async fn a_graviton_stack_boots_arm64_images_with_root_volumes_at_least_the_snapshot() {
    let world = World::start("image_graviton", Some(LARGE_SNAPSHOT_GIB)).await;
    world.write_stack(
        "graviton",
        r#"instance_type = "t4g.small""#,
        r#"instance_type = "t4g.micro""#,
    );
    world.tf.apply().assert_success();
    let state = world.state();

    let (app_image, app_root) = world.template(&state).await;
    assert_eq!(world.architecture(&app_image).await, "arm64", "the app");
    assert_eq!(
        state["wordpress"]["ami_id"].as_str(),
        Some(app_image.as_str())
    );
    assert!(
        app_root.is_some_and(|gib| gib >= LARGE_SNAPSHOT_GIB as i32),
        "the template's root volume ({app_root:?} GiB) holds the image's {LARGE_SNAPSHOT_GIB} GiB snapshot"
    );
    let (bastion_image, bastion_volumes) = world.bastion(&state).await;
    assert_eq!(
        world.architecture(&bastion_image).await,
        "arm64",
        "the bastion"
    );
    assert_eq!(
        state["bastion"]["ami_id"].as_str(),
        Some(bastion_image.as_str())
    );
    assert!(
        !bastion_volumes.is_empty()
            && bastion_volumes
                .iter()
                .all(|gib| *gib >= LARGE_SNAPSHOT_GIB as i32),
        "the bastion's volumes {bastion_volumes:?} hold the snapshot"
    );
    let stats = world.proxy.stats();
    assert!(
        stats.calls_to("ssm", "GetParameter") > 0,
        "the image came from the public Amazon Linux 2023 parameter"
    );
    world.tf.plan().assert_code(0);
}

#[tokio::test]
async fn an_x86_stack_switched_to_graviton_rolls_its_fleet_onto_the_arm64_image() {
    let world = World::start("image_switch", None).await;
    world.write_stack("switch", r#"instance_type = "t3.small""#, "");
    world.tf.apply().assert_success();
    let before = world.state();
    let (x86_image, _) = world.template(&before).await;
    assert_eq!(world.architecture(&x86_image).await, "x86_64", "the app");
    let (bastion_image, _) = world.bastion(&before).await;
    assert_eq!(
        world.architecture(&bastion_image).await,
        "x86_64",
        "the bastion (t3.micro)"
    );
    assert!(world.proxy.instance_refreshes().is_empty());

    world.write_stack("switch", r#"instance_type = "t4g.small""#, "");
    let plan = world.tf.plan().assert_code(2);
    assert_mentions(&plan, &format!("AMI {x86_image} ->"));
    world.tf.apply().assert_success();
    let after = world.state();
    let (arm_image, _) = world.template(&after).await;
    assert_ne!(arm_image, x86_image);
    assert_eq!(world.architecture(&arm_image).await, "arm64");
    assert_eq!(
        after["wordpress"]["ami_id"].as_str(),
        Some(arm_image.as_str())
    );
    assert_eq!(
        world.group_version(&after).await,
        after["launch_template_version"]
            .as_i64()
            .map(|v| v.to_string()),
        "the group runs the new version"
    );
    let refreshes = world.proxy.instance_refreshes();
    assert_eq!(refreshes.len(), 1, "the fleet rolled: {refreshes:#?}");
    assert_eq!(refreshes[0].status, "Successful");
    assert_eq!(
        after["bastion"]["ami_id"], before["bastion"]["ami_id"],
        "the bastion kept its type and image"
    );
    world.tf.plan().assert_code(0);
}

#[tokio::test]
async fn a_pinned_ami_the_instance_type_cannot_boot_is_refused_at_plan() {
    let world = World::start("image_pinned", None).await;
    let x86_image = world
        .direct
        .ec2
        .describe_images()
        .owners("amazon")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("architecture")
                .values("x86_64")
                .build(),
        )
        .send()
        .await
        .expect("images")
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("an x86_64 image");
    world.write_stack(
        "pinned",
        &format!("instance_type = \"t4g.small\"\n    ami_id = \"{x86_image}\""),
        "",
    );
    let refused = world.tf.plan().assert_failure();
    assert_mentions(
        &refused,
        &format!("AMI {x86_image} is x86_64, but instance type t4g.small runs arm64"),
    );
    assert!(
        refused.points_at_attribute("ami_id"),
        "the diagnostic points at ami_id\n{refused}"
    );
    let stats = world.proxy.stats();
    let creates: BTreeSet<&str> = stats
        .calls
        .values()
        .flat_map(|ops| ops.keys())
        .map(String::as_str)
        .filter(|op| op.starts_with("Create") || op.starts_with("Run"))
        .collect();
    assert!(creates.is_empty(), "nothing was created: {creates:?}");
    assert_eq!(
        (
            stats.calls_to("ec2", "DescribeInstanceTypes"),
            stats.calls_to("ec2", "DescribeImages")
        ),
        (1, 1),
        "planning asked once each"
    );

    world.write_stack(
        "pinned",
        &format!("instance_type = \"t3.small\"\n    ami_id = \"{x86_image}\""),
        "",
    );
    world.tf.plan().assert_code(2);
}
