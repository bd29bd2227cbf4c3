//! `volley install`: resolve (downloading while resolving), plan, wait for the wheels the plan
//! needs, install them.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use futures::future::try_join_all;
use serde_json::json;
use volley_client::IndexFile;
use volley_installer::{
    CompileOptions, InstallPlan, Installer, InstallerOptions, Layout, PlannedInstall,
};
use volley_packaging::{PackageName, Version};
use volley_python::{InstalledDist, Interpreter};
use volley_resolver::{CandidateSource, ResolvedPackage, Upgrade};

use crate::cli::{GlobalArgs, InstallArgs};
use crate::commands::request::Request;
use crate::commands::resolve::{ResolveMode, Resolved, resolve};
use crate::printer::{Printer, elapsed, packages};
use crate::settings::{self, Environment, InstallSettings};

/// One package the plan installs, and the version it replaces, if any.
struct Change<'a> {
    package: &'a ResolvedPackage,
    file: IndexFile,
    replaces: Option<&'a InstalledDist>,
}

pub async fn install(
    mut args: InstallArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let mut global = global.clone();
    let config = settings::pip_config(&global, env, "install")?;
    settings::apply_pip_config(&config, &mut global, &mut args.index, &mut args.resolve);
    args.no_deps |= config.no_deps == Some(true);
    args.require_hashes |= config.require_hashes == Some(true);
    if !args.compile && !args.no_compile {
        args.compile = config.compile == Some(true);
    }
    let global = &global;
    let settings = InstallSettings::resolve(&args, env)?;
    let request = Request::read(
        &args.requirements,
        &args.requirement,
        &args.resolve.constraint,
        &env.cwd,
    )?;
    if request.requirements.is_empty() {
        bail!("no requirements given: name packages or pass -r FILE");
    }
    let hash_mode = request.requires_hashes(args.require_hashes);
    if hash_mode {
        request.check_hash_mode()?;
    }
    // pip's `-U` upgrades what the user named (its default "only-if-needed" strategy leaves
    // dependencies alone unless a requirement forces them).
    let mut upgrade_names: std::collections::BTreeSet<PackageName> = args
        .upgrade_package
        .iter()
        .map(|name| {
            name.parse::<PackageName>()
                .with_context(|| format!("invalid package name \"{name}\""))
        })
        .collect::<Result<_>>()?;
    let eager = match args
        .upgrade_strategy
        .as_deref()
        .or(config.upgrade_strategy.as_deref())
    {
        None | Some("only-if-needed") => false,
        Some("eager") => true,
        Some(other) => {
            bail!("invalid upgrade strategy \"{other}\": expected only-if-needed or eager")
        }
    };
    if args.upgrade {
        upgrade_names.extend(request.requirements.iter().map(|r| r.name.clone()));
    }
    let upgrade = if args.upgrade && eager {
        Upgrade::All
    } else if upgrade_names.is_empty() {
        Upgrade::None
    } else {
        Upgrade::Packages(upgrade_names)
    };
    let mode = ResolveMode {
        use_installed: true,
        upgrade,
        reinstall: args.force_reinstall,
        no_deps: args.no_deps,
        speculative_downloads: !args.dry_run,
    };
    let resolved = resolve(
        &request,
        &args.python,
        &args.index,
        &args.resolve,
        mode,
        global,
        env,
        &printer,
    )
    .await?;
    printer.status(format!(
        "Resolved {} in {}",
        packages(resolved.resolution.packages.len()),
        elapsed(resolved.elapsed)
    ));

    let changes = plan(&resolved, args.force_reinstall)?;
    let changes = if hash_mode {
        with_allowed_hashes(&resolved, &request, changes)?
    } else {
        changes
    };
    cancel_unneeded_downloads(&resolved, &changes);

    if let Some(path) = &args.report {
        write_report(path, &resolved, &changes, env).await?;
    }
    if args.dry_run {
        if changes.is_empty() {
            printer.status("Would make no changes");
        } else {
            printer.status(format!("Would install {}", packages(changes.len())));
        }
        print_changes(&printer, &changes);
        return Ok(ExitCode::SUCCESS);
    }
    if changes.is_empty() {
        printer.status("Audited all requirements: nothing to install");
        return Ok(ExitCode::SUCCESS);
    }

    // Every wheel is downloaded, hash-checked and unpacked into the cache before the
    // environment is touched; most of them already were, while resolving.
    let start = Instant::now();
    let wheels = try_join_all(
        changes
            .iter()
            .map(|change| resolved.preparer.get(&change.file)),
    )
    .await?;
    resolved.reporter.finish_downloads();
    printer.status(format!(
        "Prepared {} in {}",
        packages(wheels.len()),
        elapsed(start.elapsed())
    ));

    let start = Instant::now();
    let requested: HashSet<PackageName> = resolved
        .resolution
        .packages
        .iter()
        .filter(|package| package.requested)
        .map(|package| package.name.clone())
        .collect();
    let plan = InstallPlan {
        install: changes
            .iter()
            .zip(wheels)
            .map(|(change, wheel)| PlannedInstall {
                wheel,
                requested: requested.contains(&change.package.name),
                direct_url: None,
            })
            .collect(),
        remove: changes
            .iter()
            .filter_map(|change| change.replaces.map(|dist| dist.dist_info.clone()))
            .collect(),
    };
    let installer = Installer::new(
        layout(&resolved.interpreter),
        InstallerOptions {
            link_mode: settings.link_mode,
            threads: settings.threads,
            installer_name: "volley".to_string(),
            compile: settings.compile.then(|| CompileOptions {
                python: resolved.interpreter.sys_executable.clone(),
                workers: settings.threads,
            }),
            lock_path: environment_lock(&resolved.interpreter),
        },
    );
    let waiting = printer.clone();
    let summary = tokio::task::spawn_blocking(move || {
        installer
            .execute(&plan, &(), || {
                waiting.status("Waiting for another volley to finish with this environment...");
            })
            .map_err(anyhow::Error::from)
    })
    .await
    .context("the installer stopped")??;
    for removed in &summary.removed {
        for path in &removed.outside_environment {
            printer.warn(format!(
                "left {} in place: it is outside the environment",
                path.display()
            ));
        }
    }
    for failure in &summary.bytecode_failures {
        printer.warn(format!(
            "could not compile {}: {}",
            failure.path.display(),
            failure.message
        ));
    }
    printer.verbose(format!("linked files with {}", summary.link_mode_used));
    let replaced = changes.iter().filter(|c| c.replaces.is_some()).count();
    if replaced > 0 {
        printer.status(format!("Uninstalled {}", packages(replaced)));
    }
    printer.status(format!(
        "Installed {} in {}",
        packages(changes.len()),
        elapsed(start.elapsed())
    ));
    print_changes(&printer, &changes);
    Ok(ExitCode::SUCCESS)
}

/// What changes: every resolved package that is not installed at the resolved version.
fn plan(resolved: &Resolved, reinstall: bool) -> Result<Vec<Change<'_>>> {
    let mut changes = Vec::new();
    for package in &resolved.resolution.packages {
        let installed = resolved
            .installed
            .iter()
            .find(|dist| dist.name == package.name);
        if installed.is_some_and(|dist| dist.version == package.version && !reinstall) {
            continue;
        }
        if matches!(package.source, CandidateSource::SdistOnly) {
            bail!(
                "{}=={} has no wheel compatible with the target interpreter, and building from \
                 source distributions is not supported yet",
                package.name,
                package.version
            );
        }
        let file = resolved
            .provider
            .files(&package.name, &package.version)
            .and_then(|files| files.best_wheel.map(|(_, file)| file))
            .with_context(|| {
                format!(
                    "no wheel of {}=={} is known to the index client",
                    package.name, package.version
                )
            })?;
        changes.push(Change {
            package,
            file,
            replaces: installed,
        });
    }
    Ok(changes)
}

/// In hash-checking mode every package installed must be one the user listed with hashes,
/// and the file installed one whose sha256 is among them (another file of the same version
/// may be taken, as pip does, when the preferred one's hash is not listed).
fn with_allowed_hashes<'a>(
    resolved: &'a Resolved,
    request: &Request,
    changes: Vec<Change<'a>>,
) -> Result<Vec<Change<'a>>> {
    let mut checked = Vec::with_capacity(changes.len());
    for mut change in changes {
        let name = &change.package.name;
        let Some(allowed) = request.hashes.get(name) else {
            bail!(
                "in hash-checking mode every package needs a --hash, but {}=={} (required by \
                 {}) has none; add it to the requirements with its hashes",
                name,
                change.package.version,
                change
                    .package
                    .required_by
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let matches = |file: &IndexFile| file.hashes.iter().any(|hash| allowed.contains(hash));
        if !matches(&change.file) {
            let files = resolved
                .provider
                .files(name, &change.package.version)
                .map(|files| files.all)
                .unwrap_or_default();
            let tags = &resolved.interpreter.tags;
            let alternative = files
                .into_iter()
                .filter(|file| matches(file))
                .filter_map(|file| match &file.dist {
                    volley_packaging::DistFilename::Wheel(wheel) => wheel
                        .compatibility(tags)
                        .map(|priority| (priority, file.clone())),
                    volley_packaging::DistFilename::SourceDist(_) => None,
                })
                .max_by_key(|(priority, _)| *priority);
            match alternative {
                Some((_, file)) => change.file = file,
                None => bail!(
                    "no file of {}=={} matches the hashes given for it; the index has {}",
                    name,
                    change.package.version,
                    change
                        .file
                        .hashes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        checked.push(change);
    }
    Ok(checked)
}

/// Downloads started while resolving for versions the plan does not install are stopped;
/// finished ones stay in the cache.
fn cancel_unneeded_downloads(resolved: &Resolved, changes: &[Change<'_>]) {
    let needed: HashSet<(&PackageName, &Version)> = changes
        .iter()
        .map(|change| (&change.package.name, &change.package.version))
        .collect();
    for ((name, version), file) in resolved.provider.speculative_downloads() {
        if !needed.contains(&(&name, &version)) {
            resolved.preparer.cancel(&file);
        }
    }
}

fn print_changes(printer: &Printer, changes: &[Change<'_>]) {
    let mut lines: Vec<(String, String)> = Vec::new();
    for change in changes {
        if let Some(old) = change.replaces {
            lines.push((
                format!("{}-", change.package.name),
                format!(" - {}=={}", old.name, old.version),
            ));
        }
        lines.push((
            format!("{}+", change.package.name),
            format!(" + {}=={}", change.package.name, change.package.version),
        ));
    }
    lines.sort();
    for (_, line) in lines {
        printer.status(line);
    }
}

/// The lock file that serializes volley processes changing one environment (as uv's).
pub fn environment_lock(interpreter: &Interpreter) -> std::path::PathBuf {
    interpreter.sys_prefix.join(".lock")
}

/// The install paths of the target environment.
pub fn layout(interpreter: &Interpreter) -> Layout {
    let scheme = &interpreter.scheme;
    Layout {
        purelib: scheme.purelib.clone(),
        platlib: scheme.platlib.clone(),
        scripts: scheme.scripts.clone(),
        data: scheme.data.clone(),
        headers: scheme.include.clone(),
        python_executable: interpreter.sys_executable.clone(),
        python_version: (interpreter.python_version.0, interpreter.python_version.1),
    }
}

/// pip's installation report (`--report`), format version 1.
async fn write_report(
    path: &std::path::Path,
    resolved: &Resolved,
    changes: &[Change<'_>],
    env: &Environment,
) -> Result<()> {
    let mut install = Vec::new();
    for change in changes {
        let metadata = resolved.client.metadata(&change.file).await?;
        let mut hashes = serde_json::Map::new();
        for hash in &change.file.hashes {
            hashes.insert(hash.algorithm.to_string(), json!(hash.digest));
        }
        let archive_info = match change.file.hashes.first() {
            Some(hash) => json!({
                "hash": format!("{}={}", hash.algorithm, hash.digest),
                "hashes": hashes,
            }),
            None => json!({}),
        };
        install.push(json!({
            "download_info": {
                "url": change.file.url.as_str(),
                "archive_info": archive_info,
            },
            "is_direct": false,
            "is_yanked": change.file.yanked.is_some(),
            "requested": change.package.requested,
            "requested_extras": change.package.extras.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "metadata": metadata_json(&metadata),
        }));
    }
    let markers = serde_json::to_value(&resolved.interpreter.markers)
        .context("cannot serialize the marker environment")?;
    let report = json!({
        "version": "1",
        "pip_version": format!("volley {}", env!("CARGO_PKG_VERSION")),
        "install": install,
        "environment": markers,
    });
    let text = serde_json::to_string_pretty(&report).context("cannot serialize the report")?;
    if path.as_os_str() == "-" {
        Printer::new(0, 0).stdout(format!("{text}\n"));
    } else {
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            env.cwd.join(path)
        };
        fs_err::write(&path, text)?;
    }
    Ok(())
}

/// Core metadata in the JSON form of PEP 566 (the fields volley reads).
fn metadata_json(metadata: &volley_packaging::CoreMetadata) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    object.insert("metadata_version".into(), json!(metadata.metadata_version));
    object.insert("name".into(), json!(metadata.name.to_string()));
    object.insert("version".into(), json!(metadata.version.to_string()));
    if !metadata.requires_dist.is_empty() {
        object.insert(
            "requires_dist".into(),
            json!(
                metadata
                    .requires_dist
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ),
        );
    }
    if let Some(requires_python) = &metadata.requires_python {
        object.insert("requires_python".into(), json!(requires_python.to_string()));
    }
    if !metadata.provides_extra.is_empty() {
        object.insert(
            "provides_extra".into(),
            json!(
                metadata
                    .provides_extra
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ),
        );
    }
    serde_json::Value::Object(object)
}
