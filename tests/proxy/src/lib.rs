//! A fault-injecting AWS proxy for tests and benchmarks.
//!
//! It sits on loopback between the AWS SDK (`endpoint_url` = the proxy) and a moto server and
//! makes moto behave more like AWS: per-call latency; throttling, 5xx and dropped connections
//! (before or after moto executed the call) for a seeded share of calls; NotFound right after
//! a create; DependencyViolation on deletes; objects held in their pending states. It counts
//! every call by service and operation.
//!
//! Modules, one per concern: [`identify`] (which service and operation), [`faults`] (seeded
//! random faults and latency), [`consistency`], [`dependency`], [`pending`], [`presets`] (AWS
//! behaviours moto lacks, switched on per config section), [`aws_errors`] (each protocol's
//! error shape), `control` (the `/_proxy/` API), `server` (HTTP plumbing).
//!
//! ```no_run
//! use aws_fault_proxy::{FaultConfig, FaultProxy};
//! let mut config = FaultConfig::default();
//! config.seed = 7;
//! config.faults.throttle = 0.1;
//! let proxy = FaultProxy::start("http://127.0.0.1:5000", config)?;
//! let endpoint = proxy.endpoint(); // give this to the SDK as endpoint_url
//! # let _ = endpoint;
//! println!("{} calls", proxy.stats().total_calls());
//! # Ok::<(), aws_fault_proxy::ProxyError>(())
//! ```

pub mod aws_errors;
pub mod config;
pub mod consistency;
mod control;
pub mod dependency;
pub mod faults;
pub mod identify;
pub mod objects;
pub mod pending;
pub mod presets;
mod run_state;
mod server;
pub mod stats;
mod xml;

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{
    ConsistencyConfig, DependencyConfig, EfsUpdateConfig, FaultConfig, IamPropagationConfig,
    InstanceRefreshConfig, InstancesConfig, LatencyConfig, LaunchFailuresConfig, PendingConfig,
    QuotasConfig, RandomFaults, RdsStatesConfig, RefreshOutcome,
};
pub use faults::FaultKind;
pub use presets::refresh::RefreshRecord;
pub use stats::{FaultEvent, Stats};

use run_state::Shared;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("upstream {0:?} is not an http://host:port URL")]
    BadUpstream(String),
    #[error("could not start the proxy: {0}")]
    Start(#[source] std::io::Error),
    #[error("the proxy thread stopped before it was listening")]
    StartAborted,
    #[error("could not read the request: {0}")]
    ReadRequest(#[source] hyper::Error),
    #[error("could not reach moto: {0}")]
    Upstream(#[source] std::io::Error),
    #[error("moto's HTTP exchange failed: {0}")]
    UpstreamHttp(#[source] hyper::Error),
    #[error("could not build the forwarded request: {0}")]
    Request(#[source] hyper::http::Error),
    /// Not a failure: the connection is closed on purpose.
    #[error("connection dropped by fault injection")]
    InjectedDrop,
}

/// A running proxy on `127.0.0.1:<free port>`, serving on its own thread and runtime (so it
/// works from sync and async tests alike). Stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Start a proxy in front of `upstream` (moto's `http://127.0.0.1:PORT`) on a free port.
    pub fn start(upstream: &str, config: FaultConfig) -> Result<FaultProxy, ProxyError> {
        FaultProxy::start_on(upstream, config, 0)
    }

    /// [`FaultProxy::start`] on a given port (0: any free one).
    pub fn start_on(
        upstream: &str,
        config: FaultConfig,
        port: u16,
    ) -> Result<FaultProxy, ProxyError> {
        config
            .validate()
            .map_err(|error| ProxyError::Start(std::io::Error::other(error.to_string())))?;
        let shared = Arc::new(Shared::new(upstream_authority(upstream)?, config));
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", port)).map_err(ProxyError::Start)?;
        listener.set_nonblocking(true).map_err(ProxyError::Start)?;
        let addr = listener.local_addr().map_err(ProxyError::Start)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aws-fault-proxy")
            .enable_all()
            .build()
            .map_err(ProxyError::Start)?;
        let (shutdown, stopped) = watch::channel(false);
        let (ready, registered) = std::sync::mpsc::channel();
        let serving = Arc::clone(&shared);
        // The listener joins the runtime on the proxy's own thread: `start` may be called from
        // inside another runtime, where blocking on this one is not allowed.
        let thread = std::thread::Builder::new()
            .name("aws-fault-proxy".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => {
                            let _ = ready.send(Ok(()));
                            server::serve(listener, serving, stopped).await;
                        }
                        Err(error) => {
                            let _ = ready.send(Err(error));
                        }
                    }
                })
            })
            .map_err(ProxyError::Start)?;
        match registered.recv() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(ProxyError::Start(error)),
            Err(_) => return Err(ProxyError::StartAborted),
        }
        Ok(FaultProxy {
            addr,
            shared,
            shutdown,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: the `endpoint_url` for every AWS service.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.state().stats.clone()
    }

    pub fn config(&self) -> FaultConfig {
        self.shared.state().config.clone()
    }

    /// Replace the fault configuration; the dice restart from the new seed, counters stay.
    pub fn set_config(&self, config: FaultConfig) -> Result<(), config::ConfigError> {
        config.validate()?;
        self.shared.state().set_config(config);
        Ok(())
    }

    /// Instance refreshes started through the proxy (`instance_refresh` preset), with the
    /// preferences each caller sent.
    pub fn instance_refreshes(&self) -> Vec<RefreshRecord> {
        self.shared.state().presets.instance_refreshes()
    }

    /// Forget counters, learned objects and fault history; keep the configuration.
    pub fn reset(&self) {
        self.shared.state().reset();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serve on an already bound listener until `shutdown` resolves (for the binary).
pub async fn serve_until(
    listener: TcpListener,
    upstream: &str,
    config: FaultConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ProxyError> {
    config
        .validate()
        .map_err(|error| ProxyError::Start(std::io::Error::other(error.to_string())))?;
    let shared = Arc::new(Shared::new(upstream_authority(upstream)?, config));
    let (stop, stopped) = watch::channel(false);
    let serving = tokio::spawn(server::serve(listener, shared, stopped));
    shutdown.await;
    let _ = stop.send(true);
    let _ = serving.await;
    Ok(())
}

/// `http://127.0.0.1:5000` (or `127.0.0.1:5000`) → `127.0.0.1:5000`.
fn upstream_authority(upstream: &str) -> Result<String, ProxyError> {
    let rest = upstream.strip_prefix("http://").unwrap_or(upstream);
    let authority = rest.trim_end_matches('/');
    let valid = !authority.is_empty()
        && !authority.contains('/')
        && authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if upstream.starts_with("https://") || !valid {
        return Err(ProxyError::BadUpstream(upstream.to_string()));
    }
    Ok(authority.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_must_be_plain_http_host_and_port() {
        assert_eq!(
            upstream_authority("http://127.0.0.1:5000").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(
            upstream_authority("127.0.0.1:5000/").unwrap(),
            "127.0.0.1:5000"
        );
        assert!(upstream_authority("https://127.0.0.1:5000").is_err());
        assert!(upstream_authority("http://127.0.0.1").is_err());
        assert!(upstream_authority("http://127.0.0.1:5000/path").is_err());
    }
}
