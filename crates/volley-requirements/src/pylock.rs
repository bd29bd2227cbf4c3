//! PEP 751 lock files (`pylock.toml`), read into packaging types and written back.
//!
//! Start with [`Pylock::parse`] (or [`Pylock::read`]) and [`Pylock::to_toml`]; [`is_pylock_path`]
//! tells a lock file from a requirements file by its name. The specification is the "pylock.toml
//! Specification" on packaging.python.org (PEP 751 as accepted); reading checks what it requires
//! and nothing it leaves to tools, and every error names the file and the table, e.g.
//! `error in pylock.toml at packages[2].wheels[0]: missing key "hashes"`.
//!
//! Traps of the format:
//! - `lock-version` is checked first: another major version than 1 is an error; keys this
//!   reader does not know are kept out and reported in [`Pylock::warnings`], as the PEP asks
//!   for newer minor versions;
//! - a package's source is exactly one of `vcs`, `directory`, `archive`, or the distributions
//!   (`sdist` and/or `wheels`); every file carries `hashes` (at least one algorithm volley knows)
//!   and a `url` or `path` (relative to the lock file, kept as written);
//! - `name` of a file may be left out when it is the last part of its URL or path, and is then
//!   taken from there (URL-decoded), so [`LockedFile::name`] is always set;
//! - `upload-time` is a TOML date-time in UTC, not a string;
//! - markers use PEP 508 syntax; the lock-file-only marker variables `extras` and
//!   `dependency_groups` (multi-use lock files) are not supported yet and are an error;
//! - `[packages.dependencies]` are informational only: installers must not use them.
//!
//! Writing follows the PEP's example: keys in the order the specification lists them,
//! `[[packages]]` tables, `wheels` and `dependencies` as arrays of inline tables one per line,
//! `sdist`, `archive`, `vcs`, `directory` and `hashes` as inline tables. Arrays are written in
//! the order they are held: the producer sorts them.

mod reader;
mod writer;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use url::Url;
use volley_packaging::{
    ExtraName, HashDigest, MarkerTree, PackageName, Version, VersionSpecifiers,
};

/// A TOML offset date-time, as `upload-time` holds it (`2025-01-25T11:30:10.164985Z`). Parse
/// the index's `upload-time` strings (PEP 700) with `str::parse`.
pub type UploadTime = toml::value::Datetime;

/// A `pylock.toml` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Pylock {
    /// `lock-version`: `"1.0"` when volley writes; any `1.x` is read.
    pub lock_version: String,
    /// `environments`: the lock file fits an environment that matches at least one of them.
    /// `None` when the key is absent (every environment).
    pub environments: Option<Vec<MarkerTree>>,
    /// `requires-python` for the whole lock file.
    pub requires_python: Option<VersionSpecifiers>,
    /// `extras`, `dependency-groups` and `default-groups`: `None` when the key is absent,
    /// `Some(vec![])` when it is written empty (which the PEP gives a meaning).
    pub extras: Option<Vec<ExtraName>>,
    pub dependency_groups: Option<Vec<String>>,
    pub default_groups: Option<Vec<String>>,
    /// `created-by`: the tool that wrote the file.
    pub created_by: String,
    /// `[[packages]]`, in file order.
    pub packages: Vec<LockedPackage>,
    /// `[tool]`, kept as is.
    pub tool: Option<toml::Table>,
    /// Keys that were read but are not part of the version this reader knows. Not written.
    pub warnings: Vec<String>,
}

/// One `[[packages]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedPackage {
    pub name: PackageName,
    /// Absent for source trees (`vcs`, `directory`), whose version is only known by building.
    pub version: Option<Version>,
    /// When the package is installed at all: an environment that does not match skips it.
    pub marker: Option<MarkerTree>,
    /// The package's `Requires-Python`: an environment that does not match is an error.
    pub requires_python: Option<VersionSpecifiers>,
    /// Informational: which other entries this one depends on.
    pub dependencies: Vec<LockedDependency>,
    /// The index (PEP 503 base URL) the files were found on.
    pub index: Option<Url>,
    pub vcs: Option<LockedVcs>,
    pub directory: Option<LockedDirectory>,
    pub archive: Option<LockedArchive>,
    pub sdist: Option<LockedFile>,
    pub wheels: Vec<LockedFile>,
    /// `[[packages.attestation-identities]]`, kept as is.
    pub attestation_identities: Vec<toml::Table>,
    /// `[packages.tool]`, kept as is.
    pub tool: Option<toml::Table>,
}

impl LockedPackage {
    /// A package with no version, marker, source or anything else yet.
    pub fn new(name: PackageName) -> Self {
        Self {
            name,
            version: None,
            marker: None,
            requires_python: None,
            dependencies: Vec::new(),
            index: None,
            vcs: None,
            directory: None,
            archive: None,
            sdist: None,
            wheels: Vec::new(),
            attestation_identities: Vec::new(),
            tool: None,
        }
    }
}

/// An entry of `packages.dependencies`: enough keys to find the other `[[packages]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedDependency {
    pub name: PackageName,
    pub version: Option<Version>,
    /// Any other key used to tell entries apart (`marker`, `vcs`, ...), kept as is.
    pub other_keys: toml::Table,
}

impl LockedDependency {
    pub fn new(name: PackageName, version: Option<Version>) -> Self {
        Self {
            name,
            version,
            other_keys: toml::Table::new(),
        }
    }
}

/// A wheel or an sdist (`[[packages.wheels]]`, `[packages.sdist]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockedFile {
    /// The file name; read from the URL or path when the key is absent. A wheel's name parses
    /// as a wheel filename for its package and version.
    pub name: String,
    /// Where to download the file. At least one of `url` and `path` is set.
    pub url: Option<Url>,
    /// Where the file is on disk, relative to the lock file's directory unless absolute.
    pub path: Option<PathBuf>,
    /// The size in bytes, which installers check.
    pub size: Option<u64>,
    pub upload_time: Option<UploadTime>,
    /// At least one, in algorithm order. Algorithms volley does not know are dropped on read.
    pub hashes: Vec<HashDigest>,
}

/// `[packages.archive]`: a direct reference to an archive (a wheel, an sdist, or another
/// archive of a source tree).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockedArchive {
    pub url: Option<Url>,
    pub path: Option<PathBuf>,
    pub size: Option<u64>,
    pub upload_time: Option<UploadTime>,
    pub hashes: Vec<HashDigest>,
    /// Where the project is inside the archive.
    pub subdirectory: Option<String>,
}

/// `[packages.directory]`: a local source tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockedDirectory {
    pub path: PathBuf,
    pub editable: bool,
    pub subdirectory: Option<String>,
}

/// `[packages.vcs]`: a source tree in version control, at one commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockedVcs {
    /// `type`: `git`, `hg`, `bzr` or `svn` (the direct URL data structure's names).
    pub vcs_type: String,
    /// The repository URL as written (it may not be a URL `url` accepts, e.g. `git@host:x`).
    pub url: Option<String>,
    pub path: Option<PathBuf>,
    /// Informational only: what the user asked for (a branch, a tag).
    pub requested_revision: Option<String>,
    /// The commit to install.
    pub commit_id: String,
    pub subdirectory: Option<String>,
}

impl Pylock {
    /// An empty version 1.0 lock file made by `created_by`.
    pub fn new(created_by: impl Into<String>) -> Self {
        Self {
            lock_version: "1.0".to_string(),
            environments: None,
            requires_python: None,
            extras: None,
            dependency_groups: None,
            default_groups: None,
            created_by: created_by.into(),
            packages: Vec::new(),
            tool: None,
            warnings: Vec::new(),
        }
    }

    /// Read and check a lock file (see the module doc for what is checked).
    pub fn read(path: &Path) -> Result<Self, PylockError> {
        let text = fs_err::read_to_string(path).map_err(PylockError::Read)?;
        Self::parse(&text, path)
    }

    /// Parse and check the text of a lock file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PylockError> {
        reader::parse(text, path)
    }

    /// The lock file as TOML, in the PEP example's layout (see the module doc). The same
    /// `Pylock` always gives the same text.
    pub fn to_toml(&self) -> String {
        writer::to_toml(self)
    }
}

/// Whether the file name is one the PEP allows for lock files: `pylock.toml`, or
/// `pylock.NAME.toml` where NAME has no dot. The PEP asks for lowercase, so `Pylock.toml` is
/// not one.
pub fn is_pylock_path(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    if name == "pylock.toml" {
        return true;
    }
    name.strip_prefix("pylock.")
        .and_then(|rest| rest.strip_suffix(".toml"))
        .is_some_and(|middle| !middle.is_empty() && !middle.contains('.'))
}

/// A lock file and, when the problem is inside it, the table (`packages[2].wheels[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PylockLocation {
    pub path: PathBuf,
    /// Empty for the top-level table.
    pub table: String,
}

impl fmt::Display for PylockLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.table.is_empty() {
            write!(f, "{}", self.path.display())
        } else {
            write!(f, "{} at {}", self.path.display(), self.table)
        }
    }
}

/// A lock file that cannot be read or does not follow PEP 751.
#[derive(Debug, thiserror::Error)]
pub enum PylockError {
    /// The file cannot be read (the IO error names the path).
    #[error("could not read lock file: {0}")]
    Read(io::Error),
    #[error("error in {} line {line}: invalid TOML: {message}", path.display())]
    Toml {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "lock file {} has lock-version \"{version}\", but volley reads only version 1 lock files",
        path.display()
    )]
    UnsupportedLockVersion { path: PathBuf, version: String },
    #[error("error in {location}: missing key \"{key}\"")]
    MissingKey {
        location: PylockLocation,
        key: &'static str,
    },
    #[error("error in {location}: \"{key}\" must be {expected}, not {found}")]
    WrongType {
        location: PylockLocation,
        key: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("error in {location}: invalid {key} \"{value}\": {reason}")]
    InvalidValue {
        location: PylockLocation,
        key: String,
        value: String,
        reason: String,
    },
    #[error("error in {location}: \"{first}\" and \"{second}\" cannot both be given")]
    ConflictingSources {
        location: PylockLocation,
        first: &'static str,
        second: &'static str,
    },
    #[error(
        "error in {location}: package \"{name}\" has no source (expected wheels, sdist, archive, directory or vcs)"
    )]
    NoSource {
        location: PylockLocation,
        name: String,
    },
    #[error("error in {location}: \"url\" or \"path\" is required")]
    NoLocation { location: PylockLocation },
    #[error("error in {location}: \"hashes\" must hold at least one hash")]
    NoHashes { location: PylockLocation },
    #[error(
        "error in {location}: no hash algorithm volley knows in \"hashes\" (found {algorithms}; use sha256)"
    )]
    UnknownHashAlgorithms {
        location: PylockLocation,
        algorithms: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_names() {
        for name in [
            "pylock.toml",
            "pylock.dev.toml",
            "dir/pylock.spam.toml",
            "/abs/pylock.a-b_c.toml",
        ] {
            assert!(is_pylock_path(Path::new(name)), "{name}");
        }
        for name in [
            "pylock..toml",
            "pylock.a.b.toml",
            "Pylock.toml",
            "pylock.TOML",
            "requirements.txt",
            "pylock",
            "xpylock.toml",
        ] {
            assert!(!is_pylock_path(Path::new(name)), "{name}");
        }
    }
}
