//! The packages pubgrub solves for: real distributions plus four kinds of virtual ones.
//!
//! - [`SolverPackage::Root`] stands for the user's requirements; its only version depends on them.
//! - [`SolverPackage::Python`] has exactly one version, the target's: every version with a
//!   Requires-Python that excludes the target depends on a Python range the target is not in,
//!   so conflicts name the real reason.
//! - [`SolverPackage::Extra`] is `name[extra]`: its version `v` depends on `name==v` exactly and
//!   on [`SolverPackage::ExtraDependencies`]`==v`, so `pkg` and `pkg[a]` always share a version.
//! - [`SolverPackage::ExtraDependencies`] at `v` depends on what the extra turns on in `name`'s
//!   metadata at `v`. It is split from the extra so that trying `pkg[a]==v` while `pkg` is
//!   already decided at another version conflicts at once, without reading `v`'s metadata: an
//!   extra whose newest version conflicts walks back through its versions for free until pubgrub
//!   backtracks `pkg` itself, instead of fetching (or building) metadata for each old release.
//!   It is shown as `name[extra]`, like the extra.

use std::fmt;

use volley_packaging::{ExtraName, PackageName};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SolverPackage {
    Root,
    Python,
    Package(PackageName),
    Extra(PackageName, ExtraName),
    ExtraDependencies(PackageName, ExtraName),
}

impl SolverPackage {
    /// The distribution behind a real or extra package.
    pub(crate) fn name(&self) -> Option<&PackageName> {
        match self {
            Self::Root | Self::Python => None,
            Self::Package(name) | Self::Extra(name, _) | Self::ExtraDependencies(name, _) => {
                Some(name)
            }
        }
    }
}

impl fmt::Display for SolverPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the requirements"),
            Self::Python => f.write_str("Python"),
            Self::Package(name) => write!(f, "{name}"),
            Self::Extra(name, extra) | Self::ExtraDependencies(name, extra) => {
                write!(f, "{name}[{extra}]")
            }
        }
    }
}
