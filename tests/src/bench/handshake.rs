//! Provider start → handshake line, as Terraform launches it: the go-plugin magic cookie, the
//! protocol versions it speaks and its own client certificate (ECDSA P-521, as Terraform's
//! AutoMTLS makes), so the provider does all its TLS set-up before printing the line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The longest a start may take before the provider is considered broken.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Variables of our own environment that would change how the provider starts.
const SCRUBBED: &[&str] = &[
    "TF_LOG",
    "TF_LOG_PROVIDER",
    "TF_DISABLE_PLUGIN_TLS",
    "PLUGIN_MIN_PORT",
    "PLUGIN_MAX_PORT",
];

/// Milliseconds from `spawn` to the handshake line, for `starts` launches one after another.
pub fn times_ms(binary: &Path, starts: usize) -> Result<Vec<f64>> {
    let client_cert = terraform_like_client_cert()?;
    (0..starts)
        .map(|_| one_start(binary, &client_cert))
        .collect()
}

fn one_start(binary: &Path, client_cert: &str) -> Result<f64> {
    let mut command = Command::new(binary);
    for name in SCRUBBED {
        command.env_remove(name);
    }
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_cert)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(BenchError::io("start the provider", binary))?;
    let line = first_line(&mut child);
    let _ = child.kill();
    let _ = child.wait();
    let (line, at) = line?;
    if !line.starts_with("1|6|tcp|127.0.0.1:") {
        return Err(BenchError::Handshake(format!("unexpected line {line:?}")));
    }
    Ok(at.duration_since(started).as_secs_f64() * 1000.0)
}

/// The first stdout line and when it arrived (read on a thread, so a stuck start times out).
fn first_line(child: &mut Child) -> Result<(String, Instant)> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| BenchError::Handshake("stdout not captured".into()))?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(read.map(|_| (line, Instant::now())));
    });
    match receiver.recv_timeout(START_TIMEOUT) {
        Ok(Ok((line, at))) if !line.is_empty() => Ok((line.trim_end().to_string(), at)),
        Ok(Ok(_)) => Err(BenchError::Handshake(
            "exited without a handshake line".into(),
        )),
        Ok(Err(error)) => Err(BenchError::Handshake(format!("reading stdout: {error}"))),
        Err(_) => Err(BenchError::Handshake(format!(
            "no handshake line within {START_TIMEOUT:?}"
        ))),
    }
}

/// A self-signed ECDSA P-521 certificate in PEM, like the one Terraform passes.
fn terraform_like_client_cert() -> Result<String> {
    let failed =
        |error: rcgen::Error| BenchError::Handshake(format!("client certificate: {error}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(failed)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(failed)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(cert.pem())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_certificate_is_pem() {
        let pem = terraform_like_client_cert().expect("certificate");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    }

    #[test]
    fn a_binary_that_prints_no_handshake_is_an_error() {
        let error = one_start(Path::new("/bin/true"), "pem").unwrap_err();
        assert!(error.to_string().contains("without a handshake"), "{error}");
    }
}
