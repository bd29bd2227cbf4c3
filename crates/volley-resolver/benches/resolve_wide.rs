//! Resolving a wide synthetic index in memory: 200 packages, 5 versions each, every version
//! depending on a few later packages, some pins forcing older versions.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use volley_packaging::{
    MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement, Version,
    parse_requirement,
};
use volley_resolver::{
    Candidate, CandidateMetadata, Provider, ProviderError, ResolverOptions, resolve,
};

const PACKAGES: usize = 200;
const VERSIONS: u64 = 5;

struct WideIndex {
    versions: HashMap<PackageName, Arc<[Candidate]>>,
    metadata: HashMap<(PackageName, Version), Arc<CandidateMetadata>>,
}

impl WideIndex {
    fn new() -> Self {
        let mut versions = HashMap::new();
        let mut metadata = HashMap::new();
        for package in 0..PACKAGES {
            let name = PackageName::from_str(&format!("package{package}")).unwrap();
            let mut candidates = Vec::new();
            for release in 1..=VERSIONS {
                let version = Version::new([release, 0]);
                candidates.push(Candidate::wheel(version.clone()));
                let mut requires_dist: Vec<Requirement> = (1..=3)
                    .map(|step| package + step * 7)
                    .filter(|dependency| *dependency < PACKAGES)
                    .map(|dependency| {
                        parse_requirement(&format!("package{dependency}>=2.0")).unwrap()
                    })
                    .collect();
                if package % 10 == 0 && release == VERSIONS && package + 1 < PACKAGES {
                    let pin = format!("package{}<{VERSIONS}", package + 1);
                    requires_dist.push(parse_requirement(&pin).unwrap());
                }
                metadata.insert(
                    (name.clone(), version),
                    Arc::new(CandidateMetadata {
                        requires_dist,
                        requires_python: None,
                    }),
                );
            }
            versions.insert(name, candidates.into());
        }
        Self { versions, metadata }
    }
}

impl Provider for WideIndex {
    fn versions(&self, name: &PackageName) -> Result<Arc<[Candidate]>, ProviderError> {
        Ok(self
            .versions
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::from([])))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CandidateMetadata>, ProviderError> {
        self.metadata
            .get(&(name.clone(), version.clone()))
            .cloned()
            .ok_or_else(|| ProviderError::new(format!("no metadata for {name} {version}")))
    }
}

fn options() -> ResolverOptions {
    let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.12.1",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: "3.12.1",
        python_version: "3.12",
        sys_platform: "linux",
    })
    .unwrap();
    ResolverOptions::new(markers, Version::from_str("3.12.1").unwrap())
}

fn main() {
    divan::main();
}

#[divan::bench]
fn resolve_wide(bencher: divan::Bencher) {
    let index = WideIndex::new();
    let options = options();
    let requirements: Vec<Requirement> = (0..PACKAGES)
        .map(|package| parse_requirement(&format!("package{package}")).unwrap())
        .collect();
    bencher.bench(|| {
        let resolution = resolve(&requirements, &options, &index).unwrap();
        assert_eq!(resolution.packages.len(), PACKAGES);
        resolution
    });
}
