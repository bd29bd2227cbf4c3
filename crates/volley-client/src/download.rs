//! Files in the cache: streamed in while their hashes are computed (every hash the index gives,
//! see `hasher.rs`), renamed into `wheels-v1/<sha256>/<filename>` only when all of them are
//! right, and checked again before use.
//!
//! A failure or a cancellation drops the temporary file, which deletes it: nothing half-written
//! is ever visible under its final name.
//!
//! While a file downloads, its [`DownloadProgress`] lets others read it as it grows (the binary
//! unpacks wheels that way): each attempt (the first request, then each retry) writes a new
//! temporary file from byte 0, and the progress publishes that file, open for reading, with the
//! number of its bytes that are in the file (written and flushed, not sitting in a buffer). A
//! [`DownloadReader`] reads the file through its own handle, so the rename into place does not
//! disturb it, and it ends only once the whole file is in and its hash matched.
//!
//! Trap: a file in the cache may have been damaged since it was stored (truncated by a full
//! disk, edited by hand, half-written before a power loss: there is no fsync). Hashing every
//! cached file on every use would cost a sha256 pass over every wheel of every install, so a
//! verified file gets a sidecar, `<filename>.verified`, recording its size and modification
//! time when its hash was last checked. A file is trusted without reading it only while both
//! still match, and its size matches the index's when the index gives one; otherwise it is
//! hashed again, and a file with the wrong hash is removed and fetched again, never used. The
//! sidecar vouches for the sha256 only: when the index also gives a hash of another algorithm,
//! the cached file is hashed again before each use.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_RANGES, CONTENT_RANGE, ETAG, HeaderMap, HeaderValue, IF_RANGE, RANGE,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use url::Url;
use volley_cache::{Cache, CacheBucket, CacheError, persist_atomic, temp_file_in, write_atomic};
use volley_packaging::HashDigest;

use crate::blocking::run_blocking;
use crate::credentials::redact;
use crate::hasher::{FileHasher, check_bytes};
use crate::http::{Http, Live, parse_content_range};
use crate::retry::Failure;
use crate::{ClientError, IndexFile};

/// A distribution file in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DownloadedFile {
    /// `<cache>/wheels-v1/<sha256>/<filename>`.
    pub path: PathBuf,
    /// Lowercase hex.
    pub sha256: String,
}

/// Where a file with this hash and name lives in the cache (not created).
pub(crate) fn cache_path(cache: &Cache, sha256: &str, filename: &str) -> PathBuf {
    // Filenames come from URLs; never let one climb out of its directory.
    let filename = filename.replace(['/', '\\'], "_");
    let filename = if filename.starts_with('.') {
        format!("_{filename}")
    } else {
        filename
    };
    cache
        .root()
        .join(CacheBucket::Wheels.dir_name())
        .join(sha256)
        .join(filename)
}

/// The size and modification time of a cached file when its hash was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    size: u64,
    modified_secs: u64,
    modified_nanos: u32,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Option<Self> {
        let modified = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Self {
            size: metadata.len(),
            modified_secs: modified.as_secs(),
            modified_nanos: modified.subsec_nanos(),
        })
    }

    fn now_of(path: &Path) -> Option<Self> {
        Self::of(&fs_err::metadata(path).ok()?)
    }
}

fn sidecar_path(path: &Path) -> PathBuf {
    let mut sidecar = path.as_os_str().to_owned();
    sidecar.push(".verified");
    PathBuf::from(sidecar)
}

/// Record that the file at `path` has just been checked against its hash. Blocks.
pub(crate) fn mark_verified(path: &Path) {
    if let Some(stamp) = Stamp::now_of(path) {
        write_sidecar(path, stamp);
    }
}

fn write_sidecar(path: &Path, stamp: Stamp) {
    let json = serde_json::to_vec(&stamp).expect("a stamp serializes");
    if let Err(error) = write_atomic(&sidecar_path(path), &json) {
        tracing::debug!(
            "failed to record that {} is verified: {error}",
            path.display()
        );
    }
}

/// A cached file as seen without reading it.
enum Lookup {
    /// Its sidecar vouches for it.
    Trusted(DownloadedFile),
    /// It must be hashed before use; the stamp is what it looked like.
    Unchecked(DownloadedFile, Option<Stamp>),
    Missing,
}

fn lookup(cache: &Cache, file: &IndexFile) -> Lookup {
    let Some(sha256) = file.sha256() else {
        return Lookup::Missing;
    };
    let path = cache_path(cache, sha256, &file.filename);
    let metadata = match fs_err::metadata(&path) {
        Ok(metadata) if metadata.is_file() => metadata,
        _ => return Lookup::Missing,
    };
    let stamp = Stamp::of(&metadata);
    let recorded = fs_err::read(sidecar_path(&path))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Stamp>(&bytes).ok());
    // A size other than the index's is damage, unless the index is wrong: the hash decides.
    let size_matches = file.size.is_none_or(|size| size == metadata.len());
    if !size_matches {
        tracing::debug!(
            "the cached {} has {} bytes, the index says {:?}: checking its hash",
            path.display(),
            metadata.len(),
            file.size
        );
    }
    let done = DownloadedFile {
        path,
        sha256: sha256.to_string(),
    };
    if size_matches
        && stamp.is_some()
        && recorded == stamp
        && !FileHasher::needs_more_than_sha256(&file.hashes)
    {
        Lookup::Trusted(done)
    } else {
        Lookup::Unchecked(done, stamp)
    }
}

/// The cached copy of `file`, if it can be trusted without reading it. Cheap (two `stat`s and
/// a small read), so it may run on the async runtime; a file it does not vouch for may still be
/// good: [`cached_checked`] hashes it.
pub(crate) fn cached(cache: &Cache, file: &IndexFile) -> Option<DownloadedFile> {
    match lookup(cache, file) {
        Lookup::Trusted(done) => Some(done),
        Lookup::Unchecked(..) | Lookup::Missing => None,
    }
}

/// The cached copy of `file`, hashed again unless its sidecar vouches for it. A copy with the
/// wrong hash is removed (unless it changed meanwhile) and `None` returned, so that the caller
/// fetches it again.
pub(crate) async fn cached_checked(cache: &Cache, file: &IndexFile) -> Option<DownloadedFile> {
    let (done, stamp) = match lookup(cache, file) {
        Lookup::Trusted(done) => return Some(done),
        Lookup::Missing => return None,
        Lookup::Unchecked(done, stamp) => (done, stamp),
    };
    let (url, expected) = (file.url.clone(), file.hashes.clone());
    run_blocking(move || {
        let checked = match hash_file(&done.path, &url, &expected) {
            Ok(checked) => checked,
            Err(error) => {
                tracing::debug!("failed to hash the cached file: {error}");
                return None;
            }
        };
        if let Ok(actual) = &checked
            && *actual == done.sha256
        {
            // Vouch only for what was hashed: not for a file that changed meanwhile.
            if let Some(stamp) = stamp
                && Stamp::now_of(&done.path) == Some(stamp)
            {
                write_sidecar(&done.path, stamp);
            }
            Some(done)
        } else {
            tracing::debug!(
                "the cached {} does not have the index's hashes ({}): fetching it again",
                done.path.display(),
                match &checked {
                    Ok(actual) => format!("sha256 {actual}"),
                    Err(error) => error.to_string(),
                }
            );
            discard(&done.path, stamp);
            None
        }
    })
    .await
}

/// Remove a damaged cached file and its sidecar, unless the file changed since it was
/// examined (another process may have just stored a good copy). Blocks.
fn discard(path: &Path, examined: Option<Stamp>) {
    // Without the sidecar the file is hashed before any use, whatever happens next.
    let _ = fs_err::remove_file(sidecar_path(path));
    if examined.is_some()
        && Stamp::now_of(path) == examined
        && let Err(error) = fs_err::remove_file(path)
    {
        tracing::debug!("failed to remove a damaged cache entry: {error}");
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How many bytes of a download are written to its file at a time (and published to its
/// [`DownloadProgress`]).
const WRITE_SIZE: usize = 128 * 1024;

/// The part of a download that is in its temporary file, kept across attempts so that a body
/// that broke off can be resumed with a range request for the rest.
pub(crate) struct Partial {
    temp: NamedTempFile,
    file: tokio::fs::File,
    hasher: FileHasher,
    /// Bytes in the file (all of them hashed).
    written: u64,
    /// The `ETag` of the response the bytes came from, for `If-Range`.
    etag: Option<HeaderValue>,
    /// Whether that response announced `Accept-Ranges: bytes`.
    ranges: bool,
}

impl Partial {
    /// The headers that ask for the rest of the file, when resuming is possible: some bytes
    /// are in, the server honours ranges, and the file can be named (`If-Range` with its
    /// `ETag`), so that a file that changed meanwhile comes whole rather than spliced.
    pub(crate) fn resume_headers(partial: Option<&Self>) -> Option<HeaderMap> {
        let partial = partial?;
        if partial.written == 0 || !partial.ranges {
            return None;
        }
        let etag = partial.etag.as_ref()?;
        let mut headers = Http::file_headers();
        headers.insert(
            RANGE,
            HeaderValue::from_str(&format!("bytes={}-", partial.written))
                .expect("a range header is ASCII"),
        );
        headers.insert(IF_RANGE, etag.clone());
        Some(headers)
    }
}

impl Live {
    /// Stream the body into the cache, checking it against every digest of `expected`.
    pub(crate) async fn into_cache(
        self,
        cache: &Cache,
        filename: &str,
        expected: &[HashDigest],
    ) -> Result<DownloadedFile, Failure> {
        self.into_cache_with_progress(cache, filename, expected, None, &mut None)
            .await
    }

    /// [`Self::into_cache`], publishing the file as it grows to `progress`. With a `partial`
    /// download from an earlier attempt and a `206` answer starting where it ended, the body is
    /// appended to it (the same attempt for `progress`); otherwise a new attempt starts from
    /// byte 0. When the body breaks off, what arrived stays in `partial` for the next attempt.
    pub(crate) async fn into_cache_with_progress(
        mut self,
        cache: &Cache,
        filename: &str,
        expected: &[HashDigest],
        progress: Option<&DownloadProgress>,
        partial: &mut Option<Partial>,
    ) -> Result<DownloadedFile, Failure> {
        let url = self.url().clone();
        let resumed = partial.as_ref().is_some_and(|partial| {
            self.status() == StatusCode::PARTIAL_CONTENT
                && self
                    .header(CONTENT_RANGE)
                    .and_then(parse_content_range)
                    .is_some_and(|(start, _, _)| start == partial.written)
        });
        if resumed {
            tracing::debug!(
                "resuming {} at byte {}",
                redact(&url),
                partial.as_ref().map_or(0, |partial| partial.written)
            );
        } else {
            if self.status() == StatusCode::PARTIAL_CONTENT {
                *partial = None;
                return Err(self.fail(Failure::transient(ClientError::Network {
                    url: url.clone(),
                    reason: "the server answered with a range the download did not ask for"
                        .to_string(),
                })));
            }
            *partial = None;
            match self.start_partial(cache, expected, progress) {
                Ok(started) => *partial = Some(started),
                Err(error) => return Err(self.fail(error.into())),
            }
        }
        let state = partial.as_mut().expect("a partial download was set up");
        let written_path = state.temp.path().to_path_buf();
        let mut pending = Vec::with_capacity(WRITE_SIZE);
        loop {
            let chunk = match self.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(failure) => {
                    // Keep what arrived: the next attempt may ask for the rest only.
                    if write_out(state, &mut pending, progress).await.is_err() {
                        *partial = None;
                    }
                    return Err(self.fail(failure));
                }
            };
            state.hasher.update(&chunk);
            pending.extend_from_slice(&chunk);
            if pending.len() >= WRITE_SIZE
                && let Err(error) = write_out(state, &mut pending, progress).await
            {
                *partial = None;
                return Err(self.fail(ClientError::io_at(&url, &written_path, error).into()));
            }
        }
        if let Err(error) = write_out(state, &mut pending, progress).await {
            *partial = None;
            return Err(self.fail(ClientError::io_at(&url, &written_path, error).into()));
        }
        let Partial { temp, hasher, .. } = partial.take().expect("a partial download was set up");
        let actual = match hasher.finish(&url) {
            Ok(actual) => actual,
            Err(error) => return Err(self.fail(error.into())),
        };
        let path = cache_path(cache, &actual, filename);
        let destination = path.clone();
        let persisted = run_blocking(move || {
            if let Some(parent) = destination.parent() {
                fs_err::create_dir_all(parent)?;
            }
            persist_atomic(temp, &destination)?;
            mark_verified(&destination);
            Ok::<_, CacheError>(())
        })
        .await;
        if let Err(error) = persisted {
            return Err(self.fail(ClientError::cache(&url, error).into()));
        }
        self.finish();
        Ok(DownloadedFile {
            path,
            sha256: actual,
        })
    }

    /// A new temporary file for this response's body, published to `progress` as a new
    /// attempt.
    fn start_partial(
        &self,
        cache: &Cache,
        expected: &[HashDigest],
        progress: Option<&DownloadProgress>,
    ) -> Result<Partial, ClientError> {
        let url = self.url();
        let directory = cache.bucket(CacheBucket::Wheels);
        let temp = temp_file_in(&directory).map_err(|error| ClientError::cache(url, error))?;
        let writer = temp
            .reopen()
            .and_then(|writer| {
                if let Some(progress) = progress {
                    let reader = temp.reopen()?;
                    progress.begin(fs_err::File::from_parts(reader, temp.path()));
                }
                Ok(writer)
            })
            .map_err(|error| ClientError::io(url, error))?;
        Ok(Partial {
            temp,
            file: tokio::fs::File::from_std(writer),
            hasher: FileHasher::new(expected),
            written: 0,
            etag: self
                .header(ETAG)
                .filter(|etag| !etag.starts_with("W/"))
                .and_then(|etag| HeaderValue::from_str(etag).ok()),
            ranges: self
                .header(ACCEPT_RANGES)
                .is_some_and(|value| value.trim().eq_ignore_ascii_case("bytes")),
        })
    }
}

/// Write `pending` to the partial download's file and wait until it is in the file, then tell
/// `progress`.
async fn write_out(
    partial: &mut Partial,
    pending: &mut Vec<u8>,
    progress: Option<&DownloadProgress>,
) -> io::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    partial.file.write_all(pending).await?;
    // A tokio file writes in the background: `flush` waits until the bytes are in the file.
    partial.file.flush().await?;
    partial.written += pending.len() as u64;
    if let Some(progress) = progress {
        progress.wrote(pending.len() as u64);
    }
    pending.clear();
    Ok(())
}

/// Hash a local file, reading it in pieces, and check it against `expected` (see
/// [`FileHasher::finish`]): the outer error is a failure to read it. Blocks: run it in
/// `spawn_blocking`.
pub(crate) fn hash_file(
    path: &Path,
    url: &Url,
    expected: &[HashDigest],
) -> io::Result<Result<String, ClientError>> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = FileHasher::new(expected);
    let mut buffer = vec![0; 256 * 1024];
    loop {
        match file.read(&mut buffer)? {
            0 => return Ok(hasher.finish(url)),
            read => hasher.update(&buffer[..read]),
        }
    }
}

/// Store a whole file that arrived in memory (a range request that covered all of it).
pub(crate) async fn store_bytes(
    cache: &Cache,
    url: &Url,
    filename: &str,
    expected: &[HashDigest],
    bytes: Bytes,
) -> Result<DownloadedFile, ClientError> {
    let actual = check_bytes(url, expected, &bytes)?;
    let path = cache_path(cache, &actual, filename);
    let destination = path.clone();
    run_blocking(move || {
        write_atomic(&destination, &bytes)?;
        mark_verified(&destination);
        Ok(())
    })
    .await
    .map_err(|error| ClientError::cache(url, error))?;
    Ok(DownloadedFile {
        path,
        sha256: actual,
    })
}

/// How far the download of one file has got, for reading its bytes while they arrive (see the
/// module documentation): [`crate::RegistryClient::download_progress`] gives it,
/// [`Self::follow`] reads the file.
#[derive(Debug, Default)]
pub struct DownloadProgress {
    state: Mutex<ProgressState>,
    /// Wakes blocking readers at every change of `state`.
    changed: Condvar,
    /// Wakes [`Self::started`] when the first attempt begins or the download ends.
    started: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct ProgressState {
    /// 1 for the first request, 2 for the first retry, ...; 0 before the first.
    attempt: u64,
    /// The current attempt's temporary file, open for reading; `None` once the download ended.
    file: Option<Arc<fs_err::File>>,
    /// Bytes of the current attempt that are in the file.
    written: u64,
    /// How the download ended: `Ok` once the file is complete, its hash matched and it is in
    /// the cache; `Err` with the reason when it failed or was cancelled.
    end: Option<Result<(), String>>,
}

impl DownloadProgress {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Waits until the first attempt began: `true` while the download goes on, `false` if it
    /// ended already (then there is nothing to follow).
    pub async fn started(&self) -> bool {
        loop {
            let notified = self.started.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.lock();
                if state.end.is_some() {
                    return false;
                }
                if state.attempt > 0 {
                    return true;
                }
            }
            notified.await;
        }
    }

    /// A reader of the current attempt's file from its first byte (see [`DownloadReader`]).
    pub fn reader(self: &Arc<Self>) -> DownloadReader {
        let state = self.lock();
        DownloadReader {
            progress: Arc::clone(self),
            attempt: state.attempt,
            file: state.file.clone(),
            offset: 0,
            restarted: false,
        }
    }

    /// Runs `consume` with a reader of the file, and again, with a reader of the new attempt's
    /// file, each time the download started over after `consume` had read some bytes (its
    /// reader then failed). Returns what the last run of `consume` returned. Blocking: call it
    /// from a blocking thread.
    pub fn follow<T>(self: &Arc<Self>, mut consume: impl FnMut(&mut DownloadReader) -> T) -> T {
        loop {
            let mut reader = self.reader();
            let result = consume(&mut reader);
            if !reader.restarted {
                return result;
            }
            tracing::debug!("the download started over: following it again from its first byte");
        }
    }

    /// A new attempt writes to a new file, which `file` reads.
    pub(crate) fn begin(&self, file: fs_err::File) {
        let mut state = self.lock();
        if state.end.is_some() {
            return;
        }
        state.attempt += 1;
        state.file = Some(Arc::new(file));
        state.written = 0;
        self.changed.notify_all();
        self.started.notify_waiters();
    }

    /// `bytes` more bytes of the current attempt are in its file.
    pub(crate) fn wrote(&self, bytes: u64) {
        self.lock().written += bytes;
        self.changed.notify_all();
    }

    /// The download ended (only the first call counts).
    pub(crate) fn end(&self, outcome: Result<(), String>) {
        let mut state = self.lock();
        if state.end.is_none() {
            state.end = Some(outcome);
            state.file = None;
        }
        self.changed.notify_all();
        self.started.notify_waiters();
    }

    pub(crate) fn has_ended(&self) -> bool {
        self.lock().end.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, ProgressState> {
        // Every change is a few assignments: a panic cannot leave the state half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a download's progress when the download's task ends, successfully or not, and also
/// when the task is dropped (cancelled), so that no reader waits for bytes that never come.
pub(crate) struct ProgressEnd(pub(crate) Arc<DownloadProgress>);

impl ProgressEnd {
    pub(crate) fn finish<T>(self, result: &Result<T, ClientError>) {
        self.0
            .end(result.as_ref().map(drop).map_err(ToString::to_string));
    }
}

impl Drop for ProgressEnd {
    fn drop(&mut self) {
        self.0.end(Err("the download was cancelled".to_string()));
    }
}

/// Reads a download's file from its first byte while it is written (see [`DownloadProgress`]).
/// `read` blocks until more bytes are in the file; it returns 0 only at the end of a download
/// that completed (its hash matched), and fails when the download failed or was cancelled, or
/// started over (a retry) after this reader had read bytes of the attempt that broke off.
#[derive(Debug)]
pub struct DownloadReader {
    progress: Arc<DownloadProgress>,
    /// The attempt whose file is read.
    attempt: u64,
    file: Option<Arc<fs_err::File>>,
    offset: u64,
    restarted: bool,
}

impl Read for DownloadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let (file, available) = {
            let mut state = self.progress.lock();
            loop {
                if state.attempt != self.attempt {
                    if self.offset > 0 {
                        self.restarted = true;
                        return Err(io::Error::other("the download started over"));
                    }
                    // Nothing read yet: read the new attempt from its start.
                    self.attempt = state.attempt;
                    self.file.clone_from(&state.file);
                }
                if let Some(file) = &self.file
                    && state.written > self.offset
                {
                    break (Arc::clone(file), state.written - self.offset);
                }
                match &state.end {
                    Some(Ok(())) if self.file.is_some() => return Ok(0),
                    Some(Ok(())) => {
                        return Err(io::Error::other(
                            "the download ended before it could be followed",
                        ));
                    }
                    Some(Err(reason)) => {
                        return Err(io::Error::other(format!("the download failed: {reason}")));
                    }
                    None => {
                        state = self
                            .progress
                            .changed
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                }
            }
        };
        let len = buf
            .len()
            .min(usize::try_from(available).unwrap_or(usize::MAX));
        let read = read_at(&file, &mut buf[..len], self.offset)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the download's file is shorter than what was written to it",
            ));
        }
        self.offset += read as u64;
        Ok(read)
    }
}

/// Reads at `offset` without moving the file's cursor (which clones of the handle share).
#[cfg(unix)]
fn read_at(file: &fs_err::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use fs_err::os::unix::fs::FileExt;
    file.read_at(buf, offset)
}

/// Reads at `offset`. This moves the cursor of the handle, which every reader shares, but all of
/// them read at explicit offsets.
#[cfg(windows)]
fn read_at(file: &fs_err::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use fs_err::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}
