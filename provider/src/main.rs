//! terraform-provider-wordpress: Terraform starts it as a go-plugin; run by a person it offers
//! `docs`, `diagram` and `version` (see `tfprovider::cli`).

use std::process::ExitCode;
use std::sync::Arc;

use tfprovider::aws_engine::AwsConnector;
use wp_resource::stack::WordpressProvider;

/// The provider waits on Terraform and AWS, hardly ever on the CPU: two workers serve any
/// number of stacks, and keep threads (and memory) few on machines with many cores.
const WORKER_THREADS: usize = 2;
/// Threads for blocking work (the SDK's DNS lookups): a handful is plenty.
const MAX_BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    if tfprovider::cli::launched_by_terraform() {
        serve()
    } else {
        tfprovider::cli::run_for_people(std::env::args_os())
    }
}

/// Serve Terraform. Before the handshake line only the runtime, the listener and the
/// server certificate are set up; AWS configuration waits for ConfigureProvider.
fn serve() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => {
            let provider = WordpressProvider::new(Arc::new(AwsConnector));
            runtime.block_on(tfplugin::run(Arc::new(provider), &tfprovider::IDENTITY))
        }
        Err(error) => {
            eprintln!("could not start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}
