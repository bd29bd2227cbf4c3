//! The entry point, [`resolve`], and what it returns: one version per needed package, with why
//! each is there.

use std::collections::{BTreeMap, BTreeSet};

use pubgrub::PubGrubError;
use volley_packaging::{ExtraName, PackageName, Requirement, Version, VersionOrUrl};

use crate::error::ResolveError;
use crate::options::ResolverOptions;
use crate::package::SolverPackage;
use crate::provider::Provider;
use crate::report::NoSolutionReport;
use crate::solver::{Solver, SolverError, root_version};

/// The chosen set of distributions, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub packages: Vec<ResolvedPackage>,
}

impl Resolution {
    /// The chosen package of that name, if the resolution needs it.
    pub fn get(&self, name: &PackageName) -> Option<&ResolvedPackage> {
        self.packages.iter().find(|package| package.name == *name)
    }
}

/// One chosen distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    pub name: PackageName,
    pub version: Version,
    /// The extras some requirement asked of it, sorted.
    pub extras: Vec<ExtraName>,
    /// Named directly by one of the user's requirements.
    pub requested: bool,
    /// The chosen packages whose dependencies (or extras' dependencies) include it, sorted; for
    /// `# via` lines.
    pub required_by: Vec<PackageName>,
    pub source: CandidateSource,
    /// The already-installed version is kept: nothing to fetch or install.
    pub installed: bool,
}

/// What will be installed from, as far as the index tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// A compatible wheel exists and the binary policy allows it (also used for a kept installed
    /// version the index does not list).
    Wheel,
    /// Only a source distribution can be used: no compatible wheel, or `--no-binary`.
    SdistOnly,
}

/// Resolve `requirements` for the target described by `options`, asking `provider` about
/// packages. Requirements whose markers are false for the target are dropped.
///
/// Blocks for as long as the provider does; run it on a blocking thread in async code.
pub fn resolve(
    requirements: &[Requirement],
    options: &ResolverOptions,
    provider: &dyn Provider,
) -> Result<Resolution, ResolveError> {
    let mut active = Vec::new();
    for requirement in requirements {
        if !requirement.evaluate_markers(&options.markers, &[]) {
            continue;
        }
        if let Some(VersionOrUrl::Url(_)) = requirement.version_or_url {
            return Err(ResolveError::UrlRequirement(requirement.to_string()));
        }
        active.push(requirement);
    }
    let solver = Solver::new(active, options, provider);
    // A run stops early when conflicts change the order packages are decided in; the next one
    // starts from scratch with the new order and everything already fetched.
    loop {
        let outcome = pubgrub::resolve(&solver, SolverPackage::Root, root_version());
        if solver.take_restart() {
            continue;
        }
        return match outcome {
            Ok(solution) => Ok(build_resolution(&solver, solution)),
            Err(PubGrubError::NoSolution(tree)) => Err(ResolveError::NoSolution(
                NoSolutionReport::new(&solver, &tree),
            )),
            Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
            | Err(PubGrubError::ErrorChoosingVersion { source, .. })
            | Err(PubGrubError::ErrorInShouldCancel(source)) => match source {
                SolverError::Provider(error) => Err(ResolveError::Provider(error)),
                SolverError::Restart => unreachable!("a restart is taken before the outcome"),
            },
        };
    }
}

fn build_resolution(
    solver: &Solver<'_>,
    solution: pubgrub::SelectedDependencies<SolverPackage, Version>,
) -> Resolution {
    let edges = solver.take_edges();
    let mut versions: BTreeMap<PackageName, Version> = BTreeMap::new();
    let mut extras: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
    let mut required_by: BTreeMap<PackageName, BTreeSet<PackageName>> = BTreeMap::new();
    for (package, version) in solution.iter() {
        match package {
            SolverPackage::Package(name) => {
                versions.insert(name.clone(), version.clone());
            }
            SolverPackage::Extra(name, extra) => {
                extras
                    .entry(name.clone())
                    .or_default()
                    .insert(extra.clone());
            }
            SolverPackage::Root | SolverPackage::Python | SolverPackage::ExtraDependencies(..) => {}
        }
        let Some(dependent) = package.name() else {
            continue;
        };
        for dependency in edges
            .get(&(package.clone(), version.clone()))
            .into_iter()
            .flatten()
        {
            if dependency != dependent {
                required_by
                    .entry(dependency.clone())
                    .or_default()
                    .insert(dependent.clone());
            }
        }
    }

    let packages = versions
        .into_iter()
        .map(|(name, version)| {
            let installed = solver.installed(&name) == Some(&version);
            let formats = solver.allowed_formats(&name);
            let source = match solver.candidate(&name, &version) {
                Some(candidate) if !(formats.binary && candidate.has_compatible_wheel) => {
                    CandidateSource::SdistOnly
                }
                _ => CandidateSource::Wheel,
            };
            ResolvedPackage {
                extras: extras
                    .remove(&name)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                requested: solver.is_direct(&name),
                required_by: required_by
                    .remove(&name)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                source,
                installed,
                name,
                version,
            }
        })
        .collect();
    Resolution { packages }
}
