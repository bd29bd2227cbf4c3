//! One requirement line's meaning: a PEP 508 requirement, or one of pip's forms that name no
//! package (a path or URL), with the options that belong to it.
//!
//! Telling the two apart follows pip (`parse_req_from_line`), without looking at the disk:
//! - a URL with a known scheme (`https:`, `file:`, `git+https:`, ...) is unnamed;
//! - text with an `@` whose left side does not look like a path is PEP 508 (`pkg @ https://...`);
//! - text that looks like a path (contains `/`, or starts with `.`) or names an archive
//!   (`.whl`, `.tar.gz`, `.zip`, ...) is unnamed;
//! - everything else is PEP 508.
//!
//! pip treats a path-like string that is neither an existing directory nor an archive as PEP 508
//! and fails on it; here it is kept as unnamed, and fails later when it is looked for.

use volley_packaging::{HashDigest, Requirement};

use crate::Origin;

/// What a requirement line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementSpec {
    /// A PEP 508 requirement (`flask[async]>=2; python_version >= "3.9"`, `pkg @ https://...`).
    Named(Requirement),
    /// A path or URL with no package name (`./pkg`, `dist/x-1.0-py3-none-any.whl`,
    /// `https://host/x.whl`, `git+https://host/repo#egg=x`), exactly as written, with any
    /// extras and markers.
    Unnamed(String),
}

/// A requirement from a requirements or constraints file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementEntry {
    pub requirement: RequirementSpec,
    /// `--hash` values on the line, in order, without repeats.
    pub hashes: Vec<HashDigest>,
    /// `--config-settings`/`-C KEY=VALUE` values on the line, in order; a key may repeat.
    pub config_settings: Vec<(String, String)>,
    pub origin: Origin,
}

/// Whether a requirement line (without options) is one of pip's unnamed forms.
pub(crate) fn is_unnamed(text: &str) -> bool {
    // pip separates the markers of a URL at "; " only, since URLs may contain ';'.
    let name = if is_url(text) {
        text.split("; ").next().unwrap_or(text)
    } else {
        text.split(';').next().unwrap_or(text)
    }
    .trim();
    if is_url(name) {
        return true;
    }
    if let Some((before, _)) = name.split_once('@')
        && !looks_like_path(before)
    {
        return false;
    }
    looks_like_path(name) || is_archive(strip_extras(name))
}

/// The URL schemes pip recognizes in a requirement line, including its VCS schemes.
const URL_SCHEMES: &[&str] = &[
    "http",
    "https",
    "file",
    "ftp",
    "git",
    "git+http",
    "git+https",
    "git+ssh",
    "git+git",
    "git+file",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+ssh",
    "svn+http",
    "svn+https",
    "svn+svn",
    "svn+file",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
    "bzr+file",
];

/// pip's `is_url`: the text before the first `:` is a scheme it knows.
pub(crate) fn is_url(text: &str) -> bool {
    text.split_once(':').is_some_and(|(scheme, _)| {
        URL_SCHEMES
            .iter()
            .any(|known| known.eq_ignore_ascii_case(scheme))
    })
}

/// pip's `_looks_like_path`: contains a path separator or starts with `.`.
fn looks_like_path(text: &str) -> bool {
    text.contains('/') || (cfg!(windows) && text.contains('\\')) || text.starts_with('.')
}

/// The text without a trailing `[extras]`.
fn strip_extras(text: &str) -> &str {
    if text.ends_with(']')
        && let Some(start) = text.rfind('[')
        && start > 0
    {
        return &text[..start];
    }
    text
}

/// The archive extensions pip installs from.
const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".whl",
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

fn is_archive(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ARCHIVE_EXTENSIONS
        .iter()
        .any(|extension| lower.ends_with(extension) && lower.len() > extension.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_unnamed_forms() {
        let unnamed = [
            "./pkg",
            ".",
            "../sibling[dev]",
            "sub/dir",
            "dist/foo-1.0-py3-none-any.whl",
            "foo-1.0.tar.gz",
            "Foo-1.0.ZIP",
            "foo-1.0-py3-none-any.whl; python_version < '3.9'",
            "https://host/x-1.0-py3-none-any.whl",
            "HTTPS://host/x",
            "file:///tmp/x.whl",
            "git+https://github.com/pypa/pip@main#egg=pip",
            "svn+ssh://host/repo",
            "./pkgs/foo@1",
        ];
        for text in unnamed {
            assert!(is_unnamed(text), "{text} should be unnamed");
        }
        let named = [
            "flask",
            "flask[async]>=2",
            "requests [security] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"",
            "urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip",
            "pip @ git+https://github.com/pypa/pip",
            "pkg@file:///tmp/pkg-1.0.tar.gz",
            "zope.interface==6.0",
            "foo; sys_platform == 'linux/x'",
            "flask>=",
        ];
        for text in named {
            assert!(!is_unnamed(text), "{text} should be named");
        }
    }
}
