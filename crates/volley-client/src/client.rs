//! [`RegistryClient`]: the one object every fetch of a run goes through.
//!
//! Its methods are thin: each looks up (or starts) a fetch in the [`Collection`] and awaits the
//! shared result. The fetches themselves are methods of [`Inner`], which tasks own a reference
//! to; the client's [`Owner`] aborts every task when the last clone of the client is dropped.
//! Metadata strategies live in [`crate::metadata`], the stored pages in [`crate::page_cache`],
//! find-links listings in [`crate::find_links`].
//!
//! A project's files are gathered from its index pages and the find-links locations at the
//! same time: the indexes as the [`IndexStrategy`] says (the first index that has the project,
//! or every index that has it), each find-links location listed once per run and asked for the
//! project's files. Index URLs are kept without their credentials (the [`Http`] layer sends
//! those), so that page URLs, file URLs, cache keys and stored pages carry none.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use url::Url;
use volley_cache::Cache;
use volley_packaging::{CoreMetadata, DistFilename, HashDigest, PackageName};

use crate::blocking::{run_blocking, run_blocking_bounded};
use crate::collection::{Collection, RangeData, SharedResult, url_key};
use crate::credentials::{redact, redacted_url, without_credentials};
use crate::download::{Partial, ProgressEnd, cached, cached_checked, hash_file};
use crate::find_links::{FlatIndex, is_distribution_url, list_local};
use crate::http::{Http, Live, RangeSpec};
use crate::metadata::TAIL_SIZE;
use crate::page::{Link, PageFormat, filename_of, html_links};
use crate::page_cache::{self, Freshness, PageRequest, StoredPage};
use crate::{
    ClientError, ClientOptions, DownloadProgress, DownloadedFile, FetchKind, FindLinks, IndexFile,
    IndexStrategy, ProjectPage, Refresh, Reporter,
};

/// The network client: index pages, metadata and files, each fetched once per run, at most
/// `max_connections` requests at a time. Cheap to clone; clones share everything. Fetches run as
/// tokio tasks, so its methods must be called within a tokio runtime; dropping the last clone
/// aborts whatever is still running.
#[derive(Clone)]
pub struct RegistryClient {
    owner: Arc<Owner>,
}

/// Held only by the client's clones, not by its tasks: its drop ends the tasks.
struct Owner(Arc<Inner>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.collection.abort_all();
    }
}

pub(crate) struct Inner {
    /// The indexes asked, in order, without credentials (empty with `--no-index`).
    pub(crate) index_urls: Vec<Url>,
    /// The same indexes as configured, credentials hidden: for messages.
    shown_index_urls: Vec<Url>,
    index_strategy: IndexStrategy,
    find_links: Vec<FindLinks>,
    pub(crate) http: Http,
    pub(crate) cache: Cache,
    pub(crate) collection: Collection,
    /// Pages to revalidate even when fresh.
    refresh: Refresh,
    /// No network requests at all.
    pub(crate) offline: bool,
    /// Hosts (`host:port`) that answered a range request with the whole file.
    no_range_hosts: Mutex<HashSet<String>>,
    /// Which files of index pages to keep (see [`RegistryClient::keep_files`]).
    keep: std::sync::OnceLock<FileFilter>,
}

/// Says whether a file listed on an index page is worth keeping in memory.
pub type FileFilter = Arc<dyn Fn(&DistFilename) -> bool + Send + Sync>;

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("index_urls", &self.inner().shown_index_urls)
            .field("find_links", &self.inner().find_links)
            .field("cache", &self.inner().cache.root())
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    pub fn new(
        options: ClientOptions,
        cache: Cache,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Self, ClientError> {
        let collection = Collection::new(options.max_connections);
        let http = Http::new(&options, Arc::clone(&collection.connections), reporter)?;
        let configured = if options.no_index {
            Vec::new()
        } else {
            options.index_urls
        };
        let inner = Inner {
            index_urls: configured.iter().map(without_credentials).collect(),
            shown_index_urls: configured.iter().map(redacted_url).collect(),
            index_strategy: options.index_strategy,
            find_links: options.find_links,
            http,
            cache,
            collection,
            refresh: options.refresh,
            offline: options.offline,
            no_range_hosts: Mutex::new(HashSet::new()),
            keep: std::sync::OnceLock::new(),
        };
        Ok(Self {
            owner: Arc::new(Owner(Arc::new(inner))),
        })
    }

    fn inner(&self) -> &Arc<Inner> {
        &self.owner.0
    }

    /// The configured indexes, in the order they are asked, without their credentials (none
    /// with `--no-index`).
    pub fn index_urls(&self) -> &[Url] {
        &self.inner().index_urls
    }

    /// The find-links locations.
    pub fn find_links(&self) -> &[FindLinks] {
        &self.inner().find_links
    }

    pub fn cache(&self) -> &Cache {
        &self.inner().cache
    }

    /// The text of a small file at `url` (a requirements file named by URL, as pip fetches
    /// it): the same credentials, certificates, proxy, retries and body cap as everything else,
    /// decoded as UTF-8 (lossily). `file:` URLs are read from disk. Not cached. Offline, fails
    /// with [`ClientError::Offline`].
    pub async fn fetch_text(&self, url: &Url) -> Result<String, ClientError> {
        if url.scheme() == "file" {
            let path = url.to_file_path().map_err(|()| ClientError::InvalidPage {
                url: url.clone(),
                reason: "not a local path".to_string(),
            })?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|error| ClientError::io_at(url, &path, error))?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        if self.inner().offline {
            return Err(ClientError::Offline { what: redact(url) });
        }
        let fetched = self
            .inner()
            .http
            .get_bytes(url, FetchKind::Metadata, HeaderMap::new())
            .await?;
        Ok(String::from_utf8_lossy(&fetched.bytes).into_owned())
    }

    /// The files of project `name`: those of the first index that has it (an index that
    /// answers 404 or 410 does not have it), or of every index that has it, as the
    /// [`IndexStrategy`] says, and those of every find-links location. Fails with
    /// [`ClientError::ProjectNotFound`] when none of them has any.
    pub async fn project_page(&self, name: &PackageName) -> Result<Arc<ProjectPage>, ClientError> {
        self.project_page_now(name).await
    }

    /// [`Self::project_page`], with the fetch looked up (or started) in the collection now,
    /// when this is called, rather than when the future is first polled: a caller that
    /// also calls [`Self::forget_project_page`] can order the two under its own lock.
    pub fn project_page_now(
        &self,
        name: &PackageName,
    ) -> impl Future<Output = Result<Arc<ProjectPage>, ClientError>> + Send + 'static {
        let page = self.inner().project_page(name);
        let not_found = page.is_none().then(|| self.inner().not_found(name));
        async move {
            match (page, not_found) {
                (Some(page), _) => page.await,
                (None, Some(error)) => Err(error),
                (None, None) => unreachable!("a missing fetch comes with its error"),
            }
        }
    }

    /// Keep only the files of index pages that `filter` accepts (wheels the target can
    /// install, say), from now on: a big project's page lists tens of thousands of files, most
    /// of them useless to a run, and parsing them all costs memory the run never gives back.
    /// Set once; pages parsed before are kept whole. Find-links locations are not filtered.
    pub fn keep_files(&self, filter: FileFilter) {
        let _ = self.inner().keep.set(filter);
    }

    /// Start fetching the page of `name` now; [`Self::project_page`] picks up the result.
    pub fn prefetch_project_page(&self, name: &PackageName) {
        drop(self.inner().project_page(name));
    }

    /// Let go of a project's page once the caller has kept what it needs of it: a big run
    /// would otherwise hold every page whole until it ends. A later [`Self::project_page`]
    /// reads it again (from the HTTP cache while it is fresh).
    pub fn forget_project_page(&self, name: &PackageName) {
        self.inner().collection.pages.forget(name);
    }

    /// The core metadata of `file`, from the cheapest source: the cache; the index's PEP 658
    /// `.metadata` file (hash-checked when the index gave a hash); range requests reading only
    /// the wheel's central directory and `METADATA`; the whole wheel (which is then kept in the
    /// cache for installing). An sdist without a `.metadata` file fails with
    /// [`ClientError::MetadataNeedsBuild`].
    pub async fn metadata(&self, file: &IndexFile) -> Result<Arc<CoreMetadata>, ClientError> {
        self.inner().metadata(file).await
    }

    /// Start fetching the metadata of `file` now; [`Self::metadata`] picks up the result.
    pub fn prefetch_metadata(&self, file: &IndexFile) {
        drop(self.inner().metadata(file));
    }

    /// The file, in the cache, its sha256 checked against the index's. No request is made when
    /// the cache holds it already (known by the index's sha256) and it is intact (see
    /// `download.rs`: a damaged copy is fetched again). Offline, a file that is not in the
    /// cache fails with [`ClientError::Offline`].
    pub async fn download(&self, file: &IndexFile) -> Result<DownloadedFile, ClientError> {
        if let Some(done) = cached(&self.inner().cache, file) {
            return Ok(done);
        }
        self.inner().download(file, None).await
    }

    /// Start downloading `file` now (speculatively); [`Self::download`] picks up the result and
    /// [`Self::cancel_download`] abandons it.
    pub fn start_download(&self, file: &IndexFile) {
        if cached(&self.inner().cache, file).is_none() {
            drop(self.inner().download(file, None));
        }
    }

    /// Start downloading `file` (as [`Self::start_download`]) and return the download's
    /// progress, through which its bytes can be read while they arrive
    /// ([`DownloadProgress::follow`]); [`Self::download`] picks up the result. `None` when there
    /// is nothing to follow: the file is in the cache, or its download has ended already.
    pub fn download_progress(&self, file: &IndexFile) -> Option<Arc<DownloadProgress>> {
        if cached(&self.inner().cache, file).is_some() {
            return None;
        }
        drop(self.inner().download(file, None));
        self.inner()
            .collection
            .download_progress(&url_key(&file.url))
            .filter(|progress| !progress.has_ended())
    }

    /// Abort the download of `file` if it is still running; its temporary file is deleted and
    /// a later [`Self::download`] starts over. A finished download stays in the cache.
    pub fn cancel_download(&self, file: &IndexFile) {
        if self
            .inner()
            .collection
            .downloads
            .cancel(&url_key(&file.url))
        {
            tracing::debug!("cancelled the download of {}", redact(&file.url));
        }
    }
}

impl Inner {
    fn project_page(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Option<SharedResult<Arc<ProjectPage>>> {
        let first = match (self.index_urls.first(), self.find_links.first()) {
            (Some(index), _) => page_url(index, name),
            (None, Some(location)) => location.url(),
            (None, None) => return None,
        };
        let inner = Arc::clone(self);
        let task_name = name.clone();
        Some(
            self.collection
                .pages
                .get_or_spawn(name.clone(), &first, move || async move {
                    inner.fetch_project_page(&task_name).await.map(Arc::new)
                }),
        )
    }

    async fn fetch_project_page(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Result<ProjectPage, ClientError> {
        let (pages, flat) = tokio::join!(self.index_pages(name), self.find_links_files(name));
        let (pages, flat) = (pages?, flat?);
        let (location, flat) = flat;
        let Some(index) = pages.first().map(|page| page.index.clone()).or(location) else {
            if self.offline && self.index_urls.iter().any(|index| index.scheme() != "file") {
                return Err(ClientError::Offline {
                    what: format!("the index page of \"{name}\""),
                });
            }
            return Err(self.not_found(name));
        };
        let mut seen = HashSet::new();
        let mut dropped_tags: Vec<String> = pages
            .iter()
            .flat_map(|page| page.dropped_tags.iter().cloned())
            .collect();
        dropped_tags.sort();
        dropped_tags.dedup();
        let files = pages
            .into_iter()
            .flat_map(|page| page.files)
            .chain(flat)
            .filter(|file| seen.insert(url_key(&file.url)))
            .collect();
        Ok(ProjectPage {
            name: name.clone(),
            index,
            files,
            dropped_tags,
        })
    }

    fn not_found(&self, name: &PackageName) -> ClientError {
        ClientError::ProjectNotFound {
            name: name.clone(),
            indexes: self.shown_index_urls.clone(),
            find_links: self.find_links.iter().map(ToString::to_string).collect(),
        }
    }

    /// The pages of `name` on the indexes that have it: the first only, or all of them.
    async fn index_pages(&self, name: &PackageName) -> Result<Vec<ProjectPage>, ClientError> {
        match self.index_strategy {
            IndexStrategy::FirstIndex => {
                for index in &self.index_urls {
                    if let Some(page) = self.index_page(name, index).await? {
                        return Ok(vec![page]);
                    }
                }
                Ok(Vec::new())
            }
            IndexStrategy::UnsafeBestMatch => {
                let pages = futures::future::join_all(
                    self.index_urls
                        .iter()
                        .map(|index| self.index_page(name, index)),
                )
                .await;
                let mut found = Vec::new();
                for page in pages {
                    found.extend(page?);
                }
                Ok(found)
            }
        }
    }

    /// The page of `name` on `index`; `None` when the index does not have it.
    async fn index_page(
        &self,
        name: &PackageName,
        index: &Url,
    ) -> Result<Option<ProjectPage>, ClientError> {
        let url = page_url(index, name);
        if url.scheme() == "file" {
            local_page(name, index, &url).await
        } else {
            self.remote_page(name, index, &url).await
        }
    }

    /// The files of `name` in every find-links location, in the order of the locations, and
    /// the first location that has some.
    async fn find_links_files(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Result<(Option<Url>, Vec<IndexFile>), ClientError> {
        let listings =
            futures::future::join_all(self.find_links.iter().map(|location| self.flat(location)))
                .await;
        let mut first = None;
        let mut files = Vec::new();
        for (location, listing) in self.find_links.iter().zip(listings) {
            let found = listing?.files(name);
            if first.is_none() && !found.is_empty() {
                first = Some(location.url());
            }
            files.extend(found);
        }
        Ok((first, files))
    }

    /// The listing of one find-links location, made once per run.
    fn flat(self: &Arc<Self>, location: &FindLinks) -> SharedResult<Arc<FlatIndex>> {
        let url = location.url();
        let inner = Arc::clone(self);
        let task_location = location.clone();
        let task_url = url.clone();
        self.collection
            .flat
            .get_or_spawn(url.clone(), &url, move || async move {
                let links = inner.list_location(&task_location).await?;
                tracing::debug!(
                    "the find-links location {task_location} lists {} files",
                    links.len()
                );
                Ok(Arc::new(FlatIndex::new(task_url, links)))
            })
    }

    async fn list_location(&self, location: &FindLinks) -> Result<Vec<Link>, ClientError> {
        let url = match location {
            FindLinks::Path(path) => {
                let path = path.clone();
                return run_blocking(move || list_local(&path)).await;
            }
            FindLinks::Url(url) => url,
        };
        if is_distribution_url(url) {
            return Ok(filename_of(url)
                .map(|filename| Link::bare(filename, url.clone()))
                .into_iter()
                .collect());
        }
        // Cached by HTTP caching rules like index pages (pip's HTTP cache serves both).
        let path = page_cache::find_links_path(&self.cache, url);
        let stored = page_cache::load(path.clone(), url).await;
        if self.offline {
            let Some(stored) = stored else {
                tracing::debug!("offline: skipping the find-links page {}", redact(url));
                return Ok(Vec::new());
            };
            let text = PageText::stored(stored, url);
            return Ok(html_links(&text.url, &text.text));
        }
        let refresh = !matches!(self.refresh, Refresh::None);
        match self
            .page_text(PageRequest::html(url), refresh, url, &path, stored)
            .await?
        {
            Some(text) => Ok(html_links(&text.url, &text.text)),
            None => {
                tracing::warn!("the find-links location {location} is ignored: it is not found");
                Ok(Vec::new())
            }
        }
    }

    /// The page of `name` on `index` (at `url`): the stored copy while it is fresh, else
    /// fetched or revalidated (see `page_cache.rs`); `None` when the index does not have the
    /// project (404 or 410), or, offline, when no copy is stored.
    async fn remote_page(
        &self,
        name: &PackageName,
        index: &Url,
        url: &Url,
    ) -> Result<Option<ProjectPage>, ClientError> {
        let path = page_cache::path(&self.cache, index, name);
        let mut stored = page_cache::load(path.clone(), url).await;
        if self.offline {
            let Some(stored) = stored else {
                return Ok(None);
            };
            return match parse_text(name, index, PageText::stored(stored, url), self.keep.get())
                .await
            {
                Ok(page) => Ok(Some(page)),
                Err(error) => {
                    tracing::debug!("ignoring the cached page of {name}: {error}");
                    Ok(None)
                }
            };
        }
        // At most twice: a stored page that does not parse is dropped and fetched again (a
        // downloaded one that does not parse is dropped too, and is an error).
        loop {
            let request = PageRequest::new(url);
            let refresh = self.refresh.includes(name);
            let Some(text) = self
                .page_text(request, refresh, url, &path, stored.take())
                .await?
            else {
                return Ok(None);
            };
            let from_cache = text.from_cache;
            match parse_text(name, index, text, self.keep.get()).await {
                Ok(page) => return Ok(Some(page)),
                Err(error) => {
                    page_cache::remove(path.clone()).await;
                    if !from_cache {
                        return Err(error);
                    }
                    tracing::debug!(
                        "fetching {} again: the cached copy is unusable: {error}",
                        redact(url)
                    );
                }
            }
        }
    }

    /// The text of the page at `url` (asked for with `request`), from `stored` (fresh, or
    /// revalidated; always revalidated with `refresh`) or downloaded, and the cache entry at
    /// `path` brought up to date. `None` for a 404 or 410.
    async fn page_text(
        &self,
        request: PageRequest,
        refresh: bool,
        url: &Url,
        path: &Path,
        stored: Option<StoredPage>,
    ) -> Result<Option<PageText>, ClientError> {
        let headers = match &stored {
            None => request.headers(),
            Some(page) => match page.freshness(&request, refresh, SystemTime::now()) {
                Freshness::Fresh => {
                    tracing::debug!("{} is fresh in the cache", redact(url));
                    return Ok(stored.map(|page| PageText::stored(page, url)));
                }
                Freshness::Revalidate(headers) => headers,
            },
        };
        let fetched = match self.http.get_bytes(url, FetchKind::Page, headers).await {
            Ok(fetched) => fetched,
            Err(error)
                if matches!(
                    error.status(),
                    Some(StatusCode::NOT_FOUND | StatusCode::GONE)
                ) =>
            {
                tracing::debug!("{} is not there: {error}", redact(url));
                if stored.is_some() {
                    page_cache::remove(path.to_path_buf()).await;
                }
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        let now = SystemTime::now();
        if fetched.status == StatusCode::NOT_MODIFIED {
            let Some(page) = stored else {
                return Err(ClientError::InvalidPage {
                    url: fetched.url,
                    reason:
                        "the server answered 304 Not Modified to a request that was not conditional"
                            .to_string(),
                });
            };
            tracing::debug!("{} is unchanged since it was cached", redact(url));
            let page = match page.revalidated(&request, &fetched, now) {
                (page, _) if !page.is_storable() => {
                    page_cache::remove(path.to_path_buf()).await;
                    page
                }
                (page, true) => page_cache::store(path.to_path_buf(), page).await,
                (page, false) => page,
            };
            return Ok(Some(PageText::stored(page, url)));
        }
        match StoredPage::from_response(&request, &fetched, now) {
            Some(page) => {
                let page = page_cache::store(path.to_path_buf(), page).await;
                Ok(Some(PageText {
                    from_cache: false,
                    ..PageText::stored(page, url)
                }))
            }
            None => {
                tracing::debug!("{} may not be stored", redact(url));
                page_cache::remove(path.to_path_buf()).await;
                Ok(Some(PageText {
                    content_type: fetched
                        .header(reqwest::header::CONTENT_TYPE)
                        .map(str::to_string),
                    text: String::from_utf8_lossy(&fetched.bytes).into_owned(),
                    url: fetched.url,
                    from_cache: false,
                }))
            }
        }
    }

    pub(crate) fn metadata(self: &Arc<Self>, file: &IndexFile) -> SharedResult<Arc<CoreMetadata>> {
        let inner = Arc::clone(self);
        let task_file = file.clone();
        self.collection
            .metadata
            .get_or_spawn(url_key(&file.url), &file.url, move || async move {
                inner.fetch_metadata(&task_file).await
            })
    }

    /// The download of `file`, started if needed. `first` is a response already under way for
    /// it (a range request the server answered with the whole file); it is used for the first
    /// attempt, or dropped if the download was started already.
    pub(crate) fn download(
        self: &Arc<Self>,
        file: &IndexFile,
        first: Option<Live>,
    ) -> SharedResult<DownloadedFile> {
        let key = url_key(&file.url);
        self.collection
            .downloads
            .get_or_spawn(key.clone(), &file.url, || {
                let progress = Arc::new(DownloadProgress::new());
                self.collection
                    .set_download_progress(key, Arc::clone(&progress));
                let inner = Arc::clone(self);
                let task_file = file.clone();
                // Made here, not in the task: a task aborted before its first poll must still
                // end the progress, or its followers would wait forever.
                let end = ProgressEnd(Arc::clone(&progress));
                async move {
                    let result = inner.fetch_file(&task_file, first, &progress).await;
                    end.finish(&result);
                    result
                }
            })
    }

    async fn fetch_file(
        &self,
        file: &IndexFile,
        mut first: Option<Live>,
        progress: &DownloadProgress,
    ) -> Result<DownloadedFile, ClientError> {
        // Another process may have stored it meanwhile; a copy without a matching sidecar is
        // hashed here, off the caller's path.
        if let Some(done) = cached_checked(&self.cache, file).await {
            return Ok(done);
        }
        let url = url_key(&file.url);
        if url.scheme() == "file" {
            return local_file(&url, &file.hashes).await;
        }
        if self.offline {
            return Err(ClientError::Offline {
                what: file.filename.clone(),
            });
        }
        // A range read of this file may be under way (for its metadata); if the server
        // answers it with the whole file, that answer is the download.
        if first.is_none()
            && let Some(tail) = self
                .collection
                .ranges
                .get(&(url.clone(), RangeSpec::Suffix(TAIL_SIZE)))
            && let Ok(RangeData::Whole(done)) = tail.await
        {
            return Ok(done);
        }
        let mut attempts = self.http.attempts(&url);
        // What earlier attempts got, to resume from when the body broke off.
        let mut partial: Option<Partial> = None;
        loop {
            let result = async {
                let live = match first.take() {
                    Some(live) => live,
                    None => {
                        let headers = Partial::resume_headers(partial.as_ref())
                            .unwrap_or_else(Http::file_headers);
                        self.http.send(&url, FetchKind::File, headers).await?
                    }
                };
                live.into_cache_with_progress(
                    &self.cache,
                    &file.filename,
                    &file.hashes,
                    Some(progress),
                    &mut partial,
                )
                .await
            }
            .await;
            match result {
                Ok(done) => return Ok(done),
                Err(failure)
                    if partial.is_some()
                        && failure.error().status() == Some(StatusCode::RANGE_NOT_SATISFIABLE) =>
                {
                    // The file is shorter than what arrived: it changed. Start over.
                    partial = None;
                }
                Err(failure) => attempts.retry_or_fail(failure).await?,
            }
        }
    }

    pub(crate) fn ranges_unsupported(&self, url: &Url) -> bool {
        self.no_range_hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&host_key(url))
    }

    pub(crate) fn mark_ranges_unsupported(&self, url: &Url) {
        tracing::debug!(
            "{} ignores range requests: downloading whole files from it",
            host_key(url)
        );
        self.no_range_hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(host_key(url));
    }
}

fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// `<index>/<normalized name>/`, as pip builds it.
pub(crate) fn page_url(index: &Url, name: &PackageName) -> Url {
    let mut url = index.clone();
    let path = format!("{}/{name}/", index.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_fragment(None);
    url
}

/// A page's text, ready to parse.
struct PageText {
    /// The page URL after redirects.
    url: Url,
    content_type: Option<String>,
    text: String,
    /// Whether it came from the cache rather than this run's download.
    from_cache: bool,
}

impl PageText {
    /// The text of a stored page (asked for at `url`).
    fn stored(page: StoredPage, url: &Url) -> Self {
        Self {
            url: page.url().unwrap_or_else(|| url.clone()),
            content_type: page.content_type().map(str::to_string),
            text: page.into_body(),
            from_cache: true,
        }
    }
}

async fn parse_text(
    name: &PackageName,
    index: &Url,
    text: PageText,
    keep: Option<&FileFilter>,
) -> Result<ProjectPage, ClientError> {
    let name = name.clone();
    let index = index.clone();
    let keep = keep.cloned();
    run_blocking_bounded(move || {
        let keep_all = |_: &DistFilename| true;
        parse_page(
            &name,
            &index,
            &text.url,
            text.content_type.as_deref(),
            &text.text,
            keep.as_deref().unwrap_or(&keep_all),
        )
    })
    .await
}

fn parse_page(
    name: &PackageName,
    index: &Url,
    url: &Url,
    content_type: Option<&str>,
    text: &str,
    keep: &dyn Fn(&DistFilename) -> bool,
) -> Result<ProjectPage, ClientError> {
    let invalid = |reason: String| ClientError::InvalidPage {
        url: url.clone(),
        reason,
    };
    match PageFormat::from_content_type(content_type) {
        Some(PageFormat::Json) => {
            ProjectPage::from_json_keeping(name, index, url, text, keep).map_err(invalid)
        }
        Some(PageFormat::Html) => Ok(ProjectPage::from_html_keeping(name, index, url, text, keep)),
        None => Err(invalid(format!(
            "unexpected Content-Type \"{}\" (expected HTML or PEP 691 JSON)",
            content_type.unwrap_or_default()
        ))),
    }
}

/// A page of a `file://` index: the directory's `index.html`. `None` when it does not exist.
async fn local_page(
    name: &PackageName,
    index: &Url,
    url: &Url,
) -> Result<Option<ProjectPage>, ClientError> {
    let Ok(path) = url.to_file_path() else {
        return Err(ClientError::InvalidPage {
            url: url.clone(),
            reason: "not a local path".to_string(),
        });
    };
    let path = if path.is_dir() {
        path.join("index.html")
    } else {
        path
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok(Some(ProjectPage::from_html(
            name,
            index,
            url,
            &String::from_utf8_lossy(&bytes),
        ))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ClientError::io(url, error)),
    }
}

/// A `file://` distribution: used where it is, after its hashes are checked.
async fn local_file(url: &Url, expected: &[HashDigest]) -> Result<DownloadedFile, ClientError> {
    let path: PathBuf = url.to_file_path().map_err(|()| ClientError::InvalidWheel {
        url: url.clone(),
        reason: "not a local path".to_string(),
    })?;
    let (hashed, hashed_url, expected) = (path.clone(), url.clone(), expected.to_vec());
    let sha256 = run_blocking(move || hash_file(&hashed, &hashed_url, &expected))
        .await
        .map_err(|error| ClientError::io(url, error))??;
    Ok(DownloadedFile { path, sha256 })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn page_urls() {
        let name = PackageName::from_str("Foo_Bar").unwrap();
        for (index, expected) in [
            (
                "https://pypi.org/simple",
                "https://pypi.org/simple/foo-bar/",
            ),
            (
                "https://pypi.org/simple/",
                "https://pypi.org/simple/foo-bar/",
            ),
            (
                "http://127.0.0.1:8080/root/pypi/+simple/",
                "http://127.0.0.1:8080/root/pypi/+simple/foo-bar/",
            ),
            (
                "https://host/simple?token=x",
                "https://host/simple/foo-bar/?token=x",
            ),
        ] {
            assert_eq!(
                page_url(&Url::parse(index).unwrap(), &name).as_str(),
                expected
            );
        }
    }
}
