//! Where an environment keeps what a wheel installs, and how an install is recorded.
//!
//! [`Layout`] is this crate's own view of an interpreter's install scheme (`sysconfig`'s
//! `purelib`, `platlib`, `scripts`, `data`, plus pip's headers directory), so that the installer
//! does not depend on how interpreters are discovered. The binary builds it from the interpreter
//! it queried.

use std::path::{Path, PathBuf};

use crate::path::normalize;

/// The directories of one environment that wheels install into.
///
/// Paths should be absolute; relative ones are taken relative to the current directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Pure-Python packages (`Root-Is-Purelib: true` wheels, `.data/purelib`).
    pub purelib: PathBuf,
    /// Platform-specific packages (`Root-Is-Purelib: false` wheels, `.data/platlib`).
    pub platlib: PathBuf,
    /// Executables (`.data/scripts`, console and GUI entry points): `<venv>/bin`.
    pub scripts: PathBuf,
    /// Other data files (`.data/data`), relative to the environment prefix: `<venv>`.
    pub data: PathBuf,
    /// The headers root: a distribution's `.data/headers` files go to `<headers>/<name>`, with
    /// `<name>` the `Name` in its `METADATA`, spelled as there (as pip does). pip uses `<venv>/include/site/python3.X` in a
    /// virtual environment and sysconfig's `include` elsewhere.
    pub headers: PathBuf,
    /// The interpreter that scripts run with (their `#!` line).
    pub python_executable: PathBuf,
    /// `(major, minor)`, for pip's versioned `pipX.Y` and `easy_install-X.Y` scripts.
    pub python_version: (u8, u8),
}

impl Layout {
    /// The roots of the scheme, in the order pip lists them.
    pub(crate) fn roots(&self) -> [&Path; 5] {
        [
            &self.purelib,
            &self.platlib,
            &self.headers,
            &self.scripts,
            &self.data,
        ]
    }

    /// The layout with every path made absolute and normalized (lexically, symlinks are kept).
    pub(crate) fn absolute(&self) -> std::io::Result<Self> {
        let absolute = |path: &Path| std::path::absolute(path).map(|path| normalize(&path));
        Ok(Self {
            purelib: absolute(&self.purelib)?,
            platlib: absolute(&self.platlib)?,
            scripts: absolute(&self.scripts)?,
            data: absolute(&self.data)?,
            headers: absolute(&self.headers)?,
            python_executable: self.python_executable.clone(),
            python_version: self.python_version,
        })
    }
}

/// How an install is recorded in the `.dist-info` directory (PEP 376, PEP 610).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// Written to `INSTALLER`, followed by a newline: `volley`.
    pub installer: String,
    /// Write an empty `REQUESTED` file: the user asked for this distribution by name, it is not
    /// only a dependency.
    pub requested: bool,
    /// The JSON content of `direct_url.json` (PEP 610), for URL and path installs.
    pub direct_url: Option<String>,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            installer: "volley".to_string(),
            requested: false,
            direct_url: None,
        }
    }
}
