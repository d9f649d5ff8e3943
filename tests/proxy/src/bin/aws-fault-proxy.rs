//! `aws-fault-proxy --upstream http://127.0.0.1:5000 --port 5001 --config faults.json`
//!
//! Prints `listening on http://127.0.0.1:PORT` once ready, serves until SIGINT/SIGTERM.
//! The control API (`/_proxy/stats`, `/_proxy/reset`, `/_proxy/config`) is on the same port.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aws_fault_proxy::FaultConfig;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "aws-fault-proxy",
    about = "Fault-injecting proxy between the AWS SDK and moto"
)]
struct Args {
    /// Moto's endpoint, e.g. http://127.0.0.1:5000
    #[arg(long)]
    upstream: String,
    /// Loopback port to listen on (0: any free port, printed on start)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Fault configuration (JSON); without it the proxy only forwards and counts
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("aws-fault-proxy: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let config = match &args.config {
        Some(path) => FaultConfig::from_file(path).map_err(|e| e.to_string())?,
        None => FaultConfig::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .map_err(|e| format!("cannot listen on port {}: {e}", args.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on http://{addr}");
        // Scripts wait for this line; make sure it leaves the pipe buffer.
        let _ = std::io::stdout().flush();
        aws_fault_proxy::serve_until(listener, &args.upstream, config, shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
