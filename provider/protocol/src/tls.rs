//! go-plugin's AutoMTLS, server side: a fresh self-signed certificate for `localhost`, and a
//! client verifier that requires exactly the certificate Terraform passed in
//! `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is self-signed, marked as a CA and uses ECDSA P-521 with
//! SHA-512: webpki would refuse it as an end-entity certificate and the `ring` backend can't
//! check P-521 signatures. So the verifier pins the certificate's bytes (authentication is
//! "is this the certificate Terraform gave us") and checks the handshake signature with the
//! aws-lc-rs provider, which supports P-521. Client authentication is mandatory.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};

/// Setting up TLS failed; the provider cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCertificate(String),
    #[error("could not generate the server certificate: {0}")]
    ServerCertificate(#[from] rcgen::Error),
    #[error("could not build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The server's TLS configuration and its certificate (sent in the handshake line).
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    pub certificate_der: Vec<u8>,
}

/// Builds the server side of AutoMTLS for the client certificate PEM Terraform passed.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, TlsError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let verifier = PinnedClientCertificate::from_pem(client_cert_pem, &provider)?;
    let (certificate, key) = self_signed_localhost()?;
    let certificate_der = certificate.as_ref().to_vec();
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![certificate], key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        certificate_der,
    })
}

/// A fresh ECDSA P-256 certificate for `localhost`, usable for server and client auth, as
/// go-plugin generates its own.
fn self_signed_localhost() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let certificate = params.self_signed(&key)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((certificate.der().clone(), key))
}

/// Accepts exactly one client certificate, byte for byte.
#[derive(Debug)]
struct PinnedClientCertificate {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertificate {
    fn from_pem(pem: &str, provider: &CryptoProvider) -> Result<Self, TlsError> {
        let expected = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|err| TlsError::ClientCertificate(err.to_string()))?;
        Ok(PinnedClientCertificate {
            expected,
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    /// No CA hints: Go's TLS client then offers its only certificate.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_non_pem_client_certificate() {
        assert!(matches!(
            server_tls("not a certificate"),
            Err(TlsError::ClientCertificate(_))
        ));
    }

    #[test]
    fn pins_exactly_the_given_certificate() {
        let pinned = rcgen::generate_simple_self_signed(vec!["a".into()]).expect("cert");
        let other = rcgen::generate_simple_self_signed(vec!["b".into()]).expect("cert");
        let provider = aws_lc_rs::default_provider();
        let verifier =
            PinnedClientCertificate::from_pem(&pinned.cert.pem(), &provider).expect("verifier");
        let now = UnixTime::now();
        assert!(verifier
            .verify_client_cert(pinned.cert.der(), &[], now)
            .is_ok());
        assert!(verifier
            .verify_client_cert(other.cert.der(), &[], now)
            .is_err());
        assert!(verifier.client_auth_mandatory());
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn server_config_speaks_h2_and_returns_its_certificate() {
        let client = rcgen::generate_simple_self_signed(vec!["terraform".into()]).expect("cert");
        let tls = server_tls(&client.cert.pem()).expect("server tls");
        assert_eq!(tls.config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!tls.certificate_der.is_empty());
    }
}
