//! Distributions installed in an environment: the `*.dist-info` directories in its
//! site-packages, and legacy `*.egg-info` entries (listed, flagged, not otherwise handled yet).
//!
//! Start at [`Interpreter::installed`] (every site-packages directory of an interpreter) or
//! [`InstalledDist::scan`] (one directory). Each [`InstalledDist`] then reads the files of its
//! metadata directory on demand: [`InstalledDist::metadata`], [`InstalledDist::metadata_fields`],
//! [`InstalledDist::dependencies`], [`InstalledDist::files`], [`InstalledDist::read_direct_url`].
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
//!   (setuptools writes `installed-files.txt`, whose paths are relative to the `*.egg-info`
//!   directory, not to site-packages), so uninstalling one needs more than this crate gives.
//!   Its dependencies are in `requires.txt`, with `[extra:marker]` sections, when `PKG-INFO`
//!   has no `Requires-Dist`.
//! - pip shows names as the `Name` field spells them ([`InstalledDist::raw_name`]) but compares
//!   them normalized; two distributions with one normalized name are one to pip, the first
//!   found wins.

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use volley_packaging::{CoreMetadata, MarkerEnvironment, PackageName, Version};

use crate::{Dependency, DirectUrl, Interpreter, MetadataFields, PythonError};

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
    /// The `Name` field as written (pip's `raw_name`, e.g. `Foo_Bar` where [`Self::name`] is
    /// `foo-bar`); the normalized name when the field cannot be read.
    pub raw_name: String,
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

    /// The directory that holds the metadata directory (pip's `location`): site-packages.
    pub fn location(&self) -> &Path {
        self.dist_info.parent().unwrap_or(&self.dist_info)
    }

    /// The metadata file: `METADATA`, or for an egg-info its `PKG-INFO` (or the file itself).
    pub fn metadata_path(&self) -> PathBuf {
        match self.format {
            InstalledFormat::DistInfo => self.dist_info.join("METADATA"),
            InstalledFormat::EggInfo if self.dist_info.is_dir() => self.dist_info.join("PKG-INFO"),
            InstalledFormat::EggInfo => self.dist_info.clone(),
        }
    }

    /// The parsed core metadata. For an egg-info without `Requires-Dist`, the requirements and
    /// extras of its `requires.txt` are added, as pip does.
    pub fn metadata(&self) -> Result<CoreMetadata, PythonError> {
        let path = self.metadata_path();
        let mut metadata = CoreMetadata::parse(&fs_err::read(&path)?)
            .map_err(|source| PythonError::InvalidMetadata { path, source })?;
        if metadata.requires_dist.is_empty() {
            for text in self.egg_info_requires()? {
                metadata.requires_dist.push(
                    Dependency::parse(&text)
                        .map_err(|reason| PythonError::InvalidRequirement {
                            path: self.dist_info.join("requires.txt"),
                            requirement: text.clone(),
                            reason,
                        })?
                        .requirement,
                );
            }
        }
        Ok(metadata)
    }

    /// The raw fields of the metadata file, spelled as written.
    pub fn metadata_fields(&self) -> Result<MetadataFields, PythonError> {
        let content = fs_err::read(self.metadata_path())?;
        Ok(MetadataFields::parse(&String::from_utf8_lossy(&content)))
    }

    /// Every declared requirement (`Requires-Dist`, else an egg-info's `requires.txt`), whatever
    /// its markers.
    pub fn requirements(&self) -> Result<Vec<Dependency>, PythonError> {
        let path = self.metadata_path();
        let fields = self.metadata_fields()?;
        let mut texts: Vec<String> = fields
            .get_all("Requires-Dist")
            .map(str::to_string)
            .collect();
        let path = if texts.is_empty() {
            texts = self.egg_info_requires()?;
            self.dist_info.join("requires.txt")
        } else {
            path
        };
        texts
            .into_iter()
            .map(|text| {
                Dependency::parse(&text).map_err(|reason| PythonError::InvalidRequirement {
                    path: path.clone(),
                    requirement: text,
                    reason,
                })
            })
            .collect()
    }

    /// The requirements that apply in `markers` without extras (pip's `iter_dependencies()`).
    pub fn dependencies(
        &self,
        markers: &MarkerEnvironment,
    ) -> Result<Vec<Dependency>, PythonError> {
        let mut dependencies = self.requirements()?;
        dependencies.retain(|dependency| dependency.requirement.evaluate_markers(markers, &[]));
        Ok(dependencies)
    }

    /// The files the distribution declares, as paths relative to [`Self::location`] (or
    /// absolute), normalized as pip's `iter_declared_entries` does: `RECORD`'s first column, or
    /// an egg-info's `installed-files.txt` rebased from the egg-info directory. `None` when
    /// there is neither.
    pub fn files(&self) -> Result<Option<Vec<String>>, PythonError> {
        if let Some(record) = &self.record {
            let content = fs_err::read(record)?;
            let content = String::from_utf8_lossy(&content);
            return Ok(Some(
                content
                    .lines()
                    .filter(|line| !line.is_empty())
                    .map(|line| normalize_path(&first_csv_field(line)))
                    .collect(),
            ));
        }
        let listing = self.dist_info.join("installed-files.txt");
        let content = match fs_err::read(&listing) {
            Ok(content) => content,
            Err(error) if is_missing(&error) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let info = self
            .dist_info
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Some(
            String::from_utf8_lossy(&content)
                .lines()
                .filter(|line| !line.is_empty())
                .map(|line| rebase_installed_file(line, &info))
                .collect(),
        ))
    }

    /// The parsed `direct_url.json`, when there is one.
    pub fn read_direct_url(&self) -> Result<Option<DirectUrl>, PythonError> {
        let Some(path) = &self.direct_url else {
            return Ok(None);
        };
        let content = fs_err::read(path)?;
        let content =
            String::from_utf8(content).map_err(|error| PythonError::InvalidDirectUrl {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        DirectUrl::parse(&content)
            .map(Some)
            .map_err(|reason| PythonError::InvalidDirectUrl {
                path: path.clone(),
                reason,
            })
    }

    /// An egg-info's `requires.txt` as requirement strings (pip's `_iter_egg_info_dependencies`);
    /// empty for anything else.
    fn egg_info_requires(&self) -> Result<Vec<String>, PythonError> {
        if self.format != InstalledFormat::EggInfo || !self.dist_info.is_dir() {
            return Ok(Vec::new());
        }
        let content = match fs_err::read(self.dist_info.join("requires.txt")) {
            Ok(content) => content,
            Err(error) if is_missing(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        Ok(egg_info_requirements(&String::from_utf8_lossy(&content)))
    }
}

fn read_dist_info(path: &Path, stem: &str) -> Option<InstalledDist> {
    let (name, raw_name, version) = name_and_version(&path.join("METADATA"), stem)?;
    let file = |name: &str| Some(path.join(name)).filter(|file| file.is_file());
    Some(InstalledDist {
        name,
        raw_name,
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
    let (name, raw_name, version) = name_and_version(&metadata, stem)?;
    Some(InstalledDist {
        name,
        raw_name,
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

/// Name (normalized and as written) and version from the metadata file, else from the
/// directory name's stem; `None` (and a warning) when neither gives them.
fn name_and_version(metadata: &Path, stem: &str) -> Option<(PackageName, String, Version)> {
    let problem = match fs_err::read(metadata) {
        Ok(content) => match CoreMetadata::parse(&content) {
            Ok(parsed) => {
                let fields = MetadataFields::parse(&String::from_utf8_lossy(&content));
                let raw_name = fields
                    .get("Name")
                    .map_or_else(|| parsed.name.to_string(), str::to_string);
                return Some((parsed.name, raw_name, parsed.version));
            }
            Err(error) => format!("invalid \"{}\": {error}", metadata.display()),
        },
        Err(error) => error.to_string(),
    };
    match name_and_version_from_stem(stem) {
        Some((name, version)) => {
            tracing::warn!("{problem}; listing it as {name} {version} from its directory name");
            Some((name.clone(), name.to_string(), version))
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

fn is_missing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// The first field of a CSV row (Python's `csv` dialect: `"` quotes, `""` escapes a quote).
fn first_csv_field(line: &str) -> String {
    let Some(quoted) = line.strip_prefix('"') else {
        return line.split(',').next().unwrap_or_default().to_string();
    };
    let mut field = String::new();
    let mut chars = quoted.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                field.push('"');
            } else {
                // After the closing quote, anything up to the comma still belongs to the field.
                field.extend(chars.take_while(|&c| c != ','));
                break;
            }
        } else {
            field.push(c);
        }
    }
    field
}

/// `str(pathlib.PurePosixPath(path))`: empty and `.` components dropped, `..` kept.
fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    match (absolute, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".to_string(),
        (false, false) => parts.join("/"),
    }
}

/// An `installed-files.txt` entry (relative to the egg-info directory `info`) made relative to
/// the egg-info's parent, as pip's `_convert_installed_files_path` does.
fn rebase_installed_file(entry: &str, info: &str) -> String {
    let entry = normalize_path(entry);
    if entry.starts_with('/') {
        return entry;
    }
    let mut info: Vec<&str> = vec![info];
    let mut parts: Vec<&str> = entry.split('/').collect();
    while parts.first() == Some(&"..") {
        if info.last().is_none_or(|last| *last == "..") {
            info.push("..");
        } else {
            info.pop();
        }
        parts.remove(0);
    }
    normalize_path(&info.into_iter().chain(parts).collect::<Vec<_>>().join("/"))
}

/// `requires.txt` lines as PEP 508 strings: `[extra:marker]` sections become markers
/// (pip's `_iter_egg_info_dependencies`).
fn egg_info_requirements(content: &str) -> Vec<String> {
    let mut extra = String::new();
    let mut marker = String::new();
    let mut requirements = Vec::new();
    for line in content.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            let section = line.trim_matches(['[', ']']);
            let (section_extra, section_marker) = section.split_once(':').unwrap_or((section, ""));
            extra = section_extra.to_string();
            marker = section_marker.to_string();
            continue;
        }
        let extra = safe_extra(&extra);
        requirements.push(match (extra.is_empty(), marker.is_empty()) {
            (false, false) => format!("{line} ; ({marker}) and extra == \"{extra}\""),
            (false, true) => format!("{line} ; extra == \"{extra}\""),
            (true, false) => format!("{line} ; {marker}"),
            (true, true) => line.to_string(),
        });
    }
    requirements
}

/// setuptools' `safe_extra`: runs of characters other than letters, digits, `.` and `-` become
/// one `_`, then lowercase.
fn safe_extra(extra: &str) -> String {
    let mut safe = String::with_capacity(extra.len());
    let mut in_run = false;
    for c in extra.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            safe.push(c.to_ascii_lowercase());
            in_run = false;
        } else if !in_run {
            safe.push('_');
            in_run = true;
        }
    }
    safe
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
    fn reads_what_pip_show_and_check_read() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("venv"));
        let interpreter = Interpreter::query(&venv.join("bin").join("python"), None).unwrap();
        let site = interpreter.site_packages().remove(0);

        let modern = site.join("Foo_Bar-1.0.dist-info");
        write(
            &modern.join("METADATA"),
            "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nSummary: two\n  lines\n\
             Requires-Dist: Dep_A (>=1)\nRequires-Dist: dep-b; python_version < '3'\n\
             Requires-Dist: dep-c; extra == 'x'\n",
        );
        write(
            &modern.join("RECORD"),
            "foo_bar/__init__.py,sha256=x,1\n./foo_bar//data.txt,,\n\
             \"odd,\"\"name\"\".py\",,\n\n../../../bin/tool,,\nFoo_Bar-1.0.dist-info/RECORD,,\n",
        );
        write(
            &modern.join("direct_url.json"),
            r#"{"url": "file:///src/foo", "dir_info": {"editable": true}}"#,
        );
        let legacy = site.join("legacy-2.0-py3.11.egg-info");
        write(
            &legacy.join("PKG-INFO"),
            "Metadata-Version: 1.1\nName: legacy\nVersion: 2.0\n",
        );
        write(
            &legacy.join("requires.txt"),
            "plain>=1\n\n[Fancy Extra]\nfancy\n\n[:python_version < \"3\"]\nold\n\
             [tls:sys_platform == \"win32\"]\nwintls\n",
        );
        write(
            &legacy.join("installed-files.txt"),
            "../legacy/__init__.py\nPKG-INFO\n../../../../bin/legacy-tool\n/abs/file\n",
        );
        let bare = site.join("bare-3.dist-info");
        write(&bare.join("METADATA"), "Name: bare\nVersion: 3\n");
        write(&bare.join("direct_url.json"), r#"{"url": "x"}"#);

        let installed = interpreter.installed().unwrap();
        let [modern, bare, legacy] = installed.as_slice() else {
            panic!("{installed:?}");
        };
        assert_eq!(modern.raw_name, "Foo_Bar");
        assert_eq!(modern.location(), site);
        assert_eq!(
            modern.metadata_fields().unwrap().get("Summary"),
            Some("two\n  lines")
        );
        assert_eq!(modern.metadata().unwrap().requires_dist.len(), 3);
        let names = |dependencies: Vec<Dependency>| {
            dependencies
                .iter()
                .map(|dependency| dependency.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(modern.dependencies(&interpreter.markers).unwrap()),
            ["Dep_A (>=1)"]
        );
        assert_eq!(
            modern.files().unwrap().unwrap(),
            [
                "foo_bar/__init__.py",
                "foo_bar/data.txt",
                "odd,\"name\".py",
                "../../../bin/tool",
                "Foo_Bar-1.0.dist-info/RECORD"
            ]
        );
        assert_eq!(
            modern
                .read_direct_url()
                .unwrap()
                .unwrap()
                .editable_location(),
            Some(PathBuf::from("/src/foo"))
        );

        assert_eq!(
            names(legacy.requirements().unwrap()),
            [
                "plain>=1",
                "fancy ; extra == \"fancy_extra\"",
                "old ; python_version < \"3\"",
                "wintls ; (sys_platform == \"win32\") and extra == \"tls\""
            ]
        );
        assert_eq!(
            names(legacy.dependencies(&interpreter.markers).unwrap()),
            ["plain>=1"]
        );
        assert_eq!(
            legacy.metadata().unwrap().requires_dist[0].to_string(),
            "plain>=1"
        );
        assert_eq!(
            legacy.files().unwrap().unwrap(),
            [
                "legacy/__init__.py",
                "legacy-2.0-py3.11.egg-info/PKG-INFO",
                "../../../bin/legacy-tool",
                "/abs/file"
            ]
        );
        assert_eq!(legacy.read_direct_url().unwrap(), None);

        assert_eq!(bare.files().unwrap(), None);
        assert!(bare.requirements().unwrap().is_empty());
        let error = bare.read_direct_url().unwrap_err().to_string();
        insta::assert_snapshot!(
            error.replace(&site.display().to_string(), "[SITE]"),
            @r#"invalid "[SITE]/bare-3.dist-info/direct_url.json": missing one of archive_info, dir_info, vcs_info"#
        );
    }

    #[test]
    fn csv_fields_and_paths_as_python_reads_them() {
        assert_eq!(first_csv_field("a/b.py,sha256=x,1"), "a/b.py");
        assert_eq!(first_csv_field("\"a,b.py\",,"), "a,b.py");
        assert_eq!(first_csv_field("\"a\"\"b\"c,,"), "a\"bc");
        assert_eq!(normalize_path("./a//b/./c/"), "a/b/c");
        assert_eq!(normalize_path("../a"), "../a");
        assert_eq!(normalize_path("/x/../y"), "/x/../y");
        assert_eq!(normalize_path("."), ".");
        assert_eq!(
            rebase_installed_file("../pkg/x.py", "p.egg-info"),
            "pkg/x.py"
        );
        assert_eq!(
            rebase_installed_file("top_level.txt", "p.egg-info"),
            "p.egg-info/top_level.txt"
        );
        assert_eq!(
            rebase_installed_file("../../bin/x", "p.egg-info"),
            "../bin/x"
        );
        assert_eq!(safe_extra("Fancy Extra!!x"), "fancy_extra_x");
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
