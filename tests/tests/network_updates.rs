//! In-place updates of the network and bastion tiers (the service tiers are in
//! `updates.rs`): the change is planned in place, applied to exactly the objects that must
//! change while every other object keeps its id, and the next plan is empty.

mod common;

use common::{assert_nothing_tagged, state_str, string_set, Network};
use serde_json::{Map, Value};
use stack_tests::harness::terraform::TerraformDir;
use stack_tests::inspect::AwsInspector;
use stack_tests::Moto;

const ADDRESS: &str = "wordpress_ha_stack.site";
const ZONES: [&str; 2] = ["us-east-1a", "us-east-1b"];

fn stack_hcl(name: &str, nat: &str, bastion: bool) -> String {
    format!(
        r#"
resource "wordpress_ha_stack" "site" {{
  name = "{name}"
  network {{
    availability_zones = ["us-east-1a", "us-east-1b"]
    nat_gateways       = "{nat}"
  }}
  bastion {{
    enabled = {bastion}
  }}
  database {{
    skip_final_snapshot = true
  }}
}}
"#
    )
}

struct Stack {
    // Dropped in this order: the work dir names moto's log before moto goes.
    tf: TerraformDir,
    aws: AwsInspector,
    _moto: Moto,
    name: &'static str,
    state: Value,
}

impl Stack {
    async fn apply(name: &'static str, nat: &str, bastion: bool) -> Stack {
        let moto = Moto::start_async().await.expect("moto starts");
        let aws = AwsInspector::for_moto(&moto).await;
        let tf = TerraformDir::new(&format!("network-update-{name}"), &moto).expect("dir");
        tf.write_stack(&stack_hcl(name, nat, bastion))
            .expect("write");
        tf.apply().assert_success();
        let state = tf.resource_values(ADDRESS);
        Stack {
            tf,
            aws,
            _moto: moto,
            name,
            state,
        }
    }

    /// Rewrite the configuration; the plan must be an in-place update; apply it; the next plan
    /// is empty. Returns the state from before.
    fn update(&mut self, nat: &str, bastion: bool) -> Value {
        let before = self.state.clone();
        self.tf
            .write_stack(&stack_hcl(self.name, nat, bastion))
            .expect("write");
        let plan = self.tf.plan().assert_code(2);
        assert!(
            plan.stdout
                .contains(&format!("{ADDRESS} will be updated in-place")),
            "an in-place update\n{plan}"
        );
        self.tf.apply().assert_success();
        self.tf.plan().assert_code(0);
        self.state = self.tf.resource_values(ADDRESS);
        before
    }

    /// Every `resources` entry kept its id, except those whose logical name starts with one of
    /// `changing`; and no entry appeared outside those.
    fn assert_others_kept(&self, before: &Value, changing: &[&str]) {
        let empty = Map::new();
        let old = before["resources"].as_object().unwrap_or(&empty);
        let new = self.state["resources"].as_object().unwrap_or(&empty);
        assert!(old.len() > 20, "the stack lists its objects: {old:#?}");
        let may_change = |name: &str| changing.iter().any(|c| name.starts_with(c));
        for (name, id) in old.iter().filter(|(n, _)| !may_change(n)) {
            assert_eq!(new.get(name), Some(id), "{name} was kept");
        }
        for name in new.keys().filter(|n| !may_change(n)) {
            assert!(old.contains_key(name), "{name} appeared unexpectedly");
        }
    }

    async fn destroy(&self) {
        self.tf.destroy().assert_success();
        assert_nothing_tagged(&self.aws, self.name).await;
    }
}

#[tokio::test]
async fn switching_nat_modes_reroutes_the_private_subnets_in_place() {
    let mut stack = Stack::apply("natswitch", "single", false).await;
    assert_eq!(string_set(&stack.state, "nat_gateway_ids").len(), 1);

    let before = stack.update("one_per_az", false);
    stack.assert_others_kept(&before, &["nat_", "private_route"]);
    Network::observe(&stack.aws, "natswitch").await.assert_all(
        &stack.state,
        "10.0.0.0/16",
        &ZONES,
        true,
    );

    let before = stack.update("single", false);
    stack.assert_others_kept(&before, &["nat_", "private_route"]);
    Network::observe(&stack.aws, "natswitch").await.assert_all(
        &stack.state,
        "10.0.0.0/16",
        &ZONES,
        false,
    );
    stack.destroy().await;
}

#[tokio::test]
async fn disabling_the_bastion_removes_only_the_bastion() {
    let mut stack = Stack::apply("bastionoff", "single", true).await;
    let bastion = state_str(&stack.state, "/resources/bastion_instance").to_string();
    let before = stack.update("single", false);
    stack.assert_others_kept(&before, &["bastion"]);
    assert!(stack.state["bastion_public_ip"].is_null(), "no bastion IP");
    let out = stack
        .aws
        .ec2
        .describe_instances()
        .instance_ids(&bastion)
        .send()
        .await
        .expect("describe the old bastion");
    let state = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| {
            i.state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_string())
        });
    assert_eq!(state.as_deref(), Some("terminated"), "the bastion is gone");
    stack.destroy().await;
}
