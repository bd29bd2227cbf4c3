//! Blocking work (hashing, zip reading, file writes) off the async threads.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// Run `work` on the blocking pool and wait for it. A panic in `work` is resumed here. When
/// the runtime shuts down (a command ended with downloads still running) the work may be
/// cancelled before it starts: then this future never completes, and the runtime drops it
/// with the task that awaits it, instead of turning the shutdown into a panic.
pub async fn run_blocking<T, F>(work: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => std::future::pending().await,
    }
}

/// [`run_blocking`] for short work that keeps a core busy and never waits on other work
/// (reading and parsing cached pages and metadata, checking unpacked trees): at most two per
/// core run at once. A warm run starts hundreds of these together; more of them at a time would
/// not finish sooner, but each would take a thread of the pool (and its memory) of its own.
pub async fn run_blocking_bounded<T, F>(work: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    static LIMIT: OnceLock<Arc<Semaphore>> = OnceLock::new();
    let limit = LIMIT.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Arc::new(Semaphore::new(2 * cores))
    });
    // Held by the work itself, so that it counts until it ends even if the caller stops
    // waiting for it. The semaphore is never closed.
    let permit = Arc::clone(limit).acquire_owned().await;
    run_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
}
