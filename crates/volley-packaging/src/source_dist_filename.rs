//! Source distribution filenames: `{name}-{version}.tar.gz` / `.zip` (and legacy `.tar.bz2`,
//! `.tgz`, ...). Names may contain `-` in legacy sdists, so parsing needs the package name the
//! index page is for.
//!
//! As pip does (`_extract_version_from_fragment`), the name part ends at the first `-` whose
//! prefix normalizes (PEP 503) to the package name, so `Foo_Bar-1.0`, `foo.bar-1.0` and the
//! legacy `foo-bar-1.0` all belong to `foo-bar`; everything after that `-` is the version.

use std::fmt;
use std::str::FromStr;

use crate::{PackageName, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceDistExtension {
    TarGz,
    Zip,
    TarBz2,
    TarXz,
    Tgz,
    Tar,
    Tbz,
    Txz,
    Tlz,
    TarLz,
    TarLzma,
}

impl SourceDistExtension {
    /// Every extension pip unpacks (its `SUPPORTED_EXTENSIONS` less `.whl`); `.tar.gz` comes
    /// before `.tar`-like suffixes it contains.
    pub const ALL: [Self; 11] = [
        Self::TarGz,
        Self::Zip,
        Self::TarBz2,
        Self::TarXz,
        Self::Tgz,
        Self::Tar,
        Self::Tbz,
        Self::Txz,
        Self::Tlz,
        Self::TarLz,
        Self::TarLzma,
    ];

    /// Split `filename` into its stem and sdist extension, `None` when it has none of them.
    /// Case-sensitive, as pip's `SUPPORTED_EXTENSIONS` check is.
    pub fn split(filename: &str) -> Option<(&str, Self)> {
        Self::ALL.into_iter().find_map(|extension| {
            filename
                .strip_suffix(extension.as_str())
                .map(|stem| (stem, extension))
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TarGz => ".tar.gz",
            Self::Zip => ".zip",
            Self::TarBz2 => ".tar.bz2",
            Self::TarXz => ".tar.xz",
            Self::Tgz => ".tgz",
            Self::Tar => ".tar",
            Self::Tbz => ".tbz",
            Self::Txz => ".txz",
            Self::Tlz => ".tlz",
            Self::TarLz => ".tar.lz",
            Self::TarLzma => ".tar.lzma",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceDistFilename {
    pub name: PackageName,
    pub version: Version,
    pub extension: SourceDistExtension,
}

impl SourceDistFilename {
    /// Parse `filename` as an sdist of `package` (the name its index page is for).
    pub fn parse(filename: &str, package: &PackageName) -> Result<Self, SourceDistFilenameError> {
        let error = |reason: String| SourceDistFilenameError {
            filename: filename.to_string(),
            reason,
        };
        let (stem, extension) = SourceDistExtension::split(filename).ok_or_else(|| {
            error("expected a .tar.gz, .zip, .tar.bz2, .tar.xz, .tgz, .tar, .tbz, .txz, .tlz, .tar.lz or .tar.lzma extension".to_string())
        })?;
        let separator = stem
            .char_indices()
            .filter(|&(_, c)| c == '-')
            .map(|(index, _)| index)
            .find(|&index| PackageName::from_str(&stem[..index]).is_ok_and(|name| &name == package))
            .ok_or_else(|| {
                error(format!(
                    "the name part does not match the package \"{package}\""
                ))
            })?;
        let version = &stem[separator + 1..];
        let version = Version::from_str(version)
            .map_err(|err| error(format!("invalid version \"{version}\": {err}")))?;
        Ok(Self {
            name: package.clone(),
            version,
            extension,
        })
    }
}

impl fmt::Display for SourceDistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}{}",
            self.name,
            self.version,
            self.extension.as_str()
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid source distribution filename \"{filename}\": {reason}")]
pub struct SourceDistFilenameError {
    pub filename: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(name: &str) -> PackageName {
        PackageName::from_str(name).unwrap()
    }

    fn parse(filename: &str, package: &str) -> Result<SourceDistFilename, String> {
        SourceDistFilename::parse(filename, &name(package)).map_err(|err| err.to_string())
    }

    #[test]
    fn every_extension() {
        for (filename, extension) in [
            ("foo-1.0.tar.gz", SourceDistExtension::TarGz),
            ("foo-1.0.zip", SourceDistExtension::Zip),
            ("foo-1.0.tar.bz2", SourceDistExtension::TarBz2),
            ("foo-1.0.tar.xz", SourceDistExtension::TarXz),
            ("foo-1.0.tgz", SourceDistExtension::Tgz),
            ("foo-1.0.tar", SourceDistExtension::Tar),
            ("foo-1.0.tbz", SourceDistExtension::Tbz),
            ("foo-1.0.txz", SourceDistExtension::Txz),
            ("foo-1.0.tlz", SourceDistExtension::Tlz),
            ("foo-1.0.tar.lz", SourceDistExtension::TarLz),
            ("foo-1.0.tar.lzma", SourceDistExtension::TarLzma),
        ] {
            let sdist = parse(filename, "foo").unwrap();
            assert_eq!(sdist.extension, extension, "{filename}");
            assert_eq!(sdist.version, Version::from_str("1.0").unwrap());
            assert_eq!(sdist.to_string(), filename);
        }
    }

    #[test]
    fn legacy_names_normalize_to_the_package() {
        for filename in [
            "foo-bar-2.0.tar.gz",
            "foo_bar-2.0.tar.gz",
            "Foo.Bar-2.0.tar.gz",
            "FOO_bar-2.0.tar.gz",
        ] {
            let sdist = parse(filename, "foo-bar").unwrap();
            assert_eq!(sdist.name.as_ref(), "foo-bar", "{filename}");
            assert_eq!(sdist.version.to_string(), "2.0", "{filename}");
        }
    }

    #[test]
    fn version_may_hold_dashes_after_the_name() {
        // pip splits at the first `-` whose prefix is the package: the rest is the version.
        let sdist = parse("foo-1.0-post1.tar.gz", "foo").unwrap();
        assert_eq!(sdist.version, Version::from_str("1.0.post1").unwrap());
        let sdist = parse("foo-2-1.0rc1.zip", "foo-2").unwrap();
        assert_eq!(sdist.version.to_string(), "1.0rc1");
    }

    #[test]
    fn errors() {
        insta::assert_snapshot!(
            parse("foo-1.0.exe", "foo").unwrap_err(),
            @r#"invalid source distribution filename "foo-1.0.exe": expected a .tar.gz, .zip, .tar.bz2, .tar.xz, .tgz, .tar, .tbz, .txz, .tlz, .tar.lz or .tar.lzma extension"#
        );
        insta::assert_snapshot!(
            parse("foobar-1.0.tar.gz", "foo").unwrap_err(),
            @r#"invalid source distribution filename "foobar-1.0.tar.gz": the name part does not match the package "foo""#
        );
        insta::assert_snapshot!(
            parse("foo-latest.tar.gz", "foo").unwrap_err(),
            @r#"invalid source distribution filename "foo-latest.tar.gz": invalid version "latest": expected version to start with a number, but no leading ASCII digits were found"#
        );
        insta::assert_snapshot!(
            parse("foo.tar.gz", "foo").unwrap_err(),
            @r#"invalid source distribution filename "foo.tar.gz": the name part does not match the package "foo""#
        );
    }
}
