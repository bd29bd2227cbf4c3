//! `volley freeze`: the installed distributions in requirements format, as pip 23.2's
//! `pip freeze` writes them, so that `volley install -r` (or pip) reinstalls the same set.
//!
//! - `Name==version`, with the name spelled as its metadata does, sorted case-insensitively by
//!   that spelling (not by normalized name: `pip list` sorts by normalized name);
//! - a distribution installed from a URL or path (`direct_url.json`, PEP 610) is
//!   `Name @ url` (archives with `#sha256=...` when recorded, `vcs+url@commit` for VCS);
//! - an editable install inside a git checkout is `-e git+<remote>@<commit>#egg=<name>`, as
//!   pip asks git for it (`editable_vcs.rs`); any other is `-e <project directory>` under
//!   pip's comment `# Editable install with no version control (Name==version)`;
//! - `pip`, and on Python < 3.12 also `setuptools`, `wheel` and `distribute`, are left out
//!   unless `--all`: pip decides this by the version of the interpreter it runs under, which
//!   with `--python` is the target's, so volley decides it by the target's version.

use std::process::ExitCode;

use anyhow::Result;
use volley_python::InstalledDist;

use crate::cli::{FreezeArgs, GlobalArgs};
use crate::commands::environment::{self, Target};
use crate::printer::Printer;
use crate::settings::Environment;

pub fn freeze(
    args: FreezeArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let mut target = Target::find(&args.python, global, env, &printer)?;
    target.restrict_to_paths(&args.path, args.local, &env.cwd)?;
    let mut excluded = environment::package_names(&args.exclude)?;
    if !args.all {
        excluded.extend(environment::package_names(&hidden_packages(&target))?);
    }
    let mut entries: Vec<(String, String)> = Vec::new();
    for dist in &target.installed {
        if !environment::is_listed(dist, &excluded) {
            continue;
        }
        let Some(entry) = entry(dist, args.exclude_editable, &printer) else {
            continue;
        };
        entries.push((dist.raw_name.to_lowercase(), entry));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut output = String::new();
    for (_, entry) in entries {
        output.push_str(&entry);
        output.push('\n');
    }
    printer.stdout(output);
    Ok(ExitCode::SUCCESS)
}

/// The names `pip freeze` leaves out without `--all`.
fn hidden_packages(target: &Target) -> Vec<String> {
    let names: &[&str] = if target.interpreter.python_minor_version() < (3, 12) {
        &["pip", "setuptools", "wheel", "distribute"]
    } else {
        &["pip"]
    };
    names.iter().map(ToString::to_string).collect()
}

/// The line(s) for one distribution; `None` for an editable one when they are excluded.
fn entry(dist: &InstalledDist, exclude_editable: bool, printer: &Printer) -> Option<String> {
    let name_version = format!("{}=={}", dist.raw_name, dist.version);
    let Some(direct_url) = environment::direct_url(dist, printer) else {
        return Some(name_version);
    };
    if let Some(location) = direct_url.editable_location() {
        if exclude_editable {
            return None;
        }
        let location = std::path::absolute(&location).unwrap_or(location);
        let (requirement, comments) =
            crate::editable_vcs::freeze_entry(&location, &dist.raw_name, &name_version);
        let mut text = String::new();
        for comment in comments {
            text.push_str(&comment);
            text.push('\n');
        }
        text.push_str(&format!("-e {requirement}"));
        return Some(text);
    }
    Some(direct_url.requirement(&dist.raw_name))
}
