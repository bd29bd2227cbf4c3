//! Certificates made at test time for an HTTPS [`IndexServer`](crate::IndexServer): a fresh
//! certificate authority, a server certificate it signs for `127.0.0.1` and `localhost`, and a
//! client certificate it signs (for servers that ask for one).
//!
//! [`TestCertificates::self_signed_authority`] makes instead one self-signed certificate marked
//! as an authority, as `openssl req -x509` makes by default, which is what many private
//! indexes serve.
//!
//! Nothing is written to disk; a test writes [`TestCertificates::ca_pem`] to a file for
//! `--cert`. The authority is trusted by nobody else, so a client that does not pass it
//! fails with an unknown-issuer error, which is what certificate tests need.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;

/// A certificate authority and the certificates it signed for one server.
#[derive(Debug, Clone)]
pub struct TestCertificates {
    /// The authority's certificate (PEM): the bundle to trust.
    pub ca_pem: String,
    /// The server's certificate (PEM), for `127.0.0.1` and `localhost`.
    pub server_pem: String,
    /// A client certificate followed by its private key (PEM), as `--client-cert` takes it.
    pub client_pem: String,
    ca_der: CertificateDer<'static>,
    server_der: CertificateDer<'static>,
    server_key_der: Vec<u8>,
}

impl TestCertificates {
    /// A new authority and its certificates.
    ///
    /// # Panics
    /// When a key cannot be generated (the system has no randomness).
    pub fn generate() -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "volley test authority");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().expect("generate the authority's key");
        let authority =
            CertifiedIssuer::self_signed(ca_params, ca_key).expect("sign the authority");

        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("valid server names");
        server_params
            .distinguished_name
            .push(DnType::CommonName, "volley test index");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().expect("generate the server's key");
        let server = server_params
            .signed_by(&server_key, &authority)
            .expect("sign the server certificate");

        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "volley test client");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate().expect("generate the client's key");
        let client = client_params
            .signed_by(&client_key, &authority)
            .expect("sign the client certificate");

        Self {
            ca_pem: authority.pem(),
            server_pem: server.pem(),
            client_pem: format!("{}{}", client.pem(), client_key.serialize_pem()),
            ca_der: authority.der().clone(),
            server_der: server.der().clone(),
            server_key_der: server_key.serialize_der(),
        }
    }

    /// One self-signed certificate that is both the authority and the server's, for
    /// `127.0.0.1` and `localhost`, marked as an authority (`CA:TRUE`) as the certificates of
    /// `openssl req -x509` are by default: [`Self::ca_pem`] and [`Self::server_pem`] are the same
    /// certificate. The client certificate is signed by it.
    ///
    /// # Panics
    /// When a key cannot be generated (the system has no randomness).
    pub fn self_signed_authority() -> Self {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("valid server names");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let key = KeyPair::generate().expect("generate the server's key");
        let server_key_der = key.serialize_der();
        let authority = CertifiedIssuer::self_signed(params, key).expect("sign the certificate");

        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "volley test client");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate().expect("generate the client's key");
        let client = client_params
            .signed_by(&client_key, &authority)
            .expect("sign the client certificate");

        Self {
            ca_pem: authority.pem(),
            server_pem: authority.pem(),
            client_pem: format!("{}{}", client.pem(), client_key.serialize_pem()),
            ca_der: authority.der().clone(),
            server_der: authority.der().clone(),
            server_key_der,
        }
    }

    /// The server side of the handshake; with `require_client_certificate`, clients must
    /// present a certificate signed by the authority.
    pub(crate) fn server_config(&self, require_client_certificate: bool) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default versions");
        let builder = if require_client_certificate {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(self.ca_der.clone())
                .expect("the authority's certificate is valid");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("build the client certificate verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone()));
        let mut chain = vec![self.server_der.clone()];
        if self.ca_der != self.server_der {
            chain.push(self.ca_der.clone());
        }
        let mut config = builder
            .with_single_cert(chain, key)
            .expect("the server's certificate and key match");
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config
    }
}
