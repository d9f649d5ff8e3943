//! The provider's footprint: its binary's size, and GetProviderSchema's time as the criterion
//! micro-benchmark of the provider crate last measured it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde::Deserialize;

use crate::error::{BenchError, Result};

/// The criterion benchmark id whose estimate is reported.
pub const SCHEMA_BENCH: &str = "get_provider_schema";
/// `cargo bench` target of the provider crate holding it.
pub const MICRO_BENCH_TARGET: &str = "micro";

/// Size in MB (10^6 bytes).
pub fn binary_mb(binary: &Path) -> Result<f64> {
    let bytes = std::fs::metadata(binary)
        .map_err(BenchError::io("read the size of", binary))?
        .len();
    Ok(bytes as f64 / 1_000_000.0)
}

/// `<target>/criterion/<id>/new/estimates.json`.
pub fn estimates_path(target_dir: &Path, id: &str) -> PathBuf {
    target_dir
        .join("criterion")
        .join(id)
        .join("new")
        .join("estimates.json")
}

#[derive(Debug, Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    /// Nanoseconds.
    point_estimate: f64,
}

/// The median of criterion's run of `id`, in milliseconds, if that run wrote its estimate at
/// or after `not_before`; `None` when it never ran or the estimate is older (a stale figure
/// graded as fresh would hide a regression).
pub fn criterion_median_ms(target_dir: &Path, id: &str, not_before: SystemTime) -> Option<f64> {
    let path = estimates_path(target_dir, id);
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if written < not_before {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: Estimates = serde_json::from_str(&text).ok()?;
    Some(estimates.median.point_estimate / 1_000_000.0)
}

/// Whether the provider crate has the micro-benchmark target (engineer D's criterion bench).
pub fn micro_bench_exists(root: &Path) -> bool {
    root.join("provider")
        .join("benches")
        .join(format!("{MICRO_BENCH_TARGET}.rs"))
        .is_file()
}

/// `cargo bench -p terraform-provider-wordpress --bench micro -- get_provider_schema`, niced.
pub fn run_micro_bench(root: &Path) -> Result<()> {
    let args = [
        "-n",
        "19",
        "cargo",
        "bench",
        "-p",
        "terraform-provider-wordpress",
        "--bench",
        MICRO_BENCH_TARGET,
        "--",
        SCHEMA_BENCH,
    ];
    let status = Command::new("nice")
        .args(args)
        .current_dir(root)
        .status()
        .map_err(BenchError::io("run cargo bench in", root))?;
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::Command {
            command: args.join(" "),
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_criterion_median_is_read_in_milliseconds_when_fresh() {
        let before = SystemTime::now() - std::time::Duration::from_secs(60);
        let dir = tempfile::tempdir().unwrap();
        let path = estimates_path(dir.path(), SCHEMA_BENCH);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"mean":{"point_estimate":2500.0},"median":{"point_estimate":2000.0,"standard_error":1.0}}"#,
        )
        .unwrap();
        assert_eq!(
            criterion_median_ms(dir.path(), SCHEMA_BENCH, before),
            Some(0.002)
        );
        assert_eq!(criterion_median_ms(dir.path(), "absent", before), None);
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert_eq!(
            criterion_median_ms(dir.path(), SCHEMA_BENCH, later),
            None,
            "an estimate older than the run is stale"
        );
    }

    #[test]
    fn binary_size_is_in_megabytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bin");
        std::fs::write(&file, vec![0u8; 3_000_000]).unwrap();
        assert_eq!(binary_mb(&file).unwrap(), 3.0);
        assert!(binary_mb(&dir.path().join("missing")).is_err());
    }
}
