//! Crash safety: an apply whose provider dies halfway leaves
//! objects in AWS and nothing in the state (Terraform 1.0.3 saves no object for a create whose
//! provider crashed). The next apply finds those objects by the stack tag and finishes the stack
//! without creating any of them twice; plan is then empty and destroy leaves nothing tagged.
//!
//! Each case holds the apply at a chosen point with the fault proxy's pending states (e.g. the
//! RDS instance stays `creating`), watches moto directly until that point is reached, and kills
//! there: the provider alone (Terraform survives and reports the crash), or Terraform and the
//! provider together (a lost CI runner). One case kills the provider while destroy is held.
//! The cases run concurrently, each with its own moto, proxy and work dir.
//!
//! The adoption has a limit: a *complete* stack of that name missing from this state is
//! someone else's (or a lost state's) and is refused with an error that says to import it.

mod common;
mod crash_support;

use crash_support::{kill_provider_at, Case, Point, ADDRESS, HOLD_MS};
use serde_json::Value;
use stack_tests::harness::terraform::{find_resource, TerraformDir, TfOutput};

/// What Terraform 1.0.3 says when its provider dies under a call. Which one depends on when
/// the broken connection is noticed: a crashed plugin, or (seen once in CI-like load) the
/// in-flight gRPC call cancelled by the closed transport. These tests send no interrupt, so the
/// cancellation can only come from the kill.
const CRASH_REPORTS: [&str; 3] = [
    "Plugin did not respond",
    "plugin exited",
    "(*GRPCProvider).ApplyResourceChange request was cancelled",
];

/// Terraform, told its provider crashed, fails the apply (it does not hang or succeed).
#[track_caller]
fn assert_reports_the_crash(out: &TfOutput) {
    assert_eq!(
        out.code,
        Some(1),
        "Terraform exits with an error of its own\n{out}"
    );
    let combined = out.combined();
    assert!(
        CRASH_REPORTS.iter().any(|report| combined.contains(report)),
        "Terraform reports the provider's crash\n{out}"
    );
}

/// Start an apply with `pending` held, SIGKILL the provider alone at `point`, release the
/// hold, and check the resumed apply, plan and destroy.
async fn provider_killed_during_apply(stack: &'static str, pending: &str, point: Point) {
    let case = Case::start(stack, "").await;
    case.hold(pending);
    let apply = case
        .tf
        .spawn(&["apply", "-auto-approve"])
        .expect("start apply");
    let out = kill_provider_at(&case, apply, point).await;
    assert_reports_the_crash(&out);
    let left = case
        .aws
        .tagged_objects(stack)
        .await
        .expect("tagged objects");
    assert!(!left.is_empty(), "the killed apply left objects behind");
    // Terraform 1.0.3 keeps no object for a create whose provider crashed: the resume must
    // adopt everything by tag.
    let state = case.tf.show_state();
    assert_eq!(
        find_resource(&state, ADDRESS),
        None,
        "nothing saved for the crashed create:\n{state:#}"
    );
    case.release();
    case.assert_resumes_and_destroys().await;
}

#[tokio::test]
async fn provider_killed_after_the_vpc_exists_resumes_without_duplicates() {
    let hold = format!(r#"{{"nat_gateway_ms": {HOLD_MS}}}"#);
    provider_killed_during_apply("kvpc", &hold, Point::VpcExists).await;
}

#[tokio::test]
async fn provider_killed_after_the_nat_gateways_exist_resumes_without_duplicates() {
    let hold = format!(r#"{{"nat_gateway_ms": {HOLD_MS}}}"#);
    provider_killed_during_apply("knat", &hold, Point::NatGatewaysExist).await;
}

#[tokio::test]
async fn provider_killed_while_the_database_is_creating_resumes_without_duplicates() {
    let hold = format!(r#"{{"db_instance_ms": {HOLD_MS}}}"#);
    provider_killed_during_apply("kdb", &hold, Point::DatabaseExists).await;
}

#[tokio::test]
async fn provider_killed_after_the_load_balancer_exists_resumes_without_duplicates() {
    let hold = format!(r#"{{"load_balancer_ms": {HOLD_MS}}}"#);
    provider_killed_during_apply("kalb", &hold, Point::LoadBalancerExists).await;
}

#[tokio::test]
async fn provider_killed_after_the_auto_scaling_group_exists_resumes_without_duplicates() {
    // The DNS record's change stays PENDING: everything else, the group included, gets done.
    let hold = format!(r#"{{"dns_change_ms": {HOLD_MS}}}"#);
    provider_killed_during_apply("kasg", &hold, Point::AutoScalingGroupExists).await;
}

#[tokio::test]
async fn terraform_and_provider_killed_together_resume_without_duplicates() {
    let case = Case::start("kboth", "").await;
    case.hold(&format!(r#"{{"db_instance_ms": {HOLD_MS}}}"#));
    let mut apply = case
        .tf
        .spawn(&["apply", "-auto-approve"])
        .expect("start apply");
    let reached = case.wait_until(Point::DatabaseExists).await;
    assert!(
        !apply.finished(),
        "the apply must still be running when it is killed"
    );
    let killed = apply.kill();
    assert!(reached, "the apply created the DB instance\n{killed}");
    assert_eq!(killed.code, None, "the apply died by the kill\n{killed}");
    case.release();
    case.assert_resumes_and_destroys().await;
}

#[tokio::test]
async fn provider_killed_during_destroy_leaves_a_state_the_next_apply_and_destroy_finish() {
    let case = Case::start("kdestroy", "").await;
    case.tf.apply().assert_success();
    let applied: Value = case.tf.resource_values(ADDRESS);
    // The record's deletion stays PENDING, holding the load balancer and the network behind
    // it, while the database, the group and the rest go.
    case.hold(&format!(r#"{{"dns_change_ms": {HOLD_MS}}}"#));
    let destroy = case
        .tf
        .spawn(&["destroy", "-auto-approve"])
        .expect("start destroy");
    let out = kill_provider_at(&case, destroy, Point::DatabaseDeleted).await;
    assert_reports_the_crash(&out);
    let kept = case.tf.resource_values(ADDRESS);
    assert_eq!(
        kept["vpc_id"], applied["vpc_id"],
        "the state still holds the stack"
    );
    case.release();
    case.assert_resumes_and_destroys().await;
}

#[tokio::test]
async fn a_complete_stack_missing_from_this_state_is_refused_with_an_import_hint() {
    let case = Case::start("taken", "").await;
    case.tf.apply().assert_success();
    let before = case.aws.tagged_objects(case.stack).await.expect("tagged");
    let counts_before = case.inventory_counts().await;

    // A second configuration, its own empty state, the same name, the same AWS.
    let other =
        TerraformDir::with_endpoint("crash-taken-other", &case.moto, &case.proxy.endpoint())
            .expect("second dir");
    other
        .write_stack(&crash_support::stack_hcl(case.stack, &case.zone, ""))
        .expect("write main.tf");
    let refused = other.apply().assert_failure();
    assert!(
        refused.combined().contains("already exists")
            && refused.combined().contains("terraform import"),
        "the refusal says to import the stack\n{refused}"
    );
    let state = other.show_state();
    assert_eq!(
        find_resource(&state, ADDRESS),
        None,
        "the refused create keeps nothing in the second state (a destroy there must not touch the stack):\n{state:#}"
    );
    other.destroy().assert_success();
    assert_eq!(
        case.aws.tagged_objects(case.stack).await.expect("tagged"),
        before,
        "nothing in AWS changed"
    );
    assert_eq!(
        case.inventory_counts().await,
        counts_before,
        "not even the objects AWS cannot tag"
    );
    case.tf.plan().assert_code(0);
    case.assert_destroy_leaves_nothing().await;
}
