//! Find-links locations (`--find-links`): files found outside any index, added to the files
//! of every project, as pip adds them to every lookup.
//!
//! A location is, as in pip:
//! - a local directory: each wheel or sdist in it (not in subdirectories), and the links of
//!   each `.html` file in it;
//! - a local `.html` file, or an `http(s)://` page: its links (`<a href>`, relative to the
//!   page or its `<base href>`, with `#sha256=` fragments and the PEP 503 attributes);
//! - a local or remote distribution file: that file.
//!
//! Each location is listed once per run, whatever the number of projects asked for; the links
//! of a listing are grouped by project for wheels (their filename says it), while an sdist's
//! filename is matched against each project asked for, by normalized name prefix, as pip
//! matches it (`foo_bar-1.0.tar.gz` is `foo-bar` 1.0, but `foo-bar-baz-1.0.tar.gz` may be
//! `foo-bar-baz` 1.0 or `foo-bar` `baz-1.0`, and only the project in hand decides).
//!
//! Local files get `file://` URLs and no hash: like pip, volley does not need one, and hashing
//! at listing time would read every file of a wheelhouse (often gigabytes) to use a few. A
//! local file is hashed when it is used (see `RegistryClient::download`), which is also when
//! hash-checking needs it. Local files are read in place, never copied into the cache.
//!
//! Traps: pip ignores a location that does not exist (with a warning), and so does volley, so
//! that a requirements file's `-f ./wheels` works where the directory is missing; a page that
//! answers 404 is ignored too. `file://` URLs are local paths.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use url::Url;
use volley_packaging::{PackageName, SourceDistExtension, WheelFilename};

use crate::credentials::redact;
use crate::page::{Link, RequiresPythonCache, filename_of, html_links};
use crate::{ClientError, IndexFile};

/// One `--find-links` location. Its `Debug` and `Display` output hide a URL's credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FindLinks {
    /// A local directory, HTML file or distribution file (absolute when made by
    /// [`FindLinks::parse`]).
    Path(PathBuf),
    /// A remote HTML page listing files (`http://` or `https://`), or a distribution file's URL.
    Url(Url),
}

impl FindLinks {
    /// `value` as pip reads a `--find-links` value: an `http(s)://` URL, a `file://` URL, or a
    /// path, relative to `base` (the working directory, or a requirements file's directory).
    pub fn parse(value: &str, base: &Path) -> Result<Self, ClientError> {
        let invalid = |reason: String| ClientError::FindLinks {
            location: value.to_string(),
            reason,
        };
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(invalid("expected a path or a URL".to_string()));
        }
        // A scheme of one letter is a Windows drive (`C:\wheels`), not a URL.
        if let Ok(url) = Url::parse(trimmed)
            && url.scheme().len() > 1
        {
            return match url.scheme() {
                "http" | "https" => Ok(Self::Url(url)),
                "file" => url
                    .to_file_path()
                    .map(Self::Path)
                    .map_err(|()| invalid("not a local path".to_string())),
                scheme => Err(invalid(format!(
                    "unsupported URL scheme \"{scheme}\" (expected http, https or file)"
                ))),
            };
        }
        let path = base.join(trimmed);
        let path = std::path::absolute(&path).unwrap_or(path);
        Ok(Self::Path(path))
    }

    /// The location as a URL (a `file://` URL for a path), naming it in the collection.
    pub(crate) fn url(&self) -> Url {
        match self {
            Self::Url(url) => url.clone(),
            Self::Path(path) => Url::from_file_path(path)
                .or_else(|()| Url::from_file_path(std::path::absolute(path).unwrap_or_default()))
                .unwrap_or_else(|()| Url::parse("file:///").expect("the root file URL is valid")),
        }
    }
}

impl fmt::Debug for FindLinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(path) => f.debug_tuple("Path").field(path).finish(),
            Self::Url(url) => f.debug_tuple("Url").field(&redact(url)).finish(),
        }
    }
}

impl fmt::Display for FindLinks {
    /// The path, or the URL with its password hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(path) => write!(f, "{}", path.display()),
            Self::Url(url) => f.write_str(&redact(url)),
        }
    }
}

/// The links of one find-links location, ready to be asked for a project's files.
#[derive(Debug, Default)]
pub(crate) struct FlatIndex {
    /// The location as a URL (links name it in logs).
    source: Option<Url>,
    /// Wheels, by the project their filename names.
    wheels: HashMap<PackageName, Vec<Link>>,
    /// Everything else: sdists (matched per project) and files that are neither.
    others: Vec<Link>,
}

impl FlatIndex {
    pub(crate) fn new(source: Url, links: Vec<Link>) -> Self {
        let mut index = Self {
            source: Some(source),
            ..Self::default()
        };
        for link in links {
            if link.filename.ends_with(".whl") {
                match WheelFilename::from_str(&link.filename) {
                    Ok(wheel) => index.wheels.entry(wheel.name).or_default().push(link),
                    Err(error) => tracing::trace!("skipping {}: {error}", link.filename),
                }
            } else {
                index.others.push(link);
            }
        }
        index
    }

    /// The files of project `name` in this location.
    pub(crate) fn files(&self, name: &PackageName) -> Vec<IndexFile> {
        let Some(source) = &self.source else {
            return Vec::new();
        };
        let mut parsed = RequiresPythonCache::default();
        self.wheels
            .get(name)
            .into_iter()
            .flatten()
            .chain(&self.others)
            .filter_map(|link| link.clone().into_index_file(name, source, &mut parsed))
            .collect()
    }
}

/// The links of a local location: a directory's files and the links of its HTML files, an
/// HTML file's links, or the file itself. A location that does not exist has none. Blocks.
pub(crate) fn list_local(path: &Path) -> Result<Vec<Link>, ClientError> {
    let url_of = |path: &Path| {
        Url::from_file_path(path).map_err(|()| ClientError::FindLinks {
            location: path.display().to_string(),
            reason: "not an absolute path".to_string(),
        })
    };
    let io_error = |path: &Path, error: std::io::Error| match url_of(path) {
        Ok(url) => ClientError::io(&url, error),
        Err(error) => error,
    };
    let metadata = match fs_err::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                "the find-links location {} is ignored: it does not exist",
                path.display()
            );
            return Ok(Vec::new());
        }
        Err(error) => return Err(io_error(path, error)),
    };
    if !metadata.is_dir() {
        return local_file_links(path, &url_of(path)?);
    }
    let mut entries: Vec<PathBuf> = fs_err::read_dir(path)
        .map_err(|error| io_error(path, error))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|entry| entry.is_file())
        .collect();
    entries.sort();
    let mut links = Vec::new();
    for entry in entries {
        links.extend(local_file_links(&entry, &url_of(&entry)?)?);
    }
    Ok(links)
}

/// The links of one local file: an HTML file's links, or the file itself.
fn local_file_links(path: &Path, url: &Url) -> Result<Vec<Link>, ClientError> {
    if is_html(path) {
        let bytes = fs_err::read(path).map_err(|error| ClientError::io(url, error))?;
        return Ok(html_links(url, &String::from_utf8_lossy(&bytes)));
    }
    Ok(filename_of(url)
        .map(|filename| Link::bare(filename, url.clone()))
        .into_iter()
        .collect())
}

fn is_html(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            extension.eq_ignore_ascii_case("html") || extension.eq_ignore_ascii_case("htm")
        })
}

/// Whether a remote location is a distribution file rather than a page of links.
pub(crate) fn is_distribution_url(url: &Url) -> bool {
    filename_of(url).is_some_and(|filename| {
        let filename = filename.to_ascii_lowercase();
        filename.ends_with(".whl")
            || SourceDistExtension::ALL
                .iter()
                .any(|extension| filename.ends_with(extension.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PackageName {
        PackageName::from_str(text).unwrap()
    }

    #[test]
    fn values_parse_as_pip_reads_them() {
        let base = Path::new("/work/project");
        let cases = [
            "wheels",
            "./wheels/",
            "/srv/wheels",
            "file:///srv/wheels",
            "https://user:secret@example.org/links.html",
            "http://example.org/wheels/foo-1.0-py3-none-any.whl",
        ];
        let parsed: Vec<String> = cases
            .iter()
            .map(|value| {
                let parsed = FindLinks::parse(value, base).unwrap();
                let kind = match parsed {
                    FindLinks::Path(_) => "path",
                    FindLinks::Url(_) => "url",
                };
                format!("{value} -> {kind} {parsed}")
            })
            .collect();
        insta::assert_snapshot!(parsed.join("\n"), @r"
            wheels -> path /work/project/wheels
            ./wheels/ -> path /work/project/wheels/
            /srv/wheels -> path /srv/wheels
            file:///srv/wheels -> path /srv/wheels
            https://user:secret@example.org/links.html -> url https://user:****@example.org/links.html
            http://example.org/wheels/foo-1.0-py3-none-any.whl -> url http://example.org/wheels/foo-1.0-py3-none-any.whl
            ");
        let errors = ["", "ftp://example.org/wheels/"]
            .map(|value| FindLinks::parse(value, base).unwrap_err().to_string());
        insta::assert_snapshot!(errors.join("\n"), @r#"
            invalid find-links location "": expected a path or a URL
            invalid find-links location "ftp://example.org/wheels/": unsupported URL scheme "ftp" (expected http, https or file)
            "#);
    }

    #[test]
    fn files_are_matched_to_projects() {
        let source = Url::parse("file:///srv/wheels/").unwrap();
        let links = [
            "foo_bar-1.0-py3-none-any.whl",
            "Foo.Bar-2.0.tar.gz",
            "foo-bar-baz-1.0.tar.gz",
            "foo-bar-baz-1.0-py3-none-any.whl",
            "other-1.0-py3-none-any.whl",
            "broken.whl",
            "README.txt",
        ]
        .map(|filename| Link::bare(filename.to_string(), source.join(filename).unwrap()));
        let index = FlatIndex::new(source, links.to_vec());
        let show = |project: &str| {
            let files: Vec<String> = index
                .files(&name(project))
                .into_iter()
                .map(|file| format!("{} {}", file.filename, file.dist.version()))
                .collect();
            format!("{project}: {}", files.join(", "))
        };
        insta::assert_snapshot!(
            ["foo-bar", "foo-bar-baz", "other", "missing"].map(show).join("\n"),
            @r"
            foo-bar: foo_bar-1.0-py3-none-any.whl 1.0, Foo.Bar-2.0.tar.gz 2.0
            foo-bar-baz: foo-bar-baz-1.0.tar.gz 1.0
            other: other-1.0-py3-none-any.whl 1.0
            missing:
            "
        );
    }

    #[test]
    fn local_directories_list_files_and_html_links() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("a-1.0-py3-none-any.whl"), b"wheel").unwrap();
        fs_err::write(dir.path().join("a-0.9.tar.gz"), b"sdist").unwrap();
        fs_err::create_dir(dir.path().join("nested")).unwrap();
        fs_err::write(dir.path().join("nested/a-2.0.tar.gz"), b"hidden").unwrap();
        fs_err::write(
            dir.path().join("links.html"),
            r#"<a href="https://example.org/a-3.0-py3-none-any.whl#sha256=00ff">a</a>
               <a href="nested/a-2.0.tar.gz">relative</a>"#,
        )
        .unwrap();
        let links = list_local(dir.path()).unwrap();
        let root = Url::from_directory_path(dir.path()).unwrap();
        let shown: Vec<String> = links
            .iter()
            .map(|link| {
                format!(
                    "{} {} hashes={}",
                    link.filename,
                    link.url.as_str().replace(root.as_str(), "[DIR]/"),
                    link.hashes.len()
                )
            })
            .collect();
        insta::assert_snapshot!(shown.join("\n"), @r"
            a-0.9.tar.gz [DIR]/a-0.9.tar.gz hashes=0
            a-1.0-py3-none-any.whl [DIR]/a-1.0-py3-none-any.whl hashes=0
            a-3.0-py3-none-any.whl https://example.org/a-3.0-py3-none-any.whl hashes=1
            a-2.0.tar.gz [DIR]/nested/a-2.0.tar.gz hashes=0
            ");
        // A location that does not exist lists nothing; a single file lists itself.
        assert!(list_local(&dir.path().join("missing")).unwrap().is_empty());
        let single = list_local(&dir.path().join("a-0.9.tar.gz")).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].filename, "a-0.9.tar.gz");
    }

    #[test]
    fn distribution_urls() {
        for (url, expected) in [
            ("https://example.org/links.html", false),
            ("https://example.org/wheels/", false),
            ("https://example.org/a-1.0-py3-none-any.whl", true),
            ("https://example.org/a-1.0.tar.gz", true),
        ] {
            assert_eq!(
                is_distribution_url(&Url::parse(url).unwrap()),
                expected,
                "{url}"
            );
        }
    }
}
