//! Staging and committing: files are written to a scratch directory next to the environment
//! first, and moved into place only when every one of them has been written and checked.
//!
//! The scratch directory is a hidden temporary directory beside the target site-packages (in
//! its parent, or in it when the parent is not writable), so that moving a file into place is a
//! rename on the same filesystem; a rename that crosses filesystems (a scripts directory on
//! another mount) falls back to a copy. [`commit`] moves files one by one, keeping any file it
//! replaces as a backup; if a move fails it undoes everything it did (removes what it moved in,
//! restores the backups, removes the directories it created), so the environment is as before.
//! The scratch directory is removed when the [`Staging`] is dropped.

use std::io;
use std::path::{Path, PathBuf};

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

    /// A fresh path in the scratch directory.
    pub(crate) fn next_path(&mut self) -> PathBuf {
        self.next += 1;
        self.dir.path().join(self.next.to_string())
    }

    /// Creates a fresh file, executable (mode `0o777` less the umask) or not (`0o666` less the
    /// umask), as an extracted or generated file should be.
    pub(crate) fn create_file(&mut self, executable: bool) -> io::Result<(PathBuf, fs_err::File)> {
        let path = self.next_path();
        let mut options = fs_err::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use fs_err::os::unix::fs::OpenOptionsExt;
            options.mode(if executable { 0o777 } else { 0o666 });
        }
        #[cfg(not(unix))]
        let _ = executable;
        let file = options.open(&path)?;
        Ok((path, file))
    }

    /// Writes a whole file.
    pub(crate) fn write_file(&mut self, content: &[u8], executable: bool) -> io::Result<PathBuf> {
        use std::io::Write;
        let (path, mut file) = self.create_file(executable)?;
        file.write_all(content)?;
        Ok(path)
    }
}

/// Moves `(staged, destination)` pairs into place, in order; on failure undoes every move and
/// returns the error.
pub(crate) fn commit(staging: &mut Staging, moves: &[(PathBuf, PathBuf)]) -> io::Result<()> {
    let mut journal = Journal::default();
    for (staged, destination) in moves {
        if let Err(error) = journal.place(staging, staged, destination) {
            journal.undo();
            return Err(error);
        }
    }
    Ok(())
}

/// What [`commit`] did so far, to undo it.
#[derive(Debug, Default)]
struct Journal {
    created_dirs: Vec<PathBuf>,
    /// Destinations moved into place, with the backup of the file they replaced.
    placed: Vec<(PathBuf, Option<PathBuf>)>,
}

impl Journal {
    fn place(
        &mut self,
        staging: &mut Staging,
        staged: &Path,
        destination: &Path,
    ) -> io::Result<()> {
        if let Some(parent) = destination.parent() {
            self.create_dirs(parent)?;
        }
        let backup = match fs_err::symlink_metadata(destination) {
            Ok(metadata) if metadata.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "cannot install file \"{}\": a directory is in the way",
                        destination.display()
                    ),
                ));
            }
            Ok(_) => {
                let backup = staging.next_path();
                move_file(destination, &backup)?;
                Some(backup)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        if let Err(error) = move_file(staged, destination) {
            if let Some(backup) = &backup {
                let _ = move_file(backup, destination);
            }
            return Err(error);
        }
        self.placed.push((destination.to_path_buf(), backup));
        Ok(())
    }

    /// `create_dir_all`, remembering which directories it created.
    fn create_dirs(&mut self, directory: &Path) -> io::Result<()> {
        let missing: Vec<&Path> = directory
            .ancestors()
            .take_while(|path| !path.as_os_str().is_empty() && !path.is_dir())
            .collect();
        for path in missing.into_iter().rev() {
            match fs_err::create_dir(path) {
                Ok(()) => self.created_dirs.push(path.to_path_buf()),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Best effort: the error that made us undo is the one to report.
    fn undo(self) {
        for (destination, backup) in self.placed.into_iter().rev() {
            if let Err(error) = fs_err::remove_file(&destination) {
                tracing::warn!("rolling back: {error}");
            }
            if let Some(backup) = backup
                && let Err(error) = move_file(&backup, &destination)
            {
                tracing::warn!("rolling back: {error}");
            }
        }
        for directory in self.created_dirs.into_iter().rev() {
            if let Err(error) = fs_err::remove_dir(&directory) {
                tracing::warn!("rolling back: {error}");
            }
        }
    }
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
    fn commit_moves_and_rollback_restores() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("site");
        fs_err::create_dir(&target).unwrap();
        fs_err::write(target.join("existing.txt"), "old").unwrap();
        let mut staging = Staging::new(&target, ".volley-test-").unwrap();
        assert_eq!(staging.dir.path().parent(), Some(root.path()));

        let new = staging.write_file(b"new", false).unwrap();
        let nested = staging.write_file(b"nested", true).unwrap();
        // A directory where a file should go makes the third move fail.
        fs_err::create_dir_all(target.join("blocked")).unwrap();
        let blocked = staging.write_file(b"x", false).unwrap();
        let moves = vec![
            (new, target.join("existing.txt")),
            (nested, target.join("a/b/nested.txt")),
            (blocked, target.join("blocked")),
        ];
        let error = commit(&mut staging, &moves).unwrap_err();
        assert!(error.to_string().contains("a directory is in the way"));
        assert_eq!(
            fs_err::read_to_string(target.join("existing.txt")).unwrap(),
            "old"
        );
        assert!(!target.join("a").exists());

        let ok = staging.write_file(b"ok", true).unwrap();
        commit(&mut staging, &[(ok, target.join("c/ok"))]).unwrap();
        assert_eq!(fs_err::read_to_string(target.join("c/ok")).unwrap(), "ok");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs_err::metadata(target.join("c/ok"))
                .unwrap()
                .permissions()
                .mode();
            assert_ne!(mode & 0o100, 0);
        }
    }
}
