//! The `diagram` command on `terraform show -json` documents taken from a real run of
//! examples/default against moto: a state after apply and the saved plan that created it.

use std::io::Write;
use std::process::{Command, Stdio};

use wp_resource::diagram::{self, Source, StackDiagram, INTERNET};

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-wordpress");
const STATE: &str = include_str!("fixtures/show-state-default.json");
const CREATE_PLAN: &str = include_str!("fixtures/show-plan-create-default.json");
const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];

fn diagrams(show_json: &str) -> Vec<StackDiagram> {
    let document = serde_json::from_str(show_json).expect("fixture is JSON");
    diagram::stacks_from_show_json(&document)
        .expect("stacks found")
        .iter()
        .map(diagram::diagram_of)
        .collect()
}

fn only(show_json: &str) -> StackDiagram {
    let mut all = diagrams(show_json);
    assert_eq!(all.len(), 1, "one stack in the fixture");
    all.remove(0)
}

/// The `resources` map of the fixture's stack, as the state recorded it.
fn state_resources() -> serde_json::Map<String, serde_json::Value> {
    let state: serde_json::Value = serde_json::from_str(STATE).expect("JSON");
    state
        .pointer("/values/root_module/resources/0/values/resources")
        .and_then(|r| r.as_object())
        .cloned()
        .expect("resources map in the fixture")
}

#[test]
fn a_state_draws_every_tier_with_its_real_ids() {
    let diagram = only(STATE);
    assert_eq!(diagram.address, "wordpress_ha_stack.blog");
    assert_eq!(diagram.source, Source::Resources);
    let resources = state_resources();
    for key in [
        "internet_gateway",
        "load_balancer",
        "target_group",
        "autoscaling_group",
        "bastion_instance",
        "efs_file_system",
        "db_instance",
    ] {
        let node = diagram.node(key).unwrap_or_else(|| panic!("no node {key}"));
        let id = resources[key].as_str().expect("id");
        let shown = node.lines[1].as_str();
        assert!(
            id.ends_with(shown),
            "{key}: {shown} is not (the end of) {id}"
        );
    }
    let asg = diagram.node("autoscaling_group").expect("asg");
    let template = resources["launch_template"].as_str().expect("lt id");
    assert!(asg.lines.iter().any(|l| l.contains(template)), "{asg:?}");
    let vpc = resources["vpc"].as_str().expect("vpc id");
    assert_eq!(diagram.root.groups[0].title, format!("VPC {vpc}"));
}

#[test]
fn per_zone_objects_sit_in_their_zone() {
    let diagram = only(STATE);
    for zone in ZONES {
        for kind in [
            "public_subnet",
            "private_subnet",
            "nat_gateway",
            "efs_mount_target",
        ] {
            let key = format!("{kind}:{zone}");
            let groups = diagram
                .groups_of(&key)
                .unwrap_or_else(|| panic!("{key} is not drawn"));
            assert_eq!(groups.last(), Some(&zone), "{key} in {groups:?}");
        }
        let nat = diagram.node(&format!("nat_gateway:{zone}")).expect("nat");
        let eip = state_resources()[&format!("nat_eip:{zone}")].clone();
        assert!(
            nat.lines
                .iter()
                .any(|l| Some(l.trim_start_matches("EIP ")) == eip.as_str()),
            "the NAT node names its EIP: {nat:?}"
        );
    }
    let alb_groups = diagram.groups_of("load_balancer").expect("alb drawn");
    assert_eq!(alb_groups.last(), Some(&"load balancing"));
    let db_groups = diagram.groups_of("db_instance").expect("db drawn");
    assert_eq!(db_groups.last(), Some(&"data"));
}

#[test]
fn edges_follow_the_traffic() {
    let diagram = only(STATE);
    for (from, to) in [
        (INTERNET, "load_balancer"),
        ("load_balancer", "target_group"),
        ("target_group", "autoscaling_group"),
        ("bastion_instance", "autoscaling_group"),
        ("autoscaling_group", "efs_file_system"),
        ("autoscaling_group", "db_instance"),
    ] {
        assert!(diagram.has_edge(from, to), "no edge {from} -> {to}");
    }
    for zone in ZONES {
        let private = format!("private_subnet:{zone}");
        let nat = format!("nat_gateway:{zone}");
        assert!(diagram.has_edge(&private, &nat), "{private} -> {nat}");
        assert!(diagram.has_edge(&nat, "internet_gateway"), "{nat} -> igw");
        assert!(diagram.has_edge("efs_file_system", &format!("efs_mount_target:{zone}")));
    }
    // No Route 53 record without a `dns` block, and nothing reaches the data tier from outside.
    assert!(diagram.node("dns_record").is_none());
    assert!(!diagram.has_edge(INTERNET, "db_instance"));
    assert!(!diagram.has_edge(INTERNET, "autoscaling_group"));
}

#[test]
fn plumbing_is_listed_not_drawn_and_nothing_is_lost() {
    let diagram = only(STATE);
    let resources = state_resources();
    let not_drawn: Vec<&str> = diagram.not_drawn.iter().map(|(n, _)| n.as_str()).collect();
    assert!(not_drawn.contains(&"security_group:app"), "{not_drawn:?}");
    assert!(not_drawn.contains(&"public_route_table"), "{not_drawn:?}");
    assert!(diagram.drawn.contains("vpc") && diagram.drawn.contains("nat_eip:us-east-1a"));
    let chart = diagram::mermaid(std::slice::from_ref(&diagram));
    for (name, id) in &resources {
        assert!(
            diagram.drawn.contains(name) != not_drawn.contains(&name.as_str()),
            "{name} must be drawn or listed, not both"
        );
        let id = id.as_str().expect("id");
        let short = id.split(':').next_back().unwrap_or(id);
        let listener = name.ends_with("listener"); // drawn as its protocol, not its ARN
        assert!(
            listener || chart.contains(short),
            "{name} = {id} appears nowhere in the chart"
        );
    }
}

#[test]
fn a_create_plan_draws_the_objects_the_spec_implies() {
    let diagram = only(CREATE_PLAN);
    assert_eq!(diagram.source, Source::PlannedSpec);
    let not_drawn: Vec<&String> = diagram.not_drawn.iter().map(|(name, _)| name).collect();
    for name in state_resources().keys() {
        assert!(
            diagram.drawn.contains(name) || not_drawn.contains(&name),
            "{name}, created by the apply, is missing from the plan's diagram"
        );
    }
    assert!(diagram.not_drawn.iter().all(|(_, id)| id.is_none()));
    let alb = diagram.node("load_balancer").expect("alb");
    assert_eq!(alb.lines[1], "(known after apply)");
    assert!(diagram.has_edge("private_subnet:us-east-1b", "nat_gateway:us-east-1b"));
}

#[test]
fn the_command_reads_stdin_and_prints_mermaid() {
    let mut child = Command::new(BINARY)
        .args(["diagram", "--format", "mermaid"])
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(STATE.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("flowchart LR\n"), "{stdout}");
    let vpc = state_resources()["vpc"].as_str().expect("vpc").to_string();
    assert!(
        stdout.contains(&format!("subgraph s0_vpc[\"VPC {vpc}\"]")),
        "{stdout}"
    );
    assert!(
        stdout.contains("internet -->|HTTP| s0_load_balancer"),
        "{stdout}"
    );
    assert!(
        stdout.contains("s0_autoscaling_group -->|MySQL 3306| s0_db_instance"),
        "{stdout}"
    );
    let opened = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("subgraph "))
        .count();
    let closed = stdout.lines().filter(|l| l.trim() == "end").count();
    assert_eq!(opened, closed, "every subgraph is closed:\n{stdout}");
    assert!(
        !stdout.contains("(redacted)"),
        "no secret reaches the diagram"
    );
}

#[test]
fn input_without_a_stack_is_refused_with_advice() {
    let out = Command::new(BINARY)
        .args(["diagram", "--input", "/dev/null"])
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let empty_state = r#"{"format_version":"0.2","terraform_version":"1.0.3"}"#;
    let err = diagram::render(empty_state, diagram::Format::Mermaid).expect_err("no stack");
    assert!(err.to_string().contains("terraform show -json"), "{err}");
}

/// The fixture's stack, changed to a second stack in a module with `dns`, HTTPS and one NAT.
fn state_with_a_second_stack_in_a_module() -> String {
    let mut state: serde_json::Value = serde_json::from_str(STATE).expect("JSON");
    let mut shop = state["values"]["root_module"]["resources"][0].clone();
    shop["address"] = "module.shop.wordpress_ha_stack.this".into();
    let resources = shop["values"]["resources"]
        .as_object_mut()
        .expect("resources");
    resources.retain(|name, _| !name.ends_with(":us-east-1b") || !name.starts_with("nat_"));
    resources.insert("dns_record".into(), "Z0123/shop.example.com./A".into());
    resources.insert(
        "https_listener".into(),
        "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/shop-alb/1/2".into(),
    );
    state["values"]["root_module"]["child_modules"] = serde_json::json!([{
        "address": "module.shop",
        "resources": [shop]
    }]);
    state.to_string()
}

#[test]
fn every_stack_of_every_module_gets_its_own_picture() {
    let all = diagrams(&state_with_a_second_stack_in_a_module());
    let addresses: Vec<&str> = all.iter().map(|d| d.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "wordpress_ha_stack.blog",
            "module.shop.wordpress_ha_stack.this"
        ]
    );
    let shop = &all[1];
    assert!(shop.has_edge(INTERNET, "dns_record"));
    assert!(shop.has_edge("dns_record", "load_balancer"));
    assert!(shop.has_edge("private_subnet:us-east-1b", "nat_gateway:us-east-1a"));
    assert!(shop.node("nat_gateway:us-east-1b").is_none());
    let alb = shop.node("load_balancer").expect("alb");
    assert!(
        alb.lines.contains(&"listeners: HTTP, HTTPS".to_string()),
        "{alb:?}"
    );

    let chart = diagram::render(
        &state_with_a_second_stack_in_a_module(),
        diagram::Format::Mermaid,
    )
    .expect("renders");
    assert_eq!(chart.matches("internet((Internet))").count(), 1, "{chart}");
    assert!(chart.contains("subgraph s1_stack[\"module.shop.wordpress_ha_stack.this\"]"));
    assert!(
        chart.contains("s1_dns_record -->|HTTPS| s1_load_balancer"),
        "{chart}"
    );
}

#[test]
fn an_update_plan_that_reshapes_the_stack_keeps_the_ids_it_knows() {
    // A plan whose `resources` is unknown (as when DNS is added), over the fixture's state.
    let mut plan: serde_json::Value = serde_json::from_str(CREATE_PLAN).expect("JSON");
    let state: serde_json::Value = serde_json::from_str(STATE).expect("JSON");
    plan["prior_state"] = state.clone();
    plan["planned_values"]["root_module"]["resources"][0]["values"]["dns"] =
        serde_json::json!({"zone_id": "Z0123", "record_name": "blog.example.com"});
    let diagram = only(&plan.to_string());
    assert_eq!(diagram.source, Source::PlannedSpec);
    let resources = state_resources();
    let vpc = resources["vpc"].as_str().expect("vpc");
    assert_eq!(diagram.root.groups[0].title, format!("VPC {vpc}"));
    let dns = diagram.node("dns_record").expect("the new record is drawn");
    assert_eq!(dns.lines[1], "(known after apply)");
    // The planned values name no `waf` block: a stack's web ACL is on by default, and stands
    // between the record and the balancer.
    assert!(diagram.has_edge("dns_record", "waf_web_acl"));
    assert!(diagram.has_edge("waf_web_acl", "load_balancer"));
}
