//! terraform-provider-wordpress: Terraform starts it as a go-plugin; run by a person it offers
//! `docs`, `diagram` and `version` (see `tfprovider::cli`).

use std::process::ExitCode;
use std::sync::Arc;

use tfprovider::stack::WordpressProvider;

fn main() -> ExitCode {
    if tfprovider::cli::launched_by_terraform() {
        serve()
    } else {
        tfprovider::cli::run_for_people(std::env::args_os())
    }
}

#[tokio::main]
async fn serve() -> ExitCode {
    tfprovider::run(Arc::new(WordpressProvider::new())).await
}
