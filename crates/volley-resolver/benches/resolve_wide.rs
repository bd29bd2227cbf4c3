//! Resolving a wide synthetic index in memory: 200 packages, 5 versions each, every version
//! depending on a few later packages, some pins forcing older versions.

mod common;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use volley_packaging::{PackageName, Requirement, Version, parse_requirement};
use volley_resolver::{Candidate, CandidateMetadata, resolve};

use common::{MemoryIndex, options};

const PACKAGES: usize = 200;
const VERSIONS: u64 = 5;

/// The wide index: every package depends on a few later ones.
fn wide_index() -> MemoryIndex {
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
                .map(|dependency| parse_requirement(&format!("package{dependency}>=2.0")).unwrap())
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
    MemoryIndex { versions, metadata }
}

fn main() {
    divan::main();
}

#[divan::bench]
fn resolve_wide(bencher: divan::Bencher) {
    let index = wide_index();
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
