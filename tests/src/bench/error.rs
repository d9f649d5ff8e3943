//! What can stop the benchmark runner.

use std::path::PathBuf;

use stack_tests::harness::terraform::{HarnessError, TfOutput};
use stack_tests::MotoError;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("`{command}` failed: {status}")]
    Command { command: String, status: String },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Moto(#[from] MotoError),
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error("fault proxy: {0}")]
    Proxy(#[from] aws_fault_proxy::ProxyError),
    #[error("fault proxy timings: {0}")]
    ProxyConfig(#[from] aws_fault_proxy::config::ConfigError),
    #[error("scenario {scenario}: terraform failed\n{output}")]
    Terraform {
        scenario: &'static str,
        output: Box<TfOutput>,
    },
    #[error("scenario {scenario}: {message}")]
    Unexpected {
        scenario: &'static str,
        message: String,
    },
    #[error("AWS {service} {operation} against moto failed: {message}")]
    Aws {
        service: &'static str,
        operation: &'static str,
        message: String,
    },
    #[error("the provider's handshake: {0}")]
    Handshake(String),
}

impl BenchError {
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BenchError::Io {
            action,
            path,
            source,
        }
    }

    /// Fails `scenario` unless Terraform exited with `expected_code`.
    pub fn check_exit(
        scenario: &'static str,
        output: TfOutput,
        expected_code: i32,
    ) -> Result<TfOutput, BenchError> {
        if output.code == Some(expected_code) {
            Ok(output)
        } else {
            Err(BenchError::Terraform {
                scenario,
                output: Box::new(output),
            })
        }
    }
}

pub type Result<T, E = BenchError> = std::result::Result<T, E>;
