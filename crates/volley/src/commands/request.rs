//! What the user asked for: requirements from the command line and from files, constraints,
//! and the index and format options files may carry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use volley_packaging::{Requirement, parse_requirement};
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
