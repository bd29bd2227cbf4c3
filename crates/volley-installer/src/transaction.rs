//! Changing an environment all at once or not at all, even when the process is killed.
//!
//! A [`Transaction`] owns `<data>/.volley-transaction/` (`<data>` is the layout's prefix, so the
//! directory is hidden and outside every import path, and on the environment's filesystem):
//! - `stage/`: the files the install writes (`RECORD`, launchers, bytecode...), written before
//!   the environment is touched; the wheels' own files are not staged, they are linked from the
//!   unpacked-wheel cache straight into place during the commit;
//! - `backup/`: files the commit moves out of the way (replaced versions, files overwritten);
//! - `journal`: the commit's operations, written (to a temporary name, then renamed) before the
//!   first of them runs.
//!
//! The commit runs the journal: create directories (parents first: one level of the tree at a
//! time), move old files into `backup/` (and each replaced `.dist-info` directory, whole, to a
//! name beside it), then link cached files and rename staged files into place (the operations of
//! each phase in parallel), and last rename each new `.dist-info` directory, filled under another
//! name, into place: so Python never reads a distribution half-made, even after a `SIGKILL`
//! (`dist_infos_appear_whole` in `installer.rs`). Then it deletes the journal: that is the commit
//! point; the directories hidden beside their old place are listed in `cleanup` and removed with
//! the transaction directory. A failure before it
//! undoes what was done; a process killed before it leaves the journal, and [`recover`] (run
//! under the environment lock before anything else) undoes it. Undoing needs no record of
//! progress, because each operation's state can be seen on disk: a staged file that is gone was
//! placed and a linked destination that exists was linked (remove them), unless the commit backs
//! up a file from that path and the backup is not in the backup directory (not taken yet, or
//! moved back by an earlier undo: the path holds the old file); a backup that exists was taken
//! (move it back); a created directory is
//! removed if it is empty. Nothing else can be at a destination: the plan backs up every
//! existing file it replaces, and the environment lock keeps other volley processes out. Undoing
//! twice is harmless, so a crash during a recovery is recovered by the next one. Without a
//! journal the directory is leftovers (a staging that never committed, or the clean-up after a
//! commit) and is simply deleted.
//!
//! Renames are atomic on one filesystem. A scheme directory on another filesystem than `<data>`
//! falls back to copy-and-delete, which is not atomic if the process dies in the middle. Nothing
//! is `fsync`ed: this protects against a killed process, not against a power loss (as pip and uv).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::FxHashMap;

use crate::link::{LinkMode, Linker};
use crate::staging::{for_each_parallel, for_each_parallel_with, move_file};

/// The transaction directory's name, under the layout's `data` directory.
pub(crate) const TRANSACTION_DIR: &str = ".volley-transaction";
const JOURNAL: &str = "journal";
/// Directories hidden by the commit (backups kept beside what they hid rather than in
/// `backup/`), removed with the transaction once it committed.
const CLEANUP: &str = "cleanup";
const JOURNAL_HEADER: &[u8] = b"volley-journal 1\0";
const JOURNAL_END: &[u8] = b"end\0";

/// Called after each rename or link of a commit with `(steps done, steps in the commit)`; an
/// error fails the commit there, as if the step had failed.
pub(crate) type CommitHook = dyn Fn(usize, usize) -> io::Result<()> + Send + Sync;

/// One step of a commit. Paths are borrowed from the install's plan where it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operation<'a> {
    /// Create a directory that does not exist (its parent exists, or an earlier step creates it).
    CreateDir(Cow<'a, Path>),
    /// Move a file out of the way, into the backup directory.
    Backup {
        from: Cow<'a, Path>,
        to: Cow<'a, Path>,
    },
    /// Move a staged file into place.
    Place {
        from: Cow<'a, Path>,
        to: Cow<'a, Path>,
    },
    /// Make `to` from the cached file `from` with the commit's link mode.
    Link { from: Cached<'a>, to: Cow<'a, Path> },
    /// Rename the directory `from` (beside `to`) to `to`, after every other step: a new
    /// `.dist-info` directory, filled under a name Python does not read, appears whole.
    Publish {
        from: Cow<'a, Path>,
        to: Cow<'a, Path>,
    },
}

/// A file of the unpacked-wheel cache: `relative` (`/`-separated, normalized; empty when `root`
/// is the file itself) under `root`. Kept in two parts so that a plan of many files does not
/// hold a joined path for each.
#[derive(Debug, Clone)]
pub(crate) struct Cached<'a> {
    pub(crate) root: Cow<'a, Path>,
    pub(crate) relative: Cow<'a, str>,
}

impl Cached<'_> {
    /// The file's path.
    pub(crate) fn path(&self) -> Cow<'_, Path> {
        if self.relative.is_empty() {
            Cow::Borrowed(&self.root)
        } else {
            Cow::Owned(self.root.join(self.relative.as_ref()))
        }
    }
}

impl PartialEq for Cached<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.path() == other.path()
    }
}

impl Eq for Cached<'_> {}

/// Why a commit failed (it was rolled back).
#[derive(Debug)]
pub(crate) enum CommitError {
    Io(io::Error),
    /// The cached file that a link needed is gone.
    MissingSource(PathBuf),
}

impl From<io::Error> for CommitError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// A transaction directory in use; removed when dropped (after undoing an unfinished commit).
#[derive(Debug)]
pub(crate) struct Transaction {
    dir: PathBuf,
    next_backup: usize,
}

impl Transaction {
    /// Creates the transaction directory in `data`; it must not exist (see [`recover`]).
    pub(crate) fn begin(data: &Path) -> Result<Self, crate::InstallError> {
        let dir = data.join(TRANSACTION_DIR);
        let stage_error = |source| crate::InstallError::Stage {
            dir: dir.clone(),
            source,
        };
        fs_err::create_dir_all(data).map_err(stage_error)?;
        match fs_err::create_dir(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(crate::InstallError::TransactionInProgress { dir });
            }
            Err(error) => return Err(stage_error(error)),
        }
        let transaction = Self {
            dir: dir.clone(),
            next_backup: 0,
        };
        fs_err::create_dir(transaction.stage_dir()).map_err(stage_error)?;
        fs_err::create_dir(transaction.backup_dir()).map_err(stage_error)?;
        Ok(transaction)
    }

    pub(crate) fn stage_dir(&self) -> PathBuf {
        self.dir.join("stage")
    }

    fn backup_dir(&self) -> PathBuf {
        self.dir.join("backup")
    }

    /// A fresh path in the backup directory.
    pub(crate) fn backup_path(&mut self) -> PathBuf {
        self.next_backup += 1;
        self.backup_dir().join(self.next_backup.to_string())
    }

    /// Runs `operations` (after writing them to the journal): the directories in order, then
    /// the backups, then the links (with `link_mode`) and placements, each of these two phases on
    /// `threads` threads. On failure they are undone (by the drop, which rolls back whatever the
    /// journal says) and the error is returned. The transaction directory is removed either way.
    ///
    /// Within a phase the order does not matter: a path is backed up or made at most once.
    pub(crate) fn commit(
        self,
        operations: &[Operation<'_>],
        link_mode: LinkMode,
        threads: usize,
        hook: Option<&CommitHook>,
    ) -> Result<(), CommitError> {
        let journal = self.dir.join(JOURNAL);
        write_journal(&journal, operations)?;
        let mut dirs = Vec::new();
        let mut backups = Vec::new();
        let mut places = Vec::new();
        let mut publishes = Vec::new();
        for operation in operations {
            match operation {
                Operation::CreateDir(dir) => dirs.push(dir.as_ref()),
                Operation::Backup { .. } => backups.push(operation),
                Operation::Place { .. } | Operation::Link { .. } => places.push(operation),
                Operation::Publish { .. } => publishes.push(operation),
            }
        }
        for level in levels(&dirs) {
            for_each_parallel(&level, threads, |dir| match fs_err::create_dir(dir) {
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {
                    Ok(())
                }
                result => result,
            })?;
        }
        let steps = backups.len() + places.len() + publishes.len();
        let done = AtomicUsize::new(0);
        let step = |linker: &mut Linker, operation: &&Operation<'_>| {
            match operation {
                Operation::Backup { from, to } | Operation::Place { from, to } => {
                    move_file(from, to)?;
                }
                Operation::Publish { from, to } => fs_err::rename(from, to)?,
                Operation::Link { from, to } => {
                    linker.link(link_mode, from, to).map_err(|error| {
                        if error.kind() == io::ErrorKind::NotFound
                            && fs_err::symlink_metadata(from.path()).is_err()
                        {
                            CommitError::MissingSource(from.path().into_owned())
                        } else {
                            CommitError::Io(error)
                        }
                    })?;
                }
                Operation::CreateDir(_) => {}
            }
            let done = done.fetch_add(1, Ordering::AcqRel) + 1;
            hook.map_or(Ok(()), |hook| hook(done, steps))?;
            Ok::<(), CommitError>(())
        };
        for phase in [&backups, &places] {
            if let Err(error) = for_each_parallel_with(phase, threads, Linker::default, step) {
                tracing::debug!(
                    "commit failed after {} of {steps} steps: {error:?}",
                    done.load(Ordering::Acquire)
                );
                return Err(error);
            }
        }
        // One at a time, last: each makes a distribution's metadata visible at once.
        let mut linker = Linker::default();
        for publish in &publishes {
            if let Err(error) = step(&mut linker, publish) {
                tracing::debug!("commit failed publishing: {error:?}");
                return Err(error);
            }
        }
        // Hidden directories are removed with the transaction, once it committed.
        let hidden: Vec<&Path> = backups
            .iter()
            .filter_map(|operation| match operation {
                Operation::Backup { to, .. } if !to.starts_with(&self.dir) => Some(to.as_ref()),
                _ => None,
            })
            .collect();
        if !hidden.is_empty() {
            let mut list = Vec::new();
            for path in hidden {
                list.extend_from_slice(&path_bytes(path));
                list.push(0);
            }
            fs_err::write(self.dir.join(CLEANUP), list)?;
        }
        // The commit point.
        fs_err::remove_file(&journal)?;
        tracing::debug!("committed {steps} steps");
        Ok(())
    }
}

/// `dirs` (parents before children) in levels: a directory's parent is in an earlier level or
/// not among `dirs`, so the directories of one level can be created in any order.
fn levels<'p>(dirs: &[&'p Path]) -> Vec<Vec<&'p Path>> {
    let mut level_of: FxHashMap<&OsStr, usize> =
        FxHashMap::with_capacity_and_hasher(dirs.len(), Default::default());
    let mut levels: Vec<Vec<&Path>> = Vec::new();
    for &dir in dirs {
        let level = dir
            .parent()
            .and_then(|parent| level_of.get(parent.as_os_str()))
            .map_or(0, |parent| parent + 1);
        level_of.insert(dir.as_os_str(), level);
        if levels.len() <= level {
            levels.resize_with(level + 1, Vec::new);
        }
        levels[level].push(dir);
    }
    levels
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if let Err(error) = recover_dir(&self.dir) {
            tracing::warn!("{error}");
        }
    }
}

/// Rolls back the unfinished transaction in `data`, if any, and removes its directory. Returns
/// whether a commit was rolled back. The caller holds the environment lock.
pub(crate) fn recover(data: &Path) -> Result<bool, crate::InstallError> {
    recover_dir(&data.join(TRANSACTION_DIR))
}

fn recover_dir(dir: &Path) -> Result<bool, crate::InstallError> {
    let error = |reason: String| crate::InstallError::Recovery {
        dir: dir.to_path_buf(),
        reason,
    };
    let journal = dir.join(JOURNAL);
    let rolled_back = match fs_err::read(&journal) {
        Ok(content) => {
            let operations = read_journal(&content)
                .map_err(|reason| error(format!("{}: {reason}", journal.display())))?;
            undo(&operations).map_err(|source| error(source.to_string()))?;
            fs_err::remove_file(&journal).map_err(|source| error(source.to_string()))?;
            tracing::info!(
                "rolled back an interrupted install of {} steps",
                operations.len()
            );
            true
        }
        Err(source) if source.kind() == io::ErrorKind::NotFound => {
            // Committed: what it hid goes now.
            if let Ok(list) = fs_err::read(dir.join(CLEANUP)) {
                for path in list
                    .split(|&byte| byte == 0)
                    .filter(|path| !path.is_empty())
                {
                    let path = path_from_bytes(path);
                    if let Err(source) = fs_err::remove_dir_all(&path)
                        && source.kind() != io::ErrorKind::NotFound
                    {
                        tracing::warn!("{source}");
                    }
                }
            }
            false
        }
        Err(source) => return Err(error(source.to_string())),
    };
    match fs_err::remove_dir_all(dir) {
        Ok(()) => {}
        Err(source) if source.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(error(source.to_string())),
    }
    Ok(rolled_back)
}

/// Undoes `operations`, last first, judging from the disk what was done. Every step is tried;
/// the first error is returned.
fn undo(operations: &[Operation<'_>]) -> io::Result<()> {
    let exists = |path: &Path| fs_err::symlink_metadata(path).is_ok();
    // A linked destination that was backed up first holds the old file until the backup is taken.
    let backups: HashMap<&Path, &Path> = operations
        .iter()
        .filter_map(|operation| match operation {
            Operation::Backup { from, to } => Some((from.as_ref(), to.as_ref())),
            _ => None,
        })
        .collect();
    // What is at a destination is ours unless the commit backs up a file from there and that
    // backup is not in the backup directory: not taken yet, or already moved back by an earlier
    // undo (then the destination holds the original again).
    let ours = |to: &Path| exists(to) && backups.get(to).is_none_or(|backup| exists(backup));
    let is_dir = |path: &Path| fs_err::symlink_metadata(path).is_ok_and(|meta| meta.is_dir());
    let mut first_error = None;
    for operation in operations.iter().rev() {
        let result = match operation {
            Operation::Place { from, to } if !exists(from) && ours(to) => fs_err::remove_file(to),
            Operation::Link { to, .. } if ours(to) => fs_err::remove_file(to),
            Operation::Publish { from, to } if !exists(from) && ours(to) && is_dir(to) => {
                fs_err::rename(to, from)
            }
            Operation::Backup { from, to } if exists(to) => move_file(to, from),
            Operation::CreateDir(dir) => {
                if let Err(error) = fs_err::remove_dir(dir) {
                    tracing::debug!("rolling back: keeping a directory: {error}");
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(error) = result {
            tracing::warn!("rolling back: {error}");
            first_error.get_or_insert(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Writes the journal: a header, then `kind\0path\0path\0` per operation, then an end mark;
/// to a temporary name first, so that `journal` is complete whenever it exists.
fn write_journal(path: &Path, operations: &[Operation<'_>]) -> io::Result<()> {
    let temporary = path.with_extension("partial");
    let mut out = io::BufWriter::with_capacity(256 * 1024, fs_err::File::create(&temporary)?);
    out.write_all(JOURNAL_HEADER)?;
    for operation in operations {
        let (kind, first, second): (&[u8], &Path, &Path) = match operation {
            Operation::CreateDir(dir) => (b"D", dir, Path::new("")),
            Operation::Backup { from, to } => (b"B", from, to),
            Operation::Publish { from, to } => (b"R", from, to),
            Operation::Place { from, to } => (b"P", from, to),
            Operation::Link { from, to } => {
                // The cached path, written in its two parts.
                out.write_all(b"L\0")?;
                out.write_all(&path_bytes(&from.root))?;
                if !from.relative.is_empty() {
                    out.write_all(b"/")?;
                    out.write_all(from.relative.as_bytes())?;
                }
                out.write_all(&[0])?;
                out.write_all(&path_bytes(to))?;
                out.write_all(&[0])?;
                continue;
            }
        };
        for field in [kind, &path_bytes(first), &path_bytes(second)] {
            out.write_all(field)?;
            out.write_all(&[0])?;
        }
    }
    out.write_all(JOURNAL_END)?;
    out.into_inner().map_err(io::IntoInnerError::into_error)?;
    fs_err::rename(&temporary, path)
}

fn read_journal(content: &[u8]) -> Result<Vec<Operation<'static>>, String> {
    let body = content
        .strip_prefix(JOURNAL_HEADER)
        .ok_or_else(|| "not a volley journal (version 1)".to_string())?
        .strip_suffix(JOURNAL_END)
        .ok_or_else(|| "the journal is incomplete".to_string())?;
    let fields: Vec<&[u8]> = body.split(|&byte| byte == 0).collect();
    // `split` yields one empty field after the last NUL.
    let fields = &fields[..fields.len().saturating_sub(1)];
    if !fields.len().is_multiple_of(3) {
        return Err("the journal is incomplete".to_string());
    }
    fields
        .chunks(3)
        .map(|record| {
            let first = Cow::Owned(path_from_bytes(record[1]));
            let second = Cow::Owned(path_from_bytes(record[2]));
            match record[0] {
                b"D" => Ok(Operation::CreateDir(first)),
                b"B" => Ok(Operation::Backup {
                    from: first,
                    to: second,
                }),
                b"P" => Ok(Operation::Place {
                    from: first,
                    to: second,
                }),
                b"R" => Ok(Operation::Publish {
                    from: first,
                    to: second,
                }),
                b"L" => Ok(Operation::Link {
                    from: Cached {
                        root: first,
                        relative: Cow::Borrowed(""),
                    },
                    to: second,
                }),
                kind => Err(format!(
                    "unknown operation \"{}\"",
                    String::from_utf8_lossy(kind)
                )),
            }
        })
        .collect()
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    Cow::Borrowed(path.as_os_str().as_bytes())
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

// Elsewhere paths go through UTF-8 (lossy): volley installs on Unix.
#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    Cow::Owned(path.to_string_lossy().into_owned().into_bytes())
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, content: &str) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, content).unwrap();
    }

    /// An environment with `old.txt`, `linked.txt` and `gone.txt`, and a transaction that
    /// replaces the first with a staged file and the second with a cached one, adds
    /// `new/dir/file` (staged) and `new/dir/link` (cached), and removes `gone.txt`.
    fn setup(root: &Path) -> (Transaction, Vec<Operation<'static>>) {
        let env = root.join("env");
        write(&env.join("old.txt"), "old");
        write(&env.join("linked.txt"), "old linked");
        write(&env.join("gone.txt"), "gone");
        let cache = root.join("cache");
        write(&cache.join("a"), "cached a");
        write(&cache.join("b"), "cached b");
        let mut transaction = Transaction::begin(root).unwrap();
        let stage = transaction.stage_dir();
        write(&stage.join("1"), "replacement");
        write(&stage.join("2"), "new file");
        let operations = vec![
            Operation::CreateDir(Cow::Owned(env.join("new"))),
            Operation::CreateDir(Cow::Owned(env.join("new/dir"))),
            Operation::Backup {
                from: Cow::Owned(env.join("old.txt")),
                to: Cow::Owned(transaction.backup_path()),
            },
            Operation::Backup {
                from: Cow::Owned(env.join("linked.txt")),
                to: Cow::Owned(transaction.backup_path()),
            },
            Operation::Backup {
                from: Cow::Owned(env.join("gone.txt")),
                to: Cow::Owned(transaction.backup_path()),
            },
            Operation::Place {
                from: Cow::Owned(stage.join("1")),
                to: Cow::Owned(env.join("old.txt")),
            },
            Operation::Link {
                from: Cached {
                    root: Cow::Owned(cache.clone()),
                    relative: Cow::Borrowed("a"),
                },
                to: Cow::Owned(env.join("linked.txt")),
            },
            Operation::Place {
                from: Cow::Owned(stage.join("2")),
                to: Cow::Owned(env.join("new/dir/file")),
            },
            Operation::Link {
                from: Cached {
                    root: Cow::Owned(cache.clone()),
                    relative: Cow::Borrowed("b"),
                },
                to: Cow::Owned(env.join("new/dir/link")),
            },
        ];
        (transaction, operations)
    }

    /// Runs one operation as the commit would.
    fn run(operation: &Operation<'_>) {
        match operation {
            Operation::CreateDir(dir) => fs_err::create_dir(dir).unwrap(),
            Operation::Backup { from, to }
            | Operation::Place { from, to }
            | Operation::Publish { from, to } => {
                fs_err::rename(from, to).unwrap();
            }
            Operation::Link { from, to } => fs_err::hard_link(from.path(), to).unwrap(),
        }
    }

    #[test]
    fn journal_round_trip() {
        let root = tempfile::tempdir().unwrap();
        let (transaction, operations) = setup(root.path());
        let path = transaction.dir.join("journal");
        write_journal(&path, &operations).unwrap();
        let content = fs_err::read(&path).unwrap();
        assert_eq!(read_journal(&content).unwrap(), operations);
        insta::assert_snapshot!(read_journal(&content[..content.len() - 2]).unwrap_err(), @"the journal is incomplete");
        insta::assert_snapshot!(read_journal(b"journal").unwrap_err(), @"not a volley journal (version 1)");
    }

    #[test]
    fn commits_and_cleans_up() {
        for link_mode in [LinkMode::Hardlink, LinkMode::Copy] {
            let root = tempfile::tempdir().unwrap();
            let (transaction, operations) = setup(root.path());
            transaction.commit(&operations, link_mode, 2, None).unwrap();
            let env = root.path().join("env");
            let read = |path: &str| fs_err::read_to_string(env.join(path)).unwrap();
            assert_eq!(read("old.txt"), "replacement");
            assert_eq!(read("linked.txt"), "cached a");
            assert_eq!(read("new/dir/file"), "new file");
            assert_eq!(read("new/dir/link"), "cached b");
            assert!(!env.join("gone.txt").exists());
            assert!(!root.path().join(TRANSACTION_DIR).exists());
            // The cache keeps its files.
            assert!(root.path().join("cache/a").exists());
        }
    }

    #[test]
    fn a_failure_at_any_step_rolls_back() {
        for fail_at in 1..=7 {
            let root = tempfile::tempdir().unwrap();
            let (transaction, operations) = setup(root.path());
            let env = root.path().join("env");
            let before = volley_test_support::snapshot_tree(&env);
            let hook = move |done: usize, total: usize| {
                assert_eq!(total, 7);
                if done == fail_at {
                    Err(io::Error::other("injected"))
                } else {
                    Ok(())
                }
            };
            let error = transaction
                .commit(&operations, LinkMode::Hardlink, 2, Some(&hook))
                .unwrap_err();
            assert!(
                matches!(&error, CommitError::Io(error) if error.to_string() == "injected"),
                "{error:?}"
            );
            assert_eq!(volley_test_support::snapshot_tree(&env), before);
            assert!(!env.join("new").exists(), "created directories are removed");
            assert!(!root.path().join(TRANSACTION_DIR).exists());
        }
    }

    #[test]
    fn a_missing_cached_file_fails_the_commit_and_rolls_back() {
        let root = tempfile::tempdir().unwrap();
        let (transaction, operations) = setup(root.path());
        let env = root.path().join("env");
        let before = volley_test_support::snapshot_tree(&env);
        fs_err::remove_file(root.path().join("cache/b")).unwrap();
        let error = transaction
            .commit(&operations, LinkMode::Hardlink, 1, None)
            .unwrap_err();
        assert!(
            matches!(&error, CommitError::MissingSource(path) if path.ends_with("cache/b")),
            "{error:?}"
        );
        assert_eq!(volley_test_support::snapshot_tree(&env), before);
    }

    #[test]
    fn recovers_from_a_commit_killed_after_any_step() {
        for steps_done in 0..=9 {
            let root = tempfile::tempdir().unwrap();
            let (transaction, operations) = setup(root.path());
            let env = root.path().join("env");
            let before = volley_test_support::snapshot_tree(&env);
            // As if the process died after `steps_done` steps: the journal is there, nothing
            // undone. Backups come before links, so a linked destination that must be backed
            // up first still holds the old file while its backup is not taken.
            write_journal(&transaction.dir.join(JOURNAL), &operations).unwrap();
            operations[..steps_done].iter().for_each(run);
            std::mem::forget(transaction);
            assert!(recover(root.path()).unwrap(), "after {steps_done} steps");
            assert_eq!(
                volley_test_support::snapshot_tree(&env),
                before,
                "after {steps_done} steps"
            );
            assert!(!root.path().join(TRANSACTION_DIR).exists());
            assert!(!recover(root.path()).unwrap());
        }
    }

    #[test]
    fn undoing_twice_keeps_the_restored_files() {
        let root = tempfile::tempdir().unwrap();
        let (transaction, operations) = setup(root.path());
        let env = root.path().join("env");
        let before = volley_test_support::snapshot_tree(&env);
        operations.iter().for_each(run);
        // The first undo restores everything but (as if it stopped there) keeps the journal.
        undo(&operations).unwrap();
        assert_eq!(volley_test_support::snapshot_tree(&env), before);
        undo(&operations).unwrap();
        assert_eq!(volley_test_support::snapshot_tree(&env), before);
        drop(transaction);
    }

    #[test]
    fn recovers_from_an_interrupted_recovery() {
        let root = tempfile::tempdir().unwrap();
        let (transaction, operations) = setup(root.path());
        let env = root.path().join("env");
        let before = volley_test_support::snapshot_tree(&env);
        write_journal(&transaction.dir.join(JOURNAL), &operations).unwrap();
        operations.iter().for_each(run);
        std::mem::forget(transaction);
        // A recovery that itself stopped half-way: undo a little by hand first.
        fs_err::remove_file(env.join("new/dir/link")).unwrap();
        fs_err::remove_file(env.join("old.txt")).unwrap();
        assert!(recover(root.path()).unwrap());
        assert_eq!(volley_test_support::snapshot_tree(&env), before);
        assert!(!root.path().join(TRANSACTION_DIR).exists());
    }

    #[test]
    fn a_second_transaction_waits_for_recovery() {
        let root = tempfile::tempdir().unwrap();
        let transaction = Transaction::begin(root.path()).unwrap();
        let error = Transaction::begin(root.path()).unwrap_err().to_string();
        let error = error.replace(&root.path().display().to_string(), "[ROOT]");
        insta::assert_snapshot!(error, @r#""[ROOT]/.volley-transaction" exists: another install is running, or an interrupted one must be rolled back first"#);
        drop(transaction);
        // Staging leftovers without a journal are removed.
        let leftover = Transaction::begin(root.path()).unwrap();
        std::mem::forget(leftover);
        assert!(!recover(root.path()).unwrap());
        assert!(!root.path().join(TRANSACTION_DIR).exists());
    }
}
