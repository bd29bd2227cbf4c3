//! The crate's one error type.
//!
//! Results are shared between every caller waiting on the same fetch, so the error is `Clone`:
//! foreign errors are kept as their message (reqwest's source chain) or behind an `Arc`.
//!
//! Every URL in a message goes through [`redact`]: the client's URLs carry no credentials (they
//! are taken out before any request), but a link on a page may, and configured index URLs do.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::StatusCode;
use url::Url;
use volley_cache::CacheError;
use volley_packaging::PackageName;

use crate::credentials::redact;

/// A fetch that failed, or a setting the client could not use. Every variant names the URL
/// (or the file) involved.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("failed to set up the HTTP client: {reason}")]
    Setup { reason: String },
    #[error("failed to read root certificates from \"{}\": {reason}", path.display())]
    Certificate { path: PathBuf, reason: String },
    #[error("failed to read the client certificate and key from \"{}\": {reason}", path.display())]
    ClientCertificate { path: PathBuf, reason: String },
    /// `proxy` is shown with its password hidden.
    #[error("invalid proxy \"{proxy}\": {reason}")]
    Proxy { proxy: String, reason: String },
    #[error("invalid trusted host \"{value}\": {reason}")]
    TrustedHost { value: String, reason: String },
    #[error("invalid find-links location \"{location}\": {reason}")]
    FindLinks { location: String, reason: String },
    #[error(
        "refusing to fetch the index page {} over plain HTTP: \"{}\" is not a trusted host (use https, or trust the host)",
        redact(url),
        url.host_str().unwrap_or_default()
    )]
    InsecureHost { url: Url },
    #[error("failed to fetch {}: {reason}", redact(url))]
    Network { url: Url, reason: String },
    #[error("request to {} failed with HTTP {status}", redact(url))]
    Status { url: Url, status: StatusCode },
    /// `indexes` are the configured index URLs (credentials hidden, see [`redact`]), and
    /// `find_links` the find-links locations as shown; both empty when nothing was searched.
    #[error(
        "package \"{name}\" was not found in {}",
        describe_sources(indexes, find_links)
    )]
    ProjectNotFound {
        name: PackageName,
        indexes: Vec<Url>,
        find_links: Vec<String>,
    },
    #[error("invalid index page {}: {reason}", redact(url))]
    InvalidPage { url: Url, reason: String },
    #[error("hash mismatch for {}: expected {expected}, got {actual}", redact(url))]
    HashMismatch {
        url: Url,
        /// `<algorithm>:<lowercase hex>`.
        expected: Box<str>,
        /// `<algorithm>:<lowercase hex>`, in the same algorithm.
        actual: Box<str>,
    },
    #[error(
        "the response from {} is larger than {} once decoded; an index page or metadata file \
         that large is most likely hostile (raise the limit with VOLLEY_MAX_BODY_SIZE if it is not)",
        redact(url),
        human_bytes(*limit)
    )]
    BodyTooLarge { url: Url, limit: u64 },
    #[error(
        "the response from {} arrived at {rate} bytes/s over {seconds}s, below the minimum of \
         {minimum} bytes/s (change it with VOLLEY_MIN_TRANSFER_RATE, 0 to turn the check off)",
        redact(url)
    )]
    TooSlow {
        url: Url,
        rate: u64,
        minimum: u64,
        seconds: u64,
    },
    #[error("invalid metadata in {}: {reason}", redact(url))]
    InvalidMetadata { url: Url, reason: String },
    #[error("failed to read the wheel {}: {reason}", redact(url))]
    InvalidWheel { url: Url, reason: String },
    #[error(
        "{} is a source distribution without a .metadata file, so its metadata needs a build",
        redact(url)
    )]
    MetadataNeedsBuild { url: Url },
    #[error("failed to store {} in the cache: {source}", redact(url))]
    Cache {
        url: Url,
        #[source]
        source: Arc<CacheError>,
    },
    #[error(
        "a disk operation failed for {}{}: {source}",
        redact(url),
        path.as_ref().map(|path| format!(" on \"{}\"", path.display())).unwrap_or_default()
    )]
    Io {
        url: Url,
        /// The file, when the error is about one.
        path: Option<Box<std::path::Path>>,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("the fetch of {} was cancelled", redact(url))]
    Cancelled { url: Url },
    /// In offline mode, something that would need a request: `what` names it (`the index page
    /// of "flask"`, `the metadata of flask-3.0.0-py3-none-any.whl`, a file name).
    #[error("{what} is not in the cache (offline)")]
    Offline { what: String },
}

impl ClientError {
    /// A network error, with reqwest's source chain flattened into the message.
    pub(crate) fn network(url: &Url, error: &reqwest::Error) -> Self {
        Self::Network {
            url: url.clone(),
            reason: reqwest_reason(error),
        }
    }

    pub(crate) fn cache(url: &Url, error: CacheError) -> Self {
        Self::Cache {
            url: url.clone(),
            source: Arc::new(error),
        }
    }

    pub(crate) fn io(url: &Url, error: std::io::Error) -> Self {
        Self::Io {
            url: url.clone(),
            path: None,
            source: Arc::new(error),
        }
    }

    /// [`Self::io`] for an error about the file at `path`.
    pub(crate) fn io_at(url: &Url, path: &std::path::Path, error: std::io::Error) -> Self {
        Self::Io {
            url: url.clone(),
            path: Some(path.into()),
            source: Arc::new(error),
        }
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// reqwest's message without the URL (ours names it already), then each source in turn.
fn reqwest_reason(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let top = error.to_string();
    let top = match error.url() {
        Some(url) => top
            .replace(&format!(" for url ({url})"), "")
            .replace(&format!(" ({url})"), ""),
        None => top,
    };
    parts.push(top);
    let mut source = std::error::Error::source(error);
    while let Some(error) = source {
        let text = error.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = error.source();
    }
    parts.join(": ")
}

fn describe_sources(indexes: &[Url], find_links: &[String]) -> String {
    let indexes = match indexes {
        [] => None,
        [one] => Some(format!("the index {}", redact(one))),
        many => Some(format!(
            "any of the indexes {}",
            many.iter().map(redact).collect::<Vec<_>>().join(", ")
        )),
    };
    let find_links = match find_links {
        [] => None,
        [one] => Some(format!("the find-links location {one}")),
        many => Some(format!("the find-links locations {}", many.join(", "))),
    };
    match (indexes, find_links) {
        (None, None) => "any index or find-links location (none is configured)".to_string(),
        (Some(one), None) | (None, Some(one)) => one,
        (Some(indexes), Some(find_links)) => format!("{indexes} or {find_links}"),
    }
}

/// `128 MiB`, `512 KiB`, `100 bytes`.
fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn messages_name_the_url() {
        let url = Url::parse("https://example.org/simple/flask/").unwrap();
        let name = PackageName::from_str("Flask").unwrap();
        let errors = [
            ClientError::Status {
                url: url.clone(),
                status: StatusCode::NOT_FOUND,
            },
            ClientError::ProjectNotFound {
                name: name.clone(),
                indexes: vec![Url::parse("https://pypi.org/simple").unwrap()],
                find_links: Vec::new(),
            },
            ClientError::ProjectNotFound {
                name: name.clone(),
                indexes: vec![
                    Url::parse("https://pypi.org/simple").unwrap(),
                    Url::parse("https://user:secret@example.org/simple").unwrap(),
                ],
                find_links: Vec::new(),
            },
            ClientError::ProjectNotFound {
                name: name.clone(),
                indexes: vec![Url::parse("https://token@example.org/simple").unwrap()],
                find_links: vec!["/srv/wheels".to_string()],
            },
            ClientError::ProjectNotFound {
                name: name.clone(),
                indexes: Vec::new(),
                find_links: vec![
                    "/srv/wheels".to_string(),
                    "https://example.org/links.html".to_string(),
                ],
            },
            ClientError::ProjectNotFound {
                name,
                indexes: Vec::new(),
                find_links: Vec::new(),
            },
            ClientError::Network {
                url: Url::parse("https://user:secret@example.org/f.whl").unwrap(),
                reason: "connection reset".to_string(),
            },
            ClientError::InsecureHost {
                url: Url::parse("http://example.org/simple/flask/").unwrap(),
            },
            ClientError::HashMismatch {
                url: url.clone(),
                expected: "sha256:00ff".into(),
                actual: "sha256:ff00".into(),
            },
            ClientError::Cancelled { url },
            ClientError::Offline {
                what: "the index page of \"flask\"".to_string(),
            },
            ClientError::Offline {
                what: "flask-3.0.0-py3-none-any.whl".to_string(),
            },
        ];
        let text = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(text, @r#"
            request to https://example.org/simple/flask/ failed with HTTP 404 Not Found
            package "flask" was not found in the index https://pypi.org/simple
            package "flask" was not found in any of the indexes https://pypi.org/simple, https://user:****@example.org/simple
            package "flask" was not found in the index https://****@example.org/simple or the find-links location /srv/wheels
            package "flask" was not found in the find-links locations /srv/wheels, https://example.org/links.html
            package "flask" was not found in any index or find-links location (none is configured)
            failed to fetch https://user:****@example.org/f.whl: connection reset
            refusing to fetch the index page http://example.org/simple/flask/ over plain HTTP: "example.org" is not a trusted host (use https, or trust the host)
            hash mismatch for https://example.org/simple/flask/: expected sha256:00ff, got sha256:ff00
            the fetch of https://example.org/simple/flask/ was cancelled
            the index page of "flask" is not in the cache (offline)
            flask-3.0.0-py3-none-any.whl is not in the cache (offline)
            "#);
    }
}
