//! What the index serves, and the response to each request before faults are applied.
//!
//! A [`Repository`] holds the files by project (normalized names), the per-file page data
//! (yanked, `Requires-Python`, PEP 658 metadata) and the options (metadata files, ranges,
//! formats). [`Repository::route`] maps a request to a [`Reply`]; the server then applies faults,
//! `HEAD` and `If-None-Match`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};

use crate::page::{IndexFormat, Listing, PageType, negotiate, render_project, render_root};
use crate::wheel::{BuiltWheel, normalize_name, sha256_hex};

/// The content of an index and its options.
#[derive(Debug, Default)]
pub(crate) struct Repository {
    pub(crate) metadata_files: bool,
    pub(crate) range_requests: bool,
    pub(crate) format: IndexFormat,
    /// Normalized project name → its filenames, in the order added.
    pub(crate) projects: BTreeMap<String, Vec<String>>,
    pub(crate) files: BTreeMap<String, StoredFile>,
    pub(crate) yanked: BTreeMap<String, Option<String>>,
    pub(crate) requires_python: BTreeMap<String, String>,
    /// The `Cache-Control` header of index pages (none when `None`).
    pub(crate) page_cache_control: Option<String>,
    /// Filename → the hashes its listing announces instead of its sha256.
    pub(crate) hashes: BTreeMap<String, Vec<(String, String)>>,
}

/// A file the server serves.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    project: String,
    filename: String,
    bytes: Bytes,
    sha256: String,
    metadata: Option<Bytes>,
}

impl StoredFile {
    pub(crate) fn new(project: &str, filename: &str, bytes: Vec<u8>) -> Self {
        let metadata = filename
            .ends_with(".whl")
            .then(|| wheel_metadata(&bytes))
            .flatten()
            .map(Bytes::from);
        Self {
            project: normalize_name(project),
            filename: filename.to_string(),
            sha256: sha256_hex(&bytes),
            bytes: Bytes::from(bytes),
            metadata,
        }
    }

    pub(crate) fn from_wheel(wheel: BuiltWheel) -> Self {
        let name = wheel.filename.split('-').next().unwrap_or_default();
        Self {
            project: normalize_name(name),
            filename: wheel.filename,
            sha256: wheel.sha256,
            bytes: Bytes::from(wheel.bytes),
            metadata: Some(Bytes::from(wheel.metadata)),
        }
    }

    /// The version part of a wheel or sdist filename.
    fn version(&self) -> Option<&str> {
        if let Some(stem) = self.filename.strip_suffix(".whl") {
            return stem.split('-').nth(1);
        }
        let stem = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"]
            .iter()
            .find_map(|suffix| self.filename.strip_suffix(suffix))?;
        stem.rsplit_once('-').map(|(_, version)| version)
    }
}

/// The `METADATA` of a wheel's top-level `.dist-info` directory.
fn wheel_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|name| {
            name.strip_suffix(".dist-info/METADATA")
                .is_some_and(|directory| !directory.contains('/'))
        })?
        .into_owned();
    let mut metadata = Vec::new();
    archive
        .by_name(&name)
        .ok()?
        .read_to_end(&mut metadata)
        .ok()?;
    Some(metadata)
}

/// A response before faults and HEAD are applied.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(header::HeaderName, String)>,
    pub(crate) etag: Option<HeaderValue>,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn text(status: StatusCode, text: &str) -> Self {
        Self {
            status,
            headers: vec![(
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            )],
            etag: None,
            body: Bytes::from(text.to_string()),
        }
    }

    fn redirect(location: &str) -> Self {
        let mut reply = Self::text(StatusCode::MOVED_PERMANENTLY, "moved\n");
        reply.headers.push((header::LOCATION, location.to_string()));
        reply
    }

    /// A 200 with an `ETag` derived from the body.
    fn ok(content_type: &str, body: Bytes) -> Self {
        let etag = format!("\"{}\"", &sha256_hex(&body)[..16]);
        Self {
            status: StatusCode::OK,
            headers: vec![(header::CONTENT_TYPE, content_type.to_string())],
            etag: HeaderValue::from_str(&etag).ok(),
            body,
        }
    }
}

impl Repository {
    pub(crate) fn add(&mut self, file: StoredFile) {
        let filenames = self.projects.entry(file.project.clone()).or_default();
        if !filenames.contains(&file.filename) {
            filenames.push(file.filename.clone());
        }
        self.files.insert(file.filename.clone(), file);
    }

    /// The response to a request, before faults and HEAD are applied.
    pub(crate) fn route<B>(&self, request: &Request<B>) -> Reply {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut reply = Reply::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            reply.headers.push((header::ALLOW, "GET, HEAD".to_string()));
            return reply;
        }
        let path = request.uri().path();
        if path == "/simple" {
            return Reply::redirect("/simple/");
        }
        if let Some(rest) = path.strip_prefix("/simple/") {
            let accept = request
                .headers()
                .get(header::ACCEPT)
                .and_then(|value| value.to_str().ok());
            let page = negotiate(self.format, accept);
            if rest.is_empty() {
                let projects: Vec<&str> = self.projects.keys().map(String::as_str).collect();
                return self.page_reply(page, render_root(page, &projects));
            }
            let (name, slash) = match rest.strip_suffix('/') {
                Some(name) => (name, true),
                None => (rest, false),
            };
            if name.contains('/') {
                return Reply::text(StatusCode::NOT_FOUND, "not found\n");
            }
            let normalized = normalize_name(name);
            let Some(filenames) = self.projects.get(&normalized) else {
                return Reply::text(StatusCode::NOT_FOUND, "not found\n");
            };
            if !slash || name != normalized {
                return Reply::redirect(&format!("/simple/{normalized}/"));
            }
            return self.page_reply(page, project_page(self, page, &normalized, filenames));
        }
        if let Some(filename) = path.strip_prefix("/files/") {
            let filename = percent_decode(filename);
            if let Some(file) = self.files.get(&filename) {
                return file_reply(self, request, "application/octet-stream", &file.bytes);
            }
            let metadata = filename
                .strip_suffix(".metadata")
                .and_then(|wheel| self.files.get(wheel))
                .and_then(|file| file.metadata.as_ref())
                .filter(|_| self.metadata_files);
            if let Some(metadata) = metadata {
                return file_reply(self, request, "binary/octet-stream", metadata);
            }
        }
        Reply::text(StatusCode::NOT_FOUND, "not found\n")
    }

    /// A page response, with the configured `Cache-Control` header.
    fn page_reply(&self, page: PageType, body: String) -> Reply {
        let mut reply = Reply::ok(page.content_type(), Bytes::from(body));
        if let Some(cache_control) = &self.page_cache_control {
            reply
                .headers
                .push((header::CACHE_CONTROL, cache_control.clone()));
        }
        reply
    }
}

fn project_page(
    repository: &Repository,
    page: PageType,
    project: &str,
    filenames: &[String],
) -> String {
    let files: Vec<&StoredFile> = filenames
        .iter()
        .filter_map(|filename| repository.files.get(filename))
        .collect();
    let metadata_hashes: Vec<Option<String>> = files
        .iter()
        .map(|file| {
            file.metadata
                .as_ref()
                .filter(|_| repository.metadata_files)
                .map(|metadata| sha256_hex(metadata))
        })
        .collect();
    let listings: Vec<Listing<'_>> = files
        .iter()
        .zip(&metadata_hashes)
        .map(|(file, metadata_sha256)| Listing {
            filename: &file.filename,
            hashes: match repository.hashes.get(&file.filename) {
                Some(hashes) => hashes
                    .iter()
                    .map(|(algorithm, digest)| (algorithm.as_str(), digest.as_str()))
                    .collect(),
                None => vec![("sha256", file.sha256.as_str())],
            },
            size: file.bytes.len(),
            requires_python: repository
                .requires_python
                .get(&file.filename)
                .map(String::as_str),
            yanked: repository
                .yanked
                .get(&file.filename)
                .map(|reason| reason.as_deref()),
            metadata_sha256: metadata_sha256.as_deref(),
        })
        .collect();
    let mut versions: Vec<String> = Vec::new();
    for version in files.iter().filter_map(|file| file.version()) {
        if !versions.iter().any(|known| known == version) {
            versions.push(version.to_string());
        }
    }
    render_project(page, project, &listings, &versions)
}

/// A file response, honouring `Range:` when range requests are on.
fn file_reply<B>(
    repository: &Repository,
    request: &Request<B>,
    content_type: &str,
    bytes: &Bytes,
) -> Reply {
    let mut reply = Reply::ok(content_type, bytes.clone());
    if !repository.range_requests {
        return reply;
    }
    reply
        .headers
        .push((header::ACCEPT_RANGES, "bytes".to_string()));
    let Some(range) = request
        .headers()
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    else {
        return reply;
    };
    let length = bytes.len();
    match parse_range(range, length) {
        RangeRequest::Ignore => reply,
        RangeRequest::Unsatisfiable => {
            let mut reply =
                Reply::text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
            reply
                .headers
                .push((header::CONTENT_RANGE, format!("bytes */{length}")));
            reply
        }
        RangeRequest::Satisfiable { start, end } => {
            reply.status = StatusCode::PARTIAL_CONTENT;
            reply.body = bytes.slice(start..=end);
            reply.headers.push((
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{length}"),
            ));
            reply
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    /// Not a single byte range we understand: send the whole file.
    Ignore,
    Unsatisfiable,
    /// Inclusive bounds.
    Satisfiable {
        start: usize,
        end: usize,
    },
}

/// Parses a single `bytes=` range against a file of `length` bytes (RFC 9110 section 14).
fn parse_range(header: &str, length: usize) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignore;
    };
    if spec.contains(',') {
        return RangeRequest::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignore;
    };
    let parse = |text: &str| text.trim().parse::<usize>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // `bytes=-n`: the last n bytes.
        (true, false) => match parse(last) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(_) if length == 0 => RangeRequest::Unsatisfiable,
            Some(suffix) => RangeRequest::Satisfiable {
                start: length.saturating_sub(suffix),
                end: length - 1,
            },
            None => RangeRequest::Ignore,
        },
        (false, _) => {
            let Some(start) = parse(first) else {
                return RangeRequest::Ignore;
            };
            let end = if last.trim().is_empty() {
                Some(usize::MAX)
            } else {
                parse(last)
            };
            match end {
                None => RangeRequest::Ignore,
                Some(end) if end < start => RangeRequest::Ignore,
                Some(_) if start >= length => RangeRequest::Unsatisfiable,
                Some(end) => RangeRequest::Satisfiable {
                    start,
                    end: end.min(length - 1),
                },
            }
        }
        (true, true) => RangeRequest::Ignore,
    }
}

/// Decodes `%XX` escapes in a path segment (invalid escapes are kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(value) = bytes
                .get(index + 1..index + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(value);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeRequest::{Ignore, Satisfiable, Unsatisfiable};
        assert_eq!(
            parse_range("bytes=0-9", 100),
            Satisfiable { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range("bytes=90-", 100),
            Satisfiable { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=-10", 100),
            Satisfiable { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=-1000", 100),
            Satisfiable { start: 0, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=50-1000", 100),
            Satisfiable { start: 50, end: 99 }
        );
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ignore);
        assert_eq!(parse_range("items=0-1", 100), Ignore);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("foo-1.0%2Blocal.whl"), "foo-1.0+local.whl");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
