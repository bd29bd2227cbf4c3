//! The seam between the resolver and the outside world: what it asks about packages.
//!
//! The binary implements [`Provider`] over the index client and the download collection; tests
//! implement it in memory. The resolver never does IO itself: every fact it needs about a package
//! comes through these calls, and the two notification hooks let the implementation fetch ahead
//! of the solver (index pages of newly seen names, wheels of decided versions).

use std::sync::Arc;

use volley_packaging::{PackageName, Requirement, Version, VersionSpecifiers};

/// Where the resolver gets versions and metadata.
///
/// Calls come from the one thread that runs [`crate::resolve`], in solver order; they may block.
pub trait Provider: Send + Sync {
    /// All versions of a package that the index offers, with the facts the resolver needs to
    /// choose among them. An unknown package is an empty list, not an error.
    fn versions(&self, name: &PackageName) -> Result<Arc<[Candidate]>, ProviderError>;

    /// Core metadata of one version (dependencies, Requires-Python).
    ///
    /// Also asked for an already-installed version that the resolver keeps
    /// ([`crate::ResolverOptions::installed`]), which the index may not list: answer it from the
    /// installed distribution's `METADATA`.
    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CandidateMetadata>, ProviderError>;

    /// Called when the solver decides a version from the index, tentatively: it may backtrack
    /// later. Start the download here. Not called for a kept installed version.
    fn on_decision(&self, _name: &PackageName, _version: &Version) {}

    /// Called when the solver walks back through the versions of `name` (it rejected newer
    /// ones in this run) with the versions it will likely try next, newest first: fetch their
    /// metadata ahead, so that a long walk does not wait on one fetch at a time.
    fn prefetch_metadata(&self, _name: &PackageName, _versions: &[Version]) {}

    /// Called with the names of a dependency list (or of the user's requirements) that the
    /// resolver had not seen before, once per name, before it asks anything about them: start
    /// fetching their index pages.
    fn on_discovered(&self, _names: &[PackageName]) {}
}

/// One version of a package as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub version: Version,
    /// Every file of this version is yanked (PEP 592).
    pub yanked: bool,
    /// `data-requires-python` / `requires-python` from the index file entries, when present.
    pub requires_python: Option<VersionSpecifiers>,
    /// A wheel of this version is installable on the target (its tags match).
    pub has_compatible_wheel: bool,
    /// The provider's rank of the best compatible wheel (its tag priority), for choosing among a
    /// version's files; the resolver chooses versions and does not use it.
    pub best_wheel_priority: Option<u32>,
    /// The version has a source distribution.
    pub has_sdist: bool,
}

impl Candidate {
    /// A version with a compatible wheel and nothing else to say: not yanked, no Requires-Python,
    /// no sdist.
    pub fn wheel(version: Version) -> Self {
        Self {
            version,
            yanked: false,
            requires_python: None,
            has_compatible_wheel: true,
            best_wheel_priority: Some(0),
            has_sdist: false,
        }
    }
}

/// What the resolver reads from a version's core metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateMetadata {
    /// `Requires-Dist`, markers unevaluated.
    pub requires_dist: Vec<Requirement>,
    /// `Requires-Python`.
    pub requires_python: Option<VersionSpecifiers>,
}

/// A provider failure (network, parsing), shown to the user as is; it ends the resolution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    message: String,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}
