//! `direct_url.json` (PEP 610), byte for byte as pip writes it, so that `pip freeze` and
//! `volley freeze` read the same thing back.
//!
//! pip builds it in `direct_url_helpers.direct_url_from_link` and writes
//! `json.dumps(..., sort_keys=True)`; the traps that follow from that:
//! - keys are sorted and separated by `", "` and `": "`, and non-ASCII is escaped (`\u00e9`);
//! - archives carry both the legacy `hash` (`"sha256=..."`) and `hashes` (`{"sha256": ...}`):
//!   the URL's own hash fragment when it has one (whatever its algorithm), else the sha256 of
//!   the file;
//! - a directory's `dir_info` is `{}` unless editable (`{"editable": true}`), never
//!   `{"editable": false}`;
//! - git: `url` is the repository without `git+`, `@rev` and fragment; `requested_revision`
//!   only when a revision was asked for; `subdirectory` is a top-level key;
//! - credentials are removed from `url` (the whole `user:password@`), except a bare `git@`
//!   user on git URLs and `${VAR}` placeholders, which PEP 610 allows;
//! - local paths become `file://` URLs as Python's `pathname2url` quotes them (only
//!   `A-Za-z0-9_.-~/` stay as they are), without resolving symlinks.

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value, json};
use url::Url;
use volley_packaging::HashDigest;

use crate::DirectSource;

/// What preparing a [`DirectSource`] found out that `direct_url.json` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedSource {
    /// A local directory: nothing to add.
    Directory,
    /// A wheel or sdist: the sha256 of the file as it was used.
    Archive { sha256: String },
    /// A git checkout: the full commit hash.
    Git { commit: String },
}

/// The content of `direct_url.json` for a distribution installed from `source`, which
/// preparing it resolved to `resolved` (a mismatched pair records what it can: a git source
/// without a commit records its requested revision as the commit).
pub fn direct_url_json(source: &DirectSource, resolved: &ResolvedSource) -> String {
    let value = match source {
        DirectSource::LocalDirectory { path, editable } => {
            let dir_info = if *editable {
                json!({"editable": true})
            } else {
                json!({})
            };
            json!({"url": path_to_url(path), "dir_info": dir_info})
        }
        DirectSource::LocalArchive { path, hash } => json!({
            "url": path_to_url(path),
            "archive_info": archive_info(hash.as_ref(), resolved),
        }),
        DirectSource::Url { url, hash } => json!({
            "url": strip_credentials(url, false),
            "archive_info": archive_info(hash.as_ref(), resolved),
        }),
        DirectSource::Git {
            repository,
            rev,
            subdirectory,
        } => {
            let commit = match resolved {
                ResolvedSource::Git { commit } => commit.clone(),
                _ => rev.clone().unwrap_or_default(),
            };
            let mut vcs_info = Map::new();
            vcs_info.insert("vcs".to_string(), json!("git"));
            vcs_info.insert("commit_id".to_string(), json!(commit));
            if let Some(rev) = rev {
                vcs_info.insert("requested_revision".to_string(), json!(rev));
            }
            let mut object = Map::new();
            object.insert(
                "url".to_string(),
                json!(strip_credentials(repository, true)),
            );
            object.insert("vcs_info".to_string(), Value::Object(vcs_info));
            if let Some(subdirectory) = subdirectory {
                object.insert("subdirectory".to_string(), json!(subdirectory));
            }
            Value::Object(object)
        }
    };
    let mut out = String::new();
    write_python_json(&value, &mut out);
    out
}

/// `archive_info`: the URL's hash when given, else the sha256 found while preparing.
fn archive_info(given: Option<&HashDigest>, resolved: &ResolvedSource) -> Value {
    let (algorithm, digest) = match (given, resolved) {
        (Some(hash), _) => (hash.algorithm.to_string(), hash.digest.clone()),
        (None, ResolvedSource::Archive { sha256 }) => ("sha256".to_string(), sha256.clone()),
        (None, _) => return json!({}),
    };
    json!({
        "hash": format!("{algorithm}={digest}"),
        "hashes": {algorithm: digest},
    })
}

/// What Python's `urllib.parse.quote` leaves alone besides `/`.
const PATH_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// pip's `path_to_url`: `file://` and the absolute path quoted as `pathname2url` does.
pub fn path_to_url(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if cfg!(windows) {
        return Url::from_file_path(&absolute)
            .map_or_else(|()| absolute.display().to_string(), String::from);
    }
    let text = absolute.to_string_lossy();
    format!("file://{}", utf8_percent_encode(&text, PATH_UNRESERVED))
}

/// `url` without its user info, as pip's `DirectUrl.redacted_url`: kept only when it is the
/// user `git` on a git URL, or `${VAR}` / `${VAR}:${VAR}` placeholders.
fn strip_credentials(url: &Url, git: bool) -> String {
    let username = percent_decode_str(url.username()).decode_utf8_lossy();
    let password = url
        .password()
        .map(|password| percent_decode_str(password).decode_utf8_lossy());
    if username.is_empty() && password.is_none() {
        return url.to_string();
    }
    if git && username == "git" && password.is_none() {
        return url.to_string();
    }
    if is_placeholder(&username) && password.as_deref().is_none_or(is_placeholder) {
        // The url crate percent-encodes `{` and `}` in user info; pip keeps them as written.
        let user_info = match &password {
            Some(password) => format!("{username}:{password}"),
            None => username.to_string(),
        };
        let mut bare = url.clone();
        // Setting them can only fail for URLs that cannot have credentials at all.
        let _ = bare.set_username("");
        let _ = bare.set_password(None);
        let text = bare.to_string();
        let prefix = format!("{}://", url.scheme());
        return match text.strip_prefix(&prefix) {
            Some(rest) => format!("{prefix}{user_info}@{rest}"),
            None => text,
        };
    }
    let mut bare = url.clone();
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    bare.to_string()
}

/// `${NAME}` with PEP 610's characters.
fn is_placeholder(text: &str) -> bool {
    text.strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .is_some_and(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// `json.dumps(value, sort_keys=True)` with Python's defaults.
fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_python_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_python_string(key, out);
                out.push_str(": ");
                write_python_json(&map[key], out);
            }
            out.push('}');
        }
    }
}

/// A string as Python's `json` module writes it with `ensure_ascii=True`.
fn write_python_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(character),
            _ => {
                let mut units = [0u16; 2];
                for unit in character.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn every_kind() {
        let sha = "ab".repeat(32);
        let archive = ResolvedSource::Archive {
            sha256: sha.clone(),
        };
        let git = ResolvedSource::Git {
            commit: "c0ffee".repeat(6) + "abcd",
        };
        let cases = [
            (
                DirectSource::LocalDirectory {
                    path: PathBuf::from("/work/my project"),
                    editable: true,
                },
                ResolvedSource::Directory,
            ),
            (
                DirectSource::LocalDirectory {
                    path: PathBuf::from("/work/pkg"),
                    editable: false,
                },
                ResolvedSource::Directory,
            ),
            (
                DirectSource::LocalArchive {
                    path: PathBuf::from("/dist/pkg-1.0+local.tar.gz"),
                    hash: None,
                },
                archive.clone(),
            ),
            (
                DirectSource::Url {
                    url: url("https://user:secret@host/pkg-1.0-py3-none-any.whl"),
                    hash: Some("md5:0123abcd".parse().unwrap()),
                },
                archive.clone(),
            ),
            (
                DirectSource::Url {
                    url: url("https://${USER}:${TOKEN}@host/pkg-1.0.tar.gz"),
                    hash: None,
                },
                archive,
            ),
            (
                DirectSource::Git {
                    repository: url("ssh://git@host/org/repo.git"),
                    rev: Some("v1.0".to_string()),
                    subdirectory: Some("sub/dir".to_string()),
                },
                git.clone(),
            ),
            (
                DirectSource::Git {
                    repository: url("https://token@host/repo.git"),
                    rev: None,
                    subdirectory: None,
                },
                git,
            ),
        ];
        let lines: Vec<String> = cases
            .iter()
            .map(|(source, resolved)| direct_url_json(source, resolved))
            .collect();
        insta::assert_snapshot!(lines.join("\n"), @r#"
        {"dir_info": {"editable": true}, "url": "file:///work/my%20project"}
        {"dir_info": {}, "url": "file:///work/pkg"}
        {"archive_info": {"hash": "sha256=abababababababababababababababababababababababababababababababab", "hashes": {"sha256": "abababababababababababababababababababababababababababababababab"}}, "url": "file:///dist/pkg-1.0%2Blocal.tar.gz"}
        {"archive_info": {"hash": "md5=0123abcd", "hashes": {"md5": "0123abcd"}}, "url": "https://host/pkg-1.0-py3-none-any.whl"}
        {"archive_info": {"hash": "sha256=abababababababababababababababababababababababababababababababab", "hashes": {"sha256": "abababababababababababababababababababababababababababababababab"}}, "url": "https://${USER}:${TOKEN}@host/pkg-1.0.tar.gz"}
        {"subdirectory": "sub/dir", "url": "ssh://git@host/org/repo.git", "vcs_info": {"commit_id": "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeeabcd", "requested_revision": "v1.0", "vcs": "git"}}
        {"url": "https://host/repo.git", "vcs_info": {"commit_id": "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeeabcd", "vcs": "git"}}
        "#);
    }

    #[test]
    fn strings_are_escaped_like_python() {
        let mut out = String::new();
        write_python_string("é\"\\\n\u{1}😀/", &mut out);
        assert_eq!(out, r#""\u00e9\"\\\n\u0001\ud83d\ude00/""#);
    }

    #[test]
    fn paths_are_quoted_like_pathname2url() {
        assert_eq!(
            path_to_url(Path::new("/a b/c+d@e~f_g.h-i/%")),
            "file:///a%20b/c%2Bd%40e~f_g.h-i/%25"
        );
        assert_eq!(path_to_url(Path::new("/é")), "file:///%C3%A9");
    }
}
