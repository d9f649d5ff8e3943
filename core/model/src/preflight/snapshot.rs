//! The DB snapshot `database.snapshot_identifier` names, judged at plan: a restore that RDS
//! would refuse, or that would run another engine than the configuration says, fails the plan
//! on that attribute instead of the apply, after the network and the fleet are billing.

use crate::engine_version::{self, Standing};
use crate::error::{FieldPath, SpecError};

/// A DB snapshot as RDS describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFacts {
    /// `available`, `creating`, `copying`…
    pub status: String,
    pub engine: String,
    pub engine_version: String,
}

/// The errors of restoring `snapshot` (`None`: RDS does not know it) into a database of
/// `engine_version`.
pub fn judge(
    identifier: &str,
    snapshot: Option<&SnapshotFacts>,
    engine_version: &str,
    errors: &mut Vec<SpecError>,
) {
    let path = FieldPath::attrs(&["database", "snapshot_identifier"]);
    let Some(snapshot) = snapshot else {
        errors.push(SpecError::new(
            path,
            format!("DB snapshot {identifier} does not exist in this region"),
            "RDS restores a manual or automated snapshot of the provider's region (aws rds describe-db-snapshots); copy a snapshot from another region first (aws rds copy-db-snapshot), or fix the identifier.",
        ));
        return;
    };
    if snapshot.engine != "mysql" {
        errors.push(SpecError::new(
            path,
            format!(
                "DB snapshot {identifier} is of engine {}, not mysql",
                snapshot.engine
            ),
            "The stack runs MySQL: name a snapshot of a MySQL instance.",
        ));
        return;
    }
    if snapshot.status != "available" {
        errors.push(SpecError::new(
            path,
            format!(
                "DB snapshot {identifier} is {}, not available",
                snapshot.status
            ),
            "RDS restores only an available snapshot: wait until it is (aws rds wait db-snapshot-available), then plan again.",
        ));
        return;
    }
    if engine_version::standing(&snapshot.engine_version, engine_version) == Standing::Above {
        errors.push(SpecError::new(
            FieldPath::attrs(&["database", "engine_version"]),
            format!(
                "DB snapshot {identifier} holds MySQL {}, newer than database.engine_version {engine_version}",
                snapshot.engine_version
            ),
            format!(
                "RDS restores a snapshot at its own version and never downgrades: set database.engine_version to {} (or newer).",
                snapshot.engine_version
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: &str, engine: &str, version: &str) -> SnapshotFacts {
        SnapshotFacts {
            status: status.into(),
            engine: engine.into(),
            engine_version: version.into(),
        }
    }

    fn judged(snapshot: Option<&SnapshotFacts>, version: &str) -> Vec<SpecError> {
        let mut errors = Vec::new();
        judge("blog-final-1", snapshot, version, &mut errors);
        errors
    }

    #[test]
    fn an_available_mysql_snapshot_not_newer_than_the_configuration_restores() {
        assert!(judged(Some(&facts("available", "mysql", "8.0.39")), "8.4").is_empty());
        assert!(judged(Some(&facts("available", "mysql", "8.4.5")), "8.4").is_empty());
    }

    #[test]
    fn each_refusal_names_the_snapshot_and_points_at_its_attribute() {
        let snapshot_path = FieldPath::attrs(&["database", "snapshot_identifier"]);
        for (snapshot, says) in [
            (None, "does not exist"),
            (Some(facts("available", "postgres", "16.3")), "not mysql"),
            (
                Some(facts("creating", "mysql", "8.4.5")),
                "is creating, not available",
            ),
        ] {
            let errors = judged(snapshot.as_ref(), "8.4");
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].path, snapshot_path);
            assert!(errors[0].summary.contains("blog-final-1"), "{errors:?}");
            assert!(errors[0].summary.contains(says), "{errors:?}");
        }
    }

    #[test]
    fn a_newer_snapshot_asks_for_its_version() {
        let errors = judged(Some(&facts("available", "mysql", "8.4.5")), "8.0");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].path,
            FieldPath::attrs(&["database", "engine_version"])
        );
        assert!(errors[0].detail.contains("8.4.5"), "{errors:?}");
    }
}
