//! Transport: `--cert` with a self-signed authority, `--client-cert`, `--trusted-host`,
//! plain-HTTP refusal, and `--proxy`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use url::Url;
use volley_cache::Cache;
use volley_client::{ClientError, ClientOptions, RegistryClient, Reporter};
use volley_test_support::{ForwardProxy, IndexServer, WheelBuilder};

use crate::{client_with, index_file, name, options};

fn tls_server() -> IndexServer {
    IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .tls()
        .start()
}

/// Write `pem` to a file in `dir`.
fn pem_file(dir: &tempfile::TempDir, filename: &str, pem: &str) -> PathBuf {
    let path = dir.path().join(filename);
    fs_err::write(&path, pem).unwrap();
    path
}

/// Counts retries.
#[derive(Default)]
struct RetryCount(AtomicUsize);

impl Reporter for RetryCount {
    fn on_retry(&self, _: &Url, _: u32, _: &str) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn a_self_signed_certificate_needs_cert_or_trusted_host() {
    let server = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let ca = pem_file(&dir, "ca.pem", &server.certificates().unwrap().ca_pem);

    // The system does not trust the test authority; that is not worth a retry.
    let retries = Arc::new(RetryCount::default());
    let client = RegistryClient::new(
        options(&server),
        Cache::temp().unwrap(),
        Arc::clone(&retries) as Arc<dyn Reporter>,
    )
    .unwrap();
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert!(matches!(error, ClientError::Network { .. }), "{error:?}");
    insta::assert_snapshot!(
        error.to_string().replace(&server.address().to_string(), "[SERVER]"),
        @"failed to fetch https://[SERVER]/simple/a/: error sending request: client error (Connect): invalid peer certificate: UnknownIssuer"
    );
    assert_eq!(retries.0.load(Ordering::Relaxed), 0);

    // `--cert` trusts it (and only it).
    let client = client_with(
        ClientOptions {
            cert: Some(ca.clone()),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    client.download(&wheel).await.unwrap();

    // So does `SSL_CERT_FILE`, in addition to the system's.
    let client = client_with(
        ClientOptions {
            extra_root_certificates: vec![ca],
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    client.project_page(&name("a")).await.unwrap();

    // A trusted host's certificate is not checked, with or without its port.
    for trusted in [server.address().to_string(), "127.0.0.1".to_string()] {
        let client = client_with(
            ClientOptions {
                trusted_hosts: vec![trusted],
                ..options(&server)
            },
            &Cache::temp().unwrap(),
        );
        let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
        client.download(&wheel).await.unwrap();
    }
    // Another port of the host is not trusted.
    let client = client_with(
        ClientOptions {
            trusted_hosts: vec!["127.0.0.1:1".to_string()],
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    assert!(client.project_page(&name("a")).await.is_err());
}

#[tokio::test]
async fn cert_replaces_the_system_certificates() {
    let server = tls_server();
    let other = tls_server();
    let dir = tempfile::tempdir().unwrap();
    // A bundle of another authority: the server's is trusted by nobody now, not even through
    // SSL_CERT_FILE, which `--cert` replaces.
    let other_ca = pem_file(&dir, "other.pem", &other.certificates().unwrap().ca_pem);
    let ca = pem_file(&dir, "ca.pem", &server.certificates().unwrap().ca_pem);
    let client = client_with(
        ClientOptions {
            cert: Some(other_ca),
            extra_root_certificates: vec![ca],
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    assert!(client.project_page(&name("a")).await.is_err());
}

#[tokio::test]
async fn client_certificates_are_presented() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .require_client_certificate()
        .start();
    let dir = tempfile::tempdir().unwrap();
    let certificates = server.certificates().unwrap();
    let ca = pem_file(&dir, "ca.pem", &certificates.ca_pem);
    let identity = pem_file(&dir, "client.pem", &certificates.client_pem);
    let without = client_with(
        ClientOptions {
            cert: Some(ca.clone()),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    assert!(without.project_page(&name("a")).await.is_err());
    let with = client_with(
        ClientOptions {
            cert: Some(ca),
            client_cert: Some(identity),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let wheel = index_file(&with, "a", "a-1.0-py3-none-any.whl").await;
    with.download(&wheel).await.unwrap();
}

#[tokio::test]
async fn plain_http_pages_need_a_trusted_host() {
    // No request is made: the refusal comes first.
    let client = client_with(
        ClientOptions {
            index_urls: vec![Url::parse("http://user:secret@pypi.example.invalid/simple").unwrap()],
            ..ClientOptions::default()
        },
        &Cache::temp().unwrap(),
    );
    let error = client.project_page(&name("a")).await.unwrap_err();
    insta::assert_snapshot!(error, @r#"refusing to fetch the index page http://pypi.example.invalid/simple/a/ over plain HTTP: "pypi.example.invalid" is not a trusted host (use https, or trust the host)"#);
}

#[tokio::test]
async fn proxy_routes_every_request() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let tls = tls_server();
    let proxy = ForwardProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = pem_file(&dir, "ca.pem", &tls.certificates().unwrap().ca_pem);
    let client = client_with(
        ClientOptions {
            index_urls: vec![
                Url::parse(&format!("{}/empty", server.url())).unwrap(),
                Url::parse(&tls.index_url()).unwrap(),
            ],
            cert: Some(ca),
            proxy: Some(proxy.url()),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    client.download(&wheel).await.unwrap();
    let mut requests: Vec<String> = proxy
        .requests()
        .into_iter()
        .map(|line| {
            line.replace(&server.address().to_string(), "[HTTP]")
                .replace(&tls.address().to_string(), "[HTTPS]")
        })
        .collect();
    requests.dedup();
    insta::assert_snapshot!(requests.join("\n"), @r"
        GET http://[HTTP]/empty/a/ HTTP/1.1
        CONNECT [HTTPS] HTTP/1.1
        ");
    // An invalid proxy is a setup error naming it, password hidden.
    let error = RegistryClient::new(
        ClientOptions {
            proxy: Some("http://user:secret@[bad".to_string()),
            ..options(&server)
        },
        Cache::temp().unwrap(),
        Arc::new(volley_client::NoReporter),
    )
    .unwrap_err();
    insta::assert_snapshot!(error, @r#"invalid proxy "<a proxy with credentials>": builder error: invalid IPv6 address"#);
}

/// `openssl req -x509` marks the self-signed certificates it makes `CA:TRUE`; pip, curl and
/// Python's ssl accept one as the server's certificate when it is the trusted file.
#[tokio::test]
async fn a_self_signed_certificate_marked_as_an_authority_is_accepted_when_trusted() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .tls_self_signed()
        .start();
    let other = IndexServer::builder().tls_self_signed().start();
    let dir = tempfile::tempdir().unwrap();
    let certificates = server.certificates().unwrap();
    assert_eq!(certificates.ca_pem, certificates.server_pem);
    let cert = pem_file(&dir, "cert.pem", &certificates.ca_pem);
    let other_cert = pem_file(&dir, "other.pem", &other.certificates().unwrap().ca_pem);

    let client = client_with(options(&server), &Cache::temp().unwrap());
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert!(
        error.to_string().contains("invalid peer certificate"),
        "{error}"
    );

    for trusted in [
        ClientOptions {
            cert: Some(cert.clone()),
            ..options(&server)
        },
        ClientOptions {
            extra_root_certificates: vec![cert.clone()],
            ..options(&server)
        },
    ] {
        let client = client_with(trusted, &Cache::temp().unwrap());
        let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
        client.download(&wheel).await.unwrap();
    }

    // Another self-signed certificate for the same address is not this one.
    let client = client_with(
        ClientOptions {
            cert: Some(other_cert),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert!(
        error.to_string().contains("invalid peer certificate"),
        "{error}"
    );
}
