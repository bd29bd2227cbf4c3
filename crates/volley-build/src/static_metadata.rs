//! Metadata without running a build backend: a static `[project]` table (PEP 621), or the
//! `PKG-INFO` of an sdist when it promises its dependencies are final (PEP 643).
//!
//! Traps:
//! - a field absent from `[project]` and not listed in `dynamic` is *empty*, not unknown
//!   (no `dependencies` key means no dependencies);
//! - `version` may be dynamic, `name` may not; either missing makes the table unusable here;
//! - optional dependencies become `Requires-Dist` entries with an `extra == "name"` marker joined
//!   to their own marker, and extras are compared normalized (`Dev_Tools` is `dev-tools`);
//! - `PKG-INFO` before Metadata-Version 2.2 may be stale (setuptools wrote whatever `setup.py`
//!   said on the sdist author's machine), and from 2.2 on a field is only reliable when it is
//!   not listed as `Dynamic`; `2.10` is newer than `2.2`, so versions compare as numbers;
//! - a `PKG-INFO` at the root of a tree is taken to be an sdist's; a local checkout normally has
//!   none there (setuptools writes its own into `*.egg-info/`).
//!
//! Anything surprising here returns `None` rather than an error: the backend is the authority
//! on a project it builds, and running its hooks gives its own error message.

use std::path::Path;
use std::str::FromStr;

use volley_packaging::{
    CoreMetadata, ExtraName, MarkerTree, PackageName, Requirement, Version, parse_requires_python,
};

use crate::BuildError;
use crate::source_tree::load_pyproject;

/// The metadata a static `[project]` table of `tree`'s `pyproject.toml` gives, when its name,
/// version, dependencies, optional dependencies and Python requirement are all static.
pub(crate) fn from_pyproject(tree: &Path) -> Result<Option<CoreMetadata>, BuildError> {
    let Some(pyproject) = load_pyproject(tree)? else {
        return Ok(None);
    };
    let Some(project) = pyproject.get("project").and_then(toml::Value::as_table) else {
        return Ok(None);
    };
    let metadata = project_metadata(project);
    if metadata.is_none() {
        tracing::debug!(
            "the [project] table of {} is not static enough to skip the build backend",
            tree.display()
        );
    }
    Ok(metadata)
}

fn project_metadata(project: &toml::Table) -> Option<CoreMetadata> {
    let dynamic: Vec<&str> = match project.get("dynamic") {
        None => Vec::new(),
        Some(value) => value
            .as_array()?
            .iter()
            .map(toml::Value::as_str)
            .collect::<Option<_>>()?,
    };
    let is_dynamic = |field: &str| dynamic.contains(&field);
    if [
        "version",
        "dependencies",
        "optional-dependencies",
        "requires-python",
    ]
    .into_iter()
    .any(is_dynamic)
    {
        return None;
    }
    let name = PackageName::from_str(project.get("name")?.as_str()?).ok()?;
    let version = Version::from_str(project.get("version")?.as_str()?).ok()?;
    let requires_python = match project.get("requires-python") {
        None => None,
        Some(value) => Some(parse_requires_python(value.as_str()?).ok()?),
    };
    let mut requires_dist = match project.get("dependencies") {
        None => Vec::new(),
        Some(value) => requirements(value)?,
    };
    let mut provides_extra = Vec::new();
    if let Some(optional) = project.get("optional-dependencies") {
        for (extra, dependencies) in optional.as_table()? {
            let extra = ExtraName::from_str(extra).ok()?;
            let extra_marker = MarkerTree::from_str(&format!("extra == '{extra}'")).ok()?;
            for mut requirement in requirements(dependencies)? {
                requirement.marker.and(extra_marker.clone());
                requires_dist.push(requirement);
            }
            if !provides_extra.contains(&extra) {
                provides_extra.push(extra);
            }
        }
    }
    Some(CoreMetadata {
        metadata_version: "2.1".to_string(),
        name,
        version,
        requires_dist,
        requires_python,
        provides_extra,
        dynamic: Vec::new(),
    })
}

fn requirements(value: &toml::Value) -> Option<Vec<Requirement>> {
    value
        .as_array()?
        .iter()
        .map(|requirement| volley_packaging::parse_requirement(requirement.as_str()?).ok())
        .collect()
}

/// The metadata of `tree`'s `PKG-INFO` (an unpacked sdist) when it is Metadata-Version 2.2 or
/// later and none of `Requires-Dist`, `Requires-Python`, `Provides-Extra` is dynamic.
pub(crate) fn from_pkg_info(tree: &Path) -> Result<Option<CoreMetadata>, BuildError> {
    let path = tree.join("PKG-INFO");
    if !path.is_file() {
        return Ok(None);
    }
    let content = fs_err::read(&path)?;
    let metadata = match CoreMetadata::parse(&content) {
        Ok(metadata) => metadata,
        Err(error) => {
            tracing::debug!("ignoring {}: {error}", path.display());
            return Ok(None);
        }
    };
    if !at_least_2_2(&metadata.metadata_version) {
        tracing::debug!(
            "ignoring {}: Metadata-Version \"{}\" is before 2.2 (PEP 643)",
            path.display(),
            metadata.metadata_version
        );
        return Ok(None);
    }
    if let Some(field) = metadata.dynamic.iter().find(|field| {
        matches!(
            field.as_str(),
            "requires-dist" | "requires-python" | "provides-extra"
        )
    }) {
        tracing::debug!("ignoring {}: \"{field}\" is dynamic", path.display());
        return Ok(None);
    }
    Ok(Some(metadata))
}

fn at_least_2_2(metadata_version: &str) -> bool {
    let mut parts = metadata_version.trim().split('.');
    let major = parts.next().and_then(|part| part.parse::<u64>().ok());
    let minor = parts
        .next()
        .map_or(Some(0), |part| part.parse::<u64>().ok());
    match (major, minor) {
        (Some(major), Some(minor)) => (major, minor) >= (2, 2),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            fs_err::write(dir.path().join(path), content).unwrap();
        }
        dir
    }

    fn pyproject(content: &str) -> Option<CoreMetadata> {
        from_pyproject(tree(&[("pyproject.toml", content)]).path()).unwrap()
    }

    fn requires_dist(metadata: &CoreMetadata) -> Vec<String> {
        metadata
            .requires_dist
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn static_project_table() {
        let metadata = pyproject(
            r#"
[project]
name = "My_Package"
version = "1.2.3"
requires-python = ">=3.8,"
dependencies = ["requests>=2", "tomli; python_version < '3.11'"]
dynamic = ["readme", "scripts"]

[project.optional-dependencies]
Dev_Tools = ["pytest>=7", "colorama; sys_platform == 'win32'"]
docs = []
"#,
        )
        .unwrap();
        assert_eq!(metadata.name.as_ref(), "my-package");
        assert_eq!(metadata.version.to_string(), "1.2.3");
        assert_eq!(
            metadata.requires_python.as_ref().map(ToString::to_string),
            Some(">=3.8".to_string())
        );
        assert_eq!(
            requires_dist(&metadata),
            [
                "requests>=2",
                "tomli ; python_full_version < '3.11'",
                "pytest>=7 ; extra == 'dev-tools'",
                "colorama ; sys_platform == 'win32' and extra == 'dev-tools'",
            ]
        );
        let extras: Vec<&str> = metadata.provides_extra.iter().map(AsRef::as_ref).collect();
        assert_eq!(extras, ["dev-tools", "docs"]);
    }

    #[test]
    fn absent_dependencies_are_empty() {
        let metadata = pyproject("[project]\nname = \"a\"\nversion = \"1\"\n").unwrap();
        assert!(metadata.requires_dist.is_empty());
        assert!(metadata.provides_extra.is_empty());
        assert_eq!(metadata.requires_python, None);
    }

    #[test]
    fn dynamic_or_missing_fields_need_the_backend() {
        for content in [
            "[project]\nname = \"a\"\ndynamic = [\"version\"]\n",
            "[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n",
            "[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"optional-dependencies\"]\n",
            "[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"requires-python\"]\n",
            "[project]\nname = \"a\"\n",
            "[project]\nversion = \"1\"\n",
            "[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b>=\"]\n",
            "[project]\nname = \"a\"\nversion = \"one\"\n",
            "[build-system]\nrequires = []\n",
        ] {
            assert_eq!(pyproject(content), None, "{content}");
        }
        assert_eq!(from_pyproject(tree(&[]).path()).unwrap(), None);
    }

    #[test]
    fn pkg_info_2_2_without_dynamic_dependencies() {
        let dir = tree(&[(
            "PKG-INFO",
            "Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nDynamic: Summary\nRequires-Dist: bar\n",
        )]);
        let metadata = from_pkg_info(dir.path()).unwrap().unwrap();
        assert_eq!(metadata.name.as_ref(), "foo");
        assert_eq!(requires_dist(&metadata), ["bar"]);
    }

    #[test]
    fn pkg_info_that_cannot_be_trusted() {
        for content in [
            "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n",
            "Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nDynamic: Requires-Dist\n",
            "Metadata-Version: 2.3\nName: foo\nVersion: 1.0\nDynamic: requires-python\n",
            "Metadata-Version: 2.4\nName: foo\nVersion: 1.0\nDynamic: Provides-Extra\n",
            "Metadata-Version: 2.2\nName: foo\n",
        ] {
            let dir = tree(&[("PKG-INFO", content)]);
            assert_eq!(from_pkg_info(dir.path()).unwrap(), None, "{content}");
        }
    }

    #[test]
    fn metadata_versions_compare_as_numbers() {
        assert!(at_least_2_2("2.2"));
        assert!(at_least_2_2("2.10"));
        assert!(at_least_2_2("3"));
        assert!(!at_least_2_2("2.1"));
        assert!(!at_least_2_2("1.2"));
        assert!(!at_least_2_2(""));
        assert!(!at_least_2_2("two"));
    }
}
