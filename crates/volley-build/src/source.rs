//! Direct references: what pip accepts in place of a name on an index, parsed into one type.
//!
//! Start with [`parse_direct`]. The forms are told apart as pip's `parse_req_from_line` does, in
//! this order:
//! 1. a URL with a scheme pip knows: `https://host/pkg-1.0.tar.gz#sha256=...`,
//!    `file:///abs/dist/pkg.whl`, `git+https://host/repo.git@v1.0#egg=name&subdirectory=sub`; a
//!    marker may follow after `"; "` (with the space: a bare `;` is legal inside a URL);
//! 2. a path: a directory when the text looks like a path (it holds a `/` or starts with `.`),
//!    or a file with an archive extension (`pkg-1.0.tar.gz`, `dist/pkg-1.0-py3-none-any.whl`);
//!    extras may follow (`./pkg[dev]`), and a marker after `;`;
//! 3. `name[extras] @ URL ; marker` (PEP 508, parsed by pep508_rs).
//!
//! Editables (`-e PATH`, or `-e git+URL#egg=name`, which the caller clones into `<src>/<name>`
//! before installing the checkout editable) go through [`parse_editable`].
//!
//! Traps:
//! - an archive-looking text with an `@` whose left side does not look like a path
//!   (`pkg @ https://host/pkg-1.0.tar.gz`) is form 3, not a file;
//! - in a git URL, an `@` in the path starts the revision (`repo.git@v1.0`), but an `@` in the
//!   authority is user info (`ssh://git@host/repo.git`);
//! - the name of an unnamed reference comes from the wheel filename for wheels, else from
//!   pip's legacy `#egg=name` fragment, else it is unknown until the metadata is read;
//! - `#subdirectory=` must stay inside the project: absolute paths and `..` are refused;
//! - URLs carry credentials: show them through [`redact_url`], never as they are;
//! - pep508_rs expands `${VAR}` in the URL of form 3 from the process environment, as pip
//!   does in requirements files.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use percent_encoding::percent_decode_str;
use url::Url;
use volley_packaging::{
    ExtraName, HashAlgorithm, HashDigest, MarkerTree, PackageName, Requirement, VersionOrUrl,
    WheelFilename,
};

use crate::BuildError;

/// Where a directly referenced distribution comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DirectSource {
    /// A project directory (holding `pyproject.toml` or `setup.py`); absolute.
    LocalDirectory { path: PathBuf, editable: bool },
    /// A local wheel (`.whl`) or sdist (`.tar.gz`, `.tgz`, `.tar`, `.zip`); absolute. The hash
    /// is the one a `file:` URL carried (`#sha256=...`), checked before use.
    LocalArchive {
        path: PathBuf,
        hash: Option<HashDigest>,
    },
    /// A remote wheel or sdist, without its fragment; the hash is the one the fragment carried.
    Url { url: Url, hash: Option<HashDigest> },
    /// A git repository: the URL without `git+` and without `@rev`.
    Git {
        repository: Url,
        rev: Option<String>,
        subdirectory: Option<String>,
    },
}

impl DirectSource {
    /// Whether the source is a wheel file (used as is, never built).
    pub fn is_wheel(&self) -> bool {
        match self {
            Self::LocalArchive { path, .. } => path
                .file_name()
                .is_some_and(|name| archive_kind(&name.to_string_lossy()) == Some(Archive::Wheel)),
            Self::Url { url, .. } => {
                archive_kind(&url_filename(url)).is_some_and(|kind| kind == Archive::Wheel)
            }
            Self::LocalDirectory { .. } | Self::Git { .. } => false,
        }
    }

    /// Whether this is an editable project directory.
    pub fn is_editable(&self) -> bool {
        matches!(self, Self::LocalDirectory { editable: true, .. })
    }
}

/// As users would write it again, with credentials masked.
impl fmt::Display for DirectSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalDirectory { path, .. } | Self::LocalArchive { path, .. } => {
                write!(formatter, "{}", path.display())
            }
            Self::Url { url, .. } => formatter.write_str(&redact_url(url)),
            Self::Git {
                repository,
                rev,
                subdirectory,
            } => {
                write!(formatter, "git+{}", redact_url(repository))?;
                if let Some(rev) = rev {
                    write!(formatter, "@{rev}")?;
                }
                if let Some(subdirectory) = subdirectory {
                    write!(formatter, "#subdirectory={subdirectory}")?;
                }
                Ok(())
            }
        }
    }
}

/// A requirement that names its source instead of a version range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectRequirement {
    /// Known from `name @`, a wheel filename or `#egg=`; else `None` until the metadata says.
    pub name: Option<PackageName>,
    pub extras: Vec<ExtraName>,
    pub source: DirectSource,
    pub marker: Option<MarkerTree>,
}

/// Parses a direct reference (see the module documentation for the forms). Relative paths are
/// relative to `base_dir` (the current directory, or a requirements file's directory).
pub fn parse_direct(input: &str, base_dir: &Path) -> Result<DirectRequirement, BuildError> {
    let invalid = |reason: String| BuildError::DirectReference {
        input: input.to_string(),
        reason,
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(invalid("it is empty".to_string()));
    }
    let base_dir = std::path::absolute(base_dir)?;

    if is_url(text) {
        let (url, marker) = split_marker(text, "; ");
        let marker = parse_marker(marker).map_err(invalid)?;
        let parsed = parse_url(url, &base_dir, false).map_err(|error| error.into_build(input))?;
        return Ok(DirectRequirement {
            name: parsed.name,
            extras: parsed.extras,
            source: parsed.source,
            marker,
        });
    }

    let (path_text, marker_text) = split_marker(text, ";");
    let (path_text, extras_text) = strip_extras(path_text);
    let path = normalize(&base_dir.join(path_text));
    let archive = Path::new(path_text)
        .file_name()
        .and_then(|name| archive_kind(&name.to_string_lossy()));
    let named = text
        .split_once('@')
        .is_some_and(|(before, _)| !looks_like_path(before));
    let is_path = (looks_like_path(path_text) && path.exists())
        || (archive.is_some() && (path.is_file() || !named));
    if is_path {
        let marker = parse_marker(marker_text).map_err(invalid)?;
        let extras = extras_text
            .map(parse_extras)
            .transpose()
            .map_err(invalid)?
            .unwrap_or_default();
        let (source, name) = local_source(path, None).map_err(|error| error.into_build(input))?;
        return Ok(DirectRequirement {
            name,
            extras,
            source,
            marker,
        });
    }
    if !named {
        if looks_like_path(path_text) {
            return Err(BuildError::MissingPath { path });
        }
        return Err(invalid(
            "it is neither a path, a URL, nor \"name @ URL\"".to_string(),
        ));
    }

    let requirement: Requirement =
        volley_packaging::parse_requirement(text).map_err(|error| invalid(error.message))?;
    let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else {
        return Err(invalid("it names no URL after \"@\"".to_string()));
    };
    let url_text = url.as_str();
    if !is_url(url_text) {
        return Err(invalid(format!(
            "\"{}\" is not a URL volley can install from",
            redact_text(url_text)
        )));
    }
    let parsed = parse_url(url_text, &base_dir, false).map_err(|error| error.into_build(input))?;
    Ok(DirectRequirement {
        name: Some(requirement.name.clone()),
        extras: requirement.extras.clone(),
        source: parsed.source,
        marker: requirement
            .marker
            .contents()
            .map(|_| requirement.marker.clone()),
    })
}

/// Parses the value of `-e`/`--editable`: a project directory (`./pkg`, `./pkg[dev]`,
/// `file:///abs/pkg`), editable; or a VCS URL with its `#egg=` name, returned as a
/// [`DirectSource::Git`] for the caller to clone into `<src>/<name>` and install editable.
pub fn parse_editable(input: &str, base_dir: &Path) -> Result<DirectRequirement, BuildError> {
    let invalid = |reason: &str| BuildError::DirectReference {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let text = input.trim();
    let base_dir = std::path::absolute(base_dir)?;
    let (location, extras_text) = strip_extras(text);
    let extras = extras_text
        .map(parse_extras)
        .transpose()
        .map_err(|reason| invalid(&reason))?
        .unwrap_or_default();
    let directory = normalize(&base_dir.join(location));
    let (path, name) = if directory.is_dir() {
        (directory, None)
    } else if url_scheme(location).as_deref() == Some("file") {
        let parsed =
            parse_url(location, &base_dir, true).map_err(|error| error.into_build(input))?;
        match parsed.source {
            DirectSource::LocalDirectory { path, .. } => (path, parsed.name),
            _ => return Err(invalid("an editable install needs a project directory")),
        }
    } else if let Some(scheme) = url_scheme(location)
        && vcs_of(&scheme).is_some()
    {
        // Cloned by the caller into `<src>/<name>` and installed editable from there, as pip
        // does; the name must come with it, since nothing is cloned yet.
        let parsed = parse_url(text, &base_dir, false).map_err(|error| error.into_build(input))?;
        let Some(name) = parsed.name else {
            return Err(invalid(&format!(
                "Could not detect requirement name for '{text}', please specify one with #egg=your_package_name"
            )));
        };
        return Ok(DirectRequirement {
            name: Some(name),
            extras: parsed.extras,
            source: parsed.source,
            marker: None,
        });
    } else if looks_like_path(location) {
        return Err(BuildError::MissingPath { path: directory });
    } else {
        return Err(invalid(
            "it should be the path of a local project (a directory with pyproject.toml or setup.py)",
        ));
    };
    if !is_project(&path) {
        return Err(BuildError::NotAProject { path });
    }
    Ok(DirectRequirement {
        name,
        extras,
        source: DirectSource::LocalDirectory {
            path,
            editable: true,
        },
        marker: None,
    })
}

/// `url` with its password replaced by `****`, or a lone user name (often a token) replaced by
/// `****`, as pip's `redact_auth_from_url` shows URLs. For messages and logs.
pub fn redact_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut redacted = url.clone();
    let result = if url.password().is_some() {
        redacted.set_password(Some("****"))
    } else {
        redacted
            .set_username("****")
            .and_then(|()| redacted.set_password(None))
    };
    match result {
        Ok(()) => redacted.to_string(),
        Err(()) => "<URL with credentials>".to_string(),
    }
}

/// The secrets in `url` (its password, or a lone user name), raw and percent-decoded, to be
/// masked in text that may quote the URL (git's messages).
pub(crate) fn url_secrets(url: &Url) -> Vec<String> {
    let secret = match url.password() {
        Some(password) => password,
        None => url.username(),
    };
    if secret.is_empty() {
        return Vec::new();
    }
    let mut secrets = vec![secret.to_string()];
    let decoded = percent_decode_str(secret).decode_utf8_lossy().into_owned();
    if decoded != secret {
        secrets.push(decoded);
    }
    secrets
}

/// [`redact_url`] for text that may not parse as a URL.
fn redact_text(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => redact_url(&url),
        Err(_) => text.to_string(),
    }
}

/// pip's `get_url_scheme`: the lowercased text before the first `:`.
fn url_scheme(text: &str) -> Option<String> {
    text.split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
}

/// The VCS of a `vcs+transport` scheme.
fn vcs_of(scheme: &str) -> Option<&str> {
    let (vcs, _) = scheme.split_once('+')?;
    ["git", "hg", "svn", "bzr"]
        .into_iter()
        .find(|known| *known == vcs)
}

/// pip's `is_url`: a scheme pip downloads from, or a VCS scheme.
fn is_url(text: &str) -> bool {
    url_scheme(text).is_some_and(|scheme| {
        matches!(scheme.as_str(), "http" | "https" | "file" | "ftp") || vcs_of(&scheme).is_some()
    })
}

/// pip's `_looks_like_path`.
fn looks_like_path(text: &str) -> bool {
    text.starts_with('.') || text.chars().any(std::path::is_separator)
}

/// Splits off a marker at the first `separator`; `None` when there is none.
fn split_marker<'a>(text: &'a str, separator: &str) -> (&'a str, Option<&'a str>) {
    match text.split_once(separator) {
        Some((before, marker)) => (before.trim(), Some(marker.trim())),
        None => (text, None),
    }
}

fn parse_marker(text: Option<&str>) -> Result<Option<MarkerTree>, String> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let marker = volley_packaging::parse_marker(text).map_err(|error| error.to_string())?;
    Ok(marker.contents().map(|_| marker))
}

/// pip's `_strip_extras`: `path[extra1,extra2]` into the path and the bracketed text.
fn strip_extras(text: &str) -> (&str, Option<&str>) {
    if let Some(inner) = text.strip_suffix(']')
        && let Some(open) = inner.rfind('[')
        && open > 0
        && !inner[open + 1..].contains(']')
        && open + 1 < inner.len()
    {
        return (&text[..open], Some(&inner[open + 1..]));
    }
    (text, None)
}

fn parse_extras(text: &str) -> Result<Vec<ExtraName>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|extra| !extra.is_empty())
        .map(|extra| {
            ExtraName::from_str(extra)
                .map_err(|error| format!("invalid extra \"{extra}\": {error}"))
        })
        .collect()
}

/// `path` with `.` and `..` applied lexically, as Python's `os.path.normpath` (no symlinks
/// resolved: pip records the path as given).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

fn is_project(directory: &Path) -> bool {
    directory.join("pyproject.toml").is_file() || directory.join("setup.py").is_file()
}

/// What an archive file name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Archive {
    Wheel,
    Sdist,
}

/// The source archive extensions pip unpacks (its `SUPPORTED_EXTENSIONS` less `.whl`).
pub(crate) const SDIST_EXTENSIONS: &[&str] = &[
    ".tar.gz",
    ".tgz",
    ".tar",
    ".zip",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

/// The kind of archive `filename` names, by its extension (case-insensitive, as pip's
/// `is_archive_file`).
pub(crate) fn archive_kind(filename: &str) -> Option<Archive> {
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".whl") {
        Some(Archive::Wheel)
    } else if SDIST_EXTENSIONS
        .iter()
        .any(|suffix| lower.ends_with(suffix))
    {
        Some(Archive::Sdist)
    } else {
        None
    }
}

/// The last path segment of `url`, percent-decoded.
pub(crate) fn url_filename(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default();
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// What [`parse_url`] and [`local_source`] found wrong, before the input is known.
enum SourceError {
    Reason(String),
    Build(BuildError),
}

impl SourceError {
    fn into_build(self, input: &str) -> BuildError {
        match self {
            Self::Reason(reason) => BuildError::DirectReference {
                input: input.to_string(),
                reason,
            },
            Self::Build(error) => error,
        }
    }
}

impl From<String> for SourceError {
    fn from(reason: String) -> Self {
        Self::Reason(reason)
    }
}

/// A URL's source, and the name and extras it gives (a wheel filename, `#egg=`).
struct ParsedUrl {
    source: DirectSource,
    name: Option<PackageName>,
    extras: Vec<ExtraName>,
}

/// The fragment parameters pip reads (`[#&]key=value`, first occurrence wins).
#[derive(Default)]
struct Fragment {
    egg: Option<String>,
    subdirectory: Option<String>,
    hash: Option<HashDigest>,
}

fn parse_fragment(fragment: &str) -> Result<Fragment, String> {
    let mut parsed = Fragment::default();
    for parameter in fragment.split('&') {
        let Some((key, value)) = parameter.split_once('=') else {
            continue;
        };
        match key {
            "egg" => {
                parsed.egg.get_or_insert_with(|| value.to_string());
            }
            "subdirectory" => {
                parsed.subdirectory.get_or_insert_with(|| value.to_string());
            }
            _ => {
                if let Ok(algorithm) = HashAlgorithm::from_str(key)
                    && parsed.hash.is_none()
                {
                    let hash = HashDigest::new(algorithm, value).map_err(|error| {
                        format!("invalid hash fragment \"{parameter}\": {error}")
                    })?;
                    parsed.hash = Some(hash);
                }
            }
        }
    }
    if let Some(subdirectory) = &parsed.subdirectory {
        let path = Path::new(subdirectory);
        let inside = !subdirectory.is_empty()
            && path
                .components()
                .all(|component| matches!(component, Component::Normal(_) | Component::CurDir));
        if !inside {
            return Err(format!(
                "invalid \"#subdirectory={subdirectory}\": it must be a relative path inside the project"
            ));
        }
    }
    Ok(parsed)
}

/// `#egg=name` or `#egg=name[extras]`.
fn parse_egg(egg: &str) -> Result<(PackageName, Vec<ExtraName>), String> {
    let (name, extras) = strip_extras(egg);
    let invalid = |reason: String| format!("invalid \"#egg={egg}\": {reason}");
    let name = PackageName::from_str(name).map_err(|error| invalid(error.to_string()))?;
    let extras = extras.map(parse_extras).transpose().map_err(invalid)?;
    Ok((name, extras.unwrap_or_default()))
}

/// Parses a URL of form 1 (or the URL of form 3). With `directory_only`, a `file:` URL must
/// name a directory (editables).
fn parse_url(text: &str, base_dir: &Path, directory_only: bool) -> Result<ParsedUrl, SourceError> {
    let (main, fragment) = match text.split_once('#') {
        Some((main, fragment)) => (main, fragment),
        None => (text, ""),
    };
    let fragment = parse_fragment(fragment)?;
    let (mut name, mut extras) = match &fragment.egg {
        Some(egg) => {
            let (name, extras) = parse_egg(egg)?;
            (Some(name), extras)
        }
        None => (None, Vec::new()),
    };
    let scheme = url_scheme(main).unwrap_or_default();

    if let Some(vcs) = vcs_of(&scheme) {
        if vcs != "git" {
            return Err(format!(
                "\"{scheme}\" URLs are not supported: volley installs from git repositories only"
            )
            .into());
        }
        let transport = &scheme["git+".len()..];
        if !matches!(transport, "http" | "https" | "ssh" | "git" | "file") {
            return Err(format!(
                "unsupported git URL scheme \"{scheme}\" (expected git+https, git+http, git+ssh, git+git or git+file)"
            )
            .into());
        }
        let mut repository =
            Url::parse(&main["git+".len()..]).map_err(|error| format!("invalid URL: {error}"))?;
        let path = repository.path().to_string();
        let rev = match path.rsplit_once('@') {
            Some((_, "")) => {
                return Err("the revision after \"@\" is empty: include a revision after \"@\" or remove the \"@\""
                    .to_string()
                    .into());
            }
            Some((before, rev)) => {
                let rev = percent_decode_str(rev).decode_utf8_lossy().into_owned();
                repository.set_path(before);
                Some(rev)
            }
            None => None,
        };
        return Ok(ParsedUrl {
            source: DirectSource::Git {
                repository,
                rev,
                subdirectory: fragment.subdirectory,
            },
            name,
            extras,
        });
    }
    if fragment.subdirectory.is_some() {
        return Err("\"#subdirectory=\" is supported for git URLs only"
            .to_string()
            .into());
    }

    match scheme.as_str() {
        "file" => {
            let url = Url::parse(main).map_err(|error| format!("invalid URL: {error}"))?;
            let path = url
                .to_file_path()
                .map_err(|()| "this file URL does not name a local path".to_string())?;
            let path = normalize(&base_dir.join(path));
            if directory_only && !path.is_dir() {
                if !path.exists() {
                    return Err(SourceError::Build(BuildError::MissingPath { path }));
                }
                return Err("an editable install needs a project directory"
                    .to_string()
                    .into());
            }
            let (source, wheel_name) = local_source(path, fragment.hash)?;
            if wheel_name.is_some() {
                name = wheel_name;
            }
            Ok(ParsedUrl {
                source,
                name,
                extras,
            })
        }
        "http" | "https" => {
            let url = Url::parse(main).map_err(|error| format!("invalid URL: {error}"))?;
            let filename = url_filename(&url);
            match archive_kind(&filename) {
                Some(Archive::Wheel) => {
                    let wheel = wheel_filename(&filename)?;
                    name = Some(wheel.name);
                }
                Some(Archive::Sdist) => {}
                None => {
                    return Err("it does not end in a wheel or source archive name (.whl, .tar.gz, .zip, .tar.bz2, .tar.xz, ...)"
                        .to_string()
                        .into());
                }
            }
            if name.is_none() {
                extras.clear();
            }
            Ok(ParsedUrl {
                source: DirectSource::Url {
                    url,
                    hash: fragment.hash,
                },
                name,
                extras,
            })
        }
        _ => Err(format!(
            "\"{scheme}\" URLs are not supported (expected https, http, file or git+...)"
        )
        .into()),
    }
}

fn wheel_filename(filename: &str) -> Result<WheelFilename, String> {
    WheelFilename::from_str(filename).map_err(|error| error.to_string())
}

/// The source at a local `path` (absolute, normalized), and the name a wheel filename gives.
fn local_source(
    path: PathBuf,
    hash: Option<HashDigest>,
) -> Result<(DirectSource, Option<PackageName>), SourceError> {
    if path.is_dir() {
        if !is_project(&path) {
            return Err(SourceError::Build(BuildError::NotAProject { path }));
        }
        return Ok((
            DirectSource::LocalDirectory {
                path,
                editable: false,
            },
            None,
        ));
    }
    let filename = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = archive_kind(&filename);
    if !path.exists() {
        return Err(SourceError::Build(BuildError::MissingPath { path }));
    }
    let name = match kind {
        Some(Archive::Wheel) => Some(wheel_filename(&filename)?.name),
        Some(Archive::Sdist) => None,
        None => {
            return Err(format!(
                "{} is neither a project directory nor a wheel or source archive (.whl, .tar.gz, .zip, .tar.bz2, .tar.xz, ...)",
                path.display()
            )
            .into());
        }
    };
    Ok((DirectSource::LocalArchive { path, hash }, name))
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;

    /// A base directory with a project, an sdist, a wheel and a non-project directory.
    fn base() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str| {
            let path = dir.path().join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, "").unwrap();
        };
        write("pkg/pyproject.toml");
        write("legacy/setup.py");
        write("dist/pkg-1.0.tar.gz");
        write("dist/pkg-1.0-py3-none-any.whl");
        write("pkg-2.0.zip");
        write("empty/README");
        write("dist/pkg-1.0.tar.bz2");
        write("dist/not_a_wheel.whl");
        write("README");
        dir
    }

    fn describe(requirement: &DirectRequirement, base: &Path) -> String {
        let base = base.display().to_string();
        let mut text = String::new();
        if let Some(name) = &requirement.name {
            write!(text, "name={name} ").unwrap();
        }
        if !requirement.extras.is_empty() {
            let extras: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
            write!(text, "extras={} ", extras.join(",")).unwrap();
        }
        let source = match &requirement.source {
            DirectSource::LocalDirectory { path, editable } => {
                format!("dir {} editable={editable}", path.display())
            }
            DirectSource::LocalArchive { path, hash } => {
                let hash = hash.as_ref().map(ToString::to_string);
                format!("archive {} hash={hash:?}", path.display())
            }
            DirectSource::Url { url, hash } => {
                let hash = hash.as_ref().map(ToString::to_string);
                format!("url {url} hash={hash:?}")
            }
            DirectSource::Git {
                repository,
                rev,
                subdirectory,
            } => format!("git {repository} rev={rev:?} subdirectory={subdirectory:?}"),
        };
        text.push_str(&source);
        if let Some(marker) = &requirement.marker {
            write!(text, " ; {}", marker.try_to_string().unwrap()).unwrap();
        }
        text.replace(&base, "[BASE]")
    }

    #[test]
    fn every_form() {
        let dir = base();
        let base = dir.path();
        let sha = "a".repeat(64);
        let inputs = [
            "./pkg".to_string(),
            "pkg/".to_string(),
            "./pkg[socks, dev] ; python_version >= '3.8'".to_string(),
            "legacy/".to_string(),
            "dist/pkg-1.0.tar.gz".to_string(),
            "./dist/pkg-1.0-py3-none-any.whl".to_string(),
            "pkg-2.0.zip".to_string(),
            "dist/pkg-1.0.tar.bz2".to_string(),
            "https://host/pkg-1.0.tar.xz".to_string(),
            format!("file://{}/dist/pkg-1.0.tar.gz", base.display()),
            format!("file://{}/dist/pkg-1.0.tar.gz#sha256={sha}", base.display()),
            format!("file://{}/pkg#egg=pkg", base.display()),
            format!("pkg @ https://host/pkg-1.0.tar.gz#sha256={sha}"),
            "pkg[extra] @ https://host/pkg-1.0.tar.gz ; sys_platform == 'linux'".to_string(),
            "https://host/dl/pkg-1.0-py3-none-any.whl".to_string(),
            "https://host/dl/pkg-1.0.tar.gz#egg=pkg[socks]".to_string(),
            "https://host/dl/pkg-1.0.tar.gz ; python_version < '4'".to_string(),
            "https://user:secret@host/pkg-1.0.tar.gz#md5=0123abcd".to_string(),
            "git+https://host/repo.git@v1.0#egg=name&subdirectory=sub".to_string(),
            "git+https://host/repo.git".to_string(),
            "git+ssh://git@host/org/repo.git@feature/x#egg=repo".to_string(),
            format!(
                "name @ git+file://{}/repo@tag#subdirectory=sub",
                base.display()
            ),
            "GIT+HTTPS://host/repo@0123abc".to_string(),
        ];
        let table: Vec<String> = inputs
            .iter()
            .map(|input| {
                let requirement = parse_direct(input, base).unwrap();
                format!(
                    "{}\n    {}",
                    input.replace(&base.display().to_string(), "[BASE]"),
                    describe(&requirement, base)
                )
            })
            .collect();
        insta::assert_snapshot!(table.join("\n"), @r#"
        ./pkg
            dir [BASE]/pkg editable=false
        pkg/
            dir [BASE]/pkg editable=false
        ./pkg[socks, dev] ; python_version >= '3.8'
            extras=socks,dev dir [BASE]/pkg editable=false ; python_full_version >= '3.8'
        legacy/
            dir [BASE]/legacy editable=false
        dist/pkg-1.0.tar.gz
            archive [BASE]/dist/pkg-1.0.tar.gz hash=None
        ./dist/pkg-1.0-py3-none-any.whl
            name=pkg archive [BASE]/dist/pkg-1.0-py3-none-any.whl hash=None
        pkg-2.0.zip
            archive [BASE]/pkg-2.0.zip hash=None
        dist/pkg-1.0.tar.bz2
            archive [BASE]/dist/pkg-1.0.tar.bz2 hash=None
        https://host/pkg-1.0.tar.xz
            url https://host/pkg-1.0.tar.xz hash=None
        file://[BASE]/dist/pkg-1.0.tar.gz
            archive [BASE]/dist/pkg-1.0.tar.gz hash=None
        file://[BASE]/dist/pkg-1.0.tar.gz#sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            archive [BASE]/dist/pkg-1.0.tar.gz hash=Some("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        file://[BASE]/pkg#egg=pkg
            name=pkg dir [BASE]/pkg editable=false
        pkg @ https://host/pkg-1.0.tar.gz#sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            name=pkg url https://host/pkg-1.0.tar.gz hash=Some("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        pkg[extra] @ https://host/pkg-1.0.tar.gz ; sys_platform == 'linux'
            name=pkg extras=extra url https://host/pkg-1.0.tar.gz hash=None ; sys_platform == 'linux'
        https://host/dl/pkg-1.0-py3-none-any.whl
            name=pkg url https://host/dl/pkg-1.0-py3-none-any.whl hash=None
        https://host/dl/pkg-1.0.tar.gz#egg=pkg[socks]
            name=pkg extras=socks url https://host/dl/pkg-1.0.tar.gz hash=None
        https://host/dl/pkg-1.0.tar.gz ; python_version < '4'
            url https://host/dl/pkg-1.0.tar.gz hash=None ; python_full_version < '4'
        https://user:secret@host/pkg-1.0.tar.gz#md5=0123abcd
            url https://user:secret@host/pkg-1.0.tar.gz hash=Some("md5:0123abcd")
        git+https://host/repo.git@v1.0#egg=name&subdirectory=sub
            name=name git https://host/repo.git rev=Some("v1.0") subdirectory=Some("sub")
        git+https://host/repo.git
            git https://host/repo.git rev=None subdirectory=None
        git+ssh://git@host/org/repo.git@feature/x#egg=repo
            name=repo git ssh://git@host/org/repo.git rev=Some("feature/x") subdirectory=None
        name @ git+file://[BASE]/repo@tag#subdirectory=sub
            name=name git file://[BASE]/repo rev=Some("tag") subdirectory=Some("sub")
        GIT+HTTPS://host/repo@0123abc
            git https://host/repo rev=Some("0123abc") subdirectory=None
        "#);
    }

    #[test]
    fn editables() {
        let dir = base();
        let base = dir.path();
        for input in [
            "./pkg".to_string(),
            "pkg".to_string(),
            "./pkg[dev]".to_string(),
            format!("file://{}/pkg", base.display()),
        ] {
            let requirement = parse_editable(&input, base).unwrap();
            assert_eq!(
                requirement.source,
                DirectSource::LocalDirectory {
                    path: base.join("pkg"),
                    editable: true
                },
                "{input}"
            );
            assert!(requirement.source.is_editable());
        }
        let vcs = parse_editable(
            "git+https://host/repo.git@v1#egg=Name&subdirectory=sub",
            base,
        )
        .unwrap();
        assert_eq!(vcs.name, Some(PackageName::from_str("name").unwrap()));
        assert_eq!(
            vcs.source,
            DirectSource::Git {
                repository: Url::parse("https://host/repo.git").unwrap(),
                rev: Some("v1".to_string()),
                subdirectory: Some("sub".to_string()),
            }
        );
        let errors: Vec<String> = [
            "git+https://host/repo.git",
            "./dist/pkg-1.0.tar.gz",
            "./missing",
            "./empty",
            "requests",
        ]
        .iter()
        .map(|input| {
            parse_editable(input, base)
                .unwrap_err()
                .to_string()
                .replace(&base.display().to_string(), "[BASE]")
        })
        .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        invalid direct reference "git+https://host/repo.git": Could not detect requirement name for 'git+https://host/repo.git', please specify one with #egg=your_package_name
        [BASE]/dist/pkg-1.0.tar.gz does not exist
        [BASE]/missing does not exist
        [BASE]/empty does not appear to be a Python project: neither "setup.py" nor "pyproject.toml" found
        invalid direct reference "requests": it should be the path of a local project (a directory with pyproject.toml or setup.py)
        "#);
    }

    #[test]
    fn malformed_references() {
        let dir = base();
        let base = dir.path();
        let inputs = [
            "",
            "requests>=2",
            "requests",
            "./missing",
            "./empty",
            "dist/missing-1.0.tar.gz",
            "dist/not_a_wheel.whl",
            "./README",
            "https://host/simple/pkg/",
            "https://host/pkg-1.0.tar.gz#sha256=xyz",
            "https://host/pkg-1.0.tar.gz#subdirectory=sub",
            "https://host/pkg-1.0.tar.gz#egg=not a name",
            "ftp://host/pkg-1.0.tar.gz",
            "hg+https://host/repo#egg=x",
            "git+rsync://host/repo",
            "git+https://host/repo.git@",
            "git+https://host/repo.git#subdirectory=../escape",
            "git+https://host/repo.git#subdirectory=/abs",
            "git+https://[bad/repo.git",
            "https://host/pkg-1.0.tar.gz ; python_version >>> '3'",
            "name @ ./relative",
            "name @",
        ];
        let errors: Vec<String> = inputs
            .iter()
            .map(|input| {
                parse_direct(input, base)
                    .unwrap_err()
                    .to_string()
                    .replace(&base.display().to_string(), "[BASE]")
            })
            .collect();
        insta::assert_snapshot!(errors.join("\n"), @r##"
        invalid direct reference "": it is empty
        invalid direct reference "requests>=2": it is neither a path, a URL, nor "name @ URL"
        invalid direct reference "requests": it is neither a path, a URL, nor "name @ URL"
        [BASE]/missing does not exist
        [BASE]/empty does not appear to be a Python project: neither "setup.py" nor "pyproject.toml" found
        [BASE]/dist/missing-1.0.tar.gz does not exist
        invalid direct reference "dist/not_a_wheel.whl": invalid wheel filename "not_a_wheel.whl": expected NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl (4 or 5 dashes)
        invalid direct reference "./README": [BASE]/README is neither a project directory nor a wheel or source archive (.whl, .tar.gz, .zip, .tar.bz2, .tar.xz, ...)
        invalid direct reference "https://host/simple/pkg/": it does not end in a wheel or source archive name (.whl, .tar.gz, .zip, .tar.bz2, .tar.xz, ...)
        invalid direct reference "https://host/pkg-1.0.tar.gz#sha256=xyz": invalid hash fragment "sha256=xyz": invalid hash digest "xyz": expected hexadecimal digits
        invalid direct reference "https://host/pkg-1.0.tar.gz#subdirectory=sub": "#subdirectory=" is supported for git URLs only
        invalid direct reference "https://host/pkg-1.0.tar.gz#egg=not a name": invalid "#egg=not a name": Not a valid package or extra name: "not a name". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
        invalid direct reference "ftp://host/pkg-1.0.tar.gz": "ftp" URLs are not supported (expected https, http, file or git+...)
        invalid direct reference "hg+https://host/repo#egg=x": "hg+https" URLs are not supported: volley installs from git repositories only
        invalid direct reference "git+rsync://host/repo": unsupported git URL scheme "git+rsync" (expected git+https, git+http, git+ssh, git+git or git+file)
        invalid direct reference "git+https://host/repo.git@": the revision after "@" is empty: include a revision after "@" or remove the "@"
        invalid direct reference "git+https://host/repo.git#subdirectory=../escape": invalid "#subdirectory=../escape": it must be a relative path inside the project
        invalid direct reference "git+https://host/repo.git#subdirectory=/abs": invalid "#subdirectory=/abs": it must be a relative path inside the project
        invalid direct reference "git+https://[bad/repo.git": invalid URL: invalid IPv6 address
        invalid direct reference "https://host/pkg-1.0.tar.gz ; python_version >>> '3'": invalid marker "python_version >>> '3'": expected a marker variable or quoted string
        python_version >>> '3'
                        ^
        invalid direct reference "name @ ./relative": Not a URL (missing scheme): ./relative
        name @ ./relative
               ^^^^^^^^^^
        invalid direct reference "name @": Expected URL
        name @
              ^
        "##);
    }

    #[test]
    fn redaction_masks_passwords_and_tokens() {
        let url = |text: &str| Url::parse(text).unwrap();
        assert_eq!(
            redact_url(&url("https://user:pa%40ss@host/repo.git")),
            "https://user:****@host/repo.git"
        );
        assert_eq!(
            redact_url(&url("https://ghp_token@host/repo.git")),
            "https://****@host/repo.git"
        );
        assert_eq!(
            redact_url(&url("https://host/repo.git")),
            "https://host/repo.git"
        );
        assert_eq!(
            url_secrets(&url("https://user:pa%40ss@host/")),
            ["pa%40ss", "pa@ss"]
        );
        assert_eq!(url_secrets(&url("https://tok@host/")), ["tok"]);
        assert!(url_secrets(&url("https://host/")).is_empty());
        let source = DirectSource::Git {
            repository: url("https://user:secret@host/repo.git"),
            rev: Some("v1".to_string()),
            subdirectory: Some("sub".to_string()),
        };
        assert_eq!(
            source.to_string(),
            "git+https://user:****@host/repo.git@v1#subdirectory=sub"
        );
    }

    #[test]
    fn extras_are_stripped_like_pip() {
        assert_eq!(strip_extras("./pkg[a,b]"), ("./pkg", Some("a,b")));
        assert_eq!(strip_extras("./pkg"), ("./pkg", None));
        assert_eq!(strip_extras("[a]"), ("[a]", None));
        assert_eq!(strip_extras("./pkg[]"), ("./pkg[]", None));
        assert_eq!(strip_extras("./p[x]kg[a]"), ("./p[x]kg", Some("a")));
    }
}
