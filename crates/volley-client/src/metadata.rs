//! Getting a file's core metadata, cheapest source first.
//!
//! 1. The metadata cache, when a hash is known: `metadata-v2/<sha256 of the file>.metadata`,
//!    or, when the index gives only the `.metadata` file's sha256, `metadata-v2/<that
//!    sha256>.metadata` (checked against it when read); every entry is sealed with the sha256
//!    of its own content, checked when read, so that a truncated copy is never used (it may
//!    still parse, short of `Requires-Dist` lines); then a wheel already on disk (in the
//!    cache and intact, or a `file://` wheel). Offline, nothing else is tried: a miss is
//!    [`ClientError::Offline`].
//! 2. The PEP 658 `<url>.metadata` file, when the index offers one; checked against its sha256
//!    when the index gave it. A 404 for it falls through to the next source.
//! 3. A wheel being downloaded in this run: its `METADATA`, once the download is done.
//! 4. Range requests: a 64 KiB tail, then whatever the zip's central directory and the
//!    `METADATA` entry need (see [`crate::wheel_metadata`]). A server that answers a range
//!    request with the whole file (200) is remembered per host; that response becomes the
//!    wheel's download.
//! 5. The whole wheel, kept in the cache for installing.
//!
//! An sdist without a `.metadata` file has no metadata to fetch: it needs a PEP 517 build,
//! which is not this crate's job ([`ClientError::MetadataNeedsBuild`]).
//!
//! Metadata is immutable once a hash names it, so it is cached only then: the metadata of a
//! file for which the index gives no hash at all is fetched again on every run.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use url::Url;
use volley_cache::{CacheBucket, seal, unseal, write_atomic};
use volley_packaging::{CoreMetadata, DistFilename, WheelFilename};

use crate::blocking::{run_blocking, run_blocking_bounded};
use crate::client::Inner;
use crate::collection::{RangeData, url_key};
use crate::credentials::redact;
use crate::download::{cached_checked, sha256_hex, store_bytes};
use crate::hasher::check_bytes;
use crate::http::{RangeAnswer, RangeSpec};
use crate::sparse_file::SparseFile;
use crate::wheel_metadata::{self, SparseRead};
use crate::{ClientError, DownloadedFile, FetchKind, IndexFile};

/// The first range request: the end of the wheel, where the central directory is.
pub(crate) const TAIL_SIZE: u64 = 64 * 1024;
/// Range requests after the tail before giving up on ranges for one wheel.
const MAX_RANGE_REQUESTS: usize = 8;

/// What names the cached metadata of a file.
#[derive(Clone)]
enum MetadataKey {
    /// The sha256 of the distribution file.
    File(String),
    /// The sha256 of its `.metadata` file (when the index gives no hash for the file itself):
    /// the cached bytes must have it.
    MetadataFile(String),
}

impl MetadataKey {
    fn of(file: &IndexFile) -> Option<Self> {
        match (file.sha256(), file.metadata_sha256()) {
            (Some(sha256), _) => Some(Self::File(sha256.to_string())),
            (None, Some(sha256)) => Some(Self::MetadataFile(sha256.to_string())),
            (None, None) => None,
        }
    }

    fn file_name(&self) -> String {
        match self {
            Self::File(sha256) | Self::MetadataFile(sha256) => format!("{sha256}.metadata"),
        }
    }

    /// Whether `bytes` may be stored (or used) under this key.
    fn admits(&self, bytes: &[u8]) -> bool {
        match self {
            Self::File(_) => true,
            Self::MetadataFile(sha256) => sha256_hex(bytes) == *sha256,
        }
    }
}

/// What reading a wheel's metadata with range requests got.
enum LazyMetadata {
    Found(Vec<u8>),
    /// The server sent the whole wheel instead; it is in the cache.
    Whole(DownloadedFile),
}

impl Inner {
    pub(crate) async fn fetch_metadata(
        self: &Arc<Self>,
        file: &IndexFile,
    ) -> Result<Arc<CoreMetadata>, ClientError> {
        let url = url_key(&file.url);
        let key = MetadataKey::of(file);
        let cache_path = key
            .as_ref()
            .map(|key| self.cache.entry(CacheBucket::Metadata, key.file_name()));
        if let (Some(path), Some(key)) = (&cache_path, &key) {
            // Read, checked and parsed off the async threads, like the rest of a cache read.
            let (path, key) = (path.clone(), key.clone());
            let cached = run_blocking_bounded(move || {
                let entry = fs_err::read(&path).ok()?;
                let Some(bytes) = unseal(&entry) else {
                    tracing::debug!("ignoring the cached {}: damaged", path.display());
                    return None;
                };
                match CoreMetadata::parse(bytes) {
                    Ok(metadata) if key.admits(bytes) => return Some(metadata),
                    Ok(_) => tracing::debug!("ignoring the cached {}: wrong hash", path.display()),
                    Err(error) => {
                        tracing::debug!("ignoring the cached {}: {error}", path.display());
                    }
                }
                None
            })
            .await;
            if let Some(metadata) = cached {
                return Ok(Arc::new(metadata));
            }
        }
        let bytes = self.metadata_bytes(file, &url).await?;
        let metadata =
            CoreMetadata::parse(&bytes).map_err(|error| ClientError::InvalidMetadata {
                url: url.clone(),
                reason: error.to_string(),
            })?;
        if let Some(path) = cache_path
            && key.is_some_and(|key| key.admits(&bytes))
        {
            let written = run_blocking(move || write_atomic(&path, &seal(&bytes))).await;
            if let Err(error) = written {
                tracing::debug!("failed to cache the metadata of {}: {error}", redact(&url));
            }
        }
        Ok(Arc::new(metadata))
    }

    async fn metadata_bytes(
        self: &Arc<Self>,
        file: &IndexFile,
        url: &Url,
    ) -> Result<Vec<u8>, ClientError> {
        // A wheel on disk (in the cache, or a local file) beats any request.
        if let DistFilename::Wheel(wheel) = &file.dist {
            if let Some(done) = cached_checked(&self.cache, file).await {
                return read_wheel(url, done.path, wheel).await;
            }
            if url.scheme() == "file" {
                let path = url.to_file_path().map_err(|()| ClientError::InvalidWheel {
                    url: url.clone(),
                    reason: "not a local path".to_string(),
                })?;
                return read_wheel(url, path, wheel).await;
            }
        }
        if self.offline && url.scheme() != "file" {
            let needs_build =
                matches!(file.dist, DistFilename::SourceDist(_)) && file.core_metadata.is_none();
            if !needs_build {
                return Err(ClientError::Offline {
                    what: format!("the metadata of {}", file.filename),
                });
            }
        }
        if file.core_metadata.is_some() && url.scheme() != "file" {
            let metadata_url = file.metadata_url();
            match self
                .http
                .get_bytes(&metadata_url, FetchKind::Metadata, HeaderMap::new())
                .await
            {
                Ok(fetched) => {
                    check_bytes(
                        &metadata_url,
                        file.core_metadata.as_deref().unwrap_or_default(),
                        &fetched.bytes,
                    )?;
                    return Ok(fetched.bytes.to_vec());
                }
                Err(error) if error.status() == Some(StatusCode::NOT_FOUND) => {
                    tracing::debug!(
                        "the index lists {} but does not serve it",
                        redact(&metadata_url)
                    );
                }
                Err(error) => return Err(error),
            }
        }
        let DistFilename::Wheel(wheel) = &file.dist else {
            return Err(ClientError::MetadataNeedsBuild { url: url.clone() });
        };
        if let Some(download) = self.collection.downloads.get(url) {
            let done = download.await?;
            return read_wheel(url, done.path, wheel).await;
        }
        if !self.ranges_unsupported(url) {
            match self.lazy_metadata(file, wheel).await {
                Ok(LazyMetadata::Found(bytes)) => return Ok(bytes),
                Ok(LazyMetadata::Whole(done)) => return read_wheel(url, done.path, wheel).await,
                Err(error) if !falls_back_to_download(&error) => return Err(error),
                Err(error) => {
                    tracing::debug!("range requests failed, downloading the whole wheel: {error}");
                }
            }
        }
        let done = self.download(file, None).await?;
        read_wheel(url, done.path, wheel).await
    }

    /// Read `METADATA` with range requests.
    async fn lazy_metadata(
        self: &Arc<Self>,
        file: &IndexFile,
        wheel: &WheelFilename,
    ) -> Result<LazyMetadata, ClientError> {
        let url = url_key(&file.url);
        let mut used = vec![RangeSpec::Suffix(TAIL_SIZE)];
        let (start, bytes, total) = match self.range(file, RangeSpec::Suffix(TAIL_SIZE)).await? {
            RangeData::Whole(done) => return Ok(LazyMetadata::Whole(done)),
            RangeData::Partial {
                start,
                bytes,
                total,
            } => (start, bytes, total),
        };
        let mut sparse = SparseFile::new(total);
        if start == 0 && bytes.len() as u64 == total {
            // The tail is the whole wheel: keep it, so that installing does not fetch it again.
            let done = store_bytes(
                &self.cache,
                &url,
                &file.filename,
                &file.hashes,
                bytes.clone(),
            )
            .await?;
            self.collection.downloads.insert_ready(url.clone(), done);
        }
        sparse.insert(start, bytes);
        let result = self
            .read_sparse(file, wheel, &url, &mut sparse, &mut used)
            .await;
        // Once the metadata is known, nothing needs the ranges again.
        for spec in used {
            self.collection.ranges.forget(&(url.clone(), spec));
        }
        if let Ok(LazyMetadata::Found(_)) = &result {
            tracing::debug!(
                "read the metadata of {} with {} of its {} bytes",
                redact(&url),
                sparse.fetched_bytes(),
                sparse.len()
            );
        }
        result
    }

    async fn read_sparse(
        self: &Arc<Self>,
        file: &IndexFile,
        wheel: &WheelFilename,
        url: &Url,
        sparse: &mut SparseFile,
        used: &mut Vec<RangeSpec>,
    ) -> Result<LazyMetadata, ClientError> {
        loop {
            let pass = sparse.clone();
            let pass_wheel = wheel.clone();
            let outcome = run_blocking(move || wheel_metadata::read_sparse(&pass, &pass_wheel))
                .await
                .map_err(|reason| ClientError::InvalidWheel {
                    url: url.clone(),
                    reason,
                })?;
            let range = match outcome {
                SparseRead::Found(bytes) => return Ok(LazyMetadata::Found(bytes)),
                SparseRead::Need(range) => range,
            };
            if used.len() > MAX_RANGE_REQUESTS {
                return Err(ClientError::InvalidWheel {
                    url: url.clone(),
                    reason: format!(
                        "its METADATA was not found after {} range requests",
                        used.len()
                    ),
                });
            }
            let spec = RangeSpec::Span {
                start: range.start,
                end: range.end.min(sparse.len()),
            };
            used.push(spec);
            match self.range(file, spec).await? {
                RangeData::Whole(done) => return Ok(LazyMetadata::Whole(done)),
                RangeData::Partial { start, bytes, .. } => sparse.insert(start, bytes),
            }
        }
    }

    /// A range of `file`, through the collection.
    async fn range(
        self: &Arc<Self>,
        file: &IndexFile,
        spec: RangeSpec,
    ) -> Result<RangeData, ClientError> {
        let url = url_key(&file.url);
        let inner = Arc::clone(self);
        let task_file = file.clone();
        let task_url = url.clone();
        self.collection
            .ranges
            .get_or_spawn((url.clone(), spec), &url, move || async move {
                match inner.http.get_range(&task_url, spec).await? {
                    RangeAnswer::Partial {
                        start,
                        bytes,
                        total,
                    } => Ok(RangeData::Partial {
                        start,
                        bytes,
                        total,
                    }),
                    RangeAnswer::Ignored(live) => {
                        let mut live = *live;
                        inner.mark_ranges_unsupported(&task_url);
                        live.restart_as(&inner.http, FetchKind::File);
                        // A download started meanwhile waits for this answer (see
                        // `fetch_file`): store the body here rather than hand it over.
                        let done = if inner.collection.downloads.get(&task_url).is_some() {
                            // On failure the waiting download makes its own request.
                            live.into_cache(&inner.cache, &task_file.filename, &task_file.hashes)
                                .await
                                .map_err(|failure| failure.error().clone())?
                        } else {
                            inner.download(&task_file, Some(live)).await?
                        };
                        Ok(RangeData::Whole(done))
                    }
                }
            })
            .await
    }
}

/// Whether a failure of the range path is worth a whole download (the server or the zip
/// layout did not suit ranges), rather than a failure of the file itself.
fn falls_back_to_download(error: &ClientError) -> bool {
    match error {
        ClientError::Status { status, .. } => !matches!(
            *status,
            StatusCode::NOT_FOUND
                | StatusCode::GONE
                | StatusCode::FORBIDDEN
                | StatusCode::UNAUTHORIZED
        ),
        ClientError::InvalidWheel { .. } => true,
        _ => false,
    }
}

async fn read_wheel(
    url: &Url,
    path: PathBuf,
    wheel: &WheelFilename,
) -> Result<Vec<u8>, ClientError> {
    let wheel = wheel.clone();
    run_blocking(move || wheel_metadata::read_file(&path, &wheel))
        .await
        .map_err(|reason| ClientError::InvalidWheel {
            url: url.clone(),
            reason,
        })
}
