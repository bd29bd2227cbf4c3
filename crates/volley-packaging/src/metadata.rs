//! Core metadata (`METADATA`, `PKG-INFO`, PEP 658 `.metadata` files), versions 1.0 to 2.4.
//!
//! The format is RFC 822 headers as Python's `email` package (compat32 policy) reads them.
//! Traps:
//! - keys are case-insensitive and fields such as `Requires-Dist` repeat;
//! - long values are folded onto indented continuation lines;
//! - values are never RFC 2047-decoded: `=?utf-8?q?...?=` is literal text in metadata, so raw
//!   bytes are read as UTF-8 (lossily: old `PKG-INFO` files may be Latin-1);
//! - the body after the first blank line is the long description (Metadata 2.1+), ignored here;
//! - `Requires-Python` values from the wild carry stray commas and spaces (see
//!   [`parse_requires_python`]).

use std::str::FromStr;

use crate::{
    ExtraName, PackageName, Requirement, Version, VersionSpecifier, VersionSpecifiers,
    parse_requirement,
};

/// The fields of core metadata that installing and resolving need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreMetadata {
    /// As written, e.g. `2.1`; empty when the file has no `Metadata-Version` (pip does not
    /// require one either).
    pub metadata_version: String,
    pub name: PackageName,
    pub version: Version,
    pub requires_dist: Vec<Requirement>,
    pub requires_python: Option<VersionSpecifiers>,
    pub provides_extra: Vec<ExtraName>,
    /// `Dynamic:` fields (Metadata 2.2+, PEP 643), lowercased.
    pub dynamic: Vec<String>,
}

impl CoreMetadata {
    /// Parse RFC 822-style metadata. Keys are case-insensitive; folded lines are joined.
    pub fn parse(content: &[u8]) -> Result<Self, MetadataError> {
        let (headers, _body_offset) = mailparse::parse_headers(content)
            .map_err(|err| MetadataError::Headers(err.to_string()))?;
        let mut metadata_version = None;
        let mut name = None;
        let mut version = None;
        let mut requires_dist = Vec::new();
        let mut requires_python = None;
        let mut provides_extra = Vec::new();
        let mut dynamic = Vec::new();
        for header in &headers {
            let key = header.get_key_ref();
            let value = header_value(header.get_value_raw());
            match key.to_ascii_lowercase().as_str() {
                "metadata-version" => {
                    metadata_version.get_or_insert(value);
                }
                "name" if name.is_none() => {
                    name = Some(PackageName::from_str(&value).map_err(|err| {
                        MetadataError::InvalidField {
                            field: "Name",
                            value: value.clone(),
                            reason: err.to_string(),
                        }
                    })?);
                }
                "version" if version.is_none() => {
                    version = Some(Version::from_str(&value).map_err(|err| {
                        MetadataError::InvalidField {
                            field: "Version",
                            value: value.clone(),
                            reason: err.to_string(),
                        }
                    })?);
                }
                "requires-dist" => {
                    let requirement =
                        parse_requirement(&value).map_err(|err| MetadataError::InvalidField {
                            field: "Requires-Dist",
                            value: value.clone(),
                            reason: err.reason().to_string(),
                        })?;
                    requires_dist.push(requirement);
                }
                "requires-python" if requires_python.is_none() => {
                    requires_python = Some(parse_requires_python(&value)?);
                }
                "provides-extra" => {
                    let extra =
                        ExtraName::from_str(&value).map_err(|err| MetadataError::InvalidField {
                            field: "Provides-Extra",
                            value: value.clone(),
                            reason: err.to_string(),
                        })?;
                    if !provides_extra.contains(&extra) {
                        provides_extra.push(extra);
                    }
                }
                "dynamic" => dynamic.push(value.to_ascii_lowercase()),
                _ => {}
            }
        }
        Ok(Self {
            metadata_version: metadata_version.unwrap_or_default(),
            name: name.ok_or(MetadataError::MissingField("Name"))?,
            version: version.ok_or(MetadataError::MissingField("Version"))?,
            requires_dist,
            requires_python,
            provides_extra,
            dynamic,
        })
    }
}

/// A raw header value as text: UTF-8 (lossy), continuation line breaks removed, trimmed.
fn header_value(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut value = String::with_capacity(text.len());
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 && !value.is_empty() {
            value.push(' ');
        }
        value.push_str(line.trim_end_matches('\r').trim());
    }
    value.trim().to_string()
}

/// Parse a `Requires-Python` value, from metadata or from an index (`data-requires-python`,
/// PEP 691 `requires-python`), with `packaging.specifiers.SpecifierSet`'s leniency: the value
/// is split on `,`, each clause trimmed, and empty clauses dropped, so `>=3.8,`, `, >=3.8`,
/// `>= 3.8 , <4` and the empty string (no constraint) are all accepted.
pub fn parse_requires_python(value: &str) -> Result<VersionSpecifiers, MetadataError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|clause| !clause.is_empty())
        .map(|clause| {
            VersionSpecifier::from_str(clause).map_err(|err| MetadataError::InvalidField {
                field: "Requires-Python",
                value: value.to_string(),
                reason: err.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(VersionSpecifiers::from_iter)
}

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata is not valid RFC 822 headers: {0}")]
    Headers(String),
    #[error("metadata has no \"{0}\" field")]
    MissingField(&'static str),
    #[error("invalid {field} \"{value}\" in metadata: {reason}")]
    InvalidField {
        field: &'static str,
        value: String,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MarkerEnvironment, MarkerEnvironmentBuilder};

    const REQUESTS: &str = "\
Metadata-Version: 2.1
Name: requests
Version: 2.31.0
Summary: Python HTTP for Humans.
Home-page: https://requests.readthedocs.io
Author: Kenneth Reitz
Author-email: me@kennethreitz.org
License: Apache 2.0
Classifier: Programming Language :: Python :: 3
Requires-Python: >=3.7
Description-Content-Type: text/markdown
License-File: LICENSE
Requires-Dist: charset-normalizer (<4,>=2)
Requires-Dist: idna (<4,>=2.5)
Requires-Dist: urllib3 (<3,>=1.21.1)
Requires-Dist: certifi (>=2017.4.17)
Provides-Extra: security
Provides-Extra: socks
Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'
Provides-Extra: use_chardet_on_py3
Requires-Dist: chardet (<6,>=3.0.2) ; extra == 'use_chardet_on_py3'

# Requests

Requires-Dist: not-a-header-this-is-the-description
";

    fn environment() -> MarkerEnvironment {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.11.7",
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "6.1.0",
            platform_system: "Linux",
            platform_version: "#1 SMP",
            python_full_version: "3.11.7",
            python_version: "3.11",
            sys_platform: "linux",
        })
        .unwrap()
    }

    #[test]
    fn wheel_metadata_2_1() {
        let metadata = CoreMetadata::parse(REQUESTS.as_bytes()).unwrap();
        assert_eq!(metadata.metadata_version, "2.1");
        assert_eq!(metadata.name.as_ref(), "requests");
        assert_eq!(metadata.version.to_string(), "2.31.0");
        assert_eq!(
            metadata
                .requires_python
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(">=3.7")
        );
        let names: Vec<&str> = metadata
            .requires_dist
            .iter()
            .map(|r| r.name.as_ref())
            .collect();
        assert_eq!(
            names,
            [
                "charset-normalizer",
                "idna",
                "urllib3",
                "certifi",
                "pysocks",
                "chardet"
            ]
        );
        let extras: Vec<&str> = metadata.provides_extra.iter().map(AsRef::as_ref).collect();
        assert_eq!(extras, ["security", "socks", "use-chardet-on-py3"]);
        assert!(metadata.dynamic.is_empty());
    }

    #[test]
    fn extra_markers_select_dependencies() {
        let metadata = CoreMetadata::parse(REQUESTS.as_bytes()).unwrap();
        let env = environment();
        let socks = ExtraName::from_str("socks").unwrap();
        let active = |extras: &[ExtraName]| -> Vec<String> {
            metadata
                .requires_dist
                .iter()
                .filter(|requirement| requirement.evaluate_markers(&env, extras))
                .map(|requirement| requirement.name.to_string())
                .collect()
        };
        assert_eq!(
            active(&[]),
            ["charset-normalizer", "idna", "urllib3", "certifi"]
        );
        assert_eq!(
            active(std::slice::from_ref(&socks)),
            [
                "charset-normalizer",
                "idna",
                "urllib3",
                "certifi",
                "pysocks"
            ]
        );
        // `use_chardet_on_py3` in the marker matches the normalized extra name.
        let chardet = ExtraName::from_str("use-chardet-on-py3").unwrap();
        assert!(active(&[chardet]).contains(&"chardet".to_string()));
    }

    #[test]
    fn keys_are_case_insensitive_and_lines_fold() {
        let content = concat!(
            "metadata-version: 2.3\r\n",
            "NAME: Foo.Bar_baz\r\n",
            "version: 1!2.0.post1\r\n",
            "requires-dist: bar>=1.0,\r\n",
            "  <2.0; python_version >= \"3.8\"\r\n",
            "REQUIRES-PYTHON: >=3.8,\r\n",
            "\r\n",
            "body\r\n",
        );
        let metadata = CoreMetadata::parse(content.as_bytes()).unwrap();
        assert_eq!(metadata.metadata_version, "2.3");
        assert_eq!(metadata.name.as_ref(), "foo-bar-baz");
        assert_eq!(metadata.version.to_string(), "1!2.0.post1");
        assert_eq!(metadata.requires_dist.len(), 1);
        assert_eq!(
            metadata.requires_dist[0].to_string(),
            "bar>=1.0,<2.0 ; python_full_version >= '3.8'"
        );
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.8");
    }

    #[test]
    fn metadata_1_0_pkg_info() {
        let content = b"Metadata-Version: 1.0\nName: legacy\nVersion: 0.1\nSummary: An old \
package\nAuthor: J\xe9r\xf4me\nDescription: UNKNOWN\nPlatform: UNKNOWN\n";
        let metadata = CoreMetadata::parse(content).unwrap();
        assert_eq!(metadata.metadata_version, "1.0");
        assert_eq!(metadata.name.as_ref(), "legacy");
        assert!(metadata.requires_dist.is_empty());
        assert_eq!(metadata.requires_python, None);
    }

    #[test]
    fn metadata_2_4_with_dynamic_fields() {
        let content = "\
Metadata-Version: 2.4
Name: modern
Version: 3.0.0rc1
License-Expression: MIT OR Apache-2.0
License-File: LICENSE-MIT
Dynamic: Requires-Dist
Dynamic: license-file
Summary: =?utf-8?q?not_encoded?=
Provides-Extra: Dev.Tools
Provides-Extra: dev_tools
Requires-Dist: pytest; extra == \"dev-tools\"
";
        let metadata = CoreMetadata::parse(content.as_bytes()).unwrap();
        assert_eq!(metadata.metadata_version, "2.4");
        assert_eq!(metadata.dynamic, ["requires-dist", "license-file"]);
        // Two spellings of one extra collapse into one normalized name.
        let extras: Vec<&str> = metadata.provides_extra.iter().map(AsRef::as_ref).collect();
        assert_eq!(extras, ["dev-tools"]);
    }

    #[test]
    fn encoded_words_stay_literal() {
        assert_eq!(
            header_value(b"=?utf-8?q?caf=C3=A9?="),
            "=?utf-8?q?caf=C3=A9?="
        );
        assert_eq!(header_value("caf\u{e9}".as_bytes()), "caf\u{e9}");
        assert_eq!(header_value(b"a,\r\n   b\n\tc"), "a, b c");
    }

    #[test]
    fn missing_fields() {
        insta::assert_snapshot!(
            CoreMetadata::parse(b"Metadata-Version: 2.1\nVersion: 1.0\n").unwrap_err(),
            @r#"metadata has no "Name" field"#
        );
        insta::assert_snapshot!(
            CoreMetadata::parse(b"Metadata-Version: 2.1\nName: foo\n").unwrap_err(),
            @r#"metadata has no "Version" field"#
        );
    }

    #[test]
    fn invalid_fields() {
        insta::assert_snapshot!(
            CoreMetadata::parse(b"Name: foo\nVersion: 1.0\nRequires-Dist: bar>=\n").unwrap_err(),
            @r#"invalid Requires-Dist "bar>=" in metadata: Unexpected end of version specifier, expected version"#
        );
        insta::assert_snapshot!(
            CoreMetadata::parse(b"Name: foo\nVersion: one\n").unwrap_err(),
            @r#"invalid Version "one" in metadata: expected version to start with a number, but no leading ASCII digits were found"#
        );
        insta::assert_snapshot!(
            CoreMetadata::parse(b"Name: foo\nVersion: 1.0\nRequires-Python: >=3.x\n")
                .unwrap_err(),
            @r#"invalid Requires-Python ">=3.x" in metadata: after parsing `3`, found `.x`, which is not part of a valid version"#
        );
        insta::assert_snapshot!(
            CoreMetadata::parse(b"Name: -foo-\nVersion: 1.0\n").unwrap_err(),
            @r#"invalid Name "-foo-" in metadata: Not a valid package or extra name: "-foo-". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters."#
        );
    }

    #[test]
    fn requires_python_leniency() {
        let parse = |value: &str| parse_requires_python(value).map(|s| s.to_string());
        assert_eq!(parse(">=3.8,").unwrap(), ">=3.8");
        assert_eq!(parse(", >=3.8").unwrap(), ">=3.8");
        assert_eq!(parse(" >= 3.7 , <4 ").unwrap(), ">=3.7, <4");
        assert_eq!(
            parse(">=2.7, !=3.0.*, !=3.1.*").unwrap(),
            ">=2.7, !=3.0.*, !=3.1.*"
        );
        assert_eq!(parse("").unwrap(), "");
        assert!(
            parse_requires_python("")
                .unwrap()
                .contains(&Version::from_str("2.7").unwrap())
        );
        insta::assert_snapshot!(
            parse(">=3.6.*").unwrap_err(),
            @r#"invalid Requires-Python ">=3.6.*" in metadata: Operator >= cannot be used with a wildcard version specifier"#
        );
        insta::assert_snapshot!(
            parse("3.8").unwrap_err(),
            @r#"invalid Requires-Python "3.8" in metadata: Unexpected end of version specifier, expected operator"#
        );
    }
}
