//! The network side of volley: index pages, metadata and distribution files, each fetched once
//! per run through one [`RegistryClient`].
//!
//! Start with [`RegistryClient`]: [`RegistryClient::project_page`] gives a [`ProjectPage`] (the
//! [`IndexFile`]s of a project), [`RegistryClient::metadata`] a file's core metadata, and
//! [`RegistryClient::download`] the file itself in the cache. The `prefetch_*` and
//! `start_download` variants start the same fetches without waiting, so the resolver can run
//! ahead of the network. Underneath, the download collection (`collection.rs`) keys every fetch,
//! starts it once as an owned task and shares its result; the request layer (`http.rs`) caps
//! requests in flight, retries transient failures and reports progress to a [`Reporter`].
//!
//! Traps of the domain:
//! - PEP 503 HTML pages have relative URLs (to `<base href>` or the page after redirects),
//!   hashes in URL fragments and HTML-escaped attributes (`data-requires-python="&gt;=3.8"`);
//!   PEP 691 JSON pages say the same things differently (`page.rs`).
//! - Range requests and downloads must ask for `Accept-Encoding: identity`, or offsets and
//!   hashes would refer to a gzip stream (`http.rs`).
//! - A server may answer a range request with the whole file (200): that body is the download,
//!   and the host is remembered (`metadata.rs`).
//! - A file is in the cache only once its sha256 matches the index's: it is streamed to a
//!   temporary file and renamed into place (`download.rs`).
//! - Index pages follow HTTP caching (`page_cache.rs`): a page within its `max-age` is used
//!   with no request, a stale one is revalidated (`If-None-Match`, a 304 reuses it), `no-store`
//!   is never stored; [`ClientOptions::refresh`] forces revalidation and
//!   [`ClientOptions::offline`] forbids any request ([`ClientError::Offline`] names what is
//!   missing).
//! - Metadata and files are immutable once their hash is known: cached by it, never refetched.
//!   A cached file is still checked before use (its size, and a sidecar recording its size and
//!   mtime when it was last hashed), because someone may have damaged the cache
//!   (`download.rs`).
//! - `file://` indexes and files are read in place (a directory's page is its `index.html`).

mod client;
mod collection;
mod download;
mod error;
mod html;
mod http;
mod metadata;
mod options;
mod page;
mod page_cache;
mod reporter;
mod retry;
mod sparse_file;
mod wheel_metadata;

pub use client::RegistryClient;
pub use download::DownloadedFile;
pub use error::ClientError;
pub use options::{ClientOptions, DEFAULT_INDEX_URL, Refresh};
pub use page::{IndexFile, ProjectPage};
pub use reporter::{FetchId, FetchKind, NoReporter, Reporter};
