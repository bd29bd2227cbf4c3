//! The TLS configuration used when the user names certificates to trust (`--cert`,
//! `SSL_CERT_FILE`): rustls with webpki's checks (for `--cert` only its bundle, as pip's
//! `--cert` replaces the system's store; for `SSL_CERT_FILE` the system's certificates plus
//! the bundle, through rustls-platform-verifier as reqwest does), and one exception that
//! OpenSSL, and so pip, curl and Python's `ssl`, make: a server certificate that is itself one
//! of the certificates the user trusts is accepted even when it says it is a certificate
//! authority.
//!
//! Traps:
//! - `openssl req -x509` marks the self-signed certificates it makes `CA:TRUE` by default, and
//!   many private indexes serve exactly such a certificate; webpki refuses any end-entity
//!   certificate marked so (`CaUsedAsEndEntity`), even when it is a trust anchor;
//! - only that refusal is overridden, only for a certificate byte for byte equal to a trusted
//!   one, and only when it names the host: webpki checks the validity dates before the basic
//!   constraints, so a `CaUsedAsEndEntity` refusal means the dates held; the host name is
//!   checked here;
//! - reqwest sets ALPN itself only for the configurations it builds: a preconfigured one must
//!   offer `h2` and `http/1.1` itself.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// The client's TLS configuration for configured trust anchors.
pub(crate) struct AnchorConfig {
    /// The certificates the user trusts, DER.
    pub(crate) anchors: Vec<CertificateDer<'static>>,
    /// Whether they replace the system's certificates (`--cert`) or add to them.
    pub(crate) anchors_only: bool,
    /// The client certificate chain and key (`--client-cert`).
    pub(crate) identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
}

impl AnchorConfig {
    /// The rustls configuration; the error is rustls' message.
    pub(crate) fn client_config(&self) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner: Arc<dyn ServerCertVerifier> = if self.anchors_only {
            let mut roots = rustls::RootCertStore::empty();
            for anchor in &self.anchors {
                roots
                    .add(anchor.clone())
                    .map_err(|error| error.to_string())?;
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|error| error.to_string())?
        } else {
            Arc::new(
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.anchors.iter().cloned(),
                    Arc::clone(&provider),
                )
                .map_err(|error| error.to_string())?,
            )
        };
        let verifier = Arc::new(AnchorVerifier {
            inner,
            anchors: self.anchors.clone(),
        });
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &self.identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|error| error.to_string())?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// webpki's verification, plus the exception of the module documentation.
#[derive(Debug)]
struct AnchorVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    anchors: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for AnchorVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(error)
                if is_ca_used_as_end_entity(&error)
                    && self
                        .anchors
                        .iter()
                        .any(|anchor| anchor.as_ref() == end_entity.as_ref()) =>
            {
                let certificate = ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&certificate, server_name)?;
                tracing::debug!(
                    "accepting the server certificate of {server_name:?}: it is one of the \
                     trusted certificates, marked as a certificate authority"
                );
                Ok(ServerCertVerified::assertion())
            }
            result => result,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner
            .verify_tls12_signature(message, certificate, signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner
            .verify_tls13_signature(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// webpki's `CaUsedAsEndEntity` reaches rustls as `CertificateError::Other`, whose text is the
/// webpki error's name.
fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if other.to_string() == "CaUsedAsEndEntity"
    )
}
