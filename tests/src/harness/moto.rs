//! A private moto server per test: started on a free loopback port, reset on demand, and
//! stopped when the handle drops.
//!
//! Moto runs inside the project's venv (`.tools/venv`, installed by `scripts/bootstrap`) under a
//! tiny watchdog: the server exits as soon as its stdin closes. Our end of that pipe lives in
//! the [`Moto`] handle, so the server dies with the handle on Drop *and* with the test process
//! when that process is killed outright (SIGKILL, a CI timeout): no orphan servers either way.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::workspace_root;

/// How long a fresh server may take to answer (a cold Python import of moto takes ~1-2 s).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts at finding a port: another test may grab the free port we picked before moto binds.
const START_ATTEMPTS: usize = 3;
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `moto.server.main` with a thread that ends the process once stdin reaches EOF.
const WATCHDOG: &str = "\
import os, sys, threading
def _exit_when_parent_goes():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
";

#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error("moto is not installed at {0}: run ./scripts/bootstrap first")]
    NotInstalled(PathBuf),
    #[error("could not {action} moto: {source}")]
    Io {
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("moto on port {port} exited before answering (status {status}); log: {log}")]
    ExitedEarly {
        port: u16,
        status: String,
        log: PathBuf,
    },
    #[error("moto on port {port} did not answer within {timeout:?}; log: {log}")]
    NotReady {
        port: u16,
        timeout: Duration,
        log: PathBuf,
    },
    #[error("moto {method} {path} answered HTTP {status}")]
    Http {
        method: &'static str,
        path: &'static str,
        status: u16,
    },
}

/// A running moto server, owned by one test.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    /// Closing this pipe is what stops the server (see the module docs).
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    log: PathBuf,
}

impl Moto {
    /// Start a server on a free loopback port and wait until it answers. Blocking (~1-2 s);
    /// from async code prefer [`Moto::start_async`].
    pub fn start() -> Result<Moto, MotoError> {
        let launcher = Launcher::find()?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            match launcher.launch() {
                Ok(moto) => return Ok(moto),
                // Lost the port race: try another port.
                Err(err @ MotoError::ExitedEarly { .. }) => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or(MotoError::NotInstalled(launcher.program)))
    }

    /// [`Moto::start`] on tokio's blocking pool.
    pub async fn start_async() -> Result<Moto, MotoError> {
        tokio::task::spawn_blocking(Moto::start)
            .await
            .map_err(|join| MotoError::Io {
                action: "start",
                source: std::io::Error::other(join.to_string()),
            })?
    }

    /// `http://127.0.0.1:PORT`: the one endpoint for every AWS service.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The server's own log (every request it served) under `target/e2e/moto-logs/`; removed
    /// when the handle drops, unless the test is failing (or `E2E_KEEP_DIRS` is set).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Forget every AWS object (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<(), MotoError> {
        let status = http_status(self.addr, "POST", "/moto-api/reset")?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(MotoError::Http {
                method: "POST",
                path: "/moto-api/reset",
                status,
            })
        }
    }

    /// Environment for a process that should talk to this server (the AWS CLI chain, the
    /// provider, Terraform): fake credentials, region `us-east-1`, and the endpoint.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_SESSION_TOKEN", "testing".to_string()),
            ("AWS_REGION", crate::REGION.to_string()),
            ("AWS_DEFAULT_REGION", crate::REGION.to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // EOF on stdin makes the watchdog exit the server; kill covers a wedged one.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut exited = false;
        while !exited && Instant::now() < deadline {
            exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if !exited {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // A failing test keeps the server's log (every request it served) for a look.
        if !std::thread::panicking() && std::env::var_os("E2E_KEEP_DIRS").is_none() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// How to run moto: the venv's Python with the watchdog, or (when only a `moto_server`
/// executable is available, e.g. `MOTO_SERVER=/path`) that executable as is.
struct Launcher {
    program: PathBuf,
    with_watchdog: bool,
    log_dir: PathBuf,
}

impl Launcher {
    fn find() -> Result<Launcher, MotoError> {
        let root = workspace_root();
        let log_dir = root.join("target").join("e2e").join("moto-logs");
        if let Some(explicit) = std::env::var_os("MOTO_SERVER") {
            return Ok(Launcher {
                program: PathBuf::from(explicit),
                with_watchdog: false,
                log_dir,
            });
        }
        let python = root.join(".tools").join("venv").join("bin").join("python3");
        if python.is_file() {
            return Ok(Launcher {
                program: python,
                with_watchdog: true,
                log_dir,
            });
        }
        let server = root.join(".tools").join("bin").join("moto_server");
        if server.is_file() {
            return Ok(Launcher {
                program: server,
                with_watchdog: false,
                log_dir,
            });
        }
        Err(MotoError::NotInstalled(server))
    }

    fn launch(&self) -> Result<Moto, MotoError> {
        let port = free_loopback_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        std::fs::create_dir_all(&self.log_dir).map_err(|source| MotoError::Io {
            action: "create the log dir of",
            source,
        })?;
        let log = self.log_dir.join(format!("moto-{port}.log"));
        let log_file = File::create(&log).map_err(|source| MotoError::Io {
            action: "create the log of",
            source,
        })?;
        let log_file_err = log_file.try_clone().map_err(|source| MotoError::Io {
            action: "open the log of",
            source,
        })?;
        let mut command = Command::new(&self.program);
        if self.with_watchdog {
            command.arg("-c").arg(WATCHDOG);
        }
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // A requested certificate is ISSUED at once, as a DNS-validated one in a zone the
            // account owns is within minutes on AWS: plans check that it is issued.
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_file_err);
        let mut child = command.spawn().map_err(|source| MotoError::Io {
            action: "spawn",
            source,
        })?;
        let stdin = child.stdin.take();
        let mut moto = Moto {
            child,
            stdin,
            addr,
            log,
        };
        moto.wait_until_ready()?;
        Ok(moto)
    }
}

impl Moto {
    fn wait_until_ready(&mut self) -> Result<(), MotoError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(MotoError::ExitedEarly {
                    port: self.port(),
                    status: status.to_string(),
                    log: self.log.clone(),
                });
            }
            if matches!(http_status(self.addr, "GET", "/moto-api/"), Ok(200)) {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(MotoError::NotReady {
                    port: self.port(),
                    timeout: READY_TIMEOUT,
                    log: self.log.clone(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A port the OS reports free right now (it may be taken again before moto binds it).
fn free_loopback_port() -> Result<u16, MotoError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|source| MotoError::Io {
        action: "find a free port for",
        source,
    })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|source| MotoError::Io {
            action: "find a free port for",
            source,
        })
}

/// A bodiless HTTP/1.0 request; returns the status code. Enough for moto's control API and
/// keeps this crate free of an HTTP client.
fn http_status(
    addr: SocketAddr,
    method: &'static str,
    path: &'static str,
) -> Result<u16, MotoError> {
    let io = |source| MotoError::Io {
        action: "talk to",
        source,
    };
    let mut stream = TcpStream::connect_timeout(&addr, HTTP_TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(HTTP_TIMEOUT)).map_err(io)?;
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(io)?;
    parse_status_line(&response).ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "response without an HTTP status line",
        ))
    })
}

/// `HTTP/1.1 200 OK…` → 200.
fn parse_status_line(response: &[u8]) -> Option<u16> {
    let head = &response[..response.len().min(64)];
    let text = String::from_utf8_lossy(head);
    let mut parts = text.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_is_parsed() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r\n\r\n"), Some(200));
        assert_eq!(parse_status_line(b"HTTP/1.0 404 NOT FOUND\r\n"), Some(404));
        assert_eq!(parse_status_line(b"garbage"), None);
        assert_eq!(parse_status_line(b""), None);
    }

    #[test]
    fn server_starts_answers_resets_and_stops_on_drop() {
        let moto = Moto::start().expect("moto starts");
        assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
        moto.reset().expect("reset answers");
        let addr = moto.addr;
        drop(moto);
        // Stopped: nothing listens on its port any more.
        assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
    }

    #[test]
    fn two_servers_run_side_by_side() {
        let a = Moto::start().expect("first moto");
        let b = Moto::start().expect("second moto");
        assert_ne!(a.port(), b.port());
        a.reset().expect("first answers");
        b.reset().expect("second answers");
    }
}
