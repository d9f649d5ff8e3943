//! Runs one Terraform command and watches it: wall time to a few milliseconds, and the peak
//! resident memory of every provider process it launched.
//!
//! Peak RSS is the kernel's high-water mark (`VmHWM` in `/proc/<pid>/status`), read every
//! [`RSS_SAMPLE_EVERY`] while the provider lives. Being a high-water mark, a late read loses
//! nothing but what the process gained in its last few milliseconds.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use stack_tests::harness::terraform::{TerraformDir, TfOutput};

use crate::error::{BenchError, Result};

/// How often the command's exit is checked: the wall time's resolution.
const EXIT_POLL: Duration = Duration::from_millis(2);
/// How often the provider's memory high-water mark is read (a `/proc` scan each time).
pub const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// A benchmarked command taking longer than this is stuck.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// One command's outcome and measurements.
#[derive(Debug)]
pub struct Observed {
    pub output: TfOutput,
    pub wall: Duration,
    /// Highest `VmHWM` of any provider process the command launched, in KiB.
    pub provider_peak_kib: Option<u64>,
}

/// Run `terraform <args>` in `tf` (common flags added as by `TerraformDir::run`).
pub fn run(tf: &TerraformDir, args: &[&str], watch_memory: bool) -> Result<Observed> {
    let started = Instant::now();
    let mut running = tf
        .spawn(args)
        .map_err(BenchError::io("start terraform in", tf.path()))?;
    let mut peaks: BTreeMap<u32, u64> = BTreeMap::new();
    let mut last_sample: Option<Instant> = None;
    let wall = loop {
        if running.finished() {
            break started.elapsed();
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            let output = running.kill();
            return Err(BenchError::Unexpected {
                scenario: "terraform",
                message: format!("{COMMAND_TIMEOUT:?} passed; killed\n{output}"),
            });
        }
        let due = last_sample.is_none_or(|at| at.elapsed() >= RSS_SAMPLE_EVERY);
        if watch_memory && due {
            sample_provider(running.provider_pid(), &mut peaks);
            last_sample = Some(Instant::now());
        }
        std::thread::sleep(EXIT_POLL);
    };
    Ok(Observed {
        output: running.wait(Duration::ZERO),
        wall,
        provider_peak_kib: peaks.values().copied().max(),
    })
}

fn sample_provider(pid: Option<u32>, peaks: &mut BTreeMap<u32, u64>) {
    let Some(pid) = pid else { return };
    if let Some(kib) = high_water_mark_kib(pid) {
        let peak = peaks.entry(pid).or_default();
        *peak = (*peak).max(kib);
    }
}

/// `VmHWM` of a live process, in KiB.
pub fn high_water_mark_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_high_water_mark_is_read_from_proc_status() {
        let status = "Name:\tterraform-provi\nVmPeak:\t  900000 kB\nVmHWM:\t   41236 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(41_236));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        let own = high_water_mark_kib(std::process::id()).expect("this process has a VmHWM");
        assert!(own > 0);
    }
}
