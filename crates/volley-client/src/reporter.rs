//! Progress events: the client never prints, it tells a [`Reporter`].
//!
//! Each HTTP request is one fetch with its own [`FetchId`]: `on_fetch_start` when the response
//! headers arrive, `on_fetch_progress` as the body streams, then `on_fetch_done` or
//! `on_fetch_failed`. A retried request is a new fetch, announced by `on_retry` first. Requests
//! that fail before any response arrives only show up in `on_retry` (or in the returned error).

use std::time::Duration;

use url::Url;

/// Identifies one HTTP request for the lifetime of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FetchId(pub u64);

/// What a fetch is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchKind {
    /// An index page (PEP 503 HTML or PEP 691 JSON).
    Page,
    /// A PEP 658 `.metadata` file.
    Metadata,
    /// Part of a wheel, read with an HTTP range request to get at its `METADATA`.
    Range,
    /// A whole distribution file (wheel or sdist).
    File,
}

/// Receives network events. Every method has an empty default. Called from async tasks: keep
/// the work short and never block.
pub trait Reporter: Send + Sync {
    /// Response headers arrived; `total_bytes` is the body length when the server said it.
    fn on_fetch_start(&self, id: FetchId, url: &Url, kind: FetchKind, total_bytes: Option<u64>) {
        let _ = (id, url, kind, total_bytes);
    }
    /// `bytes` more bytes of the body arrived (a delta, not a running total).
    fn on_fetch_progress(&self, id: FetchId, bytes: u64) {
        let _ = (id, bytes);
    }
    /// The body is complete (and, for files, verified and stored).
    fn on_fetch_done(&self, id: FetchId, elapsed: Duration) {
        let _ = (id, elapsed);
    }
    /// The fetch failed after its headers arrived; a retry, if any, is a new fetch.
    fn on_fetch_failed(&self, id: FetchId, error: &str) {
        let _ = (id, error);
    }
    /// A transient failure; attempt `attempt` (1 for the first retry) starts after a backoff.
    fn on_retry(&self, url: &Url, attempt: u32, reason: &str) {
        let _ = (url, attempt, reason);
    }
}

/// A [`Reporter`] that ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {}
