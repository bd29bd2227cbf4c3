//! Index pages kept between runs, revalidated with the server's validators.
//!
//! Like pip (which sends `Cache-Control: max-age=0`), volley never trusts a stored page without
//! asking the index: it sends `If-None-Match` / `If-Modified-Since` from the stored response, and
//! on `304 Not Modified` parses the stored body instead of downloading it again. Pages whose
//! response had neither an `ETag` nor a `Last-Modified` are not stored.
//!
//! Layout (in [`CacheBucket::Simple`]): `simple-v1/<cache_key(index URL)>/<name>.page`, one file:
//! a JSON line (the page URL after redirects, its content type and validators) then the raw
//! body. Written atomically; an unreadable entry counts as absent.

use std::path::PathBuf;

use reqwest::header::{
    CACHE_CONTROL, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use serde::{Deserialize, Serialize};
use url::Url;
use volley_cache::{Cache, CacheBucket, cache_key, write_atomic};
use volley_packaging::PackageName;

use crate::http::Fetched;

/// A stored page response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPage {
    pub(crate) header: StoredHeader,
    pub(crate) body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredHeader {
    /// The page URL after redirects (relative links resolve against it).
    pub(crate) url: String,
    pub(crate) content_type: Option<String>,
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
}

/// Where the page of `name` on `index` is stored.
pub(crate) fn path(cache: &Cache, index: &Url, name: &PackageName) -> PathBuf {
    cache.entry(
        CacheBucket::Simple,
        format!("{}/{name}.page", cache_key(index.as_str())),
    )
}

impl StoredPage {
    /// The page of a 200 response, if it has validators worth storing.
    pub(crate) fn from_response(fetched: &Fetched) -> Option<Self> {
        let etag = fetched.header(ETAG).map(str::to_string);
        let last_modified = fetched.header(LAST_MODIFIED).map(str::to_string);
        if etag.is_none() && last_modified.is_none() {
            return None;
        }
        Some(Self {
            header: StoredHeader {
                url: fetched.url.to_string(),
                content_type: fetched
                    .header(reqwest::header::CONTENT_TYPE)
                    .map(str::to_string),
                etag,
                last_modified,
            },
            body: fetched.bytes.to_vec(),
        })
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(&self.header).expect("a page header serializes");
        bytes.push(b'\n');
        bytes.extend_from_slice(&self.body);
        bytes
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let newline = bytes.iter().position(|&byte| byte == b'\n')?;
        let header = serde_json::from_slice(&bytes[..newline]).ok()?;
        Some(Self {
            header,
            body: bytes[newline + 1..].to_vec(),
        })
    }

    /// The request headers that ask the server whether this page is still current.
    pub(crate) fn conditional_headers(&self, headers: &mut HeaderMap) {
        if let Some(value) = self
            .header
            .etag
            .as_deref()
            .and_then(|etag| HeaderValue::from_str(etag).ok())
        {
            headers.insert(IF_NONE_MATCH, value);
        }
        if let Some(value) = self
            .header
            .last_modified
            .as_deref()
            .and_then(|date| HeaderValue::from_str(date).ok())
        {
            headers.insert(IF_MODIFIED_SINCE, value);
        }
    }

    pub(crate) fn url(&self) -> Option<Url> {
        Url::parse(&self.header.url).ok()
    }
}

/// Read the stored page at `path`, if there is a usable one.
pub(crate) async fn load(path: &PathBuf) -> Option<StoredPage> {
    let bytes = tokio::fs::read(path).await.ok()?;
    let page = StoredPage::decode(&bytes);
    if page.is_none() {
        tracing::debug!("ignoring the unreadable cached page {}", path.display());
    }
    page
}

/// Store `page` at `path`; a failure only costs a download next time.
pub(crate) async fn store(path: PathBuf, page: StoredPage) {
    let written = tokio::task::spawn_blocking(move || write_atomic(&path, &page.encode()))
        .await
        .expect("writing a file does not panic");
    if let Err(error) = written {
        tracing::debug!("failed to cache a page: {error}");
    }
}

/// Page requests always revalidate, as pip's do.
pub(crate) fn revalidate(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=0"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let page = StoredPage {
            header: StoredHeader {
                url: "https://example.org/simple/foo/".to_string(),
                content_type: Some("text/html".to_string()),
                etag: Some("\"abc\"".to_string()),
                last_modified: None,
            },
            body: b"<a href=\"x\">\n</a>\n".to_vec(),
        };
        assert_eq!(StoredPage::decode(&page.encode()), Some(page.clone()));
        assert_eq!(StoredPage::decode(b"not json\nbody"), None);
        let mut headers = HeaderMap::new();
        page.conditional_headers(&mut headers);
        assert_eq!(headers.get(IF_NONE_MATCH).unwrap(), "\"abc\"");
        assert!(headers.get(IF_MODIFIED_SINCE).is_none());
    }
}
