//! The server's credentials and transport options (basic auth, TLS, client certificates) and
//! the forward proxy, seen from raw clients.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use volley_test_support::{ForwardProxy, IndexServer, WheelBuilder};

use crate::client::{get, request};

fn server() -> IndexServer {
    IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .basic_auth("user", "pa:ss")
        .start()
}

#[test]
fn basic_auth_guards_pages_and_files() {
    let server = server();
    let refused = get(server.address(), "/simple/a/");
    assert_eq!(refused.status, Some(401));
    assert_eq!(
        refused.header("www-authenticate"),
        Some("Basic realm=\"volley-test-support\"")
    );
    let files = get(server.address(), "/files/a-1.0-py3-none-any.whl");
    assert_eq!(files.status, Some(401));
    // `user:pa:ss` in base64.
    let good = [("Authorization", "Basic dXNlcjpwYTpzcw==")];
    let wrong = [("Authorization", "Basic dXNlcjp3cm9uZw==")];
    assert_eq!(
        request(server.address(), "GET", "/simple/a/", &wrong).status,
        Some(401)
    );
    assert_eq!(
        request(server.address(), "GET", "/simple/a/", &good).status,
        Some(200)
    );
    assert_eq!(
        request(
            server.address(),
            "GET",
            "/files/a-1.0-py3-none-any.whl",
            &good
        )
        .status,
        Some(200)
    );
    let statuses: Vec<Option<u16>> = server
        .requests()
        .iter()
        .map(|request| request.status)
        .collect();
    assert_eq!(
        statuses,
        [Some(401), Some(401), Some(401), Some(200), Some(200)]
    );
}

/// GET `path` over TLS, trusting the certificates in `roots_pem`, presenting `identity_pem`
/// (a certificate and its key) when given. The error, if the handshake or the request failed.
fn tls_get(
    address: SocketAddr,
    path: &str,
    roots_pem: &str,
    identity_pem: Option<&str>,
) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(roots_pem.as_bytes()) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match identity_pem {
        Some(pem) => {
            let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(certificates, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    let connection =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("127.0.0.1").unwrap())
            .unwrap();
    let socket = TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let head = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(head.as_bytes())
        .map_err(|error| error.to_string())?;
    let mut response = Vec::new();
    match stream.read_to_end(&mut response) {
        Ok(_) => {}
        // The server closes without a close_notify alert after `Connection: close`.
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof && !response.is_empty() => {
        }
        Err(error) => return Err(error.to_string()),
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    Ok(text.lines().next().unwrap_or_default().to_string())
}

#[test]
fn tls_serves_with_its_own_authority() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .tls()
        .start();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    assert!(server.index_url().starts_with("https://"));
    let certificates = server.certificates().unwrap();
    assert_eq!(
        tls_get(server.address(), "/simple/a/", &certificates.ca_pem, None).unwrap(),
        "HTTP/1.1 200 OK"
    );
    // Trusting another authority (the server's own certificate is not an authority) fails.
    let error = tls_get(
        server.address(),
        "/simple/a/",
        &certificates.server_pem,
        None,
    )
    .unwrap_err();
    assert!(error.contains("certificate"), "{error}");
    // Each server has its own authority.
    let other = IndexServer::builder().tls().start();
    assert_ne!(other.certificates().unwrap().ca_pem, certificates.ca_pem);
}

#[test]
fn client_certificates_can_be_required() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .require_client_certificate()
        .start();
    let certificates = server.certificates().unwrap();
    assert!(tls_get(server.address(), "/simple/a/", &certificates.ca_pem, None).is_err());
    assert_eq!(
        tls_get(
            server.address(),
            "/simple/a/",
            &certificates.ca_pem,
            Some(&certificates.client_pem)
        )
        .unwrap(),
        "HTTP/1.1 200 OK"
    );
}

#[test]
fn proxy_forwards_and_records() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let proxy = ForwardProxy::start();
    let proxy_address: SocketAddr = proxy.url().trim_start_matches("http://").parse().unwrap();
    // Absolute form, as clients send plain-HTTP requests to a proxy.
    let target = format!("{}/simple/a/", server.url());
    let forwarded = request(proxy_address, "GET", &target, &[]);
    assert_eq!(forwarded.status, Some(200));
    assert!(forwarded.text().contains("a-1.0-py3-none-any.whl"));
    // A tunnel, as clients reach HTTPS servers through a proxy.
    let mut tunnel = TcpStream::connect(proxy_address).unwrap();
    tunnel
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        tunnel,
        "CONNECT {address} HTTP/1.1\r\nHost: {address}\r\n\r\n",
        address = server.address()
    )
    .unwrap();
    let mut established = [0u8; 39];
    tunnel.read_exact(&mut established).unwrap();
    assert_eq!(
        &established[..],
        b"HTTP/1.1 200 Connection established\r\n\r\n"
    );
    write!(
        tunnel,
        "GET /simple/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.address()
    )
    .unwrap();
    let mut response = String::new();
    tunnel.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    let requests = proxy
        .requests()
        .join("\n")
        .replace(&server.address().to_string(), "[SERVER]");
    insta::assert_snapshot!(requests, @r"
        GET http://[SERVER]/simple/a/ HTTP/1.1
        CONNECT [SERVER] HTTP/1.1
        ");
    let paths: Vec<String> = server
        .requests()
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(paths, ["/simple/a/", "/simple/"]);
}
