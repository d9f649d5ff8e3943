//! The machine and the versions a run measured, for the report's method section.

use std::path::Path;
use std::process::Command;

/// `(what, value)` pairs, in the order printed.
pub fn describe(root: &Path, provider: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("CPU", cpu_model().unwrap_or_else(unknown)),
        ("cores", cores()),
        ("memory", memory().unwrap_or_else(unknown)),
        (
            "load average (1/5/15 min) at the end",
            load_average().unwrap_or_else(unknown),
        ),
        (
            "kernel",
            first_line("uname", &["-sr"]).unwrap_or_else(unknown),
        ),
        (
            "date (UTC)",
            first_line("date", &["-u", "+%Y-%m-%d %H:%M"]).unwrap_or_else(unknown),
        ),
        (
            "rustc",
            first_line("rustc", &["--version"]).unwrap_or_else(unknown),
        ),
        (
            "Terraform",
            first_line(
                &root.join(".tools/bin/terraform").display().to_string(),
                &["version"],
            )
            .unwrap_or_else(unknown),
        ),
        ("moto", moto_version(root).unwrap_or_else(unknown)),
        (
            "provider",
            first_line(&provider.display().to_string(), &["version"]).unwrap_or_else(unknown),
        ),
    ]
}

fn unknown() -> String {
    "unknown".to_string()
}

fn cores() -> String {
    std::thread::available_parallelism()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| unknown())
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
}

fn memory() -> Option<String> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: f64 = info
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(format!("{:.1} GiB", kib / (1024.0 * 1024.0)))
}

/// Other work on a shared machine skews timings: the report says how busy it was.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(" / "))
}

fn moto_version(root: &Path) -> Option<String> {
    let python = root.join(".tools/venv/bin/python3");
    first_line(
        &python.display().to_string(),
        &["-c", "import moto; print(moto.__version__)"],
    )
}

/// First line of a command's stdout, if it ran and succeeded.
fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(|line| line.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_is_unknown_not_an_error() {
        assert_eq!(first_line("/nonexistent/program", &[]), None);
        assert_eq!(first_line("echo", &["one"]), Some("one".to_string()));
        assert_ne!(cores(), "0");
    }
}
