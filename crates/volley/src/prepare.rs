//! Wheels made ready for the installer: downloaded through the client's collection and
//! unpacked (and checked against their RECORD) into the cache's `unpacked-v1/<sha256>` while the
//! resolver and the other downloads are still going.
//!
//! A wheel is unpacked while it downloads: a blocking thread follows the download's file as it
//! grows ([`volley_client::DownloadProgress`]) and extracts its entries
//! ([`volley_installer::StreamedWheel`]), so that little is left to do when the last byte
//! arrives. Only once the download's hash matched is the streamed tree checked against the
//! complete file and put in place; when streaming gave up (an unusual zip, a retry it could not
//! follow, a mismatch), `unpack_wheel` unpacks the complete file as before, and gives a broken
//! wheel its error.
//!
//! Each file is prepared once per run, whoever asks first: the provider when the resolver
//! decides a version (speculatively), or the install step for what the plan needs. A wheel
//! unpacked by an earlier run is used without any request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use url::Url;
use volley_cache::{Cache, CacheBucket};
use volley_client::{ClientError, IndexFile, RegistryClient};
use volley_client::{run_blocking, run_blocking_bounded};
use volley_installer::{InstallError, StreamedWheel, UnpackedWheel};
use volley_packaging::HashAlgorithm;

/// Why a wheel could not be prepared, shared by every waiter.
#[derive(Debug, Clone)]
enum PrepareError {
    Download(ClientError),
    Unpack(Arc<InstallError>),
}

type Preparation = Shared<BoxFuture<'static, Result<UnpackedWheel, PrepareError>>>;

/// Downloads and unpacks wheels, each once.
pub struct Preparer {
    client: RegistryClient,
    cache: Cache,
    tasks: Mutex<HashMap<Url, Preparation>>,
}

impl Preparer {
    pub fn new(client: RegistryClient, cache: Cache) -> Self {
        Self {
            client,
            cache,
            tasks: Mutex::default(),
        }
    }

    /// Start preparing `file` now; [`Self::get`] picks up the result.
    pub fn start(&self, file: &IndexFile) {
        let preparation = self.preparation(file);
        // Polled by a task of its own, so the work goes on while nobody waits for it.
        tokio::spawn(preparation.map(drop));
    }

    /// The unpacked wheel of `file`.
    pub async fn get(&self, file: &IndexFile) -> Result<UnpackedWheel> {
        match self.preparation(file).await {
            Ok(wheel) => Ok(wheel),
            Err(PrepareError::Download(error)) => Err(error.into()),
            Err(PrepareError::Unpack(error)) => Err(anyhow!("{error}")),
        }
    }

    /// Stop preparing `file`: its download is cancelled (a finished one stays in the cache).
    pub fn cancel(&self, file: &IndexFile) {
        self.client.cancel_download(file);
        self.tasks.lock().expect("preparer lock").remove(&file.url);
    }

    fn preparation(&self, file: &IndexFile) -> Preparation {
        let mut tasks = self.tasks.lock().expect("preparer lock");
        if let Some(preparation) = tasks.get(&file.url) {
            return preparation.clone();
        }
        let client = self.client.clone();
        let cache = self.cache.clone();
        let file = file.clone();
        let url = file.url.clone();
        let preparation = async move {
            // Unpacked by an earlier run: nothing to fetch.
            if let Some(sha256) = file.sha256() {
                let dest = cache.entry(CacheBucket::Unpacked, sha256);
                if dest.exists() {
                    // The tree is known by its sha256 only: any other hash the index gives is
                    // checked on the file itself first (the client hashes its cached copy).
                    if file
                        .hashes
                        .iter()
                        .any(|hash| hash.algorithm != HashAlgorithm::Sha256)
                    {
                        client
                            .download(&file)
                            .await
                            .map_err(PrepareError::Download)?;
                    }
                    let opened =
                        run_blocking_bounded(move || UnpackedWheel::open(&dest).map_err(Box::new))
                            .await;
                    if let Ok(wheel) = opened {
                        return Ok(wheel);
                    }
                }
            }
            download_and_unpack(&client, &cache, &file).await
        }
        .boxed()
        .shared();
        tasks.insert(url, preparation.clone());
        preparation
    }
}

/// Downloads `file` and unpacks it while it downloads, or after.
async fn download_and_unpack(
    client: &RegistryClient,
    cache: &Cache,
    file: &IndexFile,
) -> Result<UnpackedWheel, PrepareError> {
    let progress = client.download_progress(file);
    let dir = cache.bucket(CacheBucket::Unpacked);
    let streaming = async move {
        // A thread per download that is actually under way, not per download waiting for a
        // connection.
        let progress = progress?;
        if !progress.started().await {
            return None;
        }
        let extract = move || progress.follow(|reader| StreamedWheel::extract(reader, &dir));
        Some(run_blocking(extract).await)
    };
    let (downloaded, streamed) = tokio::join!(client.download(file), streaming);
    let downloaded = downloaded.map_err(PrepareError::Download)?;
    let dest = cache.entry(CacheBucket::Unpacked, &downloaded.sha256);
    run_blocking(move || {
        if let Some(streamed) = streamed {
            match streamed.and_then(|streamed| streamed.finish(&downloaded.path, &dest)) {
                Ok(wheel) => {
                    tracing::debug!("unpacked {} while it downloaded", wheel.file_name());
                    return Ok(wheel);
                }
                Err(fallback) => tracing::debug!(
                    "unpacking {} after its download: {fallback}",
                    downloaded.path.display()
                ),
            }
        }
        volley_installer::unpack_wheel(&downloaded.path, &dest)
            .map_err(|error| PrepareError::Unpack(Arc::new(error)))
    })
    .await
}
