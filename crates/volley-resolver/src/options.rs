//! What the user asked for besides the requirements: target, pre-releases, constraints, what is
//! installed, upgrade and binary policies. The binary builds one [`ResolverOptions`] from the
//! command line and the target interpreter.

use std::collections::BTreeSet;

use volley_packaging::{MarkerEnvironment, PackageName, Requirement, Version};

/// Everything besides the requirements that decides a resolution.
#[derive(Debug, Clone)]
pub struct ResolverOptions {
    /// The target interpreter's marker environment; requirement markers are evaluated with it.
    pub markers: MarkerEnvironment,
    /// The target's full Python version (`3.11.4`), checked against Requires-Python. Like pip,
    /// only its release part counts (a `3.13.0rc1` target is treated as `3.13.0`).
    pub python_version: Version,
    pub prerelease: PrereleaseMode,
    /// `-c` constraints: they limit the versions of the packages they name when those packages
    /// are needed, and never add a package. Markers are evaluated; extras and URLs are ignored.
    pub constraints: Vec<Requirement>,
    /// Distributions already in the target environment. A version that satisfies everything is
    /// kept instead of a newer one, unless [`Self::upgrade`] covers it or [`Self::reinstall`].
    pub installed: Vec<(PackageName, Version)>,
    pub upgrade: Upgrade,
    /// `--force-reinstall`: ignore what is installed and choose as if nothing were.
    pub reinstall: bool,
    /// `--no-deps`: resolve only the requirements themselves, not their dependencies (the
    /// Requires-Python of the chosen versions still applies).
    pub no_deps: bool,
    pub binary: BinaryPolicy,
}

impl ResolverOptions {
    /// Options with pip's defaults for a target: no pre-releases, nothing installed, no
    /// constraints, wheels preferred only by version.
    pub fn new(markers: MarkerEnvironment, python_version: Version) -> Self {
        Self {
            markers,
            python_version,
            prerelease: PrereleaseMode::default(),
            constraints: Vec::new(),
            installed: Vec::new(),
            upgrade: Upgrade::default(),
            reinstall: false,
            no_deps: false,
            binary: BinaryPolicy::default(),
        }
    }
}

/// Whether pre-releases may be chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PrereleaseMode {
    /// pip's rule: a pre-release (or development release) of a package is chosen only if a
    /// requirement on it names a pre-release (`>=2.0b1`), or no final release of it fits.
    #[default]
    Disallow,
    /// `--pre`: pre-releases compete with final releases by version.
    Allow,
}

/// Which installed packages may be replaced by a newer version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Upgrade {
    /// Keep every installed version that fits (pip without `-U`).
    #[default]
    None,
    /// Choose the newest version of everything (`-U --upgrade-strategy eager`).
    All,
    /// Choose the newest version of these packages and keep the others (`-U` with pip's default
    /// `only-if-needed` strategy passes the names of the user's requirements here).
    Packages(BTreeSet<PackageName>),
}

impl Upgrade {
    pub(crate) fn covers(&self, name: &PackageName) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Packages(names) => names.contains(name),
        }
    }
}

/// A set of package names from `--only-binary` / `--no-binary`: `:all:` or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameSet {
    All,
    Names(BTreeSet<PackageName>),
}

impl Default for NameSet {
    fn default() -> Self {
        Self::Names(BTreeSet::new())
    }
}

impl NameSet {
    fn names(&self, name: &PackageName) -> bool {
        matches!(self, Self::Names(names) if names.contains(name))
    }
}

/// Which kinds of files may be installed, per package (pip's `FormatControl`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryPolicy {
    /// Packages that must come from a wheel; their sdist-only versions are skipped.
    pub only_binary: NameSet,
    /// Packages that must be built from source; their wheels are ignored.
    pub no_binary: NameSet,
    /// `--prefer-binary`: the newest version with a compatible wheel beats a newer sdist-only one.
    pub prefer_binary: bool,
}

/// The kinds of files a package may be installed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AllowedFormats {
    pub(crate) binary: bool,
    pub(crate) source: bool,
}

impl BinaryPolicy {
    /// pip's precedence: a name listed in `only_binary`, then a name listed in `no_binary`, then
    /// `:all:` in `only_binary`, then `:all:` in `no_binary`.
    pub(crate) fn allowed(&self, name: &PackageName) -> AllowedFormats {
        let both = AllowedFormats {
            binary: true,
            source: true,
        };
        if self.only_binary.names(name) {
            AllowedFormats {
                source: false,
                ..both
            }
        } else if self.no_binary.names(name) {
            AllowedFormats {
                binary: false,
                ..both
            }
        } else if self.only_binary == NameSet::All {
            AllowedFormats {
                source: false,
                ..both
            }
        } else if self.no_binary == NameSet::All {
            AllowedFormats {
                binary: false,
                ..both
            }
        } else {
            both
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn names(list: &[&str]) -> NameSet {
        NameSet::Names(
            list.iter()
                .map(|name| PackageName::from_str(name).unwrap())
                .collect(),
        )
    }

    #[test]
    fn format_precedence_follows_pip() {
        let numpy = PackageName::from_str("numpy").unwrap();
        let policy = BinaryPolicy {
            only_binary: NameSet::All,
            no_binary: names(&["numpy"]),
            prefer_binary: false,
        };
        assert_eq!(
            policy.allowed(&numpy),
            AllowedFormats {
                binary: false,
                source: true
            }
        );
        let policy = BinaryPolicy {
            only_binary: names(&["numpy"]),
            no_binary: names(&["numpy"]),
            prefer_binary: false,
        };
        assert_eq!(
            policy.allowed(&numpy),
            AllowedFormats {
                binary: true,
                source: false
            }
        );
        let policy = BinaryPolicy {
            only_binary: NameSet::All,
            no_binary: NameSet::All,
            prefer_binary: false,
        };
        assert!(!policy.allowed(&numpy).source);
        assert_eq!(
            BinaryPolicy::default().allowed(&numpy),
            AllowedFormats {
                binary: true,
                source: true
            }
        );
    }
}
