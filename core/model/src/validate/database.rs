//! The database block: RDS MySQL's class, version, storage, naming and password rules, and
//! the one rule that needs the prior state (storage never shrinks).

use super::instances::is_instance_type;
use super::{
    path, Errors, BACKUP_RETENTION_MAX_DAYS, DB_MAX_STORAGE_GIB, DB_MIN_STORAGE_GIB,
    DB_NAME_MAX_LEN, DB_USERNAME_MAX_LEN,
};
use crate::error::{FieldPath, SpecError};
use crate::secrets::{is_valid_db_password, DB_PASSWORD_MAX_LEN, DB_PASSWORD_MIN_LEN};
use crate::spec::DatabaseSpec;

/// Words MySQL reserves (the ones a database or user name could plausibly collide with), and
/// `rdsadmin`, which RDS keeps for itself.
const RESERVED_DB_WORDS: &[&str] = &[
    "add",
    "all",
    "alter",
    "and",
    "as",
    "before",
    "between",
    "by",
    "case",
    "check",
    "column",
    "create",
    "cross",
    "database",
    "databases",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "exists",
    "from",
    "function",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "insert",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "keys",
    "like",
    "limit",
    "lock",
    "not",
    "null",
    "on",
    "or",
    "order",
    "primary",
    "rdsadmin",
    "references",
    "rename",
    "revoke",
    "schema",
    "select",
    "show",
    "system",
    "table",
    "to",
    "trigger",
    "union",
    "unique",
    "update",
    "usage",
    "use",
    "user",
    "values",
    "where",
    "with",
];

/// Plan-time rule (for the plan, with the prior state): RDS grows storage in place but never
/// shrinks it. `Some` when `desired` asks for less than the stack has.
pub fn storage_shrink_error(prior: &DatabaseSpec, desired: &DatabaseSpec) -> Option<SpecError> {
    (desired.allocated_storage < prior.allocated_storage).then(|| {
        SpecError::new(
            FieldPath::attrs(&["database", "allocated_storage"]),
            format!(
                "allocated storage cannot shrink from {} GiB to {} GiB",
                prior.allocated_storage, desired.allocated_storage
            ),
            "RDS can only grow a DB instance's storage. Keep the current size or a larger one; to shrink, create a new stack and move the data.",
        )
    })
}

pub(super) fn check_database(errors: &mut Errors, database: &DatabaseSpec) {
    let at = |name: &str| path(&["database", name]);
    let class_ok = database
        .instance_class
        .strip_prefix("db.")
        .is_some_and(is_instance_type);
    if !class_ok {
        errors.push(
            at("instance_class"),
            format!("{:?} is not an RDS instance class", database.instance_class),
            "Write an RDS instance class such as \"db.t3.micro\" or \"db.m6g.large\" (\"db.\" followed by an instance type).",
        );
    }
    if !is_engine_version(&database.engine_version) {
        errors.push(
            at("engine_version"),
            format!(
                "{:?} is not a MySQL engine version",
                database.engine_version
            ),
            "Write a MySQL version such as \"8.0\" (latest minor) or \"8.0.35\".",
        );
    }
    check_db_storage(errors, database);
    check_snapshot(errors, database);
    check_db_identifier(
        errors,
        at("db_name"),
        "db_name",
        &database.db_name,
        DB_NAME_MAX_LEN,
        true,
    );
    check_db_identifier(
        errors,
        at("username"),
        "username",
        &database.username,
        DB_USERNAME_MAX_LEN,
        false,
    );
    if let Some(password) = &database.password {
        // Never echo the password: it would end up in Terraform's output.
        if !is_valid_db_password(password.expose()) {
            errors.push(
                at("password"),
                "password does not meet RDS's rules",
                format!("Use {DB_PASSWORD_MIN_LEN} to {DB_PASSWORD_MAX_LEN} printable ASCII characters, none of them /, \", @ or a space; or omit it to have one generated."),
            );
        }
    }
    if !(0..=BACKUP_RETENTION_MAX_DAYS).contains(&database.backup_retention_days) {
        errors.push(
            at("backup_retention_days"),
            format!("backup_retention_days is {}; RDS keeps backups 0 to {BACKUP_RETENTION_MAX_DAYS} days", database.backup_retention_days),
            format!("Set backup_retention_days between 0 (no backups) and {BACKUP_RETENTION_MAX_DAYS}."),
        );
    }
}

/// Plan-time rule (with the prior state): a restore happens only when the stack is created, so
/// a `snapshot_identifier` changed on a live stack would silently do nothing; it is refused.
pub fn snapshot_change_error(prior: &DatabaseSpec, desired: &DatabaseSpec) -> Option<SpecError> {
    (prior.snapshot_identifier != desired.snapshot_identifier).then(|| {
        let show = |s: &Option<String>| s.as_deref().map_or("none".to_string(), |s| format!("{s:?}"));
        SpecError::new(
            FieldPath::attrs(&["database", "snapshot_identifier"]),
            format!(
                "snapshot_identifier cannot change on an existing stack ({} -> {})",
                show(&prior.snapshot_identifier),
                show(&desired.snapshot_identifier)
            ),
            "The database is restored from a snapshot only when the stack is created; an existing database is never replaced by one (that would lose its data). Put snapshot_identifier back as it was, and restore into a new stack (another name) instead.",
        )
    })
}

/// An RDS DB snapshot identifier (`rds:` for automated ones) or a DB snapshot ARN.
pub fn is_snapshot_reference(text: &str) -> bool {
    let id = |s: &str| {
        let s = s.strip_prefix("rds:").unwrap_or(s);
        (1..=255).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !s.ends_with('-')
            && !s.contains("--")
    };
    match text.strip_prefix("arn:") {
        None => id(text),
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(6, ':').collect();
            matches!(parts.as_slice(), [partition, "rds", region, account, "snapshot", name]
                if partition.starts_with("aws")
                    && !region.is_empty()
                    && account.len() == 12
                    && account.chars().all(|c| c.is_ascii_digit())
                    && id(name))
        }
    }
}

fn check_snapshot(errors: &mut Errors, database: &DatabaseSpec) {
    if let Some(snapshot) = &database.snapshot_identifier {
        if !is_snapshot_reference(snapshot) {
            errors.push(
                path(&["database", "snapshot_identifier"]),
                format!("{snapshot:?} is not an RDS DB snapshot identifier or ARN"),
                "Write the snapshot's identifier (a letter, then letters, digits and single hyphens, not ending with a hyphen, such as \"blog-final-1767225600\"; automated ones start with \"rds:\") or its ARN (arn:aws:rds:<region>:<account>:snapshot:<identifier>).",
            );
        }
    }
}

fn check_db_storage(errors: &mut Errors, database: &DatabaseSpec) {
    let allocated = database.allocated_storage;
    let maximum = database.max_allocated_storage;
    if !(DB_MIN_STORAGE_GIB..=DB_MAX_STORAGE_GIB).contains(&allocated) {
        errors.push(
            path(&["database", "allocated_storage"]),
            format!("allocated_storage is {allocated} GiB; RDS MySQL needs {DB_MIN_STORAGE_GIB} to {DB_MAX_STORAGE_GIB}"),
            format!("Set allocated_storage between {DB_MIN_STORAGE_GIB} and {DB_MAX_STORAGE_GIB} GiB."),
        );
    }
    // Compare with allocated_storage only when that one is sane, so one mistake gives one error.
    let allocated_ok = (DB_MIN_STORAGE_GIB..=DB_MAX_STORAGE_GIB).contains(&allocated);
    let floor = if allocated_ok {
        allocated
    } else {
        DB_MIN_STORAGE_GIB
    };
    if maximum < floor || maximum > DB_MAX_STORAGE_GIB {
        errors.push(
            path(&["database", "max_allocated_storage"]),
            format!("max_allocated_storage is {maximum} GiB; it must be between allocated_storage ({allocated}) and {DB_MAX_STORAGE_GIB}"),
            "Set max_allocated_storage (the ceiling of storage autoscaling) to at least allocated_storage.",
        );
    }
}

/// MySQL 8.0's end of RDS standard support: after it, every 8.0 instance runs on paid RDS
/// Extended Support.
pub const MYSQL_80_STANDARD_SUPPORT_END: &str = "31 July 2026";

/// A warning (not an error) for a database on MySQL 8.0, whose standard support has ended.
pub fn extended_support_warning(database: &DatabaseSpec) -> Option<SpecError> {
    let version = &database.engine_version;
    (version == "8.0" || version.starts_with("8.0.")).then(|| {
        SpecError::new(
            FieldPath::attrs(&["database", "engine_version"]),
            format!("MySQL {version} is on paid RDS Extended Support"),
            format!(
                "RDS standard support for MySQL 8.0 ended on {MYSQL_80_STANDARD_SUPPORT_END}: AWS bills Extended Support per vCPU-hour for every 8.0 instance. Set engine_version = \"8.4\" (the current long-term release; a major upgrade RDS runs in place with a short outage, after a snapshot) when the site's plugins support it."
            ),
        )
    })
}

/// `8.0` or `8.0.35`.
fn is_engine_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    matches!(parts.len(), 2 | 3)
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// RDS's MySQL rules: a letter first, then letters and digits (and `_` in database names),
/// not a reserved word.
fn check_db_identifier(
    errors: &mut Errors,
    at: FieldPath,
    label: &str,
    value: &str,
    max_len: usize,
    underscore: bool,
) {
    let allowed = if underscore {
        "letters, digits and underscores"
    } else {
        "letters and digits"
    };
    let fix =
        format!("Use 1 to {max_len} {allowed}, starting with a letter, such as \"wordpress\".");
    let length = value.chars().count();
    let chars_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || (underscore && c == '_'));
    if length == 0
        || length > max_len
        || !value.starts_with(|c: char| c.is_ascii_alphabetic())
        || !chars_ok
    {
        errors.push(
            at,
            format!("{label} {value:?} is not valid for RDS MySQL"),
            fix,
        );
    } else if RESERVED_DB_WORDS.contains(&value.to_ascii_lowercase().as_str()) {
        errors.push(
            at,
            format!("{label} {value:?} is a reserved word"),
            format!("Choose another {label}, such as \"wordpress\"."),
        );
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;

    #[test]
    fn snapshot_references_are_identifiers_or_arns() {
        for ok in [
            "blog-final-1767225600",
            "rds:blog-db-2026-12-01-03-10",
            "arn:aws:rds:us-east-1:123456789012:snapshot:blog-final-1767225600",
            "arn:aws-cn:rds:cn-north-1:123456789012:snapshot:rds:blog-db-2026",
        ] {
            assert!(is_snapshot_reference(ok), "{ok}");
        }
        for bad in [
            "",
            "1blog",
            "blog--final",
            "blog-",
            "blog_final",
            "arn:aws:rds:us-east-1:123:snapshot:blog",
            "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:blog",
        ] {
            assert!(!is_snapshot_reference(bad), "{bad}");
        }
    }

    #[test]
    fn changing_the_snapshot_of_a_live_stack_is_refused_on_its_attribute() {
        let prior = DatabaseSpec::default();
        let restored = DatabaseSpec {
            snapshot_identifier: Some("blog-final-1".into()),
            ..DatabaseSpec::default()
        };
        let error = snapshot_change_error(&prior, &restored).expect("refused");
        assert_eq!(error.path.to_string(), "database.snapshot_identifier");
        assert!(error.detail.contains("new stack"), "{}", error.detail);
        assert_eq!(snapshot_change_error(&restored, &restored), None);
    }
}
