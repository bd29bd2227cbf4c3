//! Advisory file locks between volley processes (and threads), on std's `File::lock`.
//!
//! Locks are advisory: they only exclude other lockers. On Unix they are `flock` locks, tied to
//! the open file description, so two `LockedFile`s in one process exclude each other as well.

use std::fmt;
use std::fs::TryLockError;
use std::path::Path;

use crate::CacheError;

/// A lock held on a file (created if missing, with its parent directories), released when this
/// value is dropped. The lock file itself is left in place: removing it would let a waiter lock
/// a file that a newcomer no longer sees.
#[derive(Debug)]
pub struct LockedFile {
    file: fs_err::File,
}

impl LockedFile {
    /// Take an exclusive lock on `path`. If another holder has it, `on_wait` is called once
    /// (the CLI says "waiting for lock on ...") and the call blocks until the lock is free.
    pub fn acquire(path: &Path, on_wait: impl FnOnce()) -> Result<Self, CacheError> {
        Self::acquire_with(path, on_wait, Mode::Exclusive)
    }

    /// Take a shared lock on `path`: several shared holders may hold it at once, but not while
    /// an exclusive holder does. Waits like [`LockedFile::acquire`].
    pub fn acquire_shared(path: &Path, on_wait: impl FnOnce()) -> Result<Self, CacheError> {
        Self::acquire_with(path, on_wait, Mode::Shared)
    }

    fn acquire_with(path: &Path, on_wait: impl FnOnce(), mode: Mode) -> Result<Self, CacheError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs_err::create_dir_all(parent)?;
        }
        let file = fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let attempt = match mode {
            Mode::Exclusive => file.try_lock(),
            Mode::Shared => file.try_lock_shared(),
        };
        match attempt {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                tracing::debug!("waiting for {mode} lock on {}", path.display());
                on_wait();
                let blocking = match mode {
                    Mode::Exclusive => file.file().lock(),
                    Mode::Shared => file.file().lock_shared(),
                };
                blocking.map_err(|source| CacheError::Lock {
                    path: path.to_path_buf(),
                    source,
                })?;
            }
            Err(TryLockError::Error(source)) => {
                return Err(CacheError::Lock {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        tracing::trace!("acquired {mode} lock on {}", path.display());
        Ok(Self { file })
    }

    /// The locked file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Drop for LockedFile {
    fn drop(&mut self) {
        if let Err(error) = self.file.unlock() {
            tracing::debug!("{error}");
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Exclusive,
    Shared,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Exclusive => "an exclusive",
            Self::Shared => "a shared",
        })
    }
}

/// Used in messages to name where a lock lives.
impl fmt::Display for LockedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path().display())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use super::*;

    const PATIENCE: Duration = Duration::from_secs(10);

    #[test]
    fn second_locker_waits_and_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks").join("build.lock");
        let first = LockedFile::acquire(&path, || panic!("nobody holds the lock yet")).unwrap();
        assert_eq!(first.path(), path);

        let (events, received) = mpsc::channel();
        let waiter = {
            let path = path.clone();
            thread::spawn(move || {
                let on_wait = {
                    let events = events.clone();
                    move || events.send("waiting").unwrap()
                };
                let second = LockedFile::acquire(&path, on_wait).unwrap();
                events.send("acquired").unwrap();
                drop(second);
            })
        };
        assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "waiting");
        // Still held by `first`: the waiter must not get it.
        assert!(received.recv_timeout(Duration::from_millis(200)).is_err());
        drop(first);
        assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "acquired");
        waiter.join().unwrap();
    }

    #[test]
    fn shared_locks_coexist_and_exclude_an_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("interpreter.lock");
        let one =
            LockedFile::acquire_shared(&path, || panic!("shared locks must not wait")).unwrap();
        let two =
            LockedFile::acquire_shared(&path, || panic!("shared locks must not wait")).unwrap();

        let (events, received) = mpsc::channel();
        let waiter = {
            let path = path.clone();
            thread::spawn(move || {
                let on_wait = {
                    let events = events.clone();
                    move || events.send("waiting").unwrap()
                };
                let exclusive = LockedFile::acquire(&path, on_wait).unwrap();
                events.send("acquired").unwrap();
                drop(exclusive);
            })
        };
        assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "waiting");
        drop(one);
        assert!(received.recv_timeout(Duration::from_millis(200)).is_err());
        drop(two);
        assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "acquired");
        waiter.join().unwrap();
    }

    #[test]
    fn lock_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.lock");
        drop(LockedFile::acquire(&path, || panic!("free")).unwrap());
        let again = LockedFile::acquire(&path, || panic!("released on drop")).unwrap();
        assert_eq!(again.to_string(), path.display().to_string());
        assert!(path.is_file());
    }
}
