//! What the binary decides about the network: indexes and find-links locations, connection
//! limit, retries, timeouts, how the cache may be used (`--refresh`, `--offline`), credentials
//! (`.netrc`, keyring) and transport (`--cert`, `--client-cert`, `--trusted-host`, `--proxy`).
//!
//! Where a project's files come from: with [`IndexStrategy::FirstIndex`] (the default), from
//! the first of [`ClientOptions::index_urls`] that has the project, so that a public index
//! listed after a private one cannot hijack a private name by publishing a higher version
//! (dependency confusion); with [`IndexStrategy::UnsafeBestMatch`], from every index that has
//! it, merged, as pip does. The files of every [`ClientOptions::find_links`] location are added
//! in both cases; with [`ClientOptions::no_index`] they are all there is. See
//! `docs/indexes.md`.
//!
//! Nothing here reads the environment: the binary passes `$NETRC` (or `~/.netrc`),
//! `SSL_CERT_FILE` and the rest in. `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` are
//! the exception: reqwest reads them itself when it builds its client (its `system-proxy`
//! feature), unless [`ClientOptions::proxy`] is given.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;
use volley_packaging::PackageName;

use crate::{FindLinks, KeyringProvider, redact};

/// The index pip uses when none is given.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// Settings of a [`RegistryClient`](crate::RegistryClient). Its `Debug` output hides the
/// credentials of index URLs and of the proxy.
#[derive(Clone)]
pub struct ClientOptions {
    /// The indexes, in order: `--index-url` first, then each `--extra-index-url`. Which of them
    /// a project's files come from is decided by [`Self::index_strategy`]. An index URL may
    /// carry credentials (`https://user:password@host/simple`): they are sent to that host
    /// only, and never shown (see [`crate::redact`]).
    pub index_urls: Vec<Url>,
    /// Ignore [`Self::index_urls`]: projects come from [`Self::find_links`] only (`--no-index`).
    pub no_index: bool,
    /// How the files of a project are gathered when several indexes have it
    /// (`--index-strategy`).
    pub index_strategy: IndexStrategy,
    /// Local directories, HTML files and HTML pages whose distribution files are added to
    /// every project's files, whatever the index strategy (`--find-links`, repeatable).
    pub find_links: Vec<FindLinks>,
    /// The most HTTP requests in flight at once (at least 1; 0 counts as 1).
    pub max_connections: usize,
    /// How often a transient failure (connection error, timeout, 5xx, 429) is retried.
    pub retries: u32,
    /// The longest wait for data on an open connection (pip's `--timeout`).
    pub timeout: Duration,
    /// The longest wait for a connection to open.
    pub connect_timeout: Duration,
    pub user_agent: String,
    /// PEM files whose certificates are trusted in addition to the system's (e.g. the value
    /// of `SSL_CERT_FILE`, read by the binary). Not used when [`Self::cert`] is given.
    pub extra_root_certificates: Vec<PathBuf>,
    /// A PEM bundle of the only certificate authorities trusted (`--cert`): as in pip
    /// (requests' `verify=PATH`), it replaces the system's certificates rather than adding to
    /// them.
    pub cert: Option<PathBuf>,
    /// A PEM file holding a client certificate and its private key, presented to servers that
    /// ask for one (`--client-cert`).
    pub client_cert: Option<PathBuf>,
    /// Hosts (`HOST` or `HOST:PORT`) reached even over plain HTTP, and whose TLS certificates
    /// are not checked (`--trusted-host`, repeatable). A host without a port matches every port.
    pub trusted_hosts: Vec<String>,
    /// A proxy for every request (`--proxy`, `[scheme://][user:password@]host:port`). Without
    /// it, reqwest honours `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`.
    pub proxy: Option<String>,
    /// The netrc file to read credentials from for hosts whose URLs carry none (the binary
    /// passes `$NETRC`, or `~/.netrc`). A missing file is no error.
    pub netrc: Option<PathBuf>,
    /// Whether the `keyring` command is asked for credentials (`--keyring-provider`).
    pub keyring_provider: KeyringProvider,
    /// The `keyring` command to run (a name looked up on `PATH`, or a path).
    pub keyring_command: PathBuf,
    /// Index pages to revalidate even while their stored copy is fresh (`--refresh`,
    /// `--refresh-package NAME`).
    pub refresh: Refresh,
    /// Make no network request at all (`--offline`): index pages come from the cache as stored
    /// (fresh or stale), metadata and files from the cache, and whatever is missing fails with
    /// [`ClientError::Offline`](crate::ClientError::Offline). `file://` indexes and files are
    /// still read.
    pub offline: bool,
    /// The most bytes an index page or a `.metadata` file may have once decoded (they are read
    /// into memory; a gzip body may inflate far beyond its size on the wire). A larger one fails
    /// with [`ClientError::BodyTooLarge`](crate::ClientError::BodyTooLarge) and is not stored.
    pub max_body_size: u64,
    /// The slowest a response body may arrive, in bytes per second, averaged over each period
    /// of [`Self::timeout`]: a slower one (a trickle that never trips the idle timeout) fails
    /// with [`ClientError::TooSlow`](crate::ClientError::TooSlow) and is retried. 0 turns the
    /// check off.
    pub min_transfer_rate: u64,
}

/// The default [`ClientOptions::max_body_size`]: PyPI's largest project pages are a few MB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 128 * 1024 * 1024;
/// The default [`ClientOptions::min_transfer_rate`]: 100 bytes/s. Low on purpose: many
/// downloads share a slow link (32 of them on 256 kbit/s get about 1 KiB/s each), and a false
/// alarm costs a retry; a trickle meant to hold volley forever sends far less.
pub const DEFAULT_MIN_TRANSFER_RATE: u64 = 100;

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index_urls: Vec<String> = self.index_urls.iter().map(redact).collect();
        let proxy = self.proxy.as_deref().map(|proxy| match Url::parse(proxy) {
            Ok(url) => redact(&url),
            Err(_) => "<not a URL>".to_string(),
        });
        f.debug_struct("ClientOptions")
            .field("index_urls", &index_urls)
            .field("no_index", &self.no_index)
            .field("index_strategy", &self.index_strategy)
            .field("find_links", &self.find_links)
            .field("max_connections", &self.max_connections)
            .field("retries", &self.retries)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("extra_root_certificates", &self.extra_root_certificates)
            .field("cert", &self.cert)
            .field("client_cert", &self.client_cert)
            .field("trusted_hosts", &self.trusted_hosts)
            .field("proxy", &proxy)
            .field("netrc", &self.netrc)
            .field("keyring_provider", &self.keyring_provider)
            .field("keyring_command", &self.keyring_command)
            .field("refresh", &self.refresh)
            .field("offline", &self.offline)
            .field("max_body_size", &self.max_body_size)
            .field("min_transfer_rate", &self.min_transfer_rate)
            .finish()
    }
}

/// Which stored index pages must be revalidated with the index even when still fresh.
/// Metadata and files are immutable (keyed by their hash) and are never refreshed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Refresh {
    /// Fresh pages are used without a request (the default).
    #[default]
    None,
    /// Every page (`--refresh`).
    All,
    /// The pages of these projects (`--refresh-package NAME`, repeatable).
    Packages(Vec<PackageName>),
}

impl Refresh {
    /// Whether the page of `name` must be revalidated.
    pub fn includes(&self, name: &PackageName) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Packages(names) => names.contains(name),
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            index_urls: vec![
                Url::parse(DEFAULT_INDEX_URL).expect("the default index URL is valid"),
            ],
            max_connections: 32,
            retries: 5,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(15),
            user_agent: format!("volley/{}", env!("CARGO_PKG_VERSION")),
            extra_root_certificates: Vec::new(),
            cert: None,
            client_cert: None,
            trusted_hosts: Vec::new(),
            proxy: None,
            netrc: None,
            keyring_provider: KeyringProvider::Disabled,
            keyring_command: PathBuf::from("keyring"),
            refresh: Refresh::None,
            offline: false,
            no_index: false,
            index_strategy: IndexStrategy::FirstIndex,
            find_links: Vec::new(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            min_transfer_rate: DEFAULT_MIN_TRANSFER_RATE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_credentials() {
        let options = ClientOptions {
            index_urls: vec![Url::parse("https://user:s3cret@example.org/simple").unwrap()],
            find_links: vec![FindLinks::Url(
                Url::parse("https://user:s3cret@example.org/links.html").unwrap(),
            )],
            proxy: Some("http://user:s3cret@proxy:3128".to_string()),
            ..ClientOptions::default()
        };
        let debug = format!("{options:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(
            debug.contains("https://user:****@example.org/simple"),
            "{debug}"
        );
    }
}

/// Which indexes the files of a project come from, when several are configured.
/// [`ClientOptions::find_links`] locations are added to every project either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IndexStrategy {
    /// A project's files come from the first index that has the project, in the order given
    /// (`--index-strategy first-index`, the default). This protects against dependency
    /// confusion: a project published on an extra index under the name of a private one
    /// cannot replace it, whatever its version.
    #[default]
    FirstIndex,
    /// The files of every index that has the project are merged, and the best version wins
    /// wherever it comes from (`--index-strategy unsafe-best-match`): pip's behaviour, unsafe
    /// when an extra index is public and a name on the first one is private.
    UnsafeBestMatch,
}
