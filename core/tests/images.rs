//! The image adapters against a private moto server: instance types' architectures
//! (DescribeInstanceTypes), the public Amazon Linux 2023 parameters (SSM GetParameter) and the
//! images they name (DescribeImages), as planning (`Engine::image_facts`) and apply
//! (`tiers::images::resolve`) use them.

mod support;

use std::collections::BTreeSet;

use stack_core::aws::{ec2, ssm, AwsSettings, Clients};
use stack_core::image::{al2023_parameter, architecture_of, Architecture, ImageQuery};

async fn clients(world: &support::World) -> Clients {
    Clients::connect(&AwsSettings {
        region: Some(support::REGION.into()),
        endpoint_url: Some(world.moto.endpoint()),
        max_retries: Some(2),
        ..AwsSettings::default()
    })
    .await
    .expect("clients connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_architecture_has_its_current_amazon_linux_image() {
    let world = support::world().await;
    let clients = clients(&world).await;

    let types = ec2::instance_type_architectures(&clients, &["t3.small", "t4g.small", "t9.none"])
        .await
        .expect("instance types");
    assert_eq!(types["t3.small"], vec!["x86_64".to_string()]);
    assert_eq!(types["t4g.small"], vec!["arm64".to_string()]);
    assert!(!types.contains_key("t9.none"), "an unknown type is absent");

    for (instance_type, expected) in [
        ("t3.small", Architecture::X86_64),
        ("t4g.small", Architecture::Arm64),
    ] {
        let architecture = architecture_of(&types[instance_type]).expect("a known architecture");
        assert_eq!(architecture, expected);
        let id = ssm::parameter(&clients, &al2023_parameter(architecture))
            .await
            .expect("the public parameter");
        let image = ec2::image(&clients, &id).await.expect("the image it names");
        assert_eq!(image.id, id);
        assert_eq!(image.architecture.as_deref(), Some(expected.as_str()));
        assert!(image.root_volume_gib.is_some(), "{image:?}");
    }

    let missing = ssm::parameter(&clients, "/aws/service/no-such-parameter")
        .await
        .expect_err("no such parameter");
    assert_eq!(missing.aws_code(), Some("ParameterNotFound"), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_learns_architectures_in_one_call_per_service() {
    let world = support::world().await;
    let clients = clients(&world).await;
    let arm = ssm::parameter(&clients, &al2023_parameter(Architecture::Arm64))
        .await
        .expect("arm64 image");
    let query = ImageQuery {
        instance_types: BTreeSet::from(["t3.micro".to_string(), "m7g.large".to_string()]),
        images: BTreeSet::from([arm.clone(), "ami-0000000000000000f".to_string()]),
    };
    let facts = world.engine.image_facts(&query).await.expect("facts");
    assert_eq!(facts.instance_types["m7g.large"], vec!["arm64".to_string()]);
    assert_eq!(facts.instance_types["t3.micro"], vec!["x86_64".to_string()]);
    assert_eq!(facts.images.get(&arm).map(String::as_str), Some("arm64"));
    assert_eq!(
        facts.images.len(),
        1,
        "an unknown image is absent: {facts:?}"
    );
    let nothing = world
        .engine
        .image_facts(&ImageQuery::default())
        .await
        .expect("no question");
    assert!(nothing.instance_types.is_empty() && nothing.images.is_empty());
}
