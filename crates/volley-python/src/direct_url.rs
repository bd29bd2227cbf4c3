//! `direct_url.json` (PEP 610): where a distribution installed from a URL or a local path came
//! from, and the requirement that installs it again (`pip freeze`'s `name @ url` lines).
//!
//! Start with [`DirectUrl::parse`], then [`DirectUrl::requirement`] or
//! [`DirectUrl::editable_location`].
//!
//! Traps:
//! - exactly one of `archive_info`, `dir_info` and `vcs_info` must be present, with the types
//!   PEP 610 gives; pip ignores a file that breaks this (with a warning), so callers should too;
//! - `archive_info.hash` (`sha256=...`) is the legacy single hash; pip 23 puts it in the
//!   requirement's fragment, but not the newer `hashes` table;
//! - a VCS requirement names the commit (`git+https://host/repo@<commit_id>`), never the
//!   requested branch or tag, so that it reinstalls the same code;
//! - an editable install's URL is a `file:` URL of the project directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

/// A parsed `direct_url.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectUrl {
    /// The URL, as recorded (credentials are already removed by the installer that wrote it).
    pub url: String,
    /// The project's directory inside the archive, checkout or directory.
    pub subdirectory: Option<String>,
    pub info: DirectUrlInfo,
}

/// What kind of source a [`DirectUrl`] points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectUrlInfo {
    /// A wheel or sdist at a URL or path.
    Archive {
        /// The legacy `hash` value, `<algorithm>=<hex digest>`.
        hash: Option<String>,
        /// The `hashes` table: algorithm to hex digest.
        hashes: BTreeMap<String, String>,
    },
    /// A local directory.
    Directory { editable: bool },
    /// A version control checkout.
    Vcs {
        /// `git`, `hg`, `bzr` or `svn`.
        vcs: String,
        commit_id: String,
        requested_revision: Option<String>,
    },
}

impl DirectUrl {
    /// Parses the JSON text of a `direct_url.json`; the error says what is wrong with it.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|error| error.to_string())?;
        let object = value.as_object().ok_or("it is not a JSON object")?;
        let url = string(object, "url")?.ok_or("\"url\" must have a value")?;
        let subdirectory = string(object, "subdirectory")?;
        let mut infos = Vec::new();
        if let Some(archive) = table(object, "archive_info")? {
            let hash = string(archive, "hash")?;
            if hash.as_ref().is_some_and(|hash| !hash.contains('=')) {
                return Err(format!(
                    "invalid archive_info.hash \"{}\": expected <algorithm>=<digest>",
                    hash.unwrap_or_default()
                ));
            }
            let mut hashes = BTreeMap::new();
            if let Some(table) = table(archive, "hashes")? {
                for (algorithm, digest) in table {
                    let digest = digest.as_str().ok_or_else(|| {
                        format!("archive_info.hashes.{algorithm} is not a string")
                    })?;
                    hashes.insert(algorithm.clone(), digest.to_string());
                }
            }
            infos.push(DirectUrlInfo::Archive { hash, hashes });
        }
        if let Some(directory) = table(object, "dir_info")? {
            let editable = match directory.get("editable") {
                None => false,
                Some(Value::Bool(editable)) => *editable,
                Some(other) => return Err(format!("dir_info.editable {other} is not a boolean")),
            };
            infos.push(DirectUrlInfo::Directory { editable });
        }
        if let Some(vcs) = table(object, "vcs_info")? {
            infos.push(DirectUrlInfo::Vcs {
                vcs: string(vcs, "vcs")?.ok_or("\"vcs_info.vcs\" must have a value")?,
                commit_id: string(vcs, "commit_id")?
                    .ok_or("\"vcs_info.commit_id\" must have a value")?,
                requested_revision: string(vcs, "requested_revision")?,
            });
        }
        let info = match infos.len() {
            0 => return Err("missing one of archive_info, dir_info, vcs_info".to_string()),
            1 => infos.remove(0),
            _ => return Err("more than one of archive_info, dir_info, vcs_info".to_string()),
        };
        Ok(Self {
            url,
            subdirectory,
            info,
        })
    }

    /// The requirement that installs this source again, as `pip freeze` writes it: `name @ url`,
    /// `name @ vcs+url@commit`, with `#sha256=...` and `subdirectory=...` fragments.
    pub fn requirement(&self, name: &str) -> String {
        let mut requirement = format!("{name} @ ");
        let mut fragments = Vec::new();
        match &self.info {
            DirectUrlInfo::Vcs { vcs, commit_id, .. } => {
                requirement.push_str(&format!("{vcs}+{}@{commit_id}", self.url));
            }
            DirectUrlInfo::Archive { hash, .. } => {
                requirement.push_str(&self.url);
                fragments.extend(hash.clone());
            }
            DirectUrlInfo::Directory { .. } => requirement.push_str(&self.url),
        }
        if let Some(subdirectory) = &self.subdirectory {
            fragments.push(format!("subdirectory={subdirectory}"));
        }
        if !fragments.is_empty() {
            requirement.push('#');
            requirement.push_str(&fragments.join("&"));
        }
        requirement
    }

    /// The project directory of an editable install (`dir_info.editable` with a local `file:`
    /// URL); `None` for anything else.
    pub fn editable_location(&self) -> Option<PathBuf> {
        if !matches!(self.info, DirectUrlInfo::Directory { editable: true }) {
            return None;
        }
        url::Url::parse(&self.url).ok()?.to_file_path().ok()
    }
}

type Object = serde_json::Map<String, Value>;

/// An optional string member; an error when it has another type.
fn string(object: &Object, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(other) => Err(format!("{key} {other} is not a string")),
    }
}

/// An optional object member; an error when it has another type.
fn table<'a>(object: &'a Object, key: &str) -> Result<Option<&'a Object>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Object(value)) => Ok(Some(value)),
        Some(other) => Err(format!("{key} {other} is not an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_as_pip_freeze_writes_them() {
        let archive = DirectUrl::parse(
            r#"{"url": "https://host/pkg-1.0.whl", "archive_info": {"hash": "sha256=abc", "hashes": {"sha256": "abc"}}}"#,
        )
        .unwrap();
        assert_eq!(
            archive.requirement("Pkg"),
            "Pkg @ https://host/pkg-1.0.whl#sha256=abc"
        );
        // Only the legacy `hash` becomes a fragment.
        let archive = DirectUrl::parse(
            r#"{"url": "file:///w/pkg.tar.gz", "archive_info": {"hashes": {"sha256": "abc"}}, "subdirectory": "sub"}"#,
        )
        .unwrap();
        assert_eq!(
            archive.requirement("pkg"),
            "pkg @ file:///w/pkg.tar.gz#subdirectory=sub"
        );
        let vcs = DirectUrl::parse(
            r#"{"url": "https://host/repo.git", "vcs_info": {"vcs": "git", "commit_id": "1234abcd", "requested_revision": "main"}}"#,
        )
        .unwrap();
        assert_eq!(
            vcs.requirement("repo"),
            "repo @ git+https://host/repo.git@1234abcd"
        );
        let directory =
            DirectUrl::parse(r#"{"url": "file:///src/my%20project", "dir_info": {}}"#).unwrap();
        assert_eq!(
            directory.requirement("proj"),
            "proj @ file:///src/my%20project"
        );
        assert_eq!(directory.editable_location(), None);
    }

    #[test]
    fn editable_locations_are_paths() {
        let editable = DirectUrl::parse(
            r#"{"url": "file:///src/my%20project", "dir_info": {"editable": true}}"#,
        )
        .unwrap();
        assert_eq!(
            editable.editable_location(),
            Some(PathBuf::from("/src/my project"))
        );
        let remote =
            DirectUrl::parse(r#"{"url": "file://server/share", "dir_info": {"editable": true}}"#)
                .unwrap();
        assert_eq!(remote.editable_location(), None);
    }

    #[test]
    fn invalid_files_say_why() {
        let error = |json: &str| DirectUrl::parse(json).unwrap_err();
        insta::assert_snapshot!(error("[]"), @"it is not a JSON object");
        insta::assert_snapshot!(error(r#"{"dir_info": {}}"#), @r#""url" must have a value"#);
        insta::assert_snapshot!(error(r#"{"url": "x"}"#), @"missing one of archive_info, dir_info, vcs_info");
        insta::assert_snapshot!(
            error(r#"{"url": "x", "dir_info": {}, "archive_info": {}}"#),
            @"more than one of archive_info, dir_info, vcs_info"
        );
        insta::assert_snapshot!(
            error(r#"{"url": "x", "dir_info": {"editable": "yes"}}"#),
            @r#"dir_info.editable "yes" is not a boolean"#
        );
        insta::assert_snapshot!(
            error(r#"{"url": "x", "archive_info": {"hash": "abc"}}"#),
            @r#"invalid archive_info.hash "abc": expected <algorithm>=<digest>"#
        );
        insta::assert_snapshot!(
            error(r#"{"url": "x", "vcs_info": {"vcs": "git"}}"#),
            @r#""vcs_info.commit_id" must have a value"#
        );
        insta::assert_snapshot!(error(r#"{"url": 3, "dir_info": {}}"#), @"url 3 is not a string");
    }
}
