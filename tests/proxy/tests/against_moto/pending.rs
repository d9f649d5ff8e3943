//! Pending states that clear after their configured time.

use std::time::Duration;

use aws_sdk_ec2::types::DomainType;

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn nat_gateway_and_load_balancer_read_pending_then_ready() {
    let rig = Rig::start(config(
        r#"{"pending": {"nat_gateway_ms": 2000, "load_balancer_ms": 2000}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .expect("eip");
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets[0])
        .allocation_id(eip.allocation_id().expect("allocation"))
        .send()
        .await
        .expect("nat");
    let nat_id = nat
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .expect("nat id")
        .to_string();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let lb = elb
        .create_load_balancer()
        .name("web")
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .expect("alb");
    let lb_arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .expect("arn")
        .to_string();

    let nat_state = || async {
        ec2.describe_nat_gateways()
            .nat_gateway_ids(&nat_id)
            .send()
            .await
            .expect("describe nat")
            .nat_gateways()[0]
            .state()
            .cloned()
    };
    let lb_state = || async {
        let lbs = elb
            .describe_load_balancers()
            .load_balancer_arns(&lb_arn)
            .send()
            .await
            .expect("describe lb");
        lbs.load_balancers()[0]
            .state()
            .and_then(|s| s.code())
            .cloned()
    };
    use aws_sdk_ec2::types::NatGatewayState;
    use aws_sdk_elasticloadbalancingv2::types::LoadBalancerStateEnum;
    assert_eq!(nat_state().await, Some(NatGatewayState::Pending));
    assert_eq!(lb_state().await, Some(LoadBalancerStateEnum::Provisioning));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(nat_state().await, Some(NatGatewayState::Available));
    assert_eq!(lb_state().await, Some(LoadBalancerStateEnum::Active));
}

#[tokio::test(flavor = "multi_thread")]
async fn database_and_mount_target_read_creating_then_available() {
    let rig = Rig::start(config(
        r#"{"pending": {"db_instance_ms": 2000, "db_modify_ms": 1500, "mount_target_ms": 2000}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_instance()
        .db_instance_identifier("db1")
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .master_username("admin")
        .master_user_password("password123")
        .allocated_storage(20)
        .send()
        .await
        .expect("rds create");
    let efs = aws_sdk_efs::Client::new(&sdk);
    let fs = efs
        .create_file_system()
        .creation_token("t")
        .send()
        .await
        .expect("efs");
    let mt = efs
        .create_mount_target()
        .file_system_id(fs.file_system_id())
        .subnet_id(&subnets[0])
        .send()
        .await
        .expect("mount target");
    let mt_id = mt.mount_target_id().to_string();

    let db_status = || async {
        let dbs = rds
            .describe_db_instances()
            .db_instance_identifier("db1")
            .send()
            .await
            .expect("describe db");
        dbs.db_instances()[0]
            .db_instance_status()
            .map(str::to_string)
    };
    let mt_state = || async {
        let mts = efs
            .describe_mount_targets()
            .mount_target_id(&mt_id)
            .send()
            .await
            .expect("describe mt");
        mts.mount_targets()[0].life_cycle_state().clone()
    };
    use aws_sdk_efs::types::LifeCycleState;
    assert_eq!(db_status().await.as_deref(), Some("creating"));
    assert_eq!(mt_state().await, LifeCycleState::Creating);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(db_status().await.as_deref(), Some("available"));
    assert_eq!(mt_state().await, LifeCycleState::Available);

    rds.modify_db_instance()
        .db_instance_identifier("db1")
        .backup_retention_period(3)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");
    assert_eq!(db_status().await.as_deref(), Some("modifying"));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(db_status().await.as_deref(), Some("available"));
}

#[tokio::test(flavor = "multi_thread")]
async fn asg_instances_and_dns_changes_read_pending_then_ready() {
    let rig = Rig::start(config(
        r#"{"pending": {"asg_instance_ms": 2000, "dns_change_ms": 2000}}"#,
    ))
    .await;
    let sdk = rig.sdk(1).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnets) = vpc_with_subnets(&ec2).await;
    let template = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .build();
    ec2.create_launch_template()
        .launch_template_name("web")
        .launch_template_data(template)
        .send()
        .await
        .expect("launch template");
    let asg = aws_sdk_autoscaling::Client::new(&sdk);
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name("web")
                .version("$Latest")
                .build(),
        )
        .min_size(1)
        .max_size(1)
        .vpc_zone_identifier(subnets.join(","))
        .send()
        .await
        .expect("asg");
    let lifecycle = || async {
        let groups = asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names("web")
            .send()
            .await
            .expect("describe asg");
        groups.auto_scaling_groups()[0].instances()[0]
            .lifecycle_state()
            .cloned()
    };
    use aws_sdk_autoscaling::types::LifecycleState;
    assert_eq!(lifecycle().await, Some(LifecycleState::Pending));

    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("r1")
        .send()
        .await
        .expect("zone");
    let zone_id = zone
        .hosted_zone()
        .map(|z| z.id().to_string())
        .expect("zone id");
    let record = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("www.example.com")
        .r#type(aws_sdk_route53::types::RrType::A)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("10.0.0.1")
                .build()
                .expect("record"),
        )
        .build()
        .expect("record set");
    let change = aws_sdk_route53::types::Change::builder()
        .action(aws_sdk_route53::types::ChangeAction::Upsert)
        .resource_record_set(record)
        .build()
        .expect("change");
    let submitted = route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(change)
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("change record");
    use aws_sdk_route53::types::ChangeStatus;
    let info = submitted.change_info().expect("change info");
    assert_eq!(info.status(), &ChangeStatus::Pending);
    let change_id = info.id().to_string();
    let status = || async {
        route53
            .get_change()
            .id(&change_id)
            .send()
            .await
            .expect("get change")
            .change_info()
            .map(|c| c.status().clone())
    };
    assert_eq!(status().await, Some(ChangeStatus::Pending));

    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(lifecycle().await, Some(LifecycleState::InService));
    assert_eq!(status().await, Some(ChangeStatus::Insync));
}
