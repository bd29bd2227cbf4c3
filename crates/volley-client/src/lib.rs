//! The network side of volley: index pages, metadata and distribution files, each fetched once
//! per run through one [`RegistryClient`].
//!
//! Start with [`RegistryClient`]: [`RegistryClient::project_page`] gives a [`ProjectPage`] (the
//! [`IndexFile`]s of a project), [`RegistryClient::metadata`] a file's core metadata, and
//! [`RegistryClient::download`] the file itself in the cache. The `prefetch_*` and
//! `start_download` variants start the same fetches without waiting, so the resolver can run
//! ahead of the network; [`RegistryClient::download_progress`] lets a caller read a file while
//! it downloads (the binary unpacks wheels that way). [`ClientOptions`] says where projects come from and how to reach them.
//! Underneath, the download collection (`collection.rs`) keys every fetch,
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
//! - A file is in the cache only once every hash the index gives for it matches (md5 to
//!   sha512, as pip; `hasher.rs`): it is streamed to a temporary file and renamed into place
//!   (`download.rs`).
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
//! - Which indexes a project's files come from is the [`IndexStrategy`]: the first index that
//!   has the project (the default, against dependency confusion), or all of them (pip's
//!   `unsafe-best-match`). [`FindLinks`] locations are added to every project either way, and
//!   alone with [`ClientOptions::no_index`] (`find_links.rs`, `client.rs`; `docs/indexes.md`).
//! - Credentials (in index URLs, from a netrc file, from the `keyring` command) are taken out
//!   of URLs before any request and sent as basic auth to their origin only, pages and files
//!   alike (`authentication.rs`). The URLs the client keeps, caches, reports and logs carry
//!   none; any URL shown goes through [`redact`] (`https://user:****@host/...`, as pip shows
//!   it), and the binary must show [`IndexFile::url`] (a page's link may carry credentials)
//!   through it too.
//! - `--cert` replaces the system's certificates (as pip's does); trusted hosts skip
//!   certificate checks through a second reqwest client, and are the only hosts, with the
//!   loopback interface, whose index pages may come over plain HTTP (`transport.rs`).

mod authentication;
mod blocking;
mod client;
mod collection;
mod credentials;
mod download;
mod error;
mod find_links;
mod hasher;
mod html;
mod http;
mod keyring;
mod metadata;
mod netrc;
mod options;
mod page;
mod page_cache;
mod reporter;
mod retry;
mod sparse_file;
mod tls;
mod transport;
mod wheel_metadata;

pub use blocking::{run_blocking, run_blocking_bounded};
pub use client::{FileFilter, RegistryClient};
pub use credentials::redact;
pub use download::{DownloadProgress, DownloadReader, DownloadedFile};
pub use error::ClientError;
pub use find_links::FindLinks;
pub use keyring::KeyringProvider;
pub use options::{
    ClientOptions, DEFAULT_INDEX_URL, DEFAULT_MAX_BODY_SIZE, DEFAULT_MIN_TRANSFER_RATE,
    IndexStrategy, Refresh,
};
pub use page::{IndexFile, ProjectPage};
pub use reporter::{FetchId, FetchKind, NoReporter, Reporter};
