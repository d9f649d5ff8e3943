//! The plugin process: go-plugin's handshake, the gRPC server and its lifecycle.
//!
//! [`run`] is what a provider's `main` calls, with its [`ProviderIdentity`]. It checks the magic cookie (a person running the binary
//! gets a friendly message; `main` exits 1), negotiates protocol 6, listens on 127.0.0.1
//! inside `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`, serves AutoMTLS when Terraform passes
//! `PLUGIN_CLIENT_CERT` (plain TCP with `TF_DISABLE_PLUGIN_TLS` or no certificate), prints
//! `1|6|tcp|127.0.0.1:PORT|grpc|CERT` as the only line ever written to stdout, ignores
//! SIGINT (Terraform sends StopProvider instead) and returns when Terraform calls
//! `GRPCController.Shutdown` or closes its last connection.
//!
//! Services: `tfplugin6.Provider`, `plugin.GRPCController`, `grpc.health.v1.Health`
//! (service `plugin` SERVING). Messages up to 256 MiB either way.
//!
//! Tests use [`start`] with explicit [`ServeOptions`] to run a server in-process.

use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::plugin::Empty;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::service::{ProviderBackend, ProviderService};
use crate::tls::{self, TlsError};
use crate::ProviderIdentity;

/// The cookie go-plugin hosts (Terraform, OpenTofu) set so a provider knows it was launched
/// as a plugin.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The one plugin protocol version served.
pub const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's core protocol version, the handshake line's first field.
const CORE_PROTOCOL_VERSION: u32 = 1;
/// Go providers accept 256 MiB messages; tonic's default is 4 MiB.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;
/// How long a graceful shutdown may wait for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the provider could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin. It is not meant to be executed directly.\n\
         Terraform runs it: install it as a provider and run `terraform plan` or \
         `terraform apply`."
    )]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks \
         only version {PROTOCOL_VERSION}. Use Terraform 1.0 or newer."
    )]
    UnsupportedProtocol { offered: String },
    #[error("invalid {variable} {value:?}: expected a port number")]
    InvalidPort {
        variable: &'static str,
        value: String,
    },
    #[error("no free TCP port on 127.0.0.1 between {min} and {max}")]
    NoFreePort { min: u16, max: u16 },
    #[error("TLS setup failed: {0}")]
    Tls(#[from] TlsError),
    #[error("could not write the handshake line to stdout: {0}")]
    Handshake(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("server task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// How to run, normally read from the environment Terraform sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    pub magic_cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`, e.g. "5,6".
    pub protocol_versions: Option<String>,
    pub min_port: u16,
    pub max_port: u16,
    /// `PLUGIN_CLIENT_CERT`; `None` (or `tls_disabled`) serves plain TCP.
    pub client_cert_pem: Option<String>,
    pub tls_disabled: bool,
    /// Stop when the last connection closes (the host went away without Shutdown).
    pub exit_when_idle: bool,
}

impl ServeOptions {
    pub fn from_env() -> Result<ServeOptions, ServeError> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Ok(ServeOptions {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            min_port: port_from(var("PLUGIN_MIN_PORT"), "PLUGIN_MIN_PORT", 10000)?,
            max_port: port_from(var("PLUGIN_MAX_PORT"), "PLUGIN_MAX_PORT", 25000)?,
            client_cert_pem: var("PLUGIN_CLIENT_CERT"),
            tls_disabled: var("TF_DISABLE_PLUGIN_TLS").is_some(),
            exit_when_idle: true,
        })
    }

    /// Options for an in-process server as Terraform would launch it (tests).
    pub fn for_tests(client_cert_pem: Option<String>) -> ServeOptions {
        ServeOptions {
            magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
            protocol_versions: Some("5,6".to_string()),
            min_port: 10000,
            max_port: 25000,
            client_cert_pem,
            tls_disabled: false,
            exit_when_idle: false,
        }
    }
}

fn port_from(
    value: Option<String>,
    variable: &'static str,
    default: u16,
) -> Result<u16, ServeError> {
    match value {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| ServeError::InvalidPort {
            variable,
            value: text,
        }),
    }
}

/// Picks the protocol version from what the host offers ("5,6"); unset means ours.
pub fn negotiate_protocol(offered: Option<&str>) -> Result<u32, ServeError> {
    let Some(offered) = offered else {
        return Ok(PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .filter_map(|version| version.trim().parse::<u32>().ok())
        .any(|version| version == PROTOCOL_VERSION);
    if speaks_ours {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(ServeError::UnsupportedProtocol {
            offered: offered.to_string(),
        })
    }
}

/// What the handshake line announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub address: SocketAddr,
    pub protocol_version: u32,
    /// DER of the server certificate when serving TLS.
    pub server_cert_der: Option<Vec<u8>>,
}

impl Handshake {
    /// `1|6|tcp|127.0.0.1:PORT|grpc|CERT`, CERT being unpadded standard base64 of the DER
    /// (empty without TLS).
    pub fn line(&self) -> String {
        let cert = self
            .server_cert_der
            .as_deref()
            .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
            .unwrap_or_default();
        format!(
            "{CORE_PROTOCOL_VERSION}|{}|tcp|{}|grpc|{cert}",
            self.protocol_version, self.address
        )
    }
}

/// A server running in the background.
pub struct RunningServer {
    pub handshake: Handshake,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// Asks the server to stop, as GRPCController.Shutdown does.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the server has stopped.
    pub async fn wait(self) -> Result<(), ServeError> {
        self.task.await?
    }
}

/// Serves the provider for Terraform: the whole plugin lifecycle, reading the environment.
/// Returns when Terraform is done with the provider.
pub async fn serve(
    backend: Arc<dyn ProviderBackend>,
    identity: &ProviderIdentity,
) -> Result<(), ServeError> {
    let options = ServeOptions::from_env()?;
    let server = start(options, backend).await?;
    ignore_interrupts();
    write_handshake_line(&server.handshake)?;
    tracing::info!(
        version = identity.version,
        protocol = server.handshake.protocol_version,
        address = %server.handshake.address,
        "{} serving",
        identity.name
    );
    server.wait().await
}

/// The entry point for `main`: panic hook, logging, [`serve`]; prints the error (e.g. the
/// friendly "not meant to be executed directly") and returns exit code 1 on failure.
pub async fn run(
    backend: Arc<dyn ProviderBackend>,
    identity: &ProviderIdentity,
) -> std::process::ExitCode {
    install_panic_hook();
    crate::logging::init(identity);
    match serve(backend, identity).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Checks the launch, binds and starts serving; nothing is printed.
pub async fn start(
    options: ServeOptions,
    backend: Arc<dyn ProviderBackend>,
) -> Result<RunningServer, ServeError> {
    if options.magic_cookie.as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotLaunchedByTerraform);
    }
    let protocol_version = negotiate_protocol(options.protocol_versions.as_deref())?;
    let tls = match (&options.client_cert_pem, options.tls_disabled) {
        (Some(pem), false) => Some(tls::server_tls(pem)?),
        _ => None,
    };
    let listener = bind_in_range(options.min_port, options.max_port).await?;
    let address = listener.local_addr().map_err(|_| ServeError::NoFreePort {
        min: options.min_port,
        max: options.max_port,
    })?;
    let shutdown = CancellationToken::new();
    let handshake = Handshake {
        address,
        protocol_version,
        server_cert_der: tls.as_ref().map(|tls| tls.certificate_der.clone()),
    };
    let incoming = accept_connections(
        listener,
        tls.map(|tls| TlsAcceptor::from(tls.config)),
        ConnectionTracker::new(shutdown.clone(), options.exit_when_idle),
        shutdown.clone(),
    );
    let task = tokio::spawn(run_grpc(backend, incoming, shutdown.clone()));
    Ok(RunningServer {
        handshake,
        shutdown,
        task,
    })
}

async fn bind_in_range(min: u16, max: u16) -> Result<TcpListener, ServeError> {
    for port in min..=max {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return Ok(listener);
        }
    }
    Err(ServeError::NoFreePort { min, max })
}

fn write_handshake_line(handshake: &Handshake) -> Result<(), ServeError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", handshake.line()).map_err(ServeError::Handshake)?;
    stdout.flush().map_err(ServeError::Handshake)
}

/// Go plugins ignore SIGINT: Terraform forwards Ctrl-C as StopProvider and decides itself
/// when we exit. Registering a handler replaces the default "terminate" action.
fn ignore_interrupts() {
    let Ok(mut interrupts) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
    else {
        tracing::warn!("could not install the SIGINT handler");
        return;
    };
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            tracing::debug!("ignoring SIGINT; Terraform sends StopProvider instead");
        }
    });
}

/// Prints Rust panics as `panic: ...` on stderr: the prefix Terraform looks for to report
/// a provider crash.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        eprintln!("panic: {info}\n\n{backtrace}");
    }));
}

async fn run_grpc(
    backend: Arc<dyn ProviderBackend>,
    incoming: ReceiverStream<Result<Connection, std::io::Error>>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let provider = ProviderServer::new(ProviderService::new(backend))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let controller = GrpcControllerServer::new(Controller {
        shutdown: shutdown.clone(),
    });
    let server = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(provider)
        .add_service(controller)
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result.map_err(ServeError::from),
        () = shutdown.cancelled() => {}
    }
    // Shutting down: let in-flight calls finish, but don't hang on a host that keeps its
    // connection open.
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(result) => result.map_err(ServeError::from),
        Err(_) => {
            tracing::debug!("connections still open after shutdown grace period; exiting");
            Ok(())
        }
    }
}

/// go-plugin's controller: the host asks us to exit.
struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: tonic::Request<Empty>,
    ) -> Result<tonic::Response<Empty>, tonic::Status> {
        tracing::debug!("shutdown requested by the plugin host");
        self.shutdown.cancel();
        Ok(tonic::Response::new(Empty {}))
    }
}

/// Accepts TCP connections (TLS handshakes run concurrently, so a slow client never blocks
/// another) and hands them to tonic.
fn accept_connections(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    tracker: ConnectionTracker,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<Connection, std::io::Error>> {
    let (sender, receiver) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = shutdown.cancelled() => return,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(establish(
                        stream,
                        peer,
                        tls.clone(),
                        tracker.clone(),
                        sender.clone(),
                    ));
                }
                Err(err) => tracing::warn!(error = %err, "accepting a connection failed"),
            }
        }
    });
    ReceiverStream::new(receiver)
}

async fn establish(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    tracker: ConnectionTracker,
    sender: mpsc::Sender<Result<Connection, std::io::Error>>,
) {
    let io = match tls {
        None => ConnectionIo::Plain(stream),
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(tls_stream) => ConnectionIo::Tls(Box::new(tls_stream)),
            Err(err) => {
                tracing::warn!(error = %err, %peer, "TLS handshake with the plugin host failed");
                return;
            }
        },
    };
    // Counted only once established: a failed handshake must not look like the host
    // leaving.
    let connection = Connection {
        io,
        peer,
        _guard: tracker.track(),
    };
    let _ = sender.send(Ok(connection)).await;
}

/// Counts open connections; when the last one closes (and idle exit is on) the server
/// stops, so a provider whose host died never lingers.
#[derive(Clone)]
struct ConnectionTracker {
    open: Arc<AtomicUsize>,
    shutdown: CancellationToken,
    exit_when_idle: bool,
}

impl ConnectionTracker {
    fn new(shutdown: CancellationToken, exit_when_idle: bool) -> Self {
        ConnectionTracker {
            open: Arc::new(AtomicUsize::new(0)),
            shutdown,
            exit_when_idle,
        }
    }

    fn track(&self) -> ConnectionGuard {
        self.open.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard {
            tracker: self.clone(),
        }
    }
}

struct ConnectionGuard {
    tracker: ConnectionTracker,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let still_open = self.tracker.open.fetch_sub(1, Ordering::SeqCst) - 1;
        if still_open == 0 && self.tracker.exit_when_idle {
            tracing::debug!("the plugin host closed its last connection; stopping");
            self.tracker.shutdown.cancel();
        }
    }
}

enum ConnectionIo {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// One accepted connection, plain or TLS, as tonic consumes it.
struct Connection {
    io: ConnectionIo,
    peer: SocketAddr,
    _guard: ConnectionGuard,
}

impl Connected for Connection {
    type ConnectInfo = SocketAddr;

    fn connect_info(&self) -> SocketAddr {
        self.peer
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match &mut self.get_mut().io {
            ConnectionIo::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            ConnectionIo::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.get_mut().io {
            ConnectionIo::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            ConnectionIo::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.get_mut().io {
            ConnectionIo::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            ConnectionIo::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            ConnectionIo::Plain(stream) => stream.is_write_vectored(),
            ConnectionIo::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.get_mut().io {
            ConnectionIo::Plain(stream) => Pin::new(stream).poll_flush(cx),
            ConnectionIo::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.get_mut().io {
            ConnectionIo::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            ConnectionIo::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_picks_6_or_refuses() {
        assert_eq!(negotiate_protocol(Some("5,6")).ok(), Some(6));
        assert_eq!(negotiate_protocol(Some(" 6 ")).ok(), Some(6));
        assert_eq!(negotiate_protocol(None).ok(), Some(6));
        assert!(matches!(
            negotiate_protocol(Some("4,5")),
            Err(ServeError::UnsupportedProtocol { .. })
        ));
    }

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_cert() {
        let handshake = Handshake {
            address: "127.0.0.1:12345".parse().expect("address"),
            protocol_version: 6,
            server_cert_der: Some(vec![1, 2, 3, 4]),
        };
        assert_eq!(handshake.line(), "1|6|tcp|127.0.0.1:12345|grpc|AQIDBA");
        let plain = Handshake {
            server_cert_der: None,
            ..handshake
        };
        assert_eq!(plain.line(), "1|6|tcp|127.0.0.1:12345|grpc|");
    }

    #[test]
    fn ports_parse_or_fail_clearly() {
        assert_eq!(port_from(None, "PLUGIN_MIN_PORT", 10000).ok(), Some(10000));
        assert_eq!(port_from(Some("12000".into()), "X", 1).ok(), Some(12000));
        assert!(port_from(Some("lots".into()), "X", 1).is_err());
    }
}
