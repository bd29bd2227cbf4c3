//! What the binary decides about the network: indexes, connection limit, retries, timeouts.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// The index pip uses when none is given.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// Settings of a [`RegistryClient`](crate::RegistryClient).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The indexes, in order: `--index-url` first, then each `--extra-index-url`. A project is
    /// taken from the first index that has it.
    pub index_urls: Vec<Url>,
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
    /// of `SSL_CERT_FILE`, read by the binary).
    pub extra_root_certificates: Vec<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            index_urls: vec![
                Url::parse(DEFAULT_INDEX_URL).expect("the default index URL is valid"),
            ],
            max_connections: 16,
            retries: 5,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(15),
            user_agent: format!("volley/{}", env!("CARGO_PKG_VERSION")),
            extra_root_certificates: Vec::new(),
        }
    }
}
