//! The crate's one error type.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

use volley_packaging::{MetadataError, TagsError};

/// Finding, querying or inspecting an interpreter failed. Every variant names the path involved.
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    /// Default discovery ([`PythonRequest::Default`](crate::PythonRequest::Default)) found no
    /// environment. The binary adds the hint (create a `.venv`, pass `--python`, or use
    /// `--system`).
    #[error(
        "no virtual environment found: $VIRTUAL_ENV and $CONDA_PREFIX are unset and there is no `.venv` in \"{}\" or its parents",
        cwd.display()
    )]
    NotFound { cwd: PathBuf },
    /// `--python <value>` is neither an existing file or directory nor a command on `PATH`.
    #[error(
        "no Python interpreter found for --python \"{}\": it is not a file, a directory or a command on PATH",
        request.display()
    )]
    RequestNotFound { request: PathBuf },
    /// `--system` found no `python3` on `PATH`.
    #[error("no \"{name}\" found on PATH for --system")]
    SystemNotFound { name: &'static str },
    /// An environment directory without an interpreter in it.
    #[error(
        "the environment \"{}\" (from {origin}) has no Python interpreter at \"bin/python\" or \"Scripts/python.exe\"",
        environment.display()
    )]
    NoInterpreterInEnvironment {
        environment: PathBuf,
        /// Where the directory came from: `--python`, `$VIRTUAL_ENV`, `$CONDA_PREFIX`, `.venv`.
        origin: &'static str,
    },
    #[error("failed to run the Python interpreter \"{}\"", executable.display())]
    Spawn {
        executable: PathBuf,
        source: io::Error,
    },
    #[error(
        "querying the Python interpreter \"{}\" failed ({status}): {stderr}",
        executable.display()
    )]
    QueryFailed {
        executable: PathBuf,
        status: ExitStatus,
        /// The interpreter's standard error, trimmed.
        stderr: String,
    },
    #[error(
        "Python {version} at \"{}\" is not supported: volley needs Python 3.8 or newer",
        executable.display()
    )]
    UnsupportedVersion {
        executable: PathBuf,
        version: String,
    },
    #[error(
        "invalid answer from the Python interpreter \"{}\": {reason}",
        executable.display()
    )]
    InvalidQueryOutput { executable: PathBuf, reason: String },
    #[error("cannot compute the wheel tags of the Python interpreter \"{}\"", executable.display())]
    Tags {
        executable: PathBuf,
        source: TagsError,
    },
    /// An installed distribution's metadata file does not parse.
    #[error("invalid metadata in \"{}\": {source}", path.display())]
    InvalidMetadata {
        path: PathBuf,
        source: MetadataError,
    },
    /// A requirement in an installed distribution's metadata (or `requires.txt`) does not parse.
    #[error("invalid requirement \"{requirement}\" in \"{}\": {reason}", path.display())]
    InvalidRequirement {
        path: PathBuf,
        requirement: String,
        reason: String,
    },
    /// A `direct_url.json` that is not PEP 610's format.
    #[error("invalid \"{}\": {reason}", path.display())]
    InvalidDirectUrl { path: PathBuf, reason: String },
    /// `--user` in a virtual environment that does not see the user site-packages (pip's
    /// `virtualenv_no_global`).
    #[error(
        "cannot perform a --user install: user site-packages are not visible in the virtual environment \"{}\"",
        environment.display()
    )]
    UserSiteNotVisible { environment: PathBuf },
    /// An IO error from `fs_err`, whose message already names the path.
    #[error(transparent)]
    Io(#[from] io::Error),
}
