//! `volley show NAME...`: what pip 23.2's `pip show` prints about installed distributions.
//!
//! - pip's fields in pip's order, taken from the metadata as written (a missing field is
//!   empty; a folded value keeps its line breaks), `---` between distributions;
//! - `Requires`: the names of the dependencies whose markers hold (no extras), spelled as the
//!   requirement does, sorted case-insensitively; `Required-by`: the installed distributions
//!   that depend on it that way;
//! - `-f` adds `Files:` (`RECORD`'s paths, sorted), `-v` adds `Metadata-Version`, `Installer`,
//!   `Classifiers`, `Entry-points` and `Project-URLs`;
//! - names not installed are warned about together (`Package(s) not found: ...`); the exit
//!   code is 1 only when nothing was shown.

use std::process::ExitCode;

use anyhow::Result;
use volley_packaging::PackageName;
use volley_python::InstalledDist;

use crate::cli::{GlobalArgs, ShowArgs};
use crate::commands::environment::{self, Target};
use crate::printer::Printer;
use crate::settings::Environment;

pub fn show(
    args: ShowArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let target = Target::find(&args.python, global, env, &printer)?;
    let queried: Vec<(&String, Option<&InstalledDist>)> = args
        .packages
        .iter()
        .map(|query| {
            let dist = query
                .parse::<PackageName>()
                .ok()
                .and_then(|name| target.get(&name));
            (query, dist)
        })
        .collect();
    let mut missing: Vec<&str> = queried
        .iter()
        .filter(|(_, dist)| dist.is_none())
        .map(|(query, _)| query.as_str())
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        printer.warn(format!("Package(s) not found: {}", missing.join(", ")));
    }

    let mut blocks = Vec::new();
    for dist in queried.iter().filter_map(|(_, dist)| *dist) {
        blocks.push(block(dist, &target, &args, global.verbose > 0, &printer)?);
    }
    if blocks.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    printer.stdout(blocks.join("---\n"));
    Ok(ExitCode::SUCCESS)
}

/// The lines about one distribution.
fn block(
    dist: &InstalledDist,
    target: &Target,
    args: &ShowArgs,
    verbose: bool,
    printer: &Printer,
) -> Result<String> {
    let fields = dist.metadata_fields()?;
    let field = |name: &str| fields.get(name).unwrap_or_default().to_string();
    let markers = &target.interpreter.markers;

    let mut requires: Vec<String> = dist
        .dependencies(markers)?
        .iter()
        .map(|dependency| dependency.name_as_written().to_string())
        .collect();
    sort_case_insensitively(&mut requires);
    let mut required_by = Vec::new();
    for other in &target.installed {
        match other.dependencies(markers) {
            Ok(dependencies) => {
                if dependencies
                    .iter()
                    .any(|dependency| dependency.requirement.name == dist.name)
                {
                    required_by.push(other.raw_name.clone());
                }
            }
            Err(error) => printer.warn(format!(
                "cannot read the dependencies of {}: {error}",
                other.name
            )),
        }
    }
    sort_case_insensitively(&mut required_by);

    let mut lines = vec![
        format!("Name: {}", dist.raw_name),
        format!("Version: {}", dist.version),
        format!("Summary: {}", field("Summary")),
        format!("Home-page: {}", field("Home-page")),
        format!("Author: {}", field("Author")),
        format!("Author-email: {}", field("Author-email")),
        format!("License: {}", field("License")),
        format!("Location: {}", dist.location().display()),
    ];
    if let Some(location) =
        environment::direct_url(dist, printer).and_then(|direct_url| direct_url.editable_location())
    {
        lines.push(format!("Editable project location: {}", location.display()));
    }
    lines.push(format!("Requires: {}", requires.join(", ")));
    lines.push(format!("Required-by: {}", required_by.join(", ")));

    if verbose {
        lines.push(format!("Metadata-Version: {}", field("Metadata-Version")));
        lines.push(format!(
            "Installer: {}",
            dist.installer.clone().unwrap_or_default()
        ));
        lines.push("Classifiers:".to_string());
        lines.extend(
            fields
                .get_all("Classifier")
                .map(|classifier| format!("  {classifier}")),
        );
        lines.push("Entry-points:".to_string());
        match fs_err::read_to_string(dist.dist_info.join("entry_points.txt")) {
            Ok(entry_points) => lines.extend(
                entry_points
                    .lines()
                    .map(|line| format!("  {}", line.trim())),
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }
        lines.push("Project-URLs:".to_string());
        lines.extend(fields.get_all("Project-URL").map(|url| format!("  {url}")));
    }
    if args.files {
        lines.push("Files:".to_string());
        match dist.files()? {
            Some(mut files) => {
                files.sort();
                lines.extend(files.iter().map(|file| format!("  {}", file.trim())));
            }
            None => lines.push("Cannot locate RECORD or installed-files.txt".to_string()),
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(text)
}

/// Python's `sorted(..., key=str.lower)`: stable, by lowercase text.
fn sort_case_insensitively(names: &mut [String]) {
    names.sort_by_cached_key(|name| name.to_lowercase());
}
