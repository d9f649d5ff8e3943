//! RDS refusing deletes and modifications while an instance is not `available`, by the same
//! clocks that show its state (`pending::db_status`).

use std::time::Instant;

use crate::aws_errors::AwsError;
use crate::identify::AwsRequest;
use crate::objects::Registry;
use crate::pending::{db_status, Timings};

/// ModifyDBInstance parameters that change storage.
const STORAGE_PARAMETERS: [&str; 4] = [
    "AllocatedStorage",
    "StorageType",
    "Iops",
    "StorageThroughput",
];

pub fn changes_storage(request: &AwsRequest) -> bool {
    STORAGE_PARAMETERS
        .iter()
        .any(|key| request.params.iter().any(|(k, _)| k == key))
}

fn invalid_state(message: String) -> AwsError {
    AwsError {
        status: 400,
        code: "InvalidDBInstanceState".into(),
        message,
    }
}

/// AWS's refusal of a delete or modification in the instance's current state.
pub fn refusal(
    request: &AwsRequest,
    registry: &Registry,
    timings: &Timings,
    now: Instant,
) -> Option<AwsError> {
    if request.call.service != "rds" {
        return None;
    }
    let operation = request.call.operation.as_str();
    if !matches!(operation, "DeleteDBInstance" | "ModifyDBInstance") {
        return None;
    }
    let id = request.param("DBInstanceIdentifier")?;
    let status = db_status(id, registry, timings, now)?;
    match (operation, status) {
        // Storage optimisation only blocks another storage change; AWS lets everything else
        // through (a password or class change, a delete).
        ("ModifyDBInstance", "storage-optimization") => changes_storage(request).then(|| AwsError {
            status: 400,
            code: "InvalidParameterCombination".into(),
            message: "You can't currently modify the storage of this DB instance because the previous storage change is being optimized.".to_string(),
        }),
        (_, "storage-optimization") => None,
        // A stopped instance can be deleted on AWS, not modified.
        ("DeleteDBInstance", "stopped") => None,
        ("DeleteDBInstance", _) if takes_final_snapshot(request) => Some(invalid_state(format!(
            "Instance {id} is currently {status} - a final snapshot cannot be taken."
        ))),
        _ => Some(invalid_state(format!(
            "Instance {id} is not in available state."
        ))),
    }
}

fn takes_final_snapshot(request: &AwsRequest) -> bool {
    request.param("SkipFinalSnapshot") != Some("true")
        && request.param("FinalDBSnapshotIdentifier").is_some()
}

/// Learn storage changes and stops from calls RDS accepted.
pub fn observe(request: &AwsRequest, registry: &mut Registry, now: Instant) {
    if request.call.service != "rds" {
        return;
    }
    let Some(id) = request.param("DBInstanceIdentifier") else {
        return;
    };
    match request.call.operation.as_str() {
        "ModifyDBInstance" if changes_storage(request) => registry.learn_storage_modified(id, now),
        "StopDBInstance" => registry.set_stopped(id, true),
        "StartDBInstance" | "DeleteDBInstance" => registry.set_stopped(id, false),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{millis, PendingConfig};
    use crate::identify::{CallId, Protocol};

    fn request(operation: &str, params: &[(&str, &str)]) -> AwsRequest {
        let mut all = vec![("DBInstanceIdentifier".to_string(), "db".to_string())];
        all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        AwsRequest {
            call: CallId {
                service: "rds".into(),
                operation: operation.into(),
            },
            protocol: Protocol::AwsQuery,
            params: all,
        }
    }

    #[test]
    fn creating_refuses_delete_and_storage_optimisation_refuses_only_storage() {
        let start = Instant::now();
        let mut registry = Registry::default();
        registry.learn_created(
            &CallId {
                service: "rds".into(),
                operation: "CreateDBInstance".into(),
            },
            "<DBInstance><DBInstanceIdentifier>db</DBInstanceIdentifier></DBInstance>",
            start,
        );
        let timings = Timings {
            pending: PendingConfig {
                db_instance_ms: 1000,
                db_modify_ms: 100,
                ..PendingConfig::default()
            },
            db_storage_optimization: millis(1000),
            ..Timings::default()
        };
        let delete = request(
            "DeleteDBInstance",
            &[("FinalDBSnapshotIdentifier", "final")],
        );
        let error = refusal(&delete, &registry, &timings, start).unwrap();
        assert_eq!(error.code, "InvalidDBInstanceState");
        assert!(
            error.message.contains("a final snapshot cannot be taken"),
            "{}",
            error.message
        );
        let later = start + millis(2000);
        assert!(refusal(&delete, &registry, &timings, later).is_none());

        let grow = request("ModifyDBInstance", &[("AllocatedStorage", "30")]);
        registry.learn_modified("db", later);
        observe(&grow, &mut registry, later);
        let modifying = refusal(&grow, &registry, &timings, later + millis(50)).unwrap();
        assert_eq!(modifying.message, "Instance db is not in available state.");
        let optimising = later + millis(500);
        let error = refusal(&grow, &registry, &timings, optimising).unwrap();
        assert_eq!(error.code, "InvalidParameterCombination");
        let password = request("ModifyDBInstance", &[("MasterUserPassword", "x")]);
        assert!(refusal(&password, &registry, &timings, optimising).is_none());
        assert!(refusal(&delete, &registry, &timings, optimising).is_none());
    }
}
