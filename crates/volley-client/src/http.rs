//! The request layer: one reqwest client, the connection limit, retries and progress events.
//!
//! Every HTTP request goes through [`Http::send`], which first takes a slot of the connection
//! semaphore and keeps it in the returned [`Live`] response until the body has been read (or
//! the response dropped), so `max_connections` bounds requests in flight including their
//! bodies. Callers loop with [`Attempts`] to retry transient failures: a failed connect, a
//! 5xx, and a body that broke off midway (reset, closed early) alike. A file download whose body
//! broke off asks for the rest with `Range: bytes=N-` and `If-Range: <ETag>` when the server
//! announced `Accept-Ranges: bytes` (`download.rs`); otherwise the whole request is sent again.
//!
//! Credentials are settled here too: [`Http::send`] takes any out of the URL, asks the
//! [`Authenticator`] what to send to its origin, sends it as basic auth, and after a
//! `401 Unauthorized` retries once with what the keyring gives (see `authentication.rs`).
//! Redirects are followed here, not by reqwest, so that each hop carries the credentials of its
//! own origin (a redirect to another host is looked up in netrc and the keyring for that host,
//! and the first host's are never sent there). The
//! reqwest client is chosen per host by the [`Transport`] (trusted hosts have their own), which
//! also refuses index pages over plain HTTP from hosts that are neither trusted nor local.
//!
//! Traps: reqwest (with its `gzip` feature) asks for gzip on every request that does not say
//! otherwise, range requests included, and would then decompress: range requests and file
//! downloads send `Accept-Encoding: identity`, so offsets and hashes refer to the file itself.
//! Index pages keep gzip. URLs given to the reporter and put into errors and logs carry no
//! credentials (they are taken out before the request) and are redacted anyway.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_RANGE, HeaderMap, HeaderValue, LOCATION, RANGE};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::authentication::Authenticator;
use crate::credentials::{Credentials, redact, redacted_url, split_credentials};
use crate::keyring::Keyring;
use crate::netrc::Netrc;
use crate::retry::{self, Failure};
use crate::transport::Transport;
use crate::{ClientError, ClientOptions, FetchId, FetchKind, KeyringProvider, Reporter};

/// Redirects followed for one request, as reqwest's and requests' defaults (10 and 30).
const MAX_REDIRECTS: usize = 10;

/// How many of `max_connections` whole-file downloads may take (at least one).
fn file_slots(max_connections: usize) -> usize {
    max_connections.saturating_sub(max_connections / 4).max(1)
}

pub(crate) struct Http {
    transport: Transport,
    authenticator: Authenticator,
    connections: Arc<Semaphore>,
    /// Slots that whole-file downloads may use: a quarter of the connections stays free for
    /// index pages and metadata, so that a few large wheels downloading speculatively never
    /// hold up the resolver's next answer.
    file_slots: Arc<Semaphore>,
    retries: u32,
    reporter: Arc<dyn Reporter>,
    next_id: AtomicU64,
    /// The most decoded bytes a body read into memory may have.
    max_body_size: u64,
    /// The slowest a body may arrive: bytes per second over each `rate_window`.
    min_transfer_rate: u64,
    rate_window: Duration,
}

impl Http {
    pub(crate) fn new(
        options: &ClientOptions,
        connections: Arc<Semaphore>,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Self, ClientError> {
        let transport = Transport::new(options)?;
        let netrc = options.netrc.as_deref().and_then(Netrc::load);
        let keyring = match options.keyring_provider {
            KeyringProvider::Disabled => None,
            KeyringProvider::Subprocess => Some(Keyring::new(options.keyring_command.clone())),
        };
        let index_urls: &[Url] = if options.no_index {
            &[]
        } else {
            &options.index_urls
        };
        let authenticator = Authenticator::new(index_urls, netrc, keyring);
        Ok(Self {
            transport,
            authenticator,
            file_slots: Arc::new(Semaphore::new(file_slots(options.max_connections))),
            connections,
            retries: options.retries,
            reporter,
            next_id: AtomicU64::new(0),
            max_body_size: options.max_body_size,
            min_transfer_rate: options.min_transfer_rate,
            rate_window: options.timeout.max(Duration::from_secs(1)),
        })
    }

    /// A retry loop's state for `url`.
    pub(crate) fn attempts<'a>(&'a self, url: &'a Url) -> Attempts<'a> {
        Attempts {
            http: self,
            url,
            retry: 0,
        }
    }

    /// One GET of `url`: waits for a connection slot, sends (with the credentials for its
    /// origin), and checks the status. Error statuses become failures (transient for 5xx, 408
    /// and 429); a 304 (to a conditional request) is not an error. An index page (`kind` is
    /// [`FetchKind::Page`]) must come from a secure origin.
    pub(crate) async fn send(
        &self,
        url: &Url,
        kind: FetchKind,
        headers: HeaderMap,
    ) -> Result<Live, Failure> {
        let (url, embedded) = split_credentials(url);
        let url = &url;
        if kind == FetchKind::Page && !self.transport.is_secure_origin(url) {
            return Err(Failure::Permanent(ClientError::InsecureHost {
                url: url.clone(),
            }));
        }
        let credentials = self.authenticator.credentials(url, embedded).await;
        let file_permit = if kind == FetchKind::File {
            Some(
                Arc::clone(&self.file_slots)
                    .acquire_owned()
                    .await
                    .expect("the file semaphore is never closed"),
            )
        } else {
            None
        };
        let permit = Arc::clone(&self.connections)
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed");
        let response = self
            .request_following(url, credentials, &headers, kind)
            .await?;
        let status = response.status();
        if !status.is_success() && status != StatusCode::NOT_MODIFIED {
            let error = ClientError::Status {
                url: url.clone(),
                status,
            };
            return Err(if retry::is_transient_status(status) {
                Failure::Transient {
                    error,
                    retry_after: retry::retry_after(response.headers()),
                }
            } else {
                Failure::Permanent(error)
            });
        }
        let expected_len = response.content_length();
        let fetch = self.start_fetch(url, kind, expected_len);
        Ok(Live {
            url: url.clone(),
            response,
            expected_len,
            received: 0,
            rate: RateCheck::new(self.min_transfer_rate, self.rate_window),
            fetch,
            _permit: permit,
            _file_permit: file_permit,
        })
    }

    /// Sends `url` with `credentials`, asks the keyring once after a 401, and follows redirects
    /// itself (reqwest's own would drop the credentials at another host and never look up that
    /// host's): each hop is sent with the credentials of its own origin (netrc, keyring, ...),
    /// as pip's session does. At most [`MAX_REDIRECTS`] hops.
    async fn request_following(
        &self,
        url: &Url,
        credentials: Option<Credentials>,
        headers: &HeaderMap,
        kind: FetchKind,
    ) -> Result<reqwest::Response, Failure> {
        let mut current = url.clone();
        let mut credentials = credentials;
        for _ in 0..=MAX_REDIRECTS {
            let mut response = self
                .request(&current, headers, credentials.as_ref())
                .await?;
            if response.status() == StatusCode::UNAUTHORIZED
                && let Some(renewed) = self
                    .authenticator
                    .after_unauthorized(&current, credentials.as_ref())
                    .await
            {
                tracing::debug!(
                    "{} asked for credentials: retrying with the keyring's",
                    redact(&current)
                );
                drop(response);
                response = self.request(&current, headers, Some(&renewed)).await?;
                if response.status() == StatusCode::UNAUTHORIZED {
                    tracing::warn!(
                        "401 Unauthorized: the credentials from the keyring are not correct for {}",
                        redact(&current)
                    );
                }
            }
            let redirects = matches!(
                response.status(),
                StatusCode::MOVED_PERMANENTLY
                    | StatusCode::FOUND
                    | StatusCode::SEE_OTHER
                    | StatusCode::TEMPORARY_REDIRECT
                    | StatusCode::PERMANENT_REDIRECT
            );
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok());
            let Some(location) = location.filter(|_| redirects) else {
                return Ok(response);
            };
            let next = current.join(location).map_err(|error| {
                Failure::Permanent(ClientError::Network {
                    url: current.clone(),
                    reason: format!("its Location \"{location}\" is not a URL: {error}"),
                })
            })?;
            let (next, embedded) = split_credentials(&next);
            if !matches!(next.scheme(), "http" | "https") {
                return Err(Failure::Permanent(ClientError::Network {
                    url: current.clone(),
                    reason: format!("it redirects to {}", redact(&next)),
                }));
            }
            if kind == FetchKind::Page && !self.transport.is_secure_origin(&next) {
                return Err(Failure::Permanent(ClientError::InsecureHost { url: next }));
            }
            tracing::debug!("{} redirects to {}", redact(&current), redact(&next));
            credentials = self.authenticator.credentials(&next, embedded).await;
            current = next;
        }
        Err(Failure::Permanent(ClientError::Network {
            url: url.clone(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }

    /// Send one request to `url` (without credentials) with `credentials` as basic auth.
    async fn request(
        &self,
        url: &Url,
        headers: &HeaderMap,
        credentials: Option<&Credentials>,
    ) -> Result<reqwest::Response, Failure> {
        let mut request = self
            .transport
            .client_for(url)?
            .get(url.clone())
            .headers(headers.clone());
        if let Some(credentials) = credentials {
            request = request.basic_auth(
                &credentials.username,
                Some(credentials.password.as_deref().unwrap_or_default()),
            );
        }
        request
            .send()
            .await
            .map_err(|error| network_failure(url, &error))
    }

    fn start_fetch(&self, url: &Url, kind: FetchKind, total: Option<u64>) -> FetchGuard {
        let id = FetchId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.reporter
            .on_fetch_start(id, &redacted_url(url), kind, total);
        FetchGuard {
            id,
            reporter: Arc::clone(&self.reporter),
            started: Instant::now(),
            finished: false,
        }
    }

    /// GET a small body whole (an index page or a `.metadata` file), with retries. A `304 Not
    /// Modified` (to a conditional request in `headers`) comes back with its empty body.
    pub(crate) async fn get_bytes(
        &self,
        url: &Url,
        kind: FetchKind,
        headers: HeaderMap,
    ) -> Result<Fetched, ClientError> {
        let mut attempts = self.attempts(url);
        loop {
            let result = async {
                let live = self.send(url, kind, headers.clone()).await?;
                let final_url = live.response.url().clone();
                let status = live.response.status();
                let response_headers = live.response.headers().clone();
                let bytes = live.bytes(self.max_body_size).await?;
                Ok(Fetched {
                    url: final_url,
                    status,
                    headers: response_headers,
                    bytes,
                })
            }
            .await;
            match result {
                Ok(fetched) => return Ok(fetched),
                Err(failure) => attempts.retry_or_fail(failure).await?,
            }
        }
    }

    /// GET a byte range of a file, with retries. A server that ignores `Range` answers 200
    /// with the whole file: that response is handed back unread.
    pub(crate) async fn get_range(
        &self,
        url: &Url,
        range: RangeSpec,
    ) -> Result<RangeAnswer, ClientError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            RANGE,
            HeaderValue::from_str(&range.header()).expect("a range header is ASCII"),
        );
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        let mut attempts = self.attempts(url);
        loop {
            let result = async {
                let live = self.send(url, FetchKind::Range, headers.clone()).await?;
                if live.response.status() != StatusCode::PARTIAL_CONTENT {
                    return Ok(RangeAnswer::Ignored(Box::new(live)));
                }
                let content_range = live
                    .response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|value| value.to_str().ok())
                    .and_then(parse_content_range);
                let Some((start, end, total)) = content_range else {
                    return Err(Failure::Permanent(ClientError::InvalidWheel {
                        url: url.clone(),
                        reason: "the server answered a range request without a usable Content-Range header".to_string(),
                    }));
                };
                let bytes = live.bytes(self.max_body_size).await?;
                if bytes.len() as u64 != end + 1 - start {
                    return Err(Failure::transient(ClientError::Network {
                        url: url.clone(),
                        reason: format!(
                            "the range {start}-{end} arrived with {} bytes",
                            bytes.len()
                        ),
                    }));
                }
                Ok(RangeAnswer::Partial {
                    start,
                    bytes,
                    total,
                })
            }
            .await;
            match result {
                Ok(answer) => return Ok(answer),
                Err(failure) => attempts.retry_or_fail(failure).await?,
            }
        }
    }

    /// Headers for a whole-file download.
    pub(crate) fn file_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        headers
    }
}

/// A body read whole.
pub(crate) struct Fetched {
    /// The URL after redirects.
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) bytes: Bytes,
}

impl Fetched {
    /// A response header as text.
    pub(crate) fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Which bytes a range request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RangeSpec {
    /// The last `n` bytes.
    Suffix(u64),
    /// `start..end` (end exclusive).
    Span { start: u64, end: u64 },
}

impl RangeSpec {
    fn header(self) -> String {
        match self {
            Self::Suffix(len) => format!("bytes=-{len}"),
            Self::Span { start, end } => {
                format!("bytes={start}-{}", end.saturating_sub(1).max(start))
            }
        }
    }
}

/// What a range request got.
pub(crate) enum RangeAnswer {
    /// The bytes `start..start + bytes.len()` of a file of `total` bytes.
    Partial {
        start: u64,
        bytes: Bytes,
        total: u64,
    },
    /// The server ignored the range and is sending the whole file.
    Ignored(Box<Live>),
}

/// `bytes START-END/TOTAL` (END inclusive). A `*` total is not usable.
pub(crate) fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, total) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end && end < total).then_some((start, end, total))
}

fn network_failure(url: &Url, error: &reqwest::Error) -> Failure {
    let client_error = ClientError::network(url, error);
    if retry::is_transient_error(error) {
        Failure::transient(client_error)
    } else {
        Failure::Permanent(client_error)
    }
}

/// A retry loop's state.
pub(crate) struct Attempts<'a> {
    http: &'a Http,
    url: &'a Url,
    retry: u32,
}

impl Attempts<'_> {
    /// After a failed attempt: wait and return `Ok` when another attempt is due, else the error.
    pub(crate) async fn retry_or_fail(&mut self, failure: Failure) -> Result<(), ClientError> {
        match failure {
            Failure::Permanent(error) => Err(error),
            Failure::Transient { error, .. } if self.retry >= self.http.retries => Err(error),
            Failure::Transient { error, retry_after } => {
                self.retry += 1;
                let wait = retry::backoff(self.retry, retry_after);
                tracing::debug!(
                    "retrying {} in {wait:?} (retry {} of {}): {error}",
                    redact(self.url),
                    self.retry,
                    self.http.retries
                );
                self.http.reporter.on_retry(
                    &redacted_url(self.url),
                    self.retry,
                    &error.to_string(),
                );
                tokio::time::sleep(wait).await;
                Ok(())
            }
        }
    }
}

/// A response with a success status whose body has not been read yet. It holds a connection
/// slot until it is dropped.
pub(crate) struct Live {
    url: Url,
    response: reqwest::Response,
    expected_len: Option<u64>,
    received: u64,
    rate: RateCheck,
    fetch: FetchGuard,
    _permit: OwnedSemaphorePermit,
    _file_permit: Option<OwnedSemaphorePermit>,
}

impl Live {
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// A response header as text.
    pub(crate) fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    /// Announce this response again as a fetch of kind `kind` (a range request whose server
    /// sent the whole file becomes a file download).
    pub(crate) fn restart_as(&mut self, http: &Http, kind: FetchKind) {
        let fetch = http.start_fetch(&self.url, kind, self.expected_len);
        std::mem::replace(&mut self.fetch, fetch).done();
    }

    /// The next piece of the body, `None` at its end. A body shorter than its
    /// `Content-Length`, or arriving slower than the minimum rate, is a (transient) failure.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Failure> {
        self.rate.start();
        match self.response.chunk().await {
            Ok(Some(chunk)) => {
                self.received += chunk.len() as u64;
                self.fetch.progress(chunk.len() as u64);
                if let Some((rate, seconds)) = self.rate.observe(chunk.len() as u64) {
                    return Err(Failure::transient(ClientError::TooSlow {
                        url: self.url.clone(),
                        rate,
                        minimum: self.rate.minimum,
                        seconds,
                    }));
                }
                Ok(Some(chunk))
            }
            Ok(None) => match self.expected_len {
                Some(expected) if expected != self.received => {
                    Err(Failure::transient(ClientError::Network {
                        url: self.url.clone(),
                        reason: format!(
                            "the body ended after {} of {expected} bytes",
                            self.received
                        ),
                    }))
                }
                _ => Ok(None),
            },
            Err(error) => Err(network_failure(&self.url, &error)),
        }
    }

    /// Read the whole body into memory: at most `limit` bytes once decoded, or it fails with
    /// [`ClientError::BodyTooLarge`] (permanent: asking again gets the same body).
    pub(crate) async fn bytes(mut self, limit: u64) -> Result<Bytes, Failure> {
        let capacity = self
            .expected_len
            .unwrap_or(0)
            .min(limit)
            .min(64 * 1024 * 1024);
        let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        loop {
            match self.chunk().await {
                Ok(Some(chunk)) if body.len() as u64 + chunk.len() as u64 > limit => {
                    let error = ClientError::BodyTooLarge {
                        url: self.url.clone(),
                        limit,
                    };
                    return Err(self.fail(Failure::Permanent(error)));
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(failure) => return Err(self.fail(failure)),
            }
        }
        self.finish();
        Ok(body.freeze())
    }

    /// The body is complete and used.
    pub(crate) fn finish(self) {
        self.fetch.done();
    }

    /// The fetch failed with `failure`; report it and hand it back.
    pub(crate) fn fail(self, failure: Failure) -> Failure {
        self.fetch.failed(&failure.error().to_string());
        failure
    }
}

/// Ends a body that arrives slower than a minimum rate: every `window`, the bytes that came in
/// it must be at least `minimum` per second on average.
struct RateCheck {
    /// Bytes per second; 0 checks nothing.
    minimum: u64,
    window: Duration,
    /// When the current window began: the first read of the body, not the headers, so that a
    /// response waiting for its reader is not counted as slow.
    window_start: Option<Instant>,
    window_bytes: u64,
}

impl RateCheck {
    fn new(minimum: u64, window: Duration) -> Self {
        Self {
            minimum,
            window,
            window_start: None,
            window_bytes: 0,
        }
    }

    /// The body is being read: start the first window.
    fn start(&mut self) {
        self.window_start.get_or_insert_with(Instant::now);
    }

    /// Count `bytes` more; `Some((rate, seconds))` when the window that just ended was too
    /// slow.
    fn observe(&mut self, bytes: u64) -> Option<(u64, u64)> {
        if self.minimum == 0 {
            return None;
        }
        self.window_bytes += bytes;
        let elapsed = self.window_start.get_or_insert_with(Instant::now).elapsed();
        if elapsed < self.window {
            return None;
        }
        let seconds = elapsed.as_secs_f64();
        let rate = self.window_bytes as f64 / seconds;
        self.window_start = Some(Instant::now());
        self.window_bytes = 0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (rate < self.minimum as f64).then(|| (rate as u64, seconds.round() as u64))
    }
}

/// Reports the end of a fetch exactly once; a fetch dropped unfinished (its task was
/// cancelled) is reported as failed.
struct FetchGuard {
    id: FetchId,
    reporter: Arc<dyn Reporter>,
    started: Instant,
    finished: bool,
}

impl FetchGuard {
    fn progress(&self, bytes: u64) {
        self.reporter.on_fetch_progress(self.id, bytes);
    }

    fn done(mut self) {
        self.finished = true;
        self.reporter.on_fetch_done(self.id, self.started.elapsed());
    }

    fn failed(mut self, reason: &str) {
        self.finished = true;
        self.reporter.on_fetch_failed(self.id, reason);
    }
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.reporter.on_fetch_failed(self.id, "cancelled");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 100-199/1000"),
            Some((100, 199, 1000))
        );
        assert_eq!(parse_content_range("bytes 0-0/1"), Some((0, 0, 1)));
        assert_eq!(parse_content_range("bytes 100-199/*"), None);
        assert_eq!(parse_content_range("bytes 200-100/1000"), None);
        assert_eq!(parse_content_range("bytes 0-1000/1000"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn range_headers() {
        assert_eq!(RangeSpec::Suffix(65536).header(), "bytes=-65536");
        assert_eq!(
            RangeSpec::Span { start: 10, end: 20 }.header(),
            "bytes=10-19"
        );
    }
}
