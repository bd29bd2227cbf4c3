//! Resolving a big synthetic graph in memory, shaped like the real ones that are slow: 300
//! packages with 40 releases each; lockstep families (a core and plugins released together,
//! `plugin==v` needing `core==v`, the last plugin one release behind); extras that pull in
//! more packages; and pairs where the newest releases of one need an older release of the
//! other (the `pyopenssl` / `cryptography` shape). Regressions in decision order or backtracking
//! show here without the network.

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

const PACKAGES: usize = 300;
const RELEASES: u64 = 40;
/// Families of `core` plus plugins, released in lockstep.
const FAMILIES: usize = 5;
const PLUGINS: usize = 5;
/// `bindingN` versus `libN` pairs.
const PAIRS: usize = 10;

struct ScaleIndex {
    versions: HashMap<PackageName, Arc<[Candidate]>>,
    metadata: HashMap<(PackageName, Version), Arc<CandidateMetadata>>,
}

impl ScaleIndex {
    fn add(&mut self, name: &str, release: u64, requires_dist: &[String]) {
        let name = PackageName::from_str(name).unwrap();
        let version = Version::new([release, 0]);
        let requires_dist = requires_dist
            .iter()
            .map(|text| parse_requirement(text).unwrap())
            .collect();
        self.metadata.insert(
            (name.clone(), version.clone()),
            Arc::new(CandidateMetadata {
                requires_dist,
                requires_python: None,
            }),
        );
        let mut candidates = self
            .versions
            .remove(&name)
            .map(|candidates| candidates.to_vec())
            .unwrap_or_default();
        candidates.push(Candidate::wheel(version));
        self.versions.insert(name, candidates.into());
    }

    fn new() -> Self {
        let mut index = Self {
            versions: HashMap::new(),
            metadata: HashMap::new(),
        };
        for release in 1..=RELEASES {
            // A web of plain packages, each needing a few later ones, some through an extra.
            for package in 0..PACKAGES {
                let mut requires: Vec<String> = (1..=3)
                    .map(|step| package + step * 11)
                    .filter(|dependency| *dependency < PACKAGES)
                    .map(|dependency| format!("package{dependency}>={}.0", release / 2 + 1))
                    .collect();
                if package % 7 == 0 && package + 5 < PACKAGES {
                    requires.push(format!("package{}[speed]", package + 5));
                }
                if package % 7 == 5 {
                    requires.push(format!(
                        "package{}>=1.0; extra == 'speed'",
                        (package + 13) % PACKAGES
                    ));
                }
                index.add(&format!("package{package}"), release, &requires);
            }
            for family in 0..FAMILIES {
                index.add(&format!("core{family}"), release, &[]);
                for plugin in 0..PLUGINS {
                    if plugin == PLUGINS - 1 && release == RELEASES {
                        continue;
                    }
                    index.add(
                        &format!("core{family}-plugin{plugin}"),
                        release,
                        &[format!("core{family}=={release}.0")],
                    );
                }
            }
            for pair in 0..PAIRS {
                index.add(&format!("lib{pair}"), release, &[]);
                let requires = if release > RELEASES / 2 {
                    vec![format!("lib{pair}<{}.0", release)]
                } else {
                    Vec::new()
                };
                index.add(&format!("binding{pair}"), release, &requires);
            }
        }
        index
    }

    fn requirements() -> Vec<Requirement> {
        let mut texts: Vec<String> = (0..PACKAGES)
            .step_by(3)
            .map(|p| format!("package{p}"))
            .collect();
        for family in 0..FAMILIES {
            texts.push(format!("core{family}"));
            texts.extend((0..PLUGINS).map(|plugin| format!("core{family}-plugin{plugin}")));
        }
        for pair in 0..PAIRS {
            texts.push(format!("lib{pair}"));
            texts.push(format!("binding{pair}"));
        }
        texts
            .iter()
            .map(|text| parse_requirement(text).unwrap())
            .collect()
    }
}

impl Provider for ScaleIndex {
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

#[divan::bench(sample_count = 10)]
fn resolve_scale(bencher: divan::Bencher) {
    let index = ScaleIndex::new();
    let options = options();
    let requirements = ScaleIndex::requirements();
    bencher.bench(|| {
        let resolution = resolve(&requirements, &options, &index).unwrap();
        // Every lockstep family settles one release back, where all its plugins exist; every
        // binding stays at its newest with its lib one release back.
        let version = |name: &str| {
            resolution
                .get(&PackageName::from_str(name).unwrap())
                .map(|package| package.version.clone())
        };
        let behind = Version::new([RELEASES - 1, 0]);
        assert_eq!(version("core0"), Some(behind.clone()));
        assert_eq!(version("binding0"), Some(Version::new([RELEASES, 0])));
        assert_eq!(version("lib0"), Some(behind));
        resolution
    });
}
