//! After an install: the installed distributions whose dependencies it left broken, in pip's
//! words (pip's `_warn_about_conflicts` after `check_install_conflicts`).
//!
//! pip's rules, followed here:
//! - only the packages the install touched and those that depend on them directly are looked
//!   at (pip's "whitelist"): a breakage the install did not cause is not reported;
//! - the message is an error line followed by one line per problem, missing dependencies
//!   first, and the exit status stays 0;
//! - `--no-warn-conflicts`, and `--no-deps`, skip the check.
//!
//! `--target` and `--prefix` directories are not checked: they hold only part of what their
//! packages import.
//!
//! volley checks the environment as it is after the install (the check of `volley check`),
//! where pip simulates the install beforehand; the result is the same.

use std::collections::HashSet;

use anyhow::{Context, Result};
use volley_packaging::PackageName;
use volley_python::{InstalledDist, Problem};

use crate::printer::Printer;

/// Prints pip's conflict error when the install of `touched` left dependencies broken among
/// `installed` (what the destination holds now). Blocking: reads every distribution's metadata.
pub fn warn_about_conflicts(
    installed: &[InstalledDist],
    touched: &HashSet<PackageName>,
    markers: &volley_packaging::MarkerEnvironment,
    printer: &Printer,
) -> Result<()> {
    let mut affected = touched.clone();
    for dist in installed {
        if affected.contains(&dist.name) {
            continue;
        }
        // Unreadable metadata is `volley check`'s business, not this warning's.
        let Ok(dependencies) = dist.dependencies(markers) else {
            continue;
        };
        if dependencies
            .iter()
            .any(|dependency| touched.contains(&dependency.requirement.name))
        {
            affected.insert(dist.name.clone());
        }
    }
    let lines: Vec<String> = volley_python::check(installed, markers)
        .into_iter()
        .filter_map(|problem| match problem {
            Problem::UnreadableMetadata { .. } => None,
            Problem::Missing {
                package,
                version,
                dependency,
            } => affected.contains(&package).then(|| {
                format!(
                    "{package} {version} requires {}, which is not installed.",
                    dependency.pip_display()
                )
            }),
            Problem::Conflict {
                package,
                version,
                dependency,
                installed,
            } => affected.contains(&package).then(|| {
                format!(
                    "{package} {version} requires {}, but you have {} {installed} which is \
                     incompatible.",
                    dependency.pip_display(),
                    dependency.requirement.name
                )
            }),
        })
        .collect();
    if !lines.is_empty() {
        printer.error_message(format!(
            "volley's dependency resolver does not currently take into account all the packages \
             that are installed. This behaviour is the source of the following dependency \
             conflicts.\n{}",
            lines.join("\n")
        ));
    }
    Ok(())
}

/// [`warn_about_conflicts`] for a destination, reading what it holds now.
pub async fn check_after_install(
    destination: &crate::destination::Destination,
    interpreter: &volley_python::Interpreter,
    scheme: &volley_python::Scheme,
    touched: HashSet<PackageName>,
    printer: &Printer,
) -> Result<()> {
    let destination = destination.clone();
    let interpreter = interpreter.clone();
    let scheme = scheme.clone();
    let printer = printer.clone();
    tokio::task::spawn_blocking(move || {
        let installed = destination.installed(&interpreter, &scheme)?;
        warn_about_conflicts(&installed, &touched, &interpreter.markers, &printer)
    })
    .await
    .context("the dependency check stopped")?
}
