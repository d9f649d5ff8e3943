//! What an end-to-end test drives: moto and the Terraform CLI.

pub mod moto;
pub mod terraform;
