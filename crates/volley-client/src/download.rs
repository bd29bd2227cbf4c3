//! Streaming a file into the cache: written to a temporary file while its sha256 is computed,
//! renamed into `wheels-v1/<sha256>/<filename>` only when the hash is right.
//!
//! A failure or a cancellation drops the temporary file, which deletes it: nothing half-written
//! is ever visible under its final name.

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;
use volley_cache::{Cache, CacheBucket, persist_atomic, temp_file_in, write_atomic};

use crate::ClientError;
use crate::http::Live;
use crate::retry::Failure;

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

/// A file already in the cache, when the index gave its sha256.
pub(crate) fn cached(
    cache: &Cache,
    sha256: Option<&str>,
    filename: &str,
) -> Option<DownloadedFile> {
    let sha256 = sha256?;
    let path = cache_path(cache, sha256, filename);
    path.is_file().then(|| DownloadedFile {
        path,
        sha256: sha256.to_string(),
    })
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
        let persisted = tokio::task::spawn_blocking(move || {
            if let Some(parent) = destination.parent() {
                fs_err::create_dir_all(parent)?;
            }
            persist_atomic(temp, &destination)
        })
        .await
        .expect("persisting a file does not panic");
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
    tokio::task::spawn_blocking(move || write_atomic(&destination, &bytes))
        .await
        .expect("writing a file does not panic")
        .map_err(|error| ClientError::cache(url, error))?;
    Ok(DownloadedFile {
        path,
        sha256: actual,
    })
}
