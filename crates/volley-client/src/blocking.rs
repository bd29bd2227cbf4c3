//! Blocking work (hashing, zip reading, file writes) off the async threads.

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
