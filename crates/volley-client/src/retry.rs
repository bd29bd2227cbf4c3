//! When to try again: transient failures are retried with exponential backoff.
//!
//! Transient: connection errors, timeouts, a body cut off midway, HTTP 5xx, 408 and 429.
//! Permanent: other 4xx (404, 403, 416, ...), a hash mismatch, an unreadable page or wheel, and
//! a failed TLS handshake (an untrusted certificate does not become trusted by asking again).
//! The wait before retry `n` (1-based) is 0.25 s × 2ⁿ⁻¹, at most 4 s, unless the server sent
//! `Retry-After: <seconds>`, which is honoured up to 10 s (the HTTP-date form is ignored).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::ClientError;

const BASE_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(4);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    Transient {
        error: ClientError,
        retry_after: Option<Duration>,
    },
    Permanent(ClientError),
}

impl Failure {
    pub(crate) fn transient(error: ClientError) -> Self {
        Self::Transient {
            error,
            retry_after: None,
        }
    }

    pub(crate) fn error(&self) -> &ClientError {
        match self {
            Self::Transient { error, .. } | Self::Permanent(error) => error,
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self::Permanent(error)
    }
}

/// Whether an error status is worth retrying.
pub(crate) fn is_transient_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

/// Whether a reqwest error is worth retrying (everything but our own mistakes and TLS
/// failures).
pub(crate) fn is_transient_error(error: &reqwest::Error) -> bool {
    !(error.is_builder() || error.is_redirect() || error.is_status() || is_tls_failure(error))
}

/// Whether rustls is somewhere in the error's sources. It arrives wrapped in `io::Error`s
/// (two deep), whose `source()` skips the error they wrap: look inside with `get_ref`.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let mut inner: &(dyn std::error::Error + 'static) = cause;
        loop {
            if inner.is::<rustls::Error>() {
                return true;
            }
            match inner
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        source = cause.source();
    }
    false
}

/// `Retry-After` in seconds, capped.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The wait before retry number `retry` (1-based).
pub(crate) fn backoff(retry: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait.min(MAX_RETRY_AFTER);
    }
    let factor = 1u32 << retry.saturating_sub(1).min(16);
    (BASE_DELAY * factor).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let waits: Vec<_> = (1..=7)
            .map(|retry| backoff(retry, None).as_millis())
            .collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(
            backoff(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(backoff(1, Some(Duration::from_secs(300))), MAX_RETRY_AFTER);
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 2 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn statuses() {
        let transient: Vec<_> = [200, 404, 403, 408, 416, 429, 500, 503]
            .into_iter()
            .filter(|&code| is_transient_status(StatusCode::from_u16(code).unwrap()))
            .collect();
        assert_eq!(transient, [408, 429, 500, 503]);
    }
}
