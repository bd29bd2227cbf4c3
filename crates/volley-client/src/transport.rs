//! The reqwest clients and what decides between them: certificates (`--cert`,
//! `SSL_CERT_FILE`), the client certificate (`--client-cert`), trusted hosts (`--trusted-host`)
//! and the proxy (`--proxy`).
//!
//! - Roots: by default the system's certificates (rustls-platform-verifier), plus the PEM
//!   files of [`ClientOptions::extra_root_certificates`]. `--cert` replaces them all, as pip's
//!   `--cert` (requests' `verify=PATH`) does: only its bundle is trusted. When the user names
//!   certificates, the client uses volley's TLS configuration (`tls`), which also accepts a
//!   server certificate that is itself one of them though marked as an authority, as OpenSSL
//!   does.
//! - A trusted host is reached over plain HTTP without complaint, and its certificate is not
//!   checked. reqwest decides certificate checking per client, so requests to trusted hosts go
//!   through a second client built the same way but accepting any certificate. Other hosts
//!   get index pages over HTTPS only, except on the loopback interface (pip's secure
//!   origins); an HTTP page elsewhere is refused ([`ClientError::InsecureHost`]), where pip
//!   ignores it with a warning.
//! - Proxies: `--proxy` is used for every request, as pip sets it for both schemes. Without
//!   it, reqwest reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` itself.
//!
//! Trap: TLS needs a rustls crypto provider; the ring provider is installed here, because
//! without one reqwest panics when it builds a client.

use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use url::{Host, Url};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::credentials::redact;
use crate::tls::AnchorConfig;
use crate::{ClientError, ClientOptions};

/// The clients and the trusted hosts.
///
/// The clients are made on the first request, not before: reading the certificate bundles and
/// building TLS configurations costs milliseconds that a run served from the cache never needs.
/// A bad `--cert` or `--client-cert` is reported by the first request that needs the network (as
/// pip does); a bad proxy or trusted host at once.
#[derive(Debug)]
pub(crate) struct Transport {
    options: ClientOptions,
    clients: OnceLock<Result<Clients, ClientError>>,
    trusted_hosts: Vec<TrustedHost>,
}

#[derive(Debug)]
struct Clients {
    client: reqwest::Client,
    /// For trusted hosts: certificates not checked. `None` when there are none.
    trusted_client: Option<reqwest::Client>,
}

impl Transport {
    pub(crate) fn new(options: &ClientOptions) -> Result<Self, ClientError> {
        let trusted_hosts = options
            .trusted_hosts
            .iter()
            .map(|value| TrustedHost::parse(value))
            .collect::<Result<Vec<_>, _>>()?;
        // Cheap to check now, unlike the certificates.
        proxy_of(options)?;
        Ok(Self {
            options: options.clone(),
            clients: OnceLock::new(),
            trusted_hosts,
        })
    }

    /// The client for a request to `url`, made with its settings on the first call.
    pub(crate) fn client_for(&self, url: &Url) -> Result<&reqwest::Client, ClientError> {
        let clients = self
            .clients
            .get_or_init(|| {
                // Idempotent: fails only when a provider is installed already.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let settings = Settings::read(&self.options)?;
                Ok(Clients {
                    client: settings.client(false)?,
                    trusted_client: if self.trusted_hosts.is_empty() {
                        None
                    } else {
                        Some(settings.client(true)?)
                    },
                })
            })
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(match &clients.trusted_client {
            Some(trusted) if self.is_trusted(url) => trusted,
            _ => &clients.client,
        })
    }

    fn is_trusted(&self, url: &Url) -> bool {
        self.trusted_hosts.iter().any(|host| host.matches(url))
    }

    /// Whether an index page may be fetched from `url`: HTTPS, a local file, the loopback
    /// interface, or a trusted host (pip's secure origins).
    pub(crate) fn is_secure_origin(&self, url: &Url) -> bool {
        match url.scheme() {
            "https" | "file" => true,
            _ => is_loopback(url) || self.is_trusted(url),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

/// A `--trusted-host` value: a host, and maybe a port (without one, every port matches).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TrustedHost {
    /// Lowercase; IPv6 addresses without brackets.
    host: String,
    port: Option<u16>,
}

impl TrustedHost {
    fn parse(value: &str) -> Result<Self, ClientError> {
        let invalid = |reason: &str| ClientError::TrustedHost {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let text = value.trim();
        // pip accepts a URL's host part only, but a whole URL is an easy mistake to forgive.
        let text = text
            .split_once("://")
            .map_or(text, |(_, rest)| rest)
            .trim_end_matches('/');
        if text.is_empty() {
            return Err(invalid("expected HOST or HOST:PORT"));
        }
        // A bare IPv6 address (`::1`) has no port.
        let text = if text.matches(':').count() > 1 && !text.starts_with('[') {
            format!("[{text}]")
        } else {
            text.to_string()
        };
        // A scheme without a default port, so that the port is kept as written.
        let url = Url::parse(&format!("volley://{text}"))
            .map_err(|error| invalid(&format!("expected HOST or HOST:PORT ({error})")))?;
        if !matches!(url.path(), "" | "/")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(invalid("expected HOST or HOST:PORT"));
        }
        let host = match url.host() {
            Some(Host::Domain(domain)) if !domain.is_empty() => domain.to_ascii_lowercase(),
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => address.to_string(),
            _ => return Err(invalid("expected HOST or HOST:PORT")),
        };
        let port = url.port();
        Ok(Self { host, port })
    }

    fn matches(&self, url: &Url) -> bool {
        let host = match url.host() {
            Some(Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => return false,
        };
        host == self.host
            && self
                .port
                .is_none_or(|port| url.port_or_known_default() == Some(port))
    }
}

/// What both clients are built from, read once.
struct Settings<'a> {
    options: &'a ClientOptions,
    /// The certificates the user trusts (`--cert`, else `SSL_CERT_FILE`), DER.
    anchors: Vec<CertificateDer<'static>>,
    /// Whether the anchors replace the system's certificates (`--cert`).
    anchors_only: bool,
    identity: Option<Identity>,
    proxy: Option<reqwest::Proxy>,
}

/// `--client-cert`, for reqwest's configurations and for ours.
struct Identity {
    reqwest: reqwest::Identity,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl<'a> Settings<'a> {
    fn read(options: &'a ClientOptions) -> Result<Self, ClientError> {
        let (anchors, anchors_only) = match &options.cert {
            Some(bundle) => {
                if !options.extra_root_certificates.is_empty() {
                    tracing::debug!(
                        "--cert replaces the system's certificates: ignoring the extra ones"
                    );
                }
                (certificates(bundle)?, true)
            }
            None => {
                let mut anchors = Vec::new();
                for path in &options.extra_root_certificates {
                    anchors.extend(certificates(path)?);
                }
                (anchors, false)
            }
        };
        let identity = options
            .client_cert
            .as_deref()
            .map(|path| {
                let invalid = |reason: String| ClientError::ClientCertificate {
                    path: path.to_path_buf(),
                    reason,
                };
                let pem = fs_err::read(path).map_err(|error| invalid(error.to_string()))?;
                let reqwest = reqwest::Identity::from_pem(&pem)
                    .map_err(|error| invalid(source_chain(&error)))?;
                let chain = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|error| invalid(error.to_string()))?;
                let key = PrivateKeyDer::from_pem_slice(&pem)
                    .map_err(|error| invalid(error.to_string()))?;
                Ok(Identity {
                    reqwest,
                    chain,
                    key,
                })
            })
            .transpose()?;
        let proxy = proxy_of(options)?;
        Ok(Self {
            options,
            anchors,
            anchors_only,
            identity,
            proxy,
        })
    }

    fn client(&self, accept_invalid_certificates: bool) -> Result<reqwest::Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(self.options.user_agent.as_str())
            .read_timeout(self.options.timeout)
            .connect_timeout(self.options.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            // `Http::send` follows redirects itself, with each host's credentials.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(proxy) = &self.proxy {
            builder = builder.proxy(proxy.clone());
        }
        if accept_invalid_certificates {
            builder = builder.tls_danger_accept_invalid_certs(true);
        } else if !self.anchors.is_empty() {
            // The user's certificates: our configuration (see `tls`).
            let config = AnchorConfig {
                anchors: self.anchors.clone(),
                anchors_only: self.anchors_only,
                identity: self
                    .identity
                    .as_ref()
                    .map(|identity| (identity.chain.clone(), identity.key.clone_key())),
            }
            .client_config()
            .map_err(|reason| ClientError::Setup { reason })?;
            return builder
                .tls_backend_preconfigured(config)
                .build()
                .map_err(|error| ClientError::Setup {
                    reason: source_chain(&error),
                });
        }
        if let Some(identity) = &self.identity {
            builder = builder.identity(identity.reqwest.clone());
        }
        builder.build().map_err(|error| ClientError::Setup {
            reason: source_chain(&error),
        })
    }
}

/// The proxy `options` name, checked.
fn proxy_of(options: &ClientOptions) -> Result<Option<reqwest::Proxy>, ClientError> {
    options
        .proxy
        .as_deref()
        .map(|proxy| {
            reqwest::Proxy::all(proxy).map_err(|error| ClientError::Proxy {
                proxy: redact_proxy(proxy),
                reason: source_chain(&error),
            })
        })
        .transpose()
}

/// The certificates of a PEM bundle.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let invalid = |reason: String| ClientError::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let pem = fs_err::read(path).map_err(|error| invalid(error.to_string()))?;
    let bundle = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(error.to_string()))?;
    if bundle.is_empty() {
        return Err(invalid("no certificate in it".to_string()));
    }
    Ok(bundle)
}

/// A proxy as it may be shown: a URL with its password hidden, or the text as given when it
/// is not a URL (then it cannot hold a password either, short of a parse error).
fn redact_proxy(proxy: &str) -> String {
    match Url::parse(proxy) {
        Ok(url) => redact(&url),
        Err(_) if proxy.contains('@') => "<a proxy with credentials>".to_string(),
        Err(_) => proxy.to_string(),
    }
}

/// An error and its sources, joined.
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_hosts_match_host_and_port() {
        let cases = [
            ("example.org", "https://example.org/simple/", true),
            ("example.org", "http://example.org:8080/simple/", true),
            ("Example.ORG", "https://example.org/", true),
            ("example.org:8080", "http://example.org:8080/", true),
            ("example.org:8080", "http://example.org/", false),
            ("example.org:80", "http://example.org/", true),
            ("example.org", "https://other.org/", false),
            ("127.0.0.1:5000", "https://127.0.0.1:5000/", true),
            ("[::1]:5000", "https://[::1]:5000/", true),
            ("::1", "https://[::1]:5000/", true),
            ("https://example.org/", "https://example.org/", true),
        ];
        for (value, url, expected) in cases {
            let host = TrustedHost::parse(value).unwrap();
            assert_eq!(
                host.matches(&Url::parse(url).unwrap()),
                expected,
                "{value} against {url}: {host:?}"
            );
        }
    }

    #[test]
    fn invalid_trusted_hosts() {
        let errors = [
            "",
            "example.org:port",
            "example.org/simple",
            "user@example.org",
        ]
        .map(|value| TrustedHost::parse(value).unwrap_err().to_string());
        insta::assert_snapshot!(errors.join("\n"), @r#"
            invalid trusted host "": expected HOST or HOST:PORT
            invalid trusted host "example.org:port": expected HOST or HOST:PORT (invalid port number)
            invalid trusted host "example.org/simple": expected HOST or HOST:PORT
            invalid trusted host "user@example.org": expected HOST or HOST:PORT
            "#);
    }

    #[test]
    fn secure_origins() {
        let options = ClientOptions {
            trusted_hosts: vec!["trusted.org".to_string()],
            ..ClientOptions::default()
        };
        let transport = Transport::new(&options).unwrap();
        let secure: Vec<&str> = [
            "https://example.org/simple/",
            "http://example.org/simple/",
            "http://trusted.org/simple/",
            "http://localhost:8080/simple/",
            "http://127.0.0.1:8080/simple/",
            "http://[::1]:8080/simple/",
            "file:///srv/simple/",
        ]
        .into_iter()
        .filter(|url| transport.is_secure_origin(&Url::parse(url).unwrap()))
        .collect();
        insta::assert_snapshot!(secure.join("\n"), @r"
            https://example.org/simple/
            http://trusted.org/simple/
            http://localhost:8080/simple/
            http://127.0.0.1:8080/simple/
            http://[::1]:8080/simple/
            file:///srv/simple/
            ");
    }

    #[test]
    fn setup_errors_name_the_file_or_proxy() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        fs_err::write(&empty, "not a certificate\n").unwrap();
        let missing = dir.path().join("missing.pem");
        let errors = [
            ClientOptions {
                cert: Some(empty.clone()),
                ..ClientOptions::default()
            },
            ClientOptions {
                extra_root_certificates: vec![missing.clone()],
                ..ClientOptions::default()
            },
            ClientOptions {
                client_cert: Some(empty),
                ..ClientOptions::default()
            },
            ClientOptions {
                proxy: Some("http://user:secret@proxy host:3128".to_string()),
                ..ClientOptions::default()
            },
            ClientOptions {
                trusted_hosts: vec!["a b".to_string()],
                ..ClientOptions::default()
            },
        ]
        .map(|options| {
            // Made on the first request: that is where the settings' errors show.
            let url = Url::parse("https://example.org/simple/").unwrap();
            Transport::new(&options)
                .and_then(|transport| transport.client_for(&url).map(drop))
                .unwrap_err()
                .to_string()
                .replace(&dir.path().display().to_string(), "[DIR]")
        });
        insta::assert_snapshot!(errors.join("\n"), @r#"
            failed to read root certificates from "[DIR]/empty.pem": no certificate in it
            failed to read root certificates from "[DIR]/missing.pem": failed to open file `[DIR]/missing.pem`: No such file or directory (os error 2)
            failed to read the client certificate and key from "[DIR]/empty.pem": builder error: unexpected error: private key or certificate not found
            invalid proxy "<a proxy with credentials>": builder error: invalid international domain name
            invalid trusted host "a b": expected HOST or HOST:PORT (invalid domain character)
            "#);
    }
}
