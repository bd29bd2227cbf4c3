//! Distributions installed in an environment: the `*.dist-info` directories in its
//! site-packages, and legacy `*.egg-info` entries (listed, flagged, not otherwise handled yet).
//!
//! Start at [`Interpreter::installed`] (every site-packages directory of an interpreter) or
//! [`InstalledDist::scan`] (one directory).
//!
//! Traps:
//! - `METADATA` can be broken (hand edits, ancient tools, an interrupted install). The
//!   distribution is still installed, so it is still listed: its name and version then come
//!   from the directory name, `{name}-{version}.dist-info`, whose name part has every `-`
//!   escaped as `_` (so the first `-` ends the name). The problem is logged.
//! - `INSTALLER` names the tool on its first line (`pip`, `uv`, `volley`); an empty file means
//!   unknown.
//! - An `*.egg-info` is a directory holding `PKG-INFO`, or a single file that is the metadata
//!   itself; its name is `{name}-{version}[-py{X.Y}[-{platform}]].egg-info`. It has no `RECORD`
//!   (setuptools writes `installed-files.txt`), so uninstalling one needs more than this crate
//!   gives.

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use volley_packaging::{CoreMetadata, PackageName, Version};

use crate::{Interpreter, PythonError};

/// How an installed distribution records itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstalledFormat {
    /// A `*.dist-info` directory (wheels, PEP 376/627).
    DistInfo,
    /// A legacy `*.egg-info` file or directory (`setup.py install`, old `develop`).
    EggInfo,
}

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledDist {
    /// From `METADATA` (or the directory name when `METADATA` is broken).
    pub name: PackageName,
    pub version: Version,
    /// The `*.dist-info` directory (for [`InstalledFormat::EggInfo`], the `*.egg-info` file or
    /// directory).
    pub dist_info: PathBuf,
    /// The first line of `INSTALLER`; `None` when the file is missing or empty.
    pub installer: Option<String>,
    /// `REQUESTED` exists: the user asked for it, it is not only a dependency.
    pub requested: bool,
    /// The `RECORD` file, when present.
    pub record: Option<PathBuf>,
    /// The `direct_url.json` file (PEP 610: installed from a URL or a path), when present.
    pub direct_url: Option<PathBuf>,
    pub format: InstalledFormat,
}

impl Interpreter {
    /// The distributions installed in [`Interpreter::site_packages`], in directory order, each
    /// directory sorted by entry name.
    pub fn installed(&self) -> Result<Vec<InstalledDist>, PythonError> {
        let mut installed = Vec::new();
        for directory in self.site_packages() {
            installed.extend(InstalledDist::scan(&directory)?);
        }
        Ok(installed)
    }
}

impl InstalledDist {
    /// The distributions in one site-packages directory, sorted by entry name. A missing
    /// directory holds none.
    pub fn scan(site_packages: &Path) -> Result<Vec<Self>, PythonError> {
        let entries = match fs_err::read_dir(site_packages) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let mut paths = entries
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<Vec<_>, _>>()?;
        paths.sort();
        let mut installed = Vec::new();
        for path in paths {
            let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            if let Some(stem) = file_name.strip_suffix(".dist-info") {
                if path.is_dir() {
                    installed.extend(read_dist_info(&path, stem));
                }
            } else if let Some(stem) = file_name.strip_suffix(".egg-info") {
                installed.extend(read_egg_info(&path, stem));
            }
        }
        Ok(installed)
    }
}

fn read_dist_info(path: &Path, stem: &str) -> Option<InstalledDist> {
    let (name, version) = name_and_version(&path.join("METADATA"), stem)?;
    let file = |name: &str| Some(path.join(name)).filter(|file| file.is_file());
    Some(InstalledDist {
        name,
        version,
        dist_info: path.to_path_buf(),
        installer: read_installer(&path.join("INSTALLER")),
        requested: path.join("REQUESTED").is_file(),
        record: file("RECORD"),
        direct_url: file("direct_url.json"),
        format: InstalledFormat::DistInfo,
    })
}

fn read_egg_info(path: &Path, stem: &str) -> Option<InstalledDist> {
    let directory = path.is_dir();
    let metadata = if directory {
        path.join("PKG-INFO")
    } else {
        path.to_path_buf()
    };
    let (name, version) = name_and_version(&metadata, stem)?;
    Some(InstalledDist {
        name,
        version,
        dist_info: path.to_path_buf(),
        installer: directory
            .then(|| read_installer(&path.join("INSTALLER")))
            .flatten(),
        requested: directory && path.join("REQUESTED").is_file(),
        record: None,
        direct_url: None,
        format: InstalledFormat::EggInfo,
    })
}

/// Name and version from the metadata file, else from the directory name's stem; `None` (and a
/// warning) when neither gives them.
fn name_and_version(metadata: &Path, stem: &str) -> Option<(PackageName, Version)> {
    let problem = match fs_err::read(metadata) {
        Ok(content) => match CoreMetadata::parse(&content) {
            Ok(metadata) => return Some((metadata.name, metadata.version)),
            Err(error) => format!("invalid \"{}\": {error}", metadata.display()),
        },
        Err(error) => error.to_string(),
    };
    match name_and_version_from_stem(stem) {
        Some(found) => {
            tracing::warn!(
                "{problem}; listing it as {} {} from its directory name",
                found.0,
                found.1
            );
            Some(found)
        }
        None => {
            tracing::warn!("{problem}; skipping it, its name is not `<name>-<version>` either");
            None
        }
    }
}

/// `requests-2.31.0` (or `foo_bar-1.0-py3.11` for an egg-info) → name and version.
fn name_and_version_from_stem(stem: &str) -> Option<(PackageName, Version)> {
    let (name, rest) = stem.split_once('-')?;
    let version = rest.split('-').next()?;
    Some((
        PackageName::from_str(name).ok()?,
        Version::from_str(version).ok()?,
    ))
}

/// The first non-empty line of an `INSTALLER` file.
fn read_installer(path: &Path) -> Option<String> {
    let content = match fs_err::read_to_string(path) {
        Ok(content) => content,
        Err(error) => {
            if error.kind() != io::ErrorKind::NotFound {
                tracing::warn!("{error}");
            }
            return None;
        }
    };
    content
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_string)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::testing::make_venv;

    fn write(path: &Path, content: &str) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, content).unwrap();
    }

    /// A short, stable description of each listed distribution.
    fn describe(installed: &[InstalledDist], root: &Path) -> String {
        installed
            .iter()
            .map(|dist| {
                format!(
                    "{} {} {:?} {} installer={:?} requested={} record={} direct_url={}",
                    dist.name,
                    dist.version,
                    dist.format,
                    dist.dist_info.strip_prefix(root).unwrap().display(),
                    dist.installer,
                    dist.requested,
                    dist.record.is_some(),
                    dist.direct_url.is_some(),
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn lists_hand_made_dist_infos() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("venv"));
        let interpreter = Interpreter::query(&venv.join("bin").join("python"), None).unwrap();
        let site_packages = interpreter.site_packages().remove(0);

        // A complete one.
        let good = site_packages.join("Foo_Bar-1.0.dist-info");
        write(
            &good.join("METADATA"),
            "Metadata-Version: 2.1\nName: Foo-Bar\nVersion: 1.0\n",
        );
        write(&good.join("INSTALLER"), "pip\n");
        write(&good.join("REQUESTED"), "");
        write(&good.join("RECORD"), "foo_bar/__init__.py,,\n");
        write(&good.join("direct_url.json"), "{\"url\": \"file:///src\"}");
        // METADATA without a version: listed from its directory name.
        let broken = site_packages.join("broken_pkg-2.0rc1.dist-info");
        write(
            &broken.join("METADATA"),
            "Name: broken-pkg\nVersion: not a version\n",
        );
        write(&broken.join("INSTALLER"), "\n");
        // No METADATA at all.
        write(&site_packages.join("empty-3.dist-info/RECORD"), "");
        // Nothing usable anywhere: skipped.
        write(&site_packages.join("garbage.dist-info/METADATA"), "");
        // A file named like a dist-info is not one.
        write(&site_packages.join("file-1.0.dist-info"), "");
        // Legacy egg-info, as a directory and as a file.
        write(
            &site_packages.join("legacy_dir-0.5-py3.11.egg-info/PKG-INFO"),
            "Metadata-Version: 1.0\nName: legacy-dir\nVersion: 0.5\n",
        );
        write(
            &site_packages.join("legacy_file-0.6-py3.11.egg-info"),
            "Metadata-Version: 1.0\nName: legacy_file\nVersion: 0.6\n",
        );
        // Packages are not distributions.
        write(&site_packages.join("foo_bar/__init__.py"), "");

        let installed = interpreter.installed().unwrap();
        insta::assert_snapshot!(describe(&installed, &site_packages), @r#"
        foo-bar 1.0 DistInfo Foo_Bar-1.0.dist-info installer=Some("pip") requested=true record=true direct_url=true
        broken-pkg 2.0rc1 DistInfo broken_pkg-2.0rc1.dist-info installer=None requested=false record=false direct_url=false
        empty 3 DistInfo empty-3.dist-info installer=None requested=false record=true direct_url=false
        legacy-dir 0.5 EggInfo legacy_dir-0.5-py3.11.egg-info installer=None requested=false record=false direct_url=false
        legacy-file 0.6 EggInfo legacy_file-0.6-py3.11.egg-info installer=None requested=false record=false direct_url=false
        "#);
    }

    #[test]
    fn missing_site_packages_is_empty() {
        let temp = tempfile::tempdir().unwrap();
        assert!(
            InstalledDist::scan(&temp.path().join("missing"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn stems() {
        let parse = |stem| {
            name_and_version_from_stem(stem).map(|(name, version)| format!("{name} {version}"))
        };
        assert_eq!(parse("requests-2.31.0").as_deref(), Some("requests 2.31.0"));
        assert_eq!(
            parse("zope.interface-6.0").as_deref(),
            Some("zope-interface 6.0")
        );
        assert_eq!(
            parse("foo_bar-1.0-py3.11-linux-x86_64").as_deref(),
            Some("foo-bar 1.0")
        );
        assert_eq!(parse("nodash"), None);
        assert_eq!(parse("name-notaversion"), None);
    }
}
