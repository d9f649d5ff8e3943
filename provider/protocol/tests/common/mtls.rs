//! mTLS client side, as Terraform's go-plugin does it, for the tests.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tonic::codegen::http::Uri;
use tonic::transport::{Channel, Endpoint};

/// A client certificate shaped like Terraform's (go-plugin's `generateCert`).
pub struct TerraformClientCert {
    pub pem: String,
    pub der: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

pub fn terraform_like_client_cert() -> TerraformClientCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    TerraformClientCert {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// The certificate announced in a handshake line, decoded.
pub fn announced_certificate(line: &str) -> Vec<u8> {
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    assert!(!fields[5].ends_with('='), "base64 must be unpadded: {line}");
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("unpadded standard base64")
}

pub fn client_config(
    server_cert: Vec<u8>,
    client_auth: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert))
        .expect("server certificate is a valid trust anchor");
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots);
    let mut config = match client_auth {
        Some((cert, key)) => builder
            .with_client_auth_cert(vec![cert], key)
            .expect("client auth"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// Connects tonic through our own TLS stream, checking the server name `localhost`.
#[derive(Clone)]
pub struct TlsConnect {
    pub address: SocketAddr,
    pub connector: TlsConnector,
}

impl tonic::codegen::Service<Uri> for TlsConnect {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let tcp = TcpStream::connect(this.address).await?;
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            let tls = this.connector.connect(name, tcp).await?;
            Ok(TokioIo::new(tls))
        })
    }
}

pub async fn tls_channel(
    address: SocketAddr,
    config: ClientConfig,
) -> Result<Channel, tonic::transport::Error> {
    let connector = TlsConnect {
        address,
        connector: TlsConnector::from(Arc::new(config)),
    };
    Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
}

pub async fn tls_client(
    address: SocketAddr,
    config: ClientConfig,
) -> Result<ProviderClient<Channel>, tonic::transport::Error> {
    Ok(ProviderClient::new(tls_channel(address, config).await?))
}
