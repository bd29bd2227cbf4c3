//! A file an index lists for a package: a wheel or a source distribution, told apart by name.
//!
//! Like pip's link evaluator, a file counts only when its name belongs to the package the page
//! is for; other files (`.exe` installers, `.egg`, `.msi`, signatures) are not distributions.

use std::fmt;
use std::str::FromStr;

use crate::{PackageName, SourceDistFilename, Version, WheelFilename};

/// A wheel or an sdist filename.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DistFilename {
    Wheel(WheelFilename),
    SourceDist(SourceDistFilename),
}

impl DistFilename {
    /// Parse `filename` as a distribution of `package`. `None` when it is neither a valid
    /// wheel nor a valid sdist filename, or when it names another package.
    pub fn parse(filename: &str, package: &PackageName) -> Option<Self> {
        if filename.ends_with(".whl") {
            let wheel = WheelFilename::from_str(filename).ok()?;
            return (&wheel.name == package).then_some(Self::Wheel(wheel));
        }
        SourceDistFilename::parse(filename, package)
            .ok()
            .map(Self::SourceDist)
    }

    pub fn name(&self) -> &PackageName {
        match self {
            Self::Wheel(wheel) => &wheel.name,
            Self::SourceDist(sdist) => &sdist.name,
        }
    }

    pub fn version(&self) -> &Version {
        match self {
            Self::Wheel(wheel) => &wheel.version,
            Self::SourceDist(sdist) => &sdist.version,
        }
    }
}

impl fmt::Display for DistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Wheel(wheel) => wheel.fmt(f),
            Self::SourceDist(sdist) => sdist.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(filename: &str, package: &str) -> Option<DistFilename> {
        DistFilename::parse(filename, &PackageName::from_str(package).unwrap())
    }

    #[test]
    fn wheels_and_sdists() {
        let wheel = parse("Django-5.0.1-py3-none-any.whl", "django").unwrap();
        assert!(matches!(wheel, DistFilename::Wheel(_)));
        assert_eq!(wheel.name().as_ref(), "django");
        assert_eq!(wheel.version().to_string(), "5.0.1");
        assert_eq!(wheel.to_string(), "django-5.0.1-py3-none-any.whl");

        let sdist = parse("Django-5.0.1.tar.gz", "django").unwrap();
        assert!(matches!(sdist, DistFilename::SourceDist(_)));
        assert_eq!(sdist.version().to_string(), "5.0.1");
    }

    #[test]
    fn other_files_are_not_distributions() {
        assert_eq!(parse("pywin32-306.win-amd64-py3.11.exe", "pywin32"), None);
        assert_eq!(parse("setuptools-0.6c11-py2.7.egg", "setuptools"), None);
        assert_eq!(parse("foo-1.0.tar.gz.asc", "foo"), None);
        assert_eq!(parse("foo-1.0.msi", "foo"), None);
        assert_eq!(parse("foo-1.0-py3-none.whl", "foo"), None);
    }

    #[test]
    fn files_of_another_package_are_skipped() {
        assert_eq!(parse("bar-1.0-py3-none-any.whl", "foo"), None);
        assert_eq!(parse("bar-1.0.tar.gz", "foo"), None);
    }
}
