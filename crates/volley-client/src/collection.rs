//! The download collection: every fetch of a run, keyed, started once, shared by every waiter.
//!
//! A fetch (an index page, a find-links listing, a `.metadata` file, a byte range, a whole file,
//! the metadata of a file) is identified by a key: the URL without its fragment, plus the range
//! for range reads, or the project name for a project's page across indexes and find-links. The first request for a key spawns
//! the fetch as a tokio task owned by the collection; every request for the same key, before or
//! after it finishes, gets a clone of one [`Shared`] handle to the task's result. Nothing is
//! fetched twice in a run: finished results (and failures) stay in the map.
//!
//! The tasks are owned: [`InFlight::cancel`] aborts one that is still running (dropping its
//! future, which deletes its temporary file), and dropping the collection aborts them all, so
//! no task outlives the client. The connection semaphore (a slot per HTTP request in flight,
//! held while its body streams) lives here too and is shared with the request layer.
//!
//! Trap: a task must not hold a connection slot while it waits for another entry of the
//! collection (that entry's task may need the slot): slots are held only inside the request
//! layer, around one request.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::Semaphore;
use tokio::task::AbortHandle;
use url::Url;
use volley_packaging::{CoreMetadata, PackageName};

use crate::find_links::FlatIndex;
use crate::http::RangeSpec;
use crate::{ClientError, DownloadProgress, DownloadedFile, ProjectPage};

/// The result of a fetch, as every waiter sees it.
pub(crate) type SharedResult<V> = Shared<BoxFuture<'static, Result<V, ClientError>>>;

/// The collection's maps, one per kind of result, and the connection slots.
pub(crate) struct Collection {
    pub(crate) connections: Arc<Semaphore>,
    pub(crate) pages: InFlight<PackageName, Arc<ProjectPage>>,
    /// Find-links listings, by location.
    pub(crate) flat: InFlight<Url, Arc<FlatIndex>>,
    pub(crate) metadata: InFlight<Url, Arc<CoreMetadata>>,
    pub(crate) ranges: InFlight<(Url, RangeSpec), RangeData>,
    pub(crate) downloads: InFlight<Url, DownloadedFile>,
    /// The progress of each download task, by the same key (the latest task's, after a
    /// cancellation and a new start).
    pub(crate) download_progress: Mutex<HashMap<Url, Arc<DownloadProgress>>>,
}

impl Collection {
    pub(crate) fn new(max_connections: usize) -> Self {
        Self {
            connections: Arc::new(Semaphore::new(max_connections.max(1))),
            pages: InFlight::default(),
            flat: InFlight::default(),
            metadata: InFlight::default(),
            ranges: InFlight::default(),
            downloads: InFlight::default(),
            download_progress: Mutex::default(),
        }
    }

    /// Record the progress of a download task just spawned for `key`.
    pub(crate) fn set_download_progress(&self, key: Url, progress: Arc<DownloadProgress>) {
        self.download_progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, progress);
    }

    /// The progress of the download task for `key`, if one was started.
    pub(crate) fn download_progress(&self, key: &Url) -> Option<Arc<DownloadProgress>> {
        self.download_progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Abort every task still running.
    pub(crate) fn abort_all(&self) {
        self.pages.abort_all();
        self.flat.abort_all();
        self.metadata.abort_all();
        self.ranges.abort_all();
        self.downloads.abort_all();
    }
}

/// What a range read got: the bytes, or (when the server ignored the range) the whole file,
/// stored in the cache.
#[derive(Debug, Clone)]
pub(crate) enum RangeData {
    Partial {
        start: u64,
        bytes: bytes::Bytes,
        total: u64,
    },
    Whole(DownloadedFile),
}

/// The key of a URL in the collection: the URL without its fragment (`#sha256=...`).
pub(crate) fn url_key(url: &Url) -> Url {
    let mut key = url.clone();
    key.set_fragment(None);
    key
}

/// Tasks by key, each with the shared handle to its result.
pub(crate) struct InFlight<K, V: Clone> {
    tasks: Mutex<HashMap<K, Task<V>>>,
}

struct Task<V: Clone> {
    result: SharedResult<V>,
    /// `None` for results recorded with [`InFlight::insert_ready`].
    abort: Option<AbortHandle>,
}

impl<V: Clone> Task<V> {
    fn is_finished(&self) -> bool {
        self.abort.as_ref().is_none_or(AbortHandle::is_finished)
    }
}

impl<K, V: Clone> Default for InFlight<K, V> {
    fn default() -> Self {
        Self {
            tasks: Mutex::new(HashMap::new()),
        }
    }
}

impl<K, V> InFlight<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone + Send + Sync + 'static,
{
    /// The shared result for `key`, spawning `fetch()` as a task if nothing has asked for it
    /// before. `url` names the fetch in a cancellation error. Must be called within a tokio
    /// runtime.
    pub(crate) fn get_or_spawn<F>(
        &self,
        key: K,
        url: &Url,
        fetch: impl FnOnce() -> F,
    ) -> SharedResult<V>
    where
        F: Future<Output = Result<V, ClientError>> + Send + 'static,
    {
        let mut tasks = self.lock();
        if let Some(task) = tasks.get(&key) {
            return task.result.clone();
        }
        let handle = tokio::spawn(fetch());
        let abort = handle.abort_handle();
        let url = url.clone();
        let result = handle
            .map(move |joined| match joined {
                Ok(result) => result,
                Err(error) if error.is_cancelled() => Err(ClientError::Cancelled { url }),
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            })
            .boxed()
            .shared();
        tasks.insert(
            key,
            Task {
                result: result.clone(),
                abort: Some(abort),
            },
        );
        result
    }

    /// The result for `key` if a fetch for it was started.
    pub(crate) fn get(&self, key: &K) -> Option<SharedResult<V>> {
        self.lock().get(key).map(|task| task.result.clone())
    }

    /// Record a result obtained another way, unless a fetch for `key` exists already.
    pub(crate) fn insert_ready(&self, key: K, value: V) {
        let mut tasks = self.lock();
        if tasks.contains_key(&key) {
            return;
        }
        let result = futures::future::ready(Ok(value)).boxed().shared();
        tasks.insert(
            key,
            Task {
                result,
                abort: None,
            },
        );
    }

    /// Abort the fetch for `key` if it is still running, and forget it (a later request starts
    /// over). A finished fetch is kept. Returns whether a running fetch was aborted.
    pub(crate) fn cancel(&self, key: &K) -> bool {
        let mut tasks = self.lock();
        let running = tasks.get(key).is_some_and(|task| !task.is_finished());
        if running
            && let Some(task) = tasks.remove(key)
            && let Some(abort) = task.abort
        {
            abort.abort();
        }
        running
    }

    /// Forget a finished entry (to free its memory once nothing needs it any more).
    pub(crate) fn forget(&self, key: &K) {
        let mut tasks = self.lock();
        if tasks.get(key).is_some_and(Task::is_finished) {
            tasks.remove(key);
        }
    }

    fn abort_all(&self) {
        for abort in self.lock().values().filter_map(|task| task.abort.as_ref()) {
            abort.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Task<V>>> {
        // A panic while holding the lock cannot leave the map inconsistent (every operation is
        // one insert or remove), so a poisoned lock is still usable.
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn url() -> Url {
        Url::parse("https://example.org/f.whl#sha256=00").unwrap()
    }

    #[tokio::test]
    async fn one_task_per_key() {
        let map: InFlight<Url, usize> = InFlight::default();
        let started = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let started = Arc::clone(&started);
                map.get_or_spawn(url_key(&url()), &url(), move || async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(7)
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.await.unwrap(), 7);
        }
        assert_eq!(started.load(Ordering::SeqCst), 1);
        // Later requests get the finished result.
        let again = map.get_or_spawn(url_key(&url()), &url(), || async { Ok(8) });
        assert_eq!(again.await.unwrap(), 7);
    }

    #[tokio::test]
    async fn cancel_aborts_and_forgets_a_running_task() {
        let map: InFlight<Url, usize> = InFlight::default();
        let waiter = map.get_or_spawn(url_key(&url()), &url(), || async {
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok(1)
        });
        assert!(map.cancel(&url_key(&url())));
        let error = waiter.await.unwrap_err();
        insta::assert_snapshot!(error, @"the fetch of https://example.org/f.whl#sha256=00 was cancelled");
        assert!(map.get(&url_key(&url())).is_none());
        // A finished task is kept.
        let done = map.get_or_spawn(url_key(&url()), &url(), || async { Ok(2) });
        assert_eq!(done.await.unwrap(), 2);
        assert!(!map.cancel(&url_key(&url())));
        assert_eq!(map.get(&url_key(&url())).unwrap().await.unwrap(), 2);
    }

    #[test]
    fn keys_ignore_fragments() {
        assert_eq!(url_key(&url()).as_str(), "https://example.org/f.whl");
    }
}
