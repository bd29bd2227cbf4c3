//! Whether the installed distributions' dependencies are satisfied: what `pip check` reports
//! (pip 23.2's `operations/check.py`).
//!
//! Start with [`check`]; each [`Problem`] displays as pip words it.
//!
//! Traps:
//! - dependencies are the `Requires-Dist` whose markers hold in the target interpreter with no
//!   extra selected (`extra == "..."` is false, `extra != "..."` true);
//! - a dependency is satisfied by any installed version that its specifiers contain,
//!   pre-releases included; a URL requirement (`name @ url`) only needs the name installed;
//! - a distribution whose metadata cannot be read is a problem itself, and counts as not
//!   installed for the others (pip leaves it out of its package set);
//! - only the first distribution of a normalized name counts, as everywhere in pip;
//! - pip prints every missing dependency first, then every conflict, each package's lines
//!   sorted by the text of a Python tuple: [`check`] returns them in that order.

use std::collections::HashMap;
use std::fmt;

use volley_packaging::{MarkerEnvironment, PackageName, Version, VersionOrUrl};

use crate::{Dependency, InstalledDist};

/// One broken requirement of an installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The distribution's requirements cannot be read (pip: a warning, and a failed check).
    UnreadableMetadata {
        package: PackageName,
        reason: String,
    },
    /// A dependency that is not installed.
    Missing {
        package: PackageName,
        version: Version,
        dependency: Dependency,
    },
    /// A dependency installed at a version its specifiers exclude.
    Conflict {
        package: PackageName,
        version: Version,
        dependency: Dependency,
        installed: Version,
    },
}

impl fmt::Display for Problem {
    /// pip's lines: `x 1.0 requires y, which is not installed.` and
    /// `x 1.0 has requirement y>=2, but you have y 1.0.`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnreadableMetadata { package, reason } => {
                write!(f, "Error parsing requirements for {package}: {reason}")
            }
            Self::Missing {
                package,
                version,
                dependency,
            } => write!(
                f,
                "{package} {version} requires {}, which is not installed.",
                dependency.requirement.name
            ),
            Self::Conflict {
                package,
                version,
                dependency,
                installed,
            } => write!(
                f,
                "{package} {version} has requirement {}, but you have {} {installed}.",
                dependency.pip_display(),
                dependency.requirement.name
            ),
        }
    }
}

/// The problems of the distributions in `installed`, whose markers are evaluated in `markers`:
/// unreadable metadata first, then missing dependencies, then conflicts, in the order of
/// `installed`.
pub fn check(installed: &[InstalledDist], markers: &MarkerEnvironment) -> Vec<Problem> {
    let mut unreadable = Vec::new();
    let mut packages: Vec<(&InstalledDist, Vec<Dependency>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for dist in installed {
        if !seen.insert(&dist.name) {
            continue;
        }
        match dist.dependencies(markers) {
            Ok(dependencies) => packages.push((dist, dependencies)),
            Err(error) => unreadable.push(Problem::UnreadableMetadata {
                package: dist.name.clone(),
                reason: error.to_string(),
            }),
        }
    }
    let versions: HashMap<&PackageName, &Version> = packages
        .iter()
        .map(|(dist, _)| (&dist.name, &dist.version))
        .collect();

    let mut missing = Vec::new();
    let mut conflicts = Vec::new();
    for (dist, dependencies) in &packages {
        let mut package_missing: Vec<(String, Problem)> = Vec::new();
        let mut package_conflicts: Vec<(String, Problem)> = Vec::new();
        for dependency in dependencies {
            let name = &dependency.requirement.name;
            let Some(installed) = versions.get(name) else {
                let key = format!("('{name}', <Requirement('{}')>)", dependency.pip_display());
                package_missing.push((
                    key,
                    Problem::Missing {
                        package: dist.name.clone(),
                        version: dist.version.clone(),
                        dependency: dependency.clone(),
                    },
                ));
                continue;
            };
            let Some(VersionOrUrl::VersionSpecifier(specifiers)) =
                &dependency.requirement.version_or_url
            else {
                continue;
            };
            if !specifiers.contains(installed) {
                let key = format!(
                    "('{name}', <Version('{installed}')>, <Requirement('{}')>)",
                    dependency.pip_display()
                );
                package_conflicts.push((
                    key,
                    Problem::Conflict {
                        package: dist.name.clone(),
                        version: dist.version.clone(),
                        dependency: dependency.clone(),
                        installed: (*installed).clone(),
                    },
                ));
            }
        }
        // pip collects each package's problems in a set of tuples and sorts them by their
        // text; its `Requirement`s compare by identity, so repeated requirements all stay.
        for (list, mut found) in [
            (&mut missing, package_missing),
            (&mut conflicts, package_conflicts),
        ] {
            found.sort_by(|a, b| a.0.cmp(&b.0));
            list.extend(found.into_iter().map(|(_, problem)| problem));
        }
    }
    unreadable
        .into_iter()
        .chain(missing)
        .chain(conflicts)
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::Interpreter;
    use crate::testing::make_venv;
    use std::path::Path;

    fn write(path: &Path, content: &str) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, content).unwrap();
    }

    fn dist(site_packages: &Path, name: &str, version: &str, requires: &[&str]) {
        let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for requirement in requires {
            metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        let directory = format!("{}-{version}.dist-info", name.replace('-', "_"));
        write(&site_packages.join(directory).join("METADATA"), &metadata);
    }

    fn report(interpreter: &Interpreter) -> String {
        let installed = interpreter.installed().unwrap();
        let site = interpreter.site_packages().remove(0);
        check(&installed, &interpreter.markers)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&site.display().to_string(), "[SITE]")
    }

    #[test]
    fn reports_missing_and_conflicting_dependencies_as_pip_does() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("venv"));
        let interpreter = Interpreter::query(&venv.join("bin").join("python"), None).unwrap();
        let site = interpreter.site_packages().remove(0);

        dist(
            &site,
            "App",
            "1.0",
            &[
                "Lib_One (>=2.0)",
                "lib-two",
                "absent; python_version >= '3'",
                "never; python_version < '3'",
                "only-with-extra; extra == 'cli'",
                "absent",
                "absent",
                "lib-three @ https://host/lib_three-0.1.whl",
                "Lib_Four!=1.0,>=0.5",
            ],
        );
        dist(&site, "lib-one", "1.5", &[]);
        dist(&site, "lib-two", "2.0rc1", &["lib-one<1"]);
        dist(&site, "lib-three", "0.2", &[]);
        dist(&site, "lib-four", "1.0", &[]);
        // Satisfied, pre-release included.
        dist(&site, "ok", "1", &["lib-two>=1.0"]);
        // Unreadable requirements: a problem, and not installed for the others.
        dist(&site, "broken", "1", &["this is not a requirement"]);
        dist(&site, "needs-broken", "1", &["broken"]);

        insta::assert_snapshot!(report(&interpreter), @r#"
        Error parsing requirements for broken: invalid requirement "this is not a requirement" in "[SITE]/broken-1.dist-info/METADATA": Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `i`
        app 1.0 requires absent, which is not installed.
        app 1.0 requires absent, which is not installed.
        app 1.0 requires absent, which is not installed.
        needs-broken 1 requires broken, which is not installed.
        app 1.0 has requirement Lib_Four!=1.0,>=0.5, but you have lib-four 1.0.
        app 1.0 has requirement Lib_One>=2.0, but you have lib-one 1.5.
        lib-two 2.0rc1 has requirement lib-one<1, but you have lib-one 1.5.
        "#);
    }

    #[test]
    fn a_consistent_environment_has_no_problems() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("venv"));
        let interpreter = Interpreter::query(&venv.join("bin").join("python"), None).unwrap();
        let site = interpreter.site_packages().remove(0);
        dist(&site, "a", "1.0", &["b>=1", "c; python_version < '3'"]);
        dist(&site, "b", "1.0", &[]);
        assert_eq!(report(&interpreter), "");
    }
}
