//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// A cache operation that failed; every variant names the path involved.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// An IO error from `fs_err`, whose message already names the path.
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("failed to create the cache directory \"{}\"", path.display())]
    CreateRoot { path: PathBuf, source: io::Error },
    #[error("failed to create a temporary file in \"{}\"", dir.display())]
    TempFile { dir: PathBuf, source: io::Error },
    #[error("failed to create a temporary directory in \"{}\"", dir.display())]
    TempDir { dir: PathBuf, source: io::Error },
    #[error("failed to write \"{}\"", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("failed to move a temporary file into place at \"{}\"", path.display())]
    Persist { path: PathBuf, source: io::Error },
    #[error("failed to lock \"{}\"", path.display())]
    Lock { path: PathBuf, source: io::Error },
}
