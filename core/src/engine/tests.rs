use super::*;

#[test]
fn the_apply_graph_names_what_each_step_waits_on() {
    let mut spec = StackSpec::with_name("blog");
    spec.bastion.enabled = true;
    spec.dns = Some(crate::spec::DnsSpec {
        zone_id: "Z1".into(),
        record_name: "blog.example.com".into(),
        allow_overwrite: false,
    });
    let zones: Vec<String> = ["a", "b", "c"].iter().map(|z| z.to_string()).collect();
    let steps = apply_graph(&spec, &zones);
    let waits = |id: &str| -> Vec<&str> {
        steps
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.waits_for.clone())
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    assert_eq!(waits("network.nat:b"), ["nat_gateway"]);
    assert_eq!(waits("storage.mount_target:c"), ["mount_target"]);
    assert_eq!(waits("database.instance"), ["db_instance"]);
    assert_eq!(waits("network.vpc"), Vec::<&str>::new());
    assert_eq!(waits("bastion.instance"), ["instance"]);
    assert_eq!(waits("dns.record"), ["dns_change"]);
    let edges: Vec<(String, Vec<String>)> = steps
        .iter()
        .map(|s| (s.id.clone(), s.deps.clone()))
        .collect();
    let usual = |id: &str| -> f64 {
        let step = steps.iter().find(|s| s.id == id).expect("known step");
        step.usual_wait.as_secs_f64().max(1.0)
    };
    let (seconds, path) = graph::critical_path(&edges, usual).expect("a DAG");
    assert!(path.contains(&"database.instance".to_string()), "{path:?}");
    // The fleet boots beside the database, not after it.
    assert!(
        !path.contains(&"app.launch_template".to_string()),
        "{path:?}"
    );
    // The database's usual 12 minutes and the few seconds of steps before it.
    assert!((720.0..800.0).contains(&seconds), "{seconds}");
}

#[test]
fn outputs_follow_zone_order_and_skip_missing_objects() {
    let mut state = StackState::new(StackSpec::with_name("blog"));
    let zones = vec!["us-east-1b".to_string(), "us-east-1a".to_string()];
    for (key, id) in [
        ("vpc", "vpc-1"),
        ("public_subnet:us-east-1a", "subnet-a"),
        ("public_subnet:us-east-1b", "subnet-b"),
        ("private_subnet:us-east-1b", "subnet-pb"),
        ("nat_gateway:us-east-1b", "nat-b"),
        ("security_group:db", "sg-db"),
    ] {
        state.resources.insert(key.into(), id.into());
    }
    derive_outputs(&mut state, &zones);
    assert_eq!(state.outputs.vpc_id.as_deref(), Some("vpc-1"));
    assert_eq!(
        state.outputs.public_subnet_ids,
        vec!["subnet-b", "subnet-a"]
    );
    assert_eq!(state.outputs.private_subnet_ids, vec!["subnet-pb"]);
    assert_eq!(state.outputs.nat_gateway_ids, vec!["nat-b"]);
    assert_eq!(state.outputs.security_group_ids.len(), 1);
}

#[test]
fn a_stack_is_gone_when_its_vpc_is_or_nothing_is_left() {
    let with = |ids: &[(&str, &str)]| {
        let mut state = StackState::new(StackSpec::with_name("blog"));
        for (name, id) in ids {
            state.resources.insert(name.to_string(), id.to_string());
        }
        state
    };
    let whole = with(&[(logical::VPC, "vpc-1"), (logical::EFS_FILE_SYSTEM, "fs-1")]);
    let outside_the_vpc = with(&[(logical::EFS_FILE_SYSTEM, "fs-1")]);
    let nothing = with(&[]);
    assert!(!stack_is_gone(&whole, &whole));
    // Deleted out of band: Terraform plans a create, which adopts the leftovers.
    assert!(stack_is_gone(&whole, &outside_the_vpc));
    assert!(stack_is_gone(&whole, &nothing));
    // A create that failed before its VPC was made: destroy must still see the file system.
    assert!(!stack_is_gone(&outside_the_vpc, &outside_the_vpc));
    assert!(stack_is_gone(&outside_the_vpc, &nothing));
}
