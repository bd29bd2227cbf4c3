//! The `[build-system]` table of `pyproject.toml` (PEP 518, PEP 517), with pip's defaults.
//!
//! The rules, as pip applies them:
//! - no `pyproject.toml` but a `setup.py`: setuptools' legacy backend,
//!   `setuptools.build_meta:__legacy__`, requiring `setuptools>=40.8.0` (no `wheel`: setuptools
//!   builds wheels by itself since 70.1, and pip dropped it from the default in 23.1);
//! - neither file: not a Python project, an error;
//! - a `pyproject.toml` without `[build-system]`: the same legacy default;
//! - a `[build-system]` without `requires`: an error (`requires` is mandatory in the table);
//! - `requires` but no `build-backend`: the legacy backend with the declared requirements only
//!   (pip only warns when they lack setuptools; the backend import then fails and says so);
//! - `backend-path` entries are relative to the project root and must stay inside it, after
//!   symlinks are resolved.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use volley_packaging::Requirement;

use crate::BuildError;
use crate::source_tree::load_pyproject;

/// The backend that builds projects which do not name one.
pub const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";
/// What the legacy backend needs in the build environment.
pub const LEGACY_REQUIRES: &str = "setuptools>=40.8.0";

/// How to build a project: what to install first, and which backend to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSystem {
    /// `build-system.requires`.
    pub requires: Vec<Requirement>,
    /// `build-system.build-backend`: `module` or `module:object`.
    pub build_backend: String,
    /// `build-system.backend-path`, as written: directories relative to the project root that
    /// hold an in-tree backend.
    pub backend_path: Vec<String>,
}

impl BuildSystem {
    /// The default for projects without a `[build-system]` table.
    pub fn legacy() -> Self {
        Self {
            requires: vec![
                Requirement::from_str(LEGACY_REQUIRES).expect("the legacy requirement is valid"),
            ],
            build_backend: LEGACY_BACKEND.to_string(),
            backend_path: Vec::new(),
        }
    }
}

/// Read the build system of the project in `tree`; see the module documentation for the rules.
pub fn read_build_system(tree: &Path) -> Result<BuildSystem, BuildError> {
    let pyproject_path = tree.join("pyproject.toml");
    let Some(pyproject) = load_pyproject(tree)? else {
        if tree.join("setup.py").is_file() {
            return Ok(BuildSystem::legacy());
        }
        return Err(BuildError::NotAProject {
            path: tree.to_path_buf(),
        });
    };
    let invalid = |reason: String| BuildError::InvalidBuildSystem {
        path: pyproject_path.clone(),
        reason,
    };
    let Some(table) = pyproject.get("build-system") else {
        return Ok(BuildSystem::legacy());
    };
    let table = table
        .as_table()
        .ok_or_else(|| invalid("\"build-system\" is not a table".to_string()))?;
    let requires = table.get("requires").ok_or_else(|| {
        invalid(
            "it has a [build-system] table but no \"requires\" key, which is mandatory in the table"
                .to_string(),
        )
    })?;
    let requires = string_list(requires)
        .ok_or_else(|| invalid("\"build-system.requires\" is not a list of strings".to_string()))?
        .into_iter()
        .map(|requirement| {
            volley_packaging::parse_requirement(requirement).map_err(|error| {
                invalid(format!(
                    "invalid requirement \"{requirement}\" in \"build-system.requires\": {}",
                    error.reason()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let build_backend = match table.get("build-backend") {
        None => LEGACY_BACKEND.to_string(),
        Some(value) => value
            .as_str()
            .ok_or_else(|| invalid("\"build-system.build-backend\" is not a string".to_string()))?
            .to_string(),
    };
    let backend_path = match table.get("backend-path") {
        None => Vec::new(),
        Some(value) => string_list(value)
            .ok_or_else(|| {
                invalid("\"build-system.backend-path\" is not a list of strings".to_string())
            })?
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    resolve_backend_path(tree, &backend_path).map_err(invalid)?;
    Ok(BuildSystem {
        requires,
        build_backend,
        backend_path,
    })
}

/// The absolute directories of `backend_path`; an error (the reason) when one is absolute or
/// leads outside `tree`.
pub(crate) fn resolve_backend_path(
    tree: &Path,
    backend_path: &[String],
) -> Result<Vec<PathBuf>, String> {
    if backend_path.is_empty() {
        return Ok(Vec::new());
    }
    let root = fs_err::canonicalize(tree).map_err(|error| error.to_string())?;
    backend_path
        .iter()
        .map(|entry| {
            let relative = Path::new(entry);
            if relative.has_root() || relative.is_absolute() {
                return Err(format!(
                    "\"build-system.backend-path\" entry \"{entry}\" is not a relative path"
                ));
            }
            let joined = root.join(relative);
            // Resolve symlinks where the path exists; a missing directory is judged lexically
            // (the backend import then fails with its own message).
            let resolved =
                fs_err::canonicalize(&joined).unwrap_or_else(|_| crate::source::normalize(&joined));
            if resolved.starts_with(&root) {
                Ok(resolved)
            } else {
                Err(format!(
                    "\"build-system.backend-path\" entry \"{entry}\" is outside the project root"
                ))
            }
        })
        .collect()
}

fn string_list(value: &toml::Value) -> Option<Vec<&str>> {
    value
        .as_array()?
        .iter()
        .map(toml::Value::as_str)
        .collect::<Option<Vec<_>>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, content).unwrap();
        }
        dir
    }

    fn requires(build_system: &BuildSystem) -> Vec<String> {
        build_system
            .requires
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Errors name the project directory, which differs per run.
    fn error(dir: &tempfile::TempDir) -> String {
        let error = read_build_system(dir.path()).unwrap_err().to_string();
        error.replace(&dir.path().display().to_string(), "[TREE]")
    }

    #[test]
    fn setup_py_only_is_setuptools_legacy() {
        let dir = tree(&[("setup.py", "from setuptools import setup; setup()")]);
        let build_system = read_build_system(dir.path()).unwrap();
        assert_eq!(
            build_system.build_backend,
            "setuptools.build_meta:__legacy__"
        );
        assert_eq!(requires(&build_system), ["setuptools>=40.8.0"]);
        assert!(build_system.backend_path.is_empty());
    }

    #[test]
    fn pyproject_without_build_system_is_setuptools_legacy() {
        let dir = tree(&[("pyproject.toml", "[tool.black]\nline-length = 100\n")]);
        assert_eq!(
            read_build_system(dir.path()).unwrap(),
            BuildSystem::legacy()
        );
    }

    #[test]
    fn declared_build_system() {
        let dir = tree(&[(
            "pyproject.toml",
            r#"
[build-system]
requires = ["hatchling>=1.20", "hatch-vcs; python_version >= '3.8'"]
build-backend = "hatchling.build"
"#,
        )]);
        let build_system = read_build_system(dir.path()).unwrap();
        assert_eq!(build_system.build_backend, "hatchling.build");
        assert_eq!(
            requires(&build_system),
            [
                "hatchling>=1.20",
                "hatch-vcs ; python_full_version >= '3.8'"
            ]
        );
    }

    #[test]
    fn requires_without_backend_uses_legacy_backend_and_declared_requires() {
        let dir = tree(&[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"cython\"]\n",
            ),
            ("setup.py", ""),
        ]);
        let build_system = read_build_system(dir.path()).unwrap();
        assert_eq!(build_system.build_backend, LEGACY_BACKEND);
        assert_eq!(requires(&build_system), ["cython"]);
    }

    #[test]
    fn in_tree_backend_path() {
        let dir = tree(&[
            (
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n",
            ),
            ("_backend/mybackend.py", ""),
        ]);
        let build_system = read_build_system(dir.path()).unwrap();
        assert_eq!(build_system.backend_path, ["_backend"]);
        assert!(build_system.requires.is_empty());
        let resolved = resolve_backend_path(dir.path(), &build_system.backend_path).unwrap();
        assert_eq!(
            resolved,
            [fs_err::canonicalize(dir.path().join("_backend")).unwrap()]
        );
    }

    #[test]
    fn neither_setup_py_nor_pyproject() {
        let dir = tree(&[("README", "")]);
        insta::assert_snapshot!(error(&dir), @r#"[TREE] does not appear to be a Python project: neither "setup.py" nor "pyproject.toml" found"#);
    }

    #[test]
    fn invalid_tables() {
        let cases = [
            "[build-system]\nbuild-backend = \"x\"\n",
            "[build-system]\nrequires = \"setuptools\"\n",
            "[build-system]\nrequires = [\"setuptools>=\"]\n",
            "[build-system]\nrequires = []\nbuild-backend = 1\n",
            "[build-system]\nrequires = []\nbackend-path = [\"../elsewhere\"]\n",
            "[build-system]\nrequires = []\nbackend-path = [\"/abs\"]\n",
            "build-system = \"x\"\n",
            "[build-system\n",
        ];
        let errors: Vec<String> = cases
            .iter()
            .map(|content| error(&tree(&[("pyproject.toml", content)])))
            .map(|error| {
                // The temp dir differs per case; keep the file name only.
                let start = error.find("pyproject.toml").unwrap_or(0);
                error[start..].to_string()
            })
            .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        pyproject.toml does not comply with PEP 518: it has a [build-system] table but no "requires" key, which is mandatory in the table
        pyproject.toml does not comply with PEP 518: "build-system.requires" is not a list of strings
        pyproject.toml does not comply with PEP 518: invalid requirement "setuptools>=" in "build-system.requires": Unexpected end of version specifier, expected version
        pyproject.toml does not comply with PEP 518: "build-system.build-backend" is not a string
        pyproject.toml does not comply with PEP 518: "build-system.backend-path" entry "../elsewhere" is outside the project root
        pyproject.toml does not comply with PEP 518: "build-system.backend-path" entry "/abs" is not a relative path
        pyproject.toml does not comply with PEP 518: "build-system" is not a table
        pyproject.toml: TOML parse error at line 1, column 14
          |
        1 | [build-system
          |              ^
        unclosed table, expected `]`
        "#);
    }
}
