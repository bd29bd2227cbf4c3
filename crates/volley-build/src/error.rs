//! The crate's one error type.

use std::path::PathBuf;

/// Why a source tree could not be unpacked, read, or built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Io(#[from] std::io::Error),

    #[error("unsupported source archive {}: expected .tar.gz, .tgz, .tar, .zip, .tar.bz2, .tbz, .tar.xz, .txz, .tlz, .tar.lz or .tar.lzma", archive.display())]
    UnsupportedArchive { archive: PathBuf },

    #[error("cannot read source archive {}: {message}", archive.display())]
    Archive { archive: PathBuf, message: String },

    #[error("refusing to unpack \"{entry}\" from {}: {reason}", archive.display())]
    UnsafeArchiveEntry {
        archive: PathBuf,
        entry: String,
        reason: String,
    },

    #[error(
        "{} does not appear to be a Python project: neither \"setup.py\" nor \"pyproject.toml\" found",
        path.display()
    )]
    NotAProject { path: PathBuf },

    #[error("invalid TOML in {}: {message}", path.display())]
    PyprojectToml { path: PathBuf, message: String },

    #[error("{} does not comply with PEP 518: {reason}", path.display())]
    InvalidBuildSystem { path: PathBuf, reason: String },

    #[error("cannot create a build environment with {}: {output}", python.display())]
    Environment { python: PathBuf, output: String },

    #[error("cannot run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("installing build requirements {requirements} for {} failed: {message}", package_dir.display())]
    InstallRequirements {
        package_dir: PathBuf,
        requirements: String,
        message: String,
    },

    #[error(
        "build backend hook `{hook}` failed for {} ({status}), last lines of its output:\n{output}",
        package_dir.display()
    )]
    Backend {
        hook: &'static str,
        package_dir: PathBuf,
        status: String,
        output: String,
    },

    #[error(
        "build backend \"{backend}\" of {} cannot be imported: {message}\n{output}",
        package_dir.display()
    )]
    BackendUnavailable {
        backend: String,
        package_dir: PathBuf,
        message: String,
        output: String,
    },

    #[error("build backend \"{backend}\" of {} is invalid: {message}", package_dir.display())]
    BackendInvalid {
        backend: String,
        package_dir: PathBuf,
        message: String,
    },

    #[error(
        "build backend \"{backend}\" of {} does not support editable installs (PEP 660 hook `build_editable` is missing)",
        package_dir.display()
    )]
    EditableUnsupported {
        backend: String,
        package_dir: PathBuf,
    },

    #[error("build backend hook `{hook}` for {} returned an invalid result: {message}", package_dir.display())]
    InvalidHookResult {
        hook: &'static str,
        package_dir: PathBuf,
        message: String,
    },

    #[error("invalid metadata in {}: {source}", path.display())]
    Metadata {
        path: PathBuf,
        #[source]
        source: volley_packaging::MetadataError,
    },

    #[error("invalid direct reference \"{input}\": {reason}")]
    DirectReference { input: String, reason: String },

    #[error("{} does not exist", path.display())]
    MissingPath { path: PathBuf },

    #[error("git is needed for {repository}, but `{} --version` failed: {message}", program.display())]
    GitUnavailable {
        program: PathBuf,
        repository: String,
        message: String,
    },

    #[error("`git {command}` failed for {repository}: {message}")]
    Git {
        command: &'static str,
        repository: String,
        message: String,
    },

    #[error("{repository} has no branch, tag or commit \"{rev}\"")]
    GitRevision { repository: String, rev: String },

    #[error("subdirectory \"{subdirectory}\" does not exist in {location}")]
    MissingSubdirectory {
        subdirectory: String,
        location: String,
    },

    #[error("downloading {url} failed: {message}")]
    Download { url: String, message: String },

    #[error("hash mismatch for {origin}: expected {expected}, got {actual}")]
    HashMismatch {
        origin: String,
        expected: String,
        actual: String,
    },

    #[error(transparent)]
    Cache(#[from] volley_cache::CacheError),
}
