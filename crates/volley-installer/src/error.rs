//! The one error type of this crate.
//!
//! Install errors name the wheel file (its filename, not its whole path: the path is the cache's
//! business) and the archive entry at fault, so that a user can tell which of forty wheels was
//! broken and how. Uninstall errors name the `.dist-info` directory. Errors about an unpacked
//! wheel in the cache are [`InstallError::CorruptUnpacked`], so that the caller knows to unpack
//! the wheel again.

use std::io;
use std::path::PathBuf;

use volley_cache::CacheError;
use volley_packaging::WheelFilenameError;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot install \"{path}\": {source}")]
    InvalidFilename {
        path: PathBuf,
        source: WheelFilenameError,
    },
    #[error("wheel {wheel}: cannot read the zip archive: {source}")]
    Archive {
        wheel: String,
        source: zip::result::ZipError,
    },
    #[error("wheel {wheel}: entry \"{entry}\" escapes the installation directory")]
    PathEscapes { wheel: String, entry: String },
    #[error("wheel {wheel}: entry \"{entry}\" is an absolute path")]
    AbsolutePath { wheel: String, entry: String },
    #[error("wheel {wheel}: entry \"{entry}\" has a name that is not a portable path ({reason})")]
    UnportablePath {
        wheel: String,
        entry: String,
        reason: &'static str,
    },
    #[error("wheel {wheel}: entry \"{entry}\" is a symbolic link, which wheels may not contain")]
    Symlink { wheel: String, entry: String },
    #[error("wheel {wheel}: entry \"{entry}\" is encrypted")]
    Encrypted { wheel: String, entry: String },
    #[error("wheel {wheel}: no top-level .dist-info directory")]
    NoDistInfo { wheel: String },
    #[error("wheel {wheel}: more than one top-level .dist-info directory ({found})")]
    MultipleDistInfo { wheel: String, found: String },
    #[error(
        "wheel {wheel}: .dist-info directory \"{dist_info}\" does not match the filename's {expected}"
    )]
    DistInfoMismatch {
        wheel: String,
        dist_info: String,
        expected: String,
    },
    #[error("wheel {wheel}: \"{entry}\" is missing")]
    MissingMetadataFile { wheel: String, entry: String },
    #[error("wheel {wheel}: invalid WHEEL file \"{entry}\": {reason}")]
    InvalidWheelFile {
        wheel: String,
        entry: String,
        reason: String,
    },
    #[error("wheel {wheel}: invalid METADATA \"{entry}\": {reason}")]
    InvalidMetadata {
        wheel: String,
        entry: String,
        reason: String,
    },
    #[error("wheel {wheel}: Wheel-Version {version} is not supported (volley installs 1.x)")]
    UnsupportedWheelVersion { wheel: String, version: String },
    #[error("wheel {wheel}: \"{entry}\" is not UTF-8 text: {reason}")]
    NotUtf8 {
        wheel: String,
        entry: String,
        reason: String,
    },
    #[error("wheel {wheel}: invalid RECORD line {line}: {reason}")]
    InvalidRecord {
        wheel: String,
        line: usize,
        reason: String,
    },
    #[error("wheel {wheel}: entry \"{entry}\" is not listed in RECORD")]
    NotInRecord { wheel: String, entry: String },
    #[error("wheel {wheel}: RECORD lists \"{entry}\" without a hash")]
    MissingHash { wheel: String, entry: String },
    #[error(
        "wheel {wheel}: RECORD lists \"{entry}\" with hash algorithm \"{algorithm}\", {reason}"
    )]
    UnsupportedHash {
        wheel: String,
        entry: String,
        algorithm: String,
        reason: &'static str,
    },
    #[error(
        "wheel {wheel}: entry \"{entry}\" does not match RECORD: expected {algorithm}={expected}, got {algorithm}={actual}"
    )]
    HashMismatch {
        wheel: String,
        entry: String,
        algorithm: String,
        expected: String,
        actual: String,
    },
    #[error(
        "wheel {wheel}: entry \"{entry}\" does not match RECORD: expected {expected} bytes, got {actual}"
    )]
    SizeMismatch {
        wheel: String,
        entry: String,
        expected: u64,
        actual: u64,
    },
    #[error("wheel {wheel}: RECORD lists \"{entry}\", which is not in the archive")]
    RecordedFileMissing { wheel: String, entry: String },
    #[error("wheel {wheel}: entry \"{entry}\" is not a valid .data path: {reason}")]
    InvalidDataEntry {
        wheel: String,
        entry: String,
        reason: String,
    },
    #[error("wheel {wheel}: invalid entry_points.txt: {reason}")]
    InvalidEntryPoints { wheel: String, reason: String },
    #[error("wheel {wheel}: invalid entry point \"{name} = {value}\" in [{group}]: {reason}")]
    InvalidEntryPoint {
        wheel: String,
        group: String,
        name: String,
        value: String,
        reason: String,
    },
    #[error(
        "wheel {wheel}: \"{}\" already exists; uninstall the installed version first",
        dist_info.display()
    )]
    AlreadyInstalled { wheel: String, dist_info: PathBuf },
    #[error("wheel {wheel}: {source}")]
    Io { wheel: String, source: io::Error },
    #[error("cannot uninstall \"{}\": it has no RECORD file", dist_info.display())]
    NoRecord { dist_info: PathBuf },
    #[error("cannot uninstall \"{}\": invalid RECORD line {line}: {reason}", dist_info.display())]
    InvalidInstalledRecord {
        dist_info: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("cannot uninstall \"{}\": {source}", dist_info.display())]
    UninstallIo {
        dist_info: PathBuf,
        source: io::Error,
    },
    #[error("wheel {wheel}: {source}")]
    Cache { wheel: String, source: CacheError },
    #[error(
        "unpacked wheel \"{}\" is incomplete or was modified: {reason}",
        dir.display()
    )]
    CorruptUnpacked { dir: PathBuf, reason: String },
    #[error("wheel {wheel}: cannot install \"{}\": {reason}", path.display())]
    PathInTheWay {
        wheel: String,
        path: PathBuf,
        reason: &'static str,
    },
    #[error("cannot lock the environment through \"{}\": {source}", path.display())]
    Lock { path: PathBuf, source: CacheError },
    #[error(
        "\"{}\" exists: another install is running, or an interrupted one must be rolled back first",
        dir.display()
    )]
    TransactionInProgress { dir: PathBuf },
    #[error("cannot prepare the install in \"{}\": {source}", dir.display())]
    Stage { dir: PathBuf, source: io::Error },
    #[error("cannot move the new files into the environment (it was rolled back): {source}")]
    Commit { source: io::Error },
    #[error("the install was interrupted; the environment was left as it was")]
    Interrupted,
    #[error(
        "cannot roll back the interrupted install recorded in \"{}\": {reason}",
        dir.display()
    )]
    Recovery { dir: PathBuf, reason: String },
    #[error("cannot compile bytecode with \"{}\": {reason}", python.display())]
    Compile { python: PathBuf, reason: String },
    #[error("invalid link mode \"{value}\" (expected clone, hardlink, copy or symlink)")]
    UnknownLinkMode { value: String },
}
