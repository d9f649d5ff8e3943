//! Cancellation: Ctrl-C in Terraform (StopProvider) and the
//! `timeouts` block end a long wait promptly, with an error that says what was being waited
//! for, and hand Terraform every id created so far; the next run picks up from there.
//!
//! The proxy holds one object pending (the RDS instance `creating` or `modifying`, the Route 53
//! change `PENDING`) far longer than any case takes, so only the cancellation can end the run.

mod common;
mod crash_support;

use std::time::{Duration, Instant};

use crash_support::{is_tainted, Case, Point, ADDRESS, EXIT_TIMEOUT, HOLD_MS};
use stack_tests::harness::terraform::TfOutput;

/// How soon a command bounded by a 5 s timeout must end (Terraform itself takes a few seconds
/// to start the provider, plan, write the state and exit), against the 300 s hold.
const PROMPTLY: Duration = Duration::from_secs(30);
/// How soon after Ctrl-C the apply must have ended.
const STOP_LATENCY: Duration = Duration::from_secs(10);

fn db_identifier(stack: &str) -> String {
    format!("{stack}-db")
}

/// Terraform wraps diagnostics at 78 columns: compare with every run of white space as one.
#[track_caller]
fn assert_mentions(out: &TfOutput, expected: &[&str]) {
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = flat(&out.combined());
    for piece in expected {
        assert!(
            text.contains(&flat(piece)),
            "the output mentions {piece:?}\n{out}"
        );
    }
}

/// The failed create kept its ids: the resource is in the state, tainted, listing the VPC and
/// the object waited for.
#[track_caller]
fn assert_partial_state_kept(case: &Case, waited_for: &str) {
    let resources = case.state_resources();
    assert!(
        resources
            .get("vpc")
            .is_some_and(|id| id.starts_with("vpc-")),
        "the partial state lists the VPC: {resources:#?}"
    );
    assert!(
        resources.values().any(|id| id == waited_for),
        "the partial state lists {waited_for}: {resources:#?}"
    );
    assert!(
        is_tainted(&case.tf),
        "Terraform keeps a failed create as tainted"
    );
}

#[tokio::test]
async fn ctrl_c_stops_the_waits_promptly_and_keeps_the_partial_state() {
    let case = Case::start("stopped", "").await;
    case.hold(&format!(r#"{{"db_instance_ms": {HOLD_MS}}}"#));
    let mut apply = case
        .tf
        .spawn(&["apply", "-auto-approve"])
        .expect("start apply");
    let reached = case.wait_until(Point::DatabaseExists).await;
    // Let the rest of the stack that does not need the database get created meanwhile.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!apply.finished(), "the apply is held by the database");
    let interrupted_at = Instant::now();
    assert!(apply.interrupt(), "SIGINT delivered");
    let out = apply.wait(EXIT_TIMEOUT);
    let took = interrupted_at.elapsed();
    assert!(reached, "the DB instance was created\n{out}");
    assert!(
        took < STOP_LATENCY,
        "the apply ended {took:?} after Ctrl-C\n{out}"
    );
    assert_eq!(out.code, Some(1), "the apply failed\n{out}");
    assert_mentions(
        &out,
        &[
            "Operation cancelled",
            "terraform untaint",
            &db_identifier(case.stack),
            "apply again to resume",
        ],
    );
    assert_partial_state_kept(&case, &db_identifier(case.stack));

    // Terraform replaces a tainted stack: the partial one is destroyed, a whole one created.
    case.release();
    let plan = case.tf.plan().assert_code(2);
    assert!(plan.stdout.contains("is tainted"), "{plan}");
    case.assert_resumes_and_destroys().await;
}

#[tokio::test]
async fn a_create_timeout_fails_promptly_naming_the_object_and_untaint_resumes_in_place() {
    let timeouts = r#"  timeouts {
    create = "5s"
  }"#;
    let case = Case::start("slowdb", timeouts).await;
    case.hold(&format!(r#"{{"db_instance_ms": {HOLD_MS}}}"#));
    let started = Instant::now();
    let out = case.tf.apply().assert_failure();
    let took = started.elapsed();
    assert!(took < PROMPTLY, "the apply gave up after {took:?}\n{out}");
    let db = format!("DB instance {}", db_identifier(case.stack));
    assert_mentions(
        &out,
        &[
            "Timed out",
            &db,
            "available",
            "timeouts.create = 5s",
            "terraform untaint",
        ],
    );
    assert_partial_state_kept(&case, &db_identifier(case.stack));
    let partial = case.state_resources();

    // With a longer timeout and the database ready, the untainted stack resumes in place:
    // every object of the failed run is kept, none is created twice.
    case.release();
    case.write(
        r#"  timeouts {
    create = "30m"
  }"#,
    );
    case.tf.run(&["untaint", ADDRESS]).assert_success();
    case.assert_apply_converges().await;
    let resumed = case.state_resources();
    for (name, id) in &partial {
        assert_eq!(
            resumed.get(name),
            Some(id),
            "{name} of the failed run is kept by the resumed apply"
        );
    }
    case.assert_destroy_leaves_nothing().await;
}

#[tokio::test]
async fn an_update_timeout_fails_promptly_and_the_next_apply_finishes_the_update() {
    let timeouts = |update: &str| format!("  timeouts {{\n    update = \"{update}\"\n  }}");
    let case = Case::start("slowmod", &timeouts("5s")).await;
    case.assert_apply_converges().await;

    // A new instance class: ModifyDBInstance, then a wait while the instance is `modifying`.
    case.hold(&format!(r#"{{"db_modify_ms": {HOLD_MS}}}"#));
    let resized = case.tf.path().join("main.tf");
    let hcl = std::fs::read_to_string(&resized).expect("read main.tf");
    let bigger = hcl.replace(
        "multi_az            = false",
        "multi_az            = false\n    instance_class      = \"db.t3.small\"",
    );
    std::fs::write(&resized, bigger).expect("write main.tf");
    let started = Instant::now();
    let out = case.tf.apply().assert_failure();
    let took = started.elapsed();
    assert!(took < PROMPTLY, "the update gave up after {took:?}\n{out}");
    let db = format!("DB instance {}", db_identifier(case.stack));
    assert_mentions(&out, &["Timed out", &db, "timeouts.update = 5s"]);
    assert!(!is_tainted(&case.tf), "a failed update does not taint");
    assert_eq!(
        case.state_resources().get("db_instance"),
        Some(&db_identifier(case.stack)),
        "the state still owns the database"
    );

    case.release();
    case.tf.apply().assert_success();
    case.tf.plan().assert_code(0);
    case.assert_destroy_leaves_nothing().await;
}

#[tokio::test]
async fn a_delete_timeout_fails_promptly_keeping_what_still_exists() {
    let timeouts = |delete: &str| format!("  timeouts {{\n    delete = \"{delete}\"\n  }}");
    let case = Case::start("slowdel", &timeouts("5s")).await;
    case.assert_apply_converges().await;

    // The DNS record's deletion stays PENDING: the load balancer and the network behind it
    // wait for it, the rest of the stack is deleted meanwhile.
    case.hold(&format!(r#"{{"dns_change_ms": {HOLD_MS}}}"#));
    let started = Instant::now();
    let out = case.tf.destroy().assert_failure();
    let took = started.elapsed();
    assert!(took < PROMPTLY, "the destroy gave up after {took:?}\n{out}");
    assert_mentions(&out, &["Timed out", "INSYNC", "timeouts.delete = 5s"]);
    let kept = case.state_resources();
    assert!(
        kept.contains_key("load_balancer") && kept.contains_key("vpc"),
        "the state keeps what the held deletion protects: {kept:#?}"
    );
    common::assert_state_owns_every_tagged_object(
        &case.aws,
        case.stack,
        &case.tf.resource_values(ADDRESS),
    )
    .await;
    crash_support::assert_state_lists_only_existing_objects(&case, &kept, "dns_record").await;

    // A longer timeout reaches AWS through an apply, which also recreates what the failed
    // destroy removed; then destroy finishes.
    case.release();
    case.write(&timeouts("30m"));
    case.assert_resumes_and_destroys().await;
}
