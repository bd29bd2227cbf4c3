//! Explaining a failed resolution in words a pip user reads.
//!
//! pubgrub proves that no solution exists with a derivation tree; its `DefaultStringReporter`
//! walks that tree and numbers shared steps, asking a `ReportFormatter` for each sentence.
//! [`Formatter`] writes those sentences in PEP 440 terms (`foo>=1.0, <2.0`, `foo[bar]==1.2`), says
//! "you require" for the user's requirements and "requires Python" for Requires-Python, and
//! shortens version sets with the versions the index really has (`foo==1.0 | ==1.1 | ==1.2` becomes
//! `foo<=1.2` when those are its only versions up to there). Hints follow the explanation: what
//! candidate selection skipped (pre-releases, yanked versions, versions without a usable file,
//! versions whose Requires-Python excludes the target) for the packages the explanation names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, ReportFormatter, Reporter, Term,
};
use rustc_hash::FxHashMap;
use volley_packaging::{PackageName, Version};

use crate::package::SolverPackage;
use crate::range::{RangeDisplay, after_locals};
use crate::solver::{Skipped, Solver, Unusable};

type Ranges = pubgrub::Ranges<Version>;
type Tree = DerivationTree<SolverPackage, Ranges, Unusable>;

/// Why the requirements cannot be met: pubgrub's proof in words, then hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSolutionReport {
    explanation: String,
    hints: Vec<String>,
}

impl NoSolutionReport {
    pub(crate) fn new(solver: &Solver<'_>, tree: &Tree) -> Self {
        let names: BTreeSet<PackageName> = tree
            .packages()
            .into_iter()
            .filter_map(|package| package.name().cloned())
            .collect();
        let formatter = Formatter {
            python: solver.python().clone(),
            constraints: solver.constraints().clone(),
            versions: names
                .iter()
                .map(|name| (name.clone(), solver.known_versions(name)))
                .collect(),
        };
        let explanation =
            DefaultStringReporter::report_with_formatter(&formatter.collapse(tree), &formatter);
        let hints = hints(solver, &solver.take_skipped(), &names);
        Self { explanation, hints }
    }

    /// The step-by-step explanation, one sentence per line.
    pub fn explanation(&self) -> &str {
        &self.explanation
    }

    /// Things the user may change, one sentence each, without the `hint:` prefix.
    pub fn hints(&self) -> &[String] {
        &self.hints
    }
}

impl fmt::Display for NoSolutionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explanation)?;
        for hint in &self.hints {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

struct Formatter {
    /// The target Python, release part only.
    python: Version,
    constraints: FxHashMap<PackageName, Ranges>,
    /// Known versions of every package in the tree, oldest first.
    versions: FxHashMap<PackageName, Vec<Version>>,
}

impl Formatter {
    /// Shorten pubgrub's proof where a step only says that a version does not exist (and where
    /// an extra reaches its dependencies through [`SolverPackage::ExtraDependencies`], see
    /// [`through_extra`]):
    ///
    /// - "there is no version of `p` in `r`" next to "`p` in `r1` depends on `q`" becomes
    ///   "`p` in `r1 ∪ r` depends on `q`", vacuous for the versions that do not exist. (pubgrub's
    ///   own `collapse_no_versions` also folds it into the *dependency* side, which would turn
    ///   "no version of foo>=3 exists and you require foo>=3" into just "you require foo>=3".)
    /// - "there is no version of `p` in `r`" next to a derived step where `p` is on the depending
    ///   side ("`p` in `r1` depends on ...") is dropped, keeping that step: `r` holds no version
    ///   at all, often just local variants (`>1.0, <=1.0`, left over from `==1.0`). Versions that
    ///   exist but were passed over are kept: they are the point.
    fn collapse(&self, tree: &Tree) -> Tree {
        let DerivationTree::Derived(derived) = tree else {
            return tree.clone();
        };
        let cause1 = self.collapse(&derived.cause1);
        let cause2 = self.collapse(&derived.cause2);
        if let Some(merged) =
            through_extra(&cause1, &cause2).or_else(|| through_extra(&cause2, &cause1))
        {
            return merged;
        }
        for (no_versions, other) in [(&cause1, &cause2), (&cause2, &cause1)] {
            let DerivationTree::External(External::NoVersions(package, range)) = no_versions else {
                continue;
            };
            match other {
                DerivationTree::External(External::FromDependencyOf(
                    dependent,
                    dependent_range,
                    dependency,
                    dependency_range,
                )) if dependent == package => {
                    return DerivationTree::External(External::FromDependencyOf(
                        dependent.clone(),
                        dependent_range.union(range),
                        dependency.clone(),
                        dependency_range.clone(),
                    ));
                }
                DerivationTree::Derived(sibling)
                    if !self.contains_known(package, range)
                        && matches!(sibling.terms.get(package), Some(Term::Positive(_))) =>
                {
                    return other.clone();
                }
                _ => {}
            }
        }
        DerivationTree::Derived(Derived {
            terms: derived.terms.clone(),
            shared_id: derived.shared_id,
            cause1: Arc::new(cause1),
            cause2: Arc::new(cause2),
        })
    }

    fn contains_known(&self, package: &SolverPackage, range: &Ranges) -> bool {
        package
            .name()
            .and_then(|name| self.versions.get(name))
            .is_some_and(|versions| versions.iter().any(|version| range.contains(version)))
    }

    /// A package with a version set, as a requirement would say it: `foo>=1.0`, `foo[bar]`.
    fn term(&self, package: &SolverPackage, range: &Ranges) -> String {
        let range_text = if *range == Ranges::full() {
            String::new()
        } else {
            RangeDisplay(range).to_string()
        };
        match package {
            SolverPackage::Root => "the requirements".to_string(),
            SolverPackage::Python => format!("Python{range_text}"),
            SolverPackage::Package(_)
            | SolverPackage::Extra(..)
            | SolverPackage::ExtraDependencies(..) => {
                format!("{package}{range_text}")
            }
        }
    }

    /// A package on the depending side, its version set shortened with the known versions.
    fn dependent(&self, package: &SolverPackage, range: &Ranges) -> String {
        let simplified = match package.name().and_then(|name| self.versions.get(name)) {
            Some(versions) => range.simplify(versions.iter()),
            None => range.clone(),
        };
        // "a==1.0 depends on c>=2" says more than "a depends on c>=2" when 1.0 is a's only
        // version; widening is for the ragged ranges backtracking leaves behind.
        if simplified == Ranges::full() && one_version(range) {
            return self.term(package, range);
        }
        self.term(package, &simplified)
    }

    fn dependency(
        &self,
        package: &SolverPackage,
        range: &Ranges,
        dependency: &SolverPackage,
        dependency_range: &Ranges,
    ) -> String {
        let constraint = dependency
            .name()
            .filter(|_| matches!(dependency, SolverPackage::Package(_)))
            .and_then(|name| self.constraints.get(name))
            .is_some_and(|constraint| constraint == dependency_range);
        let required = self.term(dependency, dependency_range);
        match (package, dependency) {
            (SolverPackage::Root, SolverPackage::Python) => {
                format!("the target Python is {}", self.python)
            }
            (_, _) if constraint => format!("the constraints require {required}"),
            (SolverPackage::Root, _) => format!("you require {required}"),
            (_, SolverPackage::Python) => {
                format!("{} requires {required}", self.dependent(package, range))
            }
            _ => format!("{} depends on {required}", self.dependent(package, range)),
        }
    }

    /// Terms that always hold (the root, the target Python) say nothing.
    fn meaningful<'t>(
        &self,
        terms: &'t Map<SolverPackage, Term<Ranges>>,
    ) -> Vec<(&'t SolverPackage, &'t Term<Ranges>)> {
        let mut terms: Vec<_> = terms
            .iter()
            .filter(|(package, term)| match (package, term) {
                (SolverPackage::Root, _) => false,
                (SolverPackage::Python, Term::Positive(range)) => !range.contains(&self.python),
                _ => true,
            })
            .collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        terms
    }
}

impl ReportFormatter<SolverPackage, Ranges, Unusable> for Formatter {
    type Output = String;

    fn format_external(&self, external: &External<SolverPackage, Ranges, Unusable>) -> String {
        match external {
            External::NotRoot(..) => "the requirements are being resolved".to_string(),
            External::NoVersions(SolverPackage::Python, range) => format!(
                "{} is not available, the target Python is {}",
                self.term(&SolverPackage::Python, range),
                self.python
            ),
            External::NoVersions(package, range) => {
                let known = package
                    .name()
                    .and_then(|name| self.versions.get(name))
                    .is_some_and(|versions| !versions.is_empty());
                if !known {
                    format!("no versions of {package} were found")
                } else if self.contains_known(package, range) {
                    // Versions exist there, but candidate selection passed them over.
                    format!(
                        "there is no usable version of {}",
                        self.term(package, range)
                    )
                } else {
                    format!("there is no version of {}", self.term(package, range))
                }
            }
            External::Custom(package, range, reason) => {
                format!("{} {reason}", self.dependent(package, range))
            }
            External::FromDependencyOf(package, range, dependency, dependency_range) => {
                self.dependency(package, range, dependency, dependency_range)
            }
        }
    }

    fn format_terms(&self, terms: &Map<SolverPackage, Term<Ranges>>) -> String {
        let terms = self.meaningful(terms);
        if let [
            (package, Term::Positive(range)),
            (dependency, Term::Negative(dependency_range)),
        ]
        | [
            (dependency, Term::Negative(dependency_range)),
            (package, Term::Positive(range)),
        ] = terms.as_slice()
        {
            return self.dependency(package, range, dependency, dependency_range);
        }
        // An incompatibility {p1, p2, not q1, not q2} reads "p1 and p2 depend on q1 or q2".
        let mut installed = Vec::new();
        let mut required = Vec::new();
        for (package, term) in &terms {
            match term {
                Term::Positive(range) => installed.push(self.dependent(package, range)),
                Term::Negative(range) => required.push(self.term(package, range)),
            }
        }
        let required = required.join(" or ");
        match (installed.as_slice(), required.is_empty()) {
            ([], true) => "the requirements cannot be satisfied".to_string(),
            ([], false) => format!("{required} is required"),
            ([only], true) => format!("{only} cannot be installed"),
            ([first, second], true) => format!("{first} and {second} cannot both be installed"),
            (_, true) => format!("{} cannot be installed together", join(&installed)),
            ([only], false) => format!("{only} depends on {required}"),
            (_, false) => format!("{} together depend on {required}", join(&installed)),
        }
    }

    fn explain_both_external(
        &self,
        external1: &External<SolverPackage, Ranges, Unusable>,
        external2: &External<SolverPackage, Ranges, Unusable>,
        current_terms: &Map<SolverPackage, Term<Ranges>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived<SolverPackage, Ranges, Unusable>,
        ref_id2: usize,
        derived2: &Derived<SolverPackage, Ranges, Unusable>,
        current_terms: &Map<SolverPackage, Term<Ranges>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived<SolverPackage, Ranges, Unusable>,
        external: &External<SolverPackage, Ranges, Unusable>,
        current_terms: &Map<SolverPackage, Term<Ranges>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<SolverPackage, Ranges, Unusable>,
        current_terms: &Map<SolverPackage, Term<Ranges>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &Derived<SolverPackage, Ranges, Unusable>,
        current_terms: &Map<SolverPackage, Term<Ranges>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<SolverPackage, Ranges, Unusable>,
        external: &External<SolverPackage, Ranges, Unusable>,
        current_terms: &Map<SolverPackage, Term<Ranges>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior_external),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }
}

/// Whether a range is one version and its local variants (`==1.0`).
/// "`pkg[x]==v` depends on `pkg[x]`'s dependencies at `v`" and "those depend on `dep`" (or are
/// unusable) is one fact for a reader: "`pkg[x]==v` depends on `dep`".
fn through_extra(extra: &Tree, dependencies: &Tree) -> Option<Tree> {
    let DerivationTree::External(External::FromDependencyOf(
        dependent @ SolverPackage::Extra(name, extra_name),
        range,
        SolverPackage::ExtraDependencies(via_name, via_extra),
        _,
    )) = extra
    else {
        return None;
    };
    if name != via_name || extra_name != via_extra {
        return None;
    }
    let DerivationTree::External(external) = dependencies else {
        return None;
    };
    let merged = match external {
        External::FromDependencyOf(
            SolverPackage::ExtraDependencies(from_name, from_extra),
            _,
            dependency,
            dependency_range,
        ) if from_name == name && from_extra == extra_name => External::FromDependencyOf(
            dependent.clone(),
            range.clone(),
            dependency.clone(),
            dependency_range.clone(),
        ),
        External::Custom(SolverPackage::ExtraDependencies(from_name, from_extra), _, reason)
            if from_name == name && from_extra == extra_name =>
        {
            External::Custom(dependent.clone(), range.clone(), reason.clone())
        }
        _ => return None,
    };
    Some(DerivationTree::External(merged))
}

fn one_version(range: &Ranges) -> bool {
    range.as_singleton().is_some()
        || matches!(
            range.iter().collect::<Vec<_>>().as_slice(),
            [(Bound::Included(low), Bound::Excluded(high))] if *high == after_locals(low)
        )
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `foo 2.0`, `foo 2.0 and 1.9`, `foo 2.0, 1.9, 1.8 and 2 more` (newest first).
fn versions_of(name: &PackageName, versions: &BTreeSet<Version>) -> String {
    const SHOWN: usize = 3;
    let mut shown: Vec<String> = versions
        .iter()
        .rev()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect();
    if versions.len() > SHOWN {
        shown.push(format!("{} more", versions.len() - SHOWN));
    }
    format!("{name} {}", join(&shown))
}

/// "has" or "have" for a set of versions.
fn has(versions: &BTreeSet<Version>) -> &'static str {
    if versions.len() == 1 { "has" } else { "have" }
}

fn hints(solver: &Solver<'_>, skipped: &Skipped, names: &BTreeSet<PackageName>) -> Vec<String> {
    let mut hints = Vec::new();
    for name in names {
        if let Some(versions) = skipped.requires_python.get(name) {
            let mut by_specifiers: BTreeMap<String, BTreeSet<Version>> = BTreeMap::new();
            for (version, specifiers) in versions {
                by_specifiers
                    .entry(specifiers.to_string())
                    .or_default()
                    .insert(version.clone());
            }
            for (specifiers, versions) in by_specifiers {
                let verb = if versions.len() == 1 {
                    "requires"
                } else {
                    "require"
                };
                hints.push(format!(
                    "{} {verb} Python {specifiers}, but the target Python is {}",
                    versions_of(name, &versions),
                    solver.python()
                ));
            }
        }
        if let Some(versions) = skipped.prereleases.get(name) {
            hints.push(format!(
                "pre-releases were not considered ({}); pass --pre or require one explicitly \
                 (e.g. `{name}>={}`) to allow them",
                versions_of(name, versions),
                versions.last().map(ToString::to_string).unwrap_or_default()
            ));
        }
        if let Some(versions) = skipped.yanked.get(name) {
            let verb = if versions.len() == 1 { "is" } else { "are" };
            hints.push(format!(
                "{} {verb} yanked and only chosen when pinned with `==`",
                versions_of(name, versions)
            ));
        }
        if let Some(versions) = skipped.no_usable_file.get(name) {
            let formats = solver.allowed_formats(name);
            let reason = if !formats.source {
                format!("no wheel for the target, and only wheels are allowed for {name}")
            } else if !formats.binary {
                format!("no source distribution, and wheels of {name} are not allowed")
            } else {
                "neither a wheel for the target nor a source distribution".to_string()
            };
            hints.push(format!(
                "{} {} {reason}",
                versions_of(name, versions),
                has(versions)
            ));
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(list: &[&str]) -> BTreeSet<Version> {
        list.iter()
            .map(|version| version.parse().unwrap())
            .collect()
    }

    #[test]
    fn lists_versions_newest_first_and_counts_the_rest() {
        let name: PackageName = "foo".parse().unwrap();
        assert_eq!(versions_of(&name, &versions(&["1.0"])), "foo 1.0");
        assert_eq!(
            versions_of(&name, &versions(&["1.0", "2.0"])),
            "foo 2.0 and 1.0"
        );
        assert_eq!(
            versions_of(&name, &versions(&["1.0", "2.0", "3.0", "4.0", "5.0"])),
            "foo 5.0, 4.0, 3.0 and 2 more"
        );
    }

    #[test]
    fn joins_with_commas_and_and() {
        let items = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(join(&items(&[])), "");
        assert_eq!(join(&items(&["a"])), "a");
        assert_eq!(join(&items(&["a", "b", "c"])), "a, b and c");
    }
}
