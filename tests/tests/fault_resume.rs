//! Partial failure: an apply that fails at any
//! step of create hands Terraform every id created so far, and from there the stack converges.
//!
//! Every AWS write of the create path gets, in its own case, a scripted non-retryable error
//! from the fault proxy (Terraform CLI → provider → proxy → moto, each case its own moto and
//! proxy). Each case checks that the apply fails with a diagnostic naming the operation, that
//! the state Terraform kept records exactly what exists in AWS, and then, with the fault gone:
//! - `Resume`: `terraform untaint` + `apply` adopts the partial stack (find-or-create from the
//!   recorded ids and the stack tag) and finishes it;
//! - `Replace`: a plain `apply` replaces the tainted stack (destroy of the partial stack, then
//!   create);
//! - `Destroy`: `terraform destroy` removes the partial stack;
//!
//! and ends with exactly one stack's worth of objects (or none), a clean plan and nothing tagged
//! after destroy. `every_write_of_create_is_a_fault_case` keeps the case table honest: a clean
//! apply through the proxy must make no write the table does not fail.
//!
//! Knobs: `FAULT_CASES=CreateVpc,CreateNatGateway` runs only the cases of those operations;
//! `FAULT_RESUME_JOBS` sets how many cases run at once (default 3).

mod common;
mod fault_support;

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_fault_proxy::config::{RdsStatesConfig, ScriptedFault, ScriptedKind};
use fault_support::{
    assert_one_lean_stack, assert_state_matches_aws, lean_stack_hcl, state_resources, Inventory,
    ADDRESS, ZONE_NAME,
};
use serde_json::Value;
use stack_tests::harness::terraform::{TerraformDir, TfOutput};
use stack_tests::inspect::AwsInspector;
use stack_tests::{FaultConfig, FaultProxy, Moto};

const STACK: &str = "faulty";
/// The error every case injects: a client error no SDK retries and the provider cannot mistake
/// for NotFound or AlreadyExists.
const FAULT_CODE: &str = "InjectedFault";
/// One word: Terraform wraps diagnostics at spaces.
const FAULT_MESSAGE: &str = "fault-resume-injected-error";
const DEFAULT_JOBS: usize = 3;
/// Every operation of a lean stack takes seconds against moto: a hang fails the case in
/// minutes, with the provider's own timeout error, rather than at the harness's kill.
const BOUNDED: &str = r#"  timeouts {
    create = "2m"
    update = "2m"
    delete = "2m"
  }"#;

/// What follows the failed apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Resume,
    Replace,
    Destroy,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    /// Signing name, as the proxy identifies calls.
    service: &'static str,
    operation: &'static str,
    /// Which call of the operation fails (0-based), e.g. the third of four subnets.
    nth: u64,
    then: Then,
    /// The database stays `creating` this long (the proxy's `rds_states`), for writes only a
    /// database slower than the fleet makes; 0: moto's at-once database.
    db_creating_ms: u64,
    /// Every DescribeVpcs is held this long, so that the fault lands while the VPC step still
    /// asks whether its VPC exists: the failed create owns objects but no VPC; 0: not held.
    vpc_held_ms: u64,
}

const fn fail(service: &'static str, operation: &'static str, nth: u64, then: Then) -> Case {
    Case {
        service,
        operation,
        nth,
        then,
        db_creating_ms: 0,
        vpc_held_ms: 0,
    }
}

/// Long enough on a loaded machine for the faulted root step to fail before the VPC step's
/// first DescribeVpcs is answered.
const VPC_HELD_MS: u64 = 4_000;

/// A fault on a step that needs no VPC, landing before the VPC exists (see
/// `stack_is_gone` in `core/src/engine.rs`).
const fn fail_before_the_vpc(service: &'static str, operation: &'static str, then: Then) -> Case {
    Case {
        vpc_held_ms: VPC_HELD_MS,
        ..fail(service, operation, 0, then)
    }
}

/// How long a slow database stays `creating`: well past the fleet's path to its launch
/// template on a loaded machine, so the template names the secret's first version.
const SLOW_DATABASE_MS: u64 = 15_000;

/// A write of the group's move to the secret version with the database in it, which follows
/// only a database slower than the fleet (see `core/src/tiers/app/secret_version.rs`).
const fn fail_after_slow_database(
    service: &'static str,
    operation: &'static str,
    then: Then,
) -> Case {
    Case {
        db_creating_ms: SLOW_DATABASE_MS,
        ..fail(service, operation, 0, then)
    }
}

/// Writes a create makes only when the database is slower than the fleet: the cases made
/// with [`fail_after_slow_database`] cover them.
const SLOW_DATABASE_WRITES: [&str; 3] = [
    "CreateLaunchTemplateVersion",
    "ModifyLaunchTemplate",
    "UpdateAutoScalingGroup",
];

use Then::{Destroy, Replace, Resume};

/// Every write of a lean stack's create, each failed once; a few twice (then destroyed
/// straight away, or replaced with a plain apply).
const CASES: &[Case] = &[
    // network
    fail("ec2", "CreateVpc", 0, Resume),
    fail("ec2", "ModifyVpcAttribute", 1, Resume),
    fail("ec2", "CreateSubnet", 2, Resume),
    fail("ec2", "CreateInternetGateway", 0, Resume),
    fail("ec2", "AttachInternetGateway", 0, Replace),
    fail("ec2", "AllocateAddress", 0, Resume),
    fail("ec2", "CreateNatGateway", 0, Resume),
    fail("ec2", "CreateNatGateway", 0, Destroy),
    fail("ec2", "CreateRouteTable", 1, Resume),
    fail("ec2", "CreateRoute", 1, Resume),
    // A route table without its default route yet: refresh leaves it out of the state.
    fail("ec2", "CreateRoute", 0, Destroy),
    fail("ec2", "AssociateRouteTable", 2, Resume),
    // security groups
    fail("ec2", "CreateSecurityGroup", 3, Resume),
    fail("ec2", "RevokeSecurityGroupEgress", 0, Resume),
    fail("ec2", "AuthorizeSecurityGroupIngress", 2, Resume),
    fail("ec2", "AuthorizeSecurityGroupEgress", 0, Resume),
    // bastion, launch template, tags (the last CreateTags marks the stack complete)
    fail("ec2", "RunInstances", 0, Resume),
    fail("ec2", "CreateLaunchTemplate", 0, Resume),
    fail("ec2", "CreateTags", 0, Resume),
    fail("ec2", "CreateTags", 1, Resume),
    fail("ec2", "CreateTags", 1, Destroy),
    // storage
    fail("elasticfilesystem", "CreateFileSystem", 0, Resume),
    fail("elasticfilesystem", "CreateMountTarget", 1, Resume),
    fail("elasticfilesystem", "CreateMountTarget", 0, Destroy),
    fail("elasticfilesystem", "PutFileSystemPolicy", 0, Resume),
    // database
    fail("rds", "CreateDBSubnetGroup", 0, Resume),
    fail("rds", "CreateDBParameterGroup", 0, Resume),
    fail("rds", "ModifyDBParameterGroup", 0, Resume),
    fail("rds", "CreateDBInstance", 0, Resume),
    fail("rds", "CreateDBInstance", 0, Destroy),
    // load balancer
    fail("elasticloadbalancing", "CreateLoadBalancer", 0, Resume),
    fail(
        "elasticloadbalancing",
        "ModifyLoadBalancerAttributes",
        0,
        Resume,
    ),
    fail("elasticloadbalancing", "CreateTargetGroup", 0, Resume),
    fail(
        "elasticloadbalancing",
        "ModifyTargetGroupAttributes",
        0,
        Resume,
    ),
    fail("elasticloadbalancing", "CreateListener", 0, Replace),
    // secrets and the instances' role
    fail("secretsmanager", "CreateSecret", 0, Resume),
    // The database's host and password, written once it is available; then the template
    // version naming that secret version, which the group launches from.
    fail("secretsmanager", "PutSecretValue", 0, Resume),
    fail_after_slow_database("ec2", "CreateLaunchTemplateVersion", Resume),
    fail_after_slow_database("ec2", "ModifyLaunchTemplate", Resume),
    fail_after_slow_database("autoscaling", "UpdateAutoScalingGroup", Resume),
    fail("iam", "CreateRole", 0, Resume),
    fail("iam", "PutRolePolicy", 0, Resume),
    fail("iam", "CreateInstanceProfile", 0, Resume),
    fail("iam", "AddRoleToInstanceProfile", 0, Resume),
    // app
    fail("autoscaling", "CreateAutoScalingGroup", 0, Resume),
    fail("autoscaling", "CreateAutoScalingGroup", 0, Destroy),
    fail("autoscaling", "PutScalingPolicy", 0, Resume),
    // dns
    fail("route53", "ChangeResourceRecordSets", 0, Resume),
    fail("route53", "ChangeResourceRecordSets", 0, Destroy),
    // waf
    fail("wafv2", "CreateWebACL", 0, Resume),
    fail("wafv2", "CreateWebACL", 0, Destroy),
    fail_before_the_vpc("wafv2", "CreateWebACL", Destroy),
    fail_before_the_vpc("wafv2", "CreateWebACL", Resume),
    fail("wafv2", "AssociateWebACL", 0, Resume),
    fail("wafv2", "AssociateWebACL", 0, Destroy),
    // alarms
    fail("sns", "CreateTopic", 0, Resume),
    fail("monitoring", "PutMetricAlarm", 2, Resume),
    fail("monitoring", "PutMetricAlarm", 0, Destroy),
    fail("autoscaling", "EnableMetricsCollection", 0, Resume),
    // logs
    fail("logs", "CreateLogGroup", 0, Resume),
    fail("logs", "CreateLogGroup", 0, Destroy),
    fail("logs", "PutRetentionPolicy", 0, Resume),
];

impl Case {
    fn label(&self) -> String {
        let held = if self.vpc_held_ms > 0 {
            " (VPC not yet made)"
        } else {
            ""
        };
        format!(
            "{} {}#{} then {:?}{held}",
            self.service, self.operation, self.nth, self.then
        )
    }

    fn fault(&self) -> FaultConfig {
        let mut scripted = vec![ScriptedFault {
            service: Some(self.service.to_string()),
            operation: self.operation.to_string(),
            nth: Some(self.nth),
            fault: ScriptedKind::Error {
                status: 400,
                code: FAULT_CODE.to_string(),
                message: Some(FAULT_MESSAGE.to_string()),
            },
        }];
        if self.vpc_held_ms > 0 {
            scripted.push(ScriptedFault {
                service: Some("ec2".into()),
                operation: "DescribeVpcs".into(),
                nth: None,
                fault: ScriptedKind::Delay {
                    ms: self.vpc_held_ms,
                },
            });
        }
        FaultConfig {
            scripted,
            rds_states: (self.db_creating_ms > 0).then(|| RdsStatesConfig {
                creating_ms: self.db_creating_ms,
                ..RdsStatesConfig::default()
            }),
            ..FaultConfig::default()
        }
    }
}

/// One case's private world: a reset moto, a hosted zone, the proxy and a Terraform dir
/// through it.
struct World {
    tf: TerraformDir,
    proxy: FaultProxy,
    aws: AwsInspector,
    zone_id: String,
}

impl World {
    async fn start(test: &str, moto: &Moto, faults: FaultConfig) -> World {
        moto.reset().expect("reset moto");
        let aws = AwsInspector::for_moto(moto).await;
        let zone_id = aws
            .create_hosted_zone(ZONE_NAME)
            .await
            .expect("hosted zone");
        let proxy = FaultProxy::start(&moto.endpoint(), faults).expect("proxy starts");
        let tf = TerraformDir::with_endpoint(test, moto, &proxy.endpoint()).expect("work dir");
        tf.write_stack(&lean_stack_hcl(STACK, &zone_id, BOUNDED))
            .expect("write main.tf");
        World {
            tf,
            proxy,
            aws,
            zone_id,
        }
    }

    async fn inventory(&self) -> Inventory {
        Inventory::take(&self.aws, STACK, Some(&self.zone_id))
            .await
            .expect("inventory")
    }

    /// The stack's instance in `terraform.tfstate`, if any.
    fn state_instance(&self) -> Option<Value> {
        self.tf.state_file_instance("wordpress_ha_stack", "site")
    }
}

#[test]
fn a_failure_at_any_create_step_keeps_every_id_then_resumes_or_destroys() {
    let cases = selected_cases();
    let jobs = std::env::var("FAULT_RESUME_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_JOBS)
        .max(1);
    let started = Instant::now();
    let results = run_concurrently(&cases, jobs);
    let mut report = Vec::new();
    let mut failed = Vec::new();
    for (case, (elapsed, outcome)) in cases.iter().zip(&results) {
        report.push(format!(
            "  {:<60} {:>6.1}s",
            case.label(),
            elapsed.as_secs_f64()
        ));
        if let Err(message) = outcome {
            failed.push(format!("{}: {message}", case.label()));
        }
    }
    eprintln!(
        "{} cases, {jobs} at a time, in {:.1}s:\n{}",
        cases.len(),
        started.elapsed().as_secs_f64(),
        report.join("\n")
    );
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n\n")
    );
}

/// A clean apply through the proxy makes only writes the case table fails at least once.
#[tokio::test]
async fn every_write_of_create_is_a_fault_case() {
    let moto = Moto::start_async().await.expect("moto starts");
    let world = World::start("fault_cases_cover_create", &moto, FaultConfig::default()).await;
    world.tf.apply().assert_success();
    let stats = world.proxy.stats();
    let covered: BTreeSet<(&str, &str)> = CASES.iter().map(|c| (c.service, c.operation)).collect();
    let mut uncovered = Vec::new();
    for (service, operations) in &stats.calls {
        for (operation, count) in operations {
            let covered = covered.contains(&(service.as_str(), operation.as_str()));
            if is_write(operation)
                && !covered
                && !SLOW_DATABASE_WRITES.contains(&operation.as_str())
            {
                uncovered.push(format!("{service} {operation} ({count} calls)"));
            }
        }
    }
    assert!(
        uncovered.is_empty(),
        "create makes writes no fault case covers; add them to CASES:\n  {}",
        uncovered.join("\n  ")
    );
    for case in CASES.iter().filter(|c| c.db_creating_ms == 0) {
        let calls = stats.calls_to(case.service, case.operation);
        assert!(
            case.nth < calls,
            "{}: a clean create makes only {calls} such calls, the fault would never fire",
            case.label()
        );
    }
    let inventory = world.inventory().await;
    assert_one_lean_stack(&inventory, "clean apply");
    world.tf.destroy().assert_success();
    assert!(world.inventory().await.is_empty(), "destroy left objects");
}

/// Anything but a read: Describe/List/Get calls change nothing.
fn is_write(operation: &str) -> bool {
    !["Describe", "List", "Get"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// The cases named in `FAULT_CASES` (operation names, comma-separated), else all.
fn selected_cases() -> Vec<Case> {
    let Ok(filter) = std::env::var("FAULT_CASES") else {
        return CASES.to_vec();
    };
    let wanted: BTreeSet<&str> = filter.split(',').map(str::trim).collect();
    CASES
        .iter()
        .filter(|c| wanted.contains(c.operation))
        .copied()
        .collect()
}

type CaseResult = (Duration, Result<(), String>);

/// Run every case, at most `jobs` at once: each worker thread owns a moto server (reset before
/// every case) and runs one case at a time on a fresh runtime; a panicking case is reported,
/// not fatal to the others.
fn run_concurrently(cases: &[Case], jobs: usize) -> Vec<CaseResult> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CaseResult>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(cases.len()) {
            scope.spawn(|| {
                let moto = Moto::start().expect("moto starts");
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(index) else {
                        break;
                    };
                    let result = run_isolated(*case, index, &moto);
                    results.lock().unwrap_or_else(|p| p.into_inner())[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or((Duration::ZERO, Err("never ran".into()))))
        .collect()
}

fn run_isolated(case: Case, index: usize, moto: &Moto) -> CaseResult {
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        runtime.block_on(run_case(case, index, moto));
    }));
    let outcome = outcome.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".to_string())
    });
    (started.elapsed(), outcome)
}

async fn run_case(case: Case, index: usize, moto: &Moto) {
    let test = format!("fault_resume_{index}_{}", case.operation);
    let world = World::start(&test, moto, case.fault()).await;
    let failed = world.tf.apply();
    assert_failed_at(&world, &case, &failed);
    // A fault on one of the first creates can land before any other step has an id: then the
    // provider keeps no state by design, and AWS must hold nothing of the stack either (the
    // comparison below, against an empty list, is what proves no id was lost).
    let instance = world.state_instance();
    if let Some(instance) = &instance {
        assert_eq!(
            instance["status"], "tainted",
            "a failed create is tainted: {instance:#}"
        );
    }
    let partial = instance
        .as_ref()
        .map(|i| state_resources(&i["attributes"]))
        .unwrap_or_default();
    assert_state_matches_aws(&partial, &world.inventory().await, "after the failure");
    if case.vpc_held_ms > 0 {
        assert!(
            !partial.is_empty() && !partial.contains_key("vpc"),
            "the fault was meant to land after other objects were made but before the VPC: {partial:?}"
        );
    }

    world
        .proxy
        .set_config(FaultConfig::default())
        .expect("clear faults");
    match case.then {
        _ if instance.is_none() && case.then != Then::Destroy => {
            world.tf.apply().assert_success();
            assert_converged(
                &world,
                "after the apply that followed a failure owning nothing",
            )
            .await;
        }
        Then::Resume => {
            world.tf.run(&["untaint", ADDRESS]).assert_success();
            world.tf.apply().assert_success();
            assert_converged(&world, "after the resumed apply").await;
        }
        Then::Replace => {
            let plan = world.tf.plan().assert_code(2);
            assert!(
                plan.stdout.contains("must be replaced"),
                "a tainted stack is replaced\n{plan}"
            );
            world.tf.apply().assert_success();
            assert_converged(&world, "after the replacing apply").await;
        }
        Then::Destroy => {}
    }
    world.tf.destroy().assert_success();
    let left = world.inventory().await;
    assert!(
        left.is_empty(),
        "destroy left objects:\n  {}",
        left.listing()
    );
    assert!(
        world.state_instance().is_none(),
        "the stack left the state after destroy"
    );
}

/// The apply failed because of our fault, and says which call and which object.
#[track_caller]
fn assert_failed_at(world: &World, case: &Case, output: &TfOutput) {
    assert!(
        !output.success() && !output.timed_out,
        "the apply must fail\n{output}"
    );
    // Terraform wraps long diagnostic lines: compare with whitespace collapsed.
    let text = output
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Error:") && text.contains(case.operation) && text.contains(FAULT_MESSAGE),
        "an error diagnostic names {} and carries AWS's message\n{output}",
        case.operation
    );
    assert!(
        text.contains(&format!("{} failed for ", case.operation)),
        "the diagnostic names the object the call was about\n{output}"
    );
    let faults = world.proxy.stats().fault_log;
    assert_eq!(
        faults.len(),
        1,
        "exactly the scripted fault fired: {faults:?}"
    );
}

/// Exactly one stack, recorded exactly in state, and nothing left to plan.
async fn assert_converged(world: &World, context: &str) {
    let inventory = world.inventory().await;
    assert_one_lean_stack(&inventory, context);
    let instance = world.state_instance().expect("the stack is in state");
    assert_eq!(instance["status"], Value::Null, "not tainted: {instance:#}");
    assert_state_matches_aws(
        &state_resources(&instance["attributes"]),
        &inventory,
        context,
    );
    world.tf.plan().assert_code(0);
}
