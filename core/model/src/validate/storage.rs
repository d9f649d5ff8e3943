//! The storage block: EFS throughput and performance modes and the combinations EFS refuses.

use super::{path, Errors, EFS_MAX_PROVISIONED_MIBPS, EFS_MIN_PROVISIONED_MIBPS};
use crate::spec::StorageSpec;

pub(super) fn check_storage(errors: &mut Errors, storage: &StorageSpec) {
    let at = |name: &str| path(&["storage", name]);
    let throughput = storage.throughput_mode.as_str();
    let throughput_known = StorageSpec::THROUGHPUT_MODES.contains(&throughput);
    if !throughput_known {
        errors.push(
            at("throughput_mode"),
            format!("{throughput:?} is not an EFS throughput mode"),
            format!("Use one of: {}.", StorageSpec::THROUGHPUT_MODES.join(", ")),
        );
    }
    if !StorageSpec::PERFORMANCE_MODES.contains(&storage.performance_mode.as_str()) {
        errors.push(
            at("performance_mode"),
            format!(
                "{:?} is not an EFS performance mode",
                storage.performance_mode
            ),
            format!("Use one of: {}.", StorageSpec::PERFORMANCE_MODES.join(", ")),
        );
    } else if storage.performance_mode == "maxIO" && throughput == "elastic" {
        errors.push(
            at("performance_mode"),
            "EFS does not offer elastic throughput with the maxIO performance mode",
            "Use performance_mode \"generalPurpose\", or throughput_mode \"bursting\" or \"provisioned\".",
        );
    }
    match (throughput, storage.provisioned_throughput_mibps) {
        // The missing attribute has no line to show: point at the mode that needs it.
        ("provisioned", None) => errors.push(
            at("throughput_mode"),
            "throughput_mode \"provisioned\" needs provisioned_throughput_mibps",
            format!("Add provisioned_throughput_mibps to the storage block, between {EFS_MIN_PROVISIONED_MIBPS} and {EFS_MAX_PROVISIONED_MIBPS} MiB/s, or choose throughput_mode \"elastic\"."),
        ),
        ("provisioned", Some(mibps)) if !(mibps.is_finite() && (EFS_MIN_PROVISIONED_MIBPS..=EFS_MAX_PROVISIONED_MIBPS).contains(&mibps)) => errors.push(
            at("provisioned_throughput_mibps"),
            format!("provisioned_throughput_mibps is {mibps}; EFS accepts {EFS_MIN_PROVISIONED_MIBPS} to {EFS_MAX_PROVISIONED_MIBPS}"),
            format!("Set provisioned_throughput_mibps between {EFS_MIN_PROVISIONED_MIBPS} and {EFS_MAX_PROVISIONED_MIBPS}."),
        ),
        (mode, Some(_)) if mode != "provisioned" && throughput_known => errors.push(
            at("provisioned_throughput_mibps"),
            format!("provisioned_throughput_mibps is set but throughput_mode is {mode:?}"),
            "Remove provisioned_throughput_mibps, or set throughput_mode = \"provisioned\".",
        ),
        _ => {}
    }
}
