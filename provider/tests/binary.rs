//! The built provider binary, launched as Terraform launches it (and as a person might by
//! hand). Only plugin-level behaviour is checked, so any backend wired into `main` passes.

// The AutoMTLS client the protocol crate's tests use, shared rather than copied.
#[path = "../protocol/tests/common/mtls.rs"]
#[allow(dead_code)]
mod mtls;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mtls::{announced_certificate, client_config, terraform_like_client_cert, tls_channel};
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::plugin::Empty;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::Channel;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-wordpress");

/// The plugin environment variables removed, so the host's own don't leak in.
fn bare_command() -> Command {
    let mut command = Command::new(BINARY);
    for name in [
        MAGIC_COOKIE_KEY,
        "PLUGIN_PROTOCOL_VERSIONS",
        "PLUGIN_CLIENT_CERT",
        "TF_DISABLE_PLUGIN_TLS",
        "PLUGIN_MIN_PORT",
        "PLUGIN_MAX_PORT",
        "TF_LOG",
        "TF_LOG_PROVIDER",
    ] {
        command.env_remove(name);
    }
    command
}

fn as_terraform(client_cert_pem: Option<&str>) -> Command {
    let mut command = bare_command();
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "20000")
        .env("PLUGIN_MAX_PORT", "25000");
    match client_cert_pem {
        Some(pem) => command.env("PLUGIN_CLIENT_CERT", pem),
        None => command.env("TF_DISABLE_PLUGIN_TLS", "1"),
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A launched provider; killed if a test fails half-way.
struct Plugin {
    child: Child,
    handshake: String,
}

impl Plugin {
    fn launch(mut command: Command) -> Plugin {
        let mut child = command.spawn().expect("provider binary starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let handshake = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("handshake line within 30 s");
        Plugin { child, handshake }
    }

    fn address(&self) -> std::net::SocketAddr {
        let fields: Vec<&str> = self.handshake.trim_end().split('|').collect();
        fields[3].parse().expect("host:port")
    }

    /// Waits for the process to exit on its own; returns its exit status and the rest of
    /// stdout (which must be empty).
    async fn wait_for_exit(&mut self, within: Duration) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let mut rest = String::new();
                if let Some(mut stdout) = self.child.stdout.take() {
                    let _ = stdout.read_to_string(&mut rest);
                }
                return (status, rest);
            }
            assert!(
                Instant::now() < deadline,
                "provider did not exit within {within:?}"
            );
            // Yield to the runtime: the client's connection tasks must run to close.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn plain_channel(plugin: &Plugin) -> Channel {
    Channel::from_shared(format!("http://{}", plugin.address()))
        .expect("uri")
        .connect()
        .await
        .expect("connects")
}

#[test]
fn run_by_hand_it_explains_itself_and_exits_1() {
    let output = bare_command().output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
    assert!(stderr.contains("terraform"), "{stderr}");
}

#[test]
fn a_host_without_protocol_6_is_refused() {
    let output = bare_command()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("only version 6"));
}

#[tokio::test]
async fn handshake_line_announces_tls_and_shutdown_exits_cleanly() {
    let terraform = terraform_like_client_cert();
    let mut plugin = Plugin::launch(as_terraform(Some(&terraform.pem)));
    let line = plugin.handshake.trim_end().to_string();
    assert!(plugin.handshake.ends_with('\n'));
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    assert_eq!(&fields[..3], ["1", "6", "tcp"]);
    assert_eq!(fields[4], "grpc");
    let port: u16 = plugin.address().port();
    assert!(
        (20000..=25000).contains(&port),
        "port {port} outside PLUGIN_MIN/MAX_PORT"
    );
    // The certificate parses (as a trust anchor) and is the one the server presents:
    // the mTLS connection below only succeeds if both hold.
    let config = client_config(
        announced_certificate(&line),
        Some((terraform.der.clone(), terraform.key.clone_key())),
        rustls::DEFAULT_VERSIONS,
    );
    let channel = tls_channel(plugin.address(), config).await.expect("mTLS");
    let metadata = ProviderClient::new(channel.clone())
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    assert!(
        metadata
            .server_capabilities
            .expect("capabilities")
            .plan_destroy
    );
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let (status, rest) = plugin.wait_for_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");
    assert_eq!(rest, "", "nothing but the handshake line on stdout");
}

#[tokio::test]
async fn plain_tcp_when_tls_is_disabled_and_exit_when_the_host_disconnects() {
    let mut plugin = Plugin::launch(as_terraform(None));
    let fields: Vec<String> = plugin
        .handshake
        .trim_end()
        .split('|')
        .map(String::from)
        .collect();
    assert_eq!(fields.len(), 6);
    assert_eq!(fields[5], "", "no certificate without TLS");
    let channel = plain_channel(&plugin).await;
    ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema");
    drop(channel);
    let (status, rest) = plugin.wait_for_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");
    assert_eq!(rest, "");
}

#[tokio::test]
async fn sigint_is_ignored() {
    let mut plugin = Plugin::launch(as_terraform(None));
    let pid = plugin.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(plugin.is_running(), "SIGINT must not stop the provider");
    let channel = plain_channel(&plugin).await;
    ProviderClient::new(channel.clone())
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("still serving after SIGINT");
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let (status, _) = plugin.wait_for_exit(Duration::from_secs(10)).await;
    assert!(status.success());
}

#[tokio::test]
async fn logs_are_hclog_json_on_stderr_when_tf_log_is_set() {
    let mut command = as_terraform(None);
    command.env("TF_LOG_PROVIDER", "DEBUG");
    let mut plugin = Plugin::launch(command);
    let channel = plain_channel(&plugin).await;
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    plugin.wait_for_exit(Duration::from_secs(10)).await;
    let mut stderr = String::new();
    plugin
        .child
        .stderr
        .take()
        .expect("stderr piped")
        .read_to_string(&mut stderr)
        .expect("stderr readable");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty(), "debug logging produced nothing");
    let version_reported = lines.iter().any(|line| {
        serde_json::from_str::<serde_json::Value>(line)
            .is_ok_and(|l| l["version"] == env!("CARGO_PKG_VERSION"))
    });
    assert!(
        version_reported,
        "the start-up log line names the version:\n{stderr}"
    );
    for line in lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).expect("every stderr line is JSON");
        assert!(
            parsed["@level"].is_string() && parsed["@message"].is_string(),
            "{line}"
        );
        assert!(
            parsed["@timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{line}"
        );
        assert_eq!(parsed["@module"], tfprovider::IDENTITY.log_module);
    }
}

#[test]
fn run_by_hand_version_reports_the_cargo_version() {
    let output = bare_command().arg("version").output().expect("run");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(format!("terraform-provider-wordpress {}", env!("CARGO_PKG_VERSION")).as_str()),
        "{stdout}"
    );
    assert!(stdout.contains("plugin protocol 6.0"), "{stdout}");
}
