//! terraform-provider-wordpress: started by Terraform as a go-plugin, never by hand.

use std::process::ExitCode;
use std::sync::Arc;

use tfprovider::stack::WordpressProvider;

#[tokio::main]
async fn main() -> ExitCode {
    tfprovider::run(Arc::new(WordpressProvider::new())).await
}
