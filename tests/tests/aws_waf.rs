//! The WAF web ACL in front of the load balancer, through the real Terraform CLI with the fault
//! proxy in front of moto playing WAFv2 as AWS runs it (`waf` preset: a new web ACL cannot be
//! associated for a while, an associated one cannot be deleted):
//! - a new stack gets `<name>-waf` guarding its ALB: AWS's four managed rule groups and the
//!   per-IP rate rule, tagged, recorded in `resources`, planned as a create with its cost;
//! - an association removed and a rule group dropped out of band are seen by the plan and put
//!   back by the next apply; a changed `rate_limit` is set in place;
//! - `enabled = false` takes it off the balancer and deletes it; destroy leaves nothing;
//! - a `rate_limit` outside WAF's bounds is refused at plan.

mod service_support;

use aws_fault_proxy::config::WafConfig;
use aws_sdk_wafv2::types::Scope;
use serde_json::Value;
use service_support::{quick_refreshes, resources, Stack, World, ADDRESS};
use stack_tests::inspect::waf::WebAclView;

const STACK: &str = "wafsite";

async fn guard(world: &World, state: &Value) -> Option<WebAclView> {
    world
        .aws
        .web_acl_guarding(&resources(state)["load_balancer"])
        .await
        .expect("the ALB's web ACL")
}

/// The plan wants an in-place update naming `what` among the planned changes.
#[track_caller]
fn assert_plan_repairs(world: &World, what: &str) {
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout
            .contains(&format!("{ADDRESS} will be updated in-place")),
        "{plan}"
    );
    assert!(plan.stdout.contains(what), "the plan names {what}\n{plan}");
}

#[tokio::test]
async fn the_web_acl_guards_the_alb_is_repaired_and_can_be_turned_off() {
    let mut presets = quick_refreshes();
    presets.waf = Some(WafConfig {
        unavailable_ms: 2_000,
    });
    let world = World::start_with("aws_waf", presets).await;
    let mut stack = Stack::lean(STACK);

    stack.waf = Some("rate_limit = 5".into());
    stack.write(&world.tf);
    let refused = world.tf.plan().assert_failure();
    assert!(refused.combined().contains("rate_limit is 5"), "{refused}");
    assert!(refused.points_at_attribute("rate_limit"), "{refused}");

    stack.waf = None;
    stack.write(&world.tf);
    let plan = world.tf.plan().assert_code(2);
    assert!(
        plan.stdout
            .contains("create WAF web ACL: AWS managed rules")
            && plan.stdout.contains("[cost]"),
        "a new stack plans its web ACL\n{plan}"
    );
    let state = world.apply(&stack);
    let acl_arn = resources(&state)["waf_web_acl"].clone();
    assert!(
        acl_arn.contains(&format!("/webacl/{STACK}-waf/")),
        "{acl_arn}"
    );
    assert_eq!(
        resources(&state)["waf_association"],
        resources(&state)["load_balancer"]
    );
    let view = guard(&world, &state)
        .await
        .expect("a web ACL guards the ALB");
    assert_eq!(view.arn, acl_arn);
    view.assert_stack_rules(2000);
    assert!(
        world.proxy.stats().calls_to("wafv2", "AssociateWebACL") > 1,
        "the first association met a web ACL not yet available and was retried"
    );
    world.tf.plan().assert_code(0);

    // Taken off the balancer out of band: planned back, put back.
    let balancer = resources(&state)["load_balancer"].clone();
    world
        .aws
        .wafv2
        .disassociate_web_acl()
        .resource_arn(&balancer)
        .send()
        .await
        .expect("disassociate behind Terraform's back");
    assert_plan_repairs(&world, "waf_association");
    world.tf.apply().assert_success();
    let view = guard(&world, &state).await.expect("guarded again");
    assert_eq!(view.arn, acl_arn);
    world.tf.plan().assert_code(0);

    // A managed group dropped out of band: planned back, put back.
    drop_rule(&world, &acl_arn, "AWSManagedRulesPHPRuleSet").await;
    assert_plan_repairs(&world, "waf_web_acl");
    world.tf.apply().assert_success();
    guard(&world, &state)
        .await
        .expect("guarded")
        .assert_stack_rules(2000);
    world.tf.plan().assert_code(0);

    // A new rate limit, in place, on the same web ACL.
    stack.waf = Some("rate_limit = 500".into());
    let state = world.update_in_place(&stack);
    assert_eq!(state["waf"]["rate_limit"], 500);
    assert_eq!(resources(&state)["waf_web_acl"], acl_arn);
    guard(&world, &state)
        .await
        .expect("guarded")
        .assert_stack_rules(500);

    // Turned off: off the balancer and deleted (the preset refuses the delete of a web ACL
    // that still guards it).
    stack.waf = Some("enabled = false".into());
    let state = world.update_in_place(&stack);
    assert!(
        guard(&world, &state).await.is_none(),
        "the ALB is unguarded"
    );
    let resources = resources(&state);
    assert!(
        !resources.contains_key("waf_web_acl") && !resources.contains_key("waf_association"),
        "{resources:?}"
    );
    let left = world.aws.web_acl_arns().await.expect("web ACLs");
    assert!(left.is_empty(), "the web ACL is deleted: {left:?}");

    // On again, then destroyed with the rest.
    stack.waf = None;
    stack.write(&world.tf);
    let unchanged = world.tf.plan().assert_code(0);
    assert!(
        unchanged.stdout.contains("No changes"),
        "leaving the block out keeps a stack's choice\n{unchanged}"
    );
    stack.waf = Some("enabled = true".into());
    let state = world.update_in_place(&stack);
    guard(&world, &state)
        .await
        .expect("guarded again")
        .assert_stack_rules(2000);
    world.destroy(STACK).await;
    let left = world.aws.web_acl_arns().await.expect("web ACLs");
    assert!(left.is_empty(), "destroy deletes the web ACL: {left:?}");
}

/// Remove the rule `name` from the web ACL `arn`, as someone in the console would.
async fn drop_rule(world: &World, arn: &str, name: &str) {
    let parts: Vec<&str> = arn.rsplit('/').take(2).collect();
    let (id, acl_name) = (parts[0], parts[1]);
    let current = world
        .aws
        .wafv2
        .get_web_acl()
        .scope(Scope::Regional)
        .name(acl_name)
        .id(id)
        .send()
        .await
        .expect("get the web ACL");
    let acl = current.web_acl().expect("a web ACL");
    let rules: Vec<_> = acl
        .rules()
        .iter()
        .filter(|r| r.name() != name)
        .cloned()
        .collect();
    world
        .aws
        .wafv2
        .update_web_acl()
        .scope(Scope::Regional)
        .name(acl_name)
        .id(id)
        .lock_token(current.lock_token().expect("a lock token"))
        .set_default_action(acl.default_action().cloned())
        .set_visibility_config(acl.visibility_config().cloned())
        .set_rules(Some(rules))
        .send()
        .await
        .expect("drop a rule behind Terraform's back");
}
