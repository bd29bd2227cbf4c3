//! The crate's one error type.
//!
//! Results are shared between every caller waiting on the same fetch, so the error is `Clone`:
//! foreign errors are kept as their message (reqwest's source chain) or behind an `Arc`.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::StatusCode;
use url::Url;
use volley_cache::CacheError;
use volley_packaging::PackageName;

/// A fetch that failed. Every variant names the URL (or the file) involved.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("failed to set up the HTTP client: {reason}")]
    Setup { reason: String },
    #[error("failed to read root certificates from \"{}\": {reason}", path.display())]
    Certificate { path: PathBuf, reason: String },
    #[error("failed to fetch {url}: {reason}")]
    Network { url: Url, reason: String },
    #[error("request to {url} failed with HTTP {status}")]
    Status { url: Url, status: StatusCode },
    #[error("package \"{name}\" was not found in {}", describe_indexes(indexes))]
    ProjectNotFound {
        name: PackageName,
        indexes: Vec<Url>,
    },
    #[error("invalid index page {url}: {reason}")]
    InvalidPage { url: Url, reason: String },
    #[error("hash mismatch for {url}: expected sha256:{expected}, got sha256:{actual}")]
    HashMismatch {
        url: Url,
        /// Lowercase hex.
        expected: Box<str>,
        /// Lowercase hex.
        actual: Box<str>,
    },
    #[error("invalid metadata in {url}: {reason}")]
    InvalidMetadata { url: Url, reason: String },
    #[error("failed to read the wheel {url}: {reason}")]
    InvalidWheel { url: Url, reason: String },
    #[error(
        "{url} is a source distribution without a .metadata file, so its metadata needs a build"
    )]
    MetadataNeedsBuild { url: Url },
    #[error("failed to store {url} in the cache")]
    Cache {
        url: Url,
        #[source]
        source: Arc<CacheError>,
    },
    #[error("a disk operation failed for {url}")]
    Io {
        url: Url,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("the fetch of {url} was cancelled")]
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

fn describe_indexes(indexes: &[Url]) -> String {
    match indexes {
        [] => "any index".to_string(),
        [one] => format!("the index {one}"),
        many => format!(
            "any of the indexes {}",
            many.iter().map(Url::as_str).collect::<Vec<_>>().join(", ")
        ),
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
            },
            ClientError::ProjectNotFound {
                name,
                indexes: vec![
                    Url::parse("https://pypi.org/simple").unwrap(),
                    Url::parse("https://example.org/simple").unwrap(),
                ],
            },
            ClientError::HashMismatch {
                url: url.clone(),
                expected: "00ff".into(),
                actual: "ff00".into(),
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
        package "flask" was not found in any of the indexes https://pypi.org/simple, https://example.org/simple
        hash mismatch for https://example.org/simple/flask/: expected sha256:00ff, got sha256:ff00
        the fetch of https://example.org/simple/flask/ was cancelled
        the index page of "flask" is not in the cache (offline)
        flask-3.0.0-py3-none-any.whl is not in the cache (offline)
        "#);
    }
}
