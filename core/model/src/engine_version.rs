//! MySQL engine versions as the spec writes them: `8.0` (a major.minor: AWS keeps it on the
//! latest minor, so auto minor upgrades stay on) or `8.0.35` (pinned: auto minor upgrades
//! off). A running version is compared with the configured one part by part, numerically,
//! so that a version AWS moved forward is never sent back down.

use std::cmp::Ordering;

/// How the version an instance runs stands against the configured one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The configured version (`8.0` is met by `8.0.39`, `8.0.35` only by `8.0.35`).
    Meets,
    /// Newer than configured (an upgrade AWS or someone else made): left as it is.
    Above,
    /// Older than configured, or not comparable: the configured version is applied.
    Below,
}

/// A full `major.minor.patch` version: the user pinned it.
pub fn is_pinned(version: &str) -> bool {
    parts(version).is_some_and(|p| p.len() >= 3)
}

/// Whether RDS may upgrade minor versions by itself: only when the version is not pinned.
pub fn auto_minor_upgrades(version: &str) -> bool {
    !is_pinned(version)
}

/// Where `running` stands against `configured`, over the parts `configured` names.
pub fn standing(running: &str, configured: &str) -> Standing {
    if running == configured {
        return Standing::Meets;
    }
    let (Some(running), Some(configured)) = (parts(running), parts(configured)) else {
        return Standing::Below;
    };
    let compared = configured
        .iter()
        .zip(running.iter().chain(std::iter::repeat(&0)))
        .map(|(want, run)| run.cmp(want))
        .find(|order| *order != Ordering::Equal);
    match compared {
        None => Standing::Meets,
        Some(Ordering::Greater) => Standing::Above,
        Some(_) => Standing::Below,
    }
}

/// The DB parameter group family of a MySQL version: `mysql8.0` for `8.0` and `8.0.39`.
pub fn parameter_group_family(version: &str) -> String {
    let major_minor: Vec<&str> = version.split('.').take(2).collect();
    format!("mysql{}", major_minor.join("."))
}

fn parts(version: &str) -> Option<Vec<u64>> {
    version.split('.').map(|p| p.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_version_is_pinned_and_turns_auto_minor_upgrades_off() {
        assert!(is_pinned("8.0.35"));
        assert!(!auto_minor_upgrades("8.0.35"));
        assert!(!is_pinned("8.0"));
        assert!(auto_minor_upgrades("8.4"));
    }

    #[test]
    fn the_parameter_group_family_is_the_major_version() {
        assert_eq!(parameter_group_family("8.0"), "mysql8.0");
        assert_eq!(parameter_group_family("8.0.39"), "mysql8.0");
        assert_eq!(parameter_group_family("8.4.5"), "mysql8.4");
    }

    #[test]
    fn running_versions_are_compared_numerically_over_the_configured_parts() {
        assert_eq!(standing("8.0.39", "8.0"), Standing::Meets);
        assert_eq!(standing("8.0.35", "8.0.35"), Standing::Meets);
        assert_eq!(standing("8.4.3", "8.0"), Standing::Above);
        assert_eq!(standing("8.0.36", "8.0.35"), Standing::Above);
        assert_eq!(standing("8.0.10", "8.0.9"), Standing::Above);
        assert_eq!(standing("8.0.34", "8.0.35"), Standing::Below);
        assert_eq!(standing("8.0.39", "8.4"), Standing::Below);
        assert_eq!(standing("8.0", "8.0.35"), Standing::Below);
        assert_eq!(standing("garbage", "8.0"), Standing::Below);
    }
}
