//! Rendering the simple repository API pages: PEP 503 HTML and PEP 691 JSON.
//!
//! Traps:
//! - Attribute values are HTML-escaped: `data-requires-python="&gt;=3.8"`, as PEP 503 says.
//! - `data-yanked` is present (possibly empty) only for yanked files; in JSON `yanked` is
//!   `false`, `true` or the reason string.
//! - PEP 714 renamed `data-dist-info-metadata` to `data-core-metadata` (JSON: `dist-info-metadata`
//!   to `core-metadata`); both are emitted, with the sha256 of the metadata file, not the wheel.
//! - File URLs are relative to the page (`../../files/<filename>`), which clients must resolve.
//! - Content negotiation follows PEP 691: the best `q` among the JSON and HTML media types wins;
//!   no `Accept` (or only `*/*`) gets HTML.

use serde_json::{Value, json};

/// Which simple API formats the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexFormat {
    /// PEP 503 HTML only, whatever the client asks for.
    Html,
    /// PEP 691 JSON only, whatever the client asks for.
    Json,
    /// Both, chosen by the `Accept` header.
    #[default]
    Both,
}

/// The media type of a page response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageType {
    /// `text/html`.
    TextHtml,
    /// `application/vnd.pypi.simple.v1+html`.
    SimpleHtml,
    /// `application/vnd.pypi.simple.v1+json`.
    SimpleJson,
}

impl PageType {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::TextHtml => "text/html; charset=utf-8",
            Self::SimpleHtml => "application/vnd.pypi.simple.v1+html",
            Self::SimpleJson => "application/vnd.pypi.simple.v1+json",
        }
    }

    fn is_json(self) -> bool {
        self == Self::SimpleJson
    }
}

/// One file as listed on a project page.
#[derive(Debug, Clone)]
pub(crate) struct Listing<'a> {
    pub(crate) filename: &'a str,
    /// `(algorithm, digest)` pairs: the file's sha256, unless a test set others. An HTML link
    /// carries the first in its fragment (or none when there are none).
    pub(crate) hashes: Vec<(&'a str, &'a str)>,
    pub(crate) size: usize,
    pub(crate) requires_python: Option<&'a str>,
    pub(crate) yanked: Option<Option<&'a str>>,
    /// The sha256 of the `.metadata` file, when one is served.
    pub(crate) metadata_sha256: Option<&'a str>,
}

/// Picks the page type for an `Accept` header.
pub(crate) fn negotiate(format: IndexFormat, accept: Option<&str>) -> PageType {
    match format {
        IndexFormat::Html => return PageType::TextHtml,
        IndexFormat::Json => return PageType::SimpleJson,
        IndexFormat::Both => {}
    }
    let Some(accept) = accept else {
        return PageType::TextHtml;
    };
    let mut best: Option<(f32, PageType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|parameter| parameter.trim().strip_prefix("q="))
            .find_map(|value| value.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let page =
            match media.as_str() {
                "application/vnd.pypi.simple.v1+json"
                | "application/vnd.pypi.simple.latest+json" => PageType::SimpleJson,
                "application/vnd.pypi.simple.v1+html"
                | "application/vnd.pypi.simple.latest+html" => PageType::SimpleHtml,
                "text/html" | "text/*" | "*/*" => PageType::TextHtml,
                _ => continue,
            };
        if quality > 0.0 && best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, page));
        }
    }
    best.map_or(PageType::TextHtml, |(_, page)| page)
}

/// The root page listing every project (normalized names).
pub(crate) fn render_root(page: PageType, projects: &[&str]) -> String {
    if page.is_json() {
        let projects: Vec<Value> = projects
            .iter()
            .map(|name| json!({ "name": name }))
            .collect();
        return json!({ "meta": { "api-version": "1.1" }, "projects": projects }).to_string();
    }
    let mut html = String::from(
        "<!DOCTYPE html>\n<html>\n  <head>\n    \
         <meta name=\"pypi:repository-version\" content=\"1.1\">\n    \
         <title>Simple index</title>\n  </head>\n  <body>\n",
    );
    for project in projects {
        let project = escape_html(project);
        html.push_str(&format!("    <a href=\"{project}/\">{project}</a><br/>\n"));
    }
    html.push_str("  </body>\n</html>\n");
    html
}

/// A project page.
pub(crate) fn render_project(
    page: PageType,
    project: &str,
    files: &[Listing<'_>],
    versions: &[String],
) -> String {
    if page.is_json() {
        let files: Vec<Value> = files.iter().map(json_file).collect();
        return json!({
            "meta": { "api-version": "1.1" },
            "name": project,
            "files": files,
            "versions": versions,
        })
        .to_string();
    }
    let project = escape_html(project);
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    \
         <meta name=\"pypi:repository-version\" content=\"1.1\">\n    \
         <title>Links for {project}</title>\n  </head>\n  <body>\n    \
         <h1>Links for {project}</h1>\n"
    );
    for file in files {
        let fragment = file
            .hashes
            .first()
            .map(|(algorithm, digest)| format!("#{algorithm}={digest}"))
            .unwrap_or_default();
        let mut attributes = format!(
            "href=\"{}{}\"",
            escape_html(&file_url(file.filename)),
            escape_html(&fragment)
        );
        if let Some(requires_python) = file.requires_python {
            attributes.push_str(&format!(
                " data-requires-python=\"{}\"",
                escape_html(requires_python)
            ));
        }
        if let Some(metadata) = file.metadata_sha256 {
            attributes.push_str(&format!(
                " data-dist-info-metadata=\"sha256={metadata}\" \
                 data-core-metadata=\"sha256={metadata}\""
            ));
        }
        if let Some(reason) = file.yanked {
            attributes.push_str(&format!(
                " data-yanked=\"{}\"",
                escape_html(reason.unwrap_or_default())
            ));
        }
        html.push_str(&format!(
            "    <a {attributes}>{}</a><br/>\n",
            escape_html(file.filename)
        ));
    }
    html.push_str("  </body>\n</html>\n");
    html
}

fn json_file(file: &Listing<'_>) -> Value {
    let mut object = json!({
        "filename": file.filename,
        "url": file_url(file.filename),
        "hashes": file
            .hashes
            .iter()
            .map(|(algorithm, digest)| ((*algorithm).to_string(), Value::String((*digest).to_string())))
            .collect::<serde_json::Map<String, Value>>(),
        "size": file.size,
        "yanked": match file.yanked {
            None => Value::Bool(false),
            Some(None) => Value::Bool(true),
            Some(Some(reason)) => Value::String(reason.to_string()),
        },
    });
    if let Some(requires_python) = file.requires_python {
        object["requires-python"] = Value::String(requires_python.to_string());
    }
    if let Some(metadata) = file.metadata_sha256 {
        object["core-metadata"] = json!({ "sha256": metadata });
        object["dist-info-metadata"] = json!({ "sha256": metadata });
    }
    object
}

/// The URL of a file relative to its project page (`/simple/<project>/`).
fn file_url(filename: &str) -> String {
    format!("../../files/{}", percent_encode_path(filename))
}

/// Percent-encodes what may not appear raw in a URL path segment.
fn percent_encode_path(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Escapes text for HTML content and double-quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_accept_header_gets_json() {
        let pip = "application/vnd.pypi.simple.v1+json, \
                   application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
        assert_eq!(
            negotiate(IndexFormat::Both, Some(pip)),
            PageType::SimpleJson
        );
        assert_eq!(negotiate(IndexFormat::Html, Some(pip)), PageType::TextHtml);
        assert_eq!(negotiate(IndexFormat::Both, None), PageType::TextHtml);
        assert_eq!(
            negotiate(IndexFormat::Both, Some("*/*")),
            PageType::TextHtml
        );
        assert_eq!(
            negotiate(
                IndexFormat::Both,
                Some("application/vnd.pypi.simple.v1+html, text/html;q=0.5")
            ),
            PageType::SimpleHtml
        );
    }
}
