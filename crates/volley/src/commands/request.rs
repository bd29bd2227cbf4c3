//! What the user asked for: requirements from the command line and from files, constraints,
//! and the index and format options files may carry.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use volley_packaging::{
    HashDigest, Operator, PackageName, Requirement, VersionOrUrl, parse_requirement,
};
use volley_requirements::{RequirementEntry, RequirementSpec, RequirementsTxt};

/// Requirements and constraints gathered from every source, in the order given.
#[derive(Debug, Default)]
pub struct Request {
    pub requirements: Vec<Requirement>,
    /// Where each requirement came from, for `# via -r file` annotations: the file, or `None`
    /// for the command line. Keyed by normalized name.
    pub sources: HashMap<String, Vec<String>>,
    pub constraints: Vec<Requirement>,
    /// Options that requirements files set (`--index-url`, `--pre`, ...).
    pub file_options: RequirementsTxt,
    /// `--hash` values per package (pip's hash-checking mode).
    pub hashes: HashMap<PackageName, BTreeSet<HashDigest>>,
}

impl Request {
    /// Whether every download must match a hash the user gave: `--require-hashes` (on the
    /// command line or in a file), or implied by any `--hash` option, as in pip.
    pub fn requires_hashes(&self, flag: bool) -> bool {
        flag || self.file_options.require_hashes || !self.hashes.is_empty()
    }

    /// pip's rules for hash-checking mode, before anything is resolved: every requirement is
    /// pinned to one version with `==` or `===`, and carries at least one hash.
    pub fn check_hash_mode(&self) -> Result<()> {
        let unpinned: Vec<String> = self
            .requirements
            .iter()
            .filter(|requirement| !is_pinned(requirement))
            .map(ToString::to_string)
            .collect();
        if !unpinned.is_empty() {
            bail!(
                "in hash-checking mode every requirement must be pinned with ==; these are not: {}",
                unpinned.join(", ")
            );
        }
        let missing: Vec<String> = self
            .requirements
            .iter()
            .filter(|requirement| !self.hashes.contains_key(&requirement.name))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            bail!(
                "in hash-checking mode every requirement needs a --hash; these have none: {}",
                missing.join(", ")
            );
        }
        Ok(())
    }
}

fn is_pinned(requirement: &Requirement) -> bool {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            specifiers.len() == 1
                && specifiers.iter().all(|specifier| {
                    matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual)
                })
        }
        _ => false,
    }
}

impl Request {
    pub fn read(
        command_line: &[String],
        requirement_files: &[PathBuf],
        constraint_files: &[PathBuf],
        cwd: &Path,
    ) -> Result<Self> {
        let mut request = Self::default();
        for text in command_line {
            let requirement = parse_requirement(text)?;
            request
                .sources
                .entry(requirement.name.to_string())
                .or_default();
            request.requirements.push(requirement);
        }
        for path in requirement_files {
            let file = read_file(path, cwd)?;
            let label = format!("-r {}", path.display());
            for entry in &file.requirements {
                let requirement = named(entry)?;
                if !entry.hashes.is_empty() {
                    request
                        .hashes
                        .entry(requirement.name.clone())
                        .or_default()
                        .extend(entry.hashes.iter().cloned());
                }
                request
                    .sources
                    .entry(requirement.name.to_string())
                    .or_default()
                    .push(label.clone());
                request.requirements.push(requirement);
            }
            for entry in &file.constraints {
                request.constraints.push(named(entry)?);
            }
            if let Some(editable) = file.editables.first() {
                bail!(
                    "editable requirement \"{}\" in {} is not supported yet",
                    editable.value,
                    path.display()
                );
            }
            request.file_options.merge(file);
        }
        for path in constraint_files {
            let file = read_file(path, cwd)?;
            // Everything in a constraints file constrains; nothing in it is installed.
            for entry in file.requirements.iter().chain(&file.constraints) {
                request.constraints.push(named(entry)?);
            }
        }
        Ok(request)
    }
}

fn read_file(path: &Path, cwd: &Path) -> Result<RequirementsTxt> {
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    RequirementsTxt::parse_file(&full, &crate::settings::variable)
        .with_context(|| format!("cannot read requirements from {}", path.display()))
}

fn named(entry: &RequirementEntry) -> Result<Requirement> {
    match &entry.requirement {
        RequirementSpec::Named(requirement) => Ok(requirement.clone()),
        RequirementSpec::Unnamed(text) => bail!(
            "{}: requirement \"{text}\" is a path or URL; installing from paths and URLs is \
             not supported yet",
            entry.origin
        ),
    }
}
