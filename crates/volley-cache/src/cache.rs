//! The cache root: where it is, its marker files, and paths to buckets and entries.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tempfile::TempDir;

use crate::{CacheBucket, CacheError, LockedFile, write_atomic};

/// The standard cache directory tag (<https://bford.info/cachedir/>), so that backup tools skip
/// the cache.
pub(crate) const CACHEDIR_TAG: &str = "CACHEDIR.TAG";
const CACHEDIR_TAG_CONTENT: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by volley.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";
/// Keeps the cache out of git when it lives inside a repository.
pub(crate) const GITIGNORE: &str = ".gitignore";
const GITIGNORE_CONTENT: &str = "*\n";

/// A cache root. Cheap to clone: clones share the root (and, for [`Cache::temp`], the temporary
/// directory, which is removed when the last clone is dropped).
#[derive(Debug, Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    /// Directories this process created (or found) already: a run asks for the same bucket
    /// directories thousands of times.
    created: Mutex<HashSet<PathBuf>>,
    /// Held only to keep a throw-away cache alive; removed on drop.
    _temp: Option<TempDir>,
    /// The shared lock on [`LOCK`], once taken ([`Cache::lock_shared`]).
    shared_lock: OnceLock<LockedFile>,
}

/// The lock file of the whole cache: commands that use the cache hold it shared, `cache clean`
/// and `cache prune` exclusive, so that removing entries never pulls them from under a run.
pub(crate) const LOCK: &str = ".lock";

impl Cache {
    /// Open (creating if needed) the cache at `root`, and write its `CACHEDIR.TAG` and
    /// `.gitignore` if they are missing. A relative `root` is made absolute against the current
    /// directory, so that later changes of directory do not move the cache.
    pub fn from_path(root: impl Into<PathBuf>) -> Result<Self, CacheError> {
        let root = root.into();
        let root = std::path::absolute(&root)
            .map_err(|source| CacheError::CreateRoot { path: root, source })?;
        Self::init(&root)?;
        Ok(Self {
            inner: Arc::new(Inner {
                root,
                created: Mutex::default(),
                _temp: None,
                shared_lock: OnceLock::new(),
            }),
        })
    }

    /// A throw-away cache in a new temporary directory (for `--no-cache`). The directory lives as
    /// long as this cache and its clones. Its name carries the process id
    /// (`volley-cache-<pid>-XXXXXX`), so that the directories of processes that were killed can
    /// be told apart and removed: this removes them first ([`remove_stale_temp_dirs`]).
    pub fn temp() -> Result<Self, CacheError> {
        remove_stale_temp_dirs();
        let temp = tempfile::Builder::new()
            .prefix(&format!("{TEMP_CACHE_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|source| CacheError::TempDir {
                dir: std::env::temp_dir(),
                source,
            })?;
        let root = temp.path().to_path_buf();
        Self::init(&root)?;
        Ok(Self {
            inner: Arc::new(Inner {
                root,
                created: Mutex::default(),
                _temp: Some(temp),
                shared_lock: OnceLock::new(),
            }),
        })
    }

    fn init(root: &Path) -> Result<(), CacheError> {
        fs_err::create_dir_all(root).map_err(|source| CacheError::CreateRoot {
            path: root.to_path_buf(),
            source,
        })?;
        Self::write_markers(root)
    }

    /// Write the marker files that are missing. Also used after `clean`.
    pub(crate) fn write_markers(root: &Path) -> Result<(), CacheError> {
        for (name, content) in [
            (CACHEDIR_TAG, CACHEDIR_TAG_CONTENT),
            (GITIGNORE, GITIGNORE_CONTENT),
        ] {
            let path = root.join(name);
            if !path.exists() {
                write_atomic(&path, content.as_bytes())?;
            }
        }
        Ok(())
    }

    /// Take a shared lock on the whole cache, held as long as this cache or a clone of it lives
    /// (once per cache: later calls do nothing). While `clean` or `prune` runs elsewhere it
    /// waits, calling `on_wait` once first.
    pub fn lock_shared(&self, on_wait: impl FnOnce()) -> Result<(), CacheError> {
        if self.inner.shared_lock.get().is_none() {
            let lock = LockedFile::acquire_shared(&self.root().join(LOCK), on_wait)?;
            let _ = self.inner.shared_lock.set(lock);
        }
        Ok(())
    }

    /// Take the cache's lock exclusively (for `clean` and `prune`), waiting for every run that
    /// holds it shared to end, calling `on_wait` once first. Released when the value is dropped.
    pub fn lock_exclusive(&self, on_wait: impl FnOnce()) -> Result<LockedFile, CacheError> {
        LockedFile::acquire(&self.root().join(LOCK), on_wait)
    }

    /// The cache's root directory (absolute).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The directory of `bucket`, e.g. `<root>/wheels-v1`, created if missing.
    ///
    /// A failure to create it is only logged here: the write that follows fails with the path.
    pub fn bucket(&self, bucket: CacheBucket) -> PathBuf {
        let path = self.inner.root.join(bucket.dir_name());
        self.create_dir(&path);
        path
    }

    /// The path of an entry: `<bucket dir>/<key_path>`, with its parent directories created.
    ///
    /// `key_path` is relative and may have several components (`<sha256>/<filename>`).
    pub fn entry(&self, bucket: CacheBucket, key_path: impl AsRef<Path>) -> PathBuf {
        let key_path = key_path.as_ref();
        debug_assert!(
            key_path.is_relative(),
            "cache keys are relative: {}",
            key_path.display()
        );
        let path = self.inner.root.join(bucket.dir_name()).join(key_path);
        if let Some(parent) = path.parent() {
            self.create_dir(parent);
        }
        path
    }

    /// Creates `dir` and its parents, once per process (a failure is logged: the caller's use of
    /// the path reports it).
    fn create_dir(&self, dir: &Path) {
        let mut created = self
            .inner
            .created
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if created.contains(dir) {
            return;
        }
        match fs_err::create_dir_all(dir) {
            Ok(()) => {
                created.insert(dir.to_path_buf());
            }
            Err(error) => tracing::debug!("{error}"),
        }
    }
}

/// The name of every `--no-cache` directory in the system's temporary directory starts with
/// this, then the process id and a dash.
const TEMP_CACHE_PREFIX: &str = "volley-cache-";

/// The `--no-cache` directories in the system's temporary directory, with the id of the process
/// that made each.
fn temp_cache_dirs() -> Vec<(PathBuf, u32)> {
    let Ok(entries) = fs_err::read_dir(std::env::temp_dir()) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let rest = name.to_str()?.strip_prefix(TEMP_CACHE_PREFIX)?;
            let (pid, _) = rest.split_once('-')?;
            Some((entry.path(), pid.parse().ok()?))
        })
        .collect()
}

/// Removes the `--no-cache` directories of processes that no longer run (killed before they
/// could remove their own). Only where a process's liveness can be seen (`/proc`).
pub fn remove_stale_temp_dirs() {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    for (path, pid) in temp_cache_dirs() {
        if !proc.join(pid.to_string()).exists() {
            tracing::debug!("removing {} of a process that is gone", path.display());
            let _ = fs_err::remove_dir_all(&path);
        }
    }
}

/// Removes this process's `--no-cache` directories, for an exit that could not wait for every
/// thread to drop its cache (an interrupted run).
pub fn remove_own_temp_dirs() {
    let own = std::process::id();
    for (path, pid) in temp_cache_dirs() {
        if pid == own {
            let _ = fs_err::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_path_creates_root_and_markers() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a").join("cache");
        let cache = Cache::from_path(&root).unwrap();
        assert_eq!(cache.root(), root);
        let tag = fs_err::read_to_string(root.join("CACHEDIR.TAG")).unwrap();
        assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
        assert_eq!(
            fs_err::read_to_string(root.join(".gitignore")).unwrap(),
            "*\n"
        );
        // Opening again keeps what is there.
        fs_err::write(root.join(".gitignore"), "*\n# mine\n").unwrap();
        Cache::from_path(&root).unwrap();
        assert_eq!(
            fs_err::read_to_string(root.join(".gitignore")).unwrap(),
            "*\n# mine\n"
        );
    }

    #[test]
    fn buckets_and_entries_are_created_on_demand() {
        let cache = Cache::temp().unwrap();
        let wheels = cache.bucket(CacheBucket::Wheels);
        assert_eq!(wheels, cache.root().join("wheels-v1"));
        assert!(wheels.is_dir());
        let entry = cache.entry(
            CacheBucket::Simple,
            Path::new("0123456789abcdef/flask.json"),
        );
        assert_eq!(
            entry,
            cache.root().join("simple-v1/0123456789abcdef/flask.json")
        );
        assert!(entry.parent().unwrap().is_dir());
        assert!(!entry.exists());
    }

    #[test]
    fn temp_cache_lives_as_long_as_its_clones() {
        let cache = Cache::temp().unwrap();
        let root = cache.root().to_path_buf();
        let clone = cache.clone();
        drop(cache);
        assert!(root.join("CACHEDIR.TAG").is_file());
        drop(clone);
        assert!(!root.exists());
    }

    #[test]
    fn bucket_dir_names_are_versioned() {
        let names: Vec<_> = CacheBucket::ALL.iter().map(|b| b.dir_name()).collect();
        assert_eq!(
            names,
            [
                "simple-v1",
                "metadata-v2",
                "wheels-v1",
                "unpacked-v1",
                "interpreter-v1",
                "builds-v1",
                "git-v1"
            ]
        );
    }
}
