//! The pubgrub `DependencyProvider`: pip's candidate rules on top of a [`Provider`].
//!
//! Start at [`Solver::choose_version`] (which version of a package to try next) and
//! [`Solver::get_dependencies`] (what a chosen version needs). pubgrub itself only sees version
//! ranges; everything PEP 440 ranges cannot say is decided in candidate selection, in pip's order
//! (`PackageFinder` then the resolvelib factory):
//!
//! 1. files: a version is usable if it has a compatible wheel (unless `--no-binary` covers the
//!    package) or an sdist (unless `--only-binary` covers it), and its index Requires-Python
//!    admits the target;
//! 2. pre-releases: skipped unless `--pre`, a specifier in play on the package names a
//!    pre-release, or no usable final release satisfies the requirements on the package. A
//!    specifier is in play while its range holds pubgrub's range: one that came with a version
//!    since rejected (`httpx<1.0.0dev` from a `google-genai` that lost) allows nothing. pip tests
//!    the second rule against the
//!    combined specifier of the requirements in play; pubgrub's range also lacks the versions it
//!    ruled out by conflicts, so that test runs against the intersection of the requirement ranges
//!    seen for the package that contain pubgrub's range (those of the active requirements among
//!    them). A final that failed thus still counts, and backtracking does not slide into
//!    pre-releases that pip would never have offered;
//! 3. yanked: skipped unless every remaining version is yanked and the package is pinned with
//!    `==`/`===` (pip's reading of PEP 592);
//! 4. order: the installed version first when it fits and no upgrade covers the package, then the
//!    newest version (with `--prefer-binary`, the newest one with a wheel first).
//!
//! Requires-Python is a dependency on the virtual `Python` package (see [`SolverPackage`]), so a
//! conflict explains itself. When nothing usable is left but a version that only Requires-Python
//! excludes, that version is offered anyway: its `Python` dependency fails at once and the report
//! says why. What selection skipped is remembered in [`Skipped`] for the hints of a failed
//! resolution.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use pubgrub::{Dependencies, DependencyProvider, PackageResolutionStatistics, Ranges};
use rustc_hash::{FxHashMap, FxHashSet};
use volley_packaging::{
    ExtraName, PackageName, Requirement, Version, VersionOrUrl, VersionSpecifiers,
};

use crate::options::{AllowedFormats, PrereleaseMode, ResolverOptions};
use crate::package::SolverPackage;
use crate::provider::{Candidate, CandidateMetadata, Provider, ProviderError};
use crate::range::{is_pin, names_prerelease, specifiers_range};

/// Why pubgrub may not use a version, beyond ranges (pubgrub's custom incompatibility). Displayed
/// as a predicate of the version: "foo==2.0 {reason}".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// The version's metadata declares a dependency by direct URL, which an index-based
    /// resolution cannot satisfy.
    UrlDependency(String),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UrlDependency(requirement) => write!(
                f,
                "depends on `{requirement}` (a direct URL, which volley cannot resolve yet)"
            ),
        }
    }
}

/// Versions that candidate selection passed over, per package, for the hints of a report.
#[derive(Debug, Default)]
pub(crate) struct Skipped {
    /// Pre-releases not allowed by pip's rule.
    pub(crate) prereleases: BTreeMap<PackageName, BTreeSet<Version>>,
    pub(crate) yanked: BTreeMap<PackageName, BTreeSet<Version>>,
    /// Versions whose files the binary policy or the target's tags rule out.
    pub(crate) no_usable_file: BTreeMap<PackageName, BTreeSet<Version>>,
    /// Versions whose Requires-Python excludes the target, with that Requires-Python.
    pub(crate) requires_python: BTreeMap<PackageName, BTreeMap<Version, VersionSpecifiers>>,
}

/// An edge of the resolved graph: `dependent` (at a chosen version) needs `name`.
type Edges = FxHashMap<(SolverPackage, Version), Vec<PackageName>>;

/// State that grows as pubgrub asks questions; behind a `RefCell` because pubgrub's provider
/// methods take `&self`.
#[derive(Default)]
struct State {
    /// Each package's candidates, newest first, one per version.
    versions: FxHashMap<PackageName, Arc<[Candidate]>>,
    metadata: FxHashMap<(PackageName, Version), Arc<CandidateMetadata>>,
    /// Names in the order they were first seen: breadth-first priority.
    discovered: FxHashMap<PackageName, usize>,
    /// The ranges of the requirements on the package whose specifiers name a pre-release
    /// (packaging's `SpecifierSet.prereleases`). Only those still in play allow pre-releases:
    /// see [`Solver::select`].
    prerelease_ranges: FxHashMap<PackageName, Vec<Ranges<Version>>>,
    /// A specifier on the package pinned it with `==`/`===`.
    pinned: FxHashSet<PackageName>,
    /// Every range a requirement (or constraint) put on the package, deduplicated.
    requirement_ranges: FxHashMap<PackageName, Vec<Ranges<Version>>>,
    /// The version each package is decided at in the current run, which its extras follow.
    /// Set when pubgrub takes a version; dropped when pubgrub asks for the package's priority,
    /// which it only does for undecided packages (after a backtrack undid the decision).
    decided: FxHashMap<PackageName, Version>,
    /// The range pubgrub last gave an undecided package when asking for its priority: what the
    /// decisions so far leave of it.
    allowed: FxHashMap<PackageName, Ranges<Version>>,
    /// The versions of each package chosen in the current run.
    tried: FxHashMap<PackageName, FxHashSet<Version>>,
    conflicts: Conflicts,
    edges: Edges,
    skipped: Skipped,
}

/// How often a package's versions were rejected because of another package's decision, and
/// what that taught about the order to decide them in.
///
/// pubgrub does not undo a decision because a later package walks down its versions: with
/// `cryptography` decided at its newest, `pyopenssl` is tried release after release (each
/// newer one requires an older `cryptography`) until one from years ago without the bound fits.
/// pip and uv avoid that by deciding such a package before the one that keeps rejecting it.
/// Here, a version whose dependency range excludes what another package is decided at counts
/// once for the rejected package (affected) and once for the decided one (culprit). At
/// [`CONFLICT_THRESHOLD`], the affected package is decided earlier from then on, and the
/// culprit later; since pubgrub cannot be told to undo one decision, the solve then starts
/// over with the new order (everything fetched so far is kept, so a restart costs only solver
/// time). Each package moves at most once per direction, so restarts are bounded.
#[derive(Default)]
struct Conflicts {
    affected: FxHashMap<PackageName, u32>,
    culprit: FxHashMap<PackageName, u32>,
    order: FxHashMap<PackageName, ConflictOrder>,
    /// A culprit was moved later: the current run should stop and start again.
    restart: bool,
    restarts: u32,
}

/// Rejections past which a package's place in the decision order changes (uv's threshold).
const CONFLICT_THRESHOLD: u32 = 5;

/// Restarts past which the order still changes but the current run goes on.
const MAX_RESTARTS: u32 = 64;

/// Where conflicts moved a package in the decision order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ConflictOrder {
    /// Often the decided package that rejected others: decided after everything else.
    Late,
    /// Often rejected: decided before the packages that rejected it.
    Early,
}

pub(crate) struct Solver<'a> {
    requirements: Vec<&'a Requirement>,
    options: &'a ResolverOptions,
    provider: &'a dyn Provider,
    /// The target Python, release part only.
    python: Version,
    installed: FxHashMap<PackageName, Version>,
    /// Constraints whose markers hold, one range per name.
    constraints: FxHashMap<PackageName, Ranges<Version>>,
    /// Names the user's requirements mention.
    direct: FxHashSet<PackageName>,
    state: RefCell<State>,
}

/// The version of the virtual root package.
pub(crate) fn root_version() -> Version {
    Version::new([0])
}

/// A failure that ends the resolution (pubgrub's provider error type).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SolverError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The decision order changed (see [`Conflicts`]): start the solve again.
    #[error("the decision order changed")]
    Restart,
}

impl<'a> Solver<'a> {
    /// `requirements` are the user's, with markers already true for the target and no URLs.
    pub(crate) fn new(
        requirements: Vec<&'a Requirement>,
        options: &'a ResolverOptions,
        provider: &'a dyn Provider,
    ) -> Self {
        let mut state = State::default();
        let mut constraints: FxHashMap<PackageName, Ranges<Version>> = FxHashMap::default();
        for constraint in &options.constraints {
            if !constraint.evaluate_markers(&options.markers, &[]) {
                continue;
            }
            let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &constraint.version_or_url
            else {
                continue;
            };
            note_specifiers(&mut state, &constraint.name, specifiers);
            let range = specifiers_range(specifiers);
            constraints
                .entry(constraint.name.clone())
                .and_modify(|existing| *existing = existing.intersection(&range))
                .or_insert(range);
        }
        let direct = requirements
            .iter()
            .map(|requirement| requirement.name.clone())
            .collect();
        let installed = if options.reinstall {
            FxHashMap::default()
        } else {
            options.installed.iter().cloned().collect()
        };
        Self {
            requirements,
            options,
            provider,
            python: options.python_version.only_release(),
            installed,
            constraints,
            direct,
            state: RefCell::new(state),
        }
    }

    pub(crate) fn python(&self) -> &Version {
        &self.python
    }

    pub(crate) fn constraints(&self) -> &FxHashMap<PackageName, Ranges<Version>> {
        &self.constraints
    }

    pub(crate) fn is_direct(&self, name: &PackageName) -> bool {
        self.direct.contains(name)
    }

    /// The installed version of a package when the resolver may keep it.
    pub(crate) fn installed(&self, name: &PackageName) -> Option<&Version> {
        self.installed.get(name)
    }

    pub(crate) fn take_skipped(&self) -> Skipped {
        std::mem::take(&mut self.state.borrow_mut().skipped)
    }

    pub(crate) fn take_edges(&self) -> Edges {
        std::mem::take(&mut self.state.borrow_mut().edges)
    }

    /// Every version of a package the resolver knows (index and installed), oldest first.
    pub(crate) fn known_versions(&self, name: &PackageName) -> Vec<Version> {
        let state = self.state.borrow();
        let mut versions: Vec<Version> = state
            .versions
            .get(name)
            .map(|candidates| candidates.iter().map(|c| c.version.clone()).collect())
            .unwrap_or_default();
        versions.extend(self.installed.get(name).cloned());
        versions.sort();
        versions.dedup();
        versions
    }

    /// The index's entry for one version, if the index lists it.
    pub(crate) fn candidate(&self, name: &PackageName, version: &Version) -> Option<Candidate> {
        let state = self.state.borrow();
        state
            .versions
            .get(name)?
            .iter()
            .find(|candidate| candidate.version == *version)
            .cloned()
    }

    pub(crate) fn allowed_formats(&self, name: &PackageName) -> AllowedFormats {
        self.options.binary.allowed(name)
    }

    /// Announce names not seen before to the provider, in the order given.
    pub(crate) fn discover<'n>(&self, names: impl IntoIterator<Item = &'n PackageName>) {
        let mut fresh = Vec::new();
        {
            let mut state = self.state.borrow_mut();
            for name in names {
                let next = state.discovered.len();
                if let std::collections::hash_map::Entry::Vacant(entry) =
                    state.discovered.entry(name.clone())
                {
                    entry.insert(next);
                    fresh.push(name.clone());
                }
            }
        }
        if !fresh.is_empty() {
            self.provider.on_discovered(&fresh);
        }
    }

    fn versions(&self, name: &PackageName) -> Result<Arc<[Candidate]>, ProviderError> {
        if let Some(candidates) = self.state.borrow().versions.get(name) {
            return Ok(candidates.clone());
        }
        let mut candidates: Vec<Candidate> = self.provider.versions(name)?.to_vec();
        candidates.sort_by(|a, b| b.version.cmp(&a.version));
        // One entry per version (`1.0` and `1.0.0` are the same one): merge what the files say.
        candidates.dedup_by(|duplicate, kept| {
            if duplicate.version != kept.version {
                return false;
            }
            kept.yanked &= duplicate.yanked;
            kept.has_compatible_wheel |= duplicate.has_compatible_wheel;
            kept.has_sdist |= duplicate.has_sdist;
            kept.best_wheel_priority = kept.best_wheel_priority.max(duplicate.best_wheel_priority);
            if kept.requires_python.is_none() {
                kept.requires_python = duplicate.requires_python.take();
            }
            true
        });
        let candidates: Arc<[Candidate]> = candidates.into();
        self.state
            .borrow_mut()
            .versions
            .insert(name.clone(), candidates.clone());
        Ok(candidates)
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CandidateMetadata>, ProviderError> {
        let key = (name.clone(), version.clone());
        if let Some(metadata) = self.state.borrow().metadata.get(&key) {
            return Ok(metadata.clone());
        }
        let metadata = self.provider.metadata(name, version)?;
        self.state
            .borrow_mut()
            .metadata
            .insert(key, metadata.clone());
        Ok(metadata)
    }

    /// Whether `version` of `name` is the installed one and stays installed.
    fn keeps_installed(&self, name: &PackageName, version: &Version) -> bool {
        self.installed.get(name) == Some(version)
    }

    /// pip's choice among the versions of `name` in `range` (see the module doc). `record`
    /// remembers what was skipped, for the hints; extras choose without it.
    fn select(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        record: bool,
    ) -> Result<Option<Version>, ProviderError> {
        let installed = self
            .installed
            .get(name)
            .filter(|version| range.contains(*version));
        if let Some(installed) = installed
            && !self.options.upgrade.covers(name)
        {
            return Ok(Some(installed.clone()));
        }

        let candidates = self.versions(name)?;
        let formats = self.allowed_formats(name);
        let has_file = |candidate: &Candidate| {
            (formats.binary && candidate.has_compatible_wheel)
                || (formats.source && candidate.has_sdist)
        };
        let python_fits = |candidate: &Candidate| {
            candidate
                .requires_python
                .as_ref()
                .is_none_or(|specifiers| specifiers.contains(&self.python))
        };
        let in_range: Vec<&Candidate> = candidates
            .iter()
            .filter(|candidate| range.contains(&candidate.version))
            .collect();
        let usable: Vec<&Candidate> = in_range
            .iter()
            .copied()
            .filter(|candidate| has_file(candidate) && python_fits(candidate))
            .collect();

        let (allow_prerelease, pinned) = {
            let state = self.state.borrow();
            // A requirement whose range does not hold pubgrub's range is not in play: the
            // version that made it was rejected, and its specifier no longer speaks.
            let named = state
                .prerelease_ranges
                .get(name)
                .is_some_and(|ranges| ranges.iter().any(|named| range.subset_of(named)));
            let allow = self.options.prerelease == PrereleaseMode::Allow || named || {
                let requested = state
                    .requirement_ranges
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter(|requirement| range.subset_of(requirement))
                    .fold(Ranges::full(), |all, requirement| {
                        all.intersection(requirement)
                    });
                !candidates.iter().any(|candidate| {
                    !candidate.version.any_prerelease()
                        && requested.contains(&candidate.version)
                        && has_file(candidate)
                        && python_fits(candidate)
                })
            };
            (allow, state.pinned.contains(name))
        };
        let applicable: Vec<&Candidate> = usable
            .iter()
            .copied()
            .filter(|candidate| allow_prerelease || !candidate.version.any_prerelease())
            .collect();
        let allow_yanked =
            pinned && !applicable.is_empty() && applicable.iter().all(|candidate| candidate.yanked);
        let eligible = || {
            applicable
                .iter()
                .copied()
                .filter(|candidate| allow_yanked || !candidate.yanked)
        };
        let best = if self.options.binary.prefer_binary && formats.binary {
            eligible()
                .find(|candidate| candidate.has_compatible_wheel)
                .or_else(|| eligible().next())
        } else {
            eligible().next()
        };

        if record {
            let mut state = self.state.borrow_mut();
            for candidate in &in_range {
                let version = &candidate.version;
                if !has_file(candidate) {
                    insert(&mut state.skipped.no_usable_file, name, version);
                } else if !python_fits(candidate) {
                    // Recorded when its `Python` dependency is returned.
                } else if !allow_prerelease && version.any_prerelease() {
                    insert(&mut state.skipped.prereleases, name, version);
                } else if candidate.yanked && !allow_yanked {
                    insert(&mut state.skipped.yanked, name, version);
                }
            }
        }

        if let Some(installed) = installed {
            // An upgrade covers the package: the installed version competes by version, and
            // wins a tie (pip replaces the index's candidate of the same version).
            if best.is_none_or(|best| best.version <= *installed) {
                return Ok(Some(installed.clone()));
            }
        }
        if let Some(best) = best {
            return Ok(Some(best.version.clone()));
        }
        // Nothing usable: offer a version that only Requires-Python rules out, so that the
        // report can say so.
        Ok(in_range
            .iter()
            .find(|candidate| {
                has_file(candidate)
                    && !python_fits(candidate)
                    && !candidate.yanked
                    && (allow_prerelease || !candidate.version.any_prerelease())
            })
            .map(|candidate| candidate.version.clone()))
    }

    /// The dependencies of `requirement` as pubgrub terms, or `Err` with the requirement's text
    /// when it names a URL.
    fn requirement_terms(
        &self,
        requirement: &Requirement,
        terms: &mut Vec<(SolverPackage, Ranges<Version>)>,
    ) -> Result<(), String> {
        let range = match &requirement.version_or_url {
            None => Ranges::full(),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                note_specifiers(&mut self.state.borrow_mut(), &requirement.name, specifiers);
                specifiers_range(specifiers)
            }
            Some(VersionOrUrl::Url(_)) => return Err(requirement.to_string()),
        };
        let name = &requirement.name;
        for extra in &requirement.extras {
            terms.push((
                SolverPackage::Extra(name.clone(), extra.clone()),
                range.clone(),
            ));
        }
        let mut state = self.state.borrow_mut();
        if let Some(constraint) = self.constraints.get(name)
            && !range.subset_of(constraint)
        {
            note_range(&mut state, name, constraint);
            terms.push((SolverPackage::Package(name.clone()), constraint.clone()));
        }
        note_range(&mut state, name, &range);
        terms.push((SolverPackage::Package(name.clone()), range));
        Ok(())
    }

    /// The Requires-Python that excludes the target for this version, if any.
    fn python_conflict(
        &self,
        name: &PackageName,
        version: &Version,
        metadata: Option<&CandidateMetadata>,
    ) -> Option<VersionSpecifiers> {
        if self.keeps_installed(name, version) {
            return None;
        }
        let excludes = |specifiers: &&VersionSpecifiers| !specifiers.contains(&self.python);
        let from_index = self
            .candidate(name, version)
            .and_then(|candidate| candidate.requires_python)
            .filter(|specifiers| excludes(&specifiers));
        from_index.or_else(|| {
            metadata
                .and_then(|metadata| metadata.requires_python.as_ref())
                .filter(excludes)
                .cloned()
        })
    }

    /// A dependency list that only says "needs a Python the target is not".
    fn python_dependency(
        &self,
        name: &PackageName,
        version: &Version,
        requires_python: VersionSpecifiers,
    ) -> Dependencies<SolverPackage, Ranges<Version>, Unusable> {
        let range = specifiers_range(&requires_python);
        self.state
            .borrow_mut()
            .skipped
            .requires_python
            .entry(name.clone())
            .or_default()
            .insert(version.clone(), requires_python);
        Dependencies::Available([(SolverPackage::Python, range)].into_iter().collect())
    }

    /// Dependencies of `name[extra]==version`: the base at that very version, and what the extra
    /// turns on (behind [`SolverPackage::ExtraDependencies`], so no metadata is read for an extra
    /// version that its decided base already rules out).
    fn extra_dependencies(
        &self,
        name: &PackageName,
        extra: &ExtraName,
        version: &Version,
    ) -> Dependencies<SolverPackage, Ranges<Version>, Unusable> {
        let exactly = Ranges::singleton(version.clone());
        let mut terms = vec![(SolverPackage::Package(name.clone()), exactly.clone())];
        if !self.options.no_deps {
            terms.push((
                SolverPackage::ExtraDependencies(name.clone(), extra.clone()),
                exactly,
            ));
        }
        Dependencies::Available(terms.into_iter().collect())
    }

    /// Dependencies of a real package version (`extra` unset), or what one of its extras adds
    /// (`package` is then [`SolverPackage::ExtraDependencies`]).
    fn package_dependencies(
        &self,
        package: &SolverPackage,
        name: &PackageName,
        extra: Option<&ExtraName>,
        version: &Version,
    ) -> Result<Dependencies<SolverPackage, Ranges<Version>, Unusable>, SolverError> {
        if extra.is_none()
            && let Some(requires_python) = self.python_conflict(name, version, None)
        {
            return Ok(self.python_dependency(name, version, requires_python));
        }

        let metadata = self.metadata(name, version)?;
        if extra.is_none() {
            if let Some(requires_python) = self.python_conflict(name, version, Some(&metadata)) {
                return Ok(self.python_dependency(name, version, requires_python));
            }
            if self.options.no_deps {
                return Ok(Dependencies::Available(Default::default()));
            }
        }

        let markers = &self.options.markers;
        let mut terms = Vec::new();
        let mut edges = Vec::new();
        for requirement in &metadata.requires_dist {
            let applies = match extra {
                None => requirement.evaluate_markers(markers, &[]),
                // Only what the extra adds: the rest comes through the base package.
                Some(extra) => {
                    requirement.evaluate_markers(markers, std::slice::from_ref(extra))
                        && !requirement.evaluate_markers(markers, &[])
                }
            };
            if !applies {
                continue;
            }
            if let Err(text) = self.requirement_terms(requirement, &mut terms) {
                return Ok(Dependencies::Unavailable(Unusable::UrlDependency(text)));
            }
            edges.push(requirement.name.clone());
        }
        // `kit` listing `kit`, or `kit[all]` listing `kit[all]`, says nothing, and pubgrub does
        // not take a package depending on itself.
        let itself = extra.map(|extra| SolverPackage::Extra(name.clone(), extra.clone()));
        terms
            .retain(|(dependency, _)| dependency != package && Some(dependency) != itself.as_ref());
        self.count_conflicts(name, &terms);
        self.discover(edges.iter());
        self.state
            .borrow_mut()
            .edges
            .insert((package.clone(), version.clone()), edges);
        Ok(Dependencies::Available(terms.into_iter().collect()))
    }

    /// Count the dependencies of a version of `name` that exclude what their package is decided
    /// at (see [`Conflicts`]); ask for a restart when a culprit moves later.
    fn count_conflicts(&self, name: &PackageName, terms: &[(SolverPackage, Ranges<Version>)]) {
        let mut state = self.state.borrow_mut();
        let State {
            decided,
            allowed,
            conflicts,
            ..
        } = &mut *state;
        for (dependency, range) in terms {
            let SolverPackage::Package(culprit) = dependency else {
                continue;
            };
            // Excluded by a decision, or by what decisions left of an undecided package (a
            // lockstep `core==40` that a decided `web==40` requires).
            let excluded = match decided.get(culprit) {
                Some(version) => !range.contains(version),
                None => allowed
                    .get(culprit)
                    .is_some_and(|allowed| allowed.intersection(range) == Ranges::empty()),
            };
            if culprit == name || !excluded {
                continue;
            }
            let affected = conflicts.affected.entry(name.clone()).or_default();
            *affected += 1;
            if *affected >= CONFLICT_THRESHOLD
                && conflicts.order.get(name) != Some(&ConflictOrder::Early)
            {
                tracing::debug!(
                    "{name} was rejected {affected} times by what others were decided at: \
                     deciding it earlier"
                );
                conflicts.order.insert(name.clone(), ConflictOrder::Early);
                conflicts.restart |= conflicts.restarts < MAX_RESTARTS;
            }
            let blamed = conflicts.culprit.entry(culprit.clone()).or_default();
            *blamed += 1;
            if *blamed >= CONFLICT_THRESHOLD && !conflicts.order.contains_key(culprit) {
                tracing::debug!(
                    "the version {culprit} was decided at rejected others {blamed} times: \
                     deciding it last"
                );
                conflicts.order.insert(culprit.clone(), ConflictOrder::Late);
                conflicts.restart |= conflicts.restarts < MAX_RESTARTS;
            }
        }
    }

    /// Whether the current run should stop and start again with a new decision order; counts
    /// the restart.
    pub(crate) fn take_restart(&self) -> bool {
        let mut state = self.state.borrow_mut();
        if !state.conflicts.restart {
            return false;
        }
        state.conflicts.restart = false;
        state.conflicts.restarts += 1;
        tracing::debug!(
            "starting the solve again with the new decision order (restart {})",
            state.conflicts.restarts
        );
        state.decided.clear();
        state.allowed.clear();
        state.tried.clear();
        true
    }

    /// The package is being walked back (`version` follows `steps` rejected ones in this run):
    /// have the provider fetch the metadata of the next older versions in `range`, a window
    /// that grows with the walk.
    fn prefetch_older(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        version: &Version,
        steps: usize,
    ) {
        /// The most versions fetched ahead of a walk.
        const WINDOW: usize = 16;
        let Ok(candidates) = self.versions(name) else {
            return;
        };
        let formats = self.allowed_formats(name);
        let next: Vec<Version> = candidates
            .iter()
            .filter(|candidate| candidate.version < *version && range.contains(&candidate.version))
            .filter(|candidate| !candidate.yanked && !candidate.version.any_prerelease())
            .filter(|candidate| {
                (formats.binary && candidate.has_compatible_wheel)
                    || (formats.source && candidate.has_sdist)
            })
            .take(steps.min(WINDOW))
            .map(|candidate| candidate.version.clone())
            .collect();
        if !next.is_empty() {
            self.provider.prefetch_metadata(name, &next);
        }
    }

    /// The first part of a package's priority: pinned to one version, then often rejected by
    /// others' decisions, then named by the user, then the rest, and last the packages whose
    /// decisions often rejected others. Last, not just after the ones they rejected: a restart
    /// cannot go back to just before such a decision (as uv's backtracking does), and the
    /// package it rejected may only be discovered deep in the graph, after it.
    fn tier(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        moved: Option<ConflictOrder>,
    ) -> u8 {
        if range.as_singleton().is_some() {
            return 4;
        }
        match moved {
            Some(ConflictOrder::Early) => 3,
            None if self.direct.contains(name) => 2,
            None => 1,
            Some(ConflictOrder::Late) => 0,
        }
    }
}

/// Remember what a specifier says about pre-releases and pinning for its package.
fn note_specifiers(state: &mut State, name: &PackageName, specifiers: &VersionSpecifiers) {
    if specifiers.iter().any(names_prerelease) {
        let range = specifiers_range(specifiers);
        let ranges = state.prerelease_ranges.entry(name.clone()).or_default();
        if !ranges.contains(&range) {
            ranges.push(range);
        }
    }
    if specifiers.iter().any(is_pin) {
        state.pinned.insert(name.clone());
    }
}

/// Remember a range a requirement put on a package (for the pre-release rule).
fn note_range(state: &mut State, name: &PackageName, range: &Ranges<Version>) {
    let ranges = state.requirement_ranges.entry(name.clone()).or_default();
    if !ranges.contains(range) {
        ranges.push(range.clone());
    }
}

fn insert(
    map: &mut BTreeMap<PackageName, BTreeSet<Version>>,
    name: &PackageName,
    version: &Version,
) {
    map.entry(name.clone()).or_default().insert(version.clone());
}

impl DependencyProvider for Solver<'_> {
    type P = SolverPackage;
    type V = Version;
    type VS = Ranges<Version>;
    type M = Unusable;
    /// Tier (see [`Solver::tier`]), then first seen (breadth first), then a base package
    /// before its extras.
    type Priority = (u8, Reverse<usize>, u8);
    type Err = SolverError;

    fn prioritize(
        &self,
        package: &SolverPackage,
        range: &Ranges<Version>,
        _statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let (name, kind) = match package {
            SolverPackage::Root => return (u8::MAX, Reverse(0), 2),
            SolverPackage::Python => return (u8::MAX - 1, Reverse(0), 2),
            SolverPackage::Package(name) => (name, 2),
            SolverPackage::Extra(name, _) => (name, 1),
            SolverPackage::ExtraDependencies(name, _) => (name, 0),
        };
        let mut state = self.state.borrow_mut();
        // pubgrub only asks about undecided packages.
        if matches!(package, SolverPackage::Package(_)) {
            state.decided.remove(name);
            state.allowed.insert(name.clone(), range.clone());
        }
        let order = state.discovered.get(name).copied().unwrap_or(usize::MAX);
        let tier = self.tier(name, range, state.conflicts.order.get(name).copied());
        (tier, Reverse(order), kind)
    }

    fn choose_version(
        &self,
        package: &SolverPackage,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, SolverError> {
        match package {
            SolverPackage::Root => Ok(Some(root_version())),
            SolverPackage::Python => Ok(range.contains(&self.python).then(|| self.python.clone())),
            SolverPackage::Package(name) => {
                let choice = self.select(name, range, true)?;
                if let Some(version) = &choice {
                    let newer_tried = {
                        let mut state = self.state.borrow_mut();
                        state.decided.insert(name.clone(), version.clone());
                        let tried = state.tried.entry(name.clone()).or_default();
                        tried.insert(version.clone());
                        tried.iter().filter(|tried| *tried > version).count()
                    };
                    // Below two newer ones tried in this run is a walk, not a single step back.
                    if newer_tried >= 2 {
                        self.prefetch_older(name, range, version, newer_tried);
                    }
                    // Neither a kept installed version nor one that is only offered so that
                    // its Requires-Python conflict is explained needs a download.
                    if !self.keeps_installed(name, version)
                        && self.python_conflict(name, version, None).is_none()
                    {
                        self.provider.on_decision(name, version);
                    }
                }
                Ok(choice)
            }
            SolverPackage::Extra(name, _) => {
                let decided = self.state.borrow().decided.get(name).cloned();
                if let Some(decided) = decided.filter(|version| range.contains(version)) {
                    return Ok(Some(decided));
                }
                Ok(self.select(name, range, false)?)
            }
            // Only ever required at one version, its extra's.
            SolverPackage::ExtraDependencies(name, _) => match range.as_singleton() {
                Some(version) => Ok(Some(version.clone())),
                None => Ok(self.select(name, range, false)?),
            },
        }
    }

    fn get_dependencies(
        &self,
        package: &SolverPackage,
        version: &Version,
    ) -> Result<Dependencies<SolverPackage, Ranges<Version>, Unusable>, SolverError> {
        match package {
            SolverPackage::Root => {
                let mut terms = vec![(
                    SolverPackage::Python,
                    Ranges::singleton(self.python.clone()),
                )];
                let mut edges = Vec::new();
                for requirement in &self.requirements {
                    // URLs were refused before the solver started.
                    if self.requirement_terms(requirement, &mut terms).is_ok() {
                        edges.push(requirement.name.clone());
                    }
                }
                self.discover(edges.iter());
                self.state
                    .borrow_mut()
                    .edges
                    .insert((SolverPackage::Root, version.clone()), edges);
                Ok(Dependencies::Available(terms.into_iter().collect()))
            }
            SolverPackage::Python => Ok(Dependencies::Available(Default::default())),
            SolverPackage::Package(name) => self.package_dependencies(package, name, None, version),
            SolverPackage::Extra(name, extra) => Ok(self.extra_dependencies(name, extra, version)),
            SolverPackage::ExtraDependencies(name, extra) => {
                self.package_dependencies(package, name, Some(extra), version)
            }
        }
    }

    fn should_cancel(&self) -> Result<(), SolverError> {
        if self.state.borrow().conflicts.restart {
            return Err(SolverError::Restart);
        }
        Ok(())
    }
}
