//! Atomic writes: a file appears at its final path whole, or not at all.
//!
//! Everything is written to a temporary file in the destination's own directory (same
//! filesystem, so the rename is atomic) and renamed into place. There is no fsync: after a power
//! loss a cache entry may be empty or missing, and callers verify hashes before trusting a file
//! (wheels) or treat an unreadable entry as a miss (pages, metadata).

use std::io::{self, Read, Write};
use std::path::Path;

use tempfile::{NamedTempFile, TempDir};

use crate::CacheError;

/// The prefix of every temporary file and directory, so that `prune` can find leftovers of a
/// process that was killed.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Write `bytes` to `path` atomically, creating the parent directory if needed. An existing file
/// is replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let dir = parent_dir(path);
    let mut temp = temp_file_in(dir)?;
    temp.write_all(bytes)
        .and_then(|()| temp.flush())
        .map_err(|source| CacheError::Write {
            path: temp.path().to_path_buf(),
            source,
        })?;
    persist_atomic(temp, path)
}

/// Rename a finished temporary file into place at `path`.
///
/// Another process may have put the same file there first (two runs downloading the same
/// wheel). Where the rename cannot replace it (Windows), a target with the same content counts as
/// success, and the temporary file is deleted.
pub fn persist_atomic(temp: NamedTempFile, path: &Path) -> Result<(), CacheError> {
    match temp.persist(path) {
        Ok(_) => Ok(()),
        Err(error) => {
            let temp = error.file;
            if same_content(temp.path(), path).unwrap_or(false) {
                tracing::debug!(
                    "{} is already in place with the same content",
                    path.display()
                );
                return Ok(());
            }
            Err(CacheError::Persist {
                path: path.to_path_buf(),
                source: error.error,
            })
        }
    }
}

/// A new temporary file in `dir` (created if missing), deleted on drop unless persisted.
pub fn temp_file_in(dir: &Path) -> Result<NamedTempFile, CacheError> {
    fs_err::create_dir_all(dir)?;
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|source| CacheError::TempFile {
            dir: dir.to_path_buf(),
            source,
        })
}

/// A new temporary directory in `dir` (created if missing), removed on drop unless kept
/// (`TempDir::keep`) or renamed away.
pub fn temp_dir_in(dir: &Path) -> Result<TempDir, CacheError> {
    fs_err::create_dir_all(dir)?;
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(dir)
        .map_err(|source| CacheError::TempDir {
            dir: dir.to_path_buf(),
            source,
        })
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Whether two files have the same bytes, compared in chunks. Blocking.
pub fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    let mut a = fs_err::File::open(a)?;
    let mut b = fs_err::File::open(b)?;
    if a.metadata()?.len() != b.metadata()?.len() {
        return Ok(false);
    }
    let mut buffer_a = vec![0; 64 * 1024];
    let mut buffer_b = vec![0; 64 * 1024];
    loop {
        let read_a = read_full(&mut a, &mut buffer_a)?;
        let read_b = read_full(&mut b, &mut buffer_b)?;
        if buffer_a[..read_a] != buffer_b[..read_b] {
            return Ok(false);
        }
        if read_a == 0 {
            return Ok(true);
        }
    }
}

/// Read until `buffer` is full or the end of the file.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_atomic_creates_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("page.json");
        write_atomic(&path, b"one").unwrap();
        assert_eq!(fs_err::read(&path).unwrap(), b"one");
        write_atomic(&path, b"two, longer").unwrap();
        assert_eq!(fs_err::read(&path).unwrap(), b"two, longer");
        assert_eq!(entries(&dir.path().join("sub")), ["page.json"]);
    }

    #[test]
    fn write_atomic_reports_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs_err::write(&file, "").unwrap();
        // A file where a directory should be.
        let error = write_atomic(&file.join("x"), b"").unwrap_err();
        let message = error
            .to_string()
            .replace(&*dir.path().to_string_lossy(), "[TEMP]");
        insta::assert_snapshot!(message, @"failed to create directory `[TEMP]/file`: File exists (os error 17)");
    }

    #[test]
    fn dropped_temp_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut temp = temp_file_in(dir.path()).unwrap();
        temp.write_all(b"partial").unwrap();
        assert!(
            temp.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(TEMP_PREFIX)
        );
        drop(temp);
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn temp_dir_is_created_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let temp = temp_dir_in(&dir.path().join("unpacked")).unwrap();
        assert_eq!(temp.path().parent().unwrap(), dir.path().join("unpacked"));
        drop(temp);
        assert!(entries(&dir.path().join("unpacked")).is_empty());
    }

    #[test]
    fn two_writers_of_the_same_file_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("wheels").join("pkg-1.0-py3-none-any.whl");
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let target = target.clone();
                let content = content.clone();
                std::thread::spawn(move || {
                    let mut temp = temp_file_in(target.parent().unwrap()).unwrap();
                    temp.write_all(&content).unwrap();
                    barrier.wait();
                    persist_atomic(temp, &target)
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap().unwrap();
        }
        assert_eq!(fs_err::read(&target).unwrap(), content);
        assert_eq!(
            entries(target.parent().unwrap()),
            ["pkg-1.0-py3-none-any.whl"]
        );
    }

    #[test]
    fn persist_onto_a_directory_fails_unless_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("taken");
        fs_err::create_dir(&target).unwrap();
        fs_err::write(target.join("inside"), "x").unwrap();
        let temp = temp_file_in(dir.path()).unwrap();
        let error = persist_atomic(temp, &target).unwrap_err();
        let message = error
            .to_string()
            .replace(&*dir.path().to_string_lossy(), "[TEMP]");
        insta::assert_snapshot!(message, @r#"failed to move a temporary file into place at "[TEMP]/taken""#);
        assert_eq!(entries(dir.path()), ["taken"]);
    }

    #[test]
    fn same_content_compares_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let [a, b, c, d] = ["a", "b", "c", "d"].map(|name| dir.path().join(name));
        let big: Vec<u8> = (0..150_000u32).map(|i| (i % 7) as u8).collect();
        let mut other = big.clone();
        other[140_000] = 99;
        fs_err::write(&a, &big).unwrap();
        fs_err::write(&b, &big).unwrap();
        fs_err::write(&c, &other).unwrap();
        fs_err::write(&d, b"short").unwrap();
        assert!(same_content(&a, &b).unwrap());
        assert!(!same_content(&a, &c).unwrap());
        assert!(!same_content(&a, &d).unwrap());
    }
}
