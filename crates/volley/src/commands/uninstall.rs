//! `volley uninstall NAME... [-r FILE] [-y]`: remove installed distributions through their
//! `RECORD` (`volley_installer::uninstall`), with pip 23.2's dialogue.
//!
//! What pip does, and volley with it:
//! - names are requirements (`pkg==1.0` names `pkg`), from the command line and `-r` files,
//!   taken once per normalized name; a name that is not installed is skipped with a warning
//!   (`Skipping x as it is not installed`) and does not fail the command;
//! - each distribution prints `Found existing installation: Name 1.0`, `Uninstalling
//!   Name-1.0:` and, once removed, `  Successfully uninstalled Name-1.0`;
//! - without `-y`, the files to remove are listed (pip's compact form: a package directory
//!   as `dir/*`, files it does not own listed as `Would not remove`) and `Proceed (Y/n)? ` is
//!   asked, on a terminal or not: pip reads the answer from standard input either way. An
//!   empty answer or `y` proceeds, `n` keeps that distribution and goes on with the next, and
//!   anything else asks again.
//!
//! Where volley differs on purpose:
//! - when standard input is closed (no answer), pip crashes with `EOFError` (exit 2); volley
//!   stops with an error saying to pass `-y` (exit 1). Either way nothing more is removed;
//! - distributions without `RECORD`, and legacy `*.egg-info` installs (which pip removes
//!   through `installed-files.txt` or `top_level.txt` guesses), are refused before anything is
//!   removed, where pip removes the earlier names and then fails;
//! - the dialogue goes to standard error, as all of volley's messages do.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use volley_packaging::{PackageName, Version, parse_requirement};
use volley_python::{InstalledDist, InstalledFormat, Interpreter};
use volley_requirements::{RequirementSpec, RequirementsTxt};

use crate::cli::{GlobalArgs, UninstallArgs};
use crate::commands::environment::Target;
use crate::commands::install::layout;
use crate::commands::resolve::lock_environment;
use crate::printer::Printer;
use crate::settings::{self, Environment};

/// A distribution volley will not uninstall; checked before anything is removed.
#[derive(Debug, thiserror::Error)]
pub enum UninstallRefusal {
    #[error(
        "cannot uninstall {name} {version}: \"{}\" has no RECORD file, so the files that belong to it are unknown",
        dist_info.display()
    )]
    NoRecord {
        name: String,
        version: Version,
        dist_info: PathBuf,
        installer: Option<String>,
    },
    #[error(
        "cannot uninstall {name} {version}: \"{}\" is a legacy .egg-info installation, which volley does not uninstall",
        path.display()
    )]
    EggInfo {
        name: String,
        version: Version,
        path: PathBuf,
    },
}

impl UninstallRefusal {
    /// What the user can do instead.
    pub fn hint(&self) -> String {
        match self {
            Self::NoRecord {
                installer: Some(installer),
                ..
            } if installer != "volley" && installer != "pip" => {
                format!("it was installed by {installer}: uninstall it with {installer}")
            }
            Self::NoRecord { dist_info, .. } => {
                format!("remove its files and \"{}\" by hand", dist_info.display())
            }
            Self::EggInfo { name, .. } => {
                format!("pip can remove legacy installations: `python -m pip uninstall {name}`")
            }
        }
    }
}

pub fn uninstall(
    args: UninstallArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let requested = requested_names(&args, env)?;
    if requested.is_empty() {
        bail!("no packages given: name packages or pass -r FILE");
    }
    let mut target = Target::find(&args.python, global, env, &printer)?;
    target.announce(env, &printer);
    let config = settings::pip_config(global, env, "uninstall")?;
    if !args.break_system_packages && config.break_system_packages != Some(true) {
        crate::destination::check_externally_managed(&target.interpreter)?;
    }
    // Under the environment's lock, as installs are: an install running there finishes first,
    // one that a killed process left unfinished is rolled back, then what is installed is read.
    let _lock = lock_environment(&target.interpreter, &printer)?;
    target.reload()?;
    let plan: Vec<(&str, Option<&InstalledDist>)> = requested
        .iter()
        .map(|(name, written)| (written.as_str(), target.get(name)))
        .collect();
    for dist in plan.iter().filter_map(|(_, dist)| *dist) {
        refuse_unless_removable(dist)?;
    }

    let layout = layout(&target.interpreter);
    for (written, dist) in plan {
        let Some(dist) = dist else {
            printer.warn(format!("Skipping {written} as it is not installed"));
            continue;
        };
        let name_version = format!("{}-{}", dist.raw_name, dist.version);
        printer.status(format!(
            "Found existing installation: {} {}",
            dist.raw_name, dist.version
        ));
        printer.status(format!("Uninstalling {name_version}:"));
        if !args.yes {
            print_listing(&printer, &listing(dist, &target.interpreter)?);
            if !confirm(&printer)? {
                continue;
            }
        }
        let summary = volley_installer::uninstall(&dist.dist_info, &layout)
            .with_context(|| format!("cannot uninstall {} {}", dist.raw_name, dist.version))?;
        for path in summary.outside_environment {
            printer.warn(format!(
                "left {} in place: it is outside the environment",
                path.display()
            ));
        }
        printer.status(format!("  Successfully uninstalled {name_version}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// The normalized names to uninstall, each with the spelling to show, in the order first given
/// (a later mention replaces the spelling, as in pip).
fn requested_names(args: &UninstallArgs, env: &Environment) -> Result<Vec<(PackageName, String)>> {
    let mut names: Vec<(PackageName, String)> = Vec::new();
    let mut add = |name: PackageName, written: String| match names
        .iter_mut()
        .find(|(known, _)| *known == name)
    {
        Some(entry) => entry.1 = written,
        None => names.push((name, written)),
    };
    for text in &args.packages {
        let requirement = parse_requirement(text)?;
        let written = text
            .trim_start()
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .next()
            .unwrap_or_default()
            .to_string();
        add(requirement.name, written);
    }
    for path in &args.requirement {
        let full = if path.is_absolute() {
            path.clone()
        } else {
            env.cwd.join(path)
        };
        let file = RequirementsTxt::parse_file(&full, &settings::variable)
            .with_context(|| format!("cannot read requirements from {}", path.display()))?;
        // pip uninstalls what a file names; paths and URLs without a name are passed over.
        for entry in &file.requirements {
            if let RequirementSpec::Named(requirement) = &entry.requirement {
                add(requirement.name.clone(), requirement.name.to_string());
            }
        }
    }
    Ok(names)
}

fn refuse_unless_removable(dist: &InstalledDist) -> Result<(), UninstallRefusal> {
    if dist.format == InstalledFormat::EggInfo {
        return Err(UninstallRefusal::EggInfo {
            name: dist.raw_name.clone(),
            version: dist.version.clone(),
            path: dist.dist_info.clone(),
        });
    }
    if dist.record.is_none() {
        return Err(UninstallRefusal::NoRecord {
            name: dist.raw_name.clone(),
            version: dist.version.clone(),
            dist_info: dist.dist_info.clone(),
            installer: dist.installer.clone(),
        });
    }
    Ok(())
}

/// `Proceed (Y/n)? `, asked until the answer is one pip accepts.
fn confirm(printer: &Printer) -> Result<bool> {
    loop {
        let Some(answer) = printer
            .prompt("Proceed (Y/n)? ")
            .context("cannot read the answer from standard input")?
        else {
            bail!(
                "no answer to \"Proceed (Y/n)?\": standard input is closed; pass -y to \
                 uninstall without asking"
            );
        };
        match answer.trim().to_lowercase().as_str() {
            "" | "y" => return Ok(true),
            "n" => return Ok(false),
            other => printer.status(format!(
                "Your response ('{other}') was not one of the expected responses: y, n, "
            )),
        }
    }
}

/// What pip shows before asking: paths it would remove, files in those directories that the
/// distribution does not own, and paths outside the environment that it leaves.
#[derive(Debug, Default, PartialEq, Eq)]
struct Listing {
    remove: BTreeSet<String>,
    skip: BTreeSet<String>,
    outside: BTreeSet<String>,
}

/// pip's `compress_for_output_listing` over the distribution's existing `RECORD` paths.
fn listing(dist: &InstalledDist, interpreter: &Interpreter) -> Result<Listing> {
    let mut paths = BTreeSet::new();
    let mut outside = BTreeSet::new();
    for entry in dist.files()?.unwrap_or_default() {
        let path = normalize(&dist.location().join(&entry));
        let mut candidates = vec![path.clone()];
        if path.extension().is_some_and(|extension| extension == "py") {
            candidates.push(path.with_extension("pyo"));
        }
        for candidate in candidates {
            if fs_err::symlink_metadata(&candidate).is_err() {
                continue;
            }
            // pip refuses paths outside `sys.prefix` only inside a virtual environment.
            let text = candidate.display().to_string();
            if interpreter.is_virtualenv && !candidate.starts_with(&interpreter.sys_prefix) {
                outside.insert(text);
            } else {
                paths.insert(text);
            }
        }
    }

    let mut folders = BTreeSet::new();
    let mut files = BTreeSet::new();
    for path in &paths {
        if path.ends_with(".pyc") {
            continue;
        }
        if (path.ends_with("__init__.py") || path.contains(".dist-info"))
            && let Some(parent) = Path::new(path).parent()
        {
            folders.insert(parent.display().to_string());
        }
        files.insert(path.clone());
    }
    let folders = compact(&folders);
    let mut skip = BTreeSet::new();
    for folder in &folders {
        for file in files_under(Path::new(folder)) {
            let text = file.display().to_string();
            if !text.ends_with(".pyc") && file.is_file() && !files.contains(&text) {
                skip.insert(text);
            }
        }
    }
    let mut remove = files;
    remove.extend(folders.iter().map(|folder| format!("{folder}/*")));
    Ok(Listing {
        remove: compact(&remove),
        skip: compact(&skip),
        outside: compact(&outside),
    })
}

fn print_listing(printer: &Printer, listing: &Listing) {
    for (title, paths) in [
        ("Would remove:", &listing.remove),
        ("Would not remove (might be manually added):", &listing.skip),
        ("Would not remove (outside of prefix):", &listing.outside),
    ] {
        if paths.is_empty() {
            continue;
        }
        printer.status(format!("  {title}"));
        for path in paths {
            printer.status(format!("    {path}"));
        }
    }
}

/// pip's `compact`: drops every path inside another one of the set (`dir/*` stands for the
/// directory).
fn compact(paths: &BTreeSet<String>) -> BTreeSet<String> {
    let mut by_length: Vec<&String> = paths.iter().collect();
    by_length.sort_by_key(|path| path.len());
    let mut kept: Vec<&str> = Vec::new();
    for path in by_length {
        let inside = kept.iter().any(|short| {
            let prefix = short.trim_end_matches('*');
            let directory = prefix.trim_end_matches('/');
            path.starts_with(prefix) && path.as_bytes().get(directory.len()) == Some(&b'/')
        });
        if !inside {
            kept.push(path);
        }
    }
    kept.into_iter().map(str::to_string).collect()
}

/// Every non-directory entry under `directory`, recursively, symlinks not followed.
fn files_under(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = fs_err::read_dir(&current) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            match entry.file_type() {
                Ok(file_type) if file_type.is_dir() => pending.push(path),
                Ok(_) => files.push(path),
                Err(_) => {}
            }
        }
    }
    files
}

/// `.` and `..` resolved without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn compacts_as_pip_does() {
        assert_eq!(
            compact(&set(&[
                "/s/pkg/*",
                "/s/pkg/__init__.py",
                "/s/pkg/sub/mod.py",
                "/s/pkg2/x.py",
                "/s/pkg-1.0.dist-info/*",
                "/s/pkg-1.0.dist-info/RECORD",
                "/bin/tool",
            ])),
            set(&[
                "/s/pkg/*",
                "/s/pkg2/x.py",
                "/s/pkg-1.0.dist-info/*",
                "/bin/tool"
            ])
        );
    }

    #[test]
    fn normalizes_record_paths() {
        assert_eq!(
            normalize(Path::new(
                "/v/lib/python3.11/site-packages/../../../bin/./tool"
            )),
            PathBuf::from("/v/bin/tool")
        );
    }
}
