//! `volley list`: the installed distributions, as pip 23.2's `pip list` shows them.
//!
//! - sorted by normalized name, each shown with its metadata's spelling;
//! - `columns` (default): `Package Version` and a dashed line as wide as each column, plus an
//!   `Editable project location` column when any is editable, and `Location` and `Installer`
//!   with `-v`; nothing at all when nothing is installed;
//! - `freeze`: `Name==version` lines (`(location)` added with `-v`);
//! - `json`: Python's `json.dumps` of `[{"name": ..., "version": ...}]` (its separators, and
//!   non-ASCII text escaped), with `editable_project_location` for editable installs;
//! - `--not-required` keeps what no listed distribution depends on (dependencies whose markers
//!   hold, no extras);
//! - `--outdated` (`--uptodate`) keeps what the index has a newer (no newer) version of, adding
//!   `Latest` and `Type` columns (`latest_version`, `latest_filetype` in JSON; not with
//!   `--uptodate`). The newest version is pip's best candidate among the project's files that
//!   fit the interpreter: yanked files and files whose Requires-Python excludes it are left
//!   out, and pre-releases unless `--pre`; of one version a compatible wheel beats the sdist.
//!   Projects the index does not have are left out. Every project page is asked for at once.

use std::collections::HashSet;
use std::fmt::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use futures::future::join_all;
use volley_client::{ClientError, RegistryClient};
use volley_packaging::{DistFilename, PackageName, Tags, Version};
use volley_python::InstalledDist;

use crate::cli::{GlobalArgs, ListArgs, ListFormat};
use crate::commands::environment::{self, Target};
use crate::printer::Printer;
use crate::progress::ProgressReporter;
use crate::settings::{self, CacheSettings, Environment};

/// One listed distribution and what the output shows of it.
struct Row<'a> {
    dist: &'a InstalledDist,
    editable_location: Option<String>,
    /// `--outdated`: the newest version on the index and its file type (`wheel`, `sdist`).
    latest: Option<(Version, &'static str)>,
}

pub async fn list(
    mut args: ListArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    if args.outdated && args.format == ListFormat::Freeze {
        bail!("list format 'freeze' cannot be used with the --outdated option");
    }
    let mut global = global.clone();
    if args.outdated || args.uptodate {
        let config = settings::pip_config(&global, env, "list")?;
        settings::apply_pip_index_config(&config, &mut global, &mut args.index);
        args.pre |= config.pre == Some(true);
    }
    let global = &global;
    let mut target = Target::find(&args.python, global, env, &printer)?;
    target.restrict_to_paths(&args.path, args.local, &env.cwd)?;
    let excluded = environment::package_names(&args.exclude)?;
    let mut rows: Vec<Row<'_>> = Vec::new();
    for dist in &target.installed {
        if !environment::is_listed(dist, &excluded) {
            continue;
        }
        let editable_location = environment::direct_url(dist, &printer)
            .and_then(|direct_url| direct_url.editable_location())
            .map(|location| location.display().to_string());
        let editable = editable_location.is_some();
        if (args.editable && !editable) || (args.exclude_editable && editable) {
            continue;
        }
        rows.push(Row {
            dist,
            editable_location,
            latest: None,
        });
    }
    if args.not_required {
        let required = required_names(&rows, &target, &printer);
        rows.retain(|row| !required.contains(&row.dist.name));
    }
    if args.outdated || args.uptodate {
        let client = RegistryClient::new(
            settings::client_options(&args.index, env)?,
            CacheSettings::resolve(global, env)?.open()?,
            Arc::new(ProgressReporter::new(printer.clone())),
        )?;
        let python: Version = target
            .interpreter
            .python_full_version
            .parse()
            .map_err(|error| anyhow::anyhow!("invalid interpreter version: {error}"))?;
        let tags = &target.interpreter.tags;
        let latest = join_all(
            rows.iter()
                .map(|row| latest(&client, &row.dist.name, tags, &python, args.pre)),
        )
        .await;
        for (row, latest) in rows.iter_mut().zip(latest) {
            row.latest = latest?;
        }
        rows.retain(|row| {
            row.latest.as_ref().is_some_and(|(version, _)| {
                if args.outdated {
                    *version > row.dist.version
                } else {
                    *version == row.dist.version
                }
            })
        });
        if args.uptodate {
            // pip shows the extra columns only for --outdated.
            for row in &mut rows {
                row.latest = None;
            }
        }
    }
    rows.sort_by(|a, b| a.dist.name.cmp(&b.dist.name));

    let verbose = global.verbose > 0;
    let output = match args.format {
        ListFormat::Columns => columns(&rows, verbose, args.outdated),
        ListFormat::Freeze => rows
            .iter()
            .map(|row| {
                if verbose {
                    format!(
                        "{}=={} ({})\n",
                        row.dist.raw_name,
                        row.dist.version,
                        row.dist.location().display()
                    )
                } else {
                    format!("{}=={}\n", row.dist.raw_name, row.dist.version)
                }
            })
            .collect(),
        ListFormat::Json => format!("{}\n", json(&rows, verbose)),
    };
    printer.stdout(output);
    Ok(ExitCode::SUCCESS)
}

/// The newest version of `name` on the index for this interpreter, and whether its best file
/// is a wheel or an sdist (see the module doc); `None` when the index has no such file.
async fn latest(
    client: &RegistryClient,
    name: &PackageName,
    tags: &Tags,
    python: &Version,
    pre: bool,
) -> Result<Option<(Version, &'static str)>> {
    let page = match client.project_page(name).await {
        Ok(page) => page,
        Err(ClientError::ProjectNotFound { .. }) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let best = page
        .files
        .iter()
        .filter(|file| file.yanked.is_none())
        .filter(|file| {
            file.requires_python
                .as_ref()
                .is_none_or(|specifiers| specifiers.contains(python))
        })
        .filter_map(|file| match &file.dist {
            DistFilename::Wheel(wheel) => wheel
                .compatibility(tags)
                .map(|priority| (&wheel.version, Some(priority), "wheel")),
            DistFilename::SourceDist(sdist) => Some((&sdist.version, None, "sdist")),
        })
        .filter(|(version, _, _)| pre || !version.any_prerelease())
        .max_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    Ok(best.map(|(version, _, kind)| (version.clone(), kind)))
}

/// The normalized names that the listed distributions depend on.
fn required_names(rows: &[Row<'_>], target: &Target, printer: &Printer) -> HashSet<PackageName> {
    let mut required = HashSet::new();
    for row in rows {
        match row.dist.dependencies(&target.interpreter.markers) {
            Ok(dependencies) => required.extend(
                dependencies
                    .into_iter()
                    .map(|dependency| dependency.requirement.name),
            ),
            Err(error) => printer.warn(format!(
                "cannot read the dependencies of {}: {error}",
                row.dist.name
            )),
        }
    }
    required
}

/// pip's `tabulate` with a dashed line under the header; empty when there are no rows.
fn columns(rows: &[Row<'_>], verbose: bool, outdated: bool) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let has_editables = rows.iter().any(|row| row.editable_location.is_some());
    let mut header = vec!["Package".to_string(), "Version".to_string()];
    if outdated {
        header.push("Latest".to_string());
        header.push("Type".to_string());
    }
    if has_editables {
        header.push("Editable project location".to_string());
    }
    if verbose {
        header.push("Location".to_string());
        header.push("Installer".to_string());
    }
    let mut table = vec![header];
    for row in rows {
        let mut cells = vec![row.dist.raw_name.clone(), row.dist.version.to_string()];
        if outdated {
            let (version, kind) = row
                .latest
                .as_ref()
                .map(|(version, kind)| (version.to_string(), (*kind).to_string()))
                .unwrap_or_default();
            cells.push(version);
            cells.push(kind);
        }
        if has_editables {
            cells.push(row.editable_location.clone().unwrap_or_default());
        }
        if verbose {
            cells.push(row.dist.location().display().to_string());
            cells.push(row.dist.installer.clone().unwrap_or_default());
        }
        table.push(cells);
    }
    // Python's `len`: characters, not bytes.
    let widths: Vec<usize> = (0..table[0].len())
        .map(|column| {
            table
                .iter()
                .map(|cells| cells[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut lines: Vec<String> = table
        .iter()
        .map(|cells| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| {
                    let padding = width.saturating_sub(cell.chars().count());
                    format!("{cell}{}", " ".repeat(padding))
                })
                .collect();
            padded.join(" ").trim_end().to_string()
        })
        .collect();
    lines.insert(
        1,
        widths
            .iter()
            .map(|width| "-".repeat(*width))
            .collect::<Vec<_>>()
            .join(" "),
    );
    lines.iter().fold(String::new(), |mut output, line| {
        let _ = writeln!(output, "{line}");
        output
    })
}

/// `json.dumps` of pip's list of objects.
fn json(rows: &[Row<'_>], verbose: bool) -> String {
    let objects: Vec<String> = rows
        .iter()
        .map(|row| {
            let mut members = vec![
                ("name", row.dist.raw_name.clone()),
                ("version", row.dist.version.to_string()),
            ];
            if verbose {
                members.push(("location", row.dist.location().display().to_string()));
                members.push(("installer", row.dist.installer.clone().unwrap_or_default()));
            }
            if let Some((version, kind)) = &row.latest {
                members.push(("latest_version", version.to_string()));
                members.push(("latest_filetype", (*kind).to_string()));
            }
            if let Some(location) = &row.editable_location {
                members.push(("editable_project_location", location.clone()));
            }
            let members: Vec<String> = members
                .iter()
                .map(|(key, value)| format!("{}: {}", python_json(key), python_json(value)))
                .collect();
            format!("{{{}}}", members.join(", "))
        })
        .collect();
    format!("[{}]", objects.join(", "))
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: everything outside ASCII
/// as `\uXXXX`, surrogate pairs above the BMP).
fn python_json(text: &str) -> String {
    let mut output = String::with_capacity(text.len() + 2);
    output.push('"');
    for c in text.chars() {
        match c {
            '"' => output.push_str("\\\""),
            '\\' => output.push_str("\\\\"),
            '\n' => output.push_str("\\n"),
            '\r' => output.push_str("\\r"),
            '\t' => output.push_str("\\t"),
            '\u{8}' => output.push_str("\\b"),
            '\u{c}' => output.push_str("\\f"),
            ' '..='~' => output.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(output, "\\u{unit:04x}");
                }
            }
        }
    }
    output.push('"');
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped_as_python_does() {
        assert_eq!(python_json("plain-1.0"), "\"plain-1.0\"");
        assert_eq!(
            python_json("q\"b\\n\nt\té😀\u{1}"),
            "\"q\\\"b\\\\n\\nt\\t\\u00e9\\ud83d\\ude00\\u0001\""
        );
    }
}
