//! Wheel filenames (PEP 427, with compressed tag sets such as `py2.py3-none-any`).
//!
//! Parsing follows `packaging.utils.parse_wheel_filename`: the stem has exactly four or five
//! `-`-separated parts (name, version, optional build tag, python, abi, platform). Traps:
//! - the name is escaped (`-` became `_`), so it is compared only after PEP 503 normalization;
//! - a build tag must start with a digit (`1`, `2b`); it sorts numerically, then by the rest;
//! - each tag part may be a compressed set (`py2.py3`), the file claims every combination;
//! - tags are compared lowercase, as `packaging.tags.Tag` does.

use std::fmt;
use std::str::FromStr;

use crate::{PackageName, Tag, TagPriority, Tags, Version};

/// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    pub name: PackageName,
    pub version: Version,
    /// Build tag: a number, then an optional string (`1`, `2b`).
    pub build: Option<(u64, String)>,
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<String>,
}

impl WheelFilename {
    /// Every tag this file claims (the product of its compressed tag sets).
    pub fn tags(&self) -> impl Iterator<Item = Tag> + '_ {
        self.python_tags.iter().flat_map(move |python| {
            self.abi_tags.iter().flat_map(move |abi| {
                self.platform_tags.iter().map(move |platform| Tag {
                    python: python.clone(),
                    abi: abi.clone(),
                    platform: platform.clone(),
                })
            })
        })
    }

    /// The best priority any of this file's tags has for the interpreter, `None` if the file
    /// does not fit it at all.
    pub fn compatibility(&self, tags: &Tags) -> Option<TagPriority> {
        self.tags().filter_map(|tag| tags.priority(&tag)).max()
    }

    /// The tag part of the filename, e.g. `py3-none-any`.
    pub fn tag_string(&self) -> String {
        format!(
            "{}-{}-{}",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            self.platform_tags.join(".")
        )
    }
}

impl FromStr for WheelFilename {
    type Err = WheelFilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        let error = |reason: &str| WheelFilenameError {
            filename: filename.to_string(),
            reason: reason.to_string(),
        };
        let stem = filename
            .strip_suffix(".whl")
            .ok_or_else(|| error("the extension must be \".whl\""))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, python, abi, platform) = match parts.as_slice() {
            [name, version, python, abi, platform] => {
                (*name, *version, None, *python, *abi, *platform)
            }
            [name, version, build, python, abi, platform] => {
                (*name, *version, Some(*build), *python, *abi, *platform)
            }
            _ => {
                return Err(error(
                    "expected NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl (4 or 5 dashes)",
                ));
            }
        };
        if name.is_empty() {
            return Err(error("the package name is empty"));
        }
        if name.contains("__")
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err(error(&format!(
                "invalid package name \"{name}\": escaped names hold only letters, digits, `.` and single `_`"
            )));
        }
        let name = PackageName::from_str(name)
            .map_err(|err| error(&format!("invalid package name \"{name}\": {err}")))?;
        let version = Version::from_str(version)
            .map_err(|err| error(&format!("invalid version \"{version}\": {err}")))?;
        let build = build
            .map(|build| parse_build_tag(build).map_err(|reason| error(&reason)))
            .transpose()?;
        Ok(Self {
            name,
            version,
            build,
            python_tags: parse_tag_set(python, "python").map_err(|reason| error(&reason))?,
            abi_tags: parse_tag_set(abi, "abi").map_err(|reason| error(&reason))?,
            platform_tags: parse_tag_set(platform, "platform").map_err(|reason| error(&reason))?,
        })
    }
}

/// `1`, `2b`, `20230101.dev`: digits first, then anything.
fn parse_build_tag(build: &str) -> Result<(u64, String), String> {
    let digits = build.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("build tag \"{build}\" must start with a digit"));
    }
    let number = build[..digits]
        .parse()
        .map_err(|_| format!("build number in \"{build}\" is too large"))?;
    Ok((number, build[digits..].to_string()))
}

/// One part of a compressed tag set, `py2.py3` -> `["py2", "py3"]`, lowercased.
fn parse_tag_set(part: &str, kind: &str) -> Result<Vec<String>, String> {
    part.split('.')
        .map(|tag| {
            if tag.is_empty() {
                Err(format!("the {kind} tag \"{part}\" has an empty component"))
            } else if !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                Err(format!("invalid {kind} tag \"{tag}\""))
            } else {
                Ok(tag.to_ascii_lowercase())
            }
        })
        .collect()
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name.as_dist_info_name(), self.version)?;
        if let Some((number, rest)) = &self.build {
            write!(f, "-{number}{rest}")?;
        }
        write!(f, "-{}.whl", self.tag_string())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid wheel filename \"{filename}\": {reason}")]
pub struct WheelFilenameError {
    pub filename: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Arch, Libc, Platform, TagsInput};

    fn parse(filename: &str) -> WheelFilename {
        WheelFilename::from_str(filename).unwrap()
    }

    fn error(filename: &str) -> String {
        WheelFilename::from_str(filename).unwrap_err().to_string()
    }

    #[test]
    fn simple_wheel() {
        let wheel = parse("requests-2.31.0-py3-none-any.whl");
        assert_eq!(wheel.name.as_ref(), "requests");
        assert_eq!(wheel.version, Version::from_str("2.31.0").unwrap());
        assert_eq!(wheel.build, None);
        assert_eq!(wheel.tag_string(), "py3-none-any");
        assert_eq!(wheel.to_string(), "requests-2.31.0-py3-none-any.whl");
    }

    #[test]
    fn escaped_name_is_normalized() {
        let wheel = parse("Charset_Normalizer-3.3.2-cp311-cp311-manylinux_2_17_x86_64.whl");
        assert_eq!(wheel.name.as_ref(), "charset-normalizer");
        assert_eq!(
            wheel.to_string(),
            "charset_normalizer-3.3.2-cp311-cp311-manylinux_2_17_x86_64.whl"
        );
        assert_eq!(
            parse("zope.interface-6.0-cp311-cp311-win32.whl")
                .name
                .as_ref(),
            "zope-interface"
        );
    }

    #[test]
    fn build_tags() {
        let wheel = parse("foo-1.0-1-py3-none-any.whl");
        assert_eq!(wheel.build, Some((1, String::new())));
        let wheel = parse("foo-1.0-20b_x-py3-none-any.whl");
        assert_eq!(wheel.build, Some((20, "b_x".to_string())));
        assert_eq!(wheel.to_string(), "foo-1.0-20b_x-py3-none-any.whl");
        insta::assert_snapshot!(
            error("foo-1.0-b1-py3-none-any.whl"),
            @r#"invalid wheel filename "foo-1.0-b1-py3-none-any.whl": build tag "b1" must start with a digit"#
        );
    }

    #[test]
    fn compressed_tag_sets() {
        let wheel = parse(
            "numpy-1.26.4-pp39.pp310-pypy39_pp73.pypy310_pp73-macosx_10_9_x86_64.macosx_11_0_arm64.whl",
        );
        assert_eq!(wheel.python_tags, ["pp39", "pp310"]);
        assert_eq!(wheel.abi_tags, ["pypy39_pp73", "pypy310_pp73"]);
        assert_eq!(wheel.tags().count(), 8);
        let six = parse("six-1.16.0-py2.py3-none-any.whl");
        let tags: Vec<String> = six.tags().map(|tag| tag.to_string()).collect();
        assert_eq!(tags, ["py2-none-any", "py3-none-any"]);
    }

    #[test]
    fn local_version_and_uppercase_tags() {
        let wheel = parse("torch-2.2.0+cpu-cp311-cp311-Linux_X86_64.whl");
        assert_eq!(wheel.version.to_string(), "2.2.0+cpu");
        assert_eq!(wheel.platform_tags, ["linux_x86_64"]);
    }

    #[test]
    fn compatibility_is_the_best_tag() {
        let tags = Tags::from_input(&TagsInput {
            implementation_name: "cpython".to_string(),
            python_version: (3, 11),
            abi_tag: None,
            gil_disabled: false,
            platform: Platform::Linux {
                arch: Arch::X86_64,
                libc: Libc::Glibc {
                    major: 2,
                    minor: 28,
                },
            },
        })
        .unwrap();
        let pure = parse("six-1.16.0-py2.py3-none-any.whl").compatibility(&tags);
        let binary =
            parse("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
                .compatibility(&tags);
        let abi3 =
            parse("cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl").compatibility(&tags);
        assert!(pure.is_some() && binary.is_some() && abi3.is_some());
        assert!(binary > abi3 && abi3 > pure);
        assert_eq!(
            parse("numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl").compatibility(&tags),
            None
        );
        assert_eq!(
            parse("numpy-1.26.4-cp311-cp311-manylinux_2_34_x86_64.whl").compatibility(&tags),
            None
        );
        assert_eq!(parse("foo-1.0-py2-none-any.whl").compatibility(&tags), None);
    }

    #[test]
    fn errors() {
        insta::assert_snapshot!(
            error("foo-1.0-py3-none-any.zip"),
            @r#"invalid wheel filename "foo-1.0-py3-none-any.zip": the extension must be ".whl""#
        );
        insta::assert_snapshot!(
            error("foo-py3-none-any.whl"),
            @r#"invalid wheel filename "foo-py3-none-any.whl": expected NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl (4 or 5 dashes)"#
        );
        insta::assert_snapshot!(
            error("foo-bar-1.0-1-py3-none-any.whl"),
            @r#"invalid wheel filename "foo-bar-1.0-1-py3-none-any.whl": expected NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl (4 or 5 dashes)"#
        );
        insta::assert_snapshot!(
            error("foo-1.0.0.0.x-py3-none-any.whl"),
            @r#"invalid wheel filename "foo-1.0.0.0.x-py3-none-any.whl": invalid version "1.0.0.0.x": after parsing `1.0.0.0`, found `.x`, which is not part of a valid version"#
        );
        insta::assert_snapshot!(
            error("foo__bar-1.0-py3-none-any.whl"),
            @r#"invalid wheel filename "foo__bar-1.0-py3-none-any.whl": invalid package name "foo__bar": escaped names hold only letters, digits, `.` and single `_`"#
        );
        insta::assert_snapshot!(
            error("foo-1.0-py3.-none-any.whl"),
            @r#"invalid wheel filename "foo-1.0-py3.-none-any.whl": the python tag "py3." has an empty component"#
        );
        insta::assert_snapshot!(
            error("-1.0-py3-none-any.whl"),
            @r#"invalid wheel filename "-1.0-py3-none-any.whl": the package name is empty"#
        );
    }
}
