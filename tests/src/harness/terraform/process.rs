//! A Terraform command running in its own process group, and the signals that stop it or the
//! provider it launched.

use std::io::Read;
use std::process::{Child, Command, ExitStatus};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::TfOutput;

/// A Terraform command still running.
#[derive(Debug)]
pub struct RunningCommand {
    child: Child,
    args: Vec<String>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl RunningCommand {
    /// Collect the output of `child`, started with piped stdout and stderr.
    pub(super) fn new(mut child: Child, args: Vec<String>) -> RunningCommand {
        RunningCommand {
            stdout: drain(child.stdout.take()),
            stderr: drain(child.stderr.take()),
            child,
            args,
        }
    }

    /// Whether it has exited.
    pub fn finished(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Wait for it to exit, killing it (and its provider) after `timeout`.
    pub fn wait(mut self, timeout: Duration) -> TfOutput {
        let started = Instant::now();
        let (status, timed_out) = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break (Some(status), false),
                Ok(None) if started.elapsed() > timeout => {
                    kill_group(&mut self.child);
                    break (self.child.wait().ok(), true);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(25)),
                Err(_) => break (self.child.wait().ok(), false),
            }
        };
        self.output(status, timed_out)
    }

    /// The pid of the provider plugin this Terraform process launched, if it is running now.
    /// Terraform 1.0 re-executes itself under panicwrap, so the provider is a grandchild of
    /// the process we started, and a child named `terraform` must not match.
    pub fn provider_pid(&self) -> Option<u32> {
        let mut parents = vec![self.child.id()];
        while let Some(parent) = parents.pop() {
            for (pid, name) in child_processes(parent) {
                if is_provider_comm(&name) {
                    return Some(pid);
                }
                parents.push(pid);
            }
        }
        None
    }

    /// Wait up to `timeout` for Terraform to launch the provider; its pid.
    pub fn wait_for_provider(&mut self, timeout: Duration) -> Option<u32> {
        let started = Instant::now();
        while started.elapsed() < timeout && !self.finished() {
            if let Some(pid) = self.provider_pid() {
                return Some(pid);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// SIGKILL only the provider (Terraform lives on and reports the plugin's crash); whether a
    /// provider was running to be killed.
    pub fn kill_provider(&self) -> bool {
        self.provider_pid()
            .is_some_and(|pid| send_signal("-KILL", &pid.to_string()))
    }

    /// Ctrl-C in a terminal: SIGINT to Terraform and its provider (the provider ignores it;
    /// Terraform answers with StopProvider and waits for the apply to return).
    pub fn interrupt(&self) -> bool {
        send_signal("-INT", &format!("-{}", self.child.id()))
    }

    /// SIGKILL Terraform and its provider at once, as a crash or a lost CI runner would.
    pub fn kill(mut self) -> TfOutput {
        kill_group(&mut self.child);
        let status = self.child.wait().ok();
        self.output(status, false)
    }

    fn output(self, status: Option<ExitStatus>, timed_out: bool) -> TfOutput {
        TfOutput {
            args: self.args,
            code: status.as_ref().and_then(ExitStatus::code),
            stdout: join_text(self.stdout),
            stderr: join_text(self.stderr),
            timed_out,
        }
    }
}

/// The provider binary's name; the kernel keeps its first 15 bytes as the `comm`.
const PROVIDER_COMM: &str = "terraform-provider-wordpress";

fn is_provider_comm(comm: &str) -> bool {
    comm == &PROVIDER_COMM[..PROVIDER_COMM.len().min(15)]
}

/// Kill Terraform's whole process group (it leads it: `process_group(0)`).
fn kill_group(child: &mut Child) {
    if !send_signal("-KILL", &format!("-{}", child.id())) {
        let _ = child.kill();
    }
}

/// `kill <signal> -- <target>` (a pid, or `-pgid` for a whole group).
fn send_signal(signal: &str, target: &str) -> bool {
    Command::new("kill")
        .args([signal, "--", target])
        .status()
        .is_ok_and(|s| s.success())
}

/// `(pid, comm)` of every live process whose parent is `parent`, read from `/proc`.
fn child_processes(parent: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (comm, ppid) = parse_stat(&stat)?;
            (ppid == parent).then_some((pid, comm))
        })
        .collect()
}

/// `comm` and parent pid from a `/proc/<pid>/stat` line: `pid (comm) state ppid ...`; comm may
/// hold spaces and parentheses, so split at the last `)`.
fn parse_stat(stat: &str) -> Option<(String, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> Option<JoinHandle<String>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    })
}

fn join_text(reader: Option<JoinHandle<String>>) -> String {
    reader
        .and_then(|handle| handle.join().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_provider_name_matches_the_provider() {
        assert!(is_provider_comm("terraform-provi"));
        assert!(!is_provider_comm("terraform"));
        assert!(!is_provider_comm(""));
    }

    #[test]
    fn stat_lines_give_comm_and_parent() {
        let line = "4242 (terraform-provi) S 4200 4200 4200 0 -1 4194560 1 0";
        assert_eq!(
            parse_stat(line),
            Some(("terraform-provi".to_string(), 4200))
        );
        assert_eq!(
            parse_stat("7 (a (b) c) R 1 7 7"),
            Some(("a (b) c".to_string(), 1))
        );
        assert_eq!(parse_stat("garbage"), None);
    }
}
