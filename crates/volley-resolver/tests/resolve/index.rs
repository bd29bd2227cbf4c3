//! An in-memory package index implementing `Provider`, which records what the resolver asks.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use volley_packaging::{
    MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement, Version,
    VersionSpecifiers, parse_requirement,
};
use volley_resolver::{
    Candidate, CandidateMetadata, Provider, ProviderError, Resolution, ResolveError,
    ResolverOptions, resolve,
};

/// One version of a package: its index entry and its metadata.
pub struct Entry {
    pub candidate: Candidate,
    pub metadata: CandidateMetadata,
    /// Listed by `versions`; an unlisted entry only answers `metadata` (an installed version the
    /// index does not have).
    pub listed: bool,
}

impl Entry {
    pub fn yanked(&mut self) -> &mut Self {
        self.candidate.yanked = true;
        self
    }

    /// Requires-Python on the index file entry.
    pub fn index_requires_python(&mut self, specifiers: &str) -> &mut Self {
        self.candidate.requires_python = Some(VersionSpecifiers::from_str(specifiers).unwrap());
        self
    }

    /// Requires-Python in the core metadata only.
    pub fn metadata_requires_python(&mut self, specifiers: &str) -> &mut Self {
        self.metadata.requires_python = Some(VersionSpecifiers::from_str(specifiers).unwrap());
        self
    }

    pub fn sdist_only(&mut self) -> &mut Self {
        self.candidate.has_compatible_wheel = false;
        self.candidate.best_wheel_priority = None;
        self.candidate.has_sdist = true;
        self
    }

    pub fn with_sdist(&mut self) -> &mut Self {
        self.candidate.has_sdist = true;
        self
    }

    /// Only wheels for other platforms, and no sdist.
    pub fn no_usable_file(&mut self) -> &mut Self {
        self.candidate.has_compatible_wheel = false;
        self.candidate.best_wheel_priority = None;
        self.candidate.has_sdist = false;
        self
    }

    pub fn unlisted(&mut self) -> &mut Self {
        self.listed = false;
        self
    }
}

#[derive(Default)]
pub struct Index {
    packages: BTreeMap<PackageName, Vec<Entry>>,
    /// `versions foo`, `metadata foo 1.0`, `decision foo 1.0`, `discovered foo, bar`.
    pub events: Mutex<Vec<String>>,
    /// Packages whose `versions` call fails.
    pub failing: Vec<PackageName>,
}

pub fn name(name: &str) -> PackageName {
    PackageName::from_str(name).unwrap()
}

pub fn version(version: &str) -> Version {
    Version::from_str(version).unwrap()
}

pub fn requirement(text: &str) -> Requirement {
    parse_requirement(text).unwrap()
}

pub fn requirements(texts: &[&str]) -> Vec<Requirement> {
    texts.iter().map(|text| requirement(text)).collect()
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `name` at `version` with a compatible wheel and these `Requires-Dist` lines.
    pub fn add(&mut self, package: &str, at: &str, requires_dist: &[&str]) -> &mut Entry {
        let entries = self.packages.entry(name(package)).or_default();
        entries.push(Entry {
            candidate: Candidate::wheel(version(at)),
            metadata: CandidateMetadata {
                requires_dist: requirements(requires_dist),
                requires_python: None,
            },
            listed: true,
        });
        entries.last_mut().unwrap()
    }

    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    fn log(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }
}

impl Provider for Index {
    fn versions(&self, package: &PackageName) -> Result<Arc<[Candidate]>, ProviderError> {
        self.log(format!("versions {package}"));
        if self.failing.contains(package) {
            return Err(ProviderError::new(format!(
                "index page of {package} could not be fetched: connection reset"
            )));
        }
        Ok(self
            .packages
            .get(package)
            .into_iter()
            .flatten()
            .filter(|entry| entry.listed)
            .map(|entry| entry.candidate.clone())
            .collect())
    }

    fn metadata(
        &self,
        package: &PackageName,
        at: &Version,
    ) -> Result<Arc<CandidateMetadata>, ProviderError> {
        self.log(format!("metadata {package} {at}"));
        self.packages
            .get(package)
            .into_iter()
            .flatten()
            .find(|entry| entry.candidate.version == *at)
            .map(|entry| Arc::new(entry.metadata.clone()))
            .ok_or_else(|| ProviderError::new(format!("no metadata for {package} {at}")))
    }

    fn on_decision(&self, package: &PackageName, at: &Version) {
        self.log(format!("decision {package} {at}"));
    }

    fn on_discovered(&self, names: &[PackageName]) {
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        self.log(format!("discovered {}", names.join(", ")));
    }
}

/// A CPython 3.11.4 on x86_64 Linux.
pub fn linux_markers() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.4",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: "3.11.4",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .unwrap()
}

pub fn options() -> ResolverOptions {
    ResolverOptions::new(linux_markers(), version("3.11.4"))
}

/// One line per package: `name==version`, then what is notable about it.
pub fn render(resolution: &Resolution) -> String {
    resolution
        .packages
        .iter()
        .map(|package| {
            let mut line = format!("{}", package.name);
            if !package.extras.is_empty() {
                let extras: Vec<String> = package.extras.iter().map(ToString::to_string).collect();
                line.push_str(&format!("[{}]", extras.join(",")));
            }
            line.push_str(&format!("=={}", package.version));
            if package.source == volley_resolver::CandidateSource::SdistOnly {
                line.push_str(" (sdist)");
            }
            if package.installed {
                line.push_str(" (installed)");
            }
            if package.requested {
                line.push_str(" (requested)");
            }
            if !package.required_by.is_empty() {
                let via: Vec<String> = package
                    .required_by
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                line.push_str(&format!(" via {}", via.join(", ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Resolve and render, panicking with the report on failure.
pub fn solve(index: &Index, requested: &[&str], options: &ResolverOptions) -> String {
    match resolve(&requirements(requested), options, index) {
        Ok(resolution) => render(&resolution),
        Err(error) => panic!("expected a resolution, got:\n{error}"),
    }
}

/// Resolve expecting a failure, and return its message.
pub fn fail(index: &Index, requested: &[&str], options: &ResolverOptions) -> String {
    match resolve(&requirements(requested), options, index) {
        Ok(resolution) => panic!("expected a failure, got:\n{}", render(&resolution)),
        Err(error) => error.to_string(),
    }
}

/// Resolve expecting no solution, and return the report.
pub fn no_solution(index: &Index, requested: &[&str], options: &ResolverOptions) -> String {
    match resolve(&requirements(requested), options, index) {
        Ok(resolution) => panic!("expected no solution, got:\n{}", render(&resolution)),
        Err(ResolveError::NoSolution(report)) => report.to_string(),
        Err(error) => panic!("expected no solution, got: {error}"),
    }
}
