//! Systems Manager Parameter Store, read-only: the public parameters AWS publishes in every
//! region, such as the one naming the current Amazon Linux 2023 image of an architecture
//! (`stack_model::image::al2023_parameter`). The stack owns no parameter.

use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// The value of the parameter `name` (a `ParameterNotFound` error when there is none).
pub async fn parameter(clients: &Clients, name: &str) -> Result<String> {
    let (out, call) = clients
        .ssm
        .get_parameter()
        .name(name)
        .send()
        .with_operation(name)
        .await?;
    out.parameter()
        .and_then(|p| p.value())
        .map(str::to_string)
        .ok_or_else(|| call.refusal(name, None, "the answer carried no value"))
}
