//! Index pages: what the Simple API lists for one project, in either of its two formats.
//!
//! - PEP 503 HTML: one `<a>` per file. The URL may be relative (to `<base href>` if the page has
//!   one, else to the page's URL after redirects), its `#sha256=...` fragment is the file's hash,
//!   and attributes carry `data-requires-python` (HTML-escaped: `&gt;=3.8`), `data-yanked`
//!   (PEP 592, the value is the reason) and `data-core-metadata` / its older spelling
//!   `data-dist-info-metadata` (PEP 658/714: `true` or `sha256=...`).
//! - PEP 691 JSON: `{"meta": {"api-version": "1.x"}, "files": [{"filename", "url", "hashes",
//!   "requires-python", "yanked", "core-metadata", "size"}]}`.
//!
//! Traps: in HTML the filename is the last segment of the URL path, percent-decoded (as pip
//! does), not the link text; in JSON it is the `filename` field. Files that are neither a wheel
//! nor an sdist of this project are skipped, as pip skips them. An invalid `requires-python` is
//! ignored (pip logs it and treats the file as compatible). JSON `"yanked": ""` means not yanked,
//! as in pip; an HTML `data-yanked` attribute means yanked whatever its value.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use serde::Deserialize;
use url::Url;
use volley_packaging::{
    DistFilename, HashAlgorithm, HashDigest, PackageName, VersionSpecifiers, parse_requires_python,
};

use crate::credentials::redact;
use crate::html;

/// The content type of PEP 691 JSON pages.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";
/// What index page requests ask for: JSON first, then HTML.
pub(crate) const PAGE_ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// The files an index lists for one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPage {
    pub name: PackageName,
    /// The index the page came from (as configured, e.g. `https://pypi.org/simple`, but
    /// without credentials). For files gathered from several indexes and find-links
    /// locations, the first of them that had the project (an index before a location).
    pub index: Url,
    pub files: Vec<IndexFile>,
    /// The tags of the wheels a filter left out (see `RegistryClient::keep_files`), sorted:
    /// what to tell a user whose target no wheel fits.
    pub dropped_tags: Vec<String>,
}

/// One distribution file listed on an index page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexFile {
    pub filename: String,
    pub dist: DistFilename,
    /// Absolute, without the hash fragment.
    pub url: Url,
    pub hashes: Vec<HashDigest>,
    pub requires_python: Option<VersionSpecifiers>,
    /// `Some(reason)` when yanked (PEP 592); the reason may be empty.
    pub yanked: Option<String>,
    /// `Some(hashes of the metadata file)` when the index serves `<url>.metadata` (PEP 658).
    pub core_metadata: Option<Vec<HashDigest>>,
    pub size: Option<u64>,
}

impl IndexFile {
    /// The sha256 the index gives for the file, if any.
    pub fn sha256(&self) -> Option<&str> {
        sha256_of(&self.hashes)
    }

    /// The sha256 the index gives for the `.metadata` file, if any.
    pub fn metadata_sha256(&self) -> Option<&str> {
        self.core_metadata.as_deref().and_then(sha256_of)
    }

    /// The URL of the PEP 658 metadata file: the file URL with `.metadata` appended.
    pub fn metadata_url(&self) -> Url {
        let mut url = self.url.clone();
        let path = format!("{}.metadata", url.path());
        url.set_path(&path);
        url
    }
}

pub(crate) fn sha256_of(hashes: &[HashDigest]) -> Option<&str> {
    hashes
        .iter()
        .find(|hash| hash.algorithm == HashAlgorithm::Sha256)
        .map(|hash| hash.digest.as_str())
}

/// The format of a page response, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageFormat {
    Json,
    Html,
}

impl PageFormat {
    /// `None` for content types that are not an index page.
    pub(crate) fn from_content_type(content_type: Option<&str>) -> Option<Self> {
        let Some(content_type) = content_type else {
            // Static file servers may send none: assume HTML, as pip's older versions did.
            return Some(Self::Html);
        };
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            JSON_CONTENT_TYPE => Some(Self::Json),
            "application/vnd.pypi.simple.v1+html" | "text/html" | "application/xhtml+xml" => {
                Some(Self::Html)
            }
            "application/vnd.pypi.simple.latest+json" => Some(Self::Json),
            "application/vnd.pypi.simple.latest+html" => Some(Self::Html),
            _ => None,
        }
    }
}

impl ProjectPage {
    /// Parse a PEP 503 HTML page of `name` fetched from `page_url` (after redirects).
    pub fn from_html(name: &PackageName, index: &Url, page_url: &Url, text: &str) -> Self {
        Self::from_html_keeping(name, index, page_url, text, &|_| true)
    }

    /// [`Self::from_html`], keeping only the files `keep` accepts.
    pub fn from_html_keeping(
        name: &PackageName,
        index: &Url,
        page_url: &Url,
        text: &str,
        keep: &dyn Fn(&DistFilename) -> bool,
    ) -> Self {
        let mut parsed = RequiresPythonCache::default();
        let mut dropped = DroppedTags::default();
        let mut files: Vec<IndexFile> = html_links(page_url, text)
            .into_iter()
            .filter_map(|link| link.into_index_file(name, page_url, &mut parsed))
            .filter(|file| dropped.keep(&file.dist, keep))
            .collect();
        files.shrink_to_fit();
        Self {
            name: name.clone(),
            index: index.clone(),
            files,
            dropped_tags: dropped.into_sorted(),
        }
    }

    /// Parse a PEP 691 JSON page of `name` fetched from `page_url` (after redirects).
    pub fn from_json(
        name: &PackageName,
        index: &Url,
        page_url: &Url,
        text: &str,
    ) -> Result<Self, String> {
        Self::from_json_keeping(name, index, page_url, text, &|_| true)
    }

    /// [`Self::from_json`], keeping only the files `keep` accepts.
    pub fn from_json_keeping(
        name: &PackageName,
        index: &Url,
        page_url: &Url,
        text: &str,
        keep: &dyn Fn(&DistFilename) -> bool,
    ) -> Result<Self, String> {
        let page: JsonPage = serde_json::from_str(text).map_err(|error| error.to_string())?;
        if let Some(version) = page.meta.and_then(|meta| meta.api_version) {
            let major = version.split('.').next().unwrap_or_default();
            if major != "1" {
                return Err(format!(
                    "unsupported API version \"{version}\" (volley reads version 1)"
                ));
            }
        }
        let mut parsed = RequiresPythonCache::default();
        let mut dropped = DroppedTags::default();
        let mut files: Vec<IndexFile> = page
            .files
            .into_iter()
            .filter_map(|file| {
                // The name alone says whether the file is wanted: skip the rest of it early.
                if DistFilename::parse(&file.filename, name)
                    .is_some_and(|dist| !dropped.keep(&dist, keep))
                {
                    return None;
                }
                let Ok(mut url) = page_url.join(&file.url) else {
                    tracing::debug!(
                        "skipping the URL \"{}\" on {}: not a URL",
                        file.url,
                        redact(page_url)
                    );
                    return None;
                };
                let mut hashes = json_hashes(&file.hashes);
                if hashes.is_empty() {
                    // As pip does, fall back to a hash in the URL's fragment.
                    hashes.extend(url.fragment().and_then(HashDigest::from_fragment));
                }
                url.set_fragment(None);
                let core_metadata = file
                    .core_metadata
                    .or(file.dist_info_metadata)
                    .and_then(JsonMetadata::into_hashes);
                let yanked = match file.yanked {
                    Some(JsonYanked::Reason(reason)) if !reason.is_empty() => Some(reason),
                    Some(JsonYanked::Flag(true)) => Some(String::new()),
                    _ => None,
                };
                let raw = Link {
                    filename: file.filename,
                    url,
                    hashes,
                    requires_python: file.requires_python,
                    yanked,
                    core_metadata,
                    size: file.size,
                };
                raw.into_index_file(name, page_url, &mut parsed)
            })
            .collect();
        files.shrink_to_fit();
        Ok(Self {
            name: name.clone(),
            index: index.clone(),
            files,
            dropped_tags: dropped.into_sorted(),
        })
    }
}

/// The links of a PEP 503 HTML page (or a find-links page) fetched from `page_url` (after
/// redirects): every `<a href>` whose URL ends in a file name, made absolute.
pub(crate) fn html_links(page_url: &Url, text: &str) -> Vec<Link> {
    let links = html::scan(text);
    let base = links
        .base
        .as_deref()
        .and_then(|base| page_url.join(base).ok())
        .unwrap_or_else(|| page_url.clone());
    links
        .anchors
        .iter()
        .filter_map(|anchor| {
            let href = anchor.attribute("href").flatten()?;
            let Ok(mut url) = base.join(href.trim()) else {
                tracing::debug!(
                    "skipping the link \"{href}\" on {}: not a URL",
                    redact(page_url)
                );
                return None;
            };
            let hashes = url
                .fragment()
                .and_then(HashDigest::from_fragment)
                .into_iter()
                .collect();
            url.set_fragment(None);
            let filename = filename_of(&url)?;
            let core_metadata = anchor
                .attribute("data-core-metadata")
                .or_else(|| anchor.attribute("data-dist-info-metadata"))
                .and_then(|value| html_core_metadata(value.unwrap_or_default()));
            Some(Link {
                filename,
                url,
                hashes,
                requires_python: anchor
                    .attribute("data-requires-python")
                    .flatten()
                    .map(str::to_string),
                yanked: anchor
                    .attribute("data-yanked")
                    .map(|reason| reason.unwrap_or_default().to_string()),
                core_metadata,
                size: None,
            })
        })
        .collect()
}

/// A link to a file as read from a page or a directory, before its filename is matched to a
/// project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) filename: String,
    pub(crate) url: Url,
    pub(crate) hashes: Vec<HashDigest>,
    pub(crate) requires_python: Option<String>,
    pub(crate) yanked: Option<String>,
    pub(crate) core_metadata: Option<Vec<HashDigest>>,
    pub(crate) size: Option<u64>,
}

impl Link {
    /// A link to a file without any data but its URL.
    pub(crate) fn bare(filename: String, url: Url) -> Self {
        Self {
            filename,
            url,
            hashes: Vec::new(),
            requires_python: None,
            yanked: None,
            core_metadata: None,
            size: None,
        }
    }
}

/// The tags of the wheels a page's filter left out.
#[derive(Default)]
struct DroppedTags(std::collections::BTreeSet<String>);

impl DroppedTags {
    /// Whether `keep` keeps `dist`; remembers the tags of a wheel it does not.
    fn keep(&mut self, dist: &DistFilename, keep: &dyn Fn(&DistFilename) -> bool) -> bool {
        if keep(dist) {
            return true;
        }
        if let DistFilename::Wheel(wheel) = dist {
            self.0.insert(wheel.tag_string());
        }
        false
    }

    fn into_sorted(self) -> Vec<String> {
        self.0.into_iter().collect()
    }
}

/// Requires-Python values already parsed on one page: a project's files repeat a handful of
/// them thousands of times, and each parse allocates.
#[derive(Default)]
pub(crate) struct RequiresPythonCache(HashMap<String, Option<VersionSpecifiers>>);

impl Link {
    /// The file, if it is a wheel or sdist of `name`; `source` is where the link was found.
    pub(crate) fn into_index_file(
        self,
        name: &PackageName,
        source: &Url,
        parsed: &mut RequiresPythonCache,
    ) -> Option<IndexFile> {
        let Some(dist) = DistFilename::parse(&self.filename, name) else {
            tracing::trace!(
                "skipping \"{}\" on {}: not a wheel or sdist of {name}",
                self.filename,
                redact(source)
            );
            return None;
        };
        let requires_python = self.requires_python.as_deref().and_then(|value| {
            if let Some(known) = parsed.0.get(value) {
                return known.clone();
            }
            let specifiers = parse_requires_python(value)
                .inspect_err(|error| {
                    tracing::debug!(
                        "ignoring the requires-python of \"{}\" on {}: {error}",
                        self.filename,
                        redact(source)
                    );
                })
                .ok();
            parsed.0.insert(value.to_string(), specifiers.clone());
            specifiers
        });
        Some(IndexFile {
            filename: self.filename,
            dist,
            url: self.url,
            hashes: self.hashes,
            requires_python,
            yanked: self.yanked,
            core_metadata: self.core_metadata,
            size: self.size,
        })
    }
}

/// The last path segment, percent-decoded; `None` for URLs that end in `/`.
pub(crate) fn filename_of(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.next_back()?;
    if segment.is_empty() {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(segment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// `data-core-metadata` values: `true` (offered, no hash), `sha256=...` (offered, with its
/// hash). `false` is read as not offered; another value as offered without a usable hash.
fn html_core_metadata(value: &str) -> Option<Vec<HashDigest>> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("false") {
        return None;
    }
    Some(HashDigest::from_fragment(value).into_iter().collect())
}

fn json_hashes(hashes: &BTreeMap<String, String>) -> Vec<HashDigest> {
    hashes
        .iter()
        .filter_map(|(algorithm, digest)| {
            let algorithm = HashAlgorithm::from_str(algorithm).ok()?;
            HashDigest::new(algorithm, digest).ok()
        })
        .collect()
}

#[derive(Deserialize)]
struct JsonPage {
    meta: Option<JsonMeta>,
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(rename = "core-metadata")]
    core_metadata: Option<JsonMetadata>,
    #[serde(rename = "dist-info-metadata")]
    dist_info_metadata: Option<JsonMetadata>,
    yanked: Option<JsonYanked>,
    size: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonMetadata {
    Flag(bool),
    Hashes(BTreeMap<String, String>),
}

impl JsonMetadata {
    fn into_hashes(self) -> Option<Vec<HashDigest>> {
        match self {
            Self::Flag(false) => None,
            Self::Flag(true) => Some(Vec::new()),
            Self::Hashes(hashes) => Some(json_hashes(&hashes)),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonYanked {
    Flag(bool),
    Reason(String),
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;

    fn name(text: &str) -> PackageName {
        PackageName::from_str(text).unwrap()
    }

    fn summary(page: &ProjectPage) -> String {
        let mut out = String::new();
        for file in &page.files {
            write!(out, "{} {}", file.filename, file.url).unwrap();
            for hash in &file.hashes {
                write!(out, " {hash}").unwrap();
            }
            if let Some(requires_python) = &file.requires_python {
                write!(out, " requires-python={requires_python}").unwrap();
            }
            if let Some(reason) = &file.yanked {
                write!(out, " yanked={reason:?}").unwrap();
            }
            if let Some(hashes) = &file.core_metadata {
                let hashes: Vec<_> = hashes.iter().map(ToString::to_string).collect();
                write!(out, " metadata=[{}]", hashes.join(",")).unwrap();
            }
            if let Some(size) = file.size {
                write!(out, " size={size}").unwrap();
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn html_page() {
        let index = Url::parse("https://example.org/simple").unwrap();
        let page_url = Url::parse("https://example.org/simple/foo-bar/").unwrap();
        let html = r#"<!DOCTYPE html>
<html><head><title>Links for foo-bar</title></head><body>
<a href="../../files/foo_bar-1.0-py3-none-any.whl#sha256=ABCDEF0123">foo_bar-1.0-py3-none-any.whl</a>
<a href="https://cdn.example.org/f/foo-bar-1.0.tar.gz#md5=00ff" data-requires-python="&gt;=3.8,&lt;4">foo-bar-1.0.tar.gz</a>
<a href="/files/foo_bar-2.0-py3-none-any.whl" data-yanked="" data-dist-info-metadata="true">x</a>
<a href="/files/foo_bar-3.0-py3-none-any.whl" data-yanked="bad &quot;build&quot;" data-core-metadata="sha256=0a1b" data-dist-info-metadata="true">x</a>
<a href="/files/foo_bar-4.0%2Blocal-py3-none-any.whl" data-requires-python="&gt;=3.8,,">x</a>
<a href="/files/foo_bar-5.0-py3-none-any.whl" data-requires-python="not a specifier">x</a>
<a href="/files/other-1.0-py3-none-any.whl">other project</a>
<a href="/files/foo-bar-1.0.exe">installer</a>
<a href="/files/">a directory</a>
<a>no href</a>
</body></html>"#;
        let page = ProjectPage::from_html(&name("Foo.Bar"), &index, &page_url, html);
        insta::assert_snapshot!(summary(&page), @r#"
        foo_bar-1.0-py3-none-any.whl https://example.org/files/foo_bar-1.0-py3-none-any.whl sha256:abcdef0123
        foo-bar-1.0.tar.gz https://cdn.example.org/f/foo-bar-1.0.tar.gz md5:00ff requires-python=>=3.8, <4
        foo_bar-2.0-py3-none-any.whl https://example.org/files/foo_bar-2.0-py3-none-any.whl yanked="" metadata=[]
        foo_bar-3.0-py3-none-any.whl https://example.org/files/foo_bar-3.0-py3-none-any.whl yanked="bad \"build\"" metadata=[sha256:0a1b]
        foo_bar-4.0+local-py3-none-any.whl https://example.org/files/foo_bar-4.0%2Blocal-py3-none-any.whl requires-python=>=3.8
        foo_bar-5.0-py3-none-any.whl https://example.org/files/foo_bar-5.0-py3-none-any.whl
        "#);
    }

    #[test]
    fn html_base_href() {
        let index = Url::parse("https://example.org/simple/").unwrap();
        let page_url = Url::parse("https://example.org/simple/foo/").unwrap();
        let html = r#"<html><head><base href="https://mirror.example.org/packages/"></head>
<body><a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a></body></html>"#;
        let page = ProjectPage::from_html(&name("foo"), &index, &page_url, html);
        assert_eq!(
            page.files[0].url.as_str(),
            "https://mirror.example.org/packages/foo-1.0.tar.gz"
        );
    }

    #[test]
    fn json_page() {
        let index = Url::parse("https://example.org/simple").unwrap();
        let page_url = Url::parse("https://example.org/simple/foo/").unwrap();
        let json = r#"{
  "meta": {"api-version": "1.1"},
  "name": "foo",
  "files": [
    {"filename": "foo-1.0-py3-none-any.whl", "url": "../../files/foo-1.0-py3-none-any.whl",
     "hashes": {"sha256": "ABC123", "blake2b": "ignored"}, "requires-python": ">=3.8",
     "core-metadata": {"sha256": "def456"}, "size": 1234},
    {"filename": "foo-1.0.tar.gz", "url": "https://files.example.org/foo-1.0.tar.gz#sha256=ffff",
     "hashes": {}, "yanked": "it was broken", "dist-info-metadata": true},
    {"filename": "foo-2.0-py3-none-any.whl", "url": "/files/foo-2.0-py3-none-any.whl",
     "hashes": {}, "yanked": true, "core-metadata": false},
    {"filename": "foo-3.0-py3-none-any.whl", "url": "/files/foo-3.0-py3-none-any.whl",
     "hashes": {}, "yanked": "", "requires-python": ""},
    {"filename": "foo-3.0.win32.exe", "url": "/files/foo-3.0.win32.exe", "hashes": {}}
  ],
  "versions": ["1.0", "2.0", "3.0"]
}"#;
        let page = ProjectPage::from_json(&name("foo"), &index, &page_url, json).unwrap();
        insta::assert_snapshot!(summary(&page), @r#"
        foo-1.0-py3-none-any.whl https://example.org/files/foo-1.0-py3-none-any.whl sha256:abc123 requires-python=>=3.8 metadata=[sha256:def456] size=1234
        foo-1.0.tar.gz https://files.example.org/foo-1.0.tar.gz sha256:ffff yanked="it was broken" metadata=[]
        foo-2.0-py3-none-any.whl https://example.org/files/foo-2.0-py3-none-any.whl yanked=""
        foo-3.0-py3-none-any.whl https://example.org/files/foo-3.0-py3-none-any.whl requires-python=
        "#);
    }

    #[test]
    fn json_page_errors() {
        let index = Url::parse("https://example.org/simple").unwrap();
        let page_url = Url::parse("https://example.org/simple/foo/").unwrap();
        let errors = [
            r#"{"meta": {"api-version": "2.0"}, "files": []}"#,
            r#"{"files": [{"filename": "x"}]}"#,
            "<html>",
        ]
        .map(|text| ProjectPage::from_json(&name("foo"), &index, &page_url, text).unwrap_err());
        insta::assert_snapshot!(errors.join("\n"), @r#"
        unsupported API version "2.0" (volley reads version 1)
        missing field `url` at line 1 column 28
        expected value at line 1 column 1
        "#);
    }

    #[test]
    fn content_types() {
        let cases = [
            (
                Some("application/vnd.pypi.simple.v1+json"),
                Some(PageFormat::Json),
            ),
            (
                Some("application/vnd.pypi.simple.v1+html; charset=utf-8"),
                Some(PageFormat::Html),
            ),
            (Some("Text/HTML"), Some(PageFormat::Html)),
            (None, Some(PageFormat::Html)),
            (Some("application/octet-stream"), None),
        ];
        for (content_type, expected) in cases {
            assert_eq!(
                PageFormat::from_content_type(content_type),
                expected,
                "{content_type:?}"
            );
        }
    }

    #[test]
    fn metadata_url_appends_to_the_path() {
        let page_url = Url::parse("https://example.org/simple/foo/").unwrap();
        let html = r#"<a href="/f/foo-1.0-py3-none-any.whl?x=1#sha256=00">x</a>"#;
        let page = ProjectPage::from_html(&name("foo"), &page_url, &page_url, html);
        assert_eq!(
            page.files[0].metadata_url().as_str(),
            "https://example.org/f/foo-1.0-py3-none-any.whl.metadata?x=1"
        );
    }
}
