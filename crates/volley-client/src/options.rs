//! What the binary decides about the network: indexes, connection limit, retries, timeouts,
//! and how the cache may be used (`--refresh`, `--offline`).

use std::path::PathBuf;
use std::time::Duration;

use url::Url;
use volley_packaging::PackageName;

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
    /// Index pages to revalidate even while their stored copy is fresh (`--refresh`,
    /// `--refresh-package NAME`).
    pub refresh: Refresh,
    /// Make no network request at all (`--offline`): index pages come from the cache as stored
    /// (fresh or stale), metadata and files from the cache, and whatever is missing fails with
    /// [`ClientError::Offline`](crate::ClientError::Offline). `file://` indexes and files are
    /// still read.
    pub offline: bool,
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
            max_connections: 16,
            retries: 5,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(15),
            user_agent: format!("volley/{}", env!("CARGO_PKG_VERSION")),
            extra_root_certificates: Vec::new(),
            refresh: Refresh::None,
            offline: false,
        }
    }
}
