//! Faults that an [`IndexServer`](crate::IndexServer) injects into its responses.
//!
//! A [`Fault`] matches requests whose path (without the query) ends with `path_suffix` and is
//! applied to the next `times` of them; then the server answers normally again. When several
//! faults match, the one injected first is used. Faults that replace the response (`Status`,
//! `StatusWithRetryAfter`, `Reset`) never reach the router; the others change how the normal
//! response is sent.

use std::time::Duration;

/// A fault to inject; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Matches requests whose path ends with this (e.g. `.whl`, `/simple/foo/`, a filename).
    pub path_suffix: String,
    /// What happens to a matching request.
    pub kind: FaultKind,
    /// How many matching requests get the fault before the server behaves normally again.
    pub times: usize,
}

impl Fault {
    /// A fault for the next `times` requests whose path ends with `path_suffix`.
    pub fn new(path_suffix: &str, kind: FaultKind, times: usize) -> Self {
        Self {
            path_suffix: path_suffix.to_string(),
            kind,
            times,
        }
    }
}

/// A gzip stream that inflates to `inflated` bytes of `byte` (a few kilobytes per megabyte),
/// for [`FaultKind::GzipBody`].
pub fn gzip_bomb(inflated: usize, byte: u8) -> bytes::Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![byte; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let take = left.min(block.len());
        encoder
            .write_all(&block[..take])
            .expect("writing to memory");
        left -= take;
    }
    bytes::Bytes::from(encoder.finish().expect("writing to memory"))
}

/// What an injected [`Fault`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answers with this status code and a short text body.
    Status(u16),
    /// Answers with this status code and `Retry-After: <seconds>`.
    StatusWithRetryAfter(u16, u64),
    /// Closes the connection without a response, with a TCP reset (`SO_LINGER` 0).
    Reset,
    /// Sends the normal response `chunk` bytes at a time, waiting `delay` between chunks.
    SlowBody {
        /// Bytes per chunk (at least 1).
        chunk: usize,
        /// Pause before each chunk after the first.
        delay: Duration,
    },
    /// Sends the normal headers (`Content-Length` of the whole body) but only the first `after`
    /// bytes of the body, then closes the connection.
    Truncate {
        /// Bytes of the body that are sent.
        after: usize,
    },
    /// Sends the normal headers and the first `after` bytes of the body, then resets the TCP
    /// connection (`SO_LINGER` 0): the client sees "connection reset by peer" mid-body.
    ResetAfter {
        /// Bytes of the body that are sent before the reset.
        after: usize,
    },
    /// Sends the normal headers (with no `Content-Length`: chunked) and a body that never ends,
    /// `chunk` bytes of `byte` at a time as fast as the client reads them.
    EndlessBody {
        /// Bytes per chunk (at least 1).
        chunk: usize,
        /// The byte repeated.
        byte: u8,
    },
    /// Replaces the body with these bytes, sent with `Content-Encoding: gzip` (for a gzip bomb:
    /// a small body that inflates to a large one) and the matching `Content-Length`.
    GzipBody(bytes::Bytes),
    /// Sends the normal headers and a body of the same length with every byte inverted.
    WrongBody,
    /// Waits this long, then answers normally.
    Delay(Duration),
}
