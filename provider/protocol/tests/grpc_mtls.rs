//! AutoMTLS as Terraform does it: the client certificate is a self-signed CA certificate
//! with an ECDSA P-521/SHA-512 key, passed to the provider as PEM; the client trusts only
//! the certificate from the handshake line and checks it is valid for `localhost`.

mod common;

use common::mtls::{announced_certificate, client_config, terraform_like_client_cert, tls_client};
use common::*;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::Channel;

async fn get_metadata(
    client: &mut ProviderClient<Channel>,
) -> Result<pb::get_metadata::Response, tonic::Status> {
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn terraform_like_client_talks_to_the_provider_over_mutual_tls() {
    let terraform = terraform_like_client_cert();
    let server = start_server(FakeBackend::new(), Some(terraform.pem.clone())).await;
    let config = client_config(
        announced_certificate(&server.handshake.line()),
        Some((terraform.der.clone(), terraform.key.clone_key())),
        rustls::DEFAULT_VERSIONS,
    );
    let mut client = tls_client(server.handshake.address, config)
        .await
        .expect("TLS connection");
    let metadata = get_metadata(&mut client).await.expect("rpc over mTLS");
    assert_eq!(metadata.resources[0].type_name, RESOURCE);
    let ty = resource_type();
    let planned = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: RESOURCE.into(),
            prior_state: dynamic(&tfplugin::value::Value::Null, &ty),
            proposed_new_state: dynamic(&sample_config("a"), &ty),
            config: dynamic(&sample_config("a"), &ty),
            ..Default::default()
        })
        .await
        .expect("plan over mTLS")
        .into_inner();
    assert!(undynamic(planned.planned_state, &ty)
        .attr("id")
        .is_unknown());
}

#[tokio::test]
async fn tls12_clients_are_authenticated_too() {
    let terraform = terraform_like_client_cert();
    let server = start_server(FakeBackend::new(), Some(terraform.pem.clone())).await;
    let config = client_config(
        announced_certificate(&server.handshake.line()),
        Some((terraform.der.clone(), terraform.key.clone_key())),
        &[&rustls::version::TLS12],
    );
    let mut client = tls_client(server.handshake.address, config)
        .await
        .expect("TLS 1.2 connection");
    get_metadata(&mut client).await.expect("rpc over TLS 1.2");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let terraform = terraform_like_client_cert();
    let server = start_server(FakeBackend::new(), Some(terraform.pem.clone())).await;
    let config = client_config(
        announced_certificate(&server.handshake.line()),
        None,
        rustls::DEFAULT_VERSIONS,
    );
    // With TLS 1.3 the refusal may surface at connect or at the first call.
    let refused = match tls_client(server.handshake.address, config).await {
        Err(_) => true,
        Ok(mut client) => get_metadata(&mut client).await.is_err(),
    };
    assert!(
        refused,
        "a client without a certificate must not get an answer"
    );
}

#[tokio::test]
async fn a_client_with_another_certificate_is_refused() {
    let terraform = terraform_like_client_cert();
    let impostor = terraform_like_client_cert();
    let server = start_server(FakeBackend::new(), Some(terraform.pem.clone())).await;
    let config = client_config(
        announced_certificate(&server.handshake.line()),
        Some((impostor.der.clone(), impostor.key.clone_key())),
        rustls::DEFAULT_VERSIONS,
    );
    let refused = match tls_client(server.handshake.address, config).await {
        Err(_) => true,
        Ok(mut client) => get_metadata(&mut client).await.is_err(),
    };
    assert!(
        refused,
        "only the certificate from PLUGIN_CLIENT_CERT may connect"
    );
}

#[tokio::test]
async fn plain_tcp_clients_are_refused_when_tls_is_on() {
    let terraform = terraform_like_client_cert();
    let server = start_server(FakeBackend::new(), Some(terraform.pem.clone())).await;
    let plain = Channel::from_shared(format!("http://{}", server.handshake.address))
        .expect("uri")
        .connect()
        .await;
    let refused = match plain {
        Err(_) => true,
        Ok(channel) => get_metadata(&mut ProviderClient::new(channel))
            .await
            .is_err(),
    };
    assert!(refused);
}
