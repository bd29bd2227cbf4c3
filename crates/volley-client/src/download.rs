//! Files in the cache: streamed in while their sha256 is computed, renamed into
//! `wheels-v1/<sha256>/<filename>` only when the hash is right, and checked again before use.
//!
//! A failure or a cancellation drops the temporary file, which deletes it: nothing half-written
//! is ever visible under its final name.
//!
//! Trap: a file in the cache may have been damaged since it was stored (truncated by a full
//! disk, edited by hand, half-written before a power loss: there is no fsync). Hashing every
//! cached file on every use would cost a sha256 pass over every wheel of every install, so a
//! verified file gets a sidecar, `<filename>.verified`, recording its size and modification
//! time when its hash was last checked. A file is trusted without reading it only while both
//! still match, and its size matches the index's when the index gives one; otherwise it is
//! hashed again, and a file with the wrong hash is removed and fetched again, never used.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;
use volley_cache::{Cache, CacheBucket, CacheError, persist_atomic, temp_file_in, write_atomic};

use crate::blocking::run_blocking;
use crate::http::Live;
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
    if size_matches && stamp.is_some() && recorded == stamp {
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
    run_blocking(move || {
        let actual = match sha256_file(&done.path) {
            Ok(actual) => actual,
            Err(error) => {
                tracing::debug!("failed to hash the cached file: {error}");
                return None;
            }
        };
        if actual == done.sha256 {
            // Vouch only for what was hashed: not for a file that changed meanwhile.
            if let Some(stamp) = stamp
                && Stamp::now_of(&done.path) == Some(stamp)
            {
                write_sidecar(&done.path, stamp);
            }
            Some(done)
        } else {
            tracing::debug!(
                "the cached {} has sha256 {actual}, not {}: fetching it again",
                done.path.display(),
                done.sha256
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

/// Check `actual` against `expected` (when there is one).
pub(crate) fn check_hash(
    url: &Url,
    expected: Option<&str>,
    actual: &str,
) -> Result<(), ClientError> {
    match expected {
        Some(expected) if !expected.eq_ignore_ascii_case(actual) => {
            Err(ClientError::HashMismatch {
                url: url.clone(),
                expected: expected.to_ascii_lowercase().into(),
                actual: actual.into(),
            })
        }
        _ => Ok(()),
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Live {
    /// Stream the body into the cache, checking it against `expected` (a sha256).
    pub(crate) async fn into_cache(
        mut self,
        cache: &Cache,
        filename: &str,
        expected: Option<&str>,
    ) -> Result<DownloadedFile, Failure> {
        let url = self.url().clone();
        let directory = cache.bucket(CacheBucket::Wheels);
        let temp = match temp_file_in(&directory) {
            Ok(temp) => temp,
            Err(error) => return Err(self.fail(ClientError::cache(&url, error).into())),
        };
        let file = match temp.reopen() {
            Ok(file) => tokio::fs::File::from_std(file),
            Err(error) => return Err(self.fail(ClientError::io(&url, error).into())),
        };
        let mut writer = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        let mut hasher = Sha256::new();
        loop {
            let chunk = match self.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(failure) => return Err(self.fail(failure)),
            };
            hasher.update(&chunk);
            if let Err(error) = writer.write_all(&chunk).await {
                return Err(self.fail(ClientError::io(&url, error).into()));
            }
        }
        if let Err(error) = writer.flush().await {
            return Err(self.fail(ClientError::io(&url, error).into()));
        }
        drop(writer);
        let actual = hex::encode(hasher.finalize());
        if let Err(error) = check_hash(&url, expected, &actual) {
            return Err(self.fail(error.into()));
        }
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
}

/// Hash a local file, reading it in pieces. Blocks: run it in `spawn_blocking`.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    loop {
        match file.read(&mut buffer)? {
            0 => return Ok(hex::encode(hasher.finalize())),
            read => hasher.update(&buffer[..read]),
        }
    }
}

/// Store a whole file that arrived in memory (a range request that covered all of it).
pub(crate) async fn store_bytes(
    cache: &Cache,
    url: &Url,
    filename: &str,
    expected: Option<&str>,
    bytes: Bytes,
) -> Result<DownloadedFile, ClientError> {
    let actual = sha256_hex(&bytes);
    check_hash(url, expected, &actual)?;
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
