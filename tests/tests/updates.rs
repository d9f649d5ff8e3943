//! In-place updates of the service tiers, each through the real Terraform CLI against
//! moto: change one thing in HCL, apply, then check through the AWS APIs that the change
//! happened and that nothing else was replaced (same ids, `resources` unchanged except where
//! expected), and that the next plan is empty.

mod service_support;

use stack_tests::harness::terraform::TerraformDir;

use base64::Engine;

use service_support::{
    acm_certificate, alias_records, assert_nothing_else_replaced, cpu_target, db_instance_count,
    efs_tags, elbv2_tags, group, group_count, group_tags, group_template, idle_timeout,
    launch_template_tags, listeners, rds_tags, resources, secret_value, setting, target_group,
    template_data, template_versions, text, user_data, Stack, World, ADDRESS,
};

#[tokio::test]
async fn autoscaling_sizes_and_cpu_target_update_the_group_in_place() {
    let world = World::start("upd-asg").await;
    let mut stack = Stack::lean("updasg");
    let before = world.apply(&stack);
    let asg = text(&before, "/asg_name").to_string();
    let (template, version) = group_template(&group(&world.aws, &asg).await);

    stack.autoscaling =
        "min_size = 3\n    max_size = 7\n    desired_capacity = 4\n    target_cpu_utilization = 45"
            .into();
    let after = world.update_in_place(&stack);

    let observed = group(&world.aws, &asg).await;
    assert_eq!(
        (
            observed.min_size(),
            observed.max_size(),
            observed.desired_capacity()
        ),
        (Some(3), Some(7), Some(4)),
        "new sizes on the same group"
    );
    assert_eq!(cpu_target(&world.aws, &asg).await, Some(45.0));
    assert_eq!(
        group_template(&observed),
        (template, version),
        "sizes alone leave the template version alone"
    );
    assert_eq!(group_count(&world.aws).await, 1, "no second group");
    assert_nothing_else_replaced(&before, &after, &[]);
    assert_eq!(after["autoscaling"]["desired_capacity"], 4);

    world.destroy("updasg").await;
}

#[tokio::test]
async fn wordpress_settings_roll_a_new_template_version_referenced_by_number() {
    let world = World::start("upd-lt").await;
    let mut stack = Stack::lean("updlt");
    let before = world.apply(&stack);
    let asg = text(&before, "/asg_name").to_string();
    let template = text(&before, "/launch_template_id").to_string();
    let first = before["launch_template_version"]
        .as_i64()
        .expect("a version number");
    assert_eq!(
        group_template(&group(&world.aws, &asg).await),
        (template.clone(), first.to_string()),
        "the group names its version by number, never $Latest"
    );

    // Each change gives one new version, and the group moves to it by number.
    let other_ami = other_image(&world, text(&before, "/wordpress/ami_id")).await;
    world
        .aws
        .ec2
        .create_key_pair()
        .key_name("ops")
        .send()
        .await
        .expect("create key pair");
    let changes: [(&str, String); 4] = [
        ("image", r#"image = "wordpress:6.6-php8.3-apache""#.into()),
        (
            "instance type and key",
            r#"image = "wordpress:6.6-php8.3-apache"
    instance_type = "t3.medium"
    key_name = "ops""#
                .into(),
        ),
        (
            "config_extra",
            r#"image = "wordpress:6.6-php8.3-apache"
    instance_type = "t3.medium"
    key_name = "ops"
    config_extra = "define('WP_MEMORY_LIMIT', '256M');""#
                .into(),
        ),
        (
            "ami_id",
            format!(
                r#"image = "wordpress:6.6-php8.3-apache"
    instance_type = "t3.medium"
    key_name = "ops"
    config_extra = "define('WP_MEMORY_LIMIT', '256M');"
    ami_id = "{other_ami}""#
            ),
        ),
    ];
    let mut previous = before.clone();
    for (step, (what, body)) in changes.into_iter().enumerate() {
        stack.wordpress = body;
        let after = world.update_in_place(&stack);
        let expected = first + 1 + step as i64;
        assert_eq!(
            after["launch_template_version"].as_i64(),
            Some(expected),
            "{what}: the state names the new version"
        );
        assert_eq!(
            template_versions(&world.aws, &template).await,
            (1..=expected).collect::<Vec<_>>(),
            "{what}: exactly one new version of the same template"
        );
        assert_eq!(
            group_template(&group(&world.aws, &asg).await),
            (template.clone(), expected.to_string()),
            "{what}: the same group now uses the new version, by number"
        );
        assert_eq!(
            group_count(&world.aws).await,
            1,
            "{what}: never a new group"
        );
        assert_nothing_else_replaced(&previous, &after, &[]);
        previous = after;
    }

    let data = template_data(
        &world.aws,
        &template,
        &previous["launch_template_version"].to_string(),
    )
    .await;
    assert_eq!(data.image_id(), Some(other_ami.as_str()));
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.medium"));
    assert_eq!(data.key_name(), Some("ops"));
    let script = user_data(&data);
    assert!(
        script.contains("wordpress:6.6-php8.3-apache"),
        "new image in user data"
    );
    let extra =
        base64::engine::general_purpose::STANDARD.encode("define('WP_MEMORY_LIMIT', '256M');");
    assert!(script.contains(&extra), "config_extra in user data");
    let old = template_data(&world.aws, &template, &first.to_string()).await;
    assert!(
        !user_data(&old).contains("wordpress:6.6-php8.3-apache"),
        "the first version is left as it was"
    );

    world.destroy("updlt").await;
}

/// An Amazon x86_64 image of moto's catalogue other than `current`.
async fn other_image(world: &World, current: &str) -> String {
    let out = world
        .aws
        .ec2
        .describe_images()
        .owners("amazon")
        // The stack's t3 instances boot x86_64 only: planning refuses a pinned arm64 image.
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("architecture")
                .values("x86_64")
                .build(),
        )
        .send()
        .await
        .expect("describe images");
    out.images()
        .iter()
        .filter(|i| i.root_device_name().is_some())
        .filter_map(|i| i.image_id())
        .find(|id| *id != current)
        .expect("another image")
        .to_string()
}

#[tokio::test]
async fn database_settings_modify_the_same_instance() {
    let world = World::start("upd-db").await;
    let mut stack = Stack::lean("upddb");
    stack.database = r#"multi_az = false
    skip_final_snapshot = true
    password = "first-Passw0rd""#
        .into();
    let before = world.apply(&stack);
    let identifier = "upddb-db";
    let template = text(&before, "/launch_template_id").to_string();
    let first_version = before["launch_template_version"].as_i64().expect("version");

    stack.database = r#"multi_az = true
    skip_final_snapshot = true
    password = "second-Passw0rd"
    instance_class = "db.t3.small"
    allocated_storage = 30
    backup_retention_days = 14
    engine_version = "8.4.5"
    deletion_protection = true"#
        .into();
    let after = world.update_in_place(&stack);

    let db = world.aws.db_instance(identifier).await;
    assert_eq!(db.db_instance_class(), Some("db.t3.small"));
    assert_eq!(db.allocated_storage(), Some(30));
    assert_eq!(db.multi_az(), Some(true));
    assert_eq!(db.backup_retention_period(), Some(14));
    // The default "8.4" pinned to a patch: a minor upgrade of the same instance.
    assert_eq!(db.engine_version(), Some("8.4.5"));
    assert_eq!(db.deletion_protection(), Some(true));
    assert_eq!(db_instance_count(&world.aws).await, 1, "the same instance");
    assert_nothing_else_replaced(&before, &after, &[]);
    assert_eq!(text(&after, "/db_endpoint"), text(&before, "/db_endpoint"));

    // Password rotation reaches the instances: the secret holds the new password, and a new
    // template version names the secret's new version, so instances read it at boot.
    let version = after["launch_template_version"].as_i64().expect("version");
    assert!(
        version > first_version,
        "a new version for the new password"
    );
    let script = user_data(&template_data(&world.aws, &template, &version.to_string()).await);
    let old_script =
        user_data(&template_data(&world.aws, &template, &first_version.to_string()).await);
    assert!(
        !script.contains("second-Passw0rd"),
        "no secret in the user data"
    );
    let secret = setting(&script, "SECRET_ID").expect("the user data names the secret");
    assert_ne!(
        setting(&script, "SECRET_VERSION"),
        setting(&old_script, "SECRET_VERSION"),
        "the new template version reads the secret's new version"
    );
    assert_eq!(
        secret_value(&world.moto, secret).await["db_password"],
        "second-Passw0rd",
        "the secret holds the new password"
    );
    assert_eq!(
        group_template(&group(&world.aws, text(&after, "/asg_name")).await).1,
        version.to_string()
    );

    // Deletion protection refuses destroy with a clear error, until it is turned off.
    let refused = world.tf.destroy().assert_failure();
    assert!(
        refused.combined().contains("deletion protection"),
        "a clear refusal\n{refused}"
    );
    assert_eq!(
        db_instance_count(&world.aws).await,
        1,
        "the database survived"
    );
    // Refused up front: nothing else was deleted either, the stack is whole.
    assert_eq!(group_count(&world.aws).await, 1, "the instances survived");
    world.tf.plan().assert_code(0);
    stack.database = stack
        .database
        .replace("deletion_protection = true", "deletion_protection = false");
    world.update_in_place(&stack);
    assert_eq!(
        world
            .aws
            .db_instance(identifier)
            .await
            .deletion_protection(),
        Some(false)
    );
    world.destroy("upddb").await;
}

#[tokio::test]
async fn shrinking_database_storage_is_refused_at_plan() {
    let world = World::start("upd-db-shrink").await;
    let mut stack = Stack::lean("updshrink");
    stack.database =
        "multi_az = false\n    skip_final_snapshot = true\n    allocated_storage = 40".into();
    world.apply(&stack);

    stack.database = stack
        .database
        .replace("allocated_storage = 40", "allocated_storage = 30");
    stack.write(&world.tf);
    let plan = world.tf.plan().assert_code(1);
    assert!(
        plan.points_at_attribute("allocated_storage"),
        "the diagnostic points at database.allocated_storage\n{plan}"
    );
    assert_eq!(
        world
            .aws
            .db_instance("updshrink-db")
            .await
            .allocated_storage(),
        Some(40)
    );

    stack.database = stack
        .database
        .replace("allocated_storage = 30", "allocated_storage = 40");
    stack.write(&world.tf);
    world.tf.plan().assert_code(0);
    world.destroy("updshrink").await;
}

/// EFS throughput mode: the change is sent to EFS (UpdateFileSystem) in a step that runs
/// last. Moto does not implement UpdateFileSystem (HTTP 500), which stands in for AWS's own
/// refusal (one mode change per 24 hours): the apply fails with an error naming the call, the
/// file system and the mode it keeps, every other change of the same apply is made, nothing is
/// replaced, and the change stays pending in the next plan.
#[tokio::test]
async fn efs_throughput_change_is_sent_to_efs_and_a_refusal_holds_nothing_else_back() {
    let world = World::start("upd-efs").await;
    let mut stack = Stack::lean("updefs");
    // Moto answers 500, which the SDK retries with backoff: keep the refusal quick.
    stack.max_retries = Some(1);
    // The file system's alarm follows the configured mode even when EFS refuses it (the next
    // apply puts it back): without alarms the last plan below judges the file system alone.
    stack.alarms = Some("enabled = false".into());
    let before = world.apply(&stack);
    let efs = text(&before, "/efs_id").to_string();
    let template = text(&before, "/launch_template_id").to_string();

    stack.storage = r#"throughput_mode = "bursting""#.into();
    stack.wordpress = r#"image = "wordpress:6.6-apache""#.into();
    stack.write(&world.tf);
    let plan = world.tf.plan().assert_code(2);
    assert!(plan.stdout.contains("will be updated in-place"), "{plan}");
    assert!(
        plan.stdout.contains("throughput mode elastic -> bursting"),
        "{plan}"
    );
    let applied = world.tf.apply().assert_failure();
    let message = applied.combined();
    assert!(
        message.contains("UpdateFileSystem")
            && message.contains(&efs)
            && message.contains("keeps throughput mode elastic"),
        "the error names the operation, the file system and the mode it keeps\n{applied}"
    );
    let out = world
        .aws
        .efs
        .describe_file_systems()
        .file_system_id(&efs)
        .send()
        .await
        .expect("describe file system");
    assert_eq!(
        out.file_systems()[0].throughput_mode().map(|m| m.as_str()),
        Some("elastic")
    );
    let after = world.tf.resource_values(ADDRESS);
    assert_nothing_else_replaced(&before, &after, &[]);
    // The image change of the same apply went through: a new version, used by the group.
    let (_, version) = group_template(&group(&world.aws, text(&after, "/asg_name")).await);
    let script = user_data(&template_data(&world.aws, &template, &version).await);
    assert!(
        script.contains("wordpress:6.6-apache"),
        "the image change was not held back"
    );
    assert_eq!(after["launch_template_version"].to_string(), version);

    // The refresh sees the mode unchanged, so the change is still pending; dropping it from
    // the configuration leaves nothing to do.
    world.tf.plan().assert_code(2);
    stack.storage = String::new();
    stack.write(&world.tf);
    world.tf.plan().assert_code(0);
    world.destroy("updefs").await;
}

#[tokio::test]
async fn load_balancer_certificate_health_check_and_idle_timeout_update_in_place() {
    let world = World::start("upd-lb").await;
    let mut stack = Stack::lean("updlb");
    let before = world.apply(&stack);
    let lb = before["resources"]["load_balancer"]
        .as_str()
        .expect("load balancer ARN")
        .to_string();
    let tg = before["resources"]["target_group"]
        .as_str()
        .expect("target group ARN")
        .to_string();
    let http = before["resources"]["http_listener"]
        .as_str()
        .expect("HTTP")
        .to_string();
    assert!(text(&before, "/url").starts_with("http://"));

    let certificate = acm_certificate(&world.moto, "updlb.example.com");
    stack.load_balancer = format!(
        r#"certificate_arn = "{certificate}"
    health_check_path = "/ping.html"
    idle_timeout = 120"#
    );
    let after = world.update_in_place(&stack);
    let found = listeners(&world.aws, &lb).await;
    let ports: Vec<Option<i32>> = found.iter().map(|l| l.port()).collect();
    assert_eq!(ports, [Some(80), Some(443)], "HTTP and HTTPS listeners");
    let https = &found[1];
    assert_eq!(
        https
            .certificates()
            .first()
            .and_then(|c| c.certificate_arn()),
        Some(certificate.as_str())
    );
    let http_action = &found[0].default_actions()[0];
    assert_eq!(
        http_action.r#type().map(|t| t.as_str()),
        Some("redirect"),
        "HTTP redirects"
    );
    assert_eq!(
        after["resources"]["http_listener"].as_str(),
        Some(http.as_str()),
        "HTTP listener kept"
    );
    assert!(after["resources"]["https_listener"].is_string());
    assert!(text(&after, "/url").starts_with("https://"));
    assert_eq!(
        target_group(&world.aws, &tg).await.health_check_path(),
        Some("/ping.html")
    );
    assert_eq!(idle_timeout(&world.aws, &lb).await.as_deref(), Some("120"));
    assert_nothing_else_replaced(&before, &after, &["https_listener"]);
    // The health file lives in the user data: instances get the new path.
    let version = after["launch_template_version"].to_string();
    let script =
        user_data(&template_data(&world.aws, text(&after, "/launch_template_id"), &version).await);
    assert!(script.contains("/ping.html"));

    // Certificate replaced: the same HTTPS listener takes the new one.
    let renewed = acm_certificate(&world.moto, "www.updlb.example.com");
    stack.load_balancer = stack.load_balancer.replace(&certificate, &renewed);
    let replaced = world.update_in_place(&stack);
    let found = listeners(&world.aws, &lb).await;
    assert_eq!(
        found[1]
            .certificates()
            .first()
            .and_then(|c| c.certificate_arn()),
        Some(renewed.as_str())
    );
    assert_eq!(
        replaced["resources"]["https_listener"], after["resources"]["https_listener"],
        "the HTTPS listener is kept"
    );

    // Certificate removed: back to one HTTP listener that forwards.
    stack.load_balancer = r#"health_check_path = "/ping.html"
    idle_timeout = 120"#
        .into();
    let removed = world.update_in_place(&stack);
    let found = listeners(&world.aws, &lb).await;
    assert_eq!(found.len(), 1, "the HTTPS listener is gone: {found:#?}");
    assert_eq!(
        found[0].default_actions()[0].r#type().map(|t| t.as_str()),
        Some("forward")
    );
    assert!(removed["resources"]["https_listener"].is_null());
    assert!(text(&removed, "/url").starts_with("http://"));
    assert_nothing_else_replaced(&before, &removed, &[]);

    world.destroy("updlb").await;
}

#[tokio::test]
async fn dns_record_is_added_changed_and_removed() {
    let world = World::start("upd-dns").await;
    let zone = world
        .aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");
    let mut stack = Stack::lean("upddns");
    let before = world.apply(&stack);
    let alb = text(&before, "/alb_dns_name").to_string();
    assert!(alias_records(&world.aws, &zone).await.is_empty());

    stack.dns = Some(format!(
        "zone_id = \"{zone}\"\n    record_name = \"www.example.com\""
    ));
    let added = world.update_in_place(&stack);
    let records = alias_records(&world.aws, &zone).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(
        records["www.example.com."]
            .trim_end_matches('.')
            .eq_ignore_ascii_case(&alb),
        "alias to the ALB: {records:?}"
    );
    assert_eq!(text(&added, "/url"), "http://www.example.com");
    assert_nothing_else_replaced(&before, &added, &["dns_record"]);

    stack.dns = Some(format!(
        "zone_id = \"{zone}\"\n    record_name = \"blog.example.com\""
    ));
    let changed = world.update_in_place(&stack);
    let records = alias_records(&world.aws, &zone).await;
    assert_eq!(
        records.keys().collect::<Vec<_>>(),
        ["blog.example.com."],
        "the old name is gone, the new one points at the ALB"
    );
    assert_eq!(text(&changed, "/url"), "http://blog.example.com");

    stack.dns = None;
    let removed = world.update_in_place(&stack);
    assert!(alias_records(&world.aws, &zone).await.is_empty());
    assert_eq!(text(&removed, "/url"), format!("http://{alb}"));
    assert!(removed["resources"]["dns_record"].is_null());
    assert_nothing_else_replaced(&before, &removed, &[]);

    world.destroy("upddns").await;
}

#[tokio::test]
async fn tags_and_default_tags_changes_retag_every_service_object() {
    let world = World::start("upd-tags").await;
    let mut stack = Stack::lean("updtags");
    stack.default_tags = Some(r#"{ team = "web" }"#.into());
    let before = world.apply(&stack);

    stack.tags = r#"{ env = "prod", owner = "blog" }"#.into();
    stack.default_tags = Some(r#"{ team = "ops", cost = "42" }"#.into());
    stack.write(&world.tf);
    world.tf.plan().assert_code(2);
    world.tf.apply().assert_success();
    let after = world.tf.resource_values(ADDRESS);
    assert_nothing_else_replaced(&before, &after, &[]);

    let wanted = [
        ("env", "prod"),
        ("owner", "blog"),
        ("team", "ops"),
        ("cost", "42"),
    ];
    let ids = resources(&after);
    let asg = group(&world.aws, text(&after, "/asg_name")).await;
    let tagged = [
        ("efs", efs_tags(&world.aws, text(&after, "/efs_id")).await),
        (
            "load balancer",
            elbv2_tags(&world.aws, &ids["load_balancer"]).await,
        ),
        (
            "target group",
            elbv2_tags(&world.aws, &ids["target_group"]).await,
        ),
        (
            "http listener",
            elbv2_tags(&world.aws, &ids["http_listener"]).await,
        ),
        (
            "launch template",
            launch_template_tags(&world.aws, text(&after, "/launch_template_id")).await,
        ),
        ("auto scaling group", group_tags(&asg)),
        (
            "db instance",
            rds_tags(
                &world.aws,
                world
                    .aws
                    .db_instance("updtags-db")
                    .await
                    .db_instance_arn()
                    .unwrap_or_default(),
            )
            .await,
        ),
        (
            "db subnet group",
            rds_tags(
                &world.aws,
                &db_subnet_group_arn(&world, "updtags-db-subnets").await,
            )
            .await,
        ),
    ];
    for (object, tags) in &tagged {
        for (key, value) in wanted {
            assert_eq!(
                tags.get(key).map(String::as_str),
                Some(value),
                "{object} tag {key}: {tags:?}"
            );
        }
        assert_eq!(
            tags.get("wordpress-ha:stack").map(String::as_str),
            Some("updtags"),
            "{object}"
        );
    }
    // Instances launched from now on carry the new tags: a new template version, used by
    // the group by number and named in the state.
    let version = group_template(&asg).1;
    assert_eq!(after["launch_template_version"].to_string(), version);
    let data = template_data(&world.aws, text(&after, "/launch_template_id"), &version).await;
    for spec in data.tag_specifications() {
        let tags: std::collections::BTreeMap<&str, &str> = spec
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?)))
            .collect();
        for (key, value) in wanted {
            assert_eq!(tags.get(key), Some(&value), "launch tags {key}: {tags:?}");
        }
    }
    world.tf.plan().assert_code(0);

    // default_tags alone: not part of the resource, so the refresh must show the difference.
    // The user's `owner` tag is dropped at the same time.
    stack.default_tags = Some(r#"{ team = "sec", dept = "it" }"#.into());
    stack.tags = r#"{ env = "prod" }"#.into();
    let updated = world.update_in_place(&stack);
    assert_nothing_else_replaced(&before, &updated, &[]);
    let efs = efs_tags(&world.aws, text(&updated, "/efs_id")).await;
    let lb = elbv2_tags(&world.aws, &ids["load_balancer"]).await;
    for tags in [
        &efs,
        &lb,
        &group_tags(&group(&world.aws, text(&updated, "/asg_name")).await),
    ] {
        assert_eq!(
            tags.get("team").map(String::as_str),
            Some("sec"),
            "{tags:?}"
        );
        assert_eq!(tags.get("dept").map(String::as_str), Some("it"), "{tags:?}");
        assert!(
            !tags.contains_key("owner"),
            "a dropped tag is removed: {tags:?}"
        );
        assert!(
            !tags.contains_key("cost"),
            "a dropped default tag is removed: {tags:?}"
        );
        assert_eq!(
            tags.get("env").map(String::as_str),
            Some("prod"),
            "{tags:?}"
        );
    }

    // An import by name reads the stack's tags back (defaults told apart): an empty plan.
    let importer = TerraformDir::new("upd-tags-import", &world.moto).expect("terraform dir");
    stack.write(&importer);
    importer.import(ADDRESS, "updtags").assert_success();
    importer.plan().assert_code(0);
    world.destroy("updtags").await;
}

async fn db_subnet_group_arn(world: &World, name: &str) -> String {
    let out = world
        .aws
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
        .expect("describe DB subnet group");
    out.db_subnet_groups()
        .first()
        .and_then(|g| g.db_subnet_group_arn())
        .expect("the subnet group has an ARN")
        .to_string()
}
