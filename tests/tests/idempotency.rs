//! Every write the provider makes is idempotent under a retry after a dropped response.
//!
//! A `drop_after` fault lets moto execute the call and throws the response away: the SDK sees
//! a broken connection and sends the call again (or the step fails and the next apply resumes).
//! A create without a client token or a find-by-tag first would leave a second object.
//!
//! The writes are learnt from a clean apply + destroy through the proxy (every call but
//! `Describe*`, `Get*`, `List*`); each must be listed below, so a write the provider starts
//! making fails this test until a case covers it. Two runs then drop the response of the first
//! (resp. second: the next zone's subnet, NAT…) call of every listed write of the apply, and,
//! during the destroy, of every listed write of the destroy. Each must end with the stack's
//! exact objects, a clean re-plan, and nothing tagged after destroy.

use std::collections::BTreeSet;

use aws_fault_proxy::config::RdsStatesConfig;
use stack_tests::runners::reliability::{
    calls_since, drop_after_each, run_jobs, write_operations, Job, RunRecord, Scenario, StackShape,
};
use stack_tests::FaultConfig;

/// The writes of an apply of the reliability stack (bastion, DNS, NAT per zone).
const APPLY_WRITES: &[(&str, &str)] = &[
    ("autoscaling", "EnableMetricsCollection"),
    ("autoscaling", "CreateAutoScalingGroup"),
    ("autoscaling", "PutScalingPolicy"),
    ("ec2", "AllocateAddress"),
    ("ec2", "AssociateRouteTable"),
    ("ec2", "AttachInternetGateway"),
    ("ec2", "AuthorizeSecurityGroupEgress"),
    ("ec2", "AuthorizeSecurityGroupIngress"),
    ("ec2", "CreateInternetGateway"),
    ("ec2", "CreateLaunchTemplate"),
    // The group's move to the secret version with the database in it (see `scenario`).
    ("ec2", "CreateLaunchTemplateVersion"),
    ("ec2", "ModifyLaunchTemplate"),
    ("autoscaling", "UpdateAutoScalingGroup"),
    ("ec2", "CreateNatGateway"),
    ("ec2", "CreateRoute"),
    ("ec2", "CreateRouteTable"),
    ("ec2", "CreateSecurityGroup"),
    ("ec2", "CreateSubnet"),
    ("ec2", "CreateTags"),
    ("ec2", "CreateVpc"),
    ("ec2", "ModifyVpcAttribute"),
    ("ec2", "RevokeSecurityGroupEgress"),
    ("ec2", "RunInstances"),
    ("elasticfilesystem", "CreateFileSystem"),
    ("elasticfilesystem", "CreateMountTarget"),
    ("elasticfilesystem", "PutFileSystemPolicy"),
    ("elasticloadbalancing", "CreateListener"),
    ("elasticloadbalancing", "CreateLoadBalancer"),
    ("elasticloadbalancing", "CreateTargetGroup"),
    ("elasticloadbalancing", "ModifyLoadBalancerAttributes"),
    ("elasticloadbalancing", "ModifyTargetGroupAttributes"),
    ("iam", "AddRoleToInstanceProfile"),
    ("iam", "CreateInstanceProfile"),
    ("iam", "CreateRole"),
    ("iam", "PutRolePolicy"),
    ("logs", "CreateLogGroup"),
    ("logs", "PutRetentionPolicy"),
    ("rds", "CreateDBInstance"),
    ("rds", "CreateDBParameterGroup"),
    ("rds", "CreateDBSubnetGroup"),
    ("rds", "ModifyDBParameterGroup"),
    ("route53", "ChangeResourceRecordSets"),
    ("secretsmanager", "CreateSecret"),
    ("secretsmanager", "PutSecretValue"),
    ("wafv2", "AssociateWebACL"),
    ("wafv2", "CreateWebACL"),
    ("monitoring", "PutMetricAlarm"),
    ("sns", "CreateTopic"),
];

/// The writes of its destroy.
const DESTROY_WRITES: &[(&str, &str)] = &[
    ("autoscaling", "DeleteAutoScalingGroup"),
    ("ec2", "DeleteInternetGateway"),
    ("ec2", "DeleteLaunchTemplate"),
    ("ec2", "DeleteNatGateway"),
    ("ec2", "DeleteRouteTable"),
    ("ec2", "DeleteSecurityGroup"),
    ("ec2", "DeleteSubnet"),
    ("ec2", "DeleteVpc"),
    ("ec2", "DetachInternetGateway"),
    ("ec2", "DisassociateRouteTable"),
    ("ec2", "ReleaseAddress"),
    ("ec2", "RevokeSecurityGroupEgress"),
    ("ec2", "RevokeSecurityGroupIngress"),
    ("ec2", "TerminateInstances"),
    ("elasticfilesystem", "DeleteFileSystem"),
    ("elasticfilesystem", "DeleteMountTarget"),
    ("elasticloadbalancing", "DeleteListener"),
    ("elasticloadbalancing", "DeleteLoadBalancer"),
    ("elasticloadbalancing", "DeleteTargetGroup"),
    ("iam", "DeleteInstanceProfile"),
    ("iam", "DeleteRole"),
    ("iam", "DeleteRolePolicy"),
    ("iam", "RemoveRoleFromInstanceProfile"),
    ("logs", "DeleteLogGroup"),
    ("rds", "DeleteDBInstance"),
    ("rds", "DeleteDBParameterGroup"),
    ("rds", "DeleteDBSubnetGroup"),
    ("route53", "ChangeResourceRecordSets"),
    ("secretsmanager", "DeleteSecret"),
    ("wafv2", "DeleteWebACL"),
    ("wafv2", "DisassociateWebACL"),
    ("monitoring", "DeleteAlarms"),
    ("sns", "DeleteTopic"),
];

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(s, o)| (s.to_string(), o.to_string()))
        .collect()
}

/// How long the proxy keeps the database `creating` during the apply: past the fleet's path
/// to its launch template, so the group's move to the secret version with the database in it
/// (CreateLaunchTemplateVersion, UpdateAutoScalingGroup) is part of every run.
const SLOW_DATABASE_MS: u64 = 15_000;

fn scenario(label: &str, apply: FaultConfig, destroy: FaultConfig) -> Scenario {
    Scenario {
        label: label.to_string(),
        seed: 0,
        shape: StackShape { zones: 2 },
        apply_faults: FaultConfig {
            rds_states: Some(RdsStatesConfig {
                creating_ms: SLOW_DATABASE_MS,
                ..RdsStatesConfig::default()
            }),
            ..apply
        },
        destroy_faults: Some(destroy),
        resume_failed_apply: true,
    }
}

/// Listed operations the run's fault log shows a dropped response for.
fn dropped(record: &RunRecord) -> BTreeSet<String> {
    record
        .fault_log
        .iter()
        .filter(|line| line.ends_with("drop-after"))
        .filter_map(|line| line.split(" #").next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_write_survives_a_dropped_response() {
    let apply_writes = owned(APPLY_WRITES);
    let destroy_writes = owned(DESTROY_WRITES);
    let mut jobs = vec![Job::Scenario(Box::new(Scenario {
        destroy_faults: None,
        resume_failed_apply: false,
        ..scenario(
            "idempotency-clean",
            FaultConfig::default(),
            FaultConfig::default(),
        )
    }))];
    for nth in [0, 1] {
        jobs.push(Job::Scenario(Box::new(scenario(
            &format!("idempotency-drop-{nth}"),
            drop_after_each(&apply_writes, nth),
            drop_after_each(&destroy_writes, nth),
        ))));
    }
    let records = run_jobs(jobs, 2);
    let clean = &records[0];
    assert!(
        clean.succeeded(),
        "the clean run: {}",
        clean.problem_summary()
    );

    let seen_apply = write_operations(&clean.calls_after_apply);
    let seen_destroy = write_operations(&calls_since(
        &clean.calls_after_apply,
        &clean.calls_by_operation,
    ));
    let uncovered = |seen: &BTreeSet<(String, String)>, covered: &[(String, String)]| {
        seen.iter()
            .filter(|op| !covered.contains(op))
            .map(|(s, o)| format!("(\"{s}\", \"{o}\"),"))
            .collect::<Vec<_>>()
    };
    let missing_apply = uncovered(&seen_apply, &apply_writes);
    let missing_destroy = uncovered(&seen_destroy, &destroy_writes);
    assert!(
        missing_apply.is_empty() && missing_destroy.is_empty(),
        "writes no case covers; add them to APPLY_WRITES:\n{}\nDESTROY_WRITES:\n{}",
        missing_apply.join("\n"),
        missing_destroy.join("\n")
    );

    for record in &records[1..] {
        eprintln!("{}", record.summary_line());
        if let Some(first) = &record.first_apply_error {
            eprintln!("  the first apply failed and the second resumed it: {first}");
        }
        assert!(
            record.succeeded(),
            "{}: {}",
            record.label,
            record.problem_summary()
        );
    }
    // The lists hold nothing the provider no longer does, and every listed write really had
    // its response dropped in the first run.
    let stale: Vec<&(String, String)> = apply_writes
        .iter()
        .filter(|op| !seen_apply.contains(*op))
        .chain(
            destroy_writes
                .iter()
                .filter(|op| !seen_destroy.contains(*op)),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "listed writes a clean run no longer makes: {stale:?}"
    );
    let dropped_first = dropped(&records[1]);
    let never_dropped: Vec<String> = apply_writes
        .iter()
        .chain(&destroy_writes)
        .map(|(s, o)| format!("{s} {o}"))
        .filter(|op| !dropped_first.contains(op))
        .collect();
    assert!(
        never_dropped.is_empty(),
        "listed writes whose response was never dropped: {never_dropped:?}"
    );
}
