//! Finding the files that `-r` and `-c` name, and the paths that `--find-links` names.
//!
//! As in pip, a relative path is joined to the directory of the file that names it. pip's
//! documentation adds that `..` after a symlinked directory is first resolved by the filesystem
//! (from the symlink's target) and, only if that finds nothing, lexically.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::requirement::is_url;

/// Read a nested file. As pip documents it, `..` after a symlinked directory is first resolved
/// by the filesystem (from the symlink's target), and only if that finds nothing, lexically.
pub(crate) fn read_nested(path: PathBuf) -> io::Result<(PathBuf, Vec<u8>)> {
    match fs_err::read(&path) {
        Ok(bytes) => Ok((path, bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let lexical = lexically_normalized(&path);
            if lexical != path
                && let Ok(bytes) = fs_err::read(&lexical)
            {
                return Ok((lexical, bytes));
            }
            Err(error)
        }
        Err(error) => Err(error),
    }
}

/// The path without `.` components (`dir/./r.txt` is `dir/r.txt`).
pub(crate) fn without_current_dir(path: &Path) -> PathBuf {
    let stripped: PathBuf = path
        .components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect();
    if stripped.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        stripped
    }
}

/// The path with `..` applied to the component before it, without asking the filesystem.
fn lexically_normalized(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(
                    normalized.components().next_back(),
                    Some(Component::Normal(_))
                ) =>
            {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// A `--find-links` value: made absolute against the requirements file's directory if a path
/// exists there (pip's rule), else as written.
pub(crate) fn find_links_value(value: String, requirements_file: &Path) -> String {
    if is_url(&value) {
        return value;
    }
    let directory = requirements_file.parent().unwrap_or(Path::new(""));
    let candidate = directory.join(&value);
    if candidate.exists()
        && let Ok(absolute) = std::path::absolute(&candidate)
    {
        return absolute.to_string_lossy().into_owned();
    }
    value
}

/// An `http:` or `https:` URL, which would have to be fetched.
pub(crate) fn is_remote(text: &str) -> bool {
    text.split_once(':').is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
    })
}

/// The path of a `file:` URL; `None` if `text` is not one, `Err` if it is a malformed one.
pub(crate) fn file_url_path(text: &str) -> Option<Result<PathBuf, ()>> {
    let (scheme, _) = text.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    Some(
        url::Url::parse(text)
            .ok()
            .and_then(|url| url.to_file_path().ok())
            .ok_or(()),
    )
}

/// The path with symlinks and `..` resolved, for cycle detection; the path itself if it does
/// not exist (a `parse_str` origin).
pub(crate) fn canonical(path: &Path) -> PathBuf {
    fs_err::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}
