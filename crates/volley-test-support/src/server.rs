//! An in-process package index (PEP 503 HTML and PEP 691 JSON) on `127.0.0.1:0`, with fault
//! injection and a log of every request.
//!
//! Start with [`IndexServer::builder`]. The server runs on its own thread with its own tokio
//! runtime, so sync tests, async tests and child processes (the `volley` binary, pip) can all
//! use it; it stops when the [`IndexServer`] is dropped.
//!
//! URL layout:
//! - `/simple/`: the root listing; `/simple/<normalized-name>/`: a project page. A
//!   non-normalized name (`/simple/Foo_Bar/`) or a missing slash gets a 301 to the normalized
//!   URL, as PyPI does; an unknown project is a 404. Pages have an `ETag` (`If-None-Match` gets
//!   a 304) and no `Cache-Control` unless [`IndexServerBuilder::page_cache_control`] sets one.
//! - `/files/<filename>`: the files, with `Range:` support (single ranges: `bytes=a-b`,
//!   `bytes=a-`, `bytes=-n`; 206 with `Content-Range`, 416 when unsatisfiable) and an `ETag`
//!   (`If-None-Match` gets a 304).
//! - `/files/<filename>.metadata`: the PEP 658 core metadata of a wheel, when metadata files are
//!   on.
//!
//! Options for credentials and transport tests: [`IndexServerBuilder::basic_auth`] answers
//! `401 Unauthorized` (with `WWW-Authenticate: Basic`) to every request, pages and files alike,
//! that lacks the right `Authorization` header; [`IndexServerBuilder::tls`] serves HTTPS with
//! certificates made at start ([`TestCertificates`]), and
//! [`IndexServerBuilder::require_client_certificate`] also asks clients for one.
//!
//! The server is a hyper HTTP/1.1 server over a plain tokio listener rather than a framework,
//! because [`FaultKind::Reset`] needs to drop the TCP connection in the middle of a request.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use http::{Method, Request, Response, StatusCode, header};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

use crate::fault::{Fault, FaultKind};
use crate::page::IndexFormat;
use crate::repository::{Reply, Repository, StoredFile};
use crate::tls::TestCertificates;
use crate::wheel::BuiltWheel;

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The path with the query, e.g. `/simple/foo/` or `/files/foo-1.0-py3-none-any.whl`.
    pub path: String,
    /// Header names (lowercase) and values, in the order received (repeated headers together).
    pub headers: Vec<(String, String)>,
    /// The response status, `None` when there was none (a reset, or still being served).
    pub status: Option<u16>,
    /// When the request arrived.
    pub started: Instant,
    /// When the response body was sent completely or abandoned.
    pub finished: Option<Instant>,
}

impl RecordedRequest {
    /// The value of the header `name` (case-insensitive), if the request had it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Configures and starts an [`IndexServer`].
#[derive(Debug, Default)]
pub struct IndexServerBuilder {
    files: Vec<StoredFile>,
    metadata_files: Option<bool>,
    range_requests: Option<bool>,
    format: IndexFormat,
    yanked: BTreeMap<String, Option<String>>,
    requires_python: BTreeMap<String, String>,
    page_cache_control: Option<String>,
    hashes: BTreeMap<String, Vec<(String, String)>>,
    basic_auth: Option<(String, String)>,
    tls: bool,
    tls_self_signed: bool,
    require_client_certificate: bool,
}

impl IndexServerBuilder {
    /// Serves a built wheel under its project (its metadata becomes the `.metadata` file).
    #[must_use]
    pub fn wheel(mut self, wheel: BuiltWheel) -> Self {
        self.files.push(StoredFile::from_wheel(wheel));
        self
    }

    /// Serves any file (an sdist, a hand-made wheel, ...) under `project`. A `.whl` gets a
    /// `.metadata` file when its archive has a `*.dist-info/METADATA`.
    #[must_use]
    pub fn file(mut self, project: &str, filename: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files
            .push(StoredFile::new(project, filename, bytes.into()));
        self
    }

    /// Serves PEP 658 `.metadata` files and announces them on the pages (default `true`).
    #[must_use]
    pub fn metadata_files(mut self, enabled: bool) -> Self {
        self.metadata_files = Some(enabled);
        self
    }

    /// Honours `Range:` (default `true`); when `false`, ranges are ignored and the whole file is
    /// sent with 200, and no `Accept-Ranges` is announced.
    #[must_use]
    pub fn range_requests(mut self, enabled: bool) -> Self {
        self.range_requests = Some(enabled);
        self
    }

    /// Which page formats are offered (default [`IndexFormat::Both`]).
    #[must_use]
    pub fn format(mut self, format: IndexFormat) -> Self {
        self.format = format;
        self
    }

    /// Marks the file `filename` yanked, with an optional reason.
    #[must_use]
    pub fn yanked(mut self, filename: &str, reason: Option<&str>) -> Self {
        self.yanked
            .insert(filename.to_string(), reason.map(str::to_string));
        self
    }

    /// Sets the `Requires-Python` the pages announce for `filename`.
    #[must_use]
    pub fn requires_python(mut self, filename: &str, specifiers: &str) -> Self {
        self.requires_python
            .insert(filename.to_string(), specifiers.to_string());
        self
    }

    /// Announces `hashes` (`(algorithm, digest)` pairs, e.g. `("sha512", "...")`) for
    /// `filename` instead of its sha256: a PEP 691 page lists all of them, an HTML link carries
    /// the first in its fragment (none when `hashes` is empty). The file served is unchanged.
    #[must_use]
    pub fn hashes(mut self, filename: &str, hashes: &[(&str, &str)]) -> Self {
        self.hashes.insert(
            filename.to_string(),
            hashes
                .iter()
                .map(|(algorithm, digest)| ((*algorithm).to_string(), (*digest).to_string()))
                .collect(),
        );
        self
    }

    /// Sends `Cache-Control: <value>` with index pages (and their 304s), e.g. `max-age=600` as
    /// PyPI does, or `no-store`. By default pages have no `Cache-Control` header.
    #[must_use]
    pub fn page_cache_control(mut self, value: &str) -> Self {
        self.page_cache_control = Some(value.to_string());
        self
    }

    /// Requires HTTP basic auth with this user name and password for every request: without
    /// it (or with other credentials) the answer is `401 Unauthorized` with
    /// `WWW-Authenticate: Basic realm="volley-test-support"`. The request is recorded either way.
    #[must_use]
    pub fn basic_auth(mut self, username: &str, password: &str) -> Self {
        self.basic_auth = Some((username.to_string(), password.to_string()));
        self
    }

    /// Serves HTTPS (HTTP/1.1 over TLS) with a server certificate for `127.0.0.1` and
    /// `localhost`, signed by a certificate authority made for this server
    /// ([`IndexServer::certificates`]); [`IndexServer::url`] becomes `https://...`. A
    /// client that does not trust the authority fails the handshake.
    #[must_use]
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Serves HTTPS (as [`Self::tls`]) with one self-signed certificate marked as an authority
    /// (`CA:TRUE`), as `openssl req -x509` makes by default
    /// ([`TestCertificates::self_signed_authority`]).
    #[must_use]
    pub fn tls_self_signed(mut self) -> Self {
        self.tls = true;
        self.tls_self_signed = true;
        self
    }

    /// Serves HTTPS (as [`Self::tls`]) and requires clients to present a certificate signed by
    /// the server's authority, such as [`TestCertificates::client_pem`].
    #[must_use]
    pub fn require_client_certificate(mut self) -> Self {
        self.tls = true;
        self.require_client_certificate = true;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on a new thread.
    ///
    /// # Panics
    /// When the socket cannot be bound or the runtime cannot be built.
    pub fn start(self) -> IndexServer {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the index server's socket");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let address = listener.local_addr().expect("read the listener's address");

        let mut repository = Repository {
            metadata_files: self.metadata_files.unwrap_or(true),
            range_requests: self.range_requests.unwrap_or(true),
            format: self.format,
            yanked: self.yanked,
            requires_python: self.requires_python,
            page_cache_control: self.page_cache_control,
            hashes: self.hashes,
            ..Repository::default()
        };
        for file in self.files {
            repository.add(file);
        }
        let authorization = self.basic_auth.map(|(username, password)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            format!("Basic {encoded}")
        });
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                repository,
                ..State::default()
            }),
            authorization,
        });
        let certificates = self.tls.then(|| {
            if self.tls_self_signed {
                TestCertificates::self_signed_authority()
            } else {
                TestCertificates::generate()
            }
        });
        let acceptor = certificates.as_ref().map(|certificates| {
            TlsAcceptor::from(Arc::new(
                certificates.server_config(self.require_client_certificate),
            ))
        });

        let (shutdown, shutdown_receiver) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build the index server's runtime");
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("index-server-{}", address.port()))
            .spawn(move || {
                runtime.block_on(accept_loop(
                    listener,
                    thread_shared,
                    acceptor,
                    shutdown_receiver,
                ));
            })
            .expect("spawn the index server's thread");

        IndexServer {
            address,
            shared,
            certificates,
            shutdown,
            thread: Some(thread),
        }
    }
}

/// A running index; see the module documentation. Stops when dropped.
#[derive(Debug)]
pub struct IndexServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    certificates: Option<TestCertificates>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl IndexServer {
    /// A builder for a server with no files yet.
    pub fn builder() -> IndexServerBuilder {
        IndexServerBuilder::default()
    }

    /// The server's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:<port>`, or `https://127.0.0.1:<port>` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.certificates.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// The certificates of a TLS server ([`IndexServerBuilder::tls`]); `None` for plain HTTP.
    pub fn certificates(&self) -> Option<&TestCertificates> {
        self.certificates.as_ref()
    }

    /// `http://127.0.0.1:<port>/simple`, for `--index-url`.
    pub fn index_url(&self) -> String {
        format!("{}/simple", self.url())
    }

    /// `<url>/files/<filename>`, a file's direct URL.
    pub fn file_url(&self, filename: &str) -> String {
        format!("{}/files/{filename}", self.url())
    }

    /// Every request received so far (or since [`Self::clear_requests`]), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .requests
            .iter()
            .map(|(_, request)| request.clone())
            .collect()
    }

    /// The most requests that were being served at the same time (from arrival to the end of
    /// the response body).
    pub fn max_in_flight(&self) -> usize {
        self.shared.lock().max_in_flight
    }

    /// Forgets the recorded requests and restarts [`Self::max_in_flight`] from the number of
    /// requests being served now.
    pub fn clear_requests(&self) {
        let mut state = self.shared.lock();
        state.requests.clear();
        state.max_in_flight = state.in_flight;
    }

    /// Serves another built wheel, from now on.
    pub fn add_wheel(&self, wheel: BuiltWheel) {
        self.shared
            .lock()
            .repository
            .add(StoredFile::from_wheel(wheel));
    }

    /// Serves another file under `project`, from now on; see [`IndexServerBuilder::file`].
    pub fn add_file(&self, project: &str, filename: &str, bytes: impl Into<Vec<u8>>) {
        self.shared
            .lock()
            .repository
            .add(StoredFile::new(project, filename, bytes.into()));
    }

    /// Marks `filename` yanked (with an optional reason) on the pages from now on.
    pub fn set_yanked(&self, filename: &str, reason: Option<&str>) {
        self.shared
            .lock()
            .repository
            .yanked
            .insert(filename.to_string(), reason.map(str::to_string));
    }

    /// Sets the `Requires-Python` the pages announce for `filename` from now on.
    pub fn set_requires_python(&self, filename: &str, specifiers: &str) {
        self.shared
            .lock()
            .repository
            .requires_python
            .insert(filename.to_string(), specifiers.to_string());
    }

    /// Sets (or, with `None`, removes) the `Cache-Control` header of index pages from now on;
    /// see [`IndexServerBuilder::page_cache_control`].
    pub fn set_page_cache_control(&self, value: Option<&str>) {
        self.shared.lock().repository.page_cache_control = value.map(str::to_string);
    }

    /// Injects a fault; see [`Fault`].
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Removes every injected fault that has not been used up.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        // The receiver is gone only if the thread already ended; nothing to stop then.
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been printed; do not panic in drop.
            let _ = thread.join();
        }
    }
}

/// Everything the request handlers share.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// The `Authorization` header every request must carry, when basic auth is on.
    authorization: Option<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug, Default)]
struct State {
    repository: Repository,
    faults: Vec<Fault>,
    /// Requests by id (ids keep counting across [`IndexServer::clear_requests`]).
    requests: Vec<(u64, RecordedRequest)>,
    next_id: u64,
    in_flight: usize,
    max_in_flight: usize,
}

impl State {
    /// Takes one use of the first fault matching `path`.
    fn take_fault(&mut self, path: &str) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|fault| fault.times > 0 && path.ends_with(&fault.path_suffix))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    fn finish(&mut self, id: u64, status: Option<u16>) {
        self.in_flight -= 1;
        if let Some((_, request)) = self
            .requests
            .iter_mut()
            .rev()
            .find(|(request_id, _)| *request_id == id)
        {
            request.finished = Some(Instant::now());
            if status.is_some() {
                request.status = status;
            }
        }
    }
}

/// Marks its request finished when dropped: when the response body has been sent or abandoned.
struct Tracker {
    shared: Arc<Shared>,
    id: u64,
    status: Option<u16>,
}

impl Tracker {
    fn start(shared: &Arc<Shared>, request: &Request<Incoming>) -> Self {
        let recorded = RecordedRequest {
            method: request.method().to_string(),
            path: request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().path().to_string(), ToString::to_string),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            status: None,
            started: Instant::now(),
            finished: None,
        };
        let mut state = shared.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.requests.push((id, recorded));
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        Self {
            shared: Arc::clone(shared),
            id,
            status: None,
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.shared.lock().finish(self.id, self.status);
    }
}

/// A response body: a stream of chunks that may pause or fail, holding the request's tracker.
struct ServerBody {
    chunks: BoxStream<'static, io::Result<Bytes>>,
    _tracker: Tracker,
}

impl Body for ServerBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.chunks
            .poll_next_unpin(context)
            .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let listener =
        tokio::net::TcpListener::from_std(listener).expect("register the index server's socket");
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(serve_connection(stream, Arc::clone(&shared), acceptor.clone()));
            }
        }
    }
}

/// Serves one connection (after the TLS handshake, when serving TLS) until the client closes
/// it, or a [`FaultKind::Reset`] asks for it to be reset.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
) {
    // Keep a duplicate of the socket to set `SO_LINGER` 0 on before a reset: the option belongs
    // to the socket, so closing hyper's descriptor afterwards sends a RST.
    let Ok(stream) = stream.into_std() else {
        return;
    };
    let Ok(duplicate) = stream.try_clone() else {
        return;
    };
    let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
        return;
    };
    match acceptor {
        None => serve_http(TokioIo::new(stream), shared, duplicate).await,
        Some(acceptor) => {
            // A client that rejects the certificate ends the handshake: nothing to serve.
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            serve_http(TokioIo::new(stream), shared, duplicate).await;
        }
    }
}

/// Serves HTTP/1.1 on `io`; `duplicate` is its TCP socket, for resets.
async fn serve_http<I>(io: I, shared: Arc<Shared>, duplicate: std::net::TcpStream)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let reset = Arc::new(Notify::new());
    let handler_reset = Arc::clone(&reset);
    let service =
        service_fn(move |request| handle(Arc::clone(&shared), Arc::clone(&handler_reset), request));
    let connection = http1::Builder::new().serve_connection(io, service);
    tokio::select! {
        // Connection errors (a client hanging up, a truncated body) end the connection; there
        // is nobody to report them to.
        _ = connection => {}
        () = reset.notified() => {
            let socket = tokio::net::TcpSocket::from_std_stream(duplicate);
            // If this fails the close below is a plain FIN, which is still a dropped connection.
            let _ = socket.set_zero_linger();
            drop(socket);
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    reset: Arc<Notify>,
    request: Request<Incoming>,
) -> Result<Response<ServerBody>, Infallible> {
    let mut tracker = Tracker::start(&shared, &request);
    let path = request.uri().path().to_string();
    let unauthorized = shared.authorization.as_ref().is_some_and(|expected| {
        request
            .headers()
            .get(header::AUTHORIZATION)
            .is_none_or(|given| given.as_bytes() != expected.as_bytes())
    });
    // Faults are kept for requests that get through.
    let fault = if unauthorized {
        None
    } else {
        shared.lock().take_fault(&path)
    };

    let reply = match &fault {
        _ if unauthorized => {
            let mut reply = Reply::text(StatusCode::UNAUTHORIZED, "authentication required\n");
            reply.headers.push((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"volley-test-support\"".to_string(),
            ));
            reply
        }
        Some(FaultKind::Reset) => {
            reset.notify_one();
            // The connection task drops this future together with the connection.
            std::future::pending::<()>().await;
            unreachable!("a pending future never completes")
        }
        Some(FaultKind::Status(code)) => Reply::text(status_code(*code), "injected fault\n"),
        Some(FaultKind::StatusWithRetryAfter(code, seconds)) => {
            let mut reply = Reply::text(status_code(*code), "injected fault\n");
            reply
                .headers
                .push((header::RETRY_AFTER, seconds.to_string()));
            reply
        }
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            shared.lock().repository.route(&request)
        }
        _ => shared.lock().repository.route(&request),
    };

    let head_only = request.method() == Method::HEAD;
    let not_modified = reply.status == StatusCode::OK
        && reply.etag.as_ref().is_some_and(|etag| {
            request
                .headers()
                .get_all(header::IF_NONE_MATCH)
                .iter()
                .any(|value| value.as_bytes() == etag.as_bytes())
        });
    let status = if not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        reply.status
    };
    tracker.status = Some(status.as_u16());

    let mut builder = Response::builder().status(status);
    for (name, value) in &reply.headers {
        builder = builder.header(name, value);
    }
    if let Some(etag) = &reply.etag {
        builder = builder.header(header::ETAG, etag);
    }
    let chunks = if not_modified {
        stream::empty().boxed()
    } else {
        match &fault {
            Some(FaultKind::EndlessBody { .. }) => {}
            Some(FaultKind::GzipBody(gzip)) => {
                builder = builder
                    .header(header::CONTENT_ENCODING, "gzip")
                    .header(header::CONTENT_LENGTH, gzip.len());
            }
            _ => builder = builder.header(header::CONTENT_LENGTH, reply.body.len()),
        }
        if head_only {
            stream::empty().boxed()
        } else {
            body_chunks(reply.body, fault.as_ref(), reset)
        }
    };
    let response = builder
        .body(ServerBody {
            chunks,
            _tracker: tracker,
        })
        .expect("the response's headers are valid");
    Ok(response)
}

/// The body as chunks, changed by a body fault; `reset` resets the connection.
fn body_chunks(
    body: Bytes,
    fault: Option<&FaultKind>,
    reset: Arc<Notify>,
) -> BoxStream<'static, io::Result<Bytes>> {
    match fault {
        Some(FaultKind::ResetAfter { after }) => {
            let head = body.slice(..(*after).min(body.len()));
            // Pause so that hyper flushes the bytes sent so far, then reset; the stream stays
            // pending until the connection task drops it.
            stream::iter([Ok(head)])
                .chain(stream::once(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    reset.notify_one();
                    std::future::pending::<io::Result<Bytes>>().await
                }))
                .boxed()
        }
        Some(FaultKind::EndlessBody { chunk, byte }) => {
            let piece = Bytes::from(vec![*byte; (*chunk).max(1)]);
            stream::repeat_with(move || Ok(piece.clone())).boxed()
        }
        Some(FaultKind::GzipBody(gzip)) => stream::iter([Ok(gzip.clone())]).boxed(),
        Some(FaultKind::SlowBody { chunk, delay }) => {
            let (chunk, delay) = ((*chunk).max(1), *delay);
            stream::unfold((body, true), move |(mut rest, first)| async move {
                if rest.is_empty() {
                    return None;
                }
                if !first {
                    tokio::time::sleep(delay).await;
                }
                let piece = rest.split_to(chunk.min(rest.len()));
                Some((Ok(piece), (rest, false)))
            })
            .boxed()
        }
        Some(FaultKind::Truncate { after }) => {
            let head = body.slice(..(*after).min(body.len()));
            // Pause before failing so that hyper flushes the bytes sent so far; the error then
            // makes hyper close the connection short of the Content-Length.
            stream::iter([Ok(head)])
                .chain(stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(io::Error::other("body truncated by an injected fault"))
                }))
                .boxed()
        }
        Some(FaultKind::WrongBody) => {
            let inverted: Vec<u8> = body.iter().map(|byte| !byte).collect();
            stream::iter([Ok(Bytes::from(inverted))]).boxed()
        }
        _ if body.is_empty() => stream::empty().boxed(),
        _ => stream::iter([Ok(body)]).boxed(),
    }
}

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
