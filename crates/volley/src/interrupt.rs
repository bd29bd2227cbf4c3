//! Ctrl-C (SIGINT) and SIGTERM: stop, roll back, clean up, exit 130.
//!
//! `main` races the command against [`wait`]. When a signal wins, the command's future is
//! dropped: nothing new starts, downloads are cancelled (their temporary files deleted), and
//! temporary directories owned by the command are removed. Work already on a blocking thread
//! goes on until it notices [`flag`]: an install that is committing stops at its next step and
//! rolls its transaction back, one that has not started committing fails before touching the
//! environment. `main` waits for those threads (bounded), removes what they may have left in
//! this process's `--no-cache` directory, and exits with 130, as a shell reports a process
//! stopped by SIGINT.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Set once a signal asked the process to stop.
pub fn flag() -> Arc<AtomicBool> {
    Arc::clone(FLAG.get_or_init(Arc::default))
}

/// Resolves when SIGINT or SIGTERM arrives (Ctrl-C elsewhere), after setting [`flag`]; gives
/// the signal's name. If no handler can be installed it never resolves, and signals keep their
/// default effect.
pub async fn wait() -> &'static str {
    let name = received().await;
    flag().store(true, Ordering::Release);
    name
}

#[cfg(unix)]
async fn received() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}

#[cfg(not(unix))]
async fn received() -> &'static str {
    match tokio::signal::ctrl_c().await {
        Ok(()) => "Ctrl-C",
        Err(_) => std::future::pending().await,
    }
}

/// Sends SIGINT to this process and waits (up to 10 s) until [`wait`] saw it, so that the step
/// after this one finds the flag set. For the tests of interruption only.
pub fn signal_self_for_tests() {
    // The shell's own `kill`: no package needed.
    let _ = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", std::process::id())])
        .status();
    let flag = flag();
    for _ in 0..1000 {
        if flag.load(Ordering::Acquire) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
