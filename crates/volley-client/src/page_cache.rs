//! Index pages kept between runs, reused and revalidated by HTTP cache semantics (RFC 9111).
//!
//! A stored page keeps the response headers that decide its caching ([`KEPT_HEADERS`]) and the
//! time it arrived; the `http-cache-semantics` [`CachePolicy`] is rebuilt from them on load.
//! Then, for the next run:
//! - **fresh** (younger than its `Cache-Control: max-age`, or before its `Expires`, counting the
//!   `Age` it arrived with): used without any request;
//! - **stale**, or stored with `Cache-Control: no-cache`, or named by `--refresh`: revalidated
//!   with `If-None-Match` (its `ETag`) and `If-Modified-Since` (its `Last-Modified`); a
//!   `304 Not Modified` reuses the stored body and stores the 304's headers (a new lifetime);
//! - **`no-store`**: never stored, and a copy stored earlier is removed;
//! - **offline**: used as stored, fresh or stale.
//!
//! Choices: the cache is private (`private` pages are stored, `s-maxage` is ignored), and there
//! is no heuristic freshness: a page without `max-age` or `Expires` is revalidated on every
//! run, as pip does, even when it has a `Last-Modified` (static file servers send one). Pages
//! without validators are stored too (offline mode uses them), and refetched whole when stale.
//!
//! Layout ([`CacheBucket::Simple`]): `simple-v1/<cache_key(index URL)>/<name>.json`, one JSON
//! document ([`Entry`], format [`FORMAT`]): the URL asked for, the page URL after redirects,
//! the request's `Accept`, the response status, kept headers and arrival time, and the body as
//! text. Written atomically. An entry that does not decode (truncated, edited, another format
//! version, another URL) counts as absent, and the next fetch replaces it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{
    ACCEPT, AGE, CACHE_CONTROL, CONTENT_TYPE, DATE, ETAG, EXPIRES, HeaderMap, HeaderName,
    HeaderValue, LAST_MODIFIED, PRAGMA, VARY,
};
use http::{Method, Request, Response, StatusCode, Uri};
use http_cache_semantics::{AfterResponse, BeforeRequest, CacheOptions, CachePolicy};
use serde::{Deserialize, Serialize};
use url::Url;
use volley_cache::{Cache, CacheBucket, cache_key, write_atomic};
use volley_packaging::PackageName;

use crate::blocking::{run_blocking, run_blocking_bounded};
use crate::http::Fetched;
use crate::page::PAGE_ACCEPT;

/// The version of the entry format; an entry of another version is ignored (and replaced).
/// Version 1 was `<name>.page`: a JSON line with the validators, then the raw body.
const FORMAT: u32 = 2;

/// The response headers an entry keeps: those that decide caching, and the content type.
const KEPT_HEADERS: [HeaderName; 9] = [
    CACHE_CONTROL,
    EXPIRES,
    DATE,
    AGE,
    ETAG,
    LAST_MODIFIED,
    VARY,
    PRAGMA,
    CONTENT_TYPE,
];

/// Where the page of `name` on `index` is stored.
pub(crate) fn path(cache: &Cache, index: &Url, name: &PackageName) -> PathBuf {
    cache.entry(
        CacheBucket::Simple,
        format!("{}/{name}.json", cache_key(index.as_str())),
    )
}

/// Where the remote find-links page at `url` is stored (`_` keeps the name apart from every
/// normalized project name).
pub(crate) fn find_links_path(cache: &Cache, url: &Url) -> PathBuf {
    cache.entry(
        CacheBucket::Simple,
        format!("{}/_find-links.json", cache_key(url.as_str())),
    )
}

/// How volley asks for a page (before validators): `GET <url>` with `Accept`.
pub(crate) struct PageRequest {
    url: Url,
    headers: HeaderMap,
    /// The same request as the cache policy sees it; `None` for a URL that `http` cannot
    /// represent (such a page is never stored).
    parts: Option<http::request::Parts>,
}

impl PageRequest {
    pub(crate) fn new(url: &Url) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(PAGE_ACCEPT));
        let parts = request_parts(url.as_str(), headers.clone());
        Self {
            url: url.clone(),
            headers,
            parts,
        }
    }

    /// A request for an HTML page of links (a find-links location).
    pub(crate) fn html(url: &Url) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("text/html"));
        let parts = request_parts(url.as_str(), headers.clone());
        Self {
            url: url.clone(),
            headers,
            parts,
        }
    }

    /// The headers of an unconditional request.
    pub(crate) fn headers(&self) -> HeaderMap {
        self.headers.clone()
    }
}

/// What to do with a stored page.
pub(crate) enum Freshness {
    /// Use it as it is.
    Fresh,
    /// Ask the index with these headers (validators included); a 304 means it is current.
    Revalidate(HeaderMap),
}

/// A stored page response with its cache policy.
#[derive(Debug)]
pub(crate) struct StoredPage {
    entry: Entry,
    policy: CachePolicy,
}

/// The stored form of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// The URL asked for.
    request_url: String,
    /// The page URL after redirects (relative links resolve against it).
    url: String,
    request_headers: Vec<(String, String)>,
    status: u16,
    /// The [`KEPT_HEADERS`] of the response.
    response_headers: Vec<(String, String)>,
    /// When the response arrived, in milliseconds since the Unix epoch.
    response_time: u64,
    /// The body; pages are text (HTML or JSON), read as UTF-8 with replacement.
    body: String,
}

impl StoredPage {
    /// The page of a 200 response to `request`; `None` when it must not be stored
    /// (`no-store`), or cannot be described to the cache policy.
    pub(crate) fn from_response(
        request: &PageRequest,
        fetched: &Fetched,
        now: SystemTime,
    ) -> Option<Self> {
        let entry = Entry {
            format: FORMAT,
            request_url: request.url.to_string(),
            url: fetched.url.to_string(),
            request_headers: header_pairs(&request.headers, None),
            status: fetched.status.as_u16(),
            response_headers: header_pairs(&fetched.headers, Some(&KEPT_HEADERS)),
            response_time: millis_since_epoch(now),
            body: String::from_utf8_lossy(&fetched.bytes).into_owned(),
        };
        let page = Self::from_entry(entry)?;
        page.policy.is_storable().then_some(page)
    }

    fn from_entry(entry: Entry) -> Option<Self> {
        let policy = policy_of(&entry)?;
        Some(Self { entry, policy })
    }

    /// Whether this page can be used for `request` as it is, or must be revalidated (always,
    /// when `force`).
    pub(crate) fn freshness(
        &self,
        request: &PageRequest,
        force: bool,
        now: SystemTime,
    ) -> Freshness {
        let Some(mut presented) = request.parts.clone() else {
            return Freshness::Revalidate(request.headers());
        };
        if force {
            presented
                .headers
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        match self.policy.before_request(&presented, now) {
            BeforeRequest::Fresh(_) => Freshness::Fresh,
            BeforeRequest::Stale { request, .. } => Freshness::Revalidate(request.headers),
        }
    }

    /// This page after the index answered `304 Not Modified` (`fetched`) to a revalidation:
    /// the same body with the 304's headers merged in and a new arrival time. The flag says
    /// whether it changed; it does not when the 304's validators do not match the stored
    /// ones (RFC 9111 section 4.3.4), in which case the body is still used, as the index asked,
    /// but the stored entry is left as it was.
    pub(crate) fn revalidated(
        self,
        request: &PageRequest,
        fetched: &Fetched,
        now: SystemTime,
    ) -> (Self, bool) {
        let Some(presented) = &request.parts else {
            return (self, false);
        };
        let mut response = Response::new(());
        *response.status_mut() = fetched.status;
        *response.headers_mut() = fetched.headers.clone();
        if !matches!(
            self.policy.after_response(presented, &response, now),
            AfterResponse::NotModified(..)
        ) {
            return (self, false);
        }
        // RFC 9111 section 3.2: each header field of the 304 replaces the stored ones of its
        // name, or is added. (`http-cache-semantics` only replaces, so a lifetime that the
        // index adds later would never be seen.) `Age` is the 304's own (none means new), and
        // the body keeps its `Content-Type`.
        let updates: Vec<(String, String)> = header_pairs(&fetched.headers, Some(&KEPT_HEADERS))
            .into_iter()
            .filter(|(name, _)| name != CONTENT_TYPE.as_str())
            .collect();
        let mut response_headers: Vec<(String, String)> = self
            .entry
            .response_headers
            .into_iter()
            .filter(|(name, _)| {
                name != AGE.as_str() && !updates.iter().any(|(updated, _)| updated == name)
            })
            .collect();
        response_headers.extend(updates);
        let entry = Entry {
            request_headers: header_pairs(&request.headers, None),
            response_headers,
            response_time: millis_since_epoch(now),
            ..self.entry
        };
        match policy_of(&entry) {
            Some(policy) => (Self { entry, policy }, true),
            None => (
                Self {
                    entry,
                    policy: self.policy,
                },
                false,
            ),
        }
    }

    /// Whether the response may be stored (a 304 may have brought `no-store`).
    pub(crate) fn is_storable(&self) -> bool {
        self.policy.is_storable()
    }

    /// The page URL after redirects.
    pub(crate) fn url(&self) -> Option<Url> {
        Url::parse(&self.entry.url).ok()
    }

    pub(crate) fn content_type(&self) -> Option<&str> {
        self.entry
            .response_headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(CONTENT_TYPE.as_str()))
            .map(|(_, value)| value.as_str())
    }

    #[cfg(test)]
    fn body(&self) -> &str {
        &self.entry.body
    }

    pub(crate) fn into_body(self) -> String {
        self.entry.body
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&self.entry).expect("a page entry serializes")
    }

    /// The entry in `bytes`, if it is one of this format, for `url`.
    fn decode(bytes: &[u8], url: &Url) -> Option<Self> {
        let entry: Entry = serde_json::from_slice(bytes).ok()?;
        if entry.format != FORMAT || entry.request_url != url.as_str() {
            return None;
        }
        Self::from_entry(entry)
    }
}

/// The stored page of `url` at `path`, if there is a usable one.
pub(crate) async fn load(path: PathBuf, url: &Url) -> Option<StoredPage> {
    let url = url.clone();
    run_blocking_bounded(move || {
        let bytes = match fs_err::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                if error.kind() != std::io::ErrorKind::NotFound {
                    tracing::debug!("ignoring the cached page: {error}");
                }
                return None;
            }
        };
        let page = StoredPage::decode(&bytes, &url);
        if page.is_none() {
            tracing::debug!("ignoring the unreadable cached page {}", path.display());
        }
        page
    })
    .await
}

/// Store `page` at `path` and hand it back; a failure only costs a download next time.
pub(crate) async fn store(path: PathBuf, page: StoredPage) -> StoredPage {
    run_blocking(move || {
        if let Err(error) = write_atomic(&path, &page.encode()) {
            tracing::debug!("failed to cache a page: {error}");
        }
        page
    })
    .await
}

/// Remove the page stored at `path`, if any.
pub(crate) async fn remove(path: PathBuf) {
    match tokio::fs::remove_file(&path).await {
        Ok(()) => tracing::debug!("removed the cached page {}", path.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::debug!(
            "failed to remove the cached page {}: {error}",
            path.display()
        ),
    }
}

/// The cache policy of a stored response; `None` when its URL or headers do not parse.
fn policy_of(entry: &Entry) -> Option<CachePolicy> {
    let request = request_parts(&entry.request_url, header_map(&entry.request_headers)?)?;
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::from_u16(entry.status).ok()?;
    *response.headers_mut() = header_map(&entry.response_headers)?;
    let response_time = UNIX_EPOCH + Duration::from_millis(entry.response_time);
    Some(CachePolicy::new_options(
        &request,
        &response,
        response_time,
        options(),
    ))
}

/// A private cache without heuristic freshness (see the module docs).
fn options() -> CacheOptions {
    CacheOptions {
        shared: false,
        cache_heuristic: 0.0,
        ..CacheOptions::default()
    }
}

fn request_parts(url: &str, headers: HeaderMap) -> Option<http::request::Parts> {
    let uri: Uri = url.parse().ok()?;
    let mut request = Request::new(());
    *request.method_mut() = Method::GET;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Some(request.into_parts().0)
}

/// The headers as text pairs (those named in `keep`, when given), in order.
fn header_pairs(headers: &HeaderMap, keep: Option<&[HeaderName]>) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| keep.is_none_or(|keep| keep.contains(name)))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect()
}

fn header_map(pairs: &[(String, String)]) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_str(value).ok()?,
        );
    }
    Some(headers)
}

fn millis_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH};

    use super::*;

    fn url() -> Url {
        Url::parse("https://example.org/simple/foo/").unwrap()
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Fetched {
        Fetched {
            url: url(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: header_map(
                &headers
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.to_string()))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
            bytes: Bytes::from(body.to_string()),
        }
    }

    fn stored(headers: &[(&str, &str)], at: SystemTime) -> StoredPage {
        StoredPage::from_response(
            &PageRequest::new(&url()),
            &response(200, headers, "<a href=\"x\">\n</a>\n"),
            at,
        )
        .expect("storable")
    }

    /// `Fresh`, or the validators of the revalidation request.
    fn decide(page: &StoredPage, force: bool, now: SystemTime) -> String {
        match page.freshness(&PageRequest::new(&url()), force, now) {
            Freshness::Fresh => "fresh".to_string(),
            Freshness::Revalidate(headers) => format!(
                "revalidate if-none-match={:?} if-modified-since={:?} cache-control={:?}",
                headers.get(IF_NONE_MATCH),
                headers.get(IF_MODIFIED_SINCE),
                headers.get(CACHE_CONTROL),
            ),
        }
    }

    #[test]
    fn max_age_decides_freshness() {
        let start = SystemTime::now();
        let page = stored(
            &[("cache-control", "max-age=600"), ("etag", "\"v1\"")],
            start,
        );
        assert_eq!(decide(&page, false, start), "fresh");
        assert_eq!(
            decide(&page, false, start + Duration::from_secs(599)),
            "fresh"
        );
        insta::assert_snapshot!(decide(&page, false, start + Duration::from_secs(601)), @r#"revalidate if-none-match=Some("\"v1\"") if-modified-since=None cache-control=None"#);
        // `--refresh`.
        insta::assert_snapshot!(decide(&page, true, start), @r#"revalidate if-none-match=Some("\"v1\"") if-modified-since=None cache-control=Some("no-cache")"#);
        // The `Age` a CDN adds counts against the lifetime.
        let aged = stored(&[("cache-control", "max-age=600"), ("age", "590")], start);
        assert_eq!(decide(&aged, false, start), "fresh");
        assert!(decide(&aged, false, start + Duration::from_secs(11)).starts_with("revalidate"));
    }

    #[test]
    fn without_lifetime_pages_are_always_revalidated() {
        let start = SystemTime::now();
        for headers in [
            vec![("etag", "\"v1\"")],
            vec![("cache-control", "max-age=0"), ("etag", "\"v1\"")],
            vec![
                ("cache-control", "no-cache, max-age=600"),
                ("etag", "\"v1\""),
            ],
            vec![
                ("pragma", "no-cache"),
                ("expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
            ],
            // No heuristic freshness from `Last-Modified`.
            vec![
                ("last-modified", "Mon, 01 Jan 2001 00:00:00 GMT"),
                ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ],
        ] {
            let page = stored(&headers, start);
            let decision = decide(&page, false, start);
            assert!(
                decision.starts_with("revalidate"),
                "{headers:?}: {decision}"
            );
        }
        let page = stored(&[("last-modified", "Mon, 01 Jan 2001 00:00:00 GMT")], start);
        insta::assert_snapshot!(decide(&page, false, start), @r#"revalidate if-none-match=None if-modified-since=Some("Mon, 01 Jan 2001 00:00:00 GMT") cache-control=None"#);
    }

    #[test]
    fn expires_gives_a_lifetime() {
        let start = SystemTime::now();
        let page = stored(
            &[
                ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
                ("expires", "Mon, 01 Jan 2024 01:00:00 GMT"),
            ],
            start,
        );
        assert_eq!(
            decide(&page, false, start + Duration::from_secs(3599)),
            "fresh"
        );
        assert!(decide(&page, false, start + Duration::from_secs(3601)).starts_with("revalidate"));
    }

    #[test]
    fn no_store_is_not_stored() {
        let request = PageRequest::new(&url());
        for cache_control in ["no-store", "max-age=600, no-store"] {
            let fetched = response(200, &[("cache-control", cache_control)], "body");
            assert!(StoredPage::from_response(&request, &fetched, SystemTime::now()).is_none());
        }
        // `private` is fine in a private cache.
        let fetched = response(200, &[("cache-control", "private, max-age=60")], "body");
        let page = StoredPage::from_response(&request, &fetched, SystemTime::now()).unwrap();
        assert_eq!(decide(&page, false, SystemTime::now()), "fresh");
    }

    #[test]
    fn a_304_renews_the_lifetime() {
        let start = SystemTime::now();
        let page = stored(
            &[("cache-control", "max-age=60"), ("etag", "\"v1\"")],
            start,
        );
        let later = start + Duration::from_secs(120);
        let request = PageRequest::new(&url());
        let not_modified = response(
            304,
            &[("cache-control", "max-age=60"), ("etag", "\"v1\"")],
            "",
        );
        let (page, updated) = page.revalidated(&request, &not_modified, later);
        assert!(updated);
        assert_eq!(page.body(), "<a href=\"x\">\n</a>\n");
        assert_eq!(
            decide(&page, false, later + Duration::from_secs(30)),
            "fresh"
        );
        let reloaded = StoredPage::decode(&page.encode(), &url()).unwrap();
        assert_eq!(
            decide(&reloaded, false, later + Duration::from_secs(30)),
            "fresh"
        );
        assert!(
            decide(&reloaded, false, later + Duration::from_secs(61)).starts_with("revalidate")
        );
        // A lifetime (or `no-store`) that the index adds later comes with its 304s.
        let plain = stored(&[("etag", "\"v1\"")], start);
        let added = response(
            304,
            &[("cache-control", "max-age=60"), ("etag", "\"v1\"")],
            "",
        );
        let (plain, updated) = plain.revalidated(&request, &added, later);
        assert!(updated);
        assert_eq!(
            decide(&plain, false, later + Duration::from_secs(30)),
            "fresh"
        );
        let no_store = response(
            304,
            &[("cache-control", "no-store"), ("etag", "\"v1\"")],
            "",
        );
        assert!(
            !plain
                .revalidated(&request, &no_store, later)
                .0
                .is_storable()
        );
        // The `Age` of the first response does not outlive it.
        let aged = stored(
            &[
                ("cache-control", "max-age=600"),
                ("age", "590"),
                ("etag", "\"v1\""),
            ],
            start,
        );
        let renewed = response(304, &[("etag", "\"v1\"")], "");
        let (aged, _) = aged.revalidated(&request, &renewed, later);
        assert_eq!(
            decide(&aged, false, later + Duration::from_secs(30)),
            "fresh"
        );
        // A 304 whose validator names another version does not update the entry.
        let other = response(304, &[("etag", "\"v2\"")], "");
        let (page, updated) = page.revalidated(&request, &other, later);
        assert!(!updated);
        assert_eq!(page.body(), "<a href=\"x\">\n</a>\n");
    }

    #[test]
    fn round_trips_and_rejects_damage() {
        let page = stored(
            &[
                ("cache-control", "max-age=600"),
                ("etag", "\"abc\""),
                ("content-type", "text/html"),
                ("set-cookie", "secret=1"),
            ],
            SystemTime::now(),
        );
        let bytes = page.encode();
        let decoded = StoredPage::decode(&bytes, &url()).unwrap();
        assert_eq!(decoded.entry, page.entry);
        assert_eq!(decoded.content_type(), Some("text/html"));
        // Only the headers that matter are kept.
        assert!(!String::from_utf8_lossy(&bytes).contains("secret"));
        // Truncated, garbage, another URL, another format version.
        assert!(StoredPage::decode(&bytes[..bytes.len() - 10], &url()).is_none());
        assert!(StoredPage::decode(b"\0\0\0\0", &url()).is_none());
        let other = Url::parse("https://example.org/simple/bar/").unwrap();
        assert!(StoredPage::decode(&bytes, &other).is_none());
        let old = String::from_utf8(bytes)
            .unwrap()
            .replace("\"format\":2", "\"format\":1");
        assert!(StoredPage::decode(old.as_bytes(), &url()).is_none());
    }
}
