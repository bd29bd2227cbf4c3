//! Properties on random small indexes: a solution satisfies every requirement of every chosen
//! package, "no solution" is confirmed by trying every assignment, and the order of the
//! requirements does not matter where the answer is clear.
//!
//! Where several answers are valid, no order-independent rule can be asked of a resolver that
//! decides one package at a time (pip's answers depend on the order there too). What is asked
//! instead, for every order of the requirements: the answer is *locally newest* (no chosen
//! package can move to a newer release of its own with the rest staying valid, after dropping
//! what nothing needs any more); and when exactly one valid answer is locally newest, every
//! order finds that one.

use std::collections::BTreeMap;

use proptest::prelude::*;
use volley_packaging::{Requirement, Version, VersionOrUrl};
use volley_resolver::{ResolveError, resolve};

use crate::index::{Index, options, requirement, version};

/// A dependency on package `p{index}` with a specifier (possibly empty).
type Dependency = (usize, String);

/// A release `{n}.0` with its dependencies.
type Release = (u8, Vec<Dependency>);

/// `p{package}` with its releases.
#[derive(Debug, Clone)]
struct RandomIndex {
    packages: Vec<Vec<Release>>,
    roots: Vec<Dependency>,
}

fn specifier() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just(String::new()),
        2 => (1u8..=4).prop_map(|n| format!(">={n}.0")),
        1 => (2u8..=4).prop_map(|n| format!("<{n}.0")),
        1 => (1u8..=4).prop_map(|n| format!("=={n}.0")),
        1 => (1u8..=4).prop_map(|n| format!("!={n}.0")),
        1 => (1u8..=3).prop_map(|n| format!(">={n}.0,<{}.0", n + 1)),
        1 => (1u8..=4).prop_map(|n| format!("~={n}.0")),
    ]
    .boxed()
}

fn random_index() -> impl Strategy<Value = RandomIndex> {
    (3usize..=5).prop_flat_map(|count| {
        let dependency = (0..count, specifier());
        let release = (
            1u8..=4,
            proptest::collection::vec(dependency.clone(), 0..=2),
        );
        let package = proptest::collection::vec(release, 1..=4);
        (
            proptest::collection::vec(package, count),
            proptest::collection::vec(dependency, 1..=3),
        )
            .prop_map(|(packages, roots)| RandomIndex { packages, roots })
    })
}

fn requirement_text(package: usize, specifier: &str) -> String {
    format!("p{package}{specifier}")
}

impl RandomIndex {
    /// Versions of each package, deduplicated (the first entry for a version wins).
    fn versions(&self) -> Vec<BTreeMap<u8, Vec<Requirement>>> {
        self.packages
            .iter()
            .enumerate()
            .map(|(index, releases)| {
                let mut versions = BTreeMap::new();
                for (at, dependencies) in releases {
                    versions.entry(*at).or_insert_with(|| {
                        dependencies
                            .iter()
                            // A package depending on itself is not interesting here.
                            .filter(|(package, _)| *package != index)
                            .map(|(package, specifier)| {
                                requirement(&requirement_text(*package, specifier))
                            })
                            .collect()
                    });
                }
                versions
            })
            .collect()
    }

    fn index(&self) -> Index {
        let mut index = Index::new();
        for (package, versions) in self.versions().iter().enumerate() {
            for (at, dependencies) in versions {
                let texts: Vec<String> = dependencies.iter().map(ToString::to_string).collect();
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                index.add(&format!("p{package}"), &format!("{at}.0"), &texts);
            }
        }
        index
    }

    fn roots(&self) -> Vec<Requirement> {
        self.roots
            .iter()
            .map(|(package, specifier)| requirement(&requirement_text(*package, specifier)))
            .collect()
    }
}

fn satisfied(requirement: &Requirement, chosen: &BTreeMap<String, Version>) -> bool {
    let Some(at) = chosen.get(requirement.name.as_ref()) else {
        return false;
    };
    match &requirement.version_or_url {
        None => true,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.contains(at),
        Some(VersionOrUrl::Url(_)) => false,
    }
}

/// Whether an assignment meets the roots and the dependencies of every chosen version.
fn valid(
    roots: &[Requirement],
    versions: &[BTreeMap<u8, Vec<Requirement>>],
    chosen: &BTreeMap<String, Version>,
) -> bool {
    roots.iter().all(|root| satisfied(root, chosen))
        && versions.iter().enumerate().all(|(package, releases)| {
            let Some(at) = chosen.get(&format!("p{package}")) else {
                return true;
            };
            let dependencies = releases
                .iter()
                .find(|(release, _)| version(&format!("{release}.0")) == *at)
                .map(|(_, dependencies)| dependencies)
                .expect("chosen versions come from the index");
            dependencies
                .iter()
                .all(|dependency| satisfied(dependency, chosen))
        })
}

/// Try every assignment (each package absent or at one of its versions).
fn brute_force_solvable(
    roots: &[Requirement],
    versions: &[BTreeMap<u8, Vec<Requirement>>],
) -> bool {
    fn search(
        package: usize,
        roots: &[Requirement],
        versions: &[BTreeMap<u8, Vec<Requirement>>],
        chosen: &mut BTreeMap<String, Version>,
    ) -> bool {
        if package == versions.len() {
            return valid(roots, versions, chosen);
        }
        let name = format!("p{package}");
        if search(package + 1, roots, versions, chosen) {
            return true;
        }
        for release in versions[package].keys() {
            chosen.insert(name.clone(), version(&format!("{release}.0")));
            if search(package + 1, roots, versions, chosen) {
                return true;
            }
        }
        chosen.remove(&name);
        false
    }
    search(0, roots, versions, &mut BTreeMap::new())
}

/// The dependencies of `package` at `at`.
fn dependencies_of<'v>(
    versions: &'v [BTreeMap<u8, Vec<Requirement>>],
    package: &str,
    at: &Version,
) -> &'v [Requirement] {
    let index: usize = package[1..].parse().expect("p{index}");
    versions[index]
        .iter()
        .find(|(release, _)| version(&format!("{release}.0")) == *at)
        .map(|(_, dependencies)| dependencies.as_slice())
        .expect("chosen versions come from the index")
}

/// The chosen packages that the roots reach through the chosen versions' dependencies.
fn reachable(
    roots: &[Requirement],
    versions: &[BTreeMap<u8, Vec<Requirement>>],
    chosen: &BTreeMap<String, Version>,
) -> BTreeMap<String, Version> {
    let mut reached = BTreeMap::new();
    let mut queue: Vec<String> = roots.iter().map(|root| root.name.to_string()).collect();
    while let Some(name) = queue.pop() {
        let Some(at) = chosen.get(&name) else {
            continue;
        };
        if reached.insert(name.clone(), at.clone()).is_some() {
            continue;
        }
        queue.extend(
            dependencies_of(versions, &name, at)
                .iter()
                .map(|dependency| dependency.name.to_string()),
        );
    }
    reached
}

/// Whether some chosen package can move to a newer release of its own, the rest staying valid.
fn can_move_one_newer(
    roots: &[Requirement],
    versions: &[BTreeMap<u8, Vec<Requirement>>],
    chosen: &BTreeMap<String, Version>,
) -> bool {
    chosen.iter().any(|(name, at)| {
        let index: usize = name[1..].parse().expect("p{index}");
        versions[index]
            .keys()
            .map(|release| version(&format!("{release}.0")))
            .filter(|newer| newer > at)
            .any(|newer| {
                let mut moved = chosen.clone();
                moved.insert(name.clone(), newer);
                valid(roots, versions, &reachable(roots, versions, &moved))
            })
    })
}

/// Every valid, minimal (all reachable) answer that is locally newest.
fn locally_newest_answers(
    roots: &[Requirement],
    versions: &[BTreeMap<u8, Vec<Requirement>>],
) -> Vec<BTreeMap<String, Version>> {
    fn search(
        package: usize,
        roots: &[Requirement],
        versions: &[BTreeMap<u8, Vec<Requirement>>],
        chosen: &mut BTreeMap<String, Version>,
        found: &mut Vec<BTreeMap<String, Version>>,
    ) {
        if package == versions.len() {
            if valid(roots, versions, chosen)
                && reachable(roots, versions, chosen) == *chosen
                && !can_move_one_newer(roots, versions, chosen)
            {
                found.push(chosen.clone());
            }
            return;
        }
        let name = format!("p{package}");
        search(package + 1, roots, versions, chosen, found);
        for release in versions[package].keys() {
            chosen.insert(name.clone(), version(&format!("{release}.0")));
            search(package + 1, roots, versions, chosen, found);
        }
        chosen.remove(&name);
    }
    let mut found = Vec::new();
    search(0, roots, versions, &mut BTreeMap::new(), &mut found);
    found
}

/// Every order of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(index);
        for mut tail in permutations(&rest) {
            tail.insert(0, item.clone());
            all.push(tail);
        }
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_order_gives_a_locally_newest_answer_and_the_only_one_when_it_is_unique(
        random in random_index()
    ) {
        let roots = random.roots();
        let versions = random.versions();
        let unique = match locally_newest_answers(&roots, &versions).as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        };
        let mut solvable = None;
        for order in permutations(&roots) {
            let index = random.index();
            let outcome = resolve(&order, &options(), &index);
            prop_assert!(
                solvable.is_none_or(|solvable| solvable == outcome.is_ok()),
                "the order {order:?} changed whether there is a solution"
            );
            solvable = Some(outcome.is_ok());
            let Ok(resolution) = outcome else {
                continue;
            };
            let chosen: BTreeMap<String, Version> = resolution
                .packages
                .iter()
                .map(|package| (package.name.to_string(), package.version.clone()))
                .collect();
            prop_assert!(valid(&roots, &versions, &chosen), "invalid: {chosen:?}");
            prop_assert!(
                !can_move_one_newer(&roots, &versions, &chosen),
                "{order:?} gave {chosen:?}, where one package could be newer"
            );
            if let Some(unique) = &unique {
                prop_assert_eq!(&chosen, unique, "{:?} missed the only locally newest answer", order);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn solutions_are_valid_and_failures_are_real(random in random_index()) {
        let index = random.index();
        let roots = random.roots();
        let versions = random.versions();
        match resolve(&roots, &options(), &index) {
            Ok(resolution) => {
                let chosen: BTreeMap<String, Version> = resolution
                    .packages
                    .iter()
                    .map(|package| (package.name.to_string(), package.version.clone()))
                    .collect();
                prop_assert!(valid(&roots, &versions, &chosen), "invalid: {chosen:?}");
                // Nothing is there without a reason.
                for package in &resolution.packages {
                    prop_assert!(
                        package.requested || !package.required_by.is_empty(),
                        "{} is neither requested nor required",
                        package.name
                    );
                }
            }
            Err(ResolveError::NoSolution(report)) => {
                prop_assert!(
                    !brute_force_solvable(&roots, &versions),
                    "the resolver found no solution but one exists:\n{report}"
                );
                prop_assert!(!report.explanation().is_empty());
            }
            Err(error) => prop_assert!(false, "unexpected error: {error}"),
        }
    }
}
