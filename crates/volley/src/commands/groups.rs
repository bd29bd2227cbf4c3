//! PEP 735 dependency groups for `install --group [PATH:]GROUP`, as pip 25.1 reads them.
//!
//! - `PATH` is everything before the last `:`, and must name a file called `pyproject.toml`;
//!   without it, `pyproject.toml` in the current directory.
//! - Group names compare normalized (runs of `-`, `_`, `.` as one `-`, lower case); two groups
//!   whose names normalize alike are an error.
//! - An entry is a PEP 508 requirement string, or `{include-group = "NAME"}`, expanded in
//!   place; a group that includes itself, directly or not, is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The requirement strings of the groups `specs` name, in order.
pub fn requirements(specs: &[String], cwd: &Path) -> Result<Vec<String>> {
    let mut files: BTreeMap<PathBuf, BTreeMap<String, Vec<toml::Value>>> = BTreeMap::new();
    let mut requirements = Vec::new();
    for spec in specs {
        let (path, group) = match spec.rsplit_once(':') {
            Some((path, group)) => (PathBuf::from(path), group),
            None => (PathBuf::from("pyproject.toml"), spec.as_str()),
        };
        if path.file_name().is_none_or(|name| name != "pyproject.toml") {
            bail!(
                "invalid --group \"{spec}\": the file must be named pyproject.toml, not \"{}\"",
                path.display()
            );
        }
        let path = cwd.join(path);
        if !files.contains_key(&path) {
            let groups = read_groups(&path)?;
            files.insert(path.clone(), groups);
        }
        let groups = &files[&path];
        let mut stack = Vec::new();
        expand(groups, &path, group, &mut stack, &mut requirements)?;
    }
    Ok(requirements)
}

/// PEP 735's name normalization (that of PEP 503).
fn normalize(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut separator = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !normalized.is_empty() {
                normalized.push('-');
            }
            separator = false;
            normalized.push(character.to_ascii_lowercase());
        }
    }
    normalized
}

/// The `[dependency-groups]` table of `path`, by normalized name.
fn read_groups(path: &Path) -> Result<BTreeMap<String, Vec<toml::Value>>> {
    let text = fs_err::read_to_string(path)?;
    let document: toml::Table =
        toml::from_str(&text).with_context(|| format!("invalid TOML in {}", path.display()))?;
    let Some(table) = document.get("dependency-groups") else {
        bail!("{} has no [dependency-groups] table", path.display());
    };
    let Some(table) = table.as_table() else {
        bail!("[dependency-groups] in {} is not a table", path.display());
    };
    let mut groups = BTreeMap::new();
    for (name, entries) in table {
        let Some(entries) = entries.as_array() else {
            bail!(
                "dependency group \"{name}\" in {} is not a list",
                path.display()
            );
        };
        if groups.insert(normalize(name), entries.clone()).is_some() {
            bail!(
                "two dependency groups in {} are named \"{}\" once normalized",
                path.display(),
                normalize(name)
            );
        }
    }
    Ok(groups)
}

/// Appends the requirements of `group` (its includes expanded) to `out`.
fn expand(
    groups: &BTreeMap<String, Vec<toml::Value>>,
    path: &Path,
    group: &str,
    stack: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<()> {
    let name = normalize(group);
    if stack.contains(&name) {
        bail!(
            "dependency group \"{group}\" in {} includes itself ({} -> {name})",
            path.display(),
            stack.join(" -> ")
        );
    }
    let Some(entries) = groups.get(&name) else {
        bail!(
            "dependency group \"{group}\" not found in {}",
            path.display()
        );
    };
    stack.push(name);
    for entry in entries {
        if let Some(requirement) = entry.as_str() {
            out.push(requirement.to_string());
        } else if let Some(include) = entry
            .as_table()
            .filter(|table| table.len() == 1)
            .and_then(|table| table.get("include-group"))
            .and_then(toml::Value::as_str)
        {
            expand(groups, path, include, stack, out)?;
        } else {
            bail!(
                "invalid entry {entry} in dependency group \"{group}\" of {}: expected a \
                 requirement string or {{include-group = \"NAME\"}}",
                path.display()
            );
        }
    }
    stack.pop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_as_pep_735_says() {
        assert_eq!(normalize("Test_Tools..X"), "test-tools-x");
        assert_eq!(normalize("lint"), "lint");
    }
}
