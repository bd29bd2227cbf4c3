//! Scratch space and parallel work for the installer.
//!
//! [`Staging`] is a hidden temporary directory beside a target directory (in its parent, or in
//! it when the parent is not writable), so that moving a file from it into place is a rename on
//! the same filesystem; [`move_file`] falls back to copy-and-delete across filesystems. Uninstall
//! moves files aside into one, and [`install_wheel`](crate::install_wheel) unpacks into one.
//! [`for_each_parallel`] is the installer's thread pool: scoped threads over a shared queue.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use tempfile::TempDir;

/// A scratch directory whose files are numbered, so that no directory structure is needed.
#[derive(Debug)]
pub(crate) struct Staging {
    dir: TempDir,
    next: usize,
}

impl Staging {
    /// A scratch directory for installing into `target` (which need not exist yet).
    pub(crate) fn new(target: &Path, prefix: &str) -> io::Result<Self> {
        let builder = || {
            let mut builder = tempfile::Builder::new();
            builder.prefix(prefix);
            builder
        };
        let existing = target.ancestors().find(|path| path.is_dir());
        let parent_first = existing
            .filter(|path| *path == target)
            .and_then(Path::parent)
            .into_iter()
            .chain(existing);
        let mut last_error = None;
        for directory in parent_first {
            match builder().tempdir_in(directory) {
                Ok(dir) => return Ok(Self { dir, next: 0 }),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no existing directory above \"{}\"", target.display()),
            )
        }))
    }

    /// The scratch directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A fresh path in the scratch directory.
    pub(crate) fn next_path(&mut self) -> PathBuf {
        self.next += 1;
        self.dir.path().join(self.next.to_string())
    }
}

/// Runs `work` on every item on up to `threads` threads (a shared queue, so that slow items do
/// not hold up the rest); stops handing out items at the first error, which it returns.
///
/// Items are handed out in runs of neighbours (up to 64, fewer for short lists), so that threads
/// linking the files of one directory do not take turns on its lock.
pub(crate) fn for_each_parallel<T: Sync, E: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    for_each_parallel_with(items, threads, || (), |(), item| work(item))
}

/// [`for_each_parallel`] where each thread has its own state, made by `init` when it starts.
pub(crate) fn for_each_parallel_with<T: Sync, S, E: Send>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let threads = threads.clamp(1, items.len().max(1));
    let run_length = (items.len() / (threads * 8)).clamp(1, 64);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error = Mutex::new(None);
    let run = || {
        let mut state = init();
        while !failed.load(Ordering::Relaxed) {
            let start = next.fetch_add(run_length, Ordering::Relaxed);
            let Some(run) = items.get(start..(start + run_length).min(items.len())) else {
                break;
            };
            for item in run {
                if let Err(error) = work(&mut state, item) {
                    failed.store(true, Ordering::Relaxed);
                    first_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_or_insert(error);
                    return;
                }
            }
        }
    };
    if threads == 1 {
        run();
    } else {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(run);
            }
            run();
        });
    }
    match first_error
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// [`for_each_parallel`] that keeps each item's result, in the order of `items`.
pub(crate) fn map_parallel<'a, T: Sync, R: Send, E: Send>(
    items: &'a [T],
    threads: usize,
    work: impl Fn(&'a T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let indexed: Vec<usize> = (0..items.len()).collect();
    for_each_parallel(&indexed, threads, |&index| {
        let result = work(&items[index])?;
        *results[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(result);
        Ok(())
    })?;
    Ok(results
        .into_iter()
        .map(|result| {
            result
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .expect("every item was mapped")
        })
        .collect())
}

/// Renames, or copies and removes when the rename crosses filesystems.
pub(crate) fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    match fs_err::rename(from, to) {
        Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {
            fs_err::copy(from, to)?;
            fs_err::remove_file(from)
        }
        result => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_directory_beside_the_target() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("site");
        fs_err::create_dir(&target).unwrap();
        let mut staging = Staging::new(&target, ".volley-test-").unwrap();
        assert_eq!(staging.path().parent(), Some(root.path()));
        assert_ne!(staging.next_path(), staging.next_path());
        let missing = root.path().join("a/b/site");
        let staging = Staging::new(&missing, ".volley-test-").unwrap();
        assert_eq!(staging.path().parent(), Some(root.path()));
    }

    #[test]
    fn parallel_work_visits_everything_and_stops_at_an_error() {
        let items: Vec<usize> = (0..100).collect();
        let seen = Mutex::new(Vec::new());
        for_each_parallel(&items, 4, |item| {
            seen.lock().unwrap().push(*item);
            Ok::<(), String>(())
        })
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, items);

        let error = for_each_parallel(&items, 3, |item| {
            if *item == 50 {
                Err(format!("item {item}"))
            } else {
                Ok(())
            }
        });
        assert_eq!(error, Err("item 50".to_string()));
        assert_eq!(for_each_parallel(&[] as &[usize], 8, |_| Err(())), Ok(()));

        let long: Vec<usize> = (0..1000).collect();
        let doubled = map_parallel(&long, 3, |item| Ok::<usize, String>(item * 2)).unwrap();
        assert_eq!(
            doubled,
            long.iter().map(|item| item * 2).collect::<Vec<_>>()
        );
        let error = map_parallel(&long, 2, |item| {
            if *item == 999 {
                Err(format!("item {item}"))
            } else {
                Ok(*item)
            }
        });
        assert_eq!(error, Err("item 999".to_string()));
    }
}
