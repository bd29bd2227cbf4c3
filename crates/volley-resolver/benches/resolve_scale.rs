//! Resolving a big synthetic graph in memory, shaped like the real ones that are slow: 300
//! packages with 40 releases each; lockstep families (a core and plugins released together,
//! `plugin==v` needing `core==v`, the last plugin one release behind); extras that pull in
//! more packages; and pairs where the newest releases of one need an older release of the
//! other (the `pyopenssl` / `cryptography` shape). Regressions in decision order or backtracking
//! show here without the network.

mod common;

use std::str::FromStr;
use std::sync::Arc;

use volley_packaging::{PackageName, Requirement, Version, parse_requirement};
use volley_resolver::{Candidate, CandidateMetadata, resolve};

use common::{MemoryIndex, options};

const PACKAGES: usize = 300;
const RELEASES: u64 = 40;
/// Families of `core` plus plugins, released in lockstep.
const FAMILIES: usize = 5;
const PLUGINS: usize = 5;
/// `bindingN` versus `libN` pairs.
const PAIRS: usize = 10;

struct ScaleIndex(MemoryIndex);

impl ScaleIndex {
    fn add(&mut self, name: &str, release: u64, requires_dist: &[String]) {
        let name = PackageName::from_str(name).unwrap();
        let version = Version::new([release, 0]);
        let requires_dist = requires_dist
            .iter()
            .map(|text| parse_requirement(text).unwrap())
            .collect();
        self.0.metadata.insert(
            (name.clone(), version.clone()),
            Arc::new(CandidateMetadata {
                requires_dist,
                requires_python: None,
            }),
        );
        let mut candidates = self
            .0
            .versions
            .remove(&name)
            .map(|candidates| candidates.to_vec())
            .unwrap_or_default();
        candidates.push(Candidate::wheel(version));
        self.0.versions.insert(name, candidates.into());
    }

    fn new() -> Self {
        let mut index = Self(MemoryIndex::default());
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

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 10)]
fn resolve_scale(bencher: divan::Bencher) {
    let index = ScaleIndex::new();
    let options = options();
    let requirements = ScaleIndex::requirements();
    bencher.bench(|| {
        let resolution = resolve(&requirements, &options, &index.0).unwrap();
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
