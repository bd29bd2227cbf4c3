//! `volley install`: resolve (downloading while resolving), plan, wait for the wheels the plan
//! needs, install them.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use futures::future::try_join_all;
use serde_json::json;
use volley_client::IndexFile;
use volley_installer::{
    CompileOptions, EnvironmentLock, InstallPlan, Installer, InstallerOptions, Layout,
    PlannedInstall,
};
use volley_packaging::{PackageName, Version};
use volley_python::{InstalledDist, Interpreter, Scheme};
use volley_resolver::{CandidateSource, ResolvedPackage, Upgrade};

use crate::builds::Builds;
use crate::cli::{GlobalArgs, InstallArgs};
use crate::commands::request::Request;
use crate::commands::resolve::{
    ResolveMode, Resolved, VirtualenvRequired, resolve, warn_if_yanked,
};
use crate::destination::Destination;
use crate::direct::{DirectPackage, DirectPackages};
use crate::prepare::Preparer;
use crate::printer::{Printer, elapsed, packages};
use crate::progress::ProgressReporter;
use crate::settings::{self, Environment, InstallSettings};
use crate::target::TargetFlags;

/// One package the plan installs, and the version it replaces, if any.
pub(crate) struct Change<'a> {
    pub(crate) package: &'a ResolvedPackage,
    pub(crate) file: Artifact,
    pub(crate) replaces: Option<&'a InstalledDist>,
}

/// What a change installs from.
pub(crate) enum Artifact {
    /// A wheel from an index.
    Index(IndexFile),
    /// A source distribution from an index, built at install (build cache first).
    Sdist(IndexFile),
    /// A path, URL, git reference or editable (installed with its `direct_url.json`).
    Direct(Arc<DirectPackage>),
}

impl From<IndexFile> for Artifact {
    fn from(file: IndexFile) -> Self {
        Self::Index(file)
    }
}

/// Where changes are installed and what installing them uses, whoever planned them (a
/// resolution, or a lock file).
pub(crate) struct InstallTarget<'a> {
    pub(crate) interpreter: &'a Interpreter,
    pub(crate) scheme: &'a Scheme,
    /// Taken before the installed distributions were read, so the plan is still current.
    pub(crate) lock: Option<Arc<EnvironmentLock>>,
    /// The file of that lock.
    pub(crate) lock_path: std::path::PathBuf,
    pub(crate) preparer: &'a Preparer,
    pub(crate) reporter: &'a ProgressReporter,
    /// Builds of sdists and direct references; `None` when the plan has none (lock files).
    pub(crate) builds: Option<&'a Arc<Builds>>,
    pub(crate) direct: Option<&'a DirectPackages>,
}

pub async fn install(
    mut args: InstallArgs,
    global: &GlobalArgs,
    env: &Environment,
    mut printer: Printer,
) -> Result<ExitCode> {
    if !args.global_option.is_empty() {
        // pip's error for an option it removed (setup.py options have no PEP 517 equivalent).
        printer.error_message("no such option: --global-option");
        printer.status("hint: pass settings to the build backend with --config-settings KEY=VALUE");
        return Ok(ExitCode::from(2));
    }
    if args
        .progress_bar
        .as_deref()
        .is_some_and(|when| when != "on")
    {
        printer.hide_bars();
    }
    let mut global = global.clone();
    let config = settings::pip_config(&global, env, "install")?;
    settings::apply_pip_config(&config, &mut global, &mut args.index, &mut args.resolve);
    args.no_deps |= config.no_deps == Some(true);
    args.require_hashes |= config.require_hashes == Some(true);
    args.break_system_packages |= config.break_system_packages == Some(true);
    args.require_virtualenv |= config.require_virtualenv == Some(true);
    if !args.compile && !args.no_compile {
        args.compile = config.compile == Some(true);
    }
    let global = &global;
    let platform = TargetFlags::from_args(&args.target_platform)?;
    if platform.is_some() {
        // pip's `check_dist_restriction(options, check_target=True)`.
        if !args.dry_run && args.target.is_none() {
            bail!(
                "can not use any platform or abi specific options unless installing via \
                 '--target' or using '--dry-run'"
            );
        }
        TargetFlags::check_dist_restriction(
            &settings::format_control(&args.resolve.only_binary)?,
            &settings::format_control(&args.resolve.no_binary)?,
            args.no_deps,
        )?;
    }
    let settings = InstallSettings::resolve(&args, env)?;
    // PEP 735 groups are requirements like those named on the command line.
    args.requirements
        .extend(crate::commands::groups::requirements(
            &args.group,
            &env.cwd,
        )?);
    let destination = Destination::from_flags(
        args.target.as_deref(),
        args.prefix.as_deref(),
        args.user,
        &env.cwd,
    )?;
    if let Some(lock_file) = args
        .requirement
        .iter()
        .find(|path| volley_requirements::is_pylock_path(path))
    {
        let lock_file = lock_file.clone();
        return match crate::commands::pylock::install(
            &lock_file,
            &args,
            destination,
            &settings,
            global,
            env,
            &printer,
        )
        .await
        {
            // pip's exit code for a missing virtual environment.
            Err(error) if error.is::<VirtualenvRequired>() => {
                printer.error(&error);
                Ok(ExitCode::from(3))
            }
            other => other,
        };
    }
    let request = Request::read_fetching(
        &args.requirements,
        &args.requirement,
        &args.resolve.constraint,
        &env.cwd,
        &super::request::client_fetch(&args.index, global, env),
    )?;
    let mut request = request;
    request.add_editables(&args.editable, &env.cwd)?;
    if request.is_empty() {
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
    // pip's `-I` resolves and installs as if nothing were installed: volley's reinstall, which
    // removes what it replaces where pip writes over it.
    let reinstall = args.force_reinstall || args.ignore_installed;
    let mode = ResolveMode {
        use_installed: true,
        upgrade,
        reinstall,
        no_deps: args.no_deps,
        speculative_downloads: !args.dry_run,
        destination,
        platform,
        // pip lets `--dry-run --report` look at an externally managed interpreter.
        refuse_externally_managed: !(args.break_system_packages
            || (args.dry_run && args.report.is_some())),
        ignore_requires_python: args.ignore_requires_python,
        require_virtualenv: args.require_virtualenv,
        root: args.root.as_ref().map(|root| env.cwd.join(root)),
        announce_environment: true,
        all_files: false,
        require_hashes: hash_mode,
        src: args.src.clone(),
    };
    let resolved = match resolve(
        &request,
        &args.python,
        &args.index,
        &args.resolve,
        mode,
        global,
        env,
        &printer,
    )
    .await
    {
        Ok(resolved) => resolved,
        // pip's exit code for a missing virtual environment.
        Err(error) if error.is::<VirtualenvRequired>() => {
            printer.error(&error);
            return Ok(ExitCode::from(3));
        }
        Err(error) => return Err(error),
    };

    let changes = plan(&resolved, reinstall, args.upgrade, &printer)?;
    let changes = if hash_mode {
        with_allowed_hashes(&resolved, &request, changes)?
    } else {
        changes
    };
    cancel_unneeded_downloads(&resolved, &changes);
    for change in &changes {
        if let Artifact::Index(file) | Artifact::Sdist(file) = &change.file {
            warn_if_yanked(
                &printer,
                &change.package.name,
                &change.package.version,
                file,
            );
        }
    }

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

    let target = InstallTarget {
        interpreter: &resolved.interpreter,
        scheme: &resolved.scheme,
        lock: resolved.environment_lock.clone(),
        lock_path: resolved
            .destination
            .lock_path(&resolved.interpreter, &resolved.scheme),
        preparer: &resolved.preparer,
        reporter: &resolved.reporter,
        builds: Some(&resolved.builds),
        direct: Some(&resolved.direct),
    };
    install_changes(&target, &changes, &settings, &printer).await?;
    // pip skips the check with --no-deps; `no-warn-conflicts` in pip's configuration stores
    // its value as is (see `pip_config`). A `--target` or `--prefix` directory holds only part
    // of what its packages import, so it is not checked.
    let checked_destination = matches!(
        resolved.destination,
        Destination::Environment | Destination::User
    ) && args.root.is_none();
    if checked_destination
        && !args.no_warn_conflicts
        && config.warn_conflicts != Some(false)
        && !args.no_deps
    {
        let touched = changes
            .iter()
            .map(|change| change.package.name.clone())
            .collect();
        // The install is done: a check that cannot run does not fail it.
        if let Err(error) = crate::commands::conflicts::check_after_install(
            &resolved.destination,
            &resolved.interpreter,
            &resolved.scheme,
            touched,
            &printer,
        )
        .await
        {
            printer.warn(format!(
                "could not check the dependencies of the installed packages: {error:#}"
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Download, check and unpack the wheels of `changes`, then install them (removing what they
/// replace) as one transaction, and print what changed.
pub(crate) async fn install_changes(
    target: &InstallTarget<'_>,
    changes: &[Change<'_>],
    settings: &InstallSettings,
    printer: &Printer,
) -> Result<()> {
    // Every wheel is downloaded, hash-checked and unpacked into the cache before the
    // environment is touched; most of them already were, while resolving.
    let start = Instant::now();
    let wheels = try_join_all(changes.iter().map(|change| async {
        match &change.file {
            Artifact::Index(file) => Ok((target.preparer.get(file).await?, None)),
            Artifact::Sdist(file) => {
                let builds = target
                    .builds
                    .context("source distributions need a build context")?;
                let wheel = crate::direct::build_index_sdist(builds, file).await?;
                let package = &change.package;
                if *wheel.name() != package.name || *wheel.version() != package.version {
                    bail!(
                        "building {} gave {}, not {}=={}",
                        file.filename,
                        wheel.file_name(),
                        package.name,
                        package.version
                    );
                }
                Ok((wheel, None))
            }
            Artifact::Direct(package) => {
                let direct = target
                    .direct
                    .context("direct references need a build context")?;
                let (wheel, direct_url) = direct.wheel(package).await?;
                Ok::<_, anyhow::Error>((wheel, Some(direct_url)))
            }
        }
    }))
    .await?;
    target.reporter.finish_downloads();
    printer.status(format!(
        "Prepared {} in {}",
        packages(wheels.len()),
        elapsed(start.elapsed())
    ));

    let start = Instant::now();
    let plan = InstallPlan {
        install: changes
            .iter()
            .zip(wheels)
            .map(|(change, (wheel, direct_url))| PlannedInstall {
                wheel,
                requested: change.package.requested,
                direct_url,
            })
            .collect(),
        remove: changes
            .iter()
            .filter_map(|change| change.replaces.map(|dist| dist.dist_info.clone()))
            .collect(),
    };
    let installer = Installer::new(
        scheme_layout(target.interpreter, target.scheme),
        InstallerOptions {
            link_mode: settings.link_mode,
            threads: settings.threads,
            installer_name: "volley".to_string(),
            compile: settings.compile.then(|| CompileOptions {
                python: target.interpreter.sys_executable.clone(),
                workers: settings.threads,
            }),
            lock_path: target.lock_path.clone(),
        },
    )
    .with_interrupt(crate::interrupt::flag());
    let installer = match settings.test_signal_at_commit_step {
        Some(step) => installer.with_commit_hook(move |done, _| {
            if done == step {
                crate::interrupt::signal_self_for_tests();
            }
            Ok(())
        }),
        None => installer,
    };
    // Taken before the installed distributions were read, so the plan is still current.
    let lock = target
        .lock
        .clone()
        .context("the environment was not locked while resolving")?;
    let summary = tokio::task::spawn_blocking(move || {
        installer
            .execute_locked(&lock, &plan, &())
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
    print_changes(printer, changes);
    Ok(())
}

/// What changes: every resolved package that is not installed at the resolved version. With
/// `--target`, a version already there is replaced only with `--upgrade`, as in pip.
fn plan<'a>(
    resolved: &'a Resolved,
    reinstall: bool,
    upgrade: bool,
    printer: &Printer,
) -> Result<Vec<Change<'a>>> {
    let mut changes = Vec::new();
    for package in &resolved.resolution.packages {
        let installed = resolved
            .installed
            .iter()
            .find(|dist| dist.name == package.name);
        if let Some(direct) = resolved.direct.get(&package.name) {
            // A direct reference replaces what is installed unless that came from the very
            // same source (PEP 610's direct_url.json says where it came from).
            if installed.is_some_and(|dist| {
                dist.version == package.version
                    && !reinstall
                    && direct.is_installed_at(&dist.dist_info)
            }) {
                continue;
            }
            changes.push(Change {
                package,
                file: Artifact::Direct(Arc::clone(direct)),
                replaces: installed.filter(|dist| Destination::may_remove(dist, &resolved.scheme)),
            });
            continue;
        }
        if installed.is_some_and(|dist| dist.version == package.version && !reinstall) {
            continue;
        }
        if let Some(dist) = installed
            && resolved.destination.is_target()
            && !upgrade
        {
            printer.warn(format!(
                "target directory {} already exists: specify --upgrade to force replacement",
                dist.dist_info.display()
            ));
            continue;
        }
        // A distribution outside the destination (the environment's, for `--user`) stays.
        let installed = installed.filter(|dist| Destination::may_remove(dist, &resolved.scheme));
        if matches!(package.source, CandidateSource::SdistOnly) {
            let sdist = resolved
                .provider
                .files(&package.name, &package.version)
                .and_then(|files| files.sdist)
                .with_context(|| {
                    format!(
                        "no source distribution of {}=={} is known to the index client",
                        package.name, package.version
                    )
                })?;
            changes.push(Change {
                package,
                file: Artifact::Sdist(sdist),
                replaces: installed,
            });
            continue;
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
            file: Artifact::Index(file),
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
        let file = match &change.file {
            Artifact::Index(file) | Artifact::Sdist(file) => file.clone(),
            // Its archive matched the user's hashes before it was prepared (`direct_hashes`).
            Artifact::Direct(_) => {
                checked.push(change);
                continue;
            }
        };
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
        if !matches(&file) {
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
                Some((_, file)) => change.file = Artifact::Index(file),
                None => bail!(
                    "no file of {}=={} matches the hashes given for it; the index has {}",
                    name,
                    change.package.version,
                    file.hashes
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

pub(crate) fn print_changes(printer: &Printer, changes: &[Change<'_>]) {
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
    Destination::Environment.lock_path(interpreter, &interpreter.scheme)
}

/// The install paths of the target environment.
pub fn layout(interpreter: &Interpreter) -> Layout {
    scheme_layout(interpreter, &interpreter.scheme)
}

/// The install paths of `scheme` (the environment's, or `--target`/`--prefix`/`--user`'s).
pub fn scheme_layout(interpreter: &Interpreter, scheme: &Scheme) -> Layout {
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
        let file = match &change.file {
            Artifact::Index(file) | Artifact::Sdist(file) => file,
            Artifact::Direct(direct) => {
                let download_info: serde_json::Value =
                    serde_json::from_str(&direct.prepared.direct_url)
                        .context("invalid direct_url.json")?;
                install.push(json!({
                    "download_info": download_info,
                    "is_direct": true,
                    "is_yanked": false,
                    "requested": change.package.requested,
                    "requested_extras": change.package.extras.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "metadata": metadata_json(&direct.metadata),
                }));
                continue;
            }
        };
        let metadata = match &change.file {
            Artifact::Sdist(_) => resolved
                .provider
                .sdist_metadata(&change.package.name, &change.package.version)
                .with_context(|| format!("no metadata of {}", change.package.name))?,
            _ => (*resolved.client.metadata(file).await?).clone(),
        };
        let mut hashes = serde_json::Map::new();
        for hash in &file.hashes {
            hashes.insert(hash.algorithm.to_string(), json!(hash.digest));
        }
        let archive_info = match file.hashes.first() {
            Some(hash) => json!({
                "hash": format!("{}={}", hash.algorithm, hash.digest),
                "hashes": hashes,
            }),
            None => json!({}),
        };
        install.push(json!({
            "download_info": {
                "url": file.url.as_str(),
                "archive_info": archive_info,
            },
            "is_direct": false,
            "is_yanked": file.yanked.is_some(),
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
